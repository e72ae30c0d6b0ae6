/* libFuzzer target for what a TURN server sends to the client (turn_client_input):
 * each input is one datagram from the server's address, fed to a client that is
 * allocated, with a permission for peer A and a channel (0x4000) bound to peer B.
 * Not a test of the 401 exchange itself: that is scripted once at start-up. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ice/stun.h"
#include "ice/turn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SRV    "192.0.2.10:3478"
#define PEER_A "203.0.113.5:7000"
#define PEER_B "203.0.113.6:7001"
#define REALM  "p2psip.test"

static uv_loop_t loop;
static struct ice_sock sock;
static struct turn_client *client;
static struct sockaddr_storage server, peer_a, peer_b;
static uint8_t sent[8][STUN_MAX_MSG];
static size_t sent_len[8], n_sent;
static size_t delivered;

static int fake_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	(void)ctx;
	(void)dst;
	if (n_sent < 8 && len <= STUN_MAX_MSG) {
		memcpy(sent[n_sent], buf, len);
		sent_len[n_sent++] = len;
	}
	return 0;
}

static void on_allocated(void *arg, int err, const struct sockaddr *relayed,
			 const struct sockaddr *mapped, const char *reason)
{
	(void)arg;
	(void)relayed;
	(void)mapped;
	(void)reason;
	if (err)
		abort(); /* only the scripted start-up answers requests */
}

/* The datagram being fed: data handed to the application must lie inside it. */
static const uint8_t *input;
static size_t input_len;

static void on_data(void *arg, const struct sockaddr *peer, const uint8_t *d, size_t len)
{
	(void)arg;
	(void)peer;
	if (d < input || len > input_len || d + len > input + input_len)
		abort();
}

/* The scripted server: a 401 to the unauthenticated request, success to the rest. */
static void answer(size_t i)
{
	static const uint8_t key_src[] = "alice:" REALM ":secret";
	uint8_t out[STUN_MAX_MSG], key[16];
	unsigned key_len;
	struct stun_builder b;
	struct stun_msg m;
	size_t len;

	if (stun_parse(&m, sent[i], sent_len[i]))
		abort();
	if (m.mi < 0) {
		stun_build_init(&b, out, sizeof(out), m.method, STUN_ERROR, m.tid);
		stun_put_error(&b, 401, "Unauthorized");
		stun_put_text(&b, STUN_A_REALM, REALM);
		stun_put_text(&b, STUN_A_NONCE, "fuzz-nonce");
	} else {
		stun_build_init(&b, out, sizeof(out), m.method, STUN_SUCCESS, m.tid);
		if (m.method == STUN_ALLOCATE) {
			stun_put_xor_addr(&b, STUN_A_XOR_RELAYED_ADDRESS,
					  (const struct sockaddr *)&server);
			stun_put_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS,
					  (const struct sockaddr *)&peer_a);
			stun_put_u32(&b, STUN_A_LIFETIME, 600);
		}
		if (!EVP_Digest(key_src, sizeof(key_src) - 1, key, &key_len, EVP_md5(), NULL))
			abort();
		stun_put_integrity(&b, key, 16);
	}
	input = out;
	input_len = sizeof(out);
	if (stun_finish(&b, &len) ||
	    turn_client_input(client, out, len, (const struct sockaddr *)&server) != 1)
		abort();
}

static void answer_all(void)
{
	while (delivered < n_sent)
		answer(delivered++);
}

static void start(void)
{
	struct turn_config cfg = {.user = "alice", .pass = "secret"};
	struct turn_callbacks cb = {.on_allocated = on_allocated, .on_data = on_data};

	if (uv_loop_init(&loop) || ice_sa_parse(SRV, &server) || ice_sa_parse(PEER_A, &peer_a) ||
	    ice_sa_parse(PEER_B, &peer_b))
		abort();
	sock.send = fake_send;
	cfg.server = server;
	if (turn_client_new(&loop, &sock, &cfg, &cb, NULL, &client) || turn_client_allocate(client))
		abort();
	answer_all();
	if (turn_client_permit(client, (const struct sockaddr *)&peer_a) ||
	    turn_client_bind_channel(client, (const struct sockaddr *)&peer_b))
		abort();
	answer_all();
	if (turn_client_state(client) != TURN_ALLOCATED)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!client)
		start();
	input = data;
	input_len = size;
	turn_client_input(client, data, size, (const struct sockaddr *)&server);
	if (turn_client_state(client) != TURN_ALLOCATED)
		abort();
	return 0;
}
