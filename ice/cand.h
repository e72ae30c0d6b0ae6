/* ICE candidates (RFC 8445 5.1): types, priorities, foundations, and their text
 * form in SDP (RFC 8839 5.1, "candidate:..." and ice-ufrag/ice-pwd). No I/O. */
#ifndef HIPSIP_ICE_CAND_H
#define HIPSIP_ICE_CAND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum ice_cand_type { ICE_HOST, ICE_SRFLX, ICE_PRFLX, ICE_RELAY };

#define ICE_FOUNDATION_MAX 32 /* 1*32 ice-char (RFC 8839 5.1) */
#define ICE_UFRAG_MAX	   256
#define ICE_PWD_MAX	   256

struct ice_cand {
	enum ice_cand_type type;
	unsigned component; /* 1..256 */
	uint32_t priority;
	char foundation[ICE_FOUNDATION_MAX + 1];
	struct sockaddr_storage addr; /* transport address (UDP only) */
	/* Local candidates: the base (RFC 8445 5.1.1): a host or relayed
	 * candidate is its own base; a server- or peer-reflexive one has the
	 * address of the host (or relayed) candidate it was learned from.
	 * Remote candidates: unused (family 0). */
	struct sockaddr_storage base;
	struct sockaddr_storage related; /* raddr/rport for srflx/prflx/relay; family 0 if none */
};

/* Type preferences recommended by RFC 8445 5.1.2.2. */
#define ICE_TYPEPREF_HOST  126
#define ICE_TYPEPREF_PRFLX 110
#define ICE_TYPEPREF_SRFLX 100
#define ICE_TYPEPREF_RELAY 0

#define ICE_LOCALPREF_MAX 65535 /* the one host address, or the first of several */

uint32_t ice_priority(unsigned type_pref, unsigned local_pref, unsigned component);
unsigned ice_type_pref(enum ice_cand_type type);
const char *ice_cand_type_name(enum ice_cand_type type); /* "host", "srflx", "prflx", "relay" */

/* The local preference of a candidate, from its priority (bits 8..23). */
unsigned ice_local_pref_of(uint32_t priority);

/* Local preferences for n host addresses (RFC 8445 5.1.2.1: unique per
 * address, 65535 for a single one): in the spirit of RFC 8421, global IPv6
 * first, then IPv4, then IPv6 link-local, each group in the order given;
 * prefs[i] = 65535 - rank of addrs[i]. At most 65536 addresses. */
void ice_local_prefs(const struct sockaddr_storage *addrs, size_t n, unsigned *prefs);

/* Foundation (RFC 8445 5.1.1.3): equal for candidates of the same type whose
 * bases have the same IP address and (reflexive and relayed types) whose
 * STUN/TURN servers have the same IP address; ports are ignored, the
 * transport is always UDP. server may be NULL (host). A deterministic string
 * of 8 ice-chars (a hash: two different inputs colliding is as unlikely as
 * 2^-48 and would only merge two foundations in the Frozen algorithm). */
void ice_foundation(enum ice_cand_type type, const struct sockaddr *base,
		    const struct sockaddr *server, char out[ICE_FOUNDATION_MAX + 1]);

/* Local candidate constructors: type, component, priority from
 * ice_priority(type pref, local_pref, component), foundation, base and
 * related address filled in. 0 or -EINVAL (component outside 1..256,
 * local_pref above 65535, an address that is not IPv4/IPv6 with a port). */
int ice_cand_host(struct ice_cand *c, unsigned component, const struct sockaddr *addr,
		  unsigned local_pref);
/* mapped: XOR-MAPPED-ADDRESS the STUN server at server saw from base. */
int ice_cand_srflx(struct ice_cand *c, unsigned component, const struct sockaddr *mapped,
		   const struct sockaddr *base, const struct sockaddr *server, unsigned local_pref);
/* relayed: XOR-RELAYED-ADDRESS of an allocation on the TURN server at server;
 * mapped: the XOR-MAPPED-ADDRESS of the Allocate response (the related
 * address, RFC 8839 5.1), may be NULL. The base is the relayed address. */
int ice_cand_relay(struct ice_cand *c, unsigned component, const struct sockaddr *relayed,
		   const struct sockaddr *mapped, const struct sockaddr *server,
		   unsigned local_pref);
/* A local peer-reflexive candidate (RFC 8445 7.2.5.3.1): mapped from a check
 * sent from base to peer, priority = the PRIORITY sent in that check. */
int ice_cand_prflx(struct ice_cand *c, unsigned component, const struct sockaddr *mapped,
		   const struct sockaddr *base, const struct sockaddr *peer, uint32_t priority);

/* Eliminates redundant candidates (RFC 8445 5.1.3): of two candidates of the
 * same component with the same transport address and the same base, the one
 * with the lower priority goes. Compacts c[] in place, keeping the order of
 * the rest; returns the new count. */
size_t ice_cands_eliminate_redundant(struct ice_cand *c, size_t n);

/* SDP text (RFC 8839 5.1):
 *   candidate:FOUNDATION COMPONENT UDP PRIORITY ADDR PORT typ TYPE [raddr A rport P]
 * ice_cand_format writes that (without "a=") NUL-terminated into buf and
 * returns its length, -ENOSPC if it does not fit, or -EINVAL for a candidate
 * that cannot be written (bad foundation, component, priority or address). */
#define ICE_CAND_TEXT_MAX 200 /* longest line ice_cand_format writes, with its NUL */
int ice_cand_format(const struct ice_cand *c, char *buf, size_t len);

/* Parses one candidate line of len bytes from an untrusted peer: with or
 * without a leading "a=" and "candidate:", optionally ending in CRLF or LF.
 * Literal words (UDP, typ, host, raddr ...) are case-insensitive (RFC 5234
 * 2.3); extension name/value pairs after the type are checked and ignored
 * (RFC 8839 5.1). *out is zeroed and filled; its base stays family 0.
 * Returns 0, or:
 *   -EINVAL           malformed (any field, a missing field, bad characters,
 *                     out of range, longer than ICE_CAND_LINE_MAX bytes);
 *   -EPROTONOSUPPORT  a well-formed candidate for a transport other than UDP;
 *   -EAFNOSUPPORT     a well-formed candidate whose address is an FQDN;
 *   -EOPNOTSUPP       a well-formed candidate of an unknown type.
 * Callers skip lines with the last three (RFC 8839 5.1: "MUST ignore"). */
#define ICE_CAND_LINE_MAX 1024
int ice_cand_parse(const char *line, size_t len, struct ice_cand *out);

/* Username fragment and password (RFC 8839 5.4, RFC 8445 5.3). */
#define ICE_UFRAG_MIN	   4
#define ICE_PWD_MIN	   22
#define ICE_UFRAG_SEND_MAX 32 /* RFC 8839 5.4: longest ufrag we send */
#define ICE_UFRAG_NEW_LEN  8  /* what ice_creds_new makes: 48 random bits */
#define ICE_PWD_NEW_LEN	   24 /* 144 random bits (at least 128 required) */

struct ice_creds {
	char ufrag[ICE_UFRAG_MAX + 1];
	char pwd[ICE_PWD_MAX + 1];
};

/* Fresh random credentials (OpenSSL RAND_bytes). 0 or -EIO. */
int ice_creds_new(struct ice_creds *c);

/* Parse "a=ice-ufrag:VALUE", "ice-ufrag:VALUE" or a bare VALUE of len bytes
 * (optionally ending in CRLF or LF) into out (NUL-terminated): 4..256
 * ice-chars for a ufrag, 22..256 for a password. 0 or -EINVAL. */
int ice_ufrag_parse(const char *line, size_t len, char out[ICE_UFRAG_MAX + 1]);
int ice_pwd_parse(const char *line, size_t len, char out[ICE_PWD_MAX + 1]);

/* "ice-ufrag:VALUE" / "ice-pwd:VALUE" (without "a="): the length written, or
 * -EINVAL (a ufrag outside 4..32 ice-chars, a password outside 22..256) or
 * -ENOSPC. */
int ice_ufrag_format(const char *ufrag, char *buf, size_t len);
int ice_pwd_format(const char *pwd, char *buf, size_t len);

#endif
