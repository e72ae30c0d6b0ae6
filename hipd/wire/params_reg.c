/* The registration parameters of RFC 8003 (REG_INFO, REG_REQUEST, REG_RESPONSE,
 * REG_FAILED, lifetimes) and the relay addresses of RFC 5770 5.6. Codec only. */
#include <errno.h>
#include <string.h>

#include "hipd/wire/hip_proto.h"
#include "hipd/wire/wire.h"

#define RELAY_ADDR_LEN 20 /* port, protocol, reserved, 16-byte address */

static int open_param(const struct hip_param *p, struct cursor *c)
{
	if (!p || p->len == 0 || !p->val)
		return -HIPW_EZEROLEN;
	cur_init(c, p->val, p->len);
	return 0;
}

static int read_types(struct cursor *c, uint8_t *types, size_t *n)
{
	size_t left = cur_left(c);

	if (left > HIP_REG_TYPES_MAX)
		return -HIPW_EPARAM;
	*n = left;
	return cur_copy(c, types, left) ? -HIPW_EPARAM : 0;
}

bool hip_p_reg_has(const uint8_t *types, size_t n, uint8_t t)
{
	for (size_t i = 0; i < n; i++)
		if (types[i] == t)
			return true;
	return false;
}

/* ---- REG_INFO (RFC 8003 4.2): Min Lifetime, Max Lifetime, types (maybe none) ---- */

int hip_p_reg_info_decode(const struct hip_param *p, struct hip_p_reg_info *out)
{
	struct cursor c;
	int err = open_param(p, &c);

	if (err)
		return err;
	if (cur_u8(&c, &out->min_lifetime) || cur_u8(&c, &out->max_lifetime))
		return -HIPW_EPARAM;
	return read_types(&c, out->types, &out->n);
}

int hip_p_reg_info_encode(struct wbuf *w, const struct hip_p_reg_info *v)
{
	size_t off;

	if (v->n > HIP_REG_TYPES_MAX)
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_REG_INFO, &off);
	wbuf_u8(w, v->min_lifetime);
	wbuf_u8(w, v->max_lifetime);
	wbuf_put(w, v->types, v->n);
	return hip_build_param_end(w, off);
}

/* ---- REG_REQUEST, REG_RESPONSE (4.3, 4.4: Lifetime), REG_FAILED (4.5: Failure
 * Type), each followed by one or more registration types ---- */

static bool reg_type_ok(uint16_t type)
{
	return type == HIP_PARAM_REG_REQUEST || type == HIP_PARAM_REG_RESPONSE ||
	       type == HIP_PARAM_REG_FAILED;
}

int hip_p_reg_decode(const struct hip_param *p, struct hip_p_reg *out)
{
	struct cursor c;
	int err = open_param(p, &c);

	if (err)
		return err;
	if (cur_u8(&c, &out->head) || cur_left(&c) == 0)
		return -HIPW_EPARAM;
	return read_types(&c, out->types, &out->n);
}

int hip_p_reg_encode(struct wbuf *w, uint16_t type, const struct hip_p_reg *v)
{
	size_t off;

	if (!reg_type_ok(type) || v->n == 0 || v->n > HIP_REG_TYPES_MAX)
		return -EINVAL;
	hip_build_param_begin(w, type, &off);
	wbuf_u8(w, v->head);
	wbuf_put(w, v->types, v->n);
	return hip_build_param_end(w, off);
}

/* ---- REG_FROM, RELAY_FROM, RELAY_TO (RFC 5770 5.6, Figure 8) ---- */

static bool addr_type_ok(uint16_t type)
{
	return type == HIP_PARAM_REG_FROM || type == HIP_PARAM_RELAY_FROM ||
	       type == HIP_PARAM_RELAY_TO;
}

int hip_p_relay_addr_decode(const struct hip_param *p, struct hip_p_relay_addr *out)
{
	struct cursor c;
	int err = open_param(p, &c);

	if (err)
		return err;
	/* Reserved: "ignored when received" */
	if (p->len != RELAY_ADDR_LEN || cur_u16(&c, &out->port) || cur_u8(&c, &out->protocol) ||
	    cur_skip(&c, 1) || cur_copy(&c, &out->addr, sizeof(out->addr)))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_relay_addr_encode(struct wbuf *w, uint16_t type, const struct hip_p_relay_addr *v)
{
	size_t off;

	if (!addr_type_ok(type))
		return -EINVAL;
	hip_build_param_begin(w, type, &off);
	wbuf_u16(w, v->port);
	wbuf_u8(w, v->protocol);
	wbuf_u8(w, 0);
	wbuf_put(w, &v->addr, sizeof(v->addr));
	return hip_build_param_end(w, off);
}

int hip_p_relay_addr_from_sa(const struct sockaddr *sa, uint8_t protocol,
			     struct hip_p_relay_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->protocol = protocol;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		out->addr.s6_addr[10] = out->addr.s6_addr[11] = 0xff;
		memcpy(&out->addr.s6_addr[12], &a->sin_addr, 4);
		out->port = ntohs(a->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		out->addr = a->sin6_addr;
		out->port = ntohs(a->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int hip_p_relay_addr_to_sa(const struct hip_p_relay_addr *a, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (IN6_IS_ADDR_V4MAPPED(&a->addr)) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, &a->addr.s6_addr[12], 4);
		s->sin_port = htons(a->port);
		return 0;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
	s6->sin6_family = AF_INET6;
	s6->sin6_addr = a->addr;
	s6->sin6_port = htons(a->port);
	return 0;
}

/* ---- lifetimes (RFC 8003 4.1) ---- */

/* 2^(r/8) in nanoseconds per second, r = 0..7 */
static const uint64_t frac_ns[8] = {
    1000000000ull, 1090507733ull, 1189207115ull, 1296839555ull,
    1414213562ull, 1542210825ull, 1681792831ull, 1834008086ull,
};

uint64_t hip_reg_lifetime_ms(uint8_t x)
{
	if (x == 0)
		return 0;
	int n = (int)x - 64;			  /* -63 .. 191 */
	int q = n >= 0 ? n / 8 : -((-n + 7) / 8); /* floor(n / 8) */
	int r = n - 8 * q;			  /* 0 .. 7 */
	uint64_t ns = q >= 0 ? frac_ns[r] << q : frac_ns[r] >> -q;

	return ns / 1000000ull;
}

uint8_t hip_reg_lifetime_encode(uint32_t seconds)
{
	uint64_t want = (uint64_t)seconds * 1000ull;

	if (seconds == 0)
		return 0;
	for (unsigned x = 1; x < 255; x++)
		if (hip_reg_lifetime_ms((uint8_t)x) >= want)
			return (uint8_t)x;
	return 255;
}
