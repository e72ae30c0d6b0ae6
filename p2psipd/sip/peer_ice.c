/* The ICE flows of sip/peer in ice mode: per peer p2psipd one ice/ agent (1 component) on its
 * own UDP socket, set up by a P2PP Connect for a flow (overlay/flow.h), carrying SIP datagrams;
 * stamps sip.connect.* and sip.ice.*. Not SIP parsing and not the overlay's own links.
 *
 * Setup (RFC 8445 with the offer/answer in P2PP instead of SDP): the side with something to
 * send creates a controlling agent, gathers, sends its candidates in a Connect; the peer
 * creates a controlled agent, gathers, answers, starts its checks; the initiator starts its
 * checks on the answer. Datagrams wait in a short queue until the pair is nominated.
 * A second call to the same peer reuses the flow while it is up; a flow with no call and no
 * datagram for idle_ms is closed by each side (a call of ours with the peer keeps it: the
 * B2BUA touches it; the peer's side has the same call). */
#include "p2psipd/sip/peer_ice.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/stamp.h"
#include "ice/udp.h"
#include "p2psipd/link/link.h"

#define TICK_MS	       1000
#define PEER_DGRAM_MAX 65507
#define KEEPALIVE_S    15
#define CONSENT_S      5

enum flow_state {
	F_GATHERING, /* our agent gathers */
	F_OFFERED,   /* initiator: our Connect is out */
	F_CHECKING,  /* both offers known, checks run */
	F_UP,	     /* nominated: datagrams flow */
	F_DEAD,	     /* failed or idle: freed by the next kick */
};

struct qd {
	uint8_t *p;
	size_t len;
};

struct peer_flow {
	struct peer_flow *next;
	struct peer_ice *pi;
	struct chord_id peer;
	struct in6_addr hit;
	uint32_t id;
	bool controlling;
	enum flow_state state;
	struct ice_agent *agent;
	struct ice_udp *udp;
	struct qd q[PEER_ICE_QUEUE];
	unsigned nq;
	bool gathered, answered;       /* answered: our offer/answer went out */
	struct ovl_flow_offer *remote; /* responder: the offer, until our agent has gathered */
	uint64_t used_ms, start_ms;
};

static void kick(struct peer_ice *pi);

static uint64_t now_ms(const struct peer_ice *pi)
{
	return uv_now(pi->cfg.loop);
}

static void stamp_flow(const char *ev, const struct peer_flow *f, const char *detail)
{
	char hit[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &f->hit, hit, sizeof(hit));
	stamp_emit(ev, json_pack("{s:s,s:I,s:s,s:s}", "peer", hit, "flow", (json_int_t)f->id,
				 "role", f->controlling ? "initiator" : "responder", "detail",
				 detail ? detail : ""));
}

static void peer_addr(const struct peer_flow *f, struct sockaddr_storage *out)
{
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	a->sin6_family = AF_INET6;
	a->sin6_addr = f->hit;
	a->sin6_port = htons(f->pi->cfg.port);
}

static struct peer_flow *find(const struct peer_ice *pi, const struct chord_id *peer)
{
	for (struct peer_flow *f = pi->flows; f; f = f->next) {
		if (f->state != F_DEAD && chord_id_eq(&f->peer, peer))
			return f;
	}
	return NULL;
}

/* ---- the queue ---- */

static void q_drop(struct peer_flow *f)
{
	for (unsigned i = 0; i < f->nq; i++)
		free(f->q[i].p);
	f->pi->stats.dropped += f->nq;
	f->nq = 0;
}

static int q_add(struct peer_flow *f, const uint8_t *buf, size_t len)
{
	uint8_t *p;

	if (f->nq == PEER_ICE_QUEUE)
		return -ENOBUFS;
	p = malloc(len);
	if (!p)
		return -ENOMEM;
	memcpy(p, buf, len);
	f->q[f->nq].p = p;
	f->q[f->nq++].len = len;
	return 0;
}

static void q_flush(struct peer_flow *f)
{
	for (unsigned i = 0; i < f->nq; i++) {
		if (ice_agent_send(f->agent, 1, f->q[i].p, f->q[i].len) == 0)
			f->pi->stats.tx++;
		free(f->q[i].p);
	}
	f->nq = 0;
}

/* ---- one flow ---- */

static void flow_fail(struct peer_flow *f, const char *why)
{
	if (f->state == F_DEAD)
		return;
	log_info("sip ice flow %u: %s", (unsigned)f->id, why);
	stamp_flow(f->state == F_UP ? "sip.ice.closed" : "sip.ice.failed", f, why);
	if (f->state != F_UP)
		f->pi->stats.flows_failed++;
	f->state = F_DEAD;
	q_drop(f);
	kick(f->pi);
}

static void udp_free(struct ice_udp *u)
{
	free(u);
}

static void flow_free(struct peer_flow *f)
{
	q_drop(f);
	if (f->agent)
		ice_agent_close(f->agent);
	if (f->udp)
		ice_udp_close(f->udp, udp_free);
	free(f->remote);
	free(f);
}

static void deliver(struct peer_flow *f, const uint8_t *data, size_t len)
{
	struct sockaddr_storage from;

	if (f->state != F_UP && f->state != F_CHECKING)
		return;
	f->used_ms = now_ms(f->pi);
	f->pi->stats.rx++;
	peer_addr(f, &from);
	f->pi->recv(f->pi->arg, (const struct sockaddr *)&from, data, len);
}

static void on_agent_data(void *arg, unsigned component, const uint8_t *data, size_t len)
{
	(void)component;
	deliver(arg, data, len);
}

static void on_udp_data(void *arg, const struct sockaddr *from, const uint8_t *data, size_t len)
{
	(void)from;
	deliver(arg, data, len);
}

static void on_gathered(void *arg)
{
	struct peer_flow *f = arg;

	f->gathered = true;
	kick(f->pi); /* may run inside ice_agent_gather: the offer goes from the loop */
}

static void on_state(void *arg, enum ice_state s, const char *reason)
{
	struct peer_flow *f = arg;

	if (s == ICE_CONNECTED && f->state != F_UP && f->state != F_DEAD) {
		f->state = F_UP;
		f->used_ms = now_ms(f->pi);
		f->pi->stats.flows_up++;
		stamp_flow("sip.ice.done", f, NULL);
		q_flush(f);
		return;
	}
	if (s == ICE_FAILED)
		flow_fail(f, reason ? reason : "ICE failed");
}

static int flow_agent(struct peer_flow *f)
{
	static const struct ice_callbacks cb = {
	    .on_gathered = on_gathered, .on_state = on_state, .on_data = on_agent_data};
	struct peer_ice *pi = f->pi;
	struct link_servers sv;
	struct ice_config c = {.controlling = f->controlling,
			       .components = 1,
			       .ta_ms = pi->cfg.ta_ms,
			       .keepalive_s = KEEPALIVE_S,
			       .consent_s = CONSENT_S,
			       .software = "hipsip p2psipd"};
	int err;

	link_get_servers(ovl_link(pi->cfg.node), &sv);
	c.stun = sv.stun;
	c.turn = sv.turn;
	c.turn_user = sv.user[0] ? sv.user : NULL;
	c.turn_pass = sv.pass[0] ? sv.pass : NULL;
	f->udp = calloc(1, sizeof(*f->udp));
	if (!f->udp)
		return -ENOMEM;
	f->udp->on_data = on_udp_data;
	f->udp->arg = f;
	err = ice_udp_open(pi->cfg.loop, (const struct sockaddr *)&pi->cfg.host, f->udp);
	if (err) {
		f->udp = NULL; /* closed by ice_udp_open; libuv keeps the memory */
		return err;
	}
	err = ice_agent_new(pi->cfg.loop, &c, &cb, f, &f->agent);
	if (!err)
		err = ice_agent_add_host(f->agent, 1, &f->udp->sock);
	if (err)
		return err;
	f->udp->agent = f->agent;
	stamp_flow("sip.ice.gather.start", f, NULL);
	return ice_agent_gather(f->agent);
}

static struct peer_flow *flow_new(struct peer_ice *pi, const struct chord_id *peer, uint32_t id,
				  bool controlling)
{
	struct peer_flow *f;

	if (pi->n_flows >= PEER_ICE_MAX_FLOW || !(f = calloc(1, sizeof(*f))))
		return NULL;
	f->pi = pi;
	f->peer = *peer;
	chord_id_to_in6(&f->hit, peer);
	f->id = id;
	f->controlling = controlling;
	f->state = F_GATHERING;
	f->start_ms = f->used_ms = now_ms(pi);
	f->next = pi->flows;
	pi->flows = f;
	pi->n_flows++;
	stamp_flow("sip.connect.start", f, NULL);
	if (flow_agent(f)) {
		flow_fail(f, "cannot start an ICE agent");
		return NULL;
	}
	return f;
}

static void local_offer(const struct peer_flow *f, struct ovl_flow_offer *o)
{
	const char *ufrag, *pwd;

	memset(o, 0, sizeof(*o));
	ice_agent_local_credentials(f->agent, &ufrag, &pwd);
	snprintf(o->ufrag, sizeof(o->ufrag), "%s", ufrag);
	snprintf(o->pwd, sizeof(o->pwd), "%s", pwd);
	o->n = ice_agent_local_candidates(f->agent, o->c, OVL_FLOW_MAX_CANDS);
}

static int set_remote(struct peer_flow *f, const struct ovl_flow_offer *o)
{
	int err = ice_agent_set_remote(f->agent, o->ufrag, o->pwd, o->c, o->n);

	if (!err)
		err = ice_agent_start(f->agent);
	if (!err) {
		f->state = F_CHECKING;
		stamp_flow("sip.ice.start", f, NULL);
	}
	return err;
}

/* Initiator: the peer answered our Connect. */
static void on_answered(void *arg, int err, const struct ovl_flow_offer *answer)
{
	struct peer_flow *f = arg;

	if (f->state != F_OFFERED)
		return;
	if (err) {
		flow_fail(f, strerror(-err));
		return;
	}
	stamp_flow("sip.connect.done", f, NULL);
	if (set_remote(f, answer))
		flow_fail(f, "bad answer");
}

/* Our agent gathered: the offer (initiator) or the answer (responder) goes out. */
static void flow_gathered(struct peer_flow *f)
{
	struct ovl_node *n = f->pi->cfg.node;
	struct ovl_flow_offer o;
	int err;

	f->answered = true;
	local_offer(f, &o);
	stamp_flow("sip.ice.gather.done", f, NULL);
	if (f->controlling) {
		err = ovl_flow_connect(n, &f->peer, P2PP_FLOW_SIP, f->id, &o, on_answered, f);
		if (err)
			flow_fail(f, strerror(-err));
		else
			f->state = F_OFFERED;
		return;
	}
	err = f->remote ? set_remote(f, f->remote) : -EINVAL;
	ovl_flow_answer(n, &f->peer, f->id, err, err ? NULL : &o);
	if (err) {
		flow_fail(f, "bad offer");
		return;
	}
	stamp_flow("sip.connect.done", f, NULL);
}

/* ---- work left for the loop ---- */

static void on_kick(uv_timer_t *t)
{
	struct peer_ice *pi = t->data;
	struct peer_flow **pp = &pi->flows;

	while (*pp) {
		struct peer_flow *f = *pp;

		if (f->state == F_DEAD) {
			*pp = f->next;
			pi->n_flows--;
			ovl_flow_forget(pi->cfg.node, f);
			flow_free(f);
			continue;
		}
		if (f->gathered && !f->answered)
			flow_gathered(f); /* may mark f dead: freed on the next kick */
		pp = &f->next;
	}
}

static void kick(struct peer_ice *pi)
{
	if (pi->open)
		uv_timer_start(&pi->tick, on_kick, 0, 0);
}

/* The setup deadline and the idle close. */
static void on_tick(uv_timer_t *t)
{
	struct peer_ice *pi = t->data;
	unsigned idle = pi->cfg.idle_ms ? pi->cfg.idle_ms : PEER_ICE_IDLE_MS;
	uint64_t now = now_ms(pi);

	for (struct peer_flow *f = pi->flows; f; f = f->next) {
		if (f->state == F_UP && now - f->used_ms > idle) {
			pi->stats.flows_idle++;
			flow_fail(f, "idle");
		} else if (f->state != F_UP && f->state != F_DEAD && now - f->start_ms > 60000) {
			flow_fail(f, "setup timed out");
		}
	}
	on_kick(t);
	uv_timer_start(&pi->tick, on_tick, TICK_MS, 0);
}

/* ---- the responder ---- */

static int on_offer(void *arg, const struct chord_id *peer, uint32_t id,
		    const struct ovl_flow_offer *offer)
{
	struct peer_ice *pi = arg;
	struct peer_flow *f = find(pi, peer);

	if (f && !f->controlling && f->id == id) { /* a retry of the offer we are answering */
		if (f->state != F_GATHERING)
			f->answered = false; /* answer again (the first answer was lost) */
		kick(pi);
		return 0;
	}
	/* both sides started a flow: the one with the lower ID keeps its own */
	if (f && f->controlling && f->state != F_UP &&
	    memcmp(ovl_self(pi->cfg.node)->b, peer->b, CHORD_ID_BYTES) < 0)
		return -EBUSY;
	if (f) { /* the peer lost the old flow (or ours loses the collision): a new one */
		struct peer_flow *old = f;
		f = flow_new(pi, peer, id, false);
		if (f) { /* waiting datagrams move along */
			memcpy(f->q, old->q, sizeof(old->q));
			f->nq = old->nq;
			old->nq = 0;
		}
		old->state = F_DEAD;
		stamp_flow("sip.ice.closed", old, "replaced");
		kick(pi);
	} else {
		f = flow_new(pi, peer, id, false);
	}
	if (!f)
		return -ENOMEM;
	f->remote = malloc(sizeof(*f->remote));
	if (!f->remote) {
		flow_fail(f, "no memory");
		return -ENOMEM;
	}
	*f->remote = *offer;
	return 0;
}

/* ---- the API ---- */

int peer_ice_open(struct peer_ice *pi, const struct peer_ice_config *cfg, sip_peer_recv_fn recv,
		  void *arg)
{
	if (!cfg->node || !recv)
		return -EINVAL;
	memset(pi, 0, sizeof(*pi));
	pi->cfg = *cfg;
	pi->recv = recv;
	pi->arg = arg;
	if (RAND_bytes((unsigned char *)&pi->next_id, sizeof(pi->next_id)) != 1)
		pi->next_id = (uint32_t)uv_hrtime();
	uv_timer_init(cfg->loop, &pi->tick);
	pi->tick.data = pi;
	pi->open = true;
	uv_timer_start(&pi->tick, on_tick, TICK_MS, 0);
	ovl_flow_listen(cfg->node, P2PP_FLOW_SIP, on_offer, pi);
	return 0;
}

int peer_ice_send(struct peer_ice *pi, const struct sockaddr *dst, const uint8_t *buf, size_t len)
{
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)dst;
	struct chord_id peer;
	struct peer_flow *f;
	int err;

	if (!pi->open)
		return -EBADF;
	if (dst->sa_family != AF_INET6)
		return -EINVAL;
	if (len > PEER_DGRAM_MAX)
		return -EMSGSIZE;
	chord_id_from_in6(&peer, &a->sin6_addr);
	f = find(pi, &peer);
	if (!f)
		f = flow_new(pi, &peer, pi->next_id++, true);
	if (!f)
		return -ENOMEM;
	f->used_ms = now_ms(pi);
	if (f->state != F_UP)
		return q_add(f, buf, len);
	err = ice_agent_send(f->agent, 1, buf, len);
	if (!err)
		pi->stats.tx++;
	return err;
}

void peer_ice_touch(struct peer_ice *pi, const struct sockaddr *dst)
{
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)dst;
	struct chord_id peer;
	struct peer_flow *f;

	if (!pi->open || dst->sa_family != AF_INET6)
		return;
	chord_id_from_in6(&peer, &a->sin6_addr);
	f = find(pi, &peer);
	if (f && f->state == F_UP)
		f->used_ms = now_ms(pi);
}

static const char *state_name(enum flow_state s)
{
	static const char *const names[] = {"gathering", "offered", "checking", "up", "dead"};

	return names[s];
}

size_t peer_ice_flows(const struct peer_ice *pi, struct peer_ice_flow_info *out, size_t cap)
{
	uint64_t now = now_ms(pi);
	size_t n = 0;

	for (const struct peer_flow *f = pi->flows; f; f = f->next) {
		if (f->state == F_DEAD)
			continue;
		if (n < cap)
			out[n] = (struct peer_ice_flow_info){.hit = f->hit,
							     .id = f->id,
							     .initiator = f->controlling,
							     .state = state_name(f->state),
							     .age_ms = now - f->start_ms,
							     .idle_ms = now - f->used_ms};
		n++;
	}
	return n;
}

int peer_ice_close_flow(struct peer_ice *pi, const struct in6_addr *hit)
{
	struct chord_id peer;
	struct peer_flow *f;

	if (!pi->open)
		return -ENOENT;
	chord_id_from_in6(&peer, hit);
	f = find(pi, &peer);
	if (!f)
		return -ENOENT;
	flow_fail(f, "closed");
	return 0;
}

static void on_tick_closed(uv_handle_t *h)
{
	(void)h;
}

void peer_ice_close(struct peer_ice *pi)
{
	if (!pi->open)
		return;
	pi->open = false;
	ovl_flow_listen(pi->cfg.node, 0, NULL, NULL);
	while (pi->flows) {
		struct peer_flow *f = pi->flows;
		pi->flows = f->next;
		ovl_flow_forget(pi->cfg.node, f);
		flow_free(f);
	}
	pi->n_flows = 0;
	uv_close((uv_handle_t *)&pi->tick, on_tick_closed);
}
