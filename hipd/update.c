/* UPDATE (RFC 7401 6.11-6.12: SEQ, ACK, retransmission) and the ESP rekeying
 * it carries (RFC 7402 3.3.2, 6.8-6.10, always with a new Diffie-Hellman key).
 * Not mobility: LOCATOR_SET in an UPDATE is acknowledged and otherwise ignored.
 *
 * A rekey runs in two steps. Keying: once we have both new DH values, new
 * KEYMAT and the new inbound SA (the responder before it answers, so the peer
 * never sends to an SPI we lack). Switching: outbound moves to the new SA
 * when our UPDATE is acknowledged (at once for the side that started) or when
 * the first packet arrives on the new inbound SA, whichever comes first. */
#include "hipd/update.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/auth.h"
#include "hipd/bex.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/esp/esp.h"
#include "hipd/keys.h"
#include "hipd/output.h"
#include "hipd/relay.h"

#define UPDATE_RETRIES_MAX 5
#define REKEY_SEQ_LIMIT	   0xf0000000u /* 32-bit sequence numbers: rekey well before */
#define OLD_SA_KEEP_NS	   (30ull * 1000000000ull)
/* After the new inbound SA carried a packet, the old one still takes packets
 * that were in flight (or reordered) for this long. */
#define OLD_SA_GRACE_NS (2ull * 1000000000ull)

static const char *peer_str(const struct in6_addr *hit)
{
	static char buf[HIT_STRLEN];

	return hit_to_str(hit, buf);
}

static void stamp_upd(const char *ev, const struct hip_ha *ha)
{
	char peer[HIT_STRLEN];

	stamp_emit(ev, json_pack("{s:s,s:I}", "peer", hit_to_str(&ha->hit_peer, peer), "rekeys",
				 (json_int_t)ha->upd.rekeys));
}

static uint32_t new_spi(void)
{
	uint32_t spi = 0;

	while (spi < 256)
		if (RAND_bytes((uint8_t *)&spi, sizeof(spi)) != 1)
			return 0;
	return spi;
}

/* Our half of a rekey: a new DH key and a new inbound SPI. */
static int prepare_ours(struct hip_ha *ha)
{
	struct hip_update *u = &ha->upd;

	u->new_spi_in = new_spi();
	if (!u->new_spi_in)
		return -EIO;
	u->old_spi_in = ha->spi_in;
	hip_dh_free(u->dh);
	u->dh = NULL;
	return hip_dh_generate(ha->dh_group, &u->dh);
}

/* UPDATE: [ESP_INFO], [SEQ], [ACK], [DIFFIE_HELLMAN], HIP_MAC, HIP_SIGNATURE
 * (RFC 7402 5.3.1-5.3.2; parameters in type order). */
static int build_update(struct hip_ha *ha, bool esp_info, const uint32_t *seq, const uint32_t *ack,
			struct wbuf *w)
{
	struct hip_update *u = &ha->upd;
	uint8_t pub[HIP_DH_PUB_MAX];
	size_t pub_len = 0;
	int err;

	hip_build_start(w, HIP_UPDATE, 0, &ha->hit_local, &ha->hit_peer);
	if (esp_info) {
		struct hip_p_esp_info ei = {
		    .keymat_index = 0, .old_spi = u->old_spi_in, .new_spi = u->new_spi_in};
		hip_p_esp_info_encode(w, &ei);
	}
	if (seq)
		hip_p_seq_encode(w, *seq);
	if (ack) {
		struct hip_p_ack a = {.ids = {*ack}, .n = 1};
		hip_p_ack_encode(w, &a);
	}
	if (esp_info) {
		err = hip_dh_public(u->dh, pub, sizeof(pub), &pub_len);
		if (err)
			return err;
		struct hip_p_dh dh = {
		    .group = ha->dh_group, .pub = pub, .pub_len = (uint16_t)pub_len};
		hip_p_dh_encode(w, &dh);
	}
	relay_update_params(ha, ack, w); /* REG_RESPONSE etc. with the ACK, RFC 8003 3.3 */
	err = wbuf_error(w);
	if (err)
		return err;
	return auth_seal(ha->rhash_suite, ha->keys.mac_out, ha->keys.mac_len, ha->local_id, w);
}

/* Sends an UPDATE that needs an ACK: it is retransmitted until one comes. */
static int send_with_seq(struct hip_ha *ha, const uint32_t *ack)
{
	struct hip_update *u = &ha->upd;
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct wbuf w;
	uint32_t id = u->next_id;
	int err;

	wbuf_init(&w, pkt, sizeof(pkt));
	err = build_update(ha, true, &id, ack, &w);
	if (err)
		return err;
	u->sent_id = id;
	u->next_id++;
	u->acked = false;
	u->started_ns = stamp_now_ns();
	ha->retries = 0;
	ha->rto_ms = ha->hipd->cfg.rto_initial_ms;
	return out_send_ha(ha, pkt, w.len, true);
}

static int send_ack(struct hip_ha *ha, uint32_t id)
{
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct wbuf w;
	int err;

	wbuf_init(&w, pkt, sizeof(pkt));
	err = build_update(ha, false, NULL, &id, &w);
	if (err)
		return err;
	return out_send(ha->hipd, ha->transport, (struct sockaddr *)&ha->local_addr,
			(struct sockaddr *)&ha->peer_addr, pkt, w.len);
}

/* Ends a rekey without switching: the outbound SA stays; a new inbound SA
 * already installed stays too (the peer may have switched to it). */
static void abandon(struct hip_ha *ha, const char *why)
{
	log_warn("ha %s: rekey abandoned: %s; the old outbound SA stays in use",
		 peer_str(&ha->hit_peer), why);
	hip_dh_free(ha->upd.dh);
	ha->upd.dh = NULL;
	ha->upd.pending = false;
	ha->upd.keyed = false;
	OPENSSL_cleanse(ha->upd.new_esp_enc_out, sizeof(ha->upd.new_esp_enc_out));
	OPENSSL_cleanse(ha->upd.new_esp_auth_out, sizeof(ha->upd.new_esp_auth_out));
	out_stop_timer(ha);
	stamp_upd("update.rekey_abandoned", ha);
}

int update_rekey_start(struct hip_ha *ha)
{
	int err;

	if (ha->state != HIP_STATE_ESTABLISHED || !ha->peer_id || !ha->keys.mac_len)
		return -ENOTCONN;
	if (ha->upd.pending)
		return -EINPROGRESS; /* RFC 7402 6.8: one outstanding request */
	err = prepare_ours(ha);
	if (err)
		return err;
	ha->upd.pending = true;
	ha->upd.have_peer = false;
	ha->upd.answering = false;
	ha->upd.keyed = false;
	ha->upd.peer_dh_len = 0;
	err = send_with_seq(ha, NULL);
	if (err && err != -ENETUNREACH && err != -EHOSTUNREACH) {
		abandon(ha, strerror(-err));
		return err;
	}
	log_info("ha %s: rekeying (UPDATE %u, new inbound SPI 0x%08x)", peer_str(&ha->hit_peer),
		 ha->upd.sent_id, ha->upd.new_spi_in);
	stamp_upd("update.rekey_sent", ha);
	return 0;
}

/* RFC 7402 6.10 steps 1-3: new KEYMAT from our new DH key and the peer's new
 * (or else old) public value. The inbound keys go into ha->keys, the outbound
 * ones wait in ha->upd until the switch, so that ha->keys and the SPIs always
 * describe the SAs in use. */
static int derive(struct hip_ha *ha)
{
	struct hip_update *u = &ha->upd;
	const uint8_t *pub = u->peer_dh_len ? u->peer_dh : ha->peer_dh_pub;
	size_t pub_len = u->peer_dh_len ? u->peer_dh_len : ha->peer_dh_pub_len;
	uint8_t kij[HIP_DH_PUB_MAX];
	struct hip_keys nk;
	size_t kij_len;
	int err;

	err = hip_dh_derive(u->dh, pub, pub_len, kij, sizeof(kij), &kij_len);
	if (!err)
		err = keys_rekey_esp(ha, kij, kij_len, &nk);
	OPENSSL_cleanse(kij, sizeof(kij));
	if (!err) {
		memcpy(ha->keys.esp_enc_in, nk.esp_enc_in, sizeof(nk.esp_enc_in));
		memcpy(ha->keys.esp_auth_in, nk.esp_auth_in, sizeof(nk.esp_auth_in));
		memcpy(u->new_esp_enc_out, nk.esp_enc_out, sizeof(nk.esp_enc_out));
		memcpy(u->new_esp_auth_out, nk.esp_auth_out, sizeof(nk.esp_auth_out));
		ha->keys.keymat_index = nk.keymat_index;
	}
	OPENSSL_cleanse(&nk, sizeof(nk));
	return err;
}

/* Keying, once per rekey (RFC 7402 3.3.2: R' generates the new SAs on
 * processing the UPDATE, I' on the answer): the new inbound SA is installed,
 * the old one kept for late packets; outbound stays on the old SA. */
static int key_new_sas(struct hip_ha *ha)
{
	struct hip_update *u = &ha->upd;
	int err;

	if (u->keyed)
		return 0;
	err = derive(ha);
	if (err)
		return err;
	ha->spi_in_old = ha->spi_in;
	ha->spi_in = u->new_spi_in;
	if (u->peer_dh_len) {
		memcpy(ha->peer_dh_pub, u->peer_dh, u->peer_dh_len);
		ha->peer_dh_pub_len = u->peer_dh_len;
	}
	u->keyed = true;
	u->keyed_ns = stamp_now_ns();
	u->new_in_used_ns = 0;
	dataplane_ha_rekey_in(ha);
	log_debug("ha %s: new inbound SA 0x%08x, still sending on 0x%08x", peer_str(&ha->hit_peer),
		  ha->spi_in, ha->spi_out);
	return 0;
}

/* Switching (RFC 7402 3.3.2, 6.10 step 4): outbound moves to the new SA; the
 * rekey is complete. */
static void switch_out(struct hip_ha *ha)
{
	struct hip_update *u = &ha->upd;

	out_stop_timer(ha);
	memcpy(ha->keys.esp_enc_out, u->new_esp_enc_out, sizeof(u->new_esp_enc_out));
	memcpy(ha->keys.esp_auth_out, u->new_esp_auth_out, sizeof(u->new_esp_auth_out));
	OPENSSL_cleanse(u->new_esp_enc_out, sizeof(u->new_esp_enc_out));
	OPENSSL_cleanse(u->new_esp_auth_out, sizeof(u->new_esp_auth_out));
	ha->spi_out = u->peer_new_spi;
	hip_dh_free(u->dh); /* kept until now: the answer carries its public value */
	u->dh = NULL;
	u->keyed = false;
	u->pending = false;
	u->rekeys++;
	dataplane_ha_rekey_out(ha);
	log_info("ha %s: rekeyed (SPI in 0x%08x, out 0x%08x)", peer_str(&ha->hit_peer), ha->spi_in,
		 ha->spi_out);
	stamp_upd("update.rekeyed", ha);
}

/* RFC 7402 6.10: the switch once our UPDATE is acknowledged and the keys are
 * drawn (they are as soon as the peer's parameters are in). */
static void advance(struct hip_ha *ha)
{
	struct hip_update *u = &ha->upd;

	if (!u->pending || !u->acked)
		return;
	if (u->keyed)
		switch_out(ha);
	else /* 6.8 step 5: not indefinitely */
		out_arm_timer(ha, (uint64_t)ha->hipd->cfg.rto_initial_ms * 16);
}

/* Proof that the peer has our UPDATE although its ACK is not here: it counts
 * as the ACK (RFC 7402 3.3.2). */
static void implicit_ack(struct hip_ha *ha, const char *why)
{
	struct hip_update *u = &ha->upd;

	if (!u->pending || !u->keyed || u->acked)
		return;
	log_debug("ha %s: %s before the ACK: switching to SPI 0x%08x", peer_str(&ha->hit_peer), why,
		  u->peer_new_spi);
	u->acked = true;
	switch_out(ha);
}

struct update_view {
	bool has_seq, has_ack, has_esp_info, has_dh;
	uint32_t seq;
	struct hip_p_ack ack;
	struct hip_p_esp_info ei;
	struct hip_p_dh dh;
};

static int decode(const struct hip_msg *m, struct update_view *v)
{
	const struct hip_param *seq = hip_msg_find(m, HIP_PARAM_SEQ);
	const struct hip_param *ack = hip_msg_find(m, HIP_PARAM_ACK);
	const struct hip_param *ei = hip_msg_find(m, HIP_PARAM_ESP_INFO);
	const struct hip_param *dh = hip_msg_find(m, HIP_PARAM_DIFFIE_HELLMAN);

	memset(v, 0, sizeof(*v));
	v->has_seq = seq != NULL;
	v->has_ack = ack != NULL;
	v->has_esp_info = ei != NULL;
	v->has_dh = dh != NULL;
	if (!seq && !ack)
		return -EBADMSG; /* RFC 7401 5.3.5: SEQ, ACK, or both */
	if ((seq && hip_p_seq_decode(seq, &v->seq)) || (ack && hip_p_ack_decode(ack, &v->ack)) ||
	    (ei && hip_p_esp_info_decode(ei, &v->ei)) || (dh && hip_p_dh_decode(dh, &v->dh)))
		return -EBADMSG;
	return 0;
}

/* RFC 7401 6.12.2 */
static void on_ack(struct hip_ha *ha, const struct hip_p_ack *ack)
{
	struct hip_update *u = &ha->upd;

	if (!u->pending || u->acked)
		return;
	for (size_t i = 0; i < ack->n; i++) {
		if (ack->ids[i] == u->sent_id) {
			u->acked = true;
			out_stop_timer(ha);
			return;
		}
	}
}

/* RFC 7402 6.9 step 1; the old SPI must be the one we send to. */
static const char *check_esp_info(const struct hip_ha *ha, const struct update_view *v)
{
	if (v->ei.new_spi < 256)
		return "ESP_INFO with a reserved new SPI";
	if (v->ei.old_spi != ha->spi_out)
		return "ESP_INFO names an SPI that is not the one in use";
	if (v->has_dh && (v->dh.group != ha->dh_group || v->ei.keymat_index != 0))
		return "DIFFIE_HELLMAN with another group or a non-zero KEYMAT index";
	if (v->has_dh && v->dh.pub_len > HIP_DH_PUB_MAX)
		return "DIFFIE_HELLMAN public value too long";
	return NULL;
}

static void keep_peer_params(struct hip_ha *ha, const struct update_view *v)
{
	struct hip_update *u = &ha->upd;

	u->have_peer = true;
	u->peer_new_spi = v->ei.new_spi;
	u->peer_keymat_index = v->ei.keymat_index;
	u->peer_dh_len = v->has_dh ? v->dh.pub_len : 0;
	memcpy(u->peer_dh, v->dh.pub, u->peer_dh_len);
}

/* RFC 7402 6.9 step 3: the answer to our UPDATE, or the peer's own while
 * ours is outstanding (both rekey at once): its parameters are kept and the
 * new inbound SA installed at once, before our ACK lets the peer switch. */
static void keep_and_key(struct hip_ha *ha, const struct update_view *v)
{
	if (ha->upd.keyed) { /* a peer restarting its rekey: the keys are drawn */
		log_warn("update from %s: ESP_INFO after our rekey was keyed; acknowledged, "
			 "not used",
			 peer_str(&ha->hit_peer));
		return;
	}
	keep_peer_params(ha, v);
	if (key_new_sas(ha))
		abandon(ha, "Diffie-Hellman or KEYMAT failed");
}

/* RFC 7401 6.12.1 with RFC 7402 6.9: a new SEQ, perhaps with ESP_INFO. */
static void on_new_seq(struct hip_ha *ha, const struct update_view *v)
{
	struct hip_update *u = &ha->upd;
	const char *bad;

	/* the peer rekeys again and names as its old SPI the new one we are still
	 * waiting to switch to: it finished the last rekey, so it has our UPDATE */
	if (v->has_esp_info && u->keyed && v->ei.old_spi == u->peer_new_spi)
		implicit_ack(ha, "a new rekey on the new SPI");
	bad = v->has_esp_info ? check_esp_info(ha, v) : NULL;
	if (bad) {
		log_warn("update from %s: %s, dropped", peer_str(&ha->hit_peer), bad);
		return;
	}
	u->peer_last = v->seq;
	u->peer_seen = true;
	if (!v->has_esp_info || u->pending) {
		if (v->has_esp_info)
			keep_and_key(ha, v);
		send_ack(ha, v->seq);
		return;
	}
	keep_peer_params(ha, v);
	if (prepare_ours(ha)) {
		log_err("ha %s: no DH key for the rekey the peer asked for",
			peer_str(&ha->hit_peer));
		return;
	}
	u->pending = true;
	u->answering = true;
	u->keyed = false;
	/* 6.9.1, 3.3.2: the new inbound SA exists before the peer learns its SPI */
	if (key_new_sas(ha)) {
		abandon(ha, "Diffie-Hellman or KEYMAT failed");
		return;
	}
	log_info("ha %s: peer rekeys (UPDATE %u); answering", peer_str(&ha->hit_peer), v->seq);
	send_with_seq(ha, &v->seq);
}

static void on_seq(struct hip_ha *ha, const struct update_view *v)
{
	struct hip_update *u = &ha->upd;
	int32_t ahead = (int32_t)(v->seq - u->peer_last);

	if (!u->peer_seen || ahead > 0) {
		on_new_seq(ha, v);
		return;
	}
	if (ahead < 0) {
		log_debug("update from %s: old Update ID %u, dropped", peer_str(&ha->hit_peer),
			  v->seq);
		return;
	}
	/* a retransmission: acknowledge again, with our own UPDATE if it is the
	 * answer to it (its keys stay: they were drawn when it first came) */
	if (u->pending && !u->acked && u->answering && ha->last_sent_len)
		out_send_ha(ha, ha->last_sent, ha->last_sent_len, true);
	else
		send_ack(ha, v->seq);
}

void update_on_update(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	struct hip_ha *ha = hadb_find(&h->db, &m->hit_r, &m->hit_s);
	struct update_view v;
	(void)rx;

	if (!ha || (ha->state != HIP_STATE_ESTABLISHED && ha->state != HIP_STATE_R2_SENT) ||
	    !ha->peer_id || !ha->keys.mac_len) {
		log_debug("update from %s: no established association, dropped",
			  peer_str(&m->hit_s));
		return;
	}
	if (decode(m, &v)) {
		log_warn("update from %s: malformed SEQ, ACK, ESP_INFO or DIFFIE_HELLMAN, dropped",
			 peer_str(&m->hit_s));
		return;
	}
	if (auth_check_sealed(ha->rhash_suite, ha->keys.mac_in, ha->keys.mac_len, ha->peer_id, m)) {
		log_warn("update from %s: HIP_MAC or signature does not verify, dropped",
			 peer_str(&m->hit_s));
		return;
	}
	if (ha->state == HIP_STATE_R2_SENT) /* RFC 7401 4.4.4: the peer got R2 */
		ha_set_state(ha, HIP_STATE_ESTABLISHED);
	relay_on_update(h, ha, rx, m); /* registration in UPDATE, RFC 8003 3.2-3.3 */
	if (v.has_ack)
		on_ack(ha, &v.ack);
	if (v.has_seq)
		on_seq(ha, &v);
	advance(ha);
}

void update_new_in_used(struct hip_ha *ha)
{
	if (!ha->upd.new_in_used_ns)
		ha->upd.new_in_used_ns = stamp_now_ns();
	implicit_ack(ha, "ESP on the new SPI");
}

void update_timeout(struct hip_ha *ha)
{
	struct hip_update *u = &ha->upd;

	if (!u->pending)
		return;
	if (u->acked) {
		abandon(ha, "the peer acknowledged but sent no ESP_INFO");
		return;
	}
	if (ha->retries >= UPDATE_RETRIES_MAX) {
		/* RFC 7401 6.11 step 4: the association is considered broken */
		abandon(ha, "no acknowledgment");
		close_start(ha->hipd, &ha->hit_peer);
		return;
	}
	ha->retries++;
	ha->rto_ms *= 2;
	out_send_ha(ha, ha->last_sent, ha->last_sent_len, true);
}

static bool rekey_due(const struct hip_ha *ha, uint64_t now, uint32_t lifetime_s)
{
	if (lifetime_s && now - ha->upd.keyed_ns >= (uint64_t)lifetime_s * 1000000000ull)
		return true;
	/* RFC 7402 6.8: before either sequence number space runs out */
	return (ha->esp_out && ha->esp_out->seq >= REKEY_SEQ_LIMIT) ||
	       (ha->esp_in && ha->esp_in->replay.top >= REKEY_SEQ_LIMIT);
}

void update_tick(struct hipd *h)
{
	uint64_t now = stamp_now_ns();

	for (struct hip_ha *ha = h->db.has; ha; ha = ha->next) {
		if (ha->state != HIP_STATE_ESTABLISHED)
			continue;
		if (!ha->upd.keyed_ns)
			ha->upd.keyed_ns = now;
		if (ha->spi_in_old &&
		    (now - ha->upd.keyed_ns >= OLD_SA_KEEP_NS ||
		     (ha->upd.new_in_used_ns && now - ha->upd.new_in_used_ns >= OLD_SA_GRACE_NS)))
			dataplane_ha_drop_old(ha);
		if (!ha->upd.pending && rekey_due(ha, now, h->cfg.rekey_s))
			update_rekey_start(ha);
	}
}
