/* Control-socket command table for hipd: validates arguments, calls into the
 * association code, and renders daemon state as JSON. No socket handling here. */
#include "hipd/hipd_ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/bex.h"
#include "common/ctl_server.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/esp/esp.h"
#include "hipd/hipd.h"
#include "hipd/identity.h"
#include "hipd/keys.h"
#include "hipd/nat.h"
#include "hipd/options.h"
#include "hipd/overlay.h"
#include "ice/sock.h"
#include "hipd/r1cache.h"
#include "hipd/relay.h"
#include "hipd/transport.h"
#include "hipd/update.h"

static int arg_hit(json_t *req, const char *key, struct in6_addr *hit, json_t **err)
{
	const char *s = json_string_value(json_object_get(req, key));

	if (!s) {
		*err = ctl_reply_error("missing argument \"%s\"", key);
		return -EINVAL;
	}
	if (hit_parse(s, hit) < 0) {
		*err = ctl_reply_error("\"%s\" is not an ORCHIDv2 HIT (2001:20::/28)", s);
		return -EINVAL;
	}
	return 0;
}

static const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET)
		return inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf,
				 (socklen_t)len);
	if (ss->ss_family == AF_INET6)
		return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf,
				 (socklen_t)len);
	return "";
}

static json_t *cmd_add_map(struct hipd *h, json_t *req)
{
	struct in6_addr hit;
	struct sockaddr_storage loc;
	json_t *err = NULL;
	const char *ls = json_string_value(json_object_get(req, "locator"));

	if (arg_hit(req, "hit", &hit, &err))
		return err;
	if (!ls || ice_sa_parse_ip(ls, &loc))
		return ctl_reply_error("locator \"%s\" is not an IPv4 or IPv6 address",
				       ls ? ls : "");
	int e = hadb_map_add(&h->db, &hit, (struct sockaddr *)&loc);
	if (e == -EEXIST)
		return ctl_reply_error("locator %s is already mapped to this HIT", ls);
	if (e == -ENOSPC)
		return ctl_reply_error("this HIT already has the maximum number of locators");
	if (e)
		return ctl_reply_error("cannot add map: %s", strerror(-e));
	char lsi[INET_ADDRSTRLEN];
	struct in_addr a = hadb_lsi_of(&h->db, &hit);
	return json_pack("{s:b,s:s}", "ok", 1, "lsi", inet_ntop(AF_INET, &a, lsi, sizeof(lsi)));
}

static json_t *cmd_del_map(struct hipd *h, json_t *req)
{
	struct in6_addr hit;
	struct sockaddr_storage loc;
	json_t *err = NULL;
	const char *ls = json_string_value(json_object_get(req, "locator"));

	if (arg_hit(req, "hit", &hit, &err))
		return err;
	if (ls && ice_sa_parse_ip(ls, &loc))
		return ctl_reply_error("locator \"%s\" is not an IPv4 or IPv6 address", ls);
	if (hadb_map_del(&h->db, &hit, ls ? (struct sockaddr *)&loc : NULL))
		return ctl_reply_error("no such mapping");
	return ctl_reply_ok();
}

static json_t *cmd_get_map(struct hipd *h, json_t *req)
{
	json_t *maps = json_array();
	char buf[INET6_ADDRSTRLEN];
	(void)req;

	for (const struct hip_map *m = h->db.maps; m; m = m->next) {
		json_t *locs = json_array();
		for (size_t i = 0; i < m->nlocs; i++)
			json_array_append_new(locs,
					      json_string(addr_str(&m->locs[i], buf, sizeof(buf))));
		char lsi[INET_ADDRSTRLEN];
		struct in_addr a = hadb_lsi_of(&h->db, &m->hit);
		json_array_append_new(
		    maps, json_pack("{s:s,s:s,s:o}", "hit", hit_to_str(&m->hit, buf), "lsi",
				    inet_ntop(AF_INET, &a, lsi, sizeof(lsi)), "locators", locs));
	}
	return json_pack("{s:b,s:o}", "ok", 1, "maps", maps);
}

/* Data plane counters of an association's SA pair. */
static json_t *esp_json(const struct esp_sa *out, const struct esp_sa *in)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "out_packets", (json_int_t)out->c.packets,
			 "out_bytes", (json_int_t)out->c.bytes, "in_packets",
			 (json_int_t)in->c.packets, "in_bytes", (json_int_t)in->c.bytes, "replayed",
			 (json_int_t)in->c.replayed, "auth_failed", (json_int_t)in->c.auth_failed,
			 "malformed", (json_int_t)in->c.malformed);
}

static json_t *ha_json(const struct hip_ha *ha)
{
	char lh[HIT_STRLEN], ph[HIT_STRLEN], la[INET6_ADDRSTRLEN], pa[INET6_ADDRSTRLEN];
	char lsi[INET_ADDRSTRLEN];
	json_t *o = json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "state", hip_state_name(ha->state), "local_hit",
	    hit_to_str(&ha->hit_local, lh), "peer_hit", hit_to_str(&ha->hit_peer, ph),
	    "local_locator", addr_str(&ha->local_addr, la, sizeof(la)), "peer_locator",
	    addr_str(&ha->peer_addr, pa, sizeof(pa)), "transport",
	    hip_transport_name(ha->transport), "role", ha->initiator ? "initiator" : "responder",
	    "peer_lsi", inet_ntop(AF_INET, &ha->lsi_peer, lsi, sizeof(lsi)));

	if (ha->keys.mac_len) {
		json_object_set_new(o, "hit_suite",
				    json_string(keys_hit_suite_name(ha->rhash_suite)));
		json_object_set_new(o, "dh_group", json_string(keys_dh_group_name(ha->dh_group)));
		json_object_set_new(o, "hip_cipher",
				    json_string(keys_hip_cipher_name(ha->hip_cipher)));
		json_object_set_new(o, "esp_transform",
				    json_string(keys_esp_suite_name(ha->esp_suite)));
		json_object_set_new(o, "spi_in", json_integer(ha->spi_in));
		json_object_set_new(o, "spi_out", json_integer(ha->spi_out));
	}
	if (ha->state == HIP_STATE_ESTABLISHED && ha->established_ns) {
		json_object_set_new(
		    o, "established_s",
		    json_integer(
			(json_int_t)((stamp_now_ns() - ha->established_ns) / 1000000000ull)));
		if (ha->initiator) /* I1 sent to R2 received; a responder waits in R2-SENT */
			json_object_set_new(
			    o, "bex_ms",
			    json_real((double)(ha->established_ns - ha->started_ns) / 1e6));
	}
	json_object_set_new(o, "retransmissions", json_integer(ha->retries));
	json_object_set_new(o, "rekeys", json_integer((json_int_t)ha->upd.rekeys));
	json_object_set_new(o, "rekey_pending", json_boolean(ha->upd.pending));
	if (ha->esp_out && ha->esp_in)
		json_object_set_new(o, "esp", esp_json(ha->esp_out, ha->esp_in));
	if (ha->nat_mode) {
		char path[160];
		const char *desc = nat_ha_path(ha, path, sizeof(path));
		const char *type = nat_ha_path_type(ha);

		json_object_set_new(o, "nat_mode",
				    json_string(ha->nat_mode == HIP_NAT_MODE_ICE_STUN_UDP
						    ? "ICE-STUN-UDP"
						    : "UDP-ENCAPSULATION"));
		if (desc)
			json_object_set_new(o, "ice_path", json_string(desc));
		if (type)
			json_object_set_new(o, "ice_path_type", json_string(type));
		if (ha->nat_mode == HIP_NAT_MODE_ICE_STUN_UDP)
			json_object_set_new(o, "ice_ta_ms", json_integer(ha->ta_ms));
	}
	if (ha->fail_reason)
		json_object_set_new(o, "failure", json_string(ha->fail_reason));
	if (ha->last_notify)
		json_object_set_new(o, "last_notify",
				    json_string(notify_type_name(ha->last_notify)));
	relay_ha_json(ha, o);
	if (ha->overlay) { /* the exchange ran through the overlay (RFC 6079 5.3) */
		json_object_set_new(o, "via_overlay", json_true());
		json_object_set_new(o, "overlay_routed", json_boolean(overlay_ha_routed(ha)));
	}
	return o;
}

static json_t *cmd_get_ha(struct hipd *h, json_t *req)
{
	struct in6_addr hit;
	json_t *err = NULL;
	json_t *has = json_array();
	bool all = !json_object_get(req, "hit");

	if (!all && arg_hit(req, "hit", &hit, &err)) {
		json_decref(has);
		return err;
	}
	for (const struct hip_ha *ha = h->db.has; ha; ha = ha->next)
		if (all || memcmp(&ha->hit_peer, &hit, sizeof(hit)) == 0)
			json_array_append_new(has, ha_json(ha));
	return json_pack("{s:b,s:o}", "ok", 1, "associations", has);
}

static json_t *cmd_get_hi(struct hipd *h, json_t *req)
{
	json_t *ids = json_array();
	char buf[HIT_STRLEN];
	(void)req;

	for (size_t i = 0; i < h->nids; i++) {
		const struct hostid *id = h->ids[i];
		json_array_append_new(ids, json_pack("{s:s,s:s,s:s,s:i,s:i,s:b,s:I}", "hit",
						     hit_to_str(&id->hit, buf), "algorithm",
						     id->algorithm == HIP_HI_RSA ? "RSA" : "ECDSA",
						     "kind", hostid_kind_name(id->kind), "bits",
						     EVP_PKEY_get_bits(id->pkey), "hit_suite",
						     id->suite, "default", i == 0, "associations",
						     (json_int_t)identity_users(h, id)));
	}
	return json_pack("{s:b,s:o}", "ok", 1, "identities", ids);
}

static json_t *identity_reply(const struct hipd *h, const struct hostid *id)
{
	char buf[HIT_STRLEN];

	return json_pack("{s:b,s:s,s:s,s:s,s:i,s:b}", "ok", 1, "hit", hit_to_str(&id->hit, buf),
			 "algorithm", id->algorithm == HIP_HI_RSA ? "RSA" : "ECDSA", "kind",
			 hostid_kind_name(id->kind), "bits", EVP_PKEY_get_bits(id->pkey), "default",
			 hipd_default_identity(h) == id);
}

/* identity_add's result as a reply; frees id when it was not taken. */
static json_t *add_result(struct hipd *h, struct hostid *id)
{
	char buf[HIT_STRLEN];
	int e = identity_add(h, id);

	if (!e)
		return identity_reply(h, id);
	hit_to_str(&id->hit, buf);
	hostid_free(id);
	if (e == -EEXIST)
		return ctl_reply_error("HIT %s is already one of our identities", buf);
	if (e == -ENOSPC)
		return ctl_reply_error("hipd holds %d identities at most: delete one first "
				       "(hipconf daemon del hi HIT)",
				       HIPD_MAX_IDS);
	return ctl_reply_error("cannot save the identity in %s: %s", h->cfg.state_dir,
			       strerror(-e));
}

/* A key generated off the loop (RSA takes a second or more); the reply waits for it. */
struct new_hi_work {
	uv_work_t req;
	struct hipd *h;
	struct ctl_deferred *reply;
	enum hostid_kind kind;
	int bits, err;
	struct hostid *id;
};

static void new_hi_generate(uv_work_t *w)
{
	struct new_hi_work *nw = w->data;

	nw->err = hostid_generate(nw->kind, nw->bits, &nw->id);
}

static json_t *generated(struct hipd *h, int err, struct hostid *id)
{
	if (err)
		return ctl_reply_error("cannot generate the key: %s", strerror(-err));
	if (h->stopping) {
		hostid_free(id);
		return ctl_reply_error("hipd is stopping");
	}
	return add_result(h, id);
}

static void new_hi_done(uv_work_t *w, int status)
{
	struct new_hi_work *nw = w->data;

	if (status) /* cancelled */
		nw->err = nw->err ? nw->err : -ECANCELED;
	ctl_deferred_reply(nw->reply, generated(nw->h, nw->err, nw->id));
	free(nw);
}

static int new_hi_args(json_t *req, enum hostid_kind *kind, int *bits, json_t **err)
{
	const char *ks = json_string_value(json_object_get(req, "kind"));
	json_t *b = json_object_get(req, "bits");

	if (!ks || hostid_kind_parse(ks, kind)) {
		*err = ctl_reply_error("kind \"%s\" is not one of rsa, ecdsa-p256, ecdsa-p384",
				       ks ? ks : "");
		return -EINVAL;
	}
	*bits = 0;
	if (!b)
		return 0;
	if (*kind != HOSTID_RSA || !json_is_integer(b) || json_integer_value(b) < 2048 ||
	    json_integer_value(b) > 8192) {
		*err = ctl_reply_error("bits go with rsa only, from 2048 to 8192");
		return -EINVAL;
	}
	*bits = (int)json_integer_value(b);
	return 0;
}

/* Generates a new identity and keeps it (HIPL's "hipconf daemon new hi"). */
static json_t *cmd_new_hi(struct hipd *h, json_t *req)
{
	enum hostid_kind kind;
	struct hostid *id = NULL;
	json_t *err = NULL;
	int bits;

	if (new_hi_args(req, &kind, &bits, &err))
		return err;
	if (!bits)
		bits = h->cfg.rsa_bits;
	if (h->nids >= HIPD_MAX_IDS)
		return ctl_reply_error("hipd holds %d identities at most: delete one first "
				       "(hipconf daemon del hi HIT)",
				       HIPD_MAX_IDS);
	struct new_hi_work *nw = h->loop ? calloc(1, sizeof(*nw)) : NULL;
	if (nw && (nw->reply = ctl_server_defer(h->ctl))) {
		*nw = (struct new_hi_work){
		    .req.data = nw, .h = h, .reply = nw->reply, .kind = kind, .bits = bits};
		if (uv_queue_work(h->loop, &nw->req, new_hi_generate, new_hi_done) == 0)
			return NULL;
		ctl_deferred_reply(nw->reply, ctl_reply_error("cannot queue the key generation"));
		free(nw);
		return NULL;
	}
	free(nw);
	int e = hostid_generate(kind, bits, &id); /* no loop or no client: here */
	return generated(h, e, id);
}

/* Loads a private key that hipconf read from a file (0600) and sent as PEM text. */
static json_t *cmd_add_hi(struct hipd *h, json_t *req)
{
	json_t *pem = json_object_get(req, "pem");
	struct hostid *id = NULL;

	if (!json_is_string(pem))
		return ctl_reply_error("missing argument \"pem\"");
	int e =
	    hostid_from_pem("from hipconf", json_string_value(pem), json_string_length(pem), &id);
	OPENSSL_cleanse((char *)json_string_value(pem), json_string_length(pem));
	if (e == -EOPNOTSUPP || e == -EINVAL)
		return ctl_reply_error("not a usable private key: an unencrypted PEM key, RSA of "
				       "2048 bits or more, or ECDSA P-256 or P-384");
	if (e)
		return ctl_reply_error("cannot load the key: %s", strerror(-e));
	return add_result(h, id);
}

static json_t *cmd_del_hi(struct hipd *h, json_t *req)
{
	struct in6_addr hit;
	json_t *err = NULL;
	size_t dropped;
	char buf[HIT_STRLEN];
	const struct hostid *id;

	if (arg_hit(req, "hit", &hit, &err))
		return err;
	id = hipd_identity(h, &hit);
	size_t users = id ? identity_users(h, id) : 0;
	int e = identity_del(h, &hit, json_is_true(json_object_get(req, "force")), &dropped);
	const char *s = json_string_value(json_object_get(req, "hit"));
	switch (e) {
	case 0:
		return json_pack("{s:b,s:I,s:s}", "ok", 1, "dropped", (json_int_t)dropped,
				 "default", hit_to_str(&hipd_default_identity(h)->hit, buf));
	case -ENOENT:
		return ctl_reply_error("%s is not one of our identities", s);
	case -EPERM:
		return ctl_reply_error("%s is the last identity: hipd needs one", s);
	case -EBUSY:
		return ctl_reply_error("%s is the default identity (add --force to delete it; "
				       "the next one becomes the default)",
				       s);
	case -EADDRINUSE:
		return ctl_reply_error("%zu associations use %s (add --force to drop them "
				       "without CLOSE)",
				       users, s);
	default:
		return ctl_reply_error("cannot delete: %s", strerror(-e));
	}
}

static int fault_parse(const char *s, enum hipd_fault *f)
{
	static const struct {
		const char *name;
		enum hipd_fault f;
	} faults[] = {
	    {"i2-signature", HIPD_FAULT_I2_SIGNATURE},
	    {"i2-solution", HIPD_FAULT_I2_SOLUTION},
	    {"i2-mac", HIPD_FAULT_I2_MAC},
	    {"i2-critical", HIPD_FAULT_I2_CRITICAL},
	    {"i1-critical", HIPD_FAULT_I1_CRITICAL},
	    {"ice-password", HIPD_FAULT_ICE_PASSWORD},
	};
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		if (strcmp(s, faults[i].name) == 0) {
			*f = faults[i].f;
			return 0;
		}
	}
	return -EINVAL;
}

static json_t *cmd_trigger(struct hipd *h, json_t *req)
{
	struct in6_addr hit;
	json_t *err = NULL;
	enum hipd_fault fault = HIPD_FAULT_NONE;
	const char *fs = json_string_value(json_object_get(req, "fault"));

	if (arg_hit(req, "hit", &hit, &err))
		return err;
	if (fs && !h->cfg.allow_fault_injection)
		return ctl_reply_error(
		    "fault injection is disabled (start hipd with --test-faults)");
	if (fs && fault_parse(fs, &fault))
		return ctl_reply_error("unknown fault \"%s\"", fs);
	int e = bex_trigger(h, &hit, fault);
	if (e == -EHOSTUNREACH)
		return ctl_reply_error(
		    "no locator for %s and no overlay route (add one with: hipconf daemon add "
		    "map HIT LOCATOR, or set the overlay's neighbours)",
		    json_string_value(json_object_get(req, "hit")));
	if (e == -EALREADY)
		return ctl_reply_error("an association with %s is already established",
				       json_string_value(json_object_get(req, "hit")));
	if (e == -EINPROGRESS)
		return ctl_reply_error("a base exchange with %s is already running",
				       json_string_value(json_object_get(req, "hit")));
	if (e)
		return ctl_reply_error("cannot start base exchange: %s", strerror(-e));
	if (!json_is_true(json_object_get(req, "wait")))
		return ctl_reply_ok();
	/* answered from ha_set_state when it is established or has failed */
	struct hip_ha *ha = hadb_find(&h->db, &hipd_default_identity(h)->hit, &hit);
	if (ha)
		ha->waiter = ctl_server_defer(h->ctl);
	return ha && ha->waiter ? NULL : ctl_reply_ok();
}

static json_t *no_association(json_t *req)
{
	return ctl_reply_error("no association with %s",
			       json_string_value(json_object_get(req, "hit")));
}

/* The association with the peer HIT in req's "hit": NULL with *err set when there is none. */
static struct hip_ha *arg_peer_ha(struct hipd *h, json_t *req, json_t **err)
{
	struct in6_addr hit;
	struct hip_ha *ha;

	if (arg_hit(req, "hit", &hit, err))
		return NULL;
	ha = hadb_find_peer(&h->db, &hit);
	if (!ha)
		*err = no_association(req);
	return ha;
}

static json_t *cmd_close(struct hipd *h, json_t *req)
{
	struct in6_addr hit;
	json_t *err = NULL;

	if (arg_hit(req, "hit", &hit, &err))
		return err;
	int e = close_start(h, &hit);
	if (e == -ENOENT)
		return no_association(req);
	if (e)
		return ctl_reply_error("cannot close: %s", strerror(-e));
	return ctl_reply_ok();
}

/* Rekeys the ESP SAs with the peer now (UPDATE, RFC 7402 6.8). */
static json_t *cmd_rekey(struct hipd *h, json_t *req)
{
	json_t *err = NULL;
	struct hip_ha *ha = arg_peer_ha(h, req, &err);

	if (!ha)
		return err;
	int e = update_rekey_start(ha);
	if (e == -ENOTCONN)
		return ctl_reply_error("the association is %s, not ESTABLISHED",
				       hip_state_name(ha->state));
	if (e == -EINPROGRESS)
		return ctl_reply_error("a rekey is already running");
	if (e)
		return ctl_reply_error("cannot rekey: %s", strerror(-e));
	return ctl_reply_ok();
}

/* Forgets the association without CLOSE (HIPL's "rst"): the peer keeps its
 * state until it times out or a new base exchange replaces it. */
static json_t *cmd_reset(struct hipd *h, json_t *req)
{
	json_t *err = NULL;

	if (json_is_true(json_object_get(req, "all"))) {
		size_t n = h->db.count;
		hadb_clear(&h->db);
		return json_pack("{s:b,s:I}", "ok", 1, "dropped", (json_int_t)n);
	}
	struct hip_ha *ha = arg_peer_ha(h, req, &err);

	if (!ha)
		return err;
	hadb_del(&h->db, ha);
	return ctl_reply_ok();
}

static double timeval_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static json_t *cmd_get_status(struct hipd *h, json_t *req)
{
	json_t *hits = json_array();
	char buf[HIT_STRLEN];
	struct rusage ru;
	(void)req;

	getrusage(RUSAGE_SELF, &ru);

	for (size_t i = 0; i < h->nids; i++)
		json_array_append_new(hits, json_string(hit_to_str(&h->ids[i]->hit, buf)));
	json_t *st = json_pack("{s:b,s:s,s:i,s:f,s:o,s:i,s:s,s:o}", "ok", 1, "version",
			       HIPSIP_VERSION, "pid", (int)getpid(), "uptime_s",
			       (double)(stamp_now_ns() - h->start_ns) / 1e9, "hits", hits,
			       "associations", (int)h->db.count, "transports",
			       transport_describe(h->tr), "dataplane", dataplane_json(h));
	json_object_set_new(st, "cpu_user_s", json_real(timeval_s(ru.ru_utime)));
	json_object_set_new(st, "cpu_sys_s", json_real(timeval_s(ru.ru_stime)));
	json_object_set_new(st, "r1_generation",
			    json_integer((json_int_t)r1cache_generation(h->r1)));
	return st;
}

static json_t *cmd_get_dataplane(struct hipd *h, json_t *req)
{
	json_t *o = dataplane_json(h);
	(void)req;

	if (o)
		json_object_set_new(o, "ok", json_true());
	return o;
}

static json_t *cmd_set_debug(struct hipd *h, json_t *req)
{
	const char *s = json_string_value(json_object_get(req, "level"));
	enum log_level level;
	(void)h;

	if (!s || log_level_parse(s, &level))
		return ctl_reply_error("level \"%s\" is not one of error, warning, info, debug",
				       s ? s : "");
	log_set_level(level);
	return ctl_reply_ok();
}

static json_t *cmd_get_debug(struct hipd *h, json_t *req)
{
	(void)h;
	(void)req;
	return json_pack("{s:b,s:s}", "ok", 1, "level", log_level_name(log_get_level()));
}

static json_t *cmd_get_puzzle(struct hipd *h, json_t *req)
{
	(void)req;
	return json_pack("{s:b,s:i}", "ok", 1, "k", h->cfg.puzzle_k);
}

static json_t *cmd_set_puzzle(struct hipd *h, json_t *req)
{
	json_t *k = json_object_get(req, "k");

	if (!json_is_integer(k) || json_integer_value(k) < 0 || json_integer_value(k) > 40)
		return ctl_reply_error("k must be an integer from 0 to 40");
	h->cfg.puzzle_k = (uint8_t)json_integer_value(k);
	log_info("puzzle difficulty set to %u", h->cfg.puzzle_k);
	return ctl_reply_ok();
}

/* HIPL's inc/dec puzzle: K one up or down, for R1s sent from now on. */
static json_t *puzzle_step(struct hipd *h, int step)
{
	int k = h->cfg.puzzle_k + step;

	if (k < 0 || k > 40)
		return ctl_reply_error("K is %u already: it goes from 0 to 40", h->cfg.puzzle_k);
	h->cfg.puzzle_k = (uint8_t)k;
	log_info("puzzle difficulty set to %u", h->cfg.puzzle_k);
	return json_pack("{s:b,s:i}", "ok", 1, "k", k);
}

static json_t *cmd_inc_puzzle(struct hipd *h, json_t *req)
{
	(void)req;
	return puzzle_step(h, 1);
}

static json_t *cmd_dec_puzzle(struct hipd *h, json_t *req)
{
	(void)req;
	return puzzle_step(h, -1);
}

static json_t *cmd_get_nat(struct hipd *h, json_t *req)
{
	json_t *o = nat_json(h);
	(void)req;

	json_object_set_new(o, "ok", json_true());
	return o;
}

/* "none", "udp", "ice" as with hipd --nat: the modes offered in R1 and preferred in I2. */
static int nat_modes_parse(const char *s, struct hip_p_list16 *m)
{
	if (!s)
		return -EINVAL;
	if (strcmp(s, "none") == 0)
		*m = (struct hip_p_list16){.n = 0};
	else if (strcmp(s, "udp") == 0)
		*m = (struct hip_p_list16){.ids = {HIP_NAT_MODE_UDP_ENCAP}, .n = 1};
	else if (strcmp(s, "ice") == 0) /* ICE preferred, UDP for peers without it */
		*m = (struct hip_p_list16){
		    .ids = {HIP_NAT_MODE_ICE_STUN_UDP, HIP_NAT_MODE_UDP_ENCAP}, .n = 2};
	else
		return -EINVAL;
	return 0;
}

/* NAT traversal for exchanges from now on (RFC 5770 4.3): associations keep the mode they
 * negotiated, and the ICE host state stays while any of them may use it. */
static json_t *cmd_set_nat(struct hipd *h, json_t *req)
{
	const char *s = json_string_value(json_object_get(req, "mode"));
	struct hip_p_list16 modes, old = h->cfg.nat_modes;

	if (nat_modes_parse(s, &modes))
		return ctl_reply_error("mode \"%s\" is not one of none, udp, ice", s ? s : "");
	if (modes.n && !h->cfg.udp_enabled)
		return ctl_reply_error("NAT traversal needs the HIP UDP socket (hipd runs with "
				       "--no-udp)");
	h->cfg.nat_modes = modes;
	if (nat_ice_configured(h) && !h->nat) {
		int e = nat_init(h);
		if (e) {
			h->cfg.nat_modes = old;
			return ctl_reply_error("cannot start ICE: %s", strerror(-e));
		}
		if (h->tr)
			transport_set_udp_filter(h->tr, nat_udp_filter, h);
	}
	if (h->r1) /* R1s carry NAT_TRAVERSAL_MODE under their signature */
		r1cache_rotate(h->r1);
	log_info("nat: mode %s for new base exchanges", s);
	json_t *o = nat_json(h);
	json_object_set_new(o, "ok", json_true());
	return o;
}

/* Our addresses that a peer could reach (not loopback, not HITs or LSIs on hit0). */
static json_t *local_addresses(void)
{
	uv_interface_address_t *ifs;
	char buf[INET6_ADDRSTRLEN];
	json_t *list = json_array();
	int n;

	if (uv_interface_addresses(&ifs, &n))
		return list;
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss = {0}; /* libuv's union is not aligned as one */
		const struct sockaddr_in6 *s6 = (const void *)&ss;
		memcpy(&ss, &ifs[i].address, sizeof(ifs[i].address));
		if (ifs[i].is_internal || strcmp(ifs[i].name, "hit0") == 0)
			continue;
		if (ss.ss_family == AF_INET6 && hit_is_orchid(&s6->sin6_addr))
			continue;
		json_t *o = json_pack("{s:s,s:s}", "interface", ifs[i].name, "address",
				      addr_str(&ss, buf, sizeof(buf)));
		if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
			json_object_set_new(o, "scope", json_string("link"));
		json_array_append_new(list, o);
	}
	uv_free_interface_addresses(ifs, n);
	return list;
}

/* HIPL's "locator get": the addresses we could announce, and our ICE candidates. */
static json_t *cmd_get_locator(struct hipd *h, json_t *req)
{
	json_t *o = json_pack("{s:b,s:o}", "ok", 1, "addresses", local_addresses());
	(void)req;

	json_object_set_new(o, "raw", json_boolean(h->cfg.raw_enabled));
	if (h->cfg.udp_enabled)
		json_object_set_new(o, "udp_port", json_integer(h->cfg.udp_port));
	if (h->cfg.ice_host_addrs)
		json_object_set_new(o, "ice_host_addrs", json_string(h->cfg.ice_host_addrs));
	if (h->nat) {
		json_t *nat = nat_host_json(h);
		json_object_set(o, "candidates", json_object_get(nat, "candidates"));
		json_decref(nat);
	} else {
		json_object_set_new(o, "candidates", json_array());
	}
	return o;
}

/* "none" or ADDRESS:PORT */
static int server_arg(json_t *req, struct sockaddr_storage *ss)
{
	const char *s = json_string_value(json_object_get(req, "server"));

	memset(ss, 0, sizeof(*ss));
	if (!s)
		return -EINVAL;
	if (strcmp(s, "none") == 0)
		return 0;
	return ice_sa_parse(s, ss);
}

static json_t *nat_result(int err, const char *what)
{
	if (err == -ENOTCONN)
		return ctl_reply_error("ICE is off: turn it on with hipconf daemon set nat ice");
	if (err)
		return ctl_reply_error("%s: %s", what, strerror(-err));
	return ctl_reply_ok();
}

static json_t *cmd_set_stun(struct hipd *h, json_t *req)
{
	struct sockaddr_storage ss;

	if (server_arg(req, &ss))
		return ctl_reply_error("server must be ADDRESS:PORT or none");
	return nat_result(nat_set_stun(h, &ss), "STUN server");
}

static json_t *cmd_set_turn(struct hipd *h, json_t *req)
{
	struct sockaddr_storage ss;

	if (server_arg(req, &ss))
		return ctl_reply_error("server must be ADDRESS:PORT or none");
	return nat_result(nat_set_turn(h, &ss, json_string_value(json_object_get(req, "user")),
				       json_string_value(json_object_get(req, "pass"))),
			  "TURN server (a user and a password are needed)");
}

/* The HIP relay: server registrations and our own (RFC 5770 4.1). */
static json_t *cmd_get_relay(struct hipd *h, json_t *req)
{
	json_t *o = relay_json(h);
	(void)req;

	return o ? o : ctl_reply_error("the relay module is not running");
}

/* The overlay (HIP BONE) the peer protocol runs: its name and the whole
 * neighbour set, replaced each time ("overlay": null turns routing off). */
static json_t *cmd_set_overlay(struct hipd *h, json_t *req)
{
	static struct in6_addr nbrs[OVERLAY_MAX_NEIGHBOURS];
	json_t *name = json_object_get(req, "overlay");
	json_t *list = json_object_get(req, "neighbours");
	json_t *v;
	size_t i;

	if (json_is_null(name) || !name)
		return overlay_set(h, NULL, NULL, 0) ? ctl_reply_error("cannot turn off")
						     : ctl_reply_ok();
	if (!json_is_string(name) || !*json_string_value(name) ||
	    strlen(json_string_value(name)) > OVERLAY_NAME_MAX)
		return ctl_reply_error("overlay must be a name of 1 to %d octets",
				       OVERLAY_NAME_MAX);
	if (list && !json_is_array(list))
		return ctl_reply_error("neighbours must be an array of HITs");
	if (json_array_size(list) > OVERLAY_MAX_NEIGHBOURS)
		return ctl_reply_error("%zu neighbours: at most %d", json_array_size(list),
				       OVERLAY_MAX_NEIGHBOURS);
	json_array_foreach(list, i, v)
	{
		const char *s = json_string_value(v);
		if (!s || hit_parse(s, &nbrs[i]) < 0)
			return ctl_reply_error("neighbour \"%s\" is not an ORCHIDv2 HIT "
					       "(2001:20::/28)",
					       s ? s : "");
	}
	int e = overlay_set(h, json_string_value(name), nbrs, json_array_size(list));
	return e ? ctl_reply_error("cannot set the overlay: %s", strerror(-e)) : ctl_reply_ok();
}

static json_t *cmd_get_overlay(struct hipd *h, json_t *req)
{
	(void)req;
	return overlay_json(h);
}

/* Reads hipd.conf and the hosts file again (options.c); associations stay. */
static json_t *cmd_reload(struct hipd *h, json_t *req)
{
	(void)req;
	return hipd_options_reload(h);
}

static const struct {
	const char *name;
	json_t *(*fn)(struct hipd *h, json_t *req);
} commands[] = {
    {"reload", cmd_reload},
    {"set-overlay", cmd_set_overlay},
    {"get-overlay", cmd_get_overlay},
    {"get-nat", cmd_get_nat},
    {"set-stun", cmd_set_stun},
    {"set-turn", cmd_set_turn},
    {"add-map", cmd_add_map},
    {"del-map", cmd_del_map},
    {"get-map", cmd_get_map},
    {"get-ha", cmd_get_ha},
    {"get-hi", cmd_get_hi},
    {"new-hi", cmd_new_hi},
    {"add-hi", cmd_add_hi},
    {"del-hi", cmd_del_hi},
    {"set-nat", cmd_set_nat},
    {"get-locator", cmd_get_locator},
    {"get-debug", cmd_get_debug},
    {"inc-puzzle", cmd_inc_puzzle},
    {"dec-puzzle", cmd_dec_puzzle},
    {"trigger", cmd_trigger},
    {"close", cmd_close},
    {"rekey", cmd_rekey},
    {"reset", cmd_reset},
    {"get-status", cmd_get_status},
    {"set-debug", cmd_set_debug},
    {"get-puzzle", cmd_get_puzzle},
    {"set-puzzle", cmd_set_puzzle},
    {"get-dataplane", cmd_get_dataplane},
    {"get-relay", cmd_get_relay},
};

json_t *hipd_ctl_handle(json_t *req, void *arg)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	for (size_t i = 0; cmd && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(arg, req);
	return ctl_reply_error("unknown command \"%s\"", cmd ? cmd : "");
}
