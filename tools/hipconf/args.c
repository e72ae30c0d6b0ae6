/* hipconf argument checks: HITs (or names from the hosts file), locators, numbers and keywords,
 * with iproute2-style errors. Checks text only; it does not ask hipd whether a HIT is known. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hosts.h"
#include "hipconf.h"

static const char *hosts_path = HOSTS_DEFAULT_PATH;

void arg_hosts_file(const char *path)
{
	hosts_path = path;
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vusage_error("hipconf", fmt, ap);
	va_end(ap);
}

/* ORCHIDv2 prefix 2001:20::/28 (RFC 7343). */
static int is_orchid(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0x20 && a->s6_addr[1] == 0x01 && a->s6_addr[2] == 0x00 &&
	       (a->s6_addr[3] & 0xf0) == 0x20;
}

void arg_print_host_names(void)
{
	struct hosts h = {0};
	char err[256];

	if (hosts_parse_file(hosts_path, &h, err, sizeof(err)) < 0)
		return;
	for (size_t i = 0; i < h.n; i++)
		printf("%s\n", h.e[i].name);
	hosts_free(&h);
}

/* s as a NAME of the hosts file: its HIT in out and 0, or -1 after saying why not. */
static int hit_by_name(const char *name, const char *s, char out[ADDR_TEXT])
{
	struct hosts h = {0};
	const struct hosts_entry *e;
	char err[256];
	int rc = -1;

	if (hosts_parse_file(hosts_path, &h, err, sizeof(err)) < 0) {
		usage_error(
		    "%s \"%s\" is not an IPv6 address, and the hosts file cannot be read: %s", name,
		    s, err);
		return -1;
	}
	e = hosts_find(&h, s);
	if (e) {
		inet_ntop(AF_INET6, &e->hit, out, ADDR_TEXT);
		rc = 0;
	} else {
		usage_error("%s \"%s\" is not an IPv6 address, nor a name in %s", name, s,
			    hosts_path);
	}
	hosts_free(&h);
	return rc;
}

int arg_hit(const char *name, const char *s, char out[ADDR_TEXT])
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		if (!strchr(s, ':')) /* not address-like: a name of the hosts file */
			return hit_by_name(name, s, out);
		usage_error("%s \"%s\" is not an IPv6 address", name, s);
		return -1;
	}
	if (!is_orchid(&a)) {
		usage_error("%s \"%s\" is not an ORCHIDv2 address (2001:20::/28)", name, s);
		return -1;
	}
	inet_ntop(AF_INET6, &a, out, ADDR_TEXT);
	return 0;
}

int arg_locator(const char *name, const char *s, char out[ADDR_TEXT])
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		inet_ntop(AF_INET, &a4, out, ADDR_TEXT);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) != 1) {
		usage_error("%s \"%s\" is not an IPv4 or IPv6 address", name, s);
		return -1;
	}
	if (is_orchid(&a6)) {
		usage_error("%s \"%s\" is a HIT (ORCHIDv2), not a routable address", name, s);
		return -1;
	}
	inet_ntop(AF_INET6, &a6, out, ADDR_TEXT);
	return 0;
}

int arg_uint(const char *name, const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || (*s < '0' || *s > '9')) {
		usage_error("%s \"%s\" is not a decimal number", name, s);
		return -1;
	}
	if (v < min || v > max) {
		usage_error("%s \"%s\" is out of range (%ld..%ld)", name, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int arg_one_of(const char *name, const char *s, const char *const *choices)
{
	char list[256] = "";

	for (int i = 0; choices[i]; i++) {
		if (strcmp(s, choices[i]) == 0)
			return i;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 choices[i]);
	}
	usage_error("%s \"%s\" is not one of: %s", name, s, list);
	return -1;
}
