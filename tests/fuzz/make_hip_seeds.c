/* Writes fuzz seeds for fuzz_hip_packet built with hipd/wire's own builders (one
 * packet of each kind, every parameter type). A one-off tool, not part of the build:
 *   cc -D_GNU_SOURCE -I. tests/fuzz/make_hip_seeds.c build/hipd/libhipd_core.a \
 *      build/common/libhipsip_common.a -o /tmp/mk && /tmp/mk tests/fuzz/corpus/hip_packet */
#include <stdio.h>
#include <string.h>

#include "hipd/wire/wire.h"

static const struct in6_addr hit_a = {
    {{0x20, 0x01, 0x00, 0x21, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}};
static const struct in6_addr hit_b = {
    {{0x20, 0x01, 0x00, 0x21, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}}};
static uint8_t blob[512];

static int save(const char *dir, const char *name, struct wbuf *w)
{
	char path[4096];
	FILE *f;

	if (hip_build_set_len(w))
		return -1;
	hip_build_checksum(w->buf, w->len, NULL, NULL);
	snprintf(path, sizeof(path), "%s/built_%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(w->buf, 1, w->len, f) != w->len)
		return -1;
	return fclose(f);
}

static void r1(struct wbuf *w)
{
	struct hip_p_r1_counter c = {.generation = 1};
	struct hip_p_puzzle puz = {.k = 8, .lifetime = 37, .i_len = 32};
	struct hip_p_list8 groups = {.ids = {7, 4, 3}, .n = 3},
			   suites = {.ids = {0x10, 0x20}, .n = 2};
	struct hip_p_dh dh = {.group = 7, .pub = blob, .pub_len = 65};
	struct hip_p_list16 ciphers = {.ids = {2, 4}, .n = 2}, tfl = {.ids = {4095}, .n = 1};
	struct hip_p_list16 esp = {.ids = {8, 9, 7}, .n = 3};
	struct hip_p_host_id hid = {.algorithm = 7,
				    .hi = blob,
				    .hi_len = 66,
				    .di_type = 1,
				    .di = (const uint8_t *)"\x03hip\x04test",
				    .di_len = 10};
	struct hip_p_signature sig = {.algorithm = 7, .sig = blob, .sig_len = 64};

	hip_build_start(w, HIP_R1, 0, &hit_a, &hit_b);
	hip_p_r1_counter_encode(w, &c);
	hip_p_puzzle_encode(w, &puz);
	hip_p_list8_encode(w, HIP_PARAM_DH_GROUP_LIST, &groups);
	hip_p_dh_encode(w, &dh);
	hip_p_list16_encode(w, HIP_PARAM_HIP_CIPHER, &ciphers);
	hip_p_host_id_encode(w, &hid);
	hip_p_list8_encode(w, HIP_PARAM_HIT_SUITE_LIST, &suites);
	hip_p_echo_encode(w, HIP_PARAM_ECHO_REQUEST_SIGNED, blob, 5);
	hip_p_list16_encode(w, HIP_PARAM_TRANSPORT_FORMAT_LIST, &tfl);
	hip_p_esp_transform_encode(w, &esp);
	hip_p_signature_encode(w, HIP_PARAM_HIP_SIGNATURE_2, &sig);
	hip_p_echo_encode(w, HIP_PARAM_ECHO_REQUEST_UNSIGNED, blob, 3);
}

static void i2(struct wbuf *w)
{
	struct hip_p_esp_info ei = {.keymat_index = 128, .new_spi = 0x1234};
	struct hip_p_r1_counter c = {.generation = 1};
	struct hip_p_solution sol = {.k = 8, .ij_len = 32};
	struct hip_p_dh dh = {.group = 7, .pub = blob, .pub_len = 65};
	struct hip_p_list16 cipher = {.ids = {2}, .n = 1}, esp = {.ids = {8}, .n = 1};
	struct hip_p_encrypted enc = {.data = blob, .len = 96};
	struct hip_p_signature sig = {.algorithm = 7, .sig = blob, .sig_len = 64};

	hip_build_start(w, HIP_I2, 0, &hit_b, &hit_a);
	hip_p_esp_info_encode(w, &ei);
	hip_p_r1_counter_encode(w, &c);
	hip_p_solution_encode(w, &sol);
	hip_p_dh_encode(w, &dh);
	hip_p_list16_encode(w, HIP_PARAM_HIP_CIPHER, &cipher);
	hip_p_encrypted_encode(w, &enc);
	hip_p_echo_encode(w, HIP_PARAM_ECHO_RESPONSE_SIGNED, blob, 5);
	hip_p_esp_transform_encode(w, &esp);
	hip_p_mac_encode(w, HIP_PARAM_HIP_MAC, blob, 32);
	hip_p_signature_encode(w, HIP_PARAM_HIP_SIGNATURE, &sig);
	hip_p_echo_encode(w, HIP_PARAM_ECHO_RESPONSE_UNSIGNED, blob, 3);
}

static void update(struct wbuf *w)
{
	struct hip_p_esp_info ei = {.old_spi = 1, .new_spi = 2};
	struct hip_p_ack ack = {.ids = {7, 8}, .n = 2};
	struct hip_p_cert cert = {
	    .group = 1, .count = 1, .id = 1, .cert_type = 1, .cert = blob, .cert_len = 40};
	struct hip_p_signature sig = {.algorithm = 5, .sig = blob, .sig_len = 128};

	hip_build_start(w, HIP_UPDATE, 0, &hit_a, &hit_b);
	hip_p_esp_info_encode(w, &ei);
	hip_p_seq_encode(w, 9);
	hip_p_ack_encode(w, &ack);
	hip_p_cert_encode(w, &cert);
	hip_p_mac_encode(w, HIP_PARAM_HIP_MAC, blob, 32);
	hip_p_signature_encode(w, HIP_PARAM_HIP_SIGNATURE, &sig);
}

static void notify(struct wbuf *w)
{
	struct hip_p_notification n = {
	    .msg_type = 1, .data = (const uint8_t *)"\x02\x01", .data_len = 2};
	struct hip_p_signature sig = {.algorithm = 7, .sig = blob, .sig_len = 64};

	hip_build_start(w, HIP_NOTIFY, 0, &hit_a, &hit_b);
	hip_p_notification_encode(w, &n);
	hip_p_signature_encode(w, HIP_PARAM_HIP_SIGNATURE, &sig);
}

/* A registrar's R2 (RFC 8003, RFC 5770 4.1) on its way back through a relay. */
static void r2_reg(struct wbuf *w)
{
	struct hip_p_esp_info ei = {.keymat_index = 128, .new_spi = 0x5678};
	struct hip_p_reg ok = {.head = 138, .types = {2}, .n = 1};
	struct hip_p_reg failed = {.head = 1, .types = {1, 7}, .n = 2};
	struct hip_p_relay_addr from = {.port = 10500, .protocol = 17};
	struct hip_p_signature sig = {.algorithm = 7, .sig = blob, .sig_len = 64};

	from.addr.s6_addr[10] = from.addr.s6_addr[11] = 0xff;
	from.addr.s6_addr[12] = 203;
	from.addr.s6_addr[15] = 1;
	hip_build_start(w, HIP_R2, 0, &hit_a, &hit_b);
	hip_p_esp_info_encode(w, &ei);
	hip_p_reg_encode(w, HIP_PARAM_REG_RESPONSE, &ok);
	hip_p_reg_encode(w, HIP_PARAM_REG_FAILED, &failed);
	hip_p_relay_addr_encode(w, HIP_PARAM_REG_FROM, &from);
	hip_p_mac_encode(w, HIP_PARAM_HIP_MAC_2, blob, 32);
	hip_p_signature_encode(w, HIP_PARAM_HIP_SIGNATURE, &sig);
	hip_p_relay_addr_encode(w, HIP_PARAM_RELAY_TO, &from);
	hip_p_mac_encode(w, HIP_PARAM_RELAY_HMAC, blob, 32);
}

/* RFC 5770 5.3: a NAT keepalive is a NOTIFY without parameters. */
static void keepalive(struct wbuf *w)
{
	hip_build_start(w, HIP_NOTIFY, 0, &hit_a, &hit_b);
}

static void close_(struct wbuf *w)
{
	hip_build_start(w, HIP_CLOSE, 0, &hit_a, &hit_b);
	hip_p_echo_encode(w, HIP_PARAM_ECHO_REQUEST_SIGNED, blob, 16);
	hip_p_mac_encode(w, HIP_PARAM_HIP_MAC_2, blob, 48);
}

/* An I1 routed through the overlay after two hops (RFC 7086 7, RFC 6028 3.1). */
static void i1_overlay(struct wbuf *w)
{
	static const uint8_t overlay_id[4] = {0x5e, 0x1f, 0x0a, 0x27};
	struct hip_p_list8 groups = {.ids = {7, 9}, .n = 2};
	struct hip_p_route via = {.flags = 0xc000, .n = 2};

	via.hits[0] = hit_b;
	via.hits[1] = hit_a;
	hip_build_start(w, HIP_I1, 0, &hit_a, &hit_b);
	hip_p_list8_encode(w, HIP_PARAM_DH_GROUP_LIST, &groups);
	hip_p_overlay_id_encode(w, overlay_id, sizeof(overlay_id));
	hip_p_overlay_ttl_encode(w, 30);
	hip_p_route_encode(w, HIP_PARAM_ROUTE_VIA, &via);
}

/* An R2 on its way back along a Destination list (RFC 6028 3.2). */
static void r2_routed(struct wbuf *w)
{
	static const uint8_t overlay_id[4] = {0x5e, 0x1f, 0x0a, 0x27};
	struct hip_p_esp_info ei = {.keymat_index = 128, .new_spi = 0x9abc};
	struct hip_p_route dst = {.flags = 0xc000, .n = 3};
	struct hip_p_signature sig = {.algorithm = 7, .sig = blob, .sig_len = 64};

	dst.hits[0] = hit_a;
	dst.hits[1] = hit_b;
	dst.hits[2] = hit_a;
	hip_build_start(w, HIP_R2, 0, &hit_b, &hit_a);
	hip_p_esp_info_encode(w, &ei);
	hip_p_overlay_id_encode(w, overlay_id, sizeof(overlay_id));
	hip_p_route_encode(w, HIP_PARAM_ROUTE_DST, &dst);
	hip_p_mac_encode(w, HIP_PARAM_HIP_MAC_2, blob, 32);
	hip_p_signature_encode(w, HIP_PARAM_HIP_SIGNATURE, &sig);
	hip_p_overlay_ttl_encode(w, 29);
}

/* A hop's OVERLAY_TTL_EXCEEDED / UNKNOWN_NEXT_HOP on its way back along a
 * Destination list (RFC 6079 6.2, RFC 6028 3.1, 3.3): the data names an I1 with
 * its ROUTE_DST. */
static void notify_overlay(struct wbuf *w)
{
	static const uint8_t overlay_id[4] = {0x5e, 0x1f, 0x0a, 0x27};
	static uint8_t pkt[HIP_MAX_PACKET_LEN], data[HIP_MAX_PACKET_LEN];
	struct hip_p_route dst = {.flags = 0xc000, .n = 2};
	struct hip_p_host_id hid = {.algorithm = 7, .hi = blob, .hi_len = 66};
	struct hip_p_signature sig = {.algorithm = 7, .sig = blob, .sig_len = 64};
	struct hip_p_notification n = {.msg_type = 90, .data = data};
	struct hip_msg m;
	struct wbuf iw, dw;

	dst.hits[0] = hit_b;
	dst.hits[1] = hit_a;
	wbuf_init(&iw, pkt, sizeof(pkt));
	hip_build_start(&iw, HIP_R2, 0, &hit_b, &hit_a);
	hip_p_overlay_id_encode(&iw, overlay_id, sizeof(overlay_id));
	hip_p_route_encode(&iw, HIP_PARAM_ROUTE_DST, &dst);
	hip_p_overlay_ttl_encode(&iw, 7);
	hip_build_set_len(&iw);
	wbuf_init(&dw, data, sizeof(data));
	if (hip_msg_parse(pkt, iw.len, &m) == 0)
		hip_ntf_pkt_encode(&dw, &m, HIP_PARAM_ROUTE_DST);
	n.data_len = dw.len;
	hip_build_start(w, HIP_NOTIFY, 0, &hit_a, &hit_b);
	hip_p_host_id_encode(w, &hid);
	hip_p_notification_encode(w, &n);
	hip_p_overlay_id_encode(w, overlay_id, sizeof(overlay_id));
	hip_p_route_encode(w, HIP_PARAM_ROUTE_DST, &dst);
	hip_p_signature_encode(w, HIP_PARAM_HIP_SIGNATURE, &sig);
	hip_p_overlay_ttl_encode(w, 31);
}

int main(int argc, char **argv)
{
	static uint8_t buf[HIP_MAX_PACKET_LEN];
	void (*makers[])(struct wbuf *) = {
	    r1,	    i2,	       update,	   notify,    close_,
	    r2_reg, keepalive, i1_overlay, r2_routed, notify_overlay};
	const char *names[] = {"r1",	 "i2",	      "update",	    "notify",	 "close",
			       "r2_reg", "keepalive", "i1_overlay", "r2_routed", "notify_overlay"};
	struct wbuf w;

	if (argc != 2)
		return 2;
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 31 + 7);
	for (size_t i = 0; i < sizeof(makers) / sizeof(makers[0]); i++) {
		wbuf_init(&w, buf, sizeof(buf));
		makers[i](&w);
		if (save(argv[1], names[i], &w)) {
			fprintf(stderr, "%s: failed\n", names[i]);
			return 1;
		}
	}
	return 0;
}
