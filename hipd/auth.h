/* HIP_MAC/HIP_MAC_2 and HIP_SIGNATURE/HIP_SIGNATURE_2 over packet ranges exactly
 * as RFC 7401 section 6.4 scopes them. Keys and identities come from the caller. */
#ifndef HIPSIP_AUTH_H
#define HIPSIP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"
#include "common/hostid.h"
#include "hipd/wire/wire.h"

/* Appends a HIP_SIGNATURE or HIP_SIGNATURE_2 computed over w as built so far
 * (checksum zero, length up to the signature). For HIP_SIGNATURE_2 the caller
 * must have left the receiver HIT and the PUZZLE's Opaque and #I zero. */
int auth_sign_append(const struct hostid *id, struct wbuf *w, uint16_t type);
/* Verifies the signature parameter of m (type HIP_SIGNATURE or _2) with id.
 * -EBADMSG if it does not verify, -HIPW_EMISSING if absent. */
int auth_verify(const struct hostid *id, const struct hip_msg *m, uint16_t type);

/* Appends HIP_MAC or HIP_MAC_2; host_id_tlv (HIP_MAC_2 only) is the HOST_ID
 * parameter, as sent in R1, to include in the computation. */
int auth_mac_append(uint8_t suite, const uint8_t *key, size_t key_len, struct wbuf *w,
		    uint16_t type, const uint8_t *host_id_tlv, size_t host_id_len);
int auth_mac_verify(uint8_t suite, const uint8_t *key, size_t key_len, const struct hip_msg *m,
		    uint16_t type, const uint8_t *host_id_tlv, size_t host_id_len);

/* HIP_MAC with mac_key, then HIP_SIGNATURE by id: how UPDATE, CLOSE and
 * CLOSE_ACK end (RFC 7401 5.3.5-5.3.8). 0 or a negative error. */
int auth_seal(uint8_t suite, const uint8_t *mac_key, size_t mac_len, const struct hostid *id,
	      struct wbuf *w);

/* The other way: HIP_MAC with mac_key and HIP_SIGNATURE by peer both verify.
 * 0, or a negative error. */
int auth_check_sealed(uint8_t suite, const uint8_t *mac_key, size_t mac_len,
		      const struct hostid *peer, const struct hip_msg *m);

#endif
