/* hipd's host-wide NAT state shared by nat.c and nat_gather.c: the candidate
 * bases on the HIP UDP socket, the STUN server's answer, the TURN allocation. */
#ifndef HIPSIP_NAT_HOST_H
#define HIPSIP_NAT_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ice/sock.h"
#include "ice/stun_txn.h"

#define NAT_MAX_BASES 8

struct hipd;
struct nat_host;
struct turn_client;

/* One host address on the HIP UDP port: a host candidate, and the base of the
 * server-reflexive candidate found from it. */
struct nat_base {
	struct nat_host *host;
	struct ice_sock sock; /* local = address:udp_port; send = the HIP UDP socket */
	struct stun_txn *txn;
	struct sockaddr_storage srflx;
	bool has_srflx;
};

struct nat_host {
	struct hipd *h;
	struct nat_base bases[NAT_MAX_BASES];
	size_t n_bases;
	struct stun_txns txns;
	struct turn_client *turn;
	struct ice_sock relay_sock; /* local = the relayed address; send = through TURN */
	struct sockaddr_storage relayed, relay_mapped;
	bool has_relay;
	unsigned stun_pending, turn_pending;
	bool gathering, gathered;
	uint64_t gather_start_ns, gathered_ns;
	uv_timer_t regather;
	uv_timer_t turn_retry; /* a failed allocation is tried again, with backoff */
	unsigned turn_retry_ms;
	int open_timers;
};

int nat_host_init(struct hipd *h, struct nat_host **out);
void nat_host_close(struct nat_host *n);
int nat_host_parse_addrs(struct nat_host *n, const char *list);
int nat_gather_start(struct nat_host *n);
/* A datagram that arrived through the relay from peer (nat.c demultiplexes it). */
void nat_relay_input(struct hipd *h, const struct sockaddr *peer, const struct sockaddr *relayed,
		     const uint8_t *buf, size_t len);

#endif
