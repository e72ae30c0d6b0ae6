/* hipconf: the command line of hipd. One table of verbs; --help is printed from it.
 * Not the protocol (common/ctl.h) and not the verbs' work (map.c, ha.c, hi.c, daemon.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli_verbs.h"
#include "common/ctl.h"
#include "common/hosts.h"
#include "hipconf.h"

#define TIMEOUT_MS	10000
#define WAIT_TIMEOUT_MS 120000 /* longer than hipd's I1 and I2 retransmissions */

/* {words, argument synopsis, min and max argument count, help line}, handler */
// clang-format off
static const struct verb verbs[] = {
	{{{"daemon", "add", "map"},    "HIT LOCATOR",   2, 2, "map a peer HIT to a locator (IPv4 or IPv6)"}, verb_add_map},
	{{{"daemon", "del", "map"},    "HIT [LOCATOR]", 1, 2, "remove one locator of a peer HIT, or all of them"}, verb_del_map},
	{{{"daemon", "get", "map"},    "",              0, 0, "list the HIT-to-locator mappings"}, verb_get_map},
	{{{"daemon", "get", "ha"},     "all|HIT",       1, 1, "show host associations (all, or the one with HIT)"}, verb_get_ha},
	{{{"daemon", "get", "hi"},     "default|all",   1, 1, "show local host identities"}, verb_get_hi},
	{{{"daemon", "new", "hi"},     "rsa|ecdsa-p256|ecdsa-p384 [BITS]", 1, 2, "generate a host identity, load it and keep it (rsa: BITS 2048..8192)"}, verb_new_hi},
	{{{"daemon", "add", "hi"},     "FILE",          1, 1, "load a host identity from a PEM private key (mode 0600) and keep it"}, verb_add_hi},
	{{{"daemon", "del", "hi"},     "HIT",           1, 1, "delete a host identity (--force: the default, or one in use)"}, verb_del_hi},
	{{{"daemon", "trigger"},       "HIT",           1, 1, "start a base exchange with a peer HIT"}, verb_trigger},
	{{{"daemon", "close"},         "HIT",           1, 1, "close the association with a peer HIT"}, verb_close},
	{{{"daemon", "rekey"},         "HIT",           1, 1, "rekey the ESP SAs with a peer HIT now (UPDATE)"}, verb_rekey},
	{{{"daemon", "rst"},           "all|HIT",       1, 1, "forget the associations, or the one with HIT, without CLOSE"}, verb_rst},
	{{{"daemon", "get", "status"}, "",              0, 0, "show hipd's version, uptime and counters"}, verb_get_status},
	{{{"daemon", "reload"},        "",              0, 0, "read hipd.conf and the hosts file again; associations stay"}, verb_reload},
	{{{"daemon", "get", "debug"},  "",              0, 0, "show hipd's log level"}, verb_get_debug},
	{{{"daemon", "set", "debug"},  "LEVEL",         1, 1, "set hipd's log level: error|warning|info|debug (HIPL: none|low|medium|all)"}, verb_set_debug},
	{{{"daemon", "get", "puzzle"}, "",              0, 0, "show the puzzle difficulty K sent in R1"}, verb_get_puzzle},
	{{{"daemon", "set", "puzzle"}, "K",             1, 1, "set the puzzle difficulty K (0..40)"}, verb_set_puzzle},
	{{{"daemon", "inc", "puzzle"}, "",              0, 0, "raise the puzzle difficulty K by one"}, verb_inc_puzzle},
	{{{"daemon", "dec", "puzzle"}, "",              0, 0, "lower the puzzle difficulty K by one"}, verb_dec_puzzle},
	{{{"daemon", "get", "dataplane"}, "",           0, 0, "show the data plane backend, why it was chosen, counters"}, verb_get_dataplane},
	{{{"daemon", "get", "nat"},    "",              0, 0, "show NAT traversal: modes, STUN/TURN servers, relay, candidates"}, verb_get_nat},
	{{{"daemon", "set", "nat"},    "none|udp|ice",  1, 1, "NAT traversal for new base exchanges (HIPL: plain-udp, ice-udp)"}, verb_set_nat},
	{{{"daemon", "set", "stun"},   "ADDR:PORT|none", 1, 1, "use another STUN server (candidates are gathered again)"}, verb_set_stun},
	{{{"daemon", "set", "turn"},   "ADDR:PORT|none USER PASSFILE", 1, 3, "use another TURN server (the relay is allocated again)"}, verb_set_turn},
	{{{"daemon", "get", "locator"}, "",             0, 0, "show our local addresses, HIP ports and ICE candidates"}, verb_get_locator},
	{{{"daemon", "get", "relay"},  "",              0, 0, "show HIP relay registrations: clients served, our own relay"}, verb_get_relay},
	{{{"daemon", "set", "overlay"}, "NAME|none [HIT...]", 1, 257, "set the overlay and all its neighbour HITs (HIP BONE routing)"}, verb_set_overlay},
	{{{"daemon", "get", "overlay"}, "",             0, 0, "show the overlay, neighbours, packets routed and dropped"}, verb_get_overlay},
};
// clang-format on
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

/* What completion offers after "-" (--complete stays hidden). */
const char *const hipconf_long_options[] = {
    "--json", "--socket", "--wait", "--fault", "--force", "--hosts", "--help", "--version", NULL};

static const struct option options[] = {
    {"json", no_argument, NULL, 'j'},
    {"socket", required_argument, NULL, 's'},
    {"fault", required_argument, NULL, 'f'},
    {"wait", no_argument, NULL, 'w'},
    {"force", no_argument, NULL, 'F'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"hosts", required_argument, NULL, 'H'},
    {NULL, 0, NULL, 0},
};

static const struct cli_verb *row(size_t i)
{
	return &verbs[i].cli;
}

static void print_help(FILE *f)
{
	fprintf(f, "Usage: hipconf [OPTIONS] COMMAND [ARGUMENTS]\n\nCommands:\n");
	cli_print_verbs(f, N_VERBS, row);
	fprintf(f, "\nHIT is an ORCHIDv2 address (2001:20::/28) or a NAME from the hosts file;\n"
		   "LOCATOR an IPv4 or IPv6 address.\n"
		   "\nOptions:\n"
		   "  --json         print hipd's reply as JSON\n"
		   "  --socket PATH  hipd's control socket (default $" CTL_SOCKET_ENV
		   " or " CTL_DEFAULT_SOCKET ")\n"
		   "  --hosts FILE   where a HIT given as a NAME is looked up (default\n"
		   "                 " HOSTS_DEFAULT_PATH ")\n"
		   "  --wait         with \"daemon trigger\": return when the association is\n"
		   "                 established (exit 0) or the exchange failed (exit 1)\n"
		   "  --force        with \"daemon del hi\": delete the default identity, or one\n"
		   "                 that associations use (they are dropped without CLOSE)\n"
		   "  --fault NAME   with \"daemon trigger\": break one step of the exchange on\n"
		   "                 purpose (hipd --test-faults only): i2-signature,\n"
		   "                 i2-solution, i2-mac, i2-critical, i1-critical,\n"
		   "                 ice-password\n"
		   "  -h, --help     show this help\n"
		   "  --version      show the version\n"
		   "\nEvery command takes --json.\n"
		   "\nExit status:\n"
		   "  0  ok\n"
		   "  1  hipd answered with an error\n"
		   "  2  usage error (bad command line)\n"
		   "  3  hipd is not running (cannot connect to its socket)\n"
		   "  4  protocol error (no answer, or not a valid reply)\n");
}

static int parse_options(int argc, char **argv, struct hipconf *hc)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			hc->cli.json = true;
			break;
		case 's':
			hc->cli.socket = optarg;
			break;
		case 'f':
			hc->fault = optarg;
			break;
		case 'w':
			hc->wait = true;
			hc->cli.timeout_ms = WAIT_TIMEOUT_MS;
			break;
		case 'F':
			hc->force = true;
			break;
		case 'H':
			arg_hosts_file(optarg);
			break;
		case 'h':
			print_help(stdout);
			exit(CTL_EXIT_OK);
		case 'V':
			printf("hipconf %s\n", HIPSIP_VERSION);
			exit(CTL_EXIT_OK);
		default:
			if (optopt == 's')
				usage_error("option --socket needs a PATH");
			else if (optopt == 'f')
				usage_error("option --fault needs a NAME");
			else if (optopt == 'H')
				usage_error("option --hosts needs a FILE");
			else if (optopt)
				usage_error("unknown option \"-%c\" (try \"hipconf --help\")",
					    optopt);
			else
				usage_error("unknown option \"%s\" (try \"hipconf --help\")",
					    argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct hipconf hc = {.cli = {.prog = "hipconf",
				     .daemon = "hipd",
				     .socket = ctl_socket_path(CTL_SOCKET_ENV, CTL_DEFAULT_SOCKET),
				     .timeout_ms = TIMEOUT_MS}};

	/* --complete first: the words after it are what was typed, options and all */
	if (argc > 1 && strcmp(argv[1], "--complete") == 0)
		return hipconf_complete(&hc, verbs, N_VERBS, argc - 2, argv + 2);
	if (parse_options(argc, argv, &hc) < 0)
		return CTL_EXIT_USAGE;
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		print_help(stderr);
		return CTL_EXIT_USAGE;
	}
	int n, i = cli_find_verb("hipconf", N_VERBS, row, argc, argv, &n);
	if (i < 0)
		return CTL_EXIT_USAGE;
	const struct verb *v = &verbs[i];
	if (hc.force && v->run != verb_del_hi) {
		usage_error("option --force only goes with \"daemon del hi\"");
		return CTL_EXIT_USAGE;
	}
	if ((hc.fault || hc.wait) && v->run != verb_trigger) {
		usage_error("option --%s only goes with \"daemon trigger\"",
			    hc.fault ? "fault" : "wait");
		return CTL_EXIT_USAGE;
	}
	if (cli_check_arg_count("hipconf", &v->cli, argc - n, argv + n) < 0)
		return CTL_EXIT_USAGE;
	return v->run(&hc, argc - n, argv + n);
}
