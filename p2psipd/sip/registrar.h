/* Local SIP registrations (RFC 3261 10.3): the bindings AOR -> the client's Contact, where it
 * is reachable (transport and source) and until when, and the Expires rules of REGISTER.
 * Not the overlay record (the B2BUA publishes it) and not SIP transactions. */
#ifndef HIPSIP_SIP_REGISTRAR_H
#define HIPSIP_SIP_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>

#include "p2psipd/sip/msg.h"
#include "p2psipd/sip/transport.h"

#define REG_AOR_MAX	    256
#define REG_CONTACT_MAX	    512
#define REG_EXPIRES_DEFAULT 3600  /* RFC 3261 10.2.1.1: a registrar may pick one */
#define REG_EXPIRES_MAX	    86400 /* what we grant at most (10.3 step 7: may shorten) */
#define REG_MAX		    1024  /* bindings at once */

enum reg_state {
	REG_PENDING, /* the overlay record is being published */
	REG_ACTIVE,
	REG_EXPIRED, /* the client did not refresh: calls get 480 until it registers again */
};

struct reg_binding {
	struct reg_binding *next;
	char aor[REG_AOR_MAX];	       /* canonical, sip_uri_aor */
	char contact[REG_CONTACT_MAX]; /* the Contact URI text, where INVITEs go */
	struct sip_src src;	       /* the REGISTER's source: our way back to the client */
	uint64_t expires_ms;	       /* loop time at which the binding ends */
	uint32_t granted;	       /* seconds granted in the last 200 */
	enum reg_state state;
};

struct registrar {
	struct reg_binding *head;
	unsigned count;
	uint32_t max_expires; /* 0: REG_EXPIRES_MAX */
};

/* What a REGISTER asks (RFC 3261 10.3 steps 5-7). */
struct reg_request {
	char aor[REG_AOR_MAX];
	bool query;		       /* no Contact: list the bindings */
	bool wildcard;		       /* "Contact: *" (with Expires 0: remove all) */
	char contact[REG_CONTACT_MAX]; /* the first Contact's URI */
	uint32_t expires;	       /* granted: 0 removes, capped at max_expires */
};

/* Reads a REGISTER (from sip_msg_parse). 0, or -EBADMSG with *why (a 400 reason): no usable
 * To URI, a "*" Contact with other contacts or Expires other than 0 (10.3 step 6), a Contact
 * that is not a SIP URI. */
int reg_parse(const struct registrar *r, const osip_message_t *req, struct reg_request *out,
	      const char **why);

struct reg_binding *reg_find(struct registrar *r, const char *aor);
/* Adds or replaces the binding of aor (one Contact per AOR: the newest wins). now_ms is the
 * loop time. NULL when full or out of memory. */
struct reg_binding *reg_set(struct registrar *r, const char *aor, const char *contact,
			    const struct sip_src *src, uint32_t expires, uint64_t now_ms);
void reg_remove(struct registrar *r, const char *aor);
/* Marks the active bindings whose time is up as expired and calls cb for each (which may not
 * remove them); expired bindings older than an hour are forgotten. */
void reg_expire(struct registrar *r, uint64_t now_ms, void (*cb)(void *arg, struct reg_binding *b),
		void *arg);
void reg_clear(struct registrar *r);
const char *reg_state_name(enum reg_state s);

#endif
