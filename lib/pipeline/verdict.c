/*
 * verdict.c - the action list of one message, and the plan the milter
 * adapter executes (DESIGN.md: headers we add go at index 0, above the
 * MTA's Received; headers we delete go in descending index).
 */
#include "autoconf.h"

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
	for (i = 0; i < v->nops; i++)
		free(v->ops[i].value);
	free(v->ops);
	free(v->smtp_text);
	free(v->dmarc);
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

/* copy_clean - text into out (len bytes), CR, LF and other controls
 * replaced; a text that does not fit is the caller's bug. */
static void
copy_clean(char *out, size_t len, const char *text)
{
	size_t i, n = strlen(text ? text : "");

	if (n >= len)
		AM_PANIC("am_verdict_set: %zu-byte text for a %zu-byte field",
		    n, len);
	memcpy(out, text ? text : "", n + 1);
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

/* plan_insert - one insertion step at index 0. */
static void
plan_insert(struct am_hdr_op *op, const struct am_hdr_insert *ins,
    bool has_leadspc)
{
	size_t len = strlen(ins->value);

	op->kind = AM_HDR_OP_INSERT;
	op->name = ins->name;
	op->n = 0;
	op->value = am_xmalloc(len + 2);
	op->value[0] = ' ';
	memcpy(op->value + (has_leadspc ? 1 : 0), ins->value, len + 1);
}

/* am_verdict_plan - the steps the adapter executes (see the header). */
void
am_verdict_plan(struct am_verdict *v, bool has_leadspc)
{
	size_t i, o = 0;

	if (v->nops > 0 || v->smtp_text != NULL)
		AM_PANIC("am_verdict_plan: planned twice");
	if (v->disp == AM_DISP_REJECT || v->disp == AM_DISP_TEMPFAIL) {
		v->smtp_text = am_xmalloc(2 * sizeof(v->reply) + 1);
		(void)am_verdict_reply_escape(v->reply, v->smtp_text,
		    2 * sizeof(v->reply) + 1);
		return;
	}
	if (v->ndel + v->nins == 0)
		return;
	v->ops = am_xcalloc(v->ndel + v->nins, sizeof(*v->ops));
	for (i = 0; i < v->ndel; i++, o++) {
		v->ops[o].kind = AM_HDR_OP_DELETE;
		v->ops[o].name = v->del[i].name;
		v->ops[o].n = v->del[i].n;
	}
	/* Each insertion at 0 pushes the previous ones down: bottom first. */
	for (i = v->nins; i-- > 0; o++)
		plan_insert(&v->ops[o], &v->ins[i], has_leadspc);
	v->nops = o;
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
