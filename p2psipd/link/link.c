/* The link layer's one place of mode choice and its dispatch; address helpers.
 * Not a mode itself: link_plain.c, link_hip.c and link_ice.c implement struct link_ops. */
#include "p2psipd/link/link_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hit.h"
#include "ice/sock.h"

/* The modes by enum link_mode. */
static const struct link_ops *const modes[] = {
    [LINK_PLAIN] = &link_plain_ops,
    [LINK_HIP] = &link_hip_ops,
    [LINK_ICE] = &link_ice_ops,
};

static const char *const mode_names[] = {
    [LINK_PLAIN] = "plain",
    [LINK_HIP] = "hip",
    [LINK_ICE] = "ice",
};

int link_mode_parse(const char *s, enum link_mode *out)
{
	for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (s && strcmp(s, mode_names[i]) == 0) {
			*out = (enum link_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *link_mode_name(enum link_mode m)
{
	if ((unsigned)m >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "?";
	return mode_names[m];
}

int link_open(const struct link_config *cfg, struct link **out)
{
	struct link *l;
	int err;

	*out = NULL;
	if ((unsigned)cfg->mode >= sizeof(modes) / sizeof(modes[0]))
		return -EINVAL;
	if (!modes[cfg->mode])
		return -ENOSYS;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ops = modes[cfg->mode];
	l->cfg = *cfg;
	if (!l->cfg.max_peers)
		l->cfg.max_peers = 1024;
	err = l->ops->open(l);
	if (err) {
		free(l);
		return err;
	}
	*out = l;
	return 0;
}

void link_close(struct link *l)
{
	if (l)
		l->ops->close(l); /* frees l once its handles are closed */
}

enum link_mode link_mode_of(const struct link *l)
{
	return l->cfg.mode;
}

int link_send(struct link *l, const struct sockaddr *dst, const void *buf, size_t len)
{
	return l->ops->send(l, dst, buf, len);
}

int link_local_addr(const struct link *l, struct sockaddr_storage *out)
{
	*out = l->local;
	return 0;
}

void link_local_cands(const struct link *l, struct p2pp_peer_info *pi)
{
	l->ops->local_cands(l, pi);
}

int link_learn(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
	       const struct sockaddr *from)
{
	return l->ops->learn(l, peer, pi, from);
}

int link_resolve(struct link *l, const struct chord_id *peer, struct sockaddr_storage *out)
{
	return l->ops->resolve(l, peer, out);
}

int link_peer_of(const struct link *l, const struct sockaddr *from, struct chord_id *out)
{
	return l->ops->peer_of(l, from, out);
}

int link_peer_cands(const struct link *l, const struct chord_id *peer, struct p2pp_peer_info *pi)
{
	return l->ops->peer_cands(l, peer, pi);
}

void link_set_neighbours(struct link *l, const struct chord_id *ids, unsigned n)
{
	l->ops->set_neighbours(l, ids, n);
}

/* ---- ice mode's link setup; other modes: every resolvable peer is ready ---- */

bool link_ready(const struct link *l, const struct chord_id *peer)
{
	struct sockaddr_storage a;

	if (l->ops->ready)
		return l->ops->ready(l, peer);
	return l->ops->resolve((struct link *)l, peer, &a) == 0;
}

size_t link_ready_peers(const struct link *l, struct chord_id *ids, size_t cap)
{
	(void)ids;
	(void)cap;
	return l->ops->ready_peers ? l->ops->ready_peers(l, ids, cap) : 0;
}

int link_offer(const struct link *l, const struct chord_id *peer, struct p2pp_peer_info *pi,
	       struct p2pp_ice_cred *cred)
{
	return l->ops->offer ? l->ops->offer(l, peer, pi, cred) : -EOPNOTSUPP;
}

int link_accept(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
		const struct p2pp_ice_cred *cred)
{
	return l->ops->accept ? l->ops->accept(l, peer, pi, cred) : -EOPNOTSUPP;
}

int link_answered(struct link *l, const struct chord_id *peer, int err,
		  const struct p2pp_peer_info *pi, const struct p2pp_ice_cred *cred)
{
	return l->ops->answered ? l->ops->answered(l, peer, err, pi, cred) : -EOPNOTSUPP;
}

void link_set_servers(struct link *l, const struct sockaddr_storage *stun,
		      const struct sockaddr_storage *turn, const char *user, const char *pass)
{
	struct link_servers *v = &l->servers;

	memset(v, 0, sizeof(*v));
	if (stun)
		v->stun = *stun;
	if (turn)
		v->turn = *turn;
	snprintf(v->user, sizeof(v->user), "%s", user ? user : "");
	snprintf(v->pass, sizeof(v->pass), "%s", pass ? pass : "");
	if (l->ops->set_servers)
		l->ops->set_servers(l, stun, turn, user, pass);
}

void link_get_servers(const struct link *l, struct link_servers *out)
{
	*out = l->servers;
}

void link_peer_failed(struct link *l, const struct chord_id *peer)
{
	if (l->ops->peer_failed)
		l->ops->peer_failed(l, peer);
}

void link_await_servers(struct link *l, unsigned ms)
{
	if (l->ops->await_servers)
		l->ops->await_servers(l, ms);
}

bool link_has_servers(const struct link *l)
{
	return l->ops->has_servers ? l->ops->has_servers(l) : true;
}

size_t link_list(const struct link *l, struct link_info *out, size_t cap)
{
	return l->ops->list ? l->ops->list(l, out, cap) : 0;
}

/* ---- addresses ---- */

/* The ice library's helpers (ice/sock.h): one copy of the socket-address code. */
socklen_t link_sa_len(const struct sockaddr *sa)
{
	return ice_sa_len(sa);
}

int link_sa_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	return ice_sa_equal(a, b);
}

int link_sa_from_p2pp(const struct p2pp_addr *a, struct sockaddr_storage *out)
{
	static const uint8_t zero[16];

	memset(out, 0, sizeof(*out));
	if (a->port == 0)
		return -EINVAL;
	if (a->ver == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;
		if (memcmp(a->ip, zero, 4) == 0)
			return -EINVAL;
		s->sin_family = AF_INET;
		s->sin_port = htons(a->port);
		memcpy(&s->sin_addr, a->ip, 4);
		return 0;
	}
	if (a->ver == 6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
		if (memcmp(a->ip, zero, 16) == 0)
			return -EINVAL;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(a->port);
		memcpy(&s->sin6_addr, a->ip, 16);
		return 0;
	}
	return -EINVAL;
}

int link_sa_to_p2pp(const struct sockaddr *sa, struct p2pp_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;
		out->ver = 4;
		out->port = ntohs(s->sin_port);
		memcpy(out->ip, &s->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;
		out->ver = 6;
		out->port = ntohs(s->sin6_port);
		memcpy(out->ip, &s->sin6_addr, 16);
		return 0;
	}
	return -EINVAL;
}

const char *link_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	return ice_sa_str(sa, buf, len);
}

/* Not ice_sa_parse: port 0 (bind to any port) is allowed here. */
static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int link_addr_parse(const char *s, struct sockaddr_storage *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *close;
	uint16_t port;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
		close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(close - s - 1), s + 1);
		if (parse_port(close + 2, &port) || inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return 0;
	}
	colon = strchr(s, ':');
	if (!colon || strchr(colon + 1, ':') || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	struct sockaddr_in *a4 = (struct sockaddr_in *)out;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	if (parse_port(colon + 1, &port) || inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return -EINVAL;
	a4->sin_family = AF_INET;
	a4->sin_port = htons(port);
	return 0;
}

/* A locator: an IPv4 or IPv6 address, no port (hipd sends to its own port). */
static int parse_locator(const char *s, size_t n, struct sockaddr_storage *out)
{
	char host[INET6_ADDRSTRLEN];
	struct sockaddr_in *a4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)n, s);
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* The part after '@': "ADDR", "ADDR:PORT", "ADDR6", "[ADDR6]:PORT". */
static int parse_boot_where(const char *s, struct sockaddr_storage *loc, uint16_t *port)
{
	const char *colon = strchr(s, ':');

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || parse_port(close + 2, port))
			return -EINVAL;
		return parse_locator(s + 1, (size_t)(close - s - 1), loc);
	}
	if (colon && !strchr(colon + 1, ':')) { /* IPv4 with a port */
		if (parse_port(colon + 1, port))
			return -EINVAL;
		return parse_locator(s, (size_t)(colon - s), loc);
	}
	return parse_locator(s, strlen(s), loc); /* IPv4 or IPv6, no port */
}

int link_hip_boot_parse(const char *s, uint16_t default_port, struct sockaddr_storage *p2pp,
			struct in6_addr *hit, struct sockaddr_storage *locator)
{
	char h[INET6_ADDRSTRLEN];
	const char *at = s ? strchr(s, '@') : NULL;
	uint16_t port = default_port;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)p2pp;

	memset(p2pp, 0, sizeof(*p2pp));
	if (!at || (size_t)(at - s) >= sizeof(h))
		return -EINVAL;
	snprintf(h, sizeof(h), "%.*s", (int)(at - s), s);
	if (hit_parse(h, hit) || parse_boot_where(at + 1, locator, &port) || port == 0)
		return -EINVAL;
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	a6->sin6_addr = *hit;
	return 0;
}

uint8_t link_p2pp_cand_type(enum ice_cand_type t)
{
	switch (t) {
	case ICE_SRFLX:
		return P2PP_HT_SRFLX;
	case ICE_PRFLX:
		return P2PP_HT_PRFLX;
	case ICE_RELAY:
		return P2PP_HT_RELAY;
	default:
		return P2PP_HT_HOST;
	}
}

enum ice_cand_type link_ice_cand_type(uint8_t p2pp_type)
{
	switch (p2pp_type) {
	case P2PP_HT_SRFLX:
		return ICE_SRFLX;
	case P2PP_HT_PRFLX:
		return ICE_PRFLX;
	case P2PP_HT_RELAY:
		return ICE_RELAY;
	default:
		return ICE_HOST;
	}
}

int link_cand_from_p2pp(const struct p2pp_cand *c, struct ice_cand *o)
{
	memset(o, 0, sizeof(*o));
	if (c->transport != P2PP_TT_UDP || c->component != 1 || c->priority == 0)
		return -EINVAL;
	if (link_sa_from_p2pp(&c->addr, &o->addr))
		return -EINVAL;
	o->type = link_ice_cand_type(c->type);
	o->component = 1;
	o->priority = c->priority;
	snprintf(o->foundation, sizeof(o->foundation), "%u", c->foundation);
	if (c->has_rel)
		link_sa_from_p2pp(&c->rel, &o->related);
	return 0;
}

uint8_t link_p2pp_foundation(const char *foundation)
{
	uint8_t h = 0;

	for (; *foundation; foundation++)
		h = (uint8_t)(h * 31 + (uint8_t)*foundation);
	return h;
}
