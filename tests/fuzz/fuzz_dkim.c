/*
 * fuzz_dkim.c - libFuzzer target for DKIM verification as authmilter does
 * it (lib/dkim/dkim_lib.c: the DNS hooks, the MaxSignatures prescreen;
 * lib/dkim/dkim_verify.c: our own tag-list parse of each DKIM-Signature,
 * results, A-R) with libopendkim parsing the signatures and the key
 * records. See tests/fuzz/README.
 *
 * The input is key records and a message, separated by lines "%%%": every
 * part but the last is the TXT value of a key record, the last is the
 * message (RFC 5322, LF or CRLF, read by lib/msg/eml like the unit
 * suites). Record k is published (libunbound local data, a fresh resolver
 * per input) under s._domainkey.d of the k-th DKIM-Signature header, d=
 * and s= read by a minimal tag scan here. The message goes through
 * am_dkim_verify header by header, eoh, body, eom. Checks: one result per
 * DKIM-Signature header fed (none when unsigned), each result and string
 * well-formed, reason empty exactly for pass, a pass has a key type and
 * bits; the dkim resinfos formatted with am_authres_format_fit under the
 * 16 KiB cap the session uses parse back as count - dropped "dkim"
 * results, in order, with the same result words. Any violation aborts.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "dkim/dkim_lib.h"
#include "dkim/dkim_verify.h"
#include "dns/dns.h"
#include "msg/authres.h"
#include "msg/eml.h"

#define MAXREC 4		/* key records per input */
#define AR_CAP 16384		/* the session's A-R cap */

static struct am_config *cfg;

/* One message being fed. */
struct feed {
	struct am_dkim_verify *v;
	bool eoh_done;		/* am_dkim_verify_eoh called */
	bool want_body;		/* its answer */
	size_t nsigs;		/* DKIM-Signature headers fed */
	char *name[MAXREC];	/* owned: key name of signature k, or NULL */
	struct am_dns *dns;	/* borrowed: where records are published */
	const uint8_t *rec[MAXREC];	/* borrowed: record k's value */
	size_t reclen[MAXREC];	/* bytes of rec[k] */
	size_t nrec;		/* records in the input */
};

static void publish(struct am_dns *, const char *, const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cfg = am_config_defaults();
	return 0;
}

/* tag - owned copy of tag t's value (white space removed), or NULL. */
static char *
tag(const char *v, size_t len, char t)
{
	size_t i, j;
	char *out;

	for (i = 0; i < len; i++) {
		if (i > 0 && v[i - 1] != ';' && v[i - 1] != ' ' &&
		    v[i - 1] != '\t' && v[i - 1] != '\n')
			continue;
		for (j = i; j < len && (v[j] == ' ' || v[j] == '\t'); j++)
			;
		if (j + 1 >= len || v[j] != t)
			continue;
		for (j++; j < len && (v[j] == ' ' || v[j] == '\t'); j++)
			;
		if (j >= len || v[j] != '=')
			continue;
		out = am_xmalloc(len - j);
		for (i = 0, j++; j < len && v[j] != ';'; j++)
			if (v[j] > ' ' && v[j] < 127)
				out[i++] = v[j];
		out[i] = '\0';
		return out;
	}
	return NULL;
}

static void
on_header(void *arg, const char *name, const char *value, size_t len)
{
	struct feed *f = arg;
	char *d, *s;

	if (f->eoh_done)
		return;
	if (strcasecmp(name, "DKIM-Signature") == 0) {
		d = tag(value, len, 'd');
		s = tag(value, len, 's');
		if (f->nsigs < MAXREC && d != NULL && s != NULL) {
			size_t n = strlen(s) + strlen(d) +
			    sizeof("._domainkey.");

			f->name[f->nsigs] = am_xmalloc(n);
			(void)snprintf(f->name[f->nsigs], n,
			    "%s._domainkey.%s", s, d);
		}
		free(s);
		free(d);
		f->nsigs++;
	}
	am_dkim_verify_header(f->v, name, value, len);
}

/* feed_eoh - publish the records under the names seen, then end the
 * header block (the key lookups run now). */
static void
feed_eoh(struct feed *f)
{
	size_t k;

	if (!f->eoh_done) {
		for (k = 0; k < f->nrec && k < MAXREC; k++)
			if (f->name[k] != NULL)
				publish(f->dns, f->name[k], f->rec[k],
				    f->reclen[k]);
		f->want_body = am_dkim_verify_eoh(f->v);
		f->eoh_done = true;
	}
}

static void
on_eoh(void *arg)
{
	feed_eoh(arg);
}

static void
on_body(void *arg, const void *p, size_t len)
{
	struct feed *f = arg;

	feed_eoh(f);
	if (f->want_body)
		am_dkim_verify_body(f->v, p, len);
}

/* publish - TXT record value (len bytes) under name; bad names are left
 * out (the lookup is then NXDOMAIN). */
static void
publish(struct am_dns *dns, const char *name, const uint8_t *p, size_t len)
{
	struct am_buf rr;
	struct am_why why;
	size_t i, chunk;

	am_buf_init(&rr, 1 << 20);
	if (am_buf_printf(&rr, "%s. 300 IN TXT", name) != AM_OK)
		abort();
	do {
		chunk = len > 255 ? 255 : len;
		(void)am_buf_puts(&rr, " \"");
		for (i = 0; i < chunk; i++)
			(void)am_buf_printf(&rr, "\\%03u", p[i]);
		(void)am_buf_putc(&rr, '"');
		p += chunk;
		len -= chunk;
	} while (len > 0);
	(void)am_dns_add_local(dns, am_buf_str(&rr), &why);
	am_buf_release(&rr);
}

/* check_results - the contract of the results and their A-R. */
static void
check_results(const struct am_dkim_results *res, size_t nsigs)
{
	struct am_authres *ar = am_authres_new("mx.example.org");
	struct am_authres_parsed *p;
	struct am_buf v;
	size_t i, dropped = 0;

	if (res->count != nsigs)
		abort();
	for (i = 0; i < res->count; i++) {
		const struct am_dkim_sig *s = &res->sigs[i];

		if (s->result <= AM_DKIM_NONE || s->result > AM_DKIM_PERMERROR ||
		    s->reason == NULL || s->domain == NULL ||
		    s->identity == NULL || s->selector == NULL ||
		    s->algorithm == NULL || s->b == NULL ||
		    (s->result == AM_DKIM_PASS) != (s->reason[0] == '\0') ||
		    (s->result == AM_DKIM_PASS && (s->key_type == NULL ||
		    s->key_bits == 0)))
			abort();
	}
	am_dkim_results_add_authres(res, ar);
	am_buf_init(&v, AR_CAP);
	if (am_authres_format_fit(ar, "dkim", &v, &dropped) != AM_OK ||
	    am_authres_parse(v.data, v.len, &p, NULL) != AM_OK)
		abort();
	if (p->nmethods != (res->count ? res->count - dropped : 1))
		abort();
	for (i = 0; i < p->nmethods; i++)
		if (strcmp(p->methods[i].method, "dkim") != 0 ||
		    strcmp(p->methods[i].result, res->count ?
		    am_dkim_result_name(res->sigs[i].result) : "none") != 0)
			abort();
	(void)am_authres_parsed_free(p);
	am_buf_release(&v);
	(void)am_authres_free(ar);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n%%%\n";
	const uint8_t *p = data, *q;
	struct am_dns_opts o = { .local_only = true };
	struct am_dkim_results res;
	struct am_eml_sink sink = { .on_header = on_header, .on_eoh = on_eoh,
	    .on_body = on_body };
	struct am_why why = { "" };
	struct am_dkim_lib *dl;
	struct feed f;
	size_t k;
	FILE *fp;

	memset(&f, 0, sizeof(f));
	while (f.nrec < MAXREC && (q = memmem(p, size - (size_t)(p - data),
	    sep, sizeof(sep) - 1)) != NULL) {
		f.rec[f.nrec] = p;
		f.reclen[f.nrec++] = (size_t)(q - p);
		p = q + sizeof(sep) - 1;
	}
	if ((f.dns = am_dns_new(&o, &why)) == NULL ||
	    (dl = am_dkim_lib_new(f.dns, cfg, &why)) == NULL)
		abort();
	f.v = am_dkim_verify_new(dl, "fuzz");
	sink.arg = &f;
	if (p < data + size &&
	    (fp = fmemopen((void *)(uintptr_t)p, size - (size_t)(p - data),
	    "r")) != NULL) {
		(void)am_eml_parse(fp, &sink, &why);
		(void)fclose(fp);
	}
	feed_eoh(&f);
	am_dkim_verify_eom(f.v, &res);
	check_results(&res, f.nsigs);
	am_dkim_results_release(&res);
	f.v = am_dkim_verify_free(f.v);
	for (k = 0; k < MAXREC; k++)
		free(f.name[k]);
	(void)am_dkim_lib_free(dl);
	(void)am_dns_free(f.dns);
	return 0;
}
