/* The overlay's bounded in-memory key/value store: records with owners, lifetimes, primary or
 * replica role, selection by ring interval for handover. No sockets, timers or signatures. */
#ifndef HIPSIP_STORE_H
#define HIPSIP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2psipd/chord/id.h"

#define STORE_VALUE_MAX	   4096		   /* bytes of one record's value */
#define STORE_OWNER_MAX	   64		   /* bytes of an owner (a HIT is 16) */
#define STORE_LIFETIME_MAX (7 * 24 * 3600) /* seconds */

/* A record is identified by (resource ID, content type, owner). Under one (ID, type):
 * - a signed record is exclusive: while it lives, a put or remove by another owner is refused
 *   (-EPERM), so the first owner to register a signed key keeps it until it expires;
 * - unsigned records of different owners coexist (e.g. several STUN/TURN servers announced under
 *   one well-known key); a signed put by an owner removes other owners' unsigned records.
 * Whether a value is validly signed is the caller's check (aor.h): the store only keeps the flag.
 * Times are the caller's clock in seconds; a record with expires <= now is dead: never returned,
 * its slot reused, dropped by store_expire. */
struct store_rec {
	struct chord_id id;
	uint8_t cont_type;
	uint8_t owner[STORE_OWNER_MAX];
	size_t owner_len;
	uint8_t *value; /* owned by the store */
	size_t value_len;
	uint64_t expires;
	bool is_signed;
	bool primary; /* we are responsible for the key; false: we hold a replica */
	bool used;
};

struct store {
	struct store_rec *recs;
	size_t cap;
};

/* max_records >= 1. 0 or -ENOMEM. */
int store_init(struct store *s, size_t max_records);
void store_free(struct store *s);

struct store_put {
	struct chord_id id;
	uint8_t cont_type;
	const uint8_t *owner;
	size_t owner_len; /* 1..STORE_OWNER_MAX */
	const uint8_t *value;
	size_t value_len;  /* 0..STORE_VALUE_MAX */
	uint32_t lifetime; /* 1..STORE_LIFETIME_MAX seconds from now */
	bool is_signed;
	bool primary;
};

/* Stores or refreshes (same owner: value, flags and expires = now + lifetime replaced).
 * 0; -EINVAL (owner or lifetime out of range); -EMSGSIZE (value too big); -EPERM (a live signed
 * record of another owner holds the key); -ENOSPC (every slot holds a live record); -ENOMEM. */
int store_put(struct store *s, const struct store_put *p, uint64_t now);

/* The live record of (id, type) by this owner, or with owner NULL the first live one. NULL if
 * none. The pointer is valid until the next put, remove or expire. */
const struct store_rec *store_get(const struct store *s, const struct chord_id *id,
				  uint8_t cont_type, const uint8_t *owner, size_t owner_len,
				  uint64_t now);

/* Removes the owner's record of (id, type). 0; -ENOENT (no live record there); -EPERM (only
 * other owners' records live there). */
int store_remove(struct store *s, const struct chord_id *id, uint8_t cont_type,
		 const uint8_t *owner, size_t owner_len, uint64_t now);

/* Drops every record with expires <= now; returns how many. */
size_t store_expire(struct store *s, uint64_t now);
/* Live records at now. */
size_t store_count(const struct store *s, uint64_t now);

enum store_role {
	STORE_ANY,
	STORE_PRIMARY,
	STORE_REPLICA,
};

/* Which live records store_foreach visits. from/to: the ring interval (from, to] (chord_in_open_
 * closed, so it wraps at 2^128 and (a, a] is the whole ring); both NULL: every ID. key: only that
 * resource ID (NULL: any). cont_type < 0: any type. */
struct store_filter {
	const struct chord_id *from, *to;
	const struct chord_id *key;
	int cont_type;
	enum store_role role;
	uint64_t now;
};

/* Called for each matching record; a non-zero return stops the walk and is returned. fn must not
 * put, remove or expire. */
typedef int (*store_visit_fn)(const struct store_rec *r, void *ctx);

/* Handover on join (records in (pred, new node] to send), the re-replication list on the k
 * successors (role PRIMARY), lookups of every owner's record under a key. Returns the number of
 * records visited, or fn's non-zero return. -EINVAL if only one of from/to is given. */
int store_foreach(const struct store *s, const struct store_filter *f, store_visit_fn fn,
		  void *ctx);

/* Sets the role of the live records in (from, to] (both NULL: all): after a join our records the
 * new node takes become replicas; after our predecessor leaves its keys become ours. Returns how
 * many changed, or -EINVAL. */
int store_set_role(struct store *s, const struct chord_id *from, const struct chord_id *to,
		   bool primary, uint64_t now);
/* Sets the role of the owner's live record of (id, type): a record published again to its
 * responsible node becomes a replica here once that node took it. 0 or -ENOENT. */
int store_set_role_of(struct store *s, const struct chord_id *id, uint8_t cont_type,
		      const uint8_t *owner, size_t owner_len, bool primary, uint64_t now);

/* Node IDs are HITs, which all lie in one ORCHID /32 (2001:20::/28 plus the 4-bit OGA ID of their
 * HIT suite): keys spread over the whole 2^128 ring would almost all fall outside that /32 and
 * belong to one node. So a key is shaped like a HIT of the overlay's suite: 2001:2 | OGA | the
 * first 96 bits of SHA-256 of the string. An overlay of mixed suites still works (a node of
 * another suite owns the keys between its neighbours), only less evenly. */
/* RFC 7401 5.2.10 HIT suite ECDSA/SHA-384, the default of p2psipd and hipd */
#define STORE_KEY_OGA 2
/* A string's key as above. 0 or -EIO. */
int store_key_from_string(const char *str, size_t len, struct chord_id *out);

#endif
