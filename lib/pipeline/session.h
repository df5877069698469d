/*
 * NAME        am_session - one SMTP connection run through the pipeline
 * DESCRIPTION The milter callbacks and authmilterctl check drive the same
 *             stage functions in SMTP order; at end of message
 *             am_session_eom() fills a verdict with every action to take
 *             (made by am_verdict_decide(), decide.h: the session only runs
 *             the checks in order and hands their results over).
 *             am_session_new() pins the context's current runtime (config +
 *             resolver) for the whole connection and returns an owned session
 *             (am_session_free(), accepts NULL, returns NULL).
 *
 *             Macros are read through a callback (name -> value or NULL) so
 *             that lib/ never sees libmilter; values are copied before the
 *             stage function returns. am_session_macros() lists, per stage,
 *             the macros the milter asks the MTA for (smfi_setsymlist).
 *
 *             am_session_mail() starts a transaction (the previous message's
 *             state is reset); am_session_abort() discards it, with
 *             whatever it started (inbound.h).
 *             The DNS of an inbound message starts as early as its inputs
 *             are known (inbound.h): am_session_helo() starts the SPF check
 *             of the HELO name for the next transaction (unless the
 *             connection is outbound without authenticating: a signing
 *             daemon or an internal client), am_session_mail() the MAIL FROM
 *             check, am_session_eoh() the DKIM key and DMARC lookups; none
 *             of them waits, and am_session_eom() collects them. Header values
 *             are passed as received (leading space kept with
 *             SMFIP_HDR_LEADSPC, folded lines separated by "\n").
 *
 *             am_session_set_leadspc() says whether the MTA passes header
 *             values with their leading space (SMFIP_HDR_LEADSPC); the
 *             verdict's plan then gives inserted values one.
 *
 *             Mode (decide.h): a transaction is outbound when the client
 *             authenticated ({auth_authen}), came through a SigningDaemons
 *             daemon or its address is in InternalHosts; otherwise inbound.
 *             Inbound messages get our Authentication-Results header
 *             (with the x-tls result); every message gets the TLS trace header
 *             (TLSHeader) and loses incoming Authentication-Results and trace
 *             headers that claim our AuthservID (PITFALLS "Trust boundary").
 *             RequireTLS is checked at MAIL FROM. Every decision is counted
 *             (am_stats_count) and a message that ends (refused at MAIL
 *             FROM, or at end of message) gets its log line in the
 *             verdict's summary (logline.h).
 * THREADS     one session is used by one callback at a time (libmilter
 *             serialises a connection's callbacks); sessions share the
 *             context, which is thread-safe.
 */
#ifndef AM_SESSION_H
#define AM_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "pipeline/ctx.h"
#include "core/netaddr.h"
#include "pipeline/verdict.h"

enum am_stage {
	AM_STAGE_CONNECT = 0,
	AM_STAGE_HELO,
	AM_STAGE_MAIL,
	AM_STAGE_RCPT,
	AM_STAGE_DATA,
	AM_STAGE_EOH,
	AM_STAGE_EOM,
	AM_STAGE_COUNT,
};

typedef const char *(*am_macro_fn)(void *arg, const char *name);

struct am_session;

/* am_session_macros - space-separated macro names for one stage. */
const char *am_session_macros(enum am_stage stage);

struct am_session *am_session_new(struct am_ctx *ctx);
struct am_session *am_session_free(struct am_session *s);
/* am_session_id - log prefix: the queue id, else a connection id. */
const char *am_session_id(const struct am_session *s);
const struct am_runtime *am_session_runtime(const struct am_session *s);
enum am_mode am_session_mode(const struct am_session *s);
void am_session_set_leadspc(struct am_session *s, bool has_leadspc);

void am_session_connect(struct am_session *s, const char *hostname,
    const struct am_addr *addr, am_macro_fn get, void *arg);
void am_session_helo(struct am_session *s, const char *helo, am_macro_fn get,
    void *arg);
/* am_session_mail - v (initialised by the caller) says whether the
 * transaction may go on: AM_DISP_ACCEPT, or reject/tempfail with a reply (a
 * RequireTLS rule); the summary line is then already in v. */
void am_session_mail(struct am_session *s, const char *sender, am_macro_fn get,
    void *arg, struct am_verdict *v);
void am_session_rcpt(struct am_session *s, const char *rcpt, am_macro_fn get,
    void *arg);
/* am_session_data - DATA: the queue id, when the MTA names it here. */
void am_session_data(struct am_session *s, am_macro_fn get, void *arg);
void am_session_header(struct am_session *s, const char *name,
    const char *value, size_t len);
void am_session_eoh(struct am_session *s, am_macro_fn get, void *arg);
/* am_session_body - false once nothing needs more of the body (the milter
 * may then answer SMFIS_SKIP). */
bool am_session_body(struct am_session *s, const void *p, size_t len);
void am_session_eom(struct am_session *s, am_macro_fn get, void *arg,
    struct am_verdict *v);
void am_session_abort(struct am_session *s);
/* am_session_abandon - when a transaction is open (MAIL FROM seen, no end
 * of message or abort yet), append its log line to line (the summary with
 * stage=<last stage> reason="why" action=aborted) and return true; else
 * false. Call before am_session_abort() or am_session_free(). */
bool am_session_abandon(struct am_session *s, const char *why,
    struct am_buf *line);

#endif
