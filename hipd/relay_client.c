/* HIP relay client (RFC 5770 4.1, 4.5, 4.7; RFC 8003 3.2): registers with the
 * relay of --relay, refreshes by UPDATE, sends keepalives, and answers relayed
 * I1/I2 back through the relay with RELAY_TO. The server side is relay.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/auth.h"
#include "hipd/bex.h"
#include "hipd/output.h"
#include "hipd/relay_int.h"
#include "hipd/relay_pkt.h"

#define REQUEST_TIMEOUT_S 30 /* a base exchange with the relay that long is dead */
#define BACKOFF_MAX_S	  60
#define UPDATE_TRIES	  5

static const char *const state_names[] = {
    [RC_OFF] = "off",
    [RC_IDLE] = "unregistered",
    [RC_REQUESTED] = "registering",
    [RC_REGISTERED] = "registered",
    [RC_FAILED] = "failed",
};

static bool same_hit(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Address equality without the port (the locator map keeps addresses). */
static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct sockaddr_storage x = *a, y = *b;

	if (x.ss_family == AF_INET)
		((struct sockaddr_in *)&x)->sin_port = ((struct sockaddr_in *)&y)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&x)->sin6_port = ((struct sockaddr_in6 *)&y)->sin6_port = 0;
	return relay_same_endpoint((struct sockaddr *)&x, (struct sockaddr *)&y, 0);
}

void relay_client_init(struct relay *r)
{
	struct relay_client *c = &r->cli;

	c->state = r->h->cfg.relay_client ? RC_IDLE : RC_OFF;
	c->failure_type = -1;
	c->backoff_s = 1;
}

static struct relay_client *client_of(struct hipd *h)
{
	if (!h || !h->relay || h->relay->cli.state == RC_OFF)
		return NULL;
	return &h->relay->cli;
}

static bool from_our_relay(const struct hipd *h, const struct sockaddr_storage *src)
{
	return relay_same_endpoint((const struct sockaddr *)src,
				   (const struct sockaddr *)&h->cfg.relay_addr, h->cfg.udp_port);
}

static struct hip_ha *relay_ha(struct hipd *h)
{
	return hadb_find(&h->db, &hipd_default_identity(h)->hit, &h->relay->cli.relay_hit);
}

static struct hip_ha *relay_ha_keyed(struct hipd *h)
{
	return relay_keyed_ha(h, &hipd_default_identity(h)->hit, &h->relay->cli.relay_hit);
}

/* The map entry for the relay's address gives its HIT; with a port other than
 * the HIP port the entry gets that port, so the exchange goes there. */
static void adopt_map(struct hipd *h, const struct in6_addr *hit,
		      const struct sockaddr_storage *loc)
{
	struct relay_client *c = &h->relay->cli;
	struct in6_addr copy = *hit;
	char buf[HIT_STRLEN];

	c->relay_hit = copy;
	c->hit_known = true;
	if (!relay_same_endpoint((const struct sockaddr *)loc,
				 (const struct sockaddr *)&h->cfg.relay_addr, h->cfg.udp_port)) {
		struct sockaddr_storage old = *loc;
		hadb_map_del(&h->db, &copy, (struct sockaddr *)&old);
		hadb_map_add(&h->db, &copy, (struct sockaddr *)&h->cfg.relay_addr);
	}
	log_info("relay: the relay's HIT is %s (from the locator map)", hit_to_str(&copy, buf));
}

static bool learn_relay_hit(struct hipd *h)
{
	struct relay_client *c = &h->relay->cli;
	char buf[64];

	const struct hip_map *first = NULL;
	size_t loc = 0;

	/* Peers behind the relay are mapped to its address too: the relay is the
	 * HIT mapped there first (maps are kept newest first, so the last match). */
	for (const struct hip_map *m = h->db.maps; m; m = m->next)
		for (size_t i = 0; i < m->nlocs; i++)
			if (same_ip(&m->locs[i], &h->cfg.relay_addr)) {
				first = m;
				loc = i;
			}
	if (first) {
		adopt_map(h, &first->hit, &first->locs[loc]);
		return true;
	}
	if (!c->waiting_logged)
		log_info("relay: waiting for the relay's HIT: hipconf daemon add map HIT %s",
			 relay_endpoint_str(&h->cfg.relay_addr, buf, sizeof(buf)));
	c->waiting_logged = true;
	return false;
}

static void fail(struct hipd *h, uint64_t now, const char *why, unsigned wait_s)
{
	struct relay_client *c = &h->relay->cli;

	c->state = RC_FAILED;
	c->error = why;
	c->updating = false;
	if (!wait_s) {
		wait_s = c->backoff_s;
		c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : c->backoff_s * 2;
	}
	c->next_try_ns = now + wait_s * NS_PER_S;
	log_warn("relay: registration failed: %s; trying again in %u s", why, wait_s);
	stamp_emit("relay.client_failed", json_pack("{s:s}", "why", why));
}

static void lose(struct hipd *h, uint64_t now, const char *why)
{
	struct relay_client *c = &h->relay->cli;

	log_warn("relay: registration lost: %s", why);
	c->state = RC_IDLE;
	c->error = why;
	c->updating = false;
	c->next_try_ns = now;
}

static uint8_t requested_lifetime(const struct hipd *h)
{
	const struct relay_client *c = &h->relay->cli;
	uint8_t x = hip_reg_lifetime_encode(h->cfg.relay_lifetime_s);

	/* 8003 4.3: not outside the range the relay announced */
	if (c->min_lifetime && x < c->min_lifetime)
		x = c->min_lifetime;
	if (c->max_lifetime && x > c->max_lifetime)
		x = c->max_lifetime;
	return x ? x : 1;
}

static int build_reg_update(struct hip_ha *ha, uint32_t seq, struct wbuf *w)
{
	struct hip_p_reg req = {
	    .head = requested_lifetime(ha->hipd), .types = {HIP_REG_RELAY_UDP_HIP}, .n = 1};

	hip_build_start(w, HIP_UPDATE, 0, &ha->hit_local, &ha->hit_peer);
	hip_p_seq_encode(w, seq);
	hip_p_reg_encode(w, HIP_PARAM_REG_REQUEST, &req);
	if (wbuf_error(w))
		return wbuf_error(w);
	return auth_seal(ha->rhash_suite, ha->keys.mac_out, ha->keys.mac_len, ha->local_id, w);
}

/* RFC 8003 3.2: registration on an existing association, by UPDATE (SEQ,
 * REG_REQUEST), retransmitted until the relay's ACK with REG_RESPONSE comes. */
static int send_reg_update(struct hipd *h, struct hip_ha *ha, uint64_t now)
{
	struct relay_client *c = &h->relay->cli;
	struct wbuf w;

	if (ha->upd.pending)
		return -EBUSY; /* RFC 7401 6.11: one UPDATE at a time; after the rekey */
	wbuf_init(&w, c->upd_pkt, sizeof(c->upd_pkt));
	int err = build_reg_update(ha, ha->upd.next_id, &w);
	if (err)
		return err;
	c->upd_seq = ha->upd.next_id++;
	c->upd_len = w.len;
	c->updating = true;
	c->by_update = true;
	c->upd_tries = 0;
	c->upd_next_ns = now + NS_PER_S;
	out_send(h, ha->transport, (struct sockaddr *)&ha->local_addr,
		 (struct sockaddr *)&ha->peer_addr, c->upd_pkt, c->upd_len);
	return 0;
}

static void retransmit_update(struct hipd *h, uint64_t now)
{
	struct relay_client *c = &h->relay->cli;
	struct hip_ha *ha = relay_ha_keyed(h);

	if (now < c->upd_next_ns)
		return;
	if (!ha || c->upd_tries >= UPDATE_TRIES) {
		c->offered = false; /* start over with a base exchange */
		fail(h, now, "the relay does not answer the registration UPDATE", 1);
		return;
	}
	c->upd_tries++;
	c->upd_next_ns = now + (1ull << c->upd_tries) * NS_PER_S;
	out_send(h, ha->transport, (struct sockaddr *)&ha->local_addr,
		 (struct sockaddr *)&ha->peer_addr, c->upd_pkt, c->upd_len);
}

/* A base exchange with REG_REQUEST in I2 (RFC 5770 4.1, Figure 2), over UDP. */
static void start_bex(struct hipd *h, uint64_t now)
{
	struct relay_client *c = &h->relay->cli;
	struct hip_ha *ha = relay_ha(h);
	enum hip_transport saved = h->cfg.transport;

	if (ha)
		hadb_del(&h->db, ha);
	h->cfg.transport = HIP_TRANSPORT_UDP; /* only this exchange */
	int err = bex_trigger(h, &c->relay_hit, HIPD_FAULT_NONE);
	h->cfg.transport = saved;
	if (err) {
		fail(h, now, "cannot start a base exchange with the relay", 0);
		return;
	}
	c->state = RC_REQUESTED;
	c->by_update = false;
	c->asked = false;
	c->requested_ns = now;
}

static void start_request(struct hipd *h, uint64_t now)
{
	struct relay_client *c = &h->relay->cli;
	struct hip_ha *ha = relay_ha_keyed(h);

	c->error = NULL;
	c->failure_type = -1;
	if (ha && ha->state == HIP_STATE_ESTABLISHED && c->offered) {
		if (send_reg_update(h, ha, now) == 0) {
			c->state = RC_REQUESTED;
			c->requested_ns = now;
		}
		return; /* or next second, after a rekey */
	}
	start_bex(h, now);
}

static void check_request(struct hipd *h, uint64_t now)
{
	struct relay_client *c = &h->relay->cli;
	struct hip_ha *ha = relay_ha(h);

	if (c->by_update)
		return; /* retransmit_update decides */
	if (!ha || ha->state == HIP_STATE_E_FAILED)
		fail(h, now, "the base exchange with the relay failed", 0);
	else if (now - c->requested_ns > REQUEST_TIMEOUT_S * NS_PER_S)
		fail(h, now, "no answer from the relay", 0);
}

/* RFC 5770 4.7, 5.3: without ICE, a NOTIFY without parameters. */
static void keepalive(struct hipd *h, uint64_t now)
{
	struct relay_client *c = &h->relay->cli;
	struct hip_ha *ha = relay_ha_keyed(h);
	uint8_t pkt[HIP_HDR_LEN];
	struct wbuf w;

	if (!ha || now < c->next_keepalive_ns)
		return;
	c->next_keepalive_ns = now + (uint64_t)h->cfg.relay_keepalive_s * NS_PER_S;
	wbuf_init(&w, pkt, sizeof(pkt));
	if (hip_build_start(&w, HIP_NOTIFY, 0, &ha->hit_local, &ha->hit_peer) ||
	    hip_build_set_len(&w))
		return;
	if (out_send(h, ha->transport, (struct sockaddr *)&ha->local_addr,
		     (struct sockaddr *)&ha->peer_addr, pkt, w.len) == 0)
		c->keepalives++;
}

void relay_client_tick(struct hipd *h, uint64_t now)
{
	struct relay_client *c = client_of(h);

	if (!c || (!c->hit_known && !learn_relay_hit(h)))
		return;
	if (c->state == RC_REGISTERED && !relay_ha_keyed(h))
		lose(h, now, "the association with the relay ended");
	else if (c->state == RC_REGISTERED && now >= c->expires_ns)
		lose(h, now, "the registration expired");
	switch (c->state) {
	case RC_IDLE:
		if (now >= c->next_try_ns)
			start_request(h, now);
		break;
	case RC_REQUESTED:
		check_request(h, now);
		break;
	case RC_REGISTERED:
		if (!c->updating && now >= c->refresh_ns)
			send_reg_update(h, relay_ha_keyed(h), now);
		keepalive(h, now);
		break;
	case RC_FAILED:
		if (now >= c->next_try_ns)
			start_request(h, now);
		break;
	default:
		break;
	}
	if (c->updating)
		retransmit_update(h, now);
}

/* ---- the relay's answers ---- */

/* The first parameter of type t listing RELAY_UDP_HIP. */
static bool find_reg(const struct hip_msg *m, uint16_t t, struct hip_p_reg *out)
{
	for (const struct hip_param *p = hip_msg_find(m, t); p; p = hip_msg_find_next(m, p))
		if (!hip_p_reg_decode(p, out) &&
		    hip_p_reg_has(out->types, out->n, HIP_REG_RELAY_UDP_HIP))
			return true;
	return false;
}

static void registered(struct hipd *h, uint8_t lifetime, uint64_t now)
{
	struct relay_client *c = &h->relay->cli;
	uint64_t life_ns = hip_reg_lifetime_ms(lifetime) * 1000000ull;
	char addr[64], hit[HIT_STRLEN];

	if (c->state != RC_REGISTERED)
		c->next_keepalive_ns = now + (uint64_t)h->cfg.relay_keepalive_s * NS_PER_S;
	c->state = RC_REGISTERED;
	c->lifetime = lifetime;
	c->registered_ns = now;
	c->expires_ns = now + life_ns;
	c->refresh_ns = now + life_ns / 5 * 4;
	c->backoff_s = 1;
	c->error = NULL;
	c->failure_type = -1;
	c->registrations++;
	log_info("relay: registered with %s for %llu s; the relay sees us at %s",
		 hit_to_str(&c->relay_hit, hit), (unsigned long long)(life_ns / NS_PER_S),
		 c->have_reflexive ? relay_endpoint_str(&c->reflexive, addr, sizeof(addr)) : "?");
	stamp_emit("relay.client_registered", json_pack("{s:s}", "relay", hit));
}

static void take_response(struct hipd *h, const struct hip_msg *m, uint64_t now)
{
	struct relay_client *c = &h->relay->cli;
	struct hip_p_reg resp, failed;
	struct hip_p_relay_addr from;
	bool ok = find_reg(m, HIP_PARAM_REG_RESPONSE, &resp);
	bool refused = !ok && find_reg(m, HIP_PARAM_REG_FAILED, &failed);

	c->updating = false;
	if (!relay_pkt_addr(m, HIP_PARAM_REG_FROM, &from) &&
	    !hip_p_relay_addr_to_sa(&from, &c->reflexive))
		c->have_reflexive = true;
	if (ok && resp.head) {
		registered(h, resp.head, now);
	} else if (ok) {
		lose(h, now, "the relay cancelled the registration");
		c->next_try_ns = now + BACKOFF_MAX_S * NS_PER_S;
	} else if (refused) {
		c->failure_type = failed.head;
		/* 8003 4.5: after "insufficient resources", not again at once */
		fail(h, now,
		     failed.head == HIP_REG_FAIL_RESOURCES ? "the relay has no room (REG_FAILED 2)"
							   : "the relay refused (REG_FAILED)",
		     BACKOFF_MAX_S);
	} else {
		fail(h, now,
		     c->asked || c->by_update
			 ? "the relay answered without REG_RESPONSE"
			 : "the relay offers no RELAY_UDP_HIP (R1 without REG_INFO)",
		     BACKOFF_MAX_S);
	}
}

void relay_client_on_update(struct hipd *h, struct hip_ha *ha, const struct hip_msg *m)
{
	struct relay_client *c = client_of(h);
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_ACK);
	struct hip_p_ack ack;

	if (!c || !c->hit_known || !c->updating || !same_hit(&ha->hit_peer, &c->relay_hit))
		return;
	if (!p || hip_p_ack_decode(p, &ack))
		return;
	for (size_t i = 0; i < ack.n; i++) {
		if (ack.ids[i] == c->upd_seq) {
			take_response(h, m, relay_now(h->relay));
			return;
		}
	}
}

int relay_i2_params(struct hip_ha *ha, struct wbuf *w)
{
	struct relay_client *c = client_of(ha->hipd);

	if (!c || !c->hit_known || !same_hit(&ha->hit_peer, &c->relay_hit) || !c->offered)
		return 0;
	struct hip_p_reg req = {
	    .head = requested_lifetime(ha->hipd), .types = {HIP_REG_RELAY_UDP_HIP}, .n = 1};
	c->asked = true;
	return hip_p_reg_encode(w, HIP_PARAM_REG_REQUEST, &req);
}

/* ---- relayed packets ---- */

static void peer_note(struct relay_client *c, const struct in6_addr *peer,
		      const struct sockaddr_storage *addr, uint64_t now)
{
	struct relayed_peer *slot = &c->peers[0];

	for (size_t i = 0; i < RELAYED_PEERS; i++) {
		struct relayed_peer *p = &c->peers[i];
		if (p->used_ns && same_hit(&p->peer, peer)) {
			slot = p;
			break;
		}
		if (p->used_ns < slot->used_ns)
			slot = p; /* a free slot, else the least recently used */
	}
	slot->peer = *peer;
	slot->addr = *addr;
	slot->used_ns = now ? now : 1;
}

static struct relayed_peer *peer_find(struct relay_client *c, const struct in6_addr *peer)
{
	for (size_t i = 0; i < RELAYED_PEERS; i++)
		if (c->peers[i].used_ns && same_hit(&c->peers[i].peer, peer))
			return &c->peers[i];
	return NULL;
}

/* R1 from our relay: whether it offers RELAY_UDP_HIP. Read before the R1 is
 * authenticated, but only the I2 answering this same R1 (built after its
 * signature verified) acts on it. */
static void peek_reg_info(struct relay_client *c, const struct hip_msg *m)
{
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_REG_INFO);
	struct hip_p_reg_info info;

	c->offered = p && !hip_p_reg_info_decode(p, &info) &&
		     hip_p_reg_has(info.types, info.n, HIP_REG_RELAY_UDP_HIP);
	if (c->offered) {
		c->min_lifetime = info.min_lifetime;
		c->max_lifetime = info.max_lifetime;
	}
}

/* Counted, logged at debug level only: anyone can send such packets. */
static bool relayed_drop(struct hipd *h, const struct hip_msg *m, const char *why)
{
	char buf[HIT_STRLEN];

	h->relay->cli.dropped++;
	log_debug("relay: %s from %s dropped: %s", hip_packet_type_name(m->type),
		  hit_to_str(&m->hit_s, buf), why);
	return true;
}

bool relay_client_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
			struct relay_note *note)
{
	static const struct in6_addr zero;
	struct relay_client *c = client_of(h);
	bool has_from = hip_msg_find(m, HIP_PARAM_RELAY_FROM) != NULL;

	if (c && c->hit_known && m->type == HIP_R1 && same_hit(&m->hit_s, &c->relay_hit))
		peek_reg_info(c, m);
	if (!has_from && !hip_msg_find(m, HIP_PARAM_RELAY_HMAC))
		return false;
	/* RFC 8004 4.3.2: a RELAY_HMAC that cannot be verified drops the packet */
	if (!c || !c->hit_known || !from_our_relay(h, &rx->src))
		return relayed_drop(h, m, "relay parameters, but not from our relay");
	struct hip_ha *ha = relay_ha_keyed(h);
	if (!ha || relay_pkt_check(m, ha->rhash_suite, ha->keys.mac_in, ha->keys.mac_len))
		return relayed_drop(h, m, "RELAY_HMAC does not verify");
	if (!has_from)
		return false;
	struct hip_p_relay_addr from;
	if (relay_pkt_addr(m, HIP_PARAM_RELAY_FROM, &from) ||
	    hip_p_relay_addr_to_sa(&from, &note->from))
		return relayed_drop(h, m, "malformed or repeated RELAY_FROM");
	if (m->type == HIP_I1 && same_hit(&m->hit_r, &zero))
		return relayed_drop(h, m, "opportunistic I1 through a relay (RFC 8004 4.3.2)");
	note->relayed = true;
	peer_note(c, &m->hit_s, &note->from, relay_now(h->relay));
	return false;
}

void relay_client_after_input(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m,
			      const struct relay_note *note)
{
	struct relay_client *c = client_of(h);
	struct hip_ha *ha = hadb_find(&h->db, &m->hit_r, &m->hit_s);
	char buf[64], hit[HIT_STRLEN];

	if (!c || !ha)
		return;
	/* an R2 from the relay that completed our exchange: the registration's outcome */
	if (m->type == HIP_R2 && c->hit_known && same_hit(&m->hit_s, &c->relay_hit) &&
	    note->have_state && note->state_before == HIP_STATE_I2_SENT &&
	    ha->state == HIP_STATE_ESTABLISHED)
		take_response(h, m, relay_now(h->relay));
	/* a relayed I2 that created an association: where the Initiator really is */
	if (m->type == HIP_I2 && note->relayed && ha->state == HIP_STATE_R2_SENT &&
	    relay_same_endpoint((struct sockaddr *)&ha->peer_addr,
				(const struct sockaddr *)&rx->src, 0)) {
		ha->via_relay = true;
		ha->relay_peer_addr = note->from;
		log_info("relay: association with %s runs through the relay; the peer is at %s",
			 hit_to_str(&m->hit_s, hit),
			 relay_endpoint_str(&note->from, buf, sizeof(buf)));
	}
}

uint8_t *relay_wrap(struct hipd *h, const struct sockaddr *dst, uint8_t *pkt, size_t *len,
		    uint8_t *buf, size_t cap)
{
	struct relay_client *c = client_of(h);
	struct hip_p_relay_addr to;
	struct in6_addr hit_r;
	struct cursor cur;
	uint8_t type;
	struct wbuf w;

	if (!c || !c->hit_known ||
	    !relay_same_endpoint(dst, (const struct sockaddr *)&h->cfg.relay_addr, h->cfg.udp_port))
		return pkt;
	cur_init(&cur, pkt, *len);
	if (cur_skip(&cur, 2) || cur_u8(&cur, &type) || cur_skip(&cur, 21) ||
	    cur_copy(&cur, &hit_r, sizeof(hit_r)))
		return pkt;
	type &= 0x7f;
	if ((type != HIP_R1 && type != HIP_R2) || same_hit(&hit_r, &c->relay_hit))
		return pkt;
	struct relayed_peer *p = peer_find(c, &hit_r);
	struct hip_ha *ha = relay_ha_keyed(h);
	if (!p || !ha || hip_p_relay_addr_from_sa((struct sockaddr *)&p->addr, IPPROTO_UDP, &to))
		return pkt;
	wbuf_init(&w, buf, cap);
	int err = relay_pkt_seal(pkt, *len, HIP_PARAM_RELAY_TO, &to, ha->rhash_suite,
				 ha->keys.mac_out, ha->keys.mac_len, &w);
	if (err) {
		log_warn("relay: cannot add RELAY_TO: %s", hip_wire_strerror(err));
		return pkt;
	}
	p->used_ns = relay_now(h->relay);
	*len = w.len;
	return buf;
}

void relay_client_ha_json(const struct hip_ha *ha, json_t *o)
{
	struct relay_client *c = client_of(ha->hipd);

	if (c && c->hit_known && same_hit(&ha->hit_peer, &c->relay_hit))
		json_object_set_new(o, "relay_registration", json_string(state_names[c->state]));
}

json_t *relay_client_json(struct hipd *h)
{
	struct relay_client *c = &h->relay->cli;
	char addr[64], hit[HIT_STRLEN];
	uint64_t now = relay_now(h->relay);
	json_t *o = json_pack("{s:b,s:s,s:b}", "enabled", c->state != RC_OFF, "state",
			      state_names[c->state], "registered", c->state == RC_REGISTERED);

	if (c->state == RC_OFF)
		return o;
	json_object_set_new(
	    o, "relay", json_string(relay_endpoint_str(&h->cfg.relay_addr, addr, sizeof(addr))));
	if (c->hit_known)
		json_object_set_new(o, "relay_hit", json_string(hit_to_str(&c->relay_hit, hit)));
	if (c->state == RC_REGISTERED) {
		uint64_t left = c->expires_ns > now ? c->expires_ns - now : 0;
		json_object_set_new(o, "remaining_s", json_integer((json_int_t)(left / NS_PER_S)));
		json_object_set_new(
		    o, "lifetime_s",
		    json_integer((json_int_t)(hip_reg_lifetime_ms(c->lifetime) / 1000)));
	}
	if (c->have_reflexive)
		json_object_set_new(
		    o, "reflexive",
		    json_string(relay_endpoint_str(&c->reflexive, addr, sizeof(addr))));
	if (c->error)
		json_object_set_new(o, "error", json_string(c->error));
	if (c->failure_type >= 0)
		json_object_set_new(o, "failure_type", json_integer(c->failure_type));
	json_object_set_new(o, "keepalives", json_integer((json_int_t)c->keepalives));
	json_object_set_new(o, "dropped", json_integer((json_int_t)c->dropped));
	json_object_set_new(o, "registrations", json_integer((json_int_t)c->registrations));
	return o;
}
