/* ice_peer: an ICE peer on our own agent (ice/) and libuv for interoperability tests; it
 * speaks nice_peer's description files and JSON summary. Not libnice, and not a daemon. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <jansson.h>

#include "common/cursor.h"
#include "ice/cand.h"
#include "ice/ice.h"
#include "ice/sock.h"
#include "ice/turn.h"
#include "ice/udp.h"

#define MAX_COMPONENTS 2
#define MAX_BINDS      4
#define MAX_HOSTS      (MAX_BINDS * MAX_COMPONENTS)
#define MAX_CANDS      32
#define MAX_MESSAGES   100000
#define MAX_DESC       65536 /* longest description file read */
#define POLL_MS	       50    /* how often the remote description file is looked for */
#define SEND_MS	       2     /* one datagram per component per tick */
#define CLOSE_WAIT_MS  1000  /* longest wait for handles to close at exit */
#define KEEPALIVE_S    15    /* RFC 8445 11: Tr, 15 s by default */
#define MSG_MAX	       64    /* "nice C K" fits easily */
#define ADDR_TEXT      64

struct opts {
	int controlling; /* -1 until --controlling or --controlled */
	const char *bind[MAX_BINDS];
	unsigned n_bind;
	const char *stun;
	const char *turn;
	const char *turn_user;
	const char *turn_pass;
	unsigned components;
	const char *local_path;
	const char *remote_path;
	unsigned messages;
	unsigned timeout_s;
	unsigned ta_ms;
	bool force_relay;
	bool relay_policy; /* --relay-only: the agent's own policy (ice_config.relay_only) */
	unsigned linger_ms;
};

struct peer;

/* A host socket of one component on one --bind address. */
struct host {
	struct peer *p;
	struct ice_udp udp;
	unsigned component;
	bool open;
};

/* --force-relay: a TURN allocation we own, offered to the agent as a local candidate
 * (ice_agent_add_local), so that the agent knows no host candidate at all. */
struct relay {
	struct peer *p;
	struct host *via; /* the host socket the allocation lives on */
	struct turn_client *tc;
	struct ice_sock sock; /* local = the relayed address; send = through tc */
	unsigned component;
	bool allocated;
	bool done; /* allocated or failed */
};

struct comp {
	unsigned id;
	bool ready;   /* the agent is connected with a selected pair here */
	bool printed; /* selected pair printed */
	unsigned sent;
	unsigned received; /* distinct sequence numbers 1..N */
	unsigned duplicates;
	unsigned malformed;
	uint8_t *seen; /* seen[k] for k in 1..N */
};

struct peer {
	struct opts o;
	uv_loop_t loop;
	struct ice_agent *agent;
	struct sockaddr_storage stun, turn;
	struct host hosts[MAX_HOSTS];
	unsigned n_hosts;
	struct relay relays[MAX_COMPONENTS];
	struct comp comp[MAX_COMPONENTS];
	bool gathered;
	bool remote_set;
	bool sending;
	bool succeeded;
	bool stopped;
	char failure[512]; /* first failure reason, empty while none */
	uint64_t t0_ns;
	uv_timer_t start_t, timeout_t, poll_t, send_t, linger_t;
	uv_signal_t sigint, sigterm;
};

static double elapsed_s(const struct peer *p)
{
	return (double)(uv_hrtime() - p->t0_ns) / 1e9;
}

static void say(const struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct peer *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ice_peer[%s] %6.3f ", p->o.controlling ? "controlling" : "controlled",
		elapsed_s(p));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void stop(struct peer *p)
{
	p->stopped = true;
	uv_stop(&p->loop);
}

/* Records the first failure (later ones and those after success are only logged) and
 * stops the loop. */
static void fail(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct peer *p, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(p->failure)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say(p, "FAIL: %s", msg);
	if (!p->failure[0] && !p->succeeded)
		snprintf(p->failure, sizeof(p->failure), "%s", msg);
	stop(p);
}

static const char *addr_text(const struct sockaddr_storage *a, char out[ADDR_TEXT])
{
	return ice_sa_str((const struct sockaddr *)a, out, ADDR_TEXT);
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fputs(
	    "usage: ice_peer (--controlling | --controlled) --local FILE --remote FILE [options]\n"
	    "An ICE peer on hipsip's own agent (ice/, RFC 8445, regular nomination, UDP) for\n"
	    "interop tests; the counterpart of nice_peer, with the same files and summary.\n"
	    "\n"
	    "  --controlling | --controlled  ICE role\n"
	    "  --bind ADDR          local address for host candidates (repeatable; default:\n"
	    "                       every non-loopback address, link-local IPv6 excepted)\n"
	    "  --stun ADDR:PORT     STUN server (IP literal) for server-reflexive candidates\n"
	    "  --turn ADDR:PORT     TURN server (UDP) for relayed candidates\n"
	    "  --turn-user USER     TURN long-term credential user\n"
	    "  --turn-pass PASS     TURN long-term credential password\n"
	    "  --force-relay        offer and pair relayed candidates only (needs --turn),\n"
	    "                       from TURN allocations of this program's own\n"
	    "  --relay-only         the same through the agent: it gathers the TURN\n"
	    "                       relay itself and offers only that (ice_config.relay_only)\n"
	    "  --components N       components in the stream, 1 or 2 (default 1)\n"
	    "  --local FILE         where our description goes once gathering is done\n"
	    "  --remote FILE        the peer's description; waited for until complete\n"
	    "  --messages N         datagrams sent (and expected) per component (default 10)\n"
	    "  --nomination MODE    regular only (RFC 8445 8.1.1), for nice_peer's options\n"
	    "  --ta MS              pacing of checks (RFC 8445 14.2, default 50)\n"
	    "  --timeout SECONDS    give up after this long (default 30)\n"
	    "  --linger MS          stay up this long after success, answering checks\n"
	    "                       (default 500)\n"
	    "  --help               this text\n"
	    "\n"
	    "Description file: a=ice-ufrag:U, a=ice-pwd:P, a=candidate:... (RFC 8839 5.1),\n"
	    "one per line, then a last line \"end\". Datagrams are \"nice C K\" (component C,\n"
	    "number K from 1), as nice_peer's. Progress goes to stderr, one JSON summary line\n"
	    "to stdout (a component's state is \"ready\" once the agent is connected, else\n"
	    "the agent's state); exit 0 when every component was ready and got N datagrams,\n"
	    "else 1; 2 on a usage error.\n",
	    f);
}

static int parse_uint(const char *name, const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "ice_peer: %s \"%s\" is not a number in %u..%u\n", name, s, min,
			max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_server(const char *name, const char *s, struct sockaddr_storage *out)
{
	if (ice_sa_parse(s, out) == 0)
		return 0;
	fprintf(stderr, "ice_peer: %s \"%s\" is not IP:PORT or [IPV6]:PORT\n", name, s);
	return -1;
}

enum {
	OPT_CONTROLLING = 256,
	OPT_CONTROLLED,
	OPT_BIND,
	OPT_STUN,
	OPT_TURN,
	OPT_TURN_USER,
	OPT_TURN_PASS,
	OPT_FORCE_RELAY,
	OPT_RELAY_ONLY,
	OPT_COMPONENTS,
	OPT_LOCAL,
	OPT_REMOTE,
	OPT_MESSAGES,
	OPT_NOMINATION,
	OPT_TA,
	OPT_TIMEOUT,
	OPT_LINGER,
	OPT_HELP,
};

static const struct option long_opts[] = {
    {"controlling", no_argument, NULL, OPT_CONTROLLING},
    {"controlled", no_argument, NULL, OPT_CONTROLLED},
    {"bind", required_argument, NULL, OPT_BIND},
    {"stun", required_argument, NULL, OPT_STUN},
    {"turn", required_argument, NULL, OPT_TURN},
    {"turn-user", required_argument, NULL, OPT_TURN_USER},
    {"turn-pass", required_argument, NULL, OPT_TURN_PASS},
    {"force-relay", no_argument, NULL, OPT_FORCE_RELAY},
    {"relay-only", no_argument, NULL, OPT_RELAY_ONLY},
    {"components", required_argument, NULL, OPT_COMPONENTS},
    {"local", required_argument, NULL, OPT_LOCAL},
    {"remote", required_argument, NULL, OPT_REMOTE},
    {"messages", required_argument, NULL, OPT_MESSAGES},
    {"nomination", required_argument, NULL, OPT_NOMINATION},
    {"ta", required_argument, NULL, OPT_TA},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"linger", required_argument, NULL, OPT_LINGER},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int set_role(struct opts *o, int controlling)
{
	if (o->controlling != -1 && o->controlling != controlling) {
		fputs("ice_peer: --controlling and --controlled exclude each other\n", stderr);
		return -1;
	}
	o->controlling = controlling;
	return 0;
}

static int set_nomination(const char *s)
{
	if (strcmp(s, "regular") == 0)
		return 0;
	fprintf(stderr,
		"ice_peer: --nomination \"%s\": our agent nominates only the regular way "
		"(RFC 8445 8.1.1)\n",
		s);
	return -1;
}

static int add_bind(struct opts *o, const char *s)
{
	struct sockaddr_storage a;

	if (ice_sa_parse_ip(s, &a) < 0) {
		fprintf(stderr, "ice_peer: --bind \"%s\" is not an IP address\n", s);
		return -1;
	}
	if (o->n_bind == MAX_BINDS) {
		fprintf(stderr, "ice_peer: --bind given more than %d times\n", MAX_BINDS);
		return -1;
	}
	o->bind[o->n_bind++] = s;
	return 0;
}

/* One option; 1 for --help, 0 when taken, -1 on a bad value. */
static int take_opt(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_CONTROLLING:
		return set_role(o, 1);
	case OPT_CONTROLLED:
		return set_role(o, 0);
	case OPT_BIND:
		return add_bind(o, arg);
	case OPT_STUN:
		o->stun = arg;
		return 0;
	case OPT_TURN:
		o->turn = arg;
		return 0;
	case OPT_TURN_USER:
		o->turn_user = arg;
		return 0;
	case OPT_TURN_PASS:
		o->turn_pass = arg;
		return 0;
	case OPT_FORCE_RELAY:
		o->force_relay = true;
		return 0;
	case OPT_RELAY_ONLY:
		o->relay_policy = true;
		return 0;
	case OPT_COMPONENTS:
		return parse_uint("--components", arg, 1, MAX_COMPONENTS, &o->components);
	case OPT_LOCAL:
		o->local_path = arg;
		return 0;
	case OPT_REMOTE:
		o->remote_path = arg;
		return 0;
	case OPT_MESSAGES:
		return parse_uint("--messages", arg, 0, MAX_MESSAGES, &o->messages);
	case OPT_NOMINATION:
		return set_nomination(arg);
	case OPT_TA:
		return parse_uint("--ta", arg, 5, 1000, &o->ta_ms);
	case OPT_TIMEOUT:
		return parse_uint("--timeout", arg, 1, 3600, &o->timeout_s);
	case OPT_LINGER:
		return parse_uint("--linger", arg, 0, 60000, &o->linger_ms);
	case OPT_HELP:
		return 1;
	default:
		return -1;
	}
}

static int check_opts(const struct opts *o, struct peer *p)
{
	if (o->controlling == -1) {
		fputs("ice_peer: give --controlling or --controlled\n", stderr);
		return -1;
	}
	if (!o->local_path || !o->remote_path) {
		fputs("ice_peer: --local FILE and --remote FILE are required\n", stderr);
		return -1;
	}
	if (o->stun && parse_server("--stun", o->stun, &p->stun) < 0)
		return -1;
	if (o->turn && parse_server("--turn", o->turn, &p->turn) < 0)
		return -1;
	if (o->turn && (!o->turn_user || !o->turn_pass)) {
		fputs("ice_peer: --turn needs --turn-user and --turn-pass\n", stderr);
		return -1;
	}
	if (o->relay_policy && (!o->turn || o->force_relay)) {
		fputs("ice_peer: --relay-only needs --turn and excludes --force-relay\n", stderr);
		return -1;
	}
	if (o->force_relay && !o->turn) {
		fputs("ice_peer: --force-relay needs --turn\n", stderr);
		return -1;
	}
	return 0;
}

/* 0 to run, 1 after --help, -1 on a usage error (already reported). */
static int parse_opts(int argc, char **argv, struct peer *p)
{
	struct opts *o = &p->o;
	int c, r;

	*o = (struct opts){
	    .controlling = -1, .components = 1, .messages = 10, .timeout_s = 30, .linger_ms = 500};
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		r = take_opt(o, c, optarg);
		if (r != 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "ice_peer: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	return check_opts(o, p);
}

/* ---- our description ---- */

/* The candidates we offer: all of the agent's, or with --force-relay its relayed ones. */
static size_t offered_candidates(const struct peer *p, struct ice_cand *out, size_t cap)
{
	struct ice_cand all[MAX_CANDS];
	size_t n = ice_agent_local_candidates(p->agent, all, MAX_CANDS), k = 0;

	if (n > MAX_CANDS)
		n = MAX_CANDS;
	for (size_t i = 0; i < n && k < cap; i++)
		if (!p->o.force_relay || all[i].type == ICE_RELAY)
			out[k++] = all[i];
	return k;
}

static int append_candidates(struct peer *p, FILE *f, unsigned comp)
{
	struct ice_cand c[MAX_CANDS];
	char line[ICE_CAND_TEXT_MAX];
	size_t n = offered_candidates(p, c, MAX_CANDS);
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		if (c[i].component != comp || ice_cand_format(&c[i], line, sizeof(line)) < 0)
			continue;
		say(p, "local  a=%s", line);
		fprintf(f, "a=%s\n", line);
		any = 1;
	}
	return any;
}

static int write_desc(struct peer *p, FILE *f)
{
	const char *ufrag, *pwd;
	char u[ICE_UFRAG_MAX + 16], w[ICE_PWD_MAX + 16];

	ice_agent_local_credentials(p->agent, &ufrag, &pwd);
	if (ice_ufrag_format(ufrag, u, sizeof(u)) < 0 || ice_pwd_format(pwd, w, sizeof(w)) < 0) {
		fail(p, "our credentials cannot be written");
		return -EINVAL;
	}
	fprintf(f, "a=%s\na=%s\n", u, w);
	for (unsigned c = 1; c <= p->o.components; c++) {
		if (!append_candidates(p, f, c)) {
			fail(p, "no local candidate for component %u%s", c,
			     p->o.force_relay ? " (TURN allocation failed?)" : "");
			return -ENOENT;
		}
	}
	fputs("end\n", f);
	return 0;
}

/* Writes FILE.tmp and renames it, so that the reader never sees half a file. */
static int write_local(struct peer *p)
{
	char tmp[4096];
	FILE *f;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", p->o.local_path);
	f = fopen(tmp, "w");
	if (!f) {
		fail(p, "cannot write %s: %s", tmp, strerror(errno));
		return -EIO;
	}
	rc = write_desc(p, f);
	if (fclose(f) != 0 && rc == 0) {
		fail(p, "cannot write %s: %s", tmp, strerror(errno));
		rc = -EIO;
	}
	if (rc == 0 && rename(tmp, p->o.local_path) < 0) {
		fail(p, "cannot rename %s: %s", tmp, strerror(errno));
		rc = -EIO;
	}
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* ---- the peer's description ---- */

struct remote {
	char ufrag[ICE_UFRAG_MAX + 1];
	char pwd[ICE_PWD_MAX + 1];
	struct ice_cand cands[MAX_CANDS];
	size_t n;
	unsigned per_comp[MAX_COMPONENTS + 1];
	bool complete; /* "end" seen */
};

/* The next line of the file without its LF (and CR); -EINVAL when longer than cap - 1,
 * -ENOENT at the end of the buffer. */
static int next_line(struct cursor *c, char *line, size_t cap)
{
	size_t n = 0;
	uint8_t b;

	if (!cur_left(c))
		return -ENOENT;
	while (cur_u8(c, &b) == 0 && b != '\n') {
		if (n + 1 >= cap)
			return -EINVAL;
		line[n++] = (char)b;
	}
	if (n && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return 0;
}

static int take_candidate(struct peer *p, struct remote *r, unsigned lineno, const char *line)
{
	struct ice_cand c;
	int rc = ice_cand_parse(line, strlen(line), &c);

	if (rc == -EPROTONOSUPPORT || rc == -EAFNOSUPPORT || rc == -EOPNOTSUPP) {
		say(p, "remote %s (ignored, RFC 8839 5.1: %s)", line, strerror(-rc));
		return 0;
	}
	if (rc < 0) {
		fail(p, "%s line %u: malformed candidate \"%s\"", p->o.remote_path, lineno, line);
		return -EINVAL;
	}
	if (c.component < 1 || c.component > p->o.components) {
		fail(p, "%s line %u: component %u, but the stream has %u", p->o.remote_path, lineno,
		     c.component, p->o.components);
		return -EINVAL;
	}
	if (r->n == MAX_CANDS) {
		fail(p, "%s line %u: more than %d candidates", p->o.remote_path, lineno, MAX_CANDS);
		return -ENOSPC;
	}
	say(p, "remote %s", line);
	r->cands[r->n++] = c;
	r->per_comp[c.component]++;
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* One line of the description; unknown lines are errors so that a peer's mistakes show. */
static int take_line(struct peer *p, struct remote *r, unsigned lineno, const char *line)
{
	if (has_prefix(line, "a=ice-ufrag:") && !r->ufrag[0]) {
		if (ice_ufrag_parse(line, strlen(line), r->ufrag) == 0)
			return 0;
		fail(p, "%s line %u: bad ufrag \"%s\"", p->o.remote_path, lineno, line);
		return -EINVAL;
	}
	if (has_prefix(line, "a=ice-pwd:") && !r->pwd[0]) {
		if (ice_pwd_parse(line, strlen(line), r->pwd) == 0)
			return 0;
		fail(p, "%s line %u: bad password (22..256 ice-chars)", p->o.remote_path, lineno);
		return -EINVAL;
	}
	if (has_prefix(line, "a=candidate:"))
		return take_candidate(p, r, lineno, line);
	fail(p, "%s line %u: unexpected line \"%s\"", p->o.remote_path, lineno, line);
	return -EINVAL;
}

static int parse_remote(struct peer *p, const uint8_t *text, size_t len, struct remote *r)
{
	struct cursor c;
	char line[ICE_CAND_LINE_MAX + 2];
	unsigned lineno = 0;
	int rc;

	cur_init(&c, text, len);
	while (!r->complete) {
		rc = next_line(&c, line, sizeof(line));
		if (rc == -ENOENT)
			return 0;
		lineno++;
		if (rc < 0) {
			fail(p, "%s line %u: longer than %d bytes", p->o.remote_path, lineno,
			     ICE_CAND_LINE_MAX);
			return rc;
		}
		if (line[0] == '\0')
			continue;
		if (strcmp(line, "end") == 0)
			r->complete = true;
		else if ((rc = take_line(p, r, lineno, line)) < 0)
			return rc;
	}
	return 0;
}

static int check_remote(struct peer *p, const struct remote *r)
{
	if (!r->ufrag[0] || !r->pwd[0]) {
		fail(p, "%s has no a=ice-ufrag or a=ice-pwd", p->o.remote_path);
		return -EINVAL;
	}
	for (unsigned c = 1; c <= p->o.components; c++) {
		if (!r->per_comp[c]) {
			fail(p, "%s has no usable candidate for component %u", p->o.remote_path, c);
			return -EINVAL;
		}
	}
	return 0;
}

/* --force-relay: permissions on our relays for every remote address up front, so that
 * the peer's checks get through before ours went out (RFC 8656 9). */
static void permit_remotes(struct peer *p, const struct remote *r)
{
	for (unsigned i = 0; i < p->o.components; i++) {
		struct relay *rl = &p->relays[i];

		for (size_t k = 0; rl->allocated && k < r->n; k++)
			if (r->cands[k].component == rl->component)
				turn_client_permit(rl->tc,
						   (const struct sockaddr *)&r->cands[k].addr);
	}
}

static int apply_remote(struct peer *p, const struct remote *r)
{
	int rc = ice_agent_set_remote(p->agent, r->ufrag, r->pwd, r->cands, r->n);

	if (rc < 0) {
		fail(p, "the agent refuses the remote description: %s", strerror(-rc));
		return rc;
	}
	for (unsigned c = 1; c <= p->o.components; c++)
		say(p, "component %u: %u remote candidates set", c, r->per_comp[c]);
	if (p->o.force_relay)
		permit_remotes(p, r);
	rc = ice_agent_start(p->agent);
	if (rc < 0)
		fail(p, "the agent cannot start its checks: %s", strerror(-rc));
	return rc;
}

/* The whole file into buf (NUL-terminated); its length, or -1 if it cannot be read. */
static ssize_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = 0;
	return (ssize_t)n;
}

/* 1 when the description was complete and is now in the agent, 0 to look again later,
 * negative on failure (reported). */
static int read_remote(struct peer *p)
{
	static uint8_t text[MAX_DESC];
	static struct remote r;
	ssize_t len = read_file(p->o.remote_path, text, sizeof(text));
	int rc;

	if (len < 0)
		return 0;
	memset(&r, 0, sizeof(r));
	rc = parse_remote(p, text, (size_t)len, &r);
	if (rc == 0 && !r.complete)
		return 0;
	if (rc == 0)
		rc = check_remote(p, &r);
	if (rc == 0)
		rc = apply_remote(p, &r);
	return rc < 0 ? rc : 1;
}

static void on_poll_remote(uv_timer_t *t)
{
	struct peer *p = t->data;
	int rc = read_remote(p);

	if (rc == 0)
		return;
	uv_timer_stop(&p->poll_t);
	if (rc > 0) {
		p->remote_set = true;
		say(p, "remote description read from %s; checks start", p->o.remote_path);
	}
}

static void local_ready(struct peer *p)
{
	if (p->gathered)
		return;
	p->gathered = true;
	say(p, "gathering done");
	if (write_local(p) < 0)
		return;
	say(p, "description written to %s; waiting for %s", p->o.local_path, p->o.remote_path);
	uv_timer_start(&p->poll_t, on_poll_remote, 0, POLL_MS);
}

/* ---- completion ---- */

static bool comp_done(const struct peer *p, const struct comp *c)
{
	return c->ready && c->sent == p->o.messages && c->received == p->o.messages;
}

static void on_linger_end(uv_timer_t *t)
{
	stop(t->data);
}

static void check_done(struct peer *p)
{
	if (p->succeeded || p->failure[0])
		return;
	for (unsigned i = 0; i < p->o.components; i++)
		if (!comp_done(p, &p->comp[i]))
			return;
	p->succeeded = true;
	say(p,
	    "done: every component ready, %u datagrams sent and received on each; lingering "
	    "%u ms",
	    p->o.messages, p->o.linger_ms);
	uv_timer_start(&p->linger_t, on_linger_end, p->o.linger_ms, 0);
}

/* ---- sending and receiving ---- */

/* Sends message number c->sent + 1 on c; false when it could not go (retried next tick). */
static bool send_next(struct peer *p, struct comp *c)
{
	char msg[MSG_MAX];
	int len = snprintf(msg, sizeof(msg), "nice %u %u", c->id, c->sent + 1);

	if (ice_agent_send(p->agent, c->id, msg, (size_t)len) < 0)
		return false;
	c->sent++;
	return true;
}

static void on_send_tick(uv_timer_t *t)
{
	struct peer *p = t->data;
	bool more = false;

	for (unsigned i = 0; i < p->o.components; i++) {
		struct comp *c = &p->comp[i];

		if (c->sent < p->o.messages)
			send_next(p, c);
		more = more || c->sent < p->o.messages;
	}
	if (more)
		return;
	uv_timer_stop(&p->send_t);
	say(p, "sent %u datagrams on each component", p->o.messages);
	check_done(p);
}

static void start_sending(struct peer *p)
{
	if (p->sending)
		return;
	p->sending = true;
	say(p, "every component ready; sending %u datagrams on each", p->o.messages);
	if (p->o.messages == 0) {
		check_done(p);
		return;
	}
	uv_timer_start(&p->send_t, on_send_tick, SEND_MS, SEND_MS);
}

/* Parses "nice C K" exactly; 0 or -EBADMSG. */
static int parse_msg(const uint8_t *buf, size_t len, unsigned *comp, unsigned *seq)
{
	struct cursor cur;
	char text[MSG_MAX];
	int end = -1;

	cur_init(&cur, buf, len);
	if (len >= sizeof(text) || cur_copy(&cur, text, len) < 0)
		return -EBADMSG;
	text[len] = '\0';
	if (sscanf(text, "nice %u %u%n", comp, seq, &end) != 2 || end != (int)len)
		return -EBADMSG;
	return 0;
}

/* Application data on a component: the peer's numbered datagrams. */
static void count_msg(struct peer *p, unsigned component, const uint8_t *buf, size_t len)
{
	struct comp *c;
	unsigned comp, seq;

	if (component < 1 || component > p->o.components)
		return;
	c = &p->comp[component - 1];
	if (parse_msg(buf, len, &comp, &seq) < 0 || comp != c->id || seq < 1 ||
	    seq > p->o.messages) {
		c->malformed++;
		say(p, "component %u: unexpected datagram of %zu bytes", c->id, len);
		return;
	}
	if (c->seen[seq]) {
		c->duplicates++;
		return;
	}
	c->seen[seq] = 1;
	c->received++;
	if (c->received == p->o.messages)
		say(p, "component %u: received all %u datagrams", c->id, p->o.messages);
	check_done(p);
}

/* A datagram on a host socket that the agent did not take. */
static void on_host_data(void *arg, const struct sockaddr *from, const uint8_t *data, size_t len)
{
	struct host *h = arg;
	(void)from;

	count_msg(h->p, h->component, data, len);
}

/* Data the agent's own relay delivered (not --force-relay). */
static void on_agent_data(void *arg, unsigned component, const uint8_t *data, size_t len)
{
	count_msg(arg, component, data, len);
}

/* ---- --force-relay: our own TURN allocations ---- */

static struct relay *relay_of_host(struct peer *p, const struct host *h)
{
	for (unsigned i = 0; i < p->o.components; i++)
		if (p->relays[i].via == h)
			return &p->relays[i];
	return NULL;
}

/* Host sockets see only TURN traffic: checks and data from anyone else are dropped. */
static void on_host_forced(void *arg, const struct sockaddr *from, const uint8_t *data, size_t len)
{
	struct host *h = arg;
	struct relay *r = relay_of_host(h->p, h);

	if (r && r->tc && turn_client_input(r->tc, data, len, from))
		return;
	say(h->p, "component %u: %zu bytes from outside the relay dropped", h->component, len);
}

/* Through the relay: checks and answers go to the agent, the rest is application data. */
static void on_relay_data(void *arg, const struct sockaddr *peer, const uint8_t *data, size_t len)
{
	struct relay *r = arg;

	if (ice_agent_input(r->p->agent, (const struct sockaddr *)&r->sock.local, peer, data, len))
		return;
	count_msg(r->p, r->component, data, len);
}

static int relay_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct relay *r = ctx;
	int rc;

	if (!r->allocated)
		return -ENOTCONN;
	rc = turn_client_permit(r->tc, dst);
	return rc ? rc : turn_client_send(r->tc, dst, buf, len);
}

static void relays_check_done(struct peer *p)
{
	for (unsigned i = 0; i < p->o.components; i++)
		if (!p->relays[i].done)
			return;
	local_ready(p);
}

static void on_allocated(void *arg, int err, const struct sockaddr *relayed,
			 const struct sockaddr *mapped, const char *reason)
{
	struct relay *r = arg;
	struct peer *p = r->p;
	struct ice_cand c;
	char ra[ADDR_TEXT];
	int rc;

	if (err) {
		say(p, "component %u: TURN allocation failed: %s", r->component, reason);
		r->allocated = false;
		r->done = true;
		relays_check_done(p);
		return;
	}
	if (r->allocated)
		return; /* a refresh */
	r->allocated = true;
	r->done = true;
	memcpy(&r->sock.local, relayed, ice_sa_len(relayed));
	say(p, "component %u: relayed address %s", r->component, addr_text(&r->sock.local, ra));
	rc = ice_cand_relay(&c, r->component, relayed, mapped, (const struct sockaddr *)&p->turn,
			    ICE_LOCALPREF_MAX);
	if (rc == 0)
		rc = ice_agent_add_local(p->agent, &c, &r->sock);
	if (rc < 0)
		say(p, "component %u: the agent refuses the relayed candidate: %s", r->component,
		    strerror(-rc));
	relays_check_done(p);
}

static int start_relay(struct peer *p, struct relay *r, struct host *h)
{
	static const struct turn_callbacks cb = {.on_allocated = on_allocated,
						 .on_data = on_relay_data};
	struct turn_config tc = {.user = p->o.turn_user, .pass = p->o.turn_pass};
	int rc;

	r->p = p;
	r->via = h;
	r->component = h->component;
	r->sock.send = relay_send;
	r->sock.ctx = r;
	tc.server = p->turn;
	rc = turn_client_new(&p->loop, &h->udp.sock, &tc, &cb, r, &r->tc);
	if (rc == 0)
		rc = turn_client_allocate(r->tc);
	if (rc < 0)
		fail(p, "component %u: TURN allocation cannot start: %s", r->component,
		     strerror(-rc));
	return rc;
}

static int start_relays(struct peer *p)
{
	for (unsigned c = 1; c <= p->o.components; c++) {
		struct host *h = NULL;

		for (unsigned i = 0; i < p->n_hosts && !h; i++)
			if (p->hosts[i].component == c &&
			    p->hosts[i].udp.sock.local.ss_family == p->turn.ss_family)
				h = &p->hosts[i];
		if (!h) {
			fail(p, "component %u: no local address of the TURN server's family", c);
			return -EAFNOSUPPORT;
		}
		if (start_relay(p, &p->relays[c - 1], h) < 0)
			return -EIO;
	}
	return 0;
}

/* ---- agent callbacks ---- */

static void print_pairs(struct peer *p)
{
	struct ice_cand l, r;
	char la[ADDR_TEXT], ra[ADDR_TEXT];

	for (unsigned i = 0; i < p->o.components; i++) {
		struct comp *c = &p->comp[i];

		if (ice_agent_selected(p->agent, c->id, &l, &r) < 0)
			continue;
		c->ready = true;
		if (c->printed)
			continue;
		c->printed = true;
		say(p, "component %u ready: selected pair local %s %s <-> remote %s %s", c->id,
		    addr_text(&l.addr, la), ice_cand_type_name(l.type), addr_text(&r.addr, ra),
		    ice_cand_type_name(r.type));
	}
}

static void on_state(void *arg, enum ice_state s, const char *reason)
{
	struct peer *p = arg;

	say(p, "agent %s%s%s", ice_state_name(s), reason ? ": " : "", reason ? reason : "");
	if (s == ICE_FAILED && !p->succeeded) {
		fail(p, "ICE failed: %s", reason ? reason : "?");
		return;
	}
	if (s != ICE_CONNECTED)
		return;
	print_pairs(p);
	start_sending(p);
}

static void on_event(void *arg, const char *ev, const char *detail)
{
	say(arg, "event %s%s%s", ev, detail ? " " : "", detail ? detail : "");
}

static void on_gathered(void *arg)
{
	local_ready(arg);
}

/* ---- set-up ---- */

static int open_host(struct peer *p, const struct sockaddr_storage *addr, unsigned component)
{
	struct host *h = &p->hosts[p->n_hosts];
	char a[ADDR_TEXT];
	int rc;

	if (p->n_hosts == MAX_HOSTS)
		return 0;
	h->p = p;
	h->component = component;
	rc = ice_udp_open(&p->loop, (const struct sockaddr *)addr, &h->udp);
	if (rc < 0) {
		fail(p, "cannot bind %s: %s", addr_text(addr, a), uv_strerror(rc));
		return rc;
	}
	h->open = true;
	p->n_hosts++;
	h->udp.arg = h;
	if (p->o.force_relay) {
		h->udp.on_data = on_host_forced; /* the agent never sees this socket */
		return 0;
	}
	h->udp.agent = p->agent;
	h->udp.on_data = on_host_data;
	rc = ice_agent_add_host(p->agent, component, &h->udp.sock);
	if (rc < 0)
		fail(p, "the agent refuses the host address %s: %s", addr_text(addr, a),
		     strerror(-rc));
	return rc;
}

/* Without --bind: every non-loopback address, IPv6 link-local excepted. */
static unsigned default_addrs(struct peer *p, struct sockaddr_storage *out, unsigned cap)
{
	uv_interface_address_t *ifs;
	int n;
	unsigned k = 0;

	if (uv_interface_addresses(&ifs, &n) < 0)
		return 0;
	for (int i = 0; i < n && k < cap; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&ifs[i].address;

		if (ifs[i].is_internal ||
		    (sa->sa_family == AF_INET6 &&
		     IN6_IS_ADDR_LINKLOCAL(&ifs[i].address.address6.sin6_addr)))
			continue;
		memset(&out[k], 0, sizeof(out[k]));
		memcpy(&out[k], sa, ice_sa_len(sa));
		k++;
	}
	uv_free_interface_addresses(ifs, n);
	say(p, "no --bind: %u local address%s found", k, k == 1 ? "" : "es");
	return k;
}

static int open_hosts(struct peer *p)
{
	struct sockaddr_storage addrs[MAX_BINDS];
	unsigned n = 0;
	int rc;

	for (unsigned i = 0; i < p->o.n_bind; i++)
		ice_sa_parse_ip(p->o.bind[i], &addrs[n++]);
	if (!n)
		n = default_addrs(p, addrs, MAX_BINDS);
	if (!n) {
		fail(p, "no usable local address");
		return -EADDRNOTAVAIL;
	}
	for (unsigned c = 1; c <= p->o.components; c++)
		for (unsigned i = 0; i < n; i++)
			if ((rc = open_host(p, &addrs[i], c)) < 0)
				return rc;
	return 0;
}

static int make_agent(struct peer *p)
{
	static const struct ice_callbacks cb = {.on_gathered = on_gathered,
						.on_state = on_state,
						.on_data = on_agent_data,
						.on_event = on_event};
	struct ice_config cfg = {.controlling = p->o.controlling == 1,
				 .components = p->o.components,
				 .ta_ms = p->o.ta_ms,
				 .keepalive_s = KEEPALIVE_S,
				 .relay_only = p->o.relay_policy,
				 .software = "hipsip ice_peer"};
	int rc;

	if (!p->o.force_relay) {
		cfg.stun = p->stun;
		cfg.turn = p->turn;
		cfg.turn_user = p->o.turn_user;
		cfg.turn_pass = p->o.turn_pass;
	}
	rc = ice_agent_new(&p->loop, &cfg, &cb, p, &p->agent);
	if (rc < 0)
		fail(p, "ice_agent_new: %s", strerror(-rc));
	return rc;
}

static int start(struct peer *p)
{
	int rc;

	for (unsigned c = 1; c <= p->o.components; c++) {
		p->comp[c - 1].id = c;
		p->comp[c - 1].seen = calloc(p->o.messages + 1, 1);
		if (!p->comp[c - 1].seen) {
			fail(p, "out of memory");
			return -ENOMEM;
		}
	}
	if (make_agent(p) < 0 || open_hosts(p) < 0)
		return -EINVAL;
	say(p, "gathering (%u component%s, nomination regular%s)", p->o.components,
	    p->o.components > 1 ? "s" : "", p->o.force_relay ? ", relay only" : "");
	if (p->o.force_relay)
		return start_relays(p);
	rc = ice_agent_gather(p->agent);
	if (rc < 0)
		fail(p, "candidate gathering cannot start: %s", strerror(-rc));
	return rc;
}

/* Runs as the loop's first callback, since the agent may report gathering done (and so
 * fail) from inside ice_agent_gather. */
static void on_start(uv_timer_t *t)
{
	start(t->data);
}

static const char *waiting_for(const struct peer *p)
{
	if (!p->gathered)
		return "candidate gathering";
	if (!p->remote_set)
		return "the remote description";
	for (unsigned i = 0; i < p->o.components; i++)
		if (!p->comp[i].ready)
			return "ready on every component";
	return "datagrams from the peer";
}

static const char *comp_state(const struct peer *p, const struct comp *c)
{
	if (c->ready)
		return "ready";
	return p->agent ? ice_state_name(ice_agent_state(p->agent)) : "new";
}

static void on_timeout(uv_timer_t *t)
{
	struct peer *p = t->data;
	char s[256] = "";
	size_t used = 0;

	for (unsigned i = 0; i < p->o.components && used < sizeof(s); i++) {
		const struct comp *c = &p->comp[i];
		int n = snprintf(s + used, sizeof(s) - used,
				 "; component %u %s, sent %u, received %u/%u", i + 1,
				 comp_state(p, c), c->sent, c->received, p->o.messages);

		used += n > 0 ? (size_t)n : 0;
	}
	fail(p, "timeout after %u s waiting for %s%s", p->o.timeout_s, waiting_for(p), s);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	fail(s->data, "interrupted by a signal");
}

/* ---- summary and teardown ---- */

static json_t *comp_json(const struct peer *p, const struct comp *c, unsigned id)
{
	struct ice_cand l, r;
	char la[ADDR_TEXT], ra[ADDR_TEXT];
	json_t *j =
	    json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)id, "state", comp_state(p, c),
		      "sent", (json_int_t)c->sent, "received", (json_int_t)c->received);

	if (c->duplicates)
		json_object_set_new(j, "duplicates", json_integer(c->duplicates));
	if (c->malformed)
		json_object_set_new(j, "malformed", json_integer(c->malformed));
	if (!p->agent || !c->ready || ice_agent_selected(p->agent, id, &l, &r) < 0)
		return j;
	json_object_set_new(j, "local", json_string(addr_text(&l.addr, la)));
	json_object_set_new(j, "local_type", json_string(ice_cand_type_name(l.type)));
	json_object_set_new(j, "remote", json_string(addr_text(&r.addr, ra)));
	json_object_set_new(j, "remote_type", json_string(ice_cand_type_name(r.type)));
	return j;
}

static void print_summary(const struct peer *p)
{
	json_t *comps = json_array();
	json_t *j;
	char *text;

	for (unsigned i = 0; i < p->o.components; i++)
		json_array_append_new(comps, comp_json(p, &p->comp[i], i + 1));
	j = json_pack("{s:b, s:s, s:o, s:I}", "ok", p->succeeded, "role",
		      p->o.controlling ? "controlling" : "controlled", "components", comps,
		      "elapsed_ms", (json_int_t)((uv_hrtime() - p->t0_ns) / 1000000));
	if (p->failure[0])
		json_object_set_new(j, "reason", json_string(p->failure));
	text = json_dumps(j, JSON_COMPACT);
	printf("%s\n", text ? text : "{\"ok\":false}");
	fflush(stdout);
	free(text);
	json_decref(j);
}

static void close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Releases TURN allocations (RFC 8656 7: Refresh with lifetime 0, sent right away), then
 * closes every handle and waits a bounded time for libuv to let go of them. */
static void teardown(struct peer *p)
{
	uint64_t deadline = uv_hrtime() + CLOSE_WAIT_MS * 1000000ull;
	uv_timer_t *timers[] = {&p->start_t, &p->timeout_t, &p->poll_t, &p->send_t, &p->linger_t};
	int rc;

	if (p->agent)
		ice_agent_close(p->agent);
	for (unsigned i = 0; i < MAX_COMPONENTS; i++)
		if (p->relays[i].tc)
			turn_client_close(p->relays[i].tc);
	for (unsigned i = 0; i < p->n_hosts; i++)
		ice_udp_close(&p->hosts[i].udp, NULL);
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
		close_handle((uv_handle_t *)timers[i]);
	close_handle((uv_handle_t *)&p->sigint);
	close_handle((uv_handle_t *)&p->sigterm);
	while (uv_run(&p->loop, UV_RUN_NOWAIT) && uv_hrtime() < deadline)
		uv_sleep(1);
	rc = uv_loop_close(&p->loop);
	if (rc < 0)
		say(p, "loop not closed: %s", uv_strerror(rc));
	for (int i = 0; i < MAX_COMPONENTS; i++)
		free(p->comp[i].seen);
}

static void init_timer(struct peer *p, uv_timer_t *t)
{
	uv_timer_init(&p->loop, t);
	t->data = p;
}

static void init_signal(struct peer *p, uv_signal_t *s, int signum)
{
	uv_signal_init(&p->loop, s);
	s->data = p;
	uv_signal_start(s, on_signal, signum);
}

int main(int argc, char **argv)
{
	static struct peer p; /* large (socket buffers): not on the stack */
	int rc = parse_opts(argc, argv, &p);
	bool ok;

	if (rc > 0) {
		usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fputs("ice_peer: see --help\n", stderr);
		return 2;
	}
	p.t0_ns = uv_hrtime();
	uv_loop_init(&p.loop);
	init_timer(&p, &p.start_t);
	init_timer(&p, &p.timeout_t);
	init_timer(&p, &p.poll_t);
	init_timer(&p, &p.send_t);
	init_timer(&p, &p.linger_t);
	init_signal(&p, &p.sigint, SIGINT);
	init_signal(&p, &p.sigterm, SIGTERM);
	uv_timer_start(&p.timeout_t, on_timeout, p.o.timeout_s * 1000ull, 0);
	uv_timer_start(&p.start_t, on_start, 0, 0);
	while (!p.stopped && uv_run(&p.loop, UV_RUN_DEFAULT))
		;
	print_summary(&p);
	ok = p.succeeded;
	teardown(&p);
	return ok ? 0 : 1;
}
