/* Unit tests of the overlay's key/value store: lifetimes and refresh, owner rules, bounds,
 * selection by ring interval across the wrap, roles for handover. Not the AOR record (test_aor). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/store/store.h"

static const uint8_t alice[16] = {0x20, 0x01, 0x00, 0x20, 0xaa};
static const uint8_t mallory[16] = {0x20, 0x01, 0x00, 0x20, 0x66};

static struct chord_id id_of(uint8_t top, uint8_t bottom)
{
	struct chord_id id;

	memset(&id, 0, sizeof(id));
	id.b[0] = top;
	id.b[CHORD_ID_BYTES - 1] = bottom;
	return id;
}

static struct store_put put_of(struct chord_id id, const uint8_t *owner, const char *value)
{
	struct store_put p = {
	    .id = id,
	    .cont_type = 0,
	    .owner = owner,
	    .owner_len = 16,
	    .value = (const uint8_t *)value,
	    .value_len = strlen(value),
	    .lifetime = 60,
	    .primary = true,
	};
	return p;
}

/* Issue 6 "key/value records with lifetimes and refresh". */
START_TEST(a_record_lives_for_its_lifetime_and_is_then_gone)
{
	struct store s;
	struct store_put p = put_of(id_of(1, 1), alice, "v1");
	const struct store_rec *r;

	ck_assert_int_eq(store_init(&s, 8), 0);
	ck_assert_int_eq(store_put(&s, &p, 1000), 0);
	r = store_get(&s, &p.id, 0, NULL, 0, 1059);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->value_len, 2);
	ck_assert_mem_eq(r->value, "v1", 2);
	ck_assert_uint_eq(r->expires, 1060);
	ck_assert_ptr_null(store_get(&s, &p.id, 0, NULL, 0, 1060));
	ck_assert_uint_eq(store_count(&s, 1059), 1);
	ck_assert_uint_eq(store_expire(&s, 1059), 0);
	ck_assert_uint_eq(store_expire(&s, 1060), 1);
	ck_assert_uint_eq(store_count(&s, 0), 0);
	store_free(&s);
}
END_TEST

START_TEST(a_refresh_by_the_owner_replaces_the_value_and_extends_the_expiry)
{
	struct store s;
	struct store_put p = put_of(id_of(1, 1), alice, "v1");
	const struct store_rec *r;

	ck_assert_int_eq(store_init(&s, 8), 0);
	ck_assert_int_eq(store_put(&s, &p, 1000), 0);
	p = put_of(id_of(1, 1), alice, "v2-longer");
	ck_assert_int_eq(store_put(&s, &p, 1050), 0);
	ck_assert_uint_eq(store_count(&s, 1050), 1);
	r = store_get(&s, &p.id, 0, alice, 16, 1100);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->expires, 1110);
	ck_assert_mem_eq(r->value, "v2-longer", 9);
	store_free(&s);
}
END_TEST

START_TEST(content_types_under_one_id_are_separate_records)
{
	struct store s;
	struct store_put p = put_of(id_of(1, 1), alice, "user");

	ck_assert_int_eq(store_init(&s, 8), 0);
	ck_assert_int_eq(store_put(&s, &p, 0), 0);
	p.cont_type = 1;
	p.value = (const uint8_t *)"stun";
	ck_assert_int_eq(store_put(&s, &p, 0), 0);
	ck_assert_mem_eq(store_get(&s, &p.id, 0, NULL, 0, 0)->value, "user", 4);
	ck_assert_mem_eq(store_get(&s, &p.id, 1, NULL, 0, 0)->value, "stun", 4);
	ck_assert_ptr_null(store_get(&s, &p.id, 2, NULL, 0, 0));
	store_free(&s);
}
END_TEST

/* Issue 6: signed AOR records "so an AOR cannot be hijacked": first owner keeps the key. */
START_TEST(a_put_by_another_owner_on_a_live_signed_key_is_refused)
{
	struct store s;
	struct store_put p = put_of(id_of(1, 1), alice, "alice");
	struct store_put m = put_of(id_of(1, 1), mallory, "mallory");

	p.is_signed = true;
	ck_assert_int_eq(store_init(&s, 8), 0);
	ck_assert_int_eq(store_put(&s, &p, 0), 0);
	ck_assert_int_eq(store_put(&s, &m, 10), -EPERM);
	m.is_signed = true;
	ck_assert_int_eq(store_put(&s, &m, 10), -EPERM);
	ck_assert_mem_eq(store_get(&s, &p.id, 0, NULL, 0, 10)->value, "alice", 5);
	/* once Alice's record has expired, the key is free again */
	ck_assert_int_eq(store_put(&s, &m, 60), 0);
	ck_assert_mem_eq(store_get(&s, &p.id, 0, NULL, 0, 60)->value, "mallory", 7);
	store_free(&s);
}
END_TEST

START_TEST(unsigned_records_of_several_owners_coexist_and_a_signed_claim_evicts_them)
{
	struct store s;
	struct store_put a = put_of(id_of(1, 1), alice, "a");
	struct store_put m = put_of(id_of(1, 1), mallory, "m");

	ck_assert_int_eq(store_init(&s, 8), 0);
	ck_assert_int_eq(store_put(&s, &m, 0), 0);
	ck_assert_int_eq(store_put(&s, &a, 0), 0);
	ck_assert_int_eq(store_count(&s, 0), 2);
	ck_assert_mem_eq(store_get(&s, &a.id, 0, alice, 16, 0)->value, "a", 1);
	ck_assert_mem_eq(store_get(&s, &a.id, 0, mallory, 16, 0)->value, "m", 1);
	a.is_signed = true;
	ck_assert_int_eq(store_put(&s, &a, 0), 0);
	ck_assert_ptr_null(store_get(&s, &a.id, 0, mallory, 16, 0));
	ck_assert_int_eq(store_count(&s, 0), 1);
	store_free(&s);
}
END_TEST

/* Issue 6: RemoveObject; only the owner removes. */
START_TEST(only_the_owner_removes_a_record)
{
	struct store s;
	struct store_put p = put_of(id_of(1, 1), alice, "alice");
	struct chord_id other = id_of(2, 2);

	ck_assert_int_eq(store_init(&s, 8), 0);
	ck_assert_int_eq(store_put(&s, &p, 0), 0);
	ck_assert_int_eq(store_remove(&s, &p.id, 0, mallory, 16, 0), -EPERM);
	ck_assert_int_eq(store_remove(&s, &other, 0, alice, 16, 0), -ENOENT);
	ck_assert_int_eq(store_remove(&s, &p.id, 1, alice, 16, 0), -ENOENT);
	ck_assert_int_eq(store_remove(&s, &p.id, 0, alice, 16, 0), 0);
	ck_assert_ptr_null(store_get(&s, &p.id, 0, NULL, 0, 0));
	ck_assert_int_eq(store_remove(&s, &p.id, 0, alice, 16, 0), -ENOENT);
	store_free(&s);
}
END_TEST

START_TEST(the_store_refuses_more_records_than_its_slots_until_one_expires)
{
	struct store s;
	struct store_put p = put_of(id_of(0, 0), alice, "x");

	ck_assert_int_eq(store_init(&s, 4), 0);
	for (uint8_t i = 0; i < 4; i++) {
		p.id = id_of(i, i);
		p.lifetime = 10 + i;
		ck_assert_int_eq(store_put(&s, &p, 0), 0);
	}
	p.id = id_of(9, 9);
	ck_assert_int_eq(store_put(&s, &p, 0), -ENOSPC);
	/* refreshing an existing record needs no new slot */
	p.id = id_of(3, 3);
	ck_assert_int_eq(store_put(&s, &p, 5), 0);
	/* the first record dies at 10: its slot is reused without an explicit expire */
	p.id = id_of(9, 9);
	ck_assert_int_eq(store_put(&s, &p, 10), 0);
	ck_assert_uint_eq(store_count(&s, 10), 4);
	store_free(&s);
}
END_TEST

START_TEST(values_owners_and_lifetimes_out_of_bounds_are_refused)
{
	struct store s;
	struct store_put p = put_of(id_of(1, 1), alice, "x");
	uint8_t *big = calloc(1, STORE_VALUE_MAX + 1);

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(store_init(&s, 4), 0);
	p.value = big;
	p.value_len = STORE_VALUE_MAX + 1;
	ck_assert_int_eq(store_put(&s, &p, 0), -EMSGSIZE);
	p.value_len = STORE_VALUE_MAX;
	ck_assert_int_eq(store_put(&s, &p, 0), 0);
	p.value_len = 0; /* an empty value is a value */
	ck_assert_int_eq(store_put(&s, &p, 0), 0);
	p.lifetime = 0;
	ck_assert_int_eq(store_put(&s, &p, 0), -EINVAL);
	p.lifetime = STORE_LIFETIME_MAX + 1;
	ck_assert_int_eq(store_put(&s, &p, 0), -EINVAL);
	p.lifetime = 60;
	p.owner_len = 0;
	ck_assert_int_eq(store_put(&s, &p, 0), -EINVAL);
	p.owner_len = STORE_OWNER_MAX + 1;
	ck_assert_int_eq(store_put(&s, &p, 0), -EINVAL);
	store_free(&s);
	ck_assert_int_eq(store_init(&s, 0), -EINVAL);
	free(big);
}
END_TEST

struct seen {
	struct chord_id ids[16];
	int n;
};

static int collect(const struct store_rec *r, void *ctx)
{
	struct seen *s = ctx;

	s->ids[s->n++] = r->id;
	return 0;
}

static bool saw(const struct seen *s, struct chord_id id)
{
	for (int i = 0; i < s->n; i++)
		if (chord_id_eq(&s->ids[i], &id))
			return true;
	return false;
}

static void fill_ring(struct store *s)
{
	static const uint8_t tops[] = {0x00, 0x10, 0x80, 0xf0, 0xff};

	ck_assert_int_eq(store_init(s, 16), 0);
	for (size_t i = 0; i < sizeof(tops); i++) {
		struct store_put p = put_of(id_of(tops[i], 1), alice, "v");

		ck_assert_int_eq(store_put(s, &p, 0), 0);
	}
}

/* Chord, section IV.E (join): keys in (pred, n] move to a joining node n. */
START_TEST(handover_selects_the_keys_of_an_interval_that_wraps_past_zero)
{
	struct store s;
	struct seen seen = {0};
	struct chord_id from = id_of(0xf0, 1), to = id_of(0x10, 1);
	struct store_filter f = {.from = &from, .to = &to, .cont_type = -1, .now = 0};

	fill_ring(&s);
	/* (f0.., 10..]: ff.. and 00.. and 10.. but not f0.. itself */
	ck_assert_int_eq(store_foreach(&s, &f, collect, &seen), 3);
	ck_assert(saw(&seen, id_of(0xff, 1)));
	ck_assert(saw(&seen, id_of(0x00, 1)));
	ck_assert(saw(&seen, id_of(0x10, 1)));
	ck_assert(!saw(&seen, id_of(0xf0, 1)));
	/* (a, a] is the whole ring, as for a lone node */
	f.to = &from;
	ck_assert_int_eq(store_foreach(&s, &f, collect, &(struct seen){0}), 5);
	f.to = NULL;
	ck_assert_int_eq(store_foreach(&s, &f, collect, &(struct seen){0}), -EINVAL);
	f.from = NULL;
	ck_assert_int_eq(store_foreach(&s, &f, collect, &(struct seen){0}), 5);
	store_free(&s);
}
END_TEST

static int stop_at_first(const struct store_rec *r, void *ctx)
{
	(void)r;
	(void)ctx;
	return -ECANCELED;
}

/* Issue 6: replicated on the k successors; handed over on join and leave. */
START_TEST(roles_change_on_join_and_leave_and_only_primaries_are_re_replicated)
{
	struct store s;
	struct chord_id from = id_of(0xf0, 1), to = id_of(0x10, 1);
	struct store_filter prim = {.cont_type = -1, .role = STORE_PRIMARY, .now = 0};
	struct store_filter repl = {.cont_type = -1, .role = STORE_REPLICA, .now = 0};

	fill_ring(&s);
	/* a node joined at 10..01: the wrapped interval's keys become our replicas */
	ck_assert_int_eq(store_set_role(&s, &from, &to, false, 0), 3);
	ck_assert_int_eq(store_set_role(&s, &from, &to, false, 0), 0);
	ck_assert_int_eq(store_foreach(&s, &prim, collect, &(struct seen){0}), 2);
	ck_assert_int_eq(store_foreach(&s, &repl, collect, &(struct seen){0}), 3);
	/* it left again: all ours */
	ck_assert_int_eq(store_set_role(&s, NULL, NULL, true, 0), 3);
	ck_assert_int_eq(store_foreach(&s, &prim, collect, &(struct seen){0}), 5);
	ck_assert_int_eq(store_foreach(&s, &prim, stop_at_first, NULL), -ECANCELED);
	/* expired records are neither walked nor re-roled */
	prim.now = 60;
	ck_assert_int_eq(store_foreach(&s, &prim, collect, &(struct seen){0}), 0);
	ck_assert_int_eq(store_set_role(&s, NULL, NULL, false, 60), 0);
	store_free(&s);
}
END_TEST

/* A record published again to its owner becomes a replica here: only that owner's record of
 * that (ID, type), and only a live one. */
START_TEST(the_role_of_one_owners_record_changes_alone)
{
	struct store s;
	struct chord_id k = id_of(0x42, 7);
	struct store_put a = put_of(k, alice, "a"), m = put_of(k, mallory, "m");

	ck_assert_int_eq(store_init(&s, 8), 0);
	ck_assert_int_eq(store_put(&s, &a, 0), 0);
	ck_assert_int_eq(store_put(&s, &m, 0), 0);
	ck_assert_int_eq(store_set_role_of(&s, &k, 0, alice, 16, false, 1), 0);
	ck_assert(!store_get(&s, &k, 0, alice, 16, 1)->primary);
	ck_assert(store_get(&s, &k, 0, mallory, 16, 1)->primary);
	ck_assert_int_eq(store_set_role_of(&s, &k, 1, alice, 16, false, 1), -ENOENT);
	ck_assert_int_eq(store_set_role_of(&s, &k, 0, NULL, 0, false, 1), -ENOENT);
	ck_assert_int_eq(store_set_role_of(&s, &k, 0, mallory, 16, false, 60), -ENOENT);
	store_free(&s);
}
END_TEST

START_TEST(a_string_key_is_an_orchid_of_the_overlay_suite_over_its_sha256)
{
	/* 2001:22::/32 (ORCHIDv2 prefix, OGA ID 2), then the first 96 bits of
	 * SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 ... */
	static const uint8_t want[16] = {0x20, 0x01, 0x00, 0x22, 0xba, 0x78, 0x16, 0xbf,
					 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde};
	struct chord_id id;

	ck_assert_int_eq(store_key_from_string("abc", 3, &id), 0);
	ck_assert_mem_eq(id.b, want, 16);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *rec = tcase_create("records"), *ring = tcase_create("ring");
	SRunner *sr;
	int failed;

	tcase_add_test(rec, a_record_lives_for_its_lifetime_and_is_then_gone);
	tcase_add_test(rec, a_refresh_by_the_owner_replaces_the_value_and_extends_the_expiry);
	tcase_add_test(rec, content_types_under_one_id_are_separate_records);
	tcase_add_test(rec, a_put_by_another_owner_on_a_live_signed_key_is_refused);
	tcase_add_test(rec,
		       unsigned_records_of_several_owners_coexist_and_a_signed_claim_evicts_them);
	tcase_add_test(rec, only_the_owner_removes_a_record);
	tcase_add_test(rec, the_store_refuses_more_records_than_its_slots_until_one_expires);
	tcase_add_test(rec, values_owners_and_lifetimes_out_of_bounds_are_refused);
	tcase_add_test(rec, a_string_key_is_an_orchid_of_the_overlay_suite_over_its_sha256);
	tcase_add_test(ring, handover_selects_the_keys_of_an_interval_that_wraps_past_zero);
	tcase_add_test(ring, roles_change_on_join_and_leave_and_only_primaries_are_re_replicated);
	tcase_add_test(ring, the_role_of_one_owners_record_changes_alone);
	suite_add_tcase(s, rec);
	suite_add_tcase(s, ring);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
