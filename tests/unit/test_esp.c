/* Unit tests of the ESP codec (RFC 4303, RFC 7402 suites) and its anti-replay
 * window: round trips, the openssl CLI reading our packets, tampering,
 * replays, truncation, sequence number exhaustion. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hipd/esp/esp.h"
#include "hipd/wire/hip_proto.h"

static const uint8_t enc_key[32] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f};
static const uint8_t auth_key[32] = {
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};

static const struct {
	uint16_t suite;
	size_t enc_len;
} suites[] = {
    {HIP_ESP_AES128_CBC_SHA256, 16}, {HIP_ESP_AES256_CBC_SHA256, 32}, {HIP_ESP_NULL_SHA256, 0},
    {HIP_ESP_AES_GCM_8, 20},	     {HIP_ESP_AES_GCM_16, 20},
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

static void pair(size_t i, struct esp_sa *out, struct esp_sa *in)
{
	ck_assert_int_eq(esp_sa_init(out, 0x01020304, suites[i].suite, 1, enc_key,
				     suites[i].enc_len, auth_key, 32),
			 0);
	ck_assert_int_eq(esp_sa_init(in, 0x01020304, suites[i].suite, 0, enc_key, suites[i].enc_len,
				     auth_key, 32),
			 0);
}

START_TEST(every_suite_round_trips_payloads_of_every_length)
{
	for (size_t i = 0; i < N_SUITES; i++) {
		struct esp_sa out, in;

		pair(i, &out, &in);
		for (size_t len = 0; len < 300; len += 7) {
			uint8_t payload[300], pkt[400], back[400], nh;
			size_t pl, bl;

			for (size_t k = 0; k < len; k++)
				payload[k] = (uint8_t)(k * 31 + len);
			ck_assert_int_eq(esp_encap(&out, 58, payload, len, pkt, sizeof(pkt), &pl),
					 0);
			ck_assert_uint_eq((pl - ESP_HDR_LEN - out.iv_len - out.icv_len) % out.block,
					  0);
			ck_assert_int_eq(esp_decap(&in, pkt, pl, back, sizeof(back), &bl, &nh), 0);
			ck_assert_uint_eq(bl, len);
			ck_assert_uint_eq(nh, 58);
			ck_assert_mem_eq(back, payload, len);
		}
		ck_assert_uint_eq(in.c.packets, out.c.packets);
		esp_sa_free(&out);
		esp_sa_free(&in);
	}
}
END_TEST

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static size_t run_cli(const char *cmd, uint8_t *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, cap, p);
	ck_assert_int_eq(pclose(p), 0);
	return n;
}

/* RFC 4303 2 and RFC 4868: the ICV is HMAC-SHA-256 over SPI..ciphertext, cut to
 * 128 bits; the body is AES-CBC with the IV in front (RFC 3602), trailer inside. */
START_TEST(openssl_cli_verifies_and_decrypts_our_cbc_packets)
{
	static const char *names[] = {"aes-128-cbc", "aes-256-cbc"};
	const char *msg = "ICMPv6 echo request from one HIT to another";

	for (size_t i = 0; i < 2; i++) {
		struct esp_sa out, in;
		uint8_t pkt[256], got[256];
		size_t pl, n, body;
		char path[] = "/tmp/test_esp_XXXXXX", cmd[1024], key[80], akey[80], iv[40];
		int fd = mkstemp(path);

		pair(i, &out, &in);
		ck_assert_int_eq(
		    esp_encap(&out, 58, (const uint8_t *)msg, strlen(msg), pkt, sizeof(pkt), &pl),
		    0);
		body = pl - ESP_HDR_LEN - 16 - 16;
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, pkt, pl - 16), (int)(pl - 16));
		close(fd);
		hex(auth_key, 32, akey);
		snprintf(cmd, sizeof(cmd),
			 "openssl dgst -sha256 -mac HMAC -macopt hexkey:%s -binary %s", akey, path);
		n = run_cli(cmd, got, sizeof(got));
		ck_assert_uint_eq(n, 32);
		ck_assert_mem_eq(got, pkt + pl - 16, 16);

		fd = open(path, O_WRONLY | O_TRUNC);
		ck_assert_int_eq(write(fd, pkt + ESP_HDR_LEN + 16, body), (int)body);
		close(fd);
		hex(enc_key, suites[i].enc_len, key);
		hex(pkt + ESP_HDR_LEN, 16, iv);
		snprintf(cmd, sizeof(cmd), "openssl enc -d -nopad -%s -K %s -iv %s -in %s",
			 names[i], key, iv, path);
		n = run_cli(cmd, got, sizeof(got));
		unlink(path);
		ck_assert_uint_eq(n, body);
		ck_assert_mem_eq(got, msg, strlen(msg));
		ck_assert_uint_eq(got[n - 1], 58);		    /* next header */
		ck_assert_uint_eq(got[n - 2], n - 2 - strlen(msg)); /* pad length */
		for (size_t k = 0; k < got[n - 2]; k++)
			ck_assert_uint_eq(got[strlen(msg) + k], k + 1);
		esp_sa_free(&out);
		esp_sa_free(&in);
	}
}
END_TEST

START_TEST(any_changed_byte_is_rejected_before_decryption)
{
	for (size_t i = 0; i < N_SUITES; i++) {
		struct esp_sa out, in;
		uint8_t payload[40] = "tcp segment", pkt[128], back[128], nh;
		size_t pl, bl;

		pair(i, &out, &in);
		ck_assert_int_eq(
		    esp_encap(&out, 6, payload, sizeof(payload), pkt, sizeof(pkt), &pl), 0);
		for (size_t k = 4; k < pl; k++) { /* the SPI picks the SA; the rest is checked */
			pkt[k] ^= 0x40;
			int rc = esp_decap(&in, pkt, pl, back, sizeof(back), &bl, &nh);

			ck_assert_msg(rc == -EBADE || rc == -EBADMSG || rc == -ERANGE,
				      "suite %u byte %zu: %d", suites[i].suite, k, rc);
			pkt[k] ^= 0x40;
		}
		ck_assert_uint_ge(in.c.auth_failed, pl - 4 - 4 - 1);
		ck_assert_int_eq(esp_decap(&in, pkt, pl, back, sizeof(back), &bl, &nh), 0);
		esp_sa_free(&out);
		esp_sa_free(&in);
	}
}
END_TEST

START_TEST(a_replayed_packet_is_dropped_and_counted)
{
	struct esp_sa out, in;
	uint8_t pkt[128], back[128], nh;
	size_t pl, bl;

	pair(0, &out, &in);
	ck_assert_int_eq(esp_encap(&out, 17, (const uint8_t *)"udp", 3, pkt, sizeof(pkt), &pl), 0);
	ck_assert_int_eq(esp_decap(&in, pkt, pl, back, sizeof(back), &bl, &nh), 0);
	ck_assert_int_eq(esp_decap(&in, pkt, pl, back, sizeof(back), &bl, &nh), -EEXIST);
	ck_assert_uint_eq(in.c.replayed, 1);
	ck_assert_uint_eq(in.c.packets, 1);
	esp_sa_free(&out);
	esp_sa_free(&in);
}
END_TEST

START_TEST(truncated_packets_are_malformed_at_every_length)
{
	for (size_t i = 0; i < N_SUITES; i++) {
		struct esp_sa out, in;
		uint8_t pkt[128], back[128], nh;
		size_t pl, bl;

		pair(i, &out, &in);
		ck_assert_int_eq(
		    esp_encap(&out, 6, (const uint8_t *)"data", 4, pkt, sizeof(pkt), &pl), 0);
		for (size_t n = 0; n < pl; n++)
			ck_assert_int_ne(esp_decap(&in, pkt, n, back, sizeof(back), &bl, &nh), 0);
		ck_assert_uint_eq(in.c.packets, 0);
		ck_assert_int_eq(esp_decap(&in, pkt, pl, back, 4, &bl, &nh), -ENOSPC);
		esp_sa_free(&out);
		esp_sa_free(&in);
	}
}
END_TEST

START_TEST(the_last_sequence_number_asks_for_a_rekey)
{
	struct esp_sa out;
	uint8_t pkt[128];
	size_t pl;

	ck_assert_int_eq(esp_sa_init(&out, 9, HIP_ESP_AES_GCM_16, 1, enc_key, 20, NULL, 0), 0);
	out.seq = UINT32_MAX - 1;
	ck_assert_int_eq(esp_encap(&out, 6, pkt, 10, pkt, sizeof(pkt), &pl), 0);
	ck_assert_int_eq(esp_encap(&out, 6, pkt, 10, pkt, sizeof(pkt), &pl), -EOVERFLOW);
	ck_assert_int_eq(esp_encap(&out, 6, pkt, 10, pkt, 20, &pl), -ENOSPC);
	esp_sa_free(&out);
}
END_TEST

START_TEST(unknown_suites_and_wrong_key_lengths_are_refused)
{
	struct esp_sa sa;

	ck_assert_int_eq(esp_sa_init(&sa, 1, HIP_ESP_AES128_CBC_SHA1, 1, enc_key, 16, auth_key, 20),
			 -ENOTSUP);
	ck_assert_int_eq(esp_sa_init(&sa, 1, 999, 1, enc_key, 16, auth_key, 32), -ENOTSUP);
	ck_assert_int_eq(
	    esp_sa_init(&sa, 1, HIP_ESP_AES128_CBC_SHA256, 1, enc_key, 32, auth_key, 32), -EINVAL);
	ck_assert_int_eq(
	    esp_sa_init(&sa, 1, HIP_ESP_AES128_CBC_SHA256, 1, enc_key, 16, auth_key, 20), -EINVAL);
}
END_TEST

/* RFC 4303 3.4.3: new numbers above the window slide it; seen ones and ones
 * behind it are refused. */
START_TEST(the_replay_window_slides_and_remembers)
{
	struct esp_replay r = {0};

	ck_assert_int_eq(esp_replay_check(&r, 0), -EINVAL);
	for (uint32_t s = 1; s <= 100; s += 2) {
		ck_assert_int_eq(esp_replay_check(&r, s), 0);
		esp_replay_update(&r, s);
	}
	ck_assert_int_eq(esp_replay_check(&r, 99), -EEXIST);
	ck_assert_int_eq(esp_replay_check(&r, 98), 0); /* late but new */
	esp_replay_update(&r, 98);
	ck_assert_int_eq(esp_replay_check(&r, 98), -EEXIST);
	esp_replay_update(&r, 99 + ESP_REPLAY_BITS);
	ck_assert_int_eq(esp_replay_check(&r, 99), -ERANGE);
	ck_assert_int_eq(esp_replay_check(&r, 100), 0); /* inside, never seen */
	ck_assert_int_eq(esp_replay_check(&r, 98 + ESP_REPLAY_BITS), 0);
	esp_replay_update(&r, 5000000);
	ck_assert_int_eq(esp_replay_check(&r, 5000000 - ESP_REPLAY_BITS + 1), 0);
	ck_assert_int_eq(esp_replay_check(&r, 5000000 - ESP_REPLAY_BITS), -ERANGE);
	ck_assert_int_eq(esp_replay_check(&r, 5000000), -EEXIST);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("esp");
	TCase *tc = tcase_create("esp");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, every_suite_round_trips_payloads_of_every_length);
	tcase_add_test(tc, openssl_cli_verifies_and_decrypts_our_cbc_packets);
	tcase_add_test(tc, any_changed_byte_is_rejected_before_decryption);
	tcase_add_test(tc, a_replayed_packet_is_dropped_and_counted);
	tcase_add_test(tc, truncated_packets_are_malformed_at_every_length);
	tcase_add_test(tc, the_last_sequence_number_asks_for_a_rekey);
	tcase_add_test(tc, unknown_suites_and_wrong_key_lengths_are_refused);
	tcase_add_test(tc, the_replay_window_slides_and_remembers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
