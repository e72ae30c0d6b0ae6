/* Two hipd instances on one libuv loop talking UDP over loopback, for unit
 * tests of exchanges between them (no root, no hit0). Not a test itself. */
#ifndef HIPSIP_TEST_HIPD_PAIR_H
#define HIPSIP_TEST_HIPD_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "hipd/daemon.h"
#include "hipd/hipd.h"

struct pair {
	uv_loop_t loop;
	struct hipd a, b;
	uint16_t port_a, port_b;
	char dir[64];
	char path_a[128], path_b[128], sock_a[128], sock_b[128];
	uv_timer_t poll;
	bool (*done)(struct pair *p);
	bool finished;
};

/* The configuration every test daemon gets: ECDSA P-256, UDP only on port,
 * RTO 100 ms, no data plane. */
void hipd_test_config(struct hipd *h, const char *state, const char *sock, uint16_t port);
/* Starts a (UDP port_base) and b (port_base + 1), ECDSA P-256, RTO 100 ms. */
void pair_start(struct pair *p, uint16_t port_base);
/* The same, with each config changed by tweak(cfg, 0 for a / 1 for b) first. */
void pair_start_with(struct pair *p, uint16_t port_base,
		     void (*tweak)(struct hipd_config *cfg, int which));
void pair_stop(struct pair *p);
/* Gives a the locator of b. */
void map_b(struct pair *p);
/* Runs the loop until done() or ms elapse; returns whether done() became true. */
bool run_until(struct pair *p, bool (*done)(struct pair *), uint64_t ms);
struct hip_ha *ha_a(struct pair *p);
struct hip_ha *ha_b(struct pair *p);
/* a ESTABLISHED, b R2-SENT or ESTABLISHED */
bool both_up(struct pair *p);

#endif
