/* HIP session cryptography: RHASH/HMAC per HIT suite, Diffie-Hellman groups,
 * KEYMAT (RFC 7401 6.5), puzzles (RFC 7401 4.1.2), HIP_CIPHER. All via OpenSSL EVP. */
#ifndef HIPSIP_HIPCRYPTO_H
#define HIPSIP_HIPCRYPTO_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- RHASH and HMAC: the hash of a HIT suite (1: SHA-256, 2: SHA-384, 3: SHA-1) ---- */
size_t hip_rhash_len(uint8_t suite); /* 0 for an unknown suite */
int hip_rhash(uint8_t suite, const void *data, size_t len, uint8_t *out);
int hip_hmac(uint8_t suite, const uint8_t *key, size_t key_len, const void *data, size_t len,
	     uint8_t *out, size_t *out_len);
/* The OpenSSL digest name of a suite's RHASH ("SHA256", "SHA384", "SHA1"); NULL if unknown. */
const char *hip_rhash_md_name(uint8_t suite);

/* ---- Diffie-Hellman (groups of RFC 7401 5.2.7) ---- */
struct hip_dh;
bool hip_dh_supported(uint8_t group);
size_t hip_dh_public_len(uint8_t group); /* wire length of the public value */
int hip_dh_generate(uint8_t group, struct hip_dh **out);
uint8_t hip_dh_group(const struct hip_dh *dh);
int hip_dh_public(const struct hip_dh *dh, uint8_t *buf, size_t cap, size_t *len);
/* The shared secret Kij: for ECDH the x coordinate, for MODP the full-width value. */
int hip_dh_derive(const struct hip_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *secret,
		  size_t cap, size_t *len);
void hip_dh_free(struct hip_dh *dh);

/* ---- KEYMAT, RFC 7401 section 6.5 ---- */
/* Fills out[0..out_len) with KEYMAT from Kij, the two HITs (sorted inside), and
 * the puzzle's I and J (each ij_len bytes). suite: the Responder's HIT suite (its RHASH).
 * KEYMAT = HKDF (RFC 5869) with IKM Kij, salt I | J, info sort(HIT-I | HIT-R). */
int hip_keymat(uint8_t suite, const uint8_t *kij, size_t kij_len, const struct in6_addr *hit_i,
	       const struct in6_addr *hit_r, const uint8_t *i, const uint8_t *j, size_t ij_len,
	       uint8_t *out, size_t out_len);

/* ---- Puzzle, RFC 7401 section 4.1.2 ---- */
/* Searches J so that the lowest k bits of RHASH(I | HIT-I | HIT-R | J) are zero.
 * Returns -ETIMEDOUT after max_tries attempts. i and j are rhash_len bytes.
 * J starts at a random value and counts up; max_tries 0 tries nothing (-ETIMEDOUT);
 * k above 8 * rhash_len is -EINVAL. */
int hip_puzzle_solve(uint8_t suite, uint8_t k, const uint8_t *i, const struct in6_addr *hit_i,
		     const struct in6_addr *hit_r, uint8_t *j, uint64_t max_tries);
/* 0 if J solves the puzzle, -EBADMSG otherwise. */
int hip_puzzle_verify(uint8_t suite, uint8_t k, const uint8_t *i, const uint8_t *j,
		      const struct in6_addr *hit_i, const struct in6_addr *hit_r);

/* ---- HIP_CIPHER for the ENCRYPTED parameter, RFC 7401 5.2.8 and 5.2.18 ---- */
bool hip_cipher_supported(uint16_t id);
size_t hip_cipher_key_len(uint16_t id); /* 0 for NULL */
size_t hip_cipher_iv_len(uint16_t id);	/* 0 for NULL */
/* out receives IV | ciphertext (IV random), padded as the cipher needs. */
int hip_cipher_encrypt(uint16_t id, const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out,
		       size_t cap, size_t *out_len);
/* in is IV | ciphertext; out receives the plaintext with padding removed.
 * cap must be at least len - iv_len (-ENOBUFS otherwise); a short, misaligned or badly
 * padded input (e.g. a wrong key) is -EBADMSG. */
int hip_cipher_decrypt(uint16_t id, const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out,
		       size_t cap, size_t *out_len);

#endif
