/* Unit tests of the configuration files (common/config.c, hipd/options.c, p2psipd/options.c)
 * and the hosts file (common/hosts.c): every key, bad values with file, line and reason. Not
 * reload in a running daemon (tests/integration/test_config_reload.sh). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/hosts.h"
#include "hipd/options.h"
#include "p2psipd/options.h"

#define HIT_A "2001:21:4d45:79c1:5f0b:d17:5b37:9167"
#define HIT_B "2001:22:7e95:43af:1f06:eca9:5fc:c84c"

static char pass_file[] = "/tmp/hipsip-test-config-XXXXXX";

/* A good value for each key whose default is empty (no value): the example files leave them
 * out. A new option without a default must get a sample here, or the every-key tests fail. */
static const char *sample(const char *name)
{
	static const struct {
		const char *name, *value;
	} s[] = {
	    {"stamps", "/tmp/stamps.jsonl"},
	    {"stamp", "/tmp/stamps.jsonl"},
	    {"stun", "203.0.113.3:3478"},
	    {"turn", "203.0.113.4:3478"},
	    {"turn-user", "alice"},
	    {"turn-pass-file", pass_file},
	    {"ice-host-addrs", "192.0.2.1,192.0.2.2"},
	    {"relay", "192.0.2.9:10500"},
	    {"bootstrap", "192.0.2.7:6084"},
	    {"identity", "/tmp/identity.pem"},
	    {"p2pp-t3-ms", "15000"},
	    {"node", "n1"},
	    {"hip-locator", "192.0.2.8"},
	    {"sip-domain", "example.org"},
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (strcmp(s[i].name, name) == 0)
			return s[i].value;
	return NULL;
}

static const char *good_value(const struct config_option *opt)
{
	const char *v = sample(opt->name);

	if (v)
		return v;
	if (opt->arg == CONFIG_FLAG)
		return "true";
	return opt->def[0] ? opt->def : NULL;
}

/* The TURN password file the examples name; made once by main (Check forks each test, and a
 * file a child made would stay behind). */
static bool pass_file_made; /* (not "the template's last X is gone": mkstemp may put an X) */

static int make_pass_file(void)
{
	int fd, ok;

	if (pass_file_made)
		return 0;
	pass_file_made = true;
	fd = mkstemp(pass_file);
	if (fd < 0)
		return -1;
	ok = write(fd, "secret\n", 7) == 7;
	close(fd);
	return ok ? 0 : -1;
}

/* One key in a file of its own, parsed and applied; err holds the error. */
static int one_key(const struct config_option *opts, size_t n, config_apply_fn fn, void *o,
		   const char *text, char *err, size_t errlen)
{
	struct config_file f;
	int rc = config_parse_string("t.conf", text, strlen(text), opts, n, &f, err, errlen);

	if (rc)
		return rc;
	rc = config_apply(&f, opts, NULL, fn, o, err, errlen);
	config_file_free(&f);
	return rc;
}

/* hipd.conf(5): every option of the command line is a key (one table for both) */
START_TEST(every_hipd_option_is_accepted_as_a_key)
{
	char text[256], err[512] = "";

	ck_assert_int_eq(make_pass_file(), 0);
	for (size_t i = 0; i < hipd_n_options; i++) {
		const struct config_option *opt = &hipd_options[i];
		if (opt->flags & CONFIG_CMDLINE_ONLY)
			continue;
		const char *v = good_value(opt);
		ck_assert_msg(v, "hipd option %s has no default and no sample value", opt->name);
		struct hipd_options o = {0};
		hipd_config_defaults(&o.cfg);
		snprintf(text, sizeof(text), "# a comment\n%s = %s\n", opt->name, v);
		ck_assert_msg(one_key(hipd_options, hipd_n_options, hipd_option_apply, &o, text,
				      err, sizeof(err)) == 0,
			      "%s = %s: %s", opt->name, v, err);
	}
}
END_TEST

START_TEST(every_p2psipd_option_is_accepted_as_a_key)
{
	char text[256], err[512] = "";

	ck_assert_int_eq(make_pass_file(), 0);
	for (size_t i = 0; i < p2psipd_n_options; i++) {
		const struct config_option *opt = &p2psipd_options[i];
		if (opt->flags & CONFIG_CMDLINE_ONLY)
			continue;
		const char *v = good_value(opt);
		ck_assert_msg(v, "p2psipd option %s has no default and no sample value", opt->name);
		static struct p2psipd_opts o;
		p2psipd_options_defaults(&o);
		snprintf(text, sizeof(text), "%s = %s\n", opt->name, v);
		ck_assert_msg(one_key(p2psipd_options, p2psipd_n_options, p2psipd_option_apply, &o,
				      text, err, sizeof(err)) == 0,
			      "%s = %s: %s", opt->name, v, err);
	}
}
END_TEST

/* The options' tables hold every key once, and the command-line-only ones are marked. */
START_TEST(option_tables_have_unique_names_and_fit_their_arrays)
{
	ck_assert_uint_le(hipd_n_options, HIPD_MAX_OPTIONS);
	ck_assert_uint_le(p2psipd_n_options, P2PSIPD_MAX_OPTIONS);
	for (size_t i = 0; i < hipd_n_options; i++)
		for (size_t k = i + 1; k < hipd_n_options; k++)
			ck_assert_str_ne(hipd_options[i].name, hipd_options[k].name);
	for (size_t i = 0; i < p2psipd_n_options; i++)
		for (size_t k = i + 1; k < p2psipd_n_options; k++)
			ck_assert_str_ne(p2psipd_options[i].name, p2psipd_options[k].name);
}
END_TEST

static void expect_hipd_error(const char *text, const char *want)
{
	char err[512] = "";
	struct hipd_options o = {0};

	hipd_config_defaults(&o.cfg);
	ck_assert_int_ne(
	    one_key(hipd_options, hipd_n_options, hipd_option_apply, &o, text, err, sizeof(err)),
	    0);
	ck_assert_msg(strcmp(err, want) == 0, "for %s: got \"%s\", want \"%s\"", text, err, want);
}

/* Bad values are rejected with the file, the line, the key and the reason. */
START_TEST(bad_values_name_file_line_key_and_reason)
{
	expect_hipd_error("rto-ms = 300\n\nrto-ms2 = 1\n", "t.conf:3: unknown key \"rto-ms2\"");
	expect_hipd_error("# c\nrto-ms = 0\n", "t.conf:2: rto-ms: must be at least 1");
	expect_hipd_error("puzzle-k = 41\n",
			  "t.conf:1: puzzle-k: \"41\" is not a number from 0 to 40");
	expect_hipd_error("puzzle-k = -1\n",
			  "t.conf:1: puzzle-k: \"-1\" is not a number from 0 to 40");
	expect_hipd_error("log-level = loud\n",
			  "t.conf:1: log-level: \"loud\" is not error, warning, info or debug");
	expect_hipd_error("transport = tcp\n", "t.conf:1: transport: \"tcp\" is not raw or udp");
	expect_hipd_error("stun = example.org\n",
			  "t.conf:1: stun: \"example.org\" is not ADDRESS:PORT (numeric, e.g. "
			  "203.0.113.3:3478)");
	expect_hipd_error("rsa-bits = 1024\n", "t.conf:1: rsa-bits: 1024 is below 2048 (too weak)");
	expect_hipd_error("dh-groups = 7,99\n", "t.conf:1: dh-groups: group 99 is not supported");
	expect_hipd_error("hi = dsa\n",
			  "t.conf:1: hi: \"dsa\" is not one of ecdsa-p256, ecdsa-p384, rsa");
	expect_hipd_error("nat = maybe\n", "t.conf:1: nat: \"maybe\" is not none, udp or ice");
	expect_hipd_error("no-raw = maybe\n", "t.conf:1: no-raw: \"maybe\" is not a boolean (true, "
					      "false, yes, no, on, off, 1, 0)");
	expect_hipd_error("udp-port =\n", "t.conf:1: udp-port: the value is empty");
	expect_hipd_error("turn-pass-file = /nonexistent/pass\n",
			  "t.conf:1: turn-pass-file: cannot read a password from "
			  "\"/nonexistent/pass\"");
	/* inline comments need a ';' after a blank; '#' there is part of the value */
	expect_hipd_error("rto-ms = 300 # ms\n",
			  "t.conf:1: rto-ms: \"300 # ms\" is not a number from 0 to 60000");
}
END_TEST

START_TEST(duplicate_unknown_and_sectioned_keys_are_errors)
{
	expect_hipd_error("rto-ms = 300\nlog-level = info\nrto-ms = 400\n",
			  "t.conf:3: duplicate key \"rto-ms\"");
	expect_hipd_error("config = /etc/x\n", "t.conf:1: unknown key \"config\"");
	expect_hipd_error("help = true\n", "t.conf:1: unknown key \"help\"");
	expect_hipd_error("[hipd]\nrto-ms = 300\n",
			  "t.conf:2: [hipd]: sections are not used; put \"rto-ms\" before any "
			  "[section]");
	expect_hipd_error("rto-ms 300\n", "t.conf:1: expected KEY = VALUE");
	expect_hipd_error("rto-ms = 1\n[broken\n", "t.conf:2: expected KEY = VALUE");
}
END_TEST

START_TEST(nul_bytes_and_long_lines_are_rejected)
{
	char err[512], big[400];
	struct config_file f;
	static const char nul[] = "rto-ms = 3\nlog-level = in\0fo\n";

	ck_assert_int_eq(config_parse_string("t.conf", nul, sizeof(nul) - 1, hipd_options,
					     hipd_n_options, &f, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "t.conf:2: a NUL byte (not a text file)");
	memset(big, 'a', sizeof(big));
	memcpy(big, "node = ", 7);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(config_parse_string("t.conf", big, strlen(big), hipd_options,
					     hipd_n_options, &f, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "t.conf:1: line longer than 199 characters");
}
END_TEST

/* Comments (# and ; lines, " ;" inline), blanks around '=', booleans spelled every way. */
START_TEST(comments_blanks_and_booleans_are_read)
{
	static const char text[] = "\xef\xbb\xbf# hipd.conf\n; another comment\n\n"
				   "  puzzle-k=7\n"
				   "rto-ms   =   250 ; ms\n"
				   "no-raw = yes\nno-udp = off\nsyslog = 0\nrelay-server = TRUE\n";
	char err[512] = "";
	struct hipd_options o = {0};

	hipd_config_defaults(&o.cfg);
	o.cfg.udp_enabled = true;
	/* TRUE is not one of the spellings: booleans are lower case */
	ck_assert_int_ne(
	    one_key(hipd_options, hipd_n_options, hipd_option_apply, &o, text, err, sizeof(err)),
	    0);
	ck_assert_str_eq(err, "t.conf:9: relay-server: \"TRUE\" is not a boolean (true, false, "
			      "yes, no, on, off, 1, 0)");
	hipd_config_defaults(&o.cfg);
	ck_assert_int_eq(one_key(hipd_options, hipd_n_options, hipd_option_apply, &o,
				 "\xef\xbb\xbf# hipd.conf\n; c\n\n  puzzle-k=7\n"
				 "rto-ms   =   250 ; ms\nno-raw = yes\nno-udp = off\n",
				 err, sizeof(err)),
			 0);
	ck_assert_uint_eq(o.cfg.puzzle_k, 7);
	ck_assert_uint_eq(o.cfg.rto_initial_ms, 250);
	ck_assert(!o.cfg.raw_enabled);
	ck_assert(o.cfg.udp_enabled); /* "off": the flag is not applied */
}
END_TEST

/* The command line wins over the file: keys it set are skipped. */
START_TEST(command_line_keys_are_not_taken_from_the_file)
{
	static const char text[] = "puzzle-k = 9\nrto-ms = 250\n";
	char err[512] = "";
	struct config_file f;
	struct hipd_options o = {0};
	bool skip[HIPD_MAX_OPTIONS] = {0};

	hipd_config_defaults(&o.cfg);
	for (size_t i = 0; i < hipd_n_options; i++)
		if (strcmp(hipd_options[i].name, "puzzle-k") == 0) {
			skip[i] = true;
			ck_assert_int_eq(hipd_option_apply(&o, hipd_options[i].id, "2"), 0);
		}
	ck_assert_int_eq(config_parse_string("t.conf", text, strlen(text), hipd_options,
					     hipd_n_options, &f, err, sizeof(err)),
			 0);
	ck_assert_int_eq(
	    config_apply(&f, hipd_options, skip, hipd_option_apply, &o, err, sizeof(err)), 0);
	config_file_free(&f);
	ck_assert_uint_eq(o.cfg.puzzle_k, 2);
	ck_assert_uint_eq(o.cfg.rto_initial_ms, 250);
}
END_TEST

/* Checks across options apply to the file's values as to the command line's. */
START_TEST(stun_without_nat_ice_fails_the_check)
{
	char err[512] = "";
	struct hipd_options o = {0};

	hipd_config_defaults(&o.cfg);
	ck_assert_int_eq(one_key(hipd_options, hipd_n_options, hipd_option_apply, &o,
				 "stun = 203.0.113.3:3478\n", err, sizeof(err)),
			 0);
	config_why_take();
	ck_assert_int_eq(hipd_options_check(&o), -EINVAL);
	ck_assert_str_eq(config_why_take(), "stun and turn need nat = ice (--nat ice)");
	ck_assert_int_eq(one_key(hipd_options, hipd_n_options, hipd_option_apply, &o, "nat = ice\n",
				 err, sizeof(err)),
			 0);
	ck_assert_int_eq(hipd_options_check(&o), 0);
}
END_TEST

/* p2psipd: turn and stun may repeat (4 servers at most); others may not. */
START_TEST(p2psipd_repeatable_keys_and_limits)
{
	char err[512] = "";
	static struct p2psipd_opts o;

	p2psipd_options_defaults(&o);
	ck_assert_int_eq(one_key(p2psipd_options, p2psipd_n_options, p2psipd_option_apply, &o,
				 "turn = 192.0.2.1:3478\nturn = 192.0.2.2:3478\n", err,
				 sizeof(err)),
			 0);
	ck_assert_uint_eq(o.n_srv, 2);
	p2psipd_options_defaults(&o);
	ck_assert_int_ne(one_key(p2psipd_options, p2psipd_n_options, p2psipd_option_apply, &o,
				 "successors = 8\nsuccessors = 9\n", err, sizeof(err)),
			 0);
	ck_assert_str_eq(err, "t.conf:2: duplicate key \"successors\"");
	p2psipd_options_defaults(&o);
	ck_assert_int_ne(one_key(p2psipd_options, p2psipd_n_options, p2psipd_option_apply, &o,
				 "\nmedia-ports = 20001-20000\n", err, sizeof(err)),
			 0);
	ck_assert_str_eq(err, "t.conf:2: media-ports: \"20001-20000\" is not MIN-MAX with an even "
			      "MIN from 1024 and MAX > MIN, up to 65535");
}
END_TEST

/* config_value_of: what reload compares, repeated keys joined. */
START_TEST(values_of_a_key_are_joined_for_comparison)
{
	char err[512] = "";
	struct config_file f;
	static const char text[] =
	    "turn = 192.0.2.1:3478\nlog-level = debug\nturn = 192.0.2.2:3478\n";
	int t = -1, l = -1, s = -1;

	ck_assert_int_eq(config_parse_string("t.conf", text, strlen(text), p2psipd_options,
					     p2psipd_n_options, &f, err, sizeof(err)),
			 0);
	for (size_t i = 0; i < p2psipd_n_options; i++) {
		if (strcmp(p2psipd_options[i].name, "turn") == 0)
			t = (int)i;
		if (strcmp(p2psipd_options[i].name, "log-level") == 0)
			l = (int)i;
		if (strcmp(p2psipd_options[i].name, "stun") == 0)
			s = (int)i;
	}
	char *v = config_value_of(&f, p2psipd_options, (size_t)t);
	ck_assert_str_eq(v, "192.0.2.1:3478\n192.0.2.2:3478");
	free(v);
	v = config_value_of(&f, p2psipd_options, (size_t)l);
	ck_assert_str_eq(v, "debug");
	free(v);
	ck_assert_ptr_null(config_value_of(&f, p2psipd_options, (size_t)s));
	config_file_free(&f);
}
END_TEST

START_TEST(a_missing_file_is_an_error_with_its_path)
{
	char err[512] = "";
	struct config_file f;

	ck_assert_int_eq(config_parse_file("/nonexistent/hipd.conf", hipd_options, hipd_n_options,
					   &f, err, sizeof(err)),
			 -ENOENT);
	ck_assert_str_eq(err, "/nonexistent/hipd.conf: No such file or directory");
}
END_TEST

/* The example files list every key; read as they are (all commented), they set nothing. */
START_TEST(example_files_parse_and_name_every_key)
{
	static const struct {
		const char *path;
		const struct config_option *opts;
		size_t n;
	} ex[] = {
	    {TOP_SRCDIR "/etc/hipd.conf", NULL, 0},
	    {TOP_SRCDIR "/etc/p2psipd.conf", NULL, 0},
	};
	char err[512] = "", line[256];

	for (size_t k = 0; k < 2; k++) {
		const struct config_option *opts = k ? p2psipd_options : hipd_options;
		size_t n = k ? p2psipd_n_options : hipd_n_options;
		struct config_file f;
		ck_assert_msg(config_parse_file(ex[k].path, opts, n, &f, err, sizeof(err)) == 0,
			      "%s", err);
		ck_assert_uint_eq(f.n, 0);
		config_file_free(&f);
		for (size_t i = 0; i < n; i++) {
			if (opts[i].flags & CONFIG_CMDLINE_ONLY)
				continue;
			FILE *fp = fopen(ex[k].path, "r");
			bool found = false;
			size_t len = strlen(opts[i].name);
			while (fp && fgets(line, sizeof(line), fp))
				found |= strncmp(line, "#", 1) == 0 &&
					 strncmp(line + 1, opts[i].name, len) == 0 &&
					 strncmp(line + 1 + len, " = ", 3) == 0;
			if (fp)
				fclose(fp);
			ck_assert_msg(found, "%s does not show \"#%s = ...\"", ex[k].path,
				      opts[i].name);
		}
	}
	struct hosts h;
	ck_assert_msg(hosts_parse_file(TOP_SRCDIR "/etc/hosts", &h, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_uint_eq(h.n, 0);
	hosts_free(&h);
}
END_TEST

/* ---- the hosts file ---- */

START_TEST(hosts_lines_give_names_hits_and_locators)
{
	static const char text[] = "# peers\n\nalpha " HIT_A " 192.0.2.1 2001:db8::1 # two\n"
				   "beta\t" HIT_B "\n";
	char err[512] = "";
	struct hosts h;

	ck_assert_int_eq(hosts_parse_string("hosts", text, strlen(text), &h, err, sizeof(err)), 0);
	ck_assert_uint_eq(h.n, 2);
	ck_assert_str_eq(h.e[0].name, "alpha");
	ck_assert_uint_eq(h.e[0].nlocs, 2);
	ck_assert_int_eq(h.e[0].locs[0].ss_family, AF_INET);
	ck_assert_int_eq(h.e[0].locs[1].ss_family, AF_INET6);
	ck_assert_int_eq(h.e[0].line, 3);
	ck_assert_uint_eq(h.e[1].nlocs, 0);
	ck_assert_ptr_eq(hosts_find(&h, "beta"), &h.e[1]);
	ck_assert_ptr_eq(hosts_find(&h, HIT_A), &h.e[0]);
	ck_assert_ptr_null(hosts_find(&h, "gamma"));
	hosts_free(&h);
}
END_TEST

static void expect_hosts_error(const char *text, const char *want)
{
	char err[512] = "";
	struct hosts h;

	ck_assert_int_ne(hosts_parse_string("hosts", text, strlen(text), &h, err, sizeof(err)), 0);
	ck_assert_msg(strcmp(err, want) == 0, "got \"%s\", want \"%s\"", err, want);
	ck_assert_uint_eq(h.n, 0);
}

START_TEST(bad_hosts_lines_name_the_line_and_the_reason)
{
	expect_hosts_error("a " HIT_A "\nb 2001:db8::1\n",
			   "hosts:2: \"2001:db8::1\" is not an ORCHIDv2 HIT (2001:20::/28)");
	expect_hosts_error("a\n", "hosts:1: a: a HIT is missing (NAME HIT [LOCATOR...])");
	expect_hosts_error("a " HIT_A " 192.0.2.300\n",
			   "hosts:1: locator \"192.0.2.300\" is not an IPv4 or IPv6 address");
	expect_hosts_error("a " HIT_A "\na " HIT_B "\n",
			   "hosts:2: name \"a\" is already on line 1");
	expect_hosts_error("a " HIT_A "\nb " HIT_A "\n", "hosts:2: this HIT is already on line 1");
	expect_hosts_error("a/b " HIT_A "\n",
			   "hosts:1: \"a/b\" is not a name (letters, digits, - . _; 63 at most)");
	expect_hosts_error("a " HIT_A
			   " 192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5 192.0.2.6 "
			   "192.0.2.7 192.0.2.8 192.0.2.9\n",
			   "hosts:1: more than 8 locators");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, every_hipd_option_is_accepted_as_a_key);
	tcase_add_test(tc, every_p2psipd_option_is_accepted_as_a_key);
	tcase_add_test(tc, option_tables_have_unique_names_and_fit_their_arrays);
	tcase_add_test(tc, bad_values_name_file_line_key_and_reason);
	tcase_add_test(tc, duplicate_unknown_and_sectioned_keys_are_errors);
	tcase_add_test(tc, nul_bytes_and_long_lines_are_rejected);
	tcase_add_test(tc, comments_blanks_and_booleans_are_read);
	tcase_add_test(tc, command_line_keys_are_not_taken_from_the_file);
	tcase_add_test(tc, stun_without_nat_ice_fails_the_check);
	tcase_add_test(tc, p2psipd_repeatable_keys_and_limits);
	tcase_add_test(tc, values_of_a_key_are_joined_for_comparison);
	tcase_add_test(tc, a_missing_file_is_an_error_with_its_path);
	tcase_add_test(tc, example_files_parse_and_name_every_key);
	tcase_add_test(tc, hosts_lines_give_names_hits_and_locators);
	tcase_add_test(tc, bad_hosts_lines_name_the_line_and_the_reason);
	suite_add_tcase(s, tc);
	if (make_pass_file()) {
		perror("test_config: password file");
		return EXIT_FAILURE;
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(pass_file);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
