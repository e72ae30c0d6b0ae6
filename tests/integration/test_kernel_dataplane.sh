#!/usr/bin/env bash
# The kernel data plane end to end, on Debian's own kernel (which has ESP)
# under qemu (tools/vmtest): two hosts in namespaces, hipd with
# --dataplane auto must pick the kernel, install BEET SAs and policies, and
# the kernel must carry ping6 and a TCP transfer between the HITs, as ESP in
# UDP 10500 (AES-GCM) and as plain ESP (AES-CBC + HMAC-SHA-256); ACQUIRE starts a BEX; a rekey replaces the SAs;
# CLOSE removes them. The SA counters of `ip -s xfrm state` are the proof.
set -eu
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$SRC_DIR/build}
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root"; exit 77; fi
for t in qemu-system-x86_64 jq; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<'GUEST'
IP=/sbin/ip
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
hc() { local n=$1; shift; /hipsip/hipconf --socket /tmp/$n.sock "$@"; }
wait_for() { local i; for i in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }

for n in a b; do $IP netns add $n; $IP -n $n link set lo up; done
$IP link add eth0 netns a type veth peer name eth0 netns b
$IP -n a addr add 192.0.2.1/24 dev eth0; $IP -n a link set eth0 up
$IP -n b addr add 192.0.2.2/24 dev eth0; $IP -n b link set eth0 up

start() { # start NAME TRANSPORT [ESP_SUITES]
	$IP netns exec $1 /hipsip/hipd --state-dir /tmp/$1.state --socket /tmp/$1.sock \
		--hi ecdsa-p256 --transport $2 --esp-suites ${3:-13,8,9} --log-level debug >>/tmp/$1.log 2>&1 &
	eval "PID_$1=$!"
	wait_for test -S /tmp/$1.sock
}
stop() { local p; eval "p=\$PID_$1"; kill $p; wait $p 2>/dev/null; rm -f /tmp/$1.sock; }
state_of() { hc $1 --json daemon get ha all | jq -r '[.associations[].state][0] // "none"'; }
# packets the kernel counted on SA spi (hex) in namespace ns
sa_packets() {
	$IP -n $1 -s xfrm state | awk -v spi="$2" '
		$0 ~ "spi " spi { on = 1 } on && /lifetime current:/ { getline; print $2; exit }' |
		sed 's/(packets)//'
}
spi_hex() { printf '0x%08x' "$1"; }

show_state() { # what both hosts had when a check failed
	local n
	echo "--- $1"
	for n in a b; do
		echo "--- $n: associations"; hc $n --json daemon get ha all
		echo "--- $n: xfrm state"; $IP -n $n -s xfrm state
		echo "--- $n: xfrm policy"; $IP -n $n xfrm policy
		echo "--- $n: addresses and routes"; $IP -n $n -6 addr; $IP -n $n -6 route
	done
}

run_case() { # run_case TRANSPORT LABEL ESP_SUITE
	local tr=$1 label=$2
	start a $tr $3; start b $tr $3
	HIT_A=$(hc a --json daemon get hi default | jq -r '.identities[] | select(.default) | .hit')
	HIT_B=$(hc b --json daemon get hi default | jq -r '.identities[] | select(.default) | .hit')
	check "$label: auto chose the kernel backend" \
		sh -c "/hipsip/hipconf --socket /tmp/a.sock daemon get dataplane | grep -q 'kernel accepts'"
	hc a daemon add map $HIT_B 192.0.2.2 >/dev/null
	hc b daemon add map $HIT_A 192.0.2.1 >/dev/null
	check "$label: base exchange" hc a daemon trigger --wait $HIT_B
	check "$label: ping6 a -> b's HIT" $IP netns exec a ping -6 -n -c 5 -i 0.2 -W 2 $HIT_B
	$IP netns exec b python3 -c "
import hashlib, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9009)); s.listen(1)
c, _ = s.accept(); data = bytes(range(256)) * 8192
c.sendall(data); c.close()" $HIT_B &
	srv=$!
	sleep 0.5
	got=$($IP netns exec a python3 -c "
import hashlib, socket, sys, time
for attempt in range(20):  # python starts slowly under TCG: a refused connect is retried
    try:
        s = socket.create_connection((sys.argv[1], 9009), timeout=20)
        break
    except ConnectionRefusedError:
        time.sleep(0.5)
b = b''
while True:
    d = s.recv(65536)
    if not d: break
    b += d
print(len(b), hashlib.sha256(b).hexdigest() == hashlib.sha256(bytes(range(256)) * 8192).hexdigest())" $HIT_B 2>&1 | tail -n 1)
	check "$label: TCP transfer of 2 MB between HITs ($got)" test "$got" = "2097152 True"
	# a server left listening (its client failed) would serve the next case's client
	kill $srv 2>/dev/null || true
	wait $srv 2>/dev/null || true
	[ "$got" = "2097152 True" ] || show_state "$label: after the TCP transfer"
	spi_out=$(hc a --json daemon get ha all | jq -r '.associations[0].spi_out')
	spi_in=$(hc a --json daemon get ha all | jq -r '.associations[0].spi_in')
	pk_out=$(sa_packets a $(spi_hex $spi_out))
	pk_in=$(sa_packets a $(spi_hex $spi_in))
	check "$label: the kernel's outbound SA counted the traffic ($pk_out packets)" test "${pk_out:-0}" -gt 100
	check "$label: the kernel's inbound SA counted the traffic ($pk_in packets)" test "${pk_in:-0}" -gt 100
	check "$label: hipd moved no data packets itself" \
		test "$(hc a --json daemon get dataplane | jq .esp_out)" -eq 0
	$IP -n a xfrm state >/tmp/state.txt
	check "$label: SAs are BEET mode with HIT selectors" \
		sh -c "grep -q 'mode beet' /tmp/state.txt && grep -q 'sel src $HIT_A/128 dst $HIT_B/128' /tmp/state.txt"
	if [ $3 = 13 ]; then
		check "$label: AES-GCM with a 16-byte ICV" grep -q "aead rfc4106(gcm(aes)) .* 128" /tmp/state.txt
	else
		check "$label: AES-128-CBC with HMAC-SHA-256-128" sh -c \
			"grep -q 'enc cbc(aes)' /tmp/state.txt && grep -q 'auth-trunc hmac(sha256) .* 128' /tmp/state.txt"
	fi
	if [ $tr = udp ]; then
		check "$label: ESP in UDP 10500" grep -q 'encap type espinudp sport 10500 dport 10500' /tmp/state.txt
	else
		check "$label: plain ESP (no encapsulation)" sh -c "! grep -q encap /tmp/state.txt"
	fi
	check "$label: pair policies out and in, tmpl ESP BEET" sh -c "
		$IP -n a xfrm policy | grep -A3 'src $HIT_A/128 dst $HIT_B/128' | grep -q 'dir out' &&
		$IP -n a xfrm policy | grep -A3 'src $HIT_B/128 dst $HIT_A/128' | grep -q 'dir in' &&
		$IP -n a xfrm policy | grep -q 'proto esp reqid [0-9]* mode beet'"
	check "$label: the ACQUIRE policy for 2001:20::/28" \
		sh -c "$IP -n a xfrm policy | grep -q 'dst 2001:20::/28'"
	# Rekey: new SPIs in the kernel, traffic on the new SA.
	check "$label: rekey" hc a daemon rekey $HIT_B
	wait_for sh -c "[ \$(/hipsip/hipconf --socket /tmp/a.sock --json daemon get ha all | jq '.associations[0].rekeys') -ge 1 ]"
	new_out=$(hc a --json daemon get ha all | jq -r '.associations[0].spi_out')
	check "$label: ping6 after the rekey" $IP netns exec a ping -6 -n -c 3 -i 0.2 -W 2 $HIT_B
	pk_new=$(sa_packets a $(spi_hex $new_out))
	check "$label: the new outbound SA $(spi_hex $new_out) carries it ($pk_new packets)" \
		test "$new_out" != "$spi_out" -a "${pk_new:-0}" -ge 3
	check "$label: the old outbound SA is gone" sh -c "! $IP -n a xfrm state | grep -q 'spi $(spi_hex $spi_out)'"
	# The responder (b) installed its new inbound SA when it answered and
	# moved outbound to a's new one on a's ACK (RFC 7402 3.3.2).
	b_out=$(hc b --json daemon get ha all | jq -r '.associations[0].spi_out')
	a_in=$(hc a --json daemon get ha all | jq -r '.associations[0].spi_in')
	check "$label: b switched to a's new inbound SA" test "$b_out" = "$a_in"
	pk_b=$(sa_packets b $(spi_hex $b_out))
	check "$label: b's new outbound SA carries the replies ($pk_b packets)" test "${pk_b:-0}" -ge 1
	# b rekeys while a pings fast: a sends on b's new SA as soon as it has
	# b's answer, b must have installed it by then.
	$IP netns exec a ping -6 -n -c 150 -i 0.01 -W 2 $HIT_B >/tmp/fastping.txt 2>&1 &
	fp=$!
	sleep 0.3
	hc b daemon rekey $HIT_A >/dev/null
	wait $fp || true
	check "$label: no echo lost while b rekeys ($(grep -o '[0-9.]*% packet loss' /tmp/fastping.txt))" \
		grep -q ' 0% packet loss' /tmp/fastping.txt
	rekeys_of() { hc $1 --json daemon get ha all | jq '.associations[0].rekeys'; }
	check "$label: both ends rekeyed twice" test "$(rekeys_of a) $(rekeys_of b)" = "2 2"
	check "$label: close" hc a daemon close $HIT_B
	wait_for sh -c "[ -z \"\$($IP -n a xfrm state)\" ]"
	check "$label: CLOSE removed every SA" test -z "$($IP -n a xfrm state)"
	check "$label: ... and the pair policies" sh -c "! $IP -n a xfrm policy | grep -q '$HIT_B/128'"
	stop a; stop b
}

run_case udp "ESP in UDP" 13
run_case raw "plain ESP" 8

# The first packet to a HIT without association: the prefix policy makes the
# kernel send ACQUIRE, hipd runs the BEX; with larval drop off the kernel
# queues the packet meanwhile.
start a udp; start b udp
hc a daemon add map $HIT_B 192.0.2.2 >/dev/null
hc b daemon add map $HIT_A 192.0.2.1 >/dev/null
if $IP netns exec a ping -6 -n -c 1 -W 5 $HIT_B >/tmp/ping1.txt; then first=answered; else first=lost; fi
echo "# the first echo request was $first"
wait_for sh -c "[ \"\$(/hipsip/hipconf --socket /tmp/a.sock --json daemon get ha all | jq -r '.associations[0].state')\" = ESTABLISHED ]"
check "ACQUIRE started the base exchange" test "$(state_of a)" = ESTABLISHED
check "... counted as an acquire" test "$(hc a --json daemon get dataplane | jq .acquires)" -ge 1
check "... then ping6 goes through" $IP netns exec a ping -6 -n -c 2 -i 0.2 -W 2 $HIT_B
check "the first packet was held by the kernel and answered" test $first = answered
stop a; stop b
check "hipd removed its policies on exit" test -z "$($IP -n a xfrm policy)"
echo "# I2 retransmissions answered with the same R2 (RFC 7401 6.9 step 4): $(grep -c 'R2 sent again' /tmp/b.log)"
if [ $fails -ne 0 ]; then echo "--- a.log"; cat /tmp/a.log; echo "--- b.log"; cat /tmp/b.log; fi
[ $fails -eq 0 ]
GUEST
"$SRC_DIR/tools/vmtest/vmtest" --timeout 600 --bin "$BUILD_DIR/hipd/hipd:/hipsip/hipd" \
	--bin "$BUILD_DIR/tools/hipconf/hipconf:/hipsip/hipconf" --bin /usr/bin/jq:/usr/bin/jq "$guest"
