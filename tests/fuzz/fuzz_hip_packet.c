/* libFuzzer target for hipd/wire: parses the input as a HIP packet, runs every
 * typed decoder on every parameter found (and on the packet a NOTIFICATION's data
 * names), the checksums, the relay's and overlay hops' rewriting of the packet
 * (hipd/relay_pkt.c) and the Notification Data a hop writes about it. Not a unit test. */
#include <stdint.h>
#include <string.h>

#include "hipd/relay_pkt.h"
#include "hipd/wire/wire.h"

/* An overlay hop's NOTIFY names the rejected packet (RFC 6079 6.2, RFC 6028 3.3). */
static void notification_data(const struct hip_p_notification *n)
{
	struct hip_ntf_pkt np;
	struct hip_p_route route;

	if (hip_ntf_pkt_decode(n->data, n->data_len, &np) == 0 && np.param.type)
		hip_p_route_decode(&np.param, &route);
}

static void decode_all(const struct hip_param *p)
{
	union {
		struct hip_p_r1_counter r1c;
		struct hip_p_puzzle puz;
		struct hip_p_solution sol;
		struct hip_p_list8 l8;
		struct hip_p_list16 l16;
		struct hip_p_dh dh;
		struct hip_p_host_id hid;
		struct hip_p_encrypted enc;
		struct hip_p_signature sig;
		struct hip_p_notification ntf;
		struct hip_p_esp_info ei;
		struct hip_p_ack ack;
		struct hip_p_cert cert;
		struct hip_p_locator_set locs;
		struct hip_p_reg_info reg_info;
		struct hip_p_reg reg;
		struct hip_p_relay_addr ra;
		struct hip_p_route route;
	} u;
	const uint8_t *d;
	size_t n;
	uint32_t id;
	uint16_t ttl;

	hip_p_r1_counter_decode(p, &u.r1c);
	hip_p_puzzle_decode(p, &u.puz);
	hip_p_solution_decode(p, &u.sol);
	hip_p_list8_decode(p, &u.l8);
	hip_p_list16_decode(p, &u.l16);
	hip_p_dh_decode(p, &u.dh);
	hip_p_host_id_decode(p, &u.hid);
	hip_p_encrypted_decode(p, &u.enc);
	hip_p_signature_decode(p, &u.sig);
	hip_p_mac_decode(p, &d, &n);
	if (hip_p_notification_decode(p, &u.ntf) == 0)
		notification_data(&u.ntf);
	hip_p_esp_info_decode(p, &u.ei);
	hip_p_esp_transform_decode(p, &u.l16);
	hip_p_seq_decode(p, &id);
	hip_p_ack_decode(p, &u.ack);
	hip_p_cert_decode(p, &u.cert);
	hip_p_echo_decode(p, &d, &n);
	hip_p_nat_mode_decode(p, &u.l16);
	hip_p_pacing_decode(p, &id);
	hip_p_locator_set_decode(p, &u.locs);
	hip_p_reg_info_decode(p, &u.reg_info);
	if (hip_p_reg_decode(p, &u.reg) == 0)
		hip_p_reg_has(u.reg.types, u.reg.n, HIP_REG_RELAY_UDP_HIP);
	if (hip_p_relay_addr_decode(p, &u.ra) == 0) {
		struct sockaddr_storage ss;
		hip_p_relay_addr_to_sa(&u.ra, &ss);
	}
	hip_p_route_decode(p, &u.route);
	hip_p_overlay_id_decode(p, &d, &n);
	hip_p_overlay_ttl_decode(p, &ttl);
	hip_param_type_name(p->type);
}

static void checksums(const uint8_t *d, size_t n)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_addr = {htonl(0xc0a84010)}};
	struct sockaddr_in d4 = {.sin_family = AF_INET, .sin_addr = {htonl(0xc0a8400f)}};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in6 d6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};

	hip_checksum(d, n, (struct sockaddr *)&s4, (struct sockaddr *)&d4);
	hip_checksum_verify(d, n, (struct sockaddr *)&s4, (struct sockaddr *)&d4);
	hip_checksum(d, n, (struct sockaddr *)&s6, (struct sockaddr *)&d6);
	hip_checksum_verify(d, n, (struct sockaddr *)&s6, (struct sockaddr *)&d6);
	hip_checksum_verify(d, n, NULL, NULL);
}

/* What a relay and its clients do with a received packet: check and strip a
 * RELAY_HMAC, read the relay addresses, seal it again with RELAY_FROM/RELAY_TO. */
static void relay(const struct hip_msg *m)
{
	static const uint8_t key[48] = {1, 2, 3};
	static uint8_t out[HIP_MAX_PACKET_LEN];
	struct hip_p_relay_addr a = {.port = 10500, .protocol = 17};
	struct wbuf w;

	relay_pkt_has_relay_params(m);
	relay_pkt_addr(m, HIP_PARAM_RELAY_FROM, &a);
	relay_pkt_addr(m, HIP_PARAM_RELAY_TO, &a);
	relay_pkt_addr(m, HIP_PARAM_REG_FROM, &a);
	if (relay_pkt_check(m, 2, key, sizeof(key)) != -HIPW_EMISSING) {
		wbuf_init(&w, out, sizeof(out));
		relay_pkt_strip_hmac(m, &w);
	}
	wbuf_init(&w, out, sizeof(out));
	relay_pkt_seal(m->raw, m->len, HIP_PARAM_RELAY_FROM, &a, 2, key, sizeof(key), &w);
	wbuf_init(&w, out, sizeof(out));
	relay_pkt_seal(m->raw, m->len, HIP_PARAM_RELAY_TO, &a, 1, key, 32, &w);
}

/* What an overlay hop does (RFC 6028 3.1, RFC 6079 6.2): replace OVERLAY_TTL
 * and ROUTE_VIA in type order, then parse the result again. */
static void overlay_hop(const struct hip_msg *m)
{
	static uint8_t out[HIP_MAX_PACKET_LEN], tlv[HIP_MAX_PACKET_LEN];
	static struct hip_msg again;
	struct hip_p_route via = {.flags = HIP_ROUTE_SYMMETRIC, .n = 1};
	struct wbuf w, tw;

	via.hits[0] = m->hit_s;
	wbuf_init(&tw, tlv, sizeof(tlv));
	hip_p_route_encode(&tw, HIP_PARAM_ROUTE_VIA, &via);
	wbuf_init(&w, out, sizeof(out));
	if (relay_pkt_put(m->raw, m->len, HIP_PARAM_ROUTE_VIA, tlv, tw.len, &w) == 0)
		hip_msg_parse(out, w.len, &again);
	wbuf_init(&tw, tlv, sizeof(tlv));
	hip_p_overlay_ttl_encode(&tw, 7);
	wbuf_init(&w, out, sizeof(out));
	relay_pkt_put(m->raw, m->len, HIP_PARAM_OVERLAY_TTL, tlv, tw.len, &w);
	wbuf_init(&w, out, sizeof(out));
	relay_pkt_put(m->raw, m->len, HIP_PARAM_OVERLAY_TTL, NULL, 0, &w);
}

/* What a hop that drops the packet writes about it, read back. */
static void hop_notify_data(const struct hip_msg *m)
{
	static const uint16_t types[] = {HIP_PARAM_ROUTE_DST, HIP_PARAM_TRANSACTION_ID, 0};
	static uint8_t data[HIP_MAX_PACKET_LEN];
	struct hip_ntf_pkt np;
	struct wbuf w;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		wbuf_init(&w, data, i ? sizeof(data) : HIP_HDR_LEN + 64);
		if (hip_ntf_pkt_encode(&w, m, types[i]) == 0)
			hip_ntf_pkt_decode(data, w.len, &np);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct hip_msg m;
	int err;

	checksums(d, n);
	err = hip_msg_parse(d, n, &m);
	hip_wire_strerror(err);
	if (err)
		return 0;
	hip_packet_type_name(m.type);
	for (size_t i = 0; i < m.nparams; i++) {
		decode_all(&m.params[i]);
		hip_msg_find_next(&m, &m.params[i]);
	}
	relay(&m);
	overlay_hop(&m);
	hop_notify_data(&m);
	return 0;
}
