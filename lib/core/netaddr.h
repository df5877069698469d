/*
 * NAME        am_netaddr - IP addresses and CIDR sets (InternalHosts, ...)
 * DESCRIPTION struct am_addr is a plain value: an IPv4 or IPv6 address.
 *             am_addr_parse() accepts dotted quads and RFC 4291 text, with or
 *             without [brackets]; IPv4-mapped IPv6 (::ffff:a.b.c.d) is
 *             unmapped to IPv4 so one rule matches both spellings.
 *             am_addr_from_sockaddr() does the same for a struct sockaddr.
 *             am_addr_format() writes the canonical text form.
 *
 *             struct am_netset is an owned set of CIDR blocks:
 *             am_netset_new()/am_netset_free() (accepts NULL, returns NULL).
 *             am_netset_add() takes "a.b.c.d", "a.b.c.d/n", "x::y", "x::y/n",
 *             "[x::y]/n"; host bits set below the prefix are an error (like
 *             Postfix's cidr tables), as is any other malformed entry; the
 *             reason goes to why. am_netset_add_list() splits a value on
 *             commas and white space; a token that starts with '/' names a
 *             file with one entry per line ('#' comments, blank lines), whose
 *             errors name file:line in why. It stops at the first error;
 *             entries before it stay in the set (callers discard the set).
 * THREADS     a set is immutable once built and may be shared read-only.
 */
#ifndef AM_NETADDR_H
#define AM_NETADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/am.h"

struct am_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t bytes[16];	/* network order; 4 used for AF_INET */
};

#define AM_ADDR_STRLEN 46	/* INET6_ADDRSTRLEN */

enum am_status am_addr_parse(const char *text, struct am_addr *out);
enum am_status am_addr_from_sockaddr(const struct sockaddr *sa,
    struct am_addr *out);
/* am_addr_format - canonical text into buf (>= AM_ADDR_STRLEN); returns buf */
const char *am_addr_format(const struct am_addr *a, char *buf, size_t len);
bool am_addr_is_loopback(const struct am_addr *a);

struct am_netset;
struct am_netset *am_netset_new(void);
struct am_netset *am_netset_free(struct am_netset *set);
enum am_status am_netset_add(struct am_netset *set, const char *cidr,
    struct am_why *why);
enum am_status am_netset_add_list(struct am_netset *set, const char *list,
    struct am_why *why);
bool am_netset_contains(const struct am_netset *set, const struct am_addr *a);
size_t am_netset_count(const struct am_netset *set);

#endif
