/*
 * lg_corpus.c - load a corpus directory for the load generator.
 *
 * Every regular file in the directory not ending in ".env" is one RFC 5322
 * message (LF or CRLF line ends). It is split once into headers as the MTA
 * sends them (value after the colon, continuation lines joined by LF) and a
 * body with CRLF line ends. A sidecar NAME.env holds "key=value" lines for
 * the envelope: client, helo, from, rcpt, auth, daemon; missing keys take the
 * command-line defaults. Files are taken in name order (round-robin replay).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lg.h"

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		perror("loadgen: realloc");
		exit(2);
	}
	return q;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = xrealloc(NULL, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* slurp - the whole file, NUL-terminated; NULL on error. */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL)
		return NULL;
	do {
		if (cap - len < 65536)
			buf = xrealloc(buf, cap = cap * 2 + 65536);
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* line_end - length of the line at p without its LF/CRLF; *next after it. */
static size_t
line_end(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n;

	if (nl == NULL) {
		*next = end;
		return (size_t)(end - p);
	}
	*next = nl + 1;
	n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

static void
add_header(struct lg_msg *m, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);

	if (colon == NULL)
		return;		/* not a header: an MTA would reject it */
	m->hdrs = xrealloc(m->hdrs, (m->nhdrs + 1) * sizeof(*m->hdrs));
	m->hdrs[m->nhdrs].name = xstrndup(line, (size_t)(colon - line));
	m->hdrs[m->nhdrs].value = xstrndup(colon + 1,
	    n - (size_t)(colon + 1 - line));
	m->nhdrs++;
}

/* append_fold - continuation line: value += "\n" + line. */
static void
append_fold(struct lg_msg *m, const char *line, size_t n)
{
	struct lg_hdr *h = &m->hdrs[m->nhdrs - 1];
	size_t old = strlen(h->value);

	h->value = xrealloc(h->value, old + n + 2);
	h->value[old] = '\n';
	memcpy(h->value + old + 1, line, n);
	h->value[old + 1 + n] = '\0';
}

/* set_body - the rest of the file with every line end made CRLF. */
static void
set_body(struct lg_msg *m, const char *p, const char *end)
{
	const char *next;
	size_t n, len = 0;

	m->body = xrealloc(NULL, (size_t)(end - p) * 2 + 1);
	while (p < end) {
		n = line_end(p, end, &next);
		memcpy(m->body + len, p, n);
		len += n;
		if (next > p + n) {
			m->body[len++] = '\r';
			m->body[len++] = '\n';
		}
		p = next;
	}
	m->body[len] = '\0';
	m->body_len = len;
}

static void
parse_message(struct lg_msg *m, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *next;
	size_t n;

	while (p < end) {
		n = line_end(p, end, &next);
		if (n == 0) {
			p = next;
			break;
		}
		if ((*p == ' ' || *p == '\t') && m->nhdrs > 0)
			append_fold(m, p, n);
		else
			add_header(m, p, n);
		p = next;
	}
	set_body(m, p, end);
}

static char *
env_value(const char *env, const char *key, const char *dflt)
{
	size_t klen = strlen(key), n;
	const char *p = env, *next, *end;

	if (env != NULL) {
		end = env + strlen(env);
		for (; p < end; p = next) {
			n = line_end(p, end, &next);
			if (n > klen && strncmp(p, key, klen) == 0 &&
			    p[klen] == '=')
				return xstrndup(p + klen + 1, n - klen - 1);
		}
	}
	return dflt != NULL ? xstrndup(dflt, strlen(dflt)) : NULL;
}

static int
load_one(struct lg_msg *m, const char *path, const struct lg_opts *o)
{
	char envpath[4096], *buf, *env;
	size_t len, elen;

	if ((buf = slurp(path, &len)) == NULL)
		return -1;
	memset(m, 0, sizeof(*m));
	m->path = xstrndup(path, strlen(path));
	parse_message(m, buf, len);
	free(buf);
	if ((size_t)snprintf(envpath, sizeof(envpath), "%s.env", path) >=
	    sizeof(envpath))
		return -1;
	env = slurp(envpath, &elen);
	m->client = env_value(env, "client", o->client);
	m->helo = env_value(env, "helo", o->helo);
	m->from = env_value(env, "from", o->from);
	m->rcpt = env_value(env, "rcpt", o->rcpt);
	m->auth = env_value(env, "auth", o->auth);
	m->daemon = env_value(env, "daemon", o->daemon);
	free(env);
	return 0;
}

static int
is_message(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	if (d->d_name[0] == '.')
		return 0;
	return !(n > 4 && strcmp(d->d_name + n - 4, ".env") == 0);
}

/* lg_corpus_load - every message file of dir, in name order. */
int
lg_corpus_load(struct lg_corpus *c, const char *dir, const struct lg_opts *o)
{
	struct dirent **names;
	struct stat st;
	char path[4096];
	int i, n;

	memset(c, 0, sizeof(*c));
	if ((n = scandir(dir, &names, is_message, alphasort)) < 0)
		return -1;
	c->msgs = xrealloc(NULL, (size_t)n * sizeof(*c->msgs));
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name) < sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    load_one(&c->msgs[c->n], path, o) == 0)
			c->n++;
		free(names[i]);
	}
	free(names);
	if (c->n == 0) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

void
lg_corpus_free(struct lg_corpus *c)
{
	size_t i, j;
	struct lg_msg *m;

	for (i = 0; i < c->n; i++) {
		m = &c->msgs[i];
		for (j = 0; j < m->nhdrs; j++) {
			free(m->hdrs[j].name);
			free(m->hdrs[j].value);
		}
		free(m->hdrs);
		free(m->body);
		free(m->path);
		free(m->client);
		free(m->helo);
		free(m->from);
		free(m->rcpt);
		free(m->auth);
		free(m->daemon);
	}
	free(c->msgs);
	memset(c, 0, sizeof(*c));
}
