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

int verb_get_map(struct hipconf *hc, int argc, char **argv)
{
	static const struct column columns[] = {
	    {"hit", "HIT", -39}, {"lsi", "LSI", -15}, {"locators", "LOCATORS", 0}};
	json_t *reply;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-map"), &reply);
	if (rc || !reply)
		return rc;
	print_table(json_object_get(reply, "maps"), columns, sizeof(columns) / sizeof(columns[0]),
		    "no mappings");
	json_decref(reply);
	return CTL_EXIT_OK;
}
