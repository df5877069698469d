/*
 * testdkim.c - the DKIM verifier harness of testdkim.h: an eml sink that
 * feeds a verifier the way the milter does (end of headers before the
 * first body piece) and can re-chunk the body.
 */
#include "autoconf.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "msg/authres.h"
#include "msg/eml.h"
#include "testutil/testdkim.h"
#include "testutil/testrr.h"

/* The eml sink: headers, eoh before the first body chunk, re-chunked body. */
struct feed {
	struct am_dkim_verify *v;
	size_t chunk;		/* body piece size; 0 = as the reader gives */
	bool eoh_done;
	bool want_body;
	size_t body_calls;
};

static void
on_header(void *arg, const char *name, const char *value, size_t len)
{
	struct feed *f = arg;

	am_dkim_verify_header(f->v, name, value, len);
}

static void
feed_eoh(struct feed *f)
{
	if (!f->eoh_done) {
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
	const char *c = p;
	size_t n;

	feed_eoh(f);
	if (!f->want_body)
		return;
	while (len > 0) {
		n = f->chunk == 0 || f->chunk > len ? len : f->chunk;
		am_dkim_verify_body(f->v, c, n);
		f->body_calls++;
		c += n;
		len -= n;
	}
}

struct am_dns *am_test_dkim_dns;	/* per test: local data only */
struct am_config *am_test_dkim_cfg;	/* per test: defaults, adjusted */

void
am_test_dkim_setup(void)
{
	am_test_dkim_dns = am_test_dns_local(NULL, NULL);
	am_test_dkim_cfg = am_config_defaults();
}

void
am_test_dkim_teardown(void)
{
	am_test_dkim_cfg = am_config_unref(am_test_dkim_cfg);
	am_test_dkim_dns = am_dns_free(am_test_dkim_dns);
}

/* am_test_dkim_lib - a library on the fixture's resolver and config. */
struct am_dkim_lib *
am_test_dkim_lib(void)
{
	struct am_why why = { "" };
	struct am_dkim_lib *dl = am_dkim_lib_new(am_test_dkim_dns,
	    am_test_dkim_cfg, &why);

	ck_assert_msg(dl != NULL, "%s", why.text);
	return dl;
}

/* am_test_dkim_verify_fp - run one message through a fresh verifier. */
void
am_test_dkim_verify_fp(struct am_dkim_lib *dl, FILE *fp, size_t chunk,
    struct am_dkim_results *res, bool *want_body)
{
	struct feed f = { .chunk = chunk };
	struct am_eml_sink sink = { .on_header = on_header, .on_eoh = on_eoh,
	    .on_body = on_body, .arg = &f };
	struct am_why why = { "" };

	f.v = am_dkim_verify_new(dl, "test");
	ck_assert_msg(am_eml_parse(fp, &sink, &why) == AM_OK, "%s", why.text);
	feed_eoh(&f);
	am_dkim_verify_eom(f.v, res);
	f.v = am_dkim_verify_free(f.v);
	if (want_body != NULL)
		*want_body = f.want_body;
}

/* am_test_dkim_verify_mem - the message in msg (LF or CRLF). */
void
am_test_dkim_verify_mem(struct am_dkim_lib *dl, const char *msg,
    size_t chunk, struct am_dkim_results *res)
{
	FILE *fp = fmemopen((void *)(uintptr_t)msg, strlen(msg), "r");

	ck_assert(fp != NULL);
	am_test_dkim_verify_fp(dl, fp, chunk, res, NULL);
	fclose(fp);
}

/* am_test_dkim_ar - the A-R value for res with authserv-id "mx.test". */
char *
am_test_dkim_ar(const struct am_dkim_results *res)
{
	struct am_authres *ar = am_authres_new("mx.test");
	struct am_buf b;
	char *s;

	am_buf_init(&b, 65536);
	am_dkim_results_add_authres(res, ar);
	ck_assert(am_authres_format(ar, &b) == AM_OK);
	s = am_buf_export(&b);
	am_authres_free(ar);
	return s;
}
