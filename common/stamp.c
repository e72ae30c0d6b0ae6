/* Event-stamp writer: appends one JSON object per line and flushes it at once so
 * a crash loses nothing. It does not interpret events; the lab does. */
#include "stamp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static FILE *stamp_file;
static char *stamp_node;

int stamp_open(const char *path, const char *node)
{
	stamp_close();
	if (!path)
		return 0;
	stamp_file = fopen(path, "ae");
	if (!stamp_file)
		return -errno;
	stamp_node = strdup(node ? node : "");
	if (!stamp_node) {
		stamp_close();
		return -ENOMEM;
	}
	return 0;
}

void stamp_close(void)
{
	if (stamp_file)
		fclose(stamp_file);
	stamp_file = NULL;
	free(stamp_node);
	stamp_node = NULL;
}

uint64_t stamp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stamp_flush(void)
{
	if (stamp_file)
		fflush(stamp_file);
}

void stamp_emit(const char *ev, json_t *extra)
{
	if (!stamp_file) {
		json_decref(extra);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "t", json_integer((json_int_t)stamp_now_ns()));
	json_object_set_new(o, "node", json_string(stamp_node));
	json_object_set_new(o, "ev", json_string(ev));
	if (extra)
		json_object_update(o, extra);
	json_decref(extra);
	char *line = json_dumps(o, JSON_COMPACT);
	if (line) {
		fprintf(stamp_file, "%s\n", line);
		free(line);
	}
	json_decref(o);
}
