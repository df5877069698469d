/*
 * NAME        am_from - RFC 5322 address lists (From, Sender, Reply-To) and
 *             RFC 5321 envelope addresses, for DMARC and DKIM signing
 * SYNOPSIS    struct am_from *f; struct am_why why;
 *             if (am_from_parse(value, len, &f, &why) != AM_OK)
 *                 ... dmarc=permerror, reason why.text ...;
 *             for (i = 0; i < f->n; i++) use f->mbox[i].domain;
 *             f = am_from_free(f);
 * DESCRIPTION am_from_parse() parses one header *value* exactly as the milter
 *             receives it: leading whitespace, lines folded with "\n" or
 *             "\r\n", comments (nested, with quoted-pairs), quoted strings,
 *             `Name <a@x>`, bare `a@x`, lists of both, groups
 *             (`team: a@x, b@y;`, RFC 6854) and empty groups
 *             (`undisclosed-recipients:;`), and the RFC 5322 §4 obsolete
 *             forms: obs-phrase ("John Q. Public"), obs-local-part and
 *             obs-domain (CFWS around "." and "@"), obs-angle-addr (a source
 *             route `<@a,@b:u@x>`, dropped) and empty list elements
 *             (`a@x,,b@y`). It reads only value[0..len); NUL bytes inside
 *             len are an error. On AM_OK *out is an owned struct am_from
 *             (free with am_from_free()) holding every mailbox, in order,
 *             groups flattened. f->n is 0 only when the value consists of
 *             empty groups; DMARC treats that like a missing From. On
 *             AM_PERMFAIL *out is NULL (never a partial result) and why
 *             (may be NULL) holds the reason with the byte offset, e.g.
 *             "'>' without '<' at offset 7". Errors include: unbalanced
 *             "<" or ">", text after an address, a word list without "@"
 *             ("Smith, John <j@x>" is two addresses, the first invalid), empty
 *             local-part or domain, an unquoted space in a local-part, `<>`,
 *             nested groups, a group without ";", a line break not followed
 *             by whitespace, control characters, comments nested deeper than
 *             AM_FROM_MAX_DEPTH, more than AM_FROM_MAX_MAILBOXES mailboxes,
 *             len > AM_FROM_MAX_LEN, and any domain that fails
 *             am_domain_normalise(). The parser is linear in len.
 *             Lenient on purpose: consecutive, leading or trailing dots in a
 *             local-part ("a..b@docomo.ne.jp", old Japanese mobile mail; the
 *             domain is unambiguous) and one trailing dot on a domain
 *             ("a@example.com." is example.com). 8-bit bytes are accepted in
 *             atoms, quoted strings and comments (RFC 6532; raw UTF-8 display
 *             names), not validated; RFC 2047 encoded-words are not decoded.
 *             Each mailbox: local is the local-part without quoting and
 *             without CFWS ("john doe" for "john doe"@x, "a.b" for a . b@x);
 *             domain is am_domain_normalise()d (lower-case A-labels), or, when
 *             is_literal, the domain-literal with its brackets, whitespace
 *             removed and lower-cased ("[ipv6:2001:db8::1]"), its content not
 *             checked beyond RFC 5322 dtext; display is the display name with
 *             quoting removed, quoted-pairs resolved, folds unfolded and
 *             words joined by one space where CFWS separated them
 *             ("a\"b" -> a"b), "" for `"" <a@x>`, NULL when the mailbox has
 *             no display name (`a@x`, `<a@x>`). A group's own name is
 *             dropped. A display name is never taken as the address: in
 *             `"<evil@attacker.example>" <me@x>` the domain is x.
 *
 *             am_addr_spec_parse() parses an envelope address (RFC 5321
 *             Path: the MAIL FROM or RCPT TO argument; one pair of angle
 *             brackets is removed if present) from a C string: an optional
 *             source route `@a,@b:` (checked, then dropped), a Dot-string or
 *             Quoted-string local-part, "@", and a domain (normalised as
 *             above) or address-literal (kept with its brackets, lower-cased:
 *             test domain[0] == '['). No whitespace or comments. On AM_OK
 *             *local and *domain are owned (free()); on AM_PERMFAIL both are
 *             NULL. The null sender ("" or "<>") is AM_PERMFAIL with the
 *             reason "null sender" exactly, so a caller can tell it apart
 *             (SPF then checks the HELO name). Longer than AM_ADDR_MAX_LEN
 *             is an error.
 *
 *             am_domain_is_valid() is true for a DNS host name in normalised
 *             form: 1..253 characters, dot-separated labels of 1..63 letters,
 *             digits and hyphens, no label starting or ending with "-", no
 *             trailing dot. Either case passes; A-labels ("xn--...") pass
 *             (their Punycode is not decoded).
 *             am_domain_normalise() writes into out (outlen bytes, at least
 *             AM_DOMAIN_MAX_LEN + 1 for any valid domain) the domain in,
 *             lower-cased, with one trailing dot removed and, when it has
 *             bytes >= 0x80, converted from UTF-8 to A-labels with libidn2
 *             (IDNA2008 + UTS #46 non-transitional, NFC applied). The result
 *             must pass am_domain_is_valid(), else AM_PERMFAIL with the reason
 *             ("empty label in domain", "domain label longer than 63
 *             characters", "invalid IDN: ...", ...). in and out may be the
 *             same buffer. Output too long for outlen is AM_PERMFAIL.
 * THREADS     reentrant; results have one owner.
 * DIAGNOSTICS AM_PERMFAIL with the reason in why (why may be NULL); a NULL
 *             pointer argument (other than why, and the struct am_from given
 *             to am_from_free()) is an interface violation: abort().
 * SEE ALSO    RFC 5322 §3.4, §4.4; RFC 5321 §4.1.2; RFC 6854; RFC 6532;
 *             RFC 5890/5891 and UTS #46; RFC 7489 §6.6.1 (what DMARC does
 *             with several mailboxes: lib/dmarc, not here).
 */
#ifndef AM_FROM_H
#define AM_FROM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"

#define AM_FROM_MAX_MAILBOXES	64	/* mailboxes in one header value */
#define AM_FROM_MAX_DEPTH	32	/* comment nesting */
#define AM_FROM_MAX_LEN		65536	/* bytes of header value */
#define AM_ADDR_MAX_LEN		2048	/* bytes of an envelope address */
#define AM_DOMAIN_MAX_LEN	253	/* characters, no trailing dot */
#define AM_DOMAIN_LABEL_MAX_LEN	63	/* characters in one label */

/* am_from_mailbox - one mailbox; its strings are owned by the am_from. */
struct am_from_mailbox {
	char *display;		/* unquoted display name; NULL when absent */
	char *local;		/* local-part, unquoted; never empty */
	char *domain;		/* lower-case A-label form, or "[...]" */
	bool is_literal;	/* domain is a domain-literal "[...]" */
};

/* am_from - a parsed address list; public result struct, read-only. */
struct am_from {
	size_t n;			/* mailboxes in mbox[] (0..64) */
	struct am_from_mailbox *mbox;	/* n entries, owned */
};

enum am_status am_from_parse(const char *value, size_t len,
    struct am_from **out, struct am_why *why) AM_WUR;
struct am_from *am_from_free(struct am_from *f);

enum am_status am_addr_spec_parse(const char *addr, char **local,
    char **domain, struct am_why *why) AM_WUR;

bool am_domain_is_valid(const char *domain);
enum am_status am_domain_normalise(const char *in, char *out, size_t outlen,
    struct am_why *why) AM_WUR;

#endif
