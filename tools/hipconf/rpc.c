/* hipconf's one round trip to hipd (common/ctl_cli.c) and the call for verbs that only act.
 * Not the framing (common/ctl.c) nor the printing of replies (the verb files). */
#include "common/ctl_cli.h"
#include "hipconf.h"

int hipconf_call(struct hipconf *hc, json_t *req, json_t **reply)
{
	return ctl_cli_call(&hc->cli, req, reply);
}

int hipconf_act(struct hipconf *hc, json_t *req)
{
	json_t *reply;

	int rc = hipconf_call(hc, req, &reply);
	json_decref(reply);
	return rc;
}
