/*
 * fuzz_session.c - libFuzzer target for lib/pipeline/session (the whole
 * per-message pipeline: SPF, DKIM verify and sign, DMARC, TLS, A-R,
 * verdict) driven the way milter/callbacks.c drives it. See
 * tests/fuzz/README.
 *
 * One context for the process: a configuration written at start-up
 * (AuthservID mx.example.org, 10.0.0.0/8 internal, small MaxHeaders and
 * MaxHeaderLength so the limits are reached, MaxSignatures 3, RequireTLS
 * on port 587, signing example.com with an Ed25519 key generated into a
 * 0600 temporary file) and libunbound local data (SPF, DMARC and a DKIM
 * key for example.com and example.org, a refused zone for temperrors).
 *
 * The input is a stream of operations: one byte picks the operation, and
 * strings follow as one length byte and that many bytes (C strings: they
 * end at the first NUL, as libmilter gives them); a body chunk has a
 * two-byte length. Operations: connect (address, host name), HELO, MAIL,
 * RCPT, DATA, header (name, value), end of headers, body, end of message,
 * abort, set a macro (index into a list of the macros the session asks
 * for, value), close. A small state machine keeps the calls in an order
 * libmilter can produce: a call out of place aborts the transaction first
 * (as libmilter does on an unexpected command) or is dropped, a connect
 * while connected closes the connection first, and a close inside a
 * transaction logs it with am_session_abandon().
 *
 * Checks on every verdict (MAIL refusals and end of message) and on every
 * abandoned line: the summary is one log line (no byte below 0x20 or
 * 0x7f), the reply of a reject/tempfail is "5xx"/"4xx" with a matching
 * enhanced code and a non-empty text without control characters, an
 * accept has none; every inserted header has a field name of printable
 * ASCII without ':' and a value whose only control characters are "\n\t"
 * folds (a fold never ends the value); every Authentication-Results
 * inserted parses and is ours; deletions name a header with n >= 1. Any
 * violation aborts.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "msg/authres.h"
#include "pipeline/ctx.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"

#define ID "mx.example.org"

static struct am_ctx *ctx;

static const char *const rrs[] = {
	"example.org. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 "
	    "include:_spf.example.com ~all\"",
	"_spf.example.com. 300 IN TXT \"v=spf1 a mx exists:%{i}.x.example.com "
	    "-all\"",
	"example.com. 300 IN TXT \"v=spf1 a:mail.example.com -all\"",
	"example.com. 300 IN MX 10 mail.example.com.",
	"mail.example.com. 300 IN A 192.0.2.25",
	"_dmarc.example.org. 300 IN TXT \"v=DMARC1; p=reject; "
	    "rua=mailto:d@example.org; adkim=s\"",
	"_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=quarantine; pct=50; "
	    "sp=reject\"",
	"brisbane._domainkey.example.com. 300 IN TXT \"v=DKIM1; p=MIGfMA0GCS"
	    "qGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7"
	    "/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947"
	    "qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ"
	    "2QIDAQAB\"",
	NULL,
};

/* The macros a session asks for (am_session_macros) plus the TLS ones. */
static const char *const macro_names[] = {
	"i", "{auth_authen}", "{daemon_port}", "{daemon_name}",
	"{tls_version}", "{cipher}", "{cipher_bits}", "{cert_subject}",
	"{cert_issuer}", "{verify}", "{tls_sni}", "{client_addr}",
	"{mail_addr}", "{rcpt_addr}", "j", "_",
};
#define NMACROS (sizeof(macro_names) / sizeof(macro_names[0]))

/* One input's state. */
struct run {
	const uint8_t *p, *end;		/* unread input */
	char *macro[NMACROS];		/* owned values, NULL = absent */
	struct am_session *s;		/* NULL when not connected */
	enum { NONE, CONN, MAIL, RCPT, DATA, EOH, BODY } st;
};

static const char *
get_macro(void *arg, const char *name)
{
	struct run *r = arg;
	size_t i;

	for (i = 0; i < NMACROS; i++)
		if (strcmp(macro_names[i], name) == 0)
			return r->macro[i];
	return NULL;
}

/* key_file - an Ed25519 key in a 0600 file; its path, owned. */
static char *
key_file(const char *dir)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *path;
	FILE *fp;

	if (pk == NULL || asprintf(&path, "%s/k.pem", dir) < 0 ||
	    (fp = fopen(path, "w")) == NULL || fchmod(fileno(fp), 0600) != 0 ||
	    !PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL) ||
	    fclose(fp) != 0)
		abort();
	EVP_PKEY_free(pk);
	return path;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/fuzz_session.XXXXXX";
	struct am_runtime_opts o = { .local_dns = true };
	struct am_buf errs;
	struct am_config *cfg;
	struct am_runtime *rt;
	struct am_why why;
	char *key, *path;
	FILE *fp;
	size_t i;

	if (am_log_open(AM_LOG_FILE, "fuzz", "/dev/null", &why) != AM_OK ||
	    mkdtemp(dir) == NULL || asprintf(&path, "%s/a.conf", dir) < 0 ||
	    (fp = fopen(path, "w")) == NULL)
		abort();
	key = key_file(dir);
	fprintf(fp, "AuthservID " ID "\nInternalHosts 10.0.0.0/8\n"
	    "TrustAnchorFile\nMaxHeaders 64\nMaxHeaderLength 2048\n"
	    "MaxSignatures 3\nRequireTLS port=587 min=TLSv1.2\n"
	    "Domain example.com\nSelector s1\nKeyFile %s\n"
	    "StatsFile\n", key);
	if (fclose(fp) != 0)
		abort();
	am_buf_init(&errs, 65536);
	if ((cfg = am_config_load(path, &errs, NULL)) == NULL ||
	    (rt = am_runtime_new(cfg, &o, &errs, NULL)) == NULL) {
		fprintf(stderr, "%s", am_buf_str(&errs));
		abort();
	}
	am_buf_release(&errs);
	ctx = am_ctx_new(rt);
	for (i = 0; rrs[i] != NULL; i++)
		if (am_dns_add_local(ctx->current->dns, rrs[i], &why) != AM_OK)
			abort();
	if (am_dns_add_local_zone(ctx->current->dns, "refused.example",
	    "refuse", &why) != AM_OK)
		abort();
	free(key);
	free(path);
	return 0;
}

/* ------------------------------------------------------------ checks */

/* check_line - one log line: no control byte. */
static void
check_line(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(stderr, "control byte %#x in log line: %.*s\n",
			    (unsigned char)s[i], (int)len, s);
			abort();
		}
}

/* check_value - a header value: "\n\t" folds only, not at the end. */
static void
check_value(const char *name, const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if (v[i] == '\n' ? v[i + 1] != '\t' && v[i + 1] != ' ' :
		    ((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
		    v[i] == 0x7f) {
			fprintf(stderr, "bad byte %#x at %zu in %s: %s\n",
			    (unsigned char)v[i], i, name, v);
			abort();
		}
	if (i > 0 && (v[i - 1] == '\t' || v[i - 1] == ' ') &&
	    i > 1 && v[i - 2] == '\n')
		abort();
}

/* check_name - a field name: printable ASCII, no ':'. */
static void
check_name(const char *n)
{
	if (*n == '\0')
		abort();
	for (; *n != '\0'; n++)
		if (*n <= ' ' || *n > 126 || *n == ':')
			abort();
}

/* check_verdict - the contract of a verdict. */
static void
check_verdict(const struct am_verdict *v)
{
	struct am_authres_parsed *p;
	size_t i;

	check_line(v->summary.data, v->summary.len);
	if (v->disp == AM_DISP_REJECT || v->disp == AM_DISP_TEMPFAIL) {
		char c = v->disp == AM_DISP_REJECT ? '5' : '4';

		if (strlen(v->rcode) != 3 || v->rcode[0] != c ||
		    v->xcode[0] != c || v->xcode[1] != '.' ||
		    v->reply[0] == '\0')
			abort();
		check_line(v->reply, strlen(v->reply));
	} else if (v->disp == AM_DISP_ACCEPT || v->disp == AM_DISP_QUARANTINE) {
		if (v->rcode[0] != '\0' || v->reply[0] != '\0')
			abort();
	} else
		abort();
	check_line(v->quarantine, strlen(v->quarantine));
	for (i = 0; i < v->nins; i++) {
		check_name(v->ins[i].name);
		check_value(v->ins[i].name, v->ins[i].value);
		if (strcasecmp(v->ins[i].name, "Authentication-Results") != 0)
			continue;
		if (am_authres_parse(v->ins[i].value, strlen(v->ins[i].value),
		    &p, NULL) != AM_OK) {
			fprintf(stderr, "our A-R does not parse: %s\n",
			    v->ins[i].value);
			abort();
		}
		(void)am_authres_parsed_free(p);
		if (!am_authres_is_ours(v->ins[i].value,
		    strlen(v->ins[i].value), ID))
			abort();
	}
	for (i = 0; i < v->ndel; i++) {
		check_name(v->del[i].name);
		if (v->del[i].n < 1)
			abort();
	}
}

/* ------------------------------------------------------------ the driver */

/* str - the next length-prefixed string (C string, owned), or NULL at the
 * end of the input. */
static char *
str(struct run *r)
{
	size_t n;
	char *s;

	if (r->p >= r->end)
		return NULL;
	n = *r->p++;
	if (n > (size_t)(r->end - r->p))
		n = (size_t)(r->end - r->p);
	s = strndup((const char *)r->p, n);
	if (s == NULL)
		abort();
	r->p += n;
	return s;
}

/* in_txn - a transaction is open (MAIL accepted, no end or abort yet). */
static bool
in_txn(const struct run *r)
{
	return r->st >= MAIL;
}

/* do_close - end the connection as the milter's close callback does. */
static void
do_close(struct run *r)
{
	struct am_buf line;

	if (r->s == NULL)
		return;
	am_buf_init(&line, 8192);
	if (am_session_abandon(r->s, "connection closed", &line))
		check_line(line.data, line.len);
	am_buf_release(&line);
	r->s = am_session_free(r->s);
	r->st = NONE;
}

/* do_abort - end an open transaction (libmilter's abort callback). */
static void
do_abort(struct run *r)
{
	struct am_buf line;

	if (!in_txn(r))
		return;
	am_buf_init(&line, 8192);
	if (am_session_abandon(r->s, "aborted", &line))
		check_line(line.data, line.len);
	am_buf_release(&line);
	am_session_abort(r->s);
	r->st = CONN;
}

/* do_connect - a new connection from an address and a host name. */
static void
do_connect(struct run *r)
{
	char *ip = str(r), *host = str(r);
	struct am_addr addr;
	bool ok;

	do_close(r);
	ok = ip != NULL && am_addr_parse(ip, &addr) == AM_OK;
	r->s = am_session_new(ctx);
	am_session_connect(r->s, host != NULL ? host : "unknown",
	    ok ? &addr : NULL, get_macro, r);
	r->st = CONN;
	free(ip);
	free(host);
}

/* ensure_conn - connect from 192.0.2.1 when the input did not. */
static void
ensure_conn(struct run *r)
{
	struct am_addr addr;

	if (r->s != NULL)
		return;
	if (am_addr_parse("192.0.2.1", &addr) != AM_OK)
		abort();
	r->s = am_session_new(ctx);
	am_session_connect(r->s, "client.example.org", &addr, get_macro, r);
	r->st = CONN;
}

/* do_mail - MAIL FROM; a refusal leaves no transaction. */
static void
do_mail(struct run *r, const char *sender)
{
	struct am_verdict v;

	ensure_conn(r);
	do_abort(r);
	am_verdict_init(&v);
	am_session_mail(r->s, sender, get_macro, r, &v);
	if (v.disp == AM_DISP_ACCEPT)
		r->st = MAIL;
	else
		check_verdict(&v);
	am_verdict_release(&v);
}

/* do_eom - end of message; the verdict is checked. */
static void
do_eom(struct run *r)
{
	struct am_verdict v;

	if (r->st == DATA)
		am_session_eoh(r->s, get_macro, r);
	am_verdict_init(&v);
	am_session_eom(r->s, get_macro, r, &v);
	am_verdict_finish(&v);
	check_verdict(&v);
	am_verdict_release(&v);
	r->st = CONN;
}

/* do_body - a chunk of up to 65535 bytes (two length bytes). */
static void
do_body(struct run *r)
{
	size_t n = 0;

	if (r->p + 2 <= r->end) {
		n = (size_t)r->p[0] << 8 | r->p[1];
		r->p += 2;
	}
	if (n > (size_t)(r->end - r->p))
		n = (size_t)(r->end - r->p);
	if (r->st == DATA)
		am_session_eoh(r->s, get_macro, r);
	if (r->st == DATA || r->st == EOH || r->st == BODY) {
		(void)am_session_body(r->s, r->p, n);
		r->st = BODY;
	}
	r->p += n;
}

/* step - one operation. */
static void
step(struct run *r, uint8_t op)
{
	char *a = NULL, *b = NULL;

	switch (op % 12) {
	case 0:
		do_connect(r);
		break;
	case 1:
		a = str(r);
		ensure_conn(r);
		do_abort(r);
		am_session_helo(r->s, a != NULL ? a : "", get_macro, r);
		break;
	case 2:
		a = str(r);
		do_mail(r, a != NULL ? a : "<>");
		break;
	case 3:
		a = str(r);
		if (r->st == MAIL || r->st == RCPT) {
			am_session_rcpt(r->s, a != NULL ? a : "<>", get_macro, r);
			r->st = RCPT;
		}
		break;
	case 4:
		if (r->st == RCPT) {
			am_session_data(r->s, get_macro, r);
			r->st = DATA;
		}
		break;
	case 5:
		a = str(r);
		b = str(r);
		if (r->st == DATA && a != NULL && *a != '\0')
			am_session_header(r->s, a, b != NULL ? b : "",
			    b != NULL ? strlen(b) : 0);
		break;
	case 6:
		if (r->st == DATA) {
			am_session_eoh(r->s, get_macro, r);
			r->st = EOH;
		}
		break;
	case 7:
		do_body(r);
		break;
	case 8:
		if (r->st >= DATA)
			do_eom(r);
		break;
	case 9:
		do_abort(r);
		break;
	case 10:
		if (r->p < r->end) {
			size_t i = *r->p++ % NMACROS;

			free(r->macro[i]);
			r->macro[i] = str(r);
		}
		break;
	default:
		do_close(r);
		break;
	}
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.p = data;
	r.end = data + size;
	while (r.p < r.end)
		step(&r, *r.p++);
	do_close(&r);
	for (i = 0; i < NMACROS; i++)
		free(r.macro[i]);
	return 0;
}
