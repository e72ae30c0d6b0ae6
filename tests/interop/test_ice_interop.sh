#!/usr/bin/env bash
# ICE interop through real NATs (a hiplab lab): our agent (ice_peer) against libnice (nice_peer)
# and against itself, with data both ways. Not a test of libnice alone (test_nice_peer.sh).
#
# Lab (tools/hiplab/topologies/good-bad.toml): a behind a good NAT (endpoint-independent
# mapping, address-dependent filtering, 203.0.113.1), b behind a bad, symmetric one (203.0.113.2), coturn on stun
# (203.0.113.3:3478, STUN and TURN), peer on the public link (203.0.113.10).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${SRC_DIR:=$(cd "$HERE/../.." && pwd)}"
: "${BUILD_DIR:=$SRC_DIR/build}"
ICE_PEER=${ICE_PEER:-$BUILD_DIR/tests/interop/ice_peer}
NICE_PEER=${NICE_PEER:-$BUILD_DIR/tests/interop/nice_peer}
LAB_ID=hsii$$
LAB_TOPOLOGY=$SRC_DIR/tools/hiplab/topologies/good-bad.toml
# shellcheck source=../integration/lib.sh
. "$SRC_DIR/tests/integration/lib.sh"

lab_need_root
command -v turnserver >/dev/null || { echo "SKIP: turnserver (coturn) missing"; exit 77; }
for x in "$ICE_PEER" "$NICE_PEER"; do
	[ -x "$x" ] || { echo "not built: $x"; exit 1; }
done

A=192.0.2.2       # behind nat-a (good), seen as 203.0.113.1
B=198.51.100.2    # behind nat-b (bad), seen as 203.0.113.2
PEER=203.0.113.10 # public
NAT_A=203.0.113.1
TURN_IP=203.0.113.3
STUN=(--stun "$TURN_IP:3478")
TURN=(--turn "$TURN_IP:3478" --turn-user alice --turn-pass secret)
TIMEOUT=10

lab_up || exit 1
DIR=$LAB_DIR
# The public hosts get a default route, as on the Internet: coturn (4.6) closes a relay whose
# send fails (ENETUNREACH to a peer's private host candidate, which ICE agents do try), and
# the allocation is dead from then on. Through a host that does not forward, such datagrams
# are dropped instead, as they would be on the way.
ip -n "hl-$LAB_ID.stun" route add default via "$PEER" || exit 1
ip -n "hl-$LAB_ID.peer" route add default via "$TURN_IP" || exit 1

# run NAME PROG1 HOST1 ADDR1 OPTS1... -- PROG2 HOST2 ADDR2 OPTS2...: two peers, each in its lab
# host bound to its address, swapping descriptions in DIR/NAME (1.desc, 2.desc), summaries in
# 1.json and 2.json. True when both exit 0. A pair that fails is run once more, loudly: the
# relay cases with 2 components fail now and then on a loaded machine (cause not found yet).
run() {
	run_once "$@" && return 0
	echo "# $1: FAILED ONCE, running it again (see the logs above)"
	run_once "$@"
}

run_once() {
	local name=$1 d=$DIR/$1 o1=() p1 h1 a1 pid1 pid2 r1 r2
	shift
	p1=$1 h1=$2 a1=$3
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do o1+=("$1"); shift; done
	shift
	rm -rf "$d"
	mkdir -p "$d"
	ip netns exec "hl-$LAB_ID.$h1" "$p1" --bind "$a1" --local "$d/1.desc" --remote "$d/2.desc" \
		--timeout "$TIMEOUT" "${o1[@]}" >"$d/1.json" 2>"$d/1.log" &
	pid1=$!
	ip netns exec "hl-$LAB_ID.$2" "$1" --bind "$3" --local "$d/2.desc" --remote "$d/1.desc" \
		--timeout "$TIMEOUT" "${@:4}" >"$d/2.json" 2>"$d/2.log" &
	pid2=$!
	LAB_PIDS+=("$pid1" "$pid2")
	wait "$pid1"; r1=$?
	wait "$pid2"; r2=$?
	echo "# $name: $(basename "$p1") exit $r1, $(basename "$1") exit $r2"
	if [ $r1 -ne 0 ] || [ $r2 -ne 0 ] || [ -n "${VERBOSE:-}" ]; then
		sed 's/^/#   1: /' "$d/1.log"; sed 's/^/#   2: /' "$d/2.log"
	fi
	sed 's/^/# 1: /' "$d/1.json"; sed 's/^/# 2: /' "$d/2.json"
	[ $r1 -eq 0 ] && [ $r2 -eq 0 ]
}

jqe() { jq -e "$@" >/dev/null; }

# summary_ok FILE ROLE COMPONENTS MESSAGES LOCAL_TYPE REMOTE_TYPE (role and types are regexes)
summary_ok() {
	jqe --arg role "$2" --argjson n "$3" --argjson m "$4" --arg lt "$5" --arg rt "$6" '
		.ok == true and (.role | test("^(" + $role + ")$")) and (.components | length) == $n and
		([.components[].id] == [range(1; $n + 1)]) and
		all(.components[]; .state == "ready" and .sent == $m and .received == $m and
			(.duplicates // 0) == 0 and (.malformed // 0) == 0 and
			(.local_type | test("^(" + $lt + ")$")) and
			(.remote_type | test("^(" + $rt + ")$")) and
			(.local | test(":[0-9]+$")) and (.remote | test(":[0-9]+$")))' "$1"
}

# desc_ok FILE: ufrag, pwd, then candidates only, "end" last.
CAND_RE='^a=candidate:[A-Za-z0-9+/]{1,32} [0-9]{1,3} UDP [0-9]{1,10} [0-9.]+ [0-9]{1,5} typ (host|srflx|prflx|relay)( raddr [0-9.]+ rport [0-9]{1,5})?$'
desc_ok() {
	local f=$1
	sed -n 1p "$f" | grep -Eq '^a=ice-ufrag:[A-Za-z0-9+/]{4,256}$' &&
		sed -n 2p "$f" | grep -Eq '^a=ice-pwd:[A-Za-z0-9+/]{22,256}$' &&
		[ "$(tail -n 1 "$f")" = end ] &&
		sed '1,2d;$d' "$f" | grep -Eq "$CAND_RE" &&
		! sed '1,2d;$d' "$f" | grep -Evq "$CAND_RE"
}

only_relay() { ! grep '^a=candidate:' "$1" | grep -Evq ' typ relay( |$)'; }

relay_desc_ok() { only_relay "$1" && desc_ok "$1"; }

has_srflx_of() { # has_srflx_of FILE NAT_ADDR HOST_ADDR
	grep -Eq "^a=candidate:[^ ]+ 1 UDP [0-9]+ $2 [0-9]+ typ srflx raddr $3 rport [0-9]+\$" "$1"
}

echo "# 1. ours behind the good NAT (STUN from coturn), libnice public; ours controlling"
for nom in aggressive regular; do
	check "ice(a, NAT) controlling vs nice(peer) controlled, $nom: both exit 0" \
		run ice-ctl-$nom "$ICE_PEER" a "$A" --controlling --components 2 "${STUN[@]}" -- \
		"$NICE_PEER" peer "$PEER" --controlled --components 2 --nomination $nom
	check "  ours: ready on both components, our srflx (or prflx) to libnice's host" \
		summary_ok "$DIR/ice-ctl-$nom/1.json" controlling 2 10 'srflx|prflx' host
	check "  libnice: ready on both components, its host to our NAT address" \
		summary_ok "$DIR/ice-ctl-$nom/2.json" controlled 2 10 host 'srflx|prflx'
	check "  libnice's remote is on the NAT's public address" \
		jqe --arg n "$NAT_A" 'all(.components[]; .remote | startswith($n + ":"))' \
		"$DIR/ice-ctl-$nom/2.json"
done
check "our description has the agreed form" desc_ok "$DIR/ice-ctl-aggressive/1.desc"
check "our description offers the srflx candidate on the NAT's address, related to our host" \
	has_srflx_of "$DIR/ice-ctl-aggressive/1.desc" "$NAT_A" "$A"

echo "# 2. libnice behind the good NAT (STUN), ours public; libnice controlling"
for nom in aggressive regular; do
	check "nice(a, NAT) controlling, $nom, vs ice(peer) controlled: both exit 0" \
		run nice-ctl-$nom "$NICE_PEER" a "$A" --controlling --components 2 --nomination $nom \
		"${STUN[@]}" -- "$ICE_PEER" peer "$PEER" --controlled --components 2
	check "  libnice: ready, its srflx (or host base) to our host" \
		summary_ok "$DIR/nice-ctl-$nom/1.json" controlling 2 10 'srflx|host' host
	check "  ours: ready, our host to libnice's NAT address (srflx, or prflx if early)" \
		summary_ok "$DIR/nice-ctl-$nom/2.json" controlled 2 10 host 'srflx|prflx'
done

echo "# 3. relay: ours behind the bad (symmetric) NAT with --force-relay, libnice behind the good one"
check "ice(b, bad NAT, relay only) controlling vs nice(a, NAT) controlled: both exit 0" \
	run relay-ctl "$ICE_PEER" b "$B" --controlling --components 2 "${TURN[@]}" --force-relay -- \
	"$NICE_PEER" a "$A" --controlled --components 2 "${STUN[@]}"
check "  ours offers relayed candidates only, in the agreed form" \
	relay_desc_ok "$DIR/relay-ctl/1.desc"
check "  ours: our relayed candidate (on coturn) to libnice's NAT address" \
	summary_ok "$DIR/relay-ctl/1.json" controlling 2 10 relay 'srflx|prflx'
check "  ours: the relayed addresses are coturn's (it relays on both its addresses)" \
	jqe 'all(.components[]; .local | test("^203\\.0\\.113\\.[34]:"))' "$DIR/relay-ctl/1.json"
check "  libnice: its srflx (or host base) to our relayed candidate" \
	summary_ok "$DIR/relay-ctl/2.json" controlled 2 10 'srflx|host|prflx' relay
check "ice(b, bad NAT, relay only) controlled vs nice(a, NAT) controlling: both exit 0" \
	run relay-ced "$ICE_PEER" b "$B" --controlled "${TURN[@]}" --force-relay -- \
	"$NICE_PEER" a "$A" --controlling "${STUN[@]}"
check "  ours: our relay to libnice's NAT address" \
	summary_ok "$DIR/relay-ced/1.json" controlled 1 10 relay 'srflx|prflx'
check "  libnice: its srflx (or host base) to our relay" \
	summary_ok "$DIR/relay-ced/2.json" controlling 1 10 'srflx|host|prflx' relay
check "libnice(b, bad NAT, relay only) controlled vs ice(a, NAT) controlling: both exit 0" \
	run nice-relay "$ICE_PEER" a "$A" --controlling "${STUN[@]}" -- \
	"$NICE_PEER" b "$B" --controlled "${TURN[@]}" --force-relay
check "  ours: our srflx (or host base) to libnice's relayed candidate" \
	summary_ok "$DIR/nice-relay/1.json" controlling 1 10 'srflx|host|prflx' relay
check "  libnice: its relay to our NAT address" \
	summary_ok "$DIR/nice-relay/2.json" controlled 1 10 relay 'srflx|prflx'

check "ice(b, bad NAT, relay only) vs nice(a, NAT, relay only), relay to relay: both exit 0" \
	run relay-relay "$ICE_PEER" b "$B" --controlling "${TURN[@]}" --force-relay -- \
	"$NICE_PEER" a "$A" --controlled "${TURN[@]}" --force-relay
check "  ours: relay to relay" summary_ok "$DIR/relay-relay/1.json" controlling 1 10 relay relay
check "  libnice: relay to relay" summary_ok "$DIR/relay-relay/2.json" controlled 1 10 relay relay
# Not forced: the agent gathers STUN and TURN candidates itself (gather.c); the good NAT
# filters by address (RFC 4787 REQ-8), so a direct pair through the symmetric NAT works.
check "ice(b, bad NAT, STUN+TURN) controlling vs nice(a, NAT, STUN): both exit 0" \
	run bad-nat "$ICE_PEER" b "$B" --controlling "${STUN[@]}" "${TURN[@]}" -- \
	"$NICE_PEER" a "$A" --controlled "${STUN[@]}"
check "  ours: a direct pair through both NATs" \
	summary_ok "$DIR/bad-nat/1.json" controlling 1 10 'prflx|srflx|host' 'srflx|prflx'
check "  libnice: to our NAT address" \
	summary_ok "$DIR/bad-nat/2.json" controlled 1 10 'srflx|host|prflx' 'srflx|prflx'

# The agent's own relay policy (ice_config.relay_only): it allocates on coturn itself
# (gather.c) and offers and pairs only that relayed candidate.
check "ice(b, bad NAT, --relay-only) controlling vs nice(a, NAT, STUN): both exit 0" \
	run agent-relay "$ICE_PEER" b "$B" --controlling "${TURN[@]}" --relay-only -- \
	"$NICE_PEER" a "$A" --controlled "${STUN[@]}"
check "  ours: offered only its relay" only_relay "$DIR/agent-relay/1.desc"
check "  ours: from the agent's relay" \
	summary_ok "$DIR/agent-relay/1.json" controlling 1 10 relay 'srflx|prflx|host'
check "  libnice: to our relay" \
	summary_ok "$DIR/agent-relay/2.json" controlled 1 10 'srflx|host|prflx' relay

echo "# 4. our agent on both sides"
check "ice(a, NAT) controlling vs ice(peer) controlled: both exit 0" \
	run ice-ice "$ICE_PEER" a "$A" --controlling --components 2 "${STUN[@]}" -- \
	"$ICE_PEER" peer "$PEER" --controlled --components 2
check "  controlling: srflx (or prflx) to host" \
	summary_ok "$DIR/ice-ice/1.json" controlling 2 10 'srflx|prflx' host
check "  controlled: host to srflx (or prflx)" \
	summary_ok "$DIR/ice-ice/2.json" controlled 2 10 host 'srflx|prflx'
# Between a good (address-filtering) and a symmetric NAT hole punching works: the checks
# find a direct pair although both agents also gathered TURN relays.
check "ice(a, good NAT) controlling vs ice(b, bad NAT) controlled, STUN+TURN: both exit 0" \
	run ice-ice-turn "$ICE_PEER" a "$A" --controlling "${STUN[@]}" "${TURN[@]}" -- \
	"$ICE_PEER" b "$B" --controlled "${TURN[@]}"
check "  controlling: a direct pair (srflx or prflx at both ends)" \
	summary_ok "$DIR/ice-ice-turn/1.json" controlling 1 10 'srflx|prflx|host' 'srflx|prflx'
check "  controlled: a direct pair" \
	summary_ok "$DIR/ice-ice-turn/2.json" controlled 1 10 'srflx|prflx|host' 'srflx|prflx'

echo "# 5. ice_peer reports failures: no remote description, a malformed one, bad options"
mkdir -p "$DIR/fail"
ip netns exec "hl-$LAB_ID.peer" "$ICE_PEER" --controlling --bind "$PEER" \
	--local "$DIR/fail/a.desc" --remote "$DIR/fail/none.desc" --timeout 1 \
	>"$DIR/fail/t.json" 2>"$DIR/fail/t.log"
check "missing remote description: exit 1 after --timeout" [ $? -eq 1 ]
check "missing remote description: JSON says why" jqe \
	'.ok == false and (.reason | test("timeout after 1 s waiting for the remote description"))' \
	"$DIR/fail/t.json"
printf 'a=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuv\na=candidate:1 1 UDP 1 bogus\nend\n' \
	>"$DIR/fail/bad.desc"
ip netns exec "hl-$LAB_ID.peer" "$ICE_PEER" --controlling --bind "$PEER" \
	--local "$DIR/fail/a2.desc" --remote "$DIR/fail/bad.desc" --timeout 5 \
	>"$DIR/fail/m.json" 2>"$DIR/fail/m.log"
check "malformed remote description: exit 1" [ $? -eq 1 ]
check "malformed remote description: JSON names the line" jqe \
	'.ok == false and (.reason | test("line 3: malformed candidate"))' "$DIR/fail/m.json"
"$ICE_PEER" --controlling --controlled >/dev/null 2>&1
check "contradictory roles are a usage error (exit 2)" [ $? -eq 2 ]
"$ICE_PEER" --controlling --nomination aggressive --local x --remote y >/dev/null 2>&1
check "aggressive nomination is refused (exit 2): our agent nominates regularly" [ $? -eq 2 ]

tap_end
