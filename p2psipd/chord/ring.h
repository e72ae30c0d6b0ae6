/* One Chord node's routing state (self, predecessor, successor list, finger table) and the
 * pure protocol steps a daemon drives with messages and timers. No sockets, timers or P2PP. */
#ifndef HIPSIP_CHORD_RING_H
#define HIPSIP_CHORD_RING_H

#include <stdbool.h>

#include "p2psipd/chord/id.h"

/* Chord (Stoica et al., "Chord: A Scalable Peer-to-peer Lookup Protocol", ToN 2003),
 * "Failures and Replication": r successors keep the ring connected while up to r - 1 neighbours in
 * a row fail; the issue asks for at least 4. */
#define CHORD_SUCC_MIN	   4
#define CHORD_SUCC_MAX	   16
#define CHORD_SUCC_DEFAULT 8

/* What a step changed, OR-ed together, so the daemon knows what to redo: a new successor
 * list means re-pushing replicas, a new predecessor means handing over keys in
 * (old predecessor, new predecessor], any change means a new neighbour set for hipd. */
enum chord_change {
	CHORD_CHG_SUCC = 1 << 0,   /* the successor list (not only its head) */
	CHORD_CHG_PRED = 1 << 1,   /* the predecessor was set, replaced or cleared */
	CHORD_CHG_FINGER = 1 << 2, /* a finger was set, replaced or forgotten */
};

struct chord_ring {
	struct chord_id self;
	struct chord_id pred;
	bool has_pred;
	unsigned succ_len; /* r: how many successors to keep */
	unsigned nsucc;	   /* >= 1; succ[0] is self when the node is alone */
	struct chord_id succ[CHORD_SUCC_MAX];
	/* finger[i] = successor(self + 2^i), for i in 0..127, when finger_ok[i] */
	struct chord_id finger[CHORD_ID_BITS];
	bool finger_ok[CHORD_ID_BITS];
	unsigned next_finger; /* the finger fix_fingers refreshes next */
};

/* Creates a one-node ring (Chord create()): no predecessor, self as successor.
 * -EINVAL unless CHORD_SUCC_MIN <= succ_len <= CHORD_SUCC_MAX. */
int chord_ring_init(struct chord_ring *r, const struct chord_id *self, unsigned succ_len);

const struct chord_id *chord_successor(const struct chord_ring *r);
bool chord_alone(const struct chord_ring *r); /* the successor is self */

/* Key k belongs to this node when k is in (predecessor, self]; a lone node owns every key,
 * a node that does not know its predecessor yet owns none. */
bool chord_is_mine(const struct chord_ring *r, const struct chord_id *key);

/* One routing step of find_successor(key) at this node. DONE: `node` is responsible for
 * the key (self, or the successor when the key is in (self, successor]). NEXT: ask `node`,
 * the closest node preceding the key that this node knows. Iterative and recursive routing
 * both use it: the daemon either answers NEXT to the querier or forwards to `node`. */
enum chord_route_kind {
	CHORD_ROUTE_DONE,
	CHORD_ROUTE_NEXT,
};

struct chord_route {
	enum chord_route_kind kind;
	struct chord_id node;
};

void chord_route(const struct chord_ring *r, const struct chord_id *key, struct chord_route *out);

/* Join (Chord join()): the bootstrap lookup of self answered `succ` (and, if known, succ's
 * successor list); the predecessor stays unknown until someone notifies us.
 * -EINVAL if succ is self. Returns the changes. */
int chord_join(struct chord_ring *r, const struct chord_id *succ, const struct chord_id *succ_list,
	       unsigned n);

/* Stabilize (Chord stabilize() with successor lists): the successor answered
 * with its predecessor (NULL if it has none) and its successor list. A predecessor in
 * (self, successor) becomes our successor; the list becomes successor + its list, cut at self
 * and at succ_len. Afterwards the daemon notifies chord_successor() (unless alone). */
int chord_stabilize(struct chord_ring *r, const struct chord_id *succ_pred,
		    const struct chord_id *succ_list, unsigned n);

/* Notify (Chord notify()): `cand` thinks it is our predecessor; adopted when we have none or
 * it is in (predecessor, self). A lone node also takes it as successor. */
int chord_notify(struct chord_ring *r, const struct chord_id *cand);

/* A neighbour did not answer (failed keep-alive, lookup or notify timeout): forget it as
 * predecessor, successor and finger. With the successor list empty, the nearest live finger,
 * then the predecessor, then self (alone) becomes the successor. */
int chord_peer_failed(struct chord_ring *r, const struct chord_id *dead);

/* Graceful leave: the leaver tells its successor its predecessor, and its predecessor its
 * successor list, so both splice it out at once. */
struct chord_leave {
	bool has_pred;
	struct chord_id pred; /* for the successor: its new predecessor */
	unsigned nsucc;
	struct chord_id succ[CHORD_SUCC_MAX]; /* for the predecessor: its successors after us */
};

/* Fills what to send; the predecessor (if any) and the successor (unless alone) get it.
 * -EALREADY when alone (nobody to tell). */
int chord_leave(const struct chord_ring *r, struct chord_leave *out);
/* A leave notice from `leaver`: splice it out as successor and/or predecessor, forget it. */
int chord_on_leave(struct chord_ring *r, const struct chord_id *leaver,
		   const struct chord_leave *msg);

/* Replication: the successors (up to k, never self) that hold replicas of a key this node is
 * responsible for; -ENOENT if the key is not ours. Returns how many were written. */
int chord_replicas(const struct chord_ring *r, const struct chord_id *key, struct chord_id *out,
		   unsigned k);

/* Every distinct node this one routes through (predecessor, successors, fingers), without
 * self: the overlay neighbour set hipd routes HIP BONE packets by. Returns the count, at
 * most max. */
unsigned chord_neighbours(const struct chord_ring *r, struct chord_id *out, unsigned max);

/* Finger table (fingers.c). */

/* closest_preceding_node(key): the finger or successor in (self, key) nearest the key,
 * self if none. */
const struct chord_id *chord_closest_preceding(const struct chord_ring *r,
					       const struct chord_id *key);
/* fix_fingers(): the finger to refresh next; *start = self + 2^i is the key to look up
 * (chord_route() says where). Returns i. */
unsigned chord_fix_fingers_next(const struct chord_ring *r, struct chord_id *start);
/* The lookup of finger i's start answered `succ`. Also sets every higher finger whose start
 * lies in (self, succ] (same successor), and moves next_finger past them. */
int chord_fix_fingers_answer(struct chord_ring *r, unsigned i, const struct chord_id *succ);
/* Sets the fingers whose start is in (self, successor] to the successor. */
int chord_fingers_from_successor(struct chord_ring *r);
/* Forgets every finger equal to `dead`. */
int chord_fingers_forget(struct chord_ring *r, const struct chord_id *dead);

#endif
