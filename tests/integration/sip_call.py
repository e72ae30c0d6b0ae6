#!/usr/bin/env python3
# Lab driver of test_sip_call.sh: two baresip clients, each behind its own p2psipd (outbound
# proxy on 127.0.0.1:5060), call each other by AOR through the overlay; unknown AOR -> 404;
# tshark on each host's lo. The hosts, hipd and p2psipd are the shell script's.
"""Prints TAP; exit 0 when every check passed. Needs root and a lab with p2psipd running."""

import argparse
import json
import os
import signal
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sipcall  # noqa: E402
from sipcall import Baresip  # noqa: E402

TONE_S = 3.0
N = 0
FAILS = 0


def check(what, cond, detail=""):
    global N, FAILS
    N += 1
    print(f"{'ok' if cond else 'not ok'} {N} - {what}")
    if not cond:
        FAILS += 1
        for line in str(detail).splitlines():
            print(f"#   {line}")
    sys.stdout.flush()
    return cond


def note(text):
    for line in str(text).splitlines():
        print(f"# {line}")
    sys.stdout.flush()


class Capture:
    """hiplab capture of HOST:lo into a pcap, until stop()."""

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
            time.sleep(0.3)
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def report_call(res, send_hz, back_hz):
    lb = res.label
    check(f"{lb}: established, RTP both ways (setup {res.setup_s} s)", res.established,
          res.failures)
    check(f"{lb}: CALL_CLOSED at both ends {res.closed}",
          res.closed and all(v is not None for v in res.closed.values()))
    r = res.at_callee
    note(f"at the callee: {r}")
    check(f"{lb}: {send_hz} Hz found at the callee", r is not None and r.found, r)
    r = res.back
    note(f"back at the caller: {r}")
    check(f"{lb}: {back_hz} Hz found at the caller", r is not None and r.found, r)
    check(f"{lb}: nothing else wrong", res.ok, res.failures)


def ctl(args, sock, *argv):
    r = subprocess.run([args.p2psipctl, "--socket", sock, "--json", *argv], capture_output=True,
                       text=True, timeout=30)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else {}


def registered(args, sock, aor):
    return any(r.get("aor") == aor and r.get("state") == "active"
               for r in ctl(args, sock, "registrations").get("registrations", []))


def resolve(args, sock, aor):
    return ctl(args, sock, "resolve", aor).get("hits", [])


def own_hit(args, sock):
    return ctl(args, sock, "status").get("node_id")


def wait_for(cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.2)
    return False


def callee_gone(args, alice, aor):
    """b's host gone (its p2psipd and hipd killed; the record stays in the overlay): the
    call ends with 408 (no answer on the peer leg, timer B) or 480 within the RFC timers."""
    for pid in args.kill_b.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(0.5)
    m = alice.mark()
    t0 = time.monotonic()
    alice.dial(aor)
    try:
        closed = alice.wait_event("CALL_CLOSED", 45, since=m).get("param")
    except sipcall.BaresipError as e:
        closed = str(e)
    took = time.monotonic() - t0
    # timer B of the peer leg is 64 T1 (RFC 3261 17.1.1.2); before it starts, the lookup of
    # the callee's record may go first to the dead node (it held records too) and wait for
    # the overlay's failure detection (P2PP T2) before a retry by another hop; a few
    # seconds more for baresip
    t1 = int(os.environ.get("SIP_T1_MS", "500")) / 1000
    t2 = int(os.environ.get("P2PP_T2_MS", "6000")) / 1000
    bound = 64 * t1 + 2 * t2 + 8
    check(f"calling a callee whose host is gone gives 408 or 480 ({closed!r} after {took:.1f} s)",
          "408" in (closed or "") or "480" in (closed or ""))
    check(f"... within timer B, two P2PP T2 for the lookup and some slack "
          f"({took:.1f} s <= {bound:.1f} s)", took <= bound)


def flows_of(args, sock, peer_sock):
    """The SIP flows at sock with the p2psipd of peer_sock (ice mode), as p2psipctl lists them."""
    peer = own_hit(args, peer_sock)
    return [f for f in ctl(args, sock, "flows").get("flows", []) if f.get("peer") == peer]


def flow_close(args):
    """ice mode: after a call a flow is up at both ends; `p2psipctl flow-close` closes it at
    each (and says so when there is none); the next call sets up a new one."""
    a, b = args.ctl_a, args.ctl_b
    fa, fb = flows_of(args, a, b), flows_of(args, b, a)
    check(f"flows: one SIP flow with the other p2psipd is up at each end ({fa} {fb})",
          [f.get("state") for f in fa + fb] == ["up", "up"])
    rc = [subprocess.run([args.p2psipctl, "--socket", s, "flow-close", own_hit(args, o)],
                         capture_output=True, text=True, timeout=10).returncode
          for s, o in ((a, b), (b, a))]
    check(f"flow-close at both ends exits 0 ({rc})", rc == [0, 0])
    check("no flow with the other p2psipd is left at either end",
          not flows_of(args, a, b) and not flows_of(args, b, a))
    r = subprocess.run([args.p2psipctl, "--socket", a, "flow-close", own_hit(args, b)],
                       capture_output=True, text=True, timeout=10)
    check(f"flow-close without a flow fails and says why ({r.stderr.strip()!r})",
          r.returncode != 0 and "no SIP flow" in r.stderr)


def main():
    ap = argparse.ArgumentParser()
    for a in ("ns-a", "ns-b", "lab", "dir", "hiplab", "host-a", "host-b"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--domain", default="p2psip.test")
    ap.add_argument("--ctl-a", required=True)
    ap.add_argument("--ctl-b", required=True)
    ap.add_argument("--p2psipctl", required=True)
    ap.add_argument("--link", help="also capture this link (plain mode: SIP between the "
                    "p2psipd on port 5062, RTP between the relays)")
    ap.add_argument("--kill-b", default="", help="PIDs of b's p2psipd and hipd (host gone)")
    ap.add_argument("--setup-timeout", type=float, default=30.0)
    ap.add_argument("--flows", action="store_true",
                    help="ice mode: list and close the SIP flows between the two calls")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("baresip") is None:
        print("1..0 # SKIP baresip missing")
        return 77
    d = args.dir
    t1000 = sipcall.write_tone_wav(f"{d}/t1000.wav", 1000, 60)
    t1500 = sipcall.write_tone_wav(f"{d}/t1500.wav", 1500, 60)
    caps = [Capture(args.hiplab, args.lab, f"{h}:lo", f"{d}/{h}-lo.pcap")
            for h in (args.host_a, args.host_b)]
    if args.link:
        caps.append(Capture(args.hiplab, args.lab, args.link, f"{d}/{args.link}.pcap"))
    alice_aor, bob_aor = f"sip:alice@{args.domain}", f"sip:bob@{args.domain}"
    alice = Baresip.behind_proxy("alice", f"{d}/alice", netns=args.ns_a, aor=alice_aor,
                                 source_wav=t1000)
    bob = Baresip.behind_proxy("bob", f"{d}/bob", netns=args.ns_b, aor=bob_aor,
                               source_wav=t1500)
    try:
        with alice, bob:
            alice.start()
            bob.start()
            # p2psipd may answer the REGISTER before the harness's ctrl_tcp connection is
            # up (REGISTER_OK is then not seen): ask p2psipd itself
            for c, aor, mine, other in ((alice, alice_aor, args.ctl_a, args.ctl_b),
                                        (bob, bob_aor, args.ctl_b, args.ctl_a)):
                ok = wait_for(lambda: registered(args, mine, aor), 20)
                check(f"{c.name} registered at its p2psipd ({aor} active)", ok, c.log_tail())
                hits = resolve(args, other, aor)
                check(f"{aor} resolves from the other node to its p2psipd's HIT ({hits})",
                      len(hits) == 1 and hits[0] == own_hit(args, mine))
            r = sipcall.run_call(alice, bob, bob_aor, send_hz=1000, back_hz=1500,
                                 listen_s=TONE_S, setup_timeout=args.setup_timeout,
                                 label="alice->bob")
            report_call(r, 1000, 1500)
            if args.flows:
                flow_close(args)
            r = sipcall.run_call(bob, alice, alice_aor, send_hz=1500, back_hz=1000,
                                 listen_s=TONE_S, setup_timeout=args.setup_timeout,
                                 label="bob->alice")
            report_call(r, 1500, 1000)
            if args.flows:
                fa, fb = flows_of(args, args.ctl_a, args.ctl_b), flows_of(args, args.ctl_b, args.ctl_a)
                check(f"flows: the second call set up a new flow ({fa} {fb})",
                      [f.get("state") for f in fa + fb] == ["up", "up"]
                      and fa[0].get("role") == "responder")
            m = alice.mark()
            alice.dial(f"sip:nobody@{args.domain}")
            try:
                closed = alice.wait_event("CALL_CLOSED", 20, since=m).get("param")
            except sipcall.BaresipError as e:
                closed = str(e)
            check(f"calling an unknown AOR gives 404 ({closed!r})", "404" in (closed or ""))
            if args.kill_b:
                callee_gone(args, alice, bob_aor)
                check("alice quits with status 0 (un-REGISTER answered)",
                      alice.quit(timeout=10.0) == 0)
            else:
                codes = (alice.quit(timeout=10.0), bob.quit(timeout=10.0))
                check("both baresip quit with status 0 (un-REGISTER answered)",
                      codes == (0, 0), codes)
    finally:
        for c in caps:
            c.stop()
    for c in caps:
        # not checked: the harness's own ctrl_tcp connections to baresip (attempts before
        # baresip listens end in a RST; under load loopback TCP retransmits, D-SACK)
        ctrl = " || ".join(sorted({f"tcp.port=={c.ctrl.rpartition(':')[2]}" for c in (alice, bob)}))
        rep = sipcall.tshark_check(c.path, decode_as=["udp.port==5062,sip"], exclude=ctrl)
        note(f"tshark {os.path.basename(c.path)}: {rep.frames} frames, {rep.counts}")
        check(f"tshark {os.path.basename(c.path)}: SIP and RTP",
              rep.counts["sip"] >= 10 and rep.counts["rtp"] >= 100, rep.counts)
        check(f"tshark {os.path.basename(c.path)}: no malformed frame, no expert warning",
              rep.ok, rep.problems[:20] or rep.error)
    print(f"1..{N}")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
