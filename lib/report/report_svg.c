/*
 * report_svg.c - the dashboard's chart (contract in report_html.h): one
 * stacked bar per UTC day, one colour per DMARC result, a y axis with
 * round steps, dates under the bars, a <title> on every bar segment (the
 * browser shows it on hover, no script needed). Only numbers and fixed
 * words are written into the SVG, except the domain in its label, which is
 * escaped.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "report/report_html.h"

#define W	1000	/* viewBox width */
#define H	250	/* viewBox height */
#define ML	64	/* left margin: the y labels */
#define MR	12
#define MT	14
#define MB	30	/* bottom margin: the dates */

static const char *const color[AM_DASH_CAT_N] = {
	"#2e7d32",	/* pass: green */
	"#c62828",	/* fail, no reason: red */
	"#ef6c00",	/* fail, forwarded: orange */
	"#8e24aa",	/* fail, mailing list: purple */
	"#6d4c41",	/* fail, other reason: brown */
	"#9e9e9e",	/* none: grey */
};

/* am_report_svg_color - the colour of a category. */
const char *
am_report_svg_color(enum am_dash_cat c)
{
	return (unsigned)c < AM_DASH_CAT_N ? color[c] : "#000";
}

/* nice_step - a round step (1, 2 or 5 times a power of ten) of at least
 * raw. */
static uint64_t
nice_step(uint64_t raw)
{
	uint64_t mag = 1;

	while (mag <= raw / 10)
		mag *= 10;
	if (raw <= mag)
		return mag;
	if (raw <= 2 * mag)
		return 2 * mag;
	if (raw <= 5 * mag)
		return 5 * mag;
	return 10 * mag;
}

/* day_label - "MM-DD" of day i of the series. */
static void
day_label(const struct am_dash *d, unsigned i, char *out, size_t size)
{
	time_t t = (time_t)(d->begin + (int64_t)i * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%m-%d", &tm);
}

/* axis - grid lines and y labels for 0..4 steps. */
static void
axis(struct am_buf *b, uint64_t step)
{
	double ph = H - MT - MB;
	struct am_buf n;
	int i;

	am_buf_init(&n, 64);
	for (i = 0; i <= 4; i++) {
		am_buf_reset(&n);
		am_report_html_num(&n, step * (uint64_t)i);
		(void)am_buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
		    "y2=\"%.1f\" class=\"grid\"/><text x=\"%d\" y=\"%.1f\" "
		    "class=\"ylab\">%s</text>", ML, W - MR, MT + ph - ph * i / 4,
		    MT + ph - ph * i / 4, ML - 8, MT + ph - ph * i / 4 + 4,
		    am_buf_str(&n));
	}
	am_buf_release(&n);
}

/* bar - the stacked segments of day i. */
static void
bar(struct am_buf *b, const struct am_dash *d,
    const struct am_dash_domain *dom, unsigned i, uint64_t top)
{
	double ph = H - MT - MB, slot = (double)(W - ML - MR) / d->days;
	double y = MT + ph, h, bw = slot * 0.72;
	const uint64_t *v = &dom->days[(size_t)i * AM_DASH_CAT_N];
	char day[16];
	int c;

	day_label(d, i, day, sizeof(day));
	for (c = 0; c < AM_DASH_CAT_N; c++) {
		if (v[c] == 0)
			continue;
		h = ph * (double)v[c] / (double)top;
		y -= h;
		(void)am_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
		    " height=\"%.1f\" fill=\"%s\"><title>%s %s: %llu</title>"
		    "</rect>", ML + slot * i + (slot - bw) / 2, y, bw,
		    h < 0.5 ? 0.5 : h, color[c], day,
		    am_report_dash_cat_name((enum am_dash_cat)c),
		    (unsigned long long)v[c]);
	}
}

/* am_report_svg_chart - the daily stacked bars of one domain. */
void
am_report_svg_chart(struct am_buf *b, const struct am_dash *d,
    const struct am_dash_domain *dom)
{
	double slot = (double)(W - ML - MR) / d->days;
	uint64_t max = 0, sum, step;
	unsigned i, every = d->days > 10 ? (d->days + 9) / 10 : 1;
	char day[16];
	int c;

	for (i = 0; i < d->days; i++) {
		for (c = 0, sum = 0; c < AM_DASH_CAT_N; c++)
			sum += dom->days[(size_t)i * AM_DASH_CAT_N + c];
		max = sum > max ? sum : max;
	}
	step = nice_step(max == 0 ? 1 : (max + 3) / 4);
	(void)am_buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" aria-label=\"Messages per day for ", W, H);
	am_report_html_esc(b, dom->domain);
	(void)am_buf_puts(b, " by DMARC result\">");
	axis(b, step);
	for (i = 0; i < d->days; i++) {
		bar(b, d, dom, i, step * 4);
		if (i % every != 0)
			continue;
		day_label(d, i, day, sizeof(day));
		(void)am_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" "
		    "class=\"xlab\">%s</text>", ML + slot * i + slot / 2,
		    H - MB + 18, day);
	}
	(void)am_buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
	    "class=\"base\"/></svg>\n", ML, W - MR, H - MB, H - MB);
}

/* am_report_svg_legend - the colours of the chart, as a list. */
void
am_report_svg_legend(struct am_buf *b)
{
	int c;

	(void)am_buf_puts(b, "<ul class=\"legend\">");
	for (c = 0; c < AM_DASH_CAT_N; c++)
		(void)am_buf_printf(b, "<li><span class=\"sw\" style=\"background:"
		    "%s\"></span>%s</li>", color[c],
		    am_report_dash_cat_name((enum am_dash_cat)c));
	(void)am_buf_puts(b, "</ul>\n");
}
