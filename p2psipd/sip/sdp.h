/* SDP bodies for the B2BUA (RFC 8866, ICE attributes of RFC 8839) on libosip2's sdp_message:
 * bounded parse of untrusted bytes, the first audio stream read and rewritten, serialize.
 * Not an offer/answer engine: which SDP goes where, and when, is the B2BUA's business. */
#ifndef HIPSIP_SIP_SDP_H
#define HIPSIP_SIP_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ice/cand.h"

#define SDP_MAX_LEN	 65536 /* a body longer than a SIP message may be is refused */
#define SDP_MAX_LINES	 1024
#define SDP_MAX_PAYLOADS 128 /* RTP payload types are 0..127 */
#define SDP_MAX_CANDS	 32  /* candidates sdp_ice_get keeps (components 1 and 2) */

struct sdp; /* opaque: one parsed session description */

/* Parses len untrusted bytes (no NUL inside; lines ending in CRLF or LF, the last line's
 * end may be missing). Only "v=0" (RFC 8866 5.1). 0 with *out set, or -EMSGSIZE (longer
 * than SDP_MAX_LEN or more than SDP_MAX_LINES lines), -EBADMSG (not SDP as RFC 8866 9
 * has it, as far as libosip2 checks; the fields we use are checked when read), -ENOMEM. */
int sdp_parse(const void *buf, size_t len, struct sdp **out);
void sdp_free(struct sdp *s);

/* Writes the description (CRLF line ends) into buf with a NUL after it: the length
 * without the NUL, or -ENOSPC, -ENOMEM, -EBADMSG (libosip2 could not write it). */
int sdp_serialize(const struct sdp *s, char *buf, size_t cap);

/* The first "m=audio" stream. */
struct sdp_audio {
	unsigned index;		      /* its position among the m= lines, from 0 */
	bool disabled;		      /* port 0: a rejected or disabled stream (RFC 3264 8.2) */
	bool rtcp_attr;		      /* the RTCP port came from a=rtcp (RFC 3605) */
	struct sockaddr_storage rtp;  /* c= (the stream's, else the session's) and the m= port */
	struct sockaddr_storage rtcp; /* a=rtcp port [and address], else RTP port + 1 at the
				       * RTP address (RFC 3550 11); port 0 when disabled */
	char proto[24];		      /* "RTP/AVP", "RTP/SAVP", ... */
	unsigned n_payloads;
	uint8_t payloads[SDP_MAX_PAYLOADS]; /* the m= formats: RTP payload types, in order */
};

/* Reads the first audio stream. 0, or:
 *   -ENOENT           no m=audio;
 *   -EBADMSG          a field we use is malformed: port, payload type, c= missing (RFC 8866
 *                     5.7) or repeated in the stream, c= address, a=rtcp (twice, bad port
 *                     or address), RTP port 65535 without a=rtcp;
 *   -EOPNOTSUPP       well-formed but not relayable: multicast (a multicast address, TTL or
 *                     address count), a port count (m=audio P/N), nettype other than IN,
 *                     addrtype other than IP4/IP6;
 *   -EPROTONOSUPPORT  a transport other than RTP over UDP (RFC 8866 5.14 <proto>);
 *   -EAFNOSUPPORT     a domain name in place of an address (we resolve none). */
int sdp_audio_get(const struct sdp *s, struct sdp_audio *out);

/* The media direction (RFC 3264 5.1, 6.1; RFC 8866 6.7): a=sendrecv, sendonly, recvonly or
 * inactive of the first audio stream, else of the session, else sendrecv. */
enum sdp_direction {
	SDP_SENDRECV,
	SDP_SENDONLY,
	SDP_RECVONLY,
	SDP_INACTIVE,
};

/* The first audio stream's direction. 0 with *out, or -ENOENT (no m=audio). */
int sdp_audio_direction(const struct sdp *s, enum sdp_direction *out);

/* Points the first audio stream at rtp (address and port) and rtcp: every c= the stream
 * uses (its own and the session's) gets rtp's address (IN IP4/IP6), the m= line its
 * port; a=rtcp (RFC 3605) is written when there was one, when rtcp's port is not RTP + 1
 * or when rtcp's address differs from rtp's (then with the address), RFC 8866 5.14.
 * Everything else is kept. Checks the stream as sdp_audio_get does (same errors); -EINVAL
 * for addresses that are not IPv4/IPv6 or ports that are 0, -ENOMEM. The caller looks at
 * sdp_audio.disabled first: a disabled stream is not one to relay. */
int sdp_audio_set(struct sdp *s, const struct sockaddr *rtp, const struct sockaddr *rtcp);

/* Sets the port of every m= line but the first audio one to 0 (RFC 3264 6, 8.2: streams
 * we do not relay are declined). 0 or -ENOENT (no audio stream), -ENOMEM. */
int sdp_disable_other_media(struct sdp *s);

/* Adds one to o=<sess-version> (RFC 3264 8: a changed offer for the same session keeps
 * o= but for the version, which goes up by one). 0, -EBADMSG (not a number), -ENOMEM. */
int sdp_origin_bump(struct sdp *s);

/* ICE (RFC 8839) for the audio stream. */
struct sdp_ice {
	char ufrag[ICE_UFRAG_MAX + 1]; /* the stream's a=ice-ufrag, else the session's (5.4) */
	char pwd[ICE_PWD_MAX + 1];
	bool ice2;     /* a=ice-options carries "ice2" (4.2.1.5) */
	bool lite;     /* session a=ice-lite (5.3) */
	bool mismatch; /* the stream's a=ice-mismatch (5.3) */
	size_t n_cands;
	size_t n_skipped; /* well-formed candidates we cannot use: another transport, an FQDN,
			   * an unknown type (5.1: ignored), a component other than 1 or 2, or
			   * more than SDP_MAX_CANDS */
	struct ice_cand cands[SDP_MAX_CANDS]; /* component 1 = RTP, 2 = RTCP (RFC 8445 5.1.1) */
};

/* Reads the audio stream's ICE attributes. 0, or -ENOENT (no ice-ufrag or no ice-pwd for
 * the stream: the peer does not do ICE, 4.2.5), -EBADMSG (a malformed ufrag, password or
 * candidate line, or a repeated ufrag/password at one level), or sdp_audio_get's errors. */
int sdp_ice_get(const struct sdp *s, struct sdp_ice *out);

/* Our side of ICE in the description: the ICE attributes already there go (as
 * sdp_ice_strip), then a=ice-options:ice2 at session level (4.2.1.5), a=ice-ufrag and
 * a=ice-pwd (5.4) and one a=candidate per candidate (5.1, ice/cand.h's text) in the audio
 * stream, and c=/m=/a=rtcp point at the default candidates (4.2.1.2; sdp_ice_default).
 * 0, or -EINVAL (bad credentials or candidate, no candidate for component 1 or 2), -ENOMEM,
 * or sdp_audio_get's errors. */
int sdp_ice_set(struct sdp *s, const char *ufrag, const char *pwd, const struct ice_cand *c,
		size_t n);

/* The default candidate of a component (RFC 5245 4.1.4; RFC 8445 leaves the choice to
 * us): relayed, else server-reflexive, else host, else peer-reflexive; among equals the
 * highest priority. NULL if the component has none. */
const struct ice_cand *sdp_ice_default(const struct ice_cand *c, size_t n, unsigned component);

/* Removes every ICE attribute (RFC 8839 5: candidate, remote-candidates, ice-lite,
 * ice-mismatch, ice-ufrag, ice-pwd, ice-pacing, ice-options) at session level and in every
 * stream, before the description goes to a client that does not do ICE. Returns how many
 * lines went. */
int sdp_ice_strip(struct sdp *s);

#endif
