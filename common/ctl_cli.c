/* A command-line tool's one round trip to its daemon (hipconf -> hipd, p2psipctl -> p2psipd):
 * errors printed and mapped to exit codes. Not the framing or the socket (common/ctl.c). */
#include "common/ctl_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/ctl.h"

static int connect_error(const struct ctl_cli *cli, int err)
{
	if (err == -ENOENT || err == -ECONNREFUSED)
		fprintf(stderr, "%s: %s is not running (cannot connect to %s: %s)\n", cli->prog,
			cli->daemon, cli->socket, ctl_strerror(err));
	else
		fprintf(stderr, "%s: cannot connect to %s at %s: %s\n", cli->prog, cli->daemon,
			cli->socket, ctl_strerror(err));
	return CTL_EXIT_NODAEMON;
}

/* Connect, send, wait: *r is the reply object on CTL_EXIT_OK. */
static int request(const struct ctl_cli *cli, json_t *req, json_t **r)
{
	struct ctl_client *c;
	int err = ctl_client_open(cli->socket, &c);

	if (err)
		return connect_error(cli, err);
	err = ctl_client_request(c, req, r, cli->timeout_ms);
	ctl_client_close(c);
	if (err == -ETIMEDOUT) {
		fprintf(stderr, "%s: %s did not answer within %d ms\n", cli->prog, cli->daemon,
			cli->timeout_ms);
		return CTL_EXIT_PROTO;
	}
	if (err) {
		fprintf(stderr, "%s: protocol error: no valid reply from %s: %s\n", cli->prog,
			cli->daemon, ctl_strerror(err));
		return CTL_EXIT_PROTO;
	}
	return CTL_EXIT_OK;
}

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s)
		puts(s);
	free(s);
}

/* The reply's shape: {"ok": BOOL, "error": STRING when false}. Steals r; on CTL_EXIT_OK hands
 * it back in *reply (NULL when printed as JSON). */
static int reply_check(const struct ctl_cli *cli, json_t *r, json_t **reply)
{
	json_t *ok = json_object_get(r, "ok");
	int rc;

	*reply = NULL;
	if (!json_is_boolean(ok)) {
		json_decref(r);
		fprintf(stderr, "%s: protocol error: reply has no boolean \"ok\"\n", cli->prog);
		return CTL_EXIT_PROTO;
	}
	if (cli->json) {
		print_json(r);
		rc = json_is_true(ok) ? CTL_EXIT_OK : CTL_EXIT_DAEMON;
		json_decref(r);
		return rc;
	}
	if (json_is_false(ok)) {
		const char *e = json_string_value(json_object_get(r, "error"));
		fprintf(stderr, "%s: %s: %s\n", cli->prog, cli->daemon,
			e ? e : "error (no reason given)");
		json_decref(r);
		return CTL_EXIT_DAEMON;
	}
	*reply = r;
	return CTL_EXIT_OK;
}

int ctl_cli_call(const struct ctl_cli *cli, json_t *req, json_t **reply)
{
	json_t *r = NULL;
	int rc;

	*reply = NULL;
	if (!req) {
		fprintf(stderr, "%s: out of memory\n", cli->prog);
		return CTL_EXIT_PROTO;
	}
	rc = request(cli, req, &r);
	json_decref(req);
	if (rc)
		return rc;
	return reply_check(cli, r, reply);
}
