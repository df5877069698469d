/*
 * NAME        am_tls - transport security of the SMTP connection
 * DESCRIPTION The MTA tells a milter about TLS only through macros at HELO and
 *             MAIL (Postfix: not at EOH/EOM), so the connection keeps a
 *             tracker: am_tls_track_new() (owned; am_tls_track_free() accepts
 *             NULL, returns NULL). am_tls_observe_connect() records
 *             {daemon_port} and {daemon_name}; am_tls_observe() is called at
 *             every HELO and at MAIL and snapshots the TLS macros.
 *
 *             STARTTLS vs implicit TLS: STARTTLS needs a plaintext EHLO first
 *             (RFC 3207), after which the client says EHLO again over TLS; so
 *             TLS macros at the first HELO (or at MAIL with no HELO before)
 *             mean implicit TLS, and TLS after a plaintext HELO means STARTTLS.
 *             A receiving port listed in ImplicitTLSPorts is implicit
 *             whenever TLS is up.
 *
 *             Client certificate: Sendmail sends {verify} (OK = verified;
 *             FAIL, TEMP, PROTOCOL, SOFTWARE = presented but not verified;
 *             NO, NOT, NONE = none) and xtext-encoded full DNs in
 *             {cert_subject}/{cert_issuer}, decoded here. Postfix has no
 *             {verify} and sends the CNs only for a verified certificate.
 *             A certificate is never authentication (PITFALLS: rspamd #2087).
 *
 *             Every macro value is sanitised when copied: at most
 *             AM_TLS_VALUE_MAX bytes, control characters and non-ASCII bytes
 *             replaced by '?', so a hostile value cannot break a header.
 *
 *             am_tls_status_get() computes the record; am_tls_format_header()
 *             writes the trace header value (grammar in the README):
 *               none|starttls|implicit [version=V cipher=C bits=N
 *               client-cert=none|unverified|verified [subject="S"
 *               issuer="I"]] [sni=H] [port=P] [daemon="D"] receiver=R
 *               [policy=fail]
 *             am_tls_add_authres() appends "x-tls=pass smtp.version=...
 *             smtp.cipher=... smtp.bits=..." or "x-tls=none" (the form
 *             authentication_milter consumers read).
 *             am_tls_version_rank() orders protocol names ("TLSv1.2" = 12,
 *             "TLSv1.3" = 13, "TLSv1" = 10, "SSLv3" = 3; 0 = unknown).
 * THREADS     one tracker per connection, one thread at a time.
 */
#ifndef AM_TLS_STATUS_H
#define AM_TLS_STATUS_H

#include <stdbool.h>

#include "core/am.h"
#include "msg/authres.h"
#include "core/buf.h"

#define AM_TLS_VALUE_MAX 255

enum am_tls_mode {
	AM_TLS_NONE = 0,	/* plaintext */
	AM_TLS_STARTTLS,	/* upgraded with STARTTLS */
	AM_TLS_IMPLICIT,	/* TLS from the first byte (port 465) */
};

enum am_tls_cert {
	AM_TLS_CERT_NONE = 0,	/* no client certificate (or not known) */
	AM_TLS_CERT_UNVERIFIED,	/* presented, did not verify */
	AM_TLS_CERT_VERIFIED,	/* presented and verified */
};

struct am_tls_status {
	enum am_tls_mode mode;
	char version[AM_TLS_VALUE_MAX + 1];	/* "TLSv1.3", "" if none */
	char cipher[AM_TLS_VALUE_MAX + 1];	/* cipher suite name */
	int bits;				/* cipher bits; 0 unknown */
	enum am_tls_cert cert;
	char subject[AM_TLS_VALUE_MAX + 1];	/* CN or DN; "" unknown */
	char issuer[AM_TLS_VALUE_MAX + 1];	/* CN or DN; "" unknown */
	char sni[AM_TLS_VALUE_MAX + 1];		/* server name asked for */
	int port;				/* receiving port; 0 unknown */
	char daemon[AM_TLS_VALUE_MAX + 1];	/* {daemon_name} */
};

typedef const char *(*am_tls_macro_fn)(void *arg, const char *name);

struct am_tls_track;

struct am_tls_track *am_tls_track_new(void);
struct am_tls_track *am_tls_track_free(struct am_tls_track *t);
void am_tls_observe_connect(struct am_tls_track *t, am_tls_macro_fn get,
    void *arg);
void am_tls_observe(struct am_tls_track *t, bool is_helo, am_tls_macro_fn get,
    void *arg);
/* implicit_ports: comma/space separated port numbers, may be NULL. */
void am_tls_status_get(const struct am_tls_track *t,
    const char *implicit_ports, struct am_tls_status *out);
enum am_status am_tls_format_header(const struct am_tls_status *st,
    const char *receiver, bool policy_failed, struct am_buf *out);
void am_tls_add_authres(const struct am_tls_status *st, struct am_authres *ar);
int am_tls_version_rank(const char *version);
const char *am_tls_mode_name(enum am_tls_mode m);
const char *am_tls_cert_name(enum am_tls_cert c);
/* am_tls_header_is_ours - a trace header value whose receiver= is our id. */
bool am_tls_header_is_ours(const char *value, size_t len, const char *our_id);

#endif
