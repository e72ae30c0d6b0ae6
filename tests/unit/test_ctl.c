/* Unit tests for the control socket: frame encoding/decoding (common/ctl.c) and the libuv server
 * (hipd/ctl_server.c) with real clients over a temporary Unix socket. Not a test of hipd's
 * commands. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "common/ctl_server.h"

/* ---- helpers ---- */

static void set_sun_path(struct sockaddr_un *sa, const char *path)
{
	ck_assert_uint_lt(strlen(path), sizeof(sa->sun_path));
	memcpy(sa->sun_path, path, strlen(path) + 1);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Decodes one raw frame: header with length n then the payload text. */
static int decode_raw(uint32_t n, const char *payload, size_t plen, json_t **out)
{
	struct ctl_decoder d;
	uint8_t hdr[4];

	put_be32(hdr, n);
	ctl_decoder_init(&d);
	ctl_decoder_feed(&d, hdr, 4);
	ctl_decoder_feed(&d, payload, plen);
	int r = ctl_decoder_next(&d, out);
	ctl_decoder_free(&d);
	return r;
}

static int decode_text(const char *payload, json_t **out)
{
	return decode_raw((uint32_t)strlen(payload), payload, strlen(payload), out);
}

/* ---- frames ---- */

START_TEST(frame_round_trip_gives_an_equal_object)
{
	json_t *msg = json_pack("{s:s,s:s,s:[i,b,n],s:{s:f}}", "cmd", "add-map", "hit",
				"2001:2a::1", "list", 1, 1, "obj", "x", 1.5);
	uint8_t *buf;
	size_t len;
	json_t *out;
	struct ctl_decoder d;

	ck_assert_int_eq(ctl_frame_encode(msg, &buf, &len), 0);
	ck_assert_uint_gt(len, 4);
	ck_assert_uint_eq(((uint32_t)buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3]), len - 4);
	ctl_decoder_init(&d);
	ck_assert_int_eq(ctl_decoder_feed(&d, buf, len), 0);
	ck_assert_int_eq(ctl_decoder_next(&d, &out), 1);
	ck_assert(json_equal(msg, out));
	json_decref(out);
	ck_assert_int_eq(ctl_decoder_next(&d, &out), 0);
	ck_assert_ptr_null(out);
	ck_assert(!ctl_decoder_pending(&d));
	ctl_decoder_free(&d);
	json_decref(msg);
	free(buf);
}
END_TEST

START_TEST(encoder_refuses_a_non_object)
{
	json_t *arr = json_pack("[i]", 1);
	uint8_t *buf = NULL;
	size_t len;

	ck_assert_int_eq(ctl_frame_encode(arr, &buf, &len), CTL_ENOTOBJ);
	ck_assert_ptr_null(buf);
	json_decref(arr);
}
END_TEST

START_TEST(length_over_one_mib_is_emsgsize)
{
	json_t *out = NULL;

	ck_assert_int_eq(decode_raw(CTL_MAX_FRAME + 1, "", 0, &out), -EMSGSIZE);
	ck_assert_int_eq(decode_raw(0xffffffffu, "{}", 2, &out), -EMSGSIZE);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(frame_of_exactly_one_mib_is_accepted)
{
	size_t n = CTL_MAX_FRAME;
	char *p = malloc(n);
	json_t *out = NULL;

	memset(p, 'x', n);
	memcpy(p, "{\"a\":\"", 6);
	memcpy(p + n - 2, "\"}", 2);
	ck_assert_int_eq(decode_raw((uint32_t)n, p, n, &out), 1);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(out, "a"))), n - 8);
	json_decref(out);
	free(p);
}
END_TEST

START_TEST(encoder_refuses_a_reply_over_one_mib)
{
	char *s = malloc(CTL_MAX_FRAME + 1);
	uint8_t *buf = NULL;
	size_t len;

	memset(s, 'y', CTL_MAX_FRAME);
	s[CTL_MAX_FRAME] = '\0';
	json_t *msg = json_pack("{s:s}", "a", s);
	ck_assert_int_eq(ctl_frame_encode(msg, &buf, &len), -EMSGSIZE);
	json_decref(msg);
	free(s);
}
END_TEST

START_TEST(zero_length_frame_is_eempty)
{
	json_t *out = NULL;

	ck_assert_int_eq(decode_raw(0, "", 0, &out), CTL_EEMPTY);
}
END_TEST

START_TEST(truncated_frame_waits_and_is_pending)
{
	struct ctl_decoder d;
	uint8_t hdr[4];
	json_t *out;

	put_be32(hdr, 10);
	ctl_decoder_init(&d);
	ck_assert_int_eq(ctl_decoder_next(&d, &out), 0);
	ck_assert(!ctl_decoder_pending(&d));
	ctl_decoder_feed(&d, hdr, 3);
	ck_assert_int_eq(ctl_decoder_next(&d, &out), 0);
	ctl_decoder_feed(&d, hdr + 3, 1);
	ctl_decoder_feed(&d, "{\"a\":", 5);
	ck_assert_int_eq(ctl_decoder_next(&d, &out), 0);
	ck_assert(ctl_decoder_pending(&d));
	ctl_decoder_free(&d);
}
END_TEST

START_TEST(payload_that_is_not_json_is_enotjson)
{
	json_t *out = NULL;

	ck_assert_int_eq(decode_text("hello", &out), CTL_ENOTJSON);
	ck_assert_int_eq(decode_text("{\"cmd\":", &out), CTL_ENOTJSON);
	ck_assert_int_eq(decode_text("{} {}", &out), CTL_ENOTJSON); /* one object per frame */
	ck_assert_int_eq(decode_text("{\"a\":1,\"a\":2}", &out), CTL_ENOTJSON);
	ck_assert_int_eq(decode_text("{\"a\":\"\xff\xfe\"}", &out), CTL_ENOTJSON); /* not UTF-8 */
	ck_assert_int_eq(decode_raw(9, "{\"a\":\"\0\"}", 9, &out), CTL_ENOTJSON);
	ck_assert_int_eq(decode_text("{\"a\":\"\\u0000\"}", &out), CTL_ENOTJSON);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(json_that_is_not_an_object_is_enotobj)
{
	json_t *out = NULL;

	ck_assert_int_eq(decode_text("[{\"cmd\":\"get-map\"}]", &out), CTL_ENOTOBJ);
	ck_assert_int_eq(decode_text("42", &out), CTL_ENOTOBJ);
	ck_assert_int_eq(decode_text("\"cmd\"", &out), CTL_ENOTOBJ);
	ck_assert_int_eq(decode_text("null", &out), CTL_ENOTOBJ);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(decoder_stays_failed_after_an_error)
{
	struct ctl_decoder d;
	uint8_t zero[4] = {0};
	uint8_t *buf;
	size_t len;
	json_t *out, *msg = json_pack("{s:s}", "cmd", "get-map");

	ctl_frame_encode(msg, &buf, &len);
	ctl_decoder_init(&d);
	ctl_decoder_feed(&d, zero, 4);
	ck_assert_int_eq(ctl_decoder_next(&d, &out), CTL_EEMPTY);
	ck_assert_int_eq(ctl_decoder_feed(&d, buf, len), CTL_EEMPTY);
	ck_assert_int_eq(ctl_decoder_next(&d, &out), CTL_EEMPTY);
	ctl_decoder_free(&d);
	free(buf);
	json_decref(msg);
}
END_TEST

START_TEST(decoder_fed_one_byte_at_a_time_yields_each_frame_once)
{
	const char *cmds[] = {"get-map", "get-status", "get-hi"};
	uint8_t all[512];
	size_t total = 0, ends[3];
	struct ctl_decoder d;
	json_t *out;
	int got = 0;

	for (int i = 0; i < 3; i++) {
		uint8_t *buf;
		size_t len;
		json_t *m = json_pack("{s:s,s:i}", "cmd", cmds[i], "n", i);
		ck_assert_int_eq(ctl_frame_encode(m, &buf, &len), 0);
		memcpy(all + total, buf, len);
		total += len;
		ends[i] = total;
		free(buf);
		json_decref(m);
	}
	ctl_decoder_init(&d);
	for (size_t i = 0; i < total; i++) {
		ck_assert_int_eq(ctl_decoder_feed(&d, all + i, 1), 0);
		int r = ctl_decoder_next(&d, &out);
		if (i + 1 != ends[got]) {
			ck_assert_int_eq(r, 0);
			continue;
		}
		ck_assert_int_eq(r, 1);
		ck_assert_str_eq(json_string_value(json_object_get(out, "cmd")), cmds[got]);
		json_decref(out);
		got++;
	}
	ck_assert_int_eq(got, 3);
	ck_assert(!ctl_decoder_pending(&d));
	ctl_decoder_free(&d);
}
END_TEST

START_TEST(strerror_names_own_codes_and_errno)
{
	ck_assert_str_eq(ctl_strerror(CTL_ENOTOBJ), "frame is not a JSON object");
	ck_assert_str_eq(ctl_strerror(-ENOENT), strerror(ENOENT));
}
END_TEST

/* ---- server fixture: a ctl_server on its own loop in a thread ---- */

struct fixture {
	char dir[64];
	char path[128];
	uv_loop_t loop;
	uv_async_t stop;
	struct ctl_server *srv;
	pthread_t thread;
};

static json_t *cmd_echo(json_t *req, void *arg)
{
	(void)arg;
	return json_pack("{s:b,s:O}", "ok", 1, "echo", req);
}

static json_t *cmd_null(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return NULL;
}

/* "later": a deferred reply, sent by a timer 50 ms after the request. */
static struct fixture *later_fixture;
static uv_timer_t later_timer;

static void on_later_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_later(uv_timer_t *t)
{
	ctl_deferred_reply(t->data, json_pack("{s:b,s:b}", "ok", 1, "later", 1));
	uv_close((uv_handle_t *)t, on_later_closed);
}

static json_t *cmd_later(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	struct ctl_deferred *d = ctl_server_defer(later_fixture->srv);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(ctl_server_defer(later_fixture->srv)); /* one per request */
	uv_timer_init(&later_fixture->loop, &later_timer);
	later_timer.data = d;
	uv_timer_start(&later_timer, on_later, 50, 0);
	return NULL;
}

static const struct ctl_command test_commands[] = {
    {"echo", cmd_echo},
    {"null", cmd_null},
    {"later", cmd_later},
    {NULL, NULL},
};

static json_t *test_handler(json_t *req, void *arg)
{
	return ctl_dispatch(test_commands, req, arg);
}

static void on_stop(uv_async_t *a)
{
	struct fixture *f = a->data;

	ctl_server_close(f->srv);
	uv_close((uv_handle_t *)a, NULL);
}

static void *loop_thread(void *arg)
{
	struct fixture *f = arg;

	uv_run(&f->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void fixture_start(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/run/hipd/hipd.sock", f->dir);
	ck_assert_int_eq(uv_loop_init(&f->loop), 0);
	ck_assert_int_eq(uv_async_init(&f->loop, &f->stop, on_stop), 0);
	f->stop.data = f;
	ck_assert_int_eq(ctl_server_start(&f->loop, f->path, test_handler, NULL, &f->srv), 0);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, loop_thread, f), 0);
}

static void remove_tree(const char *dir)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/run/hipd", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/run", dir);
	rmdir(p);
	rmdir(dir);
}

/* Stops the server from outside its loop; the loop must then have nothing left open. */
static void fixture_stop(struct fixture *f)
{
	uv_async_send(&f->stop);
	pthread_join(f->thread, NULL);
	ck_assert_int_eq(uv_loop_close(&f->loop), 0);
	ck_assert_int_eq(access(f->path, F_OK), -1);
	remove_tree(f->dir);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	set_sun_path(&sa, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void raw_send(int fd, const void *p, size_t n)
{
	ck_assert_int_eq(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads one reply frame; CTL_ECLOSED at a clean EOF. */
static int raw_read_reply(int fd, json_t **out)
{
	struct ctl_decoder d;
	uint8_t b[4096];
	int r;

	ctl_decoder_init(&d);
	while ((r = ctl_decoder_next(&d, out)) == 0) {
		ssize_t n = read(fd, b, sizeof(b));
		if (n <= 0) {
			r = CTL_ECLOSED;
			break;
		}
		ctl_decoder_feed(&d, b, (size_t)n);
	}
	ctl_decoder_free(&d);
	return r < 0 ? r : 0;
}

/* Reads n reply frames with one decoder (several may come in one read). */
static void read_replies(int fd, json_t **replies, int n)
{
	struct ctl_decoder d;
	uint8_t b[4096];

	ctl_decoder_init(&d);
	for (int i = 0; i < n; i++) {
		while (ctl_decoder_next(&d, &replies[i]) == 0) {
			ssize_t r = read(fd, b, sizeof(b));
			ck_assert_int_gt(r, 0);
			ctl_decoder_feed(&d, b, (size_t)r);
		}
	}
	ctl_decoder_free(&d);
}

static const char *reply_error(json_t *reply)
{
	ck_assert(json_is_false(json_object_get(reply, "ok")));
	return json_string_value(json_object_get(reply, "error"));
}

static json_t *call(const char *path, json_t *req)
{
	json_t *reply = NULL;

	ck_assert_int_eq(ctl_client_call(path, req, &reply, 5000), 0);
	json_decref(req);
	return reply;
}

/* ---- server ---- */

START_TEST(client_call_gets_the_handler_reply)
{
	struct fixture f;

	fixture_start(&f);
	json_t *reply = call(f.path, json_pack("{s:s,s:i}", "cmd", "echo", "x", 7));
	ck_assert(json_is_true(json_object_get(reply, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(reply, "echo"), "x")),
			 7);
	json_decref(reply);
	fixture_stop(&f);
}
END_TEST

START_TEST(unknown_command_is_named_in_the_error)
{
	struct fixture f;

	fixture_start(&f);
	json_t *reply = call(f.path, json_pack("{s:s}", "cmd", "frobnicate"));
	ck_assert_str_eq(reply_error(reply), "unknown command \"frobnicate\"");
	json_decref(reply);
	fixture_stop(&f);
}
END_TEST

START_TEST(request_without_string_cmd_is_refused_before_the_handler)
{
	struct fixture f;

	fixture_start(&f);
	json_t *reply = call(f.path, json_pack("{s:s}", "command", "echo"));
	ck_assert_str_eq(reply_error(reply), "request has no string \"cmd\"");
	json_decref(reply);
	reply = call(f.path, json_pack("{s:i}", "cmd", 3));
	ck_assert_str_eq(reply_error(reply), "request has no string \"cmd\"");
	json_decref(reply);
	fixture_stop(&f);
}
END_TEST

START_TEST(handler_returning_null_gives_internal_error)
{
	struct fixture f;

	fixture_start(&f);
	json_t *reply = call(f.path, json_pack("{s:s}", "cmd", "null"));
	ck_assert_str_eq(reply_error(reply), "internal error");
	json_decref(reply);
	fixture_stop(&f);
}
END_TEST

START_TEST(several_requests_in_sequence_on_one_connection)
{
	struct fixture f;
	struct ctl_client *c;
	json_t *reply;

	fixture_start(&f);
	ck_assert_int_eq(ctl_client_open(f.path, &c), 0);
	for (int i = 0; i < 5; i++) {
		json_t *req = json_pack("{s:s,s:i}", "cmd", i == 2 ? "nope" : "echo", "i", i);
		ck_assert_int_eq(ctl_client_request(c, req, &reply, 5000), 0);
		ck_assert(json_is_boolean(json_object_get(reply, "ok")));
		ck_assert(json_is_true(json_object_get(reply, "ok")) == (i != 2));
		json_decref(reply);
		json_decref(req);
	}
	ctl_client_close(c);
	fixture_stop(&f);
}
END_TEST

START_TEST(frame_written_one_byte_at_a_time_is_answered)
{
	struct fixture f;
	uint8_t *buf;
	size_t len;
	json_t *reply, *req = json_pack("{s:s,s:s}", "cmd", "echo", "pad", "slowly");

	fixture_start(&f);
	ctl_frame_encode(req, &buf, &len);
	int fd = raw_connect(f.path);
	for (size_t i = 0; i < len; i++) {
		raw_send(fd, buf + i, 1);
		usleep(1000);
	}
	ck_assert_int_eq(raw_read_reply(fd, &reply), 0);
	ck_assert(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	close(fd);
	free(buf);
	json_decref(req);
	fixture_stop(&f);
}
END_TEST

START_TEST(pipelined_frames_in_one_write_get_replies_in_order)
{
	struct fixture f;
	uint8_t all[1024];
	size_t total = 0;
	json_t *replies[4];

	fixture_start(&f);
	for (int i = 0; i < 4; i++) {
		uint8_t *buf;
		size_t len;
		json_t *req = json_pack("{s:s,s:i}", "cmd", "echo", "i", i);
		ctl_frame_encode(req, &buf, &len);
		memcpy(all + total, buf, len);
		total += len;
		free(buf);
		json_decref(req);
	}
	int fd = raw_connect(f.path);
	raw_send(fd, all, total);
	read_replies(fd, replies, 4);
	for (int i = 0; i < 4; i++) {
		json_t *echo = json_object_get(replies[i], "echo");
		ck_assert_int_eq(json_integer_value(json_object_get(echo, "i")), i);
		json_decref(replies[i]);
	}
	close(fd);
	fixture_stop(&f);
}
END_TEST

START_TEST(deferred_reply_comes_first_and_later_requests_wait_for_it)
{
	struct fixture f;
	json_t *replies[2];

	later_fixture = &f;
	fixture_start(&f);
	int fd = raw_connect(f.path);
	const char *cmds[] = {"later", "echo"};
	for (int i = 0; i < 2; i++) {
		uint8_t *buf;
		size_t len;
		json_t *req = json_pack("{s:s}", "cmd", cmds[i]);
		ctl_frame_encode(req, &buf, &len);
		raw_send(fd, buf, len);
		free(buf);
		json_decref(req);
	}
	read_replies(fd, replies, 2);
	ck_assert(json_is_true(json_object_get(replies[0], "later")));
	ck_assert_ptr_nonnull(json_object_get(replies[1], "echo"));
	json_decref(replies[0]);
	json_decref(replies[1]);
	close(fd);
	fixture_stop(&f);
}
END_TEST

START_TEST(deferred_reply_to_a_client_that_left_is_dropped)
{
	struct fixture f;

	later_fixture = &f;
	fixture_start(&f);
	int fd = raw_connect(f.path);
	uint8_t *buf;
	size_t len;
	json_t *req = json_pack("{s:s}", "cmd", "later");
	ctl_frame_encode(req, &buf, &len);
	raw_send(fd, buf, len);
	free(buf);
	json_decref(req);
	usleep(10 * 1000);
	close(fd);
	usleep(150 * 1000); /* the timer answers the departed client */
	json_t *reply = call(f.path, json_pack("{s:s}", "cmd", "echo"));
	ck_assert(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	fixture_stop(&f);
}
END_TEST

/* A bad frame is answered with {ok:false} naming the problem, then the client is closed. */
static void expect_bad_frame_reply(const char *path, const void *frame, size_t len, int err)
{
	json_t *reply;
	char want[128];
	int fd = raw_connect(path);

	raw_send(fd, frame, len);
	ck_assert_int_eq(raw_read_reply(fd, &reply), 0);
	snprintf(want, sizeof(want), "bad frame: %s", ctl_strerror(err));
	ck_assert_str_eq(reply_error(reply), want);
	json_decref(reply);
	ck_assert_int_eq(raw_read_reply(fd, &reply), CTL_ECLOSED);
	close(fd);
}

START_TEST(bad_frames_get_an_error_reply_and_the_client_is_closed)
{
	struct fixture f;
	uint8_t big[4] = {0x00, 0x10, 0x00, 0x01}, zero[4] = {0};
	uint8_t notjson[9] = {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
	uint8_t array[6] = {0, 0, 0, 2, '[', ']'};

	fixture_start(&f);
	expect_bad_frame_reply(f.path, big, sizeof(big), -EMSGSIZE);
	expect_bad_frame_reply(f.path, zero, sizeof(zero), CTL_EEMPTY);
	expect_bad_frame_reply(f.path, notjson, sizeof(notjson), CTL_ENOTJSON);
	expect_bad_frame_reply(f.path, array, sizeof(array), CTL_ENOTOBJ);
	/* and the server still serves */
	json_t *reply = call(f.path, json_pack("{s:s}", "cmd", "echo"));
	ck_assert(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	fixture_stop(&f);
}
END_TEST

START_TEST(client_leaving_mid_frame_does_not_disturb_the_server)
{
	struct fixture f;
	uint8_t part[6] = {0, 0, 0, 50, '{', '"'};

	fixture_start(&f);
	int fd = raw_connect(f.path);
	raw_send(fd, part, sizeof(part));
	close(fd);
	json_t *reply = call(f.path, json_pack("{s:s}", "cmd", "echo"));
	ck_assert(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	fixture_stop(&f);
}
END_TEST

START_TEST(many_clients_at_once_are_each_answered)
{
	enum { N = 40 };
	struct fixture f;
	struct ctl_client *c[N];
	json_t *reply;

	fixture_start(&f);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(ctl_client_open(f.path, &c[i]), 0);
	for (int i = N - 1; i >= 0; i--) {
		json_t *req = json_pack("{s:s,s:i}", "cmd", "echo", "i", i);
		ck_assert_int_eq(ctl_client_request(c[i], req, &reply, 5000), 0);
		ck_assert_int_eq(
		    json_integer_value(json_object_get(json_object_get(reply, "echo"), "i")), i);
		json_decref(reply);
		json_decref(req);
	}
	for (int i = 0; i < N; i++)
		ctl_client_close(c[i]);
	fixture_stop(&f);
}
END_TEST

START_TEST(socket_is_mode_0660_in_a_created_0755_directory)
{
	struct fixture f;
	struct stat st;
	char dir[160];

	fixture_start(&f);
	ck_assert_int_eq(stat(f.path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	snprintf(dir, sizeof(dir), "%s/run/hipd", f.dir);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	fixture_stop(&f);
}
END_TEST

START_TEST(close_with_clients_connected_frees_everything_and_unlinks)
{
	struct fixture f;
	struct ctl_client *c1, *c2;
	json_t *reply;

	fixture_start(&f);
	ck_assert_int_eq(ctl_client_open(f.path, &c1), 0);
	ck_assert_int_eq(ctl_client_open(f.path, &c2), 0);
	json_t *req = json_pack("{s:s}", "cmd", "echo");
	ck_assert_int_eq(ctl_client_request(c1, req, &reply, 5000), 0);
	json_decref(reply);
	fixture_stop(&f); /* asserts uv_loop_close() == 0 and the socket is gone */
	ck_assert_int_eq(ctl_client_request(c2, req, &reply, 5000), CTL_ECLOSED);
	ck_assert_int_eq(ctl_client_call(f.path, req, &reply, 1000), -ENOENT);
	json_decref(req);
	ctl_client_close(c1);
	ctl_client_close(c2);
}
END_TEST

/* A socket file nobody listens on (a crashed daemon's leftover). */
static void make_stale_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	set_sun_path(&sa, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

START_TEST(stale_socket_is_removed_and_replaced)
{
	char dir[] = "/tmp/test_ctl.XXXXXX", path[128];
	uv_loop_t loop;
	struct ctl_server *s;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hipd.sock", dir);
	make_stale_socket(path);
	ck_assert_int_eq(access(path, F_OK), 0);
	uv_loop_init(&loop);
	ck_assert_int_eq(ctl_server_start(&loop, path, test_handler, NULL, &s), 0);
	ctl_server_close(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	rmdir(dir);
}
END_TEST

START_TEST(start_refuses_when_another_daemon_answers)
{
	struct fixture f;
	uv_loop_t loop2;
	struct ctl_server *s2 = NULL;

	fixture_start(&f);
	uv_loop_init(&loop2);
	ck_assert_int_eq(ctl_server_start(&loop2, f.path, test_handler, NULL, &s2), -EADDRINUSE);
	ck_assert_int_eq(uv_loop_close(&loop2), 0);
	json_t *reply = call(f.path, json_pack("{s:s}", "cmd", "echo"));
	ck_assert(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	fixture_stop(&f);
}
END_TEST

START_TEST(start_refuses_to_remove_a_file_that_is_not_a_socket)
{
	char dir[] = "/tmp/test_ctl.XXXXXX", path[128];
	uv_loop_t loop;
	struct ctl_server *s = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hipd.sock", dir);
	FILE *fp = fopen(path, "w");
	fputs("keep me", fp);
	fclose(fp);
	uv_loop_init(&loop);
	ck_assert_int_eq(ctl_server_start(&loop, path, test_handler, NULL, &s), -EEXIST);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---- client against a raw peer ---- */

struct raw_peer {
	int lfd;
	const uint8_t *answer;
	size_t answer_len;
};

static void *raw_peer_thread(void *arg)
{
	struct raw_peer *p = arg;
	uint8_t b[4096];
	int fd = accept(p->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (read(fd, b, sizeof(b)) > 0 && p->answer_len > 0)
		(void)!write(fd, p->answer, p->answer_len);
	if (p->answer_len == 0)
		usleep(500 * 1000); /* never answers */
	close(fd);
	return NULL;
}

static int raw_peer_call(const uint8_t *answer, size_t len, int timeout_ms)
{
	char dir[] = "/tmp/test_ctl.XXXXXX", path[128];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct raw_peer p = {.answer = answer, .answer_len = len};
	pthread_t th;
	json_t *reply = NULL, *req = json_pack("{s:s}", "cmd", "get-status");

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	set_sun_path(&sa, path);
	p.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(p.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(p.lfd, 1), 0);
	pthread_create(&th, NULL, raw_peer_thread, &p);
	int r = ctl_client_call(path, req, &reply, timeout_ms);
	pthread_join(th, NULL);
	close(p.lfd);
	unlink(path);
	rmdir(dir);
	json_decref(req);
	ck_assert_ptr_null(reply);
	return r;
}

START_TEST(client_reports_truncated_and_bad_replies)
{
	uint8_t trunc[] = {0, 0, 0, 20, '{', '"', 'o', 'k'};
	uint8_t notobj[] = {0, 0, 0, 2, '[', ']'};

	ck_assert_int_eq(raw_peer_call(trunc, sizeof(trunc), 5000), CTL_ETRUNC);
	ck_assert_int_eq(raw_peer_call(notobj, sizeof(notobj), 5000), CTL_ENOTOBJ);
	ck_assert_int_eq(raw_peer_call((const uint8_t *)"", 0, 100), -ETIMEDOUT);
}
END_TEST

START_TEST(client_connect_errors_are_errno)
{
	json_t *reply, *req = json_pack("{s:s}", "cmd", "get-status");
	char longpath[200];

	ck_assert_int_eq(ctl_client_call("/nonexistent/hipd.sock", req, &reply, 100), -ENOENT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(ctl_client_call(longpath, req, &reply, 100), -ENAMETOOLONG);
	json_decref(req);
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *frames = tcase_create("frames");
	TCase *server = tcase_create("server");

	tcase_add_test(frames, frame_round_trip_gives_an_equal_object);
	tcase_add_test(frames, encoder_refuses_a_non_object);
	tcase_add_test(frames, length_over_one_mib_is_emsgsize);
	tcase_add_test(frames, frame_of_exactly_one_mib_is_accepted);
	tcase_add_test(frames, encoder_refuses_a_reply_over_one_mib);
	tcase_add_test(frames, zero_length_frame_is_eempty);
	tcase_add_test(frames, truncated_frame_waits_and_is_pending);
	tcase_add_test(frames, payload_that_is_not_json_is_enotjson);
	tcase_add_test(frames, json_that_is_not_an_object_is_enotobj);
	tcase_add_test(frames, decoder_stays_failed_after_an_error);
	tcase_add_test(frames, decoder_fed_one_byte_at_a_time_yields_each_frame_once);
	tcase_add_test(frames, strerror_names_own_codes_and_errno);
	suite_add_tcase(s, frames);

	tcase_set_timeout(server, 30);
	tcase_add_test(server, client_call_gets_the_handler_reply);
	tcase_add_test(server, unknown_command_is_named_in_the_error);
	tcase_add_test(server, request_without_string_cmd_is_refused_before_the_handler);
	tcase_add_test(server, handler_returning_null_gives_internal_error);
	tcase_add_test(server, several_requests_in_sequence_on_one_connection);
	tcase_add_test(server, frame_written_one_byte_at_a_time_is_answered);
	tcase_add_test(server, pipelined_frames_in_one_write_get_replies_in_order);
	tcase_add_test(server, deferred_reply_comes_first_and_later_requests_wait_for_it);
	tcase_add_test(server, deferred_reply_to_a_client_that_left_is_dropped);
	tcase_add_test(server, bad_frames_get_an_error_reply_and_the_client_is_closed);
	tcase_add_test(server, client_leaving_mid_frame_does_not_disturb_the_server);
	tcase_add_test(server, many_clients_at_once_are_each_answered);
	tcase_add_test(server, socket_is_mode_0660_in_a_created_0755_directory);
	tcase_add_test(server, close_with_clients_connected_frees_everything_and_unlinks);
	tcase_add_test(server, stale_socket_is_removed_and_replaced);
	tcase_add_test(server, start_refuses_when_another_daemon_answers);
	tcase_add_test(server, start_refuses_to_remove_a_file_that_is_not_a_socket);
	tcase_add_test(server, client_reports_truncated_and_bad_replies);
	tcase_add_test(server, client_connect_errors_are_errno);
	suite_add_tcase(s, server);
	return s;
}

int main(void)
{
	log_init("test_ctl", HLOG_ERR, false);
	signal(SIGPIPE, SIG_IGN); /* as hipd does: a departed client gives EPIPE */
	SRunner *sr = srunner_create(ctl_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
