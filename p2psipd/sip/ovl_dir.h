/* The B2BUA's directory on the running overlay node: signed AOR records (store/aor.h) put, got
 * and removed with the User-Info Cont-Type, and a peer's SIP address from its HIT.
 * Not the B2BUA (b2bua.h) and not the overlay (overlay.h). */
#ifndef HIPSIP_SIP_OVL_DIR_H
#define HIPSIP_SIP_OVL_DIR_H

#include "common/hostid.h"
#include "p2psipd/overlay/overlay.h"
#include "p2psipd/sip/b2bua.h"

struct ovl_dir {
	struct ovl_node *node;
	const struct hostid *id; /* signs our records */
	enum b2bua_mode mode;
	uint16_t peer_port; /* the other p2psipd's SIP peer port (the same everywhere) */
};

/* Fills out with functions that use d (which must outlive the B2BUA). */
void ovl_dir_ops(struct ovl_dir *d, struct b2bua_dir *out);

#endif
