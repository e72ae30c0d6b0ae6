/* The HIP base exchange (RFC 7401 4.1, 4.4, 6.6-6.10) and the association
 * state timers; CLOSE is in close.c, NOTIFY in notify.c, parsing in input.c. */
#ifndef HIPSIP_BEX_H
#define HIPSIP_BEX_H

#include <netinet/in.h>

#include "hipd/hadb.h"
#include "hipd/hipd.h"
#include "hipd/transport.h"
#include "hipd/wire/wire.h"

/* Starts a base exchange with peer (locator from the map). 0, or -EHOSTUNREACH
 * (no locator), -EALREADY (established), -EINPROGRESS (exchange running). */
int bex_trigger(struct hipd *h, const struct in6_addr *peer, enum hipd_fault fault);
/* The same from a given local HIT (one of ours, else -EADDRNOTAVAIL). */
int bex_trigger_from(struct hipd *h, const struct in6_addr *local, const struct in6_addr *peer,
		     enum hipd_fault fault);

void bex_on_i1(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m);
void bex_on_r1(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m);
void bex_on_i2(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m);
void bex_on_r2(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m);

/* Moves ha to state s, with an event stamp and a log line. */
void ha_set_state(struct hip_ha *ha, enum hip_state s);
/* The association timer fired: retransmit, or move on as the state says. */
void ha_timeout(struct hip_ha *ha);

/* close.c */
int close_start(struct hipd *h, const struct in6_addr *peer);
void close_on_close(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m);
void close_on_close_ack(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m);

/* notify.c: sends a signed NOTIFY with one NOTIFICATION to the sender of rx. */
void notify_send(struct hipd *h, const struct hostid *id, const struct in6_addr *peer,
		 const struct hip_rx *rx, uint16_t type, const void *data, size_t len);
void notify_on_notify(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m);
const char *notify_type_name(uint16_t type);

/* input.c: entry point for every received HIP packet. */
void input_packet(void *hipd, const struct hip_rx *rx);

#endif
