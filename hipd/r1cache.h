/* Pre-signed R1 packets per (host identity, DH group) and generation, and the
 * stateless puzzle check of I2s against them (RFC 7401 4.1.1, 6.7.1). */
#ifndef HIPSIP_R1CACHE_H
#define HIPSIP_R1CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hostid.h"
#include "hipd/crypto/hipcrypto.h"
#include "hipd/wire/wire.h"

struct hipd;
struct r1cache;

int r1cache_new(struct hipd *h, struct r1cache **out);
void r1cache_free(struct r1cache *c);
/* Starts a new generation (R1_COUNTER + 1); the previous one stays valid for I2s. */
void r1cache_rotate(struct r1cache *c);
uint64_t r1cache_generation(const struct r1cache *c);

/* Starts a new generation, with its R1s pre-created, when the current one has
 * served an I2 and is at least 1 s old, or is older than r1_rotate_ms. hipd calls
 * it after answering an I1, so that no I1 waits for a new generation. */
void r1cache_refresh(struct r1cache *c);

/* Writes into out a complete R1 (without checksum) from identity id to hit_i,
 * with the DH group chosen from the I1's list, and a puzzle of difficulty k
 * whose #I = HMAC(generation secret, HIT-I | HIT-R | k). */
int r1cache_make(struct r1cache *c, const struct hostid *id, const struct in6_addr *hit_i,
		 const struct hip_p_list8 *i1_groups, uint8_t k, uint8_t *out, size_t cap,
		 size_t *len);

/* The same R1 with extra (whole TLVs of types between ESP_TRANSFORM and
 * HIP_SIGNATURE_2, in order) before the signature, signed for this packet:
 * for an I1 that came through the overlay, whose R1 carries OVERLAY_ID and
 * ROUTE_DST under the signature (RFC 6028 3.2). Costs a signature per R1. */
int r1cache_make_routed(struct r1cache *c, const struct hostid *id, const struct in6_addr *hit_i,
			const struct hip_p_list8 *i1_groups, uint8_t k, const uint8_t *extra,
			size_t extra_len, uint8_t *out, size_t cap, size_t *len);

/* Checks an I2's SOLUTION against what we issued: the generation (from
 * R1_COUNTER if present), #I bound to the HITs, #K, and J. On success points
 * *dh at the DH key of that generation for the I2's group. Returns -ESTALE
 * for an unknown generation, -EBADMSG for a wrong #I or J, -ENOENT when the
 * group was never offered. */
int r1cache_check_solution(struct r1cache *c, const struct hostid *id, const struct in6_addr *hit_i,
			   bool has_counter, uint64_t counter, const struct hip_p_solution *sol,
			   uint8_t dh_group, const struct hip_dh **dh);
/* An I2 completed with this generation: its DH values should not be offered
 * again (RFC 7401 5.3.2); a new generation starts at the next R1. */
void r1cache_mark_used(struct r1cache *c, uint64_t counter);

#endif
