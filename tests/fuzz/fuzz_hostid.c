/* libFuzzer target for hostid_from_hi, the parser of a peer's HOST_ID Host Identity field.
 * First byte: HI algorithm (even: RSA 5, odd: ECDSA 7); the rest: the HI. Not a test of signing. */
#include <stddef.h>
#include <stdint.h>

#include "common/hostid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zeros[HOSTID_SIG_MAX];
	struct hostid *id = NULL;

	if (size < 1)
		return 0;
	uint16_t algorithm = (data[0] & 1) ? 7 : 5;

	if (hostid_from_hi(algorithm, data + 1, size - 1, &id) == 0) {
		/* an accepted key must also survive a verify of a bogus signature */
		size_t sig_len = id->kind == HOSTID_RSA		 ? id->hi_len - 1 - id->hi[0]
				 : id->kind == HOSTID_ECDSA_P256 ? 64
								 : 96;

		hostid_verify(id, data, size, zeros, sig_len);
		hostid_free(id);
	}
	return 0;
}
