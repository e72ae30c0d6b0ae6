/* The ICE agent's internals shared by agent.c (checks, nomination, keepalives)
 * and gather.c (candidates from the agent's own STUN/TURN servers). Private. */
#ifndef HIPSIP_ICE_AGENT_INT_H
#define HIPSIP_ICE_AGENT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ice/cand.h"
#include "ice/checklist.h"
#include "ice/ice.h"
#include "ice/sock.h"
#include "ice/stun.h"
#include "ice/stun_txn.h"

#define ICE_MAX_LOCALS 32
#define ICE_MAX_HOSTS  8

struct turn_client;

/* A relay the agent allocated itself (ice_agent_gather with a TURN server). */
struct ice_relay {
	struct ice_agent *agent;
	struct turn_client *tc;
	struct ice_sock sock; /* local = the relayed address; send = through tc */
	unsigned component;
	bool allocated;
	struct sockaddr_storage host; /* the host base it was allocated from */
};

/* A host base the caller gave (ice_agent_add_host), for gathering. */
struct ice_host {
	struct ice_agent *agent;
	const struct ice_sock *sock;
	unsigned component;
	unsigned local_pref;
	struct stun_txn *binding;
};

/* One connectivity check in flight: its pair and transaction. A check the
 * checklist gave up (a newer triggered check, 7.3.1.4) stays until its
 * transaction ends, so a late response is still processed. */
struct ice_check {
	struct ice_check *next;
	struct ice_agent *agent;
	struct ice_pair *pair;
	struct stun_txn *txn;
	uint64_t sent_ns;   /* when the check started, for the nomination wait */
	bool use_candidate; /* the request carried USE-CANDIDATE */
};

struct ice_agent {
	uv_loop_t *loop;
	struct ice_config cfg;
	struct ice_callbacks cb;
	void *arg;
	enum ice_state state;
	bool controlling;
	uint64_t tiebreaker;
	struct ice_creds local, remote;
	bool have_remote;
	char software[64];
	char turn_user[128], turn_pass[128];

	/* every local candidate and the socket it sends through (by its base) */
	struct ice_cand locals[ICE_MAX_LOCALS];
	const struct ice_sock *local_sock[ICE_MAX_LOCALS];
	size_t n_locals;
	struct ice_host hosts[ICE_MAX_HOSTS];
	size_t n_hosts;
	struct ice_relay relays[ICE_MAX_COMPONENTS];
	size_t n_relays;
	unsigned gather_pending;

	struct ice_checklist *cl;
	struct stun_txns txns;
	struct ice_check *checks;
	uv_timer_t ta, nominate, keepalive, gather;
	int open_handles;
	bool closing;
	bool nominate_armed;
	bool nominate_extended;			     /* waited once more for a direct pair */
	uint64_t consent_ns[ICE_MAX_COMPONENTS + 1]; /* last consent per component */
	char reason[128];
};

/* agent.c */
int ice_agent_add_candidate(struct ice_agent *a, const struct ice_cand *c,
			    const struct ice_sock *sock);
void ice_agent_event(struct ice_agent *a, const char *ev, const char *detail);
int ice_agent_stun_input(struct ice_agent *a, const struct sockaddr *local,
			 const struct sockaddr *from, const uint8_t *buf, size_t len);

/* gather.c */
int ice_gather_start(struct ice_agent *a);
void ice_gather_stop(struct ice_agent *a);
/* 1 when from is one of the agent's TURN servers and the datagram was its. */
int ice_gather_input(struct ice_agent *a, const struct sockaddr *local, const uint8_t *buf,
		     size_t len, const struct sockaddr *from);

#endif
