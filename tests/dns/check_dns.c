/*
 * check_dns.c - lib/dns/dns.c against real libunbound: local data (no traffic),
 * a real unbound daemon on loopback (testdns.c) as forwarder, a dead
 * loopback port for deadlines, and threads sharing one context.
 */
#include "autoconf.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/time.h>

#include <check.h>

#include "dns/dns.h"
#include "dns/dns_budget.h"
#include "dns/dns_probe.h"
#include "testutil/testdns.h"
#include "testutil/testrr.h"

#define T_A 1
#define T_MX 15
#define T_TXT 16
#define T_AAAA 28

/* Two strings of 255 and 45 'x' make one 300-character TXT. */
#define X45 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define X255 X45 X45 X45 X45 X45 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const char *const fixture_rrs[] = {
	"a.example. 300 IN A 192.0.2.1",
	"a.example. 300 IN AAAA 2001:db8::1",
	"t.example. 300 IN TXT \"v=spf1 \" \"ip4:192.0.2.0/24\" \" -all\"",
	"long.example. 300 IN TXT \"" X255 "\" \"" X45 "\"",
	"m.example. 300 IN MX 10 mx.example.",
	"two.example. 300 IN A 192.0.2.2",
	"two.example. 300 IN A 192.0.2.3",
	NULL
};

static struct am_dns *dns;	/* per test, from setup_local() */

static void
setup_local(void)
{
	dns = am_test_dns_local(fixture_rrs, "refused.example.");
}

static void
teardown_local(void)
{
	dns = am_dns_free(dns);
}

/* ms_since - elapsed ms since t0 (CLOCK_MONOTONIC). */
static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* want_result - assert ans->result, naming the query. */
static void
want_result(const struct am_dns_answer *ans, const char *name,
    enum am_dns_result want)
{
	ck_assert_msg(ans->result == want, "%s: got %s (%s), want %s", name,
	    am_dns_result_name(ans->result), ans->why,
	    am_dns_result_name(want));
}

/* want_txt - lookup name TXT; record 0 joined must equal want. */
static void
want_txt(struct am_dns *d, const char *name, const char *want)
{
	struct am_dns_answer ans;
	struct am_buf b;

	am_buf_init(&b, 4096);
	am_dns_lookup(d, name, T_TXT, 2000, &ans);
	want_result(&ans, name, AM_DNS_OK);
	ck_assert_msg(am_dns_txt(&ans, 0, &b) == AM_OK, "%s: am_dns_txt", name);
	ck_assert_msg(strcmp(am_buf_str(&b), want) == 0, "%s: got \"%s\", "
	    "want \"%s\"", name, am_buf_str(&b), want);
	am_buf_release(&b);
	am_dns_answer_release(&ans);
}

START_TEST(test_local_a)
{
	static const uint8_t want[4] = { 192, 0, 2, 1 };
	static const char *const names[] = { "a.example", "a.example." };
	struct am_dns_answer ans;
	size_t i;

	for (i = 0; i < 2; i++) {
		am_dns_lookup(dns, names[i], T_A, 2000, &ans);
		want_result(&ans, names[i], AM_DNS_OK);
		ck_assert_msg(ans.count == 1 && ans.len[0] == 4 &&
		    memcmp(ans.data[0], want, 4) == 0, "%s: got %zu records",
		    names[i], ans.count);
		ck_assert_msg(ans.rcode == 0 && ans.ttl == 300 && ans.why[0] ==
		    '\0', "got rcode %d ttl %u, want 0 300", ans.rcode, ans.ttl);
		am_dns_answer_release(&ans);
	}
	am_dns_lookup(dns, "two.example", T_A, 2000, &ans);
	ck_assert_msg(ans.count == 2, "got %zu records, want 2", ans.count);
	am_dns_answer_release(&ans);
}
END_TEST

START_TEST(test_local_aaaa)
{
	static const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 1 };
	struct am_dns_answer ans;

	am_dns_lookup(dns, "a.example", T_AAAA, 2000, &ans);
	want_result(&ans, "a.example AAAA", AM_DNS_OK);
	ck_assert_msg(ans.count == 1 && ans.len[0] == 16 &&
	    memcmp(ans.data[0], want, 16) == 0, "AAAA: got %zu bytes, want 16",
	    ans.count ? ans.len[0] : 0);
	am_dns_answer_release(&ans);
}
END_TEST

START_TEST(test_local_txt)
{
	want_txt(dns, "t.example", "v=spf1 ip4:192.0.2.0/24 -all");
	want_txt(dns, "long.example", X255 X45);
}
END_TEST

START_TEST(test_local_mx)
{
	static const uint8_t want[] = { 0, 10, 2, 'm', 'x', 7, 'e', 'x', 'a',
		'm', 'p', 'l', 'e', 0 };
	struct am_dns_answer ans;

	am_dns_lookup(dns, "m.example", T_MX, 2000, &ans);
	want_result(&ans, "m.example MX", AM_DNS_OK);
	ck_assert_msg(ans.count == 1 && ans.len[0] == sizeof(want) &&
	    memcmp(ans.data[0], want, sizeof(want)) == 0,
	    "MX: got %zu bytes, want %zu", ans.count ? ans.len[0] : 0,
	    sizeof(want));
	am_dns_answer_release(&ans);
}
END_TEST

START_TEST(test_local_negative)
{
	static const struct {
		const char *name;
		int type;
		enum am_dns_result want;
		int rcode;
	} cases[] = {
		{ "nope.example", T_A, AM_DNS_NXDOMAIN, 3 },
		{ "a.example", T_TXT, AM_DNS_NODATA, 0 },
		{ "m.example", T_A, AM_DNS_NODATA, 0 },
		{ "x.refused.example", T_A, AM_DNS_TEMPERROR, 5 },
		/* Sorts after the refuse zone, is not in it: must stay in
		 * the static "." zone (the root_relink() workaround). */
		{ "zzzzzzzzzz.example", T_A, AM_DNS_NXDOMAIN, 3 },
		{ "refusedx.example", T_TXT, AM_DNS_NXDOMAIN, 3 },
	};
	struct am_dns_answer ans;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		am_dns_lookup(dns, cases[i].name, cases[i].type, 1000, &ans);
		want_result(&ans, cases[i].name, cases[i].want);
		ck_assert_msg(ans.rcode == cases[i].rcode && ans.count == 0,
		    "%s: got rcode %d, want %d", cases[i].name, ans.rcode,
		    cases[i].rcode);
		am_dns_answer_release(&ans);
	}
	am_dns_lookup(dns, "x.refused.example", T_A, 2000, &ans);
	ck_assert_msg(strcmp(ans.why, "REFUSED") == 0, "got \"%s\", want "
	    "\"REFUSED\"", ans.why);
	am_dns_answer_release(&ans);
}
END_TEST

/* The counters (dns.h "Counters"): queries, answers by class, one latency
 * per answer; malformed names and a detached resolver count nothing. */
START_TEST(test_counters)
{
	static const struct {
		const char *name;
		int type;
		enum am_dns_class want;
	} cases[] = {
		{ "a.example", T_A, AM_DNS_CLASS_OK },
		{ "two.example", T_A, AM_DNS_CLASS_OK },
		{ "nope.example", T_A, AM_DNS_CLASS_NXDOMAIN },
		{ "a.example", T_TXT, AM_DNS_CLASS_NODATA },
		{ "x.refused.example", T_A, AM_DNS_CLASS_REFUSED },
	};
	unsigned long long want[AM_DNS_CLASS_COUNT] = { 0 };
	struct am_dns_counters *c = calloc(1, sizeof(*c));
	struct am_histogram_snapshot h;
	struct am_dns_answer ans;
	size_t i;

	ck_assert_ptr_nonnull(c);
	am_dns_lookup(dns, "a.example", T_A, 1000, &ans);	/* not attached */
	am_dns_answer_release(&ans);
	am_dns_set_counters(dns, c);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		am_dns_lookup(dns, cases[i].name, cases[i].type, 1000, &ans);
		am_dns_answer_release(&ans);
		want[cases[i].want]++;
	}
	am_dns_lookup(dns, "bad..example", T_A, 1000, &ans);	/* not sent */
	am_dns_answer_release(&ans);
	ck_assert_uint_eq(atomic_load(&c->queries), 5);
	for (i = 0; i < AM_DNS_CLASS_COUNT; i++)
		ck_assert_msg(atomic_load(&c->answers[i]) == want[i],
		    "%s: got %llu, want %llu", am_dns_class_name(i),
		    atomic_load(&c->answers[i]), want[i]);
	ck_assert_uint_eq(atomic_load(&c->timeouts), 0);
	am_histogram_load(&c->latency, &h);
	ck_assert_uint_eq(h.count, 5);
	ck_assert_uint_eq(h.cum[AM_HISTOGRAM_NBOUNDS], 5);
	am_dns_set_counters(dns, NULL);
	am_dns_lookup(dns, "a.example", T_A, 1000, &ans);
	am_dns_answer_release(&ans);
	ck_assert_uint_eq(atomic_load(&c->queries), 5);
	ck_assert_str_eq(am_dns_class_name(AM_DNS_CLASS_SERVFAIL), "servfail");
	ck_assert_str_eq(am_dns_class_name(AM_DNS_CLASS_COUNT), "invalid");
	free(c);
}
END_TEST

START_TEST(test_names)
{
	char label64[80], name254[300], name253[300];
	const struct {
		const char *name;
		bool is_malformed;
	} cases[] = {
		{ "", true }, { ".", false }, { "..", true }, { ".a", true },
		{ "a..example", true }, { "a.example..", true },
		{ "a\\.example", true }, { label64, true }, { name254, true },
		{ label64 + 1, false }, { name253, false },
	};
	struct am_dns_answer ans;
	size_t i;

	memset(label64, 'l', 64);
	(void)snprintf(label64 + 64, sizeof(label64) - 64, ".example");
	memset(name254, 'n', 254);
	name254[254] = '\0';
	for (i = 63; i < 254; i += 64)
		name254[i] = '.';
	(void)snprintf(name253, sizeof(name253), "%s.", name254 + 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		am_dns_lookup(dns, cases[i].name, T_A, 2000, &ans);
		ck_assert_msg((strcmp(ans.why, "malformed name") == 0) ==
		    cases[i].is_malformed, "\"%s\": got why \"%s\", want %s",
		    cases[i].name, ans.why, cases[i].is_malformed ?
		    "malformed name" : "a DNS answer");
		if (cases[i].is_malformed)
			ck_assert_msg(ans.result == AM_DNS_NXDOMAIN &&
			    ans.rcode == -1, "got %s rcode %d, want nxdomain "
			    "-1", am_dns_result_name(ans.result), ans.rcode);
		else
			ck_assert_msg(ans.result != AM_DNS_TEMPERROR,
			    "\"%s\": got temperror (%s), want an answer",
			    cases[i].name, ans.why);
		am_dns_answer_release(&ans);
	}
}
END_TEST

START_TEST(test_packet)
{
	static const uint8_t qname[] = { 1, 'a', 7, 'e', 'x', 'a', 'm', 'p',
		'l', 'e', 0, 0, T_A, 0, 1 };
	struct am_dns_answer ans;

	am_dns_lookup(dns, "a.example", T_A, 2000, &ans);
	ck_assert_msg(ans.packet_len >= 12 + sizeof(qname), "got packet_len "
	    "%zu, want >= %zu", ans.packet_len, 12 + sizeof(qname));
	/* RFC 1035 §4.1.1: QR set, rcode 0, QDCOUNT 1, ANCOUNT 1. */
	ck_assert_msg((ans.packet[2] & 0x80) && (ans.packet[3] & 0x0f) == 0,
	    "got flags %02x%02x, want QR and rcode 0", ans.packet[2],
	    ans.packet[3]);
	ck_assert_msg(ans.packet[4] == 0 && ans.packet[5] == 1, "got qdcount "
	    "%d, want 1", ans.packet[4] << 8 | ans.packet[5]);
	ck_assert_msg(ans.packet[6] == 0 && ans.packet[7] == 1, "got ancount "
	    "%d, want 1", ans.packet[6] << 8 | ans.packet[7]);
	ck_assert_msg(memcmp(ans.packet + 12, qname, sizeof(qname)) == 0,
	    "question section differs");
	am_dns_answer_release(&ans);
}
END_TEST

START_TEST(test_txt_malformed)
{
	uint8_t bad[] = { 5, 'a', 'b' }, good[] = { 2, 'a', 'b', 0, 1, 'c' };
	uint8_t *data[] = { bad, good };
	size_t len[] = { sizeof(bad), sizeof(good) };
	struct am_dns_answer ans = { .count = 2, .data = data, .len = len };
	struct am_buf b;

	am_buf_init(&b, 2);
	ck_assert_msg(am_dns_txt(&ans, 0, &b) == AM_PERMFAIL && b.len == 0,
	    "overlong string: got ok, want permfail");
	ck_assert_msg(am_dns_txt(&ans, 1, &b) == AM_PERMFAIL && b.len == 0,
	    "over the cap: got ok, want permfail");
	ck_assert_msg(am_dns_txt(&ans, 2, &b) == AM_PERMFAIL, "i >= count: "
	    "got ok, want permfail");
	b.max_len = 16;
	ck_assert_msg(am_dns_txt(&ans, 1, &b) == AM_OK && b.len == 3 &&
	    strcmp(am_buf_str(&b), "abc") == 0, "got \"%s\", want \"abc\"",
	    am_buf_str(&b));
	am_buf_release(&b);
}
END_TEST

START_TEST(test_new_errors)
{
	struct am_dns_opts bad_ns = { .nameservers = "127.0.0.1@53 bogus!" };
	struct am_dns_opts bad_ta = { .nameservers = "127.0.0.1",
		.trust_anchor_file = "/nonexistent/root.key" };
	struct am_why why = { "" };
	struct am_dns *d;

	d = am_dns_new(&bad_ns, &why);
	ck_assert_msg(d == NULL && strstr(why.text, "bogus!") != NULL,
	    "bad nameserver: got \"%s\", want it named", why.text);
	d = am_dns_new(&bad_ta, &why);
	ck_assert_msg(d == NULL && why.text[0] != '\0',
	    "bad trust anchor: got a context, want NULL");
	ck_assert_msg(am_dns_add_local(dns, "bad. IN A x", &why) ==
	    AM_PERMFAIL, "bad RR: got ok, want permfail");
	ck_assert(am_dns_free(NULL) == NULL);
	ck_assert(am_dns_query_free(NULL) == NULL);
	ck_assert_str_eq(am_dns_result_name(AM_DNS_NODATA), "nodata");
}
END_TEST

/* Misuse: freeing the context with a live query is an interface violation. */
START_TEST(test_free_live_query_panics)
{
	struct am_dns_query *q = am_dns_start(dns, "a.example", T_A);

	(void)q;
	dns = am_dns_free(dns);
}
END_TEST

/* canceller - start and drop queries (some after an expired wait) so that
 * cancels race the poller's callbacks: both ub_cancel() outcomes occur. */
static void *
canceller(void *arg)
{
	struct am_dns *d = arg;
	struct am_dns_answer ans;
	struct am_dns_query *q;
	void *bad = NULL;
	int i;

	for (i = 0; i < 2000; i++) {
		q = am_dns_start(d, i % 2 ? "a.example" : "nope.example", T_A);
		if (i % 3 == 0) {
			am_dns_wait(q, 0, &ans);	/* already expired */
			if (ans.result == AM_DNS_OK && ans.count != 1)
				bad = arg;
			am_dns_answer_release(&ans);
		}
		q = am_dns_query_free(q);
	}
	return bad;
}

/* Free before wait, from 8 threads; teardown frees the context with late
 * answers still in flight. */
START_TEST(test_free_before_wait)
{
	pthread_t tid[8];
	void *bad;
	int i, nbad = 0;

	for (i = 0; i < 8; i++)
		ck_assert(pthread_create(&tid[i], NULL, canceller, dns) == 0);
	for (i = 0; i < 8; i++) {
		(void)pthread_join(tid[i], &bad);
		nbad += bad != NULL;
	}
	ck_assert_msg(nbad == 0, "got %d threads with bad answers, want 0",
	    nbad);
}
END_TEST

/* The answer is handed to the callback, which is slowed down; the caller
 * times out, then frees: ub_cancel() says UB_NOID and the late callback must
 * release the orphaned query (valgrind/ASan see any use after free). */
START_TEST(test_late_callback)
{
	struct am_dns_answer ans;
	struct am_dns_query *q, *three[3];
	int i;

	am_dns_set_callback_delay(dns, 50000);
	/* Three at once: the one being delivered becomes an orphan
	 * (UB_NOID), the two still queued are cancelled (UB_NOERROR). */
	for (i = 0; i < 3; i++)
		three[i] = am_dns_start(dns, "a.example", T_A);
	(void)usleep(20000);
	three[1] = am_dns_query_free(three[1]);
	three[0] = am_dns_query_free(three[0]);
	three[2] = am_dns_query_free(three[2]);
	for (i = 0; i < 4; i++) {
		q = am_dns_start(dns, "a.example", T_A);
		if (i % 2 == 0) {
			am_dns_wait(q, am_dns_deadline(20), &ans);
			want_result(&ans, "a.example (slow callback)",
			    AM_DNS_TEMPERROR);
			am_dns_answer_release(&ans);
		} else
			(void)usleep(20000);
		q = am_dns_query_free(q);
	}
	/* The last orphan is still due: am_dns_free must wait for it. */
}
END_TEST

struct worker {
	struct am_dns *dns;	/* shared */
	int id;			/* thread number */
	int failures;		/* lookups that got a wrong answer */
};

/* worker_run - 500 lookups of alternating names on the shared context. */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct am_dns_answer ans;
	int i;

	for (i = 0; i < 500; i++) {
		switch ((i + w->id) % 3) {
		case 0:
			am_dns_lookup(w->dns, "a.example", T_A, 5000, &ans);
			w->failures += ans.result != AM_DNS_OK ||
			    ans.count != 1 || ans.data[0][3] != 1;
			break;
		case 1:
			am_dns_lookup(w->dns, "t.example", T_TXT, 5000, &ans);
			w->failures += ans.result != AM_DNS_OK;
			break;
		default:
			am_dns_lookup(w->dns, "nope.example", T_A, 5000, &ans);
			w->failures += ans.result != AM_DNS_NXDOMAIN;
		}
		am_dns_answer_release(&ans);
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct worker w[8];
	pthread_t tid[8];
	int i, failures = 0;

	for (i = 0; i < 8; i++) {
		w[i] = (struct worker){ .dns = dns, .id = i };
		ck_assert(pthread_create(&tid[i], NULL, worker_run, &w[i]) == 0);
	}
	for (i = 0; i < 8; i++) {
		(void)pthread_join(tid[i], NULL);
		failures += w[i].failures;
	}
	ck_assert_msg(failures == 0, "got %d wrong answers, want 0", failures);
}
END_TEST

/* Forwarder mode against a real unbound daemon; the cache outlives it. */
START_TEST(test_forwarder)
{
	static const char *const rrs[] = {
		"a.example. 300 IN A 192.0.2.1",
		"t.example. 300 IN TXT \"v=spf1 \" \"-all\"",
		"local-zone: \"refused.example.\" refuse",
		NULL
	};
	struct am_why why = { "" };
	struct am_testdns *t = am_testdns_start(rrs, &why);
	struct am_dns_opts opts = { 0 };
	struct am_dns_answer ans;
	struct am_dns *d;
	int pass;

	ck_assert_msg(t != NULL, "%s", why.text);
	opts.nameservers = am_testdns_addr(t);
	d = am_dns_new(&opts, &why);
	ck_assert_msg(d != NULL, "am_dns_new: %s", why.text);
	for (pass = 0; pass < 2; pass++) {
		am_dns_lookup(d, "a.example", T_A, 5000, &ans);
		want_result(&ans, pass ? "a.example (cached)" : "a.example",
		    AM_DNS_OK);
		ck_assert_msg(ans.count == 1 && ans.data[0][3] == 1,
		    "got %zu records, want 192.0.2.1", ans.count);
		am_dns_answer_release(&ans);
		want_txt(d, "t.example", "v=spf1 -all");
		if (pass == 0) {
			am_dns_lookup(d, "nope.example", T_A, 5000, &ans);
			want_result(&ans, "nope.example", AM_DNS_NXDOMAIN);
			am_dns_answer_release(&ans);
			am_dns_lookup(d, "x.refused.example", T_A, 5000, &ans);
			want_result(&ans, "x.refused.example",
			    AM_DNS_TEMPERROR);
			am_dns_answer_release(&ans);
			t = am_testdns_stop(t);
		}
	}
	d = am_dns_free(d);
}
END_TEST

/* A dead forwarder: the deadline, not libunbound's 17 s, ends the wait. */
START_TEST(test_timeout)
{
	char addr[32];
	struct am_dns_opts opts = { .nameservers = addr };
	struct am_why why = { "" };
	struct am_dns_answer ans;
	struct am_dns_query *q;
	struct timespec t0;
	struct am_dns *d;
	long ms;

	(void)snprintf(addr, sizeof(addr), "127.0.0.1@%u",
	    am_testdns_dead_port());
	d = am_dns_new(&opts, &why);
	ck_assert_msg(d != NULL, "am_dns_new: %s", why.text);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	am_dns_lookup(d, "a.example", T_A, 300, &ans);
	ms = ms_since(&t0);
	want_result(&ans, "a.example via a dead server", AM_DNS_TEMPERROR);
	ck_assert_msg(strcmp(ans.why, "timeout") == 0, "got \"%s\", want "
	    "\"timeout\"", ans.why);
	ck_assert_msg(ms >= 250 && ms < 5000, "got %ld ms, want ~300", ms);
	am_dns_answer_release(&ans);
	/* Freed unanswered, never waited; then the context with both
	 * queries still inside libunbound. */
	q = am_dns_start(d, "b.example", T_A);
	q = am_dns_query_free(q);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	d = am_dns_free(d);
	ms = ms_since(&t0);
	ck_assert_msg(ms < 5000, "am_dns_free: got %ld ms, want fast", ms);
}
END_TEST

/*
 * One budget for a message's lookups (dns_budget.h): the first lookup starts
 * it, a later one waits only until the same deadline, and once it has passed
 * a lookup fails at once, "timeout", without reaching libunbound.
 */
START_TEST(test_budget)
{
	char addr[32];
	struct am_dns_opts opts = { .nameservers = addr };
	struct am_why why = { "" };
	struct am_dns_budget *b = am_dns_budget_new(400);
	struct am_dns_counters c = { 0 };
	struct am_dns_answer ans;
	struct am_dns_query *q;
	struct timespec t0;
	unsigned long sent;
	uint64_t deadline;
	struct am_dns *d;
	long ms;

	(void)snprintf(addr, sizeof(addr), "127.0.0.1@%u",
	    am_testdns_dead_port());
	d = am_dns_new(&opts, &why);
	ck_assert_msg(d != NULL, "am_dns_new: %s", why.text);
	am_dns_set_counters(d, &c);
	ck_assert(!am_dns_budget_is_started(b));
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	q = am_dns_budget_start(b, d, "a.example", T_A);
	ck_assert(am_dns_budget_is_started(b));
	deadline = am_dns_budget_deadline(b);
	(void)usleep(100 * 1000);
	ck_assert(am_dns_budget_deadline(b) == deadline);
	am_dns_budget_wait(b, q, &ans);
	q = am_dns_query_free(q);
	want_result(&ans, "a.example, budget", AM_DNS_TEMPERROR);
	am_dns_answer_release(&ans);
	/* A second lookup started after 100 ms still ends at the first one's
	 * deadline: 400 ms in all, not 500. */
	ms = ms_since(&t0);
	ck_assert_msg(ms >= 350 && ms < 1500, "got %ld ms, want ~400", ms);
	ck_assert(am_dns_budget_is_spent(b));
	sent = am_dns_query_count(d);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	q = am_dns_budget_start(b, d, "b.example", T_A);
	am_dns_budget_wait(b, q, &ans);
	q = am_dns_query_free(q);
	ms = ms_since(&t0);
	want_result(&ans, "b.example, budget spent", AM_DNS_TEMPERROR);
	ck_assert_msg(strcmp(ans.why, "timeout") == 0, "got \"%s\", want "
	    "\"timeout\"", ans.why);
	ck_assert_msg(ms < 50, "got %ld ms, want at once", ms);
	ck_assert_uint_eq(am_dns_query_count(d), sent);
	am_dns_answer_release(&ans);
	/* counted: one query sent, two timeouts (the deadline, then the
	 * spent budget), no answer */
	ck_assert_uint_eq(atomic_load(&c.queries), 1);
	ck_assert_uint_eq(atomic_load(&c.timeouts), 2);
	ck_assert_uint_eq(atomic_load(&c.answers[AM_DNS_CLASS_OK]), 0);
	/* reset: the next message has its own budget */
	am_dns_budget_reset(b);
	ck_assert(!am_dns_budget_is_started(b) && !am_dns_budget_is_spent(b));
	b = am_dns_budget_free(b);
	d = am_dns_free(d);
}
END_TEST


/* dns_probe.h: the owner of a trust anchor, and the resolvers' names. */
START_TEST(test_probe_texts)
{
	char name[AM_DNS_MAX_NAME + 2], path[] = "/tmp/check_dns_XXXXXX";
	struct am_buf b;
	FILE *fp;
	int fd;

	ck_assert(am_dns_anchor_name(AM_TOP_SRCDIR
	    "/tests/data/dns/dnssec.example.ds", name, sizeof(name)));
	ck_assert_str_eq(name, "dnssec.example.");
	if (access("/usr/share/dns/root.key", R_OK) == 0) {
		ck_assert(am_dns_anchor_name("/usr/share/dns/root.key", name,
		    sizeof(name)));
		ck_assert_str_eq(name, ".");
	}
	ck_assert(!am_dns_anchor_name("/nonexistent", name, sizeof(name)));
	ck_assert_str_eq(name, "");
	am_buf_init(&b, 1024);
	am_dns_resolvers_text("127.0.0.1@5353, ::1", NULL, &b);
	ck_assert_str_eq(am_buf_str(&b), "127.0.0.1@5353, ::1");
	fd = mkstemp(path);
	ck_assert(fd >= 0 && (fp = fdopen(fd, "w")) != NULL);
	fputs("; comment\nsearch example\nnameserver 192.0.2.53\n"
	    "nameserver\t2001:db8::53 # second\n", fp);
	fclose(fp);
	am_dns_resolvers_text("", path, &b);
	ck_assert(strstr(am_buf_str(&b), " (192.0.2.53, 2001:db8::53)") !=
	    NULL);
	/* no nameserver line: libunbound asks 127.0.0.1 */
	fp = fopen(path, "w");
	fclose(fp);
	am_dns_resolvers_text(NULL, path, &b);
	ck_assert(strstr(am_buf_str(&b), " (127.0.0.1)") != NULL);
	unlink(path);
	am_buf_release(&b);
}
END_TEST


/* dns_suite - every case; the signal case only where Check forks. */
static Suite *
dns_suite(bool can_fork)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("local");
	TCase *tn = tcase_create("network");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup_local, teardown_local);
	tcase_add_test(tc, test_local_a);
	tcase_add_test(tc, test_local_aaaa);
	tcase_add_test(tc, test_local_txt);
	tcase_add_test(tc, test_local_mx);
	tcase_add_test(tc, test_local_negative);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_packet);
	tcase_add_test(tc, test_txt_malformed);
	tcase_add_test(tc, test_new_errors);
	tcase_add_test(tc, test_free_before_wait);
	tcase_add_test(tc, test_late_callback);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_probe_texts);
	if (can_fork)
		tcase_add_test_raise_signal(tc, test_free_live_query_panics,
		    SIGABRT);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tn, 120);
	tcase_add_test(tn, test_forwarder);
	tcase_add_test(tn, test_timeout);
	tcase_add_test(tn, test_budget);
	suite_add_tcase(s, tn);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	srunner_add_suite(sr, dns_suite(srunner_fork_status(sr) != CK_NOFORK));
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
