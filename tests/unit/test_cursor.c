/* Unit tests for common/cursor: every read and write stays inside its buffer. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "common/cursor.h"

START_TEST(reads_big_endian_fields_in_order)
{
	const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	struct cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	cur_init(&c, b, sizeof(b));
	ck_assert_int_eq(cur_u8(&c, &u8), 0);
	ck_assert_uint_eq(u8, 1);
	ck_assert_int_eq(cur_u16(&c, &u16), 0);
	ck_assert_uint_eq(u16, 0x0203);
	ck_assert_int_eq(cur_u32(&c, &u32), 0);
	ck_assert_uint_eq(u32, 0x04050607);
	ck_assert_int_eq(cur_u64(&c, &u64), 0);
	ck_assert_uint_eq(u64, 0x08090a0b0c0d0e0full);
	ck_assert_uint_eq(cur_left(&c), 0);
}
END_TEST

START_TEST(read_past_end_fails_and_does_not_move)
{
	const uint8_t b[] = {1, 2, 3};
	struct cursor c, sub;
	uint32_t u32;
	uint16_t u16;

	cur_init(&c, b, sizeof(b));
	ck_assert_int_eq(cur_u32(&c, &u32), -EBADMSG);
	ck_assert_uint_eq(cur_pos(&c), 0);
	ck_assert_int_eq(cur_sub(&c, 4, &sub), -EBADMSG);
	ck_assert_int_eq(cur_skip(&c, 2), 0);
	ck_assert_int_eq(cur_u16(&c, &u16), -EBADMSG);
	ck_assert_uint_eq(cur_left(&c), 1);
	ck_assert_int_eq(cur_skip(&c, (size_t)-1), -EBADMSG);
}
END_TEST

START_TEST(sub_cursor_is_bounded_by_its_length)
{
	const uint8_t b[] = {0xaa, 0xbb, 0xcc, 0xdd};
	struct cursor c, sub;
	uint16_t v;

	cur_init(&c, b, sizeof(b));
	ck_assert_int_eq(cur_sub(&c, 2, &sub), 0);
	ck_assert_int_eq(cur_u16(&sub, &v), 0);
	ck_assert_uint_eq(v, 0xaabb);
	ck_assert_int_eq(cur_u16(&sub, &v), -EBADMSG);
	ck_assert_int_eq(cur_u16(&c, &v), 0);
	ck_assert_uint_eq(v, 0xccdd);
}
END_TEST

START_TEST(write_overflow_is_sticky)
{
	uint8_t b[5];
	struct wbuf w;

	wbuf_init(&w, b, sizeof(b));
	ck_assert_int_eq(wbuf_u32(&w, 0x01020304), 0);
	ck_assert_int_eq(wbuf_u16(&w, 0x0506), -ENOBUFS);
	ck_assert_int_eq(wbuf_u8(&w, 7), -ENOBUFS);
	ck_assert_int_eq(wbuf_error(&w), -ENOBUFS);
	ck_assert_uint_eq(w.len, 4);
	ck_assert_uint_eq(b[0], 1);
	ck_assert_uint_eq(b[3], 4);
}
END_TEST

START_TEST(patch_rewrites_only_written_bytes)
{
	uint8_t b[8];
	struct wbuf w;

	wbuf_init(&w, b, sizeof(b));
	ck_assert_int_eq(wbuf_zero(&w, 4), 0);
	ck_assert_int_eq(wbuf_patch_u16(&w, 2, 0xbeef), 0);
	ck_assert_uint_eq(b[2], 0xbe);
	ck_assert_uint_eq(b[3], 0xef);
	ck_assert_int_eq(wbuf_patch_u16(&w, 3, 1), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cursor");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, reads_big_endian_fields_in_order);
	tcase_add_test(tc, read_past_end_fails_and_does_not_move);
	tcase_add_test(tc, sub_cursor_is_bounded_by_its_length);
	tcase_add_test(tc, write_overflow_is_sticky);
	tcase_add_test(tc, patch_rewrites_only_written_bytes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
