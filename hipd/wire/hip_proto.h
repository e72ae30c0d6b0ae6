/* HIP protocol numbers: packet types, parameter types, algorithm and suite IDs,
 * NOTIFY types, registration types (RFC 7401, 7402, 5770, 8003, 6028, 6079). Constants only, no
 * code. */
#ifndef HIPSIP_HIP_PROTO_H
#define HIPSIP_HIP_PROTO_H

#define HIP_PROTO	   139	 /* IP protocol number of HIP */
#define HIP_UDP_PORT	   10500 /* RFC 5770 */
#define HIP_VERSION	   2
#define HIP_HDR_LEN	   40
#define HIP_MAX_PACKET_LEN 2048 /* (255 + 1) * 8: the header length field's limit */

/* RFC 7401 section 5.3, RFC 7402, RFC 8046 */
enum hip_packet_type {
	HIP_I1 = 1,
	HIP_R1 = 2,
	HIP_I2 = 3,
	HIP_R2 = 4,
	HIP_UPDATE = 16,
	HIP_NOTIFY = 17,
	HIP_CLOSE = 18,
	HIP_CLOSE_ACK = 19,
};

/* Parameter types: RFC 7401 section 5.2, RFC 7402 section 5.1, RFC 5770 section 5,
 * RFC 8003 section 4 */
enum hip_param_type {
	HIP_PARAM_ESP_INFO = 65,
	HIP_PARAM_R1_COUNTER = 129,
	HIP_PARAM_LOCATOR_SET = 193,
	HIP_PARAM_PUZZLE = 257,
	HIP_PARAM_SOLUTION = 321,
	HIP_PARAM_SEQ = 385,
	HIP_PARAM_ACK = 449,
	HIP_PARAM_DH_GROUP_LIST = 511,
	HIP_PARAM_DIFFIE_HELLMAN = 513,
	HIP_PARAM_HIP_CIPHER = 579,
	HIP_PARAM_NAT_TRAVERSAL_MODE = 608,
	HIP_PARAM_TRANSACTION_PACING = 610,
	HIP_PARAM_ENCRYPTED = 641,
	HIP_PARAM_HOST_ID = 705,
	HIP_PARAM_HIT_SUITE_LIST = 715,
	HIP_PARAM_CERT = 768,
	HIP_PARAM_NOTIFICATION = 832,
	HIP_PARAM_ECHO_REQUEST_SIGNED = 897,
	HIP_PARAM_REG_INFO = 930,
	HIP_PARAM_REG_REQUEST = 932,
	HIP_PARAM_REG_RESPONSE = 934,
	HIP_PARAM_REG_FAILED = 936,
	HIP_PARAM_REG_FROM = 950, /* signed: the only one of the three addresses (RFC 5770 5.6) */
	HIP_PARAM_ECHO_RESPONSE_SIGNED = 961,
	HIP_PARAM_TRANSPORT_FORMAT_LIST = 2049,
	HIP_PARAM_ESP_TRANSFORM = 4095,
	/* RFC 6079 6.1 and RFC 6028 4.1: inside the signed range, so the
	 * originator's signature covers them and no hop may change them */
	HIP_PARAM_OVERLAY_ID = 4592,
	HIP_PARAM_ROUTE_DST = 4601,
	HIP_PARAM_HIP_MAC = 61505,
	HIP_PARAM_HIP_MAC_2 = 61569,
	HIP_PARAM_HIP_SIGNATURE_2 = 61633,
	HIP_PARAM_HIP_SIGNATURE = 61697,
	HIP_PARAM_ECHO_RESPONSE_UNSIGNED = 63425,
	HIP_PARAM_ECHO_REQUEST_UNSIGNED = 63661,
	/* RFC 5770 5.6, 5.8: after the signatures, in the "rendezvous and
	 * relaying" range (RFC 7401 5.2), so a relay can add them to signed
	 * packets; RELAY_HMAC protects them instead (RFC 8004 4.2.1) */
	HIP_PARAM_RELAY_FROM = 63998,
	HIP_PARAM_RELAY_TO = 64002,
	/* RFC 6079 6.2 and RFC 6028 4: after the signatures, so each hop can
	 * decrement the TTL and append itself to the Via list */
	HIP_PARAM_OVERLAY_TTL = 64011,
	HIP_PARAM_ROUTE_VIA = 64017,
	HIP_PARAM_RELAY_HMAC = 65520,
};

/* RFC 6078 4.4: TRANSACTION_ID (non-critical). Not a type hipd parses (skipped
 * as unknown, so not in enum hip_param_type); a hop only copies it into the
 * Notification Data of OVERLAY_TTL_EXCEEDED (RFC 6079 6.2). */
#define HIP_PARAM_TRANSACTION_ID 4580

/* HI algorithms, RFC 7401 section 5.2.9 (EdDSA: RFC 9374) */
enum hip_hi_algorithm {
	HIP_HI_DSA = 3,
	HIP_HI_RSA = 5,
	HIP_HI_ECDSA = 7,
	HIP_HI_ECDSA_LOW = 9,
	HIP_HI_EDDSA = 13,
};

enum hip_ecc_curve {
	HIP_CURVE_NIST_P256 = 1,
	HIP_CURVE_NIST_P384 = 2,
	HIP_CURVE_SECP160R1 = 1, /* with HIP_HI_ECDSA_LOW */
};

/* HIT suites, RFC 7401 section 5.2.10; the ID is also the ORCHID OGA ID */
enum hip_hit_suite {
	HIP_SUITE_RSA_DSA_SHA256 = 1,
	HIP_SUITE_ECDSA_SHA384 = 2,
	HIP_SUITE_ECDSA_LOW_SHA1 = 3,
};

/* DH groups, RFC 7401 section 5.2.7 */
enum hip_dh_group_id {
	HIP_DH_MODP_1536 = 3,
	HIP_DH_MODP_3072 = 4,
	HIP_DH_NIST_P256 = 7,
	HIP_DH_NIST_P384 = 8,
	HIP_DH_NIST_P521 = 9,
	HIP_DH_SECP160R1 = 10,
	HIP_DH_MODP_2048 = 11,
};

/* HIP_CIPHER suites, RFC 7401 section 5.2.8 */
enum hip_cipher_id {
	HIP_CIPHER_NULL = 1,
	HIP_CIPHER_AES128_CBC = 2,
	HIP_CIPHER_AES256_CBC = 4,
};

/* ESP_TRANSFORM suites, RFC 7402 section 5.1.2 */
enum hip_esp_suite {
	HIP_ESP_AES128_CBC_SHA1 = 1,
	HIP_ESP_NULL_SHA256 = 7,
	HIP_ESP_AES128_CBC_SHA256 = 8,
	HIP_ESP_AES256_CBC_SHA256 = 9,
	HIP_ESP_AES_CCM_8 = 10,
	HIP_ESP_AES_CCM_16 = 11,
	HIP_ESP_AES_GCM_8 = 12,
	HIP_ESP_AES_GCM_16 = 13,
	HIP_ESP_AES_CMAC_96 = 14,
	HIP_ESP_AES_GMAC = 15,
};

/* NOTIFICATION message types, RFC 7401 section 5.2.19 */
enum hip_notify_type {
	HIP_NTF_UNSUPPORTED_CRITICAL_PARAMETER_TYPE = 1,
	HIP_NTF_INVALID_SYNTAX = 7,
	HIP_NTF_NO_DH_PROPOSAL_CHOSEN = 14,
	HIP_NTF_INVALID_DH_CHOSEN = 15,
	HIP_NTF_NO_HIP_PROPOSAL_CHOSEN = 16,
	HIP_NTF_INVALID_HIP_CIPHER_CHOSEN = 17,
	HIP_NTF_UNSUPPORTED_HIT_SUITE = 20,
	HIP_NTF_AUTHENTICATION_FAILED = 24,
	HIP_NTF_CHECKSUM_FAILED = 26,
	HIP_NTF_HIP_MAC_FAILED = 28,
	HIP_NTF_ENCRYPTION_FAILED = 32,
	HIP_NTF_INVALID_HIT = 40,
	HIP_NTF_BLOCKED_BY_POLICY = 42,
	HIP_NTF_REG_REQUIRED = 51, /* RFC 8003 3.2 */
	HIP_NTF_RESPONDER_BUSY_PLEASE_RETRY = 44,
	HIP_NTF_NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER = 60, /* RFC 5770 5.10 */
	HIP_NTF_CONNECTIVITY_CHECKS_FAILED = 61,
	HIP_NTF_MESSAGE_NOT_RELAYED = 62,
	HIP_NTF_OVERLAY_TTL_EXCEEDED = 70, /* RFC 6079 6.2 */
	HIP_NTF_UNKNOWN_NEXT_HOP = 90,	   /* RFC 6028 3.3 */
	HIP_NTF_I2_ACKNOWLEDGEMENT = 16384,
};

/* NAT traversal mode IDs, RFC 5770 section 5.4 */
enum hip_nat_mode {
	HIP_NAT_MODE_UDP_ENCAP = 1,
	HIP_NAT_MODE_ICE_STUN_UDP = 2,
};

/* Registration types (RFC 8003 4, RFC 8004 4.1, RFC 5770 5.9) */
enum hip_reg_type {
	HIP_REG_RENDEZVOUS = 1,
	HIP_REG_RELAY_UDP_HIP = 2,
};

/* REG_FAILED Failure Types (RFC 8003 4.5) */
enum hip_reg_failure {
	HIP_REG_FAIL_CREDENTIALS = 0, /* registration requires additional credentials */
	HIP_REG_FAIL_UNAVAILABLE = 1, /* registration type unavailable */
	HIP_REG_FAIL_RESOURCES = 2,   /* insufficient resources */
	HIP_REG_FAIL_CERTIFICATE = 3, /* invalid certificate */
};

/* LOCATOR_SET (RFC 8046 4, RFC 5770 5.7): locator types, traffic types, kinds */
enum hip_locator_type {
	HIP_LOCATOR_IPV6 = 0,	   /* an IPv6 (or IPv4-mapped) address */
	HIP_LOCATOR_ESP_IPV6 = 1,  /* ESP SPI + address */
	HIP_LOCATOR_TRANSPORT = 2, /* RFC 5770: port, protocol, kind, priority, SPI, address */
};

enum hip_locator_traffic {
	HIP_LOCATOR_TRAFFIC_BOTH = 0,
	HIP_LOCATOR_TRAFFIC_SIGNALING = 1,
	HIP_LOCATOR_TRAFFIC_DATA = 2,
};

enum hip_locator_kind {
	HIP_LOCATOR_KIND_HOST = 0,
	HIP_LOCATOR_KIND_SRFLX = 1,
	HIP_LOCATOR_KIND_PRFLX = 2,
	HIP_LOCATOR_KIND_RELAY = 3,
};

/* ROUTE_DST and ROUTE_VIA flags (RFC 6028 4.1, Table 1): bit position 0 is
 * the most significant bit of the 16-bit Flags field */
#define HIP_ROUTE_SYMMETRIC   0x8000
#define HIP_ROUTE_MUST_FOLLOW 0x4000

/* RFC 7401 section 5.1: the A (anonymous) control bit */
#define HIP_CONTROL_ANONYMOUS 0x0001

#endif
