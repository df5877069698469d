/*
 * check_dkim_sign_ref.c - the signer (lib/dkim/dkim_sign.c) against the
 * libopendkim 2.11 signer it replaced and against three verifiers, on a
 * table of messages: folded, repeated, long, 8-bit and oddly spaced
 * header fields, an empty body, a body without a final CRLF, many blank
 * lines; and on configurations with x= (SignatureTTL), i= (a signing
 * table's signer field) and more oversigned fields.
 *
 * Reference: libopendkim, driven here exactly as the old signer drove it
 * (the same header lists, relaxed/relaxed, dkim_getsighdr_d() with
 * strlen("DKIM-Signature") + 2), with DKIM_OPTS_FIXEDTIME at the t= the
 * signer is given (am_dkim_signer_fix_time()), in a process of its own
 * (this program run with --reference; libopendkim's Ed25519 leak stays
 * there). RSASSA-PKCS1-v1_5 and
 * Ed25519 signatures are deterministic, so the header values must be equal
 * byte for byte. libopendkim refuses to sign a body whose last line lacks
 * its CRLF ("CRLF at end of body missing"); RFC 6376 §3.4.4 adds one, as
 * the signer does, so that case has no reference value.
 *
 * Verifiers: lib/dkim/dkim_verify.c (libopendkim, the daemon's verifier;
 * local DNS data), python3-dkim (dkimpy; both algorithms) and Mail::DKIM
 * (RSA only: this Mail::DKIM has no Ed25519) through a loopback unbound.
 */
#include "autoconf.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <opendkim/dkim.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "config/config.h"
#include "dkim/dkim_sign.h"
#include "dkim/dkim_verify.h"
#include "dkim/keys.h"
#include "testutil/testdkim.h"
#include "testutil/testdns.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

static uint64_t t0;	/* t= of every signature here: a minute ago (x=
			 * must still be ahead for the verifiers) */

static char tmpdir[] = "/tmp/check_dkim_sign_ref.XXXXXX";
static char self[4096];		/* this program, for --reference */
static struct am_testdns *tdns;
static char rsa_txt[1024], ed_txt[256];	/* the two key records */

/* ----------------------------------------------------------- the cases */

struct hdr {
	const char *name;
	const char *value;	/* as libmilter with LEADSPC gives it */
};

#define HMAX 12
struct msg_case {
	const char *name;
	const char *conf;	/* extra config lines */
	struct hdr h[HMAX];	/* up to the first NULL name */
	const char *body;	/* "@LONG" : a 10 000-byte line */
	bool has_ref;		/* libopendkim can sign it */
};

#define STD_HDRS(subject) \
	{ "From", " Alice <alice@example.com>" }, \
	{ "To", " bob@example.net" }, { "Subject", subject }, \
	{ "Date", " Mon, 01 Jan 2024 00:00:00 +0000" }, \
	{ "Message-ID", " <ref@example.com>" }

static const struct msg_case cases[] = {
	{ "plain", "", { { "Received", " from a by b; Mon, 1 Jan 2024" },
	    STD_HDRS(" plain"), { "MIME-Version", " 1.0" },
	    { "Content-Type", " text/plain" } }, "Hello.\r\n", true },
	{ "folded", "", { STD_HDRS(" one\n\ttwo\n  three \t"),
	    { "Cc", " a@example.net,\n b@example.net,\n\tc@example.net" },
	    { "References", "  <a@x>\n <b@x>   " } }, "x\r\n", true },
	{ "repeated", "", { { "Received", " one" }, { "Received", " two" },
	    STD_HDRS(" repeated"), { "To", " second@example.net" },
	    { "Cc", " c1@example.net" }, { "Cc", " c2@example.net" },
	    { "Reply-To", " r1@example.com" }, { "Reply-To",
	    " r2@example.com" } }, "body\r\n", true },
	{ "empty body", "", { STD_HDRS(" empty") }, "", true },
	{ "no final CRLF", "", { STD_HDRS(" no CRLF") },
	    "line one\r\nlast line", false },
	{ "long lines", "", { STD_HDRS(" @LONG"),
	    { "X-Other", " not signed" } }, "@LONG", true },
	{ "8-bit", "", { { "From", " J\xc3\xbcrgen <j@example.com>" },
	    { "To", " bob@example.net" },
	    { "Subject", " Gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x93 caf\xc3\xa9" },
	    { "Date", " Mon, 01 Jan 2024 00:00:00 +0000" } },
	    "Gr\xc3\xbc\xc3\x9f" "e\r\n", true },
	{ "white space", "", { STD_HDRS(" \t spaced  out \t") },
	    "  a  b \t\r\n\r\n \r\nc\t\r\n\r\n\r\n\r\n", true },
	{ "ttl and signer", "SignatureTTL 3600\n@SIGNER",
	    { STD_HDRS(" ttl") }, "ttl\r\n", true },
	{ "oversign more", "OversignHeaders From, Subject, To, Cc\n"
	    "SignHeaders From, Subject, To, Cc, Date, X-Other\n",
	    { STD_HDRS(" over"), { "X-Other", " signed" } }, "o\r\n", true },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static char long_body[10003];	/* one 10 000-byte line and CRLF */
static char long_hdr[3002];	/* " " and 3 000 bytes, unfolded */

/* expand - a body: "@LONG" is long_body, anything else itself. */
static const char *
expand(const char *s)
{
	return strcmp(s, "@LONG") == 0 ? long_body : s;
}

/* long_or - a header value: " @LONG" is long_hdr. */
static const char *
long_or(const char *v)
{
	return strcmp(v, " @LONG") == 0 ? long_hdr : v;
}

/* ------------------------------------------------------- configuration */

/* load_cfg - dual signing; "@SIGNER" in conf becomes a key and signing
 * table whose signer field puts i=alice@example.com. */
static struct am_config *
load_cfg(const struct msg_case *c)
{
	char text[2048], path[600];
	struct am_buf errs;
	struct am_config *cfg;
	const char *at = strstr(c->conf, "@SIGNER");

	if (at == NULL)
		snprintf(text, sizeof(text), "Domain example.com\n"
		    "Selector rsa, ed\nKeyFile %s/rsa.pem, %s/ed.pem\n%s",
		    tmpdir, tmpdir, c->conf);
	else
		snprintf(text, sizeof(text), "%.*sKeyTable %s/kt\n"
		    "SigningTable refile:%s/st\n", (int)(at - c->conf),
		    c->conf, tmpdir, tmpdir);
	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	am_test_put(path, text);
	am_buf_init(&errs, 4096);
	cfg = am_config_load(path, &errs, NULL);
	ck_assert_msg(cfg != NULL, "%s", am_buf_str(&errs));
	am_buf_release(&errs);
	return cfg;
}

/* ------------------------------------------------------------ ours */

struct sigs {
	char *v[2];		/* owned values: rsa, then ed */
	size_t n;
};

static void
ours(const struct msg_case *c, const struct am_config *cfg, struct sigs *out)
{
	struct am_keys *ks = am_keys_load(cfg, NULL, NULL);
	struct am_dkim_signer *sg = am_dkim_signer_new(cfg, ks, NULL);
	struct am_dkim_sign *s;
	const char *body = expand(c->body);
	struct am_why why;

	ck_assert_ptr_nonnull(sg);
	am_dkim_signer_fix_time(sg, t0);
	s = am_dkim_sign_new(sg, NULL, "alice", "example.com");
	ck_assert_uint_eq(am_dkim_sign_keys(s), 2);
	for (size_t i = 0; i < HMAX && c->h[i].name != NULL; i++)
		am_dkim_sign_header(s, c->h[i].name, long_or(c->h[i].value),
		    strlen(long_or(c->h[i].value)));
	am_dkim_sign_eoh(s);
	for (size_t i = 0; i < strlen(body); i += 7)	/* odd chunks */
		am_dkim_sign_body(s, body + i, strlen(body) - i < 7 ?
		    strlen(body) - i : 7);
	ck_assert_msg(am_dkim_sign_eom(s, &why) == AM_OK, "%s", why.text);
	out->n = am_dkim_sign_count(s);
	ck_assert_uint_eq(out->n, 2);
	for (size_t i = 0; i < out->n; i++)
		out->v[i] = am_xstrdup(am_dkim_sign_value(s, i));
	am_dkim_sign_free(s);
	am_dkim_signer_free(sg);
	am_keys_free(ks);
}

/* ------------------------------------------- reference: libopendkim */

/* ref_lists - the lists the old signer gave libopendkim. */
static void
ref_lists(DKIM_LIB *lib, const struct msg_case *c)
{
	static const char *def[] = { "from", "reply-to", "subject", "date",
	    "to", "cc", "message-id", "in-reply-to", "references",
	    "mime-version", "content-type", "content-transfer-encoding",
	    "list-id", "list-help", "list-unsubscribe", "list-subscribe",
	    "list-post", "list-owner", "list-archive",
	    "list-unsubscribe-post", NULL };
	static const char *more[] = { "from", "subject", "to", "cc", "date",
	    "x-other", NULL };
	static const char *over1[] = { "from", NULL };
	static const char *over2[] = { "from", "subject", "to", "cc", NULL };
	bool is_more = strstr(c->conf, "SignHeaders") != NULL;
	uint64_t ttl = 3600, t = t0;

	AM_TEST_NEED(dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
	    is_more ? more : def, sizeof(char **)) == DKIM_STAT_OK);
	AM_TEST_NEED(dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	    is_more ? over2 : over1, sizeof(char **)) == DKIM_STAT_OK);
	AM_TEST_NEED(dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SKIPHDRS,
	    dkim_should_not_signhdrs, sizeof(char **)) == DKIM_STAT_OK);
	AM_TEST_NEED(dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t,
	    sizeof(t)) == DKIM_STAT_OK);
	if (strstr(c->conf, "SignatureTTL") != NULL)
		AM_TEST_NEED(dkim_options(lib, DKIM_OP_SETOPT,
		    DKIM_OPTS_SIGNATURETTL, &ttl, sizeof(ttl)) ==
		    DKIM_STAT_OK);
}

/* ref_header - the header "Name:value" with CRLF line breaks. */
static void
ref_header(DKIM *dk, const char *name, const char *value)
{
	struct am_buf b;

	am_buf_init(&b, 1 << 20);
	AM_TEST_NEED(am_buf_printf(&b, "%s:", name) == AM_OK);
	for (; *value; value++)
		AM_TEST_NEED((*value == '\n' ? am_buf_puts(&b, "\r\n") :
		    am_buf_putc(&b, *value)) == AM_OK);
	AM_TEST_NEED(dkim_header(dk, (u_char *)b.data, b.len) ==
	    DKIM_STAT_OK);
	am_buf_release(&b);
}

/* ref_key - the PEM text of a key file (owned). */
static char *
ref_key(const char *name)
{
	char path[600], *pem = am_xmalloc(65536);
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	AM_TEST_NEED((fp = fopen(path, "r")) != NULL);
	n = fread(pem, 1, 65535, fp);
	pem[n] = '\0';
	fclose(fp);
	return pem;
}

/* reference_main - the program run with "--reference DIR T0 CASE KEY":
 * libopendkim's header value for case CASE and key KEY (0 RSA, 1
 * Ed25519) on stdout, nothing when it does not sign. A process of its own:
 * libopendkim 2.11 never frees the EVP_PKEY it decodes for an Ed25519
 * signature (dkim_free() skips it), and that leak must not count as the
 * suite's (valgrind does not follow the exec; LeakSanitizer is off in it). */
static int
reference_main(const struct msg_case *c, int key)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	char *pem = ref_key(key ? "ed.pem" : "rsa.pem");
	const char *body = expand(c->body);
	DKIM_STAT st;
	u_char *buf;
	size_t len;
	DKIM *dk;

	AM_TEST_NEED(lib != NULL);
	ref_lists(lib, c);
	dk = dkim_sign(lib, (const u_char *)"ref", NULL, (dkim_sigkey_t)pem,
	    (const u_char *)(key ? "ed" : "rsa"),
	    (const u_char *)"example.com", DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, key ? DKIM_SIGN_ED25519SHA256 :
	    DKIM_SIGN_RSASHA256, -1, &st);
	AM_TEST_NEED(dk != NULL);
	if (strstr(c->conf, "@SIGNER") != NULL)
		AM_TEST_NEED(dkim_set_signer(dk, (const u_char *)
		    "alice@example.com") == DKIM_STAT_OK);
	for (size_t i = 0; i < HMAX && c->h[i].name != NULL; i++)
		ref_header(dk, c->h[i].name, long_or(c->h[i].value));
	AM_TEST_NEED(dkim_eoh(dk) == DKIM_STAT_OK);
	if (*body != '\0')
		AM_TEST_NEED(dkim_body(dk, (u_char *)(uintptr_t)body,
		    strlen(body)) == DKIM_STAT_OK);
	if (dkim_eom(dk, NULL) == DKIM_STAT_OK &&
	    dkim_getsighdr_d(dk, strlen(DKIM_SIGNHEADER) + 2, &buf, &len) ==
	    DKIM_STAT_OK)
		for (size_t i = 0; i < len; i++)
			if (buf[i] != '\r')
				putchar(buf[i]);
	dkim_free(dk);
	dkim_close(lib);
	free(pem);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* reference - reference_main() run as a child; its output (owned), or
 * NULL when libopendkim did not sign. */
static char *
reference(int i, int key)
{
	char cmd[sizeof(self) + 256], buf[4096];
	struct am_buf b;
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ASAN_OPTIONS=detect_leaks=0 '%s' "
	    "--reference '%s' %llu %d %d", self, tmpdir,
	    (unsigned long long)t0, i, key);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	am_buf_init(&b, 1 << 20);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		ck_assert(am_buf_append(&b, buf, n) == AM_OK);
	ck_assert_int_eq(pclose(p), 0);
	if (b.len == 0) {
		am_buf_release(&b);
		return NULL;
	}
	return am_buf_export(&b);
}

/* -------------------------------------------------------- verifiers */

/* message - the signed message, CRLF. */
static char *
message(const struct msg_case *c, const struct sigs *s)
{
	struct am_buf b;

	am_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < s->n; i++)
		ck_assert(am_buf_printf(&b, "DKIM-Signature: %s\n", s->v[i]) ==
		    AM_OK);
	for (size_t i = 0; i < HMAX && c->h[i].name != NULL; i++)
		ck_assert(am_buf_printf(&b, "%s:%s\n", c->h[i].name,
		    long_or(c->h[i].value)) == AM_OK);
	ck_assert(am_buf_printf(&b, "\n%s", expand(c->body)) == AM_OK);
	/* LF -> CRLF outside the body (the body is CRLF already) */
	{
		struct am_buf crlf;
		const char *p = am_buf_str(&b), *body = strstr(p, "\n\n") + 2;

		am_buf_init(&crlf, 1 << 21);
		for (; p < body; p++)
			ck_assert((*p == '\n' ? am_buf_puts(&crlf, "\r\n") :
			    am_buf_putc(&crlf, *p)) == AM_OK);
		ck_assert(am_buf_puts(&crlf, body) == AM_OK);
		am_buf_release(&b);
		return am_buf_export(&crlf);
	}
}

#define DKIMPY \
    "/usr/bin/python3 -c '\n" \
    "import sys, dkim\n" \
    "msg = open(sys.argv[1], \"rb\").read()\n" \
    "recs = dict(l.rstrip(\"\\n\").split(\"\\t\", 1)\n" \
    "            for l in open(sys.argv[2] + \"/records\"))\n" \
    "def dnsfunc(name, timeout=5):\n" \
    "    n = name.decode() if isinstance(name, bytes) else name\n" \
    "    v = recs.get(n.rstrip(\".\"))\n" \
    "    return v.encode() if v else None\n" \
    "def one(i):\n" \
    "    try:\n" \
    "        d = dkim.DKIM(msg)\n" \
    "        ok = d.verify(idx=i, dnsfunc=dnsfunc)\n" \
    "        return \"pass\" if ok else \"fail\"\n" \
    "    except dkim.ValidationError:\n" \
    "        return \"fail\"\n" \
    "print(one(0), one(1))\n" \
    "' %s %s %u 2>/dev/null"

#define MAIL_DKIM \
    "perl -MMail::DKIM::Verifier -MNet::DNS::Resolver -e '\n" \
    "my $r = Net::DNS::Resolver->new(nameservers => [\"127.0.0.1\"],\n" \
    "    port => $ARGV[2], recurse => 1, udp_timeout => 5);\n" \
    "Mail::DKIM::DNS::resolver($r);\n" \
    "my $v = Mail::DKIM::Verifier->new;\n" \
    "open(F, \"<\", $ARGV[0]) or die; binmode F;\n" \
    "while (<F>) { $v->PRINT($_) } $v->CLOSE;\n" \
    "print join(\" \", map { $_->algorithm . \"=\" . $_->result }\n" \
    "    grep { $_->algorithm eq \"rsa-sha256\" } $v->signatures), \"\\n\";\n" \
    "' %s %s %u 2>/dev/null"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* run_on - a verifier script (fmt: message path, tmpdir, DNS port) on the
 * message; its first output line. */
static const char *
run_on(const char *fmt, const char *text)
{
	static char line[256];
	char cmd[4096], path[600];
	FILE *p;

	snprintf(path, sizeof(path), "%s/msg.eml", tmpdir);
	am_test_put(path, text);
	snprintf(cmd, sizeof(cmd), fmt, path, tmpdir, am_testdns_port(tdns));
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	pclose(p);
	return line;
}
#pragma GCC diagnostic pop

/* ours_verifier - lib/dkim/dkim_verify.c's results, "pass pass" style. */
static const char *
ours_verifier(const char *text)
{
	static char line[256];
	struct am_dkim_lib *dl;
	struct am_dkim_results res;
	size_t n = 0;

	am_test_dns_add_txt(am_test_dkim_dns, "rsa._domainkey.example.com",
	    rsa_txt);
	am_test_dns_add_txt(am_test_dkim_dns, "ed._domainkey.example.com",
	    ed_txt);
	dl = am_test_dkim_lib();
	am_test_dkim_verify_mem(dl, text, 5, &res);
	line[0] = '\0';
	for (size_t i = 0; i < res.count; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s",
		    i ? " " : "", RES(res, i));
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
	return line;
}

/* ------------------------------------------------------------ tests */

START_TEST(test_case)
{
	const struct msg_case *c = &cases[_i];
	struct am_config *cfg = load_cfg(c);
	struct sigs s = { { NULL, NULL }, 0 };
	char *ref[2], *text, fmt[sizeof(MAIL_DKIM) + 32], tag[32];

	ours(c, cfg, &s);
	ck_assert_ptr_nonnull(strstr(s.v[0], "a=rsa-sha256"));
	ck_assert_ptr_nonnull(strstr(s.v[1], "a=ed25519-sha256"));
	snprintf(tag, sizeof(tag), "t=%llu;", (unsigned long long)t0);
	ck_assert_ptr_nonnull(strstr(s.v[0], tag));
	ref[0] = reference(_i, 0);
	ref[1] = reference(_i, 1);
	for (int i = 0; i < 2; i++) {
		if (c->has_ref)
			ck_assert_msg(ref[i] != NULL && strcmp(ref[i],
			    s.v[i]) == 0, "%s, key %d:\n ours: %s\n  ref: %s",
			    c->name, i, s.v[i], ref[i] ? ref[i] : "(none)");
		else
			ck_assert_msg(ref[i] == NULL, "%s: libopendkim signed "
			    "after all", c->name);
		free(ref[i]);
	}
	text = message(c, &s);
	if (getenv("DUMP"))
		fprintf(stderr, "---- %s\n%s", c->name, text);
	ck_assert_msg(strcmp(run_on(DKIMPY, text), "pass pass") == 0,
	    "%s: dkimpy: %s", c->name, run_on(DKIMPY, text));
	snprintf(fmt, sizeof(fmt), "%s", MAIL_DKIM);
	ck_assert_msg(strcmp(run_on(fmt, text), "rsa-sha256=pass") == 0,
	    "%s: Mail::DKIM: %s", c->name, run_on(fmt, text));
	ck_assert_msg(strcmp(ours_verifier(text), "pass pass") == 0,
	    "%s: lib/dkim: %s", c->name, ours_verifier(text));
	free(text);
	free(s.v[0]);
	free(s.v[1]);
	am_config_unref(cfg);
}
END_TEST

static Suite *
ref_suite(void)
{
	Suite *s = suite_create("dkim_sign_ref");
	TCase *tc = tcase_create("cases");

	tcase_add_checked_fixture(tc, am_test_dkim_setup,
	    am_test_dkim_teardown);
	tcase_add_loop_test(tc, test_case, 0, (int)NCASES);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

/* put_file - text to tmpdir/name, outside a test. */
static void
put_file(const char *name, const char *text)
{
	char path[600];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	AM_TEST_NEED(fp != NULL && fputs(text, fp) >= 0);
	AM_TEST_NEED(fclose(fp) == 0);
}

/* setup - keys, tables, records; false on failure (reported). */
static bool
setup(void)
{
	char cmd[1024], path[600], rr[2][4096], recs[4096];
	const char *rrs[3] = { rr[0], rr[1], NULL };
	struct am_keys *ks;
	struct am_config *cfg;
	struct am_buf b, txt;
	struct am_why why;
	const char *sel[2] = { "rsa", "ed" };

	snprintf(cmd, sizeof(cmd), "cd '%s' && umask 077 && openssl genpkey "
	    "-algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem "
	    "2>/dev/null && openssl genpkey -algorithm ED25519 -out ed.pem "
	    "2>/dev/null", tmpdir);
	AM_TEST_NEED(system(cmd) == 0);
	snprintf(cmd, sizeof(cmd), "r example.com:rsa:%s/rsa.pem\n"
	    "e example.com:ed:%s/ed.pem\n", tmpdir, tmpdir);
	put_file("kt", cmd);
	put_file("st", "*@example.com r alice@%\n*@example.com e alice@%\n");
	snprintf(cmd, sizeof(cmd), "Domain example.com\nSelector rsa, ed\n"
	    "KeyFile %s/rsa.pem, %s/ed.pem\n", tmpdir, tmpdir);
	put_file("k.conf", cmd);
	snprintf(path, sizeof(path), "%s/k.conf", tmpdir);
	cfg = am_config_load(path, NULL, NULL);
	AM_TEST_NEED(cfg != NULL && (ks = am_keys_load(cfg, NULL, NULL)) !=
	    NULL);
	am_buf_init(&b, 4096);
	am_buf_init(&txt, 8192);
	recs[0] = '\0';
	for (int i = 0; i < 2; i++) {
		AM_TEST_NEED(am_key_record(am_keys_get(ks, (size_t)i), &b) ==
		    AM_OK);
		snprintf(i ? ed_txt : rsa_txt, i ? sizeof(ed_txt) :
		    sizeof(rsa_txt), "%s", am_buf_str(&b));
		am_buf_reset(&txt);
		AM_TEST_NEED(am_buf_printf(&txt, "%s._domainkey.example.com. "
		    "300 IN TXT", sel[i]) == AM_OK &&
		    am_test_rr_txt(&txt, b.data, b.len) == AM_OK);
		snprintf(rr[i], sizeof(rr[i]), "%s", am_buf_str(&txt));
		snprintf(recs + strlen(recs), sizeof(recs) - strlen(recs),
		    "%s._domainkey.example.com\t%s\n", sel[i], am_buf_str(&b));
	}
	put_file("records", recs);
	am_buf_release(&b);
	am_buf_release(&txt);
	am_keys_free(ks);
	am_config_unref(cfg);
	if ((tdns = am_testdns_start(rrs, &why)) == NULL)
		fprintf(stderr, "testdns: %s\n", why.text);
	return tdns != NULL;
}

int
main(int argc, char **argv)
{
	char cmd[700];
	int rc = EXIT_FAILURE;

	memset(long_body, 'x', sizeof(long_body) - 3);
	memcpy(long_body + sizeof(long_body) - 3, "\r\n", 3);
	memset(long_hdr, 'y', sizeof(long_hdr) - 1);
	long_hdr[0] = ' ';
	if (argc == 6 && strcmp(argv[1], "--reference") == 0 &&
	    strlen(argv[2]) < sizeof(tmpdir) && atoi(argv[4]) >= 0 &&
	    (size_t)atoi(argv[4]) < NCASES) {
		snprintf(tmpdir, sizeof(tmpdir), "%s", argv[2]);
		t0 = strtoull(argv[3], NULL, 10);
		return reference_main(&cases[atoi(argv[4])], atoi(argv[5]));
	}
	t0 = (uint64_t)time(NULL) - 60;
	if (realpath(argv[0], self) == NULL || mkdtemp(tmpdir) == NULL) {
		perror(argv[0]);
		return EXIT_FAILURE;
	}
	snprintf(am_test_dir, sizeof(am_test_dir), "%s", tmpdir);
	if (setup())
		rc = am_test_run(ref_suite());
	tdns = am_testdns_stop(tdns);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return rc;
}
