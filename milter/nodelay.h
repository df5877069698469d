/*
 * NAME        am_listen_nodelay - TCP_NODELAY on libmilter's listening socket
 * DESCRIPTION Call after smfi_opensocket(). libmilter writes each reply with
 *             its own write(2) and does not expose the descriptor; without
 *             TCP_NODELAY the MTA's delayed ACK costs ~40 ms per message over
 *             inet sockets. Sets it on every listening IPv4/IPv6 TCP socket
 *             of the process (accepted sockets inherit it on Linux); unix
 *             sockets are left alone. Returns false, errno set, when a
 *             setsockopt() failed. Shared by the daemon and
 *             tests/bench/nullmilter.
 * THREADS     start-up only.
 */
#ifndef AM_NODELAY_H
#define AM_NODELAY_H

#include <stdbool.h>

bool am_listen_nodelay(void);

#endif
