/* p2psipctl verbs on overlay services: STUN/TURN servers, SIP registration records, leave.
 * Argument checks and printing; the work is p2psipd's. */
#include <stdio.h>
#include <string.h>

#include "p2psipctl.h"

#define AOR_MAX 255

static int check_aor(const char *aor)
{
	if (strlen(aor) == 0 || strlen(aor) > AOR_MAX) {
		usage_error("AOR \"%s\" must be 1..%d bytes", aor, AOR_MAX);
		return -1;
	}
	if (strncmp(aor, "sip:", 4) != 0 && strncmp(aor, "sips:", 5) != 0) {
		usage_error("AOR \"%s\" is not a sip: or sips: URI", aor);
		return -1;
	}
	return 0;
}

static void print_servers(json_t *r)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(r, "servers"), i, v)
	{
		const char *ip = json_string_value(json_object_get(v, "ip"));
		printf("%s %s%s%s:%lld\n", json_string_value(json_object_get(v, "kind")),
		       strchr(ip, ':') ? "[" : "", ip, strchr(ip, ':') ? "]" : "",
		       (long long)json_integer_value(json_object_get(v, "port")));
	}
}

int verb_servers(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ctl_show(c, json_pack("{s:s}", "cmd", "servers"), print_servers);
}

int verb_register(struct ctl *c, int argc, char **argv)
{
	json_t *req, *r;
	int rc;

	(void)argc;
	if (check_aor(argv[0]))
		return CTL_EXIT_USAGE;
	req = json_pack("{s:s,s:s}", "cmd", "register", "aor", argv[0]);
	if (c->lifetime)
		json_object_set_new(req, "lifetime", json_integer(c->lifetime));
	rc = ctl_call(c, req, &r);
	if (rc || !r)
		return rc;
	printf("registered %s at %s\n", argv[0], json_string_value(json_object_get(r, "node")));
	json_decref(r);
	return 0;
}

int verb_resolve(struct ctl *c, int argc, char **argv)
{
	json_t *r, *v;
	size_t i;
	int rc;

	(void)argc;
	if (check_aor(argv[0]))
		return CTL_EXIT_USAGE;
	rc = ctl_call(c, json_pack("{s:s,s:s}", "cmd", "resolve", "aor", argv[0]), &r);
	if (rc || !r)
		return rc;
	json_array_foreach(json_object_get(r, "hits"), i, v)
	    printf("%s -> %s\n", argv[0], json_string_value(v));
	json_decref(r);
	return 0;
}

int verb_leave(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ctl_show(c, json_pack("{s:s}", "cmd", "leave"), NULL);
}
