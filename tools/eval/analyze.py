# Reads one case of the evaluation's RAW data (meta, calls, stamps, captures) and analyses each
# call: components, messages, ICE runs. Not the statistics or the output formats (report.py).
"""Analysis of one RAW case directory (layout: the plan's contract with tools/eval/run_lab.py).

OUT/raw/<case>/meta.json, calls.jsonl, keepalive.json (optional), <host>/p2psipd.jsonl,
<host>/hipd.jsonl (or stamps.jsonl: what the lab tests call it), <host>/host.pcap (optional:
without it there are no message counts or ICE runs, and a warning says so). A host's addresses
are meta.json hosts.<h>.addr, lan_addr, public_addr, nat_addr (its NAT's outside address,
so that packets to the peer count as "peer") and addrs (a list), whichever are there.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import components  # noqa: E402
import pcapstats  # noqa: E402


class RawError(Exception):
    """RAW data missing or malformed: the message names the file and what is wrong."""


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise RawError(f"{path}: missing")
    except json.JSONDecodeError as e:
        raise RawError(f"{path}: not JSON ({e.msg}, line {e.lineno})")


def read_calls(path):
    if not os.path.exists(path):
        raise RawError(f"{path}: missing (one line per call)")
    calls = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                c = json.loads(line)
            except json.JSONDecodeError as e:
                raise RawError(f"{path}:{n}: not JSON ({e.msg})")
            if not isinstance(c, dict) or "ok" not in c:
                raise RawError(f'{path}:{n}: a call needs at least "ok"')
            calls.append(c)
    if not calls:
        raise RawError(f"{path}: no calls")
    return calls


def stamp_file(case_dir, host, daemon, required):
    names = ["p2psipd.jsonl"] if daemon == "p2psipd" else ["hipd.jsonl", "stamps.jsonl"]
    for n in names:
        p = os.path.join(case_dir, host, n)
        if os.path.exists(p):
            return components.load_stamps(p)
    if required:
        raise RawError(f"{os.path.join(case_dir, host, names[0])}: missing ({daemon} stamps)")
    return []


ADDR_KEYS = ("addr", "lan_addr", "public_addr", "nat_addr", "addrs")


def host_addrs(meta, host):
    """The host's addresses in meta.json (its own and its NAT's outside one, when given)."""
    h = (meta.get("hosts") or {}).get(host) or {}
    out = set()
    for k in ADDR_KEYS:
        v = h.get(k)
        for a in (v if isinstance(v, list) else [v]):
            if isinstance(a, str) and a:
                out.add(pcapstats.norm_addr(a.split("/")[0]))
    return out


def load_case(case_dir):
    meta = read_json(os.path.join(case_dir, "meta.json"))
    for k in ("mode", "hosts"):
        if k not in meta:
            raise RawError(f"{case_dir}/meta.json: no {k!r}")
    if meta["mode"] not in ("hip", "ice"):
        raise RawError(f"{case_dir}/meta.json: mode {meta['mode']!r} is not hip or ice")
    for h in ("caller", "callee"):
        if h not in meta["hosts"]:
            raise RawError(f"{case_dir}/meta.json: no hosts.{h}")
    hip = meta["mode"] == "hip"
    case = {"dir": case_dir, "meta": meta, "calls": read_calls(os.path.join(case_dir, "calls.jsonl")),
            "stamps": {}, "warnings": []}
    for h in ("caller", "callee"):
        case["stamps"][h] = {"p2psipd": stamp_file(case_dir, h, "p2psipd", True),
                             "hipd": stamp_file(case_dir, h, "hipd", hip and h == "caller")}
    ka = os.path.join(case_dir, "keepalive.json")
    case["keepalive"] = read_json(ka) if os.path.exists(ka) else None
    return case


def load_pcaps(case):
    """{host: packets} for caller and callee, or None (with a warning) without captures."""
    out = {}
    for h in ("caller", "callee"):
        p = os.path.join(case["dir"], h, "host.pcap")
        if not os.path.exists(p):
            case["warnings"].append(f"{p}: missing: no message counts or ICE runs")
            return None
        if not host_addrs(case["meta"], h):
            case["warnings"].append(f"meta.json: no addr/lan_addr for {h}: no message counts")
            return None
        out[h] = pcapstats.read_pcap(p)
    return out


def analyze_call(case, i, call, nxt):
    mode = case["meta"]["mode"]
    st = case["stamps"]
    r = {"index": call.get("index", i), "second": bool(call.get("second")),
         "fresh": call.get("fresh"), "ok": bool(call.get("ok")), "call_id": call.get("call_id"),
         "error": call.get("error"), "tone_ok": call.get("tone_ok"),
         "bex_by": call.get("bex")}
    t0, ta = call.get("t_start_ns"), call.get("t_answered_ns")
    if isinstance(t0, int) and isinstance(ta, int):
        r["measured_ms"] = (ta - t0) / 1e6
        r["t_start_ns"], r["t_answered_ns"] = t0, ta
    if not r["ok"]:
        r["error"] = r["error"] or "the runner marked the call failed"
        return r
    hi = _int(call.get("t_end_ns"), _int(nxt.get("t_start_ns"), None) if nxt else None)
    hit = ((case["meta"]["hosts"].get("callee") or {}).get("hit"))
    try:
        c = components.call_components(
            mode, st["caller"]["p2psipd"], st["callee"]["p2psipd"], st["caller"]["hipd"],
            st["callee"]["hipd"], call.get("call_id"), t0, hi, hit)
    except components.StampError as e:
        r["ok"] = False
        r["error"] = f"analysis: {e}"
        return r
    r["components_ms"] = {k: v / 1e6 for k, v in c["components"].items()}
    r["components_ns"] = c["components"]
    r["total_ms"] = c["total_ns"] / 1e6
    r["total_ns"] = c["total_ns"]
    r["start_ns"], r["end_ns"] = c["start_ns"], c["end_ns"]
    r["sum_ok"] = sum(c["components"].values()) == c["total_ns"] == c["end_ns"] - c["start_ns"]
    r["info"] = c["info"]
    r["segments_ms"] = [(n, (a - c["start_ns"]) / 1e6, (b - c["start_ns"]) / 1e6)
                        for n, a, b in c["segments"]]
    return r


CALL_RUN_KINDS = ("hip", "sip", "rtp", "rtcp")


def _int(v, default):
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def add_pcap_stats(case, calls, pk, offset):
    meta = case["meta"]
    own = {h: host_addrs(meta, h) for h in ("caller", "callee")}
    checks = {h: pcapstats.checks_sent(pk[h], own[h]) for h in pk}
    hits = [(meta["hosts"][h] or {}).get("hit") for h in ("caller", "callee")]
    runs = pcapstats.ice_runs(checks["caller"], checks["callee"],
                              pcapstats.socket_kinds(pk["caller"], own["caller"]),
                              hip_ufrags=[pcapstats.hit_ufrag(h) for h in hits if h])
    wall = lambda ns: ns / 1e9 + offset  # noqa: E731
    for r in calls:
        if not r["ok"]:
            continue
        raw = case["calls"][r["_pos"]]
        lo = wall(_int(raw.get("t_start_ns"), r["start_ns"]))
        hi = wall(max(r["end_ns"], _int(raw.get("t_answered_ns"), 0)))
        r["setup"] = {h: pcapstats.sent_counts(pk[h], own[h], lo, hi,
                                               own["callee" if h == "caller" else "caller"])
                      for h in pk}
        end = wall(_int(raw.get("t_end_ns"), r["end_ns"]))
        mine = [x for x in runs if lo <= x["t"] <= end]
        r["ice_runs"] = [dict(x, t_ms=(x["t"] - lo) * 1e3) for x in mine]
        r["ice_runs_count"] = sum(1 for x in mine if x["kind"] in CALL_RUN_KINDS)
        r["ice_runs_by_kind"] = {k: sum(1 for x in mine if x["kind"] == k)
                                 for k in CALL_RUN_KINDS + ("overlay", "other")}
    ka = case["keepalive"]
    if ka and isinstance(ka.get("t_start_ns"), int) and isinstance(ka.get("t_end_ns"), int):
        lo, hi = wall(ka["t_start_ns"]), wall(ka["t_end_ns"])
        minutes = (hi - lo) / 60
        case["keepalive_stats"] = {"seconds": hi - lo}
        for h in pk:
            c = pcapstats.sent_counts(pk[h], own[h], lo, hi,
                                      own["callee" if h == "caller" else "caller"])
            c["packets_per_min"] = c["packets"] / minutes if minutes > 0 else None
            c["bytes_per_min"] = c["bytes"] / minutes if minutes > 0 else None
            case["keepalive_stats"][h] = c
    elif ka is not None:
        case["warnings"].append("keepalive.json: needs integer t_start_ns and t_end_ns")


def check_coverage(case, pk, offset):
    """A warning when the calls' windows lie outside the captures (a wrong clock offset)."""
    starts = [c.get("t_start_ns") for c in case["calls"] if isinstance(c.get("t_start_ns"), int)]
    for h, pkts in pk.items():
        if not pkts or not starts:
            continue
        a, b = starts[0] / 1e9 + offset, starts[-1] / 1e9 + offset
        if a < pkts[0].t - 5 or b > pkts[-1].t + 5:
            case["warnings"].append(
                f"{h}/host.pcap ({pkts[0].t:.0f}..{pkts[-1].t:.0f}) does not cover the calls "
                f"({a:.0f}..{b:.0f}): the clock offset looks wrong; counts may be empty")


def analyze_case(case_dir, with_pcaps=True):
    """Everything about one case: {"case", "mode", "nat", "calls": [...], "keepalive_stats",
    "warnings"}."""
    case = load_case(case_dir)
    meta = case["meta"]
    calls = []
    for i, call in enumerate(case["calls"]):
        nxt = case["calls"][i + 1] if i + 1 < len(case["calls"]) else None
        r = analyze_call(case, i, call, nxt)
        r["_pos"] = i
        calls.append(r)
    case["keepalive_stats"] = None
    if with_pcaps:
        pk = load_pcaps(case)
        if pk:
            offset, warn = pcapstats.mono_to_wall_offset(meta)
            if warn:
                case["warnings"].append(warn)
            check_coverage(case, pk, offset)
            add_pcap_stats(case, calls, pk, offset)
    for r in calls:
        r.pop("_pos", None)
    return {"case": meta.get("case") or os.path.basename(os.path.normpath(case_dir)),
            "mode": meta["mode"], "nat": meta.get("nat"), "dir": case_dir, "calls": calls,
            "keepalive_stats": case["keepalive_stats"], "warnings": case["warnings"]}


def main(argv=None):
    p = argparse.ArgumentParser(description="Analyse one RAW case directory; prints JSON.")
    p.add_argument("case_dir")
    p.add_argument("--no-pcap", action="store_true", help="skip the captures")
    a = p.parse_args(argv)
    try:
        r = analyze_case(a.case_dir, not a.no_pcap)
    except (RawError, components.StampError, pcapstats.PcapError) as e:
        print(f"analyze: {e}", file=sys.stderr)
        return 2
    json.dump(r, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
