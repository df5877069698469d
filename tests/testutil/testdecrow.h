/*
 * NAME        am_test_drow - rows of the decision table (lib/pipeline/decide.c)
 *             for check_decide and check_decide_dmarc
 * SYNOPSIS    static const struct am_test_drow rows[] = {
 *                 { "name", "SPFFailAction reject\n",
 *                   { AM_RESULTS_EOM, .spf = SP_FAIL, ... },
 *                   { AM_MODE_INBOUND, AM_DISP_REJECT, "550 ...", "", "",
 *                     "none a.example dis=none", 0 } }, };
 *             am_test_drow_run(&rows[_i]);
 * DESCRIPTION A row is a compact struct am_results (struct am_test_rin), a
 *             configuration (the lines after AM_TEST_DROW_BASE) and what the
 *             verdict must say (struct am_test_want).
 *             am_test_drow_run() builds the policy and the results, decides,
 *             and asserts every field of want: mode, disposition, the reply
 *             ("rcode xcode text"), the hold reason, the plan ("-Name#n"
 *             deletions and "+Name" insertions as executed, bottom-most
 *             first) and the DMARC result applied ("result domain dis=X[
 *             override][ (comment)]"), and the internal errors.
 *             am_test_policy_of() is the policy of AM_TEST_DROW_BASE + conf
 *             (owned: am_test_policy_release() frees it and its
 *             configuration). am_test_drow_build() fills r from in, the
 *             storage in f (r points into f: keep f while r is used).
 *             am_test_plan_text() writes the plan of v into b.
 *             am_test_drow_sets() is true when one of rows[0..n) sets key to
 *             value in its configuration (one "Key value" line, any case).
 *             Fakes: arc_pass gives the first author has_arc_pass with the
 *             note AM_TEST_ARC_NOTE; broken_dkim gives it has_broken_dkim
 *             ("d=a.example: body hash mismatch"); seal installs a sealer
 *             that returns the set "as", "ams", "aar" (instance 2) for
 *             AM_TEST_SEAL_OK, or refuses with "chain ended" for
 *             AM_TEST_SEAL_REFUSE; arc_temperror gives the results an ARC
 *             fail with is_temperror.
 * DIAGNOSTICS Check assertions: call these inside a test.
 */
#ifndef AM_TESTDECROW_H
#define AM_TESTDECROW_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "pipeline/decide.h"

#define AM_TEST_DROW_ID "mx.test.example"
#define AM_TEST_DROW_BASE "AuthservID " AM_TEST_DROW_ID \
	"\nTrustAnchorFile\nInternalHosts 10.0.0.0/8\n"
#define AM_TEST_ARC_NOTE "arc=pass as.d=lists.example as.s=arc i=1 " \
	"dkim=pass header.d=a.example"

/* SPF result of one identity, as lib/spf would report it. */
enum am_test_sp { SP_NOT_RUN = 0, SP_NONE, SP_PASS, SP_FAIL, SP_TEMPERROR };

/* DMARC result of one author domain, as lib/dmarc would report it. */
enum am_test_dm {
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

enum am_test_seal {
	AM_TEST_SEAL_NONE = 0,	/* no sealer */
	AM_TEST_SEAL_OK,	/* the sealer adds i=2 */
	AM_TEST_SEAL_REFUSE,	/* the sealer refuses */
};

/* A compact struct am_results. */
struct am_test_rin {
	enum am_results_stage stage;
	const char *auth;		/* {auth_authen} */
	const char *daemon;		/* {daemon_name} */
	const char *client;		/* NULL: 192.0.2.1 */
	enum am_tls_policy_action tls;	/* the RequireTLS match */
	enum am_test_sp spf, helo;	/* MAIL FROM and HELO */
	const char *exp;		/* explanation of an SPF fail */
	enum am_test_dm dmarc[3];	/* authors a., b., c.example */
	enum am_sign_status sign;	/* DONE: two signatures */
	bool has_forged;		/* A-R #2 and #4, Received-TLS #1 */
	bool is_long_id;		/* AuthservID of 20 000 bytes */
	bool arc_pass;			/* author a.: has_arc_pass */
	bool broken_dkim;		/* author a.: has_broken_dkim */
	bool list;			/* List-Id present */
	enum am_test_seal seal;		/* the ARC sealer */
	bool arc_temperror;		/* ARC fail on a DNS temperror */
};

/* What the verdict must say. */
struct am_test_want {
	enum am_mode mode;
	enum am_disposition disp;
	const char *reply;	/* "rcode xcode text", "" for none */
	const char *quarantine;	/* hold reason, "" for none */
	const char *plan;	/* "-Name#n" deletions, "+Name" insertions */
	const char *dmarc;	/* "result domain dis=X[ override]", "" */
	unsigned errors;	/* enum am_verdict_error bits */
};

struct am_test_drow {
	const char *name;
	const char *conf;	/* after AM_TEST_DROW_BASE */
	struct am_test_rin in;
	struct am_test_want want;
};

/* The storage behind one struct am_results. */
struct am_test_fixture {
	struct am_addr client;
	struct am_tls_status tls;
	struct am_spf_result spf[2];
	struct am_dkim_results dkim;
	struct am_dmarc_result dmarc[3];
	struct am_arc_result arc;
	struct am_results_forged forged[3];
	struct am_results_sig sigs[2];
};

struct am_policy *am_test_policy_of(const char *conf);
void am_test_policy_release(struct am_policy *p);
void am_test_drow_build(const struct am_test_rin *in,
    struct am_test_fixture *f, struct am_results *r);
const char *am_test_plan_text(const struct am_verdict *v, struct am_buf *b);
void am_test_drow_run(const struct am_test_drow *row);
bool am_test_drow_sets(const struct am_test_drow *rows, size_t n,
    const char *key, const char *value);

/* tests/pipeline/decide_rows_dmarc.c: the DMARC rows. */
extern const struct am_test_drow am_test_dmarc_rows[];
extern const size_t am_test_dmarc_nrows;

#endif
