/* p2psipctl: the command line of p2psipd. One table of verbs; --help is printed from it.
 * Not the protocol (common/ctl.h) and not the verbs' work (ring.c, records.c, overlay.c). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli_verbs.h"
#include "common/ctl.h"
#include "p2psipctl.h"

#define DEFAULT_SOCKET "/run/p2psipd/p2psipd.sock"
#define SOCKET_ENV     "P2PSIPD_SOCKET"
#define TIMEOUT_MS     30000 /* longer than a lookup's retries (3 x T3 at the defaults) */

/* {word, argument synopsis, min and max argument count, help line}, handler */
// clang-format off
static const struct verb verbs[] = {
	{{{"status"},     "",          0, 0, "node ID, address, mode, predecessor, successors, fingers, links, counters"}, verb_status},
	{{{"successors"}, "",          0, 0, "the predecessor and the successor list"}, verb_successors},
	{{{"fingers"},    "",          0, 0, "the distinct fingers with their index ranges"}, verb_fingers},
	{{{"store"},      "",          0, 0, "the records this node stores (primary and replica)"}, verb_store},
	{{{"lookup"},     "KEY",       1, 1, "the node responsible for KEY, and the hops to it"}, verb_lookup},
	{{{"put"},        "KEY VALUE", 2, 2, "store VALUE under KEY (refreshed until removed)"}, verb_put},
	{{{"get"},        "KEY",       1, 1, "the values under KEY, with hops and latency"}, verb_get},
	{{{"remove"},     "KEY",       1, 1, "remove this node's value under KEY"}, verb_remove},
	{{{"servers"},    "",          0, 0, "STUN/TURN servers announced in the overlay"}, verb_servers},
	{{{"register"},   "AOR",       1, 1, "publish AOR -> this node's HIT, signed (SIP registration)"}, verb_register},
	{{{"resolve"},    "AOR",       1, 1, "look AOR up; the record's signature and HIT are checked"}, verb_resolve},
	{{{"leave"},      "",          0, 0, "leave the overlay gracefully; p2psipd then exits"}, verb_leave},
	{{{"calls"},      "",          0, 0, "the SIP calls going through this node, with their state"}, verb_calls},
	{{{"registrations"}, "",       0, 0, "the local SIP clients registered here"}, verb_registrations},
	{{{"flows"},      "",          0, 0, "ice mode: the SIP flows (ICE) to other p2psipd"}, verb_flows},
	{{{"flow-close"}, "HIT",       1, 1, "ice mode: close the SIP flow with the p2psipd of HIT"}, verb_flow_close},
};
// clang-format on
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

enum { OPT_JSON = 256, OPT_SOCKET, OPT_ID, OPT_LIFETIME, OPT_TIMEOUT };

static const struct option options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"ctl", required_argument, NULL, OPT_SOCKET},
    {"id", no_argument, NULL, OPT_ID},
    {"lifetime", required_argument, NULL, OPT_LIFETIME},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vusage_error("p2psipctl", fmt, ap);
	va_end(ap);
}

static const struct cli_verb *row(size_t i)
{
	return &verbs[i].cli;
}

static void print_help(FILE *f)
{
	fprintf(f, "Usage: p2psipctl [OPTIONS] COMMAND [ARGUMENTS]\n\nCommands:\n");
	cli_print_verbs(f, N_VERBS, row);
	fprintf(f,
		"\nKEY is a string (its key is the first 128 bits of its SHA-256), or with --id\n"
		"an overlay ID (32 hex digits or a HIT). VALUE is stored as given (Cont-Type 128,\n"
		"opaque). AOR is a SIP address of record, e.g. sip:alice@overlay.\n"
		"\nOptions:\n"
		"  --json          print p2psipd's reply as JSON\n"
		"  --socket PATH   p2psipd's control socket (also --ctl; default $" SOCKET_ENV
		" or\n"
		"                  " DEFAULT_SOCKET ")\n"
		"  --id            KEY is an ID, not a string\n"
		"  --lifetime S    with put and register: lifetime in seconds (default 3600)\n"
		"  --timeout-ms N  how long to wait for p2psipd (default %d)\n"
		"  -h, --help      show this help\n"
		"  --version       show the version\n"
		"\nExit status: 0 ok, 1 p2psipd answered with an error (e.g. not found),\n"
		"2 usage error, 3 p2psipd not running (cannot connect), 4 protocol error.\n",
		TIMEOUT_MS);
}

static int parse_number(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || *s < '0' || *s > '9' || v < min || v > max) {
		usage_error("%s \"%s\" is not a number from %ld to %ld", opt, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct ctl *c)
{
	long v;
	int o;

	opterr = 0;
	while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (o) {
		case OPT_JSON:
			c->cli.json = true;
			break;
		case OPT_SOCKET:
			c->cli.socket = optarg;
			break;
		case OPT_ID:
			c->id = true;
			break;
		case OPT_LIFETIME:
			if (parse_number("--lifetime", optarg, 1, 7 * 24 * 3600, &c->lifetime))
				return -1;
			break;
		case OPT_TIMEOUT:
			if (parse_number("--timeout-ms", optarg, 1, 3600000, &v))
				return -1;
			c->cli.timeout_ms = (int)v;
			break;
		case 'h':
			print_help(stdout);
			exit(CTL_EXIT_OK);
		case 'V':
			printf("p2psipctl %s\n", HIPSIP_VERSION);
			exit(CTL_EXIT_OK);
		default:
			if (optopt && optopt != '?')
				usage_error("option \"%s\" needs a value", argv[optind - 1]);
			else
				usage_error("unknown option \"%s\" (try \"p2psipctl --help\")",
					    argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl c = {.cli = {.prog = "p2psipctl",
				.daemon = "p2psipd",
				.socket = ctl_socket_path(SOCKET_ENV, DEFAULT_SOCKET),
				.timeout_ms = TIMEOUT_MS}};
	const struct verb *v;
	int i, n;

	if (parse_options(argc, argv, &c) < 0)
		return CTL_EXIT_USAGE;
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		print_help(stderr);
		return CTL_EXIT_USAGE;
	}
	i = cli_find_verb("p2psipctl", N_VERBS, row, argc, argv, &n);
	if (i < 0)
		return CTL_EXIT_USAGE;
	v = &verbs[i];
	if (cli_check_arg_count("p2psipctl", &v->cli, argc - n, argv + n) < 0)
		return CTL_EXIT_USAGE;
	if (c.lifetime && v->run != verb_put && v->run != verb_register) {
		usage_error("option --lifetime only goes with put and register");
		return CTL_EXIT_USAGE;
	}
	return v->run(&c, argc - n, argv + n);
}
