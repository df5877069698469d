/*
 * report_agg.c - received aggregate reports in memory and in the store
 * (contract in report_agg.h; the backend side in report_backend.h).
 *
 * A report's strings and lists live in a pool of chunks freed at once; its
 * records are one array grown by doubling. To the backends a report is flat:
 * text columns, with a record's lists encoded as "LEN:BYTES" fields (the
 * encoding of the rows table, report_store.c), decoded again on the way out
 * into a scratch report that is reset per record.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "report/report_backend.h"
#include "report/report_store.h"
#include "report/report_agg.h"

#define POOL_CHUNK	16384
#define LIST_FIRST	2

struct pool_chunk {
	struct pool_chunk *next;	/* older chunk */
	size_t used;			/* bytes handed out */
	size_t cap;			/* bytes in data */
	max_align_t data[];
};

struct am_agg_pool {
	struct pool_chunk *head;	/* owned chain */
};

struct am_report_agg_db {
	const struct am_report_backend *be;	/* immutable */
	void *h;				/* backend handle, owned */
};

const char *const am_report_agg_rcol[AM_AR_N] = {
	"format", "org_name", "email", "extra_contact", "report_id",
	"generator", "errors", "origin", "domain", "adkim", "aspf", "p", "sp",
	"np", "pct", "fo", "testing", "discovery",
};

const char *const am_report_agg_ccol[AM_AC_N] = {
	"source_ip", "disposition", "dkim", "spf", "header_from",
	"envelope_from", "envelope_to", "reasons", "dkim_auth", "spf_auth",
};

/* pool_alloc - len zeroed bytes, aligned, freed with the pool. */
static void *
pool_alloc(struct am_agg_pool *p, size_t len)
{
	struct pool_chunk *c = p->head;
	size_t al = sizeof(max_align_t), cap;
	void *m;

	len = (len + al - 1) / al * al;
	if (c == NULL || c->cap - c->used < len) {
		cap = len > POOL_CHUNK ? len : POOL_CHUNK;
		c = am_xmalloc(sizeof(*c) + cap);
		c->next = p->head;
		c->used = 0;
		c->cap = cap;
		p->head = c;
	}
	m = (char *)c->data + c->used;
	c->used += len;
	memset(m, 0, len);
	return m;
}

/* pool_reset - free every chunk but the newest, and empty that one. */
static void
pool_reset(struct am_agg_pool *p)
{
	struct pool_chunk *c, *next;

	if (p->head == NULL)
		return;
	for (c = p->head->next; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	p->head->next = NULL;
	p->head->used = 0;
}

/* clear_strings - every string field of r (not records) to "". */
static void
clear_strings(struct am_agg_report *r)
{
	struct am_agg_policy *p = &r->policy;

	r->format = r->org_name = r->email = r->extra_contact = "";
	r->report_id = r->generator = r->errors = r->origin = "";
	p->domain = p->adkim = p->aspf = p->p = p->sp = p->np = "";
	p->pct = p->fo = p->testing = p->discovery = "";
}

/* am_report_agg_new - an empty report with its pool. */
struct am_agg_report *
am_report_agg_new(void)
{
	struct am_agg_report *r = am_xcalloc(1, sizeof(*r));

	r->pool = am_xcalloc(1, sizeof(*r->pool));
	clear_strings(r);
	return r;
}

/* am_report_agg_free - release r; accepts NULL, returns NULL. */
struct am_agg_report *
am_report_agg_free(struct am_agg_report *r)
{
	if (r == NULL)
		return NULL;
	pool_reset(r->pool);
	free(r->pool->head);
	free(r->pool);
	free(r->records);
	free(r);
	return NULL;
}

/* am_report_agg_strdup - len bytes of s and a NUL, in r's pool. */
const char *
am_report_agg_strdup(struct am_agg_report *r, const char *s, size_t len)
{
	char *p;

	if (r == NULL || (s == NULL && len > 0))
		AM_PANIC("am_report_agg_strdup: NULL argument");
	p = pool_alloc(r->pool, len + 1);
	if (len > 0)
		memcpy(p, s, len);
	return p;
}

/* am_report_agg_add_record - append an empty record. */
struct am_agg_record *
am_report_agg_add_record(struct am_agg_report *r)
{
	struct am_agg_record *rec;

	if (r->n_records == r->cap_records) {
		r->cap_records = r->cap_records ? r->cap_records * 2 : 16;
		r->records = am_xreallocarray(r->records, r->cap_records,
		    sizeof(*r->records));
	}
	rec = &r->records[r->n_records++];
	memset(rec, 0, sizeof(*rec));
	rec->source_ip = rec->disposition = rec->dkim = rec->spf = "";
	rec->header_from = rec->envelope_from = rec->envelope_to = "";
	return rec;
}

/* grow - room for entry n of a pool list of elem-byte entries. A list
 * holds LIST_FIRST entries, then doubles: it is full exactly when n is a
 * power of two not below LIST_FIRST (so no capacity is kept). */
static void *
grow(struct am_agg_pool *p, void *list, size_t n, size_t elem)
{
	void *bigger;

	if (n == 0)
		return pool_alloc(p, LIST_FIRST * elem);
	if (n < LIST_FIRST || (n & (n - 1)) != 0)
		return list;
	bigger = pool_alloc(p, 2 * n * elem);
	memcpy(bigger, list, n * elem);
	return bigger;
}

/* am_report_agg_add_reason - append a reason; false when the list is full. */
bool
am_report_agg_add_reason(struct am_agg_report *r, struct am_agg_record *rec,
    const char *type, const char *comment)
{
	if (rec->n_reasons >= AM_REPORT_LIST_MAX)
		return false;
	rec->reasons = grow(r->pool, rec->reasons, rec->n_reasons,
	    sizeof(*rec->reasons));
	rec->reasons[rec->n_reasons].type = type;
	rec->reasons[rec->n_reasons++].comment = comment;
	return true;
}

/* am_report_agg_add_auth - append an auth result; false when full. */
bool
am_report_agg_add_auth(struct am_agg_report *r, struct am_agg_record *rec,
    bool is_dkim, const char *domain, const char *selector,
    const char *result)
{
	struct am_agg_auth **list = is_dkim ? &rec->dkim_auth : &rec->spf_auth;
	size_t *n = is_dkim ? &rec->n_dkim_auth : &rec->n_spf_auth;

	if (*n >= AM_REPORT_LIST_MAX)
		return false;
	*list = grow(r->pool, *list, *n, sizeof(**list));
	(*list)[*n].domain = domain;
	(*list)[*n].selector = selector;
	(*list)[(*n)++].result = result;
	return true;
}

/* put_field - one "LEN:BYTES" field. */
static void
put_field(struct am_buf *b, const char *s)
{
	(void)am_buf_printf(b, "%zu:%s", strlen(s), s);
}

/* encode_record - rec as a flat record; its lists into l[0..3). */
static void
encode_record(const struct am_agg_record *rec, struct am_buf *l,
    struct am_agg_flat_record *f)
{
	size_t i;

	for (i = 0; i < 3; i++)
		am_buf_reset(&l[i]);
	for (i = 0; i < rec->n_reasons; i++) {
		put_field(&l[0], rec->reasons[i].type);
		put_field(&l[0], rec->reasons[i].comment);
	}
	for (i = 0; i < rec->n_dkim_auth; i++) {
		put_field(&l[1], rec->dkim_auth[i].domain);
		put_field(&l[1], rec->dkim_auth[i].selector);
		put_field(&l[1], rec->dkim_auth[i].result);
	}
	for (i = 0; i < rec->n_spf_auth; i++) {
		put_field(&l[2], rec->spf_auth[i].domain);
		put_field(&l[2], rec->spf_auth[i].selector);
		put_field(&l[2], rec->spf_auth[i].result);
	}
	f->count = rec->count > INT64_MAX ? INT64_MAX : (int64_t)rec->count;
	f->text[AM_AC_SOURCE_IP] = rec->source_ip;
	f->text[AM_AC_DISPOSITION] = rec->disposition;
	f->text[AM_AC_DKIM] = rec->dkim;
	f->text[AM_AC_SPF] = rec->spf;
	f->text[AM_AC_HEADER_FROM] = rec->header_from;
	f->text[AM_AC_ENVELOPE_FROM] = rec->envelope_from;
	f->text[AM_AC_ENVELOPE_TO] = rec->envelope_to;
	f->text[AM_AC_REASONS] = am_buf_str(&l[0]);
	f->text[AM_AC_DKIM_AUTH] = am_buf_str(&l[1]);
	f->text[AM_AC_SPF_AUTH] = am_buf_str(&l[2]);
}

/* flat_report - the report columns of r. */
static void
flat_report(const struct am_agg_report *r, struct am_agg_flat_report *f)
{
	const struct am_agg_policy *p = &r->policy;
	const char *t[AM_AR_N] = {
		r->format, r->org_name, r->email, r->extra_contact,
		r->report_id, r->generator, r->errors, r->origin, p->domain,
		p->adkim, p->aspf, p->p, p->sp, p->np, p->pct, p->fo,
		p->testing, p->discovery,
	};

	memcpy(f->text, t, sizeof(t));
	f->begin = r->begin;
	f->end = r->end;
	f->ingested = r->ingested;
}

struct put_ctx {
	const struct am_agg_report *r;	/* borrowed */
	struct am_buf l[3];		/* encoded lists of the record */
};

/* put_record - backend callback: record i, flat. */
static void
put_record(void *arg, size_t i, struct am_agg_flat_record *out)
{
	struct put_ctx *c = arg;

	encode_record(&c->r->records[i], c->l, out);
}

/* am_report_agg_open - the store at path, for received reports. */
struct am_report_agg_db *
am_report_agg_open(const char *path, bool is_readonly, struct am_why *why)
{
	struct am_report_agg_db *db;

	if (path == NULL || why == NULL)
		AM_PANIC("am_report_agg_open: NULL argument");
	db = am_xcalloc(1, sizeof(*db));
	db->be = am_report_backend_find(path);
	if ((db->h = db->be->open(path, is_readonly, why)) == NULL) {
		free(db);
		return NULL;
	}
	return db;
}

/* am_report_agg_close - release db; accepts NULL, returns NULL. */
struct am_report_agg_db *
am_report_agg_close(struct am_report_agg_db *db)
{
	if (db == NULL)
		return NULL;
	db->be->close(db->h);
	free(db);
	return NULL;
}

/* am_report_agg_put - store r unless (org_name, report_id) is there. */
enum am_status
am_report_agg_put(struct am_report_agg_db *db, const struct am_agg_report *r,
    bool *is_dup, struct am_why *why)
{
	struct am_agg_flat_report f;
	struct put_ctx c;
	enum am_status st;
	int i;

	if (db == NULL || r == NULL || is_dup == NULL)
		AM_PANIC("am_report_agg_put: NULL argument");
	*is_dup = false;
	flat_report(r, &f);
	c.r = r;
	for (i = 0; i < 3; i++)
		am_buf_init(&c.l[i], 3 * AM_REPORT_LIST_MAX *
		    (AM_REPORT_STR_MAX + 8));
	st = db->be->agg_put(db->h, &f, r->n_records, put_record, &c, is_dup,
	    why);
	for (i = 0; i < 3; i++)
		am_buf_release(&c.l[i]);
	return st;
}

struct scan_ctx {
	struct am_agg_report *scratch;	/* owned; reset per record */
	am_report_agg_fn *fn;		/* the caller's */
	void *arg;
};

/* next_field - one "LEN:BYTES" field at *p into the scratch pool; NULL
 * when malformed. */
static const char *
next_field(struct am_agg_report *r, const char **p)
{
	const char *s = *p;
	size_t len = 0;

	for (; isdigit((unsigned char)*s); s++)
		if ((len = len * 10 + (size_t)(*s - '0')) > 4 *
		    AM_REPORT_STR_MAX)
			return NULL;
	if (s == *p || *s != ':' || strnlen(s + 1, len) < len)
		return NULL;
	*p = s + 1 + len;
	return am_report_agg_strdup(r, s + 1, len);
}

/* decode_list - k-field entries of p into rec's list (k 2: reasons; 3:
 * auth of dkim or not); a malformed tail is dropped. */
static void
decode_list(struct am_agg_report *r, struct am_agg_record *rec,
    const char *p, int k, bool is_dkim)
{
	const char *f[3];
	int i;

	while (*p != '\0') {
		for (i = 0; i < k; i++)
			if ((f[i] = next_field(r, &p)) == NULL)
				return;
		if (k == 2 ? !am_report_agg_add_reason(r, rec, f[0], f[1]) :
		    !am_report_agg_add_auth(r, rec, is_dkim, f[0], f[1], f[2]))
			return;
	}
}

/* scan_record - backend callback: decode and hand to the caller. */
static void
scan_record(void *arg, const struct am_agg_flat_report *fr,
    const struct am_agg_flat_record *fc)
{
	struct scan_ctx *c = arg;
	struct am_agg_report *r = c->scratch;
	struct am_agg_policy *p = &r->policy;
	struct am_agg_record *rec;
	const char *const *t = fr->text;

	pool_reset(r->pool);
	r->n_records = 0;
	r->format = t[AM_AR_FORMAT];
	r->org_name = t[AM_AR_ORG_NAME];
	r->email = t[AM_AR_EMAIL];
	r->extra_contact = t[AM_AR_EXTRA_CONTACT];
	r->report_id = t[AM_AR_REPORT_ID];
	r->generator = t[AM_AR_GENERATOR];
	r->errors = t[AM_AR_ERRORS];
	r->origin = t[AM_AR_ORIGIN];
	p->domain = t[AM_AR_DOMAIN];
	p->adkim = t[AM_AR_ADKIM];
	p->aspf = t[AM_AR_ASPF];
	p->p = t[AM_AR_P];
	p->sp = t[AM_AR_SP];
	p->np = t[AM_AR_NP];
	p->pct = t[AM_AR_PCT];
	p->fo = t[AM_AR_FO];
	p->testing = t[AM_AR_TESTING];
	p->discovery = t[AM_AR_DISCOVERY];
	r->begin = fr->begin;
	r->end = fr->end;
	r->ingested = fr->ingested;
	rec = am_report_agg_add_record(r);
	rec->count = fc->count < 0 ? 0 : (uint64_t)fc->count;
	rec->source_ip = fc->text[AM_AC_SOURCE_IP];
	rec->disposition = fc->text[AM_AC_DISPOSITION];
	rec->dkim = fc->text[AM_AC_DKIM];
	rec->spf = fc->text[AM_AC_SPF];
	rec->header_from = fc->text[AM_AC_HEADER_FROM];
	rec->envelope_from = fc->text[AM_AC_ENVELOPE_FROM];
	rec->envelope_to = fc->text[AM_AC_ENVELOPE_TO];
	decode_list(r, rec, fc->text[AM_AC_REASONS], 2, false);
	decode_list(r, rec, fc->text[AM_AC_DKIM_AUTH], 3, true);
	decode_list(r, rec, fc->text[AM_AC_SPF_AUTH], 3, false);
	r->n_records = 0;	/* the report goes out without records */
	c->fn(c->arg, r, rec);
}

/* am_report_agg_scan - every record of the reports in [begin, end). */
enum am_status
am_report_agg_scan(struct am_report_agg_db *db, int64_t begin, int64_t end,
    const char *domain, am_report_agg_fn *fn, void *arg, struct am_why *why)
{
	struct scan_ctx c;
	enum am_status st;

	if (db == NULL || fn == NULL || why == NULL)
		AM_PANIC("am_report_agg_scan: NULL argument");
	c.scratch = am_report_agg_new();
	c.fn = fn;
	c.arg = arg;
	st = db->be->agg_scan(db->h, begin, end, domain, scan_record, &c,
	    why);
	am_report_agg_free(c.scratch);
	return st;
}

/* am_report_agg_expire - delete reports that ended before before. */
enum am_status
am_report_agg_expire(const char *path, int64_t before, uint64_t *deleted,
    struct am_why *why)
{
	struct am_report_agg_db *db;
	enum am_status st;

	*deleted = 0;
	if ((db = am_report_agg_open(path, false, why)) == NULL)
		return AM_TEMPFAIL;
	st = db->be->agg_expire(db->h, before, deleted, why);
	am_report_agg_close(db);
	return st;
}
