/* BEET inner headers: parse the IPv6/IPv4 header of a packet from hit0, and
 * rebuild one from the HITs or LSIs after ESP. Bounds-checked via the cursor. */
#include "hipd/dataplane/beet.h"

#include <errno.h>
#include <string.h>

#include "common/cursor.h"

#define IP6_HDR	  40
#define IP4_HDR	  20
#define HOP_LIMIT 64

static int is_extension(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51 || nh == 50 || nh == 135;
}

static int parse6(struct cursor *c, size_t len, struct beet_inner *in)
{
	uint32_t vtf;
	uint16_t plen;
	uint8_t hops;

	if (cur_u32(c, &vtf) || cur_u16(c, &plen) || cur_u8(c, &in->next_header) ||
	    cur_u8(c, &hops) || cur_copy(c, &in->src6, 16) || cur_copy(c, &in->dst6, 16))
		return -EBADMSG;
	if ((size_t)plen + IP6_HDR > len)
		return -EBADMSG;
	if (is_extension(in->next_header))
		return -EPROTONOSUPPORT;
	in->family = AF_INET6;
	in->payload_len = plen;
	return cur_view(c, plen, &in->payload) ? -EBADMSG : 0;
}

static int parse4(struct cursor *c, size_t len, struct beet_inner *in)
{
	uint8_t vihl, tos, ttl;
	uint16_t total, id, frag, sum;

	if (cur_u8(c, &vihl) || cur_u8(c, &tos) || cur_u16(c, &total) || cur_u16(c, &id) ||
	    cur_u16(c, &frag) || cur_u8(c, &ttl) || cur_u8(c, &in->next_header) ||
	    cur_u16(c, &sum) || cur_copy(c, &in->src4, 4) || cur_copy(c, &in->dst4, 4))
		return -EBADMSG;
	if ((vihl & 0x0f) < 5 || total < IP4_HDR || total > len)
		return -EBADMSG;
	if ((vihl & 0x0f) != 5 || (frag & 0x3fff))
		return -EPROTONOSUPPORT; /* options, or a fragment */
	in->family = AF_INET;
	in->payload_len = total - IP4_HDR;
	return cur_view(c, in->payload_len, &in->payload) ? -EBADMSG : 0;
}

int beet_parse(const uint8_t *pkt, size_t len, struct beet_inner *in)
{
	struct cursor c;

	memset(in, 0, sizeof(*in));
	if (len < 1)
		return -EBADMSG;
	cur_init(&c, pkt, len);
	switch (pkt[0] >> 4) {
	case 6:
		return parse6(&c, len, in);
	case 4:
		return parse4(&c, len, in);
	default:
		return -EBADMSG;
	}
}

int beet_build6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t next_header,
		const uint8_t *payload, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct wbuf w;

	if (len > 0xffff)
		return -EMSGSIZE;
	wbuf_init(&w, out, cap);
	wbuf_u32(&w, 0x60000000);
	wbuf_u16(&w, (uint16_t)len);
	wbuf_u8(&w, next_header);
	wbuf_u8(&w, HOP_LIMIT);
	wbuf_put(&w, src, 16);
	wbuf_put(&w, dst, 16);
	wbuf_put(&w, payload, len);
	if (wbuf_error(&w))
		return -ENOSPC;
	*out_len = IP6_HDR + len;
	return 0;
}

/* RFC 791 header checksum over the 20 bytes at h. */
static uint16_t ip4_checksum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < IP4_HDR; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int beet_build4(const struct in_addr *src, const struct in_addr *dst, uint8_t next_header,
		const uint8_t *payload, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct wbuf w;

	if (len > 0xffff - IP4_HDR)
		return -EMSGSIZE;
	wbuf_init(&w, out, cap);
	wbuf_u8(&w, 0x45);
	wbuf_u8(&w, 0);
	wbuf_u16(&w, (uint16_t)(IP4_HDR + len));
	wbuf_u32(&w, 0x00004000); /* id 0, don't fragment */
	wbuf_u8(&w, HOP_LIMIT);
	wbuf_u8(&w, next_header);
	wbuf_u16(&w, 0);
	wbuf_put(&w, src, 4);
	wbuf_put(&w, dst, 4);
	wbuf_put(&w, payload, len);
	if (wbuf_error(&w))
		return -ENOSPC;
	uint16_t sum = ip4_checksum(out);

	out[10] = (uint8_t)(sum >> 8);
	out[11] = (uint8_t)sum;
	*out_len = IP4_HDR + len;
	return 0;
}
