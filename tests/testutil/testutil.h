/*
 * testutil - a scratch directory for each test of a Check suite, and whole
 * files in and out.
 *
 *   tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
 *   ... am_test_dir ... am_test_path(0, "r.db") ...
 *
 * am_test_dir_make() creates /tmp/<program>_XXXXXX into am_test_dir;
 * am_test_dir_remove() deletes it with everything in it. am_test_path(slot,
 * name) is am_test_dir/name in one of AM_TEST_PATH_SLOTS static buffers, so
 * up to that many paths can be used in one expression.
 *
 * am_test_run() runs every test of s (CK_NORMAL output) and frees it; it
 * returns the exit status of a suite: EXIT_SUCCESS if none failed, else
 * EXIT_FAILURE. am_test_can_fork() is false when CK_FORK=no (valgrind runs):
 * a test that expects abort() is then left out, since it would end the
 * whole run.
 *
 * AM_TEST_NEED(c) is a check usable outside a test too (ck_assert needs
 * one), for set-up in main(): if c is false it names the file, the line and
 * the condition on stderr and aborts.
 *
 * am_test_slurp() returns a whole file, am_test_slurp_fd() the rest of an
 * open file, as an owned NUL-terminated string (free()). am_test_put()
 * writes text to path (created or truncated). am_test_temp_file() writes len
 * bytes to a new /tmp/<program>.XXXXXX and returns its path, owned (the
 * caller unlinks and frees it). Failures are Check assertions naming the
 * file: call these inside a test or a checked fixture.
 */
#ifndef AM_TESTUTIL_H
#define AM_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>

#define AM_TEST_PATH_SLOTS 4

#define AM_TEST_NEED(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #c); \
		abort();						\
	}								\
} while (0)

extern char am_test_dir[64];

void am_test_dir_make(void);
void am_test_dir_remove(void);
const char *am_test_path(int slot, const char *name);

int am_test_run(Suite *s);
bool am_test_can_fork(void);

char *am_test_slurp(const char *path);
char *am_test_slurp_fd(int fd);
void am_test_put(const char *path, const char *text);
char *am_test_temp_file(const void *data, size_t len);

#endif
