/* hipconf verb for the HIP relay: daemon get relay (server registrations, our
 * own registration). Not the relay itself (hipd/relay.c); it prints what hipd says. */
#include <stdio.h>
#include <string.h>

#include "hipconf.h"

#define MAX_ROWS 16

/* One row per field of o in the order given, labels with spaces, durations for *_s. */
static int rows_of(const json_t *o, const char *const *fields, struct kv *rows, int n)
{
	for (const char *const *f = fields; *f && n < MAX_ROWS; f++) {
		const json_t *v = json_object_get(o, *f);
		if (!v)
			continue;
		rows[n].key = *f;
		if (strstr(*f, "_s") && json_is_integer(v))
			print_duration(rows[n].value, sizeof(rows[n].value), json_integer_value(v));
		else
			value_text(v, rows[n].value, sizeof(rows[n].value));
		n++;
	}
	return n;
}

/* Labels: "remaining_s" -> "remaining", "relay_hit" -> "relay hit". */
static void relabel(struct kv *rows, int n, char labels[][32])
{
	for (int i = 0; i < n; i++) {
		label_text(rows[i].key, labels[i], sizeof(labels[i]));
		size_t l = strlen(labels[i]);
		if (l > 2 && strcmp(labels[i] + l - 2, " s") == 0)
			labels[i][l - 2] = '\0';
		rows[i].key = labels[i];
	}
}

static void print_object(const char *title, const json_t *o, const char *const *fields,
			 const char *indent)
{
	static struct kv rows[MAX_ROWS];
	static char labels[MAX_ROWS][32];
	int n = rows_of(o, fields, rows, 0);

	relabel(rows, n, labels);
	printf("%s%s\n", indent, title);
	char deeper[16];
	snprintf(deeper, sizeof(deeper), "%s  ", indent);
	print_kv_block(rows, n, deeper);
}

static void print_server(const json_t *srv)
{
	static const char *const fields[] = {"enabled",	   "max_clients", "max_lifetime_s",
					     "relayed_in", "relayed_out", "dropped",
					     "keepalives", NULL};
	static const char *const client_fields[] = {"address",	  "remaining_s", "registered_for_s",
						    "relayed_in", "relayed_out", NULL};
	const json_t *clients = json_object_get(srv, "clients");
	const json_t *c;
	size_t i;

	print_object("relay server", srv, fields, "");
	if (!json_is_true(json_object_get(srv, "enabled")))
		return;
	if (json_array_size(clients) == 0)
		printf("  no registered clients\n");
	json_array_foreach(clients, i, c)
	{
		char title[128];
		snprintf(title, sizeof(title), "client %s",
			 json_string_value(json_object_get(c, "hit")) ?: "?");
		print_object(title, c, client_fields, "  ");
	}
}

int verb_get_relay(struct hipconf *hc, int argc, char **argv)
{
	static const char *const client_fields[] = {
	    "state", "relay",	     "relay_hit",  "remaining_s",   "lifetime_s", "reflexive",
	    "error", "failure_type", "keepalives", "registrations", "dropped",	  NULL};
	json_t *reply;

	(void)argc;
	(void)argv;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-relay"), &reply);
	if (rc || !reply)
		return rc;
	const json_t *srv = json_object_get(reply, "server");
	const json_t *cli = json_object_get(reply, "client");
	if (!json_is_object(srv) || !json_is_object(cli)) {
		fprintf(stderr, "hipconf: protocol error: get-relay reply lacks \"server\" or "
				"\"client\"\n");
		json_decref(reply);
		return CTL_EXIT_PROTO;
	}
	print_server(srv);
	if (json_is_true(json_object_get(cli, "enabled")))
		print_object("relay client", cli, client_fields, "");
	else
		printf("relay client\n  off (hipd --relay ADDR to register with a relay)\n");
	json_decref(reply);
	return CTL_EXIT_OK;
}
