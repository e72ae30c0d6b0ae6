/* Writes fuzz seeds for fuzz_aor: signed registration records (ECDSA P-256, P-384, RSA, a forged
 * HIT) and STUN/TURN announcements, each behind fuzz_aor's selector byte. A one-off tool:
 *   cc -D_GNU_SOURCE -I. tests/fuzz/make_aor_seeds.c build/p2psipd/libp2psip_core.a \
 *      build/common/libhipsip_common.a -lcrypto -ljansson -luv -o /tmp/mk && \
 *      /tmp/mk tests/fuzz/corpus/aor */
#include <stdio.h>
#include <string.h>

#include "p2psipd/store/aor.h"

#define EXP (1700000000ull + 30 * 24 * 3600)

static void write_seed(const char *dir, const char *name, uint8_t sel, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return;
	}
	fputc(sel, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

static void record(const char *dir, const char *name, enum hostid_kind kind, int forge)
{
	uint8_t buf[AOR_RECORD_MAX];
	struct hostid *id = NULL;
	struct aor_record r = {0};
	size_t len = 0;

	if (hostid_generate(kind, 0, &id))
		return;
	strcpy(r.aor, "sip:alice@overlay");
	r.aor_len = strlen(r.aor);
	r.hit = id->hit;
	r.hit.s6_addr[15] ^= forge;
	r.expires = EXP;
	r.hi_algorithm = id->algorithm;
	memcpy(r.hi, id->hi, id->hi_len);
	r.hi_len = id->hi_len;
	if (aor_encode(&r, id, buf, sizeof(buf), &len) == 0)
		write_seed(dir, name, 0, buf, len);
	hostid_free(id);
}

static void announcement(const char *dir, const char *name, const struct srvann *a)
{
	uint8_t buf[SRVANN_MAX];
	size_t len = 0;

	if (srvann_encode(a, buf, sizeof(buf), &len) == 0)
		write_seed(dir, name, 1, buf, len);
}

int main(int argc, char **argv)
{
	struct srvann turn = {
	    .kind = SRVANN_TURN, .ip_version = 4, .ip = {192, 0, 2, 7}, .port = 3478};
	struct srvann stun = {
	    .kind = SRVANN_STUN, .ip_version = 6, .ip = {0x20, 0x01, 0x0d, 0xb8}, .port = 19302};

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 1;
	}
	record(argv[1], "aor_p256", HOSTID_ECDSA_P256, 0);
	record(argv[1], "aor_p384", HOSTID_ECDSA_P384, 0);
	record(argv[1], "aor_rsa", HOSTID_RSA, 0);
	record(argv[1], "aor_forged_hit", HOSTID_ECDSA_P256, 1);
	strcpy(turn.realm, "overlay.example");
	announcement(argv[1], "srv_turn_v4", &turn);
	announcement(argv[1], "srv_stun_v6", &stun);
	return 0;
}
