/* UPDATE handling (RFC 7401 6.11-6.12) for ESP rekeying (RFC 7402 6.8-6.10):
 * starting a rekey, processing UPDATEs, retransmission and the rekey timer. */
#ifndef HIPSIP_UPDATE_H
#define HIPSIP_UPDATE_H

#include "hipd/hadb.h"
#include "hipd/hipd.h"
#include "hipd/transport.h"
#include "hipd/wire/wire.h"

/* Starts rekeying ha's SAs: 0, -ENOTCONN (not ESTABLISHED), -EINPROGRESS. */
int update_rekey_start(struct hip_ha *ha);
void update_on_update(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m);
/* ESP arrived for an SPI no SA has: if it is the inbound SPI of a pending
 * rekey whose peer parameters are in, the rekey completes; returns the
 * association then, else NULL. */
struct hip_ha *update_spi_arrived(struct hipd *h, uint32_t spi);
/* The association timer fired in ESTABLISHED: retransmit or give up. */
void update_timeout(struct hip_ha *ha);
/* Once a second: rekeys associations whose lifetime or sequence numbers run
 * out, drops inbound SAs left over from a rekey. */
void update_tick(struct hipd *h);

#endif
