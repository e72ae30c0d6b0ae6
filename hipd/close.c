/* Ending an association: CLOSE with ECHO_REQUEST_SIGNED, HIP_MAC, signature, and
 * CLOSE_ACK echoing it (RFC 7401 5.3.7-5.3.8, 6.14-6.15, state tables 4-8). */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/auth.h"
#include "hipd/bex.h"
#include "hipd/output.h"

static const char *peer_str(const struct in6_addr *hit)
{
	static char buf[HIT_STRLEN];

	return hit_to_str(hit, buf);
}

static void stamp_close_ev(const char *ev, const struct hip_ha *ha)
{
	char peer[HIT_STRLEN];

	stamp_emit(ev, json_pack("{s:s}", "peer", hit_to_str(&ha->hit_peer, peer)));
}

/* CLOSE or CLOSE_ACK: an echo parameter, HIP_MAC, HIP_SIGNATURE. */
static int build_close(struct hip_ha *ha, uint8_t type, uint16_t echo_type, const uint8_t *echo,
		       size_t echo_len, struct wbuf *w)
{
	hip_build_start(w, type, 0, &ha->hit_local, &ha->hit_peer);
	hip_p_echo_encode(w, echo_type, echo, echo_len);
	int err = wbuf_error(w);
	if (err)
		return err;
	return auth_seal(ha->rhash_suite, ha->keys.mac_out, ha->keys.mac_len, ha->local_id, w);
}

static bool has_keys(const struct hip_ha *ha)
{
	return ha->peer_id && ha->keys.mac_len &&
	       (ha->state == HIP_STATE_ESTABLISHED || ha->state == HIP_STATE_R2_SENT ||
		ha->state == HIP_STATE_I2_SENT);
}

int close_start(struct hipd *h, const struct in6_addr *peer)
{
	struct hip_ha *ha = hadb_find_peer(&h->db, peer);
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct wbuf w;
	int err;

	if (!ha)
		return -ENOENT;
	if (!has_keys(ha)) {
		/* nothing to authenticate a CLOSE with: just forget the state */
		log_info("ha %s: removed in state %s (no keys for CLOSE)", peer_str(peer),
			 hip_state_name(ha->state));
		hadb_del(&h->db, ha);
		return 0;
	}
	if (RAND_bytes(ha->close_echo, sizeof(ha->close_echo)) != 1)
		return -EIO;
	wbuf_init(&w, pkt, sizeof(pkt));
	err = build_close(ha, HIP_CLOSE, HIP_PARAM_ECHO_REQUEST_SIGNED, ha->close_echo,
			  sizeof(ha->close_echo), &w);
	if (err)
		return err;
	ha_set_state(ha, HIP_STATE_CLOSING);
	ha->retries = 0;
	ha->rto_ms = h->cfg.rto_initial_ms;
	stamp_close_ev("bex.close_sent", ha);
	log_info("ha %s: CLOSE sent", peer_str(peer));
	return out_send_ha(ha, pkt, w.len, true);
}

static int verify_mac_sig(const struct hip_ha *ha, const struct hip_msg *m)
{
	return auth_check_sealed(ha->rhash_suite, ha->keys.mac_in, ha->keys.mac_len, ha->peer_id,
				 m);
}

void close_on_close(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	struct hip_ha *ha = hadb_find(&h->db, &m->hit_r, &m->hit_s);
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_ECHO_REQUEST_SIGNED);
	const uint8_t *echo;
	size_t echo_len;
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct wbuf w;
	(void)rx;

	if (!ha || !ha->peer_id || !ha->keys.mac_len) {
		log_debug("close from %s: no association, dropped", peer_str(&m->hit_s));
		return;
	}
	if (!p || hip_p_echo_decode(p, &echo, &echo_len)) {
		log_warn("close from %s: no ECHO_REQUEST_SIGNED, dropped", peer_str(&m->hit_s));
		return;
	}
	if (verify_mac_sig(ha, m)) {
		log_warn("close from %s: HIP_MAC or signature does not verify, dropped",
			 peer_str(&m->hit_s));
		return;
	}
	wbuf_init(&w, pkt, sizeof(pkt));
	if (build_close(ha, HIP_CLOSE_ACK, HIP_PARAM_ECHO_RESPONSE_SIGNED, echo, echo_len, &w))
		return;
	log_info("ha %s: CLOSE received, CLOSE_ACK sent", peer_str(&m->hit_s));
	stamp_close_ev("bex.close_received", ha);
	ha_set_state(ha, HIP_STATE_CLOSED);
	out_send_ha(ha, pkt, w.len, false);
	out_arm_timer(ha, h->cfg.closed_ms);
}

void close_on_close_ack(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	struct hip_ha *ha = hadb_find(&h->db, &m->hit_r, &m->hit_s);
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_ECHO_RESPONSE_SIGNED);
	const uint8_t *echo;
	size_t echo_len;
	(void)rx;

	if (!ha || (ha->state != HIP_STATE_CLOSING && ha->state != HIP_STATE_CLOSED)) {
		log_debug("close_ack from %s: not closing, dropped", peer_str(&m->hit_s));
		return;
	}
	if (!p || hip_p_echo_decode(p, &echo, &echo_len) || echo_len != sizeof(ha->close_echo) ||
	    CRYPTO_memcmp(echo, ha->close_echo, echo_len) != 0) {
		log_warn("close_ack from %s: echo does not match our CLOSE, dropped",
			 peer_str(&m->hit_s));
		return;
	}
	if (verify_mac_sig(ha, m)) {
		log_warn("close_ack from %s: HIP_MAC or signature does not verify, dropped",
			 peer_str(&m->hit_s));
		return;
	}
	log_info("ha %s: CLOSE_ACK received, association removed", peer_str(&m->hit_s));
	stamp_close_ev("bex.closed", ha);
	hadb_del(&h->db, ha);
}
