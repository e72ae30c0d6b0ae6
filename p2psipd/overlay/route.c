/* Recursive routing of P2PP requests (JOIN, LookupPeer, PublishObject, LookupObject,
 * RemoveObject, R flag set) and the operations this node starts. Not ring upkeep (node.c) nor
 * a LookupObject without the R flag (lookup_miss.c: the receiver's own store only).
 *
 * Why recursive, not iterative (draft-baset-p2psip-p2pp-01 4.3 allows both): a node behind a
 * NAT is reachable only over the links it opened itself (its neighbours' links), so an
 * iterative querier told "ask node X next" often could not reach X at all. Recursively, every
 * hop forwards over a link it already has; the request keeps its Source-ID and Transaction-ID
 * (4.3 step 3) and the response returns hop by hop along the reverse path (each forwarder
 * relays it to the hop it got the request from).
 *
 * Hops are counted by TTL: the origin sends OVL_TTL, every receiving peer lowers it by one
 * before it serves or forwards (410 at zero), and the node that answers echoes the TTL it
 * received in its response's header; the origin reads hops = OVL_TTL - that TTL. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/stamp.h"
#include "p2psipd/overlay/ovl_int.h"
#include "p2psipd/store/aor.h"

static void client_finish(struct ovl_client *c, int err, const struct p2pp_msg *resp);
static void client_free(struct ovl_client *c);

/* ---- the key a request is routed by ---- */

static int route_key(const struct p2pp_msg *m, struct chord_id *key)
{
	const struct p2pp_obj *o;
	struct p2pp_plookup pl;
	struct p2pp_rlookup rl;
	struct p2pp_resource *res;
	int err;

	switch (m->h.type) {
	case P2PP_JOIN: {
		/* The admitting peer is the one responsible for the joiner's ID, the joiner not
		 * counted: a daemon back with its ID before the ring noticed that the old one
		 * died must not be sent its own Join. So: the successor of ID + 1. */
		struct chord_id id;
		memcpy(id.b, m->h.src_id, P2PP_ID_LEN);
		chord_id_add_pow2(key, &id, 0);
		return 0;
	}
	case P2PP_LOOKUP_PEER:
	case P2PP_CONNECT: /* 8.16: routed to the peer named in PLookup */
		o = p2pp_find(m, P2PP_O_PLOOKUP, NULL);
		if (!o || p2pp_get_plookup(m, o, &pl))
			return -EBADMSG;
		memcpy(key->b, pl.ida, P2PP_ID_LEN);
		return 0;
	case P2PP_LOOKUP_OBJECT:
		o = p2pp_find(m, P2PP_O_RLOOKUP, NULL);
		if (!o || p2pp_get_rlookup(m, o, &rl))
			return -EBADMSG;
		memcpy(key->b, rl.id, P2PP_ID_LEN);
		return 0;
	default:
		o = p2pp_find(m, P2PP_O_RESOURCE_OBJECT, NULL);
		res = malloc(sizeof(*res));
		if (!res)
			return -ENOMEM;
		err = o ? p2pp_get_resource(m, o, res) : -EBADMSG;
		if (!err)
			memcpy(key->b, res->id, P2PP_ID_LEN);
		free(res);
		return err ? -EBADMSG : 0;
	}
}

/* Where a request for key goes from here. */
enum hop {
	HOP_SERVE, /* this node answers */
	HOP_PRED,  /* to our predecessor: the previous hop did not know it */
	HOP_ROUTE, /* on along the ring (chord_route) */
};

/* This node answers for key when it is in (predecessor, self], or when the previous hop (a
 * node preceding the key) handed it to us as its successor: key in (prev, self]. The second
 * rule covers a node that does not know its predecessor yet (Chord's find_successor answers
 * "my successor" at the predecessor; we let the successor answer itself). If our predecessor
 * lies between that hop and the key, the hop's view is stale (it has not learnt of the
 * predecessor, or took it for dead): the request goes back to the predecessor, so that a
 * record never lands on a node other than its owner. */
static enum hop next_hop(struct ovl_node *n, const struct chord_id *key,
			 const struct sockaddr *from)
{
	struct chord_id prev;

	if (chord_is_mine(&n->ring, key))
		return HOP_SERVE;
	if (!from || link_peer_of(n->link, from, &prev) ||
	    !chord_in_open_closed(key, &prev, &n->self))
		return HOP_ROUTE;
	/* (prev == pred: the interval would be the whole ring and the request would bounce
	 * back to the hop that handed it to us) */
	if (n->ring.has_pred && !chord_id_eq(&prev, &n->ring.pred) &&
	    chord_in_open_closed(key, &prev, &n->ring.pred))
		return HOP_PRED;
	return HOP_SERVE;
}

/* ---- serving here ---- */

void ovl_answer(struct ovl_node *n, const struct p2pp_msg *req, const struct sockaddr *from,
		const uint8_t *resp, size_t len)
{
	struct p2pp_msg *m;
	uint8_t *copy;
	struct ovl_client *c = n->local_client;

	if (from) {
		p2pp_txn_respond(&n->txns, req, from, resp, len);
		return;
	}
	if (!c)
		return;
	n->local_client = NULL;
	/* resp may be n->buf, which the client's completion reuses: parse a copy */
	m = malloc(sizeof(*m));
	copy = malloc(len);
	if (m && copy) {
		memcpy(copy, resp, len);
		if (p2pp_parse(m, copy, len) == 0) {
			client_finish(c, 0, m);
			c = NULL;
		}
	}
	if (c)
		client_finish(c, -ENOMEM, NULL);
	free(copy);
	free(m);
}

static void serve_join(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_builder b;
	size_t len;

	n->ctr.joins_admitted++;
	ovl_resp_init(n, &b, m, P2PP_OK);
	ovl_put_neighbors(n, &b);
	if (p2pp_finish(&b, &len) == 0)
		ovl_answer(n, m, from, n->buf, len);
}

static void serve(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_builder b;
	unsigned code = P2PP_OK;
	size_t len;
	int err;

	n->ctr.served++;
	switch (m->h.type) {
	case P2PP_JOIN:
		serve_join(n, m, from);
		return;
	case P2PP_LOOKUP_PEER:
		ovl_resp_init(n, &b, m, P2PP_OK); /* our Peer-Info is the answer */
		break;
	case P2PP_CONNECT:
		if (!from) { /* ours, and the route ends here: the target is not in the ring */
			ovl_respond_error(n, m, from, P2PP_NOT_FOUND, "no such peer");
			return;
		}
		if (p2pp_find(m, P2PP_O_FLOW, NULL))
			ovl_on_flow_connect(n, m, from); /* an application's flow, not a link */
		else
			ovl_on_connect(n, m, from);
		return;
	default:
		err = ovl_serve_object(n, m, &b, &code);
		/* nothing here: perhaps still at our successor (lookup_miss.c) */
		if (!err && code == P2PP_NOT_FOUND && m->h.type == P2PP_LOOKUP_OBJECT &&
		    ovl_ask_successor(n, m, from) == 0)
			return;
		if (err || code != P2PP_OK) {
			ovl_respond_error(n, m, from, code ? code : P2PP_BAD_REQUEST,
					  err ? strerror(-err) : NULL);
			return;
		}
	}
	if (p2pp_finish(&b, &len) == 0)
		ovl_answer(n, m, from, n->buf, len);
}

/* ---- forwarding ---- */

static int forward(struct ovl_node *n, struct ovl_op *op);

/* A ready peer (link_ready) to send op to instead of chord's next hop, whose link is not up
 * yet (ice mode). Any request: the ready peer closest before the key that is past us (Chord
 * progress). A Connect, which must never wait for a link (it sets links up): else the ready
 * peer closest before the key anywhere on the ring (the bootstrap link at worst), never the
 * hop it came from. false: none. */
static bool ready_hop(struct ovl_node *n, const struct ovl_op *op, struct chord_id *out)
{
	struct chord_id ids[256], prev, d, best_d;
	size_t k = link_ready_peers(n->link, ids, 256);
	bool have_prev = op->from.ss_family &&
			 link_peer_of(n->link, (const struct sockaddr *)&op->from, &prev) == 0;
	bool found = false;

	if (k > 256)
		k = 256;
	for (size_t i = 0; i < k; i++) {
		const struct chord_id *c = &ids[i];
		if (chord_id_eq(c, &n->self) || chord_id_eq(c, &op->key) ||
		    (have_prev && chord_id_eq(c, &prev)))
			continue;
		if (!op->connect && !chord_in_open(c, &n->self, &op->key))
			continue;
		chord_id_dist(&d, c, &op->key);
		if (!found || chord_id_cmp(&d, &best_d) < 0) {
			best_d = d;
			*out = *c;
			found = true;
		}
	}
	return found;
}

/* The hop a Connect takes: straight to its target once a link to it is up; else Chord's next
 * hop if its link is up (Chord brings it to the target's predecessor, which links to its
 * successor); else the bootstrap peer, which every node joined through and so reaches over
 * the plain socket (needed by the target's own predecessor, whose link is the one being set
 * up); else the ready peer closest before the target. Never back where it came from. */
static bool connect_hop(struct ovl_node *n, const struct ovl_op *op, struct chord_id *hop)
{
	struct chord_id prev, boot;
	bool has_prev = op->from.ss_family &&
			link_peer_of(n->link, (const struct sockaddr *)&op->from, &prev) == 0;

	if (link_ready(n->link, &op->key)) {
		*hop = op->key;
		return true;
	}
	if (!chord_id_eq(hop, &n->self) && !chord_id_eq(hop, &op->key) &&
	    !(has_prev && chord_id_eq(hop, &prev)) && link_ready(n->link, hop))
		return true;
	if (n->cfg.has_bootstrap &&
	    link_peer_of(n->link, (const struct sockaddr *)&n->cfg.bootstrap, &boot) == 0 &&
	    !chord_id_eq(&boot, &n->self) && !(has_prev && chord_id_eq(&boot, &prev)) &&
	    link_ready(n->link, &boot)) {
		*hop = boot;
		return true;
	}
	return ready_hop(n, op, hop);
}

/* A Join's hop must not be the joiner itself (route_key): the peer after it in our successor
 * list, or the node nearest before it (which has it in its list). false: we admit it. */
static bool past_joiner(struct ovl_node *n, const struct chord_id *joiner, struct chord_id *hop)
{
	const struct chord_ring *g = &n->ring;
	const struct chord_id *before;

	for (unsigned i = 0; i < g->nsucc; i++) {
		if (!chord_id_eq(&g->succ[i], joiner))
			continue;
		if (i + 1 == g->nsucc || chord_id_eq(&g->succ[i + 1], &n->self))
			return false;
		*hop = g->succ[i + 1];
		return true;
	}
	before = chord_closest_preceding(g, joiner);
	if (chord_id_eq(before, &n->self))
		return false;
	*hop = *before;
	return true;
}

/* Chord's next hop rt, or a substitute when its link is not up (ice mode; plain: every known
 * peer is ready). false: a Connect with nowhere to go. */
static bool pick_hop(struct ovl_node *n, const struct ovl_op *op, struct chord_id *hop)
{
	if (op->connect)
		return connect_hop(n, op, hop);
	if (link_ready(n->link, hop) || ready_hop(n, op, hop))
		return true;
	if (!op->connect)
		link_resolve(n->link, hop, &(struct sockaddr_storage){0}); /* set it up now */
	return !op->connect; /* others wait in the link's queue */
}

/* The request of a forwarding op, parsed again (our own copy, valid before). */
static struct p2pp_msg *op_request(struct ovl_op *op)
{
	struct p2pp_msg *m = malloc(sizeof(*m));

	if (m && p2pp_parse(m, op->req, op->req_len)) {
		free(m);
		return NULL;
	}
	return m;
}

/* The forwarding failed for good: an error back to the previous hop, or to our operation. */
static void forward_fail(struct ovl_op *op, unsigned code, int err)
{
	struct ovl_node *n = op->n;
	struct ovl_client *c = op->client;
	struct p2pp_msg *m;

	if (c) {
		c->in_flight = false;
		ovl_op_free(op);
		client_finish(c, err, NULL);
		return;
	}
	m = op_request(op);
	if (m)
		ovl_respond_error(n, m, (struct sockaddr *)&op->from, code, strerror(-err));
	free(m);
	ovl_op_free(op);
}

/* The route now says we are responsible (the nodes before us failed): serve it here. */
static void serve_op_here(struct ovl_op *op)
{
	struct ovl_node *n = op->n;
	struct p2pp_msg *m = op_request(op);

	if (!m) {
		forward_fail(op, P2PP_BAD_REQUEST, -EBADMSG);
		return;
	}
	if (op->client) {
		op->client->in_flight = false;
		n->local_client = op->client;
		op->client = NULL;
		serve(n, m, NULL);
		n->local_client = NULL;
	} else {
		serve(n, m, (struct sockaddr *)&op->from);
	}
	free(m);
	ovl_op_free(op);
}

static void on_forward_resp(void *arg, int err, const struct p2pp_msg *resp,
			    const struct sockaddr *from)
{
	struct ovl_op *op = arg;
	struct ovl_node *n = op->n;
	struct p2pp_msg *m;

	(void)from;
	op->txn = NULL;
	if (err == -ETIMEDOUT) { /* the next hop did not even ACK: it is gone */
		ovl_peer_failed(n, &op->peer);
		err = forward(n, op);
		if (err == 1)
			serve_op_here(op);
		if (err == 0 || err == 1)
			return;
	}
	if (err) {
		forward_fail(op, P2PP_TIMEOUT, err);
		return;
	}
	if (op->client) {
		struct ovl_client *c = op->client;
		c->in_flight = false;
		ovl_op_free(op);
		client_finish(c, 0, resp);
		return;
	}
	/* relay the answer as it came, to the hop the request came from */
	m = op_request(op);
	if (m)
		p2pp_txn_respond(&n->txns, m, (struct sockaddr *)&op->from, resp->buf, resp->len);
	free(m);
	ovl_op_free(op);
}

/* Sends op's request to the next hop towards its key. 0 sent; 1: we are responsible now
 * (the caller serves it); a negative errno when no next hop is left. */
/* Sending a request back to the hop it came from: that hop takes it for a retransmission
 * (same Source-ID and Transaction-ID, 4.3), ACKs and waits, and so would we, until T3. */
static bool back_to_sender(struct ovl_node *n, const struct ovl_op *op, const struct chord_id *hop)
{
	struct chord_id prev;

	return op->from.ss_family &&
	       link_peer_of(n->link, (const struct sockaddr *)&op->from, &prev) == 0 &&
	       chord_id_eq(&prev, hop);
}

static int forward(struct ovl_node *n, struct ovl_op *op)
{
	struct chord_route rt;
	struct sockaddr_storage dst;
	int err;

	while (op->tries < OVL_ROUTE_TRIES) {
		chord_route(&n->ring, &op->key, &rt);
		if (op->to_pred) {
			/* once: if the predecessor is gone, its keys are ours */
			op->to_pred = false;
			if (!n->ring.has_pred)
				return 1;
			rt.node = n->ring.pred;
		} else if (op->via_pred) {
			return 1;
		}
		/* A Connect relayed to the node responsible for its target's ID, with no link to
		 * the target: no such peer, as far as the ring knows (404). The origin goes on. */
		if (chord_id_eq(&rt.node, &n->self) &&
		    (!op->connect || (!op->client && !link_ready(n->link, &op->key))))
			return 1;
		if (!pick_hop(n, op, &rt.node))
			return -EHOSTUNREACH;
		if (op->join && chord_id_eq(&rt.node, &op->joiner) &&
		    !past_joiner(n, &op->joiner, &rt.node))
			return 1;
		if (chord_id_eq(&rt.node, &n->self))
			return 1;
		if (back_to_sender(n, op, &rt.node))
			return -ELOOP; /* a stale view: answered at once rather than after T3 */
		op->tries++;
		if (link_resolve(n->link, &rt.node, &dst)) {
			ovl_peer_failed(n, &rt.node); /* a neighbour we cannot address */
			continue;
		}
		op->peer = rt.node;
		op->has_peer = true;
		log_debug("%s: type %u key %s to %s%s", n->name, op->req_len > 1 ? op->req[1] : 0,
			  chord_id_to_str(&op->key, (char[CHORD_ID_STRLEN]){0}),
			  chord_id_to_str(&rt.node, (char[CHORD_ID_STRLEN]){0}),
			  link_ready(n->link, &rt.node) ? "" : " (queued for its link)");
		err = p2pp_txn_start(&n->txns, (struct sockaddr *)&dst, op->req, op->req_len,
				     on_forward_resp, op, &op->txn);
		if (err == 0) {
			n->ctr.forwarded++;
			return 0;
		}
		if (err == -EEXIST)
			return -ELOOP; /* our own request came back to us */
		ovl_peer_failed(n, &rt.node);
	}
	return -EHOSTUNREACH;
}

/* Forwards a request (from NULL: one started here, c its operation). */
static void route_on(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from,
		     const struct chord_id *key, struct ovl_client *c, bool to_pred)
{
	struct ovl_op *op = ovl_op_new(n, OP_FORWARD);
	int err;

	if (!op || !(op->req = malloc(m->len))) {
		if (op)
			ovl_op_free(op);
		if (c)
			client_finish(c, -ENOMEM, NULL);
		else
			ovl_respond_error(n, m, from, P2PP_TIMEOUT, "out of memory");
		return;
	}
	memcpy(op->req, m->buf, m->len);
	op->req_len = m->len;
	p2pp_set_ttl(op->req, op->req_len, m->h.ttl);
	op->key = *key;
	op->client = c;
	op->connect = m->h.type == P2PP_CONNECT;
	op->join = m->h.type == P2PP_JOIN;
	memcpy(op->joiner.b, m->h.src_id, P2PP_ID_LEN);
	op->to_pred = to_pred;
	op->via_pred = to_pred;
	if (from)
		memcpy(&op->from, from,
		       from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						   : sizeof(struct sockaddr_in));
	if (c)
		c->in_flight = true;
	/* 4.3 step 3: the request is ACKed before it is forwarded */
	if (from)
		p2pp_txn_ack(&n->txns, m, from);
	err = forward(n, op);
	if (err == 1)
		serve_op_here(op);
	else if (err < 0)
		forward_fail(op, err == -ELOOP ? P2PP_TTL_EXCEEDED : P2PP_TIMEOUT, err);
}

void ovl_route_request(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_msg *mm = (struct p2pp_msg *)m; /* our own parse: the TTL is lowered in it */
	struct chord_id key;

	if (n->state != OVL_JOINED) {
		ovl_respond_error(n, m, from, P2PP_JOIN_DEFERRED, "not in the overlay yet");
		return;
	}
	ovl_learn_sender(n, m, from, false);
	if (route_key(m, &key)) {
		ovl_respond_error(n, m, from, P2PP_BAD_REQUEST, "no routing key");
		return;
	}
	if (mm->h.ttl <= 1) {
		ovl_respond_error(n, m, from, P2PP_TTL_EXCEEDED, NULL);
		return;
	}
	mm->h.ttl--;
	if (m->h.type == P2PP_CONNECT) { /* served by its target only */
		if (chord_id_eq(&key, &n->self))
			serve(n, m, from);
		else
			route_on(n, m, from, &key, NULL, false);
		return;
	}
	switch (next_hop(n, &key, from)) {
	case HOP_SERVE:
		serve(n, m, from);
		return;
	case HOP_PRED:
		route_on(n, m, from, &key, NULL, true);
		return;
	case HOP_ROUTE:
		route_on(n, m, from, &key, NULL, false);
		return;
	}
}

/* ---- operations started here ---- */

struct ovl_client *ovl_client_new(struct ovl_node *n, uint8_t type, const struct chord_id *key)
{
	struct ovl_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->n = n;
	c->type = type;
	c->key = *key;
	c->finger = ~0u;
	c->next = n->clients;
	if (n->clients)
		n->clients->prev = c;
	n->clients = c;
	return c;
}

static void client_free(struct ovl_client *c)
{
	struct ovl_node *n = c->n;

	if (c->prev)
		c->prev->next = c->next;
	else
		n->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ovl_flow_free(c);
	free(c->value);
	free(c);
}

static int build_request(struct ovl_client *c, size_t *len)
{
	struct ovl_node *n = c->n;
	struct p2pp_peer_info pi;
	struct p2pp_builder b;
	struct p2pp_hdr h;

	if (c->flow)
		return ovl_flow_build(c, len);
	if (c->type == P2PP_CONNECT)
		return ovl_connect_build(n, &c->key, len);
	ovl_hdr(n, &h, P2PP_REQUEST, c->type, true);
	p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
	ovl_self_info(n, &pi);
	p2pp_put_peer_info(&b, &pi);
	if (c->type == P2PP_LOOKUP_PEER) {
		struct p2pp_plookup pl = {.num = 1};
		memcpy(pl.ida, c->key.b, P2PP_ID_LEN);
		p2pp_put_plookup(&b, &pl);
	} else if (c->type == P2PP_LOOKUP_OBJECT) {
		struct p2pp_rlookup rl = {.cont_type = c->cont_type};
		memcpy(rl.id, c->key.b, P2PP_ID_LEN);
		p2pp_put_rlookup(&b, &rl);
	} else {
		struct p2pp_resource r = {.cont_type = c->cont_type};
		memcpy(r.id, c->key.b, P2PP_ID_LEN);
		r.value.p = c->value;
		r.value.len = c->value_len;
		r.owner.p = c->owner_len ? c->owner : n->self_b;
		r.owner.len = c->owner_len ? c->owner_len : P2PP_ID_LEN;
		r.has_expires = c->type == P2PP_PUBLISH;
		r.expires = c->lifetime;
		p2pp_put_resource(&b, &r);
	}
	return p2pp_finish(&b, len);
}

/* Sends (or serves here) one attempt of c. */
static void client_send(struct ovl_client *c)
{
	struct ovl_node *n = c->n;
	struct p2pp_msg *m = malloc(sizeof(*m));
	uint8_t *copy = NULL;
	size_t len;
	int err;

	c->retry_at = 0;
	c->tries++;
	err = m ? build_request(c, &len) : -ENOMEM;
	if (!err && !(copy = malloc(len)))
		err = -ENOMEM;
	if (!err) {
		memcpy(copy, n->buf, len);
		err = p2pp_parse(m, copy, len);
	}
	if (err) {
		free(copy);
		free(m);
		client_finish(c, err, NULL);
		return;
	}
	if (c->type != P2PP_CONNECT && chord_is_mine(&n->ring, &c->key)) {
		n->local_client = c;
		serve(n, m, NULL);
		n->local_client = NULL;
	} else {
		route_on(n, m, NULL, &c->key, c, false);
	}
	free(copy);
	free(m);
}

static void kick_arm(struct ovl_node *n);

static void on_kick(uv_timer_t *t)
{
	struct ovl_node *n = t->data;

	ovl_clients_tick(n);
}

static void kick_arm(struct ovl_node *n)
{
	uint64_t now = uv_now(n->loop), first = 0;

	for (struct ovl_client *c = n->clients; c; c = c->next) {
		if (c->retry_at && (!first || c->retry_at < first))
			first = c->retry_at;
	}
	if (first)
		uv_timer_start(&n->kick_timer, on_kick, first > now ? first - now : 0, 0);
}

void ovl_clients_tick(struct ovl_node *n)
{
	uint64_t now = uv_now(n->loop);
	struct ovl_client *c = n->clients, *next;

	if (n->state != OVL_JOINED)
		return;
	/* a pass over the list as it is now; sends may add or finish operations */
	for (; c; c = next) {
		next = c->next;
		if (c->retry_at && c->retry_at <= now && !c->in_flight) {
			client_send(c);
			next = n->clients; /* the list may have changed under us: start again */
		}
	}
	kick_arm(n);
}

int ovl_client_start(struct ovl_client *c)
{
	struct ovl_node *n = c->n;

	if (n->state != OVL_JOINED) {
		client_free(c);
		return -EAGAIN;
	}
	c->started_ns = uv_hrtime();
	c->retry_at = uv_now(n->loop); /* from the loop: callbacks never run inside the call */
	kick_arm(n);
	return 0;
}

void ovl_clients_cancel(struct ovl_node *n)
{
	while (n->clients) {
		struct ovl_client *c = n->clients;
		if (c->in_flight) {
			/* its forwarding op goes with the node's ops */
			for (struct ovl_op *op = n->ops; op; op = op->next) {
				if (op->client == c)
					op->client = NULL;
			}
		}
		c->tries = OVL_CLIENT_TRIES;
		client_finish(c, -ECANCELED, NULL);
	}
}

void ovl_client_fail(struct ovl_client *c, int err)
{
	c->in_flight = false;
	client_finish(c, err, NULL);
}

/* ---- results ---- */

static int code_err(unsigned code)
{
	switch (code) {
	case P2PP_OK:
		return 0;
	case P2PP_NOT_FOUND:
		return -ENOENT;
	case P2PP_REJECTED:
	case P2PP_INSERT_ERROR:
		return -EKEYREJECTED;
	case P2PP_TTL_EXCEEDED:
		return -ELOOP;
	case P2PP_JOIN_DEFERRED:
		return -EAGAIN;
	case P2PP_TIMEOUT:
		return -ETIMEDOUT;
	default:
		return -EPROTO;
	}
}

static bool retryable(int err)
{
	return err == -ETIMEDOUT || err == -ETIME || err == -ELOOP || err == -EAGAIN ||
	       err == -EHOSTUNREACH;
}

/* LookupObject answers: every Resource-Object, User-Info ones verified again here. */
static int read_values(struct ovl_client *c, const struct p2pp_msg *resp, struct ovl_result *r)
{
	struct p2pp_resource *res = malloc(sizeof(*res));
	const struct p2pp_obj *o = NULL;
	unsigned bad = 0;

	if (!res)
		return -ENOMEM;
	while ((o = p2pp_find(resp, P2PP_O_RESOURCE_OBJECT, o)) && r->n_values < OVL_VALUES_MAX) {
		if (p2pp_get_resource(resp, o, res) || res->cont_type != c->cont_type ||
		    memcmp(res->id, c->key.b, P2PP_ID_LEN) != 0)
			continue;
		if (res->cont_type == P2PP_CT_USER_INFO &&
		    ovl_check_aor(c->n, &c->key, res->owner.p, res->owner.len, res->value.p,
				  res->value.len)) {
			bad++;
			continue;
		}
		r->values[r->n_values].p = res->value.p;
		r->values[r->n_values].len = res->value.len;
		memset(r->values[r->n_values].owner, 0, 16);
		memcpy(r->values[r->n_values].owner, res->owner.p,
		       res->owner.len < 16 ? res->owner.len : 16);
		r->values[r->n_values].expires = res->has_expires ? res->expires : 0;
		r->n_values++;
	}
	free(res);
	if (r->n_values == 0)
		return bad ? -EKEYREJECTED : -ENOENT;
	return 0;
}

static void fill_result(struct ovl_client *c, const struct p2pp_msg *resp, struct ovl_result *r)
{
	r->code = resp->h.code;
	r->hops = resp->h.ttl <= OVL_TTL ? OVL_TTL - resp->h.ttl : 0;
	memcpy(r->node.b, resp->h.resp_id, P2PP_ID_LEN);
	if (p2pp_check_grammar(resp)) {
		r->err = -EPROTO;
		return;
	}
	r->err = code_err(resp->h.code);
	if (!r->err && c->type == P2PP_LOOKUP_OBJECT)
		r->err = read_values(c, resp, r);
}

static void client_report(struct ovl_client *c, const struct ovl_result *r)
{
	struct ovl_node *n = c->n;

	if (c->finger != ~0u) {
		n->fix_busy = false;
		if (!r->err && n->state == OVL_JOINED)
			ovl_ring_changed(n, chord_fix_fingers_answer(&n->ring, c->finger, &r->node),
					 n->ring.has_pred, &n->ring.pred);
		return;
	}
	if (c->type == P2PP_LOOKUP_PEER || c->type == P2PP_LOOKUP_OBJECT) {
		n->ctr.lookups++;
		if (r->err)
			n->ctr.lookup_failures++;
		else {
			n->ctr.hops_total += r->hops;
			n->ctr.hops_count++;
		}
		stamp_emit("lookup.done", json_pack("{s:s,s:i,s:i}", "node", n->name, "hops",
						    (int)r->hops, "err", r->err));
	}
	if (c->republish)
		ovl_republished(n, c, r->err);
	if (c->cb)
		c->cb(c->arg, r);
}

static void client_finish(struct ovl_client *c, int err, const struct p2pp_msg *resp)
{
	struct ovl_node *n = c->n;
	struct ovl_result *r = calloc(1, sizeof(*r));

	if (!r) {
		client_free(c);
		return;
	}
	r->err = err;
	if (!err && resp)
		fill_result(c, resp, r);
	r->rtt_ns = uv_hrtime() - c->started_ns;
	if (r->err)
		log_debug("%s: type %u key %s: %s after %u tries", n->name, c->type,
			  chord_id_to_str(&c->key, (char[CHORD_ID_STRLEN]){0}), strerror(-r->err),
			  c->tries);
	if (resp && !err && !r->err)
		ovl_learn_sender(n, resp, NULL, false);
	if (retryable(r->err) && c->tries < OVL_CLIENT_TRIES && n->state == OVL_JOINED) {
		c->retry_at = uv_now(n->loop) + n->cfg.stabilize_ms;
		kick_arm(n);
		free(r);
		return;
	}
	if (c->flow)
		ovl_flow_done(c, r->err, r->err ? NULL : resp);
	else if (c->type == P2PP_CONNECT)
		ovl_connect_done(n, &c->key, r->err, r->err ? NULL : resp);
	client_report(c, r);
	free(r);
	client_free(c);
}

/* ---- the API ---- */

static int start_op(struct ovl_node *n, uint8_t type, const struct chord_id *key, uint8_t ct,
		    const uint8_t *value, size_t len, uint32_t lifetime, ovl_result_fn cb,
		    void *arg)
{
	struct ovl_client *c = ovl_client_new(n, type, key);

	if (!c)
		return -ENOMEM;
	c->cont_type = ct;
	c->lifetime = lifetime;
	c->cb = cb;
	c->arg = arg;
	if (len) {
		c->value = malloc(len);
		if (!c->value) {
			client_free(c);
			return -ENOMEM;
		}
		memcpy(c->value, value, len);
		c->value_len = len;
	}
	if (type == P2PP_LOOKUP_PEER || type == P2PP_LOOKUP_OBJECT)
		stamp_emit("lookup.start", json_pack("{s:s}", "node", n->name));
	return ovl_client_start(c);
}

int ovl_lookup(struct ovl_node *n, const struct chord_id *key, ovl_result_fn cb, void *arg)
{
	return start_op(n, P2PP_LOOKUP_PEER, key, 0, NULL, 0, 0, cb, arg);
}

int ovl_put(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type, const uint8_t *value,
	    size_t len, uint32_t lifetime, bool refresh, ovl_result_fn cb, void *arg)
{
	int err;

	if (len > STORE_VALUE_MAX)
		return -EMSGSIZE;
	if (lifetime == 0 || lifetime > STORE_LIFETIME_MAX)
		return -EINVAL;
	err = start_op(n, P2PP_PUBLISH, key, cont_type, value, len, lifetime, cb, arg);
	if (!err && refresh)
		err = ovl_pub_add(n, key, cont_type, value, len, lifetime);
	return err;
}

int ovl_republish(struct ovl_node *n, const struct store_rec *r, uint32_t lifetime)
{
	struct ovl_client *c = ovl_client_new(n, P2PP_PUBLISH, &r->id);

	if (!c)
		return -ENOMEM;
	c->cont_type = r->cont_type;
	c->lifetime = lifetime;
	c->republish = true;
	memcpy(c->owner, r->owner, r->owner_len);
	c->owner_len = r->owner_len;
	c->value = malloc(r->value_len ? r->value_len : 1);
	if (!c->value) {
		client_free(c);
		return -ENOMEM;
	}
	memcpy(c->value, r->value, r->value_len);
	c->value_len = r->value_len;
	return ovl_client_start(c);
}

int ovl_get(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type, ovl_result_fn cb,
	    void *arg)
{
	return start_op(n, P2PP_LOOKUP_OBJECT, key, cont_type, NULL, 0, 0, cb, arg);
}

int ovl_remove(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type, ovl_result_fn cb,
	       void *arg)
{
	ovl_pub_del(n, key, cont_type);
	return start_op(n, P2PP_REMOVE_OBJECT, key, cont_type, NULL, 0, 0, cb, arg);
}
