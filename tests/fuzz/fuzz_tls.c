/*
 * fuzz_tls.c - libFuzzer target for lib/tls (tls_status: MTA macros ->
 * transport record, trace header, x-tls result; tls_policy: RequireTLS).
 * See tests/fuzz/README.
 *
 * The input is NUL-separated fields: ImplicitTLSPorts, a RequireTLS value,
 * the envelope sender, the client address, then events. An event is a
 * field whose first byte picks connect ({daemon_port}, {daemon_name}: the
 * next 2 fields), HELO or MAIL (the next 7 fields: {tls_version},
 * {cipher}, {cipher_bits}, {cert_subject}, {cert_issuer}, {verify},
 * {tls_sni}); an empty field is an absent macro. After every event:
 * - the status: every string at most AM_TLS_VALUE_MAX printable ASCII
 *   bytes, bits >= 0, no TLS fields while mode is none;
 * - the trace header (am_tls_format_header, receiver mx.example.org) is
 *   AM_OK, printable ASCII with "\n\t" folds only, and
 *   am_tls_header_is_ours() says it is ours for mx.example.org (also
 *   "MX.EXAMPLE.ORG.") and not for other.example or example.org;
 * - the x-tls resinfo (am_tls_add_authres) formats and parses back with
 *   the same result and smtp.version/cipher/bits values;
 * - a RequireTLS value that parses gives a valid action when checked.
 * The raw input is also given to am_tls_header_is_ours() and
 * am_tls_version_rank(). Any violation aborts.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/netaddr.h"
#include "core/xalloc.h"
#include "msg/authres.h"
#include "tls/tls_policy.h"
#include "tls/tls_status.h"

#define MAXF 64			/* fields used from one input */
#define ID "mx.example.org"

static const char *const conn_names[] = { "{daemon_port}", "{daemon_name}" };
static const char *const tls_names[] = { "{tls_version}", "{cipher}",
	"{cipher_bits}", "{cert_subject}", "{cert_issuer}", "{verify}",
	"{tls_sni}" };

/* The macros of one event. */
struct macros {
	const char *const *names;	/* macro names */
	const char **values;		/* value per name, NULL = absent */
	size_t n;			/* entries */
};

/* get - the macro getter. */
static const char *
get(void *arg, const char *name)
{
	struct macros *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->names[i], name) == 0)
			return m->values[i];
	return NULL;
}

/* check_str - a sanitised status string. */
static void
check_str(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 32 || s[i] > 126)
			abort();
	if (i > AM_TLS_VALUE_MAX)
		abort();
}

/* check_status - the record's invariants. */
static void
check_status(const struct am_tls_status *st)
{
	check_str(st->version);
	check_str(st->cipher);
	check_str(st->subject);
	check_str(st->issuer);
	check_str(st->sni);
	check_str(st->daemon);
	if (st->bits < 0 || st->mode > AM_TLS_IMPLICIT ||
	    st->cert > AM_TLS_CERT_VERIFIED)
		abort();
	if (st->mode == AM_TLS_NONE && (st->version[0] || st->cipher[0] ||
	    st->bits || st->cert != AM_TLS_CERT_NONE || st->subject[0] ||
	    st->issuer[0] || st->sni[0]))
		abort();
}

/* check_header - Received-TLS value: folds only, ours for ID only. */
static void
check_header(const struct am_tls_status *st, bool policy_failed)
{
	struct am_buf h;
	size_t i;

	am_buf_init(&h, 16384);
	if (am_tls_format_header(st, ID, policy_failed, &h) != AM_OK)
		abort();
	for (i = 0; i < h.len; i++)
		if (h.data[i] == '\n' ? h.data[i + 1] != '\t' :
		    (h.data[i] < 32 && h.data[i] != '\t') || h.data[i] > 126)
			abort();
	if (!am_tls_header_is_ours(h.data, h.len, ID) ||
	    !am_tls_header_is_ours(h.data, h.len, "MX.EXAMPLE.ORG.") ||
	    am_tls_header_is_ours(h.data, h.len, "other.example") ||
	    am_tls_header_is_ours(h.data, h.len, "example.org")) {
		fprintf(stderr, "receiver misread in: %s\n", am_buf_str(&h));
		abort();
	}
	am_buf_release(&h);
}

/* prop - value of smtp.name in m, or NULL. */
static const char *
prop(const struct am_authres_method *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nprops; i++)
		if (strcmp(m->props[i].ptype, "smtp") == 0 &&
		    strcmp(m->props[i].property, name) == 0)
			return m->props[i].value;
	return NULL;
}

/* same - a parsed value equals what was put in ("" = absent). */
static void
same(const char *parsed, const char *put)
{
	if (put[0] == '\0' ? parsed != NULL :
	    parsed == NULL || strcmp(parsed, put) != 0) {
		fprintf(stderr, "x-tls value \"%s\" came back as \"%s\"\n",
		    put, parsed ? parsed : "(none)");
		abort();
	}
}

/* check_authres - the x-tls resinfo parses back to the record. */
static void
check_authres(const struct am_tls_status *st)
{
	struct am_authres *ar = am_authres_new(ID);
	struct am_authres_parsed *p;
	struct am_buf v;
	char bits[24];

	am_tls_add_authres(st, ar);
	am_buf_init(&v, 16384);
	if (am_authres_format(ar, &v) != AM_OK ||
	    am_authres_parse(v.data, v.len, &p, NULL) != AM_OK ||
	    p->nmethods != 1 || strcmp(p->methods[0].method, "x-tls") != 0)
		abort();
	if (strcmp(p->methods[0].result, st->mode == AM_TLS_NONE ? "none" :
	    "pass") != 0)
		abort();
	if (st->mode != AM_TLS_NONE) {
		same(prop(&p->methods[0], "version"), st->version);
		same(prop(&p->methods[0], "cipher"), st->cipher);
		(void)snprintf(bits, sizeof(bits), "%d", st->bits);
		same(prop(&p->methods[0], "bits"), st->bits > 0 ? bits : "");
	}
	(void)am_authres_parsed_free(p);
	am_buf_release(&v);
	(void)am_authres_free(ar);
}

/* check_policy - a parsed RequireTLS value checks to a valid action. */
static bool
check_policy(const struct am_tls_policy *pol, const struct am_tls_status *st,
    const char *sender, const char *client)
{
	struct am_tls_policy_input in = { .status = st, .sender = sender,
		.min_default = "TLSv1.2" };
	struct am_addr addr;
	struct am_why why = { "" };
	enum am_tls_policy_action a;

	if (pol == NULL)
		return false;
	if (am_addr_parse(client, &addr) == AM_OK)
		in.client = &addr;
	a = am_tls_policy_check(pol, &in, &why);
	if (a > AM_TLS_POLICY_REJECT || (a != AM_TLS_POLICY_OK &&
	    why.text[0] == '\0'))
		abort();
	return a == AM_TLS_POLICY_TAG;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = am_xmemdup(data, size), *f[MAXF];
	const char *vals[7];
	struct am_tls_policy *pol;
	struct am_tls_track *t = am_tls_track_new();
	struct am_tls_status st;
	struct am_why why;
	struct macros m;
	size_t nf = 0, i, j, k;
	char *p = copy;

	(void)am_tls_header_is_ours((const char *)data, size, ID);
	(void)am_tls_version_rank(copy);
	while (nf < MAXF && p <= copy + size) {
		f[nf++] = p;
		p += strlen(p) + 1;
	}
	for (i = nf; i < 4; i++)
		f[i] = "";
	pol = am_tls_policy_parse(f[1], &why);
	for (i = 4; i < nf; i += 1 + k) {
		bool is_conn = (f[i][0] & 3) == 0;

		k = is_conn ? 2 : 7;
		for (j = 0; j < k; j++)
			vals[j] = i + 1 + j < nf && f[i + 1 + j][0] != '\0' ?
			    f[i + 1 + j] : NULL;
		m.names = is_conn ? conn_names : tls_names;
		m.values = vals;
		m.n = k;
		if (is_conn)
			am_tls_observe_connect(t, get, &m);
		else
			am_tls_observe(t, (f[i][0] & 3) == 1, get, &m);
		am_tls_status_get(t, f[0], &st);
		check_status(&st);
		check_header(&st, check_policy(pol, &st, f[2], f[3]));
		check_authres(&st);
	}
	(void)am_tls_policy_free(pol);
	(void)am_tls_track_free(t);
	free(copy);
	return 0;
}
