/* P2PP transactions over UDP (draft-baset-p2psip-p2pp-01 3.5, 4.3, 4.3.1, 6):
 * retransmission, ACKs, response matching and a cache of answered requests.
 * Not the codec (p2pp.h), not routing, not TCP; sending goes through p2pp_sock. */
#ifndef HIPSIP_P2PP_TXN_H
#define HIPSIP_P2PP_TXN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "p2psipd/p2pp/p2pp.h"

/* The owner's UDP socket. send returns 0 or a negative errno; the owner feeds
 * every P2PP datagram it receives to p2pp_txns_input. */
struct p2pp_sock {
	int (*send)(void *ctx, const struct sockaddr *dst, const void *buf, size_t len);
	void *ctx;
};

/* 6.3 "Timers": T0 500 ms, T1 starts at T0 and doubles after each
 * retransmission (6.2.1 "T1=2^i*T0"), T2 5 s (give up while unacknowledged),
 * T3 5 s (wait for the response after the ACK). keep_ms is ours: how long an
 * answered request is remembered (at least T2, the sender's retransmission span). */
struct p2pp_timing {
	unsigned t0_ms;
	unsigned t2_ms;
	unsigned t3_ms;
	unsigned keep_ms;
};
extern const struct p2pp_timing p2pp_timing_default; /* 500, 5000, 5000, 10000 */

#define P2PP_SRV_MAX_DEFAULT 256 /* remembered requests and indications */

struct p2pp_txn;
struct p2pp_srv;

/* Outcome of a client transaction: 0 with the response (request; valid during
 * the call only) or with resp NULL (an indication was ACKed); -ETIMEDOUT (T2
 * without an ACK: the peer did not answer at all, a failure detector's signal);
 * -ETIME (T3 after an ACK without a response: the peer is alive, the answer
 * from further along did not come); a send error. Never called after
 * p2pp_txn_cancel or p2pp_txns_close. */
typedef void (*p2pp_txn_cb)(void *arg, int err, const struct p2pp_msg *resp,
			    const struct sockaddr *from);

/* The transaction table of one node (4.1) on one UDP socket. */
struct p2pp_txns {
	uv_loop_t *loop;
	struct p2pp_sock sock;
	struct p2pp_timing timing;
	uint8_t own_id[P2PP_ID_LEN]; /* Response-ID of our ACKs (4.3.1) */
	uint8_t peer;		     /* P flag of our ACKs */
	struct p2pp_txn *head;	     /* our requests and indications */
	struct p2pp_srv *srv_head;   /* received ones, oldest first */
	struct p2pp_srv *srv_tail;
	size_t n_srv, max_srv;
	/* counters */
	uint64_t sent, retransmits, timeouts, acks_sent, duplicates, evicted, resp_failures;
};

/* tm NULL: p2pp_timing_default; max_srv 0: P2PP_SRV_MAX_DEFAULT. s is copied. */
void p2pp_txns_init(struct p2pp_txns *t, uv_loop_t *loop, const struct p2pp_sock *s,
		    const uint8_t own_id[P2PP_ID_LEN], uint8_t peer, const struct p2pp_timing *tm,
		    size_t max_srv);
/* Cancels everything without callbacks; memory is freed as libuv closes the timers. */
void p2pp_txns_close(struct p2pp_txns *t);

/* Sends a finished request or indication (A clear) to dst and retransmits it
 * (6.2.1, Figure 8 and 9). msg is copied. A forwarded request keeps its
 * Source-ID and Transaction-ID (4.3 step 3); the pair must not be in use by
 * another transaction of ours (-EEXIST). *out (may be NULL) can cancel it.
 * 0 or a negative errno (send errors included; then no callback). */
int p2pp_txn_start(struct p2pp_txns *t, const struct sockaddr *dst, const uint8_t *msg, size_t len,
		   p2pp_txn_cb cb, void *arg, struct p2pp_txn **out);
void p2pp_txn_cancel(struct p2pp_txn *x);

#define P2PP_IN_NEW 1 /* a new request or indication for the application */

/* Takes one received datagram (4.3, "received over unreliable"). Returns
 * P2PP_IN_NEW with m filled: a request seen for the first time (answer it
 * with p2pp_txn_respond, or p2pp_txn_ack it when forwarding) or an indication
 * (already ACKed). 0: handled here (ACKs, responses to our transactions,
 * retransmissions, which are ACKed or answered from the cache). -EBADMSG for
 * a malformed datagram; -ENOTSUP as p2pp_parse (m complete, nothing
 * remembered: the application may send a 400 through p2pp_txn_respond). */
int p2pp_txns_input(struct p2pp_txns *t, const void *buf, size_t len, const struct sockaddr *from,
		    struct p2pp_msg *m);

/* ACKs a received request now (4.3 step 3, before forwarding it); a
 * retransmission of it is ACKed again. 0 or a send error. */
int p2pp_txn_ack(struct p2pp_txns *t, const struct p2pp_msg *req, const struct sockaddr *to);

/* Answers req with resp (a finished response or responseACK with req's
 * Source-ID, Transaction-ID and type) sent to `to`, the hop the request came
 * from (4.3 step 2). A plain response is preceded by an ACK if the request
 * had none. The answer is retransmitted until ACKed or T2 (Figure 9) and sent
 * again for a retransmitted request. 0, -EINVAL (resp does not answer req),
 * -ENOMEM or a send error. */
int p2pp_txn_respond(struct p2pp_txns *t, const struct p2pp_msg *req, const struct sockaddr *to,
		     const uint8_t *resp, size_t len);

#endif
