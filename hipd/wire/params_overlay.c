/* The overlay routing parameters: OVERLAY_ID and OVERLAY_TTL (RFC 6079 6),
 * ROUTE_DST and ROUTE_VIA (RFC 6028 4.1), and the Notification Data of the hops'
 * error NOTIFYs (RFC 6079 6.2, RFC 6028 3.3). Codec only: no routing decisions. */
#include <errno.h>
#include <string.h>

#include "hipd/wire/hip_proto.h"
#include "hipd/wire/wire.h"

#define ROUTE_HDR_LEN 4 /* Flags, Reserved */
#define HIT_LEN	      16

static int open_param(const struct hip_param *p, struct cursor *c)
{
	if (!p || p->len == 0 || !p->val)
		return -HIPW_EZEROLEN;
	cur_init(c, p->val, p->len);
	return 0;
}

/* ---- ROUTE_DST, ROUTE_VIA (RFC 6028 4.1, Figure 1) ---- */

int hip_p_route_decode(const struct hip_param *p, struct hip_p_route *out)
{
	struct cursor c;
	int err = open_param(p, &c);

	if (err)
		return err;
	/* Length = number-of-HITs * 16 + 4; Reserved "ignored when receiving" */
	if (p->len < ROUTE_HDR_LEN || (p->len - ROUTE_HDR_LEN) % HIT_LEN)
		return -HIPW_EPARAM;
	out->n = (p->len - ROUTE_HDR_LEN) / HIT_LEN;
	if (out->n > HIP_ROUTE_MAX_HITS)
		return -HIPW_EPARAM;
	/* "The ROUTE_DST parameter, if present, MUST have at least one HIT" */
	if (out->n == 0 && p->type == HIP_PARAM_ROUTE_DST)
		return -HIPW_EPARAM;
	if (cur_u16(&c, &out->flags) || cur_skip(&c, 2))
		return -HIPW_EPARAM;
	for (size_t i = 0; i < out->n; i++)
		if (cur_copy(&c, &out->hits[i], HIT_LEN))
			return -HIPW_EPARAM;
	return 0;
}

int hip_p_route_encode(struct wbuf *w, uint16_t type, const struct hip_p_route *v)
{
	size_t off;

	if (type != HIP_PARAM_ROUTE_DST && type != HIP_PARAM_ROUTE_VIA)
		return -EINVAL;
	if (v->n > HIP_ROUTE_MAX_HITS || (type == HIP_PARAM_ROUTE_DST && v->n == 0))
		return -EINVAL;
	hip_build_param_begin(w, type, &off);
	wbuf_u16(w, v->flags);
	wbuf_u16(w, 0); /* Reserved: "MUST be zero when sending" */
	for (size_t i = 0; i < v->n; i++)
		wbuf_put(w, &v->hits[i], HIT_LEN);
	return hip_build_param_end(w, off);
}

/* ---- OVERLAY_ID (RFC 6079 6.1, Figure 8) ---- */

int hip_p_overlay_id_decode(const struct hip_param *p, const uint8_t **id, size_t *len)
{
	struct cursor c;
	int err = open_param(p, &c);

	if (err)
		return err;
	if (p->len > HIP_OVERLAY_ID_MAX || cur_view(&c, p->len, id))
		return -HIPW_EPARAM;
	*len = p->len;
	return 0;
}

int hip_p_overlay_id_encode(struct wbuf *w, const uint8_t *id, size_t len)
{
	if (len == 0 || len > HIP_OVERLAY_ID_MAX)
		return -EINVAL;
	return hip_build_param(w, HIP_PARAM_OVERLAY_ID, id, len);
}

/* ---- OVERLAY_TTL (RFC 6079 6.2, Figure 9) ---- */

int hip_p_overlay_ttl_decode(const struct hip_param *p, uint16_t *ttl)
{
	struct cursor c;
	int err = open_param(p, &c);

	if (err)
		return err;
	if (p->len != 4 || cur_u16(&c, ttl))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_overlay_ttl_encode(struct wbuf *w, uint16_t ttl)
{
	size_t off;

	hip_build_param_begin(w, HIP_PARAM_OVERLAY_TTL, &off);
	wbuf_u16(w, ttl);
	wbuf_u16(w, 0);
	return hip_build_param_end(w, off);
}

/* ---- Notification Data of OVERLAY_TTL_EXCEEDED (RFC 6079 6.2) and
 * UNKNOWN_NEXT_HOP (RFC 6028 3.3) ---- */

#define HDR_TYPE_OFF 2 /* 0 | Packet Type (7 bits) */
#define HDR_HITS_OFF 8 /* after Next Header .. Controls */
#define TLV_HDR_LEN  4 /* Type, Length */
#define TLV_ALIGN    8

static size_t tlv_padding(size_t len)
{
	return (TLV_ALIGN - (TLV_HDR_LEN + len) % TLV_ALIGN) % TLV_ALIGN;
}

/* The first TLV of type in m's raw bytes: its offset and total length. The
 * packet passed hip_msg_parse, yet it is walked with a cursor all the same. */
static int raw_tlv(const struct hip_msg *m, uint16_t type, size_t *off, size_t *total)
{
	struct cursor c;
	uint16_t t, len;

	cur_init(&c, m->raw, m->len);
	if (cur_skip(&c, HIP_HDR_LEN))
		return -HIPW_ETRUNC;
	while (cur_left(&c) >= TLV_HDR_LEN) {
		size_t at = cur_pos(&c);
		if (cur_u16(&c, &t) || cur_u16(&c, &len))
			return -HIPW_ETRUNC;
		size_t rest = (size_t)len + tlv_padding(len);
		if (t == type && rest <= cur_left(&c)) {
			*off = at;
			*total = TLV_HDR_LEN + rest;
			return 0;
		}
		if (t > type || cur_skip(&c, rest))
			break; /* ascending order: it is not further on */
	}
	return -HIPW_EMISSING;
}

int hip_ntf_pkt_encode(struct wbuf *w, const struct hip_msg *m, uint16_t param_type)
{
	size_t off, total;

	if (m->len < HIP_HDR_LEN)
		return -EINVAL;
	wbuf_put(w, m->raw, HIP_HDR_LEN);
	if (param_type && raw_tlv(m, param_type, &off, &total) == 0)
		wbuf_put(w, m->raw + off, total);
	return wbuf_error(w);
}

/* One parameter, then nothing but its padding or nothing at all. */
static int read_one_tlv(struct cursor *c, struct hip_param *p)
{
	size_t at = cur_pos(c);

	if (cur_u16(c, &p->type) || cur_u16(c, &p->len) || p->len == 0 ||
	    cur_view(c, p->len, &p->val))
		return -HIPW_EPARAM;
	size_t pad = tlv_padding(p->len);
	if (cur_left(c) != 0 && cur_left(c) != pad)
		return -HIPW_EPARAM;
	p->off = at;
	p->total = TLV_HDR_LEN + p->len + pad;
	return 0;
}

int hip_ntf_pkt_decode(const uint8_t *data, size_t len, struct hip_ntf_pkt *out)
{
	struct cursor c;
	uint8_t type;

	memset(out, 0, sizeof(*out));
	cur_init(&c, data, len);
	if (cur_skip(&c, HDR_TYPE_OFF) || cur_u8(&c, &type) ||
	    cur_skip(&c, HDR_HITS_OFF - HDR_TYPE_OFF - 1) || cur_copy(&c, &out->hit_s, HIT_LEN) ||
	    cur_copy(&c, &out->hit_r, HIT_LEN))
		return -HIPW_ETRUNC;
	out->type = type & 0x7f;
	if (cur_left(&c) == 0)
		return 0;
	int err = read_one_tlv(&c, &out->param);
	if (err)
		memset(&out->param, 0, sizeof(out->param));
	return err;
}
