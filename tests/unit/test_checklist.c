/* Unit tests of the ICE checklist (RFC 8445 6.1.2-8.1): pair priorities and
 * order, pruning, limits, the Frozen algorithm, triggered checks, valid pairs,
 * peer-reflexive learning, nomination and checklist states, and the example
 * of RFC 8445 15.1 played by two checklists. Not the STUN messages or timers. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice/cand.h"
#include "ice/checklist.h"
#include "ice/sock.h"

/* An address for one expression: a few live at once. */
static const struct sockaddr *SA(const char *s)
{
	static struct sockaddr_storage ring[16];
	static unsigned next;
	struct sockaddr_storage *ss = &ring[next++ % 16];

	ck_assert_msg(ice_sa_parse(s, ss) == 0, "bad test address %s", s);
	return (const struct sockaddr *)ss;
}

static unsigned n_cancels;
static struct ice_pair *last_cancel;

static void on_cancel(void *user, struct ice_pair *p)
{
	ck_assert_ptr_eq(user, &n_cancels);
	ck_assert_int_eq(p->state, ICE_PAIR_IN_PROGRESS);
	n_cancels++;
	last_cancel = p;
}

static struct ice_checklist *new_cl(bool controlling, size_t max_pairs)
{
	struct ice_cl_config cfg = {
	    .controlling = controlling,
	    .max_pairs = max_pairs,
	    .cancel = on_cancel,
	    .user = &n_cancels,
	};
	struct ice_checklist *cl = ice_cl_new(&cfg);

	ck_assert_ptr_nonnull(cl);
	n_cancels = 0;
	last_cancel = NULL;
	return cl;
}

static void host(struct ice_checklist *cl, unsigned comp, const char *addr, unsigned lp)
{
	struct ice_cand c;

	ck_assert_int_eq(ice_cand_host(&c, comp, SA(addr), lp), 0);
	ck_assert_int_eq(ice_cl_add_local(cl, &c), 0);
}

static void srflx(struct ice_checklist *cl, unsigned comp, const char *mapped, const char *base)
{
	struct ice_cand c;

	ck_assert_int_eq(
	    ice_cand_srflx(&c, comp, SA(mapped), SA(base), SA("192.0.2.2:3478"), 65535), 0);
	ck_assert_int_eq(ice_cl_add_local(cl, &c), 0);
}

static void remote(struct ice_checklist *cl, enum ice_cand_type type, unsigned comp,
		   const char *addr, uint32_t prio, const char *foundation)
{
	struct ice_cand c;

	memset(&c, 0, sizeof(c));
	c.type = type;
	c.component = comp;
	c.priority = prio;
	strcpy(c.foundation, foundation);
	ck_assert_int_eq(ice_sa_parse(addr, &c.addr), 0);
	ck_assert_int_eq(ice_cl_add_remote(cl, &c), 0);
}

/* The pair between these transport addresses, or NULL. */
static struct ice_pair *pair(struct ice_checklist *cl, const char *l, const char *r)
{
	for (size_t i = 0; i < cl->n_pairs; i++) {
		struct ice_pair *p = &cl->pairs[i];

		if (ice_sa_equal((const void *)&p->local->addr, SA(l)) &&
		    ice_sa_equal((const void *)&p->remote->addr, SA(r)))
			return p;
	}
	return NULL;
}

/* A success whose mapped address is the local one (no NAT on the path). */
static struct ice_pair *succeed(struct ice_checklist *cl, struct ice_pair *p)
{
	struct ice_pair *vp;

	ck_assert_int_eq(ice_cl_check_succeeded(cl, p, (const void *)&p->remote->addr,
						(const void *)&p->local->addr, &vp),
			 0);
	return vp;
}

#define HOST_PRIO  2130706431u /* 126, 65535, component 1 */
#define SRFLX_PRIO 1694498815u /* 100, 65535, component 1 */

/* RFC 8445 6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), G controlling */
START_TEST(pair_priority_takes_g_from_the_controlling_side)
{
	struct ice_checklist *cl = new_cl(true, 0);

	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_SRFLX, 1, "192.0.2.3:45664", SRFLX_PRIO, "r");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(cl->n_pairs, 1);
	/* G = 2130706431 (ours), D = 1694498815: 2^32*D + 2*G + 1 */
	ck_assert_uint_eq(cl->pairs[0].priority, 7277816997797167103ull);
	/* 7.3.1.1: a role switch recomputes: G = 1694498815, D = 2130706431 */
	ice_cl_set_role(cl, false);
	ck_assert_uint_eq(cl->pairs[0].priority, 7277816997797167102ull);
	ice_cl_set_role(cl, true);
	ck_assert_uint_eq(cl->pairs[0].priority, 7277816997797167103ull);
	ice_cl_free(cl);

	cl = new_cl(false, 0);
	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "r");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	/* G = D = 2130706431: 2^32*G + 2*G + 0 */
	ck_assert_uint_eq(cl->pairs[0].priority, 9151314442783293438ull);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 6.1.2.2: same component, same family; 6.1.2.3: checked in
 * decreasing priority */
START_TEST(pairs_are_per_component_and_family_and_checked_by_priority)
{
	struct ice_checklist *cl = new_cl(true, 0);

	host(cl, 1, "192.0.2.1:1000", 65535);
	host(cl, 1, "[2001:db8::1]:1000", 65534);
	remote(cl, ICE_SRFLX, 1, "203.0.113.1:3000", SRFLX_PRIO, "c");
	remote(cl, ICE_HOST, 1, "[2001:db8::2]:2000", HOST_PRIO - 256, "b");
	remote(cl, ICE_HOST, 1, "198.51.100.1:2000", HOST_PRIO, "a");
	remote(cl, ICE_HOST, 2, "198.51.100.1:2001", HOST_PRIO - 1, "d");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(cl->n_pairs, 3);
	ck_assert_uint_eq(cl->n_components, 1); /* 6.1.2.2: the smaller maximum */
	ck_assert_ptr_eq(ice_cl_next(cl), pair(cl, "192.0.2.1:1000", "198.51.100.1:2000"));
	ck_assert_ptr_eq(ice_cl_next(cl), pair(cl, "[2001:db8::1]:1000", "[2001:db8::2]:2000"));
	ck_assert_ptr_eq(ice_cl_next(cl), pair(cl, "192.0.2.1:1000", "203.0.113.1:3000"));
	ck_assert_ptr_null(ice_cl_next(cl));
	ck_assert_int_eq(cl->pairs[0].state, ICE_PAIR_IN_PROGRESS);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 6.1.2.2: IPv6 link-local addresses only with link-local ones */
START_TEST(link_local_ipv6_pairs_only_with_link_local)
{
	struct ice_checklist *cl = new_cl(true, 0);

	host(cl, 1, "[fe80::1]:1000", 65535);
	host(cl, 1, "[2001:db8::1]:1000", 65534);
	remote(cl, ICE_HOST, 1, "[fe80::2]:2000", HOST_PRIO, "a");
	remote(cl, ICE_HOST, 1, "[2001:db8::2]:2000", HOST_PRIO - 256, "b");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(cl->n_pairs, 2);
	ck_assert_ptr_nonnull(pair(cl, "[fe80::1]:1000", "[fe80::2]:2000"));
	ck_assert_ptr_nonnull(pair(cl, "[2001:db8::1]:1000", "[2001:db8::2]:2000"));
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 6.1.2.4: a srflx local candidate is replaced by its base, and the
 * pair then duplicates the host pair of higher priority: pruned */
START_TEST(a_srflx_pair_duplicating_its_host_pair_is_pruned)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_cand relay;

	host(cl, 1, "10.0.1.1:5000", 65535);
	srflx(cl, 1, "192.0.2.3:45664", "10.0.1.1:5000");
	ck_assert_int_eq(ice_cand_relay(&relay, 1, SA("192.0.2.9:40000"), SA("192.0.2.3:45664"),
					SA("192.0.2.9:3478"), 65535),
			 0);
	ck_assert_int_eq(ice_cl_add_local(cl, &relay), 0);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	remote(cl, ICE_HOST, 1, "198.51.100.1:6000", HOST_PRIO - 256, "b");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(cl->pruned, 2);
	ck_assert_uint_eq(cl->n_pairs, 4); /* host and relay (its own base) with each remote */
	for (size_t i = 0; i < cl->n_pairs; i++)
		ck_assert_int_ne(cl->pairs[i].local->type, ICE_SRFLX);
	ck_assert_ptr_nonnull(pair(cl, "10.0.1.1:5000", "192.0.2.1:6000"));
	ck_assert_ptr_nonnull(pair(cl, "192.0.2.9:40000", "192.0.2.1:6000"));
	ck_assert_ptr_eq(ice_cl_base_of(cl, &cl->local[1]), &cl->local[0]);
	ck_assert_ptr_eq(ice_cl_base_of(cl, &cl->local[2]), &cl->local[2]);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 6.1.2.5: the lower-priority pairs beyond the limit are discarded */
START_TEST(the_pair_limit_keeps_the_highest_priorities)
{
	struct ice_checklist *cl = new_cl(true, 3);

	host(cl, 1, "10.0.1.1:5000", 65535);
	host(cl, 1, "10.0.1.2:5000", 65534);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	remote(cl, ICE_SRFLX, 1, "192.0.2.3:6000", SRFLX_PRIO, "b");
	remote(cl, ICE_RELAY, 1, "192.0.2.9:6000", 16777215, "c");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(cl->n_pairs, 3);
	ck_assert_uint_eq(cl->discarded, 3);
	ck_assert_ptr_nonnull(pair(cl, "10.0.1.1:5000", "192.0.2.1:6000"));
	ck_assert_ptr_nonnull(pair(cl, "10.0.1.2:5000", "192.0.2.1:6000"));
	ck_assert_ptr_nonnull(pair(cl, "10.0.1.1:5000", "192.0.2.3:6000"));
	ice_cl_free(cl);
}
END_TEST

/* Two components on one host address and one remote address: pairs of the
 * same foundation (RFC 8445 6.1.2.6 note). */
static struct ice_checklist *two_components(bool controlling)
{
	struct ice_checklist *cl = new_cl(controlling, 0);

	host(cl, 1, "10.0.1.1:5000", 65535);
	host(cl, 2, "10.0.1.1:5001", 65535);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "R");
	remote(cl, ICE_HOST, 2, "192.0.2.1:6001", HOST_PRIO - 1, "R");
	return cl;
}

/* RFC 8445 6.1.2.6: one Waiting pair per foundation, the lowest component;
 * 7.2.5.3.3: a success unfreezes the other pairs of its foundation */
START_TEST(one_pair_per_foundation_waits_and_a_success_unfreezes_the_rest)
{
	struct ice_checklist *cl = two_components(true);
	struct ice_pair *p1, *p2, *p3;

	remote(cl, ICE_SRFLX, 1, "198.51.100.9:7000", SRFLX_PRIO, "S");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(cl->n_components, 2);
	p1 = pair(cl, "10.0.1.1:5000", "192.0.2.1:6000");
	p2 = pair(cl, "10.0.1.1:5001", "192.0.2.1:6001");
	p3 = pair(cl, "10.0.1.1:5000", "198.51.100.9:7000");
	ck_assert_str_eq(p1->foundation, p2->foundation);
	ck_assert_str_ne(p1->foundation, p3->foundation);
	ck_assert_int_eq(p1->state, ICE_PAIR_WAITING);
	ck_assert_int_eq(p2->state, ICE_PAIR_FROZEN);
	ck_assert_int_eq(p3->state, ICE_PAIR_WAITING);
	ck_assert_ptr_eq(ice_cl_next(cl), p1);
	ck_assert_ptr_eq(ice_cl_next(cl), p3);
	/* 6.1.4.2 step 2: p2's foundation has p1 In-Progress, so it stays Frozen */
	ck_assert_ptr_null(ice_cl_next(cl));
	ice_cl_check_failed(cl, p3); /* 7.2.5.2: no effect on other pairs */
	ck_assert_int_eq(p2->state, ICE_PAIR_FROZEN);
	succeed(cl, p1);
	ck_assert_int_eq(p2->state, ICE_PAIR_WAITING);
	ck_assert_ptr_eq(ice_cl_next(cl), p2);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 6.1.4.2 step 2: when nothing is Waiting, a Frozen pair whose
 * foundation has nothing Waiting or In-Progress is unfrozen */
START_TEST(a_frozen_pair_is_unfrozen_when_its_foundation_is_idle)
{
	struct ice_checklist *cl = two_components(true);
	struct ice_pair *p1, *p2;

	ck_assert_int_eq(ice_cl_start(cl), 0);
	p1 = pair(cl, "10.0.1.1:5000", "192.0.2.1:6000");
	p2 = pair(cl, "10.0.1.1:5001", "192.0.2.1:6001");
	ck_assert_ptr_eq(ice_cl_next(cl), p1);
	ck_assert_ptr_null(ice_cl_next(cl));
	ice_cl_check_failed(cl, p1);
	ck_assert_int_eq(cl->state, ICE_CL_FAILED); /* component 1 has no hope left */
	ice_cl_free(cl);

	cl = two_components(true);
	remote(cl, ICE_HOST, 1, "198.51.100.1:6000", HOST_PRIO - 256, "T");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	p1 = pair(cl, "10.0.1.1:5000", "192.0.2.1:6000");
	p2 = pair(cl, "10.0.1.1:5001", "192.0.2.1:6001");
	ck_assert_ptr_eq(ice_cl_next(cl), p1);
	ice_cl_check_failed(cl, p1);
	ck_assert_int_eq(p2->state, ICE_PAIR_FROZEN);
	ck_assert_ptr_eq(ice_cl_next(cl), pair(cl, "10.0.1.1:5000", "198.51.100.1:6000"));
	ck_assert_ptr_eq(ice_cl_next(cl), p2); /* unfrozen: nothing else to do */
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 6.1.4.2 step 1 and 7.3.1.4: a triggered check goes first */
START_TEST(triggered_checks_jump_the_queue)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_pair *p, *c;

	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	remote(cl, ICE_SRFLX, 1, "192.0.2.3:6000", SRFLX_PRIO, "b");
	remote(cl, ICE_RELAY, 1, "192.0.2.9:6000", 16777215, "c");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	c = pair(cl, "10.0.1.1:5000", "192.0.2.9:6000");
	ck_assert_int_eq(c->state, ICE_PAIR_WAITING);
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("10.0.1.1:5000"), SA("192.0.2.9:6000"),
					       16777215, false, &p),
			 0);
	ck_assert_ptr_eq(p, c);
	ck_assert(c->queued);
	ck_assert_ptr_eq(ice_cl_next(cl), c);
	ck_assert(!c->queued);
	ck_assert_ptr_eq(ice_cl_next(cl), pair(cl, "10.0.1.1:5000", "192.0.2.1:6000"));
	ck_assert_ptr_eq(ice_cl_next(cl), pair(cl, "10.0.1.1:5000", "192.0.2.3:6000"));
	ck_assert_ptr_null(ice_cl_next(cl));
	ck_assert_uint_eq(cl->n_pairs, 3);
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("10.0.1.9:5000"), SA("192.0.2.9:6000"),
					       16777215, false, &p),
			 -ENOENT);
	ice_cl_free(cl);
}
END_TEST

/* A socket bound to 0.0.0.0 cannot tell which host address a request came
 * to: the best host candidate with that port stands for it */
START_TEST(a_check_on_a_wildcard_socket_uses_the_best_host_with_that_port)
{
	struct ice_checklist *cl = new_cl(false, 0);
	struct ice_pair *p;

	host(cl, 1, "10.0.1.2:5000", 65534);
	host(cl, 1, "10.0.1.1:5000", 65535);
	host(cl, 1, "[2001:db8::1]:5000", 65533);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("0.0.0.0:5000"), SA("192.0.2.1:6000"),
					       HOST_PRIO, false, &p),
			 0);
	ck_assert(ice_sa_equal((const void *)&p->local->addr, SA("10.0.1.1:5000")));
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("0.0.0.0:5001"), SA("192.0.2.1:6000"),
					       HOST_PRIO, false, &p),
			 -ENOENT);
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("[::]:5000"), SA("[2001:db8::9]:6000"),
					       HOST_PRIO, false, &p),
			 0);
	ck_assert(ice_sa_equal((const void *)&p->local->addr, SA("[2001:db8::1]:5000")));
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 7.3.1.3: a request from an unknown address is a peer-reflexive
 * remote candidate, paired only with the local candidate it reached; a later
 * candidate exchange tells what it really is */
START_TEST(a_check_from_an_unknown_address_teaches_a_prflx_remote)
{
	struct ice_checklist *cl = new_cl(false, 0);
	struct ice_cand sdp;
	struct ice_pair *p;
	const struct ice_cand *r;

	host(cl, 1, "10.0.1.1:5000", 65535);
	host(cl, 1, "10.0.1.2:5000", 65534);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(cl->n_pairs, 2);
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("10.0.1.1:5000"), SA("192.0.2.99:7000"),
					       1862270975u, false, &p),
			 0);
	r = p->remote;
	ck_assert_int_eq(r->type, ICE_PRFLX);
	ck_assert_uint_eq(r->priority, 1862270975u);
	ck_assert_uint_eq(r->component, 1);
	ck_assert_str_ne(r->foundation, "a");
	ck_assert_uint_eq(cl->n_pairs, 3); /* not paired with 10.0.1.2 */
	ck_assert_int_eq(p->state, ICE_PAIR_WAITING);
	ck_assert_ptr_eq(ice_cl_next(cl), p);
	/* the same source again is the same candidate */
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("10.0.1.1:5000"), SA("192.0.2.99:7000"),
					       1862270975u, false, NULL),
			 0);
	ck_assert_uint_eq(cl->n_remote, 2);

	/* the peer's candidates now list it as a srflx */
	memset(&sdp, 0, sizeof(sdp));
	sdp.type = ICE_SRFLX;
	sdp.component = 1;
	sdp.priority = SRFLX_PRIO;
	strcpy(sdp.foundation, "7");
	ice_sa_parse("192.0.2.99:7000", &sdp.addr);
	ck_assert_int_eq(ice_cl_add_remote(cl, &sdp), 0);
	ck_assert_ptr_eq(p->remote, r);
	ck_assert_int_eq(r->type, ICE_SRFLX);
	ck_assert_str_eq(r->foundation, "7");
	ck_assert_str_eq(p->foundation + strlen(p->local->foundation), ":7");
	ck_assert_uint_eq(cl->n_pairs, 4); /* now paired with 10.0.1.2 as well */
	ck_assert_int_eq(pair(cl, "10.0.1.2:5000", "192.0.2.99:7000")->state, ICE_PAIR_FROZEN);
	ck_assert_int_eq(ice_cl_add_remote(cl, &sdp), -EEXIST);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 7.2.5.3.1-2: a new mapped address is a local peer-reflexive
 * candidate (priority = the check's PRIORITY) and the valid pair is a new
 * pair outside the checklist; a known one is reused */
START_TEST(a_new_mapped_address_makes_a_prflx_valid_pair)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_pair *p, *vp, *vp2;

	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	remote(cl, ICE_HOST, 1, "192.0.2.1:6002", HOST_PRIO - 256, "b");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	p = ice_cl_next(cl);
	ck_assert_uint_eq(ice_pair_check_priority(p), 1862270975u); /* 7.1.1: 110, 65535, 1 */
	ck_assert_int_eq(
	    ice_cl_check_succeeded(cl, p, SA("192.0.2.1:6000"), SA("192.0.2.3:45664"), &vp), 0);
	ck_assert_ptr_ne(vp, p);
	ck_assert_int_eq(vp->local->type, ICE_PRFLX);
	ck_assert_uint_eq(vp->local->priority, 1862270975u);
	ck_assert(ice_sa_equal((const void *)&vp->local->base, SA("10.0.1.1:5000")));
	ck_assert_ptr_eq(ice_cl_base_of(cl, vp->local), p->local);
	ck_assert(!vp->in_checklist);
	ck_assert(vp->valid);
	ck_assert(!p->valid); /* case 3: the generating pair is not added */
	ck_assert_ptr_eq(vp->generator, p);
	ck_assert_ptr_eq(p->valid_pair, vp);
	ck_assert_int_eq(p->state, ICE_PAIR_SUCCEEDED);
	ck_assert_int_eq(vp->state, ICE_PAIR_SUCCEEDED);
	ck_assert_uint_eq(cl->n_local, 2);

	p = ice_cl_next(cl);
	ck_assert_int_eq(
	    ice_cl_check_succeeded(cl, p, SA("192.0.2.1:6002"), SA("192.0.2.3:45664"), &vp2), 0);
	ck_assert_uint_eq(cl->n_local, 2); /* the same prflx candidate */
	ck_assert_ptr_eq(vp2->local, vp->local);
	ck_assert_ptr_ne(vp2, vp);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 7.2.5.2.1: a response from another address fails the pair */
START_TEST(an_asymmetric_response_fails_the_pair)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_pair *p, *vp;

	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	p = ice_cl_next(cl);
	ck_assert_int_eq(
	    ice_cl_check_succeeded(cl, p, SA("192.0.2.1:6001"), SA("10.0.1.1:5000"), &vp),
	    -EHOSTUNREACH);
	ck_assert_ptr_null(vp);
	ck_assert_int_eq(p->state, ICE_PAIR_FAILED);
	ck_assert_int_eq(cl->state, ICE_CL_FAILED);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 7.3.1.4: In-Progress -> the check is cancelled and triggered
 * anew; Succeeded -> nothing */
START_TEST(a_request_on_an_in_progress_pair_cancels_and_retriggers_it)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_pair *p, *q;

	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	p = ice_cl_next(cl);
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("10.0.1.1:5000"), SA("192.0.2.1:6000"),
					       HOST_PRIO, false, &q),
			 0);
	ck_assert_ptr_eq(q, p);
	ck_assert_uint_eq(n_cancels, 1);
	ck_assert_ptr_eq(last_cancel, p);
	ck_assert_int_eq(p->state, ICE_PAIR_WAITING);
	ck_assert_ptr_eq(ice_cl_next(cl), p);
	succeed(cl, p);
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("10.0.1.1:5000"), SA("192.0.2.1:6000"),
					       HOST_PRIO, false, &q),
			 0);
	ck_assert_int_eq(p->state, ICE_PAIR_SUCCEEDED);
	ck_assert(!p->queued);
	ck_assert_ptr_null(ice_cl_next(cl));
	ck_assert_uint_eq(n_cancels, 1);
	ice_cl_free(cl);
}
END_TEST

/* Runs every check to success (no NAT); returns how many. */
static unsigned check_all(struct ice_checklist *cl)
{
	struct ice_pair *p;
	unsigned n = 0;

	while ((p = ice_cl_next(cl))) {
		ck_assert(!ice_pair_use_candidate(p));
		succeed(cl, p);
		n++;
	}
	return n;
}

/* RFC 8445 8.1.1, 7.2.5.3.4, 8.1.2: the controlling agent nominates one
 * valid pair per component with USE-CANDIDATE; nominated everywhere =
 * Completed */
START_TEST(nominating_both_components_completes_the_checklist)
{
	struct ice_checklist *cl = two_components(true);
	struct ice_pair *p;

	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(ice_cl_nominate(cl, false), 0); /* nothing valid yet */
	ck_assert_uint_eq(check_all(cl), 2);
	ck_assert_int_eq(cl->state, ICE_CL_RUNNING);
	ck_assert_ptr_null(ice_cl_selected(cl, 1));
	ck_assert_uint_eq(ice_cl_nominate(cl, false), 2);
	ck_assert_uint_eq(ice_cl_nominate(cl, false), 0); /* under way: not twice */
	p = ice_cl_next(cl);
	ck_assert_uint_eq(p->component, 1);
	ck_assert(ice_pair_use_candidate(p));
	succeed(cl, p);
	ck_assert(p->nominated);
	ck_assert_ptr_eq(ice_cl_selected(cl, 1), p);
	ck_assert_int_eq(cl->state, ICE_CL_RUNNING);
	p = ice_cl_next(cl);
	ck_assert_uint_eq(p->component, 2);
	ck_assert(ice_pair_use_candidate(p));
	succeed(cl, p);
	ck_assert_int_eq(cl->state, ICE_CL_COMPLETED);
	ck_assert_ptr_eq(ice_cl_selected(cl, 2), p);
	ck_assert_ptr_null(ice_cl_next(cl));
	ck_assert_uint_eq(ice_cl_nominate(cl, true), 0);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 8.1.1 (stopping criterion, local policy) and 8.1.2: a nomination
 * waits for better pairs still being checked unless forced; once nominated,
 * the other pairs of the component leave and their checks are cancelled */
START_TEST(nomination_waits_for_better_pairs_unless_forced)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_pair *a, *b;

	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	remote(cl, ICE_RELAY, 1, "192.0.2.9:6000", 16777215, "b");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	a = ice_cl_next(cl);
	b = ice_cl_next(cl);
	ck_assert_ptr_eq(a, pair(cl, "10.0.1.1:5000", "192.0.2.1:6000"));
	succeed(cl, b);
	ck_assert_uint_eq(ice_cl_nominate(cl, false), 0); /* a may still win */
	ck_assert_uint_eq(ice_cl_nominate(cl, true), 1);
	ck_assert_ptr_eq(ice_cl_next(cl), b);
	ck_assert(ice_pair_use_candidate(b));
	succeed(cl, b);
	ck_assert_int_eq(cl->state, ICE_CL_COMPLETED);
	ck_assert_uint_eq(n_cancels, 1);
	ck_assert_ptr_eq(last_cancel, a);
	ck_assert(!a->in_checklist);
	ck_assert_ptr_eq(ice_cl_selected(cl, 1), b);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 7.3.1.5: the controlled agent nominates on USE-CANDIDATE: at once
 * for a Succeeded pair, after its triggered check otherwise */
START_TEST(the_controlled_side_nominates_what_use_candidate_names)
{
	struct ice_checklist *cl = two_components(false);
	struct ice_pair *p1, *p2, *q;

	ck_assert_int_eq(ice_cl_start(cl), 0);
	p1 = ice_cl_next(cl);
	ck_assert_uint_eq(p1->component, 1);
	succeed(cl, p1);
	ck_assert_uint_eq(ice_cl_nominate(cl, true), 0); /* not ours to do */
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("10.0.1.1:5000"), SA("192.0.2.1:6000"),
					       HOST_PRIO, true, &q),
			 0);
	ck_assert_ptr_eq(q, p1);
	ck_assert(p1->nominated);
	ck_assert_int_eq(cl->state, ICE_CL_RUNNING);

	p2 = pair(cl, "10.0.1.1:5001", "192.0.2.1:6001");
	ck_assert_int_eq(p2->state, ICE_PAIR_WAITING);
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("10.0.1.1:5001"), SA("192.0.2.1:6001"),
					       HOST_PRIO - 1, true, &q),
			 0);
	ck_assert_ptr_eq(q, p2);
	ck_assert(!p2->nominated);
	ck_assert_ptr_eq(ice_cl_next(cl), p2);
	ck_assert(!ice_pair_use_candidate(p2)); /* 7.1.2: never from the controlled side */
	succeed(cl, p2);
	ck_assert(p2->nominated);
	ck_assert_int_eq(cl->state, ICE_CL_COMPLETED);
	ck_assert_ptr_eq(ice_cl_selected(cl, 2), p2);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 6.1.2.1, 7.2.5.4: every pair failed -> Failed */
START_TEST(the_checklist_fails_when_every_pair_fails)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_pair *p;

	host(cl, 1, "10.0.1.1:5000", 65535);
	host(cl, 1, "10.0.1.2:5000", 65534);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	remote(cl, ICE_HOST, 1, "198.51.100.1:6000", HOST_PRIO - 256, "b");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(cl->n_pairs, 4);
	for (int i = 0; i < 3; i++) {
		p = ice_cl_next(cl);
		ck_assert_ptr_nonnull(p);
		ice_cl_check_failed(cl, p);
		ck_assert_int_eq(cl->state, ICE_CL_RUNNING);
	}
	p = ice_cl_next(cl);
	ice_cl_check_failed(cl, p);
	ck_assert_int_eq(cl->state, ICE_CL_FAILED);
	ck_assert_ptr_null(ice_cl_next(cl));
	ice_cl_free(cl);

	/* one component working is not enough */
	cl = two_components(true);
	ck_assert_int_eq(ice_cl_start(cl), 0);
	succeed(cl, ice_cl_next(cl));
	p = ice_cl_next(cl);
	ck_assert_uint_eq(p->component, 2);
	ice_cl_check_failed(cl, p);
	ck_assert_int_eq(cl->state, ICE_CL_FAILED);
	ice_cl_free(cl);

	/* no pair at all for a component */
	cl = new_cl(true, 0);
	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_HOST, 1, "[2001:db8::1]:6000", HOST_PRIO, "a");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_int_eq(cl->state, ICE_CL_FAILED);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 7.2.5.3.4: a failed nomination check fails the checklist */
START_TEST(a_failed_nomination_fails_the_checklist)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_pair *p;

	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	p = ice_cl_next(cl);
	succeed(cl, p);
	ck_assert(p->valid);
	ck_assert_uint_eq(ice_cl_nominate(cl, false), 1);
	ck_assert_ptr_eq(ice_cl_next(cl), p);
	ice_cl_check_failed(cl, p);
	ck_assert(!p->valid);
	ck_assert_int_eq(p->state, ICE_PAIR_FAILED);
	ck_assert_int_eq(cl->state, ICE_CL_FAILED);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 7.3.1.1: who switches, who answers 487 */
START_TEST(role_conflicts_are_settled_by_the_tiebreaker)
{
	ck_assert_int_eq(ice_role_conflict(true, 5, true, false, 3), ICE_ROLE_487);
	ck_assert_int_eq(ice_role_conflict(true, 5, true, false, 5), ICE_ROLE_487);
	ck_assert_int_eq(ice_role_conflict(true, 3, true, false, 5), ICE_ROLE_SWITCH);
	ck_assert_int_eq(ice_role_conflict(false, 5, false, true, 3), ICE_ROLE_SWITCH);
	ck_assert_int_eq(ice_role_conflict(false, 5, false, true, 5), ICE_ROLE_SWITCH);
	ck_assert_int_eq(ice_role_conflict(false, 3, false, true, 5), ICE_ROLE_487);
	ck_assert_int_eq(ice_role_conflict(true, 3, false, true, 5), ICE_ROLE_KEEP);
	ck_assert_int_eq(ice_role_conflict(false, 3, true, false, 5), ICE_ROLE_KEEP);
	ck_assert_int_eq(ice_role_conflict(false, 3, false, false, 5), ICE_ROLE_KEEP);
}
END_TEST

/* RFC 8445 7.2.5.1: after a 487 the agent switches role and the pair is
 * checked again from the triggered queue, with priorities for the new role */
START_TEST(a_487_puts_the_pair_back_for_the_new_role)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_pair *p, *q;
	uint64_t before;

	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_SRFLX, 1, "192.0.2.3:6000", SRFLX_PRIO, "a");
	remote(cl, ICE_RELAY, 1, "192.0.2.9:6000", 16777215, "b");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	p = ice_cl_next(cl);
	q = ice_cl_next(cl);
	succeed(cl, q);
	ck_assert_uint_eq(ice_cl_nominate(cl, true), 1);
	ck_assert(q->use_candidate);
	before = p->priority;
	ice_cl_set_role(cl, false);
	ice_cl_check_again(cl, p);
	ck_assert_uint_ne(p->priority, before);
	ck_assert(!q->use_candidate); /* a nomination belongs to the old role */
	ck_assert_int_eq(p->state, ICE_PAIR_WAITING);
	/* q, queued for the nomination before the switch, is now a plain check */
	ck_assert_ptr_eq(ice_cl_next(cl), q);
	ck_assert(!ice_pair_use_candidate(q));
	ck_assert_ptr_eq(ice_cl_next(cl), p);
	ck_assert_uint_eq(n_cancels, 0);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 7.3: a check may arrive before the peer's candidates; its
 * triggered check waits until the checklist starts, then goes first */
START_TEST(a_check_before_the_start_is_kept_for_the_start)
{
	struct ice_checklist *cl = new_cl(true, 0);
	struct ice_pair *p;

	host(cl, 1, "10.0.1.1:5000", 65535);
	ck_assert_int_eq(ice_cl_incoming_check(cl, SA("10.0.1.1:5000"), SA("192.0.2.1:6000"),
					       1862270975u, false, &p),
			 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(ice_cl_next(cl));
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	remote(cl, ICE_HOST, 1, "198.51.100.1:6000", HOST_PRIO - 256, "b");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_int_eq(ice_cl_start(cl), -EALREADY);
	ck_assert_uint_eq(cl->n_pairs, 2);
	ck_assert_uint_eq(cl->pruned, 0);
	ck_assert_int_eq(p->remote->type, ICE_HOST);
	ck_assert_ptr_eq(ice_cl_next(cl), p);
	ck_assert_ptr_eq(ice_cl_next(cl), pair(cl, "10.0.1.1:5000", "198.51.100.1:6000"));
	ice_cl_free(cl);
}
END_TEST

START_TEST(bad_candidates_and_full_lists_are_refused)
{
	struct ice_cl_config cfg = {.controlling = true, .max_local = 1, .max_remote = 1};
	struct ice_checklist *cl = ice_cl_new(&cfg);
	struct ice_cand c;

	ck_assert_int_eq(ice_cand_host(&c, 1, SA("10.0.1.1:5000"), 65535), 0);
	c.component = 0;
	ck_assert_int_eq(ice_cl_add_local(cl, &c), -EINVAL);
	c.component = 1;
	c.foundation[0] = 0;
	ck_assert_int_eq(ice_cl_add_local(cl, &c), -EINVAL);
	ck_assert_int_eq(ice_cand_host(&c, 1, SA("10.0.1.1:5000"), 65535), 0);
	ck_assert_int_eq(ice_cl_add_local(cl, &c), 0);
	ck_assert_int_eq(ice_cl_add_local(cl, &c), -ENOSPC);
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	c.priority = 0;
	ck_assert_int_eq(ice_cl_add_remote(cl, &c), -EINVAL);
	c.priority = 5;
	ck_assert_int_eq(ice_cl_add_remote(cl, &c), -ENOSPC);
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_int_eq(ice_cl_add_local(cl, &c), -EBUSY);
	/* no room for a peer-reflexive remote or local candidate */
	ck_assert_int_eq(
	    ice_cl_incoming_check(cl, SA("10.0.1.1:5000"), SA("192.0.2.7:1"), 5, false, NULL),
	    -ENOSPC);
	ck_assert_int_eq(ice_cl_check_succeeded(cl, ice_cl_next(cl), SA("192.0.2.1:6000"),
						SA("192.0.2.3:1"), NULL),
			 -ENOSPC);
	ck_assert_int_eq(cl->pairs[0].state, ICE_PAIR_SUCCEEDED);
	ice_cl_free(cl);
}
END_TEST

/* RFC 8445 14.3: RTO = MAX(500 ms, Ta * (Waiting + In-Progress)) */
START_TEST(the_check_rto_grows_with_the_pairs_in_play)
{
	struct ice_checklist *cl = new_cl(true, 0);
	char addr[32];

	host(cl, 1, "10.0.1.1:5000", 65535);
	for (int i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%d:6000", i + 1);
		remote(cl, ICE_HOST, 1, addr, HOST_PRIO - (uint32_t)i * 256, i % 2 ? "a" : "b");
	}
	ck_assert_int_eq(ice_cl_start(cl), 0);
	ck_assert_uint_eq(ice_cl_rto_ms(cl, 50), 500); /* 2 Waiting */
	for (size_t i = 0; i < cl->n_pairs; i++)
		cl->pairs[i].state = ICE_PAIR_WAITING;
	ck_assert_uint_eq(ice_cl_rto_ms(cl, 50), 1000);
	ice_cl_next(cl);
	ck_assert_uint_eq(ice_cl_rto_ms(cl, 50), 1000);
	ice_cl_free(cl);
}
END_TEST

START_TEST(the_dump_lists_pairs_in_priority_order)
{
	struct ice_checklist *cl = new_cl(true, 0);
	char buf[2048], small[16];
	size_t n;
	const char *a, *b;

	host(cl, 1, "10.0.1.1:5000", 65535);
	remote(cl, ICE_RELAY, 1, "192.0.2.9:6000", 16777215, "b");
	remote(cl, ICE_HOST, 1, "192.0.2.1:6000", HOST_PRIO, "a");
	ck_assert_int_eq(ice_cl_start(cl), 0);
	succeed(cl, ice_cl_next(cl));
	n = ice_cl_dump(cl, buf, sizeof(buf));
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_ptr_nonnull(
	    strstr(buf, "checklist Running, controlling, 1 component(s), 2 pair"));
	a = strstr(buf, "Succeeded");
	b = strstr(buf, "Waiting");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(a < b);
	ck_assert_ptr_nonnull(strstr(buf, "host 10.0.1.1:5000 -> host 192.0.2.1:6000"));
	ck_assert_ptr_nonnull(strstr(buf, " valid"));
	ck_assert_uint_eq(ice_cl_dump(cl, small, sizeof(small)), n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ice_cl_free(cl);
}
END_TEST

/* --- RFC 8445 15.1: L behind a NAT (endpoint-independent mapping,
 * address-dependent filtering), R public, one STUN server --- */

#define L_PRIV	  "10.0.1.1:5000"
#define NAT_PUB	  "192.0.2.3:45664"
#define R_PUB	  "192.0.2.1:6000"
#define STUN_ADDR "192.0.2.2:3478"

struct net {
	struct ice_checklist *l, *r;
	bool nat_open_to_r; /* L has sent to R's IP: the filter lets R in */
	unsigned checks;
};

/* One check from cl on p, delivered (or lost) synchronously; the answer is
 * reported as the agent would. */
static void run_check(struct net *n, struct ice_checklist *cl, struct ice_pair *p)
{
	const struct sockaddr *dst = (const void *)&p->remote->addr;
	struct ice_checklist *peer;
	const struct sockaddr *seen_src, *at;

	n->checks++;
	if (cl == n->l && ice_sa_equal(dst, SA(R_PUB))) {
		n->nat_open_to_r = true;
		peer = n->r, seen_src = SA(NAT_PUB), at = SA(R_PUB);
	} else if (cl == n->r && ice_sa_equal(dst, SA(NAT_PUB)) && n->nat_open_to_r) {
		peer = n->l, seen_src = SA(R_PUB), at = SA(L_PRIV);
	} else {
		ice_cl_check_failed(cl, p); /* private address or filtered: a timeout */
		return;
	}
	ck_assert_int_eq(ice_cl_incoming_check(peer, at, seen_src, ice_pair_check_priority(p),
					       ice_pair_use_candidate(p), NULL),
			 0);
	ck_assert_int_eq(ice_cl_check_succeeded(cl, p, dst, seen_src, NULL), 0);
}

/* The candidates of one side, through their SDP text, to the other. */
static void exchange(struct ice_checklist *from, struct ice_checklist *to)
{
	for (size_t i = 0; i < from->n_local; i++) {
		char line[ICE_CAND_TEXT_MAX];
		struct ice_cand c;
		int n = ice_cand_format(&from->local[i], line, sizeof(line));

		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(ice_cand_parse(line, (size_t)n, &c), 0);
		ck_assert_int_eq(ice_cl_add_remote(to, &c), 0);
	}
}

START_TEST(rfc8445_example_concludes_on_the_nat_binding)
{
	struct net n = {0};
	struct ice_cand r[2];
	struct ice_pair *sl, *sr;

	n.l = new_cl(true, 0);
	n.r = new_cl(false, 0);
	host(n.l, 1, L_PRIV, 65535);
	srflx(n.l, 1, NAT_PUB, L_PRIV);
	/* R's server-reflexive candidate is its host address: redundant (5.1.3) */
	ck_assert_int_eq(ice_cand_host(&r[0], 1, SA(R_PUB), 65535), 0);
	ck_assert_int_eq(ice_cand_srflx(&r[1], 1, SA(R_PUB), SA(R_PUB), SA(STUN_ADDR), 65535), 0);
	ck_assert_uint_eq(ice_cands_eliminate_redundant(r, 2), 1);
	ck_assert_int_eq(ice_cl_add_local(n.r, &r[0]), 0);
	exchange(n.l, n.r);
	exchange(n.r, n.l);
	ck_assert_int_eq(ice_cl_start(n.l), 0);
	ck_assert_int_eq(ice_cl_start(n.r), 0);

	for (int tick = 0; tick < 20; tick++) {
		struct ice_pair *p;

		if ((p = ice_cl_next(n.l)))
			run_check(&n, n.l, p);
		if ((p = ice_cl_next(n.r)))
			run_check(&n, n.r, p);
		ice_cl_nominate(n.l, false);
	}
	ck_assert_int_eq(n.l->state, ICE_CL_COMPLETED);
	ck_assert_int_eq(n.r->state, ICE_CL_COMPLETED);
	ck_assert_uint_le(n.checks, 5);

	sl = ice_cl_selected(n.l, 1);
	ck_assert_ptr_nonnull(sl);
	ck_assert_int_eq(sl->local->type, ICE_SRFLX); /* the mapped address L had learned */
	ck_assert(ice_sa_equal((const void *)&sl->local->addr, SA(NAT_PUB)));
	ck_assert(ice_sa_equal((const void *)&ice_cl_base_of(n.l, sl->local)->addr, SA(L_PRIV)));
	ck_assert(ice_sa_equal((const void *)&sl->remote->addr, SA(R_PUB)));

	sr = ice_cl_selected(n.r, 1);
	ck_assert_ptr_nonnull(sr);
	ck_assert(ice_sa_equal((const void *)&sr->local->addr, SA(R_PUB)));
	ck_assert(ice_sa_equal((const void *)&sr->remote->addr, SA(NAT_PUB)));
	ck_assert_int_eq(sr->remote->type, ICE_SRFLX);
	ice_cl_free(n.l);
	ice_cl_free(n.r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("checklist");
	TCase *tc = tcase_create("checklist");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, pair_priority_takes_g_from_the_controlling_side);
	tcase_add_test(tc, pairs_are_per_component_and_family_and_checked_by_priority);
	tcase_add_test(tc, link_local_ipv6_pairs_only_with_link_local);
	tcase_add_test(tc, a_srflx_pair_duplicating_its_host_pair_is_pruned);
	tcase_add_test(tc, the_pair_limit_keeps_the_highest_priorities);
	tcase_add_test(tc, one_pair_per_foundation_waits_and_a_success_unfreezes_the_rest);
	tcase_add_test(tc, a_frozen_pair_is_unfrozen_when_its_foundation_is_idle);
	tcase_add_test(tc, triggered_checks_jump_the_queue);
	tcase_add_test(tc, a_check_on_a_wildcard_socket_uses_the_best_host_with_that_port);
	tcase_add_test(tc, a_check_from_an_unknown_address_teaches_a_prflx_remote);
	tcase_add_test(tc, a_new_mapped_address_makes_a_prflx_valid_pair);
	tcase_add_test(tc, an_asymmetric_response_fails_the_pair);
	tcase_add_test(tc, a_request_on_an_in_progress_pair_cancels_and_retriggers_it);
	tcase_add_test(tc, nominating_both_components_completes_the_checklist);
	tcase_add_test(tc, nomination_waits_for_better_pairs_unless_forced);
	tcase_add_test(tc, the_controlled_side_nominates_what_use_candidate_names);
	tcase_add_test(tc, the_checklist_fails_when_every_pair_fails);
	tcase_add_test(tc, a_failed_nomination_fails_the_checklist);
	tcase_add_test(tc, role_conflicts_are_settled_by_the_tiebreaker);
	tcase_add_test(tc, a_487_puts_the_pair_back_for_the_new_role);
	tcase_add_test(tc, a_check_before_the_start_is_kept_for_the_start);
	tcase_add_test(tc, bad_candidates_and_full_lists_are_refused);
	tcase_add_test(tc, the_check_rto_grows_with_the_pairs_in_play);
	tcase_add_test(tc, the_dump_lists_pairs_in_priority_order);
	tcase_add_test(tc, rfc8445_example_concludes_on_the_nat_binding);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
