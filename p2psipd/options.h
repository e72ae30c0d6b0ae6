/* p2psipd's options: one table for the command line and /etc/hipsip/p2psipd.conf, the handler
 * that applies either, and SIGHUP's reload. Not the running node (main.c). */
#ifndef HIPSIP_P2PSIPD_OPTIONS_H
#define HIPSIP_P2PSIPD_OPTIONS_H

#include <netinet/in.h>
#include <stdio.h>

#include "common/config.h"
#include "common/log.h"
#include "common/options.h"
#include "p2psipd/p2psipd_ctl.h"

#define P2PSIPD_DEFAULT_CONFIG		"/etc/hipsip/p2psipd.conf"
#define P2PSIPD_MAX_OPTIONS		48
#define P2PSIPD_DEFAULT_SIP_PEER_PORT	5062 /* SIP_PEER_PORT, checked in main.c */
#define P2PSIPD_DEFAULT_MEDIA_TIMEOUT_S 60   /* B2BUA_MEDIA_TIMEOUT_S, checked in main.c */
#define DEFAULT_LISTEN			"0.0.0.0:6084"
#define DEFAULT_LISTEN_HIP		"[::]:6084"
#define DEFAULT_STATE_DIR		"/var/lib/p2psipd"
#define DEFAULT_SIP_LISTEN		"127.0.0.1:5060"

/* Every option of p2psipd, --config/--help/--version included (CONFIG_CMDLINE_ONLY). */
extern const struct config_option p2psipd_options[];
extern const size_t p2psipd_n_options;

struct p2psipd_opts {
	struct ovl_config ovl;
	const char *state_dir, *identity, *ctl, *stamp, *node;
	enum log_level level;
	struct srvann srv[P2PSIPD_MAX_SRV];
	unsigned n_srv;
	const char *bootstrap; /* parsed once the mode and the port are known */
	char turn_user[128], turn_pass[256];
	bool listen_set;
	/* the B2BUA */
	bool no_sip;
	char sip_addr[INET6_ADDRSTRLEN];
	unsigned sip_port, sip_peer_port, media_min, media_max, timer_c_ms, sip_t1_ms;
	unsigned media_timeout_s;
	const char *sip_domain;
	/* the configuration file */
	struct options_source src; /* --config, the command line, the file */
};

void p2psipd_options_usage(FILE *f);
/* The defaults of every option. */
void p2psipd_options_defaults(struct p2psipd_opts *o);
/* config_apply_fn: option id with value (NULL for a flag) into the struct p2psipd_opts arg. */
int p2psipd_option_apply(void *arg, int id, const char *value);
/* After all options: the mode's default listen address, the bootstrap in the mode's form. 0, or
 * -EINVAL after config_why(). */
int p2psipd_options_finish(struct p2psipd_opts *o);
/* Defaults, the command line, then the configuration file for the keys the command line does
 * not set. 0 to run, 1 after --help, --version or --check-config, -EINVAL after printing why. */
int p2psipd_options_init(struct p2psipd_opts *o, int argc, char **argv);
void p2psipd_options_free(struct p2psipd_opts *o);
/* SIGHUP: reads the file again. A bad file changes nothing (logged with FILE:LINE: reason);
 * a new log-level takes effect, other changed keys are logged as needing a restart. 0 or
 * -EINVAL. */
int p2psipd_options_reload(struct p2psipd_opts *o);

#endif
