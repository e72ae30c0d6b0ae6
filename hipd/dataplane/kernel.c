/* The kernel data plane: BEET-mode ESP SAs and per-HIT-pair policies in the
 * kernel's XFRM (hipd/kernel-xfrm/), ESP in UDP 10500 when the association runs
 * over UDP; an ACQUIRE starts a base exchange, a soft EXPIRE a rekey. hipd
 * moves no data packets here; hit0 only holds the HITs and routes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/bex.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/dataplane/hit0.h"
#include "hipd/hipd.h"
#include "hipd/nat.h"
#include "hipd/kernel-xfrm/xfrm.h"
#include "hipd/transport.h"
#include "hipd/update.h"

#define K_REPLAY_WINDOW	   128
#define K_SOFT_PACKETS	   0xf0000000ull /* rekey well before 32-bit sequence numbers run out */
#define LARVAL_DROP_SYSCTL "/proc/sys/net/core/xfrm_larval_drop"

struct k_dp {
	struct hipd *h;
	struct hit0 tun;
	uv_poll_t tun_poll;
	struct kx_sock req;
	struct kx_sock ev;
	uv_poll_t ev_poll;
	int closing;
	uint32_t next_reqid;
	struct dataplane_counters c;
};

/* What was installed for one association, to remove exactly that. */
struct k_ha {
	bool installed;
	uint32_t reqid;
	struct sockaddr_storage local, peer;
	uint32_t spi_in, spi_out, spi_in_old;
	uint16_t encap_port; /* 0: plain ESP */
};

static const char *peer_str(const struct in6_addr *hit)
{
	static char buf[HIT_STRLEN];

	return hit_to_str(hit, buf);
}

static void addr_bytes(const struct sockaddr_storage *ss, int *family, uint8_t out[16])
{
	memset(out, 0, 16);
	*family = ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

static int request(struct k_dp *k, void *msg, const char *what, const struct hip_ha *ha)
{
	int rc = kx_request(&k->req, msg);

	if (rc) {
		k->c.sa_errors++;
		log_err("dataplane: kernel refused %s for %s: %s%s%s", what,
			peer_str(&ha->hit_peer), strerror(-rc), k->req.why[0] ? ": " : "",
			k->req.why);
	}
	return rc;
}

/* One SA: outbound (from us to the peer) or inbound, with the keys for it. */
static int add_sa(struct k_dp *k, const struct hip_ha *ha, const struct k_ha *kh, bool out,
		  uint32_t spi)
{
	const struct hip_keys *keys = &ha->keys;
	uint8_t msg[KX_MSG_MAX];
	struct kx_sa sa = {
	    .spi = spi,
	    .inner_family = AF_INET6,
	    .suite = ha->esp_suite,
	    .enc_key = out ? keys->esp_enc_out : keys->esp_enc_in,
	    .enc_key_len = keys->esp_enc_len,
	    .auth_key = out ? keys->esp_auth_out : keys->esp_auth_in,
	    .auth_key_len = keys->esp_auth_len,
	    .encap_sport = kh->encap_port,
	    .encap_dport = kh->encap_port,
	    .replay_window = K_REPLAY_WINDOW,
	    .reqid = kh->reqid,
	    .soft_packet_limit = K_SOFT_PACKETS,
	};
	int fam;

	addr_bytes(out ? &kh->local : &kh->peer, &fam, sa.outer_src);
	addr_bytes(out ? &kh->peer : &kh->local, &sa.outer_family, sa.outer_dst);
	memcpy(sa.inner_src, out ? &ha->hit_local : &ha->hit_peer, 16);
	memcpy(sa.inner_dst, out ? &ha->hit_peer : &ha->hit_local, 16);
	int rc = kx_msg_newsa(msg, sizeof(msg), k->req.seq++, &sa);
	return rc ? rc : request(k, msg, out ? "the outbound SA" : "the inbound SA", ha);
}

static int del_sa(struct k_dp *k, const struct hip_ha *ha, const struct sockaddr_storage *dst,
		  uint32_t spi)
{
	uint8_t msg[KX_MSG_MAX], daddr[16];
	int fam;

	if (!spi)
		return 0;
	addr_bytes(dst, &fam, daddr);
	int rc = kx_msg_delsa(msg, sizeof(msg), k->req.seq++, fam, NULL, daddr, spi, IPPROTO_ESP);
	return rc ? rc : request(k, msg, "deleting an SA", ha);
}

static void pair_policy(const struct hip_ha *ha, const struct k_ha *kh, int dir,
			struct kx_policy *p)
{
	bool out = dir == KX_DIR_OUT;
	int fam;

	memset(p, 0, sizeof(*p));
	p->dir = dir;
	p->inner_family = AF_INET6;
	memcpy(p->sel_src, out ? &ha->hit_local : &ha->hit_peer, 16);
	memcpy(p->sel_dst, out ? &ha->hit_peer : &ha->hit_local, 16);
	p->sel_src_prefix = p->sel_dst_prefix = 128;
	addr_bytes(out ? &kh->local : &kh->peer, &fam, p->tmpl_src);
	addr_bytes(out ? &kh->peer : &kh->local, &p->outer_family, p->tmpl_dst);
	p->reqid = kh->reqid;
	p->priority = KX_PRIORITY_PAIR;
}

static int policies(struct k_dp *k, const struct hip_ha *ha, const struct k_ha *kh, bool add)
{
	static const int dirs[] = {KX_DIR_OUT, KX_DIR_IN};
	uint8_t msg[KX_MSG_MAX];
	struct kx_policy p;
	int rc = 0;

	for (size_t i = 0; i < 2; i++) {
		pair_policy(ha, kh, dirs[i], &p);
		int e = add ? kx_msg_newpolicy(msg, sizeof(msg), k->req.seq++, &p)
			    : kx_msg_delpolicy(msg, sizeof(msg), k->req.seq++, &p);
		if (!e)
			e = request(k, msg, add ? "a policy" : "deleting a policy", ha);
		rc = rc ? rc : e;
	}
	return rc;
}

static struct k_ha *k_ha_get(struct hip_ha *ha)
{
	if (!ha->dp)
		ha->dp = calloc(1, sizeof(struct k_ha));
	return ha->dp;
}

static void uninstall(struct k_dp *k, struct hip_ha *ha)
{
	struct k_ha *kh = ha->dp;

	if (!kh || !kh->installed)
		return;
	policies(k, ha, kh, false);
	del_sa(k, ha, &kh->peer, kh->spi_out);
	del_sa(k, ha, &kh->local, kh->spi_in);
	del_sa(k, ha, &kh->local, kh->spi_in_old);
	kh->installed = false;
	log_info("dataplane: kernel SAs and policies for %s removed", peer_str(&ha->hit_peer));
}

static int install(struct k_dp *k, struct hip_ha *ha)
{
	struct k_ha *kh = k_ha_get(ha);
	int rc;

	if (!kh)
		return -ENOMEM;
	kh->reqid = kh->reqid ? kh->reqid : k->next_reqid++;
	kh->local = ha->local_addr;
	kh->peer = ha->peer_addr;
	kh->encap_port = ha->transport == HIP_TRANSPORT_UDP ? k->h->cfg.udp_port : 0;
	kh->spi_in = ha->spi_in;
	kh->spi_out = ha->spi_out;
	kh->spi_in_old = 0;
	kh->installed = true;
	rc = add_sa(k, ha, kh, true, ha->spi_out);
	if (!rc)
		rc = add_sa(k, ha, kh, false, ha->spi_in);
	if (!rc)
		rc = policies(k, ha, kh, true);
	if (rc) {
		uninstall(k, ha);
		return rc;
	}
	log_info("dataplane: kernel BEET SAs for %s (SPI in 0x%08x, out 0x%08x, %s)",
		 peer_str(&ha->hit_peer), ha->spi_in, ha->spi_out,
		 kh->encap_port ? "ESP in UDP" : "plain ESP");
	return 0;
}

static void k_ha_state(void *state, struct hip_ha *ha)
{
	struct k_dp *k = state;
	struct k_ha *kh = ha->dp;
	bool keyed = ha->state == HIP_STATE_R2_SENT || ha->state == HIP_STATE_ESTABLISHED;

	if (!keyed) {
		uninstall(k, ha);
		return;
	}
	if (kh && kh->installed && kh->spi_in == ha->spi_in && kh->spi_out == ha->spi_out)
		return;
	if (nat_ha_pending(ha))
		return; /* ICE is still choosing the addresses the SAs will carry */
	if (nat_ha_relayed(ha)) {
		log_err("dataplane: %s: the kernel cannot send ESP through a TURN relay; use "
			"--dataplane userspace for relayed paths",
			peer_str(&ha->hit_peer));
		return;
	}
	uninstall(k, ha); /* a new base exchange replaced the keys */
	if (install(k, ha))
		log_err("dataplane: no kernel SAs for %s", peer_str(&ha->hit_peer));
}

/* The new inbound SA (same reqid, so the inbound policy accepts what it
 * carries) beside the current one; the kernel finds inbound SAs by SPI, so
 * both take packets until update_tick drops the old one. */
static void k_ha_rekey_in(void *state, struct hip_ha *ha)
{
	struct k_dp *k = state;
	struct k_ha *kh = ha->dp;

	if (!kh || !kh->installed)
		return;
	if (add_sa(k, ha, kh, false, ha->spi_in)) {
		log_err("dataplane: rekeyed inbound kernel SA for %s not installed",
			peer_str(&ha->hit_peer));
		return;
	}
	del_sa(k, ha, &kh->local, kh->spi_in_old);
	kh->spi_in_old = kh->spi_in;
	kh->spi_in = ha->spi_in;
	ha->spi_in_old = kh->spi_in_old;
}

/* The new outbound SA (same reqid and addresses, so the outbound policy
 * picks it up), then the old one goes, which moves traffic to the new one.
 * This backend switches on the peer's ACK only, not on the first packet on
 * the new inbound SA (RFC 7402 3.3.2 allows either): the kernel tells of that
 * packet only if we poll the SA's counters (XFRM_MSG_GETSA), and the ACK comes
 * anyway, our UPDATE being retransmitted until it does. The new inbound SA is
 * in since we answered, so nothing the peer sends meanwhile is lost. */
static void k_ha_rekey_out(void *state, struct hip_ha *ha)
{
	struct k_dp *k = state;
	struct k_ha *kh = ha->dp;

	if (!kh || !kh->installed)
		return;
	if (add_sa(k, ha, kh, true, ha->spi_out)) {
		log_err("dataplane: rekeyed outbound kernel SA for %s not installed",
			peer_str(&ha->hit_peer));
		return;
	}
	del_sa(k, ha, &kh->peer, kh->spi_out);
	kh->spi_out = ha->spi_out;
}

static void k_ha_drop_old(void *state, struct hip_ha *ha)
{
	struct k_ha *kh = ha->dp;

	if (!kh || !kh->spi_in_old)
		return;
	del_sa(state, ha, &kh->local, kh->spi_in_old);
	kh->spi_in_old = 0;
	ha->spi_in_old = 0;
}

static void k_ha_free(void *state, struct hip_ha *ha)
{
	uninstall(state, ha);
	free(ha->dp);
	ha->dp = NULL;
}

/* ACQUIRE: a packet to a HIT matched the prefix policy; start a base exchange.
 * EXPIRE (soft) on one of our SAs: rekey. */
static void on_acquire(struct k_dp *k, const struct kx_event *ev)
{
	struct in6_addr src, dst;
	const struct hostid *id;

	if (ev->sel_family != AF_INET6)
		return;
	memcpy(&src, ev->sel_src, 16);
	memcpy(&dst, ev->sel_dst, 16);
	id = hipd_identity(k->h, &src);
	if (!id)
		id = hipd_default_identity(k->h);
	int rc = bex_trigger_from(k->h, &id->hit, &dst, HIPD_FAULT_NONE);
	if (rc && rc != -EINPROGRESS && rc != -EALREADY) {
		log_info("dataplane: ACQUIRE for %s: %s", peer_str(&dst),
			 rc == -EHOSTUNREACH ? "no locator for this HIT" : strerror(-rc));
		return;
	}
	k->c.acquires++;
	log_info("dataplane: ACQUIRE for %s: base exchange", peer_str(&dst));
	stamp_emit("dp.trigger", json_pack("{s:s,s:s}", "peer", peer_str(&dst), "via", "acquire"));
}

static void on_expire(struct k_dp *k, const struct kx_event *ev)
{
	for (struct hip_ha *ha = k->h->db.has; ha; ha = ha->next) {
		struct k_ha *kh = ha->dp;
		if (!kh || (ev->spi != kh->spi_in && ev->spi != kh->spi_out))
			continue;
		if (ev->hard) {
			log_warn("dataplane: kernel SA 0x%08x of %s expired", ev->spi,
				 peer_str(&ha->hit_peer));
			return;
		}
		k->c.expires++;
		update_rekey_start(ha);
		return;
	}
}

static void on_event(uv_poll_t *p, int status, int events)
{
	struct k_dp *k = p->data;
	struct kx_event ev;

	if (status < 0 || !(events & UV_READABLE))
		return;
	for (int i = 0; i < 64; i++) {
		int rc = kx_listen_read(&k->ev, &ev);
		if (rc == -EAGAIN)
			return;
		if (rc == -ENOBUFS) {
			log_warn("dataplane: the kernel dropped XFRM events (socket buffer full)");
			continue;
		}
		if (rc)
			continue;
		if (ev.type == KX_EV_ACQUIRE)
			on_acquire(k, &ev);
		else if (ev.type == KX_EV_EXPIRE)
			on_expire(k, &ev);
	}
}

/* Packets that reach hit0 found no policy (LSIs, which this backend does not
 * carry): read and counted so the queue never fills. */
static void on_tun(uv_poll_t *p, int status, int events)
{
	struct k_dp *k = p->data;
	uint8_t buf[2048];

	if (status < 0 || !(events & UV_READABLE))
		return;
	for (int i = 0; i < 64 && read(k->tun.fd, buf, sizeof(buf)) > 0; i++) {
		k->c.tun_in++;
		k->c.no_sa++;
	}
}

/* Already off (e.g. by sysctl.d when hipd does not run as root)? */
static bool larval_off(void)
{
	char c = 0;
	int fd = open(LARVAL_DROP_SYSCTL, O_RDONLY | O_CLOEXEC);
	bool off = fd >= 0 && read(fd, &c, 1) == 1 && c == '0';

	if (fd >= 0)
		close(fd);
	return off;
}

/* With larval drop off, the kernel queues a flow's first packets while the
 * base exchange runs instead of dropping them. */
static void larval_queue(void)
{
	if (larval_off())
		return;
	int fd = open(LARVAL_DROP_SYSCTL, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "0\n", 2) != 2)
		log_warn("dataplane: cannot set %s to 0: first packets to new HITs are dropped",
			 LARVAL_DROP_SYSCTL);
	if (fd >= 0)
		close(fd);
}

static int prefix_policy(struct k_dp *k, bool add)
{
	uint8_t msg[KX_MSG_MAX];
	struct kx_policy p;
	int rc = kx_policy_prefix(&p, AF_INET6, AF_INET);

	if (!rc)
		rc = add ? kx_msg_newpolicy(msg, sizeof(msg), k->req.seq++, &p)
			 : kx_msg_delpolicy(msg, sizeof(msg), k->req.seq++, &p);
	if (!rc)
		rc = kx_request(&k->req, msg);
	if (rc == -EEXIST && add) { /* left by an earlier hipd: take it over */
		kx_msg_delpolicy(msg, sizeof(msg), k->req.seq++, &p);
		kx_request(&k->req, msg);
		kx_msg_newpolicy(msg, sizeof(msg), k->req.seq++, &p);
		rc = kx_request(&k->req, msg);
	}
	return rc;
}

static void k_free(struct k_dp *k)
{
	kx_close(&k->req);
	kx_close(&k->ev);
	hit0_close(&k->tun);
	free(k);
}

/* hit0 with our HITs and LSI, the XFRM sockets, the ACQUIRE policy, and ESP in
 * UDP on the HIP socket. 0 or -errno with *why naming the step that failed. */
static int k_setup(struct k_dp *k, struct hipd *h, const char **why)
{
	struct in_addr lsi = {htonl(HADB_LSI_LOCAL)};
	int rc = hit0_open(&k->tun, HIT0_NAME, 1500, why);

	for (size_t i = 0; !rc && i < h->nids; i++)
		rc = hit0_add_hit(&k->tun, &h->ids[i]->hit);
	if (!rc)
		rc = hit0_add_lsi(&k->tun, &lsi);
	if (rc)
		return rc;
	*why = "XFRM netlink socket";
	rc = kx_open(&k->req);
	if (!rc)
		rc = kx_listen_open(&k->ev);
	if (rc)
		return rc;
	*why = "the ACQUIRE policy for 2001:20::/28";
	rc = prefix_policy(k, true);
	if (rc)
		return rc;
	*why = "UDP_ENCAP on the HIP UDP socket";
	return transport_kernel_esp_in_udp(h->tr);
}

static int k_open(struct hipd *h, void **state)
{
	struct k_dp *k = calloc(1, sizeof(*k));
	const char *why = "out of memory";
	int rc;

	if (!k)
		return -ENOMEM;
	k->tun.fd = -1;
	rc = k_setup(k, h, &why);
	if (rc) {
		log_err("dataplane: kernel backend: %s: %s%s%s", why, strerror(-rc),
			k->req.why[0] ? ": " : "", k->req.why);
		k_free(k);
		return rc;
	}
	fcntl(kx_fd(&k->ev), F_SETFL, fcntl(kx_fd(&k->ev), F_GETFL) | O_NONBLOCK);
	larval_queue();
	k->h = h;
	k->next_reqid = 0x4849; /* "HI": ours, easy to spot in ip xfrm output */
	uv_poll_init(h->loop, &k->ev_poll, kx_fd(&k->ev));
	uv_poll_init(h->loop, &k->tun_poll, k->tun.fd);
	k->ev_poll.data = k->tun_poll.data = k;
	uv_poll_start(&k->ev_poll, UV_READABLE, on_event);
	uv_poll_start(&k->tun_poll, UV_READABLE, on_tun);
	log_info("dataplane: kernel XFRM (BEET ESP, ESP in UDP %u when over UDP) with %s (mtu %u)",
		 h->cfg.udp_port, k->tun.name, k->tun.mtu);
	*state = k;
	return 0;
}

static void on_closed(uv_handle_t *handle)
{
	struct k_dp *k = handle->data;

	if (--k->closing == 0)
		k_free(k);
}

static void k_close(void *state)
{
	struct k_dp *k = state;

	prefix_policy(k, false);
	k->closing = 2;
	uv_poll_stop(&k->ev_poll);
	uv_poll_stop(&k->tun_poll);
	uv_close((uv_handle_t *)&k->ev_poll, on_closed);
	uv_close((uv_handle_t *)&k->tun_poll, on_closed);
}

static const struct dataplane_counters *k_counters(const void *state)
{
	return &((const struct k_dp *)state)->c;
}

static const char *k_device(const void *state)
{
	return ((const struct k_dp *)state)->tun.name;
}

const struct dataplane_backend dataplane_kernel = {
    .name = "kernel",
    .open = k_open,
    .close = k_close,
    .ha_state = k_ha_state,
    .ha_rekey_in = k_ha_rekey_in,
    .ha_rekey_out = k_ha_rekey_out,
    .ha_drop_old = k_ha_drop_old,
    .ha_free = k_ha_free,
    .counters = k_counters,
    .device = k_device,
};
