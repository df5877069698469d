/*
 * report_ingest.c - one received aggregate report from XML (contract in
 * report_ingest.h): RFC 7489 Appendix C and RFC 9990 §2.1, read leniently.
 *
 * The parser is libxml2's, fenced in: a private SAX hook stops the parse at
 * the first <!DOCTYPE>, before any entity can be declared, so nothing is
 * ever expanded or loaded (OWASP XXE: refuse DTDs outright rather than
 * trust flags); XML_PARSE_NONET keeps the network out anyway, and
 * XML_PARSE_HUGE is never set, so libxml2's depth and node-size limits
 * hold. Errors are taken from the context (XML_PARSE_NOERROR: nothing is
 * printed). The tree is then read by local names, one level at a time.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/schemasInternals.h>
#include <libxml/xmlschemas.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "report/report_store.h"
#include "report/report_ingest.h"

#define NS_2_0		"urn:ietf:params:xml:ns:dmarc-2.0"
#define XSD_MAX		8
#define COUNT_MAX	(1ull << 40)

struct am_report_xsd {
	xmlSchemaPtr schema[XSD_MAX];	/* owned */
	char *ns[XSD_MAX];		/* owned; "" for none */
	size_t n;
};

struct walk {
	struct am_agg_report *r;	/* being filled */
	const struct am_ingest_limits *lim;
	struct am_why *why;		/* the refusal */
};

/* am_report_ingest_limits - the default bounds. */
void
am_report_ingest_limits(struct am_ingest_limits *lim)
{
	lim->max_bytes = AM_INGEST_MAX_BYTES;
	lim->max_records = AM_INGEST_MAX_RECORDS;
	lim->max_depth = AM_INGEST_MAX_DEPTH;
	lim->max_parts = AM_INGEST_MAX_PARTS;
}

struct parse_state {		/* ctxt->_private during a parse */
	bool has_dtd;		/* a <!DOCTYPE> was met */
	struct am_why first;	/* the first error */
};

/* refuse_dtd - SAX internalSubset hook: no DTD, stop here. */
static void
refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr c = ctx;
	struct parse_state *ps = c->_private;

	(void)name;
	(void)eid;
	(void)sid;
	ps->has_dtd = true;
	xmlStopParser(c);
}

/* parse_error - SAX structured error hook: keep the first error (the
 * last one is often a consequence). */
static void
parse_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr c = ctx;
	struct parse_state *ps = c->_private;

	if (ps->first.text[0] == '\0' && e != NULL && e->message != NULL)
		am_why_set(&ps->first, "line %d: %.*s", e->line,
		    (int)strcspn(e->message, "\n"), e->message);
}

/* is_named - n is an element with local name name (any namespace). */
static bool
is_named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

/* child - the first child element of n named name, or NULL. */
static const xmlNode *
child(const xmlNode *n, const char *name)
{
	const xmlNode *c;

	if (n == NULL)
		return NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (is_named(c, name))
			return c;
	return NULL;
}

/* cut_utf8 - the longest prefix of s[0..len) that is at most max bytes and
 * does not split a UTF-8 sequence. */
static size_t
cut_utf8(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/* node_text - n's own text (text and CDATA children), trimmed and cut, in
 * the report's pool; "" for NULL. is_word: lower-cased. */
static const char *
node_text(struct am_agg_report *r, const xmlNode *n, bool is_word)
{
	struct am_buf b;
	const xmlNode *c;
	const char *s, *t;
	char *p;
	size_t len, i;

	if (n == NULL)
		return "";
	am_buf_init(&b, 4 * AM_REPORT_STR_MAX);
	for (c = n->children; c != NULL; c = c->next)
		if ((c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) && c->content != NULL)
			(void)am_buf_append(&b, c->content, strnlen((const
			    char *)c->content, b.max_len - b.len));
	s = am_buf_str(&b);
	while (isspace((unsigned char)*s))
		s++;
	for (t = s + strlen(s); t > s && isspace((unsigned char)t[-1]); t--)
		;
	len = cut_utf8(s, (size_t)(t - s), AM_REPORT_STR_MAX);
	p = (char *)am_report_agg_strdup(r, s, len);
	am_buf_release(&b);
	for (i = 0; is_word && i < len; i++)
		p[i] = (char)tolower((unsigned char)p[i]);
	return p;
}

/* text_of - the text of n's child name. */
static const char *
text_of(struct am_agg_report *r, const xmlNode *n, const char *name,
    bool is_word)
{
	return node_text(r, child(n, name), is_word);
}

/* parse_int - s as a decimal integer in [0, max]. */
static bool
parse_int(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' && *v <= max;
}

/* read_metadata - report_metadata: who, which report, which period. */
static bool
read_metadata(struct walk *w, const xmlNode *m)
{
	struct am_agg_report *r = w->r;
	const xmlNode *d = child(m, "date_range"), *c;
	unsigned long long b, e;
	struct am_buf errs;

	r->org_name = text_of(r, m, "org_name", false);
	r->email = text_of(r, m, "email", false);
	r->extra_contact = text_of(r, m, "extra_contact_info", false);
	r->report_id = text_of(r, m, "report_id", false);
	r->generator = text_of(r, m, "generator", false);
	am_buf_init(&errs, AM_REPORT_STR_MAX);
	for (c = m != NULL ? m->children : NULL; c != NULL; c = c->next)
		if (is_named(c, "error"))
			(void)am_buf_printf(&errs, "%s%s", errs.len ? "; " :
			    "", node_text(r, c, false));
	r->errors = am_report_agg_strdup(r, am_buf_str(&errs), errs.len);
	am_buf_release(&errs);
	if (*r->org_name == '\0' || *r->report_id == '\0') {
		am_why_set(w->why, "no report_metadata %s", *r->org_name ==
		    '\0' ? "org_name" : "report_id");
		return false;
	}
	if (!parse_int(text_of(r, d, "begin", false), INT64_MAX / 4, &b) ||
	    !parse_int(text_of(r, d, "end", false), INT64_MAX / 4, &e) ||
	    b > e) {
		am_why_set(w->why, "date_range begin and end are not two "
		    "times (UTC seconds, begin <= end)");
		return false;
	}
	r->begin = (int64_t)b;
	r->end = (int64_t)e;
	return true;
}

/* read_policy - policy_published, as text. */
static bool
read_policy(struct walk *w, const xmlNode *p)
{
	struct am_agg_report *r = w->r;
	struct am_agg_policy *pol = &r->policy;

	pol->domain = text_of(r, p, "domain", true);
	pol->adkim = text_of(r, p, "adkim", true);
	pol->aspf = text_of(r, p, "aspf", true);
	pol->p = text_of(r, p, "p", true);
	pol->sp = text_of(r, p, "sp", true);
	pol->np = text_of(r, p, "np", true);
	pol->pct = text_of(r, p, "pct", false);
	pol->fo = text_of(r, p, "fo", false);
	pol->testing = text_of(r, p, "testing", true);
	pol->discovery = text_of(r, p, "discovery_method", true);
	if (*pol->domain == '\0') {
		am_why_set(w->why, "no policy_published domain");
		return false;
	}
	return true;
}

/* read_auth - auth_results: every dkim and spf entry, in order. */
static void
read_auth(struct am_agg_report *r, struct am_agg_record *rec,
    const xmlNode *a)
{
	const xmlNode *c;
	bool is_dkim;

	for (c = a != NULL ? a->children : NULL; c != NULL; c = c->next) {
		if (!(is_dkim = is_named(c, "dkim")) && !is_named(c, "spf"))
			continue;
		(void)am_report_agg_add_auth(r, rec, is_dkim,
		    text_of(r, c, "domain", true),
		    text_of(r, c, is_dkim ? "selector" : "scope", false),
		    text_of(r, c, "result", true));
	}
}

/* read_record - one <record>. */
static bool
read_record(struct walk *w, const xmlNode *n, size_t i)
{
	struct am_agg_report *r = w->r;
	const xmlNode *row = child(n, "row"), *pe, *id, *c;
	struct am_agg_record *rec;
	unsigned long long count;

	if (r->n_records >= w->lim->max_records) {
		am_why_set(w->why, "more than %zu records", w->lim->max_records);
		return false;
	}
	rec = am_report_agg_add_record(r);
	pe = child(row, "policy_evaluated");
	id = child(n, "identifiers");
	rec->source_ip = text_of(r, row, "source_ip", false);
	if (*rec->source_ip == '\0' || !parse_int(text_of(r, row, "count",
	    false), COUNT_MAX, &count)) {
		am_why_set(w->why, "record %zu: %s", i + 1, *rec->source_ip ==
		    '\0' ? "no source_ip" : "count is not an integer in "
		    "0..2^40");
		return false;
	}
	rec->count = count;
	rec->disposition = text_of(r, pe, "disposition", true);
	rec->dkim = text_of(r, pe, "dkim", true);
	rec->spf = text_of(r, pe, "spf", true);
	for (c = pe != NULL ? pe->children : NULL; c != NULL; c = c->next)
		if (is_named(c, "reason"))
			(void)am_report_agg_add_reason(r, rec,
			    text_of(r, c, "type", true),
			    text_of(r, c, "comment", false));
	rec->header_from = text_of(r, id, "header_from", true);
	rec->envelope_from = text_of(r, id, "envelope_from", true);
	rec->envelope_to = text_of(r, id, "envelope_to", true);
	read_auth(r, rec, child(n, "auth_results"));
	return true;
}

/* read_feedback - the whole report from its root element. */
static bool
read_feedback(struct walk *w, const xmlNode *root)
{
	const xmlNode *c;
	size_t i = 0;

	if (!is_named(root, "feedback")) {
		am_why_set(w->why, "the root element is <%.64s>, not <feedback>",
		    (const char *)root->name);
		return false;
	}
	w->r->format = root->ns != NULL && root->ns->href != NULL &&
	    strcmp((const char *)root->ns->href, NS_2_0) == 0 ? "rfc9990" :
	    "rfc7489";
	if (!read_metadata(w, child(root, "report_metadata")) ||
	    !read_policy(w, child(root, "policy_published")))
		return false;
	for (c = root->children; c != NULL; c = c->next)
		if (is_named(c, "record") && !read_record(w, c, i++))
			return false;
	return true;
}

/* first_error - a structured error handler keeping the first message. */
static void
first_error(void *arg, xmlErrorPtr e)
{
	struct am_why *why = arg;

	if (why->text[0] == '\0' && e != NULL && e->message != NULL)
		am_why_set(why, "line %d: %.*s", e->line,
		    (int)strcspn(e->message, "\n"), e->message);
}

/* validate - the schema of the root's namespace, if loaded; false with
 * the first error when the document does not validate. */
static bool
validate(const struct am_report_xsd *x, xmlDocPtr doc, struct am_why *warn)
{
	const xmlNode *root = xmlDocGetRootElement(doc);
	const char *ns = root->ns != NULL && root->ns->href != NULL ?
	    (const char *)root->ns->href : "";
	xmlSchemaValidCtxtPtr v;
	size_t i;
	int rc;

	for (i = 0; i < x->n && strcmp(x->ns[i], ns) != 0; i++)
		;
	if (i == x->n) {
		am_why_set(warn, "no schema for namespace \"%.100s\"", ns);
		return false;
	}
	if ((v = xmlSchemaNewValidCtxt(x->schema[i])) == NULL) {
		am_why_set(warn, "schema validation: out of memory");
		return false;
	}
	warn->text[0] = '\0';
	xmlSchemaSetValidStructuredErrors(v, first_error, warn);
	rc = xmlSchemaValidateDoc(v, doc);
	xmlSchemaFreeValidCtxt(v);
	if (rc != 0 && warn->text[0] == '\0')
		am_why_set(warn, "does not validate (libxml2 code %d)", rc);
	if (rc != 0)
		return false;
	warn->text[0] = '\0';
	return true;
}

/* quiet - a generic error handler that drops the message. */
static void
quiet(void *arg, const char *fmt, ...)
{
	(void)arg;
	(void)fmt;
}

/* read_doc - parse xml with the fences of the header; NULL with why. */
static xmlDocPtr
read_doc(const char *xml, size_t len, struct am_why *why)
{
	struct parse_state ps;
	xmlGenericErrorFunc old_fn;
	xmlParserCtxtPtr c;
	void *old_arg;
	xmlDocPtr doc;
	bool is_bad;

	xmlInitParser();
	if ((c = xmlNewParserCtxt()) == NULL) {
		am_why_set(why, "XML parser: out of memory");
		return NULL;
	}
	memset(&ps, 0, sizeof(ps));
	c->sax->internalSubset = refuse_dtd;
	c->sax->serror = parse_error;
	c->_private = &ps;
	/* encoding errors bypass the context and go to this thread's
	 * generic handler: silenced for the parse, then put back */
	old_fn = xmlGenericError;
	old_arg = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, quiet);
	doc = xmlCtxtReadMemory(c, xml, (int)len, "report.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlSetGenericErrorFunc(old_arg, old_fn);
	is_bad = doc == NULL || !c->wellFormed || c->errNo != XML_ERR_OK;
	if (ps.has_dtd)
		am_why_set(why, "a DTD (<!DOCTYPE>) is not allowed in a report "
		    "(entity expansion, external entities)");
	else if (is_bad)
		am_why_set(why, "not well-formed XML: %s", ps.first.text[0] !=
		    '\0' ? ps.first.text : "unknown error");
	if ((ps.has_dtd || is_bad) && doc != NULL) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(c);
	return doc;
}

/* am_report_ingest_parse - one report from untrusted XML. */
enum am_status
am_report_ingest_parse(const char *xml, size_t len,
    const struct am_ingest_limits *lim, const struct am_report_xsd *xsd,
    bool is_strict, struct am_agg_report **out, struct am_why *warn,
    struct am_why *why)
{
	struct walk w;
	xmlDocPtr doc;
	bool ok;

	if (xml == NULL || lim == NULL || out == NULL || warn == NULL ||
	    why == NULL)
		AM_PANIC("am_report_ingest_parse: NULL argument");
	*out = NULL;
	warn->text[0] = '\0';
	if (len > lim->max_bytes || len > INT_MAX) {
		am_why_set(why, "%zu bytes of XML is over the limit of %zu",
		    len, lim->max_bytes);
		return AM_PERMFAIL;
	}
	if ((doc = read_doc(xml, len, why)) == NULL)
		return AM_PERMFAIL;
	if (xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		am_why_set(why, "no root element");
		return AM_PERMFAIL;
	}
	if (xsd != NULL && !validate(xsd, doc, warn) && is_strict) {
		am_why_set(why, "strict: schema: %s", warn->text);
		warn->text[0] = '\0';
		xmlFreeDoc(doc);
		return AM_PERMFAIL;
	}
	w.r = am_report_agg_new();
	w.lim = lim;
	w.why = why;
	ok = read_feedback(&w, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	if (!ok) {
		am_report_agg_free(w.r);
		return AM_PERMFAIL;
	}
	*out = w.r;
	return AM_OK;
}

/* load_one - one XSD into x; false with why. */
static bool
load_one(struct am_report_xsd *x, const char *path, struct am_why *why)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;
	xmlDocPtr doc;

	/* read here, quietly (the schema parser would print its errors) */
	if ((doc = xmlReadFile(path, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) == NULL ||
	    (pc = xmlSchemaNewDocParserCtxt(doc)) == NULL) {
		am_why_set(why, "%s: cannot be read as XML", path);
		xmlFreeDoc(doc);
		return false;
	}
	why->text[0] = '\0';
	xmlSchemaSetParserStructuredErrors(pc, first_error, why);
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	xmlFreeDoc(doc);
	if (s == NULL) {
		am_why_set(why, "%s: not a usable schema", path);
		return false;
	}
	x->schema[x->n] = s;
	x->ns[x->n++] = am_xstrdup(s->targetNamespace != NULL ?
	    (const char *)s->targetNamespace : "");
	return true;
}

/* am_report_xsd_load - compile the schemas at paths. */
struct am_report_xsd *
am_report_xsd_load(const char *const *paths, size_t n, struct am_why *why)
{
	struct am_report_xsd *x;
	size_t i;

	if (paths == NULL || why == NULL)
		AM_PANIC("am_report_xsd_load: NULL argument");
	if (n > XSD_MAX) {
		am_why_set(why, "more than %d schemas", XSD_MAX);
		return NULL;
	}
	xmlInitParser();
	x = am_xcalloc(1, sizeof(*x));
	for (i = 0; i < n; i++)
		if (!load_one(x, paths[i], why))
			return am_report_xsd_free(x);
	return x;
}

/* am_report_xsd_free - release a schema set; accepts NULL. */
struct am_report_xsd *
am_report_xsd_free(struct am_report_xsd *x)
{
	size_t i;

	if (x == NULL)
		return NULL;
	for (i = 0; i < x->n; i++) {
		xmlSchemaFree(x->schema[i]);
		free(x->ns[i]);
	}
	free(x);
	return NULL;
}
