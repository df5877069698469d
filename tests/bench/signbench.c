/*
 * signbench.c - CPU per signed message of lib/dkim/dkim_sign.c alone, no
 * milter protocol: a tight loop of am_dkim_sign_new .. eom .. free over one
 * typical outbound message (11 headers, ~3.5 KB body, the size of the
 * tests/bench corpus), for an RSA-2048 key, an Ed25519 key and both (dual
 * signing). The keys are made here, written 0600 to a temporary directory
 * and loaded through the key store as the daemon loads them.
 *
 *   tests/bench/signbench [-n MESSAGES]
 *
 * Prints one line per key set: messages, CPU microseconds per message
 * (CLOCK_PROCESS_CPUTIME_ID) and wall microseconds per message. Printed,
 * not asserted: the machine is shared. Built by make, not run by make check.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/buf.h"
#include "config/config.h"
#include "dkim/dkim_sign.h"
#include "dkim/keys.h"

struct hdr {
	const char *name;
	const char *value;	/* as libmilter with LEADSPC gives it */
};

static const struct hdr hdrs[] = {
	{ "Received", " from client.example (client.example [192.0.2.7])\n"
	    "\tby mx.sign.bench.example (Postfix) with ESMTPSA id 4Xy2;\n"
	    "\tMon, 01 Jan 2024 00:00:00 +0000 (UTC)" },
	{ "From", " Alice Example <alice@sign.bench.example>" },
	{ "To", " Bob <bob@rcpt.example>, carol@rcpt.example" },
	{ "Cc", " dave@rcpt.example" },
	{ "Subject", " Quarterly figures and the plan for\n\tthe next quarter" },
	{ "Date", " Mon, 01 Jan 2024 00:00:00 +0000" },
	{ "Message-ID", " <20240101000000.12345@sign.bench.example>" },
	{ "MIME-Version", " 1.0" },
	{ "Content-Type", " text/plain; charset=utf-8" },
	{ "Content-Transfer-Encoding", " 8bit" },
	{ "X-Mailer", " signbench" },
};
#define NHDRS (sizeof(hdrs) / sizeof(hdrs[0]))

static char body[4096];		/* ~3.5 KB of CRLF lines */
static size_t body_len;

/* make_body - lines of words, 72 columns, CRLF. */
static void
make_body(void)
{
	static const char *words[] = { "lorem", "ipsum", "dolor", "sit",
	    "amet", "consectetur", "adipiscing", "elit", "sed", "do" };
	size_t col = 0, i = 0;

	while (body_len < 3500) {
		const char *w = words[i++ % 10];
		size_t n = strlen(w);

		if (col + n + 1 > 72) {
			memcpy(body + body_len, "\r\n", 2);
			body_len += 2;
			col = 0;
		}
		memcpy(body + body_len, w, n);
		body[body_len + n] = ' ';
		body_len += n + 1;
		col += n + 1;
	}
	memcpy(body + body_len, "\r\n", 2);
	body_len += 2;
}

/* write_key - a fresh key of type into dir/name, mode 0600; 0 on success. */
static int
write_key(const char *dir, const char *name, const char *type)
{
	char path[512];
	EVP_PKEY *pk;
	FILE *fp;
	int fd, ok;

	pk = strcmp(type, "RSA") == 0 ?
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048) :
	    EVP_PKEY_Q_keygen(NULL, NULL, type);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (pk == NULL || fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "signbench: cannot write %s\n", path);
		EVP_PKEY_free(pk);
		return -1;
	}
	ok = PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	EVP_PKEY_free(pk);
	return ok ? 0 : -1;
}

/* load - config, key store and signer for one KeyFile/Selector pair. */
static struct am_dkim_signer *
load(const char *dir, const char *sel, const char *files,
    struct am_config **cfg, struct am_keys **ks)
{
	char conf[1024], path[512];
	struct am_buf errs;
	struct am_dkim_signer *sg = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/bench.conf", dir);
	snprintf(conf, sizeof(conf), "Domain sign.bench.example\n"
	    "Selector %s\nKeyFile %s\n", sel, files);
	if ((fp = fopen(path, "w")) == NULL)
		return NULL;
	fputs(conf, fp);
	fclose(fp);
	am_buf_init(&errs, 65536);
	*ks = NULL;
	if ((*cfg = am_config_load(path, &errs, NULL)) != NULL &&
	    (*ks = am_keys_load(*cfg, &errs, NULL)) != NULL)
		sg = am_dkim_signer_new(*cfg, *ks, &errs);
	if (sg == NULL)
		fprintf(stderr, "signbench: %s\n", am_buf_str(&errs));
	am_buf_release(&errs);
	return sg;
}

/* sign_one - one message through the signer; signatures made. */
static size_t
sign_one(const struct am_dkim_signer *sg)
{
	struct am_dkim_sign *s = am_dkim_sign_new(sg, "bench", "alice",
	    "sign.bench.example");
	struct am_why why;
	size_t n = 0, i;

	for (i = 0; i < NHDRS; i++)
		am_dkim_sign_header(s, hdrs[i].name, hdrs[i].value,
		    strlen(hdrs[i].value));
	am_dkim_sign_eoh(s);
	for (i = 0; i < body_len; i += 1024)
		am_dkim_sign_body(s, body + i,
		    body_len - i < 1024 ? body_len - i : 1024);
	if (am_dkim_sign_eom(s, &why) == AM_OK)
		n = am_dkim_sign_count(s);
	else
		fprintf(stderr, "signbench: %s\n", why.text);
	am_dkim_sign_free(s);
	return n;
}

static double
now_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* run - time n messages with one key set; 0 on success. */
static int
run(const char *dir, const char *label, const char *sel, const char *files,
    size_t want, long n)
{
	struct am_config *cfg = NULL;
	struct am_keys *ks = NULL;
	struct am_dkim_signer *sg = load(dir, sel, files, &cfg, &ks);
	double cpu, wall;
	long i;
	int rc = 0;

	if (sg == NULL)
		rc = -1;
	for (i = 0; rc == 0 && i < n / 10 + 1; i++)	/* warm up */
		if (sign_one(sg) != want)
			rc = -1;
	cpu = now_us(CLOCK_PROCESS_CPUTIME_ID);
	wall = now_us(CLOCK_MONOTONIC);
	for (i = 0; rc == 0 && i < n; i++)
		if (sign_one(sg) != want)
			rc = -1;
	cpu = now_us(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	wall = now_us(CLOCK_MONOTONIC) - wall;
	if (rc == 0)
		printf("sign %-13s %6ld msgs  %8.1f us CPU/msg  %8.1f us "
		    "wall/msg\n", label, n, cpu / (double)n, wall / (double)n);
	else
		fprintf(stderr, "signbench: %s: signing failed\n", label);
	am_dkim_signer_free(sg);
	am_keys_free(ks);
	am_config_unref(cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/signbench.XXXXXX", files[1200], cmd[600];
	long n = 2000;
	int rc = 0, o;

	while ((o = getopt(argc, argv, "n:")) != -1)
		if (o == 'n' && atol(optarg) > 0)
			n = atol(optarg);
		else {
			fprintf(stderr, "usage: signbench [-n MESSAGES]\n");
			return 2;
		}
	make_body();
	if (mkdtemp(dir) == NULL || write_key(dir, "rsa.pem", "RSA") != 0 ||
	    write_key(dir, "ed.pem", "ED25519") != 0)
		return 1;
	snprintf(files, sizeof(files), "%s/rsa.pem", dir);
	rc |= run(dir, "rsa-2048", "rsa", files, 1, n);
	snprintf(files, sizeof(files), "%s/ed.pem", dir);
	rc |= run(dir, "ed25519", "ed", files, 1, n);
	snprintf(files, sizeof(files), "%s/rsa.pem, %s/ed.pem", dir, dir);
	rc |= run(dir, "rsa+ed25519", "rsa, ed", files, 2, n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "signbench: cannot remove %s\n", dir);
	return rc == 0 ? 0 : 1;
}
