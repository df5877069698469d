/*
 * ctl_report.c - authmilterctl report export / expire (contract in
 * ctl_report.h). Periods are UTC (RFC 7489 §7.2: reports cover UTC days).
 * A --store is a SQLite file or a PostgreSQL connection string (URI or
 * key=value), as ReportStore; a fleet's database works from any host.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "report/report_agg.h"
#include "report/report_store.h"
#include "report/report_xml.h"
#include "ctl_args.h"
#include "ctl_report_html.h"
#include "ctl_report_ingest.h"
#include "ctl_report_send.h"
#include "ctl_report.h"

#define STORES_MAX	64

struct report_opts {
	const char *stores[STORES_MAX];	/* borrowed from argv or cfg */
	size_t n_stores;
	const char *domain;		/* --domain, or NULL */
	const char *out;		/* --out DIR */
	enum am_report_format fmt;
	int64_t begin, end;		/* explicit range, or day */
	bool is_range;			/* --from/--to given */
	bool is_day;			/* --period given */
};

/* report_args - parse export/expire options; false after a message. */
static bool
report_args(const struct am_config *cfg, int argc, char **argv,
    struct report_opts *o)
{
	static const struct option lo[] = {
		{ "store", required_argument, NULL, 's' },
		{ "period", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "domain", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'F' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	bool has_from = false, has_to = false, ok = true;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while (ok && (c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		switch (c) {
		case 's':
			if ((ok = o->n_stores < STORES_MAX))
				o->stores[o->n_stores++] = optarg;
			break;
		case 'p': ok = o->is_day = am_ctl_time_parse(optarg, true, &o->begin);
			break;
		case 'f': ok = has_from = am_ctl_time_parse(optarg, false, &o->begin);
			break;
		case 't': ok = has_to = am_ctl_time_parse(optarg, false, &o->end);
			break;
		case 'd': o->domain = optarg; break;
		case 'o': o->out = optarg; break;
		case 'F':
			if (strcmp(optarg, "rfc9990") == 0)
				o->fmt = AM_REPORT_FORMAT_RFC9990;
			else
				ok = strcmp(optarg, "rfc7489") == 0;
			break;
		default: ok = false;
		}
	o->is_range = has_from && has_to;
	if (ok && (has_from != has_to || (o->is_range && (o->is_day ||
	    o->end <= o->begin)) || optind != argc))
		ok = false;
	if (o->n_stores == 0 && cfg->report_store[0] != '\0')
		o->stores[o->n_stores++] = cfg->report_store;
	return ok;
}

/* set_meta - report_metadata from the configuration. */
static void
set_meta(const struct am_config *cfg, struct am_report_meta *m,
    struct am_buf *email)
{
	const char *at;

	memset(m, 0, sizeof(*m));
	m->org_name = cfg->report_org_name[0] != '\0' ? cfg->report_org_name :
	    cfg->authserv_id;
	am_buf_init(email, 1024);
	if (cfg->report_email[0] != '\0')
		(void)am_buf_puts(email, cfg->report_email);
	else
		(void)am_buf_printf(email, "postmaster@%s", cfg->authserv_id);
	m->email = am_buf_str(email);
	at = strrchr(m->email, '@');
	m->receiver = at != NULL ? at + 1 : cfg->authserv_id;
	m->extra_contact = cfg->report_extra_contact;
	m->generator = PACKAGE_NAME " " PACKAGE_VERSION;
}

/* export_range - one report per policy domain for [begin, end). */
static int
export_range(const struct report_opts *o, struct am_report_meta *m,
    int64_t begin, int64_t end)
{
	struct am_report_set *set;
	struct am_why why;
	char *path;
	size_t i;
	int rc = 0;

	if (am_report_store_query(o->stores, o->n_stores, begin, end,
	    o->domain, &set, &why) != AM_OK) {
		fprintf(stderr, "authmilterctl: report export: %s\n", why.text);
		return 1;
	}
	m->begin = begin;
	m->end = end;
	for (i = 0; i < set->n_domains; i++) {
		if (am_report_xml_write(o->out, m, &set->domains[i], o->fmt,
		    &path, &why) != AM_OK) {
			fprintf(stderr, "authmilterctl: report export: %s: %s\n",
			    set->domains[i].domain, why.text);
			rc = 1;
			continue;
		}
		printf("%s\n", path);
		free(path);
	}
	am_report_set_free(set);
	return rc;
}

/* report_export - the export action. */
static int
report_export(const struct am_config *cfg, const struct report_opts *o)
{
	struct am_report_meta m;
	struct am_buf email;
	int64_t iv = cfg->report_interval, now = (int64_t)time(NULL), t;
	int rc = 0;

	if (o->out == NULL || o->n_stores == 0) {
		fprintf(stderr, "authmilterctl: report export: %s\n",
		    o->out == NULL ? "--out DIR is required" :
		    "no store (ReportStore is empty and no --store)");
		return 2;
	}
	if (86400 % iv != 0) {
		fprintf(stderr, "authmilterctl: ReportInterval %lld does not "
		    "divide a day\n", (long long)iv);
		return 1;
	}
	set_meta(cfg, &m, &email);
	if (o->is_range)
		rc = export_range(o, &m, o->begin, o->end);
	else if (o->is_day) {
		if (o->begin + iv > now)
			fprintf(stderr, "authmilterctl: report export: no "
			    "period of that day has ended yet\n");
		for (t = o->begin; t < o->begin + 86400 && t + iv <= now;
		    t += iv)
			rc |= export_range(o, &m, t, t + iv);
	} else
		rc = export_range(o, &m, now / iv * iv - iv, now / iv * iv);
	am_buf_release(&email);
	return rc;
}

/* report_expire - the expire action. */
static int
report_expire(const struct am_config *cfg, const struct report_opts *o)
{
	int64_t before = (int64_t)time(NULL) -
	    (int64_t)cfg->report_retention * 86400;
	struct am_why why;
	struct am_buf shown;
	uint64_t n;
	size_t i;
	int rc = 0;

	am_buf_init(&shown, 4096);
	for (i = 0; i < o->n_stores; i++) {
		(void)am_report_store_display(o->stores[i], &shown);
		if (am_report_store_expire(o->stores[i], before, &n,
		    &why) != AM_OK) {
			fprintf(stderr, "authmilterctl: report expire %s: %s\n",
			    am_buf_str(&shown), why.text);
			rc = 1;
			continue;
		}
		printf("%s: %llu rows deleted\n", am_buf_str(&shown),
		    (unsigned long long)n);
		if (am_report_agg_expire(o->stores[i], before, &n,
		    &why) != AM_OK) {
			fprintf(stderr, "authmilterctl: report expire %s: %s\n",
			    am_buf_str(&shown), why.text);
			rc = 1;
			continue;
		}
		printf("%s: %llu received reports deleted\n",
		    am_buf_str(&shown), (unsigned long long)n);
	}
	am_buf_release(&shown);
	return rc;
}

/* am_ctl_report - authmilterctl report ACTION [options]. */
int
am_ctl_report(const struct am_config *cfg, int argc, char **argv)
{
	struct report_opts o;

	if (argc < 2) {
		fprintf(stderr, "usage: authmilterctl report "
		    "export|expire|send|ingest|html [options]\n");
		return 2;
	}
	if (strcmp(argv[1], "send") == 0)
		return am_ctl_report_send(cfg, argc - 1, argv + 1);
	if (strcmp(argv[1], "ingest") == 0)
		return am_ctl_report_ingest(cfg, argc - 1, argv + 1);
	if (strcmp(argv[1], "html") == 0)
		return am_ctl_report_html(cfg, argc - 1, argv + 1);
	if ((strcmp(argv[1], "export") != 0 && strcmp(argv[1], "expire") !=
	    0) || !report_args(cfg, argc - 1, argv + 1, &o)) {
		fprintf(stderr, "usage: authmilterctl report export "
		    "[--store FILE|URI]... [--period YYYY-MM-DD | --from T "
		    "--to T] [--domain D] [--format rfc7489|rfc9990] --out DIR\n"
		    "       authmilterctl report expire [--store FILE|URI]...\n"
		    "       authmilterctl report send [--dry-run] "
		    "[--store FILE|URI]... [--period D | --from T --to T]\n"
		    "       authmilterctl report ingest [--store FILE|URI] "
		    "[--schema XSD]... [--strict]\n"
		    "           [--max-size BYTES] FILE|DIR|-...\n"
		    "       authmilterctl report html --out DIR [--store "
		    "FILE|URI]... [--days N]\n"
		    "           [--until YYYY-MM-DD] [--domain D] [--no-dns] "
		    "[--max-lookups N]\n");
		return 2;
	}
	if (strcmp(argv[1], "expire") == 0)
		return report_expire(cfg, &o);
	return report_export(cfg, &o);
}
