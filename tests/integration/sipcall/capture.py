# Captures for SIP call tests: UDP payloads and SIP messages out of a pcap file, and
# tshark's verdict (malformed frames, expert warnings, protocol counts). Not a dissector.

import functools
import re
import socket
import struct
import subprocess
from dataclasses import dataclass, field

from .sipmsg import sip_method

__all__ = ["udp_payloads", "sip_messages", "PROTOCOLS", "TsharkReport", "TSHARK_HEURISTICS",
           "tshark_check", "foreign_port_dissectors"]

# ---------------------------------------------------------------------------
# pcap reading (classic libpcap format; Ethernet, Linux cooked v1/v2, raw IP)

def _pcap_records(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 24:
        return
    magic = blob[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
             b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if order is None:
        raise ValueError(f"{path}: not a classic pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack_from(order + "I", blob, 20)[0] & 0xFFFF
    pos = 24
    while pos + 16 <= len(blob):
        sec, frac, incl, _ = struct.unpack_from(order + "IIII", blob, pos)
        pos += 16
        yield sec + frac / (1e9 if nano else 1e6), linktype, blob[pos:pos + incl]
        pos += incl


def _l3_of(linktype, frame):
    """(ethertype, payload) of a captured frame, or None."""
    if linktype == 1 and len(frame) >= 14:
        et, off = struct.unpack_from(">H", frame, 12)[0], 14
        while et == 0x8100 and len(frame) >= off + 4:
            et, off = struct.unpack_from(">H", frame, off + 2)[0], off + 4
        return et, frame[off:]
    if linktype == 113 and len(frame) >= 16:
        return struct.unpack_from(">H", frame, 14)[0], frame[16:]
    if linktype == 276 and len(frame) >= 20:
        return struct.unpack_from(">H", frame, 0)[0], frame[20:]
    if linktype in (12, 101) and frame:
        return (0x0800 if frame[0] >> 4 == 4 else 0x86DD), frame
    return None


def _udp_of(et, pkt):
    if et == 0x0800 and len(pkt) >= 20 and pkt[9] == 17:
        ihl = (pkt[0] & 15) * 4
        if struct.unpack_from(">H", pkt, 6)[0] & 0x3FFF:
            return None  # a fragment
        src, dst = socket.inet_ntop(socket.AF_INET, pkt[12:16]), socket.inet_ntop(socket.AF_INET, pkt[16:20])
        udp = pkt[ihl:]
    elif et == 0x86DD and len(pkt) >= 40 and pkt[6] == 17:
        src, dst = socket.inet_ntop(socket.AF_INET6, pkt[8:24]), socket.inet_ntop(socket.AF_INET6, pkt[24:40])
        udp = pkt[40:]
    else:
        return None
    if len(udp) < 8:
        return None
    sport, dport, ulen = struct.unpack_from(">HHH", udp, 0)
    return src, sport, dst, dport, udp[8:max(8, min(ulen, len(udp)))]


def udp_payloads(path):
    """[(time, src, sport, dst, dport, payload)] of the UDP datagrams in a pcap file
    (IPv4 unfragmented and IPv6 without extension headers)."""
    out = []
    for ts, lt, frame in _pcap_records(path):
        l3 = _l3_of(lt, frame)
        u = _udp_of(*l3) if l3 else None
        if u:
            out.append((ts,) + u)
    return out


def sip_messages(path):
    """[(time, src, sport, dst, dport, message bytes)] of the SIP messages over UDP."""
    return [r for r in udp_payloads(path) if sip_method(r[5])]


# ---------------------------------------------------------------------------
# tshark


PROTOCOLS = ("sip", "sdp", "rtp", "rtcp", "stun", "classicstun", "hip", "esp")


@dataclass
class TsharkReport:
    """frames: frames read; counts: frames per protocol of PROTOCOLS; problems: frames
    that are malformed or carry an expert warning or error, as dicts (frame,
    protocols, severity, message); ok: no problems."""
    frames: int = 0
    counts: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    ok: bool = True
    error: str = ""


TSHARK_HEURISTICS = ("rtp_udp", "rtcp_udp", "stun_udp")

# Dissectors that our traffic needs (udpencap: ESP in UDP).
OURS = frozenset(PROTOCOLS) | {"udpencap"}


@functools.lru_cache(maxsize=1)
def foreign_port_dissectors():
    """Protocols that tshark picks by a UDP or TCP port number alone and that none of
    our hosts speaks. A bad NAT maps to random ports (1024-65535); when one is, say,
    2948 (WAP's WSP), tshark dissects the STUN it carries as WSP and calls it malformed.
    tshark_check disables these, so such a frame falls to the other port's dissector
    or to the heuristics."""
    r = subprocess.run(["tshark", "-G", "decodes"], capture_output=True, text=True)
    found = set()
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) == 3 and cols[0] in ("udp.port", "tcp.port") and cols[2] not in OURS:
            found.add(cols[2])
    return tuple(sorted(found))


def _quoted_in_icmp(protocols):
    """An ICMP error quotes the start of the datagram it answers, cut to fit 576 bytes
    (RFC 1812 4.3.2.3): a SIP message in it is cut short by design (e.g. the INVITE
    retransmissions to a host that is gone get port unreachable), so tshark's warnings
    about the quoted, truncated message are not about a packet anyone sent."""
    layers = protocols.split(":")
    return any(a in ("icmp", "icmpv6") and b in ("ip", "ipv6")
               for a, b in zip(layers, layers[1:]))


def tshark_check(pcap, decode_as=(), heuristics=TSHARK_HEURISTICS, ignore=(), exclude=None):
    """Dissects PCAP with tshark (-n, the heuristics, decode_as entries like
    "udp.port==5062,sip"), with foreign_port_dissectors() off. Problems: frames with _ws.malformed or an expert item of
    severity Warning or Error, except messages matching a regex of IGNORE and frames that
    the display filter EXCLUDE matches (traffic that is not under test, e.g. the harness's
    own control connection, whose loopback TCP retransmits under load)."""
    base = ["tshark", "-r", pcap, "-n"]
    for p in foreign_port_dissectors():
        base += ["--disable-protocol", p]
    for h in heuristics:
        base += ["--enable-heuristic", h]
    for d in decode_as:
        base += ["-d", d]
    rep = TsharkReport(counts={p: 0 for p in PROTOCOLS})
    r = subprocess.run(base + ["-T", "fields", "-e", "frame.number", "-e", "frame.protocols"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        rep.ok, rep.error = False, r.stderr.strip()[-500:]
        return rep
    for line in r.stdout.splitlines():
        num, _, protos = line.partition("\t")
        if not num:
            continue
        rep.frames += 1
        layers = set(protos.split(":"))
        for p in PROTOCOLS:
            rep.counts[p] += p in layers
    filt = '_ws.malformed || _ws.expert.severity >= "Warning"'
    if exclude:
        filt = f"({filt}) && !({exclude})"
    r = subprocess.run(base + ["-Y", filt, "-T", "fields", "-E", "occurrence=a",
                               "-E", "aggregator=|", "-e", "frame.number",
                               "-e", "frame.protocols", "-e", "_ws.expert.severity",
                               "-e", "_ws.expert.message", "-e", "_ws.malformed"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        rep.ok, rep.error = False, r.stderr.strip()[-500:]
        return rep
    for line in r.stdout.splitlines():
        cols = (line.split("\t") + [""] * 5)[:5]
        if not cols[0]:
            continue
        if ignore and cols[3] and all(any(re.search(i, m) for i in ignore)
                                      for m in cols[3].split("|")):
            continue
        if _quoted_in_icmp(cols[1]):
            continue
        rep.problems.append({"frame": int(cols[0]), "protocols": cols[1],
                             "severity": cols[2], "message": cols[3] or cols[4]})
    rep.ok = not rep.problems
    return rep
