/*
 * NAME        am_config - configuration file parser and immutable snapshot
 * DESCRIPTION The file is "Key value" lines: '#' starts a comment (at the
 *             start of a line or after white space), blank lines are ignored,
 *             keys are case-insensitive, the value is the rest of the line with
 *             surrounding white space removed. "Include FILE" reads another
 *             file in place (relative paths are relative to the including
 *             file; include loops are an error). Every key is declared once in
 *             config_keys.def; struct am_config is generated from it.
 *
 *             am_config_load() parses path into a new snapshot (refcount 1).
 *             It reports *every* problem, each as one "FILE:LINE: message"
 *             line appended to errs (unknown key, duplicate key, bad value,
 *             out of range, missing file, include loop), and returns NULL if
 *             there was any. Warnings that do not fail the load (e.g. the
 *             default TrustAnchorFile missing) are appended to warns (may be
 *             NULL) in the same form. am_config_defaults() builds the snapshot
 *             of the built-in defaults (the "embedded default config"); it
 *             cannot fail.
 *
 *             errs and warns are borrowed and may be NULL; a line that does
 *             not fit under the caller's cap is dropped, the load still
 *             fails. Lines longer than 8 KiB, NUL bytes, and Include nested
 *             more than 16 files deep are errors. An empty AuthservID is
 *             replaced at load by this host's name (FQDN if gethostname() or
 *             getaddrinfo(AI_CANONNAME) give one), so readers always see a
 *             non-empty authserv_id. A PATH key whose value is its built-in
 *             default and does not exist (TrustAnchorFile) is a warning and
 *             becomes "". After a successful load every string field is
 *             non-NULL and every NETSET field is a set (maybe empty).
 *
 *             am_config_origin() says where key (any case) was set:
 *             "FILE:LINE" (borrowed, valid as long as the snapshot), or
 *             NULL when it has its built-in default because no file line set
 *             it (a line that sets it to the default's value is still an
 *             origin: that is an explicit choice). An unknown key is a panic.
 *
 *             am_config_ref() adds a reference; am_config_unref() drops one,
 *             frees the snapshot at zero, accepts NULL and returns NULL.
 *             am_config_print_defaults() writes conf/authmilter.conf: every
 *             key commented out at its default with its doc (this is how the
 *             committed file is generated). am_config_print_man() writes
 *             the same keys, types, bounds, defaults and docs as the roff
 *             key list of man/authmilter.conf.5. am_config_print() writes the
 *             effective value of every key of a snapshot; when show is not
 *             NULL it is asked first for every string value (STRING and
 *             PATH keys that are set) and, when it returns true, what it
 *             appended to out is printed instead (authmilterctl hides the
 *             password of a PostgreSQL ReportStore that way: this layer
 *             does not know which values hold secrets).
 * THREADS     a snapshot is immutable after load; ref/unref are atomic, so a
 *             snapshot may be shared by any number of threads.
 */
#ifndef AM_CONFIG_H
#define AM_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/am.h"
#include "core/buf.h"
#include "core/netaddr.h"
#include "tls/tls_policy.h"

enum am_action {
	AM_ACTION_ACCEPT = 0,
	AM_ACTION_TEMPFAIL,
	AM_ACTION_REJECT,
	AM_ACTION_QUARANTINE,
};

/* DMARCOrgDomain: how the organizational domain is found (lib/dmarc/orgdomain.h). */
enum am_orgdomain_mode {
	AM_ORGDOMAIN_TREEWALK = 0,	/* RFC 9989 §4.10 DNS tree walk */
	AM_ORGDOMAIN_PSL,		/* Public Suffix List (RFC 7489 §3.2) */
};

/* QuarantineAction: what quarantine means (lib/dmarc/dmarc.h). */
enum am_quarantine_mode {
	AM_QUARANTINE_HOLD = 0,		/* smfi_quarantine: Postfix hold queue */
	AM_QUARANTINE_HEADER,		/* add QuarantineHeader, deliver */
};

#define AM_CTYPE_STRING char *
#define AM_CTYPE_PATH char *
#define AM_CTYPE_BOOL bool
#define AM_CTYPE_INT long
#define AM_CTYPE_SECONDS long
#define AM_CTYPE_NETSET struct am_netset *
#define AM_CTYPE_ACTION enum am_action
#define AM_CTYPE_PORTS char *
#define AM_CTYPE_HEADERNAME char *
#define AM_CTYPE_TLSVERSION char *
#define AM_CTYPE_TLSPOLICY struct am_tls_policy *
#define AM_CTYPE_ORGDOMAIN enum am_orgdomain_mode
#define AM_CTYPE_QUARANTINE enum am_quarantine_mode

struct am_config {
#define AM_KEY(name, type, def, min, max, field, doc) AM_CTYPE_##type field;
#include "config/config_keys.def"
#undef AM_KEY
	char *source;		/* owned: file loaded, or "(built-in defaults)" */
	char **text;		/* owned, private to config.c: the source text
				 * of each key's value, in config_keys.def order */
	char **origin;		/* owned, private to config.c: "FILE:LINE"
				 * where each key was set, NULL for a built-in
				 * default; see am_config_origin() */
	atomic_int refs;	/* references; the snapshot is freed at 0 */
};

struct am_config *am_config_load(const char *path, struct am_buf *errs,
    struct am_buf *warns);
struct am_config *am_config_defaults(void);
struct am_config *am_config_ref(struct am_config *cfg);
struct am_config *am_config_unref(struct am_config *cfg);
void am_config_print_defaults(FILE *fp);
void am_config_print_man(FILE *fp);
typedef bool am_config_show_fn(const char *key, const char *value,
    struct am_buf *out);
void am_config_print(const struct am_config *cfg, am_config_show_fn *show,
    FILE *fp);
const char *am_action_name(enum am_action a);
const char *am_config_origin(const struct am_config *cfg, const char *key);

#endif
