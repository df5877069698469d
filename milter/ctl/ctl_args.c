/*
 * ctl_args.c - command-line values shared by the subcommands (contract in
 * ctl_args.h).
 */
#include "autoconf.h"

#include <string.h>
#include <time.h>

#include "ctl_args.h"

/* am_ctl_time_parse - "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
bool
am_ctl_time_parse(const char *s, bool is_day, int64_t *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, is_day ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return false;
	*t = (int64_t)timegm(&tm);
	return true;
}
