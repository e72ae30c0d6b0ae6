/* HIP packets as a relay and its clients rewrite them (RFC 5770 4.5, RFC 8004
 * 4.2): an address parameter inserted in type order and RELAY_HMAC after all it
 * covers, and the reverse check and strip. Bytes only: no state, no policy. */
#ifndef HIPSIP_RELAY_PKT_H
#define HIPSIP_RELAY_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"
#include "hipd/wire/wire.h"

/* Writes into out (empty) the packet pkt (len bytes, as hip_msg_parse accepted it) with
 * the address parameter addr_type (RELAY_FROM or RELAY_TO) inserted in type
 * order, then RELAY_HMAC keyed with key over everything before it (RFC 8004
 * 4.2.1: checksum zero, header length up to RELAY_HMAC). Nothing covered by a
 * signature or HIP_MAC changes: both end before these types. The checksum is
 * left zero (UDP framing, RFC 5770 5.1).
 * -EEXIST if pkt already carries RELAY_FROM, RELAY_TO or RELAY_HMAC, or any
 * parameter of a type above RELAY_HMAC (it would have to follow the HMAC);
 * -EBADMSG if its TLVs do not frame; -EMSGSIZE or -ENOBUFS if too big. */
int relay_pkt_seal(const uint8_t *pkt, size_t len, uint16_t addr_type,
		   const struct hip_p_relay_addr *addr, uint8_t suite, const uint8_t *key,
		   size_t key_len, struct wbuf *out);

/* Writes into out (empty) the packet pkt (len bytes, as hip_msg_parse accepted
 * it) with every parameter of type removed and tlv (tlv_len bytes: one whole
 * encoded parameter of that type with its padding, or NULL for none) inserted
 * in type order; header length adjusted, checksum zero, nothing else changed.
 * For parameters outside what HIP_MAC and the signatures cover (types above
 * HIP_SIGNATURE: OVERLAY_TTL, ROUTE_VIA), which hops may rewrite.
 * -EINVAL if tlv is not of type, -EBADMSG if the TLVs do not frame, -ENOBUFS
 * or -EMSGSIZE if too big. */
int relay_pkt_put(const uint8_t *pkt, size_t len, uint16_t type, const uint8_t *tlv, size_t tlv_len,
		  struct wbuf *out);

/* Checks m's RELAY_HMAC: present once, the last parameter of the packet, and
 * valid under key. 0, -HIPW_EMISSING, -EPROTO (repeated or not last), -EBADMSG
 * (does not verify) or another negative error. */
int relay_pkt_check(const struct hip_msg *m, uint8_t suite, const uint8_t *key, size_t key_len);

/* Writes m without its RELAY_HMAC into out (empty): the bytes before it, header length
 * adjusted, checksum zero. Call after relay_pkt_check. */
int relay_pkt_strip_hmac(const struct hip_msg *m, struct wbuf *out);

/* The one parameter of type t (RELAY_FROM, RELAY_TO, REG_FROM) in m, decoded.
 * -HIPW_EMISSING if none, -EPROTO if repeated, -HIPW_EPARAM if malformed. */
int relay_pkt_addr(const struct hip_msg *m, uint16_t t, struct hip_p_relay_addr *out);

/* Whether m carries RELAY_FROM, RELAY_TO or RELAY_HMAC. */
bool relay_pkt_has_relay_params(const struct hip_msg *m);

#endif
