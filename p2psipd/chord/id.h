/* Chord identifiers: 128-bit node IDs and keys (a node's ID is its HIT), arithmetic mod 2^128,
 * the ring intervals Chord routes by, text forms. Not routing state: see ring.h. */
#ifndef HIPSIP_CHORD_ID_H
#define HIPSIP_CHORD_ID_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define CHORD_ID_BITS	128
#define CHORD_ID_BYTES	16
#define CHORD_ID_HEXLEN (2 * CHORD_ID_BYTES + 1) /* 32 hex digits and the NUL */
#define CHORD_ID_STRLEN INET6_ADDRSTRLEN	 /* the IPv6 (HIT) text form */

/* An identifier on the ring, most significant byte first (network order, as an in6_addr). */
struct chord_id {
	uint8_t b[CHORD_ID_BYTES];
};

void chord_id_from_in6(struct chord_id *out, const struct in6_addr *a);
void chord_id_to_in6(struct in6_addr *out, const struct chord_id *id);

/* Unsigned order of the 128-bit numbers: <0, 0, >0 like memcmp. */
int chord_id_cmp(const struct chord_id *a, const struct chord_id *b);
bool chord_id_eq(const struct chord_id *a, const struct chord_id *b);

/* out = a + b, a - b, a + 2^i, all mod 2^128 (out may alias a or b). i < 128. */
void chord_id_add(struct chord_id *out, const struct chord_id *a, const struct chord_id *b);
void chord_id_sub(struct chord_id *out, const struct chord_id *a, const struct chord_id *b);
void chord_id_add_pow2(struct chord_id *out, const struct chord_id *a, unsigned i);

/* Clockwise distance from `from` to `to`: (to - from) mod 2^128; 0 when equal. */
void chord_id_dist(struct chord_id *out, const struct chord_id *from, const struct chord_id *to);

/* Ring intervals, walking clockwise (increasing IDs, wrapping at 2^128) from a to b.
 * As Chord defines them for a == b: (a, a) is the whole ring except a (so a lone node adopts
 * any other node as successor or predecessor), and (a, a] is the whole ring (a lone node is
 * responsible for every key). */
bool chord_in_open(const struct chord_id *x, const struct chord_id *a, const struct chord_id *b);
bool chord_in_open_closed(const struct chord_id *x, const struct chord_id *a,
			  const struct chord_id *b);

/* Text: 32 lowercase hex digits, or the IPv6 form a HIT is written in. */
const char *chord_id_to_hex(const struct chord_id *id, char buf[CHORD_ID_HEXLEN]);
const char *chord_id_to_str(const struct chord_id *id, char buf[CHORD_ID_STRLEN]);
/* Accepts either text form; -EINVAL otherwise. */
int chord_id_parse(const char *s, struct chord_id *out);

#endif
