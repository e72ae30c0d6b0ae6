#!/usr/bin/env python3
# Extracts the HIP packets (IPv4 or IPv6; protocol 139, or UDP 10500 after the
# RFC 5770 zero marker) of a classic pcap file: writes the first of each packet
# type per transport as a raw seed file, or prints them as C arrays.
# Not a pcap library.
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off : off + 16])
        off += 16
        yield linktype, data[off : off + incl]
        off += incl


def hip_packets(path):
    for linktype, fr in frames(path):
        if linktype == 1:  # Ethernet
            ethertype = struct.unpack(">H", fr[12:14])[0]
            ip = fr[14:]
        elif linktype == 101:  # raw IP
            ethertype = 0x0800 if fr[0] >> 4 == 4 else 0x86DD
            ip = fr
        else:
            continue
        if ethertype == 0x0800:
            ihl = (ip[0] & 15) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            src, dst, proto, payload, fam = ip[12:16], ip[16:20], ip[9], ip[ihl:total], "v4"
        elif ethertype == 0x86DD:
            plen = struct.unpack(">H", ip[4:6])[0]
            src, dst, proto, payload, fam = ip[8:24], ip[24:40], ip[6], ip[40 : 40 + plen], "v6"
        else:
            continue
        if proto == 139:
            yield "raw" + fam, src, dst, payload
        elif proto == 17 and 10500 in struct.unpack(">HH", payload[:4]) and payload[8:12] == bytes(4):
            yield "udp" + fam, src, dst, payload[12:]


NAMES = {1: "i1", 2: "r1", 3: "i2", 4: "r2", 16: "update", 17: "notify", 18: "close", 19: "close_ack"}


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ("seeds", "c"):
        sys.exit("usage: pcap_hip_seeds.py seeds PCAP OUTDIR [NAME-PREFIX] | c PCAP PREFIX")
    seen = set()
    for transport, src, dst, hip in hip_packets(sys.argv[2]):
        if len(hip) < 4:
            continue
        name = NAMES.get(hip[2] & 0x7F, "type%d" % (hip[2] & 0x7F))
        if sys.argv[1] == "seeds":
            if (transport, name) in seen:
                continue
            seen.add((transport, name))
            prefix = sys.argv[4] if len(sys.argv) == 5 else "pcap"
            with open("%s/%s_%s_%s" % (sys.argv[3], prefix, transport, name), "wb") as f:
                f.write(hip)
            continue
        var = "%s_%s" % (sys.argv[3], name)
        print("/* %s -> %s, %d bytes */" % (".".join(map(str, src)), ".".join(map(str, dst)), len(hip)))
        print("static const uint8_t %s_src[4] = {%s};" % (var, ", ".join(map(str, src))))
        print("static const uint8_t %s_dst[4] = {%s};" % (var, ", ".join(map(str, dst))))
        print("static const uint8_t %s[%d] = {" % (var, len(hip)))
        for i in range(0, len(hip), 12):
            print("\t" + ", ".join("0x%02x" % b for b in hip[i : i + 12]) + ",")
        print("};")


if __name__ == "__main__":
    main()
