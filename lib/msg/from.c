/*
 * from.c - RFC 5322 §3.4 address lists with the §4.4 obsolete forms and
 * RFC 6854 groups; RFC 5321 §4.1.2 paths. A recursive-descent parser over
 * the tokens of from_lex.c, with one token of lookahead and no
 * backtracking, so time is linear in the input. A run of words is collected
 * once as both display name and local-part, and the token after it ("@",
 * "<", ":") decides which it was: a quoted "<evil@attacker.example>"
 * display name is never read as the address (PITFALLS.md, libopendmarc).
 * Domains are checked and converted to A-labels by from_domain.c.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/am.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "msg/from.h"
#include "msg/from_impl.h"

struct parser {
	struct lex lx;		/* input */
	struct tok t;		/* current (lookahead) token */
	struct am_from *f;	/* result being built, owned */
	size_t cap;		/* entries allocated in f->mbox */
	struct am_buf display;	/* collected words as a display name */
	struct am_buf local;	/* the same words as a local-part */
	struct am_buf domain;	/* raw domain text */
	size_t nwords;		/* atoms and quoted strings collected */
	bool is_spaced;		/* two words without a "." between them */
};

/* --- parser */

/* advance - move to the next token. */
static enum am_status
advance(struct parser *ps)
{
	return am_from_lex_next(&ps->lx, &ps->t);
}

/* is_special - the current token is the special character c. */
static bool
is_special(const struct parser *ps, char c)
{
	return ps->t.kind == T_SPECIAL && ps->t.c == c;
}

/* perr - "what at offset N" for the current token. */
static enum am_status
perr(struct parser *ps, const char *what)
{
	return lex_fail(&ps->lx, ps->t.off, what);
}

/* unexpected - name the current token in an error "... where". */
static enum am_status
unexpected(struct parser *ps, const char *where)
{
	static const char *const name[] = { "end of value", "word",
	    "quoted string", "domain literal", "special" };
	const struct tok *t = &ps->t;

	if (t->kind == T_SPECIAL)
		am_why_set(ps->lx.why, "unexpected '%c' %s at offset %zu",
		    t->c, where, t->off);
	else
		am_why_set(ps->lx.why, "unexpected %s %s at offset %zu",
		    name[t->kind], where, t->off);
	return AM_PERMFAIL;
}

/* tok_text - append the token's text: unquoted, unfolded, no WSP in LIT. */
static enum am_status
tok_text(struct am_buf *b, const struct tok *t)
{
	size_t i;
	char c;

	if (t->kind == T_ATOM || t->kind == T_SPECIAL)
		return am_buf_append(b, t->p, t->len);
	for (i = 0; i < t->len; i++) {
		c = t->p[i];
		if (c == '\r' || c == '\n' ||
		    (t->kind == T_LIT && (c == ' ' || c == '\t')))
			continue;
		if (c == '\\')
			c = t->p[++i];	/* the lexer checked it is there */
		if (am_buf_putc(b, t->kind == T_LIT ? lower(c) : c) != AM_OK)
			return AM_PERMFAIL;
	}
	return AM_OK;
}

/* collect_words - a run of words and dots, as display name and local-part. */
static enum am_status
collect_words(struct parser *ps)
{
	const struct tok *t = &ps->t;
	bool is_word, prev_word = false;

	am_buf_reset(&ps->display);
	am_buf_reset(&ps->local);
	ps->nwords = 0;
	ps->is_spaced = false;
	for (;;) {
		is_word = t->kind == T_ATOM || t->kind == T_QSTR;
		if (!is_word && !is_special(ps, '.'))
			return AM_OK;
		if (is_word) {
			ps->is_spaced |= prev_word;
			ps->nwords++;
		}
		prev_word = is_word;
		if ((t->has_space && ps->display.len > 0 &&
		    am_buf_putc(&ps->display, ' ') != AM_OK) ||
		    tok_text(&ps->display, t) != AM_OK ||
		    tok_text(&ps->local, t) != AM_OK)
			return perr(ps, "value too long");
		if (advance(ps) != AM_OK)
			return AM_PERMFAIL;
	}
}

/* take_local - the collected words as a local-part (owned copy). */
static enum am_status
take_local(struct parser *ps, size_t off, char **local)
{
	/*
	 * Dots are not checked (obs-local-part needs a word between them):
	 * "a..b@docomo.ne.jp" still exists, and the domain is unambiguous.
	 */
	if (ps->nwords == 0 || ps->local.len == 0)
		return lex_fail(&ps->lx, off, "empty local-part");
	if (ps->is_spaced)
		return lex_fail(&ps->lx, off, "unquoted space in local-part");
	*local = am_xstrdup(am_buf_str(&ps->local));
	return AM_OK;
}

/* parse_domain - domain after "@": owned, normalised, or a literal. */
static enum am_status
parse_domain(struct parser *ps, char **out, bool *is_literal)
{
	char norm[AM_DOMAIN_MAX_LEN + 1];
	struct am_why why;
	size_t off = ps->t.off;

	am_buf_reset(&ps->domain);
	*is_literal = ps->t.kind == T_LIT;
	if (ps->t.kind != T_ATOM && !*is_literal)
		return unexpected(ps, "instead of a domain");
	for (;;) {
		if (tok_text(&ps->domain, &ps->t) != AM_OK)
			return perr(ps, "value too long");
		if (advance(ps) != AM_OK)
			return AM_PERMFAIL;
		if (*is_literal || !is_special(ps, '.'))
			break;
		if (advance(ps) != AM_OK)
			return AM_PERMFAIL;
		if (is_special(ps, '.'))
			return perr(ps, "empty label in domain");
		if (ps->t.kind != T_ATOM)
			break;	/* one trailing dot: dropped */
		if (am_buf_putc(&ps->domain, '.') != AM_OK)
			return perr(ps, "value too long");
	}
	if (*is_literal) {
		*out = am_xmalloc(ps->domain.len + 3);
		memcpy(*out + 1, am_buf_str(&ps->domain), ps->domain.len);
		(*out)[0] = '[';
		memcpy(*out + ps->domain.len + 1, "]", 2);
		return AM_OK;
	}
	if (am_domain_normalise(am_buf_str(&ps->domain), norm, sizeof(norm),
	    &why) != AM_OK)
		return lex_fail(&ps->lx, off, why.text);
	*out = am_xstrdup(norm);
	return AM_OK;
}

/* parse_route - obs-route "@a,@b:" inside angle brackets; dropped. */
static enum am_status
parse_route(struct parser *ps)
{
	char *d;
	bool is_literal, is_at;

	while (is_special(ps, '@') || is_special(ps, ',')) {
		is_at = is_special(ps, '@');
		if (advance(ps) != AM_OK || (is_at &&
		    parse_domain(ps, &d, &is_literal) != AM_OK))
			return AM_PERMFAIL;
		if (is_at)
			free(d);
	}
	if (!is_special(ps, ':'))
		return unexpected(ps, "in source route");
	return advance(ps);
}

/* parse_angle - after "<": [route] addr-spec ">". */
static enum am_status
parse_angle(struct parser *ps, struct am_from_mailbox *m)
{
	size_t off = ps->t.off;

	if (is_special(ps, '@') && parse_route(ps) != AM_OK)
		return AM_PERMFAIL;
	if (is_special(ps, '>'))
		return perr(ps, "empty address '<>'");
	if (collect_words(ps) != AM_OK)
		return AM_PERMFAIL;
	if (!is_special(ps, '@'))
		return ps->t.kind == T_END ? perr(ps, "'<' without '>'") :
		    unexpected(ps, "in angle address (missing '@'?)");
	if (take_local(ps, off, &m->local) != AM_OK || advance(ps) != AM_OK ||
	    parse_domain(ps, &m->domain, &m->is_literal) != AM_OK)
		return AM_PERMFAIL;
	if (ps->t.kind == T_END)
		return perr(ps, "'<' without '>'");
	if (!is_special(ps, '>'))
		return unexpected(ps, "in angle address");
	return advance(ps);
}

/* add_mailbox - append m (taken, cleared) to the result. */
static enum am_status
add_mailbox(struct parser *ps, struct am_from_mailbox *m, size_t off)
{
	struct am_from *f = ps->f;

	if (f->n >= AM_FROM_MAX_MAILBOXES) {
		am_why_set(ps->lx.why, "more than %d mailboxes at offset %zu",
		    AM_FROM_MAX_MAILBOXES, off);
		return AM_PERMFAIL;
	}
	if (f->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 4;
		f->mbox = am_xreallocarray(f->mbox, ps->cap, sizeof(*f->mbox));
	}
	f->mbox[f->n++] = *m;
	memset(m, 0, sizeof(*m));
	return AM_OK;
}

static enum am_status parse_list(struct parser *, bool);

/* parse_mailbox - mailbox or group at the current token into the result. */
static enum am_status
parse_mailbox(struct parser *ps, struct am_from_mailbox *m, bool in_group)
{
	size_t off = ps->t.off;

	if (collect_words(ps) != AM_OK)
		return AM_PERMFAIL;
	if (is_special(ps, '@')) {
		if (take_local(ps, off, &m->local) != AM_OK ||
		    advance(ps) != AM_OK ||
		    parse_domain(ps, &m->domain, &m->is_literal) != AM_OK)
			return AM_PERMFAIL;
		return add_mailbox(ps, m, off);
	}
	if (is_special(ps, '<')) {
		if (ps->nwords > 0)
			m->display = am_xstrdup(am_buf_str(&ps->display));
		if (advance(ps) != AM_OK || parse_angle(ps, m) != AM_OK)
			return AM_PERMFAIL;
		return add_mailbox(ps, m, off);
	}
	if (is_special(ps, ':')) {
		if (in_group)
			return perr(ps, "group inside a group");
		if (ps->nwords == 0)
			return perr(ps, "group without a name");
		if (advance(ps) != AM_OK)
			return AM_PERMFAIL;
		return parse_list(ps, true);
	}
	if (is_special(ps, '>'))
		return perr(ps, "'>' without '<'");
	if (ps->nwords > 0)
		return lex_fail(&ps->lx, off, "address without '@'");
	return unexpected(ps, "instead of an address");
}

/* parse_address - one list element; m is cleared whatever happens. */
static enum am_status
parse_address(struct parser *ps, bool in_group)
{
	struct am_from_mailbox m = { NULL, NULL, NULL, false };
	enum am_status st;

	st = parse_mailbox(ps, &m, in_group);
	free(m.display);
	free(m.local);
	free(m.domain);
	return st;
}

/* after_address - what may follow an address: ",", end, ";" in a group. */
static enum am_status
after_address(struct parser *ps, bool in_group)
{
	if (is_special(ps, ',') || ps->t.kind == T_END ||
	    (in_group && is_special(ps, ';')))
		return AM_OK;
	if (is_special(ps, '>'))
		return perr(ps, "'>' without '<'");
	if (is_special(ps, ';'))
		return perr(ps, "';' outside a group");
	return unexpected(ps, "after address");
}

/* parse_list - address-list (obs: empty elements), or a group's after ":". */
static enum am_status
parse_list(struct parser *ps, bool in_group)
{
	size_t naddr = 0;

	for (;;) {
		if (in_group && is_special(ps, ';'))
			return advance(ps);
		if (ps->t.kind == T_END && (in_group || naddr == 0))
			return perr(ps, in_group ? "group without ';'" :
			    "no address");
		if (ps->t.kind == T_END)
			return AM_OK;
		if (is_special(ps, ',')) {
			if (advance(ps) != AM_OK)
				return AM_PERMFAIL;
			continue;
		}
		if (parse_address(ps, in_group) != AM_OK ||
		    after_address(ps, in_group) != AM_OK)
			return AM_PERMFAIL;
		naddr++;
	}
}

/* am_from_parse - parse a From/Sender/Reply-To value; see from.h. */
enum am_status
am_from_parse(const char *value, size_t len, struct am_from **out,
    struct am_why *why)
{
	struct parser ps;
	enum am_status st;

	if (value == NULL || out == NULL)
		AM_PANIC("am_from_parse: NULL argument");
	*out = NULL;
	if (len > AM_FROM_MAX_LEN) {
		am_why_set(why, "value longer than %d bytes", AM_FROM_MAX_LEN);
		return AM_PERMFAIL;
	}
	memset(&ps, 0, sizeof(ps));
	ps.lx.p = value;
	ps.lx.len = len;
	ps.lx.why = why;
	ps.f = am_xcalloc(1, sizeof(*ps.f));
	am_buf_init(&ps.display, AM_FROM_MAX_LEN);
	am_buf_init(&ps.local, AM_FROM_MAX_LEN);
	am_buf_init(&ps.domain, AM_FROM_MAX_LEN);
	st = advance(&ps);
	if (st == AM_OK)
		st = parse_list(&ps, false);
	am_buf_release(&ps.display);
	am_buf_release(&ps.local);
	am_buf_release(&ps.domain);
	if (st != AM_OK) {
		(void)am_from_free(ps.f);
		return st;
	}
	*out = ps.f;
	return AM_OK;
}

/* am_from_free - free a result; NULL is fine; returns NULL. */
struct am_from *
am_from_free(struct am_from *f)
{
	size_t i;

	if (f == NULL)
		return NULL;
	for (i = 0; i < f->n; i++) {
		free(f->mbox[i].display);
		free(f->mbox[i].local);
		free(f->mbox[i].domain);
	}
	free(f->mbox);
	free(f);
	return NULL;
}

/*
 * --- envelope: RFC 5321 paths go through the header parser as "<addr>", whose
 * obs-route and quoting are a superset; what RFC 5321 lacks (CFWS, folds,
 * lists, display names) is refused first, outside quoted-strings.
 */

/* env_check - no whitespace, comments or angle brackets outside quotes. */
static enum am_status
env_check(const char *addr, size_t len, struct am_why *why)
{
	bool is_quoted = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (is_quoted && addr[i] == '\\')
			i++;
		else if (addr[i] == '"')
			is_quoted = !is_quoted;
		else if (!is_quoted && strchr(" \t\r\n()<>", addr[i]) != NULL) {
			am_why_set(why, "unexpected '%c' in address at "
			    "offset %zu", addr[i] == '\t' ? ' ' : addr[i], i);
			return AM_PERMFAIL;
		}
	}
	return AM_OK;
}

/* am_addr_spec_parse - envelope address into local-part and domain. */
enum am_status
am_addr_spec_parse(const char *addr, char **local, char **domain,
    struct am_why *why)
{
	struct am_from *f = NULL;
	char wrapped[AM_ADDR_MAX_LEN + 2];
	size_t len;

	if (addr == NULL || local == NULL || domain == NULL)
		AM_PANIC("am_addr_spec_parse: NULL argument");
	*local = *domain = NULL;
	len = strnlen(addr, AM_ADDR_MAX_LEN + 3);
	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
		addr++;
		len -= 2;
	}
	if (len == 0 || len > AM_ADDR_MAX_LEN) {
		am_why_set(why, len ? "address longer than %d bytes" :
		    "null sender", AM_ADDR_MAX_LEN);
		return AM_PERMFAIL;
	}
	wrapped[0] = '<';
	memcpy(wrapped + 1, addr, len);
	wrapped[len + 1] = '>';
	if (env_check(addr, len, why) != AM_OK ||
	    am_from_parse(wrapped, len + 2, &f, why) != AM_OK)
		return AM_PERMFAIL;
	if (f->n != 1) {
		am_why_set(why, "not one address");
		(void)am_from_free(f);
		return AM_PERMFAIL;
	}
	*local = f->mbox[0].local;
	*domain = f->mbox[0].domain;
	f->mbox[0].local = f->mbox[0].domain = NULL;
	(void)am_from_free(f);
	return AM_OK;
}
