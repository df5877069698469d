/*
 * from_domain.c - domain names for from.c and its callers: the LDH host name
 * check (RFC 1034 §3.5, RFC 1123 §2.1: labels of 1 to 63 characters, 253
 * in all) and normalisation to lower-case A-labels with libidn2 (IDNA2008,
 * RFC 5890/5891, with UTS #46 non-transitional mapping, NFC input).
 */
#include "autoconf.h"

#include <stdbool.h>
#include <string.h>

#include <idn2.h>

#include "core/am.h"
#include "msg/from.h"
#include "msg/from_impl.h"

/* Longest domain accepted before IDN conversion (UTF-8 may be 4x longer). */
#define DOMAIN_IN_MAX	2048

/* domain_check - am_domain_is_valid() with a reason. */
static enum am_status
domain_check(const char *d, struct am_why *why)
{
	size_t len = strlen(d), i, label = 0;
	const char *err = NULL;
	unsigned char c;

	if (len == 0 || len > AM_DOMAIN_MAX_LEN) {
		am_why_set(why, len ? "domain longer than %d characters" :
		    "empty domain", AM_DOMAIN_MAX_LEN);
		return AM_PERMFAIL;
	}
	for (i = 0; i <= len && err == NULL; i++) {
		c = (unsigned char)d[i];
		if (c == '.' || c == '\0') {
			if (label == 0)
				err = "empty label in domain";
			else if (d[i - 1] == '-')
				err = "domain label ends with '-'";
			label = 0;
		} else if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-",
		    lower((char)c)) == NULL)
			err = "invalid character in domain";
		else if (c == '-' && label == 0)
			err = "domain label starts with '-'";
		else if (++label > AM_DOMAIN_LABEL_MAX_LEN)
			err = "domain label longer than 63 characters";
	}
	if (err == NULL)
		return AM_OK;
	am_why_set(why, "%s", err);
	return AM_PERMFAIL;
}

/* am_domain_is_valid - LDH host name in normalised form. */
bool
am_domain_is_valid(const char *domain)
{
	if (domain == NULL)
		AM_PANIC("am_domain_is_valid: NULL domain");
	return domain_check(domain, NULL) == AM_OK;
}

/* am_domain_normalise - lower-case, drop one trailing dot, IDN to A-labels. */
enum am_status
am_domain_normalise(const char *in, char *out, size_t outlen,
    struct am_why *why)
{
	char tmp[DOMAIN_IN_MAX + 1], *ace = NULL;
	const char *src = tmp;
	size_t len, i;
	bool is_8bit = false;
	enum am_status st;
	int rc;

	if (in == NULL || out == NULL)
		AM_PANIC("am_domain_normalise: NULL argument");
	len = strnlen(in, DOMAIN_IN_MAX + 2);
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_IN_MAX) {
		am_why_set(why, len ? "domain longer than %d bytes" :
		    "empty domain", DOMAIN_IN_MAX);
		return AM_PERMFAIL;
	}
	for (i = 0; i < len; i++) {
		tmp[i] = lower(in[i]);
		is_8bit |= (unsigned char)in[i] >= 0x80;
	}
	tmp[len] = '\0';
	if (is_8bit) {
		rc = idn2_to_ascii_8z(tmp, &ace,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) {
			am_why_set(why, "invalid IDN: %s", idn2_strerror(rc));
			return AM_PERMFAIL;
		}
		for (i = 0; ace[i] != '\0'; i++)
			ace[i] = lower(ace[i]);
		src = ace;
	}
	st = domain_check(src, why);
	if (st == AM_OK && strlen(src) >= outlen) {
		am_why_set(why, "domain does not fit in %zu bytes", outlen);
		st = AM_PERMFAIL;
	}
	if (st == AM_OK)
		memcpy(out, src, strlen(src) + 1);
	idn2_free(ace);
	return st;
}
