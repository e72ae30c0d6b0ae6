/* The table of local SIP bindings and the REGISTER rules of RFC 3261 10.3 (Contact, Expires).
 * Not the overlay (the B2BUA publishes the signed record) and not transactions. */
#include "p2psipd/sip/registrar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORGET_MS 3600000ull

/* Expires as RFC 3261 20.19 has it: delta-seconds; larger than 2^32-1 means 2^32-1. */
static int parse_delta(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EBADMSG;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EBADMSG;
		if (v < 0xffffffffull)
			v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v > 0xffffffffull ? 0xffffffffu : (uint32_t)v;
	return 0;
}

/* 10.3 step 7 (and 10.2.1.1): the contact's expires parameter, else the Expires header, else
 * our default; capped. */
static int granted_expires(const struct registrar *r, const osip_message_t *req,
			   const osip_contact_t *c, uint32_t *out)
{
	osip_generic_param_t *p = NULL;
	uint32_t max = r->max_expires ? r->max_expires : REG_EXPIRES_MAX;
	const char *hdr = sip_msg_header(req, "expires");
	uint32_t v = REG_EXPIRES_DEFAULT;

	if (c && osip_contact_param_get_byname((osip_contact_t *)c, "expires", &p) == 0 && p &&
	    p->gvalue) {
		if (parse_delta(p->gvalue, &v))
			return -EBADMSG;
	} else if (hdr && parse_delta(hdr, &v)) {
		return -EBADMSG;
	}
	*out = v > max ? max : v;
	return 0;
}

static int fail(const char **why, const char *text)
{
	if (why)
		*why = text;
	return -EBADMSG;
}

int reg_parse(const struct registrar *r, const osip_message_t *req, struct reg_request *out,
	      const char **why)
{
	osip_contact_t *c = NULL;
	char *text = NULL;
	int n = osip_list_size(&req->contacts);

	memset(out, 0, sizeof(*out));
	if (!req->to || !req->to->url || sip_uri_aor(req->to->url, out->aor, sizeof(out->aor)))
		return fail(why, "Bad To URI");
	if (n <= 0) {
		out->query = true;
		return 0;
	}
	c = osip_list_get(&req->contacts, 0);
	if (c && c->displayname && strcmp(c->displayname, "*") == 0) {
		if (n != 1 || granted_expires(r, req, NULL, &out->expires) || out->expires != 0)
			return fail(why, "Bad wildcard Contact");
		out->wildcard = true;
		return 0;
	}
	if (!c || !c->url || !c->url->scheme || !c->url->host)
		return fail(why, "Bad Contact");
	if (granted_expires(r, req, c, &out->expires))
		return fail(why, "Bad Expires");
	if (osip_uri_to_str(c->url, &text) || !text)
		return fail(why, "Bad Contact");
	if (strlen(text) >= sizeof(out->contact)) {
		osip_free(text);
		return fail(why, "Contact too long");
	}
	snprintf(out->contact, sizeof(out->contact), "%s", text);
	osip_free(text);
	return 0;
}

struct reg_binding *reg_find(struct registrar *r, const char *aor)
{
	for (struct reg_binding *b = r->head; b; b = b->next) {
		if (strcmp(b->aor, aor) == 0)
			return b;
	}
	return NULL;
}

struct reg_binding *reg_set(struct registrar *r, const char *aor, const char *contact,
			    const struct sip_src *src, uint32_t expires, uint64_t now_ms)
{
	struct reg_binding *b = reg_find(r, aor);

	if (strlen(aor) >= REG_AOR_MAX || strlen(contact) >= REG_CONTACT_MAX)
		return NULL;
	if (!b) {
		if (r->count >= REG_MAX || !(b = calloc(1, sizeof(*b))))
			return NULL;
		snprintf(b->aor, sizeof(b->aor), "%s", aor);
		b->next = r->head;
		r->head = b;
		r->count++;
		b->state = REG_PENDING;
	}
	snprintf(b->contact, sizeof(b->contact), "%s", contact);
	b->src = *src;
	b->granted = expires;
	b->expires_ms = now_ms + (uint64_t)expires * 1000;
	return b;
}

void reg_remove(struct registrar *r, const char *aor)
{
	for (struct reg_binding **pp = &r->head; *pp; pp = &(*pp)->next) {
		struct reg_binding *b = *pp;
		if (strcmp(b->aor, aor) != 0)
			continue;
		*pp = b->next;
		free(b);
		r->count--;
		return;
	}
}

void reg_expire(struct registrar *r, uint64_t now_ms, void (*cb)(void *arg, struct reg_binding *b),
		void *arg)
{
	struct reg_binding **pp = &r->head;

	while (*pp) {
		struct reg_binding *b = *pp;
		if (b->state == REG_EXPIRED && now_ms >= b->expires_ms + FORGET_MS) {
			*pp = b->next;
			free(b);
			r->count--;
			continue;
		}
		if (b->state != REG_EXPIRED && now_ms >= b->expires_ms) {
			b->state = REG_EXPIRED;
			if (cb)
				cb(arg, b);
		}
		pp = &b->next;
	}
}

void reg_clear(struct registrar *r)
{
	while (r->head) {
		struct reg_binding *b = r->head;
		r->head = b->next;
		free(b);
	}
	r->count = 0;
}

const char *reg_state_name(enum reg_state s)
{
	switch (s) {
	case REG_PENDING:
		return "pending";
	case REG_ACTIVE:
		return "active";
	case REG_EXPIRED:
		return "expired";
	}
	return "?";
}
