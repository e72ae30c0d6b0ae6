/* The UDP socket carrying SIP between p2psipd instances (plain and hip modes) on libuv, with the
 * sip.connect.* stamps; in ice mode peers' datagrams go to peer_ice.c. Not SIP parsing, not
 * transactions and not ICE. */
#include "p2psipd/sip/peer.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/stamp.h"
#include "ice/sock.h"
#include "p2psipd/sip/peer_ice.h"

#define PEER_DGRAM_MAX 65507

struct send_req {
	uv_udp_send_t req;
	uint8_t data[];
};

/* An IPv4-mapped IPv6 source (dual-stack socket) as plain IPv4, so that it compares equal to
 * the address we send to. */
static void norm(const struct sockaddr *in, struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)in;
	struct sockaddr_in *a4 = (struct sockaddr_in *)out;

	memset(out, 0, sizeof(*out));
	if (in->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
		a4->sin_family = AF_INET;
		a4->sin_port = a6->sin6_port;
		memcpy(&a4->sin_addr, &a6->sin6_addr.s6_addr[12], 4);
		return;
	}
	memcpy(out, in,
	       in->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in));
}

/* The destination as the socket wants it: IPv4 as IPv4-mapped on an IPv6 socket. */
static void dest_for(const struct sip_peer *p, const struct sockaddr *in,
		     struct sockaddr_storage *out)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)in;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;

	if (p->local.ss_family != AF_INET6 || in->sa_family != AF_INET) {
		norm(in, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	a6->sin6_family = AF_INET6;
	a6->sin6_port = a4->sin_port;
	a6->sin6_addr.s6_addr[10] = 0xff;
	a6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&a6->sin6_addr.s6_addr[12], &a4->sin_addr, 4);
}

/* Remembers addr in the set; true when it was new (a full set forgets its oldest entry). */
static bool remember(struct sockaddr_storage *set, unsigned *n, const struct sockaddr *addr)
{
	for (unsigned i = 0; i < *n; i++) {
		if (ice_sa_equal((const struct sockaddr *)&set[i], addr))
			return false;
	}
	if (*n == SIP_PEER_MAX_SEEN) {
		memmove(set, set + 1, (SIP_PEER_MAX_SEEN - 1) * sizeof(*set));
		(*n)--;
	}
	norm(addr, &set[(*n)++]);
	return true;
}

static void stamp_peer(const char *ev, const struct sockaddr *addr)
{
	char text[INET6_ADDRSTRLEN + 16];

	ice_sa_str(addr, text, sizeof(text));
	stamp_emit(ev, json_pack("{s:s}", "peer", text));
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct sip_peer *p = h->data;

	(void)size;
	buf->base = (char *)p->buf;
	buf->len = PEER_DGRAM_MAX;
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct sip_peer *p = h->data;
	struct sockaddr_storage src;

	if (n <= 0 || !from || !p->open)
		return;
	if (flags & UV_UDP_PARTIAL) {
		p->stats.rx_dropped++;
		return;
	}
	norm(from, &src);
	p->stats.rx++;
	if (remember(p->heard, &p->n_heard, (const struct sockaddr *)&src))
		stamp_peer("sip.connect.done", (const struct sockaddr *)&src);
	p->recv(p->arg, (const struct sockaddr *)&src, (const uint8_t *)buf->base, (size_t)n);
}

int sip_peer_open(uv_loop_t *loop, struct sip_peer *p, const struct sockaddr *addr,
		  sip_peer_recv_fn recv, void *arg)
{
	int len, err;

	memset(p, 0, sizeof(*p));
	p->buf = malloc(PEER_DGRAM_MAX);
	if (!p->buf)
		return -ENOMEM;
	p->recv = recv;
	p->arg = arg;
	uv_udp_init(loop, &p->udp);
	p->udp.data = p;
	p->open = true;
	err = uv_udp_bind(&p->udp, addr, 0);
	if (!err)
		err = uv_udp_recv_start(&p->udp, on_alloc, on_recv);
	len = sizeof(p->local);
	if (!err)
		err = uv_udp_getsockname(&p->udp, (struct sockaddr *)&p->local, &len);
	if (err)
		sip_peer_close(p);
	return err;
}

void sip_peer_local(const struct sip_peer *p, struct sockaddr_storage *out)
{
	*out = p->local;
}

static void on_sent(uv_udp_send_t *req, int status)
{
	(void)status;
	free(req);
}

int sip_peer_send(struct sip_peer *p, const struct sockaddr *dst, const uint8_t *buf, size_t len)
{
	struct sockaddr_storage to;
	struct send_req *req;
	uv_buf_t b;
	int err;

	if (!p->open)
		return -EBADF;
	if (len > PEER_DGRAM_MAX)
		return -EMSGSIZE;
	if (p->ice && !ice_sa_equal(dst, (const struct sockaddr *)&p->local))
		return peer_ice_send(p->ice, dst, buf, len); /* stamps its own sip.connect.* */
	if (remember(p->sent, &p->n_sent, dst))
		stamp_peer("sip.connect.start", dst);
	dest_for(p, dst, &to);
	req = malloc(sizeof(*req) + len);
	if (!req)
		return -ENOMEM;
	memcpy(req->data, buf, len);
	b = uv_buf_init((char *)req->data, (unsigned)len);
	err = uv_udp_send(&req->req, &p->udp, &b, 1, (const struct sockaddr *)&to, on_sent);
	if (err) {
		free(req);
		p->stats.tx_errors++;
		return err;
	}
	p->stats.tx++;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct sip_peer *p = h->data;

	free(p->buf);
	p->buf = NULL;
}

void sip_peer_close(struct sip_peer *p)
{
	if (!p->open)
		return;
	p->open = false;
	uv_udp_recv_stop(&p->udp);
	uv_close((uv_handle_t *)&p->udp, on_closed);
}
