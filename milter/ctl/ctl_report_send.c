/*
 * ctl_report_send.c - authmilterctl report send (contract in
 * ctl_report_send.h): options and configuration into
 * struct am_report_send_opts, the resolver and the PSL, the summary.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "dns/dns.h"
#include "dmarc/orgdomain.h"
#include "report/report_send.h"
#include "ctl_args.h"
#include "ctl_report_send.h"

#define STORES_MAX	64

/* send_args - options into o; false on a usage error. */
static bool
send_args(int argc, char **argv, struct am_report_send_opts *o,
    const char **stores, bool *is_day)
{
	static const struct option lo[] = {
		{ "store", required_argument, NULL, 's' },
		{ "period", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	bool has_from = false, has_to = false, ok = true;
	int c;

	optind = 0;
	while (ok && (c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		switch (c) {
		case 's':
			if ((ok = o->n_stores < STORES_MAX))
				stores[o->n_stores++] = optarg;
			break;
		case 'p': ok = *is_day = am_ctl_time_parse(optarg, true, &o->begin);
			break;
		case 'f': ok = has_from = am_ctl_time_parse(optarg, false, &o->begin);
			break;
		case 't': ok = has_to = am_ctl_time_parse(optarg, false, &o->end);
			break;
		case 'n': o->is_dry_run = true; break;
		default: ok = false;
		}
	o->is_range = has_from && has_to;
	return ok && has_from == has_to && optind == argc &&
	    !(o->is_range && (*is_day || o->end <= o->begin));
}

/* envelope - the address part of ReportFrom ("Name <a@b>" -> a@b). */
static void
envelope(const char *from, struct am_buf *out)
{
	const char *lt = strrchr(from, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		(void)am_buf_append(out, lt + 1, (size_t)(gt - lt - 1));
	else
		(void)am_buf_puts(out, from);
}

/* set_opts - the configuration into o (email: ReportEmail or default). */
static void
set_opts(const struct am_config *cfg, struct am_report_send_opts *o,
    struct am_buf *email, struct am_buf *from)
{
	const char *at;

	o->meta.org_name = cfg->report_org_name[0] != '\0' ?
	    cfg->report_org_name : cfg->authserv_id;
	if (cfg->report_email[0] != '\0')
		(void)am_buf_puts(email, cfg->report_email);
	else
		(void)am_buf_printf(email, "postmaster@%s", cfg->authserv_id);
	o->meta.email = am_buf_str(email);
	at = strrchr(o->meta.email, '@');
	o->meta.receiver = at != NULL ? at + 1 : cfg->authserv_id;
	o->meta.extra_contact = cfg->report_extra_contact;
	o->meta.generator = PACKAGE_NAME " " PACKAGE_VERSION;
	envelope(cfg->report_from[0] != '\0' ? cfg->report_from :
	    o->meta.email, from);
	o->from = am_buf_str(from);
	o->sendmail = cfg->report_sendmail;
	o->smtp_server = cfg->report_smtp_server;
	o->helo = cfg->authserv_id[0] != '\0' ? cfg->authserv_id :
	    "localhost";
	o->suppress = cfg->report_suppress;
	o->max_per_run = (size_t)cfg->report_max_per_run;
	o->interval = cfg->report_interval;
	o->now = (int64_t)time(NULL);
	o->first = o->now - (int64_t)cfg->report_retention * 86400;
	o->timeout_ms = (unsigned)cfg->dns_timeout * 1000;
	o->log = stdout;
}

/* run - the resolver and PSL, then the runs (one per day period). */
static int
run(const struct am_config *cfg, struct am_report_send_opts *o,
    bool is_day)
{
	struct am_dns_opts dopts = { 0 };
	struct am_report_send_stats s, total = { 0, 0, 0, 0 };
	struct am_why why;
	enum am_status st = AM_OK;
	struct am_psl *psl;
	int64_t day = o->begin;

	dopts.nameservers = cfg->nameservers;
	dopts.trust_anchor_file = cfg->trust_anchor_file;
	if ((o->dns = am_dns_new(&dopts, &why)) == NULL) {
		fprintf(stderr, "authmilterctl: report send: DNS: %s\n",
		    why.text);
		return 1;
	}
	if ((psl = am_psl_load(cfg->public_suffix_list, &why)) == NULL)
		fprintf(stderr, "authmilterctl: report send: %s (every rua "
		    "outside the policy domain is checked as external)\n",
		    why.text);
	o->psl = psl;
	if (is_day) {		/* the periods of that day, as a normal run */
		o->first = day;
		o->until = day + 86400;
	}
	st = am_report_send_run(o, &s, &why);
	total = s;
	if (st != AM_OK)
		fprintf(stderr, "authmilterctl: report send: %s\n", why.text);
	printf("%s%u sent, %u failed, %u skipped, %u deferred\n",
	    o->is_dry_run ? "dry run: " : "", total.sent, total.failed,
	    total.skipped, total.deferred);
	am_psl_free(psl);
	am_dns_free(o->dns);
	return st != AM_OK || total.failed != 0 ? 1 : 0;
}

/* am_ctl_report_send - authmilterctl report send [options]. */
int
am_ctl_report_send(const struct am_config *cfg, int argc, char **argv)
{
	const char *stores[STORES_MAX];
	struct am_report_send_opts o;
	struct am_buf email, from;
	bool is_day = false;
	int rc;

	memset(&o, 0, sizeof(o));
	if (!send_args(argc, argv, &o, stores, &is_day)) {
		fprintf(stderr, "usage: authmilterctl report send [--dry-run] "
		    "[--store FILE|URI]...\n           [--period YYYY-MM-DD | "
		    "--from T --to T]\n");
		return 2;
	}
	if (o.n_stores == 0 && cfg->report_store[0] != '\0')
		stores[o.n_stores++] = cfg->report_store;
	if (o.n_stores == 0) {
		fprintf(stderr, "authmilterctl: report send: no store "
		    "(ReportStore is empty and no --store)\n");
		return 2;
	}
	if (86400 % cfg->report_interval != 0) {
		fprintf(stderr, "authmilterctl: ReportInterval %lld does not "
		    "divide a day\n", (long long)cfg->report_interval);
		return 1;
	}
	o.stores = stores;
	am_buf_init(&email, 1024);
	am_buf_init(&from, 1024);
	set_opts(cfg, &o, &email, &from);
	rc = run(cfg, &o, is_day);
	am_buf_release(&email);
	am_buf_release(&from);
	return rc;
}
