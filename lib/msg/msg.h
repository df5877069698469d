/*
 * NAME        am_msg - one message as the MTA delivers it, stage by stage
 * DESCRIPTION am_msg_new() returns an owned, empty message; am_msg_free()
 *             accepts NULL and returns NULL; am_msg_reset() empties it for the
 *             next transaction on the same connection (MAIL FROM, abort).
 *
 *             Envelope: am_msg_set_sender() takes the MAIL FROM address with
 *             or without <angle brackets> and stores it without them ("" is
 *             the null sender); am_msg_add_rcpt() likewise for each RCPT TO
 *             (at most AM_MSG_MAX_RCPTS kept; further ones set
 *             AM_ANOM_RCPTS). am_msg_set_queue_id() copies the MTA queue id.
 *
 *             Headers: am_msg_add_header() copies name and value exactly as
 *             libmilter hands them over (with SMFIP_HDR_LEADSPC the value keeps
 *             its leading white space; folded lines are separated by "\n").
 *             Every header is counted (am_msg_header_total()); only the first
 *             max_headers ones not longer than max_len bytes are kept, the
 *             others set AM_ANOM_HEADERS / AM_ANOM_HEADER_LEN. A name that is
 *             empty or has bytes outside RFC 5322 ftext (33..126 except ':')
 *             is kept but sets AM_ANOM_HEADER_NAME. All strings returned are
 *             borrowed from the message and valid until reset/free.
 *             am_msg_count() counts kept headers with a name (ASCII
 *             case-insensitive); am_msg_find() returns the n-th (0-based).
 *
 *             Body: am_msg_add_body() only counts bytes (the message is never
 *             buffered whole; modules that need the body hash it as it
 *             streams).
 * THREADS     one owner at a time (the connection's current callback).
 */
#ifndef AM_MSG_H
#define AM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"

#define AM_MSG_MAX_RCPTS 1000

enum am_msg_anomaly {
	AM_ANOM_HEADERS = 1 << 0,	/* more than max_headers headers */
	AM_ANOM_HEADER_LEN = 1 << 1,	/* a header longer than max_len */
	AM_ANOM_HEADER_NAME = 1 << 2,	/* an empty or non-ftext name */
	AM_ANOM_RCPTS = 1 << 3,		/* more than AM_MSG_MAX_RCPTS */
	AM_ANOM_NUL = 1 << 4,		/* a NUL byte in a header value */
};

struct am_header {
	char *name;		/* owned by the message */
	char *value;		/* owned by the message; as received */
	size_t value_len;	/* bytes in value (it may contain NULs) */
	bool is_deleted;	/* the milter deletes it (a forged copy of ours) */
};

struct am_msg;

struct am_msg *am_msg_new(void);
struct am_msg *am_msg_free(struct am_msg *m);
void am_msg_reset(struct am_msg *m);

void am_msg_set_sender(struct am_msg *m, const char *addr);
void am_msg_add_rcpt(struct am_msg *m, const char *addr);
void am_msg_set_queue_id(struct am_msg *m, const char *qid);
const char *am_msg_sender(const struct am_msg *m);	/* NULL before MAIL */
size_t am_msg_rcpt_count(const struct am_msg *m);
const char *am_msg_rcpt(const struct am_msg *m, size_t i);
const char *am_msg_queue_id(const struct am_msg *m);	/* NULL if unknown */

/* am_msg_add_header - returns true when the header was kept. */
bool am_msg_add_header(struct am_msg *m, const char *name, const char *value,
    size_t value_len, size_t max_headers, size_t max_len);
/* am_msg_mark_deleted - flag the last kept header as one the milter removes
 * (so signing skips it). */
void am_msg_mark_deleted(struct am_msg *m);
size_t am_msg_header_total(const struct am_msg *m);
size_t am_msg_header_kept(const struct am_msg *m);
const struct am_header *am_msg_header(const struct am_msg *m, size_t i);
size_t am_msg_count(const struct am_msg *m, const char *name);
const struct am_header *am_msg_find(const struct am_msg *m, const char *name,
    size_t n);

void am_msg_add_body(struct am_msg *m, size_t len);
uint64_t am_msg_body_bytes(const struct am_msg *m);

unsigned am_msg_anomalies(const struct am_msg *m);
void am_msg_set_anomaly(struct am_msg *m, unsigned flag);
/* am_msg_anomaly_names - "headers,header-length" style list into buf. */
const char *am_msg_anomaly_names(unsigned flags, char *buf, size_t len);

/* am_header_receiver_is - does a trace header (Received-SPF, Received-TLS)
 * name our_id in its receiver= item (am_authres_id_eq(): case and one final
 * dot ignored; the value may be quoted and ends at white space or ';')?
 * RFC 7208 §9.1. */
bool am_header_receiver_is(const char *value, size_t len, const char *our_id);

#endif
