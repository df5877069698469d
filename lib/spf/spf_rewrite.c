/*
 * spf_rewrite.c - the RFC 7208 §12 syntax check of a record, and its text
 * as libspf2 can compile it with the same meaning for the client (see
 * spf_rewrite.h). Never evaluates anything.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>

#include "core/am.h"
#include "core/buf.h"

#include "spf/spf_rewrite.h"

/* ----------------------------------------- record syntax (RFC 7208 §12) */

/* macro_string - *( macro-expand / macro-literal ) from p up to end;
 * exp allows the c, r, t letters (only in explanation texts). */
static bool
macro_string(const char *p, const char *end, bool is_exp)
{
	const char *letters = is_exp ? "slodiphcrtv" : "slodiphv";

	while (p < end) {
		unsigned char c = (unsigned char)*p++;

		if (c != '%') {
			if (c < 0x21 || c > 0x7e)
				return false;
			continue;
		}
		if (p < end && strchr("%_-", *p) != NULL && *p != '\0') {
			p++;
			continue;
		}
		if (p >= end || *p++ != '{' || p >= end ||
		    strchr(letters, tolower((unsigned char)*p)) == NULL)
			return false;
		p++;
		while (p < end && isdigit((unsigned char)*p))
			p++;
		if (p < end && (*p == 'r' || *p == 'R'))
			p++;
		while (p < end && strchr(".-+,/_=", *p) != NULL && *p != '\0')
			p++;
		if (p >= end || *p++ != '}')
			return false;
	}
	return true;
}

/* toplabel - RFC 7208 §7.1: alphanumerics with a letter, or with an
 * inner hyphen; not all digits. */
static bool
toplabel(const char *p, const char *end)
{
	bool has_alpha = false;
	const char *q;

	if (p >= end || !isalnum((unsigned char)*p) ||
	    !isalnum((unsigned char)end[-1]))
		return false;
	for (q = p; q < end; q++) {
		if (isalpha((unsigned char)*q) || *q == '-')
			has_alpha = true;
		else if (!isdigit((unsigned char)*q))
			return false;
	}
	return has_alpha;
}

/* domain_spec - macro-string domain-end: ends in a macro or "." toplabel
 * with an optional trailing dot. */
static bool
domain_spec(const char *p, const char *end)
{
	const char *dot;

	if (p >= end || !macro_string(p, end, false))
		return false;
	if (end[-1] == '}')
		return true;
	if (end - p > 1 && end[-1] == '.')
		end--;
	for (dot = end - 1; dot > p && *dot != '.'; dot--)
		;
	if (*dot != '.' || memchr(dot + 1, '%', (size_t)(end - dot - 1)))
		return false;
	return toplabel(dot + 1, end);
}

/* cidr - "/" then 0 or a number without a leading zero, <= max. */
static bool
cidr(const char **pp, const char *end, int max)
{
	const char *p = *pp + 1;
	int v = 0, n = 0;

	while (p < end && isdigit((unsigned char)*p) && n < 4)
		v = v * 10 + (*p++ - '0'), n++;
	if (n == 0 || (n > 1 && (*pp)[1] == '0') || v > max)
		return false;
	*pp = p;
	return true;
}

/* dual_cidr - [ "/" ip4-cidr ] [ "//" ip6-cidr ] at the end of [p, end). */
static const char *
dual_cidr(const char *p, const char *end, bool *ok)
{
	const char *s = p, *q;

	*ok = true;
	/* the cidr part starts at the first '/' followed only by digits/'/' */
	for (q = p; q < end; q++) {
		if (*q == '/' && strspn(q, "0123456789/") >= (size_t)(end - q))
			break;
	}
	s = q;
	if (s < end && s + 1 < end && s[1] != '/' && !cidr(&s, end, 32))
		*ok = false;
	if (*ok && s < end) {
		if (end - s < 3 || s[0] != '/' || s[1] != '/')
			*ok = false;
		else {
			s++;
			*ok = cidr(&s, end, 128) && s == end;
		}
	}
	return q;
}

/* ip_net - ":" address [ "/" cidr ] for ip4 or ip6. */
static bool
ip_net(const char *p, const char *end, int af)
{
	char buf[64];
	unsigned char bin[16];
	const char *slash;
	size_t len;

	if (p >= end || *p++ != ':')
		return false;
	slash = memchr(p, '/', (size_t)(end - p));
	len = (size_t)((slash ? slash : end) - p);
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (inet_pton(af, buf, bin) != 1)
		return false;
	if (slash == NULL)
		return true;
	return cidr(&slash, end, af == AF_INET ? 32 : 128) && slash == end;
}

/* mechanism - one directive without its qualifier, [p, end). */
static bool
mechanism(const char *p, const char *end)
{
	size_t n = strcspn(p, ":/");
	const char *arg, *dend;
	bool ok;

	if (p + n > end)
		n = (size_t)(end - p);
	arg = p + n;
	if (n == 3 && strncasecmp(p, "all", 3) == 0)
		return arg == end;
	if ((n == 7 && strncasecmp(p, "include", 7) == 0) ||
	    (n == 6 && strncasecmp(p, "exists", 6) == 0))
		return arg < end && *arg == ':' && domain_spec(arg + 1, end);
	if (n == 3 && strncasecmp(p, "ptr", 3) == 0)
		return arg == end || (*arg == ':' && domain_spec(arg + 1, end));
	if ((n == 1 && tolower((unsigned char)*p) == 'a') ||
	    (n == 2 && strncasecmp(p, "mx", 2) == 0)) {
		dend = dual_cidr(arg, end, &ok);
		if (!ok)
			return false;
		return arg == dend || (*arg == ':' && domain_spec(arg + 1, dend));
	}
	if (n == 3 && strncasecmp(p, "ip4", 3) == 0)
		return ip_net(arg, end, AF_INET);
	if (n == 3 && strncasecmp(p, "ip6", 3) == 0)
		return ip_net(arg, end, AF_INET6);
	return false;
}

/* term - one directive or modifier; counts redirect= and exp=. */
static bool
term(const char *p, const char *end, int *redirects, int *exps)
{
	size_t n = strcspn(p, "=:/ ");
	size_t i;

	if (p + n < end && p[n] == '=') {
		if (n == 0 || !isalpha((unsigned char)*p))
			return false;
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)p[i]) &&
			    strchr("-_.", p[i]) == NULL)
				return false;
		if (n == 8 && strncasecmp(p, "redirect", 8) == 0)
			return ++*redirects == 1 && domain_spec(p + 9, end);
		if (n == 3 && strncasecmp(p, "exp", 3) == 0)
			return ++*exps == 1 && domain_spec(p + 4, end);
		return macro_string(p + n + 1, end, false);
	}
	if (strchr("+-?~", *p) != NULL)
		p++;
	return mechanism(p, end);
}

/* am_spf_record_valid - see spf_rewrite.h. */
bool
am_spf_record_valid(const char *rec)
{
	const char *p = rec + 6, *end;
	int redirects = 0, exps = 0;

	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return true;
		if (p[-1] != ' ')
			return false;
		end = p + strcspn(p, " ");
		if (!term(p, end, &redirects, &exps))
			return false;
		p = end;
	}
}


/* ------------------------------------------------------------ rewriting */

/* is_name - [p, p+n) is case-insensitively name. */
static bool
is_name(const char *p, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(p, name, n) == 0;
}

/* cidr_start - the first '/' followed only by digits and '/' up to end. */
static const char *
cidr_start(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p == '/' && strspn(p, "0123456789/") >= (size_t)(end - p))
			return p;
	return end;
}

/* parse_cidrs - "/n", "//m" or "/n//m" at [p, end); -1 when absent. */
static void
parse_cidrs(const char *p, const char *end, int *c4, int *c6)
{
	*c4 = *c6 = -1;
	if (p < end && p + 1 < end && p[1] != '/') {
		*c4 = atoi(p + 1);
		p++;
		while (p < end && isdigit((unsigned char)*p))
			p++;
	}
	if (p + 2 < end && p[0] == '/' && p[1] == '/')
		*c6 = atoi(p + 2);
}

/* put_target - ":" spec (or %{d}) without its trailing dot, then tag. */
static enum am_status
put_target(struct am_buf *out, const char *spec, const char *end,
    const char *tag)
{
	enum am_status st;

	if (spec >= end)
		st = am_buf_puts(out, ":%{d}");
	else {
		if (end - spec > 1 && end[-1] == '.')
			end--;
		st = am_buf_putc(out, ':');
		if (st == AM_OK)
			st = am_buf_append(out, spec, (size_t)(end - spec));
	}
	return st == AM_OK ? am_buf_puts(out, tag) : st;
}

/* host_mech - a or mx: explicit tagged target, prefix 0 as the zero tag. */
static enum am_status
host_mech(struct am_buf *out, const char *p, size_t n, const char *end,
    const struct am_spf_rewrite *rw)
{
	const char *arg = p + n, *cs = cidr_start(arg, end);
	int c4, c6, mine;
	enum am_status st;

	parse_cidrs(cs, end, &c4, &c6);
	mine = rw->is_ipv6 ? c6 : c4;
	st = am_buf_append(out, p, n);
	if (st == AM_OK)
		st = put_target(out, arg < cs ? arg + 1 : cs, cs,
		    mine == 0 ? rw->tag_zero : rw->tag_term);
	if (st != AM_OK || mine == 0)
		return st;
	if (c4 > 0)
		st = am_buf_printf(out, "/%d", c4);
	if (st == AM_OK && c6 > 0)
		st = am_buf_printf(out, "//%d", c6);
	return st;
}

/* ip_zero - ip4/ip6 with prefix length 0 as its two halves. */
static enum am_status
ip_zero(struct am_buf *out, const char *q, size_t qlen, bool is_ip6)
{
	const char *lo = is_ip6 ? "ip6:::/1" : "ip4:0.0.0.0/1";
	const char *hi = is_ip6 ? "ip6:8000::/1" : "ip4:128.0.0.0/1";

	if (am_buf_append(out, q, qlen) != AM_OK ||
	    am_buf_puts(out, lo) != AM_OK || am_buf_putc(out, ' ') != AM_OK ||
	    am_buf_append(out, q, qlen) != AM_OK)
		return AM_PERMFAIL;
	return am_buf_puts(out, hi);
}

/* rw_mechanism - one directive [p, end) into out. */
static enum am_status
rw_mechanism(struct am_buf *out, const char *p, const char *end,
    const struct am_spf_rewrite *rw)
{
	const char *q = p;
	size_t n;

	if (strchr("+-?~", *p) != NULL)
		p++;
	n = strcspn(p, ":/ ");
	if (p + n > end)
		n = (size_t)(end - p);
	if ((is_name(p, n, "ip4") || is_name(p, n, "ip6")) && end - p > 2 &&
	    end[-2] == '/' && end[-1] == '0' && end[-3] != '/')
		return ip_zero(out, q, (size_t)(p - q), tolower(p[2]) == '6');
	if (am_buf_append(out, q, (size_t)(p - q)) != AM_OK)
		return AM_PERMFAIL;
	if (is_name(p, n, "a") || is_name(p, n, "mx"))
		return host_mech(out, p, n, end, rw);
	if (is_name(p, n, "exists")) {
		if (am_buf_append(out, p, n) != AM_OK || p + n >= end)
			return AM_PERMFAIL;
		return put_target(out, p + n + 1, end, rw->tag_term);
	}
	return am_buf_append(out, p, (size_t)(end - p));
}

/* lower_r - libspf2 refuses the reversal transformer written "R"; RFC
 * 7208 §7.1's ABNF strings are case-insensitive (RFC 5234 §2.3), so write
 * it "r": same meaning. The macro letter keeps its case (upper case means
 * URL-escaped, §7.3). s holds only macro-strings that passed
 * am_spf_record_valid(), tags and literals without '%'. */
static void
lower_r(char *s)
{
	while ((s = strchr(s, '%')) != NULL) {
		if (s[1] != '{') {	/* "%%", "%_", "%-" */
			s += s[1] != '\0' ? 2 : 1;
			continue;
		}
		s += 2;
		if (*s != '\0')
			s++;		/* macro-letter */
		while (isdigit((unsigned char)*s))
			s++;
		if (*s == 'R')
			*s = 'r';
	}
}

/* am_spf_rewrite - see spf_rewrite.h. */
enum am_status
am_spf_rewrite(const char *rec, const struct am_spf_rewrite *rw,
    struct am_buf *out)
{
	const char *p, *end, *redirect = NULL, *redirect_end = NULL;
	size_t n;
	enum am_status st = AM_OK;

	if (rec == NULL || rw == NULL || out == NULL || rw->tag_term == NULL ||
	    rw->tag_zero == NULL)
		AM_PANIC("am_spf_rewrite: NULL argument");
	am_buf_reset(out);
	if (strncasecmp(rec, "v=spf1", 6) != 0 || (rec[6] != ' ' &&
	    rec[6] != '\0'))
		return AM_PERMFAIL;
	st = am_buf_puts(out, "v=spf1");
	for (p = rec + 6; st == AM_OK; p = end) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, " ");
		n = strcspn(p, "=:/ ");
		if (p + n < end && p[n] == '=') {
			if (is_name(p, n, "redirect"))
				redirect = p, redirect_end = end;
			else if (is_name(p, n, "exp"))
				st = am_buf_putc(out, ' ') == AM_OK ?
				    am_buf_append(out, p, (size_t)(end - p)) :
				    AM_PERMFAIL;
			continue;	/* unknown modifiers: ignored */
		}
		st = am_buf_putc(out, ' ');
		if (st == AM_OK)
			st = rw_mechanism(out, p, end, rw);
	}
	if (st == AM_OK && redirect != NULL) {
		st = am_buf_putc(out, ' ');
		if (st == AM_OK)
			st = am_buf_append(out, redirect,
			    (size_t)(redirect_end - redirect));
	}
	/* libspf2 insists on "v=spf1 " for a record with no terms */
	if (st == AM_OK && out->len == 6)
		st = am_buf_putc(out, ' ');
	if (st == AM_OK)
		lower_r(out->data);
	return st == AM_OK ? AM_OK : AM_PERMFAIL;
}
