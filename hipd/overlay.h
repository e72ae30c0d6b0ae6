/* HIP BONE overlay routing for hipd (RFC 6079, RFC 6028, RFC 7086 7 applied to our
 * Chord overlay): the neighbour set, the next-hop choice, and the overlay parameters
 * of packets we originate, forward and answer. Not the peer protocol (p2psipd pushes
 * the neighbour set) and not the base exchange (bex.c asks for routes and parameters). */
#ifndef HIPSIP_OVERLAY_H
#define HIPSIP_OVERLAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hipd/hadb.h"
#include "hipd/hipd.h"
#include "hipd/transport.h"
#include "hipd/wire/wire.h"

#define OVERLAY_MAX_NEIGHBOURS 256 /* 128 fingers, successors, predecessor, with room */
#define OVERLAY_NAME_MAX       255
#define OVERLAY_ID_LEN	       4 /* RFC 7086 5.1: the RELOAD overlay field's length */
/* RFC 6940 6.3.2 suggests 100, but a Via list holds at most 32 HITs (RFC 6028 4.1),
 * so a recorded route cannot be longer anyway */
#define OVERLAY_TTL_INITIAL 32
/* The hops' error NOTIFYs (RFC 6079 6.2, RFC 6028 3.3) come from one token
 * bucket per daemon: this many at once, then this many a second, so a flood of
 * bad packets is not amplified (each NOTIFY is signed and larger). */
#define OVERLAY_NOTIFY_BURST 5
#define OVERLAY_NOTIFY_RATE  5

/* What a received packet tells about answering it through the overlay. */
struct overlay_route {
	bool via_overlay;	/* it carried our OVERLAY_ID */
	struct hip_p_route dst; /* ROUTE_DST for the answer: the Via list reversed with its
				   flags (RFC 6028 3.2), n = 0 for none */
};

int overlay_start(struct hipd *h);
void overlay_stop(struct hipd *h);

/* Replaces the overlay name and the whole neighbour set (name NULL: overlay
 * routing off). -EINVAL for a name of 0 or more than OVERLAY_NAME_MAX octets,
 * -E2BIG for more than OVERLAY_MAX_NEIGHBOURS neighbours. */
int overlay_set(struct hipd *h, const char *name, const struct in6_addr *nbrs, size_t n);
/* The OVERLAY_TTL of packets we originate (default OVERLAY_TTL_INITIAL); -EINVAL for 0. */
int overlay_set_ttl(struct hipd *h, uint16_t ttl);
/* hipconf daemon get overlay: name, ID, neighbours and their usability, counters. */
json_t *overlay_json(const struct hipd *h);

/* OVERLAY_ID of an overlay name: the lower 32 bits of its SHA-1 hash, as RELOAD
 * forms its overlay field (RFC 6940 6.3.2; RFC 7086 5.1 carries it as such). */
int overlay_id_of(const char *name, uint8_t out[OVERLAY_ID_LEN]);
/* Chord next hop: the index of the candidate that most closely precedes or equals
 * target on the ring mod 2^128 and is strictly closer to it than self, or -1
 * (the distance shrinks at every hop, so a packet cannot loop). */
int overlay_closest(const struct in6_addr *self, const struct in6_addr *target,
		    const struct in6_addr *cands, size_t n);
/* When no neighbour is closer than self (we are the closest preceding node we
 * know, but have no association with target): the index of the candidate that
 * follows target most closely on the ring, skipping those in skip[0..n_skip)
 * (the hops already in ROUTE_VIA), or -1. That node holds target as its Chord
 * predecessor, so it usually has an association with it: the step RELOAD takes
 * through the admitting peer when a new peer reaches its successor. */
int overlay_after(const struct in6_addr *target, const struct in6_addr *cands, size_t n,
		  const struct in6_addr *skip, size_t n_skip);
/* RFC 6028 3.3: the next hop of a Destination list for a node owning the HITs
 * ours[0..n_ours): the HIT after ours, or the receiver after the last entry.
 * -ENOENT when none of ours is in the list, -ELOOP when one is there twice. */
int overlay_dst_next(const struct hip_p_route *dst, const struct in6_addr *ours, size_t n_ours,
		     const struct in6_addr *receiver, struct in6_addr *next);

/* Whether a packet to peer can go through the overlay now: it is configured
 * and a usable neighbour is closer to peer than we are, or follows it. */
bool overlay_can_reach(struct hipd *h, const struct in6_addr *peer);
/* Whether ha's control packets go through the overlay: its exchange started
 * there and ICE has not found a path yet (RFC 6079 4: "first routed through
 * the overlay and then directly"). */
bool overlay_ha_routed(const struct hip_ha *ha);
/* How to answer m (a packet for one of our HITs). */
void overlay_route_of(const struct hipd *h, const struct hip_msg *m, struct overlay_route *r);
/* Appends the signed-range overlay parameters in type order: OVERLAY_ID, and
 * ROUTE_DST when r has one (r NULL: a new packet). Call after the parameters
 * below type 4592 and before HIP_MAC: the signature and HIP_MAC cover them, so
 * no hop may change them (RFC 6028 3.2). -ENOTCONN when no overlay is set. */
int overlay_build_signed(const struct hipd *h, const struct overlay_route *r, struct wbuf *w);
/* Sends a finished packet that carries OVERLAY_ID: adds OVERLAY_TTL and, unless
 * it has a ROUTE_DST, an empty ROUTE_VIA with SYMMETRIC and MUST_FOLLOW (RFC
 * 7086 7), and sends it to the first ROUTE_DST hop or to the closest usable
 * neighbour. pkt is not changed. -EHOSTUNREACH without a next hop. */
int overlay_send(struct hipd *h, const uint8_t *pkt, size_t len);
/* input.c, before local processing: a packet with OVERLAY_ID that is not for
 * one of our HITs is forwarded (TTL decremented, our HIT appended to ROUTE_VIA,
 * next hop from ROUTE_DST or the neighbour set) or dropped with a reason; so is
 * any packet for an overlay we are not in. A drop for TTL 0 or an unknown
 * ROUTE_DST hop is told to the packet's sender by a NOTIFY routed back through
 * the overlay (overlay_notify.c). Returns true when consumed. */
bool overlay_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m);
/* notify.c, for an authenticated NOTIFY (m) whose NOTIFICATION n is
 * OVERLAY_TTL_EXCEEDED or UNKNOWN_NEXT_HOP: a hop could not carry a packet of
 * ours. Logged, stamped, counted and kept as the association's last_notify;
 * nothing else changes (RFC 7401 6.13). */
void overlay_notify_input(struct hipd *h, const struct hip_msg *m,
			  const struct hip_p_notification *n);

#endif
