/* A UDP socket on libuv that serves one ICE agent: an ice_sock whose send is
 * uv_udp_try_send, and a receive loop feeding ice_agent_input. For callers
 * that own a socket per flow (p2psipd's ice mode, tests); hipd has its own. */
#ifndef HIPSIP_ICE_UDP_H
#define HIPSIP_ICE_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ice/ice.h"
#include "ice/sock.h"

struct ice_udp {
	uv_udp_t h;
	struct ice_sock sock;
	struct ice_agent *agent; /* gets every datagram first; may be NULL */
	/* Datagrams the agent did not take: the application's, straight from the peer. */
	void (*on_data)(void *arg, const struct sockaddr *from, const uint8_t *data, size_t len);
	void *arg;
	uint8_t buf[65536];
	uint64_t rx, tx, rx_errors;
	void (*on_closed)(struct ice_udp *u);
};

/* Binds to addr (port 0: any) and starts receiving. 0 or a negative errno. */
int ice_udp_open(uv_loop_t *loop, const struct sockaddr *addr, struct ice_udp *u);
/* Stops and closes; on_closed (may be NULL) runs once libuv let go of u. */
void ice_udp_close(struct ice_udp *u, void (*on_closed)(struct ice_udp *u));

#endif
