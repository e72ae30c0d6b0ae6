/* The `ice` connection mode: one ICE agent (ice/, RFC 8445) and one UDP socket per overlay
 * link, set up by a P2PP Connect the overlay routes (link_offer/accept/answered), plus the
 * node's plain UDP socket for the bootstrap link and first contact. Not the Connect itself
 * (overlay/connect.c), not ICE (ice/).
 *
 * A link is "plain" when the peer's datagrams reached our plain socket directly (the
 * bootstrap peer, and at the bootstrap peer every joiner): the exception for a public
 * bootstrap peer. Every other peer gets an agent when link_resolve first asks for it:
 * gathering (host, srflx, relay with the configured or discovered servers), then
 * cfg.connect() has the overlay send our candidates in a Connect; the answer starts the
 * checks (initiator controlling). The address link_resolve gives for such a peer is the
 * link's own local socket address: unique on this host, and link_send maps it back to the
 * agent. Until the agent nominates a pair, datagrams for the peer wait in a bounded queue
 * (LINKQ_MAX, oldest dropped); on ICE failure or lost consent the queue is dropped, so the
 * overlay's transaction times out and its failure detection (chord_peer_failed) runs.
 *
 * Sockets come and go (a new attempt gets a new one, killed nodes' close), and the kernel
 * gives a new socket a port that was another's, while that one's peers still send there. So a
 * datagram counts as a link peer's only from one of its candidates' addresses, and the plain
 * socket takes only its plain peers', answers from where it sent, and strangers' Bootstrap. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/stamp.h"
#include "ice/ice.h"
#include "ice/udp.h"
#include "p2psipd/link/link_int.h"

#define RX_BUF		   65536
#define LINKQ_MAX	   32	 /* datagrams held per link while it is set up */
#define RETRY_MS	   3000	 /* after a failed link, before a new attempt */
#define IDLE_MS		   60000 /* a link to a non-neighbour unused this long is closed */
#define SETUP_MS	   20000 /* a link not up after this long has failed */
#define TICK_MS		   1000
#define RETIRED_MAX	   16	 /* closed link sockets remembered */
#define SENT_MAX	   8	 /* addresses the plain socket sent to that are no plain peer's */
#define PLAIN_KEEPALIVE_MS 15000 /* Binding indication to plain peers: keeps NAT bindings */
#define KEEPALIVE_S	   15	 /* RFC 8445 11 Tr */
#define CONSENT_S	   5	 /* RFC 7675: a check every ~5 s, lost after 30 s */

enum lstate { L_IDLE, L_GATHERING, L_OFFERED, L_CHECKING, L_UP, L_FAILED };

static const char *const lstate_names[] = {"idle",     "gathering", "connecting",
					   "checking", "up",	    "failed"};

struct qd {
	size_t len;
	uint8_t *buf;
};

struct ipeer {
	struct ice_link *li;
	struct chord_id id;
	enum lstate state;
	bool plain; /* its datagrams reach our plain socket: no ICE */
	struct sockaddr_storage plain_addr;
	bool neighbour;
	bool controlling;
	bool gathered, have_remote, notify; /* notify: tell the overlay (connect/answer) */
	bool close_agent;		    /* failed: close from the tick, not the callback */
	bool ran;	  /* an agent used the socket (it may hold a TURN allocation) */
	bool had_servers; /* its agent gathers from STUN/TURN servers */
	bool suspect;	  /* the overlay took it for dead: not ready until heard from */
	struct ice_udp *udp;
	struct ice_agent *agent;
	struct qd q[LINKQ_MAX];
	unsigned qn;
	uint64_t used_ms, retry_ms, start_ms, plain_ka_ms;
	char fail_reason[64];
};

struct ice_link {
	struct link *l;
	uv_udp_t udp; /* the plain socket */
	uv_timer_t tick, kick;
	unsigned handles;
	struct ipeer **peers;
	size_t n_peers;
	struct sockaddr_storage host; /* address the agents' sockets bind to (port 0) */
	struct sockaddr_storage stun, turn;
	char turn_user[128], turn_pass[128];
	bool closing;
	uint64_t hold_until_ms; /* no new agents before this (link_await_servers) */
	/* addresses of link sockets closed lately and whose link they were: what the overlay
	 * still sends there (retransmissions) goes to that peer's link now */
	struct {
		struct sockaddr_storage addr;
		struct ipeer *p;
	} retired[RETIRED_MAX];
	unsigned n_retired;
	/* where the plain socket sent datagrams without a plain peer there (the bootstrap peer
	 * before it answered): datagrams from these are expected */
	struct sockaddr_storage sent[SENT_MAX];
	unsigned n_sent;
	struct p2pp_msg peek; /* a datagram from a stranger, parsed to see what it is */
	uint8_t rx[RX_BUF];
};

static uint64_t now_ms(const struct ice_link *li)
{
	return uv_now(li->l->cfg.loop);
}

static void stamp_peer(const char *ev, const struct ipeer *p, const char *detail)
{
	char s[CHORD_ID_STRLEN];

	stamp_emit(ev, json_pack("{s:s,s:s}", "peer", chord_id_to_str(&p->id, s), "detail",
				 detail ? detail : ""));
}

/* ---- the table ---- */

static struct ipeer *find(const struct ice_link *li, const struct chord_id *id)
{
	for (size_t i = 0; i < li->n_peers; i++) {
		if (chord_id_eq(&li->peers[i]->id, id))
			return li->peers[i];
	}
	return NULL;
}

static struct ipeer *by_link_addr(const struct ice_link *li, const struct sockaddr *a)
{
	for (size_t i = 0; i < li->n_peers; i++) {
		struct ipeer *p = li->peers[i];
		if (p->udp && link_sa_eq((const struct sockaddr *)&p->udp->sock.local, a))
			return p;
	}
	for (unsigned i = 0; i < RETIRED_MAX && i < li->n_retired; i++) {
		if (link_sa_eq((const struct sockaddr *)&li->retired[i].addr, a))
			return li->retired[i].p;
	}
	return NULL;
}

static struct ipeer *get(struct ice_link *li, const struct chord_id *id)
{
	struct ipeer *p = find(li, id);

	if (p)
		return p;
	if (li->n_peers >= li->l->cfg.max_peers)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->li = li;
	p->id = *id;
	li->peers[li->n_peers++] = p;
	return p;
}

static void q_drop(struct ipeer *p)
{
	for (unsigned i = 0; i < p->qn; i++)
		free(p->q[i].buf);
	p->qn = 0;
}

static int q_add(struct ipeer *p, const void *buf, size_t len)
{
	uint8_t *c = malloc(len);

	if (!c)
		return -ENOMEM;
	memcpy(c, buf, len);
	if (p->qn == LINKQ_MAX) { /* the oldest goes: P2PP retransmits what matters */
		log_debug("ice link to %s (%s): queue full, oldest datagram dropped",
			  chord_id_to_str(&p->id, (char[CHORD_ID_STRLEN]){0}),
			  lstate_names[p->state]);
		free(p->q[0].buf);
		memmove(&p->q[0], &p->q[1], (LINKQ_MAX - 1) * sizeof(p->q[0]));
		p->qn--;
	}
	p->q[p->qn].buf = c;
	p->q[p->qn].len = len;
	p->qn++;
	return 0;
}

static void q_flush(struct ipeer *p)
{
	for (unsigned i = 0; i < p->qn; i++) {
		ice_agent_send(p->agent, 1, p->q[i].buf, p->q[i].len);
		free(p->q[i].buf);
	}
	p->qn = 0;
}

/* ---- one link's agent ---- */

static void udp_free(struct ice_udp *u)
{
	free(u);
}

/* The agent goes; the link's socket (its address is what the overlay sends to) stays until
 * the link layer closes, so that a new attempt keeps the address. */
static void agent_drop(struct ipeer *p)
{
	if (p->agent)
		ice_agent_close(p->agent);
	p->agent = NULL;
	if (p->udp)
		p->udp->agent = NULL;
	p->gathered = p->have_remote = p->notify = p->close_agent = false;
}

static void sock_drop(struct ipeer *p)
{
	struct ice_link *li = p->li;

	agent_drop(p);
	if (p->udp) {
		unsigned k = li->n_retired++ % RETIRED_MAX;
		log_debug(
		    "ice link to %s: socket %s closed",
		    chord_id_to_str(&p->id, (char[CHORD_ID_STRLEN]){0}),
		    link_addr_str((const struct sockaddr *)&p->udp->sock.local, (char[64]){0}, 64));
		li->retired[k].addr = p->udp->sock.local;
		li->retired[k].p = p;
		ice_udp_close(p->udp, udp_free);
	}
	p->udp = NULL;
	p->ran = false;
}

static void on_kick(uv_timer_t *t);

/* Work the callbacks leave for the loop: the overlay hears of a gathered agent, a failed
 * agent is closed (not from inside its own callback). */
static void kick(struct ice_link *li)
{
	if (!li->closing)
		uv_timer_start(&li->kick, on_kick, 0, 0);
}

static void link_failed(struct ipeer *p, const char *why)
{
	char s[CHORD_ID_STRLEN];

	if (p->state == L_FAILED)
		return;
	log_info("ice link to %s failed: %s", chord_id_to_str(&p->id, s), why);
	stamp_peer("ice.link.failed", p, why);
	snprintf(p->fail_reason, sizeof(p->fail_reason), "%s", why);
	p->state = L_FAILED;
	p->retry_ms = now_ms(p->li) + RETRY_MS;
	p->close_agent = true;
	q_drop(p);
	kick(p->li);
}

static void on_gathered(void *arg)
{
	struct ipeer *p = arg;

	p->gathered = true;
	p->notify = true;
	stamp_peer("ice.gather.done", p, NULL);
	kick(p->li); /* may run inside ice_agent_gather: the overlay hears of it from the loop */
}

static const char *pair_type(enum ice_cand_type a, enum ice_cand_type b);

static void on_state(void *arg, enum ice_state s, const char *reason)
{
	struct ipeer *p = arg;
	struct ice_cand lc, rc;

	if (s == ICE_CONNECTED && p->state != L_UP) {
		const char *t = "?";
		if (ice_agent_selected(p->agent, 1, &lc, &rc) == 0)
			t = pair_type(lc.type, rc.type);
		p->state = L_UP;
		p->used_ms = now_ms(p->li);
		stamp_peer("ice.link.up", p, t);
		q_flush(p);
		return;
	}
	if (s == ICE_FAILED)
		link_failed(p, reason ? reason : "ICE failed");
}

/* The agent's milestones worth a stamp with the peer: checks start and end, gathering
 * trouble (its own gather.done is stamped by on_gathered). */
static void on_event(void *arg, const char *ev, const char *detail)
{
	static const char *const stamped[] = {"ice.checks.start",	"ice.checks.done",
					      "ice.gather.stun_failed", "ice.gather.turn_failed",
					      "ice.gather.timeout",	"ice.role_switch"};

	for (unsigned i = 0; i < sizeof(stamped) / sizeof(stamped[0]); i++) {
		if (strcmp(ev, stamped[i]) == 0)
			stamp_peer(ev, arg, detail);
	}
}

static void deliver(struct ipeer *p, const uint8_t *data, size_t len)
{
	struct ice_link *li = p->li;

	if (p->state != L_UP && p->state != L_CHECKING)
		return;
	p->suspect = false;
	p->used_ms = now_ms(li);
	li->l->cfg.recv(li->l->cfg.arg, data, len, (const struct sockaddr *)&p->udp->sock.local);
}

static void on_agent_data(void *arg, unsigned component, const uint8_t *data, size_t len)
{
	(void)component;
	deliver(arg, data, len);
}

/* Data on a link's socket counts as the peer's only from one of its candidates' addresses.
 * Anything else was sent to an earlier socket whose port the kernel gave this one: a socket
 * closed for a new attempt, or a killed node's, whose peers send on over their links until
 * the overlay's T2 or consent gives up. Taken as the peer's, it would be answered over the
 * wrong link and routed as if that peer had sent it. */
static void on_udp_data(void *arg, const struct sockaddr *from, const uint8_t *data, size_t len)
{
	struct ipeer *p = arg;
	char a[64], b[64];

	if (!p->agent || !ice_agent_is_remote(p->agent, 1, from)) {
		log_debug("ice link to %s: %zu bytes on %s from %s, not the peer's: dropped",
			  chord_id_to_str(&p->id, (char[CHORD_ID_STRLEN]){0}), len,
			  link_addr_str((const struct sockaddr *)&p->udp->sock.local, a, sizeof(a)),
			  link_addr_str(from, b, sizeof(b)));
		return;
	}
	deliver(p, data, len);
}

static int sock_open(struct ipeer *p)
{
	struct ice_link *li = p->li;
	int err;

	if (p->udp)
		return 0;
	p->udp = calloc(1, sizeof(*p->udp));
	if (!p->udp)
		return -ENOMEM;
	p->udp->on_data = on_udp_data;
	p->udp->arg = p;
	err = ice_udp_open(li->l->cfg.loop, (const struct sockaddr *)&li->host, p->udp);
	if (err) /* ice_udp_open closed the handle; its memory stays with libuv (rare) */
		p->udp = NULL;
	else
		log_debug(
		    "ice link to %s: socket %s opened",
		    chord_id_to_str(&p->id, (char[CHORD_ID_STRLEN]){0}),
		    link_addr_str((const struct sockaddr *)&p->udp->sock.local, (char[64]){0}, 64));
	return err;
}

static int agent_new(struct ipeer *p, bool controlling)
{
	static const struct ice_callbacks cb = {.on_gathered = on_gathered,
						.on_state = on_state,
						.on_data = on_agent_data,
						.on_event = on_event};
	struct ice_link *li = p->li;
	struct ice_config c = {.controlling = controlling,
			       .components = 1,
			       .keepalive_s = KEEPALIVE_S,
			       .consent_s = CONSENT_S,
			       .ta_ms = li->l->cfg.ice_ta_ms,
			       .software = "hipsip p2psipd"};
	int err;

	/* a new attempt gets a new socket when the last one ran: the TURN server may still
	 * hold that 5-tuple's allocation (437, RFC 8656 7.2); queued datagrams move along */
	if (p->ran)
		sock_drop(p);
	agent_drop(p);
	c.stun = li->stun;
	c.turn = li->turn;
	c.turn_user = li->turn_user[0] ? li->turn_user : NULL;
	c.turn_pass = li->turn_pass[0] ? li->turn_pass : NULL;
	err = sock_open(p);
	if (err)
		return err;
	err = ice_agent_new(li->l->cfg.loop, &c, &cb, p, &p->agent);
	if (!err)
		err = ice_agent_add_host(p->agent, 1, &p->udp->sock);
	if (err) {
		agent_drop(p);
		return err;
	}
	p->udp->agent = p->agent;
	p->ran = true;
	p->had_servers = li->stun.ss_family || li->turn.ss_family;
	p->controlling = controlling;
	p->state = L_GATHERING;
	p->suspect = false;
	p->start_ms = p->used_ms = now_ms(li);
	stamp_peer("ice.link.connect.start", p, controlling ? "initiator" : "responder");
	err = ice_agent_gather(p->agent);
	if (err)
		agent_drop(p);
	return err;
}

/* ---- candidates <-> P2PP Address-Info (9.3.1) ---- */

static void to_p2pp(const struct ice_cand *c, struct p2pp_cand *o)
{
	memset(o, 0, sizeof(*o));
	o->foundation = link_p2pp_foundation(c->foundation);
	o->component = (uint8_t)c->component;
	o->priority = c->priority;
	o->transport = P2PP_TT_UDP;
	o->type = link_p2pp_cand_type(c->type);
	link_sa_to_p2pp((const struct sockaddr *)&c->addr, &o->addr);
	if (c->related.ss_family &&
	    link_sa_to_p2pp((const struct sockaddr *)&c->related, &o->rel) == 0)
		o->has_rel = 1;
}

static int creds_str(const struct p2pp_ice_cred *cr, char *ufrag, char *pwd)
{
	if (cr->ufrag.len < P2PP_UFRAG_MIN || cr->ufrag.len > ICE_UFRAG_MAX ||
	    cr->pwd.len < P2PP_PWD_MIN || cr->pwd.len > ICE_PWD_MAX)
		return -EINVAL;
	memcpy(ufrag, cr->ufrag.p, cr->ufrag.len);
	ufrag[cr->ufrag.len] = 0;
	memcpy(pwd, cr->pwd.p, cr->pwd.len);
	pwd[cr->pwd.len] = 0;
	return 0;
}

static int set_remote(struct ipeer *p, const struct p2pp_peer_info *pi,
		      const struct p2pp_ice_cred *cr)
{
	char ufrag[ICE_UFRAG_MAX + 1], pwd[ICE_PWD_MAX + 1];
	struct ice_cand c[P2PP_MAX_CANDS];
	size_t n = 0;
	int err;

	if (creds_str(cr, ufrag, pwd))
		return -EINVAL;
	for (unsigned i = 0; i < pi->n_cands && n < P2PP_MAX_CANDS; i++) {
		if (link_cand_from_p2pp(&pi->cands[i], &c[n]) == 0)
			n++;
	}
	if (n == 0)
		return -EINVAL;
	err = ice_agent_set_remote(p->agent, ufrag, pwd, c, n);
	if (!err)
		p->have_remote = true;
	return err;
}

/* ---- the plain socket ---- */

static bool is_stun(const uint8_t *b, size_t len)
{
	/* RFC 8489 5: two zero bits, the magic cookie */
	return len >= 20 && (b[0] & 0xc0) == 0 && b[4] == 0x21 && b[5] == 0x12 && b[6] == 0xa4 &&
	       b[7] == 0x42;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ice_link *li = h->data;

	(void)suggested;
	buf->base = (char *)li->rx;
	buf->len = sizeof(li->rx);
}

static bool plain_peer_at(const struct ice_link *li, const struct sockaddr *a)
{
	for (size_t i = 0; i < li->n_peers; i++) {
		const struct ipeer *p = li->peers[i];
		if (p->plain && link_sa_eq((const struct sockaddr *)&p->plain_addr, a))
			return true;
	}
	return false;
}

static bool sent_to(const struct ice_link *li, const struct sockaddr *a)
{
	for (unsigned i = 0; i < SENT_MAX && i < li->n_sent; i++) {
		if (link_sa_eq((const struct sockaddr *)&li->sent[i], a))
			return true;
	}
	return false;
}

static void note_sent(struct ice_link *li, const struct sockaddr *dst)
{
	struct sockaddr_storage *s;

	if (!link_sa_len(dst) || sent_to(li, dst) || plain_peer_at(li, dst))
		return;
	s = &li->sent[li->n_sent++ % SENT_MAX];
	memset(s, 0, sizeof(*s));
	memcpy(s, dst, link_sa_len(dst));
}

/* The plain socket takes datagrams from its plain peers, from where it sent some, and from
 * strangers only a Bootstrap request (how a plain link begins, at a bootstrap peer). Anything
 * else was sent to a link socket of another node (or a node gone) whose port the kernel gave
 * our plain socket: taken in, it would make its sender a plain peer at its link socket's
 * address, whose datagrams that link's node then takes for its own peer's. */
static bool plain_source_ok(struct ice_link *li, const struct sockaddr *from, const uint8_t *b,
			    size_t len)
{
	if (plain_peer_at(li, from) || sent_to(li, from))
		return true;
	return p2pp_parse(&li->peek, b, len) == 0 && li->peek.h.kind == P2PP_REQUEST &&
	       li->peek.h.type == P2PP_BOOTSTRAP;
}

static void on_plain_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
			  const struct sockaddr *from, unsigned flags)
{
	struct ice_link *li = u->data;
	const uint8_t *b = (const uint8_t *)buf->base;

	if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL))
		return;
	if (is_stun(b, (size_t)nread))
		return; /* a plain peer's keepalive */
	if (!plain_source_ok(li, from, b, (size_t)nread)) {
		log_debug(
		    "plain socket: %zd bytes from %s, no plain peer's and no Bootstrap: dropped",
		    nread, link_addr_str(from, (char[64]){0}, 64));
		return;
	}
	li->l->cfg.recv(li->l->cfg.arg, b, (size_t)nread, from);
}

/* A Binding indication (RFC 8489 3, 6.3.1 has no answer) keeps a NAT's binding towards a
 * plain peer (the bootstrap link) alive. */
static void plain_keepalive(struct ice_link *li, struct ipeer *p)
{
	uint8_t b[20] = {0x00, 0x11, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
	uv_buf_t ub = uv_buf_init((char *)b, sizeof(b));

	for (unsigned i = 8; i < 20; i++)
		b[i] = (uint8_t)(rand() & 0xff);
	uv_udp_try_send(&li->udp, &ub, 1, (const struct sockaddr *)&p->plain_addr);
	p->plain_ka_ms = now_ms(li);
}

/* ---- timers ---- */

static void notify(struct ice_link *li, struct ipeer *p)
{
	struct link_config *cfg = &li->l->cfg;
	int err = 0;

	p->notify = false;
	if (p->state != L_GATHERING || !p->agent)
		return;
	if (p->controlling) {
		p->state = L_OFFERED;
		err = cfg->connect ? cfg->connect(cfg->arg, &p->id) : -EOPNOTSUPP;
		if (err)
			link_failed(p, "no route for the Connect");
		return;
	}
	/* the responder: checks start now (remote candidates came with the Connect) */
	err = ice_agent_start(p->agent);
	p->state = err ? L_FAILED : L_CHECKING;
	if (cfg->answer)
		cfg->answer(cfg->arg, &p->id, err);
	if (err)
		link_failed(p, "checks cannot start");
}

static void on_kick(uv_timer_t *t)
{
	struct ice_link *li = t->data;

	for (size_t i = 0; i < li->n_peers && !li->closing; i++) {
		struct ipeer *p = li->peers[i];
		if (p->close_agent)
			agent_drop(p);
		else if (p->notify)
			notify(li, p);
	}
}

static bool retry_due(const struct ice_link *li, const struct ipeer *p);

static void tick_peer(struct ice_link *li, struct ipeer *p, uint64_t now)
{
	/* the overlay's neighbours keep a link: set up again once the last one failed */
	if (p->neighbour && !p->plain && retry_due(li, p) && agent_new(p, true))
		link_failed(p, "cannot start an agent");
	if (p->plain && now - p->plain_ka_ms >= PLAIN_KEEPALIVE_MS)
		plain_keepalive(li, p);
	if ((p->state == L_GATHERING || p->state == L_OFFERED || p->state == L_CHECKING) &&
	    now - p->start_ms > SETUP_MS)
		link_failed(p, "setup timed out");
	if (p->state == L_UP && !p->neighbour && now - p->used_ms > IDLE_MS) {
		stamp_peer("ice.link.idle", p, NULL);
		agent_drop(p);
		p->state = L_IDLE;
	}
	if ((p->state == L_FAILED || p->state == L_IDLE) && p->qn && retry_due(li, p) &&
	    agent_new(p, true))
		link_failed(p, "cannot start an agent");
}

static void on_tick(uv_timer_t *t)
{
	struct ice_link *li = t->data;
	uint64_t now = now_ms(li);

	for (size_t i = 0; i < li->n_peers; i++)
		tick_peer(li, li->peers[i], now);
	on_kick(&li->kick);
}

/* ---- open and close ---- */

static void handle_closed(uv_handle_t *h)
{
	struct ice_link *li = h->data;

	if (--li->handles)
		return;
	for (size_t i = 0; i < li->n_peers; i++)
		free(li->peers[i]);
	free(li->peers);
	free(li->l);
	free(li);
}

/* The address the links' sockets bind to: the --listen address, or the first IPv4 address
 * of an interface that is up and not loopback. */
static void pick_host(struct ice_link *li)
{
	const struct sockaddr_storage *ls = &li->l->local;
	uv_interface_address_t *ifs;
	int n;

	li->host = *ls;
	if (ls->ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&li->host;
		a->sin_port = 0;
		if (a->sin_addr.s_addr != htonl(INADDR_ANY))
			return;
	} else if (ls->ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&li->host;
		a->sin6_port = 0;
		if (!IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr))
			return;
	}
	if (uv_interface_addresses(&ifs, &n))
		return;
	for (int i = 0; i < n; i++) {
		if (ifs[i].is_internal || ifs[i].address.address4.sin_family != AF_INET)
			continue;
		memset(&li->host, 0, sizeof(li->host));
		memcpy(&li->host, &ifs[i].address.address4, sizeof(struct sockaddr_in));
		((struct sockaddr_in *)&li->host)->sin_port = 0;
		break;
	}
	uv_free_interface_addresses(ifs, n);
}

static int ice_open(struct link *l)
{
	struct ice_link *li = calloc(1, sizeof(*li));
	int len = sizeof(l->local);
	int err;

	if (!li)
		return -ENOMEM;
	li->peers = calloc(l->cfg.max_peers, sizeof(*li->peers));
	if (!li->peers) {
		free(li);
		return -ENOMEM;
	}
	li->l = l;
	uv_udp_init(l->cfg.loop, &li->udp);
	li->udp.data = li;
	err = uv_udp_bind(&li->udp, (const struct sockaddr *)&l->cfg.listen, 0);
	if (!err)
		err = uv_udp_getsockname(&li->udp, (struct sockaddr *)&l->local, &len);
	if (!err)
		err = uv_udp_recv_start(&li->udp, on_alloc, on_plain_recv);
	if (err) {
		/* link_open frees l; li goes with the handle's close callback */
		li->l = NULL;
		li->handles = 1;
		uv_close((uv_handle_t *)&li->udp, handle_closed);
		return err;
	}
	l->impl = li;
	li->handles = 3;
	uv_timer_init(l->cfg.loop, &li->tick);
	uv_timer_init(l->cfg.loop, &li->kick);
	li->tick.data = li->kick.data = li;
	uv_timer_start(&li->tick, on_tick, TICK_MS, TICK_MS);
	pick_host(li);
	return 0;
}

static void ice_close(struct link *l)
{
	struct ice_link *li = l->impl;

	li->closing = true;
	for (size_t i = 0; i < li->n_peers; i++) {
		sock_drop(li->peers[i]);
		q_drop(li->peers[i]);
	}
	uv_udp_recv_stop(&li->udp);
	uv_close((uv_handle_t *)&li->udp, handle_closed);
	uv_close((uv_handle_t *)&li->tick, handle_closed);
	uv_close((uv_handle_t *)&li->kick, handle_closed);
}

/* ---- link_ops ---- */

static int ice_send(struct link *l, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct ice_link *li = l->impl;
	struct ipeer *p = by_link_addr(li, dst);
	uv_buf_t b;
	int n;

	if (p) {
		p->used_ms = now_ms(li);
		if (p->state == L_UP)
			return ice_agent_send(p->agent, 1, buf, len);
		if (retry_due(li, p) && agent_new(p, true))
			link_failed(p, "cannot start an agent");
		/* held until the link is up; a failed link's wait ends in the overlay's T2 */
		return q_add(p, buf, len);
	}
	note_sent(li, dst);
	b = uv_buf_init((char *)buf, (unsigned)len);
	n = uv_udp_try_send(&li->udp, &b, 1, dst);
	if (n < 0)
		return n == UV_EAGAIN ? -EAGAIN : n;
	return 0;
}

static void ice_local_cands(const struct link *l, struct p2pp_peer_info *pi)
{
	link_plain_ops.local_cands(l, pi); /* the plain socket's host candidate */
}

static int ice_learn(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
		     const struct sockaddr *from)
{
	struct ice_link *li = l->impl;
	struct ipeer *p;

	(void)pi;
	if (!from || !link_sa_len(from) || by_link_addr(li, from))
		return find(li, peer) ? 0 : -ENOENT; /* relayed, or over the peer's ICE link */
	p = get(li, peer);
	if (!p)
		return -ENOMEM;
	/* first contact on the plain socket: that address reaches it (the bootstrap link) */
	for (size_t i = 0; i < li->n_peers; i++) {
		struct ipeer *o = li->peers[i];
		if (o != p && o->plain && link_sa_eq((struct sockaddr *)&o->plain_addr, from))
			o->plain = false; /* a restarted node took the address */
	}
	if (!p->plain) {
		p->plain_ka_ms = now_ms(li);
		log_debug("%s linked over the plain socket at %s",
			  chord_id_to_str(peer, (char[CHORD_ID_STRLEN]){0}),
			  link_addr_str(from, (char[64]){0}, 64));
	}
	memset(&p->plain_addr, 0, sizeof(p->plain_addr));
	memcpy(&p->plain_addr, from, link_sa_len(from));
	p->plain = true;
	return 0;
}

static bool retry_due(const struct ice_link *li, const struct ipeer *p)
{
	if (p->close_agent)
		return false; /* the failed agent is still to be closed */
	if (now_ms(li) < li->hold_until_ms)
		return false; /* servers are being looked up */
	return p->state == L_IDLE || (p->state == L_FAILED && now_ms(li) >= p->retry_ms);
}

static int ice_resolve(struct link *l, const struct chord_id *peer, struct sockaddr_storage *out)
{
	struct ice_link *li = l->impl;
	struct ipeer *p = get(li, peer);

	if (!p)
		return -ENOENT;
	if (p->plain) {
		*out = p->plain_addr;
		return 0;
	}
	if (sock_open(p))
		return -ENOENT;
	if (retry_due(li, p) && agent_new(p, true))
		link_failed(p, "cannot start an agent");
	p->used_ms = now_ms(li);
	*out = p->udp->sock.local;
	return 0;
}

static int ice_peer_of(const struct link *l, const struct sockaddr *from, struct chord_id *out)
{
	const struct ice_link *li = l->impl;
	const struct ipeer *p = by_link_addr(li, from);

	for (size_t i = 0; !p && i < li->n_peers; i++) {
		const struct ipeer *o = li->peers[i];
		if (o->plain && link_sa_eq((const struct sockaddr *)&o->plain_addr, from))
			p = o;
	}
	if (!p)
		return -ENOENT;
	*out = p->id;
	return 0;
}

static int ice_peer_cands(const struct link *l, const struct chord_id *peer,
			  struct p2pp_peer_info *pi)
{
	(void)l;
	(void)peer;
	(void)pi;
	return -ENOENT; /* peers are named by ID only: a link to them is set up by Connect */
}

static void ice_set_neighbours(struct link *l, const struct chord_id *ids, unsigned n)
{
	struct ice_link *li = l->impl;

	for (size_t i = 0; i < li->n_peers; i++)
		li->peers[i]->neighbour = false;
	for (unsigned j = 0; j < n; j++) {
		struct ipeer *p = find(li, &ids[j]);
		if (p)
			p->neighbour = true;
	}
}

static bool ice_ready(const struct link *l, const struct chord_id *peer)
{
	const struct ipeer *p = find(l->impl, peer);

	return p && (p->plain || (p->state == L_UP && !p->suspect));
}

static size_t ice_ready_peers(const struct link *l, struct chord_id *ids, size_t cap)
{
	const struct ice_link *li = l->impl;
	size_t k = 0;

	for (size_t i = 0; i < li->n_peers; i++) {
		const struct ipeer *p = li->peers[i];
		if (!p->plain && (p->state != L_UP || p->suspect))
			continue;
		if (k < cap)
			ids[k] = p->id;
		k++;
	}
	return k;
}

static int ice_offer(const struct link *l, const struct chord_id *peer, struct p2pp_peer_info *pi,
		     struct p2pp_ice_cred *cred)
{
	const struct ipeer *p = find(l->impl, peer);
	struct ice_cand c[P2PP_MAX_CANDS];
	const char *ufrag, *pwd;
	size_t n;

	if (!p || !p->agent || !p->gathered)
		return -ENOENT;
	n = ice_agent_local_candidates(p->agent, c, P2PP_MAX_CANDS);
	if (n > P2PP_MAX_CANDS)
		n = P2PP_MAX_CANDS;
	pi->n_cands = 0;
	for (size_t i = 0; i < n; i++)
		to_p2pp(&c[i], &pi->cands[pi->n_cands++]);
	ice_agent_local_credentials(p->agent, &ufrag, &pwd);
	cred->ufrag.p = (const uint8_t *)ufrag;
	cred->ufrag.len = strlen(ufrag);
	cred->pwd.p = (const uint8_t *)pwd;
	cred->pwd.len = strlen(pwd);
	return 0;
}

static int ice_accept(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
		      const struct p2pp_ice_cred *cred)
{
	struct ice_link *li = l->impl;
	struct ipeer *p = get(li, peer);
	int err;

	if (!p)
		return -ENOMEM;
	/* a collision: both sent Connect; the higher ID stays the initiator */
	if (p->controlling && (p->state == L_GATHERING || p->state == L_OFFERED) &&
	    chord_id_cmp(&l->cfg.self, peer) > 0)
		return -EBUSY;
	err = agent_new(p, false);
	if (!err)
		err = set_remote(p, pi, cred);
	if (err) {
		link_failed(p, "bad Connect");
		return err;
	}
	return 0;
}

static int ice_answered(struct link *l, const struct chord_id *peer, int err,
			const struct p2pp_peer_info *pi, const struct p2pp_ice_cred *cred)
{
	struct ice_link *li = l->impl;
	struct ipeer *p = find(li, peer);

	if (!p || !p->controlling || p->state != L_OFFERED)
		return -ENOENT; /* an old attempt's answer, or we became the responder */
	if (!err)
		err = set_remote(p, pi, cred);
	if (!err)
		err = ice_agent_start(p->agent);
	if (err) {
		char why[64];
		snprintf(why, sizeof(why), "Connect failed: %s", strerror(-err));
		link_failed(p, why);
		return err;
	}
	p->state = L_CHECKING;
	return 0;
}

static void ice_set_servers(struct link *l, const struct sockaddr_storage *stun,
			    const struct sockaddr_storage *turn, const char *user, const char *pass)
{
	struct ice_link *li = l->impl;

	memset(&li->stun, 0, sizeof(li->stun));
	memset(&li->turn, 0, sizeof(li->turn));
	if (stun)
		li->stun = *stun;
	if (turn)
		li->turn = *turn;
	snprintf(li->turn_user, sizeof(li->turn_user), "%s", user ? user : "");
	snprintf(li->turn_pass, sizeof(li->turn_pass), "%s", pass ? pass : "");
	li->hold_until_ms = 0;
	/* links we started without servers and that are not up yet start again with them
	 * (host candidates alone would only fail, slowly, between two NATs); the held-back
	 * ones start now */
	for (size_t i = 0; i < li->n_peers; i++) {
		struct ipeer *p = li->peers[i];
		if (!p->plain && p->agent && p->controlling && !p->had_servers &&
		    p->state != L_UP && agent_new(p, true))
			link_failed(p, "cannot start an agent");
	}
	on_tick(&li->tick);
}

static bool ice_has_servers(const struct link *l);

static void ice_await_servers(struct link *l, unsigned ms)
{
	struct ice_link *li = l->impl;

	if (ms && !ice_has_servers(l)) {
		li->hold_until_ms = now_ms(li) + ms;
		return;
	}
	if (li->hold_until_ms) { /* released: the links held back start now */
		li->hold_until_ms = 0;
		on_tick(&li->tick);
	}
}

static void ice_peer_failed(struct link *l, const struct chord_id *peer)
{
	struct ipeer *p = find(l->impl, peer);

	/* An up link stays at first (responses may still be on their way over it), but routing
	 * stops choosing it until the peer is heard from again. Taken for dead a second time
	 * without a word from it since, the path is gone, or the peer is a new instance with a
	 * new agent (a daemon restarted with its ID): the link is set up again at once rather
	 * than after consent's 30 s. A link still being set up goes on: the overlay's T2 ran
	 * while it waited. */
	if (!p || p->plain || p->state != L_UP)
		return;
	if (p->suspect) {
		link_failed(p, "no answer since it was taken for dead");
		return;
	}
	p->suspect = true;
	stamp_peer("ice.link.suspect", p, NULL);
}

static bool ice_has_servers(const struct link *l)
{
	const struct ice_link *li = l->impl;

	return li->stun.ss_family || li->turn.ss_family;
}

/* The selected pair's type: relay if either end is relayed, else reflexive (srflx before
 * prflx) if either is, else host. */
static const char *pair_type(enum ice_cand_type a, enum ice_cand_type b)
{
	static const enum ice_cand_type order[] = {ICE_RELAY, ICE_SRFLX, ICE_PRFLX};

	for (unsigned i = 0; i < 3; i++) {
		if (a == order[i] || b == order[i])
			return ice_cand_type_name(order[i]);
	}
	return ice_cand_type_name(ICE_HOST);
}

static void info_of(const struct ipeer *p, struct link_info *o)
{
	struct ice_cand lc, rc;

	memset(o, 0, sizeof(*o));
	o->peer = p->id;
	o->state = p->plain ? "plain" : lstate_names[p->state];
	o->pair = o->local_type = o->remote_type = "";
	if (p->plain) {
		o->addr = p->plain_addr;
		return;
	}
	if (p->state != L_UP || !p->agent || ice_agent_selected(p->agent, 1, &lc, &rc))
		return;
	o->pair = pair_type(lc.type, rc.type);
	o->local_type = ice_cand_type_name(lc.type);
	o->remote_type = ice_cand_type_name(rc.type);
	o->addr = rc.addr;
}

static size_t ice_list(const struct link *l, struct link_info *out, size_t cap)
{
	const struct ice_link *li = l->impl;
	size_t k = 0;

	for (size_t i = 0; i < li->n_peers; i++) {
		const struct ipeer *p = li->peers[i];
		if (!p->plain && p->state == L_IDLE)
			continue;
		if (k < cap)
			info_of(p, &out[k]);
		k++;
	}
	return k;
}

const struct link_ops link_ice_ops = {
    .name = "ice",
    .open = ice_open,
    .close = ice_close,
    .send = ice_send,
    .local_cands = ice_local_cands,
    .learn = ice_learn,
    .resolve = ice_resolve,
    .peer_of = ice_peer_of,
    .peer_cands = ice_peer_cands,
    .set_neighbours = ice_set_neighbours,
    .ready = ice_ready,
    .ready_peers = ice_ready_peers,
    .offer = ice_offer,
    .accept = ice_accept,
    .answered = ice_answered,
    .set_servers = ice_set_servers,
    .has_servers = ice_has_servers,
    .await_servers = ice_await_servers,
    .peer_failed = ice_peer_failed,
    .list = ice_list,
};
