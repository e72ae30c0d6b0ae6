/* libFuzzer target for the LSI translation of decrypted transport segments:
 * port reading, the flow memory, and the checksum rewrite, which must come
 * back to the same bytes after a round trip. Not a test of ESP or BEET. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/dataplane/lsi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct in_addr l4a = {0x01000001}, l4b = {0x07000001};
	static const struct in6_addr h6a = {{{0x20, 0x01, 0x00, 0x2a, 1}}};
	static const struct in6_addr h6b = {{{0x20, 0x01, 0x00, 0x2b, 2, 3}}};
	static struct lsi_flows flows;
	static uint8_t seg[4096], copy[4096];
	uint16_t lport, rport;

	if (size < 1 || size - 1 > sizeof(seg))
		return 0;
	uint8_t proto = data[0] & 1 ? IPPROTO_TCP : data[0] & 2 ? IPPROTO_UDP : data[0];
	size_t len = size - 1;
	memcpy(seg, data + 1, len);
	memcpy(copy, seg, len);
	if (!lsi_ports(proto, seg, len, data[0] & 4, &lport, &rport)) {
		lsi_flow_note(&flows, proto, lport, rport, data[0] & 8);
		if (lsi_flow_lookup(&flows, proto, lport, rport) != !!(data[0] & 8))
			abort();
	}
	if (lsi_fix_checksum(proto, seg, len, &l4a, &l4b, &h6a, &h6b, false))
		return 0;
	bool udp_none = proto == IPPROTO_UDP && len >= 8 && seg[6] == 0 && seg[7] == 0;
	if (lsi_fix_checksum(proto, seg, len, &l4a, &l4b, &h6a, &h6b, true))
		abort();
	/* one's complement has two zeros: 0x0000 and 0xffff may trade places */
	size_t off = proto == IPPROTO_TCP ? 16 : 6;
	bool is_csum_proto = proto == IPPROTO_TCP || proto == IPPROTO_UDP;
	for (size_t i = 0; i < len; i++) {
		if (is_csum_proto && (i == off || i == off + 1))
			continue;
		if (seg[i] != copy[i])
			abort();
	}
	if (is_csum_proto && !udp_none) {
		uint16_t a = (uint16_t)(seg[off] << 8 | seg[off + 1]);
		uint16_t b = (uint16_t)(copy[off] << 8 | copy[off + 1]);
		if (a != b && !((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff)))
			abort();
	}
	return 0;
}
