/* hipd's control commands behind hipconf, on in-process daemons: identities new/add/del
 * (saved, refused, dropped with their associations), puzzle steps, NAT mode, locators, rst all. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/hit.h"
#include "hipd/bex.h"
#include "hipd/hipd_ctl.h"
#include "hipd/identity.h"
#include "hipd_pair.h"

#define PORT_BASE 30561

static struct pair p;

/* hipd_ctl_handle for {"cmd": cmd, ...extra} on daemon h; the reply. */
static json_t *call(struct hipd *h, const char *cmd, json_t *extra)
{
	json_t *req = extra ? extra : json_object();

	json_object_set_new(req, "cmd", json_string(cmd));
	json_t *r = hipd_ctl_handle(req, h);
	json_decref(req);
	ck_assert_ptr_nonnull(r);
	return r;
}

static bool ok(const json_t *r)
{
	return json_is_true(json_object_get(r, "ok"));
}

static const char *error_of(const json_t *r)
{
	return json_string_value(json_object_get(r, "error")) ?: "";
}

/* new-hi on h: the new HIT, parsed. */
static struct in6_addr new_hi(struct hipd *h, const char *kind)
{
	struct in6_addr hit;
	json_t *r = call(h, "new-hi", json_pack("{s:s}", "kind", kind));

	ck_assert_msg(ok(r), "new-hi: %s", error_of(r));
	ck_assert_int_eq(hit_parse(json_string_value(json_object_get(r, "hit")), &hit), 0);
	json_decref(r);
	return hit;
}

static void added_file(const struct hipd *h, const struct in6_addr *hit, char *buf, size_t len)
{
	char s[HIT_STRLEN];

	snprintf(buf, len, "%s/" IDENTITY_ADDED_PREFIX "%s.pem", h->cfg.state_dir,
		 hit_to_str(hit, s));
}

START_TEST(new_hi_is_used_saved_0600_and_loaded_at_the_next_start)
{
	char path[256];
	struct stat st;

	pair_start(&p, PORT_BASE);
	struct in6_addr hit = new_hi(&p.a, "ecdsa-p384");
	ck_assert_uint_eq(p.a.nids, 2);
	ck_assert_ptr_nonnull(hipd_identity(&p.a, &hit));
	added_file(&p.a, &hit, path, sizeof(path));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* a restart finds it */
	hipd_stop(&p.a);
	uv_run(&p.loop, UV_RUN_NOWAIT);
	hipd_free(&p.a);
	memset(&p.a, 0, sizeof(p.a));
	hipd_test_config(&p.a, p.path_a, p.sock_a, p.port_a);
	ck_assert_int_eq(hipd_start(&p.a, &p.loop), 0);
	ck_assert_uint_eq(p.a.nids, 2);
	ck_assert_mem_eq(&p.a.ids[1]->hit, &hit, sizeof(hit));
	pair_stop(&p);
}
END_TEST

START_TEST(new_hi_refuses_an_unknown_kind_and_rsa_bits_out_of_range)
{
	pair_start(&p, PORT_BASE);
	json_t *r = call(&p.a, "new-hi", json_pack("{s:s}", "kind", "dsa"));
	ck_assert(!ok(r));
	ck_assert_str_eq(error_of(r), "kind \"dsa\" is not one of rsa, ecdsa-p256, ecdsa-p384");
	json_decref(r);
	r = call(&p.a, "new-hi", json_pack("{s:s,s:i}", "kind", "rsa", "bits", 1024));
	ck_assert(!ok(r));
	json_decref(r);
	r = call(&p.a, "new-hi", json_pack("{s:s,s:i}", "kind", "ecdsa-p256", "bits", 4096));
	ck_assert(!ok(r));
	json_decref(r);
	ck_assert_uint_eq(p.a.nids, 1);
	pair_stop(&p);
}
END_TEST

START_TEST(identities_stop_at_the_table_size)
{
	pair_start(&p, PORT_BASE);
	while (p.a.nids < HIPD_MAX_IDS)
		new_hi(&p.a, "ecdsa-p256");
	json_t *r = call(&p.a, "new-hi", json_pack("{s:s}", "kind", "ecdsa-p256"));
	ck_assert(!ok(r));
	ck_assert_ptr_nonnull(strstr(error_of(r), "identities at most"));
	json_decref(r);
	pair_stop(&p);
}
END_TEST

/* The PEM text of a freshly generated key of kind. */
static char *pem_of_new_key(enum hostid_kind kind, struct in6_addr *hit)
{
	char path[256];
	struct hostid *id;

	snprintf(path, sizeof(path), "%s/key.pem", p.dir);
	ck_assert_int_eq(hostid_generate(kind, 0, &id), 0);
	ck_assert_int_eq(hostid_save(id, path), 0);
	*hit = id->hit;
	hostid_free(id);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	char *pem = calloc(1, 8192);
	size_t n = fread(pem, 1, 8191, f);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	return pem;
}

START_TEST(add_hi_takes_a_pem_key_once_and_refuses_what_is_not_one)
{
	struct in6_addr hit;

	pair_start(&p, PORT_BASE);
	char *pem = pem_of_new_key(HOSTID_ECDSA_P384, &hit);
	json_t *r = call(&p.a, "add-hi", json_pack("{s:s}", "pem", pem));
	ck_assert_msg(ok(r), "add-hi: %s", error_of(r));
	ck_assert_str_eq(json_string_value(json_object_get(r, "kind")), "ecdsa-p384");
	json_decref(r);
	ck_assert_ptr_nonnull(hipd_identity(&p.a, &hit));
	r = call(&p.a, "add-hi", json_pack("{s:s}", "pem", pem));
	ck_assert(!ok(r));
	ck_assert_ptr_nonnull(strstr(error_of(r), "is already one of our identities"));
	json_decref(r);
	r = call(&p.a, "add-hi", json_pack("{s:s}", "pem", "-----BEGIN PRIVATE KEY-----\nAA==\n"));
	ck_assert(!ok(r));
	json_decref(r);
	r = call(&p.a, "add-hi", NULL);
	ck_assert_str_eq(error_of(r), "missing argument \"pem\"");
	json_decref(r);
	ck_assert_uint_eq(p.a.nids, 2);
	free(pem);
	pair_stop(&p);
}
END_TEST

static json_t *del_hi(struct hipd *h, const struct in6_addr *hit, bool force)
{
	char s[HIT_STRLEN];

	return call(h, "del-hi", json_pack("{s:s,s:b}", "hit", hit_to_str(hit, s), "force", force));
}

START_TEST(del_hi_refuses_the_last_and_the_default_and_deletes_others_with_their_file)
{
	char path[256];

	pair_start(&p, PORT_BASE);
	struct in6_addr first = p.a.ids[0]->hit;
	json_t *r = del_hi(&p.a, &first, true);
	ck_assert(!ok(r));
	ck_assert_ptr_nonnull(strstr(error_of(r), "is the last identity"));
	json_decref(r);
	struct in6_addr added = new_hi(&p.a, "ecdsa-p256");
	r = del_hi(&p.a, &first, false);
	ck_assert(!ok(r));
	ck_assert_ptr_nonnull(strstr(error_of(r), "is the default identity"));
	json_decref(r);
	added_file(&p.a, &added, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), 0);
	r = del_hi(&p.a, &added, false);
	ck_assert_msg(ok(r), "del-hi: %s", error_of(r));
	json_decref(r);
	ck_assert_uint_eq(p.a.nids, 1);
	ck_assert_int_ne(access(path, F_OK), 0);
	r = del_hi(&p.a, &added, false);
	ck_assert_ptr_nonnull(strstr(error_of(r), "is not one of our identities"));
	json_decref(r);
	pair_stop(&p);
}
END_TEST

static struct in6_addr second_hit;

static bool second_up(struct pair *pp)
{
	struct hip_ha *ha = hadb_find(&pp->a.db, &second_hit, &pp->b.ids[0]->hit);

	return ha && ha->state == HIP_STATE_ESTABLISHED;
}

START_TEST(del_hi_in_use_needs_force_which_drops_its_associations)
{
	pair_start(&p, PORT_BASE);
	map_b(&p);
	second_hit = new_hi(&p.a, "ecdsa-p256");
	ck_assert_int_eq(bex_trigger_from(&p.a, &second_hit, &p.b.ids[0]->hit, HIPD_FAULT_NONE), 0);
	ck_assert(run_until(&p, second_up, 5000));
	json_t *r = del_hi(&p.a, &second_hit, false);
	ck_assert(!ok(r));
	ck_assert_ptr_nonnull(strstr(error_of(r), "1 associations use"));
	json_decref(r);
	r = del_hi(&p.a, &second_hit, true);
	ck_assert_msg(ok(r), "del-hi --force: %s", error_of(r));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "dropped")), 1);
	json_decref(r);
	ck_assert_uint_eq(p.a.db.count, 0);
	ck_assert_ptr_null(hipd_identity(&p.a, &second_hit));
	pair_stop(&p);
}
END_TEST

START_TEST(rst_all_forgets_every_association)
{
	pair_start(&p, PORT_BASE);
	map_b(&p);
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, HIPD_FAULT_NONE), 0);
	ck_assert(run_until(&p, both_up, 5000));
	json_t *r = call(&p.a, "reset", json_pack("{s:b}", "all", 1));
	ck_assert(ok(r));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "dropped")), 1);
	json_decref(r);
	ck_assert_uint_eq(p.a.db.count, 0);
	pair_stop(&p);
}
END_TEST

START_TEST(puzzle_steps_by_one_within_0_to_40)
{
	pair_start(&p, PORT_BASE);
	p.a.cfg.puzzle_k = 39;
	json_t *r = call(&p.a, "inc-puzzle", NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "k")), 40);
	json_decref(r);
	r = call(&p.a, "inc-puzzle", NULL);
	ck_assert(!ok(r));
	json_decref(r);
	ck_assert_uint_eq(p.a.cfg.puzzle_k, 40);
	p.a.cfg.puzzle_k = 0;
	r = call(&p.a, "dec-puzzle", NULL);
	ck_assert(!ok(r));
	json_decref(r);
	p.a.cfg.puzzle_k = 5;
	r = call(&p.a, "dec-puzzle", NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "k")), 4);
	json_decref(r);
	pair_stop(&p);
}
END_TEST

/* RFC 5770 4.3: the modes offered in R1 follow set-nat; ICE starts on demand. */
START_TEST(set_nat_changes_the_offered_modes_and_starts_ice_when_asked)
{
	pair_start(&p, PORT_BASE);
	ck_assert_uint_eq(p.a.cfg.nat_modes.n, 0);
	ck_assert_ptr_null(p.a.nat);
	json_t *r = call(&p.a, "set-nat", json_pack("{s:s}", "mode", "udp"));
	ck_assert(ok(r));
	json_decref(r);
	ck_assert_uint_eq(p.a.cfg.nat_modes.n, 1);
	ck_assert_uint_eq(p.a.cfg.nat_modes.ids[0], HIP_NAT_MODE_UDP_ENCAP);
	ck_assert_ptr_null(p.a.nat);
	r = call(&p.a, "set-nat", json_pack("{s:s}", "mode", "ice"));
	ck_assert_msg(ok(r), "set-nat ice: %s", error_of(r));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "modes"), 0)),
			 "ICE-STUN-UDP");
	json_decref(r);
	ck_assert_ptr_nonnull(p.a.nat);
	r = call(&p.a, "set-nat", json_pack("{s:s}", "mode", "none"));
	ck_assert(ok(r));
	json_decref(r);
	ck_assert_uint_eq(p.a.cfg.nat_modes.n, 0);
	r = call(&p.a, "set-nat", json_pack("{s:s}", "mode", "stun"));
	ck_assert_str_eq(error_of(r), "mode \"stun\" is not one of none, udp, ice");
	json_decref(r);
	pair_stop(&p);
}
END_TEST

START_TEST(get_locator_lists_addresses_and_the_udp_port)
{
	pair_start(&p, PORT_BASE);
	json_t *r = call(&p.a, "get-locator", NULL);
	ck_assert(ok(r));
	ck_assert(json_is_array(json_object_get(r, "addresses")));
	ck_assert(json_is_array(json_object_get(r, "candidates")));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "udp_port")), PORT_BASE);
	json_decref(r);
	r = call(&p.a, "get-debug", NULL);
	ck_assert(json_is_string(json_object_get(r, "level")));
	json_decref(r);
	pair_stop(&p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hipd_ctl");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, new_hi_is_used_saved_0600_and_loaded_at_the_next_start);
	tcase_add_test(tc, new_hi_refuses_an_unknown_kind_and_rsa_bits_out_of_range);
	tcase_add_test(tc, identities_stop_at_the_table_size);
	tcase_add_test(tc, add_hi_takes_a_pem_key_once_and_refuses_what_is_not_one);
	tcase_add_test(tc,
		       del_hi_refuses_the_last_and_the_default_and_deletes_others_with_their_file);
	tcase_add_test(tc, del_hi_in_use_needs_force_which_drops_its_associations);
	tcase_add_test(tc, rst_all_forgets_every_association);
	tcase_add_test(tc, puzzle_steps_by_one_within_0_to_40);
	tcase_add_test(tc, set_nat_changes_the_offered_modes_and_starts_ice_when_asked);
	tcase_add_test(tc, get_locator_lists_addresses_and_the_udp_port);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
