/* Unit tests of the Chord logic (p2psipd/chord): ID arithmetic and intervals at the 2^128
 * wrap, single-node steps, and a simulated ring of in-memory nodes. Not P2PP or sockets. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/chord/id.h"
#include "p2psipd/chord/ring.h"

/* ---- helpers ---- */

static struct chord_id id_u64(uint64_t hi, uint64_t lo)
{
	struct chord_id id;

	for (int i = 0; i < 8; i++) {
		id.b[7 - i] = (uint8_t)(hi >> (8 * i));
		id.b[15 - i] = (uint8_t)(lo >> (8 * i));
	}
	return id;
}

static struct chord_id id_small(uint64_t v)
{
	return id_u64(0, v);
}

static const uint64_t M64 = ~(uint64_t)0;

static uint64_t rng_next(uint64_t *s) /* splitmix64: reproducible runs */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct chord_id id_random(uint64_t *s)
{
	uint64_t hi = rng_next(s);

	return id_u64(hi, rng_next(s));
}

/* A HIT-like ID: the ORCHIDv2 prefix 2001:20::/28 (RFC 7343), so all nodes crowd into one
 * 2^-28 slice of the ring as real overlay IDs do. */
static struct chord_id id_hit(uint64_t *s)
{
	struct chord_id id = id_random(s);

	id.b[0] = 0x20;
	id.b[1] = 0x01;
	id.b[2] = 0x00;
	id.b[3] = (uint8_t)(0x20 | (id.b[3] & 0x0f));
	return id;
}

/* ---- identifiers ---- */

START_TEST(addition_and_subtraction_wrap_at_2_pow_128)
{
	struct chord_id max = id_u64(M64, M64), zero = id_small(0), one = id_small(1), out;

	chord_id_add(&out, &max, &one);
	ck_assert(chord_id_eq(&out, &zero));
	chord_id_add_pow2(&out, &max, 0);
	ck_assert(chord_id_eq(&out, &zero));
	chord_id_sub(&out, &zero, &one);
	ck_assert(chord_id_eq(&out, &max));
	/* 2^127 + 2^127 = 2^128 = 0 */
	chord_id_add_pow2(&out, &zero, 127);
	ck_assert(chord_id_eq(&out, &(struct chord_id){{0x80}}));
	chord_id_add_pow2(&out, &out, 127);
	ck_assert(chord_id_eq(&out, &zero));
	/* a carry runs through every byte: 2^64 - 1 + 1 = 2^64 */
	struct chord_id a = id_small(M64), b = id_u64(1, 0);

	chord_id_add_pow2(&out, &a, 0);
	ck_assert(chord_id_eq(&out, &b));
	chord_id_add_pow2(&out, &zero, 64);
	ck_assert(chord_id_eq(&out, &b));
	/* the distance from max to 1 clockwise is 2 */
	chord_id_dist(&out, &max, &one);
	ck_assert(chord_id_eq(&out, &(struct chord_id){.b[15] = 2}));
	chord_id_dist(&out, &one, &one);
	ck_assert(chord_id_eq(&out, &zero));
	ck_assert_int_lt(chord_id_cmp(&one, &max), 0);
	ck_assert_int_gt(chord_id_cmp(&b, &a), 0);
}
END_TEST

/* Chord's identifier circle ("Consistent Hashing"): intervals run clockwise and wrap. */
START_TEST(intervals_exclude_or_include_their_bounds_and_wrap)
{
	struct chord_id z = id_small(0), one = id_small(1), five = id_small(5), ten = id_small(10);
	struct chord_id max = id_u64(M64, M64), maxm1 = id_u64(M64, M64 - 1);

	ck_assert(chord_in_open(&five, &one, &ten));
	ck_assert(!chord_in_open(&one, &one, &ten));
	ck_assert(!chord_in_open(&ten, &one, &ten));
	ck_assert(!chord_in_open(&z, &one, &ten));
	ck_assert(chord_in_open_closed(&ten, &one, &ten));
	ck_assert(!chord_in_open_closed(&one, &one, &ten));
	/* wrapping: (10, 1) holds max and 0 but not 5 */
	ck_assert(chord_in_open(&max, &ten, &one));
	ck_assert(chord_in_open(&z, &ten, &one));
	ck_assert(!chord_in_open(&five, &ten, &one));
	ck_assert(chord_in_open_closed(&one, &ten, &one));
	/* (max-1, 0]: max and 0 */
	ck_assert(chord_in_open_closed(&max, &maxm1, &z));
	ck_assert(chord_in_open_closed(&z, &maxm1, &z));
	ck_assert(!chord_in_open_closed(&maxm1, &maxm1, &z));
	ck_assert(!chord_in_open_closed(&one, &maxm1, &z));
	/* (max, 0) is empty; (max, 1) is {0} */
	ck_assert(!chord_in_open(&z, &max, &z));
	ck_assert(!chord_in_open(&max, &max, &z));
	ck_assert(chord_in_open(&z, &max, &one));
	/* a == b: (a, a) is everything but a, (a, a] is everything */
	ck_assert(chord_in_open(&five, &ten, &ten));
	ck_assert(chord_in_open(&max, &z, &z));
	ck_assert(!chord_in_open(&ten, &ten, &ten));
	ck_assert(chord_in_open_closed(&ten, &ten, &ten));
	ck_assert(chord_in_open_closed(&five, &ten, &ten));
	/* adjacent bounds: (a, a+1) is empty, (a, a+1] is {a+1} */
	ck_assert(!chord_in_open(&one, &z, &one));
	ck_assert(!chord_in_open(&z, &z, &one));
	ck_assert(chord_in_open_closed(&one, &z, &one));
}
END_TEST

START_TEST(ids_print_as_hex_and_ipv6_and_parse_back)
{
	struct chord_id id = id_u64(0x2001002012345678ull, 0x9abcdef000000001ull), back;
	char hex[CHORD_ID_HEXLEN], str[CHORD_ID_STRLEN];

	ck_assert_str_eq(chord_id_to_hex(&id, hex), "20010020123456789abcdef000000001");
	ck_assert_str_eq(chord_id_to_str(&id, str), "2001:20:1234:5678:9abc:def0:0:1");
	ck_assert_int_eq(chord_id_parse(hex, &back), 0);
	ck_assert(chord_id_eq(&id, &back));
	memset(&back, 0, sizeof(back));
	ck_assert_int_eq(chord_id_parse(str, &back), 0);
	ck_assert(chord_id_eq(&id, &back));
	ck_assert_int_eq(chord_id_parse("20010020123456789ABCDEF000000001", &back), 0);
	ck_assert(chord_id_eq(&id, &back));
	ck_assert_int_eq(chord_id_parse("20010020123456789abcdef00000000", &back), -EINVAL);
	ck_assert_int_eq(chord_id_parse("20010020123456789abcdef0000000012", &back), -EINVAL);
	ck_assert_int_eq(chord_id_parse("g0010020123456789abcdef000000001", &back), -EINVAL);
	ck_assert_int_eq(chord_id_parse("2001:20::1::2", &back), -EINVAL);
	ck_assert_int_eq(chord_id_parse("", &back), -EINVAL);
	ck_assert_int_eq(chord_id_parse(NULL, &back), -EINVAL);
	ck_assert(chord_id_eq(&id, &back)); /* untouched by failures */
	struct in6_addr a;

	chord_id_to_in6(&a, &id);
	chord_id_from_in6(&back, &a);
	ck_assert(chord_id_eq(&id, &back));
}
END_TEST

/* ---- one node ---- */

START_TEST(successor_list_length_must_be_4_to_16)
{
	struct chord_ring r;
	struct chord_id self = id_small(7);

	ck_assert_int_eq(chord_ring_init(&r, &self, 3), -EINVAL);
	ck_assert_int_eq(chord_ring_init(&r, &self, CHORD_SUCC_MAX + 1), -EINVAL);
	ck_assert_int_eq(chord_ring_init(&r, &self, 4), 0);
	ck_assert_int_eq(chord_ring_init(&r, &self, CHORD_SUCC_MAX), 0);
}
END_TEST

/* Chord create(): a lone node is its own successor and responsible for every key. */
START_TEST(a_lone_node_owns_every_key_and_routes_to_itself)
{
	struct chord_ring r;
	struct chord_id self = id_small(7), key = id_u64(M64, 3), out[4];
	struct chord_route rt;
	struct chord_leave lv;

	ck_assert_int_eq(chord_ring_init(&r, &self, 4), 0);
	ck_assert(chord_alone(&r));
	ck_assert(chord_is_mine(&r, &key));
	ck_assert(chord_is_mine(&r, &self));
	chord_route(&r, &key, &rt);
	ck_assert_int_eq(rt.kind, CHORD_ROUTE_DONE);
	ck_assert(chord_id_eq(&rt.node, &self));
	ck_assert_int_eq(chord_replicas(&r, &key, out, 3), 0);
	ck_assert_uint_eq(chord_neighbours(&r, out, 4), 0);
	ck_assert_int_eq(chord_leave(&r, &lv), -EALREADY);
	ck_assert_int_eq(chord_join(&r, &self, NULL, 0), -EINVAL);
	ck_assert_int_eq(chord_peer_failed(&r, &self), -EINVAL);
}
END_TEST

/* Chord notify(): adopt a predecessor only if none is known or it is in (pred, self). */
START_TEST(notify_adopts_only_a_nearer_predecessor)
{
	struct chord_ring r;
	struct chord_id self = id_small(100), p50 = id_small(50), p80 = id_small(80);
	struct chord_id p120 = id_small(120), s200 = id_small(200);

	ck_assert_int_eq(chord_ring_init(&r, &self, 4), 0);
	ck_assert_int_eq(chord_join(&r, &s200, NULL, 0), CHORD_CHG_SUCC | CHORD_CHG_FINGER);
	ck_assert(!chord_is_mine(&r, &self)); /* no predecessor yet */
	ck_assert_int_eq(chord_notify(&r, &p50), CHORD_CHG_PRED);
	ck_assert_int_eq(chord_notify(&r, &p80), CHORD_CHG_PRED);
	ck_assert_int_eq(chord_notify(&r, &p50), 0);
	ck_assert_int_eq(chord_notify(&r, &p120), 0); /* 120 is after us */
	ck_assert_int_eq(chord_notify(&r, &self), 0);
	ck_assert(chord_id_eq(&r.pred, &p80));
	ck_assert(chord_is_mine(&r, &p80) == false);
	ck_assert(chord_is_mine(&r, &(struct chord_id){.b[15] = 81}));
	ck_assert(chord_is_mine(&r, &self));
	ck_assert(chord_id_eq(chord_successor(&r), &s200));
}
END_TEST

/* Chord stabilize() with successor lists: the successor's predecessor in (self, succ) becomes
 * the successor; the list is the successor and its list, cut where the ring wraps to self. */
START_TEST(stabilize_adopts_a_node_between_us_and_the_successor_and_cuts_the_list_at_self)
{
	struct chord_ring r;
	struct chord_id self = id_small(100), x = id_small(150), s = id_small(200);
	struct chord_id list[5] = {id_small(300), id_small(400), self, id_small(50), id_small(60)};

	ck_assert_int_eq(chord_ring_init(&r, &self, 4), 0);
	chord_join(&r, &s, NULL, 0);
	ck_assert_int_eq(chord_stabilize(&r, &self, list, 5), CHORD_CHG_SUCC);
	ck_assert_uint_eq(r.nsucc, 3);
	ck_assert(chord_id_eq(&r.succ[2], &list[1]));
	ck_assert_int_eq(chord_stabilize(&r, &x, list, 5), CHORD_CHG_SUCC | CHORD_CHG_FINGER);
	ck_assert_uint_eq(r.nsucc, 4);
	ck_assert(chord_id_eq(&r.succ[0], &x));
	ck_assert(chord_id_eq(&r.succ[1], &s));
	ck_assert(chord_id_eq(&r.succ[3], &list[1]));
	ck_assert(r.finger_ok[0] && chord_id_eq(&r.finger[0], &x));
	/* a node nearer still is adopted in turn; our own ID as the answer changes nothing */
	struct chord_id xs_list[3] = {s, list[0], list[1]}, y = id_small(120);

	ck_assert_int_eq(chord_stabilize(&r, &y, xs_list, 3), CHORD_CHG_SUCC | CHORD_CHG_FINGER);
	ck_assert(chord_id_eq(&r.succ[0], &y));
	ck_assert_int_eq(chord_stabilize(&r, &self, (struct chord_id[]){x, s, list[0]}, 3), 0);
}
END_TEST

/* Chord "Failures and Replication": the next live successor takes over; with every successor
 * gone, the nearest finger does. */
START_TEST(a_failed_successor_is_replaced_by_the_next_one_then_by_a_finger)
{
	struct chord_ring r;
	struct chord_id self = id_small(100),
			list[4] = {id_small(200), id_small(300), id_small(400), id_small(500)};
	struct chord_id far = id_u64(1, 0), p50 = id_small(50);

	ck_assert_int_eq(chord_ring_init(&r, &self, 4), 0);
	chord_join(&r, &list[0], &list[1], 3);
	chord_notify(&r, &p50);
	ck_assert_int_eq(chord_fix_fingers_answer(&r, 70, &far), CHORD_CHG_FINGER);
	ck_assert_int_eq(chord_peer_failed(&r, &list[0]), CHORD_CHG_SUCC | CHORD_CHG_FINGER);
	ck_assert(chord_id_eq(chord_successor(&r), &list[1]));
	ck_assert_uint_eq(r.nsucc, 3);
	for (unsigned i = 0; i < 8; i++) /* starts 101..228 are in (100, 300] */
		ck_assert(chord_id_eq(&r.finger[i], &list[1]));
	chord_peer_failed(&r, &list[1]);
	chord_peer_failed(&r, &list[2]);
	ck_assert_int_eq(chord_peer_failed(&r, &list[3]) & CHORD_CHG_SUCC, CHORD_CHG_SUCC);
	ck_assert(chord_id_eq(chord_successor(&r), &far));
	ck_assert_int_eq(chord_peer_failed(&r, &p50) & CHORD_CHG_PRED, CHORD_CHG_PRED);
	ck_assert(!r.has_pred);
	chord_peer_failed(&r, &far);
	ck_assert(chord_alone(&r));
	ck_assert_int_eq(chord_peer_failed(&r, &far), 0); /* twice is harmless */
}
END_TEST

/* fix_fingers(): one lookup fills every finger with the same successor and skips them. */
START_TEST(fix_fingers_skips_fingers_with_the_same_successor)
{
	struct chord_ring r;
	struct chord_id self = id_small(0), start, s = id_small(1000), t = id_u64(0, 1ull << 40);

	ck_assert_int_eq(chord_ring_init(&r, &self, 4), 0);
	chord_join(&r, &s, NULL, 0);
	/* joining filled fingers 0..9 (starts 1..512 are in (0, 1000]) */
	ck_assert_uint_eq(chord_fix_fingers_next(&r, &start), 0);
	ck_assert_int_eq(chord_fix_fingers_answer(&r, 0, &s), 0);
	ck_assert_uint_eq(chord_fix_fingers_next(&r, &start), 10);
	ck_assert_uint_eq(start.b[14], 4); /* 1024 */
	ck_assert_int_eq(chord_fix_fingers_answer(&r, 10, &t), CHORD_CHG_FINGER);
	ck_assert_uint_eq(chord_fix_fingers_next(&r, &start), 41);
	ck_assert(chord_id_eq(&r.finger[40], &t) && !r.finger_ok[41]);
	ck_assert_int_eq(chord_fix_fingers_answer(&r, 41, &self), CHORD_CHG_FINGER);
	ck_assert_uint_eq(chord_fix_fingers_next(&r, &start), 0); /* wrapped */
	ck_assert(r.finger_ok[127] && chord_id_eq(&r.finger[127], &self));
	ck_assert_int_eq(chord_fix_fingers_answer(&r, 128, &s), -EINVAL);
	ck_assert_int_eq(chord_fingers_forget(&r, &t), CHORD_CHG_FINGER);
	ck_assert(!r.finger_ok[10] && !r.finger_ok[40] && r.finger_ok[9]);
}
END_TEST

/* ---- the simulated ring ---- */

#define SIM_MAX 256

struct sim {
	unsigned n; /* nodes created (alive or not) */
	unsigned succ_len;
	struct chord_ring node[SIM_MAX];
	bool alive[SIM_MAX];
	uint64_t rng;
	unsigned timeouts; /* messages to nodes that are gone */
};

static int sim_find(const struct sim *s, const struct chord_id *id)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (chord_id_eq(&s->node[i].self, id))
			return (int)i;
	}
	return -1;
}

/* Returns the live node with that ID, or -1 (the message times out). */
static int sim_up(const struct sim *s, const struct chord_id *id)
{
	int i = sim_find(s, id);

	return i >= 0 && s->alive[i] ? i : -1;
}

/* find_successor(key) started at `from`, recursively; hops counts forwarded messages. A
 * dead next hop counts as a timeout: the forwarding node forgets it and routes again. */
static int sim_lookup(struct sim *s, int from, const struct chord_id *key, struct chord_id *ans,
		      unsigned *hops)
{
	int cur = from;
	unsigned h = 0;

	for (unsigned step = 0; step < 4 * SIM_MAX; step++) {
		struct chord_ring *r = &s->node[cur];
		struct chord_route rt;
		int nxt;

		chord_route(r, key, &rt);
		nxt = sim_up(s, &rt.node);
		if (nxt < 0) {
			s->timeouts++;
			chord_peer_failed(r, &rt.node);
			continue;
		}
		if (rt.kind == CHORD_ROUTE_DONE) {
			*ans = rt.node;
			if (hops)
				*hops = h;
			return 0;
		}
		cur = nxt;
		h++;
	}
	return -ELOOP;
}

static void sim_stabilize(struct sim *s, int i)
{
	struct chord_ring *r = &s->node[i];
	int j;

	while (!chord_alone(r)) {
		const struct chord_ring *sr;

		j = sim_up(s, chord_successor(r));
		if (j < 0) {
			s->timeouts++;
			chord_peer_failed(r, chord_successor(r));
			continue;
		}
		sr = &s->node[j];
		chord_stabilize(r, sr->has_pred ? &sr->pred : NULL, sr->succ, sr->nsucc);
		break;
	}
	if (chord_alone(r))
		return;
	j = sim_up(s, chord_successor(r));
	if (j < 0) {
		s->timeouts++;
		chord_peer_failed(r, chord_successor(r));
		return;
	}
	chord_notify(&s->node[j], &r->self);
}

static void sim_check_predecessor(struct sim *s, int i)
{
	struct chord_ring *r = &s->node[i];

	if (r->has_pred && sim_up(s, &r->pred) < 0) {
		s->timeouts++;
		chord_peer_failed(r, &r->pred);
	}
}

static void sim_fix_fingers(struct sim *s, int i)
{
	struct chord_id start, ans;
	unsigned k = chord_fix_fingers_next(&s->node[i], &start);

	if (sim_lookup(s, i, &start, &ans, NULL) == 0)
		chord_fix_fingers_answer(&s->node[i], k, &ans);
}

static void sim_add(struct sim *s, const struct chord_id *id)
{
	ck_assert_uint_lt(s->n, SIM_MAX);
	ck_assert_int_eq(chord_ring_init(&s->node[s->n], id, s->succ_len), 0);
	s->alive[s->n] = true;
	s->n++;
}

/* Chord join(): ask the bootstrap node for successor(self), take the answer's successor list
 * (as an ExchangeTable would), then stabilize once, which notifies the successor. */
static void sim_join(struct sim *s, int i, int boot)
{
	struct chord_id ans;
	int j;

	ck_assert_int_eq(sim_lookup(s, boot, &s->node[i].self, &ans, NULL), 0);
	j = sim_up(s, &ans);
	ck_assert_int_ge(j, 0);
	ck_assert_int_ge(chord_join(&s->node[i], &ans, s->node[j].succ, s->node[j].nsucc), 0);
	sim_stabilize(s, i);
}

/* One period of every live node's timers, in a random order. */
static void sim_round(struct sim *s)
{
	int order[SIM_MAX];

	for (unsigned i = 0; i < s->n; i++)
		order[i] = (int)i;
	for (unsigned i = s->n; i > 1; i--) {
		unsigned j = (unsigned)(rng_next(&s->rng) % i);
		int t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	for (unsigned k = 0; k < s->n; k++) {
		int i = order[k];

		if (!s->alive[i])
			continue;
		sim_check_predecessor(s, i);
		sim_stabilize(s, i);
		sim_fix_fingers(s, i);
	}
}

static int cmp_id(const void *a, const void *b)
{
	return chord_id_cmp(a, b);
}

/* The truth: the sorted IDs of the live nodes. */
struct truth {
	unsigned n;
	struct chord_id id[SIM_MAX];
};

static void truth_of(const struct sim *s, struct truth *t)
{
	t->n = 0;
	for (unsigned i = 0; i < s->n; i++) {
		if (s->alive[i])
			t->id[t->n++] = s->node[i].self;
	}
	qsort(t->id, t->n, sizeof(t->id[0]), cmp_id);
}

/* successor(key): the first live ID >= key, wrapping to the smallest. */
static unsigned truth_successor(const struct truth *t, const struct chord_id *key)
{
	unsigned lo = 0, hi = t->n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (chord_id_cmp(&t->id[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo % t->n;
}

/* Wrong entries in pointers (predecessor, successor list) and in fingers. */
struct wrong {
	unsigned ptr, finger;
};

static struct wrong sim_wrong(const struct sim *s, bool fingers)
{
	struct truth t;
	struct wrong w = {0, 0};

	truth_of(s, &t);
	for (unsigned i = 0; i < s->n; i++) {
		const struct chord_ring *r = &s->node[i];
		unsigned p, want;

		if (!s->alive[i])
			continue;
		p = truth_successor(&t, &r->self);
		want = t.n - 1 < r->succ_len ? t.n - 1 : r->succ_len;
		if (t.n == 1) {
			w.ptr += !chord_alone(r);
			continue;
		}
		w.ptr += r->nsucc != want;
		for (unsigned j = 0; j < r->nsucc && j < want; j++)
			w.ptr += !chord_id_eq(&r->succ[j], &t.id[(p + 1 + j) % t.n]);
		w.ptr += !r->has_pred || !chord_id_eq(&r->pred, &t.id[(p + t.n - 1) % t.n]);
		for (unsigned f = 0; fingers && f < CHORD_ID_BITS; f++) {
			struct chord_id start;

			chord_id_add_pow2(&start, &r->self, f);
			w.finger += !r->finger_ok[f] ||
				    !chord_id_eq(&r->finger[f], &t.id[truth_successor(&t, &start)]);
		}
	}
	return w;
}

/* Rounds until every pointer and finger is right; returns how many were needed. */
static unsigned sim_converge(struct sim *s, unsigned max_rounds)
{
	for (unsigned k = 1; k <= max_rounds; k++) {
		struct wrong w;

		sim_round(s);
		w = sim_wrong(s, true);
		if (w.ptr == 0 && w.finger == 0)
			return k;
	}
	struct wrong w = sim_wrong(s, true);

	ck_abort_msg("not converged after %u rounds: %u wrong pointers, %u wrong fingers",
		     max_rounds, w.ptr, w.finger);
	return 0;
}

static int sim_random_live(struct sim *s)
{
	for (;;) {
		int i = (int)(rng_next(&s->rng) % s->n);

		if (s->alive[i])
			return i;
	}
}

/* Lookups from random live nodes for random keys: all reach successor(key) within
 * 2*log2(N) + 2 hops. Returns the mean hop count. */
static double sim_lookups(struct sim *s, unsigned count, bool hit_keys)
{
	struct truth t;
	unsigned total = 0, max = 0;
	double bound;

	truth_of(s, &t);
	bound = 2 * log2((double)t.n) + 2;
	for (unsigned k = 0; k < count; k++) {
		struct chord_id key = hit_keys ? id_hit(&s->rng) : id_random(&s->rng), ans;
		unsigned hops;

		ck_assert_int_eq(sim_lookup(s, sim_random_live(s), &key, &ans, &hops), 0);
		ck_assert(chord_id_eq(&ans, &t.id[truth_successor(&t, &key)]));
		ck_assert_msg(hops <= bound, "%u hops for N = %u", hops, t.n);
		total += hops;
		max = hops > max ? hops : max;
	}
	return (double)total / count;
}

static void sim_build(struct sim *s, unsigned n, unsigned succ_len, uint64_t seed, bool hits)
{
	memset(s, 0, sizeof(*s));
	s->rng = seed;
	s->succ_len = succ_len;
	for (unsigned i = 0; i < n; i++) {
		struct chord_id id = hits ? id_hit(&s->rng) : id_random(&s->rng);

		sim_add(s, &id);
		if (i == 0)
			continue;
		sim_join(s, (int)i, 0);
		sim_round(s); /* a stabilization period passes before the next join */
	}
}

static struct sim the_sim; /* 256 nodes of 2.3 KiB: not on the stack */

static void ring_of(unsigned n, unsigned succ_len, uint64_t seed, bool hits)
{
	struct sim *s = &the_sim;
	unsigned rounds;
	double mean;

	sim_build(s, n, succ_len, seed, hits);
	rounds = sim_converge(s, 100);
	s->timeouts = 0;
	mean = sim_lookups(s, 2000, hits);
	ck_assert_uint_eq(s->timeouts, 0);
	printf("chord: N=%u %s IDs: converged after %u rounds, mean lookup hops %.2f "
	       "(1/2 log2 N = %.2f)\n",
	       n, hits ? "HIT" : "random", rounds, mean, 0.5 * log2(n));
}

/* Chord "Stabilization": joins interleaved with stabilization converge; the finger
 * table then gives O(log N) lookups. Checked against the sorted ID list. */
START_TEST(a_16_node_ring_converges_and_routes_in_log_n_hops)
{
	ring_of(16, 4, 16, false);
}
END_TEST

START_TEST(a_64_node_ring_of_hit_ids_converges_and_routes_in_log_n_hops)
{
	ring_of(64, 4, 64, true);
}
END_TEST

START_TEST(a_200_node_ring_converges_and_routes_in_log_n_hops)
{
	ring_of(200, 8, 200, false);
}
END_TEST

/* IDs on both sides of 2^128 and neighbours one apart: the intervals must wrap right. */
START_TEST(a_ring_of_crafted_ids_around_the_wrap_converges)
{
	struct sim *s = &the_sim;
	const struct chord_id ids[] = {id_small(0),
				       id_small(1),
				       id_small(2),
				       id_u64(M64, M64),
				       id_u64(M64, M64 - 1),
				       id_u64(M64, M64 - 2),
				       id_u64(1ull << 63, 0),
				       id_u64(1ull << 63, 1),
				       id_u64(M64 >> 1, M64),
				       id_u64(1, 0),
				       id_small(M64),
				       id_small(5),
				       id_u64(M64, 0),
				       id_small(3),
				       id_u64(0x2001002000000000ull, 0),
				       id_u64(0x2001002000000000ull, 1)};
	unsigned n = sizeof(ids) / sizeof(ids[0]);

	memset(s, 0, sizeof(*s));
	s->rng = 1;
	s->succ_len = 4;
	/* joins back to back, no stabilization in between: the ring must still converge */
	for (unsigned i = 0; i < n; i++) {
		sim_add(s, &ids[i]);
		if (i > 0)
			sim_join(s, (int)i, 0);
	}
	sim_converge(s, 100);
	sim_lookups(s, 1000, false);
	/* keys exactly on and next to node IDs */
	struct truth t;

	truth_of(s, &t);
	for (unsigned i = 0; i < n; i++) {
		struct chord_id k, ans;

		ck_assert_int_eq(sim_lookup(s, (int)(i * 7 % n), &ids[i], &ans, NULL), 0);
		ck_assert(chord_id_eq(&ans, &ids[i]));
		chord_id_add_pow2(&k, &ids[i], 0);
		ck_assert_int_eq(sim_lookup(s, (int)(i * 5 % n), &k, &ans, NULL), 0);
		ck_assert(chord_id_eq(&ans, &t.id[truth_successor(&t, &k)]));
	}
}
END_TEST

/* Marks a quarter of the nodes dead, never succ_len or more neighbours in a row (the ring
 * survives only those, Chord "Failures and Replication"). */
static void sim_kill_quarter(struct sim *s)
{
	struct truth t;
	unsigned victims = s->n / 4, killed = 0;

	truth_of(s, &t);
	while (killed < victims) {
		unsigned p = (unsigned)(rng_next(&s->rng) % t.n), run = 1;
		int i = sim_find(s, &t.id[p]);

		if (!s->alive[i])
			continue;
		for (unsigned d = 1; d < t.n; d++) { /* dead neighbours after p */
			if (s->alive[sim_find(s, &t.id[(p + d) % t.n])])
				break;
			run++;
		}
		for (unsigned d = 1; d < t.n; d++) { /* and before */
			if (s->alive[sim_find(s, &t.id[(p + t.n - d) % t.n])])
				break;
			run++;
		}
		if (run >= s->succ_len)
			continue;
		s->alive[i] = false;
		killed++;
	}
}

START_TEST(after_a_quarter_of_the_nodes_fail_the_ring_repairs_and_lookups_are_right)
{
	static const struct {
		unsigned n, succ_len;
		bool hits;
	} cases[] = {{16, 4, false}, {64, 4, true}, {200, 8, false}};

	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct sim *s = &the_sim;
		unsigned rounds;
		double mean;

		sim_build(s, cases[c].n, cases[c].succ_len, 1000 + c, cases[c].hits);
		sim_converge(s, 100);
		sim_kill_quarter(s);
		/* lookups are right even before repair: timeouts route around the dead */
		sim_lookups(s, 500, cases[c].hits);
		rounds = sim_converge(s, 100);
		s->timeouts = 0;
		mean = sim_lookups(s, 2000, cases[c].hits);
		ck_assert_uint_eq(s->timeouts, 0);
		printf("chord: N=%u, %u failed: repaired after %u rounds, mean lookup hops %.2f\n",
		       cases[c].n, cases[c].n / 4, rounds, mean);
	}
}
END_TEST

/* Graceful leave: the leaver's predecessor and successor splice it out at once, so every
 * successor and predecessor pointer is right without a round of stabilization. */
START_TEST(a_graceful_leave_keeps_successors_and_predecessors_right_at_once)
{
	struct sim *s = &the_sim;
	unsigned left = 0;

	sim_build(s, 64, 4, 77, true);
	sim_converge(s, 100);
	for (unsigned i = 0; i < s->n && left < 16; i += 3) { /* runs of neighbours too */
		struct chord_ring *r = &s->node[i];
		struct chord_leave lv;
		int p, q;

		ck_assert_int_eq(chord_leave(r, &lv), 0);
		p = sim_up(s, &r->pred);
		q = sim_up(s, chord_successor(r));
		ck_assert(p >= 0 && q >= 0);
		chord_on_leave(&s->node[p], &r->self, &lv);
		chord_on_leave(&s->node[q], &r->self, &lv);
		s->alive[i] = false;
		left++;

		struct truth t;

		truth_of(s, &t);
		for (unsigned k = 0; k < s->n; k++) {
			unsigned pos;

			if (!s->alive[k])
				continue;
			pos = truth_successor(&t, &s->node[k].self);
			ck_assert(
			    chord_id_eq(chord_successor(&s->node[k]), &t.id[(pos + 1) % t.n]));
			ck_assert(chord_id_eq(&s->node[k].pred, &t.id[(pos + t.n - 1) % t.n]));
		}
	}
	sim_lookups(s, 500, true);
	sim_converge(s, 100);
	s->timeouts = 0;
	sim_lookups(s, 500, true);
	ck_assert_uint_eq(s->timeouts, 0);
}
END_TEST

START_TEST(the_last_two_nodes_leaving_leave_a_lone_node)
{
	struct sim *s = &the_sim;
	struct chord_leave lv;

	sim_build(s, 3, 4, 5, false);
	sim_converge(s, 20);
	for (int i = 2; i >= 1; i--) {
		struct chord_ring *r = &s->node[i];
		int p = sim_up(s, &r->pred), q = sim_up(s, chord_successor(r));

		ck_assert_int_eq(chord_leave(r, &lv), 0);
		chord_on_leave(&s->node[p], &r->self, &lv);
		if (q != p)
			chord_on_leave(&s->node[q], &r->self, &lv);
		s->alive[i] = false;
	}
	ck_assert(chord_alone(&s->node[0]));
	ck_assert(!s->node[0].has_pred);
	ck_assert(chord_is_mine(&s->node[0], &s->node[2].self));
}
END_TEST

/* Replicas of a key go to the k nodes after its responsible node (the issue: k = 3). */
START_TEST(replicas_of_my_keys_go_to_my_next_k_successors)
{
	struct sim *s = &the_sim;
	struct truth t;

	sim_build(s, 16, 4, 9, false);
	sim_converge(s, 100);
	truth_of(s, &t);
	for (unsigned i = 0; i < s->n; i++) {
		const struct chord_ring *r = &s->node[i];
		struct chord_id out[4], key;
		unsigned p = truth_successor(&t, &r->self);

		ck_assert_int_eq(chord_replicas(r, &r->self, out, 3), 3);
		for (unsigned j = 0; j < 3; j++)
			ck_assert(chord_id_eq(&out[j], &t.id[(p + 1 + j) % t.n]));
		chord_id_add_pow2(&key, &r->pred, 0); /* the first key we own */
		ck_assert_int_eq(chord_replicas(r, &key, out, 4), 4);
		ck_assert_int_eq(chord_replicas(r, &r->pred, out, 3), -ENOENT);
		ck_assert_int_eq(chord_replicas(r, chord_successor(r), out, 3), -ENOENT);
	}
}
END_TEST

START_TEST(the_neighbour_set_is_distinct_and_holds_predecessor_successors_and_fingers)
{
	struct sim *s = &the_sim;

	sim_build(s, 64, 4, 11, true);
	sim_converge(s, 100);
	for (unsigned i = 0; i < s->n; i++) {
		const struct chord_ring *r = &s->node[i];
		struct chord_id nb[64];
		unsigned n = chord_neighbours(r, nb, 64), small;
		bool pred = false, succ = false;

		ck_assert_uint_ge(n, 5);
		for (unsigned a = 0; a < n; a++) {
			ck_assert(!chord_id_eq(&nb[a], &r->self));
			pred |= chord_id_eq(&nb[a], &r->pred);
			succ |= chord_id_eq(&nb[a], &r->succ[3]);
			for (unsigned b = a + 1; b < n; b++)
				ck_assert(!chord_id_eq(&nb[a], &nb[b]));
		}
		ck_assert(pred && succ);
		small = chord_neighbours(r, nb, 2);
		ck_assert_uint_eq(small, 2);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("chord");
	TCase *id = tcase_create("id"), *node = tcase_create("node"), *ring = tcase_create("ring");
	SRunner *sr;
	int failed;

	tcase_add_test(id, addition_and_subtraction_wrap_at_2_pow_128);
	tcase_add_test(id, intervals_exclude_or_include_their_bounds_and_wrap);
	tcase_add_test(id, ids_print_as_hex_and_ipv6_and_parse_back);
	tcase_add_test(node, successor_list_length_must_be_4_to_16);
	tcase_add_test(node, a_lone_node_owns_every_key_and_routes_to_itself);
	tcase_add_test(node, notify_adopts_only_a_nearer_predecessor);
	tcase_add_test(
	    node, stabilize_adopts_a_node_between_us_and_the_successor_and_cuts_the_list_at_self);
	tcase_add_test(node, a_failed_successor_is_replaced_by_the_next_one_then_by_a_finger);
	tcase_add_test(node, fix_fingers_skips_fingers_with_the_same_successor);
	tcase_add_test(ring, a_16_node_ring_converges_and_routes_in_log_n_hops);
	tcase_add_test(ring, a_64_node_ring_of_hit_ids_converges_and_routes_in_log_n_hops);
	tcase_add_test(ring, a_200_node_ring_converges_and_routes_in_log_n_hops);
	tcase_add_test(ring, a_ring_of_crafted_ids_around_the_wrap_converges);
	tcase_add_test(ring,
		       after_a_quarter_of_the_nodes_fail_the_ring_repairs_and_lookups_are_right);
	tcase_add_test(ring, a_graceful_leave_keeps_successors_and_predecessors_right_at_once);
	tcase_add_test(ring, the_last_two_nodes_leaving_leave_a_lone_node);
	tcase_add_test(ring, replicas_of_my_keys_go_to_my_next_k_successors);
	tcase_add_test(ring,
		       the_neighbour_set_is_distinct_and_holds_predecessor_successors_and_fingers);
	tcase_set_timeout(ring, 60);
	suite_add_tcase(s, id);
	suite_add_tcase(s, node);
	suite_add_tcase(s, ring);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
