/* libFuzzer target for p2psipd's handling of received datagrams: a lone overlay node (its
 * state carried from input to input, renewed every RENEW inputs) gets each input as a P2PP
 * datagram from a peer address. Not the codec alone (fuzz_p2pp.c). */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/hostid.h"
#include "common/log.h"
#include "p2psipd/overlay/ovl_int.h"

#define RENEW 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static struct hostid *id;
static struct ovl_node *node;
static unsigned inputs;

static void node_new(void)
{
	struct ovl_config c = {.loop = &loop, .mode = LINK_PLAIN};
	struct sockaddr_in *a = (struct sockaddr_in *)&c.listen;

	if (!id) {
		log_init("fuzz", HLOG_ERR, false);
		uv_loop_init(&loop);
		hostid_generate(HOSTID_ECDSA_P256, 0, &id);
	}
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c.id = id;
	ovl_start(&c, &node);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(9)};

	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!node)
		node_new();
	if (!node)
		return 0;
	ovl_input(node, data, size, (struct sockaddr *)&from);
	uv_run(&loop, UV_RUN_NOWAIT);
	if (++inputs % RENEW == 0) {
		ovl_close(node);
		node = NULL;
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	return 0;
}
