/* hipd's privilege drop (libcap-ng) and sd_notify(3) messages. Runs once after start-up;
 * no sandboxing (see systemd/hipd.service) and nothing protocol-related here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cap-ng.h>
#include <linux/capability.h>
#include <systemd/sd-daemon.h>

#include "common/hit.h"
#include "common/log.h"
#include "hipd/privsep.h"
#include "hipd/transport.h"

/* Hands one entry of a directory hipd owns to the user; symlinks are not followed. */
static void give_entry(int dirfd, const char *name, uid_t uid, gid_t gid)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return;
	if (st.st_uid == 0 && fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		log_warn("privileges: cannot hand %s to uid %u: %s", name, (unsigned)uid,
			 strerror(errno));
}

/* The state directory as hipd creates it (root, 0700) goes to the user with its files, so
 * that identities added later can be written. A directory an administrator made (another
 * mode or owner) is left alone. */
static void give_state_dir(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	if (!path || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (st.st_uid == 0 && (st.st_mode & 07777) == 0700 && strcmp(path, "/") != 0) {
		if (lchown(path, uid, gid) < 0) {
			log_warn("privileges: cannot hand %s to uid %u: %s", path, (unsigned)uid,
				 strerror(errno));
			return;
		}
		DIR *d = opendir(path);
		for (struct dirent *e; d && (e = readdir(d));)
			give_entry(dirfd(d), e->d_name, uid, gid);
		if (d)
			closedir(d);
	}
	if (lstat(path, &st) == 0 && st.st_uid != uid)
		log_warn("privileges: state directory %s is not owned by uid %u: new identities "
			 "cannot be saved there",
			 path, (unsigned)uid);
}

/* True if dir holds nothing but the entry named only. */
static bool dir_holds_only(const char *dir, const char *only)
{
	DIR *d = opendir(dir);
	bool ok = d != NULL;

	for (struct dirent *e; ok && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, only))
			ok = false;
	if (d)
		closedir(d);
	return ok;
}

/* The control socket keeps its mode (0660) and goes to user:group, so that members of the
 * group may use hipconf. Its directory goes too when it holds only the socket (hipd made it,
 * e.g. /run/hipd), so that the socket can be removed at exit. */
static void give_socket(const char *path, uid_t uid, gid_t gid)
{
	char dir[PATH_MAX];
	struct stat st;

	if (!path || lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	if (lchown(path, uid, gid) < 0)
		log_warn("privileges: cannot hand %s to uid %u: %s", path, (unsigned)uid,
			 strerror(errno));
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir))
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWOTH | S_ISVTX)) || !dir_holds_only(dir, slash + 1))
		return;
	if (lchown(dir, uid, gid) < 0)
		log_warn("privileges: cannot hand %s to uid %u: %s", dir, (unsigned)uid,
			 strerror(errno));
}

static void keep_net_caps(capng_type_t sets)
{
	capng_updatev(CAPNG_ADD, sets, CAP_NET_ADMIN, CAP_NET_RAW, -1);
}

/* After the switch: no way back to root, and nothing but the two capabilities. */
static int check_dropped(uid_t uid)
{
	if (getuid() != uid || geteuid() != uid || setuid(0) == 0) {
		log_err("privileges: still able to become root after the switch");
		return -EPERM;
	}
	capng_get_caps_process();
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN);
	capng_update(CAPNG_DROP, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_RAW);
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		log_err("privileges: capabilities other than CAP_NET_ADMIN, CAP_NET_RAW remain");
		return -EPERM;
	}
	return 0;
}

static int set_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_err("privileges: cannot set no_new_privs: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Not root (e.g. User= with AmbientCapabilities= in the unit): keep at most the two network
 * capabilities we hold and clear the ambient set; the bounding set stays as the unit made it
 * (changing it needs CAP_SETPCAP). */
static int drop_unprivileged(const char *user)
{
	struct passwd *pw = user ? getpwnam(user) : NULL;

	if (user && (!pw || pw->pw_uid != geteuid())) {
		log_err("privileges: --user %s needs hipd to start as root", user);
		return -EPERM;
	}
	capng_get_caps_process();
	bool admin = capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN);
	bool raw = capng_have_capability(CAPNG_PERMITTED, CAP_NET_RAW);
	bool extra = false;
	for (unsigned c = 0; c <= CAP_LAST_CAP; c++)
		if (c != CAP_NET_ADMIN && c != CAP_NET_RAW &&
		    capng_have_capability(CAPNG_PERMITTED, c))
			extra = true;
	capng_clear(CAPNG_SELECT_CAPS);
	if (admin)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN);
	if (raw)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_RAW);
	/* capset(2) only when there is more to drop: a unit may filter it (~@privileged) */
	if (extra && capng_apply(CAPNG_SELECT_CAPS) < 0) {
		log_err("privileges: cannot reduce capabilities");
		return -EPERM;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	log_info("privileges: running as uid %u with%s%s%s", (unsigned)geteuid(),
		 admin ? " CAP_NET_ADMIN" : "", raw ? " CAP_NET_RAW" : "",
		 admin || raw ? "" : "out capabilities");
	return set_no_new_privs();
}

/* Root: hand over what hipd created, then switch for good. */
static int drop_root(const struct passwd *pw, const char *state_dir, const char *socket_path)
{
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;

	give_state_dir(state_dir, uid, gid);
	give_socket(socket_path, uid, gid);
	capng_clear(CAPNG_SELECT_BOTH);
	keep_net_caps(CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET);
	/* the bounding set first, while CAP_SETPCAP is still there */
	if (capng_apply(CAPNG_SELECT_BOUNDS) < 0) {
		log_err("privileges: cannot reduce the capability bounding set");
		return -EPERM;
	}
	int rc = capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_AMBIENT);
	if (rc < 0) {
		log_err("privileges: cannot switch to user %s (libcap-ng error %d)", pw->pw_name,
			rc);
		return -EPERM;
	}
	int err = set_no_new_privs();
	if (!err)
		err = check_dropped(uid);
	if (!err)
		log_info("privileges: running as %s (uid %u, gid %u) with CAP_NET_ADMIN, "
			 "CAP_NET_RAW only",
			 pw->pw_name, (unsigned)uid, (unsigned)gid);
	return err;
}

int privsep_drop(const char *user, const char *state_dir, const char *socket_path)
{
	if (geteuid() != 0)
		return drop_unprivileged(user);
	if (user && strcmp(user, "root") == 0) {
		log_warn("privileges: --user root: running as root with all capabilities");
		return 0;
	}
	const char *name = user ? user : PRIVSEP_DEFAULT_USER;
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (!pw && user) {
		log_err("privileges: user %s does not exist", name);
		return -ENOENT;
	}
	if (!pw) {
		log_warn("privileges: no user %s: running as root with all capabilities (create "
			 "the user, e.g. with systemd-sysusers, or pass --user)",
			 name);
		return 0;
	}
	if (pw->pw_uid == 0) {
		log_warn("privileges: user %s is root: running with all capabilities", name);
		return 0;
	}
	return drop_root(pw, state_dir, socket_path);
}

void privsep_notify_ready(const struct hipd *h)
{
	char hit[HIT_STRLEN];

	sd_notifyf(0, "READY=1\nSTATUS=serving: HIT %s, transports %s, control %s",
		   h->nids ? hit_to_str(&h->ids[0]->hit, hit) : "-", transport_describe(h->tr),
		   h->cfg.socket_path);
}

void privsep_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
