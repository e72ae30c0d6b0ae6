/* hipconf internals: the verb table row, argument checks, daemon calls, output.
 * Not a library for other programs: hipd's protocol is in common/ctl.h. */
#ifndef HIPCONF_H
#define HIPCONF_H

#include <jansson.h>
#include <stdbool.h>

#include "common/cli_verbs.h"
#include "common/ctl_cli.h" /* the exit codes, CTL_EXIT_* */

struct hipconf {
	struct ctl_cli cli; /* the socket, --json, the timeout */
	const char *fault;  /* --fault NAME, for daemon trigger */
	bool wait;	    /* --wait, for daemon trigger */
	bool force;	    /* --force, for daemon del hi */
};

/* One verb: its words, synopsis, argument counts and help line (common/cli_verbs.h) and the
 * handler, which gets only the arguments after the words (their count already checked). */
struct verb {
	struct cli_verb cli;
	int (*run)(struct hipconf *hc, int argc, char **argv);
};

/* args.c: each check prints `hipconf: NAME "value" ...why` and returns -1 when
 * the value is bad, or writes the canonical text form and returns 0. */
#define ADDR_TEXT 46
/* A HIT, or a name that the hosts file (arg_hosts_file, default HOSTS_DEFAULT_PATH) maps to one. */
int arg_hit(const char *name, const char *s, char out[ADDR_TEXT]);
void arg_hosts_file(const char *path);
/* Prints the names of the hosts file, one a line (for completion); nothing if it cannot be read. */
void arg_print_host_names(void);
int arg_locator(const char *name, const char *s, char out[ADDR_TEXT]);
int arg_uint(const char *name, const char *s, long min, long max, long *out);
int arg_one_of(const char *name, const char *s, const char *const *choices);
void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* rpc.c: sends req (stealing it) and returns an exit code. On CTL_EXIT_OK *reply is
 * the daemon's {"ok": true, ...} object, or NULL if --json already printed it. */
int hipconf_call(struct hipconf *hc, json_t *req, json_t **reply);
/* Sends req and prints nothing on success (for verbs that only act). */
int hipconf_act(struct hipconf *hc, json_t *req);

/* output.c */
void print_duration(char *buf, size_t len, long long seconds);
void value_text(const json_t *v, char *buf, size_t len);
struct kv {
	const char *key;
	char value[256];
};
void print_kv_block(const struct kv *rows, int n, const char *indent);
/* rows[n] = key with v as text; returns n + 1. */
int kv_add(struct kv *rows, int n, const char *key, const json_t *v);
/* A field name as a label: "relay_hit" -> "relay hit". */
void label_text(const char *key, char *buf, size_t len);
/* Tables of objects, one column per field; width as printf's: < 0 left-aligned, 0 for the last
 * column (not padded). */
struct column {
	const char *field;
	const char *title;
	int width;
};
void print_table_header(const struct column *cols, size_t n);
void print_table_row(const json_t *o, const struct column *cols, size_t n);
/* The whole array with its header, or the line none when it is empty. */
void print_table(const json_t *rows, const struct column *cols, size_t n, const char *none);

/* complete.c: the hidden --complete mode behind the bash completion. words are what was typed
 * after "hipconf", the last one being completed (may be ""); prints one candidate a line, or
 * the line ":file" when a file name goes there. */
int hipconf_complete(struct hipconf *hc, const struct verb *verbs, size_t n, int argc,
		     char **words);
/* Keyword lists that verbs check against and completion offers (NULL-terminated). */
extern const char *const debug_levels[];
extern const char *const nat_modes[];
extern const char *const hi_kinds[];
extern const char *const hipconf_long_options[];

/* Verb handlers, one file per group. */
int verb_add_map(struct hipconf *hc, int argc, char **argv);
int verb_del_map(struct hipconf *hc, int argc, char **argv);
int verb_get_map(struct hipconf *hc, int argc, char **argv);
int verb_get_ha(struct hipconf *hc, int argc, char **argv);
int verb_trigger(struct hipconf *hc, int argc, char **argv);
int verb_get_dataplane(struct hipconf *hc, int argc, char **argv);
int verb_get_relay(struct hipconf *hc, int argc, char **argv);
int verb_rekey(struct hipconf *hc, int argc, char **argv);
int verb_close(struct hipconf *hc, int argc, char **argv);
int verb_rst(struct hipconf *hc, int argc, char **argv);
int verb_get_hi(struct hipconf *hc, int argc, char **argv);
int verb_new_hi(struct hipconf *hc, int argc, char **argv);
int verb_add_hi(struct hipconf *hc, int argc, char **argv);
int verb_del_hi(struct hipconf *hc, int argc, char **argv);
int verb_get_debug(struct hipconf *hc, int argc, char **argv);
int verb_inc_puzzle(struct hipconf *hc, int argc, char **argv);
int verb_dec_puzzle(struct hipconf *hc, int argc, char **argv);
int verb_set_nat(struct hipconf *hc, int argc, char **argv);
int verb_get_locator(struct hipconf *hc, int argc, char **argv);
int verb_get_status(struct hipconf *hc, int argc, char **argv);
int verb_set_debug(struct hipconf *hc, int argc, char **argv);
int verb_get_puzzle(struct hipconf *hc, int argc, char **argv);
int verb_set_puzzle(struct hipconf *hc, int argc, char **argv);
int verb_get_nat(struct hipconf *hc, int argc, char **argv);
int verb_set_stun(struct hipconf *hc, int argc, char **argv);
int verb_set_turn(struct hipconf *hc, int argc, char **argv);
int verb_set_overlay(struct hipconf *hc, int argc, char **argv);
int verb_get_overlay(struct hipconf *hc, int argc, char **argv);
int verb_reload(struct hipconf *hc, int argc, char **argv);

#endif
