/* p2psipctl's one round trip to p2psipd: connect, send, check the reply's shape, map errors
 * to exit codes. Not the framing (common/ctl.c) nor the printing of replies (the verb files). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/ctl.h"
#include "p2psipctl.h"

static int connect_error(const struct ctl *c, int err)
{
	if (err == -ENOENT || err == -ECONNREFUSED)
		fprintf(stderr, "p2psipctl: p2psipd is not running (cannot connect to %s: %s)\n",
			c->socket, ctl_strerror(err));
	else
		fprintf(stderr, "p2psipctl: cannot connect to p2psipd at %s: %s\n", c->socket,
			ctl_strerror(err));
	return EXIT_NODAEMON;
}

static int proto_error(const char *what, const char *detail)
{
	fprintf(stderr, "p2psipctl: protocol error: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	return EXIT_PROTO;
}

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s)
		puts(s);
	free(s);
}

int ctl_call(struct ctl *c, json_t *req, json_t **reply)
{
	struct ctl_client *cl;
	json_t *r = NULL, *ok;
	int err, rc;

	*reply = NULL;
	if (!req) {
		fprintf(stderr, "p2psipctl: out of memory\n");
		return EXIT_PROTO;
	}
	err = ctl_client_open(c->socket, &cl);
	if (err) {
		json_decref(req);
		return connect_error(c, err);
	}
	err = ctl_client_request(cl, req, &r, c->timeout_ms);
	ctl_client_close(cl);
	json_decref(req);
	if (err == -ETIMEDOUT) {
		fprintf(stderr, "p2psipctl: p2psipd did not answer within %d ms\n", c->timeout_ms);
		return EXIT_PROTO;
	}
	if (err)
		return proto_error("no valid reply from p2psipd", ctl_strerror(err));
	ok = json_object_get(r, "ok");
	if (!json_is_boolean(ok)) {
		json_decref(r);
		return proto_error("reply has no boolean \"ok\"", NULL);
	}
	if (c->json) {
		print_json(r);
		rc = json_is_true(ok) ? EXIT_OK : EXIT_DAEMON;
		json_decref(r);
		return rc;
	}
	if (json_is_false(ok)) {
		const char *e = json_string_value(json_object_get(r, "error"));
		fprintf(stderr, "p2psipctl: p2psipd: %s\n", e ? e : "error (no reason given)");
		json_decref(r);
		return EXIT_DAEMON;
	}
	*reply = r;
	return EXIT_OK;
}

json_t *ctl_req_key(const struct ctl *c, const char *cmd, const char *key)
{
	return json_pack("{s:s,s:s}", "cmd", cmd, c->id ? "id" : "key", key);
}
