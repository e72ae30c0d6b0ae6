/* HIP_CIPHER for the ENCRYPTED parameter (RFC 7401 5.2.8, 5.2.18): NULL, AES-128-CBC and
 * AES-256-CBC with a random IV and PKCS#7 padding. Not parameter framing or ESP. */
#include "hipcrypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hipd/wire/hip_proto.h"

#define AES_BLOCK 16

static const char *cipher_name(uint16_t id)
{
	switch (id) {
	case HIP_CIPHER_AES128_CBC:
		return "AES-128-CBC";
	case HIP_CIPHER_AES256_CBC:
		return "AES-256-CBC";
	default:
		return NULL;
	}
}

bool hip_cipher_supported(uint16_t id)
{
	return id == HIP_CIPHER_NULL || cipher_name(id) != NULL;
}

size_t hip_cipher_key_len(uint16_t id)
{
	switch (id) {
	case HIP_CIPHER_AES128_CBC:
		return 16;
	case HIP_CIPHER_AES256_CBC:
		return 32;
	default:
		return 0;
	}
}

size_t hip_cipher_iv_len(uint16_t id)
{
	return cipher_name(id) ? AES_BLOCK : 0;
}

static int null_copy(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	if (cap < len)
		return -ENOBUFS;
	if (len)
		memmove(out, in, len);
	*out_len = len;
	return 0;
}

/* One EVP pass; PKCS#7 padding on (RFC 7401 5.2.18: n bytes of value n). */
static int run_cipher(uint16_t id, bool enc, const uint8_t *key, const uint8_t *iv,
		      const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher_name(id), NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, err = -EIO;

	if (!c || !ctx || len > (size_t)(__INT_MAX__ - AES_BLOCK))
		goto out;
	if (!EVP_CipherInit_ex2(ctx, c, key, iv, enc ? 1 : 0, NULL))
		goto out;
	if (!EVP_CipherUpdate(ctx, out, &n1, in, (int)len))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, out + n1, &n2)) {
		err = -EBADMSG; /* bad padding: wrong key or corrupted data */
		goto out;
	}
	*out_len = (size_t)n1 + (size_t)n2;
	err = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	if (err)
		ERR_clear_error();
	return err;
}

/* IV || AES-CBC(in): a random IV, then the padded ciphertext. */
static int aes_encrypt(uint16_t id, const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out,
		       size_t cap, size_t *out_len)
{
	size_t ct_len = (len / AES_BLOCK + 1) * AES_BLOCK;
	int err;

	if (cap < AES_BLOCK + ct_len)
		return -ENOBUFS;
	if (RAND_bytes(out, AES_BLOCK) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	err = run_cipher(id, true, key, out, in ? in : out, len, out + AES_BLOCK, &ct_len);
	if (err)
		return err;
	*out_len = AES_BLOCK + ct_len;
	return 0;
}

static int aes_decrypt(uint16_t id, const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out,
		       size_t cap, size_t *out_len)
{
	size_t ct_len;
	int err;

	if (len < 2 * AES_BLOCK || len % AES_BLOCK)
		return -EBADMSG; /* IV plus at least one whole block */
	ct_len = len - AES_BLOCK;
	/* EVP may write up to the ciphertext length before removing the padding */
	if (cap < ct_len)
		return -ENOBUFS;
	err = run_cipher(id, false, key, in, in + AES_BLOCK, ct_len, out, out_len);
	if (err)
		OPENSSL_cleanse(out, ct_len);
	return err;
}

/* The argument checks of both directions, then the NULL copy or the AES pass. */
static int crypt_checked(bool enc, uint16_t id, const uint8_t *key, const uint8_t *in, size_t len,
			 uint8_t *out, size_t cap, size_t *out_len)
{
	if ((!in && len) || !out || !out_len || !hip_cipher_supported(id))
		return -EINVAL;
	if (id == HIP_CIPHER_NULL)
		return null_copy(in, len, out, cap, out_len);
	if (!key)
		return -EINVAL;
	if (enc)
		return aes_encrypt(id, key, in, len, out, cap, out_len);
	return aes_decrypt(id, key, in, len, out, cap, out_len);
}

int hip_cipher_encrypt(uint16_t id, const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out,
		       size_t cap, size_t *out_len)
{
	return crypt_checked(true, id, key, in, len, out, cap, out_len);
}

int hip_cipher_decrypt(uint16_t id, const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out,
		       size_t cap, size_t *out_len)
{
	return crypt_checked(false, id, key, in, len, out, cap, out_len);
}
