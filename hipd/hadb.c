/* Host association table and locator map: lookups, creation, removal, LSI
 * allocation. Linear lists: a host has few peers; the state machine is elsewhere. */
#include "hipd/hadb.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "common/stamp.h"
#include "common/ctl_server.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/esp/esp.h"
#include "hipd/nat.h"

static const char *const state_names[] = {
    [HIP_STATE_UNASSOCIATED] = "UNASSOCIATED",
    [HIP_STATE_I1_SENT] = "I1-SENT",
    [HIP_STATE_I2_SENT] = "I2-SENT",
    [HIP_STATE_R2_SENT] = "R2-SENT",
    [HIP_STATE_ESTABLISHED] = "ESTABLISHED",
    [HIP_STATE_CLOSING] = "CLOSING",
    [HIP_STATE_CLOSED] = "CLOSED",
    [HIP_STATE_E_FAILED] = "E-FAILED",
};

const char *hip_state_name(enum hip_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[s];
}

const char *hip_transport_name(enum hip_transport t)
{
	return t == HIP_TRANSPORT_UDP ? "udp" : "raw";
}

void hadb_init(struct hadb *db)
{
	memset(db, 0, sizeof(*db));
	db->next_lsi = 1;
}

static bool same_hit(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

struct hip_ha *hadb_find(struct hadb *db, const struct in6_addr *local, const struct in6_addr *peer)
{
	for (struct hip_ha *ha = db->has; ha; ha = ha->next)
		if (same_hit(&ha->hit_local, local) && same_hit(&ha->hit_peer, peer))
			return ha;
	return NULL;
}

struct hip_ha *hadb_find_peer(struct hadb *db, const struct in6_addr *peer)
{
	for (struct hip_ha *ha = db->has; ha; ha = ha->next)
		if (same_hit(&ha->hit_peer, peer))
			return ha;
	return NULL;
}

/* LSIs come from 1.0.0.0/8 (1.0.0.1 is ours); allocation wraps after 2^24 - 2. */
struct in_addr hadb_lsi_of(struct hadb *db, const struct in6_addr *hit)
{
	struct in_addr lsi = {0};
	struct hip_lsi *l;

	for (l = db->lsis; l; l = l->next)
		if (same_hit(&l->hit, hit))
			return l->lsi;
	l = calloc(1, sizeof(*l));
	if (!l)
		return lsi;
	if (db->next_lsi >= 0xfffffe)
		db->next_lsi = 1;
	l->hit = *hit;
	l->lsi.s_addr = htonl(0x01000000u | ++db->next_lsi);
	l->next = db->lsis;
	db->lsis = l;
	return l->lsi;
}

int hadb_hit_of_lsi(const struct hadb *db, struct in_addr lsi, struct in6_addr *hit)
{
	for (const struct hip_lsi *l = db->lsis; l; l = l->next) {
		if (l->lsi.s_addr == lsi.s_addr) {
			*hit = l->hit;
			return 0;
		}
	}
	return -ENOENT;
}

int hadb_add(struct hadb *db, uv_loop_t *loop, const struct in6_addr *local,
	     const struct in6_addr *peer, struct hip_ha **out)
{
	struct hip_ha *ha = calloc(1, sizeof(*ha));

	if (!ha)
		return -ENOMEM;
	ha->state = HIP_STATE_UNASSOCIATED;
	ha->hit_local = *local;
	ha->hit_peer = *peer;
	ha->lsi_peer = hadb_lsi_of(db, peer);
	ha->started_ns = stamp_now_ns();
	uv_timer_init(loop, &ha->timer);
	ha->timer.data = ha;
	ha->timer_open = true;
	ha->next = db->has;
	db->has = ha;
	db->count++;
	*out = ha;
	return 0;
}

void hadb_free_sa(struct esp_sa *sa)
{
	if (!sa)
		return;
	esp_sa_free(sa);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void hadb_drop_esp(struct hip_ha *ha)
{
	struct esp_sa *sas[3] = {ha->esp_out, ha->esp_in, ha->esp_in_old};

	for (int i = 0; i < 3; i++) {
		if (sas[i]) {
			esp_sa_free(sas[i]);
			OPENSSL_cleanse(sas[i], sizeof(*sas[i]));
			free(sas[i]);
		}
	}
	ha->esp_out = ha->esp_in = ha->esp_in_old = NULL;
}

struct hip_ha *hadb_find_spi(struct hadb *db, uint32_t spi)
{
	for (struct hip_ha *ha = db->has; ha; ha = ha->next)
		if ((ha->esp_in && ha->spi_in == spi) || (ha->esp_in_old && ha->spi_in_old == spi))
			return ha;
	return NULL;
}

void hadb_reset_session(struct hip_ha *ha)
{
	hadb_drop_esp(ha);
	nat_ha_free(ha);
	ha->nat_mode = 0;
	hip_dh_free(ha->upd.dh);
	OPENSSL_cleanse(&ha->upd, sizeof(ha->upd));
	ha->peer_dh_pub_len = 0;
	hip_dh_free(ha->dh);
	ha->dh = NULL;
	hostid_free(ha->peer_id);
	ha->peer_id = NULL;
	ha->peer_host_id_tlv_len = 0;
	memset(&ha->keys, 0, sizeof(ha->keys));
	ha->last_sent_len = 0;
	ha->retries = 0;
	ha->spi_in = 0;
	ha->spi_out = 0;
	ha->fail_reason = NULL;
	ha->via_relay = false;
}

static void ha_free_cb(uv_handle_t *h)
{
	free(h->data);
}

void hadb_answer_waiter(struct hip_ha *ha, json_t *reply)
{
	if (!ha->waiter) {
		json_decref(reply);
		return;
	}
	ctl_deferred_reply(ha->waiter, reply);
	ha->waiter = NULL;
}

static void ha_free(struct hip_ha *ha)
{
	hadb_answer_waiter(ha, ctl_reply_error("the association was removed before it was "
					       "established"));
	hadb_reset_session(ha);
	dataplane_ha_free(ha);
	if (ha->timer_open) {
		uv_timer_stop(&ha->timer);
		uv_close((uv_handle_t *)&ha->timer, ha_free_cb);
		return;
	}
	free(ha);
}

void hadb_del(struct hadb *db, struct hip_ha *ha)
{
	for (struct hip_ha **pp = &db->has; *pp; pp = &(*pp)->next) {
		if (*pp != ha)
			continue;
		*pp = ha->next;
		db->count--;
		ha_free(ha);
		return;
	}
}

void hadb_clear(struct hadb *db)
{
	while (db->has)
		hadb_del(db, db->has);
	while (db->maps) {
		struct hip_map *m = db->maps;
		db->maps = m->next;
		free(m);
	}
	while (db->lsis) {
		struct hip_lsi *l = db->lsis;
		db->lsis = l->next;
		free(l);
	}
}

static struct hip_map *map_find(const struct hadb *db, const struct in6_addr *hit)
{
	for (struct hip_map *m = db->maps; m; m = m->next)
		if (same_hit(&m->hit, hit))
			return m;
	return NULL;
}

const struct hip_map *hadb_map_find(const struct hadb *db, const struct in6_addr *hit)
{
	return map_find(db, hit);
}

static size_t sa_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

int hadb_map_add(struct hadb *db, const struct in6_addr *hit, const struct sockaddr *loc)
{
	struct hip_map *m = map_find(db, hit);

	if (loc->sa_family != AF_INET && loc->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		m->hit = *hit;
		m->next = db->maps;
		db->maps = m;
	}
	for (size_t i = 0; i < m->nlocs; i++)
		if (same_addr(&m->locs[i], loc))
			return -EEXIST;
	if (m->nlocs == HIP_MAP_MAX_LOCS)
		return -ENOSPC;
	memcpy(&m->locs[m->nlocs++], loc, sa_len(loc));
	return 0;
}

static void map_unlink(struct hadb *db, struct hip_map *m)
{
	for (struct hip_map **pp = &db->maps; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			free(m);
			return;
		}
	}
}

int hadb_map_del(struct hadb *db, const struct in6_addr *hit, const struct sockaddr *loc)
{
	struct hip_map *m = map_find(db, hit);

	if (!m)
		return -ENOENT;
	if (!loc) {
		map_unlink(db, m);
		return 0;
	}
	for (size_t i = 0; i < m->nlocs; i++) {
		if (!same_addr(&m->locs[i], loc))
			continue;
		m->locs[i] = m->locs[--m->nlocs];
		if (m->nlocs == 0)
			map_unlink(db, m);
		return 0;
	}
	return -ENOENT;
}
