/* The daemons' control-socket server on libuv (hipd, p2psipd): accepts clients, decodes frames,
 * calls one handler. Not the commands themselves (the daemon supplies the handler) and not the
 * framing (common/ctl.h).
 */
#ifndef HIPSIP_CTL_SERVER_H
#define HIPSIP_CTL_SERVER_H

#include <jansson.h>
#include <uv.h>

#include "common/ctl.h"

/* Called with a well-formed request object that has a string "cmd"; returns a
 * new reference, the reply ({"ok": true, ...} or {"ok": false, "error": ...}).
 * NULL is answered with {"ok": false, "error": "internal error"}. */
typedef json_t *(*ctl_handler_fn)(json_t *req, void *arg);

struct ctl_server;

/* Creates the parent directory (0755) if missing, removes a stale socket at
 * path (but fails with -EADDRINUSE if a daemon answers there, and -EEXIST if
 * path is not a socket), binds, sets mode 0660 and listens. */
int ctl_server_start(uv_loop_t *loop, const char *path, ctl_handler_fn fn, void *arg,
		     struct ctl_server **out);
/* Closes every client and the listener and unlinks the socket; the memory is
 * released by the loop's close callbacks. */
void ctl_server_close(struct ctl_server *s);
/* Clients connected now. */
unsigned ctl_server_clients(const struct ctl_server *s);

/* Deferred replies, for commands that finish later (hipconf daemon trigger --wait).
 * Inside a handler, ctl_server_defer() takes the request's reply slot; the handler
 * then returns NULL and nothing is sent yet. The client's later requests wait
 * (replies stay in order) until ctl_deferred_reply() sends the reply, which
 * steals it and frees d. If the client has gone meanwhile, the reply is dropped. */
struct ctl_deferred;
struct ctl_deferred *ctl_server_defer(struct ctl_server *s);
void ctl_deferred_reply(struct ctl_deferred *d, json_t *reply);

/* A table of commands for a handler that dispatches on "cmd"; ends with {NULL}. */
struct ctl_command {
	const char *name;
	ctl_handler_fn fn;
};

/* Calls the row whose name is req's "cmd"; otherwise replies
 * {"ok": false, "error": "unknown command \"X\""}. */
json_t *ctl_dispatch(const struct ctl_command *table, json_t *req, void *arg);

#endif
