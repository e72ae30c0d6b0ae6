/* hipconf verbs for host associations: daemon get ha, trigger, close, rekey, rst all|HIT.
 * Not the HIP state machine: these only ask hipd and print what it says. */
#include <stdio.h>
#include <string.h>

#include "hipconf.h"

/* Fields shown first, in this order, with these labels; others follow as they come. */
static const struct {
	const char *field;
	const char *label;
} ha_fields[] = {
    {"state", "state"},
    {"local_hit", "local hit"},
    {"peer_hit", "peer hit"},
    {"local_locator", "local locator"},
    {"peer_locator", "peer locator"},
    {"transport", "transport"},
    {"hit_suite", "hit suite"},
    {"dh_group", "dh group"},
    {"hip_cipher", "hip cipher"},
    {"esp_transform", "esp transform"},
    {"spi_in", "spi in"},
    {"spi_out", "spi out"},
    {"peer_lsi", "peer lsi"},
    {"established_s", "established"},
    {"bex_ms", "base exchange"},
    {"retransmissions", "retransmissions"},
};
#define N_HA_FIELDS (sizeof(ha_fields) / sizeof(ha_fields[0]))
#define MAX_HA_ROWS 64

static void ha_value(const char *field, const json_t *v, char *buf, size_t len)
{
	if (strncmp(field, "spi_", 4) == 0 && json_is_integer(v)) {
		snprintf(buf, len, "0x%08llx", (unsigned long long)json_integer_value(v));
	} else if (strcmp(field, "established_s") == 0 && json_is_integer(v)) {
		char d[64];
		print_duration(d, sizeof(d), json_integer_value(v));
		snprintf(buf, len, "%s ago", d);
	} else if (strcmp(field, "bex_ms") == 0 && json_is_number(v)) {
		snprintf(buf, len, "%.1f ms", json_number_value(v));
	} else if (strcmp(field, "established_s") == 0 && !v) {
		snprintf(buf, len, "no");
	} else {
		value_text(v, buf, len);
	}
}

static int is_known_field(const char *key)
{
	for (size_t i = 0; i < N_HA_FIELDS; i++)
		if (strcmp(key, ha_fields[i].field) == 0)
			return 1;
	return 0;
}

static void print_ha(const json_t *ha, size_t idx)
{
	static struct kv rows[MAX_HA_ROWS];
	char labels[MAX_HA_ROWS][64];
	const char *key;
	json_t *v;
	int n = 0;

	for (size_t i = 0; i < N_HA_FIELDS; i++) {
		v = json_object_get(ha, ha_fields[i].field);
		if (!v && strcmp(ha_fields[i].field, "established_s") != 0)
			continue;
		rows[n].key = ha_fields[i].label;
		ha_value(ha_fields[i].field, v, rows[n].value, sizeof(rows[n].value));
		n++;
	}
	json_object_foreach((json_t *)ha, key, v)
	{
		if (is_known_field(key) || n >= MAX_HA_ROWS)
			continue;
		label_text(key, labels[n], sizeof(labels[n]));
		n = kv_add(rows, n, labels[n], v);
	}
	printf("%sassociation %zu\n", idx ? "\n" : "", idx + 1);
	print_kv_block(rows, n, "  ");
}

int verb_get_ha(struct hipconf *hc, int argc, char **argv)
{
	char hit[ADDR_TEXT];
	json_t *reply, *ha;
	size_t i;

	(void)argc;
	json_t *req = json_pack("{s:s}", "cmd", "get-ha");
	if (strcmp(argv[0], "all") != 0) {
		if (arg_hit("HIT", argv[0], hit) < 0) {
			json_decref(req);
			return CTL_EXIT_USAGE;
		}
		json_object_set_new(req, "hit", json_string(hit));
	}
	int rc = hipconf_call(hc, req, &reply);
	if (rc || !reply)
		return rc;
	json_t *list = json_object_get(reply, "associations");
	if (json_array_size(list) == 0)
		printf("no associations\n");
	json_array_foreach(list, i, ha) print_ha(ha, i);
	json_decref(reply);
	return CTL_EXIT_OK;
}

static int hit_verb(struct hipconf *hc, const char *cmd, const char *arg)
{
	char hit[ADDR_TEXT];

	if (arg_hit("HIT", arg, hit) < 0)
		return CTL_EXIT_USAGE;
	return hipconf_act(hc, json_pack("{s:s,s:s}", "cmd", cmd, "hit", hit));
}

static const char *const fault_names[] = {"i2-signature", "i2-solution",  "i2-mac", "i2-critical",
					  "i1-critical",  "ice-password", NULL};

int verb_trigger(struct hipconf *hc, int argc, char **argv)
{
	char hit[ADDR_TEXT];

	(void)argc;
	if (arg_hit("HIT", argv[0], hit) < 0)
		return CTL_EXIT_USAGE;
	if (hc->fault && arg_one_of("fault", hc->fault, fault_names) < 0)
		return CTL_EXIT_USAGE;
	json_t *req = json_pack("{s:s,s:s}", "cmd", "trigger", "hit", hit);
	if (hc->fault)
		json_object_set_new(req, "fault", json_string(hc->fault));
	if (!hc->wait)
		return hipconf_act(hc, req);
	json_object_set_new(req, "wait", json_true());
	json_t *reply;
	int rc = hipconf_call(hc, req, &reply);
	if (rc || !reply)
		return rc;
	json_t *ms = json_object_get(reply, "bex_ms");
	printf("%s", json_string_value(json_object_get(reply, "state")) ?: "established");
	if (json_is_number(ms))
		printf(" after %.1f ms", json_number_value(ms));
	printf("\n");
	json_decref(reply);
	return CTL_EXIT_OK;
}

int verb_rekey(struct hipconf *hc, int argc, char **argv)
{
	(void)argc;
	return hit_verb(hc, "rekey", argv[0]);
}

int verb_close(struct hipconf *hc, int argc, char **argv)
{
	(void)argc;
	return hit_verb(hc, "close", argv[0]);
}

int verb_rst(struct hipconf *hc, int argc, char **argv)
{
	json_t *reply;

	(void)argc;
	if (strcmp(argv[0], "all") != 0)
		return hit_verb(hc, "reset", argv[0]);
	int rc = hipconf_call(hc, json_pack("{s:s,s:b}", "cmd", "reset", "all", 1), &reply);
	if (rc || !reply)
		return rc;
	printf("%lld associations dropped\n",
	       (long long)json_integer_value(json_object_get(reply, "dropped")));
	json_decref(reply);
	return CTL_EXIT_OK;
}
