/* The link layer's inside: struct link and the per-mode operations table link.c dispatches to.
 * Not for the overlay, which uses link.h only. */
#ifndef HIPSIP_LINK_INT_H
#define HIPSIP_LINK_INT_H

#include "p2psipd/link/link.h"

struct link;

/* One connection mode. Every operation gets the struct link its open() filled in. */
struct link_ops {
	const char *name;
	int (*open)(struct link *l);
	void (*close)(struct link *l);
	int (*send)(struct link *l, const struct sockaddr *dst, const void *buf, size_t len);
	void (*local_cands)(const struct link *l, struct p2pp_peer_info *pi);
	int (*learn)(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
		     const struct sockaddr *from);
	int (*resolve)(struct link *l, const struct chord_id *peer, struct sockaddr_storage *out);
	int (*peer_of)(const struct link *l, const struct sockaddr *from, struct chord_id *out);
	int (*peer_cands)(const struct link *l, const struct chord_id *peer,
			  struct p2pp_peer_info *pi);
	void (*set_neighbours)(struct link *l, const struct chord_id *ids, unsigned n);
	/* ice and hip (NULL in plain mode: link.c answers for them) */
	bool (*ready)(const struct link *l, const struct chord_id *peer);
	size_t (*ready_peers)(const struct link *l, struct chord_id *ids, size_t cap);
	/* ice only */
	int (*offer)(const struct link *l, const struct chord_id *peer, struct p2pp_peer_info *pi,
		     struct p2pp_ice_cred *cred);
	int (*accept)(struct link *l, const struct chord_id *peer, const struct p2pp_peer_info *pi,
		      const struct p2pp_ice_cred *cred);
	int (*answered)(struct link *l, const struct chord_id *peer, int err,
			const struct p2pp_peer_info *pi, const struct p2pp_ice_cred *cred);
	void (*set_servers)(struct link *l, const struct sockaddr_storage *stun,
			    const struct sockaddr_storage *turn, const char *user,
			    const char *pass);
	bool (*has_servers)(const struct link *l);
	void (*await_servers)(struct link *l, unsigned ms);
	void (*peer_failed)(struct link *l, const struct chord_id *peer);
	size_t (*list)(const struct link *l, struct link_info *out, size_t cap);
};

struct link {
	const struct link_ops *ops;
	struct link_config cfg;
	struct sockaddr_storage local;
	void *impl; /* the mode's own state */
	/* the last link_set_servers, for other ICE users of the node (link_get_servers) */
	struct link_servers servers;
};

extern const struct link_ops link_plain_ops;
extern const struct link_ops link_hip_ops;
extern const struct link_ops link_ice_ops;

/* Socket address helpers shared by the modes. */
socklen_t link_sa_len(const struct sockaddr *sa);
int link_sa_eq(const struct sockaddr *a, const struct sockaddr *b);
/* p2pp_addr <-> sockaddr; -EINVAL for an unspecified or odd address. */
int link_sa_from_p2pp(const struct p2pp_addr *a, struct sockaddr_storage *out);
int link_sa_to_p2pp(const struct sockaddr *sa, struct p2pp_addr *out);

#endif
