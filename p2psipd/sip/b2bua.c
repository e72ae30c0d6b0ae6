/* The B2BUA of p2psipd (plain, hip and ice modes): REGISTER with the signed overlay record, calls
 * as two dialogs (RFC 3261 12-15) mapped leg to leg, SDP pointed at the call's relay, Timer C, the
 * event stamps. Not transactions (txn.c), sockets (transport.c, peer.c) or SDP syntax (sdp.c). */
#include "p2psipd/sip/b2bua.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/stamp.h"
#include "ice/sock.h"
#include "p2psipd/link/link.h"
#include "p2psipd/media/relay.h"
#include "p2psipd/sip/sdp.h"

#define TICK_MS	     1000
#define STOP_POLL_MS 20	  /* b2bua_stop looks this often whether its transactions ended */
#define REQ_MAX	     8192 /* the header section of a request we build */
#define URI_MAX	     512
#define ID_MAX	     128
#define B2BUA_ALLOW  "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE"

enum call_state {
	CALL_LOOKUP,  /* finding the callee */
	CALL_CALLING, /* INVITE sent on leg B */
	CALL_EARLY,   /* a provisional response came */
	CALL_CONFIRMED,
	CALL_ENDING, /* we sent BYE on both legs (call_hangup): freed once they are answered */
	CALL_ENDED,
};

/* One dialog of a call. Leg A is the side the INVITE came from (we are its UAS), leg B the
 * side we sent it to (we are its UAC). */
struct leg {
	struct sip_dest dest; /* where our requests on this leg go */
	bool client;	      /* this leg faces a local client (else a peer p2psipd) */
	char call_id[ID_MAX];
	char local_tag[ID_MAX], remote_tag[ID_MAX];
	char local_uri[URI_MAX], remote_uri[URI_MAX], target[URI_MAX];
	uint32_t cseq;	       /* our last CSeq on this leg */
	uint32_t invite_cseq;  /* of our last INVITE on this leg (its ACK's) */
	struct sip_txn *ist;   /* an INVITE of this leg's other end, not yet finally answered */
	struct sip_txn *ict;   /* our INVITE on this leg */
	struct sip_txn *bye;   /* our BYE of call_hangup, until its final response */
	osip_message_t *ack;   /* our last ACK on this leg, sent again for a retransmitted 2xx */
	bool ist_final;	       /* ist has its final response */
	bool ict_final;	       /* ict got its final response */
	bool mf_set;	       /* max_forwards given, else 70 */
	unsigned max_forwards; /* of the INVITE we start here */
};

struct b2bua_call {
	struct b2bua_call *next;
	struct b2bua *b;
	uint64_t serial;
	enum call_state state;
	struct leg leg[2]; /* 0: A, 1: B */
	struct media_relay *relay;
	bool held[2]; /* the last SDP from leg i says no media: a=inactive, port 0 */
	/* per direction, [0] from our client to the peer, [1] from the peer to our client:
	 * what the relay had forwarded (RTP and RTCP) at media_ms, and when that last moved
	 * (or the call was confirmed, or held) */
	uint64_t media_pkts[2];
	uint64_t media_ms[2];
	uv_timer_t timer_c;
	bool timer_open;
	char aor[REG_AOR_MAX]; /* the callee */
	uint64_t started_ms;
	/* ice mode: SDP towards the peer needs the relay's gathered candidates; what would
	 * carry it waits until then (the INVITE: send_wait; a response: parked) */
	bool gathered, send_wait;
	char send_ruri[URI_MAX];
	osip_message_t *parked;
	struct leg *parked_from;
	struct sdp_ice *remote_ice; /* the peer's offer, applied once we gathered */
};

enum op_kind {
	OP_PUBLISH,
	OP_LOOKUP,
	OP_FORWARD, /* a non-INVITE request forwarded on the other leg */
};

struct b2bua_op {
	struct b2bua_op *next;
	struct b2bua *b; /* NULL once the B2BUA closed: the callback only frees */
	enum op_kind kind;
	uint64_t serial;   /* the call's */
	struct sip_txn *x; /* the server transaction to answer */
	bool was_active;   /* OP_PUBLISH: a refresh of an active binding */
	char aor[REG_AOR_MAX];
	uint32_t expires;
};

static const char *const state_names[] = {"lookup",    "calling", "early",
					  "confirmed", "ending",  "ended"};

/* ---- small helpers ---- */

static uint64_t now_ms(const struct b2bua *b)
{
	return uv_now(b->cfg.loop);
}

static void stamp_call(const char *ev, const char *call_id)
{
	stamp_emit(ev, json_pack("{s:s}", "call", call_id ? call_id : ""));
}

static struct b2bua_call *call_by_serial(struct b2bua *b, uint64_t serial)
{
	for (struct b2bua_call *c = b->calls; c; c = c->next) {
		if (c->serial == serial)
			return c;
	}
	return NULL;
}

static struct b2bua_op *op_new(struct b2bua *b, enum op_kind kind, uint64_t serial,
			       struct sip_txn *x)
{
	struct b2bua_op *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->b = b;
	o->kind = kind;
	o->serial = serial;
	o->x = x;
	o->next = b->ops;
	b->ops = o;
	return o;
}

/* Unlinks o; true when its B2BUA is still there. o is freed when the B2BUA is gone. */
static bool op_take(struct b2bua_op *o)
{
	struct b2bua *b = o->b;

	if (!b) {
		free(o);
		return false;
	}
	for (struct b2bua_op **pp = &b->ops; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	return true;
}

static const char *sa_host(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
		snprintf(buf, cap, "[%s]", ip);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
		snprintf(buf, cap, "%s", ip);
	}
	return buf;
}

static uint16_t sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static bool sa_is_any(const struct sockaddr_storage *ss)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (ss->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, &any6, 16) == 0;
	return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
}

/* Our address as a peer sees it: the configured one (the HIT, the overlay's address), or when
 * that is a wildcard the source address the kernel picks towards dest (a connected UDP
 * socket sends nothing). */
static void self_towards(const struct b2bua *b, const struct sip_dest *dest,
			 struct sockaddr_storage *out)
{
	socklen_t len = sizeof(*out);
	int fd;

	*out = b->cfg.self_addr;
	if (!sa_is_any(out) || !dest || !dest->addr.ss_family)
		return;
	fd = socket(dest->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)&dest->addr,
		    dest->addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						     : sizeof(struct sockaddr_in)) == 0 &&
	    getsockname(fd, (struct sockaddr *)out, &len) == 0)
		sa_set_port(out, 0);
	else
		*out = b->cfg.self_addr;
	close(fd);
}

/* Our sent-by and Contact host:port on a leg (dest: where the leg's messages go). */
static void self_hostport(const struct b2bua *b, bool client, const struct sip_dest *dest,
			  char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN + 2];
	struct sockaddr_storage self;
	bool tcp = dest && dest->reliable;

	if (client) {
		const char *a = b->cfg.clients.addr ? b->cfg.clients.addr : "127.0.0.1";
		snprintf(buf, cap, strchr(a, ':') ? "[%s]:%u%s" : "%s:%u%s", a,
			 sip_transport_port(&b->tp), tcp ? ";transport=tcp" : "");
		return;
	}
	self_towards(b, dest, &self);
	sa_host(&self, host, sizeof(host));
	snprintf(buf, cap, "%s:%u", host, b2bua_peer_port(b));
}

static void uri_text(const osip_uri_t *u, char *buf, size_t cap)
{
	char *s = NULL;

	buf[0] = 0;
	if (u && osip_uri_to_str(u, &s) == 0 && s) {
		snprintf(buf, cap, "%s", s);
		osip_free(s);
	}
}

static void contact_uri(const osip_message_t *m, char *buf, size_t cap)
{
	const osip_contact_t *c = osip_list_get(&m->contacts, 0);

	buf[0] = 0;
	if (c && c->url)
		uri_text(c->url, buf, cap);
}

/* ---- sending ---- */

static struct sip_dest client_dest(const struct b2bua *b, const struct sip_src *src)
{
	struct sip_dest d = {.ctx = (void *)&b->tp, .id = src->conn, .addr = src->addr};

	d.reliable = src->proto == SIP_TP_TCP;
	return d;
}

static struct sip_dest peer_dest(const struct b2bua *b, const struct sockaddr *addr)
{
	struct sip_dest d = {.ctx = (void *)&b->peer};

	memcpy(&d.addr, addr,
	       addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in));
	return d;
}

static int on_send(void *arg, const struct sip_dest *dest, const uint8_t *buf, size_t len)
{
	struct b2bua *b = arg;
	struct sip_src src = {0};

	if (b->cfg.no_sockets)
		return 0;
	if (dest->ctx == &b->peer)
		return sip_peer_send(&b->peer, (const struct sockaddr *)&dest->addr, buf, len);
	src.proto = dest->reliable ? SIP_TP_TCP : SIP_TP_UDP;
	src.addr = dest->addr;
	src.conn = dest->id;
	return sip_transport_send(&b->tp, &src, buf, len);
}

/* Answers a server transaction; to_tag NULL: a random one. Contact added for 2xx/18x of a
 * dialog (contact non-NULL). body NULL: none. */
static int respond(struct sip_txn *x, int status, const char *reason, const char *to_tag,
		   const char *contact, const char *body, size_t blen)
{
	osip_message_t *r = NULL;
	int err = sip_msg_response(sip_txn_request_msg(x), status, reason, to_tag, &r);

	if (err)
		return err;
	if (contact)
		osip_message_set_contact(r, contact);
	if (body && blen)
		sip_msg_set_body(r, "application/sdp", body, blen);
	err = sip_txn_respond(x, r);
	sip_msg_free(r);
	return err;
}

static void respond_simple(struct sip_txn *x, int status, const char *reason)
{
	if (x)
		respond(x, status, reason, NULL, NULL, NULL, 0);
}

/* A request on a leg, built as text and parsed back (so that it is exactly what goes out). */
static int build_request(struct b2bua *b, struct leg *l, const char *method, const char *ruri,
			 uint32_t cseq, const char *body, size_t blen, osip_message_t **out)
{
	char *text = malloc(REQ_MAX + blen);
	char branch[SIP_BRANCH_SIZE], hp[INET6_ADDRSTRLEN + 32], chp[INET6_ADDRSTRLEN + 32];
	const char *why = NULL;
	int n, err;

	if (!text)
		return -ENOMEM;
	if (sip_new_branch(branch, sizeof(branch))) {
		free(text);
		return -EIO;
	}
	self_hostport(b, l->client, &l->dest, chp, sizeof(chp));
	snprintf(hp, sizeof(hp), "%s", chp);
	if (strchr(hp, ';'))
		*strchr(hp, ';') = 0; /* sent-by has no parameters */
	n = snprintf(text, REQ_MAX,
		     "%s %s SIP/2.0\r\n"
		     "Via: SIP/2.0/%s %s;branch=%s;rport\r\n"
		     "Max-Forwards: %u\r\n"
		     "From: <%s>;tag=%s\r\n"
		     "To: <%s>%s%s\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u %s\r\n"
		     "Contact: <sip:p2psipd@%s>\r\n"
		     "User-Agent: p2psipd\r\n"
		     "%s"
		     "Content-Length: %zu\r\n\r\n",
		     method, ruri, l->dest.reliable ? "TCP" : "UDP", hp, branch,
		     l->mf_set ? l->max_forwards : 70, l->local_uri, l->local_tag, l->remote_uri,
		     l->remote_tag[0] ? ";tag=" : "", l->remote_tag, l->call_id, cseq, method, chp,
		     blen ? "Content-Type: application/sdp\r\n" : "", blen);
	if (n < 0 || n >= REQ_MAX) {
		free(text);
		return -ENOSPC;
	}
	memcpy(text + n, body ? body : "", blen);
	err = sip_msg_parse((const uint8_t *)text, (size_t)n + blen, out, &why);
	if (err)
		log_warn("b2bua: cannot build a %s: %s", method, why ? why : strerror(-err));
	free(text);
	return err;
}

/* ---- SDP: the call's relay between the two legs ---- */

static struct leg *other(struct b2bua_call *c, struct leg *l);

static bool ice_mode(const struct b2bua *b)
{
	return b->cfg.mode == B2BUA_ICE;
}

/* ice mode: the peer's candidates start the relay's checks, once it has gathered (checks
 * started earlier would pair only the host candidates). A repeated offer (re-INVITE) with
 * the checks already running changes nothing. */
static void apply_remote_ice(struct b2bua_call *c)
{
	struct sdp_ice *x = c->remote_ice;

	if (!x || !c->gathered || !c->relay)
		return;
	c->remote_ice = NULL;
	if (media_relay_ice_state(c->relay) < ICE_CHECKING &&
	    media_relay_ice_remote(c->relay, x->ufrag, x->pwd, x->cands, x->n_cands))
		log_warn("b2bua: call %s: the peer's ICE candidates were refused",
			 c->leg[0].call_id);
	free(x);
}

/* ice mode, SDP from the peer: its ICE attributes to the relay, then stripped (RFC 8839 is
 * not for the client). -EBADMSG: no ICE in it (the peer must do ICE in this mode). */
static int sdp_from_peer_ice(struct b2bua_call *c, struct sdp *s)
{
	struct sdp_ice *x = malloc(sizeof(*x));

	if (!x || sdp_ice_get(s, x)) {
		free(x);
		return -EBADMSG;
	}
	free(c->remote_ice);
	c->remote_ice = x;
	apply_remote_ice(c);
	sdp_ice_strip(s);
	return 0;
}

/* ice mode, SDP to the peer: our credentials and candidates, c=/m= at the default ones. */
static int sdp_to_peer_ice(struct b2bua_call *c, struct sdp *s)
{
	struct ice_cand *cands = calloc(SDP_MAX_CANDS, sizeof(*cands));
	const char *ufrag, *pwd;
	int n, err;

	if (!cands)
		return -ENOMEM;
	n = media_relay_ice_local(c->relay, &ufrag, &pwd, cands, SDP_MAX_CANDS);
	err = n < 0 ? n : sdp_disable_other_media(s);
	if (!err)
		err = sdp_ice_set(s, ufrag, pwd, cands, (size_t)n);
	free(cands);
	return err;
}

/* ice mode: the stream's ICE to or from the peer; the client gets the relay's client side. */
static int rewrite_ice(struct b2bua_call *c, const struct leg *from, struct sdp *s,
		       const struct sdp_audio *au)
{
	struct sockaddr_storage rtp, rtcp;
	int err;

	if (from->client) {
		err = media_relay_set_client(c->relay, (const struct sockaddr *)&au->rtp,
					     (const struct sockaddr *)&au->rtcp);
		return err ? err : sdp_to_peer_ice(c, s);
	}
	err = sdp_from_peer_ice(c, s);
	if (err)
		return err;
	media_relay_client_addr(c->relay, &rtp, &rtcp);
	err = sdp_disable_other_media(s);
	return err ? err
		   : sdp_audio_set(s, (const struct sockaddr *)&rtp,
				   (const struct sockaddr *)&rtcp);
}

/* plain and hip modes: the sender's media address goes to the relay, the receiver gets the
 * relay's side (towards the peer: our address and the relay's peer ports). */
static int rewrite_udp(struct b2bua_call *c, const struct leg *from, struct sdp *s,
		       const struct sdp_audio *au)
{
	struct b2bua *b = c->b;
	struct sockaddr_storage rtp, rtcp;
	uint16_t p1, p2;
	int err;

	if (from->client)
		err = media_relay_set_client(c->relay, (const struct sockaddr *)&au->rtp,
					     (const struct sockaddr *)&au->rtcp);
	else
		err = media_relay_set_peer(c->relay, (const struct sockaddr *)&au->rtp,
					   (const struct sockaddr *)&au->rtcp);
	if (err)
		return err;
	if (from->client) {
		media_relay_peer_ports(c->relay, &p1, &p2);
		self_towards(b, &other(c, (struct leg *)from)->dest, &rtp);
		rtcp = rtp;
		sa_set_port(&rtp, p1);
		sa_set_port(&rtcp, p2);
	} else {
		media_relay_client_addr(c->relay, &rtp, &rtcp);
	}
	err = sdp_disable_other_media(s);
	return err ? err
		   : sdp_audio_set(s, (const struct sockaddr *)&rtp,
				   (const struct sockaddr *)&rtcp);
}

/* Whether the SDP from a leg leaves the call without media: a=inactive (a hold both ways,
 * RFC 3264 8.4) or the stream disabled. The media timeout spares such a call. */
static void note_held(struct b2bua_call *c, const struct leg *from, const struct sdp *s,
		      const struct sdp_audio *au)
{
	enum sdp_direction d = SDP_SENDRECV;

	sdp_audio_direction(s, &d);
	c->held[from == &c->leg[0] ? 0 : 1] = au->disabled || d == SDP_INACTIVE;
}

/* Rewrites the SDP of m arriving on leg `from` for the other leg. *out NULL when m has no
 * body; 0 or -EBADMSG (488 material). */
static int rewrite_sdp(struct b2bua_call *c, const struct leg *from, const osip_message_t *m,
		       char **out, size_t *olen)
{
	struct sdp_audio au;
	struct sdp *s = NULL;
	const char *body;
	size_t len;
	char *buf;
	int n, err;

	*out = NULL;
	*olen = 0;
	if (sip_msg_body(m, &body, &len) || len == 0)
		return 0;
	if (!c->relay || sdp_parse(body, len, &s))
		return -EBADMSG;
	err = sdp_audio_get(s, &au);
	if (!err && !au.disabled)
		err = ice_mode(c->b) ? rewrite_ice(c, from, s, &au) : rewrite_udp(c, from, s, &au);
	if (!err)
		note_held(c, from, s, &au);
	buf = err ? NULL : malloc(SDP_MAX_LEN);
	n = buf ? sdp_serialize(s, buf, SDP_MAX_LEN) : -ENOMEM;
	sdp_free(s);
	if (err || n < 0) {
		free(buf);
		return -EBADMSG;
	}
	*out = buf;
	*olen = (size_t)n;
	return 0;
}

/* ---- calls ---- */

static struct leg *other(struct b2bua_call *c, struct leg *l)
{
	return l == &c->leg[0] ? &c->leg[1] : &c->leg[0];
}

static void on_call_closed(uv_handle_t *h)
{
	free(h->data);
}

static void detach(struct leg *l)
{
	if (l->ist)
		sip_txn_set_cbs(l->ist, NULL, NULL);
	if (l->ict)
		sip_txn_set_cbs(l->ict, NULL, NULL);
	if (l->bye)
		sip_txn_set_cbs(l->bye, NULL, NULL);
	l->ist = l->ict = l->bye = NULL;
	if (l->ack)
		sip_msg_free(l->ack);
	l->ack = NULL;
}

/* An INVITE we CANCELled when its call ended: if the callee answers 2xx all the same (the
 * CANCEL crossed the 200, RFC 3261 9.1, 15), it gets an ACK and a BYE. Lives as long as the
 * INVITE client transaction. */
struct orphan {
	struct orphan *next;
	struct b2bua *b;
	struct leg l;
	bool final; /* the INVITE has its final response (b2bua_stop waits for it) */
};

static void on_orphan_response(void *arg, struct sip_txn *x, const osip_message_t *resp)
{
	struct orphan *o = arg;
	struct leg *l = &o->l;
	osip_message_t *m = NULL;
	const char *tag = sip_msg_to_tag(resp);

	(void)x;
	if (sip_msg_status(resp) >= 200)
		o->final = true;
	if (sip_msg_status(resp) < 200 || sip_msg_status(resp) >= 300 || l->ack)
		return;
	snprintf(l->remote_tag, sizeof(l->remote_tag), "%s", tag ? tag : "");
	contact_uri(resp, l->target, sizeof(l->target));
	if (build_request(o->b, l, "ACK", l->target[0] ? l->target : l->remote_uri, l->invite_cseq,
			  NULL, 0, &l->ack) == 0)
		sip_txn_send(&o->b->txl, &l->dest, l->ack);
	if (build_request(o->b, l, "BYE", l->target[0] ? l->target : l->remote_uri, ++l->cseq, NULL,
			  0, &m) == 0)
		sip_txn_request(&o->b->txl, m, &l->dest, NULL, NULL, NULL);
	sip_msg_free(m);
}

static void orphan_free(struct orphan *o)
{
	for (struct orphan **pp = &o->b->orphans; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	if (o->l.ack)
		sip_msg_free(o->l.ack);
	free(o);
}

static void on_orphan_terminated(void *arg, struct sip_txn *x)
{
	(void)x;
	orphan_free(arg);
}

static const struct sip_txn_cbs orphan_cbs = {.response = on_orphan_response,
					      .terminated = on_orphan_terminated};

/* CANCELs the leg's INVITE (RFC 3261 9.1) and leaves its transaction to an orphan. */
static void cancel_leg(struct b2bua *b, struct leg *l)
{
	struct orphan *o = calloc(1, sizeof(*o));

	if (sip_txn_cancel(l->ict, NULL, NULL, NULL) || !o) {
		free(o);
		return;
	}
	o->b = b;
	o->l = *l;
	o->l.ack = NULL;
	o->next = b->orphans;
	b->orphans = o;
	sip_txn_set_cbs(l->ict, &orphan_cbs, o);
	l->ict = NULL;
}

/* Frees the call; every INVITE still without a final answer gets status first (never a hung
 * transaction on either side). */
static void call_end(struct b2bua_call *c, int status, const char *reason)
{
	struct b2bua *b = c->b;

	for (int i = 0; i < 2; i++) {
		struct leg *l = &c->leg[i];
		if (l->ist && !l->ist_final) {
			l->ist_final = true;
			respond(l->ist, status, reason, l->local_tag, NULL, NULL, 0);
		}
		if (l->ict && !l->ict_final)
			cancel_leg(b, l);
		detach(l);
	}
	for (struct b2bua_call **pp = &b->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			b->n_calls--;
			break;
		}
	}
	c->state = CALL_ENDED;
	if (c->relay)
		media_relay_close(c->relay, NULL, NULL);
	c->relay = NULL;
	if (c->parked)
		sip_msg_free(c->parked);
	c->parked = NULL;
	free(c->remote_ice);
	c->remote_ice = NULL;
	if (c->timer_open) {
		uv_timer_stop(&c->timer_c);
		uv_close((uv_handle_t *)&c->timer_c, on_call_closed);
		return;
	}
	free(c);
}

static void on_timer_c(uv_timer_t *t)
{
	struct b2bua_call *c = t->data;

	/* RFC 3261 16.6 step 11, 16.8: no final response in time: CANCEL, and the caller gets a
	 * 408 as if the callee had sent one. */
	log_info("b2bua: call %s: no final answer in %u ms, cancelled", c->leg[0].call_id,
		 c->b->cfg.timer_c_ms);
	call_end(c, 408, "Request Timeout (Timer C)");
}

static void timer_c_restart(struct b2bua_call *c)
{
	if (c->timer_open)
		uv_timer_start(&c->timer_c, on_timer_c, c->b->cfg.timer_c_ms, 0);
}

static void forward_response(struct b2bua_call *c, struct leg *from, const osip_message_t *resp);
static void call_send(struct b2bua_call *c, const char *ruri);

/* ice mode: the relay gathered; what waited for our candidates goes on. */
static void on_media_gathered(void *arg)
{
	struct b2bua_call *c = arg;
	osip_message_t *m = c->parked;

	c->gathered = true;
	apply_remote_ice(c);
	if (c->send_wait) {
		c->send_wait = false;
		call_send(c, c->send_ruri); /* may end the call */
		return;
	}
	if (m) {
		c->parked = NULL;
		forward_response(c, c->parked_from, m);
		sip_msg_free(m);
	}
}

static void on_media_ice(void *arg, enum ice_state s, const char *reason)
{
	struct b2bua_call *c = arg;

	if (s == ICE_FAILED)
		log_info("b2bua: call %s: media ICE failed: %s", c->leg[0].call_id,
			 reason ? reason : "?");
}

static const struct media_callbacks media_cbs = {.on_gathered = on_media_gathered,
						 .on_ice = on_media_ice};

/* ice mode: the relay's agent (controlling on the caller's side, RFC 8445 6.1.1: the
 * offerer), with the node's STUN/TURN servers. */
static void media_ice_config(const struct b2bua *b, bool from_client, struct media_config *mc,
			     struct link_servers *sv)
{
	mc->mode = MEDIA_ICE;
	mc->ice_host = b->cfg.ice_host;
	mc->controlling = from_client;
	mc->ta_ms = b->cfg.ice_ta_ms;
	mc->keepalive_s = 15;
	mc->consent_s = 5;
	link_get_servers(ovl_link(b->cfg.node), sv);
	mc->stun = sv->stun;
	mc->turn = sv->turn;
	mc->turn_user = sv->user[0] ? sv->user : NULL;
	mc->turn_pass = sv->pass[0] ? sv->pass : NULL;
}

static struct b2bua_call *call_new(struct b2bua *b, struct sip_txn *x, const osip_message_t *req,
				   const struct sip_dest *src, bool from_client)
{
	struct link_servers sv;
	struct b2bua_call *c;
	struct media_config mc = {
	    .mode = MEDIA_UDP, .port_min = b->cfg.media_min, .port_max = b->cfg.media_max};
	struct leg *a;

	if (b->n_calls >= B2BUA_MAX_CALLS || !(c = calloc(1, sizeof(*c))))
		return NULL;
	c->b = b;
	c->serial = ++b->next_serial;
	c->started_ms = now_ms(b);
	a = &c->leg[0];
	a->client = from_client;
	c->leg[1].client = !from_client;
	a->dest = *src;
	a->ist = x;
	sip_msg_call_id(req, a->call_id, sizeof(a->call_id));
	sip_msg_cseq(req, &a->invite_cseq, NULL);
	snprintf(a->remote_tag, sizeof(a->remote_tag), "%s",
		 sip_msg_from_tag(req) ? sip_msg_from_tag(req) : "");
	sip_new_tag(a->local_tag, sizeof(a->local_tag));
	uri_text(req->from->url, a->remote_uri, sizeof(a->remote_uri));
	uri_text(req->to->url, a->local_uri, sizeof(a->local_uri));
	contact_uri(req, a->target, sizeof(a->target));
	mc.tag = a->call_id;
	if (ice_mode(b))
		media_ice_config(b, from_client, &mc, &sv);
	if (media_relay_new(b->cfg.loop, &mc, ice_mode(b) ? &media_cbs : NULL, c, &c->relay)) {
		free(c);
		return NULL;
	}
	uv_timer_init(b->cfg.loop, &c->timer_c);
	c->timer_c.data = c;
	c->timer_open = true;
	c->next = b->calls;
	b->calls = c;
	b->n_calls++;
	b->stats.calls++;
	return c;
}

/* The call and leg an in-dialog request or ACK belongs to: its Call-ID and our tag in To. */
static struct b2bua_call *call_by_dialog(struct b2bua *b, const osip_message_t *m, struct leg **l)
{
	char cid[ID_MAX];
	const char *tag = sip_msg_to_tag(m);

	if (!tag || sip_msg_call_id(m, cid, sizeof(cid)))
		return NULL;
	for (struct b2bua_call *c = b->calls; c; c = c->next) {
		for (int i = 0; i < 2; i++) {
			if (strcmp(c->leg[i].call_id, cid) == 0 &&
			    strcmp(c->leg[i].local_tag, tag) == 0) {
				*l = &c->leg[i];
				return c;
			}
		}
	}
	return NULL;
}

static struct b2bua_call *call_by_ist(struct b2bua *b, const struct sip_txn *x, struct leg **l)
{
	for (struct b2bua_call *c = b->calls; c; c = c->next) {
		for (int i = 0; i < 2; i++) {
			if (c->leg[i].ist == x) {
				*l = &c->leg[i];
				return c;
			}
		}
	}
	return NULL;
}

/* ---- INVITE client side (leg towards the callee, or either leg for a re-INVITE) ---- */

static const struct sip_txn_cbs ict_cbs;

/* Sends our ACK for a 2xx on leg l (RFC 3261 13.2.2.4), body from the other leg's ACK. */
static void send_ack(struct b2bua_call *c, struct leg *l, const char *body, size_t blen)
{
	osip_message_t *ack = NULL;

	if (build_request(c->b, l, "ACK", l->target[0] ? l->target : l->remote_uri, l->invite_cseq,
			  body, blen, &ack))
		return;
	if (l->ack)
		sip_msg_free(l->ack);
	l->ack = ack;
	sip_txn_send(&c->b->txl, &l->dest, ack);
}

static void forward_response(struct b2bua_call *c, struct leg *from, const osip_message_t *resp)
{
	struct leg *to = other(c, from);
	int status = sip_msg_status(resp);
	char contact[URI_MAX + 64], hp[INET6_ADDRSTRLEN + 32];
	char *sdp = NULL;
	const char *body;
	size_t slen = 0, blen = 0;

	if (!to->ist || to->ist_final)
		return;
	if (ice_mode(c->b) && from->client && !c->gathered &&
	    sip_msg_body(resp, &body, &blen) == 0 &&
	    blen) { /* our candidates go with it: it waits for them (a newer one replaces it) */
		if (c->parked)
			sip_msg_free(c->parked);
		c->parked = NULL;
		c->parked_from = from;
		if (osip_message_clone(resp, &c->parked))
			c->parked = NULL;
		return;
	}
	if (rewrite_sdp(c, from, resp, &sdp, &slen)) {
		log_warn("b2bua: call %s: unusable SDP in a %d", to->call_id, status);
		if (status < 200)
			return;
	}
	self_hostport(c->b, to->client, &to->dest, hp, sizeof(hp));
	snprintf(contact, sizeof(contact), "<sip:p2psipd@%s>", hp);
	if (status >= 200)
		to->ist_final = true;
	respond(to->ist, status, resp->reason_phrase, to->local_tag, status < 300 ? contact : NULL,
		sdp, slen);
	free(sdp);
	if (status == 180 || status == 183)
		stamp_call(status == 180 ? "sip.180.sent" : "sip.183.sent", to->call_id);
	if (status >= 200 && status < 300)
		stamp_call("sip.200.sent", to->call_id);
}

static void on_ict_2xx(struct b2bua_call *c, struct leg *l, const osip_message_t *resp)
{
	const char *tag = sip_msg_to_tag(resp);

	if (l->ack) { /* a retransmitted 2xx: our ACK got lost */
		sip_txn_send(&c->b->txl, &l->dest, l->ack);
		return;
	}
	if (tag && !l->remote_tag[0])
		snprintf(l->remote_tag, sizeof(l->remote_tag), "%s", tag);
	contact_uri(resp, l->target, sizeof(l->target));
	stamp_call("sip.200.received", l->call_id);
	if (c->state != CALL_CONFIRMED && c->timer_open)
		uv_timer_stop(&c->timer_c);
	if (c->state != CALL_CONFIRMED)
		c->media_ms[0] = c->media_ms[1] =
		    now_ms(c->b); /* the media timeout counts from here */
	c->state = CALL_CONFIRMED;
	forward_response(c, l, resp);
}

static void on_ict_response(void *arg, struct sip_txn *x, const osip_message_t *resp)
{
	struct b2bua_call *c = arg;
	struct leg *l = c->leg[0].ict == x ? &c->leg[0] : &c->leg[1];
	int status = sip_msg_status(resp);

	if (status == 100)
		return;
	if (c->state == CALL_ENDING) { /* a re-INVITE crossed our BYE: a 2xx gets its ACK */
		l->ict_final = status >= 200;
		if (status >= 200 && status < 300)
			send_ack(c, l, NULL, 0);
		return;
	}
	if (status < 200) {
		if (status == 180)
			stamp_call("sip.180.received", l->call_id);
		if (c->state == CALL_CALLING)
			c->state = CALL_EARLY;
		timer_c_restart(c); /* RFC 3261 16.7 step 2 */
		forward_response(c, l, resp);
		return;
	}
	l->ict_final = true;
	if (status < 300) {
		on_ict_2xx(c, l, resp);
		return;
	}
	forward_response(c, l, resp);
	if (c->state != CALL_CONFIRMED) {
		c->b->stats.failed++;
		call_end(c, status, NULL);
	}
}

static void on_ict_error(void *arg, struct sip_txn *x, int err)
{
	struct b2bua_call *c = arg;
	struct leg *l = c->leg[0].ict == x ? &c->leg[0] : &c->leg[1];
	struct leg *o = other(c, l);
	int status = err == -ETIMEDOUT ? 408 : 480;

	/* RFC 3261 16.7/16.8: a timeout is a 408; a transport error (17.1.4) makes the callee
	 * unavailable. */
	log_info("b2bua: call %s: INVITE on the other leg failed: %s", o->call_id, strerror(-err));
	l->ict = NULL;
	if (c->state == CALL_CONFIRMED || c->state == CALL_ENDING) {
		if (o->ist && !o->ist_final) {
			o->ist_final = true;
			respond(o->ist, status, NULL, o->local_tag, NULL, NULL, 0);
		}
		return;
	}
	c->b->stats.failed++;
	call_end(c, status, status == 480 ? "Callee Unreachable" : NULL);
}

static void on_ict_terminated(void *arg, struct sip_txn *x)
{
	struct b2bua_call *c = arg;

	for (int i = 0; i < 2; i++) {
		if (c->leg[i].ict == x)
			c->leg[i].ict = NULL;
	}
}

static const struct sip_txn_cbs ict_cbs = {
    .response = on_ict_response, .error = on_ict_error, .terminated = on_ict_terminated};

/* A BYE on leg l (RFC 3261 15.1.1: the dialog's next CSeq, its remote target); its
 * transaction with cbs (NULL: the answer is not awaited), or NULL when none went out. */
static struct sip_txn *send_bye(struct b2bua_call *c, struct leg *l, const struct sip_txn_cbs *cbs)
{
	osip_message_t *m = NULL;
	struct sip_txn *x = NULL;

	if (!l->remote_tag[0] ||
	    build_request(c->b, l, "BYE", l->target[0] ? l->target : l->remote_uri, ++l->cseq, NULL,
			  0, &m))
		return NULL;
	if (sip_txn_request(&c->b->txl, m, &l->dest, cbs, c, &x))
		x = NULL;
	sip_msg_free(m);
	return x;
}

/* ---- the B2BUA hangs up (media timeout, stop): BYE on both legs ---- */

/* One of call_hangup's BYEs is answered or failed; the call goes with the last one. */
static void bye_over(struct b2bua_call *c, struct sip_txn *x)
{
	bool ours = false;

	for (int i = 0; i < 2; i++) {
		if (c->leg[i].bye == x) {
			sip_txn_set_cbs(x, NULL, NULL);
			c->leg[i].bye = NULL;
			ours = true;
		}
	}
	if (ours && !c->leg[0].bye && !c->leg[1].bye)
		call_end(c, 500, NULL);
}

static void on_bye_response(void *arg, struct sip_txn *x, const osip_message_t *resp)
{
	if (sip_msg_status(resp) >= 200)
		bye_over(arg, x);
}

static void on_bye_error(void *arg, struct sip_txn *x, int err)
{
	(void)err;
	bye_over(arg, x);
}

static void on_bye_terminated(void *arg, struct sip_txn *x)
{
	bye_over(arg, x);
}

static const struct sip_txn_cbs bye_cbs = {
    .response = on_bye_response, .error = on_bye_error, .terminated = on_bye_terminated};

/* Ends an established call from here: a BYE on each leg, each in its own dialog; the relay
 * goes now, the call once both BYEs have their final responses or failed (timer F). */
static void call_hangup(struct b2bua_call *c)
{
	for (int i = 0; i < 2; i++)
		c->leg[i].bye = send_bye(c, &c->leg[i], &bye_cbs);
	c->state = CALL_ENDING;
	if (c->relay)
		media_relay_close(c->relay, NULL, NULL);
	c->relay = NULL;
	if (!c->leg[0].bye && !c->leg[1].bye)
		call_end(c, 500, NULL);
}

static void on_ist_error(void *arg, struct sip_txn *x, int err)
{
	struct b2bua_call *c = arg;

	(void)x;
	if (err != -ETIME || c->state != CALL_CONFIRMED)
		return;
	/* our 2xx got no ACK: RFC 3261 13.3.1.4, the dialog ends with a BYE, both legs here */
	log_info("b2bua: call %s: 2xx not acknowledged, BYE both ways", c->leg[0].call_id);
	send_bye(c, &c->leg[0], NULL);
	send_bye(c, &c->leg[1], NULL);
	call_end(c, 500, NULL);
}

static void on_ist_terminated(void *arg, struct sip_txn *x)
{
	struct b2bua_call *c = arg;

	for (int i = 0; i < 2; i++) {
		if (c->leg[i].ist == x) {
			c->leg[i].ist = NULL;
			c->leg[i].ist_final = false;
		}
	}
}

static const struct sip_txn_cbs ist_cbs = {.error = on_ist_error, .terminated = on_ist_terminated};

/* Sends an INVITE (initial: req is the caller's; re-INVITE: in the dialog) on leg l. */
static int send_invite(struct b2bua_call *c, struct leg *l, const char *ruri,
		       const osip_message_t *req, struct leg *from)
{
	osip_message_t *inv = NULL;
	char *sdp = NULL;
	size_t slen = 0;
	int err;

	if (rewrite_sdp(c, from, req, &sdp, &slen))
		return -EBADMSG;
	l->invite_cseq = ++l->cseq;
	err = build_request(c->b, l, "INVITE", ruri, l->invite_cseq, sdp, slen, &inv);
	free(sdp);
	if (err)
		return err;
	if (l->ack)
		sip_msg_free(l->ack);
	l->ack = NULL;
	if (l->ict)
		sip_txn_set_cbs(l->ict, NULL, NULL);
	l->ict = NULL;
	l->ict_final = false;
	err = sip_txn_request(&c->b->txl, inv, &l->dest, &ict_cbs, c, &l->ict);
	sip_msg_free(inv);
	return err;
}

/* The INVITE of a new call goes out on leg B. */
static void call_send(struct b2bua_call *c, const char *ruri)
{
	struct leg *a = &c->leg[0], *l = &c->leg[1];
	const osip_message_t *req = sip_txn_request_msg(a->ist);
	const char *mf = sip_msg_header(req, "max-forwards");
	int err;

	if (ice_mode(c->b) && a->client && !c->gathered) { /* the offer needs our candidates */
		if (ruri != c->send_ruri)
			snprintf(c->send_ruri, sizeof(c->send_ruri), "%s", ruri);
		c->send_wait = true;
		return;
	}

	/* RFC 3261 16.6 step 3: the hop count goes on (already decremented), so that a loop
	 * between p2psipd instances ends in a 483 */
	l->mf_set = mf != NULL;
	l->max_forwards =
	    mf && atoi(mf) > 0 ? (unsigned)atoi(mf) - 1 : 0; /* the copy is as received */
	snprintf(l->local_uri, sizeof(l->local_uri), "%s", a->remote_uri);
	snprintf(l->remote_uri, sizeof(l->remote_uri), "%s", a->local_uri);
	sip_new_tag(l->local_tag, sizeof(l->local_tag));
	sip_new_call_id(l->call_id, sizeof(l->call_id), NULL);
	l->cseq = (uint32_t)(RAND_MAX & rand()) % 10000 + 1;
	err = send_invite(c, l, ruri, req, a);
	if (err == -EBADMSG) {
		call_end(c, 488, "Unusable SDP");
		return;
	}
	if (err) {
		log_info("b2bua: call %s: cannot send the INVITE: %s", a->call_id, strerror(-err));
		call_end(c, 480, "Callee Unreachable");
		return;
	}
	stamp_emit("sip.invite.sent",
		   json_pack("{s:s,s:s}", "call", a->call_id, "leg_call", l->call_id));
	c->state = CALL_CALLING;
	timer_c_restart(c);
}

/* ---- new calls ---- */

/* Where SIP for the p2psipd of hit goes: our own peer socket when the callee is one of ours
 * (plain mode's directory knows no address of its own node), else the directory's answer. */
static int peer_to(struct b2bua *b, const struct in6_addr *hit, struct sockaddr_storage *to)
{
	if (memcmp(hit, &b->cfg.self_hit, sizeof(*hit)) == 0) {
		sip_peer_local(&b->peer, to);
		return 0;
	}
	if (!b->cfg.dir.peer_addr)
		return -ENOENT;
	return b->cfg.dir.peer_addr(b->cfg.dir.arg, hit, to);
}

static void on_lookup(void *cbarg, int err, const struct in6_addr *hit)
{
	struct b2bua_op *o = cbarg;
	struct b2bua *b;
	struct b2bua_call *c;
	struct sockaddr_storage to;
	char ruri[URI_MAX];

	if (!op_take(o))
		return;
	b = o->b;
	c = call_by_serial(b, o->serial);
	free(o);
	if (!c)
		return;
	stamp_emit("sip.lookup.done", json_pack("{s:s,s:s,s:i}", "call", c->leg[0].call_id, "aor",
						c->aor, "err", err));
	if (err) {
		/* unknown, or only records that fail verification: not found either way */
		log_info("b2bua: %s not found: %s", c->aor,
			 err == -EKEYREJECTED ? "no record verifies" : strerror(-err));
		call_end(c, err == -ENOENT || err == -EKEYREJECTED ? 404 : 480,
			 err == -ENOENT || err == -EKEYREJECTED ? NULL : "Lookup Failed");
		return;
	}
	if (peer_to(b, hit, &to)) {
		call_end(c, 480, "Callee Unreachable");
		return;
	}
	c->leg[1].dest = peer_dest(b, (const struct sockaddr *)&to);
	uri_text(sip_msg_request_uri(sip_txn_request_msg(c->leg[0].ist)), ruri, sizeof(ruri));
	call_send(c, ruri);
}

static void invite_from_client(struct b2bua *b, struct b2bua_call *c, const osip_message_t *req)
{
	struct b2bua_op *o;
	int err = -ENOSYS;

	if (sip_uri_aor(sip_msg_request_uri(req), c->aor, sizeof(c->aor))) {
		call_end(c, 416, NULL);
		return;
	}
	o = op_new(b, OP_LOOKUP, c->serial, NULL);
	stamp_emit("sip.lookup.start",
		   json_pack("{s:s,s:s}", "call", c->leg[0].call_id, "aor", c->aor));
	if (o && b->cfg.dir.lookup)
		err = b->cfg.dir.lookup(b->cfg.dir.arg, c->aor, on_lookup, o);
	if (err) {
		if (o && op_take(o))
			free(o);
		call_end(c, 480, "Lookup Failed");
		return;
	}
	timer_c_restart(c);
}

static void invite_from_peer(struct b2bua *b, struct b2bua_call *c, const osip_message_t *req)
{
	struct reg_binding *rb;
	struct sip_dest d;

	if (sip_uri_aor(sip_msg_request_uri(req), c->aor, sizeof(c->aor)) ||
	    !(rb = reg_find(&b->reg, c->aor))) {
		call_end(c, 404, NULL);
		return;
	}
	if (rb->state != REG_ACTIVE) {
		call_end(c, 480, "Registration Expired");
		return;
	}
	d = client_dest(b, &rb->src);
	c->leg[1].dest = d;
	call_send(c, rb->contact);
}

static void new_invite(struct b2bua *b, struct sip_txn *x, const osip_message_t *req,
		       const struct sip_dest *src)
{
	bool from_client = src->ctx == &b->tp;
	struct b2bua_call *c = call_new(b, x, req, src, from_client);

	if (!c) {
		respond_simple(x, 503, "Too Many Calls");
		return;
	}
	sip_txn_set_cbs(x, &ist_cbs, c);
	stamp_call("sip.invite.received", c->leg[0].call_id);
	if (from_client)
		invite_from_client(b, c, req);
	else
		invite_from_peer(b, c, req);
}

/* ---- in-dialog requests ---- */

static void reinvite(struct b2bua *b, struct sip_txn *x, const osip_message_t *req,
		     struct b2bua_call *c, struct leg *l)
{
	struct leg *o = other(c, l);
	uint32_t cseq = 0;

	(void)b;
	if (c->state != CALL_CONFIRMED) {
		respond_simple(x, 491, NULL);
		return;
	}
	if ((l->ist && !l->ist_final) || (o->ict && !o->ict_final)) {
		/* RFC 3261 14.2: one INVITE at a time */
		respond(x, 500, "Pending INVITE", l->local_tag, NULL, NULL, 0);
		return;
	}
	sip_msg_cseq(req, &cseq, NULL);
	if (l->ist) /* the last INVITE's transaction, done but for its timers */
		sip_txn_set_cbs(l->ist, NULL, NULL);
	l->ist = x;
	l->ist_final = false;
	sip_txn_set_cbs(x, &ist_cbs, c);
	if (send_invite(c, o, o->target[0] ? o->target : o->remote_uri, req, l)) {
		l->ist_final = true;
		respond(x, 488, "Unusable SDP", l->local_tag, NULL, NULL, 0);
	}
}

static void on_fwd_response(void *arg, struct sip_txn *x, const osip_message_t *resp)
{
	struct b2bua_op *o = arg;
	int status = sip_msg_status(resp);

	(void)x;
	if (status < 200 || !o->b || !o->x)
		return;
	respond(o->x, status, resp->reason_phrase, NULL, NULL, NULL, 0);
	o->x = NULL;
}

static void on_fwd_error(void *arg, struct sip_txn *x, int err)
{
	struct b2bua_op *o = arg;

	(void)x;
	if (o->b && o->x)
		respond(o->x, err == -ETIMEDOUT ? 408 : 480, NULL, NULL, NULL, NULL, 0);
	o->x = NULL;
}

static void on_fwd_terminated(void *arg, struct sip_txn *x)
{
	struct b2bua_op *o = arg;

	(void)x;
	if (!op_take(o))
		return;
	if (o->x)
		respond(o->x, 500, "No Response", NULL, NULL, NULL, 0);
	free(o);
}

static const struct sip_txn_cbs fwd_cbs = {
    .response = on_fwd_response, .error = on_fwd_error, .terminated = on_fwd_terminated};

/* A non-INVITE request of a dialog goes on the other leg; its final answer comes back. BYE
 * ends the call at once (its own transactions carry on). */
static void forward_in_dialog(struct b2bua *b, struct sip_txn *x, const osip_message_t *req,
			      struct b2bua_call *c, struct leg *l)
{
	struct leg *o = other(c, l);
	const char *method = sip_msg_method(req);
	bool bye = strcmp(method, "BYE") == 0;
	osip_message_t *out = NULL;
	struct b2bua_op *op;
	const char *body = NULL;
	size_t blen = 0;

	if (bye) {
		stamp_call("sip.bye", l->call_id);
		if (!o->remote_tag[0] && o->ict) { /* not answered yet on that leg: CANCEL */
			respond_simple(x, 200, NULL);
			call_end(c, 487, NULL);
			return;
		}
	}
	if (!bye)
		sip_msg_body(req, &body, &blen);
	op = op_new(b, OP_FORWARD, c->serial, x);
	if (!op ||
	    build_request(b, o, method, o->target[0] ? o->target : o->remote_uri, ++o->cseq,
			  blen ? body : NULL, blen, &out) ||
	    sip_txn_request(&b->txl, out, &o->dest, &fwd_cbs, op, NULL)) {
		if (op && op_take(op))
			free(op);
		respond_simple(x, bye ? 200 : 500, NULL);
	}
	sip_msg_free(out);
	if (bye)
		call_end(c, 487, NULL);
}

static void in_dialog(struct b2bua *b, struct sip_txn *x, const osip_message_t *req)
{
	struct leg *l = NULL;
	struct b2bua_call *c = call_by_dialog(b, req, &l);
	const char *method = sip_msg_method(req);

	if (!c) {
		if (x)
			respond_simple(x, 481, NULL); /* RFC 3261 12.2.2 */
		return;
	}
	if (c->state == CALL_ENDING) { /* our BYE is out: a BYE crossing it is fine, the rest
					* is for a dialog that is going (15.1.2) */
		if (x)
			respond_simple(x, strcmp(method, "BYE") == 0 ? 200 : 481, NULL);
		return;
	}
	if (!x) { /* an ACK for our 2xx: a new ACK on the other leg, end to end */
		struct leg *o = other(c, l);
		char *sdp = NULL;
		size_t slen = 0;
		if (!o->remote_tag[0] || o->ack)
			return; /* not answered there, or a retransmitted ACK */
		rewrite_sdp(c, l, req, &sdp, &slen);
		stamp_call("sip.ack", l->call_id);
		send_ack(c, o, sdp, slen);
		free(sdp);
		return;
	}
	if (strcmp(method, "INVITE") == 0) {
		reinvite(b, x, req, c, l);
		return;
	}
	forward_in_dialog(b, x, req, c, l);
}

static void on_cancel(struct b2bua *b, struct sip_txn *x, const osip_message_t *req)
{
	struct sip_txn *ist = sip_txn_find_invite(&b->txl, req);
	struct leg *l = NULL;
	struct b2bua_call *c = ist ? call_by_ist(b, ist, &l) : NULL;

	/* RFC 3261 9.2: 200 to the CANCEL, 487 to the INVITE; 481 when nothing matches */
	if (!c || l->ist_final) {
		respond_simple(x, 481, NULL);
		return;
	}
	respond_simple(x, 200, NULL);
	if (c->state == CALL_CONFIRMED) { /* a re-INVITE cancelled */
		l->ist_final = true;
		respond(l->ist, 487, NULL, l->local_tag, NULL, NULL, 0);
		if (other(c, l)->ict)
			sip_txn_cancel(other(c, l)->ict, NULL, NULL, NULL);
		return;
	}
	call_end(c, 487, NULL);
}

/* ---- OPTIONS to an AOR (RFC 3261 11): relayed as an INVITE would be, outside a dialog ---- */

/* Sends the request of x on a fresh leg towards dest (new Call-ID, tag and branch; From and
 * To URIs kept); its final answer goes back on x. */
static void options_forward(struct b2bua *b, struct sip_txn *x, const struct sip_dest *dest,
			    bool to_client, const char *ruri)
{
	const osip_message_t *req = sip_txn_request_msg(x);
	struct leg *l = calloc(1, sizeof(*l));
	osip_message_t *out = NULL;
	struct b2bua_op *op = l ? op_new(b, OP_FORWARD, 0, x) : NULL;
	int err = -ENOMEM;

	if (op) {
		l->dest = *dest;
		l->client = to_client;
		uri_text(req->from->url, l->local_uri, sizeof(l->local_uri));
		uri_text(req->to->url, l->remote_uri, sizeof(l->remote_uri));
		sip_new_tag(l->local_tag, sizeof(l->local_tag));
		sip_new_call_id(l->call_id, sizeof(l->call_id), NULL);
		err = build_request(b, l, "OPTIONS", ruri, 1, NULL, 0, &out);
	}
	if (!err)
		err = sip_txn_request(&b->txl, out, &l->dest, &fwd_cbs, op, NULL);
	sip_msg_free(out);
	free(l);
	if (!err)
		return;
	if (op && op_take(op))
		free(op);
	respond_simple(x, 480, NULL);
}

static void on_options_lookup(void *cbarg, int err, const struct in6_addr *hit)
{
	struct b2bua_op *o = cbarg;
	struct b2bua *b;
	struct sockaddr_storage to;
	struct sip_dest d;
	char ruri[URI_MAX];

	if (!op_take(o))
		return;
	b = o->b;
	if (err) {
		respond_simple(o->x, err == -ENOENT || err == -EKEYREJECTED ? 404 : 480, NULL);
	} else if (peer_to(b, hit, &to)) {
		respond_simple(o->x, 480, NULL);
	} else {
		d = peer_dest(b, (const struct sockaddr *)&to);
		uri_text(sip_msg_request_uri(sip_txn_request_msg(o->x)), ruri, sizeof(ruri));
		options_forward(b, o->x, &d, false, ruri);
	}
	free(o);
}

static void options_relay(struct b2bua *b, struct sip_txn *x, const osip_message_t *req,
			  bool from_client)
{
	char aor[REG_AOR_MAX];
	struct reg_binding *rb;
	struct b2bua_op *o;
	struct sip_dest d;
	int err = -ENOSYS;

	if (sip_uri_aor(sip_msg_request_uri(req), aor, sizeof(aor))) {
		respond_simple(x, 416, NULL);
		return;
	}
	if (!from_client) { /* for one of our clients */
		rb = reg_find(&b->reg, aor);
		if (!rb || rb->state != REG_ACTIVE) {
			respond_simple(x, rb ? 480 : 404, NULL);
			return;
		}
		d = client_dest(b, &rb->src);
		options_forward(b, x, &d, true, rb->contact);
		return;
	}
	o = op_new(b, OP_LOOKUP, 0, x);
	if (o && b->cfg.dir.lookup)
		err = b->cfg.dir.lookup(b->cfg.dir.arg, aor, on_options_lookup, o);
	if (!err)
		return;
	if (o && op_take(o))
		free(o);
	respond_simple(x, 480, "Lookup Failed");
}

/* ---- REGISTER (RFC 3261 10.3) ---- */

static void register_answer(struct sip_txn *x, const struct reg_binding *rb)
{
	char contact[REG_CONTACT_MAX + 32], exp[16];
	osip_message_t *r = NULL;

	if (sip_msg_response(sip_txn_request_msg(x), 200, NULL, NULL, &r))
		return;
	if (rb) {
		snprintf(contact, sizeof(contact), "<%s>;expires=%u", rb->contact, rb->granted);
		osip_message_set_contact(r, contact);
		snprintf(exp, sizeof(exp), "%u", rb->granted);
		osip_message_set_expires(r, exp);
	}
	sip_txn_respond(x, r);
	sip_msg_free(r);
}

static void on_published(void *cbarg, int err, unsigned code)
{
	struct b2bua_op *o = cbarg;
	struct b2bua *b;
	struct reg_binding *rb;
	char reason[96];

	if (!op_take(o))
		return;
	b = o->b;
	rb = reg_find(&b->reg, o->aor);
	if (!err && rb) {
		rb->state = REG_ACTIVE;
		log_info("b2bua: registered %s -> %s for %u s", rb->aor, rb->contact, rb->granted);
		register_answer(o->x, rb);
	} else if (code == 406 || err == -EPERM) {
		/* first come, first served (store.h): another node owns this AOR */
		if (rb && !o->was_active)
			reg_remove(&b->reg, o->aor);
		respond_simple(o->x, 403, "AOR Registered By Another Node");
	} else {
		snprintf(reason, sizeof(reason), "Overlay Put Failed (%s)",
			 err ? strerror(-err) : "no binding");
		if (rb && !o->was_active)
			reg_remove(&b->reg, o->aor);
		respond_simple(o->x, 503, reason);
	}
	free(o);
}

/* The host part of a canonical AOR ("sip:user@host[:port]") is domain (case aside). */
static bool aor_in_domain(const char *aor, const char *domain)
{
	const char *at = strrchr(aor, '@');
	size_t n = strlen(domain);

	if (!at)
		return false;
	at++;
	return strncasecmp(at, domain, n) == 0 && (at[n] == 0 || at[n] == ':');
}

static void do_register(struct b2bua *b, struct sip_txn *x, const osip_message_t *req,
			const struct sip_dest *src)
{
	struct reg_request rr;
	struct reg_binding *rb;
	struct sip_src s = {
	    .proto = src->reliable ? SIP_TP_TCP : SIP_TP_UDP, .addr = src->addr, .conn = src->id};
	const char *why = NULL;
	struct b2bua_op *o;
	int err = -ENOSYS;

	if (reg_parse(&b->reg, req, &rr, &why)) {
		respond_simple(x, 400, why);
		return;
	}
	if (b->cfg.domain && !aor_in_domain(rr.aor, b->cfg.domain)) {
		respond_simple(x, 403, "Domain Not Served"); /* RFC 3261 10.3 step 1 */
		return;
	}
	rb = reg_find(&b->reg, rr.aor);
	if (rr.query) {
		register_answer(x, rb && rb->state == REG_ACTIVE ? rb : NULL);
		return;
	}
	if (rr.wildcard || rr.expires == 0) {
		if (rb && b->cfg.dir.unpublish)
			b->cfg.dir.unpublish(b->cfg.dir.arg, rr.aor);
		if (rb)
			log_info("b2bua: unregistered %s", rr.aor);
		reg_remove(&b->reg, rr.aor);
		register_answer(x, NULL);
		return;
	}
	o = op_new(b, OP_PUBLISH, 0, x);
	if (o) {
		o->was_active = rb && rb->state == REG_ACTIVE;
		snprintf(o->aor, sizeof(o->aor), "%s", rr.aor);
	}
	rb = reg_set(&b->reg, rr.aor, rr.contact, &s, rr.expires, now_ms(b));
	if (o && rb && b->cfg.dir.publish)
		err = b->cfg.dir.publish(b->cfg.dir.arg, rr.aor, rr.expires, on_published, o);
	if (!err)
		return;
	if (o && op_take(o))
		free(o);
	if (rb && rb->state != REG_ACTIVE)
		reg_remove(&b->reg, rr.aor);
	respond_simple(x, rb ? 503 : 500, rb ? "Overlay Put Failed" : "Too Many Registrations");
}

/* ---- requests from the transaction layer ---- */

static void on_request(void *arg, struct sip_txn *x, const osip_message_t *req,
		       const struct sip_dest *src)
{
	struct b2bua *b = arg;
	const char *method = sip_msg_method(req);
	bool from_client = src->ctx == &b->tp;

	if (b->closing && x && !sip_msg_to_tag(req)) { /* in-dialog ones: the calls ending */
		respond_simple(x, 503, "Shutting Down");
		return;
	}
	if (!x || sip_msg_to_tag(req)) {
		if (strcmp(method, "CANCEL") != 0) {
			in_dialog(b, x, req);
			return;
		}
	}
	if (strcmp(method, "CANCEL") == 0) {
		on_cancel(b, x, req);
		return;
	}
	if (strcmp(method, "REGISTER") == 0 && from_client) {
		do_register(b, x, req, src);
		return;
	}
	if (strcmp(method, "INVITE") == 0) {
		if (sip_msg_decrement_max_forwards((osip_message_t *)req) == -ELOOP) {
			respond_simple(x, 483, NULL);
			return;
		}
		new_invite(b, x, req, src);
		return;
	}
	if (strcmp(method, "OPTIONS") == 0 && sip_msg_request_uri(req) &&
	    sip_msg_request_uri(req)->username) {
		options_relay(b, x, req, from_client);
		return;
	}
	if (strcmp(method, "OPTIONS") == 0) { /* RFC 3261 11.2: our capabilities */
		osip_message_t *r = NULL;
		if (sip_msg_response(req, 200, NULL, NULL, &r))
			return;
		osip_message_set_allow(r, B2BUA_ALLOW);
		sip_txn_respond(x, r);
		sip_msg_free(r);
		return;
	}
	respond_simple(x, strcmp(method, "REGISTER") == 0 ? 403 : 501, NULL);
}

static void on_stray(void *arg, const osip_message_t *resp, const struct sip_dest *src)
{
	struct b2bua *b = arg;
	struct leg *l = NULL;
	char cid[ID_MAX];
	uint32_t cseq = 0;
	const char *m = NULL;

	(void)src;
	/* a 2xx retransmitted after our INVITE transaction ended: ACK it again (13.2.2.4) */
	if (sip_msg_status(resp) < 200 || sip_msg_status(resp) >= 300 ||
	    sip_msg_call_id(resp, cid, sizeof(cid)) || sip_msg_cseq(resp, &cseq, &m) ||
	    strcmp(m, "INVITE") != 0)
		return;
	for (struct b2bua_call *c = b->calls; c; c = c->next) {
		for (int i = 0; i < 2; i++) {
			l = &c->leg[i];
			if (strcmp(l->call_id, cid) == 0 && l->ack && l->invite_cseq == cseq)
				sip_txn_send(&b->txl, &l->dest, l->ack);
		}
	}
}

/* ---- input ---- */

/* A 400 for a request sip_msg_parse refused, when libosip2's own lenient parse finds enough
 * of it to answer (Via, From, To, Call-ID, CSeq); else nothing (RFC 3261 8.2, 21.4.1). */
static void answer_malformed(struct b2bua *b, const uint8_t *buf, size_t len, const char *why,
			     const struct sip_dest *src)
{
	osip_message_t *m = NULL, *r = NULL;

	if (osip_message_init(&m))
		return;
	if (osip_message_parse(m, (const char *)buf, len) == 0 && MSG_IS_REQUEST(m) &&
	    m->sip_method && strcmp(m->sip_method, "ACK") != 0 && m->from && m->to && m->call_id &&
	    m->cseq && osip_list_size(&m->vias) > 0 &&
	    sip_msg_response(m, 400, why ? why : "Bad Request", NULL, &r) == 0) {
		sip_txn_send(&b->txl, src, r);
		sip_msg_free(r);
	}
	osip_message_free(m);
}

static void input(struct b2bua *b, const struct sip_dest *src, const uint8_t *buf, size_t len)
{
	osip_message_t *m = NULL;
	const char *why = NULL;
	int err = sip_msg_parse(buf, len, &m, &why);

	if (err == -EBADMSG) {
		if (len > 4 && memcmp(buf, "SIP/", 4) == 0) {
			b->stats.bad_responses++;
			if (b->stats.bad_responses == 1)
				log_warn("b2bua: malformed response dropped: %s", why ? why : "?");
			return;
		}
		b->stats.bad_requests++;
		answer_malformed(b, buf, len, why, src);
		return;
	}
	if (err)
		return;
	if (sip_txn_input(&b->txl, m, src) < 0)
		b->stats.dropped++;
	sip_msg_free(m);
}

void b2bua_input_client(struct b2bua *b, const struct sip_src *src, const uint8_t *buf, size_t len)
{
	struct sip_dest d = client_dest(b, src);

	input(b, &d, buf, len);
}

void b2bua_input_peer(struct b2bua *b, const struct sockaddr *from, const uint8_t *buf, size_t len)
{
	struct sip_dest d = peer_dest(b, from);

	input(b, &d, buf, len);
}

static void on_client_msg(void *arg, const struct sip_src *src, const uint8_t *msg, size_t len)
{
	b2bua_input_client(arg, src, msg, len);
}

static void on_peer_msg(void *arg, const struct sockaddr *from, const uint8_t *buf, size_t len)
{
	b2bua_input_peer(arg, from, buf, len);
}

/* ---- registrations expiring ---- */

static void on_expired(void *arg, struct reg_binding *rb)
{
	struct b2bua *b = arg;

	log_info("b2bua: registration of %s expired", rb->aor);
	if (b->cfg.dir.unpublish)
		b->cfg.dir.unpublish(b->cfg.dir.arg, rb->aor);
}

/* ice mode: a call keeps its flows up. */
static void flows_touch(struct b2bua *b, const struct b2bua_call *c)
{
	if (!b->pice_open)
		return;
	for (int i = 0; i < 2; i++) {
		if (!c->leg[i].client && c->leg[i].dest.addr.ss_family)
			peer_ice_touch(&b->pice, (const struct sockaddr *)&c->leg[i].dest.addr);
	}
}

/* The media timeout (B2BUA_MEDIA_TIMEOUT_S): an established call whose relay forwarded
 * nothing either way, RTP or RTCP, for media_timeout_s, and whose SDP on neither side says
 * there is no media, ends with a BYE on both legs. */
static void media_check(struct b2bua_call *c)
{
	struct b2bua *b = c->b;
	struct media_stats ms;
	uint64_t now = now_ms(b), limit = (uint64_t)b->cfg.media_timeout_s * 1000;
	int silent = -1;

	if (!b->cfg.media_timeout_s || c->state != CALL_CONFIRMED || !c->relay)
		return;
	media_relay_stats(c->relay, &ms);
	const uint64_t pkts[2] = {ms.to_peer_pkts, ms.to_client_pkts};
	/* Each direction on its own: a client that crashed leaves one direction silent while
	 * the other end keeps sending. RTCP flows during hold too (RFC 3550 6.2). */
	for (int d = 0; d < 2; d++) {
		if (pkts[d] != c->media_pkts[d] || c->held[0] || c->held[1]) {
			c->media_pkts[d] = pkts[d];
			c->media_ms[d] = now;
		} else if (now - c->media_ms[d] >= limit) {
			silent = d;
		}
	}
	if (silent < 0)
		return;
	log_info("b2bua: call %s: no RTP or RTCP %s for %u s (media timeout), BYE both ways",
		 c->leg[0].call_id, silent == 0 ? "from our client" : "from the peer",
		 b->cfg.media_timeout_s);
	stamp_emit("sip.media_timeout",
		   json_pack("{s:s,s:s,s:i}", "call", c->leg[0].call_id, "leg_call",
			     c->leg[1].call_id, "timeout_s", (int)b->cfg.media_timeout_s));
	b->stats.media_timeouts++;
	call_hangup(c);
}

static void on_tick(uv_timer_t *t)
{
	struct b2bua *b = t->data;
	struct b2bua_call *next;

	reg_expire(&b->reg, now_ms(b), on_expired, b);
	for (struct b2bua_call *c = b->calls; c; c = next) {
		next = c->next;
		flows_touch(b, c);
		media_check(c); /* may free c */
	}
}

/* ---- open, close ---- */

/* ice mode: peers over ICE flows named [HIT]:peer port; our own socket stays for calls
 * between two clients of ours. */
static int open_ice(struct b2bua *b)
{
	struct peer_ice_config pc = {.loop = b->cfg.loop,
				     .node = b->cfg.node,
				     .host = b->cfg.ice_host,
				     .port = SIP_PEER_PORT,
				     .idle_ms = b->cfg.flow_idle_ms,
				     .ta_ms = b->cfg.ice_ta_ms};
	int err;

	if (!b->cfg.node || !b->cfg.ice_host.ss_family)
		return -EINVAL;
	err = peer_ice_open(&b->pice, &pc, on_peer_msg, b);
	if (err)
		return err;
	b->pice_open = true;
	b->peer.ice = &b->pice;
	return 0;
}

int b2bua_open(struct b2bua *b, const struct b2bua_config *cfg)
{
	struct sip_txn_layer_cbs cbs = {
	    .send = on_send, .request = on_request, .stray_response = on_stray};
	int err;

	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	if (!b->cfg.timer_c_ms)
		b->cfg.timer_c_ms = B2BUA_TIMER_C_MS;
	b->reg.max_expires = cfg->max_expires;
	err = sip_msg_lib_init();
	if (!err)
		err = sip_txn_layer_init(&b->txl, cfg->loop, &cfg->tm, &cbs, b);
	if (err)
		return err;
	if (!cfg->no_sockets) {
		err = sip_transport_open(cfg->loop, &b->tp, &cfg->clients, on_client_msg, NULL, b);
		if (err) {
			sip_txn_layer_close(&b->txl, NULL);
			return err;
		}
		b->tp_open = true;
		err = sip_peer_open(cfg->loop, &b->peer, (const struct sockaddr *)&cfg->peer_listen,
				    on_peer_msg, b);
		if (!err && ice_mode(b))
			err = open_ice(b);
		if (err) {
			sip_peer_close(&b->peer);
			sip_transport_close(&b->tp, NULL);
			sip_txn_layer_close(&b->txl, NULL);
			return err;
		}
	}
	uv_timer_init(cfg->loop, &b->tick);
	b->tick.data = b;
	uv_timer_init(cfg->loop, &b->stop_timer);
	b->stop_timer.data = b;
	uv_timer_start(&b->tick, on_tick, TICK_MS, TICK_MS);
	return 0;
}

/* ---- stop ---- */

static bool stop_settled(const struct b2bua *b)
{
	if (b->calls)
		return false;
	for (const struct orphan *o = b->orphans; o; o = o->next) {
		if (!o->final)
			return false;
	}
	return true;
}

static void on_stop_poll(uv_timer_t *t)
{
	struct b2bua *b = t->data;
	void (*done)(void *arg) = b->stop_done;
	bool late = now_ms(b) - b->stop_ms >= B2BUA_STOP_MS;

	if (!done || (!late && !stop_settled(b)))
		return;
	uv_timer_stop(t);
	b->stop_done = NULL;
	if (late)
		log_info("b2bua: stopped after %u ms, %u calls still ending", B2BUA_STOP_MS,
			 b->n_calls);
	else
		log_info("b2bua: stopped, every call ended");
	done(b->stop_arg);
}

int b2bua_stop(struct b2bua *b, void (*done)(void *arg), void *arg)
{
	struct b2bua_call *next;

	if (b->closing)
		return -EALREADY;
	b->closing = true;
	b->stop_done = done;
	b->stop_arg = arg;
	b->stop_ms = now_ms(b);
	if (b->n_calls)
		log_info("b2bua: stopping: ending %u calls", b->n_calls);
	for (struct b2bua_call *c = b->calls; c; c = next) {
		next = c->next;
		if (c->state == CALL_CONFIRMED)
			call_hangup(c); /* may free c */
		else if (c->state != CALL_ENDING)
			call_end(c, 503, "Shutting Down"); /* and a CANCEL to the callee */
	}
	uv_timer_start(&b->stop_timer, on_stop_poll, STOP_POLL_MS, STOP_POLL_MS);
	return 0;
}

/* b2bua_close: an established call gets a last BYE on each leg (not awaited), then goes. */
static void call_close(struct b2bua_call *c)
{
	if (c->state == CALL_CONFIRMED) {
		send_bye(c, &c->leg[0], NULL);
		send_bye(c, &c->leg[1], NULL);
	}
	call_end(c, 503, "Shutting Down");
}

void b2bua_close(struct b2bua *b)
{
	b->closing = true;
	b->stop_done = NULL;
	while (b->calls)
		call_close(b->calls);
	while (b->orphans) /* their transactions go with the layer, without callbacks */
		orphan_free(b->orphans);
	/* forwarded requests end with the transaction layer (no callbacks); the directory's
	 * operations call back later and only free */
	while (b->ops) {
		struct b2bua_op *o = b->ops;
		b->ops = o->next;
		if (o->kind == OP_FORWARD)
			free(o);
		else
			o->b = NULL;
	}
	for (struct reg_binding *rb = b->reg.head; rb; rb = rb->next) {
		if (rb->state == REG_ACTIVE && b->cfg.dir.unpublish)
			b->cfg.dir.unpublish(b->cfg.dir.arg, rb->aor);
	}
	reg_clear(&b->reg);
	uv_timer_stop(&b->tick);
	uv_close((uv_handle_t *)&b->tick, NULL);
	uv_timer_stop(&b->stop_timer);
	uv_close((uv_handle_t *)&b->stop_timer, NULL);
	sip_txn_layer_close(&b->txl, NULL);
	if (b->tp_open)
		sip_transport_close(&b->tp, NULL);
	b->tp_open = false;
	if (b->pice_open)
		peer_ice_close(&b->pice);
	b->pice_open = false;
	sip_peer_close(&b->peer);
}

uint16_t b2bua_client_port(const struct b2bua *b)
{
	return b->tp_open ? sip_transport_port(&b->tp) : 0;
}

uint16_t b2bua_peer_port(const struct b2bua *b)
{
	return sa_port(&b->peer.local);
}

/* ---- status ---- */

json_t *b2bua_calls_json(const struct b2bua *b)
{
	json_t *a = json_array();

	for (const struct b2bua_call *c = b->calls; c; c = c->next) {
		struct media_stats ms = {0};
		if (c->relay)
			media_relay_stats(c->relay, &ms);
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "call_id", c->leg[0].call_id,
				 "peer_call_id", c->leg[1].call_id, "aor", c->aor, "state",
				 state_names[c->state], "direction",
				 c->leg[0].client ? "outgoing" : "incoming", "age_ms",
				 (json_int_t)(uv_now(b->cfg.loop) - c->started_ms), "rtp_to_peer",
				 (json_int_t)ms.to_peer_pkts, "rtp_to_client",
				 (json_int_t)ms.to_client_pkts));
	}
	return a;
}

json_t *b2bua_registrations_json(const struct b2bua *b)
{
	json_t *a = json_array();
	uint64_t now = uv_now(b->cfg.loop);

	for (const struct reg_binding *rb = b->reg.head; rb; rb = rb->next) {
		char src[96];
		int64_t left = rb->expires_ms > now ? (int64_t)((rb->expires_ms - now) / 1000) : 0;
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:s,s:s,s:I}", "aor", rb->aor, "contact", rb->contact,
				 "source", sip_src_text(&rb->src, src, sizeof(src)), "state",
				 reg_state_name(rb->state), "expires_in", (json_int_t)left));
	}
	return a;
}

json_t *b2bua_flows_json(const struct b2bua *b)
{
	struct peer_ice_flow_info fi[PEER_ICE_MAX_FLOW];
	size_t n;
	json_t *a;

	if (!b->pice_open)
		return NULL;
	n = peer_ice_flows(&b->pice, fi, PEER_ICE_MAX_FLOW);
	a = json_array();
	for (size_t i = 0; i < n && i < PEER_ICE_MAX_FLOW; i++) {
		char hit[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &fi[i].hit, hit, sizeof(hit));
		json_array_append_new(a, json_pack("{s:s,s:I,s:s,s:s,s:I,s:I}", "peer", hit, "flow",
						   (json_int_t)fi[i].id, "role",
						   fi[i].initiator ? "initiator" : "responder",
						   "state", fi[i].state, "age_ms",
						   (json_int_t)fi[i].age_ms, "idle_ms",
						   (json_int_t)fi[i].idle_ms));
	}
	return a;
}

int b2bua_flow_close(struct b2bua *b, const struct in6_addr *hit)
{
	if (!b->pice_open)
		return -EOPNOTSUPP;
	return peer_ice_close_flow(&b->pice, hit);
}
