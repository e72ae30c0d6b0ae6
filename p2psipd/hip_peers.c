/* hip mode: peers reachable without NAT traversal (--hip-locator) announce their HIT, P2PP
 * port and locator under the well-known key "p2psip:hip-peers"; every hip-mode node looks
 * them up now and then and learns them (the link layer hands the locators to hipd and opens
 * associations), so that a node behind a NAT knows the public peers around it, also its
 * predecessor, which could not reach it first (HIP BONE forwards only to a neighbour closer
 * to the receiver). Not the link layer. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "common/cursor.h"
#include "common/hit.h"
#include "common/log.h"
#include "p2psipd/p2psipd_ctl.h"
#include "p2psipd/store/store.h"

#define HIP_PEERS_KEY	    "p2psip:hip-peers"
#define HIP_PEERS_VERSION   1
#define HIP_PEERS_LIFETIME  600	  /* s, refreshed by the overlay */
#define HIP_PEERS_PERIOD_MS 10000 /* lookups this far apart */

int hippeer_encode(const struct hippeer *p, uint8_t *buf, size_t cap, size_t *len)
{
	struct wbuf w;

	if (p->ip_version != 4 && p->ip_version != 6)
		return -EINVAL;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, HIP_PEERS_VERSION);
	wbuf_put(&w, &p->hit, 16);
	wbuf_u16(&w, p->port);
	wbuf_u8(&w, p->ip_version);
	wbuf_put(&w, p->ip, p->ip_version == 4 ? 4 : 16);
	if (wbuf_error(&w))
		return -ENOBUFS;
	*len = w.len;
	return 0;
}

int hippeer_parse(const uint8_t *buf, size_t len, struct hippeer *out)
{
	struct cursor c;
	uint8_t v;

	memset(out, 0, sizeof(*out));
	cur_init(&c, buf, len);
	if (cur_u8(&c, &v) || v != HIP_PEERS_VERSION || cur_copy(&c, &out->hit, 16) ||
	    cur_u16(&c, &out->port) || cur_u8(&c, &out->ip_version))
		return -EBADMSG;
	if (out->ip_version != 4 && out->ip_version != 6)
		return -EBADMSG;
	if (cur_copy(&c, out->ip, out->ip_version == 4 ? 4 : 16) || cur_left(&c) ||
	    out->port == 0 || !hit_is_orchid(&out->hit))
		return -EBADMSG;
	return 0;
}

static void put_cand(struct p2pp_peer_info *pi, uint8_t ver, const void *ip, uint16_t port)
{
	struct p2pp_cand *c = &pi->cands[pi->n_cands++];

	memset(c, 0, sizeof(*c));
	c->addr.ver = ver;
	c->addr.port = port;
	memcpy(c->addr.ip, ip, ver == 4 ? 4 : 16);
	c->component = 1;
	c->priority = pi->n_cands == 1 ? 2 : 1;
	c->transport = P2PP_TT_UDP;
	c->type = P2PP_HT_HOST;
}

static void on_peers(void *arg, const struct ovl_result *r)
{
	struct p2psipd *d = arg;
	struct p2pp_peer_info pi;
	unsigned learnt = 0;

	d->hp.busy = false;
	for (unsigned i = 0; !r->err && i < r->n_values && d->node; i++) {
		struct hippeer p;
		struct chord_id id;
		if (hippeer_parse(r->values[i].p, r->values[i].len, &p) ||
		    memcmp(&p.hit, &d->id->hit, 16) == 0)
			continue;
		memset(&pi, 0, sizeof(pi));
		put_cand(&pi, 6, &p.hit, p.port);
		put_cand(&pi, p.ip_version, p.ip, 10500);
		chord_id_from_in6(&id, &p.hit);
		learnt += ovl_learn_peer(d->node, &id, &pi) == 0;
	}
	log_debug("hip peers: %u learnt", learnt);
}

static int publish(struct p2psipd *d, const struct chord_id *key)
{
	uint8_t buf[64];
	size_t len;
	int err = hippeer_encode(&d->hp.self, buf, sizeof(buf), &len);

	if (!err)
		err = ovl_put(d->node, key, OVL_CT_OPAQUE, buf, len, HIP_PEERS_LIFETIME, true, NULL,
			      NULL);
	if (!err)
		d->hp.published = true;
	return err;
}

int p2psipd_hip_peers(struct p2psipd *d)
{
	struct chord_id key;
	uint64_t now;

	if (!d->hp.on || !d->node || ovl_get_state(d->node) != OVL_JOINED ||
	    store_key_from_string(HIP_PEERS_KEY, strlen(HIP_PEERS_KEY), &key))
		return -EAGAIN;
	if (d->hp.self.ip_version && !d->hp.published)
		publish(d, &key);
	now = uv_now(d->loop);
	if (d->hp.busy || now < d->hp.next_ms)
		return 0;
	d->hp.next_ms = now + HIP_PEERS_PERIOD_MS;
	d->hp.busy = ovl_get(d->node, &key, OVL_CT_OPAQUE, on_peers, d) == 0;
	return 0;
}
