/* HIP relay server (RFC 5770 4.1, 4.5, 4.10; registration by RFC 8003): the
 * registration table, relaying I1/I2 to clients and their R1/R2 back, and the
 * entry points of relay.h. The client side is relay_client.c. */
#include "hipd/relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/bex.h"
#include "hipd/output.h"
#include "hipd/relay_int.h"
#include "hipd/relay_pkt.h"

/* ---- helpers shared with relay_client.c ---- */

uint64_t relay_now(const struct relay *r)
{
	return stamp_now_ns() + (uint64_t)r->clock_offset_ns;
}

static uint16_t port_of(const struct sockaddr *sa, uint16_t default_port)
{
	uint16_t p = sa->sa_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)sa)->sin6_port)
					       : ntohs(((const struct sockaddr_in *)sa)->sin_port);

	return p ? p : default_port;
}

bool relay_same_endpoint(const struct sockaddr *a, const struct sockaddr *b, uint16_t default_port)
{
	if (a->sa_family != b->sa_family || port_of(a, default_port) != port_of(b, default_port))
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

const char *relay_endpoint_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s->sin6_port));
	} else {
		snprintf(buf, len, "-");
	}
	return buf;
}

struct hip_ha *relay_keyed_ha(struct hipd *h, const struct in6_addr *local,
			      const struct in6_addr *peer)
{
	struct hip_ha *ha = hadb_find(&h->db, local, peer);

	if (!ha || !ha->keys.mac_len || !ha->peer_id)
		return NULL;
	if (ha->state != HIP_STATE_ESTABLISHED && ha->state != HIP_STATE_R2_SENT)
		return NULL;
	return ha;
}

static const char *hit_str(const struct in6_addr *hit)
{
	static char buf[HIT_STRLEN];

	return hit_to_str(hit, buf);
}

static bool is_ours(const struct hipd *h, const struct in6_addr *hit)
{
	return hipd_identity(h, hit) != NULL;
}

/* ---- the registration table ---- */

static struct relay_reg *reg_find(struct relay *r, const struct in6_addr *client)
{
	for (struct relay_reg *g = r->srv.regs; g; g = g->next)
		if (memcmp(&g->client, client, sizeof(*client)) == 0)
			return g;
	return NULL;
}

static void reg_remove(struct relay *r, struct relay_reg *reg, const char *why)
{
	for (struct relay_reg **pp = &r->srv.regs; *pp; pp = &(*pp)->next) {
		if (*pp != reg)
			continue;
		*pp = reg->next;
		r->srv.count--;
		log_info("relay: registration of %s ended: %s", hit_str(&reg->client), why);
		stamp_emit("relay.unregistered",
			   json_pack("{s:s,s:s}", "client", hit_str(&reg->client), "why", why));
		free(reg);
		return;
	}
}

/* The registration of p's client, created if the table has room. */
static struct relay_reg *reg_upsert(struct hipd *h, const struct relay_pending *p)
{
	struct relay *r = h->relay;
	struct relay_reg *reg = reg_find(r, &p->client);

	if (!reg) {
		if (r->srv.count >= h->cfg.relay_max_clients)
			return NULL;
		reg = calloc(1, sizeof(*reg));
		if (!reg)
			return NULL;
		reg->client = p->client;
		reg->registered_ns = relay_now(r);
		reg->next = r->srv.regs;
		r->srv.regs = reg;
		r->srv.count++;
	}
	reg->relay_hit = p->relay_hit;
	reg->addr = p->addr;
	reg->local = p->local;
	return reg;
}

static bool reg_live(const struct relay *r, const struct relay_reg *reg)
{
	return reg && relay_now(r) < reg->expires_ns;
}

static uint8_t min_lifetime(void)
{
	return hip_reg_lifetime_encode(RELAY_MIN_LIFETIME_S);
}

static uint8_t max_lifetime(const struct hipd *h)
{
	uint8_t x = hip_reg_lifetime_encode(h->cfg.relay_max_lifetime_s);

	return x < min_lifetime() ? min_lifetime() : x;
}

static void perm_add(struct relay_reg *reg, const struct in6_addr *peer,
		     const struct sockaddr_storage *addr, const struct sockaddr_storage *local,
		     uint64_t now)
{
	struct relay_perm *slot = &reg->perms[0];

	for (size_t i = 0; i < RELAY_PERMS; i++) {
		struct relay_perm *p = &reg->perms[i];
		if (memcmp(&p->peer, peer, sizeof(*peer)) == 0 &&
		    relay_same_endpoint((const struct sockaddr *)&p->peer_addr,
					(const struct sockaddr *)addr, 0)) {
			slot = p;
			break;
		}
		if (p->expires_ns < slot->expires_ns)
			slot = p; /* the oldest goes first */
	}
	slot->peer = *peer;
	slot->peer_addr = *addr;
	slot->local = *local;
	slot->expires_ns = now + RELAY_PERM_S * NS_PER_S;
}

static const struct relay_perm *perm_find(const struct relay_reg *reg, const struct in6_addr *peer,
					  const struct sockaddr_storage *addr, uint64_t now)
{
	for (size_t i = 0; i < RELAY_PERMS; i++) {
		const struct relay_perm *p = &reg->perms[i];
		if (p->expires_ns > now && memcmp(&p->peer, peer, sizeof(*peer)) == 0 &&
		    relay_same_endpoint((const struct sockaddr *)&p->peer_addr,
					(const struct sockaddr *)addr, 0))
			return p;
	}
	return NULL;
}

static bool rate_ok(struct relay_reg *reg, uint64_t now)
{
	uint64_t sec = now / NS_PER_S;

	if (sec != reg->rate_sec) {
		reg->rate_sec = sec;
		reg->rate_count = 0;
	}
	return ++reg->rate_count <= RELAY_RATE_PER_S;
}

static bool notify_ok(struct relay *r)
{
	uint64_t sec = relay_now(r) / NS_PER_S;

	if (sec != r->srv.notify_sec) {
		r->srv.notify_sec = sec;
		r->srv.notify_count = 0;
	}
	return ++r->srv.notify_count <= RELAY_NOTIFY_PER_S;
}

/* RFC 5770 5.10: the notification data is the HIP header of the rejected packet. */
static void notify_sender(struct hipd *h, const struct hostid *id, const struct hip_rx *rx,
			  const struct hip_msg *m, uint16_t type)
{
	if (!id || !notify_ok(h->relay))
		return;
	notify_send(h, id, &m->hit_s, rx, type, m->raw, HIP_HDR_LEN);
}

static void drop(struct hipd *h, const struct hip_msg *m, const char *why)
{
	h->relay->srv.dropped++;
	log_debug("relay: %s from %s to %s not relayed: %s", hip_packet_type_name(m->type),
		  hit_str(&m->hit_s), hit_to_str(&m->hit_r, (char[HIT_STRLEN]){0}), why);
}

/* ---- relaying (RFC 5770 4.5) ---- */

/* Why an I1/I2 for a client cannot be relayed now, or NULL. */
static const char *inbound_refusal(struct hipd *h, struct relay_reg *reg, const struct hip_rx *rx,
				   const struct hip_msg *m, uint64_t now)
{
	if (!reg_live(h->relay, reg))
		return "no registration for the receiver HIT"; /* 4.1: silently */
	if (rx->transport != HIP_TRANSPORT_UDP)
		return "not over UDP";
	if (relay_pkt_has_relay_params(m))
		return "already carries relay parameters";
	if (!rate_ok(reg, now))
		return "rate limit of the client reached";
	return NULL;
}

static void relay_inbound(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	struct relay *r = h->relay;
	struct relay_reg *reg = reg_find(r, &m->hit_r);
	uint64_t now = relay_now(r);
	const char *why = inbound_refusal(h, reg, rx, m, now);

	if (why) {
		drop(h, m, why);
		return;
	}
	if (h->cfg.relay_require_nat_mode && m->type == HIP_I2 &&
	    !hip_msg_find(m, HIP_PARAM_NAT_TRAVERSAL_MODE)) {
		drop(h, m, "I2 without NAT_TRAVERSAL_MODE (RFC 5770 4.5)");
		notify_sender(h, hipd_identity(h, &reg->relay_hit), rx, m,
			      HIP_NTF_NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER);
		return;
	}
	struct hip_ha *ha = relay_keyed_ha(h, &reg->relay_hit, &reg->client);
	if (!ha) {
		drop(h, m, "no association with the client");
		return;
	}
	struct hip_p_relay_addr from;
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct wbuf w;
	wbuf_init(&w, pkt, sizeof(pkt));
	int err = hip_p_relay_addr_from_sa((const struct sockaddr *)&rx->src, IPPROTO_UDP, &from);
	if (!err)
		err = relay_pkt_seal(m->raw, m->len, HIP_PARAM_RELAY_FROM, &from, ha->rhash_suite,
				     ha->keys.mac_out, ha->keys.mac_len, &w);
	if (!err)
		err = out_send(h, HIP_TRANSPORT_UDP, (const struct sockaddr *)&reg->local,
			       (const struct sockaddr *)&reg->addr, pkt, w.len);
	if (err) {
		drop(h, m, hip_wire_strerror(err));
		return;
	}
	perm_add(reg, &m->hit_s, &rx->src, &rx->dst, now);
	reg->relayed_in++;
	r->srv.relayed_in++;
	log_debug("relay: %s from %s relayed to client %s", hip_packet_type_name(m->type),
		  hit_to_str(&m->hit_s, (char[HIT_STRLEN]){0}), hit_str(&m->hit_r));
}

/* An authenticated client's packet we will not carry (4.10: MESSAGE_NOT_RELAYED). */
static void refuse_client(struct hipd *h, const struct relay_reg *reg, const struct hip_rx *rx,
			  const struct hip_msg *m, const char *why)
{
	drop(h, m, why);
	notify_sender(h, hipd_identity(h, &reg->relay_hit), rx, m, HIP_NTF_MESSAGE_NOT_RELAYED);
}

/* A packet from a registered client at its registered address with a valid
 * RELAY_HMAC; else NULL (and it is dropped silently: nothing vouches for it). */
static struct relay_reg *authentic_client(struct hipd *h, const struct hip_rx *rx,
					  const struct hip_msg *m, struct hip_ha **ha)
{
	struct relay *r = h->relay;
	struct relay_reg *reg = reg_find(r, &m->hit_s);

	if (!reg_live(r, reg) || rx->transport != HIP_TRANSPORT_UDP ||
	    !relay_same_endpoint((const struct sockaddr *)&rx->src,
				 (const struct sockaddr *)&reg->addr, 0)) {
		drop(h, m, "not from a registered client's address");
		return NULL;
	}
	*ha = relay_keyed_ha(h, &reg->relay_hit, &reg->client);
	if (!*ha ||
	    relay_pkt_check(m, (*ha)->rhash_suite, (*ha)->keys.mac_in, (*ha)->keys.mac_len) != 0) {
		drop(h, m, "no valid RELAY_HMAC");
		return NULL;
	}
	return reg;
}

static void relay_outbound(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	struct relay *r = h->relay;
	struct hip_ha *ha;
	struct relay_reg *reg = authentic_client(h, rx, m, &ha);
	struct hip_p_relay_addr to;
	struct sockaddr_storage to_sa;

	if (!reg)
		return;
	if (m->type != HIP_R1 && m->type != HIP_R2) {
		refuse_client(h, reg, rx, m, "only R1 and R2 are relayed back");
		return;
	}
	if (relay_pkt_addr(m, HIP_PARAM_RELAY_TO, &to) || to.protocol != IPPROTO_UDP || !to.port ||
	    hip_p_relay_addr_to_sa(&to, &to_sa)) {
		refuse_client(h, reg, rx, m, "no usable RELAY_TO");
		return;
	}
	const struct relay_perm *perm = perm_find(reg, &m->hit_r, &to_sa, relay_now(r));
	if (!perm) {
		refuse_client(h, reg, rx, m, "RELAY_TO names no peer that came through the relay");
		return;
	}
	if (h->cfg.relay_require_nat_mode && m->type == HIP_R1 &&
	    !hip_msg_find(m, HIP_PARAM_NAT_TRAVERSAL_MODE)) {
		drop(h, m, "R1 without NAT_TRAVERSAL_MODE (RFC 5770 4.5)");
		notify_sender(h, hipd_identity(h, &reg->relay_hit), rx, m,
			      HIP_NTF_NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER);
		return;
	}
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	struct wbuf w;
	wbuf_init(&w, pkt, sizeof(pkt));
	int err = relay_pkt_strip_hmac(m, &w);
	if (!err)
		err = out_send(h, HIP_TRANSPORT_UDP, (const struct sockaddr *)&perm->local,
			       (const struct sockaddr *)&to_sa, pkt, w.len);
	if (err) {
		drop(h, m, "cannot send");
		return;
	}
	reg->relayed_out++;
	r->srv.relayed_out++;
	log_debug("relay: %s from client %s relayed to %s", hip_packet_type_name(m->type),
		  hit_str(&m->hit_s), hit_to_str(&m->hit_r, (char[HIT_STRLEN]){0}));
}

/* ---- registration (RFC 8003 3.3, RFC 5770 4.1) ---- */

/* Collects the REG_REQUESTs of m (a registrar takes one or more, 8003 4.3). */
static bool collect_request(const struct hip_msg *m, struct hip_p_reg *req)
{
	bool any = false;

	req->n = 0;
	for (const struct hip_param *p = hip_msg_find(m, HIP_PARAM_REG_REQUEST); p;
	     p = hip_msg_find_next(m, p)) {
		struct hip_p_reg one;
		if (hip_p_reg_decode(p, &one))
			continue;
		if (!any)
			req->head = one.head; /* the first request's lifetime */
		any = true;
		for (size_t i = 0; i < one.n; i++)
			if (!hip_p_reg_has(req->types, req->n, one.types[i]))
				req->types[req->n++] = one.types[i];
	}
	return any;
}

static void note_request(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
			 bool by_update, uint32_t seq)
{
	struct relay_pending *p = &h->relay->srv.pending;

	memset(p, 0, sizeof(*p));
	if (!collect_request(m, &p->req))
		return;
	p->valid = true;
	p->client = m->hit_s;
	p->relay_hit = m->hit_r;
	p->addr = rx->src;
	p->local = rx->dst;
	p->transport = rx->transport;
	p->by_update = by_update;
	p->seq = seq;
}

static void add_type(struct hip_p_reg *l, uint8_t t)
{
	if (!hip_p_reg_has(l->types, l->n, t) && l->n < HIP_REG_TYPES_MAX)
		l->types[l->n++] = t;
}

/* RELAY_UDP_HIP for p: registers (or cancels); false when the table is full. */
static bool grant(struct hipd *h, const struct relay_pending *p, uint8_t lifetime)
{
	struct relay *r = h->relay;
	struct relay_reg *reg = reg_find(r, &p->client);
	char addr[64];

	if (lifetime == 0) { /* 8003 5: a zero lifetime cancels */
		if (reg)
			reg_remove(r, reg, "cancelled by the client");
		return true;
	}
	reg = reg_upsert(h, p);
	if (!reg)
		return false;
	reg->lifetime = lifetime;
	reg->expires_ns = relay_now(r) + hip_reg_lifetime_ms(lifetime) * 1000000ull;
	log_info("relay: %s registered from %s for %llu s", hit_str(&p->client),
		 relay_endpoint_str(&p->addr, addr, sizeof(addr)),
		 (unsigned long long)(hip_reg_lifetime_ms(lifetime) / 1000));
	stamp_emit("relay.registered",
		   json_pack("{s:s,s:s}", "client", hit_str(&p->client), "address", addr));
	return true;
}

/* The answer to p: REG_RESPONSE, REG_FAILED(s), REG_FROM, in type order. */
static int answer(struct hipd *h, const struct relay_pending *p, struct wbuf *w)
{
	struct hip_p_reg ok = {0}, unavailable = {.head = HIP_REG_FAIL_UNAVAILABLE},
			 full = {.head = HIP_REG_FAIL_RESOURCES};
	uint8_t lifetime = p->req.head;

	if (lifetime && lifetime < min_lifetime()) /* 8003 4.3: granted for the bounds */
		lifetime = min_lifetime();
	if (lifetime > max_lifetime(h))
		lifetime = max_lifetime(h);
	ok.head = lifetime;
	for (size_t i = 0; i < p->req.n; i++) {
		uint8_t t = p->req.types[i];
		if (t != HIP_REG_RELAY_UDP_HIP || !h->cfg.relay_server ||
		    p->transport != HIP_TRANSPORT_UDP)
			add_type(&unavailable, t);
		else if (grant(h, p, lifetime))
			add_type(&ok, t);
		else
			add_type(&full, t);
	}
	if (ok.n)
		hip_p_reg_encode(w, HIP_PARAM_REG_RESPONSE, &ok);
	if (unavailable.n)
		hip_p_reg_encode(w, HIP_PARAM_REG_FAILED, &unavailable);
	if (full.n) {
		log_warn("relay: %s refused: %zu registrations, the maximum", hit_str(&p->client),
			 h->relay->srv.count);
		hip_p_reg_encode(w, HIP_PARAM_REG_FAILED, &full);
	}
	if (ok.n && lifetime) { /* 5770 4.1: the client's address as we see it */
		struct hip_p_relay_addr from;
		if (!hip_p_relay_addr_from_sa((const struct sockaddr *)&p->addr, IPPROTO_UDP,
					      &from))
			hip_p_relay_addr_encode(w, HIP_PARAM_REG_FROM, &from);
	}
	return wbuf_error(w);
}

static bool pending_for(const struct relay *r, const struct hip_ha *ha)
{
	const struct relay_pending *p = &r->srv.pending;

	return p->valid && memcmp(&p->client, &ha->hit_peer, sizeof(p->client)) == 0 &&
	       memcmp(&p->relay_hit, &ha->hit_local, sizeof(p->relay_hit)) == 0;
}

int relay_r2_params(struct hip_ha *ha, struct wbuf *w)
{
	struct relay *r = ha->hipd ? ha->hipd->relay : NULL;

	if (!r || !pending_for(r, ha) || r->srv.pending.by_update)
		return 0;
	r->srv.pending.valid = false;
	return answer(ha->hipd, &r->srv.pending, w);
}

int relay_update_params(struct hip_ha *ha, const uint32_t *ack, struct wbuf *w)
{
	struct relay *r = ha->hipd ? ha->hipd->relay : NULL;

	if (!r || !ack || !pending_for(r, ha) || !r->srv.pending.by_update ||
	    r->srv.pending.seq != *ack)
		return 0;
	r->srv.pending.valid = false;
	return answer(ha->hipd, &r->srv.pending, w);
}

void relay_on_update(struct hipd *h, struct hip_ha *ha, const struct hip_rx *rx,
		     const struct hip_msg *m)
{
	const struct hip_param *seq = hip_msg_find(m, HIP_PARAM_SEQ);
	uint32_t id;

	if (!h->relay)
		return;
	if (seq && !hip_p_seq_decode(seq, &id) && hip_msg_find(m, HIP_PARAM_REG_REQUEST))
		note_request(h, rx, m, true, id);
	relay_client_on_update(h, ha, m);
}

int relay_r1_params(struct hipd *h, struct wbuf *w)
{
	struct hip_p_reg_info info = {.min_lifetime = min_lifetime(),
				      .max_lifetime = max_lifetime(h),
				      .types = {HIP_REG_RELAY_UDP_HIP},
				      .n = 1};

	if (!h->cfg.relay_server)
		return 0;
	return hip_p_reg_info_encode(w, &info);
}

/* ---- entry points ---- */

int relay_start(struct hipd *h)
{
	struct relay *r = calloc(1, sizeof(*r));
	char buf[64];

	if (!r)
		return -ENOMEM;
	r->h = h;
	h->relay = r;
	relay_client_init(r);
	if (h->cfg.relay_server)
		log_info("relay: serving RELAY_UDP_HIP for up to %u clients, %u s at most",
			 h->cfg.relay_max_clients,
			 (unsigned)(hip_reg_lifetime_ms(max_lifetime(h)) / 1000));
	if (h->cfg.relay_client)
		log_info("relay: registering with the relay at %s",
			 relay_endpoint_str(&h->cfg.relay_addr, buf, sizeof(buf)));
	return 0;
}

void relay_stop(struct hipd *h)
{
	struct relay *r = h->relay;

	if (!r)
		return;
	while (r->srv.regs) {
		struct relay_reg *g = r->srv.regs;
		r->srv.regs = g->next;
		free(g);
	}
	free(r);
	h->relay = NULL;
}

static void server_tick(struct hipd *h, uint64_t now)
{
	struct relay *r = h->relay;
	struct relay_reg *next;

	for (struct relay_reg *g = r->srv.regs; g; g = next) {
		next = g->next;
		if (now >= g->expires_ns)
			reg_remove(r, g, "lifetime over");
		else if (!hadb_find(&h->db, &g->relay_hit, &g->client))
			reg_remove(r, g, "the association with the client is gone");
	}
}

void relay_tick(struct hipd *h)
{
	struct relay *r = h->relay;

	if (!r)
		return;
	server_tick(h, relay_now(r));
	relay_client_tick(h, relay_now(r));
}

void relay_clock_advance(struct hipd *h, uint32_t seconds)
{
	if (h->relay)
		h->relay->clock_offset_ns += (int64_t)seconds * (int64_t)NS_PER_S;
}

/* The server's part of relay_input: true when consumed. */
static bool server_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	static const struct in6_addr zero;

	if (m->type == HIP_I2 && is_ours(h, &m->hit_r)) {
		note_request(h, rx, m, false, 0);
		return false;
	}
	if (!h->cfg.relay_server || is_ours(h, &m->hit_r) ||
	    memcmp(&m->hit_r, &zero, sizeof(zero)) == 0)
		return false; /* opportunistic I1s are for the relay itself (RFC 8004 4.3.2) */
	if (m->type == HIP_I1 || m->type == HIP_I2) {
		relay_inbound(h, rx, m);
		return true;
	}
	if (m->type == HIP_R1 || m->type == HIP_R2 || hip_msg_find(m, HIP_PARAM_RELAY_TO)) {
		relay_outbound(h, rx, m);
		return true;
	}
	return false;
}

bool relay_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
		 struct relay_note *note)
{
	struct relay *r = h->relay;

	memset(note, 0, sizeof(*note));
	if (!r)
		return false;
	/* RFC 5770 5.3: a NOTIFY without parameters is a NAT keepalive */
	if (m->type == HIP_NOTIFY && m->len == HIP_HDR_LEN) {
		r->srv.keepalives++;
		log_debug("relay: keepalive from %s", hit_str(&m->hit_s));
		return true;
	}
	r->srv.pending.valid = false;
	if (server_input(h, rx, m))
		return true;
	if (relay_client_input(h, rx, m, note))
		return true;
	struct hip_ha *ha = hadb_find(&h->db, &m->hit_r, &m->hit_s);
	if (ha) {
		note->have_state = true;
		note->state_before = ha->state;
	}
	return false;
}

void relay_after_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
		       const struct relay_note *note)
{
	if (!h->relay)
		return;
	h->relay->srv.pending.valid = false;
	relay_client_after_input(h, rx, m, note);
}

/* ---- control ---- */

static json_t *reg_json(const struct relay *r, const struct relay_reg *g)
{
	char addr[64];
	uint64_t now = relay_now(r);

	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "hit", hit_str(&g->client), "address",
			 relay_endpoint_str(&g->addr, addr, sizeof(addr)), "remaining_s",
			 (json_int_t)((g->expires_ns - now) / NS_PER_S), "registered_for_s",
			 (json_int_t)((now - g->registered_ns) / NS_PER_S), "relayed_in",
			 (json_int_t)g->relayed_in, "relayed_out", (json_int_t)g->relayed_out);
}

json_t *relay_json(struct hipd *h)
{
	struct relay *r = h->relay;
	json_t *clients = json_array();

	if (!r)
		return NULL;
	for (const struct relay_reg *g = r->srv.regs; g; g = g->next)
		if (reg_live(r, g))
			json_array_append_new(clients, reg_json(r, g));
	json_t *srv =
	    json_pack("{s:b,s:i,s:I,s:o,s:I,s:I,s:I,s:I}", "enabled", h->cfg.relay_server,
		      "max_clients", (int)h->cfg.relay_max_clients, "max_lifetime_s",
		      (json_int_t)(hip_reg_lifetime_ms(max_lifetime(h)) / 1000), "clients", clients,
		      "relayed_in", (json_int_t)r->srv.relayed_in, "relayed_out",
		      (json_int_t)r->srv.relayed_out, "dropped", (json_int_t)r->srv.dropped,
		      "keepalives", (json_int_t)r->srv.keepalives);
	return json_pack("{s:b,s:o,s:o}", "ok", 1, "server", srv, "client", relay_client_json(h));
}

void relay_ha_json(const struct hip_ha *ha, json_t *o)
{
	struct relay *r = ha->hipd ? ha->hipd->relay : NULL;
	char addr[64];

	if (!r)
		return;
	struct relay_reg *reg = reg_find(r, &ha->hit_peer);
	if (reg_live(r, reg) && memcmp(&reg->relay_hit, &ha->hit_local, 16) == 0)
		json_object_set_new(
		    o, "relay_client_remaining_s",
		    json_integer((json_int_t)((reg->expires_ns - relay_now(r)) / NS_PER_S)));
	relay_client_ha_json(ha, o);
	if (!ha->via_relay)
		return;
	json_object_set_new(o, "via_relay", json_true());
	json_object_set_new(
	    o, "relayed_peer_locator",
	    json_string(relay_endpoint_str(&ha->relay_peer_addr, addr, sizeof(addr))));
}
