/*
 * report_pg_conninfo - what a PostgreSQL ReportStore value is: whether a
 * value names a database at all (pg_accepts), and how it is shown in logs
 * and messages (pg_display).
 *
 * A value is PostgreSQL when it is a libpq URI ("postgresql://...",
 * "postgres://...") or a key=value string libpq parses with at least one
 * "=" (a file name never has to contain one: "/srv/a=b.db" is no
 * conninfo, libpq refuses its keyword).
 *
 * pg_display appends the value as it may appear in a log line: verbatim
 * when libpq finds no secret in it, else rebuilt from libpq's own parse
 * (PQconninfoParse) as key=value pairs with every option libpq marks as
 * secret (dispchar "*": password, and any a later libpq adds) shown as
 * "********". A value libpq cannot parse is not shown at all (it may hold
 * a password libpq could not find): "(a PostgreSQL connection string
 * libpq cannot parse)".
 */
#include "autoconf.h"

#include <stdbool.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/buf.h"
#include "report/report_pg_impl.h"

#define HIDDEN	"********"

/* is_uri - the value starts with a libpq URI scheme. */
static bool
is_uri(const char *path)
{
	return strncmp(path, "postgresql://", 13) == 0 ||
	    strncmp(path, "postgres://", 11) == 0;
}

/* am_report_pg_accepts - a libpq URI, or a key=value string libpq can
 * parse. */
bool
am_report_pg_accepts(const char *path)
{
	PQconninfoOption *o;
	char *err = NULL;

	if (is_uri(path))
		return true;
	if (strchr(path, '=') == NULL)
		return false;	/* a file name */
	if ((o = PQconninfoParse(path, &err)) == NULL) {
		PQfreemem(err);
		return false;
	}
	PQconninfoFree(o);
	return true;
}

/* has_secret - some option libpq calls secret has a value. */
static bool
has_secret(const PQconninfoOption *o)
{
	for (; o->keyword != NULL; o++)
		if (o->dispchar != NULL && o->dispchar[0] == '*' &&
		    o->val != NULL && o->val[0] != '\0')
			return true;
	return false;
}

/* put_value - v as a conninfo value: quoted with \ escapes when it is
 * empty or holds a space, a quote or a backslash. */
static void
put_value(struct am_buf *out, const char *v)
{
	if (v[0] != '\0' && strpbrk(v, " \t\n\r\f\v'\\") == NULL) {
		(void)am_buf_puts(out, v);
		return;
	}
	(void)am_buf_putc(out, '\'');
	for (; *v != '\0'; v++) {
		if (*v == '\'' || *v == '\\')
			(void)am_buf_putc(out, '\\');
		(void)am_buf_putc(out, *v);
	}
	(void)am_buf_putc(out, '\'');
}

/* am_report_pg_display - path for a log line, its secrets hidden. */
void
am_report_pg_display(const char *path, struct am_buf *out)
{
	PQconninfoOption *opts, *o;
	char *err = NULL;
	bool is_first = true;

	if ((opts = PQconninfoParse(path, &err)) == NULL) {
		PQfreemem(err);
		(void)am_buf_puts(out,
		    "(a PostgreSQL connection string libpq cannot parse)");
		return;
	}
	if (!has_secret(opts)) {
		(void)am_buf_puts(out, path);
		PQconninfoFree(opts);
		return;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		(void)am_buf_printf(out, "%s%s=", is_first ? "" : " ",
		    o->keyword);
		is_first = false;
		if (o->dispchar != NULL && o->dispchar[0] == '*')
			(void)am_buf_puts(out, HIDDEN);
		else
			put_value(out, o->val);
	}
	PQconninfoFree(opts);
}
