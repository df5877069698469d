/*
 * check_dkim_sign.c - signing (RSA-2048 and Ed25519, dual), checked with
 * independent verifiers (python3-dkim for both algorithms, Mail::DKIM for
 * RSA through a loopback unbound), header selection (From oversigned,
 * Received never, List-Id signed once), no double signing, and
 * authmilterctl keygen/testkey (milter/ctl/ctl_keys.c is compiled in here).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "config/config.h"
#include "dkim/dkim_sign.h"
#include "dns/dns.h"
#include "dkim/keys.h"
#include "testutil/testdns.h"
#include "testutil/testutil.h"

#include "milter/ctl/ctl_keys.c"

/* No leak suppression: LSan and valgrind must see nothing left. Full
 * stacks for any report: the ASan options of tests/testutil/testasan.c. */

static char tmpdir[] = "/tmp/check_dkim_sign.XXXXXX";
static struct am_testdns *tdns;
static char recs_path[600];	/* "name\tTXT value" lines for dkimpy */

/* path_of - tmpdir/name in one of two static buffers. */
static const char *
path_of(const char *name)
{
	static char buf[2][600];
	static int which;

	which ^= 1;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", tmpdir, name);
	return buf[which];
}

/* run_keygen - keygen into tmpdir, output captured; returns rc. */
static int
run_keygen(const char *sel, const char *type, char *out, size_t len)
{
	char *argv[] = { "keygen", "--domain", "example.com", "--selector",
	    (char *)sel, "--type", (char *)type, "--dir", tmpdir, NULL };
	FILE *fp = tmpfile(), *err = fopen("/dev/null", "w");
	size_t n;
	int rc;

	AM_TEST_NEED(fp != NULL && err != NULL);
	rc = keygen(9, argv, fp, err);
	rewind(fp);
	n = fread(out, 1, len - 1, fp);
	out[n] = '\0';
	fclose(fp);
	fclose(err);
	return rc;
}

/* txt_strings - the quoted strings of keygen's record, space-separated
 * (unbound local-data syntax) into rr; the joined value into val. */
static void
txt_strings(const char *out, char *rr, size_t rlen, char *val, size_t vlen)
{
	const char *p = strstr(out, "IN TXT ("), *q;
	size_t rn = 0, vn = 0;

	AM_TEST_NEED(p != NULL);
	for (p = strchr(p, '"'); p != NULL && *p == '"'; ) {
		q = strchr(p + 1, '"');
		AM_TEST_NEED(q != NULL && (size_t)(q - p - 1) <= 255);
		AM_TEST_NEED(rn + (size_t)(q - p) + 3 < rlen &&
		    vn + (size_t)(q - p) < vlen);
		rn += (size_t)snprintf(rr + rn, rlen - rn, "%s%.*s", rn ? " " :
		    "", (int)(q - p + 1), p);
		vn += (size_t)snprintf(val + vn, vlen - vn, "%.*s",
		    (int)(q - p - 1), p + 1);
		p = q + 1 + strspn(q + 1, " \t\n");
	}
}

/* ---------------------------------------------------------------- setup */

struct pub {
	const char *sel;
	char rr[2200];		/* unbound local-data line */
	char val[2048];		/* TXT value */
};
static struct pub pubs[4] = { { "rsa", "", "" }, { "ed", "", "" },
    { "other", "", "" }, { "ed2", "", "" } };

static void
make_keys(void)
{
	static const char *types[] = { "rsa", "ed25519", "rsa", "ed25519" };
	char out[8192];
	FILE *fp;

	fp = fopen(recs_path, "w");
	AM_TEST_NEED(fp != NULL);
	for (int i = 0; i < 4; i++) {
		struct pub *p = &pubs[i];
		char strings[2048];

		AM_TEST_NEED(run_keygen(p->sel, types[i], out, sizeof(out)) ==
		    0);
		txt_strings(out, strings, sizeof(strings), p->val,
		    sizeof(p->val));
		snprintf(p->rr, sizeof(p->rr),
		    "%s._domainkey.example.com. 300 IN TXT %s", p->sel, strings);
		fprintf(fp, "%s._domainkey.example.com\t%s\n", p->sel, p->val);
	}
	fclose(fp);
}

/* load_cfg - config from text (every "@" replaced by tmpdir). */
static struct am_config *
load_cfg(const char *text)
{
	struct am_buf b, errs;
	struct am_config *cfg;

	am_buf_init(&b, 65536);
	am_buf_init(&errs, 65536);
	for (; *text; text++)
		AM_TEST_NEED((*text == '@' ? am_buf_puts(&b, tmpdir) :
		    am_buf_putc(&b, *text)) == AM_OK);
	am_test_put(path_of("t.conf"), am_buf_str(&b));
	cfg = am_config_load(path_of("t.conf"), &errs, NULL);
	ck_assert_msg(cfg != NULL, "%s", am_buf_str(&errs));
	am_buf_release(&b);
	am_buf_release(&errs);
	return cfg;
}

/* ---------------------------------------------------------------- message */

struct hdr {
	const char *name;
	const char *value;	/* as libmilter with LEADSPC gives it */
};

static const struct hdr msg_hdrs[] = {
	{ "Received", " from a.example by mx.example.com; Mon, 1 Jan 2024" },
	{ "From", " Alice <alice@example.com>" },
	{ "To", " bob@example.net" },
	{ "Subject", " Hello\n\tfolded world" },
	{ "Date", " Mon, 01 Jan 2024 00:00:00 +0000" },
	{ "Message-ID", " <1@example.com>" },
	{ "List-Id", " <list.example.com>" },
	{ "MIME-Version", " 1.0" },
	{ "Content-Type", " text/plain" },
	{ "X-Other", " unsigned" },
};
#define NHDRS (sizeof(msg_hdrs) / sizeof(msg_hdrs[0]))
static const char body[] = "Hello,\r\n\r\nthis is the body.\r\n\r\n";

struct signed_msg {
	struct am_buf text;	/* the whole message, CRLF */
	size_t nsig;		/* signatures on top */
	char *sig[AM_KEYS_MAX_PER_MSG];	/* owned values */
	char note[256];		/* am_dkim_sign_note() */
};

/* put_value - "value\r\n" with "\n" -> "\r\n". */
static void
put_value(struct am_buf *b, const char *value)
{
	for (; *value; value++)
		AM_TEST_NEED((*value == '\n' ? am_buf_puts(b, "\r\n") :
		    am_buf_putc(b, *value)) == AM_OK);
	AM_TEST_NEED(am_buf_puts(b, "\r\n") == AM_OK);
}

/* put_header - "Name:value\r\n". */
static void
put_header(struct am_buf *b, const char *name, const char *value)
{
	AM_TEST_NEED(am_buf_printf(b, "%s:", name) == AM_OK);
	put_value(b, value);
}

/* sign_msg - sign (extra headers first, then msg_hdrs) and serialise. */
static void
sign_msg(const struct am_config *cfg, const struct hdr *extra, size_t nextra,
    struct signed_msg *m)
{
	struct am_buf errs;
	struct am_keys *ks;
	struct am_dkim_signer *sg;
	struct am_dkim_sign *s;
	struct am_why why;

	am_buf_init(&errs, 65536);
	ks = am_keys_load(cfg, &errs, NULL);
	ck_assert_msg(ks != NULL, "%s", am_buf_str(&errs));
	sg = am_dkim_signer_new(cfg, ks, &errs);
	ck_assert_msg(sg != NULL, "%s", am_buf_str(&errs));
	s = am_dkim_sign_new(sg, "T1", "alice", "example.com");
	for (size_t i = 0; i < nextra; i++)
		am_dkim_sign_header(s, extra[i].name, extra[i].value,
		    strlen(extra[i].value));
	for (size_t i = 0; i < NHDRS; i++)
		am_dkim_sign_header(s, msg_hdrs[i].name, msg_hdrs[i].value,
		    strlen(msg_hdrs[i].value));
	am_dkim_sign_eoh(s);
	am_dkim_sign_body(s, body, 10);		/* streamed in pieces */
	am_dkim_sign_body(s, body + 10, sizeof(body) - 11);
	ck_assert_int_eq(am_dkim_sign_eom(s, &why), AM_OK);
	am_buf_init(&m->text, 1 << 20);
	m->nsig = am_dkim_sign_count(s);
	snprintf(m->note, sizeof(m->note), "%s", am_dkim_sign_note(s));
	for (size_t i = 0; i < m->nsig; i++) {
		m->sig[i] = am_xstrdup(am_dkim_sign_value(s, i));
		ck_assert_ptr_null(strchr(m->sig[i], '\r'));
		AM_TEST_NEED(am_buf_puts(&m->text, "DKIM-Signature: ") ==
		    AM_OK);
		put_value(&m->text, m->sig[i]);
	}
	for (size_t i = 0; i < nextra; i++)
		put_header(&m->text, extra[i].name, extra[i].value);
	for (size_t i = 0; i < NHDRS; i++)
		put_header(&m->text, msg_hdrs[i].name, msg_hdrs[i].value);
	AM_TEST_NEED(am_buf_puts(&m->text, "\r\n") == AM_OK);
	AM_TEST_NEED(am_buf_puts(&m->text, body) == AM_OK);
	am_dkim_sign_free(s);
	am_dkim_signer_free(sg);
	am_keys_free(ks);
	am_buf_release(&errs);
}

static void
release_msg(struct signed_msg *m)
{
	for (size_t i = 0; i < m->nsig; i++)
		free(m->sig[i]);
	am_buf_release(&m->text);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* verify_with - run a verifier script on the message; its stdout line. */
static const char *
verify_with(const char *cmd_fmt, const char *text)
{
	static char line[256];
	char cmd[2048];
	FILE *p;

	am_test_put(path_of("msg.eml"), text);
	snprintf(cmd, sizeof(cmd), cmd_fmt, path_of("msg.eml"));
	p = popen(cmd, "r");
	AM_TEST_NEED(p != NULL);
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	pclose(p);
	return line;
}
#pragma GCC diagnostic pop

#define DKIMPY \
    "/usr/bin/python3 -c '\n" \
    "import sys, dkim\n" \
    "msg = open(sys.argv[1], \"rb\").read()\n" \
    "recs = dict(l.rstrip(\"\\n\").split(\"\\t\", 1) for l in open(sys.argv[2]))\n" \
    "def dnsfunc(name, timeout=5):\n" \
    "    n = name.decode() if isinstance(name, bytes) else name\n" \
    "    v = recs.get(n.rstrip(\".\"))\n" \
    "    return v.encode() if v else None\n" \
    "def one(i):\n" \
    "    try:\n" \
    "        return \"pass\" if dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc) else \"fail\"\n" \
    "    except dkim.ValidationError:\n" \
    "        return \"fail\"\n" \
    "print(\" \".join(one(i) for i in range(int(sys.argv[3]))))\n" \
    "' %s %s %zu 2>/dev/null"

#define MAIL_DKIM \
    "perl -MMail::DKIM::Verifier -MNet::DNS::Resolver -e '\n" \
    "my $r = Net::DNS::Resolver->new(nameservers => [\"127.0.0.1\"],\n" \
    "    port => $ARGV[1], recurse => 1, udp_timeout => 5);\n" \
    "Mail::DKIM::DNS::resolver($r);\n" \
    "my $v = Mail::DKIM::Verifier->new;\n" \
    "open(F, \"<\", $ARGV[0]) or die; binmode F;\n" \
    "while (<F>) { $v->PRINT($_) } $v->CLOSE;\n" \
    "print join(\" \", map { $_->algorithm . \"=\" . $_->result }\n" \
    "    grep { $_->algorithm eq \"rsa-sha256\" } $v->signatures), \"\\n\";\n" \
    "' %s %u 2>/dev/null"

static const char dual_conf[] =
    "Domain example.com\nSelector rsa, ed\n"
    "KeyFile @/rsa.example.com.key, @/ed.example.com.key\n";

/* dkimpy_on - dkimpy's verdicts for the first n signatures of text. */
static const char *
dkimpy_on(const char *text, size_t n)
{
	char fmt[sizeof(DKIMPY) + 700];

	snprintf(fmt, sizeof(fmt), DKIMPY, "%s", recs_path, n);
	return verify_with(fmt, text);
}

START_TEST(test_dkimpy_dual)
{
	struct am_config *cfg = load_cfg(dual_conf);
	struct signed_msg m;
	char *t;

	sign_msg(cfg, NULL, 0, &m);
	ck_assert_uint_eq(m.nsig, 2);
	ck_assert_ptr_nonnull(strstr(m.sig[0], "a=rsa-sha256"));
	ck_assert_ptr_nonnull(strstr(m.sig[1], "a=ed25519-sha256"));
	ck_assert_ptr_nonnull(strstr(m.sig[0], "c=relaxed/relaxed"));
	if (getenv("DUMP"))
		fputs(am_buf_str(&m.text), stderr);
	ck_assert_str_eq(dkimpy_on(am_buf_str(&m.text), 2), "pass pass");
	/* a changed header fails both */
	t = am_xstrdup(am_buf_str(&m.text));
	memcpy(strstr(t, "Hello\r\n"), "Jello", 5);
	ck_assert_str_eq(dkimpy_on(t, 2), "fail fail");
	free(t);
	/* a changed body fails both */
	t = am_xstrdup(am_buf_str(&m.text));
	memcpy(strstr(t, "the body"), "THE", 3);
	ck_assert_str_eq(dkimpy_on(t, 2), "fail fail");
	free(t);
	release_msg(&m);
	am_config_unref(cfg);
}
END_TEST

START_TEST(test_mail_dkim_rsa)
{
	struct am_config *cfg = load_cfg(dual_conf);
	struct signed_msg m;
	char fmt[sizeof(MAIL_DKIM) + 64], *t;

	snprintf(fmt, sizeof(fmt), MAIL_DKIM, "%s", am_testdns_port(tdns));
	sign_msg(cfg, NULL, 0, &m);
	ck_assert_str_eq(verify_with(fmt, am_buf_str(&m.text)),
	    "rsa-sha256=pass");
	t = am_xstrdup(am_buf_str(&m.text));
	memcpy(strstr(t, "bob@"), "eve@", 4);
	ck_assert_str_eq(verify_with(fmt, t), "rsa-sha256=fail");
	free(t);
	release_msg(&m);
	am_config_unref(cfg);
}
END_TEST

/* h_list - the h= tag of a signature value, lower-cased, no white space. */
static const char *
h_list(const char *sig)
{
	static char buf[1024];
	const char *p = sig;
	size_t n = 0;

	while ((p = strstr(p, "h=")) != NULL && p != sig &&
	    !strchr("; \t\n", p[-1]))
		p++;
	AM_TEST_NEED(p != NULL);
	for (p += 2; *p && *p != ';' && n + 1 < sizeof(buf); p++)
		if (!strchr(" \t\r\n", *p))
			buf[n++] = (char)tolower((unsigned char)*p);
	buf[n] = '\0';
	return buf;
}

/* count_in - how often name occurs in a ':'-separated list. */
static int
count_in(const char *list, const char *name)
{
	char tmp[1024], *p, *save;
	int n = 0;

	snprintf(tmp, sizeof(tmp), "%s", list);
	for (p = strtok_r(tmp, ":", &save); p; p = strtok_r(NULL, ":", &save))
		n += strcmp(p, name) == 0;
	return n;
}

START_TEST(test_header_selection)
{
	struct am_config *cfg = load_cfg(dual_conf);
	struct signed_msg m;
	const char *h;

	sign_msg(cfg, NULL, 0, &m);
	h = h_list(m.sig[0]);
	ck_assert_msg(count_in(h, "from") == 2, "From not oversigned: %s", h);
	ck_assert_msg(count_in(h, "received") == 0, "Received signed: %s", h);
	ck_assert_msg(count_in(h, "list-id") == 1, "List-Id: %s", h);
	ck_assert_msg(count_in(h, "x-other") == 0, "X-Other: %s", h);
	ck_assert_msg(count_in(h, "subject") == 1, "Subject: %s", h);
	ck_assert_str_eq(h_list(m.sig[1]), h);
	/* folded with "\n\t", no CR */
	ck_assert_ptr_nonnull(strstr(m.sig[0], "\n\t"));
	release_msg(&m);
	am_config_unref(cfg);
}
END_TEST

START_TEST(test_custom_headers_ttl)
{
	struct am_config *cfg = load_cfg("Domain example.com\nSelector ed\n"
	    "KeyFile @/ed.example.com.key\nSignHeaders Subject, X-Other\n"
	    "OversignHeaders Subject\nSignatureTTL 3600\n");
	struct signed_msg m;
	const char *h;

	sign_msg(cfg, NULL, 0, &m);
	ck_assert_uint_eq(m.nsig, 1);
	h = h_list(m.sig[0]);
	ck_assert_msg(count_in(h, "from") == 1 && count_in(h, "subject") == 2 &&
	    count_in(h, "x-other") == 1 && count_in(h, "to") == 0, "h=%s", h);
	ck_assert_ptr_nonnull(strstr(m.sig[0], "x="));
	ck_assert_str_eq(dkimpy_on(am_buf_str(&m.text), 1), "pass");
	release_msg(&m);
	am_config_unref(cfg);
}
END_TEST

/* A message already carrying our signature (verified) is not signed
 * again; one that carries only our RSA signature gets only the Ed25519
 * one; a signature that only claims our d= and s= does not count (issue
 * 21), nor does our genuine one once the message changed. */
START_TEST(test_not_twice)
{
	struct am_config *cfg = load_cfg(dual_conf);
	struct signed_msg m, again, partial;
	struct hdr prior[2];

	sign_msg(cfg, NULL, 0, &m);
	prior[0] = (struct hdr){ "DKIM-Signature", m.sig[0] };
	prior[1] = (struct hdr){ "dkim-signature", m.sig[1] };
	sign_msg(cfg, prior, 2, &again);
	ck_assert_uint_eq(again.nsig, 0);
	ck_assert_str_eq(again.note, "example.com/rsa:verified,"
	    "example.com/ed:verified");
	sign_msg(cfg, prior, 1, &partial);
	ck_assert_uint_eq(partial.nsig, 1);
	ck_assert_ptr_nonnull(strstr(partial.sig[0], "a=ed25519-sha256"));
	release_msg(&again);
	prior[0].value = " v=1; a=rsa-sha256; c=relaxed/relaxed; "
	    "d=Example.COM; s=rsa; h=from; bh=AAAA; b=QUJD";
	sign_msg(cfg, prior, 1, &again);
	ck_assert_uint_eq(again.nsig, 2);
	ck_assert_str_eq(again.note, "example.com/rsa:unverified");
	release_msg(&again);
	prior[0].value = m.sig[0];
	prior[1] = (struct hdr){ "From", " Mallory <m@example.com>" };
	sign_msg(cfg, prior, 2, &again);	/* From oversigned: broken */
	ck_assert_uint_eq(again.nsig, 2);
	ck_assert_str_eq(again.note, "example.com/rsa:unverified");
	/* someone else's signature does not count */
	prior[0] = (struct hdr){ "DKIM-Signature",
	    " v=1; a=rsa-sha256; d=example.org; s=rsa; b=x; bh=y; h=from" };
	release_msg(&again);
	sign_msg(cfg, prior, 1, &again);
	ck_assert_uint_eq(again.nsig, 2);
	release_msg(&m);
	release_msg(&again);
	release_msg(&partial);
	am_config_unref(cfg);
}
END_TEST

START_TEST(test_no_key_for_from)
{
	struct am_config *cfg = load_cfg(dual_conf);
	struct am_buf errs;
	struct am_keys *ks;
	struct am_dkim_signer *sg;
	struct am_dkim_sign *s;

	am_buf_init(&errs, 4096);
	ks = am_keys_load(cfg, &errs, NULL);
	sg = am_dkim_signer_new(cfg, ks, &errs);
	ck_assert_ptr_nonnull(sg);
	s = am_dkim_sign_new(sg, NULL, "x", "example.org");
	ck_assert_uint_eq(am_dkim_sign_keys(s), 0);
	ck_assert_int_eq(am_dkim_sign_eom(s, NULL), AM_OK);
	ck_assert_uint_eq(am_dkim_sign_count(s), 0);
	am_dkim_sign_free(s);
	am_dkim_signer_free(sg);
	am_keys_free(ks);
	am_buf_release(&errs);
	am_config_unref(cfg);
}
END_TEST

/* Limits are errors, never a silently different signature: more fields
 * than MaxHeaders, or more fields to sign than h= may hold. */
START_TEST(test_too_many_fields)
{
	static const char *conf[] = { "MaxHeaders 1000\n",
	    "MaxHeaders 2000\n" };
	static const char *want[] = { "more than 1000 header fields",
	    "more than 1024 header fields to sign" };
	char text[1024];

	for (int i = 0; i < 2; i++) {
		struct am_config *cfg;
		struct am_keys *ks;
		struct am_dkim_signer *sg;
		struct am_dkim_sign *s;
		struct am_why why;

		snprintf(text, sizeof(text), "%s%s", conf[i], dual_conf);
		cfg = load_cfg(text);
		ks = am_keys_load(cfg, NULL, NULL);
		sg = am_dkim_signer_new(cfg, ks, NULL);
		s = am_dkim_sign_new(sg, NULL, "alice", "example.com");
		am_dkim_sign_header(s, "From", " a@example.com", 14);
		for (int j = 0; j < 1100; j++)
			am_dkim_sign_header(s, "To", " b@example.net", 14);
		am_dkim_sign_eoh(s);
		am_dkim_sign_body(s, body, strlen(body));
		ck_assert_int_eq(am_dkim_sign_eom(s, &why), AM_PERMFAIL);
		ck_assert_msg(strstr(why.text, want[i]) != NULL,
		    "got \"%s\", want \"%s\"", why.text, want[i]);
		ck_assert_uint_eq(am_dkim_sign_count(s), 0);
		am_dkim_sign_free(s);
		am_dkim_signer_free(sg);
		am_keys_free(ks);
		am_config_unref(cfg);
	}
}
END_TEST

START_TEST(test_value_out_of_range)
{
	struct am_config *cfg = load_cfg(dual_conf);
	struct am_keys *ks = am_keys_load(cfg, NULL, NULL);
	struct am_dkim_signer *sg = am_dkim_signer_new(cfg, ks, NULL);
	struct am_dkim_sign *s = am_dkim_sign_new(sg, NULL, "x", "example.org");

	(void)am_dkim_sign_value(s, 0);
}
END_TEST

START_TEST(test_bad_header_names)
{
	struct am_config *cfg = load_cfg("SignHeaders From, Bad:Name\n");
	struct am_buf errs;

	am_buf_init(&errs, 4096);
	ck_assert_ptr_null(am_dkim_signer_new(cfg, NULL, &errs));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&errs),
	    "t.conf: SignHeaders: bad or too many header names at \"Bad:Name\""));
	am_buf_release(&errs);
	am_config_unref(cfg);
}
END_TEST

/* ---------------------------------------------------------------- tools */

START_TEST(test_keygen)
{
	struct stat st;
	char out[8192], buf[4096];
	FILE *fp;
	size_t n;

	ck_assert_int_eq(stat(path_of("rsa.example.com.key"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	fp = fopen(path_of("ed.example.com.key"), "r");
	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(buf, "-----BEGIN PRIVATE KEY-----"));
	/* the RSA record needed two strings, each <= 255 (txt_strings) */
	ck_assert_ptr_nonnull(strstr(pubs[0].rr, "\" \""));
	ck_assert(strncmp(pubs[0].val, "v=DKIM1; k=rsa; p=MII", 21) == 0);
	ck_assert(strncmp(pubs[1].val, "v=DKIM1; k=ed25519; p=", 22) == 0);
	/* never overwrite, and usage errors */
	ck_assert_int_eq(run_keygen("rsa", "rsa", out, sizeof(out)), 1);
	ck_assert_int_eq(run_keygen("x", "dsa", out, sizeof(out)), 2);
	ck_assert_int_eq(run_keygen("bad sel", "rsa", out, sizeof(out)), 2);
	/* the printed tables load */
	ck_assert_int_eq(run_keygen("tbl", "ed25519", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "; KeyTable:\ntbl._domainkey.example.com "
	    "example.com:tbl:"));
	ck_assert_ptr_nonnull(strstr(out, "*@example.com tbl._domainkey.example.com"));
}
END_TEST

static struct am_dns *
new_dns(void)
{
	struct am_dns_opts o = { .nameservers = am_testdns_addr(tdns) };
	struct am_why why;
	struct am_dns *dns = am_dns_new(&o, &why);

	ck_assert_msg(dns != NULL, "%s", why.text);
	return dns;
}

/* testkey_out - run testkey on a config; rc and output. */
static int
testkey_out(const char *conf, char *out, size_t len)
{
	struct am_config *cfg = load_cfg(conf);
	struct am_dns *dns = new_dns();
	FILE *fp = tmpfile(), *err = fopen("/dev/null", "w");
	size_t n;
	int rc;

	rc = testkey(cfg, dns, fp, err);
	rewind(fp);
	n = fread(out, 1, len - 1, fp);
	out[n] = '\0';
	fclose(fp);
	fclose(err);
	am_dns_free(dns);
	am_config_unref(cfg);
	return rc;
}

START_TEST(test_testkey)
{
	char out[4096];

	{
		char kt[4096];

		snprintf(kt, sizeof(kt),
		    "r example.com:rsa:%s/rsa.example.com.key\n"
		    "e example.com:ed:%s/ed.example.com.key\n"
		    "p %%:ed:%s/ed.example.com.key\n", tmpdir, tmpdir, tmpdir);
		am_test_put(path_of("kt"), kt);
		snprintf(kt, sizeof(kt),
		    "r example.com:rsa:%s/rsa.example.com.key\n"
		    "x example.com:other:%s/rsa.example.com.key\n"
		    "y example.com:ed2:%s/ed.example.com.key\n"
		    "z example.com:nokey:%s/ed.example.com.key\n"
		    "w example.com:rsa:%s/ed.example.com.key\n",
		    tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
		am_test_put(path_of("kt2"), kt);
	}
	am_test_put(path_of("st"), "* r\n");
	ck_assert_int_eq(testkey_out("KeyTable @/kt\nSigningTable refile:@/st\n",
	    out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "ok rsa._domainkey.example.com rsa-sha256 "
	    "2048 bits") && strstr(out, "ok ed._domainkey.example.com "
	    "ed25519-sha256 256 bits") && strstr(out, "skip ed._domainkey.%"),
	    "%s", out);
	ck_assert_int_eq(testkey_out("KeyTable @/kt2\nSigningTable refile:@/st\n",
	    out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "ok rsa._domainkey") &&
	    strstr(out, "FAIL other._domainkey.example.com rsa-sha256 2048 bits "
	    "(key x, ") && strstr(out, "FAIL ed2._domainkey") &&
	    strstr(out, "no TXT record published") &&
	    strstr(out, "k= does not match the key type") &&
	    strstr(out, "published public key does not match the private key"),
	    "%s", out);
}
END_TEST

static Suite *
sign_suite(void)
{
	Suite *s = suite_create("dkim_sign");
	TCase *tc = tcase_create("interop");

	tcase_add_test(tc, test_dkimpy_dual);
	tcase_add_test(tc, test_mail_dkim_rsa);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("signer");
	tcase_add_test(tc, test_header_selection);
	tcase_add_test(tc, test_custom_headers_ttl);
	tcase_add_test(tc, test_not_twice);
	tcase_add_test(tc, test_no_key_for_from);
	tcase_add_test(tc, test_too_many_fields);
	tcase_add_test(tc, test_bad_header_names);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, test_value_out_of_range,
		    SIGABRT);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tc = tcase_create("tools");
	tcase_add_test(tc, test_keygen);
	tcase_add_test(tc, test_testkey);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *rrs[5];
	struct am_why why;
	char cmd[700];
	int rc;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	snprintf(recs_path, sizeof(recs_path), "%s/records", tmpdir);
	make_keys();
	/* every selector publishes its own key; test_testkey points KeyTable
	 * entries at the wrong files for the mismatch cases */
	for (int i = 0; i < 4; i++)
		rrs[i] = pubs[i].rr;
	rrs[4] = NULL;
	if ((tdns = am_testdns_start(rrs, &why)) == NULL) {
		fprintf(stderr, "testdns: %s\n", why.text);
		return EXIT_FAILURE;
	}
	rc = am_test_run(sign_suite());
	tdns = am_testdns_stop(tdns);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return rc;
}
