/* STUN messages (RFC 8489) with the TURN (RFC 8656) and ICE (RFC 8445) attributes:
 * a checked parser, a builder, MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT. No I/O. */
#ifndef HIPSIP_ICE_STUN_H
#define HIPSIP_ICE_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/cursor.h"

#define STUN_HDR_LEN   20
#define STUN_MAGIC     0x2112A442u
#define STUN_TID_LEN   12
#define STUN_MAX_ATTRS 40
#define STUN_MAX_MSG   1500 /* what we build and accept over UDP */
#define STUN_FP_XOR    0x5354554Eu

/* Classes (RFC 8489 5). */
enum stun_class { STUN_REQUEST = 0, STUN_INDICATION = 1, STUN_SUCCESS = 2, STUN_ERROR = 3 };

/* Methods (RFC 8489 18.2, RFC 8656 17). */
#define STUN_BINDING	       0x001
#define STUN_ALLOCATE	       0x003
#define STUN_REFRESH	       0x004
#define STUN_SEND	       0x006
#define STUN_DATA	       0x007
#define STUN_CREATE_PERMISSION 0x008
#define STUN_CHANNEL_BIND      0x009

/* Attributes (RFC 8489 18.3, RFC 8656 18, RFC 8445 16.1). */
#define STUN_A_MAPPED_ADDRESS		0x0001
#define STUN_A_USERNAME			0x0006
#define STUN_A_MESSAGE_INTEGRITY	0x0008
#define STUN_A_ERROR_CODE		0x0009
#define STUN_A_UNKNOWN_ATTRIBUTES	0x000A
#define STUN_A_CHANNEL_NUMBER		0x000C
#define STUN_A_LIFETIME			0x000D
#define STUN_A_XOR_PEER_ADDRESS		0x0012
#define STUN_A_DATA			0x0013
#define STUN_A_REALM			0x0014
#define STUN_A_NONCE			0x0015
#define STUN_A_XOR_RELAYED_ADDRESS	0x0016
#define STUN_A_REQUESTED_ADDR_FAMILY	0x0017
#define STUN_A_EVEN_PORT		0x0018
#define STUN_A_REQUESTED_TRANSPORT	0x0019
#define STUN_A_DONT_FRAGMENT		0x001A
#define STUN_A_MESSAGE_INTEGRITY_SHA256 0x001C
#define STUN_A_PASSWORD_ALGORITHM	0x001D
#define STUN_A_USERHASH			0x001E
#define STUN_A_XOR_MAPPED_ADDRESS	0x0020
#define STUN_A_RESERVATION_TOKEN	0x0022
#define STUN_A_PRIORITY			0x0024
#define STUN_A_USE_CANDIDATE		0x0025
#define STUN_A_ADDITIONAL_ADDR_FAMILY	0x8000
#define STUN_A_ADDRESS_ERROR_CODE	0x8001
#define STUN_A_PASSWORD_ALGORITHMS	0x8002
#define STUN_A_ALTERNATE_DOMAIN		0x8003
#define STUN_A_ICMP			0x8004
#define STUN_A_SOFTWARE			0x8022
#define STUN_A_ALTERNATE_SERVER		0x8023
#define STUN_A_FINGERPRINT		0x8028
#define STUN_A_ICE_CONTROLLED		0x8029
#define STUN_A_ICE_CONTROLLING		0x802A

/* PASSWORD-ALGORITHM values (RFC 8489 18.5). */
#define STUN_PWALG_MD5	  0x0001
#define STUN_PWALG_SHA256 0x0002

/* Comprehension-required attributes have types below 0x8000 (RFC 8489 15). */
#define STUN_ATTR_REQUIRED(t) ((t) < 0x8000)

struct stun_attr {
	uint16_t type;
	uint16_t len; /* value length, without padding */
	uint16_t off; /* offset of the value from the start of the message */
};

/* A parsed message: a view into the caller's buffer, which must outlive it. */
struct stun_msg {
	const uint8_t *buf;
	size_t len; /* header + attributes */
	uint16_t method;
	uint8_t cls;
	uint8_t tid[STUN_TID_LEN];
	size_t n_attrs;
	struct stun_attr attrs[STUN_MAX_ATTRS];
	int mi, mi256, fp; /* indexes into attrs of MESSAGE-INTEGRITY(-SHA256), FINGERPRINT; -1 */
};

/* Cheap demultiplexing test (RFC 8489 5/7, RFC 5770 5.3): top two bits zero,
 * the magic cookie, a length that is a multiple of 4 and matches len. 1 or 0. */
int stun_looks_like(const void *buf, size_t len);

/* Parses and checks the framing: header, attribute TLVs with padding, no
 * attribute after FINGERPRINT, only MESSAGE-INTEGRITY-SHA256/FINGERPRINT after
 * MESSAGE-INTEGRITY, a correct FINGERPRINT when there is one. Integrity is not
 * checked here (the key depends on the message). 0 or -EBADMSG. */
int stun_parse(struct stun_msg *m, const void *buf, size_t len);

/* The first attribute of this type, or NULL. */
const struct stun_attr *stun_find(const struct stun_msg *m, uint16_t type);

/* Typed readers of one attribute; each returns 0 or -EBADMSG (wrong length,
 * family or content). Addresses come out as sockaddr_in/sockaddr_in6. */
int stun_get_xor_addr(const struct stun_msg *m, const struct stun_attr *a,
		      struct sockaddr_storage *out);
int stun_get_addr(const struct stun_msg *m, const struct stun_attr *a,
		  struct sockaddr_storage *out);
int stun_get_u32(const struct stun_msg *m, const struct stun_attr *a, uint32_t *v);
int stun_get_u64(const struct stun_msg *m, const struct stun_attr *a, uint64_t *v);
/* ERROR-CODE: code = class * 100 + number (300..699); reason as a pointer into
 * the message with its length (UTF-8, not NUL-terminated). */
int stun_get_error(const struct stun_msg *m, const struct stun_attr *a, int *code,
		   const char **reason, size_t *reason_len);
/* A view of the value (USERNAME, REALM, NONCE, SOFTWARE, DATA ...). */
int stun_get_bytes(const struct stun_msg *m, const struct stun_attr *a, const uint8_t **v,
		   size_t *len);
/* Comprehension-required attribute types in m that are not in known[] (n_known),
 * for a 420 reply; returns how many were written to out (at most cap). */
size_t stun_unknown_required(const struct stun_msg *m, const uint16_t *known, size_t n_known,
			     uint16_t *out, size_t cap);

/* Integrity keys (RFC 8489 9.1.1, 9.2.2): the short-term key is the password
 * itself (given as opaque bytes: OpaqueString profile is the caller's); the
 * long-term key is MD5 or SHA-256 of "username:realm:password". key must hold
 * 32 bytes; *key_len is set. 0, -EINVAL, -EIO. */
int stun_key_long_term(uint16_t pwalg, const char *user, const char *realm, const char *pass,
		       uint8_t *key, size_t *key_len);

/* Checks MESSAGE-INTEGRITY-SHA256 when present, else MESSAGE-INTEGRITY, over the
 * bytes the RFC names (RFC 8489 14.5, 14.6). 0 good; -ENOENT neither present;
 * -EACCES wrong. Constant-time comparison. */
int stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t key_len);

/* Builder. Each stun_put_* appends one attribute with zero padding; errors
 * stick (see struct wbuf) and stun_finish reports them. */
struct stun_builder {
	struct wbuf w;
};

void stun_build_init(struct stun_builder *b, void *buf, size_t cap, uint16_t method, uint8_t cls,
		     const uint8_t tid[STUN_TID_LEN]);
int stun_put(struct stun_builder *b, uint16_t type, const void *val, size_t len);
int stun_put_u32(struct stun_builder *b, uint16_t type, uint32_t v);
int stun_put_u64(struct stun_builder *b, uint16_t type, uint64_t v);
int stun_put_flag(struct stun_builder *b, uint16_t type); /* zero-length (USE-CANDIDATE) */
int stun_put_xor_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa);
int stun_put_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa);
int stun_put_error(struct stun_builder *b, int code, const char *reason);
int stun_put_text(struct stun_builder *b, uint16_t type, const char *s);
/* MESSAGE-INTEGRITY (HMAC-SHA1, 20 bytes) / -SHA256 (32 bytes) over the message
 * so far, with the header length counting the attribute being added. */
int stun_put_integrity(struct stun_builder *b, const uint8_t *key, size_t key_len);
int stun_put_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t key_len);
int stun_put_fingerprint(struct stun_builder *b);
/* Writes the final length field; 0 with *len set, or the first error. */
int stun_finish(struct stun_builder *b, size_t *len);

/* A fresh random transaction ID (OpenSSL RAND_bytes). 0 or -EIO. */
int stun_new_tid(uint8_t tid[STUN_TID_LEN]);

/* Names for logs: "Binding", "Allocate" ...; "request", "success" ... */
const char *stun_method_name(uint16_t method);
const char *stun_class_name(uint8_t cls);

#endif
