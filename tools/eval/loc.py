#!/usr/bin/python3
# Table I of the paper (implementation costs) for our tree: C lines of code per work item.
# Not a general SLOC tool and not the paper's person-hours: only the rows in ROWS, files under git.
"""Count the lines of C code behind each work item of the paper's Table I.

Counting rule: a line of a .c or .h file counts when, once comments are removed, it still
holds a non-blank character. Comments are /* ... */ (also across lines) and // to the end
of the line; a /* or // inside a string or character literal is not a comment. Preprocessor
lines and lines holding only a brace count; blank lines and comment-only lines do not.

A row lists whole files (globs relative to the top of the tree, fnmatch: "*" also crosses
"/") and parts of files: the top-level functions of one file whose names match a regular
expression. A function runs from its first header line (at column 0) to its closing "}" at
column 0 (the tree's clang-format Linux brace style); declarations outside functions are not
part of it. Only files git tracks count (build directories and generated files never do),
and every glob and every function pattern must match something: a renamed file fails the run
instead of silently counting 0.
"""

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys

HIP = "hip"
ICE = "ice"
BOTH = "both"


def part(path, functions):
    """Part of one file: its top-level functions whose names fully match `functions`."""
    return {"file": path, "functions": functions}


# The table. Each row: the paper's work item it belongs to, our own name for it, the column
# (HIP: code that exists for the with-HIP system only; ICE: for the without-HIP system only;
# BOTH: shared by both, counted in both columns), whether it goes into the totals (the extra
# rows are NAT traversal code with no row in the paper), and what it counts.
ROWS = [
    {
        "paper": "ICE",
        "item": "ICE library (ice/: STUN, TURN client, candidates, checks, agent)",
        "column": BOTH,
        "total": True,
        "globs": ["ice/*.c", "ice/*.h"],
    },
    {
        "paper": "P2PSIP-HIP interface",
        "item": "P2PSIP-HIP interface, p2psipd side (hip link, hipd client, servers, peers)",
        "column": HIP,
        "total": True,
        "globs": [
            "p2psipd/link/link_hip.c",
            "p2psipd/link/hipd_client.c",
            "p2psipd/link/hipd_client.h",
            "p2psipd/hip_servers.c",
            "p2psipd/hip_peers.c",
            part("p2psipd/main.c", r"hip_peers_init|on_pub_timer|on_srv_timer"),
        ],
    },
    {
        "paper": "P2PSIP-HIP interface",
        "item": "P2PSIP-HIP interface, hipd side (HIP BONE routing, overlay parameters)",
        "column": HIP,
        "total": True,
        "globs": [
            "hipd/overlay.c",
            "hipd/overlay.h",
            "hipd/overlay_int.h",
            "hipd/overlay_notify.c",
            "hipd/wire/params_overlay.c",
        ],
    },
    {
        "paper": "ICE-HIP integration",
        "item": "ICE-HIP integration (hipd: RFC 5770 ICE-STUN-UDP, gathering, options)",
        "column": HIP,
        "total": True,
        "globs": [
            "hipd/nat.c",
            "hipd/nat.h",
            "hipd/nat_gather.c",
            "hipd/nat_host.h",
            "hipd/nat_options.c",
            "hipd/nat_options.h",
            "hipd/wire/params_nat.c",
            part("hipd/hipd_ctl.c", r"cmd_get_nat|server_arg|nat_result|cmd_set_stun|cmd_set_turn"),
        ],
    },
    {
        "paper": "ICE-SIP integration",
        "item": "ICE-SIP integration (SIP flows over ICE between p2psipd)",
        "column": ICE,
        "total": True,
        "globs": [
            "p2psipd/sip/peer_ice.c",
            "p2psipd/sip/peer_ice.h",
            part("p2psipd/sip/b2bua.c", r"open_ice"),
        ],
    },
    {
        "paper": "ICE-RTP integration",
        "item": "ICE-RTP integration (media relay agent, SDP ICE attributes, B2BUA glue)",
        "column": ICE,
        "total": True,
        "globs": [
            part(
                "p2psipd/media/relay.c",
                r"stamp_ice|isock_send|on_kick|kick|on_gathered|on_state|on_agent_data|on_event"
                r"|ice_open|media_relay_ice_.*",
            ),
            part(
                "p2psipd/sip/sdp.c",
                r"is_ice_attr|sdp_ice_.*|has_ice2|cand_take|cred_take|ice_level|type_rank"
                r"|ice_check|ice_write",
            ),
            part(
                "p2psipd/sip/b2bua.c",
                r"ice_mode|apply_remote_ice|sdp_from_peer_ice|sdp_to_peer_ice|rewrite_ice"
                r"|on_media_gathered|on_media_ice|media_ice_config",
            ),
        ],
    },
    {
        "paper": "ICE-P2PP integration",
        "item": "ICE-P2PP integration (P2PP over ICE links, candidates and credentials in P2PP)",
        "column": ICE,
        "total": True,
        "globs": [
            "p2psipd/link/link_ice.c",
            part("p2psipd/p2pp/p2pp_msg.c",
                 r"read_cand|get_cred|p2pp_get_ice_cred|p2pp_put_ice_cred"),
            part(
                "p2psipd/link/link.c",
                r"link_local_cands|link_peer_cands|link_p2pp_cand_type|link_ice_cand_type"
                r"|link_p2pp_foundation",
            ),
        ],
    },
    {
        "paper": "ICE-Chord integration",
        "item": "ICE-Chord integration (Connect, flows over the overlay, servers, link readiness)",
        "column": ICE,
        "total": True,
        "globs": [
            "p2psipd/overlay/connect.c",
            "p2psipd/overlay/flow.c",
            "p2psipd/overlay/flow.h",
            part("p2psipd/p2pp/p2pp_msg.c", r"p2pp_get_flow|p2pp_put_flow"),
            part(
                "p2psipd/link/link.c",
                r"link_ready|link_ready_peers|link_offer|link_accept|link_answered"
                r"|link_set_servers|link_get_servers|link_peer_failed|link_await_servers"
                r"|link_has_servers",
            ),
            part("p2psipd/main.c", r"own_servers|ice_host_addr"),
            part("p2psipd/servers.c", r"srvann_sa|on_discovered|p2psipd_discover_servers"),
        ],
    },
    {
        "paper": None,
        "item": "HIP relay (RFC 5770 relay server and client)",
        "column": HIP,
        "total": False,
        "globs": [
            "hipd/relay.c",
            "hipd/relay.h",
            "hipd/relay_client.c",
            "hipd/relay_int.h",
            "hipd/relay_pkt.c",
            "hipd/relay_pkt.h",
        ],
    },
]

# The paper's Table I, LoC only (with HIP, without HIP), for the comparison.
PAPER = {
    "ICE": (8000, 7000),
    "P2PSIP-HIP interface": (1300, 0),
    "ICE-HIP integration": (1000, 0),
    "ICE-SIP integration": (0, 1500),
    "ICE-RTP integration": (0, 1200),
    "ICE-P2PP integration": (0, 1300),
    "ICE-Chord integration": (0, 4600),
}
PAPER_TOTAL = (10300, 15600)

C_SUFFIXES = (".c", ".h")


class LocError(Exception):
    """A glob or function pattern matched nothing, or a file is not C."""


# ---- the counting rule ----


def code_lines(text):
    """Yield (line number from 1, True when the line holds code) for each line of C text."""
    in_block = False
    for no, line in enumerate(text.split("\n"), 1):
        code, in_block = _strip_line(line, in_block)
        yield no, bool(code.strip())


def _strip_line(line, in_block):
    """The line without its comments, and whether a /* comment is still open at its end."""
    out = []
    i = 0
    n = len(line)
    while i < n:
        if in_block:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), True
            i = end + 2
            in_block = False
            out.append(" ")
            continue
        ch = line[i]
        if ch in "\"'":
            j = _literal_end(line, i)
            out.append(line[i:j])
            i = j
            continue
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            in_block = True
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), in_block


def _literal_end(line, i):
    """Index just past the string or character literal that starts at line[i]."""
    quote = line[i]
    j = i + 1
    while j < len(line):
        if line[j] == "\\":
            j += 2
            continue
        if line[j] == quote:
            return j + 1
        j += 1
    return len(line)


def count_text(text, ranges=None):
    """Code lines of `text`; with `ranges` (inclusive (first, last) line numbers) only those."""
    total = 0
    for no, is_code in code_lines(text):
        if not is_code:
            continue
        if ranges is None or any(a <= no <= b for a, b in ranges):
            total += 1
    return total


# ---- functions of a file ----

_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def functions(text):
    """Top-level function definitions of C text in the tree's brace style: a "{" alone at
    column 0 opens a body that a "}" at column 0 closes; the header is the lines above it
    back to the first one starting at column 0. Returns [(name, first line, last line)]."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i] != "{":
            i += 1
            continue
        start = _header_start(lines, i)
        end = i + 1
        while end < len(lines) and not lines[end].startswith("}"):
            end += 1
        header = " ".join(lines[start:i])
        m = _NAME.search(header)
        if m and start < i:
            out.append((m.group(1), start + 1, end + 1))
        i = end + 1
    return out


def _header_start(lines, brace):
    j = brace - 1
    while j > 0 and lines[j][:1] in ("\t", " "):
        j -= 1
    return max(j, 0)


# ---- the tree ----


def git_files(top):
    """Files git tracks under `top`, as paths relative to it."""
    try:
        res = subprocess.run(
            ["git", "-C", top, "ls-files", "-z"], capture_output=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as e:
        raise LocError(f"git ls-files in {top} failed: {e}") from e
    return sorted(p for p in res.stdout.decode().split("\0") if p)


def _read(top, path):
    with open(os.path.join(top, path), encoding="utf-8", errors="replace") as f:
        return f.read()


def count_entry(top, tracked, entry):
    """[(path, lines, what)] for one glob or function part of a row."""
    if isinstance(entry, str):
        matched = [p for p in tracked if fnmatch.fnmatchcase(p, entry)]
        if not matched:
            raise LocError(f"glob {entry!r} matches no file git tracks (renamed or removed?)")
        bad = [p for p in matched if not p.endswith(C_SUFFIXES)]
        if bad:
            raise LocError(f"glob {entry!r} matches non-C files: {', '.join(bad)}")
        return [(p, count_text(_read(top, p)), "whole file") for p in matched]
    path, pattern = entry["file"], entry["functions"]
    if path not in tracked:
        raise LocError(f"file {path!r} is not tracked by git (renamed or removed?)")
    text = _read(top, path)
    funcs = functions(text)
    names = pattern.split("|") if re.fullmatch(r"[A-Za-z0-9_|]+", pattern) else None
    chosen = [f for f in funcs if re.fullmatch(pattern, f[0])]
    if not chosen:
        raise LocError(f"no function of {path} matches {pattern!r}")
    if names:
        missing = sorted(set(names) - {f[0] for f in chosen})
        if missing:
            raise LocError(f"{path}: no function named {', '.join(missing)}")
    ranges = [(a, b) for _, a, b in chosen]
    what = "functions " + ", ".join(f[0] for f in chosen)
    return [(path, count_text(text, ranges), what)]


def compute(top, rows=None):
    """The table for the tree at `top`: one dict per row with its files and counts."""
    rows = ROWS if rows is None else rows
    tracked = git_files(top)
    tracked_set = set(tracked)
    out = []
    for row in rows:
        files = []
        for entry in row["globs"]:
            found = count_entry(top, tracked if isinstance(entry, str) else tracked_set, entry)
            files.extend({"path": p, "loc": n, "counted": w} for p, n, w in found)
        loc = sum(f["loc"] for f in files)
        out.append(
            {
                "paper": row["paper"],
                "item": row["item"],
                "column": row["column"],
                "in_total": row["total"],
                "loc": loc,
                "loc_with_hip": loc if row["column"] in (HIP, BOTH) else 0,
                "loc_without_hip": loc if row["column"] in (ICE, BOTH) else 0,
                "files": files,
            }
        )
    return out


def by_paper_row(table):
    """[(paper row, ours with, ours without, paper with, paper without)] in the paper's order."""
    out = []
    for name, (pw, pwo) in PAPER.items():
        rows = [r for r in table if r["paper"] == name]
        out.append((name, sum(r["loc_with_hip"] for r in rows),
                    sum(r["loc_without_hip"] for r in rows), pw, pwo))
    return out


def totals(table):
    counted = [r for r in table if r["in_total"]]
    return {
        "with_hip": sum(r["loc_with_hip"] for r in counted),
        "without_hip": sum(r["loc_without_hip"] for r in counted),
    }


# ---- output ----

RULE = (
    "non-blank C lines (.c, .h) once /* */ and // comments are removed, files tracked by git; "
    "parts of files are whole top-level functions"
)


def commit_of(top):
    try:
        res = subprocess.run(
            ["git", "-C", top, "rev-parse", "--short", "HEAD"], capture_output=True, check=True
        )
        return res.stdout.decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def text_table(table, verbose=False):
    width = max(len(r["item"]) for r in table)
    head = f"{'Work item':<{width}}  {'With HIP':>8}  {'Without HIP':>11}"
    lines = [head, "-" * len(head)]
    for r in [r for r in table if r["in_total"]]:
        lines.append(_text_row(r, width))
        lines.extend(_file_lines(r) if verbose else [])
    t = totals(table)
    lines.append("-" * len(head))
    lines.append(f"{'Total':<{width}}  {t['with_hip']:>8}  {t['without_hip']:>11}")
    extra = [r for r in table if not r["in_total"]]
    if extra:
        lines.append("")
        lines.append("Not in the totals (no row in the paper's Table I):")
        for r in extra:
            lines.append(_text_row(r, width))
            lines.extend(_file_lines(r) if verbose else [])
    lines.append("")
    lines.extend(comparison(table))
    lines.append("")
    lines.append("Rule: " + RULE + ".")
    return "\n".join(lines)


def comparison(table):
    """The paper's rows beside ours (the paper's ICE was Java without HIP, C with HIP)."""
    width = max(len(n) for n in PAPER)
    head = (f"{'Paper row':<{width}}  {'ours HIP':>8}  {'paper HIP':>9}  {'ours no HIP':>11}  "
            f"{'paper no HIP':>12}")
    lines = ["Against the paper's Table I:", head, "-" * len(head)]
    for name, ow, owo, pw, pwo in by_paper_row(table):
        lines.append(f"{name:<{width}}  {ow:>8}  {pw:>9}  {owo:>11}  {pwo:>12}")
    t = totals(table)
    lines.append(f"{'Total':<{width}}  {t['with_hip']:>8}  {PAPER_TOTAL[0]:>9}  "
                 f"{t['without_hip']:>11}  {PAPER_TOTAL[1]:>12}")
    return lines


def _text_row(r, width):
    return f"{r['item']:<{width}}  {r['loc_with_hip']:>8}  {r['loc_without_hip']:>11}"


def _file_lines(r):
    return [f"    {f['loc']:>6}  {f['path']} ({f['counted']})" for f in r["files"]]


def markdown_table(table):
    lines = [
        "| Work item | LoC with HIP | LoC without HIP | Files |",
        "| --- | ---: | ---: | --- |",
    ]
    for r in [r for r in table if r["in_total"]]:
        lines.append(_md_row(r))
    t = totals(table)
    lines.append(f"| **Total** | **{t['with_hip']}** | **{t['without_hip']}** | |")
    for r in [r for r in table if not r["in_total"]]:
        lines.append(_md_row(r, note=" (not in the total)"))
    lines.append("")
    lines.append("| Paper's row | ours, with HIP | paper, with HIP | ours, without HIP | "
                 "paper, without HIP |")
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    for name, ow, owo, pw, pwo in by_paper_row(table):
        lines.append(f"| {name} | {ow} | {pw} | {owo} | {pwo} |")
    lines.append(f"| **Total** | **{t['with_hip']}** | **{PAPER_TOTAL[0]}** | "
                 f"**{t['without_hip']}** | **{PAPER_TOTAL[1]}** |")
    lines.append("")
    lines.append("Counted by `tools/eval/loc.py`: " + RULE + ".")
    return "\n".join(lines)


def _md_row(r, note=""):
    files = "<br>".join(
        f"`{f['path']}`" + ("" if f["counted"] == "whole file" else f" ({f['counted']})")
        for f in r["files"]
    )
    return f"| {r['item']}{note} | {r['loc_with_hip']} | {r['loc_without_hip']} | {files} |"


def json_doc(table, top):
    t = totals(table)
    return {
        "what": "lines of code per work item, the paper's Table I for this tree",
        "rule": RULE,
        "commit": commit_of(top),
        "rows": table,
        "total_with_hip": t["with_hip"],
        "total_without_hip": t["without_hip"],
        "paper": [
            {"row": n, "loc_with_hip": ow, "loc_without_hip": owo, "paper_loc_with_hip": pw,
             "paper_loc_without_hip": pwo}
            for n, ow, owo, pw, pwo in by_paper_row(table)
        ],
        "paper_total_with_hip": PAPER_TOTAL[0],
        "paper_total_without_hip": PAPER_TOTAL[1],
    }


def default_top():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.dirname(os.path.dirname(here))


def list_functions(top, path):
    text = _read(top, path)
    for name, a, b in functions(text):
        print(f"{count_text(text, [(a, b)]):>5}  {a:>5}-{b:<5}  {name}")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Lines of C code per work item of the paper's Table I, for this tree. "
        "Rule: " + RULE + "."
    )
    ap.add_argument("--top", default=default_top(), help="top of the git tree (default: this one)")
    fmt = ap.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON (rows, files, totals)")
    fmt.add_argument("--markdown", action="store_true", help="print a markdown table for docs")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the files of each row")
    ap.add_argument("-o", "--output", help="write to this file instead of standard output")
    ap.add_argument(
        "--functions", metavar="FILE", help="list the top-level functions of FILE and their LoC"
    )
    args = ap.parse_args(argv)
    try:
        if args.functions:
            list_functions(args.top, args.functions)
            return 0
        table = compute(args.top)
    except (LocError, OSError) as e:
        print(f"loc: {e}", file=sys.stderr)
        return 1
    if args.json:
        text = json.dumps(json_doc(table, args.top), indent=2)
    elif args.markdown:
        text = markdown_table(table)
    else:
        text = text_table(table, args.verbose)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
