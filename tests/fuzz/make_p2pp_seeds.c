/* Writes fuzz seeds for fuzz_p2pp: one message of each type and direction we use, built
 * with p2psipd/p2pp's builder. A one-off tool, not part of the build:
 *   cc -D_GNU_SOURCE -I. tests/fuzz/make_p2pp_seeds.c build/p2psipd/libp2psip_core.a \
 *      build/common/libhipsip_common.a -o /tmp/mk && /tmp/mk tests/fuzz/corpus/p2pp */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "p2psipd/p2pp/p2pp.h"
#include "p2psipd/p2pp/p2pp_msg.h"

static const uint8_t id_a[P2PP_ID_LEN] = {0x20, 0x01, 0x00, 0x10, 0xaa, 0xbb, 0xcc, 0xdd,
					  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
static const uint8_t id_b[P2PP_ID_LEN] = {0x20, 0x01, 0x00, 0x10, 0x11, 0x22, 0x33, 0x44,
					  0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8};
static const uint8_t blob[] = "sip:alice@example.org / opaque certificate or signature";

static void peer(struct p2pp_peer_info *pi, const uint8_t *id, int full)
{
	memset(pi, 0, sizeof(*pi));
	pi->has_id = 1;
	memcpy(pi->id, id, P2PP_ID_LEN);
	pi->n_cands = 2;
	pi->cands[0] = (struct p2pp_cand){.foundation = 1,
					  .component = 1,
					  .priority = 0x7effffff,
					  .addr = {.ver = 4, .port = 7080, .ip = {192, 0, 2, 1}}};
	pi->cands[1] = (struct p2pp_cand){
	    .foundation = 2,
	    .component = 1,
	    .priority = 0x00ffffff,
	    .type = P2PP_HT_RELAY,
	    .addr = {.ver = 6, .port = 3478, .ip = {0x20, 0x01, 0x0d, 0xb8, [15] = 9}},
	    .has_rel = 1,
	    .rel = {.ver = 6, .port = 7080, .ip = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}}};
	if (!full)
		return;
	pi->has_uptime = pi->has_expires = pi->has_conns = pi->has_util = pi->has_cert = 1;
	pi->uptime = 600;
	pi->expires = 30;
	pi->conns = (struct p2pp_conns){4, 8, 0};
	pi->util = (struct p2pp_util){10000, 5, 3};
	pi->cert = (struct p2pp_bytes){blob, 20};
	pi->unhashed_id = (struct p2pp_bytes){blob, 21};
}

static void put(struct p2pp_builder *b, uint8_t type)
{
	struct p2pp_peer_info pis[3];
	struct p2pp_resource r = {.cont_type = P2PP_CT_USER_INFO, .has_expires = 1, .expires = 60};
	struct p2pp_p2p_options po = {
	    P2PP_HASH_SHA1, 16, P2PP_ALG_CHORD, 2, {(const uint8_t *)"hipsip", 6}};
	struct p2pp_plookup pl = {.num = 4};
	struct p2pp_rlookup rl = {.cont_type = P2PP_CT_STUN};
	struct p2pp_error e = {404, 0, 0, {(const uint8_t *)"Not found", 9}};
	struct p2pp_ice_cred ic = {{(const uint8_t *)"ufrg", 4},
				   {(const uint8_t *)"0123456789abcdefghijkl", 22}};

	memcpy(pl.ida, id_b, P2PP_ID_LEN);
	memcpy(rl.id, id_b, P2PP_ID_LEN);
	memcpy(r.id, id_b, P2PP_ID_LEN);
	r.value = (struct p2pp_bytes){id_a, P2PP_ID_LEN};
	r.owner = (struct p2pp_bytes){blob, 21};
	r.sig = (struct p2pp_bytes){blob + 24, 30};
	peer(&pis[0], id_a, 1);
	peer(&pis[1], id_b, 0);
	peer(&pis[2], id_a, 0);
	switch (type) {
	case P2PP_O_PEER_INFO:
		p2pp_put_peer_info(b, &pis[0]);
		break;
	case P2PP_O_REQUEST_OPTIONS:
		p2pp_put_request_options(b, P2PP_RO_ROUTING_TABLE | P2PP_RO_ROUTE_LOG);
		break;
	case P2PP_O_P2P_OPTIONS:
		p2pp_put_p2p_options(b, &po);
		break;
	case P2PP_O_EXPIRES:
		p2pp_put_expires(b, 3600);
		break;
	case P2PP_O_ROUTING_TABLE:
	case P2PP_O_NEIGHBOR_TABLE:
		p2pp_put_table(b, type, pis, 3);
		break;
	case P2PP_O_PLOOKUP:
		p2pp_put_plookup(b, &pl);
		break;
	case P2PP_O_RLOOKUP:
		p2pp_put_rlookup(b, &rl);
		break;
	case P2PP_O_RESOURCE_OBJECT:
		p2pp_put_resource(b, &r);
		break;
	case P2PP_O_ERROR:
		p2pp_put_error(b, &e);
		break;
	case P2PP_O_ICE_CREDENTIALS:
		p2pp_put_ice_cred(b, &ic);
		break;
	case P2PP_O_FLOW:
		p2pp_put_flow(b, &(struct p2pp_flow){P2PP_FLOW_SIP, 0x5eed0001u});
		break;
	default:
		p2pp_put(b, type, P2PP_OBJ_IGNORE, blob, 8); /* an unknown, ignorable object */
	}
}

#define PI  P2PP_O_PEER_INFO
#define RO  P2PP_O_REQUEST_OPTIONS
#define RES P2PP_O_RESOURCE_OBJECT

static const struct seed {
	const char *name;
	uint8_t type, kind, ack;
	uint16_t code;
	uint8_t objs[5];
	size_t n;
	bool local; /* a request without the R flag: the receiver's own store */
} seeds[] = {
    {"bootstrap-req", P2PP_BOOTSTRAP, P2PP_REQUEST, 0, 0, {PI}, 1},
    {"bootstrap-resp", P2PP_BOOTSTRAP, P2PP_RESPONSE, 0, 200, {PI, PI, P2PP_O_P2P_OPTIONS}, 3},
    {"join-req", P2PP_JOIN, P2PP_REQUEST, 0, 0, {RO, PI}, 2},
    {"join-resp",
     P2PP_JOIN,
     P2PP_RESPONSE_ACK,
     0,
     200,
     {PI, P2PP_O_EXPIRES, P2PP_O_ROUTING_TABLE, P2PP_O_NEIGHBOR_TABLE},
     4},
    {"join-ack", P2PP_JOIN, P2PP_REQUEST, 1, 0, {0}, 0},
    {"leave-ind", P2PP_LEAVE, P2PP_INDICATION, 0, 0, {PI, RES}, 2},
    {"keepalive-ind", P2PP_KEEPALIVE, P2PP_INDICATION, 0, 0, {PI, P2PP_O_EXPIRES}, 2},
    {"lookup-peer-req", P2PP_LOOKUP_PEER, P2PP_REQUEST, 0, 0, {RO, PI, P2PP_O_PLOOKUP}, 3},
    {"lookup-peer-302", P2PP_LOOKUP_PEER, P2PP_RESPONSE_ACK, 0, 302, {PI, PI}, 2},
    {"exchange-table-resp",
     P2PP_EXCHANGE_TABLE,
     P2PP_RESPONSE,
     0,
     200,
     {PI, P2PP_O_ROUTING_TABLE, P2PP_O_NEIGHBOR_TABLE},
     3},
    {"publish-req", P2PP_PUBLISH, P2PP_REQUEST, 0, 0, {RO, PI, RES}, 3},
    {"publish-resp", P2PP_PUBLISH, P2PP_RESPONSE, 0, 200, {PI, P2PP_O_EXPIRES}, 2},
    {"lookup-object-req", P2PP_LOOKUP_OBJECT, P2PP_REQUEST, 0, 0, {PI, P2PP_O_RLOOKUP}, 2},
    {"lookup-object-resp", P2PP_LOOKUP_OBJECT, P2PP_RESPONSE, 0, 200, {PI, RES, RES}, 3},
    {"lookup-object-404", P2PP_LOOKUP_OBJECT, P2PP_RESPONSE, 0, 404, {PI, P2PP_O_ERROR}, 2},
    {"remove-object-req", P2PP_REMOVE_OBJECT, P2PP_REQUEST, 0, 0, {PI, RES}, 2},
    {"lookup-object-local-req",
     P2PP_LOOKUP_OBJECT,
     P2PP_REQUEST,
     0,
     0,
     {PI, P2PP_O_RLOOKUP},
     2,
     true},
    {"remove-object-local-req", P2PP_REMOVE_OBJECT, P2PP_REQUEST, 0, 0, {PI, RES}, 2, true},
    {"replicate-req", P2PP_REPLICATE, P2PP_REQUEST, 0, 0, {PI, RES, RES}, 3},
    {"transfer-req", P2PP_TRANSFER, P2PP_REQUEST, 0, 0, {PI, RES, 200}, 3},
    {"connect-req",
     P2PP_CONNECT,
     P2PP_REQUEST,
     0,
     0,
     {PI, P2PP_O_PLOOKUP, P2PP_O_ICE_CREDENTIALS},
     3},
    {"connect-resp", P2PP_CONNECT, P2PP_RESPONSE, 0, 200, {PI, P2PP_O_ICE_CREDENTIALS}, 2},
    {"connect-flow-req",
     P2PP_CONNECT,
     P2PP_REQUEST,
     0,
     0,
     {PI, P2PP_O_PLOOKUP, P2PP_O_ICE_CREDENTIALS, P2PP_O_FLOW},
     4},
    {"connect-flow-resp",
     P2PP_CONNECT,
     P2PP_RESPONSE,
     0,
     200,
     {PI, P2PP_O_ICE_CREDENTIALS, P2PP_O_FLOW},
     3},
};

static int save(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	static uint8_t buf[P2PP_MAX_MSG];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		const struct seed *s = &seeds[i];
		struct p2pp_hdr h = {.kind = s->kind,
				     .ack = s->ack,
				     .peer = 1,
				     .code = s->code,
				     .type = s->type,
				     .ttl = 8,
				     .tid = 0x1000u + (uint32_t)i};
		struct p2pp_builder b;
		struct p2pp_msg m;
		size_t n;

		h.recursive = s->kind == P2PP_REQUEST && !s->local;
		memcpy(h.src_id, id_a, P2PP_ID_LEN);
		memcpy(h.resp_id, id_b, P2PP_ID_LEN);
		p2pp_build_init(&b, buf, sizeof(buf), &h);
		for (size_t k = 0; k < s->n; k++)
			put(&b, s->objs[k]);
		if (p2pp_finish(&b, &n) || p2pp_parse(&m, buf, n) || p2pp_check_grammar(&m)) {
			fprintf(stderr, "%s: does not build or parse\n", s->name);
			return 1;
		}
		if (save(argv[1], s->name, buf, n))
			return 1;
	}
	return 0;
}
