/* The overlay routing parameters: OVERLAY_ID and OVERLAY_TTL (RFC 6079 6),
 * ROUTE_DST and ROUTE_VIA (RFC 6028 4.1). Codec only: no routing decisions. */
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
