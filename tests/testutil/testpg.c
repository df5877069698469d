/*
 * testpg.c - a real PostgreSQL server for Check suites (contract in
 * testpg.h). Every step runs a function of tests/testutil/testpg.sh in
 * sh, with the arguments as positional parameters (never spliced into the
 * command), so SQL with quotes needs no escaping.
 */
#include "autoconf.h"

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil/testpg.h"

#define SCRIPT	AM_TOP_SRCDIR "/tests/testutil/testpg.sh"
#define OUT_MAX	65536

struct am_testpg {
	char dir[64];		/* the temporary directory */
	char uri[512];		/* the last URI or conninfo handed out */
};

/* run_sh - ". testpg.sh; CODE" with args as $1...; stdout into out
 * (NUL-terminated, cut at size); the exit status, -1 if it did not run. */
static int
run_sh(const char *code, const char *const *args, char *out, size_t size)
{
	const char *argv[12] = { "sh", "-c", NULL, SCRIPT };
	char script[1024];
	int fds[2], status;
	size_t len = 0, i;
	ssize_t n;
	pid_t pid;

	snprintf(script, sizeof(script), ". \"$0\" && %s", code);
	argv[2] = script;
	for (i = 0; args[i] != NULL && i < 7; i++)
		argv[4 + i] = args[i];
	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv("/bin/sh", (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, size - 1 - len)) > 0 &&
	    (len += (size_t)n) < size - 1)
		;
	out[len] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* chomp - out without its trailing newline. */
static void
chomp(char *out)
{
	size_t len = strlen(out);

	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
}

/* am_testpg_available - initdb and friends here, and a user to run them. */
bool
am_testpg_available(struct am_why *why)
{
	const char *args[] = { NULL };
	char out[512];

	if (run_sh("testpg_available || { echo \"$testpg_why\"; exit 1; }",
	    args, out, sizeof(out)) == 0)
		return true;
	chomp(out);
	am_why_set(why, "PostgreSQL: %s", out[0] != '\0' ? out :
	    "cannot run " SCRIPT);
	return false;
}

/* am_testpg_start - initdb and start a server in a temporary directory. */
struct am_testpg *
am_testpg_start(struct am_why *why)
{
	struct am_testpg *pg = calloc(1, sizeof(*pg));
	const char *args[] = { NULL, NULL };
	char out[512], pid[24];

	if (pg == NULL)
		abort();
	snprintf(pg->dir, sizeof(pg->dir), "/tmp/testpg_XXXXXX");
	if (mkdtemp(pg->dir) == NULL) {
		am_why_set(why, "mkdtemp: failed");
		free(pg);
		return NULL;
	}
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("TESTPG_WATCH_PID", pid, 1);
	args[0] = pg->dir;
	if (run_sh("testpg_start \"$1\"", args, out, sizeof(out)) != 0) {
		am_why_set(why, "testpg_start failed (log in %s/pg)", pg->dir);
		free(pg);
		return NULL;
	}
	return pg;
}

/* am_testpg_newdb - a new empty database; its URI. */
const char *
am_testpg_newdb(struct am_testpg *pg, const char *db)
{
	const char *args[] = { pg->dir, db, NULL };

	if (run_sh("testpg_createdb \"$1\" \"$2\" && testpg_uri \"$1\" \"$2\"",
	    args, pg->uri, sizeof(pg->uri)) != 0)
		return NULL;
	chomp(pg->uri);
	return pg->uri;
}

/* am_testpg_conninfo - "host=... port=... user=... dbname=db". */
const char *
am_testpg_conninfo(struct am_testpg *pg, const char *db)
{
	const char *args[] = { pg->dir, db, NULL };

	if (run_sh("testpg_conninfo \"$1\" \"$2\"", args, pg->uri,
	    sizeof(pg->uri)) != 0)
		return NULL;
	chomp(pg->uri);
	return pg->uri;
}

/* am_testpg_sql - psql's output for sql on db; NULL when it failed. */
const char *
am_testpg_sql(struct am_testpg *pg, const char *db, const char *sql)
{
	static char out[OUT_MAX];
	const char *args[] = { pg->dir, db, sql, NULL };

	if (run_sh("testpg_psql \"$1\" \"$2\" \"$3\"", args, out,
	    sizeof(out)) != 0)
		return NULL;
	chomp(out);
	return out;
}

/* am_testpg_int - the first value sql returns, as a number; -1 if none. */
long long
am_testpg_int(struct am_testpg *pg, const char *db, const char *sql)
{
	const char *out = am_testpg_sql(pg, db, sql);

	if (out == NULL || *out == '\0')
		return -1;
	return strtoll(out, NULL, 10);
}

/* am_testpg_restart - a process that restarts the server; its pid. */
pid_t
am_testpg_restart(struct am_testpg *pg, int down_s)
{
	char s[16];
	pid_t pid;

	snprintf(s, sizeof(s), "%d", down_s);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", ". \"$0\" && testpg_restart "
		    "\"$1\" \"$2\" >/dev/null", SCRIPT, pg->dir, s, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* am_testpg_stop - stop the server, remove its directory; NULL. */
struct am_testpg *
am_testpg_stop(struct am_testpg *pg)
{
	const char *args[] = { NULL, NULL };
	char out[256];

	if (pg == NULL)
		return NULL;
	args[0] = pg->dir;
	if (run_sh("testpg_stop \"$1\" && rm -rf \"$1\"", args, out,
	    sizeof(out)) != 0)
		fprintf(stderr, "testpg: could not stop the server in %s\n",
		    pg->dir);
	free(pg);
	return NULL;
}
