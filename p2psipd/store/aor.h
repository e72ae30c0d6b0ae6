/* Overlay records of p2psipd: the signed SIP registration (AOR -> HIT) and the STUN/TURN server
 * announcement, their byte formats and checks. Not storage (store.h) nor P2PP framing. */
#ifndef HIPSIP_AOR_H
#define HIPSIP_AOR_H

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hostid.h"
#include "p2psipd/chord/id.h"

/* ---- SIP registration record ----
 *
 * Stored as the Resource-Value of a Resource-Object with Cont-Type User-Info
 * (P2PP_CT_USER_INFO) under the key aor_key(AOR), owner = the HIT. It carries its own
 * signature and public host identity, so it verifies wherever it travels (replicas, handover)
 * without the P2PP Signature/Certificate sub-objects. Byte format, network order:
 *
 *   u8   version             1
 *   u8   flags               0 (others: malformed)
 *   u16  aor_len             1..AOR_MAX
 *   ...  aor                 the AOR text (e.g. "sip:alice@overlay"), no NUL byte
 *   16   hit                 the owner's HIT
 *   u64  expires             absolute expiry, seconds since the Unix epoch
 *   u16  hi_algorithm        RFC 7401 5.2.9 (5 RSA, 7 ECDSA)
 *   u16  hi_len              1..HOSTID_HI_MAX
 *   ...  hi                  the Host Identity field of HOST_ID (RFC 7401 5.2.9)
 *   u16  sig_len             1..HOSTID_SIG_MAX
 *   ...  sig                 hostid_sign over AOR_SIG_CONTEXT (its 16 bytes, no NUL) followed by
 *                            every byte above (version .. hi), the record's "body"
 *
 * Nothing may follow the signature. The context string keeps a host identity's AOR signatures
 * apart from its HIP signatures.
 *
 * aor_verify checks, in this order: the format (-EBADMSG; an HI hostid cannot read is -EBADMSG,
 * an unknown HI algorithm -EOPNOTSUPP), HIT == ORCHID(HI) (AOR_ERR_HIT), the signature with that
 * HI (AOR_ERR_SIG), expires > now (AOR_ERR_EXPIRED); optionally that the record is the one
 * looked up (AOR_ERR_KEY). Who may own an AOR is first come, first served: the store refuses a
 * signed put by another owner (HIT) while a record lives (store.h). */
#define AOR_MAX		255
#define AOR_VERSION	1
#define AOR_SIG_CONTEXT "hipsip-aor-v1\0\0\0" /* 16 bytes */
#define AOR_RECORD_MAX	(4 + AOR_MAX + 16 + 8 + 4 + HOSTID_HI_MAX + 2 + HOSTID_SIG_MAX)

#define AOR_ERR_MALFORMED (-EBADMSG)
#define AOR_ERR_SIG	  (-EKEYREJECTED) /* the signature does not verify with the HI */
#define AOR_ERR_HIT	  (-EACCES)	  /* the HIT is not the HI's ORCHID */
#define AOR_ERR_EXPIRED	  (-ETIME)
#define AOR_ERR_KEY	  (-ENOENT) /* the record's AOR is not the one looked up */

struct aor_record {
	char aor[AOR_MAX + 1]; /* NUL-terminated */
	size_t aor_len;
	struct in6_addr hit;
	uint64_t expires;
	uint16_t hi_algorithm;
	uint8_t hi[HOSTID_HI_MAX];
	size_t hi_len;
	uint8_t sig[HOSTID_SIG_MAX];
	size_t sig_len;
};

/* The record's key: store_key_from_string of the AOR text. */
int aor_key(const char *aor, struct chord_id *out);

/* Serializes rec's body as given (aor, hit, expires, hi_algorithm, hi) and signs it with signer
 * (which needs its private key); rec->sig is ignored. Lets tests build forged records.
 * 0; -EINVAL (bad field); -ENOBUFS; errors of hostid_sign. */
int aor_encode(const struct aor_record *rec, const struct hostid *signer, uint8_t *buf, size_t cap,
	       size_t *len);

/* The owner's record: HIT and HI taken from id. AOR text is NUL-terminated. */
int aor_sign(const struct hostid *id, const char *aor, uint64_t expires, uint8_t *buf, size_t cap,
	     size_t *len);

/* Reads the format only (no crypto): 0 or -EBADMSG. */
int aor_parse(const uint8_t *buf, size_t len, struct aor_record *out);

/* Parses and checks a record as a lookup must (order above). want_aor: the AOR that was looked
 * up, or NULL. out may be NULL; on success it holds the record. */
int aor_verify(const uint8_t *buf, size_t len, uint64_t now, const char *want_aor,
	       struct aor_record *out);

/* A message for aor_verify's errors. */
const char *aor_strerror(int err);

/* ---- STUN/TURN server announcement ----
 *
 * A peer that runs or knows a STUN or TURN server publishes it under SRVANN_KEY's key with
 * Cont-Type P2PP_CT_STUN or P2PP_CT_TURN (owner = the publisher's HIT; the store keeps one
 * record per publisher). Not signed: an announcement is a hint, and a bogus one costs a failed
 * STUN/TURN exchange (TURN needs credentials, ICE checks are authenticated end to end), which
 * the client notices and moves on from. Byte format:
 *
 *   u8   version     1
 *   u8   kind        1 STUN, 2 TURN
 *   u8   ip_version  4 or 6
 *   u8   realm_len   0..SRVANN_REALM_MAX (0: none)
 *   u16  port        not 0
 *   ...  ip          4 or 16 bytes
 *   ...  realm       the TURN realm text, no NUL byte
 *
 * Nothing may follow. */
#define SRVANN_KEY	 "p2psip:stun-turn"
#define SRVANN_VERSION	 1
#define SRVANN_REALM_MAX 127
#define SRVANN_MAX	 (6 + 16 + SRVANN_REALM_MAX)

enum srvann_kind {
	SRVANN_STUN = 1,
	SRVANN_TURN = 2,
};

struct srvann {
	uint8_t kind;	    /* enum srvann_kind */
	uint8_t ip_version; /* 4 or 6 */
	uint8_t ip[16];
	uint16_t port;
	char realm[SRVANN_REALM_MAX + 1]; /* NUL-terminated; "" for none */
};

int srvann_key(struct chord_id *out);
/* 0; -EINVAL (bad field); -ENOBUFS. */
int srvann_encode(const struct srvann *a, uint8_t *buf, size_t cap, size_t *len);
/* 0 or -EBADMSG. */
int srvann_parse(const uint8_t *buf, size_t len, struct srvann *out);

#endif
