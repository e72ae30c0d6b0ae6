/* A LookupObject that finds nothing at the node responsible for its key, asked once more of our
 * successor's own store: it holds the records as their previous owner until its Transfer reaches
 * us (we just joined; in hip mode the Transfer may wait for a base exchange), or as a replica
 * (we restarted with our ID and came back empty). What it has is answered by us and kept.
 * Not routing (route.c) nor the serving of a request from our store (storage.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/overlay/ovl_int.h"

/* Keeps a record the successor had, as ours when its key is in our range (a read repair). */
static void keep(struct ovl_node *n, const struct p2pp_resource *r, uint64_t now)
{
	struct store_put p = {0};

	ovl_put_of(&p, r);
	if (!chord_is_mine(&n->ring, &p.id))
		return;
	p.primary = true;
	store_put(&n->store, &p, now);
}

/* The successor's records for the key and content type of rl, into our answer b (User-Info
 * verified again, as at any lookup); *bad counts the ones that failed. */
static unsigned add_records(struct ovl_node *n, const struct p2pp_rlookup *rl,
			    const struct p2pp_msg *resp, struct p2pp_builder *b, unsigned *bad)
{
	struct p2pp_resource *r = malloc(sizeof(*r));
	const struct p2pp_obj *o = NULL;
	uint64_t now = ovl_now(n);
	struct chord_id key;
	unsigned found = 0;

	if (!r)
		return 0;
	memcpy(key.b, rl->id, P2PP_ID_LEN);
	while ((o = p2pp_find(resp, P2PP_O_RESOURCE_OBJECT, o)) && found < OVL_VALUES_MAX) {
		if (p2pp_get_resource(resp, o, r) || !r->owner.len ||
		    memcmp(r->id, rl->id, P2PP_ID_LEN) != 0 || r->cont_type != rl->cont_type)
			continue;
		if (r->cont_type == P2PP_CT_USER_INFO &&
		    ovl_check_aor(n, &key, r->owner.p, r->owner.len, r->value.p, r->value.len)) {
			(*bad)++;
			continue;
		}
		if (p2pp_put_resource(b, r))
			break;
		keep(n, r, now);
		found++;
	}
	free(r);
	return found;
}

/* Our answer to the request of op (its own copy, m): the records in resp, else 404. */
static void answer(struct ovl_op *op, const struct p2pp_msg *m, const struct p2pp_msg *resp)
{
	struct ovl_node *n = op->n;
	const struct p2pp_obj *o = p2pp_find(m, P2PP_O_RLOOKUP, NULL);
	const struct sockaddr *to = op->client ? NULL : (const struct sockaddr *)&op->from;
	unsigned found = 0, bad = 0;
	struct p2pp_rlookup rl;
	struct p2pp_builder b;
	size_t len;

	if (op->client) {
		op->client->in_flight = false;
		n->local_client = op->client;
		op->client = NULL;
	} else if (!op->from.ss_family) {
		return; /* ours, and cancelled meanwhile */
	}
	ovl_resp_init(n, &b, m, P2PP_OK);
	if (resp && resp->h.code == P2PP_OK && o && p2pp_get_rlookup(m, o, &rl) == 0)
		found = add_records(n, &rl, resp, &b, &bad);
	if (found) {
		n->ctr.miss_found++;
		if (p2pp_finish(&b, &len) == 0)
			ovl_answer(n, m, to, n->buf, len);
	} else {
		ovl_respond_error(n, m, to, bad ? P2PP_REJECTED : P2PP_NOT_FOUND, NULL);
	}
	n->local_client = NULL;
}

static void on_asked(void *arg, int err, const struct p2pp_msg *resp, const struct sockaddr *from)
{
	struct ovl_op *op = arg;
	struct ovl_node *n = op->n;
	struct chord_id succ = op->peer;
	struct p2pp_msg *m = malloc(sizeof(*m));

	(void)from;
	op->txn = NULL;
	if (err)
		log_debug("%s: successor %s not asked for a missing record: %s", n->name,
			  chord_id_to_str(&succ, (char[CHORD_ID_STRLEN]){0}), strerror(-err));
	if (m && p2pp_parse(m, op->req, op->req_len) == 0)
		answer(op, m, err ? NULL : resp);
	else if (op->client)
		ovl_client_fail(op->client, -ENOMEM);
	free(m);
	ovl_op_free(op);
	if (err == -ETIMEDOUT && n->state == OVL_JOINED)
		ovl_peer_failed(n, &succ);
}

/* The question: LookupObject for the same key and content type, without the R flag (the
 * receiver's own store only, never routed on: no loop). */
static int build_question(struct ovl_node *n, const struct p2pp_rlookup *rl, size_t *len)
{
	struct p2pp_peer_info pi;
	struct p2pp_builder b;
	struct p2pp_hdr h;

	ovl_hdr(n, &h, P2PP_REQUEST, P2PP_LOOKUP_OBJECT, false);
	p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
	ovl_self_info(n, &pi);
	p2pp_put_peer_info(&b, &pi);
	p2pp_put_rlookup(&b, rl);
	return p2pp_finish(&b, len);
}

int ovl_ask_successor(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	const struct chord_id *succ = chord_successor(&n->ring);
	const struct p2pp_obj *o = p2pp_find(m, P2PP_O_RLOOKUP, NULL);
	struct p2pp_rlookup rl;
	struct ovl_op *op;
	size_t len;
	int err;

	if (n->state != OVL_JOINED || !m->h.recursive || chord_id_eq(succ, &n->self) || !o ||
	    p2pp_get_rlookup(m, o, &rl))
		return -ENOENT;
	op = ovl_op_new(n, OP_ASK_SUCC);
	if (!op || !(op->req = malloc(m->len))) {
		if (op)
			ovl_op_free(op);
		return -ENOMEM;
	}
	memcpy(op->req, m->buf, m->len);
	op->req_len = m->len;
	p2pp_set_ttl(op->req, op->req_len, m->h.ttl); /* as lowered on the way here */
	memcpy(op->key.b, rl.id, P2PP_ID_LEN);
	err = build_question(n, &rl, &len);
	if (err) {
		ovl_op_free(op);
		return err;
	}
	err = ovl_op_send(op, succ, n->buf, len, on_asked); /* frees op on failure */
	if (err)
		return err;
	n->ctr.miss_asked++;
	if (from) {
		memcpy(&op->from, from,
		       from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						   : sizeof(struct sockaddr_in));
		p2pp_txn_ack(&n->txns, m, from); /* answered later: the previous hop waits */
	} else {
		op->client = n->local_client;
		n->local_client = NULL;
		if (op->client)
			op->client->in_flight = true;
	}
	return 0;
}

void ovl_on_lookup_local(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_builder b;
	unsigned code;
	size_t len;
	int err;

	ovl_learn_sender(n, m, from, true);
	if (m->h.kind != P2PP_REQUEST)
		return;
	err = ovl_serve_object(n, m, &b, &code);
	if (err || code != P2PP_OK) {
		ovl_respond_error(n, m, from, code != P2PP_OK ? code : P2PP_BAD_REQUEST,
				  err ? strerror(-err) : NULL);
		return;
	}
	if (p2pp_finish(&b, &len) == 0)
		p2pp_txn_respond(&n->txns, m, from, n->buf, len);
}
