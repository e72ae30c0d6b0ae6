/* hipd start-up and shutdown: identities (generated once, then loaded), the R1
 * cache, transports, the control socket and signal handling, in that order. */
#include "hipd/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/bex.h"
#include "common/ctl_server.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/hipd_ctl.h"
#include "hipd/identity.h"
#include "hipd/nat.h"
#include "hipd/overlay.h"
#include "hipd/r1cache.h"
#include "hipd/relay.h"
#include "hipd/transport.h"
#include "hipd/update.h"

void hipd_config_defaults(struct hipd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->state_dir = "/var/lib/hipd";
	cfg->socket_path = "/run/hipd/hipd.sock";
	cfg->node = "hipd";
	cfg->hi_kinds[0] = HOSTID_ECDSA_P256;
	cfg->hi_kinds[1] = HOSTID_RSA;
	cfg->n_hi_kinds = 2;
	cfg->rsa_bits = 3072;
	cfg->transport = HIP_TRANSPORT_RAW;
	cfg->raw_enabled = true;
	cfg->udp_enabled = true;
	cfg->udp_port = HIP_UDP_PORT;
	cfg->puzzle_k = 4; /* low while calm (RFC 7401 4.1.1); raised under an I1 flood */
	cfg->puzzle_k_attack = 16;
	cfg->puzzle_attack_rate = 1000;
	cfg->puzzle_lifetime = 37; /* 2^(37-32) = 32 seconds */
	cfg->dh_groups = (struct hip_p_list8){
	    .ids = {HIP_DH_NIST_P256, HIP_DH_NIST_P384, HIP_DH_MODP_3072, HIP_DH_MODP_2048},
	    .n = 4};
	cfg->hip_ciphers =
	    (struct hip_p_list16){.ids = {HIP_CIPHER_AES128_CBC, HIP_CIPHER_AES256_CBC}, .n = 2};
	cfg->esp_suites = (struct hip_p_list16){
	    .ids = {HIP_ESP_AES_GCM_16, HIP_ESP_AES128_CBC_SHA256, HIP_ESP_AES256_CBC_SHA256},
	    .n = 3};
	cfg->rto_initial_ms = 500;
	cfg->dataplane = DATAPLANE_AUTO;
	cfg->i1_retries_max = 4;
	cfg->i2_retries_max = 4;
	cfg->r2_sent_ms = 2000;
	cfg->closed_ms = 10000;
	cfg->e_failed_ms = 10000;
	cfg->rekey_s = 3600;
	cfg->r1_rotate_ms = 60000;
	cfg->ice_ta_ms = 500; /* RFC 5770 4.4: 500 ms unless configured */
	cfg->relay_max_clients = 1024;
	cfg->relay_max_lifetime_s = 3600;
	cfg->relay_lifetime_s = 600;
	cfg->relay_keepalive_s = 15; /* RFC 5770 4.7 */
}

const struct hostid *hipd_identity(const struct hipd *h, const struct in6_addr *hit)
{
	for (size_t i = 0; i < h->nids; i++)
		if (memcmp(&h->ids[i]->hit, hit, sizeof(*hit)) == 0)
			return h->ids[i];
	return NULL;
}

const struct hostid *hipd_default_identity(const struct hipd *h)
{
	return h->ids[0];
}

static int ensure_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

int hipd_load_identity(const char *state_dir, enum hostid_kind kind, int rsa_bits,
		       struct hostid **out)
{
	char path[4096];
	int err;

	snprintf(path, sizeof(path), "%s/hi-%s.pem", state_dir, hostid_kind_name(kind));
	if (access(path, F_OK) == 0) {
		err = hostid_load(path, out);
		if (err)
			log_err("identity: cannot load %s: %s", path, strerror(-err));
		return err;
	}
	err = ensure_dir(state_dir);
	if (err) {
		log_err("identity: cannot create state directory %s: %s", state_dir,
			strerror(-err));
		return err;
	}
	log_info("identity: generating %s host identity (first start)", hostid_kind_name(kind));
	err = hostid_generate(kind, rsa_bits, out);
	if (!err)
		err = hostid_save(*out, path);
	if (err)
		log_err("identity: cannot create %s: %s", path, strerror(-err));
	return err;
}

static int load_identities(struct hipd *h)
{
	char buf[HIT_STRLEN];

	for (size_t i = 0; i < h->cfg.n_hi_kinds; i++) {
		int err = hipd_load_identity(h->cfg.state_dir, h->cfg.hi_kinds[i], h->cfg.rsa_bits,
					     &h->ids[h->nids]);
		if (err)
			return err;
		log_info("identity: %s HIT %s%s", hostid_kind_name(h->cfg.hi_kinds[i]),
			 hit_to_str(&h->ids[h->nids]->hit, buf), i == 0 ? " (default)" : "");
		h->nids++;
	}
	identity_load_added(h); /* hipconf daemon new|add hi */
	return 0;
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct hipd *h = s->data;

	log_info("received signal %d, stopping", signum);
	hipd_stop(h);
}

static void on_tick(uv_timer_t *t)
{
	update_tick(t->data);
	relay_tick(t->data);
}

static void on_prepare(uv_prepare_t *p)
{
	(void)p;
	stamp_flush(); /* before the loop waits: stamps of this turn reach the file */
}

int hipd_start(struct hipd *h, uv_loop_t *loop)
{
	int err;

	h->loop = loop;
	h->start_ns = stamp_now_ns();
	hadb_init(&h->db);
	err = load_identities(h);
	if (err)
		return err;
	err = r1cache_new(h, &h->r1);
	if (err)
		return err;
	err = relay_start(h);
	if (err)
		return err;
	err = overlay_start(h);
	if (err)
		return err;
	struct transport_opts to = {
	    .raw = h->cfg.raw_enabled, .udp = h->cfg.udp_enabled, .udp_port = h->cfg.udp_port};
	err = transport_open(loop, &to, input_packet, h, &h->tr);
	if (err)
		return err;
	if (h->cfg.dataplane != DATAPLANE_NONE && (err = dataplane_open(h)))
		return err;
	if (h->cfg.nat_modes.n && !h->cfg.udp_enabled) {
		log_err("NAT traversal needs the HIP UDP socket (remove --no-udp)");
		return -EINVAL;
	}
	err = nat_init(h);
	if (err) {
		log_err("nat: cannot start: %s", strerror(-err));
		return err;
	}
	if (h->nat)
		transport_set_udp_filter(h->tr, nat_udp_filter, h);
	err = ctl_server_start(loop, h->cfg.socket_path, hipd_ctl_handle, h, &h->ctl);
	if (err) {
		log_err("control: cannot listen on %s: %s", h->cfg.socket_path, strerror(-err));
		return err;
	}
	uv_signal_init(loop, &h->sigint);
	uv_signal_init(loop, &h->sigterm);
	h->sigint.data = h->sigterm.data = h;
	uv_signal_start(&h->sigint, on_signal, SIGINT);
	uv_signal_start(&h->sigterm, on_signal, SIGTERM);
	uv_prepare_init(loop, &h->flush);
	uv_prepare_start(&h->flush, on_prepare);
	uv_timer_init(loop, &h->tick);
	h->tick.data = h;
	uv_timer_start(&h->tick, on_tick, 1000, 1000);
	log_info("hipd %s ready: transports %s, control %s", HIPSIP_VERSION,
		 transport_describe(h->tr), h->cfg.socket_path);
	stamp_emit("hipd.ready", NULL);
	return 0;
}

void hipd_stop(struct hipd *h)
{
	if (h->stopping)
		return;
	h->stopping = true;
	hadb_clear(&h->db);
	nat_close(h);
	dataplane_close(h);
	transport_close(h->tr);
	h->tr = NULL;
	if (h->ctl)
		ctl_server_close(h->ctl);
	h->ctl = NULL;
	if (uv_is_active((uv_handle_t *)&h->sigint) || h->sigint.loop) {
		uv_close((uv_handle_t *)&h->sigint, NULL);
		uv_close((uv_handle_t *)&h->sigterm, NULL);
		uv_close((uv_handle_t *)&h->flush, NULL);
		uv_close((uv_handle_t *)&h->tick, NULL);
	}
	stamp_flush();
}

void hipd_free(struct hipd *h)
{
	relay_stop(h);
	overlay_stop(h);
	r1cache_free(h->r1);
	h->r1 = NULL;
	for (size_t i = 0; i < h->nids; i++)
		hostid_free(h->ids[i]);
	h->nids = 0;
}
