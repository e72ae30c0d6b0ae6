#!/usr/bin/python3
# Unit tests of the evaluation's analysis (tools/eval: components, pcapstats, report) on
# synthetic stamps, checks and RAW directories. Not a lab run: no root, no daemons, no tshark.

import contextlib
import io
import json
import os
import struct
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("SRC_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tools", "eval"))

import analyze  # noqa: E402
import components as comp  # noqa: E402
import pcapstats  # noqa: E402
import report  # noqa: E402

MS = 1_000_000
CALLER_HIT = "2001:22:a3ea:1aad:c00a:626b:eac:6359"
CALLEE_HIT = "2001:22:4fb7:20bb:80ff:3985:52a2:8596"
CID, LEG, DLEG = "c0ffee", "leg1", "leg2"


def st(t_ms, ev, node="a", **kw):
    return dict({"t": int(t_ms * MS), "node": node, "ev": ev}, **kw)


def flow(t_ms, ev, role, node, fid=7):
    return st(t_ms, ev, node, peer=CALLEE_HIT if node == "a" else CALLER_HIT, flow=fid,
              role=role, detail="")


def ice_caller(gather_done=3, flow_new=True, media_done=700, r200=420):
    """The caller's p2psipd in ice mode, the order the real daemon stamps in."""
    s = [st(0, "media.ice.gather.start", call=CID, detail=""),
         st(0.1, "sip.invite.received", call=CID),
         st(0.2, "sip.lookup.start", call=CID, aor="sip:bob@x"),
         st(gather_done, "media.ice.gather.done", call=CID, detail=""),
         st(10, "sip.lookup.done", call=CID, aor="sip:bob@x", err=0)]
    t = max(10, gather_done)
    if flow_new:
        s += [flow(t + 1, "sip.connect.start", "initiator", "a"),
              flow(t + 1.1, "sip.ice.gather.start", "initiator", "a"),
              st(t + 1.2, "sip.invite.sent", call=CID, leg_call=LEG),
              flow(t + 41, "sip.ice.gather.done", "initiator", "a"),
              flow(t + 101, "sip.connect.done", "initiator", "a"),
              flow(t + 102, "sip.ice.start", "initiator", "a"),
              flow(t + 252, "sip.ice.done", "initiator", "a")]
    else:
        s += [st(t + 0.5, "sip.invite.sent", call=CID, leg_call=LEG)]
    s += [st(r200 - 5, "sip.180.received", call=LEG),
          st(r200, "sip.200.received", call=LEG),
          st(r200 + 0.1, "media.ice.start", call=CID, detail="controlling"),
          st(media_done, "media.ice.done", call=CID, detail="")]
    return sorted(s, key=lambda x: x["t"])


def ice_callee(inv=300, client_200=320, gathered=380, sent_200=381):
    s = [flow(51.5, "sip.connect.start", "responder", "b"),
         flow(52, "sip.ice.gather.start", "responder", "b"),
         flow(82, "sip.ice.gather.done", "responder", "b"),
         flow(83, "sip.connect.done", "responder", "b"),
         st(inv - 0.1, "media.ice.gather.start", "b", call=LEG, detail=""),
         st(inv, "sip.invite.received", "b", call=LEG),
         st(inv + 0.2, "sip.invite.sent", "b", call=LEG, leg_call=DLEG),
         st(client_200, "sip.200.received", "b", call=DLEG),
         st(gathered, "media.ice.gather.done", "b", call=LEG, detail=""),
         st(sent_200, "sip.200.sent", "b", call=LEG)]
    return sorted(s, key=lambda x: x["t"])


def hip_caller(r200=300):
    return [st(0, "sip.invite.received", call=CID),
            st(0.1, "sip.lookup.start", call=CID, aor="sip:bob@x"),
            st(10, "sip.lookup.done", call=CID, aor="sip:bob@x", err=0),
            st(10.2, "sip.connect.start", peer=f"[{CALLEE_HIT}]:5062"),
            st(10.3, "sip.invite.sent", call=CID, leg_call=LEG),
            st(r200, "sip.200.received", call=LEG)]


def hip_hipd(bex=True):
    if not bex:
        return [st(-5000, "nat.gather.start"), st(-4990, "nat.gather.done", candidates="3",
                                                    ms=10.0)]
    p = {"peer": CALLEE_HIT}
    return [st(-5000, "nat.gather.start"),
            st(-4990, "nat.gather.done", candidates="3", ms=10.0),
            st(10.5, "dp.trigger", **p),
            st(10.6, "bex.i1_sent", transport="overlay", **p),
            st(60, "bex.r1_received", **p), st(65, "bex.i2_sent", **p),
            st(115, "bex.r2_received", **p), st(115.2, "bex.established", role="initiator", **p),
            st(115.3, "ice.checks.start", detail="4", **p),
            st(185, "ice.checks.done", detail="srflx", **p),
            st(185.1, "ice.connected", local_type="srflx", **p)]


def ms(r):
    return {k: round(v / MS, 3) for k, v in r["components"].items()}


class Components(unittest.TestCase):
    def check_partition(self, r):
        self.assertEqual(sum(r["components"].values()), r["total_ns"])
        self.assertEqual(r["total_ns"], r["end_ns"] - r["start_ns"])
        self.assertEqual(set(r["components"]), set(comp.COMPONENTS))

    def test_ice_fresh_call_partitions_the_timeline_in_stamp_order(self):
        r = comp.call_components("ice", ice_caller(), ice_callee(), call_id=CID)
        self.check_partition(r)
        m = ms(r)
        self.assertEqual(m["lookup"], 9.9)  # invite.received 0.1 .. lookup.done 10
        self.assertEqual(m["candidates_sip"], 39.9 + 30)  # caller's gather + callee's, nested
        self.assertEqual(m["ice_sip"], 150)
        self.assertEqual(m["connect"], 1 + 0.1 + (60 - 30) + 1)
        self.assertEqual(m["candidates_media"], 60)  # the callee held its 200 from 320 to 380
        self.assertEqual(m["invite"], (420 - 262) - 60)
        self.assertEqual(m["ice_media"], 280)
        self.assertEqual(r["total_ns"], int(700 * MS) - int(0.1 * MS))

    def test_ice_caller_gathering_past_the_lookup_is_candidates_media(self):
        # the offer waits for the caller's media candidates after the lookup ended
        r = comp.call_components("ice", ice_caller(gather_done=25), ice_callee(), call_id=CID)
        self.check_partition(r)
        self.assertEqual(ms(r)["lookup"], 9.9)
        self.assertEqual(ms(r)["candidates_media"], 15 + 60)

    def test_ice_gathering_hidden_behind_the_lookup_counts_as_lookup(self):
        r = comp.call_components("ice", ice_caller(gather_done=3),
                                 ice_callee(client_200=380.5, gathered=380, sent_200=380.6),
                                 call_id=CID)
        self.assertEqual(ms(r)["candidates_media"], 0)

    def test_ice_media_checks_done_before_the_200_count_zero(self):
        r = comp.call_components("ice", ice_caller(media_done=410), ice_callee(), call_id=CID)
        self.check_partition(r)
        self.assertEqual(ms(r)["ice_media"], 0)
        self.assertEqual(r["end_ns"], int(420 * MS))

    def test_ice_reused_flow_has_no_sip_candidates_or_checks(self):
        r = comp.call_components("ice", ice_caller(flow_new=False), ice_callee(), call_id=CID)
        self.check_partition(r)
        self.assertEqual(ms(r)["candidates_sip"], 0)
        self.assertEqual(ms(r)["ice_sip"], 0)
        self.assertEqual(ms(r)["connect"], 0.5)
        self.assertFalse(r["info"]["sip_flow_new"])

    def test_stamps_out_of_order_are_clamped_and_still_add_up(self):
        s = ice_caller()
        for x in s:  # the answer stamped before the gathering ended (clock skew, reordering)
            if x["ev"] == "sip.connect.done":
                x["t"] = int(20 * MS)
        r = comp.call_components("ice", sorted(s, key=lambda x: x["t"]), ice_callee(),
                                 call_id=CID)
        self.check_partition(r)

    def test_hip_fresh_call_connect_is_the_bex_up_to_the_checks(self):
        r = comp.call_components("hip", hip_caller(), [], hip_hipd(), call_id=CID,
                                 callee_hit=CALLEE_HIT)
        self.check_partition(r)
        m = ms(r)
        self.assertEqual(m["lookup"], 10)
        self.assertEqual(m["connect"], 105.3)  # lookup.done .. ice.checks.start
        self.assertEqual(m["ice_sip"], 69.8)  # ICE for HIP
        self.assertEqual(m["invite"], 300 - 185.1)
        for k in ("candidates_sip", "candidates_media", "ice_media"):
            self.assertEqual(m[k], 0, k)
        self.assertTrue(r["info"]["bex"])
        self.assertEqual(r["info"]["hip_gather_ms"], 10.0)

    def test_hip_callee_hit_comes_from_the_sip_connect_stamp(self):
        r = comp.call_components("hip", hip_caller(), [], hip_hipd(), call_id=CID)
        self.assertEqual(ms(r)["ice_sip"], 69.8)

    def test_hip_association_up_leaves_connect_to_the_socket(self):
        r = comp.call_components("hip", hip_caller(r200=20), [], hip_hipd(bex=False),
                                 call_id=CID, callee_hit=CALLEE_HIT)
        self.check_partition(r)
        self.assertEqual(ms(r)["connect"], 0.3)
        self.assertEqual(ms(r)["ice_sip"], 0)
        self.assertFalse(r["info"]["bex"])

    def test_hip_bex_long_before_the_call_is_not_the_calls(self):
        old = [dict(x, t=x["t"] - 100_000 * MS) for x in hip_hipd()]
        r = comp.call_components("hip", hip_caller(r200=20), [], old, call_id=CID,
                                 callee_hit=CALLEE_HIT)
        self.check_partition(r)
        self.assertEqual(ms(r)["ice_sip"], 0)
        self.assertFalse(r["info"]["bex"])

    def test_hip_bex_started_before_the_call_counts_the_wait_from_the_lookup(self):
        # overlay traffic started the BEX; the INVITE still waited for its ICE
        early = [dict(x, t=x["t"] - 150 * MS) if x["t"] > 0 else x for x in hip_hipd()]
        r = comp.call_components("hip", hip_caller(), [], early, call_id=CID,
                                 callee_hit=CALLEE_HIT)
        self.check_partition(r)
        self.assertEqual(ms(r)["connect"], 0)
        self.assertEqual(ms(r)["ice_sip"], 25.1)
        self.assertTrue(r["info"]["bex_started_before_call"])
        self.assertFalse(r["info"]["bex"])

    def test_hip_without_nat_traversal_connect_ends_at_established(self):
        plain = [x for x in hip_hipd() if not x["ev"].startswith("ice.")]
        r = comp.call_components("hip", hip_caller(), [], plain, call_id=CID,
                                 callee_hit=CALLEE_HIT)
        self.assertEqual(ms(r)["connect"], 105.2)
        self.assertEqual(ms(r)["ice_sip"], 0)
        self.assertTrue(r["info"]["bex"])

    def test_hip_bex_without_its_end_is_an_error(self):
        cut = [x for x in hip_hipd() if x["t"] < 100 * MS]
        with self.assertRaisesRegex(comp.StampError, "no bex.established"):
            comp.call_components("hip", hip_caller(), [], cut, call_id=CID,
                                 callee_hit=CALLEE_HIT)

    def test_hip_bex_with_other_peers_is_not_the_calls(self):
        other = [dict(x, peer="2001:22::1") for x in hip_hipd()]
        r = comp.call_components("hip", hip_caller(), [], other, call_id=CID,
                                 callee_hit=CALLEE_HIT)
        self.assertEqual(ms(r)["ice_sip"], 0)

    def test_missing_200_is_a_clear_error(self):
        s = [x for x in ice_caller() if x["ev"] != "sip.200.received"]
        with self.assertRaisesRegex(comp.StampError, "sip.200.received"):
            comp.call_components("ice", s, ice_callee(), call_id=CID)

    def test_missing_media_ice_done_names_the_failure(self):
        s = [x for x in ice_caller() if x["ev"] != "media.ice.done"]
        s.append(st(600, "media.ice.failed", call=CID, detail="no pair"))
        with self.assertRaisesRegex(comp.StampError, "media.ice.failed: no pair"):
            comp.call_components("ice", s, ice_callee(), call_id=CID)

    def test_missing_flow_stamp_is_named(self):
        s = [x for x in ice_caller() if x["ev"] != "sip.ice.start"]
        with self.assertRaisesRegex(comp.StampError, "sip.ice.start"):
            comp.call_components("ice", s, ice_callee(), call_id=CID)

    def test_hip_without_any_callee_hit_is_an_error(self):
        s = [x for x in hip_caller() if x["ev"] != "sip.connect.start"]
        with self.assertRaisesRegex(comp.StampError, "callee's HIT"):
            comp.call_components("hip", s, [], hip_hipd(), call_id=CID)

    def test_unknown_call_id_is_an_error(self):
        with self.assertRaisesRegex(comp.StampError, "sip.lookup.start for call nope"):
            comp.call_components("ice", ice_caller(), ice_callee(), call_id="nope")

    def test_failed_lookup_is_an_error(self):
        s = [dict(x, err=-2) if x["ev"] == "sip.lookup.done" else x for x in ice_caller()]
        with self.assertRaisesRegex(comp.StampError, "lookup failed"):
            comp.call_components("ice", s, ice_callee(), call_id=CID)

    def test_stamp_file_with_a_bad_line_names_it(self):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write('{"t": 1, "ev": "x"}\n{"t": "soon", "ev": "y"}\n{"t": 3, "ev": "z"}\n')
        try:
            with self.assertRaisesRegex(comp.StampError, r":2: a stamp needs"):
                comp.load_stamps(f.name)
        finally:
            os.unlink(f.name)


def stun_check(user, prio, tb, controlling=True, mtype=0x0001):
    def attr(t, v):
        return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)
    body = attr(0x0006, user.encode()) + attr(0x0024, struct.pack("!I", prio)) + \
        attr(0x802A if controlling else 0x8029, struct.pack("!Q", tb))
    return struct.pack("!HHI", mtype, len(body), 0x2112A442) + b"\1" * 12 + body


def pkt(t, src, sport, dst, dport, payload, proto=17):
    return pcapstats.Pkt(t, len(payload) + 42, src, dst, proto, sport, dport, payload)


class Pcap(unittest.TestCase):
    def test_kinds_by_marker_magic_and_port(self):
        cases = [
            (pkt(0, "a", 10500, "b", 10500, b"\0\0\0\0" + b"x" * 40), "hip"),
            (pkt(0, "a", 10500, "b", 10500, b"\0\0\1\2" + b"x" * 40), "esp"),
            (pkt(0, "a", 10500, "s", 3478, stun_check("x:y", 1, 2)), "stun_turn"),
            (pkt(0, "a", 5000, "s", 3478, b"\x40\x00\x00\x04abcd"), "stun_turn"),
            (pkt(0, "a", 5000, "b", 6000, b"INVITE sip:bob@x SIP/2.0\r\n"), "sip"),
            (pkt(0, "a", 5000, "b", 6000, b"\x80\x00" + b"\0" * 10), "rtp"),
            (pkt(0, "a", 5000, "b", 6000, b"\x81\xc8" + b"\0" * 10), "rtcp"),
            (pkt(0, "a", 6084, "b", 6084, b"\x40\x00\x05\x04" + struct.pack("!I", 0x596ABF0D)),
             "p2pp"),
            (pkt(0, "a", 0, "b", 0, b"", proto=139), "hip"),
            (pkt(0, "a", 0, "b", 0, b"", proto=1), "other")]
        for p, kind in cases:
            self.assertEqual(pcapstats.classify(p), kind, p)

    def test_sent_counts_only_own_source_in_the_window(self):
        pk = [pkt(1.0, "a", 1, "b", 2, b"\x80\0" + b"\0" * 10),
              pkt(1.5, "b", 2, "a", 1, b"\x80\0" + b"\0" * 10),
              pkt(2.5, "a", 1, "p", 6084, b"zz" * 10)]
        c = pcapstats.sent_counts(pk, {"a"}, 0.5, 2.0, {"b"})
        self.assertEqual(c["packets"], 1)
        self.assertEqual(c["by_kind"]["rtp"][0], 1)
        self.assertEqual(c["by_dest"]["peer"][0], 1)

    def test_a_check_gives_username_component_and_tiebreaker(self):
        # RFC 8445 5.1.2.1: the low byte of the priority is 256 - component ID
        c = pcapstats._check(stun_check("bbbb:aaaa", (110 << 24) | (65535 << 8) | 255, 42))
        self.assertEqual(c, ("bbbb:aaaa", 1, 42))
        self.assertIsNone(pcapstats._check(stun_check("x:y", 1, 2, mtype=0x0101)))  # response
        self.assertIsNone(pcapstats._check(b"\0\1\0\4" + b"\0" * 10))  # truncated

    def test_checks_inside_turn_send_and_channel_data_are_found(self):
        inner = stun_check("bbbb:aaaa", 0x6EFFFFFE, 9)  # component 2
        data = struct.pack("!HH", 0x0013, len(inner)) + inner
        send = struct.pack("!HHI", 0x0016, len(data), 0x2112A442) + b"\2" * 12 + data
        chan = struct.pack("!HH", 0x4001, len(inner)) + inner
        pk = [pkt(1, "a", 5000, "s", 3478, send), pkt(2, "a", 5000, "s", 3478, chan)]
        cs = pcapstats.checks_sent(pk, {"a"})
        self.assertEqual([(c.username, c.component, c.tiebreaker) for c in cs],
                         [("bbbb:aaaa", 2, 9)] * 2)

    def Checks(self, rows):
        return [pcapstats.Check(t, local, u, comp, tb) for t, local, u, comp, tb in rows]

    def test_ice_runs_pair_the_two_sides_and_split_by_agent(self):
        a = self.Checks([  # hip: the same HIT ufrags twice, a new agent (tie-breaker) each time
            (10.0, ("a", 10500), "bbbb:aaaa", 1, 1), (10.1, ("a", 10500), "bbbb:aaaa", 1, 1),
            (15.0, ("a", 10500), "bbbb:aaaa", 1, 1),  # consent: same agent, no new run
            (50.0, ("a", 10500), "bbbb:aaaa", 1, 3),
            (12.0, ("a", 7000), "pppp:aaaa", 1, 5)])  # an overlay peer: not the callee's
        b = self.Checks([(10.05, ("b", 10500), "aaaa:bbbb", 1, 2),
                         (50.1, ("b", 10500), "aaaa:bbbb", 1, 4)])
        runs = pcapstats.ice_runs(a, b)
        self.assertEqual([(r["t"], r["kind"], r["sides"]) for r in runs],
                         [(10.0, "hip", 2), (50.0, "hip", 2)])

    def test_a_run_between_the_hit_ufrags_is_hips_behind_a_port_changing_nat(self):
        ua, ub = pcapstats.hit_ufrag(CALLER_HIT), pcapstats.hit_ufrag(CALLEE_HIT)
        self.assertEqual(ua, "0eac6359")  # RFC 5770 5.2: the last 32 bits, hex
        a = self.Checks([(1.0, ("a", 28673), f"{ub}:{ua}", 1, 1)])
        b = self.Checks([(1.1, ("b", 53688), f"{ua}:{ub}", 1, 2)])
        self.assertEqual(pcapstats.ice_runs(a, b)[0]["kind"], "other")
        self.assertEqual(pcapstats.ice_runs(a, b, hip_ufrags=[ua, ub])[0]["kind"], "hip")

    def test_ice_mode_first_call_has_sip_rtp_and_rtcp_runs(self):
        a = self.Checks([(1.0, ("a", 4000), "B1:A1", 1, 1), (2.0, ("a", 20000), "B2:A2", 1, 2),
                         (2.1, ("a", 20001), "B2:A2", 2, 2)])
        b = self.Checks([(1.01, ("b", 4100), "A1:B1", 1, 7), (2.01, ("b", 20000), "A2:B2", 1, 8),
                         (2.11, ("b", 20001), "A2:B2", 2, 8)])
        kinds = {("a", 4000): {"sip"}}
        self.assertEqual([r["kind"] for r in pcapstats.ice_runs(a, b, kinds)],
                         ["sip", "rtp", "rtcp"])


class Clock(unittest.TestCase):
    def test_meta_clock_gives_the_exact_offset(self):
        off, warn = pcapstats.mono_to_wall_offset(
            {"clock": {"monotonic_ns": 5 * 10**9, "realtime_ns": 1_700_000_005 * 10**9}})
        self.assertEqual((off, warn), (1_700_000_000.0, None))

    def test_without_meta_clock_another_boot_is_warned(self):
        self.assertIsNotNone(pcapstats.mono_to_wall_offset({"boot_id": "not-this-one"})[1])
        if pcapstats.boot_id():
            self.assertIsNone(pcapstats.mono_to_wall_offset({"boot_id": pcapstats.boot_id()})[1])


def write_case(root, name, mode, calls, caller, callee, hipd=None, hit=CALLEE_HIT):
    d = os.path.join(root, name)
    for h, s in (("caller", caller), ("callee", callee)):
        os.makedirs(os.path.join(d, h))
        with open(os.path.join(d, h, "p2psipd.jsonl"), "w") as f:
            f.writelines(json.dumps(x) + "\n" for x in s)
    if hipd is not None:
        with open(os.path.join(d, "caller", "hipd.jsonl"), "w") as f:
            f.writelines(json.dumps(x) + "\n" for x in hipd)
    meta = {"case": name, "mode": mode, "nat": name.split("-")[1],
            "hosts": {"caller": {"addr": "192.0.2.2", "hit": CALLER_HIT},
                      "callee": {"addr": "198.51.100.2", "hit": hit}}}
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f)
    with open(os.path.join(d, "calls.jsonl"), "w") as f:
        f.writelines(json.dumps(c) + "\n" for c in calls)
    return d


def call(i, ok=True, cid=CID, second=False, error=None):
    return {"index": i, "second": second, "ok": ok, "call_id": cid, "t_start_ns": -MS,
            "t_answered_ns": 500 * MS, "t_end_ns": 5000 * MS, "tone_ok": ok, "fresh": True,
            "error": error}


class Report(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "raw")
        os.makedirs(self.root)

    def tearDown(self):
        self.tmp.cleanup()

    def run_report(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = report.main(list(args))
        return rc, out.getvalue(), err.getvalue()

    def test_failed_calls_are_listed_and_left_out(self):
        write_case(self.root, "ice-good", "ice",
                   [call(0), call(1, ok=False, cid="x", error="408 Request Timeout"),
                    call(2, cid="gone")], ice_caller(), ice_callee())
        write_case(self.root, "hip-good", "hip", [call(0)], hip_caller(), [], hip_hipd())
        j, cj = os.path.join(self.tmp.name, "o.json"), os.path.join(self.tmp.name, "c.json")
        rc, out, _ = self.run_report(self.tmp.name, "--json", j, "--calls-json", cj)
        self.assertEqual(rc, 0)
        with open(j) as f:
            res = json.load(f)
        self.assertEqual(res["bench"], "eval")
        self.assertEqual(set(res["machine"]), {"cpu", "cores"})
        m = {(r["case"], r["metric"]): r["value"] for r in res["results"]}
        self.assertEqual(m[("ice-good", "calls_ok")], 1)
        self.assertEqual(m[("ice-good", "calls_failed")], 2)
        self.assertAlmostEqual(m[("ice-good", "total_ms_mean")], 699.9, places=3)
        self.assertAlmostEqual(m[("hip-good", "total_ms_mean")], 300 - 0, places=3)
        self.assertAlmostEqual(m[("good", "total_reduction_pct")],
                               100 * (699.9 - 300) / 699.9, places=2)
        for c in report.COLUMNS:
            for k in ("mean", "median", "sd"):
                self.assertIn(("hip-good", f"{c}_ms_{k}"), m)
        self.assertIn("408 Request Timeout", out)
        self.assertIn("sip.lookup.start for call gone", out)
        with open(cj) as f:
            calls = json.load(f)["cases"]
        ice = [c for c in calls if c["case"] == "ice-good"][0]["calls"]
        self.assertEqual([c["ok"] for c in ice], [True, False, False])
        self.assertEqual(sum(ice[0]["components_ns"].values()), ice[0]["total_ns"])
        self.assertTrue(ice[0]["sum_ok"])
        self.assertAlmostEqual(ice[0]["measured_ms"], 501.0)

    def test_second_calls_are_their_own_case(self):
        write_case(self.root, "hip-bad", "hip", [call(0), call(1, second=True)],
                   hip_caller(), [], hip_hipd())
        cases, summaries, _, _ = report.build(self.root)
        self.assertEqual([s["case"] for s in summaries], ["hip-bad", "hip-bad-second"])

    def test_missing_raw_dir_and_missing_files_are_clear_errors(self):
        rc, _, err = self.run_report(os.path.join(self.tmp.name, "nope"))
        self.assertEqual(rc, 2)
        self.assertIn("no such directory", err)
        rc, _, err = self.run_report(self.root)
        self.assertEqual(rc, 2)
        self.assertIn("no case directories", err)
        d = write_case(self.root, "ice-bad", "ice", [call(0)], ice_caller(), ice_callee())
        os.unlink(os.path.join(d, "callee", "p2psipd.jsonl"))
        rc, _, err = self.run_report(self.root)
        self.assertEqual(rc, 2)
        self.assertIn("callee/p2psipd.jsonl: missing", err)

    def test_hip_case_needs_the_callers_hipd_stamps(self):
        write_case(self.root, "hip-good", "hip", [call(0)], hip_caller(), [])
        with self.assertRaisesRegex(analyze.RawError, "hipd.jsonl: missing"):
            report.build(self.root)

    def test_missing_captures_give_a_warning_not_an_error(self):
        write_case(self.root, "ice-good", "ice", [call(0)], ice_caller(), ice_callee())
        rc, out, _ = self.run_report(self.root)
        self.assertEqual(rc, 0)
        self.assertIn("host.pcap: missing", out)

    def test_check_demands_ok_calls_inside_the_runners_interval_and_the_expected_runs(self):
        write_case(self.root, "ice-good", "ice", [call(0), call(1, cid="gone")],
                   ice_caller(), ice_callee())
        cases, _, _, _ = report.build(self.root)
        c = cases[0]["calls"][0]
        c["ice_runs_by_kind"] = {"hip": 0, "sip": 1, "rtp": 1, "rtcp": 1, "overlay": 0}
        bad = report.check(cases, 1000)
        self.assertEqual(len(bad), 1, bad)
        self.assertIn("call 1: failed", bad[0])
        c["ice_runs_by_kind"]["rtcp"] = 0  # the RTCP component never ran ICE
        self.assertTrue(any("expected" in b for b in report.check(cases, 1000)))
        c["ice_runs_by_kind"]["rtcp"] = 1
        c["t_answered_ns"] = c["info"]["t_200_ns"] - 1  # answered before the 200 arrived
        self.assertTrue(any("not inside" in b for b in report.check(cases, 1000)))
        c["t_answered_ns"] = c["info"]["t_200_ns"] + 2000 * MS
        self.assertTrue(any("more than the stamps" in b for b in report.check(cases, 1000)))

    def test_help(self):
        with self.assertRaises(SystemExit) as e, contextlib.redirect_stdout(io.StringIO()):
            report.main(["--help"])
        self.assertEqual(e.exception.code, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
