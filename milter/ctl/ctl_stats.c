/*
 * ctl_stats.c - authmilterctl stats (contract in ctl_stats.h). The daemon
 * owns the counters; this only reads the snapshot file it publishes, so the
 * command needs no socket and no privileges beyond reading the file.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipeline/stats.h"
#include "ctl_stats.h"

#define STALE_INTERVALS 3	/* missed writes before a file is stale */

/* parse_args - "--file F"; false on a usage error. */
static bool
parse_args(int argc, char **argv, const char **file)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c != 'f')
			return false;
		*file = optarg;
	}
	return optind == argc;
}

/* print_snapshot - the header line, then every counter as read. */
static void
print_snapshot(const char *path, const struct am_stats_snapshot *snap,
    long long age)
{
	size_t i;

	printf("# %s: written %lld s ago\n", path, age);
	for (i = 0; i < snap->n; i++)
		printf("%s %llu\n", snap->e[i].name, snap->e[i].value);
}

/* am_ctl_stats - print the daemon's counters; fail when missing or stale. */
int
am_ctl_stats(const struct am_config *cfg, int argc, char **argv)
{
	struct am_stats_snapshot snap;
	const char *path = cfg->stats_file;
	unsigned long long written;
	struct am_why why;
	long long age, max_age;

	if (!parse_args(argc, argv, &path)) {
		fprintf(stderr, "usage: authmilterctl [-c FILE] stats "
		    "[--file F]\n");
		return 2;
	}
	if (path[0] == '\0') {
		fprintf(stderr, "authmilterctl: StatsFile is empty in %s: the "
		    "daemon writes no counters (set StatsFile, or use "
		    "--file)\n", cfg->source);
		return 1;
	}
	switch (am_stats_read(path, &snap, &why)) {
	case AM_OK:
		break;
	case AM_TEMPFAIL:
		fprintf(stderr, "authmilterctl: %s: is authmilter running? "
		    "(it writes StatsFile every StatsInterval seconds)\n",
		    why.text);
		return 1;
	default:
		fprintf(stderr, "authmilterctl: %s\n", why.text);
		return 1;
	}
	(void)am_stats_lookup(&snap, "time", &written);
	age = (long long)time(NULL) - (long long)written;
	if (age < 0)
		age = 0;	/* the clock went back: not stale */
	print_snapshot(path, &snap, age);
	max_age = (long long)cfg->stats_interval * STALE_INTERVALS;
	if (age > max_age) {
		fflush(stdout);
		fprintf(stderr, "authmilterctl: %s is stale: written %lld s "
		    "ago, more than %d x StatsInterval (%ld s): is authmilter "
		    "running?\n", path, age, STALE_INTERVALS,
		    cfg->stats_interval);
		return 1;
	}
	return 0;
}
