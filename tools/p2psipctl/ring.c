/* p2psipctl verbs on the node's ring state: status, successors, fingers.
 * Printing only; the state comes from p2psipd's "status" command. */
#include <stdio.h>
#include <string.h>

#include "p2psipctl.h"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static void print_succ(json_t *r)
{
	json_t *v;
	size_t i;

	printf("predecessor  %s\n", str(r, "predecessor"));
	json_array_foreach(json_object_get(r, "successors"), i, v)
	    printf("successor %-2zu %s\n", i, json_string_value(v));
}

static void print_fingers(json_t *r)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(r, "fingers"), i, v)
	{
		long a = (long)json_integer_value(json_object_get(v, "index"));
		long b = (long)json_integer_value(json_object_get(v, "last"));
		char idx[16];
		snprintf(idx, sizeof(idx), a == b ? "%ld" : "%ld-%ld", a, b);
		printf("finger %-8s %s\n", idx, str(v, "node"));
	}
}

/* The link layer's links (ice mode: one per peer; the pair's type is the selected pair's
 * "worst" candidate: relay, else reflexive, else host). */
static void print_links(json_t *r)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(r, "links"), i, v)
	{
		printf("link   %-40s %-10s %-6s %s\n", str(v, "peer"), str(v, "state"),
		       json_object_get(v, "pair") ? str(v, "pair") : "", str(v, "address"));
	}
}

static void print_status(json_t *r)
{
	json_t *v;
	const char *k;

	printf("node         %s\naddress      %s\nmode         %s\nstate        %s\n"
	       "uptime       %lld s\n",
	       str(r, "node_id"), str(r, "address"), str(r, "mode"), str(r, "state"),
	       (long long)json_integer_value(json_object_get(r, "uptime_s")));
	print_succ(r);
	print_fingers(r);
	print_links(r);
	v = json_object_get(r, "records");
	printf("records      %lld primary, %lld replica\n",
	       (long long)json_integer_value(json_object_get(v, "primary")),
	       (long long)json_integer_value(json_object_get(v, "replica")));
	json_object_foreach(json_object_get(r, "counters"), k, v)
	{
		if (json_is_real(v))
			printf("  %-18s %.2f\n", k, json_real_value(v));
		else
			printf("  %-18s %lld\n", k, (long long)json_integer_value(v));
	}
}

/* The three verbs print parts of p2psipd's "status" reply. */
static int show_status(struct ctl *c, void (*print)(json_t *r))
{
	return ctl_show(c, json_pack("{s:s}", "cmd", "status"), print);
}

int verb_status(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return show_status(c, print_status);
}

int verb_successors(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return show_status(c, print_succ);
}

int verb_fingers(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return show_status(c, print_fingers);
}
