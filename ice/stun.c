/* STUN message codec (RFC 8489 5, 6, 7, 9, 14, 15; RFC 8656 18; RFC 8445 16.1):
 * checked parser, typed readers, builder, MESSAGE-INTEGRITY(-SHA256), FINGERPRINT. No I/O. */
#include "ice/stun.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define ATTR_HDR_LEN 4
#define MI_LEN	     20 /* HMAC-SHA1 (RFC 8489 14.5) */
#define MI256_LEN    32 /* HMAC-SHA256, full length (RFC 8489 14.6) */
#define MI256_MIN    16
#define FP_LEN	     4
#define TEXT_MAX     763 /* longest REALM, NONCE, SOFTWARE, reason a receiver takes (14.8-14.14) */
#define USERNAME_MAX 763 /* RFC 8489 14.3: parse up to 763 bytes for RFC 5389 peers */
#define DOMAIN_MAX   255 /* ALTERNATE-DOMAIN (RFC 8489 14.16) */
#define USERHASH_LEN 32	 /* RFC 8489 14.4 */
#define FAMILY_IPV4  0x01
#define FAMILY_IPV6  0x02

/* ---- CRC-32 (ITU V.42, as in RFC 1952 8), for FINGERPRINT (RFC 8489 14.7) ---- */

/* Reflected polynomial 0xEDB88320, one entry per 4-bit nibble. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
    0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
};

static uint32_t crc32_v42(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xF];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xF];
	}
	return crc ^ 0xFFFFFFFFu;
}

/* ---- message type (RFC 8489 5, Figure 3) ---- */

static uint16_t type_encode(uint16_t method, uint8_t cls)
{
	return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
			  ((cls & 1) << 4) | ((cls & 2) << 7));
}

static void type_decode(uint16_t type, uint16_t *method, uint8_t *cls)
{
	*method = (uint16_t)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
	*cls = (uint8_t)(((type >> 4) & 1) | ((type >> 7) & 2));
}

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

/* ---- HMAC and digests (OpenSSL 3 EVP) ---- */

/* HMAC over two pieces: a (patched) copy of the header, then the rest. */
static int hmac2(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *p1,
		 size_t n1, const uint8_t *p2, size_t n2, uint8_t *out, size_t out_len)
{
	static const uint8_t empty_key;
	OSSL_PARAM params[2];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t got = 0;
	int ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = ctx && EVP_MAC_init(ctx, key_len ? key : &empty_key, key_len, params) &&
	     EVP_MAC_update(ctx, p1, n1) && EVP_MAC_update(ctx, p2, n2) &&
	     EVP_MAC_final(ctx, out, &got, out_len) && got == out_len;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -EIO;
}

/* The HMAC of msg[0..end) with the header's length field set to adj_len
 * (RFC 8489 14.5, 14.6: the length points to the end of the integrity attribute). */
static int integrity_hmac(const char *digest, const uint8_t *key, size_t key_len,
			  const uint8_t *msg, size_t end, size_t adj_len, uint8_t *out,
			  size_t out_len)
{
	uint8_t hdr[STUN_HDR_LEN];

	if (end < STUN_HDR_LEN || adj_len > 0xFFFF)
		return -EINVAL;
	memcpy(hdr, msg, STUN_HDR_LEN);
	hdr[2] = (uint8_t)(adj_len >> 8);
	hdr[3] = (uint8_t)adj_len;
	return hmac2(digest, key, key_len, hdr, sizeof(hdr), msg + STUN_HDR_LEN, end - STUN_HDR_LEN,
		     out, out_len);
}

int stun_key_long_term(uint16_t pwalg, const char *user, const char *realm, const char *pass,
		       uint8_t *key, size_t *key_len)
{
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int ok;

	if (!user || !realm || !pass || !key || !key_len)
		return -EINVAL;
	if (pwalg == STUN_PWALG_MD5)
		md = EVP_md5();
	else if (pwalg == STUN_PWALG_SHA256)
		md = EVP_sha256();
	else
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	/* RFC 8489 9.2.2: key = H(username ":" OpaqueString(realm) ":" OpaqueString(password)) */
	ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, user, strlen(user)) &&
	     EVP_DigestUpdate(ctx, ":", 1) && EVP_DigestUpdate(ctx, realm, strlen(realm)) &&
	     EVP_DigestUpdate(ctx, ":", 1) && EVP_DigestUpdate(ctx, pass, strlen(pass)) &&
	     EVP_DigestFinal_ex(ctx, key, &n);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	*key_len = n;
	return 0;
}

/* ---- parser ---- */

int stun_looks_like(const void *buf, size_t len)
{
	struct cursor c;
	uint16_t type, mlen;
	uint32_t cookie;

	cur_init(&c, buf, len);
	if (cur_u16(&c, &type) || cur_u16(&c, &mlen) || cur_u32(&c, &cookie))
		return 0;
	if ((type & 0xC000) || cookie != STUN_MAGIC || (mlen & 3))
		return 0;
	return len >= STUN_HDR_LEN && (size_t)mlen == len - STUN_HDR_LEN;
}

static int parse_header(struct stun_msg *m, struct cursor *c, size_t len)
{
	uint16_t type, mlen;
	uint32_t cookie;

	if (cur_u16(c, &type) || cur_u16(c, &mlen) || cur_u32(c, &cookie) ||
	    cur_copy(c, m->tid, STUN_TID_LEN))
		return -EBADMSG;
	/* RFC 8489 5: top two bits zero, the magic cookie, a length in 4-byte units
	 * that covers exactly the attributes that follow. */
	if ((type & 0xC000) || cookie != STUN_MAGIC || (mlen & 3) ||
	    (size_t)mlen != len - STUN_HDR_LEN)
		return -EBADMSG;
	type_decode(type, &m->method, &m->cls);
	return 0;
}

/* RFC 8489 14.5-14.7: what may follow MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT. */
static int order_ok(const struct stun_msg *m, uint16_t type)
{
	if (m->fp >= 0)
		return 0;
	if (m->mi256 >= 0)
		return type == STUN_A_FINGERPRINT;
	if (m->mi >= 0)
		return type == STUN_A_MESSAGE_INTEGRITY_SHA256 || type == STUN_A_FINGERPRINT;
	return 1;
}

static int note_special(struct stun_msg *m, const struct stun_attr *a)
{
	int idx = (int)m->n_attrs;

	if (a->type == STUN_A_MESSAGE_INTEGRITY) {
		if (a->len != MI_LEN)
			return -EBADMSG;
		m->mi = idx;
	} else if (a->type == STUN_A_MESSAGE_INTEGRITY_SHA256) {
		if (a->len < MI256_MIN || a->len > MI256_LEN || (a->len & 3))
			return -EBADMSG;
		m->mi256 = idx;
	} else if (a->type == STUN_A_FINGERPRINT) {
		if (a->len != FP_LEN)
			return -EBADMSG;
		m->fp = idx;
	}
	return 0;
}

static int parse_attr(struct stun_msg *m, struct cursor *c)
{
	struct stun_attr a;
	const uint8_t *val;

	if (cur_u16(c, &a.type) || cur_u16(c, &a.len))
		return -EBADMSG;
	a.off = (uint16_t)cur_pos(c);
	/* RFC 8489 15: the value, then padding to a multiple of 4, inside the message. */
	if (cur_view(c, a.len, &val) || cur_skip(c, pad4(a.len)))
		return -EBADMSG;
	if (m->n_attrs >= STUN_MAX_ATTRS || !order_ok(m, a.type) || note_special(m, &a))
		return -EBADMSG;
	m->attrs[m->n_attrs++] = a;
	return 0;
}

/* RFC 8489 14.7: CRC-32 of the message before FINGERPRINT, XOR 0x5354554E. */
static int fingerprint_ok(const struct stun_msg *m)
{
	const struct stun_attr *a = &m->attrs[m->fp];
	uint32_t want;

	if (stun_get_u32(m, a, &want))
		return 0;
	return (crc32_v42(m->buf, a->off - ATTR_HDR_LEN) ^ STUN_FP_XOR) == want;
}

int stun_parse(struct stun_msg *m, const void *buf, size_t len)
{
	struct cursor c;
	int err;

	memset(m, 0, sizeof(*m));
	m->mi = m->mi256 = m->fp = -1;
	if (!buf || len < STUN_HDR_LEN || len > STUN_MAX_MSG)
		return -EBADMSG;
	cur_init(&c, buf, len);
	err = parse_header(m, &c, len);
	while (!err && cur_left(&c))
		err = parse_attr(m, &c);
	if (err)
		return -EBADMSG;
	m->buf = buf;
	m->len = len;
	if (m->fp >= 0 && !fingerprint_ok(m))
		return -EBADMSG;
	return 0;
}

const struct stun_attr *stun_find(const struct stun_msg *m, uint16_t type)
{
	for (size_t i = 0; i < m->n_attrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}

/* ---- typed readers ---- */

/* A cursor over the value of a (which must lie inside m). */
static int attr_cursor(const struct stun_msg *m, const struct stun_attr *a, struct cursor *v)
{
	struct cursor c;

	if (!a)
		return -ENOENT;
	cur_init(&c, m->buf, m->len);
	if (cur_skip(&c, a->off) || cur_sub(&c, a->len, v))
		return -EBADMSG;
	return 0;
}

/* RFC 8489 14.1: 8 reserved bits (ignored), family, port, 4 or 16 address bytes. */
static int read_addr(const struct stun_msg *m, const struct stun_attr *a, int xor,
		     struct sockaddr_storage *out)
{
	struct cursor v;
	uint8_t rsv, family, ip[16], mask[16];
	uint16_t port;
	size_t n;
	int err = attr_cursor(m, a, &v);

	if (err)
		return err;
	if (cur_u8(&v, &rsv) || cur_u8(&v, &family) || cur_u16(&v, &port))
		return -EBADMSG;
	if (family == FAMILY_IPV4)
		n = 4;
	else if (family == FAMILY_IPV6)
		n = 16;
	else
		return -EBADMSG;
	if (cur_left(&v) != n || cur_copy(&v, ip, n))
		return -EBADMSG;
	if (xor) {
		/* RFC 8489 14.2: port ^ cookie >> 16; address ^ (cookie || transaction ID). */
		port ^= (uint16_t)(STUN_MAGIC >> 16);
		mask[0] = (uint8_t)(STUN_MAGIC >> 24), mask[1] = (uint8_t)(STUN_MAGIC >> 16);
		mask[2] = (uint8_t)(STUN_MAGIC >> 8), mask[3] = (uint8_t)STUN_MAGIC;
		memcpy(mask + 4, m->tid, STUN_TID_LEN);
		for (size_t i = 0; i < n; i++)
			ip[i] ^= mask[i];
	}
	memset(out, 0, sizeof(*out));
	if (family == FAMILY_IPV4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)out;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, ip, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, ip, 16);
	}
	return 0;
}

int stun_get_xor_addr(const struct stun_msg *m, const struct stun_attr *a,
		      struct sockaddr_storage *out)
{
	return read_addr(m, a, 1, out);
}

int stun_get_addr(const struct stun_msg *m, const struct stun_attr *a, struct sockaddr_storage *out)
{
	return read_addr(m, a, 0, out);
}

int stun_get_u32(const struct stun_msg *m, const struct stun_attr *a, uint32_t *v)
{
	struct cursor c;
	int err = attr_cursor(m, a, &c);

	if (err)
		return err;
	if (cur_left(&c) != 4 || cur_u32(&c, v))
		return -EBADMSG;
	return 0;
}

int stun_get_u64(const struct stun_msg *m, const struct stun_attr *a, uint64_t *v)
{
	struct cursor c;
	int err = attr_cursor(m, a, &c);

	if (err)
		return err;
	if (cur_left(&c) != 8 || cur_u64(&c, v))
		return -EBADMSG;
	return 0;
}

/* RFC 8489 14.8 (and RFC 8656 18.12, whose first byte is a family the caller
 * reads with stun_get_bytes): 21 reserved bits, class 3..6, number 0..99, reason. */
int stun_get_error(const struct stun_msg *m, const struct stun_attr *a, int *code,
		   const char **reason, size_t *reason_len)
{
	struct cursor c;
	uint16_t rsv;
	uint8_t cls, num;
	const uint8_t *text;
	size_t n;
	int err = attr_cursor(m, a, &c);

	if (err)
		return err;
	if (cur_u16(&c, &rsv) || cur_u8(&c, &cls) || cur_u8(&c, &num))
		return -EBADMSG;
	cls &= 7;
	n = cur_left(&c);
	if (cls < 3 || cls > 6 || num > 99 || n > TEXT_MAX || cur_view(&c, n, &text))
		return -EBADMSG;
	*code = cls * 100 + num;
	*reason = (const char *)text;
	*reason_len = n;
	return 0;
}

/* Upper bounds on variable-length values a receiver must take (RFC 8489 14). */
static int bytes_len_ok(uint16_t type, size_t n)
{
	switch (type) {
	case STUN_A_USERNAME:
		return n <= USERNAME_MAX;
	case STUN_A_USERHASH:
		return n == USERHASH_LEN;
	case STUN_A_REALM:
	case STUN_A_NONCE:
	case STUN_A_SOFTWARE:
		return n <= TEXT_MAX;
	case STUN_A_ALTERNATE_DOMAIN:
		return n <= DOMAIN_MAX;
	default:
		return 1;
	}
}

int stun_get_bytes(const struct stun_msg *m, const struct stun_attr *a, const uint8_t **v,
		   size_t *len)
{
	struct cursor c;
	int err = attr_cursor(m, a, &c);

	if (err)
		return err;
	if (!bytes_len_ok(a->type, cur_left(&c)))
		return -EBADMSG;
	*len = cur_left(&c);
	return cur_view(&c, *len, v);
}

static int in_list(uint16_t t, const uint16_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == t)
			return 1;
	return 0;
}

size_t stun_unknown_required(const struct stun_msg *m, const uint16_t *known, size_t n_known,
			     uint16_t *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_attrs && n < cap; i++) {
		uint16_t t = m->attrs[i].type;

		if (STUN_ATTR_REQUIRED(t) && !in_list(t, known, n_known) && !in_list(t, out, n))
			out[n++] = t;
	}
	return n;
}

/* ---- integrity check ---- */

int stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t key_len)
{
	const struct stun_attr *a;
	uint8_t mac[MI256_LEN];
	const char *digest;
	size_t mac_len;
	const uint8_t *want;
	size_t want_len, start;
	int err;

	if (m->mi256 >= 0) {
		a = &m->attrs[m->mi256];
		digest = "SHA256", mac_len = MI256_LEN;
	} else if (m->mi >= 0) {
		a = &m->attrs[m->mi];
		digest = "SHA1", mac_len = MI_LEN;
	} else {
		return -ENOENT;
	}
	err = stun_get_bytes(m, a, &want, &want_len);
	if (err)
		return err;
	/* RFC 8489 14.6: a MESSAGE-INTEGRITY-SHA256 may carry a truncated HMAC. */
	if (want_len > mac_len || want_len < MI256_MIN || (want_len & 3))
		return -EACCES;
	start = (size_t)a->off - ATTR_HDR_LEN;
	err = integrity_hmac(digest, key, key_len, m->buf, start,
			     (size_t)a->off + a->len - STUN_HDR_LEN, mac, mac_len);
	if (err)
		return err;
	return CRYPTO_memcmp(mac, want, want_len) == 0 ? 0 : -EACCES;
}

/* ---- builder ---- */

static void builder_fail(struct stun_builder *b, int err)
{
	if (!b->w.err)
		b->w.err = err;
}

void stun_build_init(struct stun_builder *b, void *buf, size_t cap, uint16_t method, uint8_t cls,
		     const uint8_t tid[STUN_TID_LEN])
{
	wbuf_init(&b->w, buf, cap);
	if (method > 0x0FFF || cls > STUN_ERROR) {
		builder_fail(b, -EINVAL);
		return;
	}
	wbuf_u16(&b->w, type_encode(method, cls));
	wbuf_u16(&b->w, 0);
	wbuf_u32(&b->w, STUN_MAGIC);
	wbuf_put(&b->w, tid, STUN_TID_LEN);
}

/* Sets the header length as if the message ended at w.len + extra. */
static int set_length(struct stun_builder *b, size_t extra)
{
	size_t n = b->w.len + extra - STUN_HDR_LEN;

	if (n > 0xFFFF) {
		builder_fail(b, -EMSGSIZE);
		return b->w.err;
	}
	return wbuf_patch_u16(&b->w, 2, (uint16_t)n);
}

/* An attribute header and room for its value (zeroed), padding included. */
static int put_room(struct stun_builder *b, uint16_t type, size_t len, uint8_t **val)
{
	uint8_t *pad;

	if (len > 0xFFFF)
		builder_fail(b, -EMSGSIZE);
	wbuf_u16(&b->w, type);
	wbuf_u16(&b->w, (uint16_t)len);
	wbuf_reserve(&b->w, len, val);
	wbuf_reserve(&b->w, pad4(len), &pad);
	return b->w.err;
}

int stun_put(struct stun_builder *b, uint16_t type, const void *val, size_t len)
{
	uint8_t *p;
	int err = put_room(b, type, len, &p);

	if (!err && len)
		memcpy(p, val, len);
	return err;
}

int stun_put_u32(struct stun_builder *b, uint16_t type, uint32_t v)
{
	wbuf_u16(&b->w, type);
	wbuf_u16(&b->w, 4);
	return wbuf_u32(&b->w, v);
}

int stun_put_u64(struct stun_builder *b, uint16_t type, uint64_t v)
{
	wbuf_u16(&b->w, type);
	wbuf_u16(&b->w, 8);
	return wbuf_u64(&b->w, v);
}

int stun_put_flag(struct stun_builder *b, uint16_t type)
{
	return stun_put(b, type, NULL, 0);
}

int stun_put_text(struct stun_builder *b, uint16_t type, const char *s)
{
	if (!s) {
		builder_fail(b, -EINVAL);
		return b->w.err;
	}
	return stun_put(b, type, s, strlen(s));
}

static int put_address(struct stun_builder *b, uint16_t type, const struct sockaddr *sa, int xor)
{
	uint8_t v[20], family;
	uint16_t port;
	size_t n;

	if (wbuf_error(&b->w))
		return b->w.err;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		family = FAMILY_IPV4, n = 4, port = ntohs(s4->sin_port);
		memcpy(v + 4, &s4->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		family = FAMILY_IPV6, n = 16, port = ntohs(s6->sin6_port);
		memcpy(v + 4, &s6->sin6_addr, 16);
	} else {
		builder_fail(b, -EAFNOSUPPORT);
		return b->w.err;
	}
	if (xor) {
		/* RFC 8489 14.2; the header (cookie, then transaction ID) is already
		 * in the buffer at bytes 4..19. */
		port ^= (uint16_t)(STUN_MAGIC >> 16);
		for (size_t i = 0; i < n; i++)
			v[4 + i] ^= b->w.buf[4 + i];
	}
	v[0] = 0, v[1] = family, v[2] = (uint8_t)(port >> 8), v[3] = (uint8_t)port;
	return stun_put(b, type, v, 4 + n);
}

int stun_put_xor_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa)
{
	return put_address(b, type, sa, 1);
}

int stun_put_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa)
{
	return put_address(b, type, sa, 0);
}

int stun_put_error(struct stun_builder *b, int code, const char *reason)
{
	size_t rlen = reason ? strlen(reason) : 0;
	uint8_t *p;

	if (code < 300 || code > 699 || rlen > TEXT_MAX) {
		builder_fail(b, -EINVAL);
		return b->w.err;
	}
	if (put_room(b, STUN_A_ERROR_CODE, 4 + rlen, &p))
		return b->w.err;
	/* RFC 8489 14.8: reserved zero bits, class (hundreds), number (code % 100). */
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	if (rlen)
		memcpy(p + 4, reason, rlen);
	return 0;
}

static int put_mac(struct stun_builder *b, uint16_t type, const char *digest, size_t mac_len,
		   const uint8_t *key, size_t key_len)
{
	size_t start = b->w.len;
	uint8_t *p;
	int err;

	if (!key && key_len) {
		builder_fail(b, -EINVAL);
		return b->w.err;
	}
	if (put_room(b, type, mac_len, &p) || set_length(b, 0))
		return b->w.err;
	/* RFC 8489 14.5/14.6: HMAC of everything before the attribute, with the
	 * header length already counting it. */
	err = hmac2(digest, key, key_len, b->w.buf, STUN_HDR_LEN, b->w.buf + STUN_HDR_LEN,
		    start - STUN_HDR_LEN, p, mac_len);
	if (err)
		builder_fail(b, err);
	return b->w.err;
}

int stun_put_integrity(struct stun_builder *b, const uint8_t *key, size_t key_len)
{
	return put_mac(b, STUN_A_MESSAGE_INTEGRITY, "SHA1", MI_LEN, key, key_len);
}

int stun_put_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t key_len)
{
	return put_mac(b, STUN_A_MESSAGE_INTEGRITY_SHA256, "SHA256", MI256_LEN, key, key_len);
}

int stun_put_fingerprint(struct stun_builder *b)
{
	size_t start = b->w.len;
	uint8_t *p;
	uint32_t crc;

	if (put_room(b, STUN_A_FINGERPRINT, FP_LEN, &p) || set_length(b, 0))
		return b->w.err;
	/* RFC 8489 14.7: CRC over everything before the attribute, length counting it. */
	crc = crc32_v42(b->w.buf, start) ^ STUN_FP_XOR;
	p[0] = (uint8_t)(crc >> 24), p[1] = (uint8_t)(crc >> 16);
	p[2] = (uint8_t)(crc >> 8), p[3] = (uint8_t)crc;
	return 0;
}

int stun_finish(struct stun_builder *b, size_t *len)
{
	if (wbuf_error(&b->w))
		return b->w.err;
	if (set_length(b, 0))
		return b->w.err;
	*len = b->w.len;
	return 0;
}

int stun_new_tid(uint8_t tid[STUN_TID_LEN])
{
	return RAND_bytes(tid, STUN_TID_LEN) == 1 ? 0 : -EIO;
}

/* ---- names ---- */

const char *stun_method_name(uint16_t method)
{
	switch (method) {
	case STUN_BINDING:
		return "Binding";
	case STUN_ALLOCATE:
		return "Allocate";
	case STUN_REFRESH:
		return "Refresh";
	case STUN_SEND:
		return "Send";
	case STUN_DATA:
		return "Data";
	case STUN_CREATE_PERMISSION:
		return "CreatePermission";
	case STUN_CHANNEL_BIND:
		return "ChannelBind";
	default:
		return "unknown";
	}
}

const char *stun_class_name(uint8_t cls)
{
	static const char *const names[] = {"request", "indication", "success", "error"};

	return cls < 4 ? names[cls] : "unknown";
}
