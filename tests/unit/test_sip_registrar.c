/* Unit tests of p2psipd's registrar table (RFC 3261 10.3): what a REGISTER asks (AOR, Contact,
 * Expires rules, wildcard), bindings set, replaced, expired and forgotten. Not the overlay
 * record nor the B2BUA (test_b2bua.c). */
#include <check.h>
#include <string.h>

#include "p2psipd/sip/registrar.h"

static osip_message_t *parse(const char *text)
{
	osip_message_t *m = NULL;
	const char *why = NULL;

	ck_assert_msg(sip_msg_parse((const uint8_t *)text, strlen(text), &m, &why) == 0, "%s",
		      why ? why : "?");
	return m;
}

/* a REGISTER with these extra header lines (each ending in CRLF) */
static osip_message_t *reg(const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "REGISTER sip:example.org SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKreg1\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:Alice@Example.ORG>;tag=1\r\n"
		 "To: \"Alice\" <sip:Alice@Example.ORG;transport=udp>\r\n"
		 "Call-ID: r1\r\nCSeq: 1 REGISTER\r\n%sContent-Length: 0\r\n\r\n",
		 extra);
	return parse(text);
}

static int try_parse(const struct registrar *r, const char *extra, struct reg_request *out)
{
	osip_message_t *m = reg(extra);
	const char *why = NULL;
	int err = reg_parse(r, m, out, &why);

	sip_msg_free(m);
	return err;
}

/* RFC 3261 10.3 step 5: the AOR is the canonical To URI */
START_TEST(the_aor_is_the_canonical_to_uri)
{
	struct registrar r = {0};
	struct reg_request q;

	ck_assert_int_eq(try_parse(&r, "Contact: <sip:alice@127.0.0.1:5070>\r\n", &q), 0);
	ck_assert_str_eq(q.aor, "sip:Alice@example.org");
	ck_assert_str_eq(q.contact, "sip:alice@127.0.0.1:5070");
	ck_assert_uint_eq(q.expires, REG_EXPIRES_DEFAULT);
	ck_assert(!q.query && !q.wildcard);
}
END_TEST

/* 10.3 step 7: the contact's expires parameter over the Expires header, capped */
START_TEST(contact_expires_beats_the_header_and_is_capped)
{
	struct registrar r = {.max_expires = 600};
	struct reg_request q;

	ck_assert_int_eq(
	    try_parse(&r, "Contact: <sip:a@127.0.0.1>;expires=30\r\nExpires: 90\r\n", &q), 0);
	ck_assert_uint_eq(q.expires, 30);
	ck_assert_int_eq(try_parse(&r, "Contact: <sip:a@127.0.0.1>\r\nExpires: 90\r\n", &q), 0);
	ck_assert_uint_eq(q.expires, 90);
	ck_assert_int_eq(
	    try_parse(&r, "Contact: <sip:a@127.0.0.1>\r\nExpires: 99999999999\r\n", &q), 0);
	ck_assert_uint_eq(q.expires, 600);
	ck_assert_int_eq(try_parse(&r, "Contact: <sip:a@127.0.0.1>;expires=0\r\n", &q), 0);
	ck_assert_uint_eq(q.expires, 0);
}
END_TEST

/* 20.19: Expires is delta-seconds; anything else is a 400 */
START_TEST(a_bad_expires_is_refused)
{
	struct registrar r = {0};
	struct reg_request q;

	ck_assert_int_eq(try_parse(&r, "Contact: <sip:a@127.0.0.1>;expires=-1\r\n", &q), -EBADMSG);
	ck_assert_int_eq(try_parse(&r, "Contact: <sip:a@127.0.0.1>\r\nExpires: soon\r\n", &q),
			 -EBADMSG);
}
END_TEST

/* 10.2.4: no Contact is a query */
START_TEST(no_contact_is_a_query)
{
	struct registrar r = {0};
	struct reg_request q;

	ck_assert_int_eq(try_parse(&r, "", &q), 0);
	ck_assert(q.query);
}
END_TEST

/* 10.3 step 6: "*" only alone and with Expires 0 */
START_TEST(a_wildcard_needs_expires_0)
{
	struct registrar r = {0};
	struct reg_request q;

	ck_assert_int_eq(try_parse(&r, "Contact: *\r\nExpires: 0\r\n", &q), 0);
	ck_assert(q.wildcard);
	ck_assert_int_eq(try_parse(&r, "Contact: *\r\nExpires: 60\r\n", &q), -EBADMSG);
}
END_TEST

/* one Contact per AOR, the newest wins; an expired binding stays an hour (480, not 404) */
START_TEST(bindings_are_replaced_expired_and_forgotten)
{
	struct registrar r = {0};
	struct sip_src src = {.proto = SIP_TP_UDP};
	struct reg_binding *b;

	b = reg_set(&r, "sip:a@x", "sip:a@1.2.3.4", &src, 10, 1000);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->state, REG_PENDING);
	b->state = REG_ACTIVE;
	ck_assert_ptr_eq(reg_set(&r, "sip:a@x", "sip:a@5.6.7.8", &src, 20, 2000), b);
	ck_assert_str_eq(b->contact, "sip:a@5.6.7.8");
	ck_assert_uint_eq(r.count, 1);
	reg_expire(&r, 21999, NULL, NULL);
	ck_assert_int_eq(b->state, REG_ACTIVE);
	reg_expire(&r, 22000, NULL, NULL);
	ck_assert_int_eq(reg_find(&r, "sip:a@x")->state, REG_EXPIRED); /* kept: 480, not 404 */
	reg_expire(&r, 22000 + 3600000, NULL, NULL);
	ck_assert_ptr_null(reg_find(&r, "sip:a@x"));
	reg_set(&r, "sip:b@x", "sip:b@1.2.3.4", &src, 10, 0);
	reg_remove(&r, "sip:b@x");
	ck_assert_uint_eq(r.count, 0);
	reg_clear(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sip_registrar");
	TCase *tc = tcase_create("registrar");
	SRunner *sr;
	int failed;

	sip_msg_lib_init();
	tcase_add_test(tc, the_aor_is_the_canonical_to_uri);
	tcase_add_test(tc, contact_expires_beats_the_header_and_is_capped);
	tcase_add_test(tc, a_bad_expires_is_refused);
	tcase_add_test(tc, no_contact_is_a_query);
	tcase_add_test(tc, a_wildcard_needs_expires_0);
	tcase_add_test(tc, bindings_are_replaced_expired_and_forgotten);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
