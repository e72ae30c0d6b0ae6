/* nice_peer: an independent ICE peer on libnice for interoperability tests; it swaps
 * descriptions (ufrag, pwd, RFC 8839 candidate lines) through files. Not our ICE agent. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <glib.h>
#include <jansson.h>
#include <nice/agent.h>

#include "common/cursor.h"

#define MAX_COMPONENTS 2
#define MAX_BINDS      4
#define MAX_MESSAGES   100000
#define POLL_MS	       50   /* how often the remote description file is looked for */
#define SEND_MS	       2    /* one datagram per component per tick */
#define CLOSE_WAIT_MS  1000 /* longest wait for TURN deallocation at exit */
#define MSG_MAX	       64   /* "nice C K" fits easily */
#define ADDR_TEXT      (INET6_ADDRSTRLEN + 8)

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
	gboolean force_relay;
	gboolean regular_nomination;
	unsigned linger_ms;
};

struct comp {
	guint id;
	NiceComponentState state;
	gboolean ready;	  /* reached READY */
	gboolean printed; /* selected pair printed */
	guint sent;
	guint received; /* distinct sequence numbers 1..N */
	guint duplicates;
	guint malformed;
	guint8 *seen; /* seen[k] for k in 1..N */
};

struct peer {
	struct opts o;
	GMainLoop *loop;
	NiceAgent *agent;
	guint stream;
	struct comp comp[MAX_COMPONENTS];
	gboolean gathered;
	gboolean remote_set;
	gboolean sending;
	gboolean succeeded;
	char *failure; /* first failure reason, NULL while none */
	gint64 t0_us;
	guint timeout_id;
	guint poll_id;
	guint send_id;
	guint linger_id;
	guint sig_ids[2];
};

static double elapsed_s(const struct peer *p)
{
	return (double)(g_get_monotonic_time() - p->t0_us) / 1e6;
}

static void say(const struct peer *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void say(const struct peer *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nice_peer[%s] %6.3f ", p->o.controlling ? "controlling" : "controlled",
		elapsed_s(p));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Records the first failure (later ones and those after success are only logged) and
 * stops the main loop. */
static void fail(struct peer *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void fail(struct peer *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	say(p, "FAIL: %s", msg);
	if (p->failure || p->succeeded)
		g_free(msg);
	else
		p->failure = msg;
	g_main_loop_quit(p->loop);
}

/* "192.0.2.1:50000" or "[2001:db8::1]:50000". */
static void addr_text(const NiceAddress *a, char out[ADDR_TEXT])
{
	char ip[INET6_ADDRSTRLEN];

	nice_address_to_string(a, ip);
	if (strchr(ip, ':'))
		g_snprintf(out, ADDR_TEXT, "[%s]:%u", ip, nice_address_get_port(a));
	else
		g_snprintf(out, ADDR_TEXT, "%s:%u", ip, nice_address_get_port(a));
}

static const char *state_name(NiceComponentState s)
{
	return nice_component_state_to_string(s);
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fputs(
	    "usage: nice_peer (--controlling | --controlled) --local FILE --remote FILE [options]\n"
	    "An ICE peer on libnice (RFC 5245 mode, UDP, unreliable) for interop tests.\n"
	    "\n"
	    "  --controlling | --controlled  ICE role\n"
	    "  --bind ADDR          local address for host candidates (repeatable; needed\n"
	    "                       for loopback, which libnice ignores otherwise)\n"
	    "  --stun ADDR:PORT     STUN server (IP literal) for server-reflexive candidates\n"
	    "  --turn ADDR:PORT     TURN server (UDP) for relayed candidates\n"
	    "  --turn-user USER     TURN long-term credential user\n"
	    "  --turn-pass PASS     TURN long-term credential password\n"
	    "  --force-relay        offer and use relayed candidates only (needs --turn)\n"
	    "  --components N       components in the stream, 1 or 2 (default 1)\n"
	    "  --local FILE         where our description goes once gathering is done\n"
	    "  --remote FILE        the peer's description; waited for until complete\n"
	    "  --messages N         datagrams sent (and expected) per component (default 10)\n"
	    "  --nomination MODE    aggressive (libnice's default) or regular (RFC 8445)\n"
	    "  --timeout SECONDS    give up after this long (default 30)\n"
	    "  --linger MS          stay up this long after success, answering checks\n"
	    "                       (default 500)\n"
	    "  --help               this text\n"
	    "\n"
	    "Description file: a=ice-ufrag:U, a=ice-pwd:P, a=candidate:... (RFC 8839 5.1),\n"
	    "one per line, then a last line \"end\". Datagrams are \"nice C K\" (component C,\n"
	    "number K from 1). Progress goes to stderr, one JSON summary line to stdout;\n"
	    "exit 0 when every component was READY and got N datagrams, else 1.\n"
	    "libnice's own debug output: NICE_DEBUG=all G_MESSAGES_DEBUG=all.\n",
	    f);
}

static int parse_uint(const char *name, const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "nice_peer: %s \"%s\" is not a number in %u..%u\n", name, s, min,
			max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* Splits "ADDR:PORT" or "[V6]:PORT" into an IP literal and a port. */
static int parse_hostport(const char *name, const char *s, char ip[INET6_ADDRSTRLEN],
			  unsigned *port)
{
	const char *colon = strrchr(s, ':');
	const char *start = s;
	size_t n;
	NiceAddress a;

	if (!colon) {
		fprintf(stderr, "nice_peer: %s \"%s\" has no :PORT\n", name, s);
		return -1;
	}
	n = (size_t)(colon - s);
	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		start = s + 1;
		n -= 2;
	}
	if (n == 0 || n >= INET6_ADDRSTRLEN) {
		fprintf(stderr, "nice_peer: %s \"%s\" has no valid address\n", name, s);
		return -1;
	}
	memcpy(ip, start, n);
	ip[n] = '\0';
	if (!nice_address_set_from_string(&a, ip)) {
		fprintf(stderr, "nice_peer: %s \"%s\": \"%s\" is not an IP address\n", name, s, ip);
		return -1;
	}
	return parse_uint(name, colon + 1, 1, 65535, port);
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
	OPT_COMPONENTS,
	OPT_LOCAL,
	OPT_REMOTE,
	OPT_MESSAGES,
	OPT_NOMINATION,
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
    {"components", required_argument, NULL, OPT_COMPONENTS},
    {"local", required_argument, NULL, OPT_LOCAL},
    {"remote", required_argument, NULL, OPT_REMOTE},
    {"messages", required_argument, NULL, OPT_MESSAGES},
    {"nomination", required_argument, NULL, OPT_NOMINATION},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"linger", required_argument, NULL, OPT_LINGER},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int set_role(struct opts *o, int controlling)
{
	if (o->controlling != -1 && o->controlling != controlling) {
		fputs("nice_peer: --controlling and --controlled exclude each other\n", stderr);
		return -1;
	}
	o->controlling = controlling;
	return 0;
}

static int set_nomination(struct opts *o, const char *s)
{
	if (strcmp(s, "aggressive") == 0) {
		o->regular_nomination = FALSE;
		return 0;
	}
	if (strcmp(s, "regular") == 0) {
		o->regular_nomination = TRUE;
		return 0;
	}
	fprintf(stderr, "nice_peer: --nomination \"%s\" is neither aggressive nor regular\n", s);
	return -1;
}

static int add_bind(struct opts *o, const char *s)
{
	NiceAddress a;

	if (!nice_address_set_from_string(&a, s)) {
		fprintf(stderr, "nice_peer: --bind \"%s\" is not an IP address\n", s);
		return -1;
	}
	if (o->n_bind == MAX_BINDS) {
		fprintf(stderr, "nice_peer: --bind given more than %d times\n", MAX_BINDS);
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
		o->force_relay = TRUE;
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
		return set_nomination(o, arg);
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

static int check_opts(const struct opts *o)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned port;

	if (o->controlling == -1) {
		fputs("nice_peer: give --controlling or --controlled\n", stderr);
		return -1;
	}
	if (!o->local_path || !o->remote_path) {
		fputs("nice_peer: --local FILE and --remote FILE are required\n", stderr);
		return -1;
	}
	if (o->stun && parse_hostport("--stun", o->stun, ip, &port) < 0)
		return -1;
	if (o->turn && parse_hostport("--turn", o->turn, ip, &port) < 0)
		return -1;
	if (o->turn && (!o->turn_user || !o->turn_pass)) {
		fputs("nice_peer: --turn needs --turn-user and --turn-pass\n", stderr);
		return -1;
	}
	if (o->force_relay && !o->turn) {
		fputs("nice_peer: --force-relay needs --turn\n", stderr);
		return -1;
	}
	return 0;
}

/* 0 to run, 1 after --help, -1 on a usage error (already reported). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c, r;

	*o = (struct opts){
	    .controlling = -1, .components = 1, .messages = 10, .timeout_s = 30, .linger_ms = 500};
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		r = take_opt(o, c, optarg);
		if (r != 0)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "nice_peer: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	return check_opts(o);
}

/* ---- our description ---- */

static gboolean append_candidates(struct peer *p, guint comp, GString *out)
{
	GSList *cands = nice_agent_get_local_candidates(p->agent, p->stream, comp);
	gboolean any = FALSE;

	for (GSList *l = cands; l; l = l->next) {
		char *line = nice_agent_generate_local_candidate_sdp(p->agent, l->data);

		say(p, "local  %s", line);
		g_string_append_printf(out, "%s\n", line);
		g_free(line);
		any = TRUE;
	}
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	return any;
}

/* Writes FILE.tmp and renames it, so that the reader never sees half a file. */
static int write_local(struct peer *p)
{
	gchar *ufrag = NULL, *pwd = NULL, *tmp;
	GString *out = g_string_new(NULL);
	GError *err = NULL;
	int rc = 0;

	if (!nice_agent_get_local_credentials(p->agent, p->stream, &ufrag, &pwd)) {
		g_string_free(out, TRUE);
		return -EINVAL;
	}
	g_string_append_printf(out, "a=ice-ufrag:%s\na=ice-pwd:%s\n", ufrag, pwd);
	for (guint c = 1; c <= p->o.components; c++) {
		if (!append_candidates(p, c, out)) {
			fail(p, "no local candidate for component %u%s", c,
			     p->o.force_relay ? " (TURN allocation failed?)" : "");
			rc = -ENOENT;
		}
	}
	g_string_append(out, "end\n");
	tmp = g_strdup_printf("%s.tmp", p->o.local_path);
	if (rc == 0 && (!g_file_set_contents(tmp, out->str, (gssize)out->len, &err) ||
			rename(tmp, p->o.local_path) < 0)) {
		fail(p, "cannot write %s: %s", p->o.local_path,
		     err ? err->message : g_strerror(errno));
		rc = -EIO;
	}
	g_clear_error(&err);
	g_free(tmp);
	g_free(ufrag);
	g_free(pwd);
	g_string_free(out, TRUE);
	return rc;
}

/* ---- the peer's description ---- */

struct remote {
	char *ufrag;
	char *pwd;
	GSList *cands[MAX_COMPONENTS];
	gboolean complete; /* "end" seen */
};

static void remote_clear(struct remote *r)
{
	g_free(r->ufrag);
	g_free(r->pwd);
	for (int i = 0; i < MAX_COMPONENTS; i++)
		g_slist_free_full(r->cands[i], (GDestroyNotify)nice_candidate_free);
}

static int take_candidate(struct peer *p, struct remote *r, unsigned lineno, const char *line)
{
	NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(p->agent, p->stream, line);

	if (!c) {
		fail(p, "%s line %u: libnice rejects the candidate \"%s\"", p->o.remote_path,
		     lineno, line);
		return -EINVAL;
	}
	if (c->component_id < 1 || c->component_id > p->o.components) {
		fail(p, "%s line %u: component %u, but the stream has %u", p->o.remote_path, lineno,
		     c->component_id, p->o.components);
		nice_candidate_free(c);
		return -EINVAL;
	}
	say(p, "remote %s", line);
	r->cands[c->component_id - 1] = g_slist_append(r->cands[c->component_id - 1], c);
	return 0;
}

/* One line of the description; unknown lines are errors so that a peer's mistakes show. */
static int take_line(struct peer *p, struct remote *r, unsigned lineno, const char *line)
{
	if (g_str_has_prefix(line, "a=ice-ufrag:") && !r->ufrag) {
		r->ufrag = g_strdup(line + strlen("a=ice-ufrag:"));
		return 0;
	}
	if (g_str_has_prefix(line, "a=ice-pwd:") && !r->pwd) {
		r->pwd = g_strdup(line + strlen("a=ice-pwd:"));
		return 0;
	}
	if (g_str_has_prefix(line, "a=candidate:"))
		return take_candidate(p, r, lineno, line);
	fail(p, "%s line %u: unexpected line \"%s\"", p->o.remote_path, lineno, line);
	return -EINVAL;
}

static int parse_remote(struct peer *p, const char *text, struct remote *r)
{
	gchar **lines = g_strsplit(text, "\n", -1);
	int rc = 0;
	unsigned i;

	for (i = 0; lines[i] && rc == 0 && !r->complete; i++) {
		g_strchomp(lines[i]); /* also drops a CR of CRLF */
		if (lines[i][0] == '\0')
			continue;
		if (strcmp(lines[i], "end") == 0)
			r->complete = TRUE;
		else
			rc = take_line(p, r, i + 1, lines[i]);
	}
	g_strfreev(lines);
	return rc;
}

static int check_remote(struct peer *p, const struct remote *r)
{
	if (!r->ufrag || !r->pwd || !r->ufrag[0] || !r->pwd[0]) {
		fail(p, "%s has no a=ice-ufrag or a=ice-pwd", p->o.remote_path);
		return -EINVAL;
	}
	for (unsigned c = 1; c <= p->o.components; c++) {
		if (!r->cands[c - 1]) {
			fail(p, "%s has no candidate for component %u", p->o.remote_path, c);
			return -EINVAL;
		}
	}
	return 0;
}

static int apply_remote(struct peer *p, const struct remote *r)
{
	if (!nice_agent_set_remote_credentials(p->agent, p->stream, r->ufrag, r->pwd)) {
		fail(p, "libnice refuses the remote credentials");
		return -EINVAL;
	}
	for (unsigned c = 1; c <= p->o.components; c++) {
		int n = nice_agent_set_remote_candidates(p->agent, p->stream, c, r->cands[c - 1]);

		if (n < 1) {
			fail(p, "libnice takes no remote candidate for component %u", c);
			return -EINVAL;
		}
		say(p, "component %u: %d remote candidates set", c, n);
	}
	return 0;
}

/* 1 when the description was complete and is now in the agent, 0 to look again later. */
static int read_remote(struct peer *p)
{
	gchar *text = NULL;
	struct remote r = {0};
	int rc;

	if (!g_file_get_contents(p->o.remote_path, &text, NULL, NULL))
		return 0;
	rc = parse_remote(p, text, &r);
	if (rc == 0 && !r.complete) {
		remote_clear(&r);
		g_free(text);
		return 0;
	}
	if (rc == 0)
		rc = check_remote(p, &r);
	if (rc == 0)
		rc = apply_remote(p, &r);
	remote_clear(&r);
	g_free(text);
	return rc < 0 ? rc : 1;
}

static gboolean on_poll_remote(gpointer data)
{
	struct peer *p = data;
	int rc = read_remote(p);

	if (rc == 0)
		return G_SOURCE_CONTINUE;
	p->poll_id = 0;
	if (rc > 0) {
		p->remote_set = TRUE;
		say(p, "remote description read from %s; checks start", p->o.remote_path);
	}
	return G_SOURCE_REMOVE;
}

/* ---- completion ---- */

static gboolean comp_done(const struct peer *p, const struct comp *c)
{
	return c->ready && c->sent == p->o.messages && c->received == p->o.messages;
}

static gboolean on_linger_end(gpointer data)
{
	struct peer *p = data;

	p->linger_id = 0;
	g_main_loop_quit(p->loop);
	return G_SOURCE_REMOVE;
}

static void check_done(struct peer *p)
{
	if (p->succeeded || p->failure)
		return;
	for (unsigned i = 0; i < p->o.components; i++) {
		if (!comp_done(p, &p->comp[i]))
			return;
	}
	p->succeeded = TRUE;
	say(p,
	    "done: every component READY, %u datagrams sent and received on each; lingering "
	    "%u ms",
	    p->o.messages, p->o.linger_ms);
	p->linger_id = g_timeout_add(p->o.linger_ms, on_linger_end, p);
}

/* ---- sending and receiving ---- */

/* Sends message number c->sent + 1 on c; FALSE when it would block (retried next tick). */
static gboolean send_next(struct peer *p, struct comp *c)
{
	char msg[MSG_MAX];
	int len = g_snprintf(msg, sizeof(msg), "nice %u %u", c->id, c->sent + 1);
	gint n = nice_agent_send(p->agent, p->stream, c->id, (guint)len, msg);

	if (n != len)
		return FALSE;
	c->sent++;
	return TRUE;
}

static gboolean on_send_tick(gpointer data)
{
	struct peer *p = data;
	gboolean more = FALSE;

	for (unsigned i = 0; i < p->o.components; i++) {
		struct comp *c = &p->comp[i];

		if (c->sent < p->o.messages)
			send_next(p, c);
		more = more || c->sent < p->o.messages;
	}
	if (more)
		return G_SOURCE_CONTINUE;
	p->send_id = 0;
	say(p, "sent %u datagrams on each component", p->o.messages);
	check_done(p);
	return G_SOURCE_REMOVE;
}

static void start_sending(struct peer *p)
{
	if (p->sending)
		return;
	for (unsigned i = 0; i < p->o.components; i++) {
		if (!p->comp[i].ready)
			return;
	}
	p->sending = TRUE;
	say(p, "every component READY; sending %u datagrams on each", p->o.messages);
	if (p->o.messages == 0) {
		check_done(p);
		return;
	}
	p->send_id = g_timeout_add(SEND_MS, on_send_tick, p);
}

/* Parses "nice C K" exactly; 0 or -EBADMSG. */
static int parse_msg(const void *buf, size_t len, unsigned *comp, unsigned *seq)
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

static void count_msg(struct peer *p, struct comp *c, const gchar *buf, guint len)
{
	unsigned comp, seq;

	if (parse_msg(buf, len, &comp, &seq) < 0 || comp != c->id || seq < 1 ||
	    seq > p->o.messages) {
		c->malformed++;
		say(p, "component %u: unexpected datagram of %u bytes", c->id, len);
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
}

static void on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
		    gpointer data)
{
	struct peer *p = data;

	(void)agent;
	if (stream != p->stream || comp < 1 || comp > p->o.components)
		return;
	count_msg(p, &p->comp[comp - 1], buf, len);
	check_done(p);
}

/* ---- agent signals ---- */

static void print_pair(struct peer *p, struct comp *c)
{
	NiceCandidate *l = NULL, *r = NULL;
	char la[ADDR_TEXT], ra[ADDR_TEXT];

	if (c->printed || !nice_agent_get_selected_pair(p->agent, p->stream, c->id, &l, &r))
		return;
	addr_text(&l->addr, la);
	addr_text(&r->addr, ra);
	say(p, "component %u READY: selected pair local %s %s <-> remote %s %s", c->id, la,
	    nice_candidate_type_to_string(l->type), ra, nice_candidate_type_to_string(r->type));
	c->printed = TRUE;
}

static void on_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer data)
{
	struct peer *p = data;
	struct comp *c;

	(void)agent;
	if (stream != p->stream || comp < 1 || comp > p->o.components)
		return;
	c = &p->comp[comp - 1];
	c->state = state;
	say(p, "component %u: %s", comp, state_name(state));
	if (state == NICE_COMPONENT_STATE_FAILED && !p->succeeded) {
		fail(p, "component %u reached FAILED (connectivity checks failed)", comp);
		return;
	}
	if (state != NICE_COMPONENT_STATE_READY)
		return;
	c->ready = TRUE;
	print_pair(p, c);
	start_sending(p);
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
	struct peer *p = data;

	(void)agent;
	if (stream != p->stream || p->gathered)
		return;
	p->gathered = TRUE;
	say(p, "gathering done");
	if (write_local(p) < 0)
		return;
	say(p, "description written to %s; waiting for %s", p->o.local_path, p->o.remote_path);
	if (!on_poll_remote(p))
		return;
	p->poll_id = g_timeout_add(POLL_MS, on_poll_remote, p);
}

static const char *waiting_for(const struct peer *p)
{
	if (!p->gathered)
		return "candidate gathering";
	if (!p->remote_set)
		return "the remote description";
	for (unsigned i = 0; i < p->o.components; i++) {
		if (!p->comp[i].ready)
			return "READY on every component";
	}
	return "datagrams from the peer";
}

static gboolean on_timeout(gpointer data)
{
	struct peer *p = data;
	GString *s = g_string_new(NULL);

	p->timeout_id = 0;
	for (unsigned i = 0; i < p->o.components; i++) {
		const struct comp *c = &p->comp[i];

		g_string_append_printf(s, "; component %u %s, sent %u, received %u/%u", c->id,
				       state_name(c->state), c->sent, c->received, p->o.messages);
	}
	fail(p, "timeout after %u s waiting for %s%s", p->o.timeout_s, waiting_for(p), s->str);
	g_string_free(s, TRUE);
	return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer data)
{
	struct peer *p = data;

	fail(p, "interrupted by a signal");
	return G_SOURCE_CONTINUE;
}

/* ---- agent set-up ---- */

static NiceAgent *make_agent(const struct opts *o)
{
	NiceAgentOption flags =
	    o->regular_nomination ? NICE_AGENT_OPTION_REGULAR_NOMINATION : NICE_AGENT_OPTION_NONE;
	NiceAgent *a = nice_agent_new_full(NULL, NICE_COMPATIBILITY_RFC5245, flags);
	char ip[INET6_ADDRSTRLEN];
	unsigned port;

	g_object_set(a, "controlling-mode", o->controlling ? TRUE : FALSE, "ice-tcp", FALSE,
		     "ice-udp", TRUE, "upnp", FALSE, "force-relay", o->force_relay, NULL);
	if (o->stun && parse_hostport("--stun", o->stun, ip, &port) == 0)
		g_object_set(a, "stun-server", ip, "stun-server-port", port, NULL);
	return a;
}

static int add_binds(struct peer *p)
{
	for (unsigned i = 0; i < p->o.n_bind; i++) {
		NiceAddress a;

		nice_address_init(&a);
		if (!nice_address_set_from_string(&a, p->o.bind[i]) ||
		    !nice_agent_add_local_address(p->agent, &a)) {
			fail(p, "libnice refuses the local address %s", p->o.bind[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int set_turn(struct peer *p, guint comp)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned port;

	if (!p->o.turn)
		return 0;
	if (parse_hostport("--turn", p->o.turn, ip, &port) < 0 ||
	    !nice_agent_set_relay_info(p->agent, p->stream, comp, ip, port, p->o.turn_user,
				       p->o.turn_pass, NICE_RELAY_TYPE_TURN_UDP)) {
		fail(p, "libnice refuses the TURN server %s", p->o.turn);
		return -EINVAL;
	}
	return 0;
}

static int setup_stream(struct peer *p)
{
	GMainContext *ctx = g_main_loop_get_context(p->loop);

	p->stream = nice_agent_add_stream(p->agent, p->o.components);
	if (p->stream == 0) {
		fail(p, "nice_agent_add_stream failed");
		return -EINVAL;
	}
	for (guint c = 1; c <= p->o.components; c++) {
		struct comp *pc = &p->comp[c - 1];

		pc->id = c;
		pc->state = NICE_COMPONENT_STATE_DISCONNECTED;
		pc->seen = g_malloc0(p->o.messages + 1);
		if (set_turn(p, c) < 0)
			return -EINVAL;
		nice_agent_attach_recv(p->agent, p->stream, c, ctx, on_recv, p);
	}
	return 0;
}

static int start(struct peer *p)
{
	p->agent = make_agent(&p->o);
	g_signal_connect(p->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), p);
	g_signal_connect(p->agent, "component-state-changed", G_CALLBACK(on_state), p);
	if (add_binds(p) < 0 || setup_stream(p) < 0)
		return -EINVAL;
	say(p, "gathering (%u component%s, nomination %s%s)", p->o.components,
	    p->o.components > 1 ? "s" : "", p->o.regular_nomination ? "regular" : "aggressive",
	    p->o.force_relay ? ", relay only" : "");
	if (!nice_agent_gather_candidates(p->agent, p->stream)) {
		fail(p, "candidate gathering cannot start (no usable local address?)");
		return -EINVAL;
	}
	return 0;
}

/* Runs as the loop's first callback, since libnice may signal gathering done (and so
 * fail) from inside nice_agent_gather_candidates. */
static gboolean on_start(gpointer data)
{
	struct peer *p = data;

	start(p);
	return G_SOURCE_REMOVE;
}

/* ---- summary and teardown ---- */

static json_t *comp_json(const struct peer *p, const struct comp *c)
{
	NiceCandidate *l = NULL, *r = NULL;
	char la[ADDR_TEXT], ra[ADDR_TEXT];
	json_t *j = json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)c->id, "state",
			      state_name(c->state), "sent", (json_int_t)c->sent, "received",
			      (json_int_t)c->received);

	if (c->duplicates)
		json_object_set_new(j, "duplicates", json_integer(c->duplicates));
	if (c->malformed)
		json_object_set_new(j, "malformed", json_integer(c->malformed));
	if (!p->agent || !c->ready ||
	    !nice_agent_get_selected_pair(p->agent, p->stream, c->id, &l, &r))
		return j;
	addr_text(&l->addr, la);
	addr_text(&r->addr, ra);
	json_object_set_new(j, "local", json_string(la));
	json_object_set_new(j, "local_type", json_string(nice_candidate_type_to_string(l->type)));
	json_object_set_new(j, "remote", json_string(ra));
	json_object_set_new(j, "remote_type", json_string(nice_candidate_type_to_string(r->type)));
	return j;
}

static void print_summary(const struct peer *p)
{
	json_t *comps = json_array();
	json_t *j;
	char *text;

	for (unsigned i = 0; i < p->o.components && p->comp[i].id; i++)
		json_array_append_new(comps, comp_json(p, &p->comp[i]));
	j = json_pack("{s:b, s:s, s:o, s:I}", "ok", p->succeeded, "role",
		      p->o.controlling ? "controlling" : "controlled", "components", comps,
		      "elapsed_ms", (json_int_t)((g_get_monotonic_time() - p->t0_us) / 1000));
	if (p->failure)
		json_object_set_new(j, "reason", json_string(p->failure));
	text = json_dumps(j, JSON_COMPACT);
	printf("%s\n", text);
	fflush(stdout);
	free(text);
	json_decref(j);
}

static void remove_source(guint *id)
{
	if (*id)
		g_source_remove(*id);
	*id = 0;
}

static void on_closed(GObject *src, GAsyncResult *res, gpointer data)
{
	(void)src;
	(void)res;
	*(gboolean *)data = TRUE;
}

/* Releases TURN allocations (RFC 5766 refresh with lifetime 0), waiting a bounded time. */
static void close_agent(struct peer *p)
{
	gboolean closed = FALSE;
	gint64 deadline = g_get_monotonic_time() + CLOSE_WAIT_MS * 1000;
	GMainContext *ctx = g_main_loop_get_context(p->loop);

	nice_agent_close_async(p->agent, on_closed, &closed);
	while (!closed && g_get_monotonic_time() < deadline) {
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	}
	if (!closed)
		say(p, "agent close did not finish within %d ms", CLOSE_WAIT_MS);
}

static void teardown(struct peer *p)
{
	remove_source(&p->timeout_id);
	remove_source(&p->poll_id);
	remove_source(&p->send_id);
	remove_source(&p->linger_id);
	remove_source(&p->sig_ids[0]);
	remove_source(&p->sig_ids[1]);
	if (p->agent) {
		close_agent(p);
		g_object_unref(p->agent);
	}
	for (int i = 0; i < MAX_COMPONENTS; i++)
		g_free(p->comp[i].seen);
	g_free(p->failure);
	g_main_loop_unref(p->loop);
}

int main(int argc, char **argv)
{
	struct peer p = {0};
	int rc = parse_opts(argc, argv, &p.o);
	gboolean ok;

	if (rc > 0) {
		usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fputs("nice_peer: see --help\n", stderr);
		return 2;
	}
	p.t0_us = g_get_monotonic_time();
	p.loop = g_main_loop_new(NULL, FALSE);
	p.timeout_id = g_timeout_add_seconds(p.o.timeout_s, on_timeout, &p);
	p.sig_ids[0] = g_unix_signal_add(SIGINT, on_signal, &p);
	p.sig_ids[1] = g_unix_signal_add(SIGTERM, on_signal, &p);
	g_idle_add(on_start, &p);
	g_main_loop_run(p.loop);
	print_summary(&p);
	ok = p.succeeded;
	teardown(&p);
	return ok ? 0 : 1;
}
