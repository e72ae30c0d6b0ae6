/* hipconf verbs about NAT traversal and locators: get/set nat, set stun and set turn (the
 * running daemon gathers again), get locator. Not hipd's NAT code. */
#include <stdio.h>
#include <string.h>

#include "common/secret_file.h"
#include "hipconf.h"

int verb_get_nat(struct hipconf *hc, int argc, char **argv)
{
	static struct kv rows[16];
	json_t *reply, *v;
	const char *key;
	size_t i;
	int n = 0;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-nat"), &reply);
	if (rc || !reply)
		return rc;
	json_object_foreach(reply, key, v)
	{
		if (strcmp(key, "ok") != 0 && strcmp(key, "candidates") != 0 && n < 16)
			n = kv_add(rows, n, key, v);
	}
	print_kv_block(rows, n, "");
	json_array_foreach(json_object_get(reply, "candidates"), i, v)
	    printf("  %s\n", json_string_value(v));
	json_decref(reply);
	return CTL_EXIT_OK;
}

/* hipd's --nat words, then HIPL's (hipconf nat none|plain-udp|ice-udp). */
const char *const nat_modes[] = {"none", "udp", "ice", "plain-udp", "ice-udp", NULL};

int verb_set_nat(struct hipconf *hc, int argc, char **argv)
{
	static const char *const ours[] = {"none", "udp", "ice", "udp", "ice"};
	json_t *reply;

	(void)argc;
	int i = arg_one_of("MODE", argv[0], nat_modes);
	if (i < 0)
		return CTL_EXIT_USAGE;
	int rc =
	    hipconf_call(hc, json_pack("{s:s,s:s}", "cmd", "set-nat", "mode", ours[i]), &reply);
	if (rc || !reply)
		return rc;
	char modes[256];
	value_text(json_object_get(reply, "modes"), modes, sizeof(modes));
	printf("modes for new base exchanges  %s\n", modes);
	json_decref(reply);
	return CTL_EXIT_OK;
}

int verb_get_locator(struct hipconf *hc, int argc, char **argv)
{
	static const struct column columns[] = {
	    {"interface", "INTERFACE", -10}, {"address", "ADDRESS", -39}, {"scope", "SCOPE", 0}};
	json_t *reply, *v;
	size_t i;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-locator"), &reply);
	if (rc || !reply)
		return rc;
	print_table(json_object_get(reply, "addresses"), columns, 3, "no addresses");
	if (json_is_integer(json_object_get(reply, "udp_port")))
		printf("\nHIP over UDP on port %lld%s\n",
		       (long long)json_integer_value(json_object_get(reply, "udp_port")),
		       json_is_true(json_object_get(reply, "raw")) ? ", and raw HIP (protocol 139)"
								   : "");
	if (json_array_size(json_object_get(reply, "candidates")))
		printf("\nICE candidates\n");
	json_array_foreach(json_object_get(reply, "candidates"), i, v)
	    printf("  %s\n", json_string_value(v));
	json_decref(reply);
	return CTL_EXIT_OK;
}

static int server_ok(const char *what, const char *s)
{
	if (strcmp(s, "none") == 0 || strchr(s, ':'))
		return 0;
	usage_error("%s \"%s\" is not ADDRESS:PORT or none", what, s);
	return -1;
}

int verb_set_stun(struct hipconf *hc, int argc, char **argv)
{
	(void)argc;
	if (server_ok("SERVER", argv[0]))
		return CTL_EXIT_USAGE;
	return hipconf_act(hc, json_pack("{s:s,s:s}", "cmd", "set-stun", "server", argv[0]));
}

int verb_set_turn(struct hipconf *hc, int argc, char **argv)
{
	char pass[128];
	int rc;

	if (server_ok("SERVER", argv[0]))
		return CTL_EXIT_USAGE;
	if (strcmp(argv[0], "none") == 0)
		return hipconf_act(hc, json_pack("{s:s,s:s}", "cmd", "set-turn", "server", "none"));
	if (argc != 3) {
		usage_error("set turn ADDRESS:PORT needs USER and PASSFILE");
		return CTL_EXIT_USAGE;
	}
	/* from a file, never from the command line */
	if (secret_file_read("hipconf: PASSFILE", argv[2], pass, sizeof(pass)))
		return CTL_EXIT_USAGE;
	rc = hipconf_act(hc, json_pack("{s:s,s:s,s:s,s:s}", "cmd", "set-turn", "server", argv[0],
				       "user", argv[1], "pass", pass));
	memset(pass, 0, sizeof(pass));
	return rc;
}
