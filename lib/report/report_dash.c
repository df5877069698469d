/*
 * report_dash.c - the dashboard's figures (contract in report_dash.h).
 *
 * One pass over the received records (am_report_agg_scan), summing into
 * per-domain accumulators found through a small open-addressing hash
 * (FNV-1a; domains, and per domain the source IPs and reporters), then
 * sorts; then one grouped query of the inbound rows (report_query.c). Every
 * figure is a sum of record counts, so the page shows what the store holds.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "report/report_agg.h"
#include "report/report_ptr.h"
#include "report/report_store.h"
#include "report/report_dash.h"

struct map {			/* string -> index */
	char **key;		/* owned copies; cap slots, NULL empty */
	size_t *val;
	size_t cap;		/* a power of two */
	size_t n;
};

struct dom_acc {		/* one domain while building */
	struct am_dash_domain d;
	struct map ips;		/* ip -> index in d.src */
	size_t cap_src;
	struct map orgs;	/* org -> index in d.rep */
	size_t cap_rep;
};

struct build {
	struct am_dash *dash;
	struct map doms;	/* domain -> index in acc */
	struct dom_acc *acc;
	size_t n_acc, cap_acc;
	char *last_key;		/* org_name NUL report_id of the last one */
	size_t last_len;
};

static const char *const cat_name[AM_DASH_CAT_N] = {
	"pass", "fail", "fail: forwarded", "fail: mailing list",
	"fail: other reason", "none",
};
static const char *const disp_name[AM_DASH_DISP_N] = {
	"none", "quarantine", "reject", "other",
};

const char *
am_report_dash_cat_name(enum am_dash_cat c)
{
	return (unsigned)c < AM_DASH_CAT_N ? cat_name[c] : "?";
}

const char *
am_report_dash_disp_name(enum am_dash_disp d)
{
	return (unsigned)d < AM_DASH_DISP_N ? disp_name[d] : "?";
}

/* hash - FNV-1a of s. */
static size_t
hash(const char *s)
{
	size_t h = 14695981039346656037ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* map_slot - the slot of k (empty or holding k). */
static size_t
map_slot(const struct map *m, const char *k)
{
	size_t i = hash(k) & (m->cap - 1);

	while (m->key[i] != NULL && strcmp(m->key[i], k) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* map_grow - double the table. */
static void
map_grow(struct map *m)
{
	struct map b = { NULL, NULL, m->cap ? m->cap * 2 : 64, m->n };
	size_t i, j;

	b.key = am_xcalloc(b.cap, sizeof(*b.key));
	b.val = am_xcalloc(b.cap, sizeof(*b.val));
	for (i = 0; i < m->cap; i++)
		if (m->key[i] != NULL) {
			j = map_slot(&b, m->key[i]);
			b.key[j] = m->key[i];
			b.val[j] = m->val[i];
		}
	free(m->key);
	free(m->val);
	*m = b;
}

/* map_get - the index of k; a new key gets next (and *is_new). */
static size_t
map_get(struct map *m, const char *k, size_t next, bool *is_new)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap)
		map_grow(m);
	i = map_slot(m, k);
	if ((*is_new = m->key[i] == NULL)) {
		m->key[i] = am_xstrdup(k);
		m->val[i] = next;
		m->n++;
	}
	return m->val[i];
}

static void
map_free(struct map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->key[i]);
	free(m->key);
	free(m->val);
}

/* category - the series a record belongs to. */
static enum am_dash_cat
category(const struct am_agg_record *c)
{
	const char *t;

	if (strcmp(c->dkim, "pass") == 0 || strcmp(c->spf, "pass") == 0)
		return AM_DASH_PASS;
	if (strcmp(c->dkim, "fail") != 0 && strcmp(c->spf, "fail") != 0)
		return AM_DASH_NONE;
	if (c->n_reasons == 0)
		return AM_DASH_FAIL;
	t = c->reasons[0].type;
	if (strcmp(t, "forwarded") == 0 || strcmp(t, "trusted_forwarder") == 0)
		return AM_DASH_FAIL_FORWARDED;
	if (strcmp(t, "mailing_list") == 0)
		return AM_DASH_FAIL_LIST;
	return AM_DASH_FAIL_OTHER;
}

/* disposition - the applied disposition as a slot. */
static enum am_dash_disp
disposition(const char *d)
{
	if (strcmp(d, "none") == 0)
		return AM_DASH_DISP_NONE;
	if (strcmp(d, "quarantine") == 0)
		return AM_DASH_DISP_QUARANTINE;
	if (strcmp(d, "reject") == 0)
		return AM_DASH_DISP_REJECT;
	return AM_DASH_DISP_OTHER;
}

/* domain_acc - the accumulator of r's policy domain. */
static struct dom_acc *
domain_acc(struct build *b, const struct am_agg_report *r)
{
	struct dom_acc *a;
	bool is_new;
	size_t i = map_get(&b->doms, r->policy.domain, b->n_acc, &is_new);

	if (!is_new)
		return &b->acc[i];
	if (b->n_acc == b->cap_acc) {
		b->cap_acc = b->cap_acc ? b->cap_acc * 2 : 16;
		b->acc = am_xreallocarray(b->acc, b->cap_acc, sizeof(*b->acc));
	}
	a = &b->acc[b->n_acc++];
	memset(a, 0, sizeof(*a));
	a->d.domain = am_xstrdup(r->policy.domain);
	a->d.p = am_xstrdup(r->policy.p);
	a->d.latest = r->begin;
	a->d.days = am_xcalloc((size_t)b->dash->days * AM_DASH_CAT_N,
	    sizeof(*a->d.days));
	return a;
}

/* source - the source ip of a domain. */
static struct am_dash_source *
source(struct dom_acc *a, const struct am_agg_record *c)
{
	struct am_dash_source *s;
	bool is_new;
	size_t i = map_get(&a->ips, c->source_ip, a->d.n_src, &is_new);

	if (!is_new)
		return &a->d.src[i];
	if (a->d.n_src == a->cap_src) {
		a->cap_src = a->cap_src ? a->cap_src * 2 : 16;
		a->d.src = am_xreallocarray(a->d.src, a->cap_src,
		    sizeof(*a->d.src));
	}
	s = &a->d.src[a->d.n_src++];
	memset(s, 0, sizeof(*s));
	s->ip = am_xstrdup(c->source_ip);
	s->ptr = am_xstrdup("");
	s->dkim_domain = am_xstrdup(c->n_dkim_auth > 0 ?
	    c->dkim_auth[0].domain : "");
	s->spf_domain = am_xstrdup(c->n_spf_auth > 0 ? c->spf_auth[0].domain :
	    "");
	return s;
}

/* reporter - count r (once per report) and its messages for its org. */
static void
reporter(struct build *b, struct dom_acc *a, const struct am_agg_report *r,
    uint64_t count)
{
	size_t lo = strlen(r->org_name), li = strlen(r->report_id), i;
	bool is_new, is_report;

	is_report = b->last_key == NULL || b->last_len != lo + li + 1 ||
	    memcmp(b->last_key, r->org_name, lo + 1) != 0 ||
	    memcmp(b->last_key + lo + 1, r->report_id, li) != 0;
	if (is_report) {
		free(b->last_key);
		b->last_key = am_xmalloc(lo + li + 2);
		memcpy(b->last_key, r->org_name, lo + 1);
		memcpy(b->last_key + lo + 1, r->report_id, li + 1);
		b->last_len = lo + li + 1;
		b->dash->reports++;
	}
	i = map_get(&a->orgs, r->org_name, a->d.n_rep, &is_new);
	if (is_new) {
		if (a->d.n_rep == a->cap_rep) {
			a->cap_rep = a->cap_rep ? a->cap_rep * 2 : 8;
			a->d.rep = am_xreallocarray(a->d.rep, a->cap_rep,
			    sizeof(*a->d.rep));
		}
		memset(&a->d.rep[i], 0, sizeof(a->d.rep[i]));
		a->d.rep[i].org = am_xstrdup(r->org_name);
		a->d.n_rep++;
	}
	a->d.rep[i].reports += is_report;
	a->d.rep[i].messages += count;
}

/* on_record - am_report_agg_fn: add one record. */
static void
on_record(void *arg, const struct am_agg_report *r,
    const struct am_agg_record *c)
{
	struct build *b = arg;
	struct dom_acc *a = domain_acc(b, r);
	struct am_dash_source *s = source(a, c);
	enum am_dash_cat cat = category(c);
	int64_t day = ((r->begin + r->end) / 2 - b->dash->begin) / 86400;
	bool is_dkim = strcmp(c->dkim, "pass") == 0;
	bool is_spf = strcmp(c->spf, "pass") == 0;

	if (r->begin > a->d.latest) {
		free(a->d.p);
		a->d.p = am_xstrdup(r->policy.p);
		a->d.latest = r->begin;
	}
	reporter(b, a, r, c->count);
	a->d.messages += c->count;
	a->d.cat[cat] += c->count;
	if (day >= 0 && day < (int64_t)b->dash->days)
		a->d.days[day * AM_DASH_CAT_N + cat] += c->count;
	s->messages += c->count;
	s->cat[cat] += c->count;
	s->spf_aligned += is_spf ? c->count : 0;
	s->dkim_aligned += is_dkim ? c->count : 0;
	s->spf_only_fail += is_dkim && strcmp(c->spf, "fail") == 0 ?
	    c->count : 0;
	s->dkim_only_fail += is_spf && strcmp(c->dkim, "fail") == 0 ?
	    c->count : 0;
	s->disp[disposition(c->disposition)] += c->count;
}

/* by_messages - most messages first, then by name (stable output). */
static int
src_cmp(const void *va, const void *vb)
{
	const struct am_dash_source *a = va, *b = vb;

	if (a->messages != b->messages)
		return a->messages > b->messages ? -1 : 1;
	return strcmp(a->ip, b->ip);
}

static int
rep_cmp(const void *va, const void *vb)
{
	const struct am_dash_reporter *a = va, *b = vb;

	if (a->messages != b->messages)
		return a->messages > b->messages ? -1 : 1;
	return strcmp(a->org, b->org);
}

static int
dom_cmp(const void *va, const void *vb)
{
	const struct dom_acc *a = va, *b = vb;

	if (a->d.messages != b->d.messages)
		return a->d.messages > b->d.messages ? -1 : 1;
	return strcmp(a->d.domain, b->d.domain);
}

/* domain_free - what a domain owns. */
static void
domain_free(struct am_dash_domain *d)
{
	size_t i;

	for (i = 0; i < d->n_src; i++) {
		free(d->src[i].ip);
		free(d->src[i].ptr);
		free(d->src[i].dkim_domain);
		free(d->src[i].spf_domain);
	}
	for (i = 0; i < d->n_rep; i++)
		free(d->rep[i].org);
	free(d->src);
	free(d->rep);
	free(d->days);
	free(d->domain);
	free(d->p);
}

/* finish - sort, keep the largest domains, hand them to the dash. */
static void
finish(struct build *b)
{
	struct am_dash *d = b->dash;
	size_t i;

	if (b->n_acc > 0)
		qsort(b->acc, b->n_acc, sizeof(*b->acc), dom_cmp);
	d->n_dom = b->n_acc < AM_DASH_DOMAINS_MAX ? b->n_acc :
	    AM_DASH_DOMAINS_MAX;
	d->domains_left = b->n_acc - d->n_dom;
	d->dom = am_xcalloc(d->n_dom + 1, sizeof(*d->dom));
	for (i = 0; i < b->n_acc; i++) {
		map_free(&b->acc[i].ips);
		map_free(&b->acc[i].orgs);
		if (i >= d->n_dom) {
			domain_free(&b->acc[i].d);
			continue;
		}
		d->dom[i] = b->acc[i].d;
		if (d->dom[i].n_src > 0)
			qsort(d->dom[i].src, d->dom[i].n_src,
			    sizeof(*d->dom[i].src), src_cmp);
		if (d->dom[i].n_rep > 0)
			qsort(d->dom[i].rep, d->dom[i].n_rep,
			    sizeof(*d->dom[i].rep), rep_cmp);
	}
	free(b->acc);
	map_free(&b->doms);
	free(b->last_key);
}

/* inbound_record - one grouped record of the inbound rows. */
static void
inbound_record(struct am_dash_inbound *in, const struct am_report_record *r)
{
	const struct am_report_row *w = &r->row;
	size_t i;

	in->messages += r->count;
	in->dmarc_pass += w->is_dkim_pass || w->is_spf_pass ? r->count : 0;
	in->disp[(unsigned)w->disposition < 3 ? w->disposition : 0] +=
	    r->count;
	in->unsigned_msgs += w->n_dkim == 0 ? r->count : 0;
	for (i = 0; i < w->n_dkim; i++)
		in->dkim[(unsigned)w->dkim[i].result & 7] += r->count;
	for (i = 0; i < w->n_spf; i++)
		(w->spf[i].scope == AM_REPORT_SCOPE_HELO ? in->spf_helo :
		    in->spf_mfrom)[(unsigned)w->spf[i].result & 7] += r->count;
}

/* top_add - keep domain among the AM_DASH_TOP_MAX most failing. */
static void
top_add(struct am_dash_inbound *in, const char *domain, uint64_t fail,
    uint64_t messages)
{
	size_t i, at;

	if (fail == 0)
		return;
	for (at = 0; at < in->n_top && (in->top[at].fail > fail ||
	    (in->top[at].fail == fail && strcmp(in->top[at].domain,
	    domain) < 0)); at++)
		;
	if (at == AM_DASH_TOP_MAX)
		return;
	if (in->n_top == AM_DASH_TOP_MAX)
		free(in->top[--in->n_top].domain);
	for (i = in->n_top++; i > at; i--)
		in->top[i] = in->top[i - 1];
	in->top[at].domain = am_xstrdup(domain);
	in->top[at].fail = fail;
	in->top[at].messages = messages;
}

/* inbound - the figures of the inbound rows. */
static enum am_status
inbound(struct am_dash *d, const char *const *stores, size_t n,
    const char *domain, struct am_why *why)
{
	struct am_report_set *set;
	const struct am_report_domain *dom;
	uint64_t pass;
	size_t i, j;

	if (am_report_store_query(stores, n, d->begin, d->begin +
	    (int64_t)d->days * 86400, domain, &set, why) != AM_OK)
		return AM_TEMPFAIL;
	for (i = 0; i < set->n_domains; i++) {
		dom = &set->domains[i];
		for (j = 0, pass = 0; j < dom->n_records; j++) {
			inbound_record(&d->in, &dom->records[j]);
			if (dom->records[j].row.is_dkim_pass ||
			    dom->records[j].row.is_spf_pass)
				pass += dom->records[j].count;
		}
		top_add(&d->in, dom->domain, dom->messages - pass,
		    dom->messages);
	}
	am_report_set_free(set);
	return AM_OK;
}

/* am_report_dash_build - every figure of the dashboard. */
enum am_status
am_report_dash_build(const char *const *stores, size_t n, int64_t begin,
    unsigned days, const char *domain, struct am_dash **out,
    struct am_why *why)
{
	struct am_report_agg_db *db;
	enum am_status st = AM_OK;
	struct build b;
	size_t i;

	if (stores == NULL || out == NULL || why == NULL || days == 0)
		AM_PANIC("am_report_dash_build: bad argument");
	memset(&b, 0, sizeof(b));
	b.dash = am_xcalloc(1, sizeof(*b.dash));
	b.dash->begin = begin;
	b.dash->days = days;
	for (i = 0; i < n && st == AM_OK; i++) {
		if ((db = am_report_agg_open(stores[i], true, why)) == NULL) {
			st = AM_TEMPFAIL;
			break;
		}
		st = am_report_agg_scan(db, begin, begin + (int64_t)days *
		    86400, domain, on_record, &b, why);
		am_report_agg_close(db);
	}
	finish(&b);
	if (st == AM_OK)
		st = inbound(b.dash, stores, n, domain, why);
	if (st != AM_OK)
		b.dash = am_report_dash_free(b.dash);
	*out = b.dash;
	return st;
}

/* am_report_dash_free - release d; accepts NULL, returns NULL. */
struct am_dash *
am_report_dash_free(struct am_dash *d)
{
	size_t i;

	if (d == NULL)
		return NULL;
	for (i = 0; i < d->n_dom; i++)
		domain_free(&d->dom[i]);
	for (i = 0; i < d->in.n_top; i++)
		free(d->in.top[i].domain);
	free(d->dom);
	free(d);
	return NULL;
}

/* src_ptr_cmp - sources (pointers) by messages, most first. */
static int
src_ptr_cmp(const void *a, const void *b)
{
	return src_cmp(*(struct am_dash_source *const *)a,
	    *(struct am_dash_source *const *)b);
}

/* has_ip - ip is among ips[0..n). */
static bool
has_ip(const char *const *ips, size_t n, const char *ip)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ips[i], ip) == 0)
			return true;
	return false;
}

/* am_report_dash_resolve - reverse names of the busiest sources. */
void
am_report_dash_resolve(struct am_dash *d, struct am_dns *dns,
    unsigned max_lookups, unsigned timeout_ms)
{
	const char **ips;
	char (*names)[AM_REPORT_PTR_NAME];
	struct am_dash_source **by;
	size_t i, j, n = 0, k;

	if (dns == NULL || max_lookups == 0)
		return;
	for (i = 0; i < d->n_dom; i++)
		n += d->dom[i].n_src;
	by = am_xcalloc(n + 1, sizeof(*by));
	for (i = 0, n = 0; i < d->n_dom; i++)
		for (j = 0; j < d->dom[i].n_src; j++)
			by[n++] = &d->dom[i].src[j];
	if (n > 0)
		qsort(by, n, sizeof(*by), src_ptr_cmp);
	ips = am_xcalloc(max_lookups + 1, sizeof(*ips));
	for (i = 0, k = 0; i < n && k < max_lookups; i++)	/* distinct */
		if (k == 0 || !has_ip(ips, k, by[i]->ip))
			ips[k++] = by[i]->ip;
	names = am_xcalloc(k + 1, sizeof(*names));
	am_report_ptr_lookup(dns, ips, k, timeout_ms, names);
	for (i = 0; i < n; i++)
		for (j = 0; j < k; j++)
			if (strcmp(by[i]->ip, ips[j]) == 0) {
				free(by[i]->ptr);
				by[i]->ptr = am_xstrdup(names[j]);
				break;
			}
	free(names);
	free(ips);
	free(by);
}
