/* Unit tests of the P2PP codec (p2psipd/p2pp/): byte layouts from the draft's figures,
 * round trips of every message and object, malformed input. Not transactions or routing. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/p2pp/p2pp.h"
#include "p2psipd/p2pp/p2pp_msg.h"

static const uint8_t id_a[P2PP_ID_LEN] = {0x20, 0x01, 0x00, 0x10, 0xaa, 0xbb, 0xcc, 0xdd,
					  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
static const uint8_t id_b[P2PP_ID_LEN] = {0x20, 0x01, 0x00, 0x10, 0x11, 0x22, 0x33, 0x44,
					  0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8};
static const uint8_t cert_bytes[] = "not really DER, opaque to the codec";
static const uint8_t sig_bytes[] = "signature over the resource object";
static const uint8_t owner_bytes[] = "sip:alice@example.org";
static const uint8_t value_bytes[] = {0x20, 0x01, 0x00, 0x10, 0xaa, 0xbb, 0xcc, 0xdd, 0x09};
static const char ufrag[] = "abcd";
static const char pwd[] = "0123456789abcdefghijkl";
static const char overlay[] = "hipsip-test";

static uint8_t buf[P2PP_MAX_MSG];

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ')
			continue;
		v = *s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10;
		ck_assert(v >= 0 && v < 16);
		if (hi < 0) {
			hi = v;
			continue;
		}
		ck_assert_uint_lt(n, cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return n;
}

static void expect_bytes(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(hex, want, sizeof(want));

	ck_assert_uint_eq(len, n);
	ck_assert_mem_eq(got, want, n);
}

static struct p2pp_hdr hdr(uint8_t kind, uint8_t type, uint16_t code)
{
	struct p2pp_hdr h = {.kind = kind, .type = type, .code = code, .peer = 1, .ttl = 8};

	h.tid = 0x01020304;
	memcpy(h.src_id, id_a, P2PP_ID_LEN);
	memcpy(h.resp_id, id_b, P2PP_ID_LEN);
	return h;
}

/* ---- samples of every object ---- */

static void sample_peer(struct p2pp_peer_info *pi, const uint8_t *id, int full)
{
	memset(pi, 0, sizeof(*pi));
	pi->has_id = 1;
	memcpy(pi->id, id, P2PP_ID_LEN);
	pi->n_cands = 3;
	pi->cands[0] = (struct p2pp_cand){.foundation = 1,
					  .component = 1,
					  .priority = 0x7effffff,
					  .transport = P2PP_TT_UDP,
					  .type = P2PP_HT_HOST,
					  .addr = {.ver = 4, .port = 7080, .ip = {192, 0, 2, 1}}};
	pi->cands[1] =
	    (struct p2pp_cand){.foundation = 2,
			       .component = 1,
			       .priority = 0x64ffffff,
			       .type = P2PP_HT_SRFLX,
			       .addr = {.ver = 4, .port = 40000, .ip = {198, 51, 100, 7}},
			       .has_rel = 1,
			       .rel = {.ver = 4, .port = 7080, .ip = {192, 0, 2, 1}}};
	pi->cands[2] = (struct p2pp_cand){
	    .foundation = 3,
	    .component = 1,
	    .priority = 0x00ffffff,
	    .transport = P2PP_TT_TCP,
	    .type = P2PP_HT_RELAY,
	    .addr = {.ver = 6, .port = 3478, .ip = {0x20, 0x01, 0x0d, 0xb8}},
	    .has_rel = 1,
	    .rel = {.ver = 6, .port = 1, .ip = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}}};
	if (!full)
		return;
	pi->has_uptime = pi->has_expires = pi->has_conns = pi->has_util = pi->has_cert = 1;
	pi->uptime = 12345;
	pi->expires = 30;
	pi->conns = (struct p2pp_conns){4, 9, 2};
	pi->util = (struct p2pp_util){100000, 42, 7};
	pi->cert_subtype = P2PP_CERT_SELF_SIGNED;
	pi->cert = (struct p2pp_bytes){cert_bytes, sizeof(cert_bytes)};
	pi->unhashed_id = (struct p2pp_bytes){owner_bytes, sizeof(owner_bytes) - 1};
}

static void sample_resource(struct p2pp_resource *r, int signed_part)
{
	memset(r, 0, sizeof(*r));
	r->cont_type = P2PP_CT_USER_INFO;
	r->sub_type = 1;
	memcpy(r->id, id_b, P2PP_ID_LEN);
	r->value = (struct p2pp_bytes){value_bytes, sizeof(value_bytes)};
	r->owner = (struct p2pp_bytes){owner_bytes, sizeof(owner_bytes) - 1};
	r->has_expires = 1;
	r->expires = 3600;
	r->has_cert = 1;
	r->cert_subtype = P2PP_CERT_SELF_SIGNED;
	r->cert = (struct p2pp_bytes){cert_bytes, sizeof(cert_bytes)};
	if (signed_part)
		r->sig = (struct p2pp_bytes){sig_bytes, sizeof(sig_bytes)};
}

static void bytes_eq(struct p2pp_bytes a, struct p2pp_bytes b)
{
	ck_assert_uint_eq(a.len, b.len);
	if (a.len)
		ck_assert_mem_eq(a.p, b.p, a.len);
}

static void peer_eq(const struct p2pp_peer_info *a, const struct p2pp_peer_info *b)
{
	ck_assert_uint_eq(a->has_id, b->has_id);
	if (a->has_id)
		ck_assert_mem_eq(a->id, b->id, P2PP_ID_LEN);
	ck_assert_uint_eq(a->n_cands, b->n_cands);
	for (size_t i = 0; i < a->n_cands; i++) {
		const struct p2pp_cand *x = &a->cands[i], *y = &b->cands[i];

		ck_assert_uint_eq(x->foundation, y->foundation);
		ck_assert_uint_eq(x->component, y->component);
		ck_assert_uint_eq(x->priority, y->priority);
		ck_assert_uint_eq(x->transport, y->transport);
		ck_assert_uint_eq(x->type, y->type);
		ck_assert_mem_eq(&x->addr, &y->addr, sizeof(x->addr));
		ck_assert_uint_eq(x->has_rel, y->has_rel);
		if (x->has_rel)
			ck_assert_mem_eq(&x->rel, &y->rel, sizeof(x->rel));
	}
	ck_assert_uint_eq(a->has_uptime, b->has_uptime);
	ck_assert_uint_eq(a->uptime, b->uptime);
	ck_assert_uint_eq(a->has_expires, b->has_expires);
	ck_assert_uint_eq(a->expires, b->expires);
	ck_assert_uint_eq(a->has_conns, b->has_conns);
	ck_assert_mem_eq(&a->conns, &b->conns, sizeof(a->conns));
	ck_assert_uint_eq(a->has_util, b->has_util);
	ck_assert_uint_eq(a->util.bandwidth_kbps, b->util.bandwidth_kbps);
	ck_assert_uint_eq(a->util.cpu, b->util.cpu);
	ck_assert_uint_eq(a->util.bw, b->util.bw);
	ck_assert_uint_eq(a->has_cert, b->has_cert);
	ck_assert_uint_eq(a->cert_subtype, b->cert_subtype);
	bytes_eq(a->cert, b->cert);
	bytes_eq(a->unhashed_id, b->unhashed_id);
}

static void resource_eq(const struct p2pp_resource *a, const struct p2pp_resource *b)
{
	ck_assert_uint_eq(a->cont_type, b->cont_type);
	ck_assert_uint_eq(a->sub_type, b->sub_type);
	ck_assert_mem_eq(a->id, b->id, P2PP_ID_LEN);
	bytes_eq(a->value, b->value);
	bytes_eq(a->owner, b->owner);
	ck_assert_uint_eq(a->has_expires, b->has_expires);
	ck_assert_uint_eq(a->expires, b->expires);
	ck_assert_uint_eq(a->has_cert, b->has_cert);
	ck_assert_uint_eq(a->cert_subtype, b->cert_subtype);
	bytes_eq(a->cert, b->cert);
	bytes_eq(a->sig, b->sig);
}

#define RO_SAMPLE (P2PP_RO_ROUTING_TABLE | P2PP_RO_NEIGHBOR_TABLE | P2PP_RO_SEPARATE)
#define N_TABLE	  3

static void put_sample(struct p2pp_builder *b, uint8_t type)
{
	struct p2pp_peer_info peers[N_TABLE];
	struct p2pp_resource r;
	struct p2pp_p2p_options o = {P2PP_HASH_SHA1,
				     P2PP_ID_LEN,
				     P2PP_ALG_CHORD,
				     2,
				     {(const uint8_t *)overlay, sizeof(overlay) - 1}};
	struct p2pp_plookup pl = {.num = 1, .exact = 1};
	struct p2pp_rlookup rl = {.cont_type = P2PP_CT_STUN, .owner = {owner_bytes, 5}};
	struct p2pp_error e = {404, 0, 0, {(const uint8_t *)"Not found", 9}};
	struct p2pp_ice_cred c = {{(const uint8_t *)ufrag, sizeof(ufrag) - 1},
				  {(const uint8_t *)pwd, sizeof(pwd) - 1}};

	memcpy(pl.ida, id_b, P2PP_ID_LEN);
	memcpy(rl.id, id_b, P2PP_ID_LEN);
	switch (type) {
	case P2PP_O_PEER_INFO:
		sample_peer(&peers[0], id_a, 1);
		ck_assert_int_eq(p2pp_put_peer_info(b, &peers[0]), 0);
		break;
	case P2PP_O_REQUEST_OPTIONS:
		ck_assert_int_eq(p2pp_put_request_options(b, RO_SAMPLE), 0);
		break;
	case P2PP_O_P2P_OPTIONS:
		ck_assert_int_eq(p2pp_put_p2p_options(b, &o), 0);
		break;
	case P2PP_O_EXPIRES:
		ck_assert_int_eq(p2pp_put_expires(b, 3600), 0);
		break;
	case P2PP_O_ROUTING_TABLE:
	case P2PP_O_NEIGHBOR_TABLE:
		for (size_t i = 0; i < N_TABLE; i++)
			sample_peer(&peers[i], i & 1 ? id_a : id_b, (int)i);
		ck_assert_int_eq(p2pp_put_table(b, type, peers, N_TABLE), 0);
		break;
	case P2PP_O_PLOOKUP:
		ck_assert_int_eq(p2pp_put_plookup(b, &pl), 0);
		break;
	case P2PP_O_RLOOKUP:
		ck_assert_int_eq(p2pp_put_rlookup(b, &rl), 0);
		break;
	case P2PP_O_RESOURCE_OBJECT:
		sample_resource(&r, 1);
		ck_assert_int_eq(p2pp_put_resource(b, &r), 0);
		break;
	case P2PP_O_ERROR:
		ck_assert_int_eq(p2pp_put_error(b, &e), 0);
		break;
	case P2PP_O_ICE_CREDENTIALS:
		ck_assert_int_eq(p2pp_put_ice_cred(b, &c), 0);
		break;
	case P2PP_O_FLOW:
		ck_assert_int_eq(p2pp_put_flow(b, &(struct p2pp_flow){P2PP_FLOW_SIP, 0xc0ffee01u}),
				 0);
		break;
	default:
		ck_abort_msg("no sample for object type %u", type);
	}
}

static void check_sample(const struct p2pp_msg *m, const struct p2pp_obj *o)
{
	struct p2pp_peer_info want[N_TABLE], got[N_TABLE];
	struct p2pp_resource rw, rg;
	struct p2pp_p2p_options po;
	struct p2pp_plookup pl;
	struct p2pp_rlookup rl;
	struct p2pp_error e;
	struct p2pp_ice_cred c;
	struct p2pp_flow f;
	uint32_t v;
	size_t n;

	switch (o->type) {
	case P2PP_O_PEER_INFO:
		sample_peer(&want[0], id_a, 1);
		ck_assert_int_eq(p2pp_get_peer_info(m, o, &got[0]), 0);
		peer_eq(&want[0], &got[0]);
		break;
	case P2PP_O_REQUEST_OPTIONS:
		ck_assert_int_eq(p2pp_get_request_options(m, o, &v), 0);
		ck_assert_uint_eq(v, RO_SAMPLE);
		break;
	case P2PP_O_P2P_OPTIONS:
		ck_assert_int_eq(p2pp_get_p2p_options(m, o, &po), 0);
		ck_assert_uint_eq(po.hash_alg, P2PP_HASH_SHA1);
		ck_assert_uint_eq(po.hash_len, P2PP_ID_LEN);
		ck_assert_uint_eq(po.p2p_alg, P2PP_ALG_CHORD);
		ck_assert_uint_eq(po.base, 2);
		bytes_eq(po.overlay_id, (struct p2pp_bytes){(const uint8_t *)overlay, 11});
		break;
	case P2PP_O_EXPIRES:
		ck_assert_int_eq(p2pp_get_u32(m, o, &v), 0);
		ck_assert_uint_eq(v, 3600);
		break;
	case P2PP_O_ROUTING_TABLE:
	case P2PP_O_NEIGHBOR_TABLE:
		ck_assert_int_eq(p2pp_get_table(m, o, got, N_TABLE, &n), 0);
		ck_assert_uint_eq(n, N_TABLE);
		for (size_t i = 0; i < N_TABLE; i++) {
			sample_peer(&want[i], i & 1 ? id_a : id_b, (int)i);
			peer_eq(&want[i], &got[i]);
		}
		break;
	case P2PP_O_PLOOKUP:
		ck_assert_int_eq(p2pp_get_plookup(m, o, &pl), 0);
		ck_assert_uint_eq(pl.num, 1);
		ck_assert_uint_eq(pl.exact, 1);
		ck_assert_uint_eq(pl.range, 0);
		ck_assert_mem_eq(pl.ida, id_b, P2PP_ID_LEN);
		break;
	case P2PP_O_RLOOKUP:
		ck_assert_int_eq(p2pp_get_rlookup(m, o, &rl), 0);
		ck_assert_uint_eq(rl.cont_type, P2PP_CT_STUN);
		ck_assert_mem_eq(rl.id, id_b, P2PP_ID_LEN);
		bytes_eq(rl.owner, (struct p2pp_bytes){owner_bytes, 5});
		break;
	case P2PP_O_RESOURCE_OBJECT:
		sample_resource(&rw, 1);
		ck_assert_int_eq(p2pp_get_resource(m, o, &rg), 0);
		resource_eq(&rw, &rg);
		break;
	case P2PP_O_ERROR:
		ck_assert_int_eq(p2pp_get_error(m, o, &e), 0);
		ck_assert_uint_eq(e.code, 404);
		bytes_eq(e.reason, (struct p2pp_bytes){(const uint8_t *)"Not found", 9});
		break;
	case P2PP_O_ICE_CREDENTIALS:
		ck_assert_int_eq(p2pp_get_ice_cred(m, o, &c), 0);
		bytes_eq(c.ufrag, (struct p2pp_bytes){(const uint8_t *)ufrag, 4});
		bytes_eq(c.pwd, (struct p2pp_bytes){(const uint8_t *)pwd, 22});
		break;
	case P2PP_O_FLOW:
		ck_assert_int_eq(p2pp_get_flow(m, o, &f), 0);
		ck_assert_uint_eq(f.app, P2PP_FLOW_SIP);
		ck_assert_uint_eq(f.id, 0xc0ffee01u);
		break;
	default:
		ck_abort_msg("unexpected object type %u", o->type);
	}
}

/* ---- exact layouts ---- */

/* 9.1: V=1 (2 bits), T, A, P, R, 9 reserved bits, type, TTL, magic, TID,
 * length, Source-ID; no Response-ID in a request. */
START_TEST(request_header_is_laid_out_as_figure_9_1)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_JOIN, 0);
	size_t n;

	h.recursive = 1;
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	expect_bytes(buf, n,
		     "4600 03 08 596abf0d 01020304 00000000"
		     "20010010aabbccdd0102030405060708");
}
END_TEST

/* 9.1: responses carry the code in the 9 rightmost reserved bits and a
 * Response-ID after the Source-ID; the length counts what follows. */
START_TEST(response_header_carries_code_and_response_id)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_RESPONSE, P2PP_LOOKUP_PEER, P2PP_NEXT_HOP);
	size_t n;

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	ck_assert_int_eq(p2pp_put_expires(&b, 3600), 0);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	/* 0x4000 V=1 | 0x2000 T=10 | 0x0400 P | 302 = 0x12e */
	expect_bytes(buf, n,
		     "652e 06 08 596abf0d 01020304 00000008"
		     "20010010aabbccdd0102030405060708"
		     "20010010112233 44f1f2f3f4f5f6f7f8"
		     "0e000004 00000e10");
}
END_TEST

/* 9.1: Bootstrap and Authenticate use four-byte IDs, in requests and responses. */
START_TEST(bootstrap_ids_are_four_bytes)
{
	struct p2pp_builder b;
	struct p2pp_msg m;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_BOOTSTRAP, 0);
	size_t n;

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_uint_eq(n, P2PP_FIXED_LEN + 4);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.h.id_len, 4);
	ck_assert_mem_eq(m.h.src_id, id_a, 4);

	h = hdr(P2PP_RESPONSE_ACK, P2PP_AUTHENTICATE, P2PP_OK);
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_uint_eq(n, P2PP_FIXED_LEN + 8);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_mem_eq(m.h.resp_id, id_b, 4);
}
END_TEST

/* 9.2 object header, 9.3.1 Address-Info inside a Peer-Info, 9.3.7 PLookup. */
START_TEST(objects_are_laid_out_as_figures_9_2_and_9_3)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_LOOKUP_PEER, 0);
	struct p2pp_peer_info pi;
	struct p2pp_plookup pl = {.num = 1, .exact = 1};
	size_t n;

	sample_peer(&pi, id_a, 0);
	pi.has_id = 0;
	pi.n_cands = 1;
	memcpy(pl.ida, id_b, P2PP_ID_LEN);
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	p2pp_put_peer_info(&b, &pi);
	p2pp_put_plookup(&b, &pl);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	expect_bytes(buf + 32, n - 32,
		     /* Peer-Info (0), AB=00, length 19 */
		     "00 00 0013"
		     /* Address-Info (2), length 15: Num 1, R=0 IP-ver 4, foundation 1,
		      * component 1, priority, TT=UDP HT=host, port 7080, 192.0.2.1 */
		     "02 00 000f 01 04 01 01 7effffff 00 1ba8 c0000201"
		     /* PLookup (10), length 17: Num 1, E=1, R=0; Peer-IDa */
		     "0a 00 0011 06 20010010112233 44f1f2f3f4f5f6f7f8");
}
END_TEST

/* 9.3.10 with our Resource-Value object; a Signature last, covering the rest. */
START_TEST(resource_object_layout_and_signed_bytes)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_PUBLISH, 0);
	struct p2pp_resource r = {.cont_type = P2PP_CT_STUN, .sub_type = 0};
	struct p2pp_resource got;
	struct p2pp_msg m;
	uint8_t tbs[256];
	size_t n, tn;

	memcpy(r.id, id_b, P2PP_ID_LEN);
	r.value = (struct p2pp_bytes){(const uint8_t *)"\xc0\x00\x02\x01\x0d\x96", 6};
	r.sig = (struct p2pp_bytes){(const uint8_t *)"\x99\x98", 2};
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	p2pp_put_resource(&b, &r);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	expect_bytes(buf + 32, n - 32,
		     "0d 00 0026 01 00"
		     "0b 00 0010 20010010112233 44f1f2f3f4f5f6f7f8"
		     "80 00 0006 c0000201 0d96"
		     "12 00 0002 9998");
	ck_assert_int_eq(p2pp_resource_tbs(&r, tbs, sizeof(tbs), &tn), 0);
	ck_assert_uint_eq(tn, 2 + 20 + 10);
	ck_assert_mem_eq(tbs, buf + 36, tn);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_int_eq(p2pp_get_resource(&m, &m.objs[0], &got), 0);
	bytes_eq(got.signed_part, (struct p2pp_bytes){tbs, tn});
	bytes_eq(got.sig, r.sig);
}
END_TEST

/* ---- round trips ---- */

struct spec {
	uint8_t type, kind;
	uint16_t code;
	uint8_t objs[6];
	size_t n;
};

#define PI  P2PP_O_PEER_INFO
#define RO  P2PP_O_REQUEST_OPTIONS
#define RES P2PP_O_RESOURCE_OBJECT
#define EXP P2PP_O_EXPIRES
#define RT  P2PP_O_ROUTING_TABLE
#define NT  P2PP_O_NEIGHBOR_TABLE
#define REQ P2PP_REQUEST
#define RSP P2PP_RESPONSE
#define IND P2PP_INDICATION
#define RAK P2PP_RESPONSE_ACK

/* Section 8, one line per message and direction. */
static const struct spec specs[] = {
    {P2PP_BOOTSTRAP, REQ, 0, {PI}, 1},
    {P2PP_BOOTSTRAP, RSP, 200, {PI, PI, P2PP_O_P2P_OPTIONS, PI}, 4},
    {P2PP_JOIN, REQ, 0, {RO, PI}, 2},
    {P2PP_JOIN, RAK, 200, {PI, EXP, RT, NT}, 4},
    {P2PP_LEAVE, IND, 0, {PI, RES, RES}, 3},
    {P2PP_KEEPALIVE, IND, 0, {PI, EXP}, 2},
    {P2PP_KEEPALIVE, REQ, 0, {PI, EXP}, 2},
    {P2PP_KEEPALIVE, RSP, 200, {PI, EXP}, 2},
    {P2PP_LOOKUP_PEER, REQ, 0, {RO, PI, P2PP_O_PLOOKUP}, 3},
    {P2PP_LOOKUP_PEER, RSP, 200, {PI, PI, PI}, 3},
    {P2PP_LOOKUP_PEER, RAK, 302, {PI, PI}, 2},
    {P2PP_EXCHANGE_TABLE, REQ, 0, {PI, RO}, 2},
    {P2PP_EXCHANGE_TABLE, REQ, 0, {PI, RT, NT}, 3},
    {P2PP_EXCHANGE_TABLE, RSP, 200, {PI, RT, NT}, 3},
    {P2PP_QUERY, REQ, 0, {PI}, 1},
    {P2PP_QUERY, RSP, 200, {PI, P2PP_O_P2P_OPTIONS}, 2},
    {P2PP_PUBLISH, REQ, 0, {RO, PI, RES}, 3},
    {P2PP_PUBLISH, RSP, 200, {PI, EXP}, 2},
    {P2PP_LOOKUP_OBJECT, REQ, 0, {RO, PI, P2PP_O_RLOOKUP}, 3},
    {P2PP_LOOKUP_OBJECT, RSP, 200, {PI, RES}, 2},
    {P2PP_LOOKUP_OBJECT, RSP, 404, {PI, P2PP_O_ERROR}, 2},
    {P2PP_REMOVE_OBJECT, REQ, 0, {PI, RES}, 2},
    {P2PP_REMOVE_OBJECT, RSP, 200, {PI}, 1},
    {P2PP_REPLICATE, REQ, 0, {PI, RES, RES}, 3},
    {P2PP_REPLICATE, RSP, 200, {PI}, 1},
    {P2PP_TRANSFER, REQ, 0, {PI, RES}, 2},
    {P2PP_TRANSFER, RSP, 200, {PI}, 1},
    {P2PP_TUNNEL, REQ, 0, {RO, PI, RES}, 3},
    {P2PP_TUNNEL, RSP, 200, {PI}, 1},
    {P2PP_CONNECT, REQ, 0, {RO, PI, P2PP_O_PLOOKUP, P2PP_O_ICE_CREDENTIALS}, 4},
    {P2PP_CONNECT, RAK, 200, {PI, P2PP_O_ICE_CREDENTIALS}, 2},
    /* a Connect for a SIP flow (ours): the Flow object both ways */
    {P2PP_CONNECT, REQ, 0, {PI, P2PP_O_PLOOKUP, P2PP_O_ICE_CREDENTIALS, P2PP_O_FLOW}, 4},
    {P2PP_CONNECT, RAK, 200, {PI, P2PP_O_ICE_CREDENTIALS, P2PP_O_FLOW}, 3},
};
#define N_SPECS (sizeof(specs) / sizeof(specs[0]))

static size_t build_spec(const struct spec *s)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(s->kind, s->type, s->code);
	size_t n;

	h.recursive = s->kind == REQ;
	h.tid = 0xdead0000u + s->type;
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	for (size_t i = 0; i < s->n; i++)
		put_sample(&b, s->objs[i]);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	return n;
}

/* Section 8: every message we use, built, parsed, checked against its grammar
 * and every object decoded back to what was put in. */
START_TEST(every_message_round_trips)
{
	const struct spec *s = &specs[_i];
	struct p2pp_msg m;
	size_t n = build_spec(s);

	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_int_eq(p2pp_check_grammar(&m), 0);
	ck_assert_uint_eq(m.h.kind, s->kind);
	ck_assert_uint_eq(m.h.type, s->type);
	ck_assert_uint_eq(m.h.code, s->code);
	ck_assert_uint_eq(m.h.tid, 0xdead0000u + s->type);
	ck_assert_uint_eq(m.h.recursive, s->kind == REQ);
	ck_assert_uint_eq(m.h.peer, 1);
	ck_assert_uint_eq(m.h.ttl, 8);
	ck_assert_mem_eq(m.h.src_id, id_a, m.h.id_len);
	if (s->kind == RSP || s->kind == RAK)
		ck_assert_mem_eq(m.h.resp_id, id_b, m.h.id_len);
	ck_assert_uint_eq(m.n_objs, s->n);
	for (size_t i = 0; i < s->n; i++) {
		ck_assert_uint_eq(m.objs[i].type, s->objs[i]);
		check_sample(&m, &m.objs[i]);
	}
}
END_TEST

/* 9.3.1: a Peer-Info with only candidates (no Peer-ID), IPv6, related addresses. */
START_TEST(peer_info_without_peer_id_round_trips)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_JOIN, 0);
	struct p2pp_peer_info pi, got;
	struct p2pp_msg m;
	size_t n;

	sample_peer(&pi, id_a, 0);
	pi.has_id = 0;
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	p2pp_put_peer_info(&b, &pi);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_int_eq(p2pp_get_peer_info(&m, p2pp_find(&m, PI, NULL), &got), 0);
	peer_eq(&pi, &got);
}
END_TEST

/* 9.3.7: a range lookup carries Peer-IDb. */
START_TEST(range_plookup_carries_both_ids)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_LOOKUP_PEER, 0);
	struct p2pp_plookup pl = {.num = 63, .range = 1}, got;
	struct p2pp_msg m;
	size_t n;

	memcpy(pl.ida, id_a, P2PP_ID_LEN);
	memcpy(pl.idb, id_b, P2PP_ID_LEN);
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	p2pp_put_plookup(&b, &pl);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.objs[0].len, 1 + 2 * P2PP_ID_LEN);
	ck_assert_int_eq(p2pp_get_plookup(&m, &m.objs[0], &got), 0);
	ck_assert_uint_eq(got.num, 63);
	ck_assert_uint_eq(got.range, 1);
	ck_assert_mem_eq(got.idb, id_b, P2PP_ID_LEN);
}
END_TEST

/* 9.3.10: without a Signature the signed bytes are the whole value. */
START_TEST(unsigned_resource_has_no_signature)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_PUBLISH, 0);
	struct p2pp_resource r, got;
	struct p2pp_msg m;
	size_t n;

	sample_resource(&r, 0);
	r.value.len = 0; /* an empty value is allowed */
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	p2pp_put_resource(&b, &r);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_int_eq(p2pp_get_resource(&m, &m.objs[0], &got), 0);
	resource_eq(&r, &got);
	ck_assert_uint_eq(got.signed_part.len, m.objs[0].len);
}
END_TEST

/* 4.3.1: an ACK copies source-ID and response-ID back when both were there,
 * else puts its own ID in the response-ID; it has the A flag and no body. */
START_TEST(acks_follow_section_4_3_1)
{
	struct p2pp_hdr rx = hdr(P2PP_REQUEST, P2PP_JOIN, 0), ack;
	struct p2pp_builder b;
	struct p2pp_msg m;
	size_t n;

	memset(rx.resp_id, 0, P2PP_ID_LEN);
	p2pp_ack_hdr(&rx, id_b, &ack);
	ck_assert_uint_eq(ack.ack, 1);
	ck_assert_mem_eq(ack.resp_id, id_b, P2PP_ID_LEN);
	p2pp_build_init(&b, buf, sizeof(buf), &ack);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_uint_eq(n, P2PP_FIXED_LEN + 2 * P2PP_ID_LEN);
	ck_assert_uint_eq(buf[0] & 0x08, 0x08);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_int_eq(p2pp_check_grammar(&m), 0);
	ck_assert_mem_eq(m.h.resp_id, id_b, P2PP_ID_LEN);

	rx = hdr(P2PP_RESPONSE_ACK, P2PP_JOIN, 200);
	p2pp_ack_hdr(&rx, id_a, &ack);
	ck_assert_mem_eq(ack.resp_id, id_b, P2PP_ID_LEN);
	ck_assert_uint_eq(ack.code, 200);
	ck_assert_uint_eq(ack.kind, P2PP_RESPONSE_ACK);
}
END_TEST

/* 9.2: AB=01 objects of unknown types are dropped and the rest processed;
 * AB=00 unknown objects reject the message (the header stays readable for
 * the 400 with sub-code 1). The same rule inside a Peer-Info. */
START_TEST(unknown_objects_follow_the_ab_bits)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_JOIN, 0);
	struct p2pp_peer_info pi;
	struct p2pp_msg m;
	size_t n;

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	p2pp_put(&b, 200, P2PP_OBJ_IGNORE, "xyz", 3);
	put_sample(&b, PI);
	p2pp_put(&b, P2PP_O_CSR, P2PP_OBJ_IGNORE, NULL, 0);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.n_objs, 1);
	ck_assert_uint_eq(m.n_ignored, 2);
	ck_assert_int_eq(p2pp_check_grammar(&m), 0);

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	put_sample(&b, PI);
	p2pp_put(&b, 201, P2PP_OBJ_MANDATORY, "xyz", 3);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -ENOTSUP);
	ck_assert_uint_eq(m.unknown_type, 201);
	ck_assert_uint_eq(m.h.tid, h.tid);
	ck_assert_mem_eq(m.h.src_id, id_a, P2PP_ID_LEN);

	/* Inside a Peer-Info. */
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	p2pp_open(&b, PI, 0);
	p2pp_put(&b, P2PP_O_PEER_ID, 0, id_a, P2PP_ID_LEN);
	p2pp_put(&b, 202, P2PP_OBJ_IGNORE, "q", 1);
	p2pp_close(&b);
	p2pp_open(&b, PI, 0);
	p2pp_put(&b, P2PP_O_PEER_ID, 0, id_a, P2PP_ID_LEN);
	p2pp_put(&b, 202, P2PP_OBJ_MANDATORY, "q", 1);
	p2pp_close(&b);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_int_eq(p2pp_get_peer_info(&m, &m.objs[0], &pi), 0);
	ck_assert_mem_eq(pi.id, id_a, P2PP_ID_LEN);
	ck_assert_int_eq(p2pp_get_peer_info(&m, &m.objs[1], &pi), -ENOTSUP);
}
END_TEST

START_TEST(tables_report_e2big_past_the_callers_capacity)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_RESPONSE, P2PP_EXCHANGE_TABLE, 200);
	struct p2pp_peer_info peers[N_TABLE];
	struct p2pp_msg m;
	size_t n, got;

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	put_sample(&b, PI);
	put_sample(&b, RT);
	p2pp_put_table(&b, NT, peers, 0);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_int_eq(p2pp_get_table(&m, &m.objs[1], peers, 2, &got), -E2BIG);
	ck_assert_int_eq(p2pp_get_table(&m, &m.objs[2], peers, 2, &got), 0);
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(p2pp_get_table(&m, &m.objs[0], peers, 2, &got), -EBADMSG);
	ck_assert_int_eq(p2pp_get_table(&m, NULL, peers, 2, &got), -ENOENT);
}
END_TEST

START_TEST(builder_errors_stick_until_finish)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_JOIN, 0);
	static uint8_t big[70000];
	struct p2pp_peer_info pi;
	size_t n;

	p2pp_build_init(&b, buf, 40, &h);
	put_sample(&b, EXP);
	ck_assert_int_ne(p2pp_put_expires(&b, 1), 0);
	ck_assert_int_eq(p2pp_finish(&b, &n), -ENOBUFS);

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	ck_assert_int_eq(p2pp_put(&b, P2PP_O_OWNER, 0, big, sizeof(big)), -EMSGSIZE);
	ck_assert_int_eq(p2pp_finish(&b, &n), -EMSGSIZE);

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	p2pp_open(&b, PI, 0);
	ck_assert_int_eq(p2pp_finish(&b, &n), -EINVAL);

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	ck_assert_int_eq(p2pp_close(&b), -EINVAL);

	h = hdr(P2PP_RESPONSE, P2PP_JOIN, 199);
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	ck_assert_int_eq(p2pp_finish(&b, &n), -EINVAL);

	h = hdr(P2PP_REQUEST, P2PP_JOIN, 0);
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	memset(&pi, 0, sizeof(pi));
	ck_assert_int_eq(p2pp_put_peer_info(&b, &pi), -EINVAL); /* no ID, no candidate */
}
END_TEST

START_TEST(names_for_logs)
{
	ck_assert_str_eq(p2pp_type_name(P2PP_CONNECT), "Connect");
	ck_assert_str_eq(p2pp_type_name(P2PP_LOOKUP_OBJECT), "LookupObject");
	ck_assert_str_eq(p2pp_type_name(99), "unknown");
	ck_assert_str_eq(p2pp_kind_name(P2PP_RESPONSE_ACK), "responseACK");
}
END_TEST

/* ---- malformed input ---- */

static size_t valid_join(void)
{
	return build_spec(&specs[2]);
}

static void set_length(uint32_t v)
{
	buf[12] = (uint8_t)(v >> 24), buf[13] = (uint8_t)(v >> 16);
	buf[14] = (uint8_t)(v >> 8), buf[15] = (uint8_t)v;
}

/* 9.1: every prefix of a valid message is refused. */
START_TEST(truncated_messages_are_rejected_at_every_length)
{
	struct p2pp_msg m;
	size_t n = valid_join();

	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(p2pp_parse(&m, buf, i), -EBADMSG);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_int_eq(p2pp_parse(&m, NULL, n), -EBADMSG);
}
END_TEST

/* 9.1: version 1 only, the magic cookie, a length that matches. */
START_TEST(bad_version_magic_and_length_are_rejected)
{
	struct p2pp_msg m;
	size_t n = valid_join();

	for (uint8_t v = 0; v < 4; v++) {
		buf[0] = (uint8_t)((buf[0] & 0x3f) | v << 6);
		ck_assert_int_eq(p2pp_parse(&m, buf, n), v == 1 ? 0 : -EBADMSG);
	}
	buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x40);
	buf[5] ^= 1;
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	buf[5] ^= 1;
	set_length((uint32_t)(n - 32 + 1)); /* one past the end */
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	set_length((uint32_t)(n - 32 - 1)); /* one short: a trailing byte */
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	set_length(0x80000000u);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	set_length((uint32_t)(n - 32));
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
}
END_TEST

/* 9.4.1: responses carry 2xx..511 codes; none provisional. */
START_TEST(responses_without_a_final_code_are_rejected)
{
	struct p2pp_msg m;
	size_t n = build_spec(&specs[3]);

	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	buf[0] &= 0xfe;
	buf[1] = 199;
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	buf[1] = 0;
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	buf[0] |= 1;
	buf[1] = 0xff; /* 511 */
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.h.code, 511);
}
END_TEST

/* 9.2: an object whose length runs past the message, or a short object header. */
START_TEST(objects_overrunning_the_message_are_rejected)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_KEEPALIVE, 0);
	struct p2pp_msg m;
	size_t n;

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	p2pp_put_expires(&b, 30);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_uint_eq(n, 40);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	buf[35] = 5; /* Expires: 4 -> 5 bytes, one past the end */
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	buf[35] = 0xff;
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	buf[35] = 4;
	/* three stray bytes: a partial object header */
	buf[n] = 0, buf[n + 1] = 0, buf[n + 2] = 0;
	set_length(8 + 3);
	ck_assert_int_eq(p2pp_parse(&m, buf, n + 3), -EBADMSG);
}
END_TEST

/* 9.2: AB=10 and AB=11 are reserved. */
START_TEST(reserved_ab_combinations_are_rejected)
{
	struct p2pp_msg m;
	size_t n = valid_join();

	buf[33] = 0x80;
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	buf[33] = 0xc0;
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
	buf[33] = 0x3f; /* the six reserved bits are ignored */
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
}
END_TEST

START_TEST(too_many_objects_are_rejected)
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_JOIN, 0);
	struct p2pp_msg m;
	size_t n;

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	for (size_t i = 0; i < P2PP_MAX_OBJS; i++)
		p2pp_put_expires(&b, (uint32_t)i);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.n_objs, P2PP_MAX_OBJS);
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	for (size_t i = 0; i <= P2PP_MAX_OBJS; i++)
		p2pp_put_expires(&b, (uint32_t)i);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), -EBADMSG);
}
END_TEST

/* Parses a message holding one object built by raw(), and returns the result
 * of decoding it with the decoder for its type. */
static int decode_one(void (*raw)(struct p2pp_builder *b))
{
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_JOIN, 0);
	struct p2pp_msg m;
	struct p2pp_peer_info pi[4];
	struct p2pp_resource r;
	struct p2pp_p2p_options po;
	struct p2pp_plookup pl;
	struct p2pp_rlookup rl;
	struct p2pp_error e;
	struct p2pp_ice_cred c;
	struct p2pp_flow f;
	uint32_t v;
	size_t n;

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	raw(&b);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.n_objs, 1);
	switch (m.objs[0].type) {
	case PI:
		return p2pp_get_peer_info(&m, &m.objs[0], &pi[0]);
	case RT:
	case NT:
		return p2pp_get_table(&m, &m.objs[0], pi, 4, &n);
	case RO:
		return p2pp_get_request_options(&m, &m.objs[0], &v);
	case EXP:
	case P2PP_O_UPTIME:
		return p2pp_get_u32(&m, &m.objs[0], &v);
	case P2PP_O_P2P_OPTIONS:
		return p2pp_get_p2p_options(&m, &m.objs[0], &po);
	case P2PP_O_PLOOKUP:
		return p2pp_get_plookup(&m, &m.objs[0], &pl);
	case P2PP_O_RLOOKUP:
		return p2pp_get_rlookup(&m, &m.objs[0], &rl);
	case RES:
		return p2pp_get_resource(&m, &m.objs[0], &r);
	case P2PP_O_ERROR:
		return p2pp_get_error(&m, &m.objs[0], &e);
	case P2PP_O_ICE_CREDENTIALS:
		return p2pp_get_ice_cred(&m, &m.objs[0], &c);
	case P2PP_O_FLOW:
		return p2pp_get_flow(&m, &m.objs[0], &f);
	default:
		return -EINVAL;
	}
}

static void pi_empty(struct p2pp_builder *b)
{
	p2pp_put(b, PI, 0, NULL, 0);
}
static void pi_zero_peer_id(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_PEER_ID, 0, NULL, 0);
	p2pp_close(b);
}
static void pi_short_peer_id(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_PEER_ID, 0, id_a, 15);
	p2pp_close(b);
}
static void pi_two_peer_ids(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_PEER_ID, 0, id_a, 16);
	p2pp_put(b, P2PP_O_PEER_ID, 0, id_b, 16);
	p2pp_close(b);
}
static void pi_zero_candidates(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_ADDRESS_INFO, 0, "\x00", 1);
	p2pp_close(b);
}
static void pi_bad_ip_version(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_ADDRESS_INFO, 0,
		 "\x01\x05\x01\x01\x7e\xff\xff\xff\x00\x1b\xa8\xc0\x00\x02\x01", 15);
	p2pp_close(b);
}
static void pi_bad_candidate_type(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_ADDRESS_INFO, 0,
		 "\x01\x04\x01\x01\x7e\xff\xff\xff\x04\x1b\xa8\xc0\x00\x02\x01", 15);
	p2pp_close(b);
}
/* The draft defines no padding (9.2): bytes after the last field are refused. */
static void pi_padded_address_info(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_ADDRESS_INFO, 0,
		 "\x01\x04\x01\x01\x7e\xff\xff\xff\x00\x1b\xa8\xc0\x00\x02\x01\x00", 16);
	p2pp_close(b);
}
static void pi_candidate_cut_short(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_ADDRESS_INFO, 0,
		 "\x02\x04\x01\x01\x7e\xff\xff\xff\x00\x1b\xa8\xc0\x00\x02\x01", 15);
	p2pp_close(b);
}
static void pi_util_over_100(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_PEER_ID, 0, id_a, 16);
	p2pp_put(b, P2PP_O_NODE_UTILIZATION, 0, "\0\0\0\0\x65\0", 6);
	p2pp_close(b);
}
static void pi_misplaced_object(struct p2pp_builder *b)
{
	p2pp_open(b, PI, 0);
	p2pp_put(b, P2PP_O_PEER_ID, 0, id_a, 16);
	p2pp_put_request_options(b, 0);
	p2pp_close(b);
}
static void expires_padded(struct p2pp_builder *b)
{
	p2pp_put(b, EXP, 0, "\0\0\x0e\x10\0\0\0\0", 8);
}
static void expires_short(struct p2pp_builder *b)
{
	p2pp_put(b, EXP, 0, "\0\0\x0e", 3);
}
static void ro_padded(struct p2pp_builder *b)
{
	p2pp_put(b, RO, 0, "\x40\0\0\0\0", 5);
}
static void table_count_too_high(struct p2pp_builder *b)
{
	p2pp_open(b, RT, 0);
	wbuf_u8(&b->w, 2);
	p2pp_close(b);
}
static void table_count_mismatch(struct p2pp_builder *b)
{
	struct p2pp_peer_info pi;

	sample_peer(&pi, id_a, 0);
	p2pp_open(b, RT, 0);
	wbuf_u8(&b->w, 2);
	p2pp_put_peer_info(b, &pi);
	p2pp_close(b);
}
static void table_with_stranger(struct p2pp_builder *b)
{
	p2pp_open(b, NT, 0);
	wbuf_u8(&b->w, 1);
	p2pp_put_expires(b, 1);
	p2pp_close(b);
}
static void table_without_count(struct p2pp_builder *b)
{
	p2pp_put(b, NT, 0, NULL, 0);
}
static void plookup_zero(struct p2pp_builder *b)
{
	uint8_t v[17] = {0x02};

	p2pp_put(b, P2PP_O_PLOOKUP, 0, v, sizeof(v));
}
static void plookup_exact_and_range(struct p2pp_builder *b)
{
	uint8_t v[33] = {0x07};

	p2pp_put(b, P2PP_O_PLOOKUP, 0, v, sizeof(v));
}
static void plookup_range_without_idb(struct p2pp_builder *b)
{
	uint8_t v[17] = {0x05};

	p2pp_put(b, P2PP_O_PLOOKUP, 0, v, sizeof(v));
}
static void p2p_options_empty_overlay(struct p2pp_builder *b)
{
	p2pp_put(b, P2PP_O_P2P_OPTIONS, 0, "\x01\x10\x00\x02\x00", 5);
}
static void p2p_options_overlay_overrun(struct p2pp_builder *b)
{
	p2pp_put(b, P2PP_O_P2P_OPTIONS, 0,
		 "\x01\x10\x00\x02\x05"
		 "ab",
		 7);
}
static void rlookup_without_id(struct p2pp_builder *b)
{
	p2pp_open(b, P2PP_O_RLOOKUP, 0);
	wbuf_u16(&b->w, 0);
	p2pp_put(b, P2PP_O_OWNER, 0, "o", 1);
	p2pp_close(b);
}
static void rlookup_empty_owner(struct p2pp_builder *b)
{
	p2pp_open(b, P2PP_O_RLOOKUP, 0);
	wbuf_u16(&b->w, 0);
	p2pp_put(b, P2PP_O_RESOURCE_ID, 0, id_a, 16);
	p2pp_put(b, P2PP_O_OWNER, 0, NULL, 0);
	p2pp_close(b);
}
static void resource_head(struct p2pp_builder *b)
{
	p2pp_open(b, RES, 0);
	wbuf_u16(&b->w, 0);
	p2pp_put(b, P2PP_O_RESOURCE_ID, 0, id_a, 16);
}
static void resource_without_value(struct p2pp_builder *b)
{
	resource_head(b);
	p2pp_close(b);
}
static void resource_sig_not_last(struct p2pp_builder *b)
{
	resource_head(b);
	p2pp_put(b, P2PP_O_SIGNATURE, 0, "s", 1);
	p2pp_put(b, P2PP_O_RESOURCE_VALUE, 0, "v", 1);
	p2pp_close(b);
}
static void resource_empty_sig(struct p2pp_builder *b)
{
	resource_head(b);
	p2pp_put(b, P2PP_O_RESOURCE_VALUE, 0, "v", 1);
	p2pp_put(b, P2PP_O_SIGNATURE, 0, NULL, 0);
	p2pp_close(b);
}
static void resource_empty_owner(struct p2pp_builder *b)
{
	resource_head(b);
	p2pp_put(b, P2PP_O_RESOURCE_VALUE, 0, "v", 1);
	p2pp_put(b, P2PP_O_OWNER, 0, NULL, 0);
	p2pp_close(b);
}
static void resource_two_values(struct p2pp_builder *b)
{
	resource_head(b);
	p2pp_put(b, P2PP_O_RESOURCE_VALUE, 0, "v", 1);
	p2pp_put(b, P2PP_O_RESOURCE_VALUE, 0, "w", 1);
	p2pp_close(b);
}
static void resource_bad_cert_subtype(struct p2pp_builder *b)
{
	resource_head(b);
	p2pp_put(b, P2PP_O_RESOURCE_VALUE, 0, "v", 1);
	p2pp_put(b, P2PP_O_CERTIFICATE, 0, "\x02x", 2);
	p2pp_close(b);
}
static void resource_unknown_mandatory(struct p2pp_builder *b)
{
	resource_head(b);
	p2pp_put(b, P2PP_O_RESOURCE_VALUE, 0, "v", 1);
	p2pp_put(b, 250, 0, "v", 1);
	p2pp_close(b);
}
static void error_code_too_low(struct p2pp_builder *b)
{
	p2pp_put(b, P2PP_O_ERROR, 0, "\x00\xc8\x00\x00", 4);
}
static void error_cut_short(struct p2pp_builder *b)
{
	p2pp_put(b, P2PP_O_ERROR, 0, "\x01\x94\x00", 3);
}
static void ice_short_ufrag(struct p2pp_builder *b)
{
	p2pp_put(b, P2PP_O_ICE_CREDENTIALS, 0,
		 "\x03"
		 "abc"
		 "\x16"
		 "0123456789abcdefghijkl",
		 27);
}
static void ice_pwd_overrun(struct p2pp_builder *b)
{
	p2pp_put(b, P2PP_O_ICE_CREDENTIALS, 0,
		 "\x04"
		 "abcd"
		 "\x17"
		 "0123456789abcdefghijkl",
		 28);
}

static void (*const bad_objects[])(struct p2pp_builder *) = {
    pi_empty,
    pi_zero_peer_id,
    pi_short_peer_id,
    pi_two_peer_ids,
    pi_zero_candidates,
    pi_bad_ip_version,
    pi_bad_candidate_type,
    pi_padded_address_info,
    pi_candidate_cut_short,
    pi_util_over_100,
    pi_misplaced_object,
    expires_padded,
    expires_short,
    ro_padded,
    table_count_too_high,
    table_count_mismatch,
    table_with_stranger,
    table_without_count,
    plookup_zero,
    plookup_exact_and_range,
    plookup_range_without_idb,
    p2p_options_empty_overlay,
    p2p_options_overlay_overrun,
    rlookup_without_id,
    rlookup_empty_owner,
    resource_without_value,
    resource_sig_not_last,
    resource_empty_sig,
    resource_empty_owner,
    resource_two_values,
    resource_bad_cert_subtype,
    error_code_too_low,
    error_cut_short,
    ice_short_ufrag,
    ice_pwd_overrun,
};
#define N_BAD (sizeof(bad_objects) / sizeof(bad_objects[0]))

/* 9.3: zero lengths where a value is required, wrong fixed lengths, trailing
 * bytes (no padding exists), bad counts and flags, misplaced sub-objects. */
START_TEST(malformed_objects_are_rejected_by_their_decoders)
{
	ck_assert_int_eq(decode_one(bad_objects[_i]), -EBADMSG);
}
END_TEST

START_TEST(unknown_mandatory_objects_inside_a_resource_are_enotsup)
{
	ck_assert_int_eq(decode_one(resource_unknown_mandatory), -ENOTSUP);
}
END_TEST

START_TEST(decoders_refuse_objects_of_another_type)
{
	struct p2pp_msg m;
	struct p2pp_peer_info pi;
	struct p2pp_resource r;
	uint32_t v;
	size_t n = valid_join();

	ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
	ck_assert_int_eq(p2pp_get_peer_info(&m, &m.objs[0], &pi), -EBADMSG);
	ck_assert_int_eq(p2pp_get_resource(&m, &m.objs[1], &r), -EBADMSG);
	ck_assert_int_eq(p2pp_get_u32(&m, &m.objs[0], &v), -EBADMSG);
	ck_assert_int_eq(p2pp_get_peer_info(&m, NULL, &pi), -ENOENT);
}
END_TEST

/* Section 8: objects missing, repeated or out of place. */
START_TEST(messages_breaking_their_grammar_are_rejected)
{
	static const struct spec bad[] = {
	    {P2PP_JOIN, REQ, 0, {RO}, 1},
	    {P2PP_JOIN, REQ, 0, {RO, RO, PI}, 3},
	    {P2PP_PUBLISH, REQ, 0, {PI, RES, RES}, 3},
	    {P2PP_PUBLISH, REQ, 0, {PI, RES, EXP}, 3},
	    {P2PP_BOOTSTRAP, RSP, 200, {PI, P2PP_O_P2P_OPTIONS}, 2},
	    {P2PP_KEEPALIVE, IND, 0, {PI}, 1},
	    {P2PP_LOOKUP_OBJECT, RSP, 200, {PI}, 1},
	    {P2PP_LOOKUP_OBJECT, RSP, 404, {PI, RES}, 2},
	    {P2PP_CONNECT, REQ, 0, {PI, P2PP_O_PLOOKUP}, 2},
	    {P2PP_CONNECT,
	     REQ,
	     0,
	     {PI, P2PP_O_PLOOKUP, P2PP_O_ICE_CREDENTIALS, P2PP_O_FLOW, P2PP_O_FLOW},
	     5},
	    {P2PP_JOIN, REQ, 0, {PI, P2PP_O_FLOW}, 2},
	    {P2PP_TRANSFER, REQ, 0, {PI}, 1},
	};
	struct p2pp_msg m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = build_spec(&bad[i]);

		ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
		ck_assert_msg(p2pp_check_grammar(&m) == -EBADMSG, "bad[%zu] passed", i);
	}
	/* Enroll, Authenticate, GetDiagnostics and unassigned types: not ours. */
	for (unsigned t = 0; t < 256; t++) {
		struct spec s = {(uint8_t)t, REQ, 0, {PI}, 1};
		size_t n;

		if (t > P2PP_ENROLL && t != P2PP_AUTHENTICATE && t <= P2PP_CONNECT)
			continue;
		n = build_spec(&s);
		ck_assert_int_eq(p2pp_parse(&m, buf, n), 0);
		ck_assert_int_eq(p2pp_check_grammar(&m), -EOPNOTSUPP);
	}
}
END_TEST

/* Flow (ours, P2PP_O_FLOW): App (8 bits, nonzero) and Flow-ID (32 bits), mandatory. */
START_TEST(flow_object_is_app_then_flow_id)
{
	static const uint8_t want[] = {P2PP_O_FLOW, 0x00, 0x00, 0x05, 0x01, 0x12, 0x34, 0x56, 0x78};
	struct p2pp_builder b;
	struct p2pp_hdr h = hdr(P2PP_REQUEST, P2PP_CONNECT, 0);
	size_t n;

	p2pp_build_init(&b, buf, sizeof(buf), &h);
	ck_assert_int_eq(p2pp_put_flow(&b, &(struct p2pp_flow){P2PP_FLOW_SIP, 0x12345678u}), 0);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	ck_assert_uint_ge(n, sizeof(want));
	ck_assert_mem_eq(buf + n - sizeof(want), want, sizeof(want));
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	ck_assert_int_eq(p2pp_put_flow(&b, &(struct p2pp_flow){0, 1}), -EINVAL);
}
END_TEST

static void flow_short(struct p2pp_builder *b)
{
	static const uint8_t v[] = {1, 0, 0, 0};
	p2pp_put(b, P2PP_O_FLOW, 0, v, sizeof(v));
}
static void flow_long(struct p2pp_builder *b)
{
	static const uint8_t v[] = {1, 0, 0, 0, 1, 0};
	p2pp_put(b, P2PP_O_FLOW, 0, v, sizeof(v));
}
static void flow_app_zero(struct p2pp_builder *b)
{
	static const uint8_t v[] = {0, 0, 0, 0, 1};
	p2pp_put(b, P2PP_O_FLOW, 0, v, sizeof(v));
}

START_TEST(malformed_flow_objects_are_rejected)
{
	ck_assert_int_eq(decode_one(flow_short), -EBADMSG);
	ck_assert_int_eq(decode_one(flow_long), -EBADMSG);
	ck_assert_int_eq(decode_one(flow_app_zero), -EBADMSG);
}
END_TEST

START_TEST(messages_over_the_size_limit_are_rejected)
{
	static uint8_t huge[P2PP_MAX_MSG + 1];
	struct p2pp_msg m;
	size_t n = valid_join();

	memcpy(huge, buf, n);
	ck_assert_int_eq(p2pp_parse(&m, huge, sizeof(huge)), -EBADMSG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("p2pp");
	TCase *lay = tcase_create("layout"), *rt = tcase_create("round-trip"),
	      *bad = tcase_create("malformed");
	SRunner *sr;
	int failed;

	tcase_add_test(lay, request_header_is_laid_out_as_figure_9_1);
	tcase_add_test(lay, response_header_carries_code_and_response_id);
	tcase_add_test(lay, bootstrap_ids_are_four_bytes);
	tcase_add_test(lay, objects_are_laid_out_as_figures_9_2_and_9_3);
	tcase_add_test(lay, resource_object_layout_and_signed_bytes);
	suite_add_tcase(s, lay);

	tcase_add_loop_test(rt, every_message_round_trips, 0, N_SPECS);
	tcase_add_test(rt, peer_info_without_peer_id_round_trips);
	tcase_add_test(rt, range_plookup_carries_both_ids);
	tcase_add_test(rt, unsigned_resource_has_no_signature);
	tcase_add_test(rt, acks_follow_section_4_3_1);
	tcase_add_test(rt, unknown_objects_follow_the_ab_bits);
	tcase_add_test(rt, tables_report_e2big_past_the_callers_capacity);
	tcase_add_test(rt, builder_errors_stick_until_finish);
	tcase_add_test(rt, names_for_logs);
	suite_add_tcase(s, rt);

	tcase_add_test(bad, truncated_messages_are_rejected_at_every_length);
	tcase_add_test(bad, bad_version_magic_and_length_are_rejected);
	tcase_add_test(bad, responses_without_a_final_code_are_rejected);
	tcase_add_test(bad, objects_overrunning_the_message_are_rejected);
	tcase_add_test(bad, reserved_ab_combinations_are_rejected);
	tcase_add_test(bad, too_many_objects_are_rejected);
	tcase_add_loop_test(bad, malformed_objects_are_rejected_by_their_decoders, 0, N_BAD);
	tcase_add_test(bad, unknown_mandatory_objects_inside_a_resource_are_enotsup);
	tcase_add_test(bad, decoders_refuse_objects_of_another_type);
	tcase_add_test(bad, messages_breaking_their_grammar_are_rejected);
	tcase_add_test(bad, messages_over_the_size_limit_are_rejected);
	tcase_add_test(bad, malformed_flow_objects_are_rejected);
	tcase_add_test(lay, flow_object_is_app_then_flow_id);
	suite_add_tcase(s, bad);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
