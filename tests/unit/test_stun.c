/* Unit tests of the STUN codec (ice/stun.c): the RFC 5769 and RFC 8489 B.1 test
 * vectors, every attribute's round trip, and malformed messages. Not transactions. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ice/stun.h"

/* ---- the vectors ---- */

/* RFC 5769 2.1: sample request, short-term credentials, padding bytes 0x20. */
static const char *const rfc5769_request = "000100582112a442b7e7a701bc34d686fa87dfae"
					   "802200105354554e207465737420636c69656e74"
					   "002400046e0001ff"
					   "80290008932ff9b151263b36"
					   "000600096576746a3a68367659202020"
					   "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
					   "80280004e57a3bcf";
/* RFC 5769 2.2: sample IPv4 response. */
static const char *const rfc5769_ipv4 = "0101003c2112a442b7e7a701bc34d686fa87dfae"
					"8022000b7465737420766563746f7220"
					"002000080001a147e112a643"
					"000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
					"80280004c07d4c96";
/* RFC 5769 2.3: sample IPv6 response. */
static const char *const rfc5769_ipv6 = "010100482112a442b7e7a701bc34d686fa87dfae"
					"8022000b7465737420766563746f7220"
					"002000140002a147"
					"0113a9faa5d3f179bc25f4b5bed2b9d9"
					"00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
					"80280004c8fb0b4c";
/* RFC 5769 2.4: sample request with long-term authentication (no FINGERPRINT). */
static const char *const rfc5769_long_term =
    "00010060 2112a442 78ad3433 c6ad72c0 29da412e"
    "00060012 e3839ee3 8388e383 aae38383 e382afe3 82b90000"
    "0015001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341"
    "0014000b 6578616d 706c652e 6f726700"
    "00080014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666";
/* RFC 8489 B.1: long-term request with USERHASH and MESSAGE-INTEGRITY-SHA256. */
static const char *const rfc8489_b1 =
    "0001009c 2112a442 78ad3433 c6ad72c0 29da412e"
    "001e0020 4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 05c46e41 407f1704"
    "00150029 6f624d61 744a6f73 32414141 43662f2f 3439396b 39353464 364f4c33 346f4c39"
    " 46535476 79363473 41000000"
    "0014000b 6578616d 706c652e 6f726700"
    "001c0020 e4686c8f 0edeb590 13e07090 010a93ef ccbccc54 4c0a45d9 f830aa6d 6f735a01";

static const char *const password = "VOkJxbRl1RmTxUk/WvJxBt";
/* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8 */
static const char *const lt_user = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
				   "\xe3\x82\xb9";
static const char *const lt_realm = "example.org";
static const char *const lt_pass = "TheMatrIX"; /* after SASLprep / OpaqueString */
static const uint8_t tid5769[STUN_TID_LEN] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
					      0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
static const uint8_t tid_lt[STUN_TID_LEN] = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
					     0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ')
			continue;
		ck_assert_int_eq(sscanf((char[]){*s, 0}, "%x", &v), 1);
		if (hi < 0) {
			hi = v;
			continue;
		}
		ck_assert_uint_lt(n, cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	ck_assert_int_lt(hi, 0);
	return n;
}

static const uint8_t *pw(void)
{
	return (const uint8_t *)password;
}

static void assert_text(const struct stun_msg *m, uint16_t type, const char *want)
{
	const uint8_t *v;
	size_t n;

	ck_assert_int_eq(stun_get_bytes(m, stun_find(m, type), &v, &n), 0);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_mem_eq(v, want, n);
}

static void assert_sa(const struct sockaddr_storage *ss, const char *ip, unsigned port)
{
	char text[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, text, sizeof(text));
		ck_assert_uint_eq(ntohs(s->sin_port), port);
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;

		ck_assert_int_eq(ss->ss_family, AF_INET6);
		inet_ntop(AF_INET6, &s->sin6_addr, text, sizeof(text));
		ck_assert_uint_eq(ntohs(s->sin6_port), port);
	}
	ck_assert_str_eq(text, ip);
}

static struct sockaddr_storage sa_of(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
	} else {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET, ip, &s->sin_addr), 1);
	}
	return ss;
}

static void lt_key(uint16_t alg, uint8_t *key, size_t *len)
{
	ck_assert_int_eq(stun_key_long_term(alg, lt_user, lt_realm, lt_pass, key, len), 0);
}

/* ---- RFC 5769 ---- */

/* RFC 5769 2.1 */
START_TEST(rfc5769_sample_request_parses_and_verifies)
{
	uint8_t buf[200];
	size_t n = unhex(rfc5769_request, buf, sizeof(buf));
	struct stun_msg m;
	uint32_t prio;
	uint64_t tie;

	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.method, STUN_BINDING);
	ck_assert_uint_eq(m.cls, STUN_REQUEST);
	ck_assert_mem_eq(m.tid, tid5769, STUN_TID_LEN);
	ck_assert_uint_eq(m.n_attrs, 6);
	ck_assert_int_eq(m.mi, 4);
	ck_assert_int_eq(m.mi256, -1);
	ck_assert_int_eq(m.fp, 5);
	assert_text(&m, STUN_A_SOFTWARE, "STUN test client");
	assert_text(&m, STUN_A_USERNAME, "evtj:h6vY");
	ck_assert_int_eq(stun_get_u32(&m, stun_find(&m, STUN_A_PRIORITY), &prio), 0);
	ck_assert_uint_eq(prio, 0x6e0001ff);
	ck_assert_int_eq(stun_get_u64(&m, stun_find(&m, STUN_A_ICE_CONTROLLED), &tie), 0);
	ck_assert_uint_eq(tie, 0x932ff9b151263b36ull);
	ck_assert_int_eq(stun_check_integrity(&m, pw(), strlen(password)), 0);
	ck_assert_int_eq(stun_check_integrity(&m, pw(), strlen(password) - 1), -EACCES);
}
END_TEST

/* RFC 5769 2.2 */
START_TEST(rfc5769_ipv4_response_gives_192_0_2_1_port_32853)
{
	uint8_t buf[200];
	size_t n = unhex(rfc5769_ipv4, buf, sizeof(buf));
	struct sockaddr_storage ss;
	struct stun_msg m;

	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.method, STUN_BINDING);
	ck_assert_uint_eq(m.cls, STUN_SUCCESS);
	ck_assert_int_eq(m.fp, 3);
	assert_text(&m, STUN_A_SOFTWARE, "test vector");
	ck_assert_int_eq(stun_get_xor_addr(&m, stun_find(&m, STUN_A_XOR_MAPPED_ADDRESS), &ss), 0);
	assert_sa(&ss, "192.0.2.1", 32853);
	ck_assert_int_eq(stun_check_integrity(&m, pw(), strlen(password)), 0);
}
END_TEST

/* RFC 5769 2.3 */
START_TEST(rfc5769_ipv6_response_gives_its_address_and_port)
{
	uint8_t buf[200];
	size_t n = unhex(rfc5769_ipv6, buf, sizeof(buf));
	struct sockaddr_storage ss;
	struct stun_msg m;

	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.cls, STUN_SUCCESS);
	ck_assert_int_eq(m.fp, 3);
	ck_assert_int_eq(stun_get_xor_addr(&m, stun_find(&m, STUN_A_XOR_MAPPED_ADDRESS), &ss), 0);
	assert_sa(&ss, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	ck_assert_int_eq(stun_check_integrity(&m, pw(), strlen(password)), 0);
}
END_TEST

/* RFC 5769 2.4, RFC 8489 9.2.2 (MD5 key) */
START_TEST(rfc5769_long_term_request_verifies_with_the_md5_key)
{
	uint8_t buf[200], key[32];
	size_t n = unhex(rfc5769_long_term, buf, sizeof(buf)), kl;
	struct stun_msg m;

	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_mem_eq(m.tid, tid_lt, STUN_TID_LEN);
	ck_assert_int_eq(m.fp, -1);
	assert_text(&m, STUN_A_USERNAME, lt_user);
	assert_text(&m, STUN_A_NONCE, "f//499k954d6OL34oL9FSTvy64sA");
	assert_text(&m, STUN_A_REALM, lt_realm);
	lt_key(STUN_PWALG_MD5, key, &kl);
	ck_assert_uint_eq(kl, 16);
	ck_assert_int_eq(stun_check_integrity(&m, key, kl), 0);
	ck_assert_int_eq(
	    stun_key_long_term(STUN_PWALG_MD5, lt_user, lt_realm, "TheMatrix", key, &kl), 0);
	ck_assert_int_eq(stun_check_integrity(&m, key, kl), -EACCES);
}
END_TEST

/* RFC 5769 2: the first three vectors pad with spaces (0x20); RFC 8489 14 has
 * senders pad with zeros, as our builder does. So the exact bytes come out when
 * the test writes 0x20 into the padding the builder left, before the HMAC and CRC
 * are computed; with our zeros only padding, HMAC and CRC differ. */
static void set_pad_spaces(struct stun_builder *b, size_t value_end)
{
	for (size_t i = value_end; i < b->w.len; i++) {
		ck_assert_uint_eq(b->w.buf[i], 0);
		b->w.buf[i] = 0x20;
	}
}

static size_t build_rfc5769_request(uint8_t *out, size_t cap, int spaces)
{
	struct stun_builder b;
	size_t n;

	stun_build_init(&b, out, cap, STUN_BINDING, STUN_REQUEST, tid5769);
	stun_put_text(&b, STUN_A_SOFTWARE, "STUN test client");
	stun_put_u32(&b, STUN_A_PRIORITY, 0x6e0001ff);
	stun_put_u64(&b, STUN_A_ICE_CONTROLLED, 0x932ff9b151263b36ull);
	stun_put_text(&b, STUN_A_USERNAME, "evtj:h6vY");
	if (spaces)
		set_pad_spaces(&b, b.w.len - 3);
	stun_put_integrity(&b, pw(), strlen(password));
	stun_put_fingerprint(&b);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	return n;
}

static size_t build_rfc5769_response(uint8_t *out, size_t cap, const char *ip, int spaces)
{
	struct sockaddr_storage ss = sa_of(ip, 32853);
	struct stun_builder b;
	size_t n;

	stun_build_init(&b, out, cap, STUN_BINDING, STUN_SUCCESS, tid5769);
	stun_put_text(&b, STUN_A_SOFTWARE, "test vector");
	if (spaces)
		set_pad_spaces(&b, b.w.len - 1);
	stun_put_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, (struct sockaddr *)&ss);
	stun_put_integrity(&b, pw(), strlen(password));
	stun_put_fingerprint(&b);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	return n;
}

/* Our zero-padded build differs from the vector only in padding, MI and FP. */
static void assert_differs_only_in(const uint8_t *ours, const uint8_t *theirs, size_t n,
				   const size_t *pads, size_t n_pads)
{
	size_t mi_value = n - 8 - 20;
	struct stun_msg m;

	for (size_t i = 0; i < mi_value; i++) {
		int is_pad = 0;

		for (size_t k = 0; k < n_pads; k++)
			is_pad |= i == pads[k];
		if (is_pad)
			ck_assert_uint_eq(ours[i], 0);
		else
			ck_assert_uint_eq(ours[i], theirs[i]);
	}
	ck_assert_int_eq(stun_parse(&m, ours, n), 0);
	ck_assert_int_eq(stun_check_integrity(&m, pw(), strlen(password)), 0);
}

/* RFC 5769 2.1 */
START_TEST(rebuilding_the_rfc5769_request_gives_its_bytes)
{
	uint8_t want[200], got[200];
	size_t wn = unhex(rfc5769_request, want, sizeof(want));
	size_t pads[] = {73, 74, 75}; /* after USERNAME's 9 bytes */

	ck_assert_uint_eq(build_rfc5769_request(got, sizeof(got), 1), wn);
	ck_assert_mem_eq(got, want, wn);
	ck_assert_uint_eq(build_rfc5769_request(got, sizeof(got), 0), wn);
	assert_differs_only_in(got, want, wn, pads, 3);
}
END_TEST

/* RFC 5769 2.2, 2.3 */
START_TEST(rebuilding_the_rfc5769_responses_gives_their_bytes)
{
	const char *vec[] = {rfc5769_ipv4, rfc5769_ipv6};
	const char *ip[] = {"192.0.2.1", "2001:db8:1234:5678:11:2233:4455:6677"};
	size_t pads[] = {35}; /* after SOFTWARE's 11 bytes */

	for (int i = 0; i < 2; i++) {
		uint8_t want[200], got[200];
		size_t wn = unhex(vec[i], want, sizeof(want));

		ck_assert_uint_eq(build_rfc5769_response(got, sizeof(got), ip[i], 1), wn);
		ck_assert_mem_eq(got, want, wn);
		ck_assert_uint_eq(build_rfc5769_response(got, sizeof(got), ip[i], 0), wn);
		assert_differs_only_in(got, want, wn, pads, 1);
	}
}
END_TEST

/* RFC 5769 2.4 (zero padding: reproducible as is) */
START_TEST(rebuilding_the_rfc5769_long_term_request_gives_its_bytes)
{
	uint8_t want[200], got[200], key[32];
	size_t wn = unhex(rfc5769_long_term, want, sizeof(want)), n, kl;
	struct stun_builder b;

	lt_key(STUN_PWALG_MD5, key, &kl);
	stun_build_init(&b, got, sizeof(got), STUN_BINDING, STUN_REQUEST, tid_lt);
	stun_put_text(&b, STUN_A_USERNAME, lt_user);
	stun_put_text(&b, STUN_A_NONCE, "f//499k954d6OL34oL9FSTvy64sA");
	stun_put_text(&b, STUN_A_REALM, lt_realm);
	stun_put_integrity(&b, key, kl);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_uint_eq(n, wn);
	ck_assert_mem_eq(got, want, wn);
}
END_TEST

/* ---- RFC 8489 Appendix B.1 ---- */

static void sha256_of(const char *a, const char *sep, const char *c, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned n;

	ck_assert(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
	ck_assert(EVP_DigestUpdate(ctx, a, strlen(a)));
	ck_assert(EVP_DigestUpdate(ctx, sep, strlen(sep)));
	ck_assert(EVP_DigestUpdate(ctx, c, strlen(c)));
	ck_assert(EVP_DigestFinal_ex(ctx, out, &n));
	EVP_MD_CTX_free(ctx);
}

/* RFC 8489 B.1 as printed says length 0x9c (156), which counts the 20-byte
 * header: its attributes are 136 bytes. A receiver must drop it (RFC 8489 5),
 * and its HMAC was computed over that header as printed. */
START_TEST(rfc8489_b1_as_printed_has_a_wrong_length_and_is_dropped)
{
	uint8_t buf[200], key[32], mac[32];
	size_t n = unhex(rfc8489_b1, buf, sizeof(buf)), kl, ml = 0;
	struct stun_msg m;

	ck_assert_uint_eq(n, 156);
	ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);
	ck_assert_int_eq(stun_looks_like(buf, n), 0);
	/* The printed HMAC is HMAC-SHA256(key, the 124 bytes before it as printed). */
	lt_key(STUN_PWALG_SHA256, key, &kl);
	ck_assert_uint_eq(kl, 32);
	ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, kl, buf, n - 36,
					mac, sizeof(mac), &ml));
	ck_assert_uint_eq(ml, 32);
	ck_assert_mem_eq(mac, buf + n - 32, 32);
}
END_TEST

/* RFC 8489 B.1, 14.4 (USERHASH), 14.6 (MESSAGE-INTEGRITY-SHA256), 9.2.2 (SHA-256 key) */
START_TEST(rfc8489_b1_rebuilt_with_the_right_length_verifies)
{
	uint8_t vec[200], got[200], key[32], uh[32];
	size_t vn = unhex(rfc8489_b1, vec, sizeof(vec)), n, kl;
	struct stun_builder b;
	struct stun_msg m;
	const uint8_t *v;
	size_t vl;

	sha256_of(lt_user, ":", lt_realm, uh);
	ck_assert_mem_eq(uh, vec + 24, 32); /* the vector's USERHASH */
	lt_key(STUN_PWALG_SHA256, key, &kl);
	stun_build_init(&b, got, sizeof(got), STUN_BINDING, STUN_REQUEST, tid_lt);
	stun_put(&b, STUN_A_USERHASH, uh, 32);
	stun_put_text(&b, STUN_A_NONCE, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
	stun_put_text(&b, STUN_A_REALM, lt_realm);
	stun_put_integrity_sha256(&b, key, kl);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_uint_eq(n, vn);
	ck_assert_uint_eq(got[2] << 8 | got[3], 0x88);
	ck_assert_mem_eq(got, vec, 2);
	ck_assert_mem_eq(got + 4, vec + 4, n - 4 - 32); /* all but length and HMAC */
	ck_assert_int_eq(stun_parse(&m, got, n), 0);
	ck_assert_int_eq(m.mi256, 3);
	ck_assert_int_eq(stun_get_bytes(&m, stun_find(&m, STUN_A_USERHASH), &v, &vl), 0);
	ck_assert_uint_eq(vl, 32);
	ck_assert_int_eq(stun_check_integrity(&m, key, kl), 0);
	/* The vector's own HMAC does not verify over the corrected header. */
	memcpy(got + n - 32, vec + vn - 32, 32);
	ck_assert_int_eq(stun_parse(&m, got, n), 0);
	ck_assert_int_eq(stun_check_integrity(&m, key, kl), -EACCES);
}
END_TEST

/* ---- builder and readers ---- */

static const uint8_t tid_a[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

/* RFC 8489 5, Figure 3: the class bits sit between the method bits. */
START_TEST(message_types_encode_methods_and_classes_as_figure_3)
{
	static const struct {
		uint16_t method;
		uint8_t cls;
		uint16_t type;
	} known[] = {
	    {STUN_BINDING, STUN_REQUEST, 0x0001},
	    {STUN_BINDING, STUN_SUCCESS, 0x0101},
	    {STUN_BINDING, STUN_ERROR, 0x0111},
	    {STUN_BINDING, STUN_INDICATION, 0x0011},
	    {STUN_ALLOCATE, STUN_ERROR, 0x0113},
	    {STUN_SEND, STUN_INDICATION, 0x0016},
	    {STUN_DATA, STUN_INDICATION, 0x0017},
	    {STUN_CHANNEL_BIND, STUN_SUCCESS, 0x0109},
	    {STUN_CREATE_PERMISSION, STUN_REQUEST, 0x0008},
	};
	uint8_t buf[64];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		stun_build_init(&b, buf, sizeof(buf), known[i].method, known[i].cls, tid_a);
		ck_assert_int_eq(stun_finish(&b, &n), 0);
		ck_assert_uint_eq(buf[0] << 8 | buf[1], known[i].type);
	}
	for (uint16_t method = 0; method < 0x1000; method++) {
		for (uint8_t cls = 0; cls < 4; cls++) {
			stun_build_init(&b, buf, sizeof(buf), method, cls, tid_a);
			ck_assert_int_eq(stun_finish(&b, &n), 0);
			ck_assert_uint_eq(n, STUN_HDR_LEN);
			ck_assert_int_eq(stun_parse(&m, buf, n), 0);
			ck_assert_uint_eq(m.method, method);
			ck_assert_uint_eq(m.cls, cls);
			ck_assert_uint_eq(m.n_attrs, 0);
		}
	}
	stun_build_init(&b, buf, sizeof(buf), 0x1000, STUN_REQUEST, tid_a);
	ck_assert_int_eq(stun_finish(&b, &n), -EINVAL);
}
END_TEST

static const char *const addrs[] = {"192.0.2.1", "203.0.113.255",
				    "0.0.0.0",	 "2001:db8::1",
				    "::1",	 "2001:db8:1234:5678:11:2233:4455:6677"};
static const unsigned ports[] = {1, 3478, 65535, 0, 50000, 32853};

/* RFC 8489 14.1, 14.2, 14.15; RFC 8656 18.3, 18.5 */
START_TEST(addresses_round_trip_plain_and_xored)
{
	static const uint16_t xor_types[] = {STUN_A_XOR_MAPPED_ADDRESS, STUN_A_XOR_PEER_ADDRESS,
					     STUN_A_XOR_RELAYED_ADDRESS};
	static const uint16_t plain_types[] = {STUN_A_MAPPED_ADDRESS, STUN_A_ALTERNATE_SERVER};

	for (size_t i = 0; i < 6; i++) {
		struct sockaddr_storage in = sa_of(addrs[i], ports[i]), out;
		uint8_t buf[200];
		struct stun_builder b;
		struct stun_msg m;
		size_t n;

		stun_build_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_SUCCESS, tid_a);
		for (size_t k = 0; k < 3; k++)
			stun_put_xor_addr(&b, xor_types[k], (struct sockaddr *)&in);
		for (size_t k = 0; k < 2; k++)
			stun_put_addr(&b, plain_types[k], (struct sockaddr *)&in);
		ck_assert_int_eq(stun_finish(&b, &n), 0);
		ck_assert_int_eq(stun_parse(&m, buf, n), 0);
		ck_assert_uint_eq(m.n_attrs, 5);
		for (size_t k = 0; k < 3; k++) {
			ck_assert_int_eq(stun_get_xor_addr(&m, stun_find(&m, xor_types[k]), &out),
					 0);
			assert_sa(&out, addrs[i], ports[i]);
		}
		for (size_t k = 0; k < 2; k++) {
			ck_assert_int_eq(stun_get_addr(&m, stun_find(&m, plain_types[k]), &out), 0);
			assert_sa(&out, addrs[i], ports[i]);
		}
	}
}
END_TEST

/* RFC 8489 14.2: the xor is really applied on the wire (port ^ 0x2112). */
START_TEST(xor_addresses_are_obfuscated_on_the_wire)
{
	struct sockaddr_storage in = sa_of("192.0.2.1", 32853), out;
	uint8_t buf[64];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, tid_a);
	stun_put_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, (struct sockaddr *)&in);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_uint_eq(n, 32);
	ck_assert_mem_eq(buf + 24, "\x00\x01\xa1\x47\xe1\x12\xa6\x43", 8);
	/* Read as a plain address it is the obfuscated one. */
	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_int_eq(stun_get_addr(&m, &m.attrs[0], &out), 0);
	assert_sa(&out, "225.18.166.67", 41287);
}
END_TEST

/* RFC 8489 14 (padding), 15 */
START_TEST(values_of_every_length_are_padded_with_zeros_and_read_back)
{
	uint8_t data[40], buf[400];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xA0 + i);
	for (size_t len = 0; len <= sizeof(data); len++) {
		struct stun_builder b;
		struct stun_msg m;
		const uint8_t *v;
		size_t n, vl;
		uint32_t x;

		stun_build_init(&b, buf, sizeof(buf), STUN_SEND, STUN_INDICATION, tid_a);
		stun_put(&b, STUN_A_DATA, data, len);
		stun_put_u32(&b, STUN_A_LIFETIME, 0xdeadbeef);
		ck_assert_int_eq(stun_finish(&b, &n), 0);
		ck_assert_uint_eq(n, 20 + 4 + (len + 3) / 4 * 4 + 8);
		for (size_t p = 24 + len; p < 24 + (len + 3) / 4 * 4; p++)
			ck_assert_uint_eq(buf[p], 0);
		ck_assert_int_eq(stun_parse(&m, buf, n), 0);
		ck_assert_int_eq(stun_get_bytes(&m, stun_find(&m, STUN_A_DATA), &v, &vl), 0);
		ck_assert_uint_eq(vl, len);
		ck_assert_mem_eq(v, data, len);
		ck_assert_int_eq(stun_get_u32(&m, stun_find(&m, STUN_A_LIFETIME), &x), 0);
		ck_assert_uint_eq(x, 0xdeadbeef);
	}
}
END_TEST

/* RFC 8489 15 (padding MUST be ignored by the receiver) */
START_TEST(nonzero_padding_is_accepted)
{
	uint8_t buf[64];
	size_t n = unhex("000100082112a442000102030405060708090a0b"
			 "80220001"
			 "41ffffff",
			 buf, sizeof(buf));
	struct stun_msg m;

	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	assert_text(&m, STUN_A_SOFTWARE, "A");
}
END_TEST

/* RFC 8489 14.3, 14.9, 14.10, 14.14; RFC 8445 16.1; RFC 8656 18 */
START_TEST(numbers_flags_and_text_round_trip)
{
	static const struct {
		uint16_t type;
		uint32_t v;
	} u32s[] = {
	    {STUN_A_PRIORITY, 0x6e0001ff},	    {STUN_A_LIFETIME, 600},
	    {STUN_A_LIFETIME, 0xFFFFFFFF},	    {STUN_A_REQUESTED_TRANSPORT, 17u << 24},
	    {STUN_A_CHANNEL_NUMBER, 0x4000u << 16}, {STUN_A_REQUESTED_ADDR_FAMILY, 0x02u << 24},
	};
	static const struct {
		uint16_t type;
		uint64_t v;
	} u64s[] = {
	    {STUN_A_ICE_CONTROLLING, 0x0123456789abcdefull},
	    {STUN_A_ICE_CONTROLLED, 0xfedcba9876543210ull},
	    {STUN_A_RESERVATION_TOKEN, 1},
	};
	static const struct {
		uint16_t type;
		const char *s;
	} texts[] = {
	    {STUN_A_USERNAME, "alice:bob"}, {STUN_A_REALM, "p2psip.test"}, {STUN_A_NONCE, "n"},
	    {STUN_A_SOFTWARE, "hipsip"},    {STUN_A_USERNAME, ""},
	};
	uint8_t buf[STUN_MAX_MSG];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++) {
		uint32_t v;

		stun_build_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_REQUEST, tid_a);
		stun_put_u32(&b, u32s[i].type, u32s[i].v);
		ck_assert_int_eq(stun_finish(&b, &n), 0);
		ck_assert_int_eq(stun_parse(&m, buf, n), 0);
		ck_assert_int_eq(stun_get_u32(&m, stun_find(&m, u32s[i].type), &v), 0);
		ck_assert_uint_eq(v, u32s[i].v);
	}
	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
		uint64_t v;

		stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
		stun_put_u64(&b, u64s[i].type, u64s[i].v);
		ck_assert_int_eq(stun_finish(&b, &n), 0);
		ck_assert_int_eq(stun_parse(&m, buf, n), 0);
		ck_assert_int_eq(stun_get_u64(&m, stun_find(&m, u64s[i].type), &v), 0);
		ck_assert_uint_eq(v, u64s[i].v);
	}
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
		stun_put_text(&b, texts[i].type, texts[i].s);
		ck_assert_int_eq(stun_finish(&b, &n), 0);
		ck_assert_int_eq(stun_parse(&m, buf, n), 0);
		assert_text(&m, texts[i].type, texts[i].s);
	}
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put_flag(&b, STUN_A_USE_CANDIDATE);
	stun_put_flag(&b, STUN_A_DONT_FRAGMENT);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_uint_eq(n, 28);
	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_ptr_nonnull(stun_find(&m, STUN_A_USE_CANDIDATE));
	ck_assert_uint_eq(stun_find(&m, STUN_A_DONT_FRAGMENT)->len, 0);
	ck_assert_ptr_null(stun_find(&m, STUN_A_PRIORITY));
}
END_TEST

/* RFC 8489 14.8 */
START_TEST(error_codes_round_trip_with_their_reasons)
{
	static const struct {
		int code;
		const char *reason;
	} errs[] = {{300, "Try Alternate"}, {401, "Unauthenticated"},	    {420, ""},
		    {438, "Stale Nonce"},   {508, "Insufficient Capacity"}, {699, "x"}};
	uint8_t buf[200];

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		struct stun_builder b;
		struct stun_msg m;
		const char *r;
		size_t n, rl;
		int code;

		stun_build_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_ERROR, tid_a);
		stun_put_error(&b, errs[i].code, errs[i].reason);
		ck_assert_int_eq(stun_finish(&b, &n), 0);
		ck_assert_uint_eq(buf[26], errs[i].code / 100);
		ck_assert_uint_eq(buf[27], errs[i].code % 100);
		ck_assert_int_eq(stun_parse(&m, buf, n), 0);
		ck_assert_int_eq(
		    stun_get_error(&m, stun_find(&m, STUN_A_ERROR_CODE), &code, &r, &rl), 0);
		ck_assert_int_eq(code, errs[i].code);
		ck_assert_uint_eq(rl, strlen(errs[i].reason));
		ck_assert_mem_eq(r, errs[i].reason, rl);
	}
}
END_TEST

/* RFC 8489 14.5, 14.6, 14.7: every combination of the trailing attributes. */
START_TEST(integrity_and_fingerprint_combinations_verify)
{
	static const uint8_t key[] = "a key";
	uint8_t buf[200];

	for (int mask = 0; mask < 8; mask++) {
		struct stun_builder b;
		struct stun_msg m;
		size_t n;

		stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
		stun_put_text(&b, STUN_A_USERNAME, "u:v");
		if (mask & 1)
			stun_put_integrity(&b, key, 5);
		if (mask & 2)
			stun_put_integrity_sha256(&b, key, 5);
		if (mask & 4)
			stun_put_fingerprint(&b);
		ck_assert_int_eq(stun_finish(&b, &n), 0);
		ck_assert_int_eq(stun_parse(&m, buf, n), 0);
		ck_assert_int_eq(m.mi >= 0, !!(mask & 1));
		ck_assert_int_eq(m.mi256 >= 0, !!(mask & 2));
		ck_assert_int_eq(m.fp >= 0, !!(mask & 4));
		if (!(mask & 3)) {
			ck_assert_int_eq(stun_check_integrity(&m, key, 5), -ENOENT);
			continue;
		}
		ck_assert_int_eq(stun_check_integrity(&m, key, 5), 0);
		ck_assert_int_eq(stun_check_integrity(&m, key, 4), -EACCES);
		ck_assert_int_eq(stun_check_integrity(&m, NULL, 0), -EACCES);
	}
}
END_TEST

/* RFC 8489 9.1.1: an empty short-term password is still a key. */
START_TEST(an_empty_key_works_both_ways)
{
	uint8_t buf[64];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put_integrity(&b, NULL, 0);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_int_eq(stun_check_integrity(&m, NULL, 0), 0);
	ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)"x", 1), -EACCES);
}
END_TEST

/* Builds USERNAME then MESSAGE-INTEGRITY-SHA256 truncated to tlen bytes. */
static size_t build_truncated_mi256(uint8_t *buf, size_t cap, size_t tlen)
{
	static const uint8_t key[] = "k";
	uint8_t mac[32];
	struct stun_builder b;
	size_t n, ml;

	stun_build_init(&b, buf, cap, STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put_text(&b, STUN_A_USERNAME, "u:v");
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	buf[3] = (uint8_t)(n - 20 + 4 + tlen);
	ck_assert_ptr_nonnull(
	    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 1, buf, n, mac, 32, &ml));
	stun_put(&b, STUN_A_MESSAGE_INTEGRITY_SHA256, mac, tlen);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	return n;
}

/* RFC 8489 14.6: 16..32 bytes, a multiple of 4. */
START_TEST(truncated_message_integrity_sha256_is_accepted_from_16_bytes)
{
	uint8_t buf[128];

	for (size_t t = 16; t <= 32; t += 4) {
		size_t n = build_truncated_mi256(buf, sizeof(buf), t);
		struct stun_msg m;

		ck_assert_int_eq(stun_parse(&m, buf, n), 0);
		ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)"k", 1), 0);
		buf[n - 1] ^= 1;
		ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)"k", 1), -EACCES);
	}
	for (size_t t = 0; t < 40; t++) {
		static const uint8_t zeros[40];
		struct stun_builder b;
		struct stun_msg m;
		size_t n;

		if (t >= 16 && t <= 32 && t % 4 == 0)
			continue;
		if (t < 32) {
			n = build_truncated_mi256(buf, sizeof(buf), t);
		} else { /* longer than an HMAC-SHA256 */
			stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
			stun_put(&b, STUN_A_MESSAGE_INTEGRITY_SHA256, zeros, t);
			ck_assert_int_eq(stun_finish(&b, &n), 0);
		}
		ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);
	}
}
END_TEST

/* RFC 8489 14.5-14.7: any changed byte before them breaks MI, MI-SHA256 or FP. */
START_TEST(any_changed_byte_breaks_integrity_or_fingerprint)
{
	static const uint8_t key[] = "secret";
	uint8_t buf[200];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	for (int with_fp = 0; with_fp < 2; with_fp++) {
		stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, tid_a);
		stun_put_text(&b, STUN_A_SOFTWARE, "abc");
		stun_put_u32(&b, STUN_A_PRIORITY, 7);
		stun_put_integrity(&b, key, 6);
		if (with_fp)
			stun_put_fingerprint(&b);
		ck_assert_int_eq(stun_finish(&b, &n), 0);
		for (size_t i = 0; i < n; i++) {
			buf[i] ^= 0x01;
			if (stun_parse(&m, buf, n) == 0)
				ck_assert_int_ne(stun_check_integrity(&m, key, 6), 0);
			buf[i] ^= 0x01;
		}
		ck_assert_int_eq(stun_parse(&m, buf, n), 0);
		ck_assert_int_eq(stun_check_integrity(&m, key, 6), 0);
	}
}
END_TEST

/* RFC 8489 9.2.2, 18.5 */
START_TEST(long_term_keys_are_md5_or_sha256_and_nothing_else)
{
	uint8_t key[32], want[32];
	size_t kl = 0;

	lt_key(STUN_PWALG_SHA256, key, &kl);
	ck_assert_uint_eq(kl, 32);
	sha256_of(lt_user, ":example.org:", lt_pass, want);
	ck_assert_mem_eq(key, want, 32);
	ck_assert_int_eq(stun_key_long_term(0, "u", "r", "p", key, &kl), -EINVAL);
	ck_assert_int_eq(stun_key_long_term(3, "u", "r", "p", key, &kl), -EINVAL);
	ck_assert_int_eq(stun_key_long_term(STUN_PWALG_MD5, NULL, "r", "p", key, &kl), -EINVAL);
}
END_TEST

/* Builder errors stick and stun_finish reports the first. */
START_TEST(builder_errors_stick_until_finish)
{
	uint8_t buf[STUN_MAX_MSG];
	struct sockaddr sa = {.sa_family = AF_UNIX};
	struct stun_builder b;
	size_t n = 0;

	stun_build_init(&b, buf, 19, STUN_BINDING, STUN_REQUEST, tid_a);
	ck_assert_int_eq(stun_finish(&b, &n), -ENOBUFS);
	stun_build_init(&b, buf, 31, STUN_BINDING, STUN_REQUEST, tid_a);
	ck_assert_int_eq(stun_put_u64(&b, STUN_A_ICE_CONTROLLING, 1), -ENOBUFS);
	ck_assert_int_eq(stun_put_flag(&b, STUN_A_USE_CANDIDATE), -ENOBUFS);
	ck_assert_int_eq(stun_finish(&b, &n), -ENOBUFS);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	ck_assert_int_eq(stun_put_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &sa), -EAFNOSUPPORT);
	stun_put_u32(&b, STUN_A_PRIORITY, 1);
	ck_assert_int_eq(stun_finish(&b, &n), -EAFNOSUPPORT);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, tid_a);
	ck_assert_int_eq(stun_put_error(&b, 299, "x"), -EINVAL);
	ck_assert_int_eq(stun_finish(&b, &n), -EINVAL);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, tid_a);
	ck_assert_int_eq(stun_put_error(&b, 700, "x"), -EINVAL);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	ck_assert_int_eq(stun_put(&b, STUN_A_DATA, buf, 0x10000), -EMSGSIZE);
	/* An integrity attribute that does not fit leaves nothing behind. */
	stun_build_init(&b, buf, 40, STUN_BINDING, STUN_REQUEST, tid_a);
	ck_assert_int_eq(stun_put_integrity(&b, (const uint8_t *)"k", 1), -ENOBUFS);
	ck_assert_int_eq(stun_finish(&b, &n), -ENOBUFS);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* Reading a missing attribute is not a crash. */
START_TEST(readers_of_a_missing_attribute_say_enoent)
{
	uint8_t buf[64];
	size_t n = unhex("000100002112a442000102030405060708090a0b", buf, sizeof(buf));
	struct sockaddr_storage ss;
	struct stun_msg m;
	const uint8_t *v;
	const char *r;
	size_t vl;
	uint32_t x;
	uint64_t y;
	int code;

	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_ptr_null(stun_find(&m, STUN_A_XOR_MAPPED_ADDRESS));
	ck_assert_int_eq(stun_get_xor_addr(&m, NULL, &ss), -ENOENT);
	ck_assert_int_eq(stun_get_addr(&m, NULL, &ss), -ENOENT);
	ck_assert_int_eq(stun_get_u32(&m, NULL, &x), -ENOENT);
	ck_assert_int_eq(stun_get_u64(&m, NULL, &y), -ENOENT);
	ck_assert_int_eq(stun_get_error(&m, NULL, &code, &r, &vl), -ENOENT);
	ck_assert_int_eq(stun_get_bytes(&m, NULL, &v, &vl), -ENOENT);
}
END_TEST

/* ---- malformed messages ---- */

static int parse_hex(const char *hex)
{
	uint8_t buf[STUN_MAX_MSG + 64];
	size_t n = unhex(hex, buf, sizeof(buf));
	struct stun_msg m;

	return stun_parse(&m, buf, n);
}

#define HDR(len) "0001" len "2112a442000102030405060708090a0b"

/* RFC 8489 5, 6.3 */
START_TEST(truncated_headers_are_rejected_at_every_length)
{
	uint8_t buf[200];
	size_t n = unhex(rfc5769_ipv4, buf, sizeof(buf));
	struct stun_msg m;

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(stun_parse(&m, buf, i), -EBADMSG);
		ck_assert_int_eq(stun_looks_like(buf, i), 0);
	}
	ck_assert_int_eq(stun_parse(&m, NULL, 0), -EBADMSG);
}
END_TEST

/* RFC 8489 5: top bits, cookie, length in 4-byte units matching the datagram */
START_TEST(bad_headers_are_rejected)
{
	ck_assert_int_eq(parse_hex(HDR("0000")), 0);
	ck_assert_int_eq(parse_hex("4001"
				   "0000"
				   "2112a442000102030405060708090a0b"),
			 -EBADMSG);
	ck_assert_int_eq(parse_hex("8001"
				   "0000"
				   "2112a442000102030405060708090a0b"),
			 -EBADMSG);
	ck_assert_int_eq(parse_hex("0001"
				   "0000"
				   "2112a443000102030405060708090a0b"),
			 -EBADMSG);
	ck_assert_int_eq(parse_hex(HDR("0002") "0000"), -EBADMSG);
	ck_assert_int_eq(parse_hex(HDR("0004") "80220000"
					       "00000000"),
			 -EBADMSG);				       /* too long */
	ck_assert_int_eq(parse_hex(HDR("0008") "80220000"), -EBADMSG); /* too short */
	ck_assert_int_eq(parse_hex(HDR("0000") "00"), -EBADMSG);
}
END_TEST

/* RFC 8489 15 */
START_TEST(attributes_overrunning_the_message_are_rejected)
{
	ck_assert_int_eq(parse_hex(HDR("0008") "80220004"
					       "41424344"),
			 0);
	ck_assert_int_eq(parse_hex(HDR("0008") "80220005"
					       "41424344"),
			 -EBADMSG);
	ck_assert_int_eq(parse_hex(HDR("0008") "8022ffff"
					       "41424344"),
			 -EBADMSG);
	ck_assert_int_eq(parse_hex(HDR("0004") "80220001"), -EBADMSG);
	/* a header cut short */
	ck_assert_int_eq(parse_hex(HDR("000c") "80220004"
					       "41424344"
					       "0024"),
			 -EBADMSG);
}
END_TEST

static size_t build_with_fp(uint8_t *buf, size_t cap)
{
	struct stun_builder b;
	size_t n;

	stun_build_init(&b, buf, cap, STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put_u32(&b, STUN_A_PRIORITY, 1);
	stun_put_fingerprint(&b);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	return n;
}

/* RFC 8489 14.7 */
START_TEST(anything_after_fingerprint_is_rejected)
{
	uint8_t buf[128];
	size_t n = build_with_fp(buf, sizeof(buf));
	struct stun_msg m;

	/* Append PRIORITY after FINGERPRINT, with a FINGERPRINT that would be right. */
	memcpy(buf + n, "\x00\x24\x00\x04\x00\x00\x00\x01", 8);
	buf[3] += 8;
	ck_assert_int_eq(stun_parse(&m, buf, n + 8), -EBADMSG);
	/* A second FINGERPRINT too. */
	n = build_with_fp(buf, sizeof(buf));
	memcpy(buf + n, buf + n - 8, 8);
	buf[3] += 8;
	ck_assert_int_eq(stun_parse(&m, buf, n + 8), -EBADMSG);
}
END_TEST

/* RFC 8489 14.7 */
START_TEST(a_wrong_fingerprint_is_rejected)
{
	uint8_t buf[128];
	size_t n = build_with_fp(buf, sizeof(buf));
	struct stun_msg m;

	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	for (size_t i = n - 4; i < n; i++) {
		buf[i] ^= 0x80;
		ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);
		buf[i] ^= 0x80;
	}
	buf[27] ^= 1; /* the PRIORITY value */
	ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);
	/* A FINGERPRINT of 8 bytes */
	ck_assert_int_eq(parse_hex(HDR("000c") "80280008"
					       "0000000000000000"),
			 -EBADMSG);
}
END_TEST

/* RFC 8489 14.5, 14.6: only MI-SHA256 and FINGERPRINT after MI; only FP after MI-SHA256. */
START_TEST(attributes_after_message_integrity_are_rejected)
{
	static const uint8_t key[] = "k";
	uint8_t buf[200];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put_integrity(&b, key, 1);
	stun_put_u32(&b, STUN_A_PRIORITY, 1);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put_integrity(&b, key, 1);
	stun_put_integrity(&b, key, 1);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put_integrity_sha256(&b, key, 1);
	stun_put_integrity(&b, key, 1);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put_integrity_sha256(&b, key, 1);
	stun_put_flag(&b, STUN_A_USE_CANDIDATE);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);

	/* MESSAGE-INTEGRITY must be 20 bytes. */
	ck_assert_int_eq(parse_hex(HDR("0008") "00080004"
					       "00000000"),
			 -EBADMSG);
}
END_TEST

/* STUN_MAX_ATTRS */
START_TEST(too_many_attributes_are_rejected)
{
	uint8_t buf[STUN_MAX_MSG];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	for (int i = 0; i < STUN_MAX_ATTRS; i++)
		stun_put_flag(&b, STUN_A_USE_CANDIDATE);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_uint_eq(m.n_attrs, STUN_MAX_ATTRS);
	stun_put_flag(&b, STUN_A_USE_CANDIDATE);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);
}
END_TEST

/* STUN_MAX_MSG: what we accept over UDP */
START_TEST(messages_longer_than_the_udp_limit_are_rejected)
{
	static uint8_t buf[4096], data[2000];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	stun_build_init(&b, buf, sizeof(buf), STUN_DATA, STUN_INDICATION, tid_a);
	stun_put(&b, STUN_A_DATA, data, STUN_MAX_MSG - 24);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_uint_eq(n, STUN_MAX_MSG);
	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	stun_build_init(&b, buf, sizeof(buf), STUN_DATA, STUN_INDICATION, tid_a);
	stun_put(&b, STUN_A_DATA, data, STUN_MAX_MSG - 20);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), -EBADMSG);
}
END_TEST

static int get_addr_hex(const char *value_hex, int xor)
{
	char hex[400];
	uint8_t buf[200];
	struct sockaddr_storage ss;
	struct stun_msg m;
	size_t vl = strlen(value_hex) / 2, n;

	snprintf(hex, sizeof(hex), "0101%04zx2112a442000102030405060708090a0b%04x%04zx%s%.*s",
		 4 + vl + (4 - vl % 4) % 4, xor? STUN_A_XOR_MAPPED_ADDRESS : STUN_A_MAPPED_ADDRESS,
		 vl, value_hex, (int)((4 - vl % 4) % 4 * 2), "000000");
	n = unhex(hex, buf, sizeof(buf));
	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	return xor? stun_get_xor_addr(&m, &m.attrs[0], &ss) : stun_get_addr(&m, &m.attrs[0], &ss);
}

/* RFC 8489 14.1, 14.2 */
START_TEST(bad_address_families_and_lengths_are_rejected)
{
	for (int xor = 0; xor < 2; xor ++) {
		ck_assert_int_eq(get_addr_hex("00010001c0000201", xor), 0);
		ck_assert_int_eq(get_addr_hex("ff010001c0000201", xor), 0); /* ignored byte */
		ck_assert_int_eq(get_addr_hex("00000001c0000201", xor), -EBADMSG);
		ck_assert_int_eq(get_addr_hex("00030001c0000201", xor), -EBADMSG);
		ck_assert_int_eq(get_addr_hex("00010001c00002", xor), -EBADMSG);
		ck_assert_int_eq(get_addr_hex("00010001c000020100", xor), -EBADMSG);
		ck_assert_int_eq(get_addr_hex("00020001c0000201", xor), -EBADMSG);
		ck_assert_int_eq(get_addr_hex("0002000120010db8000000000000000000000001", xor), 0);
		ck_assert_int_eq(get_addr_hex("0001000120010db8000000000000000000000001", xor),
				 -EBADMSG);
		ck_assert_int_eq(get_addr_hex("000200", xor), -EBADMSG);
		ck_assert_int_eq(get_addr_hex("", xor), -EBADMSG);
	}
}
END_TEST

static int get_error_hex(const char *value_hex, int *code)
{
	char hex[400];
	uint8_t buf[200];
	struct stun_msg m;
	const char *r;
	size_t vl = strlen(value_hex) / 2, n, rl;

	snprintf(hex, sizeof(hex), "0111%04zx2112a442000102030405060708090a0b0009%04zx%s%.*s",
		 4 + vl + (4 - vl % 4) % 4, vl, value_hex, (int)((4 - vl % 4) % 4 * 2), "000000");
	n = unhex(hex, buf, sizeof(buf));
	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	return stun_get_error(&m, &m.attrs[0], code, &r, &rl);
}

/* RFC 8489 14.8: class 3..6, number 0..99, reserved bits ignored */
START_TEST(bad_error_codes_are_rejected)
{
	int code = 0;

	ck_assert_int_eq(get_error_hex("00000401", &code), 0);
	ck_assert_int_eq(code, 401);
	ck_assert_int_eq(get_error_hex("fffffc63", &code), 0); /* reserved bits set */
	ck_assert_int_eq(code, 499);
	ck_assert_int_eq(get_error_hex("00000263", &code), -EBADMSG);
	ck_assert_int_eq(get_error_hex("00000700", &code), -EBADMSG);
	ck_assert_int_eq(get_error_hex("00000364", &code), -EBADMSG);
	ck_assert_int_eq(get_error_hex("000006ff", &code), -EBADMSG);
	ck_assert_int_eq(get_error_hex("000004", &code), -EBADMSG);
	ck_assert_int_eq(get_error_hex("", &code), -EBADMSG);
}
END_TEST

/* Fixed-length values: u32, u64, USERHASH; length limits on text (RFC 8489 14.3, 14.4) */
START_TEST(wrong_value_lengths_are_rejected)
{
	static uint8_t buf[STUN_MAX_MSG], big[800];
	struct stun_builder b;
	struct stun_msg m;
	const uint8_t *v;
	size_t n, vl;
	uint32_t x;
	uint64_t y;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put(&b, STUN_A_PRIORITY, big, 3);
	stun_put(&b, STUN_A_LIFETIME, big, 8);
	stun_put(&b, STUN_A_ICE_CONTROLLING, big, 4);
	stun_put(&b, STUN_A_ICE_CONTROLLED, big, 12);
	stun_put(&b, STUN_A_USERHASH, big, 31);
	stun_put(&b, STUN_A_USERNAME, big, 764);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_int_eq(stun_get_u32(&m, &m.attrs[0], &x), -EBADMSG);
	ck_assert_int_eq(stun_get_u32(&m, &m.attrs[1], &x), -EBADMSG);
	ck_assert_int_eq(stun_get_u64(&m, &m.attrs[2], &y), -EBADMSG);
	ck_assert_int_eq(stun_get_u64(&m, &m.attrs[3], &y), -EBADMSG);
	ck_assert_int_eq(stun_get_bytes(&m, &m.attrs[4], &v, &vl), -EBADMSG);
	ck_assert_int_eq(stun_get_bytes(&m, &m.attrs[5], &v, &vl), -EBADMSG);
	/* An attribute that does not belong to this message */
	struct stun_attr stray = {.type = STUN_A_DATA, .len = 8, .off = (uint16_t)(n - 4)};

	ck_assert_int_eq(stun_get_bytes(&m, &stray, &v, &vl), -EBADMSG);
}
END_TEST

/* ---- helpers ---- */

/* RFC 8489 6.3.1.1, 14.13: the comprehension-required types we do not know, once each */
START_TEST(unknown_required_attributes_are_listed_once)
{
	static const uint16_t known[] = {STUN_A_PRIORITY, STUN_A_USERNAME};
	uint8_t buf[200];
	struct stun_builder b;
	struct stun_msg m;
	uint16_t out[4];
	size_t n;

	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid_a);
	stun_put_u32(&b, STUN_A_PRIORITY, 1);
	stun_put_flag(&b, 0x7ffe);
	stun_put_flag(&b, 0x8050); /* comprehension-optional */
	stun_put_text(&b, STUN_A_USERNAME, "x");
	stun_put_flag(&b, 0x7ffe);
	stun_put_flag(&b, 0x0031);
	stun_put_flag(&b, 0x0032);
	ck_assert_int_eq(stun_finish(&b, &n), 0);
	ck_assert_int_eq(stun_parse(&m, buf, n), 0);
	ck_assert_uint_eq(stun_unknown_required(&m, known, 2, out, 4), 3);
	ck_assert_uint_eq(out[0], 0x7ffe);
	ck_assert_uint_eq(out[1], 0x0031);
	ck_assert_uint_eq(out[2], 0x0032);
	ck_assert_uint_eq(stun_unknown_required(&m, known, 2, out, 1), 1);
	ck_assert_uint_eq(stun_unknown_required(&m, known, 2, out, 0), 0);
	ck_assert_uint_eq(stun_unknown_required(&m, NULL, 0, out, 4), 4);
	ck_assert_uint_eq(out[0], STUN_A_PRIORITY);
}
END_TEST

/* RFC 8489 5, 7; RFC 5770 5.3 */
START_TEST(looks_like_tells_stun_from_other_datagrams)
{
	const char *vec[] = {rfc5769_request, rfc5769_ipv4, rfc5769_ipv6, rfc5769_long_term};
	uint8_t buf[200];
	size_t n;

	for (int i = 0; i < 4; i++) {
		n = unhex(vec[i], buf, sizeof(buf));
		ck_assert_int_eq(stun_looks_like(buf, n), 1);
		ck_assert_int_eq(stun_looks_like(buf, n + 4), 0);
		ck_assert_int_eq(stun_looks_like(buf, n - 4), 0);
	}
	n = unhex(rfc5769_ipv4, buf, sizeof(buf));
	buf[4] ^= 1; /* cookie */
	ck_assert_int_eq(stun_looks_like(buf, n), 0);
	buf[4] ^= 1;
	buf[0] |= 0x80; /* RTP / ChannelData-like first bits */
	ck_assert_int_eq(stun_looks_like(buf, n), 0);
	buf[0] = 0x40;
	ck_assert_int_eq(stun_looks_like(buf, n), 0);
	/* a HIP-over-UDP packet starts with a zero marker (RFC 5770 5.3) */
	memset(buf, 0, 40);
	ck_assert_int_eq(stun_looks_like(buf, 40), 0);
	ck_assert_int_eq(stun_looks_like(NULL, 0), 0);
}
END_TEST

START_TEST(names_and_transaction_ids)
{
	uint8_t a[STUN_TID_LEN], b[STUN_TID_LEN];

	ck_assert_str_eq(stun_method_name(STUN_BINDING), "Binding");
	ck_assert_str_eq(stun_method_name(STUN_CHANNEL_BIND), "ChannelBind");
	ck_assert_str_eq(stun_method_name(0x123), "unknown");
	ck_assert_str_eq(stun_class_name(STUN_REQUEST), "request");
	ck_assert_str_eq(stun_class_name(STUN_ERROR), "error");
	ck_assert_str_eq(stun_class_name(9), "unknown");
	ck_assert_int_eq(stun_new_tid(a), 0);
	ck_assert_int_eq(stun_new_tid(b), 0);
	ck_assert_mem_ne(a, b, STUN_TID_LEN);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stun");
	TCase *vec = tcase_create("vectors");
	TCase *rt = tcase_create("round trips");
	TCase *bad = tcase_create("malformed");
	SRunner *sr;
	int failed;

	tcase_add_test(vec, rfc5769_sample_request_parses_and_verifies);
	tcase_add_test(vec, rfc5769_ipv4_response_gives_192_0_2_1_port_32853);
	tcase_add_test(vec, rfc5769_ipv6_response_gives_its_address_and_port);
	tcase_add_test(vec, rfc5769_long_term_request_verifies_with_the_md5_key);
	tcase_add_test(vec, rebuilding_the_rfc5769_request_gives_its_bytes);
	tcase_add_test(vec, rebuilding_the_rfc5769_responses_gives_their_bytes);
	tcase_add_test(vec, rebuilding_the_rfc5769_long_term_request_gives_its_bytes);
	tcase_add_test(vec, rfc8489_b1_as_printed_has_a_wrong_length_and_is_dropped);
	tcase_add_test(vec, rfc8489_b1_rebuilt_with_the_right_length_verifies);
	suite_add_tcase(s, vec);

	tcase_add_test(rt, message_types_encode_methods_and_classes_as_figure_3);
	tcase_add_test(rt, addresses_round_trip_plain_and_xored);
	tcase_add_test(rt, xor_addresses_are_obfuscated_on_the_wire);
	tcase_add_test(rt, values_of_every_length_are_padded_with_zeros_and_read_back);
	tcase_add_test(rt, nonzero_padding_is_accepted);
	tcase_add_test(rt, numbers_flags_and_text_round_trip);
	tcase_add_test(rt, error_codes_round_trip_with_their_reasons);
	tcase_add_test(rt, integrity_and_fingerprint_combinations_verify);
	tcase_add_test(rt, an_empty_key_works_both_ways);
	tcase_add_test(rt, truncated_message_integrity_sha256_is_accepted_from_16_bytes);
	tcase_add_test(rt, any_changed_byte_breaks_integrity_or_fingerprint);
	tcase_add_test(rt, long_term_keys_are_md5_or_sha256_and_nothing_else);
	tcase_add_test(rt, builder_errors_stick_until_finish);
	tcase_add_test(rt, readers_of_a_missing_attribute_say_enoent);
	tcase_add_test(rt, unknown_required_attributes_are_listed_once);
	tcase_add_test(rt, looks_like_tells_stun_from_other_datagrams);
	tcase_add_test(rt, names_and_transaction_ids);
	suite_add_tcase(s, rt);

	tcase_add_test(bad, truncated_headers_are_rejected_at_every_length);
	tcase_add_test(bad, bad_headers_are_rejected);
	tcase_add_test(bad, attributes_overrunning_the_message_are_rejected);
	tcase_add_test(bad, anything_after_fingerprint_is_rejected);
	tcase_add_test(bad, a_wrong_fingerprint_is_rejected);
	tcase_add_test(bad, attributes_after_message_integrity_are_rejected);
	tcase_add_test(bad, too_many_attributes_are_rejected);
	tcase_add_test(bad, messages_longer_than_the_udp_limit_are_rejected);
	tcase_add_test(bad, bad_address_families_and_lengths_are_rejected);
	tcase_add_test(bad, bad_error_codes_are_rejected);
	tcase_add_test(bad, wrong_value_lengths_are_rejected);
	suite_add_tcase(s, bad);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
