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
/* Writes one line for event ev; extra (may be NULL) is merged in and released.
 * Lines are buffered: a daemon calls stamp_flush before it waits for input
 * (hipd: from a uv_prepare handle), so readers see every line of an event once
 * the daemon is idle again, at one write() per loop turn instead of per event. */
void stamp_emit(const char *ev, json_t *extra);
void stamp_flush(void);

#endif
