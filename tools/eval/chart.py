#!/usr/bin/python3
# The evaluation's stacked bar chart (the paper's Fig. 6) from a results JSON, as SVG and PNG.
# Not the analysis: it computes no statistics; it draws the means and deviations the JSON holds.
"""Draw the components of the session establishment delay as stacked bars.

Input: a results JSON in the shape of DESIGN.md section 7, {"bench": ..., "date": ...,
"machine": {...}, "results": [{"case": "hip-good", "metric": "lookup_ms_mean", "value": 12.3,
"unit": "ms"}, ...]}. Cases ice-good, ice-bad, hip-good, hip-bad (without HIP left, with HIP
right, as in the paper) and optionally <case>-second (a second call to the same peer) beside
its first; other cases are ignored. Metrics <component>_ms_mean per component (a missing one
is 0), total_ms_mean (else the sum of the components) and total_ms_sd for the error bar.
"""

import argparse
import json
import math
import sys
from xml.sax.saxutils import escape

# Stack order, bottom to top: (metric prefix, label without HIP, label with HIP, colour,
# hatch). The colours (Paul Tol's muted scheme) alternate dark and light so that neighbours
# differ in grayscale too; the media components, which HIP removes, are hatched.
COMPONENTS = [
    ("lookup", "Lookup", "Lookup", "#332288", None),
    ("connect", "Connect", "Connect", "#88CCEE", None),
    ("candidates_sip", "Candidates, SIP", "Candidates, HIP", "#117733", None),
    ("ice_sip", "ICE for SIP", "ICE for HIP", "#DDCC77", None),
    ("invite", "INVITE", "INVITE", "#882255", None),
    ("candidates_media", "Candidates, media", "Candidates, media", "#44AA99", "/"),
    ("ice_media", "ICE for media", "ICE for media", "#EE99AA", "\\"),
]

MODES = [("ice", "Without HIP"), ("hip", "With HIP")]
NATS = [("good", "Good NATs"), ("bad", "Bad NATs")]
SECOND = "-second"

TITLE = "Components of the P2PSIP session establishment delay, with and without HIP"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


class ChartError(Exception):
    """The input can't be drawn (unreadable, wrong shape, no known case)."""


# ---- the model: what is drawn, independent of the output format ----


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise ChartError(f"{path}: {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise ChartError(f"{path}: no \"results\" list (DESIGN.md section 7 shape expected)")
    return doc


def metrics_by_case(doc):
    """{case: {metric: value}} from the results list; entries that aren't numbers are skipped."""
    out = {}
    for r in doc["results"]:
        if not isinstance(r, dict):
            continue
        case, metric, value = r.get("case"), r.get("metric"), r.get("value")
        if not isinstance(case, str) or not isinstance(metric, str):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            continue
        out.setdefault(case, {})[metric] = float(value)
    return out


def bar_of(case, mode, second, m):
    """One bar: its segments (component, label, value) bottom to top, total and sd."""
    segs = []
    for key, label_ice, label_hip, _, _ in COMPONENTS:
        v = max(0.0, m.get(key + "_ms_mean", 0.0))
        segs.append((key, label_hip if mode == "hip" else label_ice, v))
    stacked = sum(v for _, _, v in segs)
    return {
        "case": case,
        "second": second,
        "segments": segs,
        "stacked": stacked,
        "total": m.get("total_ms_mean", stacked),
        "sd": m.get("total_ms_sd"),
    }


def model(doc, title=None):
    """The chart: groups (mode) of cases (NAT kind) of bars (first call, second call)."""
    by_case = metrics_by_case(doc)
    groups = []
    for mode, mode_label in MODES:
        cases = []
        for nat, nat_label in NATS:
            case = f"{mode}-{nat}"
            bars = [bar_of(c, mode, c.endswith(SECOND), by_case[c])
                    for c in (case, case + SECOND) if c in by_case]
            if bars:
                cases.append({"label": nat_label, "bars": bars})
        if cases:
            groups.append({"label": mode_label, "cases": cases})
    if not groups:
        known = ", ".join(f"{m}-{n}" for m, _ in MODES for n, _ in NATS)
        raise ChartError(f"no known case in the results (expected some of {known})")
    return {"title": title or TITLE, "subtitle": subtitle(doc), "groups": groups,
            "has_second": any(b["second"] for g in groups for c in g["cases"] for b in c["bars"])}


def subtitle(doc):
    parts = []
    if doc.get("date"):
        parts.append(str(doc["date"]))
    mach = doc.get("machine")
    if isinstance(mach, dict):
        parts.extend(f"{k} {v}" for k, v in mach.items() if isinstance(v, (str, int, float)))
    parts.append("mean per component; error bar: one standard deviation of the total")
    return " · ".join(parts)


def all_bars(m):
    return [b for g in m["groups"] for c in g["cases"] for b in c["bars"]]


def y_top(m):
    """The axis maximum: the highest bar or error bar with some headroom."""
    hi = 0.0
    for b in all_bars(m):
        hi = max(hi, b["stacked"], b["total"] + (b["sd"] or 0.0))
    return hi * 1.12 if hi > 0 else 1.0


def nice_ticks(top, want=6):
    """Ticks 0, step, 2 step ... up to at least `top`, step 1, 2 or 5 times a power of ten."""
    raw = top / want
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def fmt_ms(v):
    if v == int(v) or abs(v) >= 10:
        return f"{v:.0f}"
    return f"{v:.1f}"


def axis_top(m):
    return nice_ticks(y_top(m))[-1]


def labelled(base, v, b, m):
    """Whether the segment [base, base + v] gets its value written inside: tall enough
    (15 px of the plot) and its middle clear of the total's error bar."""
    top = axis_top(m)
    if v / top * (H - TOP - BOTTOM) < 15:
        return False
    mid, sd = base + v / 2, b["sd"] or 0.0
    clear = 12 / (H - TOP - BOTTOM) * top  # half a label's height, in ms
    return not (sd and b["total"] - sd - clear <= mid <= b["total"] + sd + clear)


def legend_entries():
    out = []
    for key, label_ice, label_hip, colour, hatch in COMPONENTS:
        label = label_ice if label_ice == label_hip else f"{label_ice} / {label_hip.split()[-1]}"
        out.append((key, label, colour, hatch))
    return list(reversed(out))  # top of the stack first, as it reads on the bars


def text_colour(hex_colour):
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


# ---- SVG ----

W, H = 960, 600
LEFT, RIGHT_LEGEND, TOP, BOTTOM = 80, 230, 78, 118
BAR_W, BAR_GAP, CASE_GAP, GROUP_GAP = 62, 12, 34, 64


def layout_x(m):
    """x of each bar's left edge, each case's and group's centre, width of the plot; the
    bar width goes into m["bar_w"]. Few bars are spread over the default width."""
    natural = _layout_x(m, 1.0)[3]
    scale = min(1.6, max(1.0, (W - LEFT - RIGHT_LEGEND) / natural))
    m["bar_w"] = BAR_W * scale
    return _layout_x(m, scale)


def _layout_x(m, k):
    x = 30.0 * k
    bars, cases, groups = [], [], []
    for gi, g in enumerate(m["groups"]):
        gx0 = x
        for ci, c in enumerate(g["cases"]):
            cx0 = x
            for bi, b in enumerate(c["bars"]):
                bars.append((x, b))
                x += (BAR_W + (BAR_GAP if bi + 1 < len(c["bars"]) else 0)) * k
            cases.append(((cx0 + x) / 2, c["label"]))
            x += (CASE_GAP if ci + 1 < len(g["cases"]) else 0) * k
        groups.append(((gx0 + x) / 2, g["label"]))
        x += (GROUP_GAP if gi + 1 < len(m["groups"]) else 0) * k
    return bars, cases, groups, x + 30 * k


def svg(m):
    bars, cases, groups, plot_w = layout_x(m)
    width = max(W, int(LEFT + plot_w + RIGHT_LEGEND))
    plot_h = H - TOP - BOTTOM
    top = axis_top(m)

    def y(v):
        return TOP + plot_h - v / top * plot_h

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H}" '
        f'viewBox="0 0 {width} {H}" font-family="{FONT}">',
        f"<title>{escape(m['title'])}</title>",
        _svg_patterns(),
        f'<rect x="0" y="0" width="{width}" height="{H}" fill="#ffffff"/>',
        _text(width / 2, 30, m["title"], 18, weight="bold"),
        _text(width / 2, 52, m["subtitle"], 12, fill="#444444"),
    ]
    out += _svg_axes(nice_ticks(y_top(m)), y, plot_w, plot_h)
    for x0, b in bars:
        out += _svg_bar(LEFT + x0, b, y, m)
    out += _svg_labels(bars, cases, groups, m, plot_h)
    out += _svg_legend(LEFT + plot_w + 24, TOP + 10)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _text(x, y, s, size, anchor="middle", weight="normal", fill="#000000", extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}"{extra}>{escape(s)}</text>')


def _svg_patterns():
    defs = ["<defs>"]
    for key, _, _, colour, hatch in COMPONENTS:
        if not hatch:
            continue
        line = ('<path d="M0,8 L8,0" ' if hatch == "/" else '<path d="M0,0 L8,8" ')
        defs.append(
            f'<pattern id="hatch-{key}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="{colour}"/>'
            f'{line}stroke="#000000" stroke-opacity="0.45" stroke-width="1.4"/></pattern>')
    defs.append("</defs>")
    return "".join(defs)


def _fill(key, colour, hatch):
    return f"url(#hatch-{key})" if hatch else colour


def _svg_axes(ticks, y, plot_w, plot_h):
    out = []
    for t in ticks:
        yy = y(t)
        out.append(f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{LEFT + plot_w:.1f}" y2="{yy:.1f}" '
                   f'stroke="{"#000000" if t == 0 else "#dddddd"}" stroke-width="1"/>')
        out.append(_text(LEFT - 8, yy + 4, fmt_ms(t), 12, anchor="end"))
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" '
               'stroke="#000000" stroke-width="1"/>')
    cy = TOP + plot_h / 2
    out.append(_text(22, cy, "Session establishment delay (ms)", 14,
                     extra=f' transform="rotate(-90 22 {cy:.1f})"'))
    return out


def _svg_bar(x, b, y, m):
    bw = m["bar_w"]
    out = [f'<g class="bar" data-case="{escape(b["case"])}">']
    base = 0.0
    colours = {k: (c, h) for k, _, _, c, h in COMPONENTS}
    for key, label, v in b["segments"]:
        if v <= 0:
            continue
        colour, hatch = colours[key]
        y0, y1 = y(base + v), y(base)
        out.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bw:.1f}" height="{y1 - y0:.1f}" '
                   f'fill="{_fill(key, colour, hatch)}" stroke="#ffffff" stroke-width="0.8">'
                   f"<title>{escape(f'{label}: {fmt_ms(v)} ms')}</title></rect>")
        if labelled(base, v, b, m):
            out.append(_segment_label(x + bw / 2, (y0 + y1) / 2 + 4, v, colour, hatch))
        base += v
    out += _svg_errorbar(x + bw / 2, b, y)
    label_y = y(max(b["stacked"], b["total"] + (b["sd"] or 0.0))) - 8
    out.append(_text(x + bw / 2, label_y, f"{fmt_ms(b['total'])} ms", 13, weight="bold"))
    out.append("</g>")
    return out


def _segment_label(x, y, v, colour, hatch):
    if not hatch:
        return _text(x, y, fmt_ms(v), 11, fill=text_colour(colour))
    halo = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"'
    return _text(x, y, fmt_ms(v), 11, extra=halo)


def _svg_errorbar(cx, b, y):
    if not b["sd"]:
        return []
    lo, hi = y(max(0.0, b["total"] - b["sd"])), y(b["total"] + b["sd"])
    return [
        f'<line x1="{cx:.1f}" y1="{lo:.1f}" x2="{cx:.1f}" y2="{hi:.1f}" stroke="#000000" '
        'stroke-width="1.3"/>',
        f'<line x1="{cx - 7:.1f}" y1="{hi:.1f}" x2="{cx + 7:.1f}" y2="{hi:.1f}" '
        'stroke="#000000" stroke-width="1.3"/>',
        f'<line x1="{cx - 7:.1f}" y1="{lo:.1f}" x2="{cx + 7:.1f}" y2="{lo:.1f}" '
        'stroke="#000000" stroke-width="1.3"/>',
    ]


def _svg_labels(bars, cases, groups, m, plot_h):
    out = []
    base = TOP + plot_h
    row = base + 20
    if m["has_second"]:
        for x0, b in bars:
            label = "2nd call" if b["second"] else "1st call"
            out.append(_text(LEFT + x0 + m["bar_w"] / 2, row, label, 12, fill="#333333"))
        row += 22
    for cx, label in cases:
        out.append(_text(LEFT + cx, row, label, 14))
    row += 26
    for cx, label in groups:
        out.append(_text(LEFT + cx, row, label, 15, weight="bold"))
    return out


def _svg_legend(x, y):
    out = [_text(x, y, "Component", 13, anchor="start", weight="bold")]
    for i, (key, label, colour, hatch) in enumerate(legend_entries()):
        yy = y + 14 + i * 26
        out.append(f'<rect x="{x}" y="{yy}" width="18" height="18" '
                   f'fill="{_fill(key, colour, hatch)}" stroke="#555555" stroke-width="0.6"/>')
        out.append(_text(x + 26, yy + 14, label, 13, anchor="start"))
    return out


# ---- PNG (matplotlib, when importable) ----


def png(m, path):
    """Write the same chart as a PNG; False when matplotlib is not importable."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch
    except ImportError:
        return False
    bars, cases, groups, plot_w = layout_x(m)
    fig, ax = plt.subplots(figsize=(max(W, LEFT + plot_w + RIGHT_LEGEND) / 100, H / 100), dpi=150)
    colours = {k: (c, h) for k, _, _, c, h in COMPONENTS}
    for x0, b in bars:
        cx = x0 + m["bar_w"] / 2
        base = 0.0
        for key, _, v in b["segments"]:
            if v <= 0:
                continue
            colour, hatch = colours[key]
            ax.bar(cx, v, m["bar_w"], bottom=base, color=colour, edgecolor="white", linewidth=0.8,
                   hatch=(hatch * 3 if hatch else None))
            if labelled(base, v, b, m):
                box = dict(boxstyle="square,pad=0.1", fc="white", ec="none") if hatch else None
                ax.text(cx, base + v / 2, fmt_ms(v), ha="center", va="center", fontsize=7,
                        color="black" if hatch else text_colour(colour), bbox=box)
            base += v
        if b["sd"]:
            ax.errorbar(cx, b["total"], yerr=b["sd"], color="black", capsize=4, linewidth=1)
        ax.text(cx, max(b["stacked"], b["total"] + (b["sd"] or 0.0)) + y_top(m) * 0.01,
                f"{fmt_ms(b['total'])} ms", ha="center", va="bottom", fontsize=8,
                fontweight="bold")
    _png_axes(ax, m, bars, cases, groups, plot_w)
    handles = [Patch(facecolor=c, hatch=(h * 3 if h else None), edgecolor="#555555", label=lab)
               for _, lab, c, h in legend_entries()]
    ax.legend(handles=handles, title="Component", loc="upper left", bbox_to_anchor=(1.02, 1),
              frameon=False, fontsize=8, title_fontsize=9)
    fig.suptitle(m["title"], fontsize=11, fontweight="bold")
    ax.set_title(m["subtitle"], fontsize=7, color="#444444")
    fig.subplots_adjust(left=0.08, right=0.76, top=0.86, bottom=0.2)
    fig.savefig(path, facecolor="white")
    plt.close(fig)
    return True


def _png_axes(ax, m, bars, cases, groups, plot_w):
    ticks = nice_ticks(y_top(m))
    ax.set_xlim(0, plot_w)
    ax.set_ylim(0, ticks[-1])
    ax.set_yticks(ticks)
    ax.set_yticklabels([fmt_ms(t) for t in ticks])
    ax.set_ylabel("Session establishment delay (ms)", fontsize=9)
    ax.grid(axis="y", color="#dddddd")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if m["has_second"]:
        ax.set_xticks([x0 + m["bar_w"] / 2 for x0, _ in bars])
        ax.set_xticklabels(["2nd call" if b["second"] else "1st call" for _, b in bars],
                           fontsize=7)
    else:
        ax.set_xticks([])
    off = -0.09 if m["has_second"] else -0.05
    tr = ax.get_xaxis_transform()
    for cx, label in cases:
        ax.text(cx, off, label, transform=tr, ha="center", va="top", fontsize=9)
    for cx, label in groups:
        ax.text(cx, off - 0.07, label, transform=tr, ha="center", va="top", fontsize=10,
                fontweight="bold")


# ---- command line ----


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Stacked bar chart of the session establishment delay components (the "
        "paper's Fig. 6) from a results JSON (DESIGN.md section 7 shape). The SVG needs only "
        "Python; the PNG needs matplotlib (Debian: python3-matplotlib).")
    ap.add_argument("results", help="results JSON (cases ice-good, ice-bad, hip-good, hip-bad, "
                    "optionally <case>-second; metrics <component>_ms_mean, total_ms_mean, "
                    "total_ms_sd)")
    ap.add_argument("--svg", required=True, help="SVG file to write")
    ap.add_argument("--png", help="PNG file to write too (skipped, with a message, when "
                    "matplotlib is not importable)")
    ap.add_argument("--title", help="chart title (default: %(default)s)", default=None)
    args = ap.parse_args(argv)
    try:
        m = model(load(args.results), args.title)
        with open(args.svg, "w", encoding="utf-8") as f:
            f.write(svg(m))
    except (ChartError, OSError) as e:
        print(f"chart: {e}", file=sys.stderr)
        return 1
    print(f"chart: wrote {args.svg}")
    if args.png:
        try:
            done = png(m, args.png)
        except OSError as e:
            print(f"chart: {e}", file=sys.stderr)
            return 1
        if done:
            print(f"chart: wrote {args.png}")
        else:
            print("chart: matplotlib is not importable here (Debian: apt-get install "
                  "python3-matplotlib, or tools/install-deps); PNG skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
