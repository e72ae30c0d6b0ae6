/* p2psipd's SIP B2BUA (RFC 3261 as a UAS towards one side and a UAC towards the other): local
 * clients register and call through it; calls go to the callee's p2psipd found in the overlay;
 * two dialogs per call, SDP rewritten to the call's media relay. plain, hip and ice modes (ice:
 * SIP over per-peer ICE flows, sip/peer_ice.h; SDP between the p2psipd with ICE for RTP and
 * RTCP, RFC 8839). Not the overlay itself (reached through struct b2bua_dir, and in ice mode
 * the node for the flows' Connects). */
#ifndef HIPSIP_SIP_B2BUA_H
#define HIPSIP_SIP_B2BUA_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "p2psipd/sip/peer.h"
#include "p2psipd/sip/peer_ice.h"
#include "p2psipd/sip/registrar.h"
#include "p2psipd/sip/transport.h"
#include "p2psipd/sip/txn.h"

#define B2BUA_TIMER_C_MS 180000 /* RFC 3261 16.6 step 11: more than 3 minutes */
#define B2BUA_MAX_CALLS	 256
/* Media inactivity: p2psipd's default (main.c) ends a call whose relay forwarded no RTP or
 * RTCP for this long, as rtpengine's --timeout and Asterisk's rtptimeout do: a call whose
 * BYE was lost (a client crashed, a host or the network gone) would otherwise keep its
 * relay forever. RTCP goes on during a hold (RFC 3550 6.2), and a held call with
 * a=inactive is exempt. */
#define B2BUA_MEDIA_TIMEOUT_S 60
/* b2bua_stop waits this long at most for the BYE and CANCEL transactions it started. */
#define B2BUA_STOP_MS 2000

/* Results of the directory (the overlay) for the B2BUA. code: the P2PP response code when one
 * came (406 Rejected: another owner holds the AOR). */
typedef void (*b2bua_dir_done_fn)(void *cbarg, int err, unsigned code);
/* A lookup: err 0 with the first verified record's HIT; -ENOENT unknown; -EKEYREJECTED every
 * record failed verification; another negative errno for a failed lookup. */
typedef void (*b2bua_dir_found_fn)(void *cbarg, int err, const struct in6_addr *hit);

/* How the B2BUA reaches the overlay (main.c: ovl_put/ovl_get/ovl_remove with User-Info and
 * signed AOR records; tests and the fuzz target: stubs). Each callback runs later, once, unless
 * the call returns an error. */
struct b2bua_dir {
	int (*publish)(void *arg, const char *aor, uint32_t lifetime, b2bua_dir_done_fn done,
		       void *cbarg);
	void (*unpublish)(void *arg, const char *aor);
	int (*lookup)(void *arg, const char *aor, b2bua_dir_found_fn done, void *cbarg);
	/* Where SIP for the p2psipd of hit goes (plain: its overlay address with the peer port;
	 * hip: [HIT]:port). 0 or -ENOENT (no address known: 480). */
	int (*peer_addr)(void *arg, const struct in6_addr *hit, struct sockaddr_storage *out);
	void *arg;
};

enum b2bua_mode {
	B2BUA_PLAIN,
	B2BUA_HIP,
	B2BUA_ICE, /* peers as [HIT]:port over ICE flows; media relays run ICE */
};

struct b2bua_config {
	uv_loop_t *loop;
	enum b2bua_mode mode;
	struct sip_transport_config clients; /* the local listener (127.0.0.1:5060) */
	struct sockaddr_storage peer_listen; /* the peer socket ([::]:5062 / 0.0.0.0:5062) */
	/* our address in the SDP and Via sent to peers: the HIT (hip) or overlay address */
	struct sockaddr_storage self_addr;
	struct in6_addr self_hit;      /* a lookup that finds it: the callee is local */
	uint16_t media_min, media_max; /* 0, 0: 20000-20999 */
	unsigned timer_c_ms;	       /* 0: B2BUA_TIMER_C_MS */
	unsigned media_timeout_s;      /* 0: none (main.c: B2BUA_MEDIA_TIMEOUT_S) */
	struct sip_txn_timers tm;      /* zeros: RFC 3261 defaults */
	uint32_t max_expires;	       /* 0: REG_EXPIRES_MAX */
	const char *domain;	       /* may be NULL: any */
	struct b2bua_dir dir;
	bool no_sockets; /* fuzzing: no listener and no peer socket (messages are dropped) */
	/* ice mode: the overlay node (Connects for the SIP flows; its link's STUN/TURN servers
	 * serve the flows and the media relays), the host address their sockets bind to (not a
	 * wildcard), Ta (0: default), idle time of a flow (0: PEER_ICE_IDLE_MS) */
	struct ovl_node *node;
	struct sockaddr_storage ice_host;
	unsigned ice_ta_ms, flow_idle_ms;
};

struct b2bua_call;
struct b2bua_op;
struct orphan;

struct b2bua {
	struct b2bua_config cfg;
	struct sip_transport tp;
	struct sip_peer peer;
	struct peer_ice pice; /* ice mode */
	struct sip_txn_layer txl;
	struct registrar reg;
	struct b2bua_call *calls;
	unsigned n_calls;
	struct b2bua_op *ops;	/* directory operations in flight */
	struct orphan *orphans; /* CANCELled INVITEs of ended calls, until their transaction ends */
	uint64_t next_serial;
	uv_timer_t tick;
	uv_timer_t stop_timer; /* b2bua_stop: polls until its transactions ended */
	uint64_t stop_ms;      /* when b2bua_stop began */
	void (*stop_done)(void *arg);
	void *stop_arg;
	bool tp_open, closing, pice_open;
	struct {
		uint64_t calls, failed, bad_requests, bad_responses, dropped, media_timeouts;
	} stats;
};

/* Opens the listener and the peer socket, starts the transaction layer. 0 or a negative
 * errno (nothing is left open). */
int b2bua_open(struct b2bua *b, const struct b2bua_config *cfg);
/* A clean stop before b2bua_close: new requests get 503; every established call gets a BYE
 * on both legs, every call being set up a 503 to its caller and a CANCEL to its callee.
 * done(arg) runs from the loop once those transactions have their final responses, or after
 * B2BUA_STOP_MS. 0, or -EALREADY (stopping or closed: done will not run). */
int b2bua_stop(struct b2bua *b, void (*done)(void *arg), void *arg);
/* Ends every call at once: established ones get a BYE on both legs, sent but not awaited (no
 * retransmission: b2bua_stop first for that), calls being set up a 503 and a CANCEL; removes
 * our overlay records, closes the sockets. A pending b2bua_stop's done does not run. */
void b2bua_close(struct b2bua *b);

/* Messages as the sockets deliver them (the fuzz target feeds these directly). */
void b2bua_input_client(struct b2bua *b, const struct sip_src *src, const uint8_t *buf, size_t len);
void b2bua_input_peer(struct b2bua *b, const struct sockaddr *from, const uint8_t *buf, size_t len);

/* The control socket's "calls" and "registrations". */
json_t *b2bua_calls_json(const struct b2bua *b);
json_t *b2bua_registrations_json(const struct b2bua *b);
/* ice mode: the SIP flows to peer p2psipd (sip/peer_ice.h) as a JSON array; NULL in the other
 * modes. */
json_t *b2bua_flows_json(const struct b2bua *b);
/* ice mode: closes the SIP flow with the p2psipd of hit. 0, -ENOENT (none), -EOPNOTSUPP (not
 * ice mode). */
int b2bua_flow_close(struct b2bua *b, const struct in6_addr *hit);

/* The bound ports (tests use port 0). */
uint16_t b2bua_client_port(const struct b2bua *b);
uint16_t b2bua_peer_port(const struct b2bua *b);

#endif
