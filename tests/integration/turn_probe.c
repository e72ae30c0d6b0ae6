/* turn_probe: drives ice/turn.c against a real TURN server for test_turn.sh: allocates,
 * permits peer A (Send/Data) and binds a channel to peer B (ChannelData), sends to both
 * every interval and prints counts as KEY=VALUE lines. Not a TURN tool for users. */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/log.h"
#include "ice/stun.h"
#include "ice/turn.h"

struct peer {
	struct sockaddr_storage addr;
	unsigned sent, recv, recv_chandata;
	uint64_t first_ms, last_ms; /* of replies, since the allocation */
};

static struct probe {
	uv_loop_t *loop;
	uv_udp_t udp;
	uv_timer_t tick, stop;
	struct ice_sock sock;
	struct turn_client *c;
	struct sockaddr_storage server;
	struct peer peers[2]; /* A: permission only; B: channel */
	unsigned duration_ms, interval_ms, perm_lifetime, chan_lifetime;
	uint64_t t0;
	int allocated, failed;
	unsigned req[16], err401, err438, other_err, resp_mi, resp_mi256, chandata_in;
	unsigned chandata_padded;
	uint8_t rx[65536];
} P;

/* IP:PORT; for the local address also a bare IP (any port). */
static int parse_addr(const char *s, struct sockaddr_storage *out)
{
	char any[80];

	snprintf(any, sizeof(any), "%s:1", s);
	if (!strchr(s, ':') && ice_sa_parse(any, out) == 0) {
		((struct sockaddr_in *)out)->sin_port = 0;
		return 0;
	}
	if (ice_sa_parse(s, out)) {
		fprintf(stderr, "turn_probe: bad address '%s' (want IP:PORT)\n", s);
		return -1;
	}
	return 0;
}

/* Counts the requests the client sends, by method (retransmissions too). */
static int probe_send(void *ctx, const struct sockaddr *dst, const void *buf, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
	struct stun_msg m;
	int n;

	(void)ctx;
	if (stun_parse(&m, buf, len) == 0 && m.cls == STUN_REQUEST && m.method < 16)
		P.req[m.method]++;
	n = uv_udp_try_send(&P.udp, &b, 1, dst);
	return n < 0 ? n : 0;
}

/* What the server sends: error codes and the integrity attributes it uses. */
static void classify(const uint8_t *buf, size_t len)
{
	struct stun_msg m;
	const struct stun_attr *a;
	const char *reason;
	size_t rlen;
	int code;

	if (len >= 4 && buf[0] >= 0x40 && buf[0] <= 0x4F) {
		P.chandata_in++;
		P.chandata_padded += len > 4u + (size_t)(buf[2] << 8 | buf[3]);
		return;
	}
	if (stun_parse(&m, buf, len))
		return;
	if (m.cls == STUN_SUCCESS || m.cls == STUN_ERROR) {
		P.resp_mi += m.mi >= 0;
		P.resp_mi256 += m.mi256 >= 0;
	}
	a = stun_find(&m, STUN_A_ERROR_CODE);
	if (m.cls != STUN_ERROR || !a || stun_get_error(&m, a, &code, &reason, &rlen))
		return;
	if (code == 401)
		P.err401++;
	else if (code == 438)
		P.err438++;
	else
		P.other_err++;
}

static void on_alloc_buf(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	(void)hint;
	*buf = uv_buf_init((char *)P.rx, sizeof(P.rx));
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	(void)u;
	(void)flags;
	if (n <= 0 || !from || !P.c)
		return;
	classify((const uint8_t *)buf->base, (size_t)n);
	turn_client_input(P.c, (const uint8_t *)buf->base, (size_t)n, from);
}

static uint64_t since_start(void)
{
	return uv_now(P.loop) - P.t0;
}

static void on_data(void *arg, const struct sockaddr *from, const uint8_t *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	for (int i = 0; i < 2; i++) {
		struct peer *p = &P.peers[i];

		if (!ice_sa_equal(from, (const struct sockaddr *)&p->addr))
			continue;
		if (!p->recv)
			p->first_ms = since_start();
		p->recv++;
		p->last_ms = since_start();
	}
}

static void on_tick(uv_timer_t *t)
{
	char msg[64];

	(void)t;
	for (int i = 0; i < 2; i++) {
		struct peer *p = &P.peers[i];
		int n = snprintf(msg, sizeof(msg), "probe %c %u", 'A' + i, p->sent);

		if (turn_client_send(P.c, (const struct sockaddr *)&p->addr, msg, (size_t)n) == 0)
			p->sent++;
	}
}

static void stop_loop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void on_allocated(void *arg, int err, const struct sockaddr *relayed,
			 const struct sockaddr *mapped, const char *reason)
{
	char r[64], m[64];

	(void)arg;
	if (err) {
		printf("error=%d reason=%s\n", err, reason);
		P.failed = 1;
		uv_stop(P.loop);
		return;
	}
	P.allocated = 1;
	P.t0 = uv_now(P.loop);
	printf("relayed=%s\nmapped=%s\n", ice_sa_str(relayed, r, sizeof(r)),
	       ice_sa_str(mapped, m, sizeof(m)));
	if (turn_client_permit(P.c, (const struct sockaddr *)&P.peers[0].addr) ||
	    turn_client_bind_channel(P.c, (const struct sockaddr *)&P.peers[1].addr)) {
		printf("error=permit reason=cannot permit or bind\n");
		P.failed = 1;
		uv_stop(P.loop);
		return;
	}
	uv_timer_start(&P.tick, on_tick, P.interval_ms, P.interval_ms);
	uv_timer_start(&P.stop, stop_loop, P.duration_ms, 0);
}

static void report(void)
{
	char local[64];
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	uv_udp_getsockname(&P.udp, (struct sockaddr *)&ss, &len);
	printf("local=%s\n", ice_sa_str((struct sockaddr *)&ss, local, sizeof(local)));
	for (int i = 0; i < 2; i++) {
		struct peer *p = &P.peers[i];
		char c = (char)('a' + i);

		printf("sent_%c=%u\nrecv_%c=%u\nfirst_%c_ms=%llu\nlast_%c_ms=%llu\n", c, p->sent, c,
		       p->recv, c, (unsigned long long)p->first_ms, c,
		       (unsigned long long)p->last_ms);
	}
	printf("chandata_in=%u\nchandata_padded=%u\n", P.chandata_in, P.chandata_padded);
	printf("req_allocate=%u\nreq_refresh=%u\nreq_permission=%u\nreq_channel=%u\n",
	       P.req[STUN_ALLOCATE], P.req[STUN_REFRESH], P.req[STUN_CREATE_PERMISSION],
	       P.req[STUN_CHANNEL_BIND]);
	printf("err_401=%u\nerr_438=%u\nerr_other=%u\nresp_mi=%u\nresp_mi256=%u\n", P.err401,
	       P.err438, P.other_err, P.resp_mi, P.resp_mi256);
	printf("state=%d\n", P.c ? (int)turn_client_state(P.c) : -1);
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: turn_probe --server IP:PORT --local IP:PORT --user U --pass P\n"
	    "         --peer-a IP:PORT --peer-b IP:PORT [--duration S] [--interval-ms N]\n"
	    "         [--perm-lifetime S] [--chan-lifetime S] [--no-refresh] [--verbose]\n"
	    "  --no-refresh: the client assumes hour-long lifetimes, so it refreshes nothing\n");
}

static int parse_args(int argc, char **argv, struct turn_config *cfg,
		      struct sockaddr_storage *local)
{
	static const struct option opts[] = {{"server", 1, 0, 's'},
					     {"local", 1, 0, 'l'},
					     {"user", 1, 0, 'u'},
					     {"pass", 1, 0, 'p'},
					     {"peer-a", 1, 0, 'a'},
					     {"peer-b", 1, 0, 'b'},
					     {"duration", 1, 0, 'd'},
					     {"interval-ms", 1, 0, 'i'},
					     {"perm-lifetime", 1, 0, 'P'},
					     {"chan-lifetime", 1, 0, 'C'},
					     {"no-refresh", 0, 0, 'n'},
					     {"verbose", 0, 0, 'v'},
					     {0, 0, 0, 0}};
	int o, need = 0;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			need |= 1;
			if (parse_addr(optarg, &cfg->server))
				return -1;
			break;
		case 'l':
			need |= 2;
			if (parse_addr(optarg, local))
				return -1;
			break;
		case 'u':
			cfg->user = optarg;
			break;
		case 'p':
			cfg->pass = optarg;
			break;
		case 'a':
			need |= 4;
			if (parse_addr(optarg, &P.peers[0].addr))
				return -1;
			break;
		case 'b':
			need |= 8;
			if (parse_addr(optarg, &P.peers[1].addr))
				return -1;
			break;
		case 'd':
			P.duration_ms = (unsigned)atoi(optarg) * 1000;
			break;
		case 'i':
			P.interval_ms = (unsigned)atoi(optarg);
			break;
		case 'P':
			P.perm_lifetime = (unsigned)atoi(optarg);
			break;
		case 'C':
			P.chan_lifetime = (unsigned)atoi(optarg);
			break;
		case 'v':
			log_set_level(HLOG_DEBUG);
			break;
		case 'n':
			P.perm_lifetime = P.chan_lifetime = 3600;
			break;
		default:
			return -1;
		}
	}
	if (need != 15 || !cfg->user || !cfg->pass || !P.duration_ms || !P.interval_ms)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct turn_config cfg = {.software = "hipsip turn_probe"};
	struct turn_callbacks cb = {.on_allocated = on_allocated, .on_data = on_data};
	struct sockaddr_storage local;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	P.duration_ms = 10000;
	P.interval_ms = 200;
	if (parse_args(argc, argv, &cfg, &local)) {
		usage();
		return 2;
	}
	P.loop = uv_default_loop();
	uv_udp_init(P.loop, &P.udp);
	err = uv_udp_bind(&P.udp, (struct sockaddr *)&local, 0);
	if (err) {
		fprintf(stderr, "turn_probe: bind: %s\n", uv_strerror(err));
		return 1;
	}
	uv_udp_recv_start(&P.udp, on_alloc_buf, on_recv);
	uv_timer_init(P.loop, &P.tick);
	uv_timer_init(P.loop, &P.stop);
	P.sock.send = probe_send;
	P.sock.local = local;
	P.server = cfg.server;
	if (turn_client_new(P.loop, &P.sock, &cfg, &cb, NULL, &P.c)) {
		fprintf(stderr, "turn_probe: turn_client_new failed\n");
		return 1;
	}
	if (P.perm_lifetime)
		turn_client_set_permission_lifetime(P.c, P.perm_lifetime);
	if (P.chan_lifetime)
		turn_client_set_channel_lifetime(P.c, P.chan_lifetime);
	err = turn_client_allocate(P.c);
	if (err) {
		fprintf(stderr, "turn_probe: allocate: %s\n", strerror(-err));
		return 1;
	}
	/* Allocation must not take more than 10 s. */
	uv_timer_start(&P.stop, stop_loop, 10000, 0);
	uv_run(P.loop, UV_RUN_DEFAULT);
	if (!P.allocated && !P.failed)
		printf("error=-110 reason=no allocation within 10 s\n");
	report();
	turn_client_close(P.c);
	P.c = NULL;
	uv_close((uv_handle_t *)&P.tick, NULL);
	uv_close((uv_handle_t *)&P.stop, NULL);
	uv_close((uv_handle_t *)&P.udp, NULL);
	uv_run(P.loop, UV_RUN_DEFAULT);
	return P.allocated ? 0 : 1;
}
