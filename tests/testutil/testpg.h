/*
 * NAME        am_testpg - a real PostgreSQL server for Check suites (the C
 *             side of tests/testutil/testpg.sh)
 * SYNOPSIS    struct am_why why;
 *             if (!am_testpg_available(&why)) {
 *                     printf("SKIP: %s\n", why.text);
 *                     return 77;
 *             }
 *             struct am_testpg *pg = am_testpg_start(&why);
 *             const char *uri = am_testpg_newdb(pg, "t1");
 *             long long n = am_testpg_int(pg, "t1", "SELECT count(*) ...");
 *             pid_t pid = am_testpg_restart(pg, 1);  ... waitpid(pid, ...)
 *             pg = am_testpg_stop(pg);
 * DESCRIPTION am_testpg_available() is false, with the reason, when no
 *             PostgreSQL server can be run here (the suite then exits 77:
 *             skipped, visibly). am_testpg_start() runs testpg_start in a
 *             fresh temporary directory: initdb, a server on 127.0.0.1 and
 *             a unix socket on a free port, run as an unprivileged user
 *             when we are root; the server is stopped when this process
 *             exits (a watchdog), even when it crashes. Start it from the
 *             suite's main(), before the tests fork. NULL with the reason
 *             when it failed.
 *             am_testpg_newdb() creates an empty database and returns its
 *             TCP URI; am_testpg_conninfo() gives the key=value string of a
 *             database over the unix socket; both in a buffer of pg, valid
 *             until the next call of either. am_testpg_sql() runs SQL with
 *             psql and returns its output (unaligned rows, tuples only) in
 *             a static buffer, or NULL when psql failed (its stderr goes to
 *             ours). am_testpg_int() is the first line of that as a number
 *             (-1 on failure). am_testpg_restart() returns the pid of a new
 *             process (-1: fork failed) that stops the server (fast
 *             shutdown), waits down_s seconds, starts it again on the same
 *             port and exits 0 (else non-zero); the caller reaps it with
 *             waitpid() and may go on writing meanwhile. It execs sh at
 *             once, so the fork of a threaded caller copies nothing that a
 *             leak checker would report. am_testpg_stop() stops it,
 *             removes the directory, accepts NULL and returns NULL.
 * THREADS     one owner; the functions fork sh and psql.
 */
#ifndef AM_TESTPG_H
#define AM_TESTPG_H

#include <sys/types.h>

#include <stdbool.h>

#include "core/am.h"

struct am_testpg;

bool am_testpg_available(struct am_why *why);
struct am_testpg *am_testpg_start(struct am_why *why);
const char *am_testpg_newdb(struct am_testpg *pg, const char *db);
const char *am_testpg_conninfo(struct am_testpg *pg, const char *db);
const char *am_testpg_sql(struct am_testpg *pg, const char *db,
    const char *sql);
long long am_testpg_int(struct am_testpg *pg, const char *db,
    const char *sql);
pid_t am_testpg_restart(struct am_testpg *pg, int down_s);
struct am_testpg *am_testpg_stop(struct am_testpg *pg);

#endif
