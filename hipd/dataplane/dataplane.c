/* The data plane switch: picks the backend at start-up (auto: the kernel if it
 * takes an ESP SA) and forwards hipd's calls to it. No packets, no SAs here. */
#include "hipd/dataplane/dataplane.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "hipd/hipd.h"
#include "hipd/kernel-xfrm/xfrm.h"

struct dataplane {
	const struct dataplane_backend *be;
	void *state;
	char reason[200];
};

static const char *const mode_names[] = {
    [DATAPLANE_NONE] = "none",
    [DATAPLANE_AUTO] = "auto",
    [DATAPLANE_KERNEL] = "kernel",
    [DATAPLANE_USERSPACE] = "userspace",
};

int dataplane_mode_parse(const char *s, enum dataplane_mode *mode)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*mode = (enum dataplane_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *dataplane_mode_name(enum dataplane_mode mode)
{
	return mode <= DATAPLANE_USERSPACE ? mode_names[mode] : "unknown";
}

/* Does the kernel take a BEET ESP SA? Writes the reason either way. */
static bool kernel_has_esp(const char *mode, char *reason, size_t cap)
{
	struct kx_sock s;
	char why[160] = "";
	int rc = kx_open(&s);

	if (!rc) {
		rc = kx_probe_esp(&s, why, sizeof(why));
		kx_close(&s);
	}
	if (rc == 1) {
		snprintf(reason, cap, "%s: the kernel accepts BEET-mode ESP SAs", mode);
		return true;
	}
	snprintf(reason, cap, "%s: the kernel refuses an ESP SA (%s)", mode,
		 rc < 0 ? strerror(-rc) : why);
	return false;
}

int dataplane_open(struct hipd *h)
{
	const struct dataplane_backend *be = &dataplane_userspace;
	char reason[sizeof(((struct dataplane *)0)->reason)];

	switch (h->cfg.dataplane) {
	case DATAPLANE_AUTO:
		if (kernel_has_esp("auto", reason, sizeof(reason)))
			be = &dataplane_kernel;
		break;
	case DATAPLANE_KERNEL:
		if (!kernel_has_esp("configured: kernel", reason, sizeof(reason))) {
			log_err("dataplane: %s; run with --dataplane userspace (or auto)", reason);
			return -EPROTONOSUPPORT;
		}
		be = &dataplane_kernel;
		break;
	default:
		snprintf(reason, sizeof(reason), "configured: userspace");
		break;
	}
	return dataplane_open_backend(h, be, reason);
}

int dataplane_open_backend(struct hipd *h, const struct dataplane_backend *be, const char *reason)
{
	struct dataplane *dp = calloc(1, sizeof(*dp));
	int rc;

	if (!dp)
		return -ENOMEM;
	dp->be = be;
	snprintf(dp->reason, sizeof(dp->reason), "%s", reason);
	rc = be->open(h, &dp->state);
	if (rc) {
		log_err("dataplane: the %s backend did not start (%s): %s", be->name, dp->reason,
			strerror(-rc));
		free(dp);
		return rc;
	}
	h->dp = dp;
	log_info("dataplane: %s backend (%s)", be->name, dp->reason);
	return 0;
}

void dataplane_close(struct hipd *h)
{
	struct dataplane *dp = h->dp;

	if (!dp)
		return;
	h->dp = NULL;
	dp->be->close(dp->state);
	free(dp);
}

void dataplane_ha_state(struct hip_ha *ha)
{
	struct dataplane *dp = ha->hipd ? ha->hipd->dp : NULL;

	if (dp)
		dp->be->ha_state(dp->state, ha);
}

void dataplane_ha_rekey_in(struct hip_ha *ha)
{
	struct dataplane *dp = ha->hipd ? ha->hipd->dp : NULL;

	if (dp)
		dp->be->ha_rekey_in(dp->state, ha);
}

void dataplane_ha_rekey_out(struct hip_ha *ha)
{
	struct dataplane *dp = ha->hipd ? ha->hipd->dp : NULL;

	if (dp)
		dp->be->ha_rekey_out(dp->state, ha);
}

void dataplane_ha_drop_old(struct hip_ha *ha)
{
	struct dataplane *dp = ha->hipd ? ha->hipd->dp : NULL;

	if (dp)
		dp->be->ha_drop_old(dp->state, ha);
}

void dataplane_ha_free(struct hip_ha *ha)
{
	struct dataplane *dp = ha->hipd ? ha->hipd->dp : NULL;

	if (dp)
		dp->be->ha_free(dp->state, ha);
}

json_t *dataplane_json(const struct hipd *h)
{
	const struct dataplane *dp = h->dp;

	if (!dp)
		return json_pack("{s:s,s:s}", "backend", "none", "reason",
				 "configured: none (control plane only)");
	const struct dataplane_counters *c = dp->be->counters(dp->state);
	json_t *o = json_pack("{s:s,s:s,s:s}", "backend", dp->be->name, "reason", dp->reason,
			      "device", dp->be->device(dp->state));
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
	    {"tun_in", c->tun_in},
	    {"no_sa", c->no_sa},
	    {"held", c->held},
	    {"held_sent", c->held_sent},
	    {"held_dropped", c->held_dropped},
	    {"bad_inner", c->bad_inner},
	    {"esp_out", c->esp_out},
	    {"esp_in", c->esp_in},
	    {"esp_dropped", c->esp_dropped},
	    {"send_errors", c->send_errors},
	    {"acquires", c->acquires},
	    {"expires", c->expires},
	    {"sa_errors", c->sa_errors},
	};
	for (size_t i = 0; o && i < sizeof(rows) / sizeof(rows[0]); i++)
		json_object_set_new(o, rows[i].name, json_integer((json_int_t)rows[i].v));
	return o;
}
