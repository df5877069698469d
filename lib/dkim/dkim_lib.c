/*
 * dkim_lib.c - one configured libopendkim handle, with our DNS hooks
 * (LIBRARY-NOTES §2 "Custom DNS"; the contract of the hooks is the caller,
 * libopendkim dkim-keys.c dkim_get_key_dns()).
 *
 * dkim_get_key_dns() calls query_start(service, T_TXT, qname, buf, buflen,
 * &qh), then waitreply(service, qh, timeout, &bytes, &err, &dnssec), then
 * always cancel(service, qh). It parses buf as a whole DNS response: the
 * question section must be there (else "unexpected reply class/type" =
 * KEYFAIL), rcode NXDOMAIN or no answers = NOKEY. So start only begins an
 * am_dns query; waitreply waits, copies the packet into the buffer start was
 * given (clamped), and turns every TEMPERROR into DKIM_DNS_ERROR.
 *
 * The message's DNS budget (dns_budget.h) reaches the hooks through a
 * thread-local pointer set by am_dkim_lib_budget_begin() around the
 * libopendkim calls that look keys up: the hooks get only the library-wide
 * query service, and libopendkim runs them synchronously on the caller's
 * thread (the same reasoning as spf_dns.c's current check).
 */
#include "autoconf.h"

#include <arpa/nameser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <opendkim/dkim.h>

#include "core/xalloc.h"
#include "dns/dns.h"
#include "dns/dns_budget.h"
#include "dns/dns_prefetch.h"
#include "dkim/dkim_lib.h"

/* What our hooks get as libopendkim's "query service". */
struct dkim_dns_svc {
	struct am_dns *dns;		/* borrowed */
	unsigned timeout_ms;		/* DNSTimeout */
};

/* One key lookup in flight (libopendkim's "query handle"). */
struct dkim_dns_q {
	struct am_dns_query *q;		/* owned */
	uint64_t deadline_ms;		/* the message's budget, or 0 */
	unsigned char *buf;		/* borrowed: libopendkim's answer buffer */
	size_t buflen;			/* bytes at buf */
};

struct am_dkim_lib {
	DKIM_LIB *lib;			/* owned: dkim_close() */
	struct dkim_dns_svc svc;	/* the hooks' service */
	struct am_dkim_policy policy;	/* copied configuration */
};

/* The message budget of the verification running on this thread, between
 * am_dkim_lib_budget_begin() and _end(); NULL otherwise. */
static _Thread_local struct am_dns_budget *current_budget;
/* Its key lookups started early, between am_dkim_lib_prefetch_begin() and
 * _end(); NULL otherwise. */
static _Thread_local struct am_dns_prefetch *current_prefetch;

/* am_dkim_lib_budget_begin - key lookups on this thread use b. */
void
am_dkim_lib_budget_begin(struct am_dns_budget *b)
{
	if (current_budget != NULL)
		AM_PANIC("am_dkim_lib_budget_begin: nested");
	current_budget = b;
}

/* am_dkim_lib_budget_end - no budget on this thread any more. */
void
am_dkim_lib_budget_end(void)
{
	current_budget = NULL;
}

/* am_dkim_lib_prefetch_begin - key lookups on this thread take p's. */
void
am_dkim_lib_prefetch_begin(struct am_dns_prefetch *p)
{
	if (current_prefetch != NULL)
		AM_PANIC("am_dkim_lib_prefetch_begin: nested");
	current_prefetch = p;
}

/* am_dkim_lib_prefetch_end - no early lookups on this thread any more. */
void
am_dkim_lib_prefetch_end(void)
{
	current_prefetch = NULL;
}

/* dns_start - begin the TXT (or other) lookup, or take the one started
 * early; never fails. */
static int
dns_start(void *svc_, int type, unsigned char *qname, unsigned char *buf,
    size_t buflen, void **qh)
{
	struct dkim_dns_svc *svc = svc_;
	struct dkim_dns_q *dq = am_xcalloc(1, sizeof(*dq));
	uint64_t deadline = UINT64_MAX;

	if (current_budget != NULL) {
		dq->deadline_ms = am_dns_budget_deadline(current_budget);
		deadline = dq->deadline_ms;
	}
	if (current_budget != NULL || current_prefetch != NULL)
		dq->q = am_dns_prefetch_start_by(current_prefetch, svc->dns,
		    (const char *)qname, type, deadline);
	else
		dq->q = am_dns_start(svc->dns, (const char *)qname, type);
	dq->buf = buf;
	dq->buflen = buflen;
	*qh = dq;
	return 0;
}

/* timeout_ms - libopendkim's relative timeout capped at DNSTimeout. */
static unsigned
timeout_ms(const struct dkim_dns_svc *svc, const struct timeval *to)
{
	uint64_t ms;

	if (to == NULL)
		return svc->timeout_ms;
	ms = (uint64_t)to->tv_sec * 1000 + (uint64_t)to->tv_usec / 1000;
	return ms < svc->timeout_ms ? (unsigned)ms : svc->timeout_ms;
}

/*
 * nxdomain_packet - a header-only NXDOMAIN answer for the root name, for a
 * name am_dns would not send (malformed: no such key can exist).
 */
static size_t
nxdomain_packet(unsigned char *buf, size_t buflen)
{
	static const unsigned char pkt[] = {
		0, 0, 0x81, 0x83,	/* id; QR RD RA, rcode 3 */
		0, 1, 0, 0, 0, 0, 0, 0,	/* one question */
		0, 0, 16, 0, 1,		/* ". TXT IN" */
	};

	if (buflen < sizeof(pkt))
		return 0;
	memcpy(buf, pkt, sizeof(pkt));
	return sizeof(pkt);
}

/* dns_waitreply - wait, copy the wire answer, map the result. */
static int
dns_waitreply(void *svc_, void *qh, struct timeval *to, size_t *bytes,
    int *err, int *dnssec)
{
	struct dkim_dns_svc *svc = svc_;
	struct dkim_dns_q *dq = qh;
	struct am_dns_answer ans;
	uint64_t deadline;
	size_t n = 0;
	int rc = DKIM_DNS_SUCCESS;

	deadline = am_dns_deadline(timeout_ms(svc, to));
	if (dq->deadline_ms != 0 && dq->deadline_ms < deadline)
		deadline = dq->deadline_ms;
	am_dns_wait(dq->q, deadline, &ans);
	if (ans.result == AM_DNS_TEMPERROR) {
		rc = DKIM_DNS_ERROR;
	} else if (ans.packet_len > 0) {
		n = ans.packet_len < dq->buflen ? ans.packet_len : dq->buflen;
		memcpy(dq->buf, ans.packet, n);
	} else if (ans.result == AM_DNS_NXDOMAIN) {
		n = nxdomain_packet(dq->buf, dq->buflen);
	}
	if (rc == DKIM_DNS_SUCCESS && n == 0)
		rc = DKIM_DNS_ERROR;	/* no packet to parse */
	if (bytes != NULL)
		*bytes = n;
	if (err != NULL)
		*err = 0;
	if (dnssec != NULL)
		*dnssec = ans.secure ? DKIM_DNSSEC_SECURE :
		    ans.bogus ? DKIM_DNSSEC_BOGUS : DKIM_DNSSEC_INSECURE;
	am_dns_answer_release(&ans);
	return rc;
}

/* dns_cancel - release the lookup (cancels it if still running). */
static int
dns_cancel(void *svc_, void *qh)
{
	struct dkim_dns_q *dq = qh;

	(void)svc_;
	if (dq != NULL) {
		(void)am_dns_query_free(dq->q);
		free(dq);
	}
	return 0;
}

/*
 * prescreen - MaxSignatures: after the DKIM-Signature headers are parsed and
 * before any key lookup, mark every signature past the limit IGNORE, so it
 * costs no DNS query and no hashing. Verify handles carry their policy as
 * user context (dkim_verify.c); a handle without one is left alone.
 */
static DKIM_CBSTAT
prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	const struct am_dkim_policy *p = dkim_get_user_context(dkim);
	int i;

	if (p == NULL)
		return DKIM_CBSTAT_CONTINUE;
	for (i = (int)p->max_signatures; i < nsigs; i++)
		dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

/* set_opt - dkim_options(SETOPT); len must be non-zero (assert). */
static bool
set_opt(struct am_dkim_lib *dl, dkim_opts_t opt, void *p, size_t len,
    const char *name, struct am_why *why)
{
	if (dkim_options(dl->lib, DKIM_OP_SETOPT, opt, p, len) ==
	    DKIM_STAT_OK)
		return true;
	am_why_set(why, "libopendkim: cannot set option %s", name);
	return false;
}

/* install_dns - our hooks in, libopendkim's resolver out. */
static bool
install_dns(struct am_dkim_lib *dl, struct am_why *why)
{
	dkim_dns_set_init(dl->lib, NULL);
	dkim_dns_set_close(dl->lib, NULL);
	dkim_dns_set_nslist(dl->lib, NULL);
	dkim_dns_set_config(dl->lib, NULL);
	dkim_dns_set_trustanchor(dl->lib, NULL);
	(void)dkim_dns_set_query_service(dl->lib, &dl->svc);
	dkim_dns_set_query_start(dl->lib, dns_start);
	dkim_dns_set_query_waitreply(dl->lib, dns_waitreply);
	dkim_dns_set_query_cancel(dl->lib, dns_cancel);
	(void)dkim_set_prescreen(dl->lib, prescreen);
	if (dkim_dns_init(dl->lib) != DKIM_DNS_SUCCESS) {
		am_why_set(why, "libopendkim: dkim_dns_init failed");
		return false;
	}
	return true;
}

/* set_options - flags, limits and the signing defaults. */
static bool
set_options(struct am_dkim_lib *dl, const struct am_config *cfg,
    struct am_why *why)
{
	/* DELAYSIGPROC: the key lookups run in dkim_eom(), not dkim_eoh(),
	 * so nothing waits for DNS before end of message (dkim_verify.c
	 * starts them at end of headers through the prefetch table). */
	unsigned int flags = DKIM_LIBFLAGS_BADSIGHANDLES |
	    DKIM_LIBFLAGS_DELAYSIGPROC;
	unsigned int minbits = (unsigned int)cfg->dkim_min_key_bits;
	unsigned int timeout = (unsigned int)cfg->dns_timeout;

	return set_opt(dl, DKIM_OPTS_FLAGS, &flags, sizeof(flags),
	    "FLAGS", why) &&
	    set_opt(dl, DKIM_OPTS_MINKEYBITS, &minbits, sizeof(minbits),
	    "MINKEYBITS", why) &&
	    set_opt(dl, DKIM_OPTS_TIMEOUT, &timeout, sizeof(timeout),
	    "TIMEOUT", why) &&
	    set_opt(dl, DKIM_OPTS_SKIPHDRS, dkim_should_not_signhdrs,
	    sizeof(char **), "SKIPHDRS", why) &&
	    set_opt(dl, DKIM_OPTS_SIGNHDRS, dkim_should_signhdrs,
	    sizeof(char **), "SIGNHDRS", why);
}

/* copy_policy - the verification keys, so messages need no config. */
static void
copy_policy(struct am_dkim_policy *p, const struct am_config *cfg)
{
	p->max_signatures = (unsigned)cfg->dkim_max_signatures;
	p->allow_sha1 = cfg->dkim_allow_sha1;
	p->min_key_bits = (unsigned)cfg->dkim_min_key_bits;
	p->allow_body_length = cfg->dkim_allow_body_length;
	p->dns_timeout_ms = (unsigned)cfg->dns_timeout * 1000;
}

/* am_dkim_lib_new - dkim_init() and the whole set-up. */
struct am_dkim_lib *
am_dkim_lib_new(struct am_dns *dns, const struct am_config *cfg,
    struct am_why *why)
{
	struct am_dkim_lib *dl;

	if (dns == NULL || cfg == NULL)
		AM_PANIC("am_dkim_lib_new: NULL argument");
	dl = am_xcalloc(1, sizeof(*dl));
	copy_policy(&dl->policy, cfg);
	dl->svc.dns = dns;
	dl->svc.timeout_ms = dl->policy.dns_timeout_ms;
	dl->lib = dkim_init(NULL, NULL);
	if (dl->lib == NULL) {
		am_why_set(why, "libopendkim: dkim_init failed");
		free(dl);
		return NULL;
	}
	if (!install_dns(dl, why) || !set_options(dl, cfg, why))
		return am_dkim_lib_free(dl);
	return dl;
}

/* am_dkim_lib_free - dkim_close(); accepts NULL. */
struct am_dkim_lib *
am_dkim_lib_free(struct am_dkim_lib *dl)
{
	if (dl == NULL)
		return NULL;
	if (dl->lib != NULL)
		dkim_close(dl->lib);
	free(dl);
	return NULL;
}

/* am_dkim_lib_handle - the DKIM_LIB, borrowed. */
DKIM_LIB *
am_dkim_lib_handle(struct am_dkim_lib *dl)
{
	return dl->lib;
}

/* am_dkim_lib_dns - the hooks' resolver, borrowed. */
struct am_dns *
am_dkim_lib_dns(const struct am_dkim_lib *dl)
{
	return dl->svc.dns;
}

/* am_dkim_lib_policy - the verification policy, borrowed. */
const struct am_dkim_policy *
am_dkim_lib_policy(const struct am_dkim_lib *dl)
{
	return &dl->policy;
}
