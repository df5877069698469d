/*
 * fuzz_authres.c - libFuzzer target for lib/authres (build: tests/fuzz/README).
 *
 * For every input: (1) parse it, ask am_authres_is_ours() about it, and when
 * it parses, rebuild a builder from the result, format it and require that
 * the output parses back to the same structure; (2) use the input (up to its
 * first NUL) as authserv-id, reason, comment and pvalue of a builder and
 * require that the output parses and gives each string back, with control
 * runs turned into one space. Any mismatch aborts, so the fuzzer reports it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "core/buf.h"
#include "msg/authres.h"

#define OUT_MAX	(8 * 1024 * 1024)

static void
check(int ok, const char *what, const char *got, const char *want)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_authres: %s: got [%s], want [%s]\n", what,
	    got ? got : "(null)", want ? want : "(null)");
	abort();
}

/* same - two parse results hold the same data (version aside). */
static int
same(const struct am_authres_parsed *a, const struct am_authres_parsed *b)
{
	const struct am_authres_method *x, *y;
	size_t i, j;

	if (strcmp(a->authserv_id, b->authserv_id) ||
	    a->is_none != b->is_none || a->nmethods != b->nmethods)
		return 0;
	for (i = 0; i < a->nmethods; i++) {
		x = &a->methods[i];
		y = &b->methods[i];
		if (strcmp(x->method, y->method) ||
		    strcmp(x->result, y->result) ||
		    (x->reason == NULL) != (y->reason == NULL) ||
		    (x->reason && strcmp(x->reason, y->reason)) ||
		    x->nprops != y->nprops)
			return 0;
		for (j = 0; j < x->nprops; j++)
			if (strcmp(x->props[j].ptype, y->props[j].ptype) ||
			    strcmp(x->props[j].property,
			    y->props[j].property) ||
			    strcmp(x->props[j].value, y->props[j].value))
				return 0;
	}
	return 1;
}

/* reformat - format a builder holding p's data; owned string. */
static char *
reformat(const struct am_authres_parsed *p)
{
	struct am_authres *ar = am_authres_new(p->authserv_id);
	const struct am_authres_method *m;
	struct am_buf b;
	size_t i, j;

	for (i = 0; i < p->nmethods; i++) {
		m = &p->methods[i];
		am_authres_add_method(ar, m->method, m->result, m->reason,
		    i % 2 ? "fuzz (comment) \\" : NULL);
		for (j = 0; j < m->nprops; j++)
			am_authres_add_prop(ar, m->props[j].ptype,
			    m->props[j].property, m->props[j].value);
	}
	am_buf_init(&b, OUT_MAX);
	check(am_authres_format(ar, &b) == AM_OK, "format", NULL, NULL);
	am_authres_free(ar);
	return am_buf_export(&b);
}

static void
parse_side(const char *data, size_t size)
{
	struct am_authres_parsed *p, *q;
	struct am_why why;
	char *text;
	bool ours;

	ours = am_authres_is_ours(data, size, "mx.example.org");
	if (am_authres_parse(data, size, &p, &why) != AM_OK)
		return;
	check(ours == am_authres_id_eq(p->authserv_id, "mx.example.org"),
	    "is_ours disagrees with parse", p->authserv_id, "mx.example.org");
	if (p->authserv_id[0] != '\0')
		check(am_authres_is_ours(data, size, p->authserv_id),
		    "is_ours of its own id", p->authserv_id, NULL);
	text = reformat(p);
	check(am_authres_parse(text, strlen(text), &q, &why) == AM_OK,
	    "re-parse", why.text, text);
	check(same(p, q), "round trip", text, data);
	am_authres_parsed_free(q);
	am_authres_parsed_free(p);
	free(text);
}

/* model - what the builder must keep of s: control runs become one space. */
static char *
model(const char *s)
{
	char *q = am_xstrdup(s);
	size_t i, n = 0;

	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
			q[n++] = s[i];
		else if (n == 0 || q[n - 1] != ' ' ||
		    ((unsigned char)s[i - 1] >= 0x20 && s[i - 1] != 0x7f))
			q[n++] = ' ';
	}
	q[n] = '\0';
	return q;
}

static void
build_side(const char *data, size_t size)
{
	char *s = am_xmemdup(data, size), *want = model(s), *text;
	struct am_authres *ar = am_authres_new(s);
	struct am_authres_parsed *p;
	struct am_why why;
	struct am_buf b;

	am_authres_add_method(ar, "dkim", "fail", s, s);
	am_authres_add_prop(ar, "header", "d", s);
	am_authres_add_prop(ar, "smtp", "mailfrom", "x@example.com");
	am_buf_init(&b, OUT_MAX);
	check(am_authres_format(ar, &b) == AM_OK, "format", NULL, NULL);
	text = am_buf_export(&b);
	check(strpbrk(text, "\r") == NULL, "CR in output", text, NULL);
	check(am_authres_parse(text, strlen(text), &p, &why) == AM_OK, "parse",
	    why.text, text);
	check(strcmp(p->authserv_id, want) == 0, "id", p->authserv_id, want);
	check(strcmp(p->methods[0].reason, want) == 0, "reason",
	    p->methods[0].reason, want);
	check(strcmp(p->methods[0].props[0].value, want) == 0, "value",
	    p->methods[0].props[0].value, want);
	am_authres_parsed_free(p);
	am_authres_free(ar);
	free(text);
	free(want);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_side((const char *)data, size);
	build_side((const char *)data, strnlen((const char *)data, size));
	return 0;
}
