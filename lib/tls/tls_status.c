/*
 * tls_status.c - TLS status of the SMTP connection from MTA macros.
 * RFC 3207 (STARTTLS after EHLO), RFC 8314 (implicit TLS for submission),
 * RFC 8601 §2.7 (the x-tls method is an extension, as authentication_milter
 * writes it). Sendmail's {cert_subject} is xtext (RFC 3461 §4) encoded.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg/msg.h"
#include "core/xalloc.h"
#include "tls/tls_status.h"

#define FOLD_AT 78

struct tls_snapshot {
	char version[AM_TLS_VALUE_MAX + 1];	/* {tls_version} */
	char cipher[AM_TLS_VALUE_MAX + 1];	/* {cipher} */
	char bits[AM_TLS_VALUE_MAX + 1];	/* {cipher_bits} */
	char subject[AM_TLS_VALUE_MAX + 1];	/* {cert_subject} */
	char issuer[AM_TLS_VALUE_MAX + 1];	/* {cert_issuer} */
	char verify[AM_TLS_VALUE_MAX + 1];	/* {verify} (Sendmail) */
	char sni[AM_TLS_VALUE_MAX + 1];		/* {tls_sni} */
};

struct am_tls_track {
	unsigned plain_helos;		/* HELOs seen before TLS came up */
	bool tls_seen;			/* TLS macros seen at some stage */
	enum am_tls_mode observed;	/* mode decided when TLS first seen */
	struct tls_snapshot snap;	/* latest TLS macro values */
	char port[AM_TLS_VALUE_MAX + 1];	/* {daemon_port} */
	char daemon[AM_TLS_VALUE_MAX + 1];	/* {daemon_name} */
};

struct am_tls_track *
am_tls_track_new(void)
{
	return am_xcalloc(1, sizeof(struct am_tls_track));
}

struct am_tls_track *
am_tls_track_free(struct am_tls_track *t)
{
	free(t);
	return NULL;
}

/* sanitise - copy at most AM_TLS_VALUE_MAX bytes; non-printables -> '?'. */
static void
sanitise(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i < AM_TLS_VALUE_MAX; i++)
		dst[i] = (src[i] < 32 || src[i] > 126) ? '?' : src[i];
	dst[i] = '\0';
}

/* copy_macro - sanitised macro value into dst ("" when absent). */
static void
copy_macro(char *dst, am_tls_macro_fn get, void *arg, const char *name)
{
	sanitise(dst, get != NULL ? get(arg, name) : NULL);
}

void
am_tls_observe_connect(struct am_tls_track *t, am_tls_macro_fn get,
    void *arg)
{
	copy_macro(t->port, get, arg, "{daemon_port}");
	copy_macro(t->daemon, get, arg, "{daemon_name}");
}

/* am_tls_observe - at each HELO and at MAIL. */
void
am_tls_observe(struct am_tls_track *t, bool is_helo, am_tls_macro_fn get,
    void *arg)
{
	struct tls_snapshot s;

	memset(&s, 0, sizeof(s));
	copy_macro(s.version, get, arg, "{tls_version}");
	copy_macro(s.cipher, get, arg, "{cipher}");
	if (s.version[0] == '\0' && s.cipher[0] == '\0') {
		if (is_helo && !t->tls_seen)
			t->plain_helos++;
		return;
	}
	copy_macro(s.bits, get, arg, "{cipher_bits}");
	copy_macro(s.subject, get, arg, "{cert_subject}");
	copy_macro(s.issuer, get, arg, "{cert_issuer}");
	copy_macro(s.verify, get, arg, "{verify}");
	copy_macro(s.sni, get, arg, "{tls_sni}");
	if (!t->tls_seen) {
		t->tls_seen = true;
		t->observed = t->plain_helos == 0 ? AM_TLS_IMPLICIT :
		    AM_TLS_STARTTLS;
	}
	t->snap = s;
}

/* xtext_decode - RFC 3461 §4 "+XX" hex escapes, in place. */
static void
xtext_decode(char *s)
{
	char *o = s;
	unsigned v;

	for (; *s; s++) {
		if (s[0] == '+' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2]) &&
		    sscanf(s + 1, "%2x", &v) == 1) {
			*o++ = (v < 32 || v > 126) ? '?' : (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* port_listed - is port in the comma/space separated list? */
static bool
port_listed(const char *list, int port)
{
	const char *p = list;
	char *end;
	long v;

	if (list == NULL || port <= 0)
		return false;
	while (*p) {
		v = strtol(p, &end, 10);
		if (end != p && v == port)
			return true;
		p = end != p ? end : p + 1;
	}
	return false;
}

/* cert_state - Sendmail {verify} when present, else Postfix semantics. */
static enum am_tls_cert
cert_state(const struct tls_snapshot *s)
{
	static const char *const none[] = { "NO", "NOT", "NONE", NULL };
	size_t i;

	if (s->verify[0] == '\0')
		return s->subject[0] ? AM_TLS_CERT_VERIFIED : AM_TLS_CERT_NONE;
	if (strcasecmp(s->verify, "OK") == 0)
		return AM_TLS_CERT_VERIFIED;
	for (i = 0; none[i] != NULL; i++)
		if (strcasecmp(s->verify, none[i]) == 0)
			return AM_TLS_CERT_NONE;
	return AM_TLS_CERT_UNVERIFIED;
}

void
am_tls_status_get(const struct am_tls_track *t, const char *implicit_ports,
    struct am_tls_status *out)
{
	const struct tls_snapshot *s = &t->snap;

	memset(out, 0, sizeof(*out));
	out->port = atoi(t->port);
	memcpy(out->daemon, t->daemon, sizeof(out->daemon));
	if (!t->tls_seen)
		return;
	out->mode = port_listed(implicit_ports, out->port) ?
	    AM_TLS_IMPLICIT : t->observed;
	memcpy(out->version, s->version, sizeof(out->version));
	memcpy(out->cipher, s->cipher, sizeof(out->cipher));
	out->bits = atoi(s->bits);
	if (out->bits < 0)
		out->bits = 0;
	memcpy(out->sni, s->sni, sizeof(out->sni));
	out->cert = cert_state(s);
	if (out->cert == AM_TLS_CERT_NONE)
		return;
	memcpy(out->subject, s->subject, sizeof(out->subject));
	memcpy(out->issuer, s->issuer, sizeof(out->issuer));
	if (s->verify[0] != '\0') {
		xtext_decode(out->subject);
		xtext_decode(out->issuer);
	}
}

/* is_token - written bare: printable, no space, quote, backslash or '='. */
static bool
is_token(const char *v)
{
	if (*v == '\0')
		return false;
	for (; *v; v++)
		if (*v <= ' ' || *v > 126 || *v == '"' || *v == '\\' ||
		    *v == '=' || *v == ';' || *v == '(' || *v == ')')
			return false;
	return true;
}

/* put_item - " key=value" (or " word"), folded before 78 columns. */
static enum am_status
put_item(struct am_buf *out, size_t *col, const char *key, const char *value)
{
	struct am_buf item;
	enum am_status st = AM_OK;
	const char *p;

	am_buf_init(&item, 4 * AM_TLS_VALUE_MAX);
	if (key != NULL && (st = am_buf_printf(&item, "%s=", key)) != AM_OK)
		goto done;
	if (key == NULL || is_token(value)) {
		st = am_buf_puts(&item, value);
	} else {
		st = am_buf_putc(&item, '"');
		for (p = value; st == AM_OK && *p; p++) {
			if (*p == '"' || *p == '\\')
				st = am_buf_putc(&item, '\\');
			if (st == AM_OK)
				st = am_buf_putc(&item, *p);
		}
		if (st == AM_OK)
			st = am_buf_putc(&item, '"');
	}
	if (st != AM_OK)
		goto done;
	if (out->len > 0) {
		if (*col + 1 + item.len > FOLD_AT) {
			st = am_buf_puts(out, "\n\t");
			*col = 8;
		} else {
			st = am_buf_putc(out, ' ');
			(*col)++;
		}
	}
	if (st == AM_OK)
		st = am_buf_append(out, item.data, item.len);
	*col += item.len;
done:
	am_buf_release(&item);
	return st;
}

/* am_tls_format_header - the trace header value (no name). */
enum am_status
am_tls_format_header(const struct am_tls_status *st, const char *receiver,
    bool policy_failed, struct am_buf *out)
{
	size_t col = strlen("Received-TLS: ");
	char num[24];
	enum am_status rc;

	rc = put_item(out, &col, NULL, am_tls_mode_name(st->mode));
	if (st->mode != AM_TLS_NONE) {
		if (rc == AM_OK && st->version[0])
			rc = put_item(out, &col, "version", st->version);
		if (rc == AM_OK && st->cipher[0])
			rc = put_item(out, &col, "cipher", st->cipher);
		AM_SNPRINTF_FIT(num, sizeof(num), "%d", st->bits);
		if (rc == AM_OK && st->bits > 0)
			rc = put_item(out, &col, "bits", num);
		if (rc == AM_OK)
			rc = put_item(out, &col, "client-cert",
			    am_tls_cert_name(st->cert));
		if (rc == AM_OK && st->subject[0])
			rc = put_item(out, &col, "subject", st->subject);
		if (rc == AM_OK && st->issuer[0])
			rc = put_item(out, &col, "issuer", st->issuer);
		if (rc == AM_OK && st->sni[0])
			rc = put_item(out, &col, "sni", st->sni);
	}
	AM_SNPRINTF_FIT(num, sizeof(num), "%d", st->port);
	if (rc == AM_OK && st->port > 0)
		rc = put_item(out, &col, "port", num);
	if (rc == AM_OK && st->daemon[0])
		rc = put_item(out, &col, "daemon", st->daemon);
	if (rc == AM_OK)
		rc = put_item(out, &col, "receiver", receiver);
	if (rc == AM_OK && policy_failed)
		rc = put_item(out, &col, "policy", "fail");
	return rc;
}

void
am_tls_add_authres(const struct am_tls_status *st, struct am_authres *ar)
{
	char bits[24];

	if (st->mode == AM_TLS_NONE) {
		am_authres_add_method(ar, "x-tls", "none", NULL, NULL);
		return;
	}
	am_authres_add_method(ar, "x-tls", "pass", NULL, NULL);
	if (st->version[0])
		am_authres_add_prop(ar, "smtp", "version", st->version);
	if (st->cipher[0])
		am_authres_add_prop(ar, "smtp", "cipher", st->cipher);
	if (st->bits > 0) {
		AM_SNPRINTF_FIT(bits, sizeof(bits), "%d", st->bits);
		am_authres_add_prop(ar, "smtp", "bits", bits);
	}
}

int
am_tls_version_rank(const char *v)
{
	static const struct {
		const char *name;
		int rank;
	} ranks[] = {
		{ "SSLv3", 3 }, { "TLSv1", 10 }, { "TLSv1.0", 10 },
		{ "TLSv1.1", 11 }, { "TLSv1.2", 12 }, { "TLSv1.3", 13 },
	};
	size_t i;

	for (i = 0; v != NULL && i < sizeof(ranks) / sizeof(ranks[0]); i++)
		if (strcasecmp(v, ranks[i].name) == 0)
			return ranks[i].rank;
	return 0;
}

const char *
am_tls_mode_name(enum am_tls_mode m)
{
	return m == AM_TLS_STARTTLS ? "starttls" : m == AM_TLS_IMPLICIT ?
	    "implicit" : "none";
}

const char *
am_tls_cert_name(enum am_tls_cert c)
{
	return c == AM_TLS_CERT_VERIFIED ? "verified" :
	    c == AM_TLS_CERT_UNVERIFIED ? "unverified" : "none";
}

/* am_tls_header_is_ours - our trace header: receiver= is our id. */
bool
am_tls_header_is_ours(const char *value, size_t len, const char *our_id)
{
	return am_header_receiver_is(value, len, our_id);
}
