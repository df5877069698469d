/*
 * callbacks.c - libmilter glue: turn callback arguments into am_session_*
 * calls, and execute the verdict's plan through smfi_* calls (the header
 * steps in the plan's order, then the reply). No decisions are made here:
 * which headers, in which order, with which leading space, and which reply,
 * are lib/pipeline/decide.c's.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include "core/log.h"
#include "core/netaddr.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"
#include "core/xalloc.h"
#include "callbacks.h"
#include "nodelay.h"

#define PARKED_SLOTS 4096	/* parked negotiations (a power of two) */

/* Set once before smfi_main(); read-only afterwards. */
static struct am_ctx *process_ctx;

/* What xxfi_negotiate agreed for a milter connection. */
struct steps {
	bool leadspc;		/* SMFIP_HDR_LEADSPC negotiated */
	bool skip;		/* SMFIP_SKIP negotiated */
	unsigned long nr;	/* SMFIP_NR_* negotiated: steps with no reply */
	int sd;			/* the connection's TCP socket for
				 * am_quickack(), or -1 (unix socket) */
};

/* One SMTP connection on a milter connection. */
struct conn {
	struct am_session *s;	/* owned */
	struct steps steps;	/* of the milter connection */
	bool connected;		/* xxfi_connect seen */
};

/*
 * Parked negotiations. libmilter calls xxfi_negotiate once per milter
 * connection but xxfi_close once per SMTP connection, also before an
 * SMFIC_QUIT_NC that keeps the milter connection for the next one; the
 * private data must be NULL after the last close (libmilter warns
 * otherwise), and nothing tells that close from a QUIT_NC one. So each
 * close parks its negotiation under the libmilter context, and the
 * connection state created after a QUIT_NC takes it back. A direct-mapped
 * table: a parked entry is overwritten by a collision or dropped by the next
 * negotiation on a context at the same address (a new milter connection);
 * a reused connection whose entry was lost logs a warning and gets the
 * defaults. Covered by parked_lock.
 */
static struct {
	const SMFICTX *ctx;	/* NULL: free */
	struct steps steps;
} parked[PARKED_SLOTS];
static pthread_mutex_t parked_lock = PTHREAD_MUTEX_INITIALIZER;

/* parked_slot - the slot of a libmilter context. */
static size_t
parked_slot(const SMFICTX *ctx)
{
	return ((uintptr_t)ctx >> 4) & (PARKED_SLOTS - 1);
}

static void
parked_put(const SMFICTX *ctx, const struct steps *st)
{
	size_t i = parked_slot(ctx);

	(void)pthread_mutex_lock(&parked_lock);
	parked[i].ctx = ctx;
	parked[i].steps = *st;
	(void)pthread_mutex_unlock(&parked_lock);
}

/* parked_take - remove ctx's entry; true (and *st set) when there was one. */
static bool
parked_take(const SMFICTX *ctx, struct steps *st)
{
	size_t i = parked_slot(ctx);
	bool found;

	(void)pthread_mutex_lock(&parked_lock);
	found = parked[i].ctx == ctx;
	if (found) {
		if (st != NULL)
			*st = parked[i].steps;
		parked[i].ctx = NULL;
	}
	(void)pthread_mutex_unlock(&parked_lock);
	return found;
}

void
am_callbacks_set_ctx(struct am_ctx *ctx)
{
	process_ctx = ctx;
}

/* get_macro - am_macro_fn over smfi_getsymval. */
static const char *
get_macro(void *arg, const char *name)
{
	return smfi_getsymval((SMFICTX *)arg, (char *)name);
}

/* conn_new - the state of a new SMTP connection: after a negotiation
 * (steps set by the caller), or after SMFIC_QUIT_NC (steps parked). */
static struct conn *
conn_new(SMFICTX *ctx, bool negotiating)
{
	struct conn *c = am_xcalloc(1, sizeof(*c));

	c->steps.sd = -1;
	c->s = am_session_new(process_ctx);
	if (negotiating)
		(void)parked_take(ctx, NULL);
	else if (!parked_take(ctx, &c->steps))
		am_log_warn("%s: milter connection reused without its "
		    "negotiated options: using none", am_session_id(c->s));
	am_session_set_leadspc(c->s, c->steps.leadspc);
	(void)smfi_setpriv(ctx, c);
	return c;
}

/* conn_get - the connection state. */
static struct conn *
conn_get(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	return c != NULL ? c : conn_new(ctx, false);
}

static const struct {
	int stage;		/* SMFIM_* */
	enum am_stage am;	/* our stage */
} symlists[] = {
	{ SMFIM_CONNECT, AM_STAGE_CONNECT }, { SMFIM_HELO, AM_STAGE_HELO },
	{ SMFIM_ENVFROM, AM_STAGE_MAIL }, { SMFIM_ENVRCPT, AM_STAGE_RCPT },
	{ SMFIM_DATA, AM_STAGE_DATA }, { SMFIM_EOH, AM_STAGE_EOH },
	{ SMFIM_EOM, AM_STAGE_EOM },
};

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long need = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	struct conn *c;
	size_t i;

	if ((f0 & need) != need) {
		am_log_err("MTA offers actions 0x%lx, need 0x%lx", f0, need);
		return SMFIS_REJECT;
	}
	if ((c = smfi_getpriv(ctx)) == NULL)
		c = conn_new(ctx, true);
	*pf0 = need | (f0 & (SMFIF_QUARANTINE | SMFIF_SETSYMLIST));
	/* No reply where no decision is taken (nodelay.h); DATA is still
	 * sent to us (not SMFIP_NODATA) so that its packet gets its ACK. */
	*pf1 = am_milter_steps(f1);
	*pf2 = *pf3 = 0;
	c->steps.leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	c->steps.skip = (*pf1 & SMFIP_SKIP) != 0;
	c->steps.nr = *pf1 & (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_RCPT |
	    SMFIP_NR_DATA | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
	c->steps.sd = am_conn_sock(ctx);
	am_log_debug("%s: steps offered 0x%lx (libmilter adds NR_*), "
	    "negotiated 0x%lx%s",
	    am_session_id(c->s), f1, *pf1, c->steps.sd >= 0 ? " (TCP)" : "");
	am_session_set_leadspc(c->s, c->steps.leadspc);
	if (*pf0 & SMFIF_SETSYMLIST)
		for (i = 0; i < sizeof(symlists) / sizeof(symlists[0]); i++)
			(void)smfi_setsymlist(ctx, symlists[i].stage,
			    (char *)am_session_macros(symlists[i].am));
	return SMFIS_CONTINUE;
}

/* noreply - the answer of a step that decides nothing: none when the MTA
 * was told not to wait for one (SMFIP_NR_*), after acknowledging its packet
 * at once so that its next write is not held behind Nagle (nodelay.h). */
static sfsistat
noreply(const struct conn *c, unsigned long nr_flag)
{
	if ((c->steps.nr & nr_flag) == 0)
		return SMFIS_CONTINUE;
	am_quickack(c->steps.sd);
	return SMFIS_NOREPLY;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct conn *c = conn_get(ctx);
	struct am_addr addr;
	bool ok = hostaddr != NULL &&
	    am_addr_from_sockaddr(hostaddr, &addr) == AM_OK;

	c->connected = true;
	am_session_connect(c->s, hostname, ok ? &addr : NULL, get_macro, ctx);
	return noreply(c, SMFIP_NR_CONN);
}

static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	struct conn *c = conn_get(ctx);

	am_session_helo(c->s, helo, get_macro, ctx);
	return noreply(c, SMFIP_NR_HELO);
}

static sfsistat execute(SMFICTX *ctx, const struct conn *c,
    const struct am_verdict *v);

/* cb_envfrom - a RequireTLS rule may refuse the transaction here; the
 * message then has its log line. */
static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);
	struct am_verdict v;
	sfsistat rc;

	am_verdict_init(&v);
	am_session_mail(c->s, argv[0], get_macro, ctx, &v);
	rc = execute(ctx, c, &v);
	if (v.summary.len > 0)
		am_log_info("%s: %s", am_session_id(c->s),
		    am_buf_str(&v.summary));
	am_verdict_release(&v);
	return rc;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);

	am_session_rcpt(c->s, argv[0], get_macro, ctx);
	return noreply(c, SMFIP_NR_RCPT);
}

/* cb_data - Postfix names the queue id here. Postfix's smtpd then hands
 * the milter connection to cleanup, whose first write would wait behind
 * Nagle for the ACK of this reply-less packet: noreply() sends it. */
static sfsistat
cb_data(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);

	am_session_data(c->s, get_macro, ctx);
	return noreply(c, SMFIP_NR_DATA);
}

/* cb_header - no ACK per header: the MTA writes them in one go with end of
 * headers, which sends it. */
static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_get(ctx);

	am_session_header(c->s, name, value, strlen(value));
	return (c->steps.nr & SMFIP_NR_HDR) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);

	am_session_eoh(c->s, get_macro, ctx);
	return noreply(c, SMFIP_NR_EOH);
}

/* cb_body - SMFIS_SKIP is a reply: with SMFIP_NR_BODY the MTA sends the
 * whole body, and what no check needs is not hashed. */
static sfsistat
cb_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct conn *c = conn_get(ctx);
	bool more = am_session_body(c->s, p, len);

	if (c->steps.nr & SMFIP_NR_BODY)
		return noreply(c, SMFIP_NR_BODY);
	if (!more && c->steps.skip)
		return SMFIS_SKIP;
	return SMFIS_CONTINUE;
}

/* execute - the plan: each header step in order, then the reply. */
static sfsistat
execute(SMFICTX *ctx, const struct conn *c, const struct am_verdict *v)
{
	const struct am_hdr_op *op;
	size_t i;

	for (i = 0; i < v->nops; i++) {
		op = &v->ops[i];
		if (op->kind == AM_HDR_OP_DELETE) {
			if (smfi_chgheader(ctx, (char *)op->name, (int)op->n,
			    NULL) != MI_SUCCESS)
				am_log_warn("%s: cannot delete %s #%zu",
				    am_session_id(c->s), op->name, op->n);
		} else if (smfi_insheader(ctx, (int)op->n, (char *)op->name,
		    op->value) != MI_SUCCESS) {
			am_log_warn("%s: cannot insert %s", am_session_id(c->s),
			    op->name);
		}
	}
	switch (v->disp) {
	case AM_DISP_ACCEPT:
		return SMFIS_CONTINUE;
	case AM_DISP_QUARANTINE:
		(void)smfi_quarantine(ctx, (char *)v->quarantine);
		return SMFIS_CONTINUE;
	case AM_DISP_REJECT:
		(void)smfi_setreply(ctx, (char *)v->rcode, (char *)v->xcode,
		    v->smtp_text);
		return SMFIS_REJECT;
	case AM_DISP_TEMPFAIL:
		(void)smfi_setreply(ctx, (char *)v->rcode, (char *)v->xcode,
		    v->smtp_text);
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	struct am_verdict v;
	sfsistat rc;

	am_verdict_init(&v);
	am_session_eom(c->s, get_macro, ctx, &v);
	rc = execute(ctx, c, &v);
	am_log_info("%s: %s", am_session_id(c->s), am_buf_str(&v.summary));
	am_verdict_release(&v);
	return rc;
}

/* log_abandoned - the log line of a transaction that ends without end of
 * message, if one was open. */
static void
log_abandoned(const struct conn *c, const char *why)
{
	struct am_buf line;

	am_buf_init(&line, 8192);
	if (am_session_abandon(c->s, why, &line))
		am_log_info("%s: %s", am_session_id(c->s), am_buf_str(&line));
	am_buf_release(&line);
}

/* cb_abort - libmilter calls it for the MTA's SMFIC_ABORT, and also when
 * the milter connection fails in a transaction (end of file, a read error
 * or timeout, a packet refused): the two cannot be told apart here. */
static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		log_abandoned(c, "aborted by the MTA, or the milter connection "
		    "failed");
		am_session_abort(c->s);
	}
	return SMFIS_CONTINUE;
}

/* cb_close - the end of an SMTP connection: free its state and park the
 * negotiation (see parked[]). A transaction still open was cut without an
 * abort (libmilter's idle timeout); a connection that never saw connect
 * ended before the MTA named a client (refused or idle milter traffic). */
static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	log_abandoned(c, "milter connection closed before end of message");
	if (!c->connected)
		am_log_info("%s: milter connection closed before the MTA named "
		    "an SMTP client", am_session_id(c->s));
	else
		am_log_debug("%s: SMTP connection closed", am_session_id(c->s));
	parked_put(ctx, &c->steps);
	c->s = am_session_free(c->s);
	free(c);
	(void)smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "authmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE |
	    SMFIF_SETSYMLIST,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
	.xxfi_data = cb_data,
};

/* am_callbacks_limits - libmilter's process-wide limits (before
 * smfi_main): the wait on one MTA connection (MilterTimeout), and the
 * largest packet, raised from libmilter's 64 KiB so that a header Postfix
 * passes whole (header_size_limit 102400) reaches the MaxHeaderLength
 * check instead of dropping the connection. */
void
am_callbacks_limits(const struct am_config *cfg)
{
	(void)smfi_settimeout((int)cfg->milter_timeout);
	(void)smfi_setmaxdatasize(AM_MILTER_MAX_PACKET);
}

struct smfiDesc *
am_callbacks_desc(void)
{
	return &desc;
}
