/* libFuzzer target for the control-socket decoder: bytes in chunks into ctl_decoder, every object
 * re-encoded and decoded again to the same value. Not a fuzzer of the handlers behind it. */
#include <assert.h>
#include <stdlib.h>

#include "common/ctl.h"

static void round_trip(json_t *obj)
{
	struct ctl_decoder d;
	uint8_t *buf;
	size_t len;
	json_t *again = NULL;

	if (ctl_frame_encode(obj, &buf, &len) != 0)
		return;
	ctl_decoder_init(&d);
	ctl_decoder_feed(&d, buf, len);
	int r = ctl_decoder_next(&d, &again);
	assert(r == 1 && json_equal(obj, again));
	json_decref(again);
	ctl_decoder_free(&d);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_decoder d;
	json_t *obj;
	size_t chunk = size ? (size_t)(data[0] % 7) * 97 + 1 : 1;

	ctl_decoder_init(&d);
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (ctl_decoder_feed(&d, data + off, n) < 0)
			break;
		int r;
		while ((r = ctl_decoder_next(&d, &obj)) > 0) {
			round_trip(obj);
			json_decref(obj);
		}
		if (r < 0)
			break;
	}
	ctl_decoder_free(&d);
	return 0;
}
