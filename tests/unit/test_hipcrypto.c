/* Unit tests for hipd/crypto: RHASH/HMAC and KEYMAT against published or independently
 * computed vectors, DH agreement and bad peer values, puzzles, HIP_CIPHER. */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "hipd/crypto/hipcrypto.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (n < cap && isxdigit((unsigned char)hex[2 * n]) &&
	       sscanf(hex + 2 * n, "%2hhx", &out[n]) == 1)
		n++;
	return n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[512];

	ck_assert_uint_eq(unhex(want, w, sizeof(w)), len);
	ck_assert_mem_eq(got, w, len);
}

/* ---- RHASH and HMAC, RFC 7401 table 10 ---- */

/* FIPS 180 "abc" vectors for SHA-256, SHA-384, SHA-1. */
START_TEST(rhash_is_the_hash_of_the_hit_suite)
{
	uint8_t out[64];

	ck_assert_uint_eq(hip_rhash_len(1), 32);
	ck_assert_uint_eq(hip_rhash_len(2), 48);
	ck_assert_uint_eq(hip_rhash_len(3), 20);
	ck_assert_uint_eq(hip_rhash_len(0), 0);
	ck_assert_uint_eq(hip_rhash_len(4), 0);
	ck_assert_int_eq(hip_rhash(1, "abc", 3, out), 0);
	assert_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(hip_rhash(2, "abc", 3, out), 0);
	assert_hex(out, 48,
		   "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2"
		   "358baeca134c825a7");
	ck_assert_int_eq(hip_rhash(3, "abc", 3, out), 0);
	assert_hex(out, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");
	ck_assert_int_eq(hip_rhash(0, "abc", 3, out), -EINVAL);
}
END_TEST

/* RFC 4231 test case 2 (HMAC-SHA-256/384) and RFC 2202 test case 2 (HMAC-SHA-1). */
START_TEST(hmac_of_each_suite_matches_rfc4231_and_rfc2202)
{
	const char *data = "what do ya want for nothing?";
	uint8_t out[64];
	size_t len = 0;

	ck_assert_int_eq(hip_hmac(1, (const uint8_t *)"Jefe", 4, data, 28, out, &len), 0);
	ck_assert_uint_eq(len, 32);
	assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	ck_assert_int_eq(hip_hmac(2, (const uint8_t *)"Jefe", 4, data, 28, out, &len), 0);
	ck_assert_uint_eq(len, 48);
	assert_hex(out, 48,
		   "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c"
		   "78b3239ecfab21649");
	ck_assert_int_eq(hip_hmac(3, (const uint8_t *)"Jefe", 4, data, 28, out, &len), 0);
	ck_assert_uint_eq(len, 20);
	assert_hex(out, 20, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	ck_assert_int_eq(hip_hmac(9, (const uint8_t *)"Jefe", 4, data, 28, out, &len), -EINVAL);
}
END_TEST

/* ---- Diffie-Hellman, RFC 7401 5.2.7 ---- */

static const uint8_t all_groups[] = {3, 4, 11, 7, 8};

/* Public value: MODP full width of p (RFC 3526); ECDH x | y (RFC 5903 section 7). */
START_TEST(both_sides_derive_the_same_secret_in_every_group)
{
	const size_t pub_len[] = {192, 384, 256, 64, 96};
	const size_t sec_len[] = {192, 384, 256, 32, 48};

	for (size_t g = 0; g < sizeof(all_groups); g++) {
		struct hip_dh *a, *b;
		uint8_t pa[512], pb[512], sa[512], sb[512];
		size_t la, lb, ka, kb;

		ck_assert(hip_dh_supported(all_groups[g]));
		ck_assert_uint_eq(hip_dh_public_len(all_groups[g]), pub_len[g]);
		ck_assert_int_eq(hip_dh_generate(all_groups[g], &a), 0);
		ck_assert_int_eq(hip_dh_generate(all_groups[g], &b), 0);
		ck_assert_uint_eq(hip_dh_group(a), all_groups[g]);
		ck_assert_int_eq(hip_dh_public(a, pa, sizeof(pa), &la), 0);
		ck_assert_int_eq(hip_dh_public(b, pb, sizeof(pb), &lb), 0);
		ck_assert_uint_eq(la, pub_len[g]);
		ck_assert_uint_eq(lb, pub_len[g]);
		ck_assert_mem_ne(pa, pb, la);
		ck_assert_int_eq(hip_dh_derive(a, pb, lb, sa, sizeof(sa), &ka), 0);
		ck_assert_int_eq(hip_dh_derive(b, pa, la, sb, sizeof(sb), &kb), 0);
		ck_assert_uint_eq(ka, sec_len[g]);
		ck_assert_uint_eq(kb, sec_len[g]);
		ck_assert_mem_eq(sa, sb, ka);
		ck_assert_int_eq(hip_dh_public(a, pa, la - 1, &la), -ENOBUFS);
		hip_dh_free(a);
		hip_dh_free(b);
	}
	ck_assert(!hip_dh_supported(1));
	ck_assert(!hip_dh_supported(10));
	ck_assert_uint_eq(hip_dh_public_len(5), 0);
}
END_TEST

static int derive_from(struct hip_dh *dh, const uint8_t *peer, size_t len)
{
	uint8_t s[512];
	size_t sl;

	return hip_dh_derive(dh, peer, len, s, sizeof(s), &sl);
}

START_TEST(peer_value_of_wrong_length_is_rejected)
{
	for (size_t g = 0; g < sizeof(all_groups); g++) {
		struct hip_dh *a, *b;
		uint8_t pb[512];
		size_t lb;

		ck_assert_int_eq(hip_dh_generate(all_groups[g], &a), 0);
		ck_assert_int_eq(hip_dh_generate(all_groups[g], &b), 0);
		ck_assert_int_eq(hip_dh_public(b, pb, sizeof(pb), &lb), 0);
		pb[lb] = 0;
		ck_assert_int_eq(derive_from(a, pb, lb - 1), -EBADMSG);
		ck_assert_int_eq(derive_from(a, pb, lb + 1), -EBADMSG);
		ck_assert_int_eq(derive_from(a, pb, 0), -EBADMSG);
		hip_dh_free(a);
		hip_dh_free(b);
	}
}
END_TEST

/* RFC 7401 5.2.7 (ECDH per RFC 5903/6090): the peer's x | y must be a point on the curve. */
START_TEST(ecdh_peer_point_off_the_curve_is_rejected)
{
	const uint8_t ec_groups[] = {7, 8};

	for (size_t g = 0; g < 2; g++) {
		struct hip_dh *a, *b;
		uint8_t pb[128];
		size_t lb;

		ck_assert_int_eq(hip_dh_generate(ec_groups[g], &a), 0);
		ck_assert_int_eq(hip_dh_generate(ec_groups[g], &b), 0);
		ck_assert_int_eq(hip_dh_public(b, pb, sizeof(pb), &lb), 0);
		pb[lb - 1] ^= 1; /* y changed: not on the curve */
		ck_assert_int_eq(derive_from(a, pb, lb), -EBADMSG);
		memset(pb, 0, lb);
		ck_assert_int_eq(derive_from(a, pb, lb), -EBADMSG);
		memset(pb, 0xff, lb); /* coordinates >= p */
		ck_assert_int_eq(derive_from(a, pb, lb), -EBADMSG);
		hip_dh_free(a);
		hip_dh_free(b);
	}
}
END_TEST

/* The RFC 3526 prime of a group, as OpenSSL knows it. */
static size_t modp_prime(const char *name, uint8_t *out, size_t cap)
{
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0),
	    OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	EVP_PKEY *pkey = NULL;
	BIGNUM *p = NULL;
	int n;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_gt(EVP_PKEY_paramgen_init(ctx), 0);
	ck_assert_int_gt(EVP_PKEY_CTX_set_params(ctx, params), 0);
	ck_assert_int_gt(EVP_PKEY_generate(ctx, &pkey), 0);
	ck_assert_int_eq(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_P, &p), 1);
	n = BN_num_bytes(p);
	ck_assert_uint_le((size_t)n, cap);
	BN_bn2bin(p, out);
	BN_free(p);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return (size_t)n;
}

/* RFC 7401 5.2.7 with RFC 3526 groups: 0, 1, p-1, p and values above p are no public keys. */
START_TEST(modp_peer_values_0_1_p_minus_1_and_p_are_rejected)
{
	static const struct {
		uint8_t id;
		const char *name;
	} modp[] = {{3, "modp_1536"}, {4, "modp_3072"}, {11, "modp_2048"}};
	/* RFC 3526: every MODP prime starts with these bytes (2^n - 2^(n-64) - 1 + ...) */
	static const uint8_t rfc3526_head[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					       0xc9, 0x0f, 0xda, 0xa2, 0x21, 0x68, 0xc2, 0x34};

	for (size_t g = 0; g < 3; g++) {
		uint8_t p[512], v[512];
		size_t plen = modp_prime(modp[g].name, p, sizeof(p));
		struct hip_dh *a;

		ck_assert_uint_eq(plen, hip_dh_public_len(modp[g].id));
		ck_assert_mem_eq(p, rfc3526_head, sizeof(rfc3526_head));
		ck_assert_int_eq(hip_dh_generate(modp[g].id, &a), 0);
		memset(v, 0, plen);
		ck_assert_int_eq(derive_from(a, v, plen), -EBADMSG); /* 0 */
		v[plen - 1] = 1;
		ck_assert_int_eq(derive_from(a, v, plen), -EBADMSG); /* 1 */
		memcpy(v, p, plen);
		ck_assert_int_eq(derive_from(a, v, plen), -EBADMSG); /* p */
		v[plen - 1] -= 1;
		ck_assert_int_eq(derive_from(a, v, plen), -EBADMSG); /* p - 1 */
		memset(v, 0xff, plen);
		ck_assert_int_eq(derive_from(a, v, plen), -EBADMSG); /* > p */
		v[plen - 1] = 2;
		memset(v, 0, plen - 1);
		ck_assert_int_eq(derive_from(a, v, plen), 0); /* g = 2 itself is a valid value */
		hip_dh_free(a);
	}
}
END_TEST

/* ---- KEYMAT, RFC 7401 6.5 ---- */

/* KEYMAT = HKDF(IKM = Kij, salt = #I | #J, info = sort(HIT-I | HIT-R)) with the RHASH.
 * Expected values from python3 (hmac/hashlib, RFC 5869 written out), cross-checked with
 *   openssl kdf -keylen 100 -kdfopt digest:SHA256 -kdfopt hexkey:<kij> \
 *     -kdfopt hexsalt:<I><J> -kdfopt hexinfo:<smaller HIT><larger HIT> HKDF
 * kij = 01 02 .. 40; larger HIT 20010021 + 11*12; smaller HIT 20010021 + 0f*12;
 * I[x] = 0xa0 + x % 16, J[x] = 0x50 + x % 16 for x < RHASH_len. */
START_TEST(keymat_is_hkdf_of_kij_with_puzzle_salt_and_sorted_hits)
{
	static const char *const want[] = {
	    "10cfa35d9f282a22f61ffb5745e48c40c3c6a0628a83840c9f4aa458f4f2a8b602cb2b432fa6c645f81a"
	    "b87637cf326eaeae28b71c214dbe4ea8b46e8796070875417d3fbcc58aeb18ef7de1233a3f4003bab6b3"
	    "4b3b01801eb79c1b27ebaf8fbe2c8e04",
	    "af37da82e0c282bb81b4dd315fcde823c45569303cc23b43752c281d5aa1f9b12cb276fddbad00d720bd"
	    "901cb807aed027fdb8e6c15db4f258e76320162c483b7384b590c813394c85361a33f9bb27ee72a9b287"
	    "0225864f352b4030fd49bfae9194c1ed",
	};
	uint8_t kij[64], i[48], j[48], km[100], km2[100];
	struct in6_addr big, small;

	for (int n = 0; n < 64; n++)
		kij[n] = (uint8_t)(n + 1);
	memset(&big, 0x11, sizeof(big));
	memset(&small, 0x0f, sizeof(small));
	big.s6_addr[0] = small.s6_addr[0] = 0x20;
	big.s6_addr[1] = small.s6_addr[1] = 0x01;
	big.s6_addr[2] = small.s6_addr[2] = 0x00;
	big.s6_addr[3] = small.s6_addr[3] = 0x21;
	for (uint8_t suite = 1; suite <= 2; suite++) {
		size_t n = hip_rhash_len(suite);

		for (size_t x = 0; x < n; x++) {
			i[x] = (uint8_t)(0xa0 + x % 16);
			j[x] = (uint8_t)(0x50 + x % 16);
		}
		ck_assert_int_eq(hip_keymat(suite, kij, 64, &big, &small, i, j, n, km, 100), 0);
		assert_hex(km, 100, want[suite - 1]);
		/* the Initiator's view (HITs the other way round) gives the same KEYMAT */
		ck_assert_int_eq(hip_keymat(suite, kij, 64, &small, &big, i, j, n, km2, 100), 0);
		ck_assert_mem_eq(km, km2, 100);
	}
}
END_TEST

START_TEST(keymat_rejects_unknown_suite_and_impossible_lengths)
{
	uint8_t kij[32] = {1}, ij[32] = {2}, km[64];
	struct in6_addr a = {{{0x20, 0x01, 0x00, 0x21}}}, b = a;

	ck_assert_int_eq(hip_keymat(0, kij, 32, &a, &b, ij, ij, 32, km, 64), -EINVAL);
	ck_assert_int_eq(hip_keymat(1, kij, 0, &a, &b, ij, ij, 32, km, 64), -EINVAL);
	ck_assert_int_eq(hip_keymat(1, kij, 32, &a, &b, ij, ij, 0, km, 64), -EINVAL);
	ck_assert_int_eq(hip_keymat(1, kij, 32, &a, &b, ij, ij, 32, km, 0), -EINVAL);
	ck_assert_int_eq(hip_keymat(1, kij, 32, &a, &b, ij, ij, 32, km, 255 * 32 + 1), -EINVAL);
}
END_TEST

/* ---- Puzzle, RFC 7401 4.1.2 ---- */

/* The puzzle hash computed here directly with EVP, not through hipd/crypto. */
static void puzzle_hash(uint8_t suite, const uint8_t *i, const struct in6_addr *hi,
			const struct in6_addr *hr, const uint8_t *j, uint8_t *out)
{
	size_t n = hip_rhash_len(suite);
	uint8_t buf[2 * 48 + 32];
	unsigned int len = 0;

	memcpy(buf, i, n);
	memcpy(buf + n, hi->s6_addr, 16);
	memcpy(buf + n + 16, hr->s6_addr, 16);
	memcpy(buf + n + 32, j, n);
	ck_assert_int_eq(
	    EVP_Digest(buf, 2 * n + 32, out, &len, suite == 1 ? EVP_sha256() : EVP_sha384(), NULL),
	    1);
}

static bool low_bits_zero(const uint8_t *h, size_t len, unsigned int k)
{
	for (unsigned int b = 0; b < k; b++)
		if (h[len - 1 - b / 8] & (1u << (b % 8)))
			return false;
	return true;
}

START_TEST(solved_puzzle_has_k_low_order_zero_bits_and_wrong_j_is_rejected)
{
	static const uint8_t ks[] = {0, 1, 8, 16};
	struct in6_addr hit_i, hit_r;

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:21:1111:2222:3333:4444:5555:6666", &hit_i), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:22:aaaa:bbbb:cccc:dddd:eeee:ffff", &hit_r), 1);
	for (uint8_t suite = 1; suite <= 2; suite++) {
		size_t n = hip_rhash_len(suite);

		for (size_t c = 0; c < sizeof(ks); c++) {
			uint8_t i[48], j[48], h[48];

			for (size_t x = 0; x < n; x++)
				i[x] = (uint8_t)(x * 13 + ks[c]);
			ck_assert_int_eq(
			    hip_puzzle_solve(suite, ks[c], i, &hit_i, &hit_r, j, 1u << 24), 0);
			puzzle_hash(suite, i, &hit_i, &hit_r, j, h);
			ck_assert(low_bits_zero(h, n, ks[c]));
			ck_assert_int_eq(hip_puzzle_verify(suite, ks[c], i, j, &hit_i, &hit_r), 0);
			if (ks[c] == 0)
				continue;
			/* find a J that misses, by the independent hash, and expect rejection */
			do {
				j[n - 1]++;
				puzzle_hash(suite, i, &hit_i, &hit_r, j, h);
			} while (low_bits_zero(h, n, ks[c]));
			ck_assert_int_eq(hip_puzzle_verify(suite, ks[c], i, j, &hit_i, &hit_r),
					 -EBADMSG);
		}
	}
}
END_TEST

/* RFC 7401 4.1.2: RHASH(I | HIT-I | HIT-R | J); with the HITs swapped verify must follow the
 * independent hash of the swapped order (almost always a rejection). */
START_TEST(puzzle_verify_hashes_hit_i_before_hit_r)
{
	struct in6_addr hit_i, hit_r;
	uint8_t i[32] = {9}, j[32], h[32];

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:21::1", &hit_i), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:21::2", &hit_r), 1);
	ck_assert_int_eq(hip_puzzle_solve(1, 16, i, &hit_i, &hit_r, j, 1u << 24), 0);
	puzzle_hash(1, i, &hit_r, &hit_i, j, h);
	ck_assert_int_eq(hip_puzzle_verify(1, 16, i, j, &hit_r, &hit_i),
			 low_bits_zero(h, 32, 16) ? 0 : -EBADMSG);
}
END_TEST

START_TEST(puzzle_solver_gives_up_after_max_tries_and_rejects_impossible_k)
{
	struct in6_addr hit_i = {{{0x20, 0x01, 0x00, 0x21}}}, hit_r = hit_i;
	uint8_t i[48] = {1}, j[48];

	ck_assert_int_eq(hip_puzzle_solve(1, 40, i, &hit_i, &hit_r, j, 3), -ETIMEDOUT);
	ck_assert_int_eq(hip_puzzle_solve(1, 0, i, &hit_i, &hit_r, j, 0), -ETIMEDOUT);
	ck_assert_int_eq(hip_puzzle_solve(3, 161, i, &hit_i, &hit_r, j, 3), -EINVAL);
	ck_assert_int_eq(hip_puzzle_verify(3, 161, i, j, &hit_i, &hit_r), -EINVAL);
	ck_assert_int_eq(hip_puzzle_solve(7, 1, i, &hit_i, &hit_r, j, 3), -EINVAL);
}
END_TEST

START_TEST(puzzle_solver_starts_from_a_random_j)
{
	struct in6_addr hit_i = {{{0x20, 0x01, 0x00, 0x21}}}, hit_r = hit_i;
	uint8_t i[32] = {1}, j1[32], j2[32];

	ck_assert_int_eq(hip_puzzle_solve(1, 0, i, &hit_i, &hit_r, j1, 1), 0);
	ck_assert_int_eq(hip_puzzle_solve(1, 0, i, &hit_i, &hit_r, j2, 1), 0);
	ck_assert_mem_ne(j1, j2, 32);
}
END_TEST

/* ---- HIP_CIPHER, RFC 7401 5.2.8 and 5.2.18 ---- */

static const uint8_t key32[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
				  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
				  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

START_TEST(every_cipher_round_trips_with_pkcs7_padding)
{
	static const uint16_t ids[] = {1, 2, 4};
	static const size_t lens[] = {0, 1, 8, 15, 16, 17, 40, 100};

	ck_assert_uint_eq(hip_cipher_key_len(1), 0);
	ck_assert_uint_eq(hip_cipher_key_len(2), 16);
	ck_assert_uint_eq(hip_cipher_key_len(4), 32);
	ck_assert_uint_eq(hip_cipher_iv_len(1), 0);
	ck_assert_uint_eq(hip_cipher_iv_len(2), 16);
	ck_assert_uint_eq(hip_cipher_iv_len(4), 16);
	for (size_t c = 0; c < 3; c++) {
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			uint8_t in[128], ct[256], pt[256];
			size_t ctl = 0, ptl = 0;
			size_t want = ids[c] == 1 ? lens[l] : 16 + (lens[l] / 16 + 1) * 16;

			for (size_t x = 0; x < lens[l]; x++)
				in[x] = (uint8_t)(x * 3 + 1);
			ck_assert(hip_cipher_supported(ids[c]));
			ck_assert_int_eq(
			    hip_cipher_encrypt(ids[c], key32, in, lens[l], ct, sizeof(ct), &ctl),
			    0);
			ck_assert_uint_eq(ctl, want);
			ck_assert_int_eq(
			    hip_cipher_decrypt(ids[c], key32, ct, ctl, pt, sizeof(pt), &ptl), 0);
			ck_assert_uint_eq(ptl, lens[l]);
			if (lens[l])
				ck_assert_mem_eq(pt, in, lens[l]);
		}
	}
	ck_assert(!hip_cipher_supported(0));
	ck_assert(!hip_cipher_supported(3));
}
END_TEST

START_TEST(each_encryption_uses_a_fresh_iv)
{
	uint8_t in[32] = {0}, c1[64], c2[64];
	size_t l1, l2;

	ck_assert_int_eq(hip_cipher_encrypt(2, key32, in, 32, c1, sizeof(c1), &l1), 0);
	ck_assert_int_eq(hip_cipher_encrypt(2, key32, in, 32, c2, sizeof(c2), &l2), 0);
	ck_assert_mem_ne(c1, c2, 16);
	ck_assert_mem_ne(c1 + 16, c2 + 16, l1 - 16);
}
END_TEST

/* `openssl enc -d` (PKCS#7 padding on) decrypts our IV | ciphertext to the plaintext. */
START_TEST(openssl_cli_decrypts_our_encrypted_data)
{
	static const struct {
		uint16_t id;
		const char *name;
		size_t klen;
	} c[] = {{2, "aes-128-cbc", 16}, {4, "aes-256-cbc", 32}};
	const char *msg = "HOST_ID parameter inside ENCRYPTED, 8-byte aligned..";

	for (size_t n = 0; n < 2; n++) {
		uint8_t ct[128], out[128];
		size_t ctl, got;
		char path[] = "/tmp/test_cipher_XXXXXX", cmd[512], key[80] = "", iv[40] = "";
		int fd = mkstemp(path);
		FILE *p;

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(hip_cipher_encrypt(c[n].id, key32, (const uint8_t *)msg,
						    strlen(msg), ct, sizeof(ct), &ctl),
				 0);
		ck_assert_int_eq(write(fd, ct + 16, ctl - 16), (int)(ctl - 16));
		close(fd);
		for (size_t x = 0; x < c[n].klen; x++)
			sprintf(key + 2 * x, "%02x", key32[x]);
		for (size_t x = 0; x < 16; x++)
			sprintf(iv + 2 * x, "%02x", ct[x]);
		snprintf(cmd, sizeof(cmd), "openssl enc -d -%s -K %s -iv %s -in %s", c[n].name, key,
			 iv, path);
		p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		got = fread(out, 1, sizeof(out), p);
		ck_assert_int_eq(pclose(p), 0);
		unlink(path);
		ck_assert_uint_eq(got, strlen(msg));
		ck_assert_mem_eq(out, msg, got);
	}
}
END_TEST

START_TEST(decrypting_with_the_wrong_key_fails_or_yields_other_bytes)
{
	uint8_t key2[32], in[48], ct[96], pt[96];
	size_t ctl, ptl;

	memcpy(key2, key32, 32);
	key2[0] ^= 1;
	for (size_t x = 0; x < sizeof(in); x++)
		in[x] = (uint8_t)x;
	for (uint16_t id = 2; id <= 4; id += 2) {
		ck_assert_int_eq(
		    hip_cipher_encrypt(id, key32, in, sizeof(in), ct, sizeof(ct), &ctl), 0);
		int err = hip_cipher_decrypt(id, key2, ct, ctl, pt, sizeof(pt), &ptl);

		ck_assert(err == -EBADMSG || ptl != sizeof(in) || memcmp(pt, in, ptl));
	}
}
END_TEST

START_TEST(short_or_misaligned_ciphertext_is_rejected)
{
	uint8_t ct[96] = {0}, pt[96];
	size_t ptl, ctl;

	ck_assert_int_eq(hip_cipher_decrypt(2, key32, ct, 0, pt, sizeof(pt), &ptl), -EBADMSG);
	ck_assert_int_eq(hip_cipher_decrypt(2, key32, ct, 16, pt, sizeof(pt), &ptl), -EBADMSG);
	ck_assert_int_eq(hip_cipher_decrypt(2, key32, ct, 31, pt, sizeof(pt), &ptl), -EBADMSG);
	ck_assert_int_eq(hip_cipher_decrypt(4, key32, ct, 33, pt, sizeof(pt), &ptl), -EBADMSG);
	ck_assert_int_eq(hip_cipher_decrypt(3, key32, ct, 32, pt, sizeof(pt), &ptl), -EINVAL);
	ck_assert_int_eq(hip_cipher_encrypt(2, key32, pt, 16, ct, 47, &ctl), -ENOBUFS);
	ck_assert_int_eq(hip_cipher_encrypt(2, key32, pt, 16, ct, 48, &ctl), 0);
	ck_assert_int_eq(hip_cipher_decrypt(2, key32, ct, 48, pt, 31, &ptl), -ENOBUFS);
	ck_assert_int_eq(hip_cipher_encrypt(1, NULL, pt, 16, ct, 15, &ctl), -ENOBUFS);
}
END_TEST

static Suite *hipcrypto_suite(void)
{
	Suite *s = suite_create("hipcrypto");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rhash_is_the_hash_of_the_hit_suite);
	tcase_add_test(tc, hmac_of_each_suite_matches_rfc4231_and_rfc2202);
	tcase_add_test(tc, both_sides_derive_the_same_secret_in_every_group);
	tcase_add_test(tc, peer_value_of_wrong_length_is_rejected);
	tcase_add_test(tc, ecdh_peer_point_off_the_curve_is_rejected);
	tcase_add_test(tc, modp_peer_values_0_1_p_minus_1_and_p_are_rejected);
	tcase_add_test(tc, keymat_is_hkdf_of_kij_with_puzzle_salt_and_sorted_hits);
	tcase_add_test(tc, keymat_rejects_unknown_suite_and_impossible_lengths);
	tcase_add_test(tc, solved_puzzle_has_k_low_order_zero_bits_and_wrong_j_is_rejected);
	tcase_add_test(tc, puzzle_verify_hashes_hit_i_before_hit_r);
	tcase_add_test(tc, puzzle_solver_gives_up_after_max_tries_and_rejects_impossible_k);
	tcase_add_test(tc, puzzle_solver_starts_from_a_random_j);
	tcase_add_test(tc, every_cipher_round_trips_with_pkcs7_padding);
	tcase_add_test(tc, each_encryption_uses_a_fresh_iv);
	tcase_add_test(tc, openssl_cli_decrypts_our_encrypted_data);
	tcase_add_test(tc, decrypting_with_the_wrong_key_fails_or_yields_other_bytes);
	tcase_add_test(tc, short_or_misaligned_ciphertext_is_rejected);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hipcrypto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
