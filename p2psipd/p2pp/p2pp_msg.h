/* P2PP typed objects and message grammar (draft-baset-p2psip-p2pp-01 sections 8, 9.3,
 * 9.4): encoders onto struct p2pp_builder, checked decoders from struct p2pp_msg. No I/O. */
#ifndef HIPSIP_P2PP_MSG_H
#define HIPSIP_P2PP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "p2psipd/p2pp/p2pp.h"

#define P2PP_MAX_CANDS	16 /* candidates in one Address-Info */
#define P2PP_UFRAG_MIN	4  /* RFC 8445 5.3 */
#define P2PP_PWD_MIN	22 /* RFC 8445 5.3 */
#define P2PP_CRED_MAX	255
#define P2PP_MAX_LOOKUP 63  /* 9.3.7: Num is 6 bits */
#define P2PP_MAX_PEERS	255 /* 9.3.5: Num-entries is 8 bits */

/* Response codes (9.4.1). */
#define P2PP_OK		   200
#define P2PP_NEXT_HOP	   302
#define P2PP_BAD_REQUEST   400
#define P2PP_NOT_FOUND	   404
#define P2PP_INSERT_ERROR  405
#define P2PP_REJECTED	   406
#define P2PP_JOIN_DEFERRED 407
#define P2PP_TTL_EXCEEDED  410
#define P2PP_TOO_LARGE	   413
#define P2PP_TIMEOUT	   418
/* Error sub-code 1 (9.2): an unrecognized mandatory object. */
#define P2PP_ERR_UNRECOGNIZED 1

/* Request-Options flags (9.3.3), the top bits of the 32-bit word. */
#define P2PP_RO_PRIMARY	       0x80000000u /* P */
#define P2PP_RO_ROUTING_TABLE  0x40000000u /* R */
#define P2PP_RO_NEIGHBOR_TABLE 0x20000000u /* N */
#define P2PP_RO_SEPARATE       0x10000000u /* E */
#define P2PP_RO_PARTIAL	       0x08000000u /* A */
#define P2PP_RO_JOIN_NEIGHBORS 0x04000000u /* S */
#define P2PP_RO_ROUTE_LOG      0x02000000u /* L */
#define P2PP_RO_ALL	       0xFE000000u

/* Address-Info values (9.3.1). */
#define P2PP_TT_UDP   0
#define P2PP_TT_TCP   1
#define P2PP_HT_HOST  0
#define P2PP_HT_SRFLX 1
#define P2PP_HT_PRFLX 2
#define P2PP_HT_RELAY 3
/* P2P-Options values (13). */
#define P2PP_HASH_NONE	 0
#define P2PP_HASH_SHA1	 1
#define P2PP_HASH_SHA256 2
#define P2PP_ALG_CHORD	 0
/* Cont-Type values (13); User-Info holds our SIP AOR records. */
#define P2PP_CT_USER_INFO 0
#define P2PP_CT_STUN	  1
#define P2PP_CT_TURN	  2
#define P2PP_CT_STUN_TURN 3
/* Certificate sub-types (9.3.13). */
#define P2PP_CERT_SELF_SIGNED	0
#define P2PP_CERT_SERVER_SIGNED 1

/* A view of bytes inside a message (decoders) or the caller's data (encoders). */
struct p2pp_bytes {
	const uint8_t *p;
	size_t len;
};

/* An IP address and port; ver is 4 or 6, ip holds 4 or 16 bytes. */
struct p2pp_addr {
	uint8_t ver;
	uint16_t port;
	uint8_t ip[16];
};

/* One ICE candidate of an Address-Info (9.3.1). */
struct p2pp_cand {
	uint8_t foundation; /* 8 bits in P2PP (9.3.1) */
	uint8_t component;
	uint32_t priority;
	uint8_t transport; /* P2PP_TT_* */
	uint8_t type;	   /* P2PP_HT_* */
	struct p2pp_addr addr;
	uint8_t has_rel; /* R flag: related address and port follow */
	struct p2pp_addr rel;
};

/* 9.3.15 */
struct p2pp_conns {
	uint16_t neighbors, routing, clients;
};
struct p2pp_util {
	uint32_t bandwidth_kbps;
	uint8_t cpu, bw; /* percent */
};

/* Peer-Info (4.2, 9.3.1): Peer-ID, Address-Info, Uptime, Certificate,
 * Connections, Node-Resource-Utilization, and Unhashed-ID / Expires (the
 * keepalive interval) as 9.3.1 allows. At least a peer-ID or a candidate. */
struct p2pp_peer_info {
	uint8_t has_id;
	uint8_t id[P2PP_ID_LEN];
	uint8_t n_cands;
	struct p2pp_cand cands[P2PP_MAX_CANDS];
	uint8_t has_uptime, has_expires, has_conns, has_util, has_cert;
	uint32_t uptime;
	uint32_t expires;
	struct p2pp_conns conns;
	struct p2pp_util util;
	uint8_t cert_subtype;
	struct p2pp_bytes cert;
	struct p2pp_bytes unhashed_id; /* len 0: absent */
};

/* P2P-Options (9.3.4). */
struct p2pp_p2p_options {
	uint8_t hash_alg, hash_len, p2p_alg, base;
	struct p2pp_bytes overlay_id; /* 1..255 bytes */
};

/* PLookup (9.3.7): num peers closest to ida (exact: the peer ida itself;
 * range: between ida and idb). */
struct p2pp_plookup {
	uint8_t num;
	uint8_t exact, range;
	uint8_t ida[P2PP_ID_LEN];
	uint8_t idb[P2PP_ID_LEN];
};

/* RLookup (9.3.9). */
struct p2pp_rlookup {
	uint8_t cont_type, sub_type;
	uint8_t id[P2PP_ID_LEN];
	struct p2pp_bytes owner; /* len 0: absent */
};

/* Resource-Object (4.2, 9.3.10): Cont-type, Sub-type, then Resource-ID,
 * Resource-Value and the additional-information objects (Owner, Expires,
 * Certificate, Signature). A Signature must be the last object; it covers the
 * Resource-Object value before it (signed), which p2pp_resource_tbs builds. */
struct p2pp_resource {
	uint8_t cont_type, sub_type;
	uint8_t id[P2PP_ID_LEN];
	struct p2pp_bytes value;
	struct p2pp_bytes owner; /* len 0: absent */
	uint8_t has_expires, has_cert;
	uint32_t expires;
	uint8_t cert_subtype;
	struct p2pp_bytes cert;
	struct p2pp_bytes sig;	       /* len 0: absent */
	struct p2pp_bytes signed_part; /* decoders: the bytes sig covers */
};

/* Error (9.4.2, "TBD" in the draft; ours): code, sub-code, the offending
 * object type for sub-code 1, a UTF-8 reason. */
struct p2pp_error {
	uint16_t code;
	uint8_t sub;
	uint8_t obj_type;
	struct p2pp_bytes reason;
};

/* ICE-Credentials (our extension, P2PP_O_ICE_CREDENTIALS). */
struct p2pp_ice_cred {
	struct p2pp_bytes ufrag; /* 4..255 */
	struct p2pp_bytes pwd;	 /* 22..255 */
};

/* Flow (our extension, P2PP_O_FLOW): a Connect (8.16) that carries it sets up a flow of an
 * application between the two peers (its own ICE agent), not an overlay link. The value is
 * App (8 bits, nonzero), then Flow-ID (32 bits, chosen by the initiator; the response
 * echoes it). Sent mandatory (AB=00): a node that does not know it must refuse the Connect
 * rather than take it for a link. */
#define P2PP_FLOW_SIP 1 /* SIP between two p2psipd (ice mode's B2BUA) */
struct p2pp_flow {
	uint8_t app;
	uint32_t id;
};

/* ---- encoders: each appends one object; errors stick in the builder ---- */
int p2pp_put_peer_info(struct p2pp_builder *b, const struct p2pp_peer_info *pi);
int p2pp_put_request_options(struct p2pp_builder *b, uint32_t flags);
int p2pp_put_p2p_options(struct p2pp_builder *b, const struct p2pp_p2p_options *o);
/* Routing-Table or Neighbor-Table (9.3.5, 9.3.6): n <= P2PP_MAX_PEERS. */
int p2pp_put_table(struct p2pp_builder *b, uint8_t type, const struct p2pp_peer_info *peers,
		   size_t n);
int p2pp_put_plookup(struct p2pp_builder *b, const struct p2pp_plookup *l);
int p2pp_put_rlookup(struct p2pp_builder *b, const struct p2pp_rlookup *l);
/* The resource object with r->sig appended last when r->sig.len. */
int p2pp_put_resource(struct p2pp_builder *b, const struct p2pp_resource *r);
int p2pp_put_expires(struct p2pp_builder *b, uint32_t seconds);
int p2pp_put_error(struct p2pp_builder *b, const struct p2pp_error *e);
int p2pp_put_ice_cred(struct p2pp_builder *b, const struct p2pp_ice_cred *c);
int p2pp_put_flow(struct p2pp_builder *b, const struct p2pp_flow *f);

/* The bytes a resource signature covers (the object value before Signature),
 * the same bytes p2pp_put_resource writes. 0 with *len; -ENOBUFS; -EINVAL. */
int p2pp_resource_tbs(const struct p2pp_resource *r, uint8_t *buf, size_t cap, size_t *len);

/* ---- decoders of one top-level object: 0, -EBADMSG (malformed, wrong type or
 * length), -ENOTSUP (a mandatory nested object of unknown type), -E2BIG (more
 * entries than out can hold). Byte views point into m's buffer. ---- */
int p2pp_get_peer_info(const struct p2pp_msg *m, const struct p2pp_obj *o,
		       struct p2pp_peer_info *out);
int p2pp_get_request_options(const struct p2pp_msg *m, const struct p2pp_obj *o, uint32_t *flags);
/* Expires, Uptime, Time-Window, AS-Number: one 32-bit word. */
int p2pp_get_u32(const struct p2pp_msg *m, const struct p2pp_obj *o, uint32_t *v);
int p2pp_get_p2p_options(const struct p2pp_msg *m, const struct p2pp_obj *o,
			 struct p2pp_p2p_options *out);
int p2pp_get_table(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_peer_info *out,
		   size_t cap, size_t *n);
int p2pp_get_plookup(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_plookup *out);
int p2pp_get_rlookup(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_rlookup *out);
int p2pp_get_resource(const struct p2pp_msg *m, const struct p2pp_obj *o,
		      struct p2pp_resource *out);
int p2pp_get_error(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_error *out);
int p2pp_get_ice_cred(const struct p2pp_msg *m, const struct p2pp_obj *o,
		      struct p2pp_ice_cred *out);
int p2pp_get_flow(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_flow *out);

/* Checks the objects of a parsed message against its grammar (section 8, with
 * the additions p2pp_msg.c lists): how many of each type, none out of place.
 * ACKs are not checked (header only). 0; -EBADMSG; -EOPNOTSUPP for request
 * types we do not implement (Enroll, Authenticate, GetDiagnostics). */
int p2pp_check_grammar(const struct p2pp_msg *m);

#endif
