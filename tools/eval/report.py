# The evaluation's report from RAW data: statistics per case, HIP's reduction against ICE mode,
# a text table and JSON (DESIGN.md section 7) plus every call. Not the runner nor the chart.
"""Report of the evaluation (issue 8) from RAW data written by tools/eval/run_lab.py.

    python3 tools/eval/report.py RAW_DIR --json out.json [--calls-json calls.json]

RAW_DIR holds the case directories (hip-good, ice-good, hip-bad, ice-bad, each with meta.json),
or is OUT with them under OUT/raw. First calls and second calls (made right after a first call
to the same peer, nothing torn down) are separate cases: <case> and <case>-second.

Metrics per case (ms unless said): <component>_ms_mean/_median/_sd for the components of
components.py and total_ms_*; measured_ms_mean (the runner's dial-to-answered interval, for
comparison); calls_ok, calls_failed (a failed call, by the runner or for missing stamps, is
listed and left out of every statistic); setup_packets_sent_mean and setup_bytes_sent_mean
(caller + callee, all they sent from dialling until the session was ready) and the same with
caller_/callee_ in front, setup_packets_sent_<kind>_mean (kinds of pcapstats.py) and
setup_packets_sent_to_<peer|server|overlay>_mean (by destination); ice_runs_per_call (runs between caller and callee, kinds hip, sip,
rtp, rtcp) and ice_runs_<kind>_per_call; for first-call cases also keepalive_packets_per_min
and keepalive_bytes_per_min (caller + callee, idle window after the last call; caller_/callee_
per host; keepalive_packets_per_min_<kind> and keepalive_packets_per_min_to_<dest>: the
overlay's own maintenance is most of it, what goes to the peer or through the TURN server is
the session's). For cases "good" and "bad" (and "good-second", "bad-second"): total_reduction_pct =
100 * (ice mean total - hip mean total) / ice mean total.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analyze  # noqa: E402
import components  # noqa: E402
import pcapstats  # noqa: E402

COLUMNS = ("lookup", "connect", "candidates_sip", "ice_sip", "invite", "candidates_media",
           "ice_media", "total")
LABELS = {"lookup": "Lookup", "connect": "Connect", "candidates_sip": "Candidates (SIP/HIP)",
          "ice_sip": "ICE for SIP/HIP", "invite": "INVITE",
          "candidates_media": "Candidates (media)", "ice_media": "ICE for media",
          "total": "Total"}
CASE_ORDER = ("hip-good", "ice-good", "hip-bad", "ice-bad")


def find_cases(raw_dir):
    if not os.path.isdir(raw_dir):
        raise analyze.RawError(f"{raw_dir}: no such directory")
    if os.path.isdir(os.path.join(raw_dir, "raw")):
        raw_dir = os.path.join(raw_dir, "raw")
    cases = sorted(d for d in os.listdir(raw_dir)
                   if os.path.exists(os.path.join(raw_dir, d, "meta.json")))
    if not cases:
        raise analyze.RawError(f"{raw_dir}: no case directories (each with a meta.json)")
    order = {c: i for i, c in enumerate(CASE_ORDER)}
    cases.sort(key=lambda c: (order.get(c, len(order)), c))
    return [os.path.join(raw_dir, c) for c in cases]


def stats(values):
    if not values:
        return None
    return {"mean": statistics.fmean(values), "median": statistics.median(values),
            "sd": statistics.stdev(values) if len(values) > 1 else 0.0, "n": len(values)}


def group(case):
    """The case's calls as {name: [calls]}: first calls, then second calls."""
    out = {case["case"]: [], case["case"] + "-second": []}
    for c in case["calls"]:
        out[case["case"] + ("-second" if c["second"] else "")].append(c)
    return {k: v for k, v in out.items() if v}


def summarize(name, case, calls, first):
    ok = [c for c in calls if c["ok"]]
    s = {"case": name, "mode": case["mode"], "nat": case["nat"], "calls_ok": len(ok),
         "calls_failed": len(calls) - len(ok),
         "failed": [{"index": c["index"], "error": c["error"]} for c in calls if not c["ok"]]}
    for col in COLUMNS:
        vals = [c["total_ms"] if col == "total" else c["components_ms"][col] for c in ok]
        s[col] = stats(vals)
    s["measured"] = stats([c["measured_ms"] for c in ok if "measured_ms" in c])
    with_setup = [c for c in ok if "setup" in c]
    if with_setup:
        for h in ("caller", "callee"):
            s[h + "_setup_packets"] = stats([c["setup"][h]["packets"] for c in with_setup])
            s[h + "_setup_bytes"] = stats([c["setup"][h]["bytes"] for c in with_setup])
        s["setup_packets"] = stats([sum(c["setup"][h]["packets"] for h in c["setup"])
                                    for c in with_setup])
        s["setup_bytes"] = stats([sum(c["setup"][h]["bytes"] for h in c["setup"])
                                  for c in with_setup])
        s["setup_by_kind"] = {k: statistics.fmean(
            [sum(c["setup"][h]["by_kind"][k][0] for h in c["setup"]) for c in with_setup])
            for k in pcapstats.KINDS}
        s["setup_by_dest"] = {d: statistics.fmean(
            [sum(c["setup"][h]["by_dest"][d][0] for h in c["setup"]) for c in with_setup])
            for d in ("peer", "server", "overlay")}
        s["ice_runs"] = stats([c["ice_runs_count"] for c in with_setup])
        s["ice_runs_by_kind"] = {k: statistics.fmean([c["ice_runs_by_kind"][k]
                                                      for c in with_setup])
                                 for k in with_setup[0]["ice_runs_by_kind"]}
    ka = case.get("keepalive_stats")
    if first and ka:
        s["keepalive"] = {h: {"packets_per_min": ka[h]["packets_per_min"],
                              "bytes_per_min": ka[h]["bytes_per_min"],
                              "by_kind": ka[h]["by_kind"], "by_dest": ka[h]["by_dest"]}
                          for h in ("caller", "callee")}
        s["keepalive"]["seconds"] = ka["seconds"]
    return s


def reductions(summaries):
    by = {s["case"]: s for s in summaries}
    out = {}
    for nat in ("good", "bad"):
        for suffix in ("", "-second"):
            h, i = by.get(f"hip-{nat}{suffix}"), by.get(f"ice-{nat}{suffix}")
            if not (h and i and h["total"] and i["total"]) or i["total"]["mean"] <= 0:
                continue
            out[nat + suffix] = 100 * (i["total"]["mean"] - h["total"]["mean"]) / \
                i["total"]["mean"]
    return out


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count()}


def metric(out, case, name, value, unit):
    if value is not None:
        out.append({"case": case, "metric": name, "value": round(value, 3)
                    if isinstance(value, float) else value, "unit": unit})


def results_json(summaries, reds, meta_machine=None):
    res = []
    for s in summaries:
        c = s["case"]
        for col in COLUMNS:
            for k in ("mean", "median", "sd"):
                metric(res, c, f"{col}_ms_{k}", s[col][k] if s[col] else None, "ms")
        metric(res, c, "measured_ms_mean", s["measured"]["mean"] if s["measured"] else None,
               "ms")
        metric(res, c, "calls_ok", s["calls_ok"], "calls")
        metric(res, c, "calls_failed", s["calls_failed"], "calls")
        if "setup_packets" in s and s["setup_packets"]:
            metric(res, c, "setup_packets_sent_mean", s["setup_packets"]["mean"], "packets")
            metric(res, c, "setup_bytes_sent_mean", s["setup_bytes"]["mean"], "bytes")
            for h in ("caller", "callee"):
                metric(res, c, f"{h}_setup_packets_sent_mean", s[h + "_setup_packets"]["mean"],
                       "packets")
                metric(res, c, f"{h}_setup_bytes_sent_mean", s[h + "_setup_bytes"]["mean"],
                       "bytes")
            for k, v in s["setup_by_kind"].items():
                metric(res, c, f"setup_packets_sent_{k}_mean", v, "packets")
            for d, v in s["setup_by_dest"].items():
                metric(res, c, f"setup_packets_sent_to_{d}_mean", v, "packets")
            metric(res, c, "ice_runs_per_call", s["ice_runs"]["mean"], "runs")
            for k, v in s["ice_runs_by_kind"].items():
                metric(res, c, f"ice_runs_{k}_per_call", v, "runs")
        if "keepalive" in s:
            ka = s["keepalive"]
            for unit, key in (("packets", "packets_per_min"), ("bytes", "bytes_per_min")):
                vals = [ka[h][key] for h in ("caller", "callee")]
                if None in vals:
                    continue
                metric(res, c, f"keepalive_{key}", sum(vals), unit + "/min")
                for h in ("caller", "callee"):
                    metric(res, c, f"{h}_keepalive_{key}", ka[h][key], unit + "/min")
            minutes = ka["seconds"] / 60
            for k in pcapstats.KINDS:
                if minutes > 0:
                    n = sum(ka[h]["by_kind"][k][0] for h in ("caller", "callee"))
                    metric(res, c, f"keepalive_packets_per_min_{k}", n / minutes, "packets/min")
            for d in ("peer", "server", "overlay"):
                if minutes > 0:
                    n = sum(ka[h]["by_dest"][d][0] for h in ("caller", "callee"))
                    metric(res, c, f"keepalive_packets_per_min_to_{d}", n / minutes,
                           "packets/min")
    for nat, v in reds.items():
        metric(res, nat, "total_reduction_pct", v, "%")
    return {"bench": "eval", "date": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="seconds"), "machine": meta_machine or machine(),
            "results": res}


def fmt(st, sd=True):
    if not st:
        return "-"
    return f"{st['mean']:.1f}±{st['sd']:.1f}" if sd else f"{st['mean']:.1f}"


SHORT = {"lookup": "Lookup", "connect": "Connect", "candidates_sip": "Cand.SIP",
         "ice_sip": "ICE SIP", "invite": "INVITE", "candidates_media": "Cand.med",
         "ice_media": "ICE med", "total": "Total"}


def num(v, digits=0):
    return "-" if v is None else f"{v:.{digits}f}"


def delay_block(summaries, cw):
    """Rows are cases, columns the components' means, then the total's spread."""
    parts = [c for c in COLUMNS if c != "total"]
    head = f"{'case':{cw}}" + "".join(f"{SHORT[c]:>9}" for c in parts)
    head += f"{'Total':>9}{'± sd':>7}{'median':>8}{'runner':>8}{'ok/fail':>9}"
    lines = ["Session establishment delay, ms (mean per component; hip mode: SIP = HIP;",
             "'runner': the runner's dial-to-answered, for comparison)", head]
    for s in summaries:
        row = f"{s['case']:{cw}}" + "".join(f"{num(s[c] and s[c]['mean']):>9}" for c in parts)
        t = s["total"]
        row += f"{num(t and t['mean']):>9}{num(t and t['sd']):>7}{num(t and t['median']):>8}"
        row += f"{num(s['measured'] and s['measured']['mean']):>8}"
        row += f"{str(s['calls_ok']) + '/' + str(s['calls_failed']):>9}"
        lines.append(row)
    return lines


def setup_block(summaries, cw):
    """Messages each mode sent for setup, by kind, and its ICE runs."""
    kinds = [k for k in pcapstats.KINDS
             if any(s.get("setup_by_kind", {}).get(k) for s in summaries)]
    head = f"{'case':{cw}}{'packets':>9}{'bytes':>9}{'ICE runs':>9}" + "".join(
        f"{k:>10}" for k in kinds)
    lines = ["", "Sent during setup by caller + callee, mean per call (packets by kind)", head]
    for s in summaries:
        row = f"{s['case']:{cw}}{num(s['setup_packets'] and s['setup_packets']['mean']):>9}"
        row += f"{num(s['setup_bytes'] and s['setup_bytes']['mean']):>9}"
        row += f"{num(s['ice_runs'] and s['ice_runs']['mean'], 1):>9}"
        row += "".join(f"{num(s.get('setup_by_kind', {}).get(k)):>10}" for k in kinds)
        lines.append(row)
    return lines


def keepalive_block(summaries, cw):
    lines = ["", "Idle after the last call: caller + callee, packets per minute (bytes per "
             "minute), and to whom", f"{'case':{cw}}{'packets':>9}{'bytes':>10}{'peer':>8}"
             f"{'server':>8}{'overlay':>9}{'window':>8}"]
    for s in summaries:
        if "keepalive" not in s:
            continue
        k = s["keepalive"]
        p = sum(k[h]["packets_per_min"] or 0 for h in ("caller", "callee"))
        b = sum(k[h]["bytes_per_min"] or 0 for h in ("caller", "callee"))
        m = k["seconds"] / 60 if k["seconds"] else 0
        to = {d: sum(k[h]["by_dest"][d][0] for h in ("caller", "callee")) / m if m else 0
              for d in ("peer", "server", "overlay")}
        lines.append(f"{s['case']:{cw}}{p:9.0f}{b:10.0f}{to['peer']:8.0f}{to['server']:8.0f}"
                     f"{to['overlay']:9.0f}{k['seconds']:7.0f}s")
    return lines


def table(summaries, reds, warnings):
    cw = max(10, *(len(s["case"]) + 2 for s in summaries))
    lines = delay_block(summaries, cw)
    if any("setup_packets" in s for s in summaries):
        lines += setup_block(summaries, cw)
    if any("keepalive" in s for s in summaries):
        lines += keepalive_block(summaries, cw)
    if reds:
        lines.append("")
        for nat, v in reds.items():
            lines.append(f"NAT {nat}: hip mode's mean total is {abs(v):.1f} % "
                         f"{'below' if v >= 0 else 'above'} ice mode's")
    failed = [(s["case"], f) for s in summaries for f in s["failed"]]
    if failed:
        lines.append("")
        lines.append("Failed calls (left out of the statistics):")
        lines += [f"  {c} call {f['index']}: {f['error']}" for c, f in failed]
    if warnings:
        lines.append("")
        lines += [f"warning: {x}" for x in warnings]
    return "\n".join(lines)


def build(raw_dir, with_pcaps=True):
    cases = [analyze.analyze_case(d, with_pcaps) for d in find_cases(raw_dir)]
    summaries, warnings = [], []
    for case in cases:
        warnings += [f"{case['case']}: {w}" for w in case["warnings"]]
        for name, calls in group(case).items():
            summaries.append(summarize(name, case, calls, not name.endswith("-second")))
    return cases, summaries, reductions(summaries), warnings


def calls_json(cases):
    return {"cases": [{"case": c["case"], "mode": c["mode"], "nat": c["nat"],
                       "calls": c["calls"], "keepalive": c["keepalive_stats"],
                       "warnings": c["warnings"]} for c in cases],
            "components": list(components.COMPONENTS)}


EXPECTED_RUNS = {  # (mode, second) -> ICE runs of a call with nothing set up before it
    ("hip", False): {"hip": 1, "sip": 0, "rtp": 0, "rtcp": 0},
    ("hip", True): {"hip": 0, "sip": 0, "rtp": 0, "rtcp": 0},
    ("ice", False): {"hip": 0, "sip": 1, "rtp": 1, "rtcp": 1},
    ("ice", True): {"hip": 0, "sip": 0, "rtp": 1, "rtcp": 1}}


def check(cases, gap_ms):
    """What a test of a small run demands; a list of failures (empty: all good).
    Every call ok; its components add up to its total; the stamps' SIP part [S, 200 at the
    caller's p2psipd] lies inside the runner's [t_start_ns, t_answered_ns] (the same clock)
    with at most gap_ms more in the runner's interval; the ICE runs in the captures are those
    of EXPECTED_RUNS for fresh first calls and for second calls."""
    bad = []
    for case in cases:
        for c in case["calls"]:
            who = f"{case['case']} call {c['index']}"
            if not c["ok"]:
                bad.append(f"{who}: failed: {c['error']}")
                continue
            if not c.get("sum_ok"):
                bad.append(f"{who}: components {c['components_ns']} do not add up to "
                           f"{c['total_ns']} ns")
            bad += _check_interval(who, c, gap_ms)
            bad += _check_runs(who, case["mode"], c)
    return bad


def _check_interval(who, c, gap_ms):
    t0, ta = c.get("t_start_ns"), c.get("t_answered_ns")
    if not isinstance(t0, int) or not isinstance(ta, int):
        return [f"{who}: no t_start_ns/t_answered_ns in calls.jsonl"]
    s, r = c["start_ns"], c["info"]["t_200_ns"]
    if not t0 <= s <= r <= ta:
        return [f"{who}: the stamps' [S, 200] = [{s}, {r}] is not inside the runner's "
                f"[{t0}, {ta}]"]
    gap = ((ta - t0) - (r - s)) / 1e6
    if gap > gap_ms:
        return [f"{who}: the runner measured {gap:.1f} ms more than the stamps (> {gap_ms} ms)"]
    return []


def _check_runs(who, mode, c):
    if "ice_runs_by_kind" not in c:
        return [f"{who}: no ICE runs counted (no captures?)"]
    if not c["second"] and not c.get("fresh"):
        return []  # a first call over an existing association/flow: no expectation
    if c.get("fresh") and not c["second"]:
        new = c["info"].get("bex") if mode == "hip" else c["info"].get("sip_flow_new")
        if not new and mode == "hip" and c.get("bex_by") == "other":
            # the runner saw the BEX start before the INVITE, by overlay traffic or the
            # callee's trigger (caller and callee are overlay neighbours in the eval's lab;
            # README "Limits"): not a fresh first call after all, and no expectation
            return []
        if not new:
            return [f"{who}: marked fresh but the stamps show no new "
                    f"{'BEX' if mode == 'hip' else 'SIP flow'} in the call"]
    want = EXPECTED_RUNS[(mode, c["second"])]
    got = {k: c["ice_runs_by_kind"][k] for k in want}
    if got != want:
        return [f"{who}: ICE runs {got}, expected {want}"]
    return []


def main(argv=None):
    p = argparse.ArgumentParser(
        description="The evaluation's report from RAW data: a table on stdout, the results "
        "JSON (DESIGN.md section 7) and every call's components.",
        epilog="Component definitions: tools/eval/components.py; what is counted in the "
        "captures: tools/eval/pcapstats.py.")
    p.add_argument("raw_dir", metavar="RAW_DIR", help="OUT/raw (or OUT) of run_lab.py")
    p.add_argument("--json", metavar="FILE", help="write the results JSON here")
    p.add_argument("--calls-json", metavar="FILE", help="write every call's analysis here")
    p.add_argument("--no-pcap", action="store_true", help="skip the captures")
    p.add_argument("--quiet", action="store_true", help="no table on stdout")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless every call is ok, adds up, lies inside the runner's "
                   "interval and ran the expected ICE runs (see check())")
    p.add_argument("--gap-ms", type=float, default=1000.0,
                   help="--check: how much longer the runner's dial-to-answered may be than "
                   "the stamps' INVITE-to-200 (default 1000)")
    a = p.parse_args(argv)
    try:
        cases, summaries, reds, warnings = build(a.raw_dir, not a.no_pcap)
    except (analyze.RawError, components.StampError, pcapstats.PcapError) as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    if not a.quiet:
        print(table(summaries, reds, warnings))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(results_json(summaries, reds), f, indent=1)
            f.write("\n")
    if a.calls_json:
        with open(a.calls_json, "w", encoding="utf-8") as f:
            json.dump(calls_json(cases), f, indent=1)
            f.write("\n")
    if a.check:
        bad = check(cases, a.gap_ms)
        for b in bad:
            print(f"check: {b}", file=sys.stderr)
        n = sum(len(c["calls"]) for c in cases)
        print(f"check: {'FAILED' if bad else 'ok'} ({n} calls, {len(bad)} problems)")
        return 1 if bad else 0
    bad = [c for case in cases for c in case["calls"] if c["ok"] and not c.get("sum_ok")]
    if bad:
        print(f"report: {len(bad)} call(s) whose components do not add up", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
