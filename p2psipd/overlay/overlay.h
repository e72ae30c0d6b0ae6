/* The overlay node of p2psipd: a running Chord ring member speaking P2PP over the link layer
 * (join, stabilisation, fingers, failure detection, leave), its share of the overlay's storage
 * (replicas, handover, refresh) and the lookups it starts. Not the control socket, not main(). */
#ifndef HIPSIP_OVERLAY_H
#define HIPSIP_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/hostid.h"
#include "p2psipd/chord/ring.h"
#include "p2psipd/link/link.h"
#include "p2psipd/p2pp/p2pp_txn.h"

/* Cont-Type of the opaque test values `p2psipctl put` stores. 13 "Cont-Type" assigns 0..3;
 * ours is taken from the unassigned upper half as the object types are (p2pp.h). */
#define OVL_CT_OPAQUE 128

/* k: replicas on the k successors. A record is lost only when its primary and all k replica
 * holders, k + 1 nodes in a row on the ring, fail before re-replication; issue 6 asks that
 * every record survive a quarter of 16 nodes (4) failing at once, which can be 4 in a row:
 * k = 3 loses the first one's records then (about 1 run in 110 of the 16-node tests). */
#define OVL_REPLICAS_DEFAULT 4
#define OVL_TTL		     64 /* TTL of the requests we start; hops = OVL_TTL - the echoed TTL */
#define OVL_VALUES_MAX	     32 /* values one get returns */
#define OVL_OVERLAY_ID	     "hipsip"

struct ovl_config {
	uv_loop_t *loop;
	const struct hostid *id; /* node ID = its HIT; not copied, must outlive the node */
	enum link_mode mode;
	struct sockaddr_storage listen;
	bool has_bootstrap; /* false: this node creates the ring */
	struct sockaddr_storage bootstrap;
	unsigned stabilize_ms;	   /* 0: 1000 */
	unsigned fix_ms;	   /* one finger per fix_ms; 0: 500 */
	struct p2pp_timing timing; /* t0 0: 500 ms; t2 0: 5 s; t3 0: 3 * t2; keep 0: t2 + t3 */
	unsigned succ_len;	   /* 0: CHORD_SUCC_DEFAULT */
	unsigned replicas;	   /* 0: OVL_REPLICAS_DEFAULT */
	size_t max_records;	   /* 0: 4096 (the store walks its slots: keep it modest) */
	unsigned ice_ta_ms;	   /* ice mode: the link agents' check pacing; 0: ice/'s 50 ms */
	const char *name;	   /* for logs, may be NULL */
	/* hip mode: hipd's socket, our locator, the bootstrap's; node_init fills in the HIT and
	 * an unset overlay name */
	struct link_hip_config hip;
};

struct ovl_node;

/* Binds, then creates the ring or starts joining it through cfg->bootstrap (Bootstrap, then a
 * Join routed to the peer responsible for our ID). 0 or a negative errno (-ENOSYS for a link
 * mode not implemented yet). */
int ovl_start(const struct ovl_config *cfg, struct ovl_node **out);
/* Stops at once, without telling anyone (a crash, for tests; and after ovl_leave). Pending
 * operations end with -ECANCELED. Memory is released by the loop's close callbacks. */
void ovl_close(struct ovl_node *n);

/* Graceful leave: primary records go to the successor (Transfer), then Leave to predecessor
 * and successor. cb runs once (err 0, or the first failure); the node then does nothing more
 * and the caller closes it. */
typedef void (*ovl_done_fn)(void *arg, int err);
int ovl_leave(struct ovl_node *n, ovl_done_fn cb, void *arg);

/* Tells the link layer about a peer learnt by other means than P2PP (hip mode: announced
 * public peers). 0 or the link's error. */
int ovl_learn_peer(struct ovl_node *n, const struct chord_id *id, const struct p2pp_peer_info *pi);

/* ---- state ---- */

enum ovl_state {
	OVL_JOINING,
	OVL_JOINED,
	OVL_LEAVING,
	OVL_LEFT,
};

const char *ovl_state_name(enum ovl_state s);
enum ovl_state ovl_get_state(const struct ovl_node *n);
const struct chord_ring *ovl_ring(const struct ovl_node *n);
const struct chord_id *ovl_self(const struct ovl_node *n);
struct link *ovl_link(const struct ovl_node *n);
const struct p2pp_txns *ovl_txns(const struct ovl_node *n);
struct store *ovl_store(struct ovl_node *n);
/* The store's clock (wall-clock seconds: AOR records carry absolute expiry times). */
uint64_t ovl_now(const struct ovl_node *n);

struct ovl_counters {
	uint64_t rx, rx_bad, forwarded, served, lookups, lookup_failures, peer_failures;
	uint64_t replicated, transferred, rejected_aor, joins_admitted;
	uint64_t hops_total, hops_count;
	uint64_t connects_sent, connects_served; /* ice: Connect requests (8.16) */
	/* LookupObjects that missed here and were asked of our successor; found there */
	uint64_t miss_asked, miss_found;
};
const struct ovl_counters *ovl_get_counters(const struct ovl_node *n);

/* ---- operations started here, routed recursively ----
 * Each cb runs once, later (never from inside the call), unless the call fails. */

struct ovl_result {
	int err;       /* 0; -ENOENT (404); -EKEYREJECTED (a record failed verification);
			* -ETIMEDOUT; -ECANCELED; -EPROTO (an unexpected answer) */
	unsigned code; /* the P2PP response code, 0 if none came */
	unsigned hops; /* overlay hops to the node that answered */
	uint64_t rtt_ns;
	struct chord_id node; /* the node responsible for the key (the one that answered) */
	/* get: the values (views valid during the callback) */
	unsigned n_values;
	struct {
		const uint8_t *p;
		size_t len;
		uint8_t owner[16];
		uint32_t expires;
	} values[OVL_VALUES_MAX];
};

typedef void (*ovl_result_fn)(void *arg, const struct ovl_result *r);

/* LookupPeer: the node responsible for key. */
int ovl_lookup(struct ovl_node *n, const struct chord_id *key, ovl_result_fn cb, void *arg);
/* PublishObject under key with this Cont-Type, owner = our node ID; refresh: keep publishing
 * it before it expires until ovl_remove. A User-Info value must be a signed AOR record. */
int ovl_put(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type, const uint8_t *value,
	    size_t len, uint32_t lifetime, bool refresh, ovl_result_fn cb, void *arg);
/* LookupObject: every owner's value under (key, Cont-Type). User-Info records are verified
 * (aor.h) here too; failing ones are dropped (-EKEYREJECTED if none is left). */
int ovl_get(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type, ovl_result_fn cb,
	    void *arg);
/* RemoveObject of our own record; stops its refresh. */
int ovl_remove(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type, ovl_result_fn cb,
	       void *arg);

#endif
