#!/usr/bin/env bash
# The lab's netem path, on a kernel that has netem: Debian's own, under qemu
# (tools/vmtest). hiplab must choose netem, put the delay on both sides of
# the attachment, give twice the delay as round trip, and leave nothing.
set -eu
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root"; exit 77; fi
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86 missing"; exit 77; }
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<'GUEST'
fail() { echo "not ok - $*"; exit 1; }
cd /hiplab
out=$(./hiplab up topologies/delay.toml) || fail "hiplab up: $out"
echo "$out" | grep -q "link emulation: netem" && echo "ok - netem chosen" || fail "netem not chosen: $out"
/sbin/ip netns exec hl-delay.a tc qdisc show dev eth0 | grep -q "netem.*delay 20ms" &&
	echo "ok - netem 20ms on a's way out" || fail "no netem on a's eth0"
/sbin/ip netns exec hl-delay tc qdisc show dev n0e0 | grep -q "netem.*delay 20ms" &&
	echo "ok - netem 20ms on a's way in" || fail "no netem on the wire side"
./hiplab exec b -- ping -n -c 50 -i 0.02 192.0.2.1 >/tmp/ping.txt
median=$(sed -n 's/.*time=\([0-9.]*\) ms/\1/p' /tmp/ping.txt | sort -n | sed -n 25p)
echo "median RTT $median ms (20 ms one-way; qemu TCG adds about 1 ms)"
awk -v m="$median" 'BEGIN { exit !(m >= 40 && m < 44) }' && echo "ok - round trip twice the delay" ||
	fail "median RTT $median ms"
./hiplab down >/dev/null || fail "hiplab down"
[ -z "$(/sbin/ip netns list)" ] && echo "ok - no namespace left" || fail "left: $(/sbin/ip netns list)"
GUEST
"$SRC_DIR/tools/vmtest/vmtest" --copy "$SRC_DIR/tools/hiplab:/hiplab" "$guest"
