/* In-process overlay test: N p2psipd nodes (overlay engine + plain link layer) on 127.0.0.1 in
 * one libuv loop. Convergence against the sorted ID list, put/get from random nodes, AOR
 * checks, abrupt failures and graceful leave. Not the daemon's command line or control socket. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/hostid.h"
#include "p2psipd/link/link.h"
#include "p2psipd/overlay/overlay.h"
#include "p2psipd/store/aor.h"
#include "p2psipd/store/store.h"

#define MAXN	16
#define NPAIRS	1000
#define WINDOW	32 /* operations in flight at once */
#define STAB_MS 100
#define FIX_MS	20
#define T0_MS	50
#define T2_MS	300
#define TIMEOUT 30000 /* ms for one phase */
/* OVL_REPLICATE_EVERY (ovl_int.h, not a public header): stabilize rounds between publications */
#define OVL_REPLICATE_EVERY_TEST 30

struct rig {
	uv_loop_t loop;
	unsigned n;
	struct hostid *id[MAXN];
	struct ovl_node *node[MAXN];
	bool alive[MAXN];
	uv_timer_t poll;
	bool (*cond)(struct rig *);
	bool met;
	uint64_t seed;
};

/* The connection mode of the rigs made next, and their failure detector's T2. */
static enum link_mode rig_mode = LINK_PLAIN;
static unsigned rig_t2 = T2_MS;

static uint64_t rnd(struct rig *r)
{
	uint64_t z = (r->seed += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void cfg_for(struct rig *r, unsigned i, struct ovl_config *c)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&c->listen;

	memset(c, 0, sizeof(*c));
	c->loop = &r->loop;
	c->id = r->id[i];
	c->mode = rig_mode;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->stabilize_ms = STAB_MS;
	c->fix_ms = FIX_MS;
	c->timing.t0_ms = T0_MS;
	c->timing.t2_ms = rig_t2;
	c->succ_len = 4;
	if (i > 0) {
		c->has_bootstrap = true;
		link_local_addr(ovl_link(r->node[0]), &c->bootstrap);
	}
}

static void start_node(struct rig *r, unsigned i)
{
	struct ovl_config c;

	cfg_for(r, i, &c);
	ck_assert_int_eq(ovl_start(&c, &r->node[i]), 0);
	r->alive[i] = true;
}

static struct rig *rig_new(unsigned n, uint64_t seed)
{
	struct rig *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(uv_loop_init(&r->loop), 0);
	r->n = n;
	r->seed = seed;
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(hostid_generate(HOSTID_ECDSA_P256, 0, &r->id[i]), 0);
	for (unsigned i = 0; i < n; i++)
		start_node(r, i);
	return r;
}

static void kill_node(struct rig *r, unsigned i)
{
	ovl_close(r->node[i]);
	r->node[i] = NULL;
	r->alive[i] = false;
}

static void rig_free(struct rig *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		if (r->alive[i])
			kill_node(r, i);
	}
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&r->loop), 0);
	for (unsigned i = 0; i < r->n; i++)
		hostid_free(r->id[i]);
	free(r);
}

static void on_poll(uv_timer_t *t)
{
	struct rig *r = t->data;

	if (r->cond && r->cond(r)) {
		r->met = true;
		uv_stop(&r->loop);
	}
}

static void on_deadline(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the loop until cond holds (true) or ms pass (false). cond NULL: just run ms. */
static bool run_until(struct rig *r, bool (*cond)(struct rig *), unsigned ms)
{
	uv_timer_t deadline;

	r->cond = cond;
	r->met = false;
	uv_timer_init(&r->loop, &r->poll);
	uv_timer_init(&r->loop, &deadline);
	r->poll.data = r;
	uv_timer_start(&r->poll, on_poll, 10, 10);
	uv_timer_start(&deadline, on_deadline, ms, 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&r->poll, NULL);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&r->loop, UV_RUN_NOWAIT);
	return r->met;
}

/* ---- the truth: successors among the live nodes, by sorted IDs ---- */

static const struct chord_id *true_successor(struct rig *r, const struct chord_id *x)
{
	const struct chord_id *best = NULL, *lowest = NULL;

	for (unsigned i = 0; i < r->n; i++) {
		const struct chord_id *id;
		if (!r->alive[i])
			continue;
		id = ovl_self(r->node[i]);
		if (!lowest || chord_id_cmp(id, lowest) < 0)
			lowest = id;
		if (chord_id_cmp(id, x) >= 0 && (!best || chord_id_cmp(id, best) < 0))
			best = id;
	}
	return best ? best : lowest; /* wrapped */
}

static const struct chord_id *true_predecessor(struct rig *r, const struct chord_id *x)
{
	const struct chord_id *best = NULL, *highest = NULL;

	for (unsigned i = 0; i < r->n; i++) {
		const struct chord_id *id;
		if (!r->alive[i])
			continue;
		id = ovl_self(r->node[i]);
		if (!highest || chord_id_cmp(id, highest) > 0)
			highest = id;
		if (chord_id_cmp(id, x) < 0 && (!best || chord_id_cmp(id, best) > 0))
			best = id;
	}
	return best ? best : highest;
}

static unsigned live_count(struct rig *r)
{
	unsigned k = 0;

	for (unsigned i = 0; i < r->n; i++)
		k += r->alive[i];
	return k;
}

/* One node's state against the truth; why (if wrong) in buf. */
static bool node_correct(struct rig *r, unsigned i, bool fingers, char *why, size_t len)
{
	const struct chord_ring *g = ovl_ring(r->node[i]);
	struct chord_id next = g->self, x;
	unsigned want = live_count(r) - 1 < g->succ_len ? live_count(r) - 1 : g->succ_len;

	if (ovl_get_state(r->node[i]) != OVL_JOINED) {
		snprintf(why, len, "node %u not joined", i);
		return false;
	}
	if (!g->has_pred || !chord_id_eq(&g->pred, true_predecessor(r, &g->self))) {
		char a[46], b[46];
		snprintf(why, len, "node %u predecessor %s, want %s", i,
			 g->has_pred ? chord_id_to_str(&g->pred, a) : "none",
			 chord_id_to_str(true_predecessor(r, &g->self), b));
		return false;
	}
	if (g->nsucc != want) {
		snprintf(why, len, "node %u has %u successors, want %u", i, g->nsucc, want);
		return false;
	}
	for (unsigned k = 0; k < g->nsucc; k++) {
		chord_id_add_pow2(&x, &next, 0);
		next = *true_successor(r, &x);
		if (!chord_id_eq(&g->succ[k], &next)) {
			snprintf(why, len, "node %u successor %u", i, k);
			return false;
		}
	}
	for (unsigned k = 0; fingers && k < CHORD_ID_BITS; k++) {
		chord_id_add_pow2(&x, &g->self, k);
		if (!g->finger_ok[k] || !chord_id_eq(&g->finger[k], true_successor(r, &x))) {
			snprintf(why, len, "node %u finger %u", i, k);
			return false;
		}
	}
	return true;
}

static char last_why[256];

static bool ring_correct(struct rig *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		if (r->alive[i] && !node_correct(r, i, true, last_why, sizeof(last_why)))
			return false;
	}
	return true;
}

static void dump_failures(struct rig *r, const char *when)
{
	uint64_t f = 0;

	for (unsigned i = 0; i < r->n; i++)
		if (r->alive[i])
			f += ovl_get_counters(r->node[i])->peer_failures;
	if (getenv("OVL_DEBUG"))
		fprintf(stderr, "%s: %llu peer failures so far, ring %s\n", when,
			(unsigned long long)f, ring_correct(r) ? "correct" : last_why);
}

/* Every node's view, for a failed convergence. */
static void dump_rings(struct rig *r)
{
	char a[46], b[46];

	for (unsigned i = 0; i < r->n; i++) {
		const struct chord_ring *g;
		if (!r->alive[i]) {
			fprintf(stderr, "node %u dead\n", i);
			continue;
		}
		g = ovl_ring(r->node[i]);
		fprintf(stderr, "node %u %s pred %s succ", i, chord_id_to_str(&g->self, a),
			g->has_pred ? chord_id_to_str(&g->pred, b) : "-");
		for (unsigned k = 0; k < g->nsucc; k++)
			fprintf(stderr, " %s", chord_id_to_str(&g->succ[k], a));
		fprintf(stderr, "\n");
	}
}

static unsigned random_live(struct rig *r)
{
	for (;;) {
		unsigned i = (unsigned)(rnd(r) % r->n);
		if (r->alive[i])
			return i;
	}
}

/* ---- put/get driver ---- */

struct pg {
	struct rig *r;
	unsigned next, done, failed, inflight, total;
	bool get;
	uint64_t hops, max_hops;
	char last_err[64];
};

static void key_of(unsigned i, struct chord_id *k, char *val, size_t vlen)
{
	char s[32];

	snprintf(s, sizeof(s), "key-%u", i);
	store_key_from_string(s, strlen(s), k);
	snprintf(val, vlen, "value-%u", i);
}

static void pg_pump(struct pg *p);

static void on_pg(void *arg, const struct ovl_result *res)
{
	struct pg *p = arg;

	p->inflight--;
	p->done++;
	if (res->err) {
		p->failed++;
		if (getenv("OVL_DEBUG") && p->get)
			fprintf(stderr, "get failed: %s answered by %s hops %u\n",
				strerror(-res->err), chord_id_to_str(&res->node, (char[46]){0}),
				res->hops);
		snprintf(p->last_err, sizeof(p->last_err), "%s", strerror(-res->err));
	} else if (p->get) {
		if (res->n_values != 1)
			p->failed++;
		p->hops += res->hops;
		if (res->hops > p->max_hops)
			p->max_hops = res->hops;
	}
	pg_pump(p);
}

static void pg_pump(struct pg *p)
{
	while (p->inflight < WINDOW && p->next < p->total) {
		struct chord_id k;
		char val[32];
		unsigned i = p->next++;
		struct ovl_node *n = p->r->node[random_live(p->r)];
		int err;

		key_of(i, &k, val, sizeof(val));
		if (p->get)
			err = ovl_get(n, &k, OVL_CT_OPAQUE, on_pg, p);
		else
			/* not refreshed: 1,000 records put again every 30 rounds (3 s here)
			 * would be most of the rig's traffic; replication keeps them */
			err = ovl_put(n, &k, OVL_CT_OPAQUE, (uint8_t *)val, strlen(val), 3600,
				      false, on_pg, p);
		ck_assert_int_eq(err, 0);
		p->inflight++;
	}
}

static struct pg *pg_cur;

static bool pg_done(struct rig *r)
{
	(void)r;
	return pg_cur->done == pg_cur->total;
}

static void put_get(struct rig *r, bool get, unsigned total, struct pg *p)
{
	memset(p, 0, sizeof(*p));
	p->r = r;
	p->get = get;
	p->total = total;
	pg_cur = p;
	pg_pump(p);
	ck_assert_msg(run_until(r, pg_done, 60000), "%s: %u of %u done", get ? "get" : "put",
		      p->done, total);
}

/* ---- one result ---- */

struct one {
	bool done;
	struct ovl_result res;
	uint8_t value[AOR_RECORD_MAX];
};

static void on_one(void *arg, const struct ovl_result *res)
{
	struct one *o = arg;

	o->done = true;
	o->res = *res;
	if (res->n_values && res->values[0].len <= sizeof(o->value))
		memcpy(o->value, res->values[0].p, res->values[0].len);
}

static struct one *one_cur;

static bool one_done(struct rig *r)
{
	(void)r;
	return one_cur->done;
}

static void wait_one(struct rig *r, struct one *o)
{
	one_cur = o;
	ck_assert(run_until(r, one_done, TIMEOUT));
}

/* ---- tests ---- */

/* Chord (ToN 2003) join, stabilize, fix_fingers: the ring converges to the true successors,
 * predecessors, successor lists and fingers (= successor(self + 2^i)); 1,000 records put and
 * got from random nodes; lookups report their hop count (TTL echo, route.c). */
START_TEST(sixteen_nodes_converge_store_and_survive_a_quarter_failing)
{
	struct rig *r = rig_new(16, 42);
	struct pg p;
	uint64_t t0 = uv_now(&r->loop);
	unsigned killed = 0;

	ck_assert_msg(run_until(r, ring_correct, TIMEOUT), "no convergence: %s", last_why);
	fprintf(stderr,
		"overlay: 16 nodes converged (successors, predecessors, fingers) in %llu ms\n",
		(unsigned long long)(uv_now(&r->loop) - t0));

	dump_failures(r, "converged");
	put_get(r, false, NPAIRS, &p);
	dump_failures(r, "put");
	ck_assert_msg(p.failed == 0, "%u puts failed (%s)", p.failed, p.last_err);
	put_get(r, true, NPAIRS, &p);
	dump_failures(r, "get");
	ck_assert_msg(p.failed == 0, "%u gets failed (%s)", p.failed, p.last_err);
	fprintf(stderr, "overlay: 1000 gets, mean hops %.2f, max %llu\n", (double)p.hops / NPAIRS,
		(unsigned long long)p.max_hops);
	ck_assert_uint_le(p.max_hops, 8); /* O(log N) */

	if (getenv("OVL_DEBUG")) {
		unsigned hist[20] = {0};
		for (unsigned k = 0; k < NPAIRS; k++) {
			struct chord_id key;
			char v[32];
			unsigned h = 0;
			key_of(k, &key, v, sizeof(v));
			for (unsigned i = 0; i < r->n; i++)
				h += store_get(ovl_store(r->node[i]), &key, OVL_CT_OPAQUE, NULL, 0,
					       ovl_now(r->node[i])) != NULL;
			hist[h]++;
		}
		for (unsigned h = 0; h < 20; h++)
			if (hist[h])
				fprintf(stderr, "%u keys on %u nodes\n", hist[h], h);
	}
	/* every record on its primary plus k = 4 replicas (OVL_REPLICAS_DEFAULT) */
	size_t total = 0;
	for (unsigned i = 0; i < r->n; i++)
		total += store_count(ovl_store(r->node[i]), ovl_now(r->node[i]));
	ck_assert_uint_ge(total, (1 + OVL_REPLICAS_DEFAULT) * NPAIRS);

	/* a quarter of the nodes crash; not node 0 (bootstrap) */
	while (killed < 4) {
		unsigned i = 1 + (unsigned)(rnd(r) % (r->n - 1));
		if (r->alive[i]) {
			kill_node(r, i);
			killed++;
		}
	}
	t0 = uv_now(&r->loop);
	if (!run_until(r, ring_correct, TIMEOUT)) {
		dump_rings(r);
		ck_abort_msg("no repair: %s", last_why);
	}
	fprintf(stderr, "overlay: repaired after 4 of 16 failed in %llu ms\n",
		(unsigned long long)(uv_now(&r->loop) - t0));
	put_get(r, true, NPAIRS, &p);
	ck_assert_msg(p.failed == 0, "%u gets failed after failures (%s)", p.failed, p.last_err);
	rig_free(r);
}
END_TEST

/* Issue: "a lookup verifies the signature and that the HIT belongs to the signing key". */
START_TEST(signed_aor_records_are_checked_at_put_and_at_lookup)
{
	struct rig *r = rig_new(4, 7);
	struct hostid *mallory;
	struct chord_id key;
	uint8_t rec[AOR_RECORD_MAX];
	struct aor_record forged = {0};
	size_t len;
	struct one o = {0};
	uint64_t exp = (uint64_t)time(NULL) + 600;

	ck_assert(run_until(r, ring_correct, TIMEOUT));
	ck_assert_int_eq(hostid_generate(HOSTID_ECDSA_P256, 0, &mallory), 0);
	ck_assert_int_eq(aor_key("sip:alice@overlay", &key), 0);

	/* node 1's genuine record: stored, and found valid from node 3 */
	ck_assert_int_eq(aor_sign(r->id[1], "sip:alice@overlay", exp, rec, sizeof(rec), &len), 0);
	ck_assert_int_eq(
	    ovl_put(r->node[1], &key, P2PP_CT_USER_INFO, rec, len, 600, false, on_one, &o), 0);
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, 0);
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(ovl_get(r->node[3], &key, P2PP_CT_USER_INFO, on_one, &o), 0);
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, 0);
	ck_assert_uint_eq(o.res.n_values, 1);
	ck_assert_mem_eq(o.value, rec, len);

	/* Bob's AOR with node 2's HIT and HI, signed by Mallory, published by node 2: refused */
	struct chord_id bob;
	ck_assert_int_eq(aor_key("sip:bob@overlay", &bob), 0);
	strcpy(forged.aor, "sip:bob@overlay");
	forged.aor_len = strlen(forged.aor);
	forged.hit = r->id[2]->hit;
	forged.expires = exp;
	forged.hi_algorithm = r->id[2]->algorithm;
	memcpy(forged.hi, r->id[2]->hi, r->id[2]->hi_len);
	forged.hi_len = r->id[2]->hi_len;
	ck_assert_int_eq(aor_encode(&forged, mallory, rec, sizeof(rec), &len), 0);
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(
	    ovl_put(r->node[2], &bob, P2PP_CT_USER_INFO, rec, len, 600, false, on_one, &o), 0);
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, -EKEYREJECTED);

	/* the same forged record slipped into every store directly: the lookup rejects it */
	for (unsigned i = 0; i < r->n; i++) {
		struct store_put sp = {.id = bob,
				       .cont_type = P2PP_CT_USER_INFO,
				       .owner = (uint8_t *)&r->id[2]->hit,
				       .owner_len = 16,
				       .value = rec,
				       .value_len = len,
				       .lifetime = 600,
				       .is_signed = true,
				       .primary = true};
		ck_assert_int_eq(store_put(ovl_store(r->node[i]), &sp, ovl_now(r->node[i])), 0);
	}
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(ovl_get(r->node[0], &bob, P2PP_CT_USER_INFO, on_one, &o), 0);
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, -EKEYREJECTED);
	ck_assert_uint_eq(o.res.n_values, 0);

	hostid_free(mallory);
	rig_free(r);
}
END_TEST

static bool left_done;

static void on_left(void *arg, int err)
{
	(void)arg;
	ck_assert_int_eq(err, 0);
	left_done = true;
}

static bool left(struct rig *r)
{
	(void)r;
	return left_done;
}

/* 4.4 / Chord "voluntary departures": a leaving node hands its records to its successor and
 * splices itself out at once (no failure detection needed). */
START_TEST(a_leaving_node_hands_over_its_records_and_the_ring_closes)
{
	struct rig *r = rig_new(6, 99);
	struct pg p;
	unsigned leaver = 3;
	uint64_t t0;

	ck_assert(run_until(r, ring_correct, TIMEOUT));
	put_get(r, false, 200, &p);
	ck_assert_uint_eq(p.failed, 0);
	left_done = false;
	ck_assert_int_eq(ovl_leave(r->node[leaver], on_left, NULL), 0);
	ck_assert(run_until(r, left, TIMEOUT));
	kill_node(r, leaver);
	t0 = uv_now(&r->loop);
	ck_assert_msg(run_until(r, ring_correct, TIMEOUT), "%s", last_why);
	fprintf(stderr, "overlay: ring closed %llu ms after a leave\n",
		(unsigned long long)(uv_now(&r->loop) - t0));
	put_get(r, true, 200, &p);
	ck_assert_msg(p.failed == 0, "%u gets failed (%s)", p.failed, p.last_err);
	rig_free(r);
}
END_TEST

/* A node that fails a lookup of its own key answers locally: a lone node owns every key. */
START_TEST(a_lone_node_serves_everything_itself)
{
	struct rig *r = rig_new(1, 1);
	struct chord_id k;
	struct one o = {0};

	store_key_from_string("x", 1, &k);
	ck_assert_int_eq(
	    ovl_put(r->node[0], &k, OVL_CT_OPAQUE, (const uint8_t *)"v", 1, 60, false, on_one, &o),
	    0);
	ck_assert(!o.done); /* never from inside the call */
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, 0);
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(ovl_get(r->node[0], &k, OVL_CT_OPAQUE, on_one, &o), 0);
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, 0);
	ck_assert_uint_eq(o.res.hops, 0);
	ck_assert_uint_eq(o.res.n_values, 1);
	ck_assert_mem_eq(o.value, "v", 1);
	rig_free(r);
}
END_TEST

/* get of key from every live node; how many found exactly one value v. */
static unsigned found_everywhere(struct rig *r, const struct chord_id *k, const char *v)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < r->n; i++) {
		struct one o = {0};
		if (!r->alive[i])
			continue;
		ck_assert_int_eq(ovl_get(r->node[i], k, OVL_CT_OPAQUE, on_one, &o), 0);
		wait_one(r, &o);
		ok += o.res.err == 0 && o.res.n_values == 1 && memcmp(o.value, v, strlen(v)) == 0;
	}
	return ok;
}

/* The first node publishes while alone (as the lab's STUN/TURN announcer does); fifteen nodes
 * join one after the other and the record moves with its key range: every node finds it. */
START_TEST(a_record_of_the_first_node_survives_the_ring_forming_around_it)
{
	struct rig *r = rig_new(1, 5);
	struct chord_id k;
	struct one o = {0};

	r->n = MAXN;
	for (unsigned i = 1; i < r->n; i++)
		ck_assert_int_eq(hostid_generate(HOSTID_ECDSA_P256, 0, &r->id[i]), 0);
	store_key_from_string("p2psip:stun-turn", 16, &k);
	ck_assert_int_eq(ovl_put(r->node[0], &k, OVL_CT_OPAQUE, (const uint8_t *)"srv", 3, 3600,
				 true, on_one, &o),
			 0);
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, 0);
	for (unsigned i = 1; i < r->n; i++) {
		start_node(r, i);
		run_until(r, NULL, STAB_MS / 3);
	}
	ck_assert_msg(run_until(r, ring_correct, TIMEOUT), "%s", last_why);
	ck_assert_uint_eq(found_everywhere(r, &k, "srv"), r->n);
	rig_free(r);
}
END_TEST

/* Every copy of a record is gone (its holders failed in churn, or a handover was lost): its
 * publisher puts it again within OVL_REPLICATE_EVERY stabilize rounds, long before the
 * refresh that its lifetime asks for. */
START_TEST(a_publisher_puts_back_a_record_the_overlay_lost)
{
	struct rig *r = rig_new(6, 21);
	const unsigned pub = 2;
	struct chord_id k;
	struct one o = {0};

	ck_assert_msg(run_until(r, ring_correct, TIMEOUT), "%s", last_why);
	store_key_from_string("lost", 4, &k);
	ck_assert_int_eq(ovl_put(r->node[pub], &k, OVL_CT_OPAQUE, (const uint8_t *)"back", 4, 3600,
				 true, on_one, &o),
			 0);
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, 0);
	ck_assert_uint_eq(found_everywhere(r, &k, "back"), r->n);
	for (unsigned i = 0; i < r->n; i++)
		store_remove(ovl_store(r->node[i]), &k, OVL_CT_OPAQUE, ovl_self(r->node[pub])->b,
			     CHORD_ID_BYTES, ovl_now(r->node[i]));
	ck_assert_uint_eq(found_everywhere(r, &k, "back"), 0);
	run_until(r, NULL, OVL_REPLICATE_EVERY_TEST * STAB_MS + 2000); /* + 1-s clock */
	ck_assert_uint_eq(found_everywhere(r, &k, "back"), r->n);
	rig_free(r);
}
END_TEST

static unsigned index_of(struct rig *r, const struct chord_id *id)
{
	for (unsigned i = 0; i < r->n; i++) {
		if (r->alive[i] && chord_id_eq(ovl_self(r->node[i]), id))
			return i;
	}
	ck_abort_msg("no live node with that ID");
	return 0;
}

/* The node responsible for a key lacks its record (it just joined and the Transfer is still on
 * its way, or it restarted empty): it asks its successor's own store, answers with what it
 * finds there and keeps it. When the successor has nothing either, the answer is 404. */
START_TEST(a_miss_at_the_responsible_node_is_asked_of_its_successor)
{
	struct rig *r = rig_new(6, 33);
	unsigned owner, succ;
	const struct store_rec *rec;
	struct chord_id k;
	struct one o = {0};

	ck_assert_msg(run_until(r, ring_correct, TIMEOUT), "%s", last_why);
	store_key_from_string("miss", 4, &k);
	ck_assert_int_eq(ovl_put(r->node[0], &k, OVL_CT_OPAQUE, (const uint8_t *)"here", 4, 3600,
				 false, on_one, &o),
			 0);
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, 0);
	owner = index_of(r, true_successor(r, &k));
	succ = index_of(r, chord_successor(ovl_ring(r->node[owner])));
	ck_assert_int_eq(store_remove(ovl_store(r->node[owner]), &k, OVL_CT_OPAQUE,
				      ovl_self(r->node[0])->b, CHORD_ID_BYTES,
				      ovl_now(r->node[owner])),
			 0);
	ck_assert_uint_eq(found_everywhere(r, &k, "here"), r->n);
	/* one question: the first get; the owner kept the record for the others */
	ck_assert_uint_eq(ovl_get_counters(r->node[owner])->miss_asked, 1);
	ck_assert_uint_eq(ovl_get_counters(r->node[owner])->miss_found, 1);
	rec = store_get(ovl_store(r->node[owner]), &k, OVL_CT_OPAQUE, NULL, 0,
			ovl_now(r->node[owner]));
	ck_assert_msg(rec && rec->primary, "the owner did not keep what its successor had");

	/* gone from both: a plain 404, after the one question */
	for (unsigned i = 0; i < 2; i++) {
		unsigned at = i ? succ : owner;
		store_remove(ovl_store(r->node[at]), &k, OVL_CT_OPAQUE, ovl_self(r->node[0])->b,
			     CHORD_ID_BYTES, ovl_now(r->node[at]));
	}
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(ovl_get(r->node[owner], &k, OVL_CT_OPAQUE, on_one, &o), 0);
	wait_one(r, &o);
	ck_assert_int_eq(o.res.err, -ENOENT);
	ck_assert_uint_eq(ovl_get_counters(r->node[owner])->miss_asked, 2);
	ck_assert_uint_eq(ovl_get_counters(r->node[owner])->miss_found, 1);
	rig_free(r);
}
END_TEST

/* A node crashes and its daemon comes straight back with the same identity, before its
 * successor has noticed: nobody hands it its range (its successor's predecessor did not
 * change), and its records are replicas at its successors. Every one is still found. */
START_TEST(a_node_back_with_its_id_at_once_still_serves_its_records)
{
	struct rig *r = rig_new(6, 77);
	struct pg p;
	const unsigned back = 4;

	ck_assert_msg(run_until(r, ring_correct, TIMEOUT), "%s", last_why);
	put_get(r, false, 200, &p);
	ck_assert_uint_eq(p.failed, 0);
	kill_node(r, back);
	start_node(r, back);
	if (!run_until(r, ring_correct, TIMEOUT)) {
		dump_rings(r);
		ck_abort_msg("no convergence after the restart: %s", last_why);
	}
	put_get(r, true, 200, &p);
	ck_assert_msg(p.failed == 0, "%u gets failed (%s)", p.failed, p.last_err);
	fprintf(stderr,
		"overlay: after a restart, %llu misses asked of the successor, %llu found\n",
		(unsigned long long)ovl_get_counters(r->node[back])->miss_asked,
		(unsigned long long)ovl_get_counters(r->node[back])->miss_found);
	rig_free(r);
}
END_TEST

START_TEST(the_hip_connection_mode_needs_hipds_socket_and_modes_parse)
{
	struct link_config c = {0};
	struct link *l;
	enum link_mode m;
	uv_loop_t loop;

	uv_loop_init(&loop);
	c.loop = &loop;
	ck_assert_int_eq(link_mode_parse("hip", &m), 0);
	c.mode = m;
	ck_assert_int_eq(link_open(&c, &l), -EINVAL); /* hip needs hipd's socket: test_link_hip */
	ck_assert_int_eq(link_mode_parse("ice", &m), 0);
	ck_assert_int_eq(link_mode_parse("tcp", &m), -EINVAL);
	ck_assert_int_eq(link_mode_parse("plain", &m), 0);
	ck_assert_int_eq(m, LINK_PLAIN);
	uv_loop_close(&loop);
}
END_TEST

START_TEST(addresses_parse_as_addr_colon_port_or_bracketed_ipv6)
{
	struct sockaddr_storage ss;
	char buf[64];

	ck_assert_int_eq(link_addr_parse("127.0.0.1:6084", &ss), 0);
	ck_assert_str_eq(link_addr_str((struct sockaddr *)&ss, buf, sizeof(buf)), "127.0.0.1:6084");
	ck_assert_int_eq(link_addr_parse("[::1]:5", &ss), 0);
	ck_assert_str_eq(link_addr_str((struct sockaddr *)&ss, buf, sizeof(buf)), "[::1]:5");
	ck_assert_int_eq(link_addr_parse("127.0.0.1", &ss), -EINVAL);
	ck_assert_int_eq(link_addr_parse("127.0.0.1:", &ss), -EINVAL);
	ck_assert_int_eq(link_addr_parse("127.0.0.1:65536", &ss), -EINVAL);
	ck_assert_int_eq(link_addr_parse("::1:5", &ss), -EINVAL);
	ck_assert_int_eq(link_addr_parse("[::1]5", &ss), -EINVAL);
	ck_assert_int_eq(link_addr_parse("host:5", &ss), -EINVAL);
	ck_assert_int_eq(link_addr_parse("1.2.3.4:-1", &ss), -EINVAL);
}
END_TEST

/* ---- ice mode ---- */

static void ice_rig(void)
{
	rig_mode = LINK_ICE;
	rig_t2 = 2000; /* a neighbour's first datagrams wait for its link's ICE run */
}

/* The state of node i's link to peer ("none" if it has none listed). */
static const char *link_state(struct rig *r, unsigned i, const struct chord_id *peer)
{
	struct link_info li[64];
	size_t k = link_list(ovl_link(r->node[i]), li, 64);

	for (size_t j = 0; j < k && j < 64; j++) {
		if (chord_id_eq(&li[j].peer, peer))
			return li[j].state;
	}
	return "none";
}

/* Every live node reaches its successor over an ICE link that is up, or the plain one. */
static bool successors_linked(struct rig *r)
{
	for (unsigned i = 0; i < r->n; i++) {
		const char *s;
		if (!r->alive[i])
			continue;
		s = link_state(r, i, chord_successor(ovl_ring(r->node[i])));
		if (strcmp(s, "up") != 0 && strcmp(s, "plain") != 0)
			return false;
	}
	return true;
}

static struct chord_id ghost;

static bool ghost_failed(struct rig *r)
{
	return strcmp(link_state(r, 3, &ghost), "failed") == 0;
}

static unsigned links_up(struct rig *r, unsigned *plain)
{
	struct link_info li[64];
	unsigned up = 0;

	*plain = 0;
	for (unsigned i = 0; i < r->n; i++) {
		size_t k;
		if (!r->alive[i])
			continue;
		k = link_list(ovl_link(r->node[i]), li, 64);
		for (size_t j = 0; j < k && j < 64; j++) {
			up += strcmp(li[j].state, "up") == 0;
			*plain += strcmp(li[j].state, "plain") == 0;
		}
	}
	return up;
}

static uint64_t rx_bad_total(struct rig *r)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->n; i++) {
		if (r->alive[i])
			n += ovl_get_counters(r->node[i])->rx_bad;
	}
	return n;
}

static bool never(struct rig *r)
{
	(void)r;
	return false;
}

/* A datagram from a socket that is no link's peer (what reaches a socket on the port of one
 * closed before: its peers send on until T2 or consent gives up) is dropped by the link layer,
 * at node i's plain socket (no Bootstrap) and at the link sockets of its peers; returns how
 * many were sent. */
static unsigned stranger_sends(struct rig *r, unsigned i)
{
	static const char junk[] = "not for you: a datagram from a socket no link knows";
	struct link_info li[64];
	struct sockaddr_storage a;
	size_t k = link_list(ovl_link(r->node[i]), li, 64);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned sent = 0;

	ck_assert_int_ge(fd, 0);
	link_local_addr(ovl_link(r->node[i]), &a);
	sent += sendto(fd, junk, sizeof(junk), 0, (struct sockaddr *)&a,
		       sizeof(struct sockaddr_in)) > 0;
	for (size_t j = 0; j < k && j < 64; j++) {
		if (strcmp(li[j].state, "up") != 0)
			continue;
		sent += sendto(fd, junk, sizeof(junk), 0, (struct sockaddr *)&li[j].addr,
			       sizeof(struct sockaddr_in)) > 0;
	}
	close(fd);
	return sent;
}

/* Issue: "ice: each overlay link (except to a public bootstrap peer) is set up by sending ICE
 * candidates through the overlay in P2PP and running ICE, one agent per connection". On
 * loopback (host candidates only): the ring converges with successors and fingers, 1,000
 * put/get pairs succeed, a quarter of the nodes crash (their links lose consent or their
 * Connects fail) and every record is still found after repair. */
START_TEST(eight_nodes_in_ice_mode_converge_store_and_survive_failures)
{
	struct rig *r;
	struct pg p;
	uint64_t t0;
	unsigned killed = 0, plain, up;

	ice_rig();
	r = rig_new(8, 4242);
	t0 = uv_now(&r->loop);
	ck_assert_msg(run_until(r, ring_correct, 60000), "no convergence: %s", last_why);
	up = links_up(r, &plain);
	fprintf(stderr,
		"overlay/ice: 8 nodes converged in %llu ms; %u ICE link ends up, %u plain\n",
		(unsigned long long)(uv_now(&r->loop) - t0), up, plain);
	ck_assert_uint_gt(up, 0);
	ck_assert(run_until(r, successors_linked, 5000));
	{
		uint64_t bad = rx_bad_total(r);
		ck_assert_uint_gt(stranger_sends(r, 3), 1);
		run_until(r, never, 300);
		ck_assert_uint_eq(rx_bad_total(r), bad);
	}
	ck_assert_uint_gt(ovl_get_counters(r->node[3])->connects_sent +
			      ovl_get_counters(r->node[3])->connects_served,
			  0);

	/* 8.16: a Connect for an ID no node has ends at the node before it with 404; the link
	 * fails and no agent is left running */
	{
		struct sockaddr_storage a;
		memset(&ghost, 0x5a, sizeof(ghost));
		ck_assert_int_eq(link_resolve(ovl_link(r->node[3]), &ghost, &a), 0);
		ck_assert(!link_ready(ovl_link(r->node[3]), &ghost));
		/* The 404 usually ends it in well under a second. Under load a hop's first
		 * datagrams may wait for its own ICE link past T2, the hop is taken as failed and
		 * the Connect is routed again; the link's own bound is SETUP_MS (20 s). */
		ck_assert_msg(run_until(r, ghost_failed, 25000), "state %s",
			      link_state(r, 3, &ghost));
	}
	put_get(r, false, NPAIRS, &p);
	ck_assert_msg(p.failed == 0, "%u puts failed (%s)", p.failed, p.last_err);
	put_get(r, true, NPAIRS, &p);
	ck_assert_msg(p.failed == 0, "%u gets failed (%s)", p.failed, p.last_err);
	while (killed < 2) {
		unsigned i = 1 + (unsigned)(rnd(r) % (r->n - 1));
		if (r->alive[i]) {
			kill_node(r, i);
			killed++;
		}
	}
	t0 = uv_now(&r->loop);
	ck_assert_msg(run_until(r, ring_correct, 60000), "no repair: %s", last_why);
	fprintf(stderr, "overlay/ice: repaired after 2 of 8 failed in %llu ms\n",
		(unsigned long long)(uv_now(&r->loop) - t0));
	put_get(r, true, NPAIRS, &p);
	ck_assert_msg(p.failed == 0, "%u gets failed after failures (%s)", p.failed, p.last_err);
	rig_free(r);
	rig_mode = LINK_PLAIN;
	rig_t2 = T2_MS;
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("overlay");
	TCase *tc = tcase_create("ring");

	tcase_set_timeout(tc, 180);
	if (getenv("OVL_ONLY_ICE")) { /* the ice mode's test alone */
		tcase_add_test(tc, eight_nodes_in_ice_mode_converge_store_and_survive_failures);
		suite_add_tcase(s, tc);
		return s;
	}
	tcase_add_test(tc, the_hip_connection_mode_needs_hipds_socket_and_modes_parse);
	tcase_add_test(tc, addresses_parse_as_addr_colon_port_or_bracketed_ipv6);
	tcase_add_test(tc, a_lone_node_serves_everything_itself);
	tcase_add_test(tc, signed_aor_records_are_checked_at_put_and_at_lookup);
	tcase_add_test(tc, a_leaving_node_hands_over_its_records_and_the_ring_closes);
	tcase_add_test(tc, a_record_of_the_first_node_survives_the_ring_forming_around_it);
	tcase_add_test(tc, a_publisher_puts_back_a_record_the_overlay_lost);
	tcase_add_test(tc, a_miss_at_the_responsible_node_is_asked_of_its_successor);
	tcase_add_test(tc, a_node_back_with_its_id_at_once_still_serves_its_records);
	tcase_add_test(tc, sixteen_nodes_converge_store_and_survive_a_quarter_failing);
	tcase_add_test(tc, eight_nodes_in_ice_mode_converge_store_and_survive_failures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
