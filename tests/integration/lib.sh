# Shell helpers for hipd tests, benchmarks and the demo: a hiplab lab
# (default: two hosts on one link), hipd in its hosts, hipconf wrappers,
# waiting, and cleanup that always runs. The network itself is tools/hiplab.

: "${BUILD_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}"
: "${SRC_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
HIPD=${HIPD:-$BUILD_DIR/hipd/hipd}
HIPCONF=${HIPCONF:-$BUILD_DIR/tools/hipconf/hipconf}
HIPLAB=${HIPLAB:-$SRC_DIR/tools/hiplab/hiplab}
export HIPLAB_LINKEMU=${HIPLAB_LINKEMU:-$BUILD_DIR/tools/hiplab/hiplab-linkemu}

LAB_ID=${LAB_ID:-hs$$}
LAB_TOPOLOGY=${LAB_TOPOLOGY:-$SRC_DIR/tools/hiplab/topologies/two-hosts.toml}
NS_A=hl-$LAB_ID.a
NS_B=hl-$LAB_ID.b
IF_A=eth0
V4_A=192.0.2.1
V4_B=192.0.2.2
V6_A=2001:db8:1::1
V6_B=2001:db8:1::2
LAB_DIR=
LAB_PIDS=()
LAB_IS_UP=

lab_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root (network namespaces)"
		exit 77
	fi
	for t in ip jq nft; do
		command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
	done
}

# Runs on every exit (also under set -e, where any failing command here would
# otherwise end the cleanup early); the script keeps its own exit status.
lab_cleanup() {
	local pid
	set +e
	for pid in "${LAB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	[ -n "$LAB_IS_UP" ] && "$HIPLAB" down --lab "$LAB_ID" >/dev/null
	if [ -n "$LAB_DIR" ] && [ -z "${KEEP_LAB_DIR:-}" ]; then
		rm -rf "$LAB_DIR"
	fi
	# a test's own last step (e.g. removing a user it created), after its processes are gone
	[ -n "${LAB_CLEANUP_EXTRA:-}" ] && eval "$LAB_CLEANUP_EXTRA"
	return 0
}

lab_up() {
	LAB_DIR=$(mktemp -d /tmp/hipsip-lab.XXXXXX)
	trap 'rc=$?; lab_cleanup; exit $rc' EXIT
	trap 'exit 130' INT TERM
	# meson's timeout less a minute (tests/integration/meson.build)
	[ -n "${LAB_DEADLINE_S:-}" ] && lab_deadline "$LAB_DEADLINE_S"
	LAB_IS_UP=1
	"$HIPLAB" up "$LAB_TOPOLOGY" --name "$LAB_ID" >"$LAB_DIR/hiplab.log" ||
		{ cat "$LAB_DIR/hiplab.log"; return 1; }
}

# lab_deadline SECONDS: a watchdog that ends the script (TERM to it and its children, so a
# foreground command returns) after SECONDS, before meson's timeout would SIGKILL it and
# leave the lab behind; the EXIT trap then cleans up as on any other failure.
lab_deadline() {
	local me=$$ s=$1
	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$s" &
		sp=$!
		wait "$sp" || exit 0
		echo "# deadline: $s s passed, stopping the test" >&2
		kill -TERM "$me"
		pkill -TERM -P "$me"
	) </dev/null >/dev/null &
	LAB_PIDS+=($!)
}

# lab_hipd NAME NS [hipd options...]: starts hipd NAME in namespace NS.
lab_hipd() {
	local name=$1 ns=$2
	shift 2
	mkdir -p "$LAB_DIR/$name"
	ip netns exec "$ns" "$HIPD" --state-dir "$LAB_DIR/$name/state" \
		--socket "$LAB_DIR/$name/hipd.sock" --stamps "$LAB_DIR/$name/stamps.jsonl" \
		--node "$name" "$@" >>"$LAB_DIR/$name/hipd.log" 2>&1 &
	LAB_PIDS+=($!)
	eval "PID_$name=$!"
	lab_wait 30 test -S "$LAB_DIR/$name/hipd.sock" || {
		echo "hipd $name did not start:"; cat "$LAB_DIR/$name/hipd.log"; return 1; }
}

# lab_stop_hipd NAME: SIGTERM and wait; returns hipd's exit status.
lab_stop_hipd() {
	local name=$1 pid
	eval "pid=\$PID_$name"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
}

hc() { # hc NAME args...: hipconf against NAME's hipd
	local name=$1
	shift
	"$HIPCONF" --socket "$LAB_DIR/$name/hipd.sock" "$@"
}

hit_of() {
	hc "$1" --json daemon get hi default | jq -r '.identities[] | select(.default) | .hit'
}

# ha_state NAME PEER_HIT: the state of NAME's association with PEER_HIT, or "none".
ha_state() {
	local s
	s=$(hc "$1" --json daemon get ha all | jq -r --arg p "$2" \
		'[.associations[] | select(.peer_hit == $p) | .state][0] // "none"')
	echo "${s:-none}"
}

# lab_wait SECONDS CMD...: retries CMD every 0.1 s until it succeeds.
lab_wait() {
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

state_is() { [ "$(ha_state "$1" "$2")" = "$3" ]; }
state_in() { # state_in NAME PEER STATE...
	local s
	s=$(ha_state "$1" "$2")
	shift 2
	local w
	for w in "$@"; do [ "$s" = "$w" ] && return 0; done
	return 1
}

# tshark_r PCAP [ARGS...]: tshark -n -r PCAP ARGS with the dissectors that tshark picks by
# a port number alone for protocols our hosts do not speak turned off. A bad NAT maps to
# random ports, and tshark would take STUN from port 2948 for WAP's WSP and flag it
# malformed. The list is read once here, not in tshark_r: checks call it inside $(...),
# where a failure would go unseen.
TSHARK_OFF=()
if command -v tshark >/dev/null; then
	for _p in $(python3 "$SRC_DIR/tests/integration/sipcall" foreign-dissectors); do
		TSHARK_OFF+=(--disable-protocol "$_p")
	done
	if [ ${#TSHARK_OFF[@]} -eq 0 ]; then
		echo "lib.sh: no list of tshark's foreign port dissectors (sipcall foreign-dissectors)" >&2
		exit 1
	fi
fi
tshark_r() {
	local pcap=$1
	shift
	tshark -n -r "$pcap" "${TSHARK_OFF[@]}" "$@"
}

# TAP output: check "description" CMD... runs CMD and prints ok/not ok;
# tap_end prints the plan and fails if any check failed.
TAP_N=0
TAP_FAILS=0
check() {
	local what=$1
	shift
	TAP_N=$((TAP_N + 1))
	if "$@"; then
		echo "ok $TAP_N - $what"
	else
		TAP_FAILS=$((TAP_FAILS + 1))
		echo "not ok $TAP_N - $what"
	fi
}
tap_end() {
	echo "1..$TAP_N"
	[ "$TAP_FAILS" -eq 0 ]
}
