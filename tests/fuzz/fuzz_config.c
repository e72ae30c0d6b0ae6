/* libFuzzer target for the configuration file loader (libinih + common/config.c) with hipd's
 * and p2psipd's handlers, and the hosts file parser. Not a test of reload in a daemon. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/hosts.h"
#include "hipd/options.h"
#include "p2psipd/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keys whose handlers read other files are parsed but not applied. */
static void skip_file_readers(const struct config_option *opts, size_t n, bool *skip)
{
	for (size_t i = 0; i < n; i++)
		skip[i] = strcmp(opts[i].name, "turn-pass-file") == 0;
}

static void fuzz_hipd(const char *text, size_t len)
{
	static struct hipd_options o;
	bool skip[HIPD_MAX_OPTIONS];
	struct config_file f;
	char err[512];

	memset(&o, 0, sizeof(o));
	hipd_config_defaults(&o.cfg);
	if (config_parse_string("fuzz.conf", text, len, hipd_options, hipd_n_options, &f, err,
				sizeof(err)))
		return;
	skip_file_readers(hipd_options, hipd_n_options, skip);
	if (config_apply(&f, hipd_options, skip, hipd_option_apply, &o, err, sizeof(err)) == 0)
		hipd_options_check(&o);
	for (size_t i = 0; i < hipd_n_options; i++)
		free(config_value_of(&f, hipd_options, i));
	config_file_free(&f);
}

static void fuzz_p2psipd(const char *text, size_t len)
{
	static struct p2psipd_opts o;
	bool skip[P2PSIPD_MAX_OPTIONS];
	struct config_file f;
	char err[512];

	p2psipd_options_defaults(&o);
	if (config_parse_string("fuzz.conf", text, len, p2psipd_options, p2psipd_n_options, &f, err,
				sizeof(err)))
		return;
	skip_file_readers(p2psipd_options, p2psipd_n_options, skip);
	if (config_apply(&f, p2psipd_options, skip, p2psipd_option_apply, &o, err, sizeof(err)) ==
	    0)
		p2psipd_options_finish(&o);
	config_file_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hosts h;
	char err[512];

	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0:
		fuzz_hipd(text, len);
		break;
	case 1:
		fuzz_p2psipd(text, len);
		break;
	default:
		if (hosts_parse_string("hosts", text, len, &h, err, sizeof(err)) == 0) {
			if (h.n)
				hosts_find(&h, h.e[0].name);
			hosts_free(&h);
		}
		break;
	}
	return 0;
}
