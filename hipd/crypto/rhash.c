/* RHASH and HMAC of a HIT suite (RFC 7401 table 10: SHA-256, SHA-384, SHA-1) through EVP.
 * Not KEYMAT or puzzles (keymat.c, puzzle.c build on these). */
#include "hipcrypto.h"

#include <errno.h>

#include <openssl/err.h>
#include <openssl/evp.h>

const char *hip_rhash_md_name(uint8_t suite)
{
	switch (suite) {
	case 1:
		return "SHA256";
	case 2:
		return "SHA384";
	case 3:
		return "SHA1";
	default:
		return NULL;
	}
}

size_t hip_rhash_len(uint8_t suite)
{
	switch (suite) {
	case 1:
		return 32;
	case 2:
		return 48;
	case 3:
		return 20;
	default:
		return 0;
	}
}

int hip_rhash(uint8_t suite, const void *data, size_t len, uint8_t *out)
{
	const char *md = hip_rhash_md_name(suite);
	size_t out_len = 0;

	if (!md)
		return -EINVAL;
	if ((!data && len) || !out)
		return -EINVAL;
	if (!EVP_Q_digest(NULL, md, NULL, data ? data : "", len, out, &out_len)) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

int hip_hmac(uint8_t suite, const uint8_t *key, size_t key_len, const void *data, size_t len,
	     uint8_t *out, size_t *out_len)
{
	const char *md = hip_rhash_md_name(suite);
	size_t n = 0;

	if (!md || (!key && key_len) || (!data && len) || !out)
		return -EINVAL;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key ? key : (const uint8_t *)"", key_len,
		       data ? data : "", len, out, hip_rhash_len(suite), &n)) {
		ERR_clear_error();
		return -EIO;
	}
	if (out_len)
		*out_len = n;
	return 0;
}
