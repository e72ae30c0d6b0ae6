/* libFuzzer target for p2psipd's SIP message layer: sip_msg_parse and sip_msg_frame on the
 * input; on a message that parses, every accessor, the AORs of its URIs, serialization and a
 * re-parse of the result, and the response, ACK and CANCEL builders. Not a transaction test. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2psipd/sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What we accepted and wrote must read back. */
static void round_trip(osip_message_t *m)
{
	osip_message_t *again;
	uint8_t *bytes;
	size_t len;

	if (sip_msg_to_bytes(m, &bytes, &len))
		return;
	if (sip_msg_parse(bytes, len, &again, NULL))
		abort();
	sip_msg_free(again);
	free(bytes);
}

static void accessors(const osip_message_t *m)
{
	char buf[256];
	const char *s;
	uint32_t num;
	size_t len;

	(void)sip_msg_is_request(m);
	(void)sip_msg_method(m);
	(void)sip_msg_status(m);
	(void)sip_msg_call_id(m, buf, sizeof(buf));
	if (sip_msg_cseq(m, &num, &s) == 0 && (!s || num >= (1u << 31)))
		abort();
	(void)sip_msg_branch(m);
	(void)sip_msg_sent_by(m, buf, sizeof(buf));
	(void)sip_msg_from_tag(m);
	(void)sip_msg_to_tag(m);
	(void)sip_msg_header(m, "Max-Forwards");
	(void)sip_msg_body(m, &s, &len);
	(void)sip_uri_aor(sip_msg_request_uri(m), buf, sizeof(buf));
	(void)sip_uri_aor(m->from->url, buf, sizeof(buf));
	(void)sip_uri_aor(m->to->url, buf, sizeof(buf));
}

static void builders(osip_message_t *m)
{
	osip_message_t *r, *ack;

	if (!sip_msg_is_request(m))
		return;
	if (sip_msg_response(m, 100, NULL, NULL, &r) == 0) {
		round_trip(r);
		sip_msg_free(r);
	}
	if (sip_msg_response(m, 486, NULL, "tag1", &r) == 0) {
		round_trip(r);
		if (sip_msg_ack(m, r, &ack) == 0) {
			round_trip(ack);
			sip_msg_free(ack);
		}
		sip_msg_free(r);
	}
	if (sip_msg_cancel(m, &r) == 0) {
		round_trip(r);
		sip_msg_free(r);
	}
	if (sip_msg_decrement_max_forwards(m) == 0)
		round_trip(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	osip_message_t *m;
	const char *why;
	size_t n;

	if (sip_msg_frame(data, size, SIP_MSG_MAX, &n) == 0 && n > size)
		abort();
	if (sip_msg_parse(data, size, &m, &why)) {
		if (!why)
			abort();
		return 0;
	}
	accessors(m);
	round_trip(m);
	builders(m);
	sip_msg_free(m);
	return 0;
}
