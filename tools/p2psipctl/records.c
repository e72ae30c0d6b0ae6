/* p2psipctl verbs on overlay records: store, lookup, put, get, remove.
 * Argument checks and printing; the work is p2psipd's. */
#include <stdio.h>
#include <string.h>

#include "p2psipctl.h"

#define VALUE_MAX 4096 /* p2psipd's STORE_VALUE_MAX */

static int check_key(const struct ctl *c, const char *key)
{
	size_t n = strlen(key);

	if (n == 0) {
		usage_error("KEY \"\" is empty");
		return -1;
	}
	if (c->id && n != 32 && !strchr(key, ':')) {
		usage_error("KEY \"%s\" is not an ID (32 hex digits or a HIT) as --id asks", key);
		return -1;
	}
	return 0;
}

static void print_route(json_t *r)
{
	printf("node     %s\nhops     %lld\nlatency  %.3f ms\n",
	       json_string_value(json_object_get(r, "node")),
	       (long long)json_integer_value(json_object_get(r, "hops")),
	       json_number_value(json_object_get(r, "latency_ms")));
}

static void print_records(json_t *r)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(r, "records"), i, v)
	    printf("%s type %3lld %-7s %5lld B  expires in %lld s  owner %s\n",
		   json_string_value(json_object_get(v, "key")),
		   (long long)json_integer_value(json_object_get(v, "type")),
		   json_string_value(json_object_get(v, "role")),
		   (long long)json_integer_value(json_object_get(v, "size")),
		   (long long)json_integer_value(json_object_get(v, "expires_in")),
		   json_string_value(json_object_get(v, "owner")));
}

static void print_values(json_t *r)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(r, "values"), i, v)
	{
		const char *s = json_string_value(json_object_get(v, "value"));
		if (s)
			printf("value    %s\n", s);
		else
			printf("value    0x%s\n",
			       json_string_value(json_object_get(v, "value_hex")));
	}
	print_route(r);
}

/* lookup, get, remove: KEY is the only argument. */
static int key_verb(struct ctl *c, const char *cmd, const char *key, void (*print)(json_t *r))
{
	if (check_key(c, key))
		return CTL_EXIT_USAGE;
	return ctl_show(c, ctl_req_key(c, cmd, key), print);
}

int verb_store(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ctl_show(c, json_pack("{s:s}", "cmd", "store"), print_records);
}

int verb_lookup(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	return key_verb(c, "lookup", argv[0], print_route);
}

int verb_put(struct ctl *c, int argc, char **argv)
{
	json_t *req;

	(void)argc;
	if (check_key(c, argv[0]))
		return CTL_EXIT_USAGE;
	if (strlen(argv[1]) > VALUE_MAX) {
		usage_error("VALUE is %zu bytes, longer than %d", strlen(argv[1]), VALUE_MAX);
		return CTL_EXIT_USAGE;
	}
	req = ctl_req_key(c, "put", argv[0]);
	json_object_set_new(req, "value", json_string(argv[1]));
	if (c->lifetime)
		json_object_set_new(req, "lifetime", json_integer(c->lifetime));
	return ctl_show(c, req, print_route);
}

int verb_get(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	return key_verb(c, "get", argv[0], print_values);
}

int verb_remove(struct ctl *c, int argc, char **argv)
{
	(void)argc;
	return key_verb(c, "remove", argv[0], NULL);
}
