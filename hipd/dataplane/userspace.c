/* The userspace data plane: packets read from hit0 leave as BEET-mode ESP in
 * UDP on the HIP port (RFC 7402, RFC 5770 framing); ESP that arrives there is
 * checked, unwrapped and written to hit0. One SA pair per association. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "hipd/bex.h"
#include "hipd/dataplane/beet.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/dataplane/hit0.h"
#include "hipd/esp/esp.h"
#include "hipd/hipd.h"
#include "hipd/transport.h"

#define DP_BUF	 70000
#define DP_BATCH 64

struct dataplane {
	struct hipd *h;
	struct hit0 tun;
	uv_poll_t poll;
	bool polling;
	struct dataplane_counters c;
	uint8_t in[DP_BUF], out[DP_BUF];
};

static struct dataplane *dp_of(const struct hipd *h)
{
	return h->dp;
}

static void send_one(struct dataplane *dp, const uint8_t *pkt, size_t len)
{
	struct beet_inner in;
	struct hip_ha *ha;
	size_t n;
	int rc;

	dp->c.tun_in++;
	if (beet_parse(pkt, len, &in) || in.family != AF_INET6) {
		dp->c.bad_inner++;
		return;
	}
	ha = hadb_find(&dp->h->db, &in.src6, &in.dst6);
	if (!ha || !ha->esp_out) {
		dp->c.no_sa++;
		return;
	}
	rc = esp_encap(ha->esp_out, in.next_header, in.payload, in.payload_len, dp->out,
		       sizeof(dp->out), &n);
	if (!rc)
		rc = transport_send_esp(dp->h->tr, (struct sockaddr *)&ha->local_addr,
					(struct sockaddr *)&ha->peer_addr, dp->out, n);
	if (rc) {
		dp->c.send_errors++;
		log_debug("dataplane: to %s: %s", "peer", strerror(-rc));
		return;
	}
	dp->c.esp_out++;
}

static void on_tun(uv_poll_t *p, int status, int events)
{
	struct dataplane *dp = p->data;

	if (status < 0 || !(events & UV_READABLE))
		return;
	for (int i = 0; i < DP_BATCH; i++) {
		ssize_t n = read(dp->tun.fd, dp->in, sizeof(dp->in));

		if (n <= 0)
			return;
		send_one(dp, dp->in, (size_t)n);
	}
}

/* ESP from the HIP UDP port: find the SA by SPI, check and unwrap, rebuild the
 * inner header from the HITs, hand it to the kernel through hit0. */
static void on_esp(void *arg, const uint8_t *pkt, size_t len, const struct sockaddr *src)
{
	struct dataplane *dp = arg;
	struct hip_ha *ha;
	size_t plen, n;
	uint32_t spi;
	uint8_t nh;

	(void)src;
	if (esp_peek_spi(pkt, len, &spi) || !(ha = hadb_find_spi(&dp->h->db, spi)) ||
	    esp_decap(ha->esp_in, pkt, len, dp->in, sizeof(dp->in), &plen, &nh)) {
		dp->c.esp_dropped++;
		return;
	}
	if (ha->state == HIP_STATE_R2_SENT) /* RFC 7401 4.4.4: ESP for the HA */
		ha_set_state(ha, HIP_STATE_ESTABLISHED);
	if (beet_build6(&ha->hit_peer, &ha->hit_local, nh, dp->in, plen, dp->out, sizeof(dp->out),
			&n) ||
	    write(dp->tun.fd, dp->out, n) != (ssize_t)n) {
		dp->c.send_errors++;
		return;
	}
	dp->c.esp_in++;
}

static int install(struct hip_ha *ha)
{
	const struct hip_keys *k = &ha->keys;
	int rc;

	ha->esp_out = calloc(1, sizeof(*ha->esp_out));
	ha->esp_in = calloc(1, sizeof(*ha->esp_in));
	if (!ha->esp_out || !ha->esp_in) {
		hadb_drop_esp(ha);
		return -ENOMEM;
	}
	rc = esp_sa_init(ha->esp_out, ha->spi_out, ha->esp_suite, 1, k->esp_enc_out, k->esp_enc_len,
			 k->esp_auth_out, k->esp_auth_len);
	if (!rc)
		rc = esp_sa_init(ha->esp_in, ha->spi_in, ha->esp_suite, 0, k->esp_enc_in,
				 k->esp_enc_len, k->esp_auth_in, k->esp_auth_len);
	if (rc) {
		free(ha->esp_out);
		free(ha->esp_in);
		ha->esp_out = ha->esp_in = NULL;
	}
	return rc;
}

void dataplane_ha_state(struct hip_ha *ha)
{
	bool keyed = ha->state == HIP_STATE_R2_SENT || ha->state == HIP_STATE_ESTABLISHED;
	int rc;

	if (!dp_of(ha->hipd))
		return;
	if (!keyed) {
		hadb_drop_esp(ha);
		return;
	}
	if (ha->esp_out)
		return;
	rc = install(ha);
	if (rc)
		log_err("dataplane: no ESP SAs for this association: %s", strerror(-rc));
	else
		log_info("dataplane: ESP SAs installed (SPI in 0x%08x, out 0x%08x)", ha->spi_in,
			 ha->spi_out);
}

int dataplane_open(struct hipd *h)
{
	struct dataplane *dp = calloc(1, sizeof(*dp));
	const char *why = "out of memory";
	int rc = dp ? hit0_open(&dp->tun, HIT0_NAME, 1500, &why) : -ENOMEM;

	for (size_t i = 0; !rc && i < h->nids; i++)
		rc = hit0_add_hit(&dp->tun, &h->ids[i]->hit);
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
	dp->polling = true;
	transport_set_esp_rx(h->tr, on_esp, dp);
	h->dp = dp;
	log_info("dataplane: userspace ESP on %s (mtu %u), UDP port %u", dp->tun.name, dp->tun.mtu,
		 h->cfg.udp_port);
	return 0;
}

static void on_poll_closed(uv_handle_t *handle)
{
	struct dataplane *dp = handle->data;

	hit0_close(&dp->tun);
	free(dp);
}

void dataplane_close(struct hipd *h)
{
	struct dataplane *dp = h->dp;

	if (!dp)
		return;
	h->dp = NULL;
	if (h->tr)
		transport_set_esp_rx(h->tr, NULL, NULL);
	uv_poll_stop(&dp->poll);
	uv_close((uv_handle_t *)&dp->poll, on_poll_closed);
}

const struct dataplane_counters *dataplane_counters(const struct hipd *h)
{
	return h->dp ? &h->dp->c : NULL;
}
