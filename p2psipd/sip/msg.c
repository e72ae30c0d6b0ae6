/* SIP message handling over libosip2: our own bounded scan of the header section (through
 * struct cursor) before libosip2 sees the bytes, then its parser and our semantic checks;
 * builders and accessors. Not a transaction layer and not a transport. */
#include "p2psipd/sip/msg.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "common/cursor.h"

/* ---- library set-up ---- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_err;

/* libosip2's trace output, which goes to stdout unless a function takes it: dropped. */
static void trace_drop(const char *file, int line, osip_trace_level_t level, const char *fmt,
		       va_list ap)
{
	(void)file, (void)line, (void)level, (void)fmt, (void)ap;
}

static void lib_setup(void)
{
	/* libosip2 prints every syntax error it meets: a peer must not be able to fill our
	 * output with them. */
	osip_trace_initialize_func(END_TRACE_LEVEL, trace_drop);
	lib_err = parser_init() == 0 ? 0 : -ENOMEM;
}

int sip_msg_lib_init(void)
{
	pthread_once(&lib_once, lib_setup);
	return lib_err;
}

void sip_msg_free(osip_message_t *m)
{
	if (m)
		osip_message_free(m);
}

/* libosip2 answers OSIP_NOMEM (-4) when out of memory, other negatives for bad input. */
static int osip_err(int r)
{
	if (r == 0)
		return 0;
	return r == OSIP_NOMEM ? -ENOMEM : -EINVAL;
}

/* ---- the header-section scan (RFC 3261 7.3, 7.5, 18.3, 20) ---- */

enum hdr_id {
	H_OTHER,
	H_VIA,
	H_FROM,
	H_TO,
	H_CALL_ID,
	H_CSEQ,
	H_CLEN,
	H_MAXFWD,
	H_CTYPE,
	H_CONTACT,
	H_ROUTE,
	H_RROUTE,
	H_N
};

/* Header names and their compact forms (RFC 3261 7.3.3, 20). */
static const struct {
	const char *name;
	char compact;
	enum hdr_id id;
} hdr_names[] = {
    {"Via", 'v', H_VIA},
    {"From", 'f', H_FROM},
    {"To", 't', H_TO},
    {"Call-ID", 'i', H_CALL_ID},
    {"CSeq", 0, H_CSEQ},
    {"Content-Length", 'l', H_CLEN},
    {"Max-Forwards", 0, H_MAXFWD},
    {"Content-Type", 'c', H_CTYPE},
    {"Contact", 'm', H_CONTACT},
    {"Route", 0, H_ROUTE},
    {"Record-Route", 0, H_RROUTE},
};

static const char *const two_of[H_N] = {
    [H_FROM] = "two From",	     [H_TO] = "two To",
    [H_CALL_ID] = "two Call-ID",     [H_CSEQ] = "two CSeq",
    [H_CLEN] = "two Content-Length", [H_MAXFWD] = "two Max-Forwards",
    [H_CTYPE] = "two Content-Type",
};

struct scan {
	bool strict; /* sip_msg_parse (every check) or sip_msg_frame (Content-Length only) */
	unsigned count[H_N];
	size_t clen;	 /* Content-Length when count[H_CLEN] */
	size_t body_off; /* first byte after the blank line */
	const char *why; /* reason of an -EBADMSG */
};

static int bad(struct scan *s, const char *why)
{
	s->why = why;
	return -EBADMSG;
}

static int peek_u8(const struct cursor *c, uint8_t *b)
{
	struct cursor t = *c;

	return cur_u8(&t, b);
}

static bool is_ws(uint8_t b)
{
	return b == ' ' || b == '\t';
}

/* One header field (or the start line) ending in CRLF, folded continuation lines (CRLF
 * followed by SP or HTAB, RFC 3261 7.3.1) included. 0 with *field (without the final CRLF),
 * 1 for the blank line that ends the header section, -EAGAIN when the bytes end first,
 * -EBADMSG for a bare CR or LF or an overlong field. */
static int next_field(struct scan *s, struct cursor *c, struct cursor *field)
{
	struct cursor p = *c;
	size_t n = 0;
	uint8_t b;

	for (;;) {
		if (cur_u8(&p, &b))
			return -EAGAIN;
		if (b == '\n')
			return bad(s, "bare LF");
		if (b != '\r') {
			if (++n > SIP_MSG_MAX_LINE)
				return bad(s, "header field too long");
			continue;
		}
		if (cur_u8(&p, &b))
			return -EAGAIN;
		if (b != '\n')
			return bad(s, "bare CR");
		if (n == 0)
			break;
		if (peek_u8(&p, &b))
			return -EAGAIN; /* a continuation line may still come */
		if (!is_ws(b))
			break;
		n += 2;
	}
	if (n == 0) {
		cur_skip(c, 2);
		return 1;
	}
	cur_sub(c, n, field);
	cur_skip(c, 2);
	return 0;
}

/* The continuation bytes of one UTF-8 character (RFC 3629 4: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static int utf8_tail(struct cursor *c, uint8_t lead)
{
	uint8_t lo = 0x80, hi = 0xbf, b;
	unsigned need;

	if (lead >= 0xc2 && lead <= 0xdf)
		need = 1;
	else if (lead == 0xe0)
		need = 2, lo = 0xa0;
	else if ((lead >= 0xe1 && lead <= 0xec) || lead == 0xee || lead == 0xef)
		need = 2;
	else if (lead == 0xed)
		need = 2, hi = 0x9f;
	else if (lead == 0xf0)
		need = 3, lo = 0x90;
	else if (lead >= 0xf1 && lead <= 0xf3)
		need = 3;
	else if (lead == 0xf4)
		need = 3, hi = 0x8f;
	else
		return -EBADMSG;
	for (unsigned i = 0; i < need; i++) {
		if (cur_u8(c, &b) || b < lo || b > hi)
			return -EBADMSG;
		lo = 0x80, hi = 0xbf;
	}
	return 0;
}

/* Header text is UTF-8 (RFC 3261 7.3.1, 25.1 TEXT-UTF8) without control characters other
 * than HTAB and the CRLF of folds (next_field lets no other CR or LF through). "%00" is
 * refused too: libosip2 unescapes URIs into C strings, where it would cut a user name short
 * ("sip:alice%00x@h" read as "sip:alice@h"). */
static int check_text(struct scan *s, struct cursor c)
{
	uint8_t b, prev1 = 0, prev2 = 0;

	while (cur_u8(&c, &b) == 0) {
		if (b == '0' && prev1 == '0' && prev2 == '%')
			return bad(s, "escaped NUL");
		prev2 = prev1, prev1 = b;
		if (b == '\t' || b == '\r' || b == '\n')
			continue;
		if (b < 0x20 || b == 0x7f)
			return bad(s, "control character");
		if (b >= 0x80 && utf8_tail(&c, b))
			return bad(s, "not UTF-8");
	}
	return 0;
}

/* One value of a From, To, Contact, Route or Record-Route field, byte by byte (RFC 3261
 * 25.1: name-addr or addr-spec, then ;parameters; values separated by commas). libosip2 reads
 * such fields leniently and writes back text it cannot read itself (spaces or quotes inside
 * <>, text after '>' that is not a parameter, spaces inside a bare URI), so these stop here. */
struct naddr {
	int part; /* 0: display name or bare addr-spec, 1: inside <>, 2: after '>' */
	bool quoted, esc;
	bool ws;       /* white space since the last byte */
	bool loose_ws; /* part 0 had white space inside a word: a display name, or an error */
	uint8_t last;  /* the last byte that was not white space */
};

static bool is_sep(uint8_t b)
{
	return b == ';' || b == '=';
}

/* SEMI and EQUAL allow white space around them (25.1 SWS); display names anywhere. */
static bool ws_fits(const struct naddr *n, uint8_t b)
{
	return !n->ws || n->last == 0 || is_sep(n->last) || is_sep(b);
}

static const char *naddr_quoted(struct naddr *n, uint8_t b)
{
	if (n->esc)
		n->esc = false;
	else if (b == '\\')
		n->esc = true;
	else if (b == '"')
		n->quoted = false;
	n->last = b;
	n->ws = false;
	return NULL;
}

static const char *naddr_in_angle(struct naddr *n, uint8_t b)
{
	if (b == '"' || b == '<' || is_ws(b) || b == '\r' || b == '\n')
		return "bad URI in angle brackets";
	if (b == '>')
		n->part = 2;
	n->last = b;
	return NULL;
}

static const char *naddr_end(const struct naddr *n)
{
	if (n->quoted || n->part == 1)
		return "unclosed quote or angle bracket";
	if (n->part == 0 && n->loose_ws)
		return "white space in a URI";
	return NULL;
}

static const char *naddr_step(struct naddr *n, uint8_t b)
{
	const char *why;

	if (n->quoted)
		return naddr_quoted(n, b);
	if (n->part == 1)
		return naddr_in_angle(n, b);
	if (is_ws(b) || b == '\r' || b == '\n') {
		n->ws = n->last != 0;
		return NULL;
	}
	if (b == ',') {
		if ((why = naddr_end(n)))
			return why;
		memset(n, 0, sizeof(*n));
		return NULL;
	}
	if (b == '>')
		return "'>' without '<'";
	if (n->part == 2 && n->last == '>' && b != ';')
		return "text after a URI in angle brackets";
	if (n->part == 2 && !ws_fits(n, b))
		return "white space in a parameter";
	if (n->part == 0 && b == '<')
		n->part = 1;
	else if (n->part == 0 && !ws_fits(n, b))
		n->loose_ws = true;
	if (b == '"')
		n->quoted = true;
	n->last = b;
	n->ws = false;
	return NULL;
}

static int check_name_addrs(struct scan *s, struct cursor c)
{
	struct naddr n = {0};
	const char *why;
	uint8_t b;

	while (cur_u8(&c, &b) == 0)
		if ((why = naddr_step(&n, b)))
			return bad(s, why);
	why = naddr_end(&n);
	return why ? bad(s, why) : 0;
}

static bool is_name_addr(enum hdr_id id)
{
	return id == H_FROM || id == H_TO || id == H_CONTACT || id == H_ROUTE || id == H_RROUTE;
}

/* A decimal number alone in a field value, linear white space around it. */
static int parse_number(struct cursor c, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	unsigned digits = 0;
	uint8_t b = 0;
	int end;

	while ((end = cur_u8(&c, &b)) == 0 && (is_ws(b) || b == '\r' || b == '\n'))
		;
	while (end == 0 && b >= '0' && b <= '9') {
		v = v * 10 + (b - '0');
		if (v > max || ++digits > 10)
			return -EBADMSG;
		end = cur_u8(&c, &b);
	}
	while (end == 0 && (is_ws(b) || b == '\r' || b == '\n'))
		end = cur_u8(&c, &b);
	if (end == 0 || digits == 0)
		return -EBADMSG;
	*out = v;
	return 0;
}

static bool is_token_char(uint8_t b)
{
	if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9'))
		return true;
	return b && strchr("-.!%*_+`'~", b) != NULL;
}

static enum hdr_id lookup_name(const uint8_t *name, size_t n)
{
	for (size_t i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++) {
		if (n == 1 && hdr_names[i].compact && (name[0] | 0x20) == hdr_names[i].compact)
			return hdr_names[i].id;
		if (strlen(hdr_names[i].name) == n &&
		    strncasecmp((const char *)name, hdr_names[i].name, n) == 0)
			return hdr_names[i].id;
	}
	return H_OTHER;
}

/* The name of a header field and the cursor on its value (RFC 3261 7.3.1: name, optional
 * white space, colon). */
static int split_field(struct scan *s, struct cursor *f, enum hdr_id *id)
{
	struct cursor start = *f;
	size_t n = 0;
	const uint8_t *name;
	uint8_t b = 0;

	while (peek_u8(f, &b) == 0 && is_token_char(b)) {
		cur_skip(f, 1);
		n++;
	}
	while (peek_u8(f, &b) == 0 && is_ws(b))
		cur_skip(f, 1);
	if (n == 0 || cur_u8(f, &b) || b != ':')
		return bad(s, "header field without name and colon");
	cur_view(&start, n, &name);
	*id = lookup_name(name, n);
	return 0;
}

static int scan_field(struct scan *s, struct cursor *f)
{
	unsigned long v;
	enum hdr_id id;
	int err;

	if (s->strict && (err = check_text(s, *f)))
		return err;
	err = split_field(s, f, &id);
	if (err)
		return s->strict ? err : 0;
	if (id == H_OTHER || (!s->strict && id != H_CLEN))
		return 0;
	if (++s->count[id] > 1 && two_of[id])
		return bad(s, two_of[id]);
	if (id == H_CLEN) {
		if (parse_number(*f, SIP_MSG_MAX, &v))
			return bad(s, "bad Content-Length");
		s->clen = v;
	}
	if (id == H_MAXFWD && parse_number(*f, 255, &v))
		return bad(s, "bad Max-Forwards");
	if (is_name_addr(id))
		return check_name_addrs(s, *f);
	return 0;
}

/* The start line, every header field, the blank line; s->body_off after it. */
static int scan_headers(struct scan *s, const uint8_t *buf, size_t len)
{
	struct cursor c, f;
	int r;

	cur_init(&c, buf, len);
	r = next_field(s, &c, &f);
	if (r)
		return r == 1 ? bad(s, "empty start line") : r;
	if (s->strict && (r = check_text(s, f)))
		return r;
	for (unsigned n = 0;; n++) {
		r = next_field(s, &c, &f);
		if (r == 1)
			break;
		if (r < 0)
			return r;
		if (n >= SIP_MSG_MAX_HEADERS)
			return bad(s, "too many header fields");
		r = scan_field(s, &f);
		if (r)
			return r;
	}
	s->body_off = cur_pos(&c);
	return 0;
}

int sip_msg_frame(const uint8_t *buf, size_t len, size_t max, size_t *msg_len)
{
	struct scan s = {.strict = false};
	size_t body;
	int err;

	err = scan_headers(&s, buf, len < max ? len : max);
	if (err == -EAGAIN)
		return len >= max ? -EMSGSIZE : -EAGAIN;
	if (err)
		return err;
	body = s.count[H_CLEN] ? s.clen : 0; /* RFC 3261 18.3: mandatory on streams */
	if (body > max - s.body_off)
		return -EMSGSIZE;
	if (body > len - s.body_off)
		return -EAGAIN;
	*msg_len = s.body_off + body;
	return 0;
}

/* ---- checks on what libosip2 parsed (RFC 3261 8.1.1, 8.2, 20) ---- */

static const char *check_presence(const struct scan *s)
{
	if (!s->count[H_VIA])
		return "missing Via";
	if (!s->count[H_FROM])
		return "missing From";
	if (!s->count[H_TO])
		return "missing To";
	if (!s->count[H_CALL_ID])
		return "missing Call-ID";
	if (!s->count[H_CSEQ])
		return "missing CSeq";
	return NULL;
}

/* RFC 3261 8.1.1.5: the sequence number is a 32-bit unsigned integer below 2^31. */
static int cseq_number(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	if (!s)
		return -EBADMSG;
	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(s[n] - '0');
	}
	if (n == 0 || v >= (1ull << 31))
		return -EBADMSG;
	*out = (uint32_t)v;
	return 0;
}

static const char *check_start_line(const osip_message_t *m)
{
	if (!m->sip_version || strcasecmp(m->sip_version, "SIP/2.0") != 0)
		return "not SIP/2.0";
	if (MSG_IS_REQUEST(m)) {
		if (!m->sip_method || !m->req_uri || !m->req_uri->scheme)
			return "bad Request-Line";
		return NULL;
	}
	if (m->status_code < 100 || m->status_code > 699)
		return "bad status code";
	return NULL;
}

static const char *check_parsed(const osip_message_t *m)
{
	const osip_via_t *via = osip_list_get(&m->vias, 0);
	const char *why = check_start_line(m);
	uint32_t num;

	if (why)
		return why;
	if (!via || !via->host || !via->protocol || !via->version)
		return "bad Via";
	if (!m->from || !m->from->url)
		return "bad From";
	if (!m->to || !m->to->url)
		return "bad To";
	if (!m->call_id || !m->call_id->number || !m->call_id->number[0])
		return "bad Call-ID";
	if (!m->cseq || !m->cseq->method || cseq_number(m->cseq->number, &num))
		return "bad CSeq";
	if (MSG_IS_REQUEST(m) && strcmp(m->cseq->method, m->sip_method) != 0)
		return "CSeq method differs from the request's";
	return NULL;
}

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -EBADMSG;
}

/* Our scan, libosip2's parser, our checks on what it parsed. */
static int parse_once(const uint8_t *buf, size_t len, osip_message_t **out, const char **why)
{
	struct scan s = {.strict = true};
	osip_message_t *m;
	const char *reason;
	size_t msg_len;
	int err;

	if (len > SIP_MSG_MAX)
		return fail(why, "message too large");
	err = scan_headers(&s, buf, len);
	if (err == -EAGAIN)
		return fail(why, "truncated header section");
	if (err)
		return fail(why, s.why);
	if ((reason = check_presence(&s)))
		return fail(why, reason);
	/* RFC 3261 18.3: a Content-Length beyond the datagram is an error, bytes after the
	 * body are discarded, no Content-Length means the body runs to the end. */
	msg_len = len;
	if (s.count[H_CLEN]) {
		if (s.clen > len - s.body_off)
			return fail(why, "Content-Length beyond the message");
		msg_len = s.body_off + s.clen;
	}
	if (msg_len > s.body_off && !s.count[H_CTYPE])
		return fail(why, "body without Content-Type"); /* RFC 3261 7.4.1 */
	if (osip_message_init(&m))
		return -ENOMEM;
	if (osip_message_parse(m, (const char *)buf, msg_len)) {
		osip_message_free(m);
		return fail(why, "syntax error");
	}
	if ((reason = check_parsed(m))) {
		osip_message_free(m);
		return fail(why, reason);
	}
	*out = m;
	return 0;
}

/* What libosip2 writes for m (osip_free it), or NULL. */
static char *write_text(osip_message_t *m, size_t *n)
{
	char *text = NULL;

	*n = 0;
	osip_message_force_update(m);
	if (osip_message_to_str(m, &text, n) || !text) {
		osip_free(text);
		return NULL;
	}
	return text;
}

/* libosip2's URI and header parsers are lenient: some text they accept comes back from its
 * writer in a form they refuse ("sip:a@b:c@d" as "sip:a@[b:c@d]"), or in one that reads back
 * as something else again. We forward and copy what we parse, so a message is accepted only
 * if what libosip2 writes for it parses, and writes the same text once more (a fixed point:
 * what we send, the next hop's parse accepts). */
static int check_rewrite(osip_message_t *m, const char **why)
{
	osip_message_t *again = NULL;
	const char *ignored;
	char *text, *text2 = NULL;
	size_t n, n2 = 0;
	int err;

	if (!(text = write_text(m, &n)))
		return fail(why, "libosip2 cannot write it");
	err = parse_once((const uint8_t *)text, n, &again, &ignored);
	if (!err) {
		text2 = write_text(again, &n2);
		osip_message_free(again);
	}
	if (!err && (!text2 || n2 != n || memcmp(text, text2, n) != 0))
		err = -EBADMSG;
	osip_free(text);
	osip_free(text2);
	if (err == -EBADMSG)
		return fail(why, "libosip2 cannot read what it writes for it");
	return err;
}

int sip_msg_parse(const uint8_t *buf, size_t len, osip_message_t **out, const char **why)
{
	osip_message_t *m;
	const char *dummy;
	int err;

	if (!why)
		why = &dummy;
	*why = NULL;
	*out = NULL;
	if ((err = sip_msg_lib_init()))
		return err;
	if (!buf)
		return fail(why, "no message");
	err = parse_once(buf, len, &m, why);
	if (err)
		return err;
	err = check_rewrite(m, why);
	if (err) {
		osip_message_free(m);
		return err;
	}
	*out = m;
	return 0;
}

/* ---- serialization ---- */

int sip_msg_to_bytes(osip_message_t *m, uint8_t **out, size_t *len)
{
	char *s = NULL;
	size_t n = 0;
	int r;

	*out = NULL;
	if (sip_msg_lib_init())
		return -ENOMEM;
	osip_message_force_update(m); /* fields may have changed since the parse */
	r = osip_message_to_str(m, &s, &n);
	if (r || !s)
		return osip_err(r ? r : OSIP_NOMEM);
	if (n > SIP_MSG_MAX) {
		osip_free(s);
		return -EMSGSIZE;
	}
	*out = malloc(n + 1);
	if (*out) {
		memcpy(*out, s, n);
		(*out)[n] = 0;
		*len = n;
	}
	osip_free(s);
	return *out ? 0 : -ENOMEM;
}

/* ---- builders ---- */

static const char *param(const osip_list_t *params, const char *name);

static int copy_vias(const osip_message_t *from, osip_message_t *to, bool top_only)
{
	const osip_via_t *via;
	osip_via_t *copy;

	for (int i = 0; (via = osip_list_get(&from->vias, i)); i++) {
		if (osip_via_clone(via, &copy))
			return -ENOMEM;
		osip_list_add(&to->vias, copy, -1);
		if (top_only)
			break;
	}
	return 0;
}

static int copy_routes(const osip_message_t *from, osip_message_t *to)
{
	const osip_route_t *rt;
	osip_route_t *copy;

	for (int i = 0; (rt = osip_list_get(&from->routes, i)); i++) {
		if (osip_route_clone(rt, &copy))
			return -ENOMEM;
		osip_list_add(&to->routes, copy, -1);
	}
	return 0;
}

/* Call-ID and From of src; To of to_src. */
static int copy_dialog_ids(const osip_message_t *src, const osip_message_t *to_src,
			   osip_message_t *m)
{
	if (!src->call_id || !src->from || !to_src->to)
		return -EINVAL;
	if (osip_call_id_clone(src->call_id, &m->call_id) || osip_from_clone(src->from, &m->from) ||
	    osip_to_clone(to_src->to, &m->to))
		return -ENOMEM;
	return 0;
}

static int set_cseq(osip_message_t *m, const char *number, const char *method)
{
	if (osip_cseq_init(&m->cseq))
		return -ENOMEM;
	osip_cseq_set_number(m->cseq, osip_strdup(number));
	osip_cseq_set_method(m->cseq, osip_strdup(method));
	return m->cseq->number && m->cseq->method ? 0 : -ENOMEM;
}

static const char *default_reason(int status)
{
	const char *r = osip_message_get_reason(status);

	return r ? r : "Unknown";
}

static int add_to_tag(osip_message_t *r, const char *to_tag)
{
	char tag[SIP_TAG_SIZE];
	char *v;
	int err;

	if (param(&r->to->gen_params, "tag"))
		return 0;
	if (!to_tag) {
		if ((err = sip_new_tag(tag, sizeof(tag))))
			return err;
		to_tag = tag;
	}
	v = osip_strdup(to_tag);
	if (!v || osip_to_set_tag(r->to, v)) {
		osip_free(v);
		return -ENOMEM;
	}
	return 0;
}

static int copy_timestamp(const osip_message_t *req, osip_message_t *r)
{
	const char *ts = sip_msg_header(req, "Timestamp");

	if (!ts)
		return 0;
	return osip_message_set_header(r, "Timestamp", ts) ? -ENOMEM : 0;
}

static int build_response(const osip_message_t *req, int status, const char *reason,
			  const char *to_tag, osip_message_t *r)
{
	int err;

	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(r, status);
	osip_message_set_reason_phrase(r, osip_strdup(reason ? reason : default_reason(status)));
	if (!r->sip_version || !r->reason_phrase)
		return -ENOMEM;
	if ((err = copy_vias(req, r, false)) || (err = copy_dialog_ids(req, req, r)))
		return err;
	if (!req->cseq || osip_cseq_clone(req->cseq, &r->cseq))
		return req->cseq ? -ENOMEM : -EINVAL;
	if (status > 100)
		return add_to_tag(r, to_tag);
	return copy_timestamp(req, r);
}

int sip_msg_response(const osip_message_t *req, int status, const char *reason, const char *to_tag,
		     osip_message_t **out)
{
	osip_message_t *r;
	int err;

	*out = NULL;
	if (!MSG_IS_REQUEST(req) || !req->sip_method || MSG_IS_ACK(req) || status < 100 ||
	    status > 699)
		return -EINVAL;
	if (sip_msg_lib_init() || osip_message_init(&r))
		return -ENOMEM;
	err = build_response(req, status, reason, to_tag, r);
	if (err) {
		osip_message_free(r);
		return err;
	}
	*out = r;
	return 0;
}

/* The common part of ACK and CANCEL: a request within the client transaction of req. */
static int build_in_txn(const osip_message_t *req, const osip_message_t *to_src, const char *method,
			osip_message_t *m)
{
	int err;

	osip_message_set_method(m, osip_strdup(method));
	osip_message_set_version(m, osip_strdup("SIP/2.0"));
	if (!m->sip_method || !m->sip_version)
		return -ENOMEM;
	if (!req->req_uri || osip_uri_clone(req->req_uri, &m->req_uri))
		return req->req_uri ? -ENOMEM : -EINVAL;
	if ((err = copy_vias(req, m, true)) || (err = copy_dialog_ids(req, to_src, m)) ||
	    (err = copy_routes(req, m)))
		return err;
	if (!req->cseq || !req->cseq->number)
		return -EINVAL;
	if ((err = set_cseq(m, req->cseq->number, method)))
		return err;
	return osip_message_set_header(m, "Max-Forwards", "70") ? -ENOMEM : 0;
}

static int build_request(const osip_message_t *req, const osip_message_t *to_src,
			 const char *method, osip_message_t **out)
{
	osip_message_t *m;
	int err;

	*out = NULL;
	if (sip_msg_lib_init() || osip_message_init(&m))
		return -ENOMEM;
	err = build_in_txn(req, to_src, method, m);
	if (err) {
		osip_message_free(m);
		return err;
	}
	*out = m;
	return 0;
}

int sip_msg_ack(const osip_message_t *invite, const osip_message_t *resp, osip_message_t **out)
{
	*out = NULL;
	if (!MSG_IS_REQUEST(invite) || !invite->sip_method || !MSG_IS_INVITE(invite) ||
	    !MSG_IS_RESPONSE(resp))
		return -EINVAL;
	return build_request(invite, resp, "ACK", out);
}

int sip_msg_cancel(const osip_message_t *req, osip_message_t **out)
{
	*out = NULL;
	if (!MSG_IS_REQUEST(req) || !req->sip_method || MSG_IS_ACK(req) || MSG_IS_CANCEL(req))
		return -EINVAL;
	return build_request(req, req, "CANCEL", out);
}

/* ---- accessors ---- */

int sip_msg_is_request(const osip_message_t *m)
{
	return MSG_IS_REQUEST(m);
}

const char *sip_msg_method(const osip_message_t *m)
{
	return MSG_IS_REQUEST(m) ? m->sip_method : NULL;
}

int sip_msg_status(const osip_message_t *m)
{
	return m->status_code;
}

const osip_uri_t *sip_msg_request_uri(const osip_message_t *m)
{
	return MSG_IS_REQUEST(m) ? m->req_uri : NULL;
}

static int put_text(char *buf, size_t cap, const char *a, const char *sep, const char *b)
{
	int n = snprintf(buf, cap, "%s%s%s", a, b ? sep : "", b ? b : "");

	return n >= 0 && (size_t)n < cap ? 0 : -ENOSPC;
}

int sip_msg_call_id(const osip_message_t *m, char *buf, size_t cap)
{
	if (!m->call_id || !m->call_id->number)
		return -ENOENT;
	return put_text(buf, cap, m->call_id->number, "@", m->call_id->host);
}

int sip_msg_cseq(const osip_message_t *m, uint32_t *num, const char **method)
{
	uint32_t n;

	if (!m->cseq || !m->cseq->method || cseq_number(m->cseq->number, &n))
		return -ENOENT;
	if (num)
		*num = n;
	if (method)
		*method = m->cseq->method;
	return 0;
}

/* The value of a generic parameter (case-insensitive name), "" for one without value. */
static const char *param(const osip_list_t *params, const char *name)
{
	const osip_generic_param_t *p;

	for (int i = 0; (p = osip_list_get(params, i)); i++)
		if (p->gname && strcasecmp(p->gname, name) == 0)
			return p->gvalue ? p->gvalue : "";
	return NULL;
}

const char *sip_msg_branch(const osip_message_t *m)
{
	const osip_via_t *via = osip_list_get(&m->vias, 0);

	return via ? param(&via->via_params, "branch") : NULL;
}

int sip_msg_sent_by(const osip_message_t *m, char *buf, size_t cap)
{
	const osip_via_t *via = osip_list_get(&m->vias, 0);
	bool v6;
	int n;

	if (!via || !via->host)
		return -ENOENT;
	v6 = strchr(via->host, ':') != NULL;
	n = snprintf(buf, cap, "%s%s%s%s%s", v6 ? "[" : "", via->host, v6 ? "]" : "",
		     via->port ? ":" : "", via->port ? via->port : "");
	return n >= 0 && (size_t)n < cap ? 0 : -ENOSPC;
}

const char *sip_msg_from_tag(const osip_message_t *m)
{
	return m->from ? param(&m->from->gen_params, "tag") : NULL;
}

const char *sip_msg_to_tag(const osip_message_t *m)
{
	return m->to ? param(&m->to->gen_params, "tag") : NULL;
}

const char *sip_msg_header(const osip_message_t *m, const char *name)
{
	const osip_header_t *h;

	for (int i = 0; (h = osip_list_get(&m->headers, i)); i++)
		if (h->hname && strcasecmp(h->hname, name) == 0)
			return h->hvalue ? h->hvalue : "";
	return NULL;
}

int sip_msg_body(const osip_message_t *m, const char **body, size_t *len)
{
	const osip_body_t *b = osip_list_get(&m->bodies, 0);

	if (!b || !b->body)
		return -ENOENT;
	*body = b->body;
	*len = b->length;
	return 0;
}

int sip_msg_set_body(osip_message_t *m, const char *content_type, const void *body, size_t len)
{
	osip_list_special_free(&m->bodies, (void (*)(void *))osip_body_free);
	osip_content_type_free(m->content_type);
	m->content_type = NULL;
	osip_content_length_free(m->content_length);
	m->content_length = NULL;
	osip_message_force_update(m);
	if (len == 0)
		return 0;
	if (!content_type || !body || len > SIP_MSG_MAX)
		return -EINVAL;
	if (osip_message_set_content_type(m, content_type))
		return -EINVAL;
	return osip_message_set_body(m, body, len) ? -ENOMEM : 0;
}

/* ---- Max-Forwards (RFC 3261 16.3 step 3, 16.6 step 3, 20.22) ---- */

int sip_msg_decrement_max_forwards(osip_message_t *req)
{
	osip_header_t *h;
	unsigned long v;
	struct cursor c;
	char text[24];

	for (int i = 0; (h = osip_list_get(&req->headers, i)); i++)
		if (h->hname && strcasecmp(h->hname, "Max-Forwards") == 0)
			break;
	osip_message_force_update(req);
	if (!h)
		return osip_message_set_header(req, "Max-Forwards", "70") ? -ENOMEM : 0;
	if (!h->hvalue)
		return -EBADMSG;
	cur_init(&c, h->hvalue, strlen(h->hvalue));
	if (parse_number(c, 255, &v))
		return -EBADMSG;
	if (v == 0)
		return -ELOOP;
	snprintf(text, sizeof(text), "%lu", v - 1);
	osip_free(h->hvalue);
	h->hvalue = osip_strdup(text);
	return h->hvalue ? 0 : -ENOMEM;
}

/* ---- address-of-record (RFC 3261 10.3 step 5, 19.1.4) ---- */

static int lower_into(char *dst, size_t cap, size_t *pos, const char *s)
{
	for (; *s; s++) {
		if (*pos + 1 >= cap)
			return -ENOSPC;
		dst[(*pos)++] = (char)((*s >= 'A' && *s <= 'Z') ? *s + 32 : *s);
	}
	dst[*pos] = 0;
	return 0;
}

static int append(char *dst, size_t cap, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n >= cap)
		return -ENOSPC;
	memcpy(dst + *pos, s, n + 1);
	*pos += n;
	return 0;
}

/* libosip2 has already unescaped the user part once; what remains must be printable. */
static int check_user(const char *u)
{
	if (!u[0])
		return -EINVAL;
	for (; *u; u++)
		if ((unsigned char)*u < 0x20 || *u == 0x7f)
			return -EINVAL;
	return 0;
}

static int check_port(const char *p)
{
	size_t n = 0;

	for (; p[n]; n++)
		if (p[n] < '0' || p[n] > '9' || n >= 5)
			return -EINVAL;
	return n ? 0 : -EINVAL;
}

int sip_uri_aor(const osip_uri_t *uri, char *buf, size_t cap)
{
	size_t pos = 0;
	bool v6;
	int err;

	if (cap)
		buf[0] = 0;
	if (!uri || !uri->scheme || !uri->host || !uri->host[0])
		return -EINVAL;
	if (strcasecmp(uri->scheme, "sip") != 0 && strcasecmp(uri->scheme, "sips") != 0)
		return -EINVAL;
	if ((uri->username && check_user(uri->username)) || (uri->port && check_port(uri->port)))
		return -EINVAL;
	v6 = strchr(uri->host, ':') != NULL && uri->host[0] != '[';
	if ((err = lower_into(buf, cap, &pos, uri->scheme)) || (err = append(buf, cap, &pos, ":")))
		return err;
	if (uri->username &&
	    ((err = append(buf, cap, &pos, uri->username)) || (err = append(buf, cap, &pos, "@"))))
		return err;
	if ((v6 && (err = append(buf, cap, &pos, "["))) ||
	    (err = lower_into(buf, cap, &pos, uri->host)) ||
	    (v6 && (err = append(buf, cap, &pos, "]"))))
		return err;
	if (uri->port &&
	    ((err = append(buf, cap, &pos, ":")) || (err = append(buf, cap, &pos, uri->port))))
		return err;
	return 0;
}

int sip_aor_from_text(const char *text, char *buf, size_t cap)
{
	struct scan s = {.strict = true};
	struct cursor c;
	osip_uri_t *u;
	int err;

	if (cap)
		buf[0] = 0;
	if (!text || strlen(text) > SIP_MSG_MAX_LINE)
		return -EINVAL;
	cur_init(&c, text, strlen(text));
	if (check_text(&s, c) || strpbrk(text, "\r\n"))
		return -EINVAL;
	if (sip_msg_lib_init() || osip_uri_init(&u))
		return -ENOMEM;
	err = osip_uri_parse(u, text) ? -EINVAL : sip_uri_aor(u, buf, cap);
	osip_uri_free(u);
	return err;
}

/* ---- random identifiers (RFC 3261 8.1.1.4, 8.1.1.7, 19.3) ---- */

static int random_hex(char *buf, size_t cap, const char *prefix, size_t nbytes, const char *suffix)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t rnd[16];
	size_t pos = 0;
	int err;

	if (cap)
		buf[0] = 0;
	if (nbytes > sizeof(rnd) || strlen(prefix) + 2 * nbytes >= cap)
		return -ENOSPC;
	if (RAND_bytes(rnd, (int)nbytes) != 1)
		return -EIO;
	if ((err = append(buf, cap, &pos, prefix)))
		return err;
	for (size_t i = 0; i < nbytes; i++) {
		buf[pos++] = digits[rnd[i] >> 4];
		buf[pos++] = digits[rnd[i] & 15];
	}
	buf[pos] = 0;
	if (suffix &&
	    ((err = append(buf, cap, &pos, "@")) || (err = append(buf, cap, &pos, suffix))))
		return err;
	return 0;
}

int sip_new_tag(char *buf, size_t cap)
{
	return random_hex(buf, cap, "", 8, NULL);
}

int sip_new_branch(char *buf, size_t cap)
{
	return random_hex(buf, cap, SIP_BRANCH_COOKIE, 16, NULL);
}

int sip_new_call_id(char *buf, size_t cap, const char *host)
{
	return random_hex(buf, cap, "", 16, host);
}
