/* p2psipctl's one round trip to p2psipd (common/ctl_cli.c with p2psipctl's names) and the
 * request with a key. Not the framing (common/ctl.c) nor the printing of replies (verb files). */
#include "common/ctl_cli.h"
#include "p2psipctl.h"

int ctl_call(struct ctl *c, json_t *req, json_t **reply)
{
	const struct ctl_cli cli = {.prog = "p2psipctl",
				    .daemon = "p2psipd",
				    .socket = c->socket,
				    .timeout_ms = c->timeout_ms,
				    .json = c->json};

	return ctl_cli_call(&cli, req, reply);
}

int ctl_show(struct ctl *c, json_t *req, void (*print)(json_t *reply))
{
	json_t *r;
	int rc = ctl_call(c, req, &r);

	if (rc || !r)
		return rc;
	if (print)
		print(r);
	json_decref(r);
	return CTL_EXIT_OK;
}

json_t *ctl_req_key(const struct ctl *c, const char *cmd, const char *key)
{
	return json_pack("{s:s,s:s}", "cmd", cmd, c->id ? "id" : "key", key);
}
