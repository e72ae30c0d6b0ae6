#!/usr/bin/env bash
# A 16-node p2psipd overlay in the hiplab lab overlay16 (8 public peers, 4 behind two good
# NATs, 4 behind two bad ones, coturn), in one connection mode: convergence against the sorted
# IDs, 1000 put/get pairs from random nodes, kill -9 of a quarter (NATed nodes among them),
# repair, every record found. Usage: test_overlay_nat.sh MODE (ice; hip adds its own
# mode_setup below). The work is overlay_driver.py --attach; this script runs the lab and
# the daemons and cleans up on any exit.
set -u
MODE=${1:-ice}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_TOPOLOGY=$(cd "$HERE/../.." && pwd)/tools/hiplab/topologies/overlay16.toml
. "$HERE/lib.sh"
P2PSIPD=${P2PSIPD:-$BUILD_DIR/p2psipd/p2psipd}
lab_need_root
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
[ -x "$P2PSIPD" ] || { echo "no p2psipd at $P2PSIPD"; exit 1; }

SERVER=203.0.113.3:3478
PORT=6084
PUBLIC=(p1 p2 p3 p4 p5 p6 p7 p8)
NATED=(g1 g2 g3 g4 b1 b2 b3 b4)
TIMERS=(--stabilize-ms 500 --fix-ms 100 --p2pp-t0-ms 200 --p2pp-t2-ms 3000)

ns_of() { echo "hl-$LAB_ID.$1"; }
addr_of() { "$HIPLAB" addr --lab "$LAB_ID" "$1"; }
group_of() {
	case $1 in
	g[12]) echo nat-g1 ;; g[34]) echo nat-g2 ;;
	b[12]) echo nat-b1 ;; b[34]) echo nat-b2 ;;
	*) echo public ;;
	esac
}

# mode_setup MODE: MODE_OPTS (every node), BOOT_OPTS (p1 only); anything the mode needs
# running beside p2psipd starts here (and goes into LAB_PIDS for the cleanup).
mode_setup() {
	case $1 in
	ice)
		umask 077
		echo secret >"$LAB_DIR/turn-pass"
		MODE_OPTS=(--connection-mode ice --turn-user p2psip --turn-pass-file "$LAB_DIR/turn-pass")
		# p1 runs with the servers and announces them; the others find them by lookup
		BOOT_OPTS=(--stun $SERVER --turn $SERVER)
		;;
	*)
		echo "SKIP: connection mode $1 has no lab set-up here yet"
		exit 77
		;;
	esac
}

# start_node NAME [options]: p2psipd in NAME's namespace, recorded in the driver's spec.
SPEC_LINES=()
start_node() {
	local name=$1 ip
	shift
	ip=$(addr_of "$name")
	mkdir -p "$LAB_DIR/$name"
	ip netns exec "$(ns_of "$name")" "$P2PSIPD" --listen "$ip:$PORT" \
		--state-dir "$LAB_DIR/$name/state" --ctl "$LAB_DIR/$name/ctl.sock" \
		--stamp "$LAB_DIR/$name/stamps.jsonl" --node "$name" --log-level "${P2PSIPD_LOG_LEVEL:-info}" \
		"${TIMERS[@]}" "${MODE_OPTS[@]}" "$@" >>"$LAB_DIR/$name/p2psipd.log" 2>&1 &
	LAB_PIDS+=($!)
	disown $! # killed on purpose later: no "Killed" notice from bash
	SPEC_LINES+=("{\"name\":\"$name\",\"sock\":\"$LAB_DIR/$name/ctl.sock\",\"pid\":$!,\"group\":\"$(group_of "$name")\"}")
	lab_wait 20 test -S "$LAB_DIR/$name/ctl.sock" || {
		echo "p2psipd $name did not start:"; cat "$LAB_DIR/$name/p2psipd.log"; return 1; }
}

lab_up || exit 1
# Public hosts route as on the Internet: coturn drops a relay whose send fails with
# ENETUNREACH (a peer's private host candidate, which ICE does try), and so would the peers.
BOOT_IP=$(addr_of p1)
ip -n "$(ns_of stun)" route add default via "$BOOT_IP" || exit 1
for h in "${PUBLIC[@]}"; do
	ip -n "$(ns_of "$h")" route add default via "${SERVER%:*}" || exit 1
done

if [ -n "${SAVE_PCAP:-}" ]; then
	"$HIPLAB" capture --lab "$LAB_ID" public -w "$SAVE_PCAP" >/dev/null 2>"$LAB_DIR/capture.log" &
	LAB_PIDS+=($!)
	lab_wait 10 grep -q listening "$LAB_DIR/capture.log"
fi

mode_setup "$MODE"
T0=$(date +%s.%N)
start_node p1 "${BOOT_OPTS[@]}" || exit 1
for h in "${PUBLIC[@]:1}" "${NATED[@]}"; do
	start_node "$h" --bootstrap "$BOOT_IP:$PORT" || exit 1
done
echo "# 16 nodes started in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s ($MODE mode)"
(IFS=,; echo "[${SPEC_LINES[*]}]") >"$LAB_DIR/spec.json"

check "16 nodes ($MODE): convergence, 1000 put/get, 4 killed, repair, every record found" \
	python3 "$HERE/overlay_driver.py" --attach "$LAB_DIR/spec.json" --pairs 1000 \
	--ring-timeout 90
if [ "$TAP_FAILS" -ne 0 ]; then
	KEEP_LAB_DIR=1
	echo "# logs kept in $LAB_DIR"
fi
if [ "$MODE" = ice ]; then
	ups=$(cat "$LAB_DIR"/*/stamps.jsonl | grep -c '"ice.link.up"')
	fails=$(cat "$LAB_DIR"/*/stamps.jsonl | grep -c '"ice.link.failed"')
	found=$(grep -l "found under p2psip:stun-turn" "$LAB_DIR"/*/p2psipd.log | wc -l)
	echo "# ice: $found of 15 nodes found the STUN/TURN servers by lookup"
	echo "# ice: $ups link ends came up, $fails attempts failed (stamps); pair types at link up:"
	cat "$LAB_DIR"/*/stamps.jsonl | grep '"ice.link.up"' | grep -o '"detail":"[a-z]*"' |
		sort | uniq -c | sed 's/^/#   /'
	echo "# median link set-up (connect.start -> link.up, initiator side, ms):" \
		"$(python3 "$HERE/overlay_driver.py" --setup-times "$LAB_DIR"/*/stamps.jsonl)"
fi
if [ -n "${SAVE_PCAP:-}" ] && command -v tshark >/dev/null; then
	sleep 0.3
	bad=$(tshark_r "$SAVE_PCAP" -Y 'stun && (_ws.malformed || _ws.expert.severity >= "Warning")' 2>/dev/null | wc -l)
	check "STUN/TURN on the public link dissect cleanly ($bad flagged)" test "$bad" -eq 0
fi
tap_end
