/* Tests of the hit0 device in a private network namespace (needs root; skips
 * with 77 otherwise): MTU, addresses, both routes into it, packets to a HIT
 * arriving on its file descriptor, and the device gone after close. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hipd/dataplane/beet.h"
#include "hipd/dataplane/hit0.h"

/* What `ip ARGS` prints (our namespace is the child's too). */
static const char *ip_out(const char *args)
{
	static char buf[4096];
	char cmd[256];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ip %s 2>&1", args);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = 0;
	pclose(p);
	return buf;
}

START_TEST(hit0_holds_the_hits_and_routes_both_prefixes_into_it)
{
	struct hit0 t;
	struct in6_addr hit;
	struct in_addr lsi;
	const char *why = NULL;

	inet_pton(AF_INET6, "2001:20::1", &hit);
	inet_pton(AF_INET, "1.0.0.1", &lsi);
	ck_assert_msg(hit0_open(&t, HIT0_NAME, 1500, &why) == 0, "%s", why);
	ck_assert_int_eq(hit0_add_hit(&t, &hit), 0);
	ck_assert_int_eq(hit0_add_lsi(&t, &lsi), 0);
	ck_assert_uint_eq(t.mtu, 1500 - HIT0_OVERHEAD);
	ck_assert_ptr_nonnull(strstr(ip_out("link show hit0"), "mtu 1395"));
	ck_assert_ptr_nonnull(strstr(ip_out("link show hit0"), ",UP"));
	ck_assert_ptr_nonnull(strstr(ip_out("-6 addr show dev hit0"), "inet6 2001:20::1/128"));
	ck_assert_ptr_nonnull(strstr(ip_out("-4 addr show dev hit0"), "inet 1.0.0.1/32"));
	ck_assert_ptr_nonnull(strstr(ip_out("-6 route show 2001:20::/28"), "dev hit0"));
	ck_assert_ptr_nonnull(strstr(ip_out("-4 route show 1.0.0.0/8"), "dev hit0"));
	hit0_close(&t);
	ck_assert_ptr_nonnull(strstr(ip_out("link show hit0"), "does not exist"));
}
END_TEST

START_TEST(a_datagram_to_a_peer_hit_comes_out_of_the_device)
{
	struct hit0 t;
	struct in6_addr hit;
	const char *why = NULL;
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	struct pollfd pfd;
	uint8_t pkt[2048];
	int s;
	ssize_t n;

	inet_pton(AF_INET6, "2001:20::1", &hit);
	inet_pton(AF_INET6, "2001:2f::2", &to.sin6_addr);
	ck_assert_msg(hit0_open(&t, HIT0_NAME, 1500, &why) == 0, "%s", why);
	ck_assert_int_eq(hit0_add_hit(&t, &hit), 0);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(sendto(s, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
	pfd = (struct pollfd){.fd = t.fd, .events = POLLIN};
	for (;;) { /* skip what the kernel sends on its own (router solicitations, MLD) */
		ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
		n = read(t.fd, pkt, sizeof(pkt));
		ck_assert_int_gt(n, 40);
		if (pkt[6] == 17)
			break;
	}
	ck_assert_uint_eq(pkt[0] >> 4, 6);
	ck_assert_mem_eq(pkt + 8, &hit, 16); /* the source is our HIT */
	ck_assert_mem_eq(pkt + 24, &to.sin6_addr, 16);
	ck_assert_int_eq(n, 40 + 8 + 5);
	/* the BEET reader takes the kernel's own packet apart */
	struct beet_inner in;

	ck_assert_int_eq(beet_parse(pkt, (size_t)n, &in), 0);
	ck_assert_int_eq(in.family, AF_INET6);
	ck_assert_uint_eq(in.next_header, 17);
	ck_assert_uint_eq(in.payload_len, 13);
	ck_assert_mem_eq(in.payload + 8, "hello", 5);
	close(s);
	hit0_close(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hit0");
	TCase *tc = tcase_create("hit0");
	SRunner *sr;
	int failed;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		printf("SKIP: needs root for a private network namespace\n");
		return 77;
	}
	tcase_add_test(tc, hit0_holds_the_hits_and_routes_both_prefixes_into_it);
	tcase_add_test(tc, a_datagram_to_a_peer_hit_comes_out_of_the_device);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK); /* both tests in our namespace, one at a time */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
