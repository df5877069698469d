/*
 * testutil - a scratch directory for each test of a Check suite.
 *
 *   tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
 *   ... am_test_dir ... am_test_path(0, "r.db") ...
 *
 * am_test_dir_make() creates /tmp/<program>_XXXXXX into am_test_dir;
 * am_test_dir_remove() deletes it with everything in it. am_test_path(slot,
 * name) is am_test_dir/name in one of AM_TEST_PATH_SLOTS static buffers, so
 * up to that many paths can be used in one expression.
 */
#ifndef AM_TESTUTIL_H
#define AM_TESTUTIL_H

#define AM_TEST_PATH_SLOTS 4

extern char am_test_dir[64];

void am_test_dir_make(void);
void am_test_dir_remove(void);
const char *am_test_path(int slot, const char *name);

#endif
