/* The SIP channel between p2psipd instances in ice mode: one flow per peer p2psipd, set up by
 * a P2PP Connect with a Flow object (overlay/flow.h) carrying ICE candidates, then an ice/
 * agent (1 component) and its own UDP socket carrying SIP datagrams. Peers are named by
 * their HIT (= overlay ID); the B2BUA sees each as the address [HIT]:port.
 * Not SIP parsing, not the hip/plain socket (peer.c) and not the overlay's links. */
#ifndef HIPSIP_SIP_PEER_ICE_H
#define HIPSIP_SIP_PEER_ICE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "p2psipd/overlay/flow.h"
#include "p2psipd/sip/peer.h"

#define PEER_ICE_IDLE_MS  120000 /* a flow no datagram used for this long is closed */
#define PEER_ICE_QUEUE	  16	 /* datagrams held while a flow is set up */
#define PEER_ICE_MAX_FLOW 64

struct peer_flow;

struct peer_ice_config {
	uv_loop_t *loop;
	struct ovl_node *node; /* Connects go through it; its link's STUN/TURN servers are used */
	struct sockaddr_storage host; /* the address the flows' sockets bind to (port 0) */
	uint16_t port;		      /* the port in the [HIT]:port addresses handed up */
	unsigned idle_ms;	      /* 0: PEER_ICE_IDLE_MS */
	unsigned ta_ms;		      /* 0: the agent's default */
};

struct peer_ice {
	struct peer_ice_config cfg;
	sip_peer_recv_fn recv;
	void *arg;
	struct peer_flow *flows;
	unsigned n_flows;
	uint32_t next_id;
	uv_timer_t tick;
	bool open;
	struct {
		uint64_t rx, tx, dropped, flows_up, flows_failed, flows_idle;
	} stats;
};

/* Starts listening for peers' flow offers on the node. 0 or a negative errno. */
int peer_ice_open(struct peer_ice *pi, const struct peer_ice_config *cfg, sip_peer_recv_fn recv,
		  void *arg);
/* One datagram to the p2psipd whose HIT is dst's address (IPv6). A flow is set up first if
 * none is up (the datagram waits; it is dropped if the setup fails). 0, -EINVAL (not a HIT
 * address), -EMSGSIZE, -ENOBUFS (the wait queue is full), -ENOMEM. */
int peer_ice_send(struct peer_ice *pi, const struct sockaddr *dst, const uint8_t *buf, size_t len);
/* A call with the peer of dst is going on: its flow is not idle (calls keep their flow up
 * between SIP messages; only flows without a call close after idle_ms). */
void peer_ice_touch(struct peer_ice *pi, const struct sockaddr *dst);
/* One flow as the control socket lists it. state: "gathering", "offered", "checking", "up". */
struct peer_ice_flow_info {
	struct in6_addr hit;
	uint32_t id;
	bool initiator;
	const char *state;
	uint64_t age_ms, idle_ms;
};

/* The live flows, at most cap of them into out; returns how many there are. */
size_t peer_ice_flows(const struct peer_ice *pi, struct peer_ice_flow_info *out, size_t cap);
/* Closes the flow with the p2psipd of hit now (stamp sip.ice.closed, detail "closed"), so the
 * next datagram for it sets up a new one (measurements of fresh calls). Nothing goes to the
 * peer: its side ends by consent freshness or idle time, or on our next offer (replaced).
 * 0 or -ENOENT (no flow). */
int peer_ice_close_flow(struct peer_ice *pi, const struct in6_addr *hit);
/* Closes every flow; pi must stay valid until the loop ran once more. */
void peer_ice_close(struct peer_ice *pi);

#endif
