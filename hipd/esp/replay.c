/* The ESP anti-replay window (RFC 4303 3.4.3 and its Appendix A): a bitmap of
 * the last ESP_REPLAY_BITS sequence numbers below the highest one accepted. */
#include <errno.h>
#include <string.h>

#include "hipd/esp/esp.h"

static int bit_get(const struct esp_replay *r, uint32_t idx)
{
	return (int)((r->bits[(idx / 64) % (ESP_REPLAY_BITS / 64)] >> (idx % 64)) & 1);
}

static void bit_set(struct esp_replay *r, uint32_t idx, int on)
{
	uint64_t *w = &r->bits[(idx / 64) % (ESP_REPLAY_BITS / 64)];
	uint64_t m = 1ULL << (idx % 64);

	*w = on ? *w | m : *w & ~m;
}

int esp_replay_check(const struct esp_replay *r, uint32_t seq)
{
	if (seq == 0)
		return -EINVAL;
	if (seq > r->top)
		return 0;
	if (r->top - seq >= ESP_REPLAY_BITS)
		return -ERANGE;
	return bit_get(r, seq) ? -EEXIST : 0;
}

/* Bit i of the ring stands for sequence number i (mod the window). Moving the
 * top clears the bits of the numbers that enter the window unseen. */
void esp_replay_update(struct esp_replay *r, uint32_t seq)
{
	if (seq > r->top) {
		uint32_t gap = seq - r->top;

		if (gap >= ESP_REPLAY_BITS)
			memset(r->bits, 0, sizeof(r->bits));
		else
			for (uint32_t s = r->top + 1; s != seq; s++)
				bit_set(r, s, 0);
		r->top = seq;
	}
	bit_set(r, seq, 1);
}
