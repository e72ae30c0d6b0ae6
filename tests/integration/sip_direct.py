#!/usr/bin/env python3
# Lab driver of test_sip_direct.sh: direct baresip-to-baresip calls both ways (tone found
# at the callee, clean hang-up, tshark clean) and baresip towards an outbound proxy that is
# not there (its REGISTER and INVITE caught by a UDP sink). Not a p2psipd test.
"""Prints TAP; exit 0 when every check passed. Needs root and an hiplab lab that is up
with two hosts on one link (the namespaces and addresses are arguments)."""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sipcall  # noqa: E402
from sipcall import Account, Baresip  # noqa: E402

TONE_S = 3.0  # how long the tone is listened to in each call
N = 0
FAILS = 0


def check(what, cond, detail=""):
    global N, FAILS
    N += 1
    if cond:
        print(f"ok {N} - {what}")
    else:
        FAILS += 1
        print(f"not ok {N} - {what}")
        if detail:
            for line in str(detail).splitlines():
                print(f"#   {line}")
    sys.stdout.flush()
    return cond


def note(text):
    for line in str(text).splitlines():
        print(f"# {line}")
    sys.stdout.flush()


class Capture:
    """hiplab capture of a link into a pcap, until stop()."""

    def __init__(self, hiplab, lab, link, path):
        self.path, self.log = path, path + ".log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([hiplab, "capture", "--lab", lab, link, "-w", path],
                                         stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            with open(self.log, "rb") as f:
                if b"listening on" in f.read():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"capture did not start: {open(self.log).read()}")

    def stop(self):
        if self.proc.poll() is None:
            time.sleep(0.3)  # let the last frames in
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def client(args, side, source, name):
    """Baresip on host SIDE ('a' or 'b') listening on its lab address, port 5060."""
    ns, addr = (args.ns_a, args.addr_a) if side == "a" else (args.ns_b, args.addr_b)
    return Baresip(name, os.path.join(args.dir, name), netns=ns,
                   sip_listen=f"{addr}:5060", account=Account(f"sip:{side}@{addr}"),
                   source_wav=source, ctrl="127.0.0.1:4444", rtp_ports=(16000, 16099))


def report_call(res, send_hz, back_hz):
    """TAP lines for one sipcall.CallResult."""
    lb = res.label
    check(f"{lb}: established, RTP both ways (setup {res.setup_s} s)", res.established,
          res.failures)
    check(f"{lb}: CALL_CLOSED at both ends {res.closed}",
          res.closed and all(v is not None for v in res.closed.values()))
    check(f"{lb}: no AUDIO_ERROR (the source WAVs outlast the call)", not res.audio_errors,
          res.audio_errors)
    r = res.at_callee
    note(f"at the callee: {r}")
    check(f"{lb}: {send_hz} Hz found at the callee"
          + (f" (in {r.fraction:.0%} of {r.frames} frames, dominant {r.dominant_hz} Hz)" if r else ""),
          r is not None and r.found and r.seconds >= TONE_S - 0.5, r)
    r = res.control
    note(f"control at the caller: {r}")
    check(f"{lb}: {send_hz} Hz not at the caller (control)", r is not None and not r.found, r)
    if back_hz is None:
        check(f"{lb}: the caller's recording is silent", r is not None and r.level_dbfs < -45, r)
    else:
        r = res.back
        check(f"{lb}: {back_hz} Hz found at the caller", r is not None and r.found, r)
    check(f"{lb}: nothing else wrong", res.ok, res.failures)


def quit_both(label, *clients):
    codes = tuple(c.quit() for c in clients)
    check(f"{label}: both baresip quit with status 0", codes == (0,) * len(clients), codes)


def calls(args, tones):
    """Fresh clients, a->b with the callee silent; then one pair of clients that calls
    both ways (b->a, a->b) with a tone each, the callee hanging up the second call."""
    a1, b1 = client(args, "a", tones[1000], "a1"), client(args, "b", tones[0], "b1")
    with a1, b1:
        a1.start()
        b1.start()
        report_call(sipcall.run_call(a1, b1, f"sip:b@{args.addr_b}", send_hz=1000,
                                     listen_s=TONE_S, label="a->b"), 1000, None)
        quit_both("a->b", a1, b1)
    a2, b2 = client(args, "a", tones[1500], "a2"), client(args, "b", tones[1000], "b2")
    with a2, b2:
        a2.start()
        b2.start()
        report_call(sipcall.run_call(b2, a2, f"sip:a@{args.addr_a}", send_hz=1000,
                                     back_hz=1500, listen_s=TONE_S, label="b->a"), 1000, 1500)
        report_call(sipcall.run_call(a2, b2, f"sip:b@{args.addr_b}", send_hz=1500,
                                     back_hz=1000, listen_s=TONE_S, hangup_by="callee",
                                     label="a->b again, callee hangs up"), 1500, 1000)
        quit_both("both ways", a2, b2)


def check_capture(args, pcap):
    rep = sipcall.tshark_check(pcap)
    note(f"tshark: {rep.frames} frames, {rep.counts}")
    check("tshark: the capture has SIP and SDP", rep.counts["sip"] >= 15 and rep.counts["sdp"] >= 6,
          rep.counts)
    check("tshark: the capture has RTP and RTCP", rep.counts["rtp"] >= 600 and rep.counts["rtcp"] >= 3,
          rep.counts)
    check("tshark: no malformed frame, no expert warning", rep.ok, rep.problems[:20] or rep.error)
    msgs = [m[5] for m in sipcall.sip_messages(pcap)]
    first = {}
    for m in msgs:
        kind = sipcall.sip_method(m)
        if kind == "SIP/2.0":
            kind = f"{sipcall.sip_status(m)}-{(sipcall.sip_header(m, 'CSeq') or ' ?').split()[-1]}"
        first.setdefault(kind, m)
    note(f"SIP messages in the capture: {sorted(first)}")
    invite, ok = first.get("INVITE"), first.get("200-INVITE")
    check("the capture has the caller's INVITE with an SDP offer and the 200 with the answer",
          invite and ok and b"m=audio " in sipcall.sip_body(invite)
          and b"m=audio " in sipcall.sip_body(ok))
    if invite and ok:
        save_seed(args, "sip_msg", "baresip-invite.txt", invite)
        save_seed(args, "sdp", "baresip-offer.sdp", sipcall.sip_body(invite))
        save_seed(args, "sip_msg", "baresip-200-invite.txt", ok)
        save_seed(args, "sdp", "baresip-answer.sdp", sipcall.sip_body(ok))
        for kind, name in (("ACK", "ack"), ("BYE", "bye"), ("180-INVITE", "180"),
                           ("200-BYE", "200-bye")):
            if kind in first:
                save_seed(args, "sip_msg", f"baresip-{name}.txt", first[kind])


def save_seed(args, corpus, name, data):
    if not args.save_seeds:
        return
    d = os.path.join(args.save_seeds, corpus)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    note(f"seed saved: {corpus}/{name} ({len(data)} bytes)")


def is_req(method, expires0=None):
    def pred(d):
        if sipcall.sip_method(d) != method:
            return False
        if expires0 is None:
            return True
        return ("expires=0" in (sipcall.sip_header(d, "Contact") or "")) == expires0
    return pred


def outbound(args):
    """baresip with an outbound proxy on 127.0.0.1:5060 (where p2psipd will be) and only
    a UDP socket there: REGISTER and INVITE arrive routed to the proxy; the socket then
    plays a minimal proxy (200 to REGISTER, 100/487 to INVITE, 200 to CANCEL) so that the
    CANCEL, the ACK and the un-REGISTER on quit are seen too, and baresip ends cleanly."""
    silence = sipcall.write_silence_wav(os.path.join(args.dir, "silence.wav"), 60)
    b = Baresip.behind_proxy("alice", os.path.join(args.dir, "alice"), netns=args.ns_a,
                             aor="sip:alice@p2psip.test", source_wav=silence,
                             rtp_ports=(16100, 16199))
    route_ok = lambda d: sipcall.sip_header(d, "Route") == "<sip:127.0.0.1:5060;lr>"
    with sipcall.UdpSink("127.0.0.1", 5060, ns=args.ns_a) as sink, b:
        b.start()
        got = sink.wait_for(is_req("REGISTER"), 10)
        check("outbound: baresip's REGISTER reaches 127.0.0.1:5060 (nothing answers)",
              got is not None, b.log_tail())
        if not got:
            return
        reg, src = got
        note(reg.decode("utf-8", "replace"))
        check("outbound: REGISTER sip:p2psip.test, Route <sip:127.0.0.1:5060;lr>, "
              "To alice@p2psip.test, Contact on 127.0.0.1:5070 with expires=600",
              reg.startswith(b"REGISTER sip:p2psip.test SIP/2.0\r\n") and route_ok(reg)
              and "sip:alice@p2psip.test" in (sipcall.sip_header(reg, "To") or "")
              and "@127.0.0.1:5070>;expires=600" in (sipcall.sip_header(reg, "Contact") or ""))
        save_seed(args, "sip_msg", "baresip-register.txt", reg)
        again = sink.wait_for(is_req("REGISTER"), 3)
        check("outbound: an unanswered REGISTER is retransmitted (UDP, Timer E)",
              again is not None and sipcall.sip_header(again[0], "CSeq")
              == sipcall.sip_header(reg, "CSeq"))
        m = b.mark()
        contact = sipcall.sip_header(reg, "Contact")
        sink.send(sipcall.sip_response(reg, 200, "OK", headers=[f"Contact: {contact}"]), src)
        try:
            b.wait_registered(5, since=m)
            registered = True
        except sipcall.BaresipError as e:
            registered = False
            note(e)
        check("outbound: a 200 to the REGISTER gives REGISTER_OK", registered)

        b.dial("sip:bob@p2psip.test")
        got = sink.wait_for(is_req("INVITE"), 10)
        inv = got[0] if got else None
        check("outbound: the INVITE to sip:bob@p2psip.test reaches the proxy with an SDP offer",
              inv is not None and inv.startswith(b"INVITE sip:bob@p2psip.test SIP/2.0\r\n")
              and route_ok(inv) and b"m=audio " in sipcall.sip_body(inv), inv)
        if not inv:
            return
        note(inv.decode("utf-8", "replace"))
        save_seed(args, "sip_msg", "baresip-invite-outbound.txt", inv)
        sink.send(sipcall.sip_response(inv, 100, "Trying"), got[1])
        time.sleep(0.2)
        b.hangup()
        got = sink.wait_for(is_req("CANCEL"), 5)
        check("outbound: hangup after 100 Trying sends CANCEL through the proxy",
              got is not None and route_ok(got[0]), b.log_tail())
        if got:
            save_seed(args, "sip_msg", "baresip-cancel.txt", got[0])
            sink.send(sipcall.sip_response(got[0], 200, "OK"), got[1])
            sink.send(sipcall.sip_response(inv, 487, "Request Terminated"), got[1])
            ack = sink.wait_for(is_req("ACK"), 5)
            check("outbound: the 487 is ACKed", ack is not None)
            if ack:
                save_seed(args, "sip_msg", "baresip-ack-487.txt", ack[0])
        m = b.mark()
        b.dial("sip:nobody@p2psip.test")
        got = sink.wait_for(lambda d: sipcall.sip_method(d) == "INVITE"
                            and d.startswith(b"INVITE sip:nobody@"), 5)
        if got:
            sink.send(sipcall.sip_response(got[0], 404, "Not Found"), got[1])
        try:
            closed = b.wait_event("CALL_CLOSED", 5, since=m).get("param")
        except sipcall.BaresipError as e:
            closed = str(e)
        ack = sink.wait_for(lambda d: sipcall.sip_method(d) == "ACK"
                            and d.startswith(b"ACK sip:nobody@"), 5)
        check(f"outbound: a 404 to an INVITE is ACKed and closes the call ({closed!r})",
              got is not None and ack is not None and "404" in (closed or ""))
        b.command("quit", timeout=2.0)
        got = sink.wait_for(is_req("REGISTER", expires0=True), 5)
        check("outbound: quit sends an un-REGISTER (Contact ...;expires=0)", got is not None,
              b.log_tail())
        if got:
            save_seed(args, "sip_msg", "baresip-unregister.txt", got[0])
            sink.send(sipcall.sip_response(got[0], 200, "OK"), got[1])
        code = b.quit(timeout=5.0)
        check("outbound: baresip exits with status 0 once the un-REGISTER is answered",
              code == 0, code)
        kinds = sorted({sipcall.sip_method(d) for _, d in sink.received})
        note(f"the sink received {len(sink.received)} datagrams: {kinds}")


def main():
    ap = argparse.ArgumentParser()
    for a in ("ns-a", "ns-b", "addr-a", "addr-b", "lab", "dir", "hiplab"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--link", default="lan")
    ap.add_argument("--save-seeds", help="write the seeds into DIR/sip_msg and DIR/sdp")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("baresip") is None:
        print("1..0 # SKIP baresip missing")
        return 77
    tones = {f: sipcall.write_tone_wav(os.path.join(args.dir, f"tone{f}.wav"), f, 60)
             for f in (1000, 1500)}
    tones[0] = sipcall.write_silence_wav(os.path.join(args.dir, "silence.wav"), 60)
    pcap = os.path.join(args.dir, "link.pcap")
    cap = Capture(args.hiplab, args.lab, args.link, pcap)
    try:
        calls(args, tones)
    finally:
        cap.stop()
    check_capture(args, pcap)
    outbound(args)
    print(f"1..{N}")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
