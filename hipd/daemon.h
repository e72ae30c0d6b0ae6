/* Daemon life cycle: identities on disk, sockets, R1 cache, control socket,
 * signals; start and orderly stop on one libuv loop. */
#ifndef HIPSIP_DAEMON_H
#define HIPSIP_DAEMON_H

#include "hipd/hipd.h"

int hipd_start(struct hipd *h, uv_loop_t *loop);
/* Begins an orderly stop: closes handles; the loop then returns. */
void hipd_stop(struct hipd *h);
/* Frees what is left after the loop has returned. */
void hipd_free(struct hipd *h);

/* Loads identity kind from state_dir, generating and saving it on first start. */
int hipd_load_identity(const char *state_dir, enum hostid_kind kind, int rsa_bits,
		       struct hostid **out);

#endif
