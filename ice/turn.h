/* TURN client over UDP (RFC 8656): one allocation on one server through one
 * local ice_sock, with permissions, channels, and their refreshes. Not a relay
 * server, and not ICE (the agent decides which peers to permit). */
#ifndef HIPSIP_ICE_TURN_H
#define HIPSIP_ICE_TURN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ice/sock.h"

struct turn_client;

enum turn_state {
	TURN_IDLE,
	TURN_ALLOCATING,
	TURN_ALLOCATED,
	TURN_FAILED,
	TURN_CLOSED,
};

struct turn_callbacks {
	/* Allocation result: err 0 with the relayed and the server-reflexive
	 * (XOR-MAPPED-ADDRESS) addresses; or a negative errno with a reason
	 * ("401 Unauthorized: ..."), also when a later refresh fails. */
	void (*on_allocated)(void *arg, int err, const struct sockaddr *relayed,
			     const struct sockaddr *mapped, const char *reason);
	/* Data from a peer through the relay (Data indication or ChannelData). */
	void (*on_data)(void *arg, const struct sockaddr *peer, const uint8_t *data, size_t len);
};

struct turn_config {
	struct sockaddr_storage server;
	const char *user, *pass; /* long-term credentials (RFC 8489 9.2) */
	unsigned lifetime_s;	 /* requested allocation lifetime; 0 = server default (600) */
	const char *software;	 /* SOFTWARE attribute or NULL */
};

/* Creates the client; nothing is sent before turn_client_allocate. 0, -ENOMEM, -EINVAL. */
int turn_client_new(uv_loop_t *loop, const struct ice_sock *sock, const struct turn_config *cfg,
		    const struct turn_callbacks *cb, void *arg, struct turn_client **out);
/* Allocate with the 401/NONCE exchange (and 438 stale nonce retry). */
int turn_client_allocate(struct turn_client *c);
/* CreatePermission for the peer's IP, refreshed every 4 minutes while the
 * client lives (permission lifetime 300 s, RFC 8656 9). Idempotent. */
int turn_client_permit(struct turn_client *c, const struct sockaddr *peer);
/* ChannelBind (which also installs the permission), refreshed before its
 * 10-minute lifetime ends (RFC 8656 12). Idempotent; later sends use ChannelData. */
int turn_client_bind_channel(struct turn_client *c, const struct sockaddr *peer);
/* Sends to a permitted peer: ChannelData when a channel is bound, else a Send
 * indication. -EPERM without a permission, -ENOTCONN before ALLOCATED. */
int turn_client_send(struct turn_client *c, const struct sockaddr *peer, const void *data,
		     size_t len);
/* A datagram that came from the server's address. 1 if it was TURN traffic
 * (consumed; data may go to on_data), 0 if not ours. */
int turn_client_input(struct turn_client *c, const uint8_t *buf, size_t len,
		      const struct sockaddr *from);
enum turn_state turn_client_state(const struct turn_client *c);
const struct sockaddr *turn_client_relayed(const struct turn_client *c);
/* Refresh with LIFETIME 0 when allocated (best effort, not waited for), then frees. */
void turn_client_close(struct turn_client *c);

/* Refresh timings, shortened by tests: the fraction of a lifetime after which
 * allocations, permissions and channels are refreshed is fixed by the RFC
 * margins; tests may override the permission lifetime the client assumes. */
void turn_client_set_permission_lifetime(struct turn_client *c, unsigned seconds);
/* The same for the channel lifetime the client assumes (600 s, RFC 8656 12). */
void turn_client_set_channel_lifetime(struct turn_client *c, unsigned seconds);

#endif
