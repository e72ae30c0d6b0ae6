#!/usr/bin/env bash
# Integration test: hipd's configuration file and hosts file in a running daemon. An association
# from a hosts-file locator survives reloads by SIGHUP and by "hipconf daemon reload" that change
# the log level and the puzzle, a restart-only key is reported and kept, a bad file changes
# nothing. Not the parser's unit tests (tests/unit/test_config.c).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
lab_need_root

lab_up
# --user root: the lab directory (mode 0700) stays readable for reloads where a hipd user exists
HIPD_OPTS=(--hi ecdsa-p256 --rto-ms 150 --state-timeout-ms 60000 --user root)

lab_hipd b "$NS_B" "${HIPD_OPTS[@]}" --log-level debug || exit 1
HIT_B=$(hit_of b)
CONF=$LAB_DIR/a.conf
HOSTS=$LAB_DIR/a.hosts
mkdir -p "$LAB_DIR/a"
printf '# peers of a\npeer-b %s %s\n' "$HIT_B" "$V4_B" >"$HOSTS"
cat >"$CONF" <<CONF
# hipd a
log-level = warning
puzzle-k = 4
hosts = $HOSTS
esp-suites = 13,8,9
CONF

# --- start-up checks, before anything starts ---
printf 'puzzle-k = 4\nrto-ms = 300\npuzzle-k = 5\n' >"$LAB_DIR/dup.conf"
out=$("$HIPD" --config "$LAB_DIR/dup.conf" --check-config 2>&1)
check "a duplicate key stops hipd with FILE:LINE ($out)" \
	bash -c "[[ '$out' == *'dup.conf:3: duplicate key \"puzzle-k\"'* ]]"
"$HIPD" --config "$LAB_DIR/missing.conf" --check-config >/dev/null 2>&1
check "a missing --config file is an error (exit 2)" [ $? -eq 2 ]
out=$("$HIPD" --config "$CONF" --check-config 2>&1)
check "the good file passes --check-config ($out)" \
	bash -c "[[ '$out' == *'configuration ok'*'hosts: 1 names'* ]]"

lab_hipd a "$NS_A" "${HIPD_OPTS[@]}" --config "$CONF" || exit 1
HIT_A=$(hit_of a)
check "log-level = warning from the file: no info lines at start" \
	bash -c "! grep -q ' hipd info: ' '$LAB_DIR/a/hipd.log'"
check "puzzle-k from the file" bash -c "[[ \$('$HIPCONF' --socket '$LAB_DIR/a/hipd.sock' daemon get puzzle) == *' 4' ]]"
check "the hosts file's locator is in the map" \
	bash -c "'$HIPCONF' --socket '$LAB_DIR/a/hipd.sock' --json daemon get map | jq -e --arg h '$HIT_B' '.maps[] | select(.hit == \$h) | .locators | index(\"$V4_B\")' >/dev/null"

out=$(hc a daemon trigger --wait "$HIT_B")
check "BEX to the hosts file's peer ($out)" bash -c "[[ '$out' == 'ESTABLISHED after '* ]]"
check "b has the association" lab_wait 10 state_in b "$HIT_A" R2-SENT ESTABLISHED
spis() { hc a --json daemon get ha "$HIT_B" | jq -c '.associations[0] | [.spi_in, .spi_out]'; }
SPIS=$(spis)

# --- SIGHUP: log level and puzzle change, esp-suites needs a restart ---
sed -i 's/^log-level = .*/log-level = debug/; s/^puzzle-k = .*/puzzle-k = 9/; s/^esp-suites = .*/esp-suites = 8/' "$CONF"
kill -HUP "$PID_a"
check "SIGHUP: puzzle-k 9 in force" lab_wait 10 bash -c "[[ \$('$HIPCONF' --socket '$LAB_DIR/a/hipd.sock' daemon get puzzle) == *' 9' ]]"
check "SIGHUP: the reload is logged at the new level (info shows now)" \
	lab_wait 5 grep -Eq 'reload: applied: (puzzle-k, log-level|log-level, puzzle-k)$' "$LAB_DIR/a/hipd.log"
check "SIGHUP: esp-suites is reported as needing a restart" \
	grep -q 'needs a restart (old value kept): esp-suites' "$LAB_DIR/a/hipd.log"
check "SIGHUP: the association is still ESTABLISHED" state_is a "$HIT_B" ESTABLISHED
check "SIGHUP: same SPIs (not re-keyed, not re-established)" [ "$(spis)" = "$SPIS" ]

# --- hipconf daemon reload ---
sed -i 's/^puzzle-k = .*/puzzle-k = 12/; s/^log-level = .*/log-level = info/' "$CONF"
reply=$(hc a --json daemon reload)
check "hipconf daemon reload: applied log-level and puzzle-k ($reply)" \
	bash -c "jq -e '.ok and (.applied == [\"puzzle-k\", \"log-level\"] or .applied == [\"log-level\", \"puzzle-k\"]) and .log_level == \"info\" and .puzzle_k == 12' <<<'$reply' >/dev/null"
check "hipconf daemon reload: esp-suites still needs a restart" \
	bash -c "jq -e '.needs_restart == [\"esp-suites\"]' <<<'$reply' >/dev/null"
out=$(hc a daemon reload)
check "hipconf daemon reload: human output ($out)" \
	bash -c "[[ '$out' == 'configuration reloaded'*'needs restart   esp-suites'* ]]"
check "reload: the association is still ESTABLISHED" state_is a "$HIT_B" ESTABLISHED
check "reload: same SPIs" [ "$(spis)" = "$SPIS" ]

# --- a bad file changes nothing ---
cp "$CONF" "$CONF.good"
sed -i 's/^puzzle-k = .*/puzzle-k = 3/' "$CONF"
echo 'puzzle-k-attack = 99' >>"$CONF"
out=$(hc a daemon reload 2>&1)
rc=$?
check "a bad file is rejected with FILE:LINE: reason, exit 1 ($out)" \
	bash -c "[ $rc -eq 1 ] && [[ '$out' == *'a.conf:6: puzzle-k-attack: \"99\" is not a number from 0 to 40'* ]]"
check "a bad file: puzzle-k (valid in it) was not applied" \
	bash -c "[[ \$('$HIPCONF' --socket '$LAB_DIR/a/hipd.sock' daemon get puzzle) == *' 12' ]]"
cp "$CONF.good" "$CONF"

# --- the hosts file: a removed line leaves the map, the association stays ---
: >"$HOSTS"
reply=$(hc a --json daemon reload)
check "hosts line removed: one locator removed ($reply)" \
	bash -c "jq -e '.hosts_removed == 1' <<<'$reply' >/dev/null"
check "hosts line removed: the map has no locator for b" \
	bash -c "! '$HIPCONF' --socket '$LAB_DIR/a/hipd.sock' --json daemon get map | jq -e --arg h '$HIT_B' '.maps[] | select(.hit == \$h) | .locators | index(\"$V4_B\")' >/dev/null"
check "after every reload: a's association is ESTABLISHED" state_is a "$HIT_B" ESTABLISHED
check "after every reload: b's association is still up (R2-SENT until a's first ESP packet)" \
	state_in b "$HIT_A" R2-SENT ESTABLISHED

lab_stop_hipd a
check "hipd a exits cleanly on SIGTERM after reloads" [ $? -eq 0 ]
lab_stop_hipd b
tap_end
