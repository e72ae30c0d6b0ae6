/* HIP packet codec: parse a received packet into header + parameter views, build
 * outgoing packets parameter by parameter, checksums. No protocol decisions here. */
#ifndef HIPSIP_WIRE_H
#define HIPSIP_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/cursor.h"
#include "hip_proto.h"

/* Errors of the codec, returned negated (like -errno); hip_wire_strerror names them. */
enum hip_wire_err {
	HIPW_ETRUNC = 2000, /* buffer shorter than the header or a TLV header */
	HIPW_ELENGTH,	    /* a length field points past the end of the packet */
	HIPW_EHDRLEN,	    /* header length disagrees with the buffer length */
	HIPW_EZEROLEN,	    /* a parameter that needs contents has none, or a list is empty */
	HIPW_EPADDING,	    /* a parameter's padded length runs past the packet */
	HIPW_EORDER,	    /* parameters not in ascending type order */
	HIPW_ECRITICAL,	    /* unknown critical parameter (type in hip_msg.bad_type) */
	HIPW_ECHECKSUM,	    /* checksum mismatch */
	HIPW_EVERSION,	    /* version is not 2 */
	HIPW_EFIXED,	    /* fixed bits of the header or next-header wrong */
	HIPW_ETOOMANY,	    /* more parameters than HIP_MSG_MAX_PARAMS */
	HIPW_EPARAM,	    /* a parameter's contents are malformed */
	HIPW_EMISSING,	    /* a parameter the caller asked for is absent */
	HIPW_ELAST,
};

const char *hip_wire_strerror(int err);

#define HIP_MSG_MAX_PARAMS 64

/* A view of one parameter inside a received packet. */
struct hip_param {
	uint16_t type;
	uint16_t len;	    /* Length field: contents only */
	const uint8_t *val; /* contents, len bytes */
	size_t off;	    /* offset of the TLV's Type field from the start of the packet */
	size_t total;	    /* Type + Length + contents + padding */
};

struct hip_msg {
	uint8_t next_hdr;
	uint8_t type;
	uint8_t version;
	uint16_t checksum;
	uint16_t controls;
	struct in6_addr hit_s;
	struct in6_addr hit_r;
	const uint8_t *raw; /* the whole packet (not owned) */
	size_t len;	    /* (header length + 1) * 8 */
	size_t nparams;
	struct hip_param params[HIP_MSG_MAX_PARAMS];
	uint16_t bad_type; /* with -HIPW_ECRITICAL or -HIPW_EORDER: the offending type */
};

/* Parses and validates the framing of a packet: header fields, TLV lengths,
 * padding, ascending order (same types consecutive), unknown critical types.
 * Does not verify the checksum (see hip_checksum_verify).
 * Lengths: a buffer under 40 bytes is -HIPW_ETRUNC; a Header Length under 4, or
 * trailing bytes after the packet when Next Header is 59 (IPPROTO_NONE), is
 * -HIPW_EHDRLEN (with another Next Header trailing bytes are ignored, RFC 7401
 * 5.1). A buffer shorter than the Header Length says fails at the first TLV it
 * cuts (-HIPW_ETRUNC for a TLV header, -HIPW_ELENGTH for contents, -HIPW_EPADDING
 * for padding), or with -HIPW_EHDRLEN if it ends between two TLVs.
 * Known parameters with Length 0 are -HIPW_EZEROLEN (bad_type set). Unknown
 * non-critical parameters are skipped: they count for the order check but are
 * not in params[]. */
int hip_msg_parse(const uint8_t *buf, size_t len, struct hip_msg *m);
/* Whether this implementation knows a parameter type (critical-bit check). */
bool hip_param_known(uint16_t type);
const struct hip_param *hip_msg_find(const struct hip_msg *m, uint16_t type);
/* The next parameter of the same type after prev (for repeated types), or NULL. */
const struct hip_param *hip_msg_find_next(const struct hip_msg *m, const struct hip_param *prev);
const char *hip_packet_type_name(uint8_t type);
const char *hip_param_type_name(uint16_t type);

/* Checksum (RFC 7401 section 5.1.1) over the IPv4 or IPv6 pseudo-header with
 * next header 139. src/dst are AF_INET or AF_INET6 sockaddrs. The checksum
 * field of pkt is treated as zero. Returns the value to put in the field. */
uint16_t hip_checksum(const uint8_t *pkt, size_t len, const struct sockaddr *src,
		      const struct sockaddr *dst);
/* 0 if the packet's checksum matches, -HIPW_ECHECKSUM otherwise. With src and
 * dst both NULL (UDP framing, RFC 5770 5.1) the field must be zero. IPv4-mapped
 * IPv6 addresses are summed as IPv4. */
int hip_checksum_verify(const uint8_t *pkt, size_t len, const struct sockaddr *src,
			const struct sockaddr *dst);

/* ---- building ---- */

/* Starts a packet in w: writes the 40-byte header with length and checksum zero. */
int hip_build_start(struct wbuf *w, uint8_t type, uint16_t controls, const struct in6_addr *hit_s,
		    const struct in6_addr *hit_r);
/* Appends a TLV with contents and zero padding; the caller keeps ascending order. */
int hip_build_param(struct wbuf *w, uint16_t type, const void *val, size_t len);
/* Starts a TLV whose contents the caller writes next with wbuf_*; returns the
 * TLV offset for hip_build_param_end, which fills Length and pads. */
int hip_build_param_begin(struct wbuf *w, uint16_t type, size_t *tlv_off);
int hip_build_param_end(struct wbuf *w, size_t tlv_off);
/* Sets the header length field to cover w->len bytes (must be a multiple of 8). */
int hip_build_set_len(struct wbuf *w);
/* Sets the header length field to cover only the first len bytes of w (for
 * MAC/signature input) without changing w->len. */
int hip_build_set_len_to(uint8_t *pkt, size_t len);
/* Writes the checksum: over the pseudo-header, or zero when src is NULL (UDP). */
void hip_build_checksum(uint8_t *pkt, size_t len, const struct sockaddr *src,
			const struct sockaddr *dst);

/* ---- typed parameters: decode from a view (validating lengths), encode into w ---- */

#define HIP_RHASH_MAX  64 /* SHA-384 digest is 48; room for future suites */
#define HIP_MAX_LIST   32
#define HIP_HI_MAX     1024
#define HIP_DH_PUB_MAX 512 /* 4096-bit MODP */
#define HIP_SIG_MAX    512

struct hip_p_r1_counter {
	uint64_t generation;
};

struct hip_p_puzzle {
	uint8_t k;
	uint8_t lifetime;
	uint16_t opaque;
	uint8_t i[HIP_RHASH_MAX];
	size_t i_len; /* RHASH length of the Responder's HIT suite */
};

struct hip_p_solution {
	uint8_t k;
	uint16_t opaque;
	uint8_t i[HIP_RHASH_MAX];
	uint8_t j[HIP_RHASH_MAX];
	size_t ij_len;
};

/* DH_GROUP_LIST, HIT_SUITE_LIST: octets as on the wire (HIT suite IDs sit in
 * the high nibble: 0x10, 0x20, 0x30) */
struct hip_p_list8 {
	uint8_t ids[HIP_MAX_LIST];
	size_t n;
};

struct hip_p_list16 { /* HIP_CIPHER, TRANSPORT_FORMAT_LIST, ESP_TRANSFORM suites */
	uint16_t ids[HIP_MAX_LIST];
	size_t n;
};

struct hip_p_dh {
	uint8_t group;
	const uint8_t *pub; /* points into the packet */
	uint16_t pub_len;
};

struct hip_p_host_id {
	uint16_t algorithm;
	const uint8_t *hi; /* Host Identity field */
	uint16_t hi_len;
	uint8_t di_type;
	const uint8_t *di;
	uint16_t di_len;
};

struct hip_p_encrypted {
	const uint8_t *data; /* IV followed by ciphertext: the cipher says how long the IV is */
	size_t len;
};

struct hip_p_signature {
	uint16_t algorithm;
	const uint8_t *sig;
	size_t sig_len;
};

struct hip_p_notification {
	uint16_t msg_type;
	const uint8_t *data;
	size_t data_len;
};

struct hip_p_esp_info {
	uint16_t keymat_index;
	uint32_t old_spi;
	uint32_t new_spi;
};

struct hip_p_cert {
	uint8_t group;
	uint8_t count;
	uint8_t id;
	uint8_t cert_type;
	const uint8_t *cert;
	size_t cert_len;
};

struct hip_p_ack {
	uint32_t ids[HIP_MAX_LIST];
	size_t n;
};

/* NAT_TRAVERSAL_MODE holds at most six mode IDs (RFC 5770 5.4). */
#define HIP_NAT_MODES_MAX 6
#define HIP_MAX_LOCATORS  16

/* One LOCATOR_SET entry (RFC 8046 4; type 2 from RFC 5770 5.7). addr is an
 * IPv6 address or IPv4-mapped; port..priority only for HIP_LOCATOR_TRANSPORT,
 * spi for types 1 and 2. */
struct hip_p_locator {
	uint8_t traffic;
	uint8_t type;
	uint8_t preferred;
	uint8_t protocol;
	uint8_t kind;
	uint16_t port;
	uint32_t lifetime;
	uint32_t priority;
	uint32_t spi;
	struct in6_addr addr;
};

struct hip_p_locator_set {
	struct hip_p_locator loc[HIP_MAX_LOCATORS];
	size_t n;
	size_t skipped; /* locators of unknown types, or beyond HIP_MAX_LOCATORS */
};

/* Decoders return 0, -HIPW_EPARAM (bad contents), or -HIPW_EZEROLEN. They do
 * not check p->type. Pointers in the results point into the packet. Encoders
 * return 0, -EINVAL for values that cannot be encoded, or -ENOBUFS. */
int hip_p_r1_counter_decode(const struct hip_param *p, struct hip_p_r1_counter *out);
int hip_p_puzzle_decode(const struct hip_param *p, struct hip_p_puzzle *out);
int hip_p_solution_decode(const struct hip_param *p, struct hip_p_solution *out);
int hip_p_list8_decode(const struct hip_param *p, struct hip_p_list8 *out);
int hip_p_list16_decode(const struct hip_param *p, struct hip_p_list16 *out);
int hip_p_dh_decode(const struct hip_param *p, struct hip_p_dh *out);
int hip_p_host_id_decode(const struct hip_param *p, struct hip_p_host_id *out);
int hip_p_encrypted_decode(const struct hip_param *p, struct hip_p_encrypted *out);
int hip_p_signature_decode(const struct hip_param *p, struct hip_p_signature *out);
int hip_p_mac_decode(const struct hip_param *p, const uint8_t **mac, size_t *mac_len);
int hip_p_notification_decode(const struct hip_param *p, struct hip_p_notification *out);
int hip_p_esp_info_decode(const struct hip_param *p, struct hip_p_esp_info *out);
int hip_p_esp_transform_decode(const struct hip_param *p, struct hip_p_list16 *out);
int hip_p_seq_decode(const struct hip_param *p, uint32_t *update_id);
int hip_p_ack_decode(const struct hip_param *p, struct hip_p_ack *out);
int hip_p_cert_decode(const struct hip_param *p, struct hip_p_cert *out);
int hip_p_echo_decode(const struct hip_param *p, const uint8_t **data, size_t *len);

/* Whether list l holds v; the first of ours (in our order of preference) that
 * offered also holds, or 0 when none does. */
bool hip_p_list16_has(const struct hip_p_list16 *l, uint16_t v);
uint16_t hip_p_list16_pick(const struct hip_p_list16 *ours, const struct hip_p_list16 *offered);

/* RFC 5770: NAT_TRAVERSAL_MODE keeps the first six IDs; LOCATOR_SET skips
 * locators of unknown types (counted) and fails when none is usable. */
int hip_p_nat_mode_decode(const struct hip_param *p, struct hip_p_list16 *out);
int hip_p_pacing_decode(const struct hip_param *p, uint32_t *min_ta_ms);
int hip_p_locator_set_decode(const struct hip_param *p, struct hip_p_locator_set *out);
int hip_p_nat_mode_encode(struct wbuf *w, const struct hip_p_list16 *v);
int hip_p_pacing_encode(struct wbuf *w, uint32_t min_ta_ms);
int hip_p_locator_set_encode(struct wbuf *w, const struct hip_p_locator_set *v);

/* ---- registration (RFC 8003 4) and relaying (RFC 5770 5.6, 5.8): params_reg.c ---- */

/* A registration type is one octet, so a list of more than 255 repeats itself. */
#define HIP_REG_TYPES_MAX 255

/* REG_INFO: the registrar's lifetime range and offered types (may be none:
 * "currently unable to provide services", RFC 8003 3.1). */
struct hip_p_reg_info {
	uint8_t min_lifetime;
	uint8_t max_lifetime;
	uint8_t types[HIP_REG_TYPES_MAX];
	size_t n;
};

/* REG_REQUEST, REG_RESPONSE (head = Lifetime) and REG_FAILED (head = Failure
 * Type): one octet, then at least one registration type. */
struct hip_p_reg {
	uint8_t head;
	uint8_t types[HIP_REG_TYPES_MAX];
	size_t n;
};

/* REG_FROM, RELAY_FROM, RELAY_TO (RFC 5770 5.6, Figure 8): a transport address.
 * addr is IPv6 or IPv4-mapped; protocol 17 for UDP (port set), 0 for plain IP. */
struct hip_p_relay_addr {
	uint16_t port;
	uint8_t protocol;
	struct in6_addr addr;
};

int hip_p_reg_info_decode(const struct hip_param *p, struct hip_p_reg_info *out);
int hip_p_reg_info_encode(struct wbuf *w, const struct hip_p_reg_info *v);
/* type is HIP_PARAM_REG_REQUEST, _REG_RESPONSE or _REG_FAILED */
int hip_p_reg_decode(const struct hip_param *p, struct hip_p_reg *out);
int hip_p_reg_encode(struct wbuf *w, uint16_t type, const struct hip_p_reg *v);
/* Whether a decoded list holds registration type t. */
bool hip_p_reg_has(const uint8_t *types, size_t n, uint8_t t);
/* type is HIP_PARAM_REG_FROM, _RELAY_FROM or _RELAY_TO */
int hip_p_relay_addr_decode(const struct hip_param *p, struct hip_p_relay_addr *out);
int hip_p_relay_addr_encode(struct wbuf *w, uint16_t type, const struct hip_p_relay_addr *v);
/* Between sockaddrs (AF_INET or AF_INET6, with port) and the parameter's form:
 * IPv4 as IPv4-mapped IPv6 and back. -EAFNOSUPPORT for other families. */
int hip_p_relay_addr_from_sa(const struct sockaddr *sa, uint8_t protocol,
			     struct hip_p_relay_addr *out);
int hip_p_relay_addr_to_sa(const struct hip_p_relay_addr *a, struct sockaddr_storage *out);

/* RFC 8003 4.1: Lifetime 0 is zero seconds, x > 0 is 2^((x - 64) / 8) seconds.
 * In milliseconds, rounded down (x = 1 is about 4 ms). */
uint64_t hip_reg_lifetime_ms(uint8_t x);
/* The smallest Lifetime value that lasts at least seconds (0 for 0, 255 above
 * the largest, about 178 days). */
uint8_t hip_reg_lifetime_encode(uint32_t seconds);

/* ---- overlay routing (RFC 6079 6, RFC 6028 4.1): params_overlay.c ---- */

/* "The ROUTE_DST and ROUTE_VIA parameters SHALL NOT contain more than 32 HITs" */
#define HIP_ROUTE_MAX_HITS 32
/* OVERLAY_ID: the instance defines the length (RFC 6079 6.1); ours carries 4
 * octets (RFC 7086 5.1), longer ones are accepted up to this bound */
#define HIP_OVERLAY_ID_MAX 64

/* ROUTE_DST (at least one HIT) and ROUTE_VIA (maybe none): flags and HITs. */
struct hip_p_route {
	uint16_t flags; /* HIP_ROUTE_SYMMETRIC, HIP_ROUTE_MUST_FOLLOW, others kept as received */
	struct in6_addr hits[HIP_ROUTE_MAX_HITS];
	size_t n;
};

/* Decodes ROUTE_DST or ROUTE_VIA (p->type says which: a ROUTE_DST without HITs
 * is -HIPW_EPARAM). Length must be 4 + 16 * n with n <= 32; Reserved is ignored. */
int hip_p_route_decode(const struct hip_param *p, struct hip_p_route *out);
/* type is HIP_PARAM_ROUTE_DST (n >= 1) or HIP_PARAM_ROUTE_VIA; n <= 32 */
int hip_p_route_encode(struct wbuf *w, uint16_t type, const struct hip_p_route *v);
/* OVERLAY_ID: *id points into the packet, 1..HIP_OVERLAY_ID_MAX octets. */
int hip_p_overlay_id_decode(const struct hip_param *p, const uint8_t **id, size_t *len);
int hip_p_overlay_id_encode(struct wbuf *w, const uint8_t *id, size_t len);
/* OVERLAY_TTL: Length 4, TTL then Reserved (ignored). */
int hip_p_overlay_ttl_decode(const struct hip_param *p, uint16_t *ttl);
int hip_p_overlay_ttl_encode(struct wbuf *w, uint16_t ttl);

/* The Notification Data of an overlay hop's error NOTIFY: OVERLAY_TTL_EXCEEDED
 * (RFC 6079 6.2: "the HIP header and the TRANSACTION_ID parameter (if one
 * exists)") and UNKNOWN_NEXT_HOP (RFC 6028 3.3: "the HIP header of the rejected
 * packet and the ROUTE_DST parameter"). Ours is the rejected packet's 40-byte
 * header as received, then that one parameter as it was on the wire (Type,
 * Length, contents, padding). */
struct hip_ntf_pkt {
	uint8_t type;		/* packet type of the rejected packet */
	struct in6_addr hit_s;	/* its sender: the NOTIFY's receiver */
	struct in6_addr hit_r;	/* the receiver it did not reach */
	struct hip_param param; /* type 0 when none; off counts from the start of the data */
};

/* Writes m's header and, when m holds one, its first parameter of type
 * param_type (found in the raw packet, so also a type hipd does not parse, such
 * as TRANSACTION_ID); param_type 0 for the header alone. 0 or -ENOBUFS. */
int hip_ntf_pkt_encode(struct wbuf *w, const struct hip_msg *m, uint16_t param_type);
/* Reads Notification Data written so: -HIPW_ETRUNC when shorter than a HIP
 * header; -HIPW_EPARAM for a parameter that is cut or empty, or followed by
 * anything but its own padding (which may be absent). */
int hip_ntf_pkt_decode(const uint8_t *data, size_t len, struct hip_ntf_pkt *out);

int hip_p_r1_counter_encode(struct wbuf *w, const struct hip_p_r1_counter *v);
int hip_p_puzzle_encode(struct wbuf *w, const struct hip_p_puzzle *v);
int hip_p_solution_encode(struct wbuf *w, const struct hip_p_solution *v);
/* type is HIP_PARAM_DH_GROUP_LIST or HIP_PARAM_HIT_SUITE_LIST */
int hip_p_list8_encode(struct wbuf *w, uint16_t type, const struct hip_p_list8 *v);
/* type is HIP_PARAM_HIP_CIPHER or HIP_PARAM_TRANSPORT_FORMAT_LIST */
int hip_p_list16_encode(struct wbuf *w, uint16_t type, const struct hip_p_list16 *v);
int hip_p_dh_encode(struct wbuf *w, const struct hip_p_dh *v);
int hip_p_host_id_encode(struct wbuf *w, const struct hip_p_host_id *v);
int hip_p_encrypted_encode(struct wbuf *w, const struct hip_p_encrypted *v);
/* type is HIP_PARAM_HIP_SIGNATURE or HIP_PARAM_HIP_SIGNATURE_2 */
int hip_p_signature_encode(struct wbuf *w, uint16_t type, const struct hip_p_signature *v);
/* type is HIP_PARAM_HIP_MAC, HIP_PARAM_HIP_MAC_2 or HIP_PARAM_RELAY_HMAC (RFC 5770
 * 5.8: the same contents as HIP_MAC, RFC 8004 4.2.1) */
int hip_p_mac_encode(struct wbuf *w, uint16_t type, const uint8_t *mac, size_t mac_len);
int hip_p_notification_encode(struct wbuf *w, const struct hip_p_notification *v);
int hip_p_esp_info_encode(struct wbuf *w, const struct hip_p_esp_info *v);
int hip_p_esp_transform_encode(struct wbuf *w, const struct hip_p_list16 *v);
int hip_p_seq_encode(struct wbuf *w, uint32_t update_id);
int hip_p_ack_encode(struct wbuf *w, const struct hip_p_ack *v);
int hip_p_cert_encode(struct wbuf *w, const struct hip_p_cert *v);
/* type is one of the four ECHO_* types */
int hip_p_echo_encode(struct wbuf *w, uint16_t type, const uint8_t *data, size_t len);

#endif
