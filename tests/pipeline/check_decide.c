/*
 * check_decide - the decision table of lib/pipeline/decide.c: (results,
 * configuration) -> (mode, disposition, reply, quarantine reason, header
 * plan, the DMARC result applied, internal errors), one row per configured
 * reaction. test_every_action_key_covered fails when an action-type key of
 * lib/config/config_keys.def (types ACTION and QUARANTINE), or one of the
 * other keys the decision reads, has a value no row sets. Then the shape of
 * the plan (deletions first, insertions at index 0 bottom-up, the leading
 * space of SMFIP_HDR_LEADSPC, the reply's '%' doubled) and the policy
 * (SigningDaemons, a configuration no decision can honour).
 */
#include "autoconf.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "config/config.h"
#include "pipeline/decide.h"
#include "testutil/testutil.h"

#define ID "mx.test.example"
#define BASE "AuthservID " ID "\nTrustAnchorFile\nInternalHosts 10.0.0.0/8\n"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define AR "Authentication-Results"
#define STARTTLS "Must issue a STARTTLS command first"
#define LOCAL "authmilter: temporary local problem, try again later"
/* the insertions of an inbound message, as executed (bottom-most first) */
#define INS_IN "+Received-TLS +Received-SPF +" AR

/* SPF result of one identity, as lib/spf would report it. */
enum sp { SP_NOT_RUN = 0, SP_NONE, SP_PASS, SP_FAIL, SP_TEMPERROR };

/* DMARC result of one author domain, as lib/dmarc would report it. */
enum dm {
	DM_NOT_RUN = 0,
	DM_PASS,	/* aligned pass, p=reject */
	DM_NONE,	/* no record */
	DM_REJECT,	/* fail, disposition reject */
	DM_QUARANTINE,	/* fail, disposition quarantine */
	DM_FAIL_NONE,	/* fail, p=none */
	DM_TEMPERROR,	/* DNS failure */
	DM_MULTIPLE,	/* several From headers */
	DM_MISSING,	/* no usable From */
};

/* A compact struct am_results. */
struct rin {
	enum am_results_stage stage;
	const char *auth;		/* {auth_authen} */
	const char *daemon;		/* {daemon_name} */
	const char *client;		/* NULL: 192.0.2.1 */
	enum am_tls_policy_action tls;	/* the RequireTLS match */
	enum sp spf, helo;		/* MAIL FROM and HELO */
	const char *exp;		/* explanation of an SPF fail */
	enum dm dmarc[3];		/* authors a., b., c.example */
	enum am_sign_status sign;	/* DONE: two signatures */
	bool has_forged;		/* A-R #2 and #4, Received-TLS #1 */
	bool is_long_id;		/* AuthservID of 20 000 bytes */
};

/* What the verdict must say. */
struct want {
	enum am_mode mode;
	enum am_disposition disp;
	const char *reply;	/* "rcode xcode text", "" for none */
	const char *quarantine;	/* hold reason, "" for none */
	const char *plan;	/* "-Name#n" deletions, "+Name" insertions */
	const char *dmarc;	/* "result domain dis=X[ override]", "" */
	unsigned errors;	/* enum am_verdict_error bits */
};

static const struct dcase {
	const char *name;
	const char *conf;	/* after BASE */
	struct rin in;
	struct want want;
} cases[] = {
	/* ------------------------------------------------ MAIL FROM */
	{ "mail: no rule violated", "",
	  { AM_RESULTS_MAIL },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: RequireTLS reject", "RequireTLS port=25\n",
	  { AM_RESULTS_MAIL, .tls = AM_TLS_POLICY_REJECT },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "530 5.7.0 " STARTTLS, "", "",
	    "", 0 } },
	{ "mail: RequireTLS tempfail", "RequireTLS port=25 action=tempfail\n",
	  { AM_RESULTS_MAIL, .tls = AM_TLS_POLICY_TEMPFAIL },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "450 4.7.0 " STARTTLS, "", "",
	    "", 0 } },
	{ "mail: RequireTLS tag accepts", "RequireTLS port=25 action=tag\n",
	  { AM_RESULTS_MAIL, .tls = AM_TLS_POLICY_TAG },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: SMTP AUTH is outbound", "",
	  { AM_RESULTS_MAIL, .auth = "alice" },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: a SigningDaemons daemon, any case, is outbound",
	  "SigningDaemons ORIGINATING, sub\n",
	  { AM_RESULTS_MAIL, .daemon = "originating" },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: a daemon not listed is inbound",
	  "SigningDaemons ORIGINATING, sub\n",
	  { AM_RESULTS_MAIL, .daemon = "ORIG" },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: an InternalHosts client is outbound", "",
	  { AM_RESULTS_MAIL, .client = "10.1.2.3" },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	/* ------------------------------------------- inbound: SPF */
	{ "eom: nothing to act on", "AddReceivedSPF yes\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN,
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction reject: the domain's explanation",
	  "SPFFailAction reject\n",
	  { AM_RESULTS_EOM, .spf = SP_FAIL, .helo = SP_NONE,
	    .exp = "See http://example.org/why", .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT,
	    "550 5.7.23 See http://example.org/why", "", "",
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction reject: no explanation", "SPFFailAction reject\n",
	  { AM_RESULTS_EOM, .spf = SP_FAIL, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.23 SPF: this host is "
	    "not allowed to send mail for example.org", "", "",
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction tempfail", "SPFFailAction tempfail\n",
	  { AM_RESULTS_EOM, .spf = SP_FAIL, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.7.23 SPF: this host "
	    "is not allowed to send mail for example.org", "", "",
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction accept: DMARC decides", "SPFFailAction accept\n",
	  { AM_RESULTS_EOM, .spf = SP_FAIL, .helo = SP_FAIL,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN,
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction reject: a HELO fail counts too",
	  "SPFFailAction reject\n",
	  { AM_RESULTS_EOM, .spf = SP_PASS, .helo = SP_FAIL,
	    .dmarc = { DM_PASS } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.23 SPF: this host is "
	    "not allowed to send mail for client.example", "", "",
	    "pass a.example dis=none", 0 } },
	{ "SPFTempErrorAction tempfail", "SPFTempErrorAction tempfail\n",
	  { AM_RESULTS_EOM, .spf = SP_TEMPERROR, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.7.24 SPF: temporary "
	    "DNS error, try again later", "", "", "none a.example dis=none",
	    0 } },
	{ "SPFTempErrorAction accept", "SPFTempErrorAction accept\n",
	  { AM_RESULTS_EOM, .spf = SP_TEMPERROR, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN,
	    "none a.example dis=none", 0 } },
	/* ------------------------------------------ inbound: DMARC */
	{ "DMARC fail, p=reject: 550 5.7.1", "",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_REJECT } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.1 Message rejected by "
	    "the DMARC policy of a.example", "", "",
	    "fail a.example dis=reject", 0 } },
	{ "DMARCEnforce yes", "DMARCEnforce yes\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_REJECT } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.1 Message rejected by "
	    "the DMARC policy of a.example", "", "",
	    "fail a.example dis=reject", 0 } },
	{ "DMARCEnforce no: evaluated, reported, not enforced",
	  "DMARCEnforce no\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_REJECT } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN,
	    "fail a.example dis=none local_policy", 0 } },
	{ "QuarantineAction hold", "QuarantineAction hold\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_QUARANTINE } },
	  { AM_MODE_INBOUND, AM_DISP_QUARANTINE, "",
	    "DMARC policy of a.example", INS_IN,
	    "fail a.example dis=quarantine", 0 } },
	{ "QuarantineAction header: on top of ours",
	  "QuarantineAction header\nQuarantineHeader X-Held\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_QUARANTINE } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN " +X-Held",
	    "fail a.example dis=quarantine", 0 } },
	{ "DMARCTempErrorAction tempfail", "DMARCTempErrorAction tempfail\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_TEMPERROR } },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.7.1 DMARC policy of "
	    "a.example could not be retrieved, try again later", "", "",
	    "temperror a.example dis=none", 0 } },
	{ "DMARCTempErrorAction accept", "DMARCTempErrorAction accept\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_TEMPERROR } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN,
	    "temperror a.example dis=none", 0 } },
	{ "MultipleFromAction accept", "MultipleFromAction accept\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MULTIPLE } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "+Received-TLS +" AR,
	    "permerror a.example dis=none", 0 } },
	{ "MultipleFromAction tempfail", "MultipleFromAction tempfail\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MULTIPLE } },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.7.1 multiple From "
	    "headers", "", "", "permerror a.example dis=none", 0 } },
	{ "MultipleFromAction reject", "MultipleFromAction reject\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MULTIPLE } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.1 multiple From "
	    "headers", "", "", "permerror a.example dis=none", 0 } },
	{ "MultipleFromAction quarantine", "MultipleFromAction quarantine\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MULTIPLE } },
	  { AM_MODE_INBOUND, AM_DISP_QUARANTINE, "", "multiple From headers",
	    "+Received-TLS +" AR, "permerror a.example dis=none", 0 } },
	{ "MissingFromAction accept", "MissingFromAction accept\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MISSING } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "+Received-TLS +" AR,
	    "permerror - dis=none", 0 } },
	{ "MissingFromAction tempfail", "MissingFromAction tempfail\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MISSING } },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.7.1 no valid From "
	    "header", "", "", "permerror - dis=none", 0 } },
	{ "MissingFromAction reject", "MissingFromAction reject\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MISSING } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.1 no valid From "
	    "header", "", "", "permerror - dis=none", 0 } },
	{ "MissingFromAction quarantine (as a header)",
	  "MissingFromAction quarantine\nQuarantineAction header\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MISSING } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "",
	    "+Received-TLS +" AR " +X-Quarantine", "permerror - dis=none",
	    0 } },
	{ "an SPF reject comes first: no quarantine header",
	  "SPFFailAction reject\nQuarantineAction header\n",
	  { AM_RESULTS_EOM, .spf = SP_FAIL, .helo = SP_NONE,
	    .dmarc = { DM_QUARANTINE } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.23 SPF: this host is "
	    "not allowed to send mail for example.org", "", "",
	    "fail a.example dis=quarantine", 0 } },
	{ "several authors: the strictest wins", "",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_PASS, DM_REJECT, DM_QUARANTINE } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.1 Message rejected by "
	    "the DMARC policy of b.example", "", "",
	    "fail b.example dis=reject", 0 } },
	{ "several authors: the first on a tie", "",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_NONE, DM_REJECT, DM_REJECT } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.1 Message rejected by "
	    "the DMARC policy of b.example", "", "",
	    "fail b.example dis=reject", 0 } },
	{ "several authors: an accepted temperror ranks under a fail",
	  "DMARCTempErrorAction accept\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_TEMPERROR, DM_FAIL_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN,
	    "fail b.example dis=none", 0 } },
	{ "several authors: a tempfailed temperror ranks over a fail",
	  "DMARCTempErrorAction tempfail\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_FAIL_NONE, DM_TEMPERROR } },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.7.1 DMARC policy of "
	    "b.example could not be retrieved, try again later", "", "",
	    "temperror b.example dis=none", 0 } },
	/* ---------------------------------------------- the headers */
	{ "AddReceivedSPF no", "AddReceivedSPF no\n",
	  { AM_RESULTS_EOM, .spf = SP_PASS, .helo = SP_NONE,
	    .dmarc = { DM_PASS } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "+Received-TLS +" AR,
	    "pass a.example dis=none", 0 } },
	{ "TLSHeader none", "TLSHeader none\n",
	  { AM_RESULTS_EOM, .spf = SP_PASS, .helo = SP_NONE,
	    .dmarc = { DM_PASS } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "+Received-SPF +" AR,
	    "pass a.example dis=none", 0 } },
	{ "TLSHeader renamed", "TLSHeader X-TLS\n",
	  { AM_RESULTS_EOM, .auth = "alice" },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "+X-TLS", "", 0 } },
	{ "forged headers: deleted highest first, before insertions", "",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_NONE }, .has_forged = true },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "-" AR "#4 -" AR "#2 "
	    "-Received-TLS#1 " INS_IN, "none a.example dis=none", 0 } },
	{ "forged headers: nothing is changed in a rejected message",
	  "MultipleFromAction reject\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MULTIPLE }, .has_forged = true },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.1 multiple From "
	    "headers", "", "", "permerror a.example dis=none", 0 } },
	/* ----------------------------------------- internal errors */
	{ "OnInternalError tempfail: A-R and TLS header past their caps",
	  "OnInternalError tempfail\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_NONE }, .is_long_id = true },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.3.0 " LOCAL, "", "",
	    "none a.example dis=none",
	    AM_VERDICT_ERR_AUTHRES | AM_VERDICT_ERR_TLS_HEADER } },
	{ "OnInternalError accept: the message goes on without them",
	  "OnInternalError accept\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_NONE }, .is_long_id = true },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "+Received-SPF",
	    "none a.example dis=none",
	    AM_VERDICT_ERR_AUTHRES | AM_VERDICT_ERR_TLS_HEADER } },
	{ "OnInternalError tempfail overrides a DMARC reject", "",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_REJECT }, .is_long_id = true },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.3.0 " LOCAL, "", "",
	    "fail a.example dis=reject",
	    AM_VERDICT_ERR_AUTHRES | AM_VERDICT_ERR_TLS_HEADER } },
	/* ------------------------------------------------ outbound */
	{ "outbound: two signatures in key order, no A-R", "",
	  { AM_RESULTS_EOM, .auth = "alice", .sign = AM_SIGN_DONE },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "",
	    "+Received-TLS +DKIM-Signature +DKIM-Signature", "", 0 } },
	{ "outbound: nothing to sign", "",
	  { AM_RESULTS_EOM, .auth = "alice", .sign = AM_SIGN_NOTHING },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "+Received-TLS", "",
	    0 } },
	{ "outbound: the signer failed, OnInternalError tempfail",
	  "OnInternalError tempfail\n",
	  { AM_RESULTS_EOM, .client = "10.0.0.1", .sign = AM_SIGN_FAILED },
	  { AM_MODE_OUTBOUND, AM_DISP_TEMPFAIL, "451 4.3.0 " LOCAL, "", "",
	    "", AM_VERDICT_ERR_SIGN } },
	{ "outbound: the signer failed, OnInternalError accept",
	  "OnInternalError accept\n",
	  { AM_RESULTS_EOM, .client = "10.0.0.1", .sign = AM_SIGN_FAILED },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "+Received-TLS", "",
	    AM_VERDICT_ERR_SIGN } },
};

/* Keys the decision reads that are not of an action type, and the values
 * a row must set (test_every_action_key_covered). */
static const struct {
	const char *key;
	const char *value;
} other_keys[] = {
	{ "DMARCEnforce", "yes" }, { "DMARCEnforce", "no" },
	{ "AddReceivedSPF", "yes" }, { "AddReceivedSPF", "no" },
	{ "TLSHeader", "none" }, { "SigningDaemons", "ORIGINATING, sub" },
	{ "QuarantineHeader", "X-Held" },
};

/* Every key of the table, for the coverage test. */
static const struct {
	const char *name;
	const char *type;
	long min, max;
} keys[] = {
#define AM_KEY(name, type, def, min, max, field, doc) \
	{ #name, #type, (long)(min), (long)(max) },
#include "config/config_keys.def"
#undef AM_KEY
};

/* ------------------------------------------------------- fixtures */

static struct am_config *cfg;	/* per case */

/* policy_of - the policy of BASE + conf (cfg keeps the snapshot). */
static struct am_policy *
policy_of(const char *conf)
{
	struct am_buf errs;
	struct am_why why;
	struct am_policy *p;
	char *text, *path;

	if (asprintf(&text, "%s%s", BASE, conf) < 0)
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

/* The storage behind one struct am_results. */
struct fixture {
	struct am_addr client;
	struct am_tls_status tls;
	struct am_spf_result spf[2];
	struct am_dkim_results dkim;
	struct am_dmarc_result dmarc[3];
	struct am_results_forged forged[3];
	struct am_results_sig sigs[2];
};

/* spf_of - one SPF result. */
static void
spf_of(enum sp s, enum am_spf_scope scope, const char *exp,
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
dmarc_of(enum dm d, size_t i, struct am_dmarc_result *r)
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

/* build - the results rin describes, in f. */
static void
build(const struct rin *in, struct fixture *f, struct am_results *r)
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
}

/* plan_text - the plan as "-Name#n" and "+Name" steps. */
static const char *
plan_text(const struct am_verdict *v, struct am_buf *b)
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

/* dmarc_text - "result domain dis=X[ override]" of the result applied. */
static const char *
dmarc_text(const struct am_verdict *v, char *buf, size_t len)
{
	const struct am_dmarc_result *d = v->dmarc;

	if (d == NULL)
		return "";
	(void)snprintf(buf, len, "%s %s dis=%s%s%s",
	    am_dmarc_result_name(d->result),
	    d->header_from[0] ? d->header_from : "-",
	    am_dmarc_policy_name(d->disposition), d->override ? " " : "",
	    am_dmarc_override_name(d->override));
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

/* --------------------------------------------------------- tests */

START_TEST(test_decide)
{
	const struct dcase *c = &cases[_i];
	struct am_policy *p = policy_of(c->conf);
	struct fixture f;
	struct am_results r;
	struct am_verdict v;
	struct am_buf b;
	char reply[700], dm[512];

	if (c->in.is_long_id)
		p->authserv_id = long_id();
	build(&c->in, &f, &r);
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
	ck_assert_msg(strcmp(plan_text(&v, &b), c->want.plan) == 0,
	    "%s: plan got \"%s\", want \"%s\"", c->name, am_buf_str(&b),
	    c->want.plan);
	ck_assert_msg(strcmp(dmarc_text(&v, dm, sizeof(dm)), c->want.dmarc)
	    == 0, "%s: dmarc got \"%s\", want \"%s\"", c->name, dm,
	    c->want.dmarc);
	ck_assert_msg(v.errors == c->want.errors, "%s: errors got %#x, "
	    "want %#x", c->name, v.errors, c->want.errors);
	am_buf_release(&b);
	am_verdict_release(&v);
	am_policy_free(p);
	cfg = am_config_unref(cfg);
}
END_TEST

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

/* is_covered - a row sets key to value. */
static bool
is_covered(const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		if (row_sets(cases[i].conf, key, value))
			return true;
	return false;
}

/* Every action-type key, every value it allows, in some row; the same for
 * the RequireTLS actions and the other keys the decision reads. */
START_TEST(test_every_action_key_covered)
{
	static const char *const quarantine_words[] = { "hold", "header" };
	size_t i, j, n = 0;
	long a;

	for (i = 0; i < NELEM(keys); i++) {
		if (strcmp(keys[i].type, "ACTION") == 0) {
			for (a = keys[i].min; a <= keys[i].max; a++, n++)
				ck_assert_msg(is_covered(keys[i].name,
				    am_action_name((enum am_action)a)),
				    "no row sets %s %s", keys[i].name,
				    am_action_name((enum am_action)a));
		} else if (strcmp(keys[i].type, "QUARANTINE") == 0) {
			for (j = 0; j < NELEM(quarantine_words); j++, n++)
				ck_assert_msg(is_covered(keys[i].name,
				    quarantine_words[j]), "no row sets %s %s",
				    keys[i].name, quarantine_words[j]);
		}
	}
	ck_assert_uint_ge(n, 19);	/* 6 ACTION keys (17 values) and the
					 * 2 of QuarantineAction, today */
	for (i = 0; i < NELEM(other_keys); i++)
		ck_assert_msg(is_covered(other_keys[i].key,
		    other_keys[i].value), "no row sets %s %s",
		    other_keys[i].key, other_keys[i].value);
	for (a = AM_TLS_POLICY_OK; a <= AM_TLS_POLICY_REJECT; a++) {
		for (i = 0; i < NELEM(cases); i++)
			if (cases[i].in.stage == AM_RESULTS_MAIL &&
			    cases[i].in.tls == (enum am_tls_policy_action)a)
				break;
		ck_assert_msg(i < NELEM(cases), "no row has RequireTLS %s",
		    am_tls_policy_action_name((enum am_tls_policy_action)a));
	}
}
END_TEST

/* The plan as the adapter executes it: deletions, then insertions at 0
 * bottom-most first, values with the leading space when negotiated; the
 * top-to-bottom list (authmilterctl check prints it) keeps no space. */
START_TEST(test_plan_shape)
{
	static const struct rin in = { AM_RESULTS_EOM, .auth = "alice",
	    .sign = AM_SIGN_DONE, .has_forged = true,
	    .tls = AM_TLS_POLICY_TAG };
	struct am_policy *p = policy_of("");
	struct fixture f;
	struct am_results r;
	struct am_verdict v;
	int leadspc;

	for (leadspc = 0; leadspc < 2; leadspc++) {
		build(&in, &f, &r);
		r.has_leadspc = leadspc;
		am_verdict_init(&v);
		am_verdict_decide(p, &r, &v);
		ck_assert_uint_eq(v.nops, 6);
		ck_assert_str_eq(v.ins[0].value, "v=1; d=a.example; s=rsa");
		ck_assert_str_eq(v.ins[1].value, "v=1; d=a.example; s=ed");
		ck_assert_str_eq(v.ins[2].value,
		    "none receiver=" ID " policy=fail");
		ck_assert_uint_eq(v.ops[3].n, 0);
		ck_assert_str_eq(v.ops[3].value, leadspc ?
		    " none receiver=" ID " policy=fail" :
		    "none receiver=" ID " policy=fail");
		ck_assert_str_eq(v.ops[4].value, leadspc ?
		    " v=1; d=a.example; s=ed" : "v=1; d=a.example; s=ed");
		ck_assert_str_eq(v.ops[5].value, leadspc ?
		    " v=1; d=a.example; s=rsa" : "v=1; d=a.example; s=rsa");
		ck_assert_ptr_null(v.ops[0].value);
		ck_assert_ptr_null(v.smtp_text);
		am_verdict_release(&v);
	}
	am_policy_free(p);
	cfg = am_config_unref(cfg);
}
END_TEST

/* A reply with '%' reaches smfi_setreply doubled; one verdict used at MAIL
 * FROM and again at end of message is replaced, not added to. */
START_TEST(test_reply_and_reuse)
{
	static const struct rin mail = { AM_RESULTS_MAIL };
	static const struct rin eom = { AM_RESULTS_EOM, .spf = SP_FAIL,
	    .helo = SP_NONE, .exp = "100% forged", .dmarc = { DM_NONE },
	    .has_forged = true };
	struct am_policy *p = policy_of("SPFFailAction reject\n");
	struct fixture f;
	struct am_results r;
	struct am_verdict v;

	am_verdict_init(&v);
	build(&mail, &f, &r);
	am_verdict_decide(p, &r, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	build(&eom, &f, &r);
	am_verdict_decide(p, &r, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_str_eq(v.reply, "100% forged");
	ck_assert_str_eq(v.smtp_text, "100%% forged");
	ck_assert_uint_eq(v.ndel, 3);
	ck_assert_uint_eq(v.nins, 3);	/* recorded, not planned */
	ck_assert_uint_eq(v.nops, 0);
	am_verdict_decide(p, &r, &v);
	ck_assert_uint_eq(v.ndel, 3);
	am_verdict_release(&v);
	am_policy_free(p);
	cfg = am_config_unref(cfg);
}
END_TEST

/* SigningDaemons matching (moved from the signer). */
START_TEST(test_signing_daemons)
{
	struct am_policy *p = policy_of("SigningDaemons ORIGINATING, sub\n");

	ck_assert(am_policy_is_signing_daemon(p, "originating"));
	ck_assert(am_policy_is_signing_daemon(p, "SUB"));
	ck_assert(!am_policy_is_signing_daemon(p, "ORIG"));
	ck_assert(!am_policy_is_signing_daemon(p, ""));
	ck_assert(!am_policy_is_signing_daemon(p, NULL));
	ck_assert_uint_eq(p->nsigning_daemons, 2);
	am_policy_free(p);
	cfg = am_config_unref(cfg);
}
END_TEST

/* QuarantineAction header without a header name cannot be honoured. */
START_TEST(test_policy_refused)
{
	struct am_config *c = am_config_defaults();
	struct am_why why;

	c->quarantine_action = AM_QUARANTINE_HEADER;
	free(c->quarantine_header);
	c->quarantine_header = strdup("none");
	ck_assert_ptr_null(am_policy_new(c, &why));
	ck_assert_str_eq(why.text, "QuarantineAction header needs a "
	    "QuarantineHeader");
	am_config_unref(c);
}
END_TEST

START_TEST(test_null_args)
{
	am_verdict_decide(NULL, NULL, NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("decide");
	TCase *tc = tcase_create("decide");

	tcase_add_loop_test(tc, test_decide, 0, (int)NELEM(cases));
	tcase_add_test(tc, test_every_action_key_covered);
	tcase_add_test(tc, test_plan_shape);
	tcase_add_test(tc, test_reply_and_reuse);
	tcase_add_test(tc, test_signing_daemons);
	tcase_add_test(tc, test_policy_refused);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, test_null_args, SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
