/* Unit tests of LSI translation: transport checksums rewritten between the
 * IPv4 LSI and the IPv6 HIT pseudo-headers (checked against a full
 * recomputation), the flow memory, and refusal of short segments. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/dataplane/lsi.h"

static struct in_addr l_src, l_dst;
static struct in6_addr h_src, h_dst;

static void setup(void)
{
	inet_pton(AF_INET, "1.0.0.1", &l_src);
	inet_pton(AF_INET, "1.0.0.7", &l_dst);
	inet_pton(AF_INET6, "2001:2a:1234::1", &h_src);
	inet_pton(AF_INET6, "2001:2b:ffff:abcd::99", &h_dst);
}

static uint32_t add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

/* The checksum of RFC 768/793 (v4) or RFC 8200 8.1 (v6), from scratch, with
 * the checksum field taken as zero. */
static uint16_t full_sum(uint8_t proto, const uint8_t *l4, size_t len, bool v6)
{
	size_t off = proto == IPPROTO_TCP ? 16 : 6;
	uint8_t copy[2048];
	uint32_t s = 0;

	memcpy(copy, l4, len);
	copy[off] = copy[off + 1] = 0;
	if (v6) {
		s = add(add(s, (const uint8_t *)&h_src, 16), (const uint8_t *)&h_dst, 16);
	} else {
		s = add(add(s, (const uint8_t *)&l_src, 4), (const uint8_t *)&l_dst, 4);
	}
	s += (uint32_t)len + proto;
	s = add(s, copy, len);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	uint16_t r = (uint16_t)~s;
	return proto == IPPROTO_UDP && r == 0 ? 0xffff : r;
}

static uint16_t field(uint8_t proto, const uint8_t *l4)
{
	size_t off = proto == IPPROTO_TCP ? 16 : 6;
	return (uint16_t)(l4[off] << 8 | l4[off + 1]);
}

static void set_field(uint8_t proto, uint8_t *l4, uint16_t v)
{
	size_t off = proto == IPPROTO_TCP ? 16 : 6;
	l4[off] = (uint8_t)(v >> 8);
	l4[off + 1] = (uint8_t)v;
}

static void check_both_ways(uint8_t proto, size_t len, unsigned seed)
{
	uint8_t seg[2048];

	srand(seed);
	for (size_t i = 0; i < len; i++)
		seg[i] = (uint8_t)rand();
	set_field(proto, seg, full_sum(proto, seg, len, false));
	ck_assert_int_eq(lsi_fix_checksum(proto, seg, len, &l_src, &l_dst, &h_src, &h_dst, true),
			 0);
	ck_assert_uint_eq(field(proto, seg), full_sum(proto, seg, len, true));
	ck_assert_int_eq(lsi_fix_checksum(proto, seg, len, &l_src, &l_dst, &h_src, &h_dst, false),
			 0);
	ck_assert_uint_eq(field(proto, seg), full_sum(proto, seg, len, false));
}

/* RFC 1624: the incremental update equals a recomputation, for TCP and UDP,
 * even and odd lengths, many payloads. */
START_TEST(rewritten_checksums_equal_a_full_recomputation)
{
	for (unsigned seed = 1; seed < 200; seed++) {
		check_both_ways(IPPROTO_TCP, 20 + seed % 1400, seed);
		check_both_ways(IPPROTO_UDP, 8 + seed % 1400, seed);
	}
}
END_TEST

/* RFC 768: IPv4 UDP may carry no checksum (0); RFC 8200 8.1: IPv6 UDP must. */
START_TEST(ipv4_udp_without_checksum_gets_a_full_one_in_hit_form)
{
	uint8_t seg[101];

	memset(seg, 0x5a, sizeof(seg));
	set_field(IPPROTO_UDP, seg, 0);
	ck_assert_int_eq(
	    lsi_fix_checksum(IPPROTO_UDP, seg, sizeof(seg), &l_src, &l_dst, &h_src, &h_dst, true),
	    0);
	ck_assert_uint_eq(field(IPPROTO_UDP, seg), full_sum(IPPROTO_UDP, seg, sizeof(seg), true));
}
END_TEST

START_TEST(other_protocols_are_left_alone_and_short_segments_refused)
{
	uint8_t seg[64];

	memset(seg, 0xab, sizeof(seg));
	ck_assert_int_eq(
	    lsi_fix_checksum(IPPROTO_ICMP, seg, 8, &l_src, &l_dst, &h_src, &h_dst, true), 0);
	ck_assert_uint_eq(seg[2], 0xab);
	ck_assert_int_eq(
	    lsi_fix_checksum(IPPROTO_TCP, seg, 17, &l_src, &l_dst, &h_src, &h_dst, true), -EBADMSG);
	ck_assert_int_eq(
	    lsi_fix_checksum(IPPROTO_UDP, seg, 7, &l_src, &l_dst, &h_src, &h_dst, true), -EBADMSG);
	for (size_t n = 0; n < 18; n++)
		lsi_fix_checksum(IPPROTO_TCP, seg, n, &l_src, &l_dst, &h_src, &h_dst, n & 1);
	uint16_t lp, rp;
	ck_assert_int_eq(lsi_ports(IPPROTO_TCP, seg, 3, true, &lp, &rp), -EBADMSG);
	ck_assert_int_eq(lsi_ports(IPPROTO_ICMP, seg, 64, true, &lp, &rp), -EPROTONOSUPPORT);
}
END_TEST

START_TEST(ports_are_read_from_the_local_side)
{
	const uint8_t seg[] = {0x12, 0x34, 0x00, 0x50, 0, 0, 0, 0};
	uint16_t lp, rp;

	ck_assert_int_eq(lsi_ports(IPPROTO_UDP, seg, sizeof(seg), true, &lp, &rp), 0);
	ck_assert_uint_eq(lp, 0x1234);
	ck_assert_uint_eq(rp, 80);
	ck_assert_int_eq(lsi_ports(IPPROTO_UDP, seg, sizeof(seg), false, &lp, &rp), 0);
	ck_assert_uint_eq(lp, 80);
	ck_assert_uint_eq(rp, 0x1234);
}
END_TEST

START_TEST(flows_remember_their_family)
{
	static struct lsi_flows f;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(lsi_flow_lookup(&f, IPPROTO_TCP, 40000, 80), -ENOENT);
	lsi_flow_note(&f, IPPROTO_TCP, 40000, 80, true);
	lsi_flow_note(&f, IPPROTO_UDP, 40000, 80, false);
	ck_assert_int_eq(lsi_flow_lookup(&f, IPPROTO_TCP, 40000, 80), 1);
	ck_assert_int_eq(lsi_flow_lookup(&f, IPPROTO_UDP, 40000, 80), 0);
	ck_assert_int_eq(lsi_flow_lookup(&f, IPPROTO_TCP, 80, 40000), -ENOENT);
	lsi_flow_note(&f, IPPROTO_TCP, 40000, 80, false);
	ck_assert_int_eq(lsi_flow_lookup(&f, IPPROTO_TCP, 40000, 80), 0);
	/* many flows: every lookup answers a recorded family or "not seen", never
	 * another flow's */
	for (unsigned p = 1; p < 2000; p++)
		lsi_flow_note(&f, IPPROTO_TCP, (uint16_t)p, 443, p & 1);
	for (unsigned p = 1; p < 2000; p++) {
		int v = lsi_flow_lookup(&f, IPPROTO_TCP, (uint16_t)p, 443);
		ck_assert(v == -ENOENT || v == (int)(p & 1));
	}
	ck_assert_int_eq(lsi_flow_lookup(&f, IPPROTO_TCP, 1999, 443), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lsi");
	TCase *tc = tcase_create("lsi");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, rewritten_checksums_equal_a_full_recomputation);
	tcase_add_test(tc, ipv4_udp_without_checksum_gets_a_full_one_in_hit_form);
	tcase_add_test(tc, other_protocols_are_left_alone_and_short_segments_refused);
	tcase_add_test(tc, ports_are_read_from_the_local_side);
	tcase_add_test(tc, flows_remember_their_family);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
