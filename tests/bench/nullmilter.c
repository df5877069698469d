/*
 * nullmilter.c - the floor: a libmilter milter that does nothing but
 * answer (negotiating what authmilter negotiates, answering DATA, one
 * header added at end of message, TCP_NODELAY on an inet socket through
 * milter/nodelay.c as the daemon does), so tests/bench/run.sh can show what
 * the milter protocol and libmilter alone cost on this machine before any
 * authentication work.
 * Not installed.
 *
 *   nullmilter SOCKET      (e.g. unix:/tmp/null.sock; runs in the foreground)
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include <libmilter/mfapi.h>

#include "nodelay.h"

static sfsistat
nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx, (void)f2, (void)f3;
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NR_HDR | SMFIP_NOUNKNOWN |
	    SMFIP_SKIP);
	*pf2 = *pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_continue(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx, (void)host, (void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_args(SMFICTX *ctx, char **argv)
{
	(void)ctx, (void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx, (void)helo;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx, (void)name, (void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	(void)ctx, (void)p, (void)len;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_eom(SMFICTX *ctx)
{
	smfi_insheader(ctx, 0, "X-Null", "1");
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc d = {
		.xxfi_name = "nullmilter", .xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS, .xxfi_connect = nm_connect,
		.xxfi_helo = nm_helo, .xxfi_envfrom = nm_args,
		.xxfi_envrcpt = nm_args, .xxfi_header = nm_header,
		.xxfi_eoh = nm_continue, .xxfi_body = nm_body,
		.xxfi_eom = nm_eom, .xxfi_abort = nm_continue,
		.xxfi_close = nm_continue, .xxfi_negotiate = nm_negotiate,
		.xxfi_data = nm_continue,
	};

	if (argc != 2) {
		fprintf(stderr, "usage: nullmilter SOCKET\n");
		return 2;
	}
	if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(d) !=
	    MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	(void)am_listen_nodelay();
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
