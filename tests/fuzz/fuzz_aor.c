/* libFuzzer target for p2psipd's overlay records: first byte even, the rest is a SIP registration
 * record for aor_verify; odd, a STUN/TURN announcement for srvann_parse. Not a test of signing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/store/aor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A clock between the seeds' signing time and their expiry. */
#define FUZZ_NOW 1700000000ull

static void fuzz_record(const uint8_t *p, size_t n)
{
	struct aor_record r, v;

	if (aor_parse(p, n, &r) != 0)
		return;
	/* a parsed record checks as the answer for its own AOR; its fields are kept on success */
	if (aor_verify(p, n, FUZZ_NOW, r.aor, &v) == 0 && memcmp(&r, &v, sizeof(r)) != 0)
		abort();
}

/* An accepted announcement has one encoding: re-encoding gives the input back. */
static void fuzz_announcement(const uint8_t *p, size_t n)
{
	uint8_t out[SRVANN_MAX];
	struct srvann a;
	size_t len = 0;

	if (srvann_parse(p, n, &a) != 0)
		return;
	if (srvann_encode(&a, out, sizeof(out), &len) != 0 || len != n || memcmp(out, p, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_announcement(data + 1, size - 1);
	else
		fuzz_record(data + 1, size - 1);
	return 0;
}
