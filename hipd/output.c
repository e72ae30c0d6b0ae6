/* Packet output and timers for associations. What to send and what a timeout
 * means are decided in bex.c and close.c through ha_timeout(). */
#include "hipd/output.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "hipd/bex.h"
#include "hipd/nat.h"
#include "hipd/overlay.h"
#include "hipd/relay.h"
#include "hipd/transport.h"
#include "hipd/wire/wire.h"

int out_send(struct hipd *h, enum hip_transport tr, const struct sockaddr *src,
	     const struct sockaddr *dst, uint8_t *pkt, size_t len)
{
	struct sockaddr_storage route_src;
	uint8_t relayed[HIP_MAX_PACKET_LEN];

	if (tr == HIP_TRANSPORT_UDP) {
		pkt = relay_wrap(h, dst, pkt, &len, relayed, sizeof(relayed)); /* RFC 5770 4.5 */
		hip_build_checksum(pkt, len, NULL, NULL);
	} else {
		if (!src || src->sa_family != dst->sa_family) {
			int err = transport_source_for(dst, &route_src);
			if (err)
				return err;
			src = (const struct sockaddr *)&route_src;
		}
		hip_build_checksum(pkt, len, src, dst);
	}
	return transport_send(h->tr, tr, src, dst, pkt, len);
}

static void on_timer(uv_timer_t *t)
{
	ha_timeout(t->data);
}

void out_arm_timer(struct hip_ha *ha, uint64_t ms)
{
	uv_timer_stop(&ha->timer);
	uv_timer_start(&ha->timer, on_timer, ms, 0);
}

void out_stop_timer(struct hip_ha *ha)
{
	uv_timer_stop(&ha->timer);
}

/* Through the TURN relay that ICE chose (RFC 5770 4.6): the zero marker, then HIP. */
static int send_relayed(struct hip_ha *ha, uint8_t *pkt, size_t len)
{
	uint8_t buf[4 + HIP_MAX_PACKET];

	if (len > HIP_MAX_PACKET)
		return -EMSGSIZE;
	hip_build_checksum(pkt, len, NULL, NULL);
	memset(buf, 0, 4);
	memcpy(buf + 4, pkt, len);
	return nat_ha_send(ha, buf, len + 4);
}

int out_send_path(struct hip_ha *ha, uint8_t *pkt, size_t len)
{
	if (nat_ha_relayed(ha))
		return send_relayed(ha, pkt, len);
	return out_send(ha->hipd, ha->transport, (struct sockaddr *)&ha->local_addr,
			(struct sockaddr *)&ha->peer_addr, pkt, len);
}

int out_send_ha(struct hip_ha *ha, const uint8_t *pkt, size_t len, bool retransmit)
{
	struct hipd *h = ha->hipd;
	int err;

	if (len > sizeof(ha->last_sent))
		return -EMSGSIZE;
	if (pkt != ha->last_sent)
		memcpy(ha->last_sent, pkt, len);
	ha->last_sent_len = len;
	/* each (re)transmission through the overlay takes the next hop of the
	 * moment; the kept copy has no OVERLAY_TTL or ROUTE_VIA yet */
	if (overlay_ha_routed(ha))
		err = overlay_send(h, ha->last_sent, len);
	else
		err = out_send_path(ha, ha->last_sent, len);
	if (err)
		log_warn("ha: cannot send %s: %s", hip_packet_type_name(pkt[2] & 0x7f),
			 strerror(-err));
	if (!retransmit)
		return err;
	if (ha->rto_ms == 0)
		ha->rto_ms = h->cfg.rto_initial_ms;
	out_arm_timer(ha, ha->rto_ms);
	return err;
}
