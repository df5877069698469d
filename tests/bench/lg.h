/*
 * NAME        lg - shared types of the milter load generator (tests/bench)
 * DESCRIPTION The load generator speaks the Sendmail milter wire protocol
 *             (version 6) to one milter, or to two in a row as Postfix does
 *             with two smtpd_milters. lg_corpus.c loads the messages once;
 *             lg_milter.c runs one milter session; loadgen.c drives threads
 *             and prints the statistics.
 * THREADS     the corpus and the options are immutable after start-up; each
 *             worker thread owns its sessions and its message state.
 */
#ifndef LG_H
#define LG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LG_MAX_MILTERS	2	/* milter A, then milter B (chain mode) */
#define LG_CHUNK	65535	/* body chunk size, as Postfix and Sendmail */
#define LG_NSTAGES	7	/* SMFIM_CONNECT .. SMFIM_EOH */

/* One header as the MTA would send it: value after the colon, folded lines
 * joined by a bare LF, leading white space kept (sent as is with LEADSPC). */
struct lg_hdr {
	char	*name;		/* owned */
	char	*value;		/* owned */
};

/* One corpus message and its envelope (from NAME.env or the options). */
struct lg_msg {
	char	*path;		/* owned; file name for diagnostics */
	struct lg_hdr *hdrs;	/* owned array */
	size_t	 nhdrs;		/* number of headers */
	char	*body;		/* owned; CRLF line ends */
	size_t	 body_len;	/* bytes in body */
	char	*client;	/* owned; client IPv4/IPv6 address */
	char	*helo;		/* owned; HELO name */
	char	*from;		/* owned; MAIL FROM address without <> */
	char	*rcpt;		/* owned; RCPT TO address without <> */
	char	*auth;		/* owned or NULL; {auth_authen} */
	char	*daemon;	/* owned or NULL; {daemon_name} */
};

struct lg_corpus {
	struct lg_msg *msgs;	/* owned array */
	size_t	 n;		/* number of messages */
};

/* Final outcome of one message (or of one milter for one message). */
enum lg_action {
	LG_ACCEPT, LG_CONTINUE, LG_REJECT, LG_TEMPFAIL, LG_DISCARD,
	LG_QUARANTINE, LG_ERROR, LG_NACTIONS
};

struct lg_opts {
	const char *sock[LG_MAX_MILTERS]; /* unix:PATH or inet:PORT@HOST */
	int	 nsock;		/* 1, or 2 for chain mode */
	int	 conc;		/* parallel connections */
	long	 count;		/* messages in total */
	int	 per_conn;	/* messages per milter connection */
	double	 max_secs;	/* stop after this many seconds */
	int	 timeout_s;	/* read/write timeout per reply */
	long	 dump_k;	/* dump modifications of message k, or -1 */
	int	 tls;		/* send TLS macros at HELO and MAIL */
	const char *client;	/* default client address */
	const char *helo;	/* default HELO name */
	const char *from;	/* default MAIL FROM */
	const char *rcpt;	/* default RCPT TO */
	const char *auth;	/* {auth_authen} for every message, or NULL */
	const char *daemon;	/* {daemon_name}, default "smtpd" */
	const char *myhost;	/* macro j */
	uint32_t proto_off;	/* SMFIP_* flags not offered (-x) */
	long	 offset;	/* message k is corpus file offset + k (-o) */
	int	 nodelay;	/* TCP_NODELAY on our side (-N) */
};

/* A connection to one milter and what it negotiated. */
struct lg_sess {
	int	 fd;		/* socket, -1 when closed */
	uint32_t actions;	/* SMFIF_* the milter asked for */
	uint32_t pflags;	/* SMFIP_* the milter asked for */
	char	*symlist[LG_NSTAGES]; /* owned; macros wanted per stage */
	int	 is_skip_body;	/* the milter replied SMFIR_SKIP */
	int	 is_done;	/* message-level verdict already given */
	enum lg_action result;	/* verdict for the current message */
	unsigned char *wbuf;	/* owned output buffer */
	size_t	 wlen;		/* bytes pending in wbuf */
	size_t	 wcap;		/* capacity of wbuf */
};

/* Per-message working state shared by the milters of one chain. */
struct lg_work {
	struct lg_hdr *hdrs;	/* owned array of borrowed/owned strings */
	unsigned char *owned;	/* owned flags: 1 when hdrs[i] strings owned */
	size_t	 nhdrs;		/* headers in hdrs */
	size_t	 cap;		/* capacity */
	FILE	*dump;		/* where to print modifications, or NULL */
	char	 queue_id[16];	/* macro i */
};

/* lg_corpus.c */
int	lg_corpus_load(struct lg_corpus *, const char *dir,
	    const struct lg_opts *);
void	lg_corpus_free(struct lg_corpus *);

/* lg_milter.c: 0 on success, -1 on a socket or protocol error (errno-ish
 * reason printed to stderr once per thread by the caller). */
int	lg_sess_open(struct lg_sess *, const char *spec, int timeout_s,
	    uint32_t proto_off, int nodelay);
void	lg_sess_close(struct lg_sess *);
int	lg_sess_connect(struct lg_sess *, const struct lg_opts *,
	    const struct lg_msg *);
int	lg_sess_envelope(struct lg_sess *, const struct lg_opts *,
	    const struct lg_msg *, struct lg_work *);
int	lg_sess_content(struct lg_sess *, const struct lg_opts *,
	    const struct lg_msg *, struct lg_work *, const char *tag);
int	lg_sess_abort(struct lg_sess *);

void	lg_work_reset(struct lg_work *, const struct lg_msg *);
void	lg_work_free(struct lg_work *);
void	lg_thread_end(void);

#endif
