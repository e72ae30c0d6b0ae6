/* Writes fuzz seeds for fuzz_stun: the RFC 5769 samples and RFC 8489 B.1 as printed,
 * and messages built with ice/stun.c's builder. A one-off tool, not part of the build:
 *   cc -D_GNU_SOURCE -I. tests/fuzz/make_stun_seeds.c build/ice/libhipsip_ice.a \
 *      build/common/libhipsip_common.a -lcrypto -o /tmp/mk && /tmp/mk tests/fuzz/corpus/stun */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ice/stun.h"

static const char *const vectors[][2] = {
    {"rfc5769-2.1-request",
     "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
     "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020"
     "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf"},
    {"rfc5769-2.2-ipv4-response",
     "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
     "002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
     "80280004c07d4c96"},
    {"rfc5769-2.3-ipv6-response",
     "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
     "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
     "00080014a382954e4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c"},
    {"rfc5769-2.4-long-term",
     "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe3"
     "82b900000015001c662f2f3439396b393534643"
     "64f4c33346f4c39465354767936347341"
     "0014000b6578616d706c652e6f72670000080014f67024656dd64a3e02b8e0712e85c9a28ca89666"},
    {"rfc8489-b.1-as-printed",
     "0001009c2112a44278ad3433c6ad72c029da412e001e00204a3cf38fef6992bda952c6780417da0f"
     "24819415569e60b205c46e41407f170400150029"
     "6f624d61744a6f73324141414366"
     "2f2f3439396b39353464364f4c33346f4c39465354767936347341000000"
     "0014000b6578616d706c652e6f726700001c0020e4686c8f0edeb59013e07090010a93efccbccc54"
     "4c0a45d9f830aa6d6f735a01"},
};

static const uint8_t key[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t tid[STUN_TID_LEN] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
					  0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static int save(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		return -1;
	}
	return fclose(f);
}

static int save_hex(const char *dir, const char *name, const char *hex)
{
	uint8_t buf[512];
	size_t n = 0;

	for (; hex[0] && hex[1] && n < sizeof(buf); hex += 2) {
		unsigned v;

		sscanf(hex, "%2x", &v);
		buf[n++] = (uint8_t)v;
	}
	return save(dir, name, buf, n);
}

static int finish(const char *dir, const char *name, struct stun_builder *b)
{
	size_t n;
	struct stun_msg m;

	if (stun_finish(b, &n) || stun_parse(&m, b->w.buf, n)) {
		fprintf(stderr, "%s: does not build\n", name);
		return -1;
	}
	return save(dir, name, b->w.buf, n);
}

static struct sockaddr_storage sa(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &s->sin6_addr);
	} else {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &s->sin_addr);
	}
	return ss;
}

int main(int argc, char **argv)
{
	static const uint8_t pwalgs[] = {0, 2, 0, 0, 0, 1, 0, 0};
	struct sockaddr_storage v4 = sa("203.0.113.7", 50000), v6 = sa("2001:db8::7", 3478);
	uint8_t buf[STUN_MAX_MSG], lt[32];
	struct stun_builder b;
	size_t ltn;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		err |= save_hex(argv[1], vectors[i][0], vectors[i][1]);
	if (stun_key_long_term(STUN_PWALG_SHA256, "alice", "p2psip.test", "secret", lt, &ltn))
		return 1;

	/* ICE connectivity check (RFC 8445 7.1.1) */
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put_text(&b, STUN_A_USERNAME, "abcd:efgh");
	stun_put_u32(&b, STUN_A_PRIORITY, 0x6e7f1eff);
	stun_put_u64(&b, STUN_A_ICE_CONTROLLING, 0x0102030405060708ull);
	stun_put_flag(&b, STUN_A_USE_CANDIDATE);
	stun_put_integrity(&b, key, sizeof(key) - 1);
	stun_put_fingerprint(&b);
	err |= finish(argv[1], "built-ice-check", &b);

	/* Allocate request with long-term credentials (RFC 8656 7.1) */
	stun_build_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_REQUEST, tid);
	stun_put_u32(&b, STUN_A_REQUESTED_TRANSPORT, 17u << 24);
	stun_put_u32(&b, STUN_A_LIFETIME, 600);
	stun_put_flag(&b, STUN_A_DONT_FRAGMENT);
	stun_put(&b, STUN_A_EVEN_PORT, "\x80", 1);
	stun_put_u32(&b, STUN_A_REQUESTED_ADDR_FAMILY, 0x01u << 24);
	stun_put_text(&b, STUN_A_USERNAME, "alice");
	stun_put_text(&b, STUN_A_REALM, "p2psip.test");
	stun_put_text(&b, STUN_A_NONCE, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
	stun_put(&b, STUN_A_PASSWORD_ALGORITHM, pwalgs + 4, 4);
	stun_put(&b, STUN_A_PASSWORD_ALGORITHMS, pwalgs, sizeof(pwalgs));
	stun_put_integrity(&b, lt, ltn);
	stun_put_integrity_sha256(&b, lt, ltn);
	stun_put_fingerprint(&b);
	err |= finish(argv[1], "built-allocate-request", &b);

	/* Allocate success (RFC 8656 7.3) */
	stun_build_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_SUCCESS, tid);
	stun_put_xor_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, (struct sockaddr *)&v4);
	stun_put_xor_addr(&b, STUN_A_XOR_RELAYED_ADDRESS, (struct sockaddr *)&v6);
	stun_put_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, (struct sockaddr *)&v4);
	stun_put_u32(&b, STUN_A_LIFETIME, 600);
	stun_put_u64(&b, STUN_A_RESERVATION_TOKEN, 0x1122334455667788ull);
	stun_put_text(&b, STUN_A_SOFTWARE, "hipsip");
	stun_put_integrity_sha256(&b, lt, ltn);
	err |= finish(argv[1], "built-allocate-success", &b);

	/* 401 with REALM and NONCE; 420 with UNKNOWN-ATTRIBUTES; 300 with ALTERNATE-SERVER */
	stun_build_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_ERROR, tid);
	stun_put_error(&b, 401, "Unauthenticated");
	stun_put_text(&b, STUN_A_REALM, "p2psip.test");
	stun_put_text(&b, STUN_A_NONCE, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
	stun_put(&b, STUN_A_PASSWORD_ALGORITHMS, pwalgs, sizeof(pwalgs));
	stun_put_fingerprint(&b);
	err |= finish(argv[1], "built-error-401", &b);
	stun_build_init(&b, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, tid);
	stun_put_error(&b, 420, "Unknown Attribute");
	stun_put(&b, STUN_A_UNKNOWN_ATTRIBUTES, "\x7f\xfe\x00\x31\x00\x32", 6);
	err |= finish(argv[1], "built-error-420", &b);
	stun_build_init(&b, buf, sizeof(buf), STUN_ALLOCATE, STUN_ERROR, tid);
	stun_put_error(&b, 300, "Try Alternate");
	stun_put_addr(&b, STUN_A_ALTERNATE_SERVER, (struct sockaddr *)&v6);
	stun_put_text(&b, STUN_A_ALTERNATE_DOMAIN, "turn.p2psip.test");
	stun_put_addr(&b, STUN_A_MAPPED_ADDRESS, (struct sockaddr *)&v4);
	stun_put_integrity(&b, lt, ltn);
	err |= finish(argv[1], "built-error-300", &b);

	/* Send and Data indications, ChannelBind, CreatePermission (RFC 8656 9-12) */
	stun_build_init(&b, buf, sizeof(buf), STUN_DATA, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_A_XOR_PEER_ADDRESS, (struct sockaddr *)&v6);
	stun_put(&b, STUN_A_DATA, "\x00\x00\x00\x00hello", 9);
	stun_put(&b, STUN_A_ICMP, "\x00\x00\x03\x04\x00\x00\x05\xdc", 8);
	err |= finish(argv[1], "built-data-indication", &b);
	stun_build_init(&b, buf, sizeof(buf), STUN_CHANNEL_BIND, STUN_REQUEST, tid);
	stun_put_u32(&b, STUN_A_CHANNEL_NUMBER, 0x4000u << 16);
	stun_put_xor_addr(&b, STUN_A_XOR_PEER_ADDRESS, (struct sockaddr *)&v4);
	stun_put(&b, STUN_A_USERHASH, lt, 32);
	stun_put_integrity_sha256(&b, lt, ltn);
	err |= finish(argv[1], "built-channel-bind", &b);
	stun_build_init(&b, buf, sizeof(buf), STUN_CREATE_PERMISSION, STUN_SUCCESS, tid);
	stun_put(&b, STUN_A_ADDRESS_ERROR_CODE,
		 "\x02\x00\x04\x28"
		 "Address Family not Supported",
		 32);
	stun_put_u32(&b, STUN_A_ADDITIONAL_ADDR_FAMILY, 0x02u << 24);
	stun_put_u64(&b, STUN_A_ICE_CONTROLLED, 1);
	err |= finish(argv[1], "built-create-permission", &b);
	return err ? 1 : 0;
}
