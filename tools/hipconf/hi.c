/* hipconf verb for local host identities: daemon get hi default|all, printed as a table.
 * Not key generation or loading; hipd owns the identities. */
#include <stdio.h>
#include <string.h>

#include "hipconf.h"

static const struct column columns[] = {{"hit", "HIT", -39},
					{"algorithm", "ALGORITHM", -9},
					{"kind", "KIND", -12},
					{"bits", "BITS", 5},
					{"default", "DEFAULT", 0}};
#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

static int print_identities(const json_t *list, int only_default)
{
	size_t i, shown = 0;
	json_t *hi;

	json_array_foreach(list, i, hi)
	{
		if (only_default && !json_is_true(json_object_get(hi, "default")))
			continue;
		if (shown++ == 0)
			print_table_header(columns, N_COLUMNS);
		print_table_row(hi, columns, N_COLUMNS);
	}
	if (shown > 0)
		return CTL_EXIT_OK;
	if (only_default) {
		fprintf(stderr, "hipconf: hipd has no default host identity\n");
		return CTL_EXIT_DAEMON;
	}
	printf("no host identities\n");
	return CTL_EXIT_OK;
}

int verb_get_hi(struct hipconf *hc, int argc, char **argv)
{
	static const char *const which[] = {"default", "all", NULL};
	json_t *reply;

	(void)argc;
	int w = arg_one_of("WHICH", argv[0], which);
	if (w < 0)
		return CTL_EXIT_USAGE;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-hi"), &reply);
	if (rc || !reply)
		return rc;
	rc = print_identities(json_object_get(reply, "identities"), w == 0);
	json_decref(reply);
	return rc;
}
