/* ESP encapsulation and decapsulation (RFC 4303) with the RFC 7402 suites:
 * AES-CBC with HMAC-SHA-256-128 (RFC 3602, 4868), NULL with HMAC-SHA-256-128,
 * AES-GCM with an 8- or 16-octet ICV (RFC 4106). OpenSSL EVP only. */
#include "hipd/esp/esp.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "common/cursor.h"
#include "hipd/wire/hip_proto.h"

#define HMAC_ICV 16 /* HMAC-SHA-256-128, RFC 4868 2.6 */
#define GCM_IV	 8  /* explicit IV, RFC 4106 3.1 */

static int is_gcm(uint16_t suite)
{
	return suite == HIP_ESP_AES_GCM_8 || suite == HIP_ESP_AES_GCM_16;
}

static const EVP_CIPHER *suite_cipher(uint16_t suite, size_t enc_len)
{
	switch (suite) {
	case HIP_ESP_AES128_CBC_SHA256:
		return enc_len == 16 ? EVP_aes_128_cbc() : NULL;
	case HIP_ESP_AES256_CBC_SHA256:
		return enc_len == 32 ? EVP_aes_256_cbc() : NULL;
	case HIP_ESP_AES_GCM_8:
	case HIP_ESP_AES_GCM_16:
		return enc_len == 20 ? EVP_aes_128_gcm() : NULL;
	default:
		return NULL;
	}
}

static int suite_known(uint16_t suite)
{
	return suite == HIP_ESP_AES128_CBC_SHA256 || suite == HIP_ESP_AES256_CBC_SHA256 ||
	       suite == HIP_ESP_NULL_SHA256 || is_gcm(suite);
}

static int init_mac(struct esp_sa *sa, const uint8_t *key, size_t len)
{
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};

	if (!hmac)
		return -ENOMEM;
	sa->mac = EVP_MAC_CTX_new(hmac);
	EVP_MAC_free(hmac);
	if (!sa->mac)
		return -ENOMEM;
	return EVP_MAC_init(sa->mac, key, len, params) == 1 ? 0 : -EINVAL;
}

static int init_cipher(struct esp_sa *sa, const EVP_CIPHER *c, const uint8_t *key)
{
	sa->cipher = EVP_CIPHER_CTX_new();
	if (!sa->cipher)
		return -ENOMEM;
	if (EVP_CipherInit_ex(sa->cipher, c, NULL, key, NULL, sa->outbound) != 1)
		return -EINVAL;
	EVP_CIPHER_CTX_set_padding(sa->cipher, 0);
	return 0;
}

int esp_sa_init(struct esp_sa *sa, uint32_t spi, uint16_t suite, int outbound,
		const uint8_t *enc_key, size_t enc_len, const uint8_t *auth_key, size_t auth_len)
{
	const EVP_CIPHER *c = suite_cipher(suite, enc_len);
	int rc = 0;

	memset(sa, 0, sizeof(*sa));
	sa->spi = spi;
	sa->suite = suite;
	sa->outbound = outbound;
	if (suite != HIP_ESP_NULL_SHA256 && !c)
		return suite_known(suite) ? -EINVAL : -ENOTSUP;
	if (suite == HIP_ESP_NULL_SHA256) {
		sa->block = 4;
	} else if (is_gcm(suite)) {
		sa->block = 4;
		sa->iv_len = GCM_IV;
		sa->icv_len = suite == HIP_ESP_AES_GCM_8 ? 8 : 16;
		memcpy(sa->salt, enc_key + 16, sizeof(sa->salt));
		rc = init_cipher(sa, c, enc_key);
	} else {
		sa->block = 16;
		sa->iv_len = 16;
		rc = init_cipher(sa, c, enc_key);
	}
	if (!rc && !is_gcm(suite)) {
		sa->icv_len = HMAC_ICV;
		rc = auth_len == 32 ? init_mac(sa, auth_key, auth_len) : -EINVAL;
	}
	if (rc)
		esp_sa_free(sa);
	return rc;
}

void esp_sa_free(struct esp_sa *sa)
{
	EVP_CIPHER_CTX_free(sa->cipher);
	EVP_MAC_CTX_free(sa->mac);
	sa->cipher = NULL;
	sa->mac = NULL;
}

/* HMAC-SHA-256 over data, truncated to the ICV length. */
static int hmac_icv(struct esp_sa *sa, const uint8_t *data, size_t len, uint8_t *icv)
{
	uint8_t full[32];
	size_t n;

	if (EVP_MAC_init(sa->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(sa->mac, data, len) != 1 ||
	    EVP_MAC_final(sa->mac, full, &n, sizeof(full)) != 1)
		return -EIO;
	memcpy(icv, full, sa->icv_len);
	return 0;
}

/* Encrypts or decrypts in place over len bytes (a multiple of the block). */
static int cbc_run(struct esp_sa *sa, const uint8_t *iv, uint8_t *buf, size_t len)
{
	int n;

	if (EVP_CipherInit_ex(sa->cipher, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_CipherUpdate(sa->cipher, buf, &n, buf, (int)len) != 1 || (size_t)n != len)
		return -EIO;
	return 0;
}

/* GCM with nonce = salt|IV and AAD = SPI|seq (RFC 4106 3 and 5). */
static int gcm_run(struct esp_sa *sa, const uint8_t *hdr, const uint8_t *iv, uint8_t *buf,
		   size_t len, uint8_t *tag)
{
	uint8_t nonce[12];
	int n;

	memcpy(nonce, sa->salt, 4);
	memcpy(nonce + 4, iv, GCM_IV);
	if (EVP_CipherInit_ex(sa->cipher, NULL, NULL, NULL, nonce, -1) != 1 ||
	    EVP_CipherUpdate(sa->cipher, NULL, &n, hdr, ESP_HDR_LEN) != 1)
		return -EIO;
	if (len && (EVP_CipherUpdate(sa->cipher, buf, &n, buf, (int)len) != 1 || (size_t)n != len))
		return -EIO;
	if (!sa->outbound &&
	    EVP_CIPHER_CTX_ctrl(sa->cipher, EVP_CTRL_GCM_SET_TAG, (int)sa->icv_len, tag) != 1)
		return -EIO;
	if (EVP_CipherFinal_ex(sa->cipher, buf + len, &n) != 1)
		return sa->outbound ? -EIO : -EBADE;
	if (sa->outbound &&
	    EVP_CIPHER_CTX_ctrl(sa->cipher, EVP_CTRL_GCM_GET_TAG, (int)sa->icv_len, tag) != 1)
		return -EIO;
	return 0;
}

/* Payload, padding 1, 2, 3... (RFC 4303 2.4), pad length, next header. */
static size_t put_trailer(struct esp_sa *sa, uint8_t *p, const uint8_t *payload, size_t len,
			  uint8_t next_header)
{
	size_t total = (len + 2 + sa->block - 1) / sa->block * sa->block;
	uint8_t pad = (uint8_t)(total - len - 2);

	memmove(p, payload, len);
	for (uint8_t i = 0; i < pad; i++)
		p[len + i] = (uint8_t)(i + 1);
	p[total - 2] = pad;
	p[total - 1] = next_header;
	return total;
}

int esp_encap(struct esp_sa *sa, uint8_t next_header, const uint8_t *payload, size_t len,
	      uint8_t *out, size_t cap, size_t *out_len)
{
	size_t body = (len + 2 + sa->block - 1) / sa->block * sa->block;
	size_t total = ESP_HDR_LEN + sa->iv_len + body + sa->icv_len;
	uint8_t *iv = out + ESP_HDR_LEN, *ct = iv + sa->iv_len;
	struct wbuf w;
	int rc;

	if (!sa->outbound)
		return -EINVAL;
	if (len > cap || total > cap)
		return -ENOSPC;
	if (sa->seq == UINT32_MAX)
		return -EOVERFLOW;
	sa->seq++;
	put_trailer(sa, ct, payload, len, next_header);
	wbuf_init(&w, out, ESP_HDR_LEN);
	wbuf_u32(&w, sa->spi);
	wbuf_u32(&w, sa->seq);
	if (is_gcm(sa->suite)) {
		uint64_t s = sa->seq;

		for (int i = GCM_IV - 1; i >= 0; i--, s >>= 8)
			iv[i] = (uint8_t)s; /* a counter is unique per key (RFC 4106 3.1) */
		rc = gcm_run(sa, out, iv, ct, body, ct + body);
	} else {
		rc = sa->iv_len && RAND_bytes(iv, (int)sa->iv_len) != 1 ? -EIO : 0;
		if (!rc && sa->cipher)
			rc = cbc_run(sa, iv, ct, body);
		if (!rc)
			rc = hmac_icv(sa, out, ESP_HDR_LEN + sa->iv_len + body, ct + body);
	}
	if (rc)
		return rc;
	sa->c.packets++;
	sa->c.bytes += len;
	*out_len = total;
	return 0;
}

int esp_peek_spi(const uint8_t *pkt, size_t len, uint32_t *spi)
{
	struct cursor c;

	cur_init(&c, pkt, len);
	return cur_u32(&c, spi) ? -EBADMSG : 0;
}

static int fail(struct esp_sa *sa, int rc)
{
	if (rc == -EEXIST || rc == -ERANGE || rc == -EINVAL)
		sa->c.replayed++;
	else if (rc == -EBADE)
		sa->c.auth_failed++;
	else
		sa->c.malformed++;
	return rc == -EINVAL ? -ERANGE : rc;
}

/* The checked trailer: padding bytes as sent, pad length inside the text. */
static int take_trailer(const uint8_t *pt, size_t n, size_t *len, uint8_t *next_header)
{
	uint8_t pad;

	if (n < 2)
		return -EBADMSG;
	pad = pt[n - 2];
	if ((size_t)pad + 2 > n)
		return -EBADMSG;
	for (uint8_t i = 0; i < pad; i++)
		if (pt[n - 2 - pad + i] != (uint8_t)(i + 1))
			return -EBADMSG;
	*len = n - 2 - pad;
	*next_header = pt[n - 1];
	return 0;
}

int esp_decap(struct esp_sa *sa, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
	      size_t *out_len, uint8_t *next_header)
{
	struct cursor c;
	const uint8_t *iv, *body, *icv;
	uint32_t spi, seq;
	size_t n;
	int rc;

	cur_init(&c, pkt, len);
	if (sa->outbound)
		return -EINVAL;
	if (cur_u32(&c, &spi) || cur_u32(&c, &seq) || spi != sa->spi ||
	    cur_view(&c, sa->iv_len, &iv) || cur_left(&c) < sa->icv_len + sa->block)
		return fail(sa, -EBADMSG);
	n = cur_left(&c) - sa->icv_len;
	if (n % sa->block)
		return fail(sa, -EBADMSG);
	if (n > cap)
		return fail(sa, -ENOSPC);
	if ((rc = esp_replay_check(&sa->replay, seq)))
		return fail(sa, rc);
	if (cur_view(&c, n, &body) || cur_view(&c, sa->icv_len, &icv))
		return fail(sa, -EBADMSG);
	memcpy(out, body, n);
	if (is_gcm(sa->suite)) {
		uint8_t tag[16];

		memcpy(tag, icv, sa->icv_len);
		rc = gcm_run(sa, pkt, iv, out, n, tag);
	} else {
		uint8_t want[HMAC_ICV];

		rc = hmac_icv(sa, pkt, ESP_HDR_LEN + sa->iv_len + n, want);
		if (!rc && CRYPTO_memcmp(want, icv, sa->icv_len) != 0)
			rc = -EBADE;
		if (!rc && sa->cipher)
			rc = cbc_run(sa, iv, out, n);
	}
	if (!rc)
		rc = take_trailer(out, n, out_len, next_header);
	if (rc)
		return fail(sa, rc);
	esp_replay_update(&sa->replay, seq);
	sa->c.packets++;
	sa->c.bytes += *out_len;
	return 0;
}
