/*
 * testdecrow.c - the decision table's rows (testdecrow.h): results built
 * from a compact description, decided, and every field of the verdict
 * compared, failures as "NAME: X got ..., want ...".
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config.h"
#include "testutil/testdecrow.h"
#include "testutil/testutil.h"

#define AR "Authentication-Results"
#define STARTTLS "Must issue a STARTTLS command first"

/* am_test_policy_of - the policy of the base + conf. */
struct am_policy *
am_test_policy_of(const char *conf)
{
	struct am_config *cfg;
	struct am_buf errs;
	struct am_why why;
	struct am_policy *p;
	char *text, *path;

	if (asprintf(&text, "%s%s", AM_TEST_DROW_BASE, conf) < 0)
		ck_abort_msg("out of memory");
	path = am_test_temp_file(text, strlen(text));
	am_buf_init(&errs, 4096);
	cfg = am_config_load(path, &errs, NULL);
	ck_assert_msg(cfg != NULL, "%s", am_buf_str(&errs));
	p = am_policy_new(cfg, &why);
	ck_assert_msg(p != NULL, "am_policy_new: %s", why.text);
	am_buf_release(&errs);
	unlink(path);
	free(path);
	free(text);
	return p;
}

/* am_test_policy_release - the policy and the configuration it reads. */
void
am_test_policy_release(struct am_policy *p)
{
	struct am_config *cfg = (struct am_config *)p->cfg;

	am_policy_free(p);
	am_config_unref(cfg);
}

/* spf_of - one SPF result. */
static void
spf_of(enum am_test_sp s, enum am_spf_scope scope, const char *exp,
    struct am_spf_result *out)
{
	static const enum am_spf_res res[] = {
		[SP_NONE] = AM_SPF_NONE, [SP_PASS] = AM_SPF_PASS,
		[SP_FAIL] = AM_SPF_FAIL, [SP_TEMPERROR] = AM_SPF_TEMPERROR,
	};

	memset(out, 0, sizeof(*out));
	out->is_checked = s != SP_NOT_RUN;
	out->result = res[s];
	out->scope = scope;
	(void)snprintf(out->domain, sizeof(out->domain), "%s",
	    scope == AM_SPF_SCOPE_HELO ? "client.example" : "example.org");
	(void)snprintf(out->identity, sizeof(out->identity), "%s",
	    scope == AM_SPF_SCOPE_HELO ? "client.example" :
	    "sender@example.org");
	if (s == SP_FAIL && exp != NULL)
		(void)snprintf(out->explanation, sizeof(out->explanation),
		    "%s", exp);
}

/* dmarc_of - one author domain's DMARC result. */
static void
dmarc_of(enum am_test_dm d, size_t i, struct am_dmarc_result *r)
{
	memset(r, 0, sizeof(*r));
	r->sample_draw = -1;
	r->policy_tag = "";
	r->nauthors = 1;
	(void)snprintf(r->header_from, sizeof(r->header_from), "%c.example",
	    (int)('a' + i));
	r->has_record = d == DM_PASS || d == DM_REJECT ||
	    d == DM_QUARANTINE || d == DM_FAIL_NONE;
	r->rec.p = d == DM_QUARANTINE ? AM_DMARC_POLICY_QUARANTINE :
	    d == DM_FAIL_NONE ? AM_DMARC_POLICY_NONE : AM_DMARC_POLICY_REJECT;
	r->rec.sp = AM_DMARC_POLICY_UNSPEC;
	r->rec.pct = 100;
	r->policy = r->rec.p;
	r->policy_tag = r->has_record ? "p" : "";
	r->result = d == DM_PASS ? AM_DMARC_PASS : d == DM_NONE ?
	    AM_DMARC_NONE : d == DM_TEMPERROR ? AM_DMARC_TEMPERROR :
	    d >= DM_MULTIPLE ? AM_DMARC_PERMERROR : AM_DMARC_FAIL;
	r->disposition = r->result == AM_DMARC_FAIL ? r->policy :
	    AM_DMARC_POLICY_NONE;
	r->is_multiple_from = d == DM_MULTIPLE;
	r->is_missing_from = d == DM_MISSING;
	if (d == DM_MISSING)
		r->header_from[0] = '\0';
	(void)snprintf(r->reason, sizeof(r->reason), "%s", d == DM_NONE ?
	    "no DMARC record" : d == DM_TEMPERROR ? "timeout" : "");
}

/* fake_seal - the sealer of a row: a fixed set, or a refusal. */
static enum am_status
fake_seal(void *arg, const char *authres, struct am_arc_seal_set *set,
    struct am_why *why)
{
	const enum am_test_seal *how = arg;

	ck_assert_ptr_nonnull(strstr(authres, AM_TEST_DROW_ID ";"));
	if (*how == AM_TEST_SEAL_REFUSE) {
		am_why_set(why, "chain ended");
		return AM_PERMFAIL;
	}
	set->instance = 2;
	set->as = strdup("as");
	set->ams = strdup("ams");
	set->aar = strdup("aar");
	ck_assert(set->as != NULL && set->ams != NULL && set->aar != NULL);
	return AM_OK;
}

/* build_arc - the ARC parts of a row. */
static void
build_arc(const struct am_test_rin *in, struct am_test_fixture *f,
    struct am_results *r)
{
	if (in->arc_pass) {
		f->dmarc[0].has_arc_pass = true;
		(void)snprintf(f->dmarc[0].arc_note,
		    sizeof(f->dmarc[0].arc_note), "%s", AM_TEST_ARC_NOTE);
	}
	if (in->broken_dkim) {
		f->dmarc[0].has_broken_dkim = true;
		(void)snprintf(f->dmarc[0].broken_dkim,
		    sizeof(f->dmarc[0].broken_dkim),
		    "d=a.example: body hash mismatch");
	}
	r->has_list_headers = in->list;
	if (in->seal != AM_TEST_SEAL_NONE) {
		r->seal = fake_seal;
		r->seal_arg = (void *)&in->seal;
	}
	if (in->arc_temperror) {
		f->arc.status = AM_ARC_FAIL;
		f->arc.is_temperror = true;
		(void)snprintf(f->arc.reason, sizeof(f->arc.reason),
		    "ARC-Seal i=1: timeout");
		r->arc = &f->arc;
	}
}

/* am_test_drow_build - the results in describes, in f. */
void
am_test_drow_build(const struct am_test_rin *in, struct am_test_fixture *f,
    struct am_results *r)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	am_results_init(r, in->stage);
	r->auth_user = in->auth;
	r->daemon_name = in->daemon;
	ck_assert_int_eq(am_addr_parse(in->client ? in->client : "192.0.2.1",
	    &f->client), AM_OK);
	r->client = &f->client;
	r->tls_policy = in->tls;
	r->tls_policy_why = in->tls != AM_TLS_POLICY_OK ? STARTTLS : "";
	if (in->stage == AM_RESULTS_MAIL)
		return;
	r->tls = &f->tls;
	if (in->spf != SP_NOT_RUN) {
		spf_of(in->spf, AM_SPF_SCOPE_MFROM, in->exp, &f->spf[0]);
		spf_of(in->helo, AM_SPF_SCOPE_HELO, in->exp, &f->spf[1]);
		r->spf_mfrom = &f->spf[0];
		r->spf_helo = &f->spf[1];
		r->received_spf = "pass (test) client-ip=192.0.2.1;";
	}
	for (i = 0; i < 3 && in->dmarc[i] != DM_NOT_RUN; i++)
		dmarc_of(in->dmarc[i], i, &f->dmarc[i]);
	if ((r->ndmarc = i) > 0) {
		r->has_inbound = true;
		r->dmarc = f->dmarc;
		r->dkim = &f->dkim;
	}
	if (in->has_forged) {
		f->forged[0] = (struct am_results_forged){ AR, 2 };
		f->forged[1] = (struct am_results_forged){ "Received-TLS", 1 };
		f->forged[2] = (struct am_results_forged){ AR, 4 };
		r->forged = f->forged;
		r->nforged = 3;
	}
	r->sign = in->sign;
	if (in->sign == AM_SIGN_DONE) {
		f->sigs[0] = (struct am_results_sig){ "v=1; d=a.example; s=rsa",
		    "a.example", "rsa" };
		f->sigs[1] = (struct am_results_sig){ "v=1; d=a.example; s=ed",
		    "a.example", "ed" };
		r->sigs = f->sigs;
		r->nsigs = 2;
	}
	build_arc(in, f, r);
}

/* am_test_plan_text - the plan as "-Name#n" and "+Name" steps. */
const char *
am_test_plan_text(const struct am_verdict *v, struct am_buf *b)
{
	size_t i;

	am_buf_reset(b);
	for (i = 0; i < v->nops; i++) {
		if (v->ops[i].kind == AM_HDR_OP_DELETE)
			ck_assert(am_buf_printf(b, "%s-%s#%zu", i ? " " : "",
			    v->ops[i].name, v->ops[i].n) == AM_OK);
		else
			ck_assert(am_buf_printf(b, "%s+%s", i ? " " : "",
			    v->ops[i].name) == AM_OK);
	}
	return am_buf_str(b);
}

/* dmarc_text - "result domain dis=X[ override][ (comment)]". */
static const char *
dmarc_text(const struct am_verdict *v, char *buf, size_t len)
{
	const struct am_dmarc_result *d = v->dmarc;

	if (d == NULL)
		return "";
	(void)snprintf(buf, len, "%s %s dis=%s%s%s%s%s%s",
	    am_dmarc_result_name(d->result),
	    d->header_from[0] ? d->header_from : "-",
	    am_dmarc_policy_name(d->disposition), d->override ? " " : "",
	    am_dmarc_override_name(d->override),
	    d->override_comment[0] ? " (" : "", d->override_comment,
	    d->override_comment[0] ? ")" : "");
	return buf;
}

/* long_id - an authserv-id no header can hold. */
static const char *
long_id(void)
{
	static char id[20001];

	memset(id, 'x', sizeof(id) - 1);
	return id;
}

/* am_test_drow_run - decide one row and compare (see the header). */
void
am_test_drow_run(const struct am_test_drow *c)
{
	struct am_policy *p = am_test_policy_of(c->conf);
	struct am_test_fixture f;
	struct am_results r;
	struct am_verdict v;
	struct am_buf b;
	char reply[700], dm[900];

	if (c->in.is_long_id)
		p->authserv_id = long_id();
	am_test_drow_build(&c->in, &f, &r);
	am_verdict_init(&v);
	am_buf_init(&b, 4096);
	am_verdict_decide(p, &r, &v);
	(void)snprintf(reply, sizeof(reply), "%s%s%s%s%s", v.rcode,
	    v.rcode[0] ? " " : "", v.xcode, v.xcode[0] ? " " : "", v.reply);
	ck_assert_msg(v.mode == c->want.mode, "%s: mode got %d, want %d",
	    c->name, (int)v.mode, (int)c->want.mode);
	ck_assert_msg(v.disp == c->want.disp, "%s: got %s, want %s", c->name,
	    am_disposition_name(v.disp), am_disposition_name(c->want.disp));
	ck_assert_msg(strcmp(reply, c->want.reply) == 0,
	    "%s: reply got \"%s\", want \"%s\"", c->name, reply, c->want.reply);
	ck_assert_msg(strcmp(v.disp == AM_DISP_QUARANTINE ? v.quarantine : "",
	    c->want.quarantine) == 0, "%s: quarantine got \"%s\", want \"%s\"",
	    c->name, v.quarantine, c->want.quarantine);
	ck_assert_msg(strcmp(am_test_plan_text(&v, &b), c->want.plan) == 0,
	    "%s: plan got \"%s\", want \"%s\"", c->name, am_buf_str(&b),
	    c->want.plan);
	ck_assert_msg(strcmp(dmarc_text(&v, dm, sizeof(dm)), c->want.dmarc)
	    == 0, "%s: dmarc got \"%s\", want \"%s\"", c->name, dm,
	    c->want.dmarc);
	ck_assert_msg(v.errors == c->want.errors, "%s: errors got %#x, "
	    "want %#x", c->name, v.errors, c->want.errors);
	am_buf_release(&b);
	am_verdict_release(&v);
	am_test_policy_release(p);
}

/* row_sets - does a row's configuration set key to value? */
static bool
row_sets(const char *conf, const char *key, const char *value)
{
	char line[256];
	size_t kl = strlen(key), n;

	for (; *conf != '\0'; conf += n + (conf[n] == '\n')) {
		n = strcspn(conf, "\n");
		(void)snprintf(line, sizeof(line), "%.*s", (int)n, conf);
		if (strncasecmp(line, key, kl) == 0 && line[kl] == ' ' &&
		    strcasecmp(line + kl + 1, value) == 0)
			return true;
	}
	return false;
}

/* am_test_drow_sets - one of the rows sets key to value. */
bool
am_test_drow_sets(const struct am_test_drow *rows, size_t n, const char *key,
    const char *value)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (row_sets(rows[i].conf, key, value))
			return true;
	return false;
}
