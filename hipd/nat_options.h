/* hipd's NAT traversal command-line options: their IDs (getopt_long values), the
 * help text, and their parser. Not the NAT machinery (nat.h). */
#ifndef HIPSIP_NAT_OPTIONS_H
#define HIPSIP_NAT_OPTIONS_H

struct hipd_config;

enum nat_option_id {
	NAT_OPT_MODE = 512,
	NAT_OPT_TA,
	NAT_OPT_STUN,
	NAT_OPT_TURN,
	NAT_OPT_TURN_USER,
	NAT_OPT_TURN_PASS_FILE,
	NAT_OPT_HOST_ADDRS,
	NAT_OPT_POLICY,
};

#include <stdio.h>

/* The options' lines for hipd --help. */
void nat_options_usage(FILE *f);

/* 0, or -EINVAL after config_why() (common/config.h). */
int nat_option(int opt, const char *arg, struct hipd_config *cfg);
/* Cross-option checks after parsing; 0 or -EINVAL after config_why(). */
int nat_options_check(const struct hipd_config *cfg);

#endif
