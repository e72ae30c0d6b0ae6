/* ESP (RFC 4303) for the userspace data plane: one security association per
 * direction with the ESP_TRANSFORM suites of RFC 7402, packet encapsulation
 * and checked decapsulation with an anti-replay window. BEET header handling
 * (inner HITs/LSIs, outer locators) and SA lookup by SPI are the caller's. */
#ifndef HIPSIP_ESP_H
#define HIPSIP_ESP_H

#include <stddef.h>
#include <stdint.h>

#define ESP_REPLAY_BITS	 1024 /* anti-replay window, RFC 4303 3.4.3 (at least 64) */
#define ESP_HDR_LEN	 8    /* SPI + sequence number */
#define ESP_MAX_OVERHEAD (ESP_HDR_LEN + 16 + 15 + 2 + 16) /* IV, pad, trailer, ICV */

struct esp_replay {
	uint32_t top; /* highest sequence number accepted; 0 = none yet */
	uint64_t bits[ESP_REPLAY_BITS / 64];
};

/* 0: seq is new and inside the window; -EEXIST: seen; -ERANGE: behind the window;
 * -EINVAL: 0, which a sender never uses. Does not record seq. */
int esp_replay_check(const struct esp_replay *r, uint32_t seq);
/* Records seq; call only after the packet's integrity was verified. */
void esp_replay_update(struct esp_replay *r, uint32_t seq);

struct esp_counters {
	uint64_t packets, bytes; /* accepted (in) or sent (out) */
	uint64_t auth_failed, replayed, malformed;
};

struct evp_cipher_ctx_st;
struct evp_mac_ctx_st;

struct esp_sa {
	uint32_t spi;
	uint16_t suite;
	int outbound;
	struct evp_cipher_ctx_st *cipher; /* keyed once, reused per packet */
	struct evp_mac_ctx_st *mac;	  /* HMAC-SHA-256, keyed once; NULL for GCM */
	uint8_t salt[4];		  /* GCM: the last 4 bytes of the key material */
	size_t iv_len, icv_len, block;
	uint32_t seq;		  /* last sent (outbound) */
	struct esp_replay replay; /* inbound */
	struct esp_counters c;
};

/* Keys as drawn by keys_derive() (enc_len/auth_len from keys_esp_suite_lens).
 * Returns 0, -ENOTSUP for a suite we do not run, -EINVAL, -ENOMEM. */
int esp_sa_init(struct esp_sa *sa, uint32_t spi, uint16_t suite, int outbound,
		const uint8_t *enc_key, size_t enc_len, const uint8_t *auth_key, size_t auth_len);
void esp_sa_free(struct esp_sa *sa);

/* Wraps payload (the inner transport header and data; BEET carries no inner IP
 * header) as SPI|seq|IV|ciphertext(payload|pad|pad len|next header)|ICV into
 * out. Returns 0, -ENOSPC if cap is too small, -EOVERFLOW when the sequence
 * numbers are used up (rekey first), -EIO on a crypto failure. */
int esp_encap(struct esp_sa *sa, uint8_t next_header, const uint8_t *payload, size_t len,
	      uint8_t *out, size_t cap, size_t *out_len);

/* The SPI of a received packet, to find its SA. 0 or -EBADMSG. */
int esp_peek_spi(const uint8_t *pkt, size_t len, uint32_t *spi);

/* Checks and unwraps a packet for sa: replay window, then integrity, then
 * decryption and the trailer; only then is the sequence number recorded.
 * Returns 0 with the payload in out, or -EBADMSG (malformed), -EEXIST/-ERANGE
 * (replayed), -EBADE (integrity), -ENOSPC; each counted in sa->c. */
int esp_decap(struct esp_sa *sa, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
	      size_t *out_len, uint8_t *next_header);

#endif
