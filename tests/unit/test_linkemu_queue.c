/* Unit tests of the link emulator's queue: due times, FIFO order across the
 * ring's wrap, loss rate and reproducibility, full queue, truncated frames. */
#include "linkemu_queue.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ULL

/* Pushes one frame whose first byte is tag, as the reader would. */
static void put(struct le_queue *q, uint8_t tag, uint64_t rx_ns)
{
	size_t first, n = le_queue_tail_span(q, &first);

	ck_assert_uint_ge(n, 1);
	q->slots[first].data[0] = tag;
	le_queue_push(q, 60, 0, rx_ns);
}

START_TEST(frames_are_due_exactly_delay_after_they_arrive)
{
	struct le_queue q;
	size_t first;

	ck_assert_int_eq(le_queue_init(&q, 8, 64, 20 * MS, 0.0, 1), 0);
	put(&q, 1, 1000 * MS);
	put(&q, 2, 1005 * MS);
	ck_assert_uint_eq(le_queue_next_due(&q), 1020 * MS);
	ck_assert_uint_eq(le_queue_due_span(&q, 1019 * MS, &first), 0);
	ck_assert_uint_eq(le_queue_due_span(&q, 1020 * MS, &first), 1);
	ck_assert_uint_eq(le_queue_due_span(&q, 1025 * MS, &first), 2);
	le_queue_pop(&q, 2);
	ck_assert_uint_eq(le_queue_next_due(&q), UINT64_MAX);
	le_queue_free(&q);
}
END_TEST

START_TEST(order_is_kept_across_the_wrap_of_the_ring)
{
	struct le_queue q;
	size_t first, n;
	uint8_t expect = 0;

	ck_assert_int_eq(le_queue_init(&q, 4, 64, 0, 0.0, 1), 0);
	for (uint8_t t = 0; t < 3; t++)
		put(&q, t, 0);
	le_queue_pop(&q, 2); /* head at 2, tail at 3 */
	expect = 2;
	n = le_queue_tail_span(&q, &first);
	ck_assert_uint_eq(first, 3);
	ck_assert_uint_eq(n, 1); /* one slot to the end, the rest after the wrap */
	put(&q, 3, 0);
	n = le_queue_tail_span(&q, &first);
	ck_assert_uint_eq(first, 0);
	ck_assert_uint_eq(n, 2);
	put(&q, 4, 0);
	put(&q, 5, 0);
	ck_assert_uint_eq(le_queue_tail_span(&q, &first), 0); /* full */
	while ((n = le_queue_due_span(&q, 0, &first)) > 0) {
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(q.slots[first + i].data[0], expect++);
		le_queue_pop(&q, n);
	}
	ck_assert_uint_eq(expect, 6);
	le_queue_free(&q);
}
END_TEST

START_TEST(loss_rate_is_met_and_a_seed_repeats_it)
{
	struct le_queue a, b;
	const int n = 100000;

	ck_assert_int_eq(le_queue_init(&a, (size_t)n, 64, 0, 10.0, 42), 0);
	ck_assert_int_eq(le_queue_init(&b, (size_t)n, 64, 0, 10.0, 42), 0);
	for (int i = 0; i < n; i++) {
		le_queue_push(&a, 60, 0, 0);
		le_queue_push(&b, 60, 0, 0);
		ck_assert_uint_eq(a.slots[i].len, b.slots[i].len);
	}
	ck_assert_uint_eq(a.c.rx, (uint64_t)n);
	ck_assert_uint_ge(a.c.lost, 9500); /* 10% of 100000, +-5% */
	ck_assert_uint_le(a.c.lost, 10500);
	le_queue_free(&a);
	le_queue_free(&b);
}
END_TEST

START_TEST(no_loss_and_full_loss_are_exact)
{
	struct le_queue none, all;

	ck_assert_int_eq(le_queue_init(&none, 1000, 64, 0, 0.0, 7), 0);
	ck_assert_int_eq(le_queue_init(&all, 1000, 64, 0, 100.0, 7), 0);
	for (int i = 0; i < 1000; i++) {
		le_queue_push(&none, 60, 0, 0);
		le_queue_push(&all, 60, 0, 0);
	}
	ck_assert_uint_eq(none.c.lost, 0);
	ck_assert_uint_eq(all.c.lost, 1000);
	le_queue_free(&none);
	le_queue_free(&all);
}
END_TEST

START_TEST(truncated_frames_keep_their_slot_but_are_not_sent)
{
	struct le_queue q;
	size_t first;

	ck_assert_int_eq(le_queue_init(&q, 4, 64, 0, 0.0, 1), 0);
	le_queue_push(&q, 9000, 1, 0);
	put(&q, 7, 0);
	ck_assert_uint_eq(q.c.truncated, 1);
	ck_assert_uint_eq(le_queue_due_span(&q, 0, &first), 2);
	ck_assert_uint_eq(q.slots[first].len, 0);
	ck_assert_uint_eq(q.slots[first + 1].data[0], 7);
	le_queue_overflow(&q);
	ck_assert_uint_eq(q.c.overflow, 1);
	ck_assert_uint_eq(q.c.rx, 3);
	le_queue_free(&q);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
	struct le_queue q;

	ck_assert_int_eq(le_queue_init(&q, 0, 64, 0, 0.0, 1), -EINVAL);
	ck_assert_int_eq(le_queue_init(&q, 4, 0, 0, 0.0, 1), -EINVAL);
	ck_assert_int_eq(le_queue_init(&q, 4, 64, 0, 100.5, 1), -EINVAL);
	ck_assert_int_eq(le_queue_init(&q, 4, 64, 0, -1.0, 1), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("linkemu_queue");
	TCase *tc = tcase_create("queue");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, frames_are_due_exactly_delay_after_they_arrive);
	tcase_add_test(tc, order_is_kept_across_the_wrap_of_the_ring);
	tcase_add_test(tc, loss_rate_is_met_and_a_seed_repeats_it);
	tcase_add_test(tc, no_loss_and_full_loss_are_exact);
	tcase_add_test(tc, truncated_frames_keep_their_slot_but_are_not_sent);
	tcase_add_test(tc, bad_arguments_are_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
