/*
 * testutil.c - the scratch directory of tests/testutil.h.
 */
#include "autoconf.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
