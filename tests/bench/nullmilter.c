/*
 * nullmilter.c - the floor: a libmilter milter that does nothing but
 * answer, on the same terms as authmilter (milter/nodelay.c: the same
 * protocol steps negotiated, so no reply where the MTA offers SMFIP_NR_*,
 * and TCP_QUICKACK after each such packet; a reply at MAIL FROM; one header
 * added at end of message; TCP_NODELAY on an inet socket), so
 * tests/bench/run.sh can show what the milter protocol and libmilter alone
 * cost on this machine before any authentication work.
 * Not installed.
 *
 *   nullmilter SOCKET      (e.g. unix:/tmp/null.sock; runs in the foreground)
 */
#include "autoconf.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "nodelay.h"

/* Per SMTP connection: the negotiated no-reply steps and the socket
 * (smfi_setpriv, freed at close). libmilter calls xxfi_close also before an
 * SMFIC_QUIT_NC that keeps the milter connection, and negotiates only once
 * per milter connection: a connection state made after that takes the steps
 * of the last negotiation (nullmilter serves one kind of MTA at a time;
 * authmilter keeps each connection's own, milter/callbacks.c). */
struct nm_conn {
	unsigned long nr;	/* SMFIP_NR_* negotiated */
	int sd;			/* TCP socket for am_quickack(), or -1 */
};

static _Atomic unsigned long last_nr;	/* of the last negotiation */

/* conn_of - the connection state, made when there is none. */
static struct nm_conn *
conn_of(SMFICTX *ctx)
{
	struct nm_conn *c = smfi_getpriv(ctx);

	if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL) {
		c->nr = last_nr;
		c->sd = am_conn_sock(ctx);
		(void)smfi_setpriv(ctx, c);
	}
	return c;
}

static sfsistat
nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct nm_conn *c;

	(void)f2, (void)f3;
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = am_milter_steps(f1);
	*pf2 = *pf3 = 0;
	last_nr = *pf1 & (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_RCPT |
	    SMFIP_NR_DATA | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
	if ((c = conn_of(ctx)) == NULL)
		return SMFIS_TEMPFAIL;
	c->nr = last_nr;
	return SMFIS_CONTINUE;
}

/* reply - as authmilter's noreply(): none for a step the MTA does not wait
 * on, after acknowledging its packet (not for headers). */
static sfsistat
reply(SMFICTX *ctx, unsigned long nr_flag)
{
	struct nm_conn *c = conn_of(ctx);

	if (c == NULL || (c->nr & nr_flag) == 0)
		return SMFIS_CONTINUE;
	if (nr_flag != SMFIP_NR_HDR)
		am_quickack(c->sd);
	return SMFIS_NOREPLY;
}

static sfsistat
nm_continue(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_data(SMFICTX *ctx)
{
	return reply(ctx, SMFIP_NR_DATA);
}

static sfsistat
nm_eoh(SMFICTX *ctx)
{
	return reply(ctx, SMFIP_NR_EOH);
}

static sfsistat
nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)host, (void)sa;
	return reply(ctx, SMFIP_NR_CONN);
}

static sfsistat
nm_mail(SMFICTX *ctx, char **argv)
{
	(void)ctx, (void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_rcpt(SMFICTX *ctx, char **argv)
{
	(void)argv;
	return reply(ctx, SMFIP_NR_RCPT);
}

static sfsistat
nm_helo(SMFICTX *ctx, char *helo)
{
	(void)helo;
	return reply(ctx, SMFIP_NR_HELO);
}

static sfsistat
nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)name, (void)value;
	return reply(ctx, SMFIP_NR_HDR);
}

static sfsistat
nm_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	(void)p, (void)len;
	return reply(ctx, SMFIP_NR_BODY);
}

/* nm_close - the end of an SMTP connection: its state goes. */
static sfsistat
nm_close(SMFICTX *ctx)
{
	free(smfi_getpriv(ctx));
	(void)smfi_setpriv(ctx, NULL);
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
		.xxfi_helo = nm_helo, .xxfi_envfrom = nm_mail,
		.xxfi_envrcpt = nm_rcpt, .xxfi_header = nm_header,
		.xxfi_eoh = nm_eoh, .xxfi_body = nm_body,
		.xxfi_eom = nm_eom, .xxfi_abort = nm_continue,
		.xxfi_close = nm_close, .xxfi_negotiate = nm_negotiate,
		.xxfi_data = nm_data,
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
