/*
 * check_report_hostile - report ingest refuses hostile or malformed input
 * with a clear reason and goes on with the rest: XML bombs (billion
 * laughs), external entities and DTDs, undefined entities, deep nesting, a
 * huge text node, bad counts and missing keys, a 100 MB file (never read),
 * gzip and zip bombs (cut at the bound), too many zip entries, encrypted,
 * corrupt and truncated archives, deeply nested and over-split MIME, an
 * mbox whose middle message is too big, and a directory where a hostile
 * file sits beside a good one.
 */
#include "autoconf.h"

#include <sys/resource.h>

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "report/report_agg.h"
#include "report/report_ingest.h"
#include "report/report_source.h"
#include "report/report_unpack.h"
#include "testutil/testutil.h"

#define GOOD "<feedback><report_metadata><org_name>o</org_name>" \
	"<report_id>%s</report_id><date_range><begin>1</begin><end>2</end>" \
	"</date_range></report_metadata><policy_published><domain>d.example" \
	"</domain></policy_published><record><row><source_ip>192.0.2.1" \
	"</source_ip><count>%s</count></row></record></feedback>"

struct got {
	unsigned ok, refused, skipped;
	char why[16384];	/* reasons, "|"-separated */
};

static struct am_ingest_limits lim;

static void
on_piece(void *arg, enum am_unpack_kind kind, const char *label,
    const char *data, size_t len, const char *reason)
{
	struct got *g = arg;
	struct am_agg_report *r = NULL;
	struct am_why why, warn;
	size_t k = strlen(g->why);

	(void)label;
	if (kind == AM_UNPACK_XML && am_report_ingest_parse(data, len, &lim,
	    NULL, false, &r, &warn, &why) == AM_OK) {
		g->ok++;
		am_report_agg_free(r);
		return;
	}
	if (kind == AM_UNPACK_SKIPPED) {
		g->skipped++;
		return;
	}
	g->refused++;
	snprintf(g->why + k, sizeof(g->why) - k, "%s|", kind == AM_UNPACK_XML ?
	    why.text : reason);
}

static struct got
unpack(const char *data, size_t len)
{
	struct got g;

	memset(&g, 0, sizeof(g));
	am_report_unpack("t", data, len, &lim, on_piece, &g);
	return g;
}

/* refused - data is refused (and nothing accepted) with a reason that
 * contains want. */
static void
refused(const char *data, size_t len, const char *want)
{
	struct got g = unpack(data, len);

	ck_assert_msg(g.refused >= 1 && g.ok == 0, "not refused (want %s)",
	    want);
	ck_assert_msg(strstr(g.why, want) != NULL, "got \"%s\", want \"%s\"",
	    g.why, want);
}

static const struct {
	const char *name, *xml, *want;
} bad_xml[] = {
	{ "billion laughs", "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY "
	    "lol \"lol\"><!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;"
	    "&lol;&lol;&lol;\"><!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;"
	    "&lol1;&lol1;&lol1;&lol1;&lol1;\"><!ENTITY lol3 \"&lol2;&lol2;"
	    "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><feedback>"
	    "<report_metadata><org_name>&lol3;</org_name></report_metadata>"
	    "</feedback>", "a DTD (<!DOCTYPE>) is not allowed" },
	{ "external entity", "<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "
	    "\"file:///etc/passwd\">]><feedback><report_metadata><org_name>"
	    "&xxe;</org_name></report_metadata></feedback>",
	    "a DTD (<!DOCTYPE>) is not allowed" },
	{ "external DTD", "<!DOCTYPE feedback SYSTEM \"http://127.0.0.1:9/x.dtd"
	    "\"><feedback/>", "a DTD (<!DOCTYPE>) is not allowed" },
	{ "parameter entity", "<!DOCTYPE f [<!ENTITY % p SYSTEM "
	    "\"file:///etc/passwd\"> %p;]><feedback/>",
	    "a DTD (<!DOCTYPE>) is not allowed" },
	{ "undefined entity", "<feedback><report_metadata><org_name>&xxe;"
	    "</org_name></report_metadata></feedback>",
	    "not well-formed XML: line 1: Entity 'xxe' not defined" },
	{ "not well-formed", "<feedback><report_metadata></feedback>",
	    "not well-formed XML: line 1:" },
	{ "wrong root", "<html><body/></html>",
	    "the root element is <html>, not <feedback>" },
	{ "no report_id", "<feedback><report_metadata><org_name>o</org_name>"
	    "</report_metadata></feedback>", "no report_metadata report_id" },
	{ "no date_range", "<feedback><report_metadata><org_name>o</org_name>"
	    "<report_id>1</report_id></report_metadata></feedback>",
	    "date_range begin and end are not two times" },
	{ "no domain", "<feedback><report_metadata><org_name>o</org_name>"
	    "<report_id>1</report_id><date_range><begin>1</begin><end>2</end>"
	    "</date_range></report_metadata></feedback>",
	    "no policy_published domain" },
};

/* each malformed or hostile XML document is refused with its reason */
START_TEST(test_bad_xml)
{
	refused(bad_xml[_i].xml, strlen(bad_xml[_i].xml), bad_xml[_i].want);
}
END_TEST

/* counts an attacker could use to skew the figures */
START_TEST(test_counts)
{
	static const char *const bad[] = { "-1", "1e9", "2199023255553",
	    "99999999999999999999999", "", "0x10", " 7 8" };
	char xml[1024];
	struct got g;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(xml, sizeof(xml), GOOD, "1", bad[i]);
		refused(xml, strlen(xml), "record 1: count is not an integer");
	}
	snprintf(xml, sizeof(xml), GOOD, "1", " 1099511627776 ");
	g = unpack(xml, strlen(xml));	/* 2^40, trimmed: the largest */
	ck_assert_uint_eq(g.ok, 1);
}
END_TEST

/* nesting deeper than libxml2's limit (256), not one stack frame each */
START_TEST(test_deep_xml)
{
	struct am_buf b;
	int i;

	am_buf_init(&b, 8 << 20);
	for (i = 0; i < 100000; i++)
		(void)am_buf_puts(&b, "<a>");
	refused(b.data, b.len, "not well-formed XML");
	am_buf_release(&b);
}
END_TEST

/* an attribute value over libxml2's 10 MB limit is refused (the
 * XML_PARSE_HUGE flag is never set); a huge text node costs no more than
 * its input (bounded by max_bytes) and is cut where it is read */
START_TEST(test_huge_node)
{
	struct am_agg_report *r;
	struct am_why why, warn;
	struct am_buf b;
	size_t i;

	am_buf_init(&b, 16 << 20);
	(void)am_buf_puts(&b, "<feedback version=\"");
	for (i = 0; i < 11 << 20; i += 64)
		(void)am_buf_puts(&b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAA");
	(void)am_buf_puts(&b, "\"/>");
	refused(b.data, b.len, "AttValue length too long");
	am_buf_reset(&b);
	(void)am_buf_puts(&b, "<feedback><report_metadata><org_name>");
	for (i = 0; i < 11 << 20; i += 64)
		(void)am_buf_puts(&b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAA");
	(void)am_buf_puts(&b, "</org_name><report_id>1</report_id><date_range>"
	    "<begin>1</begin><end>2</end></date_range></report_metadata>"
	    "<policy_published><domain>d</domain></policy_published>"
	    "</feedback>");
	ck_assert_int_eq(am_report_ingest_parse(b.data, b.len, &lim, NULL,
	    false, &r, &warn, &why), AM_OK);
	ck_assert_uint_eq(strlen(r->org_name), 1024);
	am_report_agg_free(r);
	am_buf_release(&b);
}
END_TEST

/* gzip_zeros - n bytes of '<' then zeros, gzipped (owned). */
static char *
gzip_zeros(size_t n, size_t *out_len)
{
	static char zero[1 << 16];
	size_t cap = n / 500 + 65536, left = n;
	char *out = malloc(cap);
	z_stream z;

	ck_assert_ptr_nonnull(out);
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 31, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_out = (unsigned char *)out;
	z.avail_out = (uInt)cap;
	zero[0] = '<';
	while (left > 0) {
		z.next_in = (unsigned char *)zero;
		z.avail_in = left < sizeof(zero) ? (uInt)left : sizeof(zero);
		left -= z.avail_in;
		ck_assert_int_eq(deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH),
		    left == 0 ? Z_STREAM_END : Z_OK);
		zero[0] = '\0';
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* a gzip bomb (100 MB from about 100 KB) stops at the 32 MiB default;
 * a truncated gzip is refused */
START_TEST(test_gzip_bomb)
{
	size_t len;
	char *gz = gzip_zeros(100u << 20, &len);

	ck_assert_uint_lt(len, 1 << 20);
	refused(gz, len, "gzip: more than 33554432 bytes once decompressed");
	refused(gz, len / 2, "gzip: ");
	free(gz);
}
END_TEST

/* zip_of - a zip of n entries, each len bytes of '<' and zeros (owned);
 * passphrase: encrypted (ZipCrypto). */
static char *
zip_of(unsigned n, size_t len, const char *passphrase, size_t *out_len)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	static char chunk[1 << 16];
	size_t cap = (len / 500 + 4096) * n + 65536, left;
	char *buf = malloc(cap), name[32];
	unsigned i;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(archive_write_set_format_zip(a), ARCHIVE_OK);
	if (passphrase != NULL) {
		ck_assert_int_eq(archive_write_set_options(a,
		    "zip:encryption=zipcrypt"), ARCHIVE_OK);
		ck_assert_int_eq(archive_write_set_passphrase(a, passphrase),
		    ARCHIVE_OK);
	}
	ck_assert_int_eq(archive_write_open_memory(a, buf, cap, out_len),
	    ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		e = archive_entry_new();
		snprintf(name, sizeof(name), "r%u.xml", i);
		archive_entry_set_pathname(e, name);
		archive_entry_set_size(e, (la_int64_t)len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		chunk[0] = '<';
		for (left = len; left > 0; left -= left < sizeof(chunk) ?
		    left : sizeof(chunk)) {
			ck_assert_int_ge(archive_write_data(a, chunk, left <
			    sizeof(chunk) ? left : sizeof(chunk)), 0);
			chunk[0] = '\0';
		}
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return buf;
}

/* zip bombs: one entry over the bound, many entries that add up over it,
 * too many entries; an encrypted entry; corrupt data */
START_TEST(test_zip_bomb)
{
	size_t len;
	char *zip;

	zip = zip_of(1, 100u << 20, NULL, &len);
	ck_assert_uint_lt(len, 1 << 20);
	refused(zip, len, "zip: more than 33554432 bytes once decompressed");
	free(zip);
	zip = zip_of(40, 1u << 20, NULL, &len);	/* 40 MB in all */
	refused(zip, len, "zip: more than 33554432 bytes");
	free(zip);
	zip = zip_of(65, 10, NULL, &len);
	refused(zip, len, "zip: more than 64 entries");
	free(zip);
	zip = zip_of(1, 100, "secret", &len);
	refused(zip, len, "zip: encrypted entry");
	memset(zip + 30, 0xff, len - 40);	/* headers kept, data broken */
	refused(zip, len, "zip: ");
	free(zip);
}
END_TEST

/* a 100 MB file is refused by its size, before anything is read; the
 * file beside it is read */
static void
on_item(void *arg, const char *label, const char *data, size_t len,
    const char *why)
{
	struct got *g = arg;
	size_t k = strlen(g->why);

	(void)label;
	if (why == NULL) {
		am_report_unpack(label, data, len, &lim, on_piece, g);
		return;
	}
	g->refused++;
	snprintf(g->why + k, sizeof(g->why) - k, "%s|", why);
}

START_TEST(test_big_file)
{
	char xml[1024];
	struct am_why why;
	struct got g;
	int fd;

	fd = open(am_test_path(0, "a-big.xml"), O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 100 << 20), 0);	/* sparse */
	close(fd);
	snprintf(xml, sizeof(xml), GOOD, "2", "5");
	am_test_put(am_test_path(0, "b-good.xml"), xml);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(am_report_source_read(am_test_dir, &lim, on_item, &g,
	    &why), AM_OK);
	ck_assert_uint_eq(g.ok, 1);
	ck_assert_uint_eq(g.refused, 1);
	ck_assert_str_eq(g.why, "104857600 bytes is over the limit of "
	    "33554432; skipped unread|");
}
END_TEST

/* an mbox whose middle message is over the bound: the two others are
 * read, the middle one is refused, none is cut */
START_TEST(test_mbox_big)
{
	char xml[1024];
	struct am_why why;
	struct got g;
	FILE *fp;
	size_t i;

	fp = fopen(am_test_path(0, "mbox"), "w");
	ck_assert_ptr_nonnull(fp);
	snprintf(xml, sizeof(xml), GOOD, "1", "5");
	fprintf(fp, "From a@b Mon Jan  1 00:00:00 2024\nFrom: a@b\n"
	    "Content-Type: text/xml\n\n%s\n\nFrom a@b Mon Jan  1 00:00:00 "
	    "2024\nFrom: big@b\nContent-Type: text/xml\n\n", xml);
	for (i = 0; i < (33u << 20) / 100; i++)
		fprintf(fp, "%099d\n", 0);
	snprintf(xml, sizeof(xml), GOOD, "3", "5");
	fprintf(fp, "\nFrom a@b Mon Jan  1 00:00:00 2024\nFrom: a@b\n"
	    "Content-Type: text/xml\n\n%s\n", xml);
	fclose(fp);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(am_report_source_read(am_test_path(0, "mbox"), &lim,
	    on_item, &g, &why), AM_OK);
	ck_assert_uint_eq(g.ok, 2);
	ck_assert_uint_eq(g.refused, 1);
	ck_assert_str_eq(g.why, "more than 33554432 bytes (the limit); "
	    "skipped unread|");
}
END_TEST

/* MIME: nested deeper than 8 levels, split into more than 64 parts, a
 * multipart without a boundary */
START_TEST(test_mime)
{
	char xml[1024];
	struct am_buf b;
	int i;

	snprintf(xml, sizeof(xml), GOOD, "1", "5");
	am_buf_init(&b, 1 << 20);
	(void)am_buf_puts(&b, "From: a@b\n");
	for (i = 0; i < 50; i++)
		(void)am_buf_printf(&b, "Content-Type: multipart/mixed; "
		    "boundary=\"b%d\"\n\n--b%d\n", i, i);
	(void)am_buf_printf(&b, "Content-Type: text/xml\n\n%s\n", xml);
	refused(b.data, b.len, "MIME: MIME nesting deeper than 8 levels");
	am_buf_reset(&b);
	(void)am_buf_puts(&b, "From: a@b\nContent-Type: multipart/mixed; "
	    "boundary=x\n\n");
	for (i = 0; i < 70; i++)
		(void)am_buf_printf(&b, "--x\nContent-Type: text/xml\n\n%s\n",
		    xml);
	(void)am_buf_puts(&b, "--x--\n");
	refused(b.data, b.len, "MIME: more than 64 MIME parts");
	am_buf_reset(&b);
	(void)am_buf_printf(&b, "From: a@b\nContent-Type: multipart/mixed\n\n"
	    "--x\nContent-Type: text/xml\n\n%s\n--x--\n", xml);
	refused(b.data, b.len, "MIME: a multipart/mixed part without a "
	    "boundary");
	am_buf_release(&b);
}
END_TEST

/* data that is no report at all, and a part that claims to be one */
START_TEST(test_not_report)
{
	static const char msg[] = "From: a@b\nContent-Type: application/zip\n"
	    "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n";

	refused("\x89PNG\r\n", 6, "not a report: neither XML, gzip, zip nor a "
	    "mail message");
	refused(msg, sizeof(msg) - 1, "not a report: the part is neither XML, "
	    "gzip nor zip");
	refused("\x1f\x8b\x08\x00garbage", 12, "gzip: ");
	refused("PK\x03\x04garbage", 11, "zip: ");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_hostile");
	TCase *tc = tcase_create("hostile");

	am_report_ingest_limits(&lim);
	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_bad_xml, 0,
	    sizeof(bad_xml) / sizeof(bad_xml[0]));
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_deep_xml);
	tcase_add_test(tc, test_huge_node);
	tcase_add_test(tc, test_gzip_bomb);
	tcase_add_test(tc, test_zip_bomb);
	tcase_add_test(tc, test_big_file);
	tcase_add_test(tc, test_mbox_big);
	tcase_add_test(tc, test_mime);
	tcase_add_test(tc, test_not_report);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
