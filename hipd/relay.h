/* The HIP relay of RFC 5770 (4.1, 4.5, 4.7, 4.10) with the registration of RFC
 * 8003: the server side (relay.c) and the client side (relay_client.c). These
 * are the hooks the rest of hipd calls; the packet rewriting is relay_pkt.c. */
#ifndef HIPSIP_RELAY_H
#define HIPSIP_RELAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "hipd/hadb.h"
#include "hipd/hipd.h"
#include "hipd/transport.h"
#include "hipd/wire/wire.h"

/* Creates the relay state of h (always: a host answers REG_REQUESTs and
 * recognises keepalives even when it is neither server nor client). */
int relay_start(struct hipd *h);
void relay_stop(struct hipd *h);
/* Once a second: server registrations expire; the client registers, refreshes
 * and sends keepalives. */
void relay_tick(struct hipd *h);

/* What relay_input saw of a packet, for relay_after_input. */
struct relay_note {
	bool have_state;	      /* state_before is valid */
	enum hip_state state_before;  /* of the association (receiver HIT, sender HIT) */
	bool relayed;		      /* carried a RELAY_FROM that a registered relay vouched for */
	struct sockaddr_storage from; /* ... its address */
};

/* Before dispatch (input.c). Returns true when the packet is consumed: relayed
 * onwards by the server, a keepalive, or dropped for a relay reason (a
 * RELAY_HMAC that does not verify, a packet for an unregistered client). */
bool relay_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
		 struct relay_note *note);
/* After dispatch (input.c): the outcome of a registration in R2, the relayed
 * Initiator's address on a new association. */
void relay_after_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
		       const struct relay_note *note);

/* Parameter hooks, each appending in type order:
 * R1 (r1cache.c, signed, after HIT_SUITE_LIST): REG_INFO when --relay-server;
 * I2 (bex.c, after ENCRYPTED): REG_REQUEST to our relay if its R1 offered it;
 * R2 (bex.c, after ESP_INFO): REG_RESPONSE/REG_FAILED and REG_FROM for an I2
 * that asked; UPDATE (update.c, before HIP_MAC): the same for an UPDATE whose
 * SEQ is acknowledged. 0 or a negative error (from the wbuf). */
int relay_r1_params(struct hipd *h, struct wbuf *w);
int relay_i2_params(struct hip_ha *ha, struct wbuf *w);
int relay_r2_params(struct hip_ha *ha, struct wbuf *w);
int relay_update_params(struct hip_ha *ha, const uint32_t *ack, struct wbuf *w);
/* An authenticated UPDATE from ha's peer (update.c): registration requests
 * (server) and responses (client). */
void relay_on_update(struct hipd *h, struct hip_ha *ha, const struct hip_rx *rx,
		     const struct hip_msg *m);

/* Outgoing packets (output.c): an R1 or R2 to the relay we are registered with,
 * for a peer whose packets came through it, gets RELAY_TO and RELAY_HMAC
 * (RFC 5770 4.5 step 3, 4.10). Returns the packet to send: pkt itself, or buf
 * with *len updated. */
uint8_t *relay_wrap(struct hipd *h, const struct sockaddr *dst, uint8_t *pkt, size_t *len,
		    uint8_t *buf, size_t cap);

/* hipconf daemon get relay: server registrations and client state. */
json_t *relay_json(struct hipd *h);
/* The relay fields of an association for get ha (none when not relayed). */
void relay_ha_json(const struct hip_ha *ha, json_t *o);

/* Test-only: moves the relay's clock (registrations, refreshes, keepalives)
 * forward by seconds, so that tests need not wait for lifetimes. */
void relay_clock_advance(struct hipd *h, uint32_t seconds);

#endif
