#!/usr/bin/env bash
# Integration test of ESP rekeying by UPDATE (RFC 7402 6.8-6.10): while a TCP
# stream and a ping run between HITs, the SAs are rekeyed by lifetime (a
# every 2 s) and on demand (b); the TCP connection survives with every byte,
# no echo is lost, no ESP is dropped, the SPIs change, and tshark reads the
# UPDATEs cleanly.
set -u
. "$(dirname "$0")/lib.sh"
lab_need_root
for t in tcpdump ping python3 tshark; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done

ha_field() { # ha_field NAME PEER_HIT FIELD
	hc "$1" --json daemon get ha all |
		jq -r --arg p "$2" --arg f "$3" '[.associations[] | select(.peer_hit == $p) | .[$f]][0] // -1'
}

lab_up
lab_hipd a "$NS_A" --hi ecdsa-p256 --rekey-seconds 2 || exit 1
lab_hipd b "$NS_B" --hi ecdsa-p256 --rekey-seconds 0 || exit 1
HIT_A=$(hit_of a)
HIT_B=$(hit_of b)
hc a daemon add map "$HIT_B" $V4_B >/dev/null
hc b daemon add map "$HIT_A" $V4_A >/dev/null

check "rekey without an association is refused" sh -c "! $HIPCONF --socket $LAB_DIR/a/hipd.sock daemon rekey $HIT_B 2>/dev/null"

ip netns exec "$NS_A" tcpdump -i "$IF_A" -U -s 0 -w "$LAB_DIR/hip.pcap" udp port 10500 or ip proto 139 \
	>"$LAB_DIR/tcpdump.log" 2>&1 &
LAB_PIDS+=($!)
CAP=$!
lab_wait 10 grep -q listening "$LAB_DIR/tcpdump.log"

check "base exchange" hc a daemon trigger --wait "$HIT_B"
spi0=$(ha_field a "$HIT_B" spi_out)

# A TCP stream of 9 s from b to a, checked end to end by SHA-256, paced at
# 8 KiB per 2 ms (4 MB/s, a fraction of what the userspace ESP carries even
# in an ASan build): a stream that fills the tunnel makes TCP find its limit
# by drops in hit0's queue, which take echoes with them now and then, and the
# ping would no longer tell whether a rekey lost packets.
ip netns exec "$NS_B" python3 -c "
import hashlib, socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9009)); s.listen(1)
print('ready', flush=True)
c, _ = s.accept()
h = hashlib.sha256(); block = bytes(range(256)) * 32; end = time.time() + 9; sent = 0
while time.time() < end:
    c.sendall(block); h.update(block); sent += len(block)
    time.sleep(0.002)
c.shutdown(socket.SHUT_WR)
print('sent', sent, h.hexdigest(), flush=True)
" "$HIT_B" >"$LAB_DIR/tx.log" 2>&1 &
LAB_PIDS+=($!)
lab_wait 10 grep -q ready "$LAB_DIR/tx.log"
ip netns exec "$NS_A" python3 -c "
import hashlib, socket, sys
s = socket.create_connection((sys.argv[1], 9009), timeout=20)
h = hashlib.sha256(); got = 0
while True:
    d = s.recv(65536)
    if not d: break
    h.update(d); got += len(d)
print('got', got, h.hexdigest(), flush=True)
" "$HIT_B" >"$LAB_DIR/rx.log" 2>&1 &
RX=$!
LAB_PIDS+=($RX)
ip netns exec "$NS_A" ping -6 -n -i 0.05 -c 160 -W 2 "$HIT_B" >"$LAB_DIR/ping.log" 2>&1 &
PING=$!
LAB_PIDS+=($PING)
sleep 4
check "b rekeys on demand under traffic" hc b daemon rekey "$HIT_A"
wait $RX
wait $PING
ping_rc=$?

sent=$(awk '/^sent/ {print $2, $3}' "$LAB_DIR/tx.log")
got=$(awk '/^got/ {print $2, $3}' "$LAB_DIR/rx.log")
check "the TCP stream survived every rekey, byte for byte ($got)" test -n "$got" -a "$sent" = "$got"
# Where packets can be lost outside the SAs, for the message: overflows of
# hipd's UDP receive buffer and drops in hit0's queue, at a and at b.
local_drops() {
	local ns udp tun
	for ns in "$NS_A" "$NS_B"; do
		udp=$(ip netns exec "$ns" awk '/^Udp:/ && ++n == 2 {print $6}' /proc/net/snmp)
		tun=$(ip -n "$ns" -s link show hit0 | awk '/TX:/ {getline; print $4}')
		printf ' %s/%s' "$udp" "$tun"
	done
}
check "no echo lost during the rekeys ($(grep -o '[0-9.]*% packet loss' "$LAB_DIR/ping.log"); UDP buffer/hit0 drops at a, b:$(local_drops))" \
	test $ping_rc -eq 0 -a -n "$(grep ' 0% packet loss' "$LAB_DIR/ping.log")"
# a keeps rekeying every 2 s: compare the two ends between rekeys.
ends_agree() {
	[ "$(ha_field a "$HIT_B" rekeys)" = "$(ha_field b "$HIT_A" rekeys)" ] &&
		[ "$(ha_field a "$HIT_B" spi_out)" = "$(ha_field b "$HIT_A" spi_in)" ] &&
		[ "$(ha_field a "$HIT_B" spi_in)" = "$(ha_field b "$HIT_A" spi_out)" ]
}
# RFC 7402 3.3.2: each side has its new inbound SA before the other sends on
# it, so no ESP is dropped for an unknown SPI (nor for anything else).
dropped=$(for n in a b; do hc $n --json daemon get dataplane | jq -r .esp_dropped; done | xargs)
check "no ESP dropped at either end ($dropped)" test "$dropped" = "0 0"
rk_a=$(ha_field a "$HIT_B" rekeys)
check "a rekeyed by lifetime at least 3 times ($rk_a)" test "$rk_a" -ge 3
check "both ends agree on the rekey count and the SPIs" lab_wait 5 ends_agree
check "the outbound SPI changed" test "$(ha_field a "$HIT_B" spi_out)" != "$spi0"
check "ping6 after the rekeys" ip netns exec "$NS_A" ping -6 -n -c 2 -i 0.1 -W 2 "$HIT_B"

kill -INT $CAP
wait $CAP 2>/dev/null
n_upd=$(tshark_r "$LAB_DIR/hip.pcap" -d udp.port==10500,udpencap -Y 'hip.packet_type == 16' 2>/dev/null | wc -l)
check "tshark sees the UPDATEs ($n_upd)" test "$n_upd" -ge 9
# (tshark 4.0 warns "Unknown algorithm type" on ECDSA HOST_IDs in R1/I2, which
# UPDATEs do not carry.)
bad=$(tshark_r "$LAB_DIR/hip.pcap" -d udp.port==10500,udpencap -Y '_ws.malformed || _ws.expert.severity >= "Error" || (hip.packet_type == 16 && _ws.expert.severity >= "Warning")' 2>/dev/null | wc -l)
check "no malformed packet, no warning on an UPDATE ($bad)" test "$bad" -eq 0

tap_end
