/* hipconf's one round trip to hipd: connect, send, check the reply's shape, map errors to exit
 * codes. Not the framing (common/ctl.c) and not the printing of replies (the verb files). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/ctl.h"
#include "hipconf.h"

static int connect_error(const struct hipconf *hc, int err)
{
	if (err == -ENOENT || err == -ECONNREFUSED)
		fprintf(stderr, "hipconf: hipd is not running (cannot connect to %s: %s)\n",
			hc->socket, ctl_strerror(err));
	else
		fprintf(stderr, "hipconf: cannot connect to hipd at %s: %s\n", hc->socket,
			ctl_strerror(err));
	return EXIT_NODAEMON;
}

static int proto_error(const char *what, const char *detail)
{
	fprintf(stderr, "hipconf: protocol error: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	return EXIT_PROTO;
}

static int request(struct hipconf *hc, json_t *req, json_t **reply)
{
	struct ctl_client *c;

	int err = ctl_client_open(hc->socket, &c);
	if (err)
		return connect_error(hc, err);
	err = ctl_client_request(c, req, reply, hc->timeout_ms);
	ctl_client_close(c);
	if (err == -ETIMEDOUT) {
		fprintf(stderr, "hipconf: hipd did not answer within %d ms\n", hc->timeout_ms);
		return EXIT_PROTO;
	}
	if (err)
		return proto_error("no valid reply from hipd", ctl_strerror(err));
	return EXIT_OK;
}

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s)
		puts(s);
	free(s);
}

int hipconf_call(struct hipconf *hc, json_t *req, json_t **reply)
{
	json_t *r = NULL;

	*reply = NULL;
	if (!req) {
		fprintf(stderr, "hipconf: out of memory\n");
		return EXIT_PROTO;
	}
	int rc = request(hc, req, &r);
	json_decref(req);
	if (rc)
		return rc;
	json_t *ok = json_object_get(r, "ok");
	if (!json_is_boolean(ok)) {
		json_decref(r);
		return proto_error("reply has no boolean \"ok\"", NULL);
	}
	if (hc->json) {
		print_json(r);
		rc = json_is_true(ok) ? EXIT_OK : EXIT_DAEMON;
		json_decref(r);
		return rc;
	}
	if (json_is_false(ok)) {
		const char *e = json_string_value(json_object_get(r, "error"));
		fprintf(stderr, "hipconf: hipd: %s\n", e ? e : "error (no reason given)");
		json_decref(r);
		return EXIT_DAEMON;
	}
	*reply = r;
	return EXIT_OK;
}

int hipconf_act(struct hipconf *hc, json_t *req)
{
	json_t *reply;

	int rc = hipconf_call(hc, req, &reply);
	json_decref(reply);
	return rc;
}
