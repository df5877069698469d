/*
 * NAME        am_verdict - what the milter does to one message
 * DESCRIPTION A verdict is the complete list of actions for one message, made
 *             in lib/ so a unit test (and authmilterctl check) sees exactly what
 *             the daemon would do; milter/ only replays it through smfi_*.
 *             It is filled by the decision (am_verdict_decide(), decide.h);
 *             this module is the container.
 *             am_verdict_init()/am_verdict_release() manage an inline verdict.
 *             am_verdict_delete() records "delete the n-th (1-based) header
 *             called name"; am_verdict_finish() sorts deletions in descending
 *             n per name, the order that cannot skip one (CVE-2022-48521).
 *             am_verdict_insert() records a header to add; insertions are kept
 *             in final top-to-bottom order. am_verdict_set() sets the
 *             disposition and, for reject/tempfail, the SMTP reply (rcode,
 *             xcode, text without CR/LF; control characters are replaced);
 *             each must fit its field (a longer one is an interface
 *             violation: the decision writes bounded texts).
 *             am_verdict_plan() turns the lists into the plan the adapter
 *             executes in order: ops[] (every deletion, in the order above,
 *             then every insertion at index 0, bottom-most first, with the
 *             value as smfi_insheader() takes it: a leading space added when
 *             has_leadspc, i.e. SMFIP_HDR_LEADSPC was negotiated), and
 *             smtp_text (the reply with '%' doubled for smfi_setreply()).
 *             Header changes are planned only for a message that is accepted
 *             or quarantined; a reject or tempfail plans none.
 *             am_verdict_reply_escape() doubles '%' (out >= 2*len+1).
 *             The summary is the one log line for the message (logline.h).
 * THREADS     one owner.
 */
#ifndef AM_VERDICT_H
#define AM_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "core/buf.h"
#include "config/config.h"
#include "dmarc/dmarc.h"

enum am_mode {
	AM_MODE_INBOUND = 0,	/* verify, add Authentication-Results */
	AM_MODE_OUTBOUND,	/* authenticated or internal client */
};

enum am_disposition {
	AM_DISP_ACCEPT = 0,	/* continue, with the header changes */
	AM_DISP_QUARANTINE,	/* accept and hold (smfi_quarantine) */
	AM_DISP_REJECT,		/* 5xx */
	AM_DISP_TEMPFAIL,	/* 4xx */
};

struct am_hdr_delete {
	char *name;		/* owned */
	size_t n;		/* 1-based occurrence among headers named name */
};

struct am_hdr_insert {
	char *name;		/* owned */
	char *value;		/* owned; folded with "\n\t", no leading space */
};

/* Failures of our own for which OnInternalError applied (bit flags). */
enum am_verdict_error {
	AM_VERDICT_ERR_AUTHRES = 1U << 0,	/* A-R past its size cap */
	AM_VERDICT_ERR_SIGN = 1U << 1,		/* DKIM signing failed */
	AM_VERDICT_ERR_TLS_HEADER = 1U << 2,	/* TLS header too long */
};

enum am_hdr_op_kind {
	AM_HDR_OP_DELETE = 0,	/* smfi_chgheader(name, n, NULL) */
	AM_HDR_OP_INSERT,	/* smfi_insheader(n, name, value) */
};

/* One step of the header plan. */
struct am_hdr_op {
	enum am_hdr_op_kind kind;
	const char *name;	/* borrowed from the verdict's del/ins */
	size_t n;		/* DELETE: 1-based occurrence among headers
				 * called name; INSERT: the index (0 = top) */
	char *value;		/* INSERT: owned, exactly as passed to
				 * smfi_insheader; DELETE: NULL */
};

struct am_verdict {
	enum am_mode mode;		/* inbound or outbound */
	enum am_disposition disp;	/* what to tell the MTA */
	char rcode[4];			/* SMTP reply code; "" for accept */
	char xcode[12];			/* enhanced status code (RFC 3463);
					 * "" for accept */
	char reply[512];		/* SMTP text; "" for accept */
	char quarantine[256];		/* reason given to smfi_quarantine */
	size_t ndel;
	struct am_hdr_delete *del;	/* owned array */
	size_t nins;
	struct am_hdr_insert *ins;	/* owned array, top-to-bottom order */
	unsigned errors;		/* enum am_verdict_error bits */
	size_t ar_dropped;		/* A-R entries left out (size cap) */
	enum am_action dmarc_action;	/* the local reaction to DMARC (and
					 * to a bad From): ACCEPT when none */
	unsigned arc_sealed;		/* i= of the ARC set we added, 0:
					 * none */
	char arc_seal_note[192];	/* why no set was added although
					 * ARCSeal is on, "" otherwise */
	struct am_dmarc_result *dmarc;	/* owned: the DMARC result applied
					 * (the strictest author domain, with
					 * the disposition we apply), or NULL
					 * when DMARC did not run */
	size_t nops;
	struct am_hdr_op *ops;		/* owned: the plan, in order */
	char *smtp_text;		/* owned: reply with '%' doubled, for
					 * smfi_setreply; NULL unless reject or
					 * tempfail (after am_verdict_plan) */
	struct am_buf summary;		/* the one log line, without prefix */
};

void am_verdict_init(struct am_verdict *v);
void am_verdict_release(struct am_verdict *v);
void am_verdict_delete(struct am_verdict *v, const char *name, size_t n);
void am_verdict_insert(struct am_verdict *v, const char *name,
    const char *value);
void am_verdict_set(struct am_verdict *v, enum am_disposition disp,
    const char *rcode, const char *xcode, const char *text);
void am_verdict_finish(struct am_verdict *v);
void am_verdict_plan(struct am_verdict *v, bool has_leadspc);
const char *am_disposition_name(enum am_disposition d);
/* am_verdict_reply_escape - text with '%' doubled into out (>= 2*len+1). */
const char *am_verdict_reply_escape(const char *text, char *out, size_t len);

#endif
