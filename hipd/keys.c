/* KEYMAT drawing: HIP-gl/HIP-lg encryption and integrity keys, then the ESP SA
 * keys, assigned to "out" and "in" by comparing the two HITs. */
#include "hipd/keys.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "common/hit.h"
#include "hipd/crypto/hipcrypto.h"

int keys_esp_suite_lens(uint16_t suite, size_t *enc_len, size_t *auth_len)
{
	switch (suite) {
	case HIP_ESP_AES128_CBC_SHA256:
		*enc_len = 16;
		*auth_len = 32;
		return 0;
	case HIP_ESP_AES256_CBC_SHA256:
		*enc_len = 32;
		*auth_len = 32;
		return 0;
	case HIP_ESP_NULL_SHA256:
		*enc_len = 0;
		*auth_len = 32;
		return 0;
	case HIP_ESP_AES_GCM_16:
	case HIP_ESP_AES_GCM_8:
		*enc_len = 20; /* 128-bit key + 4-byte salt, RFC 4106 section 8.1 */
		*auth_len = 0;
		return 0;
	default:
		return -ENOTSUP;
	}
}

const char *keys_esp_suite_name(uint16_t suite)
{
	switch (suite) {
	case HIP_ESP_AES128_CBC_SHA256:
		return "aes128-cbc-hmac-sha256";
	case HIP_ESP_AES256_CBC_SHA256:
		return "aes256-cbc-hmac-sha256";
	case HIP_ESP_NULL_SHA256:
		return "null-hmac-sha256";
	case HIP_ESP_AES_GCM_16:
		return "aes128-gcm-16";
	case HIP_ESP_AES_GCM_8:
		return "aes128-gcm-8";
	default:
		return "unknown";
	}
}

const char *keys_hip_cipher_name(uint16_t id)
{
	switch (id) {
	case HIP_CIPHER_NULL:
		return "null";
	case HIP_CIPHER_AES128_CBC:
		return "aes128-cbc";
	case HIP_CIPHER_AES256_CBC:
		return "aes256-cbc";
	default:
		return "unknown";
	}
}

const char *keys_hit_suite_name(uint8_t suite)
{
	switch (suite) {
	case HIP_SUITE_RSA_DSA_SHA256:
		return "rsa-dsa-sha256";
	case HIP_SUITE_ECDSA_SHA384:
		return "ecdsa-sha384";
	case HIP_SUITE_ECDSA_LOW_SHA1:
		return "ecdsa-low-sha1";
	default:
		return "unknown";
	}
}

const char *keys_dh_group_name(uint8_t group)
{
	switch (group) {
	case HIP_DH_MODP_1536:
		return "modp1536";
	case HIP_DH_MODP_2048:
		return "modp2048";
	case HIP_DH_MODP_3072:
		return "modp3072";
	case HIP_DH_NIST_P256:
		return "nist-p256";
	case HIP_DH_NIST_P384:
		return "nist-p384";
	case HIP_DH_NIST_P521:
		return "nist-p521";
	default:
		return "unknown";
	}
}

/* Takes n bytes from KEYMAT at *off into dst. */
static void draw(const uint8_t *km, size_t *off, uint8_t *dst, size_t n)
{
	memcpy(dst, km + *off, n);
	*off += n;
}

int keys_derive(struct hip_ha *ha, const uint8_t *kij, size_t kij_len)
{
	struct hip_keys *k = &ha->keys;
	size_t enc = hip_cipher_key_len(ha->hip_cipher);
	size_t mac = hip_rhash_len(ha->rhash_suite);
	size_t esp_enc, esp_auth;
	uint8_t km[2 * (2 * HIP_KEY_MAX) + 2 * (2 * HIP_KEY_MAX) + sizeof(ha->keys.stun_key)];
	int err;

	if (!mac || !hip_cipher_supported(ha->hip_cipher))
		return -ENOTSUP;
	err = keys_esp_suite_lens(ha->esp_suite, &esp_enc, &esp_auth);
	if (err)
		return err;
	size_t total = 2 * (enc + mac) + 2 * (esp_enc + esp_auth) + sizeof(k->stun_key);
	const struct in6_addr *hit_i = ha->initiator ? &ha->hit_local : &ha->hit_peer;
	const struct in6_addr *hit_r = ha->initiator ? &ha->hit_peer : &ha->hit_local;
	err = hip_keymat(ha->rhash_suite, kij, kij_len, hit_i, hit_r, ha->puzzle_i, ha->puzzle_j,
			 ha->puzzle_len, km, total);
	if (err)
		return err;

	bool local_is_g = hit_cmp(&ha->hit_local, &ha->hit_peer) > 0;
	uint8_t *g_enc = local_is_g ? k->enc_out : k->enc_in;
	uint8_t *g_mac = local_is_g ? k->mac_out : k->mac_in;
	uint8_t *l_enc = local_is_g ? k->enc_in : k->enc_out;
	uint8_t *l_mac = local_is_g ? k->mac_in : k->mac_out;
	size_t off = 0;
	draw(km, &off, g_enc, enc);
	draw(km, &off, g_mac, mac);
	draw(km, &off, l_enc, enc);
	draw(km, &off, l_mac, mac);
	k->keymat_index = (uint16_t)off;
	draw(km, &off, local_is_g ? k->esp_enc_out : k->esp_enc_in, esp_enc);
	draw(km, &off, local_is_g ? k->esp_auth_out : k->esp_auth_in, esp_auth);
	draw(km, &off, local_is_g ? k->esp_enc_in : k->esp_enc_out, esp_enc);
	draw(km, &off, local_is_g ? k->esp_auth_in : k->esp_auth_out, esp_auth);
	draw(km, &off, k->stun_key, sizeof(k->stun_key)); /* RFC 5770 5.2: after the ESP keys */
	k->enc_len = enc;
	k->mac_len = mac;
	k->esp_enc_len = esp_enc;
	k->esp_auth_len = esp_auth;
	OPENSSL_cleanse(km, sizeof(km));
	return 0;
}

int keys_rekey_esp(const struct hip_ha *ha, const uint8_t *kij, size_t kij_len, struct hip_keys *k)
{
	uint8_t km[2 * (2 * HIP_KEY_MAX)];
	size_t esp_enc, esp_auth, off = 0;
	int err = keys_esp_suite_lens(ha->esp_suite, &esp_enc, &esp_auth);

	if (err)
		return err;
	const struct in6_addr *hit_i = ha->initiator ? &ha->hit_local : &ha->hit_peer;
	const struct in6_addr *hit_r = ha->initiator ? &ha->hit_peer : &ha->hit_local;
	err = hip_keymat(ha->rhash_suite, kij, kij_len, hit_i, hit_r, ha->puzzle_i, ha->puzzle_j,
			 ha->puzzle_len, km, 2 * (esp_enc + esp_auth));
	if (err)
		return err;
	bool local_is_g = hit_cmp(&ha->hit_local, &ha->hit_peer) > 0;
	draw(km, &off, local_is_g ? k->esp_enc_out : k->esp_enc_in, esp_enc);
	draw(km, &off, local_is_g ? k->esp_auth_out : k->esp_auth_in, esp_auth);
	draw(km, &off, local_is_g ? k->esp_enc_in : k->esp_enc_out, esp_enc);
	draw(km, &off, local_is_g ? k->esp_auth_in : k->esp_auth_out, esp_auth);
	k->keymat_index = 0;
	OPENSSL_cleanse(km, sizeof(km));
	return 0;
}
