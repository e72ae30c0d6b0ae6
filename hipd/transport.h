/* HIP control-packet transports: raw IP protocol 139 (IPv4, IPv6) and UDP port
 * 10500 with the RFC 5770 zero marker. Moves bytes; does not parse HIP. */
#ifndef HIPSIP_TRANSPORT_H
#define HIPSIP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "hipd/hadb.h"

struct hip_rx {
	const uint8_t *pkt; /* the HIP packet (IP header / zero marker removed) */
	size_t len;
	struct sockaddr_storage src; /* with port for UDP */
	struct sockaddr_storage dst;
	enum hip_transport transport;
};

typedef void (*hip_rx_fn)(void *arg, const struct hip_rx *rx);
/* ESP on the HIP UDP port (RFC 5770 5.1: no zero marker): the whole datagram. */
typedef void (*esp_rx_fn)(void *arg, const uint8_t *pkt, size_t len, const struct sockaddr *src);

/* Sees every UDP datagram without the zero marker before the ESP handler:
 * returns 1 when it took it (STUN, TURN), 0 to let ESP handling go on. */
typedef int (*udp_filter_fn)(void *arg, const uint8_t *pkt, size_t len, const struct sockaddr *src,
			     const struct sockaddr *dst);

struct hip_transport_set;

struct transport_opts {
	bool raw;
	bool udp;
	uint16_t udp_port;
};

int transport_open(uv_loop_t *loop, const struct transport_opts *opts, hip_rx_fn fn, void *arg,
		   struct hip_transport_set **out);
/* Where ESP datagrams on the HIP UDP port go; without one they are dropped. */
void transport_set_esp_rx(struct hip_transport_set *t, esp_rx_fn fn, void *arg);
void transport_set_udp_filter(struct hip_transport_set *t, udp_filter_fn fn, void *arg);
/* A datagram that reached us another way (through a TURN relay) from src to
 * dst, handled as if the HIP UDP socket had received it: HIP behind the zero
 * marker, else ESP. */
void transport_deliver(struct hip_transport_set *t, const uint8_t *pkt, size_t len,
		       const struct sockaddr *src, const struct sockaddr *dst);
/* Lets the kernel take ESP in UDP on the HIP UDP sockets (UDP_ENCAP_ESPINUDP,
 * RFC 3948): datagrams with the zero marker still reach hipd. 0 or -errno. */
int transport_kernel_esp_in_udp(struct hip_transport_set *t);
/* Closes the sockets; the memory is released once the loop has run their close. */
void transport_close(struct hip_transport_set *t);
/* Sends pkt (checksum already set) from src (address only; NULL lets the kernel
 * choose) to dst; for UDP dst carries the port (0 means the HIP port). */
int transport_send(struct hip_transport_set *t, enum hip_transport tr, const struct sockaddr *src,
		   const struct sockaddr *dst, const uint8_t *pkt, size_t len);
/* One ESP datagram for transport_send_esp_batch. */
#define ESP_TX_MAX 64
struct esp_tx {
	const struct sockaddr_storage *src; /* our locator, or NULL */
	const struct sockaddr_storage *dst; /* the peer's; port 0 = the HIP port */
	const uint8_t *pkt;
	size_t len;
};

/* Sends n ESP datagrams in UDP (no marker) with as few sendmmsg calls as the
 * address families allow. 0, or the last -errno with *failed datagrams lost. */
int transport_send_esp_batch(struct hip_transport_set *t, const struct esp_tx *msgs, size_t n,
			     size_t *failed);
/* The local address the kernel would use to reach dst. */
int transport_source_for(const struct sockaddr *dst, struct sockaddr_storage *src);
/* Human-readable list of open transports, e.g. "raw4 raw6 udp4:10500 udp6:10500". */
const char *transport_describe(const struct hip_transport_set *t);

#endif
