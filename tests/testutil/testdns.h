/*
 * NAME        am_testdns - a real unbound daemon on loopback, for tests
 * SYNOPSIS    const char *rrs[] = { "a.example. 300 IN A 192.0.2.1",
 *                 "local-zone: \"bad.example.\" refuse", NULL };
 *             struct am_testdns *t = am_testdns_start(rrs, &why);
 *             opts.nameservers = am_testdns_addr(t);  // "127.0.0.1@PORT"
 *             ...
 *             t = am_testdns_stop(t);
 * DESCRIPTION am_testdns_start() runs /usr/sbin/unbound (Debian package
 *             "unbound"; $AM_UNBOUND overrides the path) in the foreground on
 *             127.0.0.1, UDP and TCP, on a free port, with a generated
 *             configuration in a fresh temporary directory: no chroot, no
 *             user switch, no remote control, iterator only, access for
 *             127.0.0.0/8. The root zone is local and static, so every name
 *             the test did not define is NXDOMAIN and the daemon never sends
 *             a packet anywhere (its only forwarder is a dead loopback port).
 *             Each entry of the NULL-terminated rrs is an RR in unbound's
 *             local-data syntax ("name. TTL IN TYPE rdata"; TXT strings over
 *             255 characters as several quoted strings), or a whole
 *             "local-zone: ..." line copied into the configuration, or
 *             "auth-zone: NAME FILE": an authoritative zone served from the
 *             zone file FILE (absolute path), with its RRSIG, DNSKEY and
 *             NSEC records (local-data serves no signatures), for DNSSEC
 *             tests (NAME becomes a transparent local zone). It
 *             returns once the daemon answers a query, or NULL with a reason
 *             (the daemon's log is quoted when it failed to start).
 *             am_testdns_stop() sends SIGTERM (SIGKILL after 5 s), reaps the
 *             daemon, removes the directory, accepts NULL, returns NULL.
 *             The daemon also gets SIGTERM when the thread that started it
 *             dies (PR_SET_PDEATHSIG), so a crashing test leaves nothing
 *             behind: start it from a thread that outlives it (main thread).
 *             am_testdns_dead_port() returns a loopback UDP port nothing
 *             listens on (bound, then released), for timeout tests.
 * THREADS     one owner per daemon.
 */
#ifndef AM_TESTDNS_H
#define AM_TESTDNS_H

#include <sys/types.h>

#include "core/am.h"

struct am_testdns;

struct am_testdns *am_testdns_start(const char *const *rrs, struct am_why *why);
unsigned am_testdns_port(const struct am_testdns *t);
/* am_testdns_addr - "127.0.0.1@PORT", borrowed until am_testdns_stop(). */
const char *am_testdns_addr(const struct am_testdns *t);
/* am_testdns_dir - the temporary directory (config, log), borrowed. */
const char *am_testdns_dir(const struct am_testdns *t);
/* am_testdns_pid - the unbound process (started with -d, so this is the
 * daemon itself), for tests that stop and resume it. */
pid_t am_testdns_pid(const struct am_testdns *t);
struct am_testdns *am_testdns_stop(struct am_testdns *t);
unsigned am_testdns_dead_port(void);

#endif
