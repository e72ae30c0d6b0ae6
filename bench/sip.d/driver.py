#!/usr/bin/env python3
# The driver of bench/sip: SIPp callee registered at b's p2psipd, SIPp caller behind a's, a
# rate search (steps, bisection, one confirming run), the table and the JSON. Not the lab
# (bench/sip brings up the hosts, hipd and p2psipd) and not a test.
"""A step passes when every call of it succeeded (SIPp's SuccessfulCall = calls asked,
FailedCall = 0), SIPp kept the rate (the run lasted no longer than its calls need plus
slack), and both p2psipd ended with no call left (p2psipctl calls) once the step was over."""

import argparse
import csv
import glob
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DURATION = int(os.environ.get("DURATION", "60"))
PROBE_S = int(os.environ.get("PROBE_S", "10"))
HOLD_MS = int(os.environ.get("HOLD_MS", "1000"))
RATES = [int(x) for x in os.environ.get("RATES", "5 10 20 40 80 160").split()]
RECV_TIMEOUT_MS = 32000  # SIP timer B/F (64 T1): a call fails when SIP itself gives up
AOR_USER = "bob"
UAS_PORT = 5070
PROCS = []


def note(text):
    print(f"# {text}", flush=True)


def pctl(xs, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def sipp_cmd(ns, scen, *extra):
    return ["ip", "netns", "exec", ns, "sipp", "-sf", os.path.join(HERE, scen), "-i",
            "127.0.0.1", "-nostdin", "-trace_err", "-timer_resol", "1", *extra, "127.0.0.1:5060"]


def ctl(args, sock, *argv):
    r = subprocess.run([args.p2psipctl, "--socket", sock, "--json", *argv],
                       capture_output=True, text=True, timeout=30)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else {}


def calls_left(args, sock):
    r = ctl(args, sock, "calls")
    return len(r.get("calls", r) if isinstance(r, dict) else r)


def proc_stat(pid):
    """(cpu seconds = utime + stime, VmRSS KiB, VmHWM KiB, open fds) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    kib = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                kib[k] = int(v.split()[0])
    return cpu, kib["VmRSS"], kib["VmHWM"], len(os.listdir(f"/proc/{pid}/fd"))


def run(cmd, cwd, timeout):
    with open(os.path.join(cwd, "sipp.out"), "ab") as out:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    PROCS.append(p)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        return None
    finally:
        PROCS.remove(p)


def register(args):
    d = os.path.join(args.dir, "register")
    os.makedirs(d, exist_ok=True)
    rc = run(sipp_cmd(args.ns_b, "register.xml", "-s", AOR_USER, "-key", "uas_port",
                      str(UAS_PORT), "-p", str(UAS_PORT), "-m", "1", "-recv_timeout", "5000"), d, 30)
    regs = ctl(args, args.ctl_b, "registrations").get("registrations", [])
    note(f"REGISTER by SIPp: exit {rc}; b's registrations {regs}")
    if rc != 0 or not regs:
        raise SystemExit("bench/sip: the callee's REGISTER failed (see register/sipp.out)")


def start_uas(args):
    d = os.path.join(args.dir, "uas")
    os.makedirs(d, exist_ok=True)
    out = open(os.path.join(d, "sipp.out"), "ab")
    p = subprocess.Popen(sipp_cmd(args.ns_b, "uas.xml", "-p", str(UAS_PORT)), cwd=d,
                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    PROCS.append(p)
    time.sleep(0.5)
    if p.poll() is not None:
        raise SystemExit(f"bench/sip: the SIPp callee exited ({p.returncode}), see {d}")
    return p


def last_stat(d):
    """The last row of SIPp's -trace_stat file, as a dict."""
    files = glob.glob(os.path.join(d, "*_.csv")) + glob.glob(os.path.join(d, "*[0-9].csv"))
    if not files:
        return {}
    with open(files[0]) as f:
        rows = list(csv.reader(f, delimiter=";"))
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1]))


def rtts(d):
    """Every INVITE->200 sample (ms) of SIPp's -trace_rtt file."""
    out = []
    for fn in glob.glob(os.path.join(d, "*_rtt.csv")):
        with open(fn) as f:
            for row in csv.reader(f, delimiter=";"):
                if len(row) >= 3 and row[2].strip() == "invite_200":
                    out.append(float(row[1]))
    return out


def wait_calls_gone(args, timeout, left0):
    """Waits until both p2psipd hold no more calls than before the step (left0)."""
    end = time.monotonic() + timeout
    left = (0, 0)
    while time.monotonic() < end:
        left = (calls_left(args, args.ctl_a), calls_left(args, args.ctl_b))
        if left[0] <= left0[0] and left[1] <= left0[1]:
            return left
        time.sleep(0.5)
    return left


def dump_calls(args, d, left):
    """Calls still held by the p2psipd after a step (a leak when they stay): saved in the
    step's directory, states counted."""
    for h, sock in (("a", args.ctl_a), ("b", args.ctl_b)):
        r = ctl(args, sock, "calls")
        calls = r.get("calls", []) if isinstance(r, dict) else r
        with open(os.path.join(d, f"calls-left-{h}.json"), "w") as f:
            json.dump(calls, f, indent=1)
        states = {}
        for c in calls:
            k = f"{c.get('state')}/{c.get('direction')}"
            states[k] = states.get(k, 0) + 1
        ages = sorted(c.get("age_ms", 0) for c in calls)
        note(f"p2psipd {h} holds {len(calls)} calls after the step: {states}, ages "
             f"{ages[:1]}..{ages[-1:]} ms")


def step(args, rate, secs, label):
    """secs s of calls at rate calls/s; returns the step's record."""
    d = os.path.join(args.dir, f"{label}-r{rate}")
    os.makedirs(d, exist_ok=True)
    n = rate * secs
    load = os.getloadavg()[0]
    left0 = (calls_left(args, args.ctl_a), calls_left(args, args.ctl_b))
    before = {h: proc_stat(p) for h, p in (("a", args.pid_a), ("b", args.pid_b))}
    t0 = time.monotonic()
    rc = run(sipp_cmd(args.ns_a, "uac.xml", "-s", AOR_USER, "-p", str(UAS_PORT), "-r", str(rate),
                      "-m", str(n), "-l", str(max(256, 4 * rate)), "-d", str(HOLD_MS),
                      "-recv_timeout", str(RECV_TIMEOUT_MS), "-trace_stat", "-fd", "1",
                      "-trace_rtt", "-rtt_freq", "1", "-trace_screen"),
             d, secs + 60 + RECV_TIMEOUT_MS / 1000)
    wall = time.monotonic() - t0
    after = {h: proc_stat(p) for h, p in (("a", args.pid_a), ("b", args.pid_b))}
    left = wait_calls_gone(args, 10, left0)
    if left != (0, 0):
        dump_calls(args, d, left)
    st = last_stat(d)
    ok_calls = int(st.get("SuccessfulCall(C)", 0) or 0)
    failed = int(st.get("FailedCall(C)", 0) or 0)
    lat = rtts(d)
    # SIPp behind: the last call starts at secs - 1/rate; it then needs its setup, the hold
    # and the BYE; 2 s + 10 % of slack on top
    kept = wall <= secs * 1.1 + HOLD_MS / 1000 + 2 + (pctl(lat, 95) / 1000 if lat else 0)
    grew = left[0] > left0[0] or left[1] > left0[1]
    good = rc == 0 and ok_calls == n and failed == 0 and kept and not grew
    rec = {"label": label, "rate": rate, "secs": secs, "calls": n, "ok": ok_calls,
           "failed": failed, "rc": rc, "wall_s": wall, "kept_rate": kept, "calls_left": left, "calls_left_before": left0,
           "good": good, "lat": lat, "load": load,
           "cpu_s": {h: after[h][0] - before[h][0] for h in after},
           "rss_kib": {h: after[h][1] for h in after}, "hwm_kib": {h: after[h][2] for h in after},
           "fds": {h: (before[h][3], after[h][3]) for h in after}}
    p50 = f"{pctl(lat, 50):.1f}" if lat else "-"
    note(f"{label} {rate}/s x {secs} s: {ok_calls}/{n} ok, {failed} failed, sipp exit {rc}, "
         f"{wall:.1f} s, INVITE->200 median {p50} ms, calls left {left}, p2psipd fds "
         f"{rec['fds']} -> {'pass' if good else 'FAIL'}")
    return rec


def search(args):
    """Steps up RATES until one fails, bisects between the last good and the first bad
    (to within 10 %), then confirms the best for DURATION s, stepping down on a failure."""
    steps, good, bad = [], 0, None
    for r in RATES:
        s = step(args, r, PROBE_S, "probe")
        steps.append(s)
        if not s["good"]:
            bad = r
            break
        good = r
    while bad is not None and good and bad - good > max(1, good // 10):
        mid = (good + bad) // 2
        s = step(args, mid, PROBE_S, "bisect")
        steps.append(s)
        good, bad = (mid, bad) if s["good"] else (good, mid)
    rate, conf = good, None
    for _ in range(8):
        if rate < 1:
            break
        conf = step(args, rate, DURATION, "confirm")
        steps.append(conf)
        if conf["good"]:
            break
        rate = int(rate * 0.8)
    return steps, conf if conf and conf["good"] else None


def table(steps, conf):
    print()
    print(f"{'step':<8} {'rate/s':>6} {'secs':>4} {'calls':>6} {'ok':>6} {'failed':>6} "
          f"{'wall s':>6} {'i200 p50':>8} {'i200 p95':>8} {'load':>5}  result")
    for s in steps:
        lat = s["lat"]
        p50 = f"{pctl(lat, 50):.1f}" if lat else "-"
        p95 = f"{pctl(lat, 95):.1f}" if lat else "-"
        print(f"{s['label']:<8} {s['rate']:>6} {s['secs']:>4} {s['calls']:>6} {s['ok']:>6} "
              f"{s['failed']:>6} {s['wall_s']:>6.1f} {p50:>8} {p95:>8} {s['load']:>5.1f}  "
              f"{'pass' if s['good'] else 'FAIL'}")
    if not conf:
        print("no rate sustained")
        return
    lat = conf["lat"]
    print(f"\nsustained: {conf['rate']} calls/s for {conf['secs']} s, {conf['ok']} calls, none "
          f"failed; INVITE->200 median {pctl(lat, 50):.1f} ms, p95 {pctl(lat, 95):.1f} ms")
    for h in ("a", "b"):
        print(f"p2psipd {h}: {conf['cpu_s'][h]:.2f} s CPU over the run "
              f"({100 * conf['cpu_s'][h] / conf['wall_s']:.0f} % of one core), RSS "
              f"{conf['rss_kib'][h]} KiB (peak {conf['hwm_kib'][h]} KiB), fds "
              f"{conf['fds'][h][0]} -> {conf['fds'][h][1]}")


def write_json(steps, conf):
    def fig(metric, value, unit):
        return {"case": "hip", "metric": metric, "value": value, "unit": unit}

    res = []
    if conf:
        lat, w = conf["lat"], conf["wall_s"]
        res = [fig("calls_per_s_sustained", conf["rate"], "calls/s"),
               fig("invite_200_ms_median", round(pctl(lat, 50), 2), "ms"),
               fig("invite_200_ms_p95", round(pctl(lat, 95), 2), "ms"),
               fig("calls_in_run", conf["ok"], "calls")]
        for h, who in (("a", "caller"), ("b", "callee")):
            res += [fig(f"p2psipd_{who}_cpu_pct", round(100 * conf["cpu_s"][h] / w, 1),
                        "% of one core (utime+stime over the run's wall time)"),
                    fig(f"p2psipd_{who}_rss_kib", conf["rss_kib"][h], "KiB (VmRSS after)"),
                    fig(f"p2psipd_{who}_rss_peak_kib", conf["hwm_kib"][h], "KiB (VmHWM)")]
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f
                    if line.startswith("model name")), platform.processor())
    doc = {"bench": "sip", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "machine": {"cpu": cpu, "cores": os.cpu_count()},
           "setup": (f"hiplab good-good (a and b behind their own NAT, a public peer, coturn); "
                     f"hipd (userspace ESP, --nat ice) and p2psipd --connection-mode hip on "
                     f"peer, a, b; SIPp 3.6 UAS on b registered at b's p2psipd as "
                     f"sip:{AOR_USER}@p2psip.test, SIPp UAC on a with a's p2psipd as outbound "
                     f"proxy; INVITE (SDP, no RTP), 100/180/200, ACK, {HOLD_MS} ms, BYE/200; "
                     f"warm-up call first (HIP association up); steps of {PROBE_S} s, then "
                     f"the best rate held {DURATION} s: sustained = every call successful, "
                     f"SIPp kept the rate, no call left in either p2psipd; INVITE->200 from "
                     f"SIPp's rtd per call (-trace_rtt; SIPp's clock ticks in about 4 ms steps "
                     f"here); load = the machine's 1-min load average at a step's start (2 "
                     f"cores shared with other work); calls_left = calls both p2psipd still "
                     f"held after the step (a, b)"),
           "steps": [{k: s[k] for k in ("label", "rate", "secs", "calls", "ok", "failed",
                                        "good", "load", "calls_left")} for s in steps],
           "results": res}
    out = os.environ["OUT"]
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"wrote {out}")


def cleanup(*_):
    for p in list(PROCS):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    PROCS.clear()


def main():
    ap = argparse.ArgumentParser()
    for a in ("ns-a", "ns-b", "dir", "ctl-a", "ctl-b", "p2psipctl"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--pid-a", type=int, required=True)
    ap.add_argument("--pid-b", type=int, required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    try:
        # p2psipd sends the INVITE to the REGISTER's source (its flow), not to the Contact:
        # REGISTER from the UAS's port first, then the UAS takes that port
        register(args)
        start_uas(args)
        for i in range(5):
            w = step(args, 1, 1, f"warmup{i}")
            if w["good"]:
                break
        else:
            raise SystemExit("bench/sip: no warm-up call went through")
        steps, conf = search(args)
        table(steps, conf)
        write_json(steps, conf)
        return 0 if conf else 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
