/* One call's RTP/RTCP relay (see relay.h): port pairs from a range, symmetric-RTP latching
 * of the client, the peer side as plain UDP (hip mode) or an ice/ agent (ice mode),
 * counters and first-packet stamps. Not SDP handling (sip/sdp.c) and not call logic. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/stamp.h"
#include "ice/sock.h"
#include "p2psipd/media/relay.h"

enum { RTP, RTCP };
enum side { CLIENT, PEER };

struct msock {
	uv_udp_t h;
	struct media_relay *r;
	enum side side;
	unsigned comp; /* RTP or RTCP */
	bool inited;   /* the handle exists and must be closed */
	struct sockaddr_storage local;
	struct ice_sock isock; /* ice mode, peer side: the agent sends through it */
};

/* First-datagram stamps (RTP only), one each per relay. */
enum { ST_FROM_CLIENT, ST_TO_PEER, ST_FROM_PEER, ST_TO_CLIENT, ST_N };
static const char *const stamp_names[ST_N] = {
    "media.first_rtp.from_client", "media.first_rtp.to_peer", "media.first_rtp.from_peer",
    "media.first_rtp.to_client"};

struct media_relay {
	uv_loop_t *loop;
	struct media_config cfg;
	char tag[128];
	struct media_callbacks cb;
	void *arg;
	struct msock client[2], peer[2];
	struct sockaddr_storage client_addr[2]; /* family 0: unknown */
	struct sockaddr_storage peer_addr[2];	/* hip mode */
	struct media_stats st;
	bool stamped[ST_N];
	/* ice mode */
	struct ice_agent *agent;
	enum ice_state ice_state;
	uv_timer_t kick; /* callbacks to the B2BUA run from here, never inside our calls */
	bool kick_inited, gathered_pending, state_pending;
	char reason[128];
	/* close */
	bool closing;
	unsigned open_handles;
	void (*on_closed)(void *arg);
	void *closed_arg;
	uint8_t buf[65536];
};

static unsigned next_pair; /* rotates through the range, so that a freed pair rests */

/* ---- addresses ---- */

/* An IPv4-mapped IPv6 address (what a dual-stack socket reports) as plain IPv4. */
static void sa_norm(const struct sockaddr *in, struct sockaddr_storage *out)
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
	memcpy(out, in, ice_sa_len(in));
}

/* The destination as a dual-stack IPv6 socket wants it: IPv4 as IPv4-mapped. */
static void sa_for_v6(const struct sockaddr *in, struct sockaddr_storage *out)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)in;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	if (in->sa_family != AF_INET) {
		memcpy(out, in, ice_sa_len(in));
		return;
	}
	a6->sin6_family = AF_INET6;
	a6->sin6_port = a4->sin_port;
	a6->sin6_addr.s6_addr[10] = 0xff;
	a6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&a6->sin6_addr.s6_addr[12], &a4->sin_addr, 4);
}

static uint16_t sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static bool sa_usable(const struct sockaddr *sa)
{
	return sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) && sa_port(sa);
}

/* ---- port pairs ---- */

/* A UDP socket bound to ip:port; dual-stack when ip is the IPv6 wildcard. */
static int bind_one(const struct sockaddr_storage *ip, unsigned port, int *fd)
{
	struct sockaddr_storage a = *ip;
	int off = 0, s;

	sa_set_port(&a, (uint16_t)port);
	s = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (a.ss_family == AF_INET6 &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0) {
		int err = -errno;
		close(s);
		return err;
	}
	if (bind(s, (struct sockaddr *)&a, ice_sa_len((struct sockaddr *)&a)) < 0) {
		int err = -errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

/* Binds RTP on an even port P and RTCP on P + 1 (RFC 3550 11) of [lo, hi], trying every
 * pair once from a rotating start; a pair with either port in use is skipped. */
static int pair_bind(const struct sockaddr_storage *ip, unsigned lo, unsigned hi, int fd[2],
		     uint16_t *port)
{
	unsigned first = (lo + 1u) & ~1u, pairs;

	if (first + 1 > hi || hi > 65535)
		return -EINVAL;
	pairs = (hi - first - 1) / 2 + 1;
	for (unsigned k = 0; k < pairs; k++) {
		unsigned p = first + 2 * ((next_pair + k) % pairs);
		int err = bind_one(ip, p, &fd[0]);

		if (err == -EADDRINUSE)
			continue;
		if (err)
			return err;
		err = bind_one(ip, p + 1, &fd[1]);
		if (err) {
			close(fd[0]);
			if (err == -EADDRINUSE)
				continue;
			return err;
		}
		next_pair = (next_pair + k + 1) % pairs;
		*port = (uint16_t)p;
		return 0;
	}
	return -EADDRINUSE;
}

/* ---- stamps and counters ---- */

static void stamp_once(struct media_relay *r, unsigned which)
{
	if (r->stamped[which])
		return;
	r->stamped[which] = true;
	stamp_emit(stamp_names[which], r->tag[0] ? json_pack("{s:s}", "call", r->tag) : NULL);
}

static void stamp_ice(struct media_relay *r, const char *ev, const char *detail)
{
	stamp_emit(ev, json_pack("{s:s,s:s}", "call", r->tag, "detail", detail ? detail : ""));
}

static void count_sent(struct media_relay *r, enum side to, unsigned comp, size_t len)
{
	if (to == PEER) {
		r->st.to_peer_pkts++;
		r->st.to_peer_bytes += len;
		r->st.rtcp_to_peer_pkts += comp == RTCP;
		if (comp == RTP)
			stamp_once(r, ST_TO_PEER);
		return;
	}
	r->st.to_client_pkts++;
	r->st.to_client_bytes += len;
	r->st.rtcp_to_client_pkts += comp == RTCP;
	if (comp == RTP)
		stamp_once(r, ST_TO_CLIENT);
}

/* ---- sending ---- */

static int try_send(struct msock *ms, const struct sockaddr *dst, const void *buf, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	struct sockaddr_storage d;
	int rc;

	if (ms->local.ss_family == AF_INET6)
		sa_for_v6(dst, &d);
	else
		memcpy(&d, dst, ice_sa_len(dst));
	rc = uv_udp_try_send(&ms->h, &b, 1, (const struct sockaddr *)&d);
	return rc < 0 ? rc : 0;
}

static void to_client(struct media_relay *r, unsigned comp, const uint8_t *buf, size_t len)
{
	const struct sockaddr *dst = (const struct sockaddr *)&r->client_addr[comp];

	if (!dst->sa_family) {
		r->st.drop_no_dest++;
		return;
	}
	if (try_send(&r->client[comp], dst, buf, len)) {
		r->st.drop_send++;
		return;
	}
	count_sent(r, CLIENT, comp, len);
}

static void to_peer(struct media_relay *r, unsigned comp, const uint8_t *buf, size_t len)
{
	const struct sockaddr *dst = (const struct sockaddr *)&r->peer_addr[comp];
	int rc;

	if (r->cfg.mode == MEDIA_ICE) {
		rc = r->agent ? ice_agent_send(r->agent, comp + 1, buf, len) : -ENOTCONN;
	} else if (!dst->sa_family) {
		rc = -ENOTCONN;
	} else {
		rc = try_send(&r->peer[comp], dst, buf, len);
	}
	if (rc == -ENOTCONN)
		r->st.drop_no_dest++;
	else if (rc)
		r->st.drop_send++;
	else
		count_sent(r, PEER, comp, len);
}

/* ---- receiving ---- */

/* Client side: the first source latches (RFC 4961 4, symmetric RTP); others are dropped. */
static void from_client(struct media_relay *r, unsigned comp, const struct sockaddr_storage *src,
			const uint8_t *buf, size_t len)
{
	if (!r->st.latched[comp]) {
		r->st.latched[comp] = true;
		r->client_addr[comp] = *src;
	} else if (!ice_sa_equal((const struct sockaddr *)src,
				 (const struct sockaddr *)&r->client_addr[comp])) {
		r->st.drop_client_foreign++;
		return;
	}
	if (comp == RTP)
		stamp_once(r, ST_FROM_CLIENT);
	to_peer(r, comp, buf, len);
}

/* The peer side's one legitimate source: the peer relay's address (hip mode) or the remote
 * candidate of the component's selected pair (ice mode). */
static bool from_the_peer(const struct media_relay *r, unsigned comp,
			  const struct sockaddr_storage *src)
{
	struct ice_cand lc, rc;
	struct sockaddr_storage a;

	if (r->cfg.mode == MEDIA_UDP)
		return ice_sa_equal((const struct sockaddr *)src,
				    (const struct sockaddr *)&r->peer_addr[comp]);
	if (!r->agent || ice_agent_selected(r->agent, comp + 1, &lc, &rc))
		return false;
	sa_norm((const struct sockaddr *)&rc.addr, &a);
	return ice_sa_equal((const struct sockaddr *)src, (const struct sockaddr *)&a);
}

static void from_peer(struct media_relay *r, unsigned comp, const uint8_t *buf, size_t len)
{
	if (comp == RTP)
		stamp_once(r, ST_FROM_PEER);
	to_client(r, comp, buf, len);
}

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct msock *ms = h->data;
	(void)size;

	*buf = uv_buf_init((char *)ms->r->buf, sizeof(ms->r->buf));
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct msock *ms = h->data;
	struct media_relay *r = ms->r;
	const uint8_t *data = (const uint8_t *)buf->base;
	struct sockaddr_storage src;

	if (n <= 0 || !from || (flags & UV_UDP_PARTIAL) || r->closing)
		return;
	if (ms->side == PEER && r->agent &&
	    ice_agent_input(r->agent, (const struct sockaddr *)&ms->local, from, data, (size_t)n))
		return; /* STUN for the agent (or TURN traffic of its relays) */
	sa_norm(from, &src);
	if (ms->side == CLIENT) {
		from_client(r, ms->comp, &src, data, (size_t)n);
		return;
	}
	if (!from_the_peer(r, ms->comp, &src)) {
		r->st.drop_foreign++;
		return;
	}
	from_peer(r, ms->comp, data, (size_t)n);
}

/* ---- sockets ---- */

static int isock_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	int rc = try_send(ctx, dst, buf, len);

	return rc == UV_EAGAIN ? -EAGAIN : rc;
}

static int msock_open(struct media_relay *r, struct msock *ms, enum side side, unsigned comp,
		      int fd)
{
	int len = sizeof(ms->local), rc;

	ms->r = r;
	ms->side = side;
	ms->comp = comp;
	ms->h.data = ms;
	rc = uv_udp_init(r->loop, &ms->h);
	if (rc) {
		close(fd);
		return rc;
	}
	ms->inited = true;
	r->open_handles++;
	rc = uv_udp_open(&ms->h, fd);
	if (rc) {
		close(fd);
		return rc;
	}
	rc = uv_udp_getsockname(&ms->h, (struct sockaddr *)&ms->local, &len);
	if (!rc)
		rc = uv_udp_recv_start(&ms->h, on_alloc, on_recv);
	ms->isock.send = isock_send;
	ms->isock.ctx = ms;
	ms->isock.local = ms->local;
	return rc;
}

static int side_open(struct media_relay *r, struct msock ms[2], enum side side,
		     const struct sockaddr_storage *ip)
{
	uint16_t port;
	int fd[2], err;

	err = pair_bind(ip, r->cfg.port_min, r->cfg.port_max, fd, &port);
	if (err)
		return err;
	err = msock_open(r, &ms[RTP], side, RTP, fd[0]);
	if (err) {
		close(fd[1]);
		return err;
	}
	return msock_open(r, &ms[RTCP], side, RTCP, fd[1]);
}

/* ---- ice mode ---- */

static void on_kick(uv_timer_t *t)
{
	struct media_relay *r = t->data;

	if (r->gathered_pending) {
		r->gathered_pending = false;
		if (r->cb.on_gathered)
			r->cb.on_gathered(r->arg);
	}
	if (r->closing || !r->state_pending)
		return;
	r->state_pending = false;
	if (r->cb.on_ice)
		r->cb.on_ice(r->arg, r->ice_state, r->reason[0] ? r->reason : NULL);
}

static void kick(struct media_relay *r)
{
	if (!r->closing)
		uv_timer_start(&r->kick, on_kick, 0, 0);
}

static void on_gathered(void *arg)
{
	struct media_relay *r = arg;

	stamp_ice(r, "media.ice.gather.done", NULL);
	r->gathered_pending = true;
	kick(r);
}

static void on_state(void *arg, enum ice_state s, const char *reason)
{
	struct media_relay *r = arg;

	if (s != ICE_CONNECTED && s != ICE_FAILED)
		return;
	r->ice_state = s;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	stamp_ice(r, s == ICE_CONNECTED ? "media.ice.done" : "media.ice.failed", reason);
	r->state_pending = true;
	kick(r);
}

/* Data a relay of the agent's own TURN allocation delivered: already the selected pair's. */
static void on_agent_data(void *arg, unsigned component, const uint8_t *data, size_t len)
{
	struct media_relay *r = arg;

	if (component == 1 || component == 2)
		from_peer(r, component - 1, data, len);
}

/* The agent's milestones as media.* stamps (checks start and end, role switches, trouble
 * with the servers). */
static void on_event(void *arg, const char *ev, const char *detail)
{
	char name[64];

	if (strncmp(ev, "ice.", 4) != 0)
		return;
	if (strncmp(ev, "ice.gather.", 11) == 0 && !strstr(ev, "failed") && !strstr(ev, "timeout"))
		return; /* media.ice.gather.start/done are ours */
	snprintf(name, sizeof(name), "media.%s", ev);
	stamp_ice(arg, name, detail);
}

static int ice_open(struct media_relay *r)
{
	static const struct ice_callbacks cb = {.on_gathered = on_gathered,
						.on_state = on_state,
						.on_data = on_agent_data,
						.on_event = on_event};
	struct ice_config c = {.controlling = r->cfg.controlling,
			       .components = 2, /* RFC 8445 5.1.1: RTP 1, RTCP 2 */
			       .ta_ms = r->cfg.ta_ms,
			       .stun = r->cfg.stun,
			       .turn = r->cfg.turn,
			       .turn_user = r->cfg.turn_user,
			       .turn_pass = r->cfg.turn_pass,
			       .keepalive_s = r->cfg.keepalive_s,
			       .consent_s = r->cfg.consent_s,
			       .software = "hipsip p2psipd media"};
	int err;

	err = ice_agent_new(r->loop, &c, &cb, r, &r->agent);
	if (!err)
		err = ice_agent_add_host(r->agent, 1, &r->peer[RTP].isock);
	if (!err)
		err = ice_agent_add_host(r->agent, 2, &r->peer[RTCP].isock);
	if (err)
		return err;
	r->ice_state = ICE_GATHERING;
	stamp_ice(r, "media.ice.gather.start", NULL);
	return ice_agent_gather(r->agent);
}

/* ---- the relay ---- */

static void finish(struct media_relay *r)
{
	void (*cb)(void *) = r->on_closed;
	void *arg = r->closed_arg;

	free(r);
	if (cb)
		cb(arg);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct media_relay *r;

	if (h->type == UV_TIMER)
		r = h->data;
	else
		r = ((struct msock *)h->data)->r;
	if (--r->open_handles == 0)
		finish(r);
}

void media_relay_close(struct media_relay *r, void (*on_closed)(void *arg), void *arg)
{
	struct msock *all[4] = {&r->client[RTP], &r->client[RTCP], &r->peer[RTP], &r->peer[RTCP]};

	r->closing = true;
	r->on_closed = on_closed;
	r->closed_arg = arg;
	if (r->agent)
		ice_agent_close(r->agent);
	r->agent = NULL;
	for (unsigned i = 0; i < 4; i++) {
		if (all[i]->inited)
			uv_close((uv_handle_t *)&all[i]->h, on_handle_closed);
	}
	if (r->kick_inited)
		uv_close((uv_handle_t *)&r->kick, on_handle_closed);
	if (r->open_handles == 0)
		finish(r);
}

static int config_take(struct media_relay *r, const struct media_config *cfg)
{
	r->cfg = *cfg;
	if (!cfg->port_min && !cfg->port_max) {
		r->cfg.port_min = MEDIA_PORT_MIN;
		r->cfg.port_max = MEDIA_PORT_MAX;
	}
	snprintf(r->tag, sizeof(r->tag), "%s", cfg->tag ? cfg->tag : "");
	r->cfg.tag = r->tag;
	if (cfg->mode == MEDIA_ICE && cfg->ice_host.ss_family != AF_INET &&
	    cfg->ice_host.ss_family != AF_INET6)
		return -EINVAL;
	return cfg->mode == MEDIA_UDP || cfg->mode == MEDIA_ICE ? 0 : -EINVAL;
}

static int relay_open(struct media_relay *r)
{
	struct sockaddr_storage lo = {0}, any = {0};
	int err;

	((struct sockaddr_in *)&lo)->sin_family = AF_INET;
	((struct sockaddr_in *)&lo)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	any.ss_family = AF_INET6; /* [::], dual-stack */
	r->kick.data = r;
	err = uv_timer_init(r->loop, &r->kick);
	if (err)
		return err;
	r->kick_inited = true;
	r->open_handles++;
	err = side_open(r, r->client, CLIENT, &lo);
	if (!err)
		err =
		    side_open(r, r->peer, PEER, r->cfg.mode == MEDIA_ICE ? &r->cfg.ice_host : &any);
	if (!err && r->cfg.mode == MEDIA_ICE)
		err = ice_open(r);
	return err;
}

int media_relay_new(uv_loop_t *loop, const struct media_config *cfg,
		    const struct media_callbacks *cb, void *arg, struct media_relay **out)
{
	struct media_relay *r = calloc(1, sizeof(*r));
	int err;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->arg = arg;
	if (cb)
		r->cb = *cb;
	err = config_take(r, cfg);
	if (!err)
		err = relay_open(r);
	if (err) {
		media_relay_close(r, NULL, NULL);
		return err;
	}
	*out = r;
	return 0;
}

void media_relay_client_addr(const struct media_relay *r, struct sockaddr_storage *rtp,
			     struct sockaddr_storage *rtcp)
{
	*rtp = r->client[RTP].local;
	*rtcp = r->client[RTCP].local;
}

void media_relay_peer_ports(const struct media_relay *r, uint16_t *rtp, uint16_t *rtcp)
{
	*rtp = sa_port((const struct sockaddr *)&r->peer[RTP].local);
	*rtcp = sa_port((const struct sockaddr *)&r->peer[RTCP].local);
}

int media_relay_set_client(struct media_relay *r, const struct sockaddr *rtp,
			   const struct sockaddr *rtcp)
{
	struct sockaddr_storage a, b;

	if (!sa_usable(rtp) || !sa_usable(rtcp))
		return -EINVAL;
	sa_norm(rtp, &a);
	sa_norm(rtcp, &b);
	if (a.ss_family != AF_INET || b.ss_family != AF_INET)
		return -EAFNOSUPPORT; /* our client side is 127.0.0.1 */
	r->client_addr[RTP] = a;
	r->client_addr[RTCP] = b;
	r->st.latched[RTP] = r->st.latched[RTCP] = false;
	return 0;
}

int media_relay_set_peer(struct media_relay *r, const struct sockaddr *rtp,
			 const struct sockaddr *rtcp)
{
	if (r->cfg.mode != MEDIA_UDP)
		return -EOPNOTSUPP;
	if (!sa_usable(rtp) || !sa_usable(rtcp))
		return -EINVAL;
	sa_norm(rtp, &r->peer_addr[RTP]);
	sa_norm(rtcp, &r->peer_addr[RTCP]);
	return 0;
}

int media_relay_ice_local(const struct media_relay *r, const char **ufrag, const char **pwd,
			  struct ice_cand *c, size_t cap)
{
	if (r->cfg.mode != MEDIA_ICE || !r->agent)
		return -EOPNOTSUPP;
	ice_agent_local_credentials(r->agent, ufrag, pwd);
	return (int)ice_agent_local_candidates(r->agent, c, cap);
}

int media_relay_ice_remote(struct media_relay *r, const char *ufrag, const char *pwd,
			   const struct ice_cand *c, size_t n)
{
	int err;

	if (r->cfg.mode != MEDIA_ICE || !r->agent)
		return -EOPNOTSUPP;
	err = ice_agent_set_remote(r->agent, ufrag, pwd, c, n);
	if (err)
		return err;
	stamp_ice(r, "media.ice.start", r->cfg.controlling ? "controlling" : "controlled");
	err = ice_agent_start(r->agent);
	if (!err && r->ice_state < ICE_CHECKING)
		r->ice_state = ICE_CHECKING;
	return err;
}

enum ice_state media_relay_ice_state(const struct media_relay *r)
{
	return r->cfg.mode == MEDIA_ICE ? r->ice_state : ICE_NEW;
}

void media_relay_stats(const struct media_relay *r, struct media_stats *out)
{
	*out = r->st;
}
