/*
 * NAME        callbacks - the libmilter adapter
 * DESCRIPTION am_callbacks_desc() returns the filter description for
 *             smfi_register(). am_callbacks_set_ctx() names the process
 *             context the callbacks use; it is set once before smfi_main()
 *             (libmilter callbacks carry no user pointer, so this one pointer
 *             is process state, like the log sink). Per-connection state lives
 *             only behind smfi_setpriv (libmilter's worker pool may run one
 *             connection's callbacks on different threads).
 */
#ifndef AM_CALLBACKS_H
#define AM_CALLBACKS_H

#include <stdbool.h>
#include <libmilter/mfapi.h>

#include "pipeline/ctx.h"

void am_callbacks_set_ctx(struct am_ctx *ctx);
struct smfiDesc *am_callbacks_desc(void);

#endif
