#!/usr/bin/python3
# Unit tests of tools/eval/chart.py (the paper's Fig. 6 as SVG/PNG) on synthetic results JSON:
# bar order, stacks, labels, well-formed SVG, PNG when matplotlib is importable. Not a lab run.

import contextlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock
import xml.dom.minidom

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("SRC_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tools", "eval"))

import chart  # noqa: E402

COMPONENTS = ["lookup", "connect", "candidates_sip", "ice_sip", "invite", "candidates_media",
              "ice_media"]
VALUES = {
    "hip-bad": [200, 1000, 80, 950, 100, 0, 0],
    "ice-good": [180, 120, 60, 250, 90, 60, 300],
    "hip-good": [180, 900, 60, 250, 90, 0, 0],
    "ice-bad": [200, 130, 80, 900, 100, 80, 1200],
}


def results(values=VALUES, with_totals=True):
    res = []
    for case, vals in values.items():
        for comp, v in zip(COMPONENTS, vals):
            if case.startswith("hip") and "media" in comp:
                continue  # hip mode has no media components at all
            res.append({"case": case, "metric": comp + "_ms_mean", "value": v, "unit": "ms"})
            res.append({"case": case, "metric": comp + "_ms_sd", "value": v / 10, "unit": "ms"})
        if with_totals:
            res.append({"case": case, "metric": "total_ms_mean", "value": sum(vals),
                        "unit": "ms"})
            res.append({"case": case, "metric": "total_ms_sd", "value": 50, "unit": "ms"})
    res.append({"case": "good", "metric": "total_reduction_pct", "value": 20.0, "unit": "%"})
    res.append({"case": "ice-good", "metric": "calls", "value": "ten", "unit": "count"})
    return {"bench": "eval", "date": "2026-12-01", "machine": {"cpu": "test", "cores": 2},
            "results": res}


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def write(self, doc, name="results.json"):
        with open(self.path(name), "w", encoding="utf-8") as f:
            json.dump(doc, f)
        return self.path(name)

    def run_cli(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = chart.main(list(args))
        return rc, out.getvalue(), err.getvalue()

    def draw(self, doc, *extra):
        rc, out, err = self.run_cli(self.write(doc), "--svg", self.path("c.svg"), *extra)
        self.assertEqual(rc, 0, err)
        with open(self.path("c.svg"), encoding="utf-8") as f:
            text = f.read()
        return xml.dom.minidom.parseString(text), text, out


def bars(dom):
    return [g for g in dom.getElementsByTagName("g") if g.getAttribute("class") == "bar"]


def rect_titles(g):
    return [r.getElementsByTagName("title")[0].firstChild.data
            for r in g.getElementsByTagName("rect")]


def texts(node):
    return [t.firstChild.data for t in node.getElementsByTagName("text") if t.firstChild]


class Svg(Base):
    def test_svg_is_well_formed_and_has_a_title_and_axis_label(self):
        dom, _, _ = self.draw(results())
        self.assertEqual(dom.documentElement.tagName, "svg")
        self.assertIn("Session establishment delay (ms)", texts(dom))
        self.assertIn(chart.TITLE, texts(dom))

    def test_bars_follow_the_paper_order_without_hip_left(self):
        dom, _, _ = self.draw(results())
        self.assertEqual([g.getAttribute("data-case") for g in bars(dom)],
                         ["ice-good", "ice-bad", "hip-good", "hip-bad"])

    def test_segments_stack_bottom_to_top_with_mode_labels(self):
        dom, _, _ = self.draw(results())
        by_case = {g.getAttribute("data-case"): g for g in bars(dom)}
        self.assertEqual(
            [t.split(":")[0] for t in rect_titles(by_case["ice-good"])],
            ["Lookup", "Connect", "Candidates, SIP", "ICE for SIP", "INVITE", "Candidates, media",
             "ICE for media"])
        self.assertEqual(
            [t.split(":")[0] for t in rect_titles(by_case["hip-good"])],
            ["Lookup", "Connect", "Candidates, HIP", "ICE for HIP", "INVITE"])

    def test_segment_heights_are_proportional_to_their_values(self):
        dom, _, _ = self.draw(results())
        g = bars(dom)[0]  # ice-good: lookup 180, ice_media 300
        heights = [float(r.getAttribute("height")) for r in g.getElementsByTagName("rect")]
        self.assertAlmostEqual(heights[-1] / heights[0], 300 / 180, places=2)
        ys = [float(r.getAttribute("y")) for r in g.getElementsByTagName("rect")]
        self.assertEqual(ys, sorted(ys, reverse=True))  # each segment above the previous

    def test_total_is_written_on_each_bar(self):
        dom, _, _ = self.draw(results())
        for g in bars(dom):
            total = sum(VALUES[g.getAttribute("data-case")])
            self.assertIn(f"{total} ms", texts(g))

    def test_total_defaults_to_the_sum_of_the_components(self):
        dom, _, _ = self.draw(results(with_totals=False))
        self.assertIn("1060 ms", texts(bars(dom)[0]))
        self.assertEqual(bars(dom)[0].getElementsByTagName("line"), [])  # no sd, no error bar

    def test_error_bar_is_drawn_when_the_total_has_a_deviation(self):
        dom, _, _ = self.draw(results())
        self.assertEqual(len(bars(dom)[0].getElementsByTagName("line")), 3)

    def test_legend_lists_every_component_once(self):
        _, text, _ = self.draw(results())
        for label in ("Lookup", "Connect", "Candidates, SIP / HIP", "ICE for SIP / HIP", "INVITE",
                      "Candidates, media", "ICE for media"):
            self.assertEqual(text.count(f">{label}</text>"), 1, label)

    def test_second_calls_stand_beside_their_first(self):
        values = dict(VALUES)
        values["hip-good-second"] = [5, 0, 0, 0, 90, 0, 0]
        values["ice-bad-second"] = [5, 0, 0, 0, 100, 80, 1200]
        dom, _, _ = self.draw(results(values))
        self.assertEqual([g.getAttribute("data-case") for g in bars(dom)],
                         ["ice-good", "ice-bad", "ice-bad-second", "hip-good", "hip-good-second",
                          "hip-bad"])
        self.assertEqual(texts(dom).count("2nd call"), 2)

    def test_missing_cases_leave_out_their_bars(self):
        values = {"hip-good": VALUES["hip-good"]}
        dom, _, _ = self.draw(results(values))
        self.assertEqual([g.getAttribute("data-case") for g in bars(dom)], ["hip-good"])
        self.assertNotIn("Without HIP", texts(dom))

    def test_text_is_escaped(self):
        dom, _, _ = self.draw(results(), "--title", "a <b> & \"c\"")
        self.assertIn("a <b> & \"c\"", texts(dom))

    def test_svg_renders_with_rsvg_convert_when_present(self):
        if not shutil.which("rsvg-convert"):
            self.skipTest("rsvg-convert not installed")
        self.draw(results())
        subprocess.run(["rsvg-convert", self.path("c.svg"), "-o", self.path("r.png")], check=True)
        with open(self.path("r.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class Errors(Base):
    def test_no_known_case_fails_with_a_message(self):
        doc = {"bench": "eval", "results": [{"case": "x", "metric": "lookup_ms_mean",
                                             "value": 1, "unit": "ms"}]}
        rc, _, err = self.run_cli(self.write(doc), "--svg", self.path("c.svg"))
        self.assertEqual(rc, 1)
        self.assertIn("no known case", err)
        self.assertFalse(os.path.exists(self.path("c.svg")))

    def test_json_without_results_fails_with_a_message(self):
        rc, _, err = self.run_cli(self.write({"bench": "eval"}), "--svg", self.path("c.svg"))
        self.assertEqual(rc, 1)
        self.assertIn("results", err)

    def test_unreadable_json_fails_with_a_message(self):
        with open(self.path("bad.json"), "w", encoding="utf-8") as f:
            f.write("{not json")
        rc, _, err = self.run_cli(self.path("bad.json"), "--svg", self.path("c.svg"))
        self.assertEqual(rc, 1)
        self.assertIn("bad.json", err)

    def test_help_exits_zero(self):
        with self.assertRaises(SystemExit) as cm, contextlib.redirect_stdout(io.StringIO()):
            chart.main(["--help"])
        self.assertEqual(cm.exception.code, 0)


class Png(Base):
    def test_png_is_written_or_its_absence_said(self):
        rc, out, err = self.run_cli(self.write(results()), "--svg", self.path("c.svg"), "--png",
                                    self.path("c.png"))
        self.assertEqual(rc, 0, err)
        if importlib.util.find_spec("matplotlib") is None:
            self.assertIn("PNG skipped", out)
            self.assertFalse(os.path.exists(self.path("c.png")))
            return
        with open(self.path("c.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_without_matplotlib_the_png_is_skipped_and_said(self):
        with mock.patch.dict(sys.modules, {"matplotlib": None}):
            rc, out, err = self.run_cli(self.write(results()), "--svg", self.path("c.svg"),
                                        "--png", self.path("c.png"))
        self.assertEqual(rc, 0, err)
        self.assertIn("matplotlib is not importable", out)
        self.assertFalse(os.path.exists(self.path("c.png")))
        self.assertTrue(os.path.exists(self.path("c.svg")))


class Ticks(unittest.TestCase):
    def test_ticks_cover_the_top_in_round_steps(self):
        for top in (0.7, 9, 130, 1234, 2690 * 1.12, 15000):
            ticks = chart.nice_ticks(top)
            self.assertGreaterEqual(ticks[-1], top)
            self.assertLessEqual(len(ticks), 12)
            step = ticks[1] - ticks[0]
            mant = step / 10 ** int(f"{step:e}".split("e")[1])
            self.assertIn(round(mant, 6), (1, 2, 2.5, 5))


if __name__ == "__main__":
    unittest.main()
