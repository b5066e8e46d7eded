/* http.c - an HTTPS client on libcurl: one kept-alive connection, mTLS, one call per request */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "kc.h"

#define KC_HTTP_MAX_BODY (64u << 20)

struct kc_http {
	CURL *curl;
	struct curl_slist *headers;	/* persistent ones (may hold a token: wiped) */
	char err[CURL_ERROR_SIZE];
	struct kc_resp *cur;
	int too_big;
	int headers_done;	/* the last answer's headers ended with their empty line */
	long timeout_ms;	/* per request */
	long long deadline;	/* 0, or CLOCK_MONOTONIC ms by which every request must be done */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* an answer cut inside its headers reaches curl as a complete, empty one: note their end */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct kc_http *h = arg;
	size_t len = size * n;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		h->headers_done = 0;
	else if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n'))
		h->headers_done = 1;
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct kc_http *h = arg;
	struct kc_resp *r = h->cur;
	size_t add = size * n;

	if (add > KC_HTTP_MAX_BODY - r->len) {
		h->too_big = 1;
		return 0;
	}
	r->body = kc_xrealloc(r->body, r->len + add + 1);
	memcpy(r->body + r->len, p, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

static int
blob(CURL *c, CURLoption opt, const unsigned char *data, size_t len)
{
	struct curl_blob b = {.data = (void *)data, .len = len, .flags = CURL_BLOB_COPY};

	return curl_easy_setopt(c, opt, &b) == CURLE_OK;
}

struct kc_http *
kc_http_new(const struct kc_tls *t, long timeout_ms)
{
	struct kc_http *h = kc_xcalloc(1, sizeof *h);
	CURL *c;
	int ok = 1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (c = curl_easy_init()) == NULL)
		kc_die(KC_ESYS, "cannot initialise libcurl");
	h->curl = c;
	h->timeout_ms = timeout_ms;
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->err);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	if (t != NULL) {
		if (t->insecure) {
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (t->ca_data != NULL)
			ok &= blob(c, CURLOPT_CAINFO_BLOB, t->ca_data, t->ca_len);
		else if (t->ca_file != NULL)
			ok &= curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file) == CURLE_OK;
		if (t->cert_data != NULL)
			ok &= blob(c, CURLOPT_SSLCERT_BLOB, t->cert_data, t->cert_len);
		else if (t->cert_file != NULL)
			ok &= curl_easy_setopt(c, CURLOPT_SSLCERT, t->cert_file) == CURLE_OK;
		if (t->key_data != NULL)
			ok &= blob(c, CURLOPT_SSLKEY_BLOB, t->key_data, t->key_len);
		else if (t->key_file != NULL)
			ok &= curl_easy_setopt(c, CURLOPT_SSLKEY, t->key_file) == CURLE_OK;
	}
	if (!ok)
		kc_die(KC_ESYS, "libcurl lacks in-memory certificate support");
	return h;
}

void
kc_http_deadline(struct kc_http *h, long total_ms)
{
	h->deadline = now_ms() + total_ms;
}

int
kc_timeout_env(long *ms)
{
	const char *v = getenv("KC_TIMEOUT");

	if (v == NULL || *v == '\0')
		return KC_OK;
	if (kc_duration_ms(v, ms) != KC_OK || *ms < 1)
		return kc_err(KC_EUSAGE, "invalid KC_TIMEOUT '%s': give seconds, e.g. 30, 30s, 500ms",
		    v);
	return KC_OK;
}

void
kc_http_header(struct kc_http *h, const char *header)
{
	struct curl_slist *l = curl_slist_append(h->headers, header);

	if (l == NULL)
		kc_die(KC_ESYS, "out of memory");
	h->headers = l;
}

void
kc_http_free(struct kc_http *h)
{
	struct curl_slist *l;

	if (h == NULL)
		return;
	for (l = h->headers; l != NULL; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(h->headers);
	curl_easy_cleanup(h->curl);
	curl_global_cleanup();
	free(h);
}

/* map a transfer failure to STYLE.md's codes: 5 unreachable, 7 TLS */
static int
transfer_error(const struct kc_http *h, CURLcode cc, const char *url)
{
	const char *why = h->err[0] != '\0' ? h->err : curl_easy_strerror(cc);
	curl_off_t tls_done = 0;

	/* reset before any TLS answer (nothing listens behind a proxy, a refusing firewall):
	 * unreachable, not TLS; a server rejecting our certificate does so after the handshake */
	if ((cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR) &&
	    strstr(why, "reset by peer") != NULL && strstr(why, "alert") == NULL &&
	    curl_easy_getinfo(h->curl, CURLINFO_APPCONNECT_TIME_T, &tls_done) == CURLE_OK &&
	    tls_done == 0)
		return kc_err(KC_ENET, "cannot reach '%s': the connection was reset (%s)", url, why);
	switch (cc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		return kc_err(KC_ETLS, "TLS with '%s' failed: %s", url, why);
	case CURLE_OPERATION_TIMEDOUT:
		return kc_err(KC_ENET, "no answer from '%s' in time: %s", url, why);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return kc_err(KC_ENET, "cannot reach '%s': %s", url, why);
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		/* TLS 1.3 servers reject a client certificate after the handshake: an alert, or
		 * the connection closed while curl still sends (its text then names getpeername) */
		if (strstr(why, "alert") != NULL || strstr(why, "SSL") != NULL)
			return kc_err(KC_ETLS, "TLS with '%s' failed: %s", url, why);
		if (cc == CURLE_SEND_ERROR && strncasecmp(url, "https:", 6) == 0)
			return kc_err(KC_ETLS, "TLS with '%s' failed: the server closed the connection "
			    "after the handshake (%s)", url, why);
		return kc_err(KC_ENET, "request to '%s' failed: %s", url, why);
	case CURLE_WRITE_ERROR:
		if (h->too_big)
			return kc_err(KC_EAPI, "the answer of '%s' is too large", url);
		/* FALLTHROUGH */
	default:
		return kc_err(KC_ENET, "request to '%s' failed: %s", url, why);
	}
}

int
kc_http_request(struct kc_http *h, const char *method, const char *url, const char *ctype,
    const char *body, size_t len, struct kc_resp *r)
{
	struct curl_slist *hdrs = NULL, *l;
	char *ct = NULL;
	CURLcode cc;
	CURL *c = h->curl;
	int rc = KC_OK;

	memset(r, 0, sizeof *r);
	for (l = h->headers; l != NULL; l = l->next)
		hdrs = curl_slist_append(hdrs, l->data);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (ctype != NULL) {
		ct = kc_xasprintf("Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, ct);
		free(ct);
	}
	if (hdrs == NULL)
		kc_die(KC_ESYS, "out of memory");
	h->err[0] = '\0';
	h->cur = r;
	h->too_big = 0;
	h->headers_done = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (strcmp(method, "GET") != 0 && (body == NULL || strcmp(method, "POST") != 0))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (h->deadline != 0) {
		long long left = h->deadline - now_ms();
		long ms = left < 1 ? 1 : left < h->timeout_ms ? (long)left : h->timeout_ms;

		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms < 10000 ? ms : 10000L);
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK && !h->headers_done) {
		rc = kc_err(KC_ENET, "request to '%s' failed: the connection closed inside the "
		    "answer's headers", url);
		kc_resp_free(r);
	} else if (cc != CURLE_OK) {
		rc = transfer_error(h, cc, url);
		kc_resp_free(r);
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		if (r->body == NULL)
			r->body = kc_xcalloc(1, 1);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
	for (l = hdrs; l != NULL; l = l->next)	/* copies of the persistent ones: a token */
		OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(hdrs);
	h->cur = NULL;
	return rc;
}

const char *
kc_http_error(const struct kc_http *h)
{
	return h->err;
}

void
kc_resp_free(struct kc_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

int
kc_http_from_kubeconfig(const struct kc_kubeconfig *kc, long timeout_ms, struct kc_http **out)
{
	struct kc_tls t = {
		.ca_file = kc->ca_file, .ca_data = kc->ca_data, .ca_len = kc->ca_len,
		.cert_file = kc->cert_file, .cert_data = kc->cert_data, .cert_len = kc->cert_len,
		.key_file = kc->key_file, .key_data = kc->key_data, .key_len = kc->key_len,
		.insecure = kc->insecure,
	};
	struct kc_http *h;

	if (strncmp(kc->server, "https://", 8) != 0 && strncmp(kc->server, "http://", 7) != 0)
		return kc_err(KC_EINPUT, "kubeconfig '%s': server '%s' is not an http(s) URL",
		    kc->path, kc->server);
	h = kc_http_new(&t, timeout_ms);
	if (kc->token != NULL && *kc->token != '\0') {
		char *a = kc_xasprintf("Authorization: Bearer %s", kc->token);

		kc_http_header(h, a);
		kc_wipe_free(a, strlen(a));
	}
	*out = h;
	return KC_OK;
}

/* the message of a Kubernetes Status answer, or a short description of the body */
char *
kc_status_message(const struct kc_resp *r)
{
	json_t *doc = json_loadb(r->body, r->len, 0, NULL);
	const char *m = NULL, *reason = NULL;
	char *s;

	if (doc != NULL)
		json_unpack(doc, "{s?s, s?s}", "message", &m, "reason", &reason);
	if (m != NULL && *m != '\0')
		s = reason != NULL && *reason != '\0' ? kc_xasprintf("%s (%s)", m, reason)
		    : kc_xstrdup(m);
	else if (r->len > 0 && r->len < 200 && doc == NULL)
		s = kc_xasprintf("HTTP %ld: %.*s", r->status, (int)strcspn(r->body, "\r\n"), r->body);
	else
		s = kc_xasprintf("HTTP %ld", r->status);
	json_decref(doc);
	return s;
}
