/* SIP messages for p2psipd: a bounded, checked parse of untrusted bytes into libosip2's
 * osip_message_t, serialization, response/ACK/CANCEL building, accessors, tags and branches.
 * Not transactions (txn.h), not sockets (transport.h) and not SDP. */
#ifndef HIPSIP_SIP_MSG_H
#define HIPSIP_SIP_MSG_H

#include <stddef.h>
#include <stdint.h>
/* libosip2 needs these before its own headers. */
#include <time.h>
#include <sys/time.h>
#include <osipparser2/osip_parser.h>

/* Limits on what we accept from the network. */
#define SIP_MSG_MAX	    65536 /* whole message: header section and body */
#define SIP_MSG_MAX_LINE    8192  /* start line or one header field, folded lines included */
#define SIP_MSG_MAX_HEADERS 128	  /* header fields */

#define SIP_BRANCH_COOKIE "z9hG4bK" /* RFC 3261 8.1.1.7 magic cookie */
#define SIP_TAG_SIZE	  17	    /* 16 hex digits (64 random bits, RFC 3261 19.3) + NUL */
#define SIP_BRANCH_SIZE	  40	    /* cookie + 32 hex digits (128 random bits) + NUL */
#define SIP_CALL_ID_SIZE  33	    /* 32 hex digits + NUL, before an optional "@host" */

/* Sets libosip2's parser up (once per process) and silences its trace output, which would
 * otherwise print to stderr for every malformed message. Called by every function here that
 * needs it; safe to call from anywhere. 0 or a negative errno. */
int sip_msg_lib_init(void);

/* Parses one message from untrusted bytes (a UDP datagram, or one message framed by
 * sip_msg_frame). Checks, beyond libosip2's grammar: a CRLF-terminated header section,
 * UTF-8 text without control characters in it, the limits above, exactly one From, To,
 * Call-ID, CSeq and at most one Content-Length and Max-Forwards, at least one Via
 * (RFC 3261 8.1.1, 8.2, 20), CSeq "number method" with number < 2^31 and, for a request,
 * the request's method (8.1.1.5), SIP/2.0, a status 100-699, Max-Forwards 0-255 (20.22), a
 * body only with Content-Type (7.4.1), a Content-Length not beyond the bytes (18.3;
 * bytes after it are discarded), URIs in From/To/Contact/Route/Record-Route without white
 * space or stray brackets (25.1), and that what libosip2 writes for the message parses again
 * (its parser is lenient where its writer is not). 0 with *out (free with sip_msg_free) or
 * -EBADMSG with *why (may be NULL) set to a short static reason fit for a 400 reason phrase;
 * -ENOMEM. */
int sip_msg_parse(const uint8_t *buf, size_t len, osip_message_t **out, const char **why);
void sip_msg_free(osip_message_t *m);

/* Stream framing (RFC 3261 7.5, 18.3): the length of the first message in buf, which must not
 * start with CRLF (the caller skips keep-alive CRLFs). 0 and *msg_len when a whole message is
 * there, -EAGAIN when more bytes are needed, -EMSGSIZE when the message would exceed max
 * bytes, -EBADMSG for a Content-Length that is not a number or appears twice. A message
 * without Content-Length has no body. Only the header section is scanned. */
int sip_msg_frame(const uint8_t *buf, size_t len, size_t max, size_t *msg_len);

/* Serializes m (libosip2 writes Content-Length from the body). *out is malloc'd (free()),
 * NUL-terminated, *len excludes the NUL. -EMSGSIZE beyond SIP_MSG_MAX, -EINVAL for a
 * message libosip2 cannot write, -ENOMEM. */
int sip_msg_to_bytes(osip_message_t *m, uint8_t **out, size_t *len);

/* A response to req (RFC 3261 8.2.6): status 100-699, reason NULL for the standard phrase;
 * Via (all, in order), From, Call-ID, CSeq copied, To copied with a tag added when it has
 * none and status > 100 (8.2.6.2; 17.2.1: none on 100): to_tag, or a random one if NULL
 * (give the same to_tag to every response of one dialog). A 100 copies Timestamp
 * (8.2.6.1). Record-Route (12.1.1), Contact and the rest are the TU's to add. 0 or -EINVAL
 * (not a request, bad status, ACK), -ENOMEM. */
int sip_msg_response(const osip_message_t *req, int status, const char *reason, const char *to_tag,
		     osip_message_t **out);

/* The ACK a client INVITE transaction sends for a non-2xx final response (RFC 3261
 * 17.1.1.3): Request-URI, Call-ID, From and Route from the INVITE, To from the response,
 * the INVITE's top Via only, CSeq number of the INVITE with method ACK, Max-Forwards 70.
 * 0, -EINVAL, -ENOMEM. */
int sip_msg_ack(const osip_message_t *invite, const osip_message_t *resp, osip_message_t **out);

/* The CANCEL for a client request (RFC 3261 9.1): Request-URI, Call-ID, From, To, Route and
 * CSeq number of the request with method CANCEL, its top Via only (same branch, so that it
 * reaches the same server), Max-Forwards 70. 0, -EINVAL (req is an ACK or CANCEL), -ENOMEM. */
int sip_msg_cancel(const osip_message_t *req, osip_message_t **out);

/* Accessors on a message from sip_msg_parse (or one of the builders). Strings point into m
 * and live as long as it; NULL when absent. */
int sip_msg_is_request(const osip_message_t *m);
const char *sip_msg_method(const osip_message_t *m); /* requests only */
int sip_msg_status(const osip_message_t *m);	     /* responses only, 0 for requests */
const osip_uri_t *sip_msg_request_uri(const osip_message_t *m);
/* Call-ID text ("number" or "number@host") into buf. 0, -ENOENT, -ENOSPC. */
int sip_msg_call_id(const osip_message_t *m, char *buf, size_t cap);
/* CSeq number and method (either may be NULL). 0 or -ENOENT. */
int sip_msg_cseq(const osip_message_t *m, uint32_t *num, const char **method);
const char *sip_msg_branch(const osip_message_t *m); /* top Via's branch */
/* Top Via's sent-by ("host" or "host:port", IPv6 in brackets) into buf. 0, -ENOENT, -ENOSPC. */
int sip_msg_sent_by(const osip_message_t *m, char *buf, size_t cap);
const char *sip_msg_from_tag(const osip_message_t *m);
const char *sip_msg_to_tag(const osip_message_t *m);
/* The value of the first header field that libosip2 keeps as text (Expires, Max-Forwards,
 * User-Agent, Timestamp...; not Via, From, To, Call-ID, CSeq, Contact, Route...), by name
 * without regard to case. */
const char *sip_msg_header(const osip_message_t *m, const char *name);
/* The first body: 0 with *body (not NUL-terminated) and *len, or -ENOENT. */
int sip_msg_body(const osip_message_t *m, const char **body, size_t *len);
/* Replaces the body (and Content-Type, "application/sdp" for example); len 0 removes both.
 * 0, -EINVAL, -ENOMEM. */
int sip_msg_set_body(osip_message_t *m, const char *content_type, const void *body, size_t len);

/* Max-Forwards on a request we forward (RFC 3261 16.3 step 3, 16.6 step 3): 0 after
 * decrementing it, or adding "Max-Forwards: 70" when absent; -ELOOP when it is 0 (answer
 * 483 Too Many Hops); -EBADMSG when it is not a number; -ENOMEM. */
int sip_msg_decrement_max_forwards(osip_message_t *req);

/* Canonical address-of-record of a SIP URI (RFC 3261 10.3 step 5): "sip:user@host" (or
 * sips:, ":port" kept when present), without password, parameters and headers, escaped
 * characters unescaped, scheme and host lowercased, IPv6 hosts in brackets. 0, -EINVAL (not
 * sip/sips, no host, an escape that is invalid or yields a control character), -ENOSPC. */
int sip_uri_aor(const osip_uri_t *uri, char *buf, size_t cap);
/* The same from URI text ("sip:Alice@Example.COM;transport=udp"). */
int sip_aor_from_text(const char *text, char *buf, size_t cap);

/* Random identifiers from RAND_bytes: a tag (RFC 3261 19.3), a branch starting with the
 * magic cookie (8.1.1.7), a Call-ID (8.1.1.4; "@host" appended when host is not NULL).
 * 0, -ENOSPC (cap too small), -EIO (no randomness). */
int sip_new_tag(char *buf, size_t cap);
int sip_new_branch(char *buf, size_t cap);
int sip_new_call_id(char *buf, size_t cap, const char *host);

#endif
