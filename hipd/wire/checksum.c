/* The HIP header checksum (RFC 7401 section 5.1.1): Internet checksum over an IPv4 or
 * IPv6 pseudo-header with next header 139 and the packet. Not the UDP checksum. */
#include "wire.h"

#include <string.h>

#define HIP_CSUM_OFF 4 /* offset of the Checksum field in the header */

/* The addresses of a pseudo-header: 4 bytes each for IPv4, 16 for IPv6. */
struct pseudo {
	const uint8_t *src;
	const uint8_t *dst;
	size_t alen;
};

/* IPv4-mapped IPv6 addresses (dual-stack sockets) travel as IPv4. */
static bool is_v4mapped(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

static int pseudo_from(const struct sockaddr *src, const struct sockaddr *dst, struct pseudo *ps)
{
	if (!src || !dst || src->sa_family != dst->sa_family)
		return -1;
	if (src->sa_family == AF_INET) {
		ps->src = (const uint8_t *)&((const struct sockaddr_in *)src)->sin_addr;
		ps->dst = (const uint8_t *)&((const struct sockaddr_in *)dst)->sin_addr;
		ps->alen = 4;
		return 0;
	}
	if (src->sa_family != AF_INET6)
		return -1;
	const struct in6_addr *s6 = &((const struct sockaddr_in6 *)src)->sin6_addr;
	const struct in6_addr *d6 = &((const struct sockaddr_in6 *)dst)->sin6_addr;
	if (is_v4mapped(s6) && is_v4mapped(d6)) {
		ps->src = &s6->s6_addr[12];
		ps->dst = &d6->s6_addr[12];
		ps->alen = 4;
		return 0;
	}
	ps->src = s6->s6_addr;
	ps->dst = d6->s6_addr;
	ps->alen = 16;
	return 0;
}

/* One's complement sum of the 16-bit words of a buffer (odd tail padded with zero). */
static uint64_t sum_bytes(const uint8_t *b, size_t n, uint64_t sum)
{
	struct cursor c;
	uint16_t w;
	uint8_t last;

	cur_init(&c, b, n);
	while (cur_u16(&c, &w) == 0)
		sum += w;
	if (cur_u8(&c, &last) == 0)
		sum += (uint64_t)last << 8;
	return sum;
}

static uint64_t sum_pseudo(const struct pseudo *ps, size_t len, uint64_t sum)
{
	sum = sum_bytes(ps->src, ps->alen, sum);
	sum = sum_bytes(ps->dst, ps->alen, sum);
	if (ps->alen == 4) /* zero, protocol, 16-bit length (RFC 768 layout) */
		return sum + HIP_PROTO + (len & 0xffff);
	/* RFC 2460: 32-bit length, 24 zero bits, next header */
	return sum + (uint64_t)len + HIP_PROTO;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sum of the packet with the checksum field counted as zero. */
static uint64_t sum_packet(const uint8_t *pkt, size_t len, uint64_t sum)
{
	struct cursor c;
	const uint8_t *head, *rest;
	uint16_t field;
	size_t n;

	cur_init(&c, pkt, len);
	if (cur_view(&c, HIP_CSUM_OFF, &head) || cur_u16(&c, &field))
		return sum_bytes(pkt, len, sum); /* shorter than a header: no field */
	sum = sum_bytes(head, HIP_CSUM_OFF, sum);
	n = cur_left(&c);
	if (cur_view(&c, n, &rest))
		return sum;
	return sum_bytes(rest, n, sum);
}

uint16_t hip_checksum(const uint8_t *pkt, size_t len, const struct sockaddr *src,
		      const struct sockaddr *dst)
{
	struct pseudo ps;

	if (pseudo_from(src, dst, &ps))
		return 0;
	return (uint16_t)~fold(sum_packet(pkt, len, sum_pseudo(&ps, len, 0)));
}

static int read_field(const uint8_t *pkt, size_t len, uint16_t *field)
{
	struct cursor c;

	cur_init(&c, pkt, len);
	if (cur_skip(&c, HIP_CSUM_OFF) || cur_u16(&c, field))
		return -HIPW_ETRUNC;
	return 0;
}

int hip_checksum_verify(const uint8_t *pkt, size_t len, const struct sockaddr *src,
			const struct sockaddr *dst)
{
	struct pseudo ps;
	uint16_t field;
	uint64_t sum;

	if (read_field(pkt, len, &field))
		return -HIPW_ECHECKSUM;
	if (!src && !dst) /* UDP framing: the field MUST be zero (RFC 5770 section 5.1) */
		return field == 0 ? 0 : -HIPW_ECHECKSUM;
	if (pseudo_from(src, dst, &ps))
		return -HIPW_ECHECKSUM;
	/* the whole sum, field included, is all ones for a correct checksum; this
	 * accepts both representations of zero (0x0000 and 0xffff) */
	sum = sum_packet(pkt, len, sum_pseudo(&ps, len, 0)) + field;
	return fold(sum) == 0xffff ? 0 : -HIPW_ECHECKSUM;
}

void hip_build_checksum(uint8_t *pkt, size_t len, const struct sockaddr *src,
			const struct sockaddr *dst)
{
	uint16_t v = 0;

	if (len < HIP_CSUM_OFF + 2)
		return;
	if (src)
		v = hip_checksum(pkt, len, src, dst);
	pkt[HIP_CSUM_OFF] = (uint8_t)(v >> 8);
	pkt[HIP_CSUM_OFF + 1] = (uint8_t)v;
}
