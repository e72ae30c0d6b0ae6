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
#include "hipd/dataplane/dataplane.h"
#include "hipd/daemon.h"

struct pair {
	uv_loop_t loop;
	struct hipd a, b;
	char dir[64];
	char path_a[128], path_b[128], sock_a[128], sock_b[128];
	uv_timer_t poll;
	bool (*done)(struct pair *p);
	bool finished;
};

static void setup_one(struct hipd *h, const char *state, const char *sock, uint16_t port)
{
	hipd_config_defaults(&h->cfg);
	h->cfg.state_dir = state;
	h->cfg.socket_path = sock;
	h->cfg.hi_kinds[0] = HOSTID_ECDSA_P256;
	h->cfg.n_hi_kinds = 1;
	h->cfg.raw_enabled = false;
	h->cfg.udp_port = port;
	h->cfg.transport = HIP_TRANSPORT_UDP;
	h->cfg.rto_initial_ms = 100;
	h->cfg.allow_fault_injection = true;
	h->cfg.dataplane = DATAPLANE_NONE; /* two daemons in one namespace: no hit0 */
}

static void pair_start(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/hipsip-test-bex.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(p->dir));
	snprintf(p->path_a, sizeof(p->path_a), "%s/a", p->dir);
	snprintf(p->path_b, sizeof(p->path_b), "%s/b", p->dir);
	snprintf(p->sock_a, sizeof(p->sock_a), "%s/a.sock", p->dir);
	snprintf(p->sock_b, sizeof(p->sock_b), "%s/b.sock", p->dir);
	uv_loop_init(&p->loop);
	setup_one(&p->a, p->path_a, p->sock_a, 40511);
	setup_one(&p->b, p->path_b, p->sock_b, 40512);
	ck_assert_int_eq(hipd_start(&p->a, &p->loop), 0);
	ck_assert_int_eq(hipd_start(&p->b, &p->loop), 0);
}

static void pair_stop(struct pair *p)
{
	char cmd[128];

	hipd_stop(&p->a);
	hipd_stop(&p->b);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	hipd_free(&p->a);
	hipd_free(&p->b);
	ck_assert_int_eq(uv_loop_close(&p->loop), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* b's locator for a, with b's UDP port */
static void map_b(struct pair *p)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(40512)};

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	ck_assert_int_eq(hadb_map_add(&p->a.db, &p->b.ids[0]->hit, (struct sockaddr *)&sin), 0);
}

static void on_poll(uv_timer_t *t)
{
	struct pair *p = t->data;

	if (p->done(p)) {
		p->finished = true;
		uv_stop(&p->loop);
	}
}

static void on_deadline(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the loop until done() or ms elapse; returns whether done() became true. */
static bool run_until(struct pair *p, bool (*done)(struct pair *), uint64_t ms)
{
	uv_timer_t deadline;

	p->done = done;
	p->finished = false;
	uv_timer_init(&p->loop, &p->poll);
	uv_timer_init(&p->loop, &deadline);
	p->poll.data = p;
	uv_timer_start(&p->poll, on_poll, 5, 5);
	uv_timer_start(&deadline, on_deadline, ms, 0);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&p->poll, NULL);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&p->loop, UV_RUN_NOWAIT);
	return p->finished;
}

static struct hip_ha *ha_a(struct pair *p)
{
	return hadb_find(&p->a.db, &p->a.ids[0]->hit, &p->b.ids[0]->hit);
}

static struct hip_ha *ha_b(struct pair *p)
{
	return hadb_find(&p->b.db, &p->b.ids[0]->hit, &p->a.ids[0]->hit);
}

static bool both_up(struct pair *p)
{
	struct hip_ha *a = ha_a(p), *b = ha_b(p);

	return a && b && a->state == HIP_STATE_ESTABLISHED &&
	       (b->state == HIP_STATE_R2_SENT || b->state == HIP_STATE_ESTABLISHED);
}

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

	pair_start(&p);
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
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, HIPD_FAULT_NONE), -EALREADY);
	pair_stop(&p);
}
END_TEST

/* RFC 7401 6.14-6.15: CLOSE removes the closer's state, the peer keeps CLOSED */
START_TEST(close_removes_initiator_state_and_leaves_peer_closed)
{
	struct pair p;

	pair_start(&p);
	map_b(&p);
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, HIPD_FAULT_NONE), 0);
	ck_assert(run_until(&p, both_up, 5000));
	ck_assert_int_eq(close_start(&p.a, &p.b.ids[0]->hit), 0);
	ck_assert(run_until(&p, a_gone_b_closed, 5000));
	pair_stop(&p);
}
END_TEST

/* RFC 7401 6.9 steps 8, 14, 15: a bad solution, MAC or signature in I2 leaves
 * the Responder without an association and the Initiator fails. */
static void fault_case(enum hipd_fault fault)
{
	struct pair p;

	pair_start(&p);
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
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
