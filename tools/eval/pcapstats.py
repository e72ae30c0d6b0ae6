# Packets and bytes a host sent (per call's setup window, per minute while idle) and the ICE
# runs between caller and callee, from each host's capture. Not the stamps (components.py).
"""Messages, bytes and ICE runs from the hosts' captures (host.pcap), read with tshark.

What is counted
---------------
Sent packets: IP packets whose source is one of the host's own addresses (meta.json
hosts.<h>.lan_addr / addr), with their frame length in bytes, split by kind:
  hip        HIP control (raw protocol 139, or UDP with the RFC 5770 zero marker)
  esp        ESP (raw protocol 50, or UDP port 10500 without the zero marker, not STUN)
  stun_turn  STUN (magic cookie) and TURN ChannelData (to/from port 3478), whatever they carry
  sip        SIP in the clear (ice mode's SIP flows; hip mode's SIP is inside ESP)
  rtp, rtcp  RTP/RTCP in the clear (ice mode media; hip mode's media is inside ESP)
  p2pp       P2PP (its magic cookie at offset 4)
  other      anything else (ARP is not IP and not counted; ICMP, DNS, ...)
and by destination: "peer" (the other party's addresses), "server" (UDP port 3478, STUN/TURN;
relayed traffic to the peer goes there too), "overlay" (anyone else: the public overlay peers).
Overlay maintenance (P2PP stabilisation and keep-alives, the associations/links with the
overlay neighbours) cannot be told apart from the call's own overlay traffic (the lookup, the
BEX or P2PP Connect routed through the overlay) by address: both go to the same neighbours.
So the setup counts include whatever maintenance fell in the window; the idle rate of the
same host (keepalive window) shows how much that can be.

Times: captures carry CLOCK_REALTIME, windows are CLOCK_MONOTONIC ns; the offset comes from
meta.json "clock" {"monotonic_ns", "realtime_ns"} read at one moment by the runner, or, when
that is missing, from this machine now: silently when meta.json "boot_id" is this boot's
(/proc/sys/kernel/random/boot_id), else with a warning (right only on the run's boot).

ICE runs
--------
A check is a STUN Binding request with USERNAME, PRIORITY and ICE-CONTROLLING/CONTROLLED,
sent by the host, also inside a TURN Send indication or ChannelData. The agent that sent it is
(host, USERNAME, component, tie-breaker): the component is 256 - (PRIORITY & 0xff) (RFC 8445
5.1.2.1), the tie-breaker is the 64-bit value of ICE-CONTROLLING/CONTROLLED, random per agent
(RFC 8445 16.1), so a new agent for the same ufrag pair (hipd's ufrags come from the HITs, RFC
5770 5.2, and repeat for every association of two hosts) is a new run. An ICE run is a caller
agent and a callee agent with reversed USERNAMEs and the same component (paired by nearest
first check), or a lone agent whose ufrag pair the other host also used. Runs whose ufrag pair
only one of the two hosts used are with other peers (overlay links) and are not counted as
the call's. A run belongs to the call in whose window [t_start_ns, t_end_ns] its first check
lies. Kind of a run: "hip" (sent from UDP port 10500, or its ufrags are the two hosts' HIT
ufrags), else what its local socket carries
(sip, rtp, rtcp; "overlay" for P2PP: a link of the overlay between the two), else rtp/rtcp by
component when its ufrag pair has two components (media), else "other". The call's runs are
those of kind hip, sip, rtp and rtcp; overlay and other runs are reported apart.
"""

import argparse
import bisect
import collections
import ipaddress
import json
import os
import shutil
import struct
import subprocess
import sys
import time

KINDS = ("hip", "esp", "stun_turn", "sip", "rtp", "rtcp", "p2pp", "other")
HIP_PORT = 10500
STUN_PORT = 3478
STUN_MAGIC = 0x2112A442
P2PP_MAGIC = 0x596ABF0D
SIP_STARTS = (b"SIP/2.0 ", b"INVITE ", b"ACK ", b"BYE ", b"CANCEL ", b"OPTIONS ",
              b"REGISTER ", b"PRACK ", b"UPDATE ", b"INFO ", b"NOTIFY ", b"SUBSCRIBE ",
              b"MESSAGE ", b"REFER ")
FIELDS = ("frame.time_epoch", "frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "ip.proto", "ipv6.nxt", "udp.srcport", "udp.dstport", "udp.payload")

Pkt = collections.namedtuple("Pkt", "t len src dst proto sport dport payload")


class PcapError(Exception):
    """A capture that cannot be read or does not cover what it should."""


def norm_addr(a):
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a


def read_pcap(path):
    """The IP packets of a capture: t (epoch s, float), len, src, dst, proto, UDP ports and
    payload (bytes; b"" for non-UDP)."""
    if not os.path.exists(path):
        raise PcapError(f"{path}: no such capture")
    if not shutil.which("tshark"):
        raise PcapError("tshark is not installed (apt-get install tshark)")
    cmd = ["tshark", "-r", path, "-n", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=f", "-Y", "ip or ipv6"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise PcapError(f"{path}: tshark failed: {p.stderr.strip()[:300]}")
    return [pkt for pkt in (_row(line) for line in p.stdout.splitlines()) if pkt]


def _row(line):
    f = line.split("\t")
    if len(f) < len(FIELDS):
        f += [""] * (len(FIELDS) - len(f))
    t, ln, s4, d4, s6, d6, p4, p6, sp, dp, pl = f[:len(FIELDS)]
    if not t:
        return None
    proto = int(p4 or p6 or -1)
    payload = bytes.fromhex(pl.replace(":", "")) if pl else b""
    return Pkt(float(t), int(ln), norm_addr(s4 or s6), norm_addr(d4 or d6), proto,
               int(sp) if sp else None, int(dp) if dp else None, payload)


# ---- kinds ----

def is_stun(b):
    return len(b) >= 20 and b[0] < 0x40 and struct.unpack_from("!I", b, 4)[0] == STUN_MAGIC


def is_channel_data(b):
    return len(b) >= 4 and 0x40 <= b[0] <= 0x7F


def classify(p):
    if p.proto == 139:
        return "hip"
    if p.proto == 50:
        return "esp"
    if p.proto != 17:
        return "other"
    b = p.payload
    if is_stun(b):
        return "stun_turn"
    if STUN_PORT in (p.sport, p.dport) and is_channel_data(b):
        return "stun_turn"
    if HIP_PORT in (p.sport, p.dport):
        return "hip" if b[:4] == b"\0\0\0\0" else "esp"
    if len(b) >= 8 and struct.unpack_from("!I", b, 4)[0] == P2PP_MAGIC:
        return "p2pp"
    if b.startswith(SIP_STARTS):
        return "sip"
    if len(b) >= 8 and b[0] & 0xC0 == 0x80:
        return "rtcp" if 200 <= b[1] <= 204 else "rtp"
    return "other"


def dest_class(p, peer_addrs):
    if p.dst in peer_addrs:
        return "peer"
    if p.dport == STUN_PORT:
        return "server"
    return "overlay"


def empty_counts():
    return {"packets": 0, "bytes": 0, "by_kind": {k: [0, 0] for k in KINDS},
            "by_dest": {d: [0, 0] for d in ("peer", "server", "overlay")}}


def sent_counts(pkts, own, lo, hi, peer_addrs=()):
    """Packets/bytes sent by own addresses with lo <= t < hi (epoch seconds)."""
    c = empty_counts()
    ts = [p.t for p in pkts]
    for p in pkts[bisect.bisect_left(ts, lo):bisect.bisect_left(ts, hi)]:
        if p.src not in own:
            continue
        c["packets"] += 1
        c["bytes"] += p.len
        k = c["by_kind"][classify(p)]
        k[0] += 1
        k[1] += p.len
        d = c["by_dest"][dest_class(p, peer_addrs)]
        d[0] += 1
        d[1] += p.len
    return c


# ---- STUN checks ----

def stun_attrs(b):
    """(type, value) of a STUN message's attributes (RFC 8489 14), bounds-checked."""
    if not is_stun(b):
        return None
    mlen = struct.unpack_from("!H", b, 2)[0]
    end = min(20 + mlen, len(b))
    out, off = [], 20
    while off + 4 <= end:
        at, al = struct.unpack_from("!HH", b, off)
        if off + 4 + al > end:
            break
        out.append((at, b[off + 4:off + 4 + al]))
        off += 4 + (al + 3) // 4 * 4
    return out


def inner_payloads(p):
    """What a sent UDP datagram carries for the peer: itself, or the DATA of a TURN Send
    indication (RFC 8656 11.1) or a ChannelData message (RFC 8656 12.4) to the server."""
    b = p.payload
    if p.dport == STUN_PORT and is_channel_data(b):
        n = struct.unpack_from("!H", b, 2)[0]
        return [b[4:4 + n]]
    if p.dport == STUN_PORT and is_stun(b) and struct.unpack_from("!H", b, 0)[0] == 0x0016:
        return [v for t, v in stun_attrs(b) or () if t == 0x0013]
    return [b]


Check = collections.namedtuple("Check", "t local username component tiebreaker")


def checks_sent(pkts, own):
    """ICE connectivity checks (Binding requests with USERNAME and PRIORITY) the host sent."""
    out = []
    for p in pkts:
        if p.src not in own or p.proto != 17:
            continue
        for b in inner_payloads(p):
            c = _check(b)
            if c:
                out.append(Check(p.t, (p.src, p.sport), *c))
    return out


def _check(b):
    if not is_stun(b) or struct.unpack_from("!H", b, 0)[0] != 0x0001:
        return None
    user = prio = tb = None
    for t, v in stun_attrs(b):
        if t == 0x0006:
            user = v.decode("utf-8", "replace")
        elif t == 0x0024 and len(v) == 4:
            prio = struct.unpack("!I", v)[0]
        elif t in (0x8029, 0x802A) and len(v) == 8:
            tb = struct.unpack("!Q", v)[0]
    if user is None or prio is None or ":" not in user:
        return None
    return user, 256 - (prio & 0xFF), tb


def socket_kinds(pkts, own):
    """What each local (addr, port) sent besides STUN: {local: set of kinds}."""
    out = collections.defaultdict(set)
    for p in pkts:
        if p.src not in own or p.proto != 17:
            continue
        for b in inner_payloads(p):
            if is_stun(b):
                continue
            out[(p.src, p.sport)].add(classify(p._replace(payload=b, dport=None, sport=None)))
    return out


def agents(checks):
    """{(username, component, tiebreaker): [first t, local]}"""
    out = {}
    for c in checks:
        k = (c.username, c.component, c.tiebreaker)
        if k not in out:
            out[k] = [c.t, c.local]
    return out


def hit_ufrag(hit):
    """RFC 5770 5.2: hipd's ufrag is the HIT's last 32 bits in lowercase hex."""
    try:
        return ipaddress.ip_address(hit).packed[-4:].hex()
    except ValueError:
        return None


def ice_runs(caller_checks, callee_checks, caller_kinds=None, max_pair_s=30.0, hip_ufrags=()):
    """The ICE runs between caller and callee (see the module docstring): a list of
    {"t": first check (epoch s), "component", "kind", "ufrags", "sides"}. hip_ufrags: the
    two hosts' HIT ufrags (a run between them is hipd's, whatever ports a NAT shows)."""
    a, b = agents(caller_checks), agents(callee_checks)
    rev = lambda u: ":".join(reversed(u.split(":", 1)))  # noqa: E731
    pairs_a = {frozenset(u.split(":", 1)) for u, _, _ in a}
    pairs_b = {frozenset(u.split(":", 1)) for u, _, _ in b}
    shared = pairs_a & pairs_b
    runs, used = [], set()
    for (u, comp, tb), (t, local) in sorted(a.items(), key=lambda kv: kv[1][0]):
        if frozenset(u.split(":", 1)) not in shared:
            continue
        cand = [(abs(bt - t), k) for k, (bt, _) in b.items()
                if k not in used and k[0] == rev(u) and k[1] == comp and abs(bt - t) <= max_pair_s]
        sides = 1
        first = t
        if cand:
            _, k = min(cand)
            used.add(k)
            sides = 2
            first = min(t, b[k][0])
        runs.append({"t": first, "component": comp, "ufrags": u, "sides": sides,
                     "kind": _run_kind(local, comp, caller_kinds)})
    for k, (t, local) in b.items():
        if k in used or frozenset(k[0].split(":", 1)) not in shared:
            continue
        runs.append({"t": t, "component": k[1], "ufrags": rev(k[0]), "sides": 1,
                     "kind": "hip" if local[1] == HIP_PORT else "other"})
    runs.sort(key=lambda r: r["t"])
    comps = collections.defaultdict(set)
    for r in runs:
        comps[frozenset(r["ufrags"].split(":", 1))].add(r["component"])
    hipu = set(hip_ufrags)
    for r in runs:
        if set(r["ufrags"].split(":", 1)) <= hipu and len(hipu) == 2:
            r["kind"] = "hip"
    for r in runs:  # media: two components (RFC 8445 5.1.1), a socket that sent no RTP yet
        if r["kind"] == "other" and len(comps[frozenset(r["ufrags"].split(":", 1))]) > 1:
            r["kind"] = "rtp" if r["component"] == 1 else "rtcp"
    return runs


def _run_kind(local, comp, kinds):
    if local[1] == HIP_PORT:
        return "hip"
    k = (kinds or {}).get(local, set())
    for name in ("sip", "rtp", "rtcp"):
        if name in k:
            return name
    return "overlay" if "p2pp" in k else "other"


# ---- clocks ----

def boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return None


def mono_to_wall_offset(meta):
    """Seconds to add to CLOCK_MONOTONIC seconds for CLOCK_REALTIME; (offset, warning).
    meta "clock" {"monotonic_ns", "realtime_ns"} (read together by the runner) is exact;
    else this machine's offset now, right when meta "boot_id" is this boot's."""
    clk = meta.get("clock") or {}
    if isinstance(clk.get("monotonic_ns"), int) and isinstance(clk.get("realtime_ns"), int):
        return (clk["realtime_ns"] - clk["monotonic_ns"]) / 1e9, None
    off = (time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(
        time.CLOCK_MONOTONIC)) / 1e9
    if meta.get("boot_id") and meta.get("boot_id") == boot_id():
        return off, None
    return off, ('meta.json has no "clock" {"monotonic_ns","realtime_ns"}: the capture '
                 "windows use this machine's clock offset now (right only on the run's boot)")


def main(argv=None):
    p = argparse.ArgumentParser(description="Packets/bytes sent and ICE runs in captures "
                                "(see the module docstring for what is counted).")
    p.add_argument("pcap", help="a host's capture")
    p.add_argument("--own", action="append", required=True, help="the host's address (repeat)")
    p.add_argument("--peer", action="append", default=[], help="the other party's address")
    p.add_argument("--other-pcap", help="the other party's capture: list the ICE runs")
    p.add_argument("--other-own", action="append", default=[], help="its addresses")
    p.add_argument("--hit", action="append", default=[], help="the two HITs (hip mode)")
    a = p.parse_args(argv)
    try:
        pk = read_pcap(a.pcap)
        own = {norm_addr(x) for x in a.own}
        c = sent_counts(pk, own, 0, float("inf"), {norm_addr(x) for x in a.peer})
        print(json.dumps(c, indent=1))
        if a.other_pcap:
            ok = read_pcap(a.other_pcap)
            oown = {norm_addr(x) for x in a.other_own}
            for r in ice_runs(checks_sent(pk, own), checks_sent(ok, oown),
                              socket_kinds(pk, own), hip_ufrags=[hit_ufrag(h) for h in a.hit]):
                print(json.dumps(r))
    except PcapError as e:
        print(f"pcapstats: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
