/*
 * report_html.c - the dashboard pages (contract in report_html.h).
 *
 * Pages are built in a capped buffer and renamed into place. Trusted text
 * (fixed words, numbers, dates) is written as is; every string that came
 * from the store goes through am_report_html_esc(), attributes always in
 * double quotes. There is no script and no external reference: CSS is in
 * the page, charts are inline SVG (report_svg.c).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "report/report_store.h"
#include "report/report_html.h"

#define PAGE_MAX	(64u << 20)	/* bytes of one page */
#define SOURCES_MAX	1000		/* rows of a sources table */
#define BASE_MAX	112		/* bytes of a page name's base */

static const char css[] =
    "body{margin:0;background:#f4f5f7;color:#1d2430;font:15px/1.45 "
    "system-ui,-apple-system,Segoe UI,Roboto,DejaVu Sans,sans-serif}"
    "header{background:#1f3a5f;color:#fff;padding:22px 32px}"
    "header h1{margin:0;font-size:26px;font-weight:600}"
    "header p{margin:6px 0 0;color:#c9d6e8}header a{color:#fff}"
    "main{max-width:1120px;margin:0 auto;padding:20px 24px 40px}"
    "h2{font-size:20px;margin:0 0 10px}h3{font-size:16px;margin:18px 0 8px}"
    ".card{background:#fff;border-radius:8px;box-shadow:0 1px 3px "
    "rgba(0,0,0,.12);padding:18px 22px;margin:0 0 20px}"
    ".lead{color:#566173;margin:0 0 12px}"
    "table{border-collapse:collapse;width:100%;font-size:14px}"
    "th{text-align:left;color:#566173;font-weight:600;border-bottom:2px "
    "solid #d9dee6;padding:6px 8px}td{padding:6px 8px;border-bottom:1px "
    "solid #eceff3;vertical-align:top}tbody tr:nth-child(even){background:"
    "#fafbfc}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}td.ip,td.dom{font-family:DejaVu Sans Mono,"
    "monospace;font-size:13px;word-break:break-all}"
    ".stats{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 12px}"
    ".stat{flex:1 1 140px;background:#f7f9fb;border-radius:6px;padding:"
    "10px 14px}.stat b{display:block;font-size:22px;font-variant-numeric:"
    "tabular-nums}.stat span{color:#566173;font-size:13px}"
    ".good b{color:#2e7d32}.bad b{color:#c62828}"
    ".meter{display:inline-block;width:90px;height:9px;background:#f1d4d4;"
    "border-radius:5px;vertical-align:middle;margin-right:6px;overflow:"
    "hidden}.meter i{display:block;height:100%;background:#2e7d32}"
    "svg.chart{width:100%;height:auto;display:block}"
    "svg .grid{stroke:#e3e7ed;stroke-width:1}svg .base{stroke:#98a2b3}"
    "svg text{font-size:12px;fill:#566173}svg .ylab{text-anchor:end}"
    "svg .xlab{text-anchor:middle}"
    ".legend{list-style:none;padding:0;margin:6px 0 0;display:flex;"
    "flex-wrap:wrap;gap:6px 18px;font-size:13px;color:#3b4556}"
    ".sw{display:inline-block;width:12px;height:12px;border-radius:2px;"
    "margin-right:6px;vertical-align:-1px}"
    ".pill{display:inline-block;padding:1px 8px;border-radius:10px;"
    "font-size:12px;background:#e8edf3}.p-reject{background:#e3f1e4}"
    ".p-none{background:#fdecea}.muted{color:#8a94a6}"
    "details summary{cursor:pointer;color:#1f5fa8;margin:10px 0}"
    "a{color:#1f5fa8;text-decoration:none}a:hover{text-decoration:"
    "underline}.more{font-size:14px;font-weight:400;margin-left:14px}"
    ".two{display:grid;grid-template-columns:1fr 1fr;gap:20px}"
    "@media (max-width:800px){.two{display:block}}";

/* put_utf8 - the well-formed UTF-8 sequence at p, or U+FFFD; returns the
 * bytes used (at least 1). */
static size_t
put_utf8(struct am_buf *b, const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		goto bad;
	lo = p[0] == 0xe0 ? 0xa0 : p[0] == 0xf0 ? 0x90 : 0x80;
	hi = p[0] == 0xed ? 0x9f : p[0] == 0xf4 ? 0x8f : 0xbf;
	if (p[1] < lo || p[1] > hi)
		goto bad;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			goto bad;
	(void)am_buf_append(b, p, n);
	return n;
bad:
	(void)am_buf_puts(b, "\xef\xbf\xbd");
	return 1;
}

/* am_report_html_esc - s as inert HTML text or attribute value. */
void
am_report_html_esc(struct am_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		switch (*p) {
		case '&': (void)am_buf_puts(b, "&amp;"); break;
		case '<': (void)am_buf_puts(b, "&lt;"); break;
		case '>': (void)am_buf_puts(b, "&gt;"); break;
		case '"': (void)am_buf_puts(b, "&quot;"); break;
		case '\'': (void)am_buf_puts(b, "&#39;"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				(void)am_buf_puts(b, "\xef\xbf\xbd");
			else if (*p < 0x80)
				(void)am_buf_putc(b, (char)*p);
			else {
				p += put_utf8(b, p);
				continue;
			}
		}
		p++;
	}
}

/* am_report_html_num - v as "12,345". */
void
am_report_html_num(struct am_buf *b, uint64_t v)
{
	char t[32];
	int len = snprintf(t, sizeof(t), "%llu", (unsigned long long)v), i;

	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			(void)am_buf_putc(b, ',');
		(void)am_buf_putc(b, t[i]);
	}
}

/* td_num - a right-aligned number cell with a class. */
static void
td_num(struct am_buf *b, const char *cls, uint64_t v)
{
	(void)am_buf_printf(b, "<td class=\"n %s\">", cls);
	am_report_html_num(b, v);
	(void)am_buf_puts(b, "</td>");
}

/* pct - v of all as a percentage with one decimal ("-" for none). */
static void
pct(struct am_buf *b, uint64_t v, uint64_t all)
{
	if (all == 0)
		(void)am_buf_puts(b, "&#8211;");
	else
		(void)am_buf_printf(b, "%.1f%%", 100.0 * (double)v /
		    (double)all);
}

/* date - UTC day of t as YYYY-MM-DD into out. */
static void
date(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
}

/* page_base - "domain-" and the file-name-safe bytes of domain. */
static void
page_base(const char *s, char *out)
{
	size_t n = 0;

	n = (size_t)snprintf(out, BASE_MAX, "domain-");
	for (; *s != '\0' && n + 1 < BASE_MAX; s++)
		out[n++] = (*s >= 'a' && *s <= 'z') || (*s >= '0' &&
		    *s <= '9') || *s == '.' || *s == '-' ? *s : *s >= 'A' &&
		    *s <= 'Z' ? (char)(*s - 'A' + 'a') : '_';
	out[n] = '\0';
}

/* page_names - the page names of domains 0..n-1 (owned): each its base,
 * made unique against the earlier ones by "-2", "-3", ... */
static char (*page_names(const struct am_dash *d, size_t n))[AM_REPORT_HTML_NAME]
{
	char (*names)[AM_REPORT_HTML_NAME] = calloc(n + 1, sizeof(*names));
	char base[BASE_MAX];
	size_t k, j, dup;

	if (names == NULL)
		AM_PANIC("page_names: out of memory");
	for (k = 0; k < n; k++) {
		page_base(d->dom[k].domain, base);
		snprintf(names[k], sizeof(names[k]), "%s.html", base);
		for (dup = 2, j = 0; j < k; j++)
			if (strcmp(names[j], names[k]) == 0) {
				snprintf(names[k], sizeof(names[k]),
				    "%s-%zu.html", base, dup++);
				j = (size_t)-1;	/* check again from 0 */
			}
	}
	return names;
}

/* am_report_html_page - the page name of domain i. */
void
am_report_html_page(const struct am_dash *d, size_t i, char *out)
{
	char (*names)[AM_REPORT_HTML_NAME] = page_names(d, i + 1);

	snprintf(out, AM_REPORT_HTML_NAME, "%s", names[i]);
	free(names);
}

/* head - the page up to <main>. */
static void
head(struct am_buf *b, const char *title, const struct am_dash *d,
    const struct am_report_html_opts *o, bool is_index)
{
	char from[16], to[16], gen[32];
	time_t g = (time_t)o->generated;
	struct tm tm;

	date(d->begin, from, sizeof(from));
	date(d->begin + (int64_t)(d->days - 1) * 86400, to, sizeof(to));
	gmtime_r(&g, &tm);
	strftime(gen, sizeof(gen), "%Y-%m-%d %H:%M UTC", &tm);
	(void)am_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width="
	    "device-width,initial-scale=1\"><meta http-equiv=\"Content-"
	    "Security-Policy\" content=\"default-src 'none'; style-src "
	    "'unsafe-inline'; img-src data:\"><title>");
	am_report_html_esc(b, title);
	(void)am_buf_printf(b, "</title><style>%s</style></head><body>"
	    "<header><h1>", css);
	am_report_html_esc(b, title);
	(void)am_buf_printf(b, "</h1><p>%s to %s (%u days, UTC) &#183; "
	    "generated %s%s%s%s</p></header><main>\n", from, to, d->days, gen,
	    is_index ? "" : " &#183; <a href=\"index.html\">&#8592; all "
	    "domains</a>", o->note != NULL ? " &#183; " : "",
	    o->note != NULL ? o->note : "");
}

/* domain_row - one line of the overview table. */
static void
domain_row(struct am_buf *b, const struct am_dash *d, size_t i)
{
	const struct am_dash_domain *dom = &d->dom[i];
	char page[AM_REPORT_HTML_NAME];
	uint64_t fail = dom->messages - dom->cat[AM_DASH_PASS] -
	    dom->cat[AM_DASH_NONE];
	unsigned width = dom->messages == 0 ? 0 :
	    (unsigned)(100 * dom->cat[AM_DASH_PASS] / dom->messages);
	size_t r;

	am_report_html_page(d, i, page);
	(void)am_buf_puts(b, "<tr data-domain=\"");
	am_report_html_esc(b, dom->domain);
	(void)am_buf_printf(b, "\"><td class=\"dom\"><a href=\"%s\">", page);
	am_report_html_esc(b, dom->domain);
	(void)am_buf_printf(b, "</a></td><td><span class=\"pill p-%s\">p=",
	    strcmp(dom->p, "reject") == 0 ? "reject" : strcmp(dom->p,
	    "none") == 0 ? "none" : "q");
	am_report_html_esc(b, dom->p);
	(void)am_buf_puts(b, "</span></td>");
	td_num(b, "msgs", dom->messages);
	td_num(b, "pass", dom->cat[AM_DASH_PASS]);
	td_num(b, "fail", fail);
	td_num(b, "none", dom->cat[AM_DASH_NONE]);
	(void)am_buf_printf(b, "<td class=\"n rate\"><span class=\"meter\">"
	    "<i style=\"width:%u%%\"></i></span>", width);
	pct(b, dom->cat[AM_DASH_PASS], dom->messages);
	for (r = 0; r < dom->n_rep && r < 3; r++) {
		(void)am_buf_puts(b, r == 0 ? "</td><td>" : ", ");
		am_report_html_esc(b, dom->rep[r].org);
	}
	(void)am_buf_printf(b, "%s%s</td></tr>\n", dom->n_rep > 3 ? ", &#8230;" :
	    "", dom->n_rep == 0 ? "</td><td>" : "");
}

/* figure - one figure box. */
static void
figure(struct am_buf *b, const char *cls, const char *id, uint64_t v,
    const char *what)
{
	(void)am_buf_printf(b, "<div class=\"stat %s\" data-k=\"%s\"><b>", cls,
	    id);
	am_report_html_num(b, v);
	(void)am_buf_printf(b, "</b><span>%s</span></div>", what);
}

static void daily_table(struct am_buf *b, const struct am_dash *d,
    const struct am_dash_domain *dom);

/* domain_card - a domain's figures and chart (index and its page). */
static void
domain_card(struct am_buf *b, const struct am_dash *d, size_t i,
    bool is_index)
{
	const struct am_dash_domain *dom = &d->dom[i];
	char page[AM_REPORT_HTML_NAME];
	uint64_t fail = dom->messages - dom->cat[AM_DASH_PASS] -
	    dom->cat[AM_DASH_NONE];

	am_report_html_page(d, i, page);
	(void)am_buf_puts(b, "<section class=\"card domain\" data-domain=\"");
	am_report_html_esc(b, dom->domain);
	(void)am_buf_puts(b, "\"><h2>");
	am_report_html_esc(b, dom->domain);
	if (is_index)
		(void)am_buf_printf(b, "<a class=\"more\" href=\"%s\">sources "
		    "and details &#8594;</a>", page);
	(void)am_buf_puts(b, "</h2><div class=\"stats\">");
	figure(b, "", "messages", dom->messages, "messages reported");
	figure(b, "good", "pass", dom->cat[AM_DASH_PASS], "DMARC pass");
	figure(b, "bad", "fail", fail, "DMARC fail");
	figure(b, "", "sources", dom->n_src, "sending IPs");
	(void)am_buf_puts(b, "</div>");
	am_report_svg_chart(b, d, dom);
	am_report_svg_legend(b);
	if (!is_index)
		daily_table(b, d, dom);
	(void)am_buf_puts(b, "</section>\n");
}

/* method_row - one method's results by RFC 8601 word. */
static void
method_row(struct am_buf *b, const char *key, const char *what,
    const uint64_t *v, uint64_t extra_none)
{
	int r;

	(void)am_buf_printf(b, "<tr data-method=\"%s\"><td>%s</td>", key, what);
	for (r = 0; r < 8; r++) {
		(void)am_buf_printf(b, "<td class=\"n\" data-result=\"%s\">",
		    am_report_result_name((enum am_report_result)r));
		am_report_html_num(b, v[r] + (r == 0 ? extra_none : 0));
		(void)am_buf_puts(b, "</td>");
	}
	(void)am_buf_puts(b, "</tr>\n");
}

/* inbound - what authmilter decided, from its own rows. */
static void
inbound(struct am_buf *b, const struct am_dash *d)
{
	const struct am_dash_inbound *in = &d->in;
	uint64_t dmarc[8] = { 0 };
	size_t i;
	int r;

	dmarc[AM_REPORT_RES_PASS] = in->dmarc_pass;
	dmarc[AM_REPORT_RES_FAIL] = in->messages - in->dmarc_pass;
	(void)am_buf_puts(b, "<section class=\"card\" id=\"inbound\"><h2>"
	    "Inbound mail: what authmilter decided</h2><p class=\"lead\">"
	    "Messages this server evaluated against a published DMARC "
	    "policy (its own report rows).</p><div class=\"stats\">");
	figure(b, "", "in-messages", in->messages, "messages evaluated");
	figure(b, "good", "in-pass", in->dmarc_pass, "DMARC pass");
	figure(b, "bad", "in-fail", in->messages - in->dmarc_pass, "DMARC fail");
	figure(b, "", "in-reject", in->disp[2], "rejected");
	figure(b, "", "in-quarantine", in->disp[1], "quarantined");
	(void)am_buf_puts(b, "</div><h3>Results per method</h3><table "
	    "id=\"methods\"><thead><tr><th>method</th>");
	for (r = 0; r < 8; r++)
		(void)am_buf_printf(b, "<th class=\"n\">%s</th>",
		    am_report_result_name((enum am_report_result)r));
	(void)am_buf_puts(b, "</tr></thead><tbody>");
	method_row(b, "dmarc", "DMARC (messages)", dmarc, 0);
	method_row(b, "dkim", "DKIM (signatures; none: unsigned messages)",
	    in->dkim, in->unsigned_msgs);
	method_row(b, "spf-mfrom", "SPF MAIL FROM (checks)", in->spf_mfrom, 0);
	method_row(b, "spf-helo", "SPF HELO (checks)", in->spf_helo, 0);
	(void)am_buf_puts(b, "</tbody></table><div class=\"two\"><div><h3>"
	    "Dispositions applied</h3><table id=\"dispositions\"><thead><tr>"
	    "<th>disposition</th><th class=\"n\">messages</th><th class=\"n\">"
	    "share</th></tr></thead><tbody>");
	for (r = 0; r < 3; r++) {
		(void)am_buf_printf(b, "<tr data-disp=\"%s\"><td>%s</td>",
		    am_report_disp_name((enum am_report_disp)r),
		    am_report_disp_name((enum am_report_disp)r));
		td_num(b, "msgs", in->disp[r]);
		(void)am_buf_puts(b, "<td class=\"n\">");
		pct(b, in->disp[r], in->messages);
		(void)am_buf_puts(b, "</td></tr>");
	}
	(void)am_buf_puts(b, "</tbody></table></div><div><h3>Domains failing "
	    "DMARC most</h3><table id=\"top-failing\"><thead><tr><th>policy "
	    "domain</th><th class=\"n\">fail</th><th class=\"n\">messages</th>"
	    "</tr></thead><tbody>");
	for (i = 0; i < in->n_top; i++) {
		(void)am_buf_puts(b, "<tr data-domain=\"");
		am_report_html_esc(b, in->top[i].domain);
		(void)am_buf_puts(b, "\"><td class=\"dom\">");
		am_report_html_esc(b, in->top[i].domain);
		(void)am_buf_puts(b, "</td>");
		td_num(b, "fail", in->top[i].fail);
		td_num(b, "msgs", in->top[i].messages);
		(void)am_buf_puts(b, "</tr>");
	}
	if (in->n_top == 0)
		(void)am_buf_puts(b, "<tr><td colspan=\"3\" class=\"muted\">"
		    "no DMARC failures</td></tr>");
	(void)am_buf_puts(b, "</tbody></table></div></div></section>\n");
}

/* index_page - the overview. */
static void
index_page(struct am_buf *b, const struct am_dash *d,
    const struct am_report_html_opts *o)
{
	size_t i;

	head(b, "DMARC dashboard", d, o, true);
	(void)am_buf_puts(b, "<section class=\"card\" id=\"overview\"><h2>Your "
	    "domains</h2><p class=\"lead\">As other receivers saw mail from "
	    "your domains: ");
	am_report_html_num(b, d->reports);
	(void)am_buf_puts(b, " aggregate reports received for this period."
	    "</p><table id=\"domains\"><thead><tr><th>domain</th><th>policy"
	    "</th><th class=\"n\">messages</th><th class=\"n\">pass</th><th "
	    "class=\"n\">fail</th><th class=\"n\">none</th><th class=\"n\">"
	    "pass rate</th><th>reported by</th></tr></thead><tbody>\n");
	for (i = 0; i < d->n_dom; i++)
		domain_row(b, d, i);
	if (d->n_dom == 0)
		(void)am_buf_puts(b, "<tr><td colspan=\"8\" class=\"muted\">no "
		    "aggregate report received for this period (authmilterctl "
		    "report ingest)</td></tr>");
	(void)am_buf_puts(b, "</tbody></table>");
	if (d->domains_left > 0)
		(void)am_buf_printf(b, "<p class=\"muted\">%zu more domains with "
		    "fewer messages are not shown.</p>", d->domains_left);
	(void)am_buf_puts(b, "</section>\n");
	for (i = 0; i < d->n_dom; i++)
		domain_card(b, d, i, true);
	inbound(b, d);
	(void)am_buf_puts(b, "</main></body></html>\n");
}

/* daily_table - the chart's figures, day by day. */
static void
daily_table(struct am_buf *b, const struct am_dash *d,
    const struct am_dash_domain *dom)
{
	char day[16];
	unsigned i;
	int c;

	(void)am_buf_puts(b, "<details><summary>Daily figures</summary><table "
	    "class=\"daily\" id=\"daily\"><thead><tr><th>day (UTC)</th>");
	for (c = 0; c < AM_DASH_CAT_N; c++)
		(void)am_buf_printf(b, "<th class=\"n\">%s</th>",
		    am_report_dash_cat_name((enum am_dash_cat)c));
	(void)am_buf_puts(b, "</tr></thead><tbody>");
	for (i = 0; i < d->days; i++) {
		date(d->begin + (int64_t)i * 86400, day, sizeof(day));
		(void)am_buf_printf(b, "<tr data-day=\"%s\"><td>%s</td>", day,
		    day);
		for (c = 0; c < AM_DASH_CAT_N; c++) {
			(void)am_buf_printf(b, "<td class=\"n\" data-cat=\"%d\">",
			    c);
			am_report_html_num(b, dom->days[(size_t)i *
			    AM_DASH_CAT_N + c]);
			(void)am_buf_puts(b, "</td>");
		}
		(void)am_buf_puts(b, "</tr>");
	}
	(void)am_buf_puts(b, "</tbody></table></details>\n");
}

/* source_cells - IP and reverse name cells of a source row. */
static void
source_cells(struct am_buf *b, const struct am_dash_source *s)
{
	(void)am_buf_puts(b, "<tr data-ip=\"");
	am_report_html_esc(b, s->ip);
	(void)am_buf_puts(b, "\"><td class=\"ip\">");
	am_report_html_esc(b, s->ip);
	(void)am_buf_puts(b, "</td><td class=\"dom ptr\">");
	am_report_html_esc(b, s->ptr);
	(void)am_buf_puts(b, "</td>");
}

/* sources - every source of the domain, most messages first. */
static void
sources(struct am_buf *b, const struct am_dash_domain *dom)
{
	const struct am_dash_source *s;
	size_t i;
	int k;

	(void)am_buf_puts(b, "<section class=\"card\"><h2>Sending sources</h2>"
	    "<p class=\"lead\">Every IP address that sent mail as this domain, "
	    "by volume. Aligned: the DKIM or SPF identity matched the From "
	    "domain and passed. Delivered, quarantined, rejected: what the "
	    "reporters did with it.</p><table id=\"sources\"><thead><tr><th>IP"
	    "</th><th>reverse name</th><th class=\"n\">messages</th><th "
	    "class=\"n\">DMARC pass</th><th class=\"n\">SPF aligned</th><th "
	    "class=\"n\">DKIM aligned</th><th class=\"n\">delivered</th><th "
	    "class=\"n\">quarantined</th><th class=\"n\">rejected</th></tr>"
	    "</thead><tbody>\n");
	for (i = 0; i < dom->n_src && i < SOURCES_MAX; i++) {
		s = &dom->src[i];
		source_cells(b, s);
		td_num(b, "msgs", s->messages);
		td_num(b, "pass", s->cat[AM_DASH_PASS]);
		td_num(b, "spf", s->spf_aligned);
		td_num(b, "dkim", s->dkim_aligned);
		for (k = 0; k < 3; k++)
			td_num(b, am_report_dash_disp_name((enum am_dash_disp)k),
			    s->disp[k]);
		(void)am_buf_puts(b, "</tr>\n");
	}
	(void)am_buf_puts(b, "</tbody></table>");
	if (dom->n_src > SOURCES_MAX)
		(void)am_buf_printf(b, "<p class=\"muted\">%zu more sources "
		    "are not shown.</p>", dom->n_src - SOURCES_MAX);
	(void)am_buf_puts(b, "</section>\n");
}

/* half_failing - sources that fail only SPF (is_spf) or only DKIM. */
static void
half_failing(struct am_buf *b, const struct am_dash_domain *dom, bool is_spf)
{
	const struct am_dash_source *s;
	uint64_t n;
	size_t i, rows = 0;

	(void)am_buf_printf(b, "<div><h3>Failing only %s</h3><p class=\"lead\">"
	    "%s</p><table id=\"%s\"><thead><tr><th>IP</th><th>reverse name"
	    "</th><th class=\"n\">messages</th><th>%s</th></tr></thead><tbody>",
	    is_spf ? "SPF" : "DKIM", is_spf ? "DKIM aligned, SPF not: this "
	    "sender is missing from your SPF record, or uses its own bounce "
	    "domain." : "SPF aligned, DKIM not: this sender does not sign "
	    "with your domain's key.", is_spf ? "spf-only" : "dkim-only",
	    is_spf ? "SPF domain checked" : "DKIM domain seen");
	for (i = 0; i < dom->n_src && rows < SOURCES_MAX; i++) {
		s = &dom->src[i];
		if ((n = is_spf ? s->spf_only_fail : s->dkim_only_fail) == 0)
			continue;
		rows++;
		source_cells(b, s);
		td_num(b, "msgs", n);
		(void)am_buf_puts(b, "<td class=\"dom\">");
		am_report_html_esc(b, is_spf ? s->spf_domain : s->dkim_domain);
		(void)am_buf_puts(b, "</td></tr>");
	}
	if (rows == 0)
		(void)am_buf_puts(b, "<tr><td colspan=\"4\" class=\"muted\">"
		    "none</td></tr>");
	(void)am_buf_puts(b, "</tbody></table></div>");
}

/* domain_page - one domain in detail. */
static void
domain_page(struct am_buf *b, const struct am_dash *d, size_t i,
    const struct am_report_html_opts *o)
{
	const struct am_dash_domain *dom = &d->dom[i];
	char title[AM_REPORT_STR_MAX + 32];
	size_t r;

	snprintf(title, sizeof(title), "DMARC: %s", dom->domain);
	head(b, title, d, o, false);
	domain_card(b, d, i, false);
	sources(b, dom);
	(void)am_buf_puts(b, "<section class=\"card\"><h2>The usual "
	    "misconfigurations</h2><div class=\"two\">");
	half_failing(b, dom, true);
	half_failing(b, dom, false);
	(void)am_buf_puts(b, "</div></section>\n<section class=\"card\"><h2>"
	    "Reporters</h2><table id=\"reporters\"><thead><tr><th>organisation"
	    "</th><th class=\"n\">reports</th><th class=\"n\">messages</th>"
	    "</tr></thead><tbody>");
	for (r = 0; r < dom->n_rep; r++) {
		(void)am_buf_puts(b, "<tr><td>");
		am_report_html_esc(b, dom->rep[r].org);
		(void)am_buf_puts(b, "</td>");
		td_num(b, "reports", dom->rep[r].reports);
		td_num(b, "msgs", dom->rep[r].messages);
		(void)am_buf_puts(b, "</tr>");
	}
	(void)am_buf_puts(b, "</tbody></table></section></main></body>"
	    "</html>\n");
}

/* put_page - b into dir/name through a temporary file. */
static enum am_status
put_page(const char *dir, const char *name, const struct am_buf *b,
    struct am_why *why)
{
	char tmp[4096], path[4096];
	FILE *fp;
	int ok;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(tmp, "w")) == NULL) {
		am_why_set(why, "%s: %s", tmp, strerror(errno));
		return AM_TEMPFAIL;
	}
	ok = fwrite(b->data, 1, b->len, fp) == b->len;
	ok = fclose(fp) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		am_why_set(why, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return AM_TEMPFAIL;
	}
	return AM_OK;
}

/* is_ours - name is among the n pages of this run. */
static bool
is_ours(char (*names)[AM_REPORT_HTML_NAME], size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* remove_stale - domain pages of earlier runs that this one lacks. */
static void
remove_stale(const char *dir, const struct am_dash *d)
{
	char (*names)[AM_REPORT_HTML_NAME], path[4096];
	struct dirent *de;
	DIR *dp;
	size_t n;

	if ((dp = opendir(dir)) == NULL)
		return;
	names = page_names(d, d->n_dom);
	while ((de = readdir(dp)) != NULL) {
		n = strlen(de->d_name);
		if (strncmp(de->d_name, "domain-", 7) != 0 || n < 5 ||
		    strcmp(de->d_name + n - 5, ".html") != 0 ||
		    is_ours(names, d->n_dom, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		(void)unlink(path);
	}
	closedir(dp);
	free(names);
}

/* am_report_html_write - the whole site into dir. */
enum am_status
am_report_html_write(const char *dir, const struct am_dash *d,
    const struct am_report_html_opts *o, struct am_why *why)
{
	char page[AM_REPORT_HTML_NAME];
	enum am_status st;
	struct am_buf b;
	size_t i;

	if (dir == NULL || d == NULL || o == NULL || why == NULL)
		AM_PANIC("am_report_html_write: NULL argument");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		am_why_set(why, "%s: %s", dir, strerror(errno));
		return AM_TEMPFAIL;
	}
	am_buf_init(&b, PAGE_MAX);
	index_page(&b, d, o);
	st = put_page(dir, "index.html", &b, why);
	for (i = 0; i < d->n_dom && st == AM_OK; i++) {
		am_buf_reset(&b);
		domain_page(&b, d, i, o);
		am_report_html_page(d, i, page);
		st = put_page(dir, page, &b, why);
	}
	am_buf_release(&b);
	if (st == AM_OK)
		remove_stale(dir, d);
	return st;
}
