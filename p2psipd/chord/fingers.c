/* The Chord finger table: closest preceding node, fix_fingers steps, repair after failures.
 * Not successor or predecessor upkeep: ring.c. */
#include "ring.h"

#include <errno.h>

static bool nearer_to_key(const struct chord_ring *r, const struct chord_id *c,
			  const struct chord_id *best)
{
	struct chord_id dc, db;

	chord_id_dist(&dc, &r->self, c);
	chord_id_dist(&db, &r->self, best);
	return chord_id_cmp(&dc, &db) > 0;
}

/* Chord closest_preceding_node(), over the successor list too (the successor list is a set
 * of extra fingers). */
const struct chord_id *chord_closest_preceding(const struct chord_ring *r,
					       const struct chord_id *key)
{
	const struct chord_id *best = &r->self;

	for (unsigned i = 0; i < CHORD_ID_BITS; i++) {
		const struct chord_id *f = &r->finger[i];

		if (r->finger_ok[i] && chord_in_open(f, &r->self, key) && nearer_to_key(r, f, best))
			best = f;
	}
	for (unsigned j = 0; j < r->nsucc; j++) {
		const struct chord_id *s = &r->succ[j];

		if (chord_in_open(s, &r->self, key) && nearer_to_key(r, s, best))
			best = s;
	}
	return best;
}

unsigned chord_fix_fingers_next(const struct chord_ring *r, struct chord_id *start)
{
	unsigned i = r->next_finger % CHORD_ID_BITS;

	chord_id_add_pow2(start, &r->self, i);
	return i;
}

static bool set_finger(struct chord_ring *r, unsigned i, const struct chord_id *id)
{
	bool same = r->finger_ok[i] && chord_id_eq(&r->finger[i], id);

	r->finger[i] = *id;
	r->finger_ok[i] = true;
	return !same;
}

/* Sets finger i and the fingers after it whose start is in (self, succ]; returns the first
 * index past them and ORs CHORD_CHG_FINGER into *chg when something changed. */
static unsigned fill_from(struct chord_ring *r, unsigned i, const struct chord_id *succ, int *chg)
{
	for (; i < CHORD_ID_BITS; i++) {
		struct chord_id start;

		chord_id_add_pow2(&start, &r->self, i);
		if (!chord_in_open_closed(&start, &r->self, succ))
			break;
		if (set_finger(r, i, succ))
			*chg |= CHORD_CHG_FINGER;
	}
	return i;
}

int chord_fix_fingers_answer(struct chord_ring *r, unsigned i, const struct chord_id *succ)
{
	int chg = 0;
	unsigned next;

	if (i >= CHORD_ID_BITS)
		return -EINVAL;
	/* succ = successor(start_i), so no node lies in [start_i, succ): a later start in
	 * (self, succ] is in [start_i, succ] and has the same successor. */
	if (set_finger(r, i, succ))
		chg |= CHORD_CHG_FINGER;
	next = fill_from(r, i + 1, succ, &chg);
	if (i == r->next_finger % CHORD_ID_BITS)
		r->next_finger = next % CHORD_ID_BITS;
	return chg;
}

int chord_fingers_from_successor(struct chord_ring *r)
{
	int chg = 0;

	fill_from(r, 0, &r->succ[0], &chg);
	return chg;
}

int chord_fingers_forget(struct chord_ring *r, const struct chord_id *dead)
{
	int chg = 0;

	for (unsigned i = 0; i < CHORD_ID_BITS; i++) {
		if (!r->finger_ok[i] || !chord_id_eq(&r->finger[i], dead))
			continue;
		r->finger_ok[i] = false;
		chg |= CHORD_CHG_FINGER;
	}
	return chg;
}
