/*
 * spf_impl.h - private to spf.c and spf_exp.c: the server, the state of one
 * identity's check (the exp= expansion reads it through the DNS layer's arg
 * pointer) and the expander spf.c hands to that layer. Nothing else
 * includes this file.
 */
#ifndef AM_SPF_IMPL_H
#define AM_SPF_IMPL_H

#include <netinet/in.h>
#include <spf2/spf.h>

#include "core/am.h"
#include "core/buf.h"
#include "core/netaddr.h"
#include "spf/spf.h"
#include "spf/spf_dns.h"

struct am_spf {
	SPF_server_t *server;	/* owned */
	SPF_dns_server_t *layer;	/* owned: our DNS layer under server */
	unsigned void_limit;	/* SPFVoidLookupLimit */
	char receiver[256];	/* %{r} in explanations: AuthservID */
};

/* One identity being evaluated; lives on the checking thread's stack. */
struct check {
	struct am_spf_dns_check dns;	/* layer state (deadline, limits) */
	const struct am_spf *spf;	/* borrowed */
	SPF_request_t *req;		/* borrowed: for %{d} (cur_dom) */
	const struct am_addr *client;	/* borrowed */
	const char *sender;		/* borrowed: local@domain */
	const char *helo;		/* borrowed: HELO name as given */
};

/* am_spf_expand_exp - the exp= text of a fail, expanded (spf_exp.c); an
 * am_spf_dns_exp_fn whose dc->arg is the struct check. */
enum am_status am_spf_expand_exp(struct am_spf_dns_check *dc,
    const char *text, struct am_buf *out);

#endif
