/* The signed SIP registration record and the STUN/TURN announcement (formats in aor.h):
 * encoders, cursor-based parsers, the lookup-side checks. Not storage or P2PP framing. */
#include <errno.h>
#include <string.h>

#include "common/cursor.h"
#include "common/hostid.h"
#include "p2psipd/store/aor.h"
#include "p2psipd/store/store.h"

#define CTX_LEN 16

_Static_assert(sizeof(AOR_SIG_CONTEXT) - 1 == CTX_LEN, "AOR_SIG_CONTEXT is 16 bytes");

int aor_key(const char *aor, struct chord_id *out)
{
	return store_key_from_string(aor, strlen(aor), out);
}

static bool has_nul(const void *p, size_t n)
{
	return n && memchr(p, 0, n) != NULL;
}

static int check_body(const struct aor_record *r)
{
	if (r->aor_len == 0 || r->aor_len > AOR_MAX || has_nul(r->aor, r->aor_len))
		return -EINVAL;
	if (r->hi_len == 0 || r->hi_len > HOSTID_HI_MAX)
		return -EINVAL;
	return 0;
}

/* The body (version .. hi) after the signature context, as signed. */
static int write_tbs(struct wbuf *w, const struct aor_record *r)
{
	wbuf_put(w, AOR_SIG_CONTEXT, CTX_LEN);
	wbuf_u8(w, AOR_VERSION);
	wbuf_u8(w, 0);
	wbuf_u16(w, (uint16_t)r->aor_len);
	wbuf_put(w, r->aor, r->aor_len);
	wbuf_put(w, &r->hit, sizeof(r->hit));
	wbuf_u64(w, r->expires);
	wbuf_u16(w, r->hi_algorithm);
	wbuf_u16(w, (uint16_t)r->hi_len);
	wbuf_put(w, r->hi, r->hi_len);
	return wbuf_error(w);
}

int aor_encode(const struct aor_record *rec, const struct hostid *signer, uint8_t *buf, size_t cap,
	       size_t *len)
{
	uint8_t tbs[CTX_LEN + AOR_RECORD_MAX];
	uint8_t sig[HOSTID_SIG_MAX];
	size_t sig_len = 0;
	struct wbuf w;
	int err = check_body(rec);

	if (err)
		return err;
	wbuf_init(&w, tbs, sizeof(tbs));
	err = write_tbs(&w, rec);
	if (err)
		return err;
	err = hostid_sign(signer, tbs, w.len, sig, sizeof(sig), &sig_len);
	if (err)
		return err;
	if (w.len - CTX_LEN + 2 + sig_len > cap)
		return -ENOBUFS;
	memcpy(buf, tbs + CTX_LEN, w.len - CTX_LEN);
	*len = w.len - CTX_LEN;
	buf[(*len)++] = (uint8_t)(sig_len >> 8);
	buf[(*len)++] = (uint8_t)sig_len;
	memcpy(buf + *len, sig, sig_len);
	*len += sig_len;
	return 0;
}

int aor_sign(const struct hostid *id, const char *aor, uint64_t expires, uint8_t *buf, size_t cap,
	     size_t *len)
{
	struct aor_record r;
	size_t n = strlen(aor);

	if (n == 0 || n > AOR_MAX)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	memcpy(r.aor, aor, n);
	r.aor_len = n;
	r.hit = id->hit;
	r.expires = expires;
	r.hi_algorithm = id->algorithm;
	memcpy(r.hi, id->hi, id->hi_len);
	r.hi_len = id->hi_len;
	return aor_encode(&r, id, buf, cap, len);
}

static int parse_head(struct cursor *c, struct aor_record *r)
{
	uint8_t version, flags;
	uint16_t n;

	if (cur_u8(c, &version) || cur_u8(c, &flags) || cur_u16(c, &n))
		return -EBADMSG;
	if (version != AOR_VERSION || flags != 0 || n == 0 || n > AOR_MAX)
		return -EBADMSG;
	if (cur_copy(c, r->aor, n) || has_nul(r->aor, n))
		return -EBADMSG;
	r->aor[n] = '\0';
	r->aor_len = n;
	if (cur_copy(c, &r->hit, sizeof(r->hit)) || cur_u64(c, &r->expires))
		return -EBADMSG;
	return 0;
}

static int parse_blob(struct cursor *c, uint8_t *dst, size_t max, size_t *len)
{
	uint16_t n;

	if (cur_u16(c, &n) || n == 0 || n > max || cur_copy(c, dst, n))
		return -EBADMSG;
	*len = n;
	return 0;
}

int aor_parse(const uint8_t *buf, size_t len, struct aor_record *out)
{
	struct cursor c;

	memset(out, 0, sizeof(*out));
	cur_init(&c, buf, len);
	if (parse_head(&c, out) || cur_u16(&c, &out->hi_algorithm))
		return -EBADMSG;
	if (parse_blob(&c, out->hi, sizeof(out->hi), &out->hi_len))
		return -EBADMSG;
	if (parse_blob(&c, out->sig, sizeof(out->sig), &out->sig_len) || cur_left(&c))
		return -EBADMSG;
	return 0;
}

/* The signature over the context and the record's body (everything before sig_len). */
static int check_sig(const struct hostid *hi, const uint8_t *buf, size_t len,
		     const struct aor_record *r)
{
	uint8_t tbs[CTX_LEN + AOR_RECORD_MAX];
	size_t body = len - 2 - r->sig_len;
	struct wbuf w;

	wbuf_init(&w, tbs, sizeof(tbs));
	wbuf_put(&w, AOR_SIG_CONTEXT, CTX_LEN);
	wbuf_put(&w, buf, body);
	if (wbuf_error(&w))
		return -EBADMSG;
	if (hostid_verify(hi, tbs, w.len, r->sig, r->sig_len))
		return AOR_ERR_SIG;
	return 0;
}

static int check_record(const struct aor_record *r, const uint8_t *buf, size_t len, uint64_t now)
{
	struct hostid *hi = NULL;
	int err = hostid_from_hi(r->hi_algorithm, r->hi, r->hi_len, &hi);

	if (err)
		return err == -EOPNOTSUPP ? err : AOR_ERR_MALFORMED;
	if (memcmp(&hi->hit, &r->hit, sizeof(r->hit)) != 0)
		err = AOR_ERR_HIT;
	if (!err)
		err = check_sig(hi, buf, len, r);
	hostid_free(hi);
	if (!err && r->expires <= now)
		err = AOR_ERR_EXPIRED;
	return err;
}

int aor_verify(const uint8_t *buf, size_t len, uint64_t now, const char *want_aor,
	       struct aor_record *out)
{
	struct aor_record tmp;
	struct aor_record *r = out ? out : &tmp;
	int err = aor_parse(buf, len, r);

	if (!err)
		err = check_record(r, buf, len, now);
	if (!err && want_aor && strcmp(want_aor, r->aor) != 0)
		err = AOR_ERR_KEY;
	if (err && out)
		memset(out, 0, sizeof(*out));
	return err;
}

const char *aor_strerror(int err)
{
	switch (err) {
	case 0:
		return "valid";
	case AOR_ERR_MALFORMED:
		return "malformed record";
	case AOR_ERR_SIG:
		return "signature does not verify with the record's host identity";
	case AOR_ERR_HIT:
		return "HIT is not the ORCHID of the record's host identity";
	case AOR_ERR_EXPIRED:
		return "record expired";
	case AOR_ERR_KEY:
		return "record is for another AOR";
	case -EOPNOTSUPP:
		return "unsupported host identity algorithm";
	default:
		return "error";
	}
}

/* ---- STUN/TURN server announcement ---- */

int srvann_key(struct chord_id *out)
{
	return store_key_from_string(SRVANN_KEY, strlen(SRVANN_KEY), out);
}

static size_t ip_len(uint8_t ip_version)
{
	return ip_version == 4 ? 4 : ip_version == 6 ? 16 : 0;
}

static bool kind_ok(uint8_t kind)
{
	return kind == SRVANN_STUN || kind == SRVANN_TURN;
}

int srvann_encode(const struct srvann *a, uint8_t *buf, size_t cap, size_t *len)
{
	size_t realm_len = strnlen(a->realm, sizeof(a->realm));
	struct wbuf w;

	if (!kind_ok(a->kind) || !ip_len(a->ip_version) || a->port == 0 ||
	    realm_len > SRVANN_REALM_MAX)
		return -EINVAL;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, SRVANN_VERSION);
	wbuf_u8(&w, a->kind);
	wbuf_u8(&w, a->ip_version);
	wbuf_u8(&w, (uint8_t)realm_len);
	wbuf_u16(&w, a->port);
	wbuf_put(&w, a->ip, ip_len(a->ip_version));
	wbuf_put(&w, a->realm, realm_len);
	if (wbuf_error(&w))
		return -ENOBUFS;
	*len = w.len;
	return 0;
}

int srvann_parse(const uint8_t *buf, size_t len, struct srvann *out)
{
	uint8_t version, realm_len;
	struct cursor c;

	memset(out, 0, sizeof(*out));
	cur_init(&c, buf, len);
	if (cur_u8(&c, &version) || cur_u8(&c, &out->kind) || cur_u8(&c, &out->ip_version) ||
	    cur_u8(&c, &realm_len) || cur_u16(&c, &out->port))
		goto bad;
	if (version != SRVANN_VERSION || !kind_ok(out->kind) || !ip_len(out->ip_version) ||
	    out->port == 0 || realm_len > SRVANN_REALM_MAX)
		goto bad;
	if (cur_copy(&c, out->ip, ip_len(out->ip_version)) || cur_copy(&c, out->realm, realm_len))
		goto bad;
	if (has_nul(out->realm, realm_len) || cur_left(&c))
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EBADMSG;
}
