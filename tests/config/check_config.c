/*
 * check_config.c - unit tests for lib/config/config.c.
 * Error cases are a table of file content and the exact errors wanted; '@'
 * in a want stands for the temporary directory the file is written to.
 * PITFALLS.md: ::1 is in the default InternalHosts, localhost is internal,
 * inline IPv6 CIDRs are accepted, config errors are clean errors.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "core/netaddr.h"
#include "config/config.h"
#include "testutil/testutil.h"

#define DATA AM_TOP_SRCDIR "/tests/data/config/"
#define ERRS_MAX (4 << 20)

static char tmpdir[] = "/tmp/check_config.XXXXXX";

/* expand - want with every '@' replaced by the temporary directory. */
static char *
expand(const char *want)
{
	struct am_buf b;

	am_buf_init(&b, 1 << 16);
	for (; *want != '\0'; want++)
		ck_assert(*want == '@' ? am_buf_puts(&b, tmpdir) == AM_OK :
		    am_buf_putc(&b, *want) == AM_OK);
	return am_buf_export(&b);
}

/* write_file - name (relative to tmpdir) with len bytes; owned path. */
static char *
write_file(const char *name, const char *data, size_t len)
{
	char *path;
	FILE *fp;

	ck_assert(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	ck_assert((fp = fopen(path, "w")) != NULL);
	ck_assert(fwrite(data, 1, len, fp) == len);
	ck_assert(fclose(fp) == 0);
	return path;
}

/* load_errs - load path; return the error text (owned), "" if it loaded. */
static char *
load_errs(const char *path, struct am_config **cfgp)
{
	struct am_buf errs, warns;
	struct am_config *cfg;

	am_buf_init(&errs, ERRS_MAX);
	am_buf_init(&warns, ERRS_MAX);
	cfg = am_config_load(path, &errs, &warns);
	ck_assert_msg((cfg == NULL) == (errs.len > 0), "%s: got %s with "
	    "errors \"%s\"", path, cfg ? "a snapshot" : "NULL",
	    am_buf_str(&errs));
	if (cfgp != NULL)
		*cfgp = cfg;
	else
		am_config_unref(cfg);
	am_buf_release(&warns);
	return am_buf_export(&errs);
}

/* ------------------------------------------------------------ errors */

static const struct {
	const char *name;	/* what the case shows */
	const char *text;	/* file content (NUL-free unless len set) */
	size_t len;		/* 0: strlen(text) */
	const char *want;	/* exact errors; "" means it loads */
} err_cases[] = {
	{ "unknown key", "SigningTabel /etc/x\n", 0,
	  "@/t.conf:1: unknown key \"SigningTabel\"\n" },
	{ "duplicate key", "DNSTimeout 5\n\nDNSTimeout 6\n", 0,
	  "@/t.conf:3: duplicate key \"DNSTimeout\" (first set at @/t.conf:1)\n" },
	{ "duplicate key, other case", "dnstimeout 5\nDNSTIMEOUT 5\n", 0,
	  "@/t.conf:2: duplicate key \"DNSTimeout\" (first set at @/t.conf:1)\n" },
	{ "bad bool", "Syslog maybe\n", 0, "@/t.conf:1: Syslog: \"maybe\" is "
	  "not a boolean (yes/no, true/false, on/off, 1/0)\n" },
	{ "empty bool", "Debug\n", 0, "@/t.conf:1: Debug: \"\" is not a "
	  "boolean (yes/no, true/false, on/off, 1/0)\n" },
	{ "bad int", "MaxHeaders 12x\n", 0,
	  "@/t.conf:1: MaxHeaders: \"12x\" is not an integer\n" },
	{ "empty int", "MaxHeaders\n", 0,
	  "@/t.conf:1: MaxHeaders: \"\" is not an integer\n" },
	{ "int with space", "MaxHeaders 10 00\n", 0,
	  "@/t.conf:1: MaxHeaders: \"10 00\" is not an integer\n" },
	{ "below range", "DNSTimeout 0\n", 0,
	  "@/t.conf:1: DNSTimeout: 0 is out of range (1..60)\n" },
	{ "negative", "DNSTimeout -5\n", 0,
	  "@/t.conf:1: DNSTimeout: -5 is out of range (1..60)\n" },
	{ "above range", "MaxHeaders 100001\n", 0,
	  "@/t.conf:1: MaxHeaders: 100001 is out of range (10..100000)\n" },
	{ "overflow", "MaxHeaderLength 99999999999999999999999\n", 0,
	  "@/t.conf:1: MaxHeaderLength: 99999999999999999999999 is out of "
	  "range (998..1048576)\n" },
	{ "bad action", "OnInternalError bounce\n", 0, "@/t.conf:1: "
	  "OnInternalError: \"bounce\" is not one of: accept, tempfail\n" },
	{ "action out of bounds", "OnInternalError reject\n", 0, "@/t.conf:1: "
	  "OnInternalError: \"reject\" is not one of: accept, tempfail\n" },
	{ "missing path", "TrustAnchorFile @/nope.key\n", 0, "@/t.conf:1: "
	  "TrustAnchorFile: @/nope.key: No such file or directory\n" },
	{ "directory path", "TrustAnchorFile @\n", 0,
	  "@/t.conf:1: TrustAnchorFile: @: is a directory\n" },
	{ "bad netset", "InternalHosts 127.0.0.0/8 10.0.0.1/8\n", 0,
	  "@/t.conf:1: InternalHosts: \"10.0.0.1/8\": host bits set below "
	  "/8 (network is 10.0.0.0)\n" },
	{ "netset word", "InternalHosts localhost\n", 0, "@/t.conf:1: "
	  "InternalHosts: \"localhost\": not an IP address or CIDR block\n" },
	{ "netset file missing", "InternalHosts @/hosts\n", 0, "@/t.conf:1: "
	  "InternalHosts: @/hosts: No such file or directory\n" },
	{ "NUL byte", "Debug yes\nSyslog no\0 junk\n", 26,
	  "@/t.conf:2: NUL byte in line\n" },
	{ "Include without a name", "Include   \n", 0,
	  "@/t.conf:1: Include needs a file name\n" },
	{ "Include missing", "Debug yes\ninclude nope.conf\n", 0, "@/t.conf:2: "
	  "Include \"@/nope.conf\": No such file or directory\n" },
	{ "Include itself", "Include t.conf\n", 0, "@/t.conf:1: "
	  "Include loop: \"@/t.conf\" is already being read\n" },
	{ "Include a directory", "Include .\n", 0,
	  "@/t.conf:1: Include \"@/.\": is a directory\n" },
	{ "key without white space", "DNSTimeout=5\n", 0,
	  "@/t.conf:1: unknown key \"DNSTimeout=5\"\n" },
	{ "several errors, all reported",
	  "# a comment\n"
	  "SigningTabel x\n"
	  "DNSTimeout 99\n"
	  "\n"
	  "Syslog maybe   # trailing comment\n"
	  "Debug yes\n"
	  "Debug no\n"
	  "OnInternalError quarantine\n"
	  "MaxHeaders 100\n", 0,
	  "@/t.conf:2: unknown key \"SigningTabel\"\n"
	  "@/t.conf:3: DNSTimeout: 99 is out of range (1..60)\n"
	  "@/t.conf:5: Syslog: \"maybe\" is not a boolean (yes/no, true/false, "
	  "on/off, 1/0)\n"
	  "@/t.conf:7: duplicate key \"Debug\" (first set at @/t.conf:6)\n"
	  "@/t.conf:8: OnInternalError: \"quarantine\" is not one of: accept, "
	  "tempfail\n" },
	{ "comments and white space", "  # indented comment\n\t\r\n"
	  "Socket   inet:1@a#b   # comment\r\n"
	  "DNSTimeout\t7\n", 0, "" },
	{ "empty file", "", 0, "" },
	{ "no final newline", "DNSTimeout 7", 0, "" },
	{ "inline IPv6 CIDR (PITFALLS)", "InternalHosts 2001:db8::/32\n", 0, "" },
};

START_TEST(test_errors)
{
	const char *text = err_cases[_i].text;
	size_t len = err_cases[_i].len ? err_cases[_i].len : strlen(text);
	char *content = expand(text), *path, *got, *want;

	/* expand() stops at a NUL, so NUL cases are written unexpanded. */
	path = write_file("t.conf", err_cases[_i].len ? text : content,
	    err_cases[_i].len ? len : strlen(content));
	got = load_errs(path, NULL);
	want = expand(err_cases[_i].want);
	ck_assert_msg(strcmp(got, want) == 0, "%s: got \"%s\", want \"%s\"",
	    err_cases[_i].name, got, want);
	unlink(path);
	free(path);
	free(got);
	free(want);
	free(content);
}
END_TEST

START_TEST(test_missing_file)
{
	char *got = load_errs(AM_TOP_SRCDIR "/nonexistent.conf", NULL);

	ck_assert_str_eq(got, AM_TOP_SRCDIR "/nonexistent.conf: No such file "
	    "or directory\n");
	free(got);
}
END_TEST

/* errs may be NULL or full: the load still fails. */
START_TEST(test_errs_null_or_full)
{
	char *path = write_file("t.conf", "Bogus 1\n", 8);
	struct am_buf tiny;

	ck_assert_ptr_null(am_config_load(path, NULL, NULL));
	am_buf_init(&tiny, 4);
	ck_assert_ptr_null(am_config_load(path, &tiny, NULL));
	ck_assert_str_eq(am_buf_str(&tiny), "");
	am_buf_release(&tiny);
	unlink(path);
	free(path);
}
END_TEST

/* ------------------------------------------------------------ Include */

START_TEST(test_include_relative)
{
	struct am_config *cfg;
	struct am_addr a;
	char *got = load_errs(DATA "main.conf", &cfg);

	ck_assert_msg(*got == '\0', "got \"%s\", want no errors", got);
	ck_assert_int_eq(cfg->dns_timeout, 9);
	ck_assert_str_eq(cfg->authserv_id, "mx.example.org");
	ck_assert_int_eq(am_addr_parse("2001:db8::25", &a), AM_OK);
	ck_assert(am_netset_contains(cfg->internal_hosts, &a));
	ck_assert_str_eq(cfg->source, DATA "main.conf");
	am_config_unref(cfg);
	free(got);
}
END_TEST

START_TEST(test_include_loop)
{
	char *got = load_errs(DATA "loop-a.conf", NULL);
	const char *want = DATA "loop-b.conf:1: Include loop: \"" DATA
	    "loop-a.conf\" is already being read\n";

	ck_assert_msg(strcmp(got, want) == 0, "got \"%s\", want \"%s\"", got,
	    want);
	free(got);
}
END_TEST

START_TEST(test_include_error_names_file)
{
	char *got = load_errs(DATA "inc-bad.conf", NULL);
	const char *want = DATA "sub/bad.conf:2: MaxHeaders: 5 is out of "
	    "range (10..100000)\n" DATA "inc-bad.conf:2: Debug: \"perhaps\" is "
	    "not a boolean (yes/no, true/false, on/off, 1/0)\n";

	ck_assert_msg(strcmp(got, want) == 0, "got \"%s\", want \"%s\"", got,
	    want);
	free(got);
}
END_TEST

/* A chain of 20 files each including the next stops at the depth limit. */
START_TEST(test_include_depth)
{
	char name[32], next[64], *path, *got, *want;
	int i;

	for (i = 0; i < 20; i++) {
		(void)snprintf(name, sizeof(name), "d%d.conf", i);
		(void)snprintf(next, sizeof(next), "Include d%d.conf\n", i + 1);
		free(write_file(name, next, strlen(next)));
	}
	free(write_file("d20.conf", "", 0));
	got = load_errs(path = expand("@/d0.conf"), NULL);
	want = expand("@/d15.conf:1: Include \"d16.conf\": nested more than "
	    "16 files deep\n");
	ck_assert_msg(strcmp(got, want) == 0, "got \"%s\", want \"%s\"", got,
	    want);
	for (i = 0; i <= 20; i++) {
		(void)snprintf(next, sizeof(next), "%s/d%d.conf", tmpdir, i);
		unlink(next);
	}
	free(path);
	free(got);
	free(want);
}
END_TEST

/* ------------------------------------------------------------ values */

START_TEST(test_netset_file_error)
{
	char *text, *path, *got, *want;

	ck_assert(asprintf(&text, "\nInternalHosts ::1, %shosts-bad.cidr\n",
	    DATA) > 0);
	path = write_file("t.conf", text, strlen(text));
	got = load_errs(path, NULL);
	want = expand("@/t.conf:2: InternalHosts: " DATA "hosts-bad.cidr:3: "
	    "\"10.0.0.1/8\": host bits set below /8 (network is 10.0.0.0)\n");
	ck_assert_msg(strcmp(got, want) == 0, "got \"%s\", want \"%s\"", got,
	    want);
	unlink(path);
	free(path);
	free(text);
	free(got);
	free(want);
}
END_TEST

START_TEST(test_case_insensitive)
{
	static const char text[] = "dnstimeout 7\nSYSLOG No\ndEbUg TRUE\n"
	    "onInternalError ACCEPT\nauthservid mx.example.net\n"
	    "internalhosts 10.0.0.0/8\n";
	struct am_config *cfg;
	char *path = write_file("t.conf", text, strlen(text));
	char *got = load_errs(path, &cfg);

	ck_assert_msg(*got == '\0', "got \"%s\", want no errors", got);
	ck_assert_int_eq(cfg->dns_timeout, 7);
	ck_assert(!cfg->syslog);
	ck_assert(cfg->debug);
	ck_assert_int_eq(cfg->on_internal_error, AM_ACTION_ACCEPT);
	ck_assert_str_eq(cfg->authserv_id, "mx.example.net");
	ck_assert_uint_eq(am_netset_count(cfg->internal_hosts), 1);
	am_config_unref(cfg);
	unlink(path);
	free(path);
	free(got);
}
END_TEST

static const struct {
	const char *word;	/* value of Debug */
	bool want;		/* parsed value */
} bool_cases[] = {
	{ "yes", true }, { "no", false }, { "true", true }, { "false", false },
	{ "on", true }, { "off", false }, { "1", true }, { "0", false },
	{ "YES", true }, { "Off", false },
};

START_TEST(test_bool_words)
{
	struct am_config *cfg;
	char *text, *path, *got;

	ck_assert(asprintf(&text, "Debug %s\n", bool_cases[_i].word) > 0);
	path = write_file("t.conf", text, strlen(text));
	got = load_errs(path, &cfg);
	ck_assert_msg(*got == '\0', "%s: got \"%s\", want no errors",
	    bool_cases[_i].word, got);
	ck_assert_msg(cfg->debug == bool_cases[_i].want, "%s: got %d, want %d",
	    bool_cases[_i].word, cfg->debug, bool_cases[_i].want);
	am_config_unref(cfg);
	unlink(path);
	free(path);
	free(text);
	free(got);
}
END_TEST

/* am_config_origin: FILE:LINE of a key set in the file (even to its
 * default value, through an Include too), NULL for a built-in default. */
START_TEST(test_origin)
{
	static const char inc[] = "# included\nDNSTimeout 5\n";
	struct am_config *cfg;
	char *ipath = write_file("inc.conf", inc, strlen(inc));
	char *text, *path, *got, *want;
	struct am_buf b;

	am_buf_init(&b, 4096);
	ck_assert(am_buf_printf(&b, "Debug no\n\nInclude %s\n", ipath) ==
	    AM_OK);
	text = am_buf_export(&b);
	path = write_file("t.conf", text, strlen(text));
	got = load_errs(path, &cfg);
	ck_assert_str_eq(got, "");
	want = expand("@/t.conf:1");
	ck_assert_str_eq(am_config_origin(cfg, "debug"), want);
	free(want);
	want = expand("@/inc.conf:2");
	ck_assert_str_eq(am_config_origin(cfg, "DNSTimeout"), want);
	free(want);
	ck_assert_ptr_null(am_config_origin(cfg, "TrustAnchorFile"));
	am_config_unref(cfg);
	cfg = am_config_defaults();
	ck_assert_ptr_null(am_config_origin(cfg, "Debug"));
	am_config_unref(cfg);
	unlink(path);
	unlink(ipath);
	free(path);
	free(ipath);
	free(text);
	free(got);
	am_buf_release(&b);
}
END_TEST

START_TEST(test_trust_anchor_default)
{
	static const char text[] = "TrustAnchorFile /usr/share/dns/root.key\n";
	struct am_buf errs, warns;
	struct am_config *cfg;
	char *path = write_file("t.conf", text, strlen(text)), *want;
	bool is_there = access("/usr/share/dns/root.key", F_OK) == 0;

	am_buf_init(&errs, ERRS_MAX);
	am_buf_init(&warns, ERRS_MAX);
	cfg = am_config_load(path, &errs, &warns);
	ck_assert_msg(cfg != NULL, "got errors \"%s\"", am_buf_str(&errs));
	if (is_there) {
		ck_assert_str_eq(am_buf_str(&warns), "");
		ck_assert_str_eq(cfg->trust_anchor_file,
		    "/usr/share/dns/root.key");
	} else {
		want = expand("@/t.conf:1: TrustAnchorFile: "
		    "/usr/share/dns/root.key: No such file or directory "
		    "(built-in default; leaving it empty)\n");
		ck_assert_str_eq(am_buf_str(&warns), want);
		ck_assert_str_eq(cfg->trust_anchor_file, "");
		free(want);
	}
	am_config_unref(cfg);
	am_buf_release(&errs);
	am_buf_release(&warns);
	unlink(path);
	free(path);
}
END_TEST

/* ------------------------------------------------------------ defaults */

static const struct {
	const char *addr;	/* client address */
	bool want;		/* in the default InternalHosts? */
} internal_cases[] = {
	{ "127.0.0.1", true }, { "127.1.2.3", true }, { "::1", true },
	{ "::ffff:127.0.0.1", true }, { "192.0.2.1", false },
	{ "10.0.0.1", false }, { "::2", false }, { "2001:db8::1", false },
};

START_TEST(test_defaults)
{
	struct am_config *cfg = am_config_defaults();
	struct am_addr a;
	bool got;

	ck_assert_ptr_nonnull(cfg->authserv_id);
	ck_assert_msg(cfg->authserv_id[0] != '\0', "got empty AuthservID");
	ck_assert_int_eq(cfg->dns_timeout, 5);
	ck_assert(cfg->syslog);
	ck_assert(!cfg->debug);
	ck_assert_int_eq(cfg->on_internal_error, AM_ACTION_TEMPFAIL);
	ck_assert_str_eq(cfg->socket, "inet:8891@127.0.0.1");
	ck_assert_str_eq(cfg->source, "(built-in defaults)");
	ck_assert_int_eq(am_addr_parse(internal_cases[_i].addr, &a), AM_OK);
	got = am_netset_contains(cfg->internal_hosts, &a);
	ck_assert_msg(got == internal_cases[_i].want, "%s: got %d, want %d",
	    internal_cases[_i].addr, got, internal_cases[_i].want);
	am_config_unref(cfg);
}
END_TEST

/* Every default parses through the file code path without an error. */
START_TEST(test_defaults_parse)
{
	char *path = write_file("t.conf", "", 0);
	char *got = load_errs(path, NULL);

	ck_assert_msg(*got == '\0', "got \"%s\", want no errors", got);
	unlink(path);
	free(path);
	free(got);
}
END_TEST

START_TEST(test_refcount)
{
	struct am_config *cfg = am_config_defaults();

	ck_assert_int_eq(atomic_load(&cfg->refs), 1);
	ck_assert_ptr_eq(am_config_ref(cfg), cfg);
	ck_assert_int_eq(atomic_load(&cfg->refs), 2);
	ck_assert_ptr_null(am_config_unref(cfg));
	ck_assert_int_eq(atomic_load(&cfg->refs), 1);
	ck_assert_str_eq(cfg->socket, "inet:8891@127.0.0.1");
	ck_assert_ptr_null(am_config_unref(cfg));	/* freed: valgrind */
	ck_assert_ptr_null(am_config_unref(NULL));
	ck_assert_ptr_null(am_config_ref(NULL));
}
END_TEST

/* Misuse panics: a snapshot whose count is already zero. */
START_TEST(test_ref_dead_aborts)
{
	struct am_config dead;

	memset(&dead, 0, sizeof(dead));
	atomic_init(&dead.refs, 0);
	(void)am_config_ref(&dead);
}
END_TEST

START_TEST(test_action_name)
{
	ck_assert_str_eq(am_action_name(AM_ACTION_ACCEPT), "accept");
	ck_assert_str_eq(am_action_name(AM_ACTION_TEMPFAIL), "tempfail");
	ck_assert_str_eq(am_action_name(AM_ACTION_REJECT), "reject");
	ck_assert_str_eq(am_action_name(AM_ACTION_QUARANTINE), "quarantine");
	ck_assert_str_eq(am_action_name((enum am_action)42), "invalid");
}
END_TEST

/* ------------------------------------------------------------ printing */

/* capture - what am_config_print(cfg, show) writes (the defaults when cfg
 * is NULL), as an owned string. */
static char *
capture(const struct am_config *cfg, am_config_show_fn *show)
{
	char *data = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&data, &len);

	ck_assert_ptr_nonnull(fp);
	if (cfg == NULL)
		am_config_print_defaults(fp);
	else
		am_config_print(cfg, show, fp);
	ck_assert(fclose(fp) == 0);
	return data;
}

START_TEST(test_print_defaults)
{
	char *out = capture(NULL, NULL), *line, *save = NULL, *uncommented;
	struct am_buf b;

	ck_assert_msg(strncmp(out, "# authmilter.conf", 17) == 0,
	    "got \"%.40s\", want the header first", out);
	ck_assert_ptr_nonnull(strstr(out, "\n#DNSTimeout 5\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n#UserID\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n#InternalHosts 127.0.0.0/8, ::1\n"));
	/* Uncommenting every key line gives a file that loads cleanly. */
	am_buf_init(&b, 1 << 20);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(strlen(line) <= 76 || line[1] != ' ',
		    "got a %zu-column doc line, want <= 76: %s", strlen(line),
		    line);
		if (line[0] == '#' && line[1] >= 'A' && line[1] <= 'Z')
			ck_assert(am_buf_printf(&b, "%s\n", line + 1) == AM_OK);
	}
	uncommented = write_file("t.conf", am_buf_str(&b), b.len);
	free(out);
	out = load_errs(uncommented, NULL);
	ck_assert_msg(*out == '\0', "got \"%s\", want no errors", out);
	unlink(uncommented);
	free(uncommented);
	am_buf_release(&b);
	free(out);
}
END_TEST

/* am_config_print output loads back to the same configuration. */
START_TEST(test_print_round_trip)
{
	static const char text[] = "InternalHosts 10.0.0.0/8,  2001:db8::/32\n"
	    "DNSTimeout 12\nDebug on\nOnInternalError accept\n";
	struct am_config *cfg, *again;
	char *path = write_file("t.conf", text, strlen(text));
	char *got = load_errs(path, &cfg), *out, *out2;

	ck_assert_msg(*got == '\0', "got \"%s\", want no errors", got);
	out = capture(cfg, NULL);
	ck_assert_ptr_nonnull(strstr(out, "\nInternalHosts 10.0.0.0/8,  "
	    "2001:db8::/32\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nDebug yes\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nDNSTimeout 12\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nOnInternalError accept\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nUserID\n"));
	free(path);
	free(got);
	path = write_file("t.conf", out, strlen(out));
	got = load_errs(path, &again);
	ck_assert_msg(*got == '\0', "got \"%s\", want no errors", got);
	out2 = capture(again, NULL);
	/* Only the "# effective configuration from FILE" line may differ. */
	ck_assert_str_eq(strchr(out2, '\n'), strchr(out, '\n'));
	am_config_unref(cfg);
	am_config_unref(again);
	unlink(path);
	free(path);
	free(got);
	free(out);
	free(out2);
}
END_TEST

/* show_store - a show hook that rewrites ReportStore only. */
static bool
show_store(const char *key, const char *value, struct am_buf *out)
{
	if (strcmp(key, "ReportStore") != 0)
		return false;
	return am_buf_printf(out, "<%zu bytes>", strlen(value)) == AM_OK;
}

/* am_config_print asks the show hook for set string values only. */
START_TEST(test_print_show_hook)
{
	static const char text[] = "ReportStore host=db1 password=x\n"
	    "AuthservID mx.example\nDebug yes\n";
	struct am_config *cfg;
	char *path = write_file("t.conf", text, strlen(text));
	char *got = load_errs(path, &cfg), *data;

	ck_assert_msg(*got == '\0', "got \"%s\", want no errors", got);
	data = capture(cfg, show_store);
	ck_assert_ptr_nonnull(strstr(data, "\nReportStore <19 bytes>\n"));
	ck_assert_ptr_null(strstr(data, "password"));
	ck_assert_ptr_nonnull(strstr(data, "\nAuthservID mx.example\n"));
	ck_assert_ptr_nonnull(strstr(data, "\nDebug yes\n"));
	am_config_unref(cfg);
	unlink(path);
	free(path);
	free(got);
	free(data);
}
END_TEST

/* ------------------------------------------------------------ hostile */

START_TEST(test_long_lines)
{
	size_t len = 100000;
	char *text = am_xmalloc(len + 64), *path, *got, *want;

	/* 8192 bytes is the longest line; one more is an error. */
	memset(text, ' ', 8192);
	memcpy(text, "# x", 3);
	text[8192] = '\n';
	memset(text + 8193, 'x', 8193);
	memcpy(text + 8193, "Debug ", 6);
	text[8193 + 8193] = '\n';
	memset(text + 16387, 'y', len - 16387);
	memcpy(text + len, "\nDebug yes\n", 11);
	path = write_file("t.conf", text, len + 11);
	got = load_errs(path, NULL);
	want = expand("@/t.conf:2: line longer than 8192 bytes\n"
	    "@/t.conf:3: line longer than 8192 bytes\n");
	ck_assert_msg(strcmp(got, want) == 0, "got \"%s\", want \"%s\"", got,
	    want);
	unlink(path);
	free(path);
	free(text);
	free(got);
	free(want);
}
END_TEST

/* 10000 bad lines: 10000 errors, no crash. */
START_TEST(test_many_errors)
{
	struct am_buf b;
	char *path, *got, *p;
	int i, n = 0;

	am_buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		ck_assert(am_buf_printf(&b, "Key%d value\n", i) == AM_OK);
	path = write_file("t.conf", am_buf_str(&b), b.len);
	got = load_errs(path, NULL);
	for (p = got; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	ck_assert_msg(n == 10000, "got %d errors, want 10000", n);
	unlink(path);
	free(path);
	free(got);
	am_buf_release(&b);
}
END_TEST

/* A netset file of 10000 blocks loads; binary junk fails cleanly. */
START_TEST(test_many_entries_and_junk)
{
	struct am_buf b;
	struct am_config *cfg;
	char *hosts, *text, *path, *got;
	unsigned int seed = 1;
	int i;

	am_buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		ck_assert(am_buf_printf(&b, "2001:db8:%x::/48\n", i) == AM_OK);
	hosts = write_file("hosts", am_buf_str(&b), b.len);
	ck_assert(asprintf(&text, "InternalHosts %s ::1\n", hosts) > 0);
	path = write_file("t.conf", text, strlen(text));
	got = load_errs(path, &cfg);
	ck_assert_msg(*got == '\0', "got \"%s\", want no errors", got);
	ck_assert_uint_eq(am_netset_count(cfg->internal_hosts), 10001);
	am_config_unref(cfg);
	free(got);
	free(path);
	am_buf_reset(&b);
	for (i = 0; i < 65536; i++)
		ck_assert(am_buf_putc(&b, (char)(rand_r(&seed) & 0xff)) ==
		    AM_OK);
	path = write_file("t.conf", b.data, b.len);
	got = load_errs(path, NULL);
	ck_assert(*got != '\0');
	unlink(path);
	unlink(hosts);
	free(path);
	free(hosts);
	free(text);
	free(got);
	am_buf_release(&b);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
config_suite(bool can_fork)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("errors");

	tcase_add_loop_test(tc, test_errors, 0, NELEM(err_cases));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_errs_null_or_full);
	suite_add_tcase(s, tc);
	tc = tcase_create("include");
	tcase_add_test(tc, test_include_relative);
	tcase_add_test(tc, test_include_loop);
	tcase_add_test(tc, test_include_error_names_file);
	tcase_add_test(tc, test_include_depth);
	suite_add_tcase(s, tc);
	tc = tcase_create("values");
	tcase_add_test(tc, test_netset_file_error);
	tcase_add_test(tc, test_case_insensitive);
	tcase_add_loop_test(tc, test_bool_words, 0, NELEM(bool_cases));
	tcase_add_test(tc, test_trust_anchor_default);
	tcase_add_test(tc, test_origin);
	suite_add_tcase(s, tc);
	tc = tcase_create("snapshot");
	tcase_add_loop_test(tc, test_defaults, 0, NELEM(internal_cases));
	tcase_add_test(tc, test_defaults_parse);
	tcase_add_test(tc, test_refcount);
	if (can_fork)
		tcase_add_test_raise_signal(tc, test_ref_dead_aborts, SIGABRT);
	tcase_add_test(tc, test_action_name);
	tcase_add_test(tc, test_print_defaults);
	tcase_add_test(tc, test_print_round_trip);
	tcase_add_test(tc, test_print_show_hook);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_many_errors);
	tcase_add_test(tc, test_many_entries_and_junk);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	rc = am_test_run(config_suite(am_test_can_fork()));
	(void)rmdir(tmpdir);
	return rc;
}
