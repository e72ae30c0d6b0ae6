/* P2PP framing (draft-baset-p2psip-p2pp-01 9.1, 9.2): the common header and object
 * TLVs, parsed through struct cursor and built through struct wbuf. No typed objects, no I/O. */
#include "p2psipd/p2pp/p2pp.h"

#include <errno.h>
#include <string.h>

#define W0_VERSION_SHIFT 14
#define W0_KIND_SHIFT	 12
#define W0_ACK		 0x0800
#define W0_PEER		 0x0400
#define W0_RECURSIVE	 0x0200
#define W0_CODE_MASK	 0x01FF
#define MIN_CODE	 200 /* 9.4.1: no provisional responses */

size_t p2pp_id_len(uint8_t type)
{
	/* 9.1: "For bootstrap and authenticate requests, its length is always four
	 * bytes" (Source-ID), and the same for the Response-ID of their responses. */
	if (type == P2PP_BOOTSTRAP || type == P2PP_AUTHENTICATE)
		return P2PP_BOOT_ID_LEN;
	return P2PP_ID_LEN;
}

int p2pp_has_resp_id(uint8_t kind, uint8_t ack)
{
	/* 4.2: "Response-ID is only included in the ACK, response, or a responseACK". */
	return ack || kind == P2PP_RESPONSE || kind == P2PP_RESPONSE_ACK;
}

int p2pp_obj_known(uint8_t type)
{
	switch (type) {
	case P2PP_O_PEER_INFO:
	case P2PP_O_PEER_ID:
	case P2PP_O_ADDRESS_INFO:
	case P2PP_O_UNHASHED_ID:
	case P2PP_O_UPTIME:
	case P2PP_O_P2P_OPTIONS:
	case P2PP_O_REQUEST_OPTIONS:
	case P2PP_O_ROUTING_TABLE:
	case P2PP_O_NEIGHBOR_TABLE:
	case P2PP_O_PLOOKUP:
	case P2PP_O_RESOURCE_ID:
	case P2PP_O_RLOOKUP:
	case P2PP_O_RESOURCE_OBJECT:
	case P2PP_O_EXPIRES:
	case P2PP_O_OWNER:
	case P2PP_O_CERTIFICATE:
	case P2PP_O_SIGNATURE:
	case P2PP_O_TIME_WINDOW:
	case P2PP_O_CONNECTIONS:
	case P2PP_O_NODE_UTILIZATION:
	case P2PP_O_AS_NUMBER:
	case P2PP_O_ERROR:
	case P2PP_O_RESOURCE_VALUE:
	case P2PP_O_ICE_CREDENTIALS:
	case P2PP_O_FLOW:
		return 1;
	default:
		return 0;
	}
}

/* ---- parser ---- */

int p2pp_tlv_read(struct cursor *c, struct p2pp_tlv *t)
{
	uint8_t flags;

	/* 9.2: Object-Type (8), A, B, 6 reserved bits (ignored), Length (16) of the
	 * value that follows. The draft defines no padding, so none is skipped. */
	if (cur_u8(c, &t->type) || cur_u8(c, &flags) || cur_u16(c, &t->len))
		return -EBADMSG;
	t->ab = flags & P2PP_OBJ_AB_MASK;
	if (t->ab != P2PP_OBJ_MANDATORY && t->ab != P2PP_OBJ_IGNORE)
		return -EBADMSG; /* 9.2: AB=10 and AB=11 are reserved */
	if (cur_sub(c, t->len, &t->val))
		return -EBADMSG;
	return 0;
}

static int parse_header(struct p2pp_msg *m, struct cursor *c, size_t len)
{
	struct p2pp_hdr *h = &m->h;
	uint16_t w0;
	uint32_t magic, mlen;

	if (cur_u16(c, &w0) || cur_u8(c, &h->type) || cur_u8(c, &h->ttl) || cur_u32(c, &magic) ||
	    cur_u32(c, &h->tid) || cur_u32(c, &mlen))
		return -EBADMSG;
	if ((w0 >> W0_VERSION_SHIFT) != P2PP_VERSION || magic != P2PP_MAGIC)
		return -EBADMSG;
	h->kind = (uint8_t)((w0 >> W0_KIND_SHIFT) & 3);
	h->ack = !!(w0 & W0_ACK);
	h->peer = !!(w0 & W0_PEER);
	h->recursive = !!(w0 & W0_RECURSIVE);
	/* 9.1: responses carry the code in the 9 reserved bits; elsewhere they are
	 * reserved and ignored. */
	if (h->kind == P2PP_RESPONSE || h->kind == P2PP_RESPONSE_ACK) {
		h->code = w0 & W0_CODE_MASK;
		if (h->code < MIN_CODE)
			return -EBADMSG;
	}
	h->id_len = (uint8_t)p2pp_id_len(h->type);
	if (cur_copy(c, h->src_id, h->id_len))
		return -EBADMSG;
	if (p2pp_has_resp_id(h->kind, h->ack) && cur_copy(c, h->resp_id, h->id_len))
		return -EBADMSG;
	m->hdr_len = cur_pos(c);
	/* 9.1: "The byte length of the message after the common header itself". */
	if ((size_t)mlen != len - m->hdr_len)
		return -EBADMSG;
	return 0;
}

static int parse_obj(struct p2pp_msg *m, struct cursor *c)
{
	struct p2pp_tlv t;
	size_t off = cur_pos(c) + P2PP_OBJ_HDR_LEN;

	if (p2pp_tlv_read(c, &t))
		return -EBADMSG;
	if (!p2pp_obj_known(t.type)) {
		/* 9.2: AB=01 unknown objects are deleted; AB=00 reject the message. */
		if (t.ab == P2PP_OBJ_IGNORE) {
			m->n_ignored++;
			return 0;
		}
		if (!m->unknown_type)
			m->unknown_type = t.type;
		return -ENOTSUP;
	}
	if (m->n_objs >= P2PP_MAX_OBJS)
		return -EBADMSG;
	m->objs[m->n_objs++] =
	    (struct p2pp_obj){.type = t.type, .ab = t.ab, .len = t.len, .off = (uint32_t)off};
	return 0;
}

int p2pp_parse(struct p2pp_msg *m, const void *buf, size_t len)
{
	struct cursor c;
	int unknown = 0, err;

	memset(m, 0, sizeof(*m));
	if (!buf || len < P2PP_FIXED_LEN || len > P2PP_MAX_MSG)
		return -EBADMSG;
	cur_init(&c, buf, len);
	if (parse_header(m, &c, len))
		return -EBADMSG;
	while (cur_left(&c)) {
		err = parse_obj(m, &c);
		if (err == -ENOTSUP)
			unknown = 1;
		else if (err)
			return -EBADMSG;
	}
	m->buf = buf;
	m->len = len;
	return unknown ? -ENOTSUP : 0;
}

int p2pp_obj_cursor(const struct p2pp_msg *m, const struct p2pp_obj *o, struct cursor *v)
{
	struct cursor c;

	if (!o)
		return -ENOENT;
	cur_init(&c, m->buf, m->len);
	if (cur_skip(&c, o->off) || cur_sub(&c, o->len, v))
		return -EBADMSG;
	return 0;
}

const struct p2pp_obj *p2pp_find(const struct p2pp_msg *m, uint8_t type,
				 const struct p2pp_obj *prev)
{
	size_t i = prev ? (size_t)(prev - m->objs) + 1 : 0;

	for (; i < m->n_objs; i++)
		if (m->objs[i].type == type)
			return &m->objs[i];
	return NULL;
}

size_t p2pp_count(const struct p2pp_msg *m, uint8_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_objs; i++)
		n += m->objs[i].type == type;
	return n;
}

/* ---- builder ---- */

static void fail(struct p2pp_builder *b, int err)
{
	if (!b->err)
		b->err = err;
}

void p2pp_build_init(struct p2pp_builder *b, void *buf, size_t cap, const struct p2pp_hdr *h)
{
	uint16_t w0 = (uint16_t)(P2PP_VERSION << W0_VERSION_SHIFT);
	size_t id_len = p2pp_id_len(h->type);
	int resp = h->kind == P2PP_RESPONSE || h->kind == P2PP_RESPONSE_ACK;

	memset(b, 0, sizeof(*b));
	wbuf_init(&b->w, buf, cap);
	if (h->kind > P2PP_RESPONSE_ACK ||
	    (resp && (h->code < MIN_CODE || h->code > P2PP_MAX_CODE)))
		fail(b, -EINVAL);
	w0 |= (uint16_t)((h->kind & 3) << W0_KIND_SHIFT);
	w0 |= (uint16_t)((h->ack ? W0_ACK : 0) | (h->peer ? W0_PEER : 0) |
			 (h->recursive ? W0_RECURSIVE : 0));
	if (resp)
		w0 |= h->code & W0_CODE_MASK;
	wbuf_u16(&b->w, w0);
	wbuf_u8(&b->w, h->type);
	wbuf_u8(&b->w, h->ttl);
	wbuf_u32(&b->w, P2PP_MAGIC);
	wbuf_u32(&b->w, h->tid);
	b->len_off = b->w.len;
	wbuf_u32(&b->w, 0);
	wbuf_put(&b->w, h->src_id, id_len);
	if (p2pp_has_resp_id(h->kind, h->ack))
		wbuf_put(&b->w, h->resp_id, id_len);
	b->hdr_len = b->w.len;
}

static int put_obj_hdr(struct p2pp_builder *b, uint8_t type, uint8_t ab, size_t len)
{
	if (ab != P2PP_OBJ_MANDATORY && ab != P2PP_OBJ_IGNORE)
		fail(b, -EINVAL);
	if (len > 0xFFFF)
		fail(b, -EMSGSIZE);
	if (b->err)
		return b->err;
	wbuf_u8(&b->w, type);
	wbuf_u8(&b->w, ab);
	return wbuf_u16(&b->w, (uint16_t)len);
}

int p2pp_put(struct p2pp_builder *b, uint8_t type, uint8_t ab, const void *val, size_t len)
{
	int err = put_obj_hdr(b, type, ab, len);

	if (err)
		return err;
	return len ? wbuf_put(&b->w, val, len) : wbuf_error(&b->w);
}

int p2pp_put_u32(struct p2pp_builder *b, uint8_t type, uint32_t v)
{
	uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	return p2pp_put(b, type, P2PP_OBJ_MANDATORY, be, sizeof(be));
}

int p2pp_open(struct p2pp_builder *b, uint8_t type, uint8_t ab)
{
	int err;

	if (b->depth >= P2PP_MAX_NEST)
		fail(b, -EINVAL);
	err = put_obj_hdr(b, type, ab, 0);
	if (!err)
		err = wbuf_error(&b->w);
	if (err) {
		fail(b, err);
		return err;
	}
	b->open[b->depth++] = b->w.len - 2; /* the length field */
	return 0;
}

int p2pp_close(struct p2pp_builder *b)
{
	size_t len;

	if (!b->depth)
		fail(b, -EINVAL);
	if (b->err)
		return b->err;
	b->depth--;
	len = b->w.len - (b->open[b->depth] + 2);
	if (len > 0xFFFF) {
		fail(b, -EMSGSIZE);
		return b->err;
	}
	return wbuf_patch_u16(&b->w, b->open[b->depth], (uint16_t)len);
}

int p2pp_finish(struct p2pp_builder *b, size_t *len)
{
	size_t body;
	int err;

	if (b->depth)
		fail(b, -EINVAL);
	if (b->err)
		return b->err;
	err = wbuf_error(&b->w);
	if (err)
		return err;
	if (b->w.len > P2PP_MAX_MSG)
		return -EMSGSIZE;
	body = b->w.len - b->hdr_len;
	err = wbuf_patch_u16(&b->w, b->len_off, (uint16_t)(body >> 16));
	if (!err)
		err = wbuf_patch_u16(&b->w, b->len_off + 2, (uint16_t)body);
	if (err)
		return err;
	*len = b->w.len;
	return 0;
}

void p2pp_ack_hdr(const struct p2pp_hdr *rx, const uint8_t own_id[P2PP_ID_LEN],
		  struct p2pp_hdr *ack)
{
	*ack = *rx;
	ack->ack = 1;
	/* 4.3.1: copy back source-ID and response-ID when both were present;
	 * otherwise the ACK generator's own peer-ID is the response-ID. */
	if (!p2pp_has_resp_id(rx->kind, rx->ack))
		memcpy(ack->resp_id, own_id, P2PP_ID_LEN);
}

/* ---- names ---- */

static const char *const type_names[] = {
    "Enroll",	  "Authenticate",  "Bootstrap", "Join",	   "Leave",	     "KeepAlive",
    "LookupPeer", "ExchangeTable", "Query",	"Publish", "LookupObject",   "RemoveObject",
    "Replicate",  "Transfer",	   "Tunnel",	"Connect", "GetDiagnostics",
};

const char *p2pp_type_name(uint8_t type)
{
	if (type < sizeof(type_names) / sizeof(type_names[0]))
		return type_names[type];
	return "unknown";
}

const char *p2pp_kind_name(uint8_t kind)
{
	static const char *const names[] = {"request", "indication", "response", "responseACK"};

	return kind < 4 ? names[kind] : "unknown";
}

int p2pp_set_ttl(uint8_t *msg, size_t len, uint8_t ttl)
{
	struct wbuf w;

	/* 9.1: V, T, A, P, R and reserved (16 bits), Request-Type (8), TTL (8). */
	if (!msg || len < P2PP_FIXED_LEN)
		return -EINVAL;
	wbuf_init(&w, msg + 3, 1);
	return wbuf_u8(&w, ttl);
}
