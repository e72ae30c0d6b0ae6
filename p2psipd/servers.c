/* STUN/TURN servers through the overlay: announcing ours (--stun, --turn) under the well-known
 * key once joined, and in ice mode finding the announced ones for the link's ICE agents. Not
 * hip mode's handing to hipd (hip_servers.c), not the `servers` control command. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/p2pp/p2pp_msg.h"
#include "p2psipd/p2psipd_ctl.h"

#define SERVERS_LIFETIME 3600 /* s, of an announcement; its publisher refreshes it */

/* ---- announcing ours ---- */

int p2psipd_publish_servers(struct p2psipd *d)
{
	struct chord_id key;

	if (d->srv_published || d->n_srv == 0)
		return 0;
	if (ovl_get_state(d->node) != OVL_JOINED)
		return -EAGAIN;
	if (srvann_key(&key))
		return -EIO;
	for (unsigned i = 0; i < d->n_srv; i++) {
		uint8_t buf[SRVANN_MAX];
		size_t len;
		uint8_t ct = d->srv[i].kind == SRVANN_STUN ? P2PP_CT_STUN : P2PP_CT_TURN;
		if (srvann_encode(&d->srv[i], buf, sizeof(buf), &len) == 0)
			ovl_put(d->node, &key, ct, buf, len, SERVERS_LIFETIME, true, NULL, NULL);
	}
	d->srv_published = true;
	return 0;
}

/* ---- finding them (ice mode) ---- */

struct discovery {
	struct p2psipd *d;
	unsigned done;
	bool failed; /* a lookup did not get an answer (not even 404) */
	struct sockaddr_storage stun, turn;
};

static void srvann_sa(const struct srvann *a, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (a->ip_version == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, a->ip, 4);
		s->sin_port = htons(a->port);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a->ip, 16);
		s->sin6_port = htons(a->port);
	}
}

static void on_discovered(void *arg, const struct ovl_result *r)
{
	struct discovery *x = arg;
	struct p2psipd *d = x->d;
	char s1[80], s2[80];
	bool more;

	x->failed |= r->err && r->err != -ENOENT;
	for (unsigned i = 0; !r->err && i < r->n_values; i++) {
		struct srvann a;
		if (srvann_parse(r->values[i].p, r->values[i].len, &a))
			continue;
		if (a.kind == SRVANN_STUN && !x->stun.ss_family)
			srvann_sa(&a, &x->stun);
		if (a.kind == SRVANN_TURN && !x->turn.ss_family)
			srvann_sa(&a, &x->turn);
	}
	if (++x->done < 2)
		return;
	d->srv_discovering = false;
	/* none announced (yet), every lookup answered: host candidates it is */
	if (!x->stun.ss_family && !x->turn.ss_family && !x->failed)
		link_await_servers(ovl_link(d->node), 0);
	more = (!d->found_stun.ss_family && x->stun.ss_family) ||
	       (!d->found_turn.ss_family && x->turn.ss_family);
	if (!d->found_stun.ss_family)
		d->found_stun = x->stun;
	if (!d->found_turn.ss_family)
		d->found_turn = x->turn;
	free(x);
	if (d->found_stun.ss_family && !d->found_turn.ss_family)
		d->srv_next_ms = uv_now(d->loop) + P2PSIPD_SERVERS_AGAIN_MS;
	if (!more)
		return;
	link_set_servers(ovl_link(d->node), &d->found_stun, &d->found_turn, d->turn_user,
			 d->turn_pass);
	log_info("STUN %s, TURN %s found under p2psip:stun-turn",
		 d->found_stun.ss_family ? link_addr_str((struct sockaddr *)&d->found_stun, s1, 80)
					 : "-",
		 d->found_turn.ss_family ? link_addr_str((struct sockaddr *)&d->found_turn, s2, 80)
					 : "-");
}

int p2psipd_discover_servers(struct p2psipd *d)
{
	bool found = d->found_stun.ss_family || d->found_turn.ss_family;
	struct discovery *x;
	struct chord_id key;

	/* configured servers, or both found; a STUN server alone: TURN looked for again */
	if (link_has_servers(ovl_link(d->node)) && (!found || d->found_turn.ss_family))
		return 0;
	if (d->srv_discovering || ovl_get_state(d->node) != OVL_JOINED || srvann_key(&key) ||
	    uv_now(d->loop) < d->srv_next_ms)
		return -EAGAIN;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -EAGAIN;
	x->d = d;
	if (ovl_get(d->node, &key, P2PP_CT_STUN, on_discovered, x)) {
		free(x);
		return -EAGAIN;
	}
	if (ovl_get(d->node, &key, P2PP_CT_TURN, on_discovered, x))
		x->done++;
	d->srv_discovering = true;
	return -EAGAIN;
}
