/* p2psipctl: the command line of p2psipd. One table of verbs; --help is printed from it.
 * Not the protocol (common/ctl.h) and not the verbs' work (ring.c, records.c, overlay.c). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "p2psipctl.h"

#define DEFAULT_SOCKET "/run/p2psipd/p2psipd.sock"
#define SOCKET_ENV     "P2PSIPD_SOCKET"
#define TIMEOUT_MS     30000 /* longer than a lookup's retries (3 x T3 at the defaults) */

/* word, argument synopsis, min and max argument count, handler, help line */
// clang-format off
static const struct verb verbs[] = {
	{"status",     "",          0, 0, verb_status,     "node ID, address, mode, predecessor, successors, fingers, links, counters"},
	{"successors", "",          0, 0, verb_successors, "the predecessor and the successor list"},
	{"fingers",    "",          0, 0, verb_fingers,    "the distinct fingers with their index ranges"},
	{"store",      "",          0, 0, verb_store,      "the records this node stores (primary and replica)"},
	{"lookup",     "KEY",       1, 1, verb_lookup,     "the node responsible for KEY, and the hops to it"},
	{"put",        "KEY VALUE", 2, 2, verb_put,        "store VALUE under KEY (refreshed until removed)"},
	{"get",        "KEY",       1, 1, verb_get,        "the values under KEY, with hops and latency"},
	{"remove",     "KEY",       1, 1, verb_remove,     "remove this node's value under KEY"},
	{"servers",    "",          0, 0, verb_servers,    "STUN/TURN servers announced in the overlay"},
	{"register",   "AOR",       1, 1, verb_register,   "publish AOR -> this node's HIT, signed (SIP registration)"},
	{"resolve",    "AOR",       1, 1, verb_resolve,    "look AOR up; the record's signature and HIT are checked"},
	{"leave",      "",          0, 0, verb_leave,      "leave the overlay gracefully; p2psipd then exits"},
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

	fputs("p2psipctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void verb_usage(const struct verb *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", v->word, v->synopsis[0] ? " " : "", v->synopsis);
}

static void print_help(FILE *f)
{
	char u[64];
	int w = 0;

	for (size_t i = 0; i < N_VERBS; i++) {
		verb_usage(&verbs[i], u, sizeof(u));
		if ((int)strlen(u) > w)
			w = (int)strlen(u);
	}
	fprintf(f, "Usage: p2psipctl [OPTIONS] COMMAND [ARGUMENTS]\n\nCommands:\n");
	for (size_t i = 0; i < N_VERBS; i++) {
		verb_usage(&verbs[i], u, sizeof(u));
		fprintf(f, "  %-*s  %s\n", w, u, verbs[i].help);
	}
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

static const struct verb *find_verb(const char *word)
{
	for (size_t i = 0; i < N_VERBS; i++) {
		if (strcmp(verbs[i].word, word) == 0)
			return &verbs[i];
	}
	usage_error("unknown command \"%s\" (try \"p2psipctl --help\")", word);
	return NULL;
}

/* The n-th word of a synopsis ("KEY VALUE", 1 -> "VALUE"). */
static void synopsis_word(const char *syn, int n, char *buf, size_t len)
{
	const char *p = syn;

	for (int i = 0; i < n && p; i++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	if (!p) {
		snprintf(buf, len, "argument");
		return;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(p, " "), p);
}

static int check_arg_count(const struct verb *v, int argc, char **argv)
{
	char u[64], word[32];

	if (argc >= v->min_args && argc <= v->max_args)
		return 0;
	verb_usage(v, u, sizeof(u));
	if (argc < v->min_args) {
		synopsis_word(v->synopsis, argc, word, sizeof(word));
		usage_error("missing %s (usage: p2psipctl %s)", word, u);
	} else {
		usage_error("unexpected argument \"%s\" (usage: p2psipctl %s)", argv[v->max_args],
			    u);
	}
	return -1;
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
				.socket = getenv(SOCKET_ENV),
				.timeout_ms = TIMEOUT_MS}};
	const struct verb *v;

	if (!c.cli.socket || !c.cli.socket[0])
		c.cli.socket = DEFAULT_SOCKET;
	if (parse_options(argc, argv, &c) < 0)
		return CTL_EXIT_USAGE;
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		print_help(stderr);
		return CTL_EXIT_USAGE;
	}
	v = find_verb(argv[0]);
	if (!v || check_arg_count(v, argc - 1, argv + 1) < 0)
		return CTL_EXIT_USAGE;
	if (c.lifetime && v->run != verb_put && v->run != verb_register) {
		usage_error("option --lifetime only goes with put and register");
		return CTL_EXIT_USAGE;
	}
	return v->run(&c, argc - 1, argv + 1);
}
