/* p2psipd's options: one table for the command line and /etc/hipsip/p2psipd.conf, the handler
 * that applies an option from either, and SIGHUP's reload. Not the running node (main.c). */
#include "p2psipd/options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/secret_file.h"
#include "ice/sock.h"

void p2psipd_options_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: p2psipd [OPTIONS]\n"
	    "P2PSIP overlay daemon: a Chord node speaking P2PP (draft-baset-p2psip-p2pp-01)\n"
	    "over UDP. Runs in the foreground; SIGINT/SIGTERM end the calls (BYE, CANCEL; 2 s\n"
	    "at most) and leave the overlay gracefully.\n\n"
	    "  --config FILE          configuration file, keys named after these options (default\n"
	    "                         " P2PSIPD_DEFAULT_CONFIG " when it exists; see\n"
	    "                         p2psipd.conf(5)); SIGHUP reads it again\n"
	    "  --check-config         check the options and the configuration file, then exit\n"
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
	    "  --ice-ta-ms N          ice mode: pacing of the connectivity checks of every ICE\n"
	    "                         agent, overlay links, SIP flows and media (RFC 8445 14.2;\n"
	    "                         5..1000, default 50)\n"
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
	OPT_ICE_TA,
	OPT_CONFIG,
	OPT_CHECK_CONFIG,
};

#define V   CONFIG_VALUE
#define F   CONFIG_FLAG
#define RT  CONFIG_RUNTIME
#define REP CONFIG_REPEAT
#define CL  CONFIG_CMDLINE_ONLY
/* The defaults as a file would write them (main.c sets them, p2psipd_options_defaults). */
const struct config_option p2psipd_options[] = {
    {"config", OPT_CONFIG, V, CL, P2PSIPD_DEFAULT_CONFIG},
    {"check-config", OPT_CHECK_CONFIG, F, CL, ""},
    {"listen", OPT_LISTEN, V, 0, "0.0.0.0:6084"},
    {"bootstrap", OPT_BOOTSTRAP, V, 0, ""},
    {"connection-mode", OPT_MODE, V, 0, "plain"},
    {"state-dir", OPT_STATE_DIR, V, 0, "/var/lib/p2psipd"},
    {"identity", OPT_IDENTITY, V, 0, ""},
    {"ctl", OPT_CTL, V, 0, "/run/p2psipd/p2psipd.sock"},
    {"stun", OPT_STUN, V, REP, ""},
    {"turn", OPT_TURN, V, REP, ""},
    {"stabilize-ms", OPT_STAB, V, 0, "1000"},
    {"fix-ms", OPT_FIX, V, 0, "500"},
    {"p2pp-t0-ms", OPT_T0, V, 0, "500"},
    {"p2pp-t2-ms", OPT_T2, V, 0, "5000"},
    {"p2pp-t3-ms", OPT_T3, V, 0, ""},
    {"ice-ta-ms", OPT_ICE_TA, V, 0, "50"},
    {"successors", OPT_SUCC, V, 0, "8"},
    {"replicas", OPT_REPLICAS, V, 0, "4"},
    {"max-records", OPT_MAX_RECORDS, V, 0, "4096"},
    {"stamp", OPT_STAMP, V, 0, ""},
    {"node", OPT_NODE, V, 0, ""},
    {"log-level", OPT_LOG_LEVEL, V, RT, "info"},
    {"hipd-socket", OPT_HIPD_SOCKET, V, 0, "/run/hipd/hipd.sock"},
    {"hip-locator", OPT_HIP_LOCATOR, V, 0, ""},
    {"overlay-name", OPT_OVERLAY_NAME, V, 0, "hipsip"},
    {"turn-user", OPT_TURN_USER, V, 0, ""},
    {"turn-pass-file", OPT_TURN_PASS_FILE, V, 0, ""},
    {"sip-listen", OPT_SIP_LISTEN, V, 0, "127.0.0.1:5060"},
    {"sip-peer-port", OPT_SIP_PEER_PORT, V, 0, "5062"},
    {"media-ports", OPT_MEDIA_PORTS, V, 0, "20000-20999"},
    {"sip-domain", OPT_SIP_DOMAIN, V, 0, ""},
    {"sip-timer-c-ms", OPT_SIP_TIMER_C, V, 0, "180000"},
    {"sip-t1-ms", OPT_SIP_T1, V, 0, "500"},
    {"no-sip", OPT_NO_SIP, F, 0, "false"},
    {"media-timeout-s", OPT_MEDIA_TIMEOUT, V, 0, "60"},
    {"help", 'h', F, CL, ""},
    {"version", 'V', F, CL, ""},
};
const size_t p2psipd_n_options = sizeof(p2psipd_options) / sizeof(p2psipd_options[0]);
#undef V
#undef F
#undef RT
#undef REP
#undef CL

static int bad(const char *opt, const char *val, const char *why)
{
	(void)opt;
	config_why("\"%s\" %s", val, why);
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

static int parse_server(const char *opt, const char *s, uint8_t kind, struct p2psipd_opts *o)
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
int p2psipd_options_finish(struct p2psipd_opts *o)
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
static int parse_sip_listen(const char *arg, struct p2psipd_opts *o)
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

static int parse_media_ports(const char *arg, struct p2psipd_opts *o)
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

int p2psipd_option_apply(void *arg_o, int c, const char *arg)
{
	struct p2psipd_opts *o = arg_o;
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
	case OPT_ICE_TA:
		return parse_uint("ice-ta-ms", arg, 5, 1000, &v->ice_ta_ms);
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
		if (secret_file_read("p2psipd: --turn-pass-file", arg, o->turn_pass,
				     sizeof(o->turn_pass)))
			return bad("turn-pass-file", arg, "has no password to read");
		return 0;
	case OPT_LOG_LEVEL:
		if (log_level_parse(arg, &o->level))
			return bad("log-level", arg, "is not one of error, warning, info, debug");
		return 0;
	default:
		return -EINVAL;
	}
}

void p2psipd_options_defaults(struct p2psipd_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->state_dir = DEFAULT_STATE_DIR;
	o->level = HLOG_INFO;
	o->ctl = ctl_socket_path(P2PSIPD_CTL_ENV, P2PSIPD_CTL_DEFAULT);
	link_addr_parse(DEFAULT_LISTEN, &o->ovl.listen);
	o->ovl.mode = LINK_PLAIN;
	parse_sip_listen(DEFAULT_SIP_LISTEN, o);
	o->sip_peer_port = P2PSIPD_DEFAULT_SIP_PEER_PORT;
	o->media_min = 20000;
	o->media_max = 20999;
	o->media_timeout_s = P2PSIPD_DEFAULT_MEDIA_TIMEOUT_S;
}

static int finish(void *o)
{
	return p2psipd_options_finish(o);
}

static const struct options_daemon p2psipd_daemon = {
    .prog = "p2psipd",
    .opts = p2psipd_options,
    .nopts = sizeof(p2psipd_options) / sizeof(p2psipd_options[0]),
    .config_id = OPT_CONFIG,
    .check_id = OPT_CHECK_CONFIG,
    .apply = p2psipd_option_apply,
    .usage = p2psipd_options_usage,
    .check = finish,
    .sep = " ",
    .bad = "is bad",
    .own_errors = true,
};

int p2psipd_options_init(struct p2psipd_opts *o, int argc, char **argv)
{
	char err[512];
	int rc;

	p2psipd_options_defaults(o);
	rc = options_start(&p2psipd_daemon, &o->src, o, argc, argv, P2PSIPD_DEFAULT_CONFIG);
	if (rc)
		return rc;
	if (options_check(&p2psipd_daemon, o, err, sizeof(err))) {
		fprintf(stderr, "p2psipd: %s\n", err);
		return -EINVAL;
	}
	if (o->src.check_only) {
		printf("p2psipd: configuration ok (%s)\n",
		       o->src.file.path ? o->src.file.path : "no configuration file");
		return 1;
	}
	return 0;
}

void p2psipd_options_free(struct p2psipd_opts *o)
{
	options_source_free(&p2psipd_daemon, &o->src);
}

static int reload_parse(const struct p2psipd_opts *o, struct p2psipd_opts *n)
{
	char err[512];

	p2psipd_options_defaults(n);
	if (options_reread(&p2psipd_daemon, &o->src, &n->src, n, err, sizeof(err)) ||
	    options_check(&p2psipd_daemon, n, err, sizeof(err))) {
		log_err("reload rejected, nothing changed: %s", err);
		return -EINVAL;
	}
	return 0;
}

/* Appends name to a ", "-separated list in buf. */
static void add_name(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

/* What a reload changed, as the log lines say it. */
struct reload_changes {
	const struct p2psipd_opts *n;
	char applied[512], restart[512];
};

/* options_changed_fn: a new log-level takes effect, another key waits for a restart. */
static void reload_changed(void *arg, const struct config_option *opt, bool runtime)
{
	struct reload_changes *x = arg;

	if (!runtime) {
		add_name(x->restart, sizeof(x->restart), opt->name);
		return;
	}
	if (opt->id == OPT_LOG_LEVEL)
		log_set_level(x->n->level);
	add_name(x->applied, sizeof(x->applied), opt->name);
}

int p2psipd_options_reload(struct p2psipd_opts *o)
{
	struct p2psipd_opts *n = calloc(1, sizeof(*n));
	struct reload_changes x = {n, "", ""};

	if (!n)
		return -ENOMEM;
	if (reload_parse(o, n)) {
		config_file_free(&n->src.file);
		free(n);
		return -EINVAL;
	}
	options_changes(&p2psipd_daemon, &o->src, &n->src.file, reload_changed, &x);
	/* logged after the new level is in force */
	log_info("reload: %s read", o->src.config_path);
	if (x.applied[0])
		log_info("reload: applied: %s", x.applied);
	if (x.restart[0])
		log_info("reload: changed but needs a restart (old value kept): %s", x.restart);
	config_file_free(&n->src.file);
	free(n);
	return 0;
}
