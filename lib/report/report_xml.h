/*
 * NAME        am_report_xml - DMARC aggregate report XML (RFC 7489
 *             Appendix C, RFC 9990) and the small escaping XML writer
 *             under it
 * SYNOPSIS    struct am_report_xml *x = am_report_xml_new(&buf, NULL, NULL);
 *             am_report_xml_start(x, "a"); am_report_xml_attr(x, "k", v);
 *             am_report_xml_leaf(x, "b", text); am_report_xml_end(x);
 *             st = am_report_xml_finish(x, &why); x = am_report_xml_free(x);
 *
 *             am_report_xml_write(dir, &meta, dom, AM_REPORT_FORMAT_RFC7489,
 *                 &path, &why);
 * DESCRIPTION The writer appends to out (borrowed; its cap bounds the
 *             document) or, when sink is not NULL, hands the text to
 *             sink(arg, p, len) in chunks of about 64 KiB (streaming to a
 *             gzip file). Element and attribute names must match
 *             [A-Za-z_][A-Za-z0-9_.-]* and be under 32 bytes; elements nest
 *             at most 16 deep; an attribute comes before any content. Text
 *             and attribute values are any C strings: & < > " ' are escaped,
 *             CR (and TAB, LF in attributes) become character references,
 *             other C0 controls, U+FFFE/U+FFFF and every byte that is not
 *             part of well-formed UTF-8 (overlong, surrogate, > U+10FFFF,
 *             truncated) become U+FFFD, so the output is always well-formed
 *             XML 1.0 in UTF-8. Output is indented two spaces a level.
 *             A full buffer or a failing sink is remembered and returned by
 *             am_report_xml_finish(), which also checks that every element
 *             was ended and flushes the sink.
 *
 *             am_report_xml_format() writes the whole report for one policy
 *             domain of a query result (report_store.h) in fmt to out or
 *             sink. RFC 7489: no namespace, version 1.0, policy_published
 *             with domain, adkim, aspf, p, sp, pct and fo (all present),
 *             IPv6 source_ip written uncompressed (the schema's pattern),
 *             envelope_from always present, every SPF result with its scope
 *             (a record with none gets the mfrom domain with result none,
 *             the schema needs one). RFC 9990: namespace
 *             urn:ietf:params:xml:ns:dmarc-2.0, np and testing instead of
 *             pct, at most one SPF result (the mfrom one), DKIM selector
 *             always present, disposition "pass" for DMARC-passing mail of
 *             an enforcing policy; reason types are mapped to each
 *             version's list.
 *
 *             am_report_xml_report_id() writes into out (at least
 *             AM_REPORT_ID_SIZE bytes) the report id: 32 lower-case hex
 *             digits of SHA-256 over receiver, domain, begin and end, so
 *             re-exporting one domain and period gives the same id.
 *             am_report_xml_filename() writes the RFC 7489 §7.2.1.1 name
 *             "receiver!domain!begin!end!id.xml.gz" (begin and end as in
 *             date_range; bytes outside [A-Za-z0-9._-] become '_').
 *             am_report_xml_write() writes the gzip file of
 *             am_report_xml_format() in dir under that name (temporary
 *             file, then rename, mode 0644) and sets *path (owned,
 *             free()); AM_TEMPFAIL with the reason on an I/O error.
 * THREADS     a writer has one owner; the other functions are reentrant.
 * DIAGNOSTICS AM_PANIC on misuse (bad name, end without start, attribute
 *             after content, too deep).
 */
#ifndef AM_REPORT_XML_H
#define AM_REPORT_XML_H

#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"
#include "report/report_store.h"

#define AM_REPORT_ID_SIZE	33	/* 32 hex digits and a NUL */

enum am_report_format {
	AM_REPORT_FORMAT_RFC7489 = 0,	/* RFC 7489 Appendix C */
	AM_REPORT_FORMAT_RFC9990,	/* RFC 9990 (DMARCbis draft-32) */
};

struct am_report_meta {		/* who reports, and the period */
	const char *org_name;	/* ReportOrgName */
	const char *email;	/* ReportEmail */
	const char *extra_contact;	/* NULL or "": omitted */
	const char *receiver;	/* receiver domain (file name, report id) */
	const char *generator;	/* RFC 9990 generator; NULL: omitted */
	int64_t begin;		/* first second of the period, UTC */
	int64_t end;		/* first second after the period */
};

typedef enum am_status am_report_xml_sink(void *arg, const char *p,
    size_t len, struct am_why *why);

struct am_report_xml;

struct am_report_xml *am_report_xml_new(struct am_buf *out,
    am_report_xml_sink *sink, void *arg);
struct am_report_xml *am_report_xml_free(struct am_report_xml *x);
void am_report_xml_start(struct am_report_xml *x, const char *name);
void am_report_xml_attr(struct am_report_xml *x, const char *name,
    const char *value);
void am_report_xml_text(struct am_report_xml *x, const char *text);
void am_report_xml_end(struct am_report_xml *x);
void am_report_xml_leaf(struct am_report_xml *x, const char *name,
    const char *text);
enum am_status am_report_xml_finish(struct am_report_xml *x,
    struct am_why *why);

enum am_status am_report_xml_format(const struct am_report_meta *m,
    const struct am_report_domain *d, enum am_report_format fmt,
    struct am_buf *out, am_report_xml_sink *sink, void *arg,
    struct am_why *why);
void am_report_xml_report_id(const struct am_report_meta *m,
    const char *domain, char *out);
void am_report_xml_filename(const struct am_report_meta *m,
    const char *domain, struct am_buf *out);
enum am_status am_report_xml_write(const char *dir,
    const struct am_report_meta *m, const struct am_report_domain *d,
    enum am_report_format fmt, char **path, struct am_why *why);

#endif
