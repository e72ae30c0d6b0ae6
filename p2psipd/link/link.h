/* p2psipd's link layer: how the overlay reaches a neighbour (peer ID -> where to send P2PP), one
 * interface with one implementation per connection mode. Not routing, not P2PP transactions. */
#ifndef HIPSIP_LINK_H
#define HIPSIP_LINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "ice/cand.h"
#include "p2psipd/chord/id.h"
#include "p2psipd/p2pp/p2pp_msg.h"

/* The connection modes (DESIGN.md 2):
 * - plain: P2PP over one UDP socket per node; a peer's address is learnt from its Peer-Info
 *   (the host candidate of Address-Info) or from the source of its datagrams.
 * - hip: one UDP socket on [::], peers addressed as [HIT]:port through hipd's hit0 (peer ID =
 *   HIT); the neighbour set (link_set_neighbours) is pushed to hipd for HIP BONE routing, and
 *   locators peers announce are handed to hipd (add-map). link_hip.c.
 * - ice (link_ice.c): each link is set up by a P2PP Connect through the overlay carrying ICE
 *   candidates, one ice/ agent and socket per link; link_resolve hands out a per-link address
 *   that link_send maps back to the link's agent, queueing until the agent has nominated a
 *   pair. The plain socket stays for the bootstrap link (peers whose datagrams reach it).
 * The overlay sees only this header: a new mode is a new struct link_ops in link.c. */
enum link_mode {
	LINK_PLAIN,
	LINK_HIP,
	LINK_ICE,
};

/* "plain", "hip", "ice": 0, or -EINVAL for another word. */
int link_mode_parse(const char *s, enum link_mode *out);
const char *link_mode_name(enum link_mode m);

/* A received P2PP datagram and where it came from (an address link_send takes back). */
typedef void (*link_recv_fn)(void *arg, const uint8_t *buf, size_t len,
			     const struct sockaddr *from);

/* hip mode: how to reach our hipd and what to tell it. */
struct link_hip_config {
	const char *hipd_socket;	 /* hipd's control socket */
	const char *overlay;		 /* the overlay name of set-overlay */
	struct in6_addr hit;		 /* ours: the node ID */
	struct sockaddr_storage locator; /* where our hipd is reachable without NAT traversal,
					    announced in our Peer-Info (ss_family 0: none) */
	bool has_boot;			 /* a bootstrap HIT with a locator for hipd */
	struct in6_addr boot_hit;
	struct sockaddr_storage boot_locator;
};

struct link_config {
	uv_loop_t *loop;
	enum link_mode mode;
	struct sockaddr_storage listen; /* plain: the UDP address to bind (port 0: any) */
	link_recv_fn recv;
	void *arg;
	size_t max_peers; /* addresses remembered (0: 1024) */
	struct link_hip_config hip;
	struct chord_id self; /* our node ID (ice: who initiates when both send Connect) */
	unsigned ice_ta_ms;   /* ice: the agents' check pacing (RFC 8445 14.2); 0: ice/'s default */
	/* ice: the overlay's side of a link's setup (see link_offer, link_accept). connect asks
	 * for a Connect to peer carrying link_offer's candidates (0 or a negative errno); answer
	 * says the answer to peer's Connect is ready (err 0: link_offer fills it). */
	int (*connect)(void *arg, const struct chord_id *peer);
	void (*answer)(void *arg, const struct chord_id *peer, int err);
};

struct link;

/* Opens the mode's sockets. -ENOSYS for a mode not implemented yet (ice); bind errors as
 * negative errnos. */
int link_open(const struct link_config *cfg, struct link **out);
/* Closes the sockets; memory goes with the loop's close callbacks. */
void link_close(struct link *l);
enum link_mode link_mode_of(const struct link *l);

/* Sends one datagram to an address that link_resolve gave or link_recv_fn reported (this is
 * the p2pp_sock of the node's transactions). 0 or a negative errno. */
int link_send(struct link *l, const struct sockaddr *dst, const void *buf, size_t len);

/* The bound address (after a bind to port 0, the port the kernel chose). */
int link_local_addr(const struct link *l, struct sockaddr_storage *out);
/* Fills pi's Address-Info with our own candidates (plain: one UDP host candidate). */
void link_local_cands(const struct link *l, struct p2pp_peer_info *pi);

/* Learns where a peer is: the UDP host candidate of its Peer-Info if it names a specific
 * address, else `from` (the datagram's source; NULL when the Peer-Info was relayed by others).
 * 0, -ENOENT (nothing to learn), -ENOMEM. */
int link_learn(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
	       const struct sockaddr *from);
/* Where P2PP for peer goes. 0 or -ENOENT (unknown; ice: no link yet). */
int link_resolve(struct link *l, const struct chord_id *peer, struct sockaddr_storage *out);
/* Which known peer an address belongs to. 0 or -ENOENT. */
int link_peer_of(const struct link *l, const struct sockaddr *from, struct chord_id *out);
/* A known peer's candidates for a table we send (Neighbor-Table). 0 or -ENOENT. */
int link_peer_cands(const struct link *l, const struct chord_id *peer, struct p2pp_peer_info *pi);
/* The overlay's neighbours now (predecessor, successors, fingers): plain keeps their addresses
 * from eviction; hip will push them to hipd. */
void link_set_neighbours(struct link *l, const struct chord_id *ids, unsigned n);

/* ---- ice mode's link setup (other modes: -EOPNOTSUPP, or every known peer is ready) ---- */

/* A peer P2PP can be sent to right now (plain: its address is known; ice: the bootstrap link
 * or a nominated ICE pair). link_resolve may still answer for a peer that is not ready: the
 * link queues until it is. */
bool link_ready(const struct link *l, const struct chord_id *peer);
/* The ready peers, at most cap; returns how many there are. */
size_t link_ready_peers(const struct link *l, struct chord_id *ids, size_t cap);
/* Our candidates and ICE credentials for the link to peer (Connect and its answer). */
int link_offer(const struct link *l, const struct chord_id *peer, struct p2pp_peer_info *pi,
	       struct p2pp_ice_cred *cred);
/* peer's Connect arrived: a controlled agent starts; answer() follows. -EBUSY when our own
 * Connect to peer wins the collision (the higher ID initiates). */
int link_accept(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
		const struct p2pp_ice_cred *cred);
/* The answer to our Connect (err 0 with pi and cred), or its failure (err < 0). */
int link_answered(struct link *l, const struct chord_id *peer, int err,
		  const struct p2pp_peer_info *pi, const struct p2pp_ice_cred *cred);
/* The overlay took peer for dead (no ACK within T2): ice marks its link suspect, so that
 * routing stops choosing it as a ready peer until the peer is heard from again. */
void link_peer_failed(struct link *l, const struct chord_id *peer);
/* STUN/TURN servers for the agents started from now on (family 0: none). */
void link_set_servers(struct link *l, const struct sockaddr_storage *stun,
		      const struct sockaddr_storage *turn, const char *user, const char *pass);
bool link_has_servers(const struct link *l);
/* The servers last set (family 0: none), for the node's other ICE agents (ice mode's SIP
 * flows): the same STUN/TURN servers as its links, configured or discovered. */
struct link_servers {
	struct sockaddr_storage stun, turn;
	char user[128], pass[128];
};
void link_get_servers(const struct link *l, struct link_servers *out);
/* ice: servers will be looked up; agents wait for them (link_set_servers) up to ms, since
 * candidates without srflx and relay rarely connect two NATed peers. ms 0: stop waiting (the
 * lookup found none). */
void link_await_servers(struct link *l, unsigned ms);

/* One link for status output. */
struct link_info {
	struct chord_id peer;
	const char *state; /* "plain", "gathering", "connecting", "checking", "up", "failed" */
	/* the selected pair: its type (relay if either end is relayed, else srflx/prflx if
	 * either is reflexive, else host), and the local and remote candidates' types */
	const char *pair, *local_type, *remote_type;
	struct sockaddr_storage addr; /* plain: the peer's address */
};
size_t link_list(const struct link *l, struct link_info *out, size_t cap);

/* ICE candidates in P2PP Address-Info (9.3.1), for ice links and application flows: the
 * host type both ways, and P2PP's 8-bit foundation as a hash of ours (RFC 8445 5.1.1.3 only
 * needs equal bases and servers to give equal foundations; a collision merely freezes pairs
 * together a little longer, 6.1.2.6). */
uint8_t link_p2pp_cand_type(enum ice_cand_type t);
enum ice_cand_type link_ice_cand_type(uint8_t p2pp_type);
uint8_t link_p2pp_foundation(const char *foundation);
/* A peer's candidate from P2PP into o: UDP, component 1, a priority; else -EINVAL. */
int link_cand_from_p2pp(const struct p2pp_cand *c, struct ice_cand *o);

/* Text of an address: "127.0.0.1:6084", "[::1]:6084". */
const char *link_addr_str(const struct sockaddr *sa, char *buf, size_t len);
/* "ADDR:PORT" or "[ADDR6]:PORT" into a socket address. 0 or -EINVAL. */
int link_addr_parse(const char *s, struct sockaddr_storage *out);
/* A hip-mode bootstrap spec: "HIT@LOCATOR" or "HIT@LOCATOR:PORT" (IPv6 locator with a port in
 * brackets: "HIT@[ADDR]:PORT"). The peer's P2PP address is [HIT]:PORT (default_port when
 * absent), LOCATOR (an IP address, no port: hipd uses its own) is where its hipd is. 0 or
 * -EINVAL (not an ORCHID HIT, not an address, port 0). */
int link_hip_boot_parse(const char *s, uint16_t default_port, struct sockaddr_storage *p2pp,
			struct in6_addr *hit, struct sockaddr_storage *locator);

#endif
