/* Logging for the daemons and tools: levels, to stderr or syslog/journal.
 * Not for event stamps (see stamp.h) and never for secrets. */
#ifndef HIPSIP_LOG_H
#define HIPSIP_LOG_H

#include <stdbool.h>

enum log_level {
	HLOG_ERR = 0,
	HLOG_WARN = 1,
	HLOG_INFO = 2,
	HLOG_DEBUG = 3,
};

/* ident prefixes every line; use_syslog sends lines to syslog (the journal). */
void log_init(const char *ident, enum log_level level, bool use_syslog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warning", "info", "debug"; returns -EINVAL otherwise. */
int log_level_parse(const char *s, enum log_level *level);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(HLOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(HLOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(HLOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(HLOG_DEBUG, __VA_ARGS__)

#endif
