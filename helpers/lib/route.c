/* route.c - a ClusterDomainRoute read from the apiserver: its endpoint, Ready condition and
 * tokens, and what each Ready reason means (spec/troubleshooting.md section F) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

int
kc_api_get(struct kc_http *h, const char *server, const char *path, json_t **out)
{
	size_t sl = strlen(server);
	char *url;
	struct kc_resp r;
	int rc;

	*out = NULL;
	while (sl > 0 && server[sl - 1] == '/')
		sl--;
	url = kc_xasprintf("%.*s%s", (int)sl, server, path);
	if ((rc = kc_http_request(h, "GET", url, NULL, NULL, 0, &r)) == KC_OK)
		rc = kc_api_answer(url, &r, out);
	kc_resp_free(&r);
	free(url);
	return rc;
}

int
kc_api_answer(const char *url, const struct kc_resp *r, json_t **out)
{
	json_error_t e;
	char *m;
	int rc = KC_OK;

	*out = NULL;
	if (r->status == 200) {
		if ((*out = json_loadb(r->body, r->len, 0, &e)) == NULL || !json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			rc = kc_err(KC_EAPI, "GET '%s': the answer is not a JSON object", url);
		}
	} else if (r->status != 404) {
		m = kc_status_message(r);
		rc = kc_err(KC_EAPI, "GET '%s': %s%s", url, m, r->status == 401 ?
		    " -- check the kubeconfig's client certificate or token" : "");
		free(m);
	}
	return rc;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? kc_xstrdup(s) : NULL;
}

/* the newest entry of a token list (the list keeps the last two, newest last) */
static void
tokens_read(json_t *list, struct kc_route_tokens *t)
{
	json_t *last;
	json_int_t rev = -1;
	int ready = 0;
	const char *exp = NULL;

	t->n = json_is_array(list) ? json_array_size(list) : 0;
	t->revision = -1;
	if (t->n == 0)
		return;
	last = json_array_get(list, t->n - 1);
	json_unpack(last, "{s?I, s?b, s?s}", "revision", &rev, "isReady", &ready,
	    "expirationTime", &exp);
	t->revision = rev;
	t->ready = ready;
	t->expires = dup_or_null(exp);
}

/* the port the handshake uses: the only one, else the first HTTP one (routes-and-tokens 3.2) */
static json_t *
handshake_port(json_t *ports)
{
	size_t i;
	const char *proto;

	if (!json_is_array(ports) || json_array_size(ports) == 0)
		return NULL;
	for (i = 0; i < json_array_size(ports); i++) {
		proto = json_string_value(json_object_get(json_array_get(ports, i), "protocol"));
		if (proto != NULL && strcmp(proto, "HTTP") == 0)
			return json_array_get(ports, i);
	}
	return json_array_get(ports, 0);
}

void
kc_route_from_json(json_t *cdr, struct kc_route *r)
{
	const char *name = NULL, *src = NULL, *dst = NULL, *host = NULL, *prefix = NULL;
	json_t *ports = NULL, *port, *conds = NULL, *c, *ts = NULL;
	json_int_t num = 0;
	int tls = 0;
	size_t i;

	r->exists = 1;
	json_unpack(cdr, "{s?{s?s}, s?{s?s, s?s, s?{s?s, s?o}}}", "metadata", "name", &name,
	    "spec", "source", &src, "destination", &dst, "endpoint", "host", &host,
	    "ports", &ports);
	if (name != NULL) {
		free(r->name);
		r->name = kc_xstrdup(name);
	}
	r->source = dup_or_null(src);
	r->destination = dup_or_null(dst);
	if (host != NULL && *host != '\0' && (port = handshake_port(ports)) != NULL) {
		json_unpack(port, "{s?I, s?b, s?s}", "port", &num, "isTLS", &tls, "pathPrefix",
		    &prefix);
		r->host = kc_xstrdup(host);
		r->port = num > 0 && num <= 65535 ? (int)num : 0;
		r->tls = tls;
		r->prefix = kc_xstrdup(prefix != NULL && *prefix != '\0' ? prefix : "/");
		r->endpoint = kc_xasprintf("%s://%s:%d%s%s", tls ? "https" : "http", host, r->port,
		    r->prefix[0] == '/' ? "" : "/", r->prefix);
	}
	json_unpack(cdr, "{s?{s?o, s?o}}", "status", "conditions", &conds, "tokenStatus", &ts);
	for (i = 0; json_is_array(conds) && i < json_array_size(conds); i++) {
		const char *type = NULL, *st = NULL, *reason = NULL, *msg = NULL, *since = NULL;

		c = json_array_get(conds, i);
		json_unpack(c, "{s?s, s?s, s?s, s?s, s?s}", "type", &type, "status", &st, "reason",
		    &reason, "message", &msg, "lastTransitionTime", &since);
		if (type == NULL || strcmp(type, "Ready") != 0)
			continue;
		r->has_ready = 1;
		r->ready = st != NULL && strcmp(st, "True") == 0;
		r->reason = dup_or_null(reason != NULL && *reason != '\0' ? reason : NULL);
		r->message = dup_or_null(msg);
		r->since = dup_or_null(since);
		break;
	}
	tokens_read(json_object_get(ts, "sourceTokens"), &r->src);
	tokens_read(json_object_get(ts, "destinationTokens"), &r->dst);
}

int
kc_route_read(struct kc_http *h, const char *server, const char *name, struct kc_route *r)
{
	const struct kc_kind *k = kc_kind_find("kuscia.secretflow/v1alpha1", "ClusterDomainRoute");
	char *path = kc_kind_path(k, NULL, name);
	json_t *doc = NULL;
	int rc;

	kc_route_free(r);
	r->name = kc_xstrdup(name);
	r->src.revision = r->dst.revision = -1;
	if ((rc = kc_api_get(h, server, path, &doc)) == KC_OK && doc != NULL)
		kc_route_from_json(doc, r);
	json_decref(doc);
	free(path);
	return rc;
}

void
kc_route_free(struct kc_route *r)
{
	free(r->name);
	free(r->source);
	free(r->destination);
	free(r->endpoint);
	free(r->host);
	free(r->prefix);
	free(r->reason);
	free(r->message);
	free(r->since);
	free(r->src.expires);
	free(r->dst.expires);
	memset(r, 0, sizeof *r);
	r->src.revision = r->dst.revision = -1;
}

/* spec/troubleshooting.md section F: a Ready state -> one line of explanation and the next
 * step. {P} is the peer, {S} our own domain, {R} the route's name, {E} its endpoint. */
static const struct advice {
	const char *reason;	/* NULL: the end */
	const char *text, *fix;
} advice[] = {
	{"DestinationIsNotAuthrized",
	 "the handshake with {P} never succeeded (peer unreachable, {P} lacks our Domain, or a "
	 "certificate mismatch)",
	 "run: kc route-check {R}; look for 'handshake fail' in var/logs/kuscia.log"},
	{"DestinationIsNotAuthorized",
	 "the handshake with {P} never succeeded (peer unreachable, {P} lacks our Domain, or a "
	 "certificate mismatch)",
	 "run: kc route-check {R}; look for 'handshake fail' in var/logs/kuscia.log"},
	{"TokenNotGenerate",
	 "no valid token at the moment (cleared by {P} or not yet generated); a new handshake "
	 "follows",
	 "wait for it: kc route-check status {R} --wait 2m"},
	{"DestinationUnreachable",
	 "tokens exist but {P} has not answered heartbeats for 45 s or more (network change, "
	 "{P} down)",
	 "check that {P} is up: kc route-check probe {E} --expect {P}"},
	{"HeartBeatTimeout",
	 "{P} stopped sending heartbeats to us for more than 30 s",
	 "check {P}'s route to us: on {P} run: kc route-check {P}-{S}"},
	{"TokenRevisionNotMatch",
	 "the two sides disagree about the token revision; usually transient during rotation",
	 "check again in a minute: kc route-check status {R} --wait 2m"},
	{NULL, NULL, NULL},
};

static char *
fill(const char *tmpl, const char *const v4[4])
{
	size_t cap = strlen(tmpl) + 1, len = 0, add;
	char *s = kc_xmalloc(cap);
	const char *p, *v;

	for (p = tmpl; *p != '\0'; p++) {
		v = NULL;
		if (p[0] == '{' && p[1] != '\0' && p[2] == '}')
			v = p[1] == 'P' ? v4[0] : p[1] == 'S' ? v4[1] : p[1] == 'R' ? v4[2] :
			    p[1] == 'E' ? v4[3] : NULL;
		add = v != NULL ? strlen(v) : 1;
		if (add > SIZE_MAX / 2 - cap)
			kc_die(KC_ESYS, "out of memory");
		if (len + add + 1 > cap)
			s = kc_xrealloc(s, cap = (len + add + 1) * 2);
		if (v != NULL) {
			memcpy(s + len, v, add);
			p += 2;
		} else
			s[len] = *p;
		len += add;
	}
	s[len] = '\0';
	return s;
}

int
kc_route_advice(const struct kc_route *r, const char *self, char **text, char **fix)
{
	const char *peer = r->source != NULL && self != NULL && strcmp(r->source, self) == 0 ?
	    r->destination : r->source;
	const char *v[4] = {
		peer != NULL ? peer : "the peer", self != NULL ? self : "SELF",
		r->name != NULL ? r->name : "ROUTE", r->endpoint != NULL ? r->endpoint : "ENDPOINT",
	};
	const struct advice *a;

	*fix = NULL;
	if (!r->has_ready) {
		*text = fill("not processed yet: the Domain for {P} is missing or has no "
		    "certificate", v);
		*fix = fill("run: add_domain.sh {P} p2p (with var/certs/{P}.domain.crt in place)",
		    v);
		return 0;
	}
	if (r->ready) {
		*text = kc_xstrdup("OK");
		return 1;
	}
	for (a = advice; r->reason != NULL && a->reason != NULL; a++)
		if (strcmp(a->reason, r->reason) == 0) {
			*text = fill(a->text, v);
			*fix = fill(a->fix, v);
			return 1;
		}
	*text = r->reason != NULL ? kc_xasprintf("not Ready for a reason kc does not know: '%s'",
	    r->reason) : kc_xstrdup("not Ready, no reason given");
	*fix = kc_xstrdup("look at var/logs/kuscia.log");
	return 0;
}

/* CONTRACTS.md section 7: a route that does not exist is SELF-DEST */
const char *
kc_route_dest(const char *name, const char *self)
{
	size_t n = self != NULL ? strlen(self) : 0;

	if (n > 0 && strncmp(name, self, n) == 0 && name[n] == '-' && name[n + 1] != '\0')
		return name + n + 1;
	return NULL;
}

const char *
kc_route_state(const struct kc_route *r)
{
	if (!r->exists)
		return "does not exist";
	if (!r->has_ready)
		return "no Ready condition";
	return r->ready ? "Ready True" : "Ready False";
}

/* a JSON string, null for NULL. jansson refuses bytes that are not UTF-8 (json_string is
 * NULL, and so the whole document): a route name from the command line, our domainID or a
 * text built from them may hold any byte; such a string is shown as kc_text_clean makes it
 * ('?' for those bytes and control characters). NULL only when out of memory. */
static json_t *
jstr(const char *s)
{
	json_t *j;
	char *t;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	t = kc_xstrdup(s);
	kc_text_clean(t);
	j = json_string(t);
	free(t);
	return j;
}

static json_t *
tokens_json(const struct kc_route_tokens *t)
{
	if (t->n == 0)
		return json_null();
	return json_pack("{s:I, s:b, s:o, s:I}", "revision", (json_int_t)t->revision, "ready",
	    t->ready, "expirationTime", jstr(t->expires), "count", (json_int_t)t->n);
}

json_t *
kc_route_json(const struct kc_route *r, const char *text, const char *fix)
{
	return json_pack("{s:o, s:b, s:o, s:o, s:o, s:b, s:s?, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o}",
	    "route", jstr(r->name), "exists", r->exists, "source", jstr(r->source),
	    "destination", jstr(r->destination), "endpoint", jstr(r->endpoint), "ready", r->ready,
	    "status", r->has_ready ? (r->ready ? "True" : "False") : NULL,
	    "reason", jstr(r->reason), "message", jstr(r->message),
	    "lastTransitionTime", jstr(r->since), "explanation", jstr(text), "fix", jstr(fix),
	    "sourceTokens", tokens_json(&r->src), "destinationTokens", tokens_json(&r->dst));
}

int
kc_duration_ms(const char *s, long *ms)
{
	static const struct {
		const char *unit;
		long ms;
	} units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	char *end;
	long n;
	size_t i;

	if (*s < '0' || *s > '9')
		return KC_EUSAGE;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0)
		return KC_EUSAGE;
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].unit) == 0) {
			if (n > 7L * 86400000 / units[i].ms)	/* a week at most */
				return KC_EUSAGE;
			*ms = n * units[i].ms;
			return KC_OK;
		}
	return KC_EUSAGE;
}
