/* Unit tests of p2psipd's B2BUA (plain mode): two overlay nodes and two B2BUAs in one libuv loop
 * on 127.0.0.1, fake SIP clients on UDP sockets: REGISTER and the overlay record, calls end to
 * end (180/200/ACK/BYE, SDP rewritten, RTP through both relays), 404, 408/480, CANCEL,
 * re-INVITE, malformed SIP, the media timeout, stop and close ending calls with BYE; ice mode's
 * basic call (SIP over an ICE flow set up by a P2PP Connect, RTP through both ICE relays, a second
 * call on the same flow). Not hip mode (the lab's) and not the transaction layer's timers. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/hostid.h"
#include "common/stamp.h"
#include "p2psipd/overlay/overlay.h"
#include "p2psipd/p2pp/p2pp_msg.h"
#include "p2psipd/sip/b2bua.h"
#include "p2psipd/sip/ovl_dir.h"
#include "p2psipd/media/relay.h"
#include "p2psipd/sip/sdp.h"
#include "p2psipd/store/aor.h"

#define T1_MS	   20
#define TIMER_C_MS 1500
#define WAIT_MS	   8000
#define MAXQ	   64

/* ---- the rig: two nodes, each an overlay node and a B2BUA ---- */

struct side {
	struct hostid *id;
	struct ovl_node *node;
	struct ovl_dir dir;
	struct b2bua b;
	bool open;
};

static uv_loop_t loop;
static struct side sides[2];
static bool ice_rig; /* the sides run ice mode (overlay links and the B2BUA) */

/* Both B2BUAs use one address; peers differ by port, so SIP to a HIT goes to that side's
 * socket (the daemon uses the same port everywhere and the overlay's address). */
static int test_peer_addr(void *arg, const struct in6_addr *hit, struct sockaddr_storage *out)
{
	(void)arg;
	for (int i = 0; i < 2; i++) {
		if (sides[i].open && memcmp(hit, &sides[i].id->hit, 16) == 0) {
			struct sockaddr_in *a = (struct sockaddr_in *)out;
			memset(out, 0, sizeof(*out));
			a->sin_family = AF_INET;
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			a->sin_port = htons(b2bua_peer_port(&sides[i].b));
			return 0;
		}
	}
	return -ENOENT;
}

static void on_deadline(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/* Runs the loop for ms, or until cond(arg) holds. */
static bool run_until(bool (*cond)(void *), void *arg, unsigned ms)
{
	uv_timer_t t;
	bool over = false;

	uv_timer_init(&loop, &t);
	t.data = &over;
	uv_timer_start(&t, on_deadline, ms, 0);
	while (!over && !(cond && cond(arg))) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return !over || (cond && cond(arg));
}

static bool both_joined(void *arg)
{
	(void)arg;
	return ovl_get_state(sides[0].node) == OVL_JOINED &&
	       ovl_get_state(sides[1].node) == OVL_JOINED && ovl_ring(sides[0].node)->nsucc > 0 &&
	       ovl_ring(sides[1].node)->nsucc > 0;
}

static void side_open(int i)
{
	struct side *s = &sides[i];
	struct ovl_config oc = {.loop = &loop, .mode = ice_rig ? LINK_ICE : LINK_PLAIN};
	struct b2bua_config bc = {.loop = &loop, .mode = ice_rig ? B2BUA_ICE : B2BUA_PLAIN};
	struct sockaddr_in *a;

	ck_assert_int_eq(hostid_generate(HOSTID_ECDSA_P256, 0, &s->id), 0);
	oc.id = s->id;
	a = (struct sockaddr_in *)&oc.listen;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	oc.stabilize_ms = 100;
	oc.fix_ms = 20;
	oc.timing.t0_ms = 50;
	oc.timing.t2_ms = ice_rig ? 2000 : 300; /* ice: first datagrams wait for a link's ICE */
	if (i > 0) {
		oc.has_bootstrap = true;
		link_local_addr(ovl_link(sides[0].node), &oc.bootstrap);
	}
	ck_assert_int_eq(ovl_start(&oc, &s->node), 0);
	s->dir.node = s->node;
	s->dir.id = s->id;
	s->dir.mode = bc.mode;
	ovl_dir_ops(&s->dir, &bc.dir);
	if (!ice_rig)
		bc.dir.peer_addr = test_peer_addr;
	bc.clients.addr = "127.0.0.1";
	a = (struct sockaddr_in *)&bc.peer_listen;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bc.self_addr = bc.peer_listen;
	bc.self_hit = s->id->hit;
	if (ice_rig) { /* as main.c: our HIT in Via and SDP; flows and relays on 127.0.0.1 */
		struct sockaddr_in6 *h = (struct sockaddr_in6 *)&bc.self_addr;
		memset(&bc.self_addr, 0, sizeof(bc.self_addr));
		h->sin6_family = AF_INET6;
		h->sin6_addr = s->id->hit;
		bc.node = s->node;
		bc.ice_host = bc.peer_listen;
		bc.ice_ta_ms = 5;
	}
	bc.timer_c_ms = TIMER_C_MS;
	bc.tm.t1_ms = T1_MS;
	bc.tm.t2_ms = 8 * T1_MS;
	bc.tm.t4_ms = 10 * T1_MS;
	bc.tm.d_ms = 12 * T1_MS;
	ck_assert_int_eq(b2bua_open(&s->b, &bc), 0);
	s->open = true;
}

static void side_close(int i)
{
	if (sides[i].open)
		b2bua_close(&sides[i].b);
	sides[i].open = false;
}

static void setup(void)
{
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	memset(sides, 0, sizeof(sides));
	side_open(0);
	side_open(1);
	ck_assert_msg(run_until(both_joined, NULL, 15000), "the two nodes did not join");
}

static void setup_ice(void)
{
	if (getenv("B2BUA_STAMPS")) /* debugging: the event stamps to that file */
		stamp_open(getenv("B2BUA_STAMPS"), "test");
	ice_rig = true;
	setup();
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++) {
		side_close(i);
		ovl_close(sides[i].node);
	}
	run_until(NULL, NULL, 100);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	for (int i = 0; i < 2; i++)
		hostid_free(sides[i].id);
	ice_rig = false;
}

/* ---- fake SIP clients: a UDP socket for SIP and one for RTP ---- */

struct cl {
	int fd, rtp;
	bool tcp; /* fd is a TCP connection to the proxy */
	uint8_t stream[65536];
	size_t slen;
	uint16_t port, rtp_port;
	uint16_t proxy; /* its B2BUA's client port */
	osip_message_t *q[MAXQ];
	unsigned nq;
	char tag[SIP_TAG_SIZE];
	unsigned cseq;
};

static int udp_socket(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void cl_open(struct cl *c, int side)
{
	memset(c, 0, sizeof(*c));
	c->fd = udp_socket(&c->port);
	c->rtp = udp_socket(&c->rtp_port);
	c->proxy = b2bua_client_port(&sides[side].b);
	sip_new_tag(c->tag, sizeof(c->tag));
	c->cseq = 1;
}

/* A client on TCP: one connection to its proxy carries everything (RFC 3261 18.3). */
static void cl_open_tcp(struct cl *c, int side)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);

	cl_open(c, side);
	close(c->fd);
	c->tcp = true;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(c->fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(c->proxy);
	ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(c->fd, (struct sockaddr *)&a, &len), 0);
	c->port = ntohs(a.sin_port);
}

static void cl_close(struct cl *c)
{
	close(c->fd);
	close(c->rtp);
	for (unsigned i = 0; i < c->nq; i++)
		sip_msg_free(c->q[i]);
	c->nq = 0;
}

static void send_to(int fd, uint16_t port, const void *buf, size_t len)
{
	int type = 0;
	socklen_t tl = sizeof(type);

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
	if (type == SOCK_STREAM) {
		ck_assert_int_eq(send(fd, buf, len, 0), (ssize_t)len);
		return;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)len);
}

/* Sends headers (lines ending in \n, turned into CRLF) and a body. */
static void cl_send(struct cl *c, const char *body, const char *fmt, ...)
{
	char head[4096], msg[8192];
	size_t n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	for (const char *p = head; *p && n < sizeof(msg) - 2; p++) {
		if (*p == '\n')
			msg[n++] = '\r';
		msg[n++] = *p;
	}
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%sContent-Length: %zu\r\n\r\n%s",
			      body ? "Content-Type: application/sdp\r\n" : "",
			      body ? strlen(body) : 0, body ? body : "");
	send_to(c->fd, c->proxy, msg, n);
}

static void cl_send_msg(struct cl *c, osip_message_t *m)
{
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(sip_msg_to_bytes(m, &buf, &len), 0);
	send_to(c->fd, c->proxy, buf, len);
	free(buf);
}

static void cl_read(struct cl *c)
{
	uint8_t buf[65536];
	ssize_t n;

	if (c->tcp) {
		size_t ml;
		n = recv(c->fd, c->stream + c->slen, sizeof(c->stream) - c->slen, MSG_DONTWAIT);
		if (n > 0)
			c->slen += (size_t)n;
		while (c->slen && sip_msg_frame(c->stream, c->slen, sizeof(c->stream), &ml) == 0) {
			osip_message_t *m = NULL;
			ck_assert_int_eq(sip_msg_parse(c->stream, ml, &m, NULL), 0);
			ck_assert_uint_lt(c->nq, MAXQ);
			c->q[c->nq++] = m;
			memmove(c->stream, c->stream + ml, c->slen - ml);
			c->slen -= ml;
		}
		return;
	}
	while ((n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		osip_message_t *m = NULL;
		const char *why = NULL;
		ck_assert_msg(sip_msg_parse(buf, (size_t)n, &m, &why) == 0,
			      "the B2BUA sent malformed SIP: %s", why);
		ck_assert_uint_lt(c->nq, MAXQ);
		c->q[c->nq++] = m;
	}
}

struct want {
	struct cl *c;
	const char *method; /* a request, or NULL for a response */
	int status;	    /* a response with this status (0: any final) */
	osip_message_t *got;
};

static bool find(void *arg)
{
	struct want *w = arg;

	cl_read(w->c);
	for (unsigned i = 0; i < w->c->nq; i++) {
		osip_message_t *m = w->c->q[i];
		bool ok =
		    w->method
			? sip_msg_is_request(m) && strcmp(sip_msg_method(m), w->method) == 0
			: !sip_msg_is_request(m) && (w->status ? sip_msg_status(m) == w->status
							       : sip_msg_status(m) >= 200);
		if (!ok)
			continue;
		w->got = m;
		memmove(&w->c->q[i], &w->c->q[i + 1], (w->c->nq - i - 1) * sizeof(m));
		w->c->nq--;
		return true;
	}
	return false;
}

/* The next request with method, or response with status (0: any final); fails after ms. */
static osip_message_t *expect(struct cl *c, const char *method, int status, unsigned ms)
{
	struct want w = {.c = c, .method = method, .status = status};

	ck_assert_msg(run_until(find, &w, ms), "no %s %d came", method ? method : "response",
		      status);
	return w.got;
}

static int final_status(struct cl *c, unsigned ms)
{
	osip_message_t *m = expect(c, NULL, 0, ms);
	int s = sip_msg_status(m);

	sip_msg_free(m);
	return s;
}

/* A response of c to a request it received (to_tag given), with Contact and SDP. */
static void cl_answer(struct cl *c, const osip_message_t *req, int status, const char *body)
{
	osip_message_t *r = NULL;
	char contact[64];

	ck_assert_int_eq(sip_msg_response(req, status, NULL, c->tag, &r), 0);
	snprintf(contact, sizeof(contact), "<sip:c@127.0.0.1:%u>", c->port);
	if (status > 100 && status < 300)
		osip_message_set_contact(r, contact);
	if (body)
		sip_msg_set_body(r, "application/sdp", body, strlen(body));
	cl_send_msg(c, r);
	sip_msg_free(r);
}

static int cl_register(struct cl *c, const char *user, unsigned expires)
{
	char branch[SIP_BRANCH_SIZE];

	sip_new_branch(branch, sizeof(branch));
	cl_send(c, NULL,
		"REGISTER sip:hipsip SIP/2.0\n"
		"Via: SIP/2.0/%s 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 70\n"
		"From: <sip:%s@hipsip>;tag=%s\n"
		"To: <sip:%s@hipsip>\n"
		"Call-ID: reg-%s-%u\n"
		"CSeq: %u REGISTER\n"
		"Contact: <sip:%s@127.0.0.1:%u>\n"
		"Expires: %u\n",
		c->tcp ? "TCP" : "UDP", c->port, branch, user, c->tag, user, user, c->port,
		c->cseq++, user, c->port, expires);
	return final_status(c, WAIT_MS);
}

static char sdp_buf[512];

static const char *sdp_for(struct cl *c, unsigned version)
{
	snprintf(sdp_buf, sizeof(sdp_buf),
		 "v=0\r\no=- 1 %u IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
		 version, c->rtp_port);
	return sdp_buf;
}

/* The caller's dialog state. */
struct dlg {
	char call_id[64], branch[SIP_BRANCH_SIZE], to_tag[64], target[128];
	unsigned cseq;
};

static void cl_invite(struct cl *c, struct dlg *d, const char *callee, const char *body)
{
	snprintf(d->call_id, sizeof(d->call_id), "call-%s", c->tag);
	sip_new_branch(d->branch, sizeof(d->branch));
	d->cseq = c->cseq++;
	cl_send(c, body,
		"INVITE sip:%s@hipsip SIP/2.0\n"
		"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 70\n"
		"Route: <sip:127.0.0.1:%u;lr>\n"
		"From: <sip:alice@hipsip>;tag=%s\n"
		"To: <sip:%s@hipsip>\n"
		"Call-ID: %s\n"
		"CSeq: %u INVITE\n"
		"Contact: <sip:alice@127.0.0.1:%u>\n",
		callee, c->port, d->branch, c->proxy, c->tag, callee, d->call_id, d->cseq, c->port);
}

/* An in-dialog request of the caller (ACK: the INVITE's CSeq). */
static void cl_in_dialog(struct cl *c, struct dlg *d, const char *method, const char *body)
{
	char branch[SIP_BRANCH_SIZE];
	unsigned cseq = strcmp(method, "ACK") == 0 ? d->cseq : c->cseq++;

	sip_new_branch(branch, sizeof(branch));
	if (strcmp(method, "INVITE") == 0)
		d->cseq = cseq;
	cl_send(c, body,
		"%s %s SIP/2.0\n"
		"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 70\n"
		"From: <sip:alice@hipsip>;tag=%s\n"
		"To: <sip:bob@hipsip>;tag=%s\n"
		"Call-ID: %s\n"
		"CSeq: %u %s\n"
		"Contact: <sip:alice@127.0.0.1:%u>\n",
		method, d->target, c->port, branch, c->tag, d->to_tag, d->call_id, cseq, method,
		c->port);
}

static void dlg_from_2xx(struct dlg *d, const osip_message_t *ok)
{
	const osip_contact_t *ct = osip_list_get(&ok->contacts, 0);
	char *s = NULL;

	snprintf(d->to_tag, sizeof(d->to_tag), "%s", sip_msg_to_tag(ok));
	ck_assert_ptr_nonnull(ct);
	ck_assert_int_eq(osip_uri_to_str(ct->url, &s), 0);
	snprintf(d->target, sizeof(d->target), "%s", s);
	osip_free(s);
}

static void sdp_of(const osip_message_t *m, struct sdp_audio *au)
{
	const char *body;
	size_t len;
	struct sdp *s = NULL;

	ck_assert_int_eq(sip_msg_body(m, &body, &len), 0);
	ck_assert_int_eq(sdp_parse(body, len, &s), 0);
	ck_assert_int_eq(sdp_audio_get(s, au), 0);
	sdp_free(s);
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* ---- the tests ---- */

struct got {
	bool done;
	int err;
	unsigned n;
	struct in6_addr hit;
};

static void on_got(void *arg, const struct ovl_result *r)
{
	struct got *g = arg;
	struct aor_record rec;

	g->done = true;
	g->err = r->err;
	g->n = r->n_values;
	if (r->n_values && aor_parse(r->values[0].p, r->values[0].len, &rec) == 0)
		g->hit = rec.hit;
}

static bool got_done(void *arg)
{
	return ((struct got *)arg)->done;
}

static struct got overlay_get(int side, const char *aor)
{
	struct got g = {0};
	struct chord_id key;

	ck_assert_int_eq(aor_key(aor, &key), 0);
	ck_assert_int_eq(ovl_get(sides[side].node, &key, P2PP_CT_USER_INFO, on_got, &g), 0);
	ck_assert(run_until(got_done, &g, WAIT_MS));
	return g;
}

/* RFC 3261 10.3: REGISTER binds the AOR; we publish the signed AOR -> HIT record */
START_TEST(register_puts_the_signed_record_and_answers_200_with_the_contact)
{
	struct cl a;
	struct got g;

	cl_open(&a, 0);
	ck_assert_int_eq(cl_register(&a, "alice", 60), 200);
	g = overlay_get(1, "sip:alice@hipsip");
	ck_assert_int_eq(g.err, 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_mem_eq(&g.hit, &sides[0].id->hit, 16);
	/* Expires 0 removes the binding and the record (10.3 step 7) */
	ck_assert_int_eq(cl_register(&a, "alice", 0), 200);
	run_until(NULL, NULL, 300);
	g = overlay_get(1, "sip:alice@hipsip");
	ck_assert_int_eq(g.err, -ENOENT);
	cl_close(&a);
}
END_TEST

/* first come, first served (store.h): another node's REGISTER of a held AOR gets 403 */
START_TEST(register_of_an_aor_another_node_holds_gets_403)
{
	struct cl a, b;

	cl_open(&a, 0);
	cl_open(&b, 1);
	ck_assert_int_eq(cl_register(&a, "alice", 60), 200);
	ck_assert_int_eq(cl_register(&b, "alice", 60), 403);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

static void call_setup(struct cl *a, struct cl *b, struct dlg *d, osip_message_t **inv_b)
{
	osip_message_t *m;
	struct sdp_audio au;

	cl_open(a, 0);
	cl_open(b, 1);
	ck_assert_int_eq(cl_register(a, "alice", 60), 200);
	ck_assert_int_eq(cl_register(b, "bob", 60), 200);
	cl_invite(a, d, "bob", sdp_for(a, 1));
	*inv_b = m = expect(b, "INVITE", 0, WAIT_MS);
	/* the callee's SDP points at its own p2psipd's relay, not at the caller */
	sdp_of(m, &au);
	ck_assert_uint_ne(port_of(&au.rtp), a->rtp_port);
	ck_assert_uint_ge(port_of(&au.rtp), MEDIA_PORT_MIN);
	ck_assert_uint_le(port_of(&au.rtp), MEDIA_PORT_MAX);
	ck_assert_ptr_null(sip_msg_to_tag(m));
	/* RFC 3261 16.6 step 3: one hop less at each p2psipd */
	ck_assert_str_eq(sip_msg_header(m, "max-forwards"), "68");
}

static bool rtp_arrived(void *arg)
{
	int fd = *(int *)arg;
	char buf[2048];

	return recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0;
}

/* RFC 3261 13, 15 through the B2BUA: 180, 200 with SDP, ACK, RTP both ways, BYE */
START_TEST(a_call_flows_end_to_end_with_rewritten_sdp_and_rtp_through_both_relays)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv, *m;
	struct sdp_audio au;
	uint8_t rtp[172] = {0x80, 0x00};

	call_setup(&a, &b, &d, &inv);
	cl_answer(&b, inv, 180, NULL);
	m = expect(&a, NULL, 180, WAIT_MS);
	ck_assert_str_eq(sip_msg_to_tag(m) ? "tag" : "none", "tag");
	sip_msg_free(m);
	cl_answer(&b, inv, 200, sdp_for(&b, 1));
	m = expect(&a, NULL, 200, WAIT_MS);
	dlg_from_2xx(&d, m);
	sdp_of(m, &au);
	ck_assert_uint_ne(port_of(&au.rtp), b.rtp_port);
	sip_msg_free(m);
	cl_in_dialog(&a, &d, "ACK", NULL);
	sip_msg_free(expect(&b, "ACK", 0, WAIT_MS));
	/* RTP: caller -> its relay -> callee's relay -> callee, and back */
	send_to(a.rtp, port_of(&au.rtp), rtp, sizeof(rtp));
	ck_assert_msg(run_until(rtp_arrived, &b.rtp, WAIT_MS), "RTP did not reach the callee");
	{
		struct sdp_audio bu;
		sdp_of(inv, &bu);
		send_to(b.rtp, port_of(&bu.rtp), rtp, sizeof(rtp));
		ck_assert_msg(run_until(rtp_arrived, &a.rtp, WAIT_MS),
			      "RTP did not reach the caller");
	}
	cl_in_dialog(&a, &d, "BYE", NULL);
	m = expect(&b, "BYE", 0, WAIT_MS);
	cl_answer(&b, m, 200, NULL);
	sip_msg_free(m);
	ck_assert_int_eq(final_status(&a, WAIT_MS), 200);
	ck_assert_uint_eq(sides[0].b.n_calls, 0);
	run_until(NULL, NULL, 100);
	ck_assert_uint_eq(sides[1].b.n_calls, 0);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* the callee hangs up: its BYE reaches the caller */
START_TEST(a_bye_from_the_callee_reaches_the_caller)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv, *m;
	char branch[SIP_BRANCH_SIZE];

	call_setup(&a, &b, &d, &inv);
	cl_answer(&b, inv, 200, sdp_for(&b, 1));
	m = expect(&a, NULL, 200, WAIT_MS);
	dlg_from_2xx(&d, m);
	sip_msg_free(m);
	cl_in_dialog(&a, &d, "ACK", NULL);
	sip_msg_free(expect(&b, "ACK", 0, WAIT_MS));
	/* bob's BYE: From bob with his tag, To the B2BUA's leg with its tag */
	sip_new_branch(branch, sizeof(branch));
	{
		char cid[128], *from = NULL, *contact = NULL;
		const osip_contact_t *ct = osip_list_get(&inv->contacts, 0);
		sip_msg_call_id(inv, cid, sizeof(cid));
		osip_uri_to_str(ct->url, &contact);
		osip_uri_to_str(inv->from->url, &from);
		cl_send(&b, NULL,
			"BYE %s SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
			"Max-Forwards: 70\nFrom: <sip:bob@hipsip>;tag=%s\nTo: <%s>;tag=%s\n"
			"Call-ID: %s\nCSeq: 1 BYE\n",
			contact, b.port, branch, b.tag, from, sip_msg_from_tag(inv), cid);
		osip_free(from);
		osip_free(contact);
	}
	m = expect(&a, "BYE", 0, WAIT_MS);
	cl_answer(&a, m, 200, NULL);
	sip_msg_free(m);
	ck_assert_int_eq(final_status(&b, WAIT_MS), 200);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* RFC 3261 18.3: a client on TCP registers and is called on its connection */
START_TEST(a_tcp_client_registers_and_gets_its_calls_on_its_connection)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv, *m;

	cl_open(&a, 0);
	cl_open_tcp(&b, 1);
	ck_assert_int_eq(cl_register(&b, "bob", 60), 200);
	cl_invite(&a, &d, "bob", sdp_for(&a, 1));
	inv = expect(&b, "INVITE", 0, WAIT_MS);
	ck_assert_ptr_nonnull(
	    strstr(((osip_via_t *)osip_list_get(&inv->vias, 0))->protocol, "TCP"));
	cl_answer(&b, inv, 200, sdp_for(&b, 1));
	m = expect(&a, NULL, 200, WAIT_MS);
	dlg_from_2xx(&d, m);
	sip_msg_free(m);
	cl_in_dialog(&a, &d, "ACK", NULL);
	sip_msg_free(expect(&b, "ACK", 0, WAIT_MS));
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* RFC 3261 21.4.5: an AOR that is in no record */
START_TEST(calling_an_unknown_aor_gives_404)
{
	struct cl a;
	struct dlg d;

	cl_open(&a, 0);
	cl_invite(&a, &d, "nobody", sdp_for(&a, 1));
	ck_assert_int_eq(final_status(&a, WAIT_MS), 404);
	ck_assert_uint_eq(sides[0].b.n_calls, 0);
	cl_close(&a);
}
END_TEST

/* a callee client that never answers: the INVITE times out (timer B, 17.1.1.2) or Timer C
 * cancels it (16.6 step 11): 408 either way, and no transaction is left hanging */
START_TEST(a_callee_that_never_answers_gives_408)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv;

	call_setup(&a, &b, &d, &inv);
	ck_assert_int_eq(final_status(&a, 64 * T1_MS + TIMER_C_MS + 2000), 408);
	run_until(NULL, NULL, 200);
	ck_assert_uint_eq(sides[0].b.n_calls, 0);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* the callee's p2psipd is gone: nothing answers the INVITE on the peer leg */
START_TEST(a_callee_host_that_is_gone_gives_408_or_480)
{
	struct cl a, b;
	struct dlg d;
	int s;

	cl_open(&a, 0);
	cl_open(&b, 1);
	ck_assert_int_eq(cl_register(&b, "bob", 60), 200);
	sides[1].b.cfg.dir.unpublish = NULL; /* a crash: the record stays in the overlay */
	side_close(1);
	cl_invite(&a, &d, "bob", sdp_for(&a, 1));
	s = final_status(&a, 64 * T1_MS + TIMER_C_MS + 2000);
	ck_assert_msg(s == 408 || s == 480, "got %d", s);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* RFC 3261 10.3 step 7 and 10.2.1: an expired binding: the callee's p2psipd answers 480 */
START_TEST(calling_an_expired_registration_gives_480)
{
	struct cl a, b;
	struct dlg d;

	cl_open(&a, 0);
	cl_open(&b, 1);
	ck_assert_int_eq(cl_register(&b, "bob", 1), 200);
	run_until(NULL, NULL, 2500);
	cl_invite(&a, &d, "bob", sdp_for(&a, 1));
	/* the overlay record may be gone already (404) or not yet (the callee's 480) */
	{
		int s = final_status(&a, WAIT_MS);
		ck_assert_msg(s == 480 || s == 404, "got %d", s);
	}
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* RFC 3261 9.2: CANCEL gets 200, the INVITE 487, and the callee a CANCEL */
START_TEST(cancel_from_the_caller_gives_487_and_cancels_the_callee)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv, *m;

	call_setup(&a, &b, &d, &inv);
	cl_answer(&b, inv, 180, NULL);
	sip_msg_free(expect(&a, NULL, 180, WAIT_MS));
	cl_send(&a, NULL,
		"CANCEL sip:bob@hipsip SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 70\nFrom: <sip:alice@hipsip>;tag=%s\nTo: <sip:bob@hipsip>\n"
		"Call-ID: %s\nCSeq: %u CANCEL\n",
		a.port, d.branch, a.tag, d.call_id, d.cseq);
	ck_assert_int_eq(final_status(&a, WAIT_MS), 200);
	ck_assert_int_eq(final_status(&a, WAIT_MS), 487);
	m = expect(&b, "CANCEL", 0, WAIT_MS);
	cl_answer(&b, m, 200, NULL);
	cl_answer(&b, inv, 487, NULL);
	sip_msg_free(m);
	run_until(NULL, NULL, 300);
	ck_assert_uint_eq(sides[0].b.n_calls, 0);
	ck_assert_uint_eq(sides[1].b.n_calls, 0);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* RFC 3261 9.1, 15: the callee's 200 crosses the CANCEL: the callee gets an ACK and a BYE */
START_TEST(a_200_crossing_the_cancel_gets_ack_and_bye)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv, *m;

	call_setup(&a, &b, &d, &inv);
	cl_answer(&b, inv, 180, NULL);
	sip_msg_free(expect(&a, NULL, 180, WAIT_MS));
	cl_send(&a, NULL,
		"CANCEL sip:bob@hipsip SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 70\nFrom: <sip:alice@hipsip>;tag=%s\nTo: <sip:bob@hipsip>\n"
		"Call-ID: %s\nCSeq: %u CANCEL\n",
		a.port, d.branch, a.tag, d.call_id, d.cseq);
	ck_assert_int_eq(final_status(&a, WAIT_MS), 200);
	ck_assert_int_eq(final_status(&a, WAIT_MS), 487);
	m = expect(&b, "CANCEL", 0, WAIT_MS);
	cl_answer(&b, inv, 200, sdp_for(&b, 1)); /* the 200 was on its way */
	cl_answer(&b, m, 481, NULL);
	sip_msg_free(m);
	sip_msg_free(expect(&b, "ACK", 0, WAIT_MS));
	m = expect(&b, "BYE", 0, WAIT_MS);
	ck_assert_str_eq(sip_msg_to_tag(m), b.tag);
	cl_answer(&b, m, 200, NULL);
	sip_msg_free(m);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* RFC 3261 14: a re-INVITE with a new SDP goes through, rewritten again */
START_TEST(a_reinvite_reaches_the_callee_with_rewritten_sdp)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv, *m;
	struct sdp_audio au;

	call_setup(&a, &b, &d, &inv);
	cl_answer(&b, inv, 200, sdp_for(&b, 1));
	m = expect(&a, NULL, 200, WAIT_MS);
	dlg_from_2xx(&d, m);
	sip_msg_free(m);
	cl_in_dialog(&a, &d, "ACK", NULL);
	sip_msg_free(expect(&b, "ACK", 0, WAIT_MS));
	cl_in_dialog(&a, &d, "INVITE", sdp_for(&a, 2));
	m = expect(&b, "INVITE", 0, WAIT_MS);
	ck_assert_ptr_nonnull(sip_msg_to_tag(m)); /* in the dialog */
	sdp_of(m, &au);
	ck_assert_uint_ne(port_of(&au.rtp), a.rtp_port);
	cl_answer(&b, m, 200, sdp_for(&b, 2));
	sip_msg_free(m);
	m = expect(&a, NULL, 200, WAIT_MS);
	sdp_of(m, &au);
	sip_msg_free(m);
	cl_in_dialog(&a, &d, "ACK", NULL);
	sip_msg_free(expect(&b, "ACK", 0, WAIT_MS));
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* RFC 3261 8.2 / 21.4.1: a malformed request gets 400 with the parser's reason */
START_TEST(a_malformed_request_gets_400)
{
	struct cl a;
	char branch[SIP_BRANCH_SIZE];
	osip_message_t *m;

	cl_open(&a, 0);
	sip_new_branch(branch, sizeof(branch));
	/* the CSeq method differs from the request's (8.1.1.5) */
	cl_send(&a, NULL,
		"INVITE sip:bob@hipsip SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 70\nFrom: <sip:alice@hipsip>;tag=x1\nTo: <sip:bob@hipsip>\n"
		"Call-ID: bad-1\nCSeq: 1 BYE\n",
		a.port, branch);
	m = expect(&a, NULL, 400, WAIT_MS);
	ck_assert_ptr_nonnull(m->reason_phrase);
	sip_msg_free(m);
	/* the same from a peer p2psipd */
	{
		uint16_t port;
		int fd = udp_socket(&port);
		char bad[512];
		int n = snprintf(bad, sizeof(bad),
				 "INVITE sip:bob@hipsip SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;"
				 "branch=z9hG4bKpeer1\r\nFrom: <sip:a@hipsip>;tag=1\r\n"
				 "To: <sip:bob@hipsip>\r\nCall-ID: bad-2\r\nCSeq: 1 BYE\r\n"
				 "Content-Length: 0\r\n\r\n",
				 port);
		struct cl p = {.fd = fd};
		send_to(fd, b2bua_peer_port(&sides[0].b), bad, (size_t)n);
		m = expect(&p, NULL, 400, WAIT_MS);
		sip_msg_free(m);
		close(fd);
	}
	/* garbage and a malformed response: dropped, nothing breaks */
	send_to(a.fd, a.proxy, "\x01\x02garbage", 9);
	send_to(a.fd, a.proxy, "SIP/2.0 200 OK\r\n\r\n", 18);
	ck_assert_int_eq(cl_register(&a, "alice", 60), 200);
	/* 16.3 step 3: Max-Forwards 0 is a loop */
	sip_new_branch(branch, sizeof(branch));
	cl_send(&a, NULL,
		"INVITE sip:bob@hipsip SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 0\nFrom: <sip:alice@hipsip>;tag=x1\nTo: <sip:bob@hipsip>\n"
		"Call-ID: loop-1\nCSeq: 1 INVITE\n",
		a.port, branch);
	ck_assert_int_eq(final_status(&a, WAIT_MS), 483);
	cl_close(&a);
}
END_TEST

/* RFC 3261 11.2: OPTIONS to us is answered with Allow */
START_TEST(options_is_answered_with_allow)
{
	struct cl a;
	char branch[SIP_BRANCH_SIZE];
	osip_message_t *m;

	cl_open(&a, 0);
	sip_new_branch(branch, sizeof(branch));
	cl_send(&a, NULL,
		"OPTIONS sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 70\nFrom: <sip:alice@hipsip>;tag=x2\nTo: <sip:127.0.0.1>\n"
		"Call-ID: opt-1\nCSeq: 1 OPTIONS\n",
		a.port, branch);
	m = expect(&a, NULL, 200, WAIT_MS);
	ck_assert_int_gt(osip_list_size(&m->allows), 0);
	sip_msg_free(m);
	cl_close(&a);
}
END_TEST

/* RFC 3261 11: OPTIONS to an AOR goes to that AOR's client, its answer back */
START_TEST(options_to_an_aor_is_relayed_to_its_client)
{
	struct cl a, b;
	char branch[SIP_BRANCH_SIZE];
	osip_message_t *m;

	cl_open(&a, 0);
	cl_open(&b, 1);
	ck_assert_int_eq(cl_register(&b, "bob", 60), 200);
	sip_new_branch(branch, sizeof(branch));
	cl_send(&a, NULL,
		"OPTIONS sip:bob@hipsip SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 70\nFrom: <sip:alice@hipsip>;tag=x3\nTo: <sip:bob@hipsip>\n"
		"Call-ID: opt-2\nCSeq: 1 OPTIONS\n",
		a.port, branch);
	m = expect(&b, "OPTIONS", 0, WAIT_MS);
	cl_answer(&b, m, 200, NULL);
	sip_msg_free(m);
	ck_assert_int_eq(final_status(&a, WAIT_MS), 200);
	sip_new_branch(branch, sizeof(branch));
	cl_send(&a, NULL,
		"OPTIONS sip:nobody@hipsip SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\n"
		"Max-Forwards: 70\nFrom: <sip:alice@hipsip>;tag=x4\nTo: <sip:nobody@hipsip>\n"
		"Call-ID: opt-3\nCSeq: 1 OPTIONS\n",
		a.port, branch);
	ck_assert_int_eq(final_status(&a, WAIT_MS), 404);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* the callee is a client of the caller's own p2psipd: the call goes through our own peer
 * socket (the overlay knows no address of its own node) */
START_TEST(a_call_between_two_clients_of_one_p2psipd_goes_through)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv;
	struct b2bua_dir real;

	ovl_dir_ops(&sides[0].dir, &real); /* the daemon's: it resolves no address of our own */
	sides[0].b.cfg.dir.peer_addr = real.peer_addr;
	cl_open(&a, 0);
	cl_open(&b, 0);
	ck_assert_int_eq(cl_register(&a, "alice", 60), 200);
	ck_assert_int_eq(cl_register(&b, "bob", 60), 200);
	cl_invite(&a, &d, "bob", sdp_for(&a, 1));
	inv = expect(&b, "INVITE", 0, WAIT_MS);
	cl_answer(&b, inv, 200, sdp_for(&b, 1));
	ck_assert_int_eq(final_status(&a, WAIT_MS), 200);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* ---- the B2BUA ends calls itself: media timeout, stop ---- */

static const char *sdp_inactive_for(struct cl *c)
{
	snprintf(sdp_buf, sizeof(sdp_buf),
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=inactive\r\n",
		 c->rtp_port);
	return sdp_buf;
}

/* An established call; the callee's answer carries body (NULL: its plain SDP). The caller's
 * relay's RTP address in *au. */
static void call_up(struct cl *a, struct cl *b, struct dlg *d, osip_message_t **inv,
		    const char *body, struct sdp_audio *au)
{
	osip_message_t *m;

	cl_answer(b, *inv, 200, body ? body : sdp_for(b, 1));
	m = expect(a, NULL, 200, WAIT_MS);
	dlg_from_2xx(d, m);
	sdp_of(m, au);
	sip_msg_free(m);
	cl_in_dialog(a, d, "ACK", NULL);
	sip_msg_free(expect(b, "ACK", 0, WAIT_MS));
}

/* The B2BUA's BYE to each client is in that client's dialog (RFC 3261 12.2.1.1, 15.1.1):
 * Call-ID and tags as the client knows them, a CSeq above the INVITE's; each answered 200. */
static void expect_bye_both(struct cl *a, struct cl *b, const struct dlg *d,
			    const osip_message_t *inv, unsigned ms)
{
	osip_message_t *m = expect(a, "BYE", 0, ms);
	char cid[128], icid[128];
	uint32_t cseq = 0, icseq = 0;

	sip_msg_call_id(m, cid, sizeof(cid));
	ck_assert_str_eq(cid, d->call_id);
	ck_assert_str_eq(sip_msg_to_tag(m), a->tag);
	ck_assert_str_eq(sip_msg_from_tag(m), d->to_tag);
	cl_answer(a, m, 200, NULL);
	sip_msg_free(m);
	m = expect(b, "BYE", 0, ms);
	sip_msg_call_id(m, cid, sizeof(cid));
	sip_msg_call_id(inv, icid, sizeof(icid));
	ck_assert_str_eq(cid, icid);
	ck_assert_str_eq(sip_msg_to_tag(m), b->tag);
	ck_assert_str_eq(sip_msg_from_tag(m), sip_msg_from_tag(inv));
	sip_msg_cseq(m, &cseq, NULL);
	sip_msg_cseq(inv, &icseq, NULL);
	ck_assert_uint_gt(cseq, icseq);
	cl_answer(b, m, 200, NULL);
	sip_msg_free(m);
}

static bool no_calls(void *arg)
{
	(void)arg;
	return sides[0].b.n_calls == 0 && sides[1].b.n_calls == 0;
}

/* Nothing but a BYE for the caller within ms. */
static bool no_bye_for(struct cl *a, unsigned ms)
{
	struct want w = {.c = a, .method = "BYE"};
	bool got = run_until(find, &w, ms);

	sip_msg_free(w.got);
	return !got;
}

/* Media timeout (rtpengine's and Asterisk's practice, RFC 3261 15.1.1 for the BYE): an
 * established call whose relay forwards nothing for the timeout gets a BYE on both legs from
 * the B2BUA, and is freed once they are answered */
START_TEST(an_established_call_without_media_gets_bye_both_ways_and_is_freed)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv;
	struct sdp_audio au;
	char path[] = "/tmp/hipsip-b2bua-stamps.XXXXXX", text[65536] = "";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(stamp_open(path, "test"), 0);
	call_setup(&a, &b, &d, &inv);
	sides[0].b.cfg.media_timeout_s = 1; /* the caller's p2psipd only */
	call_up(&a, &b, &d, &inv, NULL, &au);
	ck_assert_uint_eq(sides[0].b.n_calls, 1);
	expect_bye_both(&a, &b, &d, inv, 4000);
	ck_assert_uint_eq(sides[0].b.stats.media_timeouts, 1);
	ck_assert_msg(run_until(no_calls, NULL, WAIT_MS), "the call was not freed");
	stamp_close();
	ck_assert_int_gt(read(fd, text, sizeof(text) - 1), 0);
	ck_assert_ptr_nonnull(strstr(text, "\"sip.media_timeout\""));
	close(fd);
	unlink(path);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* RTP (or RTCP, RFC 3550 6.2) going through the relay both ways keeps the call */
START_TEST(a_call_with_media_flowing_does_not_time_out)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv;
	struct sdp_audio au, bu;
	uint8_t rtp[172] = {0x80, 0x00};

	call_setup(&a, &b, &d, &inv);
	sdp_of(inv, &bu); /* where the callee's p2psipd takes the callee's media */
	sides[0].b.cfg.media_timeout_s = 1;
	call_up(&a, &b, &d, &inv, NULL, &au);
	for (int i = 0; i < 12; i++) {
		send_to(a.rtp, port_of(&au.rtp), rtp, sizeof(rtp));
		send_to(b.rtp, port_of(&bu.rtp), rtp, sizeof(rtp));
		ck_assert_msg(no_bye_for(&a, 250), "a call with media got a BYE");
	}
	ck_assert_uint_eq(sides[0].b.n_calls, 1);
	ck_assert_uint_eq(sides[0].b.stats.media_timeouts, 0);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* A callee that crashed: the caller keeps sending, nothing comes back. Each direction
 * times out on its own, so the call still ends. */
START_TEST(a_call_with_media_one_way_only_times_out)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv;
	struct sdp_audio au;
	uint8_t rtp[172] = {0x80, 0x00};
	bool bye = false;

	call_setup(&a, &b, &d, &inv);
	sides[0].b.cfg.media_timeout_s = 1;
	call_up(&a, &b, &d, &inv, NULL, &au);
	for (int i = 0; i < 16 && !bye; i++) {
		send_to(a.rtp, port_of(&au.rtp), rtp, sizeof(rtp));
		bye = sides[0].b.stats.media_timeouts == 1;
		if (!bye)
			no_bye_for(&a, 250);
	}
	ck_assert_msg(bye, "one-way media kept the call past the timeout");
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* RFC 3264 8.4: a call put on hold with a=inactive has no media by agreement: no timeout */
START_TEST(a_call_with_an_inactive_sdp_direction_does_not_time_out)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv;
	struct sdp_audio au;

	call_setup(&a, &b, &d, &inv);
	sides[0].b.cfg.media_timeout_s = 1;
	call_up(&a, &b, &d, &inv, sdp_inactive_for(&b), &au);
	ck_assert_msg(no_bye_for(&a, 3000), "a call on hold got a BYE");
	ck_assert_uint_eq(sides[0].b.n_calls, 1);
	ck_assert_uint_eq(sides[0].b.stats.media_timeouts, 0);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

static void on_stopped(void *arg)
{
	*(bool *)arg = true;
}

static bool flag_set(void *arg)
{
	return *(bool *)arg;
}

/* A clean stop: every established call gets a BYE on both legs (RFC 3261 15.1.1), done once
 * they are answered; a new INVITE gets 503 meanwhile */
START_TEST(stop_sends_bye_both_ways_for_an_established_call)
{
	struct cl a, b, c;
	struct dlg d, d2;
	osip_message_t *inv;
	struct sdp_audio au;
	bool stopped = false;

	call_setup(&a, &b, &d, &inv);
	call_up(&a, &b, &d, &inv, NULL, &au);
	ck_assert_int_eq(b2bua_stop(&sides[0].b, on_stopped, &stopped), 0);
	ck_assert_int_eq(b2bua_stop(&sides[0].b, on_stopped, &stopped), -EALREADY);
	cl_open(&c, 0);
	cl_invite(&c, &d2, "bob", sdp_for(&c, 1));
	ck_assert_int_eq(final_status(&c, WAIT_MS), 503);
	expect_bye_both(&a, &b, &d, inv, WAIT_MS);
	ck_assert_msg(run_until(flag_set, &stopped, B2BUA_STOP_MS + 500), "stop never ended");
	ck_assert_uint_eq(sides[0].b.n_calls, 0);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
	cl_close(&c);
}
END_TEST

/* A stop with a call being set up: 503 to the caller, CANCEL to the callee (RFC 3261 9.1) */
START_TEST(stop_answers_503_to_a_call_being_set_up_and_cancels_the_callee)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv, *m;
	bool stopped = false;

	call_setup(&a, &b, &d, &inv);
	cl_answer(&b, inv, 180, NULL);
	sip_msg_free(expect(&a, NULL, 180, WAIT_MS));
	ck_assert_int_eq(b2bua_stop(&sides[0].b, on_stopped, &stopped), 0);
	ck_assert_int_eq(final_status(&a, WAIT_MS), 503);
	m = expect(&b, "CANCEL", 0, WAIT_MS);
	cl_answer(&b, m, 200, NULL);
	cl_answer(&b, inv, 487, NULL);
	sip_msg_free(m);
	ck_assert_msg(run_until(flag_set, &stopped, B2BUA_STOP_MS + 500), "stop never ended");
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* b2bua_close without a stop still says BYE on both legs of an established call */
START_TEST(close_sends_bye_both_ways_for_an_established_call)
{
	struct cl a, b;
	struct dlg d;
	osip_message_t *inv;
	struct sdp_audio au;

	call_setup(&a, &b, &d, &inv);
	call_up(&a, &b, &d, &inv, NULL, &au);
	side_close(0);
	expect_bye_both(&a, &b, &d, inv, WAIT_MS);
	sip_msg_free(inv);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* ---- ice mode ---- */

static void ice_call(struct cl *a, struct cl *b, bool check_rtp)
{
	struct dlg d;
	osip_message_t *inv, *m;
	struct sdp_audio au, bu;
	uint8_t rtp[172] = {0x80, 0x00};
	const char *body;
	size_t len;

	cl_invite(a, &d, "bob", sdp_for(a, 1));
	inv = expect(b, "INVITE", 0, WAIT_MS);
	/* RFC 8839 is between the p2psipd only: the client gets none of it */
	ck_assert_int_eq(sip_msg_body(inv, &body, &len), 0);
	ck_assert_ptr_null(memmem(body, len, "a=candidate", 11));
	ck_assert_ptr_null(memmem(body, len, "a=ice-ufrag", 11));
	sdp_of(inv, &bu);
	ck_assert_uint_ge(port_of(&bu.rtp), MEDIA_PORT_MIN);
	cl_answer(b, inv, 180, NULL);
	sip_msg_free(expect(a, NULL, 180, WAIT_MS));
	cl_answer(b, inv, 200, sdp_for(b, 1));
	m = expect(a, NULL, 200, WAIT_MS);
	dlg_from_2xx(&d, m);
	ck_assert_int_eq(sip_msg_body(m, &body, &len), 0);
	ck_assert_ptr_null(memmem(body, len, "a=candidate", 11));
	sdp_of(m, &au);
	sip_msg_free(m);
	cl_in_dialog(a, &d, "ACK", NULL);
	sip_msg_free(expect(b, "ACK", 0, WAIT_MS));
	if (check_rtp) {
		/* RTP: caller -> its relay =ICE= callee's relay -> callee, and back; the first
		 * packets may go before the media checks end: send until one arrives */
		bool got = false;
		for (int i = 0; i < 100 && !got; i++) {
			send_to(a->rtp, port_of(&au.rtp), rtp, sizeof(rtp));
			got = run_until(rtp_arrived, &b->rtp, 50);
		}
		ck_assert_msg(got, "RTP did not reach the callee");
		got = false;
		for (int i = 0; i < 100 && !got; i++) {
			send_to(b->rtp, port_of(&bu.rtp), rtp, sizeof(rtp));
			got = run_until(rtp_arrived, &a->rtp, 50);
		}
		ck_assert_msg(got, "RTP did not reach the caller");
	}
	cl_in_dialog(a, &d, "BYE", NULL);
	m = expect(b, "BYE", 0, WAIT_MS);
	cl_answer(b, m, 200, NULL);
	sip_msg_free(m);
	ck_assert_int_eq(final_status(a, WAIT_MS), 200);
	sip_msg_free(inv);
}

/* Issue 7, ice mode: the SIP connection between the two p2psipd is set up by a P2PP Connect
 * (with our Flow object) and ICE; the INVITE's SDP between them carries ICE candidates for
 * RTP and RTCP (RFC 8839) and the relays run ICE; the clients see none of it. A second call
 * goes over the same flow (no new Connect). */
START_TEST(ice_mode_call_goes_over_an_ice_flow_with_rtp_through_both_ice_relays)
{
	struct cl a, b;

	cl_open(&a, 0);
	cl_open(&b, 1);
	ck_assert_int_eq(cl_register(&a, "alice", 60), 200);
	ck_assert_int_eq(cl_register(&b, "bob", 60), 200);
	ice_call(&a, &b, true);
	ck_assert_uint_eq(sides[0].b.pice.stats.flows_up, 1);
	ck_assert_uint_eq(sides[1].b.pice.stats.flows_up, 1);
	ck_assert_uint_eq(sides[0].b.peer.stats.tx, 0); /* nothing on the plain socket */
	ck_assert_uint_eq(sides[1].b.peer.stats.tx, 0);
	ice_call(&a, &b, false);
	ck_assert_uint_eq(sides[0].b.pice.stats.flows_up, 1); /* the same flow */
	ck_assert_uint_eq(sides[1].b.pice.stats.flows_up, 1);
	ck_assert_uint_eq(sides[0].b.n_calls, 0);
	run_until(NULL, NULL, 100);
	ck_assert_uint_eq(sides[1].b.n_calls, 0);
	cl_close(&a);
	cl_close(&b);
}
END_TEST

/* ice mode: an unknown AOR is still a 404 (no flow is set up for it). */
START_TEST(ice_mode_unknown_aor_gives_404)
{
	struct cl a;
	struct dlg d;

	cl_open(&a, 0);
	ck_assert_int_eq(cl_register(&a, "alice", 60), 200);
	cl_invite(&a, &d, "nobody", sdp_for(&a, 1));
	ck_assert_int_eq(final_status(&a, WAIT_MS), 404);
	ck_assert_uint_eq(sides[0].b.pice.n_flows, 0);
	cl_close(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("b2bua");
	TCase *tc = tcase_create("plain"), *ice = tcase_create("ice");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, register_puts_the_signed_record_and_answers_200_with_the_contact);
	tcase_add_test(tc, register_of_an_aor_another_node_holds_gets_403);
	tcase_add_test(tc, a_call_flows_end_to_end_with_rewritten_sdp_and_rtp_through_both_relays);
	tcase_add_test(tc, a_bye_from_the_callee_reaches_the_caller);
	tcase_add_test(tc, a_tcp_client_registers_and_gets_its_calls_on_its_connection);
	tcase_add_test(tc, calling_an_unknown_aor_gives_404);
	tcase_add_test(tc, a_callee_that_never_answers_gives_408);
	tcase_add_test(tc, a_callee_host_that_is_gone_gives_408_or_480);
	tcase_add_test(tc, calling_an_expired_registration_gives_480);
	tcase_add_test(tc, cancel_from_the_caller_gives_487_and_cancels_the_callee);
	tcase_add_test(tc, a_200_crossing_the_cancel_gets_ack_and_bye);
	tcase_add_test(tc, a_reinvite_reaches_the_callee_with_rewritten_sdp);
	tcase_add_test(tc, a_malformed_request_gets_400);
	tcase_add_test(tc, options_is_answered_with_allow);
	tcase_add_test(tc, options_to_an_aor_is_relayed_to_its_client);
	tcase_add_test(tc, a_call_between_two_clients_of_one_p2psipd_goes_through);
	tcase_add_test(tc, an_established_call_without_media_gets_bye_both_ways_and_is_freed);
	tcase_add_test(tc, a_call_with_media_flowing_does_not_time_out);
	tcase_add_test(tc, a_call_with_media_one_way_only_times_out);
	tcase_add_test(tc, a_call_with_an_inactive_sdp_direction_does_not_time_out);
	tcase_add_test(tc, stop_sends_bye_both_ways_for_an_established_call);
	tcase_add_test(tc, stop_answers_503_to_a_call_being_set_up_and_cancels_the_callee);
	tcase_add_test(tc, close_sends_bye_both_ways_for_an_established_call);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(ice, setup_ice, teardown);
	tcase_set_timeout(ice, 60);
	tcase_add_test(ice, ice_mode_call_goes_over_an_ice_flow_with_rtp_through_both_ice_relays);
	tcase_add_test(ice, ice_mode_unknown_aor_gives_404);
	suite_add_tcase(s, ice);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
