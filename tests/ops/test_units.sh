#!/usr/bin/env bash
# systemd-analyze verify and the exposure bound of the built hipd.service and p2psipd.service
# (ExecStart pointed at the built programs, MANPATH at man/); the sysusers.d entry applied.
set -u
BUILD=$1
SRC=$2
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze missing"; exit 77; }
T=$(mktemp -d /tmp/hipsip-ops-units.XXXXXX)
trap 'rm -rf "$T"' EXIT
N=0
FAILS=0
check() {
	local what=$1
	shift
	N=$((N + 1))
	if "$@"; then echo "ok $N - $what"; else FAILS=$((FAILS + 1)); echo "not ok $N - $what"; fi
}
mkdir -p "$T/sbin" "$T/man/man1" "$T/man/man5" "$T/man/man8"
ln -s "$BUILD/hipd/hipd" "$T/sbin/hipd"
ln -s "$BUILD/p2psipd/p2psipd" "$T/sbin/p2psipd"
for page in "$SRC"/man/*.[158]; do cp "$page" "$T/man/man${page##*.}/"; done
verify() {
	local out
	out=$(MANPATH=$T/man systemd-analyze verify "$1" 2>&1)
	local rc=$?
	[ -z "$out" ] || echo "$out"
	[ $rc -eq 0 ] && [ -z "$out" ]
}
# exposure FILE: the overall exposure level, e.g. 1.8
exposure() {
	systemd-analyze security --offline=yes "$1" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }
for u in hipd:2.0 p2psipd:1.5; do
	name=${u%%:*}
	bound=${u#*:}
	sed -E "s|^ExecStart=[^ ]*/$name|ExecStart=$T/sbin/$name|" "$BUILD/systemd/$name.service" \
		>"$T/$name.service"
	check "$name.service: systemd-analyze verify passes, silently" verify "$T/$name.service"
	if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
		e=$(exposure "$T/$name.service")
		check "$name.service: exposure $e <= $bound (systemd-analyze security)" below "$e" "$bound"
	fi
done
# sysusers.d: applied to an empty root, it creates user and group hipd, a system account
# without a login shell.
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$T/root/etc"
	cp "$SRC/systemd/hipsip.sysusers" "$T/hipsip.conf"
	systemd-sysusers --root="$T/root" "$T/hipsip.conf" >"$T/sysusers.log" 2>&1
	check "sysusers.d: user hipd, system uid, no login shell" awk -F: \
		'$1 == "hipd" && $3 < 1000 && $7 ~ /nologin$/ { ok = 1 } END { exit !ok }' \
		"$T/root/etc/passwd"
	check "sysusers.d: group hipd" grep -q '^hipd:' "$T/root/etc/group"
fi
echo "1..$N"
[ "$FAILS" -eq 0 ]
