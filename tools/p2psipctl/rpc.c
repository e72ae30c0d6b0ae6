/* p2psipctl's calls to p2psipd over common/ctl_cli.c: the round trip, the call that prints the
 * reply, the request with a key. Not the framing (common/ctl.c) nor the printers (verb files). */
#include "common/ctl_cli.h"
#include "p2psipctl.h"

int ctl_call(struct ctl *c, json_t *req, json_t **reply)
{
	return ctl_cli_call(&c->cli, req, reply);
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
