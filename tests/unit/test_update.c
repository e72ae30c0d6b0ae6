/* UPDATE and ESP rekeying between two in-process hipd (RFC 7401 6.11-6.12,
 * RFC 7402 6.8-6.10): new SPIs and matching keys on both sides, one pending
 * rekey at a time, both sides at once, a bad HIP_MAC ignored. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/bex.h"
#include "hipd/update.h"
#include "hipd_pair.h"

#define PORT_BASE 30521

static bool rekeyed_once(struct pair *p)
{
	struct hip_ha *a = ha_a(p), *b = ha_b(p);

	return a && b && a->upd.rekeys >= 1 && b->upd.rekeys >= 1 && !a->upd.pending &&
	       !b->upd.pending;
}

static void up(struct pair *p)
{
	pair_start(p, PORT_BASE);
	map_b(p);
	ck_assert_int_eq(bex_trigger(&p->a, &p->b.ids[0]->hit, HIPD_FAULT_NONE), 0);
	ck_assert(run_until(p, both_up, 5000));
	ha_b(p)->state = HIP_STATE_ESTABLISHED; /* skip the Exchange Complete wait */
}

/* Each side's new outbound SA is the other's new inbound one, keyed alike. */
static void assert_pair_consistent(struct hip_ha *a, struct hip_ha *b)
{
	ck_assert_uint_eq(a->spi_out, b->spi_in);
	ck_assert_uint_eq(a->spi_in, b->spi_out);
	ck_assert_mem_eq(a->keys.esp_enc_out, b->keys.esp_enc_in, a->keys.esp_enc_len);
	ck_assert_mem_eq(a->keys.esp_enc_in, b->keys.esp_enc_out, a->keys.esp_enc_len);
	ck_assert_mem_eq(a->keys.esp_auth_out, b->keys.esp_auth_in, a->keys.esp_auth_len);
}

/* RFC 7402 6.8-6.10: UPDATE(ESP_INFO, SEQ, DH), UPDATE(ESP_INFO, SEQ, ACK, DH),
 * UPDATE(ACK); new SPIs and new ESP keys, the HIP keys stay. */
START_TEST(rekey_gives_both_sides_new_spis_and_matching_esp_keys)
{
	struct pair p;
	uint8_t old_enc[HIP_KEY_MAX], old_mac[HIP_KEY_MAX];

	up(&p);
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	uint32_t spi_out = a->spi_out, spi_in = a->spi_in;
	memcpy(old_enc, a->keys.esp_enc_out, sizeof(old_enc));
	memcpy(old_mac, a->keys.mac_out, sizeof(old_mac));
	ck_assert_int_eq(update_rekey_start(a), 0);
	ck_assert(a->upd.pending);
	ck_assert(run_until(&p, rekeyed_once, 5000));
	ck_assert_uint_ne(a->spi_out, spi_out);
	ck_assert_uint_ne(a->spi_in, spi_in);
	ck_assert_uint_eq(a->spi_in_old, spi_in); /* kept for packets in flight */
	ck_assert_mem_ne(a->keys.esp_enc_out, old_enc, a->keys.esp_enc_len);
	ck_assert_mem_eq(a->keys.mac_out, old_mac, a->keys.mac_len);
	assert_pair_consistent(a, b);
	ck_assert_uint_eq(a->upd.rekeys, 1);
	ck_assert_uint_eq(b->upd.rekeys, 1);
	/* and again: Update IDs move on, the second rekey works the same way */
	ck_assert_int_eq(update_rekey_start(b), 0);
	ck_assert(run_until(&p, rekeyed_once, 5000) && a->upd.rekeys == 2);
	assert_pair_consistent(a, b);
	pair_stop(&p);
}
END_TEST

/* RFC 7402 6.8: no new UPDATE while one is outstanding; none without an
 * established association. */
START_TEST(a_second_rekey_while_one_is_pending_is_refused)
{
	struct pair p;

	up(&p);
	ck_assert_int_eq(update_rekey_start(ha_a(&p)), 0);
	ck_assert_int_eq(update_rekey_start(ha_a(&p)), -EINPROGRESS);
	ck_assert(run_until(&p, rekeyed_once, 5000));
	ha_a(&p)->state = HIP_STATE_CLOSING;
	ck_assert_int_eq(update_rekey_start(ha_a(&p)), -ENOTCONN);
	ha_a(&p)->state = HIP_STATE_ESTABLISHED;
	pair_stop(&p);
}
END_TEST

/* RFC 7402 6.8: both sides start at once; each saves the other's parameters,
 * acknowledges, and finishes when its own UPDATE is acknowledged. */
START_TEST(both_sides_rekeying_at_once_end_with_one_consistent_pair)
{
	struct pair p;

	up(&p);
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	uint32_t spi_out = a->spi_out;
	ck_assert_int_eq(update_rekey_start(a), 0);
	ck_assert_int_eq(update_rekey_start(b), 0);
	ck_assert(run_until(&p, rekeyed_once, 5000));
	ck_assert_uint_ne(a->spi_out, spi_out);
	assert_pair_consistent(a, b);
	pair_stop(&p);
}
END_TEST

static bool b_saw_update(struct pair *p)
{
	return ha_b(p)->upd.peer_seen;
}

/* RFC 7401 6.12.1 step 3: an UPDATE whose HIP_MAC does not verify is dropped. */
START_TEST(an_update_with_a_bad_mac_is_dropped)
{
	struct pair p;

	up(&p);
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	uint32_t spi_in = b->spi_in;
	a->keys.mac_out[0] ^= 0x01;
	ck_assert_int_eq(update_rekey_start(a), 0);
	ck_assert(!run_until(&p, b_saw_update, 400));
	ck_assert_uint_eq(b->upd.rekeys, 0);
	ck_assert_uint_eq(b->spi_in, spi_in);
	ck_assert(!b->upd.pending);
	pair_stop(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("update");
	TCase *tc = tcase_create("update");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, rekey_gives_both_sides_new_spis_and_matching_esp_keys);
	tcase_add_test(tc, a_second_rekey_while_one_is_pending_is_refused);
	tcase_add_test(tc, both_sides_rekeying_at_once_end_with_one_consistent_pair);
	tcase_add_test(tc, an_update_with_a_bad_mac_is_dropped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
