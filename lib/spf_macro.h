/*
 * NAME        am_spf_macro - SPF macro expansion (RFC 7208 §7)
 * SYNOPSIS    struct am_spf_macro_env env = { .sender = "u@example.com",
 *                 .domain = "example.com", .helo = "mx.example.net",
 *                 .receiver = "mx.example.org", .client = &addr };
 *             am_spf_macro_domain(&env, spec, len, &out);
 *             am_spf_macro_expand(&env, text, len, true, &out);
 * DESCRIPTION am_spf_macro_expand() appends the expansion of the
 *             macro-string text[0..len) to out: "%%" -> "%", "%_" -> " ",
 *             "%-" -> "%20", "%{" letter *DIGIT ["r"] *delimiter "}" -> the
 *             letter's value split on the delimiters (default "."), reversed
 *             for "r", the rightmost DIGIT parts kept (0 is an error; more
 *             than there are keeps all), joined with "."; an upper-case
 *             letter URL-escapes the result (RFC 3986 unreserved characters
 *             kept). Letters s l o d i p h v; with is_exp also c r t (the
 *             explain-string of §6.2, where a space is literal too). Values:
 *             s sender, l its local-part, o its domain, d env->domain,
 *             i the client as a dotted quad or 32 lower-case nibbles
 *             (§7.3's own example), c its text form (RFC 5952), v "in-addr"
 *             or "ip6", h env->helo, r env->receiver, t the time in seconds,
 *             p env->ptr_name() (or "unknown" without one or when it fails).
 *             Returns AM_PERMFAIL on a syntax error (the caller maps it:
 *             permerror for a record, no explanation for exp=) or when out's
 *             cap is hit; out then holds a partial result.
 *
 *             am_spf_macro_domain() expands a domain-spec into out (reset
 *             first), drops one trailing dot and, when the result is longer
 *             than 253 characters, removes labels from the left until it
 *             fits (§7.3). AM_PERMFAIL as above, or when nothing is left.
 *
 *             Every value is read from env, which the caller owns; nothing
 *             is kept. This is our own parser: libspf2's (CVE-2023-42118)
 *             never sees a macro.
 * THREADS     reentrant; env->ptr_name runs on the calling thread.
 * DIAGNOSTICS NULL env fields other than ptr_name are interface violations
 *             (panic).
 */
#ifndef AM_SPF_MACRO_H
#define AM_SPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>

#include "am.h"
#include "buf.h"
#include "netaddr.h"

/* Writes the validated client name (%{p}) into out; AM_OK or not found. */
typedef enum am_status (*am_spf_macro_ptr_fn)(void *arg, const char *domain,
    struct am_buf *out);

struct am_spf_macro_env {
	const char *sender;		/* borrowed: local@domain */
	const char *domain;		/* borrowed: current domain, %{d} */
	const char *helo;		/* borrowed: HELO name, %{h} */
	const char *receiver;		/* borrowed: our name, %{r} */
	const struct am_addr *client;	/* borrowed: %{i} %{c} %{v} */
	am_spf_macro_ptr_fn ptr_name;	/* %{p}, or NULL: "unknown" */
	void *arg;			/* borrowed: ptr_name's */
};

enum am_status am_spf_macro_expand(const struct am_spf_macro_env *env,
    const char *text, size_t len, bool is_exp, struct am_buf *out);
enum am_status am_spf_macro_domain(const struct am_spf_macro_env *env,
    const char *spec, size_t len, struct am_buf *out);

#endif
