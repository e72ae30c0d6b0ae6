/* hipconf daemon reload: hipd reads hipd.conf and the hosts file again; prints what changed.
 * Not the reading itself (hipd/options.c), and associations are not touched. */
#include <stdio.h>

#include "hipconf.h"

static void print_names(const char *label, const json_t *names, const char *tail)
{
	char buf[256];

	if (!json_array_size(names))
		return;
	value_text(names, buf, sizeof(buf));
	printf("%-15s %s%s\n", label, buf, tail);
}

int verb_reload(struct hipconf *hc, int argc, char **argv)
{
	json_t *reply;
	size_t i;
	json_t *e;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "reload"), &reply);
	if (rc || !reply)
		return rc;
	const json_t *applied = json_object_get(reply, "applied");
	const json_t *restart = json_object_get(reply, "needs_restart");
	json_t *errors = json_object_get(reply, "errors");
	printf("configuration reloaded\n");
	print_names("applied", applied, "");
	print_names("needs restart", restart, " (old values kept)");
	printf("%-15s %s\n", "log level",
	       json_string_value(json_object_get(reply, "log_level")) ?: "?");
	printf("%-15s %lld\n", "puzzle K",
	       (long long)json_integer_value(json_object_get(reply, "puzzle_k")));
	printf("%-15s %lld locators added, %lld removed\n", "hosts",
	       (long long)json_integer_value(json_object_get(reply, "hosts_added")),
	       (long long)json_integer_value(json_object_get(reply, "hosts_removed")));
	json_array_foreach(errors, i, e)
	{
		fprintf(stderr, "hipconf: reload: %s\n", json_string_value(e));
		rc = CTL_EXIT_DAEMON;
	}
	json_decref(reply);
	return rc;
}
