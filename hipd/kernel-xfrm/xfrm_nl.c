/* The NETLINK_XFRM sockets: requests with their acknowledgement (and the kernel's
 * extended-ack text), the event listener, the ESP probe. No policy decisions. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "hipd/kernel-xfrm/xfrm.h"
#include "hipd/wire/hip_proto.h"

#define KX_GROUP(g) (1u << ((g)-1))
#define KX_RECV_MAX 8192 /* one netlink datagram: acks, a GETSA reply, an event */

static int kx_socket(struct kx_sock *s, unsigned groups)
{
	int one = 1, rc;

	memset(s, 0, sizeof(*s));
	s->nl = mnl_socket_open(NETLINK_XFRM);
	if (!s->nl)
		return -errno;
	/* best effort: the kernel's reason as text, without our request echoed */
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(s->nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		kx_close(s);
		return rc;
	}
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
	return 0;
}

int kx_open(struct kx_sock *s)
{
	return kx_socket(s, 0);
}

int kx_listen_open(struct kx_sock *s)
{
	return kx_socket(s, KX_GROUP(XFRMNLGRP_ACQUIRE) | KX_GROUP(XFRMNLGRP_EXPIRE));
}

void kx_close(struct kx_sock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
}

int kx_fd(const struct kx_sock *s)
{
	return s->nl ? mnl_socket_get_fd(s->nl) : -1;
}

static int kx_extack_cb(const struct nlattr *attr, void *data)
{
	struct kx_sock *s = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(s->why, sizeof(s->why), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* The TLVs follow struct nlmsgerr, after the echoed request unless capped. */
static void kx_extack(struct kx_sock *s, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e), payload = mnl_nlmsg_get_payload_len(nlh);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return;
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (MNL_ALIGN(off) <= payload)
		mnl_attr_parse(nlh, (unsigned)off, kx_extack_cb, s);
}

/* 1: not our answer yet; else 0 or the kernel's -errno. */
static int kx_answer(struct kx_sock *s, const void *buf, size_t len, uint32_t seq)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;
	const struct nlmsgerr *e;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_seq != seq || nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
			return -EBADMSG;
		e = mnl_nlmsg_get_payload(nlh);
		if (e->error > 0 || e->error < -4095)
			return -EBADMSG;
		if (e->error)
			kx_extack(s, nlh);
		return e->error;
	}
	return 1;
}

int kx_request(struct kx_sock *s, void *buf)
{
	struct nlmsghdr *nlh = buf;
	static _Thread_local uint64_t rbuf[KX_RECV_MAX / 8];
	ssize_t n;
	int rc = 1;

	s->why[0] = 0;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(s->nl, rbuf, sizeof(rbuf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		rc = kx_answer(s, rbuf, (size_t)n, nlh->nlmsg_seq);
	} while (n < 0 || rc == 1);
	return rc;
}

int kx_listen_read(struct kx_sock *s, struct kx_event *ev)
{
	static _Thread_local uint64_t rbuf[KX_RECV_MAX / 8];
	ssize_t n;

	do
		n = mnl_socket_recvfrom(s->nl, rbuf, sizeof(rbuf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return kx_parse_event(rbuf, (size_t)n, ev);
}

/* A throwaway SA 127.0.0.1 -> 127.0.0.1, BEET, AES-128-CBC + HMAC-SHA-256. */
static int kx_probe_sa(struct kx_sa *sa, const uint8_t *enc, const uint8_t *auth)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		return -errno;
	memset(sa, 0, sizeof(*sa));
	sa->spi = 0x10000000u | (r & 0x0fffffffu);
	sa->outer_family = sa->inner_family = AF_INET;
	sa->outer_src[0] = sa->outer_dst[0] = sa->inner_src[0] = sa->inner_dst[0] = 127;
	sa->outer_src[3] = sa->outer_dst[3] = sa->inner_src[3] = sa->inner_dst[3] = 1;
	sa->suite = HIP_ESP_AES128_CBC_SHA256;
	sa->enc_key = enc;
	sa->enc_key_len = 16;
	sa->auth_key = auth;
	sa->auth_key_len = 32;
	return 0;
}

int kx_probe_esp(struct kx_sock *s, char *why, size_t why_len)
{
	static const uint8_t key[32];
	uint64_t buf[KX_MSG_MAX / 8];
	struct kx_sa sa;
	int rc;

	rc = kx_probe_sa(&sa, key, key);
	if (!rc)
		rc = kx_msg_newsa(buf, sizeof(buf), s->seq++, &sa);
	if (!rc)
		rc = kx_request(s, buf);
	if (rc == -EPERM || rc == -ENOBUFS || rc == -EBADMSG)
		return rc; /* the probe itself failed: says nothing about ESP */
	if (rc) {
		snprintf(why, why_len, "%s (%s)", s->why[0] ? s->why : "no reason given",
			 strerror(-rc));
		return 0;
	}
	snprintf(why, why_len, "accepted");
	if (kx_msg_delsa(buf, sizeof(buf), s->seq++, AF_INET, sa.outer_src, sa.outer_dst, sa.spi,
			 IPPROTO_ESP) == 0)
		kx_request(s, buf);
	return 1;
}
