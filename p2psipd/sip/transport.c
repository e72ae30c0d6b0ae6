/* The local SIP listener on libuv: one UDP socket and one TCP listener on the same address and
 * port, TCP connections with their stream buffers, framing, keep-alives and limits (RFC 3261
 * 18, 7.5, 18.3; RFC 5626 3.5.1). Not a parser beyond framing, not transactions. */
#include "p2psipd/sip/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cursor.h"
#include "common/log.h"
#include "p2psipd/sip/msg.h"

#define CONN_BUF_MIN 4096

struct sip_conn {
	uv_tcp_t h;
	struct sip_transport *t;
	struct sip_conn *next;
	uint64_t id;
	struct sockaddr_storage peer;
	uint8_t *buf;
	size_t len, cap;
	bool closing;
	bool listed; /* in t->conns (refused connections never are) */
};

struct write_req {
	uv_write_t req;
	struct sip_conn *c;
	uint8_t data[];
};

struct udp_req {
	uv_udp_send_t req;
	uint8_t data[];
};

/* ---- addresses ---- */

static socklen_t addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static uint16_t addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

const char *sip_src_text(const struct sip_src *src, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	bool v6 = src->addr.ss_family == AF_INET6;

	if (v6)
		uv_ip6_name((const struct sockaddr_in6 *)&src->addr, ip, sizeof(ip));
	else if (src->addr.ss_family == AF_INET)
		uv_ip4_name((const struct sockaddr_in *)&src->addr, ip, sizeof(ip));
	if (src->proto == SIP_TP_TCP)
		snprintf(buf, cap, "tcp#%llu:%s%s%s:%u", (unsigned long long)src->conn,
			 v6 ? "[" : "", ip, v6 ? "]" : "", addr_port(&src->addr));
	else
		snprintf(buf, cap, "udp:%s%s%s:%u", v6 ? "[" : "", ip, v6 ? "]" : "",
			 addr_port(&src->addr));
	return buf;
}

static void conn_src(const struct sip_conn *c, struct sip_src *src)
{
	memset(src, 0, sizeof(*src));
	src->proto = SIP_TP_TCP;
	src->addr = c->peer;
	src->conn = c->id;
}

/* ---- handle bookkeeping ---- */

static void handle_gone(struct sip_transport *t)
{
	if (--t->open_handles == 0 && t->closing && t->on_closed)
		t->on_closed(t);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct sip_conn *c = h->data;
	struct sip_transport *t = c->t;

	free(c->buf);
	free(c);
	handle_gone(t);
}

static void unlink_conn(struct sip_transport *t, struct sip_conn *c)
{
	for (struct sip_conn **p = &t->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			t->n_conns--;
			return;
		}
	}
}

/* Closes one connection; the owner hears of it unless the whole transport is closing. */
static void conn_close(struct sip_conn *c, const char *why)
{
	struct sip_transport *t = c->t;
	char text[80];
	struct sip_src src;

	if (c->closing)
		return;
	c->closing = true;
	conn_src(c, &src);
	if (why)
		log_info("sip: %s closed: %s", sip_src_text(&src, text, sizeof(text)), why);
	if (c->listed)
		unlink_conn(t, c);
	uv_close((uv_handle_t *)&c->h, on_conn_closed);
	if (c->listed && !t->closing && t->on_conn_closed)
		t->on_conn_closed(t->arg, c->id);
}

static struct sip_conn *find_conn(struct sip_transport *t, uint64_t id)
{
	for (struct sip_conn *c = t->conns; c; c = c->next)
		if (c->id == id && !c->closing)
			return c;
	return NULL;
}

/* ---- TCP sending ---- */

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;

	if (status < 0 && status != UV_ECANCELED)
		conn_close(w->c, uv_strerror(status));
	free(w);
}

static int conn_write(struct sip_conn *c, const uint8_t *buf, size_t len)
{
	struct write_req *w;
	uv_buf_t b;
	int err;

	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->h) > 4 * c->t->cfg.max_msg)
		return -ENOBUFS; /* the peer does not read */
	w = malloc(sizeof(*w) + len);
	if (!w)
		return -ENOMEM;
	w->c = c;
	memcpy(w->data, buf, len);
	b = uv_buf_init((char *)w->data, (unsigned)len);
	err = uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, on_written);
	if (err)
		free(w);
	return err;
}

/* ---- TCP receiving: keep-alives, framing (RFC 3261 7.5, 18.3; RFC 5626 3.5.1) ---- */

/* Skips CRLFs before a start line (RFC 3261 7.5) and answers a double-CRLF ping with a
 * single-CRLF pong (RFC 5626 3.5.1). 0 at the start of a message, 1 when more bytes are
 * needed to tell. */
static int skip_keepalives(struct sip_conn *c, struct cursor *cur)
{
	for (;;) {
		struct cursor p = *cur, q;
		uint8_t a, b;

		if (cur_u8(&p, &a))
			return 1;
		if (a != '\r')
			return 0;
		if (cur_u8(&p, &b))
			return 1;
		if (b != '\n')
			return 0; /* framing will refuse the bare CR */
		q = p;
		if (cur_u8(&q, &a))
			return 1; /* a ping's second CRLF may follow */
		if (a == '\r' && cur_u8(&q, &b))
			return 1;
		if (a == '\r' && b == '\n') {
			conn_write(c, (const uint8_t *)"\r\n", 2);
			p = q;
		}
		c->t->stats.keepalives++;
		*cur = p;
	}
}

static void deliver(struct sip_transport *t, const struct sip_src *src, const uint8_t *msg,
		    size_t len)
{
	t->stats.rx++;
	t->on_msg(t->arg, src, msg, len);
}

/* Hands every whole message in the buffer up, keeps the rest. */
static void conn_process(struct sip_conn *c)
{
	struct sip_transport *t = c->t;
	struct cursor cur, rest;
	const uint8_t *p;
	struct sip_src src;
	size_t n;
	int err;

	conn_src(c, &src);
	cur_init(&cur, c->buf, c->len);
	while (!c->closing && !t->closing && skip_keepalives(c, &cur) == 0) {
		rest = cur;
		cur_view(&rest, cur_left(&rest), &p);
		err = sip_msg_frame(p, cur_left(&cur), t->cfg.max_msg, &n);
		if (err == -EAGAIN)
			break;
		if (err) {
			t->stats.rx_dropped++;
			conn_close(c, err == -EMSGSIZE ? "message too large" : "framing error");
			return;
		}
		cur_view(&cur, n, &p);
		deliver(t, &src, p, n);
	}
	if (c->closing || t->closing)
		return;
	n = cur_left(&cur);
	cur_view(&cur, n, &p);
	memmove(c->buf, p, n);
	c->len = n;
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct sip_conn *c = h->data;
	size_t limit = c->t->cfg.max_msg, cap = c->cap;
	uint8_t *nb;

	(void)suggested;
	if (cap - c->len < CONN_BUF_MIN / 2 && cap < limit) {
		cap = cap ? 2 * cap : CONN_BUF_MIN;
		if (cap > limit)
			cap = limit;
		nb = realloc(c->buf, cap);
		if (nb) {
			c->buf = nb;
			c->cap = cap;
		}
	}
	*buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct sip_conn *c = s->data;

	(void)buf;
	if (nread == UV_ENOBUFS) {
		c->t->stats.rx_dropped++;
		conn_close(c, "message too large");
		return;
	}
	if (nread < 0) {
		conn_close(c, nread == UV_EOF ? NULL : uv_strerror((int)nread));
		return;
	}
	c->len += (size_t)nread;
	conn_process(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sip_transport *t = server->data;
	struct sip_conn *c;
	int len = sizeof(struct sockaddr_storage);

	if (status < 0 || t->closing)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || uv_tcp_init(t->loop, &c->h)) {
		free(c);
		return;
	}
	c->t = t;
	c->h.data = c;
	c->id = ++t->next_conn;
	t->open_handles++;
	if (uv_accept(server, (uv_stream_t *)&c->h)) {
		conn_close(c, NULL);
		return;
	}
	uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &len);
	if (t->n_conns >= t->cfg.max_conns) {
		t->stats.refused++;
		log_warn("sip: TCP connection refused: %u connections open", t->n_conns);
		conn_close(c, NULL);
		return;
	}
	c->listed = true;
	c->next = t->conns;
	t->conns = c;
	t->n_conns++;
	t->stats.conns++;
	if (uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read))
		conn_close(c, "read failed");
}

/* ---- UDP ---- */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct sip_transport *t = h->data;

	(void)suggested;
	*buf = uv_buf_init((char *)t->udp_buf, (unsigned)t->cfg.max_msg);
}

/* Whitespace-only datagrams are keep-alives; anything not starting with a letter (a STUN
 * keep-alive, RFC 5626 4.4.2, among others) is not SIP for us. */
static bool udp_is_sip(struct sip_transport *t, const uint8_t *data, size_t len)
{
	struct cursor c;
	uint8_t b;

	cur_init(&c, data, len);
	while (cur_u8(&c, &b) == 0) {
		if (b == '\r' || b == '\n' || b == ' ' || b == '\t')
			continue;
		if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z'))
			return true;
		t->stats.rx_dropped++;
		return false;
	}
	t->stats.keepalives++;
	return false;
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
		     unsigned flags)
{
	struct sip_transport *t = h->data;
	struct sip_src src = {.proto = SIP_TP_UDP};

	if (nread <= 0 || !addr || t->closing)
		return;
	if (flags & UV_UDP_PARTIAL) {
		t->stats.rx_dropped++;
		log_debug("sip: UDP datagram over %zu bytes dropped", t->cfg.max_msg);
		return;
	}
	if (!udp_is_sip(t, (const uint8_t *)buf->base, (size_t)nread))
		return;
	memcpy(&src.addr, addr,
	       addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in));
	deliver(t, &src, (const uint8_t *)buf->base, (size_t)nread);
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
	(void)status;
	free(req);
}

static int udp_send(struct sip_transport *t, const struct sip_src *dst, const uint8_t *buf,
		    size_t len)
{
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	const struct sockaddr *to = (const struct sockaddr *)&dst->addr;
	struct udp_req *r;
	int err;

	err = uv_udp_try_send(&t->udp, &b, 1, to);
	if (err >= 0)
		return 0;
	if (err != UV_EAGAIN)
		return err;
	r = malloc(sizeof(*r) + len);
	if (!r)
		return -ENOMEM;
	memcpy(r->data, buf, len);
	b = uv_buf_init((char *)r->data, (unsigned)len);
	err = uv_udp_send(&r->req, &t->udp, &b, 1, to, on_udp_sent);
	if (err)
		free(r);
	return err;
}

/* ---- open, send, close ---- */

static int bind_fd(int type, const struct sockaddr_storage *ss)
{
	int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, addr_len(ss)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* UDP and TCP on one port; with port 0, the port the kernel gave UDP, tried again a few
 * times when TCP finds it taken. */
static int bind_pair(struct sockaddr_storage *ss, int *ufd, int *tfd)
{
	bool any = addr_port(ss) == 0;
	struct sockaddr_storage got;
	socklen_t len;

	for (int tries = 0; tries < 16; tries++) {
		*ufd = bind_fd(SOCK_DGRAM, ss);
		if (*ufd < 0)
			return *ufd;
		len = sizeof(got);
		if (getsockname(*ufd, (struct sockaddr *)&got, &len) == 0)
			set_port(ss, addr_port(&got));
		*tfd = bind_fd(SOCK_STREAM, ss);
		if (*tfd >= 0)
			return 0;
		close(*ufd);
		if (*tfd != -EADDRINUSE || !any)
			return *tfd;
		set_port(ss, 0);
	}
	return -EADDRINUSE;
}

static int parse_addr(const char *text, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (uv_ip4_addr(text, port, (struct sockaddr_in *)ss) == 0)
		return 0;
	memset(ss, 0, sizeof(*ss));
	if (uv_ip6_addr(text, port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	return -EINVAL;
}

static void set_config(struct sip_transport *t, const struct sip_transport_config *cfg)
{
	if (cfg)
		t->cfg = *cfg;
	else
		t->cfg.port = SIP_TRANSPORT_PORT;
	if (!t->cfg.addr)
		t->cfg.addr = "127.0.0.1";
	if (!t->cfg.max_msg || t->cfg.max_msg > SIP_MSG_MAX)
		t->cfg.max_msg = SIP_TRANSPORT_MAX_MSG;
	if (!t->cfg.max_conns)
		t->cfg.max_conns = SIP_TRANSPORT_MAX_CONNS;
}

/* libuv takes the two bound sockets (closed here when it cannot). */
static int start_handles(struct sip_transport *t, int ufd, int tfd)
{
	int err;

	uv_udp_init(t->loop, &t->udp);
	uv_tcp_init(t->loop, &t->tcp);
	t->udp.data = t;
	t->tcp.data = t;
	t->open_handles = 2;
	if ((err = uv_udp_open(&t->udp, ufd))) {
		close(ufd);
		close(tfd);
		return err;
	}
	if ((err = uv_tcp_open(&t->tcp, tfd))) {
		close(tfd);
		return err;
	}
	if ((err = uv_listen((uv_stream_t *)&t->tcp, 128, on_connection)) ||
	    (err = uv_udp_recv_start(&t->udp, udp_alloc, udp_recv)))
		return err;
	return 0;
}

int sip_transport_open(uv_loop_t *loop, struct sip_transport *t,
		       const struct sip_transport_config *cfg, sip_transport_msg_cb on_msg,
		       sip_transport_conn_cb on_conn_closed, void *arg)
{
	struct sockaddr_storage ss;
	int err, ufd, tfd;

	memset(t, 0, sizeof(*t));
	set_config(t, cfg);
	t->loop = loop;
	t->on_msg = on_msg;
	t->on_conn_closed = on_conn_closed;
	t->arg = arg;
	if (!on_msg || parse_addr(t->cfg.addr, t->cfg.port, &ss))
		return -EINVAL;
	t->udp_buf = malloc(t->cfg.max_msg);
	if (!t->udp_buf)
		return -ENOMEM;
	err = bind_pair(&ss, &ufd, &tfd);
	if (err) {
		free(t->udp_buf);
		t->udp_buf = NULL;
		return err;
	}
	t->port = addr_port(&ss);
	err = start_handles(t, ufd, tfd);
	if (err) {
		/* Not expected with sockets bound a moment ago; t must outlive this loop turn. */
		sip_transport_close(t, NULL);
		return err;
	}
	log_info("sip: listening on %s port %u (UDP and TCP)", t->cfg.addr, t->port);
	return 0;
}

uint16_t sip_transport_port(const struct sip_transport *t)
{
	return t->port;
}

int sip_transport_send(struct sip_transport *t, const struct sip_src *dst, const uint8_t *buf,
		       size_t len)
{
	struct sip_conn *c;
	int err;

	if (t->closing)
		return -ESHUTDOWN;
	if (len > t->cfg.max_msg)
		return -EMSGSIZE;
	if (dst->proto == SIP_TP_UDP) {
		err = udp_send(t, dst, buf, len);
	} else {
		c = find_conn(t, dst->conn);
		err = c ? conn_write(c, buf, len) : -ENOTCONN;
	}
	if (err == 0)
		t->stats.tx++;
	return err;
}

int sip_transport_close_conn(struct sip_transport *t, uint64_t conn)
{
	struct sip_conn *c = find_conn(t, conn);

	if (!c)
		return -ENOENT;
	conn_close(c, NULL);
	return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
	handle_gone(h->data);
}

void sip_transport_close(struct sip_transport *t, void (*on_closed)(struct sip_transport *t))
{
	if (t->closing)
		return;
	t->closing = 1;
	t->on_closed = on_closed;
	while (t->conns)
		conn_close(t->conns, NULL);
	free(t->udp_buf);
	t->udp_buf = NULL;
	uv_close((uv_handle_t *)&t->udp, on_handle_closed);
	uv_close((uv_handle_t *)&t->tcp, on_handle_closed);
}
