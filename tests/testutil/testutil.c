/*
 * testutil.c - the scratch directory and file helpers of testutil.h.
 */
#include "autoconf.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil/testutil.h"

char am_test_dir[64];

void
am_test_dir_make(void)
{
	snprintf(am_test_dir, sizeof(am_test_dir), "/tmp/%s_XXXXXX",
	    program_invocation_short_name);
	ck_assert_ptr_nonnull(mkdtemp(am_test_dir));
}

void
am_test_dir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", am_test_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", am_test_dir);
}

const char *
am_test_path(int slot, const char *name)
{
	static char p[AM_TEST_PATH_SLOTS][256];

	if (slot < 0 || slot >= AM_TEST_PATH_SLOTS)
		abort();
	snprintf(p[slot], sizeof(p[slot]), "%s/%s", am_test_dir, name);
	return p[slot];
}

/* am_test_run - run s; EXIT_SUCCESS or EXIT_FAILURE. */
int
am_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* am_test_can_fork - false under CK_FORK=no. */
bool
am_test_can_fork(void)
{
	const char *f = getenv("CK_FORK");

	return f == NULL || strcmp(f, "no") != 0;
}

/* am_test_slurp_fd - the rest of fd, owned. */
char *
am_test_slurp_fd(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
	}
	ck_assert_msg(n == 0, "read: %s", strerror(errno));
	buf[len] = '\0';
	return buf;
}

/* am_test_slurp - a whole file, owned. */
char *
am_test_slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *s;

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	s = am_test_slurp_fd(fd);
	close(fd);
	return s;
}

/* am_test_put - text into path. */
void
am_test_put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	ck_assert_msg(fputs(text, fp) >= 0, "%s: %s", path, strerror(errno));
	ck_assert_msg(fclose(fp) == 0, "%s: %s", path, strerror(errno));
}

/* am_test_temp_file - len bytes in a new temporary file; its path, owned. */
char *
am_test_temp_file(const void *data, size_t len)
{
	char *path;
	int fd;

	ck_assert(asprintf(&path, "/tmp/%s.XXXXXX",
	    program_invocation_short_name) > 0);
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, data, len) == (ssize_t)len, "%s: %s", path,
	    strerror(errno));
	ck_assert(close(fd) == 0);
	return path;
}
