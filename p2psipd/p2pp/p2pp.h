/* P2PP framing (draft-baset-p2psip-p2pp-01 section 9.1 common header, 9.2 object TLVs):
 * a checked parser into a view and a builder. Not the typed objects (p2pp_msg.h); no I/O. */
#ifndef HIPSIP_P2PP_H
#define HIPSIP_P2PP_H

#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"

#define P2PP_VERSION	 1 /* 9.1: "The current version is 1" (the figure's "V=2" is its width) */
#define P2PP_MAGIC	 0x596ABF0Du /* 9.1 */
#define P2PP_ID_LEN	 16 /* our peer-ID: the node's HIT, 128 bits (9.1 "determined at Join") */
#define P2PP_BOOT_ID_LEN 4  /* 9.1: source/response-ID of Bootstrap and Authenticate */
#define P2PP_FIXED_LEN	 16 /* 9.1: the four words before Source-ID */
#define P2PP_OBJ_HDR_LEN 4  /* 9.2 */
#define P2PP_MAX_MSG	 65535 /* what we build and accept (one UDP datagram or TCP frame) */
#define P2PP_MAX_OBJS	 128   /* top-level objects in one message */
#define P2PP_MAX_NEST	 4     /* objects open at once in a builder */
#define P2PP_MAX_CODE	 511   /* 9.1: the response code is 9 bits */

/* T, the message type (9.1). An ACK is any of these with the A flag set (3.5). */
enum p2pp_kind { P2PP_REQUEST = 0, P2PP_INDICATION = 1, P2PP_RESPONSE = 2, P2PP_RESPONSE_ACK = 3 };

/* Request or indication types (13, "Message Types"). The draft's Invite (8.17)
 * has no number there; we do not send it. */
#define P2PP_ENROLL	     0
#define P2PP_AUTHENTICATE    1
#define P2PP_BOOTSTRAP	     2
#define P2PP_JOIN	     3
#define P2PP_LEAVE	     4
#define P2PP_KEEPALIVE	     5
#define P2PP_LOOKUP_PEER     6
#define P2PP_EXCHANGE_TABLE  7
#define P2PP_QUERY	     8
#define P2PP_PUBLISH	     9
#define P2PP_LOOKUP_OBJECT   10
#define P2PP_REMOVE_OBJECT   11
#define P2PP_REPLICATE	     12
#define P2PP_TRANSFER	     13
#define P2PP_TUNNEL	     14
#define P2PP_CONNECT	     15 /* 8.16 "Send an ICE offer": our ICE connection setup */
#define P2PP_GET_DIAGNOSTICS 16

/* Object types (13, "Object Types"). The table prints "17 X.509-Cer7-Signature"
 * and skips 18; we read that as 17 Certificate (9.3.13), 18 Signature (9.3.14). */
#define P2PP_O_PEER_INFO	  0
#define P2PP_O_PEER_ID		  1
#define P2PP_O_ADDRESS_INFO	  2
#define P2PP_O_UNHASHED_ID	  3
#define P2PP_O_UPTIME		  4
#define P2PP_O_P2P_OPTIONS	  5
#define P2PP_O_REQUEST_OPTIONS	  6
#define P2PP_O_DIAGNOSTIC_OPTIONS 7
#define P2PP_O_ROUTING_TABLE	  8
#define P2PP_O_NEIGHBOR_TABLE	  9
#define P2PP_O_PLOOKUP		  10
#define P2PP_O_RESOURCE_ID	  11
#define P2PP_O_RLOOKUP		  12
#define P2PP_O_RESOURCE_OBJECT	  13
#define P2PP_O_EXPIRES		  14
#define P2PP_O_OWNER		  15
#define P2PP_O_CSR		  16
#define P2PP_O_CERTIFICATE	  17
#define P2PP_O_SIGNATURE	  18
#define P2PP_O_TIME_WINDOW	  19
#define P2PP_O_CONNECTIONS	  20
#define P2PP_O_NODE_UTILIZATION	  21
#define P2PP_O_MESSAGES_RECEIVED  22
#define P2PP_O_AS_NUMBER	  23
#define P2PP_O_ERROR		  24
/* hipsip extensions. The draft defines no extension range for the 8-bit object
 * type; 25..255 are unassigned and we take these from the upper half. */
#define P2PP_O_RESOURCE_VALUE  128 /* 9.3.10 Resource-Object-Value, made a TLV */
#define P2PP_O_ICE_CREDENTIALS 129 /* ICE ufrag and password for Connect (8.16) */
#define P2PP_O_FLOW	       130 /* Connect for an application flow, not an overlay link */

/* The A and B bits of the object header (9.2): AB=00 mandatory, AB=01 ignore
 * if not understood; 10 and 11 are reserved (rejected). */
#define P2PP_OBJ_MANDATORY 0x00
#define P2PP_OBJ_IGNORE	   0x40
#define P2PP_OBJ_AB_MASK   0xC0

/* The common header (9.1). IDs are id_len bytes: P2PP_BOOT_ID_LEN for
 * Bootstrap and Authenticate, P2PP_ID_LEN otherwise (see p2pp_id_len). The
 * Response-ID is present in responses, responseACKs and ACKs (4.2, 4.3.1). */
struct p2pp_hdr {
	uint8_t kind;	   /* enum p2pp_kind */
	uint8_t ack;	   /* A flag */
	uint8_t peer;	   /* P flag: sent by a peer (else a client) */
	uint8_t recursive; /* R flag */
	uint16_t code;	   /* response code (responses, responseACKs); 0 otherwise */
	uint8_t type;	   /* request or indication type */
	uint8_t ttl;
	uint32_t tid;
	uint8_t id_len;
	uint8_t src_id[P2PP_ID_LEN];
	uint8_t resp_id[P2PP_ID_LEN];
};

/* One top-level object: a view into the message. */
struct p2pp_obj {
	uint8_t type;
	uint8_t ab;   /* P2PP_OBJ_MANDATORY or P2PP_OBJ_IGNORE */
	uint16_t len; /* value length */
	uint32_t off; /* offset of the value from the start of the message */
};

/* A parsed message: a view into the caller's buffer, which must outlive it.
 * Objects of unknown types sent with AB=01 are dropped (9.2) and counted. */
struct p2pp_msg {
	const uint8_t *buf;
	size_t len;
	struct p2pp_hdr h;
	size_t hdr_len;
	size_t n_objs;
	struct p2pp_obj objs[P2PP_MAX_OBJS];
	size_t n_ignored;
	uint8_t unknown_type; /* set with -ENOTSUP */
};

/* One object TLV read from a cursor (nested objects, e.g. inside Peer-Info). */
struct p2pp_tlv {
	uint8_t type;
	uint8_t ab;
	uint16_t len;
	struct cursor val;
};

/* Length of the Source-ID and Response-ID for a request type (9.1). */
size_t p2pp_id_len(uint8_t type);
/* 1 if response-ID is present for this kind and A flag (4.2, 4.3.1). */
int p2pp_has_resp_id(uint8_t kind, uint8_t ack);
/* 1 if we understand objects of this type (9.2), 0 if not. */
int p2pp_obj_known(uint8_t type);

/* Parses the header and the top-level objects (9.1, 9.2): version 1, the magic
 * cookie, a message length that covers exactly the bytes after the header, a
 * response code of 200..511 in responses, objects that fit, reserved AB
 * combinations refused. 0; -EBADMSG (malformed); -ENOTSUP: well-formed but an
 * object of unknown type is mandatory (type in m->unknown_type; m is complete
 * so that a 400 with Error sub-code 1 can be sent). */
int p2pp_parse(struct p2pp_msg *m, const void *buf, size_t len);

/* Reads one TLV (9.2) from c into t, its value as a cursor of its own.
 * 0 or -EBADMSG (short, overrunning, reserved AB). */
int p2pp_tlv_read(struct cursor *c, struct p2pp_tlv *t);
/* A cursor over the value of a top-level object of m. */
int p2pp_obj_cursor(const struct p2pp_msg *m, const struct p2pp_obj *o, struct cursor *v);

/* The first object of this type after prev (NULL: from the start), or NULL. */
const struct p2pp_obj *p2pp_find(const struct p2pp_msg *m, uint8_t type,
				 const struct p2pp_obj *prev);
size_t p2pp_count(const struct p2pp_msg *m, uint8_t type);

/* Builder. Objects are appended whole (p2pp_put) or opened and closed around
 * nested objects (p2pp_open/p2pp_close, at most P2PP_MAX_NEST deep). Errors
 * stick (see struct wbuf) and p2pp_finish reports the first one. */
struct p2pp_builder {
	struct wbuf w;
	size_t len_off;
	size_t hdr_len;
	size_t depth;
	size_t open[P2PP_MAX_NEST];
	int err;
};

/* Writes the header of h (its id_len is ignored: p2pp_id_len(h->type) is used). */
void p2pp_build_init(struct p2pp_builder *b, void *buf, size_t cap, const struct p2pp_hdr *h);
int p2pp_put(struct p2pp_builder *b, uint8_t type, uint8_t ab, const void *val, size_t len);
int p2pp_put_u32(struct p2pp_builder *b, uint8_t type, uint32_t v);
int p2pp_open(struct p2pp_builder *b, uint8_t type, uint8_t ab);
int p2pp_close(struct p2pp_builder *b);
/* Writes the message length; 0 with *len set, or the first error (-ENOBUFS,
 * -EMSGSIZE for an object over 65535 bytes, -EINVAL for unbalanced open/close). */
int p2pp_finish(struct p2pp_builder *b, size_t *len);

/* The header of an ACK for a received message (3.5, 4.3.1): same kind, type,
 * transaction, source-ID and code, A set; the response-ID copied back when the
 * message had one, else own_id. */
void p2pp_ack_hdr(const struct p2pp_hdr *rx, const uint8_t own_id[P2PP_ID_LEN],
		  struct p2pp_hdr *ack);

/* Rewrites the TTL of a finished message in place (9.1: the byte after the
 * request type), for a peer forwarding a request. -EINVAL if len is shorter than
 * the fixed header. */
int p2pp_set_ttl(uint8_t *msg, size_t len, uint8_t ttl);

/* Names for logs: "Join", "LookupObject" ...; "request", "response" ... */
const char *p2pp_type_name(uint8_t type);
const char *p2pp_kind_name(uint8_t kind);

#endif
