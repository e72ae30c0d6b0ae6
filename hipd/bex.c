/* Base exchange: I1/R1/I2/R2 construction and processing, simultaneous-BEX
 * resolution by HIT comparison, and the state timers. Crypto lives in crypto/. */
#include "hipd/bex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "common/ctl.h"
#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/auth.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/keys.h"
#include "hipd/nat.h"
#include "hipd/output.h"
#include "hipd/overlay.h"
#include "hipd/update.h"
#include "hipd/r1cache.h"
#include "hipd/relay.h"
#include "ice/sock.h"

#define UNKNOWN_CRITICAL_TYPE 1023 /* odd, in the handshake range, defined nowhere */
#define PUZZLE_K_MAX	      28   /* we refuse to solve harder puzzles */

static const char *peer_str(const struct in6_addr *hit)
{
	static char buf[HIT_STRLEN];

	return hit_to_str(hit, buf);
}

static void stamp_ha(const char *ev, const struct hip_ha *ha, const char *key, const char *val)
{
	char peer[HIT_STRLEN];
	json_t *o = json_pack("{s:s}", "peer", hit_to_str(&ha->hit_peer, peer));

	if (key && val)
		json_object_set_new(o, key, json_string(val));
	stamp_emit(ev, o);
}

static void stamp_peer(const char *ev, const struct in6_addr *peer, const char *reason)
{
	char buf[HIT_STRLEN];
	json_t *o = json_pack("{s:s}", "peer", hit_to_str(peer, buf));

	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	stamp_emit(ev, o);
}

void ha_set_state(struct hip_ha *ha, enum hip_state s)
{
	if (ha->state == s)
		return;
	log_debug("ha %s: %s -> %s", peer_str(&ha->hit_peer), hip_state_name(ha->state),
		  hip_state_name(s));
	ha->state = s;
	if (s == HIP_STATE_ESTABLISHED) {
		ha->established_ns = stamp_now_ns();
		ha->established_wall = time(NULL);
		ha->bex_count++;
		ha->fail_reason = NULL;
		log_info("ha %s: ESTABLISHED (%s, %s, %.2f ms)", peer_str(&ha->hit_peer),
			 ha->initiator ? "initiator" : "responder",
			 hip_transport_name(ha->transport),
			 (double)(ha->established_ns - ha->started_ns) / 1e6);
		stamp_ha("bex.established", ha, "role", ha->initiator ? "initiator" : "responder");
	}
	if (s == HIP_STATE_ESTABLISHED || s == HIP_STATE_R2_SENT)
		nat_ha_start(
		    ha); /* ICE-STUN-UDP: checks now; the waiter is answered when they end */
	if ((s == HIP_STATE_ESTABLISHED || s == HIP_STATE_R2_SENT) && !nat_ha_pending(ha))
		hadb_answer_waiter(ha, json_pack("{s:b,s:s,s:f}", "ok", 1, "state",
						 hip_state_name(s), "bex_ms",
						 (double)(stamp_now_ns() - ha->started_ns) / 1e6));
	dataplane_ha_state(ha);
	if (s == HIP_STATE_E_FAILED)
		hadb_answer_waiter(
		    ha, ctl_reply_error("base exchange failed: %s%s%s",
					ha->fail_reason ? ha->fail_reason : "unknown reason",
					ha->last_notify ? "; the peer notified " : "",
					ha->last_notify ? notify_type_name(ha->last_notify) : ""));
}

static void ha_fail(struct hip_ha *ha, const char *reason)
{
	log_warn("ha %s: base exchange failed: %s", peer_str(&ha->hit_peer), reason);
	hadb_reset_session(ha);
	ha->fail_reason = reason;
	ha_set_state(ha, HIP_STATE_E_FAILED);
	stamp_ha("bex.failed", ha, "reason", reason);
	out_arm_timer(ha, ha->hipd->cfg.e_failed_ms);
}

void ha_timeout(struct hip_ha *ha)
{
	struct hipd *h = ha->hipd;
	unsigned max =
	    ha->state == HIP_STATE_I1_SENT ? h->cfg.i1_retries_max : h->cfg.i2_retries_max;

	if ((ha->state == HIP_STATE_ESTABLISHED || ha->state == HIP_STATE_R2_SENT) &&
	    nat_ha_failed(ha)) {
		ha_fail(ha, "ICE connectivity checks failed (RFC 5770 4.6)");
		return;
	}
	switch (ha->state) {
	case HIP_STATE_I1_SENT:
	case HIP_STATE_I2_SENT:
		if (ha->retries >= max) {
			ha_fail(ha, ha->state == HIP_STATE_I1_SENT
					? "no R1 (I1 retries exhausted)"
					: "no R2 (I2 retries exhausted)");
			return;
		}
		ha->retries++;
		ha->rto_ms *= 2;
		log_debug("ha %s: retransmission %u", peer_str(&ha->hit_peer), ha->retries);
		out_send_ha(ha, ha->last_sent, ha->last_sent_len, true);
		return;
	case HIP_STATE_CLOSING:
		if (ha->retries >= h->cfg.i2_retries_max) {
			log_info("ha %s: no CLOSE_ACK, state discarded", peer_str(&ha->hit_peer));
			stamp_ha("bex.closed", ha, "how", "timeout");
			hadb_del(&h->db, ha);
			return;
		}
		ha->retries++;
		ha->rto_ms *= 2;
		out_send_ha(ha, ha->last_sent, ha->last_sent_len, true);
		return;
	case HIP_STATE_R2_SENT:
		/* Exchange Complete (RFC 7401 4.4.1) */
		ha_set_state(ha, HIP_STATE_ESTABLISHED);
		return;
	case HIP_STATE_CLOSED:
	case HIP_STATE_E_FAILED:
		hadb_del(&h->db, ha);
		return;
	case HIP_STATE_ESTABLISHED:
		update_timeout(ha);
		return;
	default:
		return;
	}
}

static int ha_peer_locator(struct hipd *h, struct hip_ha *ha)
{
	const struct hip_map *m = hadb_map_find(&h->db, &ha->hit_peer);

	if (!m || m->nlocs == 0)
		return -EHOSTUNREACH;
	memcpy(&ha->peer_addr, &m->locs[0], sizeof(m->locs[0]));
	return transport_source_for((struct sockaddr *)&ha->peer_addr, &ha->local_addr);
}

/* ---- I1 ---- */

static int send_i1(struct hip_ha *ha, enum hipd_fault fault)
{
	struct hipd *h = ha->hipd;
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct wbuf w;

	wbuf_init(&w, pkt, sizeof(pkt));
	hip_build_start(&w, HIP_I1, 0, &ha->hit_local, &ha->hit_peer);
	hip_p_list8_encode(&w, HIP_PARAM_DH_GROUP_LIST, &h->cfg.dh_groups);
	if (ha->overlay)
		overlay_build_signed(h, NULL, &w); /* OVERLAY_ID (RFC 7086 7) */
	if (fault == HIPD_FAULT_I1_CRITICAL)
		hip_build_param(&w, UNKNOWN_CRITICAL_TYPE, "x", 1);
	int err = wbuf_error(&w) ? wbuf_error(&w) : hip_build_set_len(&w);
	if (err)
		return err;
	stamp_ha("bex.i1_sent", ha, "transport",
		 ha->overlay ? "overlay" : hip_transport_name(ha->transport));
	return out_send_ha(ha, pkt, w.len, true);
}

int bex_trigger(struct hipd *h, const struct in6_addr *peer, enum hipd_fault fault)
{
	return bex_trigger_from(h, &hipd_default_identity(h)->hit, peer, fault);
}

int bex_trigger_from(struct hipd *h, const struct in6_addr *local, const struct in6_addr *peer,
		     enum hipd_fault fault)
{
	const struct hostid *id = hipd_identity(h, local);
	struct hip_ha *ha;
	int err;

	if (!id)
		return -EADDRNOTAVAIL;
	ha = hadb_find(&h->db, &id->hit, peer);

	if (ha && (ha->state == HIP_STATE_ESTABLISHED || ha->state == HIP_STATE_R2_SENT))
		return -EALREADY;
	if (ha && (ha->state == HIP_STATE_I1_SENT || ha->state == HIP_STATE_I2_SENT))
		return -EINPROGRESS;
	if (!ha) {
		err = hadb_add(&h->db, h->loop, &id->hit, peer, &ha);
		if (err)
			return err;
		ha->hipd = h;
	}
	hadb_reset_session(ha);
	ha->local_id = id;
	ha->initiator = true;
	ha->transport = h->cfg.transport;
	ha->retries = 0;
	ha->rto_ms = h->cfg.rto_initial_ms;
	ha->r1_generation = 0;
	ha->started_ns = stamp_now_ns();
	ha->fault = fault;
	ha->last_notify = 0; /* a NOTIFY of an earlier attempt says nothing about this one */
	err = ha_peer_locator(h, ha);
	ha->overlay = false;
	if (err == -EHOSTUNREACH && overlay_can_reach(h, peer)) {
		/* No locator: the overlay is the rendezvous service (RFC 6079 5.3,
		 * RFC 7086 7). ICE-STUN-UDP then finds the path, so the exchange
		 * offers UDP when NAT traversal is configured. */
		ha->overlay = true;
		ha->transport = h->cfg.nat_modes.n ? HIP_TRANSPORT_UDP : h->cfg.transport;
		memset(&ha->peer_addr, 0, sizeof(ha->peer_addr));
		memset(&ha->local_addr, 0, sizeof(ha->local_addr));
		err = 0;
	}
	if (err) {
		hadb_del(&h->db, ha);
		return err;
	}
	err = send_i1(ha, fault);
	if (err && err != -ENETUNREACH && err != -EHOSTUNREACH) {
		hadb_del(&h->db, ha);
		return err;
	}
	ha_set_state(ha, HIP_STATE_I1_SENT);
	/* While the I1 travels: our DH key for the group the Responder most likely
	 * picks (our first; it must choose from our list). R1 replaces it if not. */
	if (hip_dh_generate(h->cfg.dh_groups.ids[0], &ha->dh) < 0)
		ha->dh = NULL;
	return 0;
}

/* A simple per-source R1 rate limit (RFC 7401 6.7): a small table of token
 * buckets indexed by a hash of the address. */
#define R1_LIMIT_SLOTS 256

static bool r1_rate_ok(const struct hip_rx *rx, uint32_t per_s)
{
	static struct {
		uint64_t window_ns;
		uint32_t count;
	} slots[R1_LIMIT_SLOTS];
	const uint8_t *a = (const uint8_t *)&rx->src;
	uint32_t hash = 2166136261u;

	for (size_t i = 0; i < sizeof(struct sockaddr_in6); i++)
		hash = (hash ^ a[i]) * 16777619u;
	uint64_t now = stamp_now_ns();
	uint64_t window = now / 1000000000ull;
	size_t s = hash % R1_LIMIT_SLOTS;
	if (slots[s].window_ns != window) {
		slots[s].window_ns = window;
		slots[s].count = 0;
	}
	return ++slots[s].count <= per_s;
}

/* The puzzle difficulty for the next R1 (RFC 7401 4.1.1: the Responder raises
 * #K when it detects a denial-of-service attack). The heuristic: more I1s in
 * this or the previous second, from all sources, than puzzle_attack_rate. */
static uint8_t puzzle_k_now(struct hipd *h)
{
	uint64_t sec = stamp_now_ns() / 1000000000ull;

	if (sec != h->i1_rate.second) {
		h->i1_rate.prev_count = sec == h->i1_rate.second + 1 ? h->i1_rate.count : 0;
		h->i1_rate.second = sec;
		h->i1_rate.count = 0;
	}
	h->i1_rate.count++;
	uint32_t limit = h->cfg.puzzle_attack_rate;
	bool raise = h->i1_rate.count > limit || h->i1_rate.prev_count > limit;
	if (raise != h->i1_rate.raised) {
		log_warn("puzzle: I1 rate %s %u/s, difficulty now K=%u",
			 raise ? "above" : "back below", limit,
			 raise ? h->cfg.puzzle_k_attack : h->cfg.puzzle_k);
		stamp_emit(
		    "bex.puzzle_k",
		    json_pack("{s:i}", "k", raise ? h->cfg.puzzle_k_attack : h->cfg.puzzle_k));
		h->i1_rate.raised = raise;
	}
	if (raise && h->cfg.puzzle_k_attack > h->cfg.puzzle_k)
		return h->cfg.puzzle_k_attack;
	return h->cfg.puzzle_k;
}

/* The identity that answers for receiver HIT hit_r, or for opportunistic mode
 * (NULL HIT) one with the Initiator's suite, else the default (6.7 step 5). */
static const struct hostid *responder_identity(struct hipd *h, const struct in6_addr *hit_r,
					       const struct in6_addr *hit_i)
{
	static const struct in6_addr zero;

	if (memcmp(hit_r, &zero, sizeof(zero)) != 0)
		return hipd_identity(h, hit_r);
	for (size_t i = 0; i < h->nids; i++)
		if (h->ids[i]->suite == hit_oga_id(hit_i))
			return h->ids[i];
	return hipd_default_identity(h);
}

/* The R1 for an I1 that came through the overlay: OVERLAY_ID and the reversed
 * Via list as ROUTE_DST go under HIP_SIGNATURE_2 (RFC 6028 3.2, 4), so this R1
 * is signed for this Initiator and path instead of taken from the cache as is. */
static int make_routed_r1(struct hipd *h, const struct hostid *id, const struct hip_msg *m,
			  const struct hip_p_list8 *groups, const struct overlay_route *route,
			  uint8_t *pkt, size_t cap, size_t *len)
{
	uint8_t extra[HIP_MAX_PACKET_LEN];
	struct wbuf w;

	wbuf_init(&w, extra, sizeof(extra));
	int err = overlay_build_signed(h, route, &w);
	if (err)
		return err;
	return r1cache_make_routed(h->r1, id, &m->hit_s, groups, puzzle_k_now(h), extra, w.len, pkt,
				   cap, len);
}

/* Simultaneous I1s where ours went through the overlay (no locator for the peer) and the
 * peer's came straight (it knows ours): we drop its I1 and stay initiator (RFC 7401 6.7), but
 * our I1 now goes where the peer's came from. Else, when the overlay has no route to a NATed
 * peer that keeps initiating towards us, both sides retry forever: its I1s dropped here, ours
 * lost on the way. Its R1 then comes back the same way. */
static void i1_follow_peer(struct hip_ha *ha, const struct hip_rx *rx, const struct hip_msg *m)
{
	struct overlay_route route;
	char a[INET6_ADDRSTRLEN + 16];

	overlay_route_of(ha->hipd, m, &route);
	if (!ha->overlay || route.via_overlay || rx->transport != HIP_TRANSPORT_UDP)
		return;
	ha->overlay = false;
	ha->transport = rx->transport;
	ha->peer_addr = rx->src;
	ha->local_addr = rx->dst;
	log_info("ha %s: its I1 came from %s, ours went through the overlay: ours goes there now",
		 peer_str(&ha->hit_peer),
		 ice_sa_str((const struct sockaddr *)&rx->src, a, sizeof(a)));
	send_i1(ha, ha->fault);
}

void bex_on_i1(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	const struct hostid *id = responder_identity(h, &m->hit_r, &m->hit_s);
	struct hip_p_list8 groups = {0};
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	size_t len;

	if (!id) {
		log_debug("i1 from %s: not for one of our HITs", peer_str(&m->hit_s));
		return;
	}
	struct hip_ha *ha = hadb_find(&h->db, &id->hit, &m->hit_s);
	stamp_peer("bex.i1_received", &m->hit_s, NULL);
	if (ha && ha->state == HIP_STATE_I1_SENT && hit_cmp(&id->hit, &m->hit_s) < 0) {
		/* simultaneous I1s: the greater HIT answers (RFC 7401 6.7 step 3) */
		log_debug(
		    "i1 from %s: simultaneous exchange, peer HIT is greater; we stay initiator",
		    peer_str(&m->hit_s));
		i1_follow_peer(ha, rx, m);
		return;
	}
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_DH_GROUP_LIST);
	if (p && hip_p_list8_decode(p, &groups) < 0)
		memset(&groups, 0, sizeof(groups));
	if (!r1_rate_ok(rx, 2000)) {
		log_warn("i1 from %s: R1 rate limit reached for this address", peer_str(&m->hit_s));
		return;
	}
	struct overlay_route route;
	overlay_route_of(h, m, &route);
	int err = route.via_overlay
		      ? make_routed_r1(h, id, m, &groups, &route, pkt, sizeof(pkt), &len)
		      : r1cache_make(h->r1, id, &m->hit_s, &groups, puzzle_k_now(h), pkt,
				     sizeof(pkt), &len);
	if (err) {
		log_err("i1 from %s: cannot build R1: %s", peer_str(&m->hit_s), strerror(-err));
		return;
	}
	if (route.via_overlay)
		err = overlay_send(h, pkt, len); /* back along the Via list (RFC 6028 3.1) */
	else
		err = out_send(h, rx->transport, (struct sockaddr *)&rx->dst,
			       (struct sockaddr *)&rx->src, pkt, len);
	if (err) {
		log_warn("i1 from %s: cannot send R1: %s", peer_str(&m->hit_s), strerror(-err));
		return;
	}
	stamp_peer("bex.r1_sent", &m->hit_s, NULL);
	r1cache_refresh(h->r1);
}

/* ---- R1 ---- */

static bool list8_has(const struct hip_p_list8 *l, uint8_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] == v)
			return true;
	return false;
}

/* Our first preference that the peer offered, or 0. */
/* RFC 7401 6.8 step 7: the R1's group must be the Responder's first choice
 * among the groups of our I1 (otherwise the I1's list was tampered with). */
static int check_r1_group(const struct hipd *h, const struct hip_p_list8 *r1_list, uint8_t group)
{
	for (size_t i = 0; i < r1_list->n; i++) {
		if (!list8_has(&h->cfg.dh_groups, r1_list->ids[i]))
			continue;
		return r1_list->ids[i] == group ? 0 : -EPROTO;
	}
	return -EPROTO;
}

/* The parameters of an R1 we need, decoded. */
struct r1_view {
	struct hip_p_r1_counter counter;
	bool has_counter;
	struct hip_p_puzzle puzzle;
	struct hip_p_list8 groups;
	struct hip_p_dh dh;
	struct hip_p_list16 ciphers;
	struct hip_p_host_id host_id;
	const struct hip_param *host_id_tlv;
	struct hip_p_list8 suites;
	struct hip_p_list16 formats;
	struct hip_p_list16 esp;
	const uint8_t *echo_signed;
	size_t echo_signed_len;
};

static int r1_decode(const struct hip_msg *m, struct r1_view *v)
{
	const struct hip_param *p;
	int err = 0;

	memset(v, 0, sizeof(*v));
	if ((p = hip_msg_find(m, HIP_PARAM_R1_COUNTER))) {
		v->has_counter = true;
		err = err ? err : hip_p_r1_counter_decode(p, &v->counter);
	}
	if ((p = hip_msg_find(m, HIP_PARAM_ECHO_REQUEST_SIGNED)))
		err = err ? err : hip_p_echo_decode(p, &v->echo_signed, &v->echo_signed_len);
	const struct {
		uint16_t type;
		int kind;
		void *out;
	} need[] = {
	    {HIP_PARAM_PUZZLE, 0, &v->puzzle},
	    {HIP_PARAM_DH_GROUP_LIST, 1, &v->groups},
	    {HIP_PARAM_DIFFIE_HELLMAN, 2, &v->dh},
	    {HIP_PARAM_HIP_CIPHER, 3, &v->ciphers},
	    {HIP_PARAM_HOST_ID, 4, &v->host_id},
	    {HIP_PARAM_HIT_SUITE_LIST, 1, &v->suites},
	    {HIP_PARAM_TRANSPORT_FORMAT_LIST, 3, &v->formats},
	    {HIP_PARAM_ESP_TRANSFORM, 5, &v->esp},
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]) && !err; i++) {
		p = hip_msg_find(m, need[i].type);
		if (!p)
			return -HIPW_EMISSING;
		switch (need[i].kind) {
		case 0:
			err = hip_p_puzzle_decode(p, need[i].out);
			break;
		case 1:
			err = hip_p_list8_decode(p, need[i].out);
			break;
		case 2:
			err = hip_p_dh_decode(p, need[i].out);
			break;
		case 3:
			err = hip_p_list16_decode(p, need[i].out);
			break;
		case 4:
			err = hip_p_host_id_decode(p, need[i].out);
			v->host_id_tlv = p;
			break;
		default:
			err = hip_p_esp_transform_decode(p, need[i].out);
			break;
		}
	}
	return err;
}

/* Verifies the Responder: its HI hashes to the sender HIT and signed the R1. */
static int r1_authenticate(struct hip_ha *ha, const struct hip_msg *m, const struct r1_view *v,
			   struct hostid **peer)
{
	struct in6_addr hit;
	int err = hostid_from_hi(v->host_id.algorithm, v->host_id.hi, v->host_id.hi_len, peer);

	if (err)
		return err;
	hit = (*peer)->hit;
	if (memcmp(&hit, &ha->hit_peer, sizeof(hit)) != 0) {
		hostid_free(*peer);
		*peer = NULL;
		return -EKEYREJECTED;
	}
	err = auth_verify(*peer, m, HIP_PARAM_HIP_SIGNATURE_2);
	if (err) {
		hostid_free(*peer);
		*peer = NULL;
	}
	return err;
}

static int build_encrypted_host_id(struct hip_ha *ha, struct wbuf *w)
{
	const struct hostid *id = ha->local_id;
	uint8_t plain[HIP_MAX_PACKET_LEN];
	uint8_t ct[HIP_MAX_PACKET_LEN];
	struct wbuf pw;
	size_t ct_len;
	struct hip_p_host_id hi = {
	    .algorithm = id->algorithm, .hi = id->hi, .hi_len = (uint16_t)id->hi_len};

	wbuf_init(&pw, plain, sizeof(plain));
	int err = hip_p_host_id_encode(&pw, &hi);
	if (err)
		return err;
	err = hip_cipher_encrypt(ha->hip_cipher, ha->keys.enc_out, plain, pw.len, ct, sizeof(ct),
				 &ct_len);
	if (err)
		return err;
	struct hip_p_encrypted e = {.data = ct, .len = ct_len};
	return hip_p_encrypted_encode(w, &e);
}

/* A J that does NOT solve the puzzle, for the wrong-solution fault. */
static void unsolve(struct hip_ha *ha, uint8_t k)
{
	while (hip_puzzle_verify(ha->rhash_suite, k, ha->puzzle_i, ha->puzzle_j, &ha->hit_local,
				 &ha->hit_peer) == 0)
		ha->puzzle_j[ha->puzzle_len - 1]++;
}

static int build_i2(struct hip_ha *ha, const struct r1_view *v, struct wbuf *w)
{
	uint8_t pub[HIP_DH_PUB_MAX];
	size_t pub_len;
	int err;

	err = hip_dh_public(ha->dh, pub, sizeof(pub), &pub_len);
	if (err)
		return err;
	hip_build_start(w, HIP_I2, 0, &ha->hit_local, &ha->hit_peer);
	struct hip_p_esp_info ei = {.keymat_index = ha->keys.keymat_index, .new_spi = ha->spi_in};
	hip_p_esp_info_encode(w, &ei);
	if (v->has_counter)
		hip_p_r1_counter_encode(w, &v->counter);
	nat_build_locators(ha, w); /* the ICE offer (RFC 5770 4.3) */
	struct hip_p_solution sol = {
	    .k = v->puzzle.k, .opaque = v->puzzle.opaque, .ij_len = ha->puzzle_len};
	memcpy(sol.i, ha->puzzle_i, ha->puzzle_len);
	memcpy(sol.j, ha->puzzle_j, ha->puzzle_len);
	hip_p_solution_encode(w, &sol);
	struct hip_p_dh dh = {.group = ha->dh_group, .pub = pub, .pub_len = (uint16_t)pub_len};
	hip_p_dh_encode(w, &dh);
	struct hip_p_list16 one = {.ids = {ha->hip_cipher}, .n = 1};
	hip_p_list16_encode(w, HIP_PARAM_HIP_CIPHER, &one);
	nat_build_i2_mode(ha, w);
	err = build_encrypted_host_id(ha, w);
	if (err)
		return err;
	relay_i2_params(ha, w); /* REG_REQUEST (932), RFC 8003 3.2 */
	if (v->echo_signed)
		hip_p_echo_encode(w, HIP_PARAM_ECHO_RESPONSE_SIGNED, v->echo_signed,
				  v->echo_signed_len);
	if (ha->fault == HIPD_FAULT_I2_CRITICAL && !v->echo_signed)
		hip_build_param(w, UNKNOWN_CRITICAL_TYPE, "x", 1);
	struct hip_p_list16 tf = {.ids = {HIP_PARAM_ESP_TRANSFORM}, .n = 1};
	hip_p_list16_encode(w, HIP_PARAM_TRANSPORT_FORMAT_LIST, &tf);
	struct hip_p_list16 esp = {.ids = {ha->esp_suite}, .n = 1};
	hip_p_esp_transform_encode(w, &esp);
	/* The I2 is a new packet for a receiver we have no valid locator for, so
	 * it is routed like the I1 (RFC 7086 7): OVERLAY_ID here, under HIP_MAC and
	 * the signature; an empty ROUTE_VIA (SYMMETRIC, MUST_FOLLOW) when sent.
	 * The R2 returns along its Via list (RFC 6028 3.1). Not the R1's reversed
	 * ROUTE_DST: the overlay's current next hops are as good a path, and the
	 * Responder learns the I2's path, not the I1's, for its R2. */
	if (ha->overlay)
		overlay_build_signed(ha->hipd, NULL, w);
	err = wbuf_error(w);
	if (err)
		return err;
	size_t mac_off = w->len;
	err = auth_mac_append(ha->rhash_suite, ha->keys.mac_out, ha->keys.mac_len, w,
			      HIP_PARAM_HIP_MAC, NULL, 0);
	if (err)
		return err;
	/* faults flip a bit in the value after the TLV header (and SIG alg) */
	if (ha->fault == HIPD_FAULT_I2_MAC)
		w->buf[mac_off + 4] ^= 0x01;
	size_t sig_off = w->len;
	err = auth_sign_append(ha->local_id, w, HIP_PARAM_HIP_SIGNATURE);
	if (err)
		return err;
	if (ha->fault == HIPD_FAULT_I2_SIGNATURE)
		w->buf[sig_off + 4 + 2 + 8] ^= 0x01;
	return 0;
}

/* Negotiates suites from an R1 and fills ha's session (6.8 steps 6-16). */
/* The peer's DH public value stays for rekeying (RFC 7402 6.10 step 1). */
static void keep_peer_dh(struct hip_ha *ha, const uint8_t *pub, size_t len)
{
	ha->peer_dh_pub_len = len <= sizeof(ha->peer_dh_pub) ? len : 0;
	memcpy(ha->peer_dh_pub, pub, ha->peer_dh_pub_len);
}

static int r1_negotiate(struct hipd *h, struct hip_ha *ha, const struct r1_view *v,
			const char **why)
{
	uint8_t kij[HIP_DH_PUB_MAX];
	size_t kij_len;
	int err;

	if (!list8_has(&v->suites, (uint8_t)(ha->local_id->suite << 4)))
		return *why = "our HIT suite is not in the Responder's HIT_SUITE_LIST", -ENOTSUP;
	if (check_r1_group(h, &v->groups, v->dh.group) < 0 || !hip_dh_supported(v->dh.group))
		return *why = "DH group is not the Responder's first common choice", -EPROTO;
	ha->hip_cipher = hip_p_list16_pick(&h->cfg.hip_ciphers, &v->ciphers);
	if (!ha->hip_cipher)
		return *why = "no common HIP_CIPHER", -ENOTSUP;
	ha->esp_suite = hip_p_list16_pick(&h->cfg.esp_suites, &v->esp);
	if (!ha->esp_suite)
		return *why = "no common ESP_TRANSFORM suite", -ENOTSUP;
	if (!hip_p_list16_has(&v->formats, HIP_PARAM_ESP_TRANSFORM))
		return *why = "Responder offers no ESP transport format", -ENOTSUP;
	if (v->puzzle.k > PUZZLE_K_MAX)
		return *why = "puzzle difficulty above our limit", -ERANGE;
	ha->rhash_suite = hit_oga_id(&ha->hit_peer);
	ha->puzzle_len = v->puzzle.i_len;
	if (ha->puzzle_len != hip_rhash_len(ha->rhash_suite))
		return *why = "puzzle #I length does not match the Responder's suite", -EPROTO;
	memcpy(ha->puzzle_i, v->puzzle.i, ha->puzzle_len);
	err = hip_puzzle_solve(ha->rhash_suite, v->puzzle.k, ha->puzzle_i, &ha->hit_local,
			       &ha->hit_peer, ha->puzzle_j, 1ull << (v->puzzle.k + 8));
	if (err)
		return *why = "puzzle not solved", err;
	if (ha->fault == HIPD_FAULT_I2_SOLUTION)
		unsolve(ha, v->puzzle.k);
	ha->dh_group = v->dh.group;
	if (ha->dh && hip_dh_group(ha->dh) != ha->dh_group) { /* not the group we guessed */
		hip_dh_free(ha->dh);
		ha->dh = NULL;
	}
	err = ha->dh ? 0 : hip_dh_generate(ha->dh_group, &ha->dh);
	if (!err)
		err = hip_dh_derive(ha->dh, v->dh.pub, v->dh.pub_len, kij, sizeof(kij), &kij_len);
	if (err)
		return *why = "Diffie-Hellman failed", err;
	keep_peer_dh(ha, v->dh.pub, v->dh.pub_len);
	err = keys_derive(ha, kij, kij_len);
	OPENSSL_cleanse(kij, sizeof(kij));
	if (err)
		return *why = "KEYMAT derivation failed", err;
	do {
		RAND_bytes((uint8_t *)&ha->spi_in, sizeof(ha->spi_in));
	} while (ha->spi_in < 256);
	ha->r1_generation = v->counter.generation;
	return 0;
}

void bex_on_r1(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	struct hip_ha *ha = hadb_find(&h->db, &m->hit_r, &m->hit_s);
	struct r1_view v;
	struct hostid *peer = NULL;
	const char *why = NULL;
	int err;

	if (!ha || (ha->state != HIP_STATE_I1_SENT && ha->state != HIP_STATE_I2_SENT &&
		    ha->state != HIP_STATE_CLOSING && ha->state != HIP_STATE_CLOSED)) {
		log_debug("r1 from %s: no exchange waiting for it, dropped", peer_str(&m->hit_s));
		return;
	}
	stamp_ha("bex.r1_received", ha, NULL, NULL);
	err = r1_decode(m, &v);
	if (err) {
		log_warn("r1 from %s: malformed: %s", peer_str(&m->hit_s), hip_wire_strerror(err));
		return;
	}
	if (ha->state == HIP_STATE_I2_SENT &&
	    (!v.has_counter || v.counter.generation <= ha->r1_generation)) {
		log_debug("r1 from %s: not newer than the one answered, dropped",
			  peer_str(&m->hit_s));
		return;
	}
	err = r1_authenticate(ha, m, &v, &peer);
	if (err) {
		log_warn("r1 from %s: %s, dropped", peer_str(&m->hit_s),
			 err == -EKEYREJECTED ? "HOST_ID does not match the sender HIT"
					      : "HIP_SIGNATURE_2 does not verify");
		return;
	}
	hadb_reset_session(ha);
	ha->peer_id = peer;
	/* HIP_MAC_2 covers the Responder's HOST_ID exactly as received (6.4.1) */
	memcpy(ha->peer_host_id_tlv, m->raw + v.host_id_tlv->off, v.host_id_tlv->total);
	ha->peer_host_id_tlv_len = v.host_id_tlv->total;
	if (!ha->overlay) { /* through the overlay, rx->src is only the last hop */
		memcpy(&ha->peer_addr, &rx->src, sizeof(rx->src));
		memcpy(&ha->local_addr, &rx->dst, sizeof(rx->dst));
		ha->transport = rx->transport;
	}
	err = r1_negotiate(h, ha, &v, &why);
	if (err) {
		ha_fail(ha, why);
		return;
	}
	nat_on_r1(ha, m);
	/* RFC 6079 5.3: a base exchange over the overlay carries the ICE offer and
	 * answer; without them no direct path, and so no data path, would exist */
	if (ha->overlay && ha->nat_mode != HIP_NAT_MODE_ICE_STUN_UDP) {
		ha_fail(ha, "routed through the overlay, but ICE-STUN-UDP was not negotiated "
			    "(start hipd with --nat ice)");
		return;
	}
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct wbuf w;
	wbuf_init(&w, pkt, sizeof(pkt));
	err = build_i2(ha, &v, &w);
	if (err) {
		ha_fail(ha, "cannot build I2");
		return;
	}
	ha->retries = 0;
	ha->rto_ms = h->cfg.rto_initial_ms;
	ha_set_state(ha, HIP_STATE_I2_SENT);
	stamp_ha("bex.i2_sent", ha, NULL, NULL);
	out_send_ha(ha, pkt, w.len, true);
}

/* ---- I2 ---- */

struct i2_view {
	struct hip_p_esp_info esp_info;
	struct hip_p_r1_counter counter;
	bool has_counter;
	struct hip_p_solution sol;
	struct hip_p_dh dh;
	struct hip_p_list16 cipher;
	struct hip_p_encrypted enc;
	struct hip_p_list16 formats;
	struct hip_p_list16 esp;
};

static int i2_decode(const struct hip_msg *m, struct i2_view *v)
{
	const struct hip_param *p[7];
	static const uint16_t types[7] = {
	    HIP_PARAM_ESP_INFO,	     HIP_PARAM_SOLUTION,  HIP_PARAM_DIFFIE_HELLMAN,
	    HIP_PARAM_HIP_CIPHER,    HIP_PARAM_ENCRYPTED, HIP_PARAM_TRANSPORT_FORMAT_LIST,
	    HIP_PARAM_ESP_TRANSFORM,
	};
	int err;

	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < 7; i++)
		if (!(p[i] = hip_msg_find(m, types[i])))
			return -HIPW_EMISSING;
	const struct hip_param *rc = hip_msg_find(m, HIP_PARAM_R1_COUNTER);
	if (rc) {
		v->has_counter = true;
		if ((err = hip_p_r1_counter_decode(rc, &v->counter)))
			return err;
	}
	if ((err = hip_p_esp_info_decode(p[0], &v->esp_info)) ||
	    (err = hip_p_solution_decode(p[1], &v->sol)) || (err = hip_p_dh_decode(p[2], &v->dh)) ||
	    (err = hip_p_list16_decode(p[3], &v->cipher)) ||
	    (err = hip_p_encrypted_decode(p[4], &v->enc)) ||
	    (err = hip_p_list16_decode(p[5], &v->formats)) ||
	    (err = hip_p_esp_transform_decode(p[6], &v->esp)))
		return err;
	return 0;
}

/* Decrypts ENCRYPTED and reads the HOST_ID TLV inside it (6.9 step 11). */
static int i2_peer_identity(struct hip_ha *ha, const struct i2_view *v, struct hostid **peer)
{
	uint8_t plain[HIP_MAX_PACKET_LEN];
	size_t plain_len;
	struct cursor c;
	struct hip_param p = {0};
	struct hip_p_host_id hi;
	int err;

	err = hip_cipher_decrypt(ha->hip_cipher, ha->keys.enc_in, v->enc.data, v->enc.len, plain,
				 sizeof(plain), &plain_len);
	if (err)
		return err;
	cur_init(&c, plain, plain_len);
	if (cur_u16(&c, &p.type) || cur_u16(&c, &p.len) || p.type != HIP_PARAM_HOST_ID ||
	    cur_view(&c, p.len, &p.val))
		return -EBADMSG;
	err = hip_p_host_id_decode(&p, &hi);
	if (err)
		return err;
	return hostid_from_hi(hi.algorithm, hi.hi, hi.hi_len, peer);
}

/* Checks of 6.9 after the puzzle; on failure *notify says which NOTIFY to send. */
static int i2_verify(struct hipd *h, struct hip_ha *ha, const struct hip_msg *m,
		     const struct i2_view *v, const struct hip_dh *dh, uint16_t *notify,
		     const char **why)
{
	uint8_t kij[HIP_DH_PUB_MAX];
	size_t kij_len;
	int err;

	if (v->cipher.n != 1 || !hip_p_list16_has(&h->cfg.hip_ciphers, v->cipher.ids[0]))
		return *notify = HIP_NTF_INVALID_HIP_CIPHER_CHOSEN, *why = "bad HIP_CIPHER",
		       -EPROTO;
	if (v->esp.n != 1 || !hip_p_list16_has(&h->cfg.esp_suites, v->esp.ids[0]))
		return *notify = HIP_NTF_NO_HIP_PROPOSAL_CHOSEN, *why = "bad ESP_TRANSFORM",
		       -EPROTO;
	if (!hip_p_list16_has(&v->formats, HIP_PARAM_ESP_TRANSFORM))
		return *notify = HIP_NTF_NO_HIP_PROPOSAL_CHOSEN, *why = "no ESP transport format",
		       -EPROTO;
	ha->hip_cipher = v->cipher.ids[0];
	ha->esp_suite = v->esp.ids[0];
	err = hip_dh_derive(dh, v->dh.pub, v->dh.pub_len, kij, sizeof(kij), &kij_len);
	if (err)
		return *notify = 0, *why = "bad DH public value", err; /* silent (step 10) */
	keep_peer_dh(ha, v->dh.pub, v->dh.pub_len);
	err = keys_derive(ha, kij, kij_len);
	OPENSSL_cleanse(kij, sizeof(kij));
	if (err)
		return *notify = 0, *why = "KEYMAT derivation failed", err;
	if (v->esp_info.old_spi != 0 || v->esp_info.keymat_index != ha->keys.keymat_index ||
	    v->esp_info.new_spi < 256)
		return *notify = HIP_NTF_INVALID_SYNTAX, *why = "bad ESP_INFO", -EPROTO;
	err = i2_peer_identity(ha, v, &ha->peer_id);
	if (err)
		return *notify = HIP_NTF_ENCRYPTION_FAILED, *why = "ENCRYPTED HOST_ID unreadable",
		       err;
	if (memcmp(&ha->peer_id->hit, &m->hit_s, sizeof(m->hit_s)) != 0)
		return *notify = HIP_NTF_INVALID_HIT,
		       *why = "HOST_ID does not match the sender HIT", -EKEYREJECTED;
	if (auth_mac_verify(ha->rhash_suite, ha->keys.mac_in, ha->keys.mac_len, m,
			    HIP_PARAM_HIP_MAC, NULL, 0))
		return *notify = HIP_NTF_HIP_MAC_FAILED, *why = "HIP_MAC does not verify", -EBADMSG;
	if (auth_verify(ha->peer_id, m, HIP_PARAM_HIP_SIGNATURE))
		return *notify = HIP_NTF_AUTHENTICATION_FAILED,
		       *why = "HIP_SIGNATURE does not verify", -EBADMSG;
	return 0;
}

static int build_r2(struct hipd *h, struct hip_ha *ha, const struct overlay_route *route,
		    struct wbuf *w)
{
	uint8_t hi_tlv[HIP_MAX_PACKET_LEN];
	struct wbuf hw;
	struct hip_p_host_id hi = {.algorithm = ha->local_id->algorithm,
				   .hi = ha->local_id->hi,
				   .hi_len = (uint16_t)ha->local_id->hi_len};
	(void)h;

	wbuf_init(&hw, hi_tlv, sizeof(hi_tlv));
	int err = hip_p_host_id_encode(&hw, &hi);
	if (err)
		return err;
	hip_build_start(w, HIP_R2, 0, &ha->hit_local, &ha->hit_peer);
	struct hip_p_esp_info ei = {.keymat_index = ha->keys.keymat_index, .new_spi = ha->spi_in};
	hip_p_esp_info_encode(w, &ei);
	nat_build_locators(ha, w); /* the ICE answer (RFC 5770 4.3) */
	relay_r2_params(ha, w);	   /* REG_RESPONSE/REG_FAILED/REG_FROM, RFC 8003 3.3 */
	if (route->via_overlay)
		overlay_build_signed(h, route, w); /* OVERLAY_ID, ROUTE_DST (RFC 6028 3.1) */
	err = auth_mac_append(ha->rhash_suite, ha->keys.mac_out, ha->keys.mac_len, w,
			      HIP_PARAM_HIP_MAC_2, hi_tlv, hw.len);
	if (err)
		return err;
	return auth_sign_append(ha->local_id, w, HIP_PARAM_HIP_SIGNATURE);
}

/* Whether an I2 arriving in state I2-SENT wins over our own exchange (6.9 step 5). */
static bool i2_wins(const struct hip_ha *ha)
{
	return hit_cmp(&ha->hit_local, &ha->hit_peer) > 0;
}

static void i2_reject(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
		      const struct hostid *id, uint16_t notify, const char *why)
{
	log_warn("i2 from %s: %s, dropped%s", peer_str(&m->hit_s), why,
		 notify ? " (NOTIFY sent)" : "");
	stamp_peer("bex.i2_rejected", &m->hit_s, why);
	if (notify)
		notify_send(h, id, &m->hit_s, rx, notify, NULL, 0);
}

/* An I2 that repeats the one our association answered (6.9 step 4): the same puzzle
 * solution (I and J: a new exchange solves a new puzzle) and the same SPI for us, while we
 * still send on it. The Initiator has not seen our R2 (lost, or slower than its timer). */
static bool i2_repeats(const struct hip_ha *ha, const struct i2_view *v)
{
	if (!ha || ha->initiator ||
	    (ha->state != HIP_STATE_R2_SENT && ha->state != HIP_STATE_ESTABLISHED))
		return false;
	return ha->puzzle_len == v->sol.ij_len && ha->spi_out == v->esp_info.new_spi &&
	       memcmp(ha->puzzle_i, v->sol.i, v->sol.ij_len) == 0 &&
	       memcmp(ha->puzzle_j, v->sol.j, v->sol.ij_len) == 0;
}

/* Our R2 again, with the SPI and keys the association has: processing the repeat as a new
 * exchange would give us a new inbound SPI that the Initiator, established on the first
 * R2, never learns, and every ESP packet it sends would be dropped. */
static void r2_resend(struct hipd *h, struct hip_ha *ha, const struct hip_msg *m)
{
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct overlay_route route;
	struct wbuf w;
	int err;

	overlay_route_of(h, m, &route);
	wbuf_init(&w, pkt, sizeof(pkt));
	err = build_r2(h, ha, &route, &w);
	if (err) {
		log_err("i2 from %s: cannot build R2: %s", peer_str(&m->hit_s), strerror(-err));
		return;
	}
	log_debug("i2 from %s: a repeat of the answered I2, R2 sent again", peer_str(&m->hit_s));
	stamp_ha("bex.r2_resent", ha, NULL, NULL);
	out_send_ha(ha, pkt, w.len, false);
	if (ha->state == HIP_STATE_R2_SENT)
		out_arm_timer(ha, h->cfg.r2_sent_ms);
}

void bex_on_i2(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	const struct hostid *id = hipd_identity(h, &m->hit_r);
	struct hip_ha *ha;
	struct hip_ha cand;
	struct i2_view v;
	const struct hip_dh *dh;
	uint16_t notify = 0;
	const char *why = NULL;
	int err;

	if (!id) {
		log_debug("i2 from %s: not for one of our HITs", peer_str(&m->hit_s));
		return;
	}
	stamp_peer("bex.i2_received", &m->hit_s, NULL);
	uint8_t suite = hit_oga_id(&m->hit_s);
	if (!hip_rhash_len(suite)) {
		log_debug("i2 from %s: unsupported HIT suite %u", peer_str(&m->hit_s), suite);
		return;
	}
	ha = hadb_find(&h->db, &id->hit, &m->hit_s);
	if (ha && ha->state == HIP_STATE_I2_SENT && !i2_wins(ha)) {
		log_debug("i2 from %s: simultaneous exchange, our I2 wins", peer_str(&m->hit_s));
		return;
	}
	err = i2_decode(m, &v);
	if (err) {
		log_warn("i2 from %s: malformed: %s", peer_str(&m->hit_s), hip_wire_strerror(err));
		return;
	}
	if (i2_repeats(ha, &v)) {
		r2_resend(h, ha, m);
		return;
	}
	err = r1cache_check_solution(h->r1, id, &m->hit_s, v.has_counter, v.counter.generation,
				     &v.sol, v.dh.group, &dh);
	if (err) {
		i2_reject(h, rx, m, id, 0,
			  err == -ESTALE   ? "stale R1 generation"
			  : err == -ENOENT ? "DH group never offered"
					   : "wrong puzzle solution");
		return;
	}
	/* everything below is computed on a candidate; the table changes only on success */
	memset(&cand, 0, sizeof(cand));
	cand.hipd = h;
	cand.hit_local = id->hit;
	cand.hit_peer = m->hit_s;
	cand.local_id = id;
	cand.rhash_suite = id->suite;
	cand.dh_group = v.dh.group;
	cand.puzzle_len = v.sol.ij_len;
	memcpy(cand.puzzle_i, v.sol.i, v.sol.ij_len);
	memcpy(cand.puzzle_j, v.sol.j, v.sol.ij_len);
	struct overlay_route route;
	overlay_route_of(h, m, &route);
	err = i2_verify(h, &cand, m, &v, dh, &notify, &why);
	if (!err) {
		/* through the overlay the transport of the last hop says nothing of
		 * the path ICE will find: the HIP UDP socket (RFC 5770) */
		cand.transport = route.via_overlay ? HIP_TRANSPORT_UDP : rx->transport;
		err = nat_on_i2(&cand, m, &why);
		notify = err ? HIP_NTF_NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER : notify;
	}
	if (err) {
		nat_ha_free(&cand);
		hostid_free(cand.peer_id);
		OPENSSL_cleanse(&cand.keys, sizeof(cand.keys));
		i2_reject(h, rx, m, id, notify, why);
		return;
	}
	if (!ha) {
		err = hadb_add(&h->db, h->loop, &id->hit, &m->hit_s, &ha);
		if (err) {
			nat_ha_free(&cand);
			hostid_free(cand.peer_id);
			return;
		}
		ha->hipd = h;
	}
	hadb_reset_session(ha);
	ha->local_id = id;
	ha->peer_id = cand.peer_id;
	ha->initiator = false;
	ha->rhash_suite = cand.rhash_suite;
	ha->dh_group = cand.dh_group;
	ha->hip_cipher = cand.hip_cipher;
	ha->esp_suite = cand.esp_suite;
	ha->puzzle_len = cand.puzzle_len;
	memcpy(ha->puzzle_i, cand.puzzle_i, cand.puzzle_len);
	memcpy(ha->puzzle_j, cand.puzzle_j, cand.puzzle_len);
	ha->keys = cand.keys;
	OPENSSL_cleanse(&cand.keys, sizeof(cand.keys));
	ha->nat_mode = cand.nat_mode;
	ha->ta_ms = cand.ta_ms;
	ha->nat = cand.nat;
	ha->spi_out = v.esp_info.new_spi;
	do {
		RAND_bytes((uint8_t *)&ha->spi_in, sizeof(ha->spi_in));
	} while (ha->spi_in < 256 || ha->spi_in == ha->spi_out);
	ha->r1_generation = v.counter.generation;
	ha->overlay = route.via_overlay;
	ha->transport = cand.transport;
	if (ha->overlay) {
		memset(&ha->peer_addr, 0, sizeof(ha->peer_addr));
		memset(&ha->local_addr, 0, sizeof(ha->local_addr));
	} else {
		memcpy(&ha->peer_addr, &rx->src, sizeof(rx->src));
		memcpy(&ha->local_addr, &rx->dst, sizeof(rx->dst));
	}
	ha->started_ns = stamp_now_ns();
	r1cache_mark_used(h->r1, v.counter.generation);

	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct wbuf w;
	wbuf_init(&w, pkt, sizeof(pkt));
	err = build_r2(h, ha, &route, &w);
	if (err) {
		log_err("i2 from %s: cannot build R2: %s", peer_str(&m->hit_s), strerror(-err));
		hadb_del(&h->db, ha);
		return;
	}
	ha_set_state(ha, HIP_STATE_R2_SENT);
	out_send_ha(ha, pkt, w.len, false);
	stamp_ha("bex.r2_sent", ha, NULL, NULL);
	out_arm_timer(ha, h->cfg.r2_sent_ms);
}

/* ---- R2 ---- */

void bex_on_r2(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	struct hip_ha *ha = hadb_find(&h->db, &m->hit_r, &m->hit_s);
	struct hip_p_esp_info ei;
	const struct hip_param *p;
	(void)rx;

	if (!ha || ha->state != HIP_STATE_I2_SENT) {
		log_debug("r2 from %s: not in I2-SENT, dropped", peer_str(&m->hit_s));
		return;
	}
	stamp_ha("bex.r2_received", ha, NULL, NULL);
	p = hip_msg_find(m, HIP_PARAM_ESP_INFO);
	if (!p || hip_p_esp_info_decode(p, &ei) || ei.new_spi < 256 ||
	    ei.keymat_index != ha->keys.keymat_index) {
		log_warn("r2 from %s: missing or bad ESP_INFO, dropped", peer_str(&m->hit_s));
		return;
	}
	if (auth_mac_verify(ha->rhash_suite, ha->keys.mac_in, ha->keys.mac_len, m,
			    HIP_PARAM_HIP_MAC_2, ha->peer_host_id_tlv, ha->peer_host_id_tlv_len)) {
		log_warn("r2 from %s: HIP_MAC_2 does not verify, dropped", peer_str(&m->hit_s));
		return;
	}
	if (auth_verify(ha->peer_id, m, HIP_PARAM_HIP_SIGNATURE)) {
		log_warn("r2 from %s: HIP_SIGNATURE does not verify, dropped", peer_str(&m->hit_s));
		return;
	}
	if (nat_on_r2(ha, m)) {
		log_warn("r2 from %s: ICE-STUN-UDP without usable transport locators, dropped",
			 peer_str(&m->hit_s));
		return;
	}
	ha->spi_out = ei.new_spi;
	out_stop_timer(ha);
	hip_dh_free(ha->dh);
	ha->dh = NULL;
	ha_set_state(ha, HIP_STATE_ESTABLISHED);
}
