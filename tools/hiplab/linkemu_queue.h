/* One direction of the link emulator: a FIFO ring of frame slots, each with
 * the time it is due, and the loss decision. No sockets, no clock reading. */
#ifndef HIPLAB_LINKEMU_QUEUE_H
#define HIPLAB_LINKEMU_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct le_counters {
	uint64_t rx;	      /* frames read */
	uint64_t tx;	      /* frames sent on */
	uint64_t lost;	      /* dropped by the configured loss */
	uint64_t overflow;    /* dropped: queue full */
	uint64_t truncated;   /* dropped: larger than a slot */
	uint64_t send_errors; /* sendmmsg refused them */
};

struct le_slot {
	uint64_t due_ns; /* CLOCK_MONOTONIC */
	uint32_t len;	 /* 0: dropped, skipped when due */
	uint8_t *data;
};

struct le_queue {
	struct le_slot *slots;
	uint8_t *buf;
	size_t cap, slot_size;
	size_t head, count; /* head: oldest frame */
	uint64_t delay_ns;
	uint64_t loss_threshold; /* a frame is lost when rng32 < threshold (of 2^32) */
	uint64_t rng;
	struct le_counters c;
};

/* Returns 0, -EINVAL for a bad argument, -ENOMEM. loss_pct in 0..100. */
int le_queue_init(struct le_queue *q, size_t cap, size_t slot_size, uint64_t delay_ns,
		  double loss_pct, uint64_t seed);
void le_queue_free(struct le_queue *q);

/* The free slots that follow the tail without wrapping: *first is the first one's
 * index. Frames are read straight into slots[first..first+n). */
size_t le_queue_tail_span(const struct le_queue *q, size_t *first);

/* Accepts the frame just read into the next tail slot: len bytes, or truncated,
 * received at rx_ns. A lost or truncated frame keeps its slot with len 0, so the
 * frames after it stay where they were read. */
void le_queue_push(struct le_queue *q, uint32_t len, int truncated, uint64_t rx_ns);

/* Counts a frame that found the queue full. */
void le_queue_overflow(struct le_queue *q);

/* The frames due at now_ns from the head without wrapping: *first is the head. */
size_t le_queue_due_span(const struct le_queue *q, uint64_t now_ns, size_t *first);

/* Removes n slots from the head. */
void le_queue_pop(struct le_queue *q, size_t n);

/* When the head is due, or UINT64_MAX when empty. */
uint64_t le_queue_next_due(const struct le_queue *q);

#endif
