/*
 * arc_suite - the ValiMail ARC test suite (tests/conformance/arc, written
 * against draft-ietf-dmarc-arc-protocol-18; README §2.2) through lib/arc.
 *
 * Each YAML document is a scenario: its txt-records become libunbound
 * local data of a fresh local-only resolver (folded values keep their
 * spaces: RFC 6376 allows FWS in p=). A test id that occurs twice in one
 * scenario counts once, the last copy (what the reference runner's YAML
 * loader keeps): 171 validation tests, 17 signing tests.
 *
 * Validation: the message goes through am_arc_verify and its status must
 * equal cv (case-insensitive). The three tests with an empty cv (the
 * reference runner reads "validator returned nothing" as success) expect
 * fail: RFC 8617 §5.2 step 2 (a chain whose newest seal says cv=fail
 * fails), published after the suite.
 *
 * Signing: the message is verified (its txt-records hold the key) to get
 * the chain status, then sealed with the scenario's key, d= and s=, the
 * test's t= and sig-headers, and an AAR made like the reference signer's:
 * the results of every Authentication-Results whose authserv-id is srv-id,
 * in order, joined by "; " after "srv-id". AS, AMS and AAR are compared as
 * the suite's README says: white space removed, split on ';', as sets. An
 * empty expectation means no set may be added.
 *
 * Failures listed in tests/arc/KNOWN-DEVIATIONS.md as "- `FILE:TEST`"
 * (FILE: validation or signing) are tolerated; a listed case that passes
 * fails the suite, so the list cannot rot. $AM_ARC_TESTDATA overrides the
 * data directory; with $AM_ARC_VERBOSE set every test prints its
 * outcome.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <yaml.h>

#include "core/buf.h"
#include "msg/authres.h"
#include "dns/dns.h"
#include "dkim/keys.h"
#include "arc/arc_seal.h"
#include "arc/arc_verify.h"
#include "testutil/testarc.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

#define MAX_KNOWN 64

struct known {
	char id[MAX_KNOWN][128];	/* "validation:test-name" */
	bool is_seen[MAX_KNOWN];	/* failed in this run */
	size_t n;
};

struct tally {
	unsigned passed, failed, tolerated;
};

static struct known known;

static const char *
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

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

/* is_shadowed - does a later pair of the mapping have the same key? */
static bool
is_shadowed(yaml_document_t *doc, yaml_node_t *m, yaml_node_pair_t *p)
{
	const char *k = scalar(yaml_document_get_node(doc, p->key));
	yaml_node_pair_t *q;

	for (q = p + 1; q < m->data.mapping.pairs.top; q++) {
		const char *k2 = scalar(yaml_document_get_node(doc, q->key));

		if (k != NULL && k2 != NULL && strcmp(k, k2) == 0)
			return true;
	}
	return false;
}

/* load_dns - a local-only resolver with the scenario's txt-records. */
static struct am_dns *
load_dns(yaml_document_t *doc, yaml_node_t *root)
{
	struct am_dns *dns = am_test_dns_local(NULL, NULL);
	yaml_node_t *recs = map_get(doc, root, "txt-records");
	yaml_node_pair_t *p;

	if (recs == NULL || recs->type != YAML_MAPPING_NODE)
		return dns;
	for (p = recs->data.mapping.pairs.start;
	    p < recs->data.mapping.pairs.top; p++) {
		const char *name = scalar(yaml_document_get_node(doc, p->key));
		const char *v = scalar(yaml_document_get_node(doc, p->value));

		if (name != NULL && v != NULL)
			am_test_dns_add_txt(dns, name, v);
	}
	return dns;
}

/* known_find - index of id in the deviation list, or -1. */
static int
known_find(const char *id)
{
	size_t i;

	for (i = 0; i < known.n; i++)
		if (strcmp(known.id[i], id) == 0)
			return (int)i;
	return -1;
}

/* count - one test's outcome against the deviation list. */
static void
count(struct tally *t, const char *file, const char *name, bool ok,
    const char *msg)
{
	char id[128];
	int k;

	snprintf(id, sizeof(id), "%s:%s", file, name);
	k = known_find(id);
	if (getenv("AM_ARC_VERBOSE") != NULL)
		printf("%s %s: %s\n", ok ? "ok" : "FAIL", id, msg);
	if (ok) {
		t->passed++;
		return;
	}
	t->failed++;
	if (k >= 0) {
		known.is_seen[k] = true;
		t->tolerated++;
	}
	printf("FAIL %s%s: %s\n", id, k >= 0 ? " (known deviation)" : "",
	    msg);
}

/* validate - one validation test; true when it passed. */
static bool
validate(struct am_dns *dns, const char *msg, const char *cv, char *why,
    size_t whylen)
{
	struct am_test_arc_msg t;
	struct am_arc_result res;
	const char *want = cv[0] == '\0' ? "fail" : cv;	/* RFC 8617 */
	bool ok;

	am_test_arc_load(&t, msg, strlen(msg));
	am_test_arc_verify(dns, &t, 0, &res);
	ok = strcasecmp(am_arc_status_name(res.status), want) == 0;
	snprintf(why, whylen, "got %s (%s), want %s",
	    am_arc_status_name(res.status), res.reason, want);
	am_arc_result_release(&res);
	am_test_arc_release(&t);
	return ok;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* tokens - s without white space, split on ';', empty pieces dropped,
 * sorted: the suite's comparison. Returns the count; *out owned. */
static size_t
tokens(const char *s, char ***out)
{
	char **v = calloc(strlen(s) + 1, sizeof(*v));
	size_t n = 0, len = 0;
	char *cur = calloc(1, strlen(s) + 1);

	for (;; s++) {
		if (*s == ';' || *s == '\0') {
			if (len > 0) {
				cur[len] = '\0';
				v[n++] = strdup(cur);
				len = 0;
			}
			if (*s == '\0')
				break;
		} else if (!strchr(" \t\r\n", *s))
			cur[len++] = *s;
	}
	free(cur);
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

/* same_tags - the suite's comparison of an expected and a produced value;
 * the first difference goes into why. */
static bool
same_tags(const char *what, const char *want, const char *got, char *why,
    size_t whylen)
{
	char **a, **b;
	size_t na = tokens(want, &a), nb = tokens(got ? got : "", &b), i;
	bool ok = na == nb;

	for (i = 0; ok && i < na; i++)
		ok = strcmp(a[i], b[i]) == 0;
	if (!ok) {
		for (i = 0; i < na && i < nb && strcmp(a[i], b[i]) == 0; i++)
			;
		snprintf(why, whylen, "%s: got [%s], want [%s]", what,
		    i < nb ? b[i] : "(end)", i < na ? a[i] : "(end)");
	}
	for (i = 0; i < na; i++)
		free(a[i]);
	for (i = 0; i < nb; i++)
		free(b[i]);
	free(a);
	free(b);
	return ok;
}

/* consolidate - "srv; r1; r2; ..." from the A-R headers of srv, in order
 * (the reference signer: each header's results split on ';'). */
static void
consolidate(const struct am_msg *m, const char *srv, struct am_buf *out)
{
	size_t i, n = am_msg_count(m, "Authentication-Results");

	am_buf_reset(out);
	ck_assert(am_buf_puts(out, srv) == AM_OK);
	for (i = 0; i < n; i++) {
		const struct am_header *h = am_msg_find(m,
		    "Authentication-Results", i);
		struct am_authres_parsed *p;
		const char *v, *e;

		if (am_authres_parse(h->value, h->value_len, &p, NULL) !=
		    AM_OK)
			continue;
		if (strcmp(p->authserv_id, srv) == 0 &&
		    (v = memchr(h->value, ';', h->value_len)) != NULL)
			for (v++; v < h->value + h->value_len; v = e + 1) {
				const char *a = v, *z;

				e = memchr(v, ';', (size_t)(h->value +
				    h->value_len - v));
				if (e == NULL)
					e = h->value + h->value_len;
				for (z = e; z > a && strchr(" \t\r\n", z[-1]);
				    z--)
					;
				while (a < z && strchr(" \t\r\n", *a))
					a++;
				if (z > a)
					ck_assert(am_buf_printf(out, "; %.*s",
					    (int)(z - a), a) == AM_OK);
			}
		am_authres_parsed_free(p);
	}
}

/* split_names - "a:b:c" into a NULL-terminated array (owned, one block). */
static const char **
split_names(const char *s)
{
	size_t n = 2, i, k = 0;
	char *copy;
	const char **v;

	for (i = 0; s[i]; i++)
		n += s[i] == ':';
	v = calloc(1, n * sizeof(*v) + strlen(s) + 1);
	copy = (char *)(v + n);
	memcpy(copy, s, strlen(s) + 1);
	v[k++] = copy;
	for (i = 0; copy[i]; i++)
		if (copy[i] == ':') {
			copy[i] = '\0';
			v[k++] = copy + i + 1;
		}
	return v;
}

struct signer {
	struct am_key key;	/* the scenario's private key */
	struct am_dns *dns;	/* its txt-records */
};

/* sign_one - one signing test; true when it passed. */
static bool
sign_one(const struct signer *sg, yaml_document_t *doc, yaml_node_t *t,
    char *why, size_t whylen)
{
	const char *msg = scalar(map_get(doc, t, "message"));
	const char *want[3] = { scalar(map_get(doc, t, "AS")),
	    scalar(map_get(doc, t, "AMS")), scalar(map_get(doc, t, "AAR")) };
	const char **names = split_names(scalar(map_get(doc, t,
	    "sig-headers")));
	struct am_arc_seal_opts o = { &sg->key, NULL, NULL, names,
	    strtoull(scalar(map_get(doc, t, "t")), NULL, 10), 50 };
	struct am_test_arc_msg m;
	struct am_arc_result res;
	struct am_arc_seal_set set;
	struct am_buf ar;
	struct am_why w = { "" };
	char **tk, *text;
	size_t ntk = tokens(want[0], &tk);
	bool ok, is_none = ntk == 0;

	while (ntk > 0)
		free(tk[--ntk]);
	free(tk);
	am_buf_init(&ar, 65536);
	am_test_arc_load(&m, msg, strlen(msg));
	am_test_arc_verify(sg->dns, &m, 0, &res);
	consolidate(m.m, scalar(map_get(doc, t, "srv-id")), &ar);
	text = am_test_arc_seal(&m, &o, res.status, am_buf_str(&ar), &set,
	    &w);
	if (is_none) {
		ok = text == NULL;
		snprintf(why, whylen, "sealed i=%u, want no set", set.instance);
	} else if (text == NULL) {
		ok = false;
		snprintf(why, whylen, "not sealed: %s", w.text);
	} else
		ok = same_tags("AMS", want[1], set.ams, why, whylen) &&
		    same_tags("AAR", want[2], set.aar, why, whylen) &&
		    same_tags("AS", want[0], set.as, why, whylen);
	if (ok)
		snprintf(why, whylen, "AS, AMS, AAR match");
	else
		printf("  (chain %s: %s)\n", am_arc_status_name(res.status),
		    res.reason);
	free(text);
	am_arc_seal_set_release(&set);
	am_arc_result_release(&res);
	am_test_arc_release(&m);
	am_buf_release(&ar);
	free(names);
	return ok;
}

/* signer_load - the scenario's key, d= and s=; false when it has none. */
static bool
signer_load(struct signer *sg, yaml_document_t *doc, yaml_node_t *root)
{
	const char *pem = scalar(map_get(doc, root, "privatekey"));
	BIO *bio;

	memset(&sg->key, 0, sizeof(sg->key));
	if (pem == NULL)
		return false;
	bio = BIO_new_mem_buf(pem, -1);
	sg->key.pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ck_assert_msg(sg->key.pkey != NULL, "privatekey does not decode");
	sg->key.name = "suite";
	sg->key.domain = (char *)scalar(map_get(doc, root, "domain"));
	sg->key.selector = (char *)scalar(map_get(doc, root, "sel"));
	sg->key.alg = AM_KEY_RSA_SHA256;
	ck_assert(sg->key.domain != NULL && sg->key.selector != NULL);
	return true;
}

/* run_scenario - every test of one document. */
static void
run_scenario(const char *file, yaml_document_t *doc, struct tally *tl)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	yaml_node_t *tests = map_get(doc, root, "tests");
	bool is_sign = strcmp(file, "signing") == 0;
	struct signer sg;
	yaml_node_pair_t *p;

	if (tests == NULL || tests->type != YAML_MAPPING_NODE)
		return;
	sg.dns = load_dns(doc, root);
	if (is_sign)
		ck_assert_msg(signer_load(&sg, doc, root), "no privatekey");
	for (p = tests->data.mapping.pairs.start;
	    p < tests->data.mapping.pairs.top; p++) {
		const char *name = scalar(yaml_document_get_node(doc, p->key));
		yaml_node_t *t = yaml_document_get_node(doc, p->value);
		const char *cv = scalar(map_get(doc, t, "cv"));
		char why[400] = "";
		bool ok;

		if (is_shadowed(doc, tests, p))
			continue;	/* a later copy of the id counts */
		if (is_sign)
			ok = sign_one(&sg, doc, t, why, sizeof(why));
		else
			ok = validate(sg.dns, scalar(map_get(doc, t,
			    "message")), cv ? cv : "", why, sizeof(why));
		count(tl, file, name ? name : "?", ok, why);
	}
	if (is_sign)
		EVP_PKEY_free(sg.key.pkey);
	sg.dns = am_dns_free(sg.dns);
}

/* run_file - every scenario of one suite file. */
static void
run_file(const char *file, const char *path, struct tally *tl)
{
	FILE *fp = fopen(path, "rb");
	yaml_parser_t parser;
	yaml_document_t doc;

	ck_assert_msg(fp != NULL, "%s: cannot open", path);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	for (;;) {
		ck_assert_msg(yaml_parser_load(&parser, &doc), "%s: YAML: %s",
		    path, parser.problem ? parser.problem : "?");
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		run_scenario(file, &doc, tl);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
}

/* run_suite - one file, its count, and the deviation check. */
static void
run_suite(const char *file, const char *name, unsigned want_total)
{
	const char *dir = getenv("AM_ARC_TESTDATA");
	struct tally tl = { 0, 0, 0 };
	char path[1024];
	size_t i, stale = 0, prefix = strlen(file);

	if (dir == NULL)
		dir = AM_TOP_SRCDIR "/tests/conformance/arc";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	run_file(file, path, &tl);
	for (i = 0; i < known.n; i++)
		if (strncmp(known.id[i], file, prefix) == 0 &&
		    known.id[i][prefix] == ':' && !known.is_seen[i]) {
			printf("STALE known deviation %s: it passes now\n",
			    known.id[i]);
			stale++;
		}
	printf("%s: %u/%u passed, %u failed (%u known deviations)\n", file,
	    tl.passed, tl.passed + tl.failed, tl.failed, tl.tolerated);
	fflush(stdout);	/* a failed check ends the forked test */
	ck_assert_msg(tl.passed + tl.failed == want_total,
	    "%s: %u tests, want %u", file, tl.passed + tl.failed, want_total);
	ck_assert_msg(tl.failed == tl.tolerated && stale == 0,
	    "%s: %u unlisted failures, %zu stale deviations", file,
	    tl.failed - tl.tolerated, stale);
}

START_TEST(test_validation)
{
	run_suite("validation", "arc-draft-validation-tests.yml", 171);
}
END_TEST

START_TEST(test_signing)
{
	run_suite("signing", "arc-draft-sign-tests.yml", 17);
}
END_TEST

/* load_known - "- `FILE:TEST`" lines of KNOWN-DEVIATIONS.md. */
static void
load_known(void)
{
	char line[512], *a, *b;
	FILE *fp = fopen(AM_TOP_SRCDIR "/tests/arc/KNOWN-DEVIATIONS.md", "r");

	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL && known.n < MAX_KNOWN) {
		if (strncmp(line, "- `", 3) != 0)
			continue;
		a = line + 3;
		if ((b = strchr(a, '`')) == NULL || (size_t)(b - a) >= 128)
			continue;
		memcpy(known.id[known.n], a, (size_t)(b - a));
		known.id[known.n++][b - a] = '\0';
	}
	fclose(fp);
}

int
main(void)
{
	Suite *s = suite_create("arc_suite");
	TCase *tc = tcase_create("conformance");

	load_known();
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_validation);
	tcase_add_test(tc, test_signing);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
