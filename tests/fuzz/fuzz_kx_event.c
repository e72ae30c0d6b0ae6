/* libFuzzer target for kx_parse_event, the reader of the kernel's XFRM multicast
 * events: whatever it accepts must be self-consistent. Not a test of the sockets. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "hipd/kernel-xfrm/xfrm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int family_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kx_event ev;
	int rc = kx_parse_event(data, size, &ev);

	if (rc == -EINVAL || rc == -EBADMSG)
		return 0;
	if (rc != 0)
		abort();
	if (ev.type == KX_EV_ACQUIRE) {
		int bits = family_bits(ev.sel_family);

		if (!bits || ev.sel_src_prefix > bits || ev.sel_dst_prefix > bits ||
		    ev.dir < KX_DIR_IN || ev.dir > KX_DIR_FWD ||
		    (ev.family && !family_bits(ev.family)))
			abort();
	} else if (ev.type == KX_EV_EXPIRE) {
		if (!family_bits(ev.family) || (ev.hard != 0 && ev.hard != 1))
			abort();
	} else {
		abort();
	}
	return 0;
}
