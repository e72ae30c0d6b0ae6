/* p2psipd's requests to hipd's control socket (common/ctl.h framing): fire-and-forget ones on
 * the libuv loop, and a blocking one with a short timeout for start-up. Not a general client. */
#ifndef HIPSIP_HIPD_CLIENT_H
#define HIPSIP_HIPD_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#define HIPD_CLIENT_TIMEOUT_MS 2000 /* a request hipd has not answered by then is dropped */

/* Sends req (the reference is taken) on a connection of its own without blocking the loop; a
 * failure or an error reply is logged with `what` (as a warning, or a debug line when quiet),
 * nothing else. 0 or a negative errno. */
int hipd_client_send(uv_loop_t *loop, const char *path, json_t *req, const char *what, bool quiet);

/* The same with the answer: cb gets the reply object (borrowed; NULL when hipd did not answer
 * in time or the connection failed) once, on the loop. */
typedef void (*hipd_reply_fn)(void *arg, json_t *reply);
int hipd_client_ask(uv_loop_t *loop, const char *path, json_t *req, const char *what,
		    hipd_reply_fn cb, void *arg);

/* Blocks for at most HIPD_CLIENT_TIMEOUT_MS: for start-up and exit, when the loop has nothing
 * else to do. req is not taken. 0 and *reply (the caller's reference) when hipd answered
 * {"ok": true}; -EPROTO and *reply for an error reply; else a negative errno, *reply NULL. */
int hipd_client_call(const char *path, json_t *req, json_t **reply);

#endif
