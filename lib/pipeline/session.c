/*
 * session.c - the pipeline behind the milter callbacks and authmilterctl
 * check: the sequencer. Each stage copies what it needs out of the MTA's
 * arguments and macros and feeds the evaluators; at MAIL FROM and at end of
 * message their results go to the one decision (decide.c), then to the
 * counters (am_stats_count) and the log line (logline.c). Nothing here
 * chooses a reply, a disposition or a header edit.
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

#include "core/xalloc.h"
#include "msg/authres.h"
#include "msg/msg.h"
#include "pipeline/decide.h"
#include "pipeline/inbound.h"
#include "pipeline/logline.h"
#include "pipeline/outbound.h"
#include "tls/tls_policy.h"
#include "tls/tls_status.h"
#include "pipeline/session.h"

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
	char conn_id[24];		/* "C" + connection number */
	char *hostname;			/* owned; client name from the MTA */
	struct am_addr addr;		/* client address, if has_addr */
	bool has_addr;			/* addr is valid */
	char addr_text[AM_ADDR_STRLEN];	/* addr as text, or "unknown" */
	char *helo;			/* owned; last HELO/EHLO argument */
	struct watched watched[NWATCHED];	/* our header names */
	char *daemon_name;		/* owned; {daemon_name} or NULL */
	struct am_tls_track *tls;	/* owned; TLS macro snapshots */
	bool has_leadspc;		/* SMFIP_HDR_LEADSPC negotiated */
	struct am_spf_job *helo_job;	/* owned: the HELO check started at
					 * HELO, for the next transaction */
	/* per transaction; reset at MAIL FROM and abort */
	struct am_msg *msg;		/* owned */
	bool in_tx;			/* MAIL FROM seen */
	enum am_mode mode;		/* decided at MAIL FROM */
	char *auth_user;		/* owned; {auth_authen} or NULL */
	enum am_tls_policy_action tls_policy;	/* RequireTLS at MAIL FROM */
	struct am_why tls_policy_why;	/* its text */
	bool eoh_done;			/* end of headers seen */
	const char *stage;		/* static: last stage of the transaction
					 * ("mail", "rcpt", "header", ...) */
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
	if (s->rt->policy->tls_header != NULL) {
		s->watched[1].name = s->rt->policy->tls_header;
		s->watched[1].is_ours = am_tls_header_is_ours;
	}
	s->watched[2].name = "Received-SPF";
	s->watched[2].is_ours = am_header_receiver_is;
	n = atomic_fetch_add(&ctx->stats.connections, 1) + 1;
	/* "C" and at most 20 digits */
	if (am_snprintf(s->conn_id, sizeof(s->conn_id), "C%llu", n) != AM_OK)
		AM_PANIC("am_session_new: connection id C%llu too long", n);
	memcpy(s->addr_text, "unknown", sizeof("unknown"));
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
	s->from_total = 0;
	s->in_tx = false;
	s->tls_policy = AM_TLS_POLICY_OK;
	s->tls_policy_why.text[0] = '\0';
	s->mode = AM_MODE_INBOUND;
}

struct am_session *
am_session_free(struct am_session *s)
{
	if (s == NULL)
		return NULL;
	tx_reset(s);
	s->helo_job = am_spf_job_free(s->helo_job);
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

void
am_session_set_leadspc(struct am_session *s, bool has_leadspc)
{
	s->has_leadspc = has_leadspc;
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

/* may_be_inbound - would a transaction of this connection be inbound
 * unless its client authenticates? (decide.h: the mode rule, with what
 * is known before MAIL FROM) */
static bool
may_be_inbound(const struct am_session *s)
{
	struct am_results r;

	am_results_init(&r, AM_RESULTS_MAIL);
	r.daemon_name = s->daemon_name;
	r.client = s->has_addr ? &s->addr : NULL;
	return am_verdict_mode(s->rt->policy, &r) == AM_MODE_INBOUND;
}

/* am_session_helo - the HELO name; its SPF check starts now for the next
 * transaction (inbound.h), when one may be inbound. */
void
am_session_helo(struct am_session *s, const char *helo, am_macro_fn get,
    void *arg)
{
	free(s->helo);
	s->helo = am_xstrdup(helo ? helo : "");
	am_tls_observe(s->tls, true, get, arg);
	s->helo_job = am_spf_job_free(s->helo_job);
	if (s->has_addr && may_be_inbound(s))
		s->helo_job = am_inbound_helo_start(s->rt, &s->addr, s->helo);
}

/* results_of - the transaction's part of the results, for stage. */
static void
results_of(const struct am_session *s, enum am_results_stage stage,
    struct am_results *r)
{
	am_results_init(r, stage);
	r->auth_user = s->auth_user;
	r->daemon_name = s->daemon_name;
	r->client = s->has_addr ? &s->addr : NULL;
	r->tls_policy = s->tls_policy;
	r->tls_policy_why = s->tls_policy_why.text;
	r->has_leadspc = s->has_leadspc;
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

/* summarise - the one log line of the message into v->summary (results
 * NULL: the transaction was abandoned in s->stage for why). */
static void
summarise(const struct am_session *s, const struct am_results *r,
    struct am_verdict *v, const char *why)
{
	const char *sender = am_msg_sender(s->msg);
	struct am_tls_status tls;
	struct am_logline l = {
		.client_name = s->hostname ? s->hostname : "unknown",
		.client_ip = s->addr_text, .helo = s->helo ? s->helo : "",
		.auth_user = s->auth_user, .sender = sender ? sender : "",
		.rcpts = am_msg_rcpt_count(s->msg),
		.headers = am_msg_header_total(s->msg),
		.body_bytes = (unsigned long long)am_msg_body_bytes(s->msg),
		.anomalies = am_msg_anomalies(s->msg), .tls = &tls,
		.elapsed_ms = elapsed_ms(s), .results = r, .verdict = v,
		.stage = s->stage, .why = why,
	};

	am_tls_status_get(s->tls, s->rt->cfg->implicit_tls_ports, &tls);
	am_logline_format(&l, &v->summary);
}

/* inbound_env - what the connection knows, for the inbound checks. DMARC
 * sees every From header: one that was too long to keep still counts (as
 * an empty value), so a hidden second From is a multiple-From case. from
 * is owned by the caller (free()); NULL: no From headers (at MAIL FROM). */
static void
inbound_env(const struct am_session *s, struct am_inbound_env *env,
    struct am_str **from)
{
	const struct am_header *h;
	size_t i;

	env->client = s->has_addr ? &s->addr : NULL;
	env->client_ip = s->addr_text;
	env->helo = s->helo ? s->helo : "";
	env->sender = am_msg_sender(s->msg) ? am_msg_sender(s->msg) : "";
	env->from = NULL;
	env->nfrom = 0;
	env->msg = s->msg;
	if (from == NULL)
		return;
	*from = am_xcalloc(s->from_total ? s->from_total : 1, sizeof(**from));
	for (i = 0; i < s->from_total; i++)
		if ((h = am_msg_find(s->msg, "From", i)) != NULL) {
			(*from)[i].p = h->value;
			(*from)[i].len = h->value_len;
		} else {
			(*from)[i].p = "";
		}
	env->from = *from;
	env->nfrom = s->from_total;
}

/* check_tls_policy - RequireTLS at MAIL FROM: which rule, if any, the
 * connection violates (the decision says what follows). */
static void
check_tls_policy(struct am_session *s)
{
	const struct am_config *cfg = s->rt->cfg;
	struct am_tls_policy_input in;
	struct am_tls_status st;

	am_tls_status_get(s->tls, cfg->implicit_tls_ports, &st);
	in.status = &st;
	in.sender = am_msg_sender(s->msg);
	in.client = s->has_addr ? &s->addr : NULL;
	in.min_default = cfg->min_tls_version;
	s->tls_policy = am_tls_policy_check(cfg->require_tls, &in,
	    &s->tls_policy_why);
}

void
am_session_mail(struct am_session *s, const char *sender, am_macro_fn get,
    void *arg, struct am_verdict *v)
{
	struct am_inbound_env env;
	struct am_results r;
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
	am_tls_observe(s->tls, false, get, arg);
	check_tls_policy(s);
	results_of(s, AM_RESULTS_MAIL, &r);
	am_verdict_decide(s->rt->policy, &r, v);
	s->mode = v->mode;
	am_stats_count(&s->ctx->stats, &r, v);
	if (v->disp != AM_DISP_ACCEPT) {
		summarise(s, &r, v, NULL);
		s->in_tx = false;
		return;
	}
	if (s->mode == AM_MODE_INBOUND) {
		s->in = am_inbound_new(s->rt, am_session_id(s));
		inbound_env(s, &env, NULL);
		am_inbound_mail(s->in, &env, s->helo_job);
		s->helo_job = NULL;
	} else {
		s->out = am_outbound_new(s->rt, am_session_id(s));
		s->helo_job = am_spf_job_free(s->helo_job);
	}
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
	struct am_inbound_env env;
	struct am_str *from;

	take_queue_id(s, get, arg);
	if (s->eoh_done)
		return;
	s->eoh_done = true;
	s->stage = "eoh";
	if (s->in != NULL) {
		am_inbound_eoh(s->in, s->msg);
		inbound_env(s, &env, &from);
		am_inbound_prefetch(s->in, &env);
		free(from);
	}
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

/* forged_list - every watched header that claims our id, owned. */
static struct am_results_forged *
forged_list(const struct am_session *s, size_t *n)
{
	struct am_results_forged *f;
	size_t w, i;

	for (w = 0, *n = 0; w < NWATCHED; w++)
		*n += s->nforged[w];
	f = am_xcalloc(*n ? *n : 1, sizeof(*f));
	for (w = 0, *n = 0; w < NWATCHED; w++)
		for (i = 0; i < s->nforged[w]; i++, (*n)++) {
			f[*n].name = s->watched[w].name;
			f[*n].n = s->forged[w][i];
		}
	return f;
}

/* am_session_eom - everything for the message into v (initialised). */
void
am_session_eom(struct am_session *s, am_macro_fn get, void *arg,
    struct am_verdict *v)
{
	struct am_results_forged *forged;
	struct am_inbound_env env;
	struct am_tls_status tls;
	struct am_results r;
	struct am_str *from = NULL;
	struct timespec t_eom;

	(void)clock_gettime(CLOCK_MONOTONIC, &t_eom);
	am_session_eoh(s, get, arg);
	am_tls_status_get(s->tls, s->rt->cfg->implicit_tls_ports, &tls);
	results_of(s, AM_RESULTS_EOM, &r);
	r.tls = &tls;
	r.forged = forged = forged_list(s, &r.nforged);
	if (s->in != NULL) {
		inbound_env(s, &env, &from);
		am_inbound_eom(s->in, &env);
		am_inbound_results(s->in, &r);
	}
	if (s->out != NULL) {
		am_outbound_eom(s->out);
		am_outbound_results(s->out, &r);
	}
	am_verdict_decide(s->rt->policy, &r, v);
	if (s->in != NULL) {
		am_inbound_report(s->in, &env, am_msg_rcpt(s->msg, 0),
		    s->ctx->reports, v->dmarc);
		am_inbound_failure_report(s->in, &env, s->ctx->failures, v);
	}
	am_stats_count(&s->ctx->stats, &r, v);
	am_stats_add_time(&s->ctx->stats, &t_eom);
	summarise(s, &r, v, NULL);
	free(from);
	free(forged);
	/* The message state stays readable (queue id for the log line) until
	 * the next MAIL FROM, abort or close resets it. */
	s->in_tx = false;
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
	v.mode = s->mode;
	summarise(s, NULL, &v, why);
	(void)am_buf_append(line, v.summary.data, v.summary.len);
	am_verdict_release(&v);
	return true;
}
