/* ICE candidates (RFC 8445 5.1): types, priorities, foundations, and their text
 * form in SDP (RFC 8839 5.1, "candidate:..." and ice-ufrag/ice-pwd). No I/O. */
#ifndef HIPSIP_ICE_CAND_H
#define HIPSIP_ICE_CAND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum ice_cand_type { ICE_HOST, ICE_SRFLX, ICE_PRFLX, ICE_RELAY };

#define ICE_FOUNDATION_MAX 32 /* 1*32 ice-char (RFC 8839 5.1) */
#define ICE_UFRAG_MAX	   256
#define ICE_PWD_MAX	   256

struct ice_cand {
	enum ice_cand_type type;
	unsigned component;		       /* 1..256 */
	uint32_t priority;
	char foundation[ICE_FOUNDATION_MAX + 1];
	struct sockaddr_storage addr;	       /* transport address (UDP only) */
	struct sockaddr_storage base;	       /* local: host address it was sent from; remote: unused */
	struct sockaddr_storage related;       /* raddr/rport for srflx/prflx/relay; family 0 if none */
};

/* Type preferences recommended by RFC 8445 5.1.2.2. */
#define ICE_TYPEPREF_HOST  126
#define ICE_TYPEPREF_PRFLX 110
#define ICE_TYPEPREF_SRFLX 100
#define ICE_TYPEPREF_RELAY 0

uint32_t ice_priority(unsigned type_pref, unsigned local_pref, unsigned component);
unsigned ice_type_pref(enum ice_cand_type type);
const char *ice_cand_type_name(enum ice_cand_type type); /* "host", "srflx", "prflx", "relay" */
/* ... more declared by cand.c's author: foundation computation, SDP text. */

#endif
