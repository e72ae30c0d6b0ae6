/* The HIP relay (RFC 5770 4.1, 4.5, 4.7, 4.10; RFC 8003): relay_pkt.c's
 * rewriting, then three in-process hipd on loopback (client a, relay r, client
 * b): registration, a base exchange through the relay, refresh, expiry and
 * the packets a relay or a client must refuse. Not the lab test. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/bex.h"
#include "hipd/relay.h"
#include "hipd/relay_int.h"
#include "hipd/relay_pkt.h"
#include "hipd_pair.h"

#define PORT_A 30531
#define PORT_R 30532
#define PORT_B 30533

static const struct in6_addr hit_i = {{{0x20, 0x01, 0x00, 0x21, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}};
static const struct in6_addr hit_r = {{{0x20, 0x01, 0x00, 0x21, 9, 9, 9, 9, 5, 6, 7, 8, 9, 11}}};
static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t other_key[HIP_KEY_MAX] = {16, 15, 14, 13}; /* any key length */

static void loopback(struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &s->sin_addr);
}

static void loopback6(struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	s->sin6_addr = in6addr_loopback;
}

static struct hip_p_relay_addr lo_addr(uint16_t port)
{
	struct sockaddr_storage ss;
	struct hip_p_relay_addr a;

	loopback(&ss, port);
	ck_assert_int_eq(hip_p_relay_addr_from_sa((struct sockaddr *)&ss, IPPROTO_UDP, &a), 0);
	return a;
}

/* ======== relay_pkt.c: the rewriting (RFC 5770 4.5, RFC 8004 4.2.1) ======== */

static uint8_t in_pkt[HIP_MAX_PACKET_LEN], out_pkt[HIP_MAX_PACKET_LEN];

/* A signed-looking I2 tail: ..., HIP_SIGNATURE, ECHO_REQUEST_UNSIGNED, and an
 * unknown non-critical type between RELAY_FROM and RELAY_TO. */
static size_t build_sample(bool with_unknown)
{
	struct hip_p_signature sig = {.algorithm = 7, .sig = key, .sig_len = 32};
	struct hip_p_esp_info ei = {.new_spi = 0x4242};
	struct wbuf w;

	wbuf_init(&w, in_pkt, sizeof(in_pkt));
	hip_build_start(&w, HIP_I2, 0, &hit_i, &hit_r);
	hip_p_esp_info_encode(&w, &ei);
	hip_p_signature_encode(&w, HIP_PARAM_HIP_SIGNATURE, &sig);
	hip_p_echo_encode(&w, HIP_PARAM_ECHO_REQUEST_UNSIGNED, key, 5);
	if (with_unknown)
		hip_build_param(&w, 64000, "unknown", 7);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	return w.len;
}

static int seal(const uint8_t *pkt, size_t len, uint16_t type, const uint8_t *k, size_t *out_len)
{
	struct hip_p_relay_addr a = lo_addr(10500);
	struct wbuf w;

	wbuf_init(&w, out_pkt, sizeof(out_pkt));
	int err = relay_pkt_seal(pkt, len, type, &a, HIP_SUITE_RSA_DSA_SHA256, k, 32, &w);
	*out_len = w.len;
	return err;
}

/* The TLV types of pkt in order, unknown ones too. */
static size_t raw_types(const uint8_t *pkt, size_t len, uint16_t *types, size_t cap)
{
	size_t n = 0;

	for (size_t off = HIP_HDR_LEN; off + 4 <= len && n < cap;) {
		uint16_t t = (uint16_t)(pkt[off] << 8 | pkt[off + 1]);
		uint16_t l = (uint16_t)(pkt[off + 2] << 8 | pkt[off + 3]);
		types[n++] = t;
		off += 11 + l - (l + 3) % 8;
	}
	return n;
}

/* RFC 7401 5.2.1 order; RFC 8004 4.2.1: RELAY_HMAC after what it covers */
START_TEST(seal_inserts_relay_from_in_type_order_and_the_hmac_last)
{
	size_t len = build_sample(true), out_len;
	uint16_t types[16];
	struct hip_msg m;

	ck_assert_int_eq(seal(in_pkt, len, HIP_PARAM_RELAY_FROM, key, &out_len), 0);
	size_t n = raw_types(out_pkt, out_len, types, 16);
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(types[2], HIP_PARAM_ECHO_REQUEST_UNSIGNED);
	ck_assert_uint_eq(types[3], HIP_PARAM_RELAY_FROM);
	ck_assert_uint_eq(types[4], 64000);
	ck_assert_uint_eq(types[5], HIP_PARAM_RELAY_HMAC);
	ck_assert_int_eq(hip_msg_parse(out_pkt, out_len, &m), 0);
	ck_assert_uint_eq(m.len, out_len);
	ck_assert_uint_eq(m.checksum, 0);
	ck_assert_int_eq(relay_pkt_check(&m, HIP_SUITE_RSA_DSA_SHA256, key, 32), 0);
	ck_assert_int_eq(relay_pkt_check(&m, HIP_SUITE_RSA_DSA_SHA256, other_key, 32), -EBADMSG);
}
END_TEST

/* RFC 5770 4.5: the relay must not change what the signature covers */
START_TEST(seal_keeps_the_signed_part_byte_for_byte)
{
	size_t len = build_sample(false), out_len;
	struct hip_msg m;

	ck_assert_int_eq(hip_msg_parse(in_pkt, len, &m), 0);
	size_t sig_end = m.params[1].off + m.params[1].total;
	ck_assert_int_eq(seal(in_pkt, len, HIP_PARAM_RELAY_FROM, key, &out_len), 0);
	ck_assert_uint_gt(out_len, len);
	ck_assert_mem_eq(out_pkt, in_pkt, 1); /* all but Header Length and Checksum */
	ck_assert_mem_eq(out_pkt + 2, in_pkt + 2, 2);
	ck_assert_mem_eq(out_pkt + 6, in_pkt + 6, sig_end - 6);
	ck_assert_uint_eq(out_pkt[1], out_len / 8 - 1);
}
END_TEST

/* One relay hop: packets that already carry relay parameters, or parameters
 * that would have to follow RELAY_HMAC, are not sealed again */
START_TEST(seal_refuses_packets_that_already_carry_relay_parameters)
{
	size_t len = build_sample(false), out_len, l2;
	struct wbuf w;

	ck_assert_int_eq(seal(in_pkt, len, HIP_PARAM_RELAY_FROM, key, &out_len), 0);
	memcpy(in_pkt, out_pkt, out_len);
	ck_assert_int_eq(seal(in_pkt, out_len, HIP_PARAM_RELAY_FROM, key, &l2), -EEXIST);
	ck_assert_int_eq(seal(in_pkt, out_len, HIP_PARAM_RELAY_TO, key, &l2), -EEXIST);
	len = build_sample(false);
	wbuf_init(&w, in_pkt, sizeof(in_pkt));
	w.len = len;
	hip_build_param(&w, 65534, "x", 1); /* above RELAY_HMAC */
	hip_build_set_len(&w);
	ck_assert_int_eq(seal(in_pkt, w.len, HIP_PARAM_RELAY_FROM, key, &l2), -EEXIST);
	ck_assert_int_eq(seal(in_pkt, len, HIP_PARAM_REG_FROM, key, &l2), -EINVAL);
}
END_TEST

START_TEST(seal_refuses_cut_and_oversized_packets)
{
	size_t len = build_sample(false), out_len;
	struct wbuf w;

	ck_assert_int_eq(seal(in_pkt, len - 4, HIP_PARAM_RELAY_FROM, key, &out_len), -EBADMSG);
	ck_assert_int_eq(seal(in_pkt, 39, HIP_PARAM_RELAY_FROM, key, &out_len), -EBADMSG);
	/* a packet near the 2048-byte limit has no room for 64 more bytes */
	wbuf_init(&w, in_pkt, sizeof(in_pkt));
	hip_build_start(&w, HIP_I1, 0, &hit_i, &hit_r);
	hip_build_param(&w, HIP_PARAM_ECHO_REQUEST_UNSIGNED, out_pkt, 2000);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	int err = seal(in_pkt, w.len, HIP_PARAM_RELAY_FROM, key, &out_len);
	ck_assert(err == -EMSGSIZE || err == -ENOBUFS);
}
END_TEST

/* RFC 8004 4.2.1, 4.3.2: exactly one RELAY_HMAC, covering everything */
START_TEST(check_wants_one_relay_hmac_at_the_end)
{
	size_t len = build_sample(false), out_len;
	struct hip_msg m;
	struct wbuf w;

	ck_assert_int_eq(hip_msg_parse(in_pkt, len, &m), 0);
	ck_assert_int_eq(relay_pkt_check(&m, HIP_SUITE_RSA_DSA_SHA256, key, 32), -HIPW_EMISSING);
	ck_assert_int_eq(seal(in_pkt, len, HIP_PARAM_RELAY_FROM, key, &out_len), 0);
	wbuf_init(&w, out_pkt, sizeof(out_pkt));
	w.len = out_len;
	hip_build_param(&w, 65530, "tail", 4); /* unknown, after the HMAC: not covered */
	hip_build_set_len(&w);
	ck_assert_int_eq(hip_msg_parse(out_pkt, w.len, &m), 0);
	ck_assert_int_eq(relay_pkt_check(&m, HIP_SUITE_RSA_DSA_SHA256, key, 32), -EPROTO);
	/* a second RELAY_HMAC */
	ck_assert_int_eq(seal(in_pkt, len, HIP_PARAM_RELAY_FROM, key, &out_len), 0);
	wbuf_init(&w, out_pkt, sizeof(out_pkt));
	w.len = out_len;
	hip_p_mac_encode(&w, HIP_PARAM_RELAY_HMAC, key, 32);
	hip_build_set_len(&w);
	ck_assert_int_eq(hip_msg_parse(out_pkt, w.len, &m), 0);
	ck_assert_int_eq(relay_pkt_check(&m, HIP_SUITE_RSA_DSA_SHA256, key, 32), -EPROTO);
	/* a bit flipped in RELAY_FROM */
	ck_assert_int_eq(seal(in_pkt, len, HIP_PARAM_RELAY_FROM, key, &out_len), 0);
	ck_assert_int_eq(hip_msg_parse(out_pkt, out_len, &m), 0);
	out_pkt[hip_msg_find(&m, HIP_PARAM_RELAY_FROM)->off + 5] ^= 1;
	ck_assert_int_eq(relay_pkt_check(&m, HIP_SUITE_RSA_DSA_SHA256, key, 32), -EBADMSG);
}
END_TEST

/* RFC 5770 4.5 step 4: the relay forwards R1/R2 with RELAY_TO, without its HMAC */
START_TEST(strip_removes_the_hmac_and_keeps_relay_to)
{
	size_t len = build_sample(false), out_len;
	uint8_t stripped[HIP_MAX_PACKET_LEN];
	struct hip_p_relay_addr to;
	struct hip_msg m, s;
	struct wbuf w;

	ck_assert_int_eq(seal(in_pkt, len, HIP_PARAM_RELAY_TO, key, &out_len), 0);
	ck_assert_int_eq(hip_msg_parse(out_pkt, out_len, &m), 0);
	wbuf_init(&w, stripped, sizeof(stripped));
	ck_assert_int_eq(relay_pkt_strip_hmac(&m, &w), 0);
	ck_assert_int_eq(hip_msg_parse(stripped, w.len, &s), 0);
	ck_assert_ptr_null(hip_msg_find(&s, HIP_PARAM_RELAY_HMAC));
	ck_assert_int_eq(relay_pkt_addr(&s, HIP_PARAM_RELAY_TO, &to), 0);
	ck_assert_uint_eq(to.port, 10500);
	ck_assert_uint_eq(w.len, out_len - 40); /* 4 + 32 bytes of HMAC, padded */
	ck_assert_int_eq(relay_pkt_addr(&s, HIP_PARAM_RELAY_FROM, &to), -HIPW_EMISSING);
}
END_TEST

START_TEST(repeated_relay_address_is_rejected)
{
	struct hip_p_relay_addr a = lo_addr(1);
	struct hip_msg m;
	struct wbuf w;

	wbuf_init(&w, in_pkt, sizeof(in_pkt));
	hip_build_start(&w, HIP_I1, 0, &hit_i, &hit_r);
	hip_p_relay_addr_encode(&w, HIP_PARAM_RELAY_FROM, &a);
	hip_p_relay_addr_encode(&w, HIP_PARAM_RELAY_FROM, &a);
	hip_build_set_len(&w);
	ck_assert_int_eq(hip_msg_parse(in_pkt, w.len, &m), 0);
	ck_assert(relay_pkt_has_relay_params(&m));
	ck_assert_int_eq(relay_pkt_addr(&m, HIP_PARAM_RELAY_FROM, &a), -EPROTO);
}
END_TEST

/* ======== three daemons: a, the relay r, b ======== */

struct trio {
	uv_loop_t loop;
	struct hipd a, r, b;
	char dir[64];
	char paths[6][128];
	uv_timer_t poll;
	bool (*done)(struct trio *t);
	bool finished;
};

/* r serves; the names in clients register with it ("b", "ab"). */
static void trio_config(struct trio *t, const char *clients)
{
	struct hipd *hs[3] = {&t->a, &t->r, &t->b};
	static const uint16_t ports[3] = {PORT_A, PORT_R, PORT_B};
	static const char names[] = "arb";

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/hipsip-test-relay.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	for (int i = 0; i < 3; i++) {
		snprintf(t->paths[2 * i], sizeof(t->paths[0]), "%s/%c", t->dir, names[i]);
		snprintf(t->paths[2 * i + 1], sizeof(t->paths[0]), "%s/%c.sock", t->dir, names[i]);
		hipd_test_config(hs[i], t->paths[2 * i], t->paths[2 * i + 1], ports[i]);
		hs[i]->cfg.i1_retries_max = 2;
	}
	t->r.cfg.relay_server = true;
	if (strchr(clients, 'a')) {
		t->a.cfg.relay_client = true;
		loopback(&t->a.cfg.relay_addr, PORT_R);
	}
	if (strchr(clients, 'b')) {
		t->b.cfg.relay_client = true;
		loopback(&t->b.cfg.relay_addr, PORT_R);
	}
}

static void trio_start(struct trio *t)
{
	uv_loop_init(&t->loop);
	ck_assert_int_eq(hipd_start(&t->a, &t->loop), 0);
	ck_assert_int_eq(hipd_start(&t->r, &t->loop), 0);
	ck_assert_int_eq(hipd_start(&t->b, &t->loop), 0);
}

static void trio_stop(struct trio *t)
{
	char cmd[128];

	hipd_stop(&t->a);
	hipd_stop(&t->r);
	hipd_stop(&t->b);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	hipd_free(&t->a);
	hipd_free(&t->r);
	hipd_free(&t->b);
	ck_assert_int_eq(uv_loop_close(&t->loop), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void on_poll(uv_timer_t *timer)
{
	struct trio *t = timer->data;

	if (t->done(t)) {
		t->finished = true;
		uv_stop(&t->loop);
	}
}

static void on_deadline(uv_timer_t *timer)
{
	uv_stop(timer->loop);
}

static bool trio_run(struct trio *t, bool (*done)(struct trio *), uint64_t ms)
{
	uv_timer_t deadline;

	t->done = done;
	t->finished = false;
	uv_timer_init(&t->loop, &t->poll);
	uv_timer_init(&t->loop, &deadline);
	t->poll.data = t;
	uv_timer_start(&t->poll, on_poll, 5, 5);
	uv_timer_start(&deadline, on_deadline, ms, 0);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t->poll, NULL);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	return t->finished;
}

static bool never(struct trio *t)
{
	(void)t;
	return false;
}

/* Lets the loop run ms milliseconds. */
static void settle(struct trio *t, uint64_t ms)
{
	trio_run(t, never, ms);
}

static const struct in6_addr *hit_of(struct hipd *h)
{
	return &h->ids[0]->hit;
}

/* Tells client c the relay's HIT (the map) and lets it act now. */
static void map_relay(struct trio *t, struct hipd *c)
{
	struct sockaddr_storage ss;

	loopback(&ss, PORT_R);
	ck_assert_int_eq(hadb_map_add(&c->db, hit_of(&t->r), (struct sockaddr *)&ss), 0);
	relay_tick(c);
}

static bool b_registered(struct trio *t)
{
	return t->b.relay->cli.state == RC_REGISTERED;
}

static bool a_and_b_settled(struct trio *t)
{
	return t->b.relay->cli.state == RC_REGISTERED &&
	       (t->a.relay->cli.state == RC_REGISTERED || t->a.relay->cli.state == RC_FAILED);
}

static struct relay_reg *reg_of(struct trio *t, struct hipd *client)
{
	for (struct relay_reg *g = t->r.relay->srv.regs; g; g = g->next)
		if (memcmp(&g->client, hit_of(client), 16) == 0)
			return g;
	return NULL;
}

static struct hip_ha *ha_ab(struct trio *t)
{
	return hadb_find(&t->a.db, hit_of(&t->a), hit_of(&t->b));
}

static struct hip_ha *ha_ba(struct trio *t)
{
	return hadb_find(&t->b.db, hit_of(&t->b), hit_of(&t->a));
}

static struct hip_ha *ha_br(struct trio *t)
{
	return hadb_find(&t->b.db, hit_of(&t->b), hit_of(&t->r));
}

static bool ab_up(struct trio *t)
{
	struct hip_ha *a = ha_ab(t), *b = ha_ba(t);

	return a && b && a->state == HIP_STATE_ESTABLISHED &&
	       (b->state == HIP_STATE_R2_SENT || b->state == HIP_STATE_ESTABLISHED);
}

static void register_b(struct trio *t, const char *clients)
{
	trio_config(t, clients);
	trio_start(t);
	map_relay(t, &t->b);
	ck_assert(trio_run(t, b_registered, 5000));
}

/* a sends its I1 for b to the relay's address */
static void a_maps_b_at_relay(struct trio *t)
{
	struct sockaddr_storage ss;

	loopback(&ss, PORT_R);
	ck_assert_int_eq(hadb_map_add(&t->a.db, hit_of(&t->b), (struct sockaddr *)&ss), 0);
}

/* RFC 5770 4.1 (Figure 2), RFC 8003 3.2-3.3: R1 offers RELAY_UDP_HIP, I2
 * requests it, R2 grants it with the client's address as the relay saw it */
START_TEST(client_registers_in_its_base_exchange_with_the_relay)
{
	struct trio t;
	struct sockaddr_storage b_addr;
	char buf[64];

	register_b(&t, "b");
	struct relay_client *c = &t.b.relay->cli;
	loopback(&b_addr, PORT_B);
	ck_assert(c->offered);
	ck_assert(c->asked);
	ck_assert(c->have_reflexive);
	ck_assert_str_eq(relay_endpoint_str(&c->reflexive, buf, sizeof(buf)), "127.0.0.1:30533");
	ck_assert_uint_eq(c->lifetime, hip_reg_lifetime_encode(600)); /* asked for, in range */
	struct relay_reg *g = reg_of(&t, &t.b);
	ck_assert_ptr_nonnull(g);
	ck_assert(relay_same_endpoint((struct sockaddr *)&g->addr, (struct sockaddr *)&b_addr, 0));
	ck_assert_uint_eq(g->lifetime, c->lifetime);
	json_t *j = relay_json(&t.r);
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(j, "server"), "clients")),
			  1);
	json_decref(j);
	j = relay_json(&t.b);
	ck_assert(json_is_true(json_object_get(json_object_get(j, "client"), "registered")));
	json_decref(j);
	j = json_object(); /* hipconf daemon get ha, on both ends */
	relay_ha_json(ha_br(&t), j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "relay_registration")), "registered");
	json_decref(j);
	j = json_object();
	relay_ha_json(hadb_find(&t.r.db, hit_of(&t.r), hit_of(&t.b)), j);
	ck_assert_int_gt(json_integer_value(json_object_get(j, "relay_client_remaining_s")), 600);
	json_decref(j);
	trio_stop(&t);
}
END_TEST

/* RFC 5770 4.5 (Figure 4): I1 and I2 reach b through the relay with
 * RELAY_FROM; b's R1 and R2 go back with RELAY_TO; b keeps a's own address */
START_TEST(base_exchange_through_the_relay_completes)
{
	struct trio t;
	struct sockaddr_storage a_addr, r_addr;

	register_b(&t, "b");
	a_maps_b_at_relay(&t);
	ck_assert_int_eq(bex_trigger(&t.a, hit_of(&t.b), HIPD_FAULT_NONE), 0);
	ck_assert(trio_run(&t, ab_up, 5000));
	loopback(&a_addr, PORT_A);
	loopback(&r_addr, PORT_R);
	struct hip_ha *b = ha_ba(&t), *a = ha_ab(&t);
	ck_assert(b->via_relay);
	ck_assert(relay_same_endpoint((struct sockaddr *)&b->relay_peer_addr,
				      (struct sockaddr *)&a_addr, 0));
	ck_assert(relay_same_endpoint((struct sockaddr *)&b->peer_addr, (struct sockaddr *)&r_addr,
				      0)); /* 4.10: control still through the relay */
	ck_assert(
	    relay_same_endpoint((struct sockaddr *)&a->peer_addr, (struct sockaddr *)&r_addr, 0));
	ck_assert_uint_eq(a->spi_out, b->spi_in);
	ck_assert_uint_eq(t.r.relay->srv.relayed_in, 2);
	ck_assert_uint_eq(t.r.relay->srv.relayed_out, 2);
	json_t *o = json_object();
	relay_ha_json(b, o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "relayed_peer_locator")),
			 "127.0.0.1:30531");
	json_decref(o);
	trio_stop(&t);
}
END_TEST

/* RFC 5770 5.6: IPv6 transport addresses as they are (no IPv4 mapping) */
START_TEST(base_exchange_through_the_relay_over_ipv6)
{
	struct trio t;
	struct sockaddr_storage r6, a6;
	char buf[64];

	trio_config(&t, "b");
	loopback6(&t.b.cfg.relay_addr, PORT_R);
	trio_start(&t);
	loopback6(&r6, PORT_R);
	ck_assert_int_eq(hadb_map_add(&t.b.db, hit_of(&t.r), (struct sockaddr *)&r6), 0);
	relay_tick(&t.b);
	ck_assert(trio_run(&t, b_registered, 5000));
	ck_assert_str_eq(relay_endpoint_str(&t.b.relay->cli.reflexive, buf, sizeof(buf)),
			 "[::1]:30533");
	ck_assert_int_eq(hadb_map_add(&t.a.db, hit_of(&t.b), (struct sockaddr *)&r6), 0);
	ck_assert_int_eq(bex_trigger(&t.a, hit_of(&t.b), HIPD_FAULT_NONE), 0);
	ck_assert(trio_run(&t, ab_up, 5000));
	loopback6(&a6, PORT_A);
	ck_assert(ha_ba(&t)->via_relay);
	ck_assert(relay_same_endpoint((struct sockaddr *)&ha_ba(&t)->relay_peer_addr,
				      (struct sockaddr *)&a6, 0));
	ck_assert_uint_eq(t.r.relay->srv.relayed_out, 2);
	trio_stop(&t);
}
END_TEST

/* RFC 5770 4.1: "MUST silently drop packets to a HIP relay client that has not
 * previously registered" */
START_TEST(relay_drops_i1_for_an_unregistered_hit)
{
	struct trio t;

	trio_config(&t, "");
	trio_start(&t);
	a_maps_b_at_relay(&t);
	ck_assert_int_eq(bex_trigger(&t.a, hit_of(&t.b), HIPD_FAULT_NONE), 0);
	settle(&t, 400);
	ck_assert_uint_eq(t.r.relay->srv.relayed_in, 0);
	ck_assert_uint_ge(t.r.relay->srv.dropped, 1);
	ck_assert_int_eq(ha_ab(&t)->state, HIP_STATE_I1_SENT);
	ck_assert_ptr_null(ha_ba(&t));
	trio_stop(&t);
}
END_TEST

/* A packet as the relay would receive it from src. */
static void feed(struct hipd *h, const uint8_t *pkt, size_t len, uint16_t src_port)
{
	struct hip_rx rx = {.pkt = pkt, .len = len, .transport = HIP_TRANSPORT_UDP};

	loopback(&rx.src, src_port);
	loopback(&rx.dst, 0);
	input_packet(h, &rx);
}

/* An R1-typed packet from b to a with RELAY_TO = to, sealed with k. */
static size_t client_r1(struct trio *t, uint16_t to_port, const uint8_t *k, size_t k_len,
			uint8_t suite)
{
	struct hip_p_relay_addr to = lo_addr(to_port);
	struct hip_p_r1_counter rc = {.generation = 1};
	struct wbuf w;

	wbuf_init(&w, in_pkt, sizeof(in_pkt));
	hip_build_start(&w, HIP_R1, 0, hit_of(&t->b), hit_of(&t->a));
	hip_p_r1_counter_encode(&w, &rc);
	hip_build_set_len(&w);
	size_t len = w.len;
	wbuf_init(&w, out_pkt, sizeof(out_pkt));
	ck_assert_int_eq(relay_pkt_seal(in_pkt, len, HIP_PARAM_RELAY_TO, &to, suite, k, k_len, &w),
			 0);
	return w.len;
}

static bool b_notified_not_relayed(struct trio *t)
{
	struct hip_ha *br = ha_br(t);

	return br && br->last_notify == HIP_NTF_MESSAGE_NOT_RELAYED;
}

/* Not an open reflector: a registered client may aim R1/R2 only at peers whose
 * I1/I2 came through the relay (RFC 5770 4.10: MESSAGE_NOT_RELAYED otherwise) */
START_TEST(relay_refuses_r1_to_an_address_no_i1_came_from)
{
	struct trio t;

	register_b(&t, "b");
	struct hip_ha *br = ha_br(&t);
	size_t len = client_r1(&t, 9, br->keys.mac_out, br->keys.mac_len, br->rhash_suite);
	uint64_t dropped = t.r.relay->srv.dropped;
	feed(&t.r, out_pkt, len, PORT_B);
	ck_assert_uint_eq(t.r.relay->srv.relayed_out, 0);
	ck_assert_uint_eq(t.r.relay->srv.dropped, dropped + 1);
	ck_assert(trio_run(&t, b_notified_not_relayed, 2000));
	trio_stop(&t);
}
END_TEST

/* RFC 8004 4.2.1: a packet from the client's address without a valid
 * RELAY_HMAC, or from elsewhere, is dropped without an answer */
START_TEST(relay_drops_client_packets_without_a_valid_relay_hmac)
{
	struct trio t;

	register_b(&t, "b");
	struct hip_ha *br = ha_br(&t);
	uint64_t dropped = t.r.relay->srv.dropped;
	size_t len = client_r1(&t, PORT_A, other_key, br->keys.mac_len, br->rhash_suite);
	feed(&t.r, out_pkt, len, PORT_B);
	len = client_r1(&t, PORT_A, br->keys.mac_out, br->keys.mac_len, br->rhash_suite);
	feed(&t.r, out_pkt, len, PORT_A); /* right HMAC, not the registered port */
	ck_assert_uint_eq(t.r.relay->srv.dropped, dropped + 2);
	settle(&t, 300);
	ck_assert_uint_ne(ha_br(&t)->last_notify, HIP_NTF_MESSAGE_NOT_RELAYED);
	ck_assert_uint_eq(t.r.relay->srv.relayed_out, 0);
	trio_stop(&t);
}
END_TEST

/* One relay hop: an I1 that already carries RELAY_FROM is not relayed again */
START_TEST(relay_drops_inbound_packets_with_relay_parameters)
{
	struct trio t;
	struct hip_p_relay_addr from = lo_addr(7);
	struct wbuf w;

	register_b(&t, "b");
	wbuf_init(&w, in_pkt, sizeof(in_pkt));
	hip_build_start(&w, HIP_I1, 0, hit_of(&t.a), hit_of(&t.b));
	hip_p_relay_addr_encode(&w, HIP_PARAM_RELAY_FROM, &from);
	hip_build_set_len(&w);
	uint64_t dropped = t.r.relay->srv.dropped;
	feed(&t.r, in_pkt, w.len, PORT_A);
	ck_assert_uint_eq(t.r.relay->srv.dropped, dropped + 1);
	ck_assert_uint_eq(t.r.relay->srv.relayed_in, 0);
	trio_stop(&t);
}
END_TEST

/* An I1 for b as the relay would send it: RELAY_FROM = a, sealed with k. */
static size_t relayed_i1(struct trio *t, const struct in6_addr *to_hit, const uint8_t *k,
			 size_t k_len, uint8_t suite, struct hip_msg *m)
{
	struct hip_p_relay_addr from = lo_addr(PORT_A);
	struct wbuf w;

	wbuf_init(&w, in_pkt, sizeof(in_pkt));
	hip_build_start(&w, HIP_I1, 0, hit_of(&t->a), to_hit);
	hip_p_list8_encode(&w, HIP_PARAM_DH_GROUP_LIST, &t->a.cfg.dh_groups);
	hip_build_set_len(&w);
	size_t len = w.len;
	wbuf_init(&w, out_pkt, sizeof(out_pkt));
	ck_assert_int_eq(
	    relay_pkt_seal(in_pkt, len, HIP_PARAM_RELAY_FROM, &from, suite, k, k_len, &w), 0);
	ck_assert_int_eq(hip_msg_parse(out_pkt, w.len, m), 0);
	return w.len;
}

/* RFC 5770 4.5 step 3, RFC 8004 4.3.2: the client takes RELAY_FROM only from
 * its relay with a RELAY_HMAC that verifies; opportunistic relayed I1s are dropped */
START_TEST(client_checks_relay_hmac_and_source_of_relayed_packets)
{
	static const struct in6_addr zero;
	struct trio t;
	struct hip_rx rx = {.transport = HIP_TRANSPORT_UDP};
	struct relay_note note;
	struct hip_msg m;

	register_b(&t, "b");
	struct hip_ha *rb = hadb_find(&t.r.db, hit_of(&t.r), hit_of(&t.b));
	loopback(&rx.src, PORT_R);
	loopback(&rx.dst, 0);
	relayed_i1(&t, hit_of(&t.b), rb->keys.mac_out, rb->keys.mac_len, rb->rhash_suite, &m);
	ck_assert(!relay_input(&t.b, &rx, &m, &note));
	ck_assert(note.relayed);
	relayed_i1(&t, hit_of(&t.b), other_key, rb->keys.mac_len, rb->rhash_suite, &m);
	ck_assert(relay_input(&t.b, &rx, &m, &note)); /* dropped */
	relayed_i1(&t, hit_of(&t.b), rb->keys.mac_out, rb->keys.mac_len, rb->rhash_suite, &m);
	loopback(&rx.src, PORT_A); /* not from the relay */
	ck_assert(relay_input(&t.b, &rx, &m, &note));
	loopback(&rx.src, PORT_R);
	relayed_i1(&t, &zero, rb->keys.mac_out, rb->keys.mac_len, rb->rhash_suite, &m);
	ck_assert(relay_input(&t.b, &rx, &m, &note));
	/* a host that registered nowhere drops RELAY_FROM too */
	relayed_i1(&t, hit_of(&t.a), rb->keys.mac_out, rb->keys.mac_len, rb->rhash_suite, &m);
	ck_assert(relay_input(&t.a, &rx, &m, &note));
	trio_stop(&t);
}
END_TEST

static bool b_refreshed(struct trio *t)
{
	return t->b.relay->cli.registrations >= 2;
}

/* RFC 8003 3.2: registration on an existing association by UPDATE, before the
 * lifetime ends; the relay's ACK carries REG_RESPONSE */
START_TEST(registration_is_refreshed_by_update_before_it_expires)
{
	struct trio t;

	register_b(&t, "b");
	struct relay_reg *g = reg_of(&t, &t.b);
	uint64_t old_expiry = g->expires_ns;
	uint32_t upd_id = ha_br(&t)->upd.next_id;
	relay_clock_advance(&t.b, 500); /* past 4/5 of the 608 s */
	relay_tick(&t.b);
	ck_assert(t.b.relay->cli.updating);
	ck_assert(trio_run(&t, b_refreshed, 3000));
	ck_assert_uint_gt(reg_of(&t, &t.b)->expires_ns, old_expiry);
	ck_assert_uint_eq(ha_br(&t)->upd.next_id, upd_id + 1);
	ck_assert(!t.b.relay->cli.updating);
	ck_assert_int_eq(t.b.relay->cli.state, RC_REGISTERED);
	trio_stop(&t);
}
END_TEST

/* RFC 8003 5: registrations are soft state; an expired one relays nothing */
START_TEST(expired_registration_relays_nothing)
{
	struct trio t;

	register_b(&t, "b");
	relay_clock_advance(&t.r, 700);
	relay_tick(&t.r);
	ck_assert_ptr_null(reg_of(&t, &t.b));
	a_maps_b_at_relay(&t);
	ck_assert_int_eq(bex_trigger(&t.a, hit_of(&t.b), HIPD_FAULT_NONE), 0);
	settle(&t, 300);
	ck_assert_uint_eq(t.r.relay->srv.relayed_in, 0);
	ck_assert_ptr_null(ha_ba(&t));
	trio_stop(&t);
}
END_TEST

/* The table is bounded: RFC 8003 4.5 Failure Type 2, "insufficient resources" */
START_TEST(full_relay_refuses_with_insufficient_resources)
{
	struct trio t;

	trio_config(&t, "ab");
	t.r.cfg.relay_max_clients = 1;
	trio_start(&t);
	map_relay(&t, &t.b);
	ck_assert(trio_run(&t, b_registered, 5000));
	map_relay(&t, &t.a);
	ck_assert(trio_run(&t, a_and_b_settled, 5000));
	ck_assert_int_eq(t.a.relay->cli.state, RC_FAILED);
	ck_assert_int_eq(t.a.relay->cli.failure_type, HIP_REG_FAIL_RESOURCES);
	ck_assert_ptr_null(reg_of(&t, &t.a));
	ck_assert_uint_eq(t.r.relay->srv.count, 1);
	trio_stop(&t);
}
END_TEST

static bool b_failed(struct trio *t)
{
	return t->b.relay->cli.state == RC_FAILED;
}

/* RFC 8003 4.3: no REG_REQUEST unless the R1 offered the type in REG_INFO */
START_TEST(host_that_is_no_relay_is_not_asked_to_register)
{
	struct trio t;

	trio_config(&t, "b");
	t.r.cfg.relay_server = false;
	trio_start(&t);
	map_relay(&t, &t.b);
	ck_assert(trio_run(&t, b_failed, 5000));
	ck_assert(!t.b.relay->cli.offered);
	ck_assert(!t.b.relay->cli.asked);
	ck_assert_ptr_null(reg_of(&t, &t.b));
	ck_assert_int_eq(ha_br(&t)->state, HIP_STATE_ESTABLISHED);
	trio_stop(&t);
}
END_TEST

static bool keepalive_arrived(struct trio *t)
{
	return t->r.relay->srv.keepalives >= 1;
}

/* RFC 5770 4.7, 5.3: every 15 s a NOTIFY without parameters, taken silently */
START_TEST(client_sends_keepalives_that_the_relay_takes_silently)
{
	struct trio t;

	register_b(&t, "b");
	ck_assert_uint_eq(t.b.relay->cli.keepalives, 0);
	relay_clock_advance(&t.b, 14);
	relay_tick(&t.b);
	ck_assert_uint_eq(t.b.relay->cli.keepalives, 0);
	relay_clock_advance(&t.b, 1);
	relay_tick(&t.b);
	ck_assert_uint_eq(t.b.relay->cli.keepalives, 1);
	ck_assert(trio_run(&t, keepalive_arrived, 2000));
	ck_assert_uint_eq(hadb_find(&t.r.db, hit_of(&t.r), hit_of(&t.b))->last_notify, 0);
	trio_stop(&t);
}
END_TEST

/* RFC 5770 4.1: only a serving relay announces RELAY_UDP_HIP in R1 */
START_TEST(only_a_serving_relay_offers_reg_info)
{
	struct hipd h = {0};
	uint8_t buf[64];
	struct wbuf w;

	hipd_config_defaults(&h.cfg);
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(relay_r1_params(&h, &w), 0);
	ck_assert_uint_eq(w.len, 0);
	h.cfg.relay_server = true;
	ck_assert_int_eq(relay_r1_params(&h, &w), 0);
	ck_assert_uint_eq(w.len, 8);
	ck_assert_uint_eq(buf[0] << 8 | buf[1], HIP_PARAM_REG_INFO);
	ck_assert_uint_eq(buf[4], hip_reg_lifetime_encode(10));
	ck_assert_uint_eq(buf[6], HIP_REG_RELAY_UDP_HIP);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("relay");
	TCase *pkt = tcase_create("pkt");
	TCase *run = tcase_create("daemons");

	tcase_add_test(pkt, seal_inserts_relay_from_in_type_order_and_the_hmac_last);
	tcase_add_test(pkt, seal_keeps_the_signed_part_byte_for_byte);
	tcase_add_test(pkt, seal_refuses_packets_that_already_carry_relay_parameters);
	tcase_add_test(pkt, seal_refuses_cut_and_oversized_packets);
	tcase_add_test(pkt, check_wants_one_relay_hmac_at_the_end);
	tcase_add_test(pkt, strip_removes_the_hmac_and_keeps_relay_to);
	tcase_add_test(pkt, repeated_relay_address_is_rejected);
	tcase_add_test(pkt, only_a_serving_relay_offers_reg_info);

	tcase_set_timeout(run, 60);
	tcase_add_test(run, client_registers_in_its_base_exchange_with_the_relay);
	tcase_add_test(run, base_exchange_through_the_relay_completes);
	tcase_add_test(run, base_exchange_through_the_relay_over_ipv6);
	tcase_add_test(run, relay_drops_i1_for_an_unregistered_hit);
	tcase_add_test(run, relay_refuses_r1_to_an_address_no_i1_came_from);
	tcase_add_test(run, relay_drops_client_packets_without_a_valid_relay_hmac);
	tcase_add_test(run, relay_drops_inbound_packets_with_relay_parameters);
	tcase_add_test(run, client_checks_relay_hmac_and_source_of_relayed_packets);
	tcase_add_test(run, registration_is_refreshed_by_update_before_it_expires);
	tcase_add_test(run, expired_registration_relays_nothing);
	tcase_add_test(run, full_relay_refuses_with_insufficient_resources);
	tcase_add_test(run, host_that_is_no_relay_is_not_asked_to_register);
	tcase_add_test(run, client_sends_keepalives_that_the_relay_takes_silently);

	suite_add_tcase(s, pkt);
	suite_add_tcase(s, run);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
