/* Unit tests of hipd's NAT traversal (RFC 5770 ICE-STUN-UDP) between two
 * in-process hipd on loopback: negotiation, the ICE run, the path it picks.
 * Through real NATs and a TURN relay: tests/integration (the lab). */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/bex.h"
#include "hipd/hadb.h"
#include "hipd/nat.h"
#include "hipd/wire/hip_proto.h"
#include "hipd_pair.h"

static uint32_t ta_a = 20, ta_b = 20;
static const char *mode_a = "ice", *mode_b = "ice";

static void set_mode(struct hip_p_list16 *m, const char *mode)
{
	if (strcmp(mode, "ice") == 0)
		*m = (struct hip_p_list16){
		    .ids = {HIP_NAT_MODE_ICE_STUN_UDP, HIP_NAT_MODE_UDP_ENCAP}, .n = 2};
	else if (strcmp(mode, "udp") == 0)
		*m = (struct hip_p_list16){.ids = {HIP_NAT_MODE_UDP_ENCAP}, .n = 1};
	else
		m->n = 0;
}

static void tweak(struct hipd_config *cfg, int which)
{
	set_mode(&cfg->nat_modes, which ? mode_b : mode_a);
	cfg->ice_ta_ms = which ? ta_b : ta_a;
	cfg->ice_host_addrs = "127.0.0.1";
	cfg->e_failed_ms = 300;
}

static bool ice_done(struct pair *p)
{
	struct hip_ha *a = ha_a(p), *b = ha_b(p);

	return both_up(p) && a && b && !nat_ha_pending(a) && !nat_ha_pending(b);
}

static void start(struct pair *p, uint16_t port)
{
	pair_start_with(p, port, tweak);
	map_b(p);
	ck_assert_int_eq(bex_trigger(&p->a, &p->b.ids[0]->hit, HIPD_FAULT_NONE), 0);
}

/* RFC 5770 4.3, 4.6, 5.2: ICE-STUN-UDP chosen, checks with HIT-derived
 * credentials, a nominated host pair that both sides then use */
START_TEST(ice_stun_udp_is_negotiated_and_finds_the_path)
{
	struct pair p;
	struct sockaddr_in *peer;

	mode_a = mode_b = "ice";
	ta_a = ta_b = 20;
	start(&p, 30611);
	ck_assert(run_until(&p, ice_done, 5000));
	struct hip_ha *a = ha_a(&p), *b = ha_b(&p);
	ck_assert_uint_eq(a->nat_mode, HIP_NAT_MODE_ICE_STUN_UDP);
	ck_assert_uint_eq(b->nat_mode, HIP_NAT_MODE_ICE_STUN_UDP);
	ck_assert_str_eq(nat_ha_path_type(a), "host");
	ck_assert_str_eq(nat_ha_path_type(b), "host");
	peer = (struct sockaddr_in *)&a->peer_addr;
	ck_assert_uint_eq(ntohs(peer->sin_port), p.port_b);
	peer = (struct sockaddr_in *)&b->peer_addr;
	ck_assert_uint_eq(ntohs(peer->sin_port), p.port_a);
	ck_assert(!nat_ha_relayed(a));
	pair_stop(&p);
}
END_TEST

/* RFC 5770 4.4: both use the larger of the two offered Ta values */
START_TEST(pacing_is_the_larger_offer)
{
	struct pair p;

	mode_a = mode_b = "ice";
	ta_a = 20;
	ta_b = 60;
	start(&p, 30621);
	ck_assert(run_until(&p, ice_done, 5000));
	ck_assert_uint_eq(ha_a(&p)->ta_ms, 60);
	ck_assert_uint_eq(ha_b(&p)->ta_ms, 60);
	pair_stop(&p);
}
END_TEST

/* RFC 5770 4.3: a Responder without NAT_TRAVERSAL_MODE in R1: plain UDP, no ICE */
START_TEST(responder_without_nat_modes_means_no_ice)
{
	struct pair p;

	mode_a = "ice";
	mode_b = "none";
	start(&p, 30631);
	ck_assert(run_until(&p, both_up, 5000));
	ck_assert_uint_eq(ha_a(&p)->nat_mode, 0);
	ck_assert(!nat_ha_pending(ha_a(&p)));
	ck_assert_ptr_null(nat_ha_path_type(ha_a(&p)));
	pair_stop(&p);
}
END_TEST

/* RFC 5770 4.3: UDP-ENCAPSULATION is chosen when it is the common mode */
START_TEST(udp_encapsulation_when_only_that_is_common)
{
	struct pair p;

	mode_a = "ice";
	mode_b = "udp";
	start(&p, 30641);
	ck_assert(run_until(&p, both_up, 5000));
	ck_assert_uint_eq(ha_a(&p)->nat_mode, HIP_NAT_MODE_UDP_ENCAP);
	ck_assert_uint_eq(ha_b(&p)->nat_mode, HIP_NAT_MODE_UDP_ENCAP);
	ck_assert(!nat_ha_pending(ha_a(&p)));
	pair_stop(&p);
}
END_TEST

static bool a_failed(struct pair *p)
{
	struct hip_ha *a = ha_a(p);

	return a && a->state == HIP_STATE_E_FAILED;
}

static bool a_gone(struct pair *p)
{
	return ha_a(p) == NULL;
}

/* RFC 5770 4.6: checks that all fail leave no data path; the association goes
 * to E-FAILED and is then removed, so that the next packet can run a new base
 * exchange (with the candidates known by then) instead of waiting forever */
START_TEST(failed_checks_end_the_association)
{
	struct pair p;

	mode_a = mode_b = "ice";
	ta_a = ta_b = 20;
	pair_start_with(&p, 30651, tweak);
	map_b(&p);
	/* a keys its checks with a wrong password: both sides' checks fail */
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, HIPD_FAULT_ICE_PASSWORD), 0);
	ck_assert(run_until(&p, a_failed, 20000));
	ck_assert_ptr_nonnull(strstr(ha_a(&p)->fail_reason, "ICE"));
	ck_assert(!nat_ha_failed(ha_a(&p))); /* the agent is gone with the session */
	ck_assert(run_until(&p, a_gone, 2000));
	ck_assert_int_eq(bex_trigger(&p.a, &p.b.ids[0]->hit, HIPD_FAULT_NONE), 0);
	pair_stop(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nat");
	TCase *tc = tcase_create("ice-stun-udp");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ice_stun_udp_is_negotiated_and_finds_the_path);
	tcase_add_test(tc, pacing_is_the_larger_offer);
	tcase_add_test(tc, responder_without_nat_modes_means_no_ice);
	tcase_add_test(tc, udp_encapsulation_when_only_that_is_common);
	tcase_add_test(tc, failed_checks_end_the_association);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
