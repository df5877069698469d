/*
 * config.c - the configuration parser and snapshot of config.h.
 *
 * The key table is generated from config_keys.def (STYLE.md section 10);
 * each value type has one entry in a table of parse/print/release functions,
 * and built-in defaults go through the same parse functions as file values,
 * so a bad default fails a unit test instead of hiding until run time.
 * Errors are collected, never fatal, in the OpenSMTPD parse.y manner: every
 * problem is one "FILE:LINE: message" line and the load fails at the end.
 * Lines are read byte by byte into a fixed buffer, so a hostile file (huge
 * lines, NUL bytes) costs an error line, never memory or a crash.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "core/buf.h"
#include "core/netaddr.h"
#include "config/config.h"
#include "config/config_impl.h"

#define LINE_MAX_BYTES	8192	/* longest configuration line */
#define INCLUDE_DEPTH	16	/* files open at once, the top one included */
#define DOC_COLUMNS	76	/* wrap width of the generated documentation */



static const struct key keys[] = {
#define AM_KEY(name, type, def, min, max, field, doc) \
	{ #name, CT_##type, def, min, max, offsetof(struct am_config, field), doc },
#include "config/config_keys.def"
#undef AM_KEY
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))



/* One file being read; the stack detects include loops. */
struct open_file {
	dev_t dev;		/* st_dev of the open file */
	ino_t ino;		/* st_ino of the open file */
};

/* State of one load. */
struct parse {
	struct am_config *cfg;	/* the snapshot being filled */
	struct am_buf *errs;	/* borrowed, may be NULL: error lines */
	struct am_buf *warns;	/* borrowed, may be NULL: warning lines */
	unsigned long nerrs;	/* errors reported so far */
	char *set_file[NKEYS];	/* owned: file that set each key, or NULL */
	unsigned long set_line[NKEYS];	/* line that set each key */
	struct open_file stack[INCLUDE_DEPTH];	/* files being read */
	int depth;		/* entries used in stack */
};

/* report - append "FILE:LINE: message" (or "built-in default: message"),
 * whole or not at all. */
static void AM_FMT(5, 6)
report(struct parse *p, bool is_warn, const char *file, unsigned long line,
    const char *fmt, ...)
{
	struct am_buf *b = is_warn ? p->warns : p->errs;
	struct am_buf one;
	enum am_status st;
	va_list ap;

	if (!is_warn)
		p->nerrs++;
	if (b == NULL)
		return;
	am_buf_init(&one, 2 * LINE_MAX_BYTES);
	if (file == NULL)
		st = am_buf_puts(&one, "built-in default: ");
	else if (line == 0)
		st = am_buf_printf(&one, "%s: ", file);
	else
		st = am_buf_printf(&one, "%s:%lu: ", file, line);
	va_start(ap, fmt);
	if (st == AM_OK)
		st = am_buf_vprintf(&one, fmt, ap);
	va_end(ap);
	if (st == AM_OK)
		st = am_buf_putc(&one, '\n');
	/* XXX past the caller's cap lines are dropped; the count still fails. */
	if (st == AM_OK)
		st = am_buf_append(b, one.data, one.len);
	am_buf_release(&one);
}

/* ---------------------------------------------------------- file parsing */

/* key_slot - address of key i's field in cfg. */
static void *
key_slot(struct am_config *cfg, size_t i)
{
	return (char *)cfg + keys[i].off;
}

/* key_lookup - index of a key name (any case), or NKEYS. */
static size_t
key_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcasecmp(name, keys[i].name) == 0)
			break;
	return i;
}

/* set_value - parse val into key i; file NULL means the built-in default. */
static void
set_value(struct parse *p, size_t i, const char *val, const char *file,
    unsigned long line)
{
	struct am_why why;
	enum am_status st;

	why.text[0] = '\0';
	st = am_config_ops[keys[i].type].parse(&keys[i], val, key_slot(p->cfg, i), &why);
	if (st != AM_OK)
		report(p, st == AM_TEMPFAIL, file, line, "%s: %s", keys[i].name,
		    why.text);
	p->cfg->text[i] = am_xstrdup(val);
}

/* clean_line - drop a comment ('#' first or after white space) and the
 * surrounding white space; returns the start of what is left. */
static char *
clean_line(char *s)
{
	char *end;

	for (end = s; *end != '\0'; end++)
		if (*end == '#' && (end == s || isspace((unsigned char)end[-1])))
			break;
	*end = '\0';
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static void parse_file(struct parse *, const char *, const char *,
    unsigned long);

/* include_path - name relative to the directory of the including file. */
static char *
include_path(const char *from, const char *name)
{
	const char *slash = strrchr(from, '/');
	size_t dirlen;
	char *path;

	if (name[0] == '/' || slash == NULL)
		return am_xstrdup(name);
	dirlen = (size_t)(slash - from) + 1;
	if (strlen(name) > SIZE_MAX - dirlen - 1)
		AM_PANIC("include_path: size overflow");
	path = am_xmalloc(dirlen + strlen(name) + 1);
	memcpy(path, from, dirlen);
	memcpy(path + dirlen, name, strlen(name) + 1);
	return path;
}

/* do_include - handle "Include name" found at from:line. */
static void
do_include(struct parse *p, const char *from, unsigned long line,
    const char *name)
{
	char *path;

	if (*name == '\0') {
		report(p, false, from, line, "Include needs a file name");
		return;
	}
	if (p->depth >= INCLUDE_DEPTH) {
		report(p, false, from, line, "Include \"%s\": nested more "
		    "than %d files deep", name, INCLUDE_DEPTH);
		return;
	}
	path = include_path(from, name);
	parse_file(p, path, from, line);
	free(path);
}

/* parse_line - one cleaned, non-empty line: "Key value" or "Include F". */
static void
parse_line(struct parse *p, const char *file, unsigned long line, char *s)
{
	char *val = s + strcspn(s, " \t\f\v\r");
	size_t i;

	if (*val != '\0')
		*val++ = '\0';
	while (isspace((unsigned char)*val))
		val++;
	if (strcasecmp(s, "Include") == 0) {
		do_include(p, file, line, val);
		return;
	}
	if ((i = key_lookup(s)) == NKEYS) {
		report(p, false, file, line, "unknown key \"%.64s\"", s);
		return;
	}
	if (p->set_file[i] != NULL) {
		report(p, false, file, line, "duplicate key \"%s\" (first set "
		    "at %s:%lu)", keys[i].name, p->set_file[i], p->set_line[i]);
		return;
	}
	p->set_file[i] = am_xstrdup(file);
	p->set_line[i] = line;
	set_value(p, i, val, file, line);
}

/* parse_stream - every line of an open file. */
static void
parse_stream(struct parse *p, FILE *fp, const char *file)
{
	char *buf = am_xmalloc(LINE_MAX_BYTES + 1), *s;
	bool is_long, has_nul;
	unsigned long line = 0;

	while (am_read_line(fp, buf, LINE_MAX_BYTES + 1, &is_long, &has_nul) == 0) {
		line++;
		if (has_nul)
			report(p, false, file, line, "NUL byte in line");
		else if (is_long)
			report(p, false, file, line, "line longer than %d bytes",
			    LINE_MAX_BYTES);
		else if (*(s = clean_line(buf)) != '\0')
			parse_line(p, file, line, s);
	}
	if (ferror(fp))
		report(p, false, file, 0, "read error after line %lu", line);
	free(buf);
}

/* is_open - whether the file is already on the include stack. */
static bool
is_open(const struct parse *p, const struct stat *st)
{
	int i;

	for (i = 0; i < p->depth; i++)
		if (p->stack[i].dev == st->st_dev &&
		    p->stack[i].ino == st->st_ino)
			return true;
	return false;
}

/* parse_file - read path; from:line is the Include (from NULL at the top). */
static void
parse_file(struct parse *p, const char *path, const char *from,
    unsigned long line)
{
	struct stat st;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &st) != 0) {
		if (from != NULL)
			report(p, false, from, line, "Include \"%s\": %s", path,
			    strerror(errno));
		else
			report(p, false, path, 0, "%s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		if (from != NULL)
			report(p, false, from, line, "Include \"%s\": is a "
			    "directory", path);
		else
			report(p, false, path, 0, "is a directory");
	} else if (is_open(p, &st)) {
		report(p, false, from, line, "Include loop: \"%s\" is already "
		    "being read", path);
	} else {
		p->stack[p->depth].dev = st.st_dev;
		p->stack[p->depth].ino = st.st_ino;
		p->depth++;
		parse_stream(p, fp, path);
		p->depth--;
	}
	if (fp != NULL)
		(void)fclose(fp);
}

/* ---------------------------------------------------------- snapshots */

/* host_name - this host's name, fully qualified if it can be found. */
static char *
host_name(void)
{
	struct addrinfo hints, *res = NULL;
	char name[256];
	char *out;

	if (gethostname(name, sizeof(name)) != 0 || name[0] == '\0')
		return am_xstrdup("localhost");
	name[sizeof(name) - 1] = '\0';
	if (strchr(name, '.') != NULL)
		return am_xstrdup(name);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(name, NULL, &hints, &res) == 0 && res != NULL &&
	    res->ai_canonname != NULL && strchr(res->ai_canonname, '.') != NULL)
		out = am_xstrdup(res->ai_canonname);
	else
		out = am_xstrdup(name);
	if (res != NULL)
		freeaddrinfo(res);
	return out;
}

/* config_free - release every field of a snapshot. */
static void
config_free(struct am_config *cfg)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		am_config_ops[keys[i].type].release(key_slot(cfg, i));
		if (cfg->text != NULL)
			free(cfg->text[i]);
		if (cfg->origin != NULL)
			free(cfg->origin[i]);
	}
	free(cfg->text);
	free(cfg->origin);
	free(cfg->source);
	free(cfg);
}

/* origin_text - "FILE:LINE", owned. */
static char *
origin_text(const char *file, unsigned long line)
{
	struct am_buf b;
	char *out;

	am_buf_init(&b, 8192);
	if (am_buf_printf(&b, "%s:%lu", file, line) != AM_OK)
		(void)am_buf_puts(&b, "(configuration file)");
	out = am_buf_export(&b);
	am_buf_release(&b);
	return out;
}

/* am_config_origin - "FILE:LINE" that set key, or NULL (built-in). */
const char *
am_config_origin(const struct am_config *cfg, const char *key)
{
	size_t i;

	if (cfg == NULL || key == NULL || (i = key_lookup(key)) == NKEYS)
		AM_PANIC("am_config_origin: NULL or unknown key");
	return cfg->origin[i];
}

/* build - parse path (NULL: defaults only), then defaults for every key
 * not set, then derived values. Returns NULL if any error was reported. */
static struct am_config *
build(const char *path, struct am_buf *errs, struct am_buf *warns)
{
	struct parse p;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.errs = errs;
	p.warns = warns;
	p.cfg = am_xcalloc(1, sizeof(*p.cfg));
	p.cfg->text = am_xcalloc(NKEYS, sizeof(*p.cfg->text));
	p.cfg->origin = am_xcalloc(NKEYS, sizeof(*p.cfg->origin));
	p.cfg->source = am_xstrdup(path ? path : "(built-in defaults)");
	atomic_init(&p.cfg->refs, 1);
	if (path != NULL)
		parse_file(&p, path, NULL, 0);
	for (i = 0; i < NKEYS; i++) {
		if (p.set_file[i] == NULL)
			set_value(&p, i, keys[i].def, NULL, 0);
		else
			p.cfg->origin[i] = origin_text(p.set_file[i],
			    p.set_line[i]);
		free(p.set_file[i]);
	}
	if (p.nerrs > 0) {
		config_free(p.cfg);
		return NULL;
	}
	/* Readers always see a non-empty authserv-id (RFC 8601 section 2.5). */
	if (p.cfg->authserv_id[0] == '\0') {
		free(p.cfg->authserv_id);
		p.cfg->authserv_id = host_name();
	}
	return p.cfg;
}

/* am_config_load - parse a file into a new snapshot, or NULL with errors. */
struct am_config *
am_config_load(const char *path, struct am_buf *errs, struct am_buf *warns)
{
	if (path == NULL)
		AM_PANIC("am_config_load: NULL path");
	return build(path, errs, warns);
}

/* am_config_defaults - the built-in defaults; a bad default is a bug. */
struct am_config *
am_config_defaults(void)
{
	struct am_config *cfg;
	struct am_buf errs;

	am_buf_init(&errs, 4096);
	if ((cfg = build(NULL, &errs, NULL)) == NULL)
		AM_PANIC("bad built-in default: %s", am_buf_str(&errs));
	am_buf_release(&errs);
	return cfg;
}

/* am_config_ref - one more reference to a snapshot; NULL passes through. */
struct am_config *
am_config_ref(struct am_config *cfg)
{
	if (cfg != NULL && atomic_fetch_add(&cfg->refs, 1) <= 0)
		AM_PANIC("am_config_ref: snapshot already freed");
	return cfg;
}

/* am_config_unref - drop a reference, freeing at zero; returns NULL. */
struct am_config *
am_config_unref(struct am_config *cfg)
{
	int old;

	if (cfg == NULL)
		return NULL;
	if ((old = atomic_fetch_sub(&cfg->refs, 1)) <= 0)
		AM_PANIC("am_config_unref: snapshot already freed");
	if (old == 1)
		config_free(cfg);
	return NULL;
}

/* shown - a set string value as show() rewrites it, printed; or false. */
static bool
shown(const struct am_config *cfg, size_t i, am_config_show_fn *show,
    FILE *fp)
{
	const char *v;
	struct am_buf out;
	bool is_shown;

	if (show == NULL ||
	    (keys[i].type != CT_STRING && keys[i].type != CT_PATH))
		return false;
	v = *(char *const *)key_slot((struct am_config *)cfg, i);
	if (v == NULL || *v == '\0')
		return false;
	am_buf_init(&out, 8192);
	if ((is_shown = show(keys[i].name, v, &out)) && out.len > 0)
		(void)fprintf(fp, " %s", am_buf_str(&out));
	am_buf_release(&out);
	return is_shown;
}

/* am_config_print - every key's effective value as a "Key value" line. */
void
am_config_print(const struct am_config *cfg, am_config_show_fn *show,
    FILE *fp)
{
	size_t i;

	(void)fprintf(fp, "# effective configuration from %s\n", cfg->source);
	for (i = 0; i < NKEYS; i++) {
		(void)fputs(keys[i].name, fp);
		if (!shown(cfg, i, show, fp))
			am_config_ops[keys[i].type].print(fp,
			    key_slot((struct am_config *)cfg, i),
			    cfg->text[i]);
		(void)fputc('\n', fp);
	}
}

/* print_wrapped - text as "# " comment lines of at most DOC_COLUMNS. */
static void
print_wrapped(FILE *fp, const char *text)
{
	size_t col = 0, len;

	for (;;) {
		text += strspn(text, " ");
		if (*text == '\0')
			break;
		len = strcspn(text, " ");
		if (col > 0 && col + 1 + len > DOC_COLUMNS) {
			(void)fputc('\n', fp);
			col = 0;
		}
		col += (size_t)fprintf(fp, col == 0 ? "# %.*s" : " %.*s",
		    (int)len, text);
		text += len;
	}
	if (col > 0)
		(void)fputc('\n', fp);
}

static const char conf_header[] =
    "# authmilter.conf - configuration of the authmilter mail filter\n"
    "#\n"
    "# Format: one \"Key value\" setting per line. Keys are case-insensitive;\n"
    "# the value is the rest of the line with surrounding white space removed\n"
    "# (no quoting). '#' starts a comment at the start of a line or after\n"
    "# white space; blank lines are ignored. \"Include FILE\" reads another file\n"
    "# in place; a relative FILE is relative to the including file's directory.\n"
    "# A key may be set only once. Unknown keys, duplicates and bad values are\n"
    "# errors that name the file and line (check with authmilter -n).\n"
    "#\n"
    "# Every key is listed below, commented out at its built-in default as\n"
    "# \"#Key value\" (\"#Key\" alone: the default is empty). Remove the '#' and\n"
    "# edit the value to change it. This file is generated from the source by\n"
    "# \"authmilterctl config -d\".\n";

/* am_config_print_defaults - the documented sample configuration. */
void
am_config_print_defaults(FILE *fp)
{
	size_t i;

	(void)fputs(conf_header, fp);
	for (i = 0; i < NKEYS; i++) {
		(void)fputc('\n', fp);
		print_wrapped(fp, keys[i].doc);
		(void)fprintf(fp, "#%s%s%s\n", keys[i].name,
		    keys[i].def[0] != '\0' ? " " : "", keys[i].def);
	}
}

/* Type of each key as shown in the manual page's key list. */
static const char *const ctype_words[] = {
	[CT_STRING] = "string", [CT_PATH] = "file", [CT_BOOL] = "yes|no",
	[CT_INT] = "integer", [CT_SECONDS] = "seconds",
	[CT_NETSET] = "CIDR list", [CT_ACTION] = "action",
	[CT_PORTS] = "port list", [CT_HEADERNAME] = "header name|none",
	[CT_TLSVERSION] = "TLS version", [CT_TLSPOLICY] = "TLS rules",
	[CT_ORGDOMAIN] = "treewalk|psl", [CT_QUARANTINE] = "hold|header",
};

/* print_roff_word - one word of text for roff: backslash and '-' escaped,
 * \& in front of a control character that would start the line. */
static size_t
print_roff_word(FILE *fp, const char *w, size_t len, bool at_line_start)
{
	size_t i, out = 0;

	if (at_line_start && (w[0] == '.' || w[0] == '\''))
		out += (size_t)fprintf(fp, "\\&");
	for (i = 0; i < len; i++) {
		if (w[i] == '\\')
			out += (size_t)fprintf(fp, "\\e");
		else if (w[i] == '-')
			out += (size_t)fprintf(fp, "\\-");
		else
			out += (size_t)fprintf(fp, "%c", w[i]);
	}
	return out;
}

/* print_roff_text - text as roff filled text, lines of at most about
 * DOC_COLUMNS (one long word may exceed it). */
static void
print_roff_text(FILE *fp, const char *text)
{
	size_t col = 0, len;

	for (;;) {
		text += strspn(text, " ");
		if (*text == '\0')
			break;
		len = strcspn(text, " ");
		if (col > 0 && col + 1 + len > DOC_COLUMNS) {
			(void)fputc('\n', fp);
			col = 0;
		}
		if (col > 0)
			col += (size_t)fprintf(fp, " ");
		col += print_roff_word(fp, text, len, col == 0);
		text += len;
	}
	if (col > 0)
		(void)fputc('\n', fp);
}

/* print_roff_type - "type (bounds; default value)" of key k. */
static void
print_roff_type(FILE *fp, const struct key *k)
{
	long a;

	if (k->type == CT_ACTION) {
		(void)fputs("\\fI", fp);
		for (a = k->min; a <= k->max; a++)
			(void)fprintf(fp, "%s%s", a > k->min ? "|" : "",
			    am_action_name((enum am_action)a));
		(void)fputs("\\fR", fp);
	} else {
		(void)fprintf(fp, "\\fI%s\\fR", ctype_words[k->type]);
	}
	(void)fputs(" (", fp);
	if (k->type == CT_INT || k->type == CT_SECONDS)
		(void)fprintf(fp, "%ld to %ld; ", k->min, k->max);
	if (k->def[0] == '\0') {
		(void)fputs("default: empty)", fp);
		return;
	}
	(void)fputs("default: \\fB", fp);
	(void)print_roff_word(fp, k->def, strlen(k->def), false);
	(void)fputs("\\fR)", fp);
}

/* am_config_print_man - the key list of authmilter.conf(5), in roff. */
void
am_config_print_man(FILE *fp)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		(void)fprintf(fp, ".TP\n\\fB%s\\fR ", keys[i].name);
		print_roff_type(fp, &keys[i]);
		(void)fputc('\n', fp);
		print_roff_text(fp, keys[i].doc);
	}
}
