/* The SIP channel between p2psipd instances, plain, hip (and ice) modes: one UDP socket (default
 * port 5062) that sends to a peer p2psipd's address (plain) or to [HIT]:5062 through hit0 (hip:
 * hipd runs BEX and ESP); in ice mode it hands datagrams for peers to sip/peer_ice.h. Not ICE, not
 * SIP parsing and not name resolution (the B2BUA's). */
#ifndef HIPSIP_SIP_PEER_H
#define HIPSIP_SIP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define SIP_PEER_PORT	  5062
#define SIP_PEER_MAX_SEEN 256 /* peers remembered for the connect stamps */

/* One datagram from another p2psipd; bytes valid during the call, not parsed. */
typedef void (*sip_peer_recv_fn)(void *arg, const struct sockaddr *from, const uint8_t *buf,
				 size_t len);

struct peer_ice;

struct sip_peer {
	uv_udp_t udp;
	/* ice mode: datagrams to peers go over their ICE flows (sip/peer_ice.h); the socket
	 * only serves calls between two clients of ours */
	struct peer_ice *ice;
	sip_peer_recv_fn recv;
	void *arg;
	uint8_t *buf;
	struct sockaddr_storage local;
	/* peers we sent to (sip.connect.start once each) and heard from (sip.connect.done) */
	struct sockaddr_storage sent[SIP_PEER_MAX_SEEN], heard[SIP_PEER_MAX_SEEN];
	unsigned n_sent, n_heard;
	bool open;
	struct {
		uint64_t rx, tx, tx_errors, rx_dropped;
	} stats;
};

/* Binds addr (IPv4 or IPv6; an IPv6 wildcard is dual-stack) and starts receiving. 0 or a
 * negative errno. */
int sip_peer_open(uv_loop_t *loop, struct sip_peer *p, const struct sockaddr *addr,
		  sip_peer_recv_fn recv, void *arg);
/* The bound address (the port after a bind to port 0). */
void sip_peer_local(const struct sip_peer *p, struct sockaddr_storage *out);
/* Sends one datagram (copied) to dst; stamps sip.connect.start the first time dst is used.
 * ice mode (p->ice): to a peer's [HIT]:port over its ICE flow instead (peer_ice_send).
 * 0 or a negative errno (-EMSGSIZE beyond 65507 bytes). */
int sip_peer_send(struct sip_peer *p, const struct sockaddr *dst, const uint8_t *buf, size_t len);
/* Stops and closes the socket; p must stay valid until the loop ran once more. */
void sip_peer_close(struct sip_peer *p);

#endif
