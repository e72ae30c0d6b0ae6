/* Control-socket frames: encoder, incremental decoder (length read through struct cursor),
 * and the blocking client used by hipconf and tests. Not the libuv server (hipd/ctl_server.c). */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"

const char *ctl_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case CTL_EEMPTY:
		return "empty frame (length zero)";
	case CTL_ENOTJSON:
		return "frame is not valid JSON";
	case CTL_ENOTOBJ:
		return "frame is not a JSON object";
	case CTL_ETRUNC:
		return "connection closed inside a frame";
	case CTL_ECLOSED:
		return "connection closed before the reply";
	case -EMSGSIZE:
		return "frame longer than 1 MiB";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* ---- frames ---- */

int ctl_frame_encode(const json_t *msg, uint8_t **buf, size_t *len)
{
	if (!json_is_object(msg))
		return CTL_ENOTOBJ;
	size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT);
	if (n == 0)
		return CTL_ENOTJSON;
	if (n > CTL_MAX_FRAME)
		return -EMSGSIZE;
	uint8_t *out = malloc(CTL_HDR_LEN + n);
	if (!out)
		return -ENOMEM;
	struct wbuf w;
	wbuf_init(&w, out, CTL_HDR_LEN + n);
	wbuf_u32(&w, (uint32_t)n);
	uint8_t *payload;
	wbuf_reserve(&w, n, &payload);
	if (wbuf_error(&w) || json_dumpb(msg, (char *)payload, n, JSON_COMPACT) != n) {
		free(out);
		return -EINVAL;
	}
	*buf = out;
	*len = w.len;
	return 0;
}

void ctl_decoder_init(struct ctl_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

void ctl_decoder_free(struct ctl_decoder *d)
{
	free(d->buf);
	ctl_decoder_init(d);
}

static void decoder_compact(struct ctl_decoder *d)
{
	if (d->off == 0)
		return;
	memmove(d->buf, d->buf + d->off, d->len - d->off);
	d->len -= d->off;
	d->off = 0;
}

static int decoder_reserve(struct ctl_decoder *d, size_t n)
{
	if (d->cap - d->len >= n)
		return 0;
	if (n > SIZE_MAX / 2 - d->len)
		return -ENOMEM;
	size_t cap = d->cap ? d->cap : 4096;
	while (cap - d->len < n)
		cap *= 2;
	uint8_t *b = realloc(d->buf, cap);
	if (!b)
		return -ENOMEM;
	d->buf = b;
	d->cap = cap;
	return 0;
}

int ctl_decoder_feed(struct ctl_decoder *d, const void *data, size_t n)
{
	if (d->err)
		return d->err;
	if (n == 0)
		return 0;
	decoder_compact(d);
	int err = decoder_reserve(d, n);
	if (err)
		return d->err = err;
	memcpy(d->buf + d->len, data, n);
	d->len += n;
	return 0;
}

bool ctl_decoder_pending(const struct ctl_decoder *d)
{
	return d->len > d->off;
}

static int parse_object(const uint8_t *p, size_t n, json_t **out)
{
	json_error_t jerr;
	json_t *v = json_loadb((const char *)p, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		return CTL_ENOTJSON;
	if (!json_is_object(v)) {
		json_decref(v);
		return CTL_ENOTOBJ;
	}
	*out = v;
	return 0;
}

static int decoder_fail(struct ctl_decoder *d, int err)
{
	d->err = err;
	return err;
}

int ctl_decoder_next(struct ctl_decoder *d, json_t **out)
{
	struct cursor c;
	uint32_t n;
	const uint8_t *payload;

	*out = NULL;
	if (d->err)
		return d->err;
	if (d->len - d->off < CTL_HDR_LEN)
		return 0;
	cur_init(&c, d->buf + d->off, d->len - d->off);
	cur_u32(&c, &n);
	if (n == 0)
		return decoder_fail(d, CTL_EEMPTY);
	if (n > CTL_MAX_FRAME)
		return decoder_fail(d, -EMSGSIZE);
	if (cur_view(&c, n, &payload) < 0)
		return 0;
	int err = parse_object(payload, n, out);
	if (err)
		return decoder_fail(d, err);
	d->off += cur_pos(&c);
	return 1;
}

/* ---- blocking client ---- */

struct ctl_client {
	int fd;
	struct ctl_decoder dec;
};

const char *ctl_socket_path(const char *env, const char *fallback)
{
	const char *s = getenv(env);

	return s && *s ? s : fallback;
}

int ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ctl_client_open(const char *path, struct ctl_client **out)
{
	int fd = ctl_connect(path);

	if (fd < 0)
		return fd;
	struct ctl_client *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	ctl_decoder_init(&c->dec);
	*out = c;
	return 0;
}

void ctl_client_close(struct ctl_client *c)
{
	if (!c)
		return;
	close(c->fd);
	ctl_decoder_free(&c->dec);
	free(c);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline (< 0: none); -ETIMEDOUT when it passes. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int wait = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			wait = left > 60000 ? 60000 : (int)left;
		}
		int r = poll(&p, 1, wait);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		int err = wait_fd(fd, POLLOUT, deadline);
		if (err)
			return err;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_reply(struct ctl_client *c, json_t **reply, int64_t deadline)
{
	uint8_t buf[16384];

	for (;;) {
		int r = ctl_decoder_next(&c->dec, reply);
		if (r != 0)
			return r < 0 ? r : 0;
		int err = wait_fd(c->fd, POLLIN, deadline);
		if (err)
			return err;
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return ctl_decoder_pending(&c->dec) ? CTL_ETRUNC : CTL_ECLOSED;
		err = ctl_decoder_feed(&c->dec, buf, (size_t)n);
		if (err)
			return err;
	}
}

int ctl_client_request(struct ctl_client *c, json_t *req, json_t **reply, int timeout_ms)
{
	uint8_t *frame;
	size_t len;

	*reply = NULL;
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int err = ctl_frame_encode(req, &frame, &len);
	if (err)
		return err;
	err = send_all(c->fd, frame, len, deadline);
	free(frame);
	if (!err)
		err = recv_reply(c, reply, deadline);
	if (err == -EPIPE || err == -ECONNRESET)
		err = CTL_ECLOSED;
	return err;
}

int ctl_client_call(const char *path, json_t *req, json_t **reply, int timeout_ms)
{
	struct ctl_client *c;

	*reply = NULL;
	int err = ctl_client_open(path, &c);
	if (err)
		return err;
	err = ctl_client_request(c, req, reply, timeout_ms);
	ctl_client_close(c);
	return err;
}

/* ---- replies ---- */

json_t *ctl_reply_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

json_t *ctl_reply_error(const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	json_t *text = n >= 0 ? json_string(msg) : NULL;
	free(msg);
	if (!text)
		text = json_string("internal error (unprintable message)");
	return json_pack("{s:b,s:o}", "ok", 0, "error", text);
}
