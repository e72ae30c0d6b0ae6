/* R1 pre-creation: each generation holds a secret for binding puzzles to HITs
 * and, per identity and DH group, a DH key and an R1 signed with HIP_SIGNATURE_2. */
#include "hipd/r1cache.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/stamp.h"
#include "hipd/auth.h"
#include "hipd/hipd.h"
#include "hipd/nat.h"
#include "hipd/relay.h"

#define GEN_KEEP   2 /* current and previous generation */
#define MAX_GROUPS 8
#define MIN_AGE_NS 1000000000ull /* a used generation is replaced after >= 1 s */

/* #K is under HIP_SIGNATURE_2 (only #I and Opaque are zeroed for it), so each
 * difficulty in use has its own signed packet; all share the generation's DH key. */
enum { K_CALM, K_RAISED, K_SLOTS };

struct r1_tmpl {
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	size_t len;
	size_t puzzle_off; /* offset of the PUZZLE TLV; Opaque and #I are set per R1 */
	size_t sig_off;	   /* offset of HIP_SIGNATURE_2: what it covers ends here */
	uint8_t k;
};

struct r1_group {
	struct hip_dh *dh;
	struct r1_tmpl t[K_SLOTS];
};

struct r1_gen {
	uint64_t counter;
	uint64_t created_ns;
	bool used;
	uint8_t secret[32];
	struct r1_group t[HIPD_MAX_IDS][MAX_GROUPS];
};

struct r1cache {
	struct hipd *h;
	struct r1_gen *gens[GEN_KEEP]; /* [0] current */
	uint64_t next_counter;
};

static void gen_prebuild(struct r1cache *c);

static void gen_free(struct r1_gen *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < HIPD_MAX_IDS; i++)
		for (size_t j = 0; j < MAX_GROUPS; j++)
			hip_dh_free(g->t[i][j].dh);
	OPENSSL_cleanse(g->secret, sizeof(g->secret));
	free(g);
}

static int gen_new(struct r1cache *c, struct r1_gen **out)
{
	struct r1_gen *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	if (RAND_bytes(g->secret, sizeof(g->secret)) != 1) {
		free(g);
		return -EIO;
	}
	g->counter = c->next_counter++;
	g->created_ns = stamp_now_ns();
	*out = g;
	return 0;
}

void r1cache_rotate(struct r1cache *c)
{
	struct r1_gen *g;

	if (gen_new(c, &g) < 0) {
		log_err("r1: cannot start a new R1 generation; keeping the current one");
		return;
	}
	gen_free(c->gens[GEN_KEEP - 1]);
	memmove(&c->gens[1], &c->gens[0], sizeof(c->gens[0]) * (GEN_KEEP - 1));
	c->gens[0] = g;
	log_debug("r1: generation %llu", (unsigned long long)g->counter);
}

int r1cache_new(struct hipd *h, struct r1cache **out)
{
	struct r1cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->h = h;
	c->next_counter = 1;
	r1cache_rotate(c);
	if (!c->gens[0]) {
		free(c);
		return -EIO;
	}
	gen_prebuild(c);
	*out = c;
	return 0;
}

void r1cache_free(struct r1cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < GEN_KEEP; i++)
		gen_free(c->gens[i]);
	free(c);
}

uint64_t r1cache_generation(const struct r1cache *c)
{
	return c->gens[0]->counter;
}

static int id_index(const struct hipd *h, const struct hostid *id)
{
	for (size_t i = 0; i < h->nids; i++)
		if (h->ids[i] == id)
			return (int)i;
	return -1;
}

static int group_index(const struct hipd *h, uint8_t group)
{
	for (size_t i = 0; i < h->cfg.dh_groups.n && i < MAX_GROUPS; i++)
		if (h->cfg.dh_groups.ids[i] == group)
			return (int)i;
	return -1;
}

/* Our most preferred group that the Initiator listed; else our first (6.7 step 4). */
static uint8_t choose_group(const struct hipd *h, const struct hip_p_list8 *i1)
{
	for (size_t i = 0; i < h->cfg.dh_groups.n; i++)
		for (size_t j = 0; i1 && j < i1->n; j++)
			if (h->cfg.dh_groups.ids[i] == i1->ids[j])
				return h->cfg.dh_groups.ids[i];
	return h->cfg.dh_groups.ids[0];
}

static int build_host_id(struct wbuf *w, const struct hostid *id)
{
	struct hip_p_host_id hi = {
	    .algorithm = id->algorithm, .hi = id->hi, .hi_len = (uint16_t)id->hi_len};

	return hip_p_host_id_encode(w, &hi);
}

static int build_suite_list(struct wbuf *w, const struct hipd *h)
{
	struct hip_p_list8 l = {0};

	/* our identities' suites, default first, without duplicates (5.2.10) */
	for (size_t i = 0; i < h->nids; i++) {
		uint8_t s = (uint8_t)(h->ids[i]->suite << 4);
		bool dup = false;
		for (size_t j = 0; j < l.n; j++)
			dup = dup || l.ids[j] == s;
		if (!dup)
			l.ids[l.n++] = s;
	}
	return hip_p_list8_encode(w, HIP_PARAM_HIT_SUITE_LIST, &l);
}

/* R1 (RFC 7401 5.3.2 with RFC 7402 5.2.1.1) with difficulty k, signed with
 * receiver HIT, Opaque and #I zero; the DH key is the generation's for group. */
static int tmpl_build(struct r1cache *c, struct r1_gen *g, const struct hostid *id, uint8_t group,
		      const struct hip_dh *key, uint8_t k, struct r1_tmpl *t)
{
	struct hipd *h = c->h;
	static const struct in6_addr zero;
	uint8_t pub[HIP_DH_PUB_MAX];
	size_t pub_len;
	struct wbuf w;
	int err;

	t->len = 0;
	err = hip_dh_public(key, pub, sizeof(pub), &pub_len);
	if (err)
		return err;
	wbuf_init(&w, t->pkt, sizeof(t->pkt));
	hip_build_start(&w, HIP_R1, 0, &id->hit, &zero);
	struct hip_p_r1_counter rc = {.generation = g->counter};
	hip_p_r1_counter_encode(&w, &rc);
	t->puzzle_off = w.len;
	struct hip_p_puzzle pz = {
	    .k = k, .lifetime = h->cfg.puzzle_lifetime, .i_len = hip_rhash_len(id->suite)};
	hip_p_puzzle_encode(&w, &pz);
	hip_p_list8_encode(&w, HIP_PARAM_DH_GROUP_LIST, &h->cfg.dh_groups);
	struct hip_p_dh dh = {.group = group, .pub = pub, .pub_len = (uint16_t)pub_len};
	hip_p_dh_encode(&w, &dh);
	hip_p_list16_encode(&w, HIP_PARAM_HIP_CIPHER, &h->cfg.hip_ciphers);
	nat_build_r1(h, &w); /* NAT_TRAVERSAL_MODE, TRANSACTION_PACING (RFC 5770 4.3) */
	build_host_id(&w, id);
	build_suite_list(&w, h);
	relay_r1_params(h, &w); /* REG_INFO (930) with --relay-server, RFC 5770 4.1 */
	struct hip_p_list16 tf = {.ids = {HIP_PARAM_ESP_TRANSFORM}, .n = 1};
	hip_p_list16_encode(&w, HIP_PARAM_TRANSPORT_FORMAT_LIST, &tf);
	hip_p_esp_transform_encode(&w, &h->cfg.esp_suites);
	err = wbuf_error(&w);
	if (err)
		return err;
	t->sig_off = w.len;
	err = auth_sign_append(id, &w, HIP_PARAM_HIP_SIGNATURE_2);
	if (err)
		return err;
	t->len = w.len;
	t->k = k;
	return 0;
}

/* The signed R1 of this generation for identity ii, group gi and difficulty k,
 * built on first use (and again when the difficulty of its slot changed). */
static int tmpl_get(struct r1cache *c, struct r1_gen *g, const struct hostid *id, int ii, int gi,
		    uint8_t k, const struct r1_tmpl **out)
{
	struct r1_group *rg = &g->t[ii][gi];
	uint8_t group = c->h->cfg.dh_groups.ids[gi];
	struct r1_tmpl *t = &rg->t[k == c->h->cfg.puzzle_k ? K_CALM : K_RAISED];
	int err;

	if (!rg->dh) {
		err = hip_dh_generate(group, &rg->dh);
		if (err)
			return err;
	}
	if (!t->len || t->k != k) {
		err = tmpl_build(c, g, id, group, rg->dh, k, t);
		if (err)
			return err;
	}
	*out = t;
	return 0;
}

/* #I = HMAC(generation secret, HIT-I | HIT-R | K), truncated to RHASH length. */
static int puzzle_i(const struct r1_gen *g, const struct hostid *id, const struct in6_addr *hit_i,
		    uint8_t k, uint8_t *i, size_t *i_len)
{
	uint8_t in[33];

	memcpy(in, hit_i, 16);
	memcpy(in + 16, &id->hit, 16);
	in[32] = k;
	*i_len = HIP_RHASH_MAX;
	return hip_hmac(id->suite, g->secret, sizeof(g->secret), in, sizeof(in), i, i_len);
}

static bool gen_stale(const struct r1cache *c)
{
	const struct r1_gen *g = c->gens[0];
	uint64_t age = stamp_now_ns() - g->created_ns;

	if (g->used && age >= MIN_AGE_NS)
		return true;
	return age >= (uint64_t)c->h->cfg.r1_rotate_ms * 1000000ull;
}

/* The template for an I1: identity, DH group from the Initiator's list, k. */
static int tmpl_for(struct r1cache *c, const struct hostid *id, const struct hip_p_list8 *i1_groups,
		    uint8_t k, const struct r1_tmpl **t)
{
	int ii = id_index(c->h, id);
	int gi = group_index(c->h, choose_group(c->h, i1_groups));

	if (ii < 0 || gi < 0)
		return -EINVAL;
	return tmpl_get(c, c->gens[0], id, ii, gi, k, t);
}

/* Fills in what the signature leaves out: the receiver HIT, and the PUZZLE's
 * Opaque (the generation) and #I (RFC 7401 5.2.15). */
static int personalize(struct r1cache *c, const struct hostid *id, const struct in6_addr *hit_i,
		       uint8_t k, size_t puzzle_off, uint8_t *out)
{
	const struct r1_gen *g = c->gens[0];
	uint8_t i[HIP_RHASH_MAX];
	size_t i_len;
	int err = puzzle_i(g, id, hit_i, k, i, &i_len);

	if (err)
		return err;
	memcpy(out + 24, hit_i, 16); /* receiver HIT */
	/* PUZZLE contents: K, lifetime, opaque (2), #I; opaque carries the generation */
	size_t opaque = puzzle_off + 4 + 2;
	out[opaque] = (uint8_t)(g->counter >> 8);
	out[opaque + 1] = (uint8_t)g->counter;
	memcpy(out + opaque + 2, i, i_len);
	return 0;
}

int r1cache_make(struct r1cache *c, const struct hostid *id, const struct in6_addr *hit_i,
		 const struct hip_p_list8 *i1_groups, uint8_t k, uint8_t *out, size_t cap,
		 size_t *len)
{
	const struct r1_tmpl *t;
	int err = tmpl_for(c, id, i1_groups, k, &t);

	if (err)
		return err;
	if (t->len > cap)
		return -ENOBUFS;
	memcpy(out, t->pkt, t->len);
	*len = t->len;
	return personalize(c, id, hit_i, k, t->puzzle_off, out);
}

int r1cache_make_routed(struct r1cache *c, const struct hostid *id, const struct in6_addr *hit_i,
			const struct hip_p_list8 *i1_groups, uint8_t k, const uint8_t *extra,
			size_t extra_len, uint8_t *out, size_t cap, size_t *len)
{
	const struct r1_tmpl *t;
	struct wbuf w;
	int err = tmpl_for(c, id, i1_groups, k, &t);

	if (err)
		return err;
	/* the template up to its signature (receiver HIT, Opaque and #I still
	 * zero), the extra parameters, then a signature of its own */
	wbuf_init(&w, out, cap);
	wbuf_put(&w, t->pkt, t->sig_off);
	wbuf_put(&w, extra, extra_len);
	err = wbuf_error(&w);
	if (!err)
		err = auth_sign_append(id, &w, HIP_PARAM_HIP_SIGNATURE_2);
	if (err)
		return err;
	*len = w.len;
	return personalize(c, id, hit_i, k, t->puzzle_off, out);
}

/* Signs, ahead of the I1s, the R1 of each identity for our first DH group at the
 * calm difficulty; other groups and difficulties are built on first use. */
static void gen_prebuild(struct r1cache *c)
{
	const struct r1_tmpl *t;

	for (size_t i = 0; i < c->h->nids; i++)
		if (tmpl_get(c, c->gens[0], c->h->ids[i], (int)i, 0, c->h->cfg.puzzle_k, &t) < 0)
			log_warn("r1: cannot pre-create the R1 of identity %zu", i);
}

void r1cache_refresh(struct r1cache *c)
{
	if (!gen_stale(c))
		return;
	r1cache_rotate(c);
	gen_prebuild(c);
}

static struct r1_gen *gen_find(struct r1cache *c, bool has_counter, uint64_t counter,
			       uint16_t opaque)
{
	for (size_t i = 0; i < GEN_KEEP; i++) {
		struct r1_gen *g = c->gens[i];
		if (!g)
			continue;
		if (has_counter ? g->counter == counter : (uint16_t)g->counter == opaque)
			return g;
	}
	return NULL;
}

int r1cache_check_solution(struct r1cache *c, const struct hostid *id, const struct in6_addr *hit_i,
			   bool has_counter, uint64_t counter, const struct hip_p_solution *sol,
			   uint8_t dh_group, const struct hip_dh **dh)
{
	int ii = id_index(c->h, id);
	int gi = group_index(c->h, dh_group);
	struct r1_gen *g = gen_find(c, has_counter, counter, sol->opaque);
	uint8_t i[HIP_RHASH_MAX];
	size_t i_len;

	if (ii < 0)
		return -EINVAL;
	if (!g)
		return -ESTALE;
	if (gi < 0 || !g->t[ii][gi].dh)
		return -ENOENT;
	if (puzzle_i(g, id, hit_i, sol->k, i, &i_len) < 0)
		return -EIO;
	/* #I was computed over K too, so a matching #I proves we issued this K */
	if (sol->ij_len != i_len || CRYPTO_memcmp(i, sol->i, i_len) != 0)
		return -EBADMSG;
	if (hip_puzzle_verify(id->suite, sol->k, sol->i, sol->j, hit_i, &id->hit) < 0)
		return -EBADMSG;
	*dh = g->t[ii][gi].dh;
	return 0;
}

void r1cache_mark_used(struct r1cache *c, uint64_t counter)
{
	for (size_t i = 0; i < GEN_KEEP; i++)
		if (c->gens[i] && c->gens[i]->counter == counter)
			c->gens[i]->used = true;
}
