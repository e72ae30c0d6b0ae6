/* BEET mode (RFC 7402 Appendix A): the inner IP header of a packet read from
 * hit0 is dropped before ESP and rebuilt from the association's HITs or LSIs
 * after it. Parsing and building only; no SA lookup, no ESP. */
#ifndef HIPSIP_BEET_H
#define HIPSIP_BEET_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct beet_inner {
	int family; /* AF_INET6 (HITs) or AF_INET (LSIs) */
	struct in6_addr src6, dst6;
	struct in_addr src4, dst4;
	uint8_t next_header;	/* the transport protocol: ESP's next header field */
	const uint8_t *payload; /* points into the packet */
	size_t payload_len;
};

/* Reads the IPv6 or IPv4 header of a packet from hit0. 0, or -EBADMSG for a
 * malformed header, -EPROTONOSUPPORT for IPv6 extension headers or IPv4
 * options and fragments, which BEET here does not carry. */
int beet_parse(const uint8_t *pkt, size_t len, struct beet_inner *in);

/* Writes an inner IPv6 (src/dst HITs) or IPv4 (src/dst LSIs, with checksum)
 * header and the payload into out, for writing to hit0. 0 or -ENOSPC/-EMSGSIZE. */
int beet_build6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t next_header,
		const uint8_t *payload, size_t len, uint8_t *out, size_t cap, size_t *out_len);
int beet_build4(const struct in_addr *src, const struct in_addr *dst, uint8_t next_header,
		const uint8_t *payload, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
