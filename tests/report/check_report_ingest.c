/*
 * check_report_ingest - received aggregate reports: the four vendored
 * samples (RFC 7489 and RFC 9990, Google's that does not validate), what
 * authmilter itself exports (gzip in an RFC 7489 §7.2.1.1 message) read
 * back equal, mail forms (zip and quoted-printable attachments, a
 * forwarded message/rfc822, an mbox, a Maildir), XSD validation as a
 * diagnostic and --strict, and the SQLite store: put, de-duplication by
 * (org_name, report_id), scan by period and domain, expire, and
 * authmilterctl report ingest over a directory. Hostile input is in
 * check_report_hostile, PostgreSQL in check_report_ingest_pg.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "report/report_agg.h"
#include "report/report_ingest.h"
#include "report/report_send.h"
#include "report/report_source.h"
#include "report/report_store.h"
#include "report/report_unpack.h"
#include "report/report_xml.h"
#include "testutil/testutil.h"

#define SAMPLES	AM_TOP_SRCDIR "/tests/conformance/dmarc/samples/"
#define XSD_DIR	AM_TOP_SRCDIR "/tests/conformance/dmarc/"
#define CTL	AM_TOP_BUILDDIR "/milter/authmilterctl"
#define GOT_MAX	16

struct got {			/* what unpack + parse found */
	struct am_agg_report *r[GOT_MAX];	/* owned */
	size_t n;
	unsigned refused, skipped;
	char why[512];		/* the last refusal */
	char label[512];	/* the last label */
};

static struct am_ingest_limits lim;

/* on_piece - parse every XML piece into g. */
static void
on_piece(void *arg, enum am_unpack_kind kind, const char *label,
    const char *data, size_t len, const char *reason)
{
	struct got *g = arg;
	struct am_why why, warn;

	snprintf(g->label, sizeof(g->label), "%s", label);
	if (kind == AM_UNPACK_SKIPPED) {
		g->skipped++;
		return;
	}
	if (kind == AM_UNPACK_REFUSED) {
		g->refused++;
		snprintf(g->why, sizeof(g->why), "%s", reason);
		return;
	}
	ck_assert_uint_lt(g->n, GOT_MAX);
	if (am_report_ingest_parse(data, len, &lim, NULL, false, &g->r[g->n],
	    &warn, &why) != AM_OK) {
		g->refused++;
		snprintf(g->why, sizeof(g->why), "%s", why.text);
		return;
	}
	g->n++;
}

/* unpack - everything in data, into a fresh g. */
static void
unpack(const char *data, size_t len, struct got *g)
{
	memset(g, 0, sizeof(*g));
	am_report_unpack("t", data, len, &lim, on_piece, g);
}

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		g->r[i] = am_report_agg_free(g->r[i]);
	g->n = 0;
}

/* sum - messages of a report. */
static unsigned long long
sum(const struct am_agg_report *r)
{
	unsigned long long n = 0;
	size_t i;

	for (i = 0; i < r->n_records; i++)
		n += r->records[i].count;
	return n;
}

static const struct {
	const char *file, *format, *org, *id, *domain, *p;
	long long begin, end;
	size_t records;
	unsigned long long messages;
} samples[] = {
	{ "dmarcbis-draft32-sample.xml", "rfc9990", "Sample Reporter",
	    "3v98abbp8ya9n3va8yr8oa3ya", "example.com", "quarantine",
	    302832000, 302918399, 1, 123 },
	{ "fastmail-stalw.art-mailauth003.xml", "rfc7489", "Fastmail Pty Ltd",
	    "758848224", "stalw.art", "none", 1667347200, 1667433599, 4, 9 },
	{ "google.com-example.org-mailauth002.xml", "rfc7489", "google.com",
	    "2122885654478337555", "example.org", "none", 1661558400,
	    1661644799, 1, 2 },
	{ "outlook.com-example.com-parsedmarc.xml", "rfc7489", "Outlook.com",
	    "cfeafefe4129445e8c81018bd9177197", "example.com", "none",
	    1711756800, 1711843200, 1, 1 },
};

/* each sample parses, with its metadata, policy and counts */
START_TEST(test_samples)
{
	char path[512], *xml;
	struct got g;
	const struct am_agg_report *r;

	snprintf(path, sizeof(path), SAMPLES "%s", samples[_i].file);
	xml = am_test_slurp(path);
	unpack(xml, strlen(xml), &g);
	ck_assert_msg(g.n == 1 && g.refused == 0, "%s: %s", samples[_i].file,
	    g.why);
	r = g.r[0];
	ck_assert_str_eq(r->format, samples[_i].format);
	ck_assert_str_eq(r->org_name, samples[_i].org);
	ck_assert_str_eq(r->report_id, samples[_i].id);
	ck_assert_str_eq(r->policy.domain, samples[_i].domain);
	ck_assert_str_eq(r->policy.p, samples[_i].p);
	ck_assert_int_eq(r->begin, samples[_i].begin);
	ck_assert_int_eq(r->end, samples[_i].end);
	ck_assert_uint_eq(r->n_records, samples[_i].records);
	ck_assert_uint_eq(sum(r), samples[_i].messages);
	got_free(&g);
	free(xml);
}
END_TEST

/* parse_file - the one report of a sample file (owned). */
static struct am_agg_report *
parse_file(const char *name)
{
	char path[512], *xml;
	struct got g;

	snprintf(path, sizeof(path), SAMPLES "%s", name);
	xml = am_test_slurp(path);
	unpack(xml, strlen(xml), &g);
	free(xml);
	ck_assert_msg(g.n == 1, "%s: %s", name, g.why);
	return g.r[0];
}

/* records, reasons and auth results of a real report, field by field */
START_TEST(test_fields)
{
	struct am_agg_report *r =
	    parse_file("fastmail-stalw.art-mailauth003.xml");
	const struct am_agg_record *c = &r->records[0], *d = &r->records[3];

	ck_assert_str_eq(r->email, "reports@fastmaildmarc.com");
	ck_assert_str_eq(r->extra_contact, "https://fastmail.com/");
	ck_assert_str_eq(r->policy.pct, "100");
	ck_assert_str_eq(r->policy.fo, "0");
	ck_assert_str_eq(c->source_ip, "64.147.108.117");
	ck_assert_uint_eq(c->count, 3);
	ck_assert_str_eq(c->disposition, "none");
	ck_assert_str_eq(c->dkim, "fail");
	ck_assert_str_eq(c->spf, "fail");
	ck_assert_uint_eq(c->n_reasons, 1);
	ck_assert_str_eq(c->reasons[0].type, "trusted_forwarder");
	ck_assert_str_eq(c->reasons[0].comment,
	    "Policy ignored due to local white list");
	ck_assert_str_eq(c->header_from, "stalw.art");
	ck_assert_str_eq(c->envelope_from, "jmap.bounce.topicbox.com");
	ck_assert_str_eq(c->envelope_to, "");
	ck_assert_uint_eq(c->n_dkim_auth, 1);
	ck_assert_str_eq(c->dkim_auth[0].domain, "jmap.topicbox.com");
	ck_assert_str_eq(c->dkim_auth[0].selector, "dkim-1");
	ck_assert_str_eq(c->dkim_auth[0].result, "pass");
	ck_assert_uint_eq(c->n_spf_auth, 1);
	ck_assert_str_eq(c->spf_auth[0].selector, "mfrom");
	ck_assert_uint_eq(d->n_dkim_auth, 2);
	ck_assert_str_eq(d->dkim_auth[1].domain, "amazonses.com");
	ck_assert_str_eq(d->dkim, "pass");
	am_report_agg_free(r);
	r = parse_file("dmarcbis-draft32-sample.xml");	/* RFC 9990 fields */
	ck_assert_str_eq(r->generator, "Example DMARC Aggregate Reporter v1.2");
	ck_assert_str_eq(r->policy.np, "none");
	ck_assert_str_eq(r->policy.testing, "n");
	ck_assert_str_eq(r->policy.discovery, "treewalk");
	ck_assert_str_eq(r->records[0].disposition, "pass");
	ck_assert_str_eq(r->records[0].dkim_auth[0].selector, "abc123");
	am_report_agg_free(r);
}
END_TEST

/* validation is a diagnostic; --strict refuses; by namespace */
START_TEST(test_validation)
{
	const char *paths[] = { XSD_DIR "rua-rfc7489-nons.xsd",
	    XSD_DIR "dmarcbis-aggregate-draft32.xsd" };
	static const struct {
		const char *file;
		bool is_valid;
	} t[] = {
		{ "outlook.com-example.com-parsedmarc.xml", true },
		{ "fastmail-stalw.art-mailauth003.xml", true },
		{ "google.com-example.org-mailauth002.xml", false },
		{ "dmarcbis-draft32-sample.xml", true },
	};
	struct am_report_xsd *x;
	struct am_agg_report *r;
	struct am_why why, warn;
	char path[512], *xml;
	size_t i;

	x = am_report_xsd_load(paths, 2, &why);
	ck_assert_msg(x != NULL, "%s", why.text);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(path, sizeof(path), SAMPLES "%s", t[i].file);
		xml = am_test_slurp(path);
		ck_assert_int_eq(am_report_ingest_parse(xml, strlen(xml), &lim,
		    x, false, &r, &warn, &why), AM_OK);
		ck_assert_msg((warn.text[0] == '\0') == t[i].is_valid,
		    "%s: got warning \"%s\"", t[i].file, warn.text);
		r = am_report_agg_free(r);
		ck_assert_int_eq(am_report_ingest_parse(xml, strlen(xml), &lim,
		    x, true, &r, &warn, &why), t[i].is_valid ? AM_OK :
		    AM_PERMFAIL);
		if (!t[i].is_valid)
			ck_assert_msg(strstr(why.text, "strict") != NULL &&
			    strstr(why.text, "version") != NULL, "%s", why.text);
		r = am_report_agg_free(r);
		free(xml);
	}
	xml = "<feedback xmlns=\"urn:x\"><report_metadata><org_name>o"
	    "</org_name><report_id>1</report_id><date_range><begin>1</begin>"
	    "<end>2</end></date_range></report_metadata><policy_published>"
	    "<domain>d.example</domain></policy_published></feedback>";
	ck_assert_int_eq(am_report_ingest_parse(xml, strlen(xml), &lim, x,
	    false, &r, &warn, &why), AM_OK);
	ck_assert_msg(strstr(warn.text, "no schema for namespace \"urn:x\"") !=
	    NULL, "%s", warn.text);
	ck_assert_str_eq(r->format, "rfc7489");
	am_report_agg_free(r);
	paths[0] = SAMPLES "LICENSE";
	ck_assert_ptr_null(am_report_xsd_load(paths, 1, &why));
	am_report_xsd_free(x);
}
END_TEST

static const struct am_report_dkim own_dkim[] = {
	{ "own.example", "sel", AM_REPORT_RES_PASS },
	{ "esp.example", "s2", AM_REPORT_RES_FAIL },
};
static const struct am_report_spf own_spf[] = {
	{ "bounce.own.example", AM_REPORT_SCOPE_MFROM, AM_REPORT_RES_SOFTFAIL },
};
static const struct am_report_reason own_reason[] = {
	{ AM_REPORT_REASON_MAILING_LIST, "list" },
};

/* own_rows - a store at path with rows of two domains, as the daemon
 * writes them. */
static void
own_rows(const char *path)
{
	struct am_report_store *rs;
	struct am_report_row r;
	struct am_why why;
	int i;

	rs = am_report_store_open(path, NULL, &why);
	ck_assert_ptr_nonnull(rs);
	memset(&r, 0, sizeof(r));
	r.time = 86400 * 20000 + 100;
	r.source_ip = "192.0.2.7";
	r.header_from = r.policy_domain = "own.example";
	r.envelope_from = "bounce.own.example";
	r.envelope_to = "rcpt.example";
	r.is_dkim_pass = true;
	r.dkim = own_dkim;
	r.n_dkim = 2;
	r.spf = own_spf;
	r.n_spf = 1;
	r.policy.p = AM_REPORT_DISP_REJECT;
	r.policy.pct = 100;
	for (i = 0; i < 7; i++)
		am_report_store_enqueue(rs, &r);
	r.source_ip = "2001:db8::25";
	r.is_dkim_pass = false;
	r.disposition = AM_REPORT_DISP_NONE;
	r.reasons = own_reason;
	r.n_reasons = 1;
	for (i = 0; i < 3; i++)
		am_report_store_enqueue(rs, &r);
	r.header_from = r.policy_domain = "two.example";
	am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, NULL);
}

/* own_message - domain d of the set as the RFC 7489 §7.2.1.1 message
 * report send mails (into msg). */
static void
own_message(const struct am_report_meta *m, const struct am_report_domain *d,
    enum am_report_format fmt, struct am_buf *msg, char *id)
{
	struct am_report_mail mail;
	struct am_buf gz, name;
	struct am_why why;

	am_buf_init(&gz, 1 << 20);
	am_buf_init(&name, 1024);
	ck_assert_int_eq(am_report_gzip(m, d, fmt, &gz, &why), AM_OK);
	am_report_xml_report_id(m, d->domain, id);
	am_report_xml_filename(m, d->domain, &name);
	memset(&mail, 0, sizeof(mail));
	mail.from = "dmarc@recv.example";
	mail.to = "rua@own.example";
	mail.domain = d->domain;
	mail.submitter = m->receiver;
	mail.report_id = id;
	mail.filename = am_buf_str(&name);
	mail.begin = m->begin;
	mail.end = m->end;
	mail.date = m->end + 60;
	mail.gz = gz.data;
	mail.gz_len = gz.len;
	ck_assert_int_eq(am_report_message(&mail, msg, &why), AM_OK);
	am_buf_release(&gz);
	am_buf_release(&name);
}

/* what authmilter exports (both formats), mailed as report send does,
 * reads back with the same figures */
START_TEST(test_own_export)
{
	struct am_report_meta m = { "Recv Org", "dmarc@recv.example", NULL,
	    "recv.example", "authmilter test", 86400 * 20000,
	    86400 * 20001 };
	const char *db = am_test_path(0, "own.db");
	const struct am_report_record *rec;
	const struct am_agg_record *c;
	char id[AM_REPORT_ID_SIZE];
	struct am_report_set *set;
	struct am_why why;
	struct am_buf msg;
	struct got g;
	size_t i, j;
	int fmt;

	own_rows(db);
	ck_assert_int_eq(am_report_store_query(&db, 1, m.begin, m.end, NULL,
	    &set, &why), AM_OK);
	ck_assert_uint_eq(set->n_domains, 2);
	for (fmt = 0; fmt < 2; fmt++)
		for (i = 0; i < set->n_domains; i++) {
			/* am_report_message() initialises msg */
			own_message(&m, &set->domains[i],
			    (enum am_report_format)fmt, &msg, id);
			unpack(msg.data, msg.len, &g);
			ck_assert_msg(g.n == 1, "%s", g.why);
			ck_assert_str_eq(g.r[0]->format, fmt ? "rfc9990" :
			    "rfc7489");
			ck_assert_str_eq(g.r[0]->org_name, "Recv Org");
			ck_assert_str_eq(g.r[0]->report_id, id);
			ck_assert_str_eq(g.r[0]->policy.domain,
			    set->domains[i].domain);
			ck_assert_str_eq(g.r[0]->policy.p, "reject");
			ck_assert_int_eq(g.r[0]->begin, m.begin);
			ck_assert_int_eq(g.r[0]->end, m.end - 1);
			ck_assert_uint_eq(g.r[0]->n_records,
			    set->domains[i].n_records);
			ck_assert_uint_eq(sum(g.r[0]), set->domains[i].messages);
			for (j = 0; j < g.r[0]->n_records; j++) {
				rec = &set->domains[i].records[j];
				c = &g.r[0]->records[j];
				ck_assert_uint_eq(c->count, rec->count);
				ck_assert_str_eq(c->dkim, rec->row.is_dkim_pass ?
				    "pass" : "fail");
				ck_assert_str_eq(c->spf, "fail");
				ck_assert_uint_eq(c->n_dkim_auth, 2);
				ck_assert_uint_eq(c->n_reasons,
				    rec->row.n_reasons);
			}
			got_free(&g);
			am_buf_release(&msg);
		}
	am_report_set_free(set);
}
END_TEST

/* zip_of - a zip archive in memory holding name = data (owned). */
static char *
zip_of(const char *name, const char *data, size_t len, size_t *out_len)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t cap = len + 4096;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(archive_write_set_format_zip(a), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_open_memory(a, buf, cap, out_len),
	    ARCHIVE_OK);
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
	ck_assert_int_eq(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return buf;
}

/* b64_lines - data as base64 in 76-column lines (into out). */
static void
b64_lines(const char *data, size_t len, struct am_buf *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)data;
	size_t i, col = 0;
	unsigned v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned)p[i] << 16 | (i + 1 < len ? p[i + 1] << 8 : 0) |
		    (i + 2 < len ? p[i + 2] : 0);
		(void)am_buf_putc(out, a[v >> 18 & 63]);
		(void)am_buf_putc(out, a[v >> 12 & 63]);
		(void)am_buf_putc(out, i + 1 < len ? a[v >> 6 & 63] : '=');
		(void)am_buf_putc(out, i + 2 < len ? a[v & 63] : '=');
		if ((col += 4) == 76) {
			(void)am_buf_puts(out, "\r\n");
			col = 0;
		}
	}
	(void)am_buf_puts(out, "\r\n");
}

/* qp_of - data as quoted-printable, soft breaks every 60 bytes. */
static void
qp_of(const char *data, struct am_buf *out)
{
	size_t col = 0;

	for (; *data != '\0'; data++) {
		if (*data == '=')
			(void)am_buf_puts(out, "=3D");
		else
			(void)am_buf_putc(out, *data);
		if (*data == '\n')
			col = 0;
		else if (++col == 60) {
			(void)am_buf_puts(out, "=\r\n");
			col = 0;
		}
	}
}

/* a zip attachment, a quoted-printable text/xml part, a forwarded
 * message/rfc822, and a message without any report */
START_TEST(test_mail_forms)
{
	char path[512], *xml, *zip;
	struct am_buf msg;
	size_t zlen;
	struct got g;

	snprintf(path, sizeof(path), SAMPLES
	    "outlook.com-example.com-parsedmarc.xml");
	xml = am_test_slurp(path);
	zip = zip_of("protection.outlook.com!example.com!1711756800!"
	    "1711843200.xml", xml, strlen(xml), &zlen);
	am_buf_init(&msg, 1 << 20);
	(void)am_buf_puts(&msg, "From: dmarcreport@microsoft.com\r\n"
	    "Subject: Report Domain: example.com\r\nMessage-ID: <z@x>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n"
	    "\tboundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\nContent-Type: "
	    "text/plain\r\n\r\nThis is a report.\r\n--b1\r\nContent-Type: "
	    "application/zip\r\nContent-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment;\r\n filename=\"r.zip\"\r\n\r\n");
	b64_lines(zip, zlen, &msg);
	(void)am_buf_puts(&msg, "--b1--\r\nepilogue\r\n");
	unpack(msg.data, msg.len, &g);
	ck_assert_msg(g.n == 1 && g.refused == 0, "%s", g.why);
	ck_assert_str_eq(g.r[0]->report_id, "cfeafefe4129445e8c81018bd9177197");
	ck_assert_msg(strstr(g.label, "part 2 (r.zip): entry protection") !=
	    NULL, "%s", g.label);
	got_free(&g);
	am_buf_reset(&msg);		/* forwarded, quoted-printable */
	(void)am_buf_puts(&msg, "From: a@b\nContent-Type: message/rfc822\n\n"
	    "From: c@d\nContent-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/xml\nContent-Transfer-Encoding: "
	    "quoted-printable\n\n");
	qp_of(xml, &msg);
	(void)am_buf_puts(&msg, "\n--q--\n");
	unpack(msg.data, msg.len, &g);
	ck_assert_msg(g.n == 1 && g.refused == 0, "%zu %u %u %s", g.n,
	    g.refused, g.skipped, g.why);
	ck_assert_str_eq(g.r[0]->org_name, "Outlook.com");
	ck_assert_uint_eq(g.r[0]->n_records, 1);
	got_free(&g);
	am_buf_reset(&msg);		/* ordinary mail */
	(void)am_buf_puts(&msg, "From: a@b\nSubject: hi\n\nhello\n");
	unpack(msg.data, msg.len, &g);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(g.skipped, 1);
	ck_assert_uint_eq(g.refused, 0);
	am_buf_release(&msg);
	free(zip);
	free(xml);
}
END_TEST

struct scan {			/* what a scan handed over */
	unsigned records;
	unsigned long long messages;
	char domains[256];	/* policy domains in order, ',' after each */
	unsigned reasons, dkim_auth;
};

static void
on_record(void *arg, const struct am_agg_report *r,
    const struct am_agg_record *c)
{
	struct scan *s = arg;
	size_t n = strlen(s->domains);

	ck_assert_uint_eq(r->n_records, 0);
	s->records++;
	s->messages += c->count;
	s->reasons += (unsigned)c->n_reasons;
	s->dkim_auth += (unsigned)c->n_dkim_auth;
	if (n == 0 || strncmp(s->domains + n - strlen(r->policy.domain) - 1,
	    r->policy.domain, strlen(r->policy.domain)) != 0)
		snprintf(s->domains + n, sizeof(s->domains) - n, "%s,",
		    r->policy.domain);
}

/* scan_db - scan path over [b, e) for domain. */
static struct scan
scan_db(const char *path, int64_t b, int64_t e, const char *domain)
{
	struct am_report_agg_db *db;
	struct am_why why;
	struct scan s;

	memset(&s, 0, sizeof(s));
	db = am_report_agg_open(path, true, &why);
	ck_assert_msg(db != NULL, "%s", why.text);
	ck_assert_int_eq(am_report_agg_scan(db, b, e, domain, on_record, &s,
	    &why), AM_OK);
	am_report_agg_close(db);
	return s;
}

/* put, duplicate, scan by period and domain, expire: SQLite */
START_TEST(test_store)
{
	const char *db = am_test_path(0, "agg.db");
	struct am_report_agg_db *h;
	struct am_agg_report *r;
	struct am_why why;
	struct scan s;
	uint64_t n;
	bool is_dup;
	size_t i;

	h = am_report_agg_open(db, false, &why);
	ck_assert_msg(h != NULL, "%s", why.text);
	for (i = 0; i < 2 * sizeof(samples) / sizeof(samples[0]); i++) {
		r = parse_file(samples[i % 4].file);
		r->origin = "test \xff origin";
		ck_assert_int_eq(am_report_agg_put(h, r, &is_dup, &why), AM_OK);
		ck_assert(is_dup == (i >= 4));
		am_report_agg_free(r);
	}
	am_report_agg_close(h);
	s = scan_db(db, 0, INT64_MAX / 2, NULL);
	ck_assert_uint_eq(s.records, 7);
	ck_assert_uint_eq(s.messages, 123 + 9 + 2 + 1);
	ck_assert_uint_eq(s.reasons, 3);
	ck_assert_uint_eq(s.dkim_auth, 1 + 5 + 1);
	ck_assert_str_eq(s.domains, "example.com,stalw.art,example.org,"
	    "example.com,");
	s = scan_db(db, 0, INT64_MAX / 2, "example.com");
	ck_assert_uint_eq(s.messages, 124);
	/* by the period's midpoint: Fastmail's 2022-11-02 only */
	s = scan_db(db, 1667347200, 1667347200 + 86400, NULL);
	ck_assert_str_eq(s.domains, "stalw.art,");
	s = scan_db(db, 1667347200 + 43200, 1667347200 + 86400, NULL);
	ck_assert_uint_eq(s.records, 0);
	ck_assert_int_eq(am_report_agg_expire(db, 1700000000, &n, &why), AM_OK);
	ck_assert_uint_eq(n, 3);
	s = scan_db(db, 0, INT64_MAX / 2, NULL);
	ck_assert_str_eq(s.domains, "example.com,");
	ck_assert_uint_eq(s.records, 1);
}
END_TEST

/* an mbox: messages split at "From " lines; a Maildir: new/ moved to
 * cur/ once read */
struct items {
	unsigned n, refused;
	char labels[1024];
};

static void
on_item(void *arg, const char *label, const char *data, size_t len,
    const char *refused)
{
	struct items *it = arg;
	size_t k = strlen(it->labels);

	(void)data;
	(void)len;
	it->n++;
	it->refused += refused != NULL;
	snprintf(it->labels + k, sizeof(it->labels) - k, "%s|",
	    strrchr(label, '/') != NULL ? strrchr(label, '/') + 1 : label);
}

START_TEST(test_sources)
{
	struct items it;
	struct am_why why;
	struct stat st;
	FILE *fp;

	fp = fopen(am_test_path(0, "mbox"), "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "From a@b Mon Jan  1 00:00:00 2024\nFrom: a@b\n\n>From "
	    "here on\n\nFrom c@d Mon Jan  1 00:00:01 2024\nFrom: c@d\n\nx\n");
	fclose(fp);
	memset(&it, 0, sizeof(it));
	ck_assert_int_eq(am_report_source_read(am_test_path(0, "mbox"), &lim,
	    on_item, &it, &why), AM_OK);
	ck_assert_str_eq(it.labels, "mbox: message 1|mbox: message 2|");
	ck_assert_int_eq(mkdir(am_test_path(0, "md"), 0700), 0);
	ck_assert_int_eq(mkdir(am_test_path(0, "md/new"), 0700), 0);
	ck_assert_int_eq(mkdir(am_test_path(0, "md/cur"), 0700), 0);
	ck_assert_int_eq(mkdir(am_test_path(0, "md/tmp"), 0700), 0);
	am_test_put(am_test_path(0, "md/new/1.a"), "From: a@b\n\nx\n");
	am_test_put(am_test_path(0, "md/cur/0.b:2,S"), "From: a@b\n\nx\n");
	memset(&it, 0, sizeof(it));
	ck_assert_int_eq(am_report_source_read(am_test_path(0, "md"), &lim,
	    on_item, &it, &why), AM_OK);
	ck_assert_str_eq(it.labels, "1.a|0.b:2,S|");
	ck_assert_int_eq(stat(am_test_path(0, "md/cur/1.a:2,S"), &st), 0);
	ck_assert_int_ne(stat(am_test_path(0, "md/new/1.a"), &st), 0);
	ck_assert_int_eq(am_report_source_read(am_test_path(0, "none"), &lim,
	    on_item, &it, &why), AM_TEMPFAIL);
	ck_assert_msg(strstr(why.text, "No such file") != NULL, "%s", why.text);
}
END_TEST

/* ctl - run authmilterctl with args; stdout+stderr into out. */
static int
ctl(const char *const *args, char *out, size_t size)
{
	const char *argv[24] = { CTL, "-c", "/dev/null" };
	int fds[2], status;
	size_t n = 0, i;
	ssize_t k;
	pid_t pid;

	for (i = 0; args[i] != NULL && i < 20; i++)
		argv[3 + i] = args[i];
	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(CTL, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (n + 1 < size && (k = read(fds[0], out + n, size - 1 - n)) > 0)
		n += (size_t)k;
	out[n] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* authmilterctl report ingest over the samples directory, twice */
START_TEST(test_ctl)
{
	const char *db = am_test_path(0, "ctl.db");
	const char *args[] = { "report", "ingest", "--store", db,
	    AM_TOP_SRCDIR "/tests/conformance/dmarc/samples", NULL };
	static char out[16384];

	ck_assert_int_eq(ctl(args, out, sizeof(out)), 1);  /* LICENSE files */
	ck_assert_msg(strstr(out, "4 stored, 0 duplicate, 2 refused, 1 "
	    "skipped") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "stored " AM_TOP_SRCDIR "/tests/conformance/"
	    "dmarc/samples/google.com-example.org-mailauth002.xml: google.com "
	    "2122885654478337555 example.org, 1 records, 2 messages") != NULL,
	    "%s", out);
	args[4] = AM_TOP_SRCDIR "/tests/conformance/dmarc/samples/"
	    "fastmail-stalw.art-mailauth003.xml";
	ck_assert_int_eq(ctl(args, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "0 stored, 1 duplicate, 0 refused") != NULL,
	    "%s", out);
	args[2] = "--bogus";
	ck_assert_int_eq(ctl(args, out, sizeof(out)), 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_ingest");
	TCase *tc = tcase_create("ingest");

	am_report_ingest_limits(&lim);
	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_samples, 0,
	    sizeof(samples) / sizeof(samples[0]));
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_validation);
	tcase_add_test(tc, test_own_export);
	tcase_add_test(tc, test_mail_forms);
	tcase_add_test(tc, test_store);
	tcase_add_test(tc, test_sources);
	tcase_add_test(tc, test_ctl);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
