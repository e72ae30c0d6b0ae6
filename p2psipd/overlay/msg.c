/* Building and reading the P2PP pieces the overlay node sends: headers, Peer-Info, its
 * Neighbor-Table convention, responses and errors. Not sending, not routing decisions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/overlay/ovl_int.h"

void ovl_hdr(struct ovl_node *n, struct p2pp_hdr *h, uint8_t kind, uint8_t type, bool recursive)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->peer = 1;
	h->recursive = recursive;
	h->type = type;
	h->ttl = OVL_TTL;
	h->tid = ovl_new_tid();
	memcpy(h->src_id, n->self_b, P2PP_ID_LEN);
}

void ovl_self_info(struct ovl_node *n, struct p2pp_peer_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->has_id = 1;
	memcpy(pi->id, n->self_b, P2PP_ID_LEN);
	link_local_cands(n->link, pi);
}

void ovl_peer_info(struct ovl_node *n, const struct chord_id *id, struct p2pp_peer_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	if (chord_id_eq(id, &n->self)) {
		ovl_self_info(n, pi);
		return;
	}
	pi->has_id = 1;
	memcpy(pi->id, id->b, P2PP_ID_LEN);
	link_peer_cands(n->link, id, pi);
}

int ovl_pi_id(const struct p2pp_peer_info *pi, struct chord_id *out)
{
	if (!pi->has_id)
		return -ENOENT;
	memcpy(out->b, pi->id, P2PP_ID_LEN);
	return 0;
}

int ovl_put_neighbors(struct ovl_node *n, struct p2pp_builder *b)
{
	const struct chord_ring *r = &n->ring;
	struct p2pp_peer_info *t = calloc(1 + CHORD_SUCC_MAX, sizeof(*t));
	size_t k = 0;
	int err;

	if (!t)
		return -ENOMEM;
	ovl_peer_info(n, r->has_pred ? &r->pred : &n->self, &t[k++]);
	for (unsigned i = 0; i < r->nsucc; i++)
		ovl_peer_info(n, &r->succ[i], &t[k++]);
	err = p2pp_put_table(b, P2PP_O_NEIGHBOR_TABLE, t, k);
	free(t);
	return err;
}

int ovl_get_neighbors(struct ovl_node *n, const struct p2pp_msg *m, bool *has_pred,
		      struct chord_id *pred, struct chord_id *succ, unsigned *nsucc)
{
	const struct p2pp_obj *o = p2pp_find(m, P2PP_O_NEIGHBOR_TABLE, NULL);
	struct chord_id sender;
	struct p2pp_peer_info *t;
	size_t k = 0;
	int err;

	*has_pred = false;
	*nsucc = 0;
	if (!o || p2pp_count(m, P2PP_O_NEIGHBOR_TABLE) != 1)
		return -EBADMSG;
	memcpy(sender.b, m->h.resp_id, P2PP_ID_LEN);
	t = calloc(1 + CHORD_SUCC_MAX, sizeof(*t));
	if (!t)
		return -ENOMEM;
	err = p2pp_get_table(m, o, t, 1 + CHORD_SUCC_MAX, &k);
	if (!err && k == 0)
		err = -EBADMSG;
	for (size_t i = 0; !err && i < k; i++) {
		struct chord_id id;
		if (ovl_pi_id(&t[i], &id)) {
			err = -EBADMSG;
			break;
		}
		if (!chord_id_eq(&id, &n->self))
			link_learn(n->link, &id, &t[i], NULL);
		if (i == 0) {
			*has_pred = !chord_id_eq(&id, &sender);
			*pred = id;
		} else {
			succ[(*nsucc)++] = id;
		}
	}
	free(t);
	return err;
}

void ovl_resp_begin(struct ovl_node *n, struct p2pp_builder *b, const struct p2pp_msg *req,
		    unsigned code)
{
	struct p2pp_hdr h;

	memset(&h, 0, sizeof(h));
	h.kind = P2PP_RESPONSE;
	h.peer = 1;
	h.recursive = req->h.recursive;
	h.code = (uint16_t)code;
	h.type = req->h.type;
	h.ttl = req->h.ttl; /* echoed: the querier counts hops as OVL_TTL - ttl */
	h.tid = req->h.tid;
	memcpy(h.src_id, req->h.src_id, P2PP_ID_LEN);
	memcpy(h.resp_id, n->self_b, P2PP_ID_LEN);
	p2pp_build_init(b, n->buf, OVL_MSG_MAX, &h);
}

void ovl_resp_init(struct ovl_node *n, struct p2pp_builder *b, const struct p2pp_msg *req,
		   unsigned code)
{
	struct p2pp_peer_info pi;

	ovl_resp_begin(n, b, req, code);
	ovl_self_info(n, &pi);
	p2pp_put_peer_info(b, &pi);
}

void ovl_respond_error(struct ovl_node *n, const struct p2pp_msg *req, const struct sockaddr *to,
		       unsigned code, const char *reason)
{
	struct p2pp_error e = {.code = (uint16_t)code};
	struct p2pp_builder b;
	size_t len;

	if (reason) {
		e.reason.p = (const uint8_t *)reason;
		e.reason.len = strlen(reason);
	}
	ovl_resp_init(n, &b, req, code);
	p2pp_put_error(&b, &e);
	if (p2pp_finish(&b, &len))
		return;
	ovl_answer(n, req, to, n->buf, len);
}
