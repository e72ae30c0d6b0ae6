/* libFuzzer target for the STUN codec: stun_parse, then every typed reader over
 * every attribute, stun_check_integrity with a fixed key, and a rebuild of what was
 * parsed that must parse back the same. Not a test of transactions. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The RFC 5769 short-term password, so that its samples reach the HMAC compare. */
static const uint8_t key[] = "VOkJxbRl1RmTxUk/WvJxBt";

static void read_every_way(const struct stun_msg *m, const struct stun_attr *a)
{
	struct sockaddr_storage ss;
	const uint8_t *v;
	const char *r;
	size_t n;
	uint32_t x;
	uint64_t y;
	int code;

	stun_get_xor_addr(m, a, &ss);
	stun_get_addr(m, a, &ss);
	stun_get_u32(m, a, &x);
	stun_get_u64(m, a, &y);
	if (stun_get_error(m, a, &code, &r, &n) == 0 && (code < 300 || code > 699))
		abort();
	if (stun_get_bytes(m, a, &v, &n) == 0 &&
	    (n != a->len || v < m->buf || v + n > m->buf + m->len))
		abort();
}

static int is_trailer(uint16_t type)
{
	return type == STUN_A_MESSAGE_INTEGRITY || type == STUN_A_MESSAGE_INTEGRITY_SHA256 ||
	       type == STUN_A_FINGERPRINT;
}

/* Every attribute but the integrity/fingerprint trailer, put back with our
 * builder, must parse to the same types and values. */
static void rebuild(const struct stun_msg *m)
{
	static uint8_t out[STUN_MAX_MSG];
	struct stun_builder b;
	struct stun_msg back;
	size_t n, k = 0;

	stun_build_init(&b, out, sizeof(out), m->method, m->cls, m->tid);
	for (size_t i = 0; i < m->n_attrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		if (!is_trailer(a->type))
			stun_put(&b, a->type, m->buf + a->off, a->len);
	}
	if (stun_finish(&b, &n) || stun_parse(&back, out, n) || back.method != m->method ||
	    back.cls != m->cls || memcmp(back.tid, m->tid, STUN_TID_LEN) != 0)
		abort();
	for (size_t i = 0; i < m->n_attrs; i++) {
		const struct stun_attr *a = &m->attrs[i], *c;

		if (is_trailer(a->type))
			continue;
		c = &back.attrs[k++];
		if (c->type != a->type || c->len != a->len ||
		    memcmp(out + c->off, m->buf + a->off, a->len) != 0)
			abort();
	}
	if (k != back.n_attrs)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	uint16_t unknown[STUN_MAX_ATTRS];

	if (stun_parse(&m, data, size) != 0)
		return 0;
	/* Everything stun_parse takes passes the cheap demultiplexing test. */
	if (!stun_looks_like(data, size))
		abort();
	for (size_t i = 0; i < m.n_attrs; i++)
		read_every_way(&m, &m.attrs[i]);
	if (stun_unknown_required(&m, NULL, 0, unknown, STUN_MAX_ATTRS) > m.n_attrs)
		abort();
	stun_check_integrity(&m, key, sizeof(key) - 1);
	rebuild(&m);
	return 0;
}
