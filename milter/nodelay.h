/*
 * NAME        nodelay - the TCP options of the milter sockets: no Nagle
 *             delay on our replies, no delayed ACK on what the MTA sends
 *             without waiting for a reply
 * DESCRIPTION am_listen_nodelay() (call after smfi_opensocket()) sets
 *             TCP_NODELAY on every listening IPv4/IPv6 TCP socket of the
 *             process (accepted sockets inherit it on Linux); unix sockets
 *             are left alone. libmilter writes each reply with its own
 *             write(2) and does not expose the descriptor; without
 *             TCP_NODELAY the MTA's delayed ACK costs ~40 ms per message
 *             over inet sockets. Returns false, errno set, when a
 *             setsockopt() failed.
 *
 *             am_milter_steps() is the step mask a milter asks for in
 *             xxfi_negotiate given the MTA's offer f1: the header leading
 *             space, SMFIP_SKIP, no unknown commands, and no reply
 *             (SMFIP_NR_*) for connect, HELO, RCPT, DATA, each header, end
 *             of headers and each body chunk, each only when offered. A
 *             callback of a step whose NR flag was negotiated must return
 *             SMFIS_NOREPLY (libmilter logs and drops any other answer), so
 *             no verdict and no SMFIS_SKIP can be given there: only MAIL
 *             FROM and end of message keep a reply. libmilter (8.14 on)
 *             offers the milter every NR_* step whether the MTA has it or
 *             not, and answers SMFIR_CONTINUE itself for a step the MTA
 *             waits on (engine.c fake_pflags): so they are always taken,
 *             and f1 does not tell what the MTA offered.
 *
 *             Steps without a reply leave the MTA's packet unacknowledged:
 *             the milter has nothing to send, and the kernel delays the ACK
 *             (~40 ms). An MTA that does not set TCP_NODELAY (Postfix's
 *             milter client, Sendmail) then holds its next small write
 *             behind Nagle until that ACK. am_conn_sock() finds the TCP
 *             socket of a libmilter connection (-1 for unix sockets, or
 *             when it cannot be told: libmilter keeps it in its private
 *             SMFICTX, whose head -- thread id, then descriptor -- has been
 *             the same in sendmail 8.14 to 8.18; the descriptor is only used
 *             when it is a connected IPv4/IPv6 TCP socket). am_quickack()
 *             sends the pending ACK at once (TCP_QUICKACK; Linux resets it
 *             after use, so it is set after each read that needs it); fd -1
 *             is a no-op. Shared by the daemon and tests/bench/nullmilter.
 * THREADS     am_listen_nodelay(): start-up only. The others: any thread.
 */
#ifndef AM_NODELAY_H
#define AM_NODELAY_H

#include <stdbool.h>

bool am_listen_nodelay(void);
unsigned long am_milter_steps(unsigned long f1);
int am_conn_sock(const void *smfictx);
void am_quickack(int fd);

#endif
