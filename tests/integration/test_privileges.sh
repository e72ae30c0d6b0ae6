#!/usr/bin/env bash
# hipd's privilege drop (root with --user; a user with ambient caps as in hipd.service): only
# NET_ADMIN|NET_RAW in /proc/PID/status, then a BEX and ping6. Not the unit's sandbox.
set -u
. "$(dirname "$0")/lib.sh"
lab_need_root
command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }
# hipd runs as a user of its own (installed: "hipd" from sysusers.d). The test makes one for
# itself and removes it at the end; without useradd, nobody stands in.
RUN_USER=hipsip-privtest
if ! id -u $RUN_USER >/dev/null 2>&1; then
	if useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin $RUN_USER 2>/dev/null; then
		LAB_CLEANUP_EXTRA="userdel $RUN_USER 2>/dev/null"
	else
		RUN_USER=nobody
	fi
fi
echo "# running hipd as $RUN_USER"
RUN_UID=$(id -u $RUN_USER)
RUN_GID=$(id -g $RUN_USER)
NET_CAPS=0000000000003000 # CAP_NET_ADMIN (12) | CAP_NET_RAW (13)

status_of() { # status_of PID FIELD: the field's value in /proc/PID/status
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"
}
# The drop happens after start-up, the control socket appears before it: wait for the uid.
runs_as() { [ "$(status_of "$1" Uid)" = "$2 $2 $2 $2" ]; }

lab_up
lab_hipd a "$NS_A" --hi ecdsa-p256 --user $RUN_USER || exit 1
lab_hipd b "$NS_B" --hi ecdsa-p256 --user $RUN_USER || exit 1
for n in a b; do
	eval "pid=\$PID_$n"
	lab_wait 10 runs_as "$pid" "$RUN_UID"
	check "$n: Uid is $RUN_USER's ($(status_of "$pid" Uid))" runs_as "$pid" "$RUN_UID"
	check "$n: Gid is $RUN_USER's" test "$(status_of "$pid" Gid)" = \
		"$RUN_GID $RUN_GID $RUN_GID $RUN_GID"
	check "$n: no supplementary groups" test -z "$(status_of "$pid" Groups)"
	for set in CapEff CapPrm CapBnd; do
		check "$n: $set is NET_ADMIN|NET_RAW ($(status_of "$pid" $set))" \
			test "$(status_of "$pid" $set)" = $NET_CAPS
	done
	check "$n: CapInh and CapAmb are empty" test "$(status_of "$pid" CapInh)$(status_of "$pid" CapAmb)" \
		= 00000000000000000000000000000000
	check "$n: NoNewPrivs" test "$(status_of "$pid" NoNewPrivs)" = 1
	check "$n: the state directory belongs to $RUN_USER" \
		test "$(stat -c %u "$LAB_DIR/$n/state")" = "$RUN_UID"
	check "$n: identities belong to $RUN_USER" \
		test -z "$(find "$LAB_DIR/$n/state" ! -uid "$RUN_UID")"
	check "$n: the control socket belongs to $RUN_USER, mode 660" \
		test "$(stat -c %u:%a "$LAB_DIR/$n/hipd.sock")" = "$RUN_UID:660"
done
HIT_A=$(hit_of a)
HIT_B=$(hit_of b)
hc a daemon add map "$HIT_B" $V4_B >/dev/null
hc b daemon add map "$HIT_A" $V4_A >/dev/null
check "base exchange" hc a daemon trigger --wait "$HIT_B"
check "ping6 a -> b's HIT" ip netns exec "$NS_A" ping -6 -n -c 3 -i 0.2 -W 2 "$HIT_B"
check "ping6 b -> a's HIT" ip netns exec "$NS_B" ping -6 -n -c 3 -i 0.2 -W 2 "$HIT_A"
check "close" hc a daemon close "$HIT_B"

# hipd.service's way: started as the user with ambient capabilities (one too many here) and a
# reduced bounding set; hipd keeps only the two network capabilities and clears the ambient set.
chmod 755 "$LAB_DIR" # the user must reach its state directory inside
mkdir -p "$LAB_DIR/c/state"
chown "$RUN_UID:$RUN_GID" "$LAB_DIR/c" "$LAB_DIR/c/state"
chmod 700 "$LAB_DIR/c/state"
ip netns exec "$NS_A" setpriv --reuid "$RUN_UID" --regid "$RUN_GID" --clear-groups \
	--inh-caps +net_admin,+net_raw,+sys_time --ambient-caps +net_admin,+net_raw,+sys_time \
	--bounding-set -all,+net_admin,+net_raw,+sys_time \
	"$HIPD" --state-dir "$LAB_DIR/c/state" --socket "$LAB_DIR/c/hipd.sock" --hi ecdsa-p256 \
	--no-raw --transport udp --udp-port 10600 --dataplane none >"$LAB_DIR/c/hipd.log" 2>&1 &
LAB_PIDS+=($!)
PID_c=$!
lab_wait 30 test -S "$LAB_DIR/c/hipd.sock"
lab_wait 5 sh -c "grep -q 'privileges:' $LAB_DIR/c/hipd.log"
check "c (ambient): Uid is $RUN_USER's" runs_as $PID_c "$RUN_UID"
check "c (ambient): CapEff and CapPrm are NET_ADMIN|NET_RAW" \
	test "$(status_of $PID_c CapEff)$(status_of $PID_c CapPrm)" = $NET_CAPS$NET_CAPS
check "c (ambient): CapAmb is empty" test "$(status_of $PID_c CapAmb)" = 0000000000000000
check "c (ambient): NoNewPrivs" test "$(status_of $PID_c NoNewPrivs)" = 1
check "c (ambient): answers on its control socket" hc c daemon get hi default

# --user for a missing user stops hipd with a clear message.
mkdir -p "$LAB_DIR/d"
ip netns exec "$NS_A" "$HIPD" --state-dir "$LAB_DIR/d/state" --socket "$LAB_DIR/d/hipd.sock" \
	--hi ecdsa-p256 --no-raw --transport udp --udp-port 10601 --dataplane none --user hipsip-no-such-user \
	>"$LAB_DIR/d.log" 2>&1
rc=$?
check "--user with a missing user: exit 1 ($rc)" test $rc -eq 1
check "--user with a missing user: says so" grep -q "user hipsip-no-such-user does not exist" \
	"$LAB_DIR/d.log"

for n in a b c; do
	check "$n stops cleanly on SIGTERM" lab_stop_hipd $n
done
[ $TAP_FAILS -eq 0 ] || for n in a b c; do echo "--- $n"; tail -20 "$LAB_DIR/$n/hipd.log"; done
tap_end
