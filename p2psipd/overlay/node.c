/* The overlay node's life: start, receive and dispatch, the timers of Chord upkeep (join,
 * stabilize, predecessor keep-alive, finger fixing), failures, graceful leave, close.
 * Not the routing of recursive requests (route.c) nor records (storage.c). */
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/stamp.h"
#include "p2psipd/overlay/ovl_int.h"

static void on_stab_timer(uv_timer_t *t);
static void send_stabilize(struct ovl_node *n);
static void send_leave_notices(struct ovl_node *n);

uint32_t ovl_new_tid(void)
{
	uint32_t v = 0;

	RAND_bytes((unsigned char *)&v, sizeof(v));
	return v;
}

uint64_t ovl_now(const struct ovl_node *n)
{
	(void)n;
	return (uint64_t)time(NULL);
}

const char *ovl_state_name(enum ovl_state s)
{
	static const char *const names[] = {"joining", "joined", "leaving", "left"};

	return (unsigned)s < 4 ? names[s] : "?";
}

enum ovl_state ovl_get_state(const struct ovl_node *n)
{
	return n->state;
}

const struct chord_ring *ovl_ring(const struct ovl_node *n)
{
	return &n->ring;
}

const struct chord_id *ovl_self(const struct ovl_node *n)
{
	return &n->self;
}

struct link *ovl_link(const struct ovl_node *n)
{
	return n->link;
}

const struct p2pp_txns *ovl_txns(const struct ovl_node *n)
{
	return &n->txns;
}

struct store *ovl_store(struct ovl_node *n)
{
	return &n->store;
}

const struct ovl_counters *ovl_get_counters(const struct ovl_node *n)
{
	return &n->ctr;
}

/* ---- transactions ---- */

struct ovl_op *ovl_op_new(struct ovl_node *n, enum ovl_op_kind kind)
{
	struct ovl_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->n = n;
	op->kind = kind;
	op->next = n->ops;
	if (n->ops)
		n->ops->prev = op;
	n->ops = op;
	return op;
}

void ovl_op_free(struct ovl_op *op)
{
	struct ovl_node *n = op->n;

	if (op->prev)
		op->prev->next = op->next;
	else
		n->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	free(op->req);
	free(op);
}

int ovl_op_send_addr(struct ovl_op *op, const struct sockaddr *dst, const uint8_t *msg, size_t len,
		     p2pp_txn_cb cb)
{
	int err = p2pp_txn_start(&op->n->txns, dst, msg, len, cb, op, &op->txn);

	if (err)
		ovl_op_free(op);
	return err;
}

int ovl_op_send(struct ovl_op *op, const struct chord_id *peer, const uint8_t *msg, size_t len,
		p2pp_txn_cb cb)
{
	struct sockaddr_storage dst;
	int err = link_resolve(op->n->link, peer, &dst);

	if (err) {
		ovl_op_free(op);
		return err;
	}
	op->peer = *peer;
	op->has_peer = true;
	return ovl_op_send_addr(op, (struct sockaddr *)&dst, msg, len, cb);
}

/* A response must follow its grammar (section 8) before we read it. */
static bool resp_ok(const struct p2pp_msg *resp, unsigned code)
{
	return resp && resp->h.code == code && p2pp_check_grammar(resp) == 0;
}

void ovl_learn_sender(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from,
		      bool direct)
{
	const struct p2pp_obj *o = p2pp_find(m, P2PP_O_PEER_INFO, NULL);
	struct p2pp_peer_info *pi;
	struct chord_id id;

	if (!o)
		return;
	pi = malloc(sizeof(*pi));
	if (!pi)
		return;
	if (p2pp_get_peer_info(m, o, pi) == 0 && ovl_pi_id(pi, &id) == 0 &&
	    !chord_id_eq(&id, &n->self))
		link_learn(n->link, &id, pi, direct ? from : NULL);
	free(pi);
}

int ovl_learn_peer(struct ovl_node *n, const struct chord_id *id, const struct p2pp_peer_info *pi)
{
	if (chord_id_eq(id, &n->self))
		return -EINVAL;
	return link_learn(n->link, id, pi, NULL);
}

/* ---- ring changes ---- */

static void push_neighbours(struct ovl_node *n)
{
	struct chord_id ids[CHORD_SUCC_MAX + 1 + CHORD_ID_BITS];
	unsigned k = chord_neighbours(&n->ring, ids, sizeof(ids) / sizeof(ids[0]));

	link_set_neighbours(n->link, ids, k);
}

/* A predecessor nearer than the old one joined: it takes the keys in (old, new]. */
static void hand_over(struct ovl_node *n, bool had_pred, const struct chord_id *old_pred)
{
	const struct chord_id *pred = &n->ring.pred;
	const struct chord_id *from = had_pred ? old_pred : &n->self;

	if (had_pred && !chord_in_open(pred, old_pred, &n->self))
		return; /* not a newcomer: the old one died or left */
	ovl_transfer(n, pred, from, pred, false);
}

void ovl_ring_changed(struct ovl_node *n, int chg, bool had_pred, const struct chord_id *old_pred)
{
	uint64_t now = ovl_now(n);

	if (chg <= 0)
		return;
	if ((chg & CHORD_CHG_PRED) && n->ring.has_pred && n->state == OVL_JOINED) {
		hand_over(n, had_pred, old_pred);
		/* (pred, self] is ours, promoting replicas whose primary died; the rest are
		 * replicas (we are the successor of whoever holds them now). */
		if (store_set_role(&n->store, &n->ring.pred, &n->self, true, now) > 0)
			n->replicate_due = true;
		store_set_role(&n->store, &n->self, &n->ring.pred, false, now);
	}
	if (chg & CHORD_CHG_SUCC)
		n->replicate_due = true;
	push_neighbours(n);
}

void ovl_peer_failed(struct ovl_node *n, const struct chord_id *peer)
{
	struct chord_id old_pred = n->ring.pred, old_succ = *chord_successor(&n->ring);
	bool had_pred = n->ring.has_pred;
	char s[CHORD_ID_STRLEN];
	int chg;

	if (chord_id_eq(peer, &n->self))
		return;
	link_peer_failed(n->link, peer);
	chg = chord_peer_failed(&n->ring, peer);
	if (chg <= 0)
		return;
	n->ctr.peer_failures++;
	log_info("%s: peer %s failed", n->name, chord_id_to_str(peer, s));
	ovl_ring_changed(n, chg, had_pred, &old_pred);
	if (!chord_id_eq(&old_succ, chord_successor(&n->ring)))
		send_stabilize(n); /* ask the new successor at once */
}

/* ---- join (4.4 "Join": Bootstrap, then Join to the admitting peer) ---- */

static void on_join_resp(void *arg, int err, const struct p2pp_msg *resp,
			 const struct sockaddr *from)
{
	struct ovl_op *op = arg;
	struct ovl_node *n = op->n;
	struct chord_id admit, pred, succ[CHORD_SUCC_MAX];
	unsigned nsucc = 0;
	bool has_pred;
	int chg;

	(void)from;
	ovl_op_free(op);
	n->join_busy = false;
	if (err || !resp_ok(resp, P2PP_OK) || n->state != OVL_JOINING) {
		log_warn("%s: join failed (%s), will retry", n->name,
			 err ? strerror(-err) : "bad answer");
		return;
	}
	memcpy(admit.b, resp->h.resp_id, P2PP_ID_LEN);
	ovl_learn_sender(n, resp, NULL, false);
	if (ovl_get_neighbors(n, resp, &has_pred, &pred, succ, &nsucc) ||
	    chord_id_eq(&admit, &n->self))
		return;
	chg = chord_join(&n->ring, &admit, succ, nsucc);
	if (chg < 0)
		return;
	n->state = OVL_JOINED;
	stamp_emit("overlay.join.done", json_pack("{s:s}", "node", n->name));
	log_info("%s: joined, successor %s", n->name, chord_id_to_str(&admit, (char[46]){0}));
	ovl_ring_changed(n, chg, false, NULL);
	send_stabilize(n);
}

static void send_join(struct ovl_node *n, const struct sockaddr *to)
{
	struct ovl_op *op = ovl_op_new(n, OP_JOIN);
	struct p2pp_peer_info pi;
	struct p2pp_builder b;
	struct p2pp_hdr h;
	size_t len;

	if (!op)
		return;
	/* 4.4: the Join goes to the peer responsible for our ID; we route it recursively
	 * through the bootstrap peer, keyed by our Source-ID. */
	ovl_hdr(n, &h, P2PP_REQUEST, P2PP_JOIN, true);
	p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
	ovl_self_info(n, &pi);
	p2pp_put_peer_info(&b, &pi);
	if (p2pp_finish(&b, &len)) {
		ovl_op_free(op);
		return;
	}
	if (ovl_op_send_addr(op, to, n->buf, len, on_join_resp))
		return;
	n->join_busy = true;
}

static void on_bootstrap_resp(void *arg, int err, const struct p2pp_msg *resp,
			      const struct sockaddr *from)
{
	struct ovl_op *op = arg;
	struct ovl_node *n = op->n;

	ovl_op_free(op);
	n->join_busy = false;
	if (err || !resp_ok(resp, P2PP_OK) || n->state != OVL_JOINING) {
		log_warn("%s: bootstrap peer did not answer (%s), will retry", n->name,
			 err ? strerror(-err) : "bad answer");
		return;
	}
	ovl_learn_sender(n, resp, from, true);
	send_join(n, from);
}

static void send_bootstrap(struct ovl_node *n)
{
	struct ovl_op *op = ovl_op_new(n, OP_BOOTSTRAP);
	struct p2pp_peer_info pi;
	struct p2pp_builder b;
	struct p2pp_hdr h;
	size_t len;
	int err;

	if (!op)
		return;
	stamp_emit("overlay.join.start", json_pack("{s:s}", "node", n->name));
	ovl_hdr(n, &h, P2PP_REQUEST, P2PP_BOOTSTRAP, false);
	p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
	ovl_self_info(n, &pi);
	p2pp_put_peer_info(&b, &pi);
	err = p2pp_finish(&b, &len);
	if (err) {
		ovl_op_free(op);
		return;
	}
	if (ovl_op_send_addr(op, (struct sockaddr *)&n->cfg.bootstrap, n->buf, len,
			     on_bootstrap_resp) == 0)
		n->join_busy = true;
}

/* 4.4 step 1: the bootstrap peer answers with itself, peers to start from and the overlay's
 * options (our IDs are HITs: no hash, 128 bits, Chord, base 2). */
static void on_bootstrap(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_p2p_options o = {.hash_alg = P2PP_HASH_NONE,
				     .hash_len = P2PP_ID_LEN,
				     .p2p_alg = P2PP_ALG_CHORD,
				     .base = 2};
	struct p2pp_peer_info pi;
	struct p2pp_builder b;
	size_t len;

	o.overlay_id.p = (const uint8_t *)OVL_OVERLAY_ID;
	o.overlay_id.len = strlen(OVL_OVERLAY_ID);
	ovl_learn_sender(n, m, from, true);
	ovl_resp_init(n, &b, m, P2PP_OK);
	ovl_peer_info(n, chord_successor(&n->ring), &pi); /* a bootstrap peer: ourselves or our
							     successor */
	p2pp_put_peer_info(&b, &pi);
	p2pp_put_p2p_options(&b, &o);
	if (p2pp_finish(&b, &len) == 0)
		p2pp_txn_respond(&n->txns, m, from, n->buf, len);
}

/* ---- stabilize: ExchangeTable to the successor, which also notifies it ---- */

static void on_stabilize_resp(void *arg, int err, const struct p2pp_msg *resp,
			      const struct sockaddr *from)
{
	struct ovl_op *op = arg;
	struct ovl_node *n = op->n;
	struct chord_id peer = op->peer, pred, succ[CHORD_SUCC_MAX], old_succ;
	unsigned nsucc = 0;
	bool has_pred;
	int chg;

	(void)from;
	ovl_op_free(op);
	n->stab_busy = false;
	if (n->state != OVL_JOINED)
		return;
	if (err == -ETIMEDOUT) {
		ovl_peer_failed(n, &peer);
		return;
	}
	if (err || !resp_ok(resp, P2PP_OK) || !chord_id_eq(&peer, chord_successor(&n->ring)))
		return;
	ovl_learn_sender(n, resp, from, true);
	if (ovl_get_neighbors(n, resp, &has_pred, &pred, succ, &nsucc))
		return;
	old_succ = *chord_successor(&n->ring);
	chg = chord_stabilize(&n->ring, has_pred ? &pred : NULL, succ, nsucc);
	ovl_ring_changed(n, chg, n->ring.has_pred, &n->ring.pred);
	if (!chord_id_eq(&old_succ, chord_successor(&n->ring)))
		send_stabilize(n); /* a nearer successor: notify it now */
}

static void send_stabilize(struct ovl_node *n)
{
	struct ovl_op *op;
	struct p2pp_peer_info pi;
	struct p2pp_builder b;
	struct p2pp_hdr h;
	size_t len;

	if (n->stab_busy || n->state != OVL_JOINED || chord_alone(&n->ring))
		return;
	op = ovl_op_new(n, OP_STABILIZE);
	if (!op)
		return;
	ovl_hdr(n, &h, P2PP_REQUEST, P2PP_EXCHANGE_TABLE, false);
	p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
	ovl_self_info(n, &pi);
	p2pp_put_peer_info(&b, &pi);
	p2pp_put_request_options(&b, P2PP_RO_NEIGHBOR_TABLE);
	if (p2pp_finish(&b, &len)) {
		ovl_op_free(op);
		return;
	}
	if (ovl_op_send(op, chord_successor(&n->ring), n->buf, len, on_stabilize_resp) == 0)
		n->stab_busy = true;
	else
		ovl_peer_failed(n, chord_successor(&n->ring)); /* no address for it */
}

/* ExchangeTable from a peer that thinks it precedes us (Chord notify), answered with our
 * predecessor and successor list (Chord stabilize's question). */
static void on_exchange(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct chord_id sender, old_pred = n->ring.pred;
	bool had_pred = n->ring.has_pred;
	struct p2pp_builder b;
	size_t len;

	ovl_learn_sender(n, m, from, true);
	memcpy(sender.b, m->h.src_id, P2PP_ID_LEN);
	if (n->state == OVL_JOINED)
		ovl_ring_changed(n, chord_notify(&n->ring, &sender), had_pred, &old_pred);
	ovl_resp_init(n, &b, m, P2PP_OK);
	ovl_put_neighbors(n, &b);
	if (p2pp_finish(&b, &len) == 0)
		p2pp_txn_respond(&n->txns, m, from, n->buf, len);
}

/* ---- predecessor keep-alive (8.6) ---- */

static void on_keepalive_resp(void *arg, int err, const struct p2pp_msg *resp,
			      const struct sockaddr *from)
{
	struct ovl_op *op = arg;
	struct ovl_node *n = op->n;
	struct chord_id peer = op->peer;

	(void)resp;
	(void)from;
	ovl_op_free(op);
	n->ka_busy = false;
	if (err == -ETIMEDOUT && n->state == OVL_JOINED)
		ovl_peer_failed(n, &peer);
}

static void send_keepalive(struct ovl_node *n)
{
	struct ovl_op *op;
	struct p2pp_peer_info pi;
	struct p2pp_builder b;
	struct p2pp_hdr h;
	size_t len;

	if (n->ka_busy || !n->ring.has_pred ||
	    chord_id_eq(&n->ring.pred, chord_successor(&n->ring)))
		return; /* a predecessor that is also our successor is checked by stabilize */
	op = ovl_op_new(n, OP_KEEPALIVE);
	if (!op)
		return;
	ovl_hdr(n, &h, P2PP_REQUEST, P2PP_KEEPALIVE, false);
	p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
	ovl_self_info(n, &pi);
	p2pp_put_peer_info(&b, &pi);
	p2pp_put_expires(&b, (n->cfg.stabilize_ms + 999) / 1000);
	if (p2pp_finish(&b, &len)) {
		ovl_op_free(op);
		return;
	}
	if (ovl_op_send(op, &n->ring.pred, n->buf, len, on_keepalive_resp) == 0)
		n->ka_busy = true;
}

static void on_keepalive(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_builder b;
	size_t len;

	ovl_learn_sender(n, m, from, true);
	if (m->h.kind != P2PP_REQUEST)
		return;
	ovl_resp_init(n, &b, m, P2PP_OK);
	p2pp_put_expires(&b, (n->cfg.stabilize_ms + 999) / 1000);
	if (p2pp_finish(&b, &len) == 0)
		p2pp_txn_respond(&n->txns, m, from, n->buf, len);
}

/* ---- leave (8.5): an indication; Peer-Info of the leaver, then for its successor its
 * predecessor, for its predecessor its successor list ---- */

static void on_leave(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct chord_id leaver, old_pred = n->ring.pred;
	bool had_pred = n->ring.has_pred;
	struct chord_leave lv = {0};
	struct p2pp_peer_info *pi = malloc(sizeof(*pi));
	const struct p2pp_obj *o = NULL;
	unsigned i = 0;

	if (!pi)
		return;
	(void)from;
	while ((o = p2pp_find(m, P2PP_O_PEER_INFO, o)) != NULL) {
		struct chord_id id;
		if (p2pp_get_peer_info(m, o, pi) || ovl_pi_id(pi, &id))
			break;
		if (i == 0) {
			leaver = id;
		} else {
			link_learn(n->link, &id, pi, NULL);
			if (i == 1) {
				lv.has_pred = true;
				lv.pred = id;
			}
			if (lv.nsucc < CHORD_SUCC_MAX)
				lv.succ[lv.nsucc++] = id;
		}
		i++;
	}
	free(pi);
	if (i == 0 || n->state != OVL_JOINED || chord_id_eq(&leaver, &n->self))
		return;
	ovl_ring_changed(n, chord_on_leave(&n->ring, &leaver, &lv), had_pred, &old_pred);
	send_stabilize(n);
}

/* One step of a graceful leave ended: the transfers first, then the Leave notices. */
void ovl_leave_step_done(struct ovl_node *n, int err)
{
	if (err && !n->leave_err)
		n->leave_err = err;
	if (n->leave_pending > 0)
		n->leave_pending--;
	if (n->leave_pending > 0 || n->state != OVL_LEAVING)
		return;
	if (!n->leave_notified) {
		n->leave_notified = true;
		if (!chord_alone(&n->ring))
			send_leave_notices(n);
		if (n->leave_pending > 0)
			return;
	}
	n->state = OVL_LEFT;
	if (n->leave_cb)
		n->leave_cb(n->leave_arg, n->leave_err);
}

static void on_leave_ack(void *arg, int err, const struct p2pp_msg *resp,
			 const struct sockaddr *from)
{
	struct ovl_op *op = arg;
	struct ovl_node *n = op->n;

	(void)resp;
	(void)from;
	ovl_op_free(op);
	ovl_leave_step_done(n, err);
}

static void send_leave_to(struct ovl_node *n, const struct chord_id *to, bool to_succ)
{
	struct ovl_op *op = ovl_op_new(n, OP_LEAVE);
	struct p2pp_peer_info pi;
	struct p2pp_builder b;
	struct p2pp_hdr h;
	size_t len;

	if (!op)
		return;
	ovl_hdr(n, &h, P2PP_INDICATION, P2PP_LEAVE, false);
	p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
	ovl_self_info(n, &pi);
	p2pp_put_peer_info(&b, &pi);
	if (to_succ && n->ring.has_pred) {
		ovl_peer_info(n, &n->ring.pred, &pi);
		p2pp_put_peer_info(&b, &pi);
	}
	for (unsigned i = 0; !to_succ && i < n->ring.nsucc; i++) {
		ovl_peer_info(n, &n->ring.succ[i], &pi);
		p2pp_put_peer_info(&b, &pi);
	}
	if (p2pp_finish(&b, &len)) {
		ovl_op_free(op);
		return;
	}
	n->leave_pending++;
	if (ovl_op_send(op, to, n->buf, len, on_leave_ack))
		n->leave_pending--;
}

static void send_leave_notices(struct ovl_node *n)
{
	send_leave_to(n, chord_successor(&n->ring), true);
	if (n->ring.has_pred && !chord_id_eq(&n->ring.pred, chord_successor(&n->ring)))
		send_leave_to(n, &n->ring.pred, false);
}

/* ---- timers ---- */

static void on_stab_timer(uv_timer_t *t)
{
	struct ovl_node *n = t->data;
	uint64_t now_ms = uv_now(n->loop);

	if (n->state == OVL_JOINING) {
		if (!n->join_busy)
			send_bootstrap(n);
		return;
	}
	if (n->state != OVL_JOINED)
		return;
	send_stabilize(n);
	send_keepalive(n);
	if (now_ms - n->replicate_last >= (uint64_t)OVL_REPLICATE_EVERY * n->cfg.stabilize_ms)
		n->replicate_due = true;
	if (n->replicate_due) {
		n->replicate_due = false;
		n->replicate_last = now_ms;
		ovl_replicate_all(n);
	}
}

static void on_fix_timer(uv_timer_t *t)
{
	struct ovl_node *n = t->data;
	struct ovl_client *c;
	struct chord_id start;
	unsigned i;

	if (n->state != OVL_JOINED)
		return;
	ovl_clients_tick(n);
	if (n->fix_busy || chord_alone(&n->ring))
		return;
	i = chord_fix_fingers_next(&n->ring, &start);
	c = ovl_client_new(n, P2PP_LOOKUP_PEER, &start);
	if (!c)
		return;
	c->finger = i;
	if (ovl_client_start(c) == 0)
		n->fix_busy = true;
}

static void on_tick_timer(uv_timer_t *t)
{
	struct ovl_node *n = t->data;

	store_expire(&n->store, ovl_now(n));
	if (n->state == OVL_JOINED)
		ovl_refresh_tick(n);
}

/* ---- dispatch ---- */

static void reject(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from,
		   unsigned code, const char *why)
{
	n->ctr.rx_bad++;
	if (m->h.kind == P2PP_REQUEST)
		ovl_respond_error(n, m, from, code, why);
}

static void dispatch(struct ovl_node *n, struct p2pp_msg *m, const struct sockaddr *from)
{
	switch (m->h.type) {
	case P2PP_BOOTSTRAP:
		on_bootstrap(n, m, from);
		return;
	case P2PP_EXCHANGE_TABLE:
		on_exchange(n, m, from);
		return;
	case P2PP_KEEPALIVE:
		on_keepalive(n, m, from);
		return;
	case P2PP_LEAVE:
		on_leave(n, m, from);
		return;
	case P2PP_REPLICATE:
	case P2PP_TRANSFER:
		ovl_on_replicate(n, m, from);
		return;
	case P2PP_REMOVE_OBJECT:
	case P2PP_LOOKUP_OBJECT:
		if (!m->h.recursive) { /* the receiver's own store only */
			if (m->h.type == P2PP_REMOVE_OBJECT)
				ovl_on_remove_replica(n, m, from);
			else
				ovl_on_lookup_local(n, m, from);
			return;
		}
		/* fall through */
	case P2PP_JOIN:
	case P2PP_LOOKUP_PEER:
	case P2PP_PUBLISH:
	case P2PP_CONNECT:
		if (m->h.kind != P2PP_REQUEST || !m->h.recursive) {
			reject(n, m, from, P2PP_BAD_REQUEST, "we route these recursively only");
			return;
		}
		ovl_route_request(n, m, from);
		return;
	default:
		reject(n, m, from, P2PP_BAD_REQUEST, "request type not supported");
	}
}

static void on_recv(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from)
{
	struct ovl_node *n = arg;
	struct p2pp_msg *m = n->rx;
	int r;

	n->ctr.rx++;
	r = p2pp_txns_input(&n->txns, buf, len, from, m);
	if (r == -ENOTSUP) {
		reject(n, m, from, P2PP_BAD_REQUEST, "unrecognized mandatory object");
		return;
	}
	if (r < 0)
		n->ctr.rx_bad++;
	if (r != P2PP_IN_NEW || n->state == OVL_LEFT)
		return;
	if (m->h.kind == P2PP_REQUEST && m->h.type != P2PP_BOOTSTRAP && !m->h.peer) {
		reject(n, m, from, P2PP_REJECTED, "clients are not served");
		return;
	}
	if (p2pp_check_grammar(m)) {
		reject(n, m, from, P2PP_BAD_REQUEST, "objects do not follow the grammar");
		return;
	}
	dispatch(n, m, from);
}

void ovl_input(struct ovl_node *n, const uint8_t *buf, size_t len, const struct sockaddr *from)
{
	on_recv(n, buf, len, from);
}

static int send_cb(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct ovl_node *n = ctx;

	return link_send(n->link, dst, buf, len);
}

/* ---- start and stop ---- */

static void apply_defaults(struct ovl_config *c)
{
	if (!c->stabilize_ms)
		c->stabilize_ms = 1000;
	if (!c->fix_ms)
		c->fix_ms = 500;
	if (!c->timing.t0_ms)
		c->timing.t0_ms = p2pp_timing_default.t0_ms;
	if (!c->timing.t2_ms)
		c->timing.t2_ms = p2pp_timing_default.t2_ms;
	/* T3 covers the hops after the next one, each of which may wait T2 for a dead hop
	 * before trying another: longer than the draft's 5 s default by that much. */
	if (!c->timing.t3_ms)
		c->timing.t3_ms = 3 * c->timing.t2_ms;
	if (!c->timing.keep_ms)
		c->timing.keep_ms = c->timing.t2_ms + c->timing.t3_ms;
	if (!c->succ_len)
		c->succ_len = CHORD_SUCC_DEFAULT;
	if (!c->replicas)
		c->replicas = OVL_REPLICAS_DEFAULT;
	if (!c->max_records)
		c->max_records = 4096;
}

static void timer_start(struct ovl_node *n, uv_timer_t *t, unsigned ms)
{
	uv_timer_init(n->loop, t);
	t->data = n;
	n->handles++;
	if (ms)
		uv_timer_start(t,
			       t == &n->stab_timer  ? on_stab_timer
			       : t == &n->fix_timer ? on_fix_timer
						    : on_tick_timer,
			       ms, ms);
}

static void node_free(struct ovl_node *n)
{
	free(n->rx);
	free(n->buf);
	free(n);
}

static int node_init(struct ovl_node *n, const struct ovl_config *cfg)
{
	struct link_config lc = {
	    .loop = cfg->loop,
	    .mode = cfg->mode,
	    .listen = cfg->listen,
	    .recv = on_recv,
	    .arg = n,
	    .hip = cfg->hip,
	    .connect = ovl_connect_send,
	    .answer = ovl_connect_answer,
	};
	struct p2pp_sock s = {.send = send_cb, .ctx = n};
	int err;

	n->cfg = *cfg;
	apply_defaults(&n->cfg);
	n->loop = cfg->loop;
	chord_id_from_in6(&n->self, &cfg->id->hit);
	lc.hip.hit = cfg->id->hit;
	if (!lc.hip.overlay)
		lc.hip.overlay = OVL_OVERLAY_ID;
	memcpy(n->self_b, n->self.b, P2PP_ID_LEN);
	if (cfg->name)
		snprintf(n->name, sizeof(n->name), "%s", cfg->name);
	else
		chord_id_to_str(&n->self, n->name);
	n->rx = malloc(sizeof(*n->rx));
	n->buf = malloc(OVL_MSG_MAX);
	if (!n->rx || !n->buf)
		return -ENOMEM;
	err = chord_ring_init(&n->ring, &n->self, n->cfg.succ_len);
	if (!err)
		err = store_init(&n->store, n->cfg.max_records);
	if (err)
		return err;
	lc.self = n->self;
	lc.ice_ta_ms = n->cfg.ice_ta_ms;
	err = link_open(&lc, &n->link);
	if (err) {
		store_free(&n->store);
		return err;
	}
	p2pp_txns_init(&n->txns, n->loop, &s, n->self_b, 1, &n->cfg.timing, 4096);
	return 0;
}

int ovl_start(const struct ovl_config *cfg, struct ovl_node **out)
{
	struct ovl_node *n;
	int err;

	*out = NULL;
	if (!cfg || !cfg->loop || !cfg->id)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	err = node_init(n, cfg);
	if (err) {
		node_free(n);
		return err;
	}
	n->start_ns = uv_hrtime();
	n->replicate_last = uv_now(n->loop);
	n->state = n->cfg.has_bootstrap ? OVL_JOINING : OVL_JOINED;
	timer_start(n, &n->stab_timer, n->cfg.stabilize_ms);
	timer_start(n, &n->fix_timer, n->cfg.fix_ms);
	timer_start(n, &n->tick_timer, 1000);
	timer_start(n, &n->kick_timer, 0);
	if (n->cfg.has_bootstrap)
		send_bootstrap(n);
	*out = n;
	return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct ovl_node *n = h->data;

	if (--n->handles == 0)
		node_free(n);
}

void ovl_close(struct ovl_node *n)
{
	if (!n)
		return;
	n->state = OVL_LEFT;
	ovl_clients_cancel(n);
	p2pp_txns_close(&n->txns);
	while (n->ops)
		ovl_op_free(n->ops);
	ovl_pubs_free(n);
	store_free(&n->store);
	link_close(n->link);
	uv_close((uv_handle_t *)&n->stab_timer, on_timer_closed);
	uv_close((uv_handle_t *)&n->fix_timer, on_timer_closed);
	uv_close((uv_handle_t *)&n->tick_timer, on_timer_closed);
	uv_close((uv_handle_t *)&n->kick_timer, on_timer_closed);
}

static void on_leave_start(uv_timer_t *t)
{
	struct ovl_node *n = t->data;

	uv_timer_stop(t);
	n->leave_pending++;
	if (!chord_alone(&n->ring))
		n->leave_pending += ovl_transfer(n, chord_successor(&n->ring), NULL, NULL, true);
	ovl_leave_step_done(n, 0);
}

int ovl_leave(struct ovl_node *n, ovl_done_fn cb, void *arg)
{
	if (n->state == OVL_LEAVING || n->state == OVL_LEFT)
		return -EALREADY;
	n->state = OVL_LEAVING;
	n->leave_cb = cb;
	n->leave_arg = arg;
	ovl_clients_cancel(n);
	uv_timer_stop(&n->fix_timer);
	uv_timer_stop(&n->tick_timer);
	uv_timer_stop(&n->kick_timer);
	/* the transfers start from the loop, so that cb never runs inside this call */
	uv_timer_start(&n->stab_timer, on_leave_start, 0, 0);
	return 0;
}
