/* ORCHIDv2 HITs (RFC 7343, RFC 7401 section 3.2): derivation from an HI field and text helpers.
 * Not key handling or HI encoding: hostid.c builds the HI bytes this file hashes. */
#include "hit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

/* RFC 7401 section 3.2: the HIP context ID for ORCHIDv2. */
static const uint8_t hip_context_id[16] = {0xF0, 0xEF, 0xF0, 0x2F, 0xBF, 0xF4, 0x3D, 0x0F,
					   0xE7, 0x93, 0x0C, 0x3C, 0x6E, 0x61, 0x74, 0xEA};

#define ORCHID_HASH_BYTES 12 /* Encode_96 */

bool hit_is_orchid(const struct in6_addr *a)
{
	const uint8_t *b = a->s6_addr;

	/* 2001:20::/28: 0x20 0x01 0x00 and the high nibble 0x2 of the fourth byte */
	return b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && (b[3] & 0xf0) == 0x20;
}

uint8_t hit_oga_id(const struct in6_addr *a)
{
	return a->s6_addr[3] & 0x0f;
}

int hit_parse(const char *s, struct in6_addr *out)
{
	struct in6_addr a;

	if (!s || inet_pton(AF_INET6, s, &a) != 1)
		return -EINVAL;
	if (!hit_is_orchid(&a))
		return -EINVAL;
	*out = a;
	return 0;
}

const char *hit_to_str(const struct in6_addr *a, char buf[HIT_STRLEN])
{
	if (!inet_ntop(AF_INET6, a, buf, HIT_STRLEN))
		strcpy(buf, "?");
	return buf;
}

int hit_cmp(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a->s6_addr, b->s6_addr, sizeof(a->s6_addr));
}

/* RFC 7401 table 10: the hash of each HIT suite. */
static const EVP_MD *suite_md(uint8_t suite)
{
	switch (suite) {
	case 1:
		return EVP_sha256();
	case 2:
		return EVP_sha384();
	case 3:
		return EVP_sha1();
	default:
		return NULL;
	}
}

static int hash_context_and_hi(const EVP_MD *md, const uint8_t *hi, size_t hi_len, uint8_t *digest,
			       unsigned int *dlen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, md, NULL) &&
	     EVP_DigestUpdate(ctx, hip_context_id, sizeof(hip_context_id)) &&
	     EVP_DigestUpdate(ctx, hi, hi_len) && EVP_DigestFinal_ex(ctx, digest, dlen);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/* ORCHID := Prefix (28 bits) | OGA ID (4 bits) | Encode_96(Hash(Context ID | HI)), where
 * Encode_96 takes the middle 96 bits of the hash (RFC 7343 section 2, RFC 9374 3.5.2.1). */
int hit_from_hi(uint8_t suite, const uint8_t *hi, size_t hi_len, struct in6_addr *out)
{
	const EVP_MD *md = suite_md(suite);
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int err;

	if (!md || !hi || !hi_len || !out)
		return -EINVAL;
	err = hash_context_and_hi(md, hi, hi_len, digest, &dlen);
	if (err)
		return err;
	/* every suite hash (160/256/384 bits) leaves a byte-aligned middle */
	size_t off = (dlen - ORCHID_HASH_BYTES) / 2;

	out->s6_addr[0] = 0x20;
	out->s6_addr[1] = 0x01;
	out->s6_addr[2] = 0x00;
	out->s6_addr[3] = 0x20 | (suite & 0x0f);
	memcpy(&out->s6_addr[4], digest + off, ORCHID_HASH_BYTES);
	return 0;
}
