# The components of one call's session establishment delay (the paper's Fig. 6), from the
# daemons' event stamps. Not the RAW directory reading (analyze.py) nor the statistics (report.py).
"""Components of a call's session establishment delay, from event stamps.

Stamps are JSON lines {"t": CLOCK_MONOTONIC ns, "node": ..., "ev": ..., ...} written by
p2psipd (--stamp) and hipd (--stamps); every host shares the clock.

The call's timeline
-------------------
start  S = the caller's p2psipd gets the client's INVITE (sip.invite.received, call = the
           client's Call-ID; sip.lookup.start when that is missing).
end    E = the session is ready: the caller's p2psipd has the 200 (sip.200.received for the
           leg towards the callee) and, in ice mode, its media ICE agent is connected for both
           components (media.ice.done), whichever is later.
total  = E - S.

The components partition [S, E]: the timeline is cut at boundaries taken from the stamps in
time order, each piece goes to exactly one component, and a boundary that a stamp would put
before the previous one (or after E) is clamped to it. So the components add up to the total
to the nanosecond, whatever the stamps say.

Where our phases overlap, each piece of time goes to the phase that the call was waiting for
(the critical path); the rule per overlap is written below. Components that do not exist in a
mode are 0.

ice mode (caller C, callee D; the SIP connection is a P2PP Connect + ICE "flow"):
  lookup            [S, C sip.lookup.done]. C's media candidate gathering starts with the call
                    and runs during the lookup; while the lookup runs, it is not waited for.
  candidates_media  (1) [lookup.done, C media.ice.gather.done] when the INVITE still waits for
                    C's media candidates after the lookup (the offer carries them);
                    (2) the time D holds its 200 for its own media candidates: from D's
                    sip.200.received (from its client) to D's media.ice.gather.done, clamped to
                    D's sip.200.sent. The callee's gathering while its client is still ringing
                    is not waited for and stays in invite.
  connect           the rest of [lookup.done, flow start]; from the flow's sip.connect.start
                    (first stamp of a new flow, initiator) to its sip.ice.gather.start; from
                    sip.ice.gather.done to the flow's sip.connect.done (the P2PP Connect
                    through the overlay and its answer) and on to sip.ice.start, except:
  candidates_sip    [sip.ice.gather.start, sip.ice.gather.done] of C's flow agent, plus D's
                    flow gathering (D's sip.ice.gather.start..done for the same flow id), which
                    D does before it answers the P2PP Connect and so lies inside C's wait for
                    the answer.
  ice_sip           [sip.ice.start, sip.ice.done] of C's flow agent. The INVITE waits for it.
  invite            [C sip.ice.done (or the moment the INVITE was handed over, for a reused
                    flow), C sip.200.received], minus candidates_media (2).
  ice_media         [C sip.200.received, C media.ice.done] (C starts its media checks when the
                    answer's candidates arrive; checks that end before the 200 are hidden
                    behind the INVITE and count 0).
  A second call over an existing flow has no flow stamps: connect, candidates_sip and ice_sip
  are then the (tiny) time between lookup.done and sip.invite.sent, 0 and 0.

hip mode (the SIP connection is a socket to the callee's HIT; hipd runs the BEX through the
overlay, then ICE (RFC 5770) on its UDP port 10500):
  lookup            [S, C sip.lookup.done]
  connect           [lookup.done, C hipd ice.checks.start for peer = callee HIT]: the INVITE
                    is handed to the socket, the data plane triggers the BEX (I1..R2 through
                    the overlay). Without NAT traversal (no ice.* stamps): to bex.established.
  candidates_sip    0: hipd gathers its candidates once at start-up and refreshes them in the
                    background (nat_gather.c); no call waits for them. The host's gathering
                    time is reported as info (hip_gather_ms), not in the total.
  ice_sip           [ice.checks.start, ice.connected] of C's hipd for the callee ("ICE for
                    HIP"): the INVITE waits in the data plane until the path is up.
  invite            [ice.connected, C sip.200.received]
  candidates_media, ice_media  0: the media goes over the same association (the paper's point).
  A call with the association already up has no BEX/ICE stamps: connect is the time between
  lookup.done and sip.invite.sent, candidates_sip and ice_sip are 0. When a BEX for the callee
  started before the call (overlay traffic) and its ICE connected after the lookup, the call
  waited for it: connect/ice_sip are counted from lookup.done (clamped) and the call's info
  says bex_started_before_call.
"""

import argparse
import ipaddress
import json
import sys

COMPONENTS = ("lookup", "connect", "candidates_sip", "ice_sip", "invite", "candidates_media",
              "ice_media")


class StampError(Exception):
    """Stamps missing or inconsistent for a call: the message names what is missing."""


class Stamps(list):
    """A daemon's stamps in time order, with an index by event name (find() uses it)."""

    def __init__(self, items):
        super().__init__(sorted(items, key=lambda s: s["t"]))
        self.by_ev = {}
        for s in self:
            self.by_ev.setdefault(s["ev"], []).append(s)


def load_stamps(path, required=True):
    """The stamps of one file, sorted by time. A missing optional file gives []."""
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise StampError(f"{path}: no such stamp file")
        return []
    out = []
    with f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                s = json.loads(line)
            except json.JSONDecodeError as e:
                if n > 1 and not line.endswith("}"):
                    continue  # the last line of a daemon killed while writing
                raise StampError(f"{path}:{n}: not JSON: {e.msg}")
            if not isinstance(s, dict) or not isinstance(s.get("t"), int) or "ev" not in s:
                raise StampError(f'{path}:{n}: a stamp needs an integer "t" and an "ev"')
            out.append(s)
    return Stamps(out)


def norm_hit(text):
    """A HIT (or "[HIT]:port") in one canonical text form; None when it is not an address."""
    if not text:
        return None
    t = str(text)
    if t.startswith("["):
        t = t[1:t.find("]")] if "]" in t else t[1:]
    try:
        return str(ipaddress.ip_address(t))
    except ValueError:
        return None


def find(stamps, ev, lo=None, hi=None, last=False, **match):
    """The first (or last) stamp named ev within [lo, hi] whose fields equal match
    ("peer" is compared as a HIT)."""
    pool = stamps.by_ev.get(ev, []) if isinstance(stamps, Stamps) else stamps
    hits = [s for s in pool if s["ev"] == ev and (lo is None or s["t"] >= lo) and
            (hi is None or s["t"] <= hi) and _matches(s, match)]
    if not hits:
        return None
    return hits[-1] if last else hits[0]


def _matches(s, match):
    for k, v in match.items():
        if k == "peer":
            if norm_hit(s.get("peer")) != norm_hit(v):
                return False
        elif s.get(k) != v:
            return False
    return True


def t_of(stamp):
    return stamp["t"] if stamp else None


class Chain:
    """Cuts [start, end] at boundaries in order; each piece goes to one component."""

    def __init__(self, start, end):
        self.start, self.end, self.cur = start, end, start
        self.parts = {c: 0 for c in COMPONENTS}
        self.segments = []

    def to(self, t, component):
        """The piece from the last boundary to t (clamped into [last, end]) is component's."""
        if t is None:
            return
        t = min(max(t, self.cur), self.end)
        if t > self.cur:
            self.parts[component] += t - self.cur
            self.segments.append((component, self.cur, t))
        self.cur = t

    def finish(self, component):
        self.to(self.end, component)
        assert sum(self.parts.values()) == self.end - self.start
        return self.parts


def _need(stamp, what, who):
    if stamp is None:
        raise StampError(f"no {what} in {who}'s stamps")
    return stamp


def _caller_call(caller, call_id, lo, hi):
    """The caller's sip.lookup.start for this call (by Call-ID, else the first in the window)."""
    if call_id:
        s = find(caller, "sip.lookup.start", lo, hi, call=call_id)
        return _need(s, f"sip.lookup.start for call {call_id}", "the caller's p2psipd")
    s = find(caller, "sip.lookup.start", lo, hi)
    return _need(s, "sip.lookup.start in the call's window", "the caller's p2psipd")


def call_components(mode, caller, callee, caller_hipd=(), callee_hipd=(), call_id=None,
                    lo=None, hi=None, callee_hit=None):
    """Components of one call (ns). caller/callee: p2psipd stamps; *_hipd: hipd stamps (hip
    mode); call_id: the client's Call-ID (None: the first call in [lo, hi]); callee_hit: the
    callee's HIT (hip mode; else taken from the caller's sip.connect.start).
    Returns {"components": {name: ns}, "total_ns", "start_ns", "end_ns", "segments",
    "info": {...}}; raises StampError when a stamp the definition needs is missing."""
    if mode not in ("hip", "ice"):
        raise StampError(f"unknown mode {mode!r} (hip or ice)")
    ls = _caller_call(caller, call_id, lo, hi)
    cid = ls["call"]
    rec = find(caller, "sip.invite.received", lo, ls["t"], call=cid, last=True)
    start = rec["t"] if rec else ls["t"]
    ld = _need(find(caller, "sip.lookup.done", ls["t"], hi, call=cid),
               f"sip.lookup.done for call {cid}", "the caller's p2psipd")
    if ld.get("err", 0) != 0:
        raise StampError(f"call {cid}: the lookup failed (err {ld['err']})")
    inv = _need(find(caller, "sip.invite.sent", ld["t"], hi, call=cid),
                f"sip.invite.sent for call {cid}", "the caller's p2psipd")
    leg = inv.get("leg_call")
    r200 = _need(find(caller, "sip.200.received", inv["t"], hi, call=leg),
                 f"sip.200.received for leg {leg} of call {cid}", "the caller's p2psipd")
    info = {"call_id": cid, "leg_call_id": leg, "t_200_ns": r200["t"]}
    if mode == "ice":
        return _ice(caller, callee, cid, leg, start, ld, inv, r200, hi, callee_hit, info)
    return _hip(caller, caller_hipd, cid, start, ld, inv, r200, hi, callee_hit, info)


def _result(chain, end, info):
    parts = chain.finish("invite")
    return {"components": parts, "total_ns": end - chain.start, "start_ns": chain.start,
            "end_ns": end, "segments": chain.segments, "info": info}


def _ice(caller, callee, cid, leg, start, ld, inv, r200, hi, callee_hit, info):
    mdone = find(caller, "media.ice.done", start, hi, call=cid)
    if mdone is None:
        failed = find(caller, "media.ice.failed", start, hi, call=cid)
        why = f" (media.ice.failed: {failed.get('detail')})" if failed else ""
        raise StampError(f"call {cid}: no media.ice.done at the caller{why}")
    end = max(r200["t"], mdone["t"])
    mgather = find(caller, "media.ice.gather.done", start, hi, call=cid)
    # a new SIP flow: the caller's first sip.connect.start (initiator) after the lookup
    flow_match = {"role": "initiator"}
    if callee_hit:
        flow_match["peer"] = callee_hit
    fs = find(caller, "sip.connect.start", ld["t"], r200["t"], **flow_match)
    handed = fs["t"] if fs else inv["t"]  # when the INVITE could go towards the peer
    c = Chain(start, end)
    c.to(ld["t"], "lookup")
    c.to(min(mgather["t"] if mgather else ld["t"], handed), "candidates_media")
    c.to(handed, "connect")
    info["sip_flow_new"] = fs is not None
    if fs:
        _ice_flow(c, caller, callee, fs, r200["t"])
    _ice_invite(c, callee, leg, r200["t"], hi)
    c.to(end, "ice_media")
    info["media_ice_done_ms"] = (mdone["t"] - start) / 1e6
    d_done = find(callee, "media.ice.done", start, hi, call=leg)
    if d_done:
        info["callee_media_ice_done_ms"] = (d_done["t"] - start) / 1e6
    return _result(c, end, info)


def _ice_flow(c, caller, callee, fs, limit):
    """The flow's stamps, in the caller's order: gather, Connect answered, checks."""
    fid = fs.get("flow")
    who = f"the caller's SIP flow {fid}"
    g0 = _need(find(caller, "sip.ice.gather.start", fs["t"], limit, flow=fid),
               "sip.ice.gather.start", who)
    g1 = _need(find(caller, "sip.ice.gather.done", fs["t"], limit, flow=fid),
               "sip.ice.gather.done", who)
    ans = _need(find(caller, "sip.connect.done", fs["t"], limit, flow=fid),
                "sip.connect.done", who)
    i0 = _need(find(caller, "sip.ice.start", fs["t"], limit, flow=fid), "sip.ice.start", who)
    i1 = find(caller, "sip.ice.done", fs["t"], limit, flow=fid)
    if i1 is None:
        failed = find(caller, "sip.ice.failed", fs["t"], None, flow=fid)
        raise StampError(f"no sip.ice.done in {who}" +
                         (f" (sip.ice.failed: {failed.get('detail')})" if failed else ""))
    c.to(g0["t"], "connect")
    c.to(g1["t"], "candidates_sip")
    # the callee gathers for the flow before it answers: inside the wait for the answer
    dg0 = find(callee, "sip.ice.gather.start", g1["t"], ans["t"], flow=fid, role="responder")
    dg1 = find(callee, "sip.ice.gather.done", g1["t"], ans["t"], flow=fid, role="responder")
    if dg0 and dg1:
        c.to(dg0["t"], "connect")
        c.to(dg1["t"], "candidates_sip")
    c.to(ans["t"], "connect")
    c.to(i0["t"], "connect")
    c.to(i1["t"], "ice_sip")


def _ice_invite(c, callee, leg, r200_t, hi):
    """INVITE up to the caller's 200, less the callee's hold of the 200 for its candidates."""
    d_inv = find(callee, "sip.invite.received", c.start, r200_t, call=leg)
    d_fwd = find(callee, "sip.invite.sent", t_of(d_inv), r200_t, call=leg) if d_inv else None
    d_leg = d_fwd.get("leg_call") if d_fwd else None
    d_200 = find(callee, "sip.200.received", t_of(d_fwd), r200_t, call=d_leg) if d_leg else None
    d_sent = find(callee, "sip.200.sent", t_of(d_200), r200_t, call=leg) if d_200 else None
    d_gath = find(callee, "media.ice.gather.done", t_of(d_inv), r200_t, call=leg) \
        if d_inv else None
    if d_200 and d_sent and d_gath and d_gath["t"] > d_200["t"]:
        c.to(d_200["t"], "invite")
        c.to(min(d_gath["t"], d_sent["t"]), "candidates_media")
    c.to(r200_t, "invite")


def _hip(caller, hipd, cid, start, ld, inv, r200, hi, callee_hit, info):
    if not callee_hit:
        cs = find(caller, "sip.connect.start", ld["t"], r200["t"])
        callee_hit = norm_hit(cs.get("peer")) if cs else None
    if not callee_hit:
        raise StampError(f"call {cid}: hip mode needs the callee's HIT "
                         "(meta.json hosts.callee.hit)")
    end = r200["t"]
    p = {"peer": callee_hit}
    # the path the INVITE waited for: ICE for HIP connected between the lookup and the 200
    # (its checks and the BEX may have started earlier, e.g. triggered by overlay traffic)
    up = find(hipd, "ice.connected", ld["t"], end, **p)
    checks = find(hipd, "ice.checks.start", None, up["t"], last=True, **p) if up else \
        find(hipd, "ice.checks.start", ld["t"], end, **p)
    if checks and not up:
        failed = find(hipd, "ice.failed", checks["t"], None, **p)
        raise StampError(f"call {cid}: ICE for HIP started but no ice.connected in the "
                         "caller's hipd stamps before the 200" +
                         (f" (ice.failed: {failed.get('reason')})" if failed else ""))
    est = find(hipd, "bex.established", None, end, last=True, **p)
    i1 = find(hipd, "bex.i1_sent", None, end, last=True, **p)
    if est and est["t"] < start and not up:
        est = None  # an association that was up before the call
    if i1 and (est is None or i1["t"] > est["t"]) and not up and i1["t"] >= start:
        raise StampError(f"call {cid}: a BEX started (bex.i1_sent) but no bex.established "
                         "in the caller's hipd stamps before the 200")
    c = Chain(start, end)
    c.to(ld["t"], "lookup")
    if up:
        c.to(checks["t"], "connect")
        c.to(up["t"], "ice_sip")
    elif est and est["t"] >= ld["t"]:
        c.to(est["t"], "connect")
    else:
        c.to(inv["t"], "connect")
    bex = i1 is not None and (up is not None or (est is not None and est["t"] >= ld["t"]))
    info["bex"] = bex and i1["t"] >= start
    info["bex_started_before_call"] = bex and i1["t"] < start
    info["callee_hit"] = callee_hit
    if bex:
        done = est if est and est["t"] >= i1["t"] else (checks or i1)
        info["bex_ms"] = (done["t"] - i1["t"]) / 1e6
    g = find(hipd, "nat.gather.done", None, start, last=True)
    if g and "ms" in g:
        info["hip_gather_ms"] = g["ms"]
    return _result(c, end, info)


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Components of one call's session establishment delay, from the stamp "
        "files (see the module docstring for the definitions).")
    p.add_argument("--mode", required=True, choices=("hip", "ice"))
    p.add_argument("--caller", required=True, help="the caller's p2psipd stamp file")
    p.add_argument("--callee", required=True, help="the callee's p2psipd stamp file")
    p.add_argument("--caller-hipd", help="the caller's hipd stamp file (hip mode)")
    p.add_argument("--callee-hit", help="the callee's HIT (hip mode)")
    p.add_argument("--call-id", help="the client's Call-ID (default: every call, in order)")
    a = p.parse_args(argv)
    try:
        caller = load_stamps(a.caller)
        callee = load_stamps(a.callee)
        hipd = load_stamps(a.caller_hipd) if a.caller_hipd else []
        ids = [a.call_id] if a.call_id else \
            [s["call"] for s in caller if s["ev"] == "sip.lookup.start"]
        for cid in ids:
            try:
                r = call_components(a.mode, caller, callee, hipd, (), cid,
                                    callee_hit=a.callee_hit)
            except StampError as e:
                print(f"{cid}: {e}")
                continue
            parts = " ".join(f"{k}={v / 1e6:.1f}" for k, v in r["components"].items())
            print(f"{cid}: {parts} total={r['total_ns'] / 1e6:.1f} ms")
    except StampError as e:
        print(f"components: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
