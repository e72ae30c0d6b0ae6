/* hipd's options: one table for the command line and /etc/hipsip/hipd.conf, the handler that
 * applies either, and reload at run time. Not the daemon's life cycle (daemon.c). */
#ifndef HIPSIP_HIPD_OPTIONS_H
#define HIPSIP_HIPD_OPTIONS_H

#include <jansson.h>
#include <stdio.h>

#include "common/config.h"
#include "common/hosts.h"
#include "common/log.h"
#include "common/options.h"
#include "hipd/hipd.h"

#define HIPD_DEFAULT_CONFIG "/etc/hipsip/hipd.conf"
#define HIPD_MAX_OPTIONS    64

/* Every option of hipd, --config/--help/--version included (CONFIG_CMDLINE_ONLY). */
extern const struct config_option hipd_options[];
extern const size_t hipd_n_options;

struct hipd_options {
	struct hipd_config cfg;
	enum log_level level;
	bool use_syslog;
	const char *run_user;	   /* --user: NULL for the default (privsep.h) */
	struct options_source src; /* --config, the command line, the file */
	const char *hosts_path;	   /* NULL: no hosts file */
	bool hosts_explicit;
	struct hosts hosts; /* the hosts file's entries now in the locator map */
};

void hipd_options_usage(FILE *f);

/* Defaults, then the command line, then the configuration file (for the keys the command line
 * does not set), then the hosts file and the checks across options. Returns 0 to run, 1 when
 * --help, --version or --check-config printed its answer, or -EINVAL after printing why to stderr.
 */
int hipd_options_init(struct hipd_options *o, int argc, char **argv);
void hipd_options_free(struct hipd_options *o);

/* config_apply_fn: option id with value (NULL for a flag) into the struct hipd_options arg.
 * 0, or -EINVAL after config_why(). */
int hipd_option_apply(void *arg, int id, const char *value);
/* Checks across options; 0, or -EINVAL after config_why(). */
int hipd_options_check(const struct hipd_options *o);

/* After hipd_start: the hosts file's locators into the locator map. */
void hipd_options_started(struct hipd *h, struct hipd_options *o);

/* Reads the configuration and the hosts file again (SIGHUP, the "reload" command). A bad file
 * changes nothing: {"ok": false, "error": "FILE:LINE: reason"}. Otherwise the changed run-time
 * options take effect and the others are listed as needing a restart: {"ok": true, "applied":
 * [...], "needs_restart": [...], "errors": [...], "hosts_added": N, "hosts_removed": N,
 * "log_level": the level in force, "puzzle_k": K in force}. */
json_t *hipd_options_reload(struct hipd *h);

#endif
