/* LSI <-> HIT translation for the userspace data plane: checksum rewriting
 * (RFC 1624 incremental update), the per-association flow memory, and the
 * listener check for new inbound flows. No packet I/O, no ESP. */
#include "hipd/dataplane/lsi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cursor.h"

#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The pseudo-headers of RFC 768/793 and RFC 8200 8.1 differ only in the
 * addresses once summed (length and protocol add up the same), so replacing
 * the address sum is enough: HC' = ~(~HC + ~m + m'). */
int lsi_fix_checksum(uint8_t proto, uint8_t *l4, size_t len, const struct in_addr *src4,
		     const struct in_addr *dst4, const struct in6_addr *src6,
		     const struct in6_addr *dst6, bool to_hit)
{
	size_t off = proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF;
	uint32_t sum4 = 0, sum6 = 0, old, add;
	uint16_t hc, res;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	struct cursor c;
	cur_init(&c, l4, len);
	if (cur_skip(&c, off) || cur_u16(&c, &hc))
		return -EBADMSG;
	if (proto == IPPROTO_UDP && hc == 0 && !to_hit)
		return 0; /* cannot happen from IPv6; keep "no checksum" for IPv4 */
	sum4 = sum16(sum16(0, (const uint8_t *)src4, 4), (const uint8_t *)dst4, 4);
	sum6 = sum16(sum16(0, (const uint8_t *)src6, 16), (const uint8_t *)dst6, 16);
	old = fold(to_hit ? sum4 : sum6);
	add = fold(to_hit ? sum6 : sum4);
	if (proto == IPPROTO_UDP && hc == 0) {
		/* IPv4 UDP without checksum: IPv6 needs a full one (RFC 8200 8.1). */
		uint32_t s = sum16(add, l4, len);
		if (len & 1)
			s += (uint32_t)l4[len - 1] << 8;
		s += (uint32_t)len + IPPROTO_UDP;
		res = (uint16_t)~fold(s);
	} else {
		res = (uint16_t)~fold((uint32_t)(uint16_t)~hc + (uint16_t)~old + add);
	}
	if (proto == IPPROTO_UDP && res == 0)
		res = 0xffff;
	l4[off] = (uint8_t)(res >> 8);
	l4[off + 1] = (uint8_t)res;
	return 0;
}

int lsi_ports(uint8_t proto, const uint8_t *l4, size_t len, bool outbound, uint16_t *lport,
	      uint16_t *rport)
{
	uint16_t src, dst;
	struct cursor c;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	cur_init(&c, l4, len);
	if (cur_u16(&c, &src) || cur_u16(&c, &dst))
		return -EBADMSG;
	*lport = outbound ? src : dst;
	*rport = outbound ? dst : src;
	return 0;
}

static size_t slot_of(uint8_t proto, uint16_t lport, uint16_t rport)
{
	uint32_t h = ((uint32_t)lport << 16 | rport) * 2654435761u ^ proto;

	return (h >> 8) % LSI_FLOW_SLOTS & ~(size_t)1;
}

static int find(const struct lsi_flows *f, uint8_t proto, uint16_t lport, uint16_t rport)
{
	size_t s = slot_of(proto, lport, rport);

	for (size_t i = s; i < s + 2; i++)
		if (f->slot[i].used && f->slot[i].proto == proto && f->slot[i].lport == lport &&
		    f->slot[i].rport == rport)
			return (int)i;
	return -1;
}

void lsi_flow_note(struct lsi_flows *f, uint8_t proto, uint16_t lport, uint16_t rport, bool v4)
{
	int i = find(f, proto, lport, rport);
	size_t s = slot_of(proto, lport, rport);

	if (i < 0) /* a new flow takes the free way, else evicts the second */
		i = (int)(f->slot[s].used ? s + 1 : s);
	f->slot[i].proto = proto;
	f->slot[i].lport = lport;
	f->slot[i].rport = rport;
	f->slot[i].v4 = v4;
	f->slot[i].used = 1;
}

int lsi_flow_lookup(const struct lsi_flows *f, uint8_t proto, uint16_t lport, uint16_t rport)
{
	int i = find(f, proto, lport, rport);

	return i < 0 ? -ENOENT : f->slot[i].v4;
}

/* Does /proc/net/FILE list a socket on port in state st (0 = any) whose local
 * address is all zeros or `want` (hex as the kernel prints it)? */
static bool proc_has(const char *file, uint16_t port, unsigned st, const char *want)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s", file);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char addr[33];
		unsigned p, state;

		if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", addr, &p,
			   &state) != 3)
			continue;
		if (p != port || (st && state != st))
			continue;
		found = strspn(addr, "0") == strlen(addr) || (want && strcmp(addr, want) == 0);
	}
	fclose(f);
	return found;
}

int lsi_inbound_family(uint8_t proto, uint16_t lport)
{
	const unsigned listen = proto == IPPROTO_TCP ? 0x0a : 0;
	const char *v4 = proto == IPPROTO_TCP ? "tcp" : "udp";
	const char *v6 = proto == IPPROTO_TCP ? "tcp6" : "udp6";
	struct in_addr lsi = {htonl(0x01000001u)};
	char hex[9];

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return AF_INET6;
	/* the kernel prints an IPv4 address as its in-memory 32-bit word */
	snprintf(hex, sizeof(hex), "%08X", lsi.s_addr);
	/* an IPv6 socket on :: takes HIT traffic too, and HITs are the wire form */
	if (proc_has(v6, lport, listen, NULL))
		return AF_INET6;
	if (proc_has(v4, lport, listen, hex))
		return AF_INET;
	return 0;
}
