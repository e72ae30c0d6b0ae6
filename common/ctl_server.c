/* The control-socket server: a libuv pipe listener, one decoder per client, replies in order.
 * It knows no commands (the handler does) and never exits the daemon on a client's mistake. */
#include "ctl_server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#define CTL_MAX_CLIENTS	    128
#define CTL_MAX_WRITE_QUEUE (4u << 20) /* a client that does not read its replies is dropped */
#define CTL_READ_BUF	    16384

struct ctl_conn {
	uv_pipe_t pipe;
	struct ctl_server *srv;
	struct ctl_decoder dec;
	struct ctl_conn *prev, *next;
	struct ctl_deferred *deferred; /* a reply owed before the next request */
	bool closing;
	char rbuf[CTL_READ_BUF];
};

struct ctl_server {
	uv_loop_t *loop;
	uv_pipe_t listener;
	char *path;
	ctl_handler_fn fn;
	void *arg;
	struct ctl_conn *conns;
	unsigned nconns;
	unsigned handles;	  /* open uv handles: the listener and every client */
	struct ctl_conn *current; /* the client whose request the handler runs for */
	bool closing;
};

struct ctl_deferred {
	struct ctl_conn *conn; /* NULL once the client has gone */
};

struct ctl_write {
	uv_write_t req;
	struct ctl_conn *conn;
	uint8_t *frame;
	bool close_after;
};

/* ---- lifetime ---- */

static void server_unref(struct ctl_server *s)
{
	if (--s->handles > 0)
		return;
	free(s->path);
	free(s);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;
	struct ctl_server *s = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	ctl_decoder_free(&c->dec);
	free(c);
	server_unref(s);
}

static void conn_close(struct ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->deferred)
		c->deferred->conn = NULL;
	c->deferred = NULL;
	uv_read_stop((uv_stream_t *)&c->pipe);
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void on_listener_closed(uv_handle_t *h)
{
	server_unref(h->data);
}

/* ---- replies ---- */

static void on_written(uv_write_t *req, int status)
{
	struct ctl_write *w = (struct ctl_write *)req;

	if (status < 0 && status != UV_ECANCELED)
		log_debug("ctl: write to client failed: %s", uv_strerror(status));
	if (status < 0 || w->close_after)
		conn_close(w->conn);
	free(w->frame);
	free(w);
}

static int conn_send(struct ctl_conn *c, json_t *reply, bool close_after)
{
	struct ctl_write *w = calloc(1, sizeof(*w));
	size_t len;

	if (!w)
		return -ENOMEM;
	int err = ctl_frame_encode(reply, &w->frame, &len);
	if (err) {
		free(w);
		return err;
	}
	w->conn = c;
	w->close_after = close_after;
	uv_buf_t b = uv_buf_init((char *)w->frame, (unsigned)len);
	err = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written);
	if (err) {
		free(w->frame);
		free(w);
	}
	return err;
}

/* Sends reply (stealing the reference); a reply that cannot be encoded becomes an error reply. */
static void conn_reply(struct ctl_conn *c, json_t *reply, bool close_after)
{
	int err = reply ? conn_send(c, reply, close_after) : -ENOMEM;
	json_decref(reply);
	if (err == -EMSGSIZE || err == CTL_ENOTOBJ || err == CTL_ENOTJSON) {
		json_t *e =
		    ctl_reply_error("internal error: reply cannot be sent (%s)", ctl_strerror(err));
		err = e ? conn_send(c, e, close_after) : -ENOMEM;
		json_decref(e);
	}
	if (err) {
		log_warn("ctl: cannot reply to client: %s", ctl_strerror(err));
		conn_close(c);
	}
}

/* ---- requests ---- */

static json_t *call_handler(struct ctl_conn *c, json_t *req)
{
	struct ctl_server *s = c->srv;

	if (!json_is_string(json_object_get(req, "cmd")))
		return ctl_reply_error("request has no string \"cmd\"");
	s->current = c;
	json_t *reply = s->fn(req, s->arg);
	s->current = NULL;
	if (c->deferred) {
		json_decref(reply);
		return NULL;
	}
	if (!reply)
		return ctl_reply_error("internal error");
	if (!json_is_object(reply)) {
		json_decref(reply);
		return ctl_reply_error("internal error: handler reply is not an object");
	}
	return reply;
}

static void conn_bad_frame(struct ctl_conn *c, int err)
{
	log_warn("ctl: dropping client after a bad frame: %s", ctl_strerror(err));
	uv_read_stop((uv_stream_t *)&c->pipe);
	conn_reply(c, ctl_reply_error("bad frame: %s", ctl_strerror(err)), true);
}

static void conn_process(struct ctl_conn *c)
{
	json_t *req;
	int r = 0;

	while (!c->closing && !c->deferred && (r = ctl_decoder_next(&c->dec, &req)) > 0) {
		json_t *reply = call_handler(c, req);
		json_decref(req);
		if (reply)
			conn_reply(c, reply, false);
	}
	if (!c->closing && r < 0)
		conn_bad_frame(c, r);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_conn *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_conn *c = stream->data;

	(void)buf;
	if (nread == 0)
		return;
	if (nread < 0) {
		if (nread != UV_EOF)
			log_debug("ctl: client read failed: %s", uv_strerror((int)nread));
		else if (ctl_decoder_pending(&c->dec))
			log_debug("ctl: client left inside a frame");
		conn_close(c);
		return;
	}
	int err = ctl_decoder_feed(&c->dec, c->rbuf, (size_t)nread);
	if (err) {
		conn_bad_frame(c, err);
		return;
	}
	conn_process(c);
	if (!c->closing && uv_stream_get_write_queue_size(stream) > CTL_MAX_WRITE_QUEUE) {
		log_warn("ctl: dropping a client that does not read its replies");
		conn_close(c);
	}
}

struct ctl_deferred *ctl_server_defer(struct ctl_server *s)
{
	struct ctl_conn *c = s ? s->current : NULL;

	if (!c || c->deferred)
		return NULL;
	struct ctl_deferred *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->conn = c;
	c->deferred = d;
	/* nothing more is read meanwhile, so a client cannot pile up requests */
	uv_read_stop((uv_stream_t *)&c->pipe);
	return d;
}

void ctl_deferred_reply(struct ctl_deferred *d, json_t *reply)
{
	if (!d) {
		json_decref(reply);
		return;
	}
	struct ctl_conn *c = d->conn;
	free(d);
	if (!c) {
		json_decref(reply);
		return;
	}
	c->deferred = NULL;
	conn_reply(c, reply ? reply : ctl_reply_error("internal error"), false);
	conn_process(c); /* requests that were already read */
	if (!c->closing && !c->deferred &&
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		conn_close(c);
}

/* ---- accepting ---- */

static int conn_accept(struct ctl_server *s)
{
	struct ctl_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	int err = uv_pipe_init(s->loop, &c->pipe, 0);
	if (err) {
		free(c);
		return err;
	}
	c->pipe.data = c;
	c->srv = s;
	ctl_decoder_init(&c->dec);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->handles++;
	err = uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->pipe);
	if (!err && s->nconns > CTL_MAX_CLIENTS)
		err = -EMFILE;
	if (!err)
		err = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
	if (err)
		conn_close(c);
	return err;
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct ctl_server *s = listener->data;

	if (status < 0) {
		log_warn("ctl: accept failed: %s", uv_strerror(status));
		return;
	}
	int err = conn_accept(s);
	if (err)
		log_warn("ctl: client refused: %s", uv_strerror(err));
}

/* ---- socket path ---- */

static int mkdir_parents(const char *path)
{
	char *dir = strdup(path);
	int err = 0;

	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1; !err && *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				err = -errno;
			*p = '/';
		}
		if (!err && mkdir(dir, 0755) < 0 && errno != EEXIST)
			err = -errno;
	}
	free(dir);
	return err;
}

/* 0 if something answers on the socket at path, else -errno of the connect. */
static int probe_socket(const char *path)
{
	int fd = ctl_connect(path);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int remove_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("ctl: %s exists and is not a socket; not removing it", path);
		return -EEXIST;
	}
	int err = probe_socket(path);
	if (err == 0) {
		log_err("ctl: another daemon answers on %s", path);
		return -EADDRINUSE;
	}
	if (err != -ECONNREFUSED)
		return err;
	log_info("ctl: removing stale socket %s", path);
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int listener_open(struct ctl_server *s)
{
	int err = uv_pipe_bind(&s->listener, s->path);
	if (err)
		return err;
	if (chmod(s->path, 0660) < 0)
		return -errno;
	return uv_listen((uv_stream_t *)&s->listener, 64, on_connection);
}

int ctl_server_start(uv_loop_t *loop, const char *path, ctl_handler_fn fn, void *arg,
		     struct ctl_server **out)
{
	int err = mkdir_parents(path);
	if (!err)
		err = remove_stale(path);
	if (err)
		return err;
	struct ctl_server *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return -ENOMEM;
	}
	s->loop = loop;
	s->fn = fn;
	s->arg = arg;
	err = uv_pipe_init(loop, &s->listener, 0);
	if (err) {
		free(s->path);
		free(s);
		return err;
	}
	s->listener.data = s;
	s->handles = 1;
	err = listener_open(s);
	if (err) {
		log_err("ctl: cannot listen on %s: %s", path, uv_strerror(err));
		s->closing = true;
		uv_close((uv_handle_t *)&s->listener, on_listener_closed);
		return err;
	}
	log_info("ctl: listening on %s", path);
	*out = s;
	return 0;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	for (struct ctl_conn *c = s->conns; c; c = c->next)
		conn_close(c);
	if (unlink(s->path) < 0 && errno != ENOENT)
		log_warn("ctl: cannot remove %s: %s", s->path, strerror(errno));
	uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}

unsigned ctl_server_clients(const struct ctl_server *s)
{
	return s->nconns;
}

json_t *ctl_dispatch(const struct ctl_command *table, json_t *req, void *arg)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (!cmd)
		return ctl_reply_error("request has no string \"cmd\"");
	for (const struct ctl_command *t = table; t->name; t++)
		if (strcmp(t->name, cmd) == 0)
			return t->fn(req, arg);
	return ctl_reply_error("unknown command \"%s\"", cmd);
}
