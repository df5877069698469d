/*
 * fuzz_config.c - libFuzzer target for lib/config (see tests/fuzz/README).
 * The input is up to three configuration files separated by lines
 * "%%%": a.conf (loaded), b.conf and c.conf (reachable with "Include
 * b.conf"), written to a private temporary directory. am_config_load()
 * must either fail with every error line of the form "FILE: message" or
 * "FILE:LINE: message" (FILE an absolute path; for our three files the
 * LINE part is checked exactly), or succeed with
 * every key's origin NULL or "FILE:LINE". A snapshot that loads is printed
 * (am_config_print), the printout is loaded again and must load without
 * error and print the same text (the effective configuration is a fixed
 * point). Inputs that name /dev, /proc, /sys or /run are skipped: an
 * Include of /dev/zero or a FIFO would block (a trusted file, not hostile
 * input). Any violation aborts.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "config/config.h"

static char dir[] = "/tmp/fuzz_config.XXXXXX";
static char path[3][64];	/* a.conf, b.conf, c.conf in dir */

/* Every key name, for the origin check. */
static const char *const names[] = {
#define AM_KEY(name, type, def, min, max, field, doc) #name,
#include "config/config_keys.def"
#undef AM_KEY
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int i;

	if (mkdtemp(dir) == NULL)
		abort();
	for (i = 0; i < 3; i++)
		if ((size_t)snprintf(path[i], sizeof(path[i]), "%s/%c.conf",
		    dir, 'a' + i) >= sizeof(path[i]))
			abort();
	return 0;
}

/* write_file - len bytes of p into file. */
static void
write_file(const char *file, const void *p, size_t len)
{
	FILE *fp = fopen(file, "w");

	if (fp == NULL || fwrite(p, 1, len, fp) != len || fclose(fp) != 0)
		abort();
}

/* is_unsafe - the input names a place whose files may block a reader. */
static bool
is_unsafe(const uint8_t *data, size_t size)
{
	static const char *const bad[] = { "/dev", "/proc", "/sys", "/run" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (memmem(data, size, bad[i], strlen(bad[i])) != NULL)
			return true;
	return false;
}

/* names_file - s starts with one of our paths, then ':'. */
static size_t
names_file(const char *s)
{
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(path[i]);
		if (strncmp(s, path[i], n) == 0 && s[n] == ':')
			return n + 1;
	}
	return 0;
}

/* check_errs - every line is "FILE: ..." or "FILE:LINE: ..."; FILE is one
 * of ours (then checked exactly) or an included file (absolute path). */
static void
check_errs(const char *s)
{
	const char *eol;
	size_t n;

	if (*s == '\0')
		abort();
	while (*s != '\0') {
		if ((eol = strchr(s, '\n')) == NULL || *s != '/')
			abort();
		if ((n = names_file(s)) != 0) {
			s += n;
			while (*s >= '0' && *s <= '9')
				s++;
			if (*s == ':')
				s++;
			if (*s != ' ')
				abort();
		} else if (memmem(s, (size_t)(eol - s), ": ", 2) == NULL)
			abort();
		s = eol + 1;
	}
}

/* print - the effective configuration without its first (source) line. */
static char *
print(const struct am_config *cfg)
{
	char *text = NULL, *out;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL)
		abort();
	am_config_print(cfg, NULL, fp);
	if (fclose(fp) != 0 || (out = strchr(text, '\n')) == NULL)
		abort();
	out = am_xstrdup(out + 1);
	free(text);
	return out;
}

/* check_loaded - origins, then the print/load fixed point. */
static void
check_loaded(struct am_config *cfg)
{
	struct am_buf errs;
	struct am_config *again;
	const char *o;
	char *t1, *t2;
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((o = am_config_origin(cfg, names[i])) != NULL &&
		    ((n = names_file(o)) == 0 || o[n] < '1' || o[n] > '9'))
			abort();
	t1 = print(cfg);
	write_file(path[2], t1, strlen(t1));
	am_buf_init(&errs, 65536);
	if ((again = am_config_load(path[2], &errs, NULL)) == NULL) {
		fprintf(stderr, "printout does not load:\n%s\n---\n%s",
		    t1, am_buf_str(&errs));
		abort();
	}
	t2 = print(again);
	if (strcmp(t1, t2) != 0) {
		fprintf(stderr, "not a fixed point:\n%s\n---\n%s", t1, t2);
		abort();
	}
	free(t1);
	free(t2);
	am_buf_release(&errs);
	(void)am_config_unref(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n%%%\n";
	const uint8_t *p = data, *end = data + size, *q;
	struct am_buf errs;
	struct am_config *cfg;
	int i;

	if (is_unsafe(data, size))
		return 0;
	for (i = 0; i < 3; i++) {
		q = p == NULL ? NULL : memmem(p, (size_t)(end - p), sep,
		    sizeof(sep) - 1);
		if (i == 2 || q == NULL)
			q = end;
		write_file(path[i], p == NULL ? "" : (const char *)p,
		    p == NULL ? 0 : (size_t)(q - p));
		p = q == end ? NULL : q + sizeof(sep) - 1;
	}
	am_buf_init(&errs, 1 << 20);
	cfg = am_config_load(path[0], &errs, NULL);
	if (cfg == NULL)
		check_errs(am_buf_str(&errs));
	else {
		if (errs.len != 0)
			abort();
		check_loaded(cfg);
		(void)am_config_unref(cfg);
	}
	am_buf_release(&errs);
	return 0;
}
