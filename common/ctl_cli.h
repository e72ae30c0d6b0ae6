/* A command-line tool's one round trip to its daemon's control socket: connect, send, check the
 * reply's shape, print what went wrong, map it to an exit code. Not the framing (common/ctl.h). */
#ifndef HIPSIP_CTL_CLI_H
#define HIPSIP_CTL_CLI_H

#include <jansson.h>
#include <stdbool.h>

/* The exit codes hipconf and p2psipctl document. */
enum ctl_cli_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_DAEMON = 1,   /* the daemon answered with an error */
	CTL_EXIT_USAGE = 2,    /* bad command line (the tool's own checks) */
	CTL_EXIT_NODAEMON = 3, /* cannot connect to the daemon */
	CTL_EXIT_PROTO = 4,    /* no answer, or not what the protocol says */
};

struct ctl_cli {
	const char *prog;   /* "hipconf": the prefix of every message */
	const char *daemon; /* "hipd": the daemon's name in messages */
	const char *socket;
	int timeout_ms;
	bool json; /* print the whole reply as JSON (ok or not) */
};

/* Sends req (stealing it; NULL counts as out of memory) and returns an exit code, having
 * printed why when it is not CTL_EXIT_OK. On CTL_EXIT_OK *reply is the daemon's
 * {"ok": true, ...} object, or NULL if cli->json already printed it. */
int ctl_cli_call(const struct ctl_cli *cli, json_t *req, json_t **reply);

#endif
