/* NOTIFY packets: sending a signed NOTIFICATION about a rejected packet, and
 * logging received ones (an overlay hop's go to overlay_notify.c); a NOTIFY never
 * changes association state (RFC 7401 5.3.6). */
#include <errno.h>
#include <string.h>

#include "common/hit.h"
#include "common/log.h"
#include "common/stamp.h"
#include "hipd/auth.h"
#include "hipd/bex.h"
#include "hipd/output.h"
#include "hipd/overlay.h"

const char *notify_type_name(uint16_t type)
{
	switch (type) {
	case HIP_NTF_UNSUPPORTED_CRITICAL_PARAMETER_TYPE:
		return "UNSUPPORTED_CRITICAL_PARAMETER_TYPE";
	case HIP_NTF_INVALID_SYNTAX:
		return "INVALID_SYNTAX";
	case HIP_NTF_NO_DH_PROPOSAL_CHOSEN:
		return "NO_DH_PROPOSAL_CHOSEN";
	case HIP_NTF_INVALID_DH_CHOSEN:
		return "INVALID_DH_CHOSEN";
	case HIP_NTF_NO_HIP_PROPOSAL_CHOSEN:
		return "NO_HIP_PROPOSAL_CHOSEN";
	case HIP_NTF_INVALID_HIP_CIPHER_CHOSEN:
		return "INVALID_HIP_CIPHER_CHOSEN";
	case HIP_NTF_UNSUPPORTED_HIT_SUITE:
		return "UNSUPPORTED_HIT_SUITE";
	case HIP_NTF_AUTHENTICATION_FAILED:
		return "AUTHENTICATION_FAILED";
	case HIP_NTF_CHECKSUM_FAILED:
		return "CHECKSUM_FAILED";
	case HIP_NTF_HIP_MAC_FAILED:
		return "HIP_MAC_FAILED";
	case HIP_NTF_ENCRYPTION_FAILED:
		return "ENCRYPTION_FAILED";
	case HIP_NTF_INVALID_HIT:
		return "INVALID_HIT";
	case HIP_NTF_BLOCKED_BY_POLICY:
		return "BLOCKED_BY_POLICY";
	case HIP_NTF_RESPONDER_BUSY_PLEASE_RETRY:
		return "RESPONDER_BUSY_PLEASE_RETRY";
	case HIP_NTF_REG_REQUIRED:
		return "REG_REQUIRED";
	case HIP_NTF_NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER:
		return "NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER";
	case HIP_NTF_CONNECTIVITY_CHECKS_FAILED:
		return "CONNECTIVITY_CHECKS_FAILED";
	case HIP_NTF_MESSAGE_NOT_RELAYED:
		return "MESSAGE_NOT_RELAYED";
	case HIP_NTF_OVERLAY_TTL_EXCEEDED:
		return "OVERLAY_TTL_EXCEEDED";
	case HIP_NTF_UNKNOWN_NEXT_HOP:
		return "UNKNOWN_NEXT_HOP";
	case HIP_NTF_I2_ACKNOWLEDGEMENT:
		return "I2_ACKNOWLEDGEMENT";
	default:
		return "UNKNOWN";
	}
}

void notify_send(struct hipd *h, const struct hostid *id, const struct in6_addr *peer,
		 const struct hip_rx *rx, uint16_t type, const void *data, size_t len)
{
	uint8_t pkt[HIP_MAX_PACKET_LEN];
	char buf[HIT_STRLEN];
	struct wbuf w;
	struct hip_p_host_id hi = {
	    .algorithm = id->algorithm, .hi = id->hi, .hi_len = (uint16_t)id->hi_len};
	struct hip_p_notification n = {.msg_type = type, .data = data, .data_len = len};

	/* parameters in ascending type order (5.2.1): HOST_ID (705) before
	 * NOTIFICATION (832), so the receiver can verify us without state */
	wbuf_init(&w, pkt, sizeof(pkt));
	hip_build_start(&w, HIP_NOTIFY, 0, &id->hit, peer);
	hip_p_host_id_encode(&w, &hi);
	hip_p_notification_encode(&w, &n);
	if (wbuf_error(&w) || auth_sign_append(id, &w, HIP_PARAM_HIP_SIGNATURE)) {
		log_err("notify: cannot build NOTIFY %s", notify_type_name(type));
		return;
	}
	int err = out_send(h, rx->transport, (struct sockaddr *)&rx->dst,
			   (struct sockaddr *)&rx->src, pkt, w.len);
	if (err) {
		log_warn("notify: cannot send to %s: %s", hit_to_str(peer, buf), strerror(-err));
		return;
	}
	stamp_emit("bex.notify_sent", json_pack("{s:s,s:s}", "peer", hit_to_str(peer, buf), "type",
						notify_type_name(type)));
}

/* The sender's identity: from our association, else from the NOTIFY's HOST_ID
 * (accepted only if it hashes to the sender HIT). */
static struct hostid *notify_sender(struct hipd *h, const struct hip_msg *m, bool *owned)
{
	struct hip_ha *ha = hadb_find_peer(&h->db, &m->hit_s);
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_HOST_ID);
	struct hip_p_host_id hi;
	struct hostid *id = NULL;

	*owned = false;
	if (ha && ha->peer_id)
		return ha->peer_id;
	if (!p || hip_p_host_id_decode(p, &hi) ||
	    hostid_from_hi(hi.algorithm, hi.hi, hi.hi_len, &id))
		return NULL;
	if (memcmp(&id->hit, &m->hit_s, sizeof(id->hit)) != 0) {
		hostid_free(id);
		return NULL;
	}
	*owned = true;
	return id;
}

/* A NOTIFICATION about our association with the NOTIFY's sender. */
static void peer_notification(struct hipd *h, const struct hip_msg *m,
			      const struct hip_p_notification *n)
{
	char buf[HIT_STRLEN];
	struct hip_ha *ha = hadb_find_peer(&h->db, &m->hit_s);

	log_warn("notify from %s: %s (%u)", hit_to_str(&m->hit_s, buf),
		 notify_type_name(n->msg_type), n->msg_type);
	if (ha)
		ha->last_notify = n->msg_type;
	stamp_emit("bex.notify_received", json_pack("{s:s,s:s}", "peer", hit_to_str(&m->hit_s, buf),
						    "type", notify_type_name(n->msg_type)));
}

void notify_on_notify(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	char buf[HIT_STRLEN];
	bool owned;
	struct hostid *sender = notify_sender(h, m, &owned);
	(void)rx;

	if (!sender || auth_verify(sender, m, HIP_PARAM_HIP_SIGNATURE)) {
		log_warn("notify from %s: cannot authenticate, ignored",
			 hit_to_str(&m->hit_s, buf));
		if (owned)
			hostid_free(sender);
		return;
	}
	if (owned)
		hostid_free(sender);
	const struct hip_param *p = hip_msg_find(m, HIP_PARAM_NOTIFICATION);
	for (; p; p = hip_msg_find_next(m, p)) {
		struct hip_p_notification n;
		if (hip_p_notification_decode(p, &n))
			continue;
		/* from an overlay hop, about a packet of ours to another peer */
		if (n.msg_type == HIP_NTF_OVERLAY_TTL_EXCEEDED ||
		    n.msg_type == HIP_NTF_UNKNOWN_NEXT_HOP) {
			overlay_notify_input(h, m, &n);
			continue;
		}
		peer_notification(h, m, &n);
	}
}
