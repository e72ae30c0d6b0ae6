/* Unit tests of p2psipd's SIP transactions (RFC 3261 17, RFC 6026) on a fake transport with a
 * short T1: retransmission counts and schedules, timers B, D, F, H, I, J, K, L, M, ACK for
 * non-2xx, 100 Trying, absorption of retransmitted requests, 2xx retransmission until the ACK,
 * CANCEL, RFC 2543 matching, transport errors, close. */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/sip/txn.h"

#define T1	 25
#define T2	 (8 * T1)
#define T4	 (10 * T1)
#define TD	 (12 * T1)
#define TRYING	 40
#define MAX_SENT 64

static uv_loop_t loop;
static struct sip_txn_layer layer;
static uint64_t t0;

/* The fake transport: every message sent, parsed back, with the time it left. */
static struct sent {
	osip_message_t *m;
	struct sip_dest dest;
	uint64_t at;
} sent[MAX_SENT];
static unsigned n_sent;
static int fail_send_at; /* 1-based index of a send that fails, 0: none */

/* What the TU saw. */
static struct tu {
	unsigned responses, errors, terminated, requests, acks, strays;
	int last_status, last_error;
	struct sip_txn *server; /* the last new server transaction */
	int auto_status;	/* the TU answers a new request at once with this, 0: not */
} tu;

static int fake_send(void *arg, const struct sip_dest *dest, const uint8_t *buf, size_t len)
{
	const char *why = NULL;
	struct sent *s;

	(void)arg;
	ck_assert_uint_lt(n_sent, MAX_SENT);
	if (fail_send_at && (int)n_sent + 1 == fail_send_at)
		return -ECONNREFUSED;
	s = &sent[n_sent++];
	ck_assert_msg(sip_msg_parse(buf, len, &s->m, &why) == 0, "we sent garbage: %s", why);
	s->dest = *dest;
	s->at = uv_now(&loop) - t0;
	return 0;
}

static void on_response(void *arg, struct sip_txn *x, const osip_message_t *resp)
{
	struct tu *t = arg;

	(void)x;
	t->responses++;
	t->last_status = resp->status_code;
}

static void on_error(void *arg, struct sip_txn *x, int err)
{
	struct tu *t = arg;

	(void)x;
	t->errors++;
	t->last_error = err;
}

static void on_terminated(void *arg, struct sip_txn *x)
{
	struct tu *t = arg;

	(void)x;
	t->terminated++;
}

static const struct sip_txn_cbs tu_cbs = {on_response, on_error, on_terminated};

static void on_request(void *arg, struct sip_txn *x, const osip_message_t *req,
		       const struct sip_dest *src)
{
	osip_message_t *r;

	(void)arg;
	(void)src;
	if (!x) {
		ck_assert(MSG_IS_ACK(req));
		tu.acks++;
		return;
	}
	tu.requests++;
	tu.server = x;
	sip_txn_set_cbs(x, &tu_cbs, &tu);
	if (!tu.auto_status)
		return;
	ck_assert_int_eq(sip_msg_response(req, tu.auto_status, NULL, "srvtag", &r), 0);
	ck_assert_int_eq(sip_txn_respond(x, r), 0);
	sip_msg_free(r);
}

static void on_stray(void *arg, const osip_message_t *resp, const struct sip_dest *src)
{
	(void)arg;
	(void)resp;
	(void)src;
	tu.strays++;
}

static const struct sip_txn_layer_cbs layer_cbs = {fake_send, on_request, on_stray};

static const struct sip_dest udp = {.id = 1, .reliable = false};
static const struct sip_dest tcp = {.id = 2, .reliable = true};

static void setup(void)
{
	struct sip_txn_timers tm = {
	    .t1_ms = T1, .t2_ms = T2, .t4_ms = T4, .d_ms = TD, .trying_ms = TRYING};

	memset(&tu, 0, sizeof(tu));
	memset(sent, 0, sizeof(sent));
	n_sent = 0;
	fail_send_at = 0;
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(sip_txn_layer_init(&layer, &loop, &tm, &layer_cbs, NULL), 0);
	t0 = uv_now(&loop);
}

static unsigned layer_closed;

static void on_layer_closed(struct sip_txn_layer *l)
{
	(void)l;
	layer_closed++;
}

static void teardown(void)
{
	if (!layer.closing) {
		layer_closed = 0;
		sip_txn_layer_close(&layer, on_layer_closed);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_uint_eq(layer_closed, 1);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	for (unsigned i = 0; i < n_sent; i++)
		sip_msg_free(sent[i].m);
}

static void on_deadline(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Runs the loop until *count reaches want or ms pass. */
static int run_until(const unsigned *count, unsigned want, unsigned ms)
{
	uv_timer_t timer;
	int expired = 0;

	uv_timer_init(&loop, &timer);
	timer.data = &expired;
	uv_timer_start(&timer, on_deadline, ms, 0);
	while ((!count || *count < want) && !expired)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return count && *count >= want;
}

static void run_ms(unsigned ms)
{
	run_until(NULL, 0, ms);
}

static osip_message_t *parse(const char *fmt, ...)
{
	char text[2048];
	osip_message_t *m;
	const char *why = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ck_assert_msg(sip_msg_parse((const uint8_t *)text, strlen(text), &m, &why) == 0, "%s", why);
	return m;
}

static osip_message_t *request(const char *method, const char *branch, unsigned cseq,
			       const char *to_tag)
{
	return parse("%s sip:bob@p2psip.test SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=%s\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:alice@p2psip.test>;tag=a1\r\n"
		     "To: <sip:bob@p2psip.test>%s%s\r\n"
		     "Call-ID: call-1@127.0.0.1\r\n"
		     "CSeq: %u %s\r\n"
		     "Content-Length: 0\r\n\r\n",
		     method, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq, method);
}

static osip_message_t *response(int status, const char *branch, unsigned cseq, const char *method,
				const char *to_tag)
{
	return parse("SIP/2.0 %d Whatever\r\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=%s\r\n"
		     "From: <sip:alice@p2psip.test>;tag=a1\r\n"
		     "To: <sip:bob@p2psip.test>%s%s\r\n"
		     "Call-ID: call-1@127.0.0.1\r\n"
		     "CSeq: %u %s\r\n"
		     "Content-Length: 0\r\n\r\n",
		     status, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "", cseq, method);
}

/* Offers a message and frees it. */
static int input(osip_message_t *m, const struct sip_dest *src)
{
	int r = sip_txn_input(&layer, m, src);

	sip_msg_free(m);
	return r;
}

static struct sip_txn *start_client(const char *method, const struct sip_dest *dest)
{
	osip_message_t *req = request(method, "z9hG4bKc1", 1, NULL);
	struct sip_txn *x;

	ck_assert_int_eq(sip_txn_request(&layer, req, dest, &tu_cbs, &tu, &x), 0);
	sip_msg_free(req);
	return x;
}

static struct sip_txn *respond(struct sip_txn *x, int status)
{
	osip_message_t *r;

	ck_assert_int_eq(sip_msg_response(sip_txn_request_msg(x), status, NULL, "srvtag", &r), 0);
	ck_assert_int_eq(sip_txn_respond(x, r), 0);
	sip_msg_free(r);
	return x;
}

static unsigned sent_with(const char *method, int status)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_sent; i++)
		if (method ? MSG_IS_REQUEST(sent[i].m) && strcmp(sent[i].m->sip_method, method) == 0
			   : sent[i].m->status_code == status)
			n++;
	return n;
}

/* RFC 3261 17.1.1.2: timer A doubles from T1; timer B at 64*T1, the time of seven sends. */
START_TEST(an_invite_over_udp_is_sent_seven_times_then_timer_b_fires)
{
	start_client("INVITE", &udp);
	ck_assert(run_until(&tu.terminated, 1, 200 * T1));
	ck_assert_uint_eq(n_sent, 7);
	for (unsigned i = 1; i < n_sent; i++)
		ck_assert_uint_ge(sent[i].at, ((1u << i) - 1) * T1);
	ck_assert_uint_eq(tu.errors, 1);
	ck_assert_int_eq(tu.last_error, -ETIMEDOUT);
	ck_assert_uint_ge(uv_now(&loop) - t0, 64 * T1);
	ck_assert_uint_eq(tu.responses, 0);
	ck_assert_uint_eq(layer.stats.retransmits, 6);
	ck_assert_uint_eq(layer.count, 0);
}
END_TEST

/* RFC 3261 17.1.1.2: no timer A over reliable transports; timer B all the same. */
START_TEST(an_invite_over_tcp_is_sent_once_and_still_times_out)
{
	start_client("INVITE", &tcp);
	ck_assert(run_until(&tu.terminated, 1, 200 * T1));
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(tu.last_error, -ETIMEDOUT);
	ck_assert_uint_eq(sent[0].dest.id, tcp.id);
}
END_TEST

/* RFC 3261 17.1.2.2: timer E doubles up to T2; timer F at 64*T1: 11 sends with T2 = 8*T1. */
START_TEST(a_non_invite_over_udp_is_retransmitted_up_to_t2_then_timer_f_fires)
{
	static const unsigned at[] = {0, 1, 3, 7, 15, 23, 31, 39, 47, 55, 63};

	start_client("OPTIONS", &udp);
	ck_assert(run_until(&tu.terminated, 1, 200 * T1));
	ck_assert_uint_eq(n_sent, 11);
	for (unsigned i = 0; i < n_sent; i++)
		ck_assert_uint_ge(sent[i].at, at[i] * T1);
	ck_assert_int_eq(tu.last_error, -ETIMEDOUT);
}
END_TEST

/* RFC 3261 17.1.1.2: a provisional response stops retransmissions and timer B. */
START_TEST(a_provisional_response_stops_invite_retransmissions_and_timer_b)
{
	struct sip_txn *x = start_client("INVITE", &udp);

	ck_assert(run_until(&n_sent, 2, 40 * T1));
	ck_assert_int_eq(input(response(180, "z9hG4bKc1", 1, "INVITE", "bt"), &udp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_uint_eq(tu.responses, 1);
	ck_assert_int_eq(tu.last_status, 180);
	ck_assert_int_eq(sip_txn_state(x), SIP_TXN_PROCEEDING);
	run_ms(70 * T1);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_uint_eq(tu.terminated, 0);
	ck_assert_int_eq(sip_txn_state(x), SIP_TXN_PROCEEDING);
	ck_assert_int_eq(input(response(183, "z9hG4bKc1", 1, "INVITE", "bt"), &udp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_uint_eq(tu.responses, 2);
}
END_TEST

/* RFC 3261 17.1.1.2, 17.1.1.3: a 300-699 response is ACKed by the transaction (also over
 * TCP), a retransmission of it is ACKed again and not passed up; timer D ends it. */
START_TEST(a_non_2xx_final_is_acked_by_the_transaction_and_acked_again_on_retransmission)
{
	struct sip_txn *x = start_client("INVITE", &udp);
	const osip_message_t *ack;
	uint32_t num;
	const char *method;

	ck_assert_int_eq(input(response(486, "z9hG4bKc1", 1, "INVITE", "busy1"), &udp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_int_eq(sip_txn_state(x), SIP_TXN_COMPLETED);
	ck_assert_uint_eq(tu.responses, 1);
	ck_assert_uint_eq(n_sent, 2);
	ack = sent[1].m;
	ck_assert_str_eq(sip_msg_method(ack), "ACK");
	ck_assert_str_eq(sip_msg_branch(ack), "z9hG4bKc1");
	ck_assert_str_eq(sip_msg_to_tag(ack), "busy1");
	ck_assert_str_eq(sip_msg_from_tag(ack), "a1");
	ck_assert_int_eq(sip_msg_cseq(ack, &num, &method), 0);
	ck_assert_uint_eq(num, 1);
	ck_assert_str_eq(method, "ACK");
	ck_assert_int_eq(input(response(486, "z9hG4bKc1", 1, "INVITE", "busy1"), &udp),
			 SIP_TXN_IN_ABSORBED);
	ck_assert_uint_eq(tu.responses, 1);
	ck_assert_uint_eq(sent_with("ACK", 0), 2);
	ck_assert_uint_eq(sent_with("INVITE", 0), 1); /* timer A stopped */
	ck_assert(run_until(&tu.terminated, 1, 4 * TD));
	ck_assert_uint_eq(tu.errors, 0);
	ck_assert_uint_ge(uv_now(&loop) - t0, TD);
}
END_TEST

START_TEST(a_non_2xx_final_is_acked_over_tcp_too_and_timer_d_is_zero)
{
	start_client("INVITE", &tcp);
	ck_assert_int_eq(input(response(603, "z9hG4bKc1", 1, "INVITE", "dcl"), &tcp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_uint_eq(sent_with("ACK", 0), 1);
	ck_assert(run_until(&tu.terminated, 1, T1));
}
END_TEST

/* RFC 6026 7.2: after a 2xx the INVITE client is Accepted: every 2xx goes up (the TU ACKs
 * each), the transaction sends no ACK; timer M ends it. */
START_TEST(a_2xx_makes_the_invite_client_accepted_and_every_2xx_goes_up)
{
	struct sip_txn *x = start_client("INVITE", &udp);

	ck_assert_int_eq(input(response(200, "z9hG4bKc1", 1, "INVITE", "ok1"), &udp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_int_eq(sip_txn_state(x), SIP_TXN_ACCEPTED);
	ck_assert_int_eq(input(response(200, "z9hG4bKc1", 1, "INVITE", "ok1"), &udp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_int_eq(input(response(180, "z9hG4bKc1", 1, "INVITE", "ok1"), &udp),
			 SIP_TXN_IN_ABSORBED);
	ck_assert_uint_eq(tu.responses, 2);
	ck_assert_uint_eq(sent_with("ACK", 0), 0);
	ck_assert(run_until(&tu.terminated, 1, 100 * T1));
	ck_assert_uint_eq(tu.errors, 0);
	ck_assert_uint_eq(sent_with("INVITE", 0), 1);
	/* Gone: a further 2xx is the core's (17.1.1.2). */
	ck_assert_int_eq(input(response(200, "z9hG4bKc1", 1, "INVITE", "ok1"), &udp),
			 SIP_TXN_IN_TU);
	ck_assert_uint_eq(tu.strays, 1);
}
END_TEST

/* RFC 3261 17.1.2.2: a final response completes a non-INVITE client; retransmissions of it
 * are absorbed; timer K (T4) ends it. Timer E in Proceeding runs at T2. */
START_TEST(a_non_invite_client_completes_and_timer_k_ends_it)
{
	struct sip_txn *x = start_client("OPTIONS", &udp);

	ck_assert_int_eq(input(response(100, "z9hG4bKc1", 1, "OPTIONS", NULL), &udp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_int_eq(sip_txn_state(x), SIP_TXN_PROCEEDING);
	run_ms(2 * T2 + T1);
	ck_assert_uint_ge(sent_with("OPTIONS", 0), 2);
	ck_assert_int_eq(input(response(200, "z9hG4bKc1", 1, "OPTIONS", "o1"), &udp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_int_eq(sip_txn_state(x), SIP_TXN_COMPLETED);
	ck_assert_int_eq(input(response(200, "z9hG4bKc1", 1, "OPTIONS", "o1"), &udp),
			 SIP_TXN_IN_ABSORBED);
	ck_assert_uint_eq(tu.responses, 2);
	ck_assert(run_until(&tu.terminated, 1, 4 * T4));
	ck_assert_uint_eq(tu.errors, 0);
}
END_TEST

/* RFC 3261 17.1.3: a response matches by branch and CSeq method; others are the core's. */
START_TEST(responses_match_by_branch_and_cseq_method_only)
{
	start_client("OPTIONS", &tcp);
	ck_assert_int_eq(input(response(200, "z9hG4bKother", 1, "OPTIONS", "o"), &tcp),
			 SIP_TXN_IN_TU);
	ck_assert_int_eq(input(response(200, "z9hG4bKc1", 1, "INFO", "o"), &tcp), SIP_TXN_IN_TU);
	ck_assert_uint_eq(tu.strays, 2);
	ck_assert_uint_eq(tu.responses, 0);
	ck_assert_int_eq(input(response(200, "z9hG4bKc1", 1, "OPTIONS", "o"), &tcp),
			 SIP_TXN_IN_MATCHED);
}
END_TEST

/* RFC 3261 17.2.2, 17.2.3: a retransmitted request is absorbed: nothing in Trying, the last
 * response afterwards; timer J ends the transaction (64*T1 over UDP). */
START_TEST(a_retransmitted_non_invite_request_is_absorbed_and_answered_again)
{
	ck_assert_int_eq(input(request("OPTIONS", "z9hG4bKs1", 5, NULL), &udp), SIP_TXN_IN_NEW);
	ck_assert_uint_eq(tu.requests, 1);
	ck_assert_int_eq(input(request("OPTIONS", "z9hG4bKs1", 5, NULL), &udp),
			 SIP_TXN_IN_ABSORBED);
	ck_assert_uint_eq(n_sent, 0);
	respond(tu.server, 200);
	ck_assert_int_eq(sip_txn_state(tu.server), SIP_TXN_COMPLETED);
	ck_assert_int_eq(input(request("OPTIONS", "z9hG4bKs1", 5, NULL), &udp),
			 SIP_TXN_IN_ABSORBED);
	ck_assert_uint_eq(tu.requests, 1);
	ck_assert_uint_eq(sent_with(NULL, 200), 2);
	ck_assert_uint_eq(layer.stats.absorbed, 2);
	/* The same branch from another sent-by is another transaction (17.2.3). */
	ck_assert_int_eq(
	    input(parse("OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.9.9.9:5062;branch=z9hG4bKs1"
			"\r\nFrom: <sip:e@h>;tag=e\r\nTo: <sip:b@h>\r\nCall-ID: x\r\n"
			"CSeq: 5 OPTIONS\r\n\r\n"),
		  &udp),
	    SIP_TXN_IN_NEW);
	ck_assert(run_until(&tu.terminated, 1, 100 * T1));
	ck_assert_uint_ge(uv_now(&loop) - t0, 64 * T1);
	ck_assert_int_eq(layer.count, 1); /* the one never answered */
}
END_TEST

/* RFC 3261 17.2.1: 100 Trying unless the TU answers within 200 ms (trying_ms here), without
 * To tag; a retransmitted INVITE gets the latest provisional response. */
START_TEST(an_invite_server_sends_100_trying_when_the_tu_is_slow)
{
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi1", 9, NULL), &udp), SIP_TXN_IN_NEW);
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi1", 9, NULL), &udp), SIP_TXN_IN_ABSORBED);
	ck_assert_uint_eq(n_sent, 0);
	ck_assert(run_until(&n_sent, 1, 40 * TRYING));
	ck_assert_uint_ge(sent[0].at, TRYING);
	ck_assert_int_eq(sent[0].m->status_code, 100);
	ck_assert_ptr_null(sip_msg_to_tag(sent[0].m));
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi1", 9, NULL), &udp), SIP_TXN_IN_ABSORBED);
	ck_assert_uint_eq(sent_with(NULL, 100), 2);
	respond(tu.server, 180);
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi1", 9, NULL), &udp), SIP_TXN_IN_ABSORBED);
	ck_assert_uint_eq(sent_with(NULL, 180), 2);
	ck_assert_uint_eq(tu.requests, 1);
}
END_TEST

START_TEST(an_invite_server_sends_no_100_when_the_tu_answers_at_once)
{
	tu.auto_status = 180;
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi2", 9, NULL), &udp), SIP_TXN_IN_NEW);
	run_ms(3 * TRYING);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(sent[0].m->status_code, 180);
}
END_TEST

/* RFC 3261 17.2.1: a 300-699 final is retransmitted (timer G, T1 doubling to T2) until the ACK,
 * which the transaction absorbs (Confirmed); timer I ends it without error. */
START_TEST(an_invite_server_retransmits_a_non_2xx_until_the_ack)
{
	tu.auto_status = 486;
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi3", 9, NULL), &udp), SIP_TXN_IN_NEW);
	ck_assert_int_eq(sip_txn_state(tu.server), SIP_TXN_COMPLETED);
	ck_assert(run_until(&n_sent, 4, 40 * T1)); /* at 0, T1, 3*T1, 7*T1 */
	ck_assert_uint_ge(sent[3].at, 7 * T1);
	ck_assert_int_eq(input(request("ACK", "z9hG4bKi3", 9, "srvtag"), &udp), SIP_TXN_IN_MATCHED);
	ck_assert_int_eq(sip_txn_state(tu.server), SIP_TXN_CONFIRMED);
	ck_assert_uint_eq(tu.acks, 0);
	ck_assert_int_eq(input(request("ACK", "z9hG4bKi3", 9, "srvtag"), &udp),
			 SIP_TXN_IN_ABSORBED);
	unsigned before = n_sent;
	ck_assert(run_until(&tu.terminated, 1, 4 * T4));
	ck_assert_uint_eq(n_sent, before);
	ck_assert_uint_eq(tu.errors, 0);
}
END_TEST

/* RFC 3261 17.2.1: without an ACK, timer H (64*T1) ends the transaction with a failure. */
START_TEST(timer_h_ends_an_invite_server_whose_final_was_not_acked)
{
	tu.auto_status = 404;
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi4", 9, NULL), &tcp), SIP_TXN_IN_NEW);
	ck_assert(run_until(&tu.terminated, 1, 100 * T1));
	ck_assert_int_eq(tu.last_error, -ETIMEDOUT);
	ck_assert_uint_eq(n_sent, 1); /* no timer G over TCP */
}
END_TEST

/* RFC 3261 13.3.1.4 with RFC 6026 7.1: the 2xx is retransmitted until its ACK, a request of
 * its own (new branch) that goes to the TU, even over TCP; INVITE retransmissions are absorbed;
 * timer L ends the transaction. */
START_TEST(the_2xx_is_retransmitted_until_its_ack_even_over_tcp)
{
	tu.auto_status = 200;
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi5", 9, NULL), &tcp), SIP_TXN_IN_NEW);
	ck_assert_int_eq(sip_txn_state(tu.server), SIP_TXN_ACCEPTED);
	ck_assert(run_until(&n_sent, 3, 40 * T1));
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi5", 9, NULL), &tcp), SIP_TXN_IN_ABSORBED);
	ck_assert_int_eq(input(request("ACK", "z9hG4bKnew", 9, "srvtag"), &tcp), SIP_TXN_IN_TU);
	ck_assert_uint_eq(tu.acks, 1);
	unsigned before = n_sent;
	ck_assert(run_until(&tu.terminated, 1, 100 * T1));
	ck_assert_uint_eq(n_sent, before);
	ck_assert_uint_eq(tu.errors, 0);
	ck_assert_uint_eq(sent_with(NULL, 200), before);
}
END_TEST

START_TEST(a_2xx_never_acked_is_reported_after_64_t1)
{
	tu.auto_status = 200;
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi6", 9, NULL), &udp), SIP_TXN_IN_NEW);
	/* An ACK for another dialog (To tag) does not stop it. */
	ck_assert_int_eq(input(request("ACK", "z9hG4bKnew", 9, "othertag"), &udp), SIP_TXN_IN_TU);
	ck_assert(run_until(&tu.terminated, 1, 100 * T1));
	ck_assert_int_eq(tu.last_error, -ETIME);
	ck_assert_uint_ge(n_sent, 8);
}
END_TEST

/* RFC 3261 9.2: a CANCEL is a transaction of its own, matched to its INVITE by 17.2.3 with the
 * method set aside. */
START_TEST(a_cancel_finds_its_invite_server_transaction)
{
	struct sip_txn *ist, *nist;
	osip_message_t *c;

	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi7", 9, NULL), &udp), SIP_TXN_IN_NEW);
	ist = tu.server;
	ck_assert_int_eq(input(request("CANCEL", "z9hG4bKi7", 9, NULL), &udp), SIP_TXN_IN_NEW);
	nist = tu.server;
	ck_assert_ptr_ne(ist, nist);
	ck_assert_int_eq(sip_txn_kind(nist), SIP_TXN_NIST);
	c = request("CANCEL", "z9hG4bKi7", 9, NULL);
	ck_assert_ptr_eq(sip_txn_find_invite(&layer, c), ist);
	sip_msg_free(c);
	c = request("CANCEL", "z9hG4bKzz", 9, NULL);
	ck_assert_ptr_null(sip_txn_find_invite(&layer, c));
	sip_msg_free(c);
	respond(nist, 200);
	respond(ist, 487);
	ck_assert_uint_eq(sent_with(NULL, 200), 1);
	ck_assert_uint_eq(sent_with(NULL, 487), 1);
	ck_assert_int_eq(input(request("ACK", "z9hG4bKi7", 9, "srvtag"), &udp), SIP_TXN_IN_MATCHED);
}
END_TEST

/* RFC 3261 9.1: no CANCEL before a provisional response; then it goes with the INVITE's
 * branch, and its responses (CSeq CANCEL) match it, not the INVITE. */
START_TEST(a_cancel_waits_for_a_provisional_response_and_matches_its_own_responses)
{
	struct sip_txn *ict = start_client("INVITE", &tcp), *c;
	struct tu ctu = {0};
	uint32_t num;
	const char *method;

	ck_assert_int_eq(sip_txn_cancel(ict, &tu_cbs, &ctu, &c), 0);
	ck_assert_int_eq(sip_txn_state(c), SIP_TXN_WAITING);
	ck_assert_int_eq(sip_txn_cancel(ict, &tu_cbs, &ctu, NULL), -EALREADY);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(input(response(180, "z9hG4bKc1", 1, "INVITE", "r1"), &tcp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_str_eq(sip_msg_method(sent[1].m), "CANCEL");
	ck_assert_str_eq(sip_msg_branch(sent[1].m), "z9hG4bKc1");
	ck_assert_int_eq(sip_msg_cseq(sent[1].m, &num, &method), 0);
	ck_assert_uint_eq(num, 1);
	ck_assert_int_eq(sip_txn_state(c), SIP_TXN_TRYING);
	ck_assert_int_eq(input(response(200, "z9hG4bKc1", 1, "CANCEL", "r1"), &tcp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_uint_eq(ctu.responses, 1);
	ck_assert_int_eq(ctu.last_status, 200);
	ck_assert_uint_eq(tu.responses, 1); /* the INVITE's 180 only */
	ck_assert_int_eq(input(response(487, "z9hG4bKc1", 1, "INVITE", "r1"), &tcp),
			 SIP_TXN_IN_MATCHED);
	ck_assert_int_eq(tu.last_status, 487);
	ck_assert_uint_eq(sent_with("ACK", 0), 1);
	ck_assert(run_until(&ctu.terminated, 1, 40 * T1));
	ck_assert(run_until(&tu.terminated, 1, 40 * T1));
}
END_TEST

START_TEST(a_held_cancel_ends_unsent_when_the_invite_times_out)
{
	struct sip_txn *ict = start_client("INVITE", &tcp), *c;
	struct tu ctu = {0};

	ck_assert_int_eq(sip_txn_cancel(ict, &tu_cbs, &ctu, &c), 0);
	ck_assert(run_until(&tu.terminated, 1, 100 * T1));
	ck_assert_int_eq(tu.last_error, -ETIMEDOUT);
	ck_assert_uint_eq(ctu.terminated, 1);
	ck_assert_uint_eq(ctu.errors, 0);
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_uint_eq(layer.count, 0);
}
END_TEST

/* RFC 3261 17.1.4, 17.2.4: a transport error ends the transaction and tells the TU. */
START_TEST(a_transport_error_ends_the_transaction)
{
	osip_message_t *req = request("INVITE", "z9hG4bKe1", 1, NULL);

	fail_send_at = 1; /* the first send fails: no transaction at all */
	ck_assert_int_eq(sip_txn_request(&layer, req, &udp, &tu_cbs, &tu, NULL), -ECONNREFUSED);
	ck_assert_uint_eq(layer.count, 0);
	ck_assert_uint_eq(tu.terminated, 0);
	fail_send_at = 3; /* the second retransmission fails */
	ck_assert_int_eq(sip_txn_request(&layer, req, &udp, &tu_cbs, &tu, NULL), 0);
	ck_assert(run_until(&tu.terminated, 1, 40 * T1));
	ck_assert_int_eq(tu.last_error, -ECONNREFUSED);
	ck_assert_uint_eq(n_sent, 2);
	sip_msg_free(req);
}
END_TEST

/* RFC 3261 17.2.3: without the magic cookie, RFC 2543 matching by fields; the ACK carries the
 * To tag of our response. */
START_TEST(requests_without_the_magic_cookie_match_by_their_fields)
{
	tu.auto_status = 480;
	ck_assert_int_eq(input(request("INVITE", "old2543", 9, NULL), &udp), SIP_TXN_IN_NEW);
	ck_assert_int_eq(input(request("INVITE", "old2543", 9, NULL), &udp), SIP_TXN_IN_ABSORBED);
	ck_assert_int_eq(input(request("INVITE", "old2543", 10, NULL), &udp), SIP_TXN_IN_NEW);
	ck_assert_int_eq(input(request("ACK", "old2543", 9, "wrong"), &udp), SIP_TXN_IN_TU);
	ck_assert_int_eq(input(request("ACK", "old2543", 9, "srvtag"), &udp), SIP_TXN_IN_MATCHED);
	ck_assert_uint_eq(tu.requests, 2);
}
END_TEST

START_TEST(client_requests_need_a_branch_with_the_cookie_and_no_ack)
{
	osip_message_t *req = request("INVITE", "old2543", 1, NULL);

	ck_assert_int_eq(sip_txn_request(&layer, req, &udp, &tu_cbs, &tu, NULL), -EINVAL);
	sip_msg_free(req);
	req = request("ACK", "z9hG4bKa", 1, "t");
	ck_assert_int_eq(sip_txn_request(&layer, req, &udp, &tu_cbs, &tu, NULL), -EINVAL);
	ck_assert_int_eq(sip_txn_send(&layer, &udp, req), 0);
	ck_assert_uint_eq(n_sent, 1);
	sip_msg_free(req);
}
END_TEST

/* Closing drops every transaction without callbacks (teardown checks on_closed). */
START_TEST(closing_the_layer_drops_every_transaction_silently)
{
	struct sip_txn *ict = start_client("INVITE", &udp);

	ck_assert_int_eq(sip_txn_cancel(ict, &tu_cbs, &tu, NULL), 0);
	ck_assert_int_eq(input(request("INVITE", "z9hG4bKi8", 9, NULL), &udp), SIP_TXN_IN_NEW);
	respond(tu.server, 200);
	ck_assert_uint_eq(layer.count, 3);
	layer_closed = 0;
	sip_txn_layer_close(&layer, on_layer_closed);
	ck_assert_uint_eq(layer.count, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_uint_eq(layer_closed, 1);
	ck_assert_uint_eq(tu.terminated + tu.errors + tu.responses, 0);
	ck_assert_int_eq(sip_txn_input(&layer, sent[0].m, &udp), -ESHUTDOWN);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sip_txn");
	TCase *tc = tcase_create("sip_txn");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, an_invite_over_udp_is_sent_seven_times_then_timer_b_fires);
	tcase_add_test(tc, an_invite_over_tcp_is_sent_once_and_still_times_out);
	tcase_add_test(tc, a_non_invite_over_udp_is_retransmitted_up_to_t2_then_timer_f_fires);
	tcase_add_test(tc, a_provisional_response_stops_invite_retransmissions_and_timer_b);
	tcase_add_test(
	    tc, a_non_2xx_final_is_acked_by_the_transaction_and_acked_again_on_retransmission);
	tcase_add_test(tc, a_non_2xx_final_is_acked_over_tcp_too_and_timer_d_is_zero);
	tcase_add_test(tc, a_2xx_makes_the_invite_client_accepted_and_every_2xx_goes_up);
	tcase_add_test(tc, a_non_invite_client_completes_and_timer_k_ends_it);
	tcase_add_test(tc, responses_match_by_branch_and_cseq_method_only);
	tcase_add_test(tc, a_retransmitted_non_invite_request_is_absorbed_and_answered_again);
	tcase_add_test(tc, an_invite_server_sends_100_trying_when_the_tu_is_slow);
	tcase_add_test(tc, an_invite_server_sends_no_100_when_the_tu_answers_at_once);
	tcase_add_test(tc, an_invite_server_retransmits_a_non_2xx_until_the_ack);
	tcase_add_test(tc, timer_h_ends_an_invite_server_whose_final_was_not_acked);
	tcase_add_test(tc, the_2xx_is_retransmitted_until_its_ack_even_over_tcp);
	tcase_add_test(tc, a_2xx_never_acked_is_reported_after_64_t1);
	tcase_add_test(tc, a_cancel_finds_its_invite_server_transaction);
	tcase_add_test(tc, a_cancel_waits_for_a_provisional_response_and_matches_its_own_responses);
	tcase_add_test(tc, a_held_cancel_ends_unsent_when_the_invite_times_out);
	tcase_add_test(tc, a_transport_error_ends_the_transaction);
	tcase_add_test(tc, requests_without_the_magic_cookie_match_by_their_fields);
	tcase_add_test(tc, client_requests_need_a_branch_with_the_cookie_and_no_ack);
	tcase_add_test(tc, closing_the_layer_drops_every_transaction_silently);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
