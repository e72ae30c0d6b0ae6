/* hipd's entry: options (command line and configuration file, options.c), then the daemon on
 * one libuv loop until SIGINT/SIGTERM; SIGHUP reloads the configuration. Nothing protocol-related.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/stamp.h"
#include "hipd/daemon.h"
#include "hipd/options.h"
#include "hipd/privsep.h"

static void on_sighup(uv_signal_t *sig, int signum)
{
	(void)signum;
	json_decref(hipd_options_reload(sig->data)); /* the outcome is logged */
}

int main(int argc, char **argv)
{
	static struct hipd_options opts;
	struct hipd h = {0};
	uv_signal_t sighup;

	/* a control client that leaves before its reply must not end the daemon:
	 * the write then fails with EPIPE and only that client is dropped */
	signal(SIGPIPE, SIG_IGN);
	int rc = hipd_options_init(&opts, argc, argv);
	if (rc) {
		if (rc < 0)
			fprintf(stderr, "Try 'hipd --help' for more information.\n");
		hipd_options_free(&opts);
		return rc > 0 ? 0 : 2;
	}
	h.cfg = opts.cfg;
	log_init("hipd", opts.level, opts.use_syslog);
	if (stamp_open(h.cfg.stamps_path, h.cfg.node) < 0) {
		log_err("cannot open stamps file %s: %s", h.cfg.stamps_path, strerror(errno));
		return 1;
	}
	uv_loop_t loop;
	uv_loop_init(&loop);
	int err = hipd_start(&h, &loop);
	if (!err)
		err = privsep_drop(opts.run_user, h.cfg.state_dir, h.cfg.socket_path);
	if (err) {
		hipd_stop(&h);
	} else {
		hipd_options_started(&h, &opts);
		privsep_notify_ready(&h);
		/* SIGHUP: read the configuration again; unref'd so that it never keeps the loop */
		uv_signal_init(&loop, &sighup);
		sighup.data = &h;
		uv_signal_start(&sighup, on_sighup, SIGHUP);
		uv_unref((uv_handle_t *)&sighup);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_close((uv_handle_t *)&sighup, NULL);
	}
	privsep_notify_stopping();
	hipd_stop(&h);
	uv_run(&loop, UV_RUN_DEFAULT);
	hipd_free(&h);
	if (uv_loop_close(&loop) != 0)
		log_warn("event loop closed with handles still open");
	stamp_close();
	hipd_options_free(&opts);
	if (!err)
		log_info("stopped");
	return err ? 1 : 0;
}
