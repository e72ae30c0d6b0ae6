/* libFuzzer target for the ESP receive path (esp_decap) under every suite.
 * First byte: suite (low 3 bits) and mode (bit 3): 0 = the rest is a received
 * packet (its SPI forced to the SA's); 1 = the rest is a payload that must
 * survive esp_encap then esp_decap unchanged. Not a test of key derivation. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/esp/esp.h"
#include "hipd/wire/hip_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t suites[] = {HIP_ESP_AES128_CBC_SHA256, HIP_ESP_AES256_CBC_SHA256,
				  HIP_ESP_NULL_SHA256, HIP_ESP_AES_GCM_8, HIP_ESP_AES_GCM_16};
static const size_t enc_lens[] = {16, 32, 0, 20, 20};

static void sa_pair(size_t i, struct esp_sa *out, struct esp_sa *in)
{
	static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

	if (esp_sa_init(out, 0x1000 + (uint32_t)i, suites[i], 1, key, enc_lens[i], key, 32) ||
	    esp_sa_init(in, 0x1000 + (uint32_t)i, suites[i], 0, key, enc_lens[i], key, 32))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[70000], out[70000];
	struct esp_sa tx, rx;
	size_t i, len, got;
	uint8_t nh;

	if (size < 1 || size > 65000)
		return 0;
	i = (data[0] & 7) % 5;
	sa_pair(i, &tx, &rx);
	if (data[0] & 8) {
		if (esp_encap(&tx, data[0], data + 1, size - 1, pkt, sizeof(pkt), &len) ||
		    esp_decap(&rx, pkt, len, out, sizeof(out), &got, &nh) || got != size - 1 ||
		    nh != data[0] || memcmp(out, data + 1, got) != 0)
			abort();
	} else {
		memcpy(pkt, data + 1, size - 1);
		if (size - 1 >= 4) {
			pkt[0] = 0, pkt[1] = 0, pkt[2] = 0x10, pkt[3] = (uint8_t)i;
		}
		esp_decap(&rx, pkt, size - 1, out, sizeof(out), &got, &nh);
	}
	esp_sa_free(&tx);
	esp_sa_free(&rx);
	return 0;
}
