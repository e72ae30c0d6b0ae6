/* libFuzzer target for hipd/wire: parses the input as a HIP packet, runs every
 * typed decoder on every parameter found, and the checksums. Not a unit test. */
#include <stdint.h>
#include <string.h>

#include "hipd/wire/wire.h"

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
	} u;
	const uint8_t *d;
	size_t n;
	uint32_t id;

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
	hip_p_notification_decode(p, &u.ntf);
	hip_p_esp_info_decode(p, &u.ei);
	hip_p_esp_transform_decode(p, &u.l16);
	hip_p_seq_decode(p, &id);
	hip_p_ack_decode(p, &u.ack);
	hip_p_cert_decode(p, &u.cert);
	hip_p_echo_decode(p, &d, &n);
	hip_p_nat_mode_decode(p, &u.l16);
	hip_p_pacing_decode(p, &id);
	hip_p_locator_set_decode(p, &u.locs);
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
	return 0;
}
