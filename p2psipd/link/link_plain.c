/* The `plain` connection mode: P2PP over one UDP socket, peers' addresses learnt from their
 * Peer-Info or their datagrams' source, kept in a bounded table. No HIP, no ICE. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/link/link_int.h"

#define RX_BUF 65536
#define RCVBUF (1 << 20) /* asked for; the kernel caps it at net.core.rmem_max */

struct peer_addr {
	struct chord_id id;
	struct sockaddr_storage addr;
	uint64_t used; /* a counter value: the least recently learnt or used goes first */
	int neighbour;
	int live;
};

struct plain {
	uv_udp_t udp;
	struct link *l;
	struct peer_addr *peers;
	size_t n_peers;
	uint64_t clock;
	uint8_t rx[RX_BUF];
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct plain *p = h->data;

	(void)suggested;
	buf->base = (char *)p->rx;
	buf->len = sizeof(p->rx);
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct plain *p = u->data;

	if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL))
		return;
	p->l->cfg.recv(p->l->cfg.arg, (const uint8_t *)buf->base, (size_t)nread, from);
}

static void plain_free(uv_handle_t *h)
{
	struct plain *p = h->data;

	free(p->l);
	free(p->peers);
	free(p);
}

static int plain_open(struct link *l)
{
	struct plain *p = calloc(1, sizeof(*p));
	int len = sizeof(l->local);
	int err;

	if (!p)
		return -ENOMEM;
	p->peers = calloc(l->cfg.max_peers, sizeof(*p->peers));
	if (!p->peers) {
		free(p);
		return -ENOMEM;
	}
	p->l = l;
	l->impl = p;
	uv_udp_init(l->cfg.loop, &p->udp);
	p->udp.data = p;
	err = uv_udp_bind(&p->udp, (const struct sockaddr *)&l->cfg.listen, 0);
	if (!err)
		err = uv_udp_getsockname(&p->udp, (struct sockaddr *)&l->local, &len);
	if (!err) {
		/* a node's neighbours may send it bursts (replication, handover) while the loop
		 * is busy: room for them, rather than drops and retransmissions */
		int rcvbuf = RCVBUF;
		uv_recv_buffer_size((uv_handle_t *)&p->udp, &rcvbuf);
		err = uv_udp_recv_start(&p->udp, on_alloc, on_recv);
	}
	if (err) {
		/* link_open frees l; the rest goes with the handle's close callback */
		p->l = NULL;
		l->impl = NULL;
		uv_close((uv_handle_t *)&p->udp, plain_free);
		return err;
	}
	return 0;
}

static void plain_close(struct link *l)
{
	struct plain *p = l->impl;

	uv_udp_recv_stop(&p->udp);
	uv_close((uv_handle_t *)&p->udp, plain_free);
}

static int plain_send(struct link *l, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct plain *p = l->impl;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	int n = uv_udp_try_send(&p->udp, &b, 1, dst);

	if (n < 0)
		return n == UV_EAGAIN ? -EAGAIN : n;
	return 0;
}

static void plain_local_cands(const struct link *l, struct p2pp_peer_info *pi)
{
	struct p2pp_cand *c = &pi->cands[0];

	memset(c, 0, sizeof(*c));
	if (link_sa_to_p2pp((const struct sockaddr *)&l->local, &c->addr))
		return;
	c->component = 1;
	c->priority = 1;
	c->transport = P2PP_TT_UDP;
	c->type = P2PP_HT_HOST;
	pi->n_cands = 1;
}

static struct peer_addr *find(const struct plain *p, const struct chord_id *id)
{
	for (size_t i = 0; i < p->n_peers; i++) {
		if (chord_id_eq(&p->peers[i].id, id))
			return &p->peers[i];
	}
	return NULL;
}

/* A slot for a new peer: a free one, else the least recently used non-neighbour. */
static struct peer_addr *slot(struct plain *p)
{
	struct peer_addr *old = NULL;

	if (p->n_peers < p->l->cfg.max_peers)
		return &p->peers[p->n_peers++];
	for (size_t i = 0; i < p->n_peers; i++) {
		struct peer_addr *e = &p->peers[i];
		if (!e->neighbour && (!old || e->used < old->used))
			old = e;
	}
	return old;
}

/* The UDP host candidate of a Peer-Info, if it names a specific address. */
static int pi_addr(const struct p2pp_peer_info *pi, struct sockaddr_storage *out)
{
	for (unsigned i = 0; pi && i < pi->n_cands; i++) {
		const struct p2pp_cand *c = &pi->cands[i];
		if (c->transport == P2PP_TT_UDP && c->type == P2PP_HT_HOST &&
		    link_sa_from_p2pp(&c->addr, out) == 0)
			return 0;
	}
	return -ENOENT;
}

static int plain_learn(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
		       const struct sockaddr *from)
{
	struct plain *p = l->impl;
	struct sockaddr_storage a;
	struct peer_addr *e;

	if (pi_addr(pi, &a)) {
		if (!from || !link_sa_len(from))
			return -ENOENT;
		memset(&a, 0, sizeof(a));
		memcpy(&a, from, link_sa_len(from));
	}
	e = find(p, peer);
	if (!e) {
		e = slot(p);
		if (!e)
			return -ENOMEM;
		memset(e, 0, sizeof(*e));
		e->id = *peer;
	}
	/* An address that another ID held before belongs to the newcomer now (a restarted node). */
	for (size_t i = 0; i < p->n_peers; i++) {
		struct peer_addr *o = &p->peers[i];
		if (o != e && o->live &&
		    link_sa_eq((struct sockaddr *)&o->addr, (struct sockaddr *)&a))
			o->live = 0;
	}
	e->addr = a;
	e->live = 1;
	e->used = ++p->clock;
	return 0;
}

static int plain_resolve(struct link *l, const struct chord_id *peer, struct sockaddr_storage *out)
{
	struct plain *p = l->impl;
	struct peer_addr *e = find(p, peer);

	if (!e || !e->live)
		return -ENOENT;
	e->used = ++p->clock;
	*out = e->addr;
	return 0;
}

static int plain_peer_of(const struct link *l, const struct sockaddr *from, struct chord_id *out)
{
	const struct plain *p = l->impl;

	for (size_t i = 0; i < p->n_peers; i++) {
		const struct peer_addr *e = &p->peers[i];
		if (e->live && link_sa_eq((const struct sockaddr *)&e->addr, from)) {
			*out = e->id;
			return 0;
		}
	}
	return -ENOENT;
}

static int plain_peer_cands(const struct link *l, const struct chord_id *peer,
			    struct p2pp_peer_info *pi)
{
	const struct plain *p = l->impl;
	const struct peer_addr *e = find(p, peer);
	struct p2pp_cand *c = &pi->cands[0];

	if (!e || !e->live)
		return -ENOENT;
	memset(c, 0, sizeof(*c));
	if (link_sa_to_p2pp((const struct sockaddr *)&e->addr, &c->addr))
		return -ENOENT;
	c->component = 1;
	c->priority = 1;
	c->transport = P2PP_TT_UDP;
	c->type = P2PP_HT_HOST;
	pi->n_cands = 1;
	return 0;
}

static void plain_set_neighbours(struct link *l, const struct chord_id *ids, unsigned n)
{
	struct plain *p = l->impl;

	for (size_t i = 0; i < p->n_peers; i++)
		p->peers[i].neighbour = 0;
	for (unsigned j = 0; j < n; j++) {
		struct peer_addr *e = find(p, &ids[j]);
		if (e)
			e->neighbour = 1;
	}
}

const struct link_ops link_plain_ops = {
    .name = "plain",
    .open = plain_open,
    .close = plain_close,
    .send = plain_send,
    .local_cands = plain_local_cands,
    .learn = plain_learn,
    .resolve = plain_resolve,
    .peer_of = plain_peer_of,
    .peer_cands = plain_peer_cands,
    .set_neighbours = plain_set_neighbours,
};
