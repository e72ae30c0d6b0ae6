/* ICE candidates: priorities and foundations (RFC 8445 5.1), redundancy, and the
 * SDP text of candidates and credentials (RFC 8839 5.1, 5.4). No I/O, no pairs. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/cursor.h"
#include "ice/cand.h"
#include "ice/sock.h"

/* The 64 ice-chars (RFC 8839 5.1: ALPHA / DIGIT / "+" / "/"), so that one
 * random byte masked to 6 bits picks one without bias. */
static const char ice_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 8445 5.1.2.1 */
uint32_t ice_priority(unsigned type_pref, unsigned local_pref, unsigned component)
{
	return ((uint32_t)type_pref << 24) + ((uint32_t)local_pref << 8) + (256u - component);
}

/* RFC 8445 5.1.2.2 */
unsigned ice_type_pref(enum ice_cand_type type)
{
	switch (type) {
	case ICE_HOST:
		return ICE_TYPEPREF_HOST;
	case ICE_PRFLX:
		return ICE_TYPEPREF_PRFLX;
	case ICE_SRFLX:
		return ICE_TYPEPREF_SRFLX;
	case ICE_RELAY:
		return ICE_TYPEPREF_RELAY;
	}
	return 0;
}

const char *ice_cand_type_name(enum ice_cand_type type)
{
	switch (type) {
	case ICE_HOST:
		return "host";
	case ICE_SRFLX:
		return "srflx";
	case ICE_PRFLX:
		return "prflx";
	case ICE_RELAY:
		return "relay";
	}
	return "?";
}

unsigned ice_local_pref_of(uint32_t priority)
{
	return (priority >> 8) & 0xffff;
}

static int is_v6_link_local(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *a = (const void *)ss;

	return ss->ss_family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr);
}

/* 0: global IPv6, 1: IPv4, 2: IPv6 link-local, 3: anything else. */
static int addr_class(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return is_v6_link_local(ss) ? 2 : 0;
	if (ss->ss_family == AF_INET)
		return 1;
	return 3;
}

void ice_local_prefs(const struct sockaddr_storage *addrs, size_t n, unsigned *prefs)
{
	unsigned rank = 0;

	for (int cls = 0; cls <= 3; cls++) {
		for (size_t i = 0; i < n; i++) {
			if (addr_class(&addrs[i]) != cls)
				continue;
			prefs[i] = rank <= ICE_LOCALPREF_MAX ? ICE_LOCALPREF_MAX - rank : 0;
			rank++;
		}
	}
}

/* FNV-1a, 64 bits: a stable hash for foundations (not a security function). */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Hashes the family and IP address of sa (not its port); NULL hashes as none. */
static uint64_t hash_ip(uint64_t h, const struct sockaddr *sa)
{
	uint8_t fam = 0;

	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa;

		fam = 4;
		h = fnv1a(h, &fam, 1);
		return fnv1a(h, &a->sin_addr, sizeof(a->sin_addr));
	}
	if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;

		fam = 6;
		h = fnv1a(h, &fam, 1);
		return fnv1a(h, &a->sin6_addr, sizeof(a->sin6_addr));
	}
	return fnv1a(h, &fam, 1);
}

/* RFC 8445 5.1.1.3: type, base IP, server IP (not for host), transport. */
void ice_foundation(enum ice_cand_type type, const struct sockaddr *base,
		    const struct sockaddr *server, char out[ICE_FOUNDATION_MAX + 1])
{
	const uint8_t head[2] = {(uint8_t)type, 'U'}; /* UDP is the only transport */
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv1a(h, head, sizeof(head));
	h = hash_ip(h, base);
	h = hash_ip(h, type == ICE_HOST ? NULL : server);
	for (int i = 0; i < 8; i++) {
		out[i] = ice_chars[h & 63];
		h >>= 6;
	}
	out[8] = 0;
}

static int addr_ok(const struct sockaddr *sa)
{
	if (!sa || !ice_sa_len(sa))
		return 0;
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)sa)->sin_port != 0;
	return ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port != 0;
}

static void sa_copy(struct sockaddr_storage *dst, const struct sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src && ice_sa_len(src))
		memcpy(dst, src, ice_sa_len(src));
}

static int cand_init(struct ice_cand *c, enum ice_cand_type type, unsigned component,
		     const struct sockaddr *addr, unsigned local_pref)
{
	memset(c, 0, sizeof(*c));
	if (component < 1 || component > 256 || local_pref > ICE_LOCALPREF_MAX || !addr_ok(addr))
		return -EINVAL;
	c->type = type;
	c->component = component;
	c->priority = ice_priority(ice_type_pref(type), local_pref, component);
	sa_copy(&c->addr, addr);
	return 0;
}

int ice_cand_host(struct ice_cand *c, unsigned component, const struct sockaddr *addr,
		  unsigned local_pref)
{
	int err = cand_init(c, ICE_HOST, component, addr, local_pref);

	if (err)
		return err;
	sa_copy(&c->base, addr);
	ice_foundation(ICE_HOST, addr, NULL, c->foundation);
	return 0;
}

int ice_cand_srflx(struct ice_cand *c, unsigned component, const struct sockaddr *mapped,
		   const struct sockaddr *base, const struct sockaddr *server, unsigned local_pref)
{
	int err = cand_init(c, ICE_SRFLX, component, mapped, local_pref);

	if (err)
		return err;
	if (!addr_ok(base) || !server || !ice_sa_len(server))
		return -EINVAL;
	sa_copy(&c->base, base);
	sa_copy(&c->related, base); /* RFC 8839 5.1: raddr of a srflx is its base */
	ice_foundation(ICE_SRFLX, base, server, c->foundation);
	return 0;
}

int ice_cand_relay(struct ice_cand *c, unsigned component, const struct sockaddr *relayed,
		   const struct sockaddr *mapped, const struct sockaddr *server,
		   unsigned local_pref)
{
	int err = cand_init(c, ICE_RELAY, component, relayed, local_pref);

	if (err)
		return err;
	if (!server || !ice_sa_len(server) || (mapped && !ice_sa_len(mapped)))
		return -EINVAL;
	sa_copy(&c->base, relayed); /* RFC 8445 5.1.1.2: a relayed candidate is its own base */
	sa_copy(&c->related, mapped);
	ice_foundation(ICE_RELAY, relayed, server, c->foundation);
	return 0;
}

int ice_cand_prflx(struct ice_cand *c, unsigned component, const struct sockaddr *mapped,
		   const struct sockaddr *base, const struct sockaddr *peer, uint32_t priority)
{
	int err = cand_init(c, ICE_PRFLX, component, mapped, 0);

	if (err)
		return err;
	if (!addr_ok(base) || priority < 1 || priority > INT32_MAX)
		return -EINVAL;
	c->priority = priority; /* RFC 8445 7.2.5.3.1: the PRIORITY of the check */
	sa_copy(&c->base, base);
	sa_copy(&c->related, base);
	ice_foundation(ICE_PRFLX, base, peer, c->foundation);
	return 0;
}

/* RFC 8445 5.1.3 (and the same component: two components never share one). */
static int redundant(const struct ice_cand *a, const struct ice_cand *b)
{
	return a->component == b->component &&
	       ice_sa_equal((const void *)&a->addr, (const void *)&b->addr) &&
	       ice_sa_equal((const void *)&a->base, (const void *)&b->base);
}

/* c[i] has a redundant twin of higher priority (or of equal priority, earlier). */
static int outranked(const struct ice_cand *c, size_t n, size_t i)
{
	for (size_t j = 0; j < n; j++) {
		if (j == i || !redundant(&c[i], &c[j]))
			continue;
		if (c[j].priority > c[i].priority || (c[j].priority == c[i].priority && j < i))
			return 1;
	}
	return 0;
}

size_t ice_cands_eliminate_redundant(struct ice_cand *c, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (!outranked(c, n, i)) {
			i++;
			continue;
		}
		memmove(&c[i], &c[i + 1], (n - i - 1) * sizeof(*c));
		n--;
	}
	return n;
}

/* --- SDP text --- */

static bool is_digit(uint8_t b)
{
	return b >= '0' && b <= '9';
}

static bool is_alpha(uint8_t b)
{
	return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

static bool is_ice_char(uint8_t b)
{
	return is_alpha(b) || is_digit(b) || b == '+' || b == '/';
}

/* RFC 4566 9 token-char */
static bool is_token_char(uint8_t b)
{
	return b == 0x21 || (b >= 0x23 && b <= 0x27) || b == 0x2a || b == 0x2b || b == 0x2d ||
	       b == 0x2e || is_digit(b) || (b >= 0x41 && b <= 0x5a) || (b >= 0x5e && b <= 0x7e);
}

static bool is_vchar(uint8_t b)
{
	return b >= 0x21 && b <= 0x7e;
}

/* A word of the line: a view into the caller's buffer, never NUL-terminated. */
struct word {
	const uint8_t *p;
	size_t n;
};

static bool all_of(const struct word *w, bool (*ok)(uint8_t))
{
	for (size_t i = 0; i < w->n; i++) {
		if (!ok(w->p[i]))
			return false;
	}
	return true;
}

static bool ice_chars_ok(const struct word *w, size_t min, size_t max)
{
	return w->n >= min && w->n <= max && all_of(w, is_ice_char);
}

static bool token_ok(const struct word *w)
{
	return w->n > 0 && all_of(w, is_token_char);
}

/* Literal strings in ABNF are case-insensitive (RFC 5234 2.3). */
static bool word_is(const struct word *w, const char *lit)
{
	size_t n = strlen(lit);

	if (w->n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t a = w->p[i], b = (uint8_t)lit[i];

		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

/* Consumes the exact bytes of lit if the cursor starts with them. */
static bool skip_lit(struct cursor *c, const char *lit)
{
	struct cursor look = *c;
	const uint8_t *p;
	size_t n = strlen(lit);

	if (cur_view(&look, n, &p) || memcmp(p, lit, n) != 0)
		return false;
	*c = look;
	return true;
}

/* A cursor over line without its final LF or CRLF, if any. */
static int line_cursor(struct cursor *c, const char *line, size_t len, size_t max)
{
	const uint8_t *p;
	struct cursor all;

	if (!line || len > max)
		return -EINVAL;
	cur_init(&all, line, len);
	if (cur_view(&all, len, &p))
		return -EINVAL;
	if (len > 0 && p[len - 1] == '\n') {
		len--;
		if (len > 0 && p[len - 1] == '\r')
			len--;
	}
	cur_init(c, p, len);
	return 0;
}

/* The next word (1* non-SP bytes) and the one SP after it. The grammar has
 * exactly one SP between fields: empty words and a trailing SP are errors. */
static int next_word(struct cursor *c, struct word *w)
{
	struct cursor look = *c;
	uint8_t b;
	size_t n = 0;

	while (cur_u8(&look, &b) == 0 && b != ' ')
		n++;
	if (n == 0 || cur_view(c, n, &w->p))
		return -EINVAL;
	w->n = n;
	if (cur_left(c) == 0)
		return 0;
	cur_skip(c, 1);
	return cur_left(c) ? 0 : -EINVAL;
}

/* 1..max_digits DIGITs with a value in lo..hi. */
static int parse_num(const struct word *w, size_t max_digits, uint32_t lo, uint32_t hi,
		     uint32_t *out)
{
	uint64_t v = 0;

	if (w->n < 1 || w->n > max_digits || !all_of(w, is_digit))
		return -EINVAL;
	for (size_t i = 0; i < w->n; i++)
		v = v * 10 + (w->p[i] - '0');
	if (v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static bool is_ip_char(uint8_t b)
{
	return is_digit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F') || b == ':' ||
	       b == '.';
}

static bool is_v4_char(uint8_t b)
{
	return is_digit(b) || b == '.';
}

static bool is_host_char(uint8_t b)
{
	return is_alpha(b) || is_digit(b) || b == '-' || b == '.';
}

/* An FQDN in the usual shape (RFC 1123 2.1): labels of 1..63 letters, digits
 * and inner hyphens, 253 bytes at most, the last label not all digits. */
static bool looks_like_fqdn(const struct word *w)
{
	size_t label = 0;
	bool letter = false;
	uint8_t prev = '.';

	if (w->n < 1 || w->n > 253 || !all_of(w, is_host_char))
		return false;
	for (size_t i = 0; i < w->n; i++) {
		uint8_t b = w->p[i];

		if ((b == '.' && (prev == '.' || prev == '-')) || (b == '-' && prev == '.'))
			return false;
		prev = b;
		if (b == '.') {
			label = 0;
			letter = false;
			continue;
		}
		letter = letter || !is_digit(b);
		if (++label > 63)
			return false;
	}
	return prev != '-' && label > 0 && letter;
}

/* RFC 8839 5.1 connection-address: IPv6 when it has a colon, else IPv4, else
 * an FQDN (-EAFNOSUPPORT: "MUST ignore"). Only the address is set. */
static int parse_addr(const struct word *w, struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN];
	bool colon = false;

	for (size_t i = 0; i < w->n; i++)
		colon = colon || w->p[i] == ':';
	if (colon) {
		struct sockaddr_in6 *a = (void *)ss;

		if (w->n >= sizeof(buf) || !all_of(w, is_ip_char))
			return -EINVAL;
		memcpy(buf, w->p, w->n);
		buf[w->n] = 0;
		if (inet_pton(AF_INET6, buf, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		return 0;
	}
	if (all_of(w, is_v4_char)) {
		struct sockaddr_in *a = (void *)ss;

		if (w->n >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, w->p, w->n);
		buf[w->n] = 0;
		if (inet_pton(AF_INET, buf, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		return 0;
	}
	return looks_like_fqdn(w) ? -EAFNOSUPPORT : -EINVAL;
}

static void set_port(struct sockaddr_storage *ss, uint32_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons((uint16_t)port);
}

/* What a well-formed line may still be that we cannot use; the first wins. */
struct unsupported {
	int err;
};

static void note(struct unsupported *u, int err)
{
	if (!u->err)
		u->err = err;
}

static int parse_type(const struct word *w, enum ice_cand_type *t, struct unsupported *u)
{
	static const enum ice_cand_type all[] = {ICE_HOST, ICE_SRFLX, ICE_PRFLX, ICE_RELAY};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (word_is(w, ice_cand_type_name(all[i]))) {
			*t = all[i];
			return 0;
		}
	}
	if (!token_ok(w))
		return -EINVAL;
	note(u, -EOPNOTSUPP);
	return 0;
}

/* Connection address of the candidate or raddr: an FQDN is noted, not an error. */
static int parse_conn(const struct word *w, struct sockaddr_storage *ss, struct unsupported *u)
{
	int err = parse_addr(w, ss);

	if (err == -EAFNOSUPPORT) {
		note(u, err);
		return 0;
	}
	return err;
}

/* The name/value pairs after the type: raddr and rport (each at most once,
 * both or neither) and extensions (token SP 1*VCHAR), which are ignored. */
static int parse_tail(struct cursor *c, struct ice_cand *out, struct unsupported *u)
{
	struct word name, value;
	bool raddr = false, rport = false;
	uint32_t port = 0;
	int err;

	while (cur_left(c)) {
		if (next_word(c, &name) || !cur_left(c) || next_word(c, &value))
			return -EINVAL;
		if (word_is(&name, "raddr")) {
			if (raddr)
				return -EINVAL;
			raddr = true;
			err = parse_conn(&value, &out->related, u);
		} else if (word_is(&name, "rport")) {
			if (rport)
				return -EINVAL;
			rport = true;
			err = parse_num(&value, 5, 0, 65535, &port);
		} else {
			err = token_ok(&name) && all_of(&value, is_vchar) ? 0 : -EINVAL;
		}
		if (err)
			return err;
	}
	if (raddr != rport)
		return -EINVAL;
	set_port(&out->related, port);
	return 0;
}

/* foundation SP component-id SP transport SP priority SP address SP port SP
 * "typ" SP cand-type (RFC 8839 5.1) */
static int parse_head(struct cursor *c, struct ice_cand *out, struct unsupported *u)
{
	struct word w[8];
	uint32_t comp, port;
	int err;

	for (size_t i = 0; i < 8; i++) {
		if (next_word(c, &w[i]) || (i < 7 && !cur_left(c)))
			return -EINVAL;
	}
	if (!ice_chars_ok(&w[0], 1, ICE_FOUNDATION_MAX))
		return -EINVAL;
	memcpy(out->foundation, w[0].p, w[0].n);
	if (parse_num(&w[1], 3, 1, 256, &comp) || !token_ok(&w[2]) ||
	    parse_num(&w[3], 10, 1, INT32_MAX, &out->priority))
		return -EINVAL;
	out->component = comp;
	if (!word_is(&w[2], "udp"))
		note(u, -EPROTONOSUPPORT);
	err = parse_conn(&w[4], &out->addr, u);
	if (err || parse_num(&w[5], 5, 1, 65535, &port) || !word_is(&w[6], "typ"))
		return -EINVAL;
	set_port(&out->addr, port);
	return parse_type(&w[7], &out->type, u);
}

int ice_cand_parse(const char *line, size_t len, struct ice_cand *out)
{
	struct unsupported u = {0};
	struct cursor c;
	int err;

	memset(out, 0, sizeof(*out));
	if (line_cursor(&c, line, len, ICE_CAND_LINE_MAX))
		return -EINVAL;
	if (skip_lit(&c, "a=") && !skip_lit(&c, "candidate:"))
		return -EINVAL;
	skip_lit(&c, "candidate:");
	err = parse_head(&c, out, &u);
	if (!err)
		err = parse_tail(&c, out, &u);
	if (!err)
		err = u.err;
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

/* Writes the address of ss (no port) into buf; its port, or -EINVAL. */
static int addr_text(const struct sockaddr_storage *ss, char buf[INET6_ADDRSTRLEN])
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, buf, INET6_ADDRSTRLEN);
		return ntohs(a->sin_port);
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, buf, INET6_ADDRSTRLEN);
		return ntohs(a->sin6_port);
	}
	return -EINVAL;
}

static bool cstr_ice_chars(const char *s, size_t min, size_t max)
{
	struct word w = {(const uint8_t *)s, strnlen(s, max + 1)};

	return ice_chars_ok(&w, min, max);
}

int ice_cand_format(const struct ice_cand *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN], out[ICE_CAND_TEXT_MAX];
	int port, rport = 0, n;

	port = addr_text(&c->addr, a);
	if (c->related.ss_family)
		rport = addr_text(&c->related, r);
	if (port <= 0 || rport < 0 || c->component < 1 || c->component > 256 || c->priority < 1 ||
	    c->priority > INT32_MAX || (unsigned)c->type > ICE_RELAY ||
	    !cstr_ice_chars(c->foundation, 1, ICE_FOUNDATION_MAX))
		return -EINVAL;
	n = snprintf(out, sizeof(out), "candidate:%s %u UDP %" PRIu32 " %s %d typ %s",
		     c->foundation, c->component, c->priority, a, port,
		     ice_cand_type_name(c->type));
	if (n > 0 && c->related.ss_family)
		n += snprintf(out + n, sizeof(out) - (size_t)n, " raddr %s rport %d", r, rport);
	if (n < 0 || (size_t)n >= sizeof(out))
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENOSPC;
	memcpy(buf, out, (size_t)n + 1);
	return n;
}

/* --- ice-ufrag / ice-pwd --- */

int ice_creds_new(struct ice_creds *c)
{
	uint8_t rnd[ICE_UFRAG_NEW_LEN + ICE_PWD_NEW_LEN];

	memset(c, 0, sizeof(*c));
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	for (size_t i = 0; i < ICE_UFRAG_NEW_LEN; i++)
		c->ufrag[i] = ice_chars[rnd[i] & 63];
	for (size_t i = 0; i < ICE_PWD_NEW_LEN; i++)
		c->pwd[i] = ice_chars[rnd[ICE_UFRAG_NEW_LEN + i] & 63];
	return 0;
}

/* "a=NAME:VALUE", "NAME:VALUE" or "VALUE", with min..max ice-chars. */
static int parse_cred(const char *line, size_t len, const char *name, size_t min, size_t max,
		      char *out)
{
	struct cursor c;
	struct word w;

	out[0] = 0;
	if (line_cursor(&c, line, len, max + 32))
		return -EINVAL;
	if (skip_lit(&c, "a=") && !skip_lit(&c, name))
		return -EINVAL;
	skip_lit(&c, name);
	w.n = cur_left(&c);
	if (cur_view(&c, w.n, &w.p) || !ice_chars_ok(&w, min, max))
		return -EINVAL;
	memcpy(out, w.p, w.n);
	out[w.n] = 0;
	return 0;
}

int ice_ufrag_parse(const char *line, size_t len, char out[ICE_UFRAG_MAX + 1])
{
	return parse_cred(line, len, "ice-ufrag:", ICE_UFRAG_MIN, ICE_UFRAG_MAX, out);
}

int ice_pwd_parse(const char *line, size_t len, char out[ICE_PWD_MAX + 1])
{
	return parse_cred(line, len, "ice-pwd:", ICE_PWD_MIN, ICE_PWD_MAX, out);
}

static int format_cred(const char *name, const char *v, size_t min, size_t max, char *buf,
		       size_t len)
{
	int n;

	if (!cstr_ice_chars(v, min, max))
		return -EINVAL;
	n = snprintf(buf, len, "%s%s", name, v);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < len ? n : -ENOSPC;
}

int ice_ufrag_format(const char *ufrag, char *buf, size_t len)
{
	return format_cred("ice-ufrag:", ufrag, ICE_UFRAG_MIN, ICE_UFRAG_SEND_MAX, buf, len);
}

int ice_pwd_format(const char *pwd, char *buf, size_t len)
{
	return format_cred("ice-pwd:", pwd, ICE_PWD_MIN, ICE_PWD_MAX, buf, len);
}
