/* hipd's NAT traversal command-line options (--nat, --stun, --turn ...): parsing
 * and checking into struct hipd_config. Not the NAT machinery (nat.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/secret_file.h"
#include "hipd/hipd.h"
#include "hipd/nat_options.h"
#include "hipd/wire/hip_proto.h"
#include "ice/sock.h"

static int parse_modes(const char *arg, struct hip_p_list16 *modes)
{
	if (strcmp(arg, "none") == 0) {
		modes->n = 0;
		return 0;
	}
	if (strcmp(arg, "udp") == 0) {
		*modes = (struct hip_p_list16){.ids = {HIP_NAT_MODE_UDP_ENCAP}, .n = 1};
		return 0;
	}
	if (strcmp(arg, "ice") == 0) {
		/* ICE preferred; plain UDP encapsulation for peers without ICE */
		*modes = (struct hip_p_list16){
		    .ids = {HIP_NAT_MODE_ICE_STUN_UDP, HIP_NAT_MODE_UDP_ENCAP}, .n = 2};
		return 0;
	}
	config_why("\"%s\" is not none, udp or ice", arg);
	return -EINVAL;
}

static int parse_server(const char *arg, struct sockaddr_storage *out)
{
	if (ice_sa_parse(arg, out)) {
		config_why("\"%s\" is not ADDRESS:PORT (numeric, e.g. 203.0.113.3:3478)", arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_ta(const char *arg, uint32_t *ta)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	/* RFC 5770 4.4: "Hosts SHOULD NOT use values smaller than 20 ms" */
	if (*arg < '0' || *arg > '9' || *end || v < 20 || v > 10000) {
		config_why("\"%s\" is not a number from 20 to 10000", arg);
		return -EINVAL;
	}
	*ta = (uint32_t)v;
	return 0;
}

int nat_option(int opt, const char *arg, struct hipd_config *cfg)
{
	switch (opt) {
	case NAT_OPT_MODE:
		return parse_modes(arg, &cfg->nat_modes);
	case NAT_OPT_TA:
		return parse_ta(arg, &cfg->ice_ta_ms);
	case NAT_OPT_STUN:
		return parse_server(arg, &cfg->stun_server);
	case NAT_OPT_TURN:
		return parse_server(arg, &cfg->turn_server);
	case NAT_OPT_TURN_USER:
		if (strlen(arg) >= sizeof(cfg->turn_user) || !*arg) {
			config_why("empty or longer than %zu bytes", sizeof(cfg->turn_user) - 1);
			return -EINVAL;
		}
		strcpy(cfg->turn_user, arg);
		return 0;
	case NAT_OPT_TURN_PASS_FILE: {
		/* from a file, never from the command line */
		int rc = secret_file_read("hipd: --turn-pass-file", arg, cfg->turn_pass,
					  sizeof(cfg->turn_pass));
		if (rc)
			config_why("cannot read a password from \"%s\"", arg);
		return rc;
	}
	case NAT_OPT_HOST_ADDRS:
		cfg->ice_host_addrs = arg;
		return 0;
	case NAT_OPT_POLICY:
		if (strcmp(arg, "all") && strcmp(arg, "relay")) {
			config_why("\"%s\" is not all or relay", arg);
			return -EINVAL;
		}
		cfg->ice_relay_only = strcmp(arg, "relay") == 0;
		return 0;
	default:
		return -EINVAL;
	}
}

void nat_options_usage(FILE *f)
{
	fputs("  --nat MODE          NAT traversal (RFC 5770) for exchanges over UDP: none\n"
	      "                      (default), udp (UDP-ENCAPSULATION) or ice (ICE-STUN-UDP,\n"
	      "                      with udp as the fallback)\n"
	      "  --ice-ta-ms N       minimum ICE pacing Ta in ms (default 500, at least 20)\n"
	      "  --stun ADDR:PORT    STUN server for server-reflexive candidates\n"
	      "  --turn ADDR:PORT    TURN server for a relayed candidate (UDP)\n"
	      "  --turn-user USER    TURN user name\n"
	      "  --turn-pass-file F  file whose first line is the TURN password\n"
	      "  --ice-host-addrs L  host candidate addresses, comma-separated (default: every\n"
	      "                      IPv4 address that is up, not loopback, not on hit0)\n"
	      "  --ice-policy P      all (default) or relay: offer only the TURN relay's\n"
	      "                      candidate (hides our addresses; needs --turn)\n",
	      f);
}

int nat_options_check(const struct hipd_config *cfg)
{
	bool ice = false;

	for (size_t i = 0; i < cfg->nat_modes.n; i++)
		ice |= cfg->nat_modes.ids[i] == HIP_NAT_MODE_ICE_STUN_UDP;
	if (!ice && (cfg->stun_server.ss_family || cfg->turn_server.ss_family)) {
		config_why("stun and turn need nat = ice (--nat ice)");
		return -EINVAL;
	}
	if (cfg->ice_relay_only && !cfg->turn_server.ss_family) {
		config_why("ice-policy relay needs turn");
		return -EINVAL;
	}
	if (cfg->turn_server.ss_family && (!cfg->turn_user[0] || !cfg->turn_pass[0])) {
		config_why("turn needs turn-user and turn-pass-file");
		return -EINVAL;
	}
	if (cfg->nat_modes.n && cfg->transport != HIP_TRANSPORT_UDP)
		fprintf(stderr, "hipd: note: --nat applies to exchanges over UDP; this host "
				"starts its own over --transport raw\n");
	return 0;
}
