/* Sockets for HIP control packets: raw protocol-139 sockets and the UDP 10500
 * socket pair, polled by libuv, with IP_PKTINFO for the destination address. */
#include "hipd/transport.h"

#include <errno.h>
#include <linux/udp.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cursor.h"
#include "common/log.h"
#include "hipd/wire/hip_proto.h"

enum { SOCK_RAW4, SOCK_RAW6, SOCK_UDP4, SOCK_UDP6, SOCK_COUNT };

struct hip_sock {
	struct hip_transport_set *set;
	int fd;
	int family;
	enum hip_transport kind;
	uv_poll_t poll;
	bool open;
	struct rx_batch *rx;
};

struct hip_transport_set {
	struct hip_sock socks[SOCK_COUNT];
	hip_rx_fn fn;
	void *arg;
	esp_rx_fn esp_fn;
	void *esp_arg;
	udp_filter_fn filter_fn;
	void *filter_arg;
	uint16_t udp_port;
	int pending_closes;
	char desc[96];
};

static int set_pktinfo(int fd, int family)
{
	int one = 1;

	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
}

/* The UDP socket also takes the userspace data plane's ESP, which comes in
 * bursts (a TCP stream) while hipd may be waiting for the CPU: with the
 * default buffer (net.core.rmem_default, some 200 KiB) datagrams overflow it,
 * pings and HIP control packets among them. */
#define UDP_RCVBUF (4 * 1024 * 1024)

static void grow_rcvbuf(int fd)
{
	int size = UDP_RCVBUF;

	/* past net.core.rmem_max with CAP_NET_ADMIN (hipd keeps it); else up to it */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

static int open_fd(int family, enum hip_transport kind, uint16_t port)
{
	int type = kind == HIP_TRANSPORT_RAW ? SOCK_RAW : SOCK_DGRAM;
	int proto = kind == HIP_TRANSPORT_RAW ? HIP_PROTO : IPPROTO_UDP;
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	int one = 1;

	if (fd < 0)
		return -errno;
	/* Raw IPv6 sockets never see IPv4 (and the kernel refuses V6ONLY on them). */
	if (family == AF_INET6 && kind != HIP_TRANSPORT_RAW &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (set_pktinfo(fd, family) < 0)
		goto fail;
	if (kind == HIP_TRANSPORT_RAW)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	grow_rcvbuf(fd);
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	return fd;
fail:;
	int err = -errno;
	close(fd);
	return err;
}

static void read_pktinfo(struct msghdr *mh, int family, struct sockaddr_storage *dst)
{
	memset(dst, 0, sizeof(*dst));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (family == AF_INET && c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			struct sockaddr_in *a = (struct sockaddr_in *)dst;
			a->sin_family = AF_INET;
			a->sin_addr = pi.ipi_addr;
		}
		if (family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)dst;
			a->sin6_family = AF_INET6;
			a->sin6_addr = pi.ipi6_addr;
		}
	}
}

/* Raw IPv4 sockets deliver the IP header; skip it (IHL words) through the cursor. */
static int strip_ipv4_header(struct cursor *c)
{
	uint8_t vihl;

	if (cur_u8(c, &vihl) < 0 || (vihl >> 4) != 4)
		return -EBADMSG;
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20)
		return -EBADMSG;
	return cur_skip(c, ihl - 1);
}

/* UDP datagrams on the HIP port: a 32-bit zero marker, then HIP (RFC 5770 5.1).
 * Anything else is ESP for the data plane, which is not handled here. */
static int strip_udp_marker(struct cursor *c)
{
	uint32_t marker;

	if (cur_u32(c, &marker) < 0)
		return -EBADMSG;
	return marker == 0 ? 0 : -ENOPROTOOPT;
}

/* A UDP datagram on the HIP port: HIP behind the zero marker; else STUN/TURN
 * (the filter), else ESP. */
static void dispatch_udp(struct hip_transport_set *t, const uint8_t *buf, size_t n,
			 const struct sockaddr *src, const struct sockaddr_storage *dst)
{
	struct hip_rx rx = {.transport = HIP_TRANSPORT_UDP};
	struct cursor c;
	int err;

	cur_init(&c, buf, n);
	err = strip_udp_marker(&c);
	if (err == -ENOPROTOOPT) {
		if (t->filter_fn && t->filter_fn(t->filter_arg, buf, n, src, (const void *)dst))
			return;
		if (t->esp_fn)
			t->esp_fn(t->esp_arg, buf, n, src);
		return;
	}
	if (err) {
		log_debug("transport: dropped %zu-byte datagram without HIP framing", n);
		return;
	}
	memcpy(&rx.src, src,
	       src->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					  : sizeof(struct sockaddr_in));
	rx.dst = *dst;
	rx.len = cur_left(&c);
	if (cur_view(&c, rx.len, &rx.pkt) < 0)
		return;
	t->fn(t->arg, &rx);
}

static void handle_datagram(struct hip_sock *s, const uint8_t *buf, size_t n, struct msghdr *mh)
{
	struct hip_rx rx = {.transport = s->kind};
	struct cursor c;
	int err;

	if (s->kind == HIP_TRANSPORT_UDP) {
		read_pktinfo(mh, s->family, &rx.dst);
		dispatch_udp(s->set, buf, n, mh->msg_name, &rx.dst);
		return;
	}
	cur_init(&c, buf, n);
	err = s->family == AF_INET ? strip_ipv4_header(&c) : 0;
	if (err) {
		log_debug("transport: dropped %zu-byte datagram without HIP framing", n);
		return;
	}
	memcpy(&rx.src, mh->msg_name, mh->msg_namelen);
	read_pktinfo(mh, s->family, &rx.dst);
	rx.len = cur_left(&c);
	if (cur_view(&c, rx.len, &rx.pkt) < 0)
		return;
	s->set->fn(s->set->arg, &rx);
}

void transport_deliver(struct hip_transport_set *t, const uint8_t *pkt, size_t len,
		       const struct sockaddr *src, const struct sockaddr *dst)
{
	struct sockaddr_storage d = {0};

	memcpy(&d, dst,
	       dst->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					  : sizeof(struct sockaddr_in));
	dispatch_udp(t, pkt, len, src, &d);
}

void transport_set_udp_filter(struct hip_transport_set *t, udp_filter_fn fn, void *arg)
{
	t->filter_fn = fn;
	t->filter_arg = arg;
}

/* One recvmmsg's worth of datagrams, allocated once per socket. */
#define RX_BATCH 32
#define RX_BUF	 (HIP_MAX_PACKET_LEN + 128)

struct rx_batch {
	struct mmsghdr m[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_storage from[RX_BATCH];
	uint8_t ctrl[RX_BATCH][256];
	uint8_t buf[RX_BATCH][RX_BUF];
};

static void rx_batch_reset(struct rx_batch *b)
{
	for (int i = 0; i < RX_BATCH; i++) {
		b->iov[i] = (struct iovec){.iov_base = b->buf[i], .iov_len = RX_BUF};
		b->m[i].msg_hdr = (struct msghdr){.msg_name = &b->from[i],
						  .msg_namelen = sizeof(b->from[i]),
						  .msg_iov = &b->iov[i],
						  .msg_iovlen = 1,
						  .msg_control = b->ctrl[i],
						  .msg_controllen = sizeof(b->ctrl[i])};
	}
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct hip_sock *s = p->data;
	struct rx_batch *b = s->rx;

	if (status < 0 || !(events & UV_READABLE))
		return;
	for (int round = 0; round < 4; round++) {
		rx_batch_reset(b);
		int n = recvmmsg(s->fd, b->m, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			if (b->m[i].msg_hdr.msg_flags & MSG_TRUNC) {
				log_debug("transport: dropped oversized datagram");
				continue;
			}
			handle_datagram(s, b->buf[i], b->m[i].msg_len, &b->m[i].msg_hdr);
		}
		if (n < RX_BATCH)
			return;
	}
}

static int sock_start(struct hip_transport_set *t, uv_loop_t *loop, int idx, int family,
		      enum hip_transport kind)
{
	struct hip_sock *s = &t->socks[idx];
	int fd = open_fd(family, kind, t->udp_port);

	if (fd < 0)
		return fd;
	s->rx = calloc(1, sizeof(*s->rx));
	if (!s->rx) {
		close(fd);
		return -ENOMEM;
	}
	s->set = t;
	s->fd = fd;
	s->family = family;
	s->kind = kind;
	s->poll.data = s;
	if (uv_poll_init(loop, &s->poll, fd) < 0) {
		close(fd);
		free(s->rx);
		s->rx = NULL;
		return -EIO;
	}
	s->open = true;
	uv_poll_start(&s->poll, UV_READABLE, on_readable);
	return 0;
}

static void describe(struct hip_transport_set *t)
{
	static const char *const names[] = {"raw4", "raw6", "udp4", "udp6"};
	size_t off = 0;

	t->desc[0] = 0;
	for (int i = 0; i < SOCK_COUNT; i++) {
		if (!t->socks[i].open)
			continue;
		int n = snprintf(t->desc + off, sizeof(t->desc) - off, "%s%s", off ? " " : "",
				 names[i]);
		if (n > 0 && (size_t)n < sizeof(t->desc) - off)
			off += (size_t)n;
		if (i >= SOCK_UDP4 && off < sizeof(t->desc))
			off += (size_t)snprintf(t->desc + off, sizeof(t->desc) - off, ":%u",
						t->udp_port);
	}
}

int transport_open(uv_loop_t *loop, const struct transport_opts *opts, hip_rx_fn fn, void *arg,
		   struct hip_transport_set **out)
{
	static const struct {
		int idx, family;
		enum hip_transport kind;
	} plan[] = {
	    {SOCK_RAW4, AF_INET, HIP_TRANSPORT_RAW},
	    {SOCK_RAW6, AF_INET6, HIP_TRANSPORT_RAW},
	    {SOCK_UDP4, AF_INET, HIP_TRANSPORT_UDP},
	    {SOCK_UDP6, AF_INET6, HIP_TRANSPORT_UDP},
	};
	struct hip_transport_set *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->fn = fn;
	t->arg = arg;
	t->udp_port = opts->udp_port ? opts->udp_port : HIP_UDP_PORT;
	for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
		if (plan[i].kind == HIP_TRANSPORT_RAW && !opts->raw)
			continue;
		if (plan[i].kind == HIP_TRANSPORT_UDP && !opts->udp)
			continue;
		int err = sock_start(t, loop, plan[i].idx, plan[i].family, plan[i].kind);
		if (err == -EAFNOSUPPORT && plan[i].family == AF_INET6) {
			log_warn("transport: no IPv6 here, %s disabled",
				 plan[i].kind == HIP_TRANSPORT_RAW ? "raw6" : "udp6");
			continue;
		}
		if (err) {
			log_err("transport: cannot open %s %s socket: %s",
				plan[i].family == AF_INET ? "IPv4" : "IPv6",
				plan[i].kind == HIP_TRANSPORT_RAW ? "raw protocol-139" : "UDP",
				strerror(-err));
			transport_close(t);
			return err;
		}
	}
	describe(t);
	*out = t;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct hip_sock *s = h->data;
	struct hip_transport_set *t = s->set;

	close(s->fd);
	free(s->rx);
	s->rx = NULL;
	if (--t->pending_closes == 0)
		free(t);
}

void transport_close(struct hip_transport_set *t)
{
	if (!t)
		return;
	for (int i = 0; i < SOCK_COUNT; i++)
		if (t->socks[i].open)
			t->pending_closes++;
	if (t->pending_closes == 0) {
		free(t);
		return;
	}
	for (int i = 0; i < SOCK_COUNT; i++) {
		struct hip_sock *s = &t->socks[i];
		if (!s->open)
			continue;
		s->open = false;
		uv_poll_stop(&s->poll);
		uv_close((uv_handle_t *)&s->poll, on_closed);
	}
}

static void add_src_pktinfo(struct msghdr *mh, uint8_t *ctrl, size_t cap,
			    const struct sockaddr *src)
{
	memset(ctrl, 0, cap);
	mh->msg_control = ctrl;
	struct cmsghdr *c = (struct cmsghdr *)ctrl;
	if (src->sa_family == AF_INET) {
		struct in_pktinfo pi = {0};
		pi.ipi_spec_dst = ((const struct sockaddr_in *)src)->sin_addr;
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		return;
	}
	struct in6_pktinfo pi6 = {0};
	pi6.ipi6_addr = ((const struct sockaddr_in6 *)src)->sin6_addr;
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi6));
	memcpy(CMSG_DATA(c), &pi6, sizeof(pi6));
	mh->msg_controllen = CMSG_SPACE(sizeof(pi6));
}

int transport_kernel_esp_in_udp(struct hip_transport_set *t)
{
	int type = UDP_ENCAP_ESPINUDP;

	for (int i = SOCK_UDP4; i <= SOCK_UDP6; i++) {
		if (!t->socks[i].open)
			continue;
		if (setsockopt(t->socks[i].fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0)
			return -errno;
	}
	return 0;
}

void transport_set_esp_rx(struct hip_transport_set *t, esp_rx_fn fn, void *arg)
{
	t->esp_fn = fn;
	t->esp_arg = arg;
}

/* HIP over UDP goes behind the zero marker (RFC 5770 5.1); raw needs no port. */
int transport_send(struct hip_transport_set *t, enum hip_transport tr, const struct sockaddr *src,
		   const struct sockaddr *dst, const uint8_t *pkt, size_t len)
{
	int idx = tr == HIP_TRANSPORT_RAW ? SOCK_RAW4 : SOCK_UDP4;
	static const uint8_t marker[4] = {0, 0, 0, 0};
	struct sockaddr_storage to;
	uint8_t ctrl[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct iovec iov[2];
	int niov = 0;

	if (dst->sa_family == AF_INET6)
		idx++;
	struct hip_sock *s = &t->socks[idx];
	if (!s->open)
		return -EAFNOSUPPORT;
	size_t dlen =
	    dst->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	memcpy(&to, dst, dlen);
	if (tr == HIP_TRANSPORT_RAW) {
		/* raw sockets: the port field must be zero (it is the protocol for IPv6) */
		if (to.ss_family == AF_INET)
			((struct sockaddr_in *)&to)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&to)->sin6_port = 0;
	} else {
		in_port_t *port = to.ss_family == AF_INET
				      ? &((struct sockaddr_in *)&to)->sin_port
				      : &((struct sockaddr_in6 *)&to)->sin6_port;
		if (*port == 0)
			*port = htons(t->udp_port);
		iov[niov].iov_base = (void *)marker;
		iov[niov++].iov_len = sizeof(marker);
	}
	iov[niov].iov_base = (void *)pkt;
	iov[niov++].iov_len = len;
	struct msghdr mh = {.msg_name = &to,
			    .msg_namelen = (socklen_t)dlen,
			    .msg_iov = iov,
			    .msg_iovlen = (size_t)niov};
	if (src && src->sa_family == dst->sa_family)
		add_src_pktinfo(&mh, ctrl, sizeof(ctrl), src);
	if (sendmsg(s->fd, &mh, 0) < 0)
		return -errno;
	return 0;
}

/* ESP datagrams (no marker) in one sendmmsg per socket run; msgs to IPv4 and
 * IPv6 peers may alternate, each run of one family goes out together. */
int transport_send_esp_batch(struct hip_transport_set *t, const struct esp_tx *msgs, size_t n,
			     size_t *failed)
{
	struct mmsghdr mm[ESP_TX_MAX];
	struct iovec iov[ESP_TX_MAX];
	struct sockaddr_storage to[ESP_TX_MAX];
	uint8_t ctrl[ESP_TX_MAX][CMSG_SPACE(sizeof(struct in6_pktinfo))];
	int err = 0;

	*failed = 0;
	for (size_t start = 0; start < n;) {
		int family = msgs[start].dst->ss_family;
		struct hip_sock *s = &t->socks[family == AF_INET6 ? SOCK_UDP6 : SOCK_UDP4];
		size_t k = 0;

		for (; start + k < n && k < ESP_TX_MAX && msgs[start + k].dst->ss_family == family;
		     k++) {
			const struct esp_tx *e = &msgs[start + k];
			size_t dlen = family == AF_INET6 ? sizeof(struct sockaddr_in6)
							 : sizeof(struct sockaddr_in);
			memcpy(&to[k], e->dst, dlen);
			in_port_t *port = family == AF_INET
					      ? &((struct sockaddr_in *)&to[k])->sin_port
					      : &((struct sockaddr_in6 *)&to[k])->sin6_port;
			if (*port == 0)
				*port = htons(t->udp_port);
			iov[k] = (struct iovec){.iov_base = (void *)e->pkt, .iov_len = e->len};
			mm[k].msg_hdr = (struct msghdr){.msg_name = &to[k],
							.msg_namelen = (socklen_t)dlen,
							.msg_iov = &iov[k],
							.msg_iovlen = 1};
			if (e->src && e->src->ss_family == family)
				add_src_pktinfo(&mm[k].msg_hdr, ctrl[k], sizeof(ctrl[k]),
						(const struct sockaddr *)e->src);
		}
		for (size_t sent = 0; s->open && sent < k;) {
			int r = sendmmsg(s->fd, mm + sent, (unsigned)(k - sent), 0);
			if (r <= 0) { /* this one failed: count it, go on with the rest */
				err = r < 0 ? -errno : -EIO;
				(*failed)++;
				sent++;
				continue;
			}
			sent += (size_t)r;
		}
		if (!s->open) {
			*failed += k;
			err = -EAFNOSUPPORT;
		}
		start += k;
	}
	return err;
}

int transport_source_for(const struct sockaddr *dst, struct sockaddr_storage *src)
{
	size_t dlen =
	    dst->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	struct sockaddr_storage to;
	int fd = socket(dst->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return -errno;
	memcpy(&to, dst, dlen);
	if (to.ss_family == AF_INET)
		((struct sockaddr_in *)&to)->sin_port = htons(HIP_UDP_PORT);
	else
		((struct sockaddr_in6 *)&to)->sin6_port = htons(HIP_UDP_PORT);
	socklen_t slen = sizeof(*src);
	if (connect(fd, (struct sockaddr *)&to, (socklen_t)dlen) < 0 ||
	    getsockname(fd, (struct sockaddr *)src, &slen) < 0)
		err = -errno;
	close(fd);
	if (!err) {
		if (src->ss_family == AF_INET)
			((struct sockaddr_in *)src)->sin_port = 0;
		else
			((struct sockaddr_in6 *)src)->sin6_port = 0;
	}
	return err;
}

const char *transport_describe(const struct hip_transport_set *t)
{
	return t->desc;
}
