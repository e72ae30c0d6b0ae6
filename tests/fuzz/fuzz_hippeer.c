/* libFuzzer target for the "p2psip:hip-peers" record p2psipd learns public peers from
 * (hippeer_parse in p2psipd/hip_peers.c): an accepted record has one encoding. Not the lookup. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/p2psipd_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[64];
	struct hippeer p;
	size_t len;

	if (hippeer_parse(data, size, &p) != 0)
		return 0;
	if (hippeer_encode(&p, out, sizeof(out), &len) != 0 || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	return 0;
}
