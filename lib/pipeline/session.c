/*
 * session.c - the pipeline behind the milter callbacks and authmilterctl
 * check. Each stage copies what it needs out of the MTA's arguments and
 * macros; all decisions are made at end of message into a verdict.
 *
 * Forged-header removal (RFC 8601 §5, PITFALLS "Trust boundary"): every
 * incoming header of a watched name is counted as it streams, kept or not, so
 * the 1-based occurrence numbers given to smfi_chgheader() are exact even
 * past MaxHeaders; the ones that claim our authserv-id are deleted.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "msg/authres.h"
#include "pipeline/inbound.h"
#include "core/log.h"
#include "dkim/dkim_sign.h"
#include "msg/msg.h"
#include "pipeline/outbound.h"
#include "tls/tls_policy.h"
#include "tls/tls_status.h"
#include "core/xalloc.h"
#include "pipeline/session.h"

#define AR_MAX_BYTES 16384	/* our Authentication-Results value: entries
				 * past it are dropped (am_authres_format_fit) */
#define LOG_FIELD_MAX 256	/* client, helo, sender in the log line */

#define TLS_HDR_MAX_BYTES 4096	/* our TLS trace header value */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NWATCHED 3	/* Authentication-Results, TLS header, Received-SPF */

/* A header we write, and remove when an incoming copy claims to be ours. */
struct watched {
	const char *name;	/* borrowed from the pinned config; NULL = off */
	bool (*is_ours)(const char *value, size_t len, const char *id);
};

/* Requested with smfi_setsymlist; the list replaces the MTA's default. */
static const char *const stage_macros[AM_STAGE_COUNT] = {
	[AM_STAGE_CONNECT] = "j _ {daemon_name} {daemon_addr} {daemon_port} "
	    "{client_addr} {client_port} {client_name} {client_ptr}",
	[AM_STAGE_HELO] = "{tls_version} {cipher} {cipher_bits} "
	    "{cert_subject} {cert_issuer} {verify} {tls_sni}",
	[AM_STAGE_MAIL] = "i {auth_type} {auth_authen} {auth_author} "
	    "{mail_addr} {tls_version} {cipher} {cipher_bits} "
	    "{cert_subject} {cert_issuer} {verify}",
	[AM_STAGE_RCPT] = "i {rcpt_addr}",
	[AM_STAGE_DATA] = "i",
	[AM_STAGE_EOH] = "i",
	[AM_STAGE_EOM] = "i",
};

struct am_session {
	struct am_ctx *ctx;		/* borrowed; outlives the session */
	struct am_runtime *rt;		/* owned reference, pinned */
	char conn_id[20];		/* "C" + connection number */
	char *hostname;			/* owned; client name from the MTA */
	struct am_addr addr;		/* client address, if has_addr */
	bool has_addr;			/* addr is valid */
	char addr_text[AM_ADDR_STRLEN];	/* addr as text, or "unknown" */
	char *helo;			/* owned; last HELO/EHLO argument */
	struct watched watched[NWATCHED];	/* our header names */
	char *daemon_name;		/* owned; {daemon_name} or NULL */
	struct am_tls_track *tls;	/* owned; TLS macro snapshots */
	/* per transaction; reset at MAIL FROM and abort */
	struct am_msg *msg;		/* owned */
	bool in_tx;			/* MAIL FROM seen */
	enum am_mode mode;		/* decided at MAIL FROM */
	char *auth_user;		/* owned; {auth_authen} or NULL */
	bool tls_policy_failed;		/* a RequireTLS rule said tag */
	bool eoh_done;			/* end of headers seen */
	const char *stage;		/* static: last stage of the transaction
					 * ("mail", "rcpt", "header", ...) */
	size_t ar_dropped;		/* A-R entries left out (size cap) */
	size_t from_total;		/* From headers seen, kept or not */
	struct am_inbound *in;		/* owned; inbound checks, or NULL */
	struct am_outbound *out;	/* owned; outbound signing, or NULL */
	size_t seen[NWATCHED];		/* watched headers counted so far */
	size_t *forged[NWATCHED];	/* owned; occurrences claiming our id */
	size_t nforged[NWATCHED];	/* entries in forged[i] */
	struct timespec t_start;	/* CLOCK_MONOTONIC at MAIL FROM */
};

const char *
am_session_macros(enum am_stage stage)
{
	if ((unsigned)stage >= AM_STAGE_COUNT)
		AM_PANIC("am_session_macros: bad stage %d", (int)stage);
	return stage_macros[stage];
}

/* macro_dup - an owned copy of a macro value, or NULL when absent/empty. */
static char *
macro_dup(am_macro_fn get, void *arg, const char *name)
{
	const char *v = get ? get(arg, name) : NULL;

	return v != NULL && *v != '\0' ? am_xstrdup(v) : NULL;
}

/* am_session_new - a session on the context's current runtime. */
struct am_session *
am_session_new(struct am_ctx *ctx)
{
	struct am_session *s = am_xcalloc(1, sizeof(*s));
	unsigned long long n;

	s->ctx = ctx;
	s->rt = am_ctx_acquire(ctx);
	s->msg = am_msg_new();
	s->tls = am_tls_track_new();
	s->watched[0].name = "Authentication-Results";
	s->watched[0].is_ours = am_authres_is_ours;
	if (strcasecmp(s->rt->cfg->tls_header, "none") != 0) {
		s->watched[1].name = s->rt->cfg->tls_header;
		s->watched[1].is_ours = am_tls_header_is_ours;
	}
	s->watched[2].name = "Received-SPF";
	s->watched[2].is_ours = am_header_receiver_is;
	n = atomic_fetch_add(&ctx->stats.connections, 1) + 1;
	(void)snprintf(s->conn_id, sizeof(s->conn_id), "C%llu", n);
	(void)snprintf(s->addr_text, sizeof(s->addr_text), "unknown");
	return s;
}

/* tx_reset - forget the current transaction. */
static void
tx_reset(struct am_session *s)
{
	size_t i;

	am_msg_reset(s->msg);
	free(s->auth_user);
	s->auth_user = NULL;
	for (i = 0; i < NWATCHED; i++) {
		free(s->forged[i]);
		s->forged[i] = NULL;
		s->nforged[i] = s->seen[i] = 0;
	}
	s->in = am_inbound_free(s->in);
	s->out = am_outbound_free(s->out);
	s->eoh_done = false;
	s->stage = "mail";
	s->ar_dropped = 0;
	s->from_total = 0;
	s->in_tx = false;
	s->tls_policy_failed = false;
	s->mode = AM_MODE_INBOUND;
}

struct am_session *
am_session_free(struct am_session *s)
{
	if (s == NULL)
		return NULL;
	tx_reset(s);
	s->msg = am_msg_free(s->msg);
	free(s->hostname);
	free(s->helo);
	free(s->daemon_name);
	s->tls = am_tls_track_free(s->tls);
	s->rt = am_runtime_unref(s->rt);
	free(s);
	return NULL;
}

const char *
am_session_id(const struct am_session *s)
{
	const char *qid = am_msg_queue_id(s->msg);

	return qid != NULL ? qid : s->conn_id;
}

const struct am_runtime *
am_session_runtime(const struct am_session *s)
{
	return s->rt;
}

enum am_mode
am_session_mode(const struct am_session *s)
{
	return s->mode;
}

/* am_session_connect - remember the client; fall back to {client_addr}. */
void
am_session_connect(struct am_session *s, const char *hostname,
    const struct am_addr *addr, am_macro_fn get, void *arg)
{
	const char *text;

	free(s->hostname);
	s->hostname = am_xstrdup(hostname ? hostname : "unknown");
	s->has_addr = false;
	if (addr != NULL) {
		s->addr = *addr;
		s->has_addr = true;
	} else if ((text = get ? get(arg, "{client_addr}") : NULL) != NULL &&
	    am_addr_parse(text, &s->addr) == AM_OK) {
		s->has_addr = true;
	}
	if (s->has_addr)
		(void)am_addr_format(&s->addr, s->addr_text,
		    sizeof(s->addr_text));
	am_tls_observe_connect(s->tls, get, arg);
	free(s->daemon_name);
	s->daemon_name = macro_dup(get, arg, "{daemon_name}");
}

void
am_session_helo(struct am_session *s, const char *helo, am_macro_fn get,
    void *arg)
{
	free(s->helo);
	s->helo = am_xstrdup(helo ? helo : "");
	am_tls_observe(s->tls, true, get, arg);
}

/* decide_mode - local policy: authenticated, internal, or arrived through a
 * daemon listed in SigningDaemons (e.g. Postfix's submission service with
 * milter_macro_daemon_name=ORIGINATING) = outbound. */
static enum am_mode
decide_mode(const struct am_session *s)
{
	if (s->auth_user != NULL)
		return AM_MODE_OUTBOUND;
	if (s->daemon_name != NULL &&
	    am_dkim_sign_daemon_listed(s->rt->cfg, s->daemon_name))
		return AM_MODE_OUTBOUND;
	if (s->has_addr &&
	    am_netset_contains(s->rt->cfg->internal_hosts, &s->addr))
		return AM_MODE_OUTBOUND;
	return AM_MODE_INBOUND;
}

static void summarise(struct am_session *s, struct am_verdict *v,
    size_t removed, const char *action);
static void count_verdict(struct am_stats *st, enum am_mode mode,
    const struct am_verdict *v, size_t removed);

/* check_tls_policy - RequireTLS at MAIL FROM; reject/tempfail go into v. */
static void
check_tls_policy(struct am_session *s, struct am_verdict *v)
{
	const struct am_config *cfg = s->rt->cfg;
	struct am_tls_policy_input in;
	struct am_tls_status st;
	struct am_why why;
	enum am_tls_policy_action a;

	am_tls_status_get(s->tls, cfg->implicit_tls_ports, &st);
	in.status = &st;
	in.sender = am_msg_sender(s->msg);
	in.client = s->has_addr ? &s->addr : NULL;
	in.min_default = cfg->min_tls_version;
	a = am_tls_policy_check(cfg->require_tls, &in, &why);
	if (a == AM_TLS_POLICY_OK)
		return;
	atomic_fetch_add(&s->ctx->stats.tls_policy_hits, 1);
	(void)am_buf_printf(&v->summary, "tls-policy=%s reason=\"%s\" ",
	    am_tls_policy_action_name(a), why.text);
	if (a == AM_TLS_POLICY_TAG)
		s->tls_policy_failed = true;
	else if (a == AM_TLS_POLICY_REJECT)
		am_verdict_set(v, AM_DISP_REJECT, "530", "5.7.0", why.text);
	else
		am_verdict_set(v, AM_DISP_TEMPFAIL, "450", "4.7.0", why.text);
}

void
am_session_mail(struct am_session *s, const char *sender, am_macro_fn get,
    void *arg, struct am_verdict *v)
{
	char *qid;

	tx_reset(s);
	s->in_tx = true;
	(void)clock_gettime(CLOCK_MONOTONIC, &s->t_start);
	am_msg_set_sender(s->msg, sender ? sender : "");
	s->auth_user = macro_dup(get, arg, "{auth_authen}");
	/* Sendmail assigns the queue id before MAIL; Postfix only at DATA. */
	if ((qid = macro_dup(get, arg, "i")) != NULL) {
		am_msg_set_queue_id(s->msg, qid);
		free(qid);
	}
	s->mode = decide_mode(s);
	am_tls_observe(s->tls, false, get, arg);
	am_verdict_set(v, AM_DISP_ACCEPT, "", "", "");
	check_tls_policy(s, v);
	if (v->disp != AM_DISP_ACCEPT) {
		summarise(s, v, 0, NULL);
		count_verdict(&s->ctx->stats, s->mode, v, 0);
		s->in_tx = false;
		return;
	}
	if (s->mode == AM_MODE_INBOUND)
		s->in = am_inbound_new(s->rt, am_session_id(s));
	else
		s->out = am_outbound_new(s->rt, am_session_id(s));
}

void
am_session_rcpt(struct am_session *s, const char *rcpt, am_macro_fn get,
    void *arg)
{
	s->stage = "rcpt";
	am_msg_add_rcpt(s->msg, rcpt ? rcpt : "");
}

/* take_queue_id - the queue id from the "i" macro, once known (Postfix
 * assigns it at DATA, Sendmail before MAIL). */
static void
take_queue_id(struct am_session *s, am_macro_fn get, void *arg)
{
	char *qid;

	if (am_msg_queue_id(s->msg) == NULL &&
	    (qid = macro_dup(get, arg, "i")) != NULL) {
		am_msg_set_queue_id(s->msg, qid);
		free(qid);
	}
}

void
am_session_data(struct am_session *s, am_macro_fn get, void *arg)
{
	s->stage = "data";
	take_queue_id(s, get, arg);
}

/* note_watched - count a watched header; remember it when it claims us.
 * Returns true for a header the milter will delete. */
static bool
note_watched(struct am_session *s, size_t w, const char *value, size_t len)
{
	size_t n = ++s->seen[w];

	if (!s->watched[w].is_ours(value, len, s->rt->cfg->authserv_id))
		return false;
	s->forged[w] = am_xreallocarray(s->forged[w], s->nforged[w] + 1,
	    sizeof(size_t));
	s->forged[w][s->nforged[w]++] = n;
	return true;
}

void
am_session_header(struct am_session *s, const char *name, const char *value,
    size_t len)
{
	const struct am_config *cfg = s->rt->cfg;
	bool forged = false;
	size_t w;

	s->stage = "header";
	if (strcasecmp(name, "From") == 0)
		s->from_total++;
	for (w = 0; w < NWATCHED; w++)
		if (s->watched[w].name != NULL &&
		    strcasecmp(name, s->watched[w].name) == 0)
			forged |= note_watched(s, w, value, len);
	if (!am_msg_add_header(s->msg, name, value, len,
	    (size_t)cfg->max_headers, (size_t)cfg->max_header_length))
		return;
	if (forged)
		am_msg_mark_deleted(s->msg);
	if (s->in != NULL)
		am_inbound_header(s->in, name, value, len);
}

void
am_session_eoh(struct am_session *s, am_macro_fn get, void *arg)
{
	take_queue_id(s, get, arg);
	if (s->eoh_done)
		return;
	s->eoh_done = true;
	s->stage = "eoh";
	if (s->in != NULL)
		am_inbound_eoh(s->in);
	if (s->out != NULL)
		am_outbound_eoh(s->out, s->msg);
}

/* am_session_body - feed a body chunk; false when no check needs more. */
bool
am_session_body(struct am_session *s, const void *p, size_t len)
{
	bool more = false;

	s->stage = "body";
	am_msg_add_body(s->msg, len);
	if (s->in != NULL)
		more |= am_inbound_body(s->in, p, len);
	if (s->out != NULL)
		more |= am_outbound_body(s->out, p, len);
	return more;
}

void
am_session_abort(struct am_session *s)
{
	if (s->in_tx)
		atomic_fetch_add(&s->ctx->stats.aborted, 1);
	tx_reset(s);
}

/* internal_error - apply OnInternalError; the reason goes to the summary. */
static void
internal_error(struct am_session *s, struct am_verdict *v, const char *what)
{
	atomic_fetch_add(&s->ctx->stats.internal_errors, 1);
	if (s->rt->cfg->on_internal_error == AM_ACTION_TEMPFAIL)
		am_verdict_set(v, AM_DISP_TEMPFAIL, "451", "4.3.0",
		    "authmilter: temporary local problem, try again later");
	(void)am_buf_printf(&v->summary, "internal-error=\"%s\" ", what);
}

/* run_inbound - finish the inbound checks with what the connection knows.
 * DMARC sees every From header: one that was too long to keep still counts
 * (as an empty value), so a hidden second From is a multiple-From case. */
static void
run_inbound(struct am_session *s, struct am_authres *ar, struct am_verdict *v)
{
	struct am_inbound_env env;
	const struct am_header *h;
	struct am_str *from;
	size_t i;

	from = am_xcalloc(s->from_total ? s->from_total : 1, sizeof(*from));
	for (i = 0; i < s->from_total; i++)
		if ((h = am_msg_find(s->msg, "From", i)) != NULL) {
			from[i].p = h->value;
			from[i].len = h->value_len;
		} else {
			from[i].p = "";
		}
	env.client = s->has_addr ? &s->addr : NULL;
	env.client_ip = s->addr_text;
	env.helo = s->helo ? s->helo : "";
	env.sender = am_msg_sender(s->msg) ? am_msg_sender(s->msg) : "";
	env.from = from;
	env.nfrom = s->from_total;
	am_inbound_eom(s->in, &env, ar, v);
	am_inbound_report(s->in, &env, am_msg_rcpt(s->msg, 0), s->ctx->reports);
	free(from);
}

/* add_authres - build and queue our Authentication-Results header. */
static void
add_authres(struct am_session *s, struct am_verdict *v,
    const struct am_tls_status *tls)
{
	struct am_authres *ar = am_authres_new(s->rt->cfg->authserv_id);
	struct am_buf out;

	if (s->in != NULL)
		run_inbound(s, ar, v);
	am_tls_add_authres(tls, ar);
	am_buf_init(&out, AR_MAX_BYTES);
	if (am_authres_format_fit(ar, "dkim", &out, &s->ar_dropped) == AM_OK)
		am_verdict_insert(v, "Authentication-Results", am_buf_str(&out));
	else
		internal_error(s, v, "Authentication-Results too long");
	if (s->ar_dropped > 0)
		(void)am_buf_printf(&v->summary, "authres-dropped=%zu ",
		    s->ar_dropped);
	am_buf_release(&out);
	ar = am_authres_free(ar);
}

/* add_tls_header - queue the TLS trace header (TLSHeader, unless none). */
static void
add_tls_header(struct am_session *s, struct am_verdict *v,
    const struct am_tls_status *tls)
{
	struct am_buf out;

	if (s->watched[1].name == NULL)
		return;
	am_buf_init(&out, TLS_HDR_MAX_BYTES);
	if (am_tls_format_header(tls, s->rt->cfg->authserv_id,
	    s->tls_policy_failed, &out) == AM_OK)
		am_verdict_insert(v, s->watched[1].name, am_buf_str(&out));
	else
		internal_error(s, v, "TLS header too long");
	am_buf_release(&out);
}

/* count_tls - per-mode and per-version counters. */
static void
count_tls(struct am_stats *st, const struct am_tls_status *tls)
{
	int rank = am_tls_version_rank(tls->version);

	atomic_fetch_add(&st->tls_mode[tls->mode], 1);
	if (tls->mode != AM_TLS_NONE)
		atomic_fetch_add(&st->tls_version[rank >= 10 && rank <= 13 ?
		    rank - 9 : 0], 1);
}

/* delete_forged - queue deletion of every watched header claiming our id. */
static size_t
delete_forged(struct am_session *s, struct am_verdict *v)
{
	size_t w, i, n = 0;

	for (w = 0; w < NWATCHED; w++)
		for (i = 0; i < s->nforged[w]; i++, n++)
			am_verdict_delete(v, s->watched[w].name,
			    s->forged[w][i]);
	return n;
}

/* elapsed_ms - milliseconds since MAIL FROM. */
static long
elapsed_ms(const struct am_session *s)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - s->t_start.tv_sec) * 1000L +
	    (now.tv_nsec - s->t_start.tv_nsec) / 1000000L;
}

/* tls_summary - "none", "starttls/TLSv1.3", "implicit/TLSv1.2". */
static const char *
tls_summary(const struct am_session *s, char *buf, size_t len)
{
	struct am_tls_status st;

	am_tls_status_get(s->tls, s->rt->cfg->implicit_tls_ports, &st);
	(void)snprintf(buf, len, "%s%s%s", am_tls_mode_name(st.mode),
	    st.version[0] ? "/" : "", st.version);
	return buf;
}

/* clip - s as a log field: at most LOG_FIELD_MAX bytes, a cut marked
 * "..." (client names, HELO and sender come from the client). */
static const char *
clip(const char *s, char *buf)
{
	if (strlen(s) < LOG_FIELD_MAX)
		return s;
	(void)snprintf(buf, LOG_FIELD_MAX, "%.*s...", LOG_FIELD_MAX - 4, s);
	return buf;
}

/* summary_head - what the message was: client, envelope, sizes, TLS,
 * anomalies. */
static void
summary_head(const struct am_session *s, struct am_buf *b, size_t removed)
{
	char anoms[128], tls[AM_TLS_VALUE_MAX + 16];
	char c1[LOG_FIELD_MAX], c2[LOG_FIELD_MAX], c3[LOG_FIELD_MAX];
	char c4[LOG_FIELD_MAX];
	unsigned flags = am_msg_anomalies(s->msg);
	const char *sender = am_msg_sender(s->msg);

	(void)am_buf_printf(b, "client=%s[%s] helo=%s mode=%s%s%s "
	    "from=<%s> rcpts=%zu headers=%zu body=%llu removed=%zu ",
	    clip(s->hostname ? s->hostname : "unknown", c1), s->addr_text,
	    clip(s->helo ? s->helo : "", c2), s->mode == AM_MODE_INBOUND ?
	    "inbound" : "outbound", s->auth_user ? " auth=" : "",
	    s->auth_user ? clip(s->auth_user, c4) : "",
	    clip(sender ? sender : "", c3),
	    am_msg_rcpt_count(s->msg), am_msg_header_total(s->msg),
	    (unsigned long long)am_msg_body_bytes(s->msg), removed);
	(void)am_buf_printf(b, "tls=%s ", tls_summary(s, tls, sizeof(tls)));
	if (flags || s->ar_dropped)
		(void)am_buf_printf(b, "anomalies=%s%s%s ", flags ?
		    am_msg_anomaly_names(flags, anoms, sizeof(anoms)) : "",
		    flags && s->ar_dropped ? "," : "",
		    s->ar_dropped ? "authres-truncated" : "");
}

/* summarise - the one log line for the message (STYLE.md §14): what the
 * message was, the results (v->summary so far), then the outcome: the
 * reply given with a reject or tempfail (the reason, always), the action
 * (action overrides the disposition's name when not NULL) and the time.
 * The outcome always fits: results that would push it out are cut, and
 * the cut is marked "...". */
static void
summarise(struct am_session *s, struct am_verdict *v, size_t removed,
    const char *action)
{
	size_t max = v->summary.max_len, room;
	struct am_buf head, tail;

	am_buf_init(&head, max);
	am_buf_init(&tail, max / 2);
	if (v->disp == AM_DISP_REJECT || v->disp == AM_DISP_TEMPFAIL)
		(void)am_buf_printf(&tail, "reply=\"%s %s %s\" ", v->rcode,
		    v->xcode, v->reply);
	(void)am_buf_printf(&tail, "action=%s elapsed=%ldms", action ? action :
	    am_disposition_name(v->disp), elapsed_ms(s));
	summary_head(s, &head, removed);
	room = max - tail.len - head.len;	/* head, tail <= max / 2 */
	if (v->summary.len <= room)
		(void)am_buf_append(&head, v->summary.data, v->summary.len);
	else if (room > 4)
		(void)am_buf_printf(&head, "%.*s... ", (int)(room - 4),
		    v->summary.data);
	(void)am_buf_append(&head, tail.data, tail.len);
	am_buf_reset(&v->summary);
	(void)am_buf_append(&v->summary, head.data, head.len);
	am_buf_release(&head);
	am_buf_release(&tail);
}

/* am_session_abandon - the log line of a transaction that ends without
 * end of message (see the header). */
bool
am_session_abandon(struct am_session *s, const char *why, struct am_buf *line)
{
	struct am_verdict v;

	if (!s->in_tx)
		return false;
	am_verdict_init(&v);
	(void)am_buf_printf(&v.summary, "stage=%s reason=\"%s\" ", s->stage,
	    why);
	summarise(s, &v, 0, "aborted");
	(void)am_buf_append(line, v.summary.data, v.summary.len);
	am_verdict_release(&v);
	return true;
}

/* dkim_outcome - one word per message: a signature passed, signed but
 * none passed, or unsigned. */
static enum am_stats_dkim
dkim_outcome(const struct am_dkim_results *r)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->sigs[i].result == AM_DKIM_PASS)
			return AM_STATS_DKIM_PASS;
	return r->count > 0 ? AM_STATS_DKIM_FAIL : AM_STATS_DKIM_NONE;
}

/* count_verdict - per-mode and per-disposition counters. */
static void
count_verdict(struct am_stats *st, enum am_mode mode,
    const struct am_verdict *v, size_t removed)
{
	atomic_fetch_add(&st->messages, 1);
	atomic_fetch_add(mode == AM_MODE_INBOUND ? &st->inbound :
	    &st->outbound, 1);
	atomic_fetch_add(&st->forged_removed, removed);
	switch (v->disp) {
	case AM_DISP_ACCEPT:
		atomic_fetch_add(&st->accepted, 1);
		break;
	case AM_DISP_QUARANTINE:
		atomic_fetch_add(&st->accepted, 1);
		atomic_fetch_add(&st->quarantined, 1);
		break;
	case AM_DISP_REJECT:
		atomic_fetch_add(&st->rejected, 1);
		break;
	case AM_DISP_TEMPFAIL:
		atomic_fetch_add(&st->tempfailed, 1);
		break;
	}
}

/* count_results - SPF, DKIM and DMARC results of an inbound message, or
 * whether an accepted outbound one was signed. */
static void
count_results(struct am_session *s, const struct am_verdict *v)
{
	static const enum am_stats_spf spf_index[] = {
		[AM_SPF_NONE] = AM_STATS_SPF_NONE,
		[AM_SPF_NEUTRAL] = AM_STATS_SPF_NEUTRAL,
		[AM_SPF_PASS] = AM_STATS_SPF_PASS,
		[AM_SPF_FAIL] = AM_STATS_SPF_FAIL,
		[AM_SPF_SOFTFAIL] = AM_STATS_SPF_SOFTFAIL,
		[AM_SPF_TEMPERROR] = AM_STATS_SPF_TEMPERROR,
		[AM_SPF_PERMERROR] = AM_STATS_SPF_PERMERROR,
	};
	static const enum am_stats_dmarc dmarc_index[] = {
		[AM_DMARC_NONE] = AM_STATS_DMARC_NONE,
		[AM_DMARC_PASS] = AM_STATS_DMARC_PASS,
		[AM_DMARC_FAIL] = AM_STATS_DMARC_FAIL,
		[AM_DMARC_TEMPERROR] = AM_STATS_DMARC_TEMPERROR,
		[AM_DMARC_PERMERROR] = AM_STATS_DMARC_PERMERROR,
	};
	struct am_stats *st = &s->ctx->stats;
	const struct am_spf_result *spf;
	const struct am_dmarc_result *dmarc;

	if (s->out != NULL && am_outbound_signatures(s->out) > 0 &&
	    (v->disp == AM_DISP_ACCEPT || v->disp == AM_DISP_QUARANTINE))
		atomic_fetch_add(&st->signed_msgs, 1);
	if (s->in == NULL)
		return;
	if ((spf = am_inbound_spf(s->in)) != NULL &&
	    (unsigned)spf->result < NELEM(spf_index))
		atomic_fetch_add(&st->spf[spf_index[spf->result]], 1);
	atomic_fetch_add(&st->dkim[dkim_outcome(am_inbound_dkim(s->in))], 1);
	if ((dmarc = am_inbound_dmarc(s->in)) != NULL &&
	    (unsigned)dmarc->result < NELEM(dmarc_index))
		atomic_fetch_add(&st->dmarc[dmarc_index[dmarc->result]], 1);
}

/* am_session_eom - decide everything for the message into v (initialised). */
void
am_session_eom(struct am_session *s, am_macro_fn get, void *arg,
    struct am_verdict *v)
{
	struct am_tls_status tls;
	size_t removed;

	am_session_eoh(s, get, arg);
	am_verdict_set(v, AM_DISP_ACCEPT, "", "", "");
	am_tls_status_get(s->tls, s->rt->cfg->implicit_tls_ports, &tls);
	count_tls(&s->ctx->stats, &tls);
	removed = delete_forged(s, v);
	if (s->mode == AM_MODE_INBOUND)
		add_authres(s, v, &tls);
	if (s->in != NULL)
		am_inbound_add_headers(s->in, v);
	if (s->out != NULL && !am_outbound_eom(s->out, v))
		internal_error(s, v, "DKIM signing failed");
	add_tls_header(s, v, &tls);
	am_verdict_finish(v);
	summarise(s, v, removed, NULL);
	count_verdict(&s->ctx->stats, s->mode, v, removed);
	count_results(s, v);
	/* The message state stays readable (queue id for the log line) until
	 * the next MAIL FROM, abort or close resets it. */
	s->in_tx = false;
}
