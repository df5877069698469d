/*
 * NAME        am_report_send - mail DMARC aggregate reports to rua addresses
 *             (RFC 7489 §7.1, §7.2.1.1) with sent bookkeeping in the store
 * SYNOPSIS    struct am_report_send_opts o = { ... };
 *             struct am_report_send_stats s;
 *             st = am_report_send_run(&o, &s, &why);
 * DESCRIPTION am_report_rua_parse() splits a rua= list ("mailto:a@b!10m,
 *             mailto:c@d") into at most max destinations: mailto: URIs only,
 *             %XX decoded, the address lower-cased in its domain part,
 *             max_size from a "!size" suffix (units k, m, g, t are powers of
 *             two; 0: no limit). Returns the number filled.
 *             am_report_suppressed() is true when addr or its domain (or a
 *             parent domain) is in list (comma or white-space separated,
 *             case-insensitive).
 *             am_report_dest_check() is the RFC 7489 §7.1 external
 *             destination check: OK when the organizational domains (psl;
 *             NULL: exact comparison) of policy_domain and rua_domain are
 *             equal, or when <policy_domain>._report._dmarc.<rua_domain> has
 *             a TXT record starting with the v=DMARC1 tag (am_dmarc_is_record:
 *             not necessarily exactly "v=DMARC1"); DENIED when it has none
 *             (NXDOMAIN, NODATA, other TXT); TEMPFAIL on a DNS error. why
 *             holds the reason for DENIED and TEMPFAIL.
 *             am_report_size_limits() sets the max_size of dests from the
 *             "!size" suffixes of the policy domain's current DMARC record
 *             (the store keeps rua without them; lib/dmarc/dmarc_record.c).
 *             am_report_gzip() formats the report (lib/report/report_xml.h) and
 *             gzips it into gz. am_report_message() builds the RFC 7489
 *             §7.2.1.1 message (LF line ends): From, To, Subject "Report
 *             Domain: D Submitter: S Report-ID: <id>", Date, Message-ID,
 *             multipart/mixed with a short text/plain part and the gzip as
 *             an application/gzip base64 attachment named by the RFC file
 *             name.
 *             am_report_sendmail() runs prog (white-space separated words,
 *             e.g. "/usr/sbin/sendmail -C /etc/postfix-out") with
 *             "-f from -t -i", writes msg to its stdin and checks that it
 *             exits 0. am_report_smtp() delivers msg to host[:port] (default
 *             25): EHLO, MAIL FROM, RCPT TO, DATA (CRLF, dot-stuffed), QUIT,
 *             every reply checked; timeout_ms per reply.
 *
 *             am_report_send_run() does one run of `report send`: for every
 *             period of o->interval seconds from o->first up to the last
 *             ended before o->now (and o->until if set) (or only [o->begin, o->end) when
 *             o->is_range), every policy domain with rows in o->stores, and
 *             every mailto: address of the domain's latest rua, unless the
 *             sent table of o->stores[0] (created by the schema migration)
 *             says it was sent or skipped, or its next try is later than now:
 *             suppressed, unauthorised and too-large destinations are
 *             recorded as skipped; a send (or a DNS temporary error) is
 *             recorded with its attempt count in one transaction, sent or
 *             with the next try after a backoff (1 h doubling, at most 24 h;
 *             given up after AM_REPORT_SEND_MAX_TRIES). At most
 *             o->max_per_run messages are attempted. Before building a
 *             report the run claims its (domain, period, address) in the
 *             sent table for o->claim_lease seconds (report_backend.h):
 *             runs on several hosts against one shared store (or several
 *             runs on one SQLite file) at once send each report once; one
 *             held by another run is counted as deferred. A run killed while
 *             holding a claim leaves that report to the first run after the
 *             lease (a killed run that had already handed the message to
 *             the MTA but not recorded it causes the one duplicate). With
 *             o->is_dry_run nothing is claimed, sent or recorded. One line per decision goes to
 *             o->log (may be NULL). AM_TEMPFAIL when a store cannot be
 *             read or the sent table written; failed sends are only counted.
 * THREADS     command-line use; everything is reentrant.
 */
#ifndef AM_REPORT_SEND_H
#define AM_REPORT_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/am.h"
#include "core/buf.h"
#include "dns/dns.h"
#include "dmarc/orgdomain.h"
#include "report/report_xml.h"

#define AM_REPORT_ADDR_MAX	320	/* bytes of an address, with NUL */
#define AM_REPORT_DEST_MAX	16	/* destinations per policy domain */
#define AM_REPORT_SEND_MAX_TRIES 8	/* attempts before giving up */
#define AM_REPORT_CLAIM_LEASE	900	/* seconds a run's claim lasts */

struct am_report_dest {
	char addr[AM_REPORT_ADDR_MAX];	/* local@domain, domain lower-case */
	const char *domain;		/* into addr, after the '@' */
	uint64_t max_size;		/* bytes of the message; 0: no limit */
};

enum am_report_auth {
	AM_REPORT_AUTH_OK = 0,
	AM_REPORT_AUTH_DENIED,
	AM_REPORT_AUTH_TEMPFAIL,
};

struct am_report_mail {		/* one report message; all borrowed */
	const char *from;	/* From: address */
	const char *to;		/* To: address */
	const char *domain;	/* policy domain */
	const char *submitter;	/* receiver domain */
	const char *report_id;
	const char *filename;	/* RFC 7489 §7.2.1.1 name */
	int64_t begin, end;	/* period, UTC seconds */
	int64_t date;		/* Date:, UTC seconds */
	const void *gz;		/* gzip report */
	size_t gz_len;		/* bytes */
};

struct am_report_send_opts {
	const char *const *stores;	/* n_stores files; [0] keeps "sent" */
	size_t n_stores;
	struct am_report_meta meta;	/* org_name, email, receiver...;
					 * begin/end set per period */
	enum am_report_format fmt;
	const char *from;		/* ReportFrom */
	const char *sendmail;		/* ReportSendmail */
	const char *smtp_server;	/* ReportSMTPServer; NULL/"": sendmail */
	const char *helo;		/* EHLO name */
	const char *suppress;		/* ReportSuppress */
	size_t max_per_run;		/* ReportMaxPerRun */
	int64_t interval;		/* ReportInterval, seconds */
	int64_t now;			/* UTC seconds */
	int64_t first;			/* earliest period start considered */
	int64_t until;			/* periods end by then; 0: now */
	bool is_range;			/* only [begin, end) */
	int64_t begin, end;
	bool is_dry_run;
	int64_t claim_lease;		/* seconds; 0: AM_REPORT_CLAIM_LEASE */
	struct am_dns *dns;		/* borrowed */
	const struct am_psl *psl;	/* borrowed; may be NULL */
	unsigned timeout_ms;		/* DNS and SMTP replies */
	FILE *log;			/* decisions, one a line; or NULL */
};

struct am_report_send_stats {
	unsigned sent;		/* messages delivered to the MTA */
	unsigned failed;	/* send attempts that failed */
	unsigned skipped;	/* suppressed, unauthorised, too large */
	unsigned deferred;	/* waiting for a backoff or the next run */
};

size_t am_report_rua_parse(const char *rua, struct am_report_dest *out,
    size_t max);
bool am_report_suppressed(const char *list, const char *addr);
enum am_report_auth am_report_dest_check(struct am_dns *dns,
    const struct am_psl *psl, const char *policy_domain,
    const char *rua_domain, unsigned timeout_ms, struct am_why *why);
void am_report_size_limits(struct am_dns *dns, const char *policy_domain,
    unsigned timeout_ms, struct am_report_dest *dests, size_t n);
enum am_status am_report_gzip(const struct am_report_meta *m,
    const struct am_report_domain *d, enum am_report_format fmt,
    struct am_buf *gz, struct am_why *why);
enum am_status am_report_message(const struct am_report_mail *m,
    struct am_buf *out, struct am_why *why);
enum am_status am_report_sendmail(const char *prog, const char *from,
    const char *msg, size_t len, struct am_why *why);
enum am_status am_report_smtp(const char *server, const char *helo,
    const char *from, const char *to, const char *msg, size_t len,
    unsigned timeout_ms, struct am_why *why);
enum am_status am_report_send_run(const struct am_report_send_opts *o,
    struct am_report_send_stats *stats, struct am_why *why);

#endif
