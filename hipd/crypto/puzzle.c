/* Puzzles (RFC 7401 4.1.2, 5.2.4-5.2.5): find or check #J so that the lowest #K bits of
 * RHASH(#I | HIT-I | HIT-R | #J) are zero. Not the choice of #I or of the difficulty. */
#include "hipcrypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define RHASH_MAX 48

/* The lowest-order k bits of a big-endian number are its last bits. */
static bool low_bits_zero(const uint8_t *h, size_t len, uint8_t k)
{
	size_t full = k / 8;
	uint8_t rest = k % 8;

	for (size_t n = 0; n < full; n++)
		if (h[len - 1 - n])
			return false;
	return !rest || !(h[len - 1 - full] & ((1u << rest) - 1));
}

/* A digest context primed with #I | HIT-I | HIT-R; each try copies it and adds #J. */
static EVP_MD_CTX *prime(const EVP_MD *md, const uint8_t *i, size_t n, const struct in6_addr *hit_i,
			 const struct in6_addr *hit_r)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, i, n) &&
	    EVP_DigestUpdate(ctx, hit_i->s6_addr, 16) && EVP_DigestUpdate(ctx, hit_r->s6_addr, 16))
		return ctx;
	EVP_MD_CTX_free(ctx);
	return NULL;
}

static int try_j(const EVP_MD_CTX *base, EVP_MD_CTX *work, const uint8_t *j, size_t n, uint8_t k,
		 bool *hit)
{
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;

	if (!EVP_MD_CTX_copy_ex(work, base) || !EVP_DigestUpdate(work, j, n) ||
	    !EVP_DigestFinal_ex(work, h, &hlen))
		return -EIO;
	*hit = low_bits_zero(h, hlen, k);
	return 0;
}

/* #J as a big-endian counter */
static void increment(uint8_t *j, size_t n)
{
	for (size_t p = n; p-- > 0;)
		if (++j[p])
			return;
}

static int check_args(uint8_t suite, uint8_t k, const uint8_t *i, const uint8_t *j,
		      const struct in6_addr *hit_i, const struct in6_addr *hit_r, const EVP_MD **md)
{
	const char *name = hip_rhash_md_name(suite);

	if (!name || !i || !j || !hit_i || !hit_r)
		return -EINVAL;
	if (k > 8 * hip_rhash_len(suite))
		return -EINVAL;
	*md = EVP_get_digestbyname(name);
	return *md ? 0 : -EIO;
}

static int search(const EVP_MD_CTX *base, uint8_t k, uint8_t *j, size_t n, uint64_t max_tries)
{
	EVP_MD_CTX *work = EVP_MD_CTX_new();
	bool found = false;
	int err = work ? 0 : -ENOMEM;

	for (uint64_t t = 0; !err && t < max_tries; t++) {
		err = try_j(base, work, j, n, k, &found);
		if (found)
			break;
		increment(j, n);
	}
	EVP_MD_CTX_free(work);
	if (err)
		return err;
	return found ? 0 : -ETIMEDOUT;
}

int hip_puzzle_solve(uint8_t suite, uint8_t k, const uint8_t *i, const struct in6_addr *hit_i,
		     const struct in6_addr *hit_r, uint8_t *j, uint64_t max_tries)
{
	size_t n = hip_rhash_len(suite);
	const EVP_MD *md = NULL;
	EVP_MD_CTX *base;
	uint8_t cand[RHASH_MAX];
	int err = check_args(suite, k, i, j, hit_i, hit_r, &md);

	if (err)
		return err;
	if (RAND_bytes(cand, (int)n) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	base = prime(md, i, n, hit_i, hit_r);
	if (!base)
		return -ENOMEM;
	err = search(base, k, cand, n, max_tries);
	EVP_MD_CTX_free(base);
	if (!err)
		memcpy(j, cand, n);
	return err;
}

int hip_puzzle_verify(uint8_t suite, uint8_t k, const uint8_t *i, const uint8_t *j,
		      const struct in6_addr *hit_i, const struct in6_addr *hit_r)
{
	size_t n = hip_rhash_len(suite);
	const EVP_MD *md = NULL;
	EVP_MD_CTX *base, *work;
	bool ok = false;
	int err = check_args(suite, k, i, j, hit_i, hit_r, &md);

	if (err)
		return err;
	base = prime(md, i, n, hit_i, hit_r);
	work = EVP_MD_CTX_new();
	err = base && work ? try_j(base, work, j, n, k, &ok) : -ENOMEM;
	EVP_MD_CTX_free(base);
	EVP_MD_CTX_free(work);
	if (err)
		return err;
	return ok ? 0 : -EBADMSG;
}
