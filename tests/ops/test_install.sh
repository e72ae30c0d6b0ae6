#!/usr/bin/env bash
# Installs the build into a temporary DESTDIR (meson install --no-rebuild) and checks the tree:
# programs, units, sysusers/sysctl entries, man pages, configuration and completion if present.
set -u
BUILD=$1
SRC=$2
command -v jq >/dev/null || { echo "SKIP: jq missing"; exit 77; }
D=$(mktemp -d /tmp/hipsip-ops-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
N=0
FAILS=0
check() {
	local what=$1
	shift
	N=$((N + 1))
	if "$@"; then echo "ok $N - $what"; else FAILS=$((FAILS + 1)); echo "not ok $N - $what"; fi
}

if ! meson install -C "$BUILD" --destdir "$D" --no-rebuild >"$D.log" 2>&1; then
	cat "$D.log"
	rm -f "$D.log"
	echo "not ok 1 - meson install"
	exit 1
fi
rm -f "$D.log"
opt() { meson introspect "$BUILD" --buildoptions | jq -r --arg n "$1" '.[] | select(.name == $n) | .value'; }
prefix=$(opt prefix)
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
sbin=$D$(abs "$(opt sbindir)")
bin=$D$(abs "$(opt bindir)")
man=$D$(abs "$(opt mandir)")
etc=$D$(abs "$(opt sysconfdir)")
data=$D$(abs "$(opt datadir)")

for p in "$sbin/hipd" "$sbin/hipconf" "$sbin/p2psipd" "$bin/p2psipctl"; do
	check "${p#"$D"} is an executable" test -f "$p" -a -x "$p"
done
check "installed hipd runs (--version)" sh -c "'$sbin/hipd' --version | grep -q '^hipd '"
check "installed p2psipd runs (--help)" sh -c "'$sbin/p2psipd' --help | grep -q '^Usage: p2psipd'"

unitdir=$(find "$D" -type d -path '*/systemd/system' | head -1)
check "a systemd unit directory under the prefix (${unitdir#"$D"})" \
	test -n "$unitdir" -a "${unitdir#"$D$prefix"/}" != "$unitdir"
for u in hipd p2psipd; do
	f=$unitdir/$u.service
	check "$u.service installed, mode 644" test "$(stat -c %a "$f" 2>/dev/null)" = 644
	check "$u.service starts the installed $u" \
		grep -qx "ExecStart=${sbin#"$D"}/$u\( .*\)\?" "$f"
	check "$u.service has no unsubstituted @...@" sh -c "! grep -q '@[a-z]*@' '$f'"
done
check "sysusers.d/hipsip.conf creates user hipd" \
	sh -c "grep -q '^u hipd ' '$D$prefix/lib/sysusers.d/hipsip.conf'"
check "sysctl.d/50-hipd.conf installed" test -f "$D$prefix/lib/sysctl.d/50-hipd.conf"

for page in man8/hipd.8 man8/hipconf.8 man8/p2psipd.8 man1/p2psipctl.1 man1/hiplab.1; do
	check "man page $page" test -f "$man/$page"
done
for page in hipd.conf.5 p2psipd.conf.5; do
	if [ -f "$SRC/man/$page" ]; then check "man page man5/$page" test -f "$man/man5/$page"; fi
done
for f in hipd.conf p2psipd.conf hosts; do
	if [ -f "$SRC/etc/$f" ]; then check "example $f in ${etc#"$D"}/hipsip" test -f "$etc/hipsip/$f"; fi
done
if [ -f "$SRC/tools/hipconf/hipconf.bash-completion" ]; then
	check "bash completion for hipconf" test -f "$data/bash-completion/completions/hipconf"
fi
check "nothing is installed setuid or setgid" test -z "$(find "$D" -perm /6000)"
check "nothing is world-writable" test -z "$(find "$D" ! -type l -perm -o+w)"
echo "1..$N"
[ "$FAILS" -eq 0 ]
