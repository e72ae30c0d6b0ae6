#!/usr/bin/env python3
"""After a red `make check`: the failed tests' failing TAP lines and diagnostics, short.
Not a test runner; it only reads meson's testlog.json files given on the command line."""
import json
import sys

PASSED = {"OK", "SKIP", "EXPECTEDFAIL"}
MARKS = ("not ok", "Bail out", "AddressSanitizer", "LeakSanitizer", "runtime error",
         "a sanitizer report", "FAIL", "Traceback", "Error")
PER_TEST = 30  # lines kept per failed test
AFTER = 4      # diagnostic lines kept after each marked line


def failed_tests(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    t = json.loads(line)
                except ValueError:
                    continue
                if t.get("result") not in PASSED:
                    yield t
    except OSError as e:
        print(f"digest: {path}: {e.strerror}")


def digest(stdout):
    lines = stdout.splitlines()
    keep, follow = [], 0
    for line in lines:
        if any(m in line for m in MARKS):
            keep.append(line)
            follow = AFTER
        elif follow and line.startswith("#"):
            keep.append(line)
            follow -= 1
        else:
            follow = 0
    if not keep:
        keep = lines[-10:]
    if len(keep) > PER_TEST:
        keep = keep[:PER_TEST - 1] + [f"... ({len(keep) - PER_TEST + 1} more lines)"]
    return keep


def main(paths):
    for path in paths:
        for t in failed_tests(path):
            print(f"=== {t['name']}: {t['result']} (exit {t.get('returncode')}, "
                  f"{t.get('duration', 0):.0f} s) in {path}")
            for line in digest(t.get("stdout") or ""):
                print("  " + line[:300])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
