/* Unit tests of BEET inner headers: IPv6 and IPv4 round trips, the IPv4
 * checksum, and refusal of malformed, truncated, extended or fragmented headers. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/dataplane/beet.h"

START_TEST(an_ipv6_header_between_hits_round_trips)
{
	struct in6_addr a, b;
	struct beet_inner in;
	uint8_t pkt[256];
	size_t n;

	inet_pton(AF_INET6, "2001:2a:1::1", &a);
	inet_pton(AF_INET6, "2001:2b:2::2", &b);
	ck_assert_int_eq(beet_build6(&a, &b, 58, (const uint8_t *)"echo", 4, pkt, sizeof(pkt), &n),
			 0);
	ck_assert_uint_eq(n, 44);
	ck_assert_uint_eq(pkt[0], 0x60);
	ck_assert_uint_eq(pkt[7], 64);
	ck_assert_int_eq(beet_parse(pkt, n, &in), 0);
	ck_assert_int_eq(in.family, AF_INET6);
	ck_assert_mem_eq(&in.src6, &a, 16);
	ck_assert_mem_eq(&in.dst6, &b, 16);
	ck_assert_uint_eq(in.next_header, 58);
	ck_assert_uint_eq(in.payload_len, 4);
	ck_assert_mem_eq(in.payload, "echo", 4);
	ck_assert_int_eq(beet_build6(&a, &b, 58, pkt, 100, pkt + 100, 100, &n), -ENOSPC);
}
END_TEST

START_TEST(an_ipv4_header_between_lsis_round_trips_with_a_valid_checksum)
{
	struct in_addr a, b;
	struct beet_inner in;
	uint8_t pkt[256];
	uint32_t sum = 0;
	size_t n;

	inet_pton(AF_INET, "1.0.0.1", &a);
	inet_pton(AF_INET, "1.0.0.2", &b);
	ck_assert_int_eq(
	    beet_build4(&a, &b, 6, (const uint8_t *)"segment", 7, pkt, sizeof(pkt), &n), 0);
	ck_assert_uint_eq(n, 27);
	for (size_t i = 0; i < 20; i += 2)
		sum += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck_assert_uint_eq(sum, 0xffff); /* RFC 791: the header sums to all ones */
	ck_assert_int_eq(beet_parse(pkt, n, &in), 0);
	ck_assert_int_eq(in.family, AF_INET);
	ck_assert_uint_eq(in.src4.s_addr, a.s_addr);
	ck_assert_uint_eq(in.dst4.s_addr, b.s_addr);
	ck_assert_uint_eq(in.next_header, 6);
	ck_assert_uint_eq(in.payload_len, 7);
}
END_TEST

START_TEST(malformed_and_unsupported_headers_are_refused)
{
	struct in6_addr a = {{{0x20, 0x01, 0x00, 0x20}}};
	struct beet_inner in;
	uint8_t pkt[128] = {0};
	size_t n;

	ck_assert_int_eq(beet_build6(&a, &a, 17, pkt, 20, pkt + 40, sizeof(pkt) - 40, &n), 0);
	memmove(pkt, pkt + 40, n);
	for (size_t k = 0; k < n; k++) /* truncated anywhere */
		ck_assert_int_eq(beet_parse(pkt, k, &in), -EBADMSG);
	pkt[5] += 1; /* payload length beyond the packet */
	ck_assert_int_eq(beet_parse(pkt, n, &in), -EBADMSG);
	pkt[5] -= 1;
	pkt[6] = 0; /* hop-by-hop options */
	ck_assert_int_eq(beet_parse(pkt, n, &in), -EPROTONOSUPPORT);
	pkt[6] = 44; /* fragment header */
	ck_assert_int_eq(beet_parse(pkt, n, &in), -EPROTONOSUPPORT);
	pkt[0] = 0x50;
	ck_assert_int_eq(beet_parse(pkt, n, &in), -EBADMSG);

	struct in_addr l = {htonl(0x01000001)};

	ck_assert_int_eq(beet_build4(&l, &l, 17, pkt, 8, pkt + 64, 64, &n), 0);
	memmove(pkt, pkt + 64, n);
	pkt[6] = 0x20; /* more fragments */
	ck_assert_int_eq(beet_parse(pkt, n, &in), -EPROTONOSUPPORT);
	pkt[6] = 0x40;
	pkt[0] = 0x46; /* options */
	ck_assert_int_eq(beet_parse(pkt, n, &in), -EPROTONOSUPPORT);
	pkt[0] = 0x44; /* IHL below 5 */
	ck_assert_int_eq(beet_parse(pkt, n, &in), -EBADMSG);
	ck_assert_int_eq(beet_parse(pkt, 0, &in), -EBADMSG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("beet");
	TCase *tc = tcase_create("beet");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, an_ipv6_header_between_hits_round_trips);
	tcase_add_test(tc, an_ipv4_header_between_lsis_round_trips_with_a_valid_checksum);
	tcase_add_test(tc, malformed_and_unsupported_headers_are_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
