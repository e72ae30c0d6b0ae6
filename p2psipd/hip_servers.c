/* hip mode: STUN/TURN servers for hipd found in the overlay. Once joined, a node whose hipd
 * has no STUN server looks up the well-known key "p2psip:stun-turn" (records other peers
 * announce with --stun/--turn) and hands the first STUN and TURN server to hipd (set-stun,
 * set-turn with this node's TURN credentials). Not the announcing side (servers.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/link/hipd_client.h"
#include "p2psipd/p2pp/p2pp_msg.h"
#include "p2psipd/p2psipd_ctl.h"

/* Lookups of a TURN server, one a period, that find none before we look only every
 * P2PSIPD_SERVERS_AGAIN_MS. */
#define HS_TURN_LOOKS 5

/* "IP:PORT" or "[IP6]:PORT" of the first record of kind in r; 0 or -ENOENT. */
static int first_server(const struct ovl_result *r, uint8_t kind, char *out, size_t len)
{
	for (unsigned i = 0; !r->err && i < r->n_values; i++) {
		struct srvann a;
		char ip[INET6_ADDRSTRLEN];
		if (srvann_parse(r->values[i].p, r->values[i].len, &a) || a.kind != kind)
			continue;
		inet_ntop(a.ip_version == 4 ? AF_INET : AF_INET6, a.ip, ip, sizeof(ip));
		snprintf(out, len, a.ip_version == 4 ? "%s:%u" : "[%s]:%u", ip, a.port);
		return 0;
	}
	return -ENOENT;
}

static void on_turn(void *arg, const struct ovl_result *r)
{
	struct p2psipd *d = arg;
	char s[64];

	d->hs.busy = false;
	if (first_server(r, SRVANN_TURN, s, sizeof(s))) {
		/* A TURN server is optional: a few looks, one a period, then one every
		 * P2PSIPD_SERVERS_AGAIN_MS. A lookup during joins may miss the record (handed over
		 * between owners, or answered by a node that takes itself for the owner) or fail (a
		 * route being repaired): never give up for good; a server may also be
		 * announced later. */
		if (r->err && r->err != -ENOENT)
			return; /* no answer: again later, not counted */
		if (++d->hs.turn_looks == HS_TURN_LOOKS)
			log_info("overlay announces no TURN server (%u looks): looking again every "
				 "%u s",
				 d->hs.turn_looks, P2PSIPD_SERVERS_AGAIN_MS / 1000);
		if (d->hs.turn_looks >= HS_TURN_LOOKS)
			d->hs.next_ms = uv_now(d->loop) + P2PSIPD_SERVERS_AGAIN_MS;
		return;
	}
	d->hs.done = true;
	if (!d->turn_user[0]) {
		log_info("overlay announces TURN server %s; no --turn-user: not used", s);
		return;
	}
	log_info("overlay announces TURN server %s: handing it to hipd", s);
	hipd_client_send(d->loop, d->hs.hipd_socket,
			 json_pack("{s:s,s:s,s:s,s:s}", "cmd", "set-turn", "server", s, "user",
				   d->turn_user, "pass", d->turn_pass),
			 "set-turn", false);
}

static void on_stun(void *arg, const struct ovl_result *r)
{
	struct p2psipd *d = arg;
	char s[64];

	d->hs.busy = false;
	if (first_server(r, SRVANN_STUN, s, sizeof(s)))
		return; /* nothing announced yet: again later */
	log_info("overlay announces STUN server %s: handing it to hipd", s);
	hipd_client_send(d->loop, d->hs.hipd_socket,
			 json_pack("{s:s,s:s}", "cmd", "set-stun", "server", s), "set-stun", false);
	d->hs.step = HS_TURN;
}

static void on_nat(void *arg, json_t *reply)
{
	struct p2psipd *d = arg;
	const char *stun = json_string_value(json_object_get(reply, "stun"));

	d->hs.busy = false;
	if (!reply)
		return;
	if (stun && strcmp(stun, "none") != 0) {
		log_info("hipd has STUN server %s: no lookup", stun);
		d->hs.done = true;
		return;
	}
	d->hs.step = HS_STUN;
}

/* One step per call (from a timer), never one from inside another's callback. */
int p2psipd_hip_servers(struct p2psipd *d)
{
	struct chord_id key;
	int err = 0;

	if (d->hs.done)
		return 0;
	if (d->hs.busy || !d->node || ovl_get_state(d->node) != OVL_JOINED || srvann_key(&key))
		return -EAGAIN;
	if (uv_now(d->loop) < d->hs.next_ms)
		return -EAGAIN;
	d->hs.busy = true;
	if (d->hs.step == HS_NAT)
		err = hipd_client_ask(d->loop, d->hs.hipd_socket,
				      json_pack("{s:s}", "cmd", "get-nat"), "get-nat", on_nat, d);
	else if (d->hs.step == HS_STUN)
		err = ovl_get(d->node, &key, P2PP_CT_STUN, on_stun, d);
	else
		err = ovl_get(d->node, &key, P2PP_CT_TURN, on_turn, d);
	if (err)
		d->hs.busy = false;
	return -EAGAIN;
}
