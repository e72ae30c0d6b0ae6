/* The hit0 device: a TUN interface holding the local HITs (/128) and LSIs,
 * with routes for the ORCHIDv2 prefix and the LSI prefix, configured over
 * rtnetlink with libnl-route-3. It moves no packets; the data plane does. */
#ifndef HIPSIP_HIT0_H
#define HIPSIP_HIT0_H

#include <netinet/in.h>
#include <stddef.h>

struct nl_sock;

#define HIT0_NAME	   "hit0"
#define HIT0_ORCHID_PREFIX "2001:20::/28" /* RFC 7343 */
#define HIT0_LSI_PREFIX	   "1.0.0.0/8"
/* Room for outer IPv6 (40) + UDP (8) + ESP header, IV, padding, trailer, ICV. */
#define HIT0_OVERHEAD (40 + 8 + 8 + 16 + 17 + 16)

struct hit0 {
	int fd; /* the TUN file descriptor: one IP packet per read and write */
	int ifindex;
	char name[16];
	unsigned mtu;
	struct nl_sock *nl;
};

/* Creates (or takes over) the TUN device `name`, sets its MTU to link_mtu minus
 * HIT0_OVERHEAD, brings it up and routes both prefixes into it. 0 or -errno;
 * *why gets a short reason on failure. */
int hit0_open(struct hit0 *t, const char *name, unsigned link_mtu, const char **why);
/* Adds a local HIT (/128, no DAD) or an LSI (/32). */
int hit0_add_hit(struct hit0 *t, const struct in6_addr *hit);
int hit0_add_lsi(struct hit0 *t, const struct in_addr *lsi);
/* Removes the device (and with it its addresses and routes). */
void hit0_close(struct hit0 *t);

#endif
