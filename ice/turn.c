/* TURN client over UDP (RFC 8656) on the STUN codec and transactions: Allocate with the
 * long-term credential mechanism, Refresh, permissions, channels, Send/Data indications
 * and ChannelData. Not a socket owner and not ICE: datagrams go out through the caller's
 * ice_sock and come back through turn_client_input. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/cursor.h"
#include "common/log.h"
#include "ice/stun.h"
#include "ice/stun_txn.h"
#include "ice/turn.h"

#define TURN_MAX_PERMS	   32
#define TURN_MAX_CHANNELS  32
#define CHANNEL_FIRST	   0x4000 /* RFC 8656 12: 0x4000..0x4FFF */
#define CHANNEL_LAST	   0x4FFF
#define PERM_LIFETIME_S	   300 /* RFC 8656 9 */
#define CHANNEL_LIFETIME_S 600 /* RFC 8656 12 */
#define REFRESH_MARGIN_S   60  /* RFC 8656 8: "roughly 1 minute before it expires" */
#define MAX_STALE	   3   /* 438 answers in a row to one request before giving up */
#define TEXT_MAX	   763 /* REALM, NONCE: at most 763 bytes (RFC 8489 14.9, 14.10) */
#define USERNAME_MAX	   508 /* RFC 8489 14.3: less than 509 bytes */
#define PWALGS_MAX	   64
#define OUT_MAX		   4096 /* Send indications and ChannelData we build */
#define REASON_MAX	   200
#define PROTO_UDP	   17
#define RETRY_MS	   1000 /* after a refresh could not even be sent */

/* The 24 STUN Security Feature bits of the nonce cookie (RFC 8489 9.2, 18.1). */
#define NONCE_COOKIE	 "obMatJos2"
#define NONCE_COOKIE_LEN 9
#define FEAT_PWALGS	 0x800000u /* bit 0: Password algorithms */
#define FEAT_ANON	 0x400000u /* bit 1: Username anonymity */

_Static_assert(CHANNEL_FIRST + TURN_MAX_CHANNELS - 1 <= CHANNEL_LAST, "channel numbers");

enum req_kind { REQ_ALLOCATE, REQ_REFRESH, REQ_PERMISSION, REQ_CHANNEL };
enum slot_state { SLOT_FREE, SLOT_PENDING, SLOT_ACTIVE, SLOT_FAILED };

/* One request that may be in flight; it is rebuilt (new transaction ID, current
 * nonce) on every retry. */
struct turn_req {
	struct turn_client *c;
	struct stun_txn *txn; /* non-NULL while in flight */
	uint8_t kind;
	uint8_t authed; /* the request in flight carried credentials */
	uint8_t stale;	/* 438 answers in a row */
	uint16_t slot;
};

/* A permission is per peer IP (RFC 8656 9); the port is kept for logs only. */
struct turn_perm {
	struct sockaddr_storage peer;
	uint8_t state;
	uint64_t refresh_at; /* uv_now() ms */
	struct turn_req req;
};

/* A channel binds a number to a peer transport address (RFC 8656 12); slot i
 * always carries number 0x4000 + i, and slots are never reused, so a number
 * never moves to another peer during the client's life. */
struct turn_chan {
	struct sockaddr_storage peer;
	uint8_t state;
	uint64_t refresh_at;
	struct turn_req req;
};

struct turn_client {
	uv_loop_t *loop;
	const struct ice_sock *sock;
	struct sockaddr_storage server;
	char *user, *pass, *software;
	unsigned req_lifetime;
	struct turn_callbacks cb;
	void *arg;
	enum turn_state state;
	int closing;
	struct stun_txns txns;
	uv_timer_t timer;

	/* Long-term credentials (RFC 8489 9.2), learnt from the 401. */
	int have_key;
	uint8_t key[32];
	size_t key_len;
	uint16_t pwalg;		    /* PASSWORD-ALGORITHM in use */
	uint8_t pwalgs[PWALGS_MAX]; /* the server's PASSWORD-ALGORITHMS, echoed */
	size_t pwalgs_len;	    /* 0: legacy MD5 key with MESSAGE-INTEGRITY */
	int anon;		    /* USERHASH instead of USERNAME */
	uint8_t userhash[32];
	char realm[TEXT_MAX + 1];
	uint8_t nonce[TEXT_MAX];
	size_t realm_len, nonce_len;
	int redirected; /* one 300 Try Alternate followed */

	struct sockaddr_storage relayed, mapped;
	uint32_t lifetime; /* granted by the server */
	uint64_t alloc_refresh_at;
	struct turn_req alloc_req; /* Allocate, then Refresh */
	unsigned perm_lifetime, chan_lifetime;
	struct turn_perm perms[TURN_MAX_PERMS];
	struct turn_chan chans[TURN_MAX_CHANNELS];
	char reason[REASON_MAX];
	uint8_t out[OUT_MAX];
};

static void on_response(void *arg, int err, const struct stun_msg *m, const struct sockaddr *from);

static const struct sockaddr *sa(const struct sockaddr_storage *ss)
{
	return (const struct sockaddr *)ss;
}

/* RFC 8656 8 (allocations) and 9/12 (permissions, channels): refresh a minute
 * before the end; lifetimes of two minutes or less (tests) at their half. */
static uint64_t refresh_delay_ms(unsigned lifetime_s)
{
	if (lifetime_s > 2 * REFRESH_MARGIN_S)
		return (uint64_t)(lifetime_s - REFRESH_MARGIN_S) * 1000;
	return (uint64_t)lifetime_s * 500;
}

static int same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return 0;
}

static struct turn_perm *find_perm(struct turn_client *c, const struct sockaddr *peer)
{
	for (size_t i = 0; i < TURN_MAX_PERMS; i++)
		if (c->perms[i].state != SLOT_FREE && same_ip(sa(&c->perms[i].peer), peer))
			return &c->perms[i];
	return NULL;
}

static struct turn_chan *find_chan(struct turn_client *c, const struct sockaddr *peer)
{
	for (size_t i = 0; i < TURN_MAX_CHANNELS; i++)
		if (c->chans[i].state != SLOT_FREE && ice_sa_equal(sa(&c->chans[i].peer), peer))
			return &c->chans[i];
	return NULL;
}

static int slot_usable(uint8_t state)
{
	return state == SLOT_PENDING || state == SLOT_ACTIVE;
}

static void copy_peer(struct sockaddr_storage *dst, const struct sockaddr *peer)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, peer, ice_sa_len(peer));
}

/* ---- reasons for the application ---- */

/* Server text goes into logs and reasons only as printable ASCII. */
static void set_reason(struct turn_client *c, int code, const char *srv, size_t srv_len,
		       const char *what)
{
	char text[81];
	size_t n = srv_len < sizeof(text) - 1 ? srv_len : sizeof(text) - 1;

	for (size_t i = 0; i < n; i++)
		text[i] = (srv[i] >= 0x20 && srv[i] < 0x7f) ? srv[i] : '?';
	text[n] = 0;
	if (code)
		snprintf(c->reason, sizeof(c->reason), "%d %s: %s", code, text, what);
	else
		snprintf(c->reason, sizeof(c->reason), "%s", what);
}

static const struct {
	int code, err;
	const char *what;
} error_map[] = {
    {300, -EXDEV, "redirected to another server (ALTERNATE-SERVER)"},
    {400, -EINVAL, "the server found the request malformed"},
    {401, -EACCES, "the server does not accept these credentials"},
    {403, -EPERM, "refused by the server's policy"},
    {420, -EPROTO, "the server does not know a comprehension-required attribute"},
    {437, -ECONNRESET, "allocation mismatch: the server has no allocation for this 5-tuple"},
    {438, -EPROTO, "stale nonce, and retries with new nonces did not help"},
    {440, -EAFNOSUPPORT, "address family not supported by the server"},
    {441, -EACCES, "wrong credentials: not the username of this allocation"},
    {442, -EPROTONOSUPPORT, "unsupported transport address"},
    {443, -EAFNOSUPPORT, "peer address family mismatch"},
    {486, -EDQUOT, "allocation quota reached; wait a minute before retrying"},
    {508, -ENOSPC, "the server has insufficient capacity; wait a minute before retrying"},
};

static int map_error(int code, const char **what)
{
	for (size_t i = 0; i < sizeof(error_map) / sizeof(error_map[0]); i++) {
		if (error_map[i].code == code) {
			*what = error_map[i].what;
			return error_map[i].err;
		}
	}
	*what = "unexpected error response";
	return -EPROTO;
}

/* ---- credentials (RFC 8489 9.2) ---- */

static int b64_value(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* The Security Feature bits of a nonce that starts with the nonce cookie
 * ("obMatJos2" and 4 base64 characters), else 0 (RFC 8489 9.2). */
static uint32_t nonce_features(const uint8_t *nonce, size_t len)
{
	uint32_t bits = 0;

	if (len < NONCE_COOKIE_LEN + 4 || memcmp(nonce, NONCE_COOKIE, NONCE_COOKIE_LEN) != 0)
		return 0;
	for (size_t i = 0; i < 4; i++) {
		int v = b64_value(nonce[NONCE_COOKIE_LEN + i]);

		if (v < 0)
			return 0;
		bits = bits << 6 | (uint32_t)v;
	}
	return bits;
}

/* RFC 8489 9.2.5: the first algorithm of PASSWORD-ALGORITHMS that we support.
 * 0 with *alg set, -ENOTSUP when none is, -EBADMSG when malformed. */
static int choose_pwalg(const uint8_t *v, size_t len, uint16_t *alg)
{
	struct cursor cur;
	int found = 0;

	cur_init(&cur, v, len);
	while (cur_left(&cur) > 0) {
		uint16_t a, plen;

		if (cur_u16(&cur, &a) || cur_u16(&cur, &plen) ||
		    cur_skip(&cur, ((size_t)plen + 3) & ~(size_t)3))
			return -EBADMSG;
		if (!found && (a == STUN_PWALG_MD5 || a == STUN_PWALG_SHA256)) {
			*alg = a;
			found = 1;
		}
	}
	return found ? 0 : -ENOTSUP;
}

/* RFC 8489 14.4: USERHASH = SHA-256(username ":" realm). */
static int make_userhash(struct turn_client *c)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, c->user, strlen(c->user)) && EVP_DigestUpdate(ctx, ":", 1) &&
	     EVP_DigestUpdate(ctx, c->realm, c->realm_len) &&
	     EVP_DigestFinal_ex(ctx, c->userhash, &n);
	EVP_MD_CTX_free(ctx);
	return ok && n == 32 ? 0 : -EIO;
}

/* Takes REALM (required unless keep_realm), NONCE and PASSWORD-ALGORITHMS from a
 * 401 or 438 and derives the key. 0, or a negative errno with c->reason set. */
static int learn_challenge(struct turn_client *c, const struct stun_msg *m, int keep_realm)
{
	const struct stun_attr *ra = stun_find(m, STUN_A_REALM);
	const struct stun_attr *na = stun_find(m, STUN_A_NONCE);
	const struct stun_attr *pa = stun_find(m, STUN_A_PASSWORD_ALGORITHMS);
	const uint8_t *realm = NULL, *nonce, *pwalgs = NULL;
	size_t realm_len = 0, nonce_len, pwalgs_len = 0;
	uint16_t alg = STUN_PWALG_MD5;
	uint32_t feat;
	int err;

	if ((!ra && !keep_realm) || !na || stun_get_bytes(m, na, &nonce, &nonce_len) ||
	    nonce_len == 0 || nonce_len > TEXT_MAX ||
	    (ra && (stun_get_bytes(m, ra, &realm, &realm_len) || realm_len > TEXT_MAX))) {
		set_reason(c, 0, NULL, 0, "challenge without a usable REALM and NONCE");
		return -EPROTO;
	}
	while (realm && realm_len > 0 && realm[realm_len - 1] == 0)
		realm_len--; /* RFC 8489 9.2.2: trailing nulls removed */
	if (realm && memchr(realm, 0, realm_len)) {
		set_reason(c, 0, NULL, 0, "REALM with a NUL byte");
		return -EPROTO;
	}
	feat = nonce_features(nonce, nonce_len);
	if (pa && stun_get_bytes(m, pa, &pwalgs, &pwalgs_len))
		return -EPROTO;
	if ((feat & FEAT_PWALGS) && !pa) {
		/* RFC 8489 9.2.5: a bid-down attack; do not retry. */
		set_reason(c, 0, NULL, 0,
			   "nonce cookie announces PASSWORD-ALGORITHMS but none came");
		return -EPROTO;
	}
	if (pa && (pwalgs_len > PWALGS_MAX || choose_pwalg(pwalgs, pwalgs_len, &alg))) {
		set_reason(c, 0, NULL, 0, "no supported algorithm in PASSWORD-ALGORITHMS");
		return -ENOTSUP;
	}
	if (realm) {
		memcpy(c->realm, realm, realm_len);
		c->realm[realm_len] = 0;
		c->realm_len = realm_len;
	}
	memcpy(c->nonce, nonce, nonce_len);
	c->nonce_len = nonce_len;
	if (pa)
		memcpy(c->pwalgs, pwalgs, pwalgs_len);
	c->pwalgs_len = pa ? pwalgs_len : 0;
	c->pwalg = alg;
	c->anon = (feat & FEAT_ANON) != 0;
	err = stun_key_long_term(alg, c->user, c->realm, c->pass, c->key, &c->key_len);
	if (!err && c->anon)
		err = make_userhash(c);
	if (err) {
		set_reason(c, 0, NULL, 0, "cannot derive the long-term key");
		return err;
	}
	c->have_key = 1;
	return 0;
}

/* RFC 8489 9.2.3.2: USERNAME (or USERHASH), REALM, NONCE, the password
 * algorithms when the server listed them, and the message integrity: SHA-256
 * only once the server sent PASSWORD-ALGORITHMS (9.2.5), else MESSAGE-INTEGRITY. */
static void put_auth(struct turn_client *c, struct stun_builder *b)
{
	if (c->anon)
		stun_put(b, STUN_A_USERHASH, c->userhash, sizeof(c->userhash));
	else
		stun_put_text(b, STUN_A_USERNAME, c->user);
	stun_put(b, STUN_A_REALM, c->realm, c->realm_len);
	stun_put(b, STUN_A_NONCE, c->nonce, c->nonce_len);
	if (c->pwalgs_len) {
		uint8_t alg[4] = {(uint8_t)(c->pwalg >> 8), (uint8_t)c->pwalg, 0, 0};

		stun_put(b, STUN_A_PASSWORD_ALGORITHMS, c->pwalgs, c->pwalgs_len);
		stun_put(b, STUN_A_PASSWORD_ALGORITHM, alg, sizeof(alg));
		stun_put_integrity_sha256(b, c->key, c->key_len);
	} else {
		stun_put_integrity(b, c->key, c->key_len);
	}
}

/* ---- requests ---- */

static uint16_t chan_number(const struct turn_client *c, const struct turn_chan *ch)
{
	return (uint16_t)(CHANNEL_FIRST + (ch - c->chans));
}

static uint16_t method_of(uint8_t kind)
{
	static const uint16_t methods[] = {STUN_ALLOCATE, STUN_REFRESH, STUN_CREATE_PERMISSION,
					   STUN_CHANNEL_BIND};

	return methods[kind];
}

/* Builds a request of this kind (delete: Refresh with LIFETIME 0, RFC 8656 8.1). */
static int build_request(struct turn_client *c, uint8_t kind, uint16_t slot, int delete,
			 uint8_t *buf, size_t cap, size_t *len)
{
	struct stun_builder b;
	uint8_t tid[STUN_TID_LEN];
	int err = stun_new_tid(tid);

	if (err)
		return err;
	stun_build_init(&b, buf, cap, method_of(kind), STUN_REQUEST, tid);
	switch (kind) {
	case REQ_ALLOCATE: /* RFC 8656 7.1: REQUESTED-TRANSPORT is UDP */
		stun_put_u32(&b, STUN_A_REQUESTED_TRANSPORT, (uint32_t)PROTO_UDP << 24);
		if (c->req_lifetime)
			stun_put_u32(&b, STUN_A_LIFETIME, c->req_lifetime);
		break;
	case REQ_REFRESH:
		if (delete || c->req_lifetime)
			stun_put_u32(&b, STUN_A_LIFETIME, delete ? 0 : c->req_lifetime);
		break;
	case REQ_PERMISSION: /* RFC 8656 10.1 */
		stun_put_xor_addr(&b, STUN_A_XOR_PEER_ADDRESS, sa(&c->perms[slot].peer));
		break;
	case REQ_CHANNEL: /* RFC 8656 12.1: CHANNEL-NUMBER is 16 bits and 16 RFFU */
		stun_put_u32(&b, STUN_A_CHANNEL_NUMBER,
			     (uint32_t)chan_number(c, &c->chans[slot]) << 16);
		stun_put_xor_addr(&b, STUN_A_XOR_PEER_ADDRESS, sa(&c->chans[slot].peer));
		break;
	}
	if (c->software) /* RFC 8656 5: SHOULD in Allocate and Refresh */
		stun_put_text(&b, STUN_A_SOFTWARE, c->software);
	if (c->have_key)
		put_auth(c, &b);
	stun_put_fingerprint(&b);
	return stun_finish(&b, len);
}

static int req_send(struct turn_client *c, struct turn_req *r)
{
	uint8_t buf[STUN_MAX_MSG];
	size_t len;
	int err = build_request(c, r->kind, r->slot, 0, buf, sizeof(buf), &len);

	if (err)
		return err;
	r->authed = (uint8_t)c->have_key;
	err = stun_txn_start(&c->txns, c->sock, sa(&c->server), buf, len, &stun_timing_default,
			     on_response, r, &r->txn);
	if (err)
		r->txn = NULL;
	return err;
}

static void req_cancel(struct turn_req *r)
{
	if (r->txn)
		stun_txn_cancel(r->txn);
	r->txn = NULL;
}

static void cancel_all(struct turn_client *c)
{
	req_cancel(&c->alloc_req);
	for (size_t i = 0; i < TURN_MAX_PERMS; i++)
		req_cancel(&c->perms[i].req);
	for (size_t i = 0; i < TURN_MAX_CHANNELS; i++)
		req_cancel(&c->chans[i].req);
}

/* ---- refresh timer ---- */

static void on_timer(uv_timer_t *t);

static void schedule(struct turn_client *c)
{
	uint64_t next = UINT64_MAX, now = uv_now(c->loop);

	if (c->closing)
		return;
	if (c->state != TURN_ALLOCATED) {
		uv_timer_stop(&c->timer);
		return;
	}
	if (!c->alloc_req.txn)
		next = c->alloc_refresh_at;
	for (size_t i = 0; i < TURN_MAX_PERMS; i++)
		if (c->perms[i].state == SLOT_ACTIVE && !c->perms[i].req.txn &&
		    c->perms[i].refresh_at < next)
			next = c->perms[i].refresh_at;
	for (size_t i = 0; i < TURN_MAX_CHANNELS; i++)
		if (c->chans[i].state == SLOT_ACTIVE && !c->chans[i].req.txn &&
		    c->chans[i].refresh_at < next)
			next = c->chans[i].refresh_at;
	if (next == UINT64_MAX) {
		uv_timer_stop(&c->timer);
		return;
	}
	uv_timer_start(&c->timer, on_timer, next > now ? next - now : 0, 0);
}

static void alloc_failed(struct turn_client *c, int err)
{
	log_warn("turn: allocation failed: %s", c->reason);
	c->state = TURN_FAILED;
	cancel_all(c);
	uv_timer_stop(&c->timer);
	if (c->cb.on_allocated)
		c->cb.on_allocated(c->arg, err, NULL, NULL, c->reason);
}

/* Starts one due refresh; a request that cannot even be sent is tried again a
 * second later (a full send buffer should not end an allocation). */
static void refresh_due(struct turn_client *c, struct turn_req *r, uint64_t *at, uint64_t now)
{
	int err;

	if (r->txn || *at > now)
		return;
	err = req_send(c, r);
	if (err) {
		log_warn("turn: %s refresh not sent: %s", stun_method_name(method_of(r->kind)),
			 strerror(-err));
		*at = now + RETRY_MS;
	}
}

static void on_timer(uv_timer_t *t)
{
	struct turn_client *c = t->data;
	uint64_t now = uv_now(c->loop);

	if (c->state != TURN_ALLOCATED || c->closing)
		return;
	c->alloc_req.kind = REQ_REFRESH;
	refresh_due(c, &c->alloc_req, &c->alloc_refresh_at, now);
	for (size_t i = 0; i < TURN_MAX_PERMS; i++)
		if (c->perms[i].state == SLOT_ACTIVE)
			refresh_due(c, &c->perms[i].req, &c->perms[i].refresh_at, now);
	for (size_t i = 0; i < TURN_MAX_CHANNELS; i++)
		if (c->chans[i].state == SLOT_ACTIVE)
			refresh_due(c, &c->chans[i].req, &c->chans[i].refresh_at, now);
	schedule(c);
}

/* ---- responses ---- */

/* Comprehension-required attributes we understand in responses (RFC 8489 6.3.3:
 * others make a success response a failure). */
static const uint16_t known_attrs[] = {
    STUN_A_MAPPED_ADDRESS,
    STUN_A_USERNAME,
    STUN_A_MESSAGE_INTEGRITY,
    STUN_A_ERROR_CODE,
    STUN_A_UNKNOWN_ATTRIBUTES,
    STUN_A_CHANNEL_NUMBER,
    STUN_A_LIFETIME,
    STUN_A_XOR_PEER_ADDRESS,
    STUN_A_DATA,
    STUN_A_REALM,
    STUN_A_NONCE,
    STUN_A_XOR_RELAYED_ADDRESS,
    STUN_A_REQUESTED_ADDR_FAMILY,
    STUN_A_EVEN_PORT,
    STUN_A_REQUESTED_TRANSPORT,
    STUN_A_DONT_FRAGMENT,
    STUN_A_MESSAGE_INTEGRITY_SHA256,
    STUN_A_PASSWORD_ALGORITHM,
    STUN_A_USERHASH,
    STUN_A_XOR_MAPPED_ADDRESS,
    STUN_A_RESERVATION_TOKEN,
};

static void send_queued(struct turn_client *c);

static int allocate_success(struct turn_client *c, const struct stun_msg *m)
{
	const struct stun_attr *rel = stun_find(m, STUN_A_XOR_RELAYED_ADDRESS);
	const struct stun_attr *map = stun_find(m, STUN_A_XOR_MAPPED_ADDRESS);
	const struct stun_attr *lt = stun_find(m, STUN_A_LIFETIME);
	uint32_t lifetime;

	/* RFC 8656 7.3: addresses of families we handle (the reader gives only
	 * IPv4 and IPv6), and the lifetime the server granted. */
	if (!rel || !map || !lt || stun_get_xor_addr(m, rel, &c->relayed) ||
	    stun_get_xor_addr(m, map, &c->mapped) || stun_get_u32(m, lt, &lifetime) ||
	    lifetime == 0) {
		set_reason(c, 0, NULL, 0,
			   "Allocate success without usable XOR-RELAYED-ADDRESS, "
			   "XOR-MAPPED-ADDRESS and LIFETIME");
		return -EPROTO;
	}
	c->lifetime = lifetime;
	c->alloc_refresh_at = uv_now(c->loop) + refresh_delay_ms(lifetime);
	c->state = TURN_ALLOCATED;
	return 0;
}

static void on_success(struct turn_client *c, struct turn_req *r, const struct stun_msg *m)
{
	uint64_t now = uv_now(c->loop);
	const struct stun_attr *lt;
	uint32_t lifetime;
	char rbuf[64], mbuf[64];
	int err;

	r->stale = 0;
	switch (r->kind) {
	case REQ_ALLOCATE:
		err = allocate_success(c, m);
		if (err) {
			alloc_failed(c, err);
			return;
		}
		log_info("turn: allocated %s (mapped %s), lifetime %u s",
			 ice_sa_str(sa(&c->relayed), rbuf, sizeof(rbuf)),
			 ice_sa_str(sa(&c->mapped), mbuf, sizeof(mbuf)), c->lifetime);
		if (c->cb.on_allocated)
			c->cb.on_allocated(c->arg, 0, sa(&c->relayed), sa(&c->mapped), "allocated");
		if (c->closing)
			return;
		send_queued(c);
		break;
	case REQ_REFRESH: /* RFC 8656 8.3 */
		lt = stun_find(m, STUN_A_LIFETIME);
		if (lt && !stun_get_u32(m, lt, &lifetime) && lifetime > 0)
			c->lifetime = lifetime;
		c->alloc_refresh_at = now + refresh_delay_ms(c->lifetime);
		log_debug("turn: allocation refreshed, lifetime %u s", c->lifetime);
		break;
	case REQ_PERMISSION: /* RFC 8656 10.3 */
		c->perms[r->slot].state = SLOT_ACTIVE;
		c->perms[r->slot].refresh_at = now + refresh_delay_ms(c->perm_lifetime);
		break;
	case REQ_CHANNEL: { /* RFC 8656 12.3: the permission is refreshed too */
		struct turn_chan *ch = &c->chans[r->slot];
		struct turn_perm *p = find_perm(c, sa(&ch->peer));

		ch->state = SLOT_ACTIVE;
		ch->refresh_at = now + refresh_delay_ms(c->chan_lifetime);
		if (p && !p->req.txn && slot_usable(p->state)) {
			p->state = SLOT_ACTIVE;
			p->refresh_at = now + refresh_delay_ms(c->perm_lifetime);
		}
		break;
	}
	}
	schedule(c);
}

/* A permission or channel request failed for good: the slot is marked failed
 * (turn_client_permit / _bind_channel may try again). */
static void slot_failed(struct turn_client *c, struct turn_req *r)
{
	char pbuf[64];
	const struct sockaddr *peer =
	    r->kind == REQ_PERMISSION ? sa(&c->perms[r->slot].peer) : sa(&c->chans[r->slot].peer);

	log_warn("turn: %s for %s failed: %s", stun_method_name(method_of(r->kind)),
		 ice_sa_str(peer, pbuf, sizeof(pbuf)), c->reason);
	if (r->kind == REQ_PERMISSION)
		c->perms[r->slot].state = SLOT_FAILED;
	else
		c->chans[r->slot].state = SLOT_FAILED;
	schedule(c);
}

static void req_failed(struct turn_client *c, struct turn_req *r, int err, int code)
{
	/* RFC 8656 5: 437 to a request other than Allocate means the allocation
	 * is gone; Allocate and Refresh failures end the allocation too. */
	if (r->kind == REQ_ALLOCATE || r->kind == REQ_REFRESH || code == 437)
		alloc_failed(c, err);
	else
		slot_failed(c, r);
}

static void retry(struct turn_client *c, struct turn_req *r)
{
	int err = req_send(c, r);

	if (err) {
		set_reason(c, 0, NULL, 0, "cannot send the authenticated retry");
		req_failed(c, r, err, 0);
	}
}

/* RFC 8489 10 / RFC 8656 7.4: one redirection of the Allocate, to a server of
 * the same family, started afresh (a new server means a first request). */
static int try_alternate(struct turn_client *c, struct turn_req *r, const struct stun_msg *m)
{
	const struct stun_attr *a = stun_find(m, STUN_A_ALTERNATE_SERVER);
	struct sockaddr_storage alt;
	char buf[64];

	if (r->kind != REQ_ALLOCATE || c->redirected || !a || stun_get_addr(m, a, &alt) ||
	    alt.ss_family != c->server.ss_family || ice_sa_equal(sa(&alt), sa(&c->server)))
		return -EXDEV;
	log_info("turn: redirected to %s", ice_sa_str(sa(&alt), buf, sizeof(buf)));
	c->server = alt;
	c->redirected = 1;
	c->have_key = 0;
	r->stale = 0;
	return req_send(c, r);
}

static void on_error(struct turn_client *c, struct turn_req *r, const struct stun_msg *m)
{
	const struct stun_attr *ea = stun_find(m, STUN_A_ERROR_CODE);
	const char *text = "", *what;
	size_t text_len = 0;
	int code = 0, err;

	if (!ea || stun_get_error(m, ea, &code, &text, &text_len)) {
		set_reason(c, 0, NULL, 0, "error response without a valid ERROR-CODE");
		req_failed(c, r, -EPROTO, 0);
		return;
	}
	/* RFC 8489 9.2.5: after a 401 to a request without credentials, retry
	 * with them; a 401 to a request that carried them is final. */
	if (code == 401 && !r->authed) {
		err = learn_challenge(c, m, 0);
		if (err) {
			req_failed(c, r, err, code);
			return;
		}
		retry(c, r);
		return;
	}
	/* RFC 8489 9.2.5, RFC 8656 8.3: 438 means retry with the new nonce. */
	if (code == 438 && r->authed && r->stale < MAX_STALE) {
		r->stale++;
		err = learn_challenge(c, m, 1);
		if (err) {
			req_failed(c, r, err, code);
			return;
		}
		retry(c, r);
		return;
	}
	if (code == 300 && try_alternate(c, r, m) == 0)
		return;
	err = map_error(code, &what);
	if (code == 437 && r->kind == REQ_ALLOCATE) {
		err = -EADDRINUSE; /* RFC 8656 7.4: the 5-tuple is in use */
		what = "allocation mismatch: this client address is in use by another allocation";
	}
	if (code == 401)
		what = c->realm_len ? "credentials rejected for this realm"
				    : "the server does not accept these credentials";
	set_reason(c, code, text, text_len, what);
	req_failed(c, r, err, code);
}

static void on_response(void *arg, int err, const struct stun_msg *m, const struct sockaddr *from)
{
	struct turn_req *r = arg;
	struct turn_client *c = r->c;
	uint16_t unknown[4];

	(void)from;
	r->txn = NULL;
	if (c->closing)
		return;
	if (err) {
		set_reason(c, 0, NULL, 0,
			   err == -ETIMEDOUT ? "no response from the TURN server" : strerror(-err));
		req_failed(c, r, err, 0);
		return;
	}
	if (m->cls == STUN_ERROR) {
		on_error(c, r, m);
		return;
	}
	if (stun_unknown_required(m, known_attrs, sizeof(known_attrs) / sizeof(known_attrs[0]),
				  unknown, 4) > 0) {
		set_reason(c, 0, NULL, 0, "success response with an unknown required attribute");
		req_failed(c, r, -EPROTO, 0);
		return;
	}
	on_success(c, r, m);
}

/* Sends what waited for the allocation: permissions, then channels. */
static void send_queued(struct turn_client *c)
{
	for (size_t i = 0; i < TURN_MAX_PERMS; i++) {
		struct turn_perm *p = &c->perms[i];

		if (p->state == SLOT_PENDING && !p->req.txn && req_send(c, &p->req)) {
			set_reason(c, 0, NULL, 0, "cannot send CreatePermission");
			slot_failed(c, &p->req);
		}
	}
	for (size_t i = 0; i < TURN_MAX_CHANNELS; i++) {
		struct turn_chan *ch = &c->chans[i];

		if (ch->state == SLOT_PENDING && !ch->req.txn && req_send(c, &ch->req)) {
			set_reason(c, 0, NULL, 0, "cannot send ChannelBind");
			slot_failed(c, &ch->req);
		}
	}
}

/* RFC 8489 9.2.5 for a response from the server, before it may end a
 * transaction: with credentials in use, a success response must carry a valid
 * integrity attribute; error responses may lack one (401 and 438 do), but a
 * wrong one, or a 400 without one, is discarded (retransmissions go on). A
 * response whose nonce cookie announces PASSWORD-ALGORITHMS without the
 * attribute is ignored, except 401/438 which fail their request clearly. */
static int response_acceptable(struct turn_client *c, const struct stun_msg *m)
{
	const struct stun_attr *ea, *na = stun_find(m, STUN_A_NONCE);
	const char *text;
	const uint8_t *nonce;
	size_t text_len, nonce_len;
	int code = 0;

	ea = stun_find(m, STUN_A_ERROR_CODE);
	if (m->cls == STUN_ERROR && ea)
		stun_get_error(m, ea, &code, &text, &text_len);
	if (na && code != 401 && code != 438 && !stun_get_bytes(m, na, &nonce, &nonce_len) &&
	    (nonce_features(nonce, nonce_len) & FEAT_PWALGS) &&
	    !stun_find(m, STUN_A_PASSWORD_ALGORITHMS))
		return 0;
	if (!c->have_key)
		return 1;
	if (m->mi >= 0 || m->mi256 >= 0)
		return stun_check_integrity(m, c->key, c->key_len) == 0;
	return m->cls == STUN_ERROR && code != 400;
}

/* ---- data ---- */

/* RFC 8656 11.4: XOR-PEER-ADDRESS with a permission, and DATA (an ICMP
 * attribute instead is not for the application). */
static void data_indication(struct turn_client *c, const struct stun_msg *m)
{
	const struct stun_attr *pa = stun_find(m, STUN_A_XOR_PEER_ADDRESS);
	const struct stun_attr *da = stun_find(m, STUN_A_DATA);
	struct sockaddr_storage peer;
	struct turn_perm *p;
	const uint8_t *data;
	size_t len;
	uint16_t unknown[4];

	if (stun_unknown_required(m, known_attrs, sizeof(known_attrs) / sizeof(known_attrs[0]),
				  unknown, 4) > 0)
		return; /* RFC 8489 6.3.2 */
	if (!pa || stun_get_xor_addr(m, pa, &peer))
		return;
	p = find_perm(c, sa(&peer));
	if (!p || !slot_usable(p->state) || !da || stun_get_bytes(m, da, &data, &len))
		return;
	if (c->cb.on_data)
		c->cb.on_data(c->arg, sa(&peer), data, len);
}

/* RFC 8656 12.6: a bound channel (a ChannelBind sent is enough), the claimed
 * length inside the datagram, at most 3 bytes of padding after it. */
static void channel_data(struct turn_client *c, const uint8_t *buf, size_t len)
{
	struct cursor cur;
	uint16_t number, dlen;
	const uint8_t *data;
	struct turn_chan *ch;
	struct turn_perm *p;

	cur_init(&cur, buf, len);
	if (cur_u16(&cur, &number) || cur_u16(&cur, &dlen) || cur_view(&cur, dlen, &data))
		return;
	if (cur_left(&cur) > 3 || number < CHANNEL_FIRST ||
	    number >= CHANNEL_FIRST + TURN_MAX_CHANNELS)
		return;
	ch = &c->chans[number - CHANNEL_FIRST];
	if (!slot_usable(ch->state))
		return;
	p = find_perm(c, sa(&ch->peer));
	if (!p || !slot_usable(p->state))
		return;
	if (c->cb.on_data)
		c->cb.on_data(c->arg, sa(&ch->peer), data, dlen);
}

int turn_client_input(struct turn_client *c, const uint8_t *buf, size_t len,
		      const struct sockaddr *from)
{
	struct stun_msg m;

	if (!c || !buf || !from || c->closing || !ice_sa_equal(from, sa(&c->server)))
		return 0;
	/* RFC 8656 12 / RFC 7983: first byte 64..79 is ChannelData. */
	if (len >= 1 && buf[0] >= 0x40 && buf[0] <= 0x4F) {
		if (c->state == TURN_ALLOCATED)
			channel_data(c, buf, len);
		return 1;
	}
	if (!stun_looks_like(buf, len))
		return 0;
	if (stun_parse(&m, buf, len))
		return 1;
	if (m.cls == STUN_INDICATION) {
		if (m.method == STUN_DATA && c->state == TURN_ALLOCATED)
			data_indication(c, &m);
		return 1;
	}
	if ((m.cls == STUN_SUCCESS || m.cls == STUN_ERROR) && response_acceptable(c, &m))
		stun_txns_input(&c->txns, &m, from);
	return 1;
}

/* ---- API ---- */

static char *dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

static void free_client(struct turn_client *c)
{
	free(c->user);
	if (c->pass) {
		OPENSSL_cleanse(c->pass, strlen(c->pass));
		free(c->pass);
	}
	free(c->software);
	OPENSSL_cleanse(c->key, sizeof(c->key));
	free(c);
}

static int config_ok(const struct turn_config *cfg)
{
	sa_family_t f = cfg->server.ss_family;

	return (f == AF_INET || f == AF_INET6) && cfg->user && cfg->pass &&
	       strlen(cfg->user) <= USERNAME_MAX;
}

int turn_client_new(uv_loop_t *loop, const struct ice_sock *sock, const struct turn_config *cfg,
		    const struct turn_callbacks *cb, void *arg, struct turn_client **out)
{
	struct turn_client *c;
	int err = 0;

	if (!loop || !sock || !sock->send || !cfg || !cb || !out || !config_ok(cfg))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->user = dup_or_null(cfg->user, &err);
	c->pass = dup_or_null(cfg->pass, &err);
	c->software = dup_or_null(cfg->software, &err);
	if (err) {
		free_client(c);
		return err;
	}
	c->loop = loop;
	c->sock = sock;
	c->server = cfg->server;
	c->req_lifetime = cfg->lifetime_s;
	c->cb = *cb;
	c->arg = arg;
	c->state = TURN_IDLE;
	c->perm_lifetime = PERM_LIFETIME_S;
	c->chan_lifetime = CHANNEL_LIFETIME_S;
	c->alloc_req = (struct turn_req){.c = c, .kind = REQ_ALLOCATE};
	for (size_t i = 0; i < TURN_MAX_PERMS; i++)
		c->perms[i].req =
		    (struct turn_req){.c = c, .kind = REQ_PERMISSION, .slot = (uint16_t)i};
	for (size_t i = 0; i < TURN_MAX_CHANNELS; i++)
		c->chans[i].req =
		    (struct turn_req){.c = c, .kind = REQ_CHANNEL, .slot = (uint16_t)i};
	stun_txns_init(&c->txns, loop);
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	*out = c;
	return 0;
}

int turn_client_allocate(struct turn_client *c)
{
	int err;

	if (!c || c->closing)
		return -EINVAL;
	if (c->state != TURN_IDLE)
		return -EALREADY;
	c->state = TURN_ALLOCATING;
	c->alloc_req.kind = REQ_ALLOCATE;
	err = req_send(c, &c->alloc_req);
	if (err)
		c->state = TURN_FAILED;
	return err;
}

/* RFC 8656 10.1: peers of the relayed address's family (checked once known). */
static int peer_ok(const struct turn_client *c, const struct sockaddr *peer)
{
	if (!peer || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6))
		return -EINVAL;
	if (c->state == TURN_ALLOCATED && peer->sa_family != c->relayed.ss_family)
		return -EAFNOSUPPORT;
	if (c->state == TURN_FAILED || c->state == TURN_CLOSED || c->closing)
		return -ENOTCONN;
	return 0;
}

int turn_client_permit(struct turn_client *c, const struct sockaddr *peer)
{
	struct turn_perm *p;
	int err;

	if (!c)
		return -EINVAL;
	err = peer_ok(c, peer);
	if (err)
		return err;
	p = find_perm(c, peer);
	if (p && slot_usable(p->state))
		return 0;
	for (size_t i = 0; !p && i < TURN_MAX_PERMS; i++)
		if (c->perms[i].state == SLOT_FREE)
			p = &c->perms[i];
	if (!p)
		return -ENOSPC;
	copy_peer(&p->peer, peer);
	p->state = SLOT_PENDING;
	if (c->state != TURN_ALLOCATED)
		return 0; /* sent once allocated */
	err = req_send(c, &p->req);
	if (err)
		p->state = SLOT_FAILED;
	return err;
}

int turn_client_bind_channel(struct turn_client *c, const struct sockaddr *peer)
{
	struct turn_chan *ch;
	int err;

	if (!c)
		return -EINVAL;
	err = turn_client_permit(c, peer);
	if (err)
		return err;
	ch = find_chan(c, peer);
	if (ch && slot_usable(ch->state))
		return 0;
	for (size_t i = 0; !ch && i < TURN_MAX_CHANNELS; i++)
		if (c->chans[i].state == SLOT_FREE)
			ch = &c->chans[i];
	if (!ch)
		return -ENOSPC;
	copy_peer(&ch->peer, peer);
	ch->state = SLOT_PENDING;
	if (c->state != TURN_ALLOCATED)
		return 0;
	err = req_send(c, &ch->req);
	if (err)
		ch->state = SLOT_FAILED;
	return err;
}

/* RFC 8656 12.4/12.5: channel number, length, data; over UDP no padding. */
static int build_channel_data(struct turn_client *c, uint16_t number, const void *data, size_t len,
			      size_t *out_len)
{
	struct wbuf w;

	wbuf_init(&w, c->out, sizeof(c->out));
	wbuf_u16(&w, number);
	wbuf_u16(&w, (uint16_t)len);
	wbuf_put(&w, data, len);
	*out_len = w.len;
	return wbuf_error(&w) ? -EMSGSIZE : 0;
}

/* RFC 8656 11.1: XOR-PEER-ADDRESS and DATA, never authenticated. */
static int build_send(struct turn_client *c, const struct sockaddr *peer, const void *data,
		      size_t len, size_t *out_len)
{
	struct stun_builder b;
	uint8_t tid[STUN_TID_LEN];
	int err = stun_new_tid(tid);

	if (err)
		return err;
	stun_build_init(&b, c->out, sizeof(c->out), STUN_SEND, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_A_XOR_PEER_ADDRESS, peer);
	stun_put(&b, STUN_A_DATA, data, len);
	err = stun_finish(&b, out_len);
	return err == -ENOBUFS ? -EMSGSIZE : err;
}

int turn_client_send(struct turn_client *c, const struct sockaddr *peer, const void *data,
		     size_t len)
{
	struct turn_perm *p;
	struct turn_chan *ch;
	size_t n;
	int err;

	if (!c || !peer || (!data && len))
		return -EINVAL;
	if (c->state != TURN_ALLOCATED || c->closing)
		return -ENOTCONN;
	if (len > 0xFFFF)
		return -EMSGSIZE;
	p = find_perm(c, peer);
	if (!p || !slot_usable(p->state))
		return -EPERM;
	ch = find_chan(c, peer);
	if (ch && ch->state == SLOT_ACTIVE)
		err = build_channel_data(c, chan_number(c, ch), data, len, &n);
	else
		err = build_send(c, peer, data, len, &n);
	if (err)
		return err;
	return c->sock->send(c->sock->ctx, sa(&c->server), c->out, n);
}

enum turn_state turn_client_state(const struct turn_client *c)
{
	return c->state;
}

const struct sockaddr *turn_client_relayed(const struct turn_client *c)
{
	return c->state == TURN_ALLOCATED ? sa(&c->relayed) : NULL;
}

void turn_client_set_permission_lifetime(struct turn_client *c, unsigned seconds)
{
	if (c && seconds)
		c->perm_lifetime = seconds;
}

void turn_client_set_channel_lifetime(struct turn_client *c, unsigned seconds)
{
	if (c && seconds)
		c->chan_lifetime = seconds;
}

static void on_closed(uv_handle_t *h)
{
	free_client(h->data);
}

/* RFC 8656 8.1: Refresh with LIFETIME 0 deletes the allocation; sent once. */
static void send_delete(struct turn_client *c)
{
	uint8_t buf[STUN_MAX_MSG];
	size_t len;

	int err = build_request(c, REQ_REFRESH, 0, 1, buf, sizeof(buf), &len);

	if (!err)
		err = c->sock->send(c->sock->ctx, sa(&c->server), buf, len);
	if (err)
		log_warn("turn: the allocation could not be released: %s", strerror(-err));
}

void turn_client_close(struct turn_client *c)
{
	if (!c || c->closing)
		return;
	if (c->state == TURN_ALLOCATED)
		send_delete(c);
	c->closing = 1;
	c->state = TURN_CLOSED;
	cancel_all(c);
	stun_txns_close(&c->txns);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_closed);
}
