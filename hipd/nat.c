/* NAT traversal for hipd (RFC 5770 ICE-STUN-UDP): negotiation of the mode and Ta in
 * the base exchange, the ICE offer/answer in LOCATOR_SET, and one ICE agent per
 * association whose nominated pair carries HIP and ESP. Candidates: nat_gather.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/bex.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/hipd.h"
#include "hipd/nat.h"
#include "hipd/nat_host.h"
#include "hipd/output.h"
#include "hipd/transport.h"
#include "hipd/wire/hip_proto.h"
#include "ice/ice.h"
#include "ice/stun.h"

#define PACING_DEFAULT_MS 500  /* RFC 5770 4.4: a host that sends no TRANSACTION_PACING */
#define LOCATOR_LIFETIME  3600 /* seconds */
#define KEEPALIVE_S	  15   /* RFC 5770 4.7 */

enum nat_ha_state { NAT_IDLE, NAT_CHECKING, NAT_CONNECTED, NAT_FAILED };

struct nat_ha {
	struct ice_agent *agent;
	struct ice_cand remote[HIP_MAX_LOCATORS];
	size_t n_remote;
	enum nat_ha_state st;
	struct ice_cand sel_local, sel_remote;
	bool relayed; /* the selected local candidate sends through our TURN allocation */
	uint64_t checks_start_ns;
};

static const char *peer_str(const struct hip_ha *ha)
{
	static char s[INET6_ADDRSTRLEN];

	return inet_ntop(AF_INET6, &ha->hit_peer, s, sizeof(s));
}

bool nat_ice_configured(const struct hipd *h)
{
	for (size_t i = 0; i < h->cfg.nat_modes.n; i++)
		if (h->cfg.nat_modes.ids[i] == HIP_NAT_MODE_ICE_STUN_UDP)
			return true;
	return false;
}

int nat_init(struct hipd *h)
{
	if (!nat_ice_configured(h))
		return 0;
	return nat_host_init(h, &h->nat);
}

void nat_close(struct hipd *h)
{
	nat_host_close(h->nat);
	h->nat = NULL;
}

static const char *mode_name(uint16_t m)
{
	return m == HIP_NAT_MODE_ICE_STUN_UDP ? "ICE-STUN-UDP"
	       : m == HIP_NAT_MODE_UDP_ENCAP  ? "UDP-ENCAPSULATION"
					      : "unknown";
}

json_t *nat_json(const struct hipd *h)
{
	json_t *o = h->nat ? nat_host_json(h) : json_object();
	json_t *modes = json_array();

	for (size_t i = 0; i < h->cfg.nat_modes.n; i++)
		json_array_append_new(modes, json_string(mode_name(h->cfg.nat_modes.ids[i])));
	json_object_set_new(o, "modes", modes);
	json_object_set_new(o, "ta_ms", json_integer(h->cfg.ice_ta_ms));
	json_object_set_new(o, "policy", json_string(h->cfg.ice_relay_only ? "relay" : "all"));
	return o;
}

/* ---- negotiation (RFC 5770 4.3, 4.4) ---- */

int nat_build_r1(const struct hipd *h, struct wbuf *w)
{
	if (!h->cfg.nat_modes.n)
		return 0;
	hip_p_nat_mode_encode(w, &h->cfg.nat_modes);
	if (nat_ice_configured(h))
		hip_p_pacing_encode(w, h->cfg.ice_ta_ms);
	return wbuf_error(w);
}

static uint32_t peer_pacing(const struct hip_msg *m)
{
	uint32_t ta;

	if (hip_p_pacing_decode(hip_msg_find(m, HIP_PARAM_TRANSACTION_PACING), &ta) || ta == 0)
		return PACING_DEFAULT_MS;
	return ta;
}

void nat_on_r1(struct hip_ha *ha, const struct hip_msg *m)
{
	const struct hipd *h = ha->hipd;
	struct hip_p_list16 offered;
	uint32_t theirs;

	ha->nat_mode = 0;
	if (ha->transport != HIP_TRANSPORT_UDP || !h->cfg.nat_modes.n)
		return;
	if (hip_p_nat_mode_decode(hip_msg_find(m, HIP_PARAM_NAT_TRAVERSAL_MODE), &offered))
		return;
	ha->nat_mode = hip_p_list16_pick(&h->cfg.nat_modes, &offered);
	theirs = peer_pacing(m);
	/* "The Initiator MUST NOT propose a smaller value than what the Responder offered" */
	ha->ta_ms = theirs > h->cfg.ice_ta_ms ? theirs : h->cfg.ice_ta_ms;
}

static uint8_t kind_of(enum ice_cand_type t)
{
	switch (t) {
	case ICE_SRFLX:
		return HIP_LOCATOR_KIND_SRFLX;
	case ICE_PRFLX:
		return HIP_LOCATOR_KIND_PRFLX;
	case ICE_RELAY:
		return HIP_LOCATOR_KIND_RELAY;
	default:
		return HIP_LOCATOR_KIND_HOST;
	}
}

static void to_locator(const struct ice_cand *c, uint32_t spi, struct hip_p_locator *l)
{
	memset(l, 0, sizeof(*l));
	l->traffic = HIP_LOCATOR_TRAFFIC_BOTH;
	l->type = HIP_LOCATOR_TRANSPORT;
	l->protocol = 17;
	l->kind = kind_of(c->type);
	l->lifetime = LOCATOR_LIFETIME;
	l->priority = c->priority;
	l->spi = spi;
	if (c->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&c->addr;

		l->port = ntohs(a->sin_port);
		l->addr.s6_addr[10] = l->addr.s6_addr[11] = 0xff;
		memcpy(&l->addr.s6_addr[12], &a->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *a = (const void *)&c->addr;

		l->port = ntohs(a->sin6_port);
		l->addr = a->sin6_addr;
	}
}

int nat_build_locators(struct hip_ha *ha, struct wbuf *w)
{
	struct ice_cand c[HIP_MAX_LOCATORS];
	struct hip_p_locator_set set;
	size_t n;

	if (ha->nat_mode != HIP_NAT_MODE_ICE_STUN_UDP)
		return 0;
	n = nat_local_candidates(ha->hipd, c, HIP_MAX_LOCATORS);
	if (n > HIP_MAX_LOCATORS)
		n = HIP_MAX_LOCATORS;
	if (n == 0)
		return 0;
	set.n = n;
	for (size_t i = 0; i < n; i++)
		to_locator(&c[i], ha->spi_in, &set.loc[i]);
	return hip_p_locator_set_encode(w, &set);
}

int nat_build_i2_mode(const struct hip_ha *ha, struct wbuf *w)
{
	struct hip_p_list16 one = {.ids = {ha->nat_mode}, .n = 1};

	if (!ha->nat_mode)
		return 0;
	hip_p_nat_mode_encode(w, &one);
	if (ha->nat_mode == HIP_NAT_MODE_ICE_STUN_UDP)
		hip_p_pacing_encode(w, ha->hipd->cfg.ice_ta_ms);
	return wbuf_error(w);
}

static enum ice_cand_type type_of(uint8_t kind)
{
	switch (kind) {
	case HIP_LOCATOR_KIND_SRFLX:
		return ICE_SRFLX;
	case HIP_LOCATOR_KIND_PRFLX:
		return ICE_PRFLX;
	case HIP_LOCATOR_KIND_RELAY:
		return ICE_RELAY;
	default:
		return ICE_HOST;
	}
}

/* A remote candidate from a transport locator. LOCATOR_SET carries no
 * foundation, so it is derived from the kind and the address. */
static int from_locator(const struct hip_p_locator *l, struct ice_cand *c)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (l->type != HIP_LOCATOR_TRANSPORT || l->protocol != 17 || l->port == 0 ||
	    l->traffic == HIP_LOCATOR_TRAFFIC_SIGNALING || l->kind > HIP_LOCATOR_KIND_RELAY)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->type = type_of(l->kind);
	c->component = 1;
	c->priority = l->priority;
	if (memcmp(l->addr.s6_addr, v4mapped, sizeof(v4mapped)) == 0) {
		struct sockaddr_in *a = (void *)&c->addr;

		a->sin_family = AF_INET;
		a->sin_port = htons(l->port);
		memcpy(&a->sin_addr, &l->addr.s6_addr[12], 4);
	} else {
		struct sockaddr_in6 *a = (void *)&c->addr;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(l->port);
		a->sin6_addr = l->addr;
	}
	snprintf(c->foundation, sizeof(c->foundation), "%u%02x%02x%02x%02x", l->kind,
		 l->addr.s6_addr[12], l->addr.s6_addr[13], l->addr.s6_addr[14],
		 l->addr.s6_addr[15]);
	return 0;
}

static int take_remote(struct hip_ha *ha, const struct hip_msg *m)
{
	struct hip_p_locator_set set;
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_LOCATOR_SET);

	if (!p || hip_p_locator_set_decode(p, &set))
		return -EBADMSG;
	if (!ha->nat) {
		ha->nat = calloc(1, sizeof(*ha->nat));
		if (!ha->nat)
			return -ENOMEM;
	}
	ha->nat->n_remote = 0;
	for (size_t i = 0; i < set.n; i++)
		if (!from_locator(&set.loc[i], &ha->nat->remote[ha->nat->n_remote]))
			ha->nat->n_remote++;
	return ha->nat->n_remote ? 0 : -EBADMSG;
}

int nat_on_i2(struct hip_ha *ha, const struct hip_msg *m, const char **why)
{
	const struct hipd *h = ha->hipd;
	struct hip_p_list16 chosen;
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_NAT_TRAVERSAL_MODE);

	ha->nat_mode = 0;
	if (!p || ha->transport != HIP_TRANSPORT_UDP)
		return 0; /* RFC 5770 4.9: no mode, no NAT traversal mechanism */
	if (hip_p_nat_mode_decode(p, &chosen) ||
	    !hip_p_list16_has(&h->cfg.nat_modes, chosen.ids[0]))
		return *why = "NAT traversal mode we did not offer", -EPROTO;
	ha->nat_mode = chosen.ids[0];
	uint32_t theirs = peer_pacing(m);
	ha->ta_ms = theirs > h->cfg.ice_ta_ms ? theirs : h->cfg.ice_ta_ms;
	if (ha->nat_mode != HIP_NAT_MODE_ICE_STUN_UDP)
		return 0;
	if (take_remote(ha, m))
		return *why = "ICE-STUN-UDP chosen without usable transport locators", -EPROTO;
	return 0;
}

int nat_on_r2(struct hip_ha *ha, const struct hip_msg *m)
{
	if (ha->nat_mode != HIP_NAT_MODE_ICE_STUN_UDP)
		return 0;
	return take_remote(ha, m);
}

/* ---- the association's ICE agent ---- */

static void ufrag_of(const struct in6_addr *hit, char out[9])
{
	/* RFC 5770 5.2: the last 32 bits of the HIT, lowercase hex, 8 characters */
	snprintf(out, 9, "%02x%02x%02x%02x", hit->s6_addr[12], hit->s6_addr[13], hit->s6_addr[14],
		 hit->s6_addr[15]);
}

static void password_of(const uint8_t key[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", key[i]);
}

static void stamp_nat(const struct hip_ha *ha, const char *ev, const char *key, const char *val)
{
	char peer[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &ha->hit_peer, peer, sizeof(peer));
	stamp_emit(ev, key ? json_pack("{s:s,s:s}", "peer", peer, key, val ? val : "")
			   : json_pack("{s:s}", "peer", peer));
}

static void on_event(void *arg, const char *ev, const char *detail)
{
	stamp_nat(arg, ev, detail ? "detail" : NULL, detail);
}

/* Whether a selected local candidate sends through the TURN relay: a relayed one, or a
 * peer-reflexive one whose base is the relayed candidate (RFC 8445 7.2.5.3.1: a check sent
 * from the relayed candidate can come back with another mapped address; the new candidate
 * has the relayed one as its base, so it is sent from there too). */
static bool sel_via_relay(const struct hip_ha *ha, const struct ice_cand *c)
{
	const struct nat_host *nh = ha->hipd->nat;

	if (c->type == ICE_RELAY)
		return true;
	return c->type == ICE_PRFLX && nh && nh->has_relay &&
	       ice_sa_equal((const struct sockaddr *)&c->base,
			    (const struct sockaddr *)&nh->relayed);
}

static void ice_connected(struct hip_ha *ha)
{
	struct nat_ha *n = ha->nat;
	char l[64], r[64];

	if (ice_agent_selected(n->agent, 1, &n->sel_local, &n->sel_remote))
		return;
	n->st = NAT_CONNECTED;
	n->relayed = sel_via_relay(ha, &n->sel_local);
	memcpy(&ha->peer_addr, &n->sel_remote.addr, sizeof(ha->peer_addr));
	if (!n->relayed)
		memcpy(&ha->local_addr, &n->sel_local.base, sizeof(ha->local_addr));
	log_info("ha %s: ICE path %s%s %s -> %s %s (%.1f ms of checks)", peer_str(ha),
		 ice_cand_type_name(n->sel_local.type),
		 n->relayed && n->sel_local.type != ICE_RELAY ? " (through the relay)" : "",
		 ice_sa_str((struct sockaddr *)&n->sel_local.addr, l, sizeof(l)),
		 ice_cand_type_name(n->sel_remote.type),
		 ice_sa_str((struct sockaddr *)&n->sel_remote.addr, r, sizeof(r)),
		 (double)(stamp_now_ns() - n->checks_start_ns) / 1e6);
	stamp_nat(ha, "ice.connected", "local_type", ice_cand_type_name(n->sel_local.type));
	hadb_answer_waiter(ha,
			   json_pack("{s:b,s:s,s:s}", "ok", 1, "state", hip_state_name(ha->state),
				     "path", ice_cand_type_name(n->sel_local.type)));
	dataplane_ha_state(ha);
}

static void ice_failed(struct hip_ha *ha, const char *reason)
{
	struct hip_rx rx = {.transport = HIP_TRANSPORT_UDP};

	ha->nat->st = NAT_FAILED;
	log_warn("ha %s: ICE failed: %s; no ESP will be sent (RFC 5770 4.6)", peer_str(ha),
		 reason ? reason : "no working candidate pair");
	stamp_nat(ha, "ice.failed", "reason", reason);
	memcpy(&rx.src, &ha->peer_addr, sizeof(rx.src));
	memcpy(&rx.dst, &ha->local_addr, sizeof(rx.dst));
	notify_send(ha->hipd, ha->local_id, &ha->hit_peer, &rx, HIP_NTF_CONNECTIVITY_CHECKS_FAILED,
		    NULL, 0);
	hadb_answer_waiter(ha, ctl_reply_error("ICE connectivity checks failed: %s",
					       reason ? reason : "no working candidate pair"));
	/* The association has no data path and ICE has no restart here: ha_timeout
	 * moves it to E-FAILED (outside this agent callback), so that the next
	 * packet for the peer runs a new base exchange with today's candidates. */
	out_arm_timer(ha, 0);
}

static void on_state(void *arg, enum ice_state s, const char *reason)
{
	struct hip_ha *ha = arg;

	if (s == ICE_CONNECTED && ha->nat->st == NAT_CHECKING)
		ice_connected(ha);
	else if (s == ICE_FAILED && ha->nat->st == NAT_CHECKING)
		ice_failed(ha, reason);
}

static int add_locals(struct hip_ha *ha)
{
	struct ice_cand c[HIP_MAX_LOCATORS];
	size_t n = nat_local_candidates(ha->hipd, c, HIP_MAX_LOCATORS);
	int err;

	if (n > HIP_MAX_LOCATORS)
		n = HIP_MAX_LOCATORS;
	for (size_t i = 0; i < n; i++) {
		const struct ice_sock *s = nat_sock_for(ha->hipd, &c[i]);

		if (!s)
			continue;
		err = ice_agent_add_local(ha->nat->agent, &c[i], s);
		if (err)
			return err;
	}
	return 0;
}

static int start_agent(struct hip_ha *ha)
{
	static const struct ice_callbacks cb = {.on_state = on_state, .on_event = on_event};
	struct nat_ha *n = ha->nat;
	char lu[9], ru[9], pwd[33];
	struct ice_config cfg = {.controlling = ha->initiator, /* RFC 5770 4.2 */
				 .components = 1,
				 .ta_ms = ha->ta_ms,
				 .ufrag = lu,
				 .pwd = pwd,
				 .keepalive_s = KEEPALIVE_S,
				 .software = "hipsip hipd"};
	int err;

	ufrag_of(&ha->hit_local, lu);
	ufrag_of(&ha->hit_peer, ru);
	password_of(ha->keys.stun_key, pwd);
	if (ha->fault == HIPD_FAULT_ICE_PASSWORD)
		pwd[0] = pwd[0] == 'x' ? 'y' : 'x';
	err = ice_agent_new(ha->hipd->loop, &cfg, &cb, ha, &n->agent);
	if (!err)
		err = add_locals(ha);
	if (!err)
		err = ice_agent_set_remote(n->agent, ru, pwd, n->remote, n->n_remote);
	if (!err) {
		n->st = NAT_CHECKING;
		n->checks_start_ns = stamp_now_ns();
		err = ice_agent_start(n->agent);
	}
	OPENSSL_cleanse(pwd, sizeof(pwd));
	return err;
}

void nat_ha_start(struct hip_ha *ha)
{
	int err;

	if (ha->nat_mode != HIP_NAT_MODE_ICE_STUN_UDP || !ha->nat || ha->nat->agent)
		return;
	err = start_agent(ha);
	if (err) {
		log_err("ha %s: cannot start ICE: %s", peer_str(ha), strerror(-err));
		ha->nat->st = NAT_CHECKING;
		ice_failed(ha, "ICE agent could not start");
	}
}

bool nat_ha_pending(const struct hip_ha *ha)
{
	return ha->nat_mode == HIP_NAT_MODE_ICE_STUN_UDP &&
	       (!ha->nat || ha->nat->st != NAT_CONNECTED);
}

int nat_ha_send(struct hip_ha *ha, const uint8_t *buf, size_t len)
{
	if (!ha->nat || ha->nat->st != NAT_CONNECTED)
		return -ENOTCONN;
	return ice_agent_send(ha->nat->agent, 1, buf, len);
}

bool nat_ha_failed(const struct hip_ha *ha)
{
	return ha->nat && ha->nat->st == NAT_FAILED;
}

bool nat_ha_relayed(const struct hip_ha *ha)
{
	return ha->nat && ha->nat->st == NAT_CONNECTED && ha->nat->relayed;
}

void nat_ha_free(struct hip_ha *ha)
{
	if (!ha->nat)
		return;
	if (ha->nat->agent)
		ice_agent_close(ha->nat->agent);
	free(ha->nat);
	ha->nat = NULL;
}

const char *nat_ha_path_type(const struct hip_ha *ha)
{
	if (!ha->nat || ha->nat->st != NAT_CONNECTED)
		return NULL;
	/* a peer-reflexive candidate with the relayed base is a relayed path */
	return ha->nat->relayed ? ice_cand_type_name(ICE_RELAY)
				: ice_cand_type_name(ha->nat->sel_local.type);
}

const char *nat_ha_path(const struct hip_ha *ha, char *buf, size_t len)
{
	char l[64], r[64];
	const struct nat_ha *n = ha->nat;

	if (ha->nat_mode != HIP_NAT_MODE_ICE_STUN_UDP)
		return NULL;
	if (!n || n->st == NAT_IDLE)
		return "ice: not started";
	if (n->st == NAT_CHECKING)
		return "ice: checking";
	if (n->st == NAT_FAILED)
		return "ice: failed";
	snprintf(buf, len, "%s %s -> %s %s", ice_cand_type_name(n->sel_local.type),
		 ice_sa_str((const struct sockaddr *)&n->sel_local.addr, l, sizeof(l)),
		 ice_cand_type_name(n->sel_remote.type),
		 ice_sa_str((const struct sockaddr *)&n->sel_remote.addr, r, sizeof(r)));
	return buf;
}

/* ---- demultiplexing (RFC 5770 5.3: STUN by its magic cookie and FINGERPRINT) ---- */

static int to_agents(struct hipd *h, const struct sockaddr *local, const struct sockaddr *src,
		     const uint8_t *buf, size_t len)
{
	for (struct hip_ha *ha = h->db.has; ha; ha = ha->next)
		if (ha->nat && ha->nat->agent &&
		    ice_agent_input(ha->nat->agent, local, src, buf, len) == 1)
			return 1;
	return 0;
}

int nat_udp_filter(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *src,
		   const struct sockaddr *dst)
{
	struct hipd *h = arg;
	struct sockaddr_storage local = {0};

	if (nat_gather_input(h, buf, len, src))
		return 1;
	if (!stun_looks_like(buf, len))
		return 0;
	memcpy(&local, dst, ice_sa_len(dst));
	if (local.ss_family == AF_INET)
		((struct sockaddr_in *)&local)->sin_port = htons(h->cfg.udp_port);
	else if (local.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&local)->sin6_port = htons(h->cfg.udp_port);
	if (!to_agents(h, (struct sockaddr *)&local, src, buf, len))
		log_debug("nat: STUN datagram for no agent, dropped");
	return 1;
}

void nat_relay_input(struct hipd *h, const struct sockaddr *peer, const struct sockaddr *relayed,
		     const uint8_t *buf, size_t len)
{
	if (stun_looks_like(buf, len)) {
		to_agents(h, relayed, peer, buf, len);
		return;
	}
	transport_deliver(h->tr, buf, len, peer, relayed);
}
