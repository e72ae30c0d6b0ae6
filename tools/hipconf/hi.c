/* hipconf verbs for local host identities: daemon get|new|add|del hi. Reads a key file for
 * add hi (0600 only) and sends it to hipd; not key generation, which hipd does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hipconf.h"

static const struct column columns[] = {
    {"hit", "HIT", -39}, {"algorithm", "ALGORITHM", -9}, {"kind", "KIND", -12},
    {"bits", "BITS", 5}, {"default", "DEFAULT", -7},	 {"associations", "ASSOCIATIONS", 0}};
#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

static int print_identities(const json_t *list, int only_default)
{
	size_t i, shown = 0;
	json_t *hi;

	json_array_foreach(list, i, hi)
	{
		if (only_default && !json_is_true(json_object_get(hi, "default")))
			continue;
		if (shown++ == 0)
			print_table_header(columns, N_COLUMNS);
		print_table_row(hi, columns, N_COLUMNS);
	}
	if (shown > 0)
		return CTL_EXIT_OK;
	if (only_default) {
		fprintf(stderr, "hipconf: hipd has no default host identity\n");
		return CTL_EXIT_DAEMON;
	}
	printf("no host identities\n");
	return CTL_EXIT_OK;
}

int verb_get_hi(struct hipconf *hc, int argc, char **argv)
{
	static const char *const which[] = {"default", "all", NULL};
	json_t *reply;

	(void)argc;
	int w = arg_one_of("WHICH", argv[0], which);
	if (w < 0)
		return CTL_EXIT_USAGE;
	int rc = hipconf_call(hc, json_pack("{s:s}", "cmd", "get-hi"), &reply);
	if (rc || !reply)
		return rc;
	rc = print_identities(json_object_get(reply, "identities"), w == 0);
	json_decref(reply);
	return rc;
}

#define NEW_HI_TIMEOUT_MS 120000 /* an 8192-bit RSA key takes a while */
#define KEY_FILE_MAX	  (64 * 1024)

static int print_one(json_t *reply)
{
	json_t *list = json_pack("[O]", reply);

	print_table(list, columns, N_COLUMNS - 1, "");
	json_decref(list);
	json_decref(reply);
	return CTL_EXIT_OK;
}

const char *const hi_kinds[] = {"rsa", "ecdsa-p256", "ecdsa-p384", NULL};

int verb_new_hi(struct hipconf *hc, int argc, char **argv)
{
	json_t *reply;
	long bits = 0;

	int k = arg_one_of("KIND", argv[0], hi_kinds);
	if (k < 0)
		return CTL_EXIT_USAGE;
	if (argc > 1 && k != 0) {
		usage_error("BITS \"%s\" goes with rsa only", argv[1]);
		return CTL_EXIT_USAGE;
	}
	if (argc > 1 && arg_uint("BITS", argv[1], 2048, 8192, &bits) < 0)
		return CTL_EXIT_USAGE;
	json_t *req = json_pack("{s:s,s:s}", "cmd", "new-hi", "kind", argv[0]);
	if (bits)
		json_object_set_new(req, "bits", json_integer(bits));
	if (hc->cli.timeout_ms < NEW_HI_TIMEOUT_MS)
		hc->cli.timeout_ms = NEW_HI_TIMEOUT_MS;
	int rc = hipconf_call(hc, req, &reply);
	if (rc || !reply)
		return rc;
	return print_one(reply);
}

/* The key file's text, if only its owner may read it (a private key). */
static int read_key_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		usage_error("FILE \"%s\": %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	const char *why = !S_ISREG(st.st_mode)		     ? "is not a regular file"
			  : st.st_mode & (S_IRWXG | S_IRWXO) ? "may be read by group or others"
			  : st.st_size <= 0 || st.st_size > KEY_FILE_MAX
			      ? "is not the size of a key"
			      : NULL;
	if (why) {
		usage_error("FILE \"%s\" %s (a private key: chmod 600 %s)", path, why, path);
		close(fd);
		return -1;
	}
	char *buf = calloc(1, (size_t)st.st_size + 1);
	ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		usage_error("FILE \"%s\": cannot read it", path);
		free(buf);
		return -1;
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
}

int verb_add_hi(struct hipconf *hc, int argc, char **argv)
{
	json_t *reply;
	char *pem;
	size_t len;

	(void)argc;
	if (read_key_file(argv[0], &pem, &len) < 0)
		return CTL_EXIT_USAGE;
	json_t *req = json_pack("{s:s,s:s%}", "cmd", "add-hi", "pem", pem, len);
	explicit_bzero(pem, len);
	free(pem);
	json_t *text = json_incref(json_object_get(req, "pem"));
	int rc = hipconf_call(hc, req, &reply);
	explicit_bzero((char *)json_string_value(text), json_string_length(text));
	json_decref(text);
	if (rc || !reply)
		return rc;
	return print_one(reply);
}

int verb_del_hi(struct hipconf *hc, int argc, char **argv)
{
	char hit[ADDR_TEXT];
	json_t *reply;

	(void)argc;
	if (arg_hit("HIT", argv[0], hit) < 0)
		return CTL_EXIT_USAGE;
	int rc = hipconf_call(
	    hc, json_pack("{s:s,s:s,s:b}", "cmd", "del-hi", "hit", hit, "force", hc->force),
	    &reply);
	if (rc || !reply)
		return rc;
	printf("deleted %s; %lld associations dropped; default %s\n", hit,
	       (long long)json_integer_value(json_object_get(reply, "dropped")),
	       json_string_value(json_object_get(reply, "default")) ?: "-");
	json_decref(reply);
	return CTL_EXIT_OK;
}
