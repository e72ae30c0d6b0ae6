#!/bin/sh
# p2psipctl's command line without a daemon: help from the verb table, usage errors that name
# the bad argument (exit 2), a missing daemon (exit 3). The verbs' replies are covered by
# tests/integration/test_overlay.sh.
set -u
CTL=$1
fail=0
expect() { # expect CODE PATTERN ARGS...
	code=$1 pat=$2
	shift 2
	out=$("$CTL" --socket /nonexistent/p2psipd.sock "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$code" ] || ! printf '%s' "$out" | grep -q -- "$pat"; then
		echo "FAIL: p2psipctl $*: exit $rc (want $code), output: $out"
		fail=1
	fi
}
expect 0 "lookup KEY" --help
expect 0 "Exit status" --help
expect 2 "Usage" # no command
expect 2 'unknown command "frob"' frob
expect 2 "missing KEY" get
expect 2 "missing VALUE" put k
expect 2 'unexpected argument "b"' get a b
expect 2 'AOR "alice" is not a sip' register alice
expect 2 "only goes with put and register" --lifetime 5 get k
expect 2 '--lifetime "0" is not a number' --lifetime 0 put k v
expect 2 'is not an ID' --id get xyz
expect 2 'unknown option "--frob"' --frob status
expect 0 "flow-close HIT" --help
expect 2 "missing HIT" flow-close
expect 3 "p2psipd is not running" flows
expect 3 "p2psipd is not running" status
expect 3 "p2psipd is not running" lookup --id 2001:20::1
exit $fail
