/* Chord identifier arithmetic mod 2^128 (Stoica et al., "Consistent Hashing": the identifier
 * circle) and text forms. Not routing: ring.c decides where a key goes. */
#include "id.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void chord_id_from_in6(struct chord_id *out, const struct in6_addr *a)
{
	memcpy(out->b, a->s6_addr, CHORD_ID_BYTES);
}

void chord_id_to_in6(struct in6_addr *out, const struct chord_id *id)
{
	memcpy(out->s6_addr, id->b, CHORD_ID_BYTES);
}

int chord_id_cmp(const struct chord_id *a, const struct chord_id *b)
{
	return memcmp(a->b, b->b, CHORD_ID_BYTES);
}

bool chord_id_eq(const struct chord_id *a, const struct chord_id *b)
{
	return chord_id_cmp(a, b) == 0;
}

void chord_id_add(struct chord_id *out, const struct chord_id *a, const struct chord_id *b)
{
	unsigned carry = 0;

	for (int i = CHORD_ID_BYTES - 1; i >= 0; i--) {
		unsigned s = (unsigned)a->b[i] + b->b[i] + carry;

		out->b[i] = (uint8_t)s;
		carry = s >> 8;
	}
}

void chord_id_sub(struct chord_id *out, const struct chord_id *a, const struct chord_id *b)
{
	int borrow = 0;

	for (int i = CHORD_ID_BYTES - 1; i >= 0; i--) {
		int d = (int)a->b[i] - b->b[i] - borrow;

		borrow = d < 0;
		out->b[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

void chord_id_add_pow2(struct chord_id *out, const struct chord_id *a, unsigned i)
{
	struct chord_id p = {{0}};

	if (i >= CHORD_ID_BITS) {
		*out = *a; /* 2^128 = 0 mod 2^128 */
		return;
	}
	p.b[CHORD_ID_BYTES - 1 - i / 8] = (uint8_t)(1u << (i % 8));
	chord_id_add(out, a, &p);
}

void chord_id_dist(struct chord_id *out, const struct chord_id *from, const struct chord_id *to)
{
	chord_id_sub(out, to, from);
}

/* x in (a, b): 0 < dist(a, x) < dist(a, b), with dist(a, a) read as 2^128. */
bool chord_in_open(const struct chord_id *x, const struct chord_id *a, const struct chord_id *b)
{
	struct chord_id dx, db;

	if (chord_id_eq(x, a))
		return false;
	if (chord_id_eq(a, b))
		return true;
	chord_id_dist(&dx, a, x);
	chord_id_dist(&db, a, b);
	return chord_id_cmp(&dx, &db) < 0;
}

/* x in (a, b]: 0 < dist(a, x) <= dist(a, b), with dist(a, a) read as 2^128. */
bool chord_in_open_closed(const struct chord_id *x, const struct chord_id *a,
			  const struct chord_id *b)
{
	if (chord_id_eq(a, b))
		return true;
	return chord_id_eq(x, b) || chord_in_open(x, a, b);
}

const char *chord_id_to_hex(const struct chord_id *id, char buf[CHORD_ID_HEXLEN])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < CHORD_ID_BYTES; i++) {
		buf[2 * i] = digits[id->b[i] >> 4];
		buf[2 * i + 1] = digits[id->b[i] & 0xf];
	}
	buf[2 * CHORD_ID_BYTES] = '\0';
	return buf;
}

const char *chord_id_to_str(const struct chord_id *id, char buf[CHORD_ID_STRLEN])
{
	struct in6_addr a;

	chord_id_to_in6(&a, id);
	if (!inet_ntop(AF_INET6, &a, buf, CHORD_ID_STRLEN))
		buf[0] = '\0';
	return buf;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex(const char *s, struct chord_id *out)
{
	struct chord_id id;

	if (strlen(s) != 2 * CHORD_ID_BYTES)
		return -EINVAL;
	for (int i = 0; i < CHORD_ID_BYTES; i++) {
		int hi = hex_val(s[2 * i]), lo = hex_val(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		id.b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = id;
	return 0;
}

int chord_id_parse(const char *s, struct chord_id *out)
{
	struct in6_addr a;

	if (!s)
		return -EINVAL;
	if (parse_hex(s, out) == 0)
		return 0;
	if (inet_pton(AF_INET6, s, &a) != 1)
		return -EINVAL;
	chord_id_from_in6(out, &a);
	return 0;
}
