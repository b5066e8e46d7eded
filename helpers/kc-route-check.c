/* kc-route-check - endpoints, probes, route status and the diagnosis of a whole route */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "kc.h"

static const char usage_text[] =
	"Usage: kc route-check NAME [--kubeconfig FILE] [--timeout S] [-o text|json]\n"
	"       kc route-check status NAME [--wait DURATION] [--kubeconfig FILE] [-o text|json]\n"
	"       kc route-check probe URL [--expect PEER] [--from SELF] [--timeout S] [-k]\n"
	"                                [-o text|json]\n"
	"       kc route-check endpoint URL [-o text|json]\n"
	"\n"
	"Check peer endpoints and the routes between Kuscia nodes.\n"
	"\n"
	"NAME is a ClusterDomainRoute name: source and destination come from its spec; if it does\n"
	"not exist, the source is this node's domainID and the destination the rest after 'SRC-'.\n"
	"\n"
	"With no subcommand, diagnose the route NAME, in order: the route exists; our Domain for\n"
	"the peer exists, is a partner and has a certificate; that certificate is the peer's (CN,\n"
	"RSA) and the one in var/certs/PEER.domain.crt; our domain.crt matches domain.key; the\n"
	"endpoint answers as the peer's Kuscia gateway; the peer has registered us (the read-only\n"
	"GET /handshake probe); the route is Ready. One line per check,\n"
	"'STATUS CHECK: finding[ -- fix]' with STATUS ok, warn, FAIL or skip; with -o json\n"
	"{\"route\",\"source\",\"destination\",\"checks\":[{\"status\",\"check\",\"finding\",\n"
	"\"fix\"}],\"firstFailure\",\"ok\"}, whatever the outcome.\n"
	"\n"
	"Subcommands:\n"
	"  status NAME    the route's Ready condition and reason explained in one line with the\n"
	"                 next step, its token revisions and expiry. --wait polls until Ready.\n"
	"  probe URL      DNS, TCP connect, TLS, HTTP: is a Kuscia gateway answering at URL (a\n"
	"                 401 from server kuscia-gateway naming its domain)? One line per stage.\n"
	"                 --expect PEER verifies TLS against var/certs/PEER.domain.crt, the\n"
	"                 certificate's CN PEER_ENVOY_EXTERNAL and the domain in the answer;\n"
	"                 --from SELF asks (GET /handshake, never a POST) whether PEER has\n"
	"                 registered SELF.\n"
	"  endpoint URL   validate and split an endpoint exactly as join_to_host.sh does:\n"
	"                 scheme http or https (any case; none means http), host (IPv4 or\n"
	"                 host name), port 1..65535 (default 443 for https, 80 for http),\n"
	"                 path prefix (default /). Prints 'HOST PORT PATH ISTLS', or with\n"
	"                 -o json {\"host\":..,\"port\":N,\"pathPrefix\":..,\"isTLS\":bool}.\n"
	"\n"
	"Options:\n"
	"      --expect PEER       probe: the domain that must answer\n"
	"      --from SELF         probe: our domain, for the handshake probe\n"
	"  -k, --insecure          probe: do not verify the certificate (a warning)\n"
	"      --timeout S         probe and diagnosis: per request, default 5 (30s, 500ms ...)\n"
	"      --wait DURATION     status: wait until Ready (30s, 2m or seconds)\n"
	"      --kubeconfig FILE   else $KUBECONFIG, else $KUSCIA_ROOT/etc/kubeconfig\n"
	"  -o, --output FORMAT     text (default) or json\n"
	"  -h, --help              show this help\n"
	"      --version           print the version\n"
	"\n"
	"Exit status: 0 yes (Ready, a gateway, no FAIL), 1 no (not Ready, no such route, the peer\n"
	"has not registered us, a FAIL), 2 bad command line, 3 invalid endpoint, 4 no kubeconfig\n"
	"or node folder, 5 unreachable or no answer in time, 6 the server answered an error,\n"
	"7 TLS, 8 not a Kuscia gateway or the wrong one, 124 --wait ran out.\n";

enum { O_OUTPUT, O_EXPECT, O_FROM, O_INSECURE, O_TIMEOUT, O_WAIT, O_KUBECONFIG, O_EXPLAIN };
#define BIT(o) (1u << (o))

struct opts {
	const char *output, *expect, *from, *kubeconfig, *explain;
	long timeout_ms, wait_ms;
	int insecure, json;
	unsigned seen;
};

/* ---- endpoint ------------------------------------------------------------------------ */

static int
cmd_endpoint(const struct opts *o, const char *url)
{
	struct kc_endpoint ep;
	int rc;

	if ((rc = kc_endpoint_parse(url, &ep)) != KC_OK)
		return rc;
	if (o->json)
		rc = kc_json_print(json_pack("{s:s, s:i, s:s, s:b}", "host", ep.host, "port",
		    ep.port, "pathPrefix", ep.path, "isTLS", ep.tls));
	else if (printf("%s %d %s %s\n", ep.host, ep.port, ep.path, ep.tls ? "true" : "false") < 0)
		rc = KC_ESYS;
	kc_endpoint_free(&ep);
	return rc;
}

/* ---- probe --------------------------------------------------------------------------- */

static int
cmd_probe(const struct opts *o, const char *url)
{
	struct kc_probe_opts po = {
		.url = url, .expect = o->expect, .from = o->from, .timeout_ms = o->timeout_ms,
		.insecure = o->insecure,
	};
	struct kc_probe p;
	int rc = kc_probe_run(&po, &p), i, prc = KC_OK;

	if (rc == KC_EINPUT && p.url == NULL)	/* a bad URL: said already */
		goto out;
	if (o->json)
		prc = kc_json_print(kc_probe_json(&p));
	else
		for (i = 0; i < KC_PROBE_STAGES && prc == KC_OK; i++)
			prc = kc_check_print(&p.stage[i]);
	if (prc != KC_OK)
		rc = prc;
out:
	kc_probe_free(&p);
	return rc;
}

/* ---- status -------------------------------------------------------------------------- */

/* our domainID from kuscia.yaml, or NULL when there is none (quietly) */
static char *
self_id(void)
{
	char *path = kc_root_path("etc/conf/kuscia.yaml"), *v = NULL;

	if (!kc_path_exists(path) || kc_conf_get("domainID", &v) != KC_OK)
		v = NULL;
	free(path);
	return v;
}

/* CONTRACTS.md section 7: a route that does not exist is SELF-DEST */
static const char *
dest_of(const char *name, const char *self)
{
	size_t n = self != NULL ? strlen(self) : 0;

	if (n > 0 && strncmp(name, self, n) == 0 && name[n] == '-' && name[n + 1] != '\0')
		return name + n + 1;
	return NULL;
}

static const char *
state_word(const struct kc_route *r)
{
	if (!r->exists)
		return "does not exist";
	if (!r->has_ready)
		return "no Ready condition";
	return r->ready ? "Ready True" : "Ready False";
}

static int
tokens_print(const char *label, const struct kc_route_tokens *t)
{
	if (t->n == 0)
		return printf("%s: none\n", label);
	return printf("%s: revision %lld, %s, expires %s\n", label, t->revision,
	    t->ready ? "ready" : "not ready", t->expires != NULL ? t->expires : "-");
}

static int
status_print(const struct opts *o, const struct kc_route *r, const char *self)
{
	char *text = NULL, *fix = NULL;
	const char *dst;
	int rc = KC_OK;

	if (!r->exists) {
		dst = dest_of(r->name, self);
		text = kc_xasprintf("no ClusterDomainRoute '%s'", r->name);
		fix = kc_xasprintf("run: join_to_host.sh %s %s https://HOST:PORT (%s's public "
		    "gateway)", self != NULL ? self : "SELF", dst != NULL ? dst : "PEER",
		    dst != NULL ? dst : "the peer");
	} else
		kc_route_advice(r, self, &text, &fix);
	if (o->json) {
		rc = kc_json_print(kc_route_json(r, text, fix));
		goto out;
	}
	if (r->exists)
		printf("route: %s (%s -> %s, %s)\n", r->name, r->source != NULL ? r->source : "?",
		    r->destination != NULL ? r->destination : "?",
		    r->endpoint != NULL ? r->endpoint : "no endpoint");
	else
		printf("route: %s (does not exist)\n", r->name);
	printf("ready: %s\n", r->ready ? "True" : "False");
	printf("reason: %s\n", r->reason != NULL ? r->reason : "-");
	printf("explanation: %s\n", text);
	if (fix != NULL)
		printf("fix: %s\n", fix);
	if (r->exists) {
		tokens_print("sourceTokens", &r->src);
		tokens_print("destinationTokens", &r->dst);
	}
	if (ferror(stdout))
		rc = KC_ESYS;
out:
	free(text);
	free(fix);
	return rc;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* --wait: a progress line on a terminal, else one line per change of state */
static void
progress(const struct kc_route *r, char **last, long elapsed, int tty, int *width)
{
	char *now = kc_xasprintf("%s%s%s%s", state_word(r), r->reason != NULL ? " (" : "",
	    r->reason != NULL ? r->reason : "", r->reason != NULL ? ")" : "");
	int changed = *last == NULL || strcmp(*last, now) != 0, n;

	if (tty) {
		n = fprintf(stderr, "\r%s: waiting for %s: %s, %ld s", kc_prog, r->name, now,
		    elapsed / 1000);
		if (n > 0 && n < *width)
			fprintf(stderr, "%*s", *width - n, "");
		if (n > *width)
			*width = n;
	} else if (changed)
		fprintf(stderr, "%s: %s: %s after %.1f s\n", kc_prog, r->name, now,
		    (double)elapsed / 1000.0);
	free(*last);
	*last = now;
}

static int
cmd_explain(const struct opts *o)
{
	struct kc_route r = {.name = (char *)"SELF-PEER", .source = (char *)"SELF",
			     .destination = (char *)"PEER", .exists = 1};
	char *text, *fix;
	int known, rc;

	if (strcmp(o->explain, "none") != 0) {
		r.has_ready = 1;
		r.ready = strcmp(o->explain, "True") == 0;
		r.reason = r.ready ? NULL : (char *)o->explain;
	}
	known = kc_route_advice(&r, "SELF", &text, &fix) || !r.has_ready;
	if (o->json)
		rc = kc_json_print(json_pack("{s:s, s:b, s:s, s:s?}", "reason", o->explain, "known",
		    known, "explanation", text, "fix", fix));
	else
		rc = printf("%s: %s%s%s\n", o->explain, text, fix != NULL ? " -- " : "",
		    fix != NULL ? fix : "") < 0 ? KC_ESYS : KC_OK;
	free(text);
	free(fix);
	return rc != KC_OK ? rc : known ? KC_OK : KC_EFAIL;
}

static int
api_open(const struct opts *o, struct kc_kubeconfig *kc, struct kc_http **h)
{
	int rc;

	if ((rc = kc_kubeconfig_load(o->kubeconfig, kc)) != KC_OK)
		return rc;
	return kc_http_from_kubeconfig(kc, o->timeout_ms, h);
}

static int
cmd_status(const struct opts *o, const char *name)
{
	struct kc_kubeconfig kc = {0};
	struct kc_http *h = NULL;
	struct kc_route r = {0};
	char *self = NULL, *last = NULL;
	long start = now_ms(), left;
	int rc, tty = isatty(STDERR_FILENO), width = 0;

	if (!kc_object_name_valid(name))
		return kc_err(KC_EUSAGE, "invalid route name '%s'", name);
	if ((rc = api_open(o, &kc, &h)) != KC_OK)
		goto out;
	for (;;) {
		if ((rc = kc_route_read(h, kc.server, name, &r)) != KC_OK)
			goto out;
		if (r.ready || !(o->seen & BIT(O_WAIT)))
			break;
		left = o->wait_ms - (now_ms() - start);
		progress(&r, &last, now_ms() - start, tty, &width);
		if (left <= 0) {
			rc = KC_ETIMEOUT;
			break;
		}
		sleep_ms(left < 200 ? left : 200);
	}
	if (tty && width > 0)
		fputc('\n', stderr);
	self = self_id();
	if (rc == KC_ETIMEOUT)
		kc_err(rc, "route '%s' is not Ready after %.1f s: %s%s%s", name,
		    (double)o->wait_ms / 1000.0, state_word(&r), r.reason != NULL ? ", " : "",
		    r.reason != NULL ? r.reason : "");
	else
		rc = r.ready ? KC_OK : KC_EFAIL;
	if ((left = status_print(o, &r, self)) != KC_OK)
		rc = (int)left;
out:
	free(last);
	free(self);
	kc_route_free(&r);
	kc_http_free(h);
	kc_kubeconfig_free(&kc);
	return rc;
}

/* ---- the diagnosis ------------------------------------------------------------------- */

enum { D_ROUTE, D_DOMAIN, D_PEER_CERT, D_OWN_CERT, D_ENDPOINT, D_REGISTERED, D_READY, D_N };

static const char *const check_names[D_N] = {
	"route", "peer-domain", "peer-cert", "own-cert", "endpoint", "peer-registration", "ready"
};

struct diag {
	struct kc_check c[D_N];
	const char *self, *peer, *name;
	struct kc_route r;
	struct kc_http *h;
	const char *server;
	X509 *peer_cert;	/* from Domain PEER's spec.cert */
};

static void
put(struct kc_check *c, const char *status, char *finding, char *fix)
{
	c->status = status;
	c->finding = finding;
	c->fix = fix;
}

static const char *
api_failure(int rc)
{
	return rc == KC_ENET ? "the apiserver is unreachable" : rc == KC_ETLS ?
	    "TLS with the apiserver failed" : "the apiserver refused the request";
}

static int
check_route(struct diag *d, int rc)
{
	struct kc_check *c = &d->c[D_ROUTE];
	const struct kc_route *r = &d->r;
	const char *dst;

	if (rc != KC_OK) {
		put(c, "FAIL", kc_xasprintf("cannot read ClusterDomainRoute '%s': %s", d->name,
		    api_failure(rc)), kc_xstrdup("is the node running? check the kubeconfig (see "
		    "the message above)"));
		return 0;
	}
	if (!r->exists) {
		dst = dest_of(d->name, d->self);
		d->peer = dst;
		put(c, "FAIL", kc_xasprintf("no ClusterDomainRoute '%s'%s", d->name, dst == NULL ?
		    ": and its name does not start with this node's domain" : ""),
		    kc_xasprintf("run: join_to_host.sh %s %s https://HOST:PORT (%s's public "
		    "gateway)", d->self, dst != NULL ? dst : "PEER",
		    dst != NULL ? dst : "the peer"));
		return 0;
	}
	if (r->source != NULL && strcmp(r->source, d->self) == 0)
		d->peer = r->destination;
	else if (r->destination != NULL && strcmp(r->destination, d->self) == 0)
		d->peer = r->source;
	if (d->peer == NULL) {
		put(c, "FAIL", kc_xasprintf("%s -> %s: the route neither starts nor ends at this "
		    "node ('%s')", r->source, r->destination, d->self), kc_xstrdup("run the check "
		    "on the node of its source"));
		return 0;
	}
	if (strcmp(r->source, d->self) == 0 && r->endpoint == NULL) {
		put(c, "FAIL", kc_xasprintf("%s -> %s has no endpoint", r->source, r->destination),
		    kc_xasprintf("run: join_to_host.sh %s %s https://HOST:PORT", d->self, d->peer));
		return 1;
	}
	put(c, "ok", kc_xasprintf("%s -> %s, %s", r->source, r->destination, r->endpoint != NULL ?
	    r->endpoint : "no endpoint (the reverse route, made by Kuscia)"), NULL);
	return 1;
}

static void
check_domain(struct diag *d)
{
	const struct kc_kind *k = kc_kind_find("kuscia.secretflow/v1alpha1", "Domain");
	char *path = kc_kind_path(k, NULL, d->peer), *fix;
	const char *role = NULL, *cert = NULL;
	unsigned char *pem;
	size_t len;
	json_t *doc = NULL;
	int rc;

	fix = kc_xasprintf("copy %s's var/certs/domain.crt to var/certs/%s.domain.crt, then run: "
	    "add_domain.sh %s p2p", d->peer, d->peer, d->peer);
	if ((rc = kc_api_get(d->h, d->server, path, &doc)) != KC_OK) {
		put(&d->c[D_DOMAIN], "FAIL", kc_xasprintf("cannot read Domain '%s': %s", d->peer,
		    api_failure(rc)), NULL);
		goto out;
	}
	if (doc == NULL) {
		put(&d->c[D_DOMAIN], "FAIL", kc_xasprintf("no Domain '%s'", d->peer), fix);
		fix = NULL;
		goto out;
	}
	json_unpack(doc, "{s:{s?s, s?s}}", "spec", "role", &role, "cert", &cert);
	if (role == NULL || strcmp(role, "partner") != 0) {
		put(&d->c[D_DOMAIN], "FAIL", kc_xasprintf("Domain '%s' is not a partner (role "
		    "'%s'): Kuscia treats it as a local domain", d->peer, role != NULL ? role : ""),
		    fix);
		fix = NULL;
		goto out;
	}
	if (cert == NULL || *cert == '\0') {
		put(&d->c[D_DOMAIN], "FAIL", kc_xasprintf("Domain '%s' has no certificate",
		    d->peer), fix);
		fix = NULL;
		goto out;
	}
	put(&d->c[D_DOMAIN], "ok", kc_xasprintf("Domain '%s' is a partner with a certificate",
	    d->peer), NULL);
	if ((pem = kc_unb64(cert, &len)) != NULL) {
		d->peer_cert = kc_cert_from_pem(pem, len);
		free(pem);
	}
out:
	free(fix);
	json_decref(doc);
	free(path);
}

static X509 *
cert_file(const char *rel)
{
	char *path = kc_root_path(rel);
	unsigned char *buf = NULL;
	size_t len;
	X509 *x = NULL;

	if (kc_read_file(path, KC_MAX_FILE, &buf, &len) == 0)
		x = kc_cert_from_pem(buf, len);
	free(buf);
	free(path);
	return x;
}

static void
check_peer_cert(struct diag *d)
{
	struct kc_check *c = &d->c[D_PEER_CERT];
	char *rel = kc_xasprintf("var/certs/%s.domain.crt", d->peer);
	char *fix = kc_xasprintf("get %s's var/certs/domain.crt again, save it as %s, then run: "
	    "add_domain.sh %s p2p", d->peer, rel, d->peer);
	X509 *file = cert_file(rel);
	enum kc_cert_reason why;

	if (d->peer_cert == NULL) {
		put(c, "FAIL", kc_xasprintf("Domain '%s' carries no readable PEM certificate",
		    d->peer), fix);
		fix = NULL;
	} else if ((why = kc_cert_check(d->peer_cert, d->peer)) == KC_CERT_NOT_RSA ||
	    why == KC_CERT_CN_MISMATCH) {
		put(c, "FAIL", kc_xasprintf("the certificate in Domain '%s' is not %s's: %s",
		    d->peer, d->peer, why == KC_CERT_NOT_RSA ? "not an RSA key" : "its CN differs"),
		    fix);
		fix = NULL;
	} else if (file == NULL) {
		put(c, "warn", kc_xasprintf("the certificate in Domain '%s' has CN %s, but %s is "
		    "missing or unreadable: not compared", d->peer, d->peer, rel),
		    kc_xasprintf("copy %s's var/certs/domain.crt to %s", d->peer, rel));
	} else if (EVP_PKEY_eq(X509_get0_pubkey(file), X509_get0_pubkey(d->peer_cert)) != 1) {
		put(c, "FAIL", kc_xasprintf("Domain '%s' holds another key than %s", d->peer, rel),
		    kc_xasprintf("if %s is %s's current domain.crt, run: add_domain.sh %s p2p; "
		    "else get it again from %s", rel, d->peer, d->peer, d->peer));
	} else
		put(c, why == KC_CERT_OK ? "ok" : "warn", kc_xasprintf("the certificate in Domain "
		    "'%s' has CN %s and the key of %s%s", d->peer, d->peer, rel,
		    why == KC_CERT_EXPIRED ? " (expired: only its key matters)" :
		    why == KC_CERT_NOT_YET_VALID ? " (not yet valid: clock skew?)" : ""), NULL);
	ERR_clear_error();
	X509_free(file);
	free(fix);
	free(rel);
}

static void
check_own_cert(struct diag *d)
{
	struct kc_check *c = &d->c[D_OWN_CERT];
	char *kpath = kc_root_path("var/certs/domain.key");
	X509 *x = cert_file("var/certs/domain.crt");
	unsigned char *buf = NULL;
	size_t len = 0;
	EVP_PKEY *k = NULL;
	int e;

	if (x == NULL)
		put(c, "FAIL", kc_xstrdup("var/certs/domain.crt is missing or not a PEM "
		    "certificate"), kc_xstrdup("restart the node: Kuscia writes it at start"));
	else if ((e = kc_read_file(kpath, KC_MAX_FILE, &buf, &len)) != 0 ||
	    (k = kc_key_from_pem(buf, len)) == NULL)
		put(c, "FAIL", kc_xasprintf("var/certs/domain.key is %s", e != 0 ? strerror(e) :
		    "not a PEM private key"), kc_xstrdup("restart the node: Kuscia writes it from "
		    "domainKeyData"));
	else if (X509_check_private_key(x, k) != 1)
		put(c, "FAIL", kc_xstrdup("var/certs/domain.crt does not belong to domain.key "
		    "(left from a key change?)"), kc_xstrdup("delete domain.crt and ca.crt, "
		    "restart the node, and send the new domain.crt to every peer"));
	else
		put(c, "ok", kc_xstrdup("var/certs/domain.crt matches domain.key"), NULL);
	ERR_clear_error();
	EVP_PKEY_free(k);
	if (buf != NULL)
		kc_wipe_free(buf, len + 1);
	X509_free(x);
	free(kpath);
}

/* the endpoint and the peer's registration of us, with the probe */
static void
check_endpoint(struct diag *d, long timeout_ms)
{
	struct kc_probe_opts po = {
		.url = d->r.endpoint, .expect = d->peer, .from = d->self,
		.timeout_ms = timeout_ms, .quiet = 1,
	};
	struct kc_probe p;
	struct kc_check *s = NULL, *hs;
	int i;

	kc_probe_run(&po, &p);
	for (i = 0; i < KC_PROBE_HANDSHAKE && s == NULL; i++)
		if (p.stage[i].status != NULL && strcmp(p.stage[i].status, "FAIL") == 0)
			s = &p.stage[i];
	hs = &p.stage[KC_PROBE_HANDSHAKE];
	if (s != NULL || p.url == NULL) {
		put(&d->c[D_ENDPOINT], "FAIL", kc_xasprintf("%s: %s: %s", d->r.endpoint,
		    s != NULL ? s->check : "url", s != NULL ? s->finding : "not a valid endpoint"),
		    s != NULL ? s->fix : NULL);
		if (s != NULL)
			s->fix = NULL;
		put(&d->c[D_REGISTERED], "skip", kc_xstrdup("the endpoint check failed"), NULL);
		goto out;
	}
	put(&d->c[D_ENDPOINT], p.ep.tls && !p.verified ? "warn" : "ok", kc_xasprintf("%s answers "
	    "as %s's Kuscia gateway (%s)", d->r.endpoint, d->peer, !p.ep.tls ? "plain HTTP" :
	    p.verified ? "TLS, certificate verified" : "TLS, certificate not verified"), NULL);
	put(&d->c[D_REGISTERED], hs->status != NULL ? hs->status : "skip", hs->finding != NULL ?
	    hs->finding : kc_xstrdup("not probed"), hs->fix);
	hs->finding = hs->fix = NULL;
out:
	kc_probe_free(&p);
}

static void
check_ready(struct diag *d)
{
	char *text = NULL, *fix = NULL;
	const struct kc_route_tokens *t = d->r.source != NULL && strcmp(d->r.source, d->self) == 0 ?
	    &d->r.src : &d->r.dst;

	kc_route_advice(&d->r, d->self, &text, &fix);
	if (d->r.ready)
		put(&d->c[D_READY], "ok", t->n > 0 ? kc_xasprintf("Ready True, token revision "
		    "%lld, expires %s", t->revision, t->expires != NULL ? t->expires : "-") :
		    kc_xstrdup("Ready True"), fix);
	else
		put(&d->c[D_READY], "FAIL", kc_xasprintf("%s%s%s%s: %s", state_word(&d->r),
		    d->r.reason != NULL ? " (" : "", d->r.reason != NULL ? d->r.reason : "",
		    d->r.reason != NULL ? ")" : "", text), fix);
	free(text);
}

static int
diag_print(const struct opts *o, struct diag *d)
{
	json_t *checks;
	const char *first = NULL;
	int i, rc = KC_OK;

	for (i = 0; i < D_N; i++) {
		d->c[i].check = check_names[i];
		d->c[i].ms = -1;
		if (d->c[i].status == NULL)
			put(&d->c[i], "skip", kc_xstrdup(i == D_ENDPOINT || i == D_REGISTERED ?
			    "no endpoint to probe" : "an earlier check failed"), NULL);
		if (first == NULL && strcmp(d->c[i].status, "FAIL") == 0)
			first = d->c[i].check;
	}
	if (o->json) {
		checks = json_array();
		for (i = 0; i < D_N; i++)
			json_array_append_new(checks, kc_check_json(&d->c[i]));
		rc = kc_json_print(json_pack("{s:s, s:s?, s:s?, s:o, s:s?, s:b}", "route", d->name,
		    "source", d->r.exists ? d->r.source : d->self,
		    "destination", d->r.exists ? d->r.destination : d->peer,
		    "checks", checks, "firstFailure", first, "ok", first == NULL));
	} else
		for (i = 0; i < D_N && rc == KC_OK; i++)
			rc = kc_check_print(&d->c[i]);
	if (rc != KC_OK)
		return rc;
	return first == NULL ? KC_OK : KC_EFAIL;
}

static int
cmd_diagnose(const struct opts *o, const char *name)
{
	struct kc_kubeconfig kc = {0};
	struct diag d = {.name = name};
	char *self = NULL, *conf = kc_root_path("etc/conf/kuscia.yaml");
	int rc, i, found;

	if (!kc_object_name_valid(name)) {
		rc = kc_err(KC_EUSAGE, "invalid route name '%s'", name);
		goto out;
	}
	if (!kc_path_exists(conf)) {
		rc = kc_err(KC_ESYS, "'%s' is not a Kuscia node folder: no etc/conf/kuscia.yaml -- "
		    "set KUSCIA_ROOT", kc_root());
		goto out;
	}
	if (kc_conf_get("domainID", &self) != KC_OK || self == NULL) {
		rc = kc_err(KC_ESYS, "no domainID in '%s'", conf);
		goto out;
	}
	d.self = self;
	if (kc_kubeconfig_load(o->kubeconfig, &kc) != KC_OK ||
	    kc_http_from_kubeconfig(&kc, o->timeout_ms, &d.h) != KC_OK) {
		rc = KC_ESYS;
		goto out;
	}
	d.server = kc.server;
	rc = kc_route_read(d.h, d.server, name, &d.r);
	found = check_route(&d, rc);
	if (rc == KC_OK && d.peer != NULL) {
		check_domain(&d);
		if (strcmp(d.c[D_DOMAIN].status, "ok") == 0)
			check_peer_cert(&d);
	}
	check_own_cert(&d);
	if (found && d.r.endpoint != NULL && d.r.source != NULL && strcmp(d.r.source, self) == 0)
		check_endpoint(&d, o->timeout_ms);
	else if (found && d.r.endpoint == NULL && strcmp(d.c[D_ROUTE].status, "ok") == 0) {
		put(&d.c[D_ENDPOINT], "skip", kc_xstrdup("the reverse route has no endpoint"),
		    NULL);
		put(&d.c[D_REGISTERED], "skip", kc_xstrdup("checked from the other node"), NULL);
	}
	if (found)
		check_ready(&d);
	rc = diag_print(o, &d);
out:
	for (i = 0; i < D_N; i++) {
		free(d.c[i].finding);
		free(d.c[i].fix);
	}
	X509_free(d.peer_cert);
	kc_route_free(&d.r);
	kc_http_free(d.h);
	kc_kubeconfig_free(&kc);
	free(self);
	free(conf);
	return rc;
}

/* ---- main ---------------------------------------------------------------------------- */

static const struct sub {
	const char *name;
	unsigned allowed;
	int (*run)(const struct opts *, const char *);
} subs[] = {
	{"endpoint", BIT(O_OUTPUT), cmd_endpoint},
	{"probe", BIT(O_OUTPUT) | BIT(O_EXPECT) | BIT(O_FROM) | BIT(O_INSECURE) | BIT(O_TIMEOUT),
	 cmd_probe},
	{"status", BIT(O_OUTPUT) | BIT(O_WAIT) | BIT(O_KUBECONFIG) | BIT(O_TIMEOUT) |
	 BIT(O_EXPLAIN), cmd_status},
	{NULL, BIT(O_OUTPUT) | BIT(O_KUBECONFIG) | BIT(O_TIMEOUT), cmd_diagnose},
};

#define BAD(...) (kc_err(KC_EUSAGE, __VA_ARGS__), kc_usage(usage_text, KC_EUSAGE))

static void
domain_arg(const char *opt, const char *v)
{
	const char *why = kc_domain_id_problem(v);

	if (why != NULL) {
		kc_err(KC_EUSAGE, "invalid %s '%s': %s", opt, v, why);
		kc_usage(usage_text, KC_EUSAGE);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"expect", required_argument, NULL, 'E'},
		{"from", required_argument, NULL, 'F'},
		{"insecure", no_argument, NULL, 'k'},
		{"timeout", required_argument, NULL, 'T'},
		{"wait", required_argument, NULL, 'W'},
		{"kubeconfig", required_argument, NULL, 'C'},
		{"explain", required_argument, NULL, 'X'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static const char codes[] = "oEFkTWCX";
	static const char *const names[] = {"-o", "--expect", "--from", "-k", "--timeout",
					    "--wait", "--kubeconfig", "--explain"};
	struct opts o = {.output = "text", .timeout_ms = 5000};
	const struct sub *s;
	const char *sub, *p;
	unsigned bit;
	int c;

	kc_prog = "kc-route-check";
	while ((c = getopt_long(argc, argv, "ho:k", longopts, NULL)) != -1) {
		if (c == 'h')
			kc_usage(usage_text, KC_OK);
		if (c == 'V') {
			printf("kc-route-check %s\n", KC_VERSION);
			return kc_exit_with(KC_OK);
		}
		if (c == 0 || (p = strchr(codes, c)) == NULL)
			kc_usage(usage_text, KC_EUSAGE);
		bit = BIT(p - codes);
		if (o.seen & bit)
			BAD("option %s given twice", names[p - codes]);
		o.seen |= bit;
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'E': domain_arg("--expect", optarg), o.expect = optarg; break;
		case 'F': domain_arg("--from", optarg), o.from = optarg; break;
		case 'k': o.insecure = 1; break;
		case 'C': o.kubeconfig = optarg; break;
		case 'X': o.explain = optarg; break;
		case 'T':
			if (kc_duration_ms(optarg, &o.timeout_ms) != KC_OK || o.timeout_ms < 1)
				BAD("invalid --timeout '%s': give seconds, e.g. 5, 30s, 500ms",
				    optarg);
			break;
		case 'W':
			if (kc_duration_ms(optarg, &o.wait_ms) != KC_OK)
				BAD("invalid --wait '%s': give a duration, e.g. 30s, 2m, 90",
				    optarg);
			break;
		}
	}
	if (!kc_output_valid(o.output))
		kc_usage(usage_text, KC_EUSAGE);
	o.json = strcmp(o.output, "json") == 0;
	if (optind >= argc)
		BAD("missing subcommand or route NAME");
	sub = argv[optind];
	for (s = subs; s->name != NULL && strcmp(s->name, sub) != 0; s++)
		;
	if (s->name != NULL)
		optind++;
	else if (strchr(sub, '-') == NULL)	/* a route is always SRC-DEST */
		BAD("unknown subcommand '%s' (a route NAME is SRC-DEST)", sub);
	for (bit = 0; bit < sizeof codes - 1; bit++)
		if ((o.seen & BIT(bit)) && !(s->allowed & BIT(bit)))
			BAD("option %s does not apply to %s", names[bit], s->name != NULL ? s->name
			    : "the diagnosis");
	if (s->run == cmd_status && o.explain != NULL) {
		if (argc != optind)
			BAD("--explain takes no operand");
		return kc_exit_with(cmd_explain(&o));
	}
	if (argc - optind != 1)
		BAD("%s", argc - optind > 1 ? "too many operands" : s->run == cmd_endpoint ||
		    s->run == cmd_probe ? "missing URL" : "missing route NAME");
	return kc_exit_with(s->run(&o, argv[optind]));
}
