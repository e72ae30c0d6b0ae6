/* Unit tests of the TURN client (RFC 8656) against a scripted in-process server:
 * the 401/438 exchanges, error codes, refresh timers, Send/Data and ChannelData
 * both ways, malformed server input, and closing with requests in flight. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ice/stun.h"
#include "ice/turn.h"

#define SRV	 "192.0.2.10:3478"
#define ALT_SRV	 "192.0.2.11:3478"
#define MAPPED	 "198.51.100.7:40000"
#define RELAYED	 "192.0.2.10:50001"
#define PEER	 "203.0.113.5:7000"
#define PEER2	 "203.0.113.6:7001"
#define STRANGER "203.0.113.99:7000"
#define USER	 "alice"
#define PASS	 "secret"
#define REALM	 "p2psip.test"
#define LOG_MAX	 512

struct sent {
	uint8_t buf[2048];
	size_t len;
	struct sockaddr_storage dst;
};

/* The fake server and what the client told the test. */
static struct fake {
	uv_loop_t loop;
	uv_timer_t tick;
	struct ice_sock sock;
	struct turn_client *c;
	struct sockaddr_storage server, alt, mapped, relayed, peer, peer2, stranger;
	struct sent log[LOG_MAX];
	size_t n_log, served;
	int send_err;

	/* server behaviour */
	char nonce[64];
	int nonce_gen;
	int stale_next;	   /* 438 to the next N authenticated requests */
	int error_for[16]; /* by method: this error to authenticated requests */
	int paused;	   /* requests are dropped */
	int sha256;	   /* 401 offers PASSWORD-ALGORITHMS (SHA-256, MD5) */
	int bid_down;	   /* nonce cookie says PASSWORD-ALGORITHMS, none sent */
	int no_integrity;  /* success responses without integrity */
	int bad_integrity; /* success responses with a wrong integrity */
	int redirect;	   /* 300 with ALTERNATE-SERVER to the first Allocate */
	uint32_t alloc_lifetime;

	/* server counters */
	int n_401, n_438, n_alloc, n_refresh, n_delete, n_perm, n_chan, n_send_ind, n_chandata;
	uint16_t chan_number;
	struct sockaddr_storage chan_peer;

	/* client callbacks */
	int n_allocated, alloc_err;
	char reason[256];
	int n_data;
	uint8_t data[2048];
	size_t data_len;
	struct sockaddr_storage data_peer;
	int close_in_allocated, close_in_data;
} F;

static const struct sockaddr *sa(const struct sockaddr_storage *s)
{
	return (const struct sockaddr *)s;
}

static int fake_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct fake *f = ctx;
	struct sent *s;

	ck_assert_uint_lt(f->n_log, LOG_MAX);
	ck_assert_uint_le(len, sizeof(s->buf));
	s = &f->log[f->n_log++];
	memcpy(s->buf, buf, len);
	s->len = len;
	memset(&s->dst, 0, sizeof(s->dst));
	memcpy(&s->dst, dst, ice_sa_len(dst));
	return f->send_err;
}

static void on_allocated(void *arg, int err, const struct sockaddr *relayed,
			 const struct sockaddr *mapped, const char *reason)
{
	struct fake *f = arg;

	f->n_allocated++;
	f->alloc_err = err;
	snprintf(f->reason, sizeof(f->reason), "%s", reason ? reason : "");
	if (!err) {
		ck_assert(ice_sa_equal(relayed, sa(&f->relayed)));
		ck_assert(ice_sa_equal(mapped, sa(&f->mapped)));
	}
	if (f->close_in_allocated) {
		turn_client_close(f->c);
		f->c = NULL;
	}
}

static void on_data(void *arg, const struct sockaddr *peer, const uint8_t *data, size_t len)
{
	struct fake *f = arg;

	f->n_data++;
	ck_assert_uint_le(len, sizeof(f->data));
	memcpy(f->data, data, len);
	f->data_len = len;
	memset(&f->data_peer, 0, sizeof(f->data_peer));
	memcpy(&f->data_peer, peer, ice_sa_len(peer));
	if (f->close_in_data) {
		turn_client_close(f->c);
		f->c = NULL;
	}
}

static void tick(uv_timer_t *t)
{
	(void)t;
}

static void new_client(const char *pass)
{
	struct turn_config cfg = {.user = USER, .pass = pass, .software = "hipsip unit test"};
	struct turn_callbacks cb = {.on_allocated = on_allocated, .on_data = on_data};

	cfg.server = F.server;
	ck_assert_int_eq(turn_client_new(&F.loop, &F.sock, &cfg, &cb, &F, &F.c), 0);
}

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	ck_assert_int_eq(uv_loop_init(&F.loop), 0);
	uv_timer_init(&F.loop, &F.tick);
	uv_timer_start(&F.tick, tick, 5, 5);
	ck_assert_int_eq(ice_sa_parse(SRV, &F.server), 0);
	ck_assert_int_eq(ice_sa_parse(ALT_SRV, &F.alt), 0);
	ck_assert_int_eq(ice_sa_parse(MAPPED, &F.mapped), 0);
	ck_assert_int_eq(ice_sa_parse(RELAYED, &F.relayed), 0);
	ck_assert_int_eq(ice_sa_parse(PEER, &F.peer), 0);
	ck_assert_int_eq(ice_sa_parse(PEER2, &F.peer2), 0);
	ck_assert_int_eq(ice_sa_parse(STRANGER, &F.stranger), 0);
	F.sock.send = fake_send;
	F.sock.ctx = &F;
	strcpy(F.nonce, "nonce-0");
	F.alloc_lifetime = 600;
	new_client(PASS);
}

/* Closes everything and checks that no handle is left behind. */
static void teardown(void)
{
	if (F.c)
		turn_client_close(F.c);
	F.c = NULL;
	uv_close((uv_handle_t *)&F.tick, NULL);
	uv_run(&F.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&F.loop), 0);
}

/* ---- the fake server ---- */

static void md5_key(const char *pass, uint8_t key[16])
{
	char s[128];
	unsigned n;

	snprintf(s, sizeof(s), "%s:%s:%s", USER, REALM, pass);
	ck_assert(EVP_Digest(s, strlen(s), key, &n, EVP_md5(), NULL));
}

static void sha256_key(uint8_t key[32])
{
	char s[128];
	unsigned n;

	snprintf(s, sizeof(s), "%s:%s:%s", USER, REALM, PASS);
	ck_assert(EVP_Digest(s, strlen(s), key, &n, EVP_sha256(), NULL));
}

static const uint8_t pwalgs_offer[8] = {0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};

static void deliver(const uint8_t *buf, size_t len, const struct sockaddr *from)
{
	if (F.c)
		ck_assert_int_eq(turn_client_input(F.c, buf, len, from), 1);
}

static void put_integrity(struct stun_builder *b)
{
	uint8_t key[32];

	if (F.sha256) {
		sha256_key(key);
		if (F.bad_integrity)
			key[0] ^= 1;
		stun_put_integrity_sha256(b, key, 32);
	} else {
		md5_key(PASS, key);
		if (F.bad_integrity)
			key[0] ^= 1;
		stun_put_integrity(b, key, 16);
	}
}

static void finish_and_deliver(struct stun_builder *b, const struct sent *req)
{
	uint8_t *buf = b->w.buf;
	size_t len;

	stun_put_fingerprint(b);
	ck_assert_int_eq(stun_finish(b, &len), 0);
	deliver(buf, len, sa(&req->dst));
}

static void challenge(const struct stun_msg *m, const struct sent *req, int code)
{
	uint8_t out[1500];
	struct stun_builder b;

	stun_build_init(&b, out, sizeof(out), m->method, STUN_ERROR, m->tid);
	stun_put_error(&b, code, code == 401 ? "Unauthorized" : "Stale Nonce");
	stun_put_text(&b, STUN_A_REALM, REALM);
	if (F.sha256 || F.bid_down) {
		char nonce[80];

		/* "obMatJos2" + base64(0x80 0x00 0x00): Password algorithms bit set */
		snprintf(nonce, sizeof(nonce), "obMatJos2gAAA%s", F.nonce);
		stun_put_text(&b, STUN_A_NONCE, nonce);
	} else {
		stun_put_text(&b, STUN_A_NONCE, F.nonce);
	}
	if (F.sha256)
		stun_put(&b, STUN_A_PASSWORD_ALGORITHMS, pwalgs_offer, sizeof(pwalgs_offer));
	finish_and_deliver(&b, req);
}

static void error_reply(const struct stun_msg *m, const struct sent *req, int code)
{
	uint8_t out[1500];
	struct stun_builder b;

	stun_build_init(&b, out, sizeof(out), m->method, STUN_ERROR, m->tid);
	stun_put_error(&b, code, "Scripted");
	if (code == 300)
		stun_put_addr(&b, STUN_A_ALTERNATE_SERVER, sa(&F.alt));
	else
		put_integrity(&b);
	finish_and_deliver(&b, req);
}

static int text_eq(const struct stun_msg *m, uint16_t type, const char *s)
{
	const struct stun_attr *a = stun_find(m, type);
	const uint8_t *v;
	size_t n;

	return a && !stun_get_bytes(m, a, &v, &n) && n == strlen(s) && !memcmp(v, s, n);
}

static int nonce_ok(const struct stun_msg *m)
{
	char nonce[80];

	if (F.sha256 || F.bid_down) {
		snprintf(nonce, sizeof(nonce), "obMatJos2gAAA%s", F.nonce);
		return text_eq(m, STUN_A_NONCE, nonce);
	}
	return text_eq(m, STUN_A_NONCE, F.nonce);
}

static int integrity_ok(const struct stun_msg *m)
{
	uint8_t key[32];

	if (F.sha256) {
		uint8_t alg[4] = {0, 2, 0, 0};
		const struct stun_attr *a = stun_find(m, STUN_A_PASSWORD_ALGORITHM);
		const uint8_t *v;
		size_t n;

		/* RFC 8489 9.2.5: SHA-256 only, with both algorithm attributes */
		ck_assert_int_lt(m->mi, 0);
		ck_assert_int_ge(m->mi256, 0);
		ck_assert_ptr_nonnull(a);
		ck_assert_int_eq(stun_get_bytes(m, a, &v, &n), 0);
		ck_assert_uint_eq(n, 4);
		ck_assert_mem_eq(v, alg, 4);
		a = stun_find(m, STUN_A_PASSWORD_ALGORITHMS);
		ck_assert_ptr_nonnull(a);
		ck_assert_int_eq(stun_get_bytes(m, a, &v, &n), 0);
		ck_assert_uint_eq(n, sizeof(pwalgs_offer));
		ck_assert_mem_eq(v, pwalgs_offer, n);
		sha256_key(key);
		return stun_check_integrity(m, key, 32) == 0;
	}
	ck_assert_int_ge(m->mi, 0);
	md5_key(PASS, key);
	return stun_check_integrity(m, key, 16) == 0;
}

static void success_reply(const struct stun_msg *m, const struct sent *req)
{
	uint8_t out[1500];
	struct stun_builder b;
	const struct stun_attr *a;
	uint32_t v;

	stun_build_init(&b, out, sizeof(out), m->method, STUN_SUCCESS, m->tid);
	switch (m->method) {
	case STUN_ALLOCATE:
		F.n_alloc++;
		a = stun_find(m, STUN_A_REQUESTED_TRANSPORT);
		ck_assert_ptr_nonnull(a);
		ck_assert_int_eq(stun_get_u32(m, a, &v), 0);
		ck_assert_uint_eq(v, 17u << 24); /* RFC 8656 7.1: UDP */
		stun_put_xor_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, sa(&F.relayed));
		stun_put_u32(&b, STUN_A_LIFETIME, F.alloc_lifetime);
		stun_put_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, sa(&F.mapped));
		break;
	case STUN_REFRESH:
		a = stun_find(m, STUN_A_LIFETIME);
		if (a && !stun_get_u32(m, a, &v) && v == 0) {
			F.n_delete++;
			stun_put_u32(&b, STUN_A_LIFETIME, 0);
		} else {
			F.n_refresh++;
			stun_put_u32(&b, STUN_A_LIFETIME, F.alloc_lifetime);
		}
		break;
	case STUN_CREATE_PERMISSION:
		F.n_perm++;
		ck_assert_ptr_nonnull(stun_find(m, STUN_A_XOR_PEER_ADDRESS));
		break;
	case STUN_CHANNEL_BIND:
		F.n_chan++;
		a = stun_find(m, STUN_A_CHANNEL_NUMBER);
		ck_assert_ptr_nonnull(a);
		ck_assert_int_eq(stun_get_u32(m, a, &v), 0);
		F.chan_number = (uint16_t)(v >> 16);
		ck_assert_uint_ge(F.chan_number, 0x4000); /* RFC 8656 12 */
		ck_assert_uint_le(F.chan_number, 0x4FFF);
		ck_assert_uint_eq(v & 0xFFFF, 0);
		a = stun_find(m, STUN_A_XOR_PEER_ADDRESS);
		ck_assert_ptr_nonnull(a);
		ck_assert_int_eq(stun_get_xor_addr(m, a, &F.chan_peer), 0);
		break;
	default:
		ck_abort_msg("unexpected method %u", m->method);
	}
	if (!F.no_integrity)
		put_integrity(&b);
	finish_and_deliver(&b, req);
}

static void serve_request(const struct stun_msg *m, const struct sent *req)
{
	/* RFC 8489 9.2.4: no integrity -> 401 with REALM and NONCE */
	if (m->mi < 0 && m->mi256 < 0) {
		ck_assert_ptr_null(stun_find(m, STUN_A_USERNAME));
		if (F.redirect && m->method == STUN_ALLOCATE) {
			F.redirect = 0;
			error_reply(m, req, 300);
			return;
		}
		F.n_401++;
		challenge(m, req, 401);
		return;
	}
	ck_assert(text_eq(m, STUN_A_USERNAME, USER));
	ck_assert(text_eq(m, STUN_A_REALM, REALM));
	if (!nonce_ok(m) || F.stale_next > 0) {
		if (F.stale_next > 0)
			F.stale_next--;
		F.n_438++;
		snprintf(F.nonce, sizeof(F.nonce), "nonce-%d", ++F.nonce_gen);
		challenge(m, req, 438);
		return;
	}
	if (!integrity_ok(m)) {
		F.n_401++;
		challenge(m, req, 401);
		return;
	}
	if (F.error_for[m->method]) {
		error_reply(m, req, F.error_for[m->method]);
		return;
	}
	success_reply(m, req);
}

static void serve_indication(const struct stun_msg *m)
{
	const struct stun_attr *a;
	const uint8_t *v;
	size_t n;

	ck_assert_uint_eq(m->method, STUN_SEND);
	/* RFC 8656 5, 11.1: indications are never authenticated */
	ck_assert_int_lt(m->mi, 0);
	ck_assert_ptr_null(stun_find(m, STUN_A_USERNAME));
	ck_assert_ptr_nonnull(stun_find(m, STUN_A_XOR_PEER_ADDRESS));
	a = stun_find(m, STUN_A_DATA);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(stun_get_bytes(m, a, &v, &n), 0);
	F.n_send_ind++;
}

static void serve(const struct sent *s)
{
	struct stun_msg m;

	if (s->len >= 4 && s->buf[0] >= 0x40 && s->buf[0] <= 0x4F) {
		F.n_chandata++;
		return;
	}
	ck_assert_int_eq(stun_parse(&m, s->buf, s->len), 0);
	if (m.cls == STUN_INDICATION) {
		serve_indication(&m);
		return;
	}
	ck_assert_uint_eq(m.cls, STUN_REQUEST);
	serve_request(&m, s);
}

static void serve_pending(void)
{
	while (F.served < F.n_log) {
		const struct sent *s = &F.log[F.served++];

		if (!F.paused)
			serve(s);
	}
}

/* Runs the loop for ms milliseconds, answering what the client sends. */
static void pump(unsigned ms)
{
	uint64_t end;

	uv_update_time(&F.loop);
	end = uv_now(&F.loop) + ms;
	serve_pending();
	while (uv_now(&F.loop) < end) {
		uv_run(&F.loop, UV_RUN_ONCE);
		serve_pending();
	}
}

static void allocate(void)
{
	ck_assert_int_eq(turn_client_allocate(F.c), 0);
	pump(20);
	ck_assert_int_eq(F.n_allocated, 1);
	ck_assert_int_eq(F.alloc_err, 0);
	ck_assert_int_eq(turn_client_state(F.c), TURN_ALLOCATED);
}

static const struct sent *last_sent(void)
{
	ck_assert_uint_gt(F.n_log, 0);
	return &F.log[F.n_log - 1];
}

static size_t build_data_indication(uint8_t *out, size_t cap, const struct sockaddr *peer,
				    const char *data, int with_data, int with_peer)
{
	struct stun_builder b;
	uint8_t tid[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	size_t len;

	stun_build_init(&b, out, cap, STUN_DATA, STUN_INDICATION, tid);
	if (with_peer)
		stun_put_xor_addr(&b, STUN_A_XOR_PEER_ADDRESS, peer);
	if (with_data)
		stun_put(&b, STUN_A_DATA, data, strlen(data));
	ck_assert_int_eq(stun_finish(&b, &len), 0);
	return len;
}

/* ---- tests ---- */

/* RFC 8489 9.2.3.1, 9.2.5; RFC 8656 7.1 */
START_TEST(allocate_is_challenged_then_retried_with_long_term_credentials)
{
	struct stun_msg m0, m1;
	uint8_t key[16];

	ck_assert_int_eq(turn_client_allocate(F.c), 0);
	ck_assert_int_eq(turn_client_state(F.c), TURN_ALLOCATING);
	ck_assert_uint_eq(F.n_log, 1);
	ck_assert_int_eq(stun_parse(&m0, F.log[0].buf, F.log[0].len), 0);
	ck_assert_uint_eq(m0.method, STUN_ALLOCATE);
	ck_assert_uint_eq(m0.cls, STUN_REQUEST);
	ck_assert(ice_sa_equal(sa(&F.log[0].dst), sa(&F.server)));
	ck_assert_ptr_null(stun_find(&m0, STUN_A_USERNAME));
	ck_assert_ptr_null(stun_find(&m0, STUN_A_REALM));
	ck_assert_ptr_null(stun_find(&m0, STUN_A_NONCE));
	ck_assert_int_lt(m0.mi, 0);
	ck_assert_ptr_nonnull(stun_find(&m0, STUN_A_SOFTWARE));
	pump(20);
	ck_assert_int_eq(F.n_401, 1);
	ck_assert_int_eq(F.n_alloc, 1);
	ck_assert_int_eq(F.n_allocated, 1);
	ck_assert_int_eq(F.alloc_err, 0);
	ck_assert_int_eq(turn_client_state(F.c), TURN_ALLOCATED);
	ck_assert(ice_sa_equal(turn_client_relayed(F.c), sa(&F.relayed)));
	/* the retry: a new transaction with USERNAME, REALM, NONCE and MD5-keyed MI */
	ck_assert_int_eq(stun_parse(&m1, F.log[1].buf, F.log[1].len), 0);
	ck_assert_mem_ne(m0.tid, m1.tid, STUN_TID_LEN);
	ck_assert(text_eq(&m1, STUN_A_USERNAME, USER));
	ck_assert(text_eq(&m1, STUN_A_REALM, REALM));
	ck_assert(text_eq(&m1, STUN_A_NONCE, "nonce-0"));
	ck_assert_int_ge(m1.mi, 0);
	ck_assert_int_lt(m1.mi256, 0);
	md5_key(PASS, key);
	ck_assert_int_eq(stun_check_integrity(&m1, key, 16), 0);
}
END_TEST

/* RFC 8489 9.2.5: 438 -> retry with the new nonce, for Allocate and later requests */
START_TEST(stale_nonce_is_retried_with_the_new_nonce)
{
	struct stun_msg m;

	F.stale_next = 1;
	allocate();
	ck_assert_int_eq(F.n_438, 1);
	ck_assert_int_eq(F.n_alloc, 1);
	F.stale_next = 1;
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	pump(20);
	ck_assert_int_eq(F.n_438, 2);
	ck_assert_int_eq(F.n_perm, 1);
	ck_assert_int_eq(stun_parse(&m, last_sent()->buf, last_sent()->len), 0);
	ck_assert(text_eq(&m, STUN_A_NONCE, "nonce-2"));
	ck_assert_int_eq(F.n_401, 1);
	ck_assert_int_eq(F.n_allocated, 1);
}
END_TEST

/* RFC 8489 9.2.5: stale nonces forever end in a clear failure, not a loop */
START_TEST(endless_stale_nonces_fail_the_allocation)
{
	F.stale_next = 1000;
	ck_assert_int_eq(turn_client_allocate(F.c), 0);
	pump(50);
	ck_assert_int_eq(F.n_allocated, 1);
	ck_assert_int_eq(F.alloc_err, -EPROTO);
	ck_assert_ptr_nonnull(strstr(F.reason, "438"));
	ck_assert_int_le(F.n_438, 4);
	ck_assert_int_eq(turn_client_state(F.c), TURN_FAILED);
}
END_TEST

/* RFC 8489 9.2.5, RFC 8656 7.4: a 401 to a request with credentials is final */
START_TEST(wrong_password_fails_with_401_after_one_retry)
{
	turn_client_close(F.c);
	new_client("not-the-password");
	ck_assert_int_eq(turn_client_allocate(F.c), 0);
	pump(50);
	ck_assert_int_eq(F.n_401, 2);
	ck_assert_uint_eq(F.n_log, 2);
	ck_assert_int_eq(F.n_allocated, 1);
	ck_assert_int_eq(F.alloc_err, -EACCES);
	ck_assert_ptr_nonnull(strstr(F.reason, "401"));
	ck_assert_int_eq(turn_client_state(F.c), TURN_FAILED);
	ck_assert_ptr_null(turn_client_relayed(F.c));
}
END_TEST

/* RFC 8656 7.4 and 19: each Allocate error code gives its own errno and reason */
START_TEST(allocate_error_codes_give_clear_errors)
{
	static const struct {
		int code, err;
	} cases[] = {{437, -EADDRINUSE}, {440, -EAFNOSUPPORT}, {441, -EACCES},
		     {486, -EDQUOT},	 {508, -ENOSPC},       {403, -EPERM}};
	char code[8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (i > 0) {
			teardown();
			setup();
		}
		F.error_for[STUN_ALLOCATE] = cases[i].code;
		ck_assert_int_eq(turn_client_allocate(F.c), 0);
		pump(20);
		ck_assert_int_eq(F.n_allocated, 1);
		ck_assert_int_eq(F.alloc_err, cases[i].err);
		snprintf(code, sizeof(code), "%d", cases[i].code);
		ck_assert_msg(strstr(F.reason, code), "reason '%s' lacks %s", F.reason, code);
		ck_assert_int_eq(turn_client_state(F.c), TURN_FAILED);
	}
}
END_TEST

/* RFC 8489 9.2.4/9.2.5: PASSWORD-ALGORITHMS offered -> SHA-256 key, both
 * algorithm attributes, MESSAGE-INTEGRITY-SHA256 only */
START_TEST(offered_sha256_password_algorithm_is_used)
{
	F.sha256 = 1;
	allocate();
	ck_assert_int_eq(F.n_401, 1);
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	pump(20);
	ck_assert_int_eq(F.n_perm, 1); /* integrity_ok checked every request */
}
END_TEST

/* RFC 8489 9.2.5: a nonce cookie announcing PASSWORD-ALGORITHMS without the
 * attribute is a bid-down attack: no retry */
START_TEST(bid_down_of_password_algorithms_is_refused)
{
	F.bid_down = 1;
	ck_assert_int_eq(turn_client_allocate(F.c), 0);
	pump(20);
	ck_assert_uint_eq(F.n_log, 1);
	ck_assert_int_eq(F.n_allocated, 1);
	ck_assert_int_lt(F.alloc_err, 0);
	ck_assert_int_eq(turn_client_state(F.c), TURN_FAILED);
}
END_TEST

/* RFC 8489 10, RFC 8656 7.4: 300 Try Alternate -> the Allocate goes to the
 * ALTERNATE-SERVER, afresh */
START_TEST(try_alternate_moves_the_allocation_once)
{
	struct stun_msg m;

	F.redirect = 1; /* the scripted server answers from where it was asked */
	ck_assert_int_eq(turn_client_allocate(F.c), 0);
	pump(20);
	ck_assert_int_eq(F.n_allocated, 1);
	ck_assert_int_eq(F.alloc_err, 0);
	ck_assert(ice_sa_equal(sa(&F.log[1].dst), sa(&F.alt)));
	ck_assert_int_eq(stun_parse(&m, F.log[1].buf, F.log[1].len), 0);
	ck_assert_int_lt(m.mi, 0);
	/* data from the old address is no longer the server's */
	ck_assert_int_eq(
	    turn_client_input(F.c, (const uint8_t *)"\x40\x00\x00\x00", 4, sa(&F.server)), 0);
}
END_TEST

/* RFC 8656 8, 9, 12: allocation, permission and channel refreshes come on time
 * and are authenticated (shortened lifetimes) */
START_TEST(refresh_timers_fire_before_lifetimes_end)
{
	F.alloc_lifetime = 2; /* refreshed at 1 s */
	turn_client_set_permission_lifetime(F.c, 1);
	turn_client_set_channel_lifetime(F.c, 2);
	allocate();
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	ck_assert_int_eq(turn_client_bind_channel(F.c, sa(&F.peer2)), 0);
	pump(20);
	ck_assert_int_eq(F.n_perm, 2);
	ck_assert_int_eq(F.n_chan, 1);
	ck_assert_int_eq(F.n_refresh, 0);
	pump(1800);
	ck_assert_int_ge(F.n_refresh, 1);
	ck_assert_int_le(F.n_refresh, 2);
	/* peer: every 0.5 s; peer2's permission rides on its ChannelBind */
	ck_assert_int_ge(F.n_perm, 4);
	ck_assert_int_ge(F.n_chan, 2);
	ck_assert_int_eq(F.n_401, 1);
	ck_assert_int_eq(F.n_allocated, 1);
	ck_assert_int_eq(turn_client_state(F.c), TURN_ALLOCATED);
}
END_TEST

/* RFC 8656 8.3: 437 to a Refresh means the allocation is gone */
START_TEST(refresh_answered_437_fails_the_allocation)
{
	F.alloc_lifetime = 1;
	allocate();
	F.error_for[STUN_REFRESH] = 437;
	pump(700);
	ck_assert_int_eq(F.n_allocated, 2);
	ck_assert_int_eq(F.alloc_err, -ECONNRESET);
	ck_assert_ptr_nonnull(strstr(F.reason, "437"));
	ck_assert_int_eq(turn_client_state(F.c), TURN_FAILED);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "x", 1), -ENOTCONN);
}
END_TEST

/* RFC 8656 10.2: a refused permission leaves the peer unreachable */
START_TEST(refused_permission_makes_sends_fail)
{
	allocate();
	F.error_for[STUN_CREATE_PERMISSION] = 403;
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	pump(20);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "x", 1), -EPERM);
	ck_assert_int_eq(turn_client_state(F.c), TURN_ALLOCATED);
	/* permitting again tries again */
	F.error_for[STUN_CREATE_PERMISSION] = 0;
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	pump(20);
	ck_assert_int_eq(F.n_perm, 1);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "x", 1), 0);
}
END_TEST

/* turn.h: -ENOTCONN before the allocation, -EPERM without a permission;
 * permissions asked for early are sent once allocated */
START_TEST(sends_need_an_allocation_and_a_permission)
{
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "x", 1), -ENOTCONN);
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	ck_assert_int_eq(turn_client_bind_channel(F.c, sa(&F.peer)), 0);
	ck_assert_uint_eq(F.n_log, 0);
	allocate();
	ck_assert_int_eq(F.n_perm, 1);
	ck_assert_int_eq(F.n_chan, 1);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer2), "x", 1), -EPERM);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "x", 1), 0);
	ck_assert_int_eq(F.n_chandata, 0);
	pump(1);
	ck_assert_int_eq(F.n_chandata, 1);
	/* idempotent */
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	ck_assert_int_eq(turn_client_bind_channel(F.c, sa(&F.peer)), 0);
	pump(1);
	ck_assert_int_eq(F.n_perm, 1);
	ck_assert_int_eq(F.n_chan, 1);
}
END_TEST

/* RFC 8656 11.1, 11.4, 12.4-12.6: Send indication until the channel is bound,
 * then ChannelData; Data indications and ChannelData (padded or not) arrive */
START_TEST(send_data_and_channel_data_framing_both_ways)
{
	struct stun_msg m;
	struct sockaddr_storage got;
	const struct stun_attr *a;
	const uint8_t *v;
	uint8_t in[256];
	size_t n;
	const struct sent *s;

	allocate();
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	pump(5);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "hello", 5), 0);
	s = last_sent();
	ck_assert(ice_sa_equal(sa(&s->dst), sa(&F.server)));
	ck_assert_int_eq(stun_parse(&m, s->buf, s->len), 0);
	ck_assert_uint_eq(m.method, STUN_SEND);
	ck_assert_uint_eq(m.cls, STUN_INDICATION);
	a = stun_find(&m, STUN_A_XOR_PEER_ADDRESS);
	ck_assert_int_eq(stun_get_xor_addr(&m, a, &got), 0);
	ck_assert(ice_sa_equal(sa(&got), sa(&F.peer)));
	a = stun_find(&m, STUN_A_DATA);
	ck_assert_int_eq(stun_get_bytes(&m, a, &v, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(v, "hello", 5);
	ck_assert_int_lt(m.mi, 0);

	ck_assert_int_eq(turn_client_bind_channel(F.c, sa(&F.peer)), 0);
	pump(5);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "world", 5), 0);
	s = last_sent();
	ck_assert_uint_eq(s->len, 9); /* 4-byte header, no padding over UDP */
	ck_assert_uint_eq((unsigned)(s->buf[0] << 8 | s->buf[1]), F.chan_number);
	ck_assert_uint_eq((unsigned)(s->buf[2] << 8 | s->buf[3]), 5);
	ck_assert_mem_eq(s->buf + 4, "world", 5);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "", 0), 0); /* length 0 is valid */
	ck_assert_uint_eq(last_sent()->len, 4);

	n = build_data_indication(in, sizeof(in), sa(&F.peer), "abc", 1, 1);
	ck_assert_int_eq(turn_client_input(F.c, in, n, sa(&F.server)), 1);
	ck_assert_int_eq(F.n_data, 1);
	ck_assert_uint_eq(F.data_len, 3);
	ck_assert_mem_eq(F.data, "abc", 3);
	ck_assert(ice_sa_equal(sa(&F.data_peer), sa(&F.peer)));

	in[0] = (uint8_t)(F.chan_number >> 8);
	in[1] = (uint8_t)F.chan_number;
	in[2] = 0;
	in[3] = 3;
	memcpy(in + 4, "xyz\0", 4);
	ck_assert_int_eq(turn_client_input(F.c, in, 7, sa(&F.server)), 1);
	ck_assert_int_eq(F.n_data, 2);
	ck_assert_uint_eq(F.data_len, 3);
	ck_assert_mem_eq(F.data, "xyz", 3);
	ck_assert(ice_sa_equal(sa(&F.data_peer), sa(&F.peer)));
	ck_assert_int_eq(turn_client_input(F.c, in, 8, sa(&F.server)), 1); /* padded */
	ck_assert_int_eq(F.n_data, 3);
	ck_assert_uint_eq(F.data_len, 3);
}
END_TEST

/* RFC 8656 11.4, 12.6; RFC 8489 6.3: malformed or unwanted input from the
 * server is dropped without a crash and without reaching the application */
START_TEST(malformed_server_input_is_dropped)
{
	uint8_t in[256], good[256];
	size_t n, gn;

	allocate();
	ck_assert_int_eq(turn_client_bind_channel(F.c, sa(&F.peer)), 0);
	pump(5);

	/* ChannelData longer than the datagram, then every truncation */
	memcpy(in,
	       "\x40\x00\x00\x0a"
	       "abcde",
	       9);
	ck_assert_int_eq(turn_client_input(F.c, in, 9, sa(&F.server)), 1);
	for (size_t len = 0; len <= 14; len++)
		turn_client_input(F.c,
				  (const uint8_t *)"\x40\x00\x00\x0a"
						   "0123456789",
				  len, sa(&F.server));
	/* unknown and unbound channels; more than padding after the data */
	turn_client_input(F.c, (const uint8_t *)"\x40\x01\x00\x01x", 5, sa(&F.server));
	turn_client_input(F.c, (const uint8_t *)"\x4f\xff\x00\x01x", 5, sa(&F.server));
	turn_client_input(F.c, (const uint8_t *)"\x40\x00\x00\x01xyzwvu", 10, sa(&F.server));
	ck_assert_int_eq(F.n_data, 1); /* only the full 14-byte one above */
	F.n_data = 0;

	/* Data indications without DATA, without XOR-PEER-ADDRESS, from a peer
	 * without permission */
	n = build_data_indication(in, sizeof(in), sa(&F.peer), "abc", 0, 1);
	ck_assert_int_eq(turn_client_input(F.c, in, n, sa(&F.server)), 1);
	n = build_data_indication(in, sizeof(in), sa(&F.peer), "abc", 1, 0);
	ck_assert_int_eq(turn_client_input(F.c, in, n, sa(&F.server)), 1);
	n = build_data_indication(in, sizeof(in), sa(&F.stranger), "abc", 1, 1);
	ck_assert_int_eq(turn_client_input(F.c, in, n, sa(&F.server)), 1);
	ck_assert_int_eq(F.n_data, 0);

	/* every truncation and a corrupted length of a good Data indication */
	gn = build_data_indication(good, sizeof(good), sa(&F.peer), "abcdefg", 1, 1);
	for (size_t len = 0; len < gn; len++)
		turn_client_input(F.c, good, len, sa(&F.server));
	ck_assert_int_eq(F.n_data, 0);
	memcpy(in, good, gn);
	in[STUN_HDR_LEN + 2] = 0x7f; /* XOR-PEER-ADDRESS length */
	turn_client_input(F.c, in, gn, sa(&F.server));
	ck_assert_int_eq(F.n_data, 0);

	/* not from the server: not ours */
	ck_assert_int_eq(turn_client_input(F.c, good, gn, sa(&F.peer)), 0);
	/* not TURN at all */
	ck_assert_int_eq(
	    turn_client_input(F.c, (const uint8_t *)"\x80\x00\x00\x00", 4, sa(&F.server)), 0);
	ck_assert_int_eq(turn_client_input(F.c, good, 0, sa(&F.server)), 0);
	ck_assert_int_eq(F.n_data, 0);
	ck_assert_int_eq(turn_client_input(F.c, good, gn, sa(&F.server)), 1);
	ck_assert_int_eq(F.n_data, 1);
	ck_assert_int_eq(turn_client_state(F.c), TURN_ALLOCATED);
}
END_TEST

/* RFC 8489 9.2.5: with credentials in use, a success response with a wrong or
 * no integrity is discarded and the retransmission's answer counts */
START_TEST(responses_without_valid_integrity_are_discarded)
{
	const struct sent *s;
	size_t before;

	allocate();
	F.bad_integrity = 1;
	ck_assert_int_eq(turn_client_bind_channel(F.c, sa(&F.peer)), 0);
	pump(50);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "x", 1), 0);
	s = last_sent();
	ck_assert_uint_ne(s->buf[0] & 0xF0, 0x40); /* still a Send indication */
	F.bad_integrity = 0;
	F.no_integrity = 1;
	pump(600); /* the first retransmission (RTO 500 ms) */
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "x", 1), 0);
	ck_assert_uint_ne(last_sent()->buf[0] & 0xF0, 0x40);
	F.no_integrity = 0;
	before = F.n_log;
	pump(1100); /* the second (1 s later) */
	ck_assert_uint_gt(F.n_log, before);
	ck_assert_int_eq(turn_client_send(F.c, sa(&F.peer), "x", 1), 0);
	ck_assert_uint_eq(last_sent()->buf[0] & 0xF0, 0x40); /* ChannelData now */
}
END_TEST

/* RFC 8656 8.1: closing an allocation deletes it with an authenticated
 * Refresh carrying LIFETIME 0 */
START_TEST(close_deletes_the_allocation)
{
	struct stun_msg m;
	const struct stun_attr *a;
	uint32_t v;

	allocate();
	turn_client_close(F.c);
	F.c = NULL;
	ck_assert_int_eq(stun_parse(&m, last_sent()->buf, last_sent()->len), 0);
	ck_assert_uint_eq(m.method, STUN_REFRESH);
	a = stun_find(&m, STUN_A_LIFETIME);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(stun_get_u32(&m, a, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert(integrity_ok(&m));
}
END_TEST

/* Closing with every kind of request in flight, and from inside callbacks,
 * frees everything (checked by ASan and by uv_loop_close in teardown) */
START_TEST(close_with_requests_in_flight_is_clean)
{
	allocate();
	F.paused = 1;
	F.alloc_lifetime = 1;
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	ck_assert_int_eq(turn_client_bind_channel(F.c, sa(&F.peer2)), 0);
	pump(30);
	turn_client_close(F.c);
	F.c = NULL;
	pump(30);
	teardown();

	setup();
	F.paused = 1;
	ck_assert_int_eq(turn_client_allocate(F.c), 0);
	turn_client_close(F.c);
	F.c = NULL;
	ck_assert_uint_eq(F.n_log, 1); /* nothing to delete yet */
	teardown();

	setup();
	F.close_in_allocated = 1;
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	ck_assert_int_eq(turn_client_allocate(F.c), 0);
	pump(30);
	ck_assert_ptr_null(F.c);
	teardown();

	setup();
	allocate();
	ck_assert_int_eq(turn_client_permit(F.c, sa(&F.peer)), 0);
	pump(5);
	F.close_in_data = 1;
	ck_assert_int_eq(
	    turn_client_input(F.c, (const uint8_t *)"\x40\x00\x00\x01x", 5, sa(&F.server)),
	    1); /* unbound: dropped, client lives */
	ck_assert_ptr_nonnull(F.c);
	{
		uint8_t in[128];
		size_t n = build_data_indication(in, sizeof(in), sa(&F.peer), "bye", 1, 1);

		ck_assert_int_eq(turn_client_input(F.c, in, n, sa(&F.server)), 1);
	}
	ck_assert_ptr_null(F.c);
}
END_TEST

/* A request that cannot be sent at all is reported at once */
START_TEST(send_errors_are_returned)
{
	F.send_err = -ENETUNREACH;
	ck_assert_int_eq(turn_client_allocate(F.c), -ENETUNREACH);
	ck_assert_int_eq(turn_client_state(F.c), TURN_FAILED);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("turn");
	TCase *tc = tcase_create("turn");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, allocate_is_challenged_then_retried_with_long_term_credentials);
	tcase_add_test(tc, stale_nonce_is_retried_with_the_new_nonce);
	tcase_add_test(tc, endless_stale_nonces_fail_the_allocation);
	tcase_add_test(tc, wrong_password_fails_with_401_after_one_retry);
	tcase_add_test(tc, allocate_error_codes_give_clear_errors);
	tcase_add_test(tc, offered_sha256_password_algorithm_is_used);
	tcase_add_test(tc, bid_down_of_password_algorithms_is_refused);
	tcase_add_test(tc, try_alternate_moves_the_allocation_once);
	tcase_add_test(tc, refresh_timers_fire_before_lifetimes_end);
	tcase_add_test(tc, refresh_answered_437_fails_the_allocation);
	tcase_add_test(tc, refused_permission_makes_sends_fail);
	tcase_add_test(tc, sends_need_an_allocation_and_a_permission);
	tcase_add_test(tc, send_data_and_channel_data_framing_both_ways);
	tcase_add_test(tc, malformed_server_input_is_dropped);
	tcase_add_test(tc, responses_without_valid_integrity_are_discarded);
	tcase_add_test(tc, close_deletes_the_allocation);
	tcase_add_test(tc, close_with_requests_in_flight_is_clean);
	tcase_add_test(tc, send_errors_are_returned);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
