/* p2psipd command line: options, the host identity, the overlay node and its control socket on
 * one libuv loop; a graceful leave on SIGINT/SIGTERM. Nothing protocol-related here. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common/ctl.h"
#include "common/hit.h"
#include "common/log.h"
#include "common/secret_file.h"
#include "common/stamp.h"
#include "ice/sock.h"
#include "p2psipd/options.h"
#include "p2psipd/p2psipd_ctl.h"
#include "p2psipd/sip/b2bua.h"
#include "p2psipd/sip/ovl_dir.h"

#define AWAIT_SERVERS_MS 4000  /* ice: new links wait this long for discovered servers */
#define LEAVE_GRACE_MS	 10000 /* longest wait for a graceful leave before exiting anyway */

_Static_assert(P2PSIPD_DEFAULT_SIP_PEER_PORT == SIP_PEER_PORT, "options.h's default");
_Static_assert(P2PSIPD_DEFAULT_MEDIA_TIMEOUT_S == B2BUA_MEDIA_TIMEOUT_S, "options.h's default");

/* ---- the identity ---- */

static int load_identity(struct p2psipd_opts *o, struct hostid **id)
{
	char path[4096];
	int err;

	if (o->identity)
		snprintf(path, sizeof(path), "%s", o->identity);
	else
		snprintf(path, sizeof(path), "%s/identity.pem", o->state_dir);
	err = access(path, F_OK) == 0 ? hostid_load(path, id) : -ENOENT;
	if (err != -ENOENT) {
		if (err)
			fprintf(stderr, "p2psipd: cannot load the identity %s: %s\n", path,
				strerror(-err));
		return err;
	}
	if (!o->identity && mkdir(o->state_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "p2psipd: cannot create %s: %s\n", o->state_dir, strerror(errno));
		return -errno;
	}
	err = hostid_generate(HOSTID_ECDSA_P256, 0, id);
	if (!err)
		err = hostid_save(*id, path);
	if (err) {
		fprintf(stderr, "p2psipd: cannot create the identity %s: %s\n", path,
			strerror(-err));
		hostid_free(*id);
		*id = NULL;
		return err;
	}
	log_info("created a new host identity (ECDSA P-256) in %s", path);
	return 0;
}

/* ---- running ---- */

struct daemon {
	struct p2psipd d;
	struct b2bua b2bua;
	struct ovl_dir dir;
	bool b2bua_open;
	uv_signal_t sigint, sigterm, sighup;
	struct p2psipd_opts *opts; /* SIGHUP reads its file again */
	uv_timer_t stop_timer, pub_timer, srv_timer;
	uv_prepare_t flush;
	bool stopping;
	int exit_code;
};

static void close_all(struct daemon *dm)
{
	if (dm->b2bua_open)
		b2bua_close(&dm->b2bua);
	dm->b2bua_open = false;
	dm->d.sip_status = NULL;
	dm->d.sip_flow_close = NULL;
	if (dm->d.node)
		ovl_close(dm->d.node);
	dm->d.node = NULL;
	if (dm->d.ctl)
		ctl_server_close(dm->d.ctl);
	dm->d.ctl = NULL;
	uv_close((uv_handle_t *)&dm->sigint, NULL);
	uv_close((uv_handle_t *)&dm->sigterm, NULL);
	uv_close((uv_handle_t *)&dm->sighup, NULL);
	uv_close((uv_handle_t *)&dm->stop_timer, NULL);
	uv_close((uv_handle_t *)&dm->pub_timer, NULL);
	uv_close((uv_handle_t *)&dm->srv_timer, NULL);
	uv_close((uv_handle_t *)&dm->flush, NULL);
}

static void on_stop_timer(uv_timer_t *t)
{
	struct daemon *dm = t->data;

	if (ovl_get_state(dm->d.node) == OVL_LEAVING)
		log_warn("leave did not finish in time; exiting anyway");
	close_all(dm);
}

static void on_sip_stopped_exit(void *arg)
{
	struct daemon *dm = arg;

	uv_timer_start(&dm->stop_timer, on_stop_timer, 0, 0);
}

/* After a leave (signal or the "leave" command): the B2BUA's calls end (b2bua_stop, bounded;
 * done already after a signal), then close from the loop, not from inside the overlay's
 * callback. */
static void stop_soon(struct p2psipd *d, int err)
{
	struct daemon *dm = (struct daemon *)d;

	if (err)
		log_warn("leave: %s", strerror(-err));
	else
		log_info("left the overlay");
	if (dm->b2bua_open && b2bua_stop(&dm->b2bua, on_sip_stopped_exit, dm) == 0)
		return;
	uv_timer_start(&dm->stop_timer, on_stop_timer, 0, 0);
}

static void on_left(void *arg, int err)
{
	stop_soon(arg, err);
}

static void leave_overlay(struct daemon *dm)
{
	log_info("leaving the overlay");
	dm->d.stop = NULL; /* the leave below reports through on_left */
	if (ovl_leave(dm->d.node, on_left, &dm->d))
		uv_timer_start(&dm->stop_timer, on_stop_timer, 0, 0);
	else
		uv_timer_start(&dm->stop_timer, on_stop_timer, LEAVE_GRACE_MS, 0);
}

/* The calls ended (or B2BUA_STOP_MS passed): the overlay next, while the B2BUA's BYEs had
 * the overlay's routes and the peers' HIP associations or ICE flows. */
static void on_sip_stopped(void *arg)
{
	leave_overlay(arg);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *dm = s->data;

	if (dm->stopping) {
		log_info("second signal: exiting now");
		uv_timer_start(&dm->stop_timer, on_stop_timer, 0, 0);
		return;
	}
	dm->stopping = true;
	log_info("signal %d: stopping", signum);
	sd_notify(0, "STOPPING=1\nSTATUS=leaving the overlay");
	if (dm->b2bua_open && b2bua_stop(&dm->b2bua, on_sip_stopped, dm) == 0)
		return;
	leave_overlay(dm);
}

static void on_sighup(uv_signal_t *s, int signum)
{
	struct daemon *dm = s->data;

	(void)signum;
	p2psipd_options_reload(dm->opts); /* the outcome is logged */
}

static void on_pub_timer(uv_timer_t *t)
{
	struct daemon *dm = t->data;
	int published = p2psipd_publish_servers(&dm->d);
	int found = p2psipd_discover_servers(&dm->d); /* ice; 0 at once in other modes */

	if (published == 0 && found == 0)
		uv_timer_stop(t);
}

static void on_srv_timer(uv_timer_t *t)
{
	struct daemon *dm = t->data;

	if (dm->d.hs.hipd_socket)
		p2psipd_hip_servers(&dm->d);
	p2psipd_hip_peers(&dm->d);
}

/* hip mode: what we announce under "p2psip:hip-peers" (with --hip-locator). */
static void hip_peers_init(struct p2psipd *d, const struct ovl_config *c)
{
	const struct sockaddr_storage *loc = &c->hip.locator;
	struct hippeer *p = &d->hp.self;

	d->hp.on = true;
	p->hit = d->id->hit;
	p->port = ntohs(((const struct sockaddr_in6 *)&c->listen)->sin6_port);
	if (loc->ss_family == AF_INET) {
		p->ip_version = 4;
		memcpy(p->ip, &((const struct sockaddr_in *)loc)->sin_addr, 4);
	} else if (loc->ss_family == AF_INET6) {
		p->ip_version = 6;
		memcpy(p->ip, &((const struct sockaddr_in6 *)loc)->sin6_addr, 16);
	}
}

/* ice: the first --stun and --turn gather our agents' candidates too. */
static void own_servers(struct daemon *dm, const struct p2psipd_opts *o)
{
	struct sockaddr_storage stun = {0}, turn = {0};
	char text[80];

	for (unsigned i = 0; i < o->n_srv; i++) {
		const struct srvann *a = &o->srv[i];
		struct sockaddr_storage *ss = a->kind == SRVANN_STUN ? &stun : &turn;
		char ip[INET6_ADDRSTRLEN];

		if (ss->ss_family)
			continue;
		inet_ntop(a->ip_version == 4 ? AF_INET : AF_INET6, a->ip, ip, sizeof(ip));
		snprintf(text, sizeof(text), a->ip_version == 4 ? "%s:%u" : "[%s]:%u", ip, a->port);
		link_addr_parse(text, ss);
	}
	if (stun.ss_family || turn.ss_family)
		link_set_servers(ovl_link(dm->d.node), &stun, &turn, o->turn_user, o->turn_pass);
	else
		link_await_servers(ovl_link(dm->d.node), AWAIT_SERVERS_MS);
}

static void on_flush(uv_prepare_t *p)
{
	(void)p;
	stamp_flush();
}

static json_t *sip_status(void *arg, const char *what)
{
	struct daemon *dm = arg;

	if (strcmp(what, "calls") == 0)
		return b2bua_calls_json(&dm->b2bua);
	if (strcmp(what, "flows") == 0)
		return b2bua_flows_json(&dm->b2bua);
	return b2bua_registrations_json(&dm->b2bua);
}

static int sip_flow_close(void *arg, const struct in6_addr *hit)
{
	struct daemon *dm = arg;

	return b2bua_flow_close(&dm->b2bua, hit);
}

/* Our address for peers: the HIT (hip), else the overlay's bound address (plain). */
static void sip_self_addr(struct daemon *dm, const struct p2psipd_opts *o,
			  struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (o->ovl.mode == LINK_HIP || o->ovl.mode == LINK_ICE) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = dm->d.id->hit;
		return;
	}
	link_local_addr(ovl_link(dm->d.node), out);
}

/* ice: the host address of the SIP flows' and media relays' sockets, as the links pick
 * theirs: the overlay's address unless a wildcard, else the first IPv4 address of an
 * interface that is up and not loopback. */
static int ice_host_addr(struct daemon *dm, struct sockaddr_storage *out)
{
	uv_interface_address_t *ifs;
	int n, err = -EADDRNOTAVAIL;

	link_local_addr(ovl_link(dm->d.node), out);
	if (out->ss_family == AF_INET &&
	    ((struct sockaddr_in *)out)->sin_addr.s_addr != htonl(INADDR_ANY)) {
		((struct sockaddr_in *)out)->sin_port = 0;
		return 0;
	}
	if (out->ss_family == AF_INET6 &&
	    !IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)out)->sin6_addr)) {
		((struct sockaddr_in6 *)out)->sin6_port = 0;
		return 0;
	}
	if (uv_interface_addresses(&ifs, &n))
		return err;
	for (int i = 0; i < n && err; i++) {
		if (ifs[i].is_internal || ifs[i].address.address4.sin_family != AF_INET)
			continue;
		memset(out, 0, sizeof(*out));
		memcpy(out, &ifs[i].address.address4, sizeof(struct sockaddr_in));
		((struct sockaddr_in *)out)->sin_port = 0;
		err = 0;
	}
	uv_free_interface_addresses(ifs, n);
	return err;
}

/* The B2BUA: local clients on --sip-listen, peers on --sip-peer-port (ice: over ICE flows;
 * the port on the loopback serves calls between two clients of ours). */
static int start_b2bua(struct daemon *dm, struct p2psipd_opts *o, uv_loop_t *loop)
{
	struct b2bua_config bc = {.loop = loop};
	struct sockaddr_storage *pl = &bc.peer_listen;
	int err;

	if (o->no_sip)
		return 0;
	bc.mode = o->ovl.mode == LINK_HIP ? B2BUA_HIP : B2BUA_PLAIN;
	if (o->ovl.mode == LINK_ICE) {
		bc.mode = B2BUA_ICE;
		bc.node = dm->d.node;
		err = ice_host_addr(dm, &bc.ice_host);
		if (err) {
			fprintf(stderr, "p2psipd: no host address for ICE: %s\n", strerror(-err));
			return err;
		}
	}
	bc.clients.addr = o->sip_addr;
	bc.clients.port = (uint16_t)o->sip_port;
	sip_self_addr(dm, o, &bc.self_addr);
	bc.self_hit = dm->d.id->hit;
	/* the peer socket: the overlay's address family, its address in plain mode */
	*pl = bc.self_addr;
	if (o->ovl.mode == LINK_HIP)
		memset(&((struct sockaddr_in6 *)pl)->sin6_addr, 0, 16);
	if (o->ovl.mode == LINK_ICE) {
		memset(pl, 0, sizeof(*pl));
		pl->ss_family = AF_INET;
		((struct sockaddr_in *)pl)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	if (pl->ss_family == AF_INET6)
		((struct sockaddr_in6 *)pl)->sin6_port = htons((uint16_t)o->sip_peer_port);
	else
		((struct sockaddr_in *)pl)->sin_port = htons((uint16_t)o->sip_peer_port);
	bc.media_min = (uint16_t)o->media_min;
	bc.media_max = (uint16_t)o->media_max;
	bc.timer_c_ms = o->timer_c_ms;
	bc.media_timeout_s = o->media_timeout_s;
	bc.tm.t1_ms = o->sip_t1_ms; /* 0: the default */
	bc.ice_ta_ms = o->ovl.ice_ta_ms;
	bc.domain = o->sip_domain;
	dm->dir.node = dm->d.node;
	dm->dir.id = dm->d.id;
	dm->dir.mode = bc.mode;
	dm->dir.peer_port = (uint16_t)o->sip_peer_port;
	ovl_dir_ops(&dm->dir, &bc.dir);
	err = b2bua_open(&dm->b2bua, &bc);
	if (err) {
		fprintf(stderr,
			"p2psipd: cannot start the SIP B2BUA on %s:%u (peers: port %u): %s\n",
			o->sip_addr, o->sip_port, o->sip_peer_port, strerror(-err));
		return err;
	}
	dm->b2bua_open = true;
	dm->d.sip_status = sip_status;
	dm->d.sip_flow_close = sip_flow_close;
	dm->d.sip_arg = dm;
	log_info("SIP: clients on %s:%u (UDP, TCP), peers on port %u", o->sip_addr,
		 b2bua_client_port(&dm->b2bua), b2bua_peer_port(&dm->b2bua));
	return 0;
}

static int start(struct daemon *dm, struct p2psipd_opts *o, uv_loop_t *loop)
{
	char hit[HIT_STRLEN];
	int err;

	dm->d.loop = loop;
	dm->d.start_ns = uv_hrtime();
	dm->d.stop = stop_soon;
	memcpy(dm->d.srv, o->srv, sizeof(o->srv));
	dm->d.n_srv = o->n_srv;
	if (o->ovl.mode == LINK_HIP)
		hip_peers_init(&dm->d, &o->ovl);
	if (o->ovl.mode == LINK_HIP && o->n_srv == 0)
		dm->d.hs.hipd_socket = o->ovl.hip.hipd_socket;
	o->ovl.loop = loop;
	o->ovl.id = dm->d.id;
	o->ovl.name = o->node;
	err = ovl_start(&o->ovl, &dm->d.node);
	if (err == -ENOSYS) {
		fprintf(stderr, "p2psipd: --connection-mode %s is not implemented\n",
			link_mode_name(o->ovl.mode));
		return err;
	}
	if (err) {
		fprintf(stderr, "p2psipd: cannot start the overlay node: %s\n", strerror(-err));
		return err;
	}
	if (o->ovl.mode == LINK_ICE)
		own_servers(dm, o);
	memcpy(dm->d.turn_user, o->turn_user, sizeof(o->turn_user));
	memcpy(dm->d.turn_pass, o->turn_pass, sizeof(o->turn_pass));
	err = start_b2bua(dm, o, loop);
	if (err) {
		ovl_close(dm->d.node);
		dm->d.node = NULL;
		return err;
	}
	err = ctl_server_start(loop, o->ctl, p2psipd_ctl_handle, &dm->d, &dm->d.ctl);
	if (err) {
		fprintf(stderr, "p2psipd: cannot open the control socket %s: %s\n", o->ctl,
			strerror(-err));
		if (dm->b2bua_open)
			b2bua_close(&dm->b2bua);
		dm->b2bua_open = false;
		ovl_close(dm->d.node);
		dm->d.node = NULL;
		return err;
	}
	log_info("node %s (%s mode), %s", hit_to_str(&dm->d.id->hit, hit),
		 link_mode_name(o->ovl.mode),
		 o->ovl.has_bootstrap ? "joining through the bootstrap peer" : "new overlay");
	return 0;
}

static void handles_init(struct daemon *dm, uv_loop_t *loop)
{
	uv_signal_init(loop, &dm->sigint);
	uv_signal_init(loop, &dm->sigterm);
	uv_timer_init(loop, &dm->stop_timer);
	uv_timer_init(loop, &dm->pub_timer);
	uv_timer_init(loop, &dm->srv_timer);
	dm->srv_timer.data = dm;
	uv_prepare_init(loop, &dm->flush);
	dm->sigint.data = dm->sigterm.data = dm->stop_timer.data = dm->pub_timer.data = dm;
	uv_signal_start(&dm->sigint, on_signal, SIGINT);
	uv_signal_start(&dm->sigterm, on_signal, SIGTERM);
	uv_signal_init(loop, &dm->sighup);
	dm->sighup.data = dm;
	uv_signal_start(&dm->sighup, on_sighup, SIGHUP);
	uv_prepare_start(&dm->flush, on_flush);
	if (dm->d.n_srv || link_mode_of(ovl_link(dm->d.node)) == LINK_ICE)
		uv_timer_start(&dm->pub_timer, on_pub_timer, 200, 250);
	if (dm->d.hs.hipd_socket || dm->d.hp.on)
		uv_timer_start(&dm->srv_timer, on_srv_timer, 500, 1000);
}

int main(int argc, char **argv)
{
	static struct p2psipd_opts o;
	struct daemon dm = {.opts = &o};
	struct hostid *id = NULL;
	uv_loop_t loop;

	int rc = p2psipd_options_init(&o, argc, argv);
	if (rc) {
		p2psipd_options_free(&o);
		return rc > 0 ? 0 : 2;
	}
	log_init("p2psipd", o.level, false);
	signal(SIGPIPE, SIG_IGN);
	if (load_identity(&o, &id))
		return 1;
	if (stamp_open(o.stamp, o.node ? o.node : "p2psipd")) {
		fprintf(stderr, "p2psipd: cannot open the stamp file %s\n", o.stamp);
		hostid_free(id);
		return 1;
	}
	uv_loop_init(&loop);
	dm.d.id = id;
	if (start(&dm, &o, &loop)) {
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		hostid_free(id);
		stamp_close();
		return 1;
	}
	handles_init(&dm, &loop);
	sd_notifyf(0, "READY=1\nSTATUS=serving: control %s", o.ctl);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	hostid_free(id);
	stamp_flush();
	stamp_close();
	p2psipd_options_free(&o);
	return 0;
}
