/*
 * config_types.c - the value types of the configuration: one parse, print
 * and release function per type, in the table am_config_ops[] that config.c
 * dispatches through (config_impl.h). Parsing never looks at another key.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "core/buf.h"
#include "core/netaddr.h"
#include "config/config.h"
#include "config/config_impl.h"

static const char *const action_names[] = {
	[AM_ACTION_ACCEPT] = "accept",
	[AM_ACTION_TEMPFAIL] = "tempfail",
	[AM_ACTION_REJECT] = "reject",
	[AM_ACTION_QUARANTINE] = "quarantine",
};

#define NACTIONS (sizeof(action_names) / sizeof(action_names[0]))

static const struct {
	const char *word;	/* accepted spelling, any case */
	bool value;		/* what it means */
} bool_words[] = {
	{ "yes", true }, { "no", false }, { "true", true }, { "false", false },
	{ "on", true }, { "off", false }, { "1", true }, { "0", false },
};

/* ---------------------------------------------------------- value types */

/* parse_string - any text, kept as is. */
static enum am_status
parse_string(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	*(char **)slot = am_xstrdup(val);
	return AM_OK;
}

/* parse_path - empty, or a file that exists. A missing built-in default
 * is only a warning and leaves the value empty (the feature is off). */
static enum am_status
parse_path(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	struct stat st;

	*(char **)slot = am_xstrdup(val);
	if (*val == '\0')
		return AM_OK;
	if (stat(val, &st) != 0) {
		if (errno == ENOENT && strcmp(val, k->def) == 0) {
			am_why_set(why, "%s: %s (built-in default; "
			    "leaving it empty)", val, strerror(errno));
			**(char **)slot = '\0';
			return AM_TEMPFAIL;
		}
		am_why_set(why, "%s: %s", val, strerror(errno));
		return AM_PERMFAIL;
	}
	if (S_ISDIR(st.st_mode)) {
		am_why_set(why, "%s: is a directory", val);
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* print_string - STRING and PATH values. */
static void
print_string(FILE *fp, const void *slot, const char *text)
{
	const char *s = *(char *const *)slot;

	if (s != NULL && *s != '\0')
		(void)fprintf(fp, " %s", s);
}

/* release_string - free a STRING or PATH value. */
static void
release_string(void *slot)
{
	free(*(char **)slot);
	*(char **)slot = NULL;
}

/* parse_bool - one of the words in bool_words. */
static enum am_status
parse_bool(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	size_t i;

	for (i = 0; i < sizeof(bool_words) / sizeof(bool_words[0]); i++) {
		if (strcasecmp(val, bool_words[i].word) == 0) {
			*(bool *)slot = bool_words[i].value;
			return AM_OK;
		}
	}
	am_why_set(why, "\"%.64s\" is not a boolean (yes/no, true/false, "
	    "on/off, 1/0)", val);
	return AM_PERMFAIL;
}

/* print_bool - "yes" or "no". */
static void
print_bool(FILE *fp, const void *slot, const char *text)
{
	(void)fprintf(fp, " %s", *(const bool *)slot ? "yes" : "no");
}

/* parse_long - decimal integer in k->min..k->max (INT and SECONDS). */
static enum am_status
parse_long(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (*val == '\0' || isspace((unsigned char)*val) || *end != '\0') {
		am_why_set(why, "\"%.64s\" is not an integer", val);
		return AM_PERMFAIL;
	}
	if (errno == ERANGE || v < k->min || v > k->max) {
		am_why_set(why, "%.64s is out of range (%ld..%ld)", val,
		    k->min, k->max);
		return AM_PERMFAIL;
	}
	*(long *)slot = v;
	return AM_OK;
}

/* print_long - decimal. */
static void
print_long(FILE *fp, const void *slot, const char *text)
{
	(void)fprintf(fp, " %ld", *(const long *)slot);
}

/* parse_netset - CIDR list; an empty value is an empty set. */
static enum am_status
parse_netset(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	struct am_netset *set = am_netset_new();

	if (am_netset_add_list(set, val, why) != AM_OK) {
		(void)am_netset_free(set);
		return AM_PERMFAIL;
	}
	*(struct am_netset **)slot = set;
	return AM_OK;
}

/* print_netset - the text the set was built from. */
static void
print_netset(FILE *fp, const void *slot, const char *text)
{
	if (text != NULL && *text != '\0')
		(void)fprintf(fp, " %s", text);
}

/* release_netset - free a NETSET value. */
static void
release_netset(void *slot)
{
	*(struct am_netset **)slot = am_netset_free(*(struct am_netset **)slot);
}

/* parse_action - an action name whose code is within k->min..k->max. */
static enum am_status
parse_action(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	char list[128];
	size_t used = 0;
	long a;

	/* "none" (take no action) is another spelling of accept. */
	if (k->min == AM_ACTION_ACCEPT && strcasecmp(val, "none") == 0) {
		*(enum am_action *)slot = AM_ACTION_ACCEPT;
		return AM_OK;
	}
	for (a = k->min; a <= k->max && a < (long)NACTIONS; a++) {
		if (strcasecmp(val, action_names[a]) == 0) {
			*(enum am_action *)slot = (enum am_action)a;
			return AM_OK;
		}
	}
	list[0] = '\0';
	for (a = k->min; a <= k->max && a < (long)NACTIONS; a++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%s%s", used ? ", " : "", action_names[a]);
	am_why_set(why, "\"%.64s\" is not one of: %s", val, list);
	return AM_PERMFAIL;
}

/* print_action - the action's name. */
static void
print_action(FILE *fp, const void *slot, const char *text)
{
	(void)fprintf(fp, " %s", am_action_name(*(const enum am_action *)slot));
}

/* release_none - nothing to free. */
static void
release_none(void *slot)
{
}

/* parse_ports - a comma/space separated list of port numbers 1..65535. */
static enum am_status
parse_ports(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	const char *p = val;
	char *end;
	long port;

	while (*p != '\0') {
		if (*p == ',' || *p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		port = strtol(p, &end, 10);
		if (end == p || port < 1 || port > 65535 ||
		    (*end != '\0' && *end != ',' && *end != ' ' &&
		    *end != '\t')) {
			am_why_set(why, "\"%.64s\" is not a list of port numbers",
			    val);
			return AM_PERMFAIL;
		}
		p = end;
	}
	return parse_string(k, val, slot, why);
}

/* parse_headername - an RFC 5322 field name, or "none". */
static enum am_status
parse_headername(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	const unsigned char *p = (const unsigned char *)val;

	if (*p == '\0') {
		am_why_set(why, "a header name (or none) is required");
		return AM_PERMFAIL;
	}
	for (; *p; p++)
		if (*p < 33 || *p > 126 || *p == ':') {
			am_why_set(why, "\"%.64s\" is not a header name", val);
			return AM_PERMFAIL;
		}
	return parse_string(k, val, slot, why);
}

/* parse_tlsversion - TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, or empty. */
static enum am_status
parse_tlsversion(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	if (*val != '\0' && am_tls_version_rank(val) < 10) {
		am_why_set(why, "\"%.64s\" is not one of: TLSv1, TLSv1.1, "
		    "TLSv1.2, TLSv1.3", val);
		return AM_PERMFAIL;
	}
	return parse_string(k, val, slot, why);
}

/* parse_tlspolicy - RequireTLS rules (tls_policy.h). */
static enum am_status
parse_tlspolicy(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	struct am_tls_policy *pol = am_tls_policy_parse(val, why);

	if (pol == NULL)
		return AM_PERMFAIL;
	*(struct am_tls_policy **)slot = pol;
	return AM_OK;
}

/* release_tlspolicy - free a TLSPOLICY value. */
static void
release_tlspolicy(void *slot)
{
	*(struct am_tls_policy **)slot =
	    am_tls_policy_free(*(struct am_tls_policy **)slot);
}

/* parse_word - one of n words (any case) into an enum slot. */
static enum am_status
parse_word(const char *const *words, size_t n, const char *val, void *slot,
    struct am_why *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(val, words[i]) == 0) {
			*(int *)slot = (int)i;
			return AM_OK;
		}
	am_why_set(why, "\"%.64s\" is not one of: %s, %s", val, words[0],
	    words[1]);
	return AM_PERMFAIL;
}

static const char *const orgdomain_words[] = {
	[AM_ORGDOMAIN_TREEWALK] = "treewalk",
	[AM_ORGDOMAIN_PSL] = "psl",
};

static const char *const quarantine_words[] = {
	[AM_QUARANTINE_HOLD] = "hold",
	[AM_QUARANTINE_HEADER] = "header",
};

/* parse_orgdomain - treewalk or psl. */
static enum am_status
parse_orgdomain(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	return parse_word(orgdomain_words, 2, val, slot, why);
}

/* print_orgdomain - the mode's word. */
static void
print_orgdomain(FILE *fp, const void *slot, const char *text)
{
	(void)fprintf(fp, " %s",
	    orgdomain_words[*(const enum am_orgdomain_mode *)slot]);
}

/* parse_quarantine - hold or header. */
static enum am_status
parse_quarantine(const struct key *k, const char *val, void *slot,
    struct am_why *why)
{
	return parse_word(quarantine_words, 2, val, slot, why);
}

/* print_quarantine - the mode's word. */
static void
print_quarantine(FILE *fp, const void *slot, const char *text)
{
	(void)fprintf(fp, " %s",
	    quarantine_words[*(const enum am_quarantine_mode *)slot]);
}

const struct ctype_ops am_config_ops[] = {
	[CT_STRING] = { parse_string, print_string, release_string },
	[CT_PATH] = { parse_path, print_string, release_string },
	[CT_BOOL] = { parse_bool, print_bool, release_none },
	[CT_INT] = { parse_long, print_long, release_none },
	[CT_SECONDS] = { parse_long, print_long, release_none },
	[CT_NETSET] = { parse_netset, print_netset, release_netset },
	[CT_ACTION] = { parse_action, print_action, release_none },
	[CT_PORTS] = { parse_ports, print_string, release_string },
	[CT_HEADERNAME] = { parse_headername, print_string, release_string },
	[CT_TLSVERSION] = { parse_tlsversion, print_string, release_string },
	[CT_TLSPOLICY] = { parse_tlspolicy, print_netset, release_tlspolicy },
	[CT_ORGDOMAIN] = { parse_orgdomain, print_orgdomain, release_none },
	[CT_QUARANTINE] = { parse_quarantine, print_quarantine, release_none },
};

/* am_action_name - the configuration word for an action. */
const char *
am_action_name(enum am_action a)
{
	if ((unsigned)a < NACTIONS)
		return action_names[a];
	return "invalid";
}

