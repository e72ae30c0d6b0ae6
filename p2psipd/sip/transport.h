/* The SIP listener for local clients (RFC 3261 18): UDP and TCP on one address and port on
 * libuv, TCP framed by Content-Length (18.3), CRLF keep-alives (RFC 5626 3.5.1), limits.
 * Not a parser (msg.h) and not transactions (txn.h); no outgoing TCP connections. */
#ifndef HIPSIP_SIP_TRANSPORT_H
#define HIPSIP_SIP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

enum sip_tp {
	SIP_TP_UDP = 1,
	SIP_TP_TCP = 2,
};

/* Where a message came from, and where an answer goes. */
struct sip_src {
	enum sip_tp proto;
	struct sockaddr_storage addr; /* the peer's address (UDP: where to send) */
	uint64_t conn;		      /* TCP: the connection (ids are never reused); UDP: 0 */
};

/* One message: a UDP datagram, or one Content-Length-framed message from a TCP stream
 * (RFC 3261 18.3). Bytes valid during the call only; not yet parsed. */
typedef void (*sip_transport_msg_cb)(void *arg, const struct sip_src *src, const uint8_t *msg,
				     size_t len);
/* A TCP connection is gone (closed by the peer, an error, a limit or close_conn). */
typedef void (*sip_transport_conn_cb)(void *arg, uint64_t conn);

struct sip_transport_config {
	const char *addr;   /* IPv4 or IPv6 literal; NULL: "127.0.0.1" */
	uint16_t port;	    /* 5060; 0: a free port, the same for UDP and TCP (tests) */
	size_t max_msg;	    /* largest message, either transport; 0: 65536 */
	unsigned max_conns; /* TCP connections at once; more are closed at once; 0: 64 */
};

#define SIP_TRANSPORT_PORT	5060
#define SIP_TRANSPORT_MAX_MSG	65536
#define SIP_TRANSPORT_MAX_CONNS 64

struct sip_conn;

struct sip_transport {
	uv_loop_t *loop;
	uv_udp_t udp;
	uv_tcp_t tcp;
	struct sip_transport_config cfg;
	uint16_t port;
	sip_transport_msg_cb on_msg;
	sip_transport_conn_cb on_conn_closed; /* may be NULL */
	void *arg;
	struct sip_conn *conns;
	unsigned n_conns;
	uint64_t next_conn;
	uint8_t *udp_buf;
	int closing;
	unsigned open_handles;
	void (*on_closed)(struct sip_transport *t);
	struct {
		uint64_t rx, tx;	 /* messages */
		uint64_t rx_dropped;	 /* datagrams too large or not SIP, framing errors */
		uint64_t keepalives;	 /* CRLF pings answered and bare CRLFs skipped */
		uint64_t conns, refused; /* TCP connections accepted, closed for the limit */
	} stats;
};

/* Binds UDP and TCP on cfg (NULL: defaults) and starts receiving; on_msg gets every message,
 * on_conn_closed (may be NULL) every TCP connection that ends. 0 or a negative errno (the
 * transport is then not open). */
int sip_transport_open(uv_loop_t *loop, struct sip_transport *t,
		       const struct sip_transport_config *cfg, sip_transport_msg_cb on_msg,
		       sip_transport_conn_cb on_conn_closed, void *arg);
/* The bound port (useful after port 0). */
uint16_t sip_transport_port(const struct sip_transport *t);

/* Sends one message to dst: UDP to dst->addr, TCP on connection dst->conn (-ENOTCONN when it
 * is gone). Bytes are copied. 0 or a negative errno (-EMSGSIZE beyond max_msg). */
int sip_transport_send(struct sip_transport *t, const struct sip_src *dst, const uint8_t *buf,
		       size_t len);
/* Closes one TCP connection (on_conn_closed follows). -ENOENT when unknown. */
int sip_transport_close_conn(struct sip_transport *t, uint64_t conn);

/* Stops, closes every socket; no callbacks after this call but on_closed (may be NULL), which
 * runs once libuv let go of t. */
void sip_transport_close(struct sip_transport *t, void (*on_closed)(struct sip_transport *t));

/* "udp:127.0.0.1:5060" / "tcp#3:[::1]:40000" for logs. */
const char *sip_src_text(const struct sip_src *src, char *buf, size_t cap);

#endif
