/* A one-line secret read from a file: the first line, checked for length, with a warning when
 * the file's mode lets group or others in. Not where secrets are kept or sent. */
#include "common/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads until a line end is among the bytes read, the end of the file, or cap bytes. */
static ssize_t read_some(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0 || memchr(buf + n, '\n', (size_t)r))
			return (ssize_t)(n + (size_t)r);
		n += (size_t)r;
	}
	return (ssize_t)n;
}

/* The length of the first line among n bytes: up to the first CR, LF or NUL. */
static size_t line_len(const char *buf, size_t n)
{
	size_t i = 0;

	while (i < n && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\0')
		i++;
	return i;
}

static void warn_mode(const char *who, const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		fprintf(stderr,
			"%s \"%s\": warning: mode %03o lets group or others in (chmod 600 it)\n",
			who, path, (unsigned)(st.st_mode & 0777));
}

static int fail(const char *who, const char *path, int err, const char *why, char *out, size_t cap)
{
	OPENSSL_cleanse(out, cap);
	fprintf(stderr, "%s \"%s\": %s\n", who, path, why ? why : strerror(-err));
	return err;
}

int secret_file_read(const char *who, const char *path, char *out, size_t cap)
{
	ssize_t n;
	char why[64];
	size_t len;
	int fd;

	if (cap < 2)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(who, path, -errno, NULL, out, cap);
	warn_mode(who, path, fd);
	n = read_some(fd, out, cap);
	close(fd);
	if (n < 0)
		return fail(who, path, (int)n, NULL, out, cap);
	len = line_len(out, (size_t)n);
	if (len == 0)
		return fail(who, path, -ENODATA, "the first line is empty", out, cap);
	if (len >= cap) {
		snprintf(why, sizeof(why), "the first line is longer than %zu bytes", cap - 1);
		return fail(who, path, -EMSGSIZE, why, out, cap);
	}
	OPENSSL_cleanse(out + len, cap - len);
	return 0;
}
