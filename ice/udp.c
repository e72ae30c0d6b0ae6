/* A libuv UDP socket serving one ICE agent (see udp.h): sends for the agent,
 * hands received datagrams to it first and the rest to the application. */
#include <errno.h>
#include <string.h>

#include "ice/udp.h"

static int udp_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct ice_udp *u = ctx;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	int rc = uv_udp_try_send(&u->h, &b, 1, dst);

	if (rc < 0)
		return rc == UV_EAGAIN ? -EAGAIN : rc;
	u->tx++;
	return 0;
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct ice_udp *u = h->data;
	(void)size;

	*buf = uv_buf_init((char *)u->buf, sizeof(u->buf));
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct ice_udp *u = h->data;

	if (n < 0) {
		u->rx_errors++;
		return;
	}
	if (n == 0 || !from || (flags & UV_UDP_PARTIAL))
		return;
	u->rx++;
	if (u->agent && ice_agent_input(u->agent, (const struct sockaddr *)&u->sock.local, from,
					(const uint8_t *)buf->base, (size_t)n))
		return;
	if (u->on_data)
		u->on_data(u->arg, from, (const uint8_t *)buf->base, (size_t)n);
}

int ice_udp_open(uv_loop_t *loop, const struct sockaddr *addr, struct ice_udp *u)
{
	int namelen = sizeof(u->sock.local);
	int rc;

	u->h.data = u;
	rc = uv_udp_init(loop, &u->h);
	if (rc < 0)
		return rc;
	rc = uv_udp_bind(&u->h, addr, 0);
	if (!rc)
		rc = uv_udp_getsockname(&u->h, (struct sockaddr *)&u->sock.local, &namelen);
	if (!rc)
		rc = uv_udp_recv_start(&u->h, on_alloc, on_recv);
	if (rc < 0) {
		uv_close((uv_handle_t *)&u->h, NULL);
		return rc;
	}
	u->sock.send = udp_send;
	u->sock.ctx = u;
	return 0;
}

static void on_close(uv_handle_t *h)
{
	struct ice_udp *u = h->data;

	if (u->on_closed)
		u->on_closed(u);
}

void ice_udp_close(struct ice_udp *u, void (*on_closed)(struct ice_udp *u))
{
	u->agent = NULL;
	u->on_closed = on_closed;
	uv_udp_recv_stop(&u->h);
	uv_close((uv_handle_t *)&u->h, on_close);
}
