/* hipconf's human output: aligned key/value blocks, tables, durations, JSON values as text.
 * Not for --json output, which prints the daemon's reply as it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipconf.h"

void print_duration(char *buf, size_t len, long long s)
{
	if (s < 0)
		s = 0;
	long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
	if (d > 0)
		snprintf(buf, len, "%lldd %02lldh %02lldm", d, h, m);
	else if (h > 0)
		snprintf(buf, len, "%lldh %02lldm %02llds", h, m, sec);
	else if (m > 0)
		snprintf(buf, len, "%lldm %02llds", m, sec);
	else
		snprintf(buf, len, "%llds", sec);
}

static void join_array(const json_t *v, char *buf, size_t len)
{
	size_t i, used = 0;
	json_t *e;

	buf[0] = '\0';
	json_array_foreach(v, i, e)
	{
		char one[128];
		value_text(e, one, sizeof(one));
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", one);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
	if (i == 0)
		snprintf(buf, len, "-");
}

void value_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(buf, len, "%.3f", json_real_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	} else if (json_is_array(v)) {
		join_array(v, buf, len);
	} else if (!v || json_is_null(v)) {
		snprintf(buf, len, "-");
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf, len, "%s", s ? s : "?");
		free(s);
	}
}

void print_kv_block(const struct kv *rows, int n, const char *indent)
{
	int w = 0;

	for (int i = 0; i < n; i++)
		if ((int)strlen(rows[i].key) > w)
			w = (int)strlen(rows[i].key);
	for (int i = 0; i < n; i++)
		printf("%s%-*s  %s\n", indent, w, rows[i].key, rows[i].value);
}

int kv_add(struct kv *rows, int n, const char *key, const json_t *v)
{
	rows[n].key = key;
	value_text(v, rows[n].value, sizeof(rows[n].value));
	return n + 1;
}

void label_text(const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s", key);
	for (char *p = buf; *p; p++)
		*p = *p == '_' ? ' ' : *p;
}

void print_table_header(const struct column *cols, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s%*s", i ? "  " : "", cols[i].width, cols[i].title);
	printf("\n");
}

void print_table_row(const json_t *o, const struct column *cols, size_t n)
{
	char text[1024];

	for (size_t i = 0; i < n; i++) {
		value_text(json_object_get(o, cols[i].field), text, sizeof(text));
		printf("%s%*s", i ? "  " : "", cols[i].width, text);
	}
	printf("\n");
}

void print_table(const json_t *rows, const struct column *cols, size_t n, const char *none)
{
	const json_t *o;
	size_t i;

	if (json_array_size(rows) == 0) {
		printf("%s\n", none);
		return;
	}
	print_table_header(cols, n);
	json_array_foreach(rows, i, o) print_table_row(o, cols, n);
}
