/* The overlay node's inside, shared by node.c (ring upkeep), route.c (recursive routing),
 * storage.c and lookup_miss.c (records) and msg.c (building P2PP). Not for users of overlay.h. */
#ifndef HIPSIP_OVL_INT_H
#define HIPSIP_OVL_INT_H

#include "p2psipd/overlay/flow.h"
#include "p2psipd/overlay/overlay.h"
#include "p2psipd/p2pp/p2pp_msg.h"
#include "p2psipd/store/store.h"

#define OVL_MSG_MAX	 P2PP_MAX_MSG
#define OVL_CHUNK	 1200 /* Replicate/Transfer bytes per message: one unfragmented datagram */
#define OVL_ROUTE_TRIES	 4    /* next hops tried by a forwarder when one does not ACK */
#define OVL_CLIENT_TRIES 3    /* times an operation started here is sent */
/* stabilize rounds between full re-replications, and between publications of our own records
 * (a record lost in churn is back within this, not only at its refresh before expiry) */
#define OVL_REPLICATE_EVERY 30

/* What a pending transaction of ours is for. */
enum ovl_op_kind {
	OP_BOOTSTRAP,
	OP_JOIN,
	OP_STABILIZE,
	OP_KEEPALIVE,
	OP_FINGER,
	OP_FORWARD, /* a recursive request we relay (or started: see struct ovl_client) */
	OP_REPLICATE,
	OP_TRANSFER,
	OP_LEAVE,
	OP_REMOVE_REPLICA,
	OP_CONNECT,  /* a Connect served here, answered once our agent has gathered */
	OP_FLOW,     /* a Connect for an application flow served here (flow.c) */
	OP_ASK_SUCC, /* a LookupObject that missed here, asked of our successor (lookup_miss.c) */
};

struct ovl_client;

/* One transaction in flight, on the node's list so that close can free it. */
struct ovl_op {
	struct ovl_op *prev, *next;
	struct ovl_node *n;
	enum ovl_op_kind kind;
	struct p2pp_txn *txn;
	struct chord_id peer; /* the neighbour it went to (has_peer) */
	bool has_peer;
	unsigned finger; /* OP_FINGER */
	/* OP_FORWARD, OP_ASK_SUCC: the request as received (TTL already lowered), where from,
	 * the key */
	uint8_t *req;
	size_t req_len;
	struct sockaddr_storage from;
	struct ovl_client *client; /* the operation started here, or NULL when relaying */
	struct chord_id key;
	unsigned tries;
	bool to_pred;	 /* the first try goes to our predecessor (route.c next_hop) */
	bool via_pred;	 /* and if it fails we answer ourselves */
	bool leave_step; /* OP_TRANSFER/OP_LEAVE sent while leaving */
	bool connect;	 /* OP_FORWARD of a Connect: only over links that are up */
	bool join;	 /* OP_FORWARD of a Join: never to the joiner's ID (route.c) */
	struct chord_id joiner;
	uint32_t flow_id; /* OP_FLOW */
};

/* An operation started here (ovl_lookup/put/get/remove, finger fixing, publication refresh). */
struct ovl_client {
	struct ovl_client *prev, *next;
	struct ovl_node *n;
	uint8_t type; /* P2PP request type */
	struct chord_id key;
	uint8_t cont_type;
	uint8_t *value;
	size_t value_len;
	uint32_t lifetime;
	uint8_t owner[STORE_OWNER_MAX]; /* owner_len 0: our node ID */
	size_t owner_len;
	unsigned finger; /* type LookupPeer for finger fixing: which finger; else ~0u */
	ovl_result_fn cb;
	void *arg;
	uint64_t started_ns;
	unsigned tries;
	uint64_t retry_at; /* loop ms; 0: not waiting */
	bool in_flight;
	struct ovl_flow_req *flow; /* a Connect for an application flow (flow.c) */
	bool republish;		   /* a misplaced record of ours going to its owner (storage.c) */
};

/* A record this node published and keeps refreshed. */
struct ovl_pub {
	struct ovl_pub *next;
	struct chord_id key;
	uint8_t cont_type;
	uint8_t *value;
	size_t value_len;
	uint32_t lifetime;
	uint64_t refresh_at; /* ovl_now seconds */
};

struct ovl_node {
	struct ovl_config cfg;
	uv_loop_t *loop;
	struct chord_id self;
	uint8_t self_b[P2PP_ID_LEN];
	char name[64];
	struct chord_ring ring;
	struct link *link;
	struct p2pp_txns txns;
	struct store store;
	enum ovl_state state;
	uv_timer_t stab_timer, fix_timer, tick_timer;
	uv_timer_t kick_timer; /* operations due now or at their retry time */
	unsigned handles;      /* open timers, for the memory's release */
	struct ovl_op *ops;
	struct ovl_client *clients;
	struct ovl_pub *pubs;
	struct ovl_client *local_client; /* one started here, while served here */
	struct p2pp_msg *rx;		 /* the message being handled */
	uint8_t *buf;			 /* OVL_MSG_MAX bytes for building */
	bool stab_busy, ka_busy, fix_busy, join_busy;
	bool replicate_due;
	uint64_t replicate_last; /* loop ms */
	uint64_t start_ns;
	unsigned leave_pending;
	bool leave_notified;
	int leave_err;
	ovl_done_fn leave_cb;
	void *leave_arg;
	struct ovl_counters ctr;
	/* the application taking Connects for flows (flow.c) */
	uint8_t flow_app;
	ovl_flow_accept_fn flow_accept;
	void *flow_arg;
};

/* node.c */
struct ovl_op *ovl_op_new(struct ovl_node *n, enum ovl_op_kind kind);
void ovl_op_free(struct ovl_op *op);
/* Sends a finished request or indication to a peer by ID (resolved through the link).
 * On failure op is freed. */
int ovl_op_send(struct ovl_op *op, const struct chord_id *peer, const uint8_t *msg, size_t len,
		p2pp_txn_cb cb);
int ovl_op_send_addr(struct ovl_op *op, const struct sockaddr *dst, const uint8_t *msg, size_t len,
		     p2pp_txn_cb cb);
/* A neighbour did not ACK: chord_peer_failed and what follows. */
void ovl_peer_failed(struct ovl_node *n, const struct chord_id *peer);
/* After any ring step: handover, replica roles, neighbour set. old_pred: before the step. */
void ovl_ring_changed(struct ovl_node *n, int chg, bool had_pred, const struct chord_id *old_pred);
/* Learns the first Peer-Info of m (the sender's, or the origin's for a relayed request). */
void ovl_learn_sender(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from,
		      bool direct);
uint32_t ovl_new_tid(void);
/* A datagram as if the link received it (the fuzz target's entry). */
void ovl_input(struct ovl_node *n, const uint8_t *buf, size_t len, const struct sockaddr *from);
/* A Transfer or Leave sent while leaving was answered (or failed). */
void ovl_leave_step_done(struct ovl_node *n, int err);

/* msg.c */
void ovl_hdr(struct ovl_node *n, struct p2pp_hdr *h, uint8_t kind, uint8_t type, bool recursive);
/* Our own Peer-Info (ID and the link's candidates). */
void ovl_self_info(struct ovl_node *n, struct p2pp_peer_info *pi);
/* A known peer's Peer-Info (ID, and its address when the link knows it). */
void ovl_peer_info(struct ovl_node *n, const struct chord_id *id, struct p2pp_peer_info *pi);
/* The Neighbor-Table we answer ExchangeTable and Join with: our predecessor first (ourselves
 * when we have none: a node is never its own predecessor), then our successor list. */
int ovl_put_neighbors(struct ovl_node *n, struct p2pp_builder *b);
/* Reads it back: *has_pred, pred, and up to CHORD_SUCC_MAX successors (learnt on the way). */
int ovl_get_neighbors(struct ovl_node *n, const struct p2pp_msg *m, bool *has_pred,
		      struct chord_id *pred, struct chord_id *succ, unsigned *nsucc);
/* The response header to req in n->buf, TTL echoed (the hop count's carrier); objects follow. */
void ovl_resp_begin(struct ovl_node *n, struct p2pp_builder *b, const struct p2pp_msg *req,
		    unsigned code);
/* The same with our Peer-Info as the first object. */
void ovl_resp_init(struct ovl_node *n, struct p2pp_builder *b, const struct p2pp_msg *req,
		   unsigned code);
/* Sends an error response (Peer-Info, Error) to a received request. */
void ovl_respond_error(struct ovl_node *n, const struct p2pp_msg *req, const struct sockaddr *to,
		       unsigned code, const char *reason);
int ovl_pi_id(const struct p2pp_peer_info *pi, struct chord_id *out);

/* route.c */
/* A recursive request arrived (or was started here: from NULL). m views buf. */
void ovl_route_request(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from);
/* Retries waiting operations; called from the finger timer. */
void ovl_clients_tick(struct ovl_node *n);
void ovl_clients_cancel(struct ovl_node *n);
/* PublishObject of someone else's record (owner kept), without a callback. */
int ovl_republish(struct ovl_node *n, const struct store_rec *r, uint32_t lifetime);
/* A republish's end: taken by the owner, our copy becomes a replica; else it stays primary and
 * goes again with the next round (a record is never left without a primary holder). */
void ovl_republished(struct ovl_node *n, const struct ovl_client *c, int err);
int ovl_client_start(struct ovl_client *c);
struct ovl_client *ovl_client_new(struct ovl_node *n, uint8_t type, const struct chord_id *key);
/* An operation started here that was in flight ends with err (retried if err allows). */
void ovl_client_fail(struct ovl_client *c, int err);
/* Answers a request served here: to the previous hop, or to the operation started here. */
void ovl_answer(struct ovl_node *n, const struct p2pp_msg *req, const struct sockaddr *from,
		const uint8_t *resp, size_t len);

/* connect.c: ICE link setup through the overlay (ice mode) */
int ovl_connect_build(struct ovl_node *n, const struct chord_id *peer, size_t *len);
int ovl_connect_send(void *arg, const struct chord_id *peer);
void ovl_connect_answer(void *arg, const struct chord_id *peer, int err);
void ovl_connect_done(struct ovl_node *n, const struct chord_id *peer, int err,
		      const struct p2pp_msg *resp);
void ovl_on_connect(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from);

/* flow.c: Connects for application flows (ice mode's SIP) */
int ovl_flow_build(struct ovl_client *c, size_t *len);
void ovl_flow_done(struct ovl_client *c, int err, const struct p2pp_msg *resp);
void ovl_flow_free(struct ovl_client *c);
void ovl_on_flow_connect(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from);

/* storage.c: serving object requests at the responsible node, replicas, handover, refresh */
int ovl_serve_object(struct ovl_node *n, const struct p2pp_msg *m, struct p2pp_builder *b,
		     unsigned *code);
void ovl_on_replicate(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from);
/* A received Resource-Object as a store_put (lifetime defaulted and capped; role unset). */
void ovl_put_of(struct store_put *p, const struct p2pp_resource *r);
void ovl_on_remove_replica(struct ovl_node *n, const struct p2pp_msg *m,
			   const struct sockaddr *from);
/* Pushes every primary record to the k successors; records held as primary outside our range
 * (put while the ring was settling) are published again through the overlay to their owner. */
void ovl_replicate_all(struct ovl_node *n);
/* Sends the primary records in (from, to] to peer by Transfer; 0 or how many messages. */
int ovl_transfer(struct ovl_node *n, const struct chord_id *peer, const struct chord_id *from,
		 const struct chord_id *to, bool leave_step);
void ovl_refresh_tick(struct ovl_node *n);
void ovl_pubs_free(struct ovl_node *n);
int ovl_pub_add(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type,
		const uint8_t *value, size_t len, uint32_t lifetime);
void ovl_pub_del(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type);
/* lookup_miss.c: a LookupObject that found nothing here (m; from NULL: the operation in
 * n->local_client, which it takes) is asked of our successor's own store and answered later:
 * 0. Else (no successor, not sent) a negative errno: the caller answers 404 now. */
int ovl_ask_successor(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from);
/* A LookupObject without the R flag: answered from our own store, never routed. */
void ovl_on_lookup_local(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from);
/* Checks a User-Info value: a valid AOR record whose key is `key` and owner its HIT. */
int ovl_check_aor(struct ovl_node *n, const struct chord_id *key, const uint8_t *owner,
		  size_t owner_len, const uint8_t *value, size_t len);

#endif
