/*
 * dns_probe.c - does DNSSEC validation work through the configured
 * resolvers? (contract in dns_probe.h). The probe is the query a validator
 * makes first anyway: the DNSKEY RRset at the trust anchor's name (RFC 4035
 * §5: the chain of trust starts at the anchor). A resolver that does not
 * pass DNSSEC records on (no RRSIG, no DNSKEY) makes it bogus at once; a
 * dead one only times out, which says nothing about DNSSEC.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/am.h"
#include "core/buf.h"
#include "dns/dns.h"
#include "dns/dns_probe.h"

#define T_DNSKEY 48		/* RFC 4034 §2 */
#define RESOLV_CONF "/etc/resolv.conf"

/* first_word - the first white-space separated word of s into out. */
static bool
first_word(const char *s, char *out, size_t len)
{
	size_t n;

	s += strspn(s, " \t");
	n = strcspn(s, " \t\r\n;");
	if (n == 0 || n >= len)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* am_dns_anchor_name - owner name of the first record of a trust anchor. */
bool
am_dns_anchor_name(const char *path, char *out, size_t len)
{
	char line[1024];
	bool found = false;
	FILE *fp;

	if (path == NULL || out == NULL || len == 0)
		AM_PANIC("am_dns_anchor_name: NULL argument");
	out[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		/* Comments, blank lines, $ORIGIN/$TTL and continuation
		 * lines (starting with white space) carry no owner. */
		if (line[0] == ';' || line[0] == '$' || isspace(
		    (unsigned char)line[0]))
			continue;
		found = first_word(line, out, len);
	}
	(void)fclose(fp);
	/* Only an absolute name can be probed; "@" or a relative name
	 * depends on an $ORIGIN we do not follow. */
	if (!found || out[strlen(out) - 1] != '.') {
		out[0] = '\0';
		return false;
	}
	return true;
}

/* am_dns_probe_anchor - DNSKEY of name: secure, bogus or no answer. */
enum am_dns_probe
am_dns_probe_anchor(struct am_dns *dns, const char *name, unsigned timeout_ms,
    struct am_why *why)
{
	struct am_dns_answer ans;
	enum am_dns_probe r;

	if (dns == NULL || name == NULL || why == NULL)
		AM_PANIC("am_dns_probe_anchor: NULL argument");
	am_dns_lookup(dns, name, T_DNSKEY, timeout_ms, &ans);
	if (ans.secure) {
		r = AM_DNS_PROBE_SECURE;
		am_why_set(why, "secure");
	} else if (ans.bogus) {
		r = AM_DNS_PROBE_BOGUS;
		am_why_set(why, "%s", ans.why);
	} else if (ans.result != AM_DNS_TEMPERROR) {
		/* An answer for the anchor's own name that is not secure:
		 * it came without the signatures that would prove it. */
		r = AM_DNS_PROBE_BOGUS;
		am_why_set(why, "%s %s answered %s without DNSSEC validation",
		    name, "DNSKEY", am_dns_result_name(ans.result));
	} else {
		r = AM_DNS_PROBE_NO_ANSWER;
		am_why_set(why, "%s DNSKEY: %s", name, ans.why);
	}
	am_dns_answer_release(&ans);
	return r;
}

/* resolv_conf_servers - the nameserver lines of path into out. */
static void
resolv_conf_servers(const char *path, struct am_buf *out)
{
	char line[512], addr[128];
	size_t n = 0;
	FILE *fp = fopen(path, "r");

	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "nameserver", 10) != 0 ||
		    !isspace((unsigned char)line[10]) ||
		    !first_word(line + 10, addr, sizeof(addr)))
			continue;
		(void)am_buf_printf(out, "%s%s", n++ ? ", " : "", addr);
	}
	if (fp != NULL)
		(void)fclose(fp);
	if (n == 0)		/* libunbound's ub_ctx_resolvconf() default */
		(void)am_buf_puts(out, "127.0.0.1");
}

/* am_dns_resolvers_text - which resolvers, for a message. */
void
am_dns_resolvers_text(const char *nameservers, const char *resolv_conf,
    struct am_buf *out)
{
	if (out == NULL)
		AM_PANIC("am_dns_resolvers_text: NULL out");
	am_buf_reset(out);
	if (nameservers != NULL && *nameservers != '\0') {
		(void)am_buf_puts(out, nameservers);
		return;
	}
	if (resolv_conf == NULL)
		resolv_conf = RESOLV_CONF;
	(void)am_buf_printf(out, "the nameservers of %s (", resolv_conf);
	resolv_conf_servers(resolv_conf, out);
	(void)am_buf_putc(out, ')');
}
