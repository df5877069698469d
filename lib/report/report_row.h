/*
 * NAME        am_report_row - one DMARC aggregate-report row per message
 * DESCRIPTION am_report_row_enqueue() turns what the inbound checks found
 *             (struct am_report_input, all borrowed for the call) into a
 *             struct am_report_row and hands it to the store (copied there;
 *             never blocks, never touches disk). A row is made for every
 *             message DMARC evaluated against a published record (a reject
 *             included: PITFALLS "Rejected messages got no report row");
 *             messages without a record are not reportable and are skipped.
 *             A NULL store is a no-op (ReportStore empty).
 * THREADS     reentrant; the store is thread-safe.
 */
#ifndef AM_REPORT_ROW_H
#define AM_REPORT_ROW_H

#include <stdint.h>

#include "dkim/dkim_verify.h"
#include "dmarc/dmarc.h"
#include "report/report_store.h"
#include "spf/spf.h"

struct am_report_input {
	int64_t time;				/* UTC seconds */
	const char *client_ip;			/* text */
	const char *envelope_from;		/* MAIL FROM address, "" null */
	const char *helo;			/* HELO name */
	const char *envelope_to;		/* first RCPT address, or NULL */
	const struct am_dmarc_result *dmarc;	/* required */
	const struct am_spf_result *spf_mfrom;	/* or NULL */
	const struct am_spf_result *spf_helo;	/* or NULL */
	const struct am_dkim_results *dkim;	/* or NULL */
};

void am_report_row_enqueue(struct am_report_store *rs,
    const struct am_report_input *in);

#endif
