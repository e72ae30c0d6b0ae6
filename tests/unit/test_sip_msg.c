/* Unit tests of p2psipd's SIP message layer (sip/msg.h over libosip2): round trips, the
 * checks of RFC 3261 7, 8.1.1, 8.2, 18.3, 20 on malformed input, response/ACK/CANCEL
 * building, accessors, AORs, identifiers, stream framing. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/sip/msg.h"

#define SDP                                                                                        \
	"v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"            \
	"m=audio 16000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

/* What baresip sends through its outbound proxy, shortened. */
static const char invite[] = "INVITE sip:bob@p2psip.test SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 127.0.0.1:15060;branch=z9hG4bK8a7f6e;rport\r\n"
			     "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKold\r\n"
			     "Max-Forwards: 70\r\n"
			     "To: <sip:bob@p2psip.test>\r\n"
			     "From: \"Alice\" <sip:alice@p2psip.test>;tag=3b1e5c\r\n"
			     "Call-ID: 4f1c0e2a9d@127.0.0.1\r\n"
			     "CSeq: 17 INVITE\r\n"
			     "Route: <sip:127.0.0.1:5060;lr>\r\n"
			     "Contact: <sip:alice@127.0.0.1:15060;transport=udp>\r\n"
			     "Timestamp: 54\r\n"
			     "Content-Type: application/sdp\r\n"
			     "Content-Length: 114\r\n"
			     "\r\n" SDP;

static osip_message_t *parse_ok(const char *text)
{
	osip_message_t *m = NULL;
	const char *why = NULL;
	int err = sip_msg_parse((const uint8_t *)text, strlen(text), &m, &why);

	ck_assert_msg(err == 0, "parse failed: %d (%s)", err, why ? why : "-");
	return m;
}

/* Parses text, expects -EBADMSG and returns the reason. */
static const char *parse_bad_n(const char *text, size_t len)
{
	osip_message_t *m = (osip_message_t *)1;
	const char *why = NULL;

	ck_assert_int_eq(sip_msg_parse((const uint8_t *)text, len, &m, &why), -EBADMSG);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(why);
	return why;
}

static const char *parse_bad(const char *text)
{
	return parse_bad_n(text, strlen(text));
}

/* invite with one line replaced (or removed when repl is ""). */
static char *edit(const char *base, const char *line, const char *repl)
{
	const char *at = strstr(base, line);
	char *out;

	ck_assert_ptr_nonnull(at);
	out = malloc(strlen(base) + strlen(repl) + 1);
	memcpy(out, base, (size_t)(at - base));
	strcpy(out + (at - base), repl);
	strcat(out, at + strlen(line));
	return out;
}

START_TEST(sdp_length_matches)
{
	ck_assert_uint_eq(strlen(SDP), 114);
}
END_TEST

/* RFC 3261 7: a request and its bytes survive libosip2 both ways. */
START_TEST(an_invite_with_sdp_round_trips_with_every_field)
{
	osip_message_t *m = parse_ok(invite), *again;
	uint8_t *bytes;
	const char *body, *method;
	size_t len, blen;
	uint32_t num;
	char cid[64], sent_by[64];

	ck_assert_int_eq(sip_msg_to_bytes(m, &bytes, &len), 0);
	ck_assert_uint_eq(strlen((char *)bytes), len);
	again = parse_ok((const char *)bytes);
	ck_assert(sip_msg_is_request(again));
	ck_assert_str_eq(sip_msg_method(again), "INVITE");
	ck_assert_int_eq(sip_msg_status(again), 0);
	ck_assert_int_eq(sip_msg_call_id(again, cid, sizeof(cid)), 0);
	ck_assert_str_eq(cid, "4f1c0e2a9d@127.0.0.1");
	ck_assert_int_eq(sip_msg_cseq(again, &num, &method), 0);
	ck_assert_uint_eq(num, 17);
	ck_assert_str_eq(method, "INVITE");
	ck_assert_str_eq(sip_msg_branch(again), "z9hG4bK8a7f6e");
	ck_assert_int_eq(sip_msg_sent_by(again, sent_by, sizeof(sent_by)), 0);
	ck_assert_str_eq(sent_by, "127.0.0.1:15060");
	ck_assert_str_eq(sip_msg_from_tag(again), "3b1e5c");
	ck_assert_ptr_null(sip_msg_to_tag(again));
	ck_assert_str_eq(sip_msg_header(again, "max-forwards"), "70");
	ck_assert_str_eq(sip_msg_request_uri(again)->username, "bob");
	ck_assert_int_eq(sip_msg_body(again, &body, &blen), 0);
	ck_assert_uint_eq(blen, strlen(SDP));
	ck_assert_mem_eq(body, SDP, blen);
	ck_assert_int_eq(osip_list_size(&again->vias), 2);
	free(bytes);
	sip_msg_free(again);
	sip_msg_free(m);
}
END_TEST

/* RFC 3261 7.3.3: compact forms are the same header fields (and count as duplicates). */
START_TEST(compact_header_names_are_understood)
{
	static const char opts[] = "OPTIONS sip:bob@p2psip.test SIP/2.0\r\n"
				   "v: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKc1\r\n"
				   "f: <sip:alice@p2psip.test>;tag=a\r\n"
				   "t: <sip:bob@p2psip.test>\r\n"
				   "i: cid1\r\n"
				   "CSeq: 3 OPTIONS\r\n"
				   "l: 0\r\n\r\n";
	osip_message_t *m = parse_ok(opts);
	char cid[16];

	ck_assert_int_eq(sip_msg_call_id(m, cid, sizeof(cid)), 0);
	ck_assert_str_eq(cid, "cid1");
	ck_assert_str_eq(sip_msg_branch(m), "z9hG4bKc1");
	sip_msg_free(m);
	char *two = edit(opts, "i: cid1\r\n", "i: cid1\r\nCall-ID: cid2\r\n");
	ck_assert_str_eq(parse_bad(two), "two Call-ID");
	free(two);
}
END_TEST

/* RFC 3261 7.3.1: a header field may be folded over lines starting with white space. */
START_TEST(folded_header_fields_are_one_field)
{
	char *f2 = edit(invite, "Max-Forwards: 70\r\n", "Subject: a\r\n  folded\r\n\tsubject\r\n");
	osip_message_t *m = parse_ok(f2);

	ck_assert_ptr_nonnull(strstr(sip_msg_header(m, "Subject"), "folded"));
	sip_msg_free(m);
	free(f2);
}
END_TEST

/* RFC 3261 18.3: a datagram that ends inside the header section or before the end of the
 * body is an error, at every length. */
START_TEST(every_truncation_of_a_message_is_refused)
{
	size_t len = strlen(invite);

	for (size_t n = 0; n < len; n++)
		parse_bad_n(invite, n);
}
END_TEST

START_TEST(a_header_section_without_blank_line_is_truncated)
{
	static const char noblank[] =
	    "OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
	    "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\n"
	    "CSeq: 1 OPTIONS\r\n";

	ck_assert_str_eq(parse_bad(noblank), "truncated header section");
}
END_TEST

/* RFC 3261 8.1.1: To, From, CSeq, Call-ID and Via are mandatory in every request (and
 * responses carry them back, 8.2.6.2). */
START_TEST(each_missing_mandatory_header_is_named)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
	    {"Via: SIP/2.0/UDP 127.0.0.1:15060;branch=z9hG4bK8a7f6e;rport\r\nVia: SIP/2.0/UDP "
	     "10.0.0.1:5060;branch=z9hG4bKold\r\n",
	     "missing Via"},
	    {"From: \"Alice\" <sip:alice@p2psip.test>;tag=3b1e5c\r\n", "missing From"},
	    {"To: <sip:bob@p2psip.test>\r\n", "missing To"},
	    {"Call-ID: 4f1c0e2a9d@127.0.0.1\r\n", "missing Call-ID"},
	    {"CSeq: 17 INVITE\r\n", "missing CSeq"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = edit(invite, cases[i].line, "");

		ck_assert_str_eq(parse_bad(text), cases[i].why);
		free(text);
	}
}
END_TEST

/* RFC 8.1.1 (8.2.2.2 relies on them being single): From, To, Call-ID, CSeq, Content-Length,
 * Max-Forwards and Content-Type appear once. */
START_TEST(duplicated_single_headers_are_refused)
{
	static const struct {
		const char *line, *extra, *why;
	} cases[] = {
	    {"Content-Length: 114\r\n", "Content-Length: 114\r\nContent-Length: 0\r\n",
	     "two Content-Length"},
	    {"Content-Length: 114\r\n", "l: 128\r\nContent-Length: 114\r\n", "two Content-Length"},
	    {"CSeq: 17 INVITE\r\n", "CSeq: 17 INVITE\r\nCSeq: 18 INVITE\r\n", "two CSeq"},
	    {"To: <sip:bob@p2psip.test>\r\n", "To: <sip:bob@p2psip.test>\r\nt: <sip:eve@x>\r\n",
	     "two To"},
	    {"Call-ID: 4f1c0e2a9d@127.0.0.1\r\n", "Call-ID: a\r\ncall-id: b\r\n", "two Call-ID"},
	    {"Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nMax-Forwards: 69\r\n",
	     "two Max-Forwards"},
	    {"Timestamp: 54\r\n", "From: <sip:eve@x>;tag=9\r\n", "two From"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = edit(invite, cases[i].line, cases[i].extra);

		ck_assert_str_eq(parse_bad(text), cases[i].why);
		free(text);
	}
}
END_TEST

/* RFC 3261 18.3: Content-Length beyond the datagram is an error; bytes after the body are
 * discarded; without Content-Length the body runs to the end of the datagram. */
START_TEST(content_length_frames_the_body_of_a_datagram)
{
	char *longer = edit(invite, "Content-Length: 114", "Content-Length: 129");
	char *shorter = edit(invite, "Content-Length: 114", "Content-Length: 10");
	char *none = edit(invite, "Content-Length: 114\r\n", "");
	char *nan = edit(invite, "Content-Length: 114", "Content-Length: 12x");
	char *huge = edit(invite, "Content-Length: 114", "Content-Length: 99999999999999999999");
	osip_message_t *m;
	const char *body;
	size_t blen;

	ck_assert_str_eq(parse_bad(longer), "Content-Length beyond the message");
	ck_assert_str_eq(parse_bad(nan), "bad Content-Length");
	ck_assert_str_eq(parse_bad(huge), "bad Content-Length");
	m = parse_ok(shorter);
	ck_assert_int_eq(sip_msg_body(m, &body, &blen), 0);
	ck_assert_uint_eq(blen, 10);
	sip_msg_free(m);
	m = parse_ok(none);
	ck_assert_int_eq(sip_msg_body(m, &body, &blen), 0);
	ck_assert_uint_eq(blen, strlen(SDP));
	sip_msg_free(m);
	free(longer);
	free(shorter);
	free(none);
	free(nan);
	free(huge);
}
END_TEST

/* RFC 3261 7.4.1: a non-empty body needs a Content-Type. */
START_TEST(a_body_without_content_type_is_refused)
{
	char *text = edit(invite, "Content-Type: application/sdp\r\n", "");

	ck_assert_str_eq(parse_bad(text), "body without Content-Type");
	free(text);
}
END_TEST

/* Our limits: one header field of 8 KiB, 128 fields, 64 KiB in all. */
START_TEST(huge_headers_and_messages_are_refused)
{
	size_t big = SIP_MSG_MAX_LINE + 100;
	char *line = malloc(big + 32), *text, *many;
	size_t n;

	strcpy(line, "Subject: ");
	memset(line + 9, 'a', big);
	strcpy(line + 9 + big, "\r\nTimestamp: 54\r\n");
	text = edit(invite, "Timestamp: 54\r\n", line);
	ck_assert_str_eq(parse_bad(text), "header field too long");
	free(text);

	many = malloc(200 * 16 + 1);
	many[0] = 0;
	for (int i = 0; i < 200; i++)
		sprintf(many + strlen(many), "X-H%03d: v\r\n", i);
	strcat(many, "Timestamp: 54\r\n");
	text = edit(invite, "Timestamp: 54\r\n", many);
	ck_assert_str_eq(parse_bad(text), "too many header fields");
	free(text);
	free(many);

	n = SIP_MSG_MAX + 1;
	text = malloc(n);
	memset(text, 'a', n);
	ck_assert_str_eq(parse_bad_n(text, n), "message too large");
	free(text);
	free(line);
}
END_TEST

/* RFC 3261 8.1.1.5, 20.16: CSeq is a number below 2^31 and the request's method. */
START_TEST(bad_cseq_values_are_refused)
{
	static const char *const values[] = {
	    "CSeq: abc INVITE\r\n", "CSeq: 2147483648 INVITE\r\n", "CSeq: 17 BYE\r\n",
	    "CSeq: 17\r\n",	    "CSeq: -1 INVITE\r\n",	   "CSeq: 99999999999 INVITE\r\n",
	};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char *text = edit(invite, "CSeq: 17 INVITE\r\n", values[i]);
		const char *why = parse_bad(text);

		ck_assert_msg(strstr(why, "CSeq") || strcmp(why, "syntax error") == 0, "%s: %s",
			      values[i], why);
		free(text);
	}
	char *max = edit(invite, "CSeq: 17 INVITE\r\n", "CSeq: 2147483647 INVITE\r\n");
	osip_message_t *m = parse_ok(max);
	uint32_t num;

	ck_assert_int_eq(sip_msg_cseq(m, &num, NULL), 0);
	ck_assert_uint_eq(num, 2147483647u);
	sip_msg_free(m);
	free(max);
}
END_TEST

/* RFC 3261 7.3.1, 25.1: header text is UTF-8 (TEXT-UTF8); no control characters. */
START_TEST(non_utf8_and_control_characters_in_headers_are_refused)
{
	static const struct {
		const char *subject, *why;
	} cases[] = {
	    {"Subject: \xff\r\n", "not UTF-8"},
	    {"Subject: \xc0\xaf\r\n", "not UTF-8"},	    /* overlong '/' */
	    {"Subject: \xed\xa0\x80\r\n", "not UTF-8"},	    /* surrogate */
	    {"Subject: \xf4\x90\x80\x80\r\n", "not UTF-8"}, /* above U+10FFFF */
	    {"Subject: \xe2\x82\r\n", "not UTF-8"},	    /* cut short */
	    {"Subject: a\x01z\r\n", "control character"},
	    {"Subject: a\x7fz\r\n", "control character"},
	    {"Subject: a\rz\r\n", "bare CR"},
	    {"Subject: a\nz\r\n", "bare LF"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[64];
		char *text;

		snprintf(line, sizeof(line), "%sTimestamp: 54\r\n", cases[i].subject);
		text = edit(invite, "Timestamp: 54\r\n", line);
		ck_assert_str_eq(parse_bad(text), cases[i].why);
		free(text);
	}
	char *ok = edit(invite, "\"Alice\"",
			"\"Al\xc3\xaf"
			"ce \xe2\x98\x8e\"");
	sip_msg_free(parse_ok(ok));
	free(ok);
	/* An escaped NUL would cut a URI's user part short inside libosip2. */
	char *nul = edit(invite, "sip:alice@", "sip:alice%00bob@");
	ck_assert_str_eq(parse_bad(nul), "escaped NUL");
	free(nul);
}
END_TEST

/* RFC 3261 25.1: a name-addr's URI has no white space, quotes or angle brackets (libosip2
 * would read it and write back text it cannot read). */
START_TEST(uris_in_angle_brackets_are_checked)
{
	static const struct {
		const char *line, *repl, *why;
	} cases[] = {
	    {"To: <sip:bob@p2psip.test>", "To: <sip:bob @p2psip.test>",
	     "bad URI in angle brackets"},
	    {"To: <sip:bob@p2psip.test>", "To: <sip:\"bob\"@p2psip.test>",
	     "bad URI in angle brackets"},
	    {"Route: <sip:127.0.0.1:5060;lr>", "Route: <sip:<127.0.0.1:5060;lr>",
	     "bad URI in angle brackets"},
	    {"Contact: <sip:alice@127.0.0.1:15060;transport=udp>",
	     "Contact: <sip:alice@127.0.0.1:15060", "unclosed quote or angle bracket"},
	    {"\"Alice\"", "\"Alice", "unclosed quote or angle bracket"},
	    {"Route: <sip:127.0.0.1:5060;lr>", "Route: <sip:127.0.0.1:5060;lr>BE,INFO",
	     "text after a URI in angle brackets"},
	    {"To: <sip:bob@p2psip.test>", "To: sip:bob@p2psip.test x", "white space in a URI"},
	    {"Route: <sip:127.0.0.1:5060;lr>", "Route: <sip:a@b>, UPDATE length: 0",
	     "white space in a URI"},
	    {";tag=3b1e5c", ";tag=3b 1e5c", "white space in a parameter"},
	    {"To: <sip:bob@p2psip.test>", "t: sip:bob@p2psip.test>;x=1", "'>' without '<'"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = edit(invite, cases[i].line, cases[i].repl);

		ck_assert_str_eq(parse_bad(text), cases[i].why);
		free(text);
	}
	/* Quotes may hold anything printable, escaped quotes included; white space may surround
	 * ';' and '=' (RFC 3261 25.1 SEMI, EQUAL); bare URIs and lists are fine. */
	static const char *const good[] = {
	    "To: sip:bob@p2psip.test ; tag = x\r\n",
	    "To: Bob <sip:bob@p2psip.test> ;tag=x\r\n",
	    "To: <sip:bob@p2psip.test>;x=\"a b\";y=[::1]\r\n",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *text = edit(invite, "To: <sip:bob@p2psip.test>\r\n", good[i]);

		sip_msg_free(parse_ok(text));
		free(text);
	}
	char *list = edit(invite, "Route: <sip:127.0.0.1:5060;lr>",
			  "Route: <sip:127.0.0.1:5060;lr> , <sip:p2.test;lr>,<sip:p3>");
	osip_message_t *m = parse_ok(list);
	ck_assert_int_eq(osip_list_size(&m->routes), 3);
	sip_msg_free(m);
	free(list);
	/* Quotes may hold anything printable, escaped quotes included. */
	char *ok = edit(invite, "\"Alice\"", "\"A <\\\"x\\\"> l\"");
	sip_msg_free(parse_ok(ok));
	free(ok);
}
END_TEST

/* libosip2 reads "<sip:bob@p2psip.test;>" (an empty URI parameter) and writes
 * "<sip:bob@p2psip.test>;>", which it refuses: what we accept must survive being written. */
START_TEST(messages_that_libosip2_cannot_write_back_are_refused)
{
	char *text = edit(invite, "To: <sip:bob@p2psip.test>", "To: <sip:bob@p2psip.test;>");

	ck_assert_str_eq(parse_bad(text), "libosip2 cannot read what it writes for it");
	free(text);
}
END_TEST

/* RFC 3261 7.1, 7.2: SIP/2.0 only; status codes 100-699; Max-Forwards 0-255 (20.22). */
START_TEST(bad_start_lines_and_max_forwards_are_refused)
{
	static const char resp[] = "SIP/2.0 99 Odd\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
				   "From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\n"
				   "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	char *v3 = edit(invite, "SIP/2.0\r\n", "SIP/3.0\r\n");
	char *mf = edit(invite, "Max-Forwards: 70", "Max-Forwards: 256");
	char *empty = edit(invite, "INVITE sip:bob@p2psip.test SIP/2.0\r\n", "\r\n");

	ck_assert_str_eq(parse_bad(resp), "bad status code");
	ck_assert_str_eq(parse_bad(v3), "not SIP/2.0");
	ck_assert_str_eq(parse_bad(mf), "bad Max-Forwards");
	ck_assert_str_eq(parse_bad(empty), "empty start line");
	free(v3);
	free(mf);
	free(empty);
}
END_TEST

/* RFC 3261 8.2.6.2: a response copies Via, From, To, Call-ID, CSeq and adds a To tag. */
START_TEST(a_response_copies_the_transaction_headers_and_adds_a_to_tag)
{
	osip_message_t *req = parse_ok(invite), *r, *back;
	const osip_via_t *v0, *v1;
	uint8_t *bytes;
	size_t len;
	char a[64], b[64];

	ck_assert_int_eq(sip_msg_response(req, 180, NULL, "bobtag", &r), 0);
	ck_assert_int_eq(sip_msg_to_bytes(r, &bytes, &len), 0);
	back = parse_ok((const char *)bytes);
	ck_assert_int_eq(sip_msg_status(back), 180);
	ck_assert_str_eq(back->reason_phrase, "Ringing");
	ck_assert_str_eq(sip_msg_to_tag(back), "bobtag");
	ck_assert_str_eq(sip_msg_from_tag(back), "3b1e5c");
	ck_assert_int_eq(osip_list_size(&back->vias), 2);
	v0 = osip_list_get(&back->vias, 0);
	v1 = osip_list_get(&back->vias, 1);
	ck_assert_str_eq(v0->host, "127.0.0.1");
	ck_assert_str_eq(v1->host, "10.0.0.1");
	ck_assert_int_eq(sip_msg_call_id(back, a, sizeof(a)), 0);
	ck_assert_int_eq(sip_msg_call_id(req, b, sizeof(b)), 0);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_null(sip_msg_header(back, "Timestamp"));
	ck_assert_int_eq(osip_list_size(&back->contacts), 0);
	free(bytes);
	sip_msg_free(back);
	sip_msg_free(r);

	/* A random tag when none is given; an existing tag stays. */
	ck_assert_int_eq(sip_msg_response(req, 486, "Busy Here", NULL, &r), 0);
	ck_assert_uint_eq(strlen(sip_msg_to_tag(r)), SIP_TAG_SIZE - 1);
	ck_assert_str_eq(r->reason_phrase, "Busy Here");
	ck_assert_int_eq(sip_msg_response(r, 200, NULL, NULL, &back), -EINVAL);
	sip_msg_free(r);
	sip_msg_free(req);
}
END_TEST

/* RFC 3261 17.2.1: 100 Trying gets no To tag; 8.2.6.1: it copies Timestamp. */
START_TEST(a_100_trying_has_no_to_tag_and_copies_timestamp)
{
	osip_message_t *req = parse_ok(invite), *r;

	ck_assert_int_eq(sip_msg_response(req, 100, NULL, "ignored", &r), 0);
	ck_assert_ptr_null(sip_msg_to_tag(r));
	ck_assert_str_eq(sip_msg_header(r, "Timestamp"), "54");
	ck_assert_str_eq(r->reason_phrase, "Trying");
	sip_msg_free(r);
	ck_assert_int_eq(sip_msg_response(req, 99, NULL, NULL, &r), -EINVAL);
	ck_assert_int_eq(sip_msg_response(req, 700, NULL, NULL, &r), -EINVAL);
	sip_msg_free(req);
}
END_TEST

/* RFC 3261 17.1.1.3, with the section's own example. */
START_TEST(the_ack_for_a_non_2xx_is_built_as_in_17_1_1_3)
{
	static const char inv[] = "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKkjshdyff\r\n"
				  "To: Bob <sip:bob@biloxi.com>\r\n"
				  "From: Alice <sip:alice@atlanta.com>;tag=88sja8x\r\n"
				  "Max-Forwards: 70\r\n"
				  "Route: <sip:proxy.atlanta.com;lr>\r\n"
				  "Call-ID: 987asjd97y7atg\r\n"
				  "CSeq: 986759 INVITE\r\n\r\n";
	static const char busy[] = "SIP/2.0 486 Busy Here\r\n"
				   "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKkjshdyff\r\n"
				   "To: Bob <sip:bob@biloxi.com>;tag=99sa0xk\r\n"
				   "From: Alice <sip:alice@atlanta.com>;tag=88sja8x\r\n"
				   "Call-ID: 987asjd97y7atg\r\n"
				   "CSeq: 986759 INVITE\r\n\r\n";
	osip_message_t *req = parse_ok(inv), *resp = parse_ok(busy), *ack, *back, *none;
	uint8_t *bytes;
	size_t len;
	uint32_t num;
	const char *method;
	char cid[32];

	ck_assert_int_eq(sip_msg_ack(req, resp, &ack), 0);
	ck_assert_int_eq(sip_msg_to_bytes(ack, &bytes, &len), 0);
	back = parse_ok((const char *)bytes);
	ck_assert_str_eq(sip_msg_method(back), "ACK");
	ck_assert_str_eq(sip_msg_request_uri(back)->host, "biloxi.com");
	ck_assert_int_eq(osip_list_size(&back->vias), 1);
	ck_assert_str_eq(sip_msg_branch(back), "z9hG4bKkjshdyff");
	ck_assert_str_eq(sip_msg_to_tag(back), "99sa0xk");
	ck_assert_str_eq(sip_msg_from_tag(back), "88sja8x");
	ck_assert_int_eq(sip_msg_cseq(back, &num, &method), 0);
	ck_assert_uint_eq(num, 986759);
	ck_assert_str_eq(method, "ACK");
	ck_assert_int_eq(sip_msg_call_id(back, cid, sizeof(cid)), 0);
	ck_assert_str_eq(cid, "987asjd97y7atg");
	ck_assert_int_eq(osip_list_size(&back->routes), 1);
	ck_assert_str_eq(sip_msg_header(back, "Max-Forwards"), "70");
	ck_assert_int_eq(sip_msg_ack(resp, resp, &none), -EINVAL);
	free(bytes);
	sip_msg_free(back);
	sip_msg_free(ack);
	sip_msg_free(resp);
	sip_msg_free(req);
}
END_TEST

/* RFC 3261 9.1: CANCEL has the request's Request-URI, Call-ID, To, From, CSeq number, Route
 * and only its top Via. */
START_TEST(a_cancel_matches_its_request_as_in_9_1)
{
	osip_message_t *req = parse_ok(invite), *c, *cc;
	uint32_t num;
	const char *method;

	ck_assert_int_eq(sip_msg_cancel(req, &c), 0);
	ck_assert_str_eq(sip_msg_method(c), "CANCEL");
	ck_assert_int_eq(osip_list_size(&c->vias), 1);
	ck_assert_str_eq(sip_msg_branch(c), "z9hG4bK8a7f6e");
	ck_assert_ptr_null(sip_msg_to_tag(c));
	ck_assert_int_eq(sip_msg_cseq(c, &num, &method), 0);
	ck_assert_uint_eq(num, 17);
	ck_assert_str_eq(method, "CANCEL");
	ck_assert_int_eq(osip_list_size(&c->routes), 1);
	ck_assert_int_eq(sip_msg_body(c, &method, &(size_t){0}), -ENOENT);
	ck_assert_int_eq(sip_msg_cancel(c, &cc), -EINVAL);
	sip_msg_free(c);
	sip_msg_free(req);
}
END_TEST

/* RFC 3261 16.3 step 3, 16.6 step 3. */
START_TEST(max_forwards_is_decremented_added_or_exhausted)
{
	osip_message_t *m = parse_ok(invite);
	char *none = edit(invite, "Max-Forwards: 70\r\n", "");
	char *zero = edit(invite, "Max-Forwards: 70", "Max-Forwards: 0");

	ck_assert_int_eq(sip_msg_decrement_max_forwards(m), 0);
	ck_assert_str_eq(sip_msg_header(m, "Max-Forwards"), "69");
	sip_msg_free(m);
	m = parse_ok(none);
	ck_assert_int_eq(sip_msg_decrement_max_forwards(m), 0);
	ck_assert_str_eq(sip_msg_header(m, "Max-Forwards"), "70");
	sip_msg_free(m);
	m = parse_ok(zero);
	ck_assert_int_eq(sip_msg_decrement_max_forwards(m), -ELOOP);
	sip_msg_free(m);
	free(none);
	free(zero);
}
END_TEST

/* RFC 3261 10.3 step 5: parameters removed, escapes undone; 19.1.4: host and scheme are
 * case-insensitive, the user is not. */
START_TEST(aors_are_canonical)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"sip:alice@p2psip.test", "sip:alice@p2psip.test"},
	    {"SIP:Alice@P2PSIP.Test;transport=udp?subject=x", "sip:Alice@p2psip.test"},
	    {"sip:%61lice@p2psip.test", "sip:alice@p2psip.test"},
	    {"sip:bob:secret@h.example", "sip:bob@h.example"},
	    {"sips:carol@[2001:db8::1]:5071", "sips:carol@[2001:db8::1]:5071"},
	    {"sip:example.com", "sip:example.com"},
	};
	static const char *const bad[] = {"tel:+123",	"sip:%00@x", "sip:a%0d%0a@x",
					  "mailto:a@b", "sip:",	     "sip:a@b\r\nX: y"};
	char buf[64];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(sip_aor_from_text(ok[i].in, buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sip_aor_from_text(bad[i], buf, sizeof(buf)) == -EINVAL, "%s", bad[i]);
	ck_assert_int_eq(sip_aor_from_text("sip:alice@p2psip.test", buf, 10), -ENOSPC);
}
END_TEST

/* RFC 3261 19.3 (tags), 8.1.1.7 (branch cookie), 8.1.1.4 (Call-ID): random and distinct. */
START_TEST(tags_branches_and_call_ids_are_random)
{
	char a[SIP_BRANCH_SIZE], b[SIP_BRANCH_SIZE], c[SIP_CALL_ID_SIZE + 16];

	ck_assert_int_eq(sip_new_tag(a, SIP_TAG_SIZE), 0);
	ck_assert_int_eq(sip_new_tag(b, SIP_TAG_SIZE), 0);
	ck_assert_uint_eq(strlen(a), 16);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 16);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(sip_new_tag(a, SIP_TAG_SIZE - 1), -ENOSPC);
	ck_assert_int_eq(sip_new_branch(a, sizeof(a)), 0);
	ck_assert_int_eq(strncmp(a, SIP_BRANCH_COOKIE, 7), 0);
	ck_assert_uint_eq(strlen(a), SIP_BRANCH_SIZE - 1);
	ck_assert_int_eq(sip_new_call_id(c, sizeof(c), "host"), 0);
	ck_assert_uint_eq(strlen(c), 32 + 5);
	ck_assert_str_eq(c + 32, "@host");
}
END_TEST

/* libosip2 pads the number ("Content-Length:     5"), which RFC 3261 7.3.1 allows. */
static int content_length_of(const uint8_t *bytes)
{
	const char *at = strstr((const char *)bytes, "Content-Length:");
	int n = -1;

	ck_assert_ptr_nonnull(at);
	ck_assert_int_eq(sscanf(at + 15, " %d", &n), 1);
	return n;
}

START_TEST(set_body_replaces_body_and_content_type)
{
	osip_message_t *m = parse_ok(invite), *back;
	uint8_t *bytes;
	const char *body;
	size_t len, blen;

	ck_assert_int_eq(sip_msg_set_body(m, "text/plain", "hello", 5), 0);
	ck_assert_int_eq(sip_msg_to_bytes(m, &bytes, &len), 0);
	ck_assert_int_eq(content_length_of(bytes), 5);
	back = parse_ok((const char *)bytes);
	ck_assert_int_eq(sip_msg_body(back, &body, &blen), 0);
	ck_assert_uint_eq(blen, 5);
	ck_assert_str_eq(back->content_type->subtype, "plain");
	free(bytes);
	sip_msg_free(back);
	ck_assert_int_eq(sip_msg_set_body(m, NULL, NULL, 0), 0);
	ck_assert_int_eq(sip_msg_to_bytes(m, &bytes, &len), 0);
	ck_assert_int_eq(content_length_of(bytes), 0);
	ck_assert_ptr_null(strstr((char *)bytes, "Content-Type"));
	free(bytes);
	sip_msg_free(m);
}
END_TEST

/* RFC 3261 7.5, 18.3: Content-Length finds the end of each message in a stream. */
START_TEST(stream_framing_finds_each_message)
{
	size_t one = strlen(invite), n;
	char *two = malloc(2 * one + 1);

	strcpy(two, invite);
	strcat(two, invite);
	ck_assert_int_eq(sip_msg_frame((uint8_t *)two, 2 * one, SIP_MSG_MAX, &n), 0);
	ck_assert_uint_eq(n, one);
	ck_assert_int_eq(sip_msg_frame((uint8_t *)two + one, one, SIP_MSG_MAX, &n), 0);
	ck_assert_uint_eq(n, one);
	for (size_t k = 0; k < one; k++)
		ck_assert_int_eq(sip_msg_frame((uint8_t *)two, k, SIP_MSG_MAX, &n), -EAGAIN);
	ck_assert_int_eq(sip_msg_frame((uint8_t *)two, one, one - 1, &n), -EMSGSIZE);
	ck_assert_int_eq(sip_msg_frame((uint8_t *)two, 100, 50, &n), -EMSGSIZE);
	free(two);

	char *dup = edit(invite, "Content-Length: 114\r\n", "l: 1\r\nContent-Length: 114\r\n");
	ck_assert_int_eq(sip_msg_frame((uint8_t *)dup, strlen(dup), SIP_MSG_MAX, &n), -EBADMSG);
	free(dup);
	/* Without Content-Length the message ends at the blank line. */
	char *none = edit(invite, "Content-Length: 114\r\n", "");
	ck_assert_int_eq(sip_msg_frame((uint8_t *)none, strlen(none), SIP_MSG_MAX, &n), 0);
	ck_assert_uint_eq(n, strlen(none) - strlen(SDP));
	free(none);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sip_msg");
	TCase *tc = tcase_create("sip_msg");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, sdp_length_matches);
	tcase_add_test(tc, an_invite_with_sdp_round_trips_with_every_field);
	tcase_add_test(tc, compact_header_names_are_understood);
	tcase_add_test(tc, folded_header_fields_are_one_field);
	tcase_add_test(tc, every_truncation_of_a_message_is_refused);
	tcase_add_test(tc, a_header_section_without_blank_line_is_truncated);
	tcase_add_test(tc, each_missing_mandatory_header_is_named);
	tcase_add_test(tc, duplicated_single_headers_are_refused);
	tcase_add_test(tc, content_length_frames_the_body_of_a_datagram);
	tcase_add_test(tc, a_body_without_content_type_is_refused);
	tcase_add_test(tc, huge_headers_and_messages_are_refused);
	tcase_add_test(tc, bad_cseq_values_are_refused);
	tcase_add_test(tc, non_utf8_and_control_characters_in_headers_are_refused);
	tcase_add_test(tc, uris_in_angle_brackets_are_checked);
	tcase_add_test(tc, messages_that_libosip2_cannot_write_back_are_refused);
	tcase_add_test(tc, bad_start_lines_and_max_forwards_are_refused);
	tcase_add_test(tc, a_response_copies_the_transaction_headers_and_adds_a_to_tag);
	tcase_add_test(tc, a_100_trying_has_no_to_tag_and_copies_timestamp);
	tcase_add_test(tc, the_ack_for_a_non_2xx_is_built_as_in_17_1_1_3);
	tcase_add_test(tc, a_cancel_matches_its_request_as_in_9_1);
	tcase_add_test(tc, max_forwards_is_decremented_added_or_exhausted);
	tcase_add_test(tc, aors_are_canonical);
	tcase_add_test(tc, tags_branches_and_call_ids_are_random);
	tcase_add_test(tc, set_body_replaces_body_and_content_type);
	tcase_add_test(tc, stream_framing_finds_each_message);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
