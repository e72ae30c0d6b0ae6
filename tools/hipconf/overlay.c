/* hipconf verbs for HIP BONE overlay routing: daemon set overlay (name and the
 * whole neighbour set) and daemon get overlay. Not the routing (hipd/overlay.c). */
#include <stdio.h>
#include <string.h>

#include "hipconf.h"

#define NAME_MAX_LEN 255

int verb_set_overlay(struct hipconf *hc, int argc, char **argv)
{
	char hit[ADDR_TEXT];
	json_t *nbrs;

	if (strcmp(argv[0], "none") == 0) {
		if (argc > 1) {
			usage_error("overlay none takes no neighbours (got \"%s\")", argv[1]);
			return CTL_EXIT_USAGE;
		}
		return hipconf_act(hc, json_pack("{s:s,s:n}", "cmd", "set-overlay", "overlay"));
	}
	if (!*argv[0] || strlen(argv[0]) > NAME_MAX_LEN) {
		usage_error("overlay name \"%s\" must be 1 to %d octets", argv[0], NAME_MAX_LEN);
		return CTL_EXIT_USAGE;
	}
	nbrs = json_array();
	for (int i = 1; i < argc; i++) {
		if (arg_hit("HIT", argv[i], hit) < 0) {
			json_decref(nbrs);
			return CTL_EXIT_USAGE;
		}
		json_array_append_new(nbrs, json_string(hit));
	}
	return hipconf_act(hc, json_pack("{s:s,s:s,s:o}", "cmd", "set-overlay", "overlay", argv[0],
					 "neighbours", nbrs));
}

static void print_neighbours(const json_t *nbrs)
{
	static const struct column columns[] = {
	    {"hit", "NEIGHBOUR", -39}, {"state", "STATE", -12}, {"usable", "USABLE", 0}};

	print_table(nbrs, columns, sizeof(columns) / sizeof(columns[0]), "no neighbours");
}

int verb_get_overlay(struct hipconf *hc, int argc, char **argv)
{
	static const char *const fields[] = {
	    "overlay",		"overlay_id",	       "node",
	    "initial_ttl",	"originated",	       "forwarded",
	    "delivered",	"dropped_total",       "notifies_sent",
	    "notifies_limited", "notifies_unroutable", "notifies_received"};
	static struct kv rows[24];
	const json_t *v;
	const char *key;
	json_t *reply;
	int n = 0;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-overlay"), &reply);
	if (rc || !reply)
		return rc;
	if (!json_is_true(json_object_get(reply, "enabled")))
		printf("overlay routing off (hipconf daemon set overlay NAME HIT...)\n");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		v = json_object_get(reply, fields[i]);
		if (v)
			n = kv_add(rows, n, fields[i], v);
	}
	json_object_foreach(json_object_get(reply, "dropped"), key, v)
	{
		if (json_integer_value(v) && n < 24)
			n = kv_add(rows, n, key, v);
	}
	print_kv_block(rows, n, "");
	print_neighbours(json_object_get(reply, "neighbours"));
	json_decref(reply);
	return CTL_EXIT_OK;
}
