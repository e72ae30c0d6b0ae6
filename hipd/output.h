/* Sending HIP packets: finishing the header (length, checksum for the transport),
 * handing them to a transport, and the per-association retransmission timer. */
#ifndef HIPSIP_OUTPUT_H
#define HIPSIP_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hipd/hadb.h"
#include "hipd/hipd.h"

/* Sets the checksum (pseudo-header for raw, zero for UDP) and sends. src may be
 * NULL: the kernel's route decides, and the checksum uses that address. */
int out_send(struct hipd *h, enum hip_transport tr, const struct sockaddr *src,
	     const struct sockaddr *dst, uint8_t *pkt, size_t len);
/* Sends to the association's peer; with retransmit, keeps a copy and arms the
 * timer (RTO doubling per try). */
int out_send_ha(struct hip_ha *ha, const uint8_t *pkt, size_t len, bool retransmit);
/* Sends to the association's peer on its current path (direct, or the TURN
 * relay ICE chose), without keeping a copy: for packets of others that the
 * overlay forwards through this association (overlay.c). */
int out_send_path(struct hip_ha *ha, uint8_t *pkt, size_t len);
/* Arms the association timer for ms milliseconds (state timers: R2-SENT,
 * CLOSED, E-FAILED), replacing any retransmission. */
void out_arm_timer(struct hip_ha *ha, uint64_t ms);
void out_stop_timer(struct hip_ha *ha);

#endif
