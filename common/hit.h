/* HIT and LSI text helpers and ORCHIDv2 derivation (RFC 7343) for HIP suites.
 * Does not own keys: see hostid.h for host identities. */
#ifndef HIPSIP_HIT_H
#define HIPSIP_HIT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIT_STRLEN INET6_ADDRSTRLEN

/* ORCHIDv2 prefix 2001:20::/28 */
bool hit_is_orchid(const struct in6_addr *a);
/* The 4-bit OGA ID (= HIT suite ID) of an ORCHIDv2 */
uint8_t hit_oga_id(const struct in6_addr *a);
int hit_parse(const char *s, struct in6_addr *out); /* -EINVAL unless a valid ORCHID */
const char *hit_to_str(const struct in6_addr *a, char buf[HIT_STRLEN]);
int hit_cmp(const struct in6_addr *a, const struct in6_addr *b); /* memcmp order */

/* ORCHIDv2 (RFC 7343 section 2) with the HIP context ID, hashing the HI with
 * the hash of the HIT suite (RFC 7401 section 3.2): prefix | OGA | 96 bits. */
int hit_from_hi(uint8_t suite, const uint8_t *hi, size_t hi_len, struct in6_addr *out);

#endif
