#!/usr/bin/env bash
# Every man page in man/ renders without a warning (groff -man -ww -z prints nothing) and
# man -l shows it; the pages of the programs have EXAMPLES. Not a check of their content.
set -u
SRC=$2
command -v groff >/dev/null || { echo "SKIP: groff missing"; exit 77; }
N=0
FAILS=0
check() {
	local what=$1
	shift
	N=$((N + 1))
	if "$@"; then echo "ok $N - $what"; else FAILS=$((FAILS + 1)); echo "not ok $N - $what"; fi
}
quiet_groff() {
	local out
	out=$(groff -man -ww -z "$1" 2>&1)
	[ -z "$out" ] || { echo "$out"; return 1; }
}
renders() { MANWIDTH=80 man -l "$1" 2>/dev/null | grep -q '^NAME'; }
for page in "$SRC"/man/*.[1-9]; do
	name=${page##*/}
	check "$name: groff -man -ww -z prints nothing" quiet_groff "$page"
	if command -v man >/dev/null; then check "$name: man -l renders it" renders "$page"; fi
done
for name in hipd.8 p2psipd.8 p2psipctl.1; do
	check "$name has EXAMPLES" grep -q '^\.SH EXAMPLES' "$SRC/man/$name"
done
echo "1..$N"
[ "$FAILS" -eq 0 ]
