/* Requests from p2psipd to hipd's control socket: an asynchronous one-shot client on libuv and
 * a blocking call for start-up. Not hipd's command set (hipd/hipd_ctl.c). */
#include "p2psipd/link/hipd_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "common/log.h"

/* One request in flight: its pipe, its timer, the frame and the reply being decoded. */
struct hreq {
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_connect_t conn;
	uv_write_t wr;
	uint8_t *frame;
	size_t len;
	struct ctl_decoder dec;
	char what[48];
	char rx[4096];
	int open_handles;
	int done;
	bool quiet;
	hipd_reply_fn cb;
	void *arg;
};

static void hreq_free(uv_handle_t *h)
{
	struct hreq *r = h->data;

	if (--r->open_handles > 0)
		return;
	ctl_decoder_free(&r->dec);
	free(r->frame);
	free(r);
}

static void hreq_finish(struct hreq *r, const char *why)
{
	if (r->done)
		return;
	r->done = 1;
	if (why && r->cb)
		r->cb(r->arg, NULL);
	r->cb = NULL;
	if (why && r->quiet)
		log_debug("hipd %s: %s", r->what, why);
	else if (why)
		log_warn("hipd %s: %s", r->what, why);
	uv_timer_stop(&r->timer);
	uv_close((uv_handle_t *)&r->timer, hreq_free);
	if (!uv_is_closing((uv_handle_t *)&r->pipe))
		uv_close((uv_handle_t *)&r->pipe, hreq_free);
}

static void on_timeout(uv_timer_t *t)
{
	hreq_finish(t->data, "no answer in time");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct hreq *r = h->data;

	(void)suggested;
	buf->base = r->rx;
	buf->len = sizeof(r->rx);
}

static void check_reply(struct hreq *r, json_t *reply)
{
	const char *err = json_string_value(json_object_get(reply, "error"));

	if (json_is_true(json_object_get(reply, "ok")))
		log_debug("hipd %s: ok", r->what);
	else if (r->quiet)
		log_debug("hipd %s: %s", r->what, err ? err : "error");
	else
		log_warn("hipd %s: %s", r->what, err ? err : "error");
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct hreq *r = s->data;
	json_t *reply = NULL;

	if (n < 0) {
		hreq_finish(r, "connection closed before the reply");
		return;
	}
	if (ctl_decoder_feed(&r->dec, buf->base, (size_t)n) < 0) {
		hreq_finish(r, "bad reply");
		return;
	}
	int got = ctl_decoder_next(&r->dec, &reply);
	if (got < 0) {
		hreq_finish(r, "bad reply");
		return;
	}
	if (got == 0)
		return;
	check_reply(r, reply);
	if (r->cb)
		r->cb(r->arg, reply);
	r->cb = NULL;
	json_decref(reply);
	hreq_finish(r, NULL);
}

static void on_write(uv_write_t *w, int status)
{
	struct hreq *r = w->data;

	if (status < 0) {
		hreq_finish(r, uv_strerror(status));
		return;
	}
	if (uv_read_start((uv_stream_t *)&r->pipe, on_alloc, on_read))
		hreq_finish(r, "cannot read");
}

static void on_connect(uv_connect_t *c, int status)
{
	struct hreq *r = c->data;
	uv_buf_t b = uv_buf_init((char *)r->frame, (unsigned)r->len);

	if (status < 0) {
		hreq_finish(r, uv_strerror(status));
		return;
	}
	r->wr.data = r;
	if (uv_write(&r->wr, (uv_stream_t *)&r->pipe, &b, 1, on_write))
		hreq_finish(r, "cannot write");
}

static int start(uv_loop_t *loop, const char *path, json_t *req, const char *what, bool quiet,
		 hipd_reply_fn cb, void *arg)
{
	struct hreq *r = calloc(1, sizeof(*r));
	int err;

	if (!r) {
		json_decref(req);
		return -ENOMEM;
	}
	err = ctl_frame_encode(req, &r->frame, &r->len);
	json_decref(req);
	if (err) {
		free(r);
		return err;
	}
	snprintf(r->what, sizeof(r->what), "%s", what);
	r->quiet = quiet;
	r->cb = cb;
	r->arg = arg;
	ctl_decoder_init(&r->dec);
	uv_pipe_init(loop, &r->pipe, 0);
	uv_timer_init(loop, &r->timer);
	r->pipe.data = r->timer.data = r->conn.data = r;
	r->open_handles = 2;
	uv_timer_start(&r->timer, on_timeout, HIPD_CLIENT_TIMEOUT_MS, 0);
	uv_pipe_connect(&r->conn, &r->pipe, path, on_connect);
	return 0;
}

int hipd_client_send(uv_loop_t *loop, const char *path, json_t *req, const char *what, bool quiet)
{
	return start(loop, path, req, what, quiet, NULL, NULL);
}

int hipd_client_ask(uv_loop_t *loop, const char *path, json_t *req, const char *what,
		    hipd_reply_fn cb, void *arg)
{
	return start(loop, path, req, what, false, cb, arg);
}

int hipd_client_call(const char *path, json_t *req, json_t **reply)
{
	int err = ctl_client_call(path, req, reply, HIPD_CLIENT_TIMEOUT_MS);

	if (err) {
		*reply = NULL;
		return err;
	}
	if (!json_is_true(json_object_get(*reply, "ok")))
		return -EPROTO;
	return 0;
}
