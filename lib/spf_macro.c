/*
 * spf_macro.c - RFC 7208 §7 macro expansion for domain-specs and
 * explanations, our own so that libspf2's macro parser (CVE-2023-42118)
 * is never reached. Values are split into parts without fixed arrays, so
 * a long local-part cannot overflow anything; every output goes through a
 * capped am_buf.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include "am.h"
#include "buf.h"
#include "dns.h"
#include "netaddr.h"
#include "xalloc.h"

#include "spf_macro.h"

#define MACRO_VALUE_MAX 4096	/* bytes of one macro's raw value */

/* ip_dotted - %{i}: dotted quad, or 32 dot-separated nibbles for IPv6
 * (lower case, as RFC 7208 §7.3's example). */
static enum am_status
ip_dotted(const struct am_addr *a, struct am_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	enum am_status st = AM_OK;
	int i;

	if (a->family == AF_INET)
		return am_buf_printf(out, "%u.%u.%u.%u", a->bytes[0],
		    a->bytes[1], a->bytes[2], a->bytes[3]);
	for (i = 0; i < 16 && st == AM_OK; i++)
		st = am_buf_printf(out, "%s%c.%c", i ? "." : "",
		    hex[a->bytes[i] >> 4], hex[a->bytes[i] & 15]);
	return st;
}

/* ptr_value - %{p}: the validated name, or "unknown" (§7.3). */
static enum am_status
ptr_value(const struct am_spf_macro_env *env, struct am_buf *out)
{
	size_t len = out->len;

	if (env->ptr_name != NULL &&
	    env->ptr_name(env->arg, env->domain, out) == AM_OK)
		return AM_OK;
	am_buf_truncate(out, len);
	return am_buf_puts(out, "unknown");
}

/* macro_value - the raw value of macro letter c (lower case) into out. */
static enum am_status
macro_value(const struct am_spf_macro_env *env, char c, struct am_buf *out)
{
	const char *at = strrchr(env->sender, '@');
	char ip[AM_ADDR_STRLEN];

	switch (c) {
	case 's':
		return am_buf_puts(out, env->sender);
	case 'l':
		if (at == NULL || at == env->sender)
			return am_buf_puts(out, "postmaster");
		return am_buf_append(out, env->sender,
		    (size_t)(at - env->sender));
	case 'o':
		return am_buf_puts(out, at ? at + 1 : env->sender);
	case 'd':
		return am_buf_puts(out, env->domain);
	case 'i':
		return ip_dotted(env->client, out);
	case 'c':
		return am_buf_puts(out, am_addr_format(env->client, ip,
		    sizeof(ip)));
	case 'v':
		return am_buf_puts(out, env->client->family == AF_INET ?
		    "in-addr" : "ip6");
	case 'h':
		return am_buf_puts(out, env->helo);
	case 'r':
		return am_buf_puts(out, env->receiver);
	case 't':
		return am_buf_printf(out, "%lld", (long long)time(NULL));
	case 'p':
		return ptr_value(env, out);
	default:
		return AM_PERMFAIL;
	}
}

/* nth_part - part k of val split on delims (k < the number of parts). */
static struct am_str
nth_part(const char *val, const char *delims, size_t k)
{
	struct am_str s;
	const char *p = val;

	for (;;) {
		s.p = p;
		s.len = strcspn(p, delims);
		if (k-- == 0 || p[s.len] == '\0')
			return s;
		p += s.len + 1;
	}
}

/* url_put - ch into out, %XX-escaped unless unreserved (RFC 3986). */
static enum am_status
url_put(struct am_buf *out, unsigned char ch, bool is_url)
{
	if (!is_url || isalnum(ch) || strchr("-._~", ch) != NULL)
		return am_buf_putc(out, (char)ch);
	return am_buf_printf(out, "%%%02X", ch);
}

/* transform - split val on delims, reverse if asked, keep the rightmost
 * keep parts (0 = all), join with '.'; URL-escape for upper-case letters. */
static enum am_status
transform(const char *val, const char *delims, unsigned long keep,
    bool is_rev, bool is_url, struct am_buf *out)
{
	size_t n = 1, j, first, i;
	const char *p;
	struct am_str s;
	enum am_status st = AM_OK;

	for (p = val; *p != '\0'; p++)
		if (strchr(delims, *p) != NULL)
			n++;
	first = keep != 0 && keep < n ? n - keep : 0;
	for (j = first; j < n && st == AM_OK; j++) {
		s = nth_part(val, delims, is_rev ? n - 1 - j : j);
		if (j > first)
			st = am_buf_putc(out, '.');
		for (i = 0; i < s.len && st == AM_OK; i++)
			st = url_put(out, (unsigned char)s.p[i], is_url);
	}
	return st;
}

/* expand_macro - one "%{...}" in [*pp, end) (just past "%{"). */
static enum am_status
expand_macro(const struct am_spf_macro_env *env, const char **pp,
    const char *end, bool is_exp, struct am_buf *out)
{
	const char *p = *pp, *letters = is_exp ? "slodiphcrtv" : "slodiphv";
	char letter, delims[8];
	unsigned long keep = 0;
	bool is_rev = false, has_digit = false;
	size_t nd = 0;
	struct am_buf val;
	enum am_status st;

	if (p >= end || *p == '\0' ||
	    strchr(letters, tolower((unsigned char)*p)) == NULL)
		return AM_PERMFAIL;
	letter = *p++;
	for (; p < end && isdigit((unsigned char)*p); p++, has_digit = true)
		if (keep < 1000)
			keep = keep * 10 + (unsigned long)(*p - '0');
	if (has_digit && keep == 0)
		return AM_PERMFAIL;	/* §7.1: the number MUST be nonzero */
	if (p < end && (*p == 'r' || *p == 'R')) {
		is_rev = true;
		p++;
	}
	delims[0] = '\0';
	for (; p < end && *p != '\0' && strchr(".-+,/_=", *p) != NULL; p++) {
		if (strchr(delims, *p) == NULL && nd < sizeof(delims) - 1) {
			delims[nd++] = *p;
			delims[nd] = '\0';
		}
	}
	if (p >= end || *p != '}')
		return AM_PERMFAIL;
	*pp = p + 1;
	am_buf_init(&val, MACRO_VALUE_MAX);
	st = macro_value(env, (char)tolower((unsigned char)letter), &val);
	if (st == AM_OK)
		st = transform(am_buf_str(&val), nd ? delims : ".", keep,
		    is_rev, isupper((unsigned char)letter) != 0, out);
	am_buf_release(&val);
	return st;
}

/* check_env - every value a macro may need must be there. */
static void
check_env(const struct am_spf_macro_env *env, const char *text,
    struct am_buf *out)
{
	if (env == NULL || env->sender == NULL || env->domain == NULL ||
	    env->helo == NULL || env->receiver == NULL ||
	    env->client == NULL || text == NULL || out == NULL)
		AM_PANIC("am_spf_macro: NULL argument");
}

/* am_spf_macro_expand - macro-string text[0..len) appended to out. */
enum am_status
am_spf_macro_expand(const struct am_spf_macro_env *env, const char *text,
    size_t len, bool is_exp, struct am_buf *out)
{
	const char *p = text, *end = text + len;
	enum am_status st = AM_OK;

	check_env(env, text, out);
	while (p < end && st == AM_OK) {
		if (*p != '%') {
			st = am_buf_putc(out, *p++);
			continue;
		}
		if (++p >= end)
			return AM_PERMFAIL;
		if (*p == '%' || *p == '_' || *p == '-') {
			st = am_buf_puts(out, *p == '%' ? "%" : *p == '_' ?
			    " " : "%20");
			p++;
		} else if (*p == '{') {
			p++;
			st = expand_macro(env, &p, end, is_exp, out);
		} else
			st = AM_PERMFAIL;
	}
	return st;
}

/* am_spf_macro_domain - a domain-spec expanded, cut to 253 (§7.3). */
enum am_status
am_spf_macro_domain(const struct am_spf_macro_env *env, const char *spec,
    size_t len, struct am_buf *out)
{
	enum am_status st;
	size_t cut = 0;
	const char *s;

	check_env(env, spec, out);
	am_buf_reset(out);
	st = am_spf_macro_expand(env, spec, len, false, out);
	if (st != AM_OK)
		return st;
	if (out->len > 0 && out->data[out->len - 1] == '.')
		am_buf_truncate(out, out->len - 1);
	s = am_buf_str(out);
	while (out->len - cut > AM_DNS_MAX_NAME) {
		const char *dot = memchr(s + cut, '.', out->len - cut);

		if (dot == NULL)
			return AM_PERMFAIL;
		cut = (size_t)(dot - s) + 1;
	}
	if (cut > 0) {
		memmove(out->data, s + cut, out->len - cut);
		am_buf_truncate(out, out->len - cut);
	}
	return out->len > 0 ? AM_OK : AM_PERMFAIL;
}
