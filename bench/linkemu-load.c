/* linkemu-load: paced UDP load for bench/linkemu. The sender stamps each
 * datagram with a sequence number and its CLOCK_MONOTONIC send time (shared by
 * all namespaces of a machine); the receiver reports loss and one-way delay. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x6c656d75u /* "lemu" */
#define BATCH 64

struct probe {
	uint32_t magic;
	uint32_t pad;
	uint64_t seq;
	uint64_t sent_ns;
};

struct args {
	const char *to;
	int port, size;
	double pps, seconds;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000ULL),
			      .tv_nsec = (long)(t % 1000000000ULL)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int parse_endpoint(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

/* Sends at the given rate; when behind (sleep granularity), catches up at once. */
static int do_send(const struct args *a)
{
	struct sockaddr_in to;
	uint8_t buf[2048] = {0};
	struct probe p = {.magic = MAGIC};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint64_t start, interval, n;

	if (parse_endpoint(a->to, &to) || a->pps <= 0 || fd < 0) {
		fprintf(stderr, "linkemu-load send: needs --to IPv4:PORT and --pps > 0\n");
		return 2;
	}
	interval = (uint64_t)(1e9 / a->pps);
	n = (uint64_t)(a->pps * a->seconds);
	start = mono_ns() + 1000000;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t due = start + i * interval;

		if (due > mono_ns() + 200000)
			sleep_until(due);
		p.seq = i;
		p.sent_ns = mono_ns();
		memcpy(buf, &p, sizeof(p));
		if (sendto(fd, buf, (size_t)a->size, 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
		    errno != ENOBUFS && errno != EAGAIN) {
			perror("linkemu-load send");
			return 1;
		}
	}
	printf("{\"sent\": %llu, \"pps\": %.0f}\n", (unsigned long long)n, a->pps);
	return 0;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static uint64_t kernel_rx_mono(struct msghdr *m, int64_t real_to_mono)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		struct timespec ts;

		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec +
					  real_to_mono);
		}
	}
	return mono_ns();
}

struct tally {
	uint64_t *owd, count, cap, max_seq, reordered, first_ns, last_ns;
	int any;
};

static void account(struct tally *t, const struct probe *p, uint64_t rx)
{
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 65536;
		t->owd = realloc(t->owd, t->cap * sizeof(*t->owd));
		if (!t->owd)
			exit(1);
	}
	t->owd[t->count++] = rx > p->sent_ns ? rx - p->sent_ns : 0;
	if (t->any && p->seq < t->max_seq)
		t->reordered++;
	if (!t->any || p->seq > t->max_seq)
		t->max_seq = p->seq;
	if (!t->any)
		t->first_ns = rx;
	t->last_ns = rx;
	t->any = 1;
}

static double pct(const struct tally *t, double q)
{
	return t->count ? (double)t->owd[(size_t)(q * (double)(t->count - 1))] / 1000.0 : 0.0;
}

/* Receives until `seconds` after the first datagram plus one idle second. */
static int do_recv(const struct args *a)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->port)};
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, big = 16 << 20;
	struct tally t = {0};
	uint64_t give_up = mono_ns() + (uint64_t)((a->seconds + 10) * 1e9);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("linkemu-load recv: bind");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fprintf(stderr, "linkemu-load: listening\n");
	for (;;) {
		struct mmsghdr msgs[BATCH];
		struct iovec iov[BATCH];
		uint8_t bufs[BATCH][256];
		char cbuf[BATCH][CMSG_SPACE(sizeof(struct timespec))];
		uint64_t now = mono_ns();
		int64_t offset = (int64_t)now - (int64_t)real_ns();
		int got;

		if (now > give_up || (t.any && now > t.last_ns + 1000000000ULL))
			break;
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = sizeof(bufs[i])};
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = cbuf[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(cbuf[i]);
		}
		got = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		for (int i = 0; i < got; i++) {
			struct probe p;

			if (msgs[i].msg_len < sizeof(p))
				continue;
			memcpy(&p, bufs[i], sizeof(p));
			if (p.magic == MAGIC)
				account(&t, &p, kernel_rx_mono(&msgs[i].msg_hdr, offset));
		}
	}
	qsort(t.owd, t.count, sizeof(*t.owd), cmp_u64);
	double span = t.count > 1 ? (double)(t.last_ns - t.first_ns) / 1e9 : 0;
	uint64_t expected = t.any ? t.max_seq + 1 : 0;

	printf("{\"received\": %llu, \"lost\": %lld, \"reordered\": %llu, \"pps\": %.0f, "
	       "\"owd_us_median\": %.1f, \"owd_us_p95\": %.1f, \"owd_us_p99\": %.1f}\n",
	       (unsigned long long)t.count, (long long)expected - (long long)t.count,
	       (unsigned long long)t.reordered, span > 0 ? (double)t.count / span : 0.0,
	       pct(&t, 0.5), pct(&t, 0.95), pct(&t, 0.99));
	free(t.owd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option o[] = {
	    {"to", required_argument, NULL, 't'},
	    {"port", required_argument, NULL, 'p'},
	    {"pps", required_argument, NULL, 'r'},
	    {"seconds", required_argument, NULL, 's'},
	    {"size", required_argument, NULL, 'z'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct args a = {.size = 64, .seconds = 3, .port = 0};
	int c;

	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 't':
			a.to = optarg;
			break;
		case 'p':
			a.port = atoi(optarg);
			break;
		case 'r':
			a.pps = atof(optarg);
			break;
		case 's':
			a.seconds = atof(optarg);
			break;
		case 'z':
			a.size = atoi(optarg);
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: linkemu-load send --to IP:PORT --pps N [--seconds S] "
				"[--size B]\n"
				"       linkemu-load recv --port P [--seconds S]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (a.size < (int)sizeof(struct probe) || a.size > 1400) {
		fprintf(stderr, "linkemu-load: --size must be %zu..1400\n", sizeof(struct probe));
		return 2;
	}
	if (optind < argc && !strcmp(argv[optind], "send"))
		return do_send(&a);
	if (optind < argc && !strcmp(argv[optind], "recv") && a.port > 0)
		return do_recv(&a);
	fprintf(stderr, "linkemu-load: say send or recv (recv needs --port)\n");
	return 2;
}
