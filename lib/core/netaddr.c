/*
 * netaddr.c - IP addresses and CIDR sets of netaddr.h.
 *
 * Addresses are parsed only by inet_pton(3); this file splits off the
 * [brackets] and the /prefix and nothing else. IPv4-mapped IPv6 addresses
 * (RFC 4291 section 2.5.5.2) are stored as IPv4, and a mapped CIDR block
 * (::ffff:a.b.c.d/n, n >= 96) becomes the IPv4 block a.b.c.d/(n-96), so one
 * rule matches both spellings of a client. A set is a flat array scanned
 * linearly: sets are small (InternalHosts) and built once per snapshot.
 * XXX a set of many thousands of blocks would want a radix tree.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "core/netaddr.h"

#define CIDR_TEXT_MAX	64	/* longest "[addr]/prefix" token accepted */
#define FILE_LINE_MAX	1024	/* longest line in a CIDR file */

/* One CIDR block; bits of bytes[] below prefix_len are zero. */
struct cidr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t bytes[16];	/* network order; 4 used for AF_INET */
	unsigned prefix_len;	/* bits: 0..32 or 0..128 */
};

struct am_netset {
	struct cidr *v;		/* owned array of n blocks */
	size_t n;		/* blocks in use */
	size_t cap;		/* blocks allocated */
};

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* addr_unmap - turn ::ffff:a.b.c.d into a.b.c.d; true if it was mapped. */
static bool
addr_unmap(struct am_addr *a)
{
	if (a->family != AF_INET6 || memcmp(a->bytes, v4mapped, 12) != 0)
		return false;
	memmove(a->bytes, a->bytes + 12, 4);
	memset(a->bytes + 4, 0, 12);
	a->family = AF_INET;
	return true;
}

/* addr_len - bytes of an address of this family. */
static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* am_addr_parse - text (optionally [bracketed]) to an address. */
enum am_status
am_addr_parse(const char *text, struct am_addr *out)
{
	char tmp[CIDR_TEXT_MAX];
	size_t len = strlen(text);

	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(tmp))
		return AM_PERMFAIL;
	memcpy(tmp, text, len);
	tmp[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, tmp, out->bytes) == 1) {
		out->family = AF_INET;
		return AM_OK;
	}
	if (inet_pton(AF_INET6, tmp, out->bytes) == 1) {
		out->family = AF_INET6;
		(void)addr_unmap(out);
		return AM_OK;
	}
	return AM_PERMFAIL;
}

/* am_addr_from_sockaddr - AF_INET/AF_INET6 socket address to an address. */
enum am_status
am_addr_from_sockaddr(const struct sockaddr *sa, struct am_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return AM_PERMFAIL;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		out->family = AF_INET;
		memcpy(out->bytes, &sin->sin_addr, 4);
		return AM_OK;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		out->family = AF_INET6;
		memcpy(out->bytes, &sin6->sin6_addr, 16);
		(void)addr_unmap(out);
		return AM_OK;
	}
	return AM_PERMFAIL;
}

/* am_addr_format - canonical text; "?" if the address or buffer is bad. */
const char *
am_addr_format(const struct am_addr *a, char *buf, size_t len)
{
	if (len == 0)
		AM_PANIC("am_addr_format: zero-length buffer");
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, a->bytes, buf, (socklen_t)len) == NULL) {
		buf[0] = '\0';		/* "" when not even "?" fits */
		if (len >= 2)
			AM_SNPRINTF_FIT(buf, len, "?");
	}
	return buf;
}

/* am_addr_is_loopback - 127.0.0.0/8 or ::1. */
bool
am_addr_is_loopback(const struct am_addr *a)
{
	static const uint8_t v6lo[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};

	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	if (a->family == AF_INET6)
		return memcmp(a->bytes, v6lo, 16) == 0 ||
		    (memcmp(a->bytes, v4mapped, 12) == 0 && a->bytes[12] == 127);
	return false;
}

/* am_netset_new - empty set. */
struct am_netset *
am_netset_new(void)
{
	return am_xcalloc(1, sizeof(struct am_netset));
}

/* am_netset_free - free a set; accepts NULL, returns NULL. */
struct am_netset *
am_netset_free(struct am_netset *set)
{
	if (set != NULL) {
		free(set->v);
		free(set);
	}
	return NULL;
}

/* prefix_match - whether the first bits of a and b agree. */
static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* mask_host - zero every bit of a (len bytes) after the first bits. */
static void
mask_host(uint8_t *a, size_t len, unsigned bits)
{
	size_t i = bits / 8;

	if (i >= len)
		return;
	if (bits % 8 != 0)
		a[i++] &= (uint8_t)(0xff << (8 - bits % 8));
	memset(a + i, 0, len - i);
}

/* parse_prefix - decimal prefix length no larger than max. */
static enum am_status
parse_prefix(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (*s == '\0' || strlen(s) > 3)
		return AM_PERMFAIL;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return AM_PERMFAIL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > max)
		return AM_PERMFAIL;
	*out = v;
	return AM_OK;
}

/* cidr_parse - "addr", "addr/n", "[addr]/n" into a block, reason in why. */
static enum am_status
cidr_parse(const char *text, struct cidr *c, struct am_why *why)
{
	char tmp[CIDR_TEXT_MAX], *slash;
	struct am_addr a;
	unsigned max;
	bool mapped;

	if (strlen(text) >= sizeof(tmp)) {
		am_why_set(why, "\"%.40s...\": too long for an address", text);
		return AM_PERMFAIL;
	}
	AM_SNPRINTF_FIT(tmp, sizeof(tmp), "%s", text);	/* length checked */
	if ((slash = strchr(tmp, '/')) != NULL)
		*slash++ = '\0';
	if (am_addr_parse(tmp, &a) != AM_OK) {
		am_why_set(why, "\"%s\": not an IP address or CIDR block", text);
		return AM_PERMFAIL;
	}
	/* A mapped block ::ffff:a.b.c.d/n is the IPv4 block a.b.c.d/(n-96). */
	mapped = a.family == AF_INET && strchr(tmp, ':') != NULL;
	max = a.family == AF_INET6 || mapped ? 128 : 32;
	c->prefix_len = max;
	if (slash != NULL && parse_prefix(slash, max, &c->prefix_len) != AM_OK) {
		am_why_set(why, "\"%s\": bad prefix length (0..%u)", text, max);
		return AM_PERMFAIL;
	}
	if (mapped && c->prefix_len < 96) {
		am_why_set(why, "\"%s\": IPv4-mapped block shorter than /96",
		    text);
		return AM_PERMFAIL;
	}
	if (mapped)
		c->prefix_len -= 96;
	c->family = a.family;
	memcpy(c->bytes, a.bytes, sizeof(c->bytes));
	mask_host(a.bytes, addr_len(a.family), c->prefix_len);
	if (memcmp(a.bytes, c->bytes, addr_len(a.family)) != 0) {
		char net[AM_ADDR_STRLEN];

		am_why_set(why, "\"%s\": host bits set below /%u (network is %s)",
		    text, mapped ? c->prefix_len + 96 : c->prefix_len,
		    am_addr_format(&a, net, sizeof(net)));
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* am_netset_add - add one block; nothing is added on error. */
enum am_status
am_netset_add(struct am_netset *set, const char *text, struct am_why *why)
{
	struct cidr c;

	if (set == NULL || text == NULL)
		AM_PANIC("am_netset_add: NULL argument");
	if (cidr_parse(text, &c, why) != AM_OK)
		return AM_PERMFAIL;
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 8;
		set->v = am_xreallocarray(set->v, set->cap, sizeof(*set->v));
	}
	set->v[set->n++] = c;
	return AM_OK;
}

/* trim - strip a '#' comment and surrounding white space, in place. */
static char *
trim(char *s)
{
	char *end;

	if ((end = strchr(s, '#')) != NULL)
		*end = '\0';
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* add_file - one block per line of path; the first error names path:line. */
static enum am_status
add_file(struct am_netset *set, const char *path, struct am_why *why)
{
	char line[FILE_LINE_MAX + 1], *s;
	struct am_why sub;
	enum am_status st = AM_OK;
	bool is_long, has_nul;
	unsigned long lineno = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		am_why_set(why, "%s: %s", path, strerror(errno));
		return AM_PERMFAIL;
	}
	while (st == AM_OK &&
	    am_read_line(fp, line, sizeof(line), &is_long, &has_nul) == 0) {
		lineno++;
		if (has_nul || is_long) {
			am_why_set(why, "%s:%lu: %s", path, lineno, has_nul ?
			    "NUL byte in line" : "line too long");
			st = AM_PERMFAIL;
		} else if (*(s = trim(line)) != '\0' &&
		    am_netset_add(set, s, &sub) != AM_OK) {
			am_why_set(why, "%s:%lu: %s", path, lineno, sub.text);
			st = AM_PERMFAIL;
		}
	}
	if (st == AM_OK && ferror(fp)) {
		am_why_set(why, "%s: read error", path);
		st = AM_PERMFAIL;
	}
	(void)fclose(fp);
	return st;
}

/* am_netset_add_list - comma/space separated blocks and /files. */
enum am_status
am_netset_add_list(struct am_netset *set, const char *list, struct am_why *why)
{
	const char *seps = ", \t\r\n\f\v";
	char *copy, *tok, *next;
	enum am_status st = AM_OK;

	if (set == NULL || list == NULL)
		AM_PANIC("am_netset_add_list: NULL argument");
	copy = am_xstrdup(list);
	for (tok = copy; st == AM_OK && *tok != '\0'; tok = next) {
		tok += strspn(tok, seps);
		next = tok + strcspn(tok, seps);
		if (*next != '\0')
			*next++ = '\0';
		if (*tok == '/')
			st = add_file(set, tok, why);
		else if (*tok != '\0')
			st = am_netset_add(set, tok, why);
	}
	free(copy);
	return st;
}

/* am_netset_contains - whether a is in any block of set. */
bool
am_netset_contains(const struct am_netset *set, const struct am_addr *a)
{
	struct am_addr u = *a;
	size_t i;

	(void)addr_unmap(&u);
	for (i = 0; set != NULL && i < set->n; i++)
		if (set->v[i].family == u.family &&
		    prefix_match(set->v[i].bytes, u.bytes, set->v[i].prefix_len))
			return true;
	return false;
}

/* am_netset_count - number of blocks in set. */
size_t
am_netset_count(const struct am_netset *set)
{
	return set != NULL ? set->n : 0;
}
