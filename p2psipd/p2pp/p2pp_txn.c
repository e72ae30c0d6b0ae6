/* P2PP transactions over UDP (draft-baset-p2psip-p2pp-01 6.2.1 state machines,
 * 6.3 timers, 4.3/4.3.1 ACKs): one libuv timer per transaction. Not the codec, not a socket. */
#include "p2psipd/p2pp/p2pp_txn.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* 6.3: T0 500 ms, T2 5 s, T3 5 s; keep (ours) T2 + T3. */
const struct p2pp_timing p2pp_timing_default = {500, 5000, 5000, 10000};

/* Figure 8: Trans_Msg retransmits under T1 until T2; Wait_Resp waits T3. */
enum cli_state { TRANS_MSG, WAIT_RESP };

struct p2pp_txn {
	struct p2pp_txn *next;
	struct p2pp_txns *owner;
	uv_timer_t timer;
	struct sockaddr_storage dst;
	enum cli_state state;
	uint64_t deadline;  /* loop time of T2 (Trans_Msg) or T3 (Wait_Resp) */
	uint64_t next_wait; /* T1 */
	int done;	    /* answered, failed or cancelled: no more callbacks */
	struct p2pp_hdr h;
	p2pp_txn_cb cb;
	void *arg;
	size_t len;
	uint8_t msg[]; /* the request or indication, retransmitted as is */
};

/* Figure 9 for our answers, and the memory of a received request (4.3 step 1). */
enum srv_state { SRV_PENDING, SRV_SENDING, SRV_DONE };

struct p2pp_srv {
	struct p2pp_srv *next;
	struct p2pp_txns *owner;
	uv_timer_t timer;
	enum srv_state state;
	uint8_t kind; /* P2PP_REQUEST or P2PP_INDICATION */
	uint8_t type;
	uint8_t acked; /* we ACKed the request (4.3 step 3) */
	uint8_t id_len;
	uint8_t src_id[P2PP_ID_LEN];
	uint32_t tid;
	uint8_t resp_kind;
	uint64_t expires;
	uint64_t deadline; /* T2 of the answer */
	uint64_t next_wait;
	struct sockaddr_storage to;
	size_t resp_len;
	uint8_t *resp;
};

static socklen_t sa_len(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

/* A full socket buffer is a lost datagram: retransmission takes care of it. */
static int tx(struct p2pp_txns *t, const struct sockaddr *dst, const void *buf, size_t len)
{
	int err = t->sock.send(t->sock.ctx, dst, buf, len);

	if (err == -EAGAIN || err == -EWOULDBLOCK || err == -ENOBUFS)
		return 0;
	return err;
}

/* 4.3.1: an ACK carries the acknowledged message's kind, type, Source-ID and
 * Transaction-ID (6.1), with A set; our own P flag. */
static int send_ack(struct p2pp_txns *t, const struct p2pp_hdr *rx, const struct sockaddr *to)
{
	uint8_t buf[P2PP_FIXED_LEN + 2 * P2PP_ID_LEN];
	struct p2pp_builder b;
	struct p2pp_hdr h;
	size_t n;
	int err;

	p2pp_ack_hdr(rx, t->own_id, &h);
	h.peer = t->peer;
	p2pp_build_init(&b, buf, sizeof(buf), &h);
	err = p2pp_finish(&b, &n);
	if (err)
		return err;
	t->acks_sent++;
	return tx(t, to, buf, n);
}

static int same_id(const struct p2pp_hdr *a, const uint8_t *src_id, uint8_t id_len, uint32_t tid)
{
	return a->tid == tid && a->id_len == id_len && memcmp(a->src_id, src_id, id_len) == 0;
}

static void free_on_close(uv_handle_t *h)
{
	free(h->data);
}

/* ---- client transactions (Figure 8 for requests, Figure 9 for indications) ---- */

static void cli_unlink(struct p2pp_txn *x)
{
	struct p2pp_txn **pp = &x->owner->head;

	while (*pp && *pp != x)
		pp = &(*pp)->next;
	if (*pp)
		*pp = x->next;
	x->next = NULL;
}

static void cli_retire(struct p2pp_txn *x)
{
	x->done = 1;
	cli_unlink(x);
	uv_timer_stop(&x->timer);
	uv_close((uv_handle_t *)&x->timer, free_on_close);
}

static void cli_finish(struct p2pp_txn *x, int err, const struct p2pp_msg *resp,
		       const struct sockaddr *from)
{
	p2pp_txn_cb cb = x->cb;
	void *arg = x->arg;

	/* Retired first: the callback may cancel, start or close anything. */
	cli_retire(x);
	cb(arg, err, resp, from);
}

static void cli_on_timer(uv_timer_t *tm);

/* The next retransmission (T1) or the deadline, whichever comes first. */
static void cli_arm(struct p2pp_txn *x)
{
	uint64_t now = uv_now(x->owner->loop);
	uint64_t left = x->deadline > now ? x->deadline - now : 0;
	uint64_t wait = left;

	if (x->state == TRANS_MSG && x->next_wait < left)
		wait = x->next_wait;
	uv_timer_start(&x->timer, cli_on_timer, wait, 0);
}

static void cli_on_timer(uv_timer_t *tm)
{
	struct p2pp_txn *x = tm->data;
	struct p2pp_txns *t = x->owner;
	int err;

	if (x->done)
		return;
	/* 6.2.1: T2 (or T3) fired: "Failed", the application is informed. T3 after an ACK
	 * is told apart: the next hop is alive, only the answer did not come. */
	if (uv_now(t->loop) >= x->deadline) {
		t->timeouts++;
		cli_finish(x, x->state == WAIT_RESP ? -ETIME : -ETIMEDOUT, NULL, NULL);
		return;
	}
	err = tx(t, (const struct sockaddr *)&x->dst, x->msg, x->len);
	t->retransmits++;
	if (x->done) /* answered or cancelled from inside send() */
		return;
	if (err) {
		cli_finish(x, err, NULL, NULL);
		return;
	}
	/* 6.2.1: "T1=2^i*T0" after the i-th retransmission. */
	if (x->next_wait < x->owner->timing.t2_ms)
		x->next_wait *= 2;
	cli_arm(x);
}

static struct p2pp_txn *cli_find(struct p2pp_txns *t, uint8_t kind, const struct p2pp_hdr *h)
{
	for (struct p2pp_txn *x = t->head; x; x = x->next) {
		if (x->h.kind == kind && same_id(h, x->h.src_id, x->h.id_len, x->h.tid))
			return x;
	}
	return NULL;
}

static int check_start(const struct p2pp_txns *t, const struct sockaddr *dst, const uint8_t *msg,
		       size_t len, p2pp_txn_cb cb)
{
	if (!t || !t->loop || !t->sock.send || !dst || !msg || !cb)
		return -EINVAL;
	if (!sa_len(dst))
		return -EAFNOSUPPORT;
	if (len > P2PP_MAX_MSG)
		return -EMSGSIZE;
	return 0;
}

static struct p2pp_txn *cli_new(struct p2pp_txns *t, const struct sockaddr *dst,
				const struct p2pp_msg *m)
{
	struct p2pp_txn *x = calloc(1, sizeof(*x) + m->len);

	if (!x)
		return NULL;
	if (uv_timer_init(t->loop, &x->timer)) {
		free(x);
		return NULL;
	}
	x->timer.data = x;
	x->owner = t;
	memcpy(&x->dst, dst, sa_len(dst));
	x->h = m->h;
	x->state = TRANS_MSG;
	x->next_wait = t->timing.t0_ms;
	x->deadline = uv_now(t->loop) + t->timing.t2_ms;
	x->len = m->len;
	memcpy(x->msg, m->buf, m->len);
	return x;
}

int p2pp_txn_start(struct p2pp_txns *t, const struct sockaddr *dst, const uint8_t *msg, size_t len,
		   p2pp_txn_cb cb, void *arg, struct p2pp_txn **out)
{
	struct p2pp_msg *m;
	struct p2pp_txn *x = NULL;
	int err = check_start(t, dst, msg, len, cb);

	if (out)
		*out = NULL;
	if (err)
		return err;
	m = malloc(sizeof(*m)); /* struct p2pp_msg is large for a stack frame */
	if (!m)
		return -ENOMEM;
	/* Only a well-formed request or indication is worth retransmitting. */
	if (p2pp_parse(m, msg, len) || m->h.ack ||
	    (m->h.kind != P2PP_REQUEST && m->h.kind != P2PP_INDICATION))
		err = -EINVAL;
	else if (cli_find(t, m->h.kind, &m->h))
		err = -EEXIST;
	else if (!(x = cli_new(t, dst, m)))
		err = -ENOMEM;
	free(m);
	if (err)
		return err;
	x->cb = cb;
	x->arg = arg;
	x->next = t->head;
	t->head = x;
	err = tx(t, dst, x->msg, x->len);
	t->sent++;
	if (x->done) /* answered from inside send() */
		return 0;
	if (err) {
		cli_retire(x);
		return err;
	}
	cli_arm(x);
	if (out)
		*out = x;
	return 0;
}

void p2pp_txn_cancel(struct p2pp_txn *x)
{
	if (x && !x->done)
		cli_retire(x);
}

/* ---- received requests and indications (4.3 step 1) and our answers (Figure 9) ---- */

static void srv_unlink(struct p2pp_srv *e)
{
	struct p2pp_txns *t = e->owner;
	struct p2pp_srv **pp = &t->srv_head;
	struct p2pp_srv *prev = NULL;

	while (*pp && *pp != e) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = e->next;
	if (t->srv_tail == e)
		t->srv_tail = prev;
	t->n_srv--;
}

static void srv_free_on_close(uv_handle_t *h)
{
	struct p2pp_srv *e = h->data;

	free(e->resp);
	free(e);
}

static void srv_drop(struct p2pp_srv *e)
{
	srv_unlink(e);
	uv_timer_stop(&e->timer);
	uv_close((uv_handle_t *)&e->timer, srv_free_on_close);
}

static void srv_on_timer(uv_timer_t *tm);

static void srv_arm_at(struct p2pp_srv *e, uint64_t when)
{
	uint64_t now = uv_now(e->owner->loop);

	uv_timer_start(&e->timer, srv_on_timer, when > now ? when - now : 0, 0);
}

/* No more sends: remembered until it expires. */
static void srv_settle(struct p2pp_srv *e)
{
	e->state = SRV_DONE;
	srv_arm_at(e, e->expires);
}

static void srv_arm_rtx(struct p2pp_srv *e)
{
	uint64_t now = uv_now(e->owner->loop);
	uint64_t when = now + e->next_wait;

	srv_arm_at(e, when < e->deadline ? when : e->deadline);
}

static void srv_on_timer(uv_timer_t *tm)
{
	struct p2pp_srv *e = tm->data;
	struct p2pp_txns *t = e->owner;

	if (e->state != SRV_SENDING) {
		srv_drop(e); /* expired */
		return;
	}
	/* Figure 9: T2 fired without an ACK: Failure. */
	if (uv_now(t->loop) >= e->deadline) {
		t->resp_failures++;
		srv_settle(e);
		return;
	}
	t->retransmits++;
	if (tx(t, (const struct sockaddr *)&e->to, e->resp, e->resp_len)) {
		t->resp_failures++;
		srv_settle(e);
		return;
	}
	if (e->next_wait < t->timing.t2_ms)
		e->next_wait *= 2;
	srv_arm_rtx(e);
}

static struct p2pp_srv *srv_find(struct p2pp_txns *t, uint8_t kind, const struct p2pp_hdr *h)
{
	for (struct p2pp_srv *e = t->srv_head; e; e = e->next) {
		if (e->kind == kind && e->type == h->type &&
		    same_id(h, e->src_id, e->id_len, e->tid))
			return e;
	}
	return NULL;
}

/* Remembers a received request or indication; the oldest goes when full. */
static struct p2pp_srv *srv_add(struct p2pp_txns *t, const struct p2pp_hdr *h)
{
	struct p2pp_srv *e;

	if (t->n_srv >= t->max_srv && t->srv_head) {
		t->evicted++;
		srv_drop(t->srv_head);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (uv_timer_init(t->loop, &e->timer)) {
		free(e);
		return NULL;
	}
	e->timer.data = e;
	e->owner = t;
	e->kind = h->kind;
	e->type = h->type;
	e->id_len = h->id_len;
	memcpy(e->src_id, h->src_id, h->id_len);
	e->tid = h->tid;
	e->state = SRV_PENDING;
	e->expires = uv_now(t->loop) + t->timing.keep_ms;
	srv_arm_at(e, e->expires);
	if (t->srv_tail)
		t->srv_tail->next = e;
	else
		t->srv_head = e;
	t->srv_tail = e;
	t->n_srv++;
	return e;
}

/* 4.3 step 1 and 7: a retransmitted request or indication is ACKed, or gets
 * our answer again; the application does not see it twice. */
static int srv_duplicate(struct p2pp_txns *t, struct p2pp_srv *e, const struct p2pp_hdr *h,
			 const struct sockaddr *from)
{
	int err = 0;

	t->duplicates++;
	if (!e->resp || e->resp_kind == P2PP_RESPONSE) {
		e->acked = 1;
		err = send_ack(t, h, from);
	}
	if (!err && e->resp)
		err = tx(t, (const struct sockaddr *)&e->to, e->resp, e->resp_len);
	return err;
}

static int srv_input(struct p2pp_txns *t, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_srv *e = srv_find(t, m->h.kind, &m->h);

	if (e) {
		srv_duplicate(t, e, &m->h, from);
		return 0;
	}
	e = srv_add(t, &m->h);
	if (!e)
		return -ENOMEM;
	/* 4.3: "A peer receiving an indication over unreliable transport
	 * immediately generates an ACK" (Figure 9 on the sender's side). */
	if (m->h.kind == P2PP_INDICATION) {
		e->acked = 1;
		e->state = SRV_DONE;
		send_ack(t, &m->h, from);
	}
	return P2PP_IN_NEW;
}

int p2pp_txn_ack(struct p2pp_txns *t, const struct p2pp_msg *req, const struct sockaddr *to)
{
	struct p2pp_srv *e = srv_find(t, P2PP_REQUEST, &req->h);

	if (e)
		e->acked = 1;
	return send_ack(t, &req->h, to);
}

/* resp must answer req: same Source-ID, Transaction-ID and type (4.3, 6.1). */
static int check_answer(const struct p2pp_msg *req, const struct p2pp_msg *r)
{
	if (req->h.kind != P2PP_REQUEST || req->h.ack || r->h.ack)
		return -EINVAL;
	if (r->h.kind != P2PP_RESPONSE && r->h.kind != P2PP_RESPONSE_ACK)
		return -EINVAL;
	if (r->h.type != req->h.type || !same_id(&r->h, req->h.src_id, req->h.id_len, req->h.tid))
		return -EINVAL;
	return 0;
}

static int parse_answer(const struct p2pp_msg *req, const uint8_t *resp, size_t len, uint8_t *kind)
{
	struct p2pp_msg *r = malloc(sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	err = p2pp_parse(r, resp, len) ? -EINVAL : check_answer(req, r);
	*kind = r->h.kind;
	free(r);
	return err;
}

static int srv_store(struct p2pp_srv *e, const struct sockaddr *to, const uint8_t *resp, size_t len,
		     uint8_t kind)
{
	struct p2pp_txns *t = e->owner;
	uint8_t *copy = malloc(len);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, resp, len);
	free(e->resp);
	e->resp = copy;
	e->resp_len = len;
	e->resp_kind = kind;
	memcpy(&e->to, to, sa_len(to));
	e->state = SRV_SENDING;
	e->next_wait = t->timing.t0_ms;
	e->deadline = uv_now(t->loop) + t->timing.t2_ms;
	/* Remembered at least as long as the answer is retransmitted. */
	if (e->expires < e->deadline)
		e->expires = e->deadline;
	return 0;
}

int p2pp_txn_respond(struct p2pp_txns *t, const struct p2pp_msg *req, const struct sockaddr *to,
		     const uint8_t *resp, size_t len)
{
	struct p2pp_srv *e;
	uint8_t kind = 0;
	int err;

	if (!t || !req || !to || !resp || !sa_len(to) || len > P2PP_MAX_MSG)
		return -EINVAL;
	err = parse_answer(req, resp, len, &kind);
	if (err)
		return err;
	e = srv_find(t, P2PP_REQUEST, &req->h);
	if (!e)
		e = srv_add(t, &req->h); /* forgotten (evicted, expired) or never taken */
	if (!e)
		return -ENOMEM;
	err = srv_store(e, to, resp, len, kind);
	if (err)
		return err;
	/* 3.5: a plain response follows an ACK of the request. */
	if (kind == P2PP_RESPONSE && !e->acked) {
		e->acked = 1;
		send_ack(t, &req->h, to);
	}
	err = tx(t, to, e->resp, e->resp_len);
	if (err) {
		srv_settle(e);
		return err;
	}
	srv_arm_rtx(e);
	return 0;
}

/* An ACK for our answer (Figure 9: ACK received, Terminated). */
static void srv_acked(struct p2pp_txns *t, const struct p2pp_hdr *h)
{
	for (struct p2pp_srv *e = t->srv_head; e; e = e->next) {
		if (e->kind != P2PP_REQUEST || e->state != SRV_SENDING || e->resp_kind != h->kind)
			continue;
		if (e->type != h->type || !same_id(h, e->src_id, e->id_len, e->tid))
			continue;
		srv_settle(e);
		return;
	}
}

/* ---- input ---- */

/* Figure 8: an ACK moves a request to Wait_Resp under T3; Figure 9: it ends an indication. */
static void ack_input(struct p2pp_txns *t, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_txn *x;

	if (m->h.kind == P2PP_RESPONSE || m->h.kind == P2PP_RESPONSE_ACK) {
		srv_acked(t, &m->h);
		return;
	}
	x = cli_find(t, m->h.kind, &m->h);
	if (!x || x->h.type != m->h.type)
		return;
	if (x->h.kind == P2PP_INDICATION) {
		cli_finish(x, 0, NULL, from);
		return;
	}
	if (x->state != TRANS_MSG)
		return;
	x->state = WAIT_RESP;
	x->deadline = uv_now(t->loop) + t->timing.t3_ms;
	cli_arm(x);
}

/* 4.3 step 9: every response is ACKed, also one we no longer wait for; 6.1:
 * it matches a request by Source-ID and Transaction-ID (and, as a check, type). */
static void resp_input(struct p2pp_txns *t, const struct p2pp_msg *m, const struct sockaddr *from)
{
	struct p2pp_txn *x;

	send_ack(t, &m->h, from);
	x = cli_find(t, P2PP_REQUEST, &m->h);
	if (x && x->h.type == m->h.type)
		cli_finish(x, 0, m, from);
}

int p2pp_txns_input(struct p2pp_txns *t, const void *buf, size_t len, const struct sockaddr *from,
		    struct p2pp_msg *m)
{
	int err;

	if (!t || !buf || !from || !m || !sa_len(from))
		return -EINVAL;
	err = p2pp_parse(m, buf, len);
	if (err)
		return err;
	if (m->h.ack) {
		ack_input(t, m, from);
		return 0;
	}
	if (m->h.kind == P2PP_RESPONSE || m->h.kind == P2PP_RESPONSE_ACK) {
		resp_input(t, m, from);
		return 0;
	}
	return srv_input(t, m, from);
}

/* ---- lifetime ---- */

void p2pp_txns_init(struct p2pp_txns *t, uv_loop_t *loop, const struct p2pp_sock *s,
		    const uint8_t own_id[P2PP_ID_LEN], uint8_t peer, const struct p2pp_timing *tm,
		    size_t max_srv)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	if (s)
		t->sock = *s;
	if (own_id)
		memcpy(t->own_id, own_id, P2PP_ID_LEN);
	t->peer = peer ? 1 : 0;
	t->timing = tm ? *tm : p2pp_timing_default;
	if (t->timing.t0_ms == 0)
		t->timing.t0_ms = 1;
	if (t->timing.keep_ms < t->timing.t2_ms)
		t->timing.keep_ms = t->timing.t2_ms;
	t->max_srv = max_srv ? max_srv : P2PP_SRV_MAX_DEFAULT;
}

void p2pp_txns_close(struct p2pp_txns *t)
{
	while (t->head)
		cli_retire(t->head);
	while (t->srv_head)
		srv_drop(t->srv_head);
}
