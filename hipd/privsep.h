/* hipd's privilege drop after start-up (user switch, only CAP_NET_ADMIN and CAP_NET_RAW kept)
 * and its notifications to systemd. Not a sandbox: the unit file adds that. */
#ifndef HIPSIP_PRIVSEP_H
#define HIPSIP_PRIVSEP_H

#include "hipd/hipd.h"

/* The user hipd switches to when started as root without --user, if it exists. */
#define PRIVSEP_DEFAULT_USER "hipd"

/* Call once everything that needs root is open (hipd_start). user is --user or NULL (the
 * default user when it exists, else stay root with a warning); "root" keeps root. As root:
 * hands state_dir and the control socket to the user where hipd created them, then switches
 * uid/gid, drops supplementary groups, keeps only CAP_NET_ADMIN and CAP_NET_RAW in the
 * permitted, effective and bounding sets, clears the ambient set and sets no_new_privs. Not
 * root: keeps at most those two capabilities (e.g. ambient ones from a unit's User=). */
int privsep_drop(const char *user, const char *state_dir, const char *socket_path);

/* sd_notify(3) READY=1 with a STATUS= line; no-op without $NOTIFY_SOCKET. */
void privsep_notify_ready(const struct hipd *h);
/* sd_notify(3) STOPPING=1. */
void privsep_notify_stopping(void);

#endif
