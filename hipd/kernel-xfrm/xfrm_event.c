/* Decoding of the kernel's XFRM multicast events (ACQUIRE, EXPIRE) into struct
 * kx_event, checked with libmnl's validators. Receives nothing itself. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "hipd/kernel-xfrm/xfrm.h"

#define KX_EVENT_MAX 16384

/* What the attribute walk found. */
struct kx_attrs {
	size_t end;			   /* payload offset of the next attribute (aligned) */
	size_t last;			   /* payload offset just past the last attribute's bytes */
	const struct xfrm_user_tmpl *tmpl; /* the first template, if any */
};

static size_t kx_addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static int kx_attr_cb(const struct nlattr *attr, void *data)
{
	struct kx_attrs *st = data;
	uint16_t len = mnl_attr_get_payload_len(attr);

	st->last = st->end + attr->nla_len;
	st->end += MNL_ALIGN(attr->nla_len);
	if (mnl_attr_get_type(attr) != XFRMA_TMPL)
		return MNL_CB_OK;
	if (len == 0 || len % sizeof(struct xfrm_user_tmpl) != 0)
		return MNL_CB_ERROR;
	if (!st->tmpl)
		st->tmpl = mnl_attr_get_payload(attr);
	return MNL_CB_OK;
}

/* Every byte after the fixed part must belong to a well-formed attribute. */
static int kx_attrs(const struct nlmsghdr *nlh, size_t fixed, struct kx_attrs *st)
{
	size_t payload = mnl_nlmsg_get_payload_len(nlh);

	memset(st, 0, sizeof(*st));
	if (payload < fixed)
		return -EBADMSG;
	st->end = MNL_ALIGN(fixed);
	if (mnl_attr_parse(nlh, MNL_ALIGN(fixed), kx_attr_cb, st) == MNL_CB_ERROR)
		return -EBADMSG;
	/* libmnl lets the last attribute reach into the message's alignment padding */
	return st->end >= payload && st->last <= payload ? 0 : -EBADMSG;
}

static int kx_selector_ok(const struct xfrm_selector *sel)
{
	size_t bits = kx_addr_len(sel->family) * 8;

	if (!bits || sel->prefixlen_s > bits || sel->prefixlen_d > bits)
		return -EBADMSG;
	return 0;
}

static int kx_acquire(const struct nlmsghdr *nlh, struct kx_event *ev)
{
	const struct xfrm_user_acquire *ua = mnl_nlmsg_get_payload(nlh);
	const struct xfrm_selector *sel = &ua->sel;
	struct kx_attrs st;

	if (kx_attrs(nlh, sizeof(*ua), &st) || kx_selector_ok(sel) || ua->policy.dir > KX_DIR_FWD)
		return -EBADMSG;
	ev->type = KX_EV_ACQUIRE;
	ev->sel_family = sel->family;
	memcpy(ev->sel_src, &sel->saddr, kx_addr_len(sel->family));
	memcpy(ev->sel_dst, &sel->daddr, kx_addr_len(sel->family));
	ev->sel_src_prefix = sel->prefixlen_s;
	ev->sel_dst_prefix = sel->prefixlen_d;
	ev->dir = ua->policy.dir;
	ev->acq_seq = ua->seq;
	ev->proto = ua->id.proto;
	ev->spi = ntohl(ua->id.spi);
	/* the outer family is only in the template (the kernel's encap_family) */
	if (!st.tmpl || !kx_addr_len(st.tmpl->family))
		return 0;
	ev->family = st.tmpl->family;
	memcpy(ev->saddr, &ua->saddr, kx_addr_len(ev->family));
	memcpy(ev->daddr, &ua->id.daddr, kx_addr_len(ev->family));
	return 0;
}

static int kx_expire(const struct nlmsghdr *nlh, struct kx_event *ev)
{
	const struct xfrm_user_expire *ue = mnl_nlmsg_get_payload(nlh);
	const struct xfrm_usersa_info *x = &ue->state;
	struct kx_attrs st;

	if (kx_attrs(nlh, sizeof(*ue), &st) || !kx_addr_len(x->family) || ue->hard > 1)
		return -EBADMSG;
	ev->type = KX_EV_EXPIRE;
	ev->family = x->family;
	memcpy(ev->saddr, &x->saddr, kx_addr_len(x->family));
	memcpy(ev->daddr, &x->id.daddr, kx_addr_len(x->family));
	ev->spi = ntohl(x->id.spi);
	ev->proto = x->id.proto;
	ev->reqid = x->reqid;
	ev->hard = ue->hard;
	return 0;
}

int kx_parse_event(const void *msg, size_t len, struct kx_event *out)
{
	/* a private, aligned copy: the caller's bytes may sit anywhere, and the
	 * XFRM structs hold 64-bit fields (nlmsghdr alone only aligns to 4) */
	static _Thread_local union {
		struct nlmsghdr h;
		uint64_t align;
		uint8_t b[KX_EVENT_MAX + 4];
	} u;
	const struct nlmsghdr *nlh = &u.h;

	memset(out, 0, sizeof(*out));
	if (!msg || len < sizeof(*nlh) || len > KX_EVENT_MAX)
		return -EBADMSG;
	memcpy(u.b, msg, len);
	memset(u.b + len, 0, 4); /* what MNL_ALIGN may reach past len */
	/* mnl_nlmsg_ok compares nlmsg_len as an int: a length of 2^31 or more
	 * would pass it, so the unsigned bound comes first */
	if (nlh->nlmsg_len > len || !mnl_nlmsg_ok(nlh, (int)len) || MNL_ALIGN(nlh->nlmsg_len) < len)
		return -EBADMSG;
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_ACQUIRE:
		return kx_acquire(nlh, out);
	case XFRM_MSG_EXPIRE:
		return kx_expire(nlh, out);
	default:
		return -EINVAL;
	}
}
