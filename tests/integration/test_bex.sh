#!/usr/bin/env bash
# Integration test: two hipd in two namespaces over veth complete HIPv2 base
# exchanges over raw IPv4/IPv6 and UDP IPv4/IPv6, in both directions and with
# simultaneous I1s; corrupted I2s leave no association and get the NOTIFY of
# RFC 7401; CLOSE ends both sides; tshark dissects every captured packet.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
lab_need_root
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump missing"; exit 77; }

PASS=0
FAIL=0
check() { # check DESCRIPTION CMD...
	local d=$1
	shift
	if "$@"; then
		PASS=$((PASS + 1)); echo "ok - $d"
	else
		FAIL=$((FAIL + 1)); echo "not ok - $d"
	fi
}

lab_up
HIPD_OPTS=(--hi ecdsa-p256 --rto-ms 150 --state-timeout-ms 60000 --test-faults --log-level debug)

ip netns exec "$NS_A" tcpdump -i "$IF_A" -U -s 0 -w "$LAB_DIR/cap.pcap" \
	'ip proto 139 or ip6 proto 139 or udp port 10500' >"$LAB_DIR/tcpdump.log" 2>&1 &
LAB_PIDS+=($!)
TCPDUMP_PID=$!
lab_wait 10 grep -q listening "$LAB_DIR/tcpdump.log"

start_pair() { # start_pair TRANSPORT
	lab_hipd a "$NS_A" "${HIPD_OPTS[@]}" --transport "$1" || exit 1
	lab_hipd b "$NS_B" "${HIPD_OPTS[@]}" --transport "$1" || exit 1
}
stop_pair() {
	lab_stop_hipd a; local ra=$?
	lab_stop_hipd b; local rb=$?
	check "hipd a and b exit cleanly on SIGTERM" [ $ra -eq 0 -a $rb -eq 0 ]
}

start_pair raw
HIT_A=$(hit_of a)
HIT_B=$(hit_of b)
echo "# HIT a = $HIT_A, HIT b = $HIT_B"
check "identities have ORCHIDv2 HITs" bash -c "[[ '$HIT_A' == 2001:2* && '$HIT_B' == 2001:2* ]]"

established_pair() { # established_pair INITIATOR RESPONDER HIT_I HIT_R
	lab_wait 10 state_is "$1" "$4" ESTABLISHED &&
		lab_wait 10 state_in "$2" "$3" R2-SENT ESTABLISHED
}

bex_case() { # bex_case LABEL INITIATOR RESPONDER HIT_R LOCATOR_R HIT_I
	hc "$2" daemon add map "$4" "$5" >/dev/null
	local out
	out=$(hc "$2" daemon trigger --wait "$4")
	check "$1: trigger --wait returns when established ($out)" \
		bash -c "[[ '$out' == 'ESTABLISHED after '* ]]"
	check "$1: BEX $2 -> $3 completes" established_pair "$2" "$3" "$6" "$4"
	check "$1: both sides agree on SPIs" spis_match "$2" "$3" "$6" "$4"
	hc "$2" daemon close "$4" >/dev/null
	check "$1: CLOSE removes $2's association" lab_wait 10 state_is "$2" "$4" none
	check "$1: CLOSE leaves $3 in CLOSED" lab_wait 10 state_is "$3" "$6" CLOSED
	hc "$2" daemon del map "$4" >/dev/null
}

spis_match() { # the initiator's spi_out is the responder's spi_in and vice versa
	local i r
	i=$(hc "$1" --json daemon get ha "$4" | jq -c '.associations[0] | [.spi_in, .spi_out]')
	r=$(hc "$2" --json daemon get ha "$3" | jq -c '.associations[0] | [.spi_out, .spi_in]')
	[ -n "$i" ] && [ "$i" = "$r" ] && [ "$i" != "[null,null]" ]
}

restart_pair() {
	stop_pair
	start_pair "$1"
}

# --- raw IP protocol 139 ---
bex_case "raw/IPv4" a b "$HIT_B" $V4_B "$HIT_A"
restart_pair raw
bex_case "raw/IPv6" b a "$HIT_A" $V6_A "$HIT_B"

# --- UDP 10500 (RFC 5770 framing) ---
restart_pair udp
bex_case "udp/IPv4" b a "$HIT_A" $V4_A "$HIT_B"
restart_pair udp
bex_case "udp/IPv6" a b "$HIT_B" $V6_B "$HIT_A"

# --- simultaneous I1s (RFC 7401 6.7 step 3, 6.9 step 5) ---
restart_pair raw
hc a daemon add map "$HIT_B" $V4_B >/dev/null
hc b daemon add map "$HIT_A" $V4_A >/dev/null
hc a daemon trigger "$HIT_B" >/dev/null &
t1=$!
hc b daemon trigger "$HIT_A" >/dev/null &
t2=$!
wait $t1 $t2 # not a bare wait: tcpdump runs in the background too
both_done() {
	state_in a "$HIT_B" ESTABLISHED R2-SENT && state_in b "$HIT_A" ESTABLISHED R2-SENT
}
check "simultaneous BEX: both sides end with one association" lab_wait 10 both_done
check "simultaneous BEX: both sides agree on SPIs" spis_match a b "$HIT_A" "$HIT_B"
roles=$(hc a --json daemon get ha all | jq -r '.associations[0].role')/$(hc b --json daemon get ha all | jq -r '.associations[0].role')
check "simultaneous BEX: one initiator, one responder ($roles)" \
	bash -c "[ '$roles' = initiator/responder ] || [ '$roles' = responder/initiator ]"
hc a daemon close "$HIT_B" >/dev/null
lab_wait 10 state_is a "$HIT_B" none
restart_pair raw
hc a daemon add map "$HIT_B" $V4_B >/dev/null

# --- corrupted packets: nothing is established, RFC 7401 reactions ---
stamps_have() { # stamps_have NAME EVENT [JQ-FILTER]
	jq -e -s --arg ev "$2" "[.[] | select(.ev == \$ev) ${3:+| select($3)}] | length > 0" \
		"$LAB_DIR/$1/stamps.jsonl" >/dev/null 2>&1
}
fault_case() { # fault_case FAULT DESCRIPTION NOTIFY-TYPE|-
	: >"$LAB_DIR/b/stamps.jsonl"
	: >"$LAB_DIR/a/stamps.jsonl"
	local out rc
	out=$(hc a daemon trigger "$HIT_B" --fault "$1" --wait 2>&1)
	rc=$?
	check "$2: trigger --wait fails with the reason (exit $rc: $out)" \
		bash -c "[ $rc -eq 1 ] && [[ '$out' == *'base exchange failed: '* ]]"
	check "$2: initiator ends in E-FAILED" lab_wait 15 state_is a "$HIT_B" E-FAILED
	check "$2: responder has no association" state_is b "$HIT_A" none
	if [ "$3" = - ]; then
		check "$2: responder sends no NOTIFY" bash -c "! grep -q notify_sent '$LAB_DIR/b/stamps.jsonl'"
	else
		check "$2: responder sends NOTIFY $3" stamps_have b bex.notify_sent ".type == \"$3\""
		check "$2: initiator receives NOTIFY $3" stamps_have a bex.notify_received ".type == \"$3\""
	fi
}
fault_case i2-signature "wrong I2 signature" AUTHENTICATION_FAILED
fault_case i2-mac "tampered I2 HIP_MAC" HIP_MAC_FAILED
fault_case i2-critical "unknown critical parameter in I2" UNSUPPORTED_CRITICAL_PARAMETER_TYPE
fault_case i2-solution "wrong puzzle solution" -
check "wrong puzzle solution: responder logs the reason" \
	stamps_have b bex.i2_rejected '.reason == "wrong puzzle solution"'
fault_case i1-critical "unknown critical parameter in I1" -
check "unknown critical parameter in I1: no R1 is sent" \
	bash -c "! grep -q r1_sent '$LAB_DIR/b/stamps.jsonl'"

stop_pair
sleep 0.5
kill -INT $TCPDUMP_PID 2>/dev/null
wait $TCPDUMP_PID 2>/dev/null

# --- tshark: everything dissects as HIP without malformed or error findings ---
if command -v tshark >/dev/null; then
	n_hip=$(tshark_r "$LAB_DIR/cap.pcap" -Y hip 2>/dev/null | wc -l)
	check "capture holds HIP packets ($n_hip)" [ "$n_hip" -gt 20 ]
	bad=$(tshark_r "$LAB_DIR/cap.pcap" -Y '_ws.malformed || _ws.expert.severity >= "Error"' 2>/dev/null | wc -l)
	check "tshark: no malformed packet or error-level finding ($bad)" [ "$bad" -eq 0 ]
	badsum=$(tshark_r "$LAB_DIR/cap.pcap" -Y 'hip && ip.proto == 139 && hip.checksum.status != 1 || hip && ipv6.nxt == 139 && hip.checksum.status != 1' 2>/dev/null | wc -l)
	check "tshark: every raw HIP packet has a good checksum ($badsum bad)" [ "$badsum" -eq 0 ]
	# Warnings other than the two HOST_ID limits of Wireshark's HIPv1-era
	# dissector (../shared/notes/real-peers.md) count as errors.
	warns=$(tshark_r "$LAB_DIR/cap.pcap" -Y '_ws.expert.severity >= "Warning"' \
		-T fields -e _ws.expert.message 2>/dev/null | tr ',' '\n' |
		grep -v -e '^$' -e '^Unknown algorithm type' -e '^Trailing stray characters' | sort | uniq -c)
	check "tshark: no warning beyond the dissector's HOST_ID limits${warns:+ ($warns)}" [ -z "$warns" ]
	tshark_r "$LAB_DIR/cap.pcap" -q -z expert,warn 2>/dev/null | sed 's/^/# /' | head -30
	if [ -n "${SAVE_PCAP:-}" ]; then cp "$LAB_DIR/cap.pcap" "$SAVE_PCAP"; fi
fi

if grep -l "AddressSanitizer\|runtime error\|LeakSanitizer" "$LAB_DIR"/*/hipd.log; then
	check "no sanitizer report in hipd logs" false
fi
if [ $FAIL -gt 0 ]; then
	for n in a b; do echo "# --- hipd $n log (tail)"; tail -40 "$LAB_DIR/$n/hipd.log" | sed 's/^/# /'; done
fi
echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
