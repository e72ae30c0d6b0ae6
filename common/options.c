/* A daemon's options driver over its option table: getopt_long, then the configuration file,
 * and the keys a reload finds changed. Not the file format (config.c), nor any option's meaning. */
#include "common/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *options_name(const struct options_daemon *d, int id)
{
	int i = config_option_index(d->opts, d->nopts, id);

	return i < 0 ? "?" : d->opts[i].name;
}

/* getopt_long's '?': an unknown option or one without its value. */
static void say_rejected(const struct options_daemon *d, char **argv)
{
	if (!d->own_errors)
		return; /* getopt_long said it */
	if (optopt)
		fprintf(stderr, "%s: option \"%s\" needs a value\n", d->prog, argv[optind - 1]);
	else
		fprintf(stderr, "%s: unknown option \"%s\" (try --help)\n", d->prog,
			argv[optind - 1]);
}

/* --config and --check-config into s, any other option into o. */
static int apply(const struct options_daemon *d, struct options_source *s, void *o, int id,
		 const char *arg)
{
	if (id == d->config_id) {
		s->config_path = arg;
		s->config_explicit = true;
		return 0;
	}
	if (id == d->check_id) {
		s->check_only = true;
		return 0;
	}
	return d->apply(o, id, arg);
}

/* One option from the command line into o, remembered in s. */
static int take(const struct options_daemon *d, struct options_source *s, void *o, int c,
		const char *arg)
{
	config_why_take();
	if (apply(d, s, o, c, arg)) {
		const char *why = config_why_take();
		fprintf(stderr, "%s: --%s%s%s\n", d->prog, options_name(d, c), d->sep,
			why[0] ? why : d->bad);
		return -EINVAL;
	}
	s->cmdline[s->ncmdline++] = (struct options_arg){c, arg};
	s->on_cmdline[config_option_index(d->opts, d->nopts, c)] = true;
	return 0;
}

static int options_command_line(const struct options_daemon *d, struct options_source *s, void *o,
				int argc, char **argv)
{
	struct option lo[OPTIONS_MAX + 1];
	int c;

	if (d->nopts > OPTIONS_MAX)
		return -EINVAL;
	config_getopt_table(d->opts, d->nopts, lo);
	s->cmdline = calloc((size_t)argc, sizeof(*s->cmdline));
	if (!s->cmdline)
		return -ENOMEM;
	if (d->own_errors)
		opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
		if (c == 'h') {
			d->usage(stdout);
			return 1;
		}
		if (c == 'V') {
			printf("%s %s\n", d->prog, HIPSIP_VERSION);
			return 1;
		}
		if (c == '?') {
			say_rejected(d, argv);
			return -EINVAL;
		}
		if (take(d, s, o, c, optarg))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", d->prog, argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* s's file into o (keys the command line set are skipped). A default path that does not exist is
 * no file; an explicit one is an error. */
static int load_file(const struct options_daemon *d, struct options_source *s, void *o, char *err,
		     size_t len)
{
	struct config_file *f = &s->file;
	int rc;

	memset(f, 0, sizeof(*f));
	if (!s->config_path)
		return 0;
	rc = config_parse_file(s->config_path, d->opts, d->nopts, f, err, len);
	if (rc == -ENOENT && !s->config_explicit)
		return 0;
	if (rc)
		return rc;
	return config_apply(f, d->opts, s->on_cmdline, d->apply, o, err, len);
}

static int options_load(const struct options_daemon *d, struct options_source *s, void *o,
			const char *def, char *err, size_t len)
{
	int rc;

	if (!s->config_explicit)
		s->config_path = def;
	rc = load_file(d, s, o, err, len);
	if (rc)
		return rc;
	for (size_t i = 0; i < d->nopts; i++)
		s->baseline[i] = config_value_of(&s->file, d->opts, i);
	return 0;
}

int options_start(const struct options_daemon *d, struct options_source *s, void *o, int argc,
		  char **argv, const char *def)
{
	char err[512];
	int rc;

	rc = options_command_line(d, s, o, argc, argv);
	if (rc)
		return rc;
	if (options_load(d, s, o, def, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", d->prog, err);
		return -EINVAL;
	}
	return 0;
}

int options_check(const struct options_daemon *d, void *o, char *err, size_t len)
{
	config_why_take();
	if (!d->check(o))
		return 0;
	snprintf(err, len, "%s", config_why_take());
	return -EINVAL;
}

int options_reread(const struct options_daemon *d, const struct options_source *old,
		   struct options_source *ns, void *n, char *err, size_t len)
{
	ns->config_path = old->config_path;
	ns->config_explicit = old->config_explicit;
	memcpy(ns->on_cmdline, old->on_cmdline, sizeof(ns->on_cmdline));
	if (load_file(d, ns, n, err, len))
		return -EINVAL;
	for (size_t i = 0; i < old->ncmdline; i++) {
		const struct options_arg *a = &old->cmdline[i];
		config_why_take();
		if (apply(d, ns, n, a->id, a->arg)) {
			snprintf(err, len, "--%s%s%s", options_name(d, a->id), d->sep,
				 config_why_take());
			return -EINVAL;
		}
	}
	return 0;
}

static bool same_value(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

void options_changes(const struct options_daemon *d, struct options_source *s,
		     const struct config_file *file, options_changed_fn fn, void *arg)
{
	for (size_t i = 0; i < d->nopts; i++) {
		const struct config_option *opt = &d->opts[i];
		if ((opt->flags & CONFIG_CMDLINE_ONLY) || s->on_cmdline[i])
			continue;
		char *v = config_value_of(file, d->opts, i);
		if (same_value(v, s->baseline[i])) {
			free(v);
			continue;
		}
		if (!(opt->flags & CONFIG_RUNTIME)) { /* keeps its value until a restart */
			fn(arg, opt, false);
			free(v);
			continue;
		}
		fn(arg, opt, true);
		free(s->baseline[i]);
		s->baseline[i] = v;
	}
}

void options_source_free(const struct options_daemon *d, struct options_source *s)
{
	for (size_t i = 0; i < d->nopts; i++)
		free(s->baseline[i]);
	config_file_free(&s->file);
	free(s->cmdline);
	memset(s, 0, sizeof(*s));
}
