/* hiplab-linkemu: the lab's userspace link emulator. It forwards Ethernet
 * frames between two interfaces (AF_PACKET), each direction delayed by a fixed
 * time and thinned by a loss rate. It does not parse frames; hiplab starts it. */
#include "linkemu_queue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define BATCH	      64
#define DEFAULT_LIMIT 10000
#define MAX_DELAY_MS  10000.0

struct side {
	const char *ifname;
	int fd;
};

struct dir {
	const char *name; /* "ab" or "ba" */
	struct side *from, *to;
	struct le_queue q;
};

struct opts {
	double delay_ms[2], loss_pct[2];
	size_t limit;
	uint64_t seed;
	const char *stats;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hiplab-linkemu [options] IFACE_A IFACE_B\n"
		"Forwards frames between two interfaces with delay and loss per direction.\n"
		"  --delay-ab MS   one-way delay of frames read on A and sent on B (default 0)\n"
		"  --delay-ba MS   the same from B to A\n"
		"  --loss-ab PCT   loss in percent, A to B (default 0); --loss-ba PCT\n"
		"  --limit N       frames queued per direction before drops (default %d)\n"
		"  --seed N        seed of the loss generator (default: random)\n"
		"  --stats FILE    counters as JSON, written on SIGUSR1 and at exit\n"
		"  --tag TEXT      ignored (lets the lab find its processes)\n"
		"Prints 'ready' on stderr once both sockets are bound. SIGTERM/SIGINT stop it.\n",
		DEFAULT_LIMIT);
}

static int parse_number(const char *opt, const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.0 && v <= max)) {
		fprintf(stderr, "hiplab-linkemu: %s: '%s' is not a number in 0..%g\n", opt, s, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o, const char **ifs)
{
	static const struct option longopts[] = {
	    {"delay-ab", required_argument, NULL, 'd'}, {"delay-ba", required_argument, NULL, 'D'},
	    {"loss-ab", required_argument, NULL, 'l'},	{"loss-ba", required_argument, NULL, 'L'},
	    {"limit", required_argument, NULL, 'n'},	{"seed", required_argument, NULL, 's'},
	    {"stats", required_argument, NULL, 'S'},	{"tag", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},		{NULL, 0, NULL, 0},
	};
	double v;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			rc = parse_number("--delay-ab", optarg, MAX_DELAY_MS, &o->delay_ms[0]);
			break;
		case 'D':
			rc = parse_number("--delay-ba", optarg, MAX_DELAY_MS, &o->delay_ms[1]);
			break;
		case 'l':
			rc = parse_number("--loss-ab", optarg, 100.0, &o->loss_pct[0]);
			break;
		case 'L':
			rc = parse_number("--loss-ba", optarg, 100.0, &o->loss_pct[1]);
			break;
		case 'n':
			rc = parse_number("--limit", optarg, 1e7, &v);
			o->limit = (size_t)v;
			if (!rc && o->limit == 0) {
				fprintf(stderr, "hiplab-linkemu: --limit: must be at least 1\n");
				rc = -EINVAL;
			}
			break;
		case 's':
			rc = parse_number("--seed", optarg, 1.8e19, &v);
			o->seed = (uint64_t)v;
			break;
		case 'S':
			o->stats = optarg;
			break;
		case 't':
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (rc)
			return rc;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "hiplab-linkemu: needs two interfaces, IFACE_A and IFACE_B\n");
		usage(stderr);
		return -EINVAL;
	}
	ifs[0] = argv[optind];
	ifs[1] = argv[optind + 1];
	return 0;
}

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int interface_mtu(int fd, const char *ifname, int *mtu)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	*mtu = ifr.ifr_mtu;
	return 0;
}

/* A raw socket that reads every frame arriving on ifname, never our own sends. */
static int open_side(struct side *s, int *mtu)
{
	int one = 1, big = 8 << 20, ifindex, rc;
	struct sockaddr_ll sll = {0};

	ifindex = (int)if_nametoindex(s->ifname);
	if (!ifindex) {
		fprintf(stderr, "hiplab-linkemu: no interface '%s' here\n", s->ifname);
		return -ENODEV;
	}
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (s->fd < 0) {
		rc = -errno;
		fprintf(stderr, "hiplab-linkemu: packet socket: %s\n", strerror(errno));
		return rc;
	}
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (setsockopt(s->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		rc = -errno;
		fprintf(stderr, "hiplab-linkemu: %s: socket options: %s\n", s->ifname,
			strerror(errno));
		return rc;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(s->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc = -errno;
		fprintf(stderr, "hiplab-linkemu: bind to %s: %s\n", s->ifname, strerror(errno));
		return rc;
	}
	return interface_mtu(s->fd, s->ifname, mtu);
}

/* The kernel's receive time (CLOCK_REALTIME) moved onto CLOCK_MONOTONIC. */
static uint64_t rx_time(struct msghdr *m, int64_t real_to_mono, uint64_t fallback)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		struct timespec ts;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		return (uint64_t)((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + real_to_mono);
	}
	return fallback;
}

/* Reads what is waiting on d->from into d's queue; frames beyond the queue are dropped. */
static void drain(struct dir *d)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	char cbuf[BATCH][CMSG_SPACE(sizeof(struct timespec))];
	uint8_t scratch[64];

	for (;;) {
		size_t first, n = le_queue_tail_span(&d->q, &first);
		int64_t offset = (int64_t)now_ns(CLOCK_MONOTONIC) - (int64_t)now_ns(CLOCK_REALTIME);
		int got;

		if (n == 0) { /* full: take one frame off the socket and count it */
			if (recv(d->from->fd, scratch, sizeof(scratch), MSG_DONTWAIT) < 0)
				return;
			le_queue_overflow(&d->q);
			continue;
		}
		n = n < BATCH ? n : BATCH;
		memset(msgs, 0, sizeof(msgs[0]) * n);
		for (size_t i = 0; i < n; i++) {
			iov[i].iov_base = d->q.slots[first + i].data;
			iov[i].iov_len = d->q.slot_size;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = cbuf[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(cbuf[i]);
		}
		got = recvmmsg(d->from->fd, msgs, (unsigned)n, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (got <= 0)
			return;
		for (int i = 0; i < got; i++) {
			uint64_t t = rx_time(&msgs[i].msg_hdr, offset, now_ns(CLOCK_MONOTONIC));
			int trunc = msgs[i].msg_len > d->q.slot_size ||
				    (msgs[i].msg_hdr.msg_flags & MSG_TRUNC);

			le_queue_push(&d->q, msgs[i].msg_len, trunc, t);
		}
		if ((size_t)got < n)
			return;
	}
}

/* Sends every frame that is due on d->to. */
static void flush(struct dir *d, uint64_t now)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	for (;;) {
		size_t first, due = le_queue_due_span(&d->q, now, &first), k = 0;

		if (due == 0)
			return;
		due = due < BATCH ? due : BATCH;
		memset(msgs, 0, sizeof(msgs[0]) * due);
		for (size_t i = 0; i < due; i++) {
			struct le_slot *s = &d->q.slots[first + i];

			if (!s->len)
				continue;
			iov[k].iov_base = s->data;
			iov[k].iov_len = s->len;
			msgs[k].msg_hdr.msg_iov = &iov[k];
			msgs[k].msg_hdr.msg_iovlen = 1;
			k++;
		}
		for (size_t sent = 0; sent < k;) {
			int r = sendmmsg(d->to->fd, msgs + sent, (unsigned)(k - sent), 0);

			if (r <= 0) { /* this frame is refused (too big, link down): count, go on */
				d->q.c.send_errors++;
				sent++;
				continue;
			}
			d->q.c.tx += (uint64_t)r;
			sent += (size_t)r;
		}
		le_queue_pop(&d->q, due);
	}
}

static void write_counters(FILE *f, const char *name, const struct le_counters *c, int last)
{
	fprintf(f,
		"\"%s\":{\"rx\":%llu,\"tx\":%llu,\"lost\":%llu,\"overflow\":%llu,"
		"\"truncated\":%llu,\"send_errors\":%llu}%s",
		name, (unsigned long long)c->rx, (unsigned long long)c->tx,
		(unsigned long long)c->lost, (unsigned long long)c->overflow,
		(unsigned long long)c->truncated, (unsigned long long)c->send_errors,
		last ? "" : ",");
}

/* Written to FILE.tmp and renamed, so a reader never sees half of it. */
static void write_stats(const char *path, struct dir *dirs)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "hiplab-linkemu: %s: %s\n", tmp, strerror(errno));
		return;
	}
	fputc('{', f);
	write_counters(f, dirs[0].name, &dirs[0].q.c, 0);
	write_counters(f, dirs[1].name, &dirs[1].q.c, 1);
	fputs("}\n", f);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		fprintf(stderr, "hiplab-linkemu: %s: %s\n", path, strerror(errno));
}

static void arm_timer(int tfd, struct dir *dirs)
{
	uint64_t a = le_queue_next_due(&dirs[0].q), b = le_queue_next_due(&dirs[1].q);
	uint64_t due = a < b ? a : b;
	struct itimerspec its = {0};

	if (due != UINT64_MAX) {
		due = due ? due : 1; /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(due / 1000000000ULL);
		its.it_value.tv_nsec = (long)(due % 1000000000ULL);
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int add_fd(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

enum { TAG_A, TAG_B, TAG_TIMER, TAG_SIGNAL };

/* Returns when SIGTERM or SIGINT arrives. */
static int run(struct dir *dirs, struct side *sides, const char *stats, const sigset_t *set)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);

	if (ep < 0 || tfd < 0 || sfd < 0 || add_fd(ep, sides[0].fd, TAG_A) ||
	    add_fd(ep, sides[1].fd, TAG_B) || add_fd(ep, tfd, TAG_TIMER) ||
	    add_fd(ep, sfd, TAG_SIGNAL)) {
		fprintf(stderr, "hiplab-linkemu: event loop: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "hiplab-linkemu: ready %s <-> %s\n", sides[0].ifname, sides[1].ifname);
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);

		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;

			if (tag == TAG_A || tag == TAG_B) {
				drain(&dirs[tag]);
			} else if (tag == TAG_TIMER) {
				uint64_t expirations;

				if (read(tfd, &expirations, sizeof(expirations)) < 0 &&
				    errno != EAGAIN)
					return 1;
			} else {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo != SIGUSR1)
						return 0;
					write_stats(stats, dirs);
				}
			}
		}
		uint64_t now = now_ns(CLOCK_MONOTONIC);

		flush(&dirs[0], now);
		flush(&dirs[1], now);
		arm_timer(tfd, dirs);
	}
}

int main(int argc, char **argv)
{
	struct opts o = {.limit = DEFAULT_LIMIT};
	const char *ifs[2];
	struct side sides[2] = {{.fd = -1}, {.fd = -1}};
	struct dir dirs[2] = {{.name = "ab", .from = &sides[0], .to = &sides[1]},
			      {.name = "ba", .from = &sides[1], .to = &sides[0]}};
	int mtu[2], rc;
	sigset_t set;

	/* Blocked from the start: a SIGUSR1 (counters, from hiplab status) that comes
	 * while the sockets are still being set up waits instead of killing us. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (parse_args(argc, argv, &o, ifs))
		return 2;
	if (!o.seed && getrandom(&o.seed, sizeof(o.seed), 0) != sizeof(o.seed))
		o.seed = (uint64_t)now_ns(CLOCK_REALTIME);
	prctl(PR_SET_TIMERSLACK, 1UL);
	for (int i = 0; i < 2; i++) {
		sides[i].ifname = ifs[i];
		if (open_side(&sides[i], &mtu[i]))
			return 1;
	}
	/* A slot holds an MTU-sized frame with its Ethernet and VLAN headers. */
	size_t slot = (size_t)(mtu[0] > mtu[1] ? mtu[0] : mtu[1]) + 18;

	slot = (slot + 63) & ~(size_t)63;
	for (int i = 0; i < 2; i++) {
		rc = le_queue_init(&dirs[i].q, o.limit, slot, (uint64_t)(o.delay_ms[i] * 1e6),
				   o.loss_pct[i], o.seed + (uint64_t)i);
		if (rc) {
			fprintf(stderr, "hiplab-linkemu: queue of %zu frames: %s\n", o.limit,
				strerror(-rc));
			return 1;
		}
	}
	rc = run(dirs, sides, o.stats, &set);
	write_stats(o.stats, dirs);
	for (int i = 0; i < 2; i++) {
		le_queue_free(&dirs[i].q);
		close(sides[i].fd);
	}
	return rc;
}
