/*
 * ctl_report_html - authmilterctl report html (contract in
 * ctl_report_html.h): options, the resolver, build, resolve, write.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dns.h"
#include "report/report_dash.h"
#include "report/report_html.h"
#include "ctl_args.h"
#include "ctl_report_html.h"

#define STORES_MAX	64

struct html_opts {
	const char *stores[STORES_MAX];	/* borrowed */
	size_t n_stores;
	const char *out;		/* --out DIR */
	const char *domain;		/* --domain, or NULL */
	unsigned long days;		/* --days */
	int64_t until;			/* last day, a UTC midnight */
	bool is_no_dns;			/* --no-dns */
	unsigned long max_lookups;	/* --max-lookups */
};

/* number - optarg as an integer in [lo, hi]. */
static bool
number(const char *s, unsigned long lo, unsigned long hi, unsigned long *v)
{
	char *end;

	*v = strtoul(s, &end, 10);
	return *s != '\0' && *end == '\0' && *v >= lo && *v <= hi;
}

/* html_args - options into o; false on a usage error. */
static bool
html_args(int argc, char **argv, struct html_opts *o)
{
	static const struct option lo[] = {
		{ "store", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' },
		{ "until", required_argument, NULL, 'u' },
		{ "domain", required_argument, NULL, 'D' },
		{ "no-dns", no_argument, NULL, 'n' },
		{ "max-lookups", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	bool ok = true;
	int c;

	optind = 0;
	while (ok && (c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		switch (c) {
		case 's':
			if ((ok = o->n_stores < STORES_MAX))
				o->stores[o->n_stores++] = optarg;
			break;
		case 'o': o->out = optarg; break;
		case 'd': ok = number(optarg, 1, 366, &o->days); break;
		case 'u': ok = am_ctl_time_parse(optarg, true, &o->until);
			break;
		case 'D': o->domain = optarg; break;
		case 'n': o->is_no_dns = true; break;
		case 'm': ok = number(optarg, 0, 10000, &o->max_lookups);
			break;
		default: ok = false;
		}
	return ok && optind == argc && o->out != NULL;
}

/* resolve - the reverse names, unless --no-dns. */
static void
resolve(const struct am_config *cfg, const struct html_opts *o,
    struct am_dash *d)
{
	struct am_dns_opts dopts = { 0 };
	struct am_dns *dns;
	struct am_why why;

	if (o->is_no_dns || o->max_lookups == 0)
		return;
	dopts.nameservers = cfg->nameservers;
	dopts.trust_anchor_file = cfg->trust_anchor_file;
	if ((dns = am_dns_new(&dopts, &why)) == NULL) {
		fprintf(stderr, "authmilterctl: report html: DNS: %s (reverse "
		    "names left blank)\n", why.text);
		return;
	}
	am_report_dash_resolve(d, dns, (unsigned)o->max_lookups,
	    (unsigned)cfg->dns_timeout * 1000);
	am_dns_free(dns);
}

/* am_ctl_report_html - authmilterctl report html [options]. */
int
am_ctl_report_html(const struct am_config *cfg, int argc, char **argv)
{
	struct am_report_html_opts ho = { 0, NULL };
	struct html_opts o;
	struct am_dash *d;
	struct am_why why;
	int64_t now = (int64_t)time(NULL);

	memset(&o, 0, sizeof(o));
	o.days = 30;
	o.max_lookups = 100;
	o.until = now / 86400 * 86400;
	if (!html_args(argc, argv, &o)) {
		fprintf(stderr, "usage: authmilterctl report html --out DIR "
		    "[--store FILE|URI]... [--days N]\n           [--until "
		    "YYYY-MM-DD] [--domain D] [--no-dns] [--max-lookups N]\n");
		return 2;
	}
	if (o.n_stores == 0 && cfg->report_store[0] != '\0')
		o.stores[o.n_stores++] = cfg->report_store;
	if (o.n_stores == 0) {
		fprintf(stderr, "authmilterctl: report html: no store "
		    "(ReportStore is empty and no --store)\n");
		return 2;
	}
	if (am_report_dash_build(o.stores, o.n_stores, o.until -
	    (int64_t)(o.days - 1) * 86400, (unsigned)o.days, o.domain, &d,
	    &why) != AM_OK) {
		fprintf(stderr, "authmilterctl: report html: %s\n", why.text);
		return 1;
	}
	resolve(cfg, &o, d);
	ho.generated = now;
	ho.note = o.is_no_dns ? "reverse names not looked up" : NULL;
	if (am_report_html_write(o.out, d, &ho, &why) != AM_OK) {
		fprintf(stderr, "authmilterctl: report html: %s\n", why.text);
		am_report_dash_free(d);
		return 1;
	}
	printf("%s/index.html\n", o.out);
	am_report_dash_free(d);
	return 0;
}
