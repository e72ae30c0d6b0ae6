/* p2psipd's daemon state and its control commands (the JSON API behind p2psipctl).
 * Not the socket server (common/ctl_server.h) nor the overlay (overlay/overlay.h). */
#ifndef HIPSIP_P2PSIPD_CTL_H
#define HIPSIP_P2PSIPD_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "common/ctl_server.h"
#include "p2psipd/overlay/overlay.h"
#include "p2psipd/store/aor.h"

#define P2PSIPD_CTL_DEFAULT "/run/p2psipd/p2psipd.sock"
#define P2PSIPD_CTL_ENV	    "P2PSIPD_SOCKET"
#define P2PSIPD_MAX_SRV	    4

struct p2psipd {
	uv_loop_t *loop;
	struct ovl_node *node;
	struct ctl_server *ctl;
	const struct hostid *id;
	uint64_t start_ns;
	/* STUN/TURN servers this node announces (--stun, --turn), published once joined */
	struct srvann srv[P2PSIPD_MAX_SRV];
	unsigned n_srv;
	bool srv_published;
	/* ice mode: TURN credentials for our agents, and the lookup of p2psip:stun-turn when no
	 * server was configured */
	char turn_user[128], turn_pass[256];
	bool srv_discovering;
	/* set by the "leave" command: the daemon stops once the leave is done */
	void (*stop)(struct p2psipd *d, int err);
};

/* The control socket's handler; arg is the struct p2psipd. */
json_t *p2psipd_ctl_handle(json_t *req, void *arg);

/* Publishes the --stun/--turn announcements (once the node has joined). 0 or -EAGAIN. */
int p2psipd_publish_servers(struct p2psipd *d);
/* ice mode: until the link has STUN/TURN servers, looks them up under p2psip:stun-turn (once
 * joined) and hands the first of each kind to the link. 0 once it has some, else -EAGAIN. */
int p2psipd_discover_servers(struct p2psipd *d);

#endif
