/* The ICE checklist of one data stream with any number of components (RFC 8445
 * 6.1.2-8.1, full ICE, regular nomination): pairs, their states, the triggered-
 * check queue, the valid list and nomination. Pure logic: no I/O, no timers;
 * the agent sends the checks it is told to and reports their results. */
#ifndef HIPSIP_ICE_CHECKLIST_H
#define HIPSIP_ICE_CHECKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ice/cand.h"

struct stun_txn;

/* RFC 8445 6.1.2.6 */
enum ice_pair_state {
	ICE_PAIR_FROZEN,
	ICE_PAIR_WAITING,
	ICE_PAIR_IN_PROGRESS,
	ICE_PAIR_SUCCEEDED,
	ICE_PAIR_FAILED,
};

/* RFC 8445 6.1.2.1. Completed: a nominated pair for each component. Failed:
 * a component has no valid pair and nothing left to check; a Failed
 * checklist runs again if it gets a pair to check (new remote candidates, a
 * triggered check: 7.3.1.4 note), which the agent may ignore once it gave up. */
enum ice_cl_state { ICE_CL_RUNNING, ICE_CL_COMPLETED, ICE_CL_FAILED };

#define ICE_PAIR_FOUNDATION_MAX (2 * ICE_FOUNDATION_MAX + 1) /* "LOCAL:REMOTE" */

/* A candidate pair. Pairs live in one array allocated with the checklist and
 * never move, so a pointer to one (and its id) stays valid until
 * ice_cl_free: the agent may hand it to a STUN transaction as its argument. */
struct ice_pair {
	unsigned id; /* index in cl->pairs, for logs */
	struct ice_checklist *cl;
	/* For a pair in the checklist the local candidate is a host or relayed
	 * one (a reflexive one was replaced by its base, 6.1.2.4); a valid pair
	 * made from a response may have a reflexive one (7.2.5.3.2). */
	const struct ice_cand *local;
	const struct ice_cand *remote;
	unsigned component;
	uint64_t priority; /* 6.1.2.3, for the current role */
	char foundation[ICE_PAIR_FOUNDATION_MAX + 1];
	enum ice_pair_state state;
	/* false for a pair that is only in the valid list (7.2.5.3.2 case 3), and
	 * for the pairs of a component once it has a nominated pair (8.1.2):
	 * such pairs are never scheduled. */
	bool in_checklist;
	bool valid;	/* in the valid list */
	bool nominated; /* valid and nominated (7.2.5.3.4, 7.3.1.5) */
	/* Controlling: the check on this pair carries USE-CANDIDATE (8.1.1).
	 * Controlled: a received USE-CANDIDATE triggered it (7.3.1.5). Either
	 * way a success nominates the valid pair. */
	bool use_candidate;
	bool queued;		      /* in the triggered-check queue */
	struct ice_pair *valid_pair;  /* the valid pair its last successful check produced */
	struct ice_pair *generator;   /* of a valid pair: the pair whose check produced it */
	struct ice_pair *next_queued; /* triggered-check queue link */
	/* The agent's: the check in flight on this pair, and anything else. */
	struct stun_txn *txn;
	void *user;
};

struct ice_cl_config {
	bool controlling;
	size_t max_pairs;  /* pairs formed (6.1.2.5); 0: 100 (max 10000) */
	size_t max_local;  /* local candidates, peer-reflexive ones included; 0: 32 (max 1024) */
	size_t max_remote; /* remote candidates, peer-reflexive ones included; 0: 64 (max 1024) */
	/* Called when the checklist gives up the check in flight on p (a newer
	 * triggered check replaces it, 7.3.1.4; its component was nominated,
	 * 8.1.2): the agent must cancel p->txn so that its result is never
	 * reported. May be NULL when the agent never has checks in flight. */
	void (*cancel)(void *user, struct ice_pair *p);
	void *user;
};

#define ICE_CL_DEFAULT_MAX_PAIRS  100
#define ICE_CL_DEFAULT_MAX_LOCAL  32
#define ICE_CL_DEFAULT_MAX_REMOTE 64

/* Read the fields; change them only through the functions below. */
struct ice_checklist {
	struct ice_cl_config cfg;
	bool controlling;
	bool started;
	enum ice_cl_state state;
	unsigned n_components; /* set by ice_cl_start (6.1.2.2) */
	struct ice_cand *local, *remote;
	size_t n_local, n_remote;
	bool *learned; /* remote[i] is a peer-reflexive candidate learned from a check */
	struct ice_pair *pairs;
	size_t n_pairs, cap_pairs;
	struct ice_pair *queue_head, *queue_tail;
	struct ice_pair **scratch; /* cap_pairs entries, for sorting */
	unsigned prflx_seq;
	size_t pruned, discarded; /* 6.1.2.4 and 6.1.2.5, for logs */
};

/* NULL on allocation failure. */
struct ice_checklist *ice_cl_new(const struct ice_cl_config *cfg);
void ice_cl_free(struct ice_checklist *cl);

/* Adds a local candidate (built with ice_cand_host/srflx/relay) before
 * ice_cl_start. A server-reflexive candidate is paired through its base,
 * which must be one of the host candidates. 0, -EINVAL, -EBUSY (started),
 * -ENOSPC (max_local). */
int ice_cl_add_local(struct ice_checklist *cl, const struct ice_cand *c);

/* Adds a remote candidate (from ice_cand_parse). One with the address and
 * component of a peer-reflexive candidate learned from a check replaces what
 * was guessed for it (7.3.1.3: type, foundation, priority); another one with
 * the address and component of a known candidate is refused with -EEXIST.
 * After ice_cl_start the new candidate is paired at once (its pairs start
 * Frozen). 0, -EINVAL, -EEXIST, -ENOSPC. */
int ice_cl_add_remote(struct ice_checklist *cl, const struct ice_cand *c);

/* Forms the checklist (6.1.2.2-6.1.2.6): pairs each local candidate with each
 * remote candidate of the same component and address family (IPv6 link-local
 * only with link-local), computes priorities, replaces reflexive local
 * candidates by their bases and prunes redundant pairs, keeps the max_pairs
 * best, sets one pair per foundation Waiting and the rest Frozen; state
 * Running (Failed if some component has no pair at all). 0 or -EALREADY. */
int ice_cl_start(struct ice_checklist *cl);

/* Once per Ta tick (6.1.4.2): the head of the triggered-check queue, else
 * the best Waiting pair (unfreezing one pair per foundation that has none
 * Waiting or In-Progress when nothing is Waiting). The pair is now
 * In-Progress: the agent sends a check from p->local's base to
 * p->remote->addr with PRIORITY ice_pair_check_priority(p), USE-CANDIDATE
 * if ice_pair_use_candidate(p), and the role attribute. NULL when
 * there is nothing to check, the checklist is not Running or not started. */
struct ice_pair *ice_cl_next(struct ice_checklist *cl);

/* PRIORITY attribute for checks from p's local candidate (7.1.1). */
uint32_t ice_pair_check_priority(const struct ice_pair *p);
/* Whether the check on p carries USE-CANDIDATE: only a controlling agent's
 * nomination check does (7.1.2). */
bool ice_pair_use_candidate(const struct ice_pair *p);

/* Results of the check on p (7.2.5). ice_cl_check_succeeded: a success
 * response from `from` (for a relayed local candidate, the peer address the
 * TURN server reported) carrying XOR-MAPPED-ADDRESS mapped. A response not
 * from p->remote's address fails the pair (7.2.5.2.1, -EHOSTUNREACH). On
 * success (7.2.5.3) a local peer-reflexive candidate is learned if mapped is
 * new, the valid pair is found or made (*valid, may be NULL), both pairs
 * Succeed, Frozen pairs of p's foundation become Waiting, the nomination
 * rules apply and the checklist state is updated. 0, -EHOSTUNREACH, -ENOSPC
 * (no room for the peer-reflexive candidate or the valid pair: p still
 * Succeeded), -EINVAL. */
int ice_cl_check_succeeded(struct ice_checklist *cl, struct ice_pair *p,
			   const struct sockaddr *from, const struct sockaddr *mapped,
			   struct ice_pair **valid);
/* A timeout, an unrecoverable error response, an ICMP error (7.2.5.2): p
 * Fails; a failed nomination check also removes its valid pair from the
 * valid list and fails the checklist (7.2.5.3.4). */
void ice_cl_check_failed(struct ice_checklist *cl, struct ice_pair *p);
/* A 487 (Role Conflict) response (7.2.5.1): after switching roles with
 * ice_cl_set_role, the agent puts p back: Waiting, in the triggered queue. */
void ice_cl_check_again(struct ice_checklist *cl, struct ice_pair *p);

/* A Binding request the agent accepted (integrity, role conflict resolved)
 * arrived on the local host or relayed candidate with address `local` (or on
 * a socket bound to the wildcard address: the best host candidate with that
 * port) from `src`, with PRIORITY `priority` and USE-CANDIDATE or not. Learns
 * a remote peer-reflexive candidate (7.3.1.3), queues a triggered check
 * unless the pair Succeeded or its component is nominated (7.3.1.4, 8.1.2)
 * and applies USE-CANDIDATE when controlled (7.3.1.5). *pair (may be NULL)
 * is the pair of the request, NULL if none was made. Works before
 * ice_cl_start (a check that beat the peer's candidates); its triggered check
 * waits for the start. 0, -ENOENT (no such local candidate), -ENOSPC,
 * -EINVAL. */
int ice_cl_incoming_check(struct ice_checklist *cl, const struct sockaddr *local,
			  const struct sockaddr *src, uint32_t priority, bool use_candidate,
			  struct ice_pair **pair);

/* Role (7.2.5.1, 7.3.1.1): recomputes every pair priority. Pending
 * nominations are dropped when becoming controlled. */
void ice_cl_set_role(struct ice_checklist *cl, bool controlling);

/* What a received request's role attribute asks of us (7.3.1.1). */
enum ice_role_action {
	ICE_ROLE_KEEP,	 /* no conflict, or the peer will switch */
	ICE_ROLE_SWITCH, /* switch role (ice_cl_set_role), then answer */
	ICE_ROLE_487,	 /* answer 487 Role Conflict, keep the role */
};
enum ice_role_action ice_role_conflict(bool controlling, uint64_t tiebreaker, bool req_controlling,
				       bool req_controlled, uint64_t req_tiebreaker);

/* Regular nomination by the controlling agent (8.1.1): for each component
 * with no nominated pair and no nomination under way, takes the best valid
 * pair and queues the pair that produced it again, with USE-CANDIDATE. With
 * force false only where no pair of higher priority than that valid pair is
 * still Frozen, Waiting or In-Progress (the stopping criterion); with force
 * true (e.g. after a timer) wherever there is a valid pair. Returns how many
 * nominations it started (0 when controlled or not Running). */
unsigned ice_cl_nominate(struct ice_checklist *cl, bool force);

/* The selected pair of a component (8.1.1): its highest-priority nominated
 * pair, or NULL. Data goes from its local candidate's base to its remote. */
struct ice_pair *ice_cl_selected(const struct ice_checklist *cl, unsigned component);

/* The local host or relayed candidate a local candidate sends from (its
 * base), or NULL. A relayed one means: through the TURN allocation. */
const struct ice_cand *ice_cl_base_of(const struct ice_checklist *cl, const struct ice_cand *c);

/* RTO of a new check (RFC 8445 14.3): MAX(500, Ta * (Waiting + In-Progress))
 * in ms, at most 60 s (the formula without its extra factor N, which the RFC
 * lets agents drop: it makes RTO grow with the square of the pair count). */
unsigned ice_cl_rto_ms(const struct ice_checklist *cl, unsigned ta_ms);

const char *ice_pair_state_name(enum ice_pair_state s);
const char *ice_cl_state_name(enum ice_cl_state s);

/* The checklist as text, one line per pair in priority order, for logs.
 * Returns the length it needed (as snprintf: truncated when >= len). */
size_t ice_cl_dump(const struct ice_checklist *cl, char *buf, size_t len);

#endif
