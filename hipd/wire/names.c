/* Names of the codec's errors, packet types and parameter types, and the table of
 * parameter types this implementation knows (critical-bit check). No parsing here. */
#include "wire.h"

#include <string.h>

struct name16 {
	uint16_t id;
	const char *name;
};

/* Every parameter type of hip_proto.h: the types hip_msg_parse recognizes. */
static const struct name16 param_names[] = {
    {HIP_PARAM_ESP_INFO, "ESP_INFO"},
    {HIP_PARAM_R1_COUNTER, "R1_COUNTER"},
    {HIP_PARAM_LOCATOR_SET, "LOCATOR_SET"},
    {HIP_PARAM_PUZZLE, "PUZZLE"},
    {HIP_PARAM_SOLUTION, "SOLUTION"},
    {HIP_PARAM_SEQ, "SEQ"},
    {HIP_PARAM_ACK, "ACK"},
    {HIP_PARAM_DH_GROUP_LIST, "DH_GROUP_LIST"},
    {HIP_PARAM_DIFFIE_HELLMAN, "DIFFIE_HELLMAN"},
    {HIP_PARAM_HIP_CIPHER, "HIP_CIPHER"},
    {HIP_PARAM_NAT_TRAVERSAL_MODE, "NAT_TRAVERSAL_MODE"},
    {HIP_PARAM_TRANSACTION_PACING, "TRANSACTION_PACING"},
    {HIP_PARAM_ENCRYPTED, "ENCRYPTED"},
    {HIP_PARAM_HOST_ID, "HOST_ID"},
    {HIP_PARAM_HIT_SUITE_LIST, "HIT_SUITE_LIST"},
    {HIP_PARAM_CERT, "CERT"},
    {HIP_PARAM_NOTIFICATION, "NOTIFICATION"},
    {HIP_PARAM_ECHO_REQUEST_SIGNED, "ECHO_REQUEST_SIGNED"},
    {HIP_PARAM_REG_INFO, "REG_INFO"},
    {HIP_PARAM_REG_REQUEST, "REG_REQUEST"},
    {HIP_PARAM_REG_RESPONSE, "REG_RESPONSE"},
    {HIP_PARAM_REG_FAILED, "REG_FAILED"},
    {HIP_PARAM_REG_FROM, "REG_FROM"},
    {HIP_PARAM_ECHO_RESPONSE_SIGNED, "ECHO_RESPONSE_SIGNED"},
    {HIP_PARAM_TRANSPORT_FORMAT_LIST, "TRANSPORT_FORMAT_LIST"},
    {HIP_PARAM_ESP_TRANSFORM, "ESP_TRANSFORM"},
    {HIP_PARAM_OVERLAY_ID, "OVERLAY_ID"},
    {HIP_PARAM_ROUTE_DST, "ROUTE_DST"},
    {HIP_PARAM_HIP_MAC, "HIP_MAC"},
    {HIP_PARAM_HIP_MAC_2, "HIP_MAC_2"},
    {HIP_PARAM_HIP_SIGNATURE_2, "HIP_SIGNATURE_2"},
    {HIP_PARAM_HIP_SIGNATURE, "HIP_SIGNATURE"},
    {HIP_PARAM_ECHO_RESPONSE_UNSIGNED, "ECHO_RESPONSE_UNSIGNED"},
    {HIP_PARAM_ECHO_REQUEST_UNSIGNED, "ECHO_REQUEST_UNSIGNED"},
    {HIP_PARAM_RELAY_FROM, "RELAY_FROM"},
    {HIP_PARAM_RELAY_TO, "RELAY_TO"},
    {HIP_PARAM_OVERLAY_TTL, "OVERLAY_TTL"},
    {HIP_PARAM_ROUTE_VIA, "ROUTE_VIA"},
    {HIP_PARAM_RELAY_HMAC, "RELAY_HMAC"},
};

static const struct name16 packet_names[] = {
    {HIP_I1, "I1"},	    {HIP_R1, "R1"},
    {HIP_I2, "I2"},	    {HIP_R2, "R2"},
    {HIP_UPDATE, "UPDATE"}, {HIP_NOTIFY, "NOTIFY"},
    {HIP_CLOSE, "CLOSE"},   {HIP_CLOSE_ACK, "CLOSE_ACK"},
};

static const char *const err_names[] = {
    [HIPW_ETRUNC - HIPW_ETRUNC] = "packet shorter than its header or a parameter header",
    [HIPW_ELENGTH - HIPW_ETRUNC] = "parameter length runs past the end of the packet",
    [HIPW_EHDRLEN - HIPW_ETRUNC] = "header length disagrees with the packet length",
    [HIPW_EZEROLEN - HIPW_ETRUNC] = "parameter or list without contents",
    [HIPW_EPADDING - HIPW_ETRUNC] = "parameter padding runs past the end of the packet",
    [HIPW_EORDER - HIPW_ETRUNC] = "parameters not in ascending type order",
    [HIPW_ECRITICAL - HIPW_ETRUNC] = "unknown critical parameter",
    [HIPW_ECHECKSUM - HIPW_ETRUNC] = "checksum mismatch",
    [HIPW_EVERSION - HIPW_ETRUNC] = "HIP version is not 2",
    [HIPW_EFIXED - HIPW_ETRUNC] = "fixed header bits wrong",
    [HIPW_ETOOMANY - HIPW_ETRUNC] = "too many parameters",
    [HIPW_EPARAM - HIPW_ETRUNC] = "malformed parameter contents",
    [HIPW_EMISSING - HIPW_ETRUNC] = "required parameter missing",
};

static const char *find_name(const struct name16 *t, size_t n, uint16_t id)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return t[i].name;
	return NULL;
}

bool hip_param_known(uint16_t type)
{
	return find_name(param_names, sizeof(param_names) / sizeof(param_names[0]), type) != NULL;
}

const char *hip_param_type_name(uint16_t type)
{
	const char *s = find_name(param_names, sizeof(param_names) / sizeof(param_names[0]), type);

	return s ? s : "UNKNOWN";
}

const char *hip_packet_type_name(uint8_t type)
{
	const char *s =
	    find_name(packet_names, sizeof(packet_names) / sizeof(packet_names[0]), type);

	return s ? s : "UNKNOWN";
}

/* Accepts the code negated or not; codes below the codec's range are errno values. */
const char *hip_wire_strerror(int err)
{
	long e = err < 0 ? -(long)err : err;

	if (e >= HIPW_ETRUNC && e < HIPW_ELAST)
		return err_names[e - HIPW_ETRUNC];
	if (e == 0)
		return "success";
	if (e < HIPW_ETRUNC)
		return strerror((int)e);
	return "unknown wire error";
}
