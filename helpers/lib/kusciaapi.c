/* kusciaapi.c - a KusciaAPI client (spec/kusciaapi.md): endpoint, TLS material and token of
 * the node under KUSCIA_ROOT, POST of JSON requests, the answer's envelope checked */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "kc.h"

#define KAPI_DEFAULT_PORT 8082
#define KAPI_MAX_TOKEN 4096

struct kc_kapi {
	struct kc_http *http;
	char *base;	/* scheme://host:port[/prefix], no trailing '/' */
	int tls;
	int client_cert;	/* a client certificate is sent */
};

/* kuscia.yaml's protocol (NOTLS, TLS, MTLS; unset = MTLS) and KusciaAPI port */
static int
node_listener(int *tls, long *port)
{
	char *proto = NULL, *p = NULL, *end;
	int rc;

	*tls = 1;
	*port = KAPI_DEFAULT_PORT;
	if ((rc = kc_conf_get("protocol", &proto)) != KC_OK)
		return rc;
	if (proto != NULL) {
		if (strcasecmp(proto, "NOTLS") == 0)
			*tls = 0;
		else if (strcasecmp(proto, "TLS") != 0 && strcasecmp(proto, "MTLS") != 0)
			rc = kc_err(KC_EINPUT, "kuscia.yaml: protocol '%s' is unsupported, "
			    "supported: NOTLS/TLS/MTLS", proto);
	}
	free(proto);
	if (rc != KC_OK || (rc = kc_conf_get("kusciaAPI.HTTPPort", &p)) != KC_OK)
		return rc;
	if (p != NULL) {
		errno = 0;
		*port = strtol(p, &end, 10);
		if (*p == '\0' || *end != '\0' || errno != 0 || *port < 1 || *port > 65535)
			rc = kc_err(KC_EINPUT, "kuscia.yaml: kusciaAPI.HTTPPort '%s' is not a port "
			    "number", p);
	}
	free(p);
	return rc;
}

static int
base_url(const char *endpoint, char **base, int *tls)
{
	struct kc_endpoint ep;
	long port;
	size_t n;
	int rc;

	if (endpoint == NULL) {
		if ((rc = node_listener(tls, &port)) != KC_OK)
			return rc;
		*base = kc_xasprintf("%s://127.0.0.1:%ld", *tls ? "https" : "http", port);
		return KC_OK;
	}
	if ((rc = kc_endpoint_parse(endpoint, &ep)) != KC_OK)
		return rc;
	n = strlen(ep.path);
	while (n > 0 && ep.path[n - 1] == '/')
		n--;
	*base = kc_xasprintf("%s://%s:%d%.*s", ep.tls ? "https" : "http", ep.host, ep.port,
	    (int)n, ep.path);
	*tls = ep.tls;
	kc_endpoint_free(&ep);
	return KC_OK;
}

/* the Token header: var/certs/token byte for byte (spec/kusciaapi.md section 2.2) */
static int
token_header(struct kc_http *h)
{
	char *path = kc_root_path("var/certs/token"), *hdr;
	unsigned char *tok = NULL;
	size_t len = 0, i;
	int e, rc = KC_OK;

	if ((e = kc_read_file(path, KAPI_MAX_TOKEN, &tok, &len)) != 0) {
		errno = e;
		rc = kc_err(e == EFBIG ? KC_EINPUT : KC_ESYS,
		    "cannot read the KusciaAPI token '%s':", path);
		goto out;
	}
	if (len == 0) {
		rc = kc_err(KC_EINPUT, "the KusciaAPI token '%s' is empty", path);
		goto out;
	}
	for (i = 0; i < len; i++)
		if (tok[i] <= ' ' || tok[i] >= 0x7f) {
			rc = kc_err(KC_EINPUT, "the KusciaAPI token '%s' holds a space, line "
			    "break or control character at byte %zu -- Kuscia compares the whole "
			    "file with the Token header, so it can never match", path, i + 1);
			goto out;
		}
	hdr = kc_xasprintf("Token: %s", (const char *)tok);
	kc_http_header(h, hdr);
	kc_wipe_free(hdr, strlen(hdr));
out:
	kc_wipe_free(tok, len + 1);
	free(path);
	return rc;
}

static int
readable_pair(const char *crt, const char *key)
{
	return access(crt, R_OK) == 0 && access(key, R_OK) == 0;
}

int
kc_kapi_open(const char *endpoint, int insecure, long timeout_ms, struct kc_kapi **out)
{
	struct kc_kapi *k = kc_xcalloc(1, sizeof *k);
	struct kc_tls t = { .insecure = insecure };
	char *ca = NULL, *ccrt = NULL, *ckey = NULL;
	int rc;

	*out = NULL;
	if (endpoint == NULL) {
		const char *env = getenv("KC_KUSCIAAPI");

		if (env != NULL && *env != '\0')
			endpoint = env;
	}
	if ((rc = base_url(endpoint, &k->base, &k->tls)) != KC_OK)
		goto fail;
	if (k->tls) {
		ca = kc_root_path("var/certs/ca.crt");
		if (insecure) {
			kc_warn("-k: the KusciaAPI server's certificate is not verified");
		} else if (access(ca, R_OK) != 0) {
			rc = kc_err(KC_ESYS, "cannot read the node CA '%s' to verify the "
			    "KusciaAPI:", ca);
			goto fail;
		} else {
			t.ca_file = ca;
		}
		/* the KusciaAPI client pair when the node has one, else the guide's ca.crt/.key */
		ccrt = kc_root_path("var/certs/kusciaapi-client.crt");
		ckey = kc_root_path("var/certs/kusciaapi-client.key");
		if (!readable_pair(ccrt, ckey)) {
			free(ccrt);
			free(ckey);
			ccrt = kc_root_path("var/certs/ca.crt");
			ckey = kc_root_path("var/certs/ca.key");
		}
		if (readable_pair(ccrt, ckey)) {
			t.cert_file = ccrt;
			t.key_file = ckey;
			k->client_cert = 1;
		}
	}
	k->http = kc_http_new(&t, timeout_ms);
	kc_http_deadline(k->http, timeout_ms);	/* the whole run, however many requests */
	/* no token over plain HTTP: a NOTLS KusciaAPI does not check it, anything else must not
	 * see it in clear */
	if (k->tls && (rc = token_header(k->http)) != KC_OK)
		goto fail;
	*out = k;
	rc = KC_OK;
	goto out;
fail:
	kc_kapi_free(k);
out:
	free(ca);
	free(ccrt);
	free(ckey);
	return rc;
}

void
kc_kapi_free(struct kc_kapi *k)
{
	if (k == NULL)
		return;
	kc_http_free(k->http);
	free(k->base);
	free(k);
}

const char *
kc_kapi_base(const struct kc_kapi *k)
{
	return k->base;
}

/* a follow-up line after a failed transfer, when the cause is likely ours */
static void
transfer_hint(const struct kc_kapi *k, int rc)
{
	const char *why = kc_http_error(k->http);

	if (rc != KC_ETLS)
		return;
	if (!k->client_cert)
		kc_err(rc, "no client certificate was sent: '%s/var/certs' has neither "
		    "kusciaapi-client.crt/.key nor ca.crt/.key, and an MTLS KusciaAPI requires one",
		    kc_root());
	else if (strstr(why, "wrong version number") != NULL ||
	    strstr(why, "SSL_ERROR_SYSCALL") != NULL || strstr(why, "unexpected eof") != NULL)
		kc_err(rc, "is the KusciaAPI plain HTTP (kuscia.yaml protocol NOTLS)? then use "
		    "--endpoint http://HOST:PORT");
}

static int
envelope_error(const char *url, const struct kc_resp *r)
{
	int n = (int)strcspn(r->body, "\r\n");

	if (n > 200)
		n = 200;
	if (r->status == 401)
		return kc_err(KC_EAPI, "the KusciaAPI at '%s' refused the token (HTTP 401) -- it "
		    "must equal the node's var/certs/token as the node read it at start-up", url);
	if (r->status == 400 && strstr(r->body, "HTTP request to an HTTPS server") != NULL)
		return kc_err(KC_EAPI, "the KusciaAPI at '%s' speaks HTTPS (HTTP 400: %.*s) -- use "
		    "https://", url, n, r->body);
	if (r->status != 200)
		return kc_err(KC_EAPI, "the KusciaAPI at '%s' answered HTTP %ld%s%.*s", url,
		    r->status, n > 0 ? ": " : " with an empty body", n, r->body);
	return KC_OK;
}

int
kc_kapi_post(struct kc_kapi *k, const char *path, json_t *req, json_t **env)
{
	char *url = kc_xasprintf("%s%s", k->base, path), *body;
	struct kc_resp r = {0};
	int rc;

	*env = NULL;
	if ((body = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		kc_die(KC_ESYS, "out of memory building JSON");
	rc = kc_http_request(k->http, "POST", url, "application/json", body, strlen(body), &r);
	free(body);
	if (rc != KC_OK) {
		transfer_hint(k, rc);
		goto out;
	}
	rc = kc_kapi_answer(url, &r, env);
out:
	kc_resp_free(&r);
	free(url);
	return rc;
}

int
kc_kapi_answer(const char *url, const struct kc_resp *r, json_t **env)
{
	json_error_t je;
	json_t *doc = NULL, *st, *code;
	int rc;

	*env = NULL;
	if ((rc = envelope_error(url, r)) != KC_OK)
		goto out;
	if ((doc = json_loadb(r->body, r->len, 0, &je)) == NULL) {
		rc = kc_err(KC_EAPI, "the answer of '%s' is not JSON: %s", url, je.text);
		goto out;
	}
	st = json_object_get(doc, "status");
	code = json_object_get(st, "code");
	if (!json_is_object(doc) || !json_is_integer(code) ||
	    !json_is_string(json_object_get(st, "message"))) {
		rc = kc_err(KC_EAPI, "the answer of '%s' is not a KusciaAPI envelope (no "
		    "status.code and status.message)", url);
		goto out;
	}
	*env = doc;
	doc = NULL;
out:
	json_decref(doc);
	return rc;
}

long
kc_kapi_code(const json_t *env, const char **message)
{
	json_t *st = json_object_get(env, "status");

	if (message != NULL)
		*message = json_string_value(json_object_get(st, "message"));
	return (long)json_integer_value(json_object_get(st, "code"));
}

int
kc_kapi_fail(const json_t *env, int code, const char *what)
{
	const char *m = NULL;
	long c = kc_kapi_code(env, &m);

	return kc_err(code, "%s: %s (KusciaAPI code %ld)", what, m != NULL && *m != '\0' ? m :
	    "no message", c);
}

/* DomainData and grant IDs: ^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$ (spec/kusciaapi.md 4.2) */
const char *
kc_kapi_id_problem(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0)
		return "it is empty";
	if (n > 63)
		return "it is longer than 63 characters";
	for (i = 0; i < n; i++) {
		char c = id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && c != '-' && c != '.')
			return "use only lower-case letters, digits, '-' and '.'";
		if (!alnum && (i == 0 || i == n - 1))
			return "it must start and end with a lower-case letter or digit";
	}
	return NULL;
}
