/* STUN client transactions over UDP (RFC 8489 6.2.1, 6.3): one libuv timer per
 * transaction, doubling RTO, Rc sends, an Rm*RTO last wait. Not the codec, not a socket. */
#include "ice/stun_txn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* RFC 8489 6.2.1: RTO 500 ms, Rc 7, Rm 16. */
const struct stun_txn_timing stun_timing_default = {500, 7, 16};

/* Doubling stops here (about 12 days) so that a large Rc cannot overflow. */
#define RTO_CEILING (1ull << 30)

struct stun_txn {
	struct stun_txn *next;
	struct stun_txns *owner;
	uv_timer_t timer;
	struct ice_sock sock; /* a copy: send() and its context */
	struct sockaddr_storage dst;
	struct stun_txn_timing timing;
	uint64_t next_wait; /* ms before the next retransmission */
	unsigned sends;
	int done;  /* answered, failed or cancelled: no more callbacks */
	int quiet; /* no more sends; a response still counts (stun_txn_quiet) */
	uint16_t method;
	uint8_t tid[STUN_TID_LEN];
	stun_txn_cb cb;
	void *arg;
	size_t len;
	uint8_t msg[]; /* the request, copied once; retransmissions reuse it */
};

static void unlink_txn(struct stun_txn *x)
{
	struct stun_txn **pp = &x->owner->head;

	while (*pp && *pp != x)
		pp = &(*pp)->next;
	if (*pp)
		*pp = x->next;
	x->next = NULL;
}

static void free_on_close(uv_handle_t *h)
{
	free(h->data);
}

/* Takes x out of its owner's list and frees it once libuv lets go of the timer. */
static void retire(struct stun_txn *x)
{
	x->done = 1;
	unlink_txn(x);
	uv_timer_stop(&x->timer);
	uv_close((uv_handle_t *)&x->timer, free_on_close);
}

/* Ends the transaction with one callback (err, or the response). */
static void finish(struct stun_txn *x, int err, const struct stun_msg *resp,
		   const struct sockaddr *from)
{
	stun_txn_cb cb = x->cb;
	void *arg = x->arg;

	/* Retired first: the callback may cancel, start or close anything. */
	retire(x);
	cb(arg, err, resp, from);
}

/* A full socket buffer is a lost datagram: retransmission takes care of it. */
static int send_once(struct stun_txn *x)
{
	int err = x->sock.send(x->sock.ctx, (const struct sockaddr *)&x->dst, x->msg, x->len);

	x->sends++;
	if (err == -EAGAIN || err == -EWOULDBLOCK || err == -ENOBUFS)
		return 0;
	return err;
}

static void on_timer(uv_timer_t *t);

/* After send number k: wait RTO * 2^(k-1) while k < Rc, then Rm * RTO (RFC 8489 6.2.1). */
static void arm(struct stun_txn *x)
{
	uint64_t wait;

	if (x->sends < x->timing.rc) {
		wait = x->next_wait;
		if (x->next_wait < RTO_CEILING)
			x->next_wait *= 2;
	} else {
		wait = (uint64_t)x->timing.rm * x->timing.rto_ms;
	}
	uv_timer_start(&x->timer, on_timer, wait, 0);
}

static void on_timer(uv_timer_t *t)
{
	struct stun_txn *x = t->data;
	int err;

	if (x->done)
		return;
	if (x->sends >= x->timing.rc || x->quiet) {
		x->owner->timeouts += !x->quiet;
		finish(x, x->quiet ? -ECANCELED : -ETIMEDOUT, NULL, NULL);
		return;
	}
	err = send_once(x);
	x->owner->retransmits++;
	if (x->done) /* answered or cancelled from inside send() */
		return;
	if (err) {
		finish(x, err, NULL, NULL);
		return;
	}
	arm(x);
}

void stun_txn_quiet(struct stun_txn *x)
{
	if (!x || x->done || x->quiet)
		return;
	x->quiet = 1;
	uv_timer_start(&x->timer, on_timer, (uint64_t)x->timing.rm * x->timing.rto_ms, 0);
}

void stun_txns_init(struct stun_txns *t, uv_loop_t *loop)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
}

void stun_txns_close(struct stun_txns *t)
{
	while (t->head)
		retire(t->head);
}

static int check_args(const struct stun_txns *t, const struct ice_sock *s,
		      const struct sockaddr *dst, const uint8_t *msg, size_t len,
		      const struct stun_txn_timing *tm, stun_txn_cb cb)
{
	if (!t || !t->loop || !s || !s->send || !dst || !msg || !cb || !tm)
		return -EINVAL;
	if (dst->sa_family != AF_INET && dst->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < STUN_HDR_LEN || len > STUN_MAX_MSG)
		return -EMSGSIZE;
	if (tm->rto_ms == 0 || tm->rc == 0)
		return -EINVAL;
	return 0;
}

static struct stun_txn *txn_new(struct stun_txns *t, const struct ice_sock *s,
				const struct sockaddr *dst, const struct stun_msg *req,
				const struct stun_txn_timing *tm)
{
	struct stun_txn *x = calloc(1, sizeof(*x) + req->len);

	if (!x)
		return NULL;
	x->owner = t;
	x->sock = *s;
	memcpy(&x->dst, dst, ice_sa_len(dst));
	x->timing = *tm;
	x->next_wait = tm->rto_ms;
	x->method = req->method;
	memcpy(x->tid, req->tid, STUN_TID_LEN);
	x->len = req->len;
	memcpy(x->msg, req->buf, req->len);
	return x;
}

int stun_txn_start(struct stun_txns *t, const struct ice_sock *s, const struct sockaddr *dst,
		   const uint8_t *msg, size_t len, const struct stun_txn_timing *timing,
		   stun_txn_cb cb, void *arg, struct stun_txn **out)
{
	struct stun_msg req;
	struct stun_txn *x;
	int err = check_args(t, s, dst, msg, len, timing, cb);

	if (out)
		*out = NULL;
	if (err)
		return err;
	/* Only a well-formed request is worth retransmitting. */
	if (stun_parse(&req, msg, len) || req.cls != STUN_REQUEST)
		return -EINVAL;
	x = txn_new(t, s, dst, &req, timing);
	if (!x)
		return -ENOMEM;
	err = uv_timer_init(t->loop, &x->timer);
	if (err) {
		free(x);
		return err;
	}
	x->timer.data = x;
	x->cb = cb;
	x->arg = arg;
	x->next = t->head;
	t->head = x;
	err = send_once(x);
	t->sent++;
	if (x->done) /* answered from inside send() */
		return 0;
	if (err) {
		retire(x);
		return err;
	}
	arm(x);
	if (out)
		*out = x;
	return 0;
}

void stun_txn_cancel(struct stun_txn *x)
{
	if (x && !x->done)
		retire(x);
}

/* RFC 8489 6.3: a response belongs to the transaction in progress with its ID
 * (and, as a sanity check, the request's method). */
int stun_txns_input(struct stun_txns *t, const struct stun_msg *m, const struct sockaddr *from)
{
	if (m->cls != STUN_SUCCESS && m->cls != STUN_ERROR)
		return 0;
	for (struct stun_txn *x = t->head; x; x = x->next) {
		if (x->method != m->method || memcmp(x->tid, m->tid, STUN_TID_LEN) != 0)
			continue;
		finish(x, 0, m, from);
		return 1;
	}
	return 0;
}
