/* What overlay.c (routing) and overlay_notify.c (the hops' error NOTIFYs) share:
 * the daemon's overlay state and a few helpers. Not for the rest of hipd: overlay.h. */
#ifndef HIPSIP_OVERLAY_INT_H
#define HIPSIP_OVERLAY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "hipd/overlay.h"

enum drop_reason {
	DROP_UNKNOWN_OVERLAY,  /* OVERLAY_ID of an overlay we are not in (RFC 7086 7) */
	DROP_TTL,	       /* OVERLAY_TTL zero (RFC 6079 6.2) */
	DROP_NO_NEXT_HOP,      /* no usable neighbour closer (RFC 7086 7) */
	DROP_UNKNOWN_NEXT_HOP, /* no usable association with the ROUTE_DST hop (RFC 6028 3.3) */
	DROP_NOT_ON_ROUTE,     /* ROUTE_DST without us (RFC 6028 3.3) */
	DROP_LOOP,	       /* our HIT twice in ROUTE_DST, or already in ROUTE_VIA */
	DROP_TOO_MANY_HOPS,    /* ROUTE_VIA already holds 32 HITs */
	DROP_MALFORMED,	       /* an overlay parameter that does not decode, or repeated */
	DROP_NO_RECEIVER,      /* opportunistic (null) receiver HIT: nowhere to route */
	DROP_SEND_FAILED,      /* the next hop's path refused the packet */
	DROP_N,
};

/* The error NOTIFYs we send as a hop and receive as a sender (overlay_notify.c). */
struct overlay_notify_stats {
	uint64_t sent;	     /* signed and handed to the first hop back */
	uint64_t limited;    /* not sent: the token bucket was empty */
	uint64_t unroutable; /* not sent: no way back to the sender */
	uint64_t received;   /* authenticated, about a packet of ours */
	uint64_t tokens_ms;  /* the bucket, in token-milliseconds (1000 per token) */
	uint64_t filled_at;  /* loop time (ms) of the last refill */
	bool started;
};

struct overlay {
	bool on;
	char name[OVERLAY_NAME_MAX + 1];
	uint8_t id[OVERLAY_ID_LEN];
	struct in6_addr nbr[OVERLAY_MAX_NEIGHBOURS];
	size_t n;
	uint16_t ttl;	     /* OVERLAY_TTL of packets we originate */
	uint64_t originated; /* packets we sent into the overlay */
	uint64_t forwarded;  /* packets we passed on as a hop */
	uint64_t delivered;  /* routed packets for one of our HITs */
	uint64_t dropped[DROP_N];
	struct overlay_notify_stats ntf;
};

/* Our HITs (HIPD_MAX_IDS of room in out); how many. */
size_t overlay_our_hits(const struct hipd *h, struct in6_addr *out);
/* An association that can carry overlay traffic to peer now, or NULL. */
struct hip_ha *overlay_usable(struct hipd *h, const struct in6_addr *peer);
/* Sends a finished packet of ours with OVERLAY_ID to next, adding our initial
 * OVERLAY_TTL; pkt is not changed. Counted as originated. */
int overlay_send_first(struct hipd *h, struct hip_ha *next, const uint8_t *pkt, size_t len);

/* overlay_notify.c: a hop dropped m for the reason of type (OVERLAY_TTL_EXCEEDED
 * or UNKNOWN_NEXT_HOP) and tells its sender, rate-limited. */
void overlay_notify_error(struct hipd *h, const struct hip_msg *m, uint16_t type);
/* The notify counters for overlay_json. */
void overlay_notify_json(const struct overlay *o, json_t *r);

#endif
