/* One Chord node's predecessor and successor list: join, stabilize, notify, failures, leave,
 * routing steps and key ownership. Not the finger table (fingers.c) nor any message I/O. */
#include "ring.h"

#include <errno.h>
#include <string.h>

int chord_ring_init(struct chord_ring *r, const struct chord_id *self, unsigned succ_len)
{
	if (succ_len < CHORD_SUCC_MIN || succ_len > CHORD_SUCC_MAX)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->self = *self;
	r->succ_len = succ_len;
	r->nsucc = 1;
	r->succ[0] = *self;
	chord_fingers_from_successor(r);
	return 0;
}

const struct chord_id *chord_successor(const struct chord_ring *r)
{
	return &r->succ[0];
}

bool chord_alone(const struct chord_ring *r)
{
	return chord_id_eq(&r->succ[0], &r->self);
}

bool chord_is_mine(const struct chord_ring *r, const struct chord_id *key)
{
	if (chord_alone(r))
		return true;
	if (!r->has_pred)
		return false;
	return chord_in_open_closed(key, &r->pred, &r->self);
}

void chord_route(const struct chord_ring *r, const struct chord_id *key, struct chord_route *out)
{
	const struct chord_id *next;

	out->kind = CHORD_ROUTE_DONE;
	if (chord_is_mine(r, key)) {
		out->node = r->self;
		return;
	}
	if (chord_in_open_closed(key, &r->self, &r->succ[0])) {
		out->node = r->succ[0];
		return;
	}
	next = chord_closest_preceding(r, key);
	if (chord_id_eq(next, &r->self)) {
		out->node = r->succ[0]; /* nothing nearer known: the successor is our best answer */
		return;
	}
	out->kind = CHORD_ROUTE_NEXT;
	out->node = *next;
}

/* The list under construction: stops at self (the ring wrapped) and at succ_len. */
struct succ_build {
	const struct chord_ring *r;
	unsigned n;
	bool full;
	struct chord_id id[CHORD_SUCC_MAX];
};

static void build_push(struct succ_build *b, const struct chord_id *id)
{
	if (b->full)
		return;
	if (chord_id_eq(id, &b->r->self) || b->n == b->r->succ_len) {
		b->full = true;
		return;
	}
	for (unsigned i = 0; i < b->n; i++) {
		if (chord_id_eq(&b->id[i], id))
			return;
	}
	b->id[b->n++] = *id;
}

/* Installs the built list (an empty one means alone); returns the changes. */
static int build_install(struct chord_ring *r, const struct succ_build *b)
{
	bool head_changed;
	int chg = 0;

	if (b->n == 0) {
		head_changed = !chord_alone(r);
		if (r->nsucc != 1 || head_changed)
			chg |= CHORD_CHG_SUCC;
		r->nsucc = 1;
		r->succ[0] = r->self;
	} else {
		head_changed = !chord_id_eq(&r->succ[0], &b->id[0]);
		if (r->nsucc != b->n || memcmp(r->succ, b->id, b->n * sizeof(b->id[0])) != 0)
			chg |= CHORD_CHG_SUCC;
		r->nsucc = b->n;
		memcpy(r->succ, b->id, b->n * sizeof(b->id[0]));
	}
	if (head_changed)
		chg |= chord_fingers_from_successor(r);
	return chg;
}

static int set_successors(struct chord_ring *r, const struct chord_id *first,
			  const struct chord_id *list, unsigned n)
{
	struct succ_build b = {.r = r};

	if (first)
		build_push(&b, first);
	for (unsigned i = 0; i < n && list; i++)
		build_push(&b, &list[i]);
	return build_install(r, &b);
}

int chord_join(struct chord_ring *r, const struct chord_id *succ, const struct chord_id *succ_list,
	       unsigned n)
{
	int chg = 0;

	if (chord_id_eq(succ, &r->self))
		return -EINVAL;
	if (r->has_pred)
		chg |= CHORD_CHG_PRED;
	r->has_pred = false;
	for (unsigned i = 0; i < CHORD_ID_BITS; i++) {
		if (r->finger_ok[i])
			chg |= CHORD_CHG_FINGER;
		r->finger_ok[i] = false;
	}
	r->next_finger = 0;
	r->nsucc = 1;
	r->succ[0] = r->self; /* so that the new head counts as a change and fills fingers */
	return chg | set_successors(r, succ, succ_list, n);
}

int chord_stabilize(struct chord_ring *r, const struct chord_id *succ_pred,
		    const struct chord_id *succ_list, unsigned n)
{
	struct succ_build b = {.r = r};

	if (succ_pred && chord_in_open(succ_pred, &r->self, &r->succ[0]))
		build_push(&b, succ_pred); /* a node joined between us and our successor */
	build_push(&b, &r->succ[0]);
	for (unsigned i = 0; i < n && succ_list; i++)
		build_push(&b, &succ_list[i]);
	return build_install(r, &b);
}

int chord_notify(struct chord_ring *r, const struct chord_id *cand)
{
	int chg = 0;

	if (chord_id_eq(cand, &r->self))
		return 0;
	if (!r->has_pred || chord_in_open(cand, &r->pred, &r->self)) {
		r->pred = *cand;
		r->has_pred = true;
		chg |= CHORD_CHG_PRED;
	}
	/* A lone node learns of the ring from its first notify (its own stabilize would find
	 * the same through "successor's predecessor" with itself as successor). */
	if (chord_alone(r))
		chg |= set_successors(r, cand, NULL, 0);
	return chg;
}

/* The successor when the list ran empty: the nearest live finger, else the predecessor. */
static const struct chord_id *fallback_successor(const struct chord_ring *r)
{
	const struct chord_id *best = NULL;
	struct chord_id d, bd;

	for (unsigned i = 0; i < CHORD_ID_BITS; i++) {
		if (!r->finger_ok[i] || chord_id_eq(&r->finger[i], &r->self))
			continue;
		chord_id_dist(&d, &r->self, &r->finger[i]);
		if (!best || chord_id_cmp(&d, &bd) < 0) {
			best = &r->finger[i];
			bd = d;
		}
	}
	if (!best && r->has_pred)
		best = &r->pred;
	return best;
}

static int forget(struct chord_ring *r, const struct chord_id *dead)
{
	struct succ_build b = {.r = r};
	int chg = 0;

	if (r->has_pred && chord_id_eq(&r->pred, dead)) {
		r->has_pred = false;
		chg |= CHORD_CHG_PRED;
	}
	for (unsigned i = 0; i < r->nsucc; i++) {
		if (!chord_id_eq(&r->succ[i], dead))
			build_push(&b, &r->succ[i]);
	}
	chg |= chord_fingers_forget(r, dead);
	if (b.n == 0) {
		const struct chord_id *fb = fallback_successor(r);

		if (fb)
			build_push(&b, fb);
	}
	return chg | build_install(r, &b);
}

int chord_peer_failed(struct chord_ring *r, const struct chord_id *dead)
{
	if (chord_id_eq(dead, &r->self))
		return -EINVAL;
	return forget(r, dead);
}

int chord_leave(const struct chord_ring *r, struct chord_leave *out)
{
	memset(out, 0, sizeof(*out));
	if (chord_alone(r))
		return -EALREADY;
	out->has_pred = r->has_pred;
	out->pred = r->pred;
	out->nsucc = r->nsucc;
	memcpy(out->succ, r->succ, r->nsucc * sizeof(r->succ[0]));
	return 0;
}

int chord_on_leave(struct chord_ring *r, const struct chord_id *leaver,
		   const struct chord_leave *msg)
{
	bool was_succ = chord_id_eq(&r->succ[0], leaver);
	bool was_pred = r->has_pred && chord_id_eq(&r->pred, leaver);
	unsigned n = msg->nsucc < CHORD_SUCC_MAX ? msg->nsucc : CHORD_SUCC_MAX;
	int chg;

	if (chord_id_eq(leaver, &r->self))
		return -EINVAL;
	chg = forget(r, leaver);
	if (was_succ && n > 0)
		chg |= set_successors(r, NULL, msg->succ, n); /* its successors follow us now */
	if (was_pred && msg->has_pred && !chord_id_eq(&msg->pred, leaver) &&
	    !chord_id_eq(&msg->pred, &r->self)) {
		r->pred = msg->pred;
		r->has_pred = true;
		chg |= CHORD_CHG_PRED;
	}
	return chg;
}

int chord_replicas(const struct chord_ring *r, const struct chord_id *key, struct chord_id *out,
		   unsigned k)
{
	unsigned n = 0;

	if (!chord_is_mine(r, key))
		return -ENOENT;
	for (unsigned i = 0; i < r->nsucc && n < k; i++) {
		if (!chord_id_eq(&r->succ[i], &r->self))
			out[n++] = r->succ[i];
	}
	return (int)n;
}

static unsigned add_distinct(const struct chord_ring *r, struct chord_id *out, unsigned n,
			     unsigned max, const struct chord_id *id)
{
	if (n == max || chord_id_eq(id, &r->self))
		return n;
	for (unsigned i = 0; i < n; i++) {
		if (chord_id_eq(&out[i], id))
			return n;
	}
	out[n] = *id;
	return n + 1;
}

unsigned chord_neighbours(const struct chord_ring *r, struct chord_id *out, unsigned max)
{
	unsigned n = 0;

	if (r->has_pred)
		n = add_distinct(r, out, n, max, &r->pred);
	for (unsigned i = 0; i < r->nsucc; i++)
		n = add_distinct(r, out, n, max, &r->succ[i]);
	for (unsigned i = 0; i < CHORD_ID_BITS; i++) {
		if (r->finger_ok[i])
			n = add_distinct(r, out, n, max, &r->finger[i]);
	}
	return n;
}
