/* libFuzzer target for the SDP text of ICE (RFC 8839 5.1, 5.4): the candidate
 * line parser and the ice-ufrag/ice-pwd parsers. Whatever parses must survive
 * format -> parse unchanged (abort otherwise). Not a test of the checklist. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice/cand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void candidate(const char *s, size_t n)
{
	struct ice_cand c, back;
	char line[ICE_CAND_TEXT_MAX];
	int len;

	if (ice_cand_parse(s, n, &c))
		return;
	len = ice_cand_format(&c, line, sizeof(line));
	if (len <= 0 || (size_t)len != strlen(line) || ice_cand_parse(line, (size_t)len, &back) ||
	    memcmp(&c, &back, sizeof(c)) != 0)
		abort();
}

/* A parsed value: its own length, and the same after format -> parse. */
static void credential(const char *s, size_t n, int is_pwd)
{
	char v[ICE_PWD_MAX + 1], again[ICE_PWD_MAX + 1], line[ICE_PWD_MAX + 16];
	int len, err = is_pwd ? ice_pwd_parse(s, n, v) : ice_ufrag_parse(s, n, v);

	if (err)
		return;
	if (strlen(v) < (is_pwd ? ICE_PWD_MIN : ICE_UFRAG_MIN) || strlen(v) > ICE_PWD_MAX)
		abort();
	len = is_pwd ? ice_pwd_format(v, line, sizeof(line))
		     : ice_ufrag_format(v, line, sizeof(line));
	if (!is_pwd && strlen(v) > ICE_UFRAG_SEND_MAX) {
		if (len != -EINVAL) /* too long to send, fine to receive */
			abort();
		return;
	}
	if (len <= 0)
		abort();
	err = is_pwd ? ice_pwd_parse(line, (size_t)len, again)
		     : ice_ufrag_parse(line, (size_t)len, again);
	if (err || strcmp(v, again) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	candidate(s, size);
	credential(s, size, 0);
	credential(s, size, 1);
	return 0;
}
