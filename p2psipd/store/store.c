/* The overlay's bounded key/value store (store.h): a fixed array of record slots searched
 * linearly (a node holds a few thousand records at most). Not a signature checker. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/store/store.h"

int store_init(struct store *s, size_t max_records)
{
	memset(s, 0, sizeof(*s));
	if (max_records == 0)
		return -EINVAL;
	s->recs = calloc(max_records, sizeof(*s->recs));
	if (!s->recs)
		return -ENOMEM;
	s->cap = max_records;
	return 0;
}

static void rec_clear(struct store_rec *r)
{
	free(r->value);
	memset(r, 0, sizeof(*r));
}

void store_free(struct store *s)
{
	for (size_t i = 0; i < s->cap; i++)
		rec_clear(&s->recs[i]);
	free(s->recs);
	memset(s, 0, sizeof(*s));
}

static bool live(const struct store_rec *r, uint64_t now)
{
	return r->used && r->expires > now;
}

static bool same_key(const struct store_rec *r, const struct chord_id *id, uint8_t cont_type)
{
	return r->cont_type == cont_type && chord_id_eq(&r->id, id);
}

static bool same_owner(const struct store_rec *r, const uint8_t *owner, size_t owner_len)
{
	return r->owner_len == owner_len && memcmp(r->owner, owner, owner_len) == 0;
}

/* The live signed record of (id, type) by someone other than owner, if any. */
static const struct store_rec *other_signed(const struct store *s, const struct chord_id *id,
					    uint8_t cont_type, const uint8_t *owner,
					    size_t owner_len, uint64_t now)
{
	for (size_t i = 0; i < s->cap; i++) {
		const struct store_rec *r = &s->recs[i];

		if (live(r, now) && r->is_signed && same_key(r, id, cont_type) &&
		    !same_owner(r, owner, owner_len))
			return r;
	}
	return NULL;
}

static struct store_rec *find(const struct store *s, const struct chord_id *id, uint8_t cont_type,
			      const uint8_t *owner, size_t owner_len, uint64_t now)
{
	for (size_t i = 0; i < s->cap; i++) {
		struct store_rec *r = &s->recs[i];

		if (live(r, now) && same_key(r, id, cont_type) &&
		    (!owner || same_owner(r, owner, owner_len)))
			return r;
	}
	return NULL;
}

static struct store_rec *free_slot(struct store *s, uint64_t now)
{
	for (size_t i = 0; i < s->cap; i++) {
		if (!live(&s->recs[i], now)) {
			rec_clear(&s->recs[i]);
			return &s->recs[i];
		}
	}
	return NULL;
}

/* A signed claim on a key evicts the unsigned records other owners left there. */
static void drop_unsigned_others(struct store *s, const struct store_put *p, uint64_t now)
{
	for (size_t i = 0; i < s->cap; i++) {
		struct store_rec *r = &s->recs[i];

		if (live(r, now) && !r->is_signed && same_key(r, &p->id, p->cont_type) &&
		    !same_owner(r, p->owner, p->owner_len))
			rec_clear(r);
	}
}

static int check_put(const struct store_put *p)
{
	if (!p->owner || p->owner_len == 0 || p->owner_len > STORE_OWNER_MAX)
		return -EINVAL;
	if (p->lifetime == 0 || p->lifetime > STORE_LIFETIME_MAX)
		return -EINVAL;
	if (p->value_len > STORE_VALUE_MAX)
		return -EMSGSIZE;
	if (p->value_len && !p->value)
		return -EINVAL;
	return 0;
}

/* Copies the value first so that a failed allocation leaves the record as it was. */
static int fill(struct store_rec *r, const struct store_put *p, uint64_t now)
{
	uint8_t *v = malloc(p->value_len ? p->value_len : 1);

	if (!v)
		return -ENOMEM;
	if (p->value_len)
		memcpy(v, p->value, p->value_len);
	free(r->value);
	r->value = v;
	r->value_len = p->value_len;
	r->id = p->id;
	r->cont_type = p->cont_type;
	memcpy(r->owner, p->owner, p->owner_len);
	r->owner_len = p->owner_len;
	r->expires = now + p->lifetime;
	r->is_signed = p->is_signed;
	r->primary = p->primary;
	r->used = true;
	return 0;
}

int store_put(struct store *s, const struct store_put *p, uint64_t now)
{
	struct store_rec *r;
	int err = check_put(p);

	if (err)
		return err;
	if (other_signed(s, &p->id, p->cont_type, p->owner, p->owner_len, now))
		return -EPERM;
	if (p->is_signed)
		drop_unsigned_others(s, p, now);
	r = find(s, &p->id, p->cont_type, p->owner, p->owner_len, now);
	if (!r)
		r = free_slot(s, now);
	if (!r)
		return -ENOSPC;
	return fill(r, p, now);
}

const struct store_rec *store_get(const struct store *s, const struct chord_id *id,
				  uint8_t cont_type, const uint8_t *owner, size_t owner_len,
				  uint64_t now)
{
	return find(s, id, cont_type, owner, owner_len, now);
}

int store_remove(struct store *s, const struct chord_id *id, uint8_t cont_type,
		 const uint8_t *owner, size_t owner_len, uint64_t now)
{
	struct store_rec *r;

	if (!owner || owner_len == 0)
		return -EINVAL;
	r = find(s, id, cont_type, owner, owner_len, now);
	if (r) {
		rec_clear(r);
		return 0;
	}
	return find(s, id, cont_type, NULL, 0, now) ? -EPERM : -ENOENT;
}

size_t store_expire(struct store *s, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < s->cap; i++) {
		if (s->recs[i].used && !live(&s->recs[i], now)) {
			rec_clear(&s->recs[i]);
			n++;
		}
	}
	return n;
}

size_t store_count(const struct store *s, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < s->cap; i++)
		n += live(&s->recs[i], now);
	return n;
}

static bool in_range(const struct store_rec *r, const struct chord_id *from,
		     const struct chord_id *to)
{
	return !from || chord_in_open_closed(&r->id, from, to);
}

static bool matches(const struct store_rec *r, const struct store_filter *f)
{
	if (!live(r, f->now) || !in_range(r, f->from, f->to))
		return false;
	if (f->key && !chord_id_eq(&r->id, f->key))
		return false;
	if (f->cont_type >= 0 && r->cont_type != f->cont_type)
		return false;
	if (f->role == STORE_PRIMARY)
		return r->primary;
	if (f->role == STORE_REPLICA)
		return !r->primary;
	return true;
}

int store_foreach(const struct store *s, const struct store_filter *f, store_visit_fn fn, void *ctx)
{
	int n = 0;

	if (!f->from != !f->to)
		return -EINVAL;
	for (size_t i = 0; i < s->cap; i++) {
		int rc;

		if (!matches(&s->recs[i], f))
			continue;
		rc = fn(&s->recs[i], ctx);
		if (rc)
			return rc;
		n++;
	}
	return n;
}

int store_set_role(struct store *s, const struct chord_id *from, const struct chord_id *to,
		   bool primary, uint64_t now)
{
	int n = 0;

	if (!from != !to)
		return -EINVAL;
	for (size_t i = 0; i < s->cap; i++) {
		struct store_rec *r = &s->recs[i];

		if (!live(r, now) || !in_range(r, from, to) || r->primary == primary)
			continue;
		r->primary = primary;
		n++;
	}
	return n;
}

int store_key_from_string(const char *str, size_t len, struct chord_id *out)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (!EVP_Digest(str, len, md, &md_len, EVP_sha256(), NULL) || md_len < CHORD_ID_BYTES)
		return -EIO;
	/* RFC 7343 2: the 28-bit ORCHIDv2 prefix 2001:20::/28, then the OGA ID */
	out->b[0] = 0x20;
	out->b[1] = 0x01;
	out->b[2] = 0x00;
	out->b[3] = 0x20 | STORE_KEY_OGA;
	memcpy(out->b + 4, md, CHORD_ID_BYTES - 4);
	return 0;
}

int store_set_role_of(struct store *s, const struct chord_id *id, uint8_t cont_type,
		      const uint8_t *owner, size_t owner_len, bool primary, uint64_t now)
{
	struct store_rec *r = owner ? find(s, id, cont_type, owner, owner_len, now) : NULL;

	if (!r)
		return -ENOENT;
	r->primary = primary;
	return 0;
}
