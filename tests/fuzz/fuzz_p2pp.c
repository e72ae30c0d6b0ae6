/* libFuzzer target for the P2PP codec: p2pp_parse, the grammar check, every typed decoder
 * over every object, and re-encoding of what decoded (which must decode again to the same
 * bytes) and of the whole message. Not a test of transactions or routing. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/p2pp/p2pp.h"
#include "p2psipd/p2pp/p2pp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

union decoded {
	struct p2pp_peer_info pi;
	uint32_t word;
	struct p2pp_p2p_options po;
	struct p2pp_plookup pl;
	struct p2pp_rlookup rl;
	struct p2pp_resource res;
	struct p2pp_error err;
	struct p2pp_ice_cred ice;
};

static struct p2pp_peer_info table[P2PP_MAX_PEERS];
static size_t table_n;

/* Decodes o with the decoder for its type; 0 when it decoded. */
static int decode(const struct p2pp_msg *m, const struct p2pp_obj *o, union decoded *d)
{
	switch (o->type) {
	case P2PP_O_PEER_INFO:
		return p2pp_get_peer_info(m, o, &d->pi);
	case P2PP_O_REQUEST_OPTIONS:
		return p2pp_get_request_options(m, o, &d->word);
	case P2PP_O_EXPIRES:
	case P2PP_O_UPTIME:
	case P2PP_O_TIME_WINDOW:
	case P2PP_O_AS_NUMBER:
		return p2pp_get_u32(m, o, &d->word);
	case P2PP_O_P2P_OPTIONS:
		return p2pp_get_p2p_options(m, o, &d->po);
	case P2PP_O_ROUTING_TABLE:
	case P2PP_O_NEIGHBOR_TABLE:
		return p2pp_get_table(m, o, table, P2PP_MAX_PEERS, &table_n);
	case P2PP_O_PLOOKUP:
		return p2pp_get_plookup(m, o, &d->pl);
	case P2PP_O_RLOOKUP:
		return p2pp_get_rlookup(m, o, &d->rl);
	case P2PP_O_RESOURCE_OBJECT:
		return p2pp_get_resource(m, o, &d->res);
	case P2PP_O_ERROR:
		return p2pp_get_error(m, o, &d->err);
	case P2PP_O_ICE_CREDENTIALS:
		return p2pp_get_ice_cred(m, o, &d->ice);
	default:
		return -1; /* known but only meaningful nested (Peer-ID, Owner ...) */
	}
}

static int encode(struct p2pp_builder *b, uint8_t type, const union decoded *d)
{
	switch (type) {
	case P2PP_O_PEER_INFO:
		return p2pp_put_peer_info(b, &d->pi);
	case P2PP_O_REQUEST_OPTIONS:
		return p2pp_put_request_options(b, d->word);
	case P2PP_O_EXPIRES:
	case P2PP_O_UPTIME:
	case P2PP_O_TIME_WINDOW:
	case P2PP_O_AS_NUMBER:
		return p2pp_put_u32(b, type, d->word);
	case P2PP_O_P2P_OPTIONS:
		return p2pp_put_p2p_options(b, &d->po);
	case P2PP_O_ROUTING_TABLE:
	case P2PP_O_NEIGHBOR_TABLE:
		return p2pp_put_table(b, type, table, table_n);
	case P2PP_O_PLOOKUP:
		return p2pp_put_plookup(b, &d->pl);
	case P2PP_O_RLOOKUP:
		return p2pp_put_rlookup(b, &d->rl);
	case P2PP_O_RESOURCE_OBJECT:
		return p2pp_put_resource(b, &d->res);
	case P2PP_O_ERROR:
		return p2pp_put_error(b, &d->err);
	case P2PP_O_ICE_CREDENTIALS:
		return p2pp_put_ice_cred(b, &d->ice);
	default:
		abort();
	}
}

/* One object alone under header h, encoded from d; its length in *n. A
 * canonical encoding is never longer than what was decoded, so it fits. */
static void encode_alone(uint8_t *out, size_t cap, const struct p2pp_hdr *h, uint8_t type,
			 const union decoded *d, size_t *n)
{
	struct p2pp_builder b;

	p2pp_build_init(&b, out, cap, h);
	encode(&b, type, d);
	if (p2pp_finish(&b, n))
		abort(); /* what decoded must encode */
}

/* The signed bytes a decoder reports are the bytes p2pp_resource_tbs builds. */
static void check_tbs(const struct p2pp_resource *r)
{
	static uint8_t tbs[P2PP_MAX_MSG];
	size_t n;

	if (!r->sig.len)
		return;
	if (p2pp_resource_tbs(r, tbs, sizeof(tbs), &n) || n != r->signed_part.len ||
	    memcmp(tbs, r->signed_part.p, n) != 0)
		abort();
}

/* decode -> encode -> decode -> encode: the two encodings are equal. */
static void reencode(const struct p2pp_msg *m, const struct p2pp_obj *o)
{
	static uint8_t one[P2PP_MAX_MSG], two[P2PP_MAX_MSG];
	static union decoded d;
	struct p2pp_msg back;
	size_t n1, n2;

	if (decode(m, o, &d))
		return;
	encode_alone(one, sizeof(one), &m->h, o->type, &d, &n1);
	if (p2pp_parse(&back, one, n1) || back.n_objs != 1 || decode(&back, &back.objs[0], &d))
		abort();
	/* Only our own (canonical) encoding must sign the bytes tbs builds. */
	if (o->type == P2PP_O_RESOURCE_OBJECT)
		check_tbs(&d.res);
	encode_alone(two, sizeof(two), &m->h, o->type, &d, &n2);
	if (n1 != n2 || memcmp(one, two, n1) != 0)
		abort();
}

static int same_header(const struct p2pp_hdr *a, const struct p2pp_hdr *b)
{
	return a->kind == b->kind && a->ack == b->ack && a->peer == b->peer &&
	       a->recursive == b->recursive && a->code == b->code && a->type == b->type &&
	       a->ttl == b->ttl && a->tid == b->tid && a->id_len == b->id_len &&
	       memcmp(a->src_id, b->src_id, a->id_len) == 0 &&
	       memcmp(a->resp_id, b->resp_id, a->id_len) == 0;
}

/* The header and every kept object, put back raw, parse to the same. */
static void rebuild(const struct p2pp_msg *m)
{
	static uint8_t out[P2PP_MAX_MSG];
	struct p2pp_builder b;
	struct p2pp_msg back;
	size_t n;

	p2pp_build_init(&b, out, sizeof(out), &m->h);
	for (size_t i = 0; i < m->n_objs; i++)
		p2pp_put(&b, m->objs[i].type, m->objs[i].ab, m->buf + m->objs[i].off,
			 m->objs[i].len);
	if (p2pp_finish(&b, &n) || p2pp_parse(&back, out, n) || back.n_objs != m->n_objs)
		abort();
	if (!same_header(&back.h, &m->h))
		abort();
	for (size_t i = 0; i < m->n_objs; i++) {
		const struct p2pp_obj *a = &m->objs[i], *c = &back.objs[i];

		if (a->type != c->type || a->ab != c->ab || a->len != c->len ||
		    memcmp(m->buf + a->off, out + c->off, a->len) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct p2pp_msg m;
	int err = p2pp_parse(&m, data, size);

	if (err == -EBADMSG || (err && err != -ENOTSUP))
		return 0;
	p2pp_check_grammar(&m);
	for (size_t i = 0; i < m.n_objs; i++)
		reencode(&m, &m.objs[i]);
	if (!err)
		rebuild(&m);
	return 0;
}
