/*
 * NAME        am.h - types every authmilter module shares
 * DESCRIPTION The three kinds of failure (STYLE.md §8): AM_PANIC for a broken
 *             invariant (aborts), am_fatal() in start-up code only (exits),
 *             and recoverable results: a function returns enum am_status and
 *             fills a caller's struct am_why with the reason. lib/ code never
 *             logs what it returns; the caller adds context and logs once.
 *             struct am_str is a borrowed view (pointer + length), never freed.
 * THREADS     everything here is reentrant.
 */
#ifndef AM_H
#define AM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum am_status {
	AM_OK = 0,		/* done */
	AM_TEMPFAIL = 1,	/* transient: DNS timeout, store busy */
	AM_PERMFAIL = 2,	/* permanent: bad input, bad record */
};

/* am_why - reason text for a non-OK result; always NUL-terminated. */
struct am_why {
	char text[256];
};

/* am_str - borrowed view into someone else's bytes; not NUL-terminated. */
struct am_str {
	const char *p;
	size_t len;
};

#define AM_FMT(a, b) __attribute__((format(printf, a, b)))
#define AM_WUR __attribute__((warn_unused_result))

/* am_why_set - format a reason into why. A reason longer than why can hold
 * is cut and the cut marked: its last bytes become "..." (never a silent
 * cut). */
void am_why_set(struct am_why *why, const char *fmt, ...) AM_FMT(2, 3);

/* am_snprintf - snprintf into a fixed array of size bytes (> 0) that says
 * whether the text fit: AM_OK when all of it did; AM_PERMFAIL when it did
 * not (buf then holds a NUL-terminated prefix the caller must not use as
 * the whole text) or the format failed. */
enum am_status am_snprintf(char *buf, size_t size, const char *fmt, ...)
    AM_FMT(3, 4) AM_WUR;
enum am_status am_vsnprintf(char *buf, size_t size, const char *fmt,
    va_list ap) AM_WUR;

/* am_snprintf_cut - for a reason or a note meant for people: like
 * am_snprintf, but a text that does not fit is cut and its last bytes made
 * "..." so the cut shows (returns AM_PERMFAIL then, which the caller may
 * ignore: the cut is marked, not silent). size must be at least 4. */
enum am_status am_snprintf_cut(char *buf, size_t size, const char *fmt, ...)
    AM_FMT(3, 4);
enum am_status am_vsnprintf_cut(char *buf, size_t size, const char *fmt,
    va_list ap);

/* AM_SNPRINTF_FIT - am_snprintf for a text the caller has bounded to fit
 * (a copy between fields of one size, "%.100s" precisions that add up to
 * less than the array): a cut would be a broken invariant, never input, so
 * it panics, naming the caller's file and line. Evaluates size twice. */
#define AM_SNPRINTF_FIT(buf, size, ...) do {				\
	if (am_snprintf((buf), (size), __VA_ARGS__) != AM_OK)		\
		AM_PANIC("text cut at %zu bytes", (size_t)(size));	\
} while (0)

/* am_status_name - "ok", "tempfail", "permfail". */
const char *am_status_name(enum am_status st);

/* am_panic - report an interface violation and abort() (in log.c). */
_Noreturn void am_panic(const char *file, int line, const char *fmt, ...)
    AM_FMT(3, 4);
#define AM_PANIC(...) am_panic(__FILE__, __LINE__, __VA_ARGS__)

/* am_fatal - start-up only: log the message and exit(1) (in log.c). */
_Noreturn void am_fatal(const char *fmt, ...) AM_FMT(1, 2);

#endif
