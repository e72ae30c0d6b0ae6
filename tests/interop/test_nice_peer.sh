#!/usr/bin/env bash
# Self-test of tests/interop/nice_peer: two libnice peers in network namespaces reach READY and
# swap datagrams: host to host, through a NAT with STUN, relay to relay via coturn. Not our agent.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
NICE_PEER=${NICE_PEER:-$HERE/../../build/tests/interop/nice_peer}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (network namespaces)"
	exit 77
fi
for t in ip jq nft ss turnserver; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
[ -x "$NICE_PEER" ] || { echo "nice_peer not built: $NICE_PEER"; exit 1; }

ID=hsnp-$$
NS_A=$ID-a
NS_B=$ID-b
NS_C=$ID-c
V4_A=192.0.2.1
V4_B=192.0.2.2
V4_C=10.0.0.2
DIR=$(mktemp -d /tmp/hsnp.XXXXXX)
PIDS=()
PASS=0
FAIL=0

cleanup() {
	local pid
	set +e
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	[ -z "${KEEP_DIR:-}" ] && rm -rf "$DIR"
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'exit 130' INT TERM

check() { # check DESCRIPTION CMD...
	local d=$1
	shift
	if "$@"; then
		PASS=$((PASS + 1)); echo "ok - $d"
	else
		FAIL=$((FAIL + 1)); echo "not ok - $d"
	fi
}

jqe() { jq -e "$@" >/dev/null; }

# a and b on a veth pair in 192.0.2.0/24 (RFC 5737); c behind b, which masquerades 10.0.0.0/24.
ip netns add "$NS_A" && ip netns add "$NS_B" && ip netns add "$NS_C" || exit 1
ip -n "$NS_A" link add eth0 type veth peer name eth0 netns "$NS_B" || exit 1
ip -n "$NS_B" link add eth1 type veth peer name eth0 netns "$NS_C" || exit 1
ip -n "$NS_A" addr add "$V4_A/24" dev eth0
ip -n "$NS_B" addr add "$V4_B/24" dev eth0
ip -n "$NS_B" addr add 10.0.0.1/24 dev eth1
ip -n "$NS_C" addr add "$V4_C/24" dev eth0
for ns in "$NS_A" "$NS_B" "$NS_C"; do
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
done
ip -n "$NS_B" link set eth1 up
ip -n "$NS_C" route add default via 10.0.0.1
ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=1
printf '%s\n' 'table ip nat {' ' chain post {' '  type nat hook postrouting priority srcnat;' \
	'  oifname "eth0" ip saddr 10.0.0.0/24 masquerade' ' }' '}' |
	ip netns exec "$NS_B" nft -f - || exit 1

# coturn (STUN and TURN) in a, for the NAT and relay cases; it starts while the host cases run.
mkdir -p "$DIR/turn"
ip netns exec "$NS_A" turnserver -n --listening-ip="$V4_A" --relay-ip="$V4_A" \
	--external-ip="$V4_A" --listening-port=3478 --min-port=50000 --max-port=50100 \
	--lt-cred-mech --user=alice:secret --realm=p2psip.test --fingerprint --no-tls --no-dtls \
	--no-cli --no-rfc5780 --userdb="$DIR/turn/turndb" --pidfile="$DIR/turn/turnserver.pid" \
	--log-file=stdout --simple-log >"$DIR/turn/coturn.log" 2>&1 &
PIDS+=($!)

# run_pair NAME MESSAGES OPTS_A -- OPTS_B: a controlling in namespace a, b controlled in
# namespace $B_NS (default b) bound to $B_ADDR (default b's address); both write and read
# their descriptions in DIR/NAME. True when both exit 0.
run_pair() {
	local name=$1 msgs=$2 d=$DIR/$1 opts_a=() pa pb ra rb
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts_a+=("$1"); shift; done
	shift
	mkdir -p "$d"
	ip netns exec "$NS_A" "$NICE_PEER" --controlling --bind "$V4_A" --messages "$msgs" \
		--local "$d/a.desc" --remote "$d/b.desc" --timeout 8 "${opts_a[@]}" \
		>"$d/a.json" 2>"$d/a.log" &
	pa=$!
	ip netns exec "${B_NS:-$NS_B}" "$NICE_PEER" --controlled --bind "${B_ADDR:-$V4_B}" \
		--messages "$msgs" --local "$d/b.desc" --remote "$d/a.desc" --timeout 8 "$@" \
		>"$d/b.json" 2>"$d/b.log" &
	pb=$!
	PIDS+=("$pa" "$pb")
	wait "$pa"; ra=$?
	wait "$pb"; rb=$?
	echo "# $name: a exit $ra, b exit $rb"
	if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then
		sed 's/^/#   a: /' "$d/a.log"; sed 's/^/#   b: /' "$d/b.log"
	fi
	sed 's/^/# a: /' "$d/a.json"; sed 's/^/# b: /' "$d/b.json"
	[ $ra -eq 0 ] && [ $rb -eq 0 ]
}

# summary_ok FILE ROLE COMPONENTS MESSAGES LOCAL_TYPE REMOTE_TYPE (types are regexes)
summary_ok() {
	jqe --arg role "$2" --argjson n "$3" --argjson m "$4" --arg lt "$5" --arg rt "$6" '
		.ok == true and .role == $role and (.components | length) == $n and
		([.components[].id] == [range(1; $n + 1)]) and
		all(.components[]; .state == "ready" and .sent == $m and .received == $m and
			(.local_type | test("^(" + $lt + ")$")) and
			(.remote_type | test("^(" + $rt + ")$")) and
			(.local | test(":[0-9]+$")) and (.remote | test(":[0-9]+$"))) and
		(.elapsed_ms | type) == "number"' "$1"
}

# desc_ok FILE: ufrag, pwd, then candidates only, "end" last: the form both peers speak.
CAND_RE='^a=candidate:[A-Za-z0-9+/]{1,32} [0-9]{1,3} UDP [0-9]{1,10} [0-9.]+ [0-9]{1,5} typ (host|srflx|prflx|relay)( raddr [0-9.]+ rport [0-9]{1,5})?$'
desc_ok() {
	local f=$1
	sed -n 1p "$f" | grep -Eq '^a=ice-ufrag:[A-Za-z0-9+/]{4,256}$' &&
		sed -n 2p "$f" | grep -Eq '^a=ice-pwd:[A-Za-z0-9+/]{22,256}$' &&
		[ "$(tail -n 1 "$f")" = end ] &&
		sed '1,2d;$d' "$f" | grep -Eq "$CAND_RE" &&
		! sed '1,2d;$d' "$f" | grep -Evq "$CAND_RE"
}

echo "# 1. host to host, 2 components, libnice's default (aggressive) nomination"
check "host pair: both peers exit 0" run_pair host 10 --components 2 -- --components 2
check "host pair: controlling summary (READY, 10/10 on both components, host-host)" \
	summary_ok "$DIR/host/a.json" controlling 2 10 host host
check "host pair: controlled summary (READY, 10/10 on both components, host-host)" \
	summary_ok "$DIR/host/b.json" controlled 2 10 host host
check "host pair: a's description has the agreed form" desc_ok "$DIR/host/a.desc"
check "host pair: b's description has the agreed form" desc_ok "$DIR/host/b.desc"
check "host pair: a's selected pair is its own address and b's" \
	jqe --arg a "$V4_A" --arg b "$V4_B" \
	'all(.components[]; (.local | startswith($a + ":")) and (.remote | startswith($b + ":")))' \
	"$DIR/host/a.json"

echo "# 2. host to host, regular nomination (RFC 8445 8.1.1), 1 component, 50 datagrams"
check "regular nomination: both peers exit 0" run_pair regular 50 \
	--components 1 --nomination regular -- --components 1 --nomination regular
check "regular nomination: controlling summary" \
	summary_ok "$DIR/regular/a.json" controlling 1 50 host host
check "regular nomination: controlled summary" \
	summary_ok "$DIR/regular/b.json" controlled 1 50 host host

echo "# 3. failures are reported: no remote description, a malformed one, bad options"
mkdir -p "$DIR/fail"
ip netns exec "$NS_A" "$NICE_PEER" --controlling --bind "$V4_A" --local "$DIR/fail/a.desc" \
	--remote "$DIR/fail/none.desc" --timeout 1 >"$DIR/fail/t.json" 2>"$DIR/fail/t.log"
check "missing remote description: exit 1 after --timeout" [ $? -eq 1 ]
check "missing remote description: JSON says why" jqe \
	'.ok == false and (.reason | test("timeout after 1 s waiting for the remote description"))' \
	"$DIR/fail/t.json"
printf 'a=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuv\nbogus line\nend\n' >"$DIR/fail/bad.desc"
ip netns exec "$NS_A" "$NICE_PEER" --controlling --bind "$V4_A" --local "$DIR/fail/a2.desc" \
	--remote "$DIR/fail/bad.desc" --timeout 5 >"$DIR/fail/m.json" 2>"$DIR/fail/m.log"
check "malformed remote description: exit 1" [ $? -eq 1 ]
check "malformed remote description: JSON names the line" jqe \
	'.ok == false and (.reason | test("line 3: unexpected line"))' "$DIR/fail/m.json"
"$NICE_PEER" --controlling --controlled >/dev/null 2>&1
check "contradictory roles are a usage error (exit 2)" [ $? -eq 2 ]

for _ in $(seq 50); do
	ip netns exec "$NS_A" ss -Hlun "sport = :3478" | grep -q . && break
	sleep 0.1
done
check "coturn listens on $V4_A:3478" \
	bash -c "ip netns exec '$NS_A' ss -Hlun 'sport = :3478' | grep -q ."

echo "# 4. c behind b's NAT with STUN (coturn in a) against a: a sees c's srflx candidate"
B_NS=$NS_C B_ADDR=$V4_C check "NAT pair: both peers exit 0" run_pair nat 10 \
	--components 2 -- --components 2 --stun "$V4_A:3478"
check "NAT pair: c offers a srflx candidate on b's (the NAT's) address, related to its host" \
	grep -Eq "^a=candidate:[^ ]+ 1 UDP [0-9]+ $V4_B [0-9]+ typ srflx raddr $V4_C rport [0-9]+\$" \
	"$DIR/nat/b.desc"
# c's valid pair has the local candidate equal to the mapped address, its srflx one (RFC 8445
# 7.2.5.3.2); a learns c's mapped address as prflx if c's check beats c's description.
check "NAT pair: controlling a's remote is c's mapped address (srflx, or prflx if early)" \
	summary_ok "$DIR/nat/a.json" controlling 2 10 host 'srflx|prflx'
check "NAT pair: controlled c's local is its srflx candidate (or host base), remote a's host" \
	summary_ok "$DIR/nat/b.json" controlled 2 10 'srflx|host' host
check "NAT pair: c's description has the agreed form" desc_ok "$DIR/nat/b.desc"

echo "# 5. relay to relay through coturn in namespace a (--force-relay on both sides)"
TURN=(--turn "$V4_A:3478" --turn-user alice --turn-pass secret --force-relay)
check "relay pair: both peers exit 0" run_pair relay 10 --components 2 "${TURN[@]}" -- \
	--components 2 "${TURN[@]}"
check "relay pair: controlling summary (relay-relay on both components)" \
	summary_ok "$DIR/relay/a.json" controlling 2 10 relay relay
check "relay pair: controlled summary (relay-relay on both components)" \
	summary_ok "$DIR/relay/b.json" controlled 2 10 relay relay
check "relay pair: descriptions offer relayed candidates only" \
	bash -c "! grep -h '^a=candidate:' '$DIR/relay/a.desc' '$DIR/relay/b.desc' | grep -v ' typ relay '"
check "relay pair: a's relayed addresses are on coturn" \
	jqe --arg t "$V4_A" 'all(.components[]; (.local | startswith($t + ":")))' "$DIR/relay/a.json"
check "relay pair: a's description has the agreed form" desc_ok "$DIR/relay/a.desc"

echo "# $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
