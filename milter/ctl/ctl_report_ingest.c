/*
 * ctl_report_ingest.c - authmilterctl report ingest (contract in
 * ctl_report_ingest.h): sources -> pieces -> reports -> the store, one
 * line per outcome.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "report/report_agg.h"
#include "report/report_ingest.h"
#include "report/report_mime.h"
#include "report/report_source.h"
#include "report/report_unpack.h"
#include "ctl_report_ingest.h"

#define SCHEMAS_MAX	8

struct ingest {
	struct am_report_agg_db *db;	/* owned */
	struct am_report_xsd *xsd;	/* owned, or NULL */
	struct am_ingest_limits lim;
	bool is_strict;			/* --strict */
	const char *origin;		/* the current item's, borrowed */
	unsigned stored, dups, refused, skipped;
	bool is_failed;			/* the store failed: stop */
};

/* safe - s with terminal control bytes as '?' (static buffer). */
static const char *
safe(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
	return out;
}

/* say - one outcome line: stdout, or stderr for a refusal. */
static void
say(const char *what, const char *label, const char *text)
{
	char a[1200], b[1200];

	if (strcmp(what, "refused") == 0)
		fprintf(stderr, "authmilterctl: report ingest: refused %s: %s\n",
		    safe(label, a, sizeof(a)), safe(text, b, sizeof(b)));
	else
		printf("%s %s: %s\n", what, safe(label, a, sizeof(a)),
		    safe(text, b, sizeof(b)));
}

/* store - one parsed report into the store. */
static void
store(struct ingest *g, const char *label, struct am_agg_report *r)
{
	char text[700];
	struct am_why why;
	uint64_t msgs = 0;
	bool is_dup;
	size_t i;

	r->origin = g->origin;
	r->ingested = (int64_t)time(NULL);
	for (i = 0; i < r->n_records; i++)
		msgs += r->records[i].count;
	if (am_report_agg_put(g->db, r, &is_dup, &why) != AM_OK) {
		say("refused", label, why.text);
		g->is_failed = true;
		g->refused++;
		return;
	}
	snprintf(text, sizeof(text), "%.120s %.120s %.200s, %zu records, "
	    "%llu messages%s", r->org_name, r->report_id, r->policy.domain,
	    r->n_records, (unsigned long long)msgs, is_dup ?
	    " (already stored)" : "");
	say(is_dup ? "duplicate" : "stored", label, text);
	if (is_dup)
		g->dups++;
	else
		g->stored++;
}

/* on_piece - am_unpack_fn: parse and store an XML piece. */
static void
on_piece(void *arg, enum am_unpack_kind kind, const char *label,
    const char *data, size_t len, const char *reason)
{
	struct ingest *g = arg;
	struct am_agg_report *r;
	struct am_why why, warn;

	if (g->is_failed)
		return;
	if (kind == AM_UNPACK_SKIPPED) {
		say("skipped", label, reason);
		g->skipped++;
		return;
	}
	if (kind == AM_UNPACK_REFUSED) {
		say("refused", label, reason);
		g->refused++;
		return;
	}
	if (am_report_ingest_parse(data, len, &g->lim, g->xsd, g->is_strict,
	    &r, &warn, &why) != AM_OK) {
		say("refused", label, why.text);
		g->refused++;
		return;
	}
	if (warn.text[0] != '\0')
		say("warning", label, warn.text);
	store(g, label, r);
	am_report_agg_free(r);
}

/* on_item - am_source_fn: unpack one file or message. */
static void
on_item(void *arg, const char *label, const char *data, size_t len,
    const char *refused)
{
	struct ingest *g = arg;
	struct am_buf origin, mid;

	if (g->is_failed)
		return;
	if (refused != NULL) {
		say("refused", label, refused);
		g->refused++;
		return;
	}
	am_buf_init(&origin, 2048);
	am_buf_init(&mid, 512);
	(void)am_buf_puts(&origin, label);
	if (am_report_mime_header(data, len, "Message-ID", &mid) &&
	    mid.len > 0)	/* a message: which one, for the record */
		(void)am_buf_printf(&origin, " %s", am_buf_str(&mid));
	g->origin = am_buf_str(&origin);
	am_report_unpack(label, data, len, &g->lim, on_piece, g);
	am_buf_release(&mid);
	am_buf_release(&origin);
}

/* ingest_args - options into g, the store and schema paths; the index of
 * the first path, or -1 on a usage error. */
static int
ingest_args(int argc, char **argv, struct ingest *g, const char **store_path,
    const char **schemas, size_t *n_schemas)
{
	static const struct option lo[] = {
		{ "store", required_argument, NULL, 's' },
		{ "schema", required_argument, NULL, 'x' },
		{ "strict", no_argument, NULL, 'S' },
		{ "max-size", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		switch (c) {
		case 's': *store_path = optarg; break;
		case 'x':
			if (*n_schemas == SCHEMAS_MAX)
				return -1;
			schemas[(*n_schemas)++] = optarg;
			break;
		case 'S': g->is_strict = true; break;
		case 'm':
			g->lim.max_bytes = strtoull(optarg, &end, 10);
			if (*end != '\0' || g->lim.max_bytes < 1024 ||
			    g->lim.max_bytes > (1u << 30))
				return -1;
			break;
		default: return -1;
		}
	return optind < argc ? optind : -1;
}

/* open_all - the store and the schemas; false after a message. */
static bool
open_all(struct ingest *g, const char *path, const char *const *schemas,
    size_t n)
{
	struct am_why why;

	if (n > 0 && (g->xsd = am_report_xsd_load(schemas, n, &why)) ==
	    NULL) {
		fprintf(stderr, "authmilterctl: report ingest: %s\n",
		    why.text);
		return false;
	}
	if ((g->db = am_report_agg_open(path, false, &why)) == NULL) {
		fprintf(stderr, "authmilterctl: report ingest: %s\n",
		    why.text);
		return false;
	}
	return true;
}

/* am_ctl_report_ingest - authmilterctl report ingest [options] PATH... */
int
am_ctl_report_ingest(const struct am_config *cfg, int argc, char **argv)
{
	const char *store_path = NULL, *schemas[SCHEMAS_MAX];
	struct ingest g;
	struct am_why why;
	size_t n_schemas = 0;
	int first, i, rc = 0;

	memset(&g, 0, sizeof(g));
	am_report_ingest_limits(&g.lim);
	if ((first = ingest_args(argc, argv, &g, &store_path, schemas,
	    &n_schemas)) < 0) {
		fprintf(stderr, "usage: authmilterctl report ingest "
		    "[--store FILE|URI] [--schema XSD]... [--strict]\n"
		    "           [--max-size BYTES] FILE|DIR|-...\n");
		return 2;
	}
	if (store_path == NULL && cfg->report_store[0] != '\0')
		store_path = cfg->report_store;
	if (store_path == NULL) {
		fprintf(stderr, "authmilterctl: report ingest: no store "
		    "(ReportStore is empty and no --store)\n");
		return 2;
	}
	if (!open_all(&g, store_path, schemas, n_schemas))
		rc = 1;
	for (i = first; rc == 0 && i < argc && !g.is_failed; i++)
		if (am_report_source_read(argv[i], &g.lim, on_item, &g,
		    &why) != AM_OK) {
			fprintf(stderr, "authmilterctl: report ingest: %s\n",
			    why.text);
			g.refused++;
		}
	if (rc == 0)
		printf("%u stored, %u duplicate, %u refused, %u skipped\n",
		    g.stored, g.dups, g.refused, g.skipped);
	am_report_agg_close(g.db);
	am_report_xsd_free(g.xsd);
	return rc != 0 || g.refused > 0 || g.is_failed ? 1 : 0;
}
