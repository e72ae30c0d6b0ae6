/* hipd's options: one table for the command line and the configuration file, the handler that
 * applies an option from either, and reload at run time. Not the daemon's life cycle (daemon.c). */
#include "hipd/options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/secret_file.h"
#include "hipd/dataplane/dataplane.h"
#include "hipd/hadb.h"
#include "hipd/keys.h"
#include "hipd/nat.h"
#include "hipd/nat_options.h"
#include "hipd/privsep.h"

void hipd_options_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: hipd [OPTIONS]\n"
	    "Host Identity Protocol (HIPv2, RFC 7401) daemon. Runs in the foreground.\n\n"
	    "  --config FILE       configuration file, keys named after these options\n"
	    "                      (default " HIPD_DEFAULT_CONFIG
	    " when it exists; see hipd.conf(5))\n"
	    "  --check-config      check the options, the configuration and the hosts file,\n"
	    "                      then exit (0 when they are good)\n"
	    "  --hosts FILE        NAME HIT [LOCATOR...] lines: locators for the map\n"
	    "                      (default " HOSTS_DEFAULT_PATH " when it exists)\n"
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
		(void)opt;
		config_why("\"%s\" is not a number from 0 to %lu", s, max);
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
			config_why("more than %d identities", HIPD_MAX_IDS);
			return -EINVAL;
		}
		if (hostid_kind_parse(tok, &cfg->hi_kinds[cfg->n_hi_kinds]) < 0) {
			config_why("\"%s\" is not one of ecdsa-p256, ecdsa-p384, rsa", tok);
			return -EINVAL;
		}
		cfg->n_hi_kinds++;
	}
	if (!cfg->n_hi_kinds)
		config_why("no identity kind given");
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
		if (*n == cap) {
			config_why("more than %zu entries", cap);
			return -EINVAL;
		}
		if (parse_uint(opt, tok, max, &v))
			return -EINVAL;
		ids[(*n)++] = (uint16_t)v;
	}
	if (!*n)
		config_why("the list is empty");
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
	OPT_CONFIG,
	OPT_CHECK_CONFIG,
	OPT_HOSTS,
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

#define V  CONFIG_VALUE
#define F  CONFIG_FLAG
#define RT CONFIG_RUNTIME
#define CL CONFIG_CMDLINE_ONLY
/* The defaults are those of hipd_config_defaults() (daemon.c), written as a file would. */
const struct config_option hipd_options[] = {
    {"config", OPT_CONFIG, V, CL, HIPD_DEFAULT_CONFIG},
    {"check-config", OPT_CHECK_CONFIG, F, CL, ""},
    {"hosts", OPT_HOSTS, V, RT, HOSTS_DEFAULT_PATH},
    {"state-dir", OPT_STATE_DIR, V, 0, "/var/lib/hipd"},
    {"socket", OPT_SOCKET, V, 0, "/run/hipd/hipd.sock"},
    {"hi", OPT_HI, V, 0, "ecdsa-p256,rsa"},
    {"rsa-bits", OPT_RSA_BITS, V, 0, "3072"},
    {"transport", OPT_TRANSPORT, V, 0, "raw"},
    {"no-raw", OPT_NO_RAW, F, 0, "false"},
    {"no-udp", OPT_NO_UDP, F, 0, "false"},
    {"udp-port", OPT_UDP_PORT, V, 0, "10500"},
    {"puzzle-k", OPT_PUZZLE_K, V, RT, "4"},
    {"puzzle-k-attack", OPT_PUZZLE_K_ATTACK, V, RT, "16"},
    {"puzzle-attack-rate", OPT_PUZZLE_ATTACK_RATE, V, RT, "1000"},
    {"dh-groups", OPT_DH_GROUPS, V, 0, "7,8,4,11"},
    {"hip-ciphers", OPT_HIP_CIPHERS, V, 0, "2,4"},
    {"esp-suites", OPT_ESP_SUITES, V, 0, "13,8,9"},
    {"rto-ms", OPT_RTO, V, RT, "500"},
    {"state-timeout-ms", OPT_STATE_TIMEOUT, V, RT, "10000"},
    {"stamps", OPT_STAMPS, V, 0, ""},
    {"node", OPT_NODE, V, 0, "hipd"},
    {"log-level", OPT_LOG_LEVEL, V, RT, "info"},
    {"syslog", OPT_SYSLOG, F, 0, "false"},
    {"test-faults", OPT_TEST_FAULTS, F, 0, "false"},
    {"dataplane", OPT_DATAPLANE, V, 0, "auto"},
    {"rekey-seconds", OPT_REKEY, V, RT, "3600"},
    {"nat", NAT_OPT_MODE, V, 0, "none"},
    {"ice-ta-ms", NAT_OPT_TA, V, 0, "500"},
    {"stun", NAT_OPT_STUN, V, RT, ""},
    {"turn", NAT_OPT_TURN, V, RT, ""},
    {"turn-user", NAT_OPT_TURN_USER, V, RT, ""},
    {"turn-pass-file", NAT_OPT_TURN_PASS_FILE, V, RT, ""},
    {"ice-host-addrs", NAT_OPT_HOST_ADDRS, V, 0, ""},
    {"ice-policy", NAT_OPT_POLICY, V, 0, "all"},
    {"relay-server", OPT_RELAY_SERVER, F, 0, "false"},
    {"relay-max-clients", OPT_RELAY_MAX_CLIENTS, V, RT, "1024"},
    {"relay-max-lifetime", OPT_RELAY_MAX_LIFETIME, V, RT, "3600"},
    {"relay-require-nat-mode", OPT_RELAY_REQUIRE_NAT_MODE, F, 0, "false"},
    {"relay", OPT_RELAY, V, 0, ""},
    {"relay-lifetime", OPT_RELAY_LIFETIME, V, 0, "600"},
    {"user", OPT_USER, V, 0, PRIVSEP_DEFAULT_USER},
    {"help", 'h', F, CL, ""},
    {"version", 'V', F, CL, ""},
};
const size_t hipd_n_options = sizeof(hipd_options) / sizeof(hipd_options[0]);
#undef V
#undef F
#undef RT
#undef CL

int hipd_option_apply(void *opts, int c, const char *arg)
{
	struct hipd_options *o = opts;
	struct hipd_config *cfg = &o->cfg;
	unsigned long v;
	uint16_t ids[HIP_MAX_LIST];
	size_t n;

	switch (c) {
	case OPT_HOSTS:
		o->hosts_path = arg;
		o->hosts_explicit = true;
		return 0;
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
			config_why("%lu is below 2048 (too weak)", v);
			return -EINVAL;
		}
		cfg->rsa_bits = (int)v;
		return 0;
	case OPT_TRANSPORT:
		if (strcmp(arg, "raw") && strcmp(arg, "udp")) {
			config_why("\"%s\" is not raw or udp", arg);
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
			config_why("must be from 1 to 65535");
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
			config_why("must be at least 1");
			return -EINVAL;
		}
		cfg->puzzle_attack_rate = (uint32_t)v;
		return 0;
	case OPT_DH_GROUPS:
		if (parse_list("--dh-groups", arg, 255, ids, &n, HIP_MAX_LIST))
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			if (!hip_dh_supported((uint8_t)ids[i])) {
				config_why("group %u is not supported", ids[i]);
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
				config_why("ESP_TRANSFORM suite %u is not supported (7 NULL, 8 "
					   "AES-128-CBC, 9 AES-256-CBC, 12/13 AES-GCM)",
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
				config_why("cipher %u is not supported", ids[i]);
				return -EINVAL;
			}
			cfg->hip_ciphers.ids[i] = ids[i];
		}
		cfg->hip_ciphers.n = n;
		return 0;
	case OPT_RTO:
		if (parse_uint("--rto-ms", arg, 60000, &v))
			return -EINVAL;
		if (v == 0) {
			config_why("must be at least 1");
			return -EINVAL;
		}
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
			config_why("%lu is below 10 seconds (RFC 8003 5)", v);
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
			config_why("\"%s\" is not ADDR, ADDR:PORT or [ADDR6]:PORT", arg);
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
		if (log_level_parse(arg, &o->level)) {
			config_why("\"%s\" is not error, warning, info or debug", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_SYSLOG:
		o->use_syslog = true;
		return 0;
	case OPT_USER:
		o->run_user = arg;
		return 0;
	case OPT_TEST_FAULTS:
		cfg->allow_fault_injection = true;
		return 0;
	case OPT_DATAPLANE: {
		enum dataplane_mode mode;
		if (dataplane_mode_parse(arg, &mode)) {
			config_why("\"%s\" is not auto, kernel, userspace or none", arg);
			return -EINVAL;
		}
		cfg->dataplane = (int)mode;
		return 0;
	}
	default:
		return nat_option(c, arg, cfg);
	}
}

int hipd_options_check(const struct hipd_options *o)
{
	if (nat_options_check(&o->cfg))
		return -EINVAL;
	if ((o->cfg.relay_server || o->cfg.relay_client) && !o->cfg.udp_enabled) {
		config_why("relay and relay-server need UDP (RFC 5770 4.1), not no-udp");
		return -EINVAL;
	}
	return 0;
}

static int check(void *o)
{
	return hipd_options_check(o);
}

static const struct options_daemon hipd_daemon = {
    .prog = "hipd",
    .opts = hipd_options,
    .nopts = sizeof(hipd_options) / sizeof(hipd_options[0]),
    .config_id = OPT_CONFIG,
    .check_id = OPT_CHECK_CONFIG,
    .apply = hipd_option_apply,
    .usage = hipd_options_usage,
    .check = check,
    .sep = ": ",
    .bad = "bad value",
    .own_errors = false, /* getopt_long's own words */
};

static int load_hosts(struct hipd_options *o, struct hosts *hs, char *err, size_t len)
{
	int rc;

	memset(hs, 0, sizeof(*hs));
	if (!o->hosts_path)
		o->hosts_path = HOSTS_DEFAULT_PATH;
	rc = hosts_parse_file(o->hosts_path, hs, err, len);
	if (rc == -ENOENT && !o->hosts_explicit)
		return 0;
	return rc;
}

int hipd_options_init(struct hipd_options *o, int argc, char **argv)
{
	char err[512];
	int rc;

	memset(o, 0, sizeof(*o));
	hipd_config_defaults(&o->cfg);
	o->level = HLOG_INFO;
	rc = options_start(&hipd_daemon, &o->src, o, argc, argv, HIPD_DEFAULT_CONFIG);
	if (rc)
		return rc;
	if (load_hosts(o, &o->hosts, err, sizeof(err)) ||
	    options_check(&hipd_daemon, o, err, sizeof(err))) {
		fprintf(stderr, "hipd: %s\n", err);
		return -EINVAL;
	}
	if (o->src.check_only) {
		printf("hipd: configuration ok (%s; hosts: %zu names)\n",
		       o->src.file.path ? o->src.file.path : "no configuration file", o->hosts.n);
		return 1;
	}
	return 0;
}

void hipd_options_free(struct hipd_options *o)
{
	options_source_free(&hipd_daemon, &o->src);
	hosts_free(&o->hosts);
	memset(o, 0, sizeof(*o));
}

/* ---- the hosts file's locators in the map ---- */

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			      &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static bool hosts_have(const struct hosts *hs, const struct in6_addr *hit,
		       const struct sockaddr_storage *loc)
{
	for (size_t i = 0; i < hs->n; i++) {
		if (memcmp(&hs->e[i].hit, hit, sizeof(*hit)))
			continue;
		for (size_t k = 0; k < hs->e[i].nlocs; k++)
			if (same_addr(&hs->e[i].locs[k], loc))
				return true;
	}
	return false;
}

/* Adds (or removes) every locator of from that minus does not have; the count done. */
static unsigned map_hosts(struct hipd *h, const struct hosts *from, const struct hosts *minus,
			  bool add)
{
	unsigned n = 0;

	for (size_t i = 0; i < from->n; i++) {
		const struct hosts_entry *e = &from->e[i];
		for (size_t k = 0; k < e->nlocs; k++) {
			const struct sockaddr *sa = (const struct sockaddr *)&e->locs[k];
			if (minus && hosts_have(minus, &e->hit, &e->locs[k]))
				continue;
			int rc = add ? hadb_map_add(&h->db, &e->hit, sa)
				     : hadb_map_del(&h->db, &e->hit, sa);
			if (rc == 0)
				n++;
			else if (rc != -EEXIST && rc != -ENOENT)
				log_warn("hosts: %s (line %d): %s a locator: %s", e->name, e->line,
					 add ? "cannot add" : "cannot remove", strerror(-rc));
		}
	}
	return n;
}

void hipd_options_started(struct hipd *h, struct hipd_options *o)
{
	h->opts = o;
	if (o->hosts.n)
		log_info("hosts: %zu names from %s, %u locators mapped", o->hosts.n, o->hosts_path,
			 map_hosts(h, &o->hosts, NULL, true));
}

/* ---- reload ---- */

/* A run-time option's new value from n into the running daemon. */
static void apply_runtime(struct hipd *h, const struct hipd_options *n, int id, json_t *errors,
			  bool *turn)
{
	struct hipd_config *c = &h->cfg;
	const struct hipd_config *v = &n->cfg;

	switch (id) {
	case OPT_LOG_LEVEL:
		log_set_level(n->level);
		return;
	case OPT_PUZZLE_K:
		c->puzzle_k = v->puzzle_k;
		return;
	case OPT_PUZZLE_K_ATTACK:
		c->puzzle_k_attack = v->puzzle_k_attack;
		return;
	case OPT_PUZZLE_ATTACK_RATE:
		c->puzzle_attack_rate = v->puzzle_attack_rate;
		return;
	case OPT_RTO:
		c->rto_initial_ms = v->rto_initial_ms;
		return;
	case OPT_STATE_TIMEOUT:
		c->closed_ms = v->closed_ms;
		c->e_failed_ms = v->e_failed_ms;
		return;
	case OPT_REKEY:
		c->rekey_s = v->rekey_s;
		return;
	case OPT_RELAY_MAX_CLIENTS:
		c->relay_max_clients = v->relay_max_clients;
		return;
	case OPT_RELAY_MAX_LIFETIME:
		c->relay_max_lifetime_s = v->relay_max_lifetime_s;
		return;
	case NAT_OPT_STUN: {
		int rc = nat_set_stun(h, &v->stun_server);
		if (rc)
			json_array_append_new(
			    errors,
			    json_sprintf("stun: %s", rc == -ENOTCONN
							 ? "NAT traversal is off (nat = ice "
							   "needs a restart)"
							 : strerror(-rc)));
		return;
	}
	case NAT_OPT_TURN:
	case NAT_OPT_TURN_USER:
	case NAT_OPT_TURN_PASS_FILE:
		*turn = true;
		return;
	default: /* hosts: the file is read again on every reload anyway */
		return;
	}
}

static json_t *reload_parse(struct hipd *h, struct hipd_options *n)
{
	const struct hipd_options *o = h->opts;
	char err[512];

	hipd_config_defaults(&n->cfg);
	n->level = HLOG_INFO;
	if (options_reread(&hipd_daemon, &o->src, &n->src, n, err, sizeof(err)) ||
	    load_hosts(n, &n->hosts, err, sizeof(err)) ||
	    options_check(&hipd_daemon, n, err, sizeof(err)))
		return ctl_reply_error("%s", err);
	return NULL;
}

/* What a reload changed, gathered for the reply. */
struct reload_changes {
	struct hipd *h;
	const struct hipd_options *n;
	json_t *applied, *restart, *errors;
	bool turn;
};

/* options_changed_fn: a run-time option takes effect, another waits for a restart. */
static void reload_changed(void *arg, const struct config_option *opt, bool runtime)
{
	struct reload_changes *x = arg;

	if (!runtime) {
		json_array_append_new(x->restart, json_string(opt->name));
		return;
	}
	apply_runtime(x->h, x->n, opt->id, x->errors, &x->turn);
	json_array_append_new(x->applied, json_string(opt->name));
}

static json_t *reload_apply(struct hipd *h, struct hipd_options *n)
{
	struct hipd_options *o = h->opts;
	struct reload_changes x = {h, n, json_array(), json_array(), json_array(), false};
	json_t *applied = x.applied, *restart = x.restart, *errors = x.errors;

	options_changes(&hipd_daemon, &o->src, &n->src.file, reload_changed, &x);
	if (x.turn) {
		int rc = nat_set_turn(h, &n->cfg.turn_server, n->cfg.turn_user, n->cfg.turn_pass);
		if (rc)
			json_array_append_new(
			    errors,
			    json_sprintf("turn: %s", rc == -ENOTCONN
							 ? "NAT traversal is off (nat = ice "
							   "needs a restart)"
							 : strerror(-rc)));
	}
	unsigned removed = map_hosts(h, &o->hosts, &n->hosts, false);
	unsigned added = map_hosts(h, &n->hosts, &o->hosts, true);
	hosts_free(&o->hosts);
	o->hosts = n->hosts;
	memset(&n->hosts, 0, sizeof(n->hosts));
	return json_pack("{s:b,s:o,s:o,s:o,s:i,s:i,s:s,s:i}", "ok", 1, "applied", applied,
			 "needs_restart", restart, "errors", errors, "hosts_added", (int)added,
			 "hosts_removed", (int)removed, "log_level",
			 log_level_name(log_get_level()), "puzzle_k", h->cfg.puzzle_k);
}

static void log_names(const char *what, json_t *names)
{
	char buf[512] = "";
	size_t i, len = 0;
	json_t *v;

	if (!json_array_size(names))
		return;
	json_array_foreach(names, i, v)
	{
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : "",
				 json_string_value(v));
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
	}
	log_info("reload: %s: %s", what, buf);
}

json_t *hipd_options_reload(struct hipd *h)
{
	struct hipd_options *n;
	json_t *reply;

	if (!h->opts)
		return ctl_reply_error("this hipd has no configuration to reload");
	n = calloc(1, sizeof(*n));
	if (!n)
		return ctl_reply_error("out of memory");
	reply = reload_parse(h, n);
	if (reply) {
		log_err("reload rejected, nothing changed: %s",
			json_string_value(json_object_get(reply, "error")));
	} else {
		reply = reload_apply(h, n);
		log_info("reload: %s read",
			 h->opts->src.config_path ? h->opts->src.config_path : "no file");
		log_names("applied", json_object_get(reply, "applied"));
		log_names("changed but needs a restart (old value kept)",
			  json_object_get(reply, "needs_restart"));
		log_names("errors", json_object_get(reply, "errors"));
	}
	config_file_free(&n->src.file);
	hosts_free(&n->hosts);
	free(n);
	return reply;
}
