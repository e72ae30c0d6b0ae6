/* Configuration files: libinih reads `key = value` lines, this file checks every key against
 * the daemon's option table and hands values to its handlers. Not the options' meaning. */
#include "common/config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char why_buf[256];

void config_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
}

const char *config_why_take(void)
{
	static char out[sizeof(why_buf)];

	memcpy(out, why_buf, sizeof(out));
	why_buf[0] = '\0';
	return out;
}

/* The reader's state: the text, where it is, the line count and the first error. */
struct parse_state {
	const char *name;
	const char *p, *end;
	int line;
	bool stop;
	int err_line;
	char err[256];
	const struct config_option *opts;
	size_t nopts;
	struct config_file *out;
};

static void fail(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->err_line)
		return;
	st->err_line = st->line;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	st->stop = true;
}

/* fgets over the text for inih; leading blanks are dropped so that no line continues the
 * one before it (inih's multi-line values are not part of our format). */
static char *reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;

	if (st->stop || st->p >= st->end)
		return NULL;
	st->line++;
	while (st->p < st->end && (*st->p == ' ' || *st->p == '\t'))
		st->p++;
	const char *nl = memchr(st->p, '\n', (size_t)(st->end - st->p));
	size_t len = nl ? (size_t)(nl - st->p) + 1 : (size_t)(st->end - st->p);
	if (len > (size_t)num - 1 || len > CONFIG_MAX_LINE) {
		fail(st, "line longer than %d characters", CONFIG_MAX_LINE);
		return NULL;
	}
	memcpy(str, st->p, len);
	str[len] = '\0';
	st->p += len;
	return str;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct config_option *find_option(const struct parse_state *st, const char *name)
{
	for (size_t i = 0; i < st->nopts; i++)
		if (strcmp(st->opts[i].name, name) == 0)
			return &st->opts[i];
	return NULL;
}

static bool seen(const struct config_file *f, const struct config_option *opt)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->e[i].opt == opt)
			return true;
	return false;
}

static int add_entry(struct parse_state *st, const struct config_option *opt, const char *value)
{
	struct config_file *f = st->out;
	struct config_entry *e = realloc(f->e, (f->n + 1) * sizeof(*e));

	if (!e)
		return -ENOMEM;
	f->e = e;
	e = &f->e[f->n];
	e->opt = opt;
	e->line = st->line;
	e->value = value ? strdup(value) : NULL;
	if (value && !e->value)
		return -ENOMEM;
	f->n++;
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	const struct config_option *opt = find_option(st, name);
	bool on = true;

	if (st->stop)
		return 0;
	if (section[0]) {
		fail(st, "[%s]: sections are not used; put \"%s\" before any [section]", section,
		     name);
		return 0;
	}
	if (!opt || (opt->flags & CONFIG_CMDLINE_ONLY)) {
		fail(st, "unknown key \"%s\"", name);
		return 0;
	}
	if (!(opt->flags & CONFIG_REPEAT) && seen(st->out, opt)) {
		fail(st, "duplicate key \"%s\"", name);
		return 0;
	}
	if (opt->arg == CONFIG_FLAG && parse_bool(value, &on)) {
		fail(st, "%s: \"%s\" is not a boolean (true, false, yes, no, on, off, 1, 0)", name,
		     value);
		return 0;
	}
	if (opt->arg == CONFIG_VALUE && !value[0]) {
		fail(st, "%s: the value is empty", name);
		return 0;
	}
	if (add_entry(st, opt, opt->arg == CONFIG_FLAG ? (on ? "true" : NULL) : value)) {
		fail(st, "out of memory");
		return 0;
	}
	return 1;
}

static int nul_line(const char *text, size_t len)
{
	const char *z = memchr(text, '\0', len);
	int line = 1;

	if (!z)
		return 0;
	for (const char *p = text; p < z; p++)
		line += *p == '\n';
	return line;
}

int config_parse_string(const char *name, const char *text, size_t len,
			const struct config_option *opts, size_t nopts, struct config_file *out,
			char *err, size_t errlen)
{
	struct parse_state st = {
	    .name = name, .p = text, .end = text + len, .opts = opts, .nopts = nopts, .out = out};
	int zl = nul_line(text, len);

	memset(out, 0, sizeof(*out));
	out->path = strdup(name);
	if (!out->path)
		return -ENOMEM;
	if (zl) {
		snprintf(err, errlen, "%s:%d: a NUL byte (not a text file)", name, zl);
		config_file_free(out);
		return -EINVAL;
	}
	int rc = ini_parse_stream(reader, &st, handler, &st);
	if (rc == 0 && !st.err_line)
		return 0;
	if (rc > 0 && rc != st.err_line)
		snprintf(err, errlen, "%s:%d: expected KEY = VALUE", name, rc);
	else if (st.err_line)
		snprintf(err, errlen, "%s:%d: %s", name, st.err_line, st.err);
	else
		snprintf(err, errlen, "%s: cannot parse (%d)", name, rc);
	config_file_free(out);
	return -EINVAL;
}

static int read_all(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return -errno;
	buf = malloc(CONFIG_MAX_SIZE + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, CONFIG_MAX_SIZE + 1, f);
	int e = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!e && n > CONFIG_MAX_SIZE)
		e = -EFBIG;
	if (e) {
		free(buf);
		return e;
	}
	*text = buf;
	*len = n;
	return 0;
}

int config_parse_file(const char *path, const struct config_option *opts, size_t nopts,
		      struct config_file *out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int e = read_all(path, &text, &len);

	memset(out, 0, sizeof(*out));
	if (e) {
		snprintf(err, errlen, "%s: %s", path,
			 e == -EFBIG ? "larger than 1 MiB" : strerror(-e));
		return e;
	}
	e = config_parse_string(path, text, len, opts, nopts, out, err, errlen);
	free(text);
	return e;
}

void config_file_free(struct config_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->e[i].value);
	free(f->e);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

int config_apply(const struct config_file *f, const struct config_option *opts, const bool *skip,
		 config_apply_fn fn, void *arg, char *err, size_t errlen)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct config_entry *e = &f->e[i];
		size_t idx = (size_t)(e->opt - opts);
		if ((skip && skip[idx]) || !e->value)
			continue;
		config_why_take();
		int rc = fn(arg, e->opt->id, e->opt->arg == CONFIG_FLAG ? NULL : e->value);
		if (rc) {
			const char *why = config_why_take();
			snprintf(err, errlen, "%s:%d: %s: %s", f->path, e->line, e->opt->name,
				 why[0] ? why : "bad value");
			return rc;
		}
	}
	return 0;
}

void config_getopt_table(const struct config_option *opts, size_t nopts, struct option *out)
{
	for (size_t i = 0; i < nopts; i++)
		out[i] = (struct option){
		    opts[i].name, opts[i].arg == CONFIG_FLAG ? no_argument : required_argument,
		    NULL, opts[i].id};
	out[nopts] = (struct option){NULL, 0, NULL, 0};
}

int config_option_index(const struct config_option *opts, size_t nopts, int id)
{
	for (size_t i = 0; i < nopts; i++)
		if (opts[i].id == id)
			return (int)i;
	return -1;
}

char *config_value_of(const struct config_file *f, const struct config_option *opts, size_t i)
{
	char *out = NULL;
	size_t len = 0;

	for (size_t k = 0; k < f->n; k++) {
		const struct config_entry *e = &f->e[k];
		if (e->opt != &opts[i])
			continue;
		const char *v = e->value ? e->value : "false";
		char *n = realloc(out, len + strlen(v) + 2);
		if (!n) {
			free(out);
			return NULL;
		}
		out = n;
		if (len)
			out[len++] = '\n';
		strcpy(out + len, v);
		len += strlen(v);
	}
	return out;
}
