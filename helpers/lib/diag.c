/* diag.c - the diagnosis of one route, in order (kc-route-check NAME, CONTRACTS.md section 7):
 * the route, our Domain for the peer and its certificate, our own key pair, the endpoint, the
 * peer's registration of us (read-only GET /handshake), the Ready condition */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "kc.h"

static const char *const check_names[KC_DIAG_CHECKS] = {
	"route", "peer-domain", "peer-cert", "own-cert", "endpoint", "peer-registration", "ready"
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
check_route(struct kc_diag *d, int rc)
{
	struct kc_check *c = &d->c[KC_DIAG_ROUTE];
	const struct kc_route *r = &d->r;
	const char *dst;

	if (rc != KC_OK) {
		put(c, "FAIL", kc_xasprintf("cannot read ClusterDomainRoute '%s': %s", d->name,
		    api_failure(rc)), kc_xstrdup("is the node running? check the kubeconfig (see "
		    "the message above)"));
		return 0;
	}
	if (!r->exists) {
		dst = kc_route_dest(d->name, d->self);
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
check_domain(struct kc_diag *d)
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
		put(&d->c[KC_DIAG_DOMAIN], "FAIL", kc_xasprintf("cannot read Domain '%s': %s",
		    d->peer, api_failure(rc)), NULL);
		goto out;
	}
	if (doc == NULL) {
		put(&d->c[KC_DIAG_DOMAIN], "FAIL", kc_xasprintf("no Domain '%s'", d->peer), fix);
		fix = NULL;
		goto out;
	}
	json_unpack(doc, "{s:{s?s, s?s}}", "spec", "role", &role, "cert", &cert);
	if (role == NULL || strcmp(role, "partner") != 0) {
		put(&d->c[KC_DIAG_DOMAIN], "FAIL", kc_xasprintf("Domain '%s' is not a partner "
		    "(role '%s'): Kuscia treats it as a local domain", d->peer,
		    role != NULL ? role : ""), fix);
		fix = NULL;
		goto out;
	}
	if (cert == NULL || *cert == '\0') {
		put(&d->c[KC_DIAG_DOMAIN], "FAIL", kc_xasprintf("Domain '%s' has no certificate",
		    d->peer), fix);
		fix = NULL;
		goto out;
	}
	put(&d->c[KC_DIAG_DOMAIN], "ok", kc_xasprintf("Domain '%s' is a partner with a certificate",
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
check_peer_cert(struct kc_diag *d)
{
	struct kc_check *c = &d->c[KC_DIAG_PEER_CERT];
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

/* Domain SELF's spec.cert (Kuscia rewrites it from domain.crt at every start), or NULL */
static X509 *
own_domain_cert(struct kc_diag *d)
{
	const struct kc_kind *k = kc_kind_find("kuscia.secretflow/v1alpha1", "Domain");
	char *path = kc_kind_path(k, NULL, d->self);
	const char *cert = NULL;
	unsigned char *pem;
	json_t *doc = NULL;
	X509 *x = NULL;
	size_t len;

	if (kc_api_get(d->h, d->server, path, &doc) == KC_OK &&
	    json_unpack(doc, "{s:{s:s}}", "spec", "cert", &cert) == 0 &&
	    (pem = kc_unb64(cert, &len)) != NULL) {
		x = kc_cert_from_pem(pem, len);
		free(pem);
	}
	json_decref(doc);
	free(path);
	return x;
}

static void
check_own_cert(struct kc_diag *d, int api_ok)
{
	struct kc_check *c = &d->c[KC_DIAG_OWN_CERT];
	char *kpath = kc_root_path("var/certs/domain.key");
	X509 *x = cert_file("var/certs/domain.crt"), *own = NULL;
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
	else if (api_ok && (own = own_domain_cert(d)) != NULL &&
	    X509_check_private_key(own, k) != 1)
		put(c, "FAIL", kc_xasprintf("Domain '%s' carries the certificate of another key "
		    "than domain.key: its routes log 'mismatch source public key'", d->self),
		    kc_xasprintf("restart the node: Kuscia writes domain.crt into Domain '%s' at "
		    "start", d->self));
	else
		put(c, "ok", kc_xasprintf("var/certs/domain.crt matches domain.key%s", own != NULL ?
		    ", and so does the certificate in our Domain" : ""), NULL);
	ERR_clear_error();
	X509_free(own);
	EVP_PKEY_free(k);
	if (buf != NULL)
		kc_wipe_free(buf, len + 1);
	X509_free(x);
	free(kpath);
}

/* the endpoint and the peer's registration of us, with the probe */
static void
check_endpoint(struct kc_diag *d, long timeout_ms)
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
		put(&d->c[KC_DIAG_ENDPOINT], "FAIL", kc_xasprintf("%s: %s: %s", d->r.endpoint,
		    s != NULL ? s->check : "url", s != NULL ? s->finding : "not a valid endpoint"),
		    s != NULL ? s->fix : NULL);
		if (s != NULL)
			s->fix = NULL;
		put(&d->c[KC_DIAG_REGISTERED], "skip", kc_xstrdup("the endpoint check failed"),
		    NULL);
		goto out;
	}
	put(&d->c[KC_DIAG_ENDPOINT], p.ep.tls && !p.verified ? "warn" : "ok",
	    kc_xasprintf("%s answers as %s's Kuscia gateway (%s)", d->r.endpoint, d->peer,
	    !p.ep.tls ? "plain HTTP" : p.verified ? "TLS, certificate verified" :
	    "TLS, certificate not verified"), NULL);
	put(&d->c[KC_DIAG_REGISTERED], hs->status != NULL ? hs->status : "skip",
	    hs->finding != NULL ? hs->finding : kc_xstrdup("not probed"), hs->fix);
	hs->finding = hs->fix = NULL;
out:
	kc_probe_free(&p);
}

static void
check_ready(struct kc_diag *d)
{
	char *text = NULL, *fix = NULL;
	const struct kc_route_tokens *t = d->r.source != NULL && strcmp(d->r.source, d->self) == 0 ?
	    &d->r.src : &d->r.dst;

	kc_route_advice(&d->r, d->self, &text, &fix);
	if (d->r.ready)
		put(&d->c[KC_DIAG_READY], "ok", t->n > 0 ? kc_xasprintf("Ready True, token "
		    "revision %lld, expires %s", t->revision, t->expires != NULL ? t->expires :
		    "-") : kc_xstrdup("Ready True"), fix);
	else
		put(&d->c[KC_DIAG_READY], "FAIL", kc_xasprintf("%s%s%s%s: %s",
		    kc_route_state(&d->r), d->r.reason != NULL ? " (" : "", d->r.reason != NULL ?
		    d->r.reason : "", d->r.reason != NULL ? ")" : "", text), fix);
	free(text);
}

int
kc_diag_run(struct kc_diag *d, struct kc_http *h, const char *server, const char *self,
    const char *name, long timeout_ms)
{
	int rc, i, found;

	memset(d, 0, sizeof *d);
	d->h = h;
	d->server = server;
	d->self = self;
	d->name = name;
	rc = kc_route_read(h, server, name, &d->r);
	found = check_route(d, rc);
	if (rc == KC_OK && d->peer != NULL) {
		check_domain(d);
		if (strcmp(d->c[KC_DIAG_DOMAIN].status, "ok") == 0)
			check_peer_cert(d);
	}
	check_own_cert(d, rc == KC_OK);
	if (found && d->r.endpoint != NULL && d->r.source != NULL &&
	    strcmp(d->r.source, self) == 0)
		check_endpoint(d, timeout_ms);
	else if (found && d->r.endpoint == NULL && strcmp(d->c[KC_DIAG_ROUTE].status, "ok") == 0) {
		put(&d->c[KC_DIAG_ENDPOINT], "skip", kc_xstrdup("the reverse route has no "
		    "endpoint"), NULL);
		put(&d->c[KC_DIAG_REGISTERED], "skip", kc_xstrdup("checked from the other node"),
		    NULL);
	}
	if (found)
		check_ready(d);
	for (i = 0; i < KC_DIAG_CHECKS; i++) {
		d->c[i].check = check_names[i];
		d->c[i].ms = -1;
		if (d->c[i].status == NULL)
			put(&d->c[i], "skip", kc_xstrdup(i == KC_DIAG_ENDPOINT ||
			    i == KC_DIAG_REGISTERED ? "no endpoint to probe" :
			    "an earlier check failed"), NULL);
		if (d->first == NULL && strcmp(d->c[i].status, "FAIL") == 0)
			d->first = d->c[i].check;
	}
	return d->first == NULL ? KC_OK : KC_EFAIL;
}

json_t *
kc_diag_json(const struct kc_diag *d)
{
	json_t *checks = json_array();
	int i;

	for (i = 0; i < KC_DIAG_CHECKS; i++)
		json_array_append_new(checks, kc_check_json(&d->c[i]));
	return json_pack("{s:s, s:s?, s:s?, s:o, s:s?, s:b}", "route", d->name,
	    "source", d->r.exists ? d->r.source : d->self,
	    "destination", d->r.exists ? d->r.destination : d->peer,
	    "checks", checks, "firstFailure", d->first, "ok", d->first == NULL);
}

void
kc_diag_free(struct kc_diag *d)
{
	int i;

	for (i = 0; i < KC_DIAG_CHECKS; i++) {
		free(d->c[i].finding);
		free(d->c[i].fix);
	}
	X509_free(d->peer_cert);
	kc_route_free(&d->r);
	memset(d, 0, sizeof *d);
}
