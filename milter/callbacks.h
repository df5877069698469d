/*
 * NAME        callbacks - the libmilter adapter
 * DESCRIPTION am_callbacks_desc() returns the filter description for
 *             smfi_register(). am_callbacks_set_ctx() names the process
 *             context the callbacks use; it is set once before smfi_main()
 *             (libmilter callbacks carry no user pointer, so this one pointer
 *             is process state, like the log sink). Per-connection state lives
 *             only behind smfi_setpriv (libmilter's worker pool may run one
 *             connection's callbacks on different threads).
 *             am_callbacks_limits() sets libmilter's process-wide limits from
 *             the start-up configuration (MilterTimeout, the packet size);
 *             call it once before smfi_main().
 */
#ifndef AM_CALLBACKS_H
#define AM_CALLBACKS_H

#include <stdbool.h>
#include <libmilter/mfapi.h>

#include "config/config.h"
#include "pipeline/ctx.h"

/* Largest milter packet accepted (libmilter's MILTER_MDS_1M); a longer
 * one makes libmilter close the connection. */
#define AM_MILTER_MAX_PACKET ((1024 * 1024) - 1)

void am_callbacks_set_ctx(struct am_ctx *ctx);
void am_callbacks_limits(const struct am_config *cfg);
struct smfiDesc *am_callbacks_desc(void);

#endif
