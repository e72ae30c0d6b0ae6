/* LSIs in the userspace data plane: IPv4 packets between LSIs travel as HIT
 * traffic (RFC 6079 4.2: only HITs go on the wire). This file fixes transport
 * checksums between the two forms and decides which form a received packet
 * takes; it does no ESP and owns no association. */
#ifndef HIPSIP_LSI_H
#define HIPSIP_LSI_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LSI_FLOW_SLOTS 256

/* The transport flows of one association that use LSIs, so that replies and
 * later packets of those flows are handed back as IPv4. Direct-mapped, two ways. */
struct lsi_flows {
	struct {
		uint16_t lport, rport; /* local and remote port, host order */
		uint8_t proto;
		uint8_t v4; /* 1: the flow uses LSIs, 0: HITs */
		uint8_t used;
	} slot[LSI_FLOW_SLOTS];
};

/* Rewrites the TCP or UDP checksum of the transport segment l4 (len bytes) for
 * a change of pseudo-header addresses: from the IPv4 LSI pair to the IPv6 HIT
 * pair (to_hit) or back. Other protocols have no pseudo-header and are left
 * alone. 0, or -EBADMSG for a segment too short to hold its checksum. */
int lsi_fix_checksum(uint8_t proto, uint8_t *l4, size_t len, const struct in_addr *src4,
		     const struct in_addr *dst4, const struct in6_addr *src6,
		     const struct in6_addr *dst6, bool to_hit);

/* The ports of a TCP or UDP segment (as seen from the local side when
 * outbound is true, else from the remote side). -EBADMSG if too short,
 * -EPROTONOSUPPORT for other protocols. */
int lsi_ports(uint8_t proto, const uint8_t *l4, size_t len, bool outbound, uint16_t *lport,
	      uint16_t *rport);

void lsi_flow_note(struct lsi_flows *f, uint8_t proto, uint16_t lport, uint16_t rport, bool v4);
/* 1: the flow uses LSIs; 0: HITs; -ENOENT: not seen yet. */
int lsi_flow_lookup(const struct lsi_flows *f, uint8_t proto, uint16_t lport, uint16_t rport);

/* For a new inbound flow to lport: AF_INET6 when an IPv6 socket on :: takes
 * it, else AF_INET when an IPv4 one on 0.0.0.0 or our LSI does (a TCP
 * listener, any UDP socket), else 0: nobody listens yet. Read from /proc/net
 * in hipd's namespace. */
int lsi_inbound_family(uint8_t proto, uint16_t lport);

#endif
