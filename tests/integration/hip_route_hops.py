#!/usr/bin/env python3
"""Prints the overlay parameters of every HIP packet in a capture, one line each:
SRC DST TYPE HIT_S HIT_R via=N dst=HIT,HIT ttl=N oid=HEX (a '-' for an absent one).
Reads tshark's fields of HIP in UDP (zero marker) or raw IP; our own walk over the
TLVs, since tshark does not name OVERLAY_ID, OVERLAY_TTL, ROUTE_DST or ROUTE_VIA.
Not a HIP parser in general: the framing only. Usage: hip_route_hops.py PCAP"""
import ipaddress
import subprocess
import sys

TYPES = {1: "I1", 2: "R1", 3: "I2", 4: "R2", 16: "UPDATE", 17: "NOTIFY", 18: "CLOSE", 19: "CLOSE_ACK"}
OVERLAY_ID, ROUTE_DST, OVERLAY_TTL, ROUTE_VIA = 4592, 4601, 64011, 64017


def hit(b):
    return ipaddress.IPv6Address(bytes(b)).compressed


def tlvs(pkt):
    end = (pkt[1] + 1) * 8
    off = 40
    while off + 4 <= min(end, len(pkt)):
        t = pkt[off] << 8 | pkt[off + 1]
        n = pkt[off + 2] << 8 | pkt[off + 3]
        yield t, pkt[off + 4:off + 4 + n]
        off += 11 + n - (n + 3) % 8


def describe(src, dst, pkt):
    f = {"via": "-", "dst": "-", "ttl": "-", "oid": "-"}
    for t, v in tlvs(pkt):
        if t in (ROUTE_VIA, ROUTE_DST):
            hits = [hit(v[i:i + 16]) for i in range(4, len(v), 16)]
            if t == ROUTE_VIA:
                f["via"] = "%d:%s" % (len(hits), ",".join(hits))
            else:
                f["dst"] = ",".join(hits)
        elif t == OVERLAY_TTL:
            f["ttl"] = str(v[0] << 8 | v[1])
        elif t == OVERLAY_ID:
            f["oid"] = v.hex()
    kind = TYPES.get(pkt[2] & 0x7F, str(pkt[2] & 0x7F))
    return "%s %s %s %s %s via=%s dst=%s ttl=%s oid=%s" % (
        src, dst, kind, hit(pkt[8:24]), hit(pkt[24:40]), f["via"], f["dst"], f["ttl"], f["oid"])


def main():
    out = subprocess.run(["tshark", "-r", sys.argv[1], "-Y", "hip", "-T", "fields", "-e", "ip.src",
                          "-e", "ip.dst", "-e", "udp.payload", "-e", "ip.proto"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2]:
            continue
        pkt = bytes.fromhex(parts[2].replace(":", ""))
        if pkt[:4] == b"\0\0\0\0":
            pkt = pkt[4:]  # RFC 5770 5.1 zero marker
        if len(pkt) >= 40:
            print(describe(parts[0], parts[1], pkt))


if __name__ == "__main__":
    main()
