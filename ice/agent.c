/* The ICE agent (RFC 8445): connectivity checks paced by Ta, answers to the
 * peer's checks, role conflicts, regular nomination, keepalives and consent
 * (RFC 7675). Candidate gathering is in gather.c, pair logic in checklist.c. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice/agent_int.h"
#include "ice/ice.h"
#include "ice/turn.h"

#define TA_DEFAULT_MS 50
#define CHECK_RC      4 /* sends per check: 0, RTO, 3 RTO, 7 RTO; then Rm * RTO */
#define CHECK_RM      8
/* After the first valid pair the controlling agent waits for better pairs
 * that are still being checked for 2 round trips of that check (at least 2 Ta,
 * at most NOMINATE_WAIT_MAX_MS), then nominates the best valid pair anyway
 * (RFC 8445 8.1.1 leaves the stopping point to the agent). */
#define NOMINATE_WAIT_MAX_MS 500
#define RELAY_WAIT_MS	     500 /* one first-retransmission RTO of the peer's checks */
#define CONSENT_LOST_S	     30	 /* RFC 7675 5.1 */
#define MSG_MAX		     600

static const char *const state_names[] = {"new",       "gathering", "gathered", "checking",
					  "connected", "failed",    "closed"};

const char *ice_state_name(enum ice_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

enum ice_state ice_agent_state(const struct ice_agent *a)
{
	return a->state;
}

void ice_agent_event(struct ice_agent *a, const char *ev, const char *detail)
{
	if (a->cb.on_event)
		a->cb.on_event(a->arg, ev, detail);
}

static uint64_t now_ns(void)
{
	return uv_hrtime();
}

/* ---- sockets of local candidates ---- */

/* The socket that sends for a local base address (host or relayed). */
static const struct ice_sock *sock_for_base(const struct ice_agent *a, const struct ice_cand *base)
{
	for (size_t i = 0; i < a->n_locals; i++)
		if (ice_sa_equal((const struct sockaddr *)&a->locals[i].addr,
				 (const struct sockaddr *)&base->addr) &&
		    (a->locals[i].type == ICE_HOST || a->locals[i].type == ICE_RELAY))
			return a->local_sock[i];
	return NULL;
}

static const struct ice_sock *sock_for_pair(const struct ice_agent *a, const struct ice_pair *p)
{
	const struct ice_cand *base = ice_cl_base_of(a->cl, p->local);

	return base ? sock_for_base(a, base) : NULL;
}

/* ---- state ---- */

static void stop_timers(struct ice_agent *a)
{
	uv_timer_stop(&a->ta);
	uv_timer_stop(&a->nominate);
}

static void set_failed(struct ice_agent *a, const char *reason)
{
	if (a->state == ICE_FAILED || a->state == ICE_CLOSED)
		return;
	snprintf(a->reason, sizeof(a->reason), "%s", reason);
	a->state = ICE_FAILED;
	stop_timers(a);
	uv_timer_stop(&a->keepalive);
	ice_agent_event(a, "ice.failed", a->reason);
	if (a->cb.on_state)
		a->cb.on_state(a->arg, ICE_FAILED, a->reason);
}

static void on_keepalive(uv_timer_t *t);

static void set_connected(struct ice_agent *a)
{
	char detail[ICE_CAND_TEXT_MAX];
	struct ice_pair *p = ice_cl_selected(a->cl, 1);

	a->state = ICE_CONNECTED;
	uv_timer_stop(&a->ta);
	uv_timer_stop(&a->nominate);
	for (unsigned c = 1; c <= a->cfg.components; c++)
		a->consent_ns[c] = now_ns();
	snprintf(detail, sizeof(detail), "%s", p ? ice_cand_type_name(p->local->type) : "");
	ice_agent_event(a, "ice.checks.done", detail);
	unsigned every = a->cfg.consent_s ? a->cfg.consent_s : a->cfg.keepalive_s;
	if (a->cfg.keepalive_s && a->cfg.consent_s && a->cfg.keepalive_s < every)
		every = a->cfg.keepalive_s;
	if (every)
		uv_timer_start(&a->keepalive, on_keepalive, every * 1000ull, every * 1000ull);
	if (a->cb.on_state)
		a->cb.on_state(a->arg, ICE_CONNECTED, NULL);
}

/* After every event that can change the checklist. */
static void update_state(struct ice_agent *a)
{
	if (a->state != ICE_CHECKING)
		return;
	if (a->cl->state == ICE_CL_COMPLETED)
		set_connected(a);
	else if (a->cl->state == ICE_CL_FAILED)
		set_failed(a, "every candidate pair failed its connectivity check");
}

/* ---- building messages ---- */

static int build_check(struct ice_agent *a, const struct ice_pair *p, uint8_t *buf, size_t cap,
		       size_t *len)
{
	char user[2 * ICE_UFRAG_MAX + 2];
	uint8_t tid[STUN_TID_LEN];
	struct stun_builder b;

	if (stun_new_tid(tid))
		return -EIO;
	/* RFC 8445 7.2.2: "RFRAG:LFRAG", the peer's fragment first */
	snprintf(user, sizeof(user), "%s:%s", a->remote.ufrag, a->local.ufrag);
	stun_build_init(&b, buf, cap, STUN_BINDING, STUN_REQUEST, tid);
	stun_put_text(&b, STUN_A_USERNAME, user);
	if (a->software[0])
		stun_put_text(&b, STUN_A_SOFTWARE, a->software);
	stun_put_u32(&b, STUN_A_PRIORITY, ice_pair_check_priority(p));
	if (ice_pair_use_candidate(p))
		stun_put_flag(&b, STUN_A_USE_CANDIDATE);
	stun_put_u64(&b, a->controlling ? STUN_A_ICE_CONTROLLING : STUN_A_ICE_CONTROLLED,
		     a->tiebreaker);
	stun_put_integrity(&b, (const uint8_t *)a->remote.pwd, strlen(a->remote.pwd));
	stun_put_fingerprint(&b);
	return stun_finish(&b, len);
}

/* ---- our checks and their results ---- */

static void on_check_done(void *arg, int err, const struct stun_msg *resp,
			  const struct sockaddr *from);

static void check_free(struct ice_agent *a, struct ice_check *c)
{
	struct ice_check **pp = &a->checks;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	free(c);
}

static void send_check(struct ice_agent *a, struct ice_pair *p)
{
	uint8_t buf[MSG_MAX];
	size_t len;
	const struct ice_sock *s = sock_for_pair(a, p);
	struct stun_txn_timing t = {ice_cl_rto_ms(a->cl, a->cfg.ta_ms), CHECK_RC, CHECK_RM};
	struct ice_check *c = calloc(1, sizeof(*c));
	int err;

	if (!c || !s || build_check(a, p, buf, sizeof(buf), &len)) {
		free(c);
		ice_cl_check_failed(a->cl, p);
		return;
	}
	c->agent = a;
	c->pair = p;
	c->sent_ns = now_ns();
	c->use_candidate = ice_pair_use_candidate(p);
	c->next = a->checks;
	a->checks = c;
	err = stun_txn_start(&a->txns, s, (const struct sockaddr *)&p->remote->addr, buf, len, &t,
			     on_check_done, c, &c->txn);
	if (err) {
		check_free(a, c);
		ice_cl_check_failed(a->cl, p);
		return;
	}
	p->txn = c->txn;
}

static void arm_nomination(struct ice_agent *a, uint64_t rtt_ns);

/* carried: the answered request had USE-CANDIDATE. Controlling: a nomination that came after an
 * earlier check on the pair was sent (that check given up, 7.3.1.4, its late answer still counted)
 * nominates only through its own check: the peer must see USE-CANDIDATE (7.2.5.3.4, 8.1.1),
 * else the controlled side never concludes. The earlier answer validates the pair, and the
 * nomination is started again from the valid pair. */
static void check_succeeded(struct ice_agent *a, struct ice_pair *p, const struct stun_msg *resp,
			    const struct sockaddr *from, uint64_t rtt_ns, bool carried)
{
	struct sockaddr_storage mapped;
	struct ice_pair *valid = NULL;

	if (stun_check_integrity(resp, (const uint8_t *)a->remote.pwd, strlen(a->remote.pwd)) ||
	    stun_get_xor_addr(resp, stun_find(resp, STUN_A_XOR_MAPPED_ADDRESS), &mapped)) {
		ice_cl_check_failed(a->cl, p); /* 7.2.5.2: not a usable response */
		return;
	}
	if (a->controlling && !carried)
		p->use_candidate = false; /* controlled: the peer's nomination, kept (7.3.1.5) */
	if (ice_cl_check_succeeded(a->cl, p, from, (struct sockaddr *)&mapped, &valid) < 0)
		return;
	if (a->controlling && a->cl->state == ICE_CL_RUNNING) {
		ice_cl_nominate(a->cl, false);
		arm_nomination(a, rtt_ns);
	}
}

static void on_check_done(void *arg, int err, const struct stun_msg *resp,
			  const struct sockaddr *from)
{
	struct ice_check *c = arg;
	struct ice_agent *a = c->agent;
	struct ice_pair *p = c->pair;
	bool current = p->txn == c->txn;
	uint64_t rtt_ns = now_ns() - c->sent_ns;
	bool carried = c->use_candidate;
	int code = 0;
	const char *r;
	size_t rl;

	check_free(a, c);
	if (current)
		p->txn = NULL;
	if (err == -ECANCELED)
		return; /* given up by the checklist: no verdict (7.3.1.4) */
	if (!err && resp && resp->cls == STUN_SUCCESS) {
		check_succeeded(a, p, resp, from, rtt_ns, carried);
	} else if (!current) {
		return; /* a newer check on this pair decides */
	} else if (!err && resp &&
		   !stun_get_error(resp, stun_find(resp, STUN_A_ERROR_CODE), &code, &r, &rl) &&
		   code == 487) { /* 7.2.5.1: switch roles, check again */
		a->controlling = !a->controlling;
		ice_cl_set_role(a->cl, a->controlling);
		ice_cl_check_again(a->cl, p);
		ice_agent_event(a, "ice.role_switch",
				a->controlling ? "controlling" : "controlled");
	} else {
		ice_cl_check_failed(a->cl, p);
	}
	update_state(a);
}

static void on_ta(uv_timer_t *t)
{
	struct ice_agent *a = t->data;
	struct ice_pair *p = ice_cl_next(a->cl);

	if (p)
		send_check(a, p);
	update_state(a);
}

static bool relayed(const struct ice_pair *p)
{
	return p->local->type == ICE_RELAY || p->remote->type == ICE_RELAY;
}

/* Whether the best valid pair is relayed while a direct pair of higher
 * priority is still Waiting or In-Progress. A hole punch through an
 * address-filtering NAT often needs the peer's retransmitted check (one RTO
 * later), so the relay is settled for only after one more wait of an RTO. */
static bool direct_still_possible(const struct ice_agent *a)
{
	const struct ice_checklist *cl = a->cl;
	const struct ice_pair *best = NULL;

	for (size_t i = 0; i < cl->n_pairs; i++)
		if (cl->pairs[i].valid && (!best || cl->pairs[i].priority > best->priority))
			best = &cl->pairs[i];
	if (!best || !relayed(best))
		return false;
	for (size_t i = 0; i < cl->n_pairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];

		if (p->in_checklist && !relayed(p) && p->priority > best->priority &&
		    (p->state == ICE_PAIR_WAITING || p->state == ICE_PAIR_IN_PROGRESS))
			return true;
	}
	return false;
}

static void on_nominate(uv_timer_t *t)
{
	struct ice_agent *a = t->data;

	if (!a->controlling || a->cl->state != ICE_CL_RUNNING) {
		update_state(a);
		return;
	}
	if (!a->nominate_extended && direct_still_possible(a)) {
		a->nominate_extended = true;
		uv_timer_start(&a->nominate, on_nominate, RELAY_WAIT_MS, 0);
		return;
	}
	ice_cl_nominate(a->cl, true);
	/* a component without a valid pair yet (its check still under way) was skipped: its
	 * first success arms the wait again, else it would never be nominated */
	a->nominate_armed = false;
	a->nominate_extended = false;
	update_state(a);
}

/* The controlling agent nominates once checks settle, or after a short wait. */
static void arm_nomination(struct ice_agent *a, uint64_t rtt_ns)
{
	uint64_t ms = 2 * (rtt_ns / 1000000);

	if (a->nominate_armed)
		return;
	a->nominate_armed = true;
	if (ms < 2ull * a->cfg.ta_ms)
		ms = 2ull * a->cfg.ta_ms;
	if (ms > NOMINATE_WAIT_MAX_MS)
		ms = NOMINATE_WAIT_MAX_MS;
	uv_timer_start(&a->nominate, on_nominate, ms, 0);
}

/* RFC 8445 7.3.1.4: no more retransmissions, but a response still counts. */
static void on_cancel(void *user, struct ice_pair *p)
{
	(void)user;
	stun_txn_quiet(p->txn);
	p->txn = NULL;
}

/* ---- the peer's checks ---- */

static int send_response(struct ice_agent *a, const struct stun_msg *req,
			 const struct sockaddr *local, const struct sockaddr *to, int code)
{
	uint8_t buf[MSG_MAX];
	size_t len;
	struct stun_builder b;
	const struct ice_sock *s = NULL;
	int err;

	for (size_t i = 0; i < a->n_locals && !s; i++)
		if (ice_sa_equal((const struct sockaddr *)&a->locals[i].addr, local) &&
		    (a->locals[i].type == ICE_HOST || a->locals[i].type == ICE_RELAY))
			s = a->local_sock[i];
	if (!s)
		return -ENOENT;
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, code ? STUN_ERROR : STUN_SUCCESS,
			req->tid);
	if (code)
		stun_put_error(&b, code, code == 487 ? "Role Conflict" : "Bad Request");
	else
		stun_put_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, to);
	stun_put_integrity(&b, (const uint8_t *)a->local.pwd, strlen(a->local.pwd));
	stun_put_fingerprint(&b);
	err = stun_finish(&b, &len);
	return err ? err : s->send(s->ctx, to, buf, len);
}

/* 1 when the request's USERNAME is "LFRAG:RFRAG" for this agent (7.3). */
static int username_ours(const struct ice_agent *a, const struct stun_msg *m)
{
	const uint8_t *u;
	size_t ul, ll = strlen(a->local.ufrag), rl = strlen(a->remote.ufrag);

	if (stun_get_bytes(m, stun_find(m, STUN_A_USERNAME), &u, &ul) || ul <= ll ||
	    memcmp(u, a->local.ufrag, ll) != 0 || u[ll] != ':')
		return 0;
	if (!a->have_remote)
		return 1;
	return ul == ll + 1 + rl && memcmp(u + ll + 1, a->remote.ufrag, rl) == 0;
}

static int role_check(struct ice_agent *a, const struct stun_msg *m)
{
	uint64_t tb = 0;
	const struct stun_attr *ctl = stun_find(m, STUN_A_ICE_CONTROLLING);
	const struct stun_attr *ced = stun_find(m, STUN_A_ICE_CONTROLLED);

	if (ctl)
		stun_get_u64(m, ctl, &tb);
	else if (ced)
		stun_get_u64(m, ced, &tb);
	switch (ice_role_conflict(a->controlling, a->tiebreaker, ctl != NULL, ced != NULL, tb)) {
	case ICE_ROLE_SWITCH:
		a->controlling = !a->controlling;
		ice_cl_set_role(a->cl, a->controlling);
		ice_agent_event(a, "ice.role_switch",
				a->controlling ? "controlling" : "controlled");
		return 0;
	case ICE_ROLE_487:
		return 487;
	default:
		return 0;
	}
}

static int on_request(struct ice_agent *a, const struct stun_msg *m, const struct sockaddr *local,
		      const struct sockaddr *from)
{
	uint32_t prio = 0;
	int code;

	if (!username_ours(a, m))
		return 0; /* another agent's (hipd runs many on one socket) */
	if (stun_check_integrity(m, (const uint8_t *)a->local.pwd, strlen(a->local.pwd)))
		return 1; /* RFC 8489 9.1.3: a bad MESSAGE-INTEGRITY gets no answer from us */
	if (stun_get_u32(m, stun_find(m, STUN_A_PRIORITY), &prio)) {
		send_response(a, m, local, from, 400);
		return 1;
	}
	code = role_check(a, m);
	if (code) {
		send_response(a, m, local, from, code);
		return 1;
	}
	if (send_response(a, m, local, from, 0))
		return 1;
	if (a->state == ICE_FAILED || a->state == ICE_CLOSED)
		return 1;
	ice_cl_incoming_check(a->cl, local, from, prio, stun_find(m, STUN_A_USE_CANDIDATE) != NULL,
			      NULL);
	update_state(a);
	return 1;
}

/* A consent check (RFC 7675) on the selected pair was answered. */
static void on_consent(void *arg, int err, const struct stun_msg *resp, const struct sockaddr *from)
{
	struct ice_pair *p = arg;
	struct ice_agent *a = p->user;
	(void)from;

	if (!err && resp && resp->cls == STUN_SUCCESS &&
	    !stun_check_integrity(resp, (const uint8_t *)a->remote.pwd, strlen(a->remote.pwd)))
		a->consent_ns[p->component] = now_ns();
}

int ice_agent_stun_input(struct ice_agent *a, const struct sockaddr *local,
			 const struct sockaddr *from, const uint8_t *buf, size_t len)
{
	struct stun_msg m;

	if (stun_parse(&m, buf, len) || m.method != STUN_BINDING)
		return 0;
	if (m.cls == STUN_SUCCESS || m.cls == STUN_ERROR)
		return stun_txns_input(&a->txns, &m, from);
	if (m.cls == STUN_REQUEST)
		return on_request(a, &m, local, from);
	/* a Binding indication: a keepalive from the peer (RFC 8445 11) */
	for (size_t i = 0; a->cl && i < a->cl->n_remote; i++)
		if (ice_sa_equal((const struct sockaddr *)&a->cl->remote[i].addr, from))
			return 1;
	return 0;
}

/* ---- keepalives and consent ---- */

static void send_keepalive(struct ice_agent *a, struct ice_pair *p)
{
	uint8_t buf[64], tid[STUN_TID_LEN];
	struct stun_builder b;
	size_t len;
	const struct ice_sock *s = sock_for_pair(a, p);

	if (!s || stun_new_tid(tid))
		return;
	/* RFC 5770 5.3: a Binding indication with FINGERPRINT only */
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_INDICATION, tid);
	stun_put_fingerprint(&b);
	if (!stun_finish(&b, &len))
		s->send(s->ctx, (const struct sockaddr *)&p->remote->addr, buf, len);
}

static void send_consent(struct ice_agent *a, struct ice_pair *p)
{
	uint8_t buf[MSG_MAX];
	size_t len;
	const struct ice_sock *s = sock_for_pair(a, p);
	static const struct stun_txn_timing t = {500, 3, 4};

	if (!s || p->txn || build_check(a, p, buf, sizeof(buf), &len))
		return;
	p->user = a;
	stun_txn_start(&a->txns, s, (const struct sockaddr *)&p->remote->addr, buf, len, &t,
		       on_consent, p, NULL);
}

static void on_keepalive(uv_timer_t *t)
{
	struct ice_agent *a = t->data;
	uint64_t lost_ns =
	    (a->cfg.consent_timeout_s ? a->cfg.consent_timeout_s : CONSENT_LOST_S) * 1000000000ull;

	for (unsigned c = 1; c <= a->cfg.components; c++) {
		struct ice_pair *p = ice_cl_selected(a->cl, c);

		if (!p)
			continue;
		if (a->cfg.consent_s && now_ns() - a->consent_ns[c] > lost_ns) {
			set_failed(a, "consent lost: the selected pair went unanswered");
			return;
		}
		if (a->cfg.consent_s)
			send_consent(a, p);
		else
			send_keepalive(a, p);
	}
}

/* ---- API ---- */

static void init_timer(struct ice_agent *a, uv_timer_t *t)
{
	uv_timer_init(a->loop, t);
	t->data = a;
	a->open_handles++;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
	if (!src) {
		dst[0] = 0;
		return 0;
	}
	if (strlen(src) >= cap)
		return -EINVAL;
	strcpy(dst, src);
	return 0;
}

static int setup_credentials(struct ice_agent *a, const struct ice_config *cfg)
{
	if (!cfg->ufrag && !cfg->pwd)
		return ice_creds_new(&a->local);
	if (!cfg->ufrag || !cfg->pwd)
		return -EINVAL;
	if (ice_ufrag_parse(cfg->ufrag, strlen(cfg->ufrag), a->local.ufrag) ||
	    ice_pwd_parse(cfg->pwd, strlen(cfg->pwd), a->local.pwd))
		return -EINVAL;
	return 0;
}

static int setup(struct ice_agent *a, const struct ice_config *cfg)
{
	struct ice_cl_config clc = {
	    .controlling = cfg->controlling, .cancel = on_cancel, .user = a};

	if (cfg->components < 1 || cfg->components > ICE_MAX_COMPONENTS)
		return -EINVAL;
	if (setup_credentials(a, cfg) ||
	    copy_str(a->software, sizeof(a->software), cfg->software) ||
	    copy_str(a->turn_user, sizeof(a->turn_user), cfg->turn_user) ||
	    copy_str(a->turn_pass, sizeof(a->turn_pass), cfg->turn_pass))
		return -EINVAL;
	a->cfg = *cfg;
	a->cfg.ufrag = a->cfg.pwd = a->cfg.software = a->cfg.turn_user = a->cfg.turn_pass = NULL;
	if (!a->cfg.ta_ms)
		a->cfg.ta_ms = TA_DEFAULT_MS;
	a->controlling = cfg->controlling;
	a->tiebreaker = cfg->tiebreaker;
	if (!a->tiebreaker && RAND_bytes((uint8_t *)&a->tiebreaker, sizeof(a->tiebreaker)) != 1)
		return -EIO;
	a->cl = ice_cl_new(&clc);
	return a->cl ? 0 : -ENOMEM;
}

int ice_agent_new(uv_loop_t *loop, const struct ice_config *cfg, const struct ice_callbacks *cb,
		  void *arg, struct ice_agent **out)
{
	struct ice_agent *a;
	int err;

	if (!loop || !cfg || !out)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->loop = loop;
	a->arg = arg;
	if (cb)
		a->cb = *cb;
	err = setup(a, cfg);
	if (err) {
		ice_cl_free(a->cl);
		OPENSSL_cleanse(a, sizeof(*a));
		free(a);
		return err;
	}
	stun_txns_init(&a->txns, loop);
	init_timer(a, &a->ta);
	init_timer(a, &a->nominate);
	init_timer(a, &a->keepalive);
	init_timer(a, &a->gather);
	a->state = ICE_NEW;
	*out = a;
	return 0;
}

int ice_agent_add_candidate(struct ice_agent *a, const struct ice_cand *c,
			    const struct ice_sock *sock)
{
	int err;

	if (a->n_locals == ICE_MAX_LOCALS)
		return -ENOSPC;
	if (c->component < 1 || c->component > a->cfg.components)
		return -EINVAL;
	if (a->cfg.relay_only && c->type != ICE_RELAY)
		return 0; /* kept out of the offer and the checklist */
	err = ice_cl_add_local(a->cl, c);
	if (err)
		return err;
	a->locals[a->n_locals] = *c;
	a->local_sock[a->n_locals++] = sock;
	if (a->cb.on_candidate)
		a->cb.on_candidate(a->arg, c);
	return 0;
}

int ice_agent_add_local(struct ice_agent *a, const struct ice_cand *c, const struct ice_sock *sock)
{
	if (!a || !c || !sock || a->cl->started)
		return -EINVAL;
	return ice_agent_add_candidate(a, c, sock);
}

int ice_agent_add_host(struct ice_agent *a, unsigned component, const struct ice_sock *sock)
{
	struct ice_cand c;
	struct ice_host *h;
	int err;

	if (!a || !sock || a->n_hosts == ICE_MAX_HOSTS || a->cl->started)
		return -EINVAL;
	h = &a->hosts[a->n_hosts];
	h->agent = a;
	h->sock = sock;
	h->component = component;
	h->local_pref = ICE_LOCALPREF_MAX - (unsigned)a->n_hosts;
	err = ice_cand_host(&c, component, (const struct sockaddr *)&sock->local, h->local_pref);
	if (!err)
		err = ice_agent_add_candidate(a, &c, sock);
	if (!err)
		a->n_hosts++;
	return err;
}

size_t ice_agent_local_candidates(const struct ice_agent *a, struct ice_cand *out, size_t cap)
{
	size_t n = a->n_locals < cap ? a->n_locals : cap;

	memcpy(out, a->locals, n * sizeof(*out));
	return a->n_locals;
}

void ice_agent_local_credentials(const struct ice_agent *a, const char **ufrag, const char **pwd)
{
	*ufrag = a->local.ufrag;
	*pwd = a->local.pwd;
}

int ice_agent_set_remote(struct ice_agent *a, const char *ufrag, const char *pwd,
			 const struct ice_cand *c, size_t n)
{
	if (!a || !ufrag || !pwd || (n && !c) || a->cl->started)
		return -EINVAL;
	if (ice_ufrag_parse(ufrag, strlen(ufrag), a->remote.ufrag) ||
	    ice_pwd_parse(pwd, strlen(pwd), a->remote.pwd))
		return -EINVAL;
	a->have_remote = true;
	for (size_t i = 0; i < n; i++)
		if (c[i].component >= 1 && c[i].component <= a->cfg.components)
			ice_cl_add_remote(a->cl, &c[i]); /* duplicates and overflow are skipped */
	return 0;
}

/* Permissions on our own relays for every remote address (RFC 8445 6.1.2.6
 * does not cover it; TURN drops checks from unpermitted peers). */
static void permit_remotes(struct ice_agent *a)
{
	for (size_t r = 0; r < a->n_relays; r++) {
		if (!a->relays[r].allocated)
			continue;
		for (size_t i = 0; i < a->cl->n_remote; i++)
			turn_client_permit(a->relays[r].tc,
					   (const struct sockaddr *)&a->cl->remote[i].addr);
	}
}

int ice_agent_start(struct ice_agent *a)
{
	char n[64];
	int err;

	if (!a || !a->have_remote || a->state == ICE_CHECKING || a->state >= ICE_CONNECTED)
		return -EINVAL;
	err = ice_cl_start(a->cl);
	if (err)
		return err;
	permit_remotes(a);
	a->state = ICE_CHECKING;
	snprintf(n, sizeof(n), "%zu pairs, Ta %u ms", a->cl->n_pairs, a->cfg.ta_ms);
	ice_agent_event(a, "ice.checks.start", n);
	uv_timer_start(&a->ta, on_ta, 0, a->cfg.ta_ms);
	update_state(a);
	return 0;
}

int ice_agent_input(struct ice_agent *a, const struct sockaddr *local, const struct sockaddr *from,
		    const uint8_t *buf, size_t len)
{
	if (!a || a->closing || !buf)
		return 0;
	if (ice_gather_input(a, local, buf, len, from))
		return 1;
	if (!stun_looks_like(buf, len))
		return 0;
	return ice_agent_stun_input(a, local, from, buf, len);
}

int ice_agent_send(struct ice_agent *a, unsigned component, const void *buf, size_t len)
{
	struct ice_pair *p;
	const struct ice_sock *s;

	if (a->state != ICE_CONNECTED)
		return -ENOTCONN;
	p = ice_cl_selected(a->cl, component);
	s = p ? sock_for_pair(a, p) : NULL;
	if (!s)
		return -ENOTCONN;
	return s->send(s->ctx, (const struct sockaddr *)&p->remote->addr, buf, len);
}

bool ice_agent_is_remote(const struct ice_agent *a, unsigned component, const struct sockaddr *addr)
{
	for (size_t i = 0; a && a->cl && addr && i < a->cl->n_remote; i++) {
		const struct ice_cand *c = &a->cl->remote[i];
		if (c->component == component &&
		    ice_sa_equal((const struct sockaddr *)&c->addr, addr))
			return true;
	}
	return false;
}

int ice_agent_selected(const struct ice_agent *a, unsigned component, struct ice_cand *local,
		       struct ice_cand *remote)
{
	struct ice_pair *p = a->cl ? ice_cl_selected(a->cl, component) : NULL;
	const struct ice_cand *base;

	if (!p)
		return -ENOTCONN;
	base = ice_cl_base_of(a->cl, p->local);
	if (local) {
		*local = *p->local;
		if (base)
			local->base = base->addr;
	}
	if (remote)
		*remote = *p->remote;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct ice_agent *a = h->data;

	if (--a->open_handles > 0)
		return;
	ice_cl_free(a->cl);
	OPENSSL_cleanse(&a->local, sizeof(a->local));
	OPENSSL_cleanse(&a->remote, sizeof(a->remote));
	OPENSSL_cleanse(a->turn_pass, sizeof(a->turn_pass));
	free(a);
}

void ice_agent_close(struct ice_agent *a)
{
	if (!a || a->closing)
		return;
	a->closing = true;
	a->state = ICE_CLOSED;
	stun_txns_close(&a->txns); /* no callbacks from here on */
	while (a->checks)
		check_free(a, a->checks);
	ice_gather_stop(a);
	uv_close((uv_handle_t *)&a->ta, on_closed);
	uv_close((uv_handle_t *)&a->nominate, on_closed);
	uv_close((uv_handle_t *)&a->keepalive, on_closed);
	uv_close((uv_handle_t *)&a->gather, on_closed);
}
