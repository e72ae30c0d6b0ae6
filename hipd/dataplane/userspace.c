/* The userspace data plane: packets read from hit0 leave as BEET-mode ESP in
 * UDP on the HIP port (RFC 7402, RFC 5770 framing); ESP that arrives there is
 * checked, unwrapped and written to hit0. One SA pair per association; packets
 * for a HIT without one are held while a base exchange runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cursor.h"
#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/bex.h"
#include "hipd/dataplane/beet.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/dataplane/hit0.h"
#include "hipd/dataplane/lsi.h"
#include "hipd/esp/esp.h"
#include "hipd/hipd.h"
#include "hipd/nat.h"
#include "hipd/transport.h"
#include "hipd/update.h"

#define DP_BUF	 70000
#define DP_BATCH 64
#define HELD_MAX 16   /* packets held per association while its BEX runs */
#define HELD_PKT 2048 /* larger than hit0's MTU */

/* Packets that arrived for a HIT before its association had SAs. */
struct dp_held {
	size_t n;
	uint16_t len[HELD_MAX];
	uint8_t pkt[HELD_MAX][HELD_PKT];
};

/* The data plane's state for one association (ha->dp). */
struct dp_ha {
	struct lsi_flows flows;
	struct dp_held *held;
};

#define TX_BATCH 32   /* ESP datagrams gathered for one sendmmsg */
#define TX_PKT	 2048 /* hit0's MTU plus the ESP overhead, with room */

/* Encrypted datagrams waiting for the next sendmmsg. */
struct us_tx {
	size_t n;
	struct esp_tx msg[TX_BATCH];
	struct sockaddr_storage src[TX_BATCH], dst[TX_BATCH];
	uint8_t pkt[TX_BATCH][TX_PKT];
};

struct us_dp {
	struct hipd *h;
	struct hit0 tun;
	uv_poll_t poll;
	struct dataplane_counters c;
	struct us_tx tx;
	uint8_t in[DP_BUF], out[DP_BUF];
};

static void tx_flush(struct us_dp *dp)
{
	size_t failed = 0;
	int rc;

	if (!dp->tx.n)
		return;
	rc = transport_send_esp_batch(dp->h->tr, dp->tx.msg, dp->tx.n, &failed);
	if (failed) {
		dp->c.send_errors += failed;
		dp->c.esp_out -= failed;
		log_debug("dataplane: %zu ESP datagrams not sent: %s", failed, strerror(-rc));
	}
	dp->tx.n = 0;
}

/* Encrypts into the next batch slot; the batch goes out when full or when the
 * caller flushes. */
static int tx_queue(struct us_dp *dp, struct hip_ha *ha, uint8_t nh, const uint8_t *payload,
		    size_t len)
{
	struct us_tx *tx = &dp->tx;
	size_t i = tx->n, n;
	int rc = esp_encap(ha->esp_out, nh, payload, len, tx->pkt[i], TX_PKT, &n);

	if (rc)
		return rc;
	if (nat_ha_relayed(ha)) /* through the TURN relay: one ChannelData each */
		return nat_ha_send(ha, tx->pkt[i], n);
	tx->src[i] = ha->local_addr;
	tx->dst[i] = ha->peer_addr;
	tx->msg[i] =
	    (struct esp_tx){.src = &tx->src[i], .dst = &tx->dst[i], .pkt = tx->pkt[i], .len = n};
	if (++tx->n == TX_BATCH)
		tx_flush(dp);
	return 0;
}

static struct dp_ha *dp_ha_get(struct hip_ha *ha)
{
	if (!ha->dp)
		ha->dp = calloc(1, sizeof(struct dp_ha));
	return ha->dp;
}

static void us_ha_free(void *state, struct hip_ha *ha)
{
	struct dp_ha *d = ha->dp;

	(void)state;
	if (!d)
		return;
	free(d->held);
	free(d);
	ha->dp = NULL;
}

static void drop_held(struct us_dp *dp, struct hip_ha *ha)
{
	struct dp_ha *d = ha->dp;

	if (!d || !d->held)
		return;
	dp->c.held_dropped += d->held->n;
	free(d->held);
	d->held = NULL;
}

/* Where a packet from hit0 goes: its association's HITs. An IPv4 packet must
 * come from our LSI and go to a peer LSI we handed out. */
static int resolve(struct us_dp *dp, const struct beet_inner *in, struct in6_addr *local,
		   struct in6_addr *peer)
{
	if (in->family == AF_INET6) {
		*local = in->src6;
		*peer = in->dst6;
		return 0;
	}
	if (in->src4.s_addr != htonl(HADB_LSI_LOCAL))
		return -EADDRNOTAVAIL;
	if (hadb_hit_of_lsi(&dp->h->db, in->dst4, peer))
		return -ENOENT;
	*local = hipd_default_identity(dp->h)->hit;
	return 0;
}

/* No SAs yet: keep the packet and start (or wait for) the base exchange. The
 * packet goes out when the SAs are installed, or is dropped if the BEX fails. */
static void hold(struct us_dp *dp, struct hip_ha *ha, const struct in6_addr *local,
		 const struct in6_addr *peer, const uint8_t *pkt, size_t len)
{
	char buf[HIT_STRLEN];
	int rc = 0;

	if (!ha || ha->state == HIP_STATE_UNASSOCIATED || ha->state == HIP_STATE_CLOSED) {
		rc = bex_trigger_from(dp->h, local, peer, HIPD_FAULT_NONE);
		if (rc) {
			dp->c.no_sa++;
			log_debug("dataplane: packet to %s dropped: %s", hit_to_str(peer, buf),
				  rc == -EHOSTUNREACH ? "no locator for this HIT" : strerror(-rc));
			return;
		}
		log_info("dataplane: packet to %s: starting a base exchange",
			 hit_to_str(peer, buf));
		ha = hadb_find(&dp->h->db, local, peer);
		stamp_emit("dp.trigger", json_pack("{s:s}", "peer", buf));
	}
	struct dp_ha *d = ha ? dp_ha_get(ha) : NULL;
	bool waiting = ha && (ha->state == HIP_STATE_I1_SENT || ha->state == HIP_STATE_I2_SENT ||
			      nat_ha_pending(ha)); /* ICE still looking for the path */
	if (!d || !waiting) {
		dp->c.no_sa++;
		return;
	}
	if (!d->held)
		d->held = calloc(1, sizeof(*d->held));
	if (!d->held || d->held->n == HELD_MAX || len > HELD_PKT) {
		dp->c.held_dropped++;
		return;
	}
	memcpy(d->held->pkt[d->held->n], pkt, len);
	d->held->len[d->held->n++] = (uint16_t)len;
	dp->c.held++;
}

/* An IPv4 packet between LSIs goes out in HIT form: its transport checksum
 * is rewritten for the HIT pseudo-header, and its flow remembered as IPv4. */
static int to_hit_form(struct hip_ha *ha, const struct beet_inner *in, uint8_t *l4)
{
	struct dp_ha *d = dp_ha_get(ha);
	uint16_t lport, rport;

	if (!d)
		return -ENOMEM;
	if (!lsi_ports(in->next_header, l4, in->payload_len, true, &lport, &rport))
		lsi_flow_note(&d->flows, in->next_header, lport, rport, in->family == AF_INET);
	if (in->family != AF_INET)
		return 0;
	return lsi_fix_checksum(in->next_header, l4, in->payload_len, &in->src4, &in->dst4,
				&ha->hit_local, &ha->hit_peer, true);
}

static void send_one(struct us_dp *dp, uint8_t *pkt, size_t len)
{
	struct in6_addr local, peer;
	struct beet_inner in;
	struct hip_ha *ha;
	int rc;

	dp->c.tun_in++;
	if (beet_parse(pkt, len, &in) || resolve(dp, &in, &local, &peer)) {
		dp->c.bad_inner++;
		return;
	}
	ha = hadb_find(&dp->h->db, &local, &peer);
	if (!ha || !ha->esp_out || nat_ha_pending(ha)) {
		hold(dp, ha, &local, &peer, pkt, len);
		return;
	}
	uint8_t *l4 = pkt + (in.payload - pkt); /* the same bytes, writable */
	rc = to_hit_form(ha, &in, l4);
	if (!rc)
		rc = tx_queue(dp, ha, in.next_header, l4, in.payload_len);
	if (rc) {
		dp->c.send_errors++;
		log_debug("dataplane: to %s: %s", "peer", strerror(-rc));
		return;
	}
	dp->c.esp_out++;
}

static void flush_held(struct us_dp *dp, struct hip_ha *ha)
{
	struct dp_ha *d = ha->dp;
	struct dp_held *held = d ? d->held : NULL;

	if (!held)
		return;
	d->held = NULL;
	for (size_t i = 0; i < held->n; i++) {
		uint64_t before = dp->c.esp_out;
		send_one(dp, held->pkt[i], held->len[i]);
		dp->c.tun_in--; /* counted when it was read */
		if (dp->c.esp_out > before)
			dp->c.held_sent++;
	}
	tx_flush(dp);
	free(held);
}

static void on_tun(uv_poll_t *p, int status, int events)
{
	struct us_dp *dp = p->data;

	if (status < 0 || !(events & UV_READABLE))
		return;
	for (int i = 0; i < DP_BATCH; i++) {
		ssize_t n = read(dp->tun.fd, dp->in, sizeof(dp->in));

		if (n <= 0)
			break;
		send_one(dp, dp->in, (size_t)n);
	}
	tx_flush(dp);
}

/* Which form a received packet takes: ICMP is IPv4's, ICMPv6 IPv6's; TCP and
 * UDP follow their flow, and a new inbound flow goes to IPv4 only when only
 * an IPv4 socket is there to take it. Everything else is HIT traffic. */
static bool arrives_as_v4(struct hip_ha *ha, uint8_t nh, const uint8_t *l4, size_t len)
{
	struct dp_ha *d = dp_ha_get(ha);
	uint16_t lport, rport;
	uint8_t flags = 0;
	int v4;

	if (nh == IPPROTO_ICMP)
		return true;
	if (!d || lsi_ports(nh, l4, len, false, &lport, &rport))
		return false;
	v4 = lsi_flow_lookup(&d->flows, nh, lport, rport);
	if (v4 >= 0)
		return v4;
	if (nh == IPPROTO_TCP) { /* only a SYN opens a flow */
		struct cursor c;
		cur_init(&c, l4, len);
		if (cur_skip(&c, 13) || cur_u8(&c, &flags) || (flags & 0x12) != 0x02)
			return false;
	}
	int family = lsi_inbound_family(nh, lport);
	if (family) /* nobody listens yet: decide again on the next packet */
		lsi_flow_note(&d->flows, nh, lport, rport, family == AF_INET);
	return family == AF_INET;
}

static void us_ha_drop_old(void *state, struct hip_ha *ha);

/* ESP from the HIP UDP port: find the SA by SPI, check and unwrap, rebuild the
 * inner header from the HITs (or LSIs), hand it to the kernel through hit0. */
static void on_esp(void *arg, const uint8_t *pkt, size_t len, const struct sockaddr *src)
{
	struct us_dp *dp = arg;
	struct in_addr lsi_local = {htonl(HADB_LSI_LOCAL)};
	struct hip_ha *ha;
	size_t plen, n;
	uint32_t spi;
	uint8_t nh;
	int rc;

	(void)src;
	if (esp_peek_spi(pkt, len, &spi)) {
		dp->c.esp_dropped++;
		return;
	}
	ha = hadb_find_spi(&dp->h->db, spi);
	if (!ha) {
		dp->c.esp_dropped++;
		return;
	}
	bool current = spi == ha->spi_in && ha->esp_in;
	if (esp_decap(current ? ha->esp_in : ha->esp_in_old, pkt, len, dp->in, sizeof(dp->in),
		      &plen, &nh)) {
		dp->c.esp_dropped++;
		return;
	}
	/* RFC 7402 3.3.2, 6.10 step 4: the peer sends on the new SA; a rekey
	 * waiting for the ACK switches our outbound traffic now, and the old
	 * inbound SA goes after a grace period (update_tick) */
	if (current && ha->esp_in_old)
		update_new_in_used(ha);
	if (ha->state == HIP_STATE_R2_SENT) /* RFC 7401 4.4.4: ESP for the HA */
		ha_set_state(ha, HIP_STATE_ESTABLISHED);
	if (arrives_as_v4(ha, nh, dp->in, plen)) {
		rc = lsi_fix_checksum(nh, dp->in, plen, &ha->lsi_peer, &lsi_local, &ha->hit_peer,
				      &ha->hit_local, false);
		if (!rc)
			rc = beet_build4(&ha->lsi_peer, &lsi_local, nh, dp->in, plen, dp->out,
					 sizeof(dp->out), &n);
	} else {
		rc = beet_build6(&ha->hit_peer, &ha->hit_local, nh, dp->in, plen, dp->out,
				 sizeof(dp->out), &n);
	}
	if (rc || write(dp->tun.fd, dp->out, n) != (ssize_t)n) {
		dp->c.send_errors++;
		return;
	}
	dp->c.esp_in++;
}

/* A new SA from ha->keys and ha's SPI for that direction. */
static int make_sa(struct hip_ha *ha, bool out, struct esp_sa **sa)
{
	const struct hip_keys *k = &ha->keys;
	int rc;

	*sa = calloc(1, sizeof(**sa));
	if (!*sa)
		return -ENOMEM;
	if (out)
		rc = esp_sa_init(*sa, ha->spi_out, ha->esp_suite, 1, k->esp_enc_out, k->esp_enc_len,
				 k->esp_auth_out, k->esp_auth_len);
	else
		rc = esp_sa_init(*sa, ha->spi_in, ha->esp_suite, 0, k->esp_enc_in, k->esp_enc_len,
				 k->esp_auth_in, k->esp_auth_len);
	if (rc) {
		hadb_free_sa(*sa);
		*sa = NULL;
	}
	return rc;
}

static int install(struct hip_ha *ha)
{
	int rc = make_sa(ha, true, &ha->esp_out);

	if (!rc)
		rc = make_sa(ha, false, &ha->esp_in);
	if (rc)
		hadb_drop_esp(ha);
	return rc;
}

/* The new inbound SA beside the current one, which becomes the old one (an
 * older one left from the rekey before goes now). */
static void us_ha_rekey_in(void *state, struct hip_ha *ha)
{
	struct esp_sa *in;
	int rc;

	(void)state;
	rc = make_sa(ha, false, &in);
	if (rc) {
		log_err("dataplane: rekeyed inbound SA not installed: %s; dropping the old ones",
			strerror(-rc));
		hadb_drop_esp(ha);
		return;
	}
	hadb_free_sa(ha->esp_in_old);
	ha->esp_in_old = ha->esp_in;
	ha->esp_in = in;
}

/* Outbound moves to the new SA at once: the next packet from hit0 uses it. */
static void us_ha_rekey_out(void *state, struct hip_ha *ha)
{
	struct esp_sa *out;
	int rc;

	(void)state;
	rc = make_sa(ha, true, &out);
	if (rc) {
		log_err("dataplane: rekeyed outbound SA not installed: %s; dropping the old ones",
			strerror(-rc));
		hadb_drop_esp(ha);
		return;
	}
	hadb_free_sa(ha->esp_out);
	ha->esp_out = out;
}

static void us_ha_drop_old(void *state, struct hip_ha *ha)
{
	(void)state;
	hadb_free_sa(ha->esp_in_old);
	ha->esp_in_old = NULL;
	ha->spi_in_old = 0;
}

static void us_ha_state(void *state, struct hip_ha *ha)
{
	struct us_dp *dp = state;
	bool keyed = ha->state == HIP_STATE_R2_SENT || ha->state == HIP_STATE_ESTABLISHED;
	int rc;

	if (!keyed) {
		hadb_drop_esp(ha);
		if (ha->state != HIP_STATE_I1_SENT && ha->state != HIP_STATE_I2_SENT)
			drop_held(dp, ha);
		return;
	}
	if (!ha->esp_out || ha->esp_out->spi != ha->spi_out || ha->esp_in->spi != ha->spi_in) {
		hadb_drop_esp(ha); /* a new base exchange replaced the keys */
		rc = install(ha);
		if (rc) {
			log_err("dataplane: no ESP SAs for this association: %s", strerror(-rc));
			drop_held(dp, ha);
			return;
		}
		log_info("dataplane: ESP SAs installed (SPI in 0x%08x, out 0x%08x)", ha->spi_in,
			 ha->spi_out);
	}
	if (!nat_ha_pending(ha)) /* with ICE: once the path is nominated */
		flush_held(dp, ha);
}

static int us_open(struct hipd *h, void **state)
{
	struct us_dp *dp = calloc(1, sizeof(*dp));
	struct in_addr lsi = {htonl(HADB_LSI_LOCAL)};
	const char *why = "out of memory";
	int rc = dp ? hit0_open(&dp->tun, HIT0_NAME, 1500, &why) : -ENOMEM;

	for (size_t i = 0; !rc && i < h->nids; i++)
		rc = hit0_add_hit(&dp->tun, &h->ids[i]->hit);
	if (!rc)
		rc = hit0_add_lsi(&dp->tun, &lsi);
	if (rc) {
		log_err("dataplane: %s: %s", why, strerror(-rc));
		if (dp)
			hit0_close(&dp->tun);
		free(dp);
		return rc;
	}
	dp->h = h;
	uv_poll_init(h->loop, &dp->poll, dp->tun.fd);
	dp->poll.data = dp;
	uv_poll_start(&dp->poll, UV_READABLE, on_tun);
	transport_set_esp_rx(h->tr, on_esp, dp);
	log_info("dataplane: userspace ESP on %s (mtu %u), UDP port %u", dp->tun.name, dp->tun.mtu,
		 h->cfg.udp_port);
	*state = dp;
	return 0;
}

static void on_poll_closed(uv_handle_t *handle)
{
	struct us_dp *dp = handle->data;

	hit0_close(&dp->tun);
	free(dp);
}

static void us_close(void *state)
{
	struct us_dp *dp = state;

	if (dp->h->tr)
		transport_set_esp_rx(dp->h->tr, NULL, NULL);
	uv_poll_stop(&dp->poll);
	uv_close((uv_handle_t *)&dp->poll, on_poll_closed);
}

static const struct dataplane_counters *us_counters(const void *state)
{
	return &((const struct us_dp *)state)->c;
}

static const char *us_device(const void *state)
{
	return ((const struct us_dp *)state)->tun.name;
}

const struct dataplane_backend dataplane_userspace = {
    .name = "userspace",
    .open = us_open,
    .close = us_close,
    .ha_state = us_ha_state,
    .ha_rekey_in = us_ha_rekey_in,
    .ha_rekey_out = us_ha_rekey_out,
    .ha_drop_old = us_ha_drop_old,
    .ha_free = us_ha_free,
    .counters = us_counters,
    .device = us_device,
};
