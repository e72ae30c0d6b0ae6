#!/bin/sh
# Multi-process overlay smoke test: 16 p2psipd processes on 127.0.0.1 (no root, no namespace:
# loopback only, ports chosen by the kernel), convergence, 1000 put/get pairs, kill -9 of a
# quarter, repair. The work is in overlay_driver.py; this wrapper finds the binaries.
set -eu
: "${BUILD_DIR:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
: "${SRC_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
P2PSIPD=${P2PSIPD:-$BUILD_DIR/p2psipd/p2psipd}
[ -x "$P2PSIPD" ] || { echo "no p2psipd at $P2PSIPD"; exit 1; }
# The driver kills every p2psipd it started on any exit (its finally clause); a signal to
# this script reaches it through the process group.
exec python3 "$SRC_DIR/tests/integration/overlay_driver.py" --p2psipd "$P2PSIPD" "$@"
