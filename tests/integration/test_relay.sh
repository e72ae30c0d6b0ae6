#!/usr/bin/env bash
# Integration test of the HIP relay (RFC 5770 4.1, 4.5; RFC 8003): on the
# bad-bad lab (a and b each behind a symmetric NAT, peer public), hipd
# --relay-server runs on peer, a and b register with it through their NATs,
# and a base exchange from a to b goes through the relay; an I1 for an
# unregistered HIT is dropped; tshark dissects every captured HIP packet.
# No data between a and b: that needs ICE (a direct path), not the relay.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_TOPOLOGY=${LAB_TOPOLOGY:-$(cd "$HERE/../.." && pwd)/tools/hiplab/topologies/bad-bad.toml}
. "$HERE/lib.sh"
lab_need_root
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump missing"; exit 77; }

# --- the command line: bad relay options are refused before anything starts ---
refused() { # refused PATTERN OPTIONS...: hipd exits 2 naming the value
	local pattern=$1 out rc
	shift
	out=$("$HIPD" --state-dir /nonexistent --socket /nonexistent/s "$@" 2>&1)
	rc=$?
	[ $rc -eq 2 ] && grep -qF -- "$pattern" <<<"$out"
}
check "--relay without a usable port is refused" \
	refused '--relay: "192.0.2.9:0" is not ADDR, ADDR:PORT or [ADDR6]:PORT' --relay 192.0.2.9:0
check "--relay with a name is refused" refused 'is not ADDR' --relay relay.example
check "--relay with an open bracket is refused" refused 'is not ADDR' --relay '[2001:db8::1:10500'
check "--relay-lifetime under 10 s is refused (RFC 8003 5)" \
	refused '--relay-lifetime: 9 is below 10 seconds' --relay-lifetime 9
check "--relay without UDP is refused" refused 'need UDP' --relay-server --no-udp

lab_up
NS_R=hl-$LAB_ID.peer
V4_R=$("$HIPLAB" addr --lab "$LAB_ID" peer)
NAT_A=$("$HIPLAB" addr --lab "$LAB_ID" nat-a --link public)
NAT_B=$("$HIPLAB" addr --lab "$LAB_ID" nat-b --link public)
echo "# relay at $V4_R; a behind $NAT_A, b behind $NAT_B"

ip netns exec "$NS_R" tcpdump -i eth0 -U -s 0 -w "$LAB_DIR/relay.pcap" udp port 10500 \
	>"$LAB_DIR/tcpdump.log" 2>&1 &
CAP=$!
LAB_PIDS+=("$CAP")
lab_wait 10 grep -q listening "$LAB_DIR/tcpdump.log"

OPTS=(--hi ecdsa-p256 --transport udp --rto-ms 200 --log-level debug)
lab_hipd r "$NS_R" "${OPTS[@]}" --relay-server || exit 1
lab_hipd a "$NS_A" "${OPTS[@]}" --relay "$V4_R" || exit 1
lab_hipd b "$NS_B" "${OPTS[@]}" --relay "$V4_R:10500" || exit 1
HIT_R=$(hit_of r)
HIT_A=$(hit_of a)
HIT_B=$(hit_of b)
echo "# HIT r = $HIT_R, a = $HIT_A, b = $HIT_B"

relay_field() { # relay_field NAME JQ [JQ-ARGS...]: a field of NAME's get relay
	local name=$1 filter=$2
	shift 2
	hc "$name" --json daemon get relay | jq -r "$@" "$filter"
}
client_field() { # client_field HIT FIELD: the relay's registration of HIT
	relay_field r ".server.clients[] | select(.hit == \$h) | .$2" --arg h "$1"
}
state_of() { [ "$(relay_field "$1" .client.state)" = "$2" ]; }
registered() { [ "$(relay_field "$1" .client.registered)" = true ]; }
clients_at_relay() { [ "$(relay_field r '.server.clients | length')" = "$1" ]; }

# --- registration (RFC 5770 4.1, Figure 2), through symmetric NATs ---
check "a is not registered before it knows the relay's HIT" state_of a unregistered
hc a daemon add map "$HIT_R" "$V4_R" >/dev/null
hc b daemon add map "$HIT_R" "$V4_R" >/dev/null
check "a registers with the relay" lab_wait 10 registered a
check "b registers with the relay" lab_wait 10 registered b
check "the relay lists two clients" lab_wait 5 clients_at_relay 2
refl_a=$(relay_field a .client.reflexive)
check "REG_FROM: the relay sees a at its NAT's address ($refl_a)" \
	bash -c "[[ '$refl_a' == '$NAT_A':* ]]"
addr_b=$(client_field "$HIT_B" address)
check "the relay records b's NAT mapping ($addr_b)" bash -c "[[ '$addr_b' == '$NAT_B':* ]]"
remaining=$(client_field "$HIT_A" remaining_s)
check "the registration has a lifetime ($remaining s left)" test "${remaining:-0}" -gt 500
check "get ha on a shows the registration with the relay" \
	test "$(hc a --json daemon get ha "$HIT_R" | jq -r '.associations[0].relay_registration')" = registered
left=$(hc r --json daemon get ha "$HIT_B" | jq -r '.associations[0].relay_client_remaining_s')
check "get ha on the relay shows b's registration ($left s left)" test "${left:-0}" -gt 500
human=$(hc r daemon get relay)
check "hipconf daemon get relay shows the clients" \
	bash -c "grep -q 'client $HIT_A' <<<'$human' && grep -q 'client $HIT_B' <<<'$human'"
human_a=$(hc a daemon get relay)
check "hipconf daemon get relay shows a's registration" \
	bash -c "grep -q 'state  *registered' <<<'$human_a' && grep -q 'relay  *$V4_R:10500' <<<'$human_a'"

# --- a base exchange from a to b through the relay (RFC 5770 4.5, Figure 4) ---
hc a daemon add map "$HIT_B" "$V4_R" >/dev/null
out=$(hc a daemon trigger --wait "$HIT_B")
check "trigger --wait: a's exchange with b through the relay completes ($out)" \
	bash -c "[[ '$out' == 'ESTABLISHED after '* ]]"
check "b has the association" lab_wait 5 state_in b "$HIT_A" R2-SENT ESTABLISHED
ha_b=$(hc b --json daemon get ha "$HIT_A" | jq -c '.associations[0]')
check "b's association ran through the relay" \
	test "$(jq -r .via_relay <<<"$ha_b")" = true
relayed=$(jq -r .relayed_peer_locator <<<"$ha_b")
check "b knows a's address from RELAY_FROM ($relayed)" bash -c "[[ '$relayed' == '$NAT_A':* ]]"
check "b's control packets go to the relay" test "$(jq -r .peer_locator <<<"$ha_b")" = "$V4_R"
spi_a=$(hc a --json daemon get ha "$HIT_B" | jq -c '.associations[0] | [.spi_in, .spi_out]')
spi_b=$(jq -c '[.spi_out, .spi_in]' <<<"$ha_b")
check "a and b agree on SPIs ($spi_a)" test "$spi_a" = "$spi_b"
check "the relay carried I1 and I2 in, R1 and R2 out" \
	test "$(relay_field r '[.server.relayed_in, .server.relayed_out] | @csv')" = 2,2

# --- an I1 for a HIT nobody registered is dropped (RFC 5770 4.1) ---
dropped=$(relay_field r .server.dropped)
HIT_X=2001:2a:1234:5678:9abc:def0:1234:5678
hc a daemon add map "$HIT_X" "$V4_R" >/dev/null
hc a daemon trigger "$HIT_X" >/dev/null
more_dropped() { [ "$(relay_field r .server.dropped)" -gt "$dropped" ]; }
check "the relay drops an I1 for an unregistered HIT" lab_wait 5 more_dropped
check "... and relays nothing for it" test "$(relay_field r .server.relayed_in)" = 2

lab_stop_hipd a; ra=$?
lab_stop_hipd b; rb=$?
lab_stop_hipd r; rr=$?
check "hipd a, b and r exit cleanly on SIGTERM" [ $ra -eq 0 -a $rb -eq 0 -a $rr -eq 0 ]
sleep 0.3
kill -INT $CAP 2>/dev/null
wait $CAP 2>/dev/null

# --- tshark reads every HIP packet at the relay, the relay's parameters too ---
if command -v tshark >/dev/null; then
	pcap=$LAB_DIR/relay.pcap
	count() { tshark_r "$pcap" -Y "$1" 2>/dev/null | wc -l; }
	n_hip=$(count hip)
	check "capture holds HIP packets ($n_hip)" test "$n_hip" -ge 16
	check "R1 offers REG_INFO" test "$(count 'hip.packet_type == 2 && hip.tlv.reg_ltmin')" -ge 2
	check "I2 carries REG_REQUEST, R2 REG_RESPONSE and REG_FROM" \
		test "$(count 'hip.packet_type == 4 && hip.tlv.reg_from_port')" -ge 2
	check "relayed I1 and I2 carry RELAY_FROM" \
		test "$(count '(hip.packet_type == 1 || hip.packet_type == 3) && hip.tlv.relay_from_port')" -eq 2
	check "R1 and R2 carry RELAY_TO both ways" \
		test "$(count '(hip.packet_type == 2 || hip.packet_type == 4) && hip.tlv.relay_to_port')" -eq 4
	bad=$(count '_ws.malformed || _ws.expert.severity >= "Error"')
	check "tshark: no malformed packet or error-level finding ($bad)" test "$bad" -eq 0
	# Warnings other than the two HOST_ID limits of Wireshark's HIPv1-era
	# dissector (../shared/notes/real-peers.md) count as errors.
	warns=$(tshark_r "$pcap" -Y '_ws.expert.severity >= "Warning"' \
		-T fields -e _ws.expert.message 2>/dev/null | tr ',' '\n' |
		grep -v -e '^$' -e '^Unknown algorithm type' -e '^Trailing stray characters' | sort | uniq -c)
	check "tshark: no warning beyond the dissector's HOST_ID limits${warns:+ ($warns)}" [ -z "$warns" ]
	if [ -n "${SAVE_PCAP:-}" ]; then cp "$pcap" "$SAVE_PCAP"; fi
fi

if grep -l "AddressSanitizer\|runtime error\|LeakSanitizer" "$LAB_DIR"/*/hipd.log; then
	check "no sanitizer report in hipd logs" false
fi
if [ "$TAP_FAILS" -gt 0 ]; then
	for n in r a b; do echo "# --- hipd $n log (tail)"; tail -30 "$LAB_DIR/$n/hipd.log" | sed 's/^/# /'; done
fi
echo "$((TAP_N - TAP_FAILS)) passed, $TAP_FAILS failed"
tap_end
