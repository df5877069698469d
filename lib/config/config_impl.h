/*
 * config_impl.h - private to config.c and config_types.c: the key table
 * entry and the per-type operations. Nothing else includes this file.
 */
#ifndef AM_CONFIG_IMPL_H
#define AM_CONFIG_IMPL_H

#include <stddef.h>
#include <stdio.h>

#include "core/am.h"

enum ctype {
	CT_STRING, CT_PATH, CT_BOOL, CT_INT, CT_SECONDS, CT_NETSET, CT_ACTION,
	CT_PORTS, CT_HEADERNAME, CT_TLSVERSION, CT_TLSPOLICY, CT_ORGDOMAIN,
	CT_QUARANTINE,
};

/* One configuration key, generated from config_keys.def. */
struct key {
	const char *name;	/* as written in the file */
	enum ctype type;	/* how the value is parsed */
	const char *def;	/* built-in default, as written in the file */
	long min;		/* INT/SECONDS/ACTION lower bound */
	long max;		/* INT/SECONDS/ACTION upper bound */
	size_t off;		/* offset of the field in struct am_config */
	const char *doc;	/* one paragraph of documentation */
};

/*
 * Per-type operations. parse() fills the field at slot from val and returns
 * AM_OK, AM_PERMFAIL (an error, reason in why) or AM_TEMPFAIL (accepted with
 * a warning in why). print() writes the value as it would appear in a file.
 */
struct ctype_ops {
	enum am_status (*parse)(const struct key *, const char *val, void *slot,
	    struct am_why *why);
	void (*print)(FILE *fp, const void *slot, const char *text);
	void (*release)(void *slot);
};

extern const struct ctype_ops am_config_ops[];

#endif
