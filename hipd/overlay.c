/* HIP BONE routing (RFC 6079, RFC 6028, RFC 7086 7): neighbour set, Chord next hop,
 * origination, forwarding and answering of routed packets; the NOTIFYs a hop sends
 * about a packet it dropped are in overlay_notify.c. No peer protocol here. */
#include "hipd/overlay.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/nat.h"
#include "hipd/output.h"
#include "hipd/overlay_int.h"
#include "hipd/relay_pkt.h"

static const char *const drop_names[DROP_N] = {
    [DROP_UNKNOWN_OVERLAY] = "unknown_overlay", [DROP_TTL] = "ttl_exceeded",
    [DROP_NO_NEXT_HOP] = "no_next_hop",		[DROP_UNKNOWN_NEXT_HOP] = "unknown_next_hop",
    [DROP_NOT_ON_ROUTE] = "not_on_route",	[DROP_LOOP] = "loop",
    [DROP_TOO_MANY_HOPS] = "too_many_hops",	[DROP_MALFORMED] = "malformed",
    [DROP_NO_RECEIVER] = "no_receiver_hit",	[DROP_SEND_FAILED] = "send_failed",
};

int overlay_start(struct hipd *h)
{
	h->overlay = calloc(1, sizeof(*h->overlay));
	if (!h->overlay)
		return -ENOMEM;
	h->overlay->ttl = OVERLAY_TTL_INITIAL;
	return 0;
}

int overlay_set_ttl(struct hipd *h, uint16_t ttl)
{
	if (ttl == 0)
		return -EINVAL;
	h->overlay->ttl = ttl;
	return 0;
}

void overlay_stop(struct hipd *h)
{
	free(h->overlay);
	h->overlay = NULL;
}

int overlay_id_of(const char *name, uint8_t out[OVERLAY_ID_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;

	if (!EVP_Digest(name, strlen(name), md, &md_len, EVP_sha1(), NULL) ||
	    md_len < OVERLAY_ID_LEN)
		return -EIO;
	memcpy(out, md + md_len - OVERLAY_ID_LEN, OVERLAY_ID_LEN); /* the lower 32 bits */
	return 0;
}

int overlay_set(struct hipd *h, const char *name, const struct in6_addr *nbrs, size_t n)
{
	struct overlay *o = h->overlay;
	uint8_t id[OVERLAY_ID_LEN];

	if (!name) {
		o->on = false;
		o->n = 0;
		log_info("overlay: routing off");
		return 0;
	}
	if (!*name || strlen(name) > OVERLAY_NAME_MAX)
		return -EINVAL;
	if (n > OVERLAY_MAX_NEIGHBOURS)
		return -E2BIG;
	if (overlay_id_of(name, id))
		return -EIO;
	o->on = true;
	snprintf(o->name, sizeof(o->name), "%s", name);
	memcpy(o->id, id, sizeof(id));
	if (n) /* nbrs may be NULL for an empty set */
		memcpy(o->nbr, nbrs, n * sizeof(*nbrs));
	o->n = n;
	log_info("overlay %s: %zu neighbours", o->name, n);
	stamp_emit("overlay.set", json_pack("{s:s,s:i}", "overlay", o->name, "neighbours", (int)n));
	return 0;
}

/* ---- pure routing rules ---- */

/* (to - from) mod 2^128, big-endian */
static void ring_dist(const struct in6_addr *from, const struct in6_addr *to, uint8_t out[16])
{
	int borrow = 0;

	for (int i = 15; i >= 0; i--) {
		int d = (int)to->s6_addr[i] - (int)from->s6_addr[i] - borrow;
		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

int overlay_closest(const struct in6_addr *self, const struct in6_addr *target,
		    const struct in6_addr *cands, size_t n)
{
	uint8_t best[16], d[16];
	int pick = -1;

	ring_dist(self, target, best);
	for (size_t i = 0; i < n; i++) {
		ring_dist(&cands[i], target, d);
		if (memcmp(d, best, sizeof(d)) < 0) {
			memcpy(best, d, sizeof(d));
			pick = (int)i;
		}
	}
	return pick;
}

static bool hit_in(const struct in6_addr *hit, const struct in6_addr *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(hit, &set[i], sizeof(*hit)) == 0)
			return true;
	return false;
}

int overlay_after(const struct in6_addr *target, const struct in6_addr *cands, size_t n,
		  const struct in6_addr *skip, size_t n_skip)
{
	uint8_t best[16], d[16];
	int pick = -1;

	for (size_t i = 0; i < n; i++) {
		if (hit_in(&cands[i], skip, n_skip))
			continue;
		ring_dist(target, &cands[i], d);
		if (pick < 0 || memcmp(d, best, sizeof(d)) < 0) {
			memcpy(best, d, sizeof(d));
			pick = (int)i;
		}
	}
	return pick;
}

int overlay_dst_next(const struct hip_p_route *dst, const struct in6_addr *ours, size_t n_ours,
		     const struct in6_addr *receiver, struct in6_addr *next)
{
	size_t pos = 0, seen = 0;

	for (size_t i = 0; i < dst->n; i++) {
		if (!hit_in(&dst->hits[i], ours, n_ours))
			continue;
		seen++;
		pos = i;
	}
	if (seen == 0)
		return -ENOENT;
	if (seen > 1)
		return -ELOOP; /* "MUST be dropped to avoid forwarding loops" */
	*next = pos + 1 < dst->n ? dst->hits[pos + 1] : *receiver;
	return 0;
}

/* ---- the daemon's view ---- */

size_t overlay_our_hits(const struct hipd *h, struct in6_addr *out)
{
	for (size_t i = 0; i < h->nids; i++)
		out[i] = h->ids[i]->hit;
	return h->nids;
}

bool overlay_ha_routed(const struct hip_ha *ha)
{
	return ha->overlay && !nat_ha_path_type(ha);
}

/* An association that can carry overlay traffic to peer: the exchange is done
 * (R2-SENT is enough: the Responder has verified the I2, RFC 7401 4.4.2), any
 * ICE run has found its path, and the path is not itself the overlay. */
struct hip_ha *overlay_usable(struct hipd *h, const struct in6_addr *peer)
{
	for (struct hip_ha *ha = h->db.has; ha; ha = ha->next) {
		if (memcmp(&ha->hit_peer, peer, sizeof(*peer)) != 0)
			continue;
		if (ha->state != HIP_STATE_ESTABLISHED && ha->state != HIP_STATE_R2_SENT)
			continue;
		if (nat_ha_pending(ha) || overlay_ha_routed(ha))
			continue;
		if (!ha->peer_addr.ss_family && !nat_ha_relayed(ha))
			continue;
		return ha;
	}
	return NULL;
}

/* The closest usable neighbour to target; when none is closer than we are, the
 * one that follows target, not one the packet came through (via); or NULL. */
static struct hip_ha *next_hop(struct hipd *h, const struct in6_addr *target,
			       const struct hip_p_route *via)
{
	static struct in6_addr cands[OVERLAY_MAX_NEIGHBOURS];
	static struct hip_ha *has[OVERLAY_MAX_NEIGHBOURS];
	const struct overlay *o = h->overlay;
	size_t n = 0;

	for (size_t i = 0; i < o->n; i++) {
		struct hip_ha *ha = overlay_usable(h, &o->nbr[i]);
		if (!ha)
			continue;
		cands[n] = o->nbr[i];
		has[n++] = ha;
	}
	int pick = overlay_closest(&hipd_default_identity(h)->hit, target, cands, n);
	if (pick < 0)
		pick = overlay_after(target, cands, n, via ? via->hits : NULL, via ? via->n : 0);
	return pick < 0 ? NULL : has[pick];
}

bool overlay_can_reach(struct hipd *h, const struct in6_addr *peer)
{
	return h->overlay && h->overlay->on && next_hop(h, peer, NULL) != NULL;
}

static bool ours_id(const struct overlay *o, const uint8_t *id, size_t len)
{
	return o->on && len == OVERLAY_ID_LEN && memcmp(id, o->id, len) == 0;
}

/* The one parameter of type t in m, or NULL; *dup when it is repeated. */
static const struct hip_param *one(const struct hip_msg *m, uint16_t t, bool *dup)
{
	const struct hip_param *p = hip_msg_find(m, t);

	if (p && hip_msg_find_next(m, p))
		*dup = true;
	return p;
}

void overlay_route_of(const struct hipd *h, const struct hip_msg *m, struct overlay_route *r)
{
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_OVERLAY_ID);
	struct hip_p_route via;
	const uint8_t *id;
	size_t len;

	memset(r, 0, sizeof(*r));
	if (!p || hip_p_overlay_id_decode(p, &id, &len) || !ours_id(h->overlay, id, len))
		return;
	r->via_overlay = true;
	p = hip_msg_find(m, HIP_PARAM_ROUTE_VIA);
	if (!p || hip_p_route_decode(p, &via) || !(via.flags & HIP_ROUTE_SYMMETRIC))
		return;
	/* RFC 6028 3.2: the HITs in reversed order, the same flags (4.1) */
	r->dst.flags = via.flags;
	r->dst.n = via.n;
	for (size_t i = 0; i < via.n; i++)
		r->dst.hits[i] = via.hits[via.n - 1 - i];
}

int overlay_build_signed(const struct hipd *h, const struct overlay_route *r, struct wbuf *w)
{
	const struct overlay *o = h->overlay;

	if (!o || !o->on)
		return -ENOTCONN;
	hip_p_overlay_id_encode(w, o->id, sizeof(o->id));
	if (r && r->dst.n)
		hip_p_route_encode(w, HIP_PARAM_ROUTE_DST, &r->dst);
	return wbuf_error(w);
}

/* ---- sending and forwarding ---- */

/* Replaces the parameter that tlv_w holds (one TLV) in *pkt, using buf. */
static int put(const uint8_t **pkt, size_t *len, const struct wbuf *tlv_w, uint16_t type,
	       uint8_t *buf, size_t cap)
{
	struct wbuf out;
	int err;

	if (wbuf_error(tlv_w))
		return wbuf_error(tlv_w);
	wbuf_init(&out, buf, cap);
	err = relay_pkt_put(*pkt, *len, type, tlv_w->buf, tlv_w->len, &out);
	if (err)
		return err;
	*pkt = buf;
	*len = out.len;
	return 0;
}

static int put_ttl(const uint8_t **pkt, size_t *len, uint16_t ttl, uint8_t *buf)
{
	uint8_t tlv[16];
	struct wbuf w;

	wbuf_init(&w, tlv, sizeof(tlv));
	hip_p_overlay_ttl_encode(&w, ttl);
	return put(pkt, len, &w, HIP_PARAM_OVERLAY_TTL, buf, HIP_MAX_PACKET_LEN);
}

static int put_via(const uint8_t **pkt, size_t *len, const struct hip_p_route *via, uint8_t *buf)
{
	uint8_t tlv[8 + HIP_ROUTE_MAX_HITS * 16];
	struct wbuf w;

	wbuf_init(&w, tlv, sizeof(tlv));
	hip_p_route_encode(&w, HIP_PARAM_ROUTE_VIA, via);
	return put(pkt, len, &w, HIP_PARAM_ROUTE_VIA, buf, HIP_MAX_PACKET_LEN);
}

static void stamp_pkt(const char *ev, const struct hip_msg *m, const struct hip_ha *next,
		      const char *reason)
{
	char s[HIT_STRLEN], r[HIT_STRLEN], n[HIT_STRLEN];
	json_t *o = json_pack("{s:s,s:s,s:s}", "type", hip_packet_type_name(m->type), "from",
			      hit_to_str(&m->hit_s, s), "to", hit_to_str(&m->hit_r, r));

	if (next)
		json_object_set_new(o, "next", json_string(hit_to_str(&next->hit_peer, n)));
	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	stamp_emit(ev, o);
}

static int send_to(struct hip_ha *next, const uint8_t *pkt, size_t len)
{
	uint8_t copy[HIP_MAX_PACKET_LEN];

	if (len > sizeof(copy))
		return -EMSGSIZE;
	memcpy(copy, pkt, len); /* out_send_path sets the checksum in place */
	return out_send_path(next, copy, len);
}

/* Adds our OVERLAY_TTL and, when via is given, that ROUTE_VIA to m, a packet
 * of ours, and sends it to next. */
static int send_first(struct hipd *h, struct hip_ha *next, const struct hip_msg *m,
		      const struct hip_p_route *via)
{
	static uint8_t a[HIP_MAX_PACKET_LEN], b[HIP_MAX_PACKET_LEN];
	const uint8_t *pkt = m->raw;
	size_t len = m->len;
	int err = put_ttl(&pkt, &len, h->overlay->ttl, a);

	if (!err && via)
		err = put_via(&pkt, &len, via, b);
	if (!err)
		err = send_to(next, pkt, len);
	if (err) {
		h->overlay->dropped[DROP_SEND_FAILED]++;
		return err;
	}
	h->overlay->originated++;
	stamp_pkt("overlay.sent", m, next, NULL);
	return 0;
}

int overlay_send_first(struct hipd *h, struct hip_ha *next, const uint8_t *pkt, size_t len)
{
	struct hip_msg m;
	int err = hip_msg_parse(pkt, len, &m);

	return err ? err : send_first(h, next, &m, NULL);
}

int overlay_send(struct hipd *h, const uint8_t *pkt, size_t len)
{
	struct hip_p_route dst, via = {.flags = HIP_ROUTE_SYMMETRIC | HIP_ROUTE_MUST_FOLLOW};
	struct hip_ha *next;
	struct hip_msg m;
	int err = hip_msg_parse(pkt, len, &m);

	if (err)
		return err;
	const struct hip_param *p = hip_msg_find(&m, HIP_PARAM_ROUTE_DST);
	if (p && hip_p_route_decode(p, &dst))
		return -EINVAL;
	/* a Destination list starts at its first HIT (RFC 6028 3.2); otherwise the
	 * overlay's next hop (RFC 7086 7) */
	next = p ? overlay_usable(h, &dst.hits[0]) : next_hop(h, &m.hit_r, NULL);
	if (!next) {
		h->overlay->dropped[DROP_NO_NEXT_HOP]++;
		return -EHOSTUNREACH;
	}
	return send_first(h, next, &m, p ? NULL : &via);
}

static bool drop(struct hipd *h, const struct hip_msg *m, enum drop_reason why)
{
	char s[HIT_STRLEN], r[HIT_STRLEN];

	h->overlay->dropped[why]++;
	log_warn("overlay: %s %s -> %s dropped: %s", hip_packet_type_name(m->type),
		 hit_to_str(&m->hit_s, s), hit_to_str(&m->hit_r, r), drop_names[why]);
	stamp_pkt("overlay.dropped", m, NULL, drop_names[why]);
	return true;
}

/* The next hop of a packet we forward: from ROUTE_DST (RFC 6028 3.3; we never
 * skip entries, so MUST_FOLLOW holds either way), else the closest neighbour. */
static int forward_hop(struct hipd *h, const struct hip_msg *m, struct hip_ha **next)
{
	static const struct in6_addr zero;
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_ROUTE_DST);
	struct in6_addr ours[HIPD_MAX_IDS], hit;
	struct hip_p_route dst;

	if (p) {
		if (hip_p_route_decode(p, &dst))
			return DROP_MALFORMED;
		int err = overlay_dst_next(&dst, ours, overlay_our_hits(h, ours), &m->hit_r, &hit);
		if (err)
			return err == -ELOOP ? DROP_LOOP : DROP_NOT_ON_ROUTE;
		*next = overlay_usable(h, &hit);
		return *next ? -1 : DROP_UNKNOWN_NEXT_HOP;
	}
	const struct hip_param *pv = hip_msg_find(m, HIP_PARAM_ROUTE_VIA);
	struct hip_p_route via = {0};

	if (memcmp(&m->hit_r, &zero, sizeof(zero)) == 0)
		return DROP_NO_RECEIVER;
	if (pv && hip_p_route_decode(pv, &via))
		return DROP_MALFORMED;
	if (via.n < HIP_ROUTE_MAX_HITS)
		via.hits[via.n++] = m->hit_s; /* nor back to the sender */
	*next = next_hop(h, &m->hit_r, &via);
	return *next ? -1 : DROP_NO_NEXT_HOP;
}

/* ROUTE_VIA with our HIT on the association with the next hop appended (RFC
 * 6028 3.1, RFC 7086 7). */
static int append_via(struct hipd *h, const struct hip_param *p, const struct hip_ha *next,
		      const uint8_t **pkt, size_t *len, uint8_t *buf)
{
	struct in6_addr ours[HIPD_MAX_IDS];
	size_t n_ours = overlay_our_hits(h, ours);
	struct hip_p_route via;

	if (hip_p_route_decode(p, &via))
		return DROP_MALFORMED;
	for (size_t i = 0; i < via.n; i++)
		if (hit_in(&via.hits[i], ours, n_ours))
			return DROP_LOOP;
	if (via.n == HIP_ROUTE_MAX_HITS)
		return DROP_TOO_MANY_HOPS;
	via.hits[via.n++] = next->hit_local;
	return put_via(pkt, len, &via, buf) ? DROP_SEND_FAILED : -1;
}

static bool forward(struct hipd *h, const struct hip_msg *m)
{
	static uint8_t a[HIP_MAX_PACKET_LEN], b[HIP_MAX_PACKET_LEN];
	const uint8_t *pkt = m->raw;
	size_t len = m->len;
	bool dup = false;
	struct hip_ha *next = NULL;
	uint16_t ttl = 0;
	int why;

	const struct hip_param *pt = one(m, HIP_PARAM_OVERLAY_TTL, &dup);
	const struct hip_param *pv = one(m, HIP_PARAM_ROUTE_VIA, &dup);
	one(m, HIP_PARAM_ROUTE_DST, &dup);
	if (dup || (pt && hip_p_overlay_ttl_decode(pt, &ttl)))
		return drop(h, m, DROP_MALFORMED);
	/* RFC 6079 6.2: zero and not the final recipient: MUST be dropped, and
	 * SHOULD be answered with OVERLAY_TTL_EXCEEDED to its sender */
	if (pt && ttl == 0) {
		drop(h, m, DROP_TTL);
		overlay_notify_error(h, m, HIP_NTF_OVERLAY_TTL_EXCEEDED);
		return true;
	}
	why = forward_hop(h, m, &next);
	/* RFC 6028 3.3: no valid locator for the next hop of a Destination list:
	 * SHOULD drop, and SHOULD send back UNKNOWN_NEXT_HOP */
	if (why == DROP_UNKNOWN_NEXT_HOP) {
		drop(h, m, DROP_UNKNOWN_NEXT_HOP);
		overlay_notify_error(h, m, HIP_NTF_UNKNOWN_NEXT_HOP);
		return true;
	}
	if (why >= 0)
		return drop(h, m, (enum drop_reason)why);
	if (pt && put_ttl(&pkt, &len, (uint16_t)(ttl - 1), a))
		return drop(h, m, DROP_SEND_FAILED);
	why = pv ? append_via(h, pv, next, &pkt, &len, b) : -1;
	if (why >= 0)
		return drop(h, m, (enum drop_reason)why);
	if (send_to(next, pkt, len))
		return drop(h, m, DROP_SEND_FAILED);
	h->overlay->forwarded++;
	stamp_pkt("overlay.forwarded", m, next, NULL);
	return true;
}

bool overlay_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_OVERLAY_ID);
	const uint8_t *id;
	size_t len;
	(void)rx;

	if (!p || !h->overlay)
		return false;
	if (hip_p_overlay_id_decode(p, &id, &len))
		return drop(h, m, DROP_MALFORMED);
	/* RFC 7086 7: "SHOULD drop packets sent to unknown overlays"; an answer
	 * could not be routed back either */
	if (!ours_id(h->overlay, id, len))
		return drop(h, m, DROP_UNKNOWN_OVERLAY);
	if (hipd_identity(h, &m->hit_r)) {
		h->overlay->delivered++; /* the final recipient (RFC 6079 2) */
		return false;
	}
	return forward(h, m);
}

/* ---- control ---- */

static json_t *neighbours_json(const struct hipd *h)
{
	const struct overlay *o = h->overlay;
	json_t *a = json_array();
	char buf[HIT_STRLEN];

	for (size_t i = 0; i < o->n; i++) {
		const struct hip_ha *ha = hadb_find_peer((struct hadb *)&h->db, &o->nbr[i]);
		bool ok = overlay_usable((struct hipd *)h, &o->nbr[i]) != NULL;

		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:b}", "hit", hit_to_str(&o->nbr[i], buf), "state",
				 ha ? hip_state_name(ha->state) : "none", "usable", ok));
	}
	return a;
}

json_t *overlay_json(const struct hipd *h)
{
	const struct overlay *o = h->overlay;
	json_t *dropped = json_object();
	char node[HIT_STRLEN], id[2 * OVERLAY_ID_LEN + 1];
	uint64_t total = 0;

	for (size_t i = 0; i < DROP_N; i++) {
		json_object_set_new(dropped, drop_names[i],
				    json_integer((json_int_t)o->dropped[i]));
		total += o->dropped[i];
	}
	for (size_t i = 0; i < OVERLAY_ID_LEN; i++)
		snprintf(id + 2 * i, 3, "%02x", o->id[i]);
	json_t *r =
	    json_pack("{s:b,s:b,s:s,s:I,s:I,s:I,s:I,s:o,s:o}", "ok", 1, "enabled", o->on, "node",
		      hit_to_str(&hipd_default_identity(h)->hit, node), "originated",
		      (json_int_t)o->originated, "forwarded", (json_int_t)o->forwarded, "delivered",
		      (json_int_t)o->delivered, "dropped_total", (json_int_t)total, "dropped",
		      dropped, "neighbours", neighbours_json(h));
	overlay_notify_json(o, r);
	if (o->on) {
		json_object_set_new(r, "overlay", json_string(o->name));
		json_object_set_new(r, "overlay_id", json_string(id));
		json_object_set_new(r, "initial_ttl", json_integer(o->ttl));
	}
	return r;
}
