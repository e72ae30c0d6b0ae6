/* Two hipd instances on one libuv loop for unit tests: start, stop, run the
 * loop until a condition holds. Not a test itself. */
#include "hipd_pair.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/dataplane/dataplane.h"

void hipd_test_config(struct hipd *h, const char *state, const char *sock, uint16_t port)
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

void pair_start(struct pair *p, uint16_t port_base)
{
	pair_start_with(p, port_base, NULL);
}

void pair_start_with(struct pair *p, uint16_t port_base,
		     void (*tweak)(struct hipd_config *cfg, int which))
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/hipsip-test-bex.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(p->dir));
	snprintf(p->path_a, sizeof(p->path_a), "%s/a", p->dir);
	snprintf(p->path_b, sizeof(p->path_b), "%s/b", p->dir);
	snprintf(p->sock_a, sizeof(p->sock_a), "%s/a.sock", p->dir);
	snprintf(p->sock_b, sizeof(p->sock_b), "%s/b.sock", p->dir);
	uv_loop_init(&p->loop);
	p->port_a = port_base;
	p->port_b = (uint16_t)(port_base + 1);
	hipd_test_config(&p->a, p->path_a, p->sock_a, p->port_a);
	hipd_test_config(&p->b, p->path_b, p->sock_b, p->port_b);
	if (tweak) {
		tweak(&p->a.cfg, 0);
		tweak(&p->b.cfg, 1);
	}
	ck_assert_int_eq(hipd_start(&p->a, &p->loop), 0);
	ck_assert_int_eq(hipd_start(&p->b, &p->loop), 0);
}

void pair_stop(struct pair *p)
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
void map_b(struct pair *p)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(p->port_b)};

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

bool run_until(struct pair *p, bool (*done)(struct pair *), uint64_t ms)
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

struct hip_ha *ha_a(struct pair *p)
{
	return hadb_find(&p->a.db, &p->a.ids[0]->hit, &p->b.ids[0]->hit);
}

struct hip_ha *ha_b(struct pair *p)
{
	return hadb_find(&p->b.db, &p->b.ids[0]->hit, &p->a.ids[0]->hit);
}

bool both_up(struct pair *p)
{
	struct hip_ha *a = ha_a(p), *b = ha_b(p);

	return a && b && a->state == HIP_STATE_ESTABLISHED &&
	       (b->state == HIP_STATE_R2_SENT || b->state == HIP_STATE_ESTABLISHED);
}
