/*
 * tls_policy.c - RequireTLS rules: parse once at configuration load, check
 * at MAIL FROM. The reason texts follow Postfix's replies ("Must issue a
 * STARTTLS command first", RFC 3207 §4); the codes are the decision's.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "tls/tls_policy.h"

struct rule {
	int port;			/* 0 = any */
	char *daemon;			/* owned, or NULL = any */
	char *from;			/* owned, or NULL = any */
	struct am_netset *client;	/* owned, or NULL = any */
	int min_rank;			/* am_tls_version_rank(); 0 = any TLS */
	char min_name[16];		/* the version as written */
	enum am_tls_policy_action action;
};

struct am_tls_policy {
	size_t n;
	struct rule *rules;		/* owned array of n */
};

static void
rule_release(struct rule *r)
{
	free(r->daemon);
	free(r->from);
	r->client = am_netset_free(r->client);
}

struct am_tls_policy *
am_tls_policy_free(struct am_tls_policy *p)
{
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < p->n; i++)
		rule_release(&p->rules[i]);
	free(p->rules);
	free(p);
	return NULL;
}

size_t
am_tls_policy_count(const struct am_tls_policy *p)
{
	return p ? p->n : 0;
}

static bool
parse_min(struct rule *r, const char *v, struct am_why *why)
{
	if ((r->min_rank = am_tls_version_rank(v)) == 0) {
		am_why_set(why, "unknown TLS version \"%s\" (TLSv1, TLSv1.1, "
		    "TLSv1.2, TLSv1.3)", v);
		return false;
	}
	AM_SNPRINTF_FIT(r->min_name, sizeof(r->min_name), "%s", v);	/* known */
	return true;
}

/* parse_item - one key=value of a rule. */
static bool
parse_item(struct rule *r, const char *key, const char *v, struct am_why *why)
{
	char *end;
	long port;

	if (strcasecmp(key, "port") == 0) {
		port = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || port < 1 || port > 65535) {
			am_why_set(why, "bad port \"%s\"", v);
			return false;
		}
		r->port = (int)port;
	} else if (strcasecmp(key, "daemon") == 0 && r->daemon == NULL) {
		r->daemon = am_xstrdup(v);
	} else if (strcasecmp(key, "from") == 0 && r->from == NULL) {
		r->from = am_xstrdup(v);
	} else if (strcasecmp(key, "client") == 0) {
		if (r->client == NULL)
			r->client = am_netset_new();
		return am_netset_add(r->client, v, why) == AM_OK;
	} else if (strcasecmp(key, "min") == 0) {
		return parse_min(r, v, why);
	} else if (strcasecmp(key, "action") == 0) {
		if (strcasecmp(v, "reject") == 0)
			r->action = AM_TLS_POLICY_REJECT;
		else if (strcasecmp(v, "tempfail") == 0)
			r->action = AM_TLS_POLICY_TEMPFAIL;
		else if (strcasecmp(v, "tag") == 0)
			r->action = AM_TLS_POLICY_TAG;
		else {
			am_why_set(why, "bad action \"%s\" (reject, tempfail, "
			    "tag)", v);
			return false;
		}
	} else {
		am_why_set(why, "unknown or repeated item \"%s\"", key);
		return false;
	}
	return true;
}

/* parse_rule - white-space separated items of one rule in text (modified). */
static bool
parse_rule(struct rule *r, char *text, struct am_why *why)
{
	char *item, *save = NULL, *eq;

	memset(r, 0, sizeof(*r));
	r->action = AM_TLS_POLICY_REJECT;
	for (item = strtok_r(text, " \t", &save); item != NULL;
	    item = strtok_r(NULL, " \t", &save)) {
		if ((eq = strchr(item, '=')) == NULL || eq == item) {
			am_why_set(why, "\"%s\" is not key=value", item);
			return false;
		}
		*eq = '\0';
		if (!parse_item(r, item, eq + 1, why))
			return false;
	}
	if (!r->port && !r->daemon && !r->from && !r->client) {
		am_why_set(why, "a rule needs port=, daemon=, from= or client=");
		return false;
	}
	return true;
}

/* is_blank - only white space? */
static bool
is_blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

struct am_tls_policy *
am_tls_policy_parse(const char *value, struct am_why *why)
{
	struct am_tls_policy *p = am_xcalloc(1, sizeof(*p));
	char *copy = am_xstrdup(value ? value : ""), *save = NULL, *text;
	struct am_why inner;
	struct rule r;

	for (text = strtok_r(copy, ";", &save); text != NULL;
	    text = strtok_r(NULL, ";", &save)) {
		if (is_blank(text))
			continue;
		if (!parse_rule(&r, text, &inner)) {
			rule_release(&r);
			am_why_set(why, "rule %zu: %s", p->n + 1, inner.text);
			free(copy);
			return am_tls_policy_free(p);
		}
		p->rules = am_xreallocarray(p->rules, p->n + 1,
		    sizeof(*p->rules));
		p->rules[p->n++] = r;
	}
	free(copy);
	return p;
}

/* domain_matches - exact, or ".d" matching d and its subdomains. */
static bool
domain_matches(const char *pattern, const char *sender)
{
	const char *at = sender ? strrchr(sender, '@') : NULL;
	const char *dom = at ? at + 1 : sender;
	size_t dl, pl;

	if (dom == NULL || *dom == '\0')
		return false;
	if (pattern[0] != '.')
		return strcasecmp(pattern, dom) == 0;
	if (strcasecmp(pattern + 1, dom) == 0)
		return true;
	dl = strlen(dom);
	pl = strlen(pattern);
	return dl > pl && strcasecmp(dom + dl - pl, pattern) == 0;
}

static bool
rule_matches(const struct rule *r, const struct am_tls_policy_input *in)
{
	if (r->port && r->port != in->status->port)
		return false;
	if (r->daemon && strcasecmp(r->daemon, in->status->daemon) != 0)
		return false;
	if (r->from && !domain_matches(r->from, in->sender))
		return false;
	if (r->client && (in->client == NULL ||
	    !am_netset_contains(r->client, in->client)))
		return false;
	return true;
}

/* rule_violated - the reason text when the connection fails the rule. */
static bool
rule_violated(const struct rule *r, const struct am_tls_policy_input *in,
    struct am_why *why)
{
	const struct am_tls_status *st = in->status;
	int min_rank = r->min_rank;
	const char *min_name = r->min_name;

	if (st->mode == AM_TLS_NONE) {
		am_why_set(why, "Must issue a STARTTLS command first");
		return true;
	}
	if (min_rank == 0 && in->min_default != NULL) {
		min_rank = am_tls_version_rank(in->min_default);
		min_name = in->min_default;
	}
	if (min_rank && am_tls_version_rank(st->version) < min_rank) {
		am_why_set(why, "TLS protocol %s is below the required %s",
		    st->version[0] ? st->version : "(unknown)", min_name);
		return true;
	}
	return false;
}

enum am_tls_policy_action
am_tls_policy_check(const struct am_tls_policy *p,
    const struct am_tls_policy_input *in, struct am_why *why)
{
	enum am_tls_policy_action worst = AM_TLS_POLICY_OK;
	struct am_why reason;
	size_t i;

	for (i = 0; p != NULL && i < p->n; i++) {
		if (!rule_matches(&p->rules[i], in) ||
		    !rule_violated(&p->rules[i], in, &reason))
			continue;
		if (p->rules[i].action > worst) {
			worst = p->rules[i].action;
			am_why_set(why, "%s", reason.text);
		}
	}
	return worst;
}

const char *
am_tls_policy_action_name(enum am_tls_policy_action a)
{
	switch (a) {
	case AM_TLS_POLICY_OK:
		return "ok";
	case AM_TLS_POLICY_TAG:
		return "tag";
	case AM_TLS_POLICY_TEMPFAIL:
		return "tempfail";
	case AM_TLS_POLICY_REJECT:
		return "reject";
	}
	return "invalid";
}
