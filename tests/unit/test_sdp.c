/* Unit tests of p2psipd/sip/sdp (RFC 8866, RFC 8839 ICE attributes): baresip's offer read,
 * round-tripped and rewritten, ICE attributes added/read/stripped, malformed and oversized
 * descriptions. Not the relay (test_media_relay) nor SIP messages. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice/sock.h"
#include "p2psipd/sip/sdp.h"

/* An offer as baresip 1.0 sends it (PCMU and telephone-events, a=rtcp, ptime 20). */
static const char baresip_offer[] = "v=0\r\n"
				    "o=- 2040305417 1436512567 IN IP4 127.0.0.1\r\n"
				    "s=-\r\n"
				    "c=IN IP4 127.0.0.1\r\n"
				    "t=0 0\r\n"
				    "m=audio 16000 RTP/AVP 0 101\r\n"
				    "b=AS:64\r\n"
				    "a=rtpmap:0 PCMU/8000\r\n"
				    "a=rtpmap:101 telephone-event/8000\r\n"
				    "a=fmtp:101 0-15\r\n"
				    "a=rtcp:16001\r\n"
				    "a=sendrecv\r\n"
				    "a=label:1\r\n"
				    "a=ssrc:3437451811 cname:b4cbc5e0b1f0b2d4\r\n"
				    "a=ptime:20\r\n";

#define HEAD "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"

static struct sockaddr_storage sa(const char *s)
{
	struct sockaddr_storage ss;

	ck_assert_msg(ice_sa_parse(s, &ss) == 0, "bad test address %s", s);
	return ss;
}

static const struct sockaddr *SA(const char *s)
{
	static struct sockaddr_storage ring[16];
	static unsigned next;
	struct sockaddr_storage *ss = &ring[next++ % 16];

	*ss = sa(s);
	return (const struct sockaddr *)ss;
}

static struct sdp *parse_ok(const char *text)
{
	struct sdp *s = NULL;

	ck_assert_int_eq(sdp_parse(text, strlen(text), &s), 0);
	ck_assert_ptr_nonnull(s);
	return s;
}

static int parse_err(const char *text)
{
	struct sdp *s = (struct sdp *)1;
	int rc = sdp_parse(text, strlen(text), &s);

	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_null(s);
	return rc;
}

static int audio_err(const char *text)
{
	struct sdp *s = parse_ok(text);
	struct sdp_audio a;
	int rc = sdp_audio_get(s, &a);

	sdp_free(s);
	return rc;
}

static char out[65536 * 2];

static const char *text_of(const struct sdp *s)
{
	ck_assert_int_gt(sdp_serialize(s, out, sizeof(out)), 0);
	return out;
}

static void sa_eq(const struct sockaddr_storage *a, const char *want)
{
	char buf[64];

	ck_assert_str_eq(ice_sa_str((const struct sockaddr *)a, buf, sizeof(buf)), want);
}

/* RFC 8866 5.7, 5.14; RFC 3605: the stream's address, ports and payload types */
START_TEST(baresip_offer_gives_address_ports_and_payload_types)
{
	struct sdp *s = parse_ok(baresip_offer);
	struct sdp_audio a;

	ck_assert_int_eq(sdp_audio_get(s, &a), 0);
	ck_assert_uint_eq(a.index, 0);
	ck_assert(!a.disabled);
	ck_assert(a.rtcp_attr);
	sa_eq(&a.rtp, "127.0.0.1:16000");
	sa_eq(&a.rtcp, "127.0.0.1:16001");
	ck_assert_str_eq(a.proto, "RTP/AVP");
	ck_assert_uint_eq(a.n_payloads, 2);
	ck_assert_uint_eq(a.payloads[0], 0);
	ck_assert_uint_eq(a.payloads[1], 101);
	sdp_free(s);
}
END_TEST

/* libosip2 writes back what it read, line for line */
START_TEST(baresip_offer_serializes_back_byte_for_byte)
{
	struct sdp *s = parse_ok(baresip_offer);

	ck_assert_int_eq(sdp_serialize(s, out, sizeof(out)), (int)strlen(baresip_offer));
	ck_assert_str_eq(out, baresip_offer);
	sdp_free(s);
}
END_TEST

/* RFC 8866 5: parsers SHOULD accept lines ended by a newline alone; a missing end of the
 * last line is tolerated */
START_TEST(lf_line_ends_and_a_missing_last_line_end_are_accepted)
{
	const char *lf = "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n"
			 "m=audio 4000 RTP/AVP 0\na=sendrecv";
	struct sdp *s = parse_ok(lf);
	struct sdp_audio a;

	ck_assert_int_eq(sdp_audio_get(s, &a), 0);
	sa_eq(&a.rtp, "127.0.0.1:4000");
	ck_assert(strstr(text_of(s), "a=sendrecv\r\n"));
	sdp_free(s);
	sdp_free(parse_ok(HEAD "t=0 0\r\n\r\n\n")); /* blank lines at the end */
}
END_TEST

/* RFC 3550 11: without a=rtcp, RTCP is on the next (odd) port */
START_TEST(rtcp_defaults_to_the_next_port)
{
	struct sdp *s = parse_ok("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
				 "t=0 0\r\nm=audio 5004 RTP/AVP 8\r\n");
	struct sdp_audio a;

	ck_assert_int_eq(sdp_audio_get(s, &a), 0);
	ck_assert(!a.rtcp_attr);
	sa_eq(&a.rtcp, "10.0.0.1:5005");
	sdp_free(s);
}
END_TEST

/* RFC 3605 2.1: a=rtcp may name its own address */
START_TEST(rtcp_attribute_with_an_address_is_read)
{
	struct sdp *s =
	    parse_ok("v=0\r\no=- 1 2 IN IP6 ::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\n"
		     "t=0 0\r\nm=audio 5004 RTP/AVP 8\r\na=rtcp:6001 IN IP4 10.1.1.1\r\n");
	struct sdp_audio a;

	ck_assert_int_eq(sdp_audio_get(s, &a), 0);
	sa_eq(&a.rtp, "[2001:db8::1]:5004");
	sa_eq(&a.rtcp, "10.1.1.1:6001");
	sdp_free(s);
}
END_TEST

/* RFC 8866 5.7: a stream's own c= overrides the session's */
START_TEST(media_level_connection_overrides_session_level)
{
	struct sdp *s = parse_ok("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
				 "t=0 0\r\nm=video 7000 RTP/AVP 96\r\n"
				 "m=audio 5004 RTP/AVP 0\r\nc=IN IP4 10.0.0.2\r\n");
	struct sdp_audio a;

	ck_assert_int_eq(sdp_audio_get(s, &a), 0);
	ck_assert_uint_eq(a.index, 1);
	sa_eq(&a.rtp, "10.0.0.2:5004");
	sdp_free(s);
}
END_TEST

/* RFC 3264 8.2: port 0 marks a disabled stream */
START_TEST(port_zero_is_a_disabled_stream)
{
	struct sdp *s = parse_ok("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
				 "t=0 0\r\nm=audio 0 RTP/AVP 0\r\n");
	struct sdp_audio a;

	ck_assert_int_eq(sdp_audio_get(s, &a), 0);
	ck_assert(a.disabled);
	sdp_free(s);
}
END_TEST

static enum sdp_direction direction_of(const char *sess_attr, const char *media_attr)
{
	char text[512];
	enum sdp_direction d;
	struct sdp *s;

	snprintf(text, sizeof(text),
		 "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n%s"
		 "m=audio 4000 RTP/AVP 0\r\n%s",
		 sess_attr, media_attr);
	s = parse_ok(text);
	ck_assert_int_eq(sdp_audio_direction(s, &d), 0);
	sdp_free(s);
	return d;
}

/* RFC 3264 5.1 and RFC 8866 6.7: sendrecv by default, the stream's attribute before the
 * session's */
START_TEST(direction_is_the_streams_else_the_sessions_else_sendrecv)
{
	struct sdp *s;
	enum sdp_direction d;

	ck_assert_int_eq(direction_of("", ""), SDP_SENDRECV);
	ck_assert_int_eq(direction_of("", "a=inactive\r\n"), SDP_INACTIVE);
	ck_assert_int_eq(direction_of("a=sendonly\r\n", ""), SDP_SENDONLY);
	ck_assert_int_eq(direction_of("a=inactive\r\n", "a=recvonly\r\n"), SDP_RECVONLY);
	ck_assert_int_eq(direction_of("a=inactive\r\n", "a=sendrecv\r\n"), SDP_SENDRECV);
	s = parse_ok("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\n"
		     "a=inactive\r\n");
	ck_assert_int_eq(sdp_audio_direction(s, &d), -ENOENT);
	sdp_free(s);
}
END_TEST

/* The relay's address replaces c= and the m= port, a=rtcp follows; the rest stays */
START_TEST(rewrite_points_the_stream_at_the_relay_and_keeps_the_rest)
{
	static const char want[] = "v=0\r\n"
				   "o=- 2040305417 1436512567 IN IP4 127.0.0.1\r\n"
				   "s=-\r\n"
				   "c=IN IP6 2001:20::1\r\n"
				   "t=0 0\r\n"
				   "m=audio 20002 RTP/AVP 0 101\r\n"
				   "b=AS:64\r\n"
				   "a=rtpmap:0 PCMU/8000\r\n"
				   "a=rtpmap:101 telephone-event/8000\r\n"
				   "a=fmtp:101 0-15\r\n"
				   "a=rtcp:20003\r\n"
				   "a=sendrecv\r\n"
				   "a=label:1\r\n"
				   "a=ssrc:3437451811 cname:b4cbc5e0b1f0b2d4\r\n"
				   "a=ptime:20\r\n";
	struct sdp *s = parse_ok(baresip_offer);
	struct sdp_audio a;

	ck_assert_int_eq(sdp_audio_set(s, SA("[2001:20::1]:20002"), SA("[2001:20::1]:20003")), 0);
	ck_assert_str_eq(text_of(s), want);
	sdp_free(s);
	s = parse_ok(want);
	ck_assert_int_eq(sdp_audio_get(s, &a), 0);
	sa_eq(&a.rtp, "[2001:20::1]:20002");
	sa_eq(&a.rtcp, "[2001:20::1]:20003");
	sdp_free(s);
}
END_TEST

/* RFC 8866 5.14, RFC 8839 4.2.2: a=rtcp only when the ports or addresses call for it */
START_TEST(rtcp_attribute_is_added_only_when_needed)
{
	static const char plain[] = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"
				    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
	struct sdp *s = parse_ok(plain);

	ck_assert_int_eq(sdp_audio_set(s, SA("127.0.0.1:20000"), SA("127.0.0.1:20001")), 0);
	ck_assert_ptr_null(strstr(text_of(s), "a=rtcp"));
	ck_assert_int_eq(sdp_audio_set(s, SA("127.0.0.1:20000"), SA("127.0.0.1:20011")), 0);
	ck_assert_ptr_nonnull(strstr(text_of(s), "a=rtcp:20011\r\n"));
	ck_assert_int_eq(sdp_audio_set(s, SA("127.0.0.1:20000"), SA("10.0.0.9:20001")), 0);
	ck_assert_ptr_nonnull(strstr(text_of(s), "a=rtcp:20001 IN IP4 10.0.0.9\r\n"));
	ck_assert_ptr_null(strstr(strstr(out, "a=rtcp") + 1, "a=rtcp")); /* one, rewritten */
	sdp_free(s);
}
END_TEST

/* Every c= the stream uses changes: its own and the session's */
START_TEST(rewrite_changes_media_and_session_connections)
{
	struct sdp *s = parse_ok("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
				 "t=0 0\r\nm=audio 5004 RTP/AVP 0\r\nc=IN IP4 10.0.0.2\r\n");
	const char *t;

	ck_assert_int_eq(sdp_audio_set(s, SA("127.0.0.1:20000"), SA("127.0.0.1:20001")), 0);
	t = text_of(s);
	ck_assert_ptr_null(strstr(t, "10.0.0."));
	ck_assert_ptr_nonnull(strstr(t, "s=-\r\nc=IN IP4 127.0.0.1\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "m=audio 20000 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n"));
	sdp_free(s);
}
END_TEST

START_TEST(rewrite_refuses_bad_addresses)
{
	struct sdp *s = parse_ok(baresip_offer);
	struct sockaddr_storage none = {0}, port0 = sa("127.0.0.1:1");

	((struct sockaddr_in *)&port0)->sin_port = 0;
	ck_assert_int_eq(sdp_audio_set(s, (struct sockaddr *)&port0, SA("127.0.0.1:1")), -EINVAL);
	ck_assert_int_eq(sdp_audio_set(s, (struct sockaddr *)&none, SA("127.0.0.1:1")), -EINVAL);
	ck_assert_str_eq(text_of(s), baresip_offer);
	sdp_free(s);
}
END_TEST

/* RFC 3264 6: streams we do not relay are declined with port 0 */
START_TEST(other_media_are_disabled)
{
	struct sdp *s = parse_ok("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
				 "t=0 0\r\nm=video 7000 RTP/AVP 96\r\nm=audio 5004 RTP/AVP 0\r\n"
				 "m=text 7002 RTP/AVP 98\r\n");
	const char *t;

	ck_assert_int_eq(sdp_disable_other_media(s), 0);
	t = text_of(s);
	ck_assert_ptr_nonnull(strstr(t, "m=video 0 RTP/AVP 96\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "m=audio 5004 RTP/AVP 0\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "m=text 0 RTP/AVP 98\r\n"));
	sdp_free(s);
}
END_TEST

/* RFC 3264 8: a changed offer keeps o= but for a version one higher */
START_TEST(origin_version_goes_up_by_one)
{
	struct sdp *s = parse_ok(baresip_offer);

	ck_assert_int_eq(sdp_origin_bump(s), 0);
	ck_assert_ptr_nonnull(strstr(text_of(s), "o=- 2040305417 1436512568 IN IP4 127.0.0.1\r\n"));
	sdp_free(s);
	s = parse_ok("v=0\r\no=- 1 999 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
	ck_assert_int_eq(sdp_origin_bump(s), 0);
	ck_assert_ptr_nonnull(strstr(text_of(s), "o=- 1 1000 IN IP4"));
	sdp_free(s);
	s = parse_ok("v=0\r\no=- 1 18446744073709551615 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
	ck_assert_int_eq(sdp_origin_bump(s), 0);
	ck_assert_ptr_nonnull(strstr(text_of(s), "o=- 1 18446744073709551616 IN IP4"));
	sdp_free(s);
	s = parse_ok("v=0\r\no=- 1 x7 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
	ck_assert_int_eq(sdp_origin_bump(s), -EBADMSG);
	sdp_free(s);
}
END_TEST

/* RFC 8866 5.14: no m=audio, nothing to relay */
START_TEST(description_without_media_has_no_audio_stream)
{
	ck_assert_int_eq(audio_err("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 1.1.1.1\r\n"
				   "t=0 0\r\n"),
			 -ENOENT);
	ck_assert_int_eq(audio_err("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 1.1.1.1\r\n"
				   "t=0 0\r\nm=video 4000 RTP/AVP 96\r\n"),
			 -ENOENT);
}
END_TEST

/* RFC 8866 5.14 <port>, <fmt>; 5.7; RFC 3605 */
START_TEST(malformed_fields_of_the_stream_are_refused)
{
	static const char *const bad[] = {
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 99999 RTP/AVP 0\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4x00 RTP/AVP 0\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio -1 RTP/AVP 0\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 123456789012345678901234 RTP/AVP 0\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 128\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP PCMU\r\n",
	    HEAD "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", /* no c= anywhere */
	    HEAD "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 1.1.1.2\r\n",
	    HEAD "c=IN IP4 1.2.3.999\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
	    HEAD "c=IN IP4 2001:db8::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
	    HEAD "c=IN IP4 a_b!\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:0\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:abc\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:4001 IN IP4\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:4001\r\n"
		 "a=rtcp:4003\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp\r\n",
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 65535 RTP/AVP 0\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(audio_err(bad[i]) == -EBADMSG, "case %zu: %d", i, audio_err(bad[i]));
}
END_TEST

/* Well-formed, but nothing the relay can carry */
START_TEST(unrelayable_streams_say_why)
{
	ck_assert_int_eq(audio_err(HEAD "c=IN IP4 233.252.0.1/127\r\nt=0 0\r\n"
					"m=audio 4000 RTP/AVP 0\r\n"),
			 -EOPNOTSUPP);
	ck_assert_int_eq(audio_err(HEAD "c=IN IP6 ff0e::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"),
			 -EOPNOTSUPP);
	ck_assert_int_eq(audio_err(HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\n"
					"m=audio 4000/2 RTP/AVP 0\r\n"),
			 -EOPNOTSUPP);
	ck_assert_int_eq(audio_err(HEAD "c=ATM NSAP 1234\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"),
			 -EOPNOTSUPP);
	ck_assert_int_eq(audio_err(HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\n"
					"m=audio 4000 TCP/RTP/AVP 0\r\n"),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(audio_err(HEAD "c=IN IP4 host.example.com\r\nt=0 0\r\n"
					"m=audio 4000 RTP/AVP 0\r\n"),
			 -EAFNOSUPPORT);
}
END_TEST

/* RFC 8866 5.7: "MUST NOT be specified at session level" twice; 5.1 version 0; 9 grammar */
START_TEST(malformed_descriptions_do_not_parse)
{
	ck_assert_int_eq(parse_err(HEAD "c=IN IP4 1.1.1.1\r\nc=IN IP4 1.1.1.2\r\nt=0 0\r\n"
					"m=audio 4000 RTP/AVP 0\r\n"),
			 -EBADMSG);
	ck_assert_int_eq(parse_err("v=1\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"),
			 -EBADMSG);
	ck_assert_int_eq(parse_err("o=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"), -EBADMSG);
	ck_assert_int_eq(parse_err(HEAD "m=audio 4000 RTP/AVP 0\r\n"), -EBADMSG); /* no t= */
	ck_assert_int_eq(parse_err(HEAD "t=0 0\r\nx=what\r\n"), -EBADMSG);
	ck_assert_int_eq(parse_err("hello world"), -EBADMSG);
	/* libosip2 stops at a blank line and would drop what follows; we refuse it */
	ck_assert_int_eq(parse_err(HEAD "t=0 0\r\n\r\nm=audio 4000 RTP/AVP 0\r\n"), -EBADMSG);
	ck_assert_int_eq(parse_err(HEAD "t=0 0\r\na=x\ry\r\n"), -EBADMSG); /* lone CR */
	/* 9: media-field = ... proto 1*(SP fmt) */
	ck_assert_int_eq(parse_err(HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=video 5 RTP/AVP\r\n"),
			 -EBADMSG);
	ck_assert_int_eq(parse_err(HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio  5 RTP/AVP 0\r\n"),
			 -EBADMSG);
	ck_assert_int_eq(parse_err(HEAD "t=0 0\r\nab\r\n"), -EBADMSG);
	ck_assert_int_eq(parse_err(""), -EBADMSG);
}
END_TEST

START_TEST(a_nul_byte_inside_is_malformed)
{
	char buf[sizeof(baresip_offer)];
	struct sdp *s = (struct sdp *)1;

	memcpy(buf, baresip_offer, sizeof(buf));
	buf[40] = 0;
	ck_assert_int_eq(sdp_parse(buf, sizeof(buf) - 1, &s), -EBADMSG);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(huge_descriptions_are_refused_before_parsing)
{
	size_t n = SDP_MAX_LEN + 1, len = 0;
	char *big = malloc(n + 64);
	struct sdp *s;

	len += (size_t)sprintf(big, "%s", baresip_offer);
	while (len + 12 <= n) {
		memcpy(big + len, "a=x:yyyyyy\r\n", 12);
		len += 12;
	}
	while (len < n)
		big[len++] = 'z';
	ck_assert_int_eq(sdp_parse(big, len, &s), -EMSGSIZE);
	/* short enough in bytes, too many lines */
	len = (size_t)sprintf(big, "%s", baresip_offer);
	for (int i = 0; i < SDP_MAX_LINES; i++) {
		memcpy(big + len, "a=x\r\n", 5);
		len += 5;
	}
	ck_assert_int_eq(sdp_parse(big, len, &s), -EMSGSIZE);
	free(big);
}
END_TEST

/* Every prefix of the offer: parsed or refused, never a crash (ASan checks the reads) */
START_TEST(every_truncation_parses_or_fails_cleanly)
{
	for (size_t n = 0; n <= strlen(baresip_offer); n++) {
		struct sdp *s = NULL;
		struct sdp_audio a;

		if (sdp_parse(baresip_offer, n, &s) == 0) {
			sdp_audio_get(s, &a);
			sdp_serialize(s, out, sizeof(out));
			sdp_free(s);
		}
	}
}
END_TEST

START_TEST(serialize_into_a_short_buffer_says_so)
{
	struct sdp *s = parse_ok(baresip_offer);
	char small[64];

	ck_assert_int_eq(sdp_serialize(s, small, sizeof(small)), -ENOSPC);
	ck_assert_int_eq(sdp_serialize(s, out, strlen(baresip_offer)), -ENOSPC); /* no NUL room */
	sdp_free(s);
}
END_TEST

/* ---- ICE ---- */

static size_t our_cands(struct ice_cand c[4])
{
	ck_assert_int_eq(ice_cand_host(&c[0], 1, SA("192.168.1.10:20000"), 65535), 0);
	ck_assert_int_eq(ice_cand_host(&c[1], 2, SA("192.168.1.10:20001"), 65535), 0);
	ck_assert_int_eq(ice_cand_srflx(&c[2], 1, SA("198.51.100.7:40000"),
					SA("192.168.1.10:20000"), SA("203.0.113.1:3478"), 65535),
			 0);
	ck_assert_int_eq(ice_cand_srflx(&c[3], 2, SA("198.51.100.7:40001"),
					SA("192.168.1.10:20001"), SA("203.0.113.1:3478"), 65535),
			 0);
	return 4;
}

static void cand_eq(const struct ice_cand *a, const struct ice_cand *b)
{
	char x[ICE_CAND_TEXT_MAX], y[ICE_CAND_TEXT_MAX];

	ck_assert_int_gt(ice_cand_format(a, x, sizeof(x)), 0);
	ck_assert_int_gt(ice_cand_format(b, y, sizeof(y)), 0);
	ck_assert_str_eq(x, y);
}

/* RFC 8839 4.3.1, 5.1, 5.4, 4.2.1.2 (default candidates in c=/m=), 4.2.2 (both components) */
START_TEST(ice_attributes_are_added_and_read_back)
{
	struct sdp *s = parse_ok(baresip_offer);
	struct ice_cand c[4];
	size_t n = our_cands(c);
	struct sdp_audio a;
	struct sdp_ice ice;
	const char *t;

	ck_assert_int_eq(sdp_ice_set(s, "8hhY", "asd88fgpdd777uzjYhagZg", c, n), 0);
	t = text_of(s);
	ck_assert_ptr_nonnull(strstr(t, "t=0 0\r\na=ice-options:ice2\r\nm=audio"));
	ck_assert_ptr_nonnull(
	    strstr(t, "\r\na=ice-ufrag:8hhY\r\na=ice-pwd:asd88fgpdd777uzjYhagZg"));
	ck_assert_ptr_nonnull(strstr(t, "c=IN IP4 198.51.100.7\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "m=audio 40000 RTP/AVP 0 101\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "a=rtcp:40001\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(t, " 1 UDP 2130706431 192.168.1.10 20000 typ host\r\n")); /* 5.1 */
	sdp_free(s);

	s = parse_ok(out);
	ck_assert_int_eq(sdp_audio_get(s, &a), 0);
	sa_eq(&a.rtp, "198.51.100.7:40000");
	ck_assert_int_eq(sdp_ice_get(s, &ice), 0);
	ck_assert_str_eq(ice.ufrag, "8hhY");
	ck_assert_str_eq(ice.pwd, "asd88fgpdd777uzjYhagZg");
	ck_assert(ice.ice2);
	ck_assert(!ice.lite && !ice.mismatch);
	ck_assert_uint_eq(ice.n_cands, n);
	ck_assert_uint_eq(ice.n_skipped, 0);
	for (size_t i = 0; i < n; i++)
		cand_eq(&ice.cands[i], &c[i]);
	sdp_free(s);
}
END_TEST

/* RFC 5245 4.1.4: relayed first, then server-reflexive, then host */
START_TEST(default_candidate_prefers_relayed_then_srflx_then_host)
{
	struct ice_cand c[5];

	our_cands(c);
	ck_assert_ptr_eq(sdp_ice_default(c, 4, 1), &c[2]);
	ck_assert_ptr_eq(sdp_ice_default(c, 4, 2), &c[3]);
	ck_assert_ptr_eq(sdp_ice_default(c, 2, 1), &c[0]);
	ck_assert_int_eq(ice_cand_relay(&c[4], 1, SA("203.0.113.1:50000"), SA("198.51.100.7:40000"),
					SA("203.0.113.1:3478"), 65535),
			 0);
	ck_assert_ptr_eq(sdp_ice_default(c, 5, 1), &c[4]);
	ck_assert_ptr_null(sdp_ice_default(c, 5, 3));
}
END_TEST

/* RFC 8839 4.2.6's example, with media-level credentials that take precedence (5.4) */
START_TEST(ice_example_of_rfc8839_is_read)
{
	struct sdp *s =
	    parse_ok("v=0\r\no=jdoe 2890844526 2890842807 IN IP4 203.0.113.141\r\n"
		     "s= \r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\na=ice-options:ice2\r\n"
		     "a=ice-pacing:50\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
		     "a=ice-ufrag:8hhY\r\nm=audio 45664 RTP/AVP 0\r\nb=RS:0\r\nb=RR:0\r\n"
		     "a=rtpmap:0 PCMU/8000\r\n"
		     "a=candidate:1 1 UDP 2130706431 203.0.113.141 8998 typ host\r\n"
		     "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr "
		     "203.0.113.141 rport 8998\r\n");
	struct sdp_ice ice;

	ck_assert_int_eq(sdp_ice_get(s, &ice), 0);
	ck_assert_str_eq(ice.ufrag, "8hhY");
	ck_assert(ice.ice2);
	ck_assert_uint_eq(ice.n_cands, 2);
	ck_assert_int_eq(ice.cands[1].type, ICE_SRFLX);
	ck_assert_uint_eq(ice.cands[1].priority, 1694498815u);
	sdp_free(s);

	s = parse_ok(HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\na=ice-ufrag:sess\r\n"
			  "a=ice-pwd:sessionsessionsession00\r\nm=audio 4000 RTP/AVP 0\r\n"
			  "a=ice-ufrag:medi\r\na=ice-pwd:mediamediamediamedia00\r\n");
	ck_assert_int_eq(sdp_ice_get(s, &ice), 0);
	ck_assert_str_eq(ice.ufrag, "medi");
	ck_assert_str_eq(ice.pwd, "mediamediamediamedia00");
	ck_assert(!ice.ice2);
	ck_assert_uint_eq(ice.n_cands, 0);
	sdp_free(s);
}
END_TEST

/* RFC 8839 5.1: candidates of other transports, FQDNs, unknown types are ignored; we also
 * set aside components other than RTP and RTCP */
START_TEST(ice_candidates_we_cannot_use_are_skipped)
{
	struct sdp *s = parse_ok(
	    HEAD "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=ice-ufrag:abcd\r\n"
		 "a=ice-pwd:0123456789012345678901\r\n"
		 "a=candidate:1 1 TCP 2130706431 1.1.1.1 9 typ host tcptype active\r\n"
		 "a=candidate:1 1 UDP 2130706431 host.example.com 4000 typ host\r\n"
		 "a=candidate:1 1 UDP 2130706431 1.1.1.1 4000 typ wormhole\r\n"
		 "a=candidate:1 3 UDP 2130706429 1.1.1.1 4002 typ host\r\n"
		 "a=candidate:1 1 UDP 2130706431 1.1.1.1 4000 typ host\r\n");
	struct sdp_ice ice;

	ck_assert_int_eq(sdp_ice_get(s, &ice), 0);
	ck_assert_uint_eq(ice.n_cands, 1);
	ck_assert_uint_eq(ice.n_skipped, 4);
	sdp_free(s);
}
END_TEST

/* RFC 8839 5.1, 5.4 grammar */
START_TEST(malformed_ice_attributes_are_refused)
{
	static const char *const bad[] = {
	    "a=ice-ufrag:abc\r\na=ice-pwd:0123456789012345678901\r\n", /* ufrag < 4 */
	    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789\r\n",	       /* pwd < 22 */
	    "a=ice-ufrag:ab~d\r\na=ice-pwd:0123456789012345678901\r\n",
	    "a=ice-ufrag:abcd\r\na=ice-ufrag:efgh\r\na=ice-pwd:0123456789012345678901\r\n",
	    "a=ice-ufrag\r\na=ice-pwd:0123456789012345678901\r\n",
	    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=candidate:1 1 UDP\r\n",
	    /* parenthesised: one element made of two literals (clang -Wstring-concatenation) */
	    ("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
	     "a=candidate:1 1 UDP 2130706431 1.1.1.1 99999 typ host\r\n"),
	    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\na=candidate\r\n",
	};
	char text[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sdp_ice ice;
		struct sdp *s;

		snprintf(text, sizeof(text), "%s%s%s", HEAD,
			 "c=IN IP4 1.1.1.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", bad[i]);
		s = parse_ok(text);
		ck_assert_msg(sdp_ice_get(s, &ice) == -EBADMSG, "case %zu", i);
		sdp_free(s);
	}
}
END_TEST

/* RFC 8839 4.2.5: without ice-ufrag and ice-pwd the peer does not do ICE */
START_TEST(description_without_credentials_has_no_ice)
{
	struct sdp *s = parse_ok(baresip_offer);
	struct sdp_ice ice;

	ck_assert_int_eq(sdp_ice_get(s, &ice), -ENOENT);
	sdp_free(s);
}
END_TEST

/* A client that does not do ICE gets none of it (RFC 8839 5: every ICE attribute) */
START_TEST(ice_attributes_are_stripped_for_a_plain_client)
{
	struct sdp *s = parse_ok(baresip_offer);
	struct ice_cand c[4];
	size_t n = our_cands(c);
	struct sdp_ice ice;
	const char *t;

	ck_assert_int_eq(sdp_ice_set(s, "8hhY", "asd88fgpdd777uzjYhagZg", c, n), 0);
	ck_assert_int_eq(sdp_ice_strip(s), 1 + 2 + 4);
	ck_assert_int_eq(sdp_ice_get(s, &ice), -ENOENT);
	t = text_of(s);
	ck_assert_ptr_null(strstr(t, "ice-"));
	ck_assert_ptr_null(strstr(t, "candidate"));
	ck_assert_ptr_nonnull(strstr(t, "a=rtpmap:0 PCMU/8000\r\n"));
	ck_assert_ptr_nonnull(strstr(t, "a=ptime:20\r\n"));
	ck_assert_int_eq(sdp_ice_strip(s), 0);
	sdp_free(s);
}
END_TEST

/* Setting ICE twice leaves one set of attributes (the old ones go first) */
START_TEST(ice_set_replaces_earlier_ice_attributes)
{
	struct sdp *s = parse_ok(baresip_offer);
	struct ice_cand c[4];
	size_t n = our_cands(c);
	struct sdp_ice ice;

	ck_assert_int_eq(sdp_ice_set(s, "aaaa", "asd88fgpdd777uzjYhagZg", c, n), 0);
	ck_assert_int_eq(sdp_ice_set(s, "bbbb", "asd88fgpdd777uzjYhagZg", c, 2), 0);
	ck_assert_int_eq(sdp_ice_get(s, &ice), 0);
	ck_assert_str_eq(ice.ufrag, "bbbb");
	ck_assert_uint_eq(ice.n_cands, 2);
	ck_assert_ptr_nonnull(strstr(text_of(s), "m=audio 20000 "));
	ck_assert_ptr_null(strstr(strstr(out, "ice-options") + 1, "ice-options"));
	sdp_free(s);
}
END_TEST

START_TEST(ice_set_refuses_bad_input_and_changes_nothing)
{
	struct sdp *s = parse_ok(baresip_offer);
	struct ice_cand c[4];
	size_t n = our_cands(c);

	ck_assert_int_eq(sdp_ice_set(s, "8hhY", "asd88fgpdd777uzjYhagZg", c, 1), -EINVAL);
	ck_assert_int_eq(sdp_ice_set(s, "8hh", "asd88fgpdd777uzjYhagZg", c, n), -EINVAL);
	ck_assert_int_eq(sdp_ice_set(s, "8hhY", "short", c, n), -EINVAL);
	c[3].component = 0;
	ck_assert_int_eq(sdp_ice_set(s, "8hhY", "asd88fgpdd777uzjYhagZg", c, n), -EINVAL);
	ck_assert_str_eq(text_of(s), baresip_offer);
	sdp_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sdp");
	TCase *tc = tcase_create("sdp");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, baresip_offer_gives_address_ports_and_payload_types);
	tcase_add_test(tc, baresip_offer_serializes_back_byte_for_byte);
	tcase_add_test(tc, lf_line_ends_and_a_missing_last_line_end_are_accepted);
	tcase_add_test(tc, rtcp_defaults_to_the_next_port);
	tcase_add_test(tc, rtcp_attribute_with_an_address_is_read);
	tcase_add_test(tc, media_level_connection_overrides_session_level);
	tcase_add_test(tc, port_zero_is_a_disabled_stream);
	tcase_add_test(tc, direction_is_the_streams_else_the_sessions_else_sendrecv);
	tcase_add_test(tc, rewrite_points_the_stream_at_the_relay_and_keeps_the_rest);
	tcase_add_test(tc, rtcp_attribute_is_added_only_when_needed);
	tcase_add_test(tc, rewrite_changes_media_and_session_connections);
	tcase_add_test(tc, rewrite_refuses_bad_addresses);
	tcase_add_test(tc, other_media_are_disabled);
	tcase_add_test(tc, origin_version_goes_up_by_one);
	tcase_add_test(tc, description_without_media_has_no_audio_stream);
	tcase_add_test(tc, malformed_fields_of_the_stream_are_refused);
	tcase_add_test(tc, unrelayable_streams_say_why);
	tcase_add_test(tc, malformed_descriptions_do_not_parse);
	tcase_add_test(tc, a_nul_byte_inside_is_malformed);
	tcase_add_test(tc, huge_descriptions_are_refused_before_parsing);
	tcase_add_test(tc, every_truncation_parses_or_fails_cleanly);
	tcase_add_test(tc, serialize_into_a_short_buffer_says_so);
	tcase_add_test(tc, ice_attributes_are_added_and_read_back);
	tcase_add_test(tc, default_candidate_prefers_relayed_then_srflx_then_host);
	tcase_add_test(tc, ice_example_of_rfc8839_is_read);
	tcase_add_test(tc, ice_candidates_we_cannot_use_are_skipped);
	tcase_add_test(tc, malformed_ice_attributes_are_refused);
	tcase_add_test(tc, description_without_credentials_has_no_ice);
	tcase_add_test(tc, ice_attributes_are_stripped_for_a_plain_client);
	tcase_add_test(tc, ice_set_replaces_earlier_ice_attributes);
	tcase_add_test(tc, ice_set_refuses_bad_input_and_changes_nothing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
