/* The B2BUA's directory on the overlay: AOR records signed with our host identity, put with
 * refresh, looked up (the overlay verifies them), removed; a HIT's SIP address per mode.
 * Not SIP, not the overlay's routing. */
#include "p2psipd/sip/ovl_dir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/p2pp/p2pp_msg.h"
#include "p2psipd/store/aor.h"

/* The signed expiry is the binding's plus this much: the record carries wall-clock time and the
 * nodes that check it may run a little ahead (or a one-second binding cross a second boundary
 * on its way); the store drops it after the binding's lifetime all the same. */
#define OVL_DIR_SKEW_S 5

struct pending {
	b2bua_dir_done_fn done;
	b2bua_dir_found_fn found;
	void *cbarg;
	char aor[AOR_MAX + 1];
};

static void on_put(void *arg, const struct ovl_result *r)
{
	struct pending *p = arg;

	p->done(p->cbarg, r->err, r->code);
	free(p);
}

static int dir_publish(void *arg, const char *aor, uint32_t lifetime, b2bua_dir_done_fn done,
		       void *cbarg)
{
	struct ovl_dir *d = arg;
	uint8_t rec[AOR_RECORD_MAX];
	struct chord_id key;
	struct pending *p;
	size_t len = 0;
	int err;

	if (strlen(aor) > AOR_MAX)
		return -EINVAL;
	err = aor_key(aor, &key);
	if (!err)
		err = aor_sign(d->id, aor, ovl_now(d->node) + lifetime + OVL_DIR_SKEW_S, rec,
			       sizeof(rec), &len);
	if (err)
		return err;
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->done = done;
	p->cbarg = cbarg;
	err = ovl_put(d->node, &key, P2PP_CT_USER_INFO, rec, len, lifetime, true, on_put, p);
	if (err)
		free(p);
	return err;
}

static void on_removed(void *arg, const struct ovl_result *r)
{
	struct pending *p = arg;

	if (r->err && r->err != -ENOENT)
		log_info("b2bua: removing the record of %s: %s", p->aor, strerror(-r->err));
	free(p);
}

static void dir_unpublish(void *arg, const char *aor)
{
	struct ovl_dir *d = arg;
	struct chord_id key;
	struct pending *p;

	if (aor_key(aor, &key) || !(p = calloc(1, sizeof(*p))))
		return;
	snprintf(p->aor, sizeof(p->aor), "%s", aor);
	if (ovl_remove(d->node, &key, P2PP_CT_USER_INFO, on_removed, p))
		free(p);
}

static void on_got(void *arg, const struct ovl_result *r)
{
	struct pending *p = arg;
	struct aor_record rec;
	int err = r->err;

	if (!err)
		err = -ENOENT;
	/* verified by the overlay already (ovl_get): the first record whose AOR is ours */
	for (unsigned i = 0; !r->err && i < r->n_values; i++) {
		if (aor_parse(r->values[i].p, r->values[i].len, &rec) == 0 &&
		    strcmp(rec.aor, p->aor) == 0) {
			p->found(p->cbarg, 0, &rec.hit);
			free(p);
			return;
		}
	}
	p->found(p->cbarg, err, NULL);
	free(p);
}

static int dir_lookup(void *arg, const char *aor, b2bua_dir_found_fn found, void *cbarg)
{
	struct ovl_dir *d = arg;
	struct chord_id key;
	struct pending *p;
	int err;

	if (strlen(aor) > AOR_MAX || aor_key(aor, &key))
		return -EINVAL;
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->found = found;
	p->cbarg = cbarg;
	snprintf(p->aor, sizeof(p->aor), "%s", aor);
	err = ovl_get(d->node, &key, P2PP_CT_USER_INFO, on_got, p);
	if (err)
		free(p);
	return err;
}

static int dir_peer_addr(void *arg, const struct in6_addr *hit, struct sockaddr_storage *out)
{
	struct ovl_dir *d = arg;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
	struct chord_id id;
	int err;

	memset(out, 0, sizeof(*out));
	/* hip: through hit0, hipd runs the base exchange; ice: the name of the peer's ICE flow */
	if (d->mode == B2BUA_HIP || d->mode == B2BUA_ICE) {
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = *hit;
		a6->sin6_port = htons(d->peer_port);
		return 0;
	}
	chord_id_from_in6(&id, hit);
	err = link_resolve(ovl_link(d->node), &id, out);
	if (err)
		return err;
	if (out->ss_family == AF_INET6)
		a6->sin6_port = htons(d->peer_port);
	else
		((struct sockaddr_in *)out)->sin_port = htons(d->peer_port);
	return 0;
}

void ovl_dir_ops(struct ovl_dir *d, struct b2bua_dir *out)
{
	out->publish = dir_publish;
	out->unpublish = dir_unpublish;
	out->lookup = dir_lookup;
	out->peer_addr = dir_peer_addr;
	out->arg = d;
}
