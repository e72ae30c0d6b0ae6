/* The host association database: one struct hip_ha per (local HIT, peer HIT),
 * the peer locator map, and LSI allocation. Storage only; bex.c decides. */
#ifndef HIPSIP_HADB_H
#define HIPSIP_HADB_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "common/hostid.h"
#include "hipd/crypto/hipcrypto.h"
#include "hipd/wire/wire.h"

struct esp_sa;

struct ctl_deferred;

/* RFC 7401 section 4.4 */
enum hip_state {
	HIP_STATE_UNASSOCIATED,
	HIP_STATE_I1_SENT,
	HIP_STATE_I2_SENT,
	HIP_STATE_R2_SENT,
	HIP_STATE_ESTABLISHED,
	HIP_STATE_CLOSING,
	HIP_STATE_CLOSED,
	HIP_STATE_E_FAILED,
};

const char *hip_state_name(enum hip_state s);

enum hip_transport {
	HIP_TRANSPORT_RAW, /* IP protocol 139 */
	HIP_TRANSPORT_UDP, /* UDP port 10500, RFC 5770 framing */
};

const char *hip_transport_name(enum hip_transport t);

#define HIP_KEY_MAX	 64
#define HIP_MAX_PACKET	 2048
#define HIP_MAP_MAX_LOCS 4

struct hip_keys {
	uint8_t enc_out[HIP_KEY_MAX]; /* our ENCRYPTED key */
	uint8_t enc_in[HIP_KEY_MAX];
	uint8_t mac_out[HIP_KEY_MAX]; /* our HIP_MAC key */
	uint8_t mac_in[HIP_KEY_MAX];
	size_t enc_len;
	size_t mac_len;
	/* ESP keys for the data plane (RFC 7402 section 7) */
	uint8_t esp_enc_out[HIP_KEY_MAX];
	uint8_t esp_auth_out[HIP_KEY_MAX];
	uint8_t esp_enc_in[HIP_KEY_MAX];
	uint8_t esp_auth_in[HIP_KEY_MAX];
	size_t esp_enc_len;
	size_t esp_auth_len;
	uint16_t keymat_index; /* where ESP keys were drawn from */
	/* STUN short-term password source (RFC 5770 5.2): 128 bits drawn after
	 * the ESP keys, used as lowercase hex by both hosts */
	uint8_t stun_key[16];
};

#define HIP_DH_PUB_MAX 512 /* MODP-3072's 384 bytes, with room */

/* UPDATE (RFC 7401 6.11-6.12) and the ESP rekeying it carries (RFC 7402
 * 6.8-6.10): one outstanding UPDATE of ours at a time. */
struct hip_update {
	uint32_t next_id;      /* our next Update ID (the first is 0) */
	uint32_t peer_last;    /* the peer's last processed Update ID */
	bool peer_seen;	       /* peer_last is valid */
	bool pending;	       /* a rekey runs: ours sent, or the peer's answered */
	bool acked;	       /* ... our UPDATE's SEQ was acknowledged */
	bool have_peer;	       /* ... the peer's ESP_INFO (and DH) are in */
	bool answering;	       /* ... our UPDATE answers the peer's (carries its ACK) */
	bool keyed;	       /* ... new KEYMAT drawn, new inbound SA in; outbound waits */
	uint32_t sent_id;      /* ... the Update ID of our UPDATE */
	uint32_t old_spi_in;   /* ... the inbound SPI in use when we offered a new one */
	uint32_t new_spi_in;   /* ... the inbound SPI we offered */
	uint32_t peer_new_spi; /* ... the outbound SPI the peer offered */
	uint16_t peer_keymat_index;
	/* ... once keyed: the new outbound keys, for the switch (RFC 7402 3.3.2) */
	uint8_t new_esp_enc_out[HIP_KEY_MAX];
	uint8_t new_esp_auth_out[HIP_KEY_MAX];
	struct hip_dh *dh;		 /* ... our new DH key */
	uint8_t peer_dh[HIP_DH_PUB_MAX]; /* ... the peer's new DH public value */
	size_t peer_dh_len;		 /* ... 0: none, the old one counts */
	uint64_t started_ns;
	uint64_t keyed_ns; /* when the SAs in use were keyed */
	uint64_t
	    new_in_used_ns; /* first packet on the new inbound SA after a rekey; 0 = none yet */
	uint64_t rekeys;    /* completed rekeys */
};

struct nat_ha;

struct hip_ha {
	struct hip_ha *next;
	struct hipd *hipd;
	enum hip_state state;
	struct in6_addr hit_local;
	struct in6_addr hit_peer;
	const struct hostid *local_id;		  /* one of the daemon's identities */
	struct hostid *peer_id;			  /* peer's public HI, once verified */
	uint8_t peer_host_id_tlv[HIP_MAX_PACKET]; /* HOST_ID as received in R1 (HIP_MAC_2) */
	size_t peer_host_id_tlv_len;

	struct sockaddr_storage local_addr;
	struct sockaddr_storage peer_addr;
	enum hip_transport transport;
	bool initiator;
	int fault; /* enum hipd_fault: test-only corruption of our own packets */

	/* negotiated */
	uint8_t rhash_suite; /* the Responder's HIT suite */
	uint8_t dh_group;
	uint16_t hip_cipher;
	uint16_t esp_suite;
	uint64_t r1_generation;
	uint8_t puzzle_i[HIP_RHASH_MAX];
	uint8_t puzzle_j[HIP_RHASH_MAX];
	size_t puzzle_len;
	struct hip_dh *dh; /* our ephemeral DH key (initiator side) */
	struct hip_keys keys;
	uint32_t spi_in;
	uint32_t spi_out;
	uint32_t update_id_out;
	struct esp_sa *esp_out; /* userspace data plane SAs, while keys are valid */
	struct esp_sa *esp_in;
	struct esp_sa *esp_in_old; /* the inbound SA before a rekey, until the new one is used */
	uint32_t spi_in_old;
	uint8_t peer_dh_pub[HIP_DH_PUB_MAX]; /* the peer's DH public value in use */
	size_t peer_dh_pub_len;
	struct hip_update upd;

	/* retransmission */
	uint8_t last_sent[HIP_MAX_PACKET];
	size_t last_sent_len;
	unsigned retries;
	uint64_t rto_ms;
	uv_timer_t timer;
	bool timer_open;

	/* CLOSE */
	uint8_t close_echo[16];

	/* bookkeeping */
	uint64_t started_ns;
	uint64_t established_ns;
	time_t established_wall;
	struct in_addr lsi_peer;
	const char *fail_reason;
	struct ctl_deferred *waiter; /* a "trigger --wait" client to answer */
	uint16_t last_notify;	     /* type of the last authenticated NOTIFY from the peer, or
					from an overlay hop about a packet to it (overlay_notify.c) */
	uint64_t bex_count;	     /* completed base exchanges with this peer */
	void *dp;		     /* the data plane backend's per-association state */
	/* NAT traversal (nat.c) */
	uint16_t nat_mode;  /* negotiated HIP_NAT_MODE_*, 0 = none */
	uint32_t ta_ms;	    /* negotiated ICE pacing */
	struct nat_ha *nat; /* remote candidates and the ICE agent, or NULL */

	/* RFC 5770 4.5: the exchange came through a HIP relay (peer_addr is the
	 * relay); the peer's own transport address as the relay saw it (the
	 * I2's RELAY_FROM), for ICE. Control packets keep going through the
	 * relay until a direct path exists (4.10). */
	bool via_relay;
	struct sockaddr_storage relay_peer_addr;

	/* RFC 6079 5.3: the exchange runs through the overlay (no locator for the
	 * peer); control packets go there until ICE finds a path (overlay.c) */
	bool overlay;
};

struct hip_map {
	struct hip_map *next;
	struct in6_addr hit;
	struct sockaddr_storage locs[HIP_MAP_MAX_LOCS];
	size_t nlocs;
};

/* A peer's LSI: local scope, from 1.0.0.0/8, kept for the daemon's lifetime so
 * that IPv4 applications see a stable address (RFC 6079 section 4.2). */
struct hip_lsi {
	struct hip_lsi *next;
	struct in6_addr hit;
	struct in_addr lsi;
};

#define HADB_LSI_LOCAL 0x01000001u /* 1.0.0.1: our own LSI on hit0 */

struct hadb {
	struct hip_ha *has;
	struct hip_map *maps;
	struct hip_lsi *lsis;
	uint32_t next_lsi; /* host part of the next LSI to hand out */
	size_t count;
};

void hadb_init(struct hadb *db);
/* Frees every association (closing their timers through close_cb) and map. */
void hadb_clear(struct hadb *db);
struct hip_ha *hadb_find(struct hadb *db, const struct in6_addr *local,
			 const struct in6_addr *peer);
/* Any association with this peer HIT (whatever local HIT). */
struct hip_ha *hadb_find_peer(struct hadb *db, const struct in6_addr *peer);
/* The association whose inbound ESP SA has this SPI. */
struct hip_ha *hadb_find_spi(struct hadb *db, uint32_t spi);
/* Frees the association's ESP SAs (no-op without). */
void hadb_drop_esp(struct hip_ha *ha);
/* Frees one SA (NULL is fine), wiping its memory. */
void hadb_free_sa(struct esp_sa *sa);
/* Creates a new association in state UNASSOCIATED, with its timer initialised on loop. */
int hadb_add(struct hadb *db, uv_loop_t *loop, const struct in6_addr *local,
	     const struct in6_addr *peer, struct hip_ha **out);
/* Answers the waiting "trigger --wait" client, if any (steals reply). */
void hadb_answer_waiter(struct hip_ha *ha, json_t *reply);
/* Removes and frees (timer close is asynchronous; the memory goes with it). */
void hadb_del(struct hadb *db, struct hip_ha *ha);
/* Drops session state (DH, keys, peer identity) but keeps the entry. */
void hadb_reset_session(struct hip_ha *ha);

/* The peer's LSI, allocated on first use (0.0.0.0 only if memory runs out). */
struct in_addr hadb_lsi_of(struct hadb *db, const struct in6_addr *hit);
/* The HIT behind a peer LSI: 0, or -ENOENT. */
int hadb_hit_of_lsi(const struct hadb *db, struct in_addr lsi, struct in6_addr *hit);

int hadb_map_add(struct hadb *db, const struct in6_addr *hit, const struct sockaddr *loc);
/* loc NULL removes every locator of hit; -ENOENT if there was nothing. */
int hadb_map_del(struct hadb *db, const struct in6_addr *hit, const struct sockaddr *loc);
const struct hip_map *hadb_map_find(const struct hadb *db, const struct in6_addr *hit);

#endif
