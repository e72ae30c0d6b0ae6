/* Unit tests of ICE candidates (RFC 8445 5.1) and their SDP text (RFC 8839 5.1,
 * 5.4): priorities by hand, foundations, redundancy, round trips, and every
 * field of a candidate line broken in turn. Not the checklist (test_checklist). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>

#include "ice/cand.h"
#include "ice/sock.h"

static struct sockaddr_storage sa(const char *s)
{
	struct sockaddr_storage ss;

	ck_assert_msg(ice_sa_parse(s, &ss) == 0, "bad test address %s", s);
	return ss;
}

/* An address for one expression: a few live at once. */
static const struct sockaddr *SA(const char *s)
{
	static struct sockaddr_storage ring[16];
	static unsigned next;
	struct sockaddr_storage *ss = &ring[next++ % 16];

	*ss = sa(s);
	return (const struct sockaddr *)ss;
}

static int parse(const char *line, struct ice_cand *c)
{
	return ice_cand_parse(line, strlen(line), c);
}

/* RFC 8445 5.1.2.1: (2^24)*type pref + (2^8)*local pref + (256 - component) */
START_TEST(priorities_follow_the_recommended_formula)
{
	/* 126*16777216 + 65535*256 + 255 */
	ck_assert_uint_eq(ice_priority(ICE_TYPEPREF_HOST, 65535, 1), 2130706431u);
	/* 0 + 65535*256 + 254 */
	ck_assert_uint_eq(ice_priority(ICE_TYPEPREF_RELAY, 65535, 2), 16777214u);
	/* 100*16777216 + 65535*256 + 255: the srflx of RFC 8839 5.1's example */
	ck_assert_uint_eq(ice_priority(ICE_TYPEPREF_SRFLX, 65535, 1), 1694498815u);
	/* 110*16777216 + 65535*256 + 255 */
	ck_assert_uint_eq(ice_priority(ICE_TYPEPREF_PRFLX, 65535, 1), 1862270975u);
	/* 126*16777216 + 0 + 0 (component 256) */
	ck_assert_uint_eq(ice_priority(ICE_TYPEPREF_HOST, 0, 256), 2113929216u);
	ck_assert_uint_eq(ice_local_pref_of(ice_priority(100, 4242, 3)), 4242);
}
END_TEST

/* RFC 8445 5.1.2.2: 126 host, 110 prflx, 100 srflx, 0 relay */
START_TEST(type_preferences_are_the_recommended_ones)
{
	ck_assert_uint_eq(ice_type_pref(ICE_HOST), 126);
	ck_assert_uint_eq(ice_type_pref(ICE_PRFLX), 110);
	ck_assert_uint_eq(ice_type_pref(ICE_SRFLX), 100);
	ck_assert_uint_eq(ice_type_pref(ICE_RELAY), 0);
	ck_assert_str_eq(ice_cand_type_name(ICE_SRFLX), "srflx");
	ck_assert_str_eq(ice_cand_type_name(ICE_RELAY), "relay");
}
END_TEST

/* RFC 8445 5.1.2.1: 65535 for one address, unique for several; RFC 8421:
 * IPv6 above IPv4 (link-local last). */
START_TEST(local_preferences_are_unique_and_prefer_ipv6)
{
	struct sockaddr_storage one[1] = {sa("192.0.2.1:1")};
	struct sockaddr_storage many[4] = {sa("192.0.2.1:1"), sa("[fe80::1]:1"),
					   sa("[2001:db8::1]:1"), sa("198.51.100.1:1")};
	unsigned p1[1], p4[4];

	ice_local_prefs(one, 1, p1);
	ck_assert_uint_eq(p1[0], 65535);
	ice_local_prefs(many, 4, p4);
	ck_assert_uint_eq(p4[2], 65535); /* global IPv6 */
	ck_assert_uint_eq(p4[0], 65534); /* IPv4, in the order given */
	ck_assert_uint_eq(p4[3], 65533);
	ck_assert_uint_eq(p4[1], 65532); /* link-local IPv6 */
}
END_TEST

/* RFC 8445 5.1.1.3: same type, base IP, server IP, transport -> same foundation */
START_TEST(foundations_depend_on_type_base_ip_and_server_ip_only)
{
	char a[ICE_FOUNDATION_MAX + 1], b[ICE_FOUNDATION_MAX + 1];

	ice_foundation(ICE_HOST, SA("192.0.2.1:1000"), NULL, a);
	ice_foundation(ICE_HOST, SA("192.0.2.1:2000"), SA("203.0.113.9:3478"), b);
	ck_assert_str_eq(a, b); /* ports and (for host) the server do not count */
	ck_assert_uint_eq(strlen(a), 8);
	ck_assert_uint_eq(
	    strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"), 8);
	ice_foundation(ICE_HOST, SA("192.0.2.2:1000"), NULL, b);
	ck_assert_str_ne(a, b); /* base IP */
	ice_foundation(ICE_SRFLX, SA("192.0.2.1:1000"), SA("203.0.113.9:3478"), a);
	ice_foundation(ICE_HOST, SA("192.0.2.1:1000"), SA("203.0.113.9:3478"), b);
	ck_assert_str_ne(a, b); /* type */
	ice_foundation(ICE_SRFLX, SA("192.0.2.1:1000"), SA("203.0.113.10:3478"), b);
	ck_assert_str_ne(a, b); /* server IP */
	ice_foundation(ICE_SRFLX, SA("192.0.2.1:5000"), SA("203.0.113.9:19302"), b);
	ck_assert_str_eq(a, b); /* server port */
	ice_foundation(ICE_HOST, SA("[2001:db8::1]:1"), NULL, a);
	ice_foundation(ICE_HOST, SA("[2001:db8::2]:1"), NULL, b);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(constructors_fill_base_related_priority_and_foundation)
{
	struct ice_cand h, s, r, p;

	ck_assert_int_eq(ice_cand_host(&h, 1, SA("10.0.1.1:5000"), 65535), 0);
	ck_assert_uint_eq(h.priority, 2130706431u);
	ck_assert(ice_sa_equal((void *)&h.base, (void *)&h.addr));
	ck_assert_int_eq(h.related.ss_family, 0);

	ck_assert_int_eq(ice_cand_srflx(&s, 1, SA("192.0.2.3:45664"), SA("10.0.1.1:5000"),
					SA("192.0.2.2:3478"), 65535),
			 0);
	ck_assert_uint_eq(s.priority, 1694498815u);
	ck_assert(ice_sa_equal((void *)&s.base, SA("10.0.1.1:5000")));
	ck_assert(ice_sa_equal((void *)&s.related, SA("10.0.1.1:5000"))); /* RFC 8839 5.1 */

	ck_assert_int_eq(ice_cand_relay(&r, 2, SA("192.0.2.9:40000"), SA("192.0.2.3:45664"),
					SA("192.0.2.9:3478"), 65535),
			 0);
	ck_assert_uint_eq(r.priority, 16777214u);
	ck_assert(ice_sa_equal((void *)&r.base, (void *)&r.addr)); /* RFC 8445 5.1.1.2 */
	ck_assert(ice_sa_equal((void *)&r.related, SA("192.0.2.3:45664")));

	ck_assert_int_eq(ice_cand_prflx(&p, 1, SA("192.0.2.3:45665"), SA("10.0.1.1:5000"),
					SA("192.0.2.1:6000"), 1862270975u),
			 0);
	ck_assert_uint_eq(p.priority, 1862270975u);
	ck_assert_int_eq(p.type, ICE_PRFLX);

	ck_assert_int_eq(ice_cand_host(&h, 0, SA("10.0.1.1:5000"), 1), -EINVAL);
	ck_assert_int_eq(ice_cand_host(&h, 257, SA("10.0.1.1:5000"), 1), -EINVAL);
	ck_assert_int_eq(ice_cand_host(&h, 1, SA("10.0.1.1:5000"), 65536), -EINVAL);
	ck_assert_int_eq(ice_cand_prflx(&p, 1, SA("192.0.2.3:1"), SA("10.0.1.1:5000"), NULL, 0),
			 -EINVAL);
}
END_TEST

/* RFC 8445 5.1.3: same transport address and base -> the lower priority goes */
START_TEST(a_srflx_equal_to_its_host_is_eliminated)
{
	struct ice_cand c[4];
	size_t n;

	ice_cand_host(&c[0], 1, SA("192.0.2.1:5000"), 65535);
	/* no NAT: the server saw the host address itself */
	ice_cand_srflx(&c[1], 1, SA("192.0.2.1:5000"), SA("192.0.2.1:5000"), SA("192.0.2.2:3478"),
		       65535);
	/* same transport address, different base: not redundant */
	ice_cand_srflx(&c[2], 1, SA("198.51.100.7:7000"), SA("192.0.2.1:5000"),
		       SA("192.0.2.2:3478"), 65535);
	ice_cand_relay(&c[3], 1, SA("198.51.100.7:7000"), NULL, SA("198.51.100.7:3478"), 65535);
	n = ice_cands_eliminate_redundant(c, 4);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(c[0].type, ICE_HOST);
	ck_assert_int_eq(c[1].type, ICE_SRFLX);
	ck_assert(ice_sa_equal((void *)&c[1].addr, SA("198.51.100.7:7000")));
	ck_assert_int_eq(c[2].type, ICE_RELAY);

	/* the kept one is the higher priority, wherever it stands */
	ice_cand_srflx(&c[0], 1, SA("192.0.2.1:5000"), SA("192.0.2.1:5000"), SA("192.0.2.2:3478"),
		       65535);
	ice_cand_host(&c[1], 1, SA("192.0.2.1:5000"), 65535);
	ck_assert_uint_eq(ice_cands_eliminate_redundant(c, 2), 1);
	ck_assert_int_eq(c[0].type, ICE_HOST);
}
END_TEST

/* RFC 8839 5.1: the example line, and what we write for it */
START_TEST(the_rfc_example_line_parses_and_formats_back)
{
	static const char line[] = "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr "
				   "203.0.113.141 rport 8998";
	struct ice_cand c;
	char buf[ICE_CAND_TEXT_MAX];

	ck_assert_int_eq(parse(line, &c), 0);
	ck_assert_str_eq(c.foundation, "2");
	ck_assert_uint_eq(c.component, 1);
	ck_assert_uint_eq(c.priority, 1694498815u);
	ck_assert_int_eq(c.type, ICE_SRFLX);
	ck_assert(ice_sa_equal((void *)&c.addr, SA("192.0.2.3:45664")));
	ck_assert(ice_sa_equal((void *)&c.related, SA("203.0.113.141:8998")));
	ck_assert_int_eq(c.base.ss_family, 0);
	ck_assert_int_eq(ice_cand_format(&c, buf, sizeof(buf)), (int)strlen(line) - 2);
	ck_assert_str_eq(buf, line + 2);
}
END_TEST

static void round_trip(const struct ice_cand *c, const char *expect)
{
	char buf[ICE_CAND_TEXT_MAX];
	struct ice_cand back;
	int n = ice_cand_format(c, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, expect);
	ck_assert_int_eq(ice_cand_parse(buf, (size_t)n, &back), 0);
	ck_assert_int_eq(back.type, c->type);
	ck_assert_uint_eq(back.component, c->component);
	ck_assert_uint_eq(back.priority, c->priority);
	ck_assert_str_eq(back.foundation, c->foundation);
	ck_assert(ice_sa_equal((void *)&back.addr, (void *)&c->addr));
	if (c->related.ss_family)
		ck_assert(ice_sa_equal((void *)&back.related, (void *)&c->related));
	else
		ck_assert_int_eq(back.related.ss_family, 0);
}

START_TEST(candidates_of_every_type_round_trip_in_ipv4_and_ipv6)
{
	struct ice_cand c;

	ice_cand_host(&c, 1, SA("10.0.1.1:5000"), 65535);
	strcpy(c.foundation, "1");
	round_trip(&c, "candidate:1 1 UDP 2130706431 10.0.1.1 5000 typ host");
	ice_cand_host(&c, 2, SA("[2001:db8::1]:5001"), 65535);
	strcpy(c.foundation, "a+/Z");
	round_trip(&c, "candidate:a+/Z 2 UDP 2130706430 2001:db8::1 5001 typ host");
	ice_cand_srflx(&c, 1, SA("[2001:db8:1::7]:40000"), SA("[fe80::1]:5000"),
		       SA("[2001:db8::3478]:3478"), 65535);
	strcpy(c.foundation, "x");
	round_trip(&c, "candidate:x 1 UDP 1694498815 2001:db8:1::7 40000 typ srflx raddr fe80::1 "
		       "rport 5000");
	ice_cand_relay(&c, 2, SA("192.0.2.9:49152"), SA("192.0.2.3:45664"), SA("192.0.2.9:3478"),
		       7);
	strcpy(c.foundation, "relay1");
	round_trip(&c, "candidate:relay1 2 UDP 2046 192.0.2.9 49152 typ relay raddr 192.0.2.3 "
		       "rport 45664");
	ice_cand_prflx(&c, 256, SA("192.0.2.3:65535"), SA("10.0.1.1:1"), NULL, 2147483647u);
	strcpy(c.foundation, "12345678901234567890123456789012");
	round_trip(&c, "candidate:12345678901234567890123456789012 256 UDP 2147483647 192.0.2.3 "
		       "65535 typ prflx raddr 10.0.1.1 rport 1");
}
END_TEST

/* RFC 8839 5.1: "MUST ignore any name/value pairs it doesn't understand";
 * RFC 5234 2.3: literal words are case-insensitive. */
START_TEST(extensions_are_ignored_and_literals_are_case_insensitive)
{
	struct ice_cand c;

	ck_assert_int_eq(parse("candidate:842163049 1 udp 1677729535 192.0.2.77 60769 typ srflx "
			       "raddr 0.0.0.0 rport 0 generation 0 ufrag Uv1l network-cost 999",
			       &c),
			 0);
	ck_assert_int_eq(c.type, ICE_SRFLX);
	ck_assert_int_eq(c.related.ss_family, AF_INET); /* 0.0.0.0 port 0: hidden */
	ck_assert_uint_eq(((struct sockaddr_in *)&c.related)->sin_port, 0);
	ck_assert_int_eq(
	    parse("1 2 Udp 5 192.0.2.1 9 TYP HOST X-Thing ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}", &c),
	    0);
	ck_assert_int_eq(c.type, ICE_HOST);
	ck_assert_uint_eq(c.component, 2);
	ck_assert_int_eq(
	    parse("candidate:1 1 UDP 5 192.0.2.1 9 typ relay RPORT 3 RADDR 192.0.2.4", &c), 0);
	ck_assert(ice_sa_equal((void *)&c.related, SA("192.0.2.4:3")));
	ck_assert_int_eq(parse("candidate:1 1 UDP 5 192.0.2.1 9 typ host\r\n", &c), 0);
	ck_assert_int_eq(parse("candidate:1 1 UDP 5 192.0.2.1 9 typ host\n", &c), 0);
	ck_assert_int_eq(parse("candidate:1 001 UDP 0000000005 192.0.2.1 00009 typ host", &c), 0);
	ck_assert_uint_eq(c.component, 1);
	ck_assert_uint_eq(c.priority, 5);
}
END_TEST

/* RFC 8839 5.1: other transports, FQDNs and new types are well formed but not
 * ours: each has its own error so that callers skip the line. */
START_TEST(tcp_fqdn_and_unknown_types_get_their_own_errors)
{
	struct ice_cand c;

	ck_assert_int_eq(
	    parse("a=candidate:1 1 TCP 2105524479 192.0.2.1 9 typ host tcptype active", &c),
	    -EPROTONOSUPPORT);
	ck_assert_int_eq(parse("candidate:1 1 tls-udp 1 192.0.2.1 9 typ host", &c),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(parse("candidate:1 1 udp 2122260223 9b36eaac-bb2e-49bb-bb78.local 52340 "
			       "typ host generation 0",
			       &c),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(parse("candidate:1 1 UDP 5 host.example.com 9 typ host", &c),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(parse("candidate:1 1 UDP 5 192.0.2.1 9 typ srflx raddr stun.example.org "
			       "rport 9",
			       &c),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(parse("candidate:1 1 UDP 5 192.0.2.1 9 typ mytype", &c), -EOPNOTSUPP);
	/* a malformed line stays malformed whatever else is unusable in it */
	ck_assert_int_eq(parse("candidate:1 1 TCP 0 192.0.2.1 9 typ host", &c), -EINVAL);
	ck_assert_int_eq(parse("candidate:1 1 UDP 5 host.example.com 0 typ host", &c), -EINVAL);
	ck_assert_int_eq(c.component, 0); /* nothing left behind on failure */
}
END_TEST

static const char *const bad_lines[] = {
    /* structure */
    "",
    "candidate:",
    "a=",
    "a=1 1 UDP 5 192.0.2.1 9 typ host", /* "a=" without "candidate:" */
    "a=Candidate:1 1 UDP 5 192.0.2.1 9 typ host",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ",	  /* type missing */
    "candidate:1 1 UDP 5 192.0.2.1 9",		  /* typ missing */
    "candidate:1 1 UDP 5 192.0.2.1",		  /* port missing */
    "candidate:1 1 UDP 5",			  /* address missing */
    "candidate:1 1 UDP",			  /* priority missing */
    "candidate:1 1",				  /* transport missing */
    "candidate:1",				  /* component missing */
    "candidate: 1 UDP 5 192.0.2.1 9 typ host",	  /* foundation missing */
    "candidate:1  1 UDP 5 192.0.2.1 9 typ host",  /* two spaces */
    "candidate:1 1 UDP 5 192.0.2.1 9 typ host ",  /* trailing space */
    " candidate:1 1 UDP 5 192.0.2.1 9 typ host",  /* leading space */
    "candidate:1\t1 UDP 5 192.0.2.1 9 typ host",  /* tab */
    "candidate:1 1 UDP 5 192.0.2.1 9 typ host\r", /* a CR without LF */
    "candidate:1 1 UDP 5 192.0.2.1 9 typ host\n\n",
    /* foundation */
    "candidate:a.b 1 UDP 5 192.0.2.1 9 typ host",
    "candidate:a-b 1 UDP 5 192.0.2.1 9 typ host",
    "candidate:123456789012345678901234567890123 1 UDP 5 192.0.2.1 9 typ host",
    /* component */
    "candidate:1 0 UDP 5 192.0.2.1 9 typ host",
    "candidate:1 257 UDP 5 192.0.2.1 9 typ host",
    "candidate:1 0001 UDP 5 192.0.2.1 9 typ host",
    "candidate:1 1a UDP 5 192.0.2.1 9 typ host",
    "candidate:1 -1 UDP 5 192.0.2.1 9 typ host",
    "candidate:1 +1 UDP 5 192.0.2.1 9 typ host",
    /* transport: not a token */
    "candidate:1 1 U(P 5 192.0.2.1 9 typ host",
    "candidate:1 1 UD\"P 5 192.0.2.1 9 typ host",
    /* priority */
    "candidate:1 1 UDP 0 192.0.2.1 9 typ host",
    "candidate:1 1 UDP 2147483648 192.0.2.1 9 typ host",
    "candidate:1 1 UDP 4294967301 192.0.2.1 9 typ host",
    "candidate:1 1 UDP 12345678901 192.0.2.1 9 typ host",
    "candidate:1 1 UDP 0x10 192.0.2.1 9 typ host",
    /* address */
    "candidate:1 1 UDP 5 192.0.2.256 9 typ host",
    "candidate:1 1 UDP 5 192.0.2 9 typ host",
    "candidate:1 1 UDP 5 192.0.2.1.4 9 typ host",
    "candidate:1 1 UDP 5 2001:db8::1::2 9 typ host",
    "candidate:1 1 UDP 5 2001:db8::g 9 typ host",
    "candidate:1 1 UDP 5 [2001:db8::1] 9 typ host",
    "candidate:1 1 UDP 5 fe80::1%eth0 9 typ host",
    "candidate:1 1 UDP 5 192.0.2.1:9 9 typ host",
    "candidate:1 1 UDP 5 -host.example 9 typ host",
    "candidate:1 1 UDP 5 a..b 9 typ host",
    "candidate:1 1 UDP 5 1111:2222:3333:4444:5555:6666:7777:8888:9999 9 typ host",
    /* port */
    "candidate:1 1 UDP 5 192.0.2.1 0 typ host",
    "candidate:1 1 UDP 5 192.0.2.1 65536 typ host",
    "candidate:1 1 UDP 5 192.0.2.1 123456 typ host",
    "candidate:1 1 UDP 5 192.0.2.1 9a typ host",
    /* typ */
    "candidate:1 1 UDP 5 192.0.2.1 9 type host",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ ho(st",
    /* raddr / rport */
    "candidate:1 1 UDP 5 192.0.2.1 9 typ srflx raddr 192.0.2.2",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ srflx rport 9",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ srflx raddr 192.0.2.2 rport",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ srflx raddr rport 9",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ srflx raddr 192.0.2.2 rport 65536",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ srflx raddr 192.0.2.2 rport x",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ srflx raddr 999.0.2.2 rport 9",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ srflx raddr 192.0.2.2 rport 9 raddr 192.0.2.3",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ srflx raddr 192.0.2.2 rport 9 rport 9",
    /* extensions */
    "candidate:1 1 UDP 5 192.0.2.1 9 typ host generation",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ host gen(eration 0",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ host generation 0 network-cost",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ host name val\x7f",
    "candidate:1 1 UDP 5 192.0.2.1 9 typ host name va\xc3\xa9l",
};

/* RFC 8839 5.1 grammar: each field wrong in turn, missing, with bad bytes */
START_TEST(malformed_candidate_lines_are_rejected)
{
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		struct ice_cand c;
		int err = parse(bad_lines[i], &c);

		ck_assert_msg(err == -EINVAL, "\"%s\": %d", bad_lines[i], err);
	}
}
END_TEST

START_TEST(nul_bytes_overlong_lines_and_null_are_rejected)
{
	static const char nul[] = "candidate:1 1 UDP 5 192.0.2.1\0 9 typ host";
	static const char nul_addr[] = "candidate:1 1 UDP 5 192.0.2.1\0junk 9 typ host";
	struct ice_cand c;
	char *big = malloc(ICE_CAND_LINE_MAX + 2);
	size_t n;

	ck_assert_int_eq(ice_cand_parse(nul, sizeof(nul) - 1, &c), -EINVAL);
	ck_assert_int_eq(ice_cand_parse(nul_addr, sizeof(nul_addr) - 1, &c), -EINVAL);
	ck_assert_int_eq(ice_cand_parse(NULL, 5, &c), -EINVAL);
	/* a long but valid extension up to the limit, then one byte more */
	ck_assert_ptr_nonnull(big);
	strcpy(big, "candidate:1 1 UDP 5 192.0.2.1 9 typ host x ");
	n = strlen(big);
	memset(big + n, 'v', ICE_CAND_LINE_MAX - n);
	ck_assert_int_eq(ice_cand_parse(big, ICE_CAND_LINE_MAX, &c), 0);
	big[ICE_CAND_LINE_MAX] = 'v';
	ck_assert_int_eq(ice_cand_parse(big, ICE_CAND_LINE_MAX + 1, &c), -EINVAL);
	/* only the given length is read: the valid prefix of a longer buffer */
	ck_assert_int_eq(ice_cand_parse("candidate:1 1 UDP 5 192.0.2.1 9 typ hostXYZ", 40, &c), 0);
	free(big);
}
END_TEST

START_TEST(format_refuses_what_it_cannot_write)
{
	struct ice_cand c;
	char buf[ICE_CAND_TEXT_MAX];

	int n;

	ice_cand_host(&c, 1, SA("10.0.1.1:5000"), 65535);
	ck_assert_int_eq(ice_cand_format(&c, buf, 20), -ENOSPC);
	n = ice_cand_format(&c, buf, sizeof(buf));
	ck_assert_int_eq(n, 58); /* "candidate:" + 8-char foundation + 40 */
	ck_assert_int_eq(ice_cand_format(&c, buf, (size_t)n + 1), n);
	ck_assert_int_eq(ice_cand_format(&c, buf, (size_t)n), -ENOSPC);
	c.foundation[0] = 0;
	ck_assert_int_eq(ice_cand_format(&c, buf, sizeof(buf)), -EINVAL);
	strcpy(c.foundation, "a:b");
	ck_assert_int_eq(ice_cand_format(&c, buf, sizeof(buf)), -EINVAL);
	strcpy(c.foundation, "1");
	c.priority = 0;
	ck_assert_int_eq(ice_cand_format(&c, buf, sizeof(buf)), -EINVAL);
	c.priority = 1;
	c.addr.ss_family = AF_UNIX;
	ck_assert_int_eq(ice_cand_format(&c, buf, sizeof(buf)), -EINVAL);
}
END_TEST

/* RFC 8839 5.4: ufrag 4*256ice-char, pwd 22*256ice-char */
START_TEST(ufrag_and_pwd_lines_respect_the_length_limits)
{
	char v[ICE_PWD_MAX + 1], line[400];

	ck_assert_int_eq(ice_ufrag_parse("a=ice-ufrag:8hhY", 16, v), 0);
	ck_assert_str_eq(v, "8hhY");
	ck_assert_int_eq(ice_pwd_parse("a=ice-pwd:asd88fgpdd777uzjYhagZg\r\n", 34, v), 0);
	ck_assert_str_eq(v, "asd88fgpdd777uzjYhagZg");
	ck_assert_int_eq(ice_ufrag_parse("ice-ufrag:8hhY", 14, v), 0);
	ck_assert_int_eq(ice_ufrag_parse("8h+/", 4, v), 0);
	ck_assert_int_eq(ice_ufrag_parse("8hh", 3, v), -EINVAL);
	ck_assert_int_eq(ice_ufrag_parse("ice-ufrag:8hh", 13, v), -EINVAL);
	ck_assert_int_eq(ice_ufrag_parse("a=8hhY", 6, v), -EINVAL);
	ck_assert_int_eq(ice_ufrag_parse("a=ice-pwd:8hhY", 14, v), -EINVAL);
	ck_assert_int_eq(ice_ufrag_parse("ice-ufrag:8h-Y", 14, v), -EINVAL);
	ck_assert_int_eq(ice_ufrag_parse("ice-ufrag: 8hhY", 15, v), -EINVAL);
	ck_assert_int_eq(ice_ufrag_parse("8h\0Y", 4, v), -EINVAL);
	ck_assert_int_eq(ice_pwd_parse("asd88fgpdd777uzjYhagZ", 21, v), -EINVAL);
	ck_assert_int_eq(ice_pwd_parse(NULL, 0, v), -EINVAL);

	strcpy(line, "ice-ufrag:");
	memset(line + 10, 'u', 256);
	ck_assert_int_eq(ice_ufrag_parse(line, 266, v), 0);
	ck_assert_uint_eq(strlen(v), 256);
	line[266] = 'u';
	ck_assert_int_eq(ice_ufrag_parse(line, 267, v), -EINVAL);
	strcpy(line, "ice-pwd:");
	memset(line + 8, 'p', 257);
	ck_assert_int_eq(ice_pwd_parse(line, 8 + 256, v), 0);
	ck_assert_int_eq(ice_pwd_parse(line, 8 + 257, v), -EINVAL);
}
END_TEST

/* RFC 8839 5.4: at most 32 ufrag characters when sending; RFC 8445 5.3:
 * 24 / 128 random bits at least. */
START_TEST(fresh_credentials_are_random_ice_chars_we_may_send)
{
	struct ice_creds a, b;
	char buf[300], v[ICE_PWD_MAX + 1];
	int n;

	ck_assert_int_eq(ice_creds_new(&a), 0);
	ck_assert_int_eq(ice_creds_new(&b), 0);
	ck_assert_uint_eq(strlen(a.ufrag), ICE_UFRAG_NEW_LEN);
	ck_assert_uint_eq(strlen(a.pwd), ICE_PWD_NEW_LEN);
	ck_assert_int_ge(ICE_UFRAG_NEW_LEN * 6, 24);
	ck_assert_int_ge(ICE_PWD_NEW_LEN * 6, 128);
	ck_assert_str_ne(a.pwd, b.pwd);
	n = ice_ufrag_format(a.ufrag, buf, sizeof(buf));
	ck_assert_int_eq(n, 10 + ICE_UFRAG_NEW_LEN);
	ck_assert_int_eq(ice_ufrag_parse(buf, (size_t)n, v), 0);
	ck_assert_str_eq(v, a.ufrag);
	n = ice_pwd_format(a.pwd, buf, sizeof(buf));
	ck_assert_int_eq(ice_pwd_parse(buf, (size_t)n, v), 0);
	ck_assert_str_eq(v, a.pwd);
	ck_assert_int_eq(ice_pwd_format(a.pwd, buf, 10), -ENOSPC);

	memset(v, 'u', 33);
	v[33] = 0;
	ck_assert_int_eq(ice_ufrag_format(v, buf, sizeof(buf)), -EINVAL);
	v[32] = 0;
	ck_assert_int_eq(ice_ufrag_format(v, buf, sizeof(buf)), 42);
	ck_assert_int_eq(ice_ufrag_format("abc", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ice_pwd_format("short", buf, sizeof(buf)), -EINVAL);
}
END_TEST

/* ice/sock.c: an address without a port (hipd's map locators, p2psipd --hip-locator). */
START_TEST(a_bare_ip_parses_and_anything_else_is_refused)
{
	static const char *const bad[] = {
	    "",	       "192.0.2.1:3478", "[2001:db8::1]",   "[2001:db8::1]:1", "host.example",
	    "192.0.2", "192.0.2.1 ",	 "2001:db8::1%eth0"};
	struct sockaddr_storage ss;

	ck_assert_int_eq(ice_sa_parse_ip("192.0.2.1", &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(((struct sockaddr_in *)&ss)->sin_port, 0);
	ck_assert_int_eq(ice_sa_parse_ip("2001:db8::1", &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ice_sa_parse_ip(bad[i], &ss) == -EINVAL, "\"%s\" accepted", bad[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ice_cand");
	TCase *tc = tcase_create("ice_cand");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, priorities_follow_the_recommended_formula);
	tcase_add_test(tc, type_preferences_are_the_recommended_ones);
	tcase_add_test(tc, local_preferences_are_unique_and_prefer_ipv6);
	tcase_add_test(tc, foundations_depend_on_type_base_ip_and_server_ip_only);
	tcase_add_test(tc, constructors_fill_base_related_priority_and_foundation);
	tcase_add_test(tc, a_srflx_equal_to_its_host_is_eliminated);
	tcase_add_test(tc, the_rfc_example_line_parses_and_formats_back);
	tcase_add_test(tc, candidates_of_every_type_round_trip_in_ipv4_and_ipv6);
	tcase_add_test(tc, extensions_are_ignored_and_literals_are_case_insensitive);
	tcase_add_test(tc, tcp_fqdn_and_unknown_types_get_their_own_errors);
	tcase_add_test(tc, malformed_candidate_lines_are_rejected);
	tcase_add_test(tc, nul_bytes_overlong_lines_and_null_are_rejected);
	tcase_add_test(tc, format_refuses_what_it_cannot_write);
	tcase_add_test(tc, ufrag_and_pwd_lines_respect_the_length_limits);
	tcase_add_test(tc, fresh_credentials_are_random_ice_chars_we_may_send);
	tcase_add_test(tc, a_bare_ip_parses_and_anything_else_is_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
