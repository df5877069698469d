/*
 * NAME        am_orgdomain - organizational domains for DMARC: the RFC 9989
 *             DNS tree walk and the Public Suffix List
 * SYNOPSIS    struct am_psl *psl = am_psl_load(path, &why);
 *             if (am_psl_orgdomain(psl, "a.b.example.co.uk", out, sizeof(out))
 *                 == AM_OK) ... out is "example.co.uk" ...
 *             psl = am_psl_free(psl);
 *
 *             struct am_treewalk tw;
 *             if (am_treewalk_run(dns, "a.mail.example.com", NULL, deadline,
 *                 &tw, &why) == AM_OK) ... tw.orgdomain ...
 *             am_treewalk_release(&tw);
 * DESCRIPTION Public Suffix List: am_psl_load() reads the file (format of
 *             publicsuffix.org: one rule per line, "//" comments, "*." wildcard
 *             rules, "!" exception rules, UTF-8 rules converted to A-labels;
 *             both the ICANN and the PRIVATE sections are used) into an
 *             immutable owned struct am_psl, freed with am_psl_free() (accepts
 *             NULL, returns NULL). NULL with a reason (file:line for a bad
 *             rule) when the file cannot be read, has no rules or holds a rule
 *             that is not a domain name.
 *             am_psl_orgdomain() writes the registrable domain of domain (the
 *             public suffix by the publicsuffix.org algorithm -- the longest
 *             matching rule, exceptions first, "*" when nothing matches --
 *             plus one label) into out, lower-case A-labels. domain is
 *             normalised first (am_domain_normalise: case, IDN, one trailing
 *             dot). AM_PERMFAIL with out "" when domain is not a valid domain
 *             name or is itself a public suffix (RFC 7489 §3.2 then leaves no
 *             label to add; DMARC uses the domain itself).
 *
 *             DMARC records: am_dmarc_is_record() is true when a TXT string
 *             starts with the version tag, "v" *WSP "=" *WSP "DMARC1" followed
 *             by the end, WSP or ";" (RFC 9989 §4.7 and its ABNF: "v" in any
 *             case, "DMARC1" exactly). am_dmarc_fetch() queries
 *             _dmarc.<domain> TXT through dns and keeps only such records
 *             (character-strings joined, RFC 9989 §4.5); exactly one is the
 *             record, several are discarded (no record). f->psd is that
 *             record's psd= tag ('y', 'n', or 'u' when absent or invalid).
 *             A DNS failure is f->dns == AM_DNS_TEMPERROR with the reason in
 *             f->why. am_dmarc_fetch_release() frees f->record.
 *             am_dmarc_tag_next() steps through a tag-list (RFC 6376 §3.2
 *             syntax, as DMARC uses it): *pos (a C string, advanced) ->
 *             the next non-empty tag-spec, name and value as borrowed views
 *             with surrounding WSP removed; value.p is NULL when the spec
 *             has no "=". False at the end.
 *             am_dmarc_record_parse() validates a record found for author
 *             at policy_domain and fills *rec (defaults for what is absent):
 *             it must start with v=DMARC1; p/sp/np must be exactly none,
 *             quarantine or reject (any case) -- otherwise, with a valid
 *             rua= URI the record acts as p=none (rec->is_p_replaced), else
 *             AM_PERMFAIL (RFC 9989 §4.10.1); a missing p= is none; pct=
 *             1-3 digits <= 100, else 100 (never 0); adkim/aspf r or s,
 *             else r; rf=, ri= and unknown tags are ignored (so
 *             rf=iodef never touches aspf); a repeated tag is AM_PERMFAIL
 *             (RFC 6376 §3.2); rua= keeps up to AM_DMARC_MAX_RUA and ruf=
 *             up to AM_DMARC_MAX_RUF scheme:... URIs without "!size" (ruf=
 *             is kept for failure reports only: it never makes a record
 *             valid). libopendmarc then parses the
 *             canonical record rebuilt from those values
 *             (opendmarc_policy_store_dmarc, with policy_domain as its
 *             organizational domain when it differs from author) and its
 *             getters give p, sp, adkim, aspf and pct. am_dmarc_lib_init()
 *             runs opendmarc_policy_library_init() once per process
 *             (pthread_once; the library copies into a process global);
 *             AM_PERMFAIL if it failed. am_dmarc_policy_name(): "none",
 *             "quarantine", "reject", "" for unspecified.
 *
 *             Tree walk: am_treewalk_run() performs the RFC 9989 §4.10 DNS
 *             Tree Walk from domain and selects the Organizational Domain as
 *             §4.10.2 says:
 *             1. query _dmarc.<domain> (first, when not NULL, is the already
 *                made fetch for domain: it is moved into the walk and left
 *                empty); a single record with psd=y or psd=n stops the walk;
 *             2. the next target drops the left-most label, or, when the
 *                domain has 8 or more labels, keeps its 7 right-most labels;
 *             3. each further target drops one more label, until a record
 *                with psd=y/n stops the walk or no labels remain (so at most
 *                8 queries; the worked example ends at _dmarc.com).
 *             Selection over the targets that had one valid record, longest
 *             to shortest: psd=n -> that domain; psd=y on a target other than
 *             the first -> the domain one label below it (a suffix of
 *             domain); otherwise the record at the fewest labels. No record
 *             at all -> domain itself. tw->org_step is the index in
 *             tw->step[] of the record that decided (SIZE_MAX when none).
 *             AM_TEMPFAIL (reason in why) when a query fails with a DNS
 *             error: the walk stops there, tw->failed_step is that step
 *             (SIZE_MAX otherwise) and tw->orgdomain is what the answered
 *             steps select, the failed one counted as having no record.
 *             AM_PERMFAIL when domain is not a valid domain name.
 *             am_treewalk_release() frees the records.
 *
 *             What a failed walk still tells (relaxed alignment needs the
 *             Organizational Domain, dmarc.h). An Organizational Domain is
 *             always its domain or a suffix of it, and the names a walk
 *             could not read (the failed target and the ones above it) can
 *             only make it one of the targets from the one before the
 *             failure upwards, or one label below such a target (psd=y):
 *             a suffix of the last target that answered.
 *             am_treewalk_may_be_org() is true when name is tw->orgdomain,
 *             or tw failed and name is that last answered target (the
 *             domain itself when the first query failed) or a suffix of it
 *             of two labels or more: a top-level domain is never taken as
 *             a possible Organizational Domain of a failed walk (XXX a
 *             brand TLD with psd=n would be one).
 *             am_treewalk_compare() says whether two walks (from the same
 *             evaluation, so the names they share got the same answers)
 *             give one Organizational Domain: SAME when both selected the
 *             same name and every failed query was for a name above it
 *             (records there change both walks alike), DIFFERENT when no
 *             name may be the Organizational Domain of both, UNKNOWN
 *             otherwise.
 *
 *             Memo: the walks of one evaluation (from the author domain,
 *             the DKIM d= and the SPF domain, for relaxed alignment) ask
 *             for the same _dmarc names again and again. A struct
 *             am_dmarc_memo (am_dmarc_memo_init/_release, owned by the
 *             caller, one evaluation, one thread) remembers what each
 *             name gave: am_dmarc_fetch_memo() and am_treewalk_run_memo()
 *             ask the DNS only for names not seen yet and otherwise give
 *             a copy of the first answer (a temperror too, so one message
 *             sees one answer per name). memo NULL: no memo. At most
 *             AM_DMARC_MEMO_MAX names are kept; later ones are fetched.
 *             A name the memo has not seen is fetched through m->pre when
 *             it is set (borrowed; dns_prefetch.h: the query started early
 *             for that name, if any, is taken instead of a new one).
 *             am_treewalk_prefetch() starts the _dmarc queries of every
 *             target a walk from domain can reach (at most 8), into p; a
 *             domain that is not a valid name starts nothing.
 * THREADS     a struct am_psl is immutable and may be shared; the other
 *             functions are reentrant (dns is thread-safe).
 * DIAGNOSTICS NULL arguments (other than why and first) are a panic.
 * SEE ALSO    RFC 9989 §4.10 (DNS Tree Walk), RFC 7489 §3.2 (PSL),
 *             https://publicsuffix.org/list/ (algorithm), lib/dmarc/dmarc.h.
 */
#ifndef AM_ORGDOMAIN_H
#define AM_ORGDOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "dns/dns.h"
#include "dns/dns_prefetch.h"
#include "msg/from.h"

struct am_psl;

struct am_psl *am_psl_load(const char *path, struct am_why *why);
struct am_psl *am_psl_free(struct am_psl *psl);
/* am_psl_count - number of rules loaded (for logs and tests). */
size_t am_psl_count(const struct am_psl *psl);
enum am_status am_psl_orgdomain(const struct am_psl *psl, const char *domain,
    char *out, size_t outlen);

/* One _dmarc.<domain> TXT lookup, filtered to DMARC records. */
struct am_dmarc_fetch {
	enum am_dns_result dns;	/* result of the TXT query */
	size_t nrecords;	/* TXT records that start with v=DMARC1 */
	char *record;		/* owned: the record when nrecords == 1,
				 * else NULL */
	char psd;		/* psd= of record: 'y', 'n', 'u' */
	char why[160];		/* DNS failure reason, else "" */
};

bool am_dmarc_is_record(const char *txt, size_t len);
bool am_dmarc_tag_next(const char **pos, struct am_str *name,
    struct am_str *value);
void am_dmarc_fetch(struct am_dns *dns, const char *domain,
    uint64_t deadline_ms, struct am_dmarc_fetch *f);
void am_dmarc_fetch_release(struct am_dmarc_fetch *f);

#define AM_DMARC_MEMO_MAX 16	/* names remembered per evaluation */

struct am_dmarc_memo {
	size_t n;				/* entries used */
	struct am_dns_prefetch *pre;		/* borrowed: early queries to
						 * take, or NULL */
	struct {
		char domain[AM_DOMAIN_MAX_LEN + 1];	/* without _dmarc. */
		struct am_dmarc_fetch f;	/* owned copy */
	} e[AM_DMARC_MEMO_MAX];
};

void am_dmarc_memo_init(struct am_dmarc_memo *m);
void am_dmarc_memo_release(struct am_dmarc_memo *m);
void am_dmarc_fetch_memo(struct am_dns *dns, struct am_dmarc_memo *m,
    const char *domain, uint64_t deadline_ms, struct am_dmarc_fetch *f);

enum am_dmarc_policy {
	AM_DMARC_POLICY_UNSPEC = 0,	/* tag absent */
	AM_DMARC_POLICY_NONE,
	AM_DMARC_POLICY_QUARANTINE,
	AM_DMARC_POLICY_REJECT,
};

#define AM_DMARC_MAX_RUA 8	/* rua URIs kept */
#define AM_DMARC_MAX_RUF 4	/* ruf URIs kept */
#define AM_DMARC_URI_MAX 256	/* bytes of one URI, with NUL */

/* The published record, as validated (defaults filled in). */
struct am_dmarc_record {
	enum am_dmarc_policy p;		/* NONE when absent or replaced */
	enum am_dmarc_policy sp;	/* UNSPEC when absent */
	enum am_dmarc_policy np;	/* UNSPEC when absent */
	int pct;			/* percent 0..100; 100 by default */
	char adkim;			/* 'r' or 's' */
	char aspf;			/* 'r' or 's' (rf= never changes it) */
	char fo[16];			/* as published ("0" by default) */
	bool is_testing;		/* t=y */
	char psd;			/* 'y', 'n' or 'u' */
	bool is_p_replaced;		/* p/sp/np invalid: treated as p=none
					 * because rua= is valid */
	size_t nrua;			/* URIs in rua[] */
	char rua[AM_DMARC_MAX_RUA][AM_DMARC_URI_MAX];	/* "mailto:...",
							 * without !size */
	size_t nruf;			/* URIs in ruf[] */
	char ruf[AM_DMARC_MAX_RUF][AM_DMARC_URI_MAX];	/* the same, ruf= */
};

enum am_status am_dmarc_lib_init(struct am_why *why);
enum am_status am_dmarc_record_parse(const char *txt, const char *author,
    const char *policy_domain, struct am_dmarc_record *rec,
    struct am_why *why);
const char *am_dmarc_policy_name(enum am_dmarc_policy p);

#define AM_TREEWALK_MAX_QUERIES 8	/* RFC 9989 §4.10 */

struct am_treewalk_step {
	char domain[AM_DOMAIN_MAX_LEN + 1];	/* target (without _dmarc.) */
	struct am_dmarc_fetch f;		/* what its query found */
};

struct am_treewalk {
	size_t n;			/* steps made (queries), 0..8 */
	struct am_treewalk_step step[AM_TREEWALK_MAX_QUERIES];
	char orgdomain[AM_DOMAIN_MAX_LEN + 1];	/* the Organizational Domain */
	size_t org_step;		/* step whose record decided, or
					 * SIZE_MAX (no record: domain) */
	size_t failed_step;		/* step whose query failed
					 * (AM_TEMPFAIL), or SIZE_MAX */
};

/* am_treewalk_compare: the Organizational Domains of two walks. */
enum am_treewalk_cmp {
	AM_TREEWALK_SAME = 0,		/* the same, whatever failed */
	AM_TREEWALK_DIFFERENT,		/* different, whatever failed */
	AM_TREEWALK_UNKNOWN,		/* a failed query decides */
};

enum am_status am_treewalk_run(struct am_dns *dns, const char *domain,
    struct am_dmarc_fetch *first, uint64_t deadline_ms,
    struct am_treewalk *tw, struct am_why *why);
enum am_status am_treewalk_run_memo(struct am_dns *dns,
    struct am_dmarc_memo *m, const char *domain,
    struct am_dmarc_fetch *first, uint64_t deadline_ms,
    struct am_treewalk *tw, struct am_why *why);
void am_treewalk_prefetch(const char *domain, struct am_dns_prefetch *p);
bool am_treewalk_may_be_org(const struct am_treewalk *tw, const char *name);
enum am_treewalk_cmp am_treewalk_compare(const struct am_treewalk *a,
    const struct am_treewalk *b);
void am_treewalk_release(struct am_treewalk *tw);

#endif
