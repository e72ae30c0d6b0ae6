/* The hosts file (/etc/hipsip/hosts): `NAME HIT [LOCATOR...]` lines naming peers and where to
 * reach them. Not name resolution through DNS, and not hipd's locator map itself (hadb). */
#ifndef HIPSIP_HOSTS_H
#define HIPSIP_HOSTS_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#define HOSTS_DEFAULT_PATH "/etc/hipsip/hosts"
#define HOSTS_MAX_NAME	   64
#define HOSTS_MAX_LOCS	   8

struct hosts_entry {
	char name[HOSTS_MAX_NAME];
	struct in6_addr hit;
	struct sockaddr_storage locs[HOSTS_MAX_LOCS];
	size_t nlocs;
	int line;
};

struct hosts {
	struct hosts_entry *e;
	size_t n;
};

/* Parses text (len bytes, named name in errors). Blank lines and lines starting with # are
 * skipped; a # after a field starts a comment. Each name and each HIT appears once; a HIT
 * must be an ORCHIDv2 HIT, a locator an IPv4 or IPv6 address. Returns 0, or -EINVAL with
 * "NAME:LINE: reason" in err. */
int hosts_parse_string(const char *name, const char *text, size_t len, struct hosts *out, char *err,
		       size_t errlen);
/* The same for a file; read errors are "PATH: why". */
int hosts_parse_file(const char *path, struct hosts *out, char *err, size_t errlen);
void hosts_free(struct hosts *h);
/* The entry named name (or whose HIT is written as name), or NULL. */
const struct hosts_entry *hosts_find(const struct hosts *h, const char *name);

#endif
