/* hipd's data plane: what hipd calls when associations change. Two backends
 * sit behind it (userspace.c: hit0 + ESP in hipd; kernel.c: XFRM BEET SAs),
 * chosen once at start-up (dataplane.c); nothing else asks which one runs. */
#ifndef HIPSIP_DATAPLANE_H
#define HIPSIP_DATAPLANE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct hipd;
struct hip_ha;

enum dataplane_mode {
	DATAPLANE_NONE,	     /* control plane only */
	DATAPLANE_AUTO,	     /* kernel if it accepts an ESP SA, else userspace */
	DATAPLANE_KERNEL,    /* XFRM BEET SAs (kernel-xfrm/) */
	DATAPLANE_USERSPACE, /* hit0 + ESP in hipd */
};

/* "none", "auto", "kernel", "userspace" -> mode: 0, or -EINVAL. */
int dataplane_mode_parse(const char *s, enum dataplane_mode *mode);
const char *dataplane_mode_name(enum dataplane_mode mode);

struct dataplane_counters {
	uint64_t tun_in;       /* packets read from hit0 */
	uint64_t no_sa;	       /* ... with no association and none could start: dropped */
	uint64_t held;	       /* ... held while a base exchange ran */
	uint64_t held_sent;    /* held packets sent once the SAs were there */
	uint64_t held_dropped; /* held packets dropped: queue full, or the BEX failed */
	uint64_t bad_inner;    /* ... not between our HIT/LSI and a peer's */
	uint64_t esp_out;      /* ESP packets sent */
	uint64_t esp_in;       /* ESP packets accepted and written to hit0 */
	uint64_t esp_dropped;  /* unknown SPI, replayed, failed integrity, malformed */
	uint64_t send_errors;
	uint64_t acquires;  /* kernel: ACQUIREs that started a base exchange */
	uint64_t expires;   /* kernel: soft EXPIREs that started a rekey */
	uint64_t sa_errors; /* kernel: SA or policy requests the kernel refused */
};

/* One backend. Each function gets the state its open() made. */
struct dataplane_backend {
	const char *name;
	int (*open)(struct hipd *h, void **state);
	void (*close)(void *state);
	void (*ha_state)(void *state, struct hip_ha *ha);
	void (*ha_rekey_in)(void *state, struct hip_ha *ha);
	void (*ha_rekey_out)(void *state, struct hip_ha *ha);
	void (*ha_drop_old)(void *state, struct hip_ha *ha);
	void (*ha_free)(void *state, struct hip_ha *ha);
	const struct dataplane_counters *(*counters)(const void *state);
	const char *(*device)(const void *state);
};

extern const struct dataplane_backend dataplane_userspace;
extern const struct dataplane_backend dataplane_kernel;

/* Chooses the backend (h->cfg.dataplane; auto probes the kernel), opens it,
 * and says which one runs and why in the log. 0 or -errno, logged. */
int dataplane_open(struct hipd *h);
/* Runs be, whatever h->cfg.dataplane says (dataplane_open's last step; tests
 * give a backend of their own). 0 or -errno, logged. */
int dataplane_open_backend(struct hipd *h, const struct dataplane_backend *be, const char *reason);
void dataplane_close(struct hipd *h);
/* Installs the SAs once keys exist (R2-SENT, ESTABLISHED), removes them when
 * the association leaves those states. Called by ha_set_state. */
void dataplane_ha_state(struct hip_ha *ha);
/* Rekeying (update.c, RFC 7402 3.3.2), first half: a new inbound SA for
 * ha->spi_in with ha->keys' inbound ESP keys, beside the old one
 * (ha->spi_in_old), which stays until the new one has carried packets for a
 * while or it times out (dataplane_ha_drop_old). Outbound is unchanged. */
void dataplane_ha_rekey_in(struct hip_ha *ha);
/* Second half: outbound traffic moves to a new SA for ha->spi_out with
 * ha->keys' outbound ESP keys; the old outbound SA goes. */
void dataplane_ha_rekey_out(struct hip_ha *ha);
/* Drops the inbound SA left over from a rekey. */
void dataplane_ha_drop_old(struct hip_ha *ha);
/* Frees the data plane's per-association state; called when ha is freed. */
void dataplane_ha_free(struct hip_ha *ha);
/* {"backend": ..., "reason": ..., counters...} for hipd's status. */
json_t *dataplane_json(const struct hipd *h);

#endif
