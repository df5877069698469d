/*
 * spf_exp.c - the explanation of an SPF fail (RFC 7208 §6.2), expanded
 * here and not by libspf2, whose compiler mangles spaces in the text
 * (LIBRARY-NOTES §3). Macros per RFC 7208 §7: the syntax of §7.1, the
 * letters of §7.2, the transformers, delimiters and URL escaping of §7.3;
 * %{p} is "unknown". A syntax error or a result that is not printable ASCII
 * means no explanation. spf_dns.c fetches the exp= record and calls
 * am_spf_expand_exp() through the check's expand_exp pointer (set by spf.c).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <spf2/spf.h>

#include "core/am.h"
#include "core/buf.h"
#include "core/netaddr.h"
#include "spf/spf_dns.h"

#include "spf/spf_impl.h"

/* ------------------------------------------------- macro expansion (§7) */

/* ip_dotted - %{i}: dotted quad, or 32 dot-separated nibbles for IPv6. */
static void
ip_dotted(const struct am_addr *a, struct am_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	if (a->family == AF_INET) {
		(void)am_buf_printf(out, "%u.%u.%u.%u", a->bytes[0],
		    a->bytes[1], a->bytes[2], a->bytes[3]);
		return;
	}
	for (i = 0; i < 16; i++)
		(void)am_buf_printf(out, "%s%c.%c", i ? "." : "",
		    hex[a->bytes[i] >> 4], hex[a->bytes[i] & 15]);
}

/* macro_value - the raw value of macro letter c (lower case) into out. */
static enum am_status
macro_value(const struct check *chk, char c, struct am_buf *out)
{
	const char *at = strrchr(chk->sender, '@');
	char ip[AM_ADDR_STRLEN];

	switch (c) {
	case 's':
		return am_buf_puts(out, chk->sender);
	case 'l':
		return am_buf_append(out, chk->sender, (size_t)(at - chk->sender));
	case 'o':
		return am_buf_puts(out, at + 1);
	case 'd':
		return am_buf_puts(out, chk->req->cur_dom ? chk->req->cur_dom :
		    at + 1);
	case 'i':
		ip_dotted(chk->client, out);
		return AM_OK;
	case 'c':
		return am_buf_puts(out, am_addr_format(chk->client, ip,
		    sizeof(ip)));
	case 'v':
		return am_buf_puts(out, chk->client->family == AF_INET ?
		    "in-addr" : "ip6");
	case 'h':
		return am_buf_puts(out, chk->helo);
	case 'r':
		return am_buf_puts(out, chk->spf->receiver);
	case 't':
		return am_buf_printf(out, "%lld", (long long)time(NULL));
	case 'p':
		/* XXX no validated client name: RFC 7208 §7.3 allows "unknown"
		 * and discourages p; a PTR+A walk here would cost lookups. */
		return am_buf_puts(out, "unknown");
	default:
		return AM_PERMFAIL;
	}
}

/* transform - split val on delims, reverse if asked, keep the rightmost
 * keep parts (0 = all), join with '.'; URL-escape for upper-case macros
 * (RFC 7208 §7.3). */
static enum am_status
transform(const char *val, const char *delims, unsigned keep, bool is_rev,
    bool is_url, struct am_buf *out)
{
	const char *part[128];
	size_t plen[128], n = 0, j, first;
	const char *p = val;
	struct am_buf tmp;
	enum am_status st = AM_OK;

	for (;;) {
		size_t l = strcspn(p, delims);

		if (n == 128)
			return AM_PERMFAIL;
		part[n] = p;
		plen[n++] = l;
		if (p[l] == '\0')
			break;
		p += l + 1;
	}
	am_buf_init(&tmp, 4096);
	first = keep != 0 && keep < n ? n - keep : 0;
	for (j = first; j < n && st == AM_OK; j++) {
		size_t k = is_rev ? n - 1 - j : j;

		if (j > first)
			st = am_buf_putc(&tmp, '.');
		if (st == AM_OK)
			st = am_buf_append(&tmp, part[k], plen[k]);
	}
	for (j = 0; st == AM_OK && j < tmp.len; j++) {
		unsigned char ch = (unsigned char)tmp.data[j];

		if (!is_url || isalnum(ch) || strchr("-._~", ch) != NULL)
			st = am_buf_putc(out, (char)ch);
		else
			st = am_buf_printf(out, "%%%02X", ch);
	}
	am_buf_release(&tmp);
	return st;
}

/* expand_macro - one "%{...}" at *pp (just past "%{"); advances *pp. */
static enum am_status
expand_macro(const struct check *chk, const char **pp, struct am_buf *out)
{
	const char *p = *pp;
	char letter = *p++, delims[8];
	unsigned long keep = 0;
	bool is_rev = false;
	size_t nd = 0;
	struct am_buf val;
	enum am_status st;

	if (strchr("slodiphcrtvSLODIPHCRTV", letter) == NULL || letter == 0)
		return AM_PERMFAIL;
	if (isdigit((unsigned char)*p)) {
		keep = strtoul(p, (char **)&p, 10);
		if (keep == 0 || keep > 128)
			return AM_PERMFAIL;
	}
	if (*p == 'r' || *p == 'R') {
		is_rev = true;
		p++;
	}
	while (*p != '\0' && strchr(".-+,/_=", *p) != NULL && nd < 7)
		delims[nd++] = *p++;
	delims[nd] = '\0';
	if (*p != '}')
		return AM_PERMFAIL;
	*pp = p + 1;
	am_buf_init(&val, 4096);
	st = macro_value(chk, (char)tolower((unsigned char)letter), &val);
	if (st == AM_OK)
		st = transform(am_buf_str(&val), nd ? delims : ".",
		    (unsigned)keep, is_rev, isupper((unsigned char)letter) != 0,
		    out);
	am_buf_release(&val);
	return st;
}

/* am_spf_expand_exp - RFC 7208 §6.2/§7.1 explain-string into out; a syntax
 * error or a non-printable result means no explanation. */
enum am_status
am_spf_expand_exp(struct am_spf_dns_check *dc, const char *text,
    struct am_buf *out)
{
	const struct check *chk = dc->arg;
	const char *p = text;
	enum am_status st = AM_OK;
	size_t i;

	while (*p != '\0' && st == AM_OK) {
		if (*p != '%') {
			st = am_buf_putc(out, *p++);
			continue;
		}
		p++;
		if (*p == '%' || *p == '_' || *p == '-') {
			st = am_buf_puts(out, *p == '%' ? "%" : *p == '_' ?
			    " " : "%20");
			p++;
		} else if (*p == '{') {
			p++;
			st = expand_macro(chk, &p, out);
		} else
			st = AM_PERMFAIL;
	}
	for (i = 0; st == AM_OK && i < out->len; i++)
		if ((unsigned char)out->data[i] < 0x20 ||
		    (unsigned char)out->data[i] > 0x7e)
			st = AM_PERMFAIL;
	return st;
}
