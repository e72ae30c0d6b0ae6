/* p2psipctl's SIP verbs: the B2BUA's active calls, local registrations and (ice mode) SIP
 * flows.
 * Not the B2BUA (p2psipd/sip/b2bua.c). */
#include <stdio.h>

#include "p2psipctl.h"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static void print_calls(json_t *r)
{
	json_t *v;
	size_t i;

	printf("%-34s %-10s %-9s %-32s %8s %8s\n", "call-id", "state", "direction", "aor",
	       "to-peer", "to-cli");
	json_array_foreach(json_object_get(r, "calls"), i, v)
	    printf("%-34s %-10s %-9s %-32s %8lld %8lld\n", str(v, "call_id"), str(v, "state"),
		   str(v, "direction"), str(v, "aor"),
		   (long long)json_integer_value(json_object_get(v, "rtp_to_peer")),
		   (long long)json_integer_value(json_object_get(v, "rtp_to_client")));
}

static void print_registrations(json_t *r)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(r, "registrations"), i, v) printf(
	    "%s -> %s (%s, %s, %lld s left)\n", str(v, "aor"), str(v, "contact"), str(v, "source"),
	    str(v, "state"), (long long)json_integer_value(json_object_get(v, "expires_in")));
}

int verb_calls(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ctl_show(c, json_pack("{s:s}", "cmd", "calls"), print_calls);
}

int verb_registrations(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ctl_show(c, json_pack("{s:s}", "cmd", "registrations"), print_registrations);
}

static void print_flows(json_t *r)
{
	json_t *v;
	size_t i;

	printf("%-40s %10s %-9s %-9s %9s %9s\n", "peer", "flow", "role", "state", "age-ms",
	       "idle-ms");
	json_array_foreach(json_object_get(r, "flows"), i, v)
	    printf("%-40s %10lld %-9s %-9s %9lld %9lld\n", str(v, "peer"),
		   (long long)json_integer_value(json_object_get(v, "flow")), str(v, "role"),
		   str(v, "state"), (long long)json_integer_value(json_object_get(v, "age_ms")),
		   (long long)json_integer_value(json_object_get(v, "idle_ms")));
}

int verb_flows(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ctl_show(c, json_pack("{s:s}", "cmd", "flows"), print_flows);
}

int verb_flow_close(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	return ctl_show(c, json_pack("{s:s,s:s}", "cmd", "flow-close", "peer", argv[0]), NULL);
}
