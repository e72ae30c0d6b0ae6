/* p2psipd's daemon state and its control commands (the JSON API behind p2psipctl).
 * Not the socket server (common/ctl_server.h) nor the overlay (overlay/overlay.h). */
#ifndef HIPSIP_P2PSIPD_CTL_H
#define HIPSIP_P2PSIPD_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "common/ctl_server.h"
#include "p2psipd/overlay/overlay.h"
#include "p2psipd/store/aor.h"

#define P2PSIPD_CTL_DEFAULT "/run/p2psipd/p2psipd.sock"
#define P2PSIPD_CTL_ENV	    "P2PSIPD_SOCKET"
#define P2PSIPD_MAX_SRV	    4

/* hip mode: a peer reachable without NAT traversal, as announced under "p2psip:hip-peers"
 * (hip_peers.c): version 1, HIT (16), P2PP port (2), IP version (1: 4 or 6), locator. */
struct hippeer {
	struct in6_addr hit;
	uint16_t port;
	uint8_t ip_version;
	uint8_t ip[16];
};

int hippeer_encode(const struct hippeer *p, uint8_t *buf, size_t cap, size_t *len);
/* 0 or -EBADMSG (also for trailing bytes, port 0, a HIT that is not an ORCHID). */
int hippeer_parse(const uint8_t *buf, size_t len, struct hippeer *out);

struct p2psipd {
	uv_loop_t *loop;
	struct ovl_node *node;
	struct ctl_server *ctl;
	const struct hostid *id;
	uint64_t start_ns;
	/* STUN/TURN servers this node announces (--stun, --turn), published once joined */
	struct srvann srv[P2PSIPD_MAX_SRV];
	unsigned n_srv;
	bool srv_published;
	/* TURN credentials (--turn-user, --turn-pass-file) for servers found in the overlay or
	 * given with --turn: ice mode hands them to its agents, hip mode to hipd */
	char turn_user[128], turn_pass[256];
	/* ice mode: looking up p2psip:stun-turn because no server was configured; what it found
	 * (a TURN server is looked for again every P2PSIPD_SERVERS_AGAIN_MS until found) */
	bool srv_discovering;
	struct sockaddr_storage found_stun, found_turn;
	uint64_t srv_next_ms; /* loop ms */
	/* hip mode without servers of our own: hipd's found in the overlay (hip_servers.c) */
	struct {
		const char *hipd_socket; /* NULL: not looked for */
		enum { HS_NAT, HS_STUN, HS_TURN } step;
		unsigned turn_looks; /* TURN lookups that found none */
		uint64_t next_ms;    /* loop ms: the next look (after HS_TURN_LOOKS misses) */
		bool busy, done;
	} hs;
	/* hip mode: public peers announced and learnt (hip_peers.c) */
	struct {
		bool on, published, busy;
		struct hippeer self; /* ip_version 0: we announce nothing */
		uint64_t next_ms;
	} hp;
	/* the B2BUA's "calls" and "registrations" (a JSON array), set by main.c; NULL: none */
	json_t *(*sip_status)(void *arg, const char *what);
	/* ice mode: closes the SIP flow with the p2psipd of hit (b2bua_flow_close); NULL: none */
	int (*sip_flow_close)(void *arg, const struct in6_addr *hit);
	void *sip_arg;
	/* set by the "leave" command: the daemon stops once the leave is done */
	void (*stop)(struct p2psipd *d, int err);
};

/* The control socket's handler; arg is the struct p2psipd. */
json_t *p2psipd_ctl_handle(json_t *req, void *arg);

/* A node that found a STUN server but no TURN server in the overlay looks for TURN again this
 * often (ms), in both modes: one may be announced later, or missed while records move. */
#define P2PSIPD_SERVERS_AGAIN_MS 10000

/* servers.c: publishes the --stun/--turn announcements (once the node has joined). 0 or
 * -EAGAIN. */
int p2psipd_publish_servers(struct p2psipd *d);
/* hip_servers.c, hip mode: looks up the announced STUN/TURN servers once joined and hands them to
 * hipd, unless hipd has a STUN server. 0 when done (or not needed), -EAGAIN: call again later. */
int p2psipd_hip_servers(struct p2psipd *d);
/* hip mode, from a timer: announces us (with --hip-locator) and learns the announced peers
 * every 10 s. 0, or -EAGAIN before joining. */
int p2psipd_hip_peers(struct p2psipd *d);
/* servers.c, ice mode: until the link has STUN/TURN servers, looks them up under p2psip:stun-turn
 * (once joined) and hands the first of each kind to the link. 0 once it has some, else -EAGAIN. */
int p2psipd_discover_servers(struct p2psipd *d);

#endif
