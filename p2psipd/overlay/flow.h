/* Connects for application flows (ice mode): an ICE offer for a flow of an application (SIP
 * between two p2psipd) sent to a peer by a P2PP Connect carrying a Flow object (p2pp_msg.h),
 * routed like a link's Connect, and the peer's answer. Not ICE (the application runs its own
 * agent) and not the overlay links' Connects (connect.c). */
#ifndef HIPSIP_OVL_FLOW_H
#define HIPSIP_OVL_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "ice/cand.h"
#include "ice/ice.h"
#include "p2psipd/overlay/overlay.h"

#define OVL_FLOW_MAX_CANDS 8 /* P2PP_MAX_CANDS */

/* One side's ICE offer or answer (component 1 only). */
struct ovl_flow_offer {
	char ufrag[ICE_UFRAG_MAX + 1], pwd[ICE_PWD_MAX + 1];
	struct ice_cand c[OVL_FLOW_MAX_CANDS];
	size_t n;
};

/* The answer to our Connect: err 0 and the peer's offer, or a negative errno (-ENOENT no such
 * peer, -ETIMEDOUT, -ECONNREFUSED the peer refused the flow, -EPROTO a bad answer). */
typedef void (*ovl_flow_answered_fn)(void *arg, int err, const struct ovl_flow_offer *answer);

/* A Connect for flow (app, id) to peer with our offer; cb runs once, later, unless this
 * returns an error. Retried like any other operation started here. 0, -EAGAIN (not joined),
 * -EINVAL, -ENOMEM. */
int ovl_flow_connect(struct ovl_node *n, const struct chord_id *peer, uint8_t app, uint32_t id,
		     const struct ovl_flow_offer *offer, ovl_flow_answered_fn cb, void *arg);
/* Drops the callback of a Connect in flight (its owner is going). */
void ovl_flow_forget(struct ovl_node *n, void *arg);

/* An offer for our application app arrived: return 0 and answer later with ovl_flow_answer
 * (the same peer and id), or a negative errno (refused: the peer gets an error). */
typedef int (*ovl_flow_accept_fn)(void *arg, const struct chord_id *peer, uint32_t id,
				  const struct ovl_flow_offer *offer);
/* One application per node takes offers (fn NULL: none; offers are refused). */
void ovl_flow_listen(struct ovl_node *n, uint8_t app, ovl_flow_accept_fn fn, void *arg);
/* Our answer (err 0) or refusal (err < 0) to peer's offer for flow id. 0 or -ENOENT (no such
 * offer pending: already answered or given up). */
int ovl_flow_answer(struct ovl_node *n, const struct chord_id *peer, uint32_t id, int err,
		    const struct ovl_flow_offer *answer);

#endif
