/* A daemon's options driver over its option table: getopt_long, then the configuration file,
 * and the keys a reload finds changed. Not the file format (config.c), nor any option's meaning. */
#ifndef HIPSIP_OPTIONS_H
#define HIPSIP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/config.h"

/* The most options a daemon's table has. */
#define OPTIONS_MAX 64

/* One daemon: its table, its handler and how it words its messages. */
struct options_daemon {
	const char *prog; /* "hipd": the messages' prefix and --version's name */
	const struct config_option *opts;
	size_t nopts;
	int config_id, check_id; /* --config and --check-config: the driver takes them */
	config_apply_fn apply;	 /* every other option */
	void (*usage)(FILE *f);	 /* --help */
	int (*check)(void *o);	 /* checks across options: 0, or -EINVAL after config_why() */
	const char *sep;	 /* between "--NAME" and the reason */
	const char *bad;	 /* the reason when the handler gives none */
	bool own_errors;	 /* say what getopt_long rejects ourselves, not getopt's words */
};

/* One option the command line gave. */
struct options_arg {
	int id;
	const char *arg;
};

/* Where a daemon's options came from, kept for reload. */
struct options_source {
	const char *config_path;      /* NULL: no file */
	bool config_explicit;	      /* --config given: the file must exist */
	bool check_only;	      /* --check-config */
	bool on_cmdline[OPTIONS_MAX]; /* by index in the table */
	struct options_arg *cmdline;  /* replayed on reload, in order */
	size_t ncmdline;
	struct config_file file;     /* the file read at start: strings point into it */
	char *baseline[OPTIONS_MAX]; /* each key's value in force as the file gave it */
};

/* The command line into o (d->apply(o, ...)), remembered in s, then the configuration file (def
 * when --config was not given) for the keys the command line did not set, each key's value kept
 * as the baseline. 0, 1 after --help or --version printed its answer, -ENOMEM, or -EINVAL after
 * printing why to stderr. */
int options_start(const struct options_daemon *d, struct options_source *s, void *o, int argc,
		  char **argv, const char *def);

/* d->check on o: 0, or -EINVAL with the reason in err. */
int options_check(const struct options_daemon *d, void *o, char *err, size_t len);

/* Reload: the file old read, then old's command line, into the fresh n whose source is ns.
 * 0, or -EINVAL with "FILE:LINE: reason" or "--NAME reason" in err. */
int options_reread(const struct options_daemon *d, const struct options_source *old,
		   struct options_source *ns, void *n, char *err, size_t len);

/* Called for a key whose value in the new file differs from s's baseline: runtime when the
 * option takes a new value at run time (the baseline then takes the new value). */
typedef void (*options_changed_fn)(void *arg, const struct config_option *opt, bool runtime);

/* Every key the command line did not set whose value file changes, in table order. */
void options_changes(const struct options_daemon *d, struct options_source *s,
		     const struct config_file *file, options_changed_fn fn, void *arg);

void options_source_free(const struct options_daemon *d, struct options_source *s);

#endif
