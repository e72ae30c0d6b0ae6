/* Unit tests of p2psipd/media/relay: two relays back to back on loopback (caller side and
 * callee side, 127.0.0.1 or ::1 in place of HITs) between two fake clients: RTP and RTCP
 * both ways, symmetric-RTP latching, foreign sources dropped, counters, stamps, port
 * ranges, and (ice mode) ICE between the relays with the candidates carried in SDP.
 * Not SDP parsing (test_sdp) nor the B2BUA. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "common/stamp.h"
#include "ice/sock.h"
#include "p2psipd/media/relay.h"
#include "p2psipd/sip/sdp.h"

/* ---- loop and fake clients ---- */

static uv_loop_t loop;

static void pump(unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

/* A fake SIP client's media socket: plain UDP on 127.0.0.1 (or ::1), port chosen by the
 * kernel. */
struct fake {
	int fd;
	struct sockaddr_storage addr;
};

static struct fake fake_open(const char *ip)
{
	struct fake f;
	socklen_t len = sizeof(f.addr);
	char spec[64];

	snprintf(spec, sizeof(spec), strchr(ip, ':') ? "[%s]:9" : "%s:9", ip);
	ck_assert_int_eq(ice_sa_parse(spec, &f.addr), 0);
	if (f.addr.ss_family == AF_INET) /* port 0: the kernel picks */
		((struct sockaddr_in *)&f.addr)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&f.addr)->sin6_port = 0;
	f.fd = socket(f.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(f.fd, 0);
	ck_assert_int_eq(bind(f.fd, (struct sockaddr *)&f.addr, ice_sa_len((void *)&f.addr)), 0);
	ck_assert_int_eq(getsockname(f.fd, (struct sockaddr *)&f.addr, &len), 0);
	return f;
}

static void fake_send(const struct fake *f, const struct sockaddr_storage *to, const char *text)
{
	ck_assert_int_eq(sendto(f->fd, text, strlen(text), 0, (const struct sockaddr *)to,
				ice_sa_len((const struct sockaddr *)to)),
			 (ssize_t)strlen(text));
}

/* The next datagram within ms, as text ("" if none); *from gets its source. */
static const char *fake_recv(const struct fake *f, unsigned ms, struct sockaddr_storage *from)
{
	static char buf[2048];
	socklen_t len = sizeof(*from);

	for (unsigned i = 0; i <= ms; i++) {
		ssize_t n = recvfrom(f->fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)from, &len);
		if (n >= 0) {
			buf[n] = 0;
			return buf;
		}
		pump(1);
	}
	return "";
}

static struct sockaddr_storage with_port(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	char spec[80];

	snprintf(spec, sizeof(spec), strchr(ip, ':') ? "[%s]:%u" : "%s:%u", ip, port);
	ck_assert_int_eq(ice_sa_parse(spec, &ss), 0);
	return ss;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int closed;

static void on_closed(void *arg)
{
	(void)arg;
	closed++;
}

static void close_all(struct media_relay **r, int n)
{
	closed = 0;
	for (int i = 0; i < n; i++)
		media_relay_close(r[i], on_closed, NULL);
	pump(20);
	ck_assert_int_eq(closed, n);
}

/* ---- a call: two relays, two clients ---- */

struct call {
	struct media_relay *a, *b; /* a: caller side, b: callee side */
	struct fake ca[2], cb[2];  /* the clients' RTP and RTCP sockets */
	struct sockaddr_storage a_client[2], b_client[2];
};

static struct media_relay *relay_udp(const char *tag)
{
	struct media_config cfg = {
	    .mode = MEDIA_UDP, .port_min = 21000, .port_max = 21999, .tag = tag};
	struct media_relay *r;

	ck_assert_int_eq(media_relay_new(&loop, &cfg, NULL, NULL, &r), 0);
	return r;
}

/* What the B2BUAs would do with the SDP: clients' addresses in, peers' ports across. */
static void call_setup(struct call *c, const char *peer_ip)
{
	uint16_t ap[2], bp[2];
	struct sockaddr_storage x, y;

	c->a = relay_udp("A");
	c->b = relay_udp("B");
	for (int i = 0; i < 2; i++) {
		c->ca[i] = fake_open("127.0.0.1");
		c->cb[i] = fake_open("127.0.0.1");
	}
	media_relay_client_addr(c->a, &c->a_client[0], &c->a_client[1]);
	media_relay_client_addr(c->b, &c->b_client[0], &c->b_client[1]);
	ck_assert_int_eq(
	    media_relay_set_client(c->a, (void *)&c->ca[0].addr, (void *)&c->ca[1].addr), 0);
	ck_assert_int_eq(
	    media_relay_set_client(c->b, (void *)&c->cb[0].addr, (void *)&c->cb[1].addr), 0);
	media_relay_peer_ports(c->a, &ap[0], &ap[1]);
	media_relay_peer_ports(c->b, &bp[0], &bp[1]);
	x = with_port(peer_ip, bp[0]);
	y = with_port(peer_ip, bp[1]);
	ck_assert_int_eq(media_relay_set_peer(c->a, (void *)&x, (void *)&y), 0);
	x = with_port(peer_ip, ap[0]);
	y = with_port(peer_ip, ap[1]);
	ck_assert_int_eq(media_relay_set_peer(c->b, (void *)&x, (void *)&y), 0);
}

static void call_close(struct call *c)
{
	struct media_relay *r[2] = {c->a, c->b};

	close_all(r, 2);
	for (int i = 0; i < 2; i++) {
		close(c->ca[i].fd);
		close(c->cb[i].fd);
	}
}

static void both_ways(const char *peer_ip)
{
	struct sockaddr_storage from;
	struct media_stats sa, sb;
	struct call c;

	call_setup(&c, peer_ip);
	fake_send(&c.ca[0], &c.a_client[0], "rtp from A");
	ck_assert_str_eq(fake_recv(&c.cb[0], 500, &from), "rtp from A");
	/* the callee's client hears it from where it sends to (symmetric RTP) */
	ck_assert(ice_sa_equal((void *)&from, (void *)&c.b_client[0]));
	fake_send(&c.cb[0], &c.b_client[0], "rtp from B");
	ck_assert_str_eq(fake_recv(&c.ca[0], 500, &from), "rtp from B");
	ck_assert(ice_sa_equal((void *)&from, (void *)&c.a_client[0]));
	fake_send(&c.ca[1], &c.a_client[1], "rtcp from A");
	ck_assert_str_eq(fake_recv(&c.cb[1], 500, &from), "rtcp from A");
	ck_assert(ice_sa_equal((void *)&from, (void *)&c.b_client[1]));
	fake_send(&c.cb[1], &c.b_client[1], "rtcp from B!");
	ck_assert_str_eq(fake_recv(&c.ca[1], 500, &from), "rtcp from B!");

	media_relay_stats(c.a, &sa);
	media_relay_stats(c.b, &sb);
	ck_assert_uint_eq(sa.to_peer_pkts, 2);
	ck_assert_uint_eq(sa.to_peer_bytes, strlen("rtp from A") + strlen("rtcp from A"));
	ck_assert_uint_eq(sa.to_client_pkts, 2);
	ck_assert_uint_eq(sa.to_client_bytes, strlen("rtp from B") + strlen("rtcp from B!"));
	ck_assert_uint_eq(sa.rtcp_to_peer_pkts, 1);
	ck_assert_uint_eq(sa.rtcp_to_client_pkts, 1);
	ck_assert_uint_eq(sb.to_peer_pkts, 2);
	ck_assert_uint_eq(sb.to_client_pkts, 2);
	ck_assert(sa.latched[0] && sa.latched[1] && sb.latched[0] && sb.latched[1]);
	ck_assert_uint_eq(sa.drop_foreign + sa.drop_client_foreign + sa.drop_no_dest + sa.drop_send,
			  0);
	ck_assert_uint_eq(sb.drop_foreign + sb.drop_client_foreign + sb.drop_no_dest + sb.drop_send,
			  0);
	call_close(&c);
}

START_TEST(rtp_and_rtcp_cross_two_relays_both_ways_over_ipv4)
{
	both_ways("127.0.0.1");
}
END_TEST

/* the peer side is dual-stack [::]: a HIT is an IPv6 address */
START_TEST(rtp_and_rtcp_cross_two_relays_both_ways_over_ipv6)
{
	both_ways("::1");
}
END_TEST

/* RFC 3550 11: RTP on an even port, RTCP on the next one; both sides from the range */
START_TEST(ports_are_even_odd_pairs_from_the_range)
{
	struct media_relay *r = relay_udp(NULL);
	struct sockaddr_storage rtp, rtcp;
	uint16_t p[2];

	media_relay_client_addr(r, &rtp, &rtcp);
	ck_assert_uint_eq(port_of(&rtp) % 2, 0);
	ck_assert_uint_eq(port_of(&rtcp), port_of(&rtp) + 1);
	ck_assert_uint_ge(port_of(&rtp), 21000);
	ck_assert_uint_le(port_of(&rtcp), 21999);
	ck_assert_int_eq(rtp.ss_family, AF_INET);
	ck_assert_uint_eq(((struct sockaddr_in *)&rtp)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	media_relay_peer_ports(r, &p[0], &p[1]);
	ck_assert_uint_eq(p[0] % 2, 0);
	ck_assert_uint_eq(p[1], p[0] + 1);
	ck_assert_uint_ge(p[0], 21000);
	ck_assert_uint_le(p[1], 21999);
	close_all(&r, 1);
}
END_TEST

/* RFC 4961 4 style: the SDP address first, then the source of the client's first packet;
 * later packets from elsewhere are dropped */
START_TEST(client_address_latches_on_its_first_packet)
{
	struct sockaddr_storage from;
	struct media_stats st;
	struct fake other, stray;
	struct call c;

	call_setup(&c, "127.0.0.1");
	other = fake_open("127.0.0.1"); /* where A's client actually sends from */
	stray = fake_open("127.0.0.1");
	/* before A's client sent anything: the SDP address (ca[0]) */
	fake_send(&c.cb[0], &c.b_client[0], "early");
	ck_assert_str_eq(fake_recv(&c.ca[0], 500, &from), "early");
	/* A's client sends from another port: that one wins */
	fake_send(&other, &c.a_client[0], "hello");
	ck_assert_str_eq(fake_recv(&c.cb[0], 500, &from), "hello");
	fake_send(&c.cb[0], &c.b_client[0], "late");
	ck_assert_str_eq(fake_recv(&other, 500, &from), "late");
	ck_assert_str_eq(fake_recv(&c.ca[0], 50, &from), "");
	/* a third local socket is not the client */
	fake_send(&stray, &c.a_client[0], "intruder");
	ck_assert_str_eq(fake_recv(&c.cb[0], 100, &from), "");
	media_relay_stats(c.a, &st);
	ck_assert(st.latched[0] && !st.latched[1]);
	ck_assert_uint_eq(st.drop_client_foreign, 1);
	ck_assert_uint_eq(st.to_peer_pkts, 1);
	/* a new SDP (re-INVITE) starts over */
	ck_assert_int_eq(media_relay_set_client(c.a, (void *)&c.ca[0].addr, (void *)&c.ca[1].addr),
			 0);
	media_relay_stats(c.a, &st);
	ck_assert(!st.latched[0]);
	fake_send(&c.cb[0], &c.b_client[0], "again");
	ck_assert_str_eq(fake_recv(&c.ca[0], 500, &from), "again");
	close(other.fd);
	close(stray.fd);
	call_close(&c);
}
END_TEST

/* The peer side takes datagrams from the peer relay only */
START_TEST(datagrams_from_other_sources_on_the_peer_side_are_dropped)
{
	struct sockaddr_storage from, a_peer;
	struct media_stats st;
	struct fake stray;
	uint16_t ap[2];
	struct call c;

	call_setup(&c, "127.0.0.1");
	stray = fake_open("127.0.0.1");
	media_relay_peer_ports(c.a, &ap[0], &ap[1]);
	a_peer = with_port("127.0.0.1", ap[0]);
	fake_send(&stray, &a_peer, "spoofed rtp");
	a_peer = with_port("127.0.0.1", ap[1]);
	fake_send(&stray, &a_peer, "spoofed rtcp");
	ck_assert_str_eq(fake_recv(&c.ca[0], 100, &from), "");
	ck_assert_str_eq(fake_recv(&c.ca[1], 10, &from), "");
	media_relay_stats(c.a, &st);
	ck_assert_uint_eq(st.drop_foreign, 2);
	ck_assert_uint_eq(st.to_client_pkts, 0);
	/* the real peer still gets through */
	fake_send(&c.cb[0], &c.b_client[0], "real");
	ck_assert_str_eq(fake_recv(&c.ca[0], 500, &from), "real");
	close(stray.fd);
	call_close(&c);
}
END_TEST

/* Nowhere to send yet: counted, not sent */
START_TEST(datagrams_without_a_destination_are_counted)
{
	struct media_relay *r = relay_udp(NULL);
	struct sockaddr_storage rtp, rtcp;
	struct media_stats st;
	struct fake cl = fake_open("127.0.0.1");

	media_relay_client_addr(r, &rtp, &rtcp);
	fake_send(&cl, &rtp, "no peer yet");
	pump(50);
	media_relay_stats(r, &st);
	ck_assert_uint_eq(st.drop_no_dest, 1);
	ck_assert_uint_eq(st.to_peer_pkts, 0);
	ck_assert(st.latched[0]);
	close(cl.fd);
	close_all(&r, 1);
}
END_TEST

static int count_lines(const char *path, const char *ev, const char *call)
{
	char line[1024], want_ev[128], want_call[64];
	FILE *f = fopen(path, "r");
	int n = 0;

	ck_assert_ptr_nonnull(f);
	snprintf(want_ev, sizeof(want_ev), "\"ev\":\"%s\"", ev);
	snprintf(want_call, sizeof(want_call), "\"call\":\"%s\"", call);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, want_ev) && strstr(line, want_call);
	fclose(f);
	return n;
}

/* One stamp per first RTP datagram each way, per relay; RTCP stamps nothing */
START_TEST(first_rtp_stamps_are_written_once_each)
{
	static const char *const evs[] = {"media.first_rtp.from_client", "media.first_rtp.to_peer",
					  "media.first_rtp.from_peer", "media.first_rtp.to_client"};
	char path[] = "/tmp/test_media_relay_stamps_XXXXXX";
	struct sockaddr_storage from;
	struct call c;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(stamp_open(path, "t"), 0);
	call_setup(&c, "127.0.0.1");
	fake_send(&c.ca[1], &c.a_client[1], "rtcp first");
	ck_assert_str_eq(fake_recv(&c.cb[1], 500, &from), "rtcp first");
	for (int i = 0; i < 3; i++) {
		fake_send(&c.ca[0], &c.a_client[0], "a");
		ck_assert_str_eq(fake_recv(&c.cb[0], 500, &from), "a");
		fake_send(&c.cb[0], &c.b_client[0], "b");
		ck_assert_str_eq(fake_recv(&c.ca[0], 500, &from), "b");
	}
	stamp_flush();
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(count_lines(path, evs[i], "A"), 1);
		ck_assert_int_eq(count_lines(path, evs[i], "B"), 1);
	}
	call_close(&c);
	stamp_close();
	unlink(path);
}
END_TEST

/* A range with two pairs holds one relay (client pair + peer pair); the next one finds
 * every pair taken. A pair one of whose ports is in use is skipped. */
START_TEST(an_exhausted_port_range_is_an_error)
{
	struct media_config cfg = {.mode = MEDIA_UDP, .port_min = 22001, .port_max = 22005};
	struct media_relay *r, *r2;
	struct sockaddr_storage rtp, rtcp;
	uint16_t p[2];

	ck_assert_int_eq(media_relay_new(&loop, &cfg, NULL, NULL, &r), 0);
	media_relay_client_addr(r, &rtp, &rtcp);
	media_relay_peer_ports(r, &p[0], &p[1]);
	ck_assert(port_of(&rtp) == 22002 || port_of(&rtp) == 22004);
	ck_assert_uint_eq(p[0], port_of(&rtp) == 22002 ? 22004 : 22002);
	r2 = (struct media_relay *)1;
	ck_assert_int_eq(media_relay_new(&loop, &cfg, NULL, NULL, &r2), -EADDRINUSE);
	ck_assert_ptr_null(r2);
	close_all(&r, 1);
	pump(10); /* the failed relay's handles close too */

	/* 22010 taken by someone else: its pair is skipped */
	struct fake busy;
	struct sockaddr_storage a = with_port("127.0.0.1", 22010);
	busy.fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(busy.fd, (struct sockaddr *)&a, sizeof(struct sockaddr_in)), 0);
	cfg.port_min = 22010;
	cfg.port_max = 22015;
	ck_assert_int_eq(media_relay_new(&loop, &cfg, NULL, NULL, &r), 0);
	media_relay_client_addr(r, &rtp, &rtcp);
	media_relay_peer_ports(r, &p[0], &p[1]);
	ck_assert_uint_ne(port_of(&rtp), 22010);
	ck_assert_uint_ne(p[0], 22010);
	close_all(&r, 1);
	close(busy.fd);
}
END_TEST

START_TEST(bad_configurations_and_addresses_are_refused)
{
	struct media_config cfg = {.mode = MEDIA_UDP, .port_min = 22021, .port_max = 22021};
	struct sockaddr_storage none = {0}, v6 = with_port("::1", 5000);
	struct media_relay *r;

	ck_assert_int_eq(media_relay_new(&loop, &cfg, NULL, NULL, &r), -EINVAL); /* no pair */
	cfg.port_min = 22030;
	cfg.port_max = 22020;
	ck_assert_int_eq(media_relay_new(&loop, &cfg, NULL, NULL, &r), -EINVAL);
	cfg.mode = MEDIA_ICE; /* without ice_host */
	cfg.port_max = 22039;
	ck_assert_int_eq(media_relay_new(&loop, &cfg, NULL, NULL, &r), -EINVAL);
	pump(10);
	r = relay_udp(NULL);
	ck_assert_int_eq(media_relay_set_client(r, (void *)&none, (void *)&v6), -EINVAL);
	ck_assert_int_eq(media_relay_set_client(r, (void *)&v6, (void *)&v6), -EAFNOSUPPORT);
	ck_assert_int_eq(media_relay_set_peer(r, (void *)&v6, (void *)&none), -EINVAL);
	ck_assert_int_eq(media_relay_ice_remote(r, "abcd", "0123456789012345678901", NULL, 0),
			 -EOPNOTSUPP);
	ck_assert_int_eq(media_relay_ice_state(r), ICE_NEW);
	close_all(&r, 1);
}
END_TEST

/* Closing at once, before the loop ever ran, frees everything (ASan checks) */
START_TEST(a_relay_closed_at_once_is_freed)
{
	struct media_relay *r = relay_udp(NULL);

	close_all(&r, 1);
}
END_TEST

/* ---- ice mode ---- */

struct ice_side {
	struct media_relay *r;
	bool gathered;
	enum ice_state state;
	int events;
};

static void on_gathered(void *arg)
{
	struct ice_side *x = arg;

	x->gathered = true;
	x->events++;
}

static void on_ice(void *arg, enum ice_state s, const char *reason)
{
	struct ice_side *x = arg;

	(void)reason;
	x->state = s;
	x->events++;
}

static void ice_side_open(struct ice_side *x, bool controlling, const char *tag)
{
	static const struct media_callbacks cb = {.on_gathered = on_gathered, .on_ice = on_ice};
	struct media_config cfg = {.mode = MEDIA_ICE,
				   .port_min = 23000,
				   .port_max = 23999,
				   .tag = tag,
				   .controlling = controlling,
				   .ta_ms = 20};

	memset(x, 0, sizeof(*x));
	cfg.ice_host = with_port("127.0.0.1", 1);
	ck_assert_int_eq(media_relay_new(&loop, &cfg, &cb, x, &x->r), 0);
	ck_assert_int_eq(x->events, 0); /* callbacks come from the loop, never from inside */
	for (int i = 0; i < 2000 && !x->gathered; i++)
		pump(1);
	ck_assert(x->gathered);
}

/* The B2BUA's part: our candidates into an SDP, serialized, parsed at the other end, read
 * back (RFC 8839 4.3.1, 4.3.2). */
static void offer_through_sdp(const struct ice_side *from, struct ice_side *to)
{
	static const char offer[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
				    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 16000 RTP/AVP 0\r\n"
				    "a=rtcp:16001\r\n";
	struct ice_cand c[SDP_MAX_CANDS];
	const char *ufrag, *pwd;
	static char text[8192];
	struct sdp_audio au;
	struct sdp_ice ice;
	struct sdp *s;
	uint16_t p[2];
	int n;

	n = media_relay_ice_local(from->r, &ufrag, &pwd, c, SDP_MAX_CANDS);
	ck_assert_int_ge(n, 2);
	ck_assert_int_eq(sdp_parse(offer, strlen(offer), &s), 0);
	ck_assert_int_eq(sdp_ice_set(s, ufrag, pwd, c, (size_t)n), 0);
	ck_assert_int_gt(sdp_serialize(s, text, sizeof(text)), 0);
	sdp_free(s);

	ck_assert_int_eq(sdp_parse(text, strlen(text), &s), 0);
	ck_assert_int_eq(sdp_audio_get(s, &au), 0);
	media_relay_peer_ports(from->r, &p[0], &p[1]); /* 4.2.1.2: m= is the default candidate */
	ck_assert_uint_eq(port_of(&au.rtp), p[0]);
	ck_assert_uint_eq(port_of(&au.rtcp), p[1]);
	ck_assert_int_eq(sdp_ice_get(s, &ice), 0);
	ck_assert_uint_eq(ice.n_cands, (size_t)n);
	ck_assert_int_eq(media_relay_ice_remote(to->r, ice.ufrag, ice.pwd, ice.cands, ice.n_cands),
			 0);
	sdp_free(s);
}

/* RFC 8445 with RFC 8839: the relays run ICE for RTP (component 1) and RTCP (2), then
 * carry the clients' datagrams on the selected pairs */
START_TEST(ice_mode_relays_connect_through_sdp_and_carry_media)
{
	struct ice_side a, b;
	struct fake ca[2], cb[2];
	struct sockaddr_storage a_client[2], b_client[2], from;
	struct media_stats st;
	struct media_relay *r[2];

	ice_side_open(&a, true, "A");
	ice_side_open(&b, false, "B");
	offer_through_sdp(&a, &b); /* the INVITE's offer */
	offer_through_sdp(&b, &a); /* the 200's answer */
	for (int i = 0; i < 5000 && (a.state != ICE_CONNECTED || b.state != ICE_CONNECTED); i++)
		pump(1);
	ck_assert_int_eq(a.state, ICE_CONNECTED);
	ck_assert_int_eq(b.state, ICE_CONNECTED);
	ck_assert_int_eq(media_relay_ice_state(a.r), ICE_CONNECTED);

	for (int i = 0; i < 2; i++) {
		ca[i] = fake_open("127.0.0.1");
		cb[i] = fake_open("127.0.0.1");
	}
	media_relay_client_addr(a.r, &a_client[0], &a_client[1]);
	media_relay_client_addr(b.r, &b_client[0], &b_client[1]);
	ck_assert_int_eq(media_relay_set_client(a.r, (void *)&ca[0].addr, (void *)&ca[1].addr), 0);
	ck_assert_int_eq(media_relay_set_client(b.r, (void *)&cb[0].addr, (void *)&cb[1].addr), 0);
	fake_send(&ca[0], &a_client[0], "ice rtp A");
	ck_assert_str_eq(fake_recv(&cb[0], 500, &from), "ice rtp A");
	fake_send(&cb[0], &b_client[0], "ice rtp B");
	ck_assert_str_eq(fake_recv(&ca[0], 500, &from), "ice rtp B");
	fake_send(&ca[1], &a_client[1], "ice rtcp A");
	ck_assert_str_eq(fake_recv(&cb[1], 500, &from), "ice rtcp A");
	fake_send(&cb[1], &b_client[1], "ice rtcp B");
	ck_assert_str_eq(fake_recv(&ca[1], 500, &from), "ice rtcp B");
	media_relay_stats(a.r, &st);
	ck_assert_uint_eq(st.to_peer_pkts, 2);
	ck_assert_uint_eq(st.to_client_pkts, 2);
	ck_assert_uint_eq(st.rtcp_to_peer_pkts, 1);
	ck_assert_uint_eq(st.drop_foreign + st.drop_no_dest + st.drop_send, 0);
	ck_assert_int_eq(media_relay_set_peer(a.r, (void *)&from, (void *)&from), -EOPNOTSUPP);

	r[0] = a.r;
	r[1] = b.r;
	close_all(r, 2);
	for (int i = 0; i < 2; i++) {
		close(ca[i].fd);
		close(cb[i].fd);
	}
}
END_TEST

/* Before ICE has a pair, the client's datagrams have nowhere to go */
START_TEST(ice_mode_drops_client_media_before_a_pair_is_selected)
{
	struct sockaddr_storage rtp, rtcp;
	struct media_stats st;
	struct ice_side a;
	struct fake cl;

	ice_side_open(&a, true, "A");
	cl = fake_open("127.0.0.1");
	media_relay_client_addr(a.r, &rtp, &rtcp);
	fake_send(&cl, &rtp, "too early");
	pump(50);
	media_relay_stats(a.r, &st);
	ck_assert_uint_eq(st.drop_no_dest, 1);
	close(cl.fd);
	close_all(&a.r, 1);
}
END_TEST

static void setup(void)
{
	ck_assert_int_eq(uv_loop_init(&loop), 0);
}

static void teardown(void)
{
	pump(5);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}

int main(void)
{
	Suite *s = suite_create("media_relay");
	TCase *tc = tcase_create("udp");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rtp_and_rtcp_cross_two_relays_both_ways_over_ipv4);
	tcase_add_test(tc, rtp_and_rtcp_cross_two_relays_both_ways_over_ipv6);
	tcase_add_test(tc, ports_are_even_odd_pairs_from_the_range);
	tcase_add_test(tc, client_address_latches_on_its_first_packet);
	tcase_add_test(tc, datagrams_from_other_sources_on_the_peer_side_are_dropped);
	tcase_add_test(tc, datagrams_without_a_destination_are_counted);
	tcase_add_test(tc, first_rtp_stamps_are_written_once_each);
	tcase_add_test(tc, an_exhausted_port_range_is_an_error);
	tcase_add_test(tc, bad_configurations_and_addresses_are_refused);
	tcase_add_test(tc, a_relay_closed_at_once_is_freed);
	suite_add_tcase(s, tc);
	tc = tcase_create("ice");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, ice_mode_relays_connect_through_sdp_and_carry_media);
	tcase_add_test(tc, ice_mode_drops_client_media_before_a_pair_is_selected);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
