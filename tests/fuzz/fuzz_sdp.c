/* libFuzzer target for p2psipd/sip/sdp: parse untrusted bytes, read the audio stream and
 * its ICE attributes, rewrite it (relay address, ICE, strip, origin), serialize, parse the
 * result again. A rewrite that does not read back as written aborts. Not SIP parsing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice/sock.h"
#include "p2psipd/sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out[SDP_MAX_LEN * 4];

static void addr(const char *text, struct sockaddr_storage *ss)
{
	if (ice_sa_parse(text, ss))
		abort();
}

/* What sdp_audio_set wrote must be what sdp_audio_get reads. */
static void rewrite(struct sdp *s)
{
	struct sockaddr_storage rtp, rtcp;
	struct sdp_audio a;

	addr("[2001:20::5]:20002", &rtp);
	addr("[2001:20::5]:20003", &rtcp);
	if (sdp_audio_set(s, (struct sockaddr *)&rtp, (struct sockaddr *)&rtcp))
		return;
	if (sdp_audio_get(s, &a) || a.disabled ||
	    !ice_sa_equal((struct sockaddr *)&a.rtp, (struct sockaddr *)&rtp) ||
	    !ice_sa_equal((struct sockaddr *)&a.rtcp, (struct sockaddr *)&rtcp))
		abort();
}

static void ice(struct sdp *s)
{
	struct sockaddr_storage h1, h2;
	struct ice_cand c[2];
	struct sdp_ice got;

	sdp_ice_get(s, &got);
	addr("192.0.2.1:20000", &h1);
	addr("192.0.2.1:20001", &h2);
	if (ice_cand_host(&c[0], 1, (struct sockaddr *)&h1, 65535) ||
	    ice_cand_host(&c[1], 2, (struct sockaddr *)&h2, 65535))
		abort();
	if (sdp_ice_set(s, "fuzz", "fuzzfuzzfuzzfuzzfuzz22", c, 2) == 0 &&
	    (sdp_ice_get(s, &got) || got.n_cands != 2))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_audio a;
	struct sdp *s, *t;
	int n;

	if (sdp_parse(data, size, &s))
		return 0;
	sdp_audio_get(s, &a);
	sdp_serialize(s, out, sizeof(out));
	rewrite(s);
	ice(s);
	sdp_origin_bump(s);
	sdp_disable_other_media(s);
	n = sdp_serialize(s, out, sizeof(out));
	if (n > 0 && sdp_parse(out, (size_t)n, &t) == 0) {
		sdp_audio_get(t, &a);
		sdp_free(t);
	}
	sdp_ice_strip(s);
	sdp_serialize(s, out, sizeof(out));
	sdp_free(s);
	return 0;
}
