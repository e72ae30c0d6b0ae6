# Command line of the SIP call harness for shell tests: write a tone, detect a tone in a
# WAV, check a pcap with tshark (JSON out); the dissectors such checks turn off. Not a call
# driver.

import argparse
import json
from dataclasses import asdict

from .capture import foreign_port_dissectors, tshark_check
from .tone import analyse_wav, write_tone_wav


def main(argv):
    ap = argparse.ArgumentParser(prog="sipcall", description="SIP call test helpers")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tone", help="write a tone WAV (8 kHz mono S16LE)")
    t.add_argument("file")
    t.add_argument("--freq", type=float, default=1000.0)
    t.add_argument("--seconds", type=float, default=10.0)
    t.add_argument("--amplitude", type=float, default=0.5)
    d = sub.add_parser("detect", help="look for a tone in a WAV; exit 0 if found")
    d.add_argument("file")
    d.add_argument("--freq", type=float, required=True)
    d.add_argument("--min-fraction", type=float, default=0.5)
    d.add_argument("--start", type=float, default=0.0)
    d.add_argument("--end", type=float, default=None)
    s = sub.add_parser("tshark", help="dissect a pcap; exit 0 if no malformed/warning")
    s.add_argument("pcap")
    s.add_argument("--decode-as", action="append", default=[])
    s.add_argument("--ignore", action="append", default=[])
    sub.add_parser("foreign-dissectors",
                   help="the protocols tshark picks by port alone that our hosts do not speak "
                        "(one a line; checks turn them off)")
    a = ap.parse_args(argv)
    if a.cmd == "foreign-dissectors":
        print("\n".join(foreign_port_dissectors()))
        return 0
    if a.cmd == "tone":
        write_tone_wav(a.file, a.freq, a.seconds, a.amplitude)
        return 0
    if a.cmd == "detect":
        rep = analyse_wav(a.file, a.freq, min_fraction=a.min_fraction, start_s=a.start,
                          end_s=a.end)
        print(json.dumps(asdict(rep)))
        return 0 if rep.found else 1
    rep = tshark_check(a.pcap, decode_as=a.decode_as, ignore=a.ignore)
    print(json.dumps(asdict(rep)))
    return 0 if rep.ok else 1
