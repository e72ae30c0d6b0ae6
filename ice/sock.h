/* How the ice library sends: one local transport address owned by the caller
 * (hipd's UDP port 10500, or a uv_udp_t in p2psipd). Not a socket wrapper. */
#ifndef HIPSIP_ICE_SOCK_H
#define HIPSIP_ICE_SOCK_H

#include <stddef.h>
#include <sys/socket.h>

/* The owner sends for the library through send() and feeds every datagram it
 * receives on this address back (stun_txns_input, turn_client_input,
 * ice_agent_input). send returns 0 or a negative errno. */
struct ice_sock {
	int (*send)(void *ctx, const struct sockaddr *dst, const void *buf, size_t len);
	void *ctx;
	struct sockaddr_storage local; /* the bound address and port */
};

/* Helpers shared by the library's files. */
socklen_t ice_sa_len(const struct sockaddr *sa);
int ice_sa_equal(const struct sockaddr *a, const struct sockaddr *b); /* address and port */
/* "192.0.2.1:3478" or "[2001:db8::1]:3478" into buf (at least 64 bytes). */
const char *ice_sa_str(const struct sockaddr *sa, char *buf, size_t len);
/* Parses "ADDR:PORT" / "[ADDR6]:PORT" (numeric only). 0 or -EINVAL. */
int ice_sa_parse(const char *s, struct sockaddr_storage *out);
/* Parses a numeric IPv4 or IPv6 address without a port (port 0). 0 or -EINVAL. */
int ice_sa_parse_ip(const char *s, struct sockaddr_storage *out);

#endif
