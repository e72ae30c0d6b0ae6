/* The verb table of a command line (hipconf, p2psipctl): the help list, finding the verb named
 * by the first words, argument counts, usage errors. Not the verbs, handlers or options. */
#ifndef HIPSIP_CLI_VERBS_H
#define HIPSIP_CLI_VERBS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_MAX_WORDS 4

/* A verb as the table describes it, its handler aside (the tool's row adds that). */
struct cli_verb {
	const char *words[CLI_MAX_WORDS]; /* the words that name it: "daemon", "add", "map" */
	const char *synopsis;		  /* its arguments: "HIT [LOCATOR]", "" for none */
	int min_args, max_args;
	const char *help; /* one line for --help */
};

/* Row i of the tool's table. */
typedef const struct cli_verb *(*cli_row_fn)(size_t i);

/* "PROG: MESSAGE" and a newline on stderr. */
void cli_vusage_error(const char *prog, const char *fmt, va_list ap);

/* The "Commands:" list of --help, one aligned line per verb: usage, then help. */
void cli_print_verbs(FILE *f, size_t n, cli_row_fn row);

/* The row whose words begin argv, or -1 after printing that the command is unknown or
 * incomplete. *nwords: how many of argv are the verb's words. */
int cli_find_verb(const char *prog, size_t n, cli_row_fn row, int argc, char **argv, int *nwords);

/* 0 when argc arguments suit v, else -1 after printing what is missing or extra. */
int cli_check_arg_count(const char *prog, const struct cli_verb *v, int argc, char **argv);

#endif
