/* State shared by the relay server (relay.c) and the relay client
 * (relay_client.c): registrations, the client's own registration, relayed
 * peers. Internal to those two files; the rest of hipd uses relay.h. */
#ifndef HIPSIP_RELAY_INT_H
#define HIPSIP_RELAY_INT_H

#include "hipd/relay.h"

#define NS_PER_S 1000000000ull

/* ---- server ---- */

#define RELAY_PERMS	     8	 /* peers per client whose R1/R2 the relay carries back */
#define RELAY_PERM_S	     120 /* how long a relayed I1/I2 lets the client answer */
#define RELAY_RATE_PER_S     100 /* I1/I2 relayed to one client per second */
#define RELAY_NOTIFY_PER_S   10	 /* NOTIFYs the relay sends per second, all together */
#define RELAY_MIN_LIFETIME_S 10	 /* RFC 8003 5: the minimum both sides must support */

/* A peer that reached a client through us: the client may send R1/R2 to it
 * (RELAY_TO must name it), so the relay cannot be aimed at anyone else. */
struct relay_perm {
	struct in6_addr peer;
	struct sockaddr_storage peer_addr; /* as the relay saw it (RELAY_FROM) */
	struct sockaddr_storage local;	   /* our address the peer sent to */
	uint64_t expires_ns;
};

struct relay_reg {
	struct relay_reg *next;
	struct in6_addr client;	       /* the registered HIT */
	struct in6_addr relay_hit;     /* our identity it registered with */
	struct sockaddr_storage addr;  /* its UDP address and port as seen: the NAT mapping */
	struct sockaddr_storage local; /* our address it registered to */
	uint8_t lifetime;	       /* granted, RFC 8003 4.1 encoding */
	uint64_t registered_ns, expires_ns;
	struct relay_perm perms[RELAY_PERMS];
	uint64_t rate_sec;
	uint32_t rate_count;
	uint64_t relayed_in, relayed_out;
};

/* A registration request seen in an I2 (answered in its R2) or an UPDATE
 * (answered with the ACK of its SEQ); valid only while that packet is processed. */
struct relay_pending {
	bool valid;
	struct in6_addr client, relay_hit;
	struct sockaddr_storage addr, local;
	enum hip_transport transport;
	struct hip_p_reg req; /* head: the requested lifetime; all types asked for */
	bool by_update;
	uint32_t seq;
};

struct relay_server {
	struct relay_reg *regs;
	size_t count;
	struct relay_pending pending;
	uint64_t notify_sec;
	uint32_t notify_count;
	uint64_t relayed_in, relayed_out, dropped, keepalives;
};

/* ---- client ---- */

#define RELAYED_PEERS 64

enum relay_client_state {
	RC_OFF,	       /* no --relay */
	RC_IDLE,       /* ready to (re)register at next_try_ns */
	RC_REQUESTED,  /* REG_REQUEST sent (in I2 or UPDATE), waiting for the answer */
	RC_REGISTERED, /* REG_RESPONSE received */
	RC_FAILED,     /* refused or no answer; tries again at next_try_ns */
};

/* A peer whose I1/I2 came through our relay: our R1/R2 to it go back the same
 * way, with RELAY_TO = this address (RFC 5770 4.5 step 3). */
struct relayed_peer {
	struct in6_addr peer;
	struct sockaddr_storage addr;
	uint64_t used_ns; /* 0: free slot */
};

struct relay_client {
	enum relay_client_state state;
	struct in6_addr relay_hit;
	bool hit_known;
	bool waiting_logged;
	bool offered; /* the relay's R1 had REG_INFO with RELAY_UDP_HIP */
	uint8_t min_lifetime, max_lifetime;
	bool asked;	  /* our I2 carried a REG_REQUEST */
	bool by_update;	  /* the outstanding request is an UPDATE */
	uint8_t lifetime; /* granted */
	uint64_t requested_ns, registered_ns, expires_ns, refresh_ns;
	uint64_t next_keepalive_ns, next_try_ns;
	unsigned backoff_s;
	struct sockaddr_storage reflexive; /* REG_FROM: our address as the relay sees it */
	bool have_reflexive;
	const char *error;
	int failure_type; /* REG_FAILED Failure Type, -1 for none */
	/* an UPDATE with REG_REQUEST, retransmitted until answered */
	bool updating;
	uint32_t upd_seq;
	unsigned upd_tries;
	uint64_t upd_next_ns;
	uint8_t upd_pkt[HIP_MAX_PACKET_LEN];
	size_t upd_len;
	struct relayed_peer peers[RELAYED_PEERS];
	uint64_t keepalives, registrations;
	uint64_t dropped; /* relayed packets refused: not from our relay, bad RELAY_HMAC */
};

struct relay {
	struct hipd *h;
	int64_t clock_offset_ns;
	struct relay_server srv;
	struct relay_client cli;
};

/* relay.c */
uint64_t relay_now(const struct relay *r);
/* a and b name the same address and port; port 0 stands for default_port. */
bool relay_same_endpoint(const struct sockaddr *a, const struct sockaddr *b, uint16_t default_port);
const char *relay_endpoint_str(const struct sockaddr_storage *ss, char *buf, size_t len);
/* The association of local HIT and peer HIT, if it has keys for a RELAY_HMAC. */
struct hip_ha *relay_keyed_ha(struct hipd *h, const struct in6_addr *local,
			      const struct in6_addr *peer);

/* relay_client.c */
void relay_client_init(struct relay *r);
void relay_client_tick(struct hipd *h, uint64_t now);
bool relay_client_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
			struct relay_note *note);
void relay_client_after_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
			      const struct relay_note *note);
void relay_client_on_update(struct hipd *h, struct hip_ha *ha, const struct hip_msg *m);
json_t *relay_client_json(struct hipd *h);
/* For get ha: our registration's state on the association with our relay. */
void relay_client_ha_json(const struct hip_ha *ha, json_t *o);

#endif
