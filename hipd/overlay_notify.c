/* The error NOTIFYs of HIP BONE hops: OVERLAY_TTL_EXCEEDED (RFC 6079 6.2) and
 * UNKNOWN_NEXT_HOP (RFC 6028 3.3) built, signed, routed back through the overlay and
 * rate-limited; and what a sender does with one. Not the routing itself (overlay.c). */
#include <errno.h>
#include <string.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/auth.h"
#include "hipd/bex.h"
#include "hipd/overlay_int.h"

#define TOKEN 1000 /* token-milliseconds in one token */
/* the longest parameter echoed in the data: a ROUTE_DST of 32 HITs */
#define ECHO_MAX (4 + 4 + HIP_ROUTE_MAX_HITS * 16)
/* room left for the OVERLAY_TTL that overlay_send_first adds */
#define TTL_TLV_LEN 8

static bool hit_is_ours(const struct in6_addr *hit, const struct in6_addr *ours, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(hit, &ours[i], sizeof(*hit)) == 0)
			return true;
	return false;
}

/* back = the first n HITs of list, reversed, with its flags (RFC 6028 3.2);
 * none when one of them is ours (the path would loop through us). */
static void reverse(const struct hip_p_route *list, size_t n, const struct hipd *h,
		    struct hip_p_route *back)
{
	struct in6_addr ours[HIPD_MAX_IDS];
	size_t n_ours = overlay_our_hits(h, ours);

	back->flags = list->flags;
	back->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (hit_is_ours(&list->hits[n - 1 - i], ours, n_ours)) {
			back->n = 0;
			return;
		}
		back->hits[back->n++] = list->hits[n - 1 - i];
	}
}

/* RFC 6028 3.1: a new packet for the sender of a packet whose ROUTE_VIA has
 * SYMMETRIC SHOULD carry that list reversed as its ROUTE_DST. */
static bool via_back(const struct hipd *h, const struct hip_msg *m, struct hip_p_route *back)
{
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_ROUTE_VIA);
	struct hip_p_route via;

	if (!p || hip_p_route_decode(p, &via) || !(via.flags & HIP_ROUTE_SYMMETRIC))
		return false;
	reverse(&via, via.n, h, back);
	return true;
}

/* A packet on a Destination list came through the hops listed before us: back
 * through those, reversed. Nothing when we are not on the list exactly once. */
static void dst_back(const struct hipd *h, const struct hip_msg *m, struct hip_p_route *back)
{
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_ROUTE_DST);
	struct in6_addr ours[HIPD_MAX_IDS];
	size_t n_ours = overlay_our_hits(h, ours), pos = 0, seen = 0;
	struct hip_p_route dst;

	if (!p || hip_p_route_decode(p, &dst))
		return;
	for (size_t i = 0; i < dst.n; i++) {
		if (hit_is_ours(&dst.hits[i], ours, n_ours)) {
			pos = i;
			seen++;
		}
	}
	if (seen == 1)
		reverse(&dst, pos, h, back);
}

/* The first hop of the way back to m's sender and the ROUTE_DST for it (back->n
 * 0: none, the first hop is the sender itself), or NULL when there is none. */
static struct hip_ha *way_back(struct hipd *h, const struct hip_msg *m, struct hip_p_route *back)
{
	memset(back, 0, sizeof(*back));
	if (!via_back(h, m, back))
		dst_back(h, m, back);
	if (back->n)
		return overlay_usable(h, &back->hits[0]);
	/* an empty list (we were the first hop) or none: straight back, if we can */
	return overlay_usable(h, &m->hit_s);
}

/* One global token bucket on the loop's clock. */
static bool take_token(struct overlay_notify_stats *s, uint64_t now_ms)
{
	const uint64_t cap = (uint64_t)OVERLAY_NOTIFY_BURST * TOKEN;

	if (!s->started) {
		s->started = true;
		s->tokens_ms = cap;
		s->filled_at = now_ms;
	}
	if (now_ms > s->filled_at) {
		uint64_t add = (now_ms - s->filled_at) * OVERLAY_NOTIFY_RATE;
		s->tokens_ms = add >= cap - s->tokens_ms ? cap : s->tokens_ms + add;
		s->filled_at = now_ms;
	}
	if (s->tokens_ms < TOKEN)
		return false;
	s->tokens_ms -= TOKEN;
	return true;
}

/* RFC 6079 6.2: the header and TRANSACTION_ID; RFC 6028 3.3: the header and
 * ROUTE_DST. A parameter too long to echo leaves the header alone. */
static size_t ntf_data(const struct hip_msg *m, uint16_t type, uint8_t *buf, size_t cap)
{
	uint16_t echo =
	    type == HIP_NTF_UNKNOWN_NEXT_HOP ? HIP_PARAM_ROUTE_DST : HIP_PARAM_TRANSACTION_ID;
	struct wbuf w;

	wbuf_init(&w, buf, cap);
	if (hip_ntf_pkt_encode(&w, m, echo) == 0)
		return w.len;
	wbuf_init(&w, buf, cap);
	return hip_ntf_pkt_encode(&w, m, 0) == 0 ? w.len : 0;
}

/* NOTIFY(HOST_ID, NOTIFICATION, OVERLAY_ID, [ROUTE_DST], HIP_SIGNATURE) to m's
 * sender: HOST_ID so that a sender without an association with us can verify
 * the signature (RFC 7401 5.3.6); OVERLAY_ID because it travels in the overlay
 * (RFC 6079 6.1); ROUTE_DST under the signature (RFC 6028 3.2). */
static int build(const struct hipd *h, const struct hostid *id, const struct hip_msg *m,
		 uint16_t type, const struct hip_p_route *back, struct wbuf *w)
{
	uint8_t data[HIP_HDR_LEN + ECHO_MAX];
	struct overlay_route r = {.via_overlay = true, .dst = *back};
	struct hip_p_host_id hi = {
	    .algorithm = id->algorithm, .hi = id->hi, .hi_len = (uint16_t)id->hi_len};
	struct hip_p_notification n = {.msg_type = type, .data = data};

	n.data_len = ntf_data(m, type, data, sizeof(data));
	if (!n.data_len)
		return -EINVAL;
	hip_build_start(w, HIP_NOTIFY, 0, &id->hit, &m->hit_s);
	hip_p_host_id_encode(w, &hi);
	hip_p_notification_encode(w, &n);
	int err = overlay_build_signed(h, back->n ? &r : NULL, w);
	if (err)
		return err;
	return auth_sign_append(id, w, HIP_PARAM_HIP_SIGNATURE);
}

static void stamp_ntf(const char *ev, uint16_t type, const struct in6_addr *peer,
		      const struct in6_addr *hop, uint8_t pkt_type)
{
	char p[HIT_STRLEN], o[HIT_STRLEN];

	stamp_emit(ev, json_pack("{s:s,s:s,s:s,s:s}", "type", notify_type_name(type), "peer",
				 hit_to_str(peer, p), "hop", hit_to_str(hop, o), "packet",
				 hip_packet_type_name(pkt_type)));
}

void overlay_notify_error(struct hipd *h, const struct hip_msg *m, uint16_t type)
{
	static const struct in6_addr zero;
	static uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct overlay_notify_stats *s = &h->overlay->ntf;
	char to[HIT_STRLEN];
	struct hip_p_route back;
	struct wbuf w;

	/* never an error about an error: two hops could not ping-pong them */
	if (m->type == HIP_NOTIFY || memcmp(&m->hit_s, &zero, sizeof(zero)) == 0)
		return;
	struct hip_ha *first = way_back(h, m, &back);
	if (!first) {
		s->unroutable++;
		log_debug("overlay: no way back to %s for %s", hit_to_str(&m->hit_s, to),
			  notify_type_name(type));
		return;
	}
	if (!take_token(s, uv_now(h->loop))) {
		s->limited++;
		return;
	}
	const struct hostid *id = hipd_identity(h, &first->hit_local);
	if (!id)
		id = hipd_default_identity(h);
	wbuf_init(&w, pkt, sizeof(pkt) - TTL_TLV_LEN);
	int err = build(h, id, m, type, &back, &w);
	if (!err)
		err = overlay_send_first(h, first, pkt, w.len);
	if (err) {
		log_warn("overlay: cannot send %s to %s: %s", notify_type_name(type),
			 hit_to_str(&m->hit_s, to), strerror(-err));
		return;
	}
	s->sent++;
	log_info("overlay: %s about %s sent to %s (first hop %s)", notify_type_name(type),
		 hip_packet_type_name(m->type), hit_to_str(&m->hit_s, to),
		 hit_to_str(&first->hit_peer, (char[HIT_STRLEN]){0}));
	stamp_ntf("overlay.notify_sent", type, &m->hit_s, &first->hit_peer, m->type);
}

void overlay_notify_input(struct hipd *h, const struct hip_msg *m,
			  const struct hip_p_notification *n)
{
	const char *what = notify_type_name(n->msg_type);
	char hop[HIT_STRLEN], peer[HIT_STRLEN];
	struct hip_ntf_pkt pkt;

	hit_to_str(&m->hit_s, hop);
	if (hip_ntf_pkt_decode(n->data, n->data_len, &pkt) || !hipd_identity(h, &pkt.hit_s)) {
		log_info("overlay: %s from hop %s is not about a packet of ours, ignored", what,
			 hop);
		return;
	}
	if (h->overlay)
		h->overlay->ntf.received++;
	hit_to_str(&pkt.hit_r, peer);
	stamp_ntf("overlay.notify_received", n->msg_type, &pkt.hit_r, &m->hit_s, pkt.type);
	/* a hint about the exchange, never more (RFC 7401 6.13): no state change,
	 * the retransmission timer keeps its course */
	struct hip_ha *ha = hadb_find(&h->db, &pkt.hit_s, &pkt.hit_r);
	if (!ha) {
		log_info("overlay: %s from hop %s about our %s to %s, no association", what, hop,
			 hip_packet_type_name(pkt.type), peer);
		return;
	}
	if (ha->last_notify == n->msg_type) {
		log_debug("ha %s: %s again from hop %s", peer, what, hop);
		return;
	}
	ha->last_notify = n->msg_type;
	log_warn("ha %s: our %s did not get through the overlay: hop %s notified %s", peer,
		 hip_packet_type_name(pkt.type), hop, what);
}

void overlay_notify_json(const struct overlay *o, json_t *r)
{
	json_object_set_new(r, "notifies_sent", json_integer((json_int_t)o->ntf.sent));
	json_object_set_new(r, "notifies_limited", json_integer((json_int_t)o->ntf.limited));
	json_object_set_new(r, "notifies_unroutable", json_integer((json_int_t)o->ntf.unroutable));
	json_object_set_new(r, "notifies_received", json_integer((json_int_t)o->ntf.received));
}
