/*
 * testdash.c - dashboard test data and DOM checks (contract in
 * testdash.h).
 */
#include "autoconf.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <libxml/xpath.h>
#include <check.h>
#include <sqlite3.h>

#include "report/report_store.h"

#include "core/buf.h"
#include "testutil/testdash.h"
#include "testutil/testutil.h"

struct source {
	const char *ip;		/* "%u" in it: one of three spoofers */
	const char *dkim, *spf;	/* evaluated */
	const char *reason;	/* or NULL */
	unsigned base;		/* messages a day (biggest reporter) */
	const char *dkim_d;	/* "" when unsigned; "@": the domain */
	const char *spf_d;
};

static const struct source sources[] = {
	{ "192.0.2.10", "pass", "pass", NULL, 900, "@", "@" },
	{ "192.0.2.11", "pass", "pass", NULL, 610, "@", "@" },
	{ "2001:db8::25", "pass", "pass", NULL, 120, "@", "@" },
	{ "198.51.100.20", "pass", "fail", NULL, 300, "@",
	    "bounces.esp.example" },
	{ "203.0.113.5", "fail", "pass", NULL, 80, "crm.example", "@" },
	{ "198.51.100.77", "fail", "fail", "forwarded", 40, "@",
	    "forwarder.example" },
	{ "203.0.113.80", "fail", "fail", "mailing_list", 25, "lists.example",
	    "lists.example" },
	{ "45.13.7.%u", "fail", "fail", NULL, 14, "", "spoof.example" },
};

static const struct {
	const char *name, *p;
	double scale;
} domains[] = {
	{ "example.com", "reject", 1.0 },
	{ "example.net", "quarantine", 0.35 },
	{ "example.org", "none", 0.12 },
};

static const struct {
	const char *org, *email;
	double share;
	bool is_9990;
} reporters[] = {
	{ "google.com", "noreply-dmarc-support@google.com", 0.5, false },
	{ "Outlook.com", "dmarcreport@microsoft.com", 0.3, false },
	{ "Yahoo", "dmarc@yahoo.example", 0.15, false },
	{ "Fastmail Pty Ltd", "reports@fastmail.example", 0.05, true },
};

/* rnd - the next number of a fixed sequence, in [0, 1). */
static double
rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return (double)((*s >> 8) & 0xffff) / 65536.0;
}

/* esc - s escaped for XML text. */
static void
esc(struct am_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '<')
			(void)am_buf_puts(b, "&lt;");
		else if (*s == '>')
			(void)am_buf_puts(b, "&gt;");
		else if (*s == '&')
			(void)am_buf_puts(b, "&amp;");
		else if (*s == '"')
			(void)am_buf_puts(b, "&quot;");
		else if (*s == '\'')
			(void)am_buf_puts(b, "&apos;");
		else
			(void)am_buf_putc(b, *s);
}

/* leaf - <name>text</name>, escaped. */
static void
leaf(struct am_buf *b, const char *name, const char *text)
{
	(void)am_buf_printf(b, "<%s>", name);
	esc(b, text);
	(void)am_buf_printf(b, "</%s>", name);
}

/* record - one <record>. */
static void
record(struct am_buf *b, const char *ip, unsigned long count,
    const struct source *s, const char *domain, const char *p,
    const char *comment)
{
	bool is_pass = strcmp(s->dkim, "pass") == 0 ||
	    strcmp(s->spf, "pass") == 0;
	const char *disp = is_pass || s->reason != NULL ? "none" : p;

	(void)am_buf_puts(b, "<record><row>");
	leaf(b, "source_ip", ip);
	(void)am_buf_printf(b, "<count>%lu</count><policy_evaluated>"
	    "<disposition>%s</disposition><dkim>%s</dkim><spf>%s</spf>",
	    count, disp, s->dkim, s->spf);
	if (s->reason != NULL) {
		(void)am_buf_printf(b, "<reason><type>%s</type>", s->reason);
		leaf(b, "comment", comment);
		(void)am_buf_puts(b, "</reason>");
	}
	(void)am_buf_puts(b, "</policy_evaluated></row><identifiers>");
	leaf(b, "header_from", domain);
	(void)am_buf_puts(b, "</identifiers><auth_results>");
	if (s->dkim_d[0] != '\0')
		(void)am_buf_printf(b, "<dkim><domain>%s</domain><selector>s1"
		    "</selector><result>%s</result></dkim>",
		    strcmp(s->dkim_d, "@") == 0 ? domain : s->dkim_d,
		    strcmp(s->dkim, "pass") == 0 ? "pass" : "fail");
	(void)am_buf_printf(b, "<spf><domain>%s</domain><scope>mfrom</scope>"
	    "<result>%s</result></spf></auth_results></record>",
	    strcmp(s->spf_d, "@") == 0 ? domain : s->spf_d,
	    strcmp(s->spf, "pass") == 0 ? "pass" : "fail");
}

/* head - <feedback> up to the records. */
static void
head(struct am_buf *b, const char *org, const char *email, const char *id,
    int64_t begin, const char *domain, const char *p, bool is_9990)
{
	(void)am_buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<feedback%s><version>1.0</version><report_metadata>", is_9990 ?
	    " xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\"" : "");
	leaf(b, "org_name", org);
	leaf(b, "email", email);
	leaf(b, "report_id", id);
	(void)am_buf_printf(b, "<date_range><begin>%lld</begin><end>%lld</end>"
	    "</date_range></report_metadata><policy_published>",
	    (long long)begin, (long long)begin + 86399);
	leaf(b, "domain", domain);
	(void)am_buf_printf(b, "<adkim>r</adkim><aspf>r</aspf><p>%s</p>"
	    "<sp>%s</sp>%s</policy_published>\n", p, p, is_9990 ?
	    "<np>reject</np><testing>n</testing>" : "<pct>100</pct><fo>0</fo>");
}

/* put_gz - data as a gzip file. */
static void
put_gz(const char *path, const struct am_buf *b)
{
	gzFile gz = gzopen(path, "wb");

	AM_TEST_NEED(gz != NULL);
	AM_TEST_NEED(gzwrite(gz, b->data, (unsigned)b->len) == (int)b->len);
	AM_TEST_NEED(gzclose(gz) == Z_OK);
}

/* put_zip - data as the one entry name of a zip file. */
static void
put_zip(const char *path, const char *name, const struct am_buf *b)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	AM_TEST_NEED(archive_write_set_format_zip(a) == ARCHIVE_OK);
	AM_TEST_NEED(archive_write_open_filename(a, path) == ARCHIVE_OK);
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)b->len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	AM_TEST_NEED(archive_write_header(a, e) == ARCHIVE_OK);
	AM_TEST_NEED(archive_write_data(a, b->data, b->len) ==
	    (la_ssize_t)b->len);
	archive_entry_free(e);
	AM_TEST_NEED(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);
}

/* put_mail - data gzipped, base64 in a report message. */
static void
put_mail(const char *path, const char *name, const struct am_buf *b)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	unsigned long zlen = compressBound(b->len) + 64;
	unsigned char *z = malloc(zlen);
	z_stream s;
	FILE *fp = fopen(path, "w");
	size_t i;
	unsigned v;

	AM_TEST_NEED(z != NULL && fp != NULL);
	memset(&s, 0, sizeof(s));
	AM_TEST_NEED(deflateInit2(&s, 6, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY) == Z_OK);
	s.next_in = (unsigned char *)b->data;
	s.avail_in = (uInt)b->len;
	s.next_out = z;
	s.avail_out = (uInt)zlen;
	AM_TEST_NEED(deflate(&s, Z_FINISH) == Z_STREAM_END);
	fprintf(fp, "From: dmarc@yahoo.example\nTo: rua@example.com\n"
	    "Subject: Report Domain: example.com\nMessage-ID: <%s@yahoo."
	    "example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; "
	    "boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nReport.\n--b\n"
	    "Content-Type: application/gzip; name=\"%s.gz\"\n"
	    "Content-Transfer-Encoding: base64\n\n", name, name);
	for (i = 0; i < s.total_out; i += 3) {
		v = (unsigned)z[i] << 16;
		v |= i + 1 < s.total_out ? (unsigned)z[i + 1] << 8 : 0;
		v |= i + 2 < s.total_out ? z[i + 2] : 0;
		fprintf(fp, "%c%c%c%c%s", a[v >> 18 & 63], a[v >> 12 & 63],
		    i + 1 < s.total_out ? a[v >> 6 & 63] : '=',
		    i + 2 < s.total_out ? a[v & 63] : '=', i % 57 == 54 ? "\n" :
		    "");
	}
	fprintf(fp, "\n--b--\n");
	deflateEnd(&s);
	AM_TEST_NEED(fclose(fp) == 0);
	free(z);
}

/* one_report - reporter r on domain d for day (begin); its file form. */
static void
one_report(const char *dir, size_t r, size_t d, unsigned day, int64_t begin,
    unsigned days, uint32_t *seed)
{
	char id[96], ip[64], path[512];
	const char *ext;
	struct am_buf b;
	time_t t = (time_t)begin;
	struct tm tm;
	double week, k;
	unsigned long n;
	size_t i, j;

	gmtime_r(&t, &tm);
	week = tm.tm_wday == 0 || tm.tm_wday == 6 ? 0.55 : 1.0;
	snprintf(id, sizeof(id), "%s-%s-%lld", reporters[r].is_9990 ? "fm" :
	    reporters[r].org, domains[d].name, (long long)begin);
	am_buf_init(&b, 1 << 20);
	head(&b, reporters[r].org, reporters[r].email, id, begin,
	    domains[d].name, domains[d].p, reporters[r].is_9990);
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		for (j = 0; j < (strchr(sources[i].ip, '%') ? 3u : 1u); j++) {
			k = sources[i].base * domains[d].scale *
			    reporters[r].share * week *
			    (0.75 + 0.5 * rnd(seed));
			/* the spoofers: now and then, and a campaign */
			if (strchr(sources[i].ip, '%') != NULL)
				k *= day + 8 == days || day + 7 == days ? 12 :
				    rnd(seed) < 0.4 ? 1 : 0;
			if ((n = (unsigned long)(k + 0.5)) == 0)
				continue;
			if (strchr(sources[i].ip, '%') != NULL)
				snprintf(ip, sizeof(ip), "45.13.7.%zu",
				    7 + 60 * j);
			else
				snprintf(ip, sizeof(ip), "%s", sources[i].ip);
			record(&b, ip, n, &sources[i], domains[d].name,
			    domains[d].p, "forwarded by a known host");
		}
	(void)am_buf_puts(&b, "</feedback>\n");
	ext = day == 0 && r == 0 ? ".zip" : day == 1 && r == 2 ? ".eml" :
	    r == 0 ? ".gz" : "";
	snprintf(path, sizeof(path), "%s/%s!%s!%lld.xml%s", dir, id,
	    domains[d].name, (long long)begin, ext);
	if (*ext == '\0')
		am_test_put(path, b.data);
	else if (ext[1] == 'z')
		put_zip(path, "report.xml", &b);
	else if (ext[1] == 'e')
		put_mail(path, id, &b);
	else
		put_gz(path, &b);
	am_buf_release(&b);
}

/* hostile - a report whose strings are markup. */
static void
hostile(const char *dir, int64_t begin)
{
	static const struct source evil = { AM_TESTDASH_EVIL_IP, "fail",
	    "fail", "local_policy", 5, "", "spoof.example" };
	char path[512];
	struct am_buf b;

	am_buf_init(&b, 1 << 16);
	head(&b, AM_TESTDASH_EVIL_ORG, "a@b", "evil-1", begin,
	    AM_TESTDASH_EVIL_DOMAIN, "reject", false);
	record(&b, AM_TESTDASH_EVIL_IP, 5, &evil, AM_TESTDASH_EVIL_DOMAIN,
	    "reject", "<b onmouseover=alert(2)>x</b>");
	(void)am_buf_puts(&b, "</feedback>\n");
	snprintf(path, sizeof(path), "%s/evil.xml", dir);
	am_test_put(path, b.data);
	am_buf_release(&b);
}

/* am_testdash_reports - the reports of days days ending with until. */
int
am_testdash_reports(const char *dir, int64_t until, unsigned days,
    bool is_hostile)
{
	const size_t n_dom = sizeof(domains) / sizeof(domains[0]);
	const size_t n_rep = sizeof(reporters) / sizeof(reporters[0]);
	uint32_t seed = 20261204;
	int64_t begin;
	unsigned day;
	size_t r, d;
	int n = 0;

	for (day = 0; day < days; day++) {
		begin = until - (int64_t)(days - 1 - day) * 86400;
		for (d = 0; d < n_dom; d++)
			for (r = 0; r < n_rep; r++, n++)
				one_report(dir, r, d, day, begin, days, &seed);
	}
	if (is_hostile) {
		hostile(dir, until);
		n++;
	}
	return n;
}

/* am_testdash_load - an HTML file as a tree. */
htmlDocPtr
am_testdash_load(const char *path)
{
	return htmlReadFile(path, "UTF-8", HTML_PARSE_NONET |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
}

/* am_testdash_load_mem - an HTML string as a tree. */
htmlDocPtr
am_testdash_load_mem(const char *html)
{
	return htmlReadMemory(html, (int)strlen(html), "dom.html", "UTF-8",
	    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
}

/* eval - the nodes of an XPath (owned result). */
static xmlXPathObjectPtr
eval(htmlDocPtr doc, const char *fmt, va_list ap)
{
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;
	char x[2048];

	vsnprintf(x, sizeof(x), fmt, ap);
	AM_TEST_NEED(c != NULL);
	o = xmlXPathEvalExpression((const xmlChar *)x, c);
	xmlXPathFreeContext(c);
	if (o == NULL)
		fprintf(stderr, "bad XPath: %s\n", x);
	AM_TEST_NEED(o != NULL);
	return o;
}

int
am_testdash_count(htmlDocPtr doc, const char *fmt, ...)
{
	xmlXPathObjectPtr o;
	va_list ap;
	int n;

	va_start(ap, fmt);
	o = eval(doc, fmt, ap);
	va_end(ap);
	n = o->nodesetval != NULL ? o->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(o);
	return n;
}

/* text_of - the text of the first node of o (owned) or NULL. */
static char *
text_of(xmlXPathObjectPtr o)
{
	xmlChar *t;
	char *s;

	if (o->nodesetval == NULL || o->nodesetval->nodeNr == 0)
		return NULL;
	t = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
	s = strdup(t != NULL ? (const char *)t : "");
	xmlFree(t);
	return s;
}

char *
am_testdash_text(htmlDocPtr doc, const char *fmt, ...)
{
	xmlXPathObjectPtr o;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	o = eval(doc, fmt, ap);
	va_end(ap);
	s = text_of(o);
	xmlXPathFreeObject(o);
	return s;
}

long long
am_testdash_num(htmlDocPtr doc, const char *fmt, ...)
{
	xmlXPathObjectPtr o;
	long long v = 0;
	va_list ap;
	char *s, *p;
	bool has = false;

	va_start(ap, fmt);
	o = eval(doc, fmt, ap);
	va_end(ap);
	s = text_of(o);
	xmlXPathFreeObject(o);
	if (s == NULL)
		return -1;
	for (p = s; *p != '\0'; p++)
		if (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p - '0');
			has = true;
		} else if (*p != ',') {
			has = false;
			break;
		}
	free(s);
	return has ? v : -1;
}

/* am_testdash_sql - one integer from SQL on a SQLite store. */
long long
am_testdash_sql(const char *db, const char *fmt, ...)
{
	char sql[2048];
	sqlite3_stmt *st;
	sqlite3 *h;
	long long v = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* agg - the messages of domain's received records in [b, e) that meet
 * cond (SQL over agg_records c and agg_reports r). */
static long long
agg(const char *db, long long b, long long e, const char *domain,
    const char *cond)
{
	return am_testdash_sql(db, "SELECT coalesce(sum(c.count), 0) FROM "
	    "agg_records c JOIN agg_reports r ON c.report = r.id WHERE "
	    "(r.period_begin + r.period_end) / 2 >= %lld AND (r.period_begin "
	    "+ r.period_end) / 2 < %lld AND r.domain = '%s' AND %s", b, e,
	    domain, cond);
}

/* distinct - how many distinct values of column col agg rows have. */
static long long
distinct(const char *db, long long b, long long e, const char *col,
    const char *domain)
{
	return am_testdash_sql(db, "SELECT count(DISTINCT %s) FROM agg_records"
	    " c JOIN agg_reports r ON c.report = r.id WHERE (r.period_begin + "
	    "r.period_end) / 2 >= %lld AND (r.period_begin + r.period_end) / 2 "
	    "< %lld AND (r.domain = '%s' OR '%s' = '')", col, b, e, domain,
	    domain);
}

#define PASS "(c.dkim = 'pass' OR c.spf = 'pass')"
#define NONE "(NOT " PASS " AND c.dkim <> 'fail' AND c.spf <> 'fail')"
#define ROW_CELL "//tr[@data-domain='%s']/td[contains(@class,'%s')]"

static const char *const own_domains[] = { "example.com", "example.net",
    "example.org" };

/* am_testdash_check_domains - the overview table and cards against SQL. */
void
am_testdash_check_domains(const char *db, htmlDocPtr doc, long long begin,
    long long end)
{
	long long msgs, pass, none;
	const char *d;
	size_t i;

	ck_assert_int_eq(am_testdash_count(doc, "//table[@id='domains']/tbody/"
	    "tr"), distinct(db, begin, end, "r.domain", ""));
	for (i = 0; i < 3; i++) {
		d = own_domains[i];
		msgs = agg(db, begin, end, d, "1");
		pass = agg(db, begin, end, d, PASS);
		none = agg(db, begin, end, d, NONE);
		ck_assert_int_gt(msgs, 1000);
		ck_assert_int_eq(am_testdash_num(doc, ROW_CELL, d, "msgs"),
		    msgs);
		ck_assert_int_eq(am_testdash_num(doc, ROW_CELL, d, "pass"),
		    pass);
		ck_assert_int_eq(am_testdash_num(doc, ROW_CELL, d, "fail"),
		    msgs - pass - none);
		ck_assert_int_eq(am_testdash_num(doc, ROW_CELL, d, "none"),
		    none);
		ck_assert_int_eq(am_testdash_num(doc, "//section[@data-domain="
		    "'%s']//div[@data-k='messages']/b", d), msgs);
		ck_assert_int_eq(am_testdash_num(doc, "//section[@data-domain="
		    "'%s']//div[@data-k='sources']/b", d), distinct(db, begin,
		    end, "c.source_ip", d));
	}
	/* most messages first */
	ck_assert_int_eq(am_testdash_count(doc, "//table[@id='domains']/tbody/"
	    "tr[1][@data-domain='example.com']"), 1);
}

/* am_testdash_check_sources - a domain page's tables against SQL. */
void
am_testdash_check_sources(const char *db, htmlDocPtr doc, const char *domain,
    long long begin, long long end)
{
	static const char *const col[] = { "msgs", "pass", "spf", "dkim",
	    "none", "quarantine", "reject" };
	static const char *const want[] = { "1", PASS, "c.spf = 'pass'",
	    "c.dkim = 'pass'", "c.disposition = 'none'",
	    "c.disposition = 'quarantine'", "c.disposition = 'reject'" };
	char *ip, cond[512];
	int n, i, k;

	n = am_testdash_count(doc, "//table[@id='sources']/tbody/tr");
	ck_assert_int_eq(n, distinct(db, begin, end, "c.source_ip", domain));
	for (i = 1; i <= n; i++) {
		ip = am_testdash_text(doc, "//table[@id='sources']/tbody/"
		    "tr[%d]/@data-ip", i);
		ck_assert_ptr_nonnull(ip);
		for (k = 0; k < 7; k++) {
			snprintf(cond, sizeof(cond), "c.source_ip = '%s' AND "
			    "%s", ip, want[k]);
			ck_assert_int_eq(am_testdash_num(doc, "//table[@id="
			    "'sources']/tbody/tr[%d]/td[contains(@class,'%s')]",
			    i, col[k]), agg(db, begin, end, domain, cond));
		}
		if (i > 1)	/* by volume */
			ck_assert_int_le(am_testdash_num(doc, "//table[@id="
			    "'sources']/tbody/tr[%d]/td[3]", i),
			    am_testdash_num(doc, "//table[@id='sources']/tbody/"
			    "tr[%d]/td[3]", i - 1));
		free(ip);
	}
	ck_assert_int_eq(am_testdash_num(doc, "//table[@id='spf-only']//tr"
	    "[@data-ip='198.51.100.20']/td[3]"), agg(db, begin, end, domain,
	    "c.dkim = 'pass' AND c.spf = 'fail'"));
	ck_assert_int_eq(am_testdash_count(doc, "//table[@id='spf-only']/"
	    "tbody/tr"), 1);
	ck_assert_int_eq(am_testdash_num(doc, "//table[@id='dkim-only']//tr"
	    "[@data-ip='203.0.113.5']/td[3]"), agg(db, begin, end, domain,
	    "c.spf = 'pass' AND c.dkim = 'fail'"));
}

/* am_testdash_check_days - the daily table of a domain page against
 * SQL. */
void
am_testdash_check_days(const char *db, htmlDocPtr doc, const char *domain,
    long long begin, int days)
{
	long long day, sum = 0, all, row, fwd = 0;
	int i, c;

	ck_assert_int_eq(am_testdash_count(doc, "//table[@id='daily']/tbody/"
	    "tr"), days);
	for (i = 0; i < days; i++) {
		day = begin + 86400LL * i;
		all = agg(db, day, day + 86400, domain, "1");
		ck_assert_int_eq(am_testdash_num(doc, "//table[@id='daily']/"
		    "tbody/tr[%d]/td[@data-cat='0']", i + 1), agg(db, day,
		    day + 86400, domain, PASS));
		for (c = 0, row = 0; c < 6; c++)
			row += am_testdash_num(doc, "//table[@id='daily']/"
			    "tbody/tr[%d]/td[@data-cat='%d']", i + 1, c);
		ck_assert_int_eq(row, all);
		fwd += am_testdash_num(doc, "//table[@id='daily']/tbody/"
		    "tr[%d]/td[@data-cat='2']", i + 1);
		sum += all;
	}
	ck_assert_int_eq(sum, agg(db, begin, begin + days * 86400LL, domain,
	    "1"));
	/* forwarded failures have their own series */
	ck_assert_int_eq(fwd, agg(db, begin, begin + days * 86400LL, domain,
	    "c.reasons LIKE '9:forwarded%'"));
}

/* rows - inbound rows in [b, e) that meet cond. */
static long long
rows(const char *db, long long b, long long e, const char *cond)
{
	return am_testdash_sql(db, "SELECT count(*) FROM rows WHERE time >= "
	    "%lld AND time < %lld AND %s", b, e, cond);
}

/* list_counts - DKIM signatures, SPF MAIL FROM and HELO checks by result
 * (and unsigned messages as DKIM none), from the query API. */
static void
list_counts(const char *db, long long b, long long e,
    unsigned long long dkim[8], unsigned long long mfrom[8],
    unsigned long long helo[8])
{
	const struct am_report_record *rec;
	const struct am_report_spf *spf;
	struct am_report_set *set;
	struct am_why why;
	size_t i, j, k;

	ck_assert_int_eq(am_report_store_query(&db, 1, b, e, NULL, &set, &why),
	    AM_OK);
	for (i = 0; i < set->n_domains; i++)
		for (j = 0; j < set->domains[i].n_records; j++) {
			rec = &set->domains[i].records[j];
			dkim[0] += rec->row.n_dkim == 0 ? rec->count : 0;
			for (k = 0; k < rec->row.n_dkim; k++)
				dkim[rec->row.dkim[k].result] += rec->count;
			for (k = 0; k < rec->row.n_spf; k++) {
				spf = &rec->row.spf[k];
				(spf->scope == AM_REPORT_SCOPE_HELO ? helo :
				    mfrom)[spf->result] += rec->count;
			}
		}
	am_report_set_free(set);
}

/* am_testdash_check_inbound - the inbound section against SQL and the
 * query API. */
void
am_testdash_check_inbound(const char *db, htmlDocPtr doc, long long begin,
    long long end)
{
	unsigned long long dkim[8] = { 0 }, mfrom[8] = { 0 }, helo[8] = { 0 };
	const char *res;
	char cond[64];
	sqlite3_stmt *st;
	sqlite3 *h;
	int r, k;

	ck_assert_int_eq(am_testdash_num(doc, "//div[@data-k='in-messages']/"
	    "b"), rows(db, begin, end, "1"));
	ck_assert_int_eq(am_testdash_num(doc, "//div[@data-k='in-pass']/b"),
	    rows(db, begin, end, "(dkim_pass OR spf_pass)"));
	ck_assert_int_eq(am_testdash_num(doc, "//tr[@data-method='dmarc']/"
	    "td[@data-result='fail']"), rows(db, begin, end,
	    "NOT (dkim_pass OR spf_pass)"));
	for (r = 0; r < 3; r++) {
		snprintf(cond, sizeof(cond), "disposition = %d", r);
		ck_assert_int_eq(am_testdash_num(doc, "//table[@id="
		    "'dispositions']//tr[@data-disp='%s']/td[2]",
		    am_report_disp_name((enum am_report_disp)r)),
		    rows(db, begin, end, cond));
	}
	list_counts(db, begin, end, dkim, mfrom, helo);
	for (r = 0; r < 8; r++) {
		res = am_report_result_name((enum am_report_result)r);
		ck_assert_int_eq(am_testdash_num(doc, "//tr[@data-method="
		    "'dkim']/td[@data-result='%s']", res), (long long)dkim[r]);
		ck_assert_int_eq(am_testdash_num(doc, "//tr[@data-method="
		    "'spf-mfrom']/td[@data-result='%s']", res),
		    (long long)mfrom[r]);
		ck_assert_int_eq(am_testdash_num(doc, "//tr[@data-method="
		    "'spf-helo']/td[@data-result='%s']", res),
		    (long long)helo[r]);
	}
	/* the failing domains, most failures first */
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM rows WHERE"
	    " NOT (dkim_pass OR spf_pass) GROUP BY policy_domain ORDER BY 1"
	    " DESC LIMIT 10", -1, &st, NULL), SQLITE_OK);
	for (k = 1; sqlite3_step(st) == SQLITE_ROW; k++)
		ck_assert_int_eq(am_testdash_num(doc, "//table[@id="
		    "'top-failing']/tbody/tr[%d]/td[2]", k),
		    sqlite3_column_int64(st, 0));
	ck_assert_int_eq(am_testdash_count(doc, "//table[@id='top-failing']/"
	    "tbody/tr[td[2]]"), k - 1);
	sqlite3_finalize(st);
	sqlite3_close(h);
}
