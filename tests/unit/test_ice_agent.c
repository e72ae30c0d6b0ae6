/* Unit tests of the ICE agent (ice/agent.c): two agents in one process on
 * loopback UDP sockets, candidates exchanged in memory. Not a NAT test (the lab). */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "ice/ice.h"
#include "ice/stun.h"
#include "ice/udp.h"

struct side {
	const char *name;
	struct ice_udp udp[2];
	struct ice_agent *agent;
	enum ice_state state;
	char reason[160];
	unsigned data_rx[3]; /* per component */
	unsigned events_checks_done;
	char checks_start[64]; /* the detail of ice.checks.start */
};

static uv_loop_t loop;

static void on_state(void *arg, enum ice_state s, const char *reason)
{
	struct side *x = arg;

	x->state = s;
	if (reason)
		snprintf(x->reason, sizeof(x->reason), "%s", reason);
}

static void on_event(void *arg, const char *ev, const char *detail)
{
	struct side *x = arg;
	(void)detail;

	if (getenv("ICE_DEBUG"))
		fprintf(stderr, "%s: %s %s\n", x->name, ev, detail ? detail : "");
	if (strcmp(ev, "ice.checks.done") == 0)
		x->events_checks_done++;
	if (strcmp(ev, "ice.checks.start") == 0)
		snprintf(x->checks_start, sizeof(x->checks_start), "%s", detail ? detail : "");
}

static void on_app_data(void *arg, const struct sockaddr *from, const uint8_t *d, size_t n)
{
	unsigned *count = arg;
	(void)from;

	if (n >= 4 && memcmp(d, "data", 4) == 0)
		(*count)++;
}

static unsigned consent_s, consent_timeout_s;

static void side_open(struct side *x, const char *name, bool controlling, unsigned components)
{
	static const struct ice_callbacks cb = {.on_state = on_state, .on_event = on_event};
	struct ice_config cfg = {.controlling = controlling,
				 .components = components,
				 .ta_ms = 20,
				 .consent_s = consent_s,
				 .consent_timeout_s = consent_timeout_s};
	struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	memset(x, 0, sizeof(*x));
	x->name = name;
	ck_assert_int_eq(ice_agent_new(&loop, &cfg, &cb, x, &x->agent), 0);
	for (unsigned c = 0; c < components; c++) {
		ck_assert_int_eq(ice_udp_open(&loop, (struct sockaddr *)&lo, &x->udp[c]), 0);
		x->udp[c].agent = x->agent;
		x->udp[c].on_data = on_app_data;
		x->udp[c].arg = &x->data_rx[c + 1];
		ck_assert_int_eq(ice_agent_add_host(x->agent, c + 1, &x->udp[c].sock), 0);
	}
}

/* The sockets live in the test's stack frame: closed for good before it returns. */
static void side_close(struct side *x, unsigned components)
{
	ice_agent_close(x->agent);
	for (unsigned c = 0; c < components; c++)
		ice_udp_close(&x->udp[c], NULL);
	for (int i = 0; i < 3; i++) /* close callbacks run in the next loop turn */
		uv_run(&loop, UV_RUN_NOWAIT);
}

/* Gives to's agent from's credentials and candidates, as an offer/answer would. */
static void tell(struct side *from, struct side *to)
{
	struct ice_cand c[16];
	const char *ufrag, *pwd;
	size_t n = ice_agent_local_candidates(from->agent, c, 16);

	ice_agent_local_credentials(from->agent, &ufrag, &pwd);
	ck_assert_int_eq(ice_agent_set_remote(to->agent, ufrag, pwd, c, n), 0);
}

static bool run_until(bool (*done)(struct side *, struct side *), struct side *a, struct side *b,
		      unsigned ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000ull;

	while (!done(a, b) && uv_hrtime() < end)
		uv_run(&loop, UV_RUN_ONCE);
	return done(a, b);
}

static bool both_connected(struct side *a, struct side *b)
{
	return a->state == ICE_CONNECTED && b->state == ICE_CONNECTED;
}

static bool one_failed(struct side *a, struct side *b)
{
	(void)b;
	return a->state == ICE_FAILED;
}

static void setup(void)
{
	uv_loop_init(&loop);
}

static void teardown(void)
{
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}

static void connect_and_exchange(unsigned components, bool a_controlling, bool b_controlling)
{
	struct side a, b;
	struct ice_cand la, ra;

	side_open(&a, "a", a_controlling, components);
	side_open(&b, "b", b_controlling, components);
	tell(&a, &b);
	tell(&b, &a);
	ck_assert_int_eq(ice_agent_start(a.agent), 0);
	ck_assert_int_eq(ice_agent_start(b.agent), 0);
	ck_assert_msg(run_until(both_connected, &a, &b, 5000), "a %s (%s), b %s (%s)",
		      ice_state_name(a.state), a.reason, ice_state_name(b.state), b.reason);
	ck_assert_uint_eq(a.events_checks_done, 1);
	/* the stamp says how many pairs and at which pacing (side_open's Ta) */
	ck_assert_msg(strstr(a.checks_start, " pairs, Ta 20 ms") != NULL, "checks.start: \"%s\"",
		      a.checks_start);
	for (unsigned c = 1; c <= components; c++) {
		ck_assert_int_eq(ice_agent_selected(a.agent, c, &la, &ra), 0);
		ck_assert_int_eq(la.type, ICE_HOST);
		ck_assert(ice_sa_equal((struct sockaddr *)&ra.addr,
				       (struct sockaddr *)&b.udp[c - 1].sock.local));
		ck_assert_int_eq(ice_agent_send(a.agent, c, "data-a", 6), 0);
		ck_assert_int_eq(ice_agent_send(b.agent, c, "data-b", 6), 0);
	}
	for (int i = 0; i < 50; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	for (unsigned c = 1; c <= components; c++) {
		ck_assert_uint_eq(a.data_rx[c], 1);
		ck_assert_uint_eq(b.data_rx[c], 1);
	}
	side_close(&a, components);
	side_close(&b, components);
}

/* RFC 8445 6-8: checks, regular nomination by the controlling agent, data on the pair */
START_TEST(two_agents_connect_and_carry_data)
{
	connect_and_exchange(1, true, false);
}
END_TEST

/* RFC 8445 6.1.2.6: every component gets its own nominated pair */
START_TEST(two_components_each_get_a_pair)
{
	connect_and_exchange(2, true, false);
}
END_TEST

/* RFC 8445 7.3.1.1 / 7.2.5.1: both controlling: the tiebreakers settle it */
START_TEST(role_conflict_is_resolved)
{
	connect_and_exchange(1, true, true);
}
END_TEST

/* ... and both controlled */
START_TEST(both_controlled_is_resolved)
{
	connect_and_exchange(1, false, false);
}
END_TEST

/* RFC 8445 7.2.5.2 / 6.1.2.1: nobody answers: the checklist fails, with a reason */
START_TEST(unreachable_peer_fails_with_a_reason)
{
	struct side a, b;

	side_open(&a, "a", true, 1);
	side_open(&b, "b", false, 1);
	tell(&b, &a);
	side_close(&b, 1); /* b's socket is gone: a's checks go nowhere */
	ck_assert_int_eq(ice_agent_start(a.agent), 0);
	ck_assert(run_until(one_failed, &a, &b, 15000));
	ck_assert_ptr_nonnull(strstr(a.reason, "failed"));
	ck_assert_int_eq(ice_agent_send(a.agent, 1, "x", 1), -ENOTCONN);
	side_close(&a, 1);
}
END_TEST

/* RFC 8489 9.1.3: a check with a wrong password gets no answer: never connects */
START_TEST(wrong_password_never_connects)
{
	struct side a, b;
	struct ice_cand c[4];
	const char *ufrag, *pwd;
	size_t n;

	side_open(&a, "a", true, 1);
	side_open(&b, "b", false, 1);
	n = ice_agent_local_candidates(b.agent, c, 4);
	ice_agent_local_credentials(b.agent, &ufrag, &pwd);
	ck_assert_int_eq(ice_agent_set_remote(a.agent, ufrag, "wrongwrongwrongwrongwrong", c, n),
			 0);
	tell(&a, &b);
	ck_assert_int_eq(ice_agent_start(a.agent), 0);
	ck_assert_int_eq(ice_agent_start(b.agent), 0);
	ck_assert(run_until(one_failed, &a, &b, 15000));
	ck_assert_int_ne(b.state, ICE_CONNECTED);
	side_close(&a, 1);
	side_close(&b, 1);
}
END_TEST

/* A socket that keeps what the agent sends: the test plays the server. */
struct fake_sock {
	struct ice_sock sock;
	uint8_t binding[STUN_MAX_MSG]; /* the last Binding request */
	size_t binding_len;
	unsigned allocates;
};

static int fake_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct fake_sock *f = ctx;
	struct stun_msg m;
	(void)dst;

	if (stun_parse(&m, buf, len) || m.cls != STUN_REQUEST)
		return 0;
	if (m.method == STUN_ALLOCATE)
		f->allocates++;
	if (m.method == STUN_BINDING && len <= sizeof(f->binding)) {
		memcpy(f->binding, buf, len);
		f->binding_len = len;
	}
	return 0;
}

struct gathered {
	unsigned srflx;
	struct sockaddr_storage mapped;
	bool done;
};

static void on_candidate(void *arg, const struct ice_cand *c)
{
	struct gathered *g = arg;

	if (c->type != ICE_SRFLX)
		return;
	g->srflx++;
	g->mapped = c->addr;
}

static void on_gathered(void *arg)
{
	((struct gathered *)arg)->done = true;
}

static void set_v4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &a->sin_addr), 1);
}

/* RFC 8445 5.1.1.2: one server for STUN and TURN (coturn); the answer to the
 * Binding is the agent's (a server-reflexive candidate at once), not the TURN
 * client's, which speaks only the TURN methods (RFC 8656 17) */
START_TEST(binding_response_from_the_turn_server_gives_a_srflx_candidate)
{
	static const struct ice_callbacks cb = {.on_candidate = on_candidate,
						.on_gathered = on_gathered};
	struct ice_config cfg = {.controlling = true,
				 .components = 1,
				 .turn_user = "alice",
				 .turn_pass = "secret",
				 .gather_timeout_ms = 60000};
	struct fake_sock f = {.sock = {.send = fake_send}};
	struct gathered g = {0};
	struct sockaddr_storage mapped;
	struct stun_builder b;
	struct stun_msg req;
	struct ice_agent *a;
	uint8_t resp[STUN_MAX_MSG];
	size_t len;

	f.sock.ctx = &f;
	set_v4(&f.sock.local, "192.0.2.1", 5000);
	set_v4(&cfg.stun, "203.0.113.3", 3478);
	cfg.turn = cfg.stun;
	set_v4(&mapped, "203.0.113.1", 6000);
	ck_assert_int_eq(ice_agent_new(&loop, &cfg, &cb, &g, &a), 0);
	ck_assert_int_eq(ice_agent_add_host(a, 1, &f.sock), 0);
	ck_assert_int_eq(ice_agent_gather(a), 0);
	ck_assert_uint_eq(f.allocates, 1);
	ck_assert_uint_gt(f.binding_len, 0);
	ck_assert_int_eq(stun_parse(&req, f.binding, f.binding_len), 0);

	stun_build_init(&b, resp, sizeof(resp), STUN_BINDING, STUN_SUCCESS, req.tid);
	stun_put_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, (struct sockaddr *)&mapped);
	stun_put_fingerprint(&b);
	ck_assert_int_eq(stun_finish(&b, &len), 0);
	ck_assert_int_eq(ice_agent_input(a, (struct sockaddr *)&f.sock.local,
					 (struct sockaddr *)&cfg.stun, resp, len),
			 1);
	ck_assert_uint_eq(g.srflx, 1);
	ck_assert(ice_sa_equal((struct sockaddr *)&g.mapped, (struct sockaddr *)&mapped));
	ck_assert(!g.done); /* the allocation is still pending */
	ice_agent_close(a);
	for (int i = 0; i < 3; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
}
END_TEST

/* A peer played by the test: every request the agent sends is kept (tid, USE-CANDIDATE). */
struct fake_peer {
	struct ice_sock sock;
	uint8_t tid[8][STUN_TID_LEN];
	bool use_candidate[8];
	unsigned n;
};

static int peer_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct fake_peer *f = ctx;
	struct stun_msg m;
	(void)dst;

	if (stun_parse(&m, buf, len) || m.cls != STUN_REQUEST || f->n == 8)
		return 0;
	memcpy(f->tid[f->n], m.tid, STUN_TID_LEN);
	f->use_candidate[f->n++] = stun_find(&m, STUN_A_USE_CANDIDATE) != NULL;
	return 0;
}

#define PEER_UFRAG "peer"
#define PEER_PWD   "peerpasswordpeerpassword"

/* The peer's answer to request i: XOR-MAPPED-ADDRESS the agent's host, the peer's password. */
static void peer_answer(struct ice_agent *a, struct fake_peer *f, unsigned i,
			const struct sockaddr *from)
{
	uint8_t buf[STUN_MAX_MSG];
	struct stun_builder b;
	size_t len;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, f->tid[i]);
	stun_put_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, (struct sockaddr *)&f->sock.local);
	stun_put_integrity(&b, (const uint8_t *)PEER_PWD, strlen(PEER_PWD));
	stun_put_fingerprint(&b);
	ck_assert_int_eq(stun_finish(&b, &len), 0);
	ck_assert_int_eq(ice_agent_input(a, (struct sockaddr *)&f->sock.local, from, buf, len), 1);
}

/* The peer's own check (it is controlled), sent to the agent. */
static void peer_check(struct ice_agent *a, struct fake_peer *f, const struct sockaddr *from)
{
	uint8_t buf[STUN_MAX_MSG], tid[STUN_TID_LEN];
	const char *ufrag, *pwd;
	struct stun_builder b;
	char user[64];
	size_t len;

	ice_agent_local_credentials(a, &ufrag, &pwd);
	snprintf(user, sizeof(user), "%s:%s", ufrag, PEER_UFRAG);
	ck_assert_int_eq(stun_new_tid(tid), 0);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put_text(&b, STUN_A_USERNAME, user);
	stun_put_u32(&b, STUN_A_PRIORITY, 0x6e0001ff);
	stun_put_u64(&b, STUN_A_ICE_CONTROLLED, 1);
	stun_put_integrity(&b, (const uint8_t *)pwd, strlen(pwd));
	stun_put_fingerprint(&b);
	ck_assert_int_eq(stun_finish(&b, &len), 0);
	ck_assert_int_eq(ice_agent_input(a, (struct sockaddr *)&f->sock.local, from, buf, len), 1);
}

static bool requests_at_least(struct fake_peer *f, unsigned n, unsigned ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000ull;

	while (f->n < n && uv_hrtime() < end)
		uv_run(&loop, UV_RUN_ONCE);
	return f->n >= n;
}

/* RFC 8445 7.2.5.3.4, 8.1.1: the controlling agent nominates a pair by a check that carries
 * USE-CANDIDATE. Here its first check is given up for a triggered one (the peer's check came,
 * 7.3.1.4), the late answer to the first makes the pair valid and starts the nomination, and
 * the answer to the triggered check (no USE-CANDIDATE in it) comes before the nomination
 * check went out: the agent must still send that check, else the peer never concludes. */
START_TEST(only_a_check_with_use_candidate_nominates)
{
	static const struct ice_callbacks cb = {.on_state = on_state, .on_event = on_event};
	struct ice_config cfg = {.controlling = true, .components = 1, .ta_ms = 20};
	struct fake_peer f = {.sock = {.send = peer_send}};
	struct sockaddr_storage peer;
	struct ice_cand rc;
	struct side x = {.name = "a"};
	struct ice_agent *a;

	f.sock.ctx = &f;
	set_v4(&f.sock.local, "192.0.2.1", 5000);
	set_v4(&peer, "192.0.2.2", 5000);
	ck_assert_int_eq(ice_cand_host(&rc, 1, (struct sockaddr *)&peer, 65535), 0);
	ck_assert_int_eq(ice_agent_new(&loop, &cfg, &cb, &x, &a), 0);
	ck_assert_int_eq(ice_agent_add_host(a, 1, &f.sock), 0);
	ck_assert_int_eq(ice_agent_set_remote(a, PEER_UFRAG, PEER_PWD, &rc, 1), 0);
	ck_assert_int_eq(ice_agent_start(a), 0);
	ck_assert(requests_at_least(&f, 1, 2000)); /* check 0 */
	peer_check(a, &f, (struct sockaddr *)&peer);
	ck_assert(requests_at_least(&f, 2, 2000)); /* check 1, triggered: check 0 given up */
	ck_assert(!f.use_candidate[0] && !f.use_candidate[1]);
	peer_answer(a, &f, 0, (struct sockaddr *)&peer); /* late: the pair is valid */
	peer_answer(a, &f, 1, (struct sockaddr *)&peer); /* before the nomination check */
	ck_assert_int_ne(x.state, ICE_CONNECTED);
	ck_assert(requests_at_least(&f, 3, 2000));
	ck_assert_msg(f.use_candidate[f.n - 1], "the next check carries USE-CANDIDATE");
	peer_answer(a, &f, f.n - 1, (struct sockaddr *)&peer);
	ck_assert_int_eq(x.state, ICE_CONNECTED);
	ice_agent_close(a);
	for (int i = 0; i < 3; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
}
END_TEST

/* RFC 7675 5.1: consent checks on the selected pair; no answers for the
 * timeout (30 s by default, 2 s here): consent is lost and the agent fails */
START_TEST(consent_is_lost_when_the_peer_goes_silent)
{
	struct side a, b;

	consent_s = 1;
	consent_timeout_s = 2;
	side_open(&a, "a", true, 1);
	side_open(&b, "b", false, 1);
	consent_s = consent_timeout_s = 0;
	tell(&a, &b);
	tell(&b, &a);
	ck_assert_int_eq(ice_agent_start(a.agent), 0);
	ck_assert_int_eq(ice_agent_start(b.agent), 0);
	ck_assert(run_until(both_connected, &a, &b, 5000));
	/* answered consent checks keep it for longer than the timeout */
	run_until(one_failed, &a, &b, 3000);
	ck_assert_int_eq(a.state, ICE_CONNECTED);
	side_close(&b, 1);
	ck_assert(run_until(one_failed, &a, &b, 6000));
	ck_assert_ptr_nonnull(strstr(a.reason, "consent lost"));
	side_close(&a, 1);
}
END_TEST

/* RFC 8445 12.2: the peer's data comes from its candidates' addresses, signalled or learned
 * from its checks; ice_agent_is_remote tells them from a stranger's (say, a datagram sent to an
 * earlier socket on the same port) */
START_TEST(only_the_peers_candidate_addresses_count_as_the_peers)
{
	struct side a, b, c;
	struct sockaddr_in other = {.sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	side_open(&a, "a", true, 1);
	side_open(&b, "b", false, 1);
	side_open(&c, "c", false, 1);
	ck_assert(!ice_agent_is_remote(a.agent, 1, (struct sockaddr *)&b.udp[0].sock.local));
	tell(&a, &b);
	tell(&b, &a);
	ck_assert(ice_agent_is_remote(a.agent, 1, (struct sockaddr *)&b.udp[0].sock.local));
	ck_assert(ice_agent_is_remote(b.agent, 1, (struct sockaddr *)&a.udp[0].sock.local));
	ck_assert(!ice_agent_is_remote(a.agent, 2, (struct sockaddr *)&b.udp[0].sock.local));
	ck_assert(!ice_agent_is_remote(a.agent, 1, (struct sockaddr *)&c.udp[0].sock.local));
	other.sin_port = ((struct sockaddr_in *)&b.udp[0].sock.local)->sin_port ^ htons(1);
	ck_assert(!ice_agent_is_remote(a.agent, 1, (struct sockaddr *)&other));
	ck_assert(!ice_agent_is_remote(a.agent, 1, NULL));
	ck_assert(!ice_agent_is_remote(NULL, 1, (struct sockaddr *)&b.udp[0].sock.local));
	ck_assert_int_eq(ice_agent_start(a.agent), 0);
	ck_assert_int_eq(ice_agent_start(b.agent), 0);
	ck_assert(run_until(both_connected, &a, &b, 5000));
	ck_assert(ice_agent_is_remote(a.agent, 1, (struct sockaddr *)&b.udp[0].sock.local));
	ck_assert(!ice_agent_is_remote(a.agent, 1, (struct sockaddr *)&c.udp[0].sock.local));
	side_close(&a, 1);
	side_close(&b, 1);
	side_close(&c, 1);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
	struct ice_config cfg = {.components = 0};
	struct ice_agent *x;

	ck_assert_int_eq(ice_agent_new(&loop, &cfg, NULL, NULL, &x), -EINVAL);
	cfg.components = ICE_MAX_COMPONENTS + 1;
	ck_assert_int_eq(ice_agent_new(&loop, &cfg, NULL, NULL, &x), -EINVAL);
	cfg.components = 1;
	cfg.ufrag = "ab"; /* shorter than 4 */
	cfg.pwd = "0123456789012345678901";
	ck_assert_int_eq(ice_agent_new(&loop, &cfg, NULL, NULL, &x), -EINVAL);
	cfg.ufrag = NULL;
	cfg.pwd = NULL;
	ck_assert_int_eq(ice_agent_new(&loop, &cfg, NULL, NULL, &x), 0);
	ck_assert_int_eq(ice_agent_start(x), -EINVAL); /* no remote credentials */
	ck_assert_int_eq(ice_agent_send(x, 1, "x", 1), -ENOTCONN);
	ck_assert_int_eq(ice_agent_set_remote(x, "u", "p", NULL, 0), -EINVAL);
	ice_agent_close(x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ice_agent");
	TCase *tc = tcase_create("agent");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, two_agents_connect_and_carry_data);
	tcase_add_test(tc, two_components_each_get_a_pair);
	tcase_add_test(tc, role_conflict_is_resolved);
	tcase_add_test(tc, both_controlled_is_resolved);
	tcase_add_test(tc, unreachable_peer_fails_with_a_reason);
	tcase_add_test(tc, wrong_password_never_connects);
	tcase_add_test(tc, binding_response_from_the_turn_server_gives_a_srflx_candidate);
	tcase_add_test(tc, only_a_check_with_use_candidate_nominates);
	tcase_add_test(tc, consent_is_lost_when_the_peer_goes_silent);
	tcase_add_test(tc, only_the_peers_candidate_addresses_count_as_the_peers);
	tcase_add_test(tc, bad_arguments_are_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
