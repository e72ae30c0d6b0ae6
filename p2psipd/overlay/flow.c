/* Connects for application flows: a P2PP Connect (draft-baset-p2psip-p2pp-01 8.16) with our
 * Flow object, routed recursively to the peer like a link's Connect, answered by the
 * application listening at the target. Not the links' Connects (connect.c) and not ICE.
 *
 * The offer's candidates are the Address-Info of the sender's Peer-Info (9.3.1) and its
 * credentials an ICE-Credentials object, as for links; the Flow object (App, Flow-ID) says
 * which flow, and the response echoes it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/link/link_int.h"
#include "p2psipd/overlay/ovl_int.h"

struct ovl_flow_req {
	uint8_t app;
	uint32_t id;
	struct ovl_flow_offer offer;
	ovl_flow_answered_fn cb;
	void *arg;
};

/* ---- candidates <-> P2PP Address-Info (9.3.1), component 1 ---- */

static int to_pi(struct ovl_node *n, const struct ovl_flow_offer *o, struct p2pp_peer_info *pi,
		 struct p2pp_ice_cred *cred)
{
	memset(pi, 0, sizeof(*pi));
	pi->has_id = 1;
	memcpy(pi->id, n->self_b, P2PP_ID_LEN);
	for (size_t i = 0; i < o->n && pi->n_cands < P2PP_MAX_CANDS; i++) {
		const struct ice_cand *c = &o->c[i];
		struct p2pp_cand *k = &pi->cands[pi->n_cands];

		memset(k, 0, sizeof(*k));
		k->foundation = link_p2pp_foundation(c->foundation);
		k->component = 1;
		k->priority = c->priority;
		k->transport = P2PP_TT_UDP;
		k->type = link_p2pp_cand_type(c->type);
		if (link_sa_to_p2pp((const struct sockaddr *)&c->addr, &k->addr))
			continue;
		if (c->related.ss_family &&
		    link_sa_to_p2pp((const struct sockaddr *)&c->related, &k->rel) == 0)
			k->has_rel = 1;
		pi->n_cands++;
	}
	cred->ufrag.p = (const uint8_t *)o->ufrag;
	cred->ufrag.len = strlen(o->ufrag);
	cred->pwd.p = (const uint8_t *)o->pwd;
	cred->pwd.len = strlen(o->pwd);
	return pi->n_cands ? 0 : -EINVAL;
}

/* The offer in m from peer: its first Peer-Info with peer's ID, ICE-Credentials, Flow. */
static int read_offer(const struct p2pp_msg *m, const struct chord_id *peer, struct p2pp_flow *flow,
		      struct ovl_flow_offer *out)
{
	struct p2pp_peer_info *pi = malloc(sizeof(*pi));
	const struct p2pp_obj *o = NULL;
	struct p2pp_ice_cred cred;
	struct chord_id x;
	int err = -EBADMSG;

	memset(out, 0, sizeof(*out));
	if (!pi)
		return -ENOMEM;
	if (p2pp_get_flow(m, p2pp_find(m, P2PP_O_FLOW, NULL), flow) ||
	    p2pp_get_ice_cred(m, p2pp_find(m, P2PP_O_ICE_CREDENTIALS, NULL), &cred) ||
	    cred.ufrag.len > ICE_UFRAG_MAX || cred.pwd.len > ICE_PWD_MAX)
		goto out;
	memcpy(out->ufrag, cred.ufrag.p, cred.ufrag.len);
	memcpy(out->pwd, cred.pwd.p, cred.pwd.len);
	while ((o = p2pp_find(m, P2PP_O_PEER_INFO, o)) != NULL) {
		if (p2pp_get_peer_info(m, o, pi) || ovl_pi_id(pi, &x) || !chord_id_eq(&x, peer))
			continue;
		for (unsigned i = 0; i < pi->n_cands && out->n < OVL_FLOW_MAX_CANDS; i++) {
			if (link_cand_from_p2pp(&pi->cands[i], &out->c[out->n]) == 0)
				out->n++;
		}
		err = out->n ? 0 : -EBADMSG;
		break;
	}
out:
	free(pi);
	return err;
}

/* ---- the initiator ---- */

int ovl_flow_connect(struct ovl_node *n, const struct chord_id *peer, uint8_t app, uint32_t id,
		     const struct ovl_flow_offer *offer, ovl_flow_answered_fn cb, void *arg)
{
	struct ovl_client *c;
	struct ovl_flow_req *f;

	if (n->state != OVL_JOINED)
		return -EAGAIN;
	if (!app || !offer->n || !cb)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	c = f ? ovl_client_new(n, P2PP_CONNECT, peer) : NULL;
	if (!c) {
		free(f);
		return -ENOMEM;
	}
	f->app = app;
	f->id = id;
	f->offer = *offer;
	f->cb = cb;
	f->arg = arg;
	c->flow = f;
	n->ctr.connects_sent++;
	return ovl_client_start(c);
}

void ovl_flow_forget(struct ovl_node *n, void *arg)
{
	for (struct ovl_client *c = n->clients; c; c = c->next) {
		if (c->flow && c->flow->arg == arg)
			c->flow->cb = NULL;
	}
}

int ovl_flow_build(struct ovl_client *c, size_t *len)
{
	struct ovl_node *n = c->n;
	struct p2pp_plookup pl = {.num = 1, .exact = 1};
	struct p2pp_flow fl = {c->flow->app, c->flow->id};
	struct p2pp_peer_info *pi = malloc(sizeof(*pi));
	struct p2pp_ice_cred cred;
	struct p2pp_builder b;
	struct p2pp_hdr h;
	int err = pi ? to_pi(n, &c->flow->offer, pi, &cred) : -ENOMEM;

	if (err) {
		free(pi);
		return err;
	}
	memcpy(pl.ida, c->key.b, P2PP_ID_LEN);
	ovl_hdr(n, &h, P2PP_REQUEST, P2PP_CONNECT, true);
	p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
	p2pp_put_peer_info(&b, pi);
	p2pp_put_plookup(&b, &pl);
	p2pp_put_ice_cred(&b, &cred);
	p2pp_put_flow(&b, &fl);
	free(pi);
	return p2pp_finish(&b, len);
}

void ovl_flow_done(struct ovl_client *c, int err, const struct p2pp_msg *resp)
{
	struct ovl_flow_req *f = c->flow;
	struct ovl_flow_offer *ans = malloc(sizeof(*ans));
	struct p2pp_flow fl;
	ovl_flow_answered_fn cb = f->cb;

	f->cb = NULL;
	if (!err && !resp)
		err = -EPROTO;
	if (!err && !ans)
		err = -ENOMEM;
	if (!err && (read_offer(resp, &c->key, &fl, ans) || fl.app != f->app || fl.id != f->id))
		err = -EPROTO;
	if (cb)
		cb(f->arg, err, err ? NULL : ans);
	free(ans);
}

void ovl_flow_free(struct ovl_client *c)
{
	free(c->flow);
	c->flow = NULL;
}

/* ---- the target ---- */

void ovl_flow_listen(struct ovl_node *n, uint8_t app, ovl_flow_accept_fn fn, void *arg)
{
	n->flow_app = app;
	n->flow_accept = fn;
	n->flow_arg = arg;
}

static struct ovl_op *pending(struct ovl_node *n, const struct chord_id *peer, uint32_t id)
{
	for (struct ovl_op *op = n->ops; op; op = op->next) {
		if (op->kind == OP_FLOW && op->flow_id == id && chord_id_eq(&op->peer, peer))
			return op;
	}
	return NULL;
}

/* Keeps the request until the application answers (it ACKed at once). */
static void keep(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from,
		 const struct chord_id *peer, uint32_t id)
{
	struct ovl_op *op;

	while ((op = pending(n, peer, id)) != NULL)
		ovl_op_free(op); /* a retry of the same offer replaces it */
	op = ovl_op_new(n, OP_FLOW);
	if (!op || !(op->req = malloc(m->len))) {
		if (op)
			ovl_op_free(op);
		return;
	}
	memcpy(op->req, m->buf, m->len);
	op->req_len = m->len;
	op->peer = *peer;
	op->has_peer = true;
	op->flow_id = id;
	memcpy(&op->from, from, link_sa_len(from));
	p2pp_txn_ack(&n->txns, m, from);
}

void ovl_on_flow_connect(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct ovl_flow_offer *offer = malloc(sizeof(*offer));
	const struct p2pp_obj *o = p2pp_find(m, P2PP_O_PLOOKUP, NULL);
	struct chord_id peer, key;
	struct p2pp_plookup pl;
	struct p2pp_flow fl;
	int err = offer ? 0 : -ENOMEM;

	memcpy(peer.b, m->h.src_id, P2PP_ID_LEN);
	if (!err && (!o || p2pp_get_plookup(m, o, &pl)))
		err = -EBADMSG;
	if (!err)
		memcpy(key.b, pl.ida, P2PP_ID_LEN);
	if (!err && !chord_id_eq(&key, &n->self)) {
		free(offer);
		ovl_respond_error(n, m, from, P2PP_NOT_FOUND, "no such peer");
		return;
	}
	if (!err)
		err = read_offer(m, &peer, &fl, offer);
	if (!err && (!n->flow_accept || fl.app != n->flow_app))
		err = -EPROTONOSUPPORT;
	if (!err) {
		keep(n, m, from, &peer, fl.id);
		n->ctr.connects_served++;
		err = n->flow_accept(n->flow_arg, &peer, fl.id, offer);
		if (err) {
			struct ovl_op *op = pending(n, &peer, fl.id);
			if (op)
				ovl_op_free(op);
		}
	}
	free(offer);
	if (err)
		ovl_respond_error(n, m, from, err == -EBADMSG ? P2PP_BAD_REQUEST : P2PP_REJECTED,
				  err == -EPROTONOSUPPORT ? "no such application" : strerror(-err));
}

int ovl_flow_answer(struct ovl_node *n, const struct chord_id *peer, uint32_t id, int err,
		    const struct ovl_flow_offer *answer)
{
	struct ovl_op *op = pending(n, peer, id);
	struct p2pp_peer_info *pi = malloc(sizeof(*pi));
	struct p2pp_msg *m = malloc(sizeof(*m));
	struct p2pp_ice_cred cred;
	struct p2pp_flow fl;
	struct p2pp_builder b;
	size_t len;

	if (!op || !pi || !m || p2pp_parse(m, op->req, op->req_len) ||
	    p2pp_get_flow(m, p2pp_find(m, P2PP_O_FLOW, NULL), &fl)) {
		free(pi);
		free(m);
		if (op)
			ovl_op_free(op);
		return op ? -ENOMEM : -ENOENT;
	}
	if (!err)
		err = answer ? to_pi(n, answer, pi, &cred) : -EINVAL;
	if (err) {
		ovl_respond_error(n, m, (struct sockaddr *)&op->from, P2PP_REJECTED,
				  strerror(-err));
	} else {
		ovl_resp_begin(n, &b, m, P2PP_OK);
		p2pp_put_peer_info(&b, pi);
		p2pp_put_ice_cred(&b, &cred);
		p2pp_put_flow(&b, &fl);
		if (p2pp_finish(&b, &len) == 0)
			p2pp_txn_respond(&n->txns, m, (struct sockaddr *)&op->from, n->buf, len);
	}
	free(pi);
	free(m);
	ovl_op_free(op);
	return 0;
}
