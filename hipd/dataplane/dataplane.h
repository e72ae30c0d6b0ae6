/* hipd's data plane: what hipd calls when associations change and ESP
 * arrives. The userspace backend (hit0 + ESP in hipd) is the one we run; the
 * kernel XFRM backend comes behind this same interface (issue 4). */
#ifndef HIPSIP_DATAPLANE_H
#define HIPSIP_DATAPLANE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct hipd;
struct hip_ha;

struct dataplane_counters {
	uint64_t tun_in;       /* packets read from hit0 */
	uint64_t no_sa;	       /* ... with no association and none could start: dropped */
	uint64_t held;	       /* ... held while a base exchange ran */
	uint64_t held_sent;    /* held packets sent once the SAs were there */
	uint64_t held_dropped; /* held packets dropped: queue full, or the BEX failed */
	uint64_t bad_inner;    /* ... not between our HIT/LSI and a peer's */
	uint64_t esp_out;      /* ESP packets sent */
	uint64_t esp_in;       /* ESP packets accepted and written to hit0 */
	uint64_t esp_dropped;  /* unknown SPI, replayed, failed integrity, malformed */
	uint64_t send_errors;
};

/* Creates hit0 with our HITs and starts moving packets. 0 or -errno, logged. */
int dataplane_open(struct hipd *h);
void dataplane_close(struct hipd *h);
/* Installs the SAs once keys exist (R2-SENT, ESTABLISHED), removes them when
 * the association leaves those states. Called by ha_set_state. */
void dataplane_ha_state(struct hip_ha *ha);
/* A rekey finished (update.c): new SAs from ha->keys and the new SPIs; the
 * old inbound SA stays (ha->esp_in_old) until the new one carries a packet. */
void dataplane_ha_rekeyed(struct hip_ha *ha);
/* Drops the inbound SA left over from a rekey. */
void dataplane_ha_drop_old(struct hip_ha *ha);
/* Frees the data plane's per-association state; called when ha is freed. */
void dataplane_ha_free(struct hip_ha *ha);
const struct dataplane_counters *dataplane_counters(const struct hipd *h);
/* {"backend": ..., counters...} for hipd's status. */
json_t *dataplane_json(const struct hipd *h);

#endif
