/* p2psipd's control commands: status, store, lookup, put, get, remove, servers, register,
 * resolve, leave, and the B2BUA's calls, registrations, flows, flow-close. Replies that wait for
 * the overlay are deferred. No socket handling here. */
#include "p2psipd/p2psipd_ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/p2pp/p2pp_msg.h"
#include "p2psipd/store/store.h"

#define DEFAULT_LIFETIME 3600

static json_t *id_json(const struct chord_id *id)
{
	char s[CHORD_ID_STRLEN];

	return json_string(chord_id_to_str(id, s));
}

/* n bytes as 2n lower-case hex digits and a NUL. */
static char *hex_str(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * n] = '\0';
	return out;
}

static const char *arg_str(json_t *req, const char *key, json_t **err)
{
	const char *s = json_string_value(json_object_get(req, key));

	if (!s)
		*err = ctl_reply_error("missing argument \"%s\"", key);
	return s;
}

/* KEY: a string key (first 128 bits of its SHA-256), or with "id" an ID in hex or HIT form. */
static int arg_key(json_t *req, struct chord_id *key, json_t **err)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *s;

	if (id) {
		if (chord_id_parse(id, key) == 0)
			return 0;
		*err =
		    ctl_reply_error("\"%s\" is not an ID (32 hex digits or an IPv6/HIT form)", id);
		return -EINVAL;
	}
	s = arg_str(req, "key", err);
	if (!s)
		return -EINVAL;
	if (!*s) {
		*err = ctl_reply_error("the key is empty");
		return -EINVAL;
	}
	int e = store_key_from_string(s, strlen(s), key);
	if (e)
		*err = ctl_reply_error("cannot hash the key: %s", strerror(-e));
	return e;
}

/* ---- status ---- */

static json_t *fingers_json(const struct chord_ring *g)
{
	json_t *a = json_array();

	/* distinct fingers, each with the run of indexes that point at it */
	for (unsigned i = 0; i < CHORD_ID_BITS; i++) {
		unsigned j = i;
		if (!g->finger_ok[i])
			continue;
		while (j + 1 < CHORD_ID_BITS && g->finger_ok[j + 1] &&
		       chord_id_eq(&g->finger[j + 1], &g->finger[i]))
			j++;
		json_array_append_new(a, json_pack("{s:i,s:i,s:o}", "index", i, "last", j, "node",
						   id_json(&g->finger[i])));
		i = j;
	}
	return a;
}

static int count_role(const struct store_rec *r, void *ctx)
{
	(void)r;
	(void)ctx;
	return 0;
}

static unsigned records(struct p2psipd *d, enum store_role role)
{
	struct store_filter f = {.cont_type = -1, .role = role, .now = ovl_now(d->node)};
	int n = store_foreach(ovl_store(d->node), &f, count_role, NULL);

	return n > 0 ? (unsigned)n : 0;
}

static json_t *counters_json(struct p2psipd *d)
{
	const struct ovl_counters *c = ovl_get_counters(d->node);
	const struct p2pp_txns *t = ovl_txns(d->node);
	json_t *o;

	o = json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "rx",
	    (json_int_t)c->rx, "rx_bad", (json_int_t)c->rx_bad, "forwarded",
	    (json_int_t)c->forwarded, "served", (json_int_t)c->served, "lookups",
	    (json_int_t)c->lookups, "lookup_failures", (json_int_t)c->lookup_failures,
	    "peer_failures", (json_int_t)c->peer_failures, "replicated", (json_int_t)c->replicated,
	    "transferred", (json_int_t)c->transferred, "rejected_aor", (json_int_t)c->rejected_aor,
	    "joins_admitted", (json_int_t)c->joins_admitted, "txn_sent", (json_int_t)t->sent,
	    "txn_retransmits", (json_int_t)t->retransmits, "txn_timeouts", (json_int_t)t->timeouts,
	    "mean_hops", c->hops_count ? (double)c->hops_total / (double)c->hops_count : 0.0);
	json_object_set_new(o, "connects_sent", json_integer((json_int_t)c->connects_sent));
	json_object_set_new(o, "connects_served", json_integer((json_int_t)c->connects_served));
	json_object_set_new(o, "miss_asked", json_integer((json_int_t)c->miss_asked));
	json_object_set_new(o, "miss_found", json_integer((json_int_t)c->miss_found));
	return o;
}

/* The link layer's links (ice: one per peer, with its selected pair's candidate types). */
static json_t *links_json(struct p2psipd *d)
{
	struct link *l = ovl_link(d->node);
	struct link_info *li;
	size_t n = link_list(l, NULL, 0), k;
	json_t *a = json_array();
	char addr[80];

	if (n == 0 || !(li = calloc(n, sizeof(*li))))
		return a;
	k = link_list(l, li, n);
	for (size_t i = 0; i < k && i < n; i++) {
		json_t *o =
		    json_pack("{s:o,s:s}", "peer", id_json(&li[i].peer), "state", li[i].state);
		if (li[i].pair[0]) {
			json_object_set_new(o, "pair", json_string(li[i].pair));
			json_object_set_new(o, "local", json_string(li[i].local_type));
			json_object_set_new(o, "remote", json_string(li[i].remote_type));
		}
		if (li[i].addr.ss_family)
			json_object_set_new(
			    o, "address",
			    json_string(link_addr_str((struct sockaddr *)&li[i].addr, addr, 80)));
		json_array_append_new(a, o);
	}
	free(li);
	return a;
}

static json_t *cmd_status(json_t *req, void *arg)
{
	struct p2psipd *d = arg;
	const struct chord_ring *g = ovl_ring(d->node);
	struct sockaddr_storage a;
	char addr[80];
	json_t *succ = json_array();

	(void)req;
	link_local_addr(ovl_link(d->node), &a);
	for (unsigned i = 0; i < g->nsucc; i++)
		json_array_append_new(succ, id_json(&g->succ[i]));
	return json_pack("{s:b,s:o,s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:{s:i,s:i},s:o,s:o}", "ok", 1,
			 "node_id", id_json(ovl_self(d->node)), "address",
			 link_addr_str((struct sockaddr *)&a, addr, sizeof(addr)), "mode",
			 link_mode_name(link_mode_of(ovl_link(d->node))), "state",
			 ovl_state_name(ovl_get_state(d->node)), "uptime_s",
			 (json_int_t)((uv_hrtime() - d->start_ns) / 1000000000ull), "predecessor",
			 g->has_pred ? id_json(&g->pred) : json_null(), "successors", succ,
			 "fingers", fingers_json(g), "records", "primary",
			 records(d, STORE_PRIMARY), "replica", records(d, STORE_REPLICA),
			 "counters", counters_json(d), "links", links_json(d));
}

/* ---- store ---- */

struct list_ctx {
	json_t *a;
	uint64_t now;
};

static int list_rec(const struct store_rec *r, void *ctx)
{
	struct list_ctx *l = ctx;
	char hex[CHORD_ID_HEXLEN], owner[2 * STORE_OWNER_MAX + 1];

	hex_str(r->owner, r->owner_len, owner);
	json_array_append_new(l->a,
			      json_pack("{s:s,s:i,s:s,s:I,s:s,s:i,s:b}", "key",
					chord_id_to_hex(&r->id, hex), "type", r->cont_type, "owner",
					owner, "expires_in", (json_int_t)(r->expires - l->now),
					"role", r->primary ? "primary" : "replica", "size",
					(int)r->value_len, "signed", r->is_signed));
	return 0;
}

static json_t *cmd_store(json_t *req, void *arg)
{
	struct p2psipd *d = arg;
	struct list_ctx l = {.a = json_array(), .now = ovl_now(d->node)};
	struct store_filter f = {.cont_type = -1, .role = STORE_ANY, .now = l.now};

	(void)req;
	store_foreach(ovl_store(d->node), &f, list_rec, &l);
	return json_pack("{s:b,s:o}", "ok", 1, "records", l.a);
}

/* ---- deferred overlay operations ---- */

struct pending {
	struct p2psipd *d;
	struct ctl_deferred *def;
	char what[16];
	unsigned parts, done; /* servers: two lookups */
	json_t *acc;
};

static struct pending *pending_new(struct p2psipd *d, const char *what)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->d = d;
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->parts = 1;
	return p;
}

static json_t *start_failed(struct pending *p, int err)
{
	json_decref(p->acc);
	free(p);
	if (err == -EAGAIN)
		return ctl_reply_error("not in the overlay yet (joining or leaving)");
	return ctl_reply_error("%s", strerror(-err));
}

/* Takes the request's reply slot: the handler returns NULL after a successful start. */
static void defer(struct pending *p)
{
	p->def = ctl_server_defer(p->d->ctl);
}

static const char *result_error(const struct ovl_result *r)
{
	switch (r->err) {
	case -ENOENT:
		return "not found";
	case -EKEYREJECTED:
		return "rejected: the record failed verification (signature or HIT)";
	case -ETIMEDOUT:
	case -ETIME:
		return "timed out";
	default:
		return strerror(-r->err);
	}
}

static json_t *result_json(const struct ovl_result *r)
{
	json_t *j;

	if (r->err) {
		j = ctl_reply_error("%s", result_error(r));
		json_object_set_new(j, "code", json_integer(r->code));
		json_object_set_new(j, "hops", json_integer(r->hops));
		return j;
	}
	return json_pack("{s:b,s:o,s:i,s:f}", "ok", 1, "node", id_json(&r->node), "hops", r->hops,
			 "latency_ms", (double)r->rtt_ns / 1e6);
}

static void on_simple(void *arg, const struct ovl_result *r)
{
	struct pending *p = arg;

	ctl_deferred_reply(p->def, result_json(r));
	free(p);
}

/* Sends the deferred reply j, with list under name when the operation succeeded; frees p. */
static void reply_list(struct pending *p, const struct ovl_result *r, json_t *j, const char *name,
		       json_t *list)
{
	if (!r->err)
		json_object_set_new(j, name, list);
	else
		json_decref(list);
	ctl_deferred_reply(p->def, j);
	free(p);
}

static json_t *value_json(const uint8_t *v, size_t len)
{
	json_t *s = json_stringn((const char *)v, len); /* NULL unless valid UTF-8 */
	char *hex;

	if (s)
		return json_pack("{s:o}", "value", s);
	hex = malloc(2 * len + 1);
	if (!hex)
		return json_object();
	s = json_pack("{s:s}", "value_hex", hex_str(v, len, hex));
	free(hex);
	return s;
}

static void on_get(void *arg, const struct ovl_result *r)
{
	struct pending *p = arg;
	json_t *j = result_json(r), *vals = json_array();

	for (unsigned i = 0; !r->err && i < r->n_values; i++) {
		const uint8_t *o = r->values[i].owner;
		json_t *v = value_json(r->values[i].p, r->values[i].len);
		char owner[2 * sizeof(r->values[i].owner) + 1];
		json_object_set_new(v, "owner",
				    json_string(hex_str(o, sizeof(r->values[i].owner), owner)));
		json_object_set_new(v, "expires_in", json_integer(r->values[i].expires));
		json_array_append_new(vals, v);
	}
	reply_list(p, r, j, "values", vals);
}

/* An overlay operation a command starts: which, on what, and where its result goes. */
enum op_kind { OP_LOOKUP, OP_PUT, OP_GET, OP_REMOVE };

struct op {
	enum op_kind kind;
	const char *what;
	struct chord_id key;
	uint8_t cont_type;
	const uint8_t *value; /* put */
	size_t len;
	uint32_t lifetime;
	ovl_result_fn done;
};

static int op_start(struct p2psipd *d, const struct op *o, struct pending *p)
{
	switch (o->kind) {
	case OP_LOOKUP:
		return ovl_lookup(d->node, &o->key, o->done, p);
	case OP_PUT:
		return ovl_put(d->node, &o->key, o->cont_type, o->value, o->len, o->lifetime, true,
			       o->done, p);
	case OP_GET:
		return ovl_get(d->node, &o->key, o->cont_type, o->done, p);
	case OP_REMOVE:
		return ovl_remove(d->node, &o->key, o->cont_type, o->done, p);
	}
	return -EINVAL;
}

/* Starts o: NULL when the reply waits for its result (deferred), else the error reply. */
static json_t *op_run(struct p2psipd *d, const struct op *o)
{
	struct pending *p = pending_new(d, o->what);
	int e;

	if (!p)
		return ctl_reply_error("out of memory");
	e = op_start(d, o, p);
	if (e)
		return start_failed(p, e);
	defer(p);
	return NULL;
}

/* lookup, get, remove: the key is the only argument. */
static json_t *key_command(json_t *req, struct p2psipd *d, struct op *o)
{
	json_t *err = NULL;

	if (arg_key(req, &o->key, &err))
		return err;
	return op_run(d, o);
}

static json_t *cmd_lookup(json_t *req, void *arg)
{
	struct op o = {.kind = OP_LOOKUP, .what = "lookup", .done = on_simple};

	return key_command(req, arg, &o);
}

static int arg_lifetime(json_t *req, uint32_t *out, json_t **err)
{
	json_t *l = json_object_get(req, "lifetime");

	*out = DEFAULT_LIFETIME;
	if (!l)
		return 0;
	if (!json_is_integer(l) || json_integer_value(l) < 1 ||
	    json_integer_value(l) > STORE_LIFETIME_MAX) {
		*err = ctl_reply_error("lifetime must be 1..%d seconds", STORE_LIFETIME_MAX);
		return -EINVAL;
	}
	*out = (uint32_t)json_integer_value(l);
	return 0;
}

static json_t *cmd_put(json_t *req, void *arg)
{
	struct op o = {
	    .kind = OP_PUT, .what = "put", .cont_type = OVL_CT_OPAQUE, .done = on_simple};
	json_t *err = NULL;
	const char *value;

	if (arg_key(req, &o.key, &err) || !(value = arg_str(req, "value", &err)) ||
	    arg_lifetime(req, &o.lifetime, &err))
		return err;
	if (strlen(value) > STORE_VALUE_MAX)
		return ctl_reply_error("the value is longer than %d bytes", STORE_VALUE_MAX);
	o.value = (const uint8_t *)value;
	o.len = strlen(value);
	return op_run(arg, &o);
}

static json_t *cmd_get(json_t *req, void *arg)
{
	struct op o = {.kind = OP_GET, .what = "get", .cont_type = OVL_CT_OPAQUE, .done = on_get};

	return key_command(req, arg, &o);
}

static json_t *cmd_remove(json_t *req, void *arg)
{
	struct op o = {
	    .kind = OP_REMOVE, .what = "remove", .cont_type = OVL_CT_OPAQUE, .done = on_simple};

	return key_command(req, arg, &o);
}

/* ---- SIP registration records ---- */

static json_t *cmd_register(json_t *req, void *arg)
{
	struct op o = {
	    .kind = OP_PUT, .what = "register", .cont_type = P2PP_CT_USER_INFO, .done = on_simple};
	struct p2psipd *d = arg;
	uint8_t rec[AOR_RECORD_MAX];
	json_t *err = NULL;
	const char *aor = arg_str(req, "aor", &err);
	int e;

	if (!aor || arg_lifetime(req, &o.lifetime, &err))
		return err;
	if (strlen(aor) == 0 || strlen(aor) > AOR_MAX)
		return ctl_reply_error("AOR \"%s\" must be 1..%d bytes", aor, AOR_MAX);
	e = aor_key(aor, &o.key);
	if (!e)
		e = aor_sign(d->id, aor, ovl_now(d->node) + o.lifetime, rec, sizeof(rec), &o.len);
	if (e)
		return ctl_reply_error("cannot sign the record: %s", strerror(-e));
	o.value = rec;
	return op_run(d, &o);
}

static void on_resolve(void *arg, const struct ovl_result *r)
{
	struct pending *p = arg;
	json_t *j = result_json(r), *hits = json_array();

	for (unsigned i = 0; !r->err && i < r->n_values; i++) {
		struct aor_record rec;
		char s[INET6_ADDRSTRLEN];
		/* verified by the overlay already (ovl_get); parsed here for the HIT */
		if (aor_parse(r->values[i].p, r->values[i].len, &rec) == 0)
			json_array_append_new(
			    hits, json_string(inet_ntop(AF_INET6, &rec.hit, s, sizeof(s))));
	}
	reply_list(p, r, j, "hits", hits);
}

static json_t *cmd_resolve(json_t *req, void *arg)
{
	struct op o = {
	    .kind = OP_GET, .what = "resolve", .cont_type = P2PP_CT_USER_INFO, .done = on_resolve};
	json_t *err = NULL;
	const char *aor = arg_str(req, "aor", &err);

	if (!aor)
		return err;
	if (aor_key(aor, &o.key))
		return ctl_reply_error("AOR \"%s\" cannot be hashed", aor);
	return op_run(arg, &o);
}

/* ---- STUN/TURN servers ---- */

static void add_servers(json_t *list, const struct ovl_result *r)
{
	for (unsigned i = 0; !r->err && i < r->n_values; i++) {
		struct srvann a;
		char ip[INET6_ADDRSTRLEN];
		if (srvann_parse(r->values[i].p, r->values[i].len, &a))
			continue;
		inet_ntop(a.ip_version == 4 ? AF_INET : AF_INET6, a.ip, ip, sizeof(ip));
		json_array_append_new(list, json_pack("{s:s,s:s,s:i,s:s}", "kind",
						      a.kind == SRVANN_STUN ? "stun" : "turn", "ip",
						      ip, "port", a.port, "realm", a.realm));
	}
}

static void on_servers(void *arg, const struct ovl_result *r)
{
	struct pending *p = arg;

	if (r->err && r->err != -ENOENT && !json_object_get(p->acc, "error"))
		json_object_set_new(p->acc, "error", json_string(result_error(r)));
	add_servers(json_object_get(p->acc, "servers"), r);
	if (++p->done < p->parts)
		return;
	if (json_object_get(p->acc, "error") &&
	    json_array_size(json_object_get(p->acc, "servers")) == 0)
		json_object_set_new(p->acc, "ok", json_false());
	else
		json_object_del(p->acc, "error");
	ctl_deferred_reply(p->def, p->acc);
	free(p);
}

static json_t *cmd_servers(json_t *req, void *arg)
{
	struct p2psipd *d = arg;
	struct pending *p;
	struct chord_id key;
	int e;

	(void)req;
	if (srvann_key(&key) || !(p = pending_new(d, "servers")))
		return ctl_reply_error("out of memory");
	p->acc = json_pack("{s:b,s:[]}", "ok", 1, "servers");
	p->parts = 2;
	e = ovl_get(d->node, &key, P2PP_CT_STUN, on_servers, p);
	if (e)
		return start_failed(p, e);
	if (ovl_get(d->node, &key, P2PP_CT_TURN, on_servers, p))
		p->parts = 1;
	defer(p);
	return NULL;
}

/* ---- leave ---- */

static void on_left(void *arg, int err)
{
	struct pending *p = arg;
	struct p2psipd *d = p->d;

	ctl_deferred_reply(p->def,
			   err ? ctl_reply_error("leave: %s", strerror(-err)) : ctl_reply_ok());
	free(p);
	if (d->stop)
		d->stop(d, err);
}

static json_t *cmd_leave(json_t *req, void *arg)
{
	struct p2psipd *d = arg;
	struct pending *p = pending_new(d, "leave");
	int e;

	(void)req;
	if (!p)
		return ctl_reply_error("out of memory");
	e = ovl_leave(d->node, on_left, p);
	if (e) {
		free(p);
		return ctl_reply_error("already leaving");
	}
	defer(p);
	return NULL;
}

/* ---- the B2BUA ---- */

static json_t *sip_list(struct p2psipd *d, const char *what)
{
	json_t *list = d->sip_status ? d->sip_status(d->sip_arg, what) : NULL;

	if (!list)
		return ctl_reply_error("no SIP B2BUA in this p2psipd");
	return json_pack("{s:b,s:o}", "ok", 1, what, list);
}

static json_t *cmd_calls(json_t *req, void *arg)
{
	(void)req;
	return sip_list(arg, "calls");
}

static json_t *cmd_registrations(json_t *req, void *arg)
{
	(void)req;
	return sip_list(arg, "registrations");
}

/* ice mode: the SIP flows to other p2psipd (sip/peer_ice.h). */
static json_t *cmd_flows(json_t *req, void *arg)
{
	struct p2psipd *d = arg;
	json_t *list = d->sip_status ? d->sip_status(d->sip_arg, "flows") : NULL;

	(void)req;
	if (!list)
		return ctl_reply_error("no SIP flows: not ice mode, or no B2BUA");
	return json_pack("{s:b,s:o}", "ok", 1, "flows", list);
}

/* ice mode: closes the SIP flow with the p2psipd whose HIT is "peer"; the next SIP message
 * for it sets up a new flow (Connect and ICE). */
static json_t *cmd_flow_close(json_t *req, void *arg)
{
	struct p2psipd *d = arg;
	json_t *err = NULL;
	const char *peer = arg_str(req, "peer", &err);
	struct in6_addr hit;
	int e;

	if (!peer)
		return err;
	if (inet_pton(AF_INET6, peer, &hit) != 1)
		return ctl_reply_error("\"%s\" is not a HIT", peer);
	if (!d->sip_flow_close)
		return ctl_reply_error("no SIP flows: not ice mode, or no B2BUA");
	e = d->sip_flow_close(d->sip_arg, &hit);
	if (e == -ENOENT)
		return ctl_reply_error("no SIP flow with %s", peer);
	if (e)
		return ctl_reply_error("cannot close the flow: %s", strerror(-e));
	return ctl_reply_ok();
}

static const struct ctl_command commands[] = {
    {"status", cmd_status},
    {"store", cmd_store},
    {"lookup", cmd_lookup},
    {"put", cmd_put},
    {"get", cmd_get},
    {"remove", cmd_remove},
    {"servers", cmd_servers},
    {"register", cmd_register},
    {"resolve", cmd_resolve},
    {"leave", cmd_leave},
    {"calls", cmd_calls},
    {"registrations", cmd_registrations},
    {"flows", cmd_flows},
    {"flow-close", cmd_flow_close},
    {NULL, NULL},
};

json_t *p2psipd_ctl_handle(json_t *req, void *arg)
{
	return ctl_dispatch(commands, req, arg);
}
