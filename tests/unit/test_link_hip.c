/* Unit tests of p2psipd's hip connection mode (p2psipd/link/link_hip.c): the bootstrap spec,
 * and the link against a fake hipd (a thread on a Unix socket) that records what p2psipd
 * tells it: the identity check, add-map, set-overlay (debounced), set-overlay null on close.
 * Not hipd, not HIP: no datagram leaves the host. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/hit.h"
#include "p2psipd/link/link.h"
#include "p2psipd/p2psipd_ctl.h"

#define HIT_A "2001:2a:1111:2222:3333:4444:5555:6666"
#define HIT_B "2001:2a:aaaa:bbbb:cccc:dddd:eeee:ffff"
#define HIT_C "2001:2a:5555::1"

/* ---- the bootstrap spec ---- */

START_TEST(boot_spec_takes_hit_and_ipv4_locator_with_default_port)
{
	struct sockaddr_storage p2pp, loc;
	struct in6_addr hit, want;
	char buf[64];

	ck_assert_int_eq(link_hip_boot_parse(HIT_A "@203.0.113.11", 6084, &p2pp, &hit, &loc), 0);
	inet_pton(AF_INET6, HIT_A, &want);
	ck_assert_mem_eq(&hit, &want, 16);
	ck_assert_str_eq(link_addr_str((struct sockaddr *)&p2pp, buf, sizeof(buf)),
			 "[" HIT_A "]:6084");
	ck_assert_int_eq(loc.ss_family, AF_INET);
	ck_assert_str_eq(inet_ntop(AF_INET, &((struct sockaddr_in *)&loc)->sin_addr, buf, 64),
			 "203.0.113.11");
}
END_TEST

START_TEST(boot_spec_port_after_ipv4_and_bracketed_ipv6)
{
	struct sockaddr_storage p2pp, loc;
	struct in6_addr hit;
	char buf[64];

	ck_assert_int_eq(link_hip_boot_parse(HIT_A "@192.0.2.1:7000", 6084, &p2pp, &hit, &loc), 0);
	ck_assert_str_eq(link_addr_str((struct sockaddr *)&p2pp, buf, sizeof(buf)),
			 "[" HIT_A "]:7000");
	ck_assert_int_eq(link_hip_boot_parse(HIT_A "@[2001:db8::1]:7001", 6084, &p2pp, &hit, &loc),
			 0);
	ck_assert_int_eq(loc.ss_family, AF_INET6);
	ck_assert_str_eq(link_addr_str((struct sockaddr *)&p2pp, buf, sizeof(buf)),
			 "[" HIT_A "]:7001");
	ck_assert_int_eq(link_hip_boot_parse(HIT_A "@2001:db8::1", 6084, &p2pp, &hit, &loc), 0);
	ck_assert_int_eq(loc.ss_family, AF_INET6);
}
END_TEST

START_TEST(boot_spec_rejects_malformed)
{
	static const char *const bad[] = {
	    "",
	    "@203.0.113.1",
	    HIT_A,
	    HIT_A "@",
	    "2001:db8::1@203.0.113.1", /* not an ORCHID */
	    HIT_A "@203.0.113.1:0",
	    HIT_A "@203.0.113.1:65536",
	    HIT_A "@203.0.113.1:x",
	    HIT_A "@203.0.113",
	    HIT_A "@[2001:db8::1]",
	    HIT_A "@[2001:db8::1:7000",
	    HIT_A "@host.example:7000",
	    "x" HIT_A "@203.0.113.1",
	};
	struct sockaddr_storage p2pp, loc;
	struct in6_addr hit;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(link_hip_boot_parse(bad[i], 6084, &p2pp, &hit, &loc) == -EINVAL, "%s",
			      bad[i]);
	ck_assert_int_eq(link_hip_boot_parse(NULL, 6084, &p2pp, &hit, &loc), -EINVAL);
	ck_assert_int_eq(link_hip_boot_parse(HIT_A "@203.0.113.1", 0, &p2pp, &hit, &loc), -EINVAL);
}
END_TEST

/* ---- the "p2psip:hip-peers" record (hip_peers.c) ---- */

START_TEST(hip_peer_record_round_trips_and_rejects_malformed)
{
	struct hippeer p = {.port = 6084, .ip_version = 4, .ip = {203, 0, 113, 11}}, q;
	uint8_t buf[64];
	size_t len;

	inet_pton(AF_INET6, HIT_A, &p.hit);
	ck_assert_int_eq(hippeer_encode(&p, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, 1 + 16 + 2 + 1 + 4);
	ck_assert_int_eq(hippeer_parse(buf, len, &q), 0);
	ck_assert_mem_eq(&q.hit, &p.hit, 16);
	ck_assert_uint_eq(q.port, 6084);
	ck_assert_mem_eq(q.ip, p.ip, 4);
	for (size_t n = 0; n < len; n++) /* every truncation */
		ck_assert_int_eq(hippeer_parse(buf, n, &q), -EBADMSG);
	buf[len] = 0; /* a trailing byte */
	ck_assert_int_eq(hippeer_parse(buf, len + 1, &q), -EBADMSG);
	buf[0] = 2; /* another version */
	ck_assert_int_eq(hippeer_parse(buf, len, &q), -EBADMSG);
	buf[0] = 1;
	buf[19] = 5; /* IP version 5 */
	ck_assert_int_eq(hippeer_parse(buf, len, &q), -EBADMSG);
	buf[19] = 4;
	buf[17] = buf[18] = 0; /* port 0 */
	ck_assert_int_eq(hippeer_parse(buf, len, &q), -EBADMSG);
	p.hit.s6_addr[0] = 0xfe; /* not an ORCHID */
	ck_assert_int_eq(hippeer_encode(&p, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(hippeer_parse(buf, len, &q), -EBADMSG);
	ck_assert_int_eq(hippeer_encode(&p, buf, 10, &len), -ENOBUFS);
}
END_TEST

/* ---- a fake hipd ---- */

struct fake {
	char path[108];
	int lfd;
	pthread_t th;
	const char *default_hit;
	const char *has; /* get-ha's associations (JSON text), or NULL */
	pthread_mutex_t mu;
	json_t *log; /* every request, in order */
};

static json_t *fake_answer(struct fake *f, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (cmd && strcmp(cmd, "get-hi") == 0)
		return json_pack("{s:b,s:[{s:s,s:b}]}", "ok", 1, "identities", "hit",
				 f->default_hit, "default", 1);
	if (cmd && strcmp(cmd, "get-ha") == 0 && f->has)
		return json_pack("{s:b,s:o}", "ok", 1, "associations", json_loads(f->has, 0, NULL));
	return ctl_reply_ok();
}

static void fake_serve(struct fake *f, int fd)
{
	struct ctl_decoder d;
	uint8_t buf[4096];
	json_t *req = NULL;
	ssize_t n;

	ctl_decoder_init(&d);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ctl_decoder_feed(&d, buf, (size_t)n);
		if (ctl_decoder_next(&d, &req) == 1)
			break;
	}
	ctl_decoder_free(&d);
	if (!req)
		return;
	json_t *reply = fake_answer(f, req);
	uint8_t *frame;
	size_t len;
	pthread_mutex_lock(&f->mu);
	json_array_append_new(f->log, req);
	pthread_mutex_unlock(&f->mu);
	if (ctl_frame_encode(reply, &frame, &len) == 0) {
		ck_assert_int_eq(write(fd, frame, len), (ssize_t)len);
		free(frame);
	}
	json_decref(reply);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	int fd;

	while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
		fake_serve(f, fd);
		close(fd);
	}
	return NULL;
}

static void fake_start(struct fake *f, const char *default_hit)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/test_link_hip.%d.sock", (int)getpid());
	unlink(f->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(f->lfd, 0);
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f->lfd, 16), 0);
	f->default_hit = default_hit;
	f->log = json_array();
	pthread_mutex_init(&f->mu, NULL);
	pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->path);
	json_decref(f->log);
	pthread_mutex_destroy(&f->mu);
}

/* The requests with cmd so far, as a new array. */
static json_t *fake_cmds(struct fake *f, const char *cmd)
{
	json_t *out = json_array(), *v;
	size_t i;

	pthread_mutex_lock(&f->mu);
	json_array_foreach(f->log, i, v)
	{
		if (strcmp(json_string_value(json_object_get(v, "cmd")), cmd) == 0)
			json_array_append(out, v);
	}
	pthread_mutex_unlock(&f->mu);
	return out;
}

static void recv_nothing(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from)
{
	(void)arg;
	(void)buf;
	(void)len;
	(void)from;
}

static void run_ms(uv_loop_t *loop, unsigned ms)
{
	uint64_t end = uv_now(loop) + ms;

	while (uv_now(loop) < end) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(2000);
		uv_update_time(loop);
	}
}

static void config(struct link_config *c, uv_loop_t *loop, const char *sock, const char *hit)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->mode = LINK_HIP;
	link_addr_parse("[::1]:0", &c->listen);
	c->recv = recv_nothing;
	c->hip.hipd_socket = sock;
	c->hip.overlay = "test-overlay";
	inet_pton(AF_INET6, hit, &c->hip.hit);
}

START_TEST(open_refuses_a_node_id_that_is_not_hipds_default_hit)
{
	struct fake f;
	struct link_config c;
	struct link *l = NULL;
	uv_loop_t loop;

	fake_start(&f, HIT_B);
	uv_loop_init(&loop);
	config(&c, &loop, f.path, HIT_A);
	ck_assert_int_eq(link_open(&c, &l), -EKEYREJECTED);
	ck_assert_ptr_null(l);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	fake_stop(&f);
}
END_TEST

START_TEST(open_without_hipd_fails_clearly)
{
	struct link_config c;
	struct link *l = NULL;
	uv_loop_t loop;

	uv_loop_init(&loop);
	config(&c, &loop, "/tmp/test_link_hip.no-such.sock", HIT_A);
	ck_assert_int_eq(link_open(&c, &l), -ENOTCONN);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* The mode's contract: peers at [HIT]:port, the bootstrap mapped at start, announced
 * locators mapped, neighbour sets pushed once per burst, the overlay off on close. */
START_TEST(link_tells_hipd_locators_and_neighbours)
{
	struct fake f;
	struct link_config c;
	struct link *l = NULL;
	struct chord_id a, b;
	struct in6_addr ha, hb;
	struct sockaddr_storage out;
	struct p2pp_peer_info pi;
	uv_loop_t loop;
	char buf[80];
	json_t *v;

	fake_start(&f, HIT_A);
	uv_loop_init(&loop);
	config(&c, &loop, f.path, HIT_A);
	c.hip.has_boot = true;
	inet_pton(AF_INET6, HIT_B, &c.hip.boot_hit);
	link_addr_parse("203.0.113.11:1", &c.hip.boot_locator);
	ck_assert_int_eq(link_open(&c, &l), 0);
	v = fake_cmds(&f, "add-map");
	ck_assert_int_eq(json_array_size(v), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "hit")), HIT_B);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "locator")),
			 "203.0.113.11");
	json_decref(v);

	/* our Peer-Info: [our HIT]:port */
	memset(&pi, 0, sizeof(pi));
	link_local_cands(l, &pi);
	ck_assert_int_eq(pi.n_cands, 1);
	ck_assert_int_eq(pi.cands[0].addr.ver, 6);
	inet_pton(AF_INET6, HIT_A, &ha);
	ck_assert_mem_eq(pi.cands[0].addr.ip, &ha, 16);

	/* a peer announcing [HIT]:7000 and a locator */
	inet_pton(AF_INET6, HIT_C, &hb);
	chord_id_from_in6(&b, &hb);
	memset(&pi, 0, sizeof(pi));
	pi.n_cands = 2;
	pi.cands[0].addr.ver = 6;
	pi.cands[0].addr.port = 7000;
	memcpy(pi.cands[0].addr.ip, &hb, 16);
	pi.cands[1].addr.ver = 4;
	pi.cands[1].addr.port = 10500;
	memcpy(pi.cands[1].addr.ip, "\xcb\x00\x71\x0d", 4);
	ck_assert_int_eq(link_learn(l, &b, &pi, NULL), 0);
	ck_assert_int_eq(link_learn(l, &b, &pi, NULL), 0); /* mapped once */
	ck_assert_int_eq(link_resolve(l, &b, &out), 0);
	ck_assert_str_eq(link_addr_str((struct sockaddr *)&out, buf, sizeof(buf)),
			 "[" HIT_C "]:7000");
	ck_assert_int_eq(link_peer_of(l, (struct sockaddr *)&out, &a), 0);
	ck_assert(chord_id_eq(&a, &b));
	/* a peer that is not an ORCHID cannot be reached through hit0 */
	memset(&a, 0x11, sizeof(a));
	ck_assert_int_eq(link_learn(l, &a, &pi, NULL), -ENOENT);

	link_set_neighbours(l, &b, 1);
	link_set_neighbours(l, &b, 1);
	run_ms(&loop, 500);
	v = fake_cmds(&f, "add-map");
	ck_assert_int_eq(json_array_size(v), 2); /* the bootstrap's, then 203.0.113.13 */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 1), "locator")),
			 "203.0.113.13");
	json_decref(v);
	v = fake_cmds(&f, "set-overlay");
	ck_assert_int_eq(json_array_size(v), 1); /* one push for the burst */
	json_t *last = json_array_get(v, 0);
	ck_assert_str_eq(json_string_value(json_object_get(last, "overlay")), "test-overlay");
	/* the overlay's neighbours first, then the other peers we know (the bootstrap) */
	ck_assert_int_eq(json_array_size(json_object_get(last, "neighbours")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(last, "neighbours"), 0)),
			 HIT_C);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(last, "neighbours"), 1)),
			 HIT_B);
	json_decref(v);

	link_close(l);
	uv_run(&loop, UV_RUN_DEFAULT);
	v = fake_cmds(&f, "set-overlay");
	ck_assert_int_eq(json_array_size(v), 2);
	ck_assert(json_is_null(json_object_get(json_array_get(v, 1), "overlay")));
	json_decref(v);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	fake_stop(&f);
}
END_TEST

/* Ready peers come from hipd's associations (get-ha, every TOUCH_MS): ESTABLISHED and, with
 * ICE, once a path was found; the overlay routes around the others. */
START_TEST(a_peer_is_ready_once_hipd_has_a_working_association)
{
	struct fake f;
	struct link_config c;
	struct link *l = NULL;
	struct chord_id b, cc, ids[4];
	struct in6_addr hb, hc;
	uv_loop_t loop;

	fake_start(&f, HIT_A);
	f.has = "[{\"peer_hit\":\"" HIT_B "\",\"state\":\"ESTABLISHED\",\"nat_mode\":"
		"\"ICE-STUN-UDP\",\"ice_path_type\":\"relay\",\"established_s\":3},"
		"{\"peer_hit\":\"" HIT_C "\",\"state\":\"ESTABLISHED\",\"nat_mode\":"
		"\"ICE-STUN-UDP\",\"established_s\":1}]";
	uv_loop_init(&loop);
	config(&c, &loop, f.path, HIT_A);
	ck_assert_int_eq(link_open(&c, &l), 0);
	inet_pton(AF_INET6, HIT_B, &hb);
	inet_pton(AF_INET6, HIT_C, &hc);
	chord_id_from_in6(&b, &hb);
	chord_id_from_in6(&cc, &hc);
	ck_assert(!link_ready(l, &b)); /* nothing asked yet */
	ck_assert_uint_eq(link_ready_peers(l, ids, 4), 0);
	run_ms(&loop, 2500);
	ck_assert(link_ready(l, &b));
	ck_assert(!link_ready(l, &cc)); /* ICE still checking: no path yet */
	ck_assert_uint_eq(link_ready_peers(l, ids, 4), 1);
	ck_assert(chord_id_eq(&ids[0], &b));
	link_close(l);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	fake_stop(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("link_hip");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, boot_spec_takes_hit_and_ipv4_locator_with_default_port);
	tcase_add_test(tc, boot_spec_port_after_ipv4_and_bracketed_ipv6);
	tcase_add_test(tc, boot_spec_rejects_malformed);
	tcase_add_test(tc, hip_peer_record_round_trips_and_rejects_malformed);
	tcase_add_test(tc, open_refuses_a_node_id_that_is_not_hipds_default_hit);
	tcase_add_test(tc, open_without_hipd_fails_clearly);
	tcase_add_test(tc, link_tells_hipd_locators_and_neighbours);
	tcase_add_test(tc, a_peer_is_ready_once_hipd_has_a_working_association);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
