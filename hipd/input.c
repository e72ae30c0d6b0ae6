/* Entry point for received HIP packets: framing, checksum and receiver checks,
 * the relay's look (relay.c), then dispatch by packet type. Protocol processing
 * is in bex.c, close.c, notify.c, update.c. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/hit.h"
#include "common/log.h"
#include "hipd/bex.h"
#include "hipd/overlay.h"
#include "hipd/relay.h"
#include "hipd/update.h"

static const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
			    ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
			    : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* RFC 7401 5.1.1 for raw packets; RFC 5770 5.1 makes it zero over UDP (we also
 * accept a correct pseudo-header checksum there). */
static bool checksum_ok(const struct hip_rx *rx, const struct hip_msg *m)
{
	if (rx->transport == HIP_TRANSPORT_UDP && m->checksum == 0)
		return true;
	return hip_checksum_verify(rx->pkt, rx->len, (const struct sockaddr *)&rx->src,
				   (const struct sockaddr *)&rx->dst) == 0;
}

/* An unknown critical parameter (5.2.1): stop processing; answer with NOTIFY
 * only for packets that are not I1/R1 (6.7.2, 6.8.1: no NOTIFY for those). */
static void reject_critical(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	char buf[HIT_STRLEN];
	const struct hostid *id = hipd_identity(h, &m->hit_r);
	uint8_t data[2] = {(uint8_t)(m->bad_type >> 8), (uint8_t)m->bad_type};

	log_warn("%s from %s: unknown critical parameter %u, dropped",
		 hip_packet_type_name(m->type), hit_to_str(&m->hit_s, buf), m->bad_type);
	if (m->type == HIP_I1 || m->type == HIP_R1 || m->type == HIP_NOTIFY || !id)
		return;
	notify_send(h, id, &m->hit_s, rx, HIP_NTF_UNSUPPORTED_CRITICAL_PARAMETER_TYPE, data,
		    sizeof(data));
}

/* Dispatch by packet type to the protocol handlers. */
static void dispatch(struct hipd *h, const struct hip_rx *rx, const struct hip_msg *m)
{
	char from[INET6_ADDRSTRLEN];

	switch (m->type) {
	case HIP_I1:
		bex_on_i1(h, rx, m);
		return;
	case HIP_R1:
		bex_on_r1(h, rx, m);
		return;
	case HIP_I2:
		bex_on_i2(h, rx, m);
		return;
	case HIP_R2:
		bex_on_r2(h, rx, m);
		return;
	case HIP_NOTIFY:
		notify_on_notify(h, rx, m);
		return;
	case HIP_UPDATE:
		update_on_update(h, rx, m);
		return;
	case HIP_CLOSE:
		close_on_close(h, rx, m);
		return;
	case HIP_CLOSE_ACK:
		close_on_close_ack(h, rx, m);
		return;
	default:
		log_debug("input: %s from %s not handled yet, dropped",
			  hip_packet_type_name(m->type), addr_str(&rx->src, from, sizeof(from)));
	}
}

void input_packet(void *arg, const struct hip_rx *rx)
{
	struct hipd *h = arg;
	struct hip_msg m;
	struct relay_note note;
	char from[INET6_ADDRSTRLEN];
	int err;

	err = hip_msg_parse(rx->pkt, rx->len, &m);
	if (err && err != -HIPW_ECRITICAL) {
		log_warn("input: malformed packet from %s: %s",
			 addr_str(&rx->src, from, sizeof(from)), hip_wire_strerror(err));
		return;
	}
	if (!checksum_ok(rx, &m)) {
		log_warn("input: %s from %s: bad checksum, dropped", hip_packet_type_name(m.type),
			 addr_str(&rx->src, from, sizeof(from)));
		return;
	}
	if (err == -HIPW_ECRITICAL) {
		reject_critical(h, rx, &m);
		return;
	}
	/* overlay hops (RFC 7086 7): forwarded or dropped unless for us */
	if (overlay_input(h, rx, &m))
		return;
	/* relaying, keepalives, RELAY_HMAC checks (RFC 5770 4.5, 5.3) */
	if (relay_input(h, rx, &m, &note))
		return;
	if (m.type != HIP_I1 && m.type != HIP_NOTIFY && !hipd_identity(h, &m.hit_r)) {
		log_debug("input: %s from %s for a HIT that is not ours, dropped",
			  hip_packet_type_name(m.type), addr_str(&rx->src, from, sizeof(from)));
		return;
	}
	dispatch(h, rx, &m);
	relay_after_input(h, rx, &m, &note);
}
