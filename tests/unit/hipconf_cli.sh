#!/bin/sh
# hipconf's command line against a fake hipd: help from the verb table, argument errors (exit 2),
# no daemon (exit 3), daemon errors (exit 1), protocol errors (exit 4). Not a test of hipd itself.
# Also the bash completion (tools/hipconf/hipconf.bash-completion) through hipconf --complete.
# usage: hipconf_cli.sh HIPCONF FAKE_HIPD
set -u
HIPCONF=$1
FAKE=$2
COMPLETION=$(dirname "$0")/../../tools/hipconf/hipconf.bash-completion
TMP=$(mktemp -d)
SOCK=$TMP/run/hipd.sock
FAKE_PID=
fails=0
count=0
trap 'cleanup' EXIT INT TERM

cleanup() {
	stop_fake
	rm -rf "$TMP"
}

stop_fake() {
	if [ -n "$FAKE_PID" ]; then
		kill -TERM "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID"
		rc=$?
		FAKE_PID=
		[ "$rc" -eq 0 ] || { echo "FAIL: fake_hipd exited with $rc"; fails=$((fails + 1)); }
	fi
}

start_fake() {
	"$FAKE" "$SOCK" "$@" &
	FAKE_PID=$!
	i=0
	while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$SOCK" ] || { echo "FAIL: fake_hipd did not start"; exit 1; }
}

# expect NAME EXIT_CODE PATTERN(stdout+stderr, grep -F) -- hipconf args...
expect() {
	name=$1 want=$2 pattern=$3
	shift 4
	count=$((count + 1))
	out=$("$HIPCONF" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: $name: exit $rc, want $want; output:"; echo "$out"
		fails=$((fails + 1)); return
	fi
	if [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -qF -- "$pattern"; then
		echo "FAIL: $name: output lacks [$pattern]; output:"; echo "$out"
		fails=$((fails + 1)); return
	fi
	echo "ok: $name"
}

# help is generated from the verb table: every verb is listed
help=$("$HIPCONF" --help)
for verb in "daemon add map HIT LOCATOR" "daemon del map HIT [LOCATOR]" "daemon get map" \
	"daemon get ha all|HIT" "daemon get hi default|all" "daemon trigger HIT" "daemon close HIT" \
	"daemon get status" "daemon set debug LEVEL" "daemon get puzzle" "daemon set puzzle K" \
	"daemon get relay" "daemon set overlay NAME|none [HIT...]" "daemon get overlay" \
	"daemon new hi rsa|ecdsa-p256|ecdsa-p384 [BITS]" "daemon add hi FILE" "daemon del hi HIT" \
	"daemon inc puzzle" "daemon dec puzzle" "daemon set nat none|udp|ice" "daemon get locator" \
	"daemon get debug" "daemon rst all|HIT"; do
	count=$((count + 1))
	if printf '%s\n' "$help" | grep -qF -- "  $verb  "; then echo "ok: help lists $verb"
	else echo "FAIL: help lacks $verb"; fails=$((fails + 1)); fi
done
for code in "0  ok" "1  hipd answered with an error" "2  usage error" "3  hipd is not running" \
	"4  protocol error"; do
	count=$((count + 1))
	if printf '%s\n' "$help" | grep -qF -- "  $code"; then echo "ok: help documents exit $code"
	else echo "FAIL: help lacks exit status $code"; fails=$((fails + 1)); fi
done
# the man page has every verb of --help, each with an example
MAN=$(dirname "$0")/../../man/hipconf.8
for verb in $(printf '%s\n' "$help" | sed -n 's/^  \(daemon [a-z]*\( [a-z]*\)\?\).*/\1/p' |
	sed 's/ \([A-Z]\|[a-z]*|\).*//' | tr ' ' '_'); do
	words=$(echo "$verb" | tr '_' ' ' | sed 's/ *$//')
	count=$((count + 1))
	if grep -q "^hipconf .*$words" "$MAN"; then echo "ok: man page example of $words"
	else echo "FAIL: man page has no example of $words"; fails=$((fails + 1)); fi
done
expect "version" 0 "hipconf " -- --version
expect "no arguments is a usage error" 2 "Usage: hipconf" --

# usage errors: exit 2, message names the argument, the value and why
expect "non-ORCHID HIT" 2 'hipconf: HIT "2001:db8::1" is not an ORCHIDv2 address (2001:20::/28)' -- \
	daemon add map 2001:db8::1 192.0.2.1
expect "HIT not an address" 2 'hipconf: HIT "bob" is not an IPv6 address' -- daemon trigger bob
expect "bad locator" 2 'hipconf: LOCATOR "192.0.2.300" is not an IPv4 or IPv6 address' -- \
	daemon add map 2001:2a::1 192.0.2.300
expect "HIT as locator" 2 'LOCATOR "2001:2a::9" is a HIT' -- daemon add map 2001:2a::1 2001:2a::9
expect "unknown verb" 2 'hipconf: unknown command "daemon frob"' -- daemon frob
expect "unknown group" 2 'hipconf: unknown command "hip"' -- hip
expect "incomplete verb" 2 'hipconf: incomplete command "daemon get"' -- daemon get
expect "missing argument" 2 'hipconf: missing LOCATOR (usage: hipconf daemon add map HIT LOCATOR)' -- \
	daemon add map 2001:2a::1
expect "extra argument" 2 'hipconf: unexpected argument "now"' -- daemon get status now
expect "bad get hi" 2 'hipconf: WHICH "some" is not one of: default, all' -- daemon get hi some
expect "bad level" 2 'hipconf: LEVEL "loud" is not one of: error, warning, info, debug' -- \
	daemon set debug loud
expect "puzzle out of range" 2 'hipconf: K "41" is out of range (0..40)' -- daemon set puzzle 41
expect "puzzle not a number" 2 'hipconf: K "ten" is not a decimal number' -- daemon set puzzle ten
expect "stun server without a port" 2 'hipconf: SERVER "203.0.113.3" is not ADDRESS:PORT or none' -- \
	daemon set stun 203.0.113.3
expect "turn server without credentials" 2 'hipconf: set turn ADDRESS:PORT needs USER and PASSFILE' -- \
	daemon set turn 203.0.113.3:3478
expect "turn password file missing" 2 'hipconf: PASSFILE "/nonexistent/p"' -- \
	daemon set turn 203.0.113.3:3478 alice /nonexistent/p
expect "unknown option" 2 'hipconf: unknown option "--frob"' -- --frob daemon get status
expect "fault on other verb" 2 'hipconf: option --fault only goes with "daemon trigger"' -- \
	--fault i2-mac daemon get status
expect "unknown fault" 2 'hipconf: fault "i3-mac" is not one of: i2-signature' -- \
	daemon trigger 2001:2a::2 --fault i3-mac

expect "new hi: unknown kind" 2 'hipconf: KIND "dsa" is not one of: rsa, ecdsa-p256, ecdsa-p384' -- \
	daemon new hi dsa
expect "new hi: bits with ecdsa" 2 'hipconf: BITS "4096" goes with rsa only' -- daemon new hi ecdsa-p256 4096
expect "new hi: too few bits" 2 'hipconf: BITS "1024" is out of range (2048..8192)' -- daemon new hi rsa 1024
expect "add hi: no file" 2 'hipconf: FILE "/nonexistent/key.pem": No such file or directory' -- \
	daemon add hi /nonexistent/key.pem
printf '%s\n' "-----BEGIN PRIVATE KEY-----" "MC4CAQAwBQYDK2VwBCIEIA==" "-----END PRIVATE KEY-----" >"$TMP/key.pem"
chmod 644 "$TMP/key.pem"
expect "add hi: group-readable key refused" 2 "may be read by group or others (a private key: chmod 600" -- \
	daemon add hi "$TMP/key.pem"
expect "add hi: a directory" 2 "is not a regular file" -- daemon add hi "$TMP"
expect "del hi: not a HIT" 2 'hipconf: HIT "x" is not an IPv6 address' -- daemon del hi x
expect "force on other verb" 2 'hipconf: option --force only goes with "daemon del hi"' -- \
	--force daemon rst all
expect "set nat: unknown mode" 2 'hipconf: MODE "stun" is not one of: none, udp, ice, plain-udp, ice-udp' -- \
	daemon set nat stun
expect "inc puzzle takes no argument" 2 'hipconf: unexpected argument "2"' -- daemon inc puzzle 2
expect "rst: all or a HIT" 2 'hipconf: HIT "some" is not an IPv6 address' -- daemon rst some

# no daemon: exit 3
expect "no daemon" 3 "hipconf: hipd is not running (cannot connect to $SOCK: No such file or directory)" -- \
	--socket "$SOCK" daemon get status
HIPD_SOCKET=$TMP/nothing.sock
export HIPD_SOCKET
expect "no daemon, socket from HIPD_SOCKET" 3 "cannot connect to $TMP/nothing.sock" -- daemon get map
HIPD_SOCKET=$SOCK

# against the fake daemon
start_fake
expect "add map" 0 "" -- daemon add map 2001:2a::2 198.51.100.7
expect "get map" 0 "198.51.100.7" -- daemon get map
expect "del map error" 1 "hipconf: hipd: no mapping for 2001:2a::2" -- daemon del map 2001:2a::2
expect "get ha block" 0 "  peer locator     198.51.100.7" -- daemon get ha all
expect "get ha duration" 0 "established      1h 02m 05s ago" -- daemon get ha 2001:2a::2
expect "get ha spi hex" 0 "spi in           0xdeadbeef" -- daemon get ha all
expect "get ha extra field" 0 "nat mode         ice-stun-udp" -- daemon get ha all
expect "get hi all" 0 "2001:2b::1" -- daemon get hi all
expect "get hi default table" 0 "HIT " -- daemon get hi default
expect "get status" 0 "uptime        1d 01h 01m" -- daemon get status
expect "get status list" 0 "transports    udp, raw" -- daemon get status
expect "set puzzle" 0 "" -- daemon set puzzle 17
expect "get puzzle" 0 "puzzle difficulty K  17" -- daemon get puzzle
expect "set debug" 0 "" -- daemon set debug info
expect "trigger" 0 "" -- daemon trigger 2001:2a::2
expect "trigger fault" 1 "hipconf: hipd: fault i2-mac injected" -- daemon trigger 2001:2a::2 --fault i2-mac
expect "rst" 0 "" -- daemon rst 2001:2a::2
expect "trigger --wait" 0 "ESTABLISHED after 1.2 ms" -- daemon trigger --wait 2001:2a::2
expect "wait on other verb" 2 'hipconf: option --wait only goes with "daemon trigger"' -- \
	--wait daemon get map
expect "trigger error" 1 "hipconf: hipd: no locator known for 2001:2a::dead" -- daemon trigger 2001:2a::dead
# a HIT by its name in the hosts file (--hosts)
printf '# peers\ndead 2001:2a::dead 192.0.2.9\nthree 2001:2a::3\n' >"$TMP/hosts"
printf 'x 2001:db8::1\n' >"$TMP/bad"
expect "trigger by name" 1 "hipconf: hipd: no locator known for 2001:2a::dead" -- \
	--hosts "$TMP/hosts" daemon trigger dead
expect "name not in the hosts file" 2 "hipconf: HIT \"bob\" is not an IPv6 address, nor a name in $TMP/hosts" -- \
	--hosts "$TMP/hosts" daemon trigger bob
expect "hosts file missing" 2 "HIT \"bob\" is not an IPv6 address, and the hosts file cannot be read: $TMP/none:" -- \
	--hosts "$TMP/none" daemon trigger bob
expect "bad hosts file" 2 "the hosts file cannot be read: $TMP/bad:1:" -- --hosts "$TMP/bad" daemon close x
expect "--hosts without a FILE" 2 "hipconf: option --hosts needs a FILE" -- daemon close x --hosts
expect "a HIT needs no hosts file" 1 "hipconf: hipd: no locator known for 2001:2a::dead" -- \
	--hosts "$TMP/none" daemon trigger 2001:2a::dead
expect "get relay: server block" 0 "relay server" -- daemon get relay
expect "get relay: a client of the relay" 0 "  client 2001:2a::5" -- daemon get relay
expect "get relay: client address" 0 "    address         203.0.113.1:4711" -- daemon get relay
expect "get relay: our registration" 0 "  state      registered" -- daemon get relay
expect "get relay: durations" 0 "  remaining  9m 50s" -- daemon get relay
expect "get relay takes no argument" 2 'hipconf: unexpected argument "all"' -- daemon get relay all
expect "set overlay: neighbour not a HIT" 2 'hipconf: HIT "192.0.2.1" is not an IPv6 address' -- \
	daemon set overlay p2psip 2001:2a::3 192.0.2.1
expect "set overlay none takes no neighbours" 2 'overlay none takes no neighbours' -- \
	daemon set overlay none 2001:2a::3
expect "set overlay needs a name" 2 'hipconf: missing' -- daemon set overlay
expect "set overlay" 0 "" -- daemon set overlay p2psip 2001:2a::3 2001:2a::4
expect "get overlay: name" 0 "overlay        p2psip" -- daemon get overlay
expect "get overlay: neighbours" 0 "2001:2a::4" -- daemon get overlay
expect "get overlay: drop reasons" 0 "ttl_exceeded   1" -- daemon get overlay
expect "get overlay json" 0 '"forwarded": 5' -- --json daemon get overlay
expect "set overlay none" 0 "" -- daemon set overlay none
expect "get overlay: off" 0 "overlay routing off" -- daemon get overlay
expect "inc puzzle" 0 "puzzle difficulty K  18" -- daemon inc puzzle
expect "dec puzzle" 0 "puzzle difficulty K  17" -- daemon dec puzzle
expect "inc puzzle json" 0 '"k": 18' -- --json daemon inc puzzle
expect "dec puzzle json" 0 '"k": 17' -- daemon dec puzzle --json
expect "set debug: HIPL all" 0 "" -- daemon set debug all
expect "set debug: HIPL none" 0 "" -- daemon set debug none
expect "get debug" 0 "debug level  warning" -- daemon get debug
expect "new hi" 0 "2001:2c::7" -- daemon new hi ecdsa-p256
expect "new hi rsa bits" 0 "4096" -- daemon new hi rsa 4096
expect "new hi json" 0 '"hit": "2001:2c::7"' -- --json daemon new hi ecdsa-p384
chmod 600 "$TMP/key.pem"
expect "add hi" 0 "2001:2c::8" -- daemon add hi "$TMP/key.pem"
expect "add hi json" 0 '"kind": "ecdsa-p384"' -- --json daemon add hi "$TMP/key.pem"
expect "del hi default refused" 1 "hipconf: hipd: 2001:2a::1 is the default identity" -- daemon del hi 2001:2a::1
expect "del hi --force" 0 "deleted 2001:2a::1; 1 associations dropped; default 2001:2b::1" -- \
	daemon del hi --force 2001:2a::1
expect "del hi json" 0 '"dropped": 1' -- --json daemon del hi 2001:2b::1
expect "get hi shows associations" 0 "ASSOCIATIONS" -- daemon get hi all
expect "rst all" 0 "2 associations dropped" -- daemon rst all
expect "rst all json" 0 '"dropped": 2' -- --json daemon rst all
expect "set nat ice" 0 "modes for new base exchanges  ICE-STUN-UDP, UDP-ENCAPSULATION" -- daemon set nat ice
expect "set nat: HIPL plain-udp" 0 "modes for new base exchanges  UDP-ENCAPSULATION" -- daemon set nat plain-udp
expect "set nat none" 0 "modes for new base exchanges  -" -- daemon set nat none
expect "set nat json" 0 '"modes": []' -- --json daemon set nat none
expect "get locator: addresses" 0 "eth0        fe80::1" -- daemon get locator
expect "get locator: ports" 0 "HIP over UDP on port 10500, and raw HIP" -- daemon get locator
expect "get locator: candidates" 0 "  host 192.0.2.1:10500" -- daemon get locator
expect "get locator json" 0 '"udp_port": 10500' -- --json daemon get locator
expect "get debug json" 0 '"level": "warning"' -- --json daemon get debug

# bash completion: candidates from hipconf --complete, HITs from the daemon
complete_words() {
	HIPD_SOCKET=$SOCK PATH=$(dirname "$HIPCONF"):$PATH bash -c \
		'source "$1"; COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; _hipconf; echo "${COMPREPLY[*]}"' \
		sh "$COMPLETION" "$1"
}
# complete NAME LINE WANT: COMPREPLY for LINE (cursor at its end) is exactly WANT
complete_is() {
	count=$((count + 1))
	got=$(complete_words "$2")
	if [ "$got" = "$3" ]; then echo "ok: completion: $1"
	else echo "FAIL: completion: $1: got [$got], want [$3]"; fails=$((fails + 1)); fi
}
complete_is "group" "hipconf " "daemon"
complete_is "verbs" "hipconf daemon " "add del get new trigger close rekey rst reload set inc dec"
complete_is "partial verb" "hipconf daemon re" "rekey reload"
complete_is "objects of get" "hipconf daemon get " \
	"map ha hi status debug puzzle dataplane nat locator relay overlay"
complete_is "objects of set with an option before" "hipconf --json daemon set d" "debug"
complete_is "nat modes (HIPL's words are accepted, not offered)" "hipconf daemon set nat " "none udp ice"
complete_is "debug levels" "hipconf daemon set debug m" "medium"
complete_is "identity kinds" "hipconf daemon new hi ecdsa" "ecdsa-p256 ecdsa-p384"
complete_is "options" "hipconf daemon del hi --f" "--fault --force"
complete_is "peer HITs of get ha" "hipconf --hosts $TMP/none daemon get ha " "all 2001:2a::2 2001:2a::3"
complete_is "peer HITs and the hosts file's names" "hipconf --hosts $TMP/hosts daemon close " \
	"2001:2a::2 2001:2a::3 dead three"
complete_is "hosts file names" "hipconf --hosts $TMP/hosts daemon trigger th" "three"
complete_is "HIT after its colons" "hipconf daemon close 2001:2a::" "2 3"
complete_is "own HITs for del hi" "hipconf daemon del hi " "2001:2a::1 2001:2b::1"
complete_is "key file names" "hipconf daemon add hi $TMP/key" "$TMP/key.pem"
complete_is "nothing after the last argument" "hipconf daemon get status " ""
expect "json" 0 '"k": 17' -- --json daemon get puzzle
expect "json after verb" 0 '"ok": true' -- daemon get status --json
expect "json error reply" 1 '"error": "no mapping for 2001:2a::2"' -- --json daemon del map 2001:2a::2
stop_fake

# a daemon whose replies lack "ok": exit 4
start_fake broken
expect "protocol error" 4 'hipconf: protocol error: reply has no boolean "ok"' -- daemon get status
stop_fake

echo "$count checks, $fails failed"
[ "$fails" -eq 0 ]
