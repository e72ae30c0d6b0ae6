/* Builders of XFRM netlink requests (NEWSA/UPDSA/DELSA/GETSA, NEWPOLICY/DELPOLICY)
 * from struct kx_sa / kx_policy, byte for byte as iproute2 sends them. No I/O here. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "hipd/kernel-xfrm/xfrm.h"
#include "hipd/wire/hip_proto.h"

#define KX_KEY_MAX 64

/* What one ESP suite means to the kernel. */
struct kx_alg {
	const char *enc;  /* XFRMA_ALG_CRYPT name, or NULL */
	const char *aead; /* XFRMA_ALG_AEAD name, or NULL */
	unsigned icv_bits;
	int auth; /* XFRMA_ALG_AUTH_TRUNC hmac(sha256), 128 bits */
	size_t enc_len[3], auth_len;
};

static int kx_alg_of(int suite, struct kx_alg *a)
{
	memset(a, 0, sizeof(*a));
	switch (suite) {
	case HIP_ESP_NULL_SHA256:
		*a = (struct kx_alg){.enc = "ecb(cipher_null)", .auth = 1, .auth_len = 32};
		return 0;
	case HIP_ESP_AES128_CBC_SHA256:
		*a = (struct kx_alg){.enc = "cbc(aes)", .auth = 1, .enc_len = {16}, .auth_len = 32};
		return 0;
	case HIP_ESP_AES256_CBC_SHA256:
		*a = (struct kx_alg){.enc = "cbc(aes)", .auth = 1, .enc_len = {32}, .auth_len = 32};
		return 0;
	case HIP_ESP_AES_GCM_8:
	case HIP_ESP_AES_GCM_16:
		/* RFC 4106 section 8.1: AES-128/192/256 key followed by a 4-byte salt */
		*a = (struct kx_alg){.aead = "rfc4106(gcm(aes))",
				     .icv_bits = suite == HIP_ESP_AES_GCM_8 ? 64 : 128,
				     .enc_len = {20, 28, 36}};
		return 0;
	default:
		return -ENOTSUP;
	}
}

static int kx_alg_check(const struct kx_alg *a, const struct kx_sa *sa)
{
	int ok = 0;

	for (size_t i = 0; i < 3; i++)
		ok |= (a->enc_len[i] == sa->enc_key_len && (i == 0 || a->enc_len[i]));
	if (!ok || sa->auth_key_len != a->auth_len)
		return -EINVAL;
	if ((sa->enc_key_len && !sa->enc_key) || (sa->auth_key_len && !sa->auth_key))
		return -EINVAL;
	return 0;
}

static size_t kx_addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static void kx_addr(xfrm_address_t *a, int family, const uint8_t *src)
{
	memset(a, 0, sizeof(*a));
	if (src)
		memcpy(a, src, kx_addr_len(family));
}

static uint64_t kx_limit(uint64_t v)
{
	return v ? v : XFRM_INF;
}

static struct nlmsghdr *kx_start(void *buf, size_t cap, uint16_t type, uint16_t flags, uint32_t seq,
				 size_t fixed)
{
	struct nlmsghdr *nlh;

	if (cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(fixed))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, fixed);
	return nlh;
}

static void kx_selector(struct xfrm_selector *sel, int family, const uint8_t *src,
			const uint8_t *dst, uint8_t src_prefix, uint8_t dst_prefix)
{
	kx_addr(&sel->saddr, family, src);
	kx_addr(&sel->daddr, family, dst);
	sel->family = (uint16_t)family;
	sel->prefixlen_s = src_prefix;
	sel->prefixlen_d = dst_prefix;
}

static int kx_put_crypt(struct nlmsghdr *nlh, size_t cap, const char *name, const uint8_t *key,
			size_t len)
{
	uint8_t b[sizeof(struct xfrm_algo) + KX_KEY_MAX] = {0};
	struct xfrm_algo *alg = (struct xfrm_algo *)b;

	strncpy(alg->alg_name, name, sizeof(alg->alg_name) - 1);
	alg->alg_key_len = (unsigned)(len * 8);
	if (len)
		memcpy(alg->alg_key, key, len);
	return mnl_attr_put_check(nlh, cap, XFRMA_ALG_CRYPT, sizeof(*alg) + len, b) ? 0 : -ENOBUFS;
}

static int kx_put_auth(struct nlmsghdr *nlh, size_t cap, const uint8_t *key, size_t len)
{
	uint8_t b[sizeof(struct xfrm_algo_auth) + KX_KEY_MAX] = {0};
	struct xfrm_algo_auth *alg = (struct xfrm_algo_auth *)b;

	strncpy(alg->alg_name, "hmac(sha256)", sizeof(alg->alg_name) - 1);
	alg->alg_key_len = (unsigned)(len * 8);
	alg->alg_trunc_len = 128; /* HMAC-SHA-256-128, RFC 4868 */
	memcpy(alg->alg_key, key, len);
	return mnl_attr_put_check(nlh, cap, XFRMA_ALG_AUTH_TRUNC, sizeof(*alg) + len, b) ? 0
											 : -ENOBUFS;
}

static int kx_put_aead(struct nlmsghdr *nlh, size_t cap, const struct kx_alg *a, const uint8_t *key,
		       size_t len)
{
	uint8_t b[sizeof(struct xfrm_algo_aead) + KX_KEY_MAX] = {0};
	struct xfrm_algo_aead *alg = (struct xfrm_algo_aead *)b;

	strncpy(alg->alg_name, a->aead, sizeof(alg->alg_name) - 1);
	alg->alg_key_len = (unsigned)(len * 8);
	alg->alg_icv_len = a->icv_bits;
	memcpy(alg->alg_key, key, len);
	return mnl_attr_put_check(nlh, cap, XFRMA_ALG_AEAD, sizeof(*alg) + len, b) ? 0 : -ENOBUFS;
}

static int kx_put_algs(struct nlmsghdr *nlh, size_t cap, const struct kx_alg *a,
		       const struct kx_sa *sa)
{
	int rc;

	if (a->aead)
		return kx_put_aead(nlh, cap, a, sa->enc_key, sa->enc_key_len);
	rc = kx_put_crypt(nlh, cap, a->enc, sa->enc_key, sa->enc_key_len);
	return rc ? rc : kx_put_auth(nlh, cap, sa->auth_key, sa->auth_key_len);
}

static int kx_put_encap(struct nlmsghdr *nlh, size_t cap, const struct kx_sa *sa)
{
	struct xfrm_encap_tmpl e;

	if (!sa->encap_sport && !sa->encap_dport)
		return 0;
	memset(&e, 0, sizeof(e));
	e.encap_type = UDP_ENCAP_ESPINUDP;
	e.encap_sport = htons(sa->encap_sport);
	e.encap_dport = htons(sa->encap_dport);
	return mnl_attr_put_check(nlh, cap, XFRMA_ENCAP, sizeof(e), &e) ? 0 : -ENOBUFS;
}

/* iproute2 keeps windows up to 32 (the legacy bitmap) in xfrm_usersa_info and
 * sends larger ones as a bitmap-less xfrm_replay_state_esn (the kernel then
 * wants replay_window 0 in the SA). */
static int kx_put_replay(struct nlmsghdr *nlh, size_t cap, const struct kx_sa *sa)
{
	struct xfrm_replay_state_esn r;

	if (sa->replay_window <= 32)
		return 0;
	memset(&r, 0, sizeof(r));
	r.replay_window = sa->replay_window;
	r.bmp_len = (sa->replay_window + 31) / 32;
	return mnl_attr_put_check(nlh, cap, XFRMA_REPLAY_ESN_VAL, sizeof(r), &r) ? 0 : -ENOBUFS;
}

static int kx_sa_check(const struct kx_sa *sa, struct kx_alg *a)
{
	int rc;

	if (!kx_addr_len(sa->outer_family) || !kx_addr_len(sa->inner_family) || sa->spi < 256)
		return -EINVAL;
	rc = kx_alg_of(sa->suite, a);
	return rc ? rc : kx_alg_check(a, sa);
}

static void kx_sa_info(struct xfrm_usersa_info *x, const struct kx_sa *sa)
{
	uint8_t bits = sa->inner_family == AF_INET ? 32 : 128;

	kx_selector(&x->sel, sa->inner_family, sa->inner_src, sa->inner_dst, bits, bits);
	kx_addr(&x->id.daddr, sa->outer_family, sa->outer_dst);
	x->id.spi = htonl(sa->spi);
	x->id.proto = IPPROTO_ESP;
	kx_addr(&x->saddr, sa->outer_family, sa->outer_src);
	x->lft.soft_byte_limit = kx_limit(sa->soft_byte_limit);
	x->lft.hard_byte_limit = kx_limit(sa->hard_byte_limit);
	x->lft.soft_packet_limit = kx_limit(sa->soft_packet_limit);
	x->lft.hard_packet_limit = kx_limit(sa->hard_packet_limit);
	x->lft.soft_add_expires_seconds = sa->soft_add_expires_seconds;
	x->lft.hard_add_expires_seconds = sa->hard_add_expires_seconds;
	x->reqid = sa->reqid;
	x->family = (uint16_t)sa->outer_family;
	x->mode = XFRM_MODE_BEET;
	x->replay_window = sa->replay_window <= 32 ? (uint8_t)sa->replay_window : 0;
}

static int kx_msg_sa(void *buf, size_t cap, uint16_t type, uint32_t seq, const struct kx_sa *sa)
{
	struct nlmsghdr *nlh;
	struct kx_alg a;
	int rc;

	rc = kx_sa_check(sa, &a);
	if (rc)
		return rc;
	nlh = kx_start(buf, cap, type, NLM_F_REQUEST | NLM_F_ACK, seq,
		       sizeof(struct xfrm_usersa_info));
	if (!nlh)
		return -ENOBUFS;
	kx_sa_info(mnl_nlmsg_get_payload(nlh), sa);
	rc = kx_put_algs(nlh, cap, &a, sa);
	if (!rc)
		rc = kx_put_encap(nlh, cap, sa);
	return rc ? rc : kx_put_replay(nlh, cap, sa);
}

int kx_msg_newsa(void *buf, size_t cap, uint32_t seq, const struct kx_sa *sa)
{
	return kx_msg_sa(buf, cap, XFRM_MSG_NEWSA, seq, sa);
}

int kx_msg_updsa(void *buf, size_t cap, uint32_t seq, const struct kx_sa *sa)
{
	return kx_msg_sa(buf, cap, XFRM_MSG_UPDSA, seq, sa);
}

static int kx_msg_said(void *buf, size_t cap, uint16_t type, uint16_t flags, uint32_t seq,
		       int family, const uint8_t *saddr, const uint8_t *daddr, uint32_t spi,
		       int proto)
{
	struct nlmsghdr *nlh;
	struct xfrm_usersa_id *id;
	xfrm_address_t src;

	if (!kx_addr_len(family) || !daddr || proto < 0 || proto > 255)
		return -EINVAL;
	nlh = kx_start(buf, cap, type, flags, seq, sizeof(*id));
	if (!nlh)
		return -ENOBUFS;
	id = mnl_nlmsg_get_payload(nlh);
	kx_addr(&id->daddr, family, daddr);
	id->spi = htonl(spi);
	id->family = (uint16_t)family;
	id->proto = (uint8_t)proto;
	/* iproute2 always sends it, zero without src; for ESP the kernel finds
	 * the SA by (daddr, spi) alone */
	kx_addr(&src, family, saddr);
	return mnl_attr_put_check(nlh, cap, XFRMA_SRCADDR, sizeof(src), &src) ? 0 : -ENOBUFS;
}

int kx_msg_delsa(void *buf, size_t cap, uint32_t seq, int family, const uint8_t *saddr,
		 const uint8_t *daddr, uint32_t spi, int proto)
{
	return kx_msg_said(buf, cap, XFRM_MSG_DELSA, NLM_F_REQUEST | NLM_F_ACK, seq, family, saddr,
			   daddr, spi, proto);
}

/* iproute2 asks without NLM_F_ACK: the SA itself is the answer. */
int kx_msg_getsa(void *buf, size_t cap, uint32_t seq, int family, const uint8_t *saddr,
		 const uint8_t *daddr, uint32_t spi, int proto)
{
	return kx_msg_said(buf, cap, XFRM_MSG_GETSA, NLM_F_REQUEST, seq, family, saddr, daddr, spi,
			   proto);
}

static int kx_policy_check(const struct kx_policy *p)
{
	unsigned max = p->inner_family == AF_INET ? 32 : 128;

	if (!kx_addr_len(p->inner_family) || p->sel_src_prefix > max || p->sel_dst_prefix > max)
		return -EINVAL;
	if (p->dir != KX_DIR_IN && p->dir != KX_DIR_OUT && p->dir != KX_DIR_FWD)
		return -EINVAL;
	return 0;
}

static void kx_tmpl(struct xfrm_user_tmpl *t, const struct kx_policy *p)
{
	memset(t, 0, sizeof(*t));
	kx_addr(&t->id.daddr, p->outer_family, p->tmpl_dst);
	t->id.proto = IPPROTO_ESP;
	t->family = (uint16_t)p->outer_family;
	kx_addr(&t->saddr, p->outer_family, p->tmpl_src);
	t->reqid = p->reqid;
	t->mode = XFRM_MODE_BEET;
	t->aalgos = t->ealgos = t->calgos = ~0u;
}

int kx_msg_newpolicy(void *buf, size_t cap, uint32_t seq, const struct kx_policy *p)
{
	struct nlmsghdr *nlh;
	struct xfrm_userpolicy_info *x;
	struct xfrm_user_tmpl t;

	if (kx_policy_check(p) || !kx_addr_len(p->outer_family))
		return -EINVAL;
	nlh = kx_start(buf, cap, XFRM_MSG_NEWPOLICY, NLM_F_REQUEST | NLM_F_ACK, seq, sizeof(*x));
	if (!nlh)
		return -ENOBUFS;
	x = mnl_nlmsg_get_payload(nlh);
	kx_selector(&x->sel, p->inner_family, p->sel_src, p->sel_dst, p->sel_src_prefix,
		    p->sel_dst_prefix);
	x->lft.soft_byte_limit = x->lft.hard_byte_limit = XFRM_INF;
	x->lft.soft_packet_limit = x->lft.hard_packet_limit = XFRM_INF;
	x->priority = p->priority;
	x->dir = (uint8_t)p->dir;
	x->action = XFRM_POLICY_ALLOW;
	kx_tmpl(&t, p);
	return mnl_attr_put_check(nlh, cap, XFRMA_TMPL, sizeof(t), &t) ? 0 : -ENOBUFS;
}

int kx_msg_delpolicy(void *buf, size_t cap, uint32_t seq, const struct kx_policy *p)
{
	struct nlmsghdr *nlh;
	struct xfrm_userpolicy_id *id;

	if (kx_policy_check(p))
		return -EINVAL;
	nlh = kx_start(buf, cap, XFRM_MSG_DELPOLICY, NLM_F_REQUEST | NLM_F_ACK, seq, sizeof(*id));
	if (!nlh)
		return -ENOBUFS;
	id = mnl_nlmsg_get_payload(nlh);
	kx_selector(&id->sel, p->inner_family, p->sel_src, p->sel_dst, p->sel_src_prefix,
		    p->sel_dst_prefix);
	id->dir = (uint8_t)p->dir;
	return 0;
}

size_t kx_msg_len(const void *buf)
{
	return ((const struct nlmsghdr *)buf)->nlmsg_len;
}

int kx_policy_prefix(struct kx_policy *p, int inner_family, int outer_family)
{
	if (!kx_addr_len(inner_family) || !kx_addr_len(outer_family))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->dir = KX_DIR_OUT;
	p->inner_family = inner_family;
	p->outer_family = outer_family;
	p->priority = KX_PRIORITY_PREFIX;
	if (inner_family == AF_INET6) {
		p->sel_dst[0] = 0x20; /* 2001:20::/28, RFC 7343 ORCHIDv2 */
		p->sel_dst[1] = 0x01;
		p->sel_dst[3] = 0x20;
		p->sel_dst_prefix = 28;
	} else {
		p->sel_dst[0] = 1; /* 1.0.0.0/8, hipd's LSIs */
		p->sel_dst_prefix = 8;
	}
	return 0;
}
