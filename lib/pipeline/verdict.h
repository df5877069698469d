/*
 * NAME        am_verdict - what the milter does to one message
 * DESCRIPTION A verdict is the complete list of actions for one message, made
 *             in lib/ so a unit test (and authmilterctl check) sees exactly what
 *             the daemon would do; milter/ only replays it through smfi_*.
 *             am_verdict_init()/am_verdict_release() manage an inline verdict.
 *             am_verdict_delete() records "delete the n-th (1-based) header
 *             called name"; am_verdict_finish() sorts deletions in descending
 *             n per name, the order that cannot skip one (CVE-2022-48521).
 *             am_verdict_insert() records a header to add; insertions are kept
 *             in final top-to-bottom order (the adapter inserts them at index 0
 *             in reverse). am_verdict_set() sets the disposition and, for
 *             reject/tempfail, the SMTP reply (rcode "550", xcode "5.7.1",
 *             text without CR/LF; control characters are replaced).
 *             am_verdict_reply_escape() doubles '%' for smfi_setreply().
 *             The summary is the one log line for the message, built by the
 *             session.
 * THREADS     one owner.
 */
#ifndef AM_VERDICT_H
#define AM_VERDICT_H

#include <stddef.h>

#include "core/am.h"
#include "core/buf.h"

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

struct am_verdict {
	enum am_disposition disp;	/* what to tell the MTA */
	char rcode[4];			/* "550"; "" for accept */
	char xcode[12];			/* "5.7.1"; "" for accept */
	char reply[512];		/* SMTP text; "" for accept */
	char quarantine[128];		/* reason given to smfi_quarantine */
	size_t ndel;
	struct am_hdr_delete *del;	/* owned array */
	size_t nins;
	struct am_hdr_insert *ins;	/* owned array, top-to-bottom order */
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
const char *am_disposition_name(enum am_disposition d);
/* am_verdict_reply_escape - text with '%' doubled into out (>= 2*len+1). */
const char *am_verdict_reply_escape(const char *text, char *out, size_t len);

#endif
