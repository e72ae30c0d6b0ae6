/* Unit tests for common/hostid: HI encodings checked against what the openssl CLI reads from
 * our keys, signatures, PEM storage, and hostid_from_hi on malformed input. */
#include <check.h>
#include <stdbool.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hit.h"
#include "common/hostid.h"

static struct hostid *rsa, *p256, *p384;
static char tmpdir[64];

static void make_keys(void)
{
	ck_assert_int_eq(hostid_generate(HOSTID_RSA, 0, &rsa), 0); /* default: 3072 bits */
	ck_assert_int_eq(hostid_generate(HOSTID_ECDSA_P256, 0, &p256), 0);
	ck_assert_int_eq(hostid_generate(HOSTID_ECDSA_P384, 0, &p384), 0);
	strcpy(tmpdir, "/tmp/test_hostid_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void free_keys(void)
{
	char cmd[128];

	hostid_free(rsa);
	hostid_free(p256);
	hostid_free(p384);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct hostid *key_of(int n)
{
	struct hostid *all[] = {rsa, p256, p384};

	return all[n];
}

static void path_in_tmp(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", tmpdir, name);
}

/* Runs a shell command and returns its first output line (without the newline). */
static void run_line(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");

	ck_assert_ptr_nonnull(p);
	out[0] = '\0';
	ck_assert_ptr_nonnull(fgets(out, (int)cap, p));
	ck_assert_int_eq(pclose(p), 0);
	out[strcspn(out, "\r\n")] = '\0';
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (n < cap && isxdigit((unsigned char)hex[2 * n]) &&
	       sscanf(hex + 2 * n, "%2hhx", &out[n]) == 1)
		n++;
	return n;
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* RFC 7401 5.2.9 + RFC 3110 section 2: RSA HI = e_len (1 octet) | e | n. The modulus is
 * compared with what `openssl rsa -modulus` reads from the saved key file. */
START_TEST(rsa_hi_is_rfc3110_exponent_length_exponent_and_modulus)
{
	char path[128], cmd[256], line[2048];
	uint8_t n[1024];
	size_t nlen;

	path_in_tmp(path, sizeof(path), "rsa.pem");
	ck_assert_int_eq(hostid_save(rsa, path), 0);
	snprintf(cmd, sizeof(cmd), "openssl rsa -in '%s' -noout -modulus", path);
	run_line(cmd, line, sizeof(line));
	ck_assert_int_eq(strncmp(line, "Modulus=", 8), 0);
	nlen = unhex(line + 8, n, sizeof(n));
	ck_assert_uint_eq(nlen, 384); /* default 3072 bits */
	ck_assert_uint_eq(rsa->algorithm, 5);
	ck_assert_uint_eq(rsa->suite, 1);
	ck_assert_uint_eq(rsa->hi_len, 4 + nlen);
	const uint8_t e65537[] = {0x03, 0x01, 0x00, 0x01};

	ck_assert_mem_eq(rsa->hi, e65537, 4);
	ck_assert_mem_eq(rsa->hi + 4, n, nlen);
}
END_TEST

/* RFC 7401 5.2.9: ECDSA HI = ECC Curve (1: P-256, 2: P-384) | public key octet string
 * (uncompressed point). The point is the tail of the SubjectPublicKeyInfo that
 * `openssl pkey -pubout` writes for the saved key. */
START_TEST(ecdsa_hi_is_curve_id_and_uncompressed_point)
{
	struct hostid *ids[] = {p256, p384};
	const size_t point_len[] = {65, 97};

	for (int k = 0; k < 2; k++) {
		char path[128], der[128], cmd[512];
		uint8_t spki[256];
		size_t n;

		path_in_tmp(path, sizeof(path), "ec.pem");
		path_in_tmp(der, sizeof(der), "ec.der");
		ck_assert_int_eq(hostid_save(ids[k], path), 0);
		snprintf(cmd, sizeof(cmd), "openssl pkey -in '%s' -pubout -outform DER -out '%s'",
			 path, der);
		ck_assert_int_eq(system(cmd), 0);
		n = read_file(der, spki, sizeof(spki));
		ck_assert_uint_gt(n, point_len[k]);
		ck_assert_uint_eq(ids[k]->algorithm, 7);
		ck_assert_uint_eq(ids[k]->suite, 2);
		ck_assert_uint_eq(ids[k]->hi_len, 2 + point_len[k]);
		ck_assert_uint_eq(ids[k]->hi[0], 0);
		ck_assert_uint_eq(ids[k]->hi[1], k + 1);
		ck_assert_uint_eq(ids[k]->hi[2], 0x04);
		ck_assert_mem_eq(ids[k]->hi + 2, spki + n - point_len[k], point_len[k]);
	}
}
END_TEST

/* RFC 7401 3.2: the HIT of each identity is the ORCHID of its HI under its suite's hash
 * (SHA-256 for RSA, SHA-384 for ECDSA), checked with `openssl dgst`. */
START_TEST(hit_of_each_identity_is_orchid_of_its_hi)
{
	static const uint8_t ctx_id[16] = {0xF0, 0xEF, 0xF0, 0x2F, 0xBF, 0xF4, 0x3D, 0x0F,
					   0xE7, 0x93, 0x0C, 0x3C, 0x6E, 0x61, 0x74, 0xEA};

	for (int k = 0; k < 3; k++) {
		struct hostid *id = key_of(k);
		char path[128], cmd[256], line[256];
		uint8_t buf[16 + HOSTID_HI_MAX], d[64];
		size_t dlen;

		memcpy(buf, ctx_id, 16);
		memcpy(buf + 16, id->hi, id->hi_len);
		path_in_tmp(path, sizeof(path), "hashin");
		write_file(path, buf, 16 + id->hi_len);
		snprintf(cmd, sizeof(cmd), "openssl dgst -%s -r '%s'",
			 id->suite == 1 ? "sha256" : "sha384", path);
		run_line(cmd, line, sizeof(line));
		dlen = unhex(line, d, sizeof(d));
		ck_assert_uint_eq(dlen, id->suite == 1 ? 32 : 48);
		ck_assert(hit_is_orchid(&id->hit));
		ck_assert_uint_eq(hit_oga_id(&id->hit), id->suite);
		ck_assert_mem_eq(&id->hit.s6_addr[4], d + (dlen - 12) / 2, 12);
	}
}
END_TEST

/* RFC 7401 5.2.14: every kind signs and verifies; ECDSA signatures are r | s, fixed width. */
START_TEST(signatures_round_trip_for_every_kind)
{
	const uint8_t msg[] = "HIP packet up to HIP_SIGNATURE";
	const size_t want_len[] = {384, 64, 96};

	for (int k = 0; k < 3; k++) {
		uint8_t sig[HOSTID_SIG_MAX];
		size_t len = 0;

		ck_assert_int_eq(hostid_sign(key_of(k), msg, sizeof(msg), sig, sizeof(sig), &len),
				 0);
		ck_assert_uint_eq(len, want_len[k]);
		ck_assert_uint_eq(hostid_sig_algorithm(key_of(k)), k == 0 ? 5 : 7);
		ck_assert_int_eq(hostid_verify(key_of(k), msg, sizeof(msg), sig, len), 0);
	}
}
END_TEST

START_TEST(altered_signature_or_data_is_rejected)
{
	uint8_t msg[] = "HIP packet up to HIP_SIGNATURE";

	for (int k = 0; k < 3; k++) {
		struct hostid *id = key_of(k);
		uint8_t sig[HOSTID_SIG_MAX];
		size_t len = 0;

		ck_assert_int_eq(hostid_sign(id, msg, sizeof(msg), sig, sizeof(sig), &len), 0);
		sig[len / 2] ^= 0x01;
		ck_assert_int_eq(hostid_verify(id, msg, sizeof(msg), sig, len), -EBADMSG);
		sig[len / 2] ^= 0x01;
		ck_assert_int_eq(hostid_verify(id, msg, sizeof(msg), sig, len - 1), -EBADMSG);
		ck_assert_int_eq(hostid_verify(id, msg, sizeof(msg), sig, 0), -EBADMSG);
		msg[3] ^= 0x80;
		ck_assert_int_eq(hostid_verify(id, msg, sizeof(msg), sig, len), -EBADMSG);
		msg[3] ^= 0x80;
		ck_assert_int_eq(hostid_verify(id, msg, sizeof(msg), sig, len), 0);
	}
}
END_TEST

START_TEST(signature_of_another_key_is_rejected)
{
	const uint8_t msg[] = "R1";
	struct hostid *other;
	uint8_t sig[HOSTID_SIG_MAX];
	size_t len = 0;

	ck_assert_int_eq(hostid_generate(HOSTID_ECDSA_P256, 0, &other), 0);
	ck_assert_int_eq(hostid_sign(other, msg, sizeof(msg), sig, sizeof(sig), &len), 0);
	ck_assert_int_eq(hostid_verify(p256, msg, sizeof(msg), sig, len), -EBADMSG);
	ck_assert_int_eq(hostid_verify(other, msg, sizeof(msg), sig, len), 0);
	hostid_free(other);
}
END_TEST

START_TEST(sign_reports_short_buffer)
{
	uint8_t sig[HOSTID_SIG_MAX];
	size_t len = 0;

	ck_assert_int_eq(hostid_sign(rsa, (const uint8_t *)"x", 1, sig, 383, &len), -ENOBUFS);
	ck_assert_int_eq(hostid_sign(p384, (const uint8_t *)"x", 1, sig, 95, &len), -ENOBUFS);
}
END_TEST

/* Minimal DER INTEGER for the openssl CLI: no leading zeros, 0x00 before a high bit. */
static size_t der_int(const uint8_t *v, size_t n, uint8_t *out)
{
	size_t skip = 0, len;

	while (skip < n - 1 && v[skip] == 0)
		skip++;
	len = n - skip + (v[skip] & 0x80 ? 1 : 0);
	out[0] = 0x02;
	out[1] = (uint8_t)len;
	out[2] = 0;
	memcpy(out + 2 + len - (n - skip), v + skip, n - skip);
	return 2 + len;
}

/* RFC 7401 5.2.14: the openssl CLI verifies our signatures independently: RSASSA-PSS with
 * SHA-256, and ECDSA with SHA-384 once r | s is wrapped in DER. */
START_TEST(openssl_cli_verifies_our_signatures)
{
	for (int k = 0; k < 3; k++) {
		struct hostid *id = key_of(k);
		char key[128], data[128], sigf[128], cmd[768], line[128];
		const uint8_t msg[] = "signed part of an R1";
		uint8_t sig[HOSTID_SIG_MAX], der[128];
		size_t len = 0, dl;

		path_in_tmp(key, sizeof(key), "sigkey.pem");
		path_in_tmp(data, sizeof(data), "sigdata");
		path_in_tmp(sigf, sizeof(sigf), "sig");
		ck_assert_int_eq(hostid_save(id, key), 0);
		write_file(data, msg, sizeof(msg));
		ck_assert_int_eq(hostid_sign(id, msg, sizeof(msg), sig, sizeof(sig), &len), 0);
		if (k == 0) {
			write_file(sigf, sig, len);
			snprintf(cmd, sizeof(cmd),
				 "openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt "
				 "rsa_pss_saltlen:-1 -prverify '%s' -signature '%s' '%s'",
				 key, sigf, data);
		} else {
			dl = der_int(sig, len / 2, der + 2);
			dl += der_int(sig + len / 2, len / 2, der + 2 + dl);
			der[0] = 0x30;
			der[1] = (uint8_t)dl;
			write_file(sigf, der, dl + 2);
			snprintf(cmd, sizeof(cmd),
				 "openssl dgst -sha384 -prverify '%s' -signature '%s' '%s'", key,
				 sigf, data);
		}
		run_line(cmd, line, sizeof(line));
		ck_assert_str_eq(line, "Verified OK");
	}
}
END_TEST

/* Keys are written mode 0600 (atomically: no temp file is left) and load back as the same
 * identity, able to sign. */
START_TEST(saved_key_is_mode_0600_and_loads_as_same_identity)
{
	for (int k = 0; k < 3; k++) {
		struct hostid *id = key_of(k), *back = NULL;
		char path[128], cmd[256], line[64];
		struct stat st;
		uint8_t sig[HOSTID_SIG_MAX];
		size_t len = 0;

		path_in_tmp(path, sizeof(path), "saved.pem");
		write_file(path, "old", 3);
		chmod(path, 0644);
		ck_assert_int_eq(hostid_save(id, path), 0);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, 0600);
		snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c tmp || true", tmpdir);
		run_line(cmd, line, sizeof(line));
		ck_assert_str_eq(line, "0");
		ck_assert_int_eq(hostid_load(path, &back), 0);
		ck_assert(back->has_private);
		ck_assert_int_eq(back->kind, id->kind);
		ck_assert_int_eq(hit_cmp(&back->hit, &id->hit), 0);
		ck_assert_mem_eq(back->hi, id->hi, id->hi_len);
		ck_assert_int_eq(hostid_sign(back, (const uint8_t *)"m", 1, sig, sizeof(sig), &len),
				 0);
		ck_assert_int_eq(hostid_verify(id, (const uint8_t *)"m", 1, sig, len), 0);
		hostid_free(back);
	}
}
END_TEST

START_TEST(load_refuses_key_file_readable_by_group_or_others)
{
	struct hostid *back = NULL;
	char path[128];

	path_in_tmp(path, sizeof(path), "open.pem");
	ck_assert_int_eq(hostid_save(p256, path), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(hostid_load(path, &back), -EACCES);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(hostid_load(path, &back), -EACCES);
	ck_assert_int_eq(chmod(path, 0604), 0);
	ck_assert_int_eq(hostid_load(path, &back), -EACCES);
	ck_assert_ptr_null(back);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(hostid_load(path, &back), 0);
	hostid_free(back);
}
END_TEST

START_TEST(load_rejects_missing_or_non_key_file)
{
	struct hostid *back = NULL;
	char path[128];

	path_in_tmp(path, sizeof(path), "absent.pem");
	ck_assert_int_eq(hostid_load(path, &back), -ENOENT);
	path_in_tmp(path, sizeof(path), "junk.pem");
	write_file(path, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 58);
	chmod(path, 0600);
	ck_assert_int_eq(hostid_load(path, &back), -EINVAL);
	ck_assert_ptr_null(back);
}
END_TEST

START_TEST(public_identity_cannot_be_saved_or_sign)
{
	struct hostid *pub = NULL;
	uint8_t sig[HOSTID_SIG_MAX];
	size_t len;
	char path[128];

	ck_assert_int_eq(hostid_from_hi(7, p384->hi, p384->hi_len, &pub), 0);
	path_in_tmp(path, sizeof(path), "pub.pem");
	ck_assert_int_eq(hostid_save(pub, path), -EINVAL);
	ck_assert_int_eq(hostid_sign(pub, (const uint8_t *)"m", 1, sig, sizeof(sig), &len),
			 -EINVAL);
	hostid_free(pub);
}
END_TEST

/* RFC 7401 5.2.9: a peer's HI gives back the same HIT and verifies its signatures. */
START_TEST(peer_identity_from_hi_has_same_hit_and_verifies)
{
	for (int k = 0; k < 3; k++) {
		struct hostid *id = key_of(k), *peer = NULL;
		uint8_t sig[HOSTID_SIG_MAX];
		size_t len = 0;

		ck_assert_int_eq(hostid_from_hi(id->algorithm, id->hi, id->hi_len, &peer), 0);
		ck_assert(!peer->has_private);
		ck_assert_int_eq(peer->kind, id->kind);
		ck_assert_uint_eq(peer->suite, id->suite);
		ck_assert_int_eq(hit_cmp(&peer->hit, &id->hit), 0);
		ck_assert_int_eq(hostid_sign(id, (const uint8_t *)"I2", 2, sig, sizeof(sig), &len),
				 0);
		ck_assert_int_eq(hostid_verify(peer, (const uint8_t *)"I2", 2, sig, len), 0);
		hostid_free(peer);
	}
}
END_TEST

/* A truncated HI never yields the original identity: ECDSA and short RSA HIs are rejected;
 * a shorter RSA modulus, if still well-formed, is another key with another HIT. */
START_TEST(truncated_hi_is_rejected_or_is_another_identity)
{
	for (int k = 0; k < 3; k++) {
		struct hostid *id = key_of(k), *peer;

		for (size_t n = 0; n < id->hi_len; n++) {
			int err = hostid_from_hi(id->algorithm, id->hi, n, &peer);

			if (err) {
				ck_assert(err == -EBADMSG || err == -EINVAL);
				ck_assert_ptr_null(peer);
				continue;
			}
			ck_assert_int_eq(k, 0);
			ck_assert_uint_ge(n, 4 + 256);
			ck_assert_int_ne(hit_cmp(&peer->hit, &id->hit), 0);
			hostid_free(peer);
		}
	}
}
END_TEST

START_TEST(oversized_hi_is_rejected)
{
	uint8_t big[HOSTID_HI_MAX + 8];
	struct hostid *peer;

	for (int k = 1; k < 3; k++) {
		struct hostid *id = key_of(k);

		memcpy(big, id->hi, id->hi_len);
		big[id->hi_len] = 0;
		ck_assert_int_eq(hostid_from_hi(7, big, id->hi_len + 1, &peer), -EBADMSG);
	}
	memset(big, 0x5a, sizeof(big));
	ck_assert_int_eq(hostid_from_hi(5, big, sizeof(big), &peer), -EBADMSG);
	ck_assert_int_eq(hostid_from_hi(7, big, sizeof(big), &peer), -EBADMSG);
	ck_assert_ptr_null(peer);
}
END_TEST

static int from_copy(uint16_t alg, const struct hostid *id, size_t at, uint8_t val)
{
	uint8_t hi[HOSTID_HI_MAX];
	struct hostid *peer = NULL;
	int err;

	memcpy(hi, id->hi, id->hi_len);
	hi[at] = val;
	err = hostid_from_hi(alg, hi, id->hi_len, &peer);
	hostid_free(peer);
	return err;
}

/* RFC 7401 5.2.9: curves 1 and 2 only; the key must be an uncompressed point on that curve. */
START_TEST(ecdsa_hi_with_bad_curve_or_point_is_rejected)
{
	ck_assert_int_eq(from_copy(7, p256, 1, 0), -EBADMSG);	 /* reserved curve */
	ck_assert_int_eq(from_copy(7, p256, 1, 3), -EBADMSG);	 /* unknown curve */
	ck_assert_int_eq(from_copy(7, p256, 1, 2), -EBADMSG);	 /* P-384 id, P-256 size */
	ck_assert_int_eq(from_copy(7, p256, 2, 0x02), -EBADMSG); /* compressed prefix */
	ck_assert_int_eq(from_copy(7, p256, 2, 0x00), -EBADMSG); /* infinity prefix */
	ck_assert_int_eq(from_copy(7, p256, 66, p256->hi[66] ^ 1), -EBADMSG); /* off the curve */
	ck_assert_int_eq(from_copy(7, p384, 98, p384->hi[98] ^ 1), -EBADMSG);
	ck_assert_int_eq(from_copy(5, p256, 0, 0), -EBADMSG); /* an ECDSA HI is no RSA HI */
}
END_TEST

static int from_bytes(uint16_t alg, const uint8_t *hi, size_t len)
{
	struct hostid *peer = NULL;
	int err = hostid_from_hi(alg, hi, len, &peer);

	hostid_free(peer);
	return err;
}

/* RFC 3110 section 2: exponent length in one octet, or zero then two octets when over 255;
 * no leading zero octets in e or n. */
START_TEST(rsa_hi_with_bad_exponent_or_modulus_encoding_is_rejected)
{
	uint8_t hi[HOSTID_HI_MAX];
	size_t nlen = rsa->hi_len - 4;
	const uint8_t *n = rsa->hi + 4;

	/* the same key with the 3-octet length form for a 3-byte e: not canonical */
	hi[0] = 0, hi[1] = 0, hi[2] = 3, hi[3] = 1, hi[4] = 0, hi[5] = 1;
	memcpy(hi + 6, n, nlen);
	ck_assert_int_eq(from_bytes(5, hi, 6 + nlen), -EBADMSG);
	/* exponent with a leading zero octet */
	hi[0] = 4, hi[1] = 0, hi[2] = 1, hi[3] = 0, hi[4] = 1;
	memcpy(hi + 5, n, nlen);
	ck_assert_int_eq(from_bytes(5, hi, 5 + nlen), -EBADMSG);
	/* modulus with a leading zero octet */
	memcpy(hi, rsa->hi, 4);
	hi[4] = 0;
	memcpy(hi + 5, n, nlen);
	ck_assert_int_eq(from_bytes(5, hi, 5 + nlen), -EBADMSG);
	/* exponent length past the end */
	hi[0] = 0xff;
	ck_assert_int_eq(from_bytes(5, hi, 100), -EBADMSG);
	/* e = 1, e even, n even */
	ck_assert_int_eq(from_copy(5, rsa, 1, 0x00), -EBADMSG); /* leading zero e */
	ck_assert_int_eq(from_copy(5, rsa, 3, 0x02), -EBADMSG); /* even e */
	ck_assert_int_eq(from_copy(5, rsa, rsa->hi_len - 1, rsa->hi[rsa->hi_len - 1] & 0xfe),
			 -EBADMSG);
	hi[0] = 1, hi[1] = 1;
	memcpy(hi + 2, n, nlen);
	ck_assert_int_eq(from_bytes(5, hi, 2 + nlen), -EBADMSG);
	/* zero-length exponent in the 3-octet form */
	hi[0] = 0, hi[1] = 0, hi[2] = 0;
	ck_assert_int_eq(from_bytes(5, hi, 3), -EBADMSG);
	/* modulus too short for the policy (< 2048 bits) */
	ck_assert_int_eq(from_bytes(5, rsa->hi, 4 + 255), -EBADMSG);
}
END_TEST

START_TEST(unknown_algorithm_and_bad_arguments_are_rejected)
{
	struct hostid *peer = NULL;

	ck_assert_int_eq(hostid_from_hi(3, p256->hi, p256->hi_len, &peer), -EOPNOTSUPP);
	ck_assert_int_eq(hostid_from_hi(9, p256->hi, p256->hi_len, &peer), -EOPNOTSUPP);
	ck_assert_int_eq(hostid_from_hi(7, p256->hi, 0, &peer), -EBADMSG);
	ck_assert_int_eq(hostid_from_hi(7, NULL, 5, &peer), -EINVAL);
	ck_assert_int_eq(hostid_from_hi(7, p256->hi, p256->hi_len, NULL), -EINVAL);
	ck_assert_ptr_null(peer);
}
END_TEST

/* Untrusted bytes never crash the parser; what it accepts re-encodes to the same bytes. */
START_TEST(garbage_hi_never_crashes_and_accepted_hi_is_canonical)
{
	uint8_t hi[600];
	unsigned int seed = 7;

	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(hi));
		uint16_t alg = round % 2 ? 7 : 5;
		struct hostid *peer = NULL;

		for (size_t n = 0; n < len; n++)
			hi[n] = (uint8_t)rand_r(&seed);
		if (alg == 7 && len > 2)
			hi[0] = 0, hi[1] = (uint8_t)(1 + round % 2);
		if (hostid_from_hi(alg, hi, len, &peer) == 0) {
			ck_assert_uint_eq(peer->hi_len, len);
			ck_assert_mem_eq(peer->hi, hi, len);
		}
		hostid_free(peer);
	}
}
END_TEST

/* The fuzz seeds in tests/fuzz/corpus/hostid were made outside our code: e | n from
 * `openssl rsa -noout -modulus` and the point from `openssl pkey -pubout -outform DER` of keys
 * made by `openssl genpkey` (first byte: 0 = RSA, 1 = ECDSA). Valid ones parse, bad-* do not. */
START_TEST(hi_of_keys_made_by_openssl_cli_parse_and_broken_seeds_do_not)
{
	static const char *const good[] = {"rsa2048", "rsa3072", "ecdsa-p256", "ecdsa-p384"};
	static const char *const bad[] = {"bad-rsa-3octet-elen",   "bad-rsa-truncated",
					  "bad-rsa-elen-past-end", "bad-ecdsa-curve0",
					  "bad-ecdsa-compressed",  "bad-ecdsa-off-curve",
					  "bad-ecdsa-truncated",   "empty-rsa"};
	uint8_t buf[1 + HOSTID_HI_MAX];
	char path[512];

	for (size_t n = 0; n < 8; n++) {
		bool ok = n < 4;
		const char *name = ok ? good[n] : bad[n - 4];
		struct hostid *peer = NULL;
		size_t len;

		snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/hostid/%s", TOP_SRCDIR, name);
		len = read_file(path, buf, sizeof(buf));
		ck_assert_uint_ge(len, 1);
		int err = hostid_from_hi(buf[0] ? 7 : 5, buf + 1, len - 1, &peer);

		if (ok) {
			ck_assert_msg(err == 0, "%s: %d", name, err);
			ck_assert_uint_eq(peer->suite, buf[0] ? 2 : 1);
		} else {
			ck_assert_msg(err == -EBADMSG, "%s: %d", name, err);
		}
		hostid_free(peer);
	}
}
END_TEST

START_TEST(kind_names_parse_and_rsa_size_is_bounded)
{
	enum hostid_kind kind;
	struct hostid *id = NULL;

	ck_assert_int_eq(hostid_kind_parse("rsa", &kind), 0);
	ck_assert_int_eq(kind, HOSTID_RSA);
	ck_assert_int_eq(hostid_kind_parse("ecdsa-p256", &kind), 0);
	ck_assert_int_eq(kind, HOSTID_ECDSA_P256);
	ck_assert_int_eq(hostid_kind_parse("ecdsa-p384", &kind), 0);
	ck_assert_int_eq(kind, HOSTID_ECDSA_P384);
	ck_assert_int_eq(hostid_kind_parse("dsa", &kind), -EINVAL);
	ck_assert_str_eq(hostid_kind_name(HOSTID_ECDSA_P384), "ecdsa-p384");
	ck_assert_int_eq(hostid_generate(HOSTID_RSA, 1024, &id), -EINVAL);
	ck_assert_ptr_null(id);
}
END_TEST

static Suite *hostid_suite(void)
{
	Suite *s = suite_create("hostid");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, make_keys, free_keys);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rsa_hi_is_rfc3110_exponent_length_exponent_and_modulus);
	tcase_add_test(tc, ecdsa_hi_is_curve_id_and_uncompressed_point);
	tcase_add_test(tc, hit_of_each_identity_is_orchid_of_its_hi);
	tcase_add_test(tc, signatures_round_trip_for_every_kind);
	tcase_add_test(tc, altered_signature_or_data_is_rejected);
	tcase_add_test(tc, signature_of_another_key_is_rejected);
	tcase_add_test(tc, sign_reports_short_buffer);
	tcase_add_test(tc, openssl_cli_verifies_our_signatures);
	tcase_add_test(tc, saved_key_is_mode_0600_and_loads_as_same_identity);
	tcase_add_test(tc, load_refuses_key_file_readable_by_group_or_others);
	tcase_add_test(tc, load_rejects_missing_or_non_key_file);
	tcase_add_test(tc, public_identity_cannot_be_saved_or_sign);
	tcase_add_test(tc, peer_identity_from_hi_has_same_hit_and_verifies);
	tcase_add_test(tc, truncated_hi_is_rejected_or_is_another_identity);
	tcase_add_test(tc, oversized_hi_is_rejected);
	tcase_add_test(tc, ecdsa_hi_with_bad_curve_or_point_is_rejected);
	tcase_add_test(tc, rsa_hi_with_bad_exponent_or_modulus_encoding_is_rejected);
	tcase_add_test(tc, unknown_algorithm_and_bad_arguments_are_rejected);
	tcase_add_test(tc, garbage_hi_never_crashes_and_accepted_hi_is_canonical);
	tcase_add_test(tc, hi_of_keys_made_by_openssl_cli_parse_and_broken_seeds_do_not);
	tcase_add_test(tc, kind_names_parse_and_rsa_size_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hostid_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
