/* The ICE agent (RFC 8445, full ICE, regular nomination, UDP) on libuv: gathering,
 * checks paced by Ta, nomination, keepalives and consent (RFC 7675). The
 * public API of the ice/ library; sockets stay with the caller (ice_sock). */
#ifndef HIPSIP_ICE_H
#define HIPSIP_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ice/cand.h"
#include "ice/sock.h"

struct ice_agent;

enum ice_state {
	ICE_NEW,
	ICE_GATHERING,
	ICE_GATHERED,
	ICE_CHECKING,
	ICE_CONNECTED, /* every component has a nominated pair */
	ICE_FAILED,
	ICE_CLOSED,
};

struct ice_config {
	bool controlling;
	unsigned components; /* 1..ICE_MAX_COMPONENTS */
	unsigned ta_ms;	     /* pacing (RFC 8445 14.2); 0 = 50 */
	const char *ufrag;   /* local credentials; NULL = random (RFC 8445 5.3) */
	const char *pwd;
	uint64_t tiebreaker; /* 0 = random */
	/* Gathering: a STUN server for srflx, a TURN server for relay (and srflx)
	 * candidates on every host base; family 0 = none. */
	struct sockaddr_storage stun, turn;
	const char *turn_user, *turn_pass;
	unsigned gather_timeout_ms; /* give up on a server after this; 0 = 3000 */
	bool relay_only; /* offer and pair only relayed candidates (hides our addresses) */
	/* After nomination: keepalives on the selected pair (RFC 8445 11) every
	 * keepalive_s as Binding indications (RFC 5770 5.3) and consent freshness
	 * (RFC 7675) as Binding requests every consent_s, lost after 30 s; 0 = off. */
	unsigned keepalive_s;
	unsigned consent_s;
	unsigned consent_timeout_s; /* consent lost after this long unanswered; 0 = 30 */
	const char *software;	    /* SOFTWARE attribute, or NULL */
};

#define ICE_MAX_COMPONENTS 4

struct ice_callbacks {
	/* A local candidate was found (host right away, srflx/relay as servers answer). */
	void (*on_candidate)(void *arg, const struct ice_cand *c);
	/* Gathering ended (every server answered or timed out). */
	void (*on_gathered)(void *arg);
	/* ICE_CONNECTED, ICE_FAILED (reason says why) and ICE_CLOSED. */
	void (*on_state)(void *arg, enum ice_state s, const char *reason);
	/* Application data that arrived through a relay the agent owns. */
	void (*on_data)(void *arg, unsigned component, const uint8_t *data, size_t len);
	/* Milestones for event stamps: "ice.gather.start", "ice.gather.done",
	 * "ice.checks.start", "ice.checks.done", "ice.nominated" ... */
	void (*on_event)(void *arg, const char *ev, const char *detail);
};

int ice_agent_new(uv_loop_t *loop, const struct ice_config *cfg, const struct ice_callbacks *cb,
		  void *arg, struct ice_agent **out);
/* A local base: a host candidate on sock->local; gathering asks the servers
 * from this socket. The socket must outlive the agent. */
int ice_agent_add_host(struct ice_agent *a, unsigned component, const struct ice_sock *sock);
/* A candidate gathered by someone else (hipd's host-wide TURN allocation), sent
 * through sock (for a relay: a socket whose send goes through the TURN client). */
int ice_agent_add_local(struct ice_agent *a, const struct ice_cand *c, const struct ice_sock *sock);
int ice_agent_gather(struct ice_agent *a);
size_t ice_agent_local_candidates(const struct ice_agent *a, struct ice_cand *out, size_t cap);
void ice_agent_local_credentials(const struct ice_agent *a, const char **ufrag, const char **pwd);
int ice_agent_set_remote(struct ice_agent *a, const char *ufrag, const char *pwd,
			 const struct ice_cand *c, size_t n);
/* Starts the checks (remote candidates must be set). */
int ice_agent_start(struct ice_agent *a);
/* A datagram received on local (a host base address, or a relayed address
 * for data the caller's TURN client delivered) from `from`. 1 when it was for
 * the agent (STUN for this agent, or TURN traffic of its own relays), 0 if not. */
int ice_agent_input(struct ice_agent *a, const struct sockaddr *local, const struct sockaddr *from,
		    const uint8_t *buf, size_t len);
/* Sends application data on the component's selected pair. -ENOTCONN before one. */
int ice_agent_send(struct ice_agent *a, unsigned component, const void *buf, size_t len);
/* Whether addr is the address of one of the component's remote candidates, signalled or
 * peer-reflexive (learned from a check that carried our password): a source the peer's data
 * may come from (RFC 8445 12.2). Lets the caller drop data that reaches its socket from
 * anyone else, e.g. sent to an earlier socket whose port the kernel gave it again. */
bool ice_agent_is_remote(const struct ice_agent *a, unsigned component,
			 const struct sockaddr *addr);
/* The selected pair of a component; -ENOTCONN if none. */
int ice_agent_selected(const struct ice_agent *a, unsigned component, struct ice_cand *local,
		       struct ice_cand *remote);
enum ice_state ice_agent_state(const struct ice_agent *a);
const char *ice_state_name(enum ice_state s);
/* Stops timers and transactions, releases TURN allocations it owns; no
 * callbacks after this returns. Memory is freed once libuv closed the handles. */
void ice_agent_close(struct ice_agent *a);

#endif
