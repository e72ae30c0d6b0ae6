/* Control-socket framing (4-byte big-endian length + one JSON object) and a blocking client.
 * Not the daemon side: the libuv server lives in common/ctl_server.h. */
#ifndef HIPSIP_CTL_H
#define HIPSIP_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_DEFAULT_SOCKET "/run/hipd/hipd.sock"
#define CTL_SOCKET_ENV	   "HIPD_SOCKET"
#define CTL_MAX_FRAME	   (1u << 20) /* largest JSON payload, in bytes */
#define CTL_HDR_LEN	   4

/* Errors of our own, beyond the errno range; every function here returns 0 or
 * a negative errno or one of these. ctl_strerror() names both. */
enum ctl_error {
	CTL_EEMPTY = -4001,   /* frame of length zero */
	CTL_ENOTJSON = -4002, /* payload is not valid JSON (or not UTF-8) */
	CTL_ENOTOBJ = -4003,  /* payload is JSON but not an object */
	CTL_ETRUNC = -4004,   /* connection ended inside a frame */
	CTL_ECLOSED = -4005,  /* connection ended before the reply */
			      /* frames over CTL_MAX_FRAME are -EMSGSIZE */
};

const char *ctl_strerror(int err);

/* Encodes msg (which must be an object) as one frame into a new malloc'ed buffer. */
int ctl_frame_encode(const json_t *msg, uint8_t **buf, size_t *len);

/* Incremental decoder: feed it bytes as they come, take whole objects out with
 * ctl_decoder_next. After an error the decoder stays failed. */
struct ctl_decoder {
	uint8_t *buf;
	size_t len; /* bytes held */
	size_t off; /* bytes already consumed */
	size_t cap;
	int err;
};

void ctl_decoder_init(struct ctl_decoder *d);
int ctl_decoder_feed(struct ctl_decoder *d, const void *data, size_t n);
/* 1 and *out = a new reference when a frame is complete, 0 when more bytes are
 * needed, negative on a bad frame. */
int ctl_decoder_next(struct ctl_decoder *d, json_t **out);
/* True if bytes of an unfinished frame are held (EOF now would be CTL_ETRUNC). */
bool ctl_decoder_pending(const struct ctl_decoder *d);
void ctl_decoder_free(struct ctl_decoder *d);

/* A blocking client connection: open (connect errors are -errno, e.g. -ENOENT,
 * -ECONNREFUSED, -EACCES), then any number of requests in sequence. */
struct ctl_client;

/* $env when it is set and not empty, else fallback: where a client finds a daemon's socket. */
const char *ctl_socket_path(const char *env, const char *fallback);

/* A connected stream socket to the Unix socket at path, or -errno
 * (-ENAMETOOLONG when path does not fit in sun_path). */
int ctl_connect(const char *path);

int ctl_client_open(const char *path, struct ctl_client **out);
/* Sends req and waits up to timeout_ms (< 0: forever) for the reply object. */
int ctl_client_request(struct ctl_client *c, json_t *req, json_t **reply, int timeout_ms);
void ctl_client_close(struct ctl_client *c);

/* open + one request + close. */
int ctl_client_call(const char *path, json_t *req, json_t **reply, int timeout_ms);

/* Reply builders for handlers: {"ok": true} and {"ok": false, "error": ...}. */
json_t *ctl_reply_ok(void);
json_t *ctl_reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
