/* Unit tests for common/secret_file: the first line is the secret, empty and over-long lines
 * are refused, messages name the file and never the secret. Not the callers' option parsing. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/secret_file.h"

static char dir[] = "/tmp/test_secret_file.XXXXXX";
static char path[64];
static char errpath[64];
static int saved_stderr = -1;

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pass", dir);
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
}

static void teardown(void)
{
	unlink(path);
	unlink(errpath);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

static void write_file(const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* stderr into errpath while a call runs, so that its messages can be read back. */
static void capture_stderr(void)
{
	int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static const char *captured(void)
{
	static char buf[512];
	FILE *f;
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	f = fopen(errpath, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int read_secret(char *out, size_t cap)
{
	return secret_file_read("test: --pass-file", path, out, cap);
}

START_TEST(the_first_line_is_the_secret_without_its_line_end)
{
	static const char *const files[] = {"s3cret\n", "s3cret\r\n", "s3cret", "s3cret\nsecond\n"};
	char out[32];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		write_file(files[i], strlen(files[i]), 0600);
		ck_assert_int_eq(read_secret(out, sizeof(out)), 0);
		ck_assert_str_eq(out, "s3cret");
	}
}
END_TEST

START_TEST(an_empty_first_line_is_refused)
{
	static const char *const files[] = {"", "\n", "\r\n", "\nsecond\n"};
	char out[32];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		write_file(files[i], strlen(files[i]), 0600);
		capture_stderr();
		ck_assert_int_eq(read_secret(out, sizeof(out)), -ENODATA);
		ck_assert_ptr_nonnull(strstr(captured(), "is empty"));
	}
}
END_TEST

/* A password cut to the buffer would fail authentication with no hint why. */
START_TEST(a_line_that_does_not_fit_is_refused_not_cut)
{
	char out[8];

	write_file("1234567\n", 8, 0600);
	ck_assert_int_eq(read_secret(out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1234567");
	write_file("12345678\n", 9, 0600);
	capture_stderr();
	ck_assert_int_eq(read_secret(out, sizeof(out)), -EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(captured(), "longer than 7 bytes"));
	for (size_t i = 0; i < sizeof(out); i++)
		ck_assert_int_eq(out[i], 0);
}
END_TEST

START_TEST(a_missing_file_is_refused_with_its_path_and_reason)
{
	char out[32], want[128];

	capture_stderr();
	ck_assert_int_eq(read_secret(out, sizeof(out)), -ENOENT);
	snprintf(want, sizeof(want), "test: --pass-file \"%s\": %s\n", path, strerror(ENOENT));
	ck_assert_str_eq(captured(), want);
}
END_TEST

START_TEST(a_file_open_to_others_is_read_with_a_warning_without_the_secret)
{
	char out[32];
	const char *msg;

	write_file("s3cret\n", 7, 0644);
	capture_stderr();
	ck_assert_int_eq(read_secret(out, sizeof(out)), 0);
	msg = captured();
	ck_assert_str_eq(out, "s3cret");
	ck_assert_ptr_nonnull(strstr(msg, "warning: mode 644"));
	ck_assert_ptr_nonnull(strstr(msg, path));
	ck_assert_ptr_null(strstr(msg, "s3cret"));
}
END_TEST

START_TEST(a_private_file_is_read_silently)
{
	char out[32];

	write_file("s3cret\n", 7, 0600);
	capture_stderr();
	ck_assert_int_eq(read_secret(out, sizeof(out)), 0);
	ck_assert_str_eq(captured(), "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("secret_file");
	TCase *tc = tcase_create("secret_file");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_first_line_is_the_secret_without_its_line_end);
	tcase_add_test(tc, an_empty_first_line_is_refused);
	tcase_add_test(tc, a_line_that_does_not_fit_is_refused_not_cut);
	tcase_add_test(tc, a_missing_file_is_refused_with_its_path_and_reason);
	tcase_add_test(tc, a_file_open_to_others_is_read_with_a_warning_without_the_secret);
	tcase_add_test(tc, a_private_file_is_read_silently);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
