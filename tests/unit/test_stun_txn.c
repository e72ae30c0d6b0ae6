/* Unit tests of STUN client transactions (ice/stun_txn.c) on a real libuv loop with
 * a fake ice_sock that records datagrams. Counts and order only, never tight timings. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ice/stun_txn.h"

#define MAX_SENT 32

/* The fake socket: what was sent, when (loop time), and errors to return. */
struct fake {
	uv_loop_t *loop;
	size_t n;
	uint8_t data[MAX_SENT][256];
	size_t len[MAX_SENT];
	struct sockaddr_storage dst[MAX_SENT];
	uint64_t at[MAX_SENT];
	size_t fail_from; /* sends with this index or later fail with fail_err */
	int fail_err;
	struct stun_txns *answer_inline; /* answers the first send from inside send() */
};

/* What a callback saw. */
struct seen {
	int calls;
	int err;
	uint8_t cls;
	uint8_t tid[STUN_TID_LEN];
	struct sockaddr_storage from;
	struct stun_txns *close_in_cb;
};

static const uint8_t tid_a[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const uint8_t tid_b[STUN_TID_LEN] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

static struct sockaddr_storage server(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (void *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(3478);
	inet_pton(AF_INET, "192.0.2.10", &s->sin_addr);
	return ss;
}

static size_t build(uint8_t *buf, size_t cap, uint16_t method, uint8_t cls, const uint8_t *tid)
{
	struct stun_builder b;
	size_t n;

	stun_build_init(&b, buf, cap, method, cls, tid);
	stun_put_text(&b, STUN_A_SOFTWARE, "test");
	stun_put_fingerprint(&b);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	return n;
}

/* Offers a response of this method, class and ID; 1 if consumed. */
static int answer(struct stun_txns *t, uint16_t method, uint8_t cls, const uint8_t *tid)
{
	struct sockaddr_storage from = server();
	uint8_t buf[128];
	size_t n = build(buf, sizeof(buf), method, cls, tid);
	struct stun_msg m;

	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	return stun_txns_input(t, &m, (struct sockaddr *)&from);
}

static int fake_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct fake *f = ctx;
	size_t i = f->n++;

	if (i < MAX_SENT) {
		ck_assert_uint_le(len, sizeof(f->data[i]));
		memcpy(f->data[i], buf, len);
		f->len[i] = len;
		memcpy(&f->dst[i], dst, ice_sa_len(dst));
		f->at[i] = uv_now(f->loop);
	}
	if (f->answer_inline && i == 0)
		ck_assert_int_eq(answer(f->answer_inline, STUN_BINDING, STUN_SUCCESS, tid_a), 1);
	if (f->fail_err && i >= f->fail_from)
		return f->fail_err;
	return 0;
}

static void on_done(void *arg, int err, const struct stun_msg *resp, const struct sockaddr *from)
{
	struct seen *s = arg;

	s->calls++;
	s->err = err;
	if (resp) {
		s->cls = resp->cls;
		memcpy(s->tid, resp->tid, STUN_TID_LEN);
	}
	if (from)
		memcpy(&s->from, from, ice_sa_len(from));
	if (s->close_in_cb)
		stun_txns_close(s->close_in_cb);
}

struct rig {
	uv_loop_t loop;
	struct fake f;
	struct ice_sock sock;
	struct stun_txns t;
	uint8_t req[128];
	size_t req_len;
};

static struct rig *rig_new(void)
{
	struct rig *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(uv_loop_init(&r->loop), 0);
	r->f.loop = &r->loop;
	r->sock.send = fake_send;
	r->sock.ctx = &r->f;
	stun_txns_init(&r->t, &r->loop);
	r->req_len = build(r->req, sizeof(r->req), STUN_BINDING, STUN_REQUEST, tid_a);
	return r;
}

/* Runs the loop until every handle is closed, then frees the rig: ASan and
 * uv_loop_close see anything left behind. */
static void rig_free(struct rig *r)
{
	stun_txns_close(&r->t);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&r->loop), 0);
	free(r);
}

static int start(struct rig *r, const struct stun_txn_timing *tm, struct seen *s,
		 struct stun_txn **out)
{
	struct sockaddr_storage dst = server();

	return stun_txn_start(&r->t, &r->sock, (struct sockaddr *)&dst, r->req, r->req_len, tm,
			      on_done, s, out);
}

/* At least n sends (one loop turn may run a timer twice, so maybe more). */
static void run_until_sent(struct rig *r, size_t n)
{
	for (int guard = 0; r->f.n < n && guard < 1000; guard++)
		uv_run(&r->loop, UV_RUN_ONCE);
	ck_assert_uint_ge(r->f.n, n);
}

/* RFC 8489 6.2.1 */
START_TEST(default_timing_is_rto_500_rc_7_rm_16)
{
	ck_assert_uint_eq(stun_timing_default.rto_ms, 500);
	ck_assert_uint_eq(stun_timing_default.rc, 7);
	ck_assert_uint_eq(stun_timing_default.rm, 16);
}
END_TEST

/* RFC 8489 6.2.1: Rc sends with doubling intervals, then Rm * RTO, then failure. */
START_TEST(rc_sends_then_a_timeout_after_rm_rto)
{
	static const struct stun_txn_timing tm = {2, 7, 16};
	struct rig *r = rig_new();
	struct seen s = {0};
	struct stun_txn *x = NULL;
	uint64_t t0 = uv_now(&r->loop);

	ck_assert_int_eq(start(r, &tm, &s, &x), 0);
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(r->f.n, 1); /* the first send is immediate */
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, -ETIMEDOUT);
	ck_assert_uint_eq(r->f.n, 7);
	for (size_t i = 0; i < 7; i++) {
		struct sockaddr_storage dst = server();

		ck_assert_uint_eq(r->f.len[i], r->req_len);
		ck_assert_mem_eq(r->f.data[i], r->req, r->req_len);
		ck_assert(ice_sa_equal((struct sockaddr *)&r->f.dst[i], (struct sockaddr *)&dst));
		/* at least RTO * 2^(i-1) after the previous send (lower bounds only) */
		if (i > 0)
			ck_assert_uint_ge(r->f.at[i] - r->f.at[i - 1], 2u << (i - 1));
	}
	ck_assert_uint_ge(uv_now(&r->loop) - t0, 2 * (1 + 2 + 4 + 8 + 16 + 32) + 16 * 2);
	ck_assert_uint_eq(r->t.sent, 1);
	ck_assert_uint_eq(r->t.retransmits, 6);
	ck_assert_uint_eq(r->t.timeouts, 1);
	ck_assert_ptr_null(r->t.head);
	rig_free(r);
}
END_TEST

/* RFC 8489 6.2.1 with other Rc values: Rc = 1 is one send and the last wait. */
START_TEST(rc_is_honoured_for_other_values)
{
	for (unsigned rc = 1; rc <= 4; rc++) {
		struct stun_txn_timing tm = {1, rc, 3};
		struct rig *r = rig_new();
		struct seen s = {0};

		ck_assert_int_eq(start(r, &tm, &s, NULL), 0);
		uv_run(&r->loop, UV_RUN_DEFAULT);
		ck_assert_int_eq(s.calls, 1);
		ck_assert_int_eq(s.err, -ETIMEDOUT);
		ck_assert_uint_eq(r->f.n, rc);
		rig_free(r);
	}
}
END_TEST

/* RFC 8489 6.3: a response ends the transaction, once, with the parsed message. */
START_TEST(a_response_stops_retransmissions_and_calls_back_once)
{
	static const struct stun_txn_timing tm = {2, 7, 16};
	struct rig *r = rig_new();
	struct sockaddr_storage srv = server();
	struct seen s = {0};

	size_t sent;

	ck_assert_int_eq(start(r, &tm, &s, NULL), 0);
	run_until_sent(r, 2);
	sent = r->f.n;
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_SUCCESS, tid_a), 1);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(s.cls, STUN_SUCCESS);
	ck_assert_mem_eq(s.tid, tid_a, STUN_TID_LEN);
	ck_assert(ice_sa_equal((struct sockaddr *)&s.from, (struct sockaddr *)&srv));
	ck_assert_ptr_null(r->t.head);
	/* a duplicate response is no longer ours */
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_SUCCESS, tid_a), 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_uint_eq(r->f.n, sent);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_uint_eq(r->t.timeouts, 0);
	rig_free(r);
}
END_TEST

/* RFC 8489 6.3: error responses end it too (the caller reads ERROR-CODE). */
START_TEST(an_error_response_is_a_response)
{
	struct rig *r = rig_new();
	struct seen s = {0};

	ck_assert_int_eq(start(r, &stun_timing_default, &s, NULL), 0);
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_ERROR, tid_a), 1);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(s.cls, STUN_ERROR);
	rig_free(r);
}
END_TEST

/* RFC 8489 6.3: only success or error responses with our transaction ID (and method). */
START_TEST(other_ids_requests_and_indications_are_not_consumed)
{
	struct rig *r = rig_new();
	struct seen s = {0};

	ck_assert_int_eq(start(r, &stun_timing_default, &s, NULL), 0);
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_SUCCESS, tid_b), 0);
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_REQUEST, tid_a), 0);
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_INDICATION, tid_a), 0);
	ck_assert_int_eq(answer(&r->t, STUN_ALLOCATE, STUN_SUCCESS, tid_a), 0);
	ck_assert_int_eq(s.calls, 0);
	ck_assert_ptr_nonnull(r->t.head);
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_SUCCESS, tid_a), 1);
	ck_assert_int_eq(s.calls, 1);
	rig_free(r);
}
END_TEST

/* Several transactions at once: each response finds its own. */
START_TEST(concurrent_transactions_are_matched_by_id)
{
	struct rig *r = rig_new();
	struct sockaddr_storage dst = server();
	struct seen sa = {0}, sb = {0};
	uint8_t req_b[128];
	size_t nb = build(req_b, sizeof(req_b), STUN_BINDING, STUN_REQUEST, tid_b);

	ck_assert_int_eq(start(r, &stun_timing_default, &sa, NULL), 0);
	ck_assert_int_eq(stun_txn_start(&r->t, &r->sock, (struct sockaddr *)&dst, req_b, nb,
					&stun_timing_default, on_done, &sb, NULL),
			 0);
	ck_assert_uint_eq(r->t.sent, 2);
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_SUCCESS, tid_b), 1);
	ck_assert_int_eq(sb.calls, 1);
	ck_assert_int_eq(sa.calls, 0);
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_SUCCESS, tid_a), 1);
	ck_assert_int_eq(sa.calls, 1);
	ck_assert_int_eq(sb.calls, 1);
	rig_free(r);
}
END_TEST

START_TEST(cancel_suppresses_the_callback_and_retransmissions)
{
	static const struct stun_txn_timing tm = {1, 7, 2};
	struct rig *r = rig_new();
	struct seen s = {0};
	struct stun_txn *x = NULL;

	size_t sent;

	ck_assert_int_eq(start(r, &tm, &s, &x), 0);
	run_until_sent(r, 2);
	sent = r->f.n;
	stun_txn_cancel(x);
	ck_assert_ptr_null(r->t.head);
	ck_assert_int_eq(answer(&r->t, STUN_BINDING, STUN_SUCCESS, tid_a), 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(s.calls, 0);
	ck_assert_uint_eq(r->f.n, sent);
	stun_txn_cancel(NULL);
	rig_free(r);
}
END_TEST

/* Everything in flight goes, without callbacks; ASan checks the frees. */
START_TEST(close_with_transactions_in_flight_frees_everything)
{
	static const struct stun_txn_timing tm = {1, 7, 16};
	struct rig *r = rig_new();
	struct seen s[5] = {0};

	for (int i = 0; i < 5; i++) {
		uint8_t tid[STUN_TID_LEN];

		ck_assert_int_eq(stun_new_tid(tid), 0);
		r->req_len = build(r->req, sizeof(r->req), STUN_BINDING, STUN_REQUEST, tid);
		ck_assert_int_eq(start(r, &tm, &s[i], NULL), 0);
	}
	run_until_sent(r, 8);
	stun_txns_close(&r->t);
	ck_assert_ptr_null(r->t.head);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(s[i].calls, 0);
	ck_assert_int_eq(uv_loop_close(&r->loop), 0);
	free(r);
}
END_TEST

/* A callback may close the whole set (a TURN client giving up). */
START_TEST(a_callback_may_close_all_transactions)
{
	static const struct stun_txn_timing slow = {1000, 7, 16}, fast = {1, 2, 1};
	struct rig *r = rig_new();
	struct seen s_slow = {0}, s_fast = {0};
	struct sockaddr_storage dst = server();
	uint8_t req_b[128];
	size_t nb = build(req_b, sizeof(req_b), STUN_BINDING, STUN_REQUEST, tid_b);

	ck_assert_int_eq(start(r, &slow, &s_slow, NULL), 0);
	s_fast.close_in_cb = &r->t;
	ck_assert_int_eq(stun_txn_start(&r->t, &r->sock, (struct sockaddr *)&dst, req_b, nb, &fast,
					on_done, &s_fast, NULL),
			 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(s_fast.calls, 1);
	ck_assert_int_eq(s_fast.err, -ETIMEDOUT);
	ck_assert_int_eq(s_slow.calls, 0);
	ck_assert_ptr_null(r->t.head);
	rig_free(r);
}
END_TEST

/* The first send's error comes back from stun_txn_start; nothing is left. */
START_TEST(a_failing_first_send_is_returned)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	struct stun_txn *x = (void *)1;

	r->f.fail_err = -ENETUNREACH;
	ck_assert_int_eq(start(r, &stun_timing_default, &s, &x), -ENETUNREACH);
	ck_assert_ptr_null(x);
	ck_assert_ptr_null(r->t.head);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(s.calls, 0);
	rig_free(r);
}
END_TEST

/* RFC 8489 6.2.1: a hard error fails the transaction. */
START_TEST(a_failing_retransmission_is_reported_once)
{
	static const struct stun_txn_timing tm = {1, 7, 16};
	struct rig *r = rig_new();
	struct seen s = {0};

	r->f.fail_from = 2;
	r->f.fail_err = -EHOSTUNREACH;
	ck_assert_int_eq(start(r, &tm, &s, NULL), 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, -EHOSTUNREACH);
	ck_assert_uint_eq(r->f.n, 3);
	ck_assert_uint_eq(r->t.timeouts, 0);
	rig_free(r);
}
END_TEST

/* A full socket buffer is a lost datagram, not a failure. */
START_TEST(eagain_counts_as_a_lost_datagram)
{
	static const struct stun_txn_timing tm = {1, 4, 2};
	struct rig *r = rig_new();
	struct seen s = {0};

	r->f.fail_err = -EAGAIN;
	ck_assert_int_eq(start(r, &tm, &s, NULL), 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, -ETIMEDOUT);
	ck_assert_uint_eq(r->f.n, 4);
	rig_free(r);
}
END_TEST

/* A response delivered from inside send() (a loopback transport). */
START_TEST(a_response_during_the_first_send_completes_the_transaction)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	struct stun_txn *x = (void *)1;

	r->f.answer_inline = &r->t;
	ck_assert_int_eq(start(r, &stun_timing_default, &s, &x), 0);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, 0);
	ck_assert_ptr_null(r->t.head);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_uint_eq(r->f.n, 1);
	rig_free(r);
}
END_TEST

START_TEST(bad_arguments_are_refused_without_sending)
{
	static const struct stun_txn_timing zero_rc = {500, 0, 16};
	struct rig *r = rig_new();
	struct sockaddr_storage dst = server();
	struct sockaddr unix_sa = {.sa_family = AF_UNIX};
	uint8_t resp[128];
	size_t n = build(resp, sizeof(resp), STUN_BINDING, STUN_SUCCESS, tid_a);
	struct seen s = {0};

	ck_assert_int_eq(stun_txn_start(&r->t, &r->sock, (struct sockaddr *)&dst, resp, n,
					&stun_timing_default, on_done, &s, NULL),
			 -EINVAL);
	ck_assert_int_eq(stun_txn_start(&r->t, &r->sock, (struct sockaddr *)&dst, r->req, 19,
					&stun_timing_default, on_done, &s, NULL),
			 -EMSGSIZE);
	ck_assert_int_eq(stun_txn_start(&r->t, &r->sock, (struct sockaddr *)&dst, r->req,
					r->req_len - 4, &stun_timing_default, on_done, &s, NULL),
			 -EINVAL);
	ck_assert_int_eq(stun_txn_start(&r->t, &r->sock, &unix_sa, r->req, r->req_len,
					&stun_timing_default, on_done, &s, NULL),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(stun_txn_start(&r->t, &r->sock, (struct sockaddr *)&dst, r->req,
					r->req_len, &zero_rc, on_done, &s, NULL),
			 -EINVAL);
	ck_assert_int_eq(stun_txn_start(&r->t, &r->sock, (struct sockaddr *)&dst, r->req,
					r->req_len, &stun_timing_default, NULL, &s, NULL),
			 -EINVAL);
	ck_assert_uint_eq(r->f.n, 0);
	ck_assert_uint_eq(r->t.sent, 0);
	rig_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stun_txn");
	TCase *tc = tcase_create("stun_txn");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, default_timing_is_rto_500_rc_7_rm_16);
	tcase_add_test(tc, rc_sends_then_a_timeout_after_rm_rto);
	tcase_add_test(tc, rc_is_honoured_for_other_values);
	tcase_add_test(tc, a_response_stops_retransmissions_and_calls_back_once);
	tcase_add_test(tc, an_error_response_is_a_response);
	tcase_add_test(tc, other_ids_requests_and_indications_are_not_consumed);
	tcase_add_test(tc, concurrent_transactions_are_matched_by_id);
	tcase_add_test(tc, cancel_suppresses_the_callback_and_retransmissions);
	tcase_add_test(tc, close_with_transactions_in_flight_frees_everything);
	tcase_add_test(tc, a_callback_may_close_all_transactions);
	tcase_add_test(tc, a_failing_first_send_is_returned);
	tcase_add_test(tc, a_failing_retransmission_is_reported_once);
	tcase_add_test(tc, eagain_counts_as_a_lost_datagram);
	tcase_add_test(tc, a_response_during_the_first_send_completes_the_transaction);
	tcase_add_test(tc, bad_arguments_are_refused_without_sending);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
