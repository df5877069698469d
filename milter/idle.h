/*
 * NAME        am_idle - close the milter connections the MTA leaves idle
 *             (MilterTimeout)
 * DESCRIPTION Debian's libmilter (built with its worker pool) applies
 *             smfi_settimeout() only to a command it has started to read. A
 *             connection waiting for the MTA's next command is checked by its
 *             pool controller every 600 s (DT_CHECK_OLD_SESSIONS), so an idle
 *             connection, or one that never sent anything, was held up to
 *             MilterTimeout + 600 s, and libmilter exposes neither its
 *             descriptors nor a way to close one.
 *
 *             am_idle_start() starts one thread that watches the connections
 *             accepted on libmilter's listening socket: it finds the
 *             listening socket among the process's descriptors (as
 *             nodelay.c does; call it after smfi_opensocket()), and every
 *             second or so the descriptors whose local address is the
 *             listener's (TCP port, or unix socket path). A connection that
 *             has received nothing from the MTA for timeout_s seconds
 *             (counted from when the watcher first saw it, then from the
 *             last data that arrived; data still unread by libmilter counts
 *             as arriving) is shut down with shutdown(2) on a duplicate of
 *             its descriptor, after checking that the duplicate is the
 *             socket that was watched (same inode), so a descriptor number
 *             reused meanwhile is never touched; libmilter keeps and closes
 *             the descriptor, sees end of file and calls xxfi_abort (in a
 *             transaction) and xxfi_close as for any lost connection. Each
 *             closure is logged with the peer. Each scan also counts the
 *             process's open descriptors: at 90% of RLIMIT_NOFILE one
 *             warning says so (libmilter then cannot accept connections,
 *             which wait in the listen queue, and logs nothing), and one
 *             line says when the count is back under 75%.
 *             The time includes the milter's own work on a command, so
 *             MilterTimeout must exceed what one message can take (DNS
 *             deadlines), as well as the MTA's own waits.
 *             Returns false (nothing started, errno set or 0) when no
 *             listening socket was found or the thread could not start.
 * THREADS     one watcher per process, started once; it only reads
 *             descriptors and shuts down sockets it verified.
 */
#ifndef AM_IDLE_H
#define AM_IDLE_H

#include <stdbool.h>

bool am_idle_start(long timeout_s);

#endif
