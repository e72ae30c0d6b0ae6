/* The node's share of the overlay's records: PublishObject, LookupObject and RemoveObject at the
 * responsible node, replicas on the k successors (Replicate), handover to a new predecessor and
 * on leave (Transfer), AOR checks, and the refresh of what this node published.
 * Not routing (route.c) nor the store itself (store/store.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/overlay/ovl_int.h"
#include "p2psipd/store/aor.h"

#define DEFAULT_LIFETIME 3600

/* ---- checks ---- */

int ovl_check_aor(struct ovl_node *n, const struct chord_id *key, const uint8_t *owner,
		  size_t owner_len, const uint8_t *value, size_t len)
{
	struct aor_record *rec = malloc(sizeof(*rec));
	struct chord_id k;
	int err;

	if (!rec)
		return -ENOMEM;
	/* format, HIT = ORCHID(HI), signature, expiry (aor.h) */
	err = aor_verify(value, len, ovl_now(n), NULL, rec);
	if (!err && (aor_key(rec->aor, &k) || !chord_id_eq(&k, key)))
		err = AOR_ERR_KEY; /* a valid record stored under another AOR's key */
	if (!err && (owner_len != sizeof(rec->hit) || memcmp(owner, &rec->hit, owner_len) != 0))
		err = AOR_ERR_HIT; /* published by someone else than the AOR's HIT */
	free(rec);
	if (err)
		n->ctr.rejected_aor++;
	return err;
}

/* A Resource-Object's owner: its Owner object, else the request's Source-ID (the origin: a
 * forwarded request keeps it). */
static void owner_of(const struct p2pp_msg *m, const struct p2pp_resource *r, const uint8_t **p,
		     size_t *len)
{
	if (r->owner.len) {
		*p = r->owner.p;
		*len = r->owner.len;
	} else {
		*p = m->h.src_id;
		*len = P2PP_ID_LEN;
	}
}

static int get_first_resource(const struct p2pp_msg *m, struct p2pp_resource *r)
{
	const struct p2pp_obj *o = p2pp_find(m, P2PP_O_RESOURCE_OBJECT, NULL);

	return o ? p2pp_get_resource(m, o, r) : -EBADMSG;
}

/* ---- replication messages: Replicate or Transfer with Resource-Objects, chunked ---- */

struct batch {
	struct ovl_node *n;
	uint8_t type; /* P2PP_REPLICATE or P2PP_TRANSFER */
	const struct chord_id *to;
	bool leave_step;
	struct p2pp_builder b;
	unsigned n_recs;
	int sent; /* messages */
	uint64_t now;
};

static void on_batch_resp(void *arg, int err, const struct p2pp_msg *resp,
			  const struct sockaddr *from)
{
	struct ovl_op *op = arg;
	struct ovl_node *n = op->n;
	struct chord_id peer = op->peer;
	bool leave_step = op->leave_step;
	bool is_transfer = op->kind == OP_TRANSFER;
	const char *what = is_transfer		      ? "Transfer"
			   : op->kind == OP_REPLICATE ? "Replicate"
						      : "RemoveObject";

	(void)resp;
	(void)from;
	ovl_op_free(op);
	if (err)
		log_debug("%s: %s to %s failed: %s", n->name, what,
			  chord_id_to_str(&peer, (char[CHORD_ID_STRLEN]){0}), strerror(-err));
	if (leave_step) {
		ovl_leave_step_done(n, err);
		return;
	}
	if (err && is_transfer && n->state == OVL_JOINED) {
		/* the handover did not arrive (ice: a link that failed to come up): what we held
		 * outside our range is primary again, so the next round publishes it again to its
		 * owner rather than losing it */
		store_set_role(&n->store, &n->self, &n->self, true, ovl_now(n));
		n->replicate_due = true;
	}
	if (err == -ETIMEDOUT && n->state == OVL_JOINED)
		ovl_peer_failed(n, &peer);
}

static void batch_begin(struct batch *bt)
{
	struct p2pp_peer_info pi;
	struct p2pp_hdr h;

	ovl_hdr(bt->n, &h, P2PP_REQUEST, bt->type, false);
	p2pp_build_init(&bt->b, bt->n->buf, OVL_MSG_MAX, &h);
	ovl_self_info(bt->n, &pi);
	p2pp_put_peer_info(&bt->b, &pi);
	bt->n_recs = 0;
}

static void batch_send(struct batch *bt)
{
	struct ovl_op *op;
	size_t len;
	int err;

	if (bt->n_recs == 0 || p2pp_finish(&bt->b, &len))
		return;
	op = ovl_op_new(bt->n, bt->type == P2PP_TRANSFER ? OP_TRANSFER : OP_REPLICATE);
	if (!op)
		return;
	op->leave_step = bt->leave_step;
	err = ovl_op_send(op, bt->to, bt->n->buf, len, on_batch_resp);
	if (err) {
		log_debug("%s: %s of %u records to %s not sent: %s", bt->n->name,
			  bt->type == P2PP_TRANSFER ? "Transfer" : "Replicate", bt->n_recs,
			  chord_id_to_str(bt->to, (char[CHORD_ID_STRLEN]){0}), strerror(-err));
		return;
	}
	bt->sent++;
	if (bt->type == P2PP_TRANSFER)
		bt->n->ctr.transferred += bt->n_recs;
	else
		bt->n->ctr.replicated += bt->n_recs;
}

static int put_rec(struct p2pp_builder *b, const struct store_rec *r, uint64_t now)
{
	struct p2pp_resource res = {.cont_type = r->cont_type, .has_expires = 1};

	memcpy(res.id, r->id.b, P2PP_ID_LEN);
	res.value.p = r->value;
	res.value.len = r->value_len;
	res.owner.p = r->owner;
	res.owner.len = r->owner_len;
	res.expires = r->expires > now ? (uint32_t)(r->expires - now) : 1;
	return p2pp_put_resource(b, &res);
}

static int batch_add(const struct store_rec *r, void *ctx)
{
	struct batch *bt = ctx;
	size_t need = 64 + r->value_len + r->owner_len;

	if (bt->n_recs > 0 && bt->b.w.len + need > OVL_CHUNK) {
		batch_send(bt);
		batch_begin(bt);
	}
	put_rec(&bt->b, r, bt->now);
	bt->n_recs++;
	return 0;
}

/* Sends the records f selects to one peer; returns how many messages went. */
static int send_records(struct ovl_node *n, uint8_t type, const struct chord_id *to,
			const struct store_filter *f, bool leave_step)
{
	struct batch bt = {.n = n, .type = type, .to = to, .leave_step = leave_step, .now = f->now};

	if (chord_id_eq(to, &n->self))
		return 0;
	batch_begin(&bt);
	store_foreach(&n->store, f, batch_add, &bt);
	batch_send(&bt);
	return bt.sent;
}

struct misplaced {
	struct ovl_node *n;
	unsigned count;
	uint64_t now;
};

static int republish(const struct store_rec *r, void *ctx)
{
	struct misplaced *m = ctx;
	uint64_t left = r->expires > m->now ? r->expires - m->now : 0;

	if (left == 0)
		return 0;
	ovl_republish(m->n, r, (uint32_t)left);
	m->count++;
	return 0;
}

void ovl_replicate_all(struct ovl_node *n)
{
	struct store_filter f = {.cont_type = -1, .role = STORE_PRIMARY, .now = ovl_now(n)};
	unsigned k = 0;

	if (n->ring.has_pred) {
		struct store_filter away = f;
		struct misplaced m = {.n = n, .now = f.now};

		away.from = &n->self;
		away.to = &n->ring.pred;
		store_foreach(&n->store, &away, republish, &m);
		if (m.count)
			log_info("%s: %u records outside our range published again", n->name,
				 m.count);
	}
	for (unsigned i = 0; i < n->ring.nsucc && k < n->cfg.replicas; i++) {
		if (chord_id_eq(&n->ring.succ[i], &n->self))
			continue;
		send_records(n, P2PP_REPLICATE, &n->ring.succ[i], &f, false);
		k++;
	}
}

void ovl_republished(struct ovl_node *n, const struct ovl_client *c, int err)
{
	const uint8_t *owner = c->owner_len ? c->owner : n->self_b;
	size_t owner_len = c->owner_len ? c->owner_len : sizeof(n->self_b);

	if (err) {
		log_debug("%s: record %s not published again (%s): kept as primary", n->name,
			  chord_id_to_str(&c->key, (char[CHORD_ID_STRLEN]){0}), strerror(-err));
		return;
	}
	if (n->state == OVL_JOINED && !chord_is_mine(&n->ring, &c->key))
		store_set_role_of(&n->store, &c->key, c->cont_type, owner, owner_len, false,
				  ovl_now(n));
}

/* The one record just published, to the replica holders. */
static void replicate_one(struct ovl_node *n, const struct chord_id *key, uint8_t ct,
			  const uint8_t *owner, size_t owner_len)
{
	struct chord_id to[CHORD_SUCC_MAX];
	struct store_filter f = {.key = key, .cont_type = ct, .role = STORE_ANY, .now = ovl_now(n)};
	int k = chord_replicas(&n->ring, key, to, n->cfg.replicas);

	(void)owner;
	(void)owner_len;
	for (int i = 0; i < k; i++)
		send_records(n, P2PP_REPLICATE, &to[i], &f, false);
}

int ovl_transfer(struct ovl_node *n, const struct chord_id *peer, const struct chord_id *from,
		 const struct chord_id *to, bool leave_step)
{
	struct store_filter f = {
	    .from = from, .to = to, .cont_type = -1, .role = STORE_PRIMARY, .now = ovl_now(n)};

	return send_records(n, P2PP_TRANSFER, peer, &f, leave_step);
}

void ovl_put_of(struct store_put *p, const struct p2pp_resource *r)
{
	memcpy(p->id.b, r->id, P2PP_ID_LEN);
	p->cont_type = r->cont_type;
	p->owner = r->owner.p;
	p->owner_len = r->owner.len;
	p->value = r->value.p;
	p->value_len = r->value.len;
	p->lifetime = r->has_expires && r->expires ? r->expires : DEFAULT_LIFETIME;
	if (p->lifetime > STORE_LIFETIME_MAX)
		p->lifetime = STORE_LIFETIME_MAX;
	p->is_signed = r->cont_type == P2PP_CT_USER_INFO;
}

static bool held_as_primary(struct ovl_node *n, const struct store_put *p, uint64_t now)
{
	const struct store_rec *r =
	    store_get(&n->store, &p->id, p->cont_type, p->owner, p->owner_len, now);

	return r && r->primary;
}

/* Replicate or Transfer received: records stored as primary when the key is ours, they were
 * transferred to us or we held them as primary already; else as replicas. */
void ovl_on_replicate(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_resource *r = malloc(sizeof(*r));
	const struct p2pp_obj *o = NULL;
	struct p2pp_builder b;
	uint64_t now = ovl_now(n);
	size_t len;
	bool promoted = false;

	if (!r)
		return;
	ovl_learn_sender(n, m, from, true);
	while ((o = p2pp_find(m, P2PP_O_RESOURCE_OBJECT, o)) != NULL) {
		struct store_put p = {0};
		if (p2pp_get_resource(m, o, r) || !r->owner.len)
			continue;
		ovl_put_of(&p, r);
		if (r->cont_type == P2PP_CT_USER_INFO &&
		    ovl_check_aor(n, &p.id, r->owner.p, r->owner.len, r->value.p, r->value.len))
			continue;
		/* a Transfer hands the records over (we are their owner now, by the sender's
		 * view, even before we know our own predecessor); if we are not, the next
		 * re-replication publishes them again to the owner. A Replicate never demotes
		 * a record we hold as primary: its sender's view may be older than ours. */
		p.primary = m->h.type == P2PP_TRANSFER ||
			    (n->state == OVL_JOINED && chord_is_mine(&n->ring, &p.id)) ||
			    held_as_primary(n, &p, now);
		promoted |= p.primary;
		store_put(&n->store, &p, now);
	}
	free(r);
	if (promoted && m->h.type == P2PP_TRANSFER)
		n->replicate_due = true;
	ovl_resp_init(n, &b, m, P2PP_OK);
	if (p2pp_finish(&b, &len) == 0)
		p2pp_txn_respond(&n->txns, m, from, n->buf, len);
}

/* ---- serving object requests at the responsible node ---- */

static int serve_publish(struct ovl_node *n, const struct p2pp_msg *m, struct p2pp_builder *b,
			 unsigned *code, struct p2pp_resource *r)
{
	struct store_put p = {0};
	int err;

	memcpy(p.id.b, r->id, P2PP_ID_LEN);
	owner_of(m, r, &p.owner, &p.owner_len);
	if (r->cont_type == P2PP_CT_USER_INFO &&
	    ovl_check_aor(n, &p.id, p.owner, p.owner_len, r->value.p, r->value.len)) {
		*code = P2PP_REJECTED; /* forged, expired or foreign AOR record */
		return 0;
	}
	p.cont_type = r->cont_type;
	p.value = r->value.p;
	p.value_len = r->value.len;
	p.lifetime = r->has_expires && r->expires ? r->expires : DEFAULT_LIFETIME;
	if (p.lifetime > STORE_LIFETIME_MAX)
		p.lifetime = STORE_LIFETIME_MAX;
	p.is_signed = r->cont_type == P2PP_CT_USER_INFO;
	p.primary = true;
	err = store_put(&n->store, &p, ovl_now(n));
	if (err == -EMSGSIZE) {
		*code = P2PP_TOO_LARGE;
		return 0;
	}
	if (err) {
		*code = err == -EPERM ? P2PP_REJECTED : P2PP_INSERT_ERROR;
		return 0;
	}
	replicate_one(n, &p.id, p.cont_type, p.owner, p.owner_len);
	ovl_resp_init(n, b, m, P2PP_OK);
	return p2pp_put_expires(b, p.lifetime);
}

struct lookup_ctx {
	struct ovl_node *n;
	struct p2pp_builder *b;
	unsigned found, bad;
	uint64_t now;
};

static int add_found(const struct store_rec *r, void *ctx)
{
	struct lookup_ctx *lc = ctx;

	if (r->cont_type == P2PP_CT_USER_INFO &&
	    ovl_check_aor(lc->n, &r->id, r->owner, r->owner_len, r->value, r->value_len)) {
		lc->bad++;
		return 0;
	}
	if (lc->found >= OVL_VALUES_MAX)
		return 0;
	lc->found++;
	return put_rec(lc->b, r, lc->now);
}

static int serve_lookup(struct ovl_node *n, const struct p2pp_msg *m, struct p2pp_builder *b,
			unsigned *code)
{
	const struct p2pp_obj *o = p2pp_find(m, P2PP_O_RLOOKUP, NULL);
	struct p2pp_rlookup rl;
	struct chord_id key;
	struct store_filter f = {.key = &key, .role = STORE_ANY, .now = ovl_now(n)};
	struct lookup_ctx lc = {.n = n, .b = b, .now = f.now};
	int err;

	if (!o || p2pp_get_rlookup(m, o, &rl))
		return -EBADMSG;
	memcpy(key.b, rl.id, P2PP_ID_LEN);
	f.cont_type = rl.cont_type;
	ovl_resp_init(n, b, m, P2PP_OK);
	err = store_foreach(&n->store, &f, add_found, &lc);
	if (err < 0)
		return err;
	if (lc.found == 0)
		*code = lc.bad ? P2PP_REJECTED : P2PP_NOT_FOUND;
	return 0;
}

/* The replica holders forget a removed record too: RemoveObject without the R flag, which
 * acts on the receiver's own store only. */
static void remove_replicas(struct ovl_node *n, const struct p2pp_resource *r)
{
	struct chord_id key, to[CHORD_SUCC_MAX];
	struct p2pp_peer_info pi;
	struct p2pp_builder b;
	struct p2pp_hdr h;
	size_t len;
	int k;

	memcpy(key.b, r->id, P2PP_ID_LEN);
	k = chord_replicas(&n->ring, &key, to, n->cfg.replicas);
	for (int i = 0; i < k; i++) {
		struct ovl_op *op = ovl_op_new(n, OP_REMOVE_REPLICA);
		if (!op)
			return;
		ovl_hdr(n, &h, P2PP_REQUEST, P2PP_REMOVE_OBJECT, false);
		p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
		ovl_self_info(n, &pi);
		p2pp_put_peer_info(&b, &pi);
		p2pp_put_resource(&b, r);
		if (p2pp_finish(&b, &len)) {
			ovl_op_free(op);
			return;
		}
		ovl_op_send(op, &to[i], n->buf, len, on_batch_resp);
	}
}

static int serve_remove(struct ovl_node *n, const struct p2pp_msg *m, struct p2pp_builder *b,
			unsigned *code, struct p2pp_resource *r)
{
	const uint8_t *owner;
	size_t owner_len;
	struct chord_id key;
	struct p2pp_resource fwd;
	int err;

	memcpy(key.b, r->id, P2PP_ID_LEN);
	owner_of(m, r, &owner, &owner_len);
	err = store_remove(&n->store, &key, r->cont_type, owner, owner_len, ovl_now(n));
	if (err) {
		*code = err == -EPERM ? P2PP_REJECTED : P2PP_NOT_FOUND;
		return 0;
	}
	fwd = *r;
	fwd.owner.p = owner;
	fwd.owner.len = owner_len;
	remove_replicas(n, &fwd);
	ovl_resp_init(n, b, m, P2PP_OK);
	return 0;
}

int ovl_serve_object(struct ovl_node *n, const struct p2pp_msg *m, struct p2pp_builder *b,
		     unsigned *code)
{
	struct p2pp_resource *r;
	int err;

	*code = P2PP_OK;
	if (m->h.type == P2PP_LOOKUP_OBJECT)
		return serve_lookup(n, m, b, code);
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	err = get_first_resource(m, r);
	if (!err && m->h.type == P2PP_PUBLISH)
		err = serve_publish(n, m, b, code, r);
	else if (!err && m->h.type == P2PP_REMOVE_OBJECT)
		err = serve_remove(n, m, b, code, r);
	else if (!err)
		err = -EOPNOTSUPP;
	free(r);
	return err;
}

void ovl_on_remove_replica(struct ovl_node *n, const struct p2pp_msg *m,
			   const struct sockaddr *from)
{
	struct p2pp_resource *r = malloc(sizeof(*r));
	const uint8_t *owner;
	size_t owner_len;
	struct chord_id key;
	unsigned code = P2PP_OK;
	struct p2pp_builder b;
	size_t len;

	if (!r)
		return;
	ovl_learn_sender(n, m, from, true);
	if (m->h.kind != P2PP_REQUEST || get_first_resource(m, r)) {
		free(r);
		return;
	}
	memcpy(key.b, r->id, P2PP_ID_LEN);
	owner_of(m, r, &owner, &owner_len);
	if (store_remove(&n->store, &key, r->cont_type, owner, owner_len, ovl_now(n)))
		code = P2PP_NOT_FOUND;
	free(r);
	if (code != P2PP_OK) {
		ovl_respond_error(n, m, from, code, NULL);
		return;
	}
	ovl_resp_init(n, &b, m, P2PP_OK);
	if (p2pp_finish(&b, &len) == 0)
		p2pp_txn_respond(&n->txns, m, from, n->buf, len);
}

/* ---- what we published: refreshed before it expires ---- */

/* Before two thirds of the lifetime have passed, and at least every OVL_REPLICATE_EVERY
 * stabilize rounds: the responsible node may have changed without the record reaching it. */
static uint64_t refresh_time(const struct ovl_node *n, uint64_t now, uint32_t lifetime)
{
	uint64_t in = (uint64_t)lifetime * 2 / 3;
	uint64_t every = (uint64_t)OVL_REPLICATE_EVERY * n->cfg.stabilize_ms / 1000;

	if (every && every < in)
		in = every;
	return now + (in ? in : 1);
}

int ovl_pub_add(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type,
		const uint8_t *value, size_t len, uint32_t lifetime)
{
	struct ovl_pub *p;
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, value, len);
	for (p = n->pubs; p; p = p->next) {
		if (chord_id_eq(&p->key, key) && p->cont_type == cont_type)
			break;
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			free(copy);
			return -ENOMEM;
		}
		p->key = *key;
		p->cont_type = cont_type;
		p->next = n->pubs;
		n->pubs = p;
	}
	free(p->value);
	p->value = copy;
	p->value_len = len;
	p->lifetime = lifetime;
	p->refresh_at = refresh_time(n, ovl_now(n), lifetime);
	return 0;
}

void ovl_pub_del(struct ovl_node *n, const struct chord_id *key, uint8_t cont_type)
{
	for (struct ovl_pub **pp = &n->pubs; *pp; pp = &(*pp)->next) {
		struct ovl_pub *p = *pp;
		if (chord_id_eq(&p->key, key) && p->cont_type == cont_type) {
			*pp = p->next;
			free(p->value);
			free(p);
			return;
		}
	}
}

void ovl_pubs_free(struct ovl_node *n)
{
	while (n->pubs) {
		struct ovl_pub *p = n->pubs;
		n->pubs = p->next;
		free(p->value);
		free(p);
	}
}

void ovl_refresh_tick(struct ovl_node *n)
{
	uint64_t now = ovl_now(n);

	for (struct ovl_pub *p = n->pubs; p; p = p->next) {
		if (p->refresh_at > now)
			continue;
		p->refresh_at = refresh_time(n, now, p->lifetime);
		ovl_put(n, &p->key, p->cont_type, p->value, p->value_len, p->lifetime, false, NULL,
			NULL);
	}
}
