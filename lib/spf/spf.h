/*
 * NAME        am_spf - SPF evaluation of MAIL FROM and HELO (RFC 7208)
 * SYNOPSIS    struct am_spf *spf = am_spf_new(dns, cfg, &why);
 *             struct am_spf_result mf, he;
 *             am_spf_check(spf, &client, helo, mail_from,
 *                 am_dns_deadline(timeout_ms), &mf, &he);
 *             am_spf_add_authres(&mf, ar); am_spf_add_authres(&he, ar);
 *             am_spf_received_spf(&mf, authserv_id, ip, helo, mail_from, &b);
 *             spf = am_spf_free(spf);
 * DESCRIPTION am_spf_new() builds one long-lived libspf2 SPF_server_t over
 *             our DNS layer (lib/spf/spf_dns.h) on dns (borrowed: it must outlive
 *             the am_spf), configured from cfg (SPFVoidLookupLimit; the
 *             receiver name is cfg->authserv_id). The answers are cached by
 *             dns (libunbound), so the cache survives across checks. Returns
 *             an owned object freed with am_spf_free() (accepts NULL, returns
 *             NULL), or NULL with a reason in why.
 *
 *             am_spf_check() evaluates both identities for one message, all
 *             DNS queries bounded by deadline_ms (absolute CLOCK_MONOTONIC,
 *             am_dns_deadline()); it always fills both results:
 *             - HELO (RFC 7208 §2.3): checked when helo is a domain name with
 *               at least two labels (not an address literal, not empty);
 *               otherwise helo_result->is_checked is false (result none).
 *             - MAIL FROM (§2.4): mail_from without <>; "" is the null
 *               sender, checked as postmaster@HELO (is_checked false, result
 *               none, when the HELO is not a domain name). A missing
 *               local-part becomes "postmaster" (§4.3). A domain that is not
 *               a multi-label name, or is malformed, is none (§4.3).
 *             - Loopback clients (127.0.0.0/8, ::1) are not evaluated at all
 *               (libspf2 would answer pass "localhost is always allowed"):
 *               both results are none with is_checked false and reason
 *               "loopback client". Callers skip internal clients anyway.
 *             - Limits (RFC 7208 §4.6.4): 10 DNS terms (libspf2), more than
 *               SPFVoidLookupLimit void lookups and more than 10 MX names
 *               (our layer) -> permerror; any DNS failure or the deadline ->
 *               temperror.
 *             - explanation: for fail, the domain's exp= text expanded by us
 *               (RFC 7208 §6.2, §7; ASCII printable only), else "".
 *
 *             am_spf_add_authres() appends "spf=RESULT (comment)
 *             smtp.mailfrom=IDENTITY" or "... smtp.helo=HELO" (RFC 8601
 *             §2.7.2) with reason= for temperror/permerror; nothing when the
 *             identity was not checked. am_spf_received_spf() writes a
 *             Received-SPF *value* (RFC 7208 §9.1: result, comment, then
 *             client-ip, envelope-from, helo, receiver, identity) into out
 *             (reset first); values that are not dot-atoms, or contain "=",
 *             are quoted-strings with \ and " escaped; AM_PERMFAIL when out's
 *             cap is hit. am_spf_result_name() gives the RFC 7208 §2.6 name.
 *             Early start: am_spf_job_start() starts the check of one
 *             identity (scope HELO: helo; MAIL FROM: mail_from under helo,
 *             as am_spf_check() does them) and returns an owned job at once.
 *             A pool of up to AM_SPF_THREADS threads, made on first use,
 *             runs it; its lookups may take timeout_ms (DNSTimeout) in all
 *             from when a thread starts it, the same limit a check at end
 *             of message has. A loopback client is judged at once (no DNS).
 *             am_spf_job_finish() gives the result (overwritten into r),
 *             waiting until it is there; a job no thread has started yet is
 *             run by the caller with deadline_ms (so a busy pool costs no
 *             more than checking at end of message). Once per job.
 *             am_spf_job_is() says whether j was started for this scope,
 *             client, helo and (MAIL FROM) mail_from. am_spf_job_free()
 *             accepts NULL and returns NULL; it may be called at any time
 *             (an aborted transaction): a job not yet started is dropped, a
 *             running one is left to its thread, which frees it when done.
 *             am_spf_free() waits for the running jobs; every job must have
 *             been freed before (else it panics).
 *             Why a thread and not early lookups: libspf2 evaluates
 *             synchronously through our DNS layer. Prefetching the names it
 *             will ask would start only the first one (the record); the
 *             includes, redirects and mechanisms it asks next would have to
 *             be found by parsing records and expanding macros ourselves, a
 *             second SPF evaluator next to libspf2. Running libspf2 itself
 *             early hides every round trip of the chain, and it remains the
 *             only code that reads SPF records.
 * THREADS     one am_spf shared read-only by all threads; am_spf_check()
 *             runs on the calling thread only; a job has one owner.
 *             am_spf_new/free while no check runs.
 * DIAGNOSTICS interface violations (NULL arguments, unknown address family)
 *             panic; everything DNS or records can cause is a result.
 */
#ifndef AM_SPF_H
#define AM_SPF_H

#include <stdbool.h>
#include <stdint.h>

#include "core/am.h"
#include "msg/authres.h"
#include "core/buf.h"
#include "config/config.h"
#include "dns/dns.h"
#include "core/netaddr.h"

enum am_spf_res {
	AM_SPF_NONE = 0,
	AM_SPF_NEUTRAL,
	AM_SPF_PASS,
	AM_SPF_FAIL,
	AM_SPF_SOFTFAIL,
	AM_SPF_TEMPERROR,
	AM_SPF_PERMERROR,
};

enum am_spf_scope {
	AM_SPF_SCOPE_MFROM = 0,	/* MAIL FROM identity */
	AM_SPF_SCOPE_HELO,	/* HELO identity */
};

#define AM_SPF_IDENTITY_MAX 520	/* bytes incl. NUL: local@domain */

struct am_spf_result {
	enum am_spf_res result;		/* one of the seven results */
	enum am_spf_scope scope;	/* which identity */
	bool is_checked;		/* false: not evaluated (see above) */
	char identity[AM_SPF_IDENTITY_MAX];	/* "user@dom", "postmaster@helo"
						 * or the HELO name */
	char domain[256];		/* domain checked (<= 253 chars) */
	char reason[192];		/* why, for errors/none; may be "" */
	char comment[1024];		/* "domain of X designates IP as ...":
					 * sized for the longest identity and
					 * reason, never cut */
	char explanation[512];		/* expanded exp= text for fail, or "" */
};

struct am_spf;

struct am_spf *am_spf_new(struct am_dns *dns, const struct am_config *cfg,
    struct am_why *why);
struct am_spf *am_spf_free(struct am_spf *spf);
void am_spf_check(struct am_spf *spf, const struct am_addr *client,
    const char *helo, const char *mail_from, uint64_t deadline_ms,
    struct am_spf_result *mfrom, struct am_spf_result *helo_result);
void am_spf_add_authres(const struct am_spf_result *r, struct am_authres *ar);
enum am_status am_spf_received_spf(const struct am_spf_result *r,
    const char *receiver, const char *client_ip, const char *helo,
    const char *envelope_from, struct am_buf *out) AM_WUR;
const char *am_spf_result_name(enum am_spf_res r);

struct am_spf_job;

struct am_spf_job *am_spf_job_start(struct am_spf *spf,
    enum am_spf_scope scope, const struct am_addr *client, const char *helo,
    const char *mail_from, unsigned timeout_ms);
bool am_spf_job_is(const struct am_spf_job *j, enum am_spf_scope scope,
    const struct am_addr *client, const char *helo, const char *mail_from);
void am_spf_job_finish(struct am_spf_job *j, uint64_t deadline_ms,
    struct am_spf_result *r);
struct am_spf_job *am_spf_job_free(struct am_spf_job *j);

#endif
