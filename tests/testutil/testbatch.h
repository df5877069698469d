/*
 * NAME        am_testbatch - one check of a report backend's batch ids, run
 *             by the SQLite and the PostgreSQL suites alike
 * SYNOPSIS    am_testbatch_written_once(path);
 * DESCRIPTION am_testbatch_written_once() opens the store at path
 *             (read-write; a new, empty store) through its backend and
 *             checks, with ck_assert, report_backend.h's promise: a batch
 *             written a second time under the same id (the writer's retry
 *             after a commit whose acknowledgement was lost) adds no row;
 *             a batch under a new id does; expire() forgets ids older than
 *             its limit together with the rows.
 */
#ifndef AM_TESTBATCH_H
#define AM_TESTBATCH_H

void am_testbatch_written_once(const char *path);

#endif
