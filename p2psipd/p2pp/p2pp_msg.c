/* P2PP typed objects (draft-baset-p2psip-p2pp-01 9.3, 9.4) and message grammar (8):
 * encoders over struct p2pp_builder, decoders over struct cursor. No framing (p2pp.c), no I/O. */
#include "p2psipd/p2pp/p2pp_msg.h"

#include <errno.h>
#include <string.h>

#define CONNS_LEN 6 /* 9.3.15 */
#define UTIL_LEN  6
#define MANY	  0xFF /* a grammar rule's "any number" */

static void stick(struct p2pp_builder *b, int err)
{
	if (err && !b->err)
		b->err = err;
}

static int view(struct cursor *c, size_t n, struct p2pp_bytes *out)
{
	out->len = n;
	return cur_view(c, n, &out->p);
}

/* The next nested object of c: 1 with t set, 0 at the end, -EBADMSG, or
 * -ENOTSUP for a mandatory one we do not know (9.2); ignorable unknown ones
 * are skipped. */
static int next_sub(struct cursor *c, struct p2pp_tlv *t)
{
	while (cur_left(c)) {
		if (p2pp_tlv_read(c, t))
			return -EBADMSG;
		if (p2pp_obj_known(t->type))
			return 1;
		if (t->ab != P2PP_OBJ_IGNORE)
			return -ENOTSUP;
	}
	return 0;
}

static int get_id(struct p2pp_tlv *t, uint8_t id[P2PP_ID_LEN])
{
	/* 9.3.1, 9.3.8: for DHTs a fixed-length hash output, for us a HIT. */
	if (t->len != P2PP_ID_LEN || cur_copy(&t->val, id, P2PP_ID_LEN))
		return -EBADMSG;
	return 0;
}

static int get_word(struct p2pp_tlv *t, uint32_t *v)
{
	if (t->len != 4 || cur_u32(&t->val, v))
		return -EBADMSG;
	return 0;
}

/* A variable-length value of at least min bytes (zero length is refused where
 * a value must say something: Owner, Unhashed-ID, Signature). */
static int get_bytes(struct p2pp_tlv *t, size_t min, struct p2pp_bytes *out)
{
	if (t->len < min)
		return -EBADMSG;
	return view(&t->val, t->len, out) ? -EBADMSG : 0;
}

static int top_cursor(const struct p2pp_msg *m, const struct p2pp_obj *o, uint8_t type,
		      struct cursor *v)
{
	if (!o)
		return -ENOENT;
	if (o->type != type || p2pp_obj_cursor(m, o, v))
		return -EBADMSG;
	return 0;
}

/* ---- Address-Info (9.3.1) ----
 * Num (8 bits as drawn; the text says 4), then per candidate: R|Resv(3)|IP-ver(4),
 * Foundation, Component-ID, Priority, TT(4)|HT(4), Port, address; with R set the
 * related port and address follow in the same layout (the draft says only that
 * they "are included"). */

static size_t ip_len(uint8_t ver)
{
	return ver == 4 ? 4 : ver == 6 ? 16 : 0;
}

static int read_addr(struct cursor *c, uint8_t ver, struct p2pp_addr *a)
{
	a->ver = ver;
	memset(a->ip, 0, sizeof(a->ip));
	if (cur_u16(c, &a->port) || cur_copy(c, a->ip, ip_len(ver)))
		return -EBADMSG;
	return 0;
}

static int read_cand(struct cursor *c, struct p2pp_cand *k)
{
	uint8_t rv, tt;
	size_t n;

	if (cur_u8(c, &rv) || cur_u8(c, &k->foundation) || cur_u8(c, &k->component) ||
	    cur_u32(c, &k->priority) || cur_u8(c, &tt))
		return -EBADMSG;
	n = ip_len(rv & 0x0F);
	k->transport = tt >> 4;
	k->type = tt & 0x0F;
	k->has_rel = rv >> 7;
	if (!n || k->transport > P2PP_TT_TCP || k->type > P2PP_HT_RELAY)
		return -EBADMSG;
	if (read_addr(c, rv & 0x0F, &k->addr))
		return -EBADMSG;
	if (k->has_rel)
		return read_addr(c, rv & 0x0F, &k->rel);
	memset(&k->rel, 0, sizeof(k->rel));
	return 0;
}

static int get_addr_info(struct p2pp_tlv *t, struct p2pp_peer_info *pi)
{
	uint8_t num;

	if (cur_u8(&t->val, &num) || num == 0)
		return -EBADMSG;
	if (num > P2PP_MAX_CANDS)
		return -E2BIG;
	for (uint8_t i = 0; i < num; i++)
		if (read_cand(&t->val, &pi->cands[i]))
			return -EBADMSG;
	pi->n_cands = num;
	return cur_left(&t->val) ? -EBADMSG : 0;
}

static void write_addr(struct wbuf *w, const struct p2pp_addr *a, uint8_t ver)
{
	wbuf_u16(w, a->port);
	wbuf_put(w, a->ip, ip_len(ver));
}

static int put_addr_info(struct p2pp_builder *b, const struct p2pp_peer_info *pi)
{
	struct wbuf *w = &b->w;

	if (pi->n_cands > P2PP_MAX_CANDS)
		stick(b, -EINVAL);
	p2pp_open(b, P2PP_O_ADDRESS_INFO, P2PP_OBJ_MANDATORY);
	wbuf_u8(w, pi->n_cands);
	for (size_t i = 0; i < pi->n_cands && !b->err; i++) {
		const struct p2pp_cand *k = &pi->cands[i];

		if (!ip_len(k->addr.ver) || k->transport > P2PP_TT_TCP || k->type > P2PP_HT_RELAY)
			stick(b, -EINVAL);
		wbuf_u8(w, (uint8_t)((k->has_rel ? 0x80 : 0) | (k->addr.ver & 0x0F)));
		wbuf_u8(w, k->foundation);
		wbuf_u8(w, k->component);
		wbuf_u32(w, k->priority);
		wbuf_u8(w, (uint8_t)(k->transport << 4 | k->type));
		write_addr(w, &k->addr, k->addr.ver);
		if (k->has_rel)
			write_addr(w, &k->rel, k->addr.ver);
	}
	return p2pp_close(b);
}

/* ---- Peer-Info (4.2, 9.3.1) ---- */

static int get_cert(struct p2pp_tlv *t, uint8_t *subtype, struct p2pp_bytes *cert)
{
	/* 9.3.13 names a Sub-Type but draws no field: we put it in the first byte. */
	if (t->len < 2 || cur_u8(&t->val, subtype) || *subtype > P2PP_CERT_SERVER_SIGNED)
		return -EBADMSG;
	return view(&t->val, t->len - 1u, cert) ? -EBADMSG : 0;
}

static int get_conns(struct p2pp_tlv *t, struct p2pp_conns *c)
{
	if (t->len != CONNS_LEN || cur_u16(&t->val, &c->neighbors) ||
	    cur_u16(&t->val, &c->routing) || cur_u16(&t->val, &c->clients))
		return -EBADMSG;
	return 0;
}

static int get_util(struct p2pp_tlv *t, struct p2pp_util *u)
{
	if (t->len != UTIL_LEN || cur_u32(&t->val, &u->bandwidth_kbps) ||
	    cur_u8(&t->val, &u->cpu) || cur_u8(&t->val, &u->bw))
		return -EBADMSG;
	return u->cpu > 100 || u->bw > 100 ? -EBADMSG : 0;
}

/* Sets *seen for a sub-object seen once; a second one is malformed. */
static int once(uint8_t *seen)
{
	if (*seen)
		return -EBADMSG;
	*seen = 1;
	return 0;
}

static int peer_info_sub(struct p2pp_tlv *t, struct p2pp_peer_info *pi)
{
	uint8_t seen_addr = pi->n_cands > 0, seen_unhashed = pi->unhashed_id.len > 0;

	switch (t->type) {
	case P2PP_O_PEER_ID:
		return once(&pi->has_id) ? -EBADMSG : get_id(t, pi->id);
	case P2PP_O_ADDRESS_INFO:
		return once(&seen_addr) ? -EBADMSG : get_addr_info(t, pi);
	case P2PP_O_UNHASHED_ID:
		return once(&seen_unhashed) ? -EBADMSG : get_bytes(t, 1, &pi->unhashed_id);
	case P2PP_O_UPTIME:
		return once(&pi->has_uptime) ? -EBADMSG : get_word(t, &pi->uptime);
	case P2PP_O_EXPIRES:
		return once(&pi->has_expires) ? -EBADMSG : get_word(t, &pi->expires);
	case P2PP_O_CERTIFICATE:
		return once(&pi->has_cert) ? -EBADMSG : get_cert(t, &pi->cert_subtype, &pi->cert);
	case P2PP_O_CONNECTIONS:
		return once(&pi->has_conns) ? -EBADMSG : get_conns(t, &pi->conns);
	case P2PP_O_NODE_UTILIZATION:
		return once(&pi->has_util) ? -EBADMSG : get_util(t, &pi->util);
	default:
		return -EBADMSG; /* a known object that has no place in a Peer-Info */
	}
}

static int decode_peer_info(struct cursor *v, struct p2pp_peer_info *pi)
{
	struct p2pp_tlv t;
	int r;

	memset(pi, 0, sizeof(*pi));
	while ((r = next_sub(v, &t)) == 1) {
		r = peer_info_sub(&t, pi);
		if (r)
			return r;
	}
	if (r)
		return r;
	/* 9.3.1: "The Peer-Info MUST include an address-info object or a peer-ID". */
	return pi->has_id || pi->n_cands ? 0 : -EBADMSG;
}

int p2pp_get_peer_info(const struct p2pp_msg *m, const struct p2pp_obj *o,
		       struct p2pp_peer_info *out)
{
	struct cursor v;
	int err = top_cursor(m, o, P2PP_O_PEER_INFO, &v);

	return err ? err : decode_peer_info(&v, out);
}

static void put_cert(struct p2pp_builder *b, uint8_t subtype, const struct p2pp_bytes *cert)
{
	if (!cert->len || subtype > P2PP_CERT_SERVER_SIGNED)
		stick(b, -EINVAL);
	p2pp_open(b, P2PP_O_CERTIFICATE, P2PP_OBJ_MANDATORY);
	wbuf_u8(&b->w, subtype);
	if (cert->len)
		wbuf_put(&b->w, cert->p, cert->len);
	p2pp_close(b);
}

int p2pp_put_peer_info(struct p2pp_builder *b, const struct p2pp_peer_info *pi)
{
	struct wbuf *w = &b->w;

	if (!pi->has_id && !pi->n_cands)
		stick(b, -EINVAL);
	p2pp_open(b, P2PP_O_PEER_INFO, P2PP_OBJ_MANDATORY);
	if (pi->has_id)
		p2pp_put(b, P2PP_O_PEER_ID, P2PP_OBJ_MANDATORY, pi->id, P2PP_ID_LEN);
	if (pi->n_cands)
		put_addr_info(b, pi);
	if (pi->unhashed_id.len)
		p2pp_put(b, P2PP_O_UNHASHED_ID, P2PP_OBJ_MANDATORY, pi->unhashed_id.p,
			 pi->unhashed_id.len);
	if (pi->has_uptime)
		p2pp_put_u32(b, P2PP_O_UPTIME, pi->uptime);
	if (pi->has_expires)
		p2pp_put_u32(b, P2PP_O_EXPIRES, pi->expires);
	if (pi->has_cert)
		put_cert(b, pi->cert_subtype, &pi->cert);
	if (pi->has_conns) {
		p2pp_open(b, P2PP_O_CONNECTIONS, P2PP_OBJ_MANDATORY);
		wbuf_u16(w, pi->conns.neighbors);
		wbuf_u16(w, pi->conns.routing);
		wbuf_u16(w, pi->conns.clients);
		p2pp_close(b);
	}
	if (pi->has_util) {
		if (pi->util.cpu > 100 || pi->util.bw > 100)
			stick(b, -EINVAL);
		p2pp_open(b, P2PP_O_NODE_UTILIZATION, P2PP_OBJ_MANDATORY);
		wbuf_u32(w, pi->util.bandwidth_kbps);
		wbuf_u8(w, pi->util.cpu);
		wbuf_u8(w, pi->util.bw);
		p2pp_close(b);
	}
	return p2pp_close(b);
}

/* ---- Routing-Table, Neighbor-Table (9.3.5, 9.3.6): Num-entries, Peer-Info* ---- */

int p2pp_get_table(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_peer_info *out,
		   size_t cap, size_t *n)
{
	struct cursor v;
	struct p2pp_tlv t;
	uint8_t num;
	size_t got = 0;
	int r;

	if (!o)
		return -ENOENT;
	if (o->type != P2PP_O_ROUTING_TABLE && o->type != P2PP_O_NEIGHBOR_TABLE)
		return -EBADMSG;
	if (p2pp_obj_cursor(m, o, &v) || cur_u8(&v, &num))
		return -EBADMSG;
	while ((r = next_sub(&v, &t)) == 1) {
		if (t.type != P2PP_O_PEER_INFO || got >= num)
			return -EBADMSG;
		if (got >= cap)
			return -E2BIG;
		r = decode_peer_info(&t.val, &out[got++]);
		if (r)
			return r;
	}
	if (r || got != num)
		return r ? r : -EBADMSG;
	*n = got;
	return 0;
}

int p2pp_put_table(struct p2pp_builder *b, uint8_t type, const struct p2pp_peer_info *peers,
		   size_t n)
{
	if (n > P2PP_MAX_PEERS || (type != P2PP_O_ROUTING_TABLE && type != P2PP_O_NEIGHBOR_TABLE))
		stick(b, -EINVAL);
	p2pp_open(b, type, P2PP_OBJ_MANDATORY);
	wbuf_u8(&b->w, (uint8_t)n);
	for (size_t i = 0; i < n && !b->err; i++)
		p2pp_put_peer_info(b, &peers[i]);
	return p2pp_close(b);
}

/* ---- Request-Options (9.3.3), 32-bit objects (9.3.11, 9.3.1, 9.3.15) ---- */

int p2pp_get_request_options(const struct p2pp_msg *m, const struct p2pp_obj *o, uint32_t *flags)
{
	struct cursor v;
	int err = top_cursor(m, o, P2PP_O_REQUEST_OPTIONS, &v);

	if (err)
		return err;
	if (cur_left(&v) != 4 || cur_u32(&v, flags))
		return -EBADMSG;
	*flags &= P2PP_RO_ALL; /* the rest of the word is reserved */
	return 0;
}

int p2pp_put_request_options(struct p2pp_builder *b, uint32_t flags)
{
	return p2pp_put_u32(b, P2PP_O_REQUEST_OPTIONS, flags & P2PP_RO_ALL);
}

int p2pp_get_u32(const struct p2pp_msg *m, const struct p2pp_obj *o, uint32_t *v)
{
	struct cursor c;

	if (!o)
		return -ENOENT;
	if (o->type != P2PP_O_EXPIRES && o->type != P2PP_O_UPTIME &&
	    o->type != P2PP_O_TIME_WINDOW && o->type != P2PP_O_AS_NUMBER)
		return -EBADMSG;
	if (p2pp_obj_cursor(m, o, &c) || cur_left(&c) != 4 || cur_u32(&c, v))
		return -EBADMSG;
	return 0;
}

int p2pp_put_expires(struct p2pp_builder *b, uint32_t seconds)
{
	return p2pp_put_u32(b, P2PP_O_EXPIRES, seconds);
}

/* ---- P2P-Options (9.3.4) ---- */

int p2pp_get_p2p_options(const struct p2pp_msg *m, const struct p2pp_obj *o,
			 struct p2pp_p2p_options *out)
{
	struct cursor v;
	uint8_t idlen;
	int err = top_cursor(m, o, P2PP_O_P2P_OPTIONS, &v);

	if (err)
		return err;
	if (cur_u8(&v, &out->hash_alg) || cur_u8(&v, &out->hash_len) || cur_u8(&v, &out->p2p_alg) ||
	    cur_u8(&v, &out->base) || cur_u8(&v, &idlen))
		return -EBADMSG;
	if (!idlen || cur_left(&v) != idlen || view(&v, idlen, &out->overlay_id))
		return -EBADMSG;
	return 0;
}

int p2pp_put_p2p_options(struct p2pp_builder *b, const struct p2pp_p2p_options *o)
{
	struct wbuf *w = &b->w;

	if (!o->overlay_id.len || o->overlay_id.len > 0xFF)
		stick(b, -EINVAL);
	p2pp_open(b, P2PP_O_P2P_OPTIONS, P2PP_OBJ_MANDATORY);
	wbuf_u8(w, o->hash_alg);
	wbuf_u8(w, o->hash_len);
	wbuf_u8(w, o->p2p_alg);
	wbuf_u8(w, o->base);
	wbuf_u8(w, (uint8_t)o->overlay_id.len);
	if (!b->err)
		wbuf_put(w, o->overlay_id.p, o->overlay_id.len);
	return p2pp_close(b);
}

/* ---- PLookup (9.3.7): Num(6)|E|R, Peer-IDa, Peer-IDb when R ---- */

int p2pp_get_plookup(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_plookup *out)
{
	struct cursor v;
	uint8_t x;
	int err = top_cursor(m, o, P2PP_O_PLOOKUP, &v);

	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	if (cur_u8(&v, &x) || cur_copy(&v, out->ida, P2PP_ID_LEN))
		return -EBADMSG;
	out->num = x >> 2;
	out->exact = (x >> 1) & 1;
	out->range = x & 1;
	/* "R ... is only set, if E is not set"; zero peers asks for nothing. */
	if (!out->num || (out->exact && out->range))
		return -EBADMSG;
	if (out->range && cur_copy(&v, out->idb, P2PP_ID_LEN))
		return -EBADMSG;
	return cur_left(&v) ? -EBADMSG : 0;
}

int p2pp_put_plookup(struct p2pp_builder *b, const struct p2pp_plookup *l)
{
	if (!l->num || l->num > P2PP_MAX_LOOKUP || (l->exact && l->range))
		stick(b, -EINVAL);
	p2pp_open(b, P2PP_O_PLOOKUP, P2PP_OBJ_MANDATORY);
	wbuf_u8(&b->w, (uint8_t)(l->num << 2 | (l->exact ? 2 : 0) | (l->range ? 1 : 0)));
	wbuf_put(&b->w, l->ida, P2PP_ID_LEN);
	if (l->range)
		wbuf_put(&b->w, l->idb, P2PP_ID_LEN);
	return p2pp_close(b);
}

/* ---- RLookup (9.3.9): Cont-type, Sub-type, Resource-ID, [Owner] ---- */

int p2pp_get_rlookup(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_rlookup *out)
{
	struct cursor v;
	struct p2pp_tlv t;
	uint8_t has_id = 0, has_owner = 0;
	int r = top_cursor(m, o, P2PP_O_RLOOKUP, &v);

	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	if (cur_u8(&v, &out->cont_type) || cur_u8(&v, &out->sub_type))
		return -EBADMSG;
	while ((r = next_sub(&v, &t)) == 1) {
		if (t.type == P2PP_O_RESOURCE_ID)
			r = once(&has_id) ? -EBADMSG : get_id(&t, out->id);
		else if (t.type == P2PP_O_OWNER)
			r = once(&has_owner) ? -EBADMSG : get_bytes(&t, 1, &out->owner);
		else
			r = -EBADMSG;
		if (r)
			return r;
	}
	if (r)
		return r;
	return has_id ? 0 : -EBADMSG;
}

int p2pp_put_rlookup(struct p2pp_builder *b, const struct p2pp_rlookup *l)
{
	p2pp_open(b, P2PP_O_RLOOKUP, P2PP_OBJ_MANDATORY);
	wbuf_u8(&b->w, l->cont_type);
	wbuf_u8(&b->w, l->sub_type);
	p2pp_put(b, P2PP_O_RESOURCE_ID, P2PP_OBJ_MANDATORY, l->id, P2PP_ID_LEN);
	if (l->owner.len)
		p2pp_put(b, P2PP_O_OWNER, P2PP_OBJ_MANDATORY, l->owner.p, l->owner.len);
	return p2pp_close(b);
}

/* ---- Resource-Object (4.2, 9.3.10) ----
 * Cont-type, Sub-type, Resource-ID, Resource-Value, [Owner], [Expires],
 * [Certificate], [Signature]. 9.3.10 draws the value as bare bytes between
 * Resource-ID and the additional information with no length of its own, so we
 * carry it as an object (P2PP_O_RESOURCE_VALUE, extension range). A Peer-Info
 * (4.2 lists one) is accepted and skipped. */

static int tlv_hdr(struct wbuf *w, uint8_t type, size_t len)
{
	if (len > 0xFFFF)
		return -EMSGSIZE;
	wbuf_u8(w, type);
	wbuf_u8(w, P2PP_OBJ_MANDATORY);
	return wbuf_u16(w, (uint16_t)len);
}

static int tlv(struct wbuf *w, uint8_t type, const struct p2pp_bytes *v)
{
	int err = tlv_hdr(w, type, v->len);

	if (err || !v->len)
		return err ? err : wbuf_error(w);
	return wbuf_put(w, v->p, v->len);
}

/* Everything of the object value that the signature covers. */
static int resource_tbs(struct wbuf *w, const struct p2pp_resource *r)
{
	struct p2pp_bytes id = {r->id, P2PP_ID_LEN};
	int err;

	if ((r->has_cert && (!r->cert.len || r->cert_subtype > P2PP_CERT_SERVER_SIGNED)) ||
	    (r->value.len && !r->value.p))
		return -EINVAL;
	wbuf_u8(w, r->cont_type);
	wbuf_u8(w, r->sub_type);
	err = tlv(w, P2PP_O_RESOURCE_ID, &id);
	if (!err)
		err = tlv(w, P2PP_O_RESOURCE_VALUE, &r->value);
	if (!err && r->owner.len)
		err = tlv(w, P2PP_O_OWNER, &r->owner);
	if (!err && r->has_expires && !tlv_hdr(w, P2PP_O_EXPIRES, 4))
		wbuf_u32(w, r->expires);
	if (!err && r->has_cert)
		err = tlv_hdr(w, P2PP_O_CERTIFICATE, r->cert.len + 1);
	if (!err && r->has_cert) {
		wbuf_u8(w, r->cert_subtype);
		wbuf_put(w, r->cert.p, r->cert.len);
	}
	return err ? err : wbuf_error(w);
}

int p2pp_resource_tbs(const struct p2pp_resource *r, uint8_t *buf, size_t cap, size_t *len)
{
	struct wbuf w;
	int err;

	wbuf_init(&w, buf, cap);
	err = resource_tbs(&w, r);
	if (err)
		return err;
	*len = w.len;
	return 0;
}

int p2pp_put_resource(struct p2pp_builder *b, const struct p2pp_resource *r)
{
	p2pp_open(b, P2PP_O_RESOURCE_OBJECT, P2PP_OBJ_MANDATORY);
	if (!b->err)
		stick(b, resource_tbs(&b->w, r));
	if (r->sig.len)
		p2pp_put(b, P2PP_O_SIGNATURE, P2PP_OBJ_MANDATORY, r->sig.p, r->sig.len);
	return p2pp_close(b);
}

struct res_seen {
	uint8_t id, value, owner, peer;
};

static int resource_sub(struct p2pp_tlv *t, struct p2pp_resource *r, struct res_seen *s)
{
	switch (t->type) {
	case P2PP_O_RESOURCE_ID:
		return once(&s->id) ? -EBADMSG : get_id(t, r->id);
	case P2PP_O_RESOURCE_VALUE:
		return once(&s->value) ? -EBADMSG : get_bytes(t, 0, &r->value);
	case P2PP_O_OWNER:
		return once(&s->owner) ? -EBADMSG : get_bytes(t, 1, &r->owner);
	case P2PP_O_EXPIRES:
		return once(&r->has_expires) ? -EBADMSG : get_word(t, &r->expires);
	case P2PP_O_CERTIFICATE:
		return once(&r->has_cert) ? -EBADMSG : get_cert(t, &r->cert_subtype, &r->cert);
	case P2PP_O_PEER_INFO:
		return once(&s->peer); /* 4.2 [Peer-Info]: the inserting peer; skipped */
	default:
		return -EBADMSG;
	}
}

int p2pp_get_resource(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_resource *out)
{
	struct cursor v, start;
	struct p2pp_tlv t;
	struct res_seen s = {0};
	size_t before = 0;
	int r = top_cursor(m, o, P2PP_O_RESOURCE_OBJECT, &v);

	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	start = v;
	if (cur_u8(&v, &out->cont_type) || cur_u8(&v, &out->sub_type))
		return -EBADMSG;
	while ((r = next_sub(&v, &t)) == 1) {
		/* A Signature covers what precedes it and must be last. */
		if (t.type == P2PP_O_SIGNATURE) {
			if (cur_left(&v) || get_bytes(&t, 1, &out->sig))
				return -EBADMSG;
			before = cur_pos(&v) - P2PP_OBJ_HDR_LEN - t.len;
			break;
		}
		r = resource_sub(&t, out, &s);
		if (r)
			return r;
	}
	if (r < 0)
		return r;
	if (!s.id || !s.value)
		return -EBADMSG;
	return view(&start, out->sig.len ? before : cur_pos(&v), &out->signed_part) ? -EBADMSG : 0;
}

/* ---- Error (9.4.2 "TBD"; ours): Code(16), Sub-code(8), Object-Type(8), reason ---- */

int p2pp_get_error(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_error *out)
{
	struct cursor v;
	int err = top_cursor(m, o, P2PP_O_ERROR, &v);

	if (err)
		return err;
	if (cur_u16(&v, &out->code) || cur_u8(&v, &out->sub) || cur_u8(&v, &out->obj_type))
		return -EBADMSG;
	if (out->code < 300 || out->code > P2PP_MAX_CODE)
		return -EBADMSG;
	return view(&v, cur_left(&v), &out->reason) ? -EBADMSG : 0;
}

int p2pp_put_error(struct p2pp_builder *b, const struct p2pp_error *e)
{
	if (e->code < 300 || e->code > P2PP_MAX_CODE || (e->reason.len && !e->reason.p))
		stick(b, -EINVAL);
	p2pp_open(b, P2PP_O_ERROR, P2PP_OBJ_MANDATORY);
	wbuf_u16(&b->w, e->code);
	wbuf_u8(&b->w, e->sub);
	wbuf_u8(&b->w, e->obj_type);
	if (e->reason.len && !b->err)
		wbuf_put(&b->w, e->reason.p, e->reason.len);
	return p2pp_close(b);
}

/* ---- ICE-Credentials (our extension for Connect, 8.16 "TBD"):
 * ufrag length (8), ufrag, password length (8), password ---- */

static int get_cred(struct cursor *v, size_t min, struct p2pp_bytes *out)
{
	uint8_t n;

	if (cur_u8(v, &n) || n < min)
		return -EBADMSG;
	return view(v, n, out) ? -EBADMSG : 0;
}

int p2pp_get_ice_cred(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_ice_cred *out)
{
	struct cursor v;
	int err = top_cursor(m, o, P2PP_O_ICE_CREDENTIALS, &v);

	if (err)
		return err;
	if (get_cred(&v, P2PP_UFRAG_MIN, &out->ufrag) || get_cred(&v, P2PP_PWD_MIN, &out->pwd))
		return -EBADMSG;
	return cur_left(&v) ? -EBADMSG : 0;
}

int p2pp_put_ice_cred(struct p2pp_builder *b, const struct p2pp_ice_cred *c)
{
	if (c->ufrag.len < P2PP_UFRAG_MIN || c->ufrag.len > P2PP_CRED_MAX ||
	    c->pwd.len < P2PP_PWD_MIN || c->pwd.len > P2PP_CRED_MAX)
		stick(b, -EINVAL);
	p2pp_open(b, P2PP_O_ICE_CREDENTIALS, P2PP_OBJ_MANDATORY);
	if (!b->err) {
		wbuf_u8(&b->w, (uint8_t)c->ufrag.len);
		wbuf_put(&b->w, c->ufrag.p, c->ufrag.len);
		wbuf_u8(&b->w, (uint8_t)c->pwd.len);
		wbuf_put(&b->w, c->pwd.p, c->pwd.len);
	}
	return p2pp_close(b);
}

#define FLOW_LEN 5 /* App, Flow-ID */

int p2pp_get_flow(const struct p2pp_msg *m, const struct p2pp_obj *o, struct p2pp_flow *out)
{
	struct cursor v;
	int err = top_cursor(m, o, P2PP_O_FLOW, &v);

	if (err)
		return err;
	if (cur_left(&v) != FLOW_LEN || cur_u8(&v, &out->app) || cur_u32(&v, &out->id))
		return -EBADMSG;
	return out->app ? 0 : -EBADMSG;
}

int p2pp_put_flow(struct p2pp_builder *b, const struct p2pp_flow *f)
{
	if (!f->app)
		stick(b, -EINVAL);
	p2pp_open(b, P2PP_O_FLOW, P2PP_OBJ_MANDATORY);
	if (!b->err) {
		wbuf_u8(&b->w, f->app);
		wbuf_u32(&b->w, f->id);
	}
	return p2pp_close(b);
}

/* ---- message grammar (section 8) ----
 * Counts only, not order. Where we differ from the ABNF:
 * - Peer-Info may repeat in every message: the route log (4.3.2.5, 4.4).
 * - ExchangeTable requests may carry tables and need no Request-Options: 4.3
 *   step 5 sends a table "in an ExchangeTable request".
 * - A LookupObject response may carry several resource objects (several STUN or
 *   TURN servers under one well-known key).
 * - Connect (8.16, "TBD") carries the target in a PLookup (E=1) and our
 *   ICE-Credentials in both directions; the candidates are the Address-Info of
 *   the sender's Peer-Info. A Flow object (at most one, in both directions) makes it a
 *   Connect for an application flow instead of an overlay link.
 * - KeepAlive may be a request or an indication (8.6 says both); Leave (an
 *   indication, 8.5) and every other request whose response 8 does not spell
 *   out gets a response of Peer-Info only.
 * - Responses other than 2xx: Peer-Info (302 Next Hop adds the next hop's,
 *   4.3 step 4) and at most one Error. */

struct rule {
	uint8_t type, min, max;
};

#define PI  P2PP_O_PEER_INFO
#define RO  P2PP_O_REQUEST_OPTIONS
#define RES P2PP_O_RESOURCE_OBJECT

static const struct rule peer_only[] = {{PI, 1, MANY}};
static const struct rule bootstrap_req[] = {{PI, 1, MANY}};
static const struct rule bootstrap_resp[] = {{PI, 2, MANY}, {P2PP_O_P2P_OPTIONS, 1, 1}};
static const struct rule join_req[] = {{RO, 0, 1}, {PI, 1, MANY}};
static const struct rule join_resp[] = {{PI, 1, MANY},
					{P2PP_O_EXPIRES, 0, 1},
					{P2PP_O_ROUTING_TABLE, 0, 1},
					{P2PP_O_NEIGHBOR_TABLE, 0, 1}};
static const struct rule leave_req[] = {{PI, 1, MANY}, {RES, 0, MANY}};
static const struct rule keepalive[] = {{PI, 1, MANY}, {P2PP_O_EXPIRES, 1, 1}};
static const struct rule lookup_peer_req[] = {{RO, 0, 1}, {PI, 1, MANY}, {P2PP_O_PLOOKUP, 1, 1}};
static const struct rule exchange_req[] = {
    {RO, 0, 1}, {PI, 1, MANY}, {P2PP_O_ROUTING_TABLE, 0, 1}, {P2PP_O_NEIGHBOR_TABLE, 0, 1}};
static const struct rule exchange_resp[] = {
    {PI, 1, MANY}, {P2PP_O_ROUTING_TABLE, 0, 1}, {P2PP_O_NEIGHBOR_TABLE, 0, 1}};
static const struct rule query_resp[] = {{PI, 1, MANY}, {P2PP_O_P2P_OPTIONS, 0, 1}};
static const struct rule object_req[] = {{RO, 0, 1}, {PI, 1, MANY}, {RES, 1, 1}};
static const struct rule publish_resp[] = {{PI, 1, MANY}, {P2PP_O_EXPIRES, 1, 1}};
static const struct rule lookup_obj_req[] = {{RO, 0, 1}, {PI, 1, MANY}, {P2PP_O_RLOOKUP, 1, 1}};
static const struct rule lookup_obj_resp[] = {{PI, 1, MANY}, {RES, 1, MANY}};
static const struct rule replicate_req[] = {{PI, 1, MANY}, {RES, 0, MANY}};
static const struct rule transfer_req[] = {{PI, 1, MANY}, {RES, 1, MANY}};
static const struct rule connect_req[] = {{RO, 0, 1},
					  {PI, 1, MANY},
					  {P2PP_O_PLOOKUP, 1, 1},
					  {P2PP_O_ICE_CREDENTIALS, 1, 1},
					  {P2PP_O_FLOW, 0, 1}};
static const struct rule connect_resp[] = {
    {PI, 1, MANY}, {P2PP_O_ICE_CREDENTIALS, 1, 1}, {P2PP_O_FLOW, 0, 1}};
static const struct rule error_resp[] = {{PI, 1, MANY}, {P2PP_O_ERROR, 0, 1}};

struct grammar {
	const struct rule *req, *resp;
	size_t n_req, n_resp;
};

#define G(rq, rs)                                                                                  \
	{                                                                                          \
		rq, rs, sizeof(rq) / sizeof(rq[0]), sizeof(rs) / sizeof(rs[0])                     \
	}

static const struct grammar grammars[] = {
    [P2PP_BOOTSTRAP] = G(bootstrap_req, bootstrap_resp),
    [P2PP_JOIN] = G(join_req, join_resp),
    [P2PP_LEAVE] = G(leave_req, peer_only),
    [P2PP_KEEPALIVE] = G(keepalive, keepalive),
    [P2PP_LOOKUP_PEER] = G(lookup_peer_req, peer_only),
    [P2PP_EXCHANGE_TABLE] = G(exchange_req, exchange_resp),
    [P2PP_QUERY] = G(peer_only, query_resp),
    [P2PP_PUBLISH] = G(object_req, publish_resp),
    [P2PP_LOOKUP_OBJECT] = G(lookup_obj_req, lookup_obj_resp),
    [P2PP_REMOVE_OBJECT] = G(object_req, peer_only),
    [P2PP_REPLICATE] = G(replicate_req, peer_only),
    [P2PP_TRANSFER] = G(transfer_req, peer_only),
    [P2PP_TUNNEL] = G(object_req, peer_only),
    [P2PP_CONNECT] = G(connect_req, connect_resp),
};

static int check_rules(const struct p2pp_msg *m, const struct rule *rules, size_t n)
{
	size_t allowed = 0;

	for (size_t i = 0; i < n; i++) {
		size_t c = p2pp_count(m, rules[i].type);
		size_t max = rules[i].max == MANY ? P2PP_MAX_OBJS : rules[i].max;

		if (c < rules[i].min || c > max)
			return -EBADMSG;
		allowed += c;
	}
	return allowed == m->n_objs ? 0 : -EBADMSG; /* an object out of place */
}

int p2pp_check_grammar(const struct p2pp_msg *m)
{
	const struct grammar *g;

	if (m->h.ack)
		return 0;
	if (m->h.type >= sizeof(grammars) / sizeof(grammars[0]) || !grammars[m->h.type].req)
		return -EOPNOTSUPP;
	g = &grammars[m->h.type];
	if (m->h.kind == P2PP_REQUEST || m->h.kind == P2PP_INDICATION)
		return check_rules(m, g->req, g->n_req);
	if (m->h.code >= 300)
		return check_rules(m, error_resp, sizeof(error_resp) / sizeof(error_resp[0]));
	return check_rules(m, g->resp, g->n_resp);
}
