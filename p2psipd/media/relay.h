/* One call's RTP and RTCP relay on libuv: a client side (two UDP sockets on 127.0.0.1
 * facing the local SIP client) and a peer side facing the other p2psipd: two UDP sockets
 * on [::] sending to [peer HIT]:ports (hip mode: hipd's hit0 makes that ESP), or an ice/
 * agent with components 1 (RTP) and 2 (RTCP) (ice mode, RFC 8445 with RFC 8839 SDP).
 * Not SIP or SDP: the B2BUA reads the addresses from the SDP (sip/sdp.h) and hands them in. */
#ifndef HIPSIP_MEDIA_RELAY_H
#define HIPSIP_MEDIA_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "ice/ice.h"

#define MEDIA_PORT_MIN 20000 /* default port range, both sides */
#define MEDIA_PORT_MAX 20999

enum media_mode {
	MEDIA_UDP, /* hip mode (or plain): UDP to the peer relay's address, a HIT in hip mode */
	MEDIA_ICE, /* ice mode: ICE between the two relays, then data on the selected pairs */
};

struct media_config {
	enum media_mode mode;
	/* Ports of both sides: RTP on an even port, RTCP on the next (RFC 3550 11); a pair
	 * in use is skipped. 0 and 0: MEDIA_PORT_MIN..MEDIA_PORT_MAX. */
	uint16_t port_min, port_max;
	const char *tag; /* "call" in the event stamps (e.g. the Call-ID); may be NULL */
	/* ice mode: the host address the agent's two sockets bind to (not a wildcard; the
	 * port comes from the range), the role, servers and timers as in struct ice_config. */
	struct sockaddr_storage ice_host;
	bool controlling;
	struct sockaddr_storage stun, turn;
	const char *turn_user, *turn_pass;
	unsigned ta_ms, keepalive_s, consent_s;
};

/* Counters. Each datagram is counted once: forwarded or dropped for one reason. */
struct media_stats {
	uint64_t to_peer_pkts, to_peer_bytes;		 /* client -> peer, RTP and RTCP */
	uint64_t to_client_pkts, to_client_bytes;	 /* peer -> client */
	uint64_t rtcp_to_peer_pkts, rtcp_to_client_pkts; /* of the above, RTCP */
	uint64_t drop_foreign; /* peer side: not from the peer (hip) or selected pair (ice) */
	uint64_t drop_client_foreign; /* client side: not from the latched client address */
	uint64_t drop_no_dest;	      /* nowhere to send yet: peer or client unknown, no pair */
	uint64_t drop_send;	      /* the send failed (e.g. a full socket buffer) */
	bool latched[2];	      /* client RTP / RTCP source taken from its first packet */
};

/* ice mode events for the B2BUA, always called from the loop (never from inside a
 * media_relay_* call). Either may be NULL. */
struct media_callbacks {
	/* Gathering ended: media_relay_ice_local gives what goes into the SDP. */
	void (*on_gathered)(void *arg);
	/* ICE_CONNECTED (media flows) or ICE_FAILED (reason says why). */
	void (*on_ice)(void *arg, enum ice_state s, const char *reason);
};

struct media_relay;

/* Opens the sockets (and in ice mode creates the agent and starts gathering). 0, or
 * -EINVAL (a range without an even/odd pair, ice mode without ice_host), -EADDRINUSE (every
 * pair of the range is taken), -ENOMEM, another negative errno from socket/bind/libuv. */
int media_relay_new(uv_loop_t *loop, const struct media_config *cfg,
		    const struct media_callbacks *cb, void *arg, struct media_relay **out);

/* Client side: 127.0.0.1:P and :P+1, for the SDP the client gets (sdp_audio_set). */
void media_relay_client_addr(const struct media_relay *r, struct sockaddr_storage *rtp,
			     struct sockaddr_storage *rtcp);
/* Peer side, hip mode: the local ports (P, P+1) that go into the SDP sent to the peer
 * with our HIT as the address. In ice mode the ports of the agent's host candidates. */
void media_relay_peer_ports(const struct media_relay *r, uint16_t *rtp, uint16_t *rtcp);

/* Where the client receives, from its SDP. Until the client's first datagram on our RTP
 * (RTCP) socket, that is where we send; then its source address instead (symmetric RTP,
 * RFC 4961 4): a client behind no NAT sends from where it receives, and if it does not,
 * its source is the better guess. A new SDP (re-INVITE) sets the addresses again and
 * latches anew. 0 or -EINVAL (not IPv4/IPv6, port 0). */
int media_relay_set_client(struct media_relay *r, const struct sockaddr *rtp,
			   const struct sockaddr *rtcp);

/* hip mode: where the peer relay receives (its HIT, or any address in plain use, and the
 * ports of its SDP). Datagrams on our peer sockets from any other source are dropped and
 * counted. 0, -EINVAL (bad address), -EOPNOTSUPP in ice mode. */
int media_relay_set_peer(struct media_relay *r, const struct sockaddr *rtp,
			 const struct sockaddr *rtcp);

/* ice mode: our credentials and candidates (once on_gathered ran) for sdp_ice_set. Returns
 * the number of candidates written to c (at most cap), or -EOPNOTSUPP in hip mode. */
int media_relay_ice_local(const struct media_relay *r, const char **ufrag, const char **pwd,
			  struct ice_cand *c, size_t cap);
/* ice mode: the peer's credentials and candidates (from sdp_ice_get); starts the checks.
 * 0, -EOPNOTSUPP in hip mode, or ice_agent_set_remote/ice_agent_start's errors. */
int media_relay_ice_remote(struct media_relay *r, const char *ufrag, const char *pwd,
			   const struct ice_cand *c, size_t n);
enum ice_state media_relay_ice_state(const struct media_relay *r);

void media_relay_stats(const struct media_relay *r, struct media_stats *out);

/* Closes the sockets and the agent; no callbacks after this returns. on_closed (may be
 * NULL) runs once libuv let go of everything, after which the memory is freed. */
void media_relay_close(struct media_relay *r, void (*on_closed)(void *arg), void *arg);

#endif
