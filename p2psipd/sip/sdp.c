/* SDP parse, read and rewrite of the first audio stream, ICE attributes (see sdp.h), over
 * libosip2's sdp_message. Not a SIP message parser (sip/msg.c), not offer/answer logic. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>

#include "common/cursor.h"
#include "p2psipd/sip/sdp.h"

struct sdp {
	sdp_message_t *m;
};

static void ofree(void *p)
{
	osip_free(p);
}

static void oset(char **field, char *value)
{
	ofree(*field);
	*field = value;
}

/* ---- parse ---- */

/* The lines, checked and rewritten for libosip2 (RFC 8866 5 and 9): "<type>=<value>"
 * with a type letter of the grammar, no NUL or lone CR (text fields hold neither), lines
 * ended by CRLF or LF (rewritten as CRLF; the last may be unended), no blank line but at
 * the end, m= lines with a format (libosip2 reads past the end of a last m= without one).
 * The copy is NUL-padded: libosip2 peeks a byte past some line ends. */
#define LEX_PAD 16

struct lex {
	char *out;
	size_t n, line_start;
	unsigned lines;
	bool blank; /* a blank line was seen: only blank lines may follow */
	bool cr;    /* the last byte was CR */
};

/* m=<media> <port>[/<n>] <proto> 1*(SP <fmt>): at least four non-empty words. */
static int lex_media(const char *v, size_t n)
{
	struct cursor c;
	unsigned words = 1;
	uint8_t b, prev = ' ';

	cur_init(&c, v, n);
	while (cur_u8(&c, &b) == 0) {
		if (b == ' ' && prev == ' ')
			return -EBADMSG;
		words += b == ' ';
		prev = b;
	}
	return words >= 4 && prev != ' ' ? 0 : -EBADMSG;
}

static int lex_line(struct lex *l)
{
	const char *line = l->out + l->line_start;
	size_t n = l->n - l->line_start;

	if (n == 0) {
		l->blank = true;
		return 0;
	}
	if (l->blank || n < 2 || line[1] != '=' || !strchr("vosiuepcbtrzkam", line[0]))
		return -EBADMSG;
	if (++l->lines > SDP_MAX_LINES)
		return -EMSGSIZE;
	if (line[0] == 'm' && lex_media(line + 2, n - 2))
		return -EBADMSG;
	memcpy(l->out + l->n, "\r\n", 2);
	l->n += 2;
	l->line_start = l->n;
	return 0;
}

static int lex_byte(struct lex *l, uint8_t b)
{
	if (b == 0 || (l->cr && b != '\n'))
		return -EBADMSG;
	l->cr = b == '\r';
	if (b == '\n')
		return lex_line(l);
	if (b != '\r')
		l->out[l->n++] = (char)b;
	return 0;
}

/* *text: the checked copy (free it), or NULL on error. */
static int lex(const void *buf, size_t len, char **text)
{
	struct lex l = {0};
	struct cursor c;
	uint8_t b;
	int err = 0;

	*text = NULL;
	l.out = calloc(1, len + 2 * (SDP_MAX_LINES + 1) + LEX_PAD);
	if (!l.out)
		return -ENOMEM;
	cur_init(&c, buf, len);
	while (!err && cur_u8(&c, &b) == 0)
		err = lex_byte(&l, b);
	if (!err && (l.cr || l.n > l.line_start))
		err = lex_line(&l); /* an unended last line */
	if (!err && l.lines == 0)
		err = -EBADMSG;
	if (err) {
		free(l.out);
		return err;
	}
	*text = l.out;
	return 0;
}

int sdp_parse(const void *buf, size_t len, struct sdp **out)
{
	struct sdp *s;
	char *text;
	int err;

	*out = NULL;
	if (len > SDP_MAX_LEN)
		return -EMSGSIZE;
	err = lex(buf, len, &text);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s || sdp_message_init(&s->m) != 0) {
		free(text);
		free(s);
		return -ENOMEM;
	}
	err = sdp_message_parse(s->m, text);
	free(text);
	/* RFC 8866 5.1: version 0 is the only one */
	if (err || !s->m->v_version || strcmp(s->m->v_version, "0") != 0) {
		sdp_free(s);
		return err == OSIP_NOMEM ? -ENOMEM : -EBADMSG;
	}
	*out = s;
	return 0;
}

void sdp_free(struct sdp *s)
{
	if (!s)
		return;
	sdp_message_free(s->m);
	free(s);
}

int sdp_serialize(const struct sdp *s, char *buf, size_t cap)
{
	char *text = NULL;
	size_t n;
	int err;

	err = sdp_message_to_str(s->m, &text);
	if (err || !text) {
		ofree(text);
		return err == OSIP_NOMEM ? -ENOMEM : -EBADMSG;
	}
	n = strlen(text);
	if (n + 1 > cap || n > INT32_MAX) {
		ofree(text);
		return -ENOSPC;
	}
	memcpy(buf, text, n + 1);
	ofree(text);
	return (int)n;
}

/* ---- fields ---- */

/* A decimal number of at most 20 digits, no sign or space, not above max. */
static int num_parse(const char *s, unsigned long max, unsigned long *out)
{
	struct cursor c;
	unsigned long v = 0;
	size_t n;
	uint8_t b;

	if (!s)
		return -EBADMSG;
	n = strnlen(s, 21);
	if (n == 0 || n > 20)
		return -EBADMSG;
	cur_init(&c, s, n);
	while (cur_u8(&c, &b) == 0) {
		if (b < '0' || b > '9')
			return -EBADMSG;
		v = v * 10 + (unsigned long)(b - '0');
		if (v > max)
			return -EBADMSG;
	}
	*out = v;
	return 0;
}

/* A domain name as RFC 8866 5 allows in c= (RFC 1034 letters, digits, hyphens, dots),
 * with at least one letter so that a broken dotted quad is not taken for one. */
static bool looks_like_name(const char *s)
{
	size_t n = strnlen(s, 254);
	bool letter = false;
	struct cursor c;
	uint8_t b;

	if (n == 0 || n > 253)
		return false;
	cur_init(&c, s, n);
	while (cur_u8(&c, &b) == 0) {
		bool alpha = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');

		if (!alpha && !(b >= '0' && b <= '9') && b != '-' && b != '.')
			return false;
		letter = letter || alpha;
	}
	return letter;
}

static bool is_multicast(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		return IN_MULTICAST(ntohl(a->sin_addr.s_addr));
	}
	return IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/* nettype, addrtype and unicast address (RFC 8866 5.7) into out (port 0). */
static int addr_parse(const char *nettype, const char *addrtype, const char *addr,
		      struct sockaddr_storage *out)
{
	char text[INET6_ADDRSTRLEN];
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!nettype || !addrtype || !addr)
		return -EBADMSG;
	if (strcmp(nettype, "IN") != 0)
		return -EOPNOTSUPP;
	if (strcmp(addrtype, "IP4") == 0)
		out->ss_family = AF_INET;
	else if (strcmp(addrtype, "IP6") == 0)
		out->ss_family = AF_INET6;
	else
		return -EOPNOTSUPP;
	n = strnlen(addr, sizeof(text));
	if (n == 0)
		return -EBADMSG;
	rc = 0;
	if (n < sizeof(text)) {
		memcpy(text, addr, n + 1);
		if (out->ss_family == AF_INET)
			rc = inet_pton(AF_INET, text, &((struct sockaddr_in *)out)->sin_addr);
		else
			rc = inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)out)->sin6_addr);
	}
	if (rc == 1)
		return is_multicast(out) ? -EOPNOTSUPP : 0;
	return looks_like_name(addr) ? -EAFNOSUPPORT : -EBADMSG;
}

static int conn_parse(const sdp_connection_t *c, struct sockaddr_storage *out)
{
	if (c->c_addr_multicast_ttl || c->c_addr_multicast_int)
		return -EOPNOTSUPP; /* RFC 8866 5.7: only multicast has them */
	return addr_parse(c->c_nettype, c->c_addrtype, c->c_addr, out);
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static uint16_t sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

static bool sa_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* The next word of a space-separated value into w (NUL-terminated, at most cap - 1). */
static int next_word(struct cursor *c, char *w, size_t cap)
{
	size_t n = 0;
	uint8_t b;

	while (cur_u8(c, &b) == 0 && b != ' ') {
		if (n + 1 >= cap)
			return -EBADMSG;
		w[n++] = (char)b;
	}
	w[n] = 0;
	return n ? 0 : -EBADMSG;
}

/* ---- the audio stream ---- */

struct audio_ref {
	sdp_media_t *md;
	int pos;
	int rtcp_at; /* index of its a=rtcp, or -1 */
};

/* RFC 8866 5.14 <proto>: RTP over UDP in any of its profiles (the relay carries any). */
static bool proto_ok(const char *p)
{
	static const char *const ok[] = {"RTP/AVP",   "RTP/AVPF",	  "RTP/SAVP",
					 "RTP/SAVPF", "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"};

	for (size_t i = 0; p && i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strcmp(p, ok[i]) == 0)
			return true;
	}
	return false;
}

static int payloads_parse(const sdp_media_t *md, struct sdp_audio *out)
{
	int n = osip_list_size(&md->m_payloads);

	if (n <= 0 || n > SDP_MAX_PAYLOADS)
		return -EBADMSG;
	for (int i = 0; i < n; i++) {
		unsigned long pt;

		if (num_parse(osip_list_get(&md->m_payloads, i), 127, &pt))
			return -EBADMSG;
		out->payloads[out->n_payloads++] = (uint8_t)pt;
	}
	return 0;
}

/* The c= that applies to the stream (RFC 8866 5.7): its own, else the session's. */
static int stream_conn(const sdp_message_t *m, const sdp_media_t *md, struct sockaddr_storage *out)
{
	int n = osip_list_size(&md->c_connections);

	if (n > 1)
		return -EBADMSG; /* 5.7: several only for multicast layers */
	if (n == 1)
		return conn_parse(osip_list_get(&md->c_connections, 0), out);
	if (!m->c_connection)
		return -EBADMSG;
	return conn_parse(m->c_connection, out);
}

/* a=rtcp:PORT [IN IP4|IP6 ADDRESS] (RFC 3605 2.1); the address defaults to the RTP one. */
static int rtcp_parse(const char *v, const struct sockaddr_storage *rtp,
		      struct sockaddr_storage *out)
{
	char port[8], nt[8], at[8], addr[256];
	unsigned long p;
	struct cursor c;
	int err;

	if (!v)
		return -EBADMSG;
	cur_init(&c, v, strnlen(v, 300));
	if (next_word(&c, port, sizeof(port)) || num_parse(port, 65535, &p) || p == 0)
		return -EBADMSG;
	if (!cur_left(&c)) {
		*out = *rtp;
		sa_set_port(out, (uint16_t)p);
		return 0;
	}
	if (next_word(&c, nt, sizeof(nt)) || next_word(&c, at, sizeof(at)) ||
	    next_word(&c, addr, sizeof(addr)) || cur_left(&c))
		return -EBADMSG;
	err = addr_parse(nt, at, addr, out);
	if (err)
		return err;
	sa_set_port(out, (uint16_t)p);
	return 0;
}

static int rtcp_find(const sdp_media_t *md, const struct sockaddr_storage *rtp,
		     struct sdp_audio *out, int *at)
{
	int n = osip_list_size(&md->a_attributes);

	*at = -1;
	for (int i = 0; i < n; i++) {
		const sdp_attribute_t *a = osip_list_get(&md->a_attributes, i);
		int err;

		if (!a->a_att_field || strcmp(a->a_att_field, "rtcp") != 0)
			continue;
		if (*at >= 0)
			return -EBADMSG;
		err = rtcp_parse(a->a_att_value, rtp, &out->rtcp);
		if (err)
			return err;
		*at = i;
		out->rtcp_attr = true;
	}
	return 0;
}

static sdp_media_t *first_audio(const sdp_message_t *m, int *pos)
{
	int n = osip_list_size(&m->m_medias);

	for (int i = 0; i < n; i++) {
		sdp_media_t *md = osip_list_get(&m->m_medias, i);

		if (md->m_media && strcmp(md->m_media, "audio") == 0) {
			*pos = i;
			return md;
		}
	}
	return NULL;
}

static int audio_find(const struct sdp *s, struct sdp_audio *out, struct audio_ref *ref)
{
	unsigned long port, count;
	sdp_media_t *md;
	int err;

	memset(out, 0, sizeof(*out));
	md = first_audio(s->m, &ref->pos);
	if (!md)
		return -ENOENT;
	ref->md = md;
	out->index = (unsigned)ref->pos;
	if (num_parse(md->m_port, 65535, &port))
		return -EBADMSG;
	if (md->m_number_of_port) {
		if (num_parse(md->m_number_of_port, 65535, &count))
			return -EBADMSG;
		if (count != 1)
			return -EOPNOTSUPP;
	}
	if (!proto_ok(md->m_proto))
		return md->m_proto ? -EPROTONOSUPPORT : -EBADMSG;
	snprintf(out->proto, sizeof(out->proto), "%s", md->m_proto);
	err = payloads_parse(md, out);
	if (!err)
		err = stream_conn(s->m, md, &out->rtp);
	if (err)
		return err;
	sa_set_port(&out->rtp, (uint16_t)port);
	err = rtcp_find(md, &out->rtp, out, &ref->rtcp_at);
	if (err)
		return err;
	out->disabled = port == 0;
	if (out->disabled) {
		out->rtcp = out->rtp;
		return 0;
	}
	if (!out->rtcp_attr) {
		if (port == 65535)
			return -EBADMSG;
		out->rtcp = out->rtp; /* RFC 3550 11: RTCP on the next (odd) port */
		sa_set_port(&out->rtcp, (uint16_t)(port + 1));
	}
	return 0;
}

int sdp_audio_get(const struct sdp *s, struct sdp_audio *out)
{
	struct audio_ref ref;

	return audio_find(s, out, &ref);
}

/* ---- direction ---- */

static const char *const dir_names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

/* The last direction attribute in the list (one is allowed per level, RFC 8866 6.7), or
 * -ENOENT. */
static int dir_find(const osip_list_t *l, enum sdp_direction *out)
{
	int n = osip_list_size(l), found = -ENOENT;

	for (int i = 0; i < n; i++) {
		const sdp_attribute_t *a = osip_list_get(l, i);

		for (unsigned d = 0; a->a_att_field && d < 4; d++) {
			if (strcasecmp(a->a_att_field, dir_names[d]) == 0) {
				*out = (enum sdp_direction)d;
				found = 0;
			}
		}
	}
	return found;
}

int sdp_audio_direction(const struct sdp *s, enum sdp_direction *out)
{
	int pos;
	const sdp_media_t *md = first_audio(s->m, &pos);

	*out = SDP_SENDRECV;
	if (!md)
		return -ENOENT;
	if (dir_find(&md->a_attributes, out) == 0)
		return 0;
	dir_find(&s->m->a_attributes, out); /* 6.7: the session's is the streams' default */
	return 0;
}

/* ---- rewriting ---- */

static int sa_check(const struct sockaddr *sa)
{
	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return -EINVAL;
	return sa_port(sa) ? 0 : -EINVAL;
}

static void sa_text(const struct sockaddr *sa, char *buf, size_t len)
{
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
			  (socklen_t)len);
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

static const char *addrtype_of(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET ? "IP4" : "IP6";
}

static int conn_set(sdp_connection_t *c, const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN];
	char *nt, *at, *a;

	sa_text(sa, text, sizeof(text));
	nt = osip_strdup("IN");
	at = osip_strdup(addrtype_of(sa));
	a = osip_strdup(text);
	if (!nt || !at || !a) {
		ofree(nt);
		ofree(at);
		ofree(a);
		return -ENOMEM;
	}
	oset(&c->c_nettype, nt);
	oset(&c->c_addrtype, at);
	oset(&c->c_addr, a);
	oset(&c->c_addr_multicast_ttl, NULL);
	oset(&c->c_addr_multicast_int, NULL);
	return 0;
}

static int port_set(char **field, unsigned port)
{
	char text[8];
	char *v;

	snprintf(text, sizeof(text), "%u", port);
	v = osip_strdup(text);
	if (!v)
		return -ENOMEM;
	oset(field, v);
	return 0;
}

static int attr_add(osip_list_t *list, const char *field, const char *value)
{
	sdp_attribute_t *a;

	if (sdp_attribute_init(&a) != 0)
		return -ENOMEM;
	a->a_att_field = osip_strdup(field);
	a->a_att_value = value ? osip_strdup(value) : NULL;
	if (!a->a_att_field || (value && !a->a_att_value) || osip_list_add(list, a, -1) < 0) {
		sdp_attribute_free(a);
		return -ENOMEM;
	}
	return 0;
}

/* a=rtcp as RFC 8866 5.14 and RFC 8839 4.2.2 want it: needed when the ports are not
 * consecutive or the addresses differ, kept (rewritten) when the client sent one. */
static int rtcp_set(const struct audio_ref *ref, const struct sockaddr *rtp,
		    const struct sockaddr *rtcp)
{
	bool same = sa_same_ip(rtp, rtcp);
	char value[80], addr[INET6_ADDRSTRLEN];
	sdp_attribute_t *a;
	char *v;

	if (ref->rtcp_at < 0 && same && sa_port(rtcp) == sa_port(rtp) + 1)
		return 0;
	if (same) {
		snprintf(value, sizeof(value), "%u", sa_port(rtcp));
	} else {
		sa_text(rtcp, addr, sizeof(addr));
		snprintf(value, sizeof(value), "%u IN %s %s", sa_port(rtcp), addrtype_of(rtcp),
			 addr);
	}
	if (ref->rtcp_at < 0)
		return attr_add(&ref->md->a_attributes, "rtcp", value);
	a = osip_list_get(&ref->md->a_attributes, ref->rtcp_at);
	v = osip_strdup(value);
	if (!v)
		return -ENOMEM;
	oset(&a->a_att_value, v);
	return 0;
}

int sdp_audio_set(struct sdp *s, const struct sockaddr *rtp, const struct sockaddr *rtcp)
{
	struct sdp_audio cur;
	struct audio_ref ref;
	int n, err;

	if (sa_check(rtp) || sa_check(rtcp))
		return -EINVAL;
	err = audio_find(s, &cur, &ref);
	if (err)
		return err;
	if (s->m->c_connection) {
		err = conn_set(s->m->c_connection, rtp);
		if (err)
			return err;
	}
	n = osip_list_size(&ref.md->c_connections);
	for (int i = 0; i < n; i++) {
		err = conn_set(osip_list_get(&ref.md->c_connections, i), rtp);
		if (err)
			return err;
	}
	err = port_set(&ref.md->m_port, sa_port(rtp));
	if (err)
		return err;
	return rtcp_set(&ref, rtp, rtcp);
}

int sdp_disable_other_media(struct sdp *s)
{
	int pos, n = osip_list_size(&s->m->m_medias);

	if (!first_audio(s->m, &pos))
		return -ENOENT;
	for (int i = 0; i < n; i++) {
		sdp_media_t *md = osip_list_get(&s->m->m_medias, i);

		if (i != pos && port_set(&md->m_port, 0))
			return -ENOMEM;
	}
	return 0;
}

#define SESS_VERSION_MAX 40 /* digits; 64-bit NTP-style versions have 20 */

int sdp_origin_bump(struct sdp *s)
{
	const char *v = s->m->o_sess_version;
	char buf[SESS_VERSION_MAX + 2];
	struct cursor c;
	size_t n, i;
	uint8_t b;
	char *nv;

	n = v ? strnlen(v, SESS_VERSION_MAX + 1) : 0;
	if (n == 0 || n > SESS_VERSION_MAX)
		return -EBADMSG;
	buf[0] = '0';
	cur_init(&c, v, n);
	for (i = 1; cur_u8(&c, &b) == 0; i++) {
		if (b < '0' || b > '9')
			return -EBADMSG;
		buf[i] = (char)b;
	}
	buf[n + 1] = 0;
	for (i = n; i > 0 && buf[i] == '9'; i--)
		buf[i] = '0';
	buf[i]++; /* i == 0: the carry went into the spare leading digit */
	nv = osip_strdup(buf[0] == '0' ? buf + 1 : buf);
	if (!nv)
		return -ENOMEM;
	oset(&s->m->o_sess_version, nv);
	return 0;
}

/* ---- ICE (RFC 8839) ---- */

static const char *const ice_attrs[] = {"candidate",	"remote-candidates", "ice-lite",
					"ice-mismatch", "ice-ufrag",	     "ice-pwd",
					"ice-pacing",	"ice-options"};

static bool is_ice_attr(const char *field)
{
	for (size_t i = 0; field && i < sizeof(ice_attrs) / sizeof(ice_attrs[0]); i++) {
		if (strcasecmp(field, ice_attrs[i]) == 0)
			return true;
	}
	return false;
}

static int strip_list(osip_list_t *l)
{
	int n = 0;

	for (int i = 0; i < osip_list_size(l);) {
		sdp_attribute_t *a = osip_list_get(l, i);

		if (!is_ice_attr(a->a_att_field)) {
			i++;
			continue;
		}
		osip_list_remove(l, i);
		sdp_attribute_free(a);
		n++;
	}
	return n;
}

int sdp_ice_strip(struct sdp *s)
{
	int n = strip_list(&s->m->a_attributes);
	int media = osip_list_size(&s->m->m_medias);

	for (int i = 0; i < media; i++) {
		sdp_media_t *md = osip_list_get(&s->m->m_medias, i);
		n += strip_list(&md->a_attributes);
	}
	return n;
}

static bool has_ice2(const char *v)
{
	char word[ICE_PWD_MAX + 1];
	struct cursor c;

	if (!v)
		return false;
	cur_init(&c, v, strnlen(v, 1024));
	while (cur_left(&c)) {
		if (next_word(&c, word, sizeof(word)) == 0 && strcmp(word, "ice2") == 0)
			return true;
	}
	return false;
}

static void cand_take(const char *v, struct sdp_ice *out, int *err)
{
	struct ice_cand c;
	int rc;

	if (!v) {
		*err = -EBADMSG;
		return;
	}
	rc = ice_cand_parse(v, strnlen(v, ICE_CAND_LINE_MAX + 1), &c);
	if (rc == -EINVAL) {
		*err = -EBADMSG;
		return;
	}
	if (rc || c.component < 1 || c.component > 2 || out->n_cands == SDP_MAX_CANDS) {
		out->n_skipped++; /* 5.1: transports, FQDNs, types we do not know are ignored */
		return;
	}
	out->cands[out->n_cands++] = c;
}

/* A level's credentials: *got counts them; the same one twice at a level is malformed. */
static int cred_take(const char *v, bool pwd, struct sdp_ice *out, bool *got)
{
	int rc;

	if (*got || !v)
		return -EBADMSG;
	*got = true;
	if (pwd)
		rc = ice_pwd_parse(v, strnlen(v, ICE_PWD_MAX + 1), out->pwd);
	else
		rc = ice_ufrag_parse(v, strnlen(v, ICE_UFRAG_MAX + 1), out->ufrag);
	return rc ? -EBADMSG : 0;
}

/* One level's attributes (session: media false). Media-level credentials are read after
 * the session's and so take precedence (5.4). */
static int ice_level(const osip_list_t *l, bool media, struct sdp_ice *out, bool *got_u,
		     bool *got_p)
{
	bool u = false, p = false;
	int n = osip_list_size(l), err = 0;

	for (int i = 0; i < n && !err; i++) {
		const sdp_attribute_t *a = osip_list_get(l, i);
		const char *f = a->a_att_field ? a->a_att_field : "";

		if (strcmp(f, "ice-ufrag") == 0)
			err = cred_take(a->a_att_value, false, out, &u);
		else if (strcmp(f, "ice-pwd") == 0)
			err = cred_take(a->a_att_value, true, out, &p);
		else if (strcmp(f, "ice-options") == 0)
			out->ice2 = out->ice2 || has_ice2(a->a_att_value);
		else if (!media && strcmp(f, "ice-lite") == 0)
			out->lite = true;
		else if (media && strcmp(f, "ice-mismatch") == 0)
			out->mismatch = true;
		else if (media && strcmp(f, "candidate") == 0)
			cand_take(a->a_att_value, out, &err);
	}
	*got_u = *got_u || u;
	*got_p = *got_p || p;
	return err;
}

int sdp_ice_get(const struct sdp *s, struct sdp_ice *out)
{
	struct sdp_audio au;
	struct audio_ref ref;
	bool u = false, p = false;
	int err;

	memset(out, 0, sizeof(*out));
	err = audio_find(s, &au, &ref);
	if (err)
		return err;
	err = ice_level(&s->m->a_attributes, false, out, &u, &p);
	if (!err)
		err = ice_level(&ref.md->a_attributes, true, out, &u, &p);
	if (err)
		return err;
	return u && p ? 0 : -ENOENT;
}

static int type_rank(enum ice_cand_type t)
{
	switch (t) {
	case ICE_RELAY:
		return 3;
	case ICE_SRFLX:
		return 2;
	case ICE_HOST:
		return 1;
	default:
		return 0;
	}
}

const struct ice_cand *sdp_ice_default(const struct ice_cand *c, size_t n, unsigned component)
{
	const struct ice_cand *best = NULL;

	for (size_t i = 0; i < n; i++) {
		if (c[i].component != component)
			continue;
		if (!best || type_rank(c[i].type) > type_rank(best->type) ||
		    (type_rank(c[i].type) == type_rank(best->type) &&
		     c[i].priority > best->priority))
			best = &c[i];
	}
	return best;
}

/* "name:value" text of ours split into a new attribute of list. */
static int attr_add_text(osip_list_t *list, char *text)
{
	char *colon = strchr(text, ':');

	if (!colon)
		return -EINVAL;
	*colon = 0;
	return attr_add(list, text, colon + 1);
}

/* Everything we will write is checked first, so that -EINVAL leaves s as it was. */
static int ice_check(const char *ufrag, const char *pwd, const struct ice_cand *c, size_t n)
{
	char text[ICE_PWD_MAX + 16];

	if (!ufrag || !pwd || ice_ufrag_format(ufrag, text, sizeof(text)) < 0 ||
	    ice_pwd_format(pwd, text, sizeof(text)) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char line[ICE_CAND_TEXT_MAX];

		if (ice_cand_format(&c[i], line, sizeof(line)) < 0)
			return -EINVAL;
	}
	return 0;
}

static int ice_write(struct sdp *s, const struct audio_ref *ref, const char *ufrag, const char *pwd,
		     const struct ice_cand *c, size_t n)
{
	char text[ICE_PWD_MAX + 16];
	int err;

	err = attr_add(&s->m->a_attributes, "ice-options", "ice2");
	if (!err && ice_ufrag_format(ufrag, text, sizeof(text)) > 0)
		err = attr_add_text(&ref->md->a_attributes, text);
	if (!err && ice_pwd_format(pwd, text, sizeof(text)) > 0)
		err = attr_add_text(&ref->md->a_attributes, text);
	for (size_t i = 0; i < n && !err; i++) {
		char line[ICE_CAND_TEXT_MAX];

		if (ice_cand_format(&c[i], line, sizeof(line)) > 0)
			err = attr_add_text(&ref->md->a_attributes, line);
	}
	return err;
}

int sdp_ice_set(struct sdp *s, const char *ufrag, const char *pwd, const struct ice_cand *c,
		size_t n)
{
	const struct ice_cand *d1 = sdp_ice_default(c, n, 1);
	const struct ice_cand *d2 = sdp_ice_default(c, n, 2);
	struct sdp_audio cur;
	struct audio_ref ref;
	int err;

	if (!d1 || !d2 || ice_check(ufrag, pwd, c, n))
		return -EINVAL;
	err = audio_find(s, &cur, &ref);
	if (err)
		return err;
	sdp_ice_strip(s);
	/* 4.2.1.2: c= and m= (and a=rtcp) carry the default candidates */
	err = sdp_audio_set(s, (const struct sockaddr *)&d1->addr,
			    (const struct sockaddr *)&d2->addr);
	if (err)
		return err;
	err = audio_find(s, &cur, &ref); /* a=rtcp may have moved in the list */
	if (err)
		return err;
	return ice_write(s, &ref, ufrag, pwd, c, n);
}
