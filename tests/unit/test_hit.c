/* Unit tests for common/hit: ORCHIDv2 HIT derivation against independently computed values,
 * and the text helpers. Not host identity encoding (test_hostid.c). */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hit.h"

static const uint8_t ctx_id[16] = {0xF0, 0xEF, 0xF0, 0x2F, 0xBF, 0xF4, 0x3D, 0x0F,
				   0xE7, 0x93, 0x0C, 0x3C, 0x6E, 0x61, 0x74, 0xEA};

static void sample_hi(uint8_t hi[67])
{
	for (int n = 0; n < 67; n++)
		hi[n] = (uint8_t)(n + 1);
}

static void assert_hit_str(const struct in6_addr *a, const char *want)
{
	char buf[HIT_STRLEN];

	ck_assert_str_eq(hit_to_str(a, buf), want);
}

/* RFC 7401 3.2, RFC 7343 2: Prefix | OGA ID | middle 96 bits of Hash(Context ID | HI).
 * Expected values made outside our code with python3 hashlib:
 *   ctx = bytes.fromhex("F0EFF02FBFF43D0FE7930C3C6E6174EA"); hi = bytes(range(1, 68))
 *   d = H(ctx + hi).digest(); off = (len(d) - 12) // 2
 *   ipaddress.IPv6Address(bytes([0x20, 1, 0, 0x20 | suite]) + d[off:off + 12])
 * with H = sha256 (suite 1), sha384 (suite 2), sha1 (suite 3). */
START_TEST(hit_is_orchid_of_context_id_and_hi_for_each_suite)
{
	uint8_t hi[67];
	struct in6_addr a;

	sample_hi(hi);
	ck_assert_int_eq(hit_from_hi(1, hi, sizeof(hi), &a), 0);
	assert_hit_str(&a, "2001:21:4d45:79c1:5f0b:d17:5b37:9167");
	ck_assert_int_eq(hit_from_hi(2, hi, sizeof(hi), &a), 0);
	assert_hit_str(&a, "2001:22:7e95:43af:1f06:eca9:5fc:c84c");
	ck_assert_int_eq(hit_from_hi(3, hi, sizeof(hi), &a), 0);
	assert_hit_str(&a, "2001:23:8f9a:bd6b:e1b5:ac07:3254:9f8");
}
END_TEST

/* Runs `openssl dgst` on Context ID | HI and returns the digest (independent of our code). */
static size_t openssl_dgst(const char *alg, const uint8_t *hi, size_t len, uint8_t *out)
{
	char path[] = "/tmp/test_hit_XXXXXX", cmd[256], hex[256] = "";
	int fd = mkstemp(path);
	size_t n = 0;
	FILE *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, ctx_id, sizeof(ctx_id)), (int)sizeof(ctx_id));
	ck_assert_int_eq(write(fd, hi, len), (int)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "openssl dgst -%s -r %s", alg, path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(hex, sizeof(hex), p));
	pclose(p);
	unlink(path);
	while (n < 64 && isxdigit((unsigned char)hex[2 * n]) &&
	       sscanf(hex + 2 * n, "%2hhx", &out[n]) == 1)
		n++;
	return n;
}

/* RFC 7401 3.2 / table 10: the same derivation cross-checked with the openssl CLI for a
 * larger HI, like an RSA-3072 one. */
START_TEST(hit_matches_openssl_cli_digest_middle_bits)
{
	static const struct {
		uint8_t suite;
		const char *alg;
	} cases[] = {{1, "sha256"}, {2, "sha384"}, {3, "sha1"}};
	uint8_t hi[389], d[64];
	struct in6_addr a;

	for (size_t n = 0; n < sizeof(hi); n++)
		hi[n] = (uint8_t)(n * 7 + 3);
	for (size_t c = 0; c < 3; c++) {
		size_t dlen = openssl_dgst(cases[c].alg, hi, sizeof(hi), d);

		ck_assert_uint_ge(dlen, 20);
		ck_assert_int_eq(hit_from_hi(cases[c].suite, hi, sizeof(hi), &a), 0);
		ck_assert_uint_eq(a.s6_addr[0], 0x20);
		ck_assert_uint_eq(a.s6_addr[1], 0x01);
		ck_assert_uint_eq(a.s6_addr[2], 0x00);
		ck_assert_uint_eq(a.s6_addr[3], 0x20 | cases[c].suite);
		ck_assert_mem_eq(&a.s6_addr[4], d + (dlen - 12) / 2, 12);
	}
}
END_TEST

/* RFC 7401 5.2.10: only suites 1-3 are defined; RFC 7343: input must exist. */
START_TEST(hit_from_hi_rejects_unknown_suite_and_empty_input)
{
	uint8_t hi[67];
	struct in6_addr a;

	sample_hi(hi);
	ck_assert_int_eq(hit_from_hi(0, hi, sizeof(hi), &a), -EINVAL);
	ck_assert_int_eq(hit_from_hi(4, hi, sizeof(hi), &a), -EINVAL);
	ck_assert_int_eq(hit_from_hi(1, hi, 0, &a), -EINVAL);
	ck_assert_int_eq(hit_from_hi(1, NULL, 5, &a), -EINVAL);
}
END_TEST

/* RFC 7343 section 2: ORCHIDv2 prefix 2001:20::/28, then the 4-bit OGA ID. */
START_TEST(orchid_prefix_is_2001_20_slash_28_and_oga_is_next_nibble)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:2f::1", &a), 1);
	ck_assert(hit_is_orchid(&a));
	ck_assert_uint_eq(hit_oga_id(&a), 0xf);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:21:aaaa::1", &a), 1);
	ck_assert(hit_is_orchid(&a));
	ck_assert_uint_eq(hit_oga_id(&a), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:30::1", &a), 1);
	ck_assert(!hit_is_orchid(&a));
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:10::1", &a), 1);
	ck_assert(!hit_is_orchid(&a));
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &a), 1);
	ck_assert(!hit_is_orchid(&a));
}
END_TEST

START_TEST(hit_parse_accepts_orchids_only)
{
	struct in6_addr a;

	ck_assert_int_eq(hit_parse("2001:21:4d45:79c1:5f0b:d17:5b37:9167", &a), 0);
	assert_hit_str(&a, "2001:21:4d45:79c1:5f0b:d17:5b37:9167");
	ck_assert_int_eq(hit_parse("2001:db8::1", &a), -EINVAL);
	ck_assert_int_eq(hit_parse("192.0.2.1", &a), -EINVAL);
	ck_assert_int_eq(hit_parse("not a hit", &a), -EINVAL);
	ck_assert_int_eq(hit_parse("", &a), -EINVAL);
	ck_assert_int_eq(hit_parse(NULL, &a), -EINVAL);
}
END_TEST

/* RFC 7401 6.5: HITs compare as unsigned 128-bit big-endian integers. */
START_TEST(hit_cmp_orders_as_big_endian_integers)
{
	struct in6_addr a, b;

	ck_assert_int_eq(hit_parse("2001:21::ff", &a), 0);
	ck_assert_int_eq(hit_parse("2001:21::1:0", &b), 0);
	ck_assert_int_lt(hit_cmp(&a, &b), 0);
	ck_assert_int_gt(hit_cmp(&b, &a), 0);
	ck_assert_int_eq(hit_cmp(&a, &a), 0);
}
END_TEST

static Suite *hit_suite(void)
{
	Suite *s = suite_create("hit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hit_is_orchid_of_context_id_and_hi_for_each_suite);
	tcase_add_test(tc, hit_matches_openssl_cli_digest_middle_bits);
	tcase_add_test(tc, hit_from_hi_rejects_unknown_suite_and_empty_input);
	tcase_add_test(tc, orchid_prefix_is_2001_20_slash_28_and_oga_is_next_nibble);
	tcase_add_test(tc, hit_parse_accepts_orchids_only);
	tcase_add_test(tc, hit_cmp_orders_as_big_endian_integers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
