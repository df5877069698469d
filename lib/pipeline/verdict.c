/*
 * verdict.c - the action list of one message.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "pipeline/verdict.h"

#define SUMMARY_MAX 4096	/* bytes in the summary log line */

void
am_verdict_init(struct am_verdict *v)
{
	memset(v, 0, sizeof(*v));
	am_buf_init(&v->summary, SUMMARY_MAX);
}

void
am_verdict_release(struct am_verdict *v)
{
	size_t i;

	for (i = 0; i < v->ndel; i++)
		free(v->del[i].name);
	free(v->del);
	for (i = 0; i < v->nins; i++) {
		free(v->ins[i].name);
		free(v->ins[i].value);
	}
	free(v->ins);
	am_buf_release(&v->summary);
	am_verdict_init(v);
}

void
am_verdict_delete(struct am_verdict *v, const char *name, size_t n)
{
	if (n == 0)
		AM_PANIC("am_verdict_delete: occurrence is 1-based");
	v->del = am_xreallocarray(v->del, v->ndel + 1, sizeof(*v->del));
	v->del[v->ndel].name = am_xstrdup(name);
	v->del[v->ndel].n = n;
	v->ndel++;
}

void
am_verdict_insert(struct am_verdict *v, const char *name, const char *value)
{
	v->ins = am_xreallocarray(v->ins, v->nins + 1, sizeof(*v->ins));
	v->ins[v->nins].name = am_xstrdup(name);
	v->ins[v->nins].value = am_xstrdup(value);
	v->nins++;
}

/* copy_clean - copy text into out, replacing CR, LF and other controls. */
static void
copy_clean(char *out, size_t len, const char *text)
{
	size_t i;

	(void)snprintf(out, len, "%s", text ? text : "");
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 32 || out[i] == 127)
			out[i] = ' ';
}

void
am_verdict_set(struct am_verdict *v, enum am_disposition disp,
    const char *rcode, const char *xcode, const char *text)
{
	v->disp = disp;
	copy_clean(v->rcode, sizeof(v->rcode), rcode);
	copy_clean(v->xcode, sizeof(v->xcode), xcode);
	copy_clean(v->reply, sizeof(v->reply), text);
}

/* del_cmp - by name, then descending occurrence. */
static int
del_cmp(const void *a, const void *b)
{
	const struct am_hdr_delete *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

void
am_verdict_finish(struct am_verdict *v)
{
	if (v->ndel > 1)
		qsort(v->del, v->ndel, sizeof(*v->del), del_cmp);
}

const char *
am_disposition_name(enum am_disposition d)
{
	switch (d) {
	case AM_DISP_ACCEPT:
		return "accept";
	case AM_DISP_QUARANTINE:
		return "quarantine";
	case AM_DISP_REJECT:
		return "reject";
	case AM_DISP_TEMPFAIL:
		return "tempfail";
	}
	return "invalid";
}

const char *
am_verdict_reply_escape(const char *text, char *out, size_t len)
{
	size_t o = 0;

	if (len == 0)
		AM_PANIC("am_verdict_reply_escape: empty output");
	for (; *text && o + 2 < len; text++) {
		if (*text == '%')
			out[o++] = '%';
		out[o++] = *text;
	}
	out[o] = '\0';
	return out;
}
