/* The ICE checklist (RFC 8445 6.1.2-8.1): forming and pruning pairs, scheduling
 * checks, valid list, nomination, checklist state. Not the agent: no STUN
 * messages, no sockets, no timers (see checklist.h for who does what). */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice/checklist.h"
#include "ice/sock.h"

/* Keep the allocations sane whatever is configured (pairing sorts up to
 * max_local * max_remote combinations). */
#define MAX_PAIRS_LIMIT 10000
#define MAX_CANDS_LIMIT 1024

const char *ice_pair_state_name(enum ice_pair_state s)
{
	static const char *const names[] = {"Frozen", "Waiting", "In-Progress", "Succeeded",
					    "Failed"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *ice_cl_state_name(enum ice_cl_state s)
{
	static const char *const names[] = {"Running", "Completed", "Failed"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

struct ice_checklist *ice_cl_new(const struct ice_cl_config *cfg)
{
	struct ice_checklist *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return NULL;
	cl->cfg = *cfg;
	if (!cl->cfg.max_pairs || cl->cfg.max_pairs > MAX_PAIRS_LIMIT)
		cl->cfg.max_pairs = ICE_CL_DEFAULT_MAX_PAIRS;
	if (!cl->cfg.max_local || cl->cfg.max_local > MAX_CANDS_LIMIT)
		cl->cfg.max_local = ICE_CL_DEFAULT_MAX_LOCAL;
	if (!cl->cfg.max_remote || cl->cfg.max_remote > MAX_CANDS_LIMIT)
		cl->cfg.max_remote = ICE_CL_DEFAULT_MAX_REMOTE;
	cl->controlling = cfg->controlling;
	cl->state = ICE_CL_RUNNING;
	/* Room beyond the formed pairs for triggered and valid-only pairs. */
	cl->cap_pairs = 2 * cl->cfg.max_pairs + 32;
	cl->local = calloc(cl->cfg.max_local, sizeof(*cl->local));
	cl->remote = calloc(cl->cfg.max_remote, sizeof(*cl->remote));
	cl->learned = calloc(cl->cfg.max_remote, sizeof(*cl->learned));
	cl->pairs = calloc(cl->cap_pairs, sizeof(*cl->pairs));
	cl->scratch = calloc(cl->cap_pairs, sizeof(*cl->scratch));
	if (!cl->local || !cl->remote || !cl->learned || !cl->pairs || !cl->scratch) {
		ice_cl_free(cl);
		return NULL;
	}
	return cl;
}

void ice_cl_free(struct ice_checklist *cl)
{
	if (!cl)
		return;
	free(cl->local);
	free(cl->remote);
	free(cl->learned);
	free(cl->pairs);
	free(cl->scratch);
	free(cl);
}

/* --- candidates --- */

static int sa_ok(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)ss)->sin_port != 0;
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)(const void *)ss)->sin6_port != 0;
	return 0;
}

static int sa_eq(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	return ice_sa_equal((const struct sockaddr *)a, b);
}

static int foundation_ok(const char *f)
{
	size_t n = strnlen(f, ICE_FOUNDATION_MAX + 1);

	return n >= 1 && n <= ICE_FOUNDATION_MAX;
}

static int cand_ok(const struct ice_cand *c)
{
	return c->component >= 1 && c->component <= 256 && c->priority >= 1 &&
	       c->priority <= INT32_MAX && (unsigned)c->type <= ICE_RELAY && sa_ok(&c->addr) &&
	       foundation_ok(c->foundation);
}

static int is_base_type(enum ice_cand_type t)
{
	return t == ICE_HOST || t == ICE_RELAY;
}

const struct ice_cand *ice_cl_base_of(const struct ice_checklist *cl, const struct ice_cand *c)
{
	if (is_base_type(c->type))
		return c;
	for (size_t i = 0; i < cl->n_local; i++) {
		const struct ice_cand *b = &cl->local[i];

		if (is_base_type(b->type) && b->component == c->component &&
		    sa_eq(&b->addr, (const void *)&c->base))
			return b;
	}
	return NULL;
}

int ice_cl_add_local(struct ice_checklist *cl, const struct ice_cand *c)
{
	if (cl->started)
		return -EBUSY;
	if (!cand_ok(c) || (!is_base_type(c->type) && !sa_ok(&c->base)))
		return -EINVAL;
	if (cl->n_local == cl->cfg.max_local)
		return -ENOSPC;
	cl->local[cl->n_local++] = *c;
	return 0;
}

/* The local candidate of this component with this transport address. */
static struct ice_cand *find_local(struct ice_checklist *cl, const struct sockaddr *addr,
				   unsigned component)
{
	for (size_t i = 0; i < cl->n_local; i++) {
		if (cl->local[i].component == component && sa_eq(&cl->local[i].addr, addr))
			return &cl->local[i];
	}
	return NULL;
}

static struct ice_cand *find_remote(struct ice_checklist *cl, const struct sockaddr *addr,
				    unsigned component)
{
	for (size_t i = 0; i < cl->n_remote; i++) {
		if (cl->remote[i].component == component && sa_eq(&cl->remote[i].addr, addr))
			return &cl->remote[i];
	}
	return NULL;
}

/* --- pairs --- */

/* RFC 8445 6.1.2.3: G is the controlling agent's candidate, D the controlled's. */
static uint64_t pair_priority(bool controlling, uint32_t local, uint32_t remote)
{
	uint64_t g = controlling ? local : remote, d = controlling ? remote : local;
	uint64_t lo = g < d ? g : d, hi = g < d ? d : g;

	return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

static void refresh_pair(struct ice_checklist *cl, struct ice_pair *p)
{
	p->priority = pair_priority(cl->controlling, p->local->priority, p->remote->priority);
	snprintf(p->foundation, sizeof(p->foundation), "%s:%s", p->local->foundation,
		 p->remote->foundation);
}

static struct ice_pair *new_pair(struct ice_checklist *cl, const struct ice_cand *local,
				 const struct ice_cand *remote, bool in_checklist,
				 enum ice_pair_state state)
{
	struct ice_pair *p;

	if (cl->n_pairs == cl->cap_pairs)
		return NULL;
	p = &cl->pairs[cl->n_pairs];
	memset(p, 0, sizeof(*p));
	p->id = (unsigned)cl->n_pairs++;
	p->cl = cl;
	p->local = local;
	p->remote = remote;
	p->component = local->component;
	p->in_checklist = in_checklist;
	p->state = state;
	refresh_pair(cl, p);
	return p;
}

static struct ice_pair *find_pair(struct ice_checklist *cl, const struct ice_cand *local,
				  const struct ice_cand *remote)
{
	for (size_t i = 0; i < cl->n_pairs; i++) {
		if (cl->pairs[i].local == local && cl->pairs[i].remote == remote)
			return &cl->pairs[i];
	}
	return NULL;
}

static size_t count_in_checklist(const struct ice_checklist *cl)
{
	size_t n = 0;

	for (size_t i = 0; i < cl->n_pairs; i++)
		n += cl->pairs[i].in_checklist;
	return n;
}

uint32_t ice_pair_check_priority(const struct ice_pair *p)
{
	return ice_priority(ICE_TYPEPREF_PRFLX, ice_local_pref_of(p->local->priority),
			    p->local->component);
}

bool ice_pair_use_candidate(const struct ice_pair *p)
{
	return p->use_candidate && p->cl->controlling;
}

/* Ordering for checks: lowest component, then highest priority (6.1.2.6). */
static int by_component(const void *a, const void *b)
{
	const struct ice_pair *x = *(struct ice_pair *const *)a, *y = *(struct ice_pair *const *)b;

	if (x->component != y->component)
		return x->component < y->component ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* Ordering of the checklist: highest priority, then lowest component. */
static int by_priority(const void *a, const void *b)
{
	const struct ice_pair *x = *(struct ice_pair *const *)a, *y = *(struct ice_pair *const *)b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->component != y->component)
		return x->component < y->component ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* --- triggered-check queue (6.1.4.1) --- */

static void queue_push(struct ice_checklist *cl, struct ice_pair *p)
{
	if (p->queued)
		return;
	p->queued = true;
	p->next_queued = NULL;
	if (cl->queue_tail)
		cl->queue_tail->next_queued = p;
	else
		cl->queue_head = p;
	cl->queue_tail = p;
}

/* The first queued pair still Waiting in the checklist; others drop out. */
static struct ice_pair *queue_pop(struct ice_checklist *cl)
{
	while (cl->queue_head) {
		struct ice_pair *p = cl->queue_head;

		cl->queue_head = p->next_queued;
		if (!cl->queue_head)
			cl->queue_tail = NULL;
		p->next_queued = NULL;
		p->queued = false;
		if (p->in_checklist && p->state == ICE_PAIR_WAITING)
			return p;
	}
	return NULL;
}

static void cancel_check(struct ice_checklist *cl, struct ice_pair *p)
{
	if (p->state == ICE_PAIR_IN_PROGRESS && cl->cfg.cancel)
		cl->cfg.cancel(cl->cfg.user, p);
}

/* A checklist that Failed runs again when it gets a pair to check. */
static void revive(struct ice_checklist *cl)
{
	if (cl->state == ICE_CL_FAILED)
		cl->state = ICE_CL_RUNNING;
}

/* Waiting and first in the triggered-check queue; a check in flight is given
 * up (7.3.1.4). */
static void trigger(struct ice_checklist *cl, struct ice_pair *p)
{
	cancel_check(cl, p);
	p->state = ICE_PAIR_WAITING;
	queue_push(cl, p);
	revive(cl);
}

/* --- checklist state --- */

static bool pending(const struct ice_pair *p)
{
	return p->in_checklist && (p->state == ICE_PAIR_FROZEN || p->state == ICE_PAIR_WAITING ||
				   p->state == ICE_PAIR_IN_PROGRESS);
}

static bool comp_nominated(const struct ice_checklist *cl, unsigned c)
{
	for (size_t i = 0; i < cl->n_pairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];

		if (p->component == c && p->valid && p->nominated)
			return true;
	}
	return false;
}

static bool comp_has_valid(const struct ice_checklist *cl, unsigned c)
{
	for (size_t i = 0; i < cl->n_pairs; i++) {
		if (cl->pairs[i].component == c && cl->pairs[i].valid)
			return true;
	}
	return false;
}

static bool comp_pending(const struct ice_checklist *cl, unsigned c)
{
	for (size_t i = 0; i < cl->n_pairs; i++) {
		if (cl->pairs[i].component == c && pending(&cl->pairs[i]))
			return true;
	}
	return false;
}

/* 6.1.2.1, 7.2.5.4, 8.1.2: Completed with a nominated pair per component;
 * Failed when a component has no valid pair and nothing left to check. */
static void update_state(struct ice_checklist *cl)
{
	bool all = true, failed = false;

	if (!cl->started || cl->state != ICE_CL_RUNNING)
		return;
	if (cl->n_components == 0) {
		cl->state = ICE_CL_FAILED;
		return;
	}
	for (unsigned c = 1; c <= cl->n_components; c++) {
		if (comp_nominated(cl, c))
			continue;
		all = false;
		if (!comp_has_valid(cl, c) && !comp_pending(cl, c))
			failed = true;
	}
	if (all)
		cl->state = ICE_CL_COMPLETED;
	else if (failed)
		cl->state = ICE_CL_FAILED;
}

/* 8.1.2: a nominated component leaves the checklist and the queue; its
 * checks in flight are given up. */
static void nominate_valid(struct ice_checklist *cl, struct ice_pair *vp)
{
	vp->nominated = true;
	for (size_t i = 0; i < cl->n_pairs; i++) {
		struct ice_pair *p = &cl->pairs[i];

		if (p->component != vp->component || !p->in_checklist)
			continue;
		cancel_check(cl, p);
		p->in_checklist = false;
	}
}

/* --- forming (6.1.2.2-6.1.2.6) --- */

static bool family_match(const struct ice_cand *l, const struct ice_cand *r)
{
	const struct sockaddr_in6 *a = (const void *)&l->addr, *b = (const void *)&r->addr;

	if (l->addr.ss_family != r->addr.ss_family)
		return false;
	if (l->addr.ss_family != AF_INET6)
		return true;
	/* 6.1.2.2: IPv6 link-local only with link-local */
	return IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr) == IN6_IS_ADDR_LINKLOCAL(&b->sin6_addr);
}

struct combo {
	const struct ice_cand *base, *remote;
	uint64_t priority; /* with the original local candidate (6.1.2.3) */
	unsigned component;
};

static int combo_cmp(const void *a, const void *b)
{
	const struct combo *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->component != y->component)
		return x->component < y->component ? -1 : 1;
	return 0;
}

/* Every local candidate (through its base) with every remote candidate (only
 * `only` when not NULL), except remote peer-reflexive ones we learned
 * (7.3.1.3: not paired). */
static size_t collect_combos(struct ice_checklist *cl, const struct ice_cand *only,
			     struct combo *out)
{
	size_t n = 0;

	for (size_t i = 0; i < cl->n_local; i++) {
		const struct ice_cand *l = &cl->local[i], *b = ice_cl_base_of(cl, l);

		for (size_t j = 0; b && j < cl->n_remote; j++) {
			const struct ice_cand *r = &cl->remote[j];

			if ((only && r != only) || cl->learned[j] || r->component != l->component ||
			    !family_match(b, r))
				continue;
			out[n].base = b;
			out[n].remote = r;
			out[n].component = l->component;
			out[n].priority = pair_priority(cl->controlling, l->priority, r->priority);
			n++;
		}
	}
	return n;
}

static void count_components(struct ice_checklist *cl)
{
	unsigned lmax = 0, rmax = 0;

	for (size_t i = 0; i < cl->n_local; i++)
		lmax = cl->local[i].component > lmax ? cl->local[i].component : lmax;
	for (size_t i = 0; i < cl->n_remote; i++)
		rmax = cl->remote[i].component > rmax ? cl->remote[i].component : rmax;
	/* 6.1.2.2: the smaller of the two agents' highest component IDs */
	cl->n_components = lmax < rmax ? lmax : rmax;
}

/* Sorted by priority, reflexive locals replaced by their bases and pruned
 * (6.1.2.4), at most max_pairs in the checklist (6.1.2.5); new pairs Frozen. */
static int form_pairs(struct ice_checklist *cl, const struct ice_cand *only)
{
	size_t first = cl->n_pairs, count = count_in_checklist(cl), n;
	struct combo *c = calloc(cl->n_local * cl->n_remote + 1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	n = collect_combos(cl, only, c);
	qsort(c, n, sizeof(*c), combo_cmp);
	for (size_t i = 0; i < n; i++) {
		struct ice_pair *dup = find_pair(cl, c[i].base, c[i].remote);

		if (dup) {
			cl->pruned += dup->id >= first; /* an older pair (triggered) is no prune */
			continue;
		}
		if (count >= cl->cfg.max_pairs ||
		    !new_pair(cl, c[i].base, c[i].remote, true, ICE_PAIR_FROZEN)) {
			cl->discarded++;
			continue;
		}
		count++;
	}
	free(c);
	count_components(cl);
	return 0;
}

static bool foundation_active(const struct ice_checklist *cl, const char *f)
{
	for (size_t i = 0; i < cl->n_pairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];

		if (p->in_checklist &&
		    (p->state == ICE_PAIR_WAITING || p->state == ICE_PAIR_IN_PROGRESS) &&
		    strcmp(p->foundation, f) == 0)
			return true;
	}
	return false;
}

/* 6.1.2.6 step 4 and 6.1.4.2 step 2: for each foundation with no pair Waiting
 * or In-Progress, its first Frozen pair (lowest component, highest priority)
 * becomes Waiting. */
static void unfreeze_per_foundation(struct ice_checklist *cl)
{
	size_t n = 0;

	for (size_t i = 0; i < cl->n_pairs; i++) {
		if (cl->pairs[i].in_checklist && cl->pairs[i].state == ICE_PAIR_FROZEN)
			cl->scratch[n++] = &cl->pairs[i];
	}
	qsort(cl->scratch, n, sizeof(*cl->scratch), by_component);
	for (size_t i = 0; i < n; i++) {
		if (!foundation_active(cl, cl->scratch[i]->foundation))
			cl->scratch[i]->state = ICE_PAIR_WAITING;
	}
}

int ice_cl_start(struct ice_checklist *cl)
{
	int err;

	if (cl->started)
		return -EALREADY;
	err = form_pairs(cl, NULL);
	if (err)
		return err;
	cl->started = true;
	cl->state = ICE_CL_RUNNING;
	unfreeze_per_foundation(cl);
	update_state(cl);
	return 0;
}

static struct ice_cand *add_learned_remote(struct ice_checklist *cl, const struct sockaddr *src,
					   unsigned component, uint32_t priority)
{
	struct ice_cand *r;
	bool taken = true;

	if (cl->n_remote == cl->cfg.max_remote)
		return NULL;
	r = &cl->remote[cl->n_remote];
	memset(r, 0, sizeof(*r));
	/* 7.3.1.3: a foundation different from those of all other remotes */
	while (taken) {
		snprintf(r->foundation, sizeof(r->foundation), "prflx%u", ++cl->prflx_seq);
		taken = false;
		for (size_t i = 0; i < cl->n_remote; i++)
			taken = taken || strcmp(cl->remote[i].foundation, r->foundation) == 0;
	}
	r->type = ICE_PRFLX;
	r->component = component;
	r->priority = priority;
	memcpy(&r->addr, src, ice_sa_len(src));
	cl->learned[cl->n_remote++] = true;
	return r;
}

int ice_cl_add_remote(struct ice_checklist *cl, const struct ice_cand *c)
{
	struct ice_cand *r;
	size_t idx;

	if (!cand_ok(c))
		return -EINVAL;
	r = find_remote(cl, (const void *)&c->addr, c->component);
	if (r && r->type != ICE_PRFLX)
		return -EEXIST;
	if (!r && cl->n_remote == cl->cfg.max_remote)
		return -ENOSPC;
	if (!r)
		r = &cl->remote[cl->n_remote++];
	idx = (size_t)(r - cl->remote);
	/* 7.3.1.3: the peer now signals what a learned candidate really is */
	*r = *c;
	memset(&r->base, 0, sizeof(r->base));
	cl->learned[idx] = false;
	for (size_t i = 0; i < cl->n_pairs; i++) {
		if (cl->pairs[i].remote == r)
			refresh_pair(cl, &cl->pairs[i]);
	}
	if (!cl->started)
		return 0;
	if (form_pairs(cl, r))
		return -ENOMEM;
	revive(cl);
	update_state(cl);
	return 0;
}

/* --- scheduling (6.1.4.2) --- */

static struct ice_pair *best_waiting(struct ice_checklist *cl)
{
	struct ice_pair *best = NULL;

	for (size_t i = 0; i < cl->n_pairs; i++) {
		struct ice_pair *p = &cl->pairs[i];

		if (!p->in_checklist || p->state != ICE_PAIR_WAITING)
			continue;
		if (!best || by_priority(&p, &best) < 0)
			best = p;
	}
	return best;
}

struct ice_pair *ice_cl_next(struct ice_checklist *cl)
{
	struct ice_pair *p;

	if (!cl->started || cl->state != ICE_CL_RUNNING)
		return NULL;
	p = queue_pop(cl);
	if (!p) {
		if (!best_waiting(cl))
			unfreeze_per_foundation(cl);
		p = best_waiting(cl);
	}
	if (!p)
		return NULL;
	p->state = ICE_PAIR_IN_PROGRESS;
	return p;
}

/* --- results (7.2.5) --- */

/* Frozen pairs with this foundation become Waiting (7.2.5.3.3). */
static void unfreeze_foundation(struct ice_checklist *cl, const char *f)
{
	for (size_t i = 0; i < cl->n_pairs; i++) {
		struct ice_pair *p = &cl->pairs[i];

		if (p->in_checklist && p->state == ICE_PAIR_FROZEN && strcmp(p->foundation, f) == 0)
			p->state = ICE_PAIR_WAITING;
	}
}

/* 7.2.5.3.1: mapped is new; a peer-reflexive local candidate based on p's. */
static struct ice_cand *add_local_prflx(struct ice_checklist *cl, const struct ice_pair *p,
					const struct sockaddr *mapped)
{
	struct ice_cand c;

	if (cl->n_local == cl->cfg.max_local)
		return NULL;
	if (ice_cand_prflx(&c, p->component, mapped, (const void *)&p->local->addr,
			   (const void *)&p->remote->addr, ice_pair_check_priority(p)))
		return NULL;
	cl->local[cl->n_local] = c;
	return &cl->local[cl->n_local++];
}

/* 7.2.5.3.2: the pair of mapped and p's remote, found or made. */
static struct ice_pair *valid_pair_for(struct ice_checklist *cl, const struct ice_pair *p,
				       const struct sockaddr *mapped)
{
	struct ice_cand *l = find_local(cl, mapped, p->component);
	struct ice_pair *vp;

	if (!l)
		l = add_local_prflx(cl, p, mapped);
	if (!l)
		return NULL;
	vp = find_pair(cl, l, p->remote);
	if (!vp)
		vp = new_pair(cl, l, p->remote, false, ICE_PAIR_SUCCEEDED);
	return vp;
}

int ice_cl_check_succeeded(struct ice_checklist *cl, struct ice_pair *p,
			   const struct sockaddr *from, const struct sockaddr *mapped,
			   struct ice_pair **valid)
{
	struct ice_pair *vp;

	if (valid)
		*valid = NULL;
	if (!p || p->cl != cl || !from || !mapped || !ice_sa_len(mapped))
		return -EINVAL;
	if (!sa_eq(&p->remote->addr, from)) {
		ice_cl_check_failed(cl, p); /* 7.2.5.2.1 */
		return -EHOSTUNREACH;
	}
	p->state = ICE_PAIR_SUCCEEDED;
	vp = valid_pair_for(cl, p, mapped);
	unfreeze_foundation(cl, p->foundation);
	if (vp) {
		vp->state = ICE_PAIR_SUCCEEDED;
		vp->valid = true;
		vp->generator = p;
		p->valid_pair = vp;
		if (p->use_candidate) /* 7.2.5.3.4 */
			nominate_valid(cl, vp);
	}
	if (valid)
		*valid = vp;
	update_state(cl);
	return vp ? 0 : -ENOSPC;
}

void ice_cl_check_failed(struct ice_checklist *cl, struct ice_pair *p)
{
	p->state = ICE_PAIR_FAILED;
	/* 7.2.5.3.4: a failed nomination check fails the checklist */
	if (p->use_candidate && !comp_nominated(cl, p->component)) {
		if (p->valid_pair) {
			p->valid_pair->valid = false;
			p->valid_pair->nominated = false;
		}
		if (cl->started && cl->state == ICE_CL_RUNNING)
			cl->state = ICE_CL_FAILED;
	}
	update_state(cl);
}

void ice_cl_check_again(struct ice_checklist *cl, struct ice_pair *p)
{
	if (!p->in_checklist)
		return;
	p->state = ICE_PAIR_WAITING; /* the 487 ended its transaction: nothing to cancel */
	queue_push(cl, p);
	revive(cl);
}

/* --- incoming checks (7.3.1.3-7.3.1.5) --- */

static bool is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr ==
		       INADDR_ANY;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return false;
}

static uint16_t port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)sa)->sin_port;
	return ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port;
}

/* The host or relayed candidate at addr; for a wildcard address (a socket
 * bound to 0.0.0.0 or ::), the best host candidate of that family and port. */
static struct ice_cand *find_local_base(struct ice_checklist *cl, const struct sockaddr *addr)
{
	struct ice_cand *best = NULL;

	for (size_t i = 0; i < cl->n_local; i++) {
		if (is_base_type(cl->local[i].type) && sa_eq(&cl->local[i].addr, addr))
			return &cl->local[i];
	}
	if (!is_wildcard(addr))
		return NULL;
	for (size_t i = 0; i < cl->n_local; i++) {
		struct ice_cand *c = &cl->local[i];
		const struct sockaddr *ca = (const void *)&c->addr;

		if (c->type == ICE_HOST && ca->sa_family == addr->sa_family &&
		    port_of(ca) == port_of(addr) && (!best || c->priority > best->priority))
			best = c;
	}
	return best;
}

/* The valid pair a pair stands for: the one its check produced, or itself. */
static struct ice_pair *valid_of(struct ice_pair *p)
{
	if (p->valid_pair && p->valid_pair->valid)
		return p->valid_pair;
	return p->valid ? p : NULL;
}

int ice_cl_incoming_check(struct ice_checklist *cl, const struct sockaddr *local,
			  const struct sockaddr *src, uint32_t priority, bool use_candidate,
			  struct ice_pair **pair)
{
	struct ice_cand *l, *r;
	struct ice_pair *p, *vp;
	bool done;

	if (pair)
		*pair = NULL;
	if (!local || !src || !ice_sa_len(src) || priority < 1 || priority > INT32_MAX)
		return -EINVAL;
	l = find_local_base(cl, local);
	if (!l)
		return -ENOENT;
	r = find_remote(cl, src, l->component);
	if (!r)
		r = add_learned_remote(cl, src, l->component, priority);
	if (!r)
		return -ENOSPC;
	p = find_pair(cl, l, r);
	done = comp_nominated(cl, l->component); /* 8.1.2: no more checks there */
	if (!p && !done) {
		p = new_pair(cl, l, r, true, ICE_PAIR_WAITING);
		if (!p)
			return -ENOSPC;
		trigger(cl, p);
	} else if (p && !done && p->in_checklist && p->state != ICE_PAIR_SUCCEEDED) {
		trigger(cl, p);
	}
	if (p && use_candidate && !cl->controlling) {
		vp = valid_of(p);
		if (p->state == ICE_PAIR_SUCCEEDED && vp)
			nominate_valid(cl, vp);
		else if (!done)
			p->use_candidate = true;
	}
	if (pair)
		*pair = p;
	update_state(cl);
	return 0;
}

/* --- roles and nomination --- */

void ice_cl_set_role(struct ice_checklist *cl, bool controlling)
{
	cl->controlling = controlling;
	for (size_t i = 0; i < cl->n_pairs; i++) {
		cl->pairs[i].use_candidate = false; /* nominations belong to a role */
		refresh_pair(cl, &cl->pairs[i]);
	}
}

enum ice_role_action ice_role_conflict(bool controlling, uint64_t tiebreaker, bool req_controlling,
				       bool req_controlled, uint64_t req_tiebreaker)
{
	if (controlling && req_controlling)
		return tiebreaker >= req_tiebreaker ? ICE_ROLE_487 : ICE_ROLE_SWITCH;
	if (!controlling && req_controlled)
		return tiebreaker >= req_tiebreaker ? ICE_ROLE_SWITCH : ICE_ROLE_487;
	return ICE_ROLE_KEEP;
}

static bool comp_nominating(const struct ice_checklist *cl, unsigned c)
{
	for (size_t i = 0; i < cl->n_pairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];

		if (p->component == c && p->use_candidate && pending(p))
			return true;
	}
	return false;
}

static struct ice_pair *best_valid(struct ice_checklist *cl, unsigned c)
{
	struct ice_pair *best = NULL;

	for (size_t i = 0; i < cl->n_pairs; i++) {
		struct ice_pair *p = &cl->pairs[i];

		if (p->component == c && p->valid && (!best || p->priority > best->priority))
			best = p;
	}
	return best;
}

static bool better_pending(const struct ice_checklist *cl, unsigned c, uint64_t priority)
{
	for (size_t i = 0; i < cl->n_pairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];

		if (p->component == c && pending(p) && p->priority > priority)
			return true;
	}
	return false;
}

unsigned ice_cl_nominate(struct ice_checklist *cl, bool force)
{
	unsigned started = 0;

	if (!cl->controlling || !cl->started || cl->state != ICE_CL_RUNNING)
		return 0;
	for (unsigned c = 1; c <= cl->n_components; c++) {
		struct ice_pair *vp, *g;

		if (comp_nominated(cl, c) || comp_nominating(cl, c))
			continue;
		vp = best_valid(cl, c);
		if (!vp)
			continue;
		g = vp->generator ? vp->generator : vp;
		if (!g->in_checklist || (!force && better_pending(cl, c, g->priority)))
			continue;
		g->use_candidate = true;
		trigger(cl, g);
		started++;
	}
	return started;
}

struct ice_pair *ice_cl_selected(const struct ice_checklist *cl, unsigned component)
{
	struct ice_pair *best = NULL;

	for (size_t i = 0; i < cl->n_pairs; i++) {
		struct ice_pair *p = &cl->pairs[i];

		if (p->component == component && p->valid && p->nominated &&
		    (!best || p->priority > best->priority))
			best = p;
	}
	return best;
}

unsigned ice_cl_rto_ms(const struct ice_checklist *cl, unsigned ta_ms)
{
	uint64_t n = 0, rto;

	for (size_t i = 0; i < cl->n_pairs; i++) {
		const struct ice_pair *p = &cl->pairs[i];

		n += p->in_checklist &&
		     (p->state == ICE_PAIR_WAITING || p->state == ICE_PAIR_IN_PROGRESS);
	}
	rto = (uint64_t)ta_ms * n;
	return rto < 500 ? 500 : rto > 60000 ? 60000 : (unsigned)rto;
}

/* --- text --- */

struct out {
	char *buf;
	size_t len, used;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->used < o->len ? o->buf + o->used : NULL,
		      o->used < o->len ? o->len - o->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static void dump_pair(struct out *o, const struct ice_pair *p)
{
	char l[64], r[64];

	put(o, "  #%u c%u %-11s %20" PRIu64 " %s %s -> %s %s fnd %s", p->id, p->component,
	    ice_pair_state_name(p->state), p->priority, ice_cand_type_name(p->local->type),
	    ice_sa_str((const void *)&p->local->addr, l, sizeof(l)),
	    ice_cand_type_name(p->remote->type),
	    ice_sa_str((const void *)&p->remote->addr, r, sizeof(r)), p->foundation);
	put(o, "%s%s%s%s%s", p->in_checklist ? "" : " off-list", p->valid ? " valid" : "",
	    p->nominated ? " nominated" : "", p->use_candidate ? " use-candidate" : "",
	    p->queued ? " queued" : "");
	if (p->valid_pair && p->valid_pair != p)
		put(o, " valid-pair #%u", p->valid_pair->id);
	put(o, "\n");
}

size_t ice_cl_dump(const struct ice_checklist *cl, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	struct ice_pair **order = calloc(cl->n_pairs + 1, sizeof(*order));

	if (len)
		buf[0] = 0;
	put(&o, "checklist %s, %s, %u component(s), %zu pair(s), pruned %zu, discarded %zu\n",
	    ice_cl_state_name(cl->state), cl->controlling ? "controlling" : "controlled",
	    cl->n_components, cl->n_pairs, cl->pruned, cl->discarded);
	if (!order)
		return o.used;
	for (size_t i = 0; i < cl->n_pairs; i++)
		order[i] = &cl->pairs[i];
	qsort(order, cl->n_pairs, sizeof(*order), by_priority);
	for (size_t i = 0; i < cl->n_pairs; i++)
		dump_pair(&o, order[i]);
	free(order);
	return o.used;
}
