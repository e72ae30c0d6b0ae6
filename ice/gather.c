/* Candidate gathering for an ICE agent that owns its servers (RFC 8445 5.1.1):
 * a STUN Binding per host base for server-reflexive candidates, one TURN
 * allocation per component for a relayed one. Not the checks (agent.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ice/agent_int.h"
#include "ice/turn.h"

#define GATHER_TIMEOUT_MS 3000

static const struct stun_txn_timing binding_timing = {250, 5, 4};

static void gather_done_check(struct ice_agent *a)
{
	char n[16];

	if (a->gather_pending || a->state != ICE_GATHERING)
		return;
	uv_timer_stop(&a->gather);
	a->state = ICE_GATHERED;
	snprintf(n, sizeof(n), "%zu", a->n_locals);
	ice_agent_event(a, "ice.gather.done", n);
	if (a->cb.on_gathered)
		a->cb.on_gathered(a->arg);
}

static void add_srflx(struct ice_agent *a, const struct ice_host *h, const struct sockaddr *mapped,
		      const struct sockaddr *server)
{
	struct ice_cand c;

	if (ice_sa_equal(mapped, (const struct sockaddr *)&h->sock->local))
		return; /* no NAT: the same as the host candidate (5.1.3) */
	for (size_t i = 0; i < a->n_locals; i++)
		if (a->locals[i].type == ICE_SRFLX &&
		    ice_sa_equal((const struct sockaddr *)&a->locals[i].addr, mapped) &&
		    a->locals[i].component == h->component)
			return;
	if (ice_cand_srflx(&c, h->component, mapped, (const struct sockaddr *)&h->sock->local,
			   server, h->local_pref) == 0)
		ice_agent_add_candidate(a, &c, h->sock);
}

static void on_binding(void *arg, int err, const struct stun_msg *resp, const struct sockaddr *from)
{
	struct ice_host *h = arg;
	struct ice_agent *a = h->agent;
	struct sockaddr_storage mapped;

	h->binding = NULL;
	a->gather_pending--;
	if (!err && resp && resp->cls == STUN_SUCCESS &&
	    !stun_get_xor_addr(resp, stun_find(resp, STUN_A_XOR_MAPPED_ADDRESS), &mapped))
		add_srflx(a, h, (struct sockaddr *)&mapped, from);
	else
		ice_agent_event(a, "ice.gather.stun_failed", err ? "timeout" : "error response");
	gather_done_check(a);
}

static int send_binding(struct ice_agent *a, struct ice_host *h)
{
	uint8_t buf[128], tid[STUN_TID_LEN];
	struct stun_builder b;
	size_t len;
	int err;

	if (stun_new_tid(tid))
		return -EIO;
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put_fingerprint(&b);
	err = stun_finish(&b, &len);
	if (!err)
		err = stun_txn_start(&a->txns, h->sock, (const struct sockaddr *)&a->cfg.stun, buf,
				     len, &binding_timing, on_binding, h, &h->binding);
	if (!err)
		a->gather_pending++;
	return err;
}

static int relay_sock_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct ice_relay *r = ctx;
	int err;

	if (!r->allocated)
		return -ENOTCONN;
	err = turn_client_permit(r->tc, dst);
	if (err)
		return err;
	return turn_client_send(r->tc, dst, buf, len);
}

static void on_allocated(void *arg, int err, const struct sockaddr *relayed,
			 const struct sockaddr *mapped, const char *reason)
{
	struct ice_relay *r = arg;
	struct ice_agent *a = r->agent;
	struct ice_cand c;
	bool was_pending = !r->allocated && a->state == ICE_GATHERING;

	if (err) {
		r->allocated = false;
		ice_agent_event(a, "ice.gather.turn_failed", reason);
	} else if (!r->allocated) {
		r->allocated = true;
		memcpy(&r->sock.local, relayed, ice_sa_len(relayed));
		if (ice_cand_relay(&c, r->component, relayed, mapped,
				   (const struct sockaddr *)&a->cfg.turn, ICE_LOCALPREF_MAX) == 0)
			ice_agent_add_candidate(a, &c, &r->sock);
		for (size_t i = 0; i < a->n_hosts; i++)
			if (ice_sa_equal((const struct sockaddr *)&a->hosts[i].sock->local,
					 (const struct sockaddr *)&r->host))
				add_srflx(a, &a->hosts[i], mapped,
					  (const struct sockaddr *)&a->cfg.turn);
	}
	if (was_pending && a->gather_pending) {
		a->gather_pending--;
		gather_done_check(a);
	}
}

static void on_relay_data(void *arg, const struct sockaddr *peer, const uint8_t *data, size_t len)
{
	struct ice_relay *r = arg;
	struct ice_agent *a = r->agent;

	if (stun_looks_like(data, len) &&
	    ice_agent_stun_input(a, (const struct sockaddr *)&r->sock.local, peer, data, len))
		return;
	if (a->cb.on_data)
		a->cb.on_data(a->arg, r->component, data, len);
}

static int start_relay(struct ice_agent *a, const struct ice_host *h)
{
	static const struct turn_callbacks cb = {.on_allocated = on_allocated,
						 .on_data = on_relay_data};
	struct turn_config tc = {.user = a->turn_user, .pass = a->turn_pass};
	struct ice_relay *r;
	int err;

	if (a->n_relays == ICE_MAX_COMPONENTS)
		return -ENOSPC;
	r = &a->relays[a->n_relays];
	memset(r, 0, sizeof(*r));
	r->agent = a;
	r->component = h->component;
	r->host = h->sock->local;
	r->sock.send = relay_sock_send;
	r->sock.ctx = r;
	memcpy(&tc.server, &a->cfg.turn, sizeof(tc.server));
	err = turn_client_new(a->loop, h->sock, &tc, &cb, r, &r->tc);
	if (err)
		return err;
	a->n_relays++;
	err = turn_client_allocate(r->tc);
	if (!err)
		a->gather_pending++;
	return err;
}

static bool component_has_relay(const struct ice_agent *a, unsigned component)
{
	for (size_t i = 0; i < a->n_relays; i++)
		if (a->relays[i].component == component)
			return true;
	return false;
}

static void on_gather_timeout(uv_timer_t *t)
{
	struct ice_agent *a = t->data;

	if (a->state != ICE_GATHERING)
		return;
	for (size_t i = 0; i < a->n_hosts; i++)
		if (a->hosts[i].binding) {
			stun_txn_cancel(a->hosts[i].binding);
			a->hosts[i].binding = NULL;
		}
	ice_agent_event(a, "ice.gather.timeout", NULL);
	a->gather_pending = 0;
	gather_done_check(a);
}

int ice_gather_start(struct ice_agent *a)
{
	unsigned ms = a->cfg.gather_timeout_ms ? a->cfg.gather_timeout_ms : GATHER_TIMEOUT_MS;

	a->state = ICE_GATHERING;
	ice_agent_event(a, "ice.gather.start", NULL);
	for (size_t i = 0; i < a->n_hosts; i++) {
		struct ice_host *h = &a->hosts[i];

		if (a->cfg.stun.ss_family && send_binding(a, h))
			ice_agent_event(a, "ice.gather.stun_failed", "cannot send");
		if (a->cfg.turn.ss_family && !component_has_relay(a, h->component) &&
		    start_relay(a, h))
			ice_agent_event(a, "ice.gather.turn_failed", "cannot start");
	}
	uv_timer_start(&a->gather, on_gather_timeout, ms, 0);
	gather_done_check(a);
	return 0;
}

int ice_agent_gather(struct ice_agent *a)
{
	if (!a || a->state != ICE_NEW || !a->n_hosts)
		return -EINVAL;
	return ice_gather_start(a);
}

void ice_gather_stop(struct ice_agent *a)
{
	for (size_t i = 0; i < a->n_relays; i++)
		turn_client_close(a->relays[i].tc);
	a->n_relays = 0;
	uv_timer_stop(&a->gather);
}

/* A Binding message: never the TURN client's, which speaks only Allocate, Refresh,
 * CreatePermission, ChannelBind, Send and Data (RFC 8656 17). */
static bool is_binding(const uint8_t *buf, size_t len)
{
	struct stun_msg m;

	return stun_looks_like(buf, len) && stun_parse(&m, buf, len) == 0 &&
	       m.method == STUN_BINDING;
}

int ice_gather_input(struct ice_agent *a, const struct sockaddr *local, const uint8_t *buf,
		     size_t len, const struct sockaddr *from)
{
	if (!a->n_relays || !ice_sa_equal(from, (const struct sockaddr *)&a->cfg.turn))
		return 0;
	/* One server for STUN and TURN (coturn is both, the usual set-up): the
	 * response to the agent's Binding (RFC 8445 5.1.1.2) is the agent's, or the
	 * TURN client would swallow it and gathering would wait for its timeout. */
	if (is_binding(buf, len))
		return 0;
	for (size_t i = 0; i < a->n_relays; i++)
		if (ice_sa_equal(local, (const struct sockaddr *)&a->relays[i].host))
			return turn_client_input(a->relays[i].tc, buf, len, from);
	return 0;
}
