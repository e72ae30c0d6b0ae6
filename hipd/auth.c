/* MAC and signature computation over the HIP header and the parameters before
 * the MAC/signature, with the RFC 7401 6.4 adjustments; no key management. */
#include "hipd/auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "hipd/crypto/hipcrypto.h"

#define SCRATCH_LEN (2 * HIP_MAX_PACKET_LEN)

/* Offsets inside the fixed 40-byte HIP header (RFC 7401 5.1). */
#define HDR_CHECKSUM_OFF 4
#define HDR_HIT_R_OFF	 24

/* Copies the first len bytes of pkt into scratch with checksum zero and the
 * header length covering len bytes. */
static int scratch_prefix(uint8_t *scratch, const uint8_t *pkt, size_t len)
{
	if (len > SCRATCH_LEN || len < HIP_HDR_LEN || len % 8)
		return -EINVAL;
	memcpy(scratch, pkt, len);
	memset(scratch + HDR_CHECKSUM_OFF, 0, 2);
	return hip_build_set_len_to(scratch, len);
}

/* HIP_SIGNATURE_2: receiver HIT, PUZZLE Opaque and #I are zero (RFC 7401 5.2.15). */
static int zero_sig2_fields(uint8_t *scratch, const struct hip_msg *m)
{
	const struct hip_param *pz = hip_msg_find(m, HIP_PARAM_PUZZLE);

	memset(scratch + HDR_HIT_R_OFF, 0, 16);
	if (!pz)
		return -HIPW_EMISSING;
	/* contents: #K (1), Lifetime (1), Opaque (2), Random #I */
	size_t opaque_off = pz->off + 4 + 2;
	if (pz->len < 4)
		return -HIPW_EPARAM;
	memset(scratch + opaque_off, 0, (size_t)pz->len - 2);
	return 0;
}

int auth_sign_append(const struct hostid *id, struct wbuf *w, uint16_t type)
{
	uint8_t scratch[SCRATCH_LEN];
	uint8_t sig[HOSTID_SIG_MAX];
	size_t sig_len;
	int err;

	if (wbuf_error(w))
		return wbuf_error(w);
	err = scratch_prefix(scratch, w->buf, w->len);
	if (err)
		return err;
	err = hostid_sign(id, scratch, w->len, sig, sizeof(sig), &sig_len);
	if (err)
		return err;
	struct hip_p_signature s = {
	    .algorithm = hostid_sig_algorithm(id), .sig = sig, .sig_len = sig_len};
	err = hip_p_signature_encode(w, type, &s);
	if (err)
		return err;
	return hip_build_set_len(w);
}

int auth_verify(const struct hostid *id, const struct hip_msg *m, uint16_t type)
{
	const struct hip_param *p = hip_msg_find(m, type);
	uint8_t scratch[SCRATCH_LEN];
	struct hip_p_signature s;
	int err;

	if (!p)
		return -HIPW_EMISSING;
	err = hip_p_signature_decode(p, &s);
	if (err)
		return err;
	if (s.algorithm != hostid_sig_algorithm(id))
		return -EBADMSG;
	err = scratch_prefix(scratch, m->raw, p->off);
	if (err)
		return err;
	if (type == HIP_PARAM_HIP_SIGNATURE_2) {
		err = zero_sig2_fields(scratch, m);
		if (err)
			return err;
	}
	return hostid_verify(id, scratch, p->off, s.sig, s.sig_len);
}

/* HMAC over { header | parameters before the MAC | [HOST_ID] } (RFC 7401 6.4.1). */
static int compute_mac(uint8_t suite, const uint8_t *key, size_t key_len, const uint8_t *pkt,
		       size_t upto, const uint8_t *host_id_tlv, size_t host_id_len, uint8_t *mac,
		       size_t *mac_len)
{
	uint8_t scratch[SCRATCH_LEN];
	size_t total = upto + host_id_len;
	int err;

	if (total > SCRATCH_LEN || upto > SCRATCH_LEN)
		return -EMSGSIZE;
	memcpy(scratch, pkt, upto);
	if (host_id_len)
		memcpy(scratch + upto, host_id_tlv, host_id_len);
	err = scratch_prefix(scratch, scratch, total);
	if (err)
		return err;
	return hip_hmac(suite, key, key_len, scratch, total, mac, mac_len);
}

int auth_mac_append(uint8_t suite, const uint8_t *key, size_t key_len, struct wbuf *w,
		    uint16_t type, const uint8_t *host_id_tlv, size_t host_id_len)
{
	uint8_t mac[HIP_RHASH_MAX];
	size_t mac_len = sizeof(mac);
	int err;

	if (wbuf_error(w))
		return wbuf_error(w);
	err = compute_mac(suite, key, key_len, w->buf, w->len, host_id_tlv, host_id_len, mac,
			  &mac_len);
	if (err)
		return err;
	err = hip_p_mac_encode(w, type, mac, mac_len);
	if (err)
		return err;
	return hip_build_set_len(w);
}

int auth_mac_verify(uint8_t suite, const uint8_t *key, size_t key_len, const struct hip_msg *m,
		    uint16_t type, const uint8_t *host_id_tlv, size_t host_id_len)
{
	const struct hip_param *p = hip_msg_find(m, type);
	uint8_t want[HIP_RHASH_MAX];
	size_t want_len = sizeof(want);
	const uint8_t *mac;
	size_t mac_len;
	int err;

	if (!p)
		return -HIPW_EMISSING;
	err = hip_p_mac_decode(p, &mac, &mac_len);
	if (err)
		return err;
	err = compute_mac(suite, key, key_len, m->raw, p->off, host_id_tlv, host_id_len, want,
			  &want_len);
	if (err)
		return err;
	if (mac_len != want_len || CRYPTO_memcmp(mac, want, want_len) != 0)
		return -EBADMSG;
	return 0;
}

int auth_seal(uint8_t suite, const uint8_t *mac_key, size_t mac_len, const struct hostid *id,
	      struct wbuf *w)
{
	int err = auth_mac_append(suite, mac_key, mac_len, w, HIP_PARAM_HIP_MAC, NULL, 0);

	return err ? err : auth_sign_append(id, w, HIP_PARAM_HIP_SIGNATURE);
}

int auth_check_sealed(uint8_t suite, const uint8_t *mac_key, size_t mac_len,
		      const struct hostid *peer, const struct hip_msg *m)
{
	if (auth_mac_verify(suite, mac_key, mac_len, m, HIP_PARAM_HIP_MAC, NULL, 0))
		return -EBADMSG;
	return auth_verify(peer, m, HIP_PARAM_HIP_SIGNATURE);
}
