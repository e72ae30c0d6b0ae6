/* A stand-in hipd for hipconf's tests: ctl_server on a given socket answering canned replies.
 * Not the real daemon; it holds no state beyond the puzzle K and the map list. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/ctl_server.h"

static long long puzzle_k = 10;
static json_t *maps;

static json_t *do_add_map(json_t *req, void *arg)
{
	(void)arg;
	json_t *m = json_pack("{s:O,s:[O]}", "hit", json_object_get(req, "hit"), "locators",
			      json_object_get(req, "locator"));
	json_array_append_new(maps, m);
	return ctl_reply_ok();
}

static json_t *do_del_map(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return ctl_reply_error("no mapping for %s", json_string_value(json_object_get(req, "hit")));
}

static json_t *do_get_map(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return json_pack("{s:b,s:O}", "ok", 1, "maps", maps);
}

static json_t *do_get_ha(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return json_pack(
	    "{s:b,s:[{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:I,s:I,s:s,s:I,s:i,s:s},"
	    "{s:s,s:s,s:s,s:s,s:s,s:s,s:i}]}",
	    "ok", 1, "associations", "state", "ESTABLISHED", "local_hit", "2001:2a::1", "peer_hit",
	    "2001:2a::2", "local_locator", "192.0.2.1", "peer_locator", "198.51.100.7", "transport",
	    "udp", "hit_suite", "RSA/SHA-256", "dh_group", 7, "hip_cipher", "AES-128-CBC",
	    "esp_transform", "AES-128-CBC with HMAC-SHA-256", "spi_in", (json_int_t)0xdeadbeef,
	    "spi_out", (json_int_t)0x1234, "peer_lsi", "1.0.0.2", "established_s", (json_int_t)3725,
	    "retransmissions", 0, "nat_mode", "ice-stun-udp", "state", "I1-SENT", "local_hit",
	    "2001:2a::1", "peer_hit", "2001:2a::3", "local_locator", "192.0.2.1", "peer_locator",
	    "203.0.113.9", "transport", "raw", "retransmissions", 2);
}

static json_t *do_get_hi(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return json_pack("{s:b,s:[{s:s,s:s,s:s,s:i,s:b},{s:s,s:s,s:s,s:i,s:b}]}", "ok", 1,
			 "identities", "hit", "2001:2a::1", "algorithm", "RSA", "kind", "rsa",
			 "bits", 3072, "default", 1, "hit", "2001:2b::1", "algorithm", "ECDSA",
			 "kind", "ecdsa-p256", "bits", 256, "default", 0);
}

static json_t *do_trigger(json_t *req, void *arg);

/* Identities: new-hi and add-hi answer with a fixed HIT; del-hi refuses the default. */
static json_t *do_new_hi(json_t *req, void *arg)
{
	(void)arg;
	return json_pack("{s:b,s:s,s:O,s:i,s:b}", "ok", 1, "hit", "2001:2c::7", "kind",
			 json_object_get(req, "kind"), "bits",
			 json_is_integer(json_object_get(req, "bits"))
			     ? (int)json_integer_value(json_object_get(req, "bits"))
			     : 256,
			 "default", 0);
}

static json_t *do_add_hi(json_t *req, void *arg)
{
	(void)arg;
	const char *pem = json_string_value(json_object_get(req, "pem"));
	if (!pem || !strstr(pem, "PRIVATE KEY"))
		return ctl_reply_error("not a usable private key");
	return json_pack("{s:b,s:s,s:s,s:i,s:b}", "ok", 1, "hit", "2001:2c::8", "kind",
			 "ecdsa-p384", "bits", 384, "default", 0);
}

static json_t *do_del_hi(json_t *req, void *arg)
{
	(void)arg;
	const char *hit = json_string_value(json_object_get(req, "hit"));
	if (hit && strcmp(hit, "2001:2a::1") == 0 && !json_is_true(json_object_get(req, "force")))
		return ctl_reply_error("%s is the default identity (add --force to delete it)",
				       hit);
	return json_pack("{s:b,s:i,s:s}", "ok", 1, "dropped", 1, "default", "2001:2b::1");
}

static json_t *do_reset(json_t *req, void *arg)
{
	if (json_is_true(json_object_get(req, "all")))
		return json_pack("{s:b,s:i}", "ok", 1, "dropped", 2);
	return do_trigger(req, arg);
}

static json_t *do_set_nat(json_t *req, void *arg)
{
	(void)arg;
	const char *m = json_string_value(json_object_get(req, "mode")) ?: "";
	if (strcmp(m, "ice") == 0)
		return json_pack("{s:b,s:[ss]}", "ok", 1, "modes", "ICE-STUN-UDP",
				 "UDP-ENCAPSULATION");
	if (strcmp(m, "udp") == 0)
		return json_pack("{s:b,s:[s]}", "ok", 1, "modes", "UDP-ENCAPSULATION");
	return json_pack("{s:b,s:[]}", "ok", 1, "modes");
}

static json_t *do_get_locator(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return json_pack("{s:b,s:[{s:s,s:s},{s:s,s:s,s:s}],s:b,s:i,s:[s]}", "ok", 1, "addresses",
			 "interface", "eth0", "address", "192.0.2.1", "interface", "eth0",
			 "address", "fe80::1", "scope", "link", "raw", 1, "udp_port", 10500,
			 "candidates", "host 192.0.2.1:10500");
}

static json_t *do_get_debug(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return json_pack("{s:b,s:s}", "ok", 1, "level", "warning");
}

static json_t *do_trigger(json_t *req, void *arg)
{
	(void)arg;
	const char *hit = json_string_value(json_object_get(req, "hit"));
	const char *fault = json_string_value(json_object_get(req, "fault"));
	if (hit && strcmp(hit, "2001:2a::dead") == 0)
		return ctl_reply_error("no locator known for %s", hit);
	if (fault)
		return ctl_reply_error("fault %s injected", fault);
	if (json_is_true(json_object_get(req, "wait")))
		return json_pack("{s:b,s:s,s:f}", "ok", 1, "state", "ESTABLISHED", "bex_ms", 1.25);
	return ctl_reply_ok();
}

static json_t *do_get_status(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return json_pack("{s:b,s:s,s:i,s:I,s:i,s:i,s:[ss]}", "ok", 1, "version", "0.1.0", "pid",
			 4242, "uptime_s", (json_int_t)90061, "hits", 2, "associations", 1,
			 "transports", "udp", "raw");
}

static json_t *do_set_debug(json_t *req, void *arg)
{
	enum log_level l;

	(void)arg;
	if (log_level_parse(json_string_value(json_object_get(req, "level")) ?: "", &l) < 0)
		return ctl_reply_error("bad level");
	return ctl_reply_ok();
}

static json_t *do_get_puzzle(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return json_pack("{s:b,s:I}", "ok", 1, "k", (json_int_t)puzzle_k);
}

static json_t *do_set_puzzle(json_t *req, void *arg)
{
	(void)arg;
	puzzle_k = json_integer_value(json_object_get(req, "k"));
	return ctl_reply_ok();
}

static json_t *do_inc_puzzle(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	if (puzzle_k >= 40)
		return ctl_reply_error("K is 40 already: it goes from 0 to 40");
	return json_pack("{s:b,s:I}", "ok", 1, "k", (json_int_t)++puzzle_k);
}

static json_t *do_dec_puzzle(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	if (puzzle_k <= 0)
		return ctl_reply_error("K is 0 already: it goes from 0 to 40");
	return json_pack("{s:b,s:I}", "ok", 1, "k", (json_int_t)--puzzle_k);
}

static json_t *do_get_relay(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return json_pack("{s:b,s:{s:b,s:i,s:I,s:[{s:s,s:s,s:I,s:I,s:I,s:I}],s:I,s:I,s:I,s:I},"
			 "s:{s:b,s:s,s:b,s:s,s:s,s:I,s:I,s:s}}",
			 "ok", 1, "server", "enabled", 1, "max_clients", 1024, "max_lifetime_s",
			 (json_int_t)3756, "clients", "hit", "2001:2a::5", "address",
			 "203.0.113.1:4711", "remaining_s", (json_int_t)600, "registered_for_s",
			 (json_int_t)8, "relayed_in", (json_int_t)2, "relayed_out", (json_int_t)2,
			 "relayed_in", (json_int_t)2, "relayed_out", (json_int_t)2, "dropped",
			 (json_int_t)1, "keepalives", (json_int_t)3, "client", "enabled", 1,
			 "state", "registered", "registered", 1, "relay", "203.0.113.10:10500",
			 "relay_hit", "2001:2a::10", "remaining_s", (json_int_t)590, "lifetime_s",
			 (json_int_t)608, "reflexive", "203.0.113.2:5000");
}

/* The last set-overlay request, echoed by get-overlay. */
static json_t *overlay_set_req;

static json_t *do_set_overlay(json_t *req, void *arg)
{
	(void)arg;
	json_decref(overlay_set_req);
	overlay_set_req = json_incref(req);
	return ctl_reply_ok();
}

static json_t *do_get_overlay(json_t *req, void *arg)
{
	json_t *name = json_object_get(overlay_set_req, "overlay");
	json_t *nbrs = json_array();
	json_t *v;
	size_t i;
	(void)req;
	(void)arg;

	json_array_foreach(json_object_get(overlay_set_req, "neighbours"), i, v)
	    json_array_append_new(
		nbrs, json_pack("{s:O,s:s,s:b}", "hit", v, "state", "ESTABLISHED", "usable", 1));
	json_t *r = json_pack("{s:b,s:b,s:s,s:I,s:I,s:I,s:I,s:{s:I,s:I},s:o}", "ok", 1, "enabled",
			      json_is_string(name), "node", "2001:2b::1", "originated",
			      (json_int_t)2, "forwarded", (json_int_t)5, "delivered", (json_int_t)2,
			      "dropped_total", (json_int_t)1, "dropped", "ttl_exceeded",
			      (json_int_t)1, "loop", (json_int_t)0, "neighbours", nbrs);
	if (json_is_string(name)) {
		json_object_set(r, "overlay", name);
		json_object_set_new(r, "overlay_id", json_string("5e1f0a27"));
	}
	return r;
}

static json_t *do_broken(json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	return json_pack("{s:s}", "hello", "world");
}

static const struct ctl_command commands[] = {
    {"add-map", do_add_map},	     {"del-map", do_del_map},
    {"get-map", do_get_map},	     {"get-ha", do_get_ha},
    {"get-hi", do_get_hi},	     {"trigger", do_trigger},
    {"close", do_trigger},	     {"reset", do_reset},
    {"new-hi", do_new_hi},	     {"add-hi", do_add_hi},
    {"del-hi", do_del_hi},	     {"set-nat", do_set_nat},
    {"get-locator", do_get_locator}, {"get-debug", do_get_debug},
    {"inc-puzzle", do_inc_puzzle},   {"dec-puzzle", do_dec_puzzle},
    {"get-status", do_get_status},   {"set-debug", do_set_debug},
    {"get-puzzle", do_get_puzzle},   {"set-puzzle", do_set_puzzle},
    {"get-relay", do_get_relay},     {"set-overlay", do_set_overlay},
    {"get-overlay", do_get_overlay}, {NULL, NULL},
};

static json_t *handle(json_t *req, void *arg)
{
	if (arg)
		return do_broken(req, arg);
	return ctl_dispatch(commands, req, arg);
}

static void on_signal(uv_signal_t *sig, int signum)
{
	(void)signum;
	ctl_server_close(sig->data);
	uv_close((uv_handle_t *)sig, NULL);
}

int main(int argc, char **argv)
{
	static int broken = 1;
	uv_loop_t loop;
	uv_signal_t sig;
	struct ctl_server *srv;

	signal(SIGPIPE, SIG_IGN); /* like hipd */
	if (argc < 2) {
		fprintf(stderr, "usage: fake_hipd SOCKET [broken]\n");
		return 2;
	}
	log_init("fake_hipd", HLOG_WARN, false);
	maps = json_array();
	uv_loop_init(&loop);
	int err = ctl_server_start(&loop, argv[1], handle, argc > 2 ? &broken : NULL, &srv);
	if (err) {
		fprintf(stderr, "fake_hipd: %s\n", ctl_strerror(err));
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		json_decref(maps);
		return 1;
	}
	uv_signal_init(&loop, &sig);
	sig.data = srv;
	uv_signal_start(&sig, on_signal, SIGTERM);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	json_decref(maps);
	return 0;
}
