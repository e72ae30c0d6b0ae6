/* In-process base exchange: two hipd instances on one libuv loop talk UDP over
 * loopback (no root needed), so the whole BEX runs in every build, with ASan too. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hit.h"
#include "common/log.h"
#include "hipd/bex.h"
#include "hipd/daemon.h"
#include "hipd/output.h"
#include "hipd_pair.h"

static bool a_failed(struct pair *p)
{
	struct hip_ha *a = ha_a(p);

	return a && a->state == HIP_STATE_E_FAILED;
}

static bool a_gone_b_closed(struct pair *p)
{
	struct hip_ha *b = ha_b(p);

	return !ha_a(p) && b && b->state == HIP_STATE_CLOSED;
}

/* RFC 7401 4.1 and 6.6-6.10: I1, R1, I2, R2 between two identities */
START_TEST(bex_completes_and_both_sides_share_keys_and_spis)
{
	struct pair p;

	pair_start(&p, 30511);
	map_b(&p);
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, HIPD_FAULT_NONE), 0);
	ck_assert(run_until(&p, both_up, 5000));
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	ck_assert_uint_eq(a->spi_out, b->spi_in);
	ck_assert_uint_eq(a->spi_in, b->spi_out);
	ck_assert_uint_eq(a->esp_suite, b->esp_suite);
	ck_assert_uint_eq(a->hip_cipher, b->hip_cipher);
	/* RFC 7401 6.5 / RFC 7402 7: each side's outgoing keys are the other's incoming */
	ck_assert_mem_eq(a->keys.mac_out, b->keys.mac_in, a->keys.mac_len);
	ck_assert_mem_eq(a->keys.esp_enc_out, b->keys.esp_enc_in, a->keys.esp_enc_len);
	ck_assert_mem_eq(a->keys.esp_auth_in, b->keys.esp_auth_out, a->keys.esp_auth_len);
	/* RFC 5770 5.2: one STUN key, the same on both sides, drawn after the ESP keys */
	static const uint8_t zero16[16];
	ck_assert_mem_eq(a->keys.stun_key, b->keys.stun_key, 16);
	ck_assert(memcmp(a->keys.stun_key, zero16, 16) != 0);
	ck_assert(memcmp(a->keys.stun_key, a->keys.esp_auth_out, 16) != 0);
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, HIPD_FAULT_NONE), -EALREADY);
	pair_stop(&p);
}
END_TEST

/* RFC 7401 6.14-6.15: CLOSE removes the closer's state, the peer keeps CLOSED */
START_TEST(close_removes_initiator_state_and_leaves_peer_closed)
{
	struct pair p;

	pair_start(&p, 30511);
	map_b(&p);
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, HIPD_FAULT_NONE), 0);
	ck_assert(run_until(&p, both_up, 5000));
	ck_assert_int_eq(close_start(&p.a, &p.b.ids[0]->hit), 0);
	ck_assert(run_until(&p, a_gone_b_closed, 5000));
	pair_stop(&p);
}
END_TEST

static bool never(struct pair *p)
{
	(void)p;
	return false;
}

/* RFC 7401 6.9 step 4: an I2 that reaches the Responder again after it answered (the
 * Initiator's retransmission crossed the R2) gets the same R2 again, in R2-SENT and in
 * ESTABLISHED. Taken for a new exchange, it would give the Responder a new inbound SPI
 * that the Initiator, established on the first R2, never learns. */
START_TEST(a_repeated_i2_gets_the_same_r2_and_the_spis_stay)
{
	struct pair p;
	struct hip_ha *a, *b;
	uint32_t spi;

	pair_start(&p, 30511);
	map_b(&p);
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, HIPD_FAULT_NONE), 0);
	ck_assert(run_until(&p, both_up, 5000));
	a = ha_a(&p);
	spi = ha_b(&p)->spi_in;
	ck_assert_uint_eq(a->last_sent[2] & 0x7f, HIP_I2); /* the I2 a sent last (RFC 7401 5.1) */
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			ha_set_state(ha_b(&p), HIP_STATE_ESTABLISHED);
		ck_assert_int_eq(out_send_ha(a, a->last_sent, a->last_sent_len, false), 0);
		run_until(&p, never, 300);
		b = ha_b(&p);
		ck_assert_ptr_nonnull(b);
		ck_assert_uint_eq(b->spi_in, spi);
		ck_assert_uint_eq(ha_a(&p)->spi_out, b->spi_in);
		ck_assert_int_eq(ha_a(&p)->state, HIP_STATE_ESTABLISHED);
	}
	pair_stop(&p);
}
END_TEST

/* RFC 7401 6.9 steps 8, 14, 15: a bad solution, MAC or signature in I2 leaves
 * the Responder without an association and the Initiator fails. */
static void fault_case(enum hipd_fault fault)
{
	struct pair p;

	pair_start(&p, 30511);
	map_b(&p);
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, fault), 0);
	ck_assert(run_until(&p, a_failed, 10000));
	ck_assert_ptr_null(ha_b(&p));
	pair_stop(&p);
}

START_TEST(i2_with_wrong_signature_leaves_no_association)
{
	fault_case(HIPD_FAULT_I2_SIGNATURE);
}
END_TEST

START_TEST(i2_with_tampered_mac_leaves_no_association)
{
	fault_case(HIPD_FAULT_I2_MAC);
}
END_TEST

START_TEST(i2_with_wrong_puzzle_solution_leaves_no_association)
{
	fault_case(HIPD_FAULT_I2_SOLUTION);
}
END_TEST

START_TEST(i2_with_unknown_critical_parameter_leaves_no_association)
{
	fault_case(HIPD_FAULT_I2_CRITICAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bex");
	TCase *tc = tcase_create("loopback");

	log_init("test_bex", HLOG_WARN, false);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bex_completes_and_both_sides_share_keys_and_spis);
	tcase_add_test(tc, close_removes_initiator_state_and_leaves_peer_closed);
	tcase_add_test(tc, i2_with_wrong_signature_leaves_no_association);
	tcase_add_test(tc, i2_with_tampered_mac_leaves_no_association);
	tcase_add_test(tc, i2_with_wrong_puzzle_solution_leaves_no_association);
	tcase_add_test(tc, i2_with_unknown_critical_parameter_leaves_no_association);
	tcase_add_test(tc, a_repeated_i2_gets_the_same_r2_and_the_spis_stay);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
