#!/usr/bin/env bash
# SIP calls through p2psipd in hip mode (issue 7): the good-good lab (a and b behind their own
# good NAT, a public peer, coturn), hipd (userspace, --nat ice) and p2psipd (--connection-mode
# hip) on peer, a and b; baresip on a and b with their p2psipd as outbound proxy. alice calls
# bob by AOR and bob calls alice (tone found at the callee), unknown AOR -> 404, tshark on lo.
# "plain": plain connection mode on the two-hosts lab (a and b on one link, no hipd, no NAT).
# "ice-good-good", "ice-bad-bad": ice connection mode on those labs (no hipd): the SIP flow
# between the p2psipd is set up by a P2PP Connect and ICE, media by ICE from the SDP (RFC
# 8839); coturn serves STUN/TURN; the public link is captured too (SIP and RTP in the clear);
# between the two calls `p2psipctl flows` lists the SIP flow and `flow-close` closes it.
# Usage: test_sip_call.sh [good-good|bad-bad|plain|ice-good-good|ice-bad-bad]
set -u
CASE=${1:-good-good}
HERE=$(cd "$(dirname "$0")" && pwd)
TOPO=${CASE#ice-}
[ "$CASE" = plain ] && TOPO=two-hosts
LAB_TOPOLOGY=$(cd "$HERE/../.." && pwd)/tools/hiplab/topologies/$TOPO.toml
. "$HERE/lib.sh"
P2PSIPD=${P2PSIPD:-$BUILD_DIR/p2psipd/p2psipd}
P2PSIPCTL=${P2PSIPCTL:-$BUILD_DIR/tools/p2psipctl/p2psipctl}
lab_need_root
for t in baresip tshark python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
[ -x "$P2PSIPD" ] || { echo "no p2psipd at $P2PSIPD"; exit 1; }

SERVER=203.0.113.3:3478
ns() { echo "hl-$LAB_ID.$1"; }
psock() { echo "$LAB_DIR/$1/p2psipd.sock"; }

lab_up || exit 1
mine=$(mktemp -d /tmp/hipsip-sipcall.XXXXXX) && mv "$LAB_DIR"/* "$mine"/ && rmdir "$LAB_DIR" && LAB_DIR=$mine
echo "# lab directory $LAB_DIR"
# SIP T1 of the p2psipd: timer B (64 T1) bounds the wait for a callee whose host is gone
export SIP_T1_MS=150 P2PP_T2_MS=6000 # the p2psipd options below
if [ "$CASE" = plain ]; then
	for n in a b; do
		mkdir -p "$LAB_DIR/$n"
		[ $n = a ] && boot=() || boot=(--bootstrap "$V4_A:6084")
		addr=$V4_A
		[ $n = b ] && addr=0.0.0.0 # b on the wildcard: its SDP and Via carry the address towards a
		ip netns exec "$(ns "$n")" "$P2PSIPD" --connection-mode plain --listen "$addr:6084" \
			"${boot[@]}" --node "$n" --ctl "$(psock "$n")" --state-dir "$LAB_DIR/$n/p2psip" \
			--stamp "$LAB_DIR/$n/p2psipd.jsonl" --log-level "${P2PSIPD_LOG_LEVEL:-info}" \
			--sip-t1-ms "$SIP_T1_MS" >>"$LAB_DIR/$n/p2psipd.log" 2>&1 &
		LAB_PIDS+=($!)
		eval "PPID_$n=$!"
		lab_wait 10 test -S "$(psock "$n")" || { echo "Bail out! p2psipd $n did not start"; exit 1; }
	done
	PID_b=
	RING=("$(psock a)" "$(psock b)")
	LINK=(--link lan)
elif [ "${CASE%%-*}" = ice ]; then
	V4_P=$("$HIPLAB" addr --lab "$LAB_ID" peer)
	ip -n "$(ns stun)" route add default via "$V4_P" || exit 1
	ip -n "$(ns peer)" route add default via "${SERVER%:*}" || exit 1
	umask 077
	echo secret >"$LAB_DIR/turn-pass"
	for n in peer a b; do
		mkdir -p "$LAB_DIR/$n"
		addr=$("$HIPLAB" addr --lab "$LAB_ID" "$n")
		[ $n = peer ] && boot=() || boot=(--bootstrap "$V4_P:6084")
		ip netns exec "$(ns "$n")" "$P2PSIPD" --connection-mode ice --listen "$addr:6084" \
			"${boot[@]}" --stun $SERVER --turn $SERVER --turn-user alice \
			--turn-pass-file "$LAB_DIR/turn-pass" --stabilize-ms 1000 --fix-ms 200 \
			--p2pp-t0-ms 600 --p2pp-t2-ms "$P2PP_T2_MS" --sip-timer-c-ms 60000 \
			--node "$n" --ctl "$(psock "$n")" --state-dir "$LAB_DIR/$n/p2psip" \
			--stamp "$LAB_DIR/$n/p2psipd.jsonl" --log-level "${P2PSIPD_LOG_LEVEL:-info}" \
			--sip-t1-ms "$SIP_T1_MS" >>"$LAB_DIR/$n/p2psipd.log" 2>&1 &
		LAB_PIDS+=($!)
		eval "PPID_$n=$!"
		lab_wait 10 test -S "$(psock "$n")" || { echo "Bail out! p2psipd $n did not start"; exit 1; }
	done
	PID_b=
	RING=("$(psock peer)" "$(psock a)" "$(psock b)")
	LINK=(--link public --flows)
else
V4_P=$("$HIPLAB" addr --lab "$LAB_ID" peer)
ip -n "$(ns stun)" route add default via "$V4_P" || exit 1
ip -n "$(ns peer)" route add default via "${SERVER%:*}" || exit 1

umask 077
echo secret >"$LAB_DIR/turn-pass"
HIPD_OPTS=(--hi ecdsa-p256 --transport udp --no-raw --rto-ms 300 --dataplane userspace
	--nat ice --ice-ta-ms 20 --stun $SERVER --turn $SERVER --turn-user alice
	--turn-pass-file "$LAB_DIR/turn-pass")
P2P_OPTS=(--connection-mode hip --stabilize-ms 1000 --fix-ms 200 --p2pp-t0-ms 600
	--p2pp-t2-ms "$P2PP_T2_MS" --log-level "${P2PSIPD_LOG_LEVEL:-info}" --sip-timer-c-ms 60000
	--sip-t1-ms "$SIP_T1_MS")
for n in peer a b; do
	lab_hipd "$n" "$(ns "$n")" "${HIPD_OPTS[@]}" || exit 1
	eval "HIT_$n=\$(hit_of $n)"
done
lab_p2psipd() { # lab_p2psipd NAME [options...]
	local name=$1
	shift
	ip netns exec "$(ns "$name")" "$P2PSIPD" "${P2P_OPTS[@]}" --node "$name" \
		--identity "$LAB_DIR/$name/state/hi-ecdsa-p256.pem" --hipd-socket "$LAB_DIR/$name/hipd.sock" \
		--ctl "$(psock "$name")" --state-dir "$LAB_DIR/$name/p2psip" \
		--stamp "$LAB_DIR/$name/p2psipd.jsonl" "$@" >>"$LAB_DIR/$name/p2psipd.log" 2>&1 &
	LAB_PIDS+=($!)
	eval "PPID_$name=$!"
	lab_wait 10 test -S "$(psock "$name")" || {
		echo "p2psipd $name did not start:"; cat "$LAB_DIR/$name/p2psipd.log"; return 1; }
}
lab_p2psipd peer --hip-locator "$V4_P" || exit 1
for n in a b; do
	lab_p2psipd "$n" --bootstrap "$HIT_peer@$V4_P" || exit 1
done
RING=("$(psock peer)" "$(psock a)" "$(psock b)")
LINK=()
fi
# the TAP lines are sip_call.py's; a ring that does not form is a bail-out
python3 "$HERE/overlay_lab.py" ring --timeout 60 --label "the ring" "${RING[@]}" | sed 's/^/# /'
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "Bail out! the p2psipd did not form the ring"; exit 1; }

python3 "$HERE/sip_call.py" --ns-a "$(ns a)" --ns-b "$(ns b)" --host-a a --host-b b \
	--lab "$LAB_ID" --dir "$LAB_DIR" --hiplab "$HIPLAB" --ctl-a "$(psock a)" --ctl-b "$(psock b)" \
	--p2psipctl "$P2PSIPCTL" --kill-b "$PPID_b ${PID_b:-}" "${LINK[@]}" &
LAB_PIDS+=($!)
wait $!
rc=$?
for n in a b; do
	echo "# --- $n: stamps"
	grep -o '"ev":"\(sip\|media\)[^"]*"' "$LAB_DIR/$n/p2psipd.jsonl" 2>/dev/null | sort | uniq -c | sed 's/^/# /'
done
if [ $rc -ne 0 ]; then
	for f in "$LAB_DIR"/*/baresip.log "$LAB_DIR"/*/p2psipd.log; do
		echo "# --- $f (tail)"
		tail -n 25 "$f" | sed 's/^/# /'
	done
fi
if grep -l "AddressSanitizer\|runtime error\|LeakSanitizer" "$LAB_DIR"/*/*.log; then
	echo "# a sanitizer report in the logs above"
	rc=1
fi
exit $rc
