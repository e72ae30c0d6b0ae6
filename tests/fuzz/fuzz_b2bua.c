/* libFuzzer target for p2psipd's B2BUA message handler: the first byte says where the rest comes
 * from (even: a local client, odd: a peer p2psipd), the rest is a SIP message, parsed or not.
 * One B2BUA without sockets and a stub directory (every AOR found, at a fixed HIT). */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "p2psipd/sip/b2bua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PENDING_MAX 64

/* The stub directory's operations, answered after the input was handled ("later"). */
static struct {
	b2bua_dir_done_fn done;
	b2bua_dir_found_fn found;
	void *cbarg;
} pending[PENDING_MAX];
static unsigned n_pending;

static uv_loop_t loop;
static struct b2bua b2b;
static struct in6_addr peer_hit = {.s6_addr = {0x20, 0x01, 0x00, 0x20, 1, 2, 3, 4}};

static int stub_publish(void *arg, const char *aor, uint32_t lifetime, b2bua_dir_done_fn done,
			void *cbarg)
{
	(void)arg;
	(void)aor;
	(void)lifetime;
	if (n_pending == PENDING_MAX)
		return -EBUSY;
	pending[n_pending].done = done;
	pending[n_pending].found = NULL;
	pending[n_pending++].cbarg = cbarg;
	return 0;
}

static void stub_unpublish(void *arg, const char *aor)
{
	(void)arg;
	(void)aor;
}

static int stub_lookup(void *arg, const char *aor, b2bua_dir_found_fn found, void *cbarg)
{
	(void)arg;
	(void)aor;
	if (n_pending == PENDING_MAX)
		return -EBUSY;
	pending[n_pending].done = NULL;
	pending[n_pending].found = found;
	pending[n_pending++].cbarg = cbarg;
	return 0;
}

static int stub_peer_addr(void *arg, const struct in6_addr *hit, struct sockaddr_storage *out)
{
	struct sockaddr_in *a = (struct sockaddr_in *)out;

	(void)arg;
	(void)hit;
	memset(out, 0, sizeof(*out));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons(9);
	return 0;
}

static void flush(void)
{
	unsigned n = n_pending;

	n_pending = 0;
	for (unsigned i = 0; i < n; i++) {
		if (pending[i].done)
			pending[i].done(pending[i].cbarg, 0, 200);
		else
			pending[i].found(pending[i].cbarg, 0, &peer_hit);
	}
	uv_run(&loop, UV_RUN_NOWAIT);
}

static void init(void)
{
	struct b2bua_config c = {.loop = &loop, .mode = B2BUA_PLAIN, .no_sockets = true};
	struct sockaddr_in *a = (struct sockaddr_in *)&c.self_addr;
	static const char reg[] = "REGISTER sip:hipsip SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-fuzz-reg\r\n"
				  "From: <sip:bob@hipsip>;tag=1\r\nTo: <sip:bob@hipsip>\r\n"
				  "Call-ID: fuzz-reg\r\nCSeq: 1 REGISTER\r\n"
				  "Contact: <sip:bob@127.0.0.1:5070>\r\nContent-Length: 0\r\n\r\n";
	struct sip_src src = {.proto = SIP_TP_UDP};

	log_init("fuzz_b2bua", HLOG_ERR, false);
	uv_loop_init(&loop);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c.timer_c_ms = 1;      /* calls end at once: the fuzzer's inputs do not pile up */
	c.media_timeout_s = 1; /* and established ones without media end with BYEs */
	c.tm.t1_ms = 1;
	c.tm.t4_ms = 1;
	c.tm.d_ms = 1;
	c.tm.t2_ms = 1;
	c.dir.publish = stub_publish;
	c.dir.unpublish = stub_unpublish;
	c.dir.lookup = stub_lookup;
	c.dir.peer_addr = stub_peer_addr;
	if (b2bua_open(&b2b, &c))
		abort();
	a = (struct sockaddr_in *)&src.addr;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons(5070);
	b2bua_input_client(&b2b, &src, (const uint8_t *)reg, sizeof(reg) - 1);
	flush();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sip_src src = {.proto = SIP_TP_UDP};
	struct sockaddr_in *a = (struct sockaddr_in *)&src.addr;

	if (!ready) {
		init();
		ready = 1;
	}
	if (size < 1)
		return 0;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons(5070);
	if (data[0] & 1)
		b2bua_input_peer(&b2b, (const struct sockaddr *)&src.addr, data + 1, size - 1);
	else
		b2bua_input_client(&b2b, &src, data + 1, size - 1);
	flush();
	return 0;
}
