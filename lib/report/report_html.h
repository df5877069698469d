/*
 * NAME        am_report_html - the DMARC dashboard as a static site: HTML
 *             with inline CSS and SVG, no script, nothing fetched
 * SYNOPSIS    st = am_report_html_write(dir, dash, &opts, &why);
 * DESCRIPTION am_report_html_write() writes into dir (created if missing)
 *             index.html (every domain of dash with its daily chart, and
 *             the inbound summary) and one page per domain (named by
 *             am_report_html_page(): its sources with reverse names and
 *             alignment, the sources that fail only SPF or only DKIM, the
 *             daily figures, the reporters), each through a temporary file
 *             renamed into place; pages named domain-*.html that this run
 *             did not write are removed. Every string from the store
 *             (report text is attacker-controlled) goes through
 *             am_report_html_esc(): & < > " ' become references, control
 *             characters and bytes outside well-formed UTF-8 become
 *             U+FFFD, so it is inert text in an element or a double-quoted
 *             attribute. Figures carry their key in data- attributes
 *             (data-domain, data-ip, data-day, data-cat, data-method,
 *             data-result, data-disp) for tests. opts->generated (UTC
 *             seconds) is printed; opts->note (may be NULL) is added under
 *             the title.
 *             am_report_html_page() writes the file name of domain i of
 *             dash into out: "domain-" and the domain's [a-z0-9.-] bytes
 *             ('_' for others, at most 100), "-N" added when an earlier
 *             domain of dash got the same name.
 * THREADS     reentrant.
 * DIAGNOSTICS AM_TEMPFAIL with why on an I/O error.
 */
#ifndef AM_REPORT_HTML_H
#define AM_REPORT_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"
#include "report/report_dash.h"

#define AM_REPORT_HTML_NAME	160	/* bytes of a page name */

struct am_report_html_opts {
	int64_t generated;	/* UTC seconds */
	const char *note;	/* e.g. "reverse names not looked up" */
};

enum am_status am_report_html_write(const char *dir,
    const struct am_dash *d, const struct am_report_html_opts *o,
    struct am_why *why);
void am_report_html_page(const struct am_dash *d, size_t i, char *out);
void am_report_html_esc(struct am_buf *b, const char *s);
/* am_report_html_num - v with thousands separated by commas. */
void am_report_html_num(struct am_buf *b, uint64_t v);

/* report_svg.c: the stacked daily chart of a domain and its legend. */
void am_report_svg_chart(struct am_buf *b, const struct am_dash *d,
    const struct am_dash_domain *dom);
void am_report_svg_legend(struct am_buf *b);
const char *am_report_svg_color(enum am_dash_cat c);

#endif
