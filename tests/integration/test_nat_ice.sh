#!/usr/bin/env bash
# Integration test of hipd's ICE-STUN-UDP mode (RFC 5770) through the lab's real
# NATs and coturn: a host behind a good NAT and one behind a bad (symmetric) NAT
# run a base exchange with a public host, ICE picks a direct path (a) or the
# TURN relay (b, --ice-policy relay), and ping6 between HITs rides that path.
# tshark dissects the STUN and TURN traffic. Relayed exchanges between two
# NATed hosts need a HIP relay for the base exchange itself (not here).
set -u
. "$(dirname "$0")/lib.sh"
lab_need_root
for t in tcpdump tshark ping; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

LAB_TOPOLOGY=$SRC_DIR/tools/hiplab/topologies/good-bad.toml
NS_PEER=hl-$LAB_ID.peer
NS_STUN=hl-$LAB_ID.stun
V4_PEER=203.0.113.10
SERVER=203.0.113.3:3478

path_of() { # path_of NAME PEER_HIT FIELD
	hc "$1" --json daemon get ha all |
		jq -r --arg p "$2" --arg f "$3" '[.associations[] | select(.peer_hit == $p) | .[$f]][0] // "none"'
}

gathered() { grep -q '"nat.gather.done"' "$LAB_DIR/$1/stamps.jsonl" 2>/dev/null; }

lab_up || exit 1
umask 077
echo secret >"$LAB_DIR/turn-pass"
COMMON=(--hi ecdsa-p256 --transport udp --no-raw --dataplane userspace --nat ice --ice-ta-ms 20
	--stun $SERVER)
RELAY=(--turn $SERVER --turn-user alice --turn-pass-file "$LAB_DIR/turn-pass")

ip netns exec "$NS_STUN" tcpdump -i eth0 -U -s 0 -w "$LAB_DIR/turn.pcap" udp port 3478 \
	>"$LAB_DIR/tcpdump-turn.log" 2>&1 &
LAB_PIDS+=($!)
ip netns exec "$NS_PEER" tcpdump -i eth0 -U -s 0 -w "$LAB_DIR/peer.pcap" udp port 10500 \
	>"$LAB_DIR/tcpdump-peer.log" 2>&1 &
LAB_PIDS+=($!)
lab_wait 10 grep -q listening "$LAB_DIR/tcpdump-turn.log"
lab_wait 10 grep -q listening "$LAB_DIR/tcpdump-peer.log"

lab_hipd peer "$NS_PEER" "${COMMON[@]}" || exit 1
lab_hipd a "$NS_A" "${COMMON[@]}" "${RELAY[@]}" || exit 1
lab_hipd b "$NS_B" "${COMMON[@]}" "${RELAY[@]}" --ice-policy relay || exit 1
HIT_A=$(hit_of a)
HIT_B=$(hit_of b)
HIT_P=$(hit_of peer)
check "a gathered its candidates" lab_wait 10 gathered a
check "b gathered its candidates" lab_wait 10 gathered b
check "a's TURN allocation is up" grep -q "TURN relay 203.0.113" "$LAB_DIR/a/hipd.log"
check "a's gathering took no server timeout" sh -c "! grep -q 'timed out' $LAB_DIR/a/hipd.log"

cands() { hc "$1" --json daemon get nat | jq -r '.candidates[]'; }
offers_all() { cands a | grep -q 'typ host' && cands a | grep -q 'typ srflx' && cands a | grep -q 'typ relay'; }
offers_relay_only() { [ "$(cands b | wc -l)" = 1 ] && cands b | grep -q 'typ relay'; }
check "a offers host, srflx and relay candidates" offers_all
check "b (relay policy) offers only its relay" offers_relay_only
hc a daemon get nat | sed 's/^/# /'

hc a daemon add map "$HIT_P" $V4_PEER >/dev/null
hc b daemon add map "$HIT_P" $V4_PEER >/dev/null

# a behind the good NAT: a direct pair (a's host base, the peer sees it reflexive)
check "a: base exchange and ICE with the public peer" hc a daemon trigger --wait "$HIT_P"
check "a: ICE-STUN-UDP negotiated" test "$(path_of a "$HIT_P" nat_mode)" = ICE-STUN-UDP
check "a: the nominated pair is direct (not relayed)" \
	test "$(path_of a "$HIT_P" ice_path_type)" != relay -a "$(path_of a "$HIT_P" ice_path_type)" != none
check "peer: ICE done on its side too" lab_wait 5 sh -c \
	"[ \"\$($HIPCONF --socket $LAB_DIR/peer/hipd.sock --json daemon get ha all | jq -r '[.associations[] | select(.peer_hit == \"$HIT_A\") | .ice_path_type][0] // \"none\"')\" != none ]"
check "ping6 a -> peer's HIT" ip netns exec "$NS_A" ping -6 -n -c 5 -i 0.1 -W 2 "$HIT_P"
check "ping6 peer -> a's HIT" ip netns exec "$NS_PEER" ping -6 -n -c 5 -i 0.1 -W 2 "$HIT_A"

# b behind the symmetric NAT, offering only its relayed candidate
check "b: base exchange and ICE through the relay" hc b daemon trigger --wait "$HIT_P"
check "b: the nominated pair is relayed" test "$(path_of b "$HIT_P" ice_path_type)" = relay
check "ping6 b -> peer's HIT (ESP through TURN)" \
	ip netns exec "$NS_B" ping -6 -n -c 5 -i 0.1 -W 2 "$HIT_P"
check "ping6 peer -> b's HIT (ESP through TURN)" \
	ip netns exec "$NS_PEER" ping -6 -n -c 5 -i 0.1 -W 2 "$HIT_B"
echo "# a: $(path_of a "$HIT_P" ice_path)"
echo "# b: $(path_of b "$HIT_P" ice_path)"

sleep 0.5
malformed() { # malformed PCAP FILTER: frames tshark flags (prints them)
	tshark_r "$1" -Y "($2) && (_ws.malformed || _ws.expert.severity >= \"Warning\")" 2>/dev/null
}
count() { tshark_r "$1" -Y "$2" 2>/dev/null | wc -l; }
check "STUN checks seen at the peer" test "$(count "$LAB_DIR/peer.pcap" stun)" -gt 0
check "STUN at the peer dissects cleanly" test -z "$(malformed "$LAB_DIR/peer.pcap" stun)"
check "TURN ChannelData carried b's traffic" test "$(count "$LAB_DIR/turn.pcap" stun.channel)" -gt 0
check "STUN/TURN at the server dissect cleanly" \
	test -z "$(malformed "$LAB_DIR/turn.pcap" stun)"
# servers can change at run time: without STUN, a gathers again (host + relay)
check "set stun none" hc a daemon set stun none
check "a gathers again without srflx from STUN" lab_wait 5 sh -c \
	"[ \"\$($HIPCONF --socket $LAB_DIR/a/hipd.sock --json daemon get nat | jq -r .stun)\" = none ]"
check "set stun with a bad address is refused" sh -c "! $HIPCONF --socket $LAB_DIR/a/hipd.sock daemon set stun 203.0.113.3 2>/dev/null"
tap_end
