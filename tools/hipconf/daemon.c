/* hipconf verbs about hipd itself: get status, get dataplane, get/set debug, get/set/inc/dec
 * puzzle.
 * Not the daemon's configuration file; these change the running daemon only. */
#include <stdio.h>
#include <string.h>

#include "hipconf.h"

#define MAX_STATUS_ROWS 32

int verb_get_status(struct hipconf *hc, int argc, char **argv)
{
	static struct kv rows[MAX_STATUS_ROWS];
	char labels[MAX_STATUS_ROWS][64];
	const char *key;
	json_t *reply, *v;
	int n = 0;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-status"), &reply);
	if (rc || !reply)
		return rc;
	json_object_foreach(reply, key, v)
	{
		if (strcmp(key, "ok") == 0 || n >= MAX_STATUS_ROWS)
			continue;
		if (strcmp(key, "uptime_s") == 0 && json_is_integer(v)) {
			rows[n].key = "uptime";
			print_duration(rows[n].value, sizeof(rows[n].value), json_integer_value(v));
			n++;
			continue;
		}
		label_text(key, labels[n], sizeof(labels[n]));
		n = kv_add(rows, n, labels[n], v);
	}
	print_kv_block(rows, n, "");
	json_decref(reply);
	return CTL_EXIT_OK;
}

/* The data plane: which backend runs and why, then its counters. */
int verb_get_dataplane(struct hipconf *hc, int argc, char **argv)
{
	static struct kv rows[MAX_STATUS_ROWS];
	const char *key;
	json_t *reply, *v;
	int n = 0;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-dataplane"), &reply);
	if (rc || !reply)
		return rc;
	json_object_foreach(reply, key, v)
	{
		if (strcmp(key, "ok") != 0 && n < MAX_STATUS_ROWS)
			n = kv_add(rows, n, key, v);
	}
	print_kv_block(rows, n, "");
	json_decref(reply);
	return CTL_EXIT_OK;
}

/* Our levels, then HIPL's names for them (hipconf daemon debug all|medium|low|none). */
const char *const debug_levels[] = {"error",  "warning", "info", "debug", "all",
				    "medium", "low",	 "none", NULL};
static const char *const hipl_level[] = {"debug", "info", "warning", "error"};

int verb_set_debug(struct hipconf *hc, int argc, char **argv)
{
	(void)argc;
	int i = arg_one_of("LEVEL", argv[0], debug_levels);
	if (i < 0)
		return CTL_EXIT_USAGE;
	const char *level = i >= 4 ? hipl_level[i - 4] : argv[0];
	return hipconf_act(hc, json_pack("{s:s,s:s}", "cmd", "set-debug", "level", level));
}

int verb_get_debug(struct hipconf *hc, int argc, char **argv)
{
	json_t *reply;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-debug"), &reply);
	if (rc || !reply)
		return rc;
	printf("debug level  %s\n", json_string_value(json_object_get(reply, "level")) ?: "-");
	json_decref(reply);
	return CTL_EXIT_OK;
}

static int print_puzzle(struct hipconf *hc, const char *cmd)
{
	json_t *reply;

	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", cmd), &reply);
	if (rc || !reply)
		return rc;
	json_t *k = json_object_get(reply, "k");
	if (!json_is_integer(k)) {
		fprintf(stderr, "hipconf: protocol error: %s reply has no integer \"k\"\n", cmd);
		json_decref(reply);
		return CTL_EXIT_PROTO;
	}
	printf("puzzle difficulty K  %lld\n", (long long)json_integer_value(k));
	json_decref(reply);
	return CTL_EXIT_OK;
}

int verb_get_puzzle(struct hipconf *hc, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return print_puzzle(hc, "get-puzzle");
}

int verb_inc_puzzle(struct hipconf *hc, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return print_puzzle(hc, "inc-puzzle");
}

int verb_dec_puzzle(struct hipconf *hc, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return print_puzzle(hc, "dec-puzzle");
}

int verb_set_puzzle(struct hipconf *hc, int argc, char **argv)
{
	long k;

	(void)argc;
	if (arg_uint("K", argv[0], 0, 40, &k) < 0)
		return CTL_EXIT_USAGE;
	return hipconf_act(hc, json_pack("{s:s,s:I}", "cmd", "set-puzzle", "k", (json_int_t)k));
}
