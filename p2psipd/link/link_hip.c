/* The `hip` connection mode: P2PP over one UDP socket on [::], each peer addressed as
 * [its HIT]:port through hipd's hit0, so hipd's base exchange (routed by HIP BONE when no
 * locator is known) and ICE set up every link; the overlay's neighbour set and the locators
 * peers announce are handed to hipd over its control socket. Not HIP itself, not ICE. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "common/hit.h"
#include "common/log.h"
#include "p2psipd/link/hipd_client.h"
#include "p2psipd/link/link_int.h"

#define RX_BUF	       65536
#define RCVBUF	       (1 << 20)
#define PUSH_DELAY_MS  200   /* neighbour-set changes reach hipd at most this often */
#define HIP_LOC_PORT   10500 /* port of the locator candidate: hipd's (RFC 5770 5.1); unused */
#define HIP_MAX_PUSHED 256   /* hipd's OVERLAY_MAX_NEIGHBOURS */
#define TOUCH_MS       2000  /* base exchanges with the peers we know, this often */

struct hip_peer {
	struct chord_id id;
	uint16_t port;			 /* its P2PP port */
	struct sockaddr_storage locator; /* announced; ss_family 0: none */
	uint64_t used;
	int neighbour;
	int mapped; /* the locator went to hipd */
	int up;	    /* hipd's last get-ha: an association that carries traffic */
};

struct hip {
	uv_udp_t udp;
	uv_timer_t push;
	uv_timer_t touch;
	struct link *l;
	struct hip_peer *peers;
	size_t n_peers;
	uint64_t clock;
	struct chord_id self;
	int dirty;
	int touch_busy; /* a get-ha is out */
	int closed;	/* link_close ran; memory waits for the handles (and on_has) */
	int refs;	/* our handles, and a get-ha out */
	uint8_t rx[RX_BUF];
};

/* The state goes when the last handle is closed and no get-ha is out. */
static void hip_unref(struct hip *h)
{
	if (--h->refs > 0)
		return;
	free(h->l);
	free(h->peers);
	free(h);
}

/* ---- addresses ---- */

static void peer_sa(const struct hip_peer *e, struct sockaddr_storage *out)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(e->port);
	chord_id_to_in6(&a6->sin6_addr, &e->id);
}

static uint16_t local_port(const struct link *l)
{
	return ntohs(((const struct sockaddr_in6 *)&l->local)->sin6_port);
}

/* ---- hipd ---- */

static void hipd_send(struct hip *h, json_t *req, const char *what)
{
	if (req)
		hipd_client_send(h->l->cfg.loop, h->l->cfg.hip.hipd_socket, req, what, false);
}

/* An association whose ICE run failed stays ESTABLISHED in hipd and carries nothing (RFC 5770
 * 4.6): forget it (reset), so that a later trigger runs a new exchange, with the servers and
 * routes known by then. */
#define ICE_DEAD_S 8 /* established this long without an ICE path: failed */

static bool ha_dead(json_t *a)
{
	const char *notify = json_string_value(json_object_get(a, "last_notify"));
	json_int_t age = json_integer_value(json_object_get(a, "established_s"));

	if (!json_object_get(a, "nat_mode") || json_object_get(a, "ice_path_type"))
		return false;
	return (notify && strstr(notify, "CONNECTIVITY")) || age >= ICE_DEAD_S;
}

static struct hip_peer *find(const struct hip *h, const struct chord_id *id);
static struct hip_peer *slot(struct hip *h);
static void schedule_push(struct hip *h);

/* A peer that opened an association with us is a peer we know: the next hop hipd needs to
 * reach it through us (HIP BONE routes only over neighbours p2psipd names), and ours to it.
 * Its entry (valid until the next new one), or NULL. */
static struct hip_peer *know(struct hip *h, const char *hit_text)
{
	struct in6_addr hit;
	struct chord_id id;
	struct hip_peer *e;

	if (hit_parse(hit_text, &hit))
		return NULL;
	chord_id_from_in6(&id, &hit);
	if (chord_id_eq(&id, &h->self))
		return NULL;
	e = find(h, &id);
	if (e)
		return e;
	e = slot(h);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->port = local_port(h->l);
	e->used = ++h->clock;
	schedule_push(h);
	return e;
}

/* ESTABLISHED, and with ICE: once its checks found a path. */
static bool ha_up(json_t *a)
{
	const char *state = json_string_value(json_object_get(a, "state"));

	return state && strcmp(state, "ESTABLISHED") == 0 &&
	       (!json_object_get(a, "nat_mode") || json_object_get(a, "ice_path_type"));
}

static void on_has(void *arg, json_t *reply)
{
	struct hip *h = arg;
	json_t *a;
	size_t i;

	h->touch_busy = 0;
	if (h->closed) {
		hip_unref(h);
		return;
	}
	if (reply) { /* no answer: the last view stands */
		for (size_t k = 0; k < h->n_peers; k++)
			h->peers[k].up = 0;
	}
	json_array_foreach(json_object_get(reply, "associations"), i, a)
	{
		const char *peer = json_string_value(json_object_get(a, "peer_hit"));
		if (!peer)
			continue;
		if (!ha_dead(a)) {
			struct hip_peer *e = know(h, peer);
			if (e && ha_up(a))
				e->up = 1;
			continue;
		}
		log_info("association with %s has no ICE path: reset", peer);
		hipd_client_send(h->l->cfg.loop, h->l->cfg.hip.hipd_socket,
				 json_pack("{s:s,s:s}", "cmd", "reset", "hit", peer), "reset",
				 true);
	}
	hip_unref(h);
}

/* Every known peer without an association gets a base exchange now (hipd refuses at once
 * when one runs or is done, or when it has neither a locator nor an overlay route yet). HIP
 * BONE only forwards over established associations, so a NATed peer is reachable through
 * the overlay only once the peer preceding it has one: the links are built before P2PP
 * needs them, and rebuilt after failures, instead of waiting for the overlay's traffic. */
static void on_touch(uv_timer_t *t)
{
	struct hip *h = t->data;
	char buf[HIT_STRLEN];
	struct in6_addr a;

	for (size_t i = 0; i < h->n_peers; i++) {
		chord_id_to_in6(&a, &h->peers[i].id);
		hipd_client_send(
		    h->l->cfg.loop, h->l->cfg.hip.hipd_socket,
		    json_pack("{s:s,s:s}", "cmd", "trigger", "hit", hit_to_str(&a, buf)), "trigger",
		    true);
	}
	if (h->touch_busy)
		return;
	h->touch_busy = 1;
	h->refs++;
	if (hipd_client_ask(h->l->cfg.loop, h->l->cfg.hip.hipd_socket,
			    json_pack("{s:s}", "cmd", "get-ha"), "get-ha", on_has, h)) {
		h->touch_busy = 0;
		h->refs--;
	}
}

static void map_locator(struct hip *h, struct hip_peer *e)
{
	char hit[HIT_STRLEN], loc[INET6_ADDRSTRLEN];
	const struct sockaddr *sa = (const struct sockaddr *)&e->locator;
	const void *ip = sa->sa_family == AF_INET
			     ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
			     : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	struct in6_addr a;

	if (e->mapped || !sa->sa_family)
		return;
	e->mapped = 1;
	chord_id_to_in6(&a, &e->id);
	inet_ntop(sa->sa_family, ip, loc, sizeof(loc));
	hipd_send(h,
		  json_pack("{s:s,s:s,s:s}", "cmd", "add-map", "hit", hit_to_str(&a, hit),
			    "locator", loc),
		  "add-map");
}

/* The neighbour set for hipd: the overlay's neighbours first, then every other peer we know
 * (hipd uses only those with an association; more candidates, more next hops). */
static json_t *neighbour_list(const struct hip *h)
{
	json_t *list = json_array();
	char buf[HIT_STRLEN];
	struct in6_addr a;

	for (int pass = 1; pass >= 0; pass--) {
		for (size_t i = 0; i < h->n_peers && json_array_size(list) < HIP_MAX_PUSHED; i++) {
			if (h->peers[i].neighbour != pass)
				continue;
			chord_id_to_in6(&a, &h->peers[i].id);
			json_array_append_new(list, json_string(hit_to_str(&a, buf)));
		}
	}
	return list;
}

static void on_push(uv_timer_t *t)
{
	struct hip *h = t->data;

	h->dirty = 0;
	hipd_send(h,
		  json_pack("{s:s,s:s,s:o}", "cmd", "set-overlay", "overlay", h->l->cfg.hip.overlay,
			    "neighbours", neighbour_list(h)),
		  "set-overlay");
}

static void schedule_push(struct hip *h)
{
	if (h->dirty)
		return;
	h->dirty = 1;
	uv_timer_start(&h->push, on_push, PUSH_DELAY_MS, 0);
}

/* Start-up: hipd runs, its default HIT is ours (same host identity), the bootstrap's locator. */
static int hipd_check(const struct link *l)
{
	const struct link_hip_config *c = &l->cfg.hip;
	json_t *req = json_pack("{s:s}", "cmd", "get-hi");
	json_t *reply = NULL, *v;
	char mine[HIT_STRLEN];
	size_t i;
	int err = hipd_client_call(c->hipd_socket, req, &reply), found = 0;

	json_decref(req);
	if (err) {
		log_err("hip mode: no answer from hipd at %s: %s", c->hipd_socket,
			err == -EPROTO ? "error reply" : ctl_strerror(err));
		json_decref(reply);
		return -ENOTCONN;
	}
	hit_to_str(&c->hit, mine);
	json_array_foreach(json_object_get(reply, "identities"), i, v)
	{
		const char *hs = json_string_value(json_object_get(v, "hit"));
		if (json_is_true(json_object_get(v, "default")) && hs && strcmp(hs, mine) == 0)
			found = 1;
	}
	json_decref(reply);
	if (!found) {
		log_err("hip mode: our node ID %s is not hipd's default HIT: run p2psipd with "
			"--identity set to hipd's key file (STATE-DIR/hi-*.pem)",
			mine);
		return -EKEYREJECTED;
	}
	return 0;
}

static int hipd_map_boot(const struct link *l)
{
	const struct link_hip_config *c = &l->cfg.hip;
	const struct sockaddr *sa = (const struct sockaddr *)&c->boot_locator;
	char hit[HIT_STRLEN], loc[INET6_ADDRSTRLEN];
	const void *ip = sa->sa_family == AF_INET
			     ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
			     : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	json_t *req, *reply = NULL;
	int err;

	if (!c->has_boot)
		return 0;
	inet_ntop(sa->sa_family, ip, loc, sizeof(loc));
	req = json_pack("{s:s,s:s,s:s}", "cmd", "add-map", "hit", hit_to_str(&c->boot_hit, hit),
			"locator", loc);
	err = hipd_client_call(c->hipd_socket, req, &reply);
	json_decref(req);
	if (err == -EPROTO) /* "already mapped": fine */
		log_info("hipd add-map %s %s: %s", hit, loc,
			 json_string_value(json_object_get(reply, "error")));
	else if (err)
		log_err("hip mode: cannot tell hipd the bootstrap locator: %s", ctl_strerror(err));
	json_decref(reply);
	return err == -EPROTO ? 0 : err;
}

/* ---- socket ---- */

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
	struct hip *h = hd->data;

	(void)suggested;
	buf->base = (char *)h->rx;
	buf->len = sizeof(h->rx);
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct hip *h = u->data;

	if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL))
		return;
	h->l->cfg.recv(h->l->cfg.arg, (const uint8_t *)buf->base, (size_t)nread, from);
}

static void hip_free(uv_handle_t *hd)
{
	hip_unref(hd->data);
}

static int bind_udp(struct hip *h, struct link *l)
{
	int len = sizeof(l->local);
	int rcvbuf = RCVBUF;
	int err;

	if (l->cfg.listen.ss_family != AF_INET6) {
		log_err("hip mode: --listen must be an IPv6 address ([::]:PORT) to reach HITs");
		return -EAFNOSUPPORT;
	}
	err = uv_udp_bind(&h->udp, (const struct sockaddr *)&l->cfg.listen, 0);
	if (!err)
		err = uv_udp_getsockname(&h->udp, (struct sockaddr *)&l->local, &len);
	if (err)
		return err;
	uv_recv_buffer_size((uv_handle_t *)&h->udp, &rcvbuf);
	return uv_udp_recv_start(&h->udp, on_alloc, on_recv);
}

static int hip_open(struct link *l)
{
	struct hip *h;
	int err;

	if (!l->cfg.hip.hipd_socket || !l->cfg.hip.overlay)
		return -EINVAL;
	err = hipd_check(l);

	if (!err)
		err = hipd_map_boot(l);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->peers = calloc(l->cfg.max_peers, sizeof(*h->peers));
	if (!h->peers) {
		free(h);
		return -ENOMEM;
	}
	h->l = l;
	l->impl = h;
	chord_id_from_in6(&h->self, &l->cfg.hip.hit);
	uv_udp_init(l->cfg.loop, &h->udp);
	uv_timer_init(l->cfg.loop, &h->push);
	uv_timer_init(l->cfg.loop, &h->touch);
	h->udp.data = h->push.data = h->touch.data = h;
	h->refs = 3;
	err = bind_udp(h, l);
	if (err) {
		h->l = NULL;
		l->impl = NULL;
		uv_close((uv_handle_t *)&h->udp, hip_free);
		uv_close((uv_handle_t *)&h->push, hip_free);
		uv_close((uv_handle_t *)&h->touch, hip_free);
		return err;
	}
	uv_timer_start(&h->touch, on_touch, TOUCH_MS, TOUCH_MS);
	if (l->cfg.hip.has_boot) { /* the overlay on in hipd from the start */
		struct hip_peer *e = &h->peers[h->n_peers++];
		chord_id_from_in6(&e->id, &l->cfg.hip.boot_hit);
		e->port = ntohs(((struct sockaddr_in6 *)&l->cfg.listen)->sin6_port);
		e->mapped = 1;
	}
	schedule_push(h);
	return 0;
}

static void hip_close(struct link *l)
{
	struct hip *h = l->impl;

	/* hipd's overlay set goes with us; the request outlives the link on the loop */
	hipd_send(h, json_pack("{s:s,s:n}", "cmd", "set-overlay", "overlay"), "set-overlay null");
	uv_udp_recv_stop(&h->udp);
	uv_timer_stop(&h->push);
	uv_timer_stop(&h->touch);
	h->closed = 1;
	uv_close((uv_handle_t *)&h->udp, hip_free);
	uv_close((uv_handle_t *)&h->push, hip_free);
	uv_close((uv_handle_t *)&h->touch, hip_free);
}

static int hip_send(struct link *l, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct hip *h = l->impl;
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	int n = uv_udp_try_send(&h->udp, &b, 1, dst);

	if (n < 0)
		return n == UV_EAGAIN ? -EAGAIN : n;
	return 0;
}

static void put_cand(struct p2pp_peer_info *pi, const struct sockaddr *sa, uint32_t prio)
{
	struct p2pp_cand *c;

	if (pi->n_cands >= P2PP_MAX_CANDS)
		return;
	c = &pi->cands[pi->n_cands];
	memset(c, 0, sizeof(*c));
	if (link_sa_to_p2pp(sa, &c->addr))
		return;
	c->component = 1;
	c->priority = prio;
	c->transport = P2PP_TT_UDP;
	c->type = P2PP_HT_HOST;
	pi->n_cands++;
}

/* Our candidates: [HIT]:port (where P2PP goes), then the locator of our hipd, if announced. */
static void put_cands(struct p2pp_peer_info *pi, const struct in6_addr *hit, uint16_t port,
		      const struct sockaddr_storage *locator)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_storage loc = *locator;

	pi->n_cands = 0;
	a.sin6_addr = *hit;
	put_cand(pi, (struct sockaddr *)&a, 2);
	if (!loc.ss_family)
		return;
	if (loc.ss_family == AF_INET)
		((struct sockaddr_in *)&loc)->sin_port = htons(HIP_LOC_PORT);
	else
		((struct sockaddr_in6 *)&loc)->sin6_port = htons(HIP_LOC_PORT);
	put_cand(pi, (struct sockaddr *)&loc, 1);
}

static void hip_local_cands(const struct link *l, struct p2pp_peer_info *pi)
{
	put_cands(pi, &l->cfg.hip.hit, local_port(l), &l->cfg.hip.locator);
}

static struct hip_peer *find(const struct hip *h, const struct chord_id *id)
{
	for (size_t i = 0; i < h->n_peers; i++) {
		if (chord_id_eq(&h->peers[i].id, id))
			return &h->peers[i];
	}
	return NULL;
}

static struct hip_peer *slot(struct hip *h)
{
	struct hip_peer *old = NULL;

	if (h->n_peers < h->l->cfg.max_peers)
		return &h->peers[h->n_peers++];
	for (size_t i = 0; i < h->n_peers; i++) {
		struct hip_peer *e = &h->peers[i];
		if (!e->neighbour && (!old || e->used < old->used))
			old = e;
	}
	return old;
}

/* From a Peer-Info: the port of the candidate at the peer's HIT, and a locator (any other
 * host candidate). */
static void pi_read(const struct p2pp_peer_info *pi, const struct in6_addr *hit, uint16_t *port,
		    struct sockaddr_storage *loc)
{
	for (unsigned i = 0; pi && i < pi->n_cands; i++) {
		const struct p2pp_cand *c = &pi->cands[i];
		struct sockaddr_storage sa;
		if (c->transport != P2PP_TT_UDP || c->type != P2PP_HT_HOST ||
		    link_sa_from_p2pp(&c->addr, &sa))
			continue;
		if (sa.ss_family == AF_INET6 &&
		    memcmp(&((struct sockaddr_in6 *)&sa)->sin6_addr, hit, sizeof(*hit)) == 0)
			*port = c->addr.port;
		else if (!loc->ss_family)
			*loc = sa;
	}
}

static int hip_learn(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
		     const struct sockaddr *from)
{
	struct hip *h = l->impl;
	struct sockaddr_storage loc = {0};
	struct in6_addr hit;
	uint16_t port = 0;
	struct hip_peer *e;

	chord_id_to_in6(&hit, peer);
	if (!hit_is_orchid(&hit))
		return -ENOENT; /* not addressable through hit0 */
	pi_read(pi, &hit, &port, &loc);
	if (!port && from && from->sa_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)from)->sin6_port);
	e = find(h, peer);
	if (!e) {
		e = slot(h);
		if (!e)
			return -ENOMEM;
		memset(e, 0, sizeof(*e));
		e->id = *peer;
		e->port = local_port(l); /* until told: the peers share the port */
		schedule_push(h);
	}
	if (port)
		e->port = port;
	if (loc.ss_family && !e->mapped) {
		e->locator = loc;
		map_locator(h, e);
	}
	e->used = ++h->clock;
	return 0;
}

static int hip_resolve(struct link *l, const struct chord_id *peer, struct sockaddr_storage *out)
{
	struct hip *h = l->impl;
	struct hip_peer *e = find(h, peer);

	if (!e)
		return -ENOENT;
	e->used = ++h->clock;
	peer_sa(e, out);
	return 0;
}

/* Ready: hipd carries traffic to it now (as of the last get-ha, TOUCH_MS old at most). The
 * overlay routes around a hop that is not (a NATed peer whose ICE run failed) through a ready
 * one nearer the key, instead of waiting for a base exchange that may never succeed. */
static bool hip_ready(const struct link *l, const struct chord_id *peer)
{
	const struct hip *h = l->impl;
	const struct hip_peer *e = find(h, peer);

	return e && e->up;
}

static size_t hip_ready_peers(const struct link *l, struct chord_id *ids, size_t cap)
{
	const struct hip *h = l->impl;
	size_t k = 0;

	for (size_t i = 0; i < h->n_peers; i++) {
		if (!h->peers[i].up)
			continue;
		if (k < cap)
			ids[k] = h->peers[i].id;
		k++;
	}
	return k;
}

/* A datagram's source is the sender's HIT: the peer ID itself. */
static int hip_peer_of(const struct link *l, const struct sockaddr *from, struct chord_id *out)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)from;

	(void)l;
	if (from->sa_family != AF_INET6 || !hit_is_orchid(&a6->sin6_addr))
		return -ENOENT;
	chord_id_from_in6(out, &a6->sin6_addr);
	return 0;
}

static int hip_peer_cands(const struct link *l, const struct chord_id *peer,
			  struct p2pp_peer_info *pi)
{
	const struct hip *h = l->impl;
	const struct hip_peer *e = find(h, peer);
	struct in6_addr hit;

	if (!e)
		return -ENOENT;
	chord_id_to_in6(&hit, peer);
	put_cands(pi, &hit, e->port, &e->locator);
	return 0;
}

static void hip_set_neighbours(struct link *l, const struct chord_id *ids, unsigned n)
{
	struct hip *h = l->impl;
	int changed = 0;

	for (size_t i = 0; i < h->n_peers; i++) {
		struct hip_peer *e = &h->peers[i];
		int was = e->neighbour;
		e->neighbour = 0;
		for (unsigned j = 0; j < n && !e->neighbour; j++)
			e->neighbour = chord_id_eq(&e->id, &ids[j]);
		changed |= was != e->neighbour;
	}
	if (changed)
		schedule_push(h);
}

const struct link_ops link_hip_ops = {
    .name = "hip",
    .open = hip_open,
    .close = hip_close,
    .send = hip_send,
    .local_cands = hip_local_cands,
    .learn = hip_learn,
    .resolve = hip_resolve,
    .peer_of = hip_peer_of,
    .peer_cands = hip_peer_cands,
    .set_neighbours = hip_set_neighbours,
    .ready = hip_ready,
    .ready_peers = hip_ready_peers,
};
