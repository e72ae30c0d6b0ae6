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
/* An authenticated ESP packet arrived on ha's new inbound SA while the old
 * one is still there (the userspace data plane says so): the old one's grace
 * period starts, and a rekey waiting for the peer's ACK switches outbound
 * traffic to the new SA now (RFC 7402 3.3.2): only our UPDATE told the peer
 * that SPI. */
void update_new_in_used(struct hip_ha *ha);
/* The association timer fired in ESTABLISHED: retransmit or give up. */
void update_timeout(struct hip_ha *ha);
/* Once a second: rekeys associations whose lifetime or sequence numbers run
 * out, drops inbound SAs left over from a rekey. */
void update_tick(struct hipd *h);

#endif
