/* p2psipctl internals: the verb table row, the daemon call, printing helpers.
 * Not a library: p2psipd's protocol is JSON over common/ctl.h. */
#ifndef P2PSIPCTL_H
#define P2PSIPCTL_H

#include <jansson.h>
#include <stdbool.h>

#include "common/cli_verbs.h"
#include "common/ctl_cli.h" /* the exit codes, CTL_EXIT_* */

struct ctl {
	struct ctl_cli cli; /* the socket, --json, the timeout */
	bool id;	    /* KEY is an ID (hex or HIT form), not a string */
	long lifetime;	    /* --lifetime, 0: the daemon's default */
};

/* One verb: its word, synopsis, argument counts and help line (common/cli_verbs.h), handler. */
struct verb {
	struct cli_verb cli;
	int (*run)(struct ctl *c, int argc, char **argv);
};

void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* rpc.c: sends req (stealing it) and returns an exit code. On CTL_EXIT_OK *reply is p2psipd's
 * {"ok": true, ...} object, or NULL if --json already printed it. */
int ctl_call(struct ctl *c, json_t *req, json_t **reply);
/* ctl_call, then print(reply) unless --json printed it (print may be NULL): the exit code. */
int ctl_show(struct ctl *c, json_t *req, void (*print)(json_t *reply));
/* A request {"cmd": cmd} with the key argument ("key" or, with --id, "id"). */
json_t *ctl_req_key(const struct ctl *c, const char *cmd, const char *key);

/* Verb handlers, one file per group. */
int verb_status(struct ctl *c, int argc, char **argv);	      /* ring.c */
int verb_successors(struct ctl *c, int argc, char **argv);    /* ring.c */
int verb_fingers(struct ctl *c, int argc, char **argv);	      /* ring.c */
int verb_store(struct ctl *c, int argc, char **argv);	      /* records.c */
int verb_lookup(struct ctl *c, int argc, char **argv);	      /* records.c */
int verb_put(struct ctl *c, int argc, char **argv);	      /* records.c */
int verb_get(struct ctl *c, int argc, char **argv);	      /* records.c */
int verb_remove(struct ctl *c, int argc, char **argv);	      /* records.c */
int verb_servers(struct ctl *c, int argc, char **argv);	      /* overlay.c */
int verb_register(struct ctl *c, int argc, char **argv);      /* overlay.c */
int verb_resolve(struct ctl *c, int argc, char **argv);	      /* overlay.c */
int verb_leave(struct ctl *c, int argc, char **argv);	      /* overlay.c */
int verb_calls(struct ctl *c, int argc, char **argv);	      /* sip.c */
int verb_registrations(struct ctl *c, int argc, char **argv); /* sip.c */
int verb_flows(struct ctl *c, int argc, char **argv);	      /* sip.c */
int verb_flow_close(struct ctl *c, int argc, char **argv);    /* sip.c */

#endif
