/* hipconf verbs for HIT-to-locator mappings: daemon add map, del map, get map.
 * Not the mapping store itself, which lives in hipd. */
#include <stdio.h>

#include "hipconf.h"

int verb_add_map(struct hipconf *hc, int argc, char **argv)
{
	char hit[ADDR_TEXT], loc[ADDR_TEXT];

	(void)argc;
	if (arg_hit("HIT", argv[0], hit) < 0 || arg_locator("LOCATOR", argv[1], loc) < 0)
		return CTL_EXIT_USAGE;
	return hipconf_act(
	    hc, json_pack("{s:s,s:s,s:s}", "cmd", "add-map", "hit", hit, "locator", loc));
}

int verb_del_map(struct hipconf *hc, int argc, char **argv)
{
	char hit[ADDR_TEXT], loc[ADDR_TEXT];

	if (arg_hit("HIT", argv[0], hit) < 0)
		return CTL_EXIT_USAGE;
	if (argc > 1 && arg_locator("LOCATOR", argv[1], loc) < 0)
		return CTL_EXIT_USAGE;
	json_t *req = json_pack("{s:s,s:s}", "cmd", "del-map", "hit", hit);
	if (req && argc > 1)
		json_object_set_new(req, "locator", json_string(loc));
	return hipconf_act(hc, req);
}

static void print_maps(const json_t *maps)
{
	size_t i;
	json_t *m;

	if (json_array_size(maps) == 0) {
		printf("no mappings\n");
		return;
	}
	printf("%-39s  %-15s  %s\n", "HIT", "LSI", "LOCATORS");
	json_array_foreach(maps, i, m)
	{
		char hit[128], lsi[64], locs[1024];
		value_text(json_object_get(m, "hit"), hit, sizeof(hit));
		value_text(json_object_get(m, "lsi"), lsi, sizeof(lsi));
		value_text(json_object_get(m, "locators"), locs, sizeof(locs));
		printf("%-39s  %-15s  %s\n", hit, lsi, locs);
	}
}

int verb_get_map(struct hipconf *hc, int argc, char **argv)
{
	json_t *reply;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-map"), &reply);
	if (rc || !reply)
		return rc;
	print_maps(json_object_get(reply, "maps"));
	json_decref(reply);
	return CTL_EXIT_OK;
}
