/* SIP transactions (RFC 3261 17, with the Accepted state of RFC 6026) on libuv: INVITE and
 * non-INVITE, client and server, timers A-K (L, M), retransmissions, matching (17.1.3, 17.2.3).
 * Not a dialog layer or a B2BUA, not a transport: messages leave through a send callback. */
#ifndef HIPSIP_SIP_TXN_H
#define HIPSIP_SIP_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "p2psipd/sip/msg.h"

/* Where a transaction's messages go. Opaque to this layer, copied by value, handed to the
 * send callback as given: ctx/id/addr name a local client's UDP address or TCP connection, a
 * peer p2psipd's channel, anything. Only reliable matters here: RFC 3261 17 retransmits
 * requests and non-2xx responses over unreliable transports only, and sets timers D, I, J, K
 * to zero over reliable ones. */
struct sip_dest {
	void *ctx;
	uint64_t id;
	struct sockaddr_storage addr;
	bool reliable;
};

struct sip_txn_timers {
	unsigned
	    t1_ms; /* RTT estimate, 500 (RFC 3261 17.1.1.1); A, B, E, F, G, H, J, L, M follow */
	unsigned t2_ms;	    /* retransmission cap for non-INVITE requests and responses: 4000 */
	unsigned t4_ms;	    /* longest a message stays in the network (timers I, K): 5000 */
	unsigned d_ms;	    /* timer D, unreliable transports: 32000 ("at least 32 s") */
	unsigned trying_ms; /* an INVITE server sends 100 Trying when the TU is this slow: 200 */
};

enum sip_txn_kind {
	SIP_TXN_ICT,  /* INVITE client (17.1.1) */
	SIP_TXN_NICT, /* non-INVITE client (17.1.2) */
	SIP_TXN_IST,  /* INVITE server (17.2.1) */
	SIP_TXN_NIST, /* non-INVITE server (17.2.2) */
};

enum sip_txn_state {
	SIP_TXN_CALLING,
	SIP_TXN_TRYING,
	SIP_TXN_PROCEEDING,
	SIP_TXN_COMPLETED,
	SIP_TXN_CONFIRMED,
	SIP_TXN_ACCEPTED, /* RFC 6026 7.1 (IST), 7.2 (ICT): after a 2xx */
	SIP_TXN_TERMINATED,
	SIP_TXN_WAITING, /* a CANCEL held until its INVITE gets a provisional response (9.1) */
};

struct sip_txn;
struct sip_txn_layer;

/* Events of one transaction for the TU. Messages are valid during the call only. Any callback
 * may call back into this layer (respond, cancel, drop, even close the layer). */
struct sip_txn_cbs {
	/* Client transactions: a provisional or final response. An INVITE client passes up every
	 * 2xx while Accepted (the TU ACKs each, RFC 3261 13.2.2.4) but a retransmitted non-2xx
	 * final only once (it ACKs those itself, 17.1.1.3). May be NULL. */
	void (*response)(void *arg, struct sip_txn *x, const osip_message_t *resp);
	/* A failure, before terminated: -ETIMEDOUT for timers B and F (no final response) and H
	 * (an INVITE server's non-2xx got no ACK); -ETIME when an INVITE server's 2xx got no ACK
	 * within 64*T1 (13.3.1.4: the TU should send BYE); or the send callback's error (17.1.4,
	 * 17.2.4). May be NULL. */
	void (*error)(void *arg, struct sip_txn *x, int err);
	/* The transaction is over; x is not to be used after this call. May be NULL. */
	void (*terminated)(void *arg, struct sip_txn *x);
};

struct sip_txn_layer_cbs {
	/* Sends one message (bytes valid during the call) to dest. 0 or a negative errno, which
	 * is a transport error for the transaction. Required. */
	int (*send)(void *arg, const struct sip_dest *dest, const uint8_t *buf, size_t len);
	/* A request: a new server transaction x (answer it with sip_txn_respond; set its callbacks
	 * with sip_txn_set_cbs), or x NULL for an ACK that is in no transaction (the ACK for a 2xx,
	 * 17.1.1.3: the TU matches it to its dialog). src is what the caller of sip_txn_input
	 * gave; an answer goes there. Required. */
	void (*request)(void *arg, struct sip_txn *x, const osip_message_t *req,
			const struct sip_dest *src);
	/* A response that matches no client transaction (17.1.1.2: a 2xx retransmitted after the
	 * INVITE client transaction is gone). May be NULL. */
	void (*stray_response)(void *arg, const osip_message_t *resp, const struct sip_dest *src);
};

struct sip_txn_layer {
	uv_loop_t *loop;
	struct sip_txn_timers tm;
	struct sip_txn_layer_cbs cbs;
	void *arg;
	struct sip_txn *head; /* live transactions */
	unsigned count;	      /* live transactions */
	unsigned allocated;   /* transactions not yet freed (timers closing) */
	uv_timer_t sentinel;  /* closed last, so that on_closed always runs from the loop */
	bool closing;
	void (*on_closed)(struct sip_txn_layer *l);
	struct {
		uint64_t sent;	      /* messages first sent */
		uint64_t retransmits; /* messages sent again (timers, retransmitted input) */
		uint64_t absorbed;    /* retransmissions taken in by a transaction */
		uint64_t timeouts;    /* -ETIMEDOUT and -ETIME */
		uint64_t stray;	      /* responses in no transaction */
	} stats;
};

/* tm NULL (or any field 0): the defaults above. 0 or -EINVAL. */
int sip_txn_layer_init(struct sip_txn_layer *l, uv_loop_t *loop, const struct sip_txn_timers *tm,
		       const struct sip_txn_layer_cbs *cbs, void *arg);
/* Drops every transaction without callbacks; on_closed (may be NULL) runs from the loop once
 * every timer is closed. */
void sip_txn_layer_close(struct sip_txn_layer *l, void (*on_closed)(struct sip_txn_layer *l));

enum sip_txn_input {
	SIP_TXN_IN_NEW,	     /* a new server transaction: request callback with x */
	SIP_TXN_IN_MATCHED,  /* taken by its transaction (a response passed up, an ACK in IST) */
	SIP_TXN_IN_ABSORBED, /* a retransmission absorbed (and answered) by its transaction */
	SIP_TXN_IN_TU,	     /* in no transaction: request callback with x NULL (an ACK) or
				stray_response */
};

/* Offers a message received from src (RFC 3261 17.1.3, 17.2.3). msg stays the caller's.
 * An enum sip_txn_input, or -EINVAL (no Via or CSeq: not from sip_msg_parse), -ENOMEM. */
int sip_txn_input(struct sip_txn_layer *l, const osip_message_t *msg, const struct sip_dest *src);

/* Starts a client transaction for req (copied; its top Via must carry a branch with the
 * magic cookie, RFC 3261 8.1.1.7) towards dest: INVITE client (17.1.1) or non-INVITE client
 * (17.1.2); an ACK is refused (-EINVAL: send it with sip_txn_send). Note that an INVITE client
 * in Proceeding has no timer (17.1.1.2): the TU cancels it when it waits too long. 0 with
 * *out (may be NULL), or a negative errno (the send error included) and no transaction. */
int sip_txn_request(struct sip_txn_layer *l, const osip_message_t *req, const struct sip_dest *dest,
		    const struct sip_txn_cbs *cbs, void *arg, struct sip_txn **out);
/* CANCELs an INVITE client transaction (RFC 3261 9.1): a non-INVITE client transaction for
 * the CANCEL, sent at once in Proceeding or held (SIP_TXN_WAITING) until the first provisional
 * response in Calling; a held CANCEL ends without being sent (terminated only) when the INVITE
 * gets a final response or times out first. 0 with *out (may be NULL); -EINVAL (not an INVITE
 * client), -EALREADY (a final response came already, or a CANCEL was started), -ENOMEM. */
int sip_txn_cancel(struct sip_txn *ict, const struct sip_txn_cbs *cbs, void *arg,
		   struct sip_txn **out);

/* Passes the TU's response (copied) to a server transaction (17.2.1, 17.2.2). An INVITE
 * server in Proceeding: 1xx sent and kept for retransmitted INVITEs; 2xx sent, then Accepted
 * (RFC 6026) where it is retransmitted for the TU every T1..T2 until the ACK arrives or 64*T1
 * pass (13.3.1.4, over any transport), further 2xx accepted; 300-699 sent, Completed (timer G
 * on unreliable transports, H). A non-INVITE server: 1xx, then the final response, Completed
 * (timer J). 0, -EINVAL (not a server transaction or a response, or a final response already
 * given), -ENOMEM, or a send error: the transaction then ends (error and terminated callbacks
 * run before this returns). */
int sip_txn_respond(struct sip_txn *x, const osip_message_t *resp);

/* The INVITE server transaction a CANCEL is for (RFC 3261 9.2: 17.2.3 matching, the method
 * aside), or NULL. */
struct sip_txn *sip_txn_find_invite(struct sip_txn_layer *l, const osip_message_t *cancel);

/* Sends a message outside any transaction (an ACK for a 2xx, a stateless response). */
int sip_txn_send(struct sip_txn_layer *l, const struct sip_dest *dest, const osip_message_t *m);

void sip_txn_set_cbs(struct sip_txn *x, const struct sip_txn_cbs *cbs, void *arg);
/* Ends a transaction at once without callbacks (the TU no longer cares). */
void sip_txn_drop(struct sip_txn *x);

enum sip_txn_kind sip_txn_kind(const struct sip_txn *x);
enum sip_txn_state sip_txn_state(const struct sip_txn *x);
const char *sip_txn_state_name(enum sip_txn_state s);
/* The request that created the transaction (a copy; the CANCEL for sip_txn_cancel). */
const osip_message_t *sip_txn_request_msg(const struct sip_txn *x);
const struct sip_dest *sip_txn_dest(const struct sip_txn *x);

#endif
