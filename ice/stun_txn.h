/* STUN client transactions over UDP (RFC 8489 6.2.1): retransmission with
 * doubling RTO, Rc sends, Rm*RTO final wait, matching responses by transaction ID.
 * Not the message codec (stun.h) and not a socket: sending goes through ice_sock. */
#ifndef HIPSIP_ICE_STUN_TXN_H
#define HIPSIP_ICE_STUN_TXN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ice/sock.h"
#include "ice/stun.h"

struct stun_txn;

/* err: 0 with the response (success or error class; valid during the call
 * only), -ETIMEDOUT after the last wait, -ECANCELED after stun_txn_quiet, or
 * a send error. Never called after
 * stun_txn_cancel or stun_txns_close. */
typedef void (*stun_txn_cb)(void *arg, int err, const struct stun_msg *resp,
			    const struct sockaddr *from);

struct stun_txn_timing {
	unsigned rto_ms; /* initial RTO: 500 (RFC 8489 6.2.1), or ICE's (RFC 8445 14.3) */
	unsigned rc;	 /* sends: 7 */
	unsigned rm;	 /* last wait in RTOs: 16 */
};

/* All transactions of one owner (a TURN client, an ICE agent). */
struct stun_txns {
	uv_loop_t *loop;
	struct stun_txn *head;
	uint64_t sent, retransmits, timeouts; /* counters */
};

void stun_txns_init(struct stun_txns *t, uv_loop_t *loop);
/* Cancels every transaction (no callbacks); timers close asynchronously. */
void stun_txns_close(struct stun_txns *t);

/* Sends msg (a finished request whose transaction ID is at bytes 8..19) to dst
 * and keeps retransmitting it until a response or the timeout. msg is copied.
 * *out (may be NULL) can cancel it. 0 or a negative errno (send errors included). */
int stun_txn_start(struct stun_txns *t, const struct ice_sock *s, const struct sockaddr *dst,
		   const uint8_t *msg, size_t len, const struct stun_txn_timing *timing,
		   stun_txn_cb cb, void *arg, struct stun_txn **out);
void stun_txn_cancel(struct stun_txn *x);
/* Stops retransmitting but still takes a response for Rm * RTO; then the
 * callback gets -ECANCELED instead of -ETIMEDOUT (RFC 8445 7.3.1.4's
 * cancellation of an In-Progress check). */
void stun_txn_quiet(struct stun_txn *x);

/* Offers a parsed success or error response. 1 if it answered one of ours (the
 * callback ran and the transaction is gone), 0 otherwise. */
int stun_txns_input(struct stun_txns *t, const struct stun_msg *m, const struct sockaddr *from);

extern const struct stun_txn_timing stun_timing_default;

#endif
