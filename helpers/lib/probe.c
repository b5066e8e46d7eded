/* probe.c - is there a Kuscia gateway at this endpoint? DNS, TCP, TLS, HTTP, the 401 answer
 * (spec/routes-and-tokens.md section 5) and the read-only GET /handshake (section 3.5) */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "kc.h"

#define MAX_BODY (64u << 10)

struct xfer {
	CURL *curl;
	char err[CURL_ERROR_SIZE];
	char *body;
	size_t len;
	struct kc_probe_headers hd;	/* the last response's */
	/* TCP connected: curl says "Connected to" (its CONNECT_TIME stays 0 when TLS fails) */
	int connected;
	/* captured once the TLS handshake is done */
	int have_tls;
	const char *version;
	X509 *leaf;
	STACK_OF(X509) *chain;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t add = size * n, keep = add;

	if (x->len + keep > MAX_BODY)
		keep = MAX_BODY - x->len;
	x->body = kc_xrealloc(x->body, x->len + keep + 1);
	memcpy(x->body + x->len, p, keep);
	x->len += keep;
	x->body[x->len] = '\0';
	return add;
}

/* "Name: value\r\n" of the headers we need (the last response's); any bytes, len of them
 * (libcurl passes one header line a call, not NUL-terminated) */
void
kc_probe_header(struct kc_probe_headers *h, const char *p, size_t len)
{
	char **slot = NULL;
	size_t k = 0;

	if (len == 0)
		return;
	if (len <= 2 && (p[0] == '\r' || p[0] == '\n'))
		h->done = 1;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		h->done = 0;
		kc_probe_headers_free(h);
	} else if (len > 7 && strncasecmp(p, "server:", 7) == 0) {
		slot = &h->server, k = 7;
	} else if (len > 21 && strncasecmp(p, "kuscia-error-message:", 21) == 0) {
		slot = &h->errmsg, k = 21;
	}
	if (slot != NULL && len < 4096) {
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		while (len > k && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
			len--;
		free(*slot);
		*slot = kc_xasprintf("%.*s", (int)(len - k), p + k);
		kc_text_clean(*slot);
	}
}

void
kc_probe_headers_free(struct kc_probe_headers *h)
{
	free(h->server);
	free(h->errmsg);
	h->server = h->errmsg = NULL;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	kc_probe_header(&x->hd, p, size * n);
	return size * n;
}

static int
on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct xfer *x = arg;

	(void)c;
	if (type == CURLINFO_TEXT && size >= 13 && strncmp(data, "Connected to ", 13) == 0)
		x->connected = 1;
	return 0;
}

/* called once connected (TLS done), before the request: keep the peer's certificates */
static int
on_prereq(void *arg, char *ip, char *local, int port, int lport)
{
	struct xfer *x = arg;
	struct curl_tlssessioninfo *ti = NULL;
	SSL *ssl;

	(void)ip, (void)local, (void)port, (void)lport;
	if (x->have_tls || curl_easy_getinfo(x->curl, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
	    ti == NULL || ti->backend != CURLSSLBACKEND_OPENSSL || ti->internals == NULL)
		return CURL_PREREQFUNC_OK;
	ssl = ti->internals;
	x->have_tls = 1;
	x->version = SSL_get_version(ssl);
	x->leaf = SSL_get1_peer_certificate(ssl);
	if (SSL_get_peer_cert_chain(ssl) != NULL)
		x->chain = X509_chain_up_ref(SSL_get_peer_cert_chain(ssl));
	return CURL_PREREQFUNC_OK;
}

static void
xfer_init(struct xfer *x, long timeout_ms)
{
	memset(x, 0, sizeof *x);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (x->curl = curl_easy_init()) == NULL)
		kc_die(KC_ESYS, "cannot initialise libcurl");
	curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->curl, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);	/* as Kuscia */
	curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(x->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(x->curl, CURLOPT_SSL_VERIFYPEER, 0L);	/* verified here, below */
	curl_easy_setopt(x->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(x->curl, CURLOPT_PROXY, "");	/* the endpoint itself, not a proxy */
	curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->curl, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->curl, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(x->curl, CURLOPT_PREREQDATA, x);
	curl_easy_setopt(x->curl, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(x->curl, CURLOPT_DEBUGDATA, x);
	curl_easy_setopt(x->curl, CURLOPT_VERBOSE, 1L);
}

static CURLcode
xfer_get(struct xfer *x, const char *url, struct curl_slist *hdrs)
{
	free(x->body);
	x->body = NULL;
	x->len = 0;
	x->connected = 0;
	x->err[0] = '\0';
	curl_easy_setopt(x->curl, CURLOPT_URL, url);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, hdrs);
	return curl_easy_perform(x->curl);
}

static void
xfer_free(struct xfer *x)
{
	if (x->curl != NULL) {
		curl_easy_cleanup(x->curl);
		curl_global_cleanup();
	}
	free(x->body);
	kc_probe_headers_free(&x->hd);
	X509_free(x->leaf);
	sk_X509_pop_free(x->chain, X509_free);
}

/* does HOST:PORT speak TLS (want_tls) or plain HTTP? one short extra connection */
static int
speaks(const struct kc_endpoint *ep, int want_tls, long timeout_ms)
{
	struct xfer x;
	char *url = kc_xasprintf("%s://%s:%d/", want_tls ? "https" : "http", ep->host, ep->port);
	CURLcode cc;
	long code = 0;
	curl_off_t tls = 0;

	xfer_init(&x, timeout_ms < 2000 ? timeout_ms : 2000);
	cc = xfer_get(&x, url, NULL);
	curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(x.curl, CURLINFO_APPCONNECT_TIME_T, &tls);
	xfer_free(&x);
	free(url);
	return want_tls ? tls > 0 : cc == CURLE_OK && code > 0;
}

static double
since(CURL *c, CURLINFO what, curl_off_t *prev)
{
	curl_off_t t = 0;
	double ms;

	curl_easy_getinfo(c, what, &t);
	if (t <= 0)
		return -1;
	ms = (double)(t - *prev) / 1000.0;
	*prev = t;
	return ms < 0 ? 0 : ms;
}

static int
fail(struct kc_probe *p, int stage, int rc, char *finding, char *fix)
{
	kc_check_set(&p->stage[stage], "FAIL", -1, finding, fix);
	return rc;
}

#define NO_ANSWER "something accepts connections but does not answer: a firewall, a proxy or " \
	"an overloaded node"

/* a failed transfer: which stage, what it means, the exit code */
static int
transfer_failed(const struct kc_probe_opts *o, struct kc_probe *p, struct xfer *x, CURLcode cc,
    const char *ip)
{
	const struct kc_endpoint *ep = &p->ep;
	curl_off_t conn = 0, tls = 0;
	const char *why = x->err[0] != '\0' ? x->err : curl_easy_strerror(cc);
	double secs = (double)o->timeout_ms / 1000.0;
	int late = cc == CURLE_OPERATION_TIMEDOUT;

	curl_easy_getinfo(x->curl, CURLINFO_CONNECT_TIME_T, &conn);
	curl_easy_getinfo(x->curl, CURLINFO_APPCONNECT_TIME_T, &tls);
	if (cc == CURLE_COULDNT_RESOLVE_HOST)
		return fail(p, KC_PROBE_DNS, KC_ENET, kc_xasprintf("cannot resolve '%s' to an IPv4 "
		    "address: %s", ep->host, why), kc_xstrdup("check the host of the endpoint; "
		    "Kuscia's gateway does not support IPv6"));
	if (!x->connected && conn <= 0 && late)
		return fail(p, KC_PROBE_CONNECT, KC_ENET, kc_xasprintf("no answer from %s:%d "
		    "within %.3g s", ip, ep->port, secs), kc_xstrdup("usually a firewall drops the "
		    "packets: the peer must allow our egress IP, or the host is wrong"));
	if (!x->connected && conn <= 0)
		return fail(p, KC_PROBE_CONNECT, KC_ENET, kc_xasprintf("cannot connect to %s:%d: "
		    "%s", ip, ep->port, why), kc_xasprintf("nothing listens on port %d there: is "
		    "the Kuscia container running and its port 1080 mapped to %d?", ep->port,
		    ep->port));
	if (ep->tls && tls <= 0 && late)
		return fail(p, KC_PROBE_TLS, KC_ENET, kc_xasprintf("no TLS answer within %.3g s",
		    secs), kc_xstrdup(NO_ANSWER));
	if (ep->tls && tls <= 0 && (strstr(why, "reset by peer") != NULL ||
	    cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR))
		return fail(p, KC_PROBE_TLS, KC_ENET, kc_xasprintf("the connection was reset "
		    "during the TLS handshake: %s", why), kc_xstrdup("a firewall or proxy resets "
		    "the connection, or the gateway is not ready"));
	if (ep->tls && tls <= 0)
		return fail(p, KC_PROBE_TLS, KC_ETLS, kc_xasprintf("TLS handshake failed: %s", why),
		    speaks(ep, 0, o->timeout_ms) ? kc_xasprintf("the endpoint speaks plain HTTP: "
		    "use http://%s:%d (the peer runs protocol NOTLS)", ep->host, ep->port) : NULL);
	if (late)
		return fail(p, KC_PROBE_HTTP, KC_ENET, kc_xasprintf("no HTTP answer within %.3g s",
		    secs), kc_xstrdup(NO_ANSWER));
	if (!ep->tls && speaks(ep, 1, o->timeout_ms))
		return fail(p, KC_PROBE_HTTP, KC_ETLS, kc_xasprintf("no HTTP answer (%s)", why),
		    kc_xasprintf("the endpoint speaks TLS: use https://%s:%d", ep->host, ep->port));
	return fail(p, KC_PROBE_HTTP, cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR ||
	    cc == CURLE_SEND_ERROR || cc == CURLE_PARTIAL_FILE ? KC_ENET : KC_EPEER,
	    kc_xasprintf("no complete HTTP answer: %s", why), kc_xstrdup("check that the "
	    "endpoint is the peer's gateway port and nothing in between cuts connections"));
}

/* GET <prefix>/handshake as the peer's envoy health check does: read-only, never a POST */
static int
handshake(const struct kc_probe_opts *o, struct kc_probe *p, struct xfer *x)
{
	const char *peer = o->expect != NULL ? o->expect : p->domain;
	struct curl_slist *h = NULL;
	size_t pl = strlen(p->ep.path);
	char *url, *a, *b;
	CURLcode cc;
	long s = 0;
	int rc;

	if (peer == NULL) {
		kc_check_set(&p->stage[KC_PROBE_HANDSHAKE], "skip", -1, kc_xstrdup("the gateway "
		    "names no domain"), kc_xstrdup("give --expect PEER"));
		return KC_OK;
	}
	while (pl > 0 && p->ep.path[pl - 1] == '/')
		pl--;
	url = kc_xasprintf("%s://%s:%d%.*s/handshake", p->ep.tls ? "https" : "http", p->ep.host,
	    p->ep.port, (int)pl, p->ep.path);
	a = kc_xasprintf("Kuscia-Host: kuscia-handshake.%s.svc", peer);
	b = kc_xasprintf("Kuscia-Source: %s", o->from);
	h = curl_slist_append(curl_slist_append(h, a), b);
	if (h == NULL || (h = curl_slist_append(h, "Accept:")) == NULL)
		kc_die(KC_ESYS, "out of memory");
	cc = xfer_get(x, url, h);
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &s);
	rc = kc_probe_handshake(o, p, peer, s, x->body, cc == CURLE_OK ? NULL :
	    x->err[0] != '\0' ? x->err : curl_easy_strerror(cc));
	curl_slist_free_all(h);
	free(a);
	free(b);
	free(url);
	return rc;
}

static const char *const stage_names[KC_PROBE_STAGES] = {
	"dns", "connect", "tls", "http", "gateway", "handshake"
};

int
kc_probe_run(const struct kc_probe_opts *o, struct kc_probe *p)
{
	struct xfer x;
	CURLcode cc;
	curl_off_t t0 = 0;
	char *ip = NULL;
	const char *pip = NULL;
	double ms[4];
	int i, rc;

	memset(p, 0, sizeof *p);
	p->hs_state = -1;
	for (i = 0; i < KC_PROBE_STAGES; i++) {
		p->stage[i].check = stage_names[i];
		p->stage[i].ms = -1;
	}
	if ((rc = kc_endpoint_parse(o->url, &p->ep)) != KC_OK)
		return p->rc = rc;
	p->url = kc_xasprintf("%s://%s:%d%s", p->ep.tls ? "https" : "http", p->ep.host, p->ep.port,
	    p->ep.path);
	xfer_init(&x, o->timeout_ms);
	cc = xfer_get(&x, p->url, NULL);
	curl_easy_getinfo(x.curl, CURLINFO_PRIMARY_IP, &pip);
	ip = kc_xstrdup(pip != NULL && *pip != '\0' ? pip : p->ep.host);
	ms[0] = since(x.curl, CURLINFO_NAMELOOKUP_TIME_T, &t0);
	ms[1] = since(x.curl, CURLINFO_CONNECT_TIME_T, &t0);
	ms[2] = p->ep.tls ? since(x.curl, CURLINFO_APPCONNECT_TIME_T, &t0) : -1;
	ms[3] = since(x.curl, CURLINFO_STARTTRANSFER_TIME_T, &t0);
	if (cc != CURLE_COULDNT_RESOLVE_HOST)
		kc_check_set(&p->stage[KC_PROBE_DNS], "ok", ms[0] < 0 ? 0 : ms[0],
		    strcmp(p->ep.host, ip) == 0 ? kc_xasprintf("%s is an address, no lookup", ip) :
		    kc_xasprintf("'%s' is %s", p->ep.host, ip), NULL);
	if (ms[1] >= 0 || x.connected)
		kc_check_set(&p->stage[KC_PROBE_CONNECT], "ok", ms[1], kc_xasprintf("connected to "
		    "%s:%d", ip, p->ep.port), NULL);
	if (!p->ep.tls)
		kc_check_set(&p->stage[KC_PROBE_TLS], "skip", -1, kc_xstrdup("plain HTTP endpoint"),
		    NULL);
	if (cc == CURLE_OK && !x.hd.done)	/* the connection closed inside the headers */
		cc = CURLE_PARTIAL_FILE;
	if (cc != CURLE_OK)
		rc = transfer_failed(o, p, &x, cc, ip);
	else if (p->ep.tls)
		rc = kc_probe_tls(o, p, x.version, x.leaf, x.chain, ms[2]);
	if (rc == KC_OK) {
		curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &p->http_status);
		p->server = x.hd.server != NULL ? kc_xstrdup(x.hd.server) : NULL;
		kc_check_set(&p->stage[KC_PROBE_HTTP], "ok", ms[3], x.hd.server != NULL ?
		    kc_xasprintf("HTTP %ld, server '%s'", p->http_status, x.hd.server) :
		    kc_xasprintf("HTTP %ld, no Server header", p->http_status), NULL);
		rc = kc_probe_gateway(o, p, x.hd.server, x.hd.errmsg, x.body);
	}
	if (rc == KC_OK && o->from != NULL)
		rc = handshake(o, p, &x);
	for (i = 0; i < KC_PROBE_STAGES; i++)
		if (p->stage[i].status == NULL && (i != KC_PROBE_HANDSHAKE || o->from != NULL))
			kc_check_set(&p->stage[i], "skip", -1, kc_xstrdup(rc == KC_OK ? "not run" :
			    "an earlier stage failed"), NULL);
	xfer_free(&x);
	free(ip);
	return p->rc = rc;
}
