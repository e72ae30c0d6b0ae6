/* HIP packet framing (RFC 7401 section 5.1, 5.2.1): header and TLV parsing into views,
 * and building a packet TLV by TLV. Not the parameter contents (params.c) nor checksums. */
#include "wire.h"

#include <errno.h>
#include <string.h>

#define HIP_NEXT_HDR_NONE 59 /* IPPROTO_NONE */
#define HIP_HDR_LEN_MIN	  4  /* the two HITs: (4 + 1) * 8 = 40 bytes */
#define HIP_TLV_HDR	  4
#define HIP_PARAM_MAX_LEN 0xffff

/* RFC 7401 section 5.2.1: Total Length = 11 + Length - (Length + 3) % 8 */
static size_t tlv_total(size_t len)
{
	return 11 + len - (len + 3) % 8;
}

/* Reads the fixed 40-byte header; leaves the cursor at the first parameter. */
static int parse_header(struct cursor *c, struct hip_msg *m, uint8_t *hdr_len)
{
	uint8_t type, ver;

	if (cur_u8(c, &m->next_hdr) || cur_u8(c, hdr_len) || cur_u8(c, &type) || cur_u8(c, &ver) ||
	    cur_u16(c, &m->checksum) || cur_u16(c, &m->controls) ||
	    cur_copy(c, &m->hit_s, sizeof(m->hit_s)) || cur_copy(c, &m->hit_r, sizeof(m->hit_r)))
		return -HIPW_ETRUNC;
	/* the leading 0 bit before Packet Type and the trailing 1 bit after RES
	 * (RFC 7401 section 5.1; a clear bit would be a SHIM6 header) */
	if ((type & 0x80) || !(ver & 0x01))
		return -HIPW_EFIXED;
	m->type = type & 0x7f;
	m->version = ver >> 4;
	if (m->version != HIP_VERSION)
		return -HIPW_EVERSION;
	return 0;
}

/* The packet length given by the header against the buffer. Too small a Header
 * Length, or trailing bytes after the packet with Next Header IPPROTO_NONE, are
 * -HIPW_EHDRLEN here. With another Next Header the trailing data is ignored (RFC
 * 7401 section 5.1). A buffer shorter than the header says is walked as far as it
 * goes (see hip_msg_parse). */
static int check_length(size_t buf_len, uint8_t next_hdr, uint8_t hdr_len, size_t *pkt_len)
{
	size_t want = ((size_t)hdr_len + 1) * 8;

	if (hdr_len < HIP_HDR_LEN_MIN)
		return -HIPW_EHDRLEN;
	if (buf_len > want && next_hdr == HIP_NEXT_HDR_NONE)
		return -HIPW_EHDRLEN;
	*pkt_len = want;
	return 0;
}

/* Reads one TLV at the cursor into p, checking its lengths against the packet. */
static int parse_tlv(struct cursor *c, struct hip_param *p)
{
	size_t left;

	p->off = cur_pos(c);
	if (cur_u16(c, &p->type) || cur_u16(c, &p->len))
		return -HIPW_ETRUNC;
	left = cur_left(c);
	if (p->len > left)
		return -HIPW_ELENGTH;
	p->total = tlv_total(p->len);
	if (p->total - HIP_TLV_HDR > left)
		return -HIPW_EPADDING;
	if (cur_view(c, p->len, &p->val))
		return -HIPW_ELENGTH;
	/* padding SHOULD NOT be checked by the receiver (RFC 7401 section 5.2.1) */
	if (cur_skip(c, p->total - HIP_TLV_HDR - p->len))
		return -HIPW_EPADDING;
	return 0;
}

/* Ordering, criticality and the contents rule for one parsed TLV; stores it in m
 * if this implementation knows its type. */
static int accept_tlv(struct hip_msg *m, const struct hip_param *p, uint16_t prev)
{
	if (p->type < prev) {
		m->bad_type = p->type;
		return -HIPW_EORDER;
	}
	if (!hip_param_known(p->type)) {
		if (!(p->type & 1))
			return 0; /* unknown non-critical: skipped */
		m->bad_type = p->type;
		return -HIPW_ECRITICAL;
	}
	if (p->len == 0) {
		m->bad_type = p->type;
		return -HIPW_EZEROLEN; /* every known parameter has contents */
	}
	if (m->nparams == HIP_MSG_MAX_PARAMS)
		return -HIPW_ETOOMANY;
	m->params[m->nparams++] = *p;
	return 0;
}

int hip_msg_parse(const uint8_t *buf, size_t len, struct hip_msg *m)
{
	struct cursor c, body;
	struct hip_param p;
	uint8_t hdr_len;
	uint16_t prev = 0; /* no type is below 0: the first TLV is in order */
	int err;

	memset(m, 0, sizeof(*m));
	cur_init(&c, buf, len);
	err = parse_header(&c, m, &hdr_len);
	if (err)
		return err;
	err = check_length(len, m->next_hdr, hdr_len, &m->len);
	if (err)
		return err;
	m->raw = buf;
	/* the TLVs are checked against the bytes present, so that a cut packet
	 * fails at the first TLV it cuts (ETRUNC, ELENGTH, EPADDING) */
	cur_init(&body, buf, len < m->len ? len : m->len);
	if (cur_skip(&body, HIP_HDR_LEN))
		return -HIPW_ETRUNC;
	while (cur_left(&body) > 0) {
		err = parse_tlv(&body, &p);
		if (err)
			return err;
		err = accept_tlv(m, &p, prev);
		if (err)
			return err;
		prev = p.type;
	}
	if (len < m->len)
		return -HIPW_EHDRLEN; /* cut at a TLV boundary */
	return 0;
}

const struct hip_param *hip_msg_find(const struct hip_msg *m, uint16_t type)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (m->params[i].type == type)
			return &m->params[i];
	return NULL;
}

const struct hip_param *hip_msg_find_next(const struct hip_msg *m, const struct hip_param *prev)
{
	size_t i;

	if (!prev || prev < m->params || prev >= m->params + m->nparams)
		return NULL;
	i = (size_t)(prev - m->params) + 1;
	/* same types are consecutive (checked by hip_msg_parse) */
	if (i < m->nparams && m->params[i].type == prev->type)
		return &m->params[i];
	return NULL;
}

/* ---- building ---- */

int hip_build_start(struct wbuf *w, uint8_t type, uint16_t controls, const struct in6_addr *hit_s,
		    const struct in6_addr *hit_r)
{
	if (w->len != 0 || (type & 0x80) || !hit_s || !hit_r)
		return -EINVAL;
	wbuf_u8(w, HIP_NEXT_HDR_NONE);
	wbuf_u8(w, 0); /* Header Length: hip_build_set_len */
	wbuf_u8(w, type);
	wbuf_u8(w, (HIP_VERSION << 4) | 0x01);
	wbuf_u16(w, 0); /* Checksum: hip_build_checksum */
	wbuf_u16(w, controls);
	wbuf_put(w, hit_s, sizeof(*hit_s));
	wbuf_put(w, hit_r, sizeof(*hit_r));
	return wbuf_error(w);
}

static int build_pad(struct wbuf *w, size_t len)
{
	return wbuf_zero(w, tlv_total(len) - HIP_TLV_HDR - len);
}

int hip_build_param(struct wbuf *w, uint16_t type, const void *val, size_t len)
{
	if (len > HIP_PARAM_MAX_LEN || (len && !val))
		return -EINVAL;
	wbuf_u16(w, type);
	wbuf_u16(w, (uint16_t)len);
	wbuf_put(w, val, len);
	build_pad(w, len);
	return wbuf_error(w);
}

int hip_build_param_begin(struct wbuf *w, uint16_t type, size_t *tlv_off)
{
	*tlv_off = w->len;
	wbuf_u16(w, type);
	wbuf_u16(w, 0); /* Length: hip_build_param_end */
	return wbuf_error(w);
}

int hip_build_param_end(struct wbuf *w, size_t tlv_off)
{
	size_t len;
	int err = wbuf_error(w);

	if (err)
		return err;
	if (tlv_off > w->len || w->len - tlv_off < HIP_TLV_HDR)
		return -EINVAL;
	len = w->len - tlv_off - HIP_TLV_HDR;
	if (len > HIP_PARAM_MAX_LEN)
		return -EMSGSIZE;
	err = wbuf_patch_u16(w, tlv_off + 2, (uint16_t)len);
	if (err)
		return err;
	build_pad(w, len);
	return wbuf_error(w);
}

int hip_build_set_len_to(uint8_t *pkt, size_t len)
{
	if (len % 8 || len < HIP_HDR_LEN)
		return -EINVAL;
	if (len > HIP_MAX_PACKET_LEN)
		return -EMSGSIZE;
	pkt[1] = (uint8_t)(len / 8 - 1);
	return 0;
}

int hip_build_set_len(struct wbuf *w)
{
	int err = wbuf_error(w);

	if (err)
		return err;
	return hip_build_set_len_to(w->buf, w->len);
}
