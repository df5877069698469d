/*
 * testrr.c - local DNS data for the tests (testrr.h): the loaders each
 * suite used to carry, in one place.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "testutil/testrr.h"

/* am_test_dns_local - a local_only resolver with rrs and a refused zone. */
struct am_dns *
am_test_dns_local(const char *const *rrs, const char *refuse)
{
	struct am_dns_opts opts = { .local_only = true };
	struct am_why why = { "" };
	struct am_dns *dns = am_dns_new(&opts, &why);
	size_t i;

	ck_assert_msg(dns != NULL, "am_dns_new: %s", why.text);
	for (i = 0; rrs != NULL && rrs[i] != NULL; i++)
		am_test_dns_add(dns, rrs[i]);
	if (refuse != NULL)
		ck_assert_msg(am_dns_add_local_zone(dns, refuse, "refuse",
		    &why) == AM_OK, "%s", why.text);
	return dns;
}

/* am_test_dns_add - one RR of local data. */
void
am_test_dns_add(struct am_dns *dns, const char *rr)
{
	struct am_why why = { "" };

	ck_assert_msg(am_dns_add_local(dns, rr, &why) == AM_OK, "%s: %s", rr,
	    why.text);
}

/* am_test_rr_txt - one TXT value as quoted strings of <= 255 bytes. */
enum am_status
am_test_rr_txt(struct am_buf *rr, const char *s, size_t len)
{
	enum am_status st = AM_OK;
	size_t i, chunk;

	do {
		chunk = len > 255 ? 255 : len;
		if (am_buf_puts(rr, " \"") != AM_OK)
			st = AM_PERMFAIL;
		for (i = 0; i < chunk; i++) {
			unsigned char c = (unsigned char)s[i];
			enum am_status r;

			if (c == '"' || c == '\\')
				r = am_buf_printf(rr, "\\%c", c);
			else if (c < 0x20 || c > 0x7e)
				r = am_buf_printf(rr, "\\%03u", c);
			else
				r = am_buf_putc(rr, (char)c);
			if (r != AM_OK)
				st = AM_PERMFAIL;
		}
		if (am_buf_putc(rr, '"') != AM_OK)
			st = AM_PERMFAIL;
		s += chunk;
		len -= chunk;
	} while (len > 0);
	return st;
}

/* am_test_dns_add_txt - "name. 300 IN TXT" with value's strings. */
void
am_test_dns_add_txt(struct am_dns *dns, const char *name, const char *value)
{
	struct am_buf rr;

	am_buf_init(&rr, 65536);
	ck_assert(am_buf_printf(&rr, "%s. 300 IN TXT", name) == AM_OK);
	ck_assert_msg(am_test_rr_txt(&rr, value, strlen(value)) == AM_OK,
	    "TXT of %s: over 65536 bytes", name);
	am_test_dns_add(dns, am_buf_str(&rr));
	am_buf_release(&rr);
}

/* add_record_line - "name value" (dns.txt, FAKE_DNS.dat, mail-auth). */
static void
add_record_line(struct am_dns *dns, char *line)
{
	struct am_why why = { "" };
	char *v;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return;
	v = line + strcspn(line, " \t");
	if (*v != '\0')
		*v++ = '\0';
	v += strspn(v, " \t");
	if (strcmp(v, "NXDOMAIN") == 0)
		return;		/* the static "." zone says so already */
	if (strncmp(v, "~~", 2) == 0) {	/* SERVFAIL, timeout */
		ck_assert_msg(am_dns_add_local_zone(dns, line, "refuse",
		    &why) == AM_OK, "%s", why.text);
		return;
	}
	am_test_dns_add_txt(dns, line, strcmp(v, "\"\"") == 0 ? "" : v);
}

/* am_test_dns_load - the records of a "name value" file. */
void
am_test_dns_load(struct am_dns *dns, const char *path, bool is_block)
{
	char line[4096];
	FILE *fp = fopen(path, "r");

	ck_assert_msg(fp != NULL, "%s", path);
	while (fgets(line, sizeof(line), fp) != NULL &&
	    (!is_block || strcmp(line, "\n") != 0))
		add_record_line(dns, line);
	fclose(fp);
}
