/* hipd command line: parses options into struct hipd_config, then runs the
 * daemon on one libuv loop until SIGINT/SIGTERM. Nothing protocol-related here. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/stamp.h"
#include "hipd/daemon.h"
#include "hipd/keys.h"
#include "hipd/nat_options.h"
#include "hipd/privsep.h"
#include "hipd/dataplane/dataplane.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: hipd [OPTIONS]\n"
	    "Host Identity Protocol (HIPv2, RFC 7401) daemon. Runs in the foreground.\n\n"
	    "  --state-dir DIR     host identities live here (default /var/lib/hipd)\n"
	    "  --socket PATH       control socket (default /run/hipd/hipd.sock)\n"
	    "  --hi KINDS          identities, comma-separated, first is the default:\n"
	    "                      ecdsa-p256, ecdsa-p384, rsa (default ecdsa-p256,rsa)\n"
	    "  --rsa-bits N        RSA key size for new identities (default 3072)\n"
	    "  --transport T       raw (IP protocol 139) or udp (port 10500) for exchanges\n"
	    "                      this host starts (default raw)\n"
	    "  --no-raw, --no-udp  do not open the raw or the UDP sockets\n"
	    "  --udp-port N        HIP UDP port (default 10500)\n"
	    "  --puzzle-k N        puzzle difficulty offered in R1 (default 4)\n"
	    "  --puzzle-k-attack N difficulty while I1s arrive faster than\n"
	    "                      --puzzle-attack-rate per second (default 16, 1000)\n"
	    "  --puzzle-attack-rate N\n"
	    "  --dh-groups LIST    DH group IDs by preference (default 7,8,4,11)\n"
	    "  --hip-ciphers LIST  HIP_CIPHER IDs by preference (default 2,4; 1 = NULL)\n"
	    "  --esp-suites LIST   ESP_TRANSFORM suites by preference (default 13,8,9:\n"
	    "                      AES-GCM-16, AES-128-CBC and AES-256-CBC with\n"
	    "                      HMAC-SHA-256; 7 = NULL with HMAC-SHA-256)\n"
	    "  --rto-ms N          first retransmission timeout (default 500)\n"
	    "  --state-timeout-ms N  how long CLOSED and E-FAILED states are kept (default 10000)\n"
	    "  --stamps FILE       append event stamps (JSON lines) to FILE\n"
	    "  --node NAME         node name in event stamps (default hipd)\n"
	    "  --log-level L       error, warning, info (default) or debug\n"
	    "  --syslog            log to syslog/the journal instead of stderr\n"
	    "  --dataplane D       auto (default: kernel if it takes ESP SAs, else userspace),\n"
	    "                      kernel (XFRM BEET SAs), userspace (hit0 + ESP in hipd),\n"
	    "                      or none (control plane only)\n"
	    "  --rekey-seconds N   rekey ESP SAs by UPDATE after N s (default 3600, 0 = only\n"
	    "                      when sequence numbers run out)\n"
	    "  --relay-server      be a HIP relay (RFC 5770): offer RELAY_UDP_HIP in R1,\n"
	    "                      register clients, relay I1/I2 to them and R1/R2 back\n"
	    "  --relay-max-clients N  registrations kept at most (default 1024)\n"
	    "  --relay-max-lifetime S longest registration granted, seconds (default 3600)\n"
	    "  --relay-require-nat-mode  drop relayed I2s and R1s that carry no\n"
	    "                      NAT_TRAVERSAL_MODE (RFC 5770 4.5)\n"
	    "  --relay ADDR[:PORT] register with the HIP relay at ADDR (UDP PORT, default\n"
	    "                      10500; IPv6 as [ADDR]:PORT); its HIT comes from the\n"
	    "                      locator map: hipconf daemon add map RELAY-HIT ADDR\n"
	    "  --relay-lifetime S  registration lifetime to ask for (default 600)\n"
	    "  --test-faults       allow fault injection through the control socket (tests "
	    "only)\n"
	    "  --user NAME         after start-up run as NAME with only CAP_NET_ADMIN and\n"
	    "                      CAP_NET_RAW (default " PRIVSEP_DEFAULT_USER
	    " if it exists; root: stay root)\n");
	nat_options_usage(f);
	fputs("  -h, --help          this help\n"
	      "  -V, --version       print the version\n",
	      f);
}

static int parse_uint(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > max) {
		fprintf(stderr, "hipd: %s value \"%s\" is not a number from 0 to %lu\n", opt, s,
			max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_hi_kinds(const char *s, struct hipd_config *cfg)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", s);
	cfg->n_hi_kinds = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (cfg->n_hi_kinds == HIPD_MAX_IDS) {
			fprintf(stderr, "hipd: --hi lists more than %d identities\n", HIPD_MAX_IDS);
			return -EINVAL;
		}
		if (hostid_kind_parse(tok, &cfg->hi_kinds[cfg->n_hi_kinds]) < 0) {
			fprintf(
			    stderr,
			    "hipd: --hi value \"%s\" is not one of ecdsa-p256, ecdsa-p384, rsa\n",
			    tok);
			return -EINVAL;
		}
		cfg->n_hi_kinds++;
	}
	return cfg->n_hi_kinds ? 0 : -EINVAL;
}

/* Comma-separated numbers into a list, each <= max. */
static int parse_list(const char *opt, const char *s, unsigned long max, uint16_t *ids, size_t *n,
		      size_t cap)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long v;
		if (*n == cap || parse_uint(opt, tok, max, &v))
			return -EINVAL;
		ids[(*n)++] = (uint16_t)v;
	}
	return *n ? 0 : -EINVAL;
}

/* ADDR[:PORT] or [ADDR6]:PORT or ADDR6, the port defaulting to port. */
static int parse_endpoint(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	const char *ps = NULL;
	unsigned long v = 0;
	char *end;

	if (!s)
		return -EINVAL;
	snprintf(host, sizeof(host), "%s", s);
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':') || (size_t)(end - s - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(end - s - 1), s + 1);
		ps = end[1] ? end + 2 : NULL;
	} else if (colon && strchr(s, ':') == colon) { /* one colon: IPv4:PORT */
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		ps = colon + 1;
	}
	if (ps) {
		errno = 0;
		v = strtoul(ps, &end, 10);
		if (errno || !*ps || *end || v == 0 || v > 65535)
			return -EINVAL;
	}
	port = ps ? (uint16_t)v : port;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

enum {
	OPT_STATE_DIR = 256,
	OPT_SOCKET,
	OPT_HI,
	OPT_RSA_BITS,
	OPT_TRANSPORT,
	OPT_NO_RAW,
	OPT_NO_UDP,
	OPT_UDP_PORT,
	OPT_PUZZLE_K,
	OPT_DH_GROUPS,
	OPT_HIP_CIPHERS,
	OPT_ESP_SUITES,
	OPT_RTO,
	OPT_STATE_TIMEOUT,
	OPT_STAMPS,
	OPT_PUZZLE_K_ATTACK,
	OPT_PUZZLE_ATTACK_RATE,
	OPT_NODE,
	OPT_LOG_LEVEL,
	OPT_SYSLOG,
	OPT_TEST_FAULTS,
	OPT_DATAPLANE,
	OPT_REKEY,
	OPT_RELAY_SERVER,
	OPT_RELAY_MAX_CLIENTS,
	OPT_RELAY_MAX_LIFETIME,
	OPT_RELAY_REQUIRE_NAT_MODE,
	OPT_RELAY,
	OPT_RELAY_LIFETIME,
	OPT_USER,
};

static const char *run_user; /* --user: NULL for the default */

static const struct option options[] = {
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"hi", required_argument, NULL, OPT_HI},
    {"rsa-bits", required_argument, NULL, OPT_RSA_BITS},
    {"transport", required_argument, NULL, OPT_TRANSPORT},
    {"no-raw", no_argument, NULL, OPT_NO_RAW},
    {"no-udp", no_argument, NULL, OPT_NO_UDP},
    {"udp-port", required_argument, NULL, OPT_UDP_PORT},
    {"puzzle-k", required_argument, NULL, OPT_PUZZLE_K},
    {"puzzle-k-attack", required_argument, NULL, OPT_PUZZLE_K_ATTACK},
    {"puzzle-attack-rate", required_argument, NULL, OPT_PUZZLE_ATTACK_RATE},
    {"dh-groups", required_argument, NULL, OPT_DH_GROUPS},
    {"hip-ciphers", required_argument, NULL, OPT_HIP_CIPHERS},
    {"esp-suites", required_argument, NULL, OPT_ESP_SUITES},
    {"rto-ms", required_argument, NULL, OPT_RTO},
    {"state-timeout-ms", required_argument, NULL, OPT_STATE_TIMEOUT},
    {"stamps", required_argument, NULL, OPT_STAMPS},
    {"node", required_argument, NULL, OPT_NODE},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"syslog", no_argument, NULL, OPT_SYSLOG},
    {"test-faults", no_argument, NULL, OPT_TEST_FAULTS},
    {"dataplane", required_argument, NULL, OPT_DATAPLANE},
    {"rekey-seconds", required_argument, NULL, OPT_REKEY},
    {"nat", required_argument, NULL, NAT_OPT_MODE},
    {"ice-ta-ms", required_argument, NULL, NAT_OPT_TA},
    {"stun", required_argument, NULL, NAT_OPT_STUN},
    {"turn", required_argument, NULL, NAT_OPT_TURN},
    {"turn-user", required_argument, NULL, NAT_OPT_TURN_USER},
    {"turn-pass-file", required_argument, NULL, NAT_OPT_TURN_PASS_FILE},
    {"ice-host-addrs", required_argument, NULL, NAT_OPT_HOST_ADDRS},
    {"ice-policy", required_argument, NULL, NAT_OPT_POLICY},
    {"relay-server", no_argument, NULL, OPT_RELAY_SERVER},
    {"relay-max-clients", required_argument, NULL, OPT_RELAY_MAX_CLIENTS},
    {"relay-max-lifetime", required_argument, NULL, OPT_RELAY_MAX_LIFETIME},
    {"relay-require-nat-mode", no_argument, NULL, OPT_RELAY_REQUIRE_NAT_MODE},
    {"relay", required_argument, NULL, OPT_RELAY},
    {"relay-lifetime", required_argument, NULL, OPT_RELAY_LIFETIME},
    {"user", required_argument, NULL, OPT_USER},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int parse_one(int c, const char *arg, struct hipd_config *cfg, enum log_level *level,
		     bool *use_syslog)
{
	unsigned long v;
	uint16_t ids[HIP_MAX_LIST];
	size_t n;

	switch (c) {
	case OPT_STATE_DIR:
		cfg->state_dir = arg;
		return 0;
	case OPT_SOCKET:
		cfg->socket_path = arg;
		return 0;
	case OPT_HI:
		return parse_hi_kinds(arg, cfg);
	case OPT_RSA_BITS:
		if (parse_uint("--rsa-bits", arg, 16384, &v))
			return -EINVAL;
		if (v < 2048) {
			fprintf(stderr, "hipd: --rsa-bits %lu is below 2048 (too weak)\n", v);
			return -EINVAL;
		}
		cfg->rsa_bits = (int)v;
		return 0;
	case OPT_TRANSPORT:
		if (strcmp(arg, "raw") && strcmp(arg, "udp")) {
			fprintf(stderr, "hipd: --transport value \"%s\" is not raw or udp\n", arg);
			return -EINVAL;
		}
		cfg->transport = strcmp(arg, "udp") ? HIP_TRANSPORT_RAW : HIP_TRANSPORT_UDP;
		return 0;
	case OPT_NO_RAW:
		cfg->raw_enabled = false;
		return 0;
	case OPT_NO_UDP:
		cfg->udp_enabled = false;
		return 0;
	case OPT_UDP_PORT:
		if (parse_uint("--udp-port", arg, 65535, &v))
			return -EINVAL;
		if (v == 0) {
			fprintf(stderr, "hipd: --udp-port must be from 1 to 65535\n");
			return -EINVAL;
		}
		cfg->udp_port = (uint16_t)v;
		return 0;
	case OPT_PUZZLE_K:
		if (parse_uint("--puzzle-k", arg, 40, &v))
			return -EINVAL;
		cfg->puzzle_k = (uint8_t)v;
		return 0;
	case OPT_PUZZLE_K_ATTACK:
		if (parse_uint("--puzzle-k-attack", arg, 40, &v))
			return -EINVAL;
		cfg->puzzle_k_attack = (uint8_t)v;
		return 0;
	case OPT_PUZZLE_ATTACK_RATE:
		if (parse_uint("--puzzle-attack-rate", arg, 1000000, &v))
			return -EINVAL;
		if (v == 0) {
			fprintf(stderr, "hipd: --puzzle-attack-rate must be at least 1\n");
			return -EINVAL;
		}
		cfg->puzzle_attack_rate = (uint32_t)v;
		return 0;
	case OPT_DH_GROUPS:
		if (parse_list("--dh-groups", arg, 255, ids, &n, HIP_MAX_LIST))
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			if (!hip_dh_supported((uint8_t)ids[i])) {
				fprintf(stderr, "hipd: --dh-groups: group %u is not supported\n",
					ids[i]);
				return -EINVAL;
			}
			cfg->dh_groups.ids[i] = (uint8_t)ids[i];
		}
		cfg->dh_groups.n = n;
		return 0;
	case OPT_ESP_SUITES:
		if (parse_list("--esp-suites", arg, 65535, ids, &n, HIP_MAX_LIST))
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			size_t enc, auth;
			if (keys_esp_suite_lens((uint16_t)ids[i], &enc, &auth)) {
				fprintf(
				    stderr,
				    "hipd: --esp-suites: ESP_TRANSFORM suite %u is not supported "
				    "(7 NULL, 8 AES-128-CBC, 9 AES-256-CBC, 12/13 AES-GCM)\n",
				    ids[i]);
				return -EINVAL;
			}
			cfg->esp_suites.ids[i] = (uint16_t)ids[i];
		}
		cfg->esp_suites.n = n;
		return 0;
	case OPT_HIP_CIPHERS:
		if (parse_list("--hip-ciphers", arg, 65535, ids, &n, HIP_MAX_LIST))
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			if (!hip_cipher_supported(ids[i])) {
				fprintf(stderr, "hipd: --hip-ciphers: cipher %u is not supported\n",
					ids[i]);
				return -EINVAL;
			}
			cfg->hip_ciphers.ids[i] = ids[i];
		}
		cfg->hip_ciphers.n = n;
		return 0;
	case OPT_RTO:
		if (parse_uint("--rto-ms", arg, 60000, &v) || v == 0)
			return -EINVAL;
		cfg->rto_initial_ms = (uint32_t)v;
		return 0;
	case OPT_STATE_TIMEOUT:
		if (parse_uint("--state-timeout-ms", arg, 3600000, &v))
			return -EINVAL;
		cfg->closed_ms = cfg->e_failed_ms = (uint32_t)v;
		return 0;
	case OPT_REKEY:
		if (parse_uint("--rekey-seconds", arg, 86400 * 365, &v))
			return -EINVAL;
		cfg->rekey_s = (uint32_t)v;
		return 0;
	case OPT_RELAY_SERVER:
		cfg->relay_server = true;
		return 0;
	case OPT_RELAY_MAX_CLIENTS:
		if (parse_uint("--relay-max-clients", arg, 1000000, &v))
			return -EINVAL;
		cfg->relay_max_clients = (uint32_t)v;
		return 0;
	case OPT_RELAY_MAX_LIFETIME:
	case OPT_RELAY_LIFETIME:
		if (parse_uint(c == OPT_RELAY_LIFETIME ? "--relay-lifetime"
						       : "--relay-max-lifetime",
			       arg, 86400 * 178, &v))
			return -EINVAL;
		if (v < 10) { /* RFC 8003 5: the minimum lifetime is 10 seconds */
			fprintf(stderr, "hipd: %s %lu is below 10 seconds (RFC 8003 5)\n",
				c == OPT_RELAY_LIFETIME ? "--relay-lifetime"
							: "--relay-max-lifetime",
				v);
			return -EINVAL;
		}
		*(c == OPT_RELAY_LIFETIME ? &cfg->relay_lifetime_s : &cfg->relay_max_lifetime_s) =
		    (uint32_t)v;
		return 0;
	case OPT_RELAY_REQUIRE_NAT_MODE:
		cfg->relay_require_nat_mode = true;
		return 0;
	case OPT_RELAY:
		if (parse_endpoint(arg, HIP_UDP_PORT, &cfg->relay_addr)) {
			fprintf(
			    stderr,
			    "hipd: --relay value \"%s\" is not ADDR, ADDR:PORT or [ADDR6]:PORT\n",
			    arg);
			return -EINVAL;
		}
		cfg->relay_client = true;
		return 0;
	case OPT_STAMPS:
		cfg->stamps_path = arg;
		return 0;
	case OPT_NODE:
		cfg->node = arg;
		return 0;
	case OPT_LOG_LEVEL:
		if (log_level_parse(arg, level)) {
			fprintf(
			    stderr,
			    "hipd: --log-level value \"%s\" is not error, warning, info or debug\n",
			    arg);
			return -EINVAL;
		}
		return 0;
	case OPT_SYSLOG:
		*use_syslog = true;
		return 0;
	case OPT_USER:
		run_user = arg;
		return 0;
	case OPT_TEST_FAULTS:
		cfg->allow_fault_injection = true;
		return 0;
	case OPT_DATAPLANE: {
		enum dataplane_mode mode;
		if (dataplane_mode_parse(arg, &mode)) {
			fprintf(stderr,
				"hipd: --dataplane: '%s' is not auto, kernel, userspace or none\n",
				arg);
			return -EINVAL;
		}
		cfg->dataplane = (int)mode;
		return 0;
	}
	default:
		return nat_option(c, arg, cfg);
	}
}

int main(int argc, char **argv)
{
	struct hipd h = {0};
	enum log_level level = HLOG_INFO;
	bool use_syslog = false;
	int c;

	/* a control client that leaves before its reply must not end the daemon:
	 * the write then fails with EPIPE and only that client is dropped */
	signal(SIGPIPE, SIG_IGN);
	hipd_config_defaults(&h.cfg);
	while ((c = getopt_long(argc, argv, "hV", options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'V') {
			printf("hipd %s\n", HIPSIP_VERSION);
			return 0;
		}
		if (c == '?' || parse_one(c, optarg, &h.cfg, &level, &use_syslog)) {
			fprintf(stderr, "Try 'hipd --help' for more information.\n");
			return 2;
		}
	}
	if (nat_options_check(&h.cfg)) {
		fprintf(stderr, "Try 'hipd --help' for more information.\n");
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "hipd: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if ((h.cfg.relay_server || h.cfg.relay_client) && !h.cfg.udp_enabled) {
		fprintf(stderr, "hipd: --relay and --relay-server need UDP (RFC 5770 4.1), not "
				"--no-udp\n");
		return 2;
	}
	log_init("hipd", level, use_syslog);
	if (stamp_open(h.cfg.stamps_path, h.cfg.node) < 0) {
		log_err("cannot open stamps file %s: %s", h.cfg.stamps_path, strerror(errno));
		return 1;
	}
	uv_loop_t loop;
	uv_loop_init(&loop);
	int err = hipd_start(&h, &loop);
	if (!err)
		err = privsep_drop(run_user, h.cfg.state_dir, h.cfg.socket_path);
	if (err)
		hipd_stop(&h);
	else {
		privsep_notify_ready(&h);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	privsep_notify_stopping();
	hipd_stop(&h);
	uv_run(&loop, UV_RUN_DEFAULT);
	hipd_free(&h);
	if (uv_loop_close(&loop) != 0)
		log_warn("event loop closed with handles still open");
	stamp_close();
	if (!err)
		log_info("stopped");
	return err ? 1 : 0;
}
