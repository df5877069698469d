/*
 * testsession.c - the session harness of testsession.h.
 */
#include "autoconf.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "config/config.h"
#include "testutil/testsession.h"
#include "testutil/testutil.h"

/* ctx_with - a context on the text; local_dns: local data only. */
static struct am_ctx *
ctx_with(const char *text, bool local_dns)
{
	struct am_runtime_opts o = { .local_dns = local_dns };
	struct am_buf errs;
	struct am_config *cfg;
	struct am_runtime *rt;
	char *path = am_test_temp_file(text, strlen(text));

	am_buf_init(&errs, 65536);
	cfg = am_config_load(path, &errs, NULL);
	unlink(path);
	free(path);
	if (cfg == NULL)
		ck_abort_msg("config: %s", am_buf_str(&errs));
	rt = am_runtime_new(cfg, &o, &errs, NULL);
	if (rt == NULL)
		ck_abort_msg("runtime: %s", am_buf_str(&errs));
	am_buf_release(&errs);
	return am_ctx_new(rt);
}

/* am_test_ctx_new - a context on a config written from text. */
struct am_ctx *
am_test_ctx_new(const char *text)
{
	return ctx_with(text, true);
}

/* am_test_ctx_from - the same on the resolver the text names. */
struct am_ctx *
am_test_ctx_from(const char *text)
{
	return ctx_with(text, false);
}

/* am_test_macros_get - the macro getter for struct am_test_macros. */
const char *
am_test_macros_get(void *arg, const char *name)
{
	struct am_test_macros *m = arg;
	size_t i;

	if (m == NULL)
		return NULL;
	if (strcmp(name, "{auth_authen}") == 0)
		return m->auth;
	if (strcmp(name, "i") == 0)
		return m->qid;
	for (i = 0; m->kv[i] != NULL; i += 2)
		if (strcmp(m->kv[i], name) == 0)
			return m->kv[i + 1];
	return NULL;
}

/* am_test_ins_value - the value of the inserted header called name, or "". */
const char *
am_test_ins_value(const struct am_verdict *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nins; i++)
		if (strcmp(v->ins[i].name, name) == 0)
			return v->ins[i].value;
	return "";
}

/* am_test_session_run - connect from ip, send the headers. */
void
am_test_session_run(struct am_session *s, const char *ip,
    struct am_test_macros *m, const char *const *hdrs, struct am_verdict *v)
{
	am_macro_fn get = am_test_macros_get;
	struct am_addr addr;
	size_t i;

	ck_assert_int_eq(am_addr_parse(ip, &addr), AM_OK);
	am_session_connect(s, "client.example", &addr, get, m);
	am_session_helo(s, "client.example", get, m);
	am_verdict_init(v);
	am_session_mail(s, "<sender@example.org>", get, m, v);
	ck_assert_int_eq(v->disp, AM_DISP_ACCEPT);
	am_session_rcpt(s, "<rcpt@example.net>", get, m);
	am_session_data(s, get, m);
	for (i = 0; hdrs[i] != NULL; i += 2)
		am_session_header(s, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	am_session_eoh(s, get, m);
	am_session_body(s, "hello\r\n", 7);
	am_session_eom(s, get, m, v);
}
