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
#include "p2psipd/p2psipd_ctl.h"
#include "p2psipd/sip/b2bua.h"
#include "p2psipd/sip/ovl_dir.h"

#define DEFAULT_LISTEN	   "0.0.0.0:6084"
#define DEFAULT_LISTEN_HIP "[::]:6084"
#define DEFAULT_STATE_DIR  "/var/lib/p2psipd"
#define AWAIT_SERVERS_MS   4000	 /* ice: new links wait this long for discovered servers */
#define LEAVE_GRACE_MS	   10000 /* longest wait for a graceful leave before exiting anyway */
#define DEFAULT_SIP_LISTEN "127.0.0.1:5060"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: p2psipd [OPTIONS]\n"
	    "P2PSIP overlay daemon: a Chord node speaking P2PP (draft-baset-p2psip-p2pp-01)\n"
	    "over UDP. Runs in the foreground; SIGINT/SIGTERM end the calls (BYE, CANCEL; 2 s\n"
	    "at most) and leave the overlay gracefully.\n\n"
	    "  --listen ADDR:PORT     UDP address for P2PP (default " DEFAULT_LISTEN ", hip mode\n"
	    "                         " DEFAULT_LISTEN_HIP "; 6084 is the port IANA gave RELOAD,\n"
	    "                         P2PP's successor in the P2PSIP WG)\n"
	    "  --bootstrap ADDR:PORT  join the overlay through this peer; without it this node\n"
	    "                         creates a new overlay. hip mode: HIT@LOCATOR[:PORT] (IPv6\n"
	    "                         locator with a port: HIT@[ADDR]:PORT): hipd learns that\n"
	    "                         HIT's locator, P2PP goes to [HIT]:PORT (default: our port)\n"
	    "  --connection-mode M    plain (P2PP over UDP to the peers' addresses), hip (P2PP\n"
	    "                         to the peers' HITs through hipd, whose HIP BONE routing\n"
	    "                         gets the neighbour set) or ice (an ICE agent and socket per\n"
	    "                         link, set up by a Connect through the overlay; the\n"
	    "                         bootstrap link stays plain)\n"
	    "  --hipd-socket PATH     hip mode: hipd's control socket (default $" CTL_SOCKET_ENV
	    " or\n"
	    "                         " CTL_DEFAULT_SOCKET ")\n"
	    "  --hip-locator ADDR     hip mode: announce this IP address of our hipd in our\n"
	    "                         Peer-Info, for peers to start base exchanges directly\n"
	    "                         (a public address; behind a NAT leave it out: HIP BONE)\n"
	    "  --overlay-name NAME    hip mode: the overlay name hipd puts in OVERLAY_ID\n"
	    "                         (default " OVL_OVERLAY_ID ")\n"
	    "  --state-dir DIR        default " DEFAULT_STATE_DIR "\n"
	    "  --identity FILE        host identity (PEM, 0600; node ID = its HIT); created if\n"
	    "                         missing (default STATE-DIR/identity.pem). hip mode: hipd's\n"
	    "                         key file (HIPD-STATE-DIR/hi-ecdsa-p256.pem): the node ID\n"
	    "                         must be hipd's default HIT, checked at start\n"
	    "  --ctl PATH             control socket (default " P2PSIPD_CTL_DEFAULT ")\n"
	    "  --stun ADDR:PORT       announce a STUN server in the overlay (p2psip:stun-turn)\n"
	    "  --turn ADDR:PORT       announce a TURN server (may be repeated, 4 at most)\n"
	    "                         ice: the first --stun/--turn also gather our candidates;\n"
	    "                         without them a joined node looks up p2psip:stun-turn\n"
	    "  --turn-user USER       TURN long-term credential user, for --turn and for TURN\n"
	    "                         servers found in the overlay (ice: our agents; hip:\n"
	    "                         handed to hipd when it has no STUN server of its own)\n"
	    "  --turn-pass-file F     file whose first line is the TURN password\n"
	    "  --stabilize-ms N       stabilisation and keep-alive period (default 1000)\n"
	    "  --fix-ms N             one finger refreshed every N ms (default 500)\n"
	    "  --p2pp-t0-ms N         first retransmission (default 500)\n"
	    "  --p2pp-t2-ms N         give up without an ACK: the failure detector (default 5000)\n"
	    "  --p2pp-t3-ms N         wait for a response after the ACK (default 3 x T2)\n"
	    "  --successors N         successor list length, 4..16 (default 8)\n"
	    "  --replicas K           replicas on the K successors (default 4)\n"
	    "  --max-records N        records stored at most (default 4096)\n"
	    "  --sip-listen ADDR:PORT local SIP clients, UDP and TCP (default " DEFAULT_SIP_LISTEN
	    ")\n"
	    "  --sip-peer-port N      SIP between p2psipd instances, UDP (default 5062)\n"
	    "  --media-ports MIN-MAX  RTP/RTCP relay ports (default 20000-20999)\n"
	    "  --media-timeout-s N    end a call (BYE both ways) whose relay forwarded no RTP or\n"
	    "                         RTCP in one direction for N s, unless its SDP says\n"
	    "                         a=inactive (default 60, as rtpengine's --timeout and\n"
	    "                         Asterisk's rtptimeout: a call whose BYE was lost would\n"
	    "                         keep its relay forever; 0: off)\n"
	    "  --sip-domain DOMAIN    accept REGISTER for this domain only (default: any)\n"
	    "  --sip-timer-c-ms N     cancel an INVITE unanswered this long (default 180000)\n"
	    "  --sip-t1-ms N          SIP timer T1, the RTT estimate (RFC 3261 17.1.1.1; default\n"
	    "                         500); timers A, B, E, F, G, H, J follow it\n"
	    "  --no-sip               run no B2BUA\n"
	    "  --stamp FILE           append event stamps (JSON lines) to FILE\n"
	    "  --node NAME            name in logs and stamps (default the HIT)\n"
	    "  --log-level L          error, warning, info (default) or debug\n"
	    "  -h, --help             this help\n"
	    "  -V, --version          print the version\n"
	    "\nExit status: 0 after a clean stop, 1 on a start-up error, 2 for a bad option.\n");
}

enum {
	OPT_LISTEN = 256,
	OPT_BOOTSTRAP,
	OPT_MODE,
	OPT_STATE_DIR,
	OPT_IDENTITY,
	OPT_CTL,
	OPT_STUN,
	OPT_TURN,
	OPT_STAB,
	OPT_FIX,
	OPT_T0,
	OPT_T2,
	OPT_T3,
	OPT_SUCC,
	OPT_REPLICAS,
	OPT_MAX_RECORDS,
	OPT_STAMP,
	OPT_NODE,
	OPT_LOG_LEVEL,
	OPT_HIPD_SOCKET,
	OPT_HIP_LOCATOR,
	OPT_OVERLAY_NAME,
	OPT_TURN_USER,
	OPT_TURN_PASS_FILE,
	OPT_SIP_LISTEN,
	OPT_SIP_PEER_PORT,
	OPT_MEDIA_PORTS,
	OPT_SIP_DOMAIN,
	OPT_SIP_TIMER_C,
	OPT_SIP_T1,
	OPT_NO_SIP,
	OPT_MEDIA_TIMEOUT,
};

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
    {"connection-mode", required_argument, NULL, OPT_MODE},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"identity", required_argument, NULL, OPT_IDENTITY},
    {"ctl", required_argument, NULL, OPT_CTL},
    {"stun", required_argument, NULL, OPT_STUN},
    {"turn", required_argument, NULL, OPT_TURN},
    {"stabilize-ms", required_argument, NULL, OPT_STAB},
    {"fix-ms", required_argument, NULL, OPT_FIX},
    {"p2pp-t0-ms", required_argument, NULL, OPT_T0},
    {"p2pp-t2-ms", required_argument, NULL, OPT_T2},
    {"p2pp-t3-ms", required_argument, NULL, OPT_T3},
    {"successors", required_argument, NULL, OPT_SUCC},
    {"replicas", required_argument, NULL, OPT_REPLICAS},
    {"max-records", required_argument, NULL, OPT_MAX_RECORDS},
    {"stamp", required_argument, NULL, OPT_STAMP},
    {"node", required_argument, NULL, OPT_NODE},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"hipd-socket", required_argument, NULL, OPT_HIPD_SOCKET},
    {"hip-locator", required_argument, NULL, OPT_HIP_LOCATOR},
    {"overlay-name", required_argument, NULL, OPT_OVERLAY_NAME},
    {"turn-user", required_argument, NULL, OPT_TURN_USER},
    {"turn-pass-file", required_argument, NULL, OPT_TURN_PASS_FILE},
    {"sip-listen", required_argument, NULL, OPT_SIP_LISTEN},
    {"sip-peer-port", required_argument, NULL, OPT_SIP_PEER_PORT},
    {"media-ports", required_argument, NULL, OPT_MEDIA_PORTS},
    {"sip-domain", required_argument, NULL, OPT_SIP_DOMAIN},
    {"sip-timer-c-ms", required_argument, NULL, OPT_SIP_TIMER_C},
    {"sip-t1-ms", required_argument, NULL, OPT_SIP_T1},
    {"no-sip", no_argument, NULL, OPT_NO_SIP},
    {"media-timeout-s", required_argument, NULL, OPT_MEDIA_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

struct opts {
	struct ovl_config ovl;
	const char *state_dir, *identity, *ctl, *stamp, *node;
	enum log_level level;
	struct srvann srv[P2PSIPD_MAX_SRV];
	unsigned n_srv;
	const char *bootstrap; /* parsed once the mode and the port are known */
	char turn_user[128], turn_pass[256];
	bool listen_set;
	/* the B2BUA */
	bool no_sip;
	char sip_addr[INET6_ADDRSTRLEN];
	unsigned sip_port, sip_peer_port, media_min, media_max, timer_c_ms, sip_t1_ms;
	unsigned media_timeout_s;
	const char *sip_domain;
};

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "p2psipd: --%s \"%s\" %s\n", opt, val, why);
	return -EINVAL;
}

static int parse_uint(const char *opt, const char *s, unsigned long min, unsigned long max,
		      unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || *s < '0' || *s > '9' || v < min || v > max) {
		char why[64];
		snprintf(why, sizeof(why), "is not a number from %lu to %lu", min, max);
		return bad(opt, s, why);
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_addr(const char *opt, const char *s, struct sockaddr_storage *out)
{
	if (link_addr_parse(s, out))
		return bad(opt, s, "is not ADDR:PORT (IPv4) or [ADDR]:PORT (IPv6)");
	return 0;
}

static int parse_server(const char *opt, const char *s, uint8_t kind, struct opts *o)
{
	struct sockaddr_storage ss;
	struct srvann *a;

	if (o->n_srv == P2PSIPD_MAX_SRV)
		return bad(opt, s, "is one server too many (4 at most)");
	if (parse_addr(opt, s, &ss))
		return -EINVAL;
	a = &o->srv[o->n_srv++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		a->ip_version = 4;
		memcpy(a->ip, &s4->sin_addr, 4);
		a->port = ntohs(s4->sin_port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		a->ip_version = 6;
		memcpy(a->ip, &s6->sin6_addr, 16);
		a->port = ntohs(s6->sin6_port);
	}
	if (a->port == 0)
		return bad(opt, s, "has port 0");
	return 0;
}

/* After all options: the mode's default listen address, the bootstrap in the mode's form. */
static int finish_options(struct opts *o)
{
	struct ovl_config *v = &o->ovl;
	uint16_t port;

	if (v->mode == LINK_HIP && !o->listen_set)
		link_addr_parse(DEFAULT_LISTEN_HIP, &v->listen);
	if (!v->hip.hipd_socket)
		v->hip.hipd_socket = ctl_socket_path(CTL_SOCKET_ENV, CTL_DEFAULT_SOCKET);
	if (!o->bootstrap)
		return 0;
	v->has_bootstrap = true;
	if (v->mode != LINK_HIP || !strchr(o->bootstrap, '@'))
		return parse_addr("bootstrap", o->bootstrap, &v->bootstrap);
	port = ntohs(((struct sockaddr_in6 *)&v->listen)->sin6_port);
	if (v->listen.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&v->listen)->sin_port);
	if (link_hip_boot_parse(o->bootstrap, port ? port : 6084, &v->bootstrap, &v->hip.boot_hit,
				&v->hip.boot_locator))
		return bad("bootstrap", o->bootstrap,
			   "is not HIT@LOCATOR, HIT@LOCATOR:PORT or HIT@[LOCATOR6]:PORT");
	v->hip.has_boot = true;
	return 0;
}

/* --sip-listen: an IP literal and a port (UDP and TCP both). */
static int parse_sip_listen(const char *arg, struct opts *o)
{
	struct sockaddr_storage ss;
	char ip[INET6_ADDRSTRLEN];

	if (parse_addr("sip-listen", arg, &ss))
		return -EINVAL;
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip));
		o->sip_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
		o->sip_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	snprintf(o->sip_addr, sizeof(o->sip_addr), "%s", ip);
	return 0;
}

static int parse_media_ports(const char *arg, struct opts *o)
{
	unsigned lo, hi;
	char tail;

	if (sscanf(arg, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1024 || hi > 65535 || lo % 2 ||
	    hi < lo + 1)
		return bad("media-ports", arg,
			   "is not MIN-MAX with an even MIN from 1024 and MAX > MIN, up to 65535");
	o->media_min = lo;
	o->media_max = hi;
	return 0;
}

static int parse_one(int c, const char *arg, struct opts *o)
{
	struct ovl_config *v = &o->ovl;
	enum link_mode m;

	switch (c) {
	case OPT_LISTEN:
		o->listen_set = true;
		return parse_addr("listen", arg, &v->listen);
	case OPT_BOOTSTRAP:
		o->bootstrap = arg;
		return 0;
	case OPT_HIPD_SOCKET:
		v->hip.hipd_socket = arg;
		return 0;
	case OPT_HIP_LOCATOR:
		if (ice_sa_parse_ip(arg, &v->hip.locator))
			return bad("hip-locator", arg, "is not an IPv4 or IPv6 address");
		return 0;
	case OPT_OVERLAY_NAME:
		if (!*arg || strlen(arg) > 255)
			return bad("overlay-name", arg, "is not a name of 1 to 255 octets");
		v->hip.overlay = arg;
		return 0;
	case OPT_MODE:
		if (link_mode_parse(arg, &m))
			return bad("connection-mode", arg, "is not one of plain, hip, ice");
		v->mode = m;
		return 0;
	case OPT_STATE_DIR:
		o->state_dir = arg;
		return 0;
	case OPT_IDENTITY:
		o->identity = arg;
		return 0;
	case OPT_CTL:
		o->ctl = arg;
		return 0;
	case OPT_STUN:
		return parse_server("stun", arg, SRVANN_STUN, o);
	case OPT_TURN:
		return parse_server("turn", arg, SRVANN_TURN, o);
	case OPT_STAB:
		return parse_uint("stabilize-ms", arg, 10, 600000, &v->stabilize_ms);
	case OPT_FIX:
		return parse_uint("fix-ms", arg, 5, 600000, &v->fix_ms);
	case OPT_T0:
		return parse_uint("p2pp-t0-ms", arg, 1, 60000, &v->timing.t0_ms);
	case OPT_T2:
		return parse_uint("p2pp-t2-ms", arg, 10, 600000, &v->timing.t2_ms);
	case OPT_T3:
		return parse_uint("p2pp-t3-ms", arg, 10, 600000, &v->timing.t3_ms);
	case OPT_SUCC:
		return parse_uint("successors", arg, CHORD_SUCC_MIN, CHORD_SUCC_MAX, &v->succ_len);
	case OPT_REPLICAS:
		return parse_uint("replicas", arg, 1, CHORD_SUCC_MAX, &v->replicas);
	case OPT_MAX_RECORDS: {
		unsigned n;
		int err = parse_uint("max-records", arg, 1, 1000000, &n);
		v->max_records = n;
		return err;
	}
	case OPT_STAMP:
		o->stamp = arg;
		return 0;
	case OPT_SIP_LISTEN:
		return parse_sip_listen(arg, o);
	case OPT_SIP_PEER_PORT:
		return parse_uint("sip-peer-port", arg, 1, 65535, &o->sip_peer_port);
	case OPT_MEDIA_PORTS:
		return parse_media_ports(arg, o);
	case OPT_SIP_DOMAIN:
		o->sip_domain = arg;
		return 0;
	case OPT_SIP_TIMER_C:
		return parse_uint("sip-timer-c-ms", arg, 100, 3600000, &o->timer_c_ms);
	case OPT_SIP_T1:
		return parse_uint("sip-t1-ms", arg, 10, 10000, &o->sip_t1_ms);
	case OPT_MEDIA_TIMEOUT:
		return parse_uint("media-timeout-s", arg, 0, 86400, &o->media_timeout_s);
	case OPT_NO_SIP:
		o->no_sip = true;
		return 0;
	case OPT_NODE:
		o->node = arg;
		return 0;
	case OPT_TURN_USER:
		if (strlen(arg) >= sizeof(o->turn_user))
			return bad("turn-user", arg, "is too long");
		snprintf(o->turn_user, sizeof(o->turn_user), "%s", arg);
		return 0;
	case OPT_TURN_PASS_FILE:
		return secret_file_read("p2psipd: --turn-pass-file", arg, o->turn_pass,
					sizeof(o->turn_pass));
	case OPT_LOG_LEVEL:
		if (log_level_parse(arg, &o->level))
			return bad("log-level", arg, "is not one of error, warning, info, debug");
		return 0;
	default:
		return -EINVAL;
	}
}

static int parse_options(int argc, char **argv, struct opts *o)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "hV", options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == 'V') {
			printf("p2psipd %s\n", HIPSIP_VERSION);
			exit(0);
		}
		if (c == '?') {
			if (optopt)
				fprintf(stderr, "p2psipd: option \"%s\" needs a value\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "p2psipd: unknown option \"%s\" (try --help)\n",
					argv[optind - 1]);
			return -EINVAL;
		}
		if (parse_one(c, optarg, o))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "p2psipd: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return finish_options(o);
}

/* ---- the identity ---- */

static int load_identity(struct opts *o, struct hostid **id)
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
	uv_signal_t sigint, sigterm;
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
static void own_servers(struct daemon *dm, const struct opts *o)
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
static void sip_self_addr(struct daemon *dm, const struct opts *o, struct sockaddr_storage *out)
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
static int start_b2bua(struct daemon *dm, struct opts *o, uv_loop_t *loop)
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

static int start(struct daemon *dm, struct opts *o, uv_loop_t *loop)
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
	uv_prepare_start(&dm->flush, on_flush);
	if (dm->d.n_srv || link_mode_of(ovl_link(dm->d.node)) == LINK_ICE)
		uv_timer_start(&dm->pub_timer, on_pub_timer, 200, 250);
	if (dm->d.hs.hipd_socket || dm->d.hp.on)
		uv_timer_start(&dm->srv_timer, on_srv_timer, 500, 1000);
}

int main(int argc, char **argv)
{
	struct opts o = {.state_dir = DEFAULT_STATE_DIR, .level = HLOG_INFO};
	struct daemon dm = {0};
	struct hostid *id = NULL;
	uv_loop_t loop;

	o.ctl = ctl_socket_path(P2PSIPD_CTL_ENV, P2PSIPD_CTL_DEFAULT);
	link_addr_parse(DEFAULT_LISTEN, &o.ovl.listen);
	o.ovl.mode = LINK_PLAIN;
	parse_sip_listen(DEFAULT_SIP_LISTEN, &o);
	o.sip_peer_port = SIP_PEER_PORT;
	o.media_min = 20000;
	o.media_max = 20999;
	o.media_timeout_s = B2BUA_MEDIA_TIMEOUT_S;
	if (parse_options(argc, argv, &o))
		return 2;
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
	return 0;
}
