/* hipd's control commands: the JSON requests of hipconf (maps, associations,
 * identities, trigger, close, status, debug, puzzle) answered from daemon state. */
#ifndef HIPSIP_HIPD_CTL_H
#define HIPSIP_HIPD_CTL_H

#include <jansson.h>

/* ctl_handler_fn for ctl_server: arg is the struct hipd; returns the reply. */
json_t *hipd_ctl_handle(json_t *req, void *arg);

#endif
