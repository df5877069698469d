/*
 * NAME        am_report_ingest - parse one received DMARC aggregate report
 *             (RFC 7489 Appendix C, RFC 9990) from untrusted XML
 * SYNOPSIS    struct am_report_xsd *x = am_report_xsd_load(paths, n, &why);
 *             st = am_report_ingest_parse(xml, len, &lim, x, false, &r,
 *                 &warn, &why);
 *             x = am_report_xsd_free(x);
 * DESCRIPTION am_report_ingest_parse() reads the XML document xml[0..len)
 *             with libxml2 and returns an owned report (report_agg.h;
 *             am_report_agg_free) in *out, or AM_PERMFAIL with the reason
 *             when it refuses the document:
 *             - over lim->max_bytes bytes;
 *             - any <!DOCTYPE> (internal or external DTD): parsing stops
 *               there, so no entity is declared, expanded or fetched (no
 *               billion laughs, no external entities); XML_PARSE_NOENT,
 *               DTDLOAD and HUGE are never set, XML_PARSE_NONET is, and
 *               libxml2's own limits (nesting depth 256, a text node of 10
 *               MB) stay on;
 *             - not well-formed (the first libxml2 error, with its line);
 *             - a root that is not <feedback>;
 *             - no report_metadata org_name or report_id, no date_range
 *               begin and end (integers, begin <= end), no
 *               policy_published domain, a record without source_ip or
 *               with a count that is not an integer in 0..2^40, or more
 *               than lim->max_records records.
 *             Everything else is read leniently, as real reports need
 *             (tests/conformance/README.md §2.4: Google's reports do not
 *             validate against the RFC 7489 schema): elements are matched
 *             by local name in any namespace, unknown and missing optional
 *             elements are ignored, text is trimmed and cut at
 *             AM_REPORT_STR_MAX bytes, result words are lower-cased, lists
 *             are cut at AM_REPORT_LIST_MAX entries. format is "rfc9990"
 *             for the urn:ietf:params:xml:ns:dmarc-2.0 namespace, else
 *             "rfc7489". origin, ingested are left for the caller.
 *
 *             Validation is a diagnostic: with xsd (may be NULL) the
 *             document is also validated against the loaded schema whose
 *             targetNamespace is the root's namespace (none for none); a
 *             failure is written to warn (the first error, with its line)
 *             and the report is still returned, unless is_strict, which
 *             makes it a refusal. warn is "" when there is nothing to say.
 *
 *             am_report_xsd_load() compiles n XSD files (trusted: given by
 *             the administrator; network access off) into an owned set;
 *             NULL with the reason when one does not compile.
 *             am_report_xsd_free() accepts NULL and returns NULL.
 * THREADS     reentrant (libxml2 is initialised once by the first call);
 *             a schema set is used by one thread at a time.
 * DIAGNOSTICS AM_PERMFAIL with why for a refused document; AM_PANIC on NULL
 *             arguments.
 */
#ifndef AM_REPORT_INGEST_H
#define AM_REPORT_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "report/report_agg.h"

#define AM_INGEST_MAX_BYTES	(32u << 20)	/* default input bound */
#define AM_INGEST_MAX_RECORDS	500000
#define AM_INGEST_MAX_DEPTH	8	/* MIME nesting */
#define AM_INGEST_MAX_PARTS	64	/* MIME parts, zip entries */

struct am_ingest_limits {
	size_t max_bytes;	/* a file, a message, a decompressed document */
	size_t max_records;	/* records in one report */
	unsigned max_depth;	/* MIME nesting levels */
	unsigned max_parts;	/* MIME parts of a message; zip entries */
};

struct am_report_xsd;

/* am_report_ingest_limits - the defaults above into lim. */
void am_report_ingest_limits(struct am_ingest_limits *lim);

enum am_status am_report_ingest_parse(const char *xml, size_t len,
    const struct am_ingest_limits *lim, const struct am_report_xsd *xsd,
    bool is_strict, struct am_agg_report **out, struct am_why *warn,
    struct am_why *why);

struct am_report_xsd *am_report_xsd_load(const char *const *paths,
    size_t n, struct am_why *why);
struct am_report_xsd *am_report_xsd_free(struct am_report_xsd *x);

#endif
