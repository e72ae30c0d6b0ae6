/* Kernel XFRM over netlink (libmnl): BEET-mode ESP SAs and policies built from our
 * own types, a request socket, ACQUIRE/EXPIRE events. Not the hipd backend that uses them. */
#ifndef HIPSIP_KERNEL_XFRM_H
#define HIPSIP_KERNEL_XFRM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Messages
 *
 * Each kx_msg_* builder writes one complete netlink request into buf (cap
 * bytes; KX_MSG_MAX is always enough) and returns 0, or -EINVAL for a value
 * the kernel would reject (family, suite/key lengths, SPI 0), -ENOTSUP for an
 * ESP suite we do not map, -ENOBUFS if cap is too small. kx_msg_len() gives the
 * message's length. The bytes are what iproute2 sends for the same parameters
 * (tests/unit/test_kernel_xfrm.c compares them field by field); the sequence
 * number is the caller's, the port id is left 0 (the kernel's).
 *
 * Addresses are in network byte order in 16-byte arrays: IPv4 in the first 4.
 * Every SA and template is proto ESP, mode BEET (RFC 7402 section 1.1, RFC 7401
 * section 3: HITs or LSIs inside, locators outside).
 */
#define KX_MSG_MAX 1024

/* Policy directions, as the kernel numbers them (XFRM_POLICY_IN/OUT/FWD). */
enum kx_dir {
	KX_DIR_IN = 0,
	KX_DIR_OUT = 1,
	KX_DIR_FWD = 2,
};

struct kx_sa {
	uint32_t spi;	  /* host order, >= 256 */
	int outer_family; /* AF_INET/AF_INET6: the locators, also the SA's family */
	uint8_t outer_src[16], outer_dst[16];
	int inner_family; /* AF_INET6 for HITs, AF_INET for LSIs: selector /128 or /32 */
	uint8_t inner_src[16], inner_dst[16];
	/* RFC 7402 ESP_TRANSFORM suite (enum hip_esp_suite): 7 NULL+HMAC-SHA-256,
	 * 8 AES-128-CBC+HMAC-SHA-256, 9 AES-256-CBC+HMAC-SHA-256 (auth-trunc
	 * hmac(sha256) 128 bits, auth key 32 bytes); 12 / 13 AES-GCM with an 8 / 16
	 * byte ICV (rfc4106(gcm(aes)), enc key = AES key || 4-byte salt, no auth key). */
	int suite;
	const uint8_t *enc_key;
	size_t enc_key_len;
	const uint8_t *auth_key;
	size_t auth_key_len;
	/* Both 0: plain ESP. Else ESP in UDP (UDP_ENCAP_ESPINUDP, RFC 3948 framing:
	 * hipd's UDP 10500 socket needs the UDP_ENCAP socket option to receive). */
	uint16_t encap_sport, encap_dport; /* host order */
	/* As `ip xfrm state ... replay-window N`: up to 32 in the SA itself, above
	 * that as an XFRMA_REPLAY_ESN_VAL bitmap (no extended sequence numbers). */
	uint32_t replay_window;
	uint32_t reqid; /* ties the SA to policy templates with the same reqid */
	/* 0 = no limit (XFRM_INF for bytes/packets, 0 seconds = never). */
	uint64_t soft_byte_limit, hard_byte_limit;
	uint64_t soft_packet_limit, hard_packet_limit;
	uint64_t soft_add_expires_seconds, hard_add_expires_seconds;
};

struct kx_policy {
	int dir;	  /* enum kx_dir */
	int inner_family; /* selector family: AF_INET6 (HITs) or AF_INET (LSIs) */
	uint8_t sel_src[16], sel_dst[16];
	uint8_t sel_src_prefix, sel_dst_prefix;
	/* One template, proto ESP mode BEET, any algorithms. Its outer addresses
	 * are the locators; all-zero leaves them to the kernel (prefix policy). */
	int outer_family;
	uint8_t tmpl_src[16], tmpl_dst[16];
	uint32_t reqid;
	uint32_t priority; /* lower wins: pair policies below KX_PRIORITY_PREFIX */
};

#define KX_PRIORITY_PAIR   1000
#define KX_PRIORITY_PREFIX 2000

int kx_msg_newsa(void *buf, size_t cap, uint32_t seq, const struct kx_sa *sa);
/* The same SA body as XFRM_MSG_UPDSA: replaces keys/limits of an existing SA. */
int kx_msg_updsa(void *buf, size_t cap, uint32_t seq, const struct kx_sa *sa);
/* Deletes / asks for the SA (daddr, spi, proto); saddr may be NULL (sent as zero).
 * proto is an IPPROTO_* number (IPPROTO_ESP). */
int kx_msg_delsa(void *buf, size_t cap, uint32_t seq, int family, const uint8_t *saddr,
		 const uint8_t *daddr, uint32_t spi, int proto);
int kx_msg_getsa(void *buf, size_t cap, uint32_t seq, int family, const uint8_t *saddr,
		 const uint8_t *daddr, uint32_t spi, int proto);
int kx_msg_newpolicy(void *buf, size_t cap, uint32_t seq, const struct kx_policy *p);
/* Deletes the policy with p's selector and dir (the template is not looked at). */
int kx_msg_delpolicy(void *buf, size_t cap, uint32_t seq, const struct kx_policy *p);
size_t kx_msg_len(const void *buf);

/*
 * The prefix policy: dir out, selector any -> 2001:20::/28 (inner AF_INET6,
 * the HIT prefix of RFC 7343) or any -> 1.0.0.0/8 (AF_INET, our LSIs), one
 * template with unspecified outer addresses of outer_family, reqid 0, priority
 * KX_PRIORITY_PREFIX. A packet to a HIT with no pair policy matches it; the
 * template finds no SA, so the kernel drops the packet, creates a larval
 * SA and multicasts XFRM_MSG_ACQUIRE (group XFRMNLGRP_ACQUIRE) with the packet's
 * selector (addresses /128 or /32, with the packet's protocol and ports): hipd's
 * cue to start a base exchange. Until that larval SA expires (sysctl
 * net.core.xfrm_acq_expires, 30 s) the flow's packets are dropped and no new
 * ACQUIRE is sent for it. The kernel resolves the template's unspecified local
 * address by a route lookup towards the unspecified remote: with outer_family
 * AF_INET that is local (127.0.0.1 -> 0.0.0.0 in the ACQUIRE, checked on 6.x),
 * with AF_INET6 it needs an IPv6 route towards :: (a default route), else the
 * packet fails with EHOSTUNREACH and no ACQUIRE is sent. So AF_INET is the
 * safer choice; the ACQUIRE's outer addresses mean nothing here either way.
 * 0 or -EINVAL.
 */
int kx_policy_prefix(struct kx_policy *p, int inner_family, int outer_family);

/*
 * Sockets
 */
struct mnl_socket;

struct kx_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;  /* next sequence number, for callers that want one */
	char why[160]; /* the kernel's extended-ack text of the last failed request, or "" */
};

/* A request socket (NETLINK_XFRM, extended acks on). 0 or -errno. */
int kx_open(struct kx_sock *s);
/* A socket bound to the ACQUIRE and EXPIRE multicast groups. 0 or -errno. */
int kx_listen_open(struct kx_sock *s);
void kx_close(struct kx_sock *s);
int kx_fd(const struct kx_sock *s);

/* Sends the message in buf (its NLM_F_ACK flag set here) and waits for the
 * kernel's answer: 0, or the kernel's -errno with its text in s->why. Replies
 * before the acknowledgement (GETSA's SA) are read and dropped. */
int kx_request(struct kx_sock *s, void *buf);

/* 1 if the kernel accepts a BEET ESP SA (a throwaway on the loopback with a
 * random SPI, deleted again), 0 if not with the kernel's reason in why, or
 * -errno if the probe itself failed (socket, randomness). */
int kx_probe_esp(struct kx_sock *s, char *why, size_t why_len);

/*
 * Events
 */
enum kx_event_type {
	KX_EV_ACQUIRE = 1, /* an outbound packet matched a template without an SA */
	KX_EV_EXPIRE = 2,  /* an SA reached a soft or hard limit */
};

struct kx_event {
	int type;
	/* ACQUIRE: the packet's selector and the policy it matched */
	int sel_family;
	uint8_t sel_src[16], sel_dst[16];
	uint8_t sel_src_prefix, sel_dst_prefix;
	int dir;	  /* enum kx_dir of the policy */
	uint32_t acq_seq; /* the kernel's number for this acquire */
	/* ACQUIRE: the template's resolved outer addresses; EXPIRE: the SA's */
	int family;
	uint8_t saddr[16], daddr[16];
	/* EXPIRE */
	uint32_t spi; /* host order */
	int proto;
	uint32_t reqid;
	int hard; /* 1: the SA is gone; 0: soft limit, rekey */
};

/* Decodes one netlink message of len bytes (what one recv gave; padding after
 * nlmsg_len allowed, nothing else). 0 with *out filled, -EINVAL if it is a
 * well-formed message of another type, -EBADMSG if it is malformed. */
int kx_parse_event(const void *msg, size_t len, struct kx_event *out);
/* Receives one datagram on a kx_listen_open socket (blocking unless its fd was
 * made non-blocking) and decodes it as kx_parse_event does; or -errno from the
 * receive (-EAGAIN: nothing queued; -ENOBUFS: the kernel dropped events). */
int kx_listen_read(struct kx_sock *s, struct kx_event *ev);

#endif
