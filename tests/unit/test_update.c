/* UPDATE and ESP rekeying between two in-process hipd (RFC 7401 6.11-6.12,
 * RFC 7402 3.3.2, 6.8-6.10): new SPIs and matching keys on both sides, one
 * pending rekey at a time, both sides at once, when each side installs its
 * new SAs and switches, lost answers and ACKs, a bad HIP_MAC ignored. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/bex.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/update.h"
#include "hipd_pair.h"

#define PORT_BASE 30521
#define PORT_LOST (PORT_BASE + 9) /* nobody listens: what goes there is lost */

/* A data plane that only records what update.c asks of it. */
struct fake_dp {
	unsigned rekey_in, rekey_out; /* calls */
	uint32_t spi_in, spi_out;     /* the SPIs at the last call */
};

static struct fake_dp fakes[2]; /* a's, b's */
static struct fake_dp *fake_next;
static struct dataplane_counters fake_counters;

static int fake_open(struct hipd *h, void **state)
{
	(void)h;
	*state = fake_next;
	return 0;
}

static void fake_close(void *state)
{
	(void)state;
}

static void fake_ha(void *state, struct hip_ha *ha)
{
	(void)state;
	(void)ha;
}

static void fake_rekey_in(void *state, struct hip_ha *ha)
{
	struct fake_dp *f = state;

	f->rekey_in++;
	f->spi_in = ha->spi_in;
}

static void fake_rekey_out(void *state, struct hip_ha *ha)
{
	struct fake_dp *f = state;

	f->rekey_out++;
	f->spi_out = ha->spi_out;
}

static const struct dataplane_counters *fake_counts(const void *state)
{
	(void)state;
	return &fake_counters;
}

static const char *fake_device(const void *state)
{
	(void)state;
	return "fake0";
}

static const struct dataplane_backend fake_dataplane = {
    .name = "fake",
    .open = fake_open,
    .close = fake_close,
    .ha_state = fake_ha,
    .ha_rekey_in = fake_rekey_in,
    .ha_rekey_out = fake_rekey_out,
    .ha_drop_old = fake_ha,
    .ha_free = fake_ha,
    .counters = fake_counts,
    .device = fake_device,
};

/* ha's packets go to its peer's port, or to one nobody listens on. */
static void send_to(struct hip_ha *ha, uint16_t port)
{
	ck_assert_int_eq(ha->peer_addr.ss_family, AF_INET);
	((struct sockaddr_in *)&ha->peer_addr)->sin_port = htons(port);
}

static bool b_saw_update(struct pair *p)
{
	return ha_b(p)->upd.peer_seen;
}

static bool b_saw_nothing(struct pair *p)
{
	(void)p;
	return false;
}

static bool rekeyed_once(struct pair *p)
{
	struct hip_ha *a = ha_a(p), *b = ha_b(p);

	return a && b && a->upd.rekeys >= 1 && b->upd.rekeys >= 1 && !a->upd.pending &&
	       !b->upd.pending;
}

static void up(struct pair *p)
{
	pair_start(p, PORT_BASE);
	memset(fakes, 0, sizeof(fakes));
	fake_next = &fakes[0];
	ck_assert_int_eq(dataplane_open_backend(&p->a, &fake_dataplane, "test"), 0);
	fake_next = &fakes[1];
	ck_assert_int_eq(dataplane_open_backend(&p->b, &fake_dataplane, "test"), 0);
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
	/* each side installed one new inbound SA and switched outbound once */
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(fakes[i].rekey_in, 1);
		ck_assert_uint_eq(fakes[i].rekey_out, 1);
	}
	ck_assert_uint_eq(fakes[0].spi_in, a->spi_in);
	ck_assert_uint_eq(fakes[0].spi_out, a->spi_out);
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
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(fakes[i].rekey_in, 1);
		ck_assert_uint_eq(fakes[i].rekey_out, 1);
	}
	pair_stop(&p);
}
END_TEST

static bool a_rekeyed(struct pair *p)
{
	return ha_a(p)->upd.rekeys == 1;
}

static bool b_rekeyed(struct pair *p)
{
	return ha_b(p)->upd.rekeys == 1;
}

/* What a rekey looks like before the switch, for checking what changed. */
struct before {
	uint32_t a_spi_in, b_spi_in, b_spi_out;
	uint8_t b_enc_out[HIP_KEY_MAX], b_auth_out[HIP_KEY_MAX];
};

/* a rekeys; b answers and a switches, but a's ACK is lost. */
static void answer_with_lost_ack(struct pair *p, struct before *was)
{
	up(p);
	struct hip_ha *a = ha_a(p), *b = ha_b(p);
	was->a_spi_in = a->spi_in;
	was->b_spi_in = b->spi_in;
	was->b_spi_out = b->spi_out;
	memcpy(was->b_enc_out, b->keys.esp_enc_out, sizeof(was->b_enc_out));
	memcpy(was->b_auth_out, b->keys.esp_auth_out, sizeof(was->b_auth_out));
	ck_assert_int_eq(update_rekey_start(a), 0);
	send_to(a, PORT_LOST); /* the UPDATE is out; what a sends next is lost */
	ck_assert(run_until(p, a_rekeyed, 2000));
}

/* RFC 7402 3.3.2, 6.9.1: R' generates the new SAs when it processes the
 * UPDATE, so the inbound one is there before I' learns its SPI (from the
 * answer) and sends to it. */
START_TEST(the_responder_installs_its_new_inbound_sa_when_it_answers)
{
	struct pair p;
	struct before was;

	answer_with_lost_ack(&p, &was);
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	ck_assert(b->upd.pending);
	ck_assert_uint_eq(fakes[1].rekey_in, 1);
	ck_assert_uint_eq(fakes[1].spi_in, b->spi_in);
	ck_assert_uint_ne(b->spi_in, was.b_spi_in);
	ck_assert_uint_eq(b->spi_in_old, was.b_spi_in); /* the old one still takes packets */
	/* what a sends now, b can take */
	ck_assert_uint_eq(a->spi_out, b->spi_in);
	ck_assert_mem_eq(a->keys.esp_enc_out, b->keys.esp_enc_in, a->keys.esp_enc_len);
	ck_assert_mem_eq(a->keys.esp_auth_out, b->keys.esp_auth_in, a->keys.esp_auth_len);
	pair_stop(&p);
}
END_TEST

/* RFC 7402 3.3.2: R' does not take the new outgoing SA into use until the
 * ACK (or traffic on the new incoming SA); I' keeps its old inbound SA. */
START_TEST(the_responder_keeps_sending_on_the_old_spi_until_the_ack)
{
	struct pair p;
	struct before was;

	answer_with_lost_ack(&p, &was);
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	ck_assert(!run_until(&p, b_rekeyed, 350)); /* b retransmits; a's ACKs are lost */
	ck_assert_uint_eq(fakes[1].rekey_out, 0);
	ck_assert_uint_eq(b->spi_out, was.b_spi_out);
	ck_assert_uint_eq(b->spi_out, a->spi_in_old);
	ck_assert_mem_eq(b->keys.esp_enc_out, was.b_enc_out, b->keys.esp_enc_len);
	ck_assert_mem_eq(b->keys.esp_auth_out, was.b_auth_out, b->keys.esp_auth_len);
	ck_assert(b->upd.pending);
	send_to(a, p.port_b); /* the next ACK gets through */
	ck_assert(run_until(&p, b_rekeyed, 2000));
	ck_assert_uint_eq(fakes[1].rekey_out, 1);
	ck_assert_uint_eq(fakes[1].spi_out, a->spi_in);
	ck_assert(!b->upd.pending);
	assert_pair_consistent(a, b);
	pair_stop(&p);
}
END_TEST

/* RFC 7402 3.3.2: R' starts using the new outgoing SA when it receives
 * traffic on the new incoming SA: only its UPDATE told I' that SPI. */
START_TEST(the_responder_switches_on_the_first_packet_on_its_new_spi)
{
	struct pair p;
	struct before was;

	answer_with_lost_ack(&p, &was);
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	update_new_in_used(b); /* what the data plane says after an ESP packet on it */
	ck_assert_uint_eq(b->upd.rekeys, 1);
	ck_assert(!b->upd.pending);
	ck_assert_uint_ne(b->upd.new_in_used_ns, 0);
	ck_assert_uint_eq(fakes[1].rekey_out, 1);
	assert_pair_consistent(a, b);
	ck_assert(!uv_is_active((uv_handle_t *)&b->timer)); /* no more retransmissions */
	/* a late ACK changes nothing */
	send_to(a, p.port_b);
	update_new_in_used(b);
	run_until(&p, b_saw_nothing, 300);
	ck_assert_uint_eq(b->upd.rekeys, 1);
	ck_assert_uint_eq(fakes[1].rekey_out, 1);
	ck_assert_uint_eq(fakes[1].rekey_in, 1);
	pair_stop(&p);
}
END_TEST

/* RFC 7401 6.12.1: a retransmitted UPDATE is acknowledged again; RFC 7402
 * 6.10: the keys of a rekey are drawn once. The answer, retransmitted while
 * a's ACKs are lost, makes a acknowledge again and nothing more. */
START_TEST(a_lost_ack_and_the_retransmitted_answer_draw_no_new_keys)
{
	struct pair p;
	struct before was;
	uint8_t a_enc_in[HIP_KEY_MAX];

	answer_with_lost_ack(&p, &was);
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	uint32_t a_spi_in = a->spi_in, a_spi_out = a->spi_out, b_spi_in = b->spi_in;
	memcpy(a_enc_in, a->keys.esp_enc_in, sizeof(a_enc_in));
	ck_assert(!run_until(&p, b_rekeyed, 350)); /* at least two retransmissions */
	send_to(a, p.port_b);
	ck_assert(run_until(&p, b_rekeyed, 2000));
	ck_assert_uint_eq(a->upd.rekeys, 1);
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(fakes[i].rekey_in, 1);
		ck_assert_uint_eq(fakes[i].rekey_out, 1);
	}
	ck_assert_uint_eq(a->spi_in, a_spi_in);
	ck_assert_uint_eq(a->spi_out, a_spi_out);
	ck_assert_uint_eq(b->spi_in, b_spi_in);
	ck_assert_mem_eq(a->keys.esp_enc_in, a_enc_in, a->keys.esp_enc_len);
	assert_pair_consistent(a, b);
	pair_stop(&p);
}
END_TEST

/* RFC 7401 6.12.1 step 4: a retransmitted UPDATE gets the same answer again;
 * the responder draws no new keys and offers no new SPI for it. */
START_TEST(a_retransmitted_update_gets_the_same_answer_and_no_new_keys)
{
	struct pair p;

	up(&p);
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	send_to(b, PORT_LOST); /* b's answers are lost */
	ck_assert_int_eq(update_rekey_start(a), 0);
	ck_assert(!run_until(&p, a_rekeyed, 350)); /* a retransmits at least twice */
	ck_assert(b->upd.pending);
	ck_assert_uint_eq(fakes[1].rekey_in, 1);
	uint32_t b_spi_in = b->spi_in;
	ck_assert_uint_eq(b_spi_in, b->upd.new_spi_in);
	send_to(b, p.port_a);
	ck_assert(run_until(&p, rekeyed_once, 3000));
	ck_assert_uint_eq(b->spi_in, b_spi_in);
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(fakes[i].rekey_in, 1);
		ck_assert_uint_eq(fakes[i].rekey_out, 1);
	}
	assert_pair_consistent(a, b);
	pair_stop(&p);
}
END_TEST

/* RFC 7402 6.8-6.9 with RFC 7401 6.12.1: both start at once and both ACKs
 * are lost; each retransmitted UPDATE is then acknowledged (not answered with
 * the other's own UPDATE, which carries no ACK for it), and both finish. */
START_TEST(both_sides_at_once_with_both_acks_lost_still_finish)
{
	struct pair p;

	up(&p);
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	ck_assert_int_eq(update_rekey_start(a), 0);
	ck_assert_int_eq(update_rekey_start(b), 0);
	send_to(a, PORT_LOST);
	send_to(b, PORT_LOST);
	ck_assert(!run_until(&p, rekeyed_once, 250));
	for (int i = 0; i < 2; i++) { /* keyed on the other's UPDATE, not switched */
		ck_assert_uint_eq(fakes[i].rekey_in, 1);
		ck_assert_uint_eq(fakes[i].rekey_out, 0);
	}
	send_to(a, p.port_b);
	send_to(b, p.port_a);
	ck_assert(run_until(&p, rekeyed_once, 3000));
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(fakes[i].rekey_in, 1);
		ck_assert_uint_eq(fakes[i].rekey_out, 1);
	}
	assert_pair_consistent(a, b);
	pair_stop(&p);
}
END_TEST

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
	tcase_add_test(tc, the_responder_installs_its_new_inbound_sa_when_it_answers);
	tcase_add_test(tc, the_responder_keeps_sending_on_the_old_spi_until_the_ack);
	tcase_add_test(tc, the_responder_switches_on_the_first_packet_on_its_new_spi);
	tcase_add_test(tc, a_lost_ack_and_the_retransmitted_answer_draw_no_new_keys);
	tcase_add_test(tc, a_retransmitted_update_gets_the_same_answer_and_no_new_keys);
	tcase_add_test(tc, both_sides_at_once_with_both_acks_lost_still_finish);
	tcase_add_test(tc, an_update_with_a_bad_mac_is_dropped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
