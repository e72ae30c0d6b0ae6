/* libFuzzer target for beet_parse, the reader of packets from hit0: whatever
 * it accepts must rebuild to the same header fields. Not a test of ESP. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hipd/dataplane/beet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[70000];
	struct beet_inner in, again;
	size_t n;
	int rc;

	if (beet_parse(data, size, &in))
		return 0;
	if (in.family == AF_INET6)
		rc = beet_build6(&in.src6, &in.dst6, in.next_header, in.payload, in.payload_len,
				 out, sizeof(out), &n);
	else
		rc = beet_build4(&in.src4, &in.dst4, in.next_header, in.payload, in.payload_len,
				 out, sizeof(out), &n);
	if (rc || beet_parse(out, n, &again) || again.family != in.family ||
	    again.next_header != in.next_header || again.payload_len != in.payload_len ||
	    memcmp(again.payload, in.payload, in.payload_len) != 0)
		abort();
	return 0;
}
