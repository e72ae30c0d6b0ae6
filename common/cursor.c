/* Bounds-checked cursor and write buffer: the only place that does byte-offset
 * arithmetic on untrusted or outgoing packet bytes. */
#include "cursor.h"

#include <errno.h>
#include <string.h>

void cur_init(struct cursor *c, const void *buf, size_t len)
{
	c->buf = buf;
	c->len = buf ? len : 0;
	c->pos = 0;
}

size_t cur_left(const struct cursor *c)
{
	return c->len - c->pos;
}

size_t cur_pos(const struct cursor *c)
{
	return c->pos;
}

int cur_view(struct cursor *c, size_t n, const uint8_t **p)
{
	if (n > cur_left(c))
		return -EBADMSG;
	*p = c->buf + c->pos;
	c->pos += n;
	return 0;
}

int cur_skip(struct cursor *c, size_t n)
{
	const uint8_t *p;

	return cur_view(c, n, &p);
}

int cur_copy(struct cursor *c, void *dst, size_t n)
{
	const uint8_t *p;
	int err = cur_view(c, n, &p);

	if (err)
		return err;
	if (n)
		memcpy(dst, p, n);
	return 0;
}

int cur_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	const uint8_t *p;
	int err = cur_view(c, n, &p);

	if (err)
		return err;
	cur_init(sub, p, n);
	return 0;
}

static int cur_be(struct cursor *c, size_t n, uint64_t *v)
{
	const uint8_t *p;
	uint64_t x = 0;
	int err = cur_view(c, n, &p);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		x = (x << 8) | p[i];
	*v = x;
	return 0;
}

int cur_u8(struct cursor *c, uint8_t *v)
{
	uint64_t x;
	int err = cur_be(c, 1, &x);

	if (!err)
		*v = (uint8_t)x;
	return err;
}

int cur_u16(struct cursor *c, uint16_t *v)
{
	uint64_t x;
	int err = cur_be(c, 2, &x);

	if (!err)
		*v = (uint16_t)x;
	return err;
}

int cur_u32(struct cursor *c, uint32_t *v)
{
	uint64_t x;
	int err = cur_be(c, 4, &x);

	if (!err)
		*v = (uint32_t)x;
	return err;
}

int cur_u64(struct cursor *c, uint64_t *v)
{
	return cur_be(c, 8, v);
}

void wbuf_init(struct wbuf *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->err = 0;
}

int wbuf_error(const struct wbuf *w)
{
	return w->err;
}

int wbuf_reserve(struct wbuf *w, size_t n, uint8_t **p)
{
	if (w->err)
		return w->err;
	if (n > w->cap - w->len) {
		w->err = -ENOBUFS;
		return w->err;
	}
	*p = w->buf + w->len;
	if (n)
		memset(*p, 0, n);
	w->len += n;
	return 0;
}

int wbuf_put(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *p;
	int err = wbuf_reserve(w, n, &p);

	if (!err && n)
		memcpy(p, src, n);
	return err;
}

int wbuf_zero(struct wbuf *w, size_t n)
{
	uint8_t *p;

	return wbuf_reserve(w, n, &p);
}

static int wbuf_be(struct wbuf *w, size_t n, uint64_t v)
{
	uint8_t *p;
	int err = wbuf_reserve(w, n, &p);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return 0;
}

int wbuf_u8(struct wbuf *w, uint8_t v)
{
	return wbuf_be(w, 1, v);
}

int wbuf_u16(struct wbuf *w, uint16_t v)
{
	return wbuf_be(w, 2, v);
}

int wbuf_u32(struct wbuf *w, uint32_t v)
{
	return wbuf_be(w, 4, v);
}

int wbuf_u64(struct wbuf *w, uint64_t v)
{
	return wbuf_be(w, 8, v);
}

int wbuf_patch_u16(struct wbuf *w, size_t off, uint16_t v)
{
	if (off > w->len || w->len - off < 2)
		return -EINVAL;
	w->buf[off] = (uint8_t)(v >> 8);
	w->buf[off + 1] = (uint8_t)v;
	return 0;
}
