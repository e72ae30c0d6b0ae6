/* Unit tests of P2PP transactions over UDP (p2psipd/p2pp/p2pp_txn.c) on a real libuv
 * loop with short timers and a fake socket. Counts, bytes and order; never tight timings. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/p2pp/p2pp_txn.h"

#define MAX_SENT 64

static const uint8_t id_a[P2PP_ID_LEN] = {0x20, 0x01, 0x00, 0x10, 0xaa, 0xbb, 0xcc, 0xdd,
					  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
static const uint8_t id_b[P2PP_ID_LEN] = {0x20, 0x01, 0x00, 0x10, 0x11, 0x22, 0x33, 0x44,
					  0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8};

/* T0 10 ms, T2 100 ms, T3 100 ms, keep 200 ms. */
static const struct p2pp_timing fast = {10, 100, 100, 200};

struct fake {
	uv_loop_t *loop;
	size_t n;
	uint8_t data[MAX_SENT][128];
	size_t len[MAX_SENT];
	struct sockaddr_storage dst[MAX_SENT];
	uint64_t at[MAX_SENT];
	int fail_err;
};

struct seen {
	int calls;
	int err;
	int had_resp;
	struct p2pp_hdr h;
	struct p2pp_txns *close_in_cb;
};

struct rig {
	uv_loop_t loop;
	uv_timer_t stop;
	struct fake f;
	struct p2pp_txns t;
	struct p2pp_msg m;
	uint8_t req[128];
	size_t req_len;
};

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (void *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	return ss;
}

#define PEER ((const struct sockaddr *)&peer_addr)
static struct sockaddr_storage peer_addr;

static size_t build(uint8_t *buf, size_t cap, uint8_t kind, uint8_t ack, uint32_t tid,
		    const uint8_t *src, const uint8_t *rid, uint16_t code)
{
	struct p2pp_hdr h = {.kind = kind,
			     .ack = ack,
			     .peer = 1,
			     .type = P2PP_LOOKUP_PEER,
			     .ttl = 8,
			     .tid = tid,
			     .code = code};
	struct p2pp_builder b;
	size_t n;

	memcpy(h.src_id, src, P2PP_ID_LEN);
	if (rid)
		memcpy(h.resp_id, rid, P2PP_ID_LEN);
	p2pp_build_init(&b, buf, cap, &h);
	if (!ack)
		p2pp_put(&b, P2PP_O_PEER_ID, P2PP_OBJ_MANDATORY, id_b, P2PP_ID_LEN);
	ck_assert_int_eq(p2pp_finish(&b, &n), 0);
	return n;
}

static int fake_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct fake *f = ctx;
	size_t i = f->n++;

	if (i < MAX_SENT) {
		ck_assert_uint_le(len, sizeof(f->data[i]));
		memcpy(f->data[i], buf, len);
		f->len[i] = len;
		memcpy(&f->dst[i], dst, sizeof(struct sockaddr_in));
		f->at[i] = uv_now(f->loop);
	}
	return f->fail_err;
}

static void on_done(void *arg, int err, const struct p2pp_msg *resp, const struct sockaddr *from)
{
	struct seen *s = arg;

	(void)from;
	s->calls++;
	s->err = err;
	s->had_resp = resp != NULL;
	if (resp)
		s->h = resp->h;
	if (s->close_in_cb)
		p2pp_txns_close(s->close_in_cb);
}

static struct rig *rig_new_max(size_t max_srv)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct p2pp_sock s = {fake_send, NULL};

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(uv_loop_init(&r->loop), 0);
	ck_assert_int_eq(uv_timer_init(&r->loop, &r->stop), 0);
	peer_addr = addr("192.0.2.20", 7080);
	r->f.loop = &r->loop;
	s.ctx = &r->f;
	p2pp_txns_init(&r->t, &r->loop, &s, id_a, 1, &fast, max_srv);
	r->req_len = build(r->req, sizeof(r->req), P2PP_REQUEST, 0, 42, id_a, NULL, 0);
	return r;
}

static struct rig *rig_new(void)
{
	return rig_new_max(0);
}

/* Runs the loop until every handle is closed: ASan and uv_loop_close see leaks. */
static void rig_free(struct rig *r)
{
	p2pp_txns_close(&r->t);
	uv_close((uv_handle_t *)&r->stop, NULL);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&r->loop), 0);
	free(r);
}

static void on_stop(uv_timer_t *tm)
{
	uv_stop(tm->loop);
}

static void run_for(struct rig *r, uint64_t ms)
{
	uv_timer_start(&r->stop, on_stop, ms, 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	uv_timer_stop(&r->stop);
}

static int start(struct rig *r, struct seen *s, struct p2pp_txn **out)
{
	return p2pp_txn_start(&r->t, PEER, r->req, r->req_len, on_done, s, out);
}

/* Feeds a datagram from the peer. */
static int feed(struct rig *r, const uint8_t *buf, size_t len)
{
	return p2pp_txns_input(&r->t, buf, len, PEER, &r->m);
}

static int feed_msg(struct rig *r, uint8_t kind, uint8_t ack, uint32_t tid, const uint8_t *src,
		    const uint8_t *rid, uint16_t code)
{
	uint8_t buf[128];
	size_t n = build(buf, sizeof(buf), kind, ack, tid, src, rid, code);

	return feed(r, buf, n);
}

/* The i-th datagram sent, parsed. */
static struct p2pp_hdr sent_hdr(struct rig *r, size_t i)
{
	static struct p2pp_msg m;

	ck_assert_uint_lt(i, r->f.n);
	ck_assert_int_eq(p2pp_parse(&m, r->f.data[i], r->f.len[i]), 0);
	return m.h;
}

/* 6.3 */
START_TEST(default_timers_are_those_of_section_6_3)
{
	ck_assert_uint_eq(p2pp_timing_default.t0_ms, 500);
	ck_assert_uint_eq(p2pp_timing_default.t2_ms, 5000);
	ck_assert_uint_eq(p2pp_timing_default.t3_ms, 5000);
	ck_assert_uint_ge(p2pp_timing_default.keep_ms, p2pp_timing_default.t2_ms);
}
END_TEST

/* 6.2.1 Figure 8: T1 doubles from T0 (10, 20, 40 ms); T2 (100 ms) ends in Failure. */
START_TEST(unanswered_request_is_retransmitted_until_t2_then_times_out)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	uint64_t t0 = uv_now(&r->loop);

	ck_assert_int_eq(start(r, &s, NULL), 0);
	ck_assert_uint_eq(r->f.n, 1); /* the first send is immediate */
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, -ETIMEDOUT);
	ck_assert_int_eq(s.had_resp, 0);
	/* 0, 10, 30, 70 ms on an idle machine; a late timer can only skip sends */
	ck_assert_uint_ge(r->f.n, 2);
	ck_assert_uint_le(r->f.n, 4);
	for (size_t i = 0; i < r->f.n; i++) {
		ck_assert_uint_eq(r->f.len[i], r->req_len);
		ck_assert_mem_eq(r->f.data[i], r->req, r->req_len);
		if (i > 0)
			ck_assert_uint_ge(r->f.at[i] - r->f.at[i - 1], 10u << (i - 1));
	}
	ck_assert_uint_ge(uv_now(&r->loop) - t0, 100);
	ck_assert_uint_eq(r->t.timeouts, 1);
	ck_assert_ptr_null(r->t.head);
	rig_free(r);
}
END_TEST

/* 6.2.1 Figure 8: "responseACK rcvd / stop Timer T1, T2 / send ACK"; 4.3.1: the
 * ACK copies back Source-ID and Response-ID. */
START_TEST(response_ack_ends_the_request_and_is_acked)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	struct p2pp_hdr h;

	ck_assert_int_eq(start(r, &s, NULL), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_RESPONSE_ACK, 0, 42, id_a, id_b, 200), 0);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, 0);
	ck_assert_int_eq(s.had_resp, 1);
	ck_assert_uint_eq(s.h.code, 200);
	ck_assert_uint_eq(r->f.n, 2);
	h = sent_hdr(r, 1);
	ck_assert_uint_eq(h.ack, 1);
	ck_assert_uint_eq(h.kind, P2PP_RESPONSE_ACK);
	ck_assert_uint_eq(h.tid, 42);
	ck_assert_uint_eq(h.code, 200);
	ck_assert_mem_eq(h.src_id, id_a, P2PP_ID_LEN);
	ck_assert_mem_eq(h.resp_id, id_b, P2PP_ID_LEN);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_uint_eq(r->f.n, 2); /* no retransmission after the answer */
	ck_assert_int_eq(s.calls, 1);
	rig_free(r);
}
END_TEST

/* 6.2.1 Figure 8: an ACK stops T1 and T2 and starts T3; T3 firing is Failure (-ETIME:
 * the peer acknowledged, unlike -ETIMEDOUT without an ACK). */
START_TEST(ack_stops_retransmissions_and_t3_times_out)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	uint64_t acked_at;

	ck_assert_int_eq(start(r, &s, NULL), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 1, 42, id_a, id_b, 0), 0);
	acked_at = uv_now(&r->loop);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_uint_eq(r->f.n, 1);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, -ETIME);
	ck_assert_uint_ge(uv_now(&r->loop) - acked_at, 100);
	rig_free(r);
}
END_TEST

/* Figure 8: Wait_Resp, "Resp received / send ACK". */
START_TEST(response_after_ack_is_delivered_and_acked)
{
	struct rig *r = rig_new();
	struct seen s = {0};

	ck_assert_int_eq(start(r, &s, NULL), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 1, 42, id_a, id_b, 0), 0);
	run_for(r, 30);
	ck_assert_uint_eq(r->f.n, 1);
	ck_assert_int_eq(feed_msg(r, P2PP_RESPONSE, 0, 42, id_a, id_b, 404), 0);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, 0);
	ck_assert_uint_eq(s.h.code, 404);
	ck_assert_uint_eq(r->f.n, 2);
	ck_assert_uint_eq(sent_hdr(r, 1).ack, 1);
	ck_assert_uint_eq(sent_hdr(r, 1).kind, P2PP_RESPONSE);
	rig_free(r);
}
END_TEST

/* 6.1: responses match by Source-ID and Transaction-ID; 4.3 step 9: a response
 * without a transaction is still ACKed, and discarded. */
START_TEST(response_with_other_ids_is_acked_but_not_delivered)
{
	struct rig *r = rig_new();
	struct seen s = {0};

	ck_assert_int_eq(start(r, &s, NULL), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_RESPONSE_ACK, 0, 43, id_a, id_b, 200), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_RESPONSE_ACK, 0, 42, id_b, id_b, 200), 0);
	ck_assert_int_eq(s.calls, 0);
	ck_assert_uint_eq(r->f.n, 3);
	ck_assert_uint_eq(sent_hdr(r, 1).ack, 1);
	ck_assert_uint_eq(sent_hdr(r, 2).ack, 1);
	ck_assert_int_eq(feed_msg(r, P2PP_RESPONSE_ACK, 0, 42, id_a, id_b, 200), 0);
	ck_assert_int_eq(s.calls, 1);
	rig_free(r);
}
END_TEST

/* 6.2.1 Figure 9: an indication is retransmitted until ACKed, then Terminated. */
START_TEST(indication_completes_when_acked)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	uint8_t ind[128];
	size_t n = build(ind, sizeof(ind), P2PP_INDICATION, 0, 7, id_a, NULL, 0);

	ck_assert_int_eq(p2pp_txn_start(&r->t, PEER, ind, n, on_done, &s, NULL), 0);
	run_for(r, 20);
	ck_assert_uint_ge(r->f.n, 2);
	ck_assert_int_eq(feed_msg(r, P2PP_INDICATION, 1, 7, id_a, id_b, 0), 0);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, 0);
	ck_assert_int_eq(s.had_resp, 0);
	rig_free(r);
}
END_TEST

/* 4.3 step 1: a retransmitted request is not processed again; it gets the answer again. */
START_TEST(duplicate_request_is_answered_from_the_cache)
{
	struct rig *r = rig_new();
	uint8_t resp[128];
	size_t n = build(resp, sizeof(resp), P2PP_RESPONSE_ACK, 0, 99, id_b, id_a, 200);

	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 99, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_uint_eq(r->m.h.tid, 99);
	ck_assert_int_eq(p2pp_txn_respond(&r->t, &r->m, PEER, resp, n), 0);
	ck_assert_uint_eq(r->f.n, 1);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 99, id_b, NULL, 0), 0);
	ck_assert_uint_eq(r->f.n, 2);
	ck_assert_uint_eq(r->f.len[1], n);
	ck_assert_mem_eq(r->f.data[1], resp, n);
	ck_assert_uint_eq(r->t.duplicates, 1);
	/* another transaction ID is a new request */
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 100, id_b, NULL, 0), P2PP_IN_NEW);
	rig_free(r);
}
END_TEST

/* 4.3 step 1: a retransmission before we answered only gets an ACK (4.3.1: our ID as Response-ID).
 */
START_TEST(duplicate_request_before_the_answer_gets_an_ack)
{
	struct rig *r = rig_new();
	struct p2pp_hdr h;

	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 5, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_uint_eq(r->f.n, 0); /* the application decides: responseACK or ACK */
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 5, id_b, NULL, 0), 0);
	ck_assert_uint_eq(r->f.n, 1);
	h = sent_hdr(r, 0);
	ck_assert_uint_eq(h.ack, 1);
	ck_assert_uint_eq(h.kind, P2PP_REQUEST);
	ck_assert_uint_eq(h.tid, 5);
	ck_assert_mem_eq(h.src_id, id_b, P2PP_ID_LEN);
	ck_assert_mem_eq(h.resp_id, id_a, P2PP_ID_LEN);
	rig_free(r);
}
END_TEST

/* 4.3 step 3: a forwarding peer ACKs the request itself. */
START_TEST(explicit_ack_of_a_request_is_sent)
{
	struct rig *r = rig_new();

	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 5, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_int_eq(p2pp_txn_ack(&r->t, &r->m, PEER), 0);
	ck_assert_uint_eq(r->f.n, 1);
	ck_assert_uint_eq(sent_hdr(r, 0).ack, 1);
	ck_assert_uint_eq(sent_hdr(r, 0).kind, P2PP_REQUEST);
	rig_free(r);
}
END_TEST

/* 6.2.1 Figure 9: our responseACK is retransmitted until its ACK arrives. */
START_TEST(response_ack_is_retransmitted_until_acked)
{
	struct rig *r = rig_new();
	uint8_t resp[128];
	size_t n = build(resp, sizeof(resp), P2PP_RESPONSE_ACK, 0, 8, id_b, id_a, 200);
	size_t before;

	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 8, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_int_eq(p2pp_txn_respond(&r->t, &r->m, PEER, resp, n), 0);
	run_for(r, 25);
	ck_assert_uint_ge(r->f.n, 2);
	for (size_t i = 0; i < r->f.n; i++)
		ck_assert_mem_eq(r->f.data[i], resp, n);
	ck_assert_int_eq(feed_msg(r, P2PP_RESPONSE_ACK, 1, 8, id_b, id_a, 200), 0);
	before = r->f.n;
	uv_run(&r->loop, UV_RUN_DEFAULT); /* until the entry expires */
	ck_assert_uint_eq(r->f.n, before);
	ck_assert_uint_eq(r->t.resp_failures, 0);
	ck_assert_uint_eq(r->t.n_srv, 0);
	rig_free(r);
}
END_TEST

/* Figure 9: T2 without an ACK is Failure: retransmissions stop. */
START_TEST(unacked_response_stops_at_t2)
{
	struct rig *r = rig_new();
	uint8_t resp[128];
	size_t n = build(resp, sizeof(resp), P2PP_RESPONSE_ACK, 0, 8, id_b, id_a, 200);

	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 8, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_int_eq(p2pp_txn_respond(&r->t, &r->m, PEER, resp, n), 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_uint_ge(r->f.n, 2);
	ck_assert_uint_le(r->f.n, 4);
	ck_assert_uint_eq(r->t.resp_failures, 1);
	ck_assert_uint_eq(r->t.n_srv, 0);
	rig_free(r);
}
END_TEST

/* 3.5: a plain response goes after an ACK of the request; a retransmitted
 * request then gets both again. */
START_TEST(plain_response_is_preceded_by_an_ack)
{
	struct rig *r = rig_new();
	uint8_t resp[128];
	size_t n = build(resp, sizeof(resp), P2PP_RESPONSE, 0, 8, id_b, id_a, 200);

	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 8, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_int_eq(p2pp_txn_respond(&r->t, &r->m, PEER, resp, n), 0);
	ck_assert_uint_eq(r->f.n, 2);
	ck_assert_uint_eq(sent_hdr(r, 0).ack, 1);
	ck_assert_uint_eq(sent_hdr(r, 0).kind, P2PP_REQUEST);
	ck_assert_mem_eq(r->f.data[1], resp, n);
	ck_assert_int_eq(feed_msg(r, P2PP_RESPONSE, 1, 8, id_b, id_a, 200), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 8, id_b, NULL, 0), 0);
	ck_assert_uint_eq(r->f.n, 4);
	ck_assert_uint_eq(sent_hdr(r, 2).ack, 1);
	ck_assert_mem_eq(r->f.data[3], resp, n);
	rig_free(r);
}
END_TEST

/* 4.3: an indication is ACKed at once; its retransmission is ACKed, not redelivered. */
START_TEST(indication_is_acked_and_delivered_once)
{
	struct rig *r = rig_new();

	ck_assert_int_eq(feed_msg(r, P2PP_INDICATION, 0, 3, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_uint_eq(r->f.n, 1);
	ck_assert_uint_eq(sent_hdr(r, 0).ack, 1);
	ck_assert_uint_eq(sent_hdr(r, 0).kind, P2PP_INDICATION);
	ck_assert_int_eq(feed_msg(r, P2PP_INDICATION, 0, 3, id_b, NULL, 0), 0);
	ck_assert_uint_eq(r->f.n, 2);
	ck_assert_uint_eq(sent_hdr(r, 1).ack, 1);
	/* 6.1: the transaction type is part of the identifier */
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 3, id_b, NULL, 0), P2PP_IN_NEW);
	rig_free(r);
}
END_TEST

START_TEST(remembered_requests_are_bounded_oldest_first)
{
	struct rig *r = rig_new_max(2);

	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 1, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 2, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 3, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_uint_eq(r->t.n_srv, 2);
	ck_assert_uint_eq(r->t.evicted, 1);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 3, id_b, NULL, 0), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 1, id_b, NULL, 0), P2PP_IN_NEW);
	rig_free(r);
}
END_TEST

START_TEST(remembered_requests_expire_after_keep)
{
	struct rig *r = rig_new();

	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 1, id_b, NULL, 0), P2PP_IN_NEW);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_uint_eq(r->t.n_srv, 0);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 1, id_b, NULL, 0), P2PP_IN_NEW);
	rig_free(r);
}
END_TEST

START_TEST(cancel_suppresses_the_callback_and_retransmissions)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	struct p2pp_txn *x = NULL;

	ck_assert_int_eq(start(r, &s, &x), 0);
	ck_assert_ptr_nonnull(x);
	p2pp_txn_cancel(x);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_uint_eq(r->f.n, 1);
	ck_assert_int_eq(s.calls, 0);
	ck_assert_int_eq(feed_msg(r, P2PP_RESPONSE_ACK, 0, 42, id_a, id_b, 200), 0);
	ck_assert_int_eq(s.calls, 0);
	rig_free(r);
}
END_TEST

/* Everything in flight at close is freed without callbacks (ASan checks). */
START_TEST(close_with_everything_in_flight_frees_everything)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	uint8_t resp[128];
	size_t n = build(resp, sizeof(resp), P2PP_RESPONSE_ACK, 0, 8, id_b, id_a, 200);
	uint8_t req2[128];
	size_t n2 = build(req2, sizeof(req2), P2PP_REQUEST, 0, 43, id_a, NULL, 0);

	ck_assert_int_eq(start(r, &s, NULL), 0);
	ck_assert_int_eq(p2pp_txn_start(&r->t, PEER, req2, n2, on_done, &s, NULL), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 8, id_b, NULL, 0), P2PP_IN_NEW);
	ck_assert_int_eq(p2pp_txn_respond(&r->t, &r->m, PEER, resp, n), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_INDICATION, 0, 9, id_b, NULL, 0), P2PP_IN_NEW);
	run_for(r, 15);
	p2pp_txns_close(&r->t);
	ck_assert_ptr_null(r->t.head);
	ck_assert_ptr_null(r->t.srv_head);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(s.calls, 0);
	rig_free(r);
}
END_TEST

START_TEST(a_callback_may_close_everything)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	uint8_t req2[128];
	size_t n2 = build(req2, sizeof(req2), P2PP_REQUEST, 0, 43, id_a, NULL, 0);

	s.close_in_cb = &r->t;
	ck_assert_int_eq(start(r, &s, NULL), 0);
	ck_assert_int_eq(p2pp_txn_start(&r->t, PEER, req2, n2, on_done, &s, NULL), 0);
	ck_assert_int_eq(feed_msg(r, P2PP_RESPONSE_ACK, 0, 42, id_a, id_b, 200), 0);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_ptr_null(r->t.head);
	rig_free(r);
}
END_TEST

START_TEST(a_failing_first_send_is_returned_without_callback)
{
	struct rig *r = rig_new();
	struct seen s = {0};

	r->f.fail_err = -EHOSTUNREACH;
	ck_assert_int_eq(start(r, &s, NULL), -EHOSTUNREACH);
	ck_assert_ptr_null(r->t.head);
	r->f.fail_err = -EAGAIN; /* a lost datagram: retransmission handles it */
	ck_assert_int_eq(start(r, &s, NULL), 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.err, -ETIMEDOUT);
	rig_free(r);
}
END_TEST

START_TEST(bad_arguments_and_malformed_input_are_refused)
{
	struct rig *r = rig_new();
	struct seen s = {0};
	uint8_t msg[128];
	size_t n;
	struct sockaddr_storage unix_sa = {.ss_family = AF_UNIX};

	/* only requests and indications start transactions */
	n = build(msg, sizeof(msg), P2PP_RESPONSE_ACK, 0, 1, id_a, id_b, 200);
	ck_assert_int_eq(p2pp_txn_start(&r->t, PEER, msg, n, on_done, &s, NULL), -EINVAL);
	n = build(msg, sizeof(msg), P2PP_REQUEST, 1, 1, id_a, id_b, 0);
	ck_assert_int_eq(p2pp_txn_start(&r->t, PEER, msg, n, on_done, &s, NULL), -EINVAL);
	ck_assert_int_eq(p2pp_txn_start(&r->t, PEER, r->req, r->req_len - 1, on_done, &s, NULL),
			 -EINVAL);
	ck_assert_int_eq(p2pp_txn_start(&r->t, (struct sockaddr *)&unix_sa, r->req, r->req_len,
					on_done, &s, NULL),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(p2pp_txn_start(&r->t, PEER, r->req, r->req_len, NULL, &s, NULL), -EINVAL);
	ck_assert_uint_eq(r->f.n, 0);
	/* one transaction per Source-ID and Transaction-ID */
	ck_assert_int_eq(start(r, &s, NULL), 0);
	ck_assert_int_eq(start(r, &s, NULL), -EEXIST);
	/* malformed datagrams */
	ck_assert_int_eq(feed(r, r->req, r->req_len - 1), -EBADMSG);
	ck_assert_int_eq(feed(r, r->req, 3), -EBADMSG);
	/* an answer must carry the request's IDs and type */
	ck_assert_int_eq(feed_msg(r, P2PP_REQUEST, 0, 8, id_b, NULL, 0), P2PP_IN_NEW);
	n = build(msg, sizeof(msg), P2PP_RESPONSE_ACK, 0, 9, id_b, id_a, 200);
	ck_assert_int_eq(p2pp_txn_respond(&r->t, &r->m, PEER, msg, n), -EINVAL);
	n = build(msg, sizeof(msg), P2PP_REQUEST, 0, 8, id_b, NULL, 0);
	ck_assert_int_eq(p2pp_txn_respond(&r->t, &r->m, PEER, msg, n), -EINVAL);
	rig_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("p2pp_txn");
	TCase *tc = tcase_create("p2pp_txn");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, default_timers_are_those_of_section_6_3);
	tcase_add_test(tc, unanswered_request_is_retransmitted_until_t2_then_times_out);
	tcase_add_test(tc, response_ack_ends_the_request_and_is_acked);
	tcase_add_test(tc, ack_stops_retransmissions_and_t3_times_out);
	tcase_add_test(tc, response_after_ack_is_delivered_and_acked);
	tcase_add_test(tc, response_with_other_ids_is_acked_but_not_delivered);
	tcase_add_test(tc, indication_completes_when_acked);
	tcase_add_test(tc, duplicate_request_is_answered_from_the_cache);
	tcase_add_test(tc, duplicate_request_before_the_answer_gets_an_ack);
	tcase_add_test(tc, explicit_ack_of_a_request_is_sent);
	tcase_add_test(tc, response_ack_is_retransmitted_until_acked);
	tcase_add_test(tc, unacked_response_stops_at_t2);
	tcase_add_test(tc, plain_response_is_preceded_by_an_ack);
	tcase_add_test(tc, indication_is_acked_and_delivered_once);
	tcase_add_test(tc, remembered_requests_are_bounded_oldest_first);
	tcase_add_test(tc, remembered_requests_expire_after_keep);
	tcase_add_test(tc, cancel_suppresses_the_callback_and_retransmissions);
	tcase_add_test(tc, close_with_everything_in_flight_frees_everything);
	tcase_add_test(tc, a_callback_may_close_everything);
	tcase_add_test(tc, a_failing_first_send_is_returned_without_callback);
	tcase_add_test(tc, bad_arguments_and_malformed_input_are_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
