/* Configuration files for hipd and p2psipd: `key = value` lines (libinih) whose keys are the
 * daemons' long command-line options, checked against one option table. Not the options' meaning.
 */
#ifndef HIPSIP_CONFIG_H
#define HIPSIP_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* What an option takes: a value, or nothing on the command line (a flag; "true"/"false" in a
 * file). */
enum config_arg {
	CONFIG_VALUE,
	CONFIG_FLAG,
};

enum config_option_flags {
	CONFIG_RUNTIME = 1,	 /* a reload applies a new value at run time */
	CONFIG_REPEAT = 2,	 /* may be given more than once (in a file too) */
	CONFIG_CMDLINE_ONLY = 4, /* --config, --help, --version: not a key in a file */
};

/* One option: --NAME on the command line, "NAME = value" in a file. */
struct config_option {
	const char *name;
	int id; /* getopt_long's value; what the handler switches on */
	enum config_arg arg;
	unsigned flags;	 /* enum config_option_flags */
	const char *def; /* the default, as the example file and the man page show it */
};

/* One key of a file, in file order. value is NULL for a flag set to false. */
struct config_entry {
	const struct config_option *opt;
	char *value;
	int line;
};

struct config_file {
	char *path;
	struct config_entry *e;
	size_t n;
};

/* A file's longest line, with its newline; a longer line is an error. */
#define CONFIG_MAX_LINE 199
/* A file's largest size. */
#define CONFIG_MAX_SIZE (1024 * 1024)

/* Parses text (len bytes, named name in errors) against opts. Every key must name an option
 * that a file may set, once unless CONFIG_REPEAT, and a flag's value must be a boolean (true,
 * false, yes, no, on, off, 1, 0). Returns 0 with *out filled (free it with config_file_free),
 * or -EINVAL with "NAME:LINE: reason" in err. */
int config_parse_string(const char *name, const char *text, size_t len,
			const struct config_option *opts, size_t nopts, struct config_file *out,
			char *err, size_t errlen);
/* The same for a file: -ENOENT (no such file) and other read errors write "PATH: why" in err. */
int config_parse_file(const char *path, const struct config_option *opts, size_t nopts,
		      struct config_file *out, char *err, size_t errlen);
void config_file_free(struct config_file *f);

/* The option a value applies to: returns 0, or a negative errno after calling config_why(). */
typedef int (*config_apply_fn)(void *arg, int id, const char *value);

/* Calls fn for every entry whose option's index in opts is not set in skip (skip may be
 * NULL; skip[i] true means option i came from the command line, which wins). A flag set to
 * false is not applied. Stops at the first error: "NAME:LINE: KEY: reason" in err. */
int config_apply(const struct config_file *f, const struct config_option *opts, const bool *skip,
		 config_apply_fn fn, void *arg, char *err, size_t errlen);

/* Handlers say why a value is bad with config_why (the caller adds where: "hipd: --KEY: " on the
 * command line, "FILE:LINE: KEY: " in a file). config_why_take returns the reason and clears
 * it ("" when none was given). One reason at a time: the daemons are single-threaded. */
void config_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *config_why_take(void);

/* getopt_long's table for opts: out has room for nopts + 1 entries (the last is zeros). */
void config_getopt_table(const struct config_option *opts, size_t nopts, struct option *out);
/* The index of the option with id, or -1. */
int config_option_index(const struct config_option *opts, size_t nopts, int id);
/* The entries' values for option index i joined by '\n' (repeated keys), or NULL when the
 * file does not set it; the caller frees it. */
char *config_value_of(const struct config_file *f, const struct config_option *opts, size_t i);

#endif
