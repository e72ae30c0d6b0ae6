/* Typed HIP parameters (RFC 7401 section 5.2, RFC 7402 section 5.1, RFC 8002 CERT):
 * decoding contents from a parsed view and encoding them as TLVs. No protocol logic. */
#include "wire.h"

#include <errno.h>
#include <string.h>

#define R1_COUNTER_LEN 12
#define ESP_INFO_LEN   12

/* Every decoder starts here: a cursor over the contents, -HIPW_EZEROLEN if empty. */
static int open_contents(const struct hip_param *p, struct cursor *c)
{
	if (!p || p->len == 0 || !p->val)
		return -HIPW_EZEROLEN;
	cur_init(c, p->val, p->len);
	return 0;
}

/* The RHASH lengths of the HIT suites: SHA-1, SHA-256, SHA-384. */
static bool rhash_len_ok(size_t n)
{
	return n == 20 || n == 32 || n == 48;
}

/* Ends an encoder: the TLV's Length and padding, or the first write error. */
static int finish(struct wbuf *w, size_t off)
{
	return hip_build_param_end(w, off);
}

/* ---- R1_COUNTER (5.2.3): 4 reserved bytes, 64-bit generation ---- */

int hip_p_r1_counter_decode(const struct hip_param *p, struct hip_p_r1_counter *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (p->len != R1_COUNTER_LEN)
		return -HIPW_EPARAM;
	if (cur_skip(&c, 4) || cur_u64(&c, &out->generation))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_r1_counter_encode(struct wbuf *w, const struct hip_p_r1_counter *v)
{
	size_t off;

	hip_build_param_begin(w, HIP_PARAM_R1_COUNTER, &off);
	wbuf_u32(w, 0);
	wbuf_u64(w, v->generation);
	return finish(w, off);
}

/* ---- PUZZLE (5.2.4): #K, lifetime, opaque, #I of RHASH_len / 8 bytes ---- */

int hip_p_puzzle_decode(const struct hip_param *p, struct hip_p_puzzle *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (p->len < 4 || !rhash_len_ok(p->len - 4u))
		return -HIPW_EPARAM;
	out->i_len = p->len - 4u;
	if (cur_u8(&c, &out->k) || cur_u8(&c, &out->lifetime) || cur_u16(&c, &out->opaque) ||
	    cur_copy(&c, out->i, out->i_len))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_puzzle_encode(struct wbuf *w, const struct hip_p_puzzle *v)
{
	size_t off;

	if (!rhash_len_ok(v->i_len))
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_PUZZLE, &off);
	wbuf_u8(w, v->k);
	wbuf_u8(w, v->lifetime);
	wbuf_u16(w, v->opaque);
	wbuf_put(w, v->i, v->i_len);
	return finish(w, off);
}

/* ---- SOLUTION (5.2.5): #K, reserved, opaque, #I and #J of RHASH_len / 8 each ---- */

int hip_p_solution_decode(const struct hip_param *p, struct hip_p_solution *out)
{
	struct cursor c;
	size_t n;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (p->len < 4 || (p->len - 4u) % 2)
		return -HIPW_EPARAM;
	n = (p->len - 4u) / 2;
	if (!rhash_len_ok(n))
		return -HIPW_EPARAM;
	out->ij_len = n;
	if (cur_u8(&c, &out->k) || cur_skip(&c, 1) || cur_u16(&c, &out->opaque) ||
	    cur_copy(&c, out->i, n) || cur_copy(&c, out->j, n))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_solution_encode(struct wbuf *w, const struct hip_p_solution *v)
{
	size_t off;

	if (!rhash_len_ok(v->ij_len))
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_SOLUTION, &off);
	wbuf_u8(w, v->k);
	wbuf_u8(w, 0);
	wbuf_u16(w, v->opaque);
	wbuf_put(w, v->i, v->ij_len);
	wbuf_put(w, v->j, v->ij_len);
	return finish(w, off);
}

/* ---- DH_GROUP_LIST (5.2.6), HIT_SUITE_LIST (5.2.10): one octet per ID ---- */

int hip_p_list8_decode(const struct hip_param *p, struct hip_p_list8 *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (p->len > HIP_MAX_LIST)
		return -HIPW_EPARAM;
	out->n = p->len;
	if (cur_copy(&c, out->ids, out->n))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_list8_encode(struct wbuf *w, uint16_t type, const struct hip_p_list8 *v)
{
	if (type != HIP_PARAM_DH_GROUP_LIST && type != HIP_PARAM_HIT_SUITE_LIST)
		return -EINVAL;
	if (v->n == 0 || v->n > HIP_MAX_LIST)
		return -EINVAL;
	return hip_build_param(w, type, v->ids, v->n);
}

/* ---- 16-bit ID lists: HIP_CIPHER (5.2.8), TRANSPORT_FORMAT_LIST (5.2.11),
 * ESP_TRANSFORM suites (RFC 7402 5.1.2) ---- */

static int read_list16(struct cursor *c, struct hip_p_list16 *out)
{
	size_t left = cur_left(c);

	if (left == 0)
		return -HIPW_EZEROLEN;
	if (left % 2 || left / 2 > HIP_MAX_LIST)
		return -HIPW_EPARAM;
	out->n = left / 2;
	for (size_t i = 0; i < out->n; i++)
		if (cur_u16(c, &out->ids[i]))
			return -HIPW_EPARAM;
	return 0;
}

static void write_list16(struct wbuf *w, const struct hip_p_list16 *v)
{
	for (size_t i = 0; i < v->n; i++)
		wbuf_u16(w, v->ids[i]);
}

bool hip_p_list16_has(const struct hip_p_list16 *l, uint16_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] == v)
			return true;
	return false;
}

uint16_t hip_p_list16_pick(const struct hip_p_list16 *ours, const struct hip_p_list16 *offered)
{
	for (size_t i = 0; i < ours->n; i++)
		if (hip_p_list16_has(offered, ours->ids[i]))
			return ours->ids[i];
	return 0;
}

int hip_p_list16_decode(const struct hip_param *p, struct hip_p_list16 *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	return read_list16(&c, out);
}

int hip_p_list16_encode(struct wbuf *w, uint16_t type, const struct hip_p_list16 *v)
{
	size_t off;

	if (type != HIP_PARAM_HIP_CIPHER && type != HIP_PARAM_TRANSPORT_FORMAT_LIST)
		return -EINVAL;
	if (v->n == 0 || v->n > HIP_MAX_LIST)
		return -EINVAL;
	hip_build_param_begin(w, type, &off);
	write_list16(w, v);
	return finish(w, off);
}

int hip_p_esp_transform_decode(const struct hip_param *p, struct hip_p_list16 *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (cur_skip(&c, 2))
		return -HIPW_EPARAM;
	return read_list16(&c, out);
}

int hip_p_esp_transform_encode(struct wbuf *w, const struct hip_p_list16 *v)
{
	size_t off;

	if (v->n == 0 || v->n > HIP_MAX_LIST)
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_ESP_TRANSFORM, &off);
	wbuf_u16(w, 0);
	write_list16(w, v);
	return finish(w, off);
}

/* ---- DIFFIE_HELLMAN (5.2.7): group, public value length, public value ---- */

int hip_p_dh_decode(const struct hip_param *p, struct hip_p_dh *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (cur_u8(&c, &out->group) || cur_u16(&c, &out->pub_len))
		return -HIPW_EPARAM;
	if (out->pub_len == 0)
		return -HIPW_EZEROLEN;
	/* the public value fills the contents exactly */
	if (out->pub_len != cur_left(&c) || out->pub_len > HIP_DH_PUB_MAX)
		return -HIPW_EPARAM;
	if (cur_view(&c, out->pub_len, &out->pub))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_dh_encode(struct wbuf *w, const struct hip_p_dh *v)
{
	size_t off;

	if (v->pub_len == 0 || v->pub_len > HIP_DH_PUB_MAX || !v->pub)
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_DIFFIE_HELLMAN, &off);
	wbuf_u8(w, v->group);
	wbuf_u16(w, v->pub_len);
	wbuf_put(w, v->pub, v->pub_len);
	return finish(w, off);
}

/* ---- HOST_ID (5.2.9): HI length, DI-type/DI length, algorithm, HI, DI ---- */

#define DI_LEN_MASK 0x0fff
#define DI_TYPE_MAX 0x0f

int hip_p_host_id_decode(const struct hip_param *p, struct hip_p_host_id *out)
{
	struct cursor c;
	uint16_t di;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (cur_u16(&c, &out->hi_len) || cur_u16(&c, &di) || cur_u16(&c, &out->algorithm))
		return -HIPW_EPARAM;
	out->di_type = (uint8_t)(di >> 12);
	out->di_len = di & DI_LEN_MASK;
	if (out->hi_len == 0)
		return -HIPW_EZEROLEN;
	if (out->hi_len > HIP_HI_MAX)
		return -HIPW_EPARAM;
	/* HI and DI fill the contents exactly; no DI type means no DI */
	if ((size_t)out->hi_len + out->di_len != cur_left(&c))
		return -HIPW_EPARAM;
	if (out->di_type == 0 && out->di_len != 0)
		return -HIPW_EPARAM;
	if (cur_view(&c, out->hi_len, &out->hi) || cur_view(&c, out->di_len, &out->di))
		return -HIPW_EPARAM;
	if (out->di_len == 0)
		out->di = NULL;
	return 0;
}

int hip_p_host_id_encode(struct wbuf *w, const struct hip_p_host_id *v)
{
	size_t off;

	if (v->hi_len == 0 || v->hi_len > HIP_HI_MAX || !v->hi)
		return -EINVAL;
	if (v->di_type > DI_TYPE_MAX || v->di_len > DI_LEN_MASK || (v->di_len && !v->di))
		return -EINVAL;
	if (v->di_type == 0 && v->di_len != 0)
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_HOST_ID, &off);
	wbuf_u16(w, v->hi_len);
	wbuf_u16(w, (uint16_t)((v->di_type << 12) | v->di_len));
	wbuf_u16(w, v->algorithm);
	wbuf_put(w, v->hi, v->hi_len);
	wbuf_put(w, v->di, v->di_len);
	return finish(w, off);
}

/* ---- ENCRYPTED (5.2.18): 4 reserved bytes, then IV and encrypted data ---- */

int hip_p_encrypted_decode(const struct hip_param *p, struct hip_p_encrypted *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (cur_skip(&c, 4))
		return -HIPW_EPARAM;
	out->len = cur_left(&c);
	if (out->len == 0)
		return -HIPW_EZEROLEN;
	if (cur_view(&c, out->len, &out->data))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_encrypted_encode(struct wbuf *w, const struct hip_p_encrypted *v)
{
	size_t off;

	if (v->len == 0 || !v->data)
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_ENCRYPTED, &off);
	wbuf_u32(w, 0);
	wbuf_put(w, v->data, v->len);
	return finish(w, off);
}

/* ---- HIP_SIGNATURE (5.2.14), HIP_SIGNATURE_2 (5.2.15): algorithm, signature ---- */

int hip_p_signature_decode(const struct hip_param *p, struct hip_p_signature *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (cur_u16(&c, &out->algorithm))
		return -HIPW_EPARAM;
	out->sig_len = cur_left(&c);
	if (out->sig_len == 0)
		return -HIPW_EZEROLEN;
	if (out->sig_len > HIP_SIG_MAX)
		return -HIPW_EPARAM;
	if (cur_view(&c, out->sig_len, &out->sig))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_signature_encode(struct wbuf *w, uint16_t type, const struct hip_p_signature *v)
{
	size_t off;

	if (type != HIP_PARAM_HIP_SIGNATURE && type != HIP_PARAM_HIP_SIGNATURE_2)
		return -EINVAL;
	if (v->sig_len == 0 || v->sig_len > HIP_SIG_MAX || !v->sig)
		return -EINVAL;
	hip_build_param_begin(w, type, &off);
	wbuf_u16(w, v->algorithm);
	wbuf_put(w, v->sig, v->sig_len);
	return finish(w, off);
}

/* ---- HIP_MAC (5.2.12), HIP_MAC_2 (5.2.13): the HMAC only ---- */

int hip_p_mac_decode(const struct hip_param *p, const uint8_t **mac, size_t *mac_len)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (p->len > HIP_RHASH_MAX)
		return -HIPW_EPARAM;
	*mac_len = p->len;
	if (cur_view(&c, p->len, mac))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_mac_encode(struct wbuf *w, uint16_t type, const uint8_t *mac, size_t mac_len)
{
	if (type != HIP_PARAM_HIP_MAC && type != HIP_PARAM_HIP_MAC_2 &&
	    type != HIP_PARAM_RELAY_HMAC)
		return -EINVAL;
	if (mac_len == 0 || mac_len > HIP_RHASH_MAX || !mac)
		return -EINVAL;
	return hip_build_param(w, type, mac, mac_len);
}

/* ---- NOTIFICATION (5.2.19): reserved, message type, data (may be empty) ---- */

int hip_p_notification_decode(const struct hip_param *p, struct hip_p_notification *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (cur_skip(&c, 2) || cur_u16(&c, &out->msg_type))
		return -HIPW_EPARAM;
	out->data_len = cur_left(&c);
	if (cur_view(&c, out->data_len, &out->data))
		return -HIPW_EPARAM;
	if (out->data_len == 0)
		out->data = NULL;
	return 0;
}

int hip_p_notification_encode(struct wbuf *w, const struct hip_p_notification *v)
{
	size_t off;

	if (v->data_len > HIP_MAX_PACKET_LEN || (v->data_len && !v->data))
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_NOTIFICATION, &off);
	wbuf_u16(w, 0);
	wbuf_u16(w, v->msg_type);
	wbuf_put(w, v->data, v->data_len);
	return finish(w, off);
}

/* ---- ESP_INFO (RFC 7402 5.1.1): reserved, KEYMAT index, old SPI, new SPI ---- */

int hip_p_esp_info_decode(const struct hip_param *p, struct hip_p_esp_info *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (p->len != ESP_INFO_LEN)
		return -HIPW_EPARAM;
	if (cur_skip(&c, 2) || cur_u16(&c, &out->keymat_index) || cur_u32(&c, &out->old_spi) ||
	    cur_u32(&c, &out->new_spi))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_esp_info_encode(struct wbuf *w, const struct hip_p_esp_info *v)
{
	size_t off;

	hip_build_param_begin(w, HIP_PARAM_ESP_INFO, &off);
	wbuf_u16(w, 0);
	wbuf_u16(w, v->keymat_index);
	wbuf_u32(w, v->old_spi);
	wbuf_u32(w, v->new_spi);
	return finish(w, off);
}

/* ---- SEQ (5.2.16): one Update ID; ACK (5.2.17): one or more peer Update IDs ---- */

int hip_p_seq_decode(const struct hip_param *p, uint32_t *update_id)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (p->len != 4 || cur_u32(&c, update_id))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_seq_encode(struct wbuf *w, uint32_t update_id)
{
	size_t off;

	hip_build_param_begin(w, HIP_PARAM_SEQ, &off);
	wbuf_u32(w, update_id);
	return finish(w, off);
}

int hip_p_ack_decode(const struct hip_param *p, struct hip_p_ack *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (p->len % 4 || p->len / 4 > HIP_MAX_LIST)
		return -HIPW_EPARAM;
	out->n = p->len / 4;
	for (size_t i = 0; i < out->n; i++)
		if (cur_u32(&c, &out->ids[i]))
			return -HIPW_EPARAM;
	return 0;
}

int hip_p_ack_encode(struct wbuf *w, const struct hip_p_ack *v)
{
	size_t off;

	if (v->n == 0 || v->n > HIP_MAX_LIST)
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_ACK, &off);
	for (size_t i = 0; i < v->n; i++)
		wbuf_u32(w, v->ids[i]);
	return finish(w, off);
}

/* ---- CERT (RFC 8002 section 2): group, count, ID, type, certificate ---- */

int hip_p_cert_decode(const struct hip_param *p, struct hip_p_cert *out)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	if (cur_u8(&c, &out->group) || cur_u8(&c, &out->count) || cur_u8(&c, &out->id) ||
	    cur_u8(&c, &out->cert_type))
		return -HIPW_EPARAM;
	out->cert_len = cur_left(&c);
	if (out->cert_len == 0)
		return -HIPW_EZEROLEN;
	if (cur_view(&c, out->cert_len, &out->cert))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_cert_encode(struct wbuf *w, const struct hip_p_cert *v)
{
	size_t off;

	if (v->cert_len == 0 || v->cert_len > HIP_MAX_PACKET_LEN || !v->cert)
		return -EINVAL;
	hip_build_param_begin(w, HIP_PARAM_CERT, &off);
	wbuf_u8(w, v->group);
	wbuf_u8(w, v->count);
	wbuf_u8(w, v->id);
	wbuf_u8(w, v->cert_type);
	wbuf_put(w, v->cert, v->cert_len);
	return finish(w, off);
}

/* ---- ECHO_REQUEST/RESPONSE_SIGNED/UNSIGNED (5.2.20-23): opaque data ---- */

static bool is_echo(uint16_t type)
{
	return type == HIP_PARAM_ECHO_REQUEST_SIGNED || type == HIP_PARAM_ECHO_RESPONSE_SIGNED ||
	       type == HIP_PARAM_ECHO_REQUEST_UNSIGNED || type == HIP_PARAM_ECHO_RESPONSE_UNSIGNED;
}

int hip_p_echo_decode(const struct hip_param *p, const uint8_t **data, size_t *len)
{
	struct cursor c;
	int err = open_contents(p, &c);

	if (err)
		return err;
	*len = p->len;
	if (cur_view(&c, p->len, data))
		return -HIPW_EPARAM;
	return 0;
}

int hip_p_echo_encode(struct wbuf *w, uint16_t type, const uint8_t *data, size_t len)
{
	if (!is_echo(type) || len == 0 || len > HIP_MAX_PACKET_LEN || !data)
		return -EINVAL;
	return hip_build_param(w, type, data, len);
}
