/* KEYMAT generation (RFC 7401 section 6.5): HKDF (RFC 5869) with the RHASH of the suite,
 * IKM = Kij, salt = #I | #J, info = sort(HIT-I | HIT-R). Not the drawing of keys from it. */
#include "hipcrypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "common/hit.h"

#define IJ_MAX 48 /* RHASH_len of SHA-384 */

/* The smaller HIT (as an unsigned 128-bit big-endian integer) first. */
static void sorted_hits(const struct in6_addr *a, const struct in6_addr *b, uint8_t out[32])
{
	if (hit_cmp(a, b) > 0) {
		const struct in6_addr *t = a;

		a = b;
		b = t;
	}
	memcpy(out, a->s6_addr, 16);
	memcpy(out + 16, b->s6_addr, 16);
}

static int hkdf(const char *md, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
		size_t salt_len, const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
	    OSSL_PARAM_construct_end(),
	};
	int ok = ctx && EVP_KDF_derive(ctx, out, out_len, params) > 0;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -EIO;
}

int hip_keymat(uint8_t suite, const uint8_t *kij, size_t kij_len, const struct in6_addr *hit_i,
	       const struct in6_addr *hit_r, const uint8_t *i, const uint8_t *j, size_t ij_len,
	       uint8_t *out, size_t out_len)
{
	const char *md = hip_rhash_md_name(suite);
	uint8_t salt[2 * IJ_MAX], info[32];
	int err;

	if (!md || !kij || !kij_len || !hit_i || !hit_r || !i || !j || !out)
		return -EINVAL;
	if (ij_len == 0 || ij_len > IJ_MAX)
		return -EINVAL;
	/* HKDF-Expand yields at most 255 blocks */
	if (out_len == 0 || out_len > 255 * hip_rhash_len(suite))
		return -EINVAL;
	memcpy(salt, i, ij_len);
	memcpy(salt + ij_len, j, ij_len);
	sorted_hits(hit_i, hit_r, info);
	err = hkdf(md, kij, kij_len, salt, 2 * ij_len, info, sizeof(info), out, out_len);
	if (err) {
		OPENSSL_cleanse(out, out_len);
		ERR_clear_error();
	}
	return err;
}
