/* gateway.c - what a Kuscia gateway's answers mean: its TLS certificate (CONTRACTS.md section 7),
 * the anonymous 401 (spec/routes-and-tokens.md section 5) and the GET /handshake probe (3.5) */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "kc.h"

/* the length of the UTF-8 sequence at s (as jansson accepts it: no overlong form, surrogate
 * or code point past U+10FFFF), 0 when there is none */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned long c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* the NUL at the end stops here too */
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

void
kc_text_clean(char *s)
{
	size_t n;

	while (s != NULL && *s != '\0') {
		n = utf8_len((unsigned char *)s);
		if (n == 0 || (unsigned char)*s < 0x20 || *s == 0x7f) {
			*s++ = '?';	/* a control character or a byte that is not UTF-8 */
			continue;
		}
		s += n;
	}
}

void
kc_check_set(struct kc_check *c, const char *status, double ms, char *finding, char *fix)
{
	c->status = status;
	c->ms = ms;
	free(c->finding);
	free(c->fix);
	c->finding = finding;
	c->fix = fix;
}

int
kc_check_print(const struct kc_check *c)
{
	int n;

	if (c->status == NULL)
		return KC_OK;
	if (c->ms >= 0)
		n = printf("%s %s: %s (%.1f ms)%s%s\n", c->status, c->check, c->finding, c->ms,
		    c->fix != NULL ? " -- " : "", c->fix != NULL ? c->fix : "");
	else
		n = printf("%s %s: %s%s%s\n", c->status, c->check, c->finding,
		    c->fix != NULL ? " -- " : "", c->fix != NULL ? c->fix : "");
	return n < 0 ? KC_ESYS : KC_OK;
}

json_t *
kc_check_json(const struct kc_check *c)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s?}", "status", c->status, "check", c->check,
	    "finding", c->finding, "fix", c->fix);

	if (j != NULL && c->ms >= 0)
		json_object_set_new(j, "ms", json_real(c->ms));
	return j;
}

static char *
name_of(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s;
	long len;

	if (b == NULL || X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) < 0 ||
	    (len = BIO_get_mem_data(b, &data)) < 0)
		s = kc_xstrdup("?");
	else
		s = kc_xasprintf("%.*s", (int)len, data);
	BIO_free(b);
	kc_text_clean(s);
	return s;
}

static char *
when(const ASN1_TIME *t)
{
	char out[KC_TIME_LEN];

	kc_time_rfc3339(t, out, "?");
	return kc_xstrdup(out);
}

/* the leaf against var/certs/P.domain.crt as the only trust anchor; NULL = verified */
static char *
verify_chain(X509 *leaf, STACK_OF(X509) *chain, const char *anchor_path)
{
	unsigned char *buf = NULL;
	size_t len;
	X509 *anchor = NULL;
	X509_STORE *st = NULL;
	X509_STORE_CTX *ctx = NULL;
	char *why = NULL;

	if (kc_read_file(anchor_path, KC_MAX_FILE, &buf, &len) != 0 ||
	    (anchor = kc_cert_from_pem(buf, len)) == NULL) {
		why = kc_xasprintf("'%s' is not a readable PEM certificate", anchor_path);
		goto out;
	}
	if ((st = X509_STORE_new()) == NULL || X509_STORE_add_cert(st, anchor) != 1 ||
	    (ctx = X509_STORE_CTX_new()) == NULL || X509_STORE_CTX_init(ctx, st, leaf, chain) != 1)
		kc_die(KC_ESYS, "out of memory verifying a certificate");
	if (X509_verify_cert(ctx) != 1)
		why = kc_xstrdup(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	X509_free(anchor);
	free(buf);
	return why;
}

int
kc_probe_tls(const struct kc_probe_opts *o, struct kc_probe *p, const char *version, X509 *leaf,
    STACK_OF(X509) *chain, double ms)
{
	struct kc_check *c = &p->stage[KC_PROBE_TLS];
	char *anchor = NULL, *cn = NULL, *want = NULL, *why = NULL, *skip = NULL;
	int rc = KC_OK;

	if (leaf == NULL) {
		kc_check_set(c, "warn", ms, kc_xasprintf("%s, no peer certificate seen",
		    version != NULL ? version : "TLS"), NULL);
		return KC_OK;
	}
	p->tls_version = kc_xstrdup(version);
	p->subject = name_of(X509_get_subject_name(leaf));
	p->issuer = name_of(X509_get_issuer_name(leaf));
	p->not_after = when(X509_get0_notAfter(leaf));
	if (o->expect != NULL)
		anchor = kc_xasprintf("%s/var/certs/%s.domain.crt", kc_root(), o->expect);
	if (o->insecure)
		skip = kc_xstrdup("-k given");
	else if (o->expect == NULL)
		skip = kc_xstrdup("no --expect PEER");
	else if (!kc_path_exists(anchor))
		skip = kc_xasprintf("no '%s'", anchor);
	if (skip != NULL) {
		if (!o->quiet)
			kc_warn("the certificate of '%s' was not verified: %s", p->url, skip);
		kc_check_set(c, "warn", ms, kc_xasprintf("%s, subject %s, issuer %s, expires %s, "
		    "not verified (%s)", p->tls_version, p->subject, p->issuer, p->not_after, skip),
		    o->expect == NULL && !o->insecure ? kc_xstrdup("give --expect PEER to verify") :
		    NULL);
		goto out;
	}
	if ((why = verify_chain(leaf, chain, anchor)) != NULL) {
		p->verify_error = kc_xstrdup(why);
		kc_check_set(c, "FAIL", ms, kc_xasprintf("%s, subject %s, issuer %s: the "
		    "certificate does not verify against '%s': %s", p->tls_version, p->subject,
		    p->issuer, anchor, why), kc_xasprintf("this is not %s's gateway, or "
		    "var/certs/%s.domain.crt is not %s's current domain.crt: get it again from %s",
		    o->expect, o->expect, o->expect, o->expect));
		rc = KC_ETLS;
		goto out;
	}
	want = kc_xasprintf("%s_ENVOY_EXTERNAL", o->expect);
	cn = kc_cert_cn(leaf);
	if (cn == NULL || strcmp(cn, want) != 0) {
		kc_check_set(c, "FAIL", ms, kc_xasprintf("%s, subject %s: the certificate's CN is "
		    "not '%s'", p->tls_version, p->subject, want), kc_xasprintf("point the "
		    "endpoint at %s's gateway", o->expect));
		rc = KC_EPEER;
		goto out;
	}
	p->verified = 1;
	kc_check_set(c, "ok", ms, kc_xasprintf("%s, subject %s, issuer %s, expires %s, verified "
	    "against var/certs/%s.domain.crt", p->tls_version, p->subject, p->issuer, p->not_after,
	    o->expect), NULL);
out:
	free(anchor);
	free(cn);
	free(want);
	free(why);
	free(skip);
	return rc;
}

/* the anonymous answer of a Kuscia gateway: 401, server kuscia-gateway, kuscia-error-message */
int
kc_probe_gateway(const struct kc_probe_opts *o, struct kc_probe *p, const char *server,
    const char *errmsg, const char *body)
{
	struct kc_check *c = &p->stage[KC_PROBE_GATEWAY];
	json_t *doc = json_loads(body != NULL ? body : "", 0, NULL);
	const char *d = NULL, *inst = NULL, *ver = NULL;
	long s = p->http_status;
	int rc = KC_OK;

	json_unpack(doc, "{s?s, s?s, s?s}", "domain", &d, "instance", &inst, "kuscia", &ver);
	if (s != 401 || server == NULL || strcmp(server, "kuscia-gateway") != 0 ||
	    errmsg == NULL || errmsg[0] == '\0') {
		if (!p->ep.tls && s == 400 && body != NULL &&
		    strstr(body, "HTTP request to an HTTPS server") != NULL) {
			kc_check_set(c, "FAIL", -1, kc_xstrdup("not a Kuscia gateway: HTTP 400, a "
			    "TLS server answered plain HTTP"), kc_xasprintf("the endpoint speaks "
			    "TLS: use https://%s:%d", p->ep.host, p->ep.port));
			rc = KC_ETLS;
			goto out;
		}
		kc_check_set(c, "FAIL", -1, server == NULL ? kc_xasprintf("not a Kuscia gateway: "
		    "HTTP %ld, no Server header", s) : kc_xasprintf("not a Kuscia gateway: HTTP "
		    "%ld, server '%s'%s", s, server, strcmp(server, "kuscia-gateway") == 0 ?
		    " without kuscia-error-message" : ""),
		    s == 405 || s == 502 || s == 503 || s == 504 ? kc_xstrdup("an intermediate "
		    "gateway or proxy rejected or failed the request: point the endpoint at the "
		    "peer's gateway, or fix the proxy") : kc_xstrdup("something other than a "
		    "Kuscia gateway answers (a web server, proxy or load balancer?): check the "
		    "endpoint's host and port (the port mapped to the container's 1080)"));
		rc = KC_EPEER;
		goto out;
	}
	p->gateway = 1;
	if (d != NULL && *d != '\0') {
		p->domain = kc_xstrdup(d);
		kc_text_clean(p->domain);
	}
	p->instance = inst != NULL ? kc_xstrdup(inst) : NULL;
	p->kuscia = ver != NULL ? kc_xstrdup(ver) : NULL;
	kc_text_clean(p->instance);
	kc_text_clean(p->kuscia);
	if (o->expect != NULL && p->domain != NULL && strcmp(p->domain, o->expect) != 0) {
		kc_check_set(c, "FAIL", -1, kc_xasprintf("the Kuscia gateway of domain '%s', not "
		    "'%s'", p->domain, o->expect), kc_xasprintf("the endpoint points at %s's "
		    "gateway: use %s's endpoint", p->domain, o->expect));
		rc = KC_EPEER;
	} else if (p->domain == NULL)
		kc_check_set(c, "warn", -1, kc_xstrdup("a Kuscia gateway (401), but its answer "
		    "names no domain (an older Kuscia?)"), NULL);
	else
		kc_check_set(c, "ok", -1, kc_xasprintf("the Kuscia gateway of domain '%s' "
		    "(instance %s, Kuscia %s)", p->domain, p->instance != NULL ? p->instance : "?",
		    p->kuscia != NULL ? p->kuscia : "?"), NULL);
out:
	json_decref(doc);
	return rc;
}

/* the answer to GET <prefix>/handshake as SELF (error: the transfer failed, else NULL) */
int
kc_probe_handshake(const struct kc_probe_opts *o, struct kc_probe *p, const char *peer,
    long s, const char *body, const char *error)
{
	struct kc_check *c = &p->stage[KC_PROBE_HANDSHAKE];
	json_t *doc = error == NULL ? json_loads(body != NULL ? body : "", 0, NULL) : NULL;
	json_int_t state = -1;
	int rc = KC_OK;

	json_unpack(doc, "{s:I}", "state", &state);
	json_decref(doc);
	p->hs_state = (int)state;
	if (error != NULL) {
		kc_check_set(c, "FAIL", -1, kc_xasprintf("GET /handshake failed: %s", error), NULL);
		rc = KC_ENET;
	} else if (s == 200 && state == 2) {
		kc_check_set(c, "ok", -1, kc_xasprintf("%s has registered %s (handshake probe "
		    "state 2)", peer, o->from), NULL);
	} else if (s == 200 && state == 5) {
		kc_check_set(c, "FAIL", -1, kc_xasprintf("%s has not registered %s (handshake "
		    "probe state 5: no DomainRoute %s-%s there)", peer, o->from, o->from, peer),
		    kc_xasprintf("on %s run: add_domain.sh %s p2p", peer, o->from));
		rc = KC_EFAIL;
	} else if (s == 401) {
		kc_check_set(c, "FAIL", -1, kc_xstrdup("GET /handshake was answered 401: the "
		    "Kuscia-Host header did not reach the gateway, or this is another node"),
		    kc_xstrdup("let the proxy in between pass every request header unchanged"));
		rc = KC_EPEER;
	} else if (s == 404) {
		kc_check_set(c, "FAIL", -1, kc_xstrdup("GET /handshake was answered 404: the path "
		    "prefix is not stripped before the gateway"), kc_xstrdup("strip the prefix in "
		    "the proxy, or drop it from the endpoint"));
		rc = KC_EPEER;
	} else {
		kc_check_set(c, "FAIL", -1, kc_xasprintf("GET /handshake: HTTP %ld, state %lld", s,
		    (long long)state), NULL);
		rc = KC_EAPI;
	}
	return rc;
}

void
kc_probe_free(struct kc_probe *p)
{
	int i;

	for (i = 0; i < KC_PROBE_STAGES; i++) {
		free(p->stage[i].finding);
		free(p->stage[i].fix);
	}
	kc_endpoint_free(&p->ep);
	free(p->url);
	free(p->tls_version);
	free(p->subject);
	free(p->issuer);
	free(p->not_after);
	free(p->verify_error);
	free(p->server);
	free(p->domain);
	free(p->instance);
	free(p->kuscia);
	memset(p, 0, sizeof *p);
}

json_t *
kc_probe_json(const struct kc_probe *p)
{
	json_t *stages = json_array(), *tls = json_null(), *gw = json_null();
	int i;

	for (i = 0; i < KC_PROBE_STAGES; i++)
		if (p->stage[i].status != NULL)
			json_array_append_new(stages, kc_check_json(&p->stage[i]));
	if (p->tls_version != NULL)
		tls = json_pack("{s:s, s:s?, s:s?, s:s?, s:b, s:s?}", "version", p->tls_version,
		    "subject", p->subject, "issuer", p->issuer, "notAfter", p->not_after,
		    "verified", p->verified, "verifyError", p->verify_error);
	if (p->gateway)
		gw = json_pack("{s:s?, s:s?, s:s?}", "domain", p->domain, "instance", p->instance,
		    "kuscia", p->kuscia);
	return json_pack("{s:s?, s:s?, s:i, s:b, s:o, s:o, s:I, s:s?, s:o, s:o, s:b, s:i}",
	    "url", p->url, "host", p->ep.host, "port", p->ep.port, "isTLS", p->ep.tls,
	    "stages", stages, "tls", tls, "httpStatus", (json_int_t)p->http_status,
	    "server", p->server, "gateway", gw,
	    "handshakeState", p->hs_state >= 0 ? json_integer(p->hs_state) : json_null(),
	    "ok", p->rc == KC_OK, "exitCode", p->rc);
}
