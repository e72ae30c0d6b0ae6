#!/usr/bin/env bash
# Integration test of the SIP call harness (sipcall.py) with real baresip clients and no
# p2psipd: direct calls a->b and b->a on one link (tone found at the callee, silent or
# other-tone control at the caller, hang-up, tshark clean), then baresip's REGISTER and
# INVITE towards an outbound proxy at 127.0.0.1:5060 where only a UDP sink listens.
# SAVE_SEEDS=DIR also writes the captured messages as fuzz seeds (DIR/sip_msg, DIR/sdp).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
lab_need_root
for t in baresip tshark tcpdump python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

lab_up || exit 1
args=(--ns-a "$NS_A" --ns-b "$NS_B" --addr-a "$V4_A" --addr-b "$V4_B" --lab "$LAB_ID"
	--dir "$LAB_DIR" --hiplab "$HIPLAB")
[ -n "${SAVE_SEEDS:-}" ] && args+=(--save-seeds "$SAVE_SEEDS")
# in the background so that a signal reaches the trap (and lab_cleanup ends the driver) at once
python3 "$HERE/sip_direct.py" "${args[@]}" &
LAB_PIDS+=($!)
wait $!
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
	for f in "$LAB_DIR"/*/baresip.log; do
		echo "# --- $f (tail)"
		tail -n 15 "$f" | sed 's/^/# /'
	done
fi
exit $rc
