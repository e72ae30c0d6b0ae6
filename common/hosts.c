/* The hosts file: `NAME HIT [LOCATOR...]` lines parsed into entries, checked for duplicates.
 * Not what hipd does with them (its locator map, hipd/options.c). */
#include "common/hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hit.h"

#define HOSTS_MAX_LINE 1024
#define HOSTS_MAX_SIZE (4 * 1024 * 1024)

static int parse_locator(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= HOSTS_MAX_NAME)
		return false;
	for (const char *p = s; *p; p++)
		if (!(*p == '-' || *p == '.' || *p == '_' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

static int check_unique(const struct hosts *h, const struct hosts_entry *e, char *why, size_t len)
{
	for (size_t i = 0; i < h->n; i++) {
		if (strcmp(h->e[i].name, e->name) == 0) {
			snprintf(why, len, "name \"%s\" is already on line %d", e->name,
				 h->e[i].line);
			return -EINVAL;
		}
		if (memcmp(&h->e[i].hit, &e->hit, sizeof(e->hit)) == 0) {
			snprintf(why, len, "this HIT is already on line %d", h->e[i].line);
			return -EINVAL;
		}
	}
	return 0;
}

/* One line's fields into e; 1 for a blank or comment line, 0 for an entry, -EINVAL. */
static int parse_line(char *line, struct hosts_entry *e, char *why, size_t len)
{
	char *save, *tok;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	tok = strtok_r(line, " \t\r", &save);
	if (!tok)
		return 1;
	if (!valid_name(tok)) {
		snprintf(why, len, "\"%.64s\" is not a name (letters, digits, - . _; 63 at most)",
			 tok);
		return -EINVAL;
	}
	snprintf(e->name, sizeof(e->name), "%s", tok);
	tok = strtok_r(NULL, " \t\r", &save);
	if (!tok) {
		snprintf(why, len, "%s: a HIT is missing (NAME HIT [LOCATOR...])", e->name);
		return -EINVAL;
	}
	if (hit_parse(tok, &e->hit)) {
		snprintf(why, len, "\"%.64s\" is not an ORCHIDv2 HIT (2001:20::/28)", tok);
		return -EINVAL;
	}
	e->nlocs = 0;
	while ((tok = strtok_r(NULL, " \t\r", &save))) {
		if (e->nlocs == HOSTS_MAX_LOCS) {
			snprintf(why, len, "more than %d locators", HOSTS_MAX_LOCS);
			return -EINVAL;
		}
		if (parse_locator(tok, &e->locs[e->nlocs])) {
			snprintf(why, len, "locator \"%.64s\" is not an IPv4 or IPv6 address", tok);
			return -EINVAL;
		}
		e->nlocs++;
	}
	return 0;
}

static int add(struct hosts *h, const struct hosts_entry *e)
{
	struct hosts_entry *n = realloc(h->e, (h->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	h->e = n;
	h->e[h->n++] = *e;
	return 0;
}

int hosts_parse_string(const char *name, const char *text, size_t len, struct hosts *out, char *err,
		       size_t errlen)
{
	char line[HOSTS_MAX_LINE + 1], why[200];
	const char *p = text, *end = text + len;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct hosts_entry e = {.line = ++lineno};
		int rc;

		if (n > HOSTS_MAX_LINE) {
			snprintf(why, sizeof(why), "line longer than %d characters",
				 HOSTS_MAX_LINE);
			rc = -EINVAL;
		} else if (memchr(p, '\0', n)) {
			snprintf(why, sizeof(why), "a NUL byte (not a text file)");
			rc = -EINVAL;
		} else {
			memcpy(line, p, n);
			line[n] = '\0';
			rc = parse_line(line, &e, why, sizeof(why));
		}
		if (rc == 0)
			rc = check_unique(out, &e, why, sizeof(why));
		if (rc == 0 && add(out, &e)) {
			snprintf(why, sizeof(why), "out of memory");
			rc = -ENOMEM;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, why);
			hosts_free(out);
			return rc;
		}
		p += n + (nl ? 1 : 0);
	}
	return 0;
}

int hosts_parse_file(const char *path, struct hosts *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!f) {
		int e = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-e));
		return e;
	}
	buf = malloc(HOSTS_MAX_SIZE + 1);
	n = buf ? fread(buf, 1, HOSTS_MAX_SIZE + 1, f) : 0;
	fclose(f);
	if (!buf || n > HOSTS_MAX_SIZE) {
		snprintf(err, errlen, "%s: %s", path, buf ? "larger than 4 MiB" : "out of memory");
		free(buf);
		return buf ? -EFBIG : -ENOMEM;
	}
	int rc = hosts_parse_string(path, buf, n, out, err, errlen);
	free(buf);
	return rc;
}

void hosts_free(struct hosts *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

const struct hosts_entry *hosts_find(const struct hosts *h, const char *name)
{
	struct in6_addr hit;
	bool is_hit = hit_parse(name, &hit) == 0;

	for (size_t i = 0; i < h->n; i++) {
		if (strcmp(h->e[i].name, name) == 0)
			return &h->e[i];
		if (is_hit && memcmp(&h->e[i].hit, &hit, sizeof(hit)) == 0)
			return &h->e[i];
	}
	return NULL;
}
