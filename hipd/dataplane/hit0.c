/* hit0: the TUN device that applications reach HITs and LSIs through. Its link,
 * addresses and routes are set over rtnetlink (libnl-route-3), never by ip(8). */
#include "hipd/dataplane/hit0.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int open_tun(struct hit0 *t, const char *name)
{
	struct ifreq ifr = {0};

	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	return 0;
}

/* libnl reports -NLE_*; give callers an errno. */
static int nl_err(int rc)
{
	switch (-rc) {
	case 0:
		return 0;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	default:
		return -EIO;
	}
}

static int link_up(struct hit0 *t)
{
	struct rtnl_link *link = NULL, *change = rtnl_link_alloc();
	int rc = nl_err(rtnl_link_get_kernel(t->nl, 0, t->name, &link));

	if (!rc && change) {
		t->ifindex = rtnl_link_get_ifindex(link);
		rtnl_link_set_mtu(change, t->mtu);
		rtnl_link_set_flags(change, IFF_UP);
		rc = nl_err(rtnl_link_change(t->nl, link, change, 0));
	} else if (!change) {
		rc = -ENOMEM;
	}
	rtnl_link_put(link);
	rtnl_link_put(change);
	return rc;
}

static int add_route(struct hit0 *t, const char *prefix, int family)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL;
	int rc = nl_err(nl_addr_parse(prefix, family, &dst));

	if (!route || !nh) {
		rc = -ENOMEM;
	} else if (!rc) {
		rtnl_route_set_family(route, (uint8_t)family);
		rtnl_route_set_dst(route, dst);
		rtnl_route_nh_set_ifindex(nh, t->ifindex);
		rtnl_route_add_nexthop(route, nh);
		nh = NULL; /* the route owns it now */
		rc = nl_err(rtnl_route_add(t->nl, route, NLM_F_CREATE | NLM_F_REPLACE));
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	rtnl_route_put(route);
	return rc;
}

int hit0_open(struct hit0 *t, const char *name, unsigned link_mtu, const char **why)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->mtu = link_mtu > HIT0_OVERHEAD + 1280 ? link_mtu - HIT0_OVERHEAD : 1280;
	if ((rc = open_tun(t, name))) {
		*why = "cannot create the TUN device (/dev/net/tun)";
	} else if (!(t->nl = nl_socket_alloc()) || nl_connect(t->nl, NETLINK_ROUTE) < 0) {
		rc = -EIO;
		*why = "cannot open rtnetlink";
	} else if ((rc = link_up(t))) {
		*why = "cannot set the MTU or bring the device up";
	} else if ((rc = add_route(t, HIT0_ORCHID_PREFIX, AF_INET6)) ||
		   (rc = add_route(t, HIT0_LSI_PREFIX, AF_INET))) {
		*why = "cannot route the HIT and LSI prefixes into the device";
	}
	if (rc)
		hit0_close(t);
	return rc;
}

static int add_addr(struct hit0 *t, int family, const void *bytes, size_t len, int plen)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(family, bytes, len);
	int rc = -ENOMEM;

	if (a && local) {
		nl_addr_set_prefixlen(local, plen);
		rtnl_addr_set_ifindex(a, t->ifindex);
		rtnl_addr_set_family(a, family);
		rtnl_addr_set_local(a, local);
		if (family == AF_INET6)
			rtnl_addr_set_flags(a, IFA_F_NODAD);
		rc = nl_err(rtnl_addr_add(t->nl, a, NLM_F_REPLACE));
	}
	nl_addr_put(local);
	rtnl_addr_put(a);
	return rc;
}

int hit0_add_hit(struct hit0 *t, const struct in6_addr *hit)
{
	return add_addr(t, AF_INET6, hit, sizeof(*hit), 128);
}

int hit0_add_lsi(struct hit0 *t, const struct in_addr *lsi)
{
	return add_addr(t, AF_INET, lsi, sizeof(*lsi), 32);
}

void hit0_close(struct hit0 *t)
{
	if (t->nl)
		nl_socket_free(t->nl);
	if (t->fd >= 0)
		close(t->fd); /* a non-persistent TUN device goes away with its last fd */
	t->nl = NULL;
	t->fd = -1;
}
