/* Unit tests of the signed SIP registration record (AOR -> HIT) and the STUN/TURN announcement:
 * sign/verify round trips with ECDSA and RSA identities, hijack attempts, malformed records. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostid.h"
#include "p2psipd/store/aor.h"
#include "p2psipd/store/store.h"

#define NOW 1700000000ull
#define EXP (NOW + 3600)

static struct hostid *alice, *alice_rsa, *mallory;

static void keys_setup(void)
{
	ck_assert_int_eq(hostid_generate(HOSTID_ECDSA_P256, 0, &alice), 0);
	ck_assert_int_eq(hostid_generate(HOSTID_RSA, 2048, &alice_rsa), 0); /* hostid's minimum */
	ck_assert_int_eq(hostid_generate(HOSTID_ECDSA_P256, 0, &mallory), 0);
}

static void keys_teardown(void)
{
	hostid_free(alice);
	hostid_free(alice_rsa);
	hostid_free(mallory);
}

static void round_trip(const struct hostid *id)
{
	uint8_t buf[AOR_RECORD_MAX];
	struct aor_record r;
	size_t len = 0;

	ck_assert_int_eq(aor_sign(id, "sip:alice@overlay", EXP, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(aor_verify(buf, len, NOW, "sip:alice@overlay", &r), 0);
	ck_assert_str_eq(r.aor, "sip:alice@overlay");
	ck_assert_uint_eq(r.aor_len, 17);
	ck_assert_mem_eq(&r.hit, &id->hit, 16);
	ck_assert_uint_eq(r.expires, EXP);
	ck_assert_uint_eq(r.hi_algorithm, id->algorithm);
	ck_assert_uint_eq(r.hi_len, id->hi_len);
	ck_assert_mem_eq(r.hi, id->hi, id->hi_len);
}

/* Issue 6: registration records are signed with the owner's host identity. */
START_TEST(an_ecdsa_p256_signed_record_verifies)
{
	round_trip(alice);
}
END_TEST

START_TEST(an_rsa_signed_record_verifies)
{
	round_trip(alice_rsa);
}
END_TEST

/* Alice's AOR and HIT with the HI of hi_of, signed by signer; aor_verify's verdict on it. */
static int verify_forged(const struct hostid *hi_of, const struct hostid *signer)
{
	uint8_t buf[AOR_RECORD_MAX];
	struct aor_record r = {0};
	size_t len = 0;

	strcpy(r.aor, "sip:alice@overlay");
	r.aor_len = strlen(r.aor);
	r.hit = alice->hit;
	r.expires = EXP;
	r.hi_algorithm = hi_of->algorithm;
	memcpy(r.hi, hi_of->hi, hi_of->hi_len);
	r.hi_len = hi_of->hi_len;
	ck_assert_int_eq(aor_encode(&r, signer, buf, sizeof(buf), &len), 0);
	return aor_verify(buf, len, NOW, NULL, NULL);
}

/* Issue 6: "a lookup verifies ... that the HIT belongs to the signing key" (RFC 7343 ORCHID). */
START_TEST(mallorys_key_with_alices_hit_fails_the_hit_check)
{
	ck_assert_int_eq(verify_forged(mallory, mallory), AOR_ERR_HIT);
}
END_TEST

/* Alice's HI and HIT, but Mallory's signature. */
START_TEST(alices_identity_signed_by_mallory_fails_the_signature_check)
{
	ck_assert_int_eq(verify_forged(alice, mallory), AOR_ERR_SIG);
}
END_TEST

START_TEST(any_tampered_byte_of_the_body_fails_the_signature_or_the_hit_check)
{
	uint8_t buf[AOR_RECORD_MAX];
	size_t len = 0, hi_off;

	ck_assert_int_eq(aor_sign(alice, "sip:alice@overlay", EXP, buf, sizeof(buf), &len), 0);
	/* the AOR text, then the expiry */
	buf[4 + 4] ^= 0x01;
	ck_assert_int_eq(aor_verify(buf, len, NOW, NULL, NULL), AOR_ERR_SIG);
	buf[4 + 4] ^= 0x01;
	buf[4 + 17 + 16 + 7] ^= 0x01;
	ck_assert_int_eq(aor_verify(buf, len, NOW, NULL, NULL), AOR_ERR_SIG);
	buf[4 + 17 + 16 + 7] ^= 0x01;
	/* the HIT */
	buf[4 + 17 + 15] ^= 0x01;
	ck_assert_int_eq(aor_verify(buf, len, NOW, NULL, NULL), AOR_ERR_HIT);
	buf[4 + 17 + 15] ^= 0x01;
	/* the last byte of the signature */
	buf[len - 1] ^= 0x01;
	ck_assert_int_eq(aor_verify(buf, len, NOW, NULL, NULL), AOR_ERR_SIG);
	buf[len - 1] ^= 0x01;
	/* the HI's last byte (a point coordinate): off the curve or another key */
	hi_off = 4 + 17 + 16 + 8 + 4;
	buf[hi_off + alice->hi_len - 1] ^= 0x01;
	ck_assert_int_lt(aor_verify(buf, len, NOW, NULL, NULL), 0);
	buf[hi_off + alice->hi_len - 1] ^= 0x01;
	ck_assert_int_eq(aor_verify(buf, len, NOW, NULL, NULL), 0);
}
END_TEST

START_TEST(an_expired_record_is_refused_after_its_signature_checks)
{
	uint8_t buf[AOR_RECORD_MAX];
	size_t len = 0;

	ck_assert_int_eq(aor_sign(alice, "sip:alice@overlay", EXP, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(aor_verify(buf, len, EXP - 1, NULL, NULL), 0);
	ck_assert_int_eq(aor_verify(buf, len, EXP, NULL, NULL), AOR_ERR_EXPIRED);
}
END_TEST

/* A valid record of Mallory's, replayed as the answer for Alice's AOR. */
START_TEST(a_valid_record_for_another_aor_is_refused_as_the_answer)
{
	uint8_t buf[AOR_RECORD_MAX];
	struct aor_record r;
	size_t len = 0;

	ck_assert_int_eq(aor_sign(mallory, "sip:mallory@overlay", EXP, buf, sizeof(buf), &len), 0);
	memset(&r, 0xff, sizeof(r));
	ck_assert_int_eq(aor_verify(buf, len, NOW, "sip:alice@overlay", &r), AOR_ERR_KEY);
	ck_assert_uint_eq(r.aor_len, 0); /* cleared on failure */
	ck_assert_int_eq(aor_verify(buf, len, NOW, "sip:mallory@overlay", NULL), 0);
}
END_TEST

START_TEST(the_errors_are_distinct_and_named)
{
	const int errs[] = {AOR_ERR_MALFORMED, AOR_ERR_SIG, AOR_ERR_HIT, AOR_ERR_EXPIRED,
			    AOR_ERR_KEY};

	for (size_t i = 0; i < 5; i++)
		for (size_t j = i + 1; j < 5; j++) {
			ck_assert_int_ne(errs[i], errs[j]);
			ck_assert_str_ne(aor_strerror(errs[i]), aor_strerror(errs[j]));
		}
}
END_TEST

START_TEST(every_truncation_and_any_trailing_byte_is_malformed)
{
	uint8_t buf[AOR_RECORD_MAX + 1];
	struct aor_record r;
	size_t len = 0;

	ck_assert_int_eq(aor_sign(alice, "sip:alice@overlay", EXP, buf, sizeof(buf), &len), 0);
	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(aor_verify(buf, n, NOW, NULL, NULL), AOR_ERR_MALFORMED);
	buf[len] = 0;
	ck_assert_int_eq(aor_parse(buf, len + 1, &r), -EBADMSG);
	ck_assert_int_eq(aor_parse(buf, len, &r), 0);
}
END_TEST

static int mutate_and_verify(const uint8_t *rec, size_t len, size_t off, uint8_t v)
{
	uint8_t buf[AOR_RECORD_MAX];

	memcpy(buf, rec, len);
	buf[off] = v;
	return aor_verify(buf, len, NOW, NULL, NULL);
}

START_TEST(bad_version_flags_lengths_and_nul_in_the_aor_are_malformed)
{
	uint8_t rec[AOR_RECORD_MAX];
	size_t len = 0, hi_len_off = 4 + 17 + 16 + 8 + 2;

	ck_assert_int_eq(aor_sign(alice, "sip:alice@overlay", EXP, rec, sizeof(rec), &len), 0);
	ck_assert_int_eq(mutate_and_verify(rec, len, 0, 2), AOR_ERR_MALFORMED);	   /* version */
	ck_assert_int_eq(mutate_and_verify(rec, len, 1, 0x80), AOR_ERR_MALFORMED); /* flags */
	ck_assert_int_eq(mutate_and_verify(rec, len, 3, 0), AOR_ERR_MALFORMED);	   /* aor_len 0 */
	ck_assert_int_eq(mutate_and_verify(rec, len, 3, 200), AOR_ERR_MALFORMED);
	ck_assert_int_eq(mutate_and_verify(rec, len, 2, 1), AOR_ERR_MALFORMED); /* aor_len 273 */
	ck_assert_int_eq(mutate_and_verify(rec, len, 6, 0), AOR_ERR_MALFORMED); /* NUL in AOR */
	ck_assert_int_eq(mutate_and_verify(rec, len, hi_len_off, 0xff), AOR_ERR_MALFORMED);
	ck_assert_int_eq(mutate_and_verify(rec, len, hi_len_off + 1, 0), AOR_ERR_MALFORMED);
	/* an HI algorithm we do not know */
	ck_assert_int_eq(mutate_and_verify(rec, len, hi_len_off - 1, 9), -EOPNOTSUPP);
}
END_TEST

START_TEST(records_with_out_of_range_fields_are_not_encoded)
{
	uint8_t buf[AOR_RECORD_MAX];
	char long_aor[AOR_MAX + 2];
	size_t len;

	memset(long_aor, 'a', sizeof(long_aor) - 1);
	long_aor[AOR_MAX + 1] = '\0';
	ck_assert_int_eq(aor_sign(alice, long_aor, EXP, buf, sizeof(buf), &len), -EINVAL);
	ck_assert_int_eq(aor_sign(alice, "", EXP, buf, sizeof(buf), &len), -EINVAL);
	ck_assert_int_eq(aor_sign(alice, "sip:alice@overlay", EXP, buf, 40, &len), -ENOBUFS);
	long_aor[AOR_MAX] = '\0';
	ck_assert_int_eq(aor_sign(alice, long_aor, EXP, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(aor_verify(buf, len, NOW, long_aor, NULL), 0);
}
END_TEST

START_TEST(the_aor_key_is_the_hash_of_the_aor_text)
{
	struct chord_id a, b;

	ck_assert_int_eq(aor_key("sip:alice@overlay", &a), 0);
	ck_assert_int_eq(store_key_from_string("sip:alice@overlay", 17, &b), 0);
	ck_assert(chord_id_eq(&a, &b));
	ck_assert_int_eq(srvann_key(&a), 0);
	ck_assert_int_eq(store_key_from_string("p2psip:stun-turn", 16, &b), 0);
	ck_assert(chord_id_eq(&a, &b));
}
END_TEST

/* Issue 6: STUN/TURN server discovery through the overlay. */
START_TEST(server_announcements_round_trip_and_reject_bad_fields)
{
	struct srvann a = {
	    .kind = SRVANN_TURN, .ip_version = 4, .ip = {192, 0, 2, 7}, .port = 3478};
	struct srvann b;
	uint8_t buf[SRVANN_MAX + 1];
	size_t len = 0;

	strcpy(a.realm, "overlay.example");
	ck_assert_int_eq(srvann_encode(&a, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, 6 + 4 + 15);
	ck_assert_int_eq(srvann_parse(buf, len, &b), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(srvann_parse(buf, n, &b), -EBADMSG);
	buf[len] = 0;
	ck_assert_int_eq(srvann_parse(buf, len + 1, &b), -EBADMSG);
	buf[1] = 3; /* kind */
	ck_assert_int_eq(srvann_parse(buf, len, &b), -EBADMSG);
	buf[1] = SRVANN_TURN;
	buf[len - 1] = 0; /* NUL in the realm */
	ck_assert_int_eq(srvann_parse(buf, len, &b), -EBADMSG);

	memset(&a, 0, sizeof(a));
	a.kind = SRVANN_STUN;
	a.ip_version = 6;
	a.ip[15] = 1;
	a.port = 3478;
	ck_assert_int_eq(srvann_encode(&a, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, 6 + 16);
	ck_assert_int_eq(srvann_parse(buf, len, &b), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	a.port = 0;
	ck_assert_int_eq(srvann_encode(&a, buf, sizeof(buf), &len), -EINVAL);
	a.port = 1;
	a.ip_version = 5;
	ck_assert_int_eq(srvann_encode(&a, buf, sizeof(buf), &len), -EINVAL);
	a.ip_version = 6;
	ck_assert_int_eq(srvann_encode(&a, buf, 10, &len), -ENOBUFS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("aor");
	TCase *sig = tcase_create("signed"), *fmt = tcase_create("format");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(sig, keys_setup, keys_teardown);
	tcase_add_unchecked_fixture(fmt, keys_setup, keys_teardown);
	tcase_set_timeout(sig, 60);
	tcase_set_timeout(fmt, 60);
	tcase_add_test(sig, an_ecdsa_p256_signed_record_verifies);
	tcase_add_test(sig, an_rsa_signed_record_verifies);
	tcase_add_test(sig, mallorys_key_with_alices_hit_fails_the_hit_check);
	tcase_add_test(sig, alices_identity_signed_by_mallory_fails_the_signature_check);
	tcase_add_test(sig, any_tampered_byte_of_the_body_fails_the_signature_or_the_hit_check);
	tcase_add_test(sig, an_expired_record_is_refused_after_its_signature_checks);
	tcase_add_test(sig, a_valid_record_for_another_aor_is_refused_as_the_answer);
	tcase_add_test(fmt, the_errors_are_distinct_and_named);
	tcase_add_test(fmt, every_truncation_and_any_trailing_byte_is_malformed);
	tcase_add_test(fmt, bad_version_flags_lengths_and_nul_in_the_aor_are_malformed);
	tcase_add_test(fmt, records_with_out_of_range_fields_are_not_encoded);
	tcase_add_test(fmt, the_aor_key_is_the_hash_of_the_aor_text);
	tcase_add_test(fmt, server_announcements_round_trip_and_reject_bad_fields);
	suite_add_tcase(s, sig);
	suite_add_tcase(s, fmt);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
