/* Unit tests of p2psipd's local SIP transport over loopback UDP and TCP: sources and replies,
 * stream framing (RFC 3261 18.3), CRLF keep-alives (RFC 5626 3.5.1), size and connection
 * limits, close. The clients are plain sockets of the test. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p2psipd/sip/transport.h"

#define MAX_SEEN 16

static const char options[] = "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
			      "Via: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bKt1\r\n"
			      "From: <sip:alice@p2psip.test>;tag=1\r\n"
			      "To: <sip:127.0.0.1>\r\n"
			      "Call-ID: c1\r\n"
			      "CSeq: 1 OPTIONS\r\n"
			      "Content-Type: text/plain\r\n"
			      "Content-Length: 5\r\n"
			      "\r\n"
			      "hello";

static uv_loop_t loop;
static struct sip_transport tp;
static struct {
	struct sip_src src;
	char msg[2048];
	size_t len;
} seen[MAX_SEEN];
static unsigned n_seen, n_closed_conns, transport_closed;
static uint64_t last_closed_conn;

static void on_msg(void *arg, const struct sip_src *src, const uint8_t *msg, size_t len)
{
	(void)arg;
	ck_assert_uint_lt(n_seen, MAX_SEEN);
	ck_assert_uint_lt(len, sizeof(seen[0].msg));
	seen[n_seen].src = *src;
	memcpy(seen[n_seen].msg, msg, len);
	seen[n_seen].len = len;
	n_seen++;
}

static void on_conn_gone(void *arg, uint64_t conn)
{
	(void)arg;
	n_closed_conns++;
	last_closed_conn = conn;
}

static void on_tp_closed(struct sip_transport *t)
{
	(void)t;
	transport_closed++;
}

static void on_deadline(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Runs the loop until *cond holds or ms pass; the result is *cond. */
static int run_until(const unsigned *count, unsigned want, unsigned ms)
{
	uv_timer_t timer;
	int expired = 0;

	uv_timer_init(&loop, &timer);
	timer.data = &expired;
	uv_timer_start(&timer, on_deadline, ms, 0);
	while (*count < want && !expired)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return *count >= want;
}

/* A few loop turns for writes and accepts to happen. */
static void spin(unsigned ms)
{
	static const unsigned never;

	run_until(&never, 1, ms);
}

static void open_tp(size_t max_msg, unsigned max_conns)
{
	struct sip_transport_config cfg = {
	    .addr = "127.0.0.1", .port = 0, .max_msg = max_msg, .max_conns = max_conns};

	memset(seen, 0, sizeof(seen));
	n_seen = n_closed_conns = transport_closed = 0;
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(sip_transport_open(&loop, &tp, &cfg, on_msg, on_conn_gone, NULL), 0);
	ck_assert_uint_ne(sip_transport_port(&tp), 0);
}

static void close_tp(void)
{
	sip_transport_close(&tp, on_tp_closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_uint_eq(transport_closed, 1);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}

static struct sockaddr_in tp_addr(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(sip_transport_port(&tp))};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int client(int type)
{
	struct sockaddr_in a = tp_addr();
	struct timeval tv = {.tv_sec = 2};
	int fd = socket(AF_INET, type, 0);

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(send(fd, buf, len, 0), (ssize_t)len);
}

/* What the client has received so far (the loop having run). */
static ssize_t client_read(int fd, char *buf, size_t cap)
{
	spin(20);
	return recv(fd, buf, cap, 0);
}

START_TEST(a_udp_datagram_arrives_with_its_source_and_the_answer_goes_back)
{
	int fd;
	char buf[256];
	struct sockaddr_in me;
	socklen_t len = sizeof(me);

	open_tp(0, 0);
	fd = client(SOCK_DGRAM);
	getsockname(fd, (struct sockaddr *)&me, &len);
	send_all(fd, options, strlen(options));
	ck_assert(run_until(&n_seen, 1, 2000));
	ck_assert_int_eq(seen[0].src.proto, SIP_TP_UDP);
	ck_assert_uint_eq(seen[0].src.conn, 0);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&seen[0].src.addr)->sin_port),
			  ntohs(me.sin_port));
	ck_assert_uint_eq(seen[0].len, strlen(options));
	ck_assert_mem_eq(seen[0].msg, options, seen[0].len);
	ck_assert_int_eq(
	    sip_transport_send(&tp, &seen[0].src, (const uint8_t *)"SIP/2.0 200 OK", 14), 0);
	ck_assert_int_eq(client_read(fd, buf, sizeof(buf)), 14);
	ck_assert_mem_eq(buf, "SIP/2.0 200 OK", 14);
	close(fd);
	close_tp();
}
END_TEST

/* Whitespace datagrams are keep-alives; binary ones (STUN) are not SIP; neither arrives. */
START_TEST(udp_keepalives_and_binary_datagrams_are_not_delivered)
{
	static const uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
	int fd;

	open_tp(0, 0);
	fd = client(SOCK_DGRAM);
	send_all(fd, "\r\n\r\n", 4);
	send_all(fd, stun, sizeof(stun));
	send_all(fd, options, strlen(options));
	ck_assert(run_until(&n_seen, 1, 2000));
	spin(20);
	ck_assert_uint_eq(n_seen, 1);
	ck_assert_uint_eq(tp.stats.keepalives, 1);
	ck_assert_uint_eq(tp.stats.rx_dropped, 1);
	close(fd);
	close_tp();
}
END_TEST

START_TEST(a_udp_datagram_over_the_limit_is_dropped)
{
	char big[1500];
	int fd;

	open_tp(1024, 0);
	fd = client(SOCK_DGRAM);
	memset(big, 'A', sizeof(big));
	send_all(fd, big, sizeof(big));
	send_all(fd, options, strlen(options));
	ck_assert(run_until(&n_seen, 1, 2000));
	ck_assert_uint_eq(seen[0].len, strlen(options));
	ck_assert_uint_eq(tp.stats.rx_dropped, 1);
	ck_assert_int_eq(sip_transport_send(&tp, &seen[0].src, (const uint8_t *)big, sizeof(big)),
			 -EMSGSIZE);
	close(fd);
	close_tp();
}
END_TEST

/* RFC 3261 18.3: Content-Length delimits messages on a stream. */
START_TEST(two_messages_in_one_tcp_segment_are_two_messages)
{
	char two[2 * sizeof(options)];
	int fd;

	open_tp(0, 0);
	fd = client(SOCK_STREAM);
	snprintf(two, sizeof(two), "%s%s", options, options);
	send_all(fd, two, strlen(two));
	ck_assert(run_until(&n_seen, 2, 2000));
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(seen[i].src.proto, SIP_TP_TCP);
		ck_assert_uint_eq(seen[i].len, strlen(options));
		ck_assert_mem_eq(seen[i].msg, options, seen[i].len);
	}
	ck_assert_uint_eq(seen[0].src.conn, seen[1].src.conn);
	ck_assert_uint_ne(seen[0].src.conn, 0);
	close(fd);
	close_tp();
}
END_TEST

START_TEST(one_message_in_three_tcp_segments_is_one_message)
{
	size_t len = strlen(options), cut1 = 20, cut2 = len - 3; /* in the start line, the body */
	int fd;

	open_tp(0, 0);
	fd = client(SOCK_STREAM);
	send_all(fd, options, cut1);
	spin(20);
	send_all(fd, options + cut1, cut2 - cut1);
	spin(20);
	ck_assert_uint_eq(n_seen, 0);
	send_all(fd, options + cut2, len - cut2);
	ck_assert(run_until(&n_seen, 1, 2000));
	ck_assert_uint_eq(seen[0].len, len);
	ck_assert_mem_eq(seen[0].msg, options, len);
	close(fd);
	close_tp();
}
END_TEST

/* RFC 5626 3.5.1: a CRLFCRLF ping gets a CRLF pong; RFC 3261 7.5: CRLFs before a start line
 * are ignored. */
START_TEST(a_crlf_ping_gets_a_pong_and_crlfs_before_a_message_are_skipped)
{
	char buf[64], msg[sizeof(options) + 4];
	int fd;

	open_tp(0, 0);
	fd = client(SOCK_STREAM);
	send_all(fd, "\r\n\r\n", 4);
	ck_assert_int_eq(client_read(fd, buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "\r\n", 2);
	snprintf(msg, sizeof(msg), "\r\n%s", options);
	send_all(fd, msg, strlen(msg));
	ck_assert(run_until(&n_seen, 1, 2000));
	ck_assert_uint_eq(seen[0].len, strlen(options));
	ck_assert_uint_eq(n_seen, 1);
	close(fd);
	close_tp();
}
END_TEST

START_TEST(a_tcp_answer_goes_back_on_the_same_connection)
{
	static const char ok[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	char buf[128];
	int a, b;

	open_tp(0, 0);
	a = client(SOCK_STREAM);
	b = client(SOCK_STREAM);
	send_all(b, options, strlen(options));
	ck_assert(run_until(&n_seen, 1, 2000));
	ck_assert_int_eq(sip_transport_send(&tp, &seen[0].src, (const uint8_t *)ok, strlen(ok)), 0);
	ck_assert_int_eq(client_read(b, buf, sizeof(buf)), (ssize_t)strlen(ok));
	ck_assert_int_eq(recv(a, buf, sizeof(buf), MSG_DONTWAIT), -1);
	/* The peer goes away: its connection is reported and no longer reachable. */
	close(b);
	ck_assert(run_until(&n_closed_conns, 1, 2000));
	ck_assert_uint_eq(last_closed_conn, seen[0].src.conn);
	ck_assert_int_eq(sip_transport_send(&tp, &seen[0].src, (const uint8_t *)ok, strlen(ok)),
			 -ENOTCONN);
	close(a);
	close_tp();
}
END_TEST

/* Our limit: a message that cannot fit in max_msg closes the connection. */
START_TEST(a_tcp_message_over_the_limit_closes_the_connection)
{
	char big[2048], buf[16];
	int fd;

	open_tp(1024, 0);
	fd = client(SOCK_STREAM);
	snprintf(big, sizeof(big), "OPTIONS sip:x SIP/2.0\r\nSubject: ");
	memset(big + strlen(big), 'a', sizeof(big) - strlen(big));
	send_all(fd, big, sizeof(big));
	ck_assert(run_until(&n_closed_conns, 1, 2000));
	/* End of stream, or a reset for the bytes the server left unread. */
	ck_assert_int_le(recv(fd, buf, sizeof(buf), 0), 0);
	ck_assert_uint_eq(n_seen, 0);
	ck_assert_uint_eq(tp.stats.rx_dropped, 1);
	close(fd);
	close_tp();
}
END_TEST

/* RFC 3261 18.3 cannot frame two Content-Lengths: the connection is closed. */
START_TEST(an_unframeable_tcp_message_closes_the_connection)
{
	static const char dup[] = "OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\nl: 5\r\n\r\nhello";
	int fd;

	open_tp(0, 0);
	fd = client(SOCK_STREAM);
	send_all(fd, dup, strlen(dup));
	ck_assert(run_until(&n_closed_conns, 1, 2000));
	ck_assert_uint_eq(n_seen, 0);
	close(fd);
	close_tp();
}
END_TEST

/* Our limit: connections beyond max_conns are closed at once; the others keep working. */
START_TEST(connections_beyond_the_limit_are_closed)
{
	char buf[16];
	int a, b, c;

	open_tp(0, 2);
	a = client(SOCK_STREAM);
	b = client(SOCK_STREAM);
	spin(30);
	c = client(SOCK_STREAM);
	spin(30);
	ck_assert_int_eq(recv(c, buf, sizeof(buf), 0), 0);
	ck_assert_uint_eq(tp.stats.refused, 1);
	ck_assert_uint_eq(tp.n_conns, 2);
	ck_assert_uint_eq(n_closed_conns, 0); /* never a connection of ours */
	send_all(b, options, strlen(options));
	ck_assert(run_until(&n_seen, 1, 2000));
	close(a);
	close(b);
	close(c);
	close_tp();
}
END_TEST

START_TEST(close_releases_everything_with_connections_open)
{
	int a, b;

	open_tp(0, 0);
	a = client(SOCK_STREAM);
	b = client(SOCK_STREAM);
	send_all(a, options, 10); /* half a message in a buffer */
	spin(30);
	ck_assert_uint_eq(tp.n_conns, 2);
	close_tp(); /* asserts on_closed and an empty loop */
	ck_assert_uint_eq(n_closed_conns, 0);
	close(a);
	close(b);
}
END_TEST

START_TEST(bad_addresses_are_refused)
{
	struct sip_transport_config cfg = {.addr = "not-an-ip", .port = 0};

	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(sip_transport_open(&loop, &tp, &cfg, on_msg, NULL, NULL), -EINVAL);
	cfg.addr = "192.0.2.1"; /* not ours */
	ck_assert_int_eq(sip_transport_open(&loop, &tp, &cfg, on_msg, NULL, NULL), -EADDRNOTAVAIL);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sip_transport");
	TCase *tc = tcase_create("sip_transport");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, a_udp_datagram_arrives_with_its_source_and_the_answer_goes_back);
	tcase_add_test(tc, udp_keepalives_and_binary_datagrams_are_not_delivered);
	tcase_add_test(tc, a_udp_datagram_over_the_limit_is_dropped);
	tcase_add_test(tc, two_messages_in_one_tcp_segment_are_two_messages);
	tcase_add_test(tc, one_message_in_three_tcp_segments_is_one_message);
	tcase_add_test(tc, a_crlf_ping_gets_a_pong_and_crlfs_before_a_message_are_skipped);
	tcase_add_test(tc, a_tcp_answer_goes_back_on_the_same_connection);
	tcase_add_test(tc, a_tcp_message_over_the_limit_closes_the_connection);
	tcase_add_test(tc, an_unframeable_tcp_message_closes_the_connection);
	tcase_add_test(tc, connections_beyond_the_limit_are_closed);
	tcase_add_test(tc, close_releases_everything_with_connections_open);
	tcase_add_test(tc, bad_addresses_are_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
