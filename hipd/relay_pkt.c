/* Relay packet rewriting: RELAY_FROM/RELAY_TO insertion in type order, RELAY_HMAC
 * sealing, checking and stripping over the exact ranges of RFC 8004 4.2.1; the
 * same type-order insertion for the overlay's unsigned parameters (overlay.c). */
#include "hipd/relay_pkt.h"

#include <errno.h>
#include <string.h>

#include "hipd/auth.h"

#define TLV_HDR 4

/* RFC 7401 5.2.1: Total Length = 11 + Length - (Length + 3) % 8 */
static size_t tlv_total(size_t len)
{
	return 11 + len - (len + 3) % 8;
}

static bool is_relay_type(uint16_t t)
{
	return t == HIP_PARAM_RELAY_FROM || t == HIP_PARAM_RELAY_TO || t == HIP_PARAM_RELAY_HMAC;
}

/* The next whole TLV at c (header and padded contents) as a view. */
static int next_tlv(struct cursor *c, uint16_t *type, const uint8_t **tlv, size_t *total)
{
	struct cursor peek = *c;
	uint16_t len;

	if (cur_u16(&peek, type) || cur_u16(&peek, &len))
		return -EBADMSG;
	*total = tlv_total(len);
	return cur_view(c, *total, tlv) ? -EBADMSG : 0;
}

/* Copies the TLVs at c into out, dropping those of type when replace is set
 * and inserting tlv (one whole TLV of that type, or none) before the first
 * greater type. With relay_rules, a relay parameter or a type above RELAY_HMAC
 * already in the packet is -EEXIST. */
static int copy_tlvs(struct cursor *c, uint16_t type, const uint8_t *tlv, size_t tlv_len,
		     bool relay_rules, struct wbuf *out)
{
	bool inserted = tlv == NULL;

	while (cur_left(c)) {
		uint16_t t;
		const uint8_t *cur;
		size_t total;
		int err = next_tlv(c, &t, &cur, &total);

		if (err)
			return err;
		if (relay_rules && (is_relay_type(t) || t > HIP_PARAM_RELAY_HMAC))
			return -EEXIST;
		if (!inserted && t > type) {
			wbuf_put(out, tlv, tlv_len);
			inserted = true;
		}
		if (!relay_rules && t == type)
			continue;
		wbuf_put(out, cur, total);
	}
	if (!inserted)
		wbuf_put(out, tlv, tlv_len);
	return wbuf_error(out);
}

/* Copies the header of pkt into out (empty) and leaves c at the first TLV. */
static int copy_header(const uint8_t *pkt, size_t len, struct cursor *c, struct wbuf *out)
{
	const uint8_t *hdr;

	if (out->len != 0)
		return -EINVAL;
	cur_init(c, pkt, len);
	if (cur_view(c, HIP_HDR_LEN, &hdr))
		return -EBADMSG;
	return wbuf_put(out, hdr, HIP_HDR_LEN) ? wbuf_error(out) : 0;
}

int relay_pkt_put(const uint8_t *pkt, size_t len, uint16_t type, const uint8_t *tlv, size_t tlv_len,
		  struct wbuf *out)
{
	struct cursor c;
	int err = copy_header(pkt, len, &c, out);

	if (err)
		return err;
	if (tlv && (tlv_len < TLV_HDR || (size_t)(tlv[0] << 8 | tlv[1]) != type))
		return -EINVAL;
	err = copy_tlvs(&c, type, tlv, tlv_len, false, out);
	if (err)
		return err;
	out->buf[4] = out->buf[5] = 0;
	return hip_build_set_len(out);
}

int relay_pkt_seal(const uint8_t *pkt, size_t len, uint16_t addr_type,
		   const struct hip_p_relay_addr *addr, uint8_t suite, const uint8_t *key,
		   size_t key_len, struct wbuf *out)
{
	uint8_t tlv[TLV_HDR + 24];
	struct wbuf tw;
	struct cursor c;
	int err;

	if (addr_type != HIP_PARAM_RELAY_FROM && addr_type != HIP_PARAM_RELAY_TO)
		return -EINVAL;
	wbuf_init(&tw, tlv, sizeof(tlv));
	err = hip_p_relay_addr_encode(&tw, addr_type, addr);
	if (err)
		return err;
	err = copy_header(pkt, len, &c, out);
	if (err)
		return err;
	err = copy_tlvs(&c, addr_type, tlv, tw.len, true, out);
	if (err)
		return err;
	out->buf[4] = out->buf[5] = 0; /* checksum: zero over UDP */
	return auth_mac_append(suite, key, key_len, out, HIP_PARAM_RELAY_HMAC, NULL, 0);
}

int relay_pkt_check(const struct hip_msg *m, uint8_t suite, const uint8_t *key, size_t key_len)
{
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_RELAY_HMAC);

	if (!p)
		return -HIPW_EMISSING;
	if (hip_msg_find_next(m, p) || p->off + p->total != m->len)
		return -EPROTO;
	return auth_mac_verify(suite, key, key_len, m, HIP_PARAM_RELAY_HMAC, NULL, 0);
}

int relay_pkt_strip_hmac(const struct hip_msg *m, struct wbuf *out)
{
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_RELAY_HMAC);

	if (!p || p->off < HIP_HDR_LEN || p->off > m->len)
		return -HIPW_EMISSING;
	if (out->len != 0)
		return -EINVAL;
	if (wbuf_put(out, m->raw, p->off))
		return wbuf_error(out);
	out->buf[4] = out->buf[5] = 0;
	return hip_build_set_len(out);
}

int relay_pkt_addr(const struct hip_msg *m, uint16_t t, struct hip_p_relay_addr *out)
{
	const struct hip_param *p = hip_msg_find(m, t);

	if (!p)
		return -HIPW_EMISSING;
	if (hip_msg_find_next(m, p))
		return -EPROTO;
	return hip_p_relay_addr_decode(p, out);
}

bool relay_pkt_has_relay_params(const struct hip_msg *m)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (is_relay_type(m->params[i].type))
			return true;
	return false;
}
