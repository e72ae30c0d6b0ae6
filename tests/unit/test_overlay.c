/* Unit tests of hipd's HIP BONE routing (hipd/overlay.c, overlay_notify.c): the Chord
 * next hop, the Destination-list rules, a base exchange through a chain of four
 * in-process hipd on loopback, hops dropping bad packets and telling the sender by
 * NOTIFY (rate-limited). Namespaces and captures: tests/integration. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hit.h"
#include "hipd/auth.h"
#include "hipd/bex.h"
#include "hipd/daemon.h"
#include "hipd/hadb.h"
#include "hipd/nat.h"
#include "hipd/overlay.h"
#include "hipd/transport.h"
#include "hipd/wire/hip_proto.h"
#include "hipd_pair.h"

static struct in6_addr h6(const char *s)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* ======== the rules, without daemons ======== */

/* RFC 7086 7 on our Chord ring: the neighbour that most closely precedes or
 * equals the receiver HIT mod 2^128, and only one closer than we are */
START_TEST(next_hop_is_the_closest_preceding_neighbour)
{
	struct in6_addr self = h6("2001:20::10");
	struct in6_addr c[3] = {h6("2001:20::20"), h6("2001:20::40"), h6("2001:20::60")};
	struct in6_addr t;

	t = h6("2001:20::50");
	ck_assert_int_eq(overlay_closest(&self, &t, c, 3), 1);
	t = h6("2001:20::40"); /* equal: distance 0 */
	ck_assert_int_eq(overlay_closest(&self, &t, c, 3), 1);
	t = h6("2001:20::18"); /* we precede it more closely than anyone */
	ck_assert_int_eq(overlay_closest(&self, &t, c, 3), -1);
	t = h6("2001:20::10"); /* ourselves */
	ck_assert_int_eq(overlay_closest(&self, &t, c, 3), -1);
	ck_assert_int_eq(overlay_closest(&self, &t, c, 0), -1);
}
END_TEST

/* distances wrap around 2^128: behind the target means far away */
START_TEST(ring_distance_wraps_around)
{
	struct in6_addr self = h6("2001:20::10");
	struct in6_addr c[2] = {h6("ffff::1"), h6("2001:10::")};
	struct in6_addr t = h6("::5");

	ck_assert_int_eq(overlay_closest(&self, &t, c, 2), 0); /* ffff::1 -> ::5 wraps, is short */
	t = h6("2001:20::8"); /* just before us: 2001:10:: precedes it, closer than us */
	ck_assert_int_eq(overlay_closest(&self, &t, c, 2), 1);
}
END_TEST

/* No neighbour closer than us (we are the target's predecessor without an
 * association with it): the neighbour that follows the target, the one that has it
 * as its predecessor, skipping the hops the packet came through */
START_TEST(without_a_closer_neighbour_the_one_after_the_target)
{
	struct in6_addr self = h6("2001:20::10");
	struct in6_addr c[3] = {h6("2001:20::60"), h6("2001:20::20"), h6("2001:20::8")};
	struct in6_addr t = h6("2001:20::18");
	struct in6_addr skip = h6("2001:20::20");

	ck_assert_int_eq(overlay_closest(&self, &t, c, 3), -1);
	ck_assert_int_eq(overlay_after(&t, c, 3, NULL, 0), 1);
	ck_assert_int_eq(overlay_after(&t, c, 3, &skip, 1), 0);
	t = h6("2001:20::70"); /* wraps: ::8 is the first after ::70 */
	ck_assert_int_eq(overlay_after(&t, c, 3, NULL, 0), 2);
	ck_assert_int_eq(overlay_after(&t, c, 0, NULL, 0), -1);
	ck_assert_int_eq(overlay_after(&t, c, 1, c, 1), -1);
}
END_TEST

/* RFC 6028 3.3: the HIT after ours; after the last one, the receiver */
START_TEST(destination_list_gives_the_hit_after_ours)
{
	struct hip_p_route dst = {.n = 3};
	struct in6_addr ours[2] = {h6("2001:20::99"), h6("2001:20::2")};
	struct in6_addr recv = h6("2001:20::7"), next;

	dst.hits[0] = h6("2001:20::1");
	dst.hits[1] = h6("2001:20::2");
	dst.hits[2] = h6("2001:20::3");
	ck_assert_int_eq(overlay_dst_next(&dst, ours, 2, &recv, &next), 0);
	ck_assert_mem_eq(&next, &dst.hits[2], 16);
	ours[1] = h6("2001:20::3");
	ck_assert_int_eq(overlay_dst_next(&dst, ours, 2, &recv, &next), 0);
	ck_assert_mem_eq(&next, &recv, 16);
}
END_TEST

/* RFC 6028 3.3: not in the list: incorrectly forwarded, MUST be dropped; in
 * it more than once: invalid, MUST be dropped */
START_TEST(destination_list_without_us_or_with_us_twice_is_refused)
{
	struct hip_p_route dst = {.n = 3};
	struct in6_addr ours = h6("2001:20::2"), recv = h6("2001:20::7"), next;

	dst.hits[0] = h6("2001:20::1");
	dst.hits[1] = h6("2001:20::5");
	dst.hits[2] = h6("2001:20::6");
	ck_assert_int_eq(overlay_dst_next(&dst, &ours, 1, &recv, &next), -ENOENT);
	dst.hits[0] = ours;
	dst.hits[2] = ours;
	ck_assert_int_eq(overlay_dst_next(&dst, &ours, 1, &recv, &next), -ELOOP);
}
END_TEST

/* RFC 6940 6.3.2: the lower 32 bits of SHA-1 of the overlay name
 * (SHA-1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d) */
START_TEST(overlay_id_is_the_low_32_bits_of_sha1_of_the_name)
{
	static const uint8_t want[4] = {0x9c, 0xd0, 0xd8, 0x9d};
	uint8_t id[OVERLAY_ID_LEN];

	ck_assert_int_eq(overlay_id_of("abc", id), 0);
	ck_assert_mem_eq(id, want, 4);
}
END_TEST

/* ======== four hipd in a chain on loopback ======== */

#define NODES 4

struct chain {
	uv_loop_t loop;
	struct hipd n[NODES];
	struct hipd *by_hit[NODES]; /* A, B, C, D: ascending HITs */
	uint16_t port[NODES];
	char dir[64];
	char state[NODES][96], sock[NODES][96];
	bool (*done)(struct chain *c);
	bool finished;
};

static int cmp_hit(const void *x, const void *y)
{
	const struct hipd *a = *(struct hipd *const *)x, *b = *(struct hipd *const *)y;

	return hit_cmp(&a->ids[0]->hit, &b->ids[0]->hit);
}

static const struct in6_addr *hit_of(const struct hipd *h)
{
	return &h->ids[0]->hit;
}

static uint16_t port_of(struct chain *c, const struct hipd *h)
{
	for (int i = 0; i < NODES; i++)
		if (&c->n[i] == h)
			return c->port[i];
	return 0;
}

static void chain_start(struct chain *c, uint16_t port_base)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "/tmp/hipsip-test-overlay.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(c->dir));
	uv_loop_init(&c->loop);
	for (int i = 0; i < NODES; i++) {
		struct hipd_config *cfg = &c->n[i].cfg;
		snprintf(c->state[i], sizeof(c->state[i]), "%s/%d", c->dir, i);
		snprintf(c->sock[i], sizeof(c->sock[i]), "%s/%d.sock", c->dir, i);
		c->port[i] = (uint16_t)(port_base + i);
		hipd_test_config(&c->n[i], c->state[i], c->sock[i], c->port[i]);
		cfg->nat_modes = (struct hip_p_list16){
		    .ids = {HIP_NAT_MODE_ICE_STUN_UDP, HIP_NAT_MODE_UDP_ENCAP}, .n = 2};
		cfg->ice_ta_ms = 20;
		cfg->ice_host_addrs = "127.0.0.1";
		ck_assert_int_eq(hipd_start(&c->n[i], &c->loop), 0);
		c->by_hit[i] = &c->n[i];
	}
	qsort(c->by_hit, NODES, sizeof(c->by_hit[0]), cmp_hit);
}

static void chain_stop(struct chain *c)
{
	char cmd[128];

	for (int i = 0; i < NODES; i++)
		hipd_stop(&c->n[i]);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	for (int i = 0; i < NODES; i++)
		hipd_free(&c->n[i]);
	ck_assert_int_eq(uv_loop_close(&c->loop), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", c->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void on_poll(uv_timer_t *t)
{
	struct chain *c = t->data;

	if (c->done && c->done(c)) {
		c->finished = true;
		uv_stop(&c->loop);
	}
}

static void on_deadline(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static bool chain_run(struct chain *c, bool (*done)(struct chain *), uint64_t ms)
{
	uv_timer_t poll, deadline;

	c->done = done;
	c->finished = false;
	uv_timer_init(&c->loop, &poll);
	uv_timer_init(&c->loop, &deadline);
	poll.data = c;
	uv_timer_start(&poll, on_poll, 5, 5);
	uv_timer_start(&deadline, on_deadline, ms, 0);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&poll, NULL);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&c->loop, UV_RUN_NOWAIT);
	return c->finished;
}

static struct hip_ha *ha_between(struct hipd *x, struct hipd *y)
{
	return hadb_find(&x->db, hit_of(x), hit_of(y));
}

/* x initiated with y: both ends up and ICE done */
static bool linked(struct hipd *x, struct hipd *y)
{
	struct hip_ha *a = ha_between(x, y), *b = ha_between(y, x);

	return a && b && a->state == HIP_STATE_ESTABLISHED &&
	       (b->state == HIP_STATE_R2_SENT || b->state == HIP_STATE_ESTABLISHED) &&
	       !nat_ha_pending(a) && !nat_ha_pending(b);
}

static bool neighbours_linked(struct chain *c)
{
	return linked(c->by_hit[0], c->by_hit[1]) && linked(c->by_hit[1], c->by_hit[2]) &&
	       linked(c->by_hit[2], c->by_hit[3]);
}

static bool ends_linked(struct chain *c)
{
	return linked(c->by_hit[0], c->by_hit[3]);
}

static void map_to(struct chain *c, struct hipd *from, struct hipd *to)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port_of(c, to))};

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	ck_assert_int_eq(hadb_map_add(&from->db, hit_of(to), (struct sockaddr *)&sin), 0);
}

static void set_overlay(struct hipd *h, struct hipd *n1, struct hipd *n2)
{
	struct in6_addr nbrs[2];
	size_t n = 0;

	if (n1)
		nbrs[n++] = *hit_of(n1);
	if (n2)
		nbrs[n++] = *hit_of(n2);
	ck_assert_int_eq(overlay_set(h, "hipsip-test", nbrs, n), 0);
}

/* A-B, B-C, C-D by plain exchanges; neighbour sets A:{B} B:{A,C} C:{B,D} D:{C} */
static void chain_link(struct chain *c)
{
	struct hipd **x = c->by_hit;

	for (int i = 0; i < NODES - 1; i++) {
		map_to(c, x[i], x[i + 1]);
		ck_assert_int_eq(bex_trigger(x[i], hit_of(x[i + 1]), HIPD_FAULT_NONE), 0);
	}
	ck_assert(chain_run(c, neighbours_linked, 8000));
	set_overlay(x[0], x[1], NULL);
	set_overlay(x[1], x[0], x[2]);
	set_overlay(x[2], x[1], x[3]);
	set_overlay(x[3], x[2], NULL);
}

static json_int_t counter(struct hipd *h, const char *key)
{
	json_t *o = overlay_json(h);
	json_int_t v = json_integer_value(json_object_get(o, key));

	json_decref(o);
	return v;
}

static json_int_t dropped(struct hipd *h, const char *reason)
{
	json_t *o = overlay_json(h);
	json_int_t v = json_integer_value(json_object_get(json_object_get(o, "dropped"), reason));

	json_decref(o);
	return v;
}

/* RFC 7086 7 with RFC 6028 3.1-3.3: I1 and I2 go hop by hop A -> B -> C -> D,
 * R1 and R2 come back along ROUTE_DST; MAC and signatures verify end to end
 * (the exchange completes); ICE then finds the direct path (RFC 6079 5.3) */
START_TEST(base_exchange_runs_through_the_overlay_and_ice_finds_the_path)
{
	struct chain c;

	chain_start(&c, 30711);
	chain_link(&c);
	struct hipd *a = c.by_hit[0], *b = c.by_hit[1], *cc = c.by_hit[2], *d = c.by_hit[3];
	ck_assert(hadb_map_find(&a->db, hit_of(d)) == NULL);
	ck_assert(overlay_can_reach(a, hit_of(d)));
	ck_assert_int_eq(bex_trigger(a, hit_of(d), HIPD_FAULT_NONE), 0);
	ck_assert(ha_between(a, d)->overlay);
	ck_assert(chain_run(&c, ends_linked, 10000));
	struct hip_ha *ad = ha_between(a, d), *da = ha_between(d, a);
	ck_assert(ad->overlay && da->overlay);
	ck_assert(!overlay_ha_routed(ad) && !overlay_ha_routed(da));
	ck_assert_str_eq(nat_ha_path_type(ad), "host");
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ad->peer_addr)->sin_port), port_of(&c, d));
	/* I1, I2 out; R1, R2 back: each hop passes all four */
	ck_assert_int_ge(counter(b, "forwarded"), 4);
	ck_assert_int_ge(counter(cc, "forwarded"), 4);
	ck_assert_int_ge(counter(a, "originated"), 2);
	ck_assert_int_ge(counter(d, "originated"), 2);
	ck_assert_int_ge(counter(d, "delivered"), 2);
	ck_assert_int_ge(counter(a, "delivered"), 2);
	for (int i = 0; i < NODES; i++)
		ck_assert_int_eq(counter(c.by_hit[i], "dropped_total"), 0);
	chain_stop(&c);
}
END_TEST

/* An I1 (or another type) from hit_s to hit_r as a hop would receive it, with
 * the overlay's ID (or another), an OVERLAY_TTL, a Destination list, and a Via
 * list of via_n copies of via_hit (or none). */
struct bad {
	uint8_t type;
	bool no_via;
	const uint8_t *id;
	bool ttl;
	uint16_t ttl_value;
	bool ttl_twice;
	size_t via_n;
	const struct in6_addr *via_hit;
	const struct hip_p_route *dst;
};

static int inject(struct hipd *hop, const struct in6_addr *hit_s, const struct in6_addr *hit_r,
		  const struct bad *b)
{
	static uint8_t pkt[HIP_MAX_PACKET_LEN];
	static struct hip_msg m;
	uint8_t id[OVERLAY_ID_LEN];
	struct hip_p_list8 groups = {.ids = {7}, .n = 1};
	struct hip_p_route via = {.flags = HIP_ROUTE_SYMMETRIC | HIP_ROUTE_MUST_FOLLOW};
	struct hip_rx rx = {.transport = HIP_TRANSPORT_UDP};
	struct wbuf w;

	overlay_id_of("hipsip-test", id);
	wbuf_init(&w, pkt, sizeof(pkt));
	hip_build_start(&w, b->type ? b->type : HIP_I1, 0, hit_s, hit_r);
	hip_p_list8_encode(&w, HIP_PARAM_DH_GROUP_LIST, &groups);
	hip_p_overlay_id_encode(&w, b->id ? b->id : id, OVERLAY_ID_LEN);
	if (b->dst)
		hip_p_route_encode(&w, HIP_PARAM_ROUTE_DST, b->dst);
	if (b->ttl)
		hip_p_overlay_ttl_encode(&w, b->ttl_value);
	if (b->ttl_twice)
		hip_p_overlay_ttl_encode(&w, b->ttl_value);
	for (size_t i = 0; i < b->via_n; i++)
		via.hits[via.n++] = *b->via_hit;
	if (!b->no_via)
		hip_p_route_encode(&w, HIP_PARAM_ROUTE_VIA, &via);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	ck_assert_int_eq(hip_msg_parse(pkt, w.len, &m), 0);
	return overlay_input(hop, &rx, &m);
}

/* RFC 7086 7, RFC 6079 6.2, RFC 6028 3.1, 3.3, 4.1, 6.2: a hop drops packets
 * of other overlays, with TTL 0, without a route, with itself already on the
 * Via list or on the Destination list twice, with a full Via list, with
 * repeated parameters; each counted by reason */
START_TEST(hops_drop_bad_packets_and_count_why)
{
	static const uint8_t other[4] = {1, 2, 3, 4};
	static const struct in6_addr zero;
	struct chain c;

	chain_start(&c, 30721);
	chain_link(&c);
	struct hipd *a = c.by_hit[0], *b = c.by_hit[1], *d = c.by_hit[3];
	const struct in6_addr *ha = hit_of(a), *hb = hit_of(b), *hd = hit_of(d);
	struct hip_p_route dst_without_b = {.n = 1}, dst_b_twice = {.n = 2};
	dst_without_b.hits[0] = *hit_of(c.by_hit[2]);
	dst_b_twice.hits[0] = dst_b_twice.hits[1] = *hb;

	ck_assert(inject(b, ha, hd, &(struct bad){.id = other}));
	ck_assert_int_eq(dropped(b, "unknown_overlay"), 1);
	ck_assert(inject(b, ha, hd, &(struct bad){.ttl = true, .ttl_value = 0}));
	ck_assert_int_eq(dropped(b, "ttl_exceeded"), 1);
	ck_assert(inject(b, ha, hd, &(struct bad){.ttl = true, .ttl_value = 3, .ttl_twice = true}));
	ck_assert_int_eq(dropped(b, "malformed"), 1);
	ck_assert(inject(b, ha, &zero, &(struct bad){0}));
	ck_assert_int_eq(dropped(b, "no_receiver_hit"), 1);
	ck_assert(inject(b, ha, hd, &(struct bad){.via_n = 1, .via_hit = hb}));
	ck_assert_int_eq(dropped(b, "loop"), 1);
	ck_assert(inject(b, ha, hd, &(struct bad){.via_n = HIP_ROUTE_MAX_HITS, .via_hit = ha}));
	ck_assert_int_eq(dropped(b, "too_many_hops"), 1);
	ck_assert(inject(b, hd, ha, &(struct bad){.dst = &dst_without_b}));
	ck_assert_int_eq(dropped(b, "not_on_route"), 1);
	ck_assert(inject(b, hd, ha, &(struct bad){.dst = &dst_b_twice}));
	ck_assert_int_eq(dropped(b, "loop"), 2);
	/* a HIT just above A's: A precedes it more closely than its only neighbour, B,
	 * which sent the packet: no neighbour to try after the receiver either */
	struct in6_addr near_a = *ha;
	if (near_a.s6_addr[15] != 0xff) {
		near_a.s6_addr[15]++;
		ck_assert(inject(a, hb, &near_a, &(struct bad){0}));
		ck_assert_int_eq(dropped(a, "no_next_hop"), 1);
	}
	/* a packet for one of our HITs is not the overlay's to consume */
	ck_assert(!inject(d, ha, hd, &(struct bad){.ttl = true, .ttl_value = 0}));
	/* a good one passes: TTL 5, Via [A] */
	json_int_t fwd = counter(b, "forwarded");
	ck_assert(inject(b, ha, hd,
			 &(struct bad){.ttl = true, .ttl_value = 5, .via_n = 1, .via_hit = ha}));
	ck_assert_int_eq(counter(b, "forwarded"), fwd + 1);
	chain_stop(&c);
}
END_TEST

/* RFC 6079 5.3: a base exchange through the overlay carries the ICE offer and
 * answer; it is not tried without a route, and set-overlay replaces the set */
START_TEST(no_route_without_neighbours_and_the_set_is_replaced)
{
	struct chain c;

	chain_start(&c, 30731);
	chain_link(&c);
	struct hipd *a = c.by_hit[0], *d = c.by_hit[3];
	ck_assert_int_eq(overlay_set(a, "hipsip-test", NULL, 0), 0);
	ck_assert(!overlay_can_reach(a, hit_of(d)));
	ck_assert_int_eq(bex_trigger(a, hit_of(d), HIPD_FAULT_NONE), -EHOSTUNREACH);
	ck_assert_int_eq(overlay_set(a, NULL, NULL, 0), 0);
	json_t *o = overlay_json(a);
	ck_assert(json_is_false(json_object_get(o, "enabled")));
	json_decref(o);
	ck_assert_int_eq(overlay_set(a, "", NULL, 0), -EINVAL);
	chain_stop(&c);
}
END_TEST

/* ======== the hops' error NOTIFYs (RFC 6079 6.2, RFC 6028 3.1, 3.3) ======== */

static bool ad_notified(struct chain *c)
{
	struct hip_ha *ad = ha_between(c->by_hit[0], c->by_hit[3]);

	return ad && ad->last_notify == HIP_NTF_OVERLAY_TTL_EXCEEDED;
}

/* RFC 6079 6.2: TTL zero at a hop that is not the final recipient: dropped,
 * and OVERLAY_TTL_EXCEEDED to the sender; RFC 6028 3.1: with ROUTE_DST = the
 * Via list reversed, so it goes back the way the packet came (C -> B -> A);
 * RFC 7401 6.13: the sender only notes it, its I1 timer runs on */
START_TEST(ttl_zero_at_a_middle_hop_is_notified_back_along_the_via_list)
{
	struct chain c;

	chain_start(&c, 30741);
	chain_link(&c);
	struct hipd *a = c.by_hit[0], *b = c.by_hit[1], *cc = c.by_hit[2], *d = c.by_hit[3];
	ck_assert_int_eq(overlay_set_ttl(a, 0), -EINVAL);
	ck_assert_int_eq(overlay_set_ttl(a, 1), 0); /* B passes it on with 0, C drops it */
	ck_assert_int_eq(bex_trigger(a, hit_of(d), HIPD_FAULT_NONE), 0);
	ck_assert(chain_run(&c, ad_notified, 5000));
	struct hip_ha *ad = ha_between(a, d);
	ck_assert_int_eq(ad->state, HIP_STATE_I1_SENT);
	ck_assert(uv_is_active((uv_handle_t *)&ad->timer));
	ck_assert_ptr_null(hadb_find_peer(&d->db, hit_of(a))); /* the I1 never reached D */
	ck_assert_int_ge(dropped(cc, "ttl_exceeded"), 1);
	ck_assert_int_ge(counter(cc, "notifies_sent"), 1);
	ck_assert_int_ge(counter(b, "forwarded"), 2); /* the I1 out, the NOTIFY back */
	ck_assert_int_ge(counter(a, "notifies_received"), 1);
	ck_assert_int_eq(counter(b, "dropped_total"), 0);
	ck_assert_int_eq(counter(a, "dropped_total"), 0);
	/* the association with the hop that sent it is not touched */
	ck_assert_uint_eq(ha_between(a, b)->last_notify, 0);
	chain_stop(&c);
}
END_TEST

static bool d_notified(struct chain *c)
{
	return counter(c->by_hit[3], "notifies_received") == 1;
}

/* RFC 6028 3.3: no valid locator for the next hop of a Destination list: drop,
 * and UNKNOWN_NEXT_HOP back to the sender; a packet on a Destination list goes
 * back through the hops listed before us (B -> C -> D) */
START_TEST(unknown_next_hop_on_a_destination_list_is_notified_to_the_sender)
{
	struct chain c;

	chain_start(&c, 30751);
	chain_link(&c);
	struct hipd *a = c.by_hit[0], *b = c.by_hit[1], *cc = c.by_hit[2], *d = c.by_hit[3];
	struct hip_p_route dst = {.flags = HIP_ROUTE_SYMMETRIC | HIP_ROUTE_MUST_FOLLOW, .n = 3};
	dst.hits[0] = *hit_of(cc);
	dst.hits[1] = *hit_of(b);
	dst.hits[2] = h6("2001:20::dead"); /* nobody B knows */
	json_int_t fwd = counter(cc, "forwarded");
	ck_assert(inject(b, hit_of(d), hit_of(a),
			 &(struct bad){.type = HIP_R2, .dst = &dst, .no_via = true}));
	ck_assert_int_eq(dropped(b, "unknown_next_hop"), 1);
	ck_assert_int_eq(dropped(b, "no_next_hop"), 0);
	ck_assert_int_eq(counter(b, "notifies_sent"), 1);
	ck_assert(chain_run(&c, d_notified, 5000));
	ck_assert_int_eq(counter(cc, "forwarded"), fwd + 1);
	ck_assert_int_eq(counter(cc, "dropped_total"), 0);
	chain_stop(&c);
}
END_TEST

static bool a_got_burst(struct chain *c)
{
	return counter(c->by_hit[0], "notifies_received") == OVERLAY_NOTIFY_BURST;
}

/* RFC 6079 7, RFC 6028 6: the NOTIFYs come from a token bucket, so 100 bad
 * packets at once give OVERLAY_NOTIFY_BURST of them; it refills over time */
START_TEST(error_notifies_are_rate_limited_under_a_burst)
{
	struct chain c;

	chain_start(&c, 30761);
	chain_link(&c);
	struct hipd *a = c.by_hit[0], *b = c.by_hit[1], *d = c.by_hit[3];
	for (int i = 0; i < 100; i++) /* from A, empty Via: straight back to A */
		ck_assert(inject(b, hit_of(a), hit_of(d), &(struct bad){.ttl = true}));
	ck_assert_int_eq(dropped(b, "ttl_exceeded"), 100);
	ck_assert_int_eq(counter(b, "notifies_sent"), OVERLAY_NOTIFY_BURST);
	ck_assert_int_eq(counter(b, "notifies_limited"), 100 - OVERLAY_NOTIFY_BURST);
	ck_assert(chain_run(&c, a_got_burst, 5000));
	chain_run(&c, NULL, 1000 / OVERLAY_NOTIFY_RATE + 50); /* a token comes back */
	ck_assert(inject(b, hit_of(a), hit_of(d), &(struct bad){.ttl = true}));
	ck_assert_int_eq(counter(b, "notifies_sent"), OVERLAY_NOTIFY_BURST + 1);
	json_t *o = overlay_json(b);
	ck_assert(json_is_integer(json_object_get(o, "notifies_unroutable")));
	json_decref(o);
	chain_stop(&c);
}
END_TEST

/* RFC 7401 5.3.6: never an error NOTIFY about a NOTIFY (two hops could bounce
 * them); a packet with no way back (no Via, no association with its sender)
 * is only counted */
START_TEST(no_error_notify_about_a_notify_nor_without_a_way_back)
{
	struct chain c;

	chain_start(&c, 30771);
	chain_link(&c);
	struct hipd *a = c.by_hit[0], *cc = c.by_hit[2], *d = c.by_hit[3];
	ck_assert(inject(cc, hit_of(a), hit_of(d), &(struct bad){.type = HIP_NOTIFY, .ttl = true}));
	ck_assert_int_eq(dropped(cc, "ttl_exceeded"), 1);
	ck_assert_int_eq(counter(cc, "notifies_sent"), 0);
	ck_assert_int_eq(counter(cc, "notifies_unroutable"), 0);
	ck_assert(inject(cc, hit_of(a), hit_of(d), &(struct bad){.ttl = true, .no_via = true}));
	ck_assert_int_eq(counter(cc, "notifies_sent"), 0);
	ck_assert_int_eq(counter(cc, "notifies_unroutable"), 1);
	chain_stop(&c);
}
END_TEST

/* A NOTIFY OVERLAY_TTL_EXCEEDED from hit_s about an A -> B packet, with the
 * HOST_ID of and signed by id (RFC 7401 5.3.6). */
static void hop_notify(struct hipd *to, const struct hostid *id, const struct in6_addr *hit_s,
		       const struct in6_addr *about_r, bool tamper)
{
	static uint8_t pkt[HIP_MAX_PACKET_LEN];
	static struct hip_msg m;
	uint8_t data[HIP_HDR_LEN];
	struct hip_p_host_id hi = {
	    .algorithm = id->algorithm, .hi = id->hi, .hi_len = (uint16_t)id->hi_len};
	struct hip_p_notification n = {
	    .msg_type = HIP_NTF_OVERLAY_TTL_EXCEEDED, .data = data, .data_len = sizeof(data)};
	struct hip_rx rx = {.transport = HIP_TRANSPORT_UDP};
	struct wbuf w;

	wbuf_init(&w, data, sizeof(data));
	hip_build_start(&w, HIP_I1, 0, hit_of(to), about_r);
	wbuf_init(&w, pkt, sizeof(pkt));
	hip_build_start(&w, HIP_NOTIFY, 0, hit_s, hit_of(to));
	hip_p_host_id_encode(&w, &hi);
	hip_p_notification_encode(&w, &n);
	ck_assert_int_eq(auth_sign_append(id, &w, HIP_PARAM_HIP_SIGNATURE), 0);
	ck_assert_int_eq(hip_msg_parse(pkt, w.len, &m), 0);
	if (tamper) { /* the receiver HIT in the data, under the signature */
		pkt[hip_msg_find(&m, HIP_PARAM_NOTIFICATION)->off + 8 + 39] ^= 1;
		ck_assert_int_eq(hip_msg_parse(pkt, w.len, &m), 0);
	}
	notify_on_notify(to, &rx, &m);
}

/* RFC 7401 6.13 and 5.3.6: a hop's NOTIFY counts only when its signature
 * verifies with the HOST_ID it carries, whose HIT is the sender HIT; even then
 * it is a note on the association, not a change of state */
START_TEST(an_error_notify_counts_only_when_signed_by_its_sender)
{
	struct chain c;

	chain_start(&c, 30781);
	chain_link(&c);
	struct hipd *a = c.by_hit[0], *b = c.by_hit[1], *cc = c.by_hit[2];
	struct hip_ha *ab = ha_between(a, b);
	hop_notify(a, b->ids[0], hit_of(cc), hit_of(b), false); /* B's key, C's HIT */
	hop_notify(a, cc->ids[0], hit_of(cc), hit_of(b), true); /* a broken signature */
	ck_assert_uint_eq(ab->last_notify, 0);
	ck_assert_int_eq(counter(a, "notifies_received"), 0);
	hop_notify(a, cc->ids[0], hit_of(cc), hit_of(b), false);
	ck_assert_uint_eq(ab->last_notify, HIP_NTF_OVERLAY_TTL_EXCEEDED);
	ck_assert_int_eq(counter(a, "notifies_received"), 1);
	ck_assert_int_eq(ab->state, HIP_STATE_ESTABLISHED);
	hop_notify(a, cc->ids[0], hit_of(cc), hit_of(b), false); /* again: noted once more */
	ck_assert_int_eq(counter(a, "notifies_received"), 2);
	chain_stop(&c);
}
END_TEST

static Suite *overlay_suite(void)
{
	Suite *s = suite_create("overlay");
	TCase *rules = tcase_create("rules");
	TCase *chain = tcase_create("chain");

	tcase_add_test(rules, next_hop_is_the_closest_preceding_neighbour);
	tcase_add_test(rules, ring_distance_wraps_around);
	tcase_add_test(rules, without_a_closer_neighbour_the_one_after_the_target);
	tcase_add_test(rules, destination_list_gives_the_hit_after_ours);
	tcase_add_test(rules, destination_list_without_us_or_with_us_twice_is_refused);
	tcase_add_test(rules, overlay_id_is_the_low_32_bits_of_sha1_of_the_name);
	tcase_set_timeout(chain, 60);
	tcase_add_test(chain, base_exchange_runs_through_the_overlay_and_ice_finds_the_path);
	tcase_add_test(chain, hops_drop_bad_packets_and_count_why);
	tcase_add_test(chain, no_route_without_neighbours_and_the_set_is_replaced);
	tcase_add_test(chain, ttl_zero_at_a_middle_hop_is_notified_back_along_the_via_list);
	tcase_add_test(chain, unknown_next_hop_on_a_destination_list_is_notified_to_the_sender);
	tcase_add_test(chain, error_notifies_are_rate_limited_under_a_burst);
	tcase_add_test(chain, no_error_notify_about_a_notify_nor_without_a_way_back);
	tcase_add_test(chain, an_error_notify_counts_only_when_signed_by_its_sender);
	suite_add_tcase(s, rules);
	suite_add_tcase(s, chain);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(overlay_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
