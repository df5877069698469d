/*
 * report_query.c - the grouped read of one or several report stores for
 * export (am_report_store_query, contract in report_store.h).
 *
 * Each store groups its own rows (backend scan: one group per distinct
 * record key, with its count and its latest row's policy). Groups from all
 * stores are sorted by (policy domain, key) and equal neighbours merged by
 * summing counts, which is the multi-host merge. PITFALLS "Reports": one
 * <record> per message was wrong; a record carries the real count. All
 * memory of a result lives in one arena freed by am_report_set_free().
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "report/report_backend.h"
#include "report/report_store.h"

#define CHUNK_MIN	65536

struct chunk {
	struct chunk *next;	/* older chunk */
	size_t used;		/* bytes handed out */
	size_t cap;		/* bytes in data */
	max_align_t data[];
};

struct am_report_arena {
	struct chunk *head;	/* owned chain of chunks */
};

struct group {			/* one record key from one or more stores */
	struct am_report_flat f;	/* texts in the arena */
	uint64_t count;		/* rows */
};

struct collect {
	struct am_report_arena *arena;	/* borrowed */
	struct group *g;	/* owned array */
	size_t n;		/* used */
	size_t cap;		/* allocated */
};

/* arena_alloc - len bytes, suitably aligned, freed with the arena. */
static void *
arena_alloc(struct am_report_arena *a, size_t len)
{
	struct chunk *c = a->head;
	size_t al = sizeof(max_align_t), cap;
	void *p;

	len = (len + al - 1) / al * al;
	if (c == NULL || c->cap - c->used < len) {
		cap = len > CHUNK_MIN ? len : CHUNK_MIN;
		c = am_xmalloc(sizeof(*c) + cap);
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += len;
	return p;
}

/* arena_memdup - len bytes and a NUL. */
static char *
arena_memdup(struct am_report_arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* collect_group - backend callback: keep a copy of one group. */
static void
collect_group(void *arg, const struct am_report_flat *f, uint64_t count)
{
	struct collect *c = arg;
	struct group *g;
	int i;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->g = am_xreallocarray(c->g, c->cap, sizeof(*c->g));
	}
	g = &c->g[c->n++];
	g->f = *f;
	for (i = 0; i < AM_RT_N; i++)
		g->f.text[i] = arena_memdup(c->arena, f->text[i],
		    strlen(f->text[i]));
	g->count = count;
}

static const int key_text[] = {
	AM_RT_POLICY_DOMAIN, AM_RT_SOURCE_IP, AM_RT_HEADER_FROM,
	AM_RT_ENVELOPE_FROM, AM_RT_ENVELOPE_TO, AM_RT_REASONS, AM_RT_DKIM,
	AM_RT_SPF,
};
static const int key_num[] = {
	AM_RN_DISPOSITION, AM_RN_DKIM_PASS, AM_RN_SPF_PASS,
};

/* cmp_group - order by policy domain, then by the record key. */
static int
cmp_group(const void *va, const void *vb)
{
	const struct group *a = va, *b = vb;
	size_t i;
	int c;

	for (i = 0; i < sizeof(key_text) / sizeof(key_text[0]); i++)
		if ((c = strcmp(a->f.text[key_text[i]],
		    b->f.text[key_text[i]])) != 0)
			return c;
	for (i = 0; i < sizeof(key_num) / sizeof(key_num[0]); i++)
		if (a->f.num[key_num[i]] != b->f.num[key_num[i]])
			return a->f.num[key_num[i]] < b->f.num[key_num[i]] ?
			    -1 : 1;
	return 0;
}

/* merge_groups - sort, then fold equal groups into one; returns the count.
 * The merged group keeps the latest row's policy columns. */
static size_t
merge_groups(struct group *g, size_t n)
{
	size_t i, out = 0;

	if (n == 0)
		return 0;
	qsort(g, n, sizeof(*g), cmp_group);
	for (i = 1; i < n; i++) {
		if (cmp_group(&g[out], &g[i]) != 0) {
			g[++out] = g[i];
			continue;
		}
		g[out].count += g[i].count;
		if (g[i].f.time > g[out].f.time) {
			g[i].count = g[out].count;
			g[out] = g[i];
		}
	}
	return out + 1;
}

/* next_field - parse one "LEN:BYTES" field at *p; NULL when malformed. */
static const char *
next_field(struct am_report_arena *a, const char **p)
{
	const char *s = *p;
	size_t len = 0;

	for (; isdigit((unsigned char)*s); s++)
		if ((len = len * 10 + (size_t)(*s - '0')) > AM_REPORT_STR_MAX)
			return NULL;
	if (s == *p || *s != ':' || strnlen(s + 1, len) < len)
		return NULL;
	*p = s + 1 + len;
	return arena_memdup(a, s + 1, len);
}

/* decode_fields - split an encoded list into up to max entries of k
 * fields each (f[entry * k + field]); returns the entries. A malformed
 * tail (never written by this program) is ignored. */
static size_t
decode_fields(struct am_report_arena *a, const char *p, size_t k,
    const char **f, size_t max)
{
	size_t n, i;

	for (n = 0; n < max && *p != '\0'; n++)
		for (i = 0; i < k; i++)
			if ((f[n * k + i] = next_field(a, &p)) == NULL)
				return n;
	return n;
}

/* decode_lists - reasons, DKIM and SPF results of a group into r. */
static void
decode_lists(struct am_report_arena *a, const struct am_report_flat *fl,
    struct am_report_row *r)
{
	const char *f[3 * AM_REPORT_LIST_MAX];
	struct am_report_reason *re;
	struct am_report_dkim *d;
	struct am_report_spf *s;
	size_t i, n;

	n = decode_fields(a, fl->text[AM_RT_REASONS], 2, f, AM_REPORT_LIST_MAX);
	r->reasons = re = arena_alloc(a, (n + 1) * sizeof(*re));
	for (i = 0, r->n_reasons = n; i < n; i++) {
		re[i].type = (enum am_report_reason_type)atoi(f[2 * i]);
		re[i].comment = f[2 * i + 1];
	}
	n = decode_fields(a, fl->text[AM_RT_DKIM], 3, f, AM_REPORT_LIST_MAX);
	r->dkim = d = arena_alloc(a, (n + 1) * sizeof(*d));
	for (i = 0, r->n_dkim = n; i < n; i++) {
		d[i].domain = f[3 * i];
		d[i].selector = f[3 * i + 1];
		d[i].result = (enum am_report_result)atoi(f[3 * i + 2]);
	}
	n = decode_fields(a, fl->text[AM_RT_SPF], 3, f, AM_REPORT_LIST_MAX);
	r->spf = s = arena_alloc(a, (n + 1) * sizeof(*s));
	for (i = 0, r->n_spf = n; i < n; i++) {
		s[i].domain = f[3 * i];
		s[i].scope = (enum am_report_scope)atoi(f[3 * i + 1]);
		s[i].result = (enum am_report_result)atoi(f[3 * i + 2]);
	}
}

/* flat_policy - the published-policy columns of a flat row. */
static void
flat_policy(const struct am_report_flat *f, struct am_report_policy *p)
{
	p->p = (enum am_report_disp)f->num[AM_RN_P];
	p->sp = (enum am_report_disp)f->num[AM_RN_SP];
	p->has_np = f->num[AM_RN_NP] >= 0;
	p->np = p->has_np ? (enum am_report_disp)f->num[AM_RN_NP] :
	    AM_REPORT_DISP_NONE;
	p->pct = (int)f->num[AM_RN_PCT];
	p->is_adkim_strict = f->num[AM_RN_ADKIM_STRICT] != 0;
	p->is_aspf_strict = f->num[AM_RN_ASPF_STRICT] != 0;
	p->fo = f->text[AM_RT_FO];
	p->is_testing = f->num[AM_RN_TESTING] != 0;
}

/* group_record - a merged group as an export record. */
static void
group_record(struct am_report_arena *a, const struct group *g,
    struct am_report_record *rec)
{
	struct am_report_row *r = &rec->row;

	memset(rec, 0, sizeof(*rec));
	rec->count = g->count;
	r->time = g->f.time;
	r->source_ip = g->f.text[AM_RT_SOURCE_IP];
	r->header_from = g->f.text[AM_RT_HEADER_FROM];
	r->envelope_from = g->f.text[AM_RT_ENVELOPE_FROM];
	r->envelope_to = g->f.text[AM_RT_ENVELOPE_TO];
	r->policy_domain = g->f.text[AM_RT_POLICY_DOMAIN];
	r->disposition = (enum am_report_disp)g->f.num[AM_RN_DISPOSITION];
	r->is_dkim_pass = g->f.num[AM_RN_DKIM_PASS] != 0;
	r->is_spf_pass = g->f.num[AM_RN_SPF_PASS] != 0;
	decode_lists(a, &g->f, r);
	flat_policy(&g->f, &r->policy);
	r->rua = g->f.text[AM_RT_RUA];
}

/* build_domain - records g[0..n) (one policy domain) into d. */
static void
build_domain(struct am_report_arena *a, const struct group *g, size_t n,
    struct am_report_domain *d)
{
	const struct group *latest = &g[0];
	size_t i;

	memset(d, 0, sizeof(*d));
	d->domain = g[0].f.text[AM_RT_POLICY_DOMAIN];
	d->records = arena_alloc(a, n * sizeof(*d->records));
	d->n_records = n;
	for (i = 0; i < n; i++) {
		group_record(a, &g[i], &d->records[i]);
		d->messages += g[i].count;
		if (g[i].f.time > latest->f.time)
			latest = &g[i];
	}
	flat_policy(&latest->f, &d->policy);
	d->rua = latest->f.text[AM_RT_RUA];
	d->policy_time = latest->f.time;
}

/* build_set - merged groups (sorted by domain) into set's domains. */
static void
build_set(struct am_report_set *set, const struct group *g, size_t n)
{
	size_t i, j, nd = 0;

	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(g[i].f.text[AM_RT_POLICY_DOMAIN],
		    g[i - 1].f.text[AM_RT_POLICY_DOMAIN]) != 0)
			nd++;
	set->domains = arena_alloc(set->arena, (nd + 1) *
	    sizeof(*set->domains));
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(g[j].f.text[AM_RT_POLICY_DOMAIN],
		    g[i].f.text[AM_RT_POLICY_DOMAIN]) == 0; j++)
			;
		build_domain(set->arena, &g[i], j - i,
		    &set->domains[set->n_domains++]);
	}
}

/* scan_store - add the groups of one store (file or database) to c. */
static enum am_status
scan_store(const char *path, int64_t begin, int64_t end, const char *domain,
    struct collect *c, struct am_why *why)
{
	const struct am_report_backend *be = am_report_backend_find(path);
	enum am_status st;
	void *h;

	if ((h = be->open(path, true, why)) == NULL)
		return AM_TEMPFAIL;
	st = be->scan(h, begin, end, domain, collect_group, c, why);
	be->close(h);
	return st;
}

/* am_report_store_query - grouped, merged rows of several stores. */
enum am_status
am_report_store_query(const char *const *paths, size_t n_paths,
    int64_t begin, int64_t end, const char *domain,
    struct am_report_set **out, struct am_why *why)
{
	struct am_report_set *set;
	struct collect c;
	enum am_status st = AM_OK;
	size_t i;

	if (paths == NULL || out == NULL || why == NULL)
		AM_PANIC("am_report_store_query: NULL argument");
	*out = NULL;
	set = am_xcalloc(1, sizeof(*set));
	set->arena = am_xcalloc(1, sizeof(*set->arena));
	set->begin = begin;
	set->end = end;
	memset(&c, 0, sizeof(c));
	c.arena = set->arena;
	for (i = 0; i < n_paths && st == AM_OK; i++)
		st = scan_store(paths[i], begin, end, domain, &c, why);
	if (st == AM_OK)
		build_set(set, c.g, merge_groups(c.g, c.n));
	free(c.g);
	if (st != AM_OK)
		set = am_report_set_free(set);
	*out = set;
	return st;
}

/* am_report_set_free - release a query result; returns NULL. */
struct am_report_set *
am_report_set_free(struct am_report_set *set)
{
	struct chunk *c, *next;

	if (set == NULL)
		return NULL;
	for (c = set->arena->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(set->arena);
	free(set);
	return NULL;
}
