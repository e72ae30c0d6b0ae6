/* Host identities changed while hipd runs: added ones saved as STATE/added-hi-HIT.pem (0600)
 * and loaded again at start, deleted ones dropped with their associations. Not key crypto. */
#include "hipd/identity.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hit.h"
#include "common/log.h"
#include "hipd/dataplane/hit0.h"
#include "hipd/r1cache.h"

size_t identity_users(const struct hipd *h, const struct hostid *id)
{
	size_t n = 0;

	for (const struct hip_ha *ha = h->db.has; ha; ha = ha->next)
		n += ha->local_id == id;
	return n;
}

static void added_path(const struct hipd *h, const struct in6_addr *hit, char *buf, size_t len)
{
	char s[HIT_STRLEN];

	snprintf(buf, len, "%s/" IDENTITY_ADDED_PREFIX "%s.pem", h->cfg.state_dir,
		 hit_to_str(hit, s));
}

/* Puts the HIT on hit0, or takes it off, when a data plane runs (its routes stay). */
static void hit0_addr(const struct hipd *h, const struct in6_addr *hit, bool add)
{
	struct hit0 t = {.fd = -1};
	struct rtnl_addr *a;
	struct nl_addr *local;
	char s[HIT_STRLEN];
	int rc = 0;

	if (!h->dp || !(t.ifindex = (int)if_nametoindex(HIT0_NAME)))
		return;
	t.nl = nl_socket_alloc();
	if (!t.nl || nl_connect(t.nl, NETLINK_ROUTE) < 0) {
		rc = -EIO;
	} else if (add) {
		rc = hit0_add_hit(&t, hit);
	} else if ((a = rtnl_addr_alloc()) && (local = nl_addr_build(AF_INET6, hit, 16))) {
		nl_addr_set_prefixlen(local, 128);
		rtnl_addr_set_ifindex(a, t.ifindex);
		rtnl_addr_set_family(a, AF_INET6);
		rtnl_addr_set_local(a, local);
		rc = rtnl_addr_delete(t.nl, a, 0) < 0 ? -EIO : 0;
		nl_addr_put(local);
		rtnl_addr_put(a);
	}
	if (t.nl)
		nl_socket_free(t.nl);
	if (rc)
		log_warn("identity: cannot %s %s %s " HIT0_NAME ": %s", add ? "add" : "remove",
			 hit_to_str(hit, s), add ? "to" : "from", strerror(-rc));
}

static int ensure_state_dir(const char *dir)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

int identity_add(struct hipd *h, struct hostid *id)
{
	char path[4096], s[HIT_STRLEN];
	int err;

	if (hipd_identity(h, &id->hit))
		return -EEXIST;
	if (h->nids >= HIPD_MAX_IDS)
		return -ENOSPC;
	added_path(h, &id->hit, path, sizeof(path));
	err = ensure_state_dir(h->cfg.state_dir);
	if (!err)
		err = hostid_save(id, path);
	if (err)
		return err;
	h->ids[h->nids++] = id;
	/* every R1 lists our HIT suites (RFC 7401 5.2.10): the next ones are built anew */
	if (h->r1)
		r1cache_rotate(h->r1);
	hit0_addr(h, &id->hit, true);
	log_info("identity: added %s HIT %s (%s)", hostid_kind_name(id->kind),
		 hit_to_str(&id->hit, s), path);
	return 0;
}

static ssize_t index_of(const struct hipd *h, const struct in6_addr *hit)
{
	for (size_t i = 0; i < h->nids; i++)
		if (memcmp(&h->ids[i]->hit, hit, sizeof(*hit)) == 0)
			return (ssize_t)i;
	return -1;
}

static size_t drop_users(struct hipd *h, const struct hostid *id)
{
	struct hip_ha *ha = h->db.has, *next;
	size_t n = 0;

	for (; ha; ha = next) {
		next = ha->next;
		if (ha->local_id != id)
			continue;
		hadb_del(&h->db, ha);
		n++;
	}
	return n;
}

int identity_del(struct hipd *h, const struct in6_addr *hit, bool force, size_t *dropped)
{
	char path[4096], s[HIT_STRLEN];
	ssize_t i = index_of(h, hit);

	*dropped = 0;
	if (i < 0)
		return -ENOENT;
	struct hostid *id = h->ids[i];
	if (h->nids == 1)
		return -EPERM;
	if (!force && i == 0)
		return -EBUSY;
	if (!force && identity_users(h, id))
		return -EADDRINUSE;
	*dropped = drop_users(h, id);
	memmove(&h->ids[i], &h->ids[i + 1], (h->nids - (size_t)i - 1) * sizeof(h->ids[0]));
	h->ids[--h->nids] = NULL;
	/* R1 templates are kept per identity index, and the indexes moved: no generation made
	 * before may serve an I2 (r1cache keeps the current and the previous one). */
	if (h->r1) {
		r1cache_rotate(h->r1);
		r1cache_rotate(h->r1);
	}
	hit0_addr(h, hit, false);
	added_path(h, hit, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("identity: cannot remove %s: %s", path, strerror(errno));
	log_info("identity: deleted HIT %s%s, %zu associations dropped", hit_to_str(hit, s),
		 i == 0 ? " (was the default)" : "", *dropped);
	hostid_free(id);
	return 0;
}

static int is_added_file(const struct dirent *d)
{
	size_t len = strlen(d->d_name), plen = strlen(IDENTITY_ADDED_PREFIX);

	return len > plen + 4 && strncmp(d->d_name, IDENTITY_ADDED_PREFIX, plen) == 0 &&
	       strcmp(d->d_name + len - 4, ".pem") == 0;
}

static void load_one(struct hipd *h, const char *path)
{
	struct hostid *id;
	char s[HIT_STRLEN];

	if (h->nids >= HIPD_MAX_IDS) {
		log_warn("identity: %s not loaded: hipd holds %d identities at most", path,
			 HIPD_MAX_IDS);
		return;
	}
	if (hostid_load(path, &id))
		return; /* logged */
	if (hipd_identity(h, &id->hit)) {
		log_warn("identity: %s holds HIT %s, which is already loaded", path,
			 hit_to_str(&id->hit, s));
		hostid_free(id);
		return;
	}
	h->ids[h->nids++] = id;
	log_info("identity: %s HIT %s (added)", hostid_kind_name(id->kind),
		 hit_to_str(&id->hit, s));
}

void identity_load_added(struct hipd *h)
{
	struct dirent **names;
	char path[4096];
	int n = scandir(h->cfg.state_dir, &names, is_added_file, alphasort);

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", h->cfg.state_dir, names[i]->d_name);
		load_one(h, path);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}
