/* The NAT traversal parameters of RFC 5770 section 5 (NAT_TRAVERSAL_MODE,
 * TRANSACTION_PACING) and LOCATOR_SET (RFC 8046 4 with RFC 5770's type 2). Codec only. */
#include <errno.h>
#include <string.h>

#include "hipd/wire/hip_proto.h"
#include "hipd/wire/wire.h"

#define LOCATOR_HDR_LEN	      8	 /* traffic, type, length, reserved|P, lifetime */
#define LOCATOR_TRANSPORT_LEN 28 /* port, protocol, kind, priority, SPI, address */

static int open_param(const struct hip_param *p, struct cursor *c)
{
	if (!p || p->len == 0 || !p->val)
		return -HIPW_EZEROLEN;
	cur_init(c, p->val, p->len);
	return 0;
}

/* ---- NAT_TRAVERSAL_MODE (5.4): 2 reserved bytes, then 16-bit mode IDs ---- */

int hip_p_nat_mode_decode(const struct hip_param *p, struct hip_p_list16 *out)
{
	struct cursor c;
	uint16_t id;
	int err = open_param(p, &c);

	if (err)
		return err;
	if (cur_skip(&c, 2) || cur_left(&c) == 0 || cur_left(&c) % 2)
		return -HIPW_EPARAM;
	out->n = 0;
	/* "accepting the first six Mode IDs and dropping the rest" */
	while (cur_left(&c) && out->n < HIP_NAT_MODES_MAX) {
		if (cur_u16(&c, &id))
			return -HIPW_EPARAM;
		out->ids[out->n++] = id;
	}
	return 0;
}

int hip_p_nat_mode_encode(struct wbuf *w, const struct hip_p_list16 *v)
{
	size_t off;

	if (v->n == 0 || v->n > HIP_NAT_MODES_MAX)
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_NAT_TRAVERSAL_MODE, &off);
	wbuf_u16(w, 0);
	for (size_t i = 0; i < v->n; i++)
		wbuf_u16(w, v->ids[i]);
	return hip_build_param_end(w, off);
}

/* ---- TRANSACTION_PACING (5.5): Min Ta in milliseconds ---- */

int hip_p_pacing_decode(const struct hip_param *p, uint32_t *min_ta_ms)
{
	struct cursor c;
	int err = open_param(p, &c);

	if (err)
		return err;
	if (p->len != 4 || cur_u32(&c, min_ta_ms))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_pacing_encode(struct wbuf *w, uint32_t min_ta_ms)
{
	size_t off;

	hip_build_param_begin(w, HIP_PARAM_TRANSACTION_PACING, &off);
	wbuf_u32(w, min_ta_ms);
	return hip_build_param_end(w, off);
}

/* ---- LOCATOR_SET ---- */

static int read_transport(struct cursor *c, struct hip_p_locator *l)
{
	if (cur_u16(c, &l->port) || cur_u8(c, &l->protocol) || cur_u8(c, &l->kind) ||
	    cur_u32(c, &l->priority) || cur_u32(c, &l->spi) || cur_copy(c, &l->addr, 16))
		return -HIPW_EPARAM;
	return 0;
}

/* Reads one locator's body (len bytes) by type; 1 for a type we skip. */
static int read_body(struct cursor *body, struct hip_p_locator *l)
{
	size_t len = cur_left(body);

	switch (l->type) {
	case HIP_LOCATOR_IPV6:
		if (len != 16)
			return -HIPW_EPARAM;
		return cur_copy(body, &l->addr, 16) ? -HIPW_EPARAM : 0;
	case HIP_LOCATOR_ESP_IPV6:
		if (len != 20 || cur_u32(body, &l->spi) || cur_copy(body, &l->addr, 16))
			return -HIPW_EPARAM;
		return 0;
	case HIP_LOCATOR_TRANSPORT:
		if (len != LOCATOR_TRANSPORT_LEN)
			return -HIPW_EPARAM;
		return read_transport(body, l);
	default:
		return 1;
	}
}

static int read_locator(struct cursor *c, struct hip_p_locator *l)
{
	uint8_t len4, flags;
	struct cursor body;

	memset(l, 0, sizeof(*l));
	if (cur_u8(c, &l->traffic) || cur_u8(c, &l->type) || cur_u8(c, &len4) ||
	    cur_u8(c, &flags) || cur_u32(c, &l->lifetime))
		return -HIPW_EPARAM;
	if (len4 == 0 || cur_sub(c, (size_t)len4 * 4, &body))
		return -HIPW_EPARAM;
	if (l->traffic > HIP_LOCATOR_TRAFFIC_DATA)
		return -HIPW_EPARAM;
	l->preferred = flags & 1;
	return read_body(&body, l);
}

int hip_p_locator_set_decode(const struct hip_param *p, struct hip_p_locator_set *out)
{
	struct cursor c;
	int err = open_param(p, &c);

	if (err)
		return err;
	out->n = 0;
	out->skipped = 0;
	while (cur_left(&c)) {
		struct hip_p_locator l;

		err = read_locator(&c, &l);
		if (err < 0)
			return err;
		if (err == 1 || out->n == HIP_MAX_LOCATORS) {
			out->skipped++;
			continue;
		}
		out->loc[out->n++] = l;
	}
	return out->n ? 0 : -HIPW_EPARAM;
}

static void write_locator(struct wbuf *w, const struct hip_p_locator *l)
{
	uint8_t len4 = l->type == HIP_LOCATOR_TRANSPORT	 ? LOCATOR_TRANSPORT_LEN / 4
		       : l->type == HIP_LOCATOR_ESP_IPV6 ? 5
							 : 4;

	wbuf_u8(w, l->traffic);
	wbuf_u8(w, l->type);
	wbuf_u8(w, len4);
	wbuf_u8(w, l->preferred ? 1 : 0);
	wbuf_u32(w, l->lifetime);
	if (l->type == HIP_LOCATOR_TRANSPORT) {
		wbuf_u16(w, l->port);
		wbuf_u8(w, l->protocol);
		wbuf_u8(w, l->kind);
		wbuf_u32(w, l->priority);
	}
	if (l->type != HIP_LOCATOR_IPV6)
		wbuf_u32(w, l->spi);
	wbuf_put(w, &l->addr, 16);
}

int hip_p_locator_set_encode(struct wbuf *w, const struct hip_p_locator_set *v)
{
	size_t off;

	if (v->n == 0 || v->n > HIP_MAX_LOCATORS)
		return -EINVAL;
	for (size_t i = 0; i < v->n; i++)
		if (v->loc[i].type > HIP_LOCATOR_TRANSPORT ||
		    v->loc[i].traffic > HIP_LOCATOR_TRAFFIC_DATA)
			return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_LOCATOR_SET, &off);
	for (size_t i = 0; i < v->n; i++)
		write_locator(w, &v->loc[i]);
	return hip_build_param_end(w, off);
}
