/*
 * report_source.c - files, directories, Maildirs and mboxes for report
 * ingest (contract in report_source.h).
 *
 * Nothing is read past lim->max_bytes: a plain file's size is checked with
 * fstat before it is read, and mbox messages (and stdin) are read in
 * bounded lines into a capped buffer; a message over the bound is skipped
 * to the next "From " line and reported. Lines go through fgets into a
 * fixed buffer, so a 100 MB line costs no more memory than a short one.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "report/report_source.h"

#define LINE_BYTES	8192
#define LABEL_MAX	1200
#define NAMES_MAX	100000	/* files read from one directory */

struct mbox {
	const char *path;	/* label base */
	const struct am_ingest_limits *lim;
	am_source_fn *fn;
	void *arg;
	struct am_buf msg;	/* the message being read */
	unsigned n;		/* messages so far */
	bool is_over;		/* this message broke the bound */
	size_t over_bytes;	/* its size so far */
};

/* mbox_flush - hand the message read so far to fn. */
static void
mbox_flush(struct mbox *m)
{
	char label[LABEL_MAX], reason[160];

	if (m->msg.len == 0 && !m->is_over)
		return;
	snprintf(label, sizeof(label), "%s: message %u", m->path, ++m->n);
	if (m->is_over) {
		snprintf(reason, sizeof(reason), "more than %zu bytes (the "
		    "limit); skipped unread", m->lim->max_bytes);
		m->fn(m->arg, label, NULL, 0, reason);
	} else
		m->fn(m->arg, label, m->msg.data, m->msg.len, NULL);
	am_buf_reset(&m->msg);
	m->is_over = false;
	m->over_bytes = 0;
}

/* mbox_read - fp as an mbox, or as one item; is_auto: an mbox when the
 * first line is a "From " line. */
static void
mbox_read(FILE *fp, const char *path, bool is_mbox, bool is_auto,
    const struct am_ingest_limits *lim, am_source_fn *fn, void *arg)
{
	struct mbox m = { path, lim, fn, arg, { 0 }, 0, false, 0 };
	char line[LINE_BYTES], reason[160];
	bool is_bol = true, was_blank = true;
	size_t n;

	am_buf_init(&m.msg, lim->max_bytes);
	while (fgets(line, sizeof(line), fp) != NULL) {
		n = strlen(line);
		if (is_auto) {
			is_mbox = strncmp(line, "From ", 5) == 0;
			is_auto = false;
		}
		if (is_mbox && is_bol && was_blank &&
		    strncmp(line, "From ", 5) == 0) {
			mbox_flush(&m);
			is_bol = n > 0 && line[n - 1] == '\n';
			continue;	/* the separator is not the message's */
		}
		if (is_bol)
			was_blank = strcmp(line, "\n") == 0 ||
			    strcmp(line, "\r\n") == 0;
		is_bol = n > 0 && line[n - 1] == '\n';
		if (!m.is_over && am_buf_append(&m.msg, line, n) != AM_OK) {
			m.is_over = true;
			am_buf_reset(&m.msg);
		}
	}
	if (is_mbox)
		mbox_flush(&m);
	else if (m.is_over) {
		snprintf(reason, sizeof(reason), "more than %zu bytes (the "
		    "limit); refused", lim->max_bytes);
		fn(arg, path, NULL, 0, reason);
	} else
		fn(arg, path, m.msg.data != NULL ? m.msg.data : "", m.msg.len,
		    NULL);
	am_buf_release(&m.msg);
}

/* read_fd - up to len bytes of fd (owned, NUL-terminated); NULL on error. */
static char *
read_fd(int fd, size_t len, size_t *got)
{
	char *buf = am_xmalloc(len + 1);
	ssize_t k;

	*got = 0;
	while (*got < len && (k = read(fd, buf + *got, len - *got)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			free(buf);
			return NULL;
		}
		*got += (size_t)k;
	}
	buf[*got] = '\0';
	return buf;
}

/* read_file - one file: an mbox, or one item read whole when it is within
 * the bound (checked before reading). */
static enum am_status
read_file(const char *path, const struct am_ingest_limits *lim,
    am_source_fn *fn, void *arg, struct am_why *why)
{
	char head[5], reason[160], *buf;
	struct stat st;
	size_t got;
	FILE *fp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOCTTY)) < 0 || fstat(fd, &st) != 0) {
		am_why_set(why, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return AM_TEMPFAIL;
	}
	if (pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
	    memcmp(head, "From ", 5) == 0 && (fp = fdopen(fd, "r")) != NULL) {
		mbox_read(fp, path, true, false, lim, fn, arg);
		fclose(fp);
		return AM_OK;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > lim->max_bytes) {
		if (S_ISREG(st.st_mode))
			snprintf(reason, sizeof(reason), "%lld bytes is over "
			    "the limit of %zu; skipped unread",
			    (long long)st.st_size, lim->max_bytes);
		else
			snprintf(reason, sizeof(reason), "not a regular file");
		fn(arg, path, NULL, 0, reason);
		close(fd);
		return AM_OK;
	}
	buf = read_fd(fd, (size_t)st.st_size, &got);
	close(fd);
	if (buf == NULL) {
		am_why_set(why, "%s: %s", path, strerror(errno));
		return AM_TEMPFAIL;
	}
	fn(arg, path, buf, got, NULL);
	free(buf);
	return AM_OK;
}

/* cmp_name - strcmp for qsort of char *. */
static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_dir - the names in dir that do not start with '.', sorted (owned;
 * free each and the array); NULL with why. */
static char **
list_dir(const char *dir, size_t *n, struct am_why *why)
{
	struct dirent *de;
	char **names = NULL;
	size_t cap = 0;
	DIR *d;

	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		am_why_set(why, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	while ((de = readdir(d)) != NULL && *n < NAMES_MAX) {
		if (de->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			names = am_xreallocarray(names, cap, sizeof(*names));
		}
		names[(*n)++] = am_xstrdup(de->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(names, *n, sizeof(*names), cmp_name);
	if (names == NULL)
		names = am_xcalloc(1, sizeof(*names));
	return names;
}

/* read_names - the regular files names[0..n) of dir (freed here); in a
 * Maildir's new/ each is moved to cur/ once read. */
static void
read_names(const char *dir, char **names, size_t n, bool is_new,
    const struct am_ingest_limits *lim, am_source_fn *fn, void *arg)
{
	char path[LABEL_MAX], to[LABEL_MAX];
	struct am_why e;
	struct stat st;
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%s%s", dir,
		    dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/",
		    names[i]);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (read_file(path, lim, fn, arg, &e) != AM_OK)
			fn(arg, path, NULL, 0, e.text);
		else if (is_new) {
			snprintf(to, sizeof(to), "%.*s/cur/%s%s",
			    (int)(strlen(dir) - 4), dir, names[i],
			    strchr(names[i], ':') != NULL ? "" : ":2,S");
			(void)rename(path, to);	/* XXX: a failed move only
						 * means it is read again */
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* read_maildir - new/ (moving each file to cur/), then cur/ as it was
 * before: a moved file is not read twice. */
static enum am_status
read_maildir(const char *new_dir, const char *cur_dir,
    const struct am_ingest_limits *lim, am_source_fn *fn, void *arg,
    struct am_why *why)
{
	char **cur, **fresh;
	size_t n_cur, n_new;

	if ((cur = list_dir(cur_dir, &n_cur, why)) == NULL)
		return AM_TEMPFAIL;
	if ((fresh = list_dir(new_dir, &n_new, why)) == NULL) {
		read_names(cur_dir, cur, 0, false, lim, fn, arg);
		return AM_TEMPFAIL;
	}
	read_names(new_dir, fresh, n_new, true, lim, fn, arg);
	read_names(cur_dir, cur, n_cur, false, lim, fn, arg);
	return AM_OK;
}

/* is_dir - path is a directory. */
static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* am_report_source_read - every item under path. */
enum am_status
am_report_source_read(const char *path, const struct am_ingest_limits *lim,
    am_source_fn *fn, void *arg, struct am_why *why)
{
	char sub[2][LABEL_MAX], **names;
	size_t n;

	if (path == NULL || lim == NULL || fn == NULL || why == NULL)
		AM_PANIC("am_report_source_read: NULL argument");
	if (strcmp(path, "-") == 0) {
		mbox_read(stdin, "stdin", false, true, lim, fn, arg);
		return AM_OK;
	}
	if (!is_dir(path))
		return read_file(path, lim, fn, arg, why);
	snprintf(sub[0], sizeof(sub[0]), "%s/new", path);
	snprintf(sub[1], sizeof(sub[1]), "%s/cur", path);
	if (is_dir(sub[0]) && is_dir(sub[1]))
		return read_maildir(sub[0], sub[1], lim, fn, arg, why);
	if ((names = list_dir(path, &n, why)) == NULL)
		return AM_TEMPFAIL;
	read_names(path, names, n, false, lim, fn, arg);
	return AM_OK;
}
