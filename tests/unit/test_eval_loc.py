#!/usr/bin/python3
# Unit tests of tools/eval/loc.py (the paper's Table I for our tree): the line-counting rule on
# synthetic C, function parts, failing globs, the real tree's table. Not a test of the C code.

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("SRC_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tools", "eval"))

import loc  # noqa: E402

SAMPLE = r"""/* A file comment
 * spanning three lines */

#include <stdio.h>

// a line comment
static const char *s = "not /* a comment */ here"; // trailing
static const char c = '"';
static const char *t = "escaped \" quote /* still a string";

int f(int a, /* inline */ int b)
{
	/* a comment alone */
	int x = a + b; /* opened here
	still in the comment
	closed here */ x++;

	return x;
}
/**/
    /* indented comment */   
"""


def git_tree(files):
    """A temporary git repository holding `files` ({path: text}), committed."""
    d = tempfile.TemporaryDirectory()
    for path, text in files.items():
        full = os.path.join(d.name, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    subprocess.run(["git", "init", "-q", d.name], check=True, env=env)
    subprocess.run(["git", "-C", d.name, "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", d.name, "commit", "-q", "-m", "t"], check=True, env=env)
    return d


def row(column, globs, total=True):
    return {"paper": "X", "item": "item " + column, "column": column, "total": total,
            "globs": globs}


class CountingRule(unittest.TestCase):
    def test_comments_blank_lines_and_strings_follow_the_rule(self):
        # code: #include, s, c, t, int f(..), {, int x.., "closed here */ x++;", return, }
        self.assertEqual(loc.count_text(SAMPLE), 10)

    def test_comment_opener_inside_a_string_does_not_open_a_comment(self):
        text = 'char *a = "/*";\nint b;\nchar *c = "*/";\n'
        self.assertEqual(loc.count_text(text), 3)

    def test_line_comment_marker_inside_a_string_is_code(self):
        self.assertEqual(loc.count_text('char *u = "http://x";\n'), 1)

    def test_code_after_a_block_comment_closes_counts(self):
        self.assertEqual(loc.count_text("/* a\n b */ int x;\n/* c */\n"), 1)

    def test_code_before_a_block_comment_opens_counts(self):
        self.assertEqual(loc.count_text("int y; /* a\n b\n*/\n"), 1)

    def test_only_the_given_line_ranges_count(self):
        self.assertEqual(loc.count_text("int a;\nint b;\n\nint c;\n", [(2, 4)]), 2)

    def test_unterminated_string_ends_at_the_end_of_the_line(self):
        self.assertEqual(loc.count_text('char *a = "abc\nint b; /* x */\n'), 2)


class Functions(unittest.TestCase):
    TEXT = (
        "static int one(void)\n{\n\treturn 1;\n}\n\n"
        "/* two's comment */\n"
        "static int two(int a,\n\t\tint b)\n{\n\t/* c */\n\treturn a + b;\n}\n"
        "static const int tbl[] = {\n\t1,\n};\n"
    )

    def test_functions_span_header_to_closing_brace(self):
        self.assertEqual(loc.functions(self.TEXT), [("one", 1, 4), ("two", 7, 12)])

    def test_a_function_part_counts_its_code_lines_only(self):
        with git_tree({"a/f.c": self.TEXT}) as top:
            [(path, n, what)] = loc.count_entry(top, {"a/f.c"}, loc.part("a/f.c", "two"))
        self.assertEqual((path, n, what), ("a/f.c", 5, "functions two"))


class Tree(unittest.TestCase):
    def setUp(self):
        self.top = git_tree({
            "ice/a.c": "int a;\n// c\n",
            "ice/a.h": "int a(void);\n",
            "hipd/nat.c": "static int n(void)\n{\n\treturn 0;\n}\n",
            "p2psipd/x.c": "int x;\nint y;\n",
            "README.md": "text\n",
        })
        # an untracked file inside a glob's reach must not count
        with open(os.path.join(self.top.name, "ice", "build.c"), "w", encoding="utf-8") as f:
            f.write("int untracked;\n")

    def tearDown(self):
        self.top.cleanup()

    def rows(self):
        return [
            row(loc.BOTH, ["ice/*.c", "ice/*.h"]),
            row(loc.HIP, [loc.part("hipd/nat.c", "n")]),
            row(loc.ICE, ["p2psipd/x.c"]),
            row(loc.HIP, ["p2psipd/x.c"], total=False),
        ]

    def test_columns_and_totals_follow_the_rows(self):
        table = loc.compute(self.top.name, self.rows())
        self.assertEqual([(r["loc_with_hip"], r["loc_without_hip"]) for r in table],
                         [(2, 2), (4, 0), (0, 2), (2, 0)])
        self.assertEqual(loc.totals(table), {"with_hip": 6, "without_hip": 4})

    def test_untracked_files_do_not_count(self):
        table = loc.compute(self.top.name, self.rows())
        self.assertNotIn("ice/build.c", [f["path"] for f in table[0]["files"]])

    def test_a_glob_that_matches_nothing_fails(self):
        with self.assertRaisesRegex(loc.LocError, "renamed"):
            loc.compute(self.top.name, [row(loc.ICE, ["p2psipd/gone.c"])])

    def test_a_missing_function_fails(self):
        with self.assertRaisesRegex(loc.LocError, "no function"):
            loc.compute(self.top.name, [row(loc.HIP, [loc.part("hipd/nat.c", "n|gone")])])

    def test_a_glob_matching_non_c_files_fails(self):
        with self.assertRaisesRegex(loc.LocError, "non-C"):
            loc.compute(self.top.name, [row(loc.ICE, ["*.md"])])

    def test_outputs_carry_the_totals(self):
        table = loc.compute(self.top.name, self.rows())
        self.assertIn("| **Total** | **6** | **4** |", loc.markdown_table(table))
        self.assertRegex(loc.text_table(table), r"(?m)^Total\s+6\s+4$")
        doc = json.loads(json.dumps(loc.json_doc(table, self.top.name)))
        self.assertEqual((doc["total_with_hip"], doc["total_without_hip"]), (6, 4))
        self.assertEqual([p["row"] for p in doc["paper"]], list(loc.PAPER))
        self.assertEqual(doc["paper"][0]["paper_loc_with_hip"], 8000)


class OurTree(unittest.TestCase):
    def test_every_row_of_our_table_matches_files_of_this_tree(self):
        if not os.path.isdir(os.path.join(SRC, ".git")) and not os.path.isfile(
                os.path.join(SRC, ".git")):
            self.skipTest("not a git checkout")
        table = loc.compute(SRC)
        for r in table:
            self.assertGreater(r["loc"], 0, r["item"])
        self.assertGreater(loc.totals(table)["with_hip"], 0)


if __name__ == "__main__":
    unittest.main()
