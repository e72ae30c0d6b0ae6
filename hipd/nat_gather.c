/* The host's ICE candidates for hipd: host addresses, a server-reflexive one by
 * STUN Binding, a relayed one from one TURN allocation on the HIP UDP socket, kept
 * fresh and shared by every association's agent. Not the agents (nat.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/stamp.h"
#include "hipd/hipd.h"
#include "hipd/nat.h"
#include "hipd/nat_host.h"
#include "hipd/transport.h"
#include "ice/cand.h"
#include "ice/stun.h"
#include "ice/stun_txn.h"
#include "ice/turn.h"

#define REGATHER_MS	  60000 /* a fresh Binding keeps the srflx mapping alive */
#define GATHER_TIMING_RC  5	/* Binding sends before the server counts as silent */
#define TURN_RETRY_MIN_MS 1000	/* RFC 8656 7.4: a 437 may be transient; so may a silent server */
#define TURN_RETRY_MAX_MS 60000

static const struct stun_txn_timing gather_timing = {250, GATHER_TIMING_RC, 4};

static int sock_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct nat_base *b = ctx;
	struct esp_tx tx = {.src = &b->sock.local,
			    .dst = (const struct sockaddr_storage *)dst,
			    .pkt = buf,
			    .len = len};
	size_t failed = 0;

	return transport_send_esp_batch(b->host->h->tr, &tx, 1, &failed);
}

static int relay_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	struct nat_host *n = ctx;
	int err;

	if (!n->turn)
		return -ENOTCONN;
	err = turn_client_bind_channel(n->turn, dst);
	if (err)
		return err;
	return turn_client_send(n->turn, dst, buf, len);
}

static bool usable_ipv4(const struct ifaddrs *ifa, bool loopback_ok)
{
	const struct sockaddr_in *a = (const void *)ifa->ifa_addr;
	uint8_t first = (uint8_t)(ntohl(a->sin_addr.s_addr) >> 24);

	if (!(ifa->ifa_flags & IFF_UP) || strcmp(ifa->ifa_name, "hit0") == 0)
		return false;
	if (first == 1) /* 1.0.0.0/8: our LSIs */
		return false;
	return loopback_ok || !(ifa->ifa_flags & IFF_LOOPBACK);
}

static void add_base(struct nat_host *n, const struct sockaddr_in *addr)
{
	struct nat_base *b;

	if (n->n_bases == NAT_MAX_BASES)
		return;
	b = &n->bases[n->n_bases++];
	memset(b, 0, sizeof(*b));
	b->host = n;
	memcpy(&b->sock.local, addr, sizeof(*addr));
	((struct sockaddr_in *)&b->sock.local)->sin_port = htons(n->h->cfg.udp_port);
	b->sock.send = sock_send;
	b->sock.ctx = b;
}

/* Host candidates: the configured addresses, else every IPv4 address that is
 * up, not loopback, not an LSI, not on hit0. */
static int find_bases(struct nat_host *n)
{
	struct ifaddrs *ifs, *ifa;
	const char *list = n->h->cfg.ice_host_addrs;

	if (list && *list)
		return nat_host_parse_addrs(n, list);
	if (getifaddrs(&ifs) < 0)
		return -errno;
	for (ifa = ifs; ifa; ifa = ifa->ifa_next)
		if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET && usable_ipv4(ifa, false))
			add_base(n, (const struct sockaddr_in *)ifa->ifa_addr);
	freeifaddrs(ifs);
	return n->n_bases ? 0 : -EADDRNOTAVAIL;
}

int nat_host_parse_addrs(struct nat_host *n, const char *list)
{
	char buf[256], *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		struct sockaddr_in a = {.sin_family = AF_INET};

		if (inet_pton(AF_INET, t, &a.sin_addr) != 1)
			return -EINVAL;
		add_base(n, &a);
	}
	return n->n_bases ? 0 : -EINVAL;
}

static void gather_done_check(struct nat_host *n)
{
	char detail[64];

	if (n->stun_pending || n->turn_pending || !n->gathering)
		return;
	n->gathering = false;
	n->gathered = true;
	n->gathered_ns = stamp_now_ns();
	snprintf(detail, sizeof(detail), "%zu", nat_local_candidates(n->h, NULL, 0));
	stamp_emit("nat.gather.done",
		   json_pack("{s:s,s:f}", "candidates", detail, "ms",
			     (double)(n->gathered_ns - n->gather_start_ns) / 1e6));
	log_info("nat: %s candidates gathered in %.1f ms", detail,
		 (double)(n->gathered_ns - n->gather_start_ns) / 1e6);
}

static void on_binding(void *arg, int err, const struct stun_msg *resp, const struct sockaddr *from)
{
	struct nat_base *b = arg;
	struct nat_host *n = b->host;
	const struct stun_attr *a;
	struct sockaddr_storage mapped;
	char s[64];
	(void)from;

	b->txn = NULL;
	n->stun_pending--;
	if (err || resp->cls != STUN_SUCCESS) {
		log_warn("nat: STUN server %s: %s",
			 ice_sa_str((struct sockaddr *)&n->h->cfg.stun_server, s, sizeof(s)),
			 err ? strerror(-err) : "error response to Binding");
		gather_done_check(n);
		return;
	}
	a = stun_find(resp, STUN_A_XOR_MAPPED_ADDRESS);
	if (!a || stun_get_xor_addr(resp, a, &mapped)) {
		log_warn("nat: Binding success without XOR-MAPPED-ADDRESS");
	} else {
		b->srflx = mapped;
		b->has_srflx = true;
	}
	gather_done_check(n);
}

static int send_binding(struct nat_base *b)
{
	struct nat_host *n = b->host;
	uint8_t tid[STUN_TID_LEN], buf[128];
	struct stun_builder sb;
	size_t len;
	int err;

	if (stun_new_tid(tid))
		return -EIO;
	stun_build_init(&sb, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put_fingerprint(&sb);
	err = stun_finish(&sb, &len);
	if (err)
		return err;
	err = stun_txn_start(&n->txns, &b->sock, (struct sockaddr *)&n->h->cfg.stun_server, buf,
			     len, &gather_timing, on_binding, b, &b->txn);
	if (!err)
		n->stun_pending++;
	return err;
}

static void on_turn_retry(uv_timer_t *t);

static void on_allocated(void *arg, int err, const struct sockaddr *relayed,
			 const struct sockaddr *mapped, const char *reason)
{
	struct nat_host *n = arg;
	char s[64];

	if (n->turn_pending)
		n->turn_pending = 0;
	if (err) {
		n->has_relay = false;
		log_warn("nat: TURN server %s: %s; trying again in %u s",
			 ice_sa_str((struct sockaddr *)&n->h->cfg.turn_server, s, sizeof(s)),
			 reason ? reason : strerror(-err), n->turn_retry_ms / 1000);
		turn_client_close(n->turn);
		n->turn = NULL;
		uv_timer_start(&n->turn_retry, on_turn_retry, n->turn_retry_ms, 0);
		n->turn_retry_ms = n->turn_retry_ms * 2 > TURN_RETRY_MAX_MS ? TURN_RETRY_MAX_MS
									    : n->turn_retry_ms * 2;
		gather_done_check(n);
		return;
	}
	n->turn_retry_ms = TURN_RETRY_MIN_MS;
	memcpy(&n->relayed, relayed, ice_sa_len(relayed));
	memcpy(&n->relay_mapped, mapped, ice_sa_len(mapped));
	memcpy(&n->relay_sock.local, relayed, ice_sa_len(relayed));
	n->has_relay = true;
	if (!n->bases[0].has_srflx) { /* the Allocate's XOR-MAPPED-ADDRESS, without a STUN server */
		memcpy(&n->bases[0].srflx, mapped, ice_sa_len(mapped));
		n->bases[0].has_srflx = true;
	}
	log_info("nat: TURN relay %s", ice_sa_str(relayed, s, sizeof(s)));
	gather_done_check(n);
}

static void on_relay_data(void *arg, const struct sockaddr *peer, const uint8_t *data, size_t len)
{
	struct nat_host *n = arg;

	nat_relay_input(n->h, peer, (struct sockaddr *)&n->relayed, data, len);
}

static int start_turn(struct nat_host *n)
{
	struct turn_config tc = {.user = n->h->cfg.turn_user, .pass = n->h->cfg.turn_pass};
	static const struct turn_callbacks cb = {.on_allocated = on_allocated,
						 .on_data = on_relay_data};
	int err;

	memcpy(&tc.server, &n->h->cfg.turn_server, sizeof(tc.server));
	err = turn_client_new(n->h->loop, &n->bases[0].sock, &tc, &cb, n, &n->turn);
	if (err)
		return err;
	err = turn_client_allocate(n->turn);
	if (!err)
		n->turn_pending = 1;
	return err;
}

static void on_turn_retry(uv_timer_t *t)
{
	struct nat_host *n = t->data;

	if (!n->turn && n->h->cfg.turn_server.ss_family && start_turn(n))
		log_warn("nat: cannot start the TURN client");
}

int nat_gather_start(struct nat_host *n)
{
	if (n->gathering)
		return -EINPROGRESS;
	n->gathering = true;
	n->gather_start_ns = stamp_now_ns();
	stamp_emit("nat.gather.start", NULL);
	if (n->h->cfg.stun_server.ss_family)
		for (size_t i = 0; i < n->n_bases; i++)
			if (send_binding(&n->bases[i]))
				log_warn("nat: cannot send a STUN Binding");
	if (n->h->cfg.turn_server.ss_family && !n->turn && start_turn(n))
		log_warn("nat: cannot start the TURN client");
	gather_done_check(n);
	return 0;
}

static void on_regather(uv_timer_t *t)
{
	nat_gather_start(t->data);
}

int nat_host_init(struct hipd *h, struct nat_host **out)
{
	struct nat_host *n = calloc(1, sizeof(*n));
	int err;

	if (!n)
		return -ENOMEM;
	n->h = h;
	err = find_bases(n);
	if (err) {
		free(n);
		return err;
	}
	stun_txns_init(&n->txns, h->loop);
	n->relay_sock.send = relay_send;
	n->relay_sock.ctx = n;
	uv_timer_init(h->loop, &n->regather);
	n->regather.data = n;
	uv_timer_init(h->loop, &n->turn_retry);
	n->turn_retry.data = n;
	n->turn_retry_ms = TURN_RETRY_MIN_MS;
	n->open_timers = 2;
	uv_timer_start(&n->regather, on_regather, REGATHER_MS, REGATHER_MS);
	*out = n;
	return nat_gather_start(n);
}

static void free_on_close(uv_handle_t *t)
{
	struct nat_host *n = t->data;

	if (--n->open_timers == 0)
		free(n);
}

void nat_host_close(struct nat_host *n)
{
	if (!n)
		return;
	stun_txns_close(&n->txns);
	if (n->turn)
		turn_client_close(n->turn);
	uv_timer_stop(&n->regather);
	uv_timer_stop(&n->turn_retry);
	uv_close((uv_handle_t *)&n->regather, free_on_close);
	uv_close((uv_handle_t *)&n->turn_retry, free_on_close);
}

/* Appends c when there is room; counts it either way (RFC 5770 4.2: component 1). */
static void put_cand(struct ice_cand *out, size_t cap, size_t *n, const struct ice_cand *c, int err)
{
	if (err)
		return;
	if (out && *n < cap)
		out[*n] = *c;
	(*n)++;
}

size_t nat_local_candidates(const struct hipd *h, struct ice_cand *out, size_t cap)
{
	const struct nat_host *n = h->nat;
	const struct sockaddr *stun = (const struct sockaddr *)&h->cfg.stun_server;
	const struct sockaddr *turn = (const struct sockaddr *)&h->cfg.turn_server;
	struct ice_cand c;
	size_t count = 0;

	if (!n)
		return 0;
	for (size_t i = 0; i < n->n_bases && !h->cfg.ice_relay_only; i++) {
		const struct nat_base *b = &n->bases[i];
		const struct sockaddr *base = (const struct sockaddr *)&b->sock.local;
		unsigned pref = ICE_LOCALPREF_MAX - (unsigned)i;

		put_cand(out, cap, &count, &c, ice_cand_host(&c, 1, base, pref));
		if (b->has_srflx && !ice_sa_equal((const struct sockaddr *)&b->srflx, base))
			put_cand(out, cap, &count, &c,
				 ice_cand_srflx(&c, 1, (const struct sockaddr *)&b->srflx, base,
						stun, pref));
	}
	if (n->has_relay)
		put_cand(out, cap, &count, &c,
			 ice_cand_relay(&c, 1, (const struct sockaddr *)&n->relayed,
					(const struct sockaddr *)&n->relay_mapped, turn,
					ICE_LOCALPREF_MAX));
	return count;
}

const struct ice_sock *nat_sock_for(const struct hipd *h, const struct ice_cand *c)
{
	const struct nat_host *n = h->nat;

	if (!n)
		return NULL;
	if (c->type == ICE_RELAY)
		return n->has_relay ? &n->relay_sock : NULL;
	for (size_t i = 0; i < n->n_bases; i++)
		if (ice_sa_equal((const struct sockaddr *)&n->bases[i].sock.local,
				 (const struct sockaddr *)&c->base))
			return &n->bases[i].sock;
	return NULL;
}

int nat_gather_input(struct hipd *h, const uint8_t *buf, size_t len, const struct sockaddr *src)
{
	struct nat_host *n = h->nat;
	struct stun_msg m;

	if (!n)
		return 0;
	/* the STUN and the TURN server may be one: our Bindings first, then TURN */
	if (n->stun_pending && ice_sa_equal(src, (struct sockaddr *)&h->cfg.stun_server) &&
	    stun_parse(&m, buf, len) == 0 && stun_txns_input(&n->txns, &m, src))
		return 1;
	if (n->turn && ice_sa_equal(src, (struct sockaddr *)&h->cfg.turn_server))
		return turn_client_input(n->turn, buf, len, src);
	return 0;
}

/* Starts gathering again from scratch (a server changed). */
static void regather(struct nat_host *n)
{
	stun_txns_close(&n->txns);
	stun_txns_init(&n->txns, n->h->loop);
	for (size_t i = 0; i < n->n_bases; i++) {
		n->bases[i].txn = NULL;
		n->bases[i].has_srflx = false;
	}
	n->stun_pending = 0;
	n->gathering = false;
	nat_gather_start(n);
}

int nat_set_stun(struct hipd *h, const struct sockaddr_storage *server)
{
	if (!h->nat)
		return -ENOTCONN;
	h->cfg.stun_server = *server;
	regather(h->nat);
	return 0;
}

int nat_set_turn(struct hipd *h, const struct sockaddr_storage *server, const char *user,
		 const char *pass)
{
	struct nat_host *n = h->nat;

	if (!n)
		return -ENOTCONN;
	if (server->ss_family && (!user || !pass || strlen(user) >= sizeof(h->cfg.turn_user) ||
				  strlen(pass) >= sizeof(h->cfg.turn_pass) || !*user || !*pass))
		return -EINVAL;
	if (n->turn) {
		log_warn("nat: releasing the TURN allocation %s; relayed paths through it end",
			 n->has_relay ? "" : "(not allocated)");
		turn_client_close(n->turn);
		n->turn = NULL;
	}
	n->has_relay = false;
	n->turn_pending = 0;
	uv_timer_stop(&n->turn_retry);
	n->turn_retry_ms = TURN_RETRY_MIN_MS;
	h->cfg.turn_server = *server;
	snprintf(h->cfg.turn_user, sizeof(h->cfg.turn_user), "%s", user ? user : "");
	OPENSSL_cleanse(h->cfg.turn_pass, sizeof(h->cfg.turn_pass));
	snprintf(h->cfg.turn_pass, sizeof(h->cfg.turn_pass), "%s", pass ? pass : "");
	regather(n);
	return 0;
}

json_t *nat_host_json(const struct hipd *h)
{
	const struct nat_host *n = h->nat;
	struct ice_cand c[HIP_MAX_LOCATORS];
	char buf[ICE_CAND_TEXT_MAX], s[64];
	json_t *o = json_object(), *cands = json_array();
	size_t count = nat_local_candidates(h, c, HIP_MAX_LOCATORS);

	if (count > HIP_MAX_LOCATORS)
		count = HIP_MAX_LOCATORS;
	json_object_set_new(
	    o, "stun",
	    json_string(h->cfg.stun_server.ss_family
			    ? ice_sa_str((const void *)&h->cfg.stun_server, s, sizeof(s))
			    : "none"));
	json_object_set_new(
	    o, "turn",
	    json_string(h->cfg.turn_server.ss_family
			    ? ice_sa_str((const void *)&h->cfg.turn_server, s, sizeof(s))
			    : "none"));
	json_object_set_new(o, "relayed",
			    json_string(n->has_relay
					    ? ice_sa_str((const void *)&n->relayed, s, sizeof(s))
					    : "none"));
	json_object_set_new(o, "gathering", json_boolean(n->gathering));
	json_object_set_new(o, "gathered", json_boolean(n->gathered));
	if (n->gathered && n->gathered_ns >= n->gather_start_ns)
		json_object_set_new(o, "gather_ms",
				    json_real((double)(n->gathered_ns - n->gather_start_ns) / 1e6));
	for (size_t i = 0; i < count; i++)
		if (ice_cand_format(&c[i], buf, sizeof(buf)) > 0)
			json_array_append_new(cands, json_string(buf));
	json_object_set_new(o, "candidates", cands);
	return o;
}
