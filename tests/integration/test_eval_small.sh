#!/usr/bin/env bash
# The evaluation on a small run (issue 8): run_lab.py, one first and one second call per case,
# then report.py --check. Not the full report (make eval) and not a timing test.
# --check demands: every call ok; its components add up to its total; the stamps' INVITE-to-200
# lies inside the runner's dial-to-answered interval; the captures show the ICE runs each mode
# should run (hip: 1 per first call, 0 per second; ice: SIP + RTP + RTCP, then RTP + RTCP).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${SRC_DIR:-$(cd "$HERE/../.." && pwd)}
BUILD=${BUILD_DIR:-$SRC/build}
RUN=$SRC/tools/eval/run_lab.py
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
[ -f "$RUN" ] || { echo "SKIP: no tools/eval/run_lab.py"; exit 77; }
for t in baresip tshark tcpdump python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
OUT=$(mktemp -d /tmp/hipsip-evalsmall.XXXXXX)
[ -n "${KEEP_LAB_DIR:-}" ] || trap 'rm -rf "$OUT"' EXIT
echo "# output in $OUT"
python3 "$RUN" --out "$OUT" --calls 1 --keepalive-s 5 --build-dir "$BUILD" 2>&1 | sed 's/^/# /'
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "not ok 1 - run_lab.py"; exit 1; }
echo "ok 1 - run_lab.py"
python3 "$SRC/tools/eval/report.py" "$OUT" --json "$OUT/eval.json" \
	--calls-json "$OUT/calls.json" --check 2>&1 | sed 's/^/# /'
rc=${PIPESTATUS[0]}
[ $rc -eq 0 ] && echo "ok 2 - report --check" || echo "not ok 2 - report --check"
echo "1..2"
exit $rc
