/* The daemon context shared by hipd's modules: configuration, identities, the
 * association table, R1 cache, transports, control socket. No logic here. */
#ifndef HIPSIP_HIPD_H
#define HIPSIP_HIPD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "common/hostid.h"
#include "hipd/hadb.h"
#include "hipd/wire/wire.h"

#define HIPD_MAX_IDS 4

struct hipd_config {
	const char *state_dir;			 /* host identities live here */
	const char *socket_path;		 /* control socket */
	const char *stamps_path;		 /* event stamps (JSON lines), or NULL */
	const char *node;			 /* name in event stamps */
	enum hostid_kind hi_kinds[HIPD_MAX_IDS]; /* first = default identity */
	size_t n_hi_kinds;
	int rsa_bits;
	enum hip_transport transport; /* for associations we initiate */
	bool raw_enabled;
	bool udp_enabled;
	uint16_t udp_port;
	uint8_t puzzle_k;	     /* #K while the I1 rate is normal */
	uint8_t puzzle_k_attack;     /* #K while it is above puzzle_attack_rate */
	uint32_t puzzle_attack_rate; /* I1s per second, all sources together */
	uint8_t puzzle_lifetime;     /* exponent: 2^(x-32) seconds, RFC 7401 5.2.4 */
	struct hip_p_list8 dh_groups;
	struct hip_p_list16 hip_ciphers;
	struct hip_p_list16 esp_suites;
	uint32_t rto_initial_ms;
	unsigned i1_retries_max;
	unsigned i2_retries_max;
	uint32_t r2_sent_ms;	    /* Exchange Complete timer */
	uint32_t closed_ms;	    /* how long CLOSED/CLOSING state is kept */
	uint32_t e_failed_ms;	    /* how long E-FAILED is kept before UNASSOCIATED */
	uint32_t r1_rotate_ms;	    /* Delta T: R1 generation lifetime */
	bool allow_fault_injection; /* test-only: lets the control socket corrupt packets */
	int dataplane;		    /* enum dataplane_mode */
	uint32_t rekey_s;	    /* ESP SA lifetime before a rekey by UPDATE; 0 = none */
	/* NAT traversal (RFC 5770): modes offered in R1 / preferred in I2, in order */
	struct hip_p_list16 nat_modes;
	uint32_t ice_ta_ms;		     /* our minimum Ta (RFC 5770 4.4) */
	struct sockaddr_storage stun_server; /* family 0 = none */
	struct sockaddr_storage turn_server;
	char turn_user[128];
	char turn_pass[128];
	const char *ice_host_addrs; /* host candidates, comma-separated; NULL = all */
	bool ice_relay_only;	    /* offer only the relayed candidate */
	/* HIP relay, RFC 5770 (relay.c, relay_client.c) */
	bool relay_server;		    /* offer RELAY_UDP_HIP and relay for clients */
	uint32_t relay_max_clients;	    /* registrations kept at most */
	uint32_t relay_max_lifetime_s;	    /* longest registration granted */
	bool relay_require_nat_mode;	    /* relayed I2/R1 need NAT_TRAVERSAL_MODE (4.5) */
	bool relay_client;		    /* register with relay_addr */
	struct sockaddr_storage relay_addr; /* the relay's address and UDP port */
	uint32_t relay_lifetime_s;	    /* registration lifetime we ask for */
	uint32_t relay_keepalive_s;	    /* NAT keepalive period towards the relay (4.7) */
};

/* Deliberate corruption of our own packets, for negative tests (test-only). */
enum hipd_fault {
	HIPD_FAULT_NONE,
	HIPD_FAULT_I2_SIGNATURE,
	HIPD_FAULT_I2_SOLUTION,
	HIPD_FAULT_I2_MAC,
	HIPD_FAULT_I2_CRITICAL,
	HIPD_FAULT_I1_CRITICAL,
	HIPD_FAULT_ICE_PASSWORD, /* a wrong ICE password: every connectivity check fails */
};

struct r1cache;
struct hip_transport_set;
struct ctl_server;
struct dataplane;
struct nat_host;
struct relay;
struct overlay;
struct hipd_options;

struct hipd {
	uv_loop_t *loop;
	struct hipd_config cfg;
	struct hostid *ids[HIPD_MAX_IDS];
	size_t nids;
	struct hadb db;
	struct r1cache *r1;
	struct hip_transport_set *tr;
	struct ctl_server *ctl;
	struct dataplane *dp;	 /* NULL when the data plane is off */
	struct nat_host *nat;	 /* NULL unless ICE-STUN-UDP is configured */
	struct relay *relay;	 /* relay server and client state (relay.c) */
	struct overlay *overlay; /* HIP BONE neighbour set and counters (overlay.c) */
	uv_signal_t sigint, sigterm;
	uv_prepare_t flush; /* flushes event stamps once per loop turn */
	uv_timer_t tick;    /* once a second: rekey lifetimes */
	uint64_t start_ns;
	enum hipd_fault fault; /* applied to the next base exchange we initiate */
	struct {
		uint64_t second; /* CLOCK_MONOTONIC second being counted */
		uint32_t count, prev_count;
		bool raised; /* puzzle_k_attack in force */
	} i1_rate;
	bool stopping;
	struct hipd_options *opts; /* for reload (options.c); NULL in tests */
};

void hipd_config_defaults(struct hipd_config *cfg);
/* The identity whose HIT is hit, or NULL. */
const struct hostid *hipd_identity(const struct hipd *h, const struct in6_addr *hit);
const struct hostid *hipd_default_identity(const struct hipd *h);

#endif
