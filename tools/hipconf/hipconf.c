/* hipconf: the command line of hipd. One table of verbs; --help is printed from it.
 * Not the protocol (common/ctl.h) and not the verbs' work (map.c, ha.c, hi.c, daemon.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl.h"
#include "hipconf.h"

#define TIMEOUT_MS	10000
#define WAIT_TIMEOUT_MS 120000 /* longer than hipd's I1 and I2 retransmissions */

/* words, argument synopsis, min and max argument count, handler, help line */
// clang-format off
static const struct verb verbs[] = {
	{{"daemon", "add", "map"},    "HIT LOCATOR",   2, 2, verb_add_map,    "map a peer HIT to a locator (IPv4 or IPv6)"},
	{{"daemon", "del", "map"},    "HIT [LOCATOR]", 1, 2, verb_del_map,    "remove one locator of a peer HIT, or all of them"},
	{{"daemon", "get", "map"},    "",              0, 0, verb_get_map,    "list the HIT-to-locator mappings"},
	{{"daemon", "get", "ha"},     "all|HIT",       1, 1, verb_get_ha,     "show host associations (all, or the one with HIT)"},
	{{"daemon", "get", "hi"},     "default|all",   1, 1, verb_get_hi,     "show local host identities"},
	{{"daemon", "trigger"},       "HIT",           1, 1, verb_trigger,    "start a base exchange with a peer HIT"},
	{{"daemon", "close"},         "HIT",           1, 1, verb_close,      "close the association with a peer HIT"},
	{{"daemon", "rekey"},         "HIT",           1, 1, verb_rekey,      "rekey the ESP SAs with a peer HIT now (UPDATE)"},
	{{"daemon", "rst"},           "HIT",           1, 1, verb_rst,        "forget the association with HIT without CLOSE"},
	{{"daemon", "get", "status"}, "",              0, 0, verb_get_status, "show hipd's version, uptime and counters"},
	{{"daemon", "set", "debug"},  "LEVEL",         1, 1, verb_set_debug,  "set hipd's log level: error|warning|info|debug"},
	{{"daemon", "get", "puzzle"}, "",              0, 0, verb_get_puzzle, "show the puzzle difficulty K sent in R1"},
	{{"daemon", "get", "dataplane"}, "",           0, 0, verb_get_dataplane, "show the data plane backend, why it was chosen, counters"},
	{{"daemon", "set", "puzzle"}, "K",             1, 1, verb_set_puzzle, "set the puzzle difficulty K (0..40)"},
	{{"daemon", "get", "nat"},    "",              0, 0, verb_get_nat,    "show NAT traversal: modes, STUN/TURN servers, relay, candidates"},
	{{"daemon", "set", "stun"},   "ADDR:PORT|none", 1, 1, verb_set_stun,  "use another STUN server (candidates are gathered again)"},
	{{"daemon", "set", "turn"},   "ADDR:PORT USER PASSFILE|none", 1, 3, verb_set_turn, "use another TURN server (the relay is allocated again)"},
	{{"daemon", "get", "relay"},  "",              0, 0, verb_get_relay,  "show HIP relay registrations: clients served, our own relay"},
	{{"daemon", "set", "overlay"}, "NAME|none [HIT...]", 1, 257, verb_set_overlay, "set the overlay and all its neighbour HITs (HIP BONE routing)"},
	{{"daemon", "get", "overlay"}, "",             0, 0, verb_get_overlay, "show the overlay, neighbours, packets routed and dropped"},
};
// clang-format on
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static const struct option options[] = {
    {"json", no_argument, NULL, 'j'},
    {"socket", required_argument, NULL, 's'},
    {"fault", required_argument, NULL, 'f'},
    {"wait", no_argument, NULL, 'w'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int nwords(const struct verb *v)
{
	int n = 0;

	while (n < 4 && v->words[n])
		n++;
	return n;
}

static void verb_name(const struct verb *v, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < nwords(v); i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "", v->words[i]);
}

static void verb_usage(const struct verb *v, char *buf, size_t len)
{
	verb_name(v, buf, len);
	if (v->synopsis[0])
		snprintf(buf + strlen(buf), len - strlen(buf), " %s", v->synopsis);
}

static void print_help(FILE *f)
{
	char u[128];
	int w = 0;

	for (size_t i = 0; i < N_VERBS; i++) {
		verb_usage(&verbs[i], u, sizeof(u));
		if ((int)strlen(u) > w)
			w = (int)strlen(u);
	}
	fprintf(f, "Usage: hipconf [OPTIONS] COMMAND [ARGUMENTS]\n\nCommands:\n");
	for (size_t i = 0; i < N_VERBS; i++) {
		verb_usage(&verbs[i], u, sizeof(u));
		fprintf(f, "  %-*s  %s\n", w, u, verbs[i].help);
	}
	fprintf(f, "\nHIT is an ORCHIDv2 address (2001:20::/28); LOCATOR an IPv4 or IPv6 address.\n"
		   "\nOptions:\n"
		   "  --json         print hipd's reply as JSON\n"
		   "  --socket PATH  hipd's control socket (default $" CTL_SOCKET_ENV
		   " or " CTL_DEFAULT_SOCKET ")\n"
		   "  --wait         with \"daemon trigger\": return when the association is\n"
		   "                 established (exit 0) or the exchange failed (exit 1)\n"
		   "  --fault NAME   with \"daemon trigger\": break one step of the exchange on\n"
		   "                 purpose (hipd --test-faults only): i2-signature,\n"
		   "                 i2-solution, i2-mac, i2-critical, i1-critical\n"
		   "  -h, --help     show this help\n"
		   "  --version      show the version\n"
		   "\nExit status: 0 ok, 1 hipd answered with an error, 2 usage error,\n"
		   "3 hipd not running (cannot connect), 4 protocol error.\n");
}

/* How many leading words of argv the verb v matches. */
static int match_len(const struct verb *v, int argc, char **argv)
{
	int n = 0;

	while (n < nwords(v) && n < argc && strcmp(v->words[n], argv[n]) == 0)
		n++;
	return n;
}

static void quoted_words(int n, char **argv, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "", argv[i]);
}

static const struct verb *find_verb(int argc, char **argv)
{
	int best = 0;
	char words[256];

	for (size_t i = 0; i < N_VERBS; i++) {
		int m = match_len(&verbs[i], argc, argv);
		if (m == nwords(&verbs[i]))
			return &verbs[i];
		best = m > best ? m : best;
	}
	if (best == argc) {
		quoted_words(argc, argv, words, sizeof(words));
		usage_error("incomplete command \"%s\" (try \"hipconf --help\")", words);
	} else {
		quoted_words(best + 1, argv, words, sizeof(words));
		usage_error("unknown command \"%s\" (try \"hipconf --help\")", words);
	}
	return NULL;
}

/* The n-th word of the synopsis ("HIT [LOCATOR]" -> "LOCATOR" for n = 1). */
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
	size_t l = strcspn(p, " ");
	snprintf(buf, len, "%.*s", (int)l, p);
	if (buf[0] == '[')
		memmove(buf, buf + 1, strlen(buf));
	if (buf[0] && buf[strlen(buf) - 1] == ']')
		buf[strlen(buf) - 1] = '\0';
}

static int check_arg_count(const struct verb *v, int argc, char **argv)
{
	char u[128], word[64];

	if (argc >= v->min_args && argc <= v->max_args)
		return 0;
	verb_usage(v, u, sizeof(u));
	if (argc < v->min_args) {
		synopsis_word(v->synopsis, argc, word, sizeof(word));
		usage_error("missing %s (usage: hipconf %s)", word, u);
	} else {
		usage_error("unexpected argument \"%s\" (usage: hipconf %s)", argv[v->max_args], u);
	}
	return -1;
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
				     .socket = getenv(CTL_SOCKET_ENV),
				     .timeout_ms = TIMEOUT_MS}};

	if (!hc.cli.socket || !hc.cli.socket[0])
		hc.cli.socket = CTL_DEFAULT_SOCKET;
	if (parse_options(argc, argv, &hc) < 0)
		return CTL_EXIT_USAGE;
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		print_help(stderr);
		return CTL_EXIT_USAGE;
	}
	const struct verb *v = find_verb(argc, argv);
	if (!v)
		return CTL_EXIT_USAGE;
	if ((hc.fault || hc.wait) && v->run != verb_trigger) {
		usage_error("option --%s only goes with \"daemon trigger\"",
			    hc.fault ? "fault" : "wait");
		return CTL_EXIT_USAGE;
	}
	int n = nwords(v);
	if (check_arg_count(v, argc - n, argv + n) < 0)
		return CTL_EXIT_USAGE;
	return v->run(&hc, argc - n, argv + n);
}
