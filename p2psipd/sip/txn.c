/* RFC 3261 17 transactions as our own state machines on libuv timers (two per transaction:
 * retransmission and end), with RFC 6026's Accepted state. Not a dialog layer.
 *
 * Why not libosip2's osip_t machines (osip_transaction_init, osip_ict_execute...): there T1,
 * T2 and T4 are compile-time constants (DEFAULT_T1 in osip.h), so tests could not shorten
 * them without patching the library's private timer fields; it decides reliability from the
 * Via transport text rather than from the destination we send to (a peer p2psipd's channel
 * is a datagram flow whatever the Via says); it has no Accepted state (RFC 6026), no 100
 * Trying timer and no 2xx retransmission, so most of the INVITE server would be ours anyway;
 * and its event FIFOs, per-transaction events and osip_t-wide callbacks carrying a host and
 * port string sit awkwardly under a libuv loop with several independent layers. We use
 * libosip2 for messages only (msg.h). */
#include "p2psipd/sip/txn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct keys {
	char *branch; /* top Via branch when it has the magic cookie, else NULL (17.2.3) */
	char *sent_by;
	char *call_id;
	char *from_tag, *to_tag;
	char *method; /* requests: the method; responses: the CSeq method */
	uint32_t cseq;
	char *ruri, *via; /* RFC 2543 matching only (no magic cookie) */
};

struct sip_txn {
	struct sip_txn_layer *l;
	struct sip_txn *next;
	struct sip_txn **pprev; /* what points at us on the list (O(1) unlink); NULL: off it */
	enum sip_txn_kind kind;
	enum sip_txn_state state;
	struct sip_dest dest;
	struct sip_txn_cbs cbs;
	void *arg;
	osip_message_t *req;
	struct keys k;
	char *resp_to_tag; /* server: the To tag of our final response (ACK matching) */
	uint8_t *out;	   /* client: the request; server: the last response */
	size_t out_len;
	uint8_t *ack; /* INVITE client: the ACK for a non-2xx final response */
	size_t ack_len;
	uv_timer_t retx, end;
	uint64_t retx_due;
	unsigned retx_ivl;
	unsigned handles;
	bool dead;
	bool acked;		/* INVITE server: the ACK for our 2xx came */
	bool cancel_started;	/* INVITE client: sip_txn_cancel was called */
	struct sip_txn *cancel; /* INVITE client: its CANCEL while both live */
	struct sip_txn *invite; /* a CANCEL: its INVITE client while both live */
};

static const struct sip_txn_timers defaults = {
    .t1_ms = 500, .t2_ms = 4000, .t4_ms = 5000, .d_ms = 32000, .trying_ms = 200};

/* ---- small helpers ---- */

static bool eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static char *dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

static uint64_t now(const struct sip_txn *x)
{
	return uv_now(x->l->loop);
}

static unsigned t64(const struct sip_txn *x)
{
	return 64 * x->l->tm.t1_ms;
}

static bool is_client(const struct sip_txn *x)
{
	return x->kind == SIP_TXN_ICT || x->kind == SIP_TXN_NICT;
}

/* ---- matching keys (RFC 3261 17.1.3, 17.2.3) ---- */

static void keys_free(struct keys *k)
{
	free(k->branch);
	free(k->sent_by);
	free(k->call_id);
	free(k->from_tag);
	free(k->to_tag);
	free(k->method);
	free(k->ruri);
	free(k->via);
	memset(k, 0, sizeof(*k));
}

/* Takes a string libosip2 allocated (r its result) into one of ours. */
static char *osip_text(int r, char *s, int *err)
{
	char *d = NULL;

	if (r == 0 && s)
		d = strdup(s);
	osip_free(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

/* The Request-URI and the whole top Via, which only RFC 2543 matching compares. */
static int keys_2543(const osip_message_t *m, struct keys *k)
{
	const osip_via_t *via = osip_list_get(&m->vias, 0);
	char *s = NULL;
	int err = 0, r;

	if (m->req_uri) {
		r = osip_uri_to_str(m->req_uri, &s);
		k->ruri = osip_text(r, s, &err);
	}
	s = NULL;
	if (!err) {
		r = osip_via_to_str(via, &s);
		k->via = osip_text(r, s, &err);
	}
	return err;
}

/* Call-ID as "number@host" and the top Via's sent-by as "host:port", of any length. */
static char *call_id_text(const osip_message_t *m, int *err)
{
	const osip_call_id_t *c = m->call_id;
	char *s = NULL;

	if (!c || !c->number)
		return NULL;
	if (asprintf(&s, "%s%s%s", c->number, c->host ? "@" : "", c->host ? c->host : "") < 0) {
		*err = -ENOMEM;
		return NULL;
	}
	return s;
}

static char *sent_by_text(const osip_message_t *m, int *err)
{
	const osip_via_t *v = osip_list_get(&m->vias, 0);
	char *s = NULL;

	if (!v || !v->host)
		return NULL;
	if (asprintf(&s, "%s:%s", v->host, v->port ? v->port : "") < 0) {
		*err = -ENOMEM;
		return NULL;
	}
	return s;
}

static int keys_of(const osip_message_t *m, struct keys *k)
{
	const char *branch = sip_msg_branch(m), *method = NULL;
	int err = 0;

	memset(k, 0, sizeof(*k));
	if (!osip_list_get(&m->vias, 0) || sip_msg_cseq(m, &k->cseq, &method))
		return -EINVAL;
	if (branch && strncmp(branch, SIP_BRANCH_COOKIE, strlen(SIP_BRANCH_COOKIE)) == 0)
		k->branch = dup_or_null(branch, &err);
	k->sent_by = sent_by_text(m, &err);
	k->call_id = call_id_text(m, &err);
	k->from_tag = dup_or_null(sip_msg_from_tag(m), &err);
	k->to_tag = dup_or_null(sip_msg_to_tag(m), &err);
	k->method = dup_or_null(MSG_IS_REQUEST(m) ? m->sip_method : method, &err);
	if (!err && !k->branch && MSG_IS_REQUEST(m))
		err = keys_2543(m, k);
	if (err)
		keys_free(k);
	return err;
}

/* RFC 2543 peers (no magic cookie): Request-URI, From tag, Call-ID, CSeq number and top Via
 * equal; the To tag is the request's, or for an ACK the one of our response. */
static bool match_2543(const struct sip_txn *x, const struct keys *k, bool ack, bool any_method)
{
	if (x->k.branch || k->branch)
		return false;
	if (!eq(x->k.ruri, k->ruri) || !eq(x->k.from_tag, k->from_tag) ||
	    !eq(x->k.call_id, k->call_id) || x->k.cseq != k->cseq || !eq(x->k.via, k->via))
		return false;
	if (ack)
		return eq(k->to_tag, x->resp_to_tag);
	return eq(k->to_tag, x->k.to_tag) && (any_method || eq(k->method, x->k.method));
}

/* RFC 3261 17.2.3: branch, sent-by and method (ACK goes with INVITE). */
static struct sip_txn *find_server(struct sip_txn_layer *l, const struct keys *k)
{
	bool ack = strcmp(k->method, "ACK") == 0;

	for (struct sip_txn *x = l->head; x; x = x->next) {
		if (is_client(x) || (ack && x->kind != SIP_TXN_IST))
			continue;
		if (!k->branch) {
			if (match_2543(x, k, ack, false))
				return x;
			continue;
		}
		if (eq(x->k.branch, k->branch) && eq(x->k.sent_by, k->sent_by) &&
		    (ack || eq(x->k.method, k->method)))
			return x;
	}
	return NULL;
}

/* RFC 3261 17.1.3: the branch of the top Via and the CSeq method. */
static struct sip_txn *find_client(struct sip_txn_layer *l, const struct keys *k)
{
	for (struct sip_txn *x = l->head; x; x = x->next)
		if (is_client(x) && k->branch && eq(x->k.branch, k->branch) &&
		    eq(x->k.method, k->method))
			return x;
	return NULL;
}

/* An ACK for our 2xx: a request of its own (17.1.1.3), matched to the INVITE server
 * transaction in Accepted by Call-ID, CSeq number and the tags of our 2xx. */
static struct sip_txn *find_accepted(struct sip_txn_layer *l, const struct keys *k)
{
	for (struct sip_txn *x = l->head; x; x = x->next)
		if (x->kind == SIP_TXN_IST && x->state == SIP_TXN_ACCEPTED &&
		    eq(x->k.call_id, k->call_id) && x->k.cseq == k->cseq &&
		    eq(x->k.from_tag, k->from_tag) && eq(x->resp_to_tag, k->to_tag))
			return x;
	return NULL;
}

/* ---- life cycle ---- */

static void layer_release(struct sip_txn_layer *l);

static void txn_free(struct sip_txn *x)
{
	struct sip_txn_layer *l = x->l;

	sip_msg_free(x->req);
	keys_free(&x->k);
	free(x->resp_to_tag);
	free(x->out);
	free(x->ack);
	free(x);
	l->allocated--;
	layer_release(l);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct sip_txn *x = h->data;

	if (--x->handles == 0)
		txn_free(x);
}

static void unlink_txn(struct sip_txn *x)
{
	if (!x->pprev)
		return;
	*x->pprev = x->next;
	if (x->next)
		x->next->pprev = x->pprev;
	x->pprev = NULL;
	x->l->count--;
}

static void txn_end(struct sip_txn *x, int err, bool notify);

/* The INVITE client's CANCEL: a held one is not needed any more; a sent one carries on. */
static void detach_cancel(struct sip_txn *x, bool notify)
{
	struct sip_txn *c = x->cancel;

	if (!c)
		return;
	x->cancel = NULL;
	c->invite = NULL;
	if (c->state == SIP_TXN_WAITING)
		txn_end(c, 0, notify);
}

/* Enters Terminated: off the list, timers stopped, the TU told (unless notify is false),
 * memory freed once libuv has closed both timers. */
static void txn_end(struct sip_txn *x, int err, bool notify)
{
	if (x->dead)
		return;
	x->dead = true;
	x->state = SIP_TXN_TERMINATED;
	unlink_txn(x);
	uv_timer_stop(&x->retx);
	uv_timer_stop(&x->end);
	detach_cancel(x, notify);
	if (x->invite) {
		x->invite->cancel = NULL;
		x->invite = NULL;
	}
	if (err == -ETIMEDOUT || err == -ETIME)
		x->l->stats.timeouts++;
	if (notify && err && x->cbs.error)
		x->cbs.error(x->arg, x, err);
	if (notify && x->cbs.terminated)
		x->cbs.terminated(x->arg, x);
	uv_close((uv_handle_t *)&x->retx, on_timer_closed);
	uv_close((uv_handle_t *)&x->end, on_timer_closed);
}

static void on_retx(uv_timer_t *t);
static void on_end(uv_timer_t *t);

static int txn_new(struct sip_txn_layer *l, enum sip_txn_kind kind, const osip_message_t *req,
		   const struct sip_dest *dest, struct sip_txn **out)
{
	struct sip_txn *x = calloc(1, sizeof(*x));
	int err;

	*out = NULL;
	if (!x)
		return -ENOMEM;
	x->l = l;
	x->kind = kind;
	x->dest = *dest;
	err = keys_of(req, &x->k);
	if (!err && osip_message_clone(req, &x->req))
		err = -ENOMEM;
	if (err) {
		keys_free(&x->k);
		free(x);
		return err;
	}
	uv_timer_init(l->loop, &x->retx);
	uv_timer_init(l->loop, &x->end);
	x->retx.data = x;
	x->end.data = x;
	x->handles = 2;
	l->allocated++;
	*out = x;
	return 0;
}

static void txn_link(struct sip_txn *x)
{
	x->next = x->l->head;
	if (x->next)
		x->next->pprev = &x->next;
	x->pprev = &x->l->head;
	x->l->head = x;
	x->l->count++;
}

/* A transaction that never started: freed without callbacks. */
static void txn_discard(struct sip_txn *x)
{
	x->dead = true;
	uv_close((uv_handle_t *)&x->retx, on_timer_closed);
	uv_close((uv_handle_t *)&x->end, on_timer_closed);
}

/* ---- timers and sending ---- */

static void arm(uv_timer_t *t, uint64_t due, uv_timer_cb cb)
{
	uint64_t n = uv_now(t->loop);

	uv_timer_start(t, cb, due > n ? due - n : 0, 0);
}

static void end_in(struct sip_txn *x, uint64_t ms)
{
	arm(&x->end, now(x) + ms, on_end);
}

/* Retransmissions keep to their schedule from the first send (T1, 2*T1, 4*T1... after it),
 * however late the loop runs a callback: 64*T1 then holds seven INVITEs (17.1.1.2). */
static void retx_first(struct sip_txn *x, unsigned ivl)
{
	x->retx_due = now(x);
	x->retx_ivl = ivl;
	x->retx_due += ivl;
	arm(&x->retx, x->retx_due, on_retx);
}

static void retx_next(struct sip_txn *x, unsigned ivl)
{
	x->retx_ivl = ivl;
	x->retx_due += ivl;
	arm(&x->retx, x->retx_due, on_retx);
}

static unsigned doubled(const struct sip_txn *x)
{
	unsigned ivl = 2 * x->retx_ivl;

	return ivl < x->l->tm.t2_ms ? ivl : x->l->tm.t2_ms;
}

static int send_bytes(struct sip_txn *x, const uint8_t *b, size_t n, bool again)
{
	int err = x->l->cbs.send(x->l->arg, &x->dest, b, n);

	if (err == 0 && again)
		x->l->stats.retransmits++;
	else if (err == 0)
		x->l->stats.sent++;
	return err;
}

/* Sends again what the transaction last sent; a transport error ends it (17.1.4, 17.2.4). */
static void resend(struct sip_txn *x, const uint8_t *b, size_t n)
{
	int err;

	if (!b)
		return;
	err = send_bytes(x, b, n, true);
	if (err)
		txn_end(x, err, true);
}

static int set_out(struct sip_txn *x, osip_message_t *m)
{
	uint8_t *b;
	size_t n;
	int err = sip_msg_to_bytes(m, &b, &n);

	if (err)
		return err;
	free(x->out);
	x->out = b;
	x->out_len = n;
	return 0;
}

/* RFC 3261 17.2.1: 100 Trying when the TU has not answered within trying_ms. */
static void send_trying(struct sip_txn *x)
{
	osip_message_t *r;
	int err = sip_msg_response(x->req, 100, NULL, NULL, &r);

	if (!err) {
		err = set_out(x, r);
		sip_msg_free(r);
	}
	if (!err)
		err = send_bytes(x, x->out, x->out_len, false);
	if (err)
		txn_end(x, err, true);
}

static void on_retx(uv_timer_t *t)
{
	struct sip_txn *x = t->data;

	switch (x->state) {
	case SIP_TXN_CALLING: /* timer A, 17.1.1.2: doubling without cap */
		resend(x, x->out, x->out_len);
		if (!x->dead)
			retx_next(x, 2 * x->retx_ivl);
		break;
	case SIP_TXN_TRYING: /* timer E, 17.1.2.2 */
		resend(x, x->out, x->out_len);
		if (!x->dead)
			retx_next(x, doubled(x));
		break;
	case SIP_TXN_PROCEEDING:
		if (x->kind == SIP_TXN_IST) { /* the 100 Trying timer */
			send_trying(x);
			break;
		}
		resend(x, x->out, x->out_len); /* timer E in Proceeding: T2 */
		if (!x->dead)
			retx_next(x, x->l->tm.t2_ms);
		break;
	case SIP_TXN_COMPLETED: /* timer G, 17.2.1 */
	case SIP_TXN_ACCEPTED:	/* the 2xx until its ACK, 13.3.1.4 */
		resend(x, x->out, x->out_len);
		if (!x->dead)
			retx_next(x, doubled(x));
		break;
	default:
		break;
	}
}

static void on_end(uv_timer_t *t)
{
	struct sip_txn *x = t->data;

	switch (x->state) {
	case SIP_TXN_CALLING:	 /* timer B */
	case SIP_TXN_TRYING:	 /* timer F */
	case SIP_TXN_PROCEEDING: /* timer F */
		txn_end(x, -ETIMEDOUT, true);
		break;
	case SIP_TXN_COMPLETED: /* D, K, J; H: no ACK */
		txn_end(x, x->kind == SIP_TXN_IST ? -ETIMEDOUT : 0, true);
		break;
	case SIP_TXN_ACCEPTED: /* M; L (RFC 6026), with the 2xx unacknowledged: -ETIME */
		txn_end(x, x->kind == SIP_TXN_IST && !x->acked ? -ETIME : 0, true);
		break;
	default: /* I */
		txn_end(x, 0, true);
		break;
	}
}

/* ---- client transactions (17.1) ---- */

/* First send of a client request: timers A/E only over unreliable transports, B/F always. */
static int client_start(struct sip_txn *x)
{
	int err = send_bytes(x, x->out, x->out_len, false);

	if (err)
		return err;
	x->state = x->kind == SIP_TXN_ICT ? SIP_TXN_CALLING : SIP_TXN_TRYING;
	if (!x->dest.reliable)
		retx_first(x, x->l->tm.t1_ms);
	end_in(x, t64(x));
	return 0;
}

static int client_new(struct sip_txn_layer *l, const osip_message_t *req,
		      const struct sip_dest *dest, const struct sip_txn_cbs *cbs, void *arg,
		      struct sip_txn **out)
{
	enum sip_txn_kind kind = MSG_IS_INVITE(req) ? SIP_TXN_ICT : SIP_TXN_NICT;
	struct sip_txn *x;
	int err = txn_new(l, kind, req, dest, &x);

	if (err)
		return err;
	if (!x->k.branch) {
		txn_discard(x);
		return -EINVAL; /* RFC 3261 8.1.1.7: ours always carry the cookie */
	}
	err = set_out(x, x->req);
	if (err) {
		txn_discard(x);
		return err;
	}
	if (cbs)
		x->cbs = *cbs;
	x->arg = arg;
	*out = x;
	return 0;
}

int sip_txn_request(struct sip_txn_layer *l, const osip_message_t *req, const struct sip_dest *dest,
		    const struct sip_txn_cbs *cbs, void *arg, struct sip_txn **out)
{
	struct sip_txn *x;
	int err;

	if (out)
		*out = NULL;
	if (l->closing)
		return -ESHUTDOWN;
	if (!MSG_IS_REQUEST(req) || !req->sip_method || MSG_IS_ACK(req))
		return -EINVAL;
	err = client_new(l, req, dest, cbs, arg, &x);
	if (err)
		return err;
	err = client_start(x);
	if (err) {
		txn_discard(x);
		return err;
	}
	txn_link(x);
	if (out)
		*out = x;
	return 0;
}

/* A held CANCEL goes out once its INVITE has a provisional response (9.1). */
static void start_held_cancel(struct sip_txn *ict)
{
	struct sip_txn *c = ict->cancel;
	int err;

	if (!c || c->state != SIP_TXN_WAITING)
		return;
	err = client_start(c);
	if (err)
		txn_end(c, err, true);
}

int sip_txn_cancel(struct sip_txn *ict, const struct sip_txn_cbs *cbs, void *arg,
		   struct sip_txn **out)
{
	osip_message_t *cancel;
	struct sip_txn *c;
	int err;

	if (out)
		*out = NULL;
	if (ict->kind != SIP_TXN_ICT || ict->dead)
		return -EINVAL;
	if (ict->cancel_started ||
	    (ict->state != SIP_TXN_CALLING && ict->state != SIP_TXN_PROCEEDING))
		return -EALREADY;
	err = sip_msg_cancel(ict->req, &cancel);
	if (err)
		return err;
	err = client_new(ict->l, cancel, &ict->dest, cbs, arg, &c);
	sip_msg_free(cancel);
	if (err)
		return err;
	ict->cancel_started = true;
	ict->cancel = c;
	c->invite = ict;
	c->state = SIP_TXN_WAITING;
	txn_link(c);
	if (out)
		*out = c;
	if (ict->state == SIP_TXN_PROCEEDING)
		start_held_cancel(ict);
	return 0;
}

static void pass_up(struct sip_txn *x, const osip_message_t *resp)
{
	if (!x->dead && x->cbs.response)
		x->cbs.response(x->arg, x, resp);
}

/* 17.1.1.2: a 300-699 final response is ACKed by the transaction, on any transport. */
static void ict_final(struct sip_txn *x, const osip_message_t *resp)
{
	osip_message_t *ack;
	int err;

	x->state = SIP_TXN_COMPLETED;
	uv_timer_stop(&x->retx);
	detach_cancel(x, true);
	err = sip_msg_ack(x->req, resp, &ack);
	if (!err) {
		err = sip_msg_to_bytes(ack, &x->ack, &x->ack_len);
		sip_msg_free(ack);
	}
	if (!err)
		err = send_bytes(x, x->ack, x->ack_len, false);
	pass_up(x, resp);
	if (x->dead)
		return;
	if (err) {
		txn_end(x, err, true);
		return;
	}
	end_in(x, x->dest.reliable ? 0 : x->l->tm.d_ms); /* timer D */
}

static int ict_response(struct sip_txn *x, const osip_message_t *resp)
{
	int status = resp->status_code;

	if (x->state == SIP_TXN_COMPLETED) { /* a retransmitted final response: ACK again */
		if (status >= 300)
			resend(x, x->ack, x->ack_len);
		x->l->stats.absorbed++;
		return SIP_TXN_IN_ABSORBED;
	}
	if (x->state == SIP_TXN_ACCEPTED) { /* RFC 6026 7.2: every 2xx goes up */
		if (status < 200 || status >= 300) {
			x->l->stats.absorbed++;
			return SIP_TXN_IN_ABSORBED;
		}
		pass_up(x, resp);
		return SIP_TXN_IN_MATCHED;
	}
	if (status < 200) { /* Calling or Proceeding */
		if (x->state == SIP_TXN_CALLING) {
			x->state = SIP_TXN_PROCEEDING;
			uv_timer_stop(&x->retx);
			uv_timer_stop(&x->end); /* timer B counts in Calling only */
			start_held_cancel(x);
		}
		pass_up(x, resp);
		return SIP_TXN_IN_MATCHED;
	}
	if (status < 300) { /* RFC 6026 7.2: Accepted, timer M */
		x->state = SIP_TXN_ACCEPTED;
		uv_timer_stop(&x->retx);
		detach_cancel(x, true);
		end_in(x, t64(x));
		pass_up(x, resp);
		return SIP_TXN_IN_MATCHED;
	}
	ict_final(x, resp);
	return SIP_TXN_IN_MATCHED;
}

static int nict_response(struct sip_txn *x, const osip_message_t *resp)
{
	if (x->state != SIP_TXN_TRYING && x->state != SIP_TXN_PROCEEDING) {
		x->l->stats.absorbed++;
		return SIP_TXN_IN_ABSORBED;
	}
	if (resp->status_code < 200) {
		x->state = SIP_TXN_PROCEEDING;
	} else { /* Completed, timer K */
		x->state = SIP_TXN_COMPLETED;
		uv_timer_stop(&x->retx);
		end_in(x, x->dest.reliable ? 0 : x->l->tm.t4_ms);
	}
	pass_up(x, resp);
	return SIP_TXN_IN_MATCHED;
}

static int input_response(struct sip_txn_layer *l, const osip_message_t *resp,
			  const struct sip_dest *src)
{
	struct sip_txn *x;
	struct keys k;
	int err = keys_of(resp, &k);

	if (err)
		return err;
	x = find_client(l, &k);
	keys_free(&k);
	if (x)
		return x->kind == SIP_TXN_ICT ? ict_response(x, resp) : nict_response(x, resp);
	l->stats.stray++;
	if (l->cbs.stray_response)
		l->cbs.stray_response(l->arg, resp, src);
	return SIP_TXN_IN_TU;
}

/* ---- server transactions (17.2) ---- */

static int absorbed(struct sip_txn *x)
{
	x->l->stats.absorbed++;
	return SIP_TXN_IN_ABSORBED;
}

/* An ACK in the INVITE server transaction (17.2.1). */
static int ist_ack(struct sip_txn *x, const osip_message_t *ack, const struct sip_dest *src)
{
	struct sip_txn_layer *l = x->l;

	if (x->state == SIP_TXN_COMPLETED) { /* Confirmed, timer I */
		x->state = SIP_TXN_CONFIRMED;
		uv_timer_stop(&x->retx);
		end_in(x, x->dest.reliable ? 0 : l->tm.t4_ms);
		return SIP_TXN_IN_MATCHED;
	}
	if (x->state != SIP_TXN_ACCEPTED || x->acked)
		return absorbed(x);
	/* The ACK for our 2xx with the INVITE's branch (a UAC that reuses it): the TU's. */
	x->acked = true;
	uv_timer_stop(&x->retx);
	l->cbs.request(l->arg, NULL, ack, src);
	return SIP_TXN_IN_TU;
}

/* A request that matched a server transaction: a retransmission, or an ACK. */
static int server_again(struct sip_txn *x, const osip_message_t *req, const struct sip_dest *src)
{
	if (MSG_IS_ACK(req))
		return ist_ack(x, req, src);
	if (x->kind == SIP_TXN_IST && x->state != SIP_TXN_PROCEEDING &&
	    x->state != SIP_TXN_COMPLETED)
		return absorbed(x); /* Confirmed, Accepted */
	if (x->kind == SIP_TXN_NIST && x->state == SIP_TXN_TRYING)
		return absorbed(x);
	resend(x, x->out, x->out_len); /* the last response, if any */
	return absorbed(x);
}

static int server_new(struct sip_txn_layer *l, const osip_message_t *req,
		      const struct sip_dest *src)
{
	enum sip_txn_kind kind = MSG_IS_INVITE(req) ? SIP_TXN_IST : SIP_TXN_NIST;
	struct sip_txn *x;
	int err = txn_new(l, kind, req, src, &x);

	if (err)
		return err;
	txn_link(x);
	if (kind == SIP_TXN_IST) {
		x->state = SIP_TXN_PROCEEDING;
		if (l->tm.trying_ms)
			arm(&x->retx, now(x) + l->tm.trying_ms, on_retx);
	} else {
		x->state = SIP_TXN_TRYING;
	}
	l->cbs.request(l->arg, x, req, src);
	return SIP_TXN_IN_NEW;
}

static int input_request(struct sip_txn_layer *l, const osip_message_t *req,
			 const struct sip_dest *src)
{
	struct sip_txn *x;
	struct keys k;
	int err = keys_of(req, &k);

	if (err)
		return err;
	x = find_server(l, &k);
	if (!x && MSG_IS_ACK(req)) {
		x = find_accepted(l, &k);
		if (x) {
			x->acked = true;
			uv_timer_stop(&x->retx);
		}
		keys_free(&k);
		l->cbs.request(l->arg, NULL, req, src);
		return SIP_TXN_IN_TU;
	}
	keys_free(&k);
	return x ? server_again(x, req, src) : server_new(l, req, src);
}

int sip_txn_input(struct sip_txn_layer *l, const osip_message_t *msg, const struct sip_dest *src)
{
	if (l->closing)
		return -ESHUTDOWN;
	if (MSG_IS_RESPONSE(msg))
		return input_response(l, msg, src);
	if (!msg->sip_method)
		return -EINVAL;
	return input_request(l, msg, src);
}

static int keep_to_tag(struct sip_txn *x, const osip_message_t *resp)
{
	int err = 0;

	free(x->resp_to_tag);
	x->resp_to_tag = dup_or_null(sip_msg_to_tag(resp), &err);
	return err;
}

/* The state an INVITE server enters with this response (17.2.1, RFC 6026 7.1). */
static int ist_respond(struct sip_txn *x, int status)
{
	if (x->state == SIP_TXN_ACCEPTED && status >= 200 && status < 300)
		return 0; /* a further 2xx: sent, and retransmitted from now on */
	if (x->state != SIP_TXN_PROCEEDING)
		return -EINVAL;
	uv_timer_stop(&x->retx); /* no 100 Trying needed any more */
	if (status < 200)
		return 0;
	if (status < 300) { /* Accepted: the 2xx until its ACK (13.3.1.4), timer L */
		x->state = SIP_TXN_ACCEPTED;
		retx_first(x, x->l->tm.t1_ms);
		end_in(x, t64(x));
		return 0;
	}
	x->state = SIP_TXN_COMPLETED; /* timers G (unreliable) and H */
	if (!x->dest.reliable)
		retx_first(x, x->l->tm.t1_ms);
	end_in(x, t64(x));
	return 0;
}

static int nist_respond(struct sip_txn *x, int status)
{
	if (x->state != SIP_TXN_TRYING && x->state != SIP_TXN_PROCEEDING)
		return -EINVAL;
	if (status < 200) {
		x->state = SIP_TXN_PROCEEDING;
		return 0;
	}
	x->state = SIP_TXN_COMPLETED; /* timer J */
	end_in(x, x->dest.reliable ? 0 : t64(x));
	return 0;
}

int sip_txn_respond(struct sip_txn *x, const osip_message_t *resp)
{
	osip_message_t *copy;
	int status = resp->status_code, err;

	if (x->dead || is_client(x) || status < 100 || status > 699)
		return -EINVAL;
	if (x->kind == SIP_TXN_IST && x->state != SIP_TXN_PROCEEDING &&
	    !(x->state == SIP_TXN_ACCEPTED && status >= 200 && status < 300))
		return -EINVAL;
	if (x->kind == SIP_TXN_NIST && x->state != SIP_TXN_TRYING && x->state != SIP_TXN_PROCEEDING)
		return -EINVAL;
	if (osip_message_clone(resp, &copy))
		return -ENOMEM;
	err = set_out(x, copy);
	sip_msg_free(copy);
	if (!err && status >= 200)
		err = keep_to_tag(x, resp);
	if (err)
		return err;
	err = x->kind == SIP_TXN_IST ? ist_respond(x, status) : nist_respond(x, status);
	if (!err)
		err = send_bytes(x, x->out, x->out_len, false);
	if (err)
		txn_end(x, err, true);
	return err;
}

struct sip_txn *sip_txn_find_invite(struct sip_txn_layer *l, const osip_message_t *cancel)
{
	struct sip_txn *found = NULL;
	struct keys k;

	if (keys_of(cancel, &k))
		return NULL;
	for (struct sip_txn *x = l->head; x && !found; x = x->next) {
		if (x->kind != SIP_TXN_IST)
			continue;
		if (k.branch ? eq(x->k.branch, k.branch) && eq(x->k.sent_by, k.sent_by)
			     : match_2543(x, &k, false, true))
			found = x;
	}
	keys_free(&k);
	return found;
}

/* ---- the rest of the API ---- */

int sip_txn_send(struct sip_txn_layer *l, const struct sip_dest *dest, const osip_message_t *m)
{
	osip_message_t *copy;
	uint8_t *b;
	size_t n;
	int err;

	if (l->closing)
		return -ESHUTDOWN;
	if (osip_message_clone(m, &copy))
		return -ENOMEM;
	err = sip_msg_to_bytes(copy, &b, &n);
	sip_msg_free(copy);
	if (err)
		return err;
	err = l->cbs.send(l->arg, dest, b, n);
	free(b);
	return err;
}

void sip_txn_set_cbs(struct sip_txn *x, const struct sip_txn_cbs *cbs, void *arg)
{
	if (cbs)
		x->cbs = *cbs;
	else
		memset(&x->cbs, 0, sizeof(x->cbs));
	x->arg = arg;
}

void sip_txn_drop(struct sip_txn *x)
{
	txn_end(x, 0, false);
}

enum sip_txn_kind sip_txn_kind(const struct sip_txn *x)
{
	return x->kind;
}

enum sip_txn_state sip_txn_state(const struct sip_txn *x)
{
	return x->state;
}

const char *sip_txn_state_name(enum sip_txn_state s)
{
	static const char *const names[] = {
	    [SIP_TXN_CALLING] = "calling",	 [SIP_TXN_TRYING] = "trying",
	    [SIP_TXN_PROCEEDING] = "proceeding", [SIP_TXN_COMPLETED] = "completed",
	    [SIP_TXN_CONFIRMED] = "confirmed",	 [SIP_TXN_ACCEPTED] = "accepted",
	    [SIP_TXN_TERMINATED] = "terminated", [SIP_TXN_WAITING] = "waiting",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const osip_message_t *sip_txn_request_msg(const struct sip_txn *x)
{
	return x->req;
}

const struct sip_dest *sip_txn_dest(const struct sip_txn *x)
{
	return &x->dest;
}

/* ---- the layer ---- */

static unsigned or_default(unsigned v, unsigned d)
{
	return v ? v : d;
}

int sip_txn_layer_init(struct sip_txn_layer *l, uv_loop_t *loop, const struct sip_txn_timers *tm,
		       const struct sip_txn_layer_cbs *cbs, void *arg)
{
	const struct sip_txn_timers *t = tm ? tm : &defaults;

	memset(l, 0, sizeof(*l));
	if (!cbs || !cbs->send || !cbs->request)
		return -EINVAL;
	if (sip_msg_lib_init())
		return -ENOMEM;
	l->loop = loop;
	l->cbs = *cbs;
	l->arg = arg;
	l->tm.t1_ms = or_default(t->t1_ms, defaults.t1_ms);
	l->tm.t2_ms = or_default(t->t2_ms, defaults.t2_ms);
	l->tm.t4_ms = or_default(t->t4_ms, defaults.t4_ms);
	l->tm.d_ms = or_default(t->d_ms, defaults.d_ms);
	l->tm.trying_ms = or_default(t->trying_ms, defaults.trying_ms);
	uv_timer_init(loop, &l->sentinel);
	l->sentinel.data = l;
	return 0;
}

static void on_sentinel_closed(uv_handle_t *h)
{
	struct sip_txn_layer *l = h->data;

	if (l->on_closed)
		l->on_closed(l);
}

/* Once closing and every transaction freed, the sentinel goes last. */
static void layer_release(struct sip_txn_layer *l)
{
	if (l->closing && l->allocated == 0 && !uv_is_closing((uv_handle_t *)&l->sentinel))
		uv_close((uv_handle_t *)&l->sentinel, on_sentinel_closed);
}

void sip_txn_layer_close(struct sip_txn_layer *l, void (*on_closed)(struct sip_txn_layer *l))
{
	if (l->closing)
		return;
	l->closing = true;
	l->on_closed = on_closed;
	while (l->head)
		txn_end(l->head, 0, false);
	layer_release(l);
}
