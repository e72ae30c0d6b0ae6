/* Host identities: key pairs, their HI wire encoding (RFC 7401 5.2.9), HITs,
 * PEM storage (0600), signing and verifying. Not DH or HIP session crypto. */
#ifndef HIPSIP_HOSTID_H
#define HIPSIP_HOSTID_H

#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOSTID_HI_MAX  1024
#define HOSTID_SIG_MAX 512

enum hostid_kind {
	HOSTID_RSA,	   /* bits from hostid_generate; HIT suite 1, algorithm 5 */
	HOSTID_ECDSA_P256, /* HIT suite 2, algorithm 7, curve 1 */
	HOSTID_ECDSA_P384, /* HIT suite 2, algorithm 7, curve 2 */
};

struct hostid {
	EVP_PKEY *pkey;
	enum hostid_kind kind;
	uint16_t algorithm; /* HI algorithm, RFC 7401 5.2.9 */
	uint8_t suite;	    /* HIT suite ID (4-bit value) */
	uint8_t hi[HOSTID_HI_MAX];
	size_t hi_len; /* the Host Identity field of HOST_ID */
	struct in6_addr hit;
	bool has_private;
};

/* "rsa", "ecdsa-p256", "ecdsa-p384" */
int hostid_kind_parse(const char *s, enum hostid_kind *kind);
const char *hostid_kind_name(enum hostid_kind kind);

/* rsa_bits is used for HOSTID_RSA only (0 = 3072). */
int hostid_generate(enum hostid_kind kind, int rsa_bits, struct hostid **out);
/* Loads a private key (PEM PKCS#8); refuses a file readable by group/others. */
int hostid_load(const char *path, struct hostid **out);
/* A private key from PEM text in memory (a key hipconf sent); who names it in log messages.
 * The caller wipes pem. Same key types and sizes as hostid_load. */
int hostid_from_pem(const char *who, const char *pem, size_t len, struct hostid **out);
/* Writes the private key as PEM, mode 0600, atomically (temp file + rename). */
int hostid_save(const struct hostid *id, const char *path);
/* A peer's public identity from the HOST_ID algorithm and HI field. Only the canonical
 * encoding is accepted (RSA: e of at most 8 bytes, n of 2048 bits or more; ECDSA: curve 1
 * or 2 and an uncompressed point 0x04 | x | y on it). -EBADMSG for a malformed HI,
 * -EOPNOTSUPP for an algorithm other than 5 (RSA) and 7 (ECDSA). */
int hostid_from_hi(uint16_t algorithm, const uint8_t *hi, size_t hi_len, struct hostid **out);
void hostid_free(struct hostid *id);

/* The signature algorithm value for HIP_SIGNATURE (same as the HI algorithm). */
uint16_t hostid_sig_algorithm(const struct hostid *id);
/* RSA: RSASSA-PSS with SHA-256; ECDSA: the suite's hash, signature as r|s
 * fixed-width (RFC 7401 5.2.14/RFC 4754). */
int hostid_sign(const struct hostid *id, const uint8_t *data, size_t len, uint8_t *sig, size_t cap,
		size_t *sig_len);
/* 0 if valid, -EBADMSG if the signature does not verify. */
int hostid_verify(const struct hostid *id, const uint8_t *data, size_t len, const uint8_t *sig,
		  size_t sig_len);

#endif
