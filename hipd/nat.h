/* NAT traversal for hipd (RFC 5770 ICE-STUN-UDP): mode and pacing negotiation in
 * the base exchange, LOCATOR_SET with the host's candidates, one ICE agent per
 * association on the HIP UDP socket. Not the ICE machinery itself (ice/). */
#ifndef HIPSIP_NAT_H
#define HIPSIP_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#include "common/cursor.h"
#include "hipd/hadb.h"
#include "hipd/wire/wire.h"

struct hipd;
struct ice_cand;

/* Host-wide: candidates (nat_gather.c) and the agents' demultiplexing. */
int nat_init(struct hipd *h);
void nat_close(struct hipd *h);
bool nat_ice_configured(const struct hipd *h);

/* R1 (pre-signed, every association): NAT_TRAVERSAL_MODE and TRANSACTION_PACING. */
int nat_build_r1(const struct hipd *h, struct wbuf *w);
/* Initiator, on a verified R1 (RFC 5770 4.3/4.4): picks the mode and Ta. */
void nat_on_r1(struct hip_ha *ha, const struct hip_msg *m);
/* I2: LOCATOR_SET (the ICE offer) goes between R1_COUNTER and SOLUTION, the
 * chosen mode and our Ta between HIP_CIPHER and ENCRYPTED (type order). */
int nat_build_locators(struct hip_ha *ha, struct wbuf *w);
int nat_build_i2_mode(const struct hip_ha *ha, struct wbuf *w);
/* Responder, on a verified I2: takes the chosen mode and the offer. -EPROTO
 * for a mode we did not offer (NOTIFY NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER). */
int nat_on_i2(struct hip_ha *ha, const struct hip_msg *m, const char **why);
/* Initiator, on a verified R2: takes the answer. */
int nat_on_r2(struct hip_ha *ha, const struct hip_msg *m);

/* The association reached R2-SENT or ESTABLISHED: starts ICE when negotiated. */
void nat_ha_start(struct hip_ha *ha);
/* True while ICE runs for ha: data must wait (RFC 5770 4.6). */
bool nat_ha_pending(const struct hip_ha *ha);
/* Sends a datagram on ha's ICE path (direct or through the TURN relay). */
int nat_ha_send(struct hip_ha *ha, const uint8_t *buf, size_t len);
/* Frees ha's ICE state (association gone or reset). */
void nat_ha_free(struct hip_ha *ha);
/* JSON-ready text of ha's path: "host 192.0.2.1:10500 -> srflx 203.0.113.5:40000". */
const char *nat_ha_path(const struct hip_ha *ha, char *buf, size_t len);
/* Type of the local candidate of ha's selected pair ("host", "srflx", "relay"), or NULL. */
const char *nat_ha_path_type(const struct hip_ha *ha);

/* transport.c's UDP filter: datagrams from our TURN server and STUN messages
 * go to the gatherer or an agent (1); anything else is left for ESP (0). */
int nat_udp_filter(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *src,
		   const struct sockaddr *dst);
/* ICE-STUN-UDP ran and failed: no ESP to the peer (RFC 5770 4.6). */
bool nat_ha_failed(const struct hip_ha *ha);
/* Whether ha's HIP and ESP go through our TURN relay. */
bool nat_ha_relayed(const struct hip_ha *ha);

/* Control (hipconf): the host's NAT state, and changing the servers at run
 * time (gathering starts again). -ENOTCONN when NAT traversal is off. */
json_t *nat_json(const struct hipd *h);
json_t *nat_host_json(const struct hipd *h);
int nat_set_stun(struct hipd *h, const struct sockaddr_storage *server);
int nat_set_turn(struct hipd *h, const struct sockaddr_storage *server, const char *user,
		 const char *pass);

/* nat_gather.c: the host's candidates, shared by every association's agent. */
size_t nat_local_candidates(const struct hipd *h, struct ice_cand *out, size_t cap);
/* The ice_sock a local candidate sends through (UDP socket, or the relay). */
const struct ice_sock *nat_sock_for(const struct hipd *h, const struct ice_cand *c);
/* 1 when the datagram came from our TURN server and was consumed. */
int nat_gather_input(struct hipd *h, const uint8_t *buf, size_t len, const struct sockaddr *src);

#endif
