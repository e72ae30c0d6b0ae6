/* Unit tests for hipd/hadb: association lookup, the locator map, LSI allocation. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "hipd/hadb.h"

static struct in6_addr hit(const char *s)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct sockaddr_storage v4(const char *s)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	a->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, s, &a->sin_addr), 1);
	return ss;
}

START_TEST(map_add_rejects_duplicates_and_del_removes)
{
	struct hadb db;
	struct in6_addr h = hit("2001:2a::1");
	struct sockaddr_storage l1 = v4("192.0.2.1"), l2 = v4("192.0.2.2");

	hadb_init(&db);
	ck_assert_int_eq(hadb_map_add(&db, &h, (struct sockaddr *)&l1), 0);
	ck_assert_int_eq(hadb_map_add(&db, &h, (struct sockaddr *)&l1), -EEXIST);
	ck_assert_int_eq(hadb_map_add(&db, &h, (struct sockaddr *)&l2), 0);
	ck_assert_uint_eq(hadb_map_find(&db, &h)->nlocs, 2);
	ck_assert_int_eq(hadb_map_del(&db, &h, (struct sockaddr *)&l1), 0);
	ck_assert_int_eq(hadb_map_del(&db, &h, (struct sockaddr *)&l1), -ENOENT);
	ck_assert_int_eq(hadb_map_del(&db, &h, NULL), 0);
	ck_assert_ptr_null(hadb_map_find(&db, &h));
	ck_assert_int_eq(hadb_map_del(&db, &h, NULL), -ENOENT);
	hadb_clear(&db);
}
END_TEST

START_TEST(map_holds_at_most_max_locators)
{
	struct hadb db;
	struct in6_addr h = hit("2001:2a::1");
	char buf[32];

	hadb_init(&db);
	for (int i = 0; i < HIP_MAP_MAX_LOCS; i++) {
		snprintf(buf, sizeof(buf), "192.0.2.%d", i + 1);
		struct sockaddr_storage l = v4(buf);
		ck_assert_int_eq(hadb_map_add(&db, &h, (struct sockaddr *)&l), 0);
	}
	struct sockaddr_storage l = v4("198.51.100.1");
	ck_assert_int_eq(hadb_map_add(&db, &h, (struct sockaddr *)&l), -ENOSPC);
	hadb_clear(&db);
}
END_TEST

START_TEST(associations_are_found_by_hit_pair_and_peer_keeps_its_lsi)
{
	uv_loop_t loop;
	struct hadb db;
	struct in6_addr l1 = hit("2001:2a::1"), l2 = hit("2001:2a::2"), p = hit("2001:2b::9");
	struct in6_addr q = hit("2001:2b::10");
	struct hip_ha *a, *b, *c;

	uv_loop_init(&loop);
	hadb_init(&db);
	ck_assert_int_eq(hadb_add(&db, &loop, &l1, &p, &a), 0);
	ck_assert_int_eq(hadb_add(&db, &loop, &l2, &p, &b), 0);
	ck_assert_int_eq(hadb_add(&db, &loop, &l1, &q, &c), 0);
	ck_assert_ptr_eq(hadb_find(&db, &l1, &p), a);
	ck_assert_ptr_eq(hadb_find(&db, &l2, &p), b);
	ck_assert_ptr_null(hadb_find(&db, &l2, &q));
	/* RFC 7401 does not define LSIs; ours: one per peer HIT, from 1.0.0.0/8 */
	ck_assert_uint_eq(a->lsi_peer.s_addr, b->lsi_peer.s_addr);
	ck_assert_uint_ne(a->lsi_peer.s_addr, c->lsi_peer.s_addr);
	ck_assert_uint_eq(ntohl(c->lsi_peer.s_addr) >> 24, 1);
	ck_assert_str_eq(hip_state_name(a->state), "UNASSOCIATED");
	ck_assert_uint_eq(db.count, 3);
	hadb_del(&db, b);
	ck_assert_uint_eq(db.count, 2);
	hadb_clear(&db);
	uv_run(&loop, UV_RUN_DEFAULT); /* runs the timer closes that free the entries */
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hadb");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, map_add_rejects_duplicates_and_del_removes);
	tcase_add_test(tc, map_holds_at_most_max_locators);
	tcase_add_test(tc, associations_are_found_by_hit_pair_and_peer_keeps_its_lsi);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
