/* Host identities changed while hipd runs (hipconf daemon new|add|del hi): the identity
 * table, their files in the state directory, R1s and hit0. Not key handling (common/hostid). */
#ifndef HIPSIP_IDENTITY_H
#define HIPSIP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/hostid.h"
#include "hipd/hipd.h"

/* The file an identity added at run time is kept in: STATE/added-hi-HIT.pem (0600). */
#define IDENTITY_ADDED_PREFIX "added-hi-"

/* Takes id (generated or loaded by the caller) into h's table as the last identity and saves
 * it to the state directory. 0; -EEXIST when its HIT is already ours; -ENOSPC when the table
 * holds HIPD_MAX_IDS identities; or the save's -errno. On error id stays the caller's. */
int identity_add(struct hipd *h, struct hostid *id);

/* Forgets the identity with HIT hit and deletes its added-hi file (identities from --hi keep
 * theirs: they come back at the next start). Refused: -ENOENT not ours; -EPERM the last one;
 * without force, -EBUSY when it is the default and -EADDRINUSE when associations use it.
 * With force those associations are dropped without CLOSE, like hipconf daemon rst, and the
 * next identity becomes the default. *dropped: how many associations went. */
int identity_del(struct hipd *h, const struct in6_addr *hit, bool force, size_t *dropped);

/* Associations whose local identity is id. */
size_t identity_users(const struct hipd *h, const struct hostid *id);

/* At start, after the --hi identities: loads the added-hi files of the state directory
 * (sorted by name) while there is room. Files that fail to load are logged and skipped. */
void identity_load_added(struct hipd *h);

#endif
