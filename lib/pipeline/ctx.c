/*
 * ctx.c - runtime snapshots and the process context. A reload builds a whole
 * new runtime off to the side and swaps one pointer under a mutex; readers
 * take a reference under the same mutex, so a snapshot is never freed while
 * a connection still uses it (STYLE.md §11, §17).
 */
#include "autoconf.h"

#include <stdlib.h>

#include "core/xalloc.h"
#include "pipeline/ctx.h"

/* fail - one reason line into errs; the half-built runtime goes away. */
static struct am_runtime *
fail(struct am_runtime *rt, struct am_buf *errs, const struct am_why *why)
{
	(void)am_buf_printf(errs, "%s\n", why->text);
	return am_runtime_unref(rt);
}

/* am_runtime_new - build everything cfg needs; takes cfg's reference. */
struct am_runtime *
am_runtime_new(struct am_config *cfg, const struct am_runtime_opts *opts,
    struct am_buf *errs, struct am_buf *warns)
{
	struct am_dns_opts dopts = { 0 };
	struct am_runtime *rt;
	struct am_why why;

	dopts.nameservers = cfg->nameservers;
	dopts.trust_anchor_file = cfg->trust_anchor_file;
	dopts.local_only = opts != NULL && opts->local_dns;
	rt = am_xcalloc(1, sizeof(*rt));
	rt->cfg = cfg;
	atomic_init(&rt->refs, 1);
	if ((rt->keys = am_keys_load(cfg, errs, warns)) == NULL)
		return am_runtime_unref(rt);
	if ((rt->dns = am_dns_new(&dopts, &why)) == NULL)
		return fail(rt, errs, &why);
	if ((rt->dkim = am_dkim_lib_new(rt->dns, cfg, &why)) == NULL)
		return fail(rt, errs, &why);
	rt->signer = am_dkim_signer_new(cfg, rt->keys, errs);
	if (rt->signer == NULL)
		return am_runtime_unref(rt);
	if ((rt->spf = am_spf_new(rt->dns, cfg, &why)) == NULL)
		return fail(rt, errs, &why);
	if ((rt->dmarc = am_dmarc_new(rt->dns, cfg, &why)) == NULL)
		return fail(rt, errs, &why);
	return rt;
}

struct am_runtime *
am_runtime_ref(struct am_runtime *rt)
{
	atomic_fetch_add(&rt->refs, 1);
	return rt;
}

/* am_runtime_unref - drop one reference; free at zero. */
struct am_runtime *
am_runtime_unref(struct am_runtime *rt)
{
	if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
		return NULL;
	rt->dmarc = am_dmarc_free(rt->dmarc);
	rt->spf = am_spf_free(rt->spf);
	rt->signer = am_dkim_signer_free(rt->signer);
	rt->keys = am_keys_free(rt->keys);
	rt->dkim = am_dkim_lib_free(rt->dkim);
	rt->dns = am_dns_free(rt->dns);
	rt->cfg = am_config_unref(rt->cfg);
	free(rt);
	return NULL;
}

/* am_ctx_new - the process context; takes rt's reference. */
struct am_ctx *
am_ctx_new(struct am_runtime *rt)
{
	struct am_ctx *ctx = am_xcalloc(1, sizeof(*ctx));

	if (pthread_mutex_init(&ctx->lock, NULL) != 0)
		AM_PANIC("pthread_mutex_init failed");
	ctx->current = rt;
	return ctx;
}

struct am_ctx *
am_ctx_free(struct am_ctx *ctx)
{
	if (ctx == NULL)
		return NULL;
	ctx->reports = am_report_store_close(ctx->reports, NULL);
	ctx->current = am_runtime_unref(ctx->current);
	(void)pthread_mutex_destroy(&ctx->lock);
	free(ctx);
	return NULL;
}

/* am_ctx_acquire - a new reference to the current runtime. */
struct am_runtime *
am_ctx_acquire(struct am_ctx *ctx)
{
	struct am_runtime *rt;

	(void)pthread_mutex_lock(&ctx->lock);
	rt = am_runtime_ref(ctx->current);
	(void)pthread_mutex_unlock(&ctx->lock);
	return rt;
}

/* am_ctx_swap - install rt (reference taken); drop the old one. */
void
am_ctx_swap(struct am_ctx *ctx, struct am_runtime *rt)
{
	struct am_runtime *old;

	(void)pthread_mutex_lock(&ctx->lock);
	old = ctx->current;
	ctx->current = rt;
	(void)pthread_mutex_unlock(&ctx->lock);
	(void)am_runtime_unref(old);
}
