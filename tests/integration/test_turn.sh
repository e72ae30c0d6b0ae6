#!/usr/bin/env bash
# Integration test of the TURN client (ice/turn.c) against coturn, in a private
# network namespace with shortened lifetimes: the relayed and mapped addresses,
# Send/Data to peer A and ChannelData to peer B (plain UDP echo peers) flowing for
# more than 2.5 lifetimes thanks to refreshes, stale nonces retried, and the
# opposite: without refreshes data stops when coturn's permission or channel
# expires. tshark dissects the captured TURN traffic. Not a test of coturn itself.
set -u
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (network namespaces)"
	exit 77
fi
for t in ip turnserver turnutils_stunclient python3 tcpdump tshark; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
PROBE=${TURN_PROBE:-$BUILD_DIR/tests/integration/turn_probe}
[ -x "$PROBE" ] || { echo "turn_probe not built: $PROBE"; exit 1; }

NS=hstn-$$
SRV=203.0.113.1
CLI=203.0.113.2
PEER_A=203.0.113.3
PEER_B=203.0.113.4
PERM_LT=6    # coturn --permission-lifetime
CHAN_LT=10   # coturn --channel-lifetime
ALLOC_LT=8   # coturn --max-allocate-lifetime: what an Allocate gets
NONCE_LT=8   # coturn --stale-nonce
RUN=26       # > 2.5 x CHAN_LT
SHORT=14     # runs that show data stopping

turn_cleanup() {
	local pid
	set +e
	lab_cleanup
	# Anything still in our namespace was started by this script.
	for pid in $(ip netns pids "$NS" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
}
on_exit() {
	local rc=$?
	turn_cleanup
	exit "$rc"
}
LAB_DIR=$(mktemp -d /tmp/hipsip-turn.XXXXXX)
trap on_exit EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip -n "$NS" link set lo up
for a in $SRV $CLI $PEER_A $PEER_B; do
	ip -n "$NS" addr add "$a/32" dev lo
done

ip netns exec "$NS" tcpdump -i lo -U -s 0 -w "$LAB_DIR/turn.pcap" udp port 3478 \
	>"$LAB_DIR/tcpdump.log" 2>&1 &
LAB_PIDS+=($!)
lab_wait 10 grep -q listening "$LAB_DIR/tcpdump.log"

ip netns exec "$NS" turnserver -n -v --listening-ip=$SRV --relay-ip=$SRV --listening-port=3478 \
	--min-port=50000 --max-port=50100 --lt-cred-mech --user=alice:secret --realm=p2psip.test \
	--fingerprint --no-tls --no-dtls --no-cli --no-rfc5780 --userdb="$LAB_DIR/turndb" \
	--pidfile="$LAB_DIR/turnserver.pid" --log-file=stdout --simple-log \
	--permission-lifetime=$PERM_LT --channel-lifetime=$CHAN_LT \
	--max-allocate-lifetime=$ALLOC_LT --stale-nonce=$NONCE_LT >"$LAB_DIR/coturn.log" 2>&1 &
LAB_PIDS+=($!)

# Plain UDP echo peers, logging each new (source, destination) pair.
cat >"$LAB_DIR/echo.py" <<'EOF'
import selectors, socket, sys
sel = selectors.DefaultSelector()
for arg in sys.argv[1:]:
    host, port = arg.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    sel.register(s, selectors.EVENT_READ)
seen = set()
while True:
    for key, _ in sel.select():
        data, src = key.fileobj.recvfrom(65536)
        key.fileobj.sendto(data, src)
        pair = (src, key.fileobj.getsockname())
        if pair not in seen:
            seen.add(pair)
            print("from %s:%d to %s:%d" % (src + pair[1]), flush=True)
EOF
ip netns exec "$NS" python3 "$LAB_DIR/echo.py" $PEER_A:7000 $PEER_B:7000 >"$LAB_DIR/echo.log" 2>&1 &
LAB_PIDS+=($!)

stun_binding() { timeout 1 ip netns exec "$NS" turnutils_stunclient -p 3478 $SRV >/dev/null 2>&1; }
check "coturn answers a STUN Binding" lab_wait 10 stun_binding

probe() { # probe NAME [options]: runs turn_probe in the namespace, output in NAME.out
	local name=$1
	shift
	ip netns exec "$NS" "$PROBE" --server $SRV:3478 --local $CLI --user alice \
		--peer-a $PEER_A:7000 --peer-b $PEER_B:7000 --interval-ms 200 "$@" \
		>"$LAB_DIR/$name.out" 2>"$LAB_DIR/$name.err"
}
val() { sed -n "s/^$2=//p" "$LAB_DIR/$1.out" | head -1; } # val NAME KEY
ge() { [ "${1:-0}" -ge "$2" ]; }
lt() { [ "${1:-999999}" -lt "$2" ]; }

# All at once: the long run with refreshes, the short ones without.
probe refresh --pass secret --duration $RUN --perm-lifetime $PERM_LT --chan-lifetime $CHAN_LT &
P1=$!
probe norefresh --pass secret --duration $SHORT --no-refresh &
P2=$!
probe nochanrefresh --pass secret --duration $SHORT --perm-lifetime $PERM_LT --chan-lifetime 3600 &
P3=$!
probe badpass --pass wrong --duration 2 &
P4=$!
PROBES_RC=0
for p in $P1 $P2 $P3; do
	wait "$p" || PROBES_RC=$?
done
wait $P4
BADPASS_RC=$?

for n in refresh norefresh nochanrefresh badpass; do
	echo "# $n: $(tr '\n' ' ' <"$LAB_DIR/$n.out")"
done

check "the probes exit cleanly (rc $PROBES_RC; sanitizers too when built with them)" \
	test "$PROBES_RC" -eq 0

# RFC 8656 7.3: the relayed address is coturn's relay IP and port range; the
# mapped address is the probe's own socket (no NAT here).
RELAYED=$(val refresh relayed)
check "allocation succeeded (relayed $RELAYED)" test -n "$RELAYED"
check "relayed address is on $SRV within 50000-50100" sh -c \
	"echo '$RELAYED' | grep -Eq '^203\.0\.113\.1:(50[0-9][0-9][0-9]|50100)$'"
check "XOR-MAPPED-ADDRESS is the client's own address" \
	test "$(val refresh mapped)" = "$(val refresh local)"
check "peer A sees datagrams from the relayed address" \
	grep -q "^from $RELAYED to $PEER_A:7000" "$LAB_DIR/echo.log"
check "peer B sees datagrams from the relayed address" \
	grep -q "^from $RELAYED to $PEER_B:7000" "$LAB_DIR/echo.log"

# With refreshes: data flows for the whole run, > 2.5 lifetimes.
SENT_A=$(val refresh sent_a)
SENT_B=$(val refresh sent_b)
check "refresh: Send/Data echoes all along (recv $(val refresh recv_a)/$SENT_A)" \
	ge "$(val refresh recv_a)" $((SENT_A - 2))
check "refresh: ChannelData echoes all along (recv $(val refresh recv_b)/$SENT_B)" \
	ge "$(val refresh recv_b)" $((SENT_B - 2))
check "refresh: last echo from A after $((RUN - 1)) s" ge "$(val refresh last_a_ms)" $(((RUN - 1) * 1000))
check "refresh: last echo from B after $((RUN - 1)) s" ge "$(val refresh last_b_ms)" $(((RUN - 1) * 1000))
check "refresh: B's echoes come as ChannelData" \
	ge "$(val refresh chandata_in)" $(($(val refresh recv_b) - 2))
check "refresh: CreatePermission refreshed ($(val refresh req_permission) sent)" \
	ge "$(val refresh req_permission)" $((2 * RUN / PERM_LT))
check "refresh: ChannelBind refreshed ($(val refresh req_channel) sent)" \
	ge "$(val refresh req_channel)" $((RUN / CHAN_LT + 1))
check "refresh: allocation refreshed ($(val refresh req_refresh) sent)" \
	ge "$(val refresh req_refresh)" 1
check "refresh: stale nonces (438) were retried ($(val refresh err_438))" \
	ge "$(val refresh err_438)" 1
check "refresh: one 401, the first Allocate's" test "$(val refresh err_401)" = 1
check "refresh: still allocated at the end" test "$(val refresh state)" = 2
check "coturn answers with MESSAGE-INTEGRITY ($(val refresh resp_mi)), not -SHA256" \
	sh -c "[ $(val refresh resp_mi) -gt 0 ] && [ $(val refresh resp_mi256) -eq 0 ]"

# Without refreshes: data flows first, then stops with coturn's lifetimes.
check "no refresh: data flowed at first" ge "$(val norefresh recv_a)" 5
check "no refresh: A stops within the permission lifetime (last $(val norefresh last_a_ms) ms)" \
	lt "$(val norefresh last_a_ms)" $(((PERM_LT + 1) * 1000))
check "no refresh: B stops within the channel lifetime (last $(val norefresh last_b_ms) ms)" \
	lt "$(val norefresh last_b_ms)" $(((CHAN_LT + 1) * 1000))
check "no refresh: most sends went unanswered" \
	lt "$(val norefresh recv_a)" $(($(val norefresh sent_a) / 2))
check "no refresh: no CreatePermission or ChannelBind refresh sent" sh -c \
	"[ $(val norefresh req_permission) -le 3 ] && [ $(val norefresh req_channel) -le 1 ]"
# Permissions refreshed, channel not: A keeps flowing, B's channel expires.
check "channel not refreshed: A still flows (last $(val nochanrefresh last_a_ms) ms)" \
	ge "$(val nochanrefresh last_a_ms)" $(((SHORT - 1) * 1000))
check "channel not refreshed: B stops within the channel lifetime" \
	lt "$(val nochanrefresh last_b_ms)" $(((CHAN_LT + 1) * 1000))

# RFC 8656 7.4: a 401 after credentials is a clear failure.
check "wrong password: allocation fails" test "$BADPASS_RC" -ne 0
check "wrong password: error -EACCES with the 401 in the reason" \
	grep -q "^error=-13 reason=401 " "$LAB_DIR/badpass.out"

# tshark reads every STUN/TURN message and ChannelData without complaint.
sleep 0.5
kill -INT "${LAB_PIDS[0]}" 2>/dev/null
wait "${LAB_PIDS[0]}" 2>/dev/null
STUN_N=$(tshark_r "$LAB_DIR/turn.pcap" -Y stun 2>/dev/null | wc -l)
CHAN_N=$(tshark_r "$LAB_DIR/turn.pcap" -Y "stun.channel" 2>/dev/null | wc -l)
BAD_N=$(tshark_r "$LAB_DIR/turn.pcap" -Y '_ws.malformed || _ws.expert.severity >= "Warning"' \
	2>/dev/null | wc -l)
check "tshark dissects the TURN traffic ($STUN_N STUN frames, $CHAN_N ChannelData)" \
	sh -c "[ $STUN_N -gt 100 ] && [ $CHAN_N -gt 50 ]"
check "tshark finds nothing malformed ($BAD_N)" test "$BAD_N" -eq 0

if [ "$TAP_FAILS" -ne 0 ]; then
	echo "# coturn log (tail):"
	tail -40 "$LAB_DIR/coturn.log" | sed 's/^/#   /'
fi
tap_end
