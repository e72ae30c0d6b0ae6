/* One direction of the link emulator: FIFO ring of frame slots with due
 * times and the loss decision. The sockets and the clock are in linkemu.c. */
#include "linkemu_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: fast, and reproducible from --seed. */
static uint32_t rng32(struct le_queue *q)
{
	q->rng ^= q->rng >> 12;
	q->rng ^= q->rng << 25;
	q->rng ^= q->rng >> 27;
	return (uint32_t)((q->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

int le_queue_init(struct le_queue *q, size_t cap, size_t slot_size, uint64_t delay_ns,
		  double loss_pct, uint64_t seed)
{
	memset(q, 0, sizeof(*q));
	if (cap == 0 || slot_size == 0 || !(loss_pct >= 0.0 && loss_pct <= 100.0))
		return -EINVAL;
	q->slots = calloc(cap, sizeof(*q->slots));
	q->buf = malloc(cap * slot_size);
	if (!q->slots || !q->buf) {
		le_queue_free(q);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cap; i++)
		q->slots[i].data = q->buf + i * slot_size;
	q->cap = cap;
	q->slot_size = slot_size;
	q->delay_ns = delay_ns;
	q->loss_threshold = (uint64_t)(loss_pct / 100.0 * 4294967296.0);
	q->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
	return 0;
}

void le_queue_free(struct le_queue *q)
{
	free(q->slots);
	free(q->buf);
	q->slots = NULL;
	q->buf = NULL;
}

size_t le_queue_tail_span(const struct le_queue *q, size_t *first)
{
	size_t tail = (q->head + q->count) % q->cap;
	size_t free_slots = q->cap - q->count;
	size_t to_end = q->cap - tail;

	*first = tail;
	return free_slots < to_end ? free_slots : to_end;
}

void le_queue_push(struct le_queue *q, uint32_t len, int truncated, uint64_t rx_ns)
{
	struct le_slot *s = &q->slots[(q->head + q->count) % q->cap];

	q->c.rx++;
	s->due_ns = rx_ns + q->delay_ns;
	s->len = len;
	if (truncated) {
		q->c.truncated++;
		s->len = 0;
	} else if (q->loss_threshold && rng32(q) < q->loss_threshold) {
		q->c.lost++;
		s->len = 0;
	}
	q->count++;
}

void le_queue_overflow(struct le_queue *q)
{
	q->c.rx++;
	q->c.overflow++;
}

size_t le_queue_due_span(const struct le_queue *q, uint64_t now_ns, size_t *first)
{
	size_t n = 0;
	size_t to_end = q->cap - q->head;
	size_t limit = q->count < to_end ? q->count : to_end;

	*first = q->head;
	while (n < limit && q->slots[q->head + n].due_ns <= now_ns)
		n++;
	return n;
}

void le_queue_pop(struct le_queue *q, size_t n)
{
	if (n > q->count)
		n = q->count;
	q->head = (q->head + n) % q->cap;
	q->count -= n;
}

uint64_t le_queue_next_due(const struct le_queue *q)
{
	return q->count ? q->slots[q->head].due_ns : UINT64_MAX;
}
