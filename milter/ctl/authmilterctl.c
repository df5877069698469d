/*
 * authmilterctl - the admin tool. It reads the daemon's configuration (-c,
 * same default) and drives the same lib/ pipeline the milter uses, so
 * `check` shows exactly what the daemon would do with a message.
 *
 * usage() below is the one list of subcommands and options;
 * man/authmilterctl.8 documents each, and tests/static/manpages.sh fails
 * when the two (or the option tables of milter/ctl/) disagree.
 *
 * The --dns-* options answer from the given data only (they imply
 * --local-dns): RR is unbound local-data syntax
 * ('sel._domainkey.example.com. 300 IN TXT "v=DKIM1; ..."'), a --dns-file
 * has one such RR per line, a --dns-txt-file has "NAME TEXT" lines (TXT
 * records; long text is split into 255-byte strings for you).
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "config/config.h"
#include "ctl_keys.h"
#include "ctl_report.h"
#include "ctl_stats.h"
#include "pipeline/ctx.h"
#include "msg/eml.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"
#include "report/report_store.h"

#define MAX_MACROS 64

static const char *config_path = AM_DEFAULT_CONFIG;
static bool config_explicit;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: authmilterctl [-c FILE] configtest\n"
	    "       authmilterctl [-c FILE] config [-d | --man]\n"
	    "       authmilterctl [-c FILE] check [--client-ip IP] "
	    "[--client-name NAME] [--helo H]\n"
	    "           [--mail-from A] [--rcpt R]... [--auth USER] "
	    "[--macro NAME=VALUE]...\n"
	    "           [--local-dns] [--dns-rr RR]... [--dns-file FILE]...\n"
	    "           [--dns-txt-file FILE]... FILE.eml\n"
	    "       authmilterctl keygen --domain D --selector S "
	    "[--type rsa|ed25519] [--bits N] [--dir DIR]\n"
	    "       authmilterctl [-c FILE] testkey\n"
	    "       authmilterctl [-c FILE] report export [--store FILE|URI]... "
	    "[--period YYYY-MM-DD |\n"
	    "           --from T --to T] [--domain D] [--format rfc7489|rfc9990] "
	    "--out DIR\n"
	    "       authmilterctl [-c FILE] report send [--dry-run] "
	    "[--store FILE|URI]...\n"
	    "           [--period YYYY-MM-DD | --from T --to T]\n"
	    "       authmilterctl [-c FILE] report expire [--store FILE]...\n"
	    "       authmilterctl [-c FILE] report ingest [--store FILE|URI] "
	    "[--schema XSD]...\n"
	    "           [--strict] [--max-size BYTES] FILE|DIR|-...\n"
	    "       authmilterctl [-c FILE] report html --out DIR "
	    "[--store FILE|URI]... [--days N]\n"
	    "           [--until YYYY-MM-DD] [--domain D] [--no-dns] "
	    "[--max-lookups N]\n"
	    "       authmilterctl [-c FILE] stats [--file F]\n"
	    "       authmilterctl -V\n");
	exit(2);
}

/* load - the configuration, printing every error as FILE:LINE: message. */
static struct am_config *
load(void)
{
	struct am_buf errs, warns;
	struct am_config *cfg;

	if (!config_explicit && access(config_path, F_OK) != 0 &&
	    errno == ENOENT)
		return am_config_defaults();
	am_buf_init(&errs, 1 << 20);
	am_buf_init(&warns, 1 << 20);
	cfg = am_config_load(config_path, &errs, &warns);
	fputs(am_buf_str(&warns), stderr);
	fputs(am_buf_str(&errs), stderr);
	am_buf_release(&errs);
	am_buf_release(&warns);
	return cfg;
}

/* runtime - everything cfg needs (reference taken), problems on stderr. */
static struct am_runtime *
runtime(struct am_config *cfg, const struct am_runtime_opts *opts)
{
	struct am_buf errs, warns;
	struct am_runtime *rt;

	am_buf_init(&errs, 1 << 20);
	am_buf_init(&warns, 1 << 20);
	rt = am_runtime_new(cfg, opts, &errs, &warns);
	fputs(am_buf_str(&warns), stderr);
	fputs(am_buf_str(&errs), stderr);
	am_buf_release(&errs);
	am_buf_release(&warns);
	return rt;
}

/* cmd_configtest - the configuration and everything it names (keys...). */
static int
cmd_configtest(void)
{
	struct am_config *cfg = load();
	struct am_runtime *rt;

	if (cfg == NULL || (rt = runtime(am_config_ref(cfg), NULL)) == NULL) {
		am_config_unref(cfg);
		return 1;
	}
	printf("authmilterctl: configuration %s OK\n", cfg->source);
	am_runtime_unref(rt);
	am_config_unref(cfg);
	return 0;
}

/* cmd_report - aggregate-report export and expiry (ctl_report.c). */
static int
cmd_report(int argc, char **argv)
{
	struct am_config *cfg = load();
	int rc;

	if (cfg == NULL)
		return 1;
	rc = am_ctl_report(cfg, argc, argv);
	am_config_unref(cfg);
	return rc;
}

/* cmd_stats - the counters the daemon publishes (ctl_stats.c). */
static int
cmd_stats(int argc, char **argv)
{
	struct am_config *cfg = load();
	int rc;

	if (cfg == NULL)
		return 1;
	rc = am_ctl_stats(cfg, argc, argv);
	am_config_unref(cfg);
	return rc;
}

/* cmd_testkey - every signing key against its published DNS record. */
static int
cmd_testkey(void)
{
	struct am_config *cfg = load();
	struct am_runtime *rt;
	int rc;

	if (cfg == NULL || (rt = runtime(cfg, NULL)) == NULL)
		return 1;
	rc = am_ctl_testkey(rt->cfg, rt->dns);
	am_runtime_unref(rt);
	return rc;
}

/* show_secretless - ReportStore as the logs show it (no password). */
static bool
show_secretless(const char *key, const char *value, struct am_buf *out)
{
	if (strcmp(key, "ReportStore") != 0)
		return false;
	(void)am_report_store_display(value, out);
	return true;
}

static int
cmd_config(int argc, char **argv)
{
	struct am_config *cfg;

	if (argc == 2 && strcmp(argv[1], "-d") == 0) {
		am_config_print_defaults(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--man") == 0) {
		am_config_print_man(stdout);	/* man/authmilter.conf.5 */
		return 0;
	}
	if (argc != 1)
		usage();
	if ((cfg = load()) == NULL)
		return 1;
	am_config_print(cfg, show_secretless, stdout);
	am_config_unref(cfg);
	return 0;
}

/* The simulated MTA of `check`: macro values given on the command line. */
struct check_env {
	const char *names[MAX_MACROS];	/* "{name}" or "i" */
	const char *values[MAX_MACROS];	/* borrowed from argv */
	size_t n;
};

static const char *
env_macro(void *arg, const char *name)
{
	struct check_env *env = arg;
	size_t i;

	for (i = env->n; i-- > 0;)
		if (strcmp(env->names[i], name) == 0)
			return env->values[i];
	return NULL;
}

static void
env_set(struct check_env *env, const char *name, const char *value)
{
	if (env->n == MAX_MACROS) {
		fprintf(stderr, "authmilterctl: too many macros\n");
		exit(2);
	}
	env->names[env->n] = name;
	env->values[env->n++] = value;
}

/* env_parse_macro - "NAME=VALUE"; NAME gets braces unless one letter. */
static void
env_parse_macro(struct check_env *env, char *arg)
{
	char *eq = strchr(arg, '='), *name;

	if (eq == NULL || eq == arg)
		usage();
	*eq = '\0';
	if (strlen(arg) == 1 || arg[0] == '{') {
		env_set(env, arg, eq + 1);
		return;
	}
	if (asprintf(&name, "{%s}", arg) < 0)
		exit(1);
	env_set(env, name, eq + 1);	/* XXX leaked until exit, by design */
}

static void
sink_header(void *arg, const char *name, const char *value, size_t len)
{
	am_session_header(arg, name, value, len);
}

/* The simulated MTA passes no macros at end of headers. */
static void
sink_eoh(void *arg)
{
	am_session_eoh(arg, NULL, NULL);
}

static void
sink_body(void *arg, const void *p, size_t len)
{
	(void)am_session_body(arg, p, len);
}

/* print_verdict - what the milter would do, one action per line. */
static void
print_verdict(const struct am_session *s, const struct am_verdict *v)
{
	size_t i;
	const char *p;

	for (i = 0; i < v->ndel; i++)
		printf("delete: %s #%zu\n", v->del[i].name, v->del[i].n);
	for (i = 0; i < v->nins; i++) {
		printf("insert: %s: ", v->ins[i].name);
		for (p = v->ins[i].value; *p; p++)
			putchar(*p);
		putchar('\n');
	}
	printf("action: %s", am_disposition_name(v->disp));
	if (v->rcode[0])
		printf(" %s %s %s", v->rcode, v->xcode, v->reply);
	printf("\nlog: %s: %s\n", am_session_id(s), am_buf_str(&v->summary));
}

#define MAX_DNS_ARGS 64

struct check_args {
	const char *client_ip, *client_name, *helo, *mail_from, *file;
	const char *rcpts[64];
	size_t nrcpts;
	bool local_dns;
	struct {
		char kind;		/* 'r' RR, 'f' RR file, 't' TXT file */
		const char *arg;	/* borrowed from argv */
	} dns[MAX_DNS_ARGS];
	size_t ndns;
};

static void
parse_check(int argc, char **argv, struct check_args *a,
    struct check_env *env)
{
	static const struct option longopts[] = {
		{ "client-ip", required_argument, NULL, 'a' },
		{ "client-name", required_argument, NULL, 'n' },
		{ "helo", required_argument, NULL, 'h' },
		{ "mail-from", required_argument, NULL, 'f' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "auth", required_argument, NULL, 'u' },
		{ "macro", required_argument, NULL, 'm' },
		{ "local-dns", no_argument, NULL, 'l' },
		{ "dns-rr", required_argument, NULL, 'R' },
		{ "dns-file", required_argument, NULL, 'F' },
		{ "dns-txt-file", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(a, 0, sizeof(*a));
	a->client_ip = "192.0.2.1";
	a->helo = "client.example";
	a->mail_from = "";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': a->client_ip = optarg; break;
		case 'n': a->client_name = optarg; break;
		case 'h': a->helo = optarg; break;
		case 'f': a->mail_from = optarg; break;
		case 'r':
			if (a->nrcpts == 64)
				usage();
			a->rcpts[a->nrcpts++] = optarg;
			break;
		case 'u': env_set(env, "{auth_authen}", optarg); break;
		case 'm': env_parse_macro(env, optarg); break;
		case 'l': a->local_dns = true; break;
		case 'R': case 'F': case 'T':
			if (a->ndns == MAX_DNS_ARGS)
				usage();
			a->dns[a->ndns].kind = ch == 'R' ? 'r' :
			    ch == 'F' ? 'f' : 't';
			a->dns[a->ndns++].arg = optarg;
			a->local_dns = true;
			break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	a->file = argv[optind];
}

/* add_txt_line - "NAME TEXT" as a TXT RR split into 255-byte strings. */
static enum am_status
add_txt_line(struct am_dns *dns, char *line, struct am_why *why)
{
	struct am_buf rr;
	enum am_status st;
	char *sp = strchr(line, ' ');
	size_t i, n;

	if (sp == NULL) {
		am_why_set(why, "not \"NAME TEXT\"");
		return AM_PERMFAIL;
	}
	*sp++ = '\0';
	am_buf_init(&rr, 65536);
	st = am_buf_printf(&rr, "%s%s 300 IN TXT", line,
	    line[strlen(line) - 1] == '.' ? "" : ".");
	for (n = strlen(sp), i = 0; st == AM_OK && i < n; i += 255)
		st = am_buf_printf(&rr, " \"%.*s\"", (int)(n - i > 255 ?
		    255 : n - i), sp + i);
	if (st == AM_OK)
		st = am_dns_add_local(dns, am_buf_str(&rr), why);
	am_buf_release(&rr);
	return st;
}

/* load_dns_file - one RR (or one NAME TEXT line) per line; '#' comments. */
static int
load_dns_file(struct am_dns *dns, const char *path, bool is_txt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	struct am_why why;
	enum am_status st;
	FILE *fp = fopen(path, "r");
	int rc = 0;

	if (fp == NULL) {
		fprintf(stderr, "authmilterctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		st = is_txt ? add_txt_line(dns, line, &why) :
		    am_dns_add_local(dns, line, &why);
		if (st != AM_OK) {
			fprintf(stderr, "authmilterctl: %s:%lu: %s\n", path,
			    lineno, why.text);
			rc = 1;
		}
	}
	free(line);
	fclose(fp);
	return rc;
}

/* load_dns - the --dns-* data into the runtime's (local-only) resolver. */
static int
load_dns(struct am_dns *dns, const struct check_args *a)
{
	struct am_why why;
	size_t i;
	int rc = 0;

	for (i = 0; i < a->ndns; i++) {
		if (a->dns[i].kind != 'r') {
			rc |= load_dns_file(dns, a->dns[i].arg,
			    a->dns[i].kind == 't');
		} else if (am_dns_add_local(dns, a->dns[i].arg, &why) != AM_OK) {
			fprintf(stderr, "authmilterctl: --dns-rr %s: %s\n",
			    a->dns[i].arg, why.text);
			rc = 1;
		}
	}
	return rc;
}

/* run_check - one connection, one message, through the pipeline. */
static int
run_check(struct am_ctx *ctx, const struct check_args *a,
    struct check_env *env, FILE *fp)
{
	struct am_eml_sink sink = { sink_header, sink_eoh, sink_body, NULL };
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	struct am_addr addr;
	struct am_why why;
	size_t i;
	int rc = 0;

	if (am_addr_parse(a->client_ip, &addr) != AM_OK) {
		fprintf(stderr, "authmilterctl: bad --client-ip %s\n",
		    a->client_ip);
		am_session_free(s);
		return 2;
	}
	env_set(env, "{client_addr}", a->client_ip);
	am_session_connect(s, a->client_name ? a->client_name : "unknown",
	    &addr, env_macro, env);
	am_session_helo(s, a->helo, env_macro, env);
	am_verdict_init(&v);
	am_session_mail(s, a->mail_from, env_macro, env, &v);
	if (v.disp != AM_DISP_ACCEPT) {
		print_verdict(s, &v);	/* refused at MAIL FROM */
		goto done;
	}
	for (i = 0; i < a->nrcpts; i++)
		am_session_rcpt(s, a->rcpts[i], env_macro, env);
	sink.arg = s;
	if (am_eml_parse(fp, &sink, &why) != AM_OK) {
		fprintf(stderr, "authmilterctl: %s: %s\n", a->file, why.text);
		rc = 1;
	} else {
		am_session_eom(s, env_macro, env, &v);
		print_verdict(s, &v);
	}
done:
	am_verdict_release(&v);
	am_session_free(s);
	return rc;
}

static int
cmd_check(int argc, char **argv)
{
	struct am_runtime_opts ropts = { 0 };
	struct check_env env = { .n = 0 };
	struct check_args a;
	struct am_runtime *rt;
	struct am_config *cfg;
	struct am_ctx *ctx;
	FILE *fp;
	int rc;

	parse_check(argc, argv, &a, &env);
	if ((fp = strcmp(a.file, "-") ? fopen(a.file, "r") : stdin) == NULL) {
		fprintf(stderr, "authmilterctl: %s: %s\n", a.file,
		    strerror(errno));
		return 1;
	}
	if ((cfg = load()) == NULL)
		return 1;
	ropts.local_dns = a.local_dns;
	if ((rt = runtime(cfg, &ropts)) == NULL)
		return 1;
	ctx = am_ctx_new(rt);
	rc = load_dns(rt->dns, &a);
	if (rc == 0)
		rc = run_check(ctx, &a, &env, fp);
	if (fp != stdin)
		fclose(fp);
	am_ctx_free(ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "+c:V")) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			config_explicit = true;
			break;
		case 'V':
			printf("authmilterctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "configtest") == 0 && argc == 1)
		return cmd_configtest();
	if (strcmp(argv[0], "config") == 0)
		return cmd_config(argc, argv);
	if (strcmp(argv[0], "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(argv[0], "keygen") == 0)
		return am_ctl_keygen(argc, argv);
	if (strcmp(argv[0], "testkey") == 0 && argc == 1)
		return cmd_testkey();
	if (strcmp(argv[0], "report") == 0)
		return cmd_report(argc, argv);
	if (strcmp(argv[0], "stats") == 0)
		return cmd_stats(argc, argv);
	usage();
	return 2;
}
