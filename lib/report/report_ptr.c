/*
 * report_ptr.c - reverse names of the dashboard's sources (contract in
 * report_ptr.h): queries through the one resolver (lib/dns), all started
 * before any is waited for, one deadline for all.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "report/report_ptr.h"

#define RR_PTR	12

/* am_report_ptr_qname - the reverse-lookup name of ip. */
bool
am_report_ptr_qname(const char *ip, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	size_t n = 0;
	int i;

	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(out, AM_REPORT_PTR_NAME, "%u.%u.%u.%u.in-addr.arpa",
		    a[3], a[2], a[1], a[0]);
		return true;
	}
	if (inet_pton(AF_INET6, ip, a) != 1)
		return false;
	for (i = 15; i >= 0; i--) {
		out[n++] = hex[a[i] & 15];
		out[n++] = '.';
		out[n++] = hex[a[i] >> 4];
		out[n++] = '.';
	}
	snprintf(out + n, AM_REPORT_PTR_NAME - n, "ip6.arpa");
	return true;
}

/* rdata_name - the uncompressed wire name in rdata as text into out. */
static void
rdata_name(const unsigned char *p, size_t len, char *out)
{
	size_t i = 0, n = 0, k;

	while (i < len && p[i] != 0 && p[i] < 64 && i + 1 + p[i] <= len) {
		for (k = 1; k <= p[i] && n + 2 < AM_REPORT_PTR_NAME; k++)
			out[n++] = isalnum(p[i + k]) || p[i + k] == '-' ||
			    p[i + k] == '_' ? (char)p[i + k] : '?';
		if (n + 2 >= AM_REPORT_PTR_NAME)
			break;
		out[n++] = '.';
		i += 1 + p[i];
	}
	if (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
}

/* am_report_ptr_lookup - the PTR names of n addresses, in parallel. */
void
am_report_ptr_lookup(struct am_dns *dns, const char *const *ips, size_t n,
    unsigned timeout_ms, char (*names)[AM_REPORT_PTR_NAME])
{
	struct am_dns_query **q = am_xcalloc(n + 1, sizeof(*q));
	uint64_t deadline = am_dns_deadline(timeout_ms);
	char qname[AM_REPORT_PTR_NAME];
	struct am_dns_answer ans;
	size_t i;

	for (i = 0; i < n; i++) {
		names[i][0] = '\0';
		if (am_report_ptr_qname(ips[i], qname))
			q[i] = am_dns_start(dns, qname, RR_PTR);
	}
	memset(&ans, 0, sizeof(ans));
	for (i = 0; i < n; i++) {
		if (q[i] == NULL)
			continue;
		am_dns_wait(q[i], deadline, &ans);
		if (ans.result == AM_DNS_OK && ans.count > 0)
			rdata_name(ans.data[0], ans.len[0], names[i]);
		am_dns_answer_release(&ans);
		q[i] = am_dns_query_free(q[i]);
	}
	free(q);
}
