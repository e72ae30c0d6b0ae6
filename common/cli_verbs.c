/* A command line's verb table: help lines from it, the verb named by the first words, argument
 * counts with messages that name the missing or extra one. Not option parsing (each tool's). */
#include "common/cli_verbs.h"

#include <stdarg.h>
#include <string.h>

void cli_vusage_error(const char *prog, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vusage_error(prog, fmt, ap);
	va_end(ap);
}

static int nwords(const struct cli_verb *v)
{
	int n = 0;

	while (n < CLI_MAX_WORDS && v->words[n])
		n++;
	return n;
}

/* n words of argv joined by spaces. */
static void join_words(int n, const char *const *words, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "", words[i]);
}

/* "daemon add map HIT LOCATOR" */
static void verb_usage(const struct cli_verb *v, char *buf, size_t len)
{
	join_words(nwords(v), v->words, buf, len);
	if (v->synopsis[0])
		snprintf(buf + strlen(buf), len - strlen(buf), " %s", v->synopsis);
}

void cli_print_verbs(FILE *f, size_t n, cli_row_fn row)
{
	char u[128];
	int w = 0;

	for (size_t i = 0; i < n; i++) {
		verb_usage(row(i), u, sizeof(u));
		if ((int)strlen(u) > w)
			w = (int)strlen(u);
	}
	for (size_t i = 0; i < n; i++) {
		verb_usage(row(i), u, sizeof(u));
		fprintf(f, "  %-*s  %s\n", w, u, row(i)->help);
	}
}

/* How many leading words of argv the verb v matches. */
static int match_len(const struct cli_verb *v, int argc, char **argv)
{
	int n = 0;

	while (n < nwords(v) && n < argc && strcmp(v->words[n], argv[n]) == 0)
		n++;
	return n;
}

int cli_find_verb(const char *prog, size_t n, cli_row_fn row, int argc, char **argv, int *nw)
{
	char words[256];
	int best = 0;

	for (size_t i = 0; i < n; i++) {
		int m = match_len(row(i), argc, argv);
		if (m == nwords(row(i))) {
			*nw = m;
			return (int)i;
		}
		best = m > best ? m : best;
	}
	if (best == argc) {
		join_words(argc, (const char *const *)argv, words, sizeof(words));
		usage_error(prog, "incomplete command \"%s\" (try \"%s --help\")", words, prog);
	} else {
		join_words(best + 1, (const char *const *)argv, words, sizeof(words));
		usage_error(prog, "unknown command \"%s\" (try \"%s --help\")", words, prog);
	}
	return -1;
}

/* The n-th word of the synopsis without brackets ("HIT [LOCATOR]" -> "LOCATOR" for n = 1). */
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
	if (buf[0] == '[')
		memmove(buf, buf + 1, strlen(buf));
	if (buf[0] && buf[strlen(buf) - 1] == ']')
		buf[strlen(buf) - 1] = '\0';
}

int cli_check_arg_count(const char *prog, const struct cli_verb *v, int argc, char **argv)
{
	char u[128], word[64];

	if (argc >= v->min_args && argc <= v->max_args)
		return 0;
	verb_usage(v, u, sizeof(u));
	if (argc < v->min_args) {
		synopsis_word(v->synopsis, argc, word, sizeof(word));
		usage_error(prog, "missing %s (usage: %s %s)", word, prog, u);
	} else {
		usage_error(prog, "unexpected argument \"%s\" (usage: %s %s)", argv[v->max_args],
			    prog, u);
	}
	return -1;
}
