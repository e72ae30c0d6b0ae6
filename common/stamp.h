/* Event stamps: JSON lines {"t": CLOCK_MONOTONIC ns, "node": ..., "ev": ..., ...}
 * for the milestones the lab measures. Not a log: one line per event, machine-read. */
#ifndef HIPSIP_STAMP_H
#define HIPSIP_STAMP_H

#include <jansson.h>
#include <stdint.h>

/* Opens (appends to) path; NULL path disables stamps. node names this daemon. */
int stamp_open(const char *path, const char *node);
void stamp_close(void);
uint64_t stamp_now_ns(void);
/* Writes one line for event ev; extra (may be NULL) is merged in and released. */
void stamp_emit(const char *ev, json_t *extra);

#endif
