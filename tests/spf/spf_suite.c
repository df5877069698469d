/*
 * spf_suite - run the OpenSPF conformance suites (RFC 7208, RFC 4408)
 * through lib/spf.
 *
 * Each YAML document is a scenario: its zonedata is loaded as libunbound
 * local data into a fresh local_only am_dns (no traffic), then every test's
 * host/mailfrom/helo is evaluated with am_spf_check() and the MAIL FROM
 * result (postmaster@helo for the null sender) is compared with `result`
 * (one result or a list) and, for fail, with `explanation` ("DEFAULT" = the
 * domain published none). Zone data follows the pyspf driver: SPF records
 * are also served as TXT unless the name has TXT entries; "TXT: NONE" adds
 * nothing; a bare TIMEOUT makes the name a "refuse" zone (REFUSED ->
 * temperror) that still answers the types listed before the TIMEOUT;
 * every other name is a "static" zone of its own, so a name below a
 * TIMEOUT name is not refused.
 * Malformed entries (on purpose in the suite) are skipped.
 *
 * Files: $AM_SPF_TESTDATA (a directory) or AM_TOP_SRCDIR/tests/conformance/
 * spf. Failures listed in tests/spf/KNOWN-DEVIATIONS.md as "- `FILE:TEST`"
 * are tolerated; the exit status is 0 only when every failure of the 7208
 * suite is listed and every listed 7208 case really fails (the 4408 figure
 * is informational).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "core/am.h"
#include "core/buf.h"
#include "config/config.h"
#include "dns/dns.h"
#include "core/netaddr.h"
#include "spf/spf.h"
#include "testutil/testrr.h"

#define MAX_KNOWN 256

struct known {
	char id[MAX_KNOWN][160];	/* "rfc7208:test-name" */
	bool is_seen[MAX_KNOWN];	/* failed in this run */
	size_t n;
};

struct tally {
	unsigned passed, failed, tolerated;
};

/* scalar - the node's text, or NULL when it is not a scalar. */
static const char *
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* map_get - value of key in mapping node m, or NULL. */
static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));

		if (k != NULL && strcmp(k, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* txt_rdata - a TXT value (string or list of strings); false if unusable. */
static bool
txt_rdata(yaml_document_t *doc, yaml_node_t *v, struct am_buf *rr)
{
	yaml_node_item_t *it;
	size_t n = 0;

	if (scalar(v) != NULL) {
		/* the length, not strlen: "\0" in the suite is a NUL byte */
		(void)am_test_rr_txt(rr, scalar(v), v->data.scalar.length);
		return true;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return false;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	    it++, n++) {
		yaml_node_t *sn = yaml_document_get_node(doc, *it);
		const char *s = scalar(sn);

		if (s == NULL)
			return false;
		(void)am_test_rr_txt(rr, s, sn->data.scalar.length);
	}
	return n > 0;	/* a TXT with no strings is illegal */
}

/* mx_rdata - [pref, host]. */
static bool
mx_rdata(yaml_document_t *doc, yaml_node_t *v, struct am_buf *rr)
{
	const char *pref, *host;

	if (v->type != YAML_SEQUENCE_NODE ||
	    v->data.sequence.items.top - v->data.sequence.items.start != 2)
		return false;
	pref = scalar(yaml_document_get_node(doc, v->data.sequence.items.start[0]));
	host = scalar(yaml_document_get_node(doc, v->data.sequence.items.start[1]));
	if (pref == NULL || host == NULL)
		return false;
	(void)am_buf_printf(rr, " %s %s.", pref, *host ? host : "");
	return true;
}

/* owner_name - name in unbound's zone-file syntax: characters that would
 * end or change the token (the suite has a name with spaces) as \DDD. */
static void
owner_name(struct am_buf *rr, const char *name)
{
	for (; *name != '\0'; name++) {
		unsigned char c = (unsigned char)*name;

		if (c <= 0x20 || c >= 0x7f || strchr("\"\\;()$@", c) != NULL)
			(void)am_buf_printf(rr, "\\%03u", c);
		else
			(void)am_buf_putc(rr, (char)c);
	}
}

/* add_rr - one "TYPE: value" entry of name; false if skipped. */
static bool
add_rr(struct am_dns *dns, yaml_document_t *doc, const char *name,
    const char *type, yaml_node_t *v)
{
	struct am_buf rr;
	struct am_why why;
	bool ok = true;
	const char *t = strcmp(type, "SPF") == 0 ? "TXT" : type;

	am_buf_init(&rr, 1 << 16);
	owner_name(&rr, name);
	(void)am_buf_printf(&rr, ". 300 IN %s", t);
	if (strcmp(t, "TXT") == 0)
		ok = txt_rdata(doc, v, &rr);
	else if (strcmp(t, "MX") == 0)
		ok = mx_rdata(doc, v, &rr);
	else if (scalar(v) != NULL)
		(void)am_buf_printf(&rr, " %s%s", scalar(v),
		    strcmp(t, "PTR") == 0 || strcmp(t, "CNAME") == 0 ? "." : "");
	else
		ok = false;
	if (ok)
		ok = am_dns_add_local(dns, am_buf_str(&rr), &why) == AM_OK;
	am_buf_release(&rr);
	return ok;
}

/* entry_type - the single key of a zonedata entry map, and its value. */
static const char *
entry_type(yaml_document_t *doc, yaml_node_t *e, yaml_node_t **v)
{
	yaml_node_pair_t *p;

	if (e->type != YAML_MAPPING_NODE ||
	    e->data.mapping.pairs.top - e->data.mapping.pairs.start != 1)
		return NULL;
	p = e->data.mapping.pairs.start;
	*v = yaml_document_get_node(doc, p->value);
	return scalar(yaml_document_get_node(doc, p->key));
}

/* has_timeout - does the name's list have a TIMEOUT (bare or TXT:)? */
static bool
has_timeout(yaml_document_t *doc, yaml_node_t *list)
{
	yaml_node_item_t *it;

	for (it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(doc, *it), *v = NULL;
		const char *s = scalar(e), *t;

		if (s != NULL && strcmp(s, "TIMEOUT") == 0)
			return true;
		t = e->type == YAML_MAPPING_NODE ? entry_type(doc, e, &v) : NULL;
		if (t != NULL && strcmp(t, "SPF") != 0 &&
		    scalar(v) != NULL && strcmp(scalar(v), "TIMEOUT") == 0)
			return true;
	}
	return false;
}

/* has_txt - does the name have explicit TXT entries (pyspf: no SPF copy)? */
static bool
has_txt(yaml_document_t *doc, yaml_node_t *list)
{
	yaml_node_item_t *it;
	yaml_node_t *v;

	for (it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(doc, *it);
		const char *t = e->type == YAML_MAPPING_NODE ?
		    entry_type(doc, e, &v) : NULL;

		if (t != NULL && strcmp(t, "TXT") == 0)
			return true;
	}
	return false;
}

/* load_name - all entries of one zonedata name (up to a bare TIMEOUT). */
static void
load_name(struct am_dns *dns, yaml_document_t *doc, const char *name,
    yaml_node_t *list)
{
	yaml_node_item_t *it;
	bool is_txt = has_txt(doc, list);

	for (it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(doc, *it), *v = NULL;
		const char *t;

		if (scalar(e) != NULL)
			break;	/* TIMEOUT: later types are not answered */
		t = entry_type(doc, e, &v);
		if (t == NULL || (scalar(v) != NULL &&
		    (strcmp(scalar(v), "NONE") == 0 ||
		    strcmp(scalar(v), "TIMEOUT") == 0)))
			continue;
		if (strcmp(t, "SPF") == 0 && is_txt)
			continue;	/* served as TXT only without TXT */
		(void)add_rr(dns, doc, name, t, v);
	}
}

/* load_zone - a fresh local_only resolver with the scenario's data. */
static struct am_dns *
load_zone(yaml_document_t *doc, yaml_node_t *zd)
{
	struct am_dns_opts opts = { .local_only = true };
	struct am_why why;
	struct am_dns *dns = am_dns_new(&opts, &why);
	yaml_node_pair_t *p;

	if (dns == NULL) {
		fprintf(stderr, "am_dns_new: %s\n", why.text);
		exit(2);
	}
	if (zd == NULL || zd->type != YAML_MAPPING_NODE)
		return dns;
	/* zones first: local data goes into the zone that encloses it */
	for (p = zd->data.mapping.pairs.start; p < zd->data.mapping.pairs.top;
	    p++) {
		const char *name = scalar(yaml_document_get_node(doc, p->key));
		yaml_node_t *l = yaml_document_get_node(doc, p->value);

		if (name != NULL && l->type == YAML_SEQUENCE_NODE)
			(void)am_dns_add_local_zone(dns, name,
			    has_timeout(doc, l) ? "refuse" : "static", &why);
	}
	for (p = zd->data.mapping.pairs.start; p < zd->data.mapping.pairs.top;
	    p++) {
		const char *name = scalar(yaml_document_get_node(doc, p->key));
		yaml_node_t *l = yaml_document_get_node(doc, p->value);

		if (name != NULL && l->type == YAML_SEQUENCE_NODE)
			load_name(dns, doc, name, l);
	}
	return dns;
}

/* result_ok - got is one of want (scalar or list). */
static bool
result_ok(yaml_document_t *doc, yaml_node_t *want, const char *got)
{
	yaml_node_item_t *it;

	if (scalar(want) != NULL)
		return strcasecmp(scalar(want), got) == 0;
	if (want == NULL || want->type != YAML_SEQUENCE_NODE)
		return false;
	for (it = want->data.sequence.items.start;
	    it < want->data.sequence.items.top; it++)
		if (strcasecmp(scalar(yaml_document_get_node(doc, *it)) ?
		    scalar(yaml_document_get_node(doc, *it)) : "", got) == 0)
			return true;
	return false;
}

/* known_find - index of id in the deviation list, or -1. */
static int
known_find(const struct known *k, const char *id)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->id[i], id) == 0)
			return (int)i;
	return -1;
}

/* run_test - one test case; true when it passed. */
static bool
run_test(struct am_spf *spf, yaml_document_t *doc, yaml_node_t *t,
    char *msg, size_t msglen)
{
	const char *host = scalar(map_get(doc, t, "host"));
	const char *from = scalar(map_get(doc, t, "mailfrom"));
	const char *helo = scalar(map_get(doc, t, "helo"));
	const char *exp = scalar(map_get(doc, t, "explanation"));
	yaml_node_t *want = map_get(doc, t, "result");
	struct am_spf_result mf, he;
	struct am_addr a;
	const char *got_exp;

	if (host == NULL || am_addr_parse(host, &a) != AM_OK) {
		snprintf(msg, msglen, "bad host %s", host ? host : "(none)");
		return false;
	}
	am_spf_check(spf, &a, helo ? helo : "", from ? from : "",
	    am_dns_deadline(5000), &mf, &he);
	if (!result_ok(doc, want, am_spf_result_name(mf.result))) {
		snprintf(msg, msglen, "got %s (%s), want %s",
		    am_spf_result_name(mf.result), mf.reason,
		    scalar(want) ? scalar(want) : "(list)");
		return false;
	}
	got_exp = mf.explanation[0] ? mf.explanation : "DEFAULT";
	if (exp != NULL && mf.result == AM_SPF_FAIL && strcmp(exp, got_exp)) {
		snprintf(msg, msglen, "explanation got \"%s\", want \"%s\"",
		    got_exp, exp);
		return false;
	}
	return true;
}

/* run_scenario - every test of one YAML document. */
static void
run_scenario(const char *file, yaml_document_t *doc, struct am_config *cfg,
    struct known *k, struct tally *tl)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	yaml_node_t *tests = map_get(doc, root, "tests");
	struct am_dns *dns;
	struct am_spf *spf;
	struct am_why why;
	yaml_node_pair_t *p;

	if (tests == NULL || tests->type != YAML_MAPPING_NODE)
		return;
	dns = load_zone(doc, map_get(doc, root, "zonedata"));
	spf = am_spf_new(dns, cfg, &why);
	if (spf == NULL) {
		fprintf(stderr, "am_spf_new: %s\n", why.text);
		exit(2);
	}
	for (p = tests->data.mapping.pairs.start;
	    p < tests->data.mapping.pairs.top; p++) {
		const char *name = scalar(yaml_document_get_node(doc, p->key));
		char id[160], msg[600];
		int ki;

		snprintf(id, sizeof(id), "%s:%s", file, name ? name : "?");
		ki = known_find(k, id);
		if (run_test(spf, doc, yaml_document_get_node(doc, p->value),
		    msg, sizeof(msg))) {
			tl->passed++;
			continue;
		}
		tl->failed++;
		if (ki >= 0) {
			k->is_seen[ki] = true;
			tl->tolerated++;
		}
		printf("FAIL %s%s: %s\n", id, ki >= 0 ? " (known deviation)" :
		    "", msg);
	}
	spf = am_spf_free(spf);
	dns = am_dns_free(dns);
}

/* run_file - every scenario of one suite file. */
static bool
run_file(const char *dir, const char *file, struct am_config *cfg,
    struct known *k, struct tally *tl)
{
	char path[1024];
	FILE *fp;
	yaml_parser_t parser;
	yaml_document_t doc;
	bool ok = true;

	snprintf(path, sizeof(path), "%s/%s-tests.yml", dir, file);
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: cannot open\n", path);
		return false;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	for (;;) {
		if (!yaml_parser_load(&parser, &doc)) {
			fprintf(stderr, "%s: YAML error: %s\n", path,
			    parser.problem ? parser.problem : "?");
			ok = false;
			break;
		}
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		run_scenario(file, &doc, cfg, k, tl);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	printf("%s: %u passed, %u failed (%u known deviations)\n", file,
	    tl->passed, tl->failed, tl->tolerated);
	return ok;
}

/* load_known - "- `FILE:TEST`" lines of KNOWN-DEVIATIONS.md. */
static void
load_known(struct known *k)
{
	char line[512], *a, *b;
	const char *path = getenv("AM_SPF_DEVIATIONS");
	FILE *fp;

	if (path == NULL)
		path = AM_TOP_SRCDIR "/tests/spf/KNOWN-DEVIATIONS.md";
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL && k->n < MAX_KNOWN) {
		if (strncmp(line, "- `", 3) != 0)
			continue;
		a = line + 3;
		if ((b = strchr(a, '`')) == NULL || (size_t)(b - a) >= 160)
			continue;
		memcpy(k->id[k->n], a, (size_t)(b - a));
		k->id[k->n++][b - a] = '\0';
	}
	fclose(fp);
}

int
main(void)
{
	const char *dir = getenv("AM_SPF_TESTDATA");
	struct am_config *cfg = am_config_defaults();
	struct known k;
	struct tally t7208 = { 0 }, t4408 = { 0 };
	bool ok = true;
	size_t i;

	memset(&k, 0, sizeof(k));
	if (dir == NULL)
		dir = AM_TOP_SRCDIR "/tests/conformance/spf";
	load_known(&k);
	ok &= run_file(dir, "rfc7208", cfg, &k, &t7208);
	ok &= run_file(dir, "rfc4408", cfg, &k, &t4408);
	for (i = 0; i < k.n; i++) {
		if (strncmp(k.id[i], "rfc7208:", 8) == 0 && !k.is_seen[i]) {
			printf("STALE known deviation %s: it passes now\n",
			    k.id[i]);
			ok = false;
		}
	}
	printf("total: %u passed, %u failed (rfc7208 %u/%u, rfc4408 %u/%u)\n",
	    t7208.passed + t4408.passed, t7208.failed + t4408.failed,
	    t7208.passed, t7208.passed + t7208.failed, t4408.passed,
	    t4408.passed + t4408.failed);
	if (t7208.failed != t7208.tolerated)
		ok = false;
	cfg = am_config_unref(cfg);
	return ok ? 0 : 1;
}
