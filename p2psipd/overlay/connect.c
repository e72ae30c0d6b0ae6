/* Connect (draft-baset-p2psip-p2pp-01 8.16 "Send an ICE offer"): the overlay's part of an ICE
 * link's setup. Our candidates and ICE-Credentials go in a Connect routed recursively to the
 * peer (PLookup = its ID); its answer returns along the reverse path. Not ICE (link_ice.c).
 *
 * Sending: the link asks (cfg.connect) once its agent has gathered; a client operation
 * (route.c) carries it, retried like any other. Receiving at the target: the request is
 * ACKed at once, the link starts a controlled agent, and the response goes out when that
 * agent has gathered (cfg.answer), from a pending op holding the request. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/overlay/ovl_int.h"

int ovl_connect_build(struct ovl_node *n, const struct chord_id *peer, size_t *len)
{
	struct p2pp_peer_info pi;
	struct p2pp_ice_cred cred;
	struct p2pp_plookup pl = {.num = 1, .exact = 1};
	struct p2pp_builder b;
	struct p2pp_hdr h;
	int err;

	memset(&pi, 0, sizeof(pi));
	pi.has_id = 1;
	memcpy(pi.id, n->self_b, P2PP_ID_LEN);
	err = link_offer(n->link, peer, &pi, &cred);
	if (err)
		return err;
	memcpy(pl.ida, peer->b, P2PP_ID_LEN);
	ovl_hdr(n, &h, P2PP_REQUEST, P2PP_CONNECT, true);
	p2pp_build_init(&b, n->buf, OVL_MSG_MAX, &h);
	p2pp_put_peer_info(&b, &pi);
	p2pp_put_plookup(&b, &pl);
	p2pp_put_ice_cred(&b, &cred);
	return p2pp_finish(&b, len);
}

/* The link's hook: a Connect to peer, from the loop. */
int ovl_connect_send(void *arg, const struct chord_id *peer)
{
	struct ovl_node *n = arg;
	struct ovl_client *c;

	if (n->state != OVL_JOINED)
		return -EAGAIN;
	c = ovl_client_new(n, P2PP_CONNECT, peer);
	if (!c)
		return -ENOMEM;
	n->ctr.connects_sent++;
	return ovl_client_start(c);
}

/* The first Peer-Info of m whose ID is id, and m's ICE-Credentials. */
static int read_offer(const struct p2pp_msg *m, const struct chord_id *id,
		      struct p2pp_peer_info *pi, struct p2pp_ice_cred *cred)
{
	const struct p2pp_obj *o = NULL;
	struct chord_id x;

	o = p2pp_find(m, P2PP_O_ICE_CREDENTIALS, NULL);
	if (!o || p2pp_get_ice_cred(m, o, cred))
		return -EBADMSG;
	o = NULL;
	while ((o = p2pp_find(m, P2PP_O_PEER_INFO, o)) != NULL) {
		if (p2pp_get_peer_info(m, o, pi) == 0 && ovl_pi_id(pi, &x) == 0 &&
		    chord_id_eq(&x, id))
			return 0;
	}
	return -EBADMSG;
}

/* Our Connect was answered (err 0 and resp) or failed. */
void ovl_connect_done(struct ovl_node *n, const struct chord_id *peer, int err,
		      const struct p2pp_msg *resp)
{
	struct p2pp_peer_info *pi = NULL;
	struct p2pp_ice_cred cred;

	if (!err && resp) {
		pi = malloc(sizeof(*pi));
		err = pi ? read_offer(resp, peer, pi, &cred) : -ENOMEM;
	}
	if (!err && !resp)
		err = -EPROTO;
	link_answered(n->link, peer, err, err ? NULL : pi, err ? NULL : &cred);
	free(pi);
}

static struct ovl_op *pending(struct ovl_node *n, const struct chord_id *peer)
{
	for (struct ovl_op *op = n->ops; op; op = op->next) {
		if (op->kind == OP_CONNECT && chord_id_eq(&op->peer, peer))
			return op;
	}
	return NULL;
}

/* Connect served here, the target (route.c serve). */
void ovl_on_connect(struct ovl_node *n, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_peer_info *pi = malloc(sizeof(*pi));
	struct p2pp_ice_cred cred;
	struct chord_id peer, key;
	const struct p2pp_obj *o = p2pp_find(m, P2PP_O_PLOOKUP, NULL);
	struct p2pp_plookup pl;
	struct ovl_op *op;
	int err;

	memcpy(peer.b, m->h.src_id, P2PP_ID_LEN);
	err = pi && from ? 0 : -ENOMEM;
	if (!err && (!o || p2pp_get_plookup(m, o, &pl)))
		err = -EBADMSG;
	if (!err)
		memcpy(key.b, pl.ida, P2PP_ID_LEN);
	if (!err && !chord_id_eq(&key, &n->self)) {
		free(pi);
		ovl_respond_error(n, m, from, P2PP_NOT_FOUND, "no such peer");
		return;
	}
	if (!err)
		err = read_offer(m, &peer, pi, &cred);
	while (!err && (op = pending(n, &peer)) != NULL)
		ovl_op_free(op); /* an older Connect of peer's: this one replaces it */
	if (!err)
		err = link_accept(n->link, &peer, pi, &cred);
	free(pi);
	if (err) {
		ovl_respond_error(n, m, from, err == -EBUSY ? P2PP_REJECTED : P2PP_BAD_REQUEST,
				  err == -EBUSY ? "connect collision: ours goes first" : NULL);
		return;
	}
	n->ctr.connects_served++;
	op = ovl_op_new(n, OP_CONNECT);
	if (!op || !(op->req = malloc(m->len))) {
		if (op)
			ovl_op_free(op);
		return;
	}
	memcpy(op->req, m->buf, m->len);
	op->req_len = m->len;
	op->peer = peer;
	op->has_peer = true;
	memcpy(&op->from, from,
	       from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in));
	p2pp_txn_ack(&n->txns, m, from); /* the answer waits for our gathering */
}

/* The link's hook: our agent for peer's Connect has gathered (or failed): the response. */
void ovl_connect_answer(void *arg, const struct chord_id *peer, int err)
{
	struct ovl_node *n = arg;
	struct ovl_op *op = pending(n, peer);
	struct p2pp_msg *m;
	struct p2pp_peer_info pi;
	struct p2pp_ice_cred cred;
	struct p2pp_builder b;
	size_t len;

	if (!op)
		return;
	m = malloc(sizeof(*m));
	if (!m || p2pp_parse(m, op->req, op->req_len)) {
		free(m);
		ovl_op_free(op);
		return;
	}
	memset(&pi, 0, sizeof(pi));
	pi.has_id = 1;
	memcpy(pi.id, n->self_b, P2PP_ID_LEN);
	if (!err)
		err = link_offer(n->link, peer, &pi, &cred);
	if (err) {
		ovl_respond_error(n, m, (struct sockaddr *)&op->from, P2PP_TIMEOUT, strerror(-err));
	} else {
		ovl_resp_begin(n, &b, m, P2PP_OK);
		p2pp_put_peer_info(&b, &pi);
		p2pp_put_ice_cred(&b, &cred);
		if (p2pp_finish(&b, &len) == 0)
			p2pp_txn_respond(&n->txns, m, (struct sockaddr *)&op->from, n->buf, len);
	}
	free(m);
	ovl_op_free(op);
}
