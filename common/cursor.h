/* Bounds-checked reading and writing of byte buffers in network byte order.
 * Every parser of untrusted bytes goes through struct cursor; builders use struct wbuf. */
#ifndef HIPSIP_CURSOR_H
#define HIPSIP_CURSOR_H

#include <stddef.h>
#include <stdint.h>

/* A read cursor over a buffer it does not own. Reads past the end fail with
 * -EBADMSG and leave the cursor where it was. */
struct cursor {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

void cur_init(struct cursor *c, const void *buf, size_t len);
size_t cur_left(const struct cursor *c);
size_t cur_pos(const struct cursor *c);
int cur_u8(struct cursor *c, uint8_t *v);
int cur_u16(struct cursor *c, uint16_t *v);
int cur_u32(struct cursor *c, uint32_t *v);
int cur_u64(struct cursor *c, uint64_t *v);
int cur_copy(struct cursor *c, void *dst, size_t n);
/* Points *p at the next n bytes (inside the buffer) and advances past them. */
int cur_view(struct cursor *c, size_t n, const uint8_t **p);
/* Splits off the next n bytes as a cursor of their own and advances past them. */
int cur_sub(struct cursor *c, size_t n, struct cursor *sub);
int cur_skip(struct cursor *c, size_t n);

/* A write buffer over storage it does not own. A write that does not fit fails
 * with -ENOBUFS, writes nothing, and makes every later write fail too (so a
 * builder may check only once, at the end, with wbuf_error). */
struct wbuf {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

void wbuf_init(struct wbuf *w, void *buf, size_t cap);
int wbuf_error(const struct wbuf *w);
int wbuf_u8(struct wbuf *w, uint8_t v);
int wbuf_u16(struct wbuf *w, uint16_t v);
int wbuf_u32(struct wbuf *w, uint32_t v);
int wbuf_u64(struct wbuf *w, uint64_t v);
int wbuf_put(struct wbuf *w, const void *src, size_t n);
int wbuf_zero(struct wbuf *w, size_t n);
/* Reserves n bytes (zeroed) and points *p at them, for fields filled in later. */
int wbuf_reserve(struct wbuf *w, size_t n, uint8_t **p);
/* Overwrites a 16-bit field already written at offset off. */
int wbuf_patch_u16(struct wbuf *w, size_t off, uint16_t v);

#endif
