/* http.c - an HTTP/1.1 client on OpenSSL (net.c): one kept-alive connection, mTLS, one call
 * per request. Not libcurl: its Debian build loads 35 libraries, 3 ms at every helper's start */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "kc.h"
#include "net.h"

#define KC_HTTP_MAX_BODY (64u << 20)
#define KC_HTTP_MAX_HEAD (256u << 10)

struct kc_http {
	struct kc_net c;
	char **hdr;		/* persistent "Name: value" lines (may hold a token: wiped) */
	size_t nhdr;
	char *origin;		/* "https://host:port" of the open connection */
	long timeout_ms;	/* per request */
	long long deadline;	/* 0, or CLOCK_MONOTONIC ms by which every request must be done */
	long long end;		/* ms by which the current request must be done */
	int fresh;		/* the open connection was made by kc_http_preconnect, unused */
	int pre_failed;		/* kc_http_preconnect to origin failed: pre_kind, pre_err */
	long long pre_at;	/* ms kc_http_preconnect ended: what it found is trusted 1 s */
	enum kc_net_fail pre_kind;
	char pre_err[320];
	const char *mem;	/* kc_http_parse: the answer comes from memory */
	size_t memlen;
	size_t got;		/* bytes of the current answer received */
	char buf[16384];
	size_t pos, len;	/* unread bytes are buf[pos, len) */
};

struct url {
	int tls;
	char host[256], port[8];
	char hostport[272];	/* for Host:, brackets kept */
	const char *path;	/* from the first '/' or '?'; "" = "/" */
};

static void *
dup_blob(const void *p, size_t n)
{
	void *d = p != NULL ? kc_xmalloc(n + 1) : NULL;

	if (d != NULL) {
		memcpy(d, p, n);
		((char *)d)[n] = '\0';
	}
	return d;
}

struct kc_http *
kc_http_new(const struct kc_tls *t, long timeout_ms)
{
	struct kc_http *h = kc_xcalloc(1, sizeof *h);

	h->c.fd = -1;
	h->c.cancel = -1;
	h->timeout_ms = timeout_ms;
	if (t != NULL) {
		h->c.tls.insecure = t->insecure;
		h->c.tls.ca_file = t->ca_file != NULL ? kc_xstrdup(t->ca_file) : NULL;
		h->c.tls.cert_file = t->cert_file != NULL ? kc_xstrdup(t->cert_file) : NULL;
		h->c.tls.key_file = t->key_file != NULL ? kc_xstrdup(t->key_file) : NULL;
		h->c.tls.ca_data = dup_blob(t->ca_data, h->c.tls.ca_len = t->ca_len);
		h->c.tls.cert_data = dup_blob(t->cert_data, h->c.tls.cert_len = t->cert_len);
		h->c.tls.key_data = dup_blob(t->key_data, h->c.tls.key_len = t->key_len);
	}
	return h;
}

void
kc_http_deadline(struct kc_http *h, long total_ms)
{
	h->deadline = kc_now_ms() + total_ms;
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
	h->hdr = kc_xrealloc(h->hdr, (h->nhdr + 1) * sizeof *h->hdr);
	h->hdr[h->nhdr++] = kc_xstrdup(header);
}

void
kc_http_free(struct kc_http *h)
{
	struct kc_tls *t;

	if (h == NULL)
		return;
	t = &h->c.tls;
	kc_net_free(&h->c);
	for (size_t i = 0; i < h->nhdr; i++)
		kc_wipe_free(h->hdr[i], strlen(h->hdr[i]));
	free(h->hdr);
	free(h->origin);
	free((char *)t->ca_file);
	free((char *)t->cert_file);
	free((char *)t->key_file);
	free((void *)t->ca_data);
	free((void *)t->cert_data);
	if (t->key_data != NULL)
		kc_wipe_free((void *)t->key_data, t->key_len);
	OPENSSL_cleanse(h->buf, sizeof h->buf);
	free(h);
}

/* scheme, host, port and path; 0, or -1 when it is not an http(s) URL we can send */
static int
parse_url(const char *url, struct url *u)
{
	const char *p, *auth_end, *h, *e, *after;
	size_t hl;
	long port;

	memset(u, 0, sizeof *u);
	if (strncasecmp(url, "https://", 8) == 0)
		u->tls = 1, p = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return -1;
	for (const char *q = url; *q != '\0'; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f || *q == '#')
			return -1;
	auth_end = p + strcspn(p, "/?");
	if (memchr(p, '@', (size_t)(auth_end - p)) != NULL)
		return -1;
	if (*p == '[') {
		h = p + 1;
		if ((e = memchr(h, ']', (size_t)(auth_end - h))) == NULL)
			return -1;
		after = e + 1;
	} else {
		h = p;
		e = memchr(p, ':', (size_t)(auth_end - p));
		after = e = e != NULL ? e : auth_end;
	}
	if ((hl = (size_t)(e - h)) == 0 || hl >= sizeof u->host)
		return -1;
	memcpy(u->host, h, hl);
	port = u->tls ? 443 : 80;
	if (after < auth_end) {
		char *end;

		if (*after != ':' || !isdigit((unsigned char)after[1]))
			return -1;
		errno = 0;
		port = strtol(after + 1, &end, 10);
		if (end != auth_end || errno != 0 || port < 1 || port > 65535)
			return -1;
	}
	snprintf(u->port, sizeof u->port, "%ld", port);
	snprintf(u->hostport, sizeof u->hostport, "%.*s", (int)(auth_end - p), p);
	u->path = auth_end;
	return 0;
}

/* the request, headers and body in one buffer, so that it leaves in one write */
static char *
request_text(const struct kc_http *h, const char *method, const struct url *u, const char *ctype,
    const char *body, size_t len, size_t *n)
{
	size_t cap = strlen(method) + strlen(u->path) + strlen(u->hostport) + strlen(KC_VERSION) +
	    200 + len;
	char *s, *p;

	if (ctype != NULL)
		cap += strlen(ctype);
	for (size_t i = 0; i < h->nhdr; i++)
		cap += strlen(h->hdr[i]) + 2;
	if (len > SIZE_MAX - cap)
		kc_die(KC_ESYS, "out of memory");
	p = s = kc_xmalloc(cap);
	p += snprintf(p, cap, "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: kc/%s\r\n"
	    "Accept: application/json\r\n", method, *u->path == '/' ? "" : "/", u->path,
	    u->hostport, KC_VERSION);
	for (size_t i = 0; i < h->nhdr; i++)
		p += snprintf(p, cap - (size_t)(p - s), "%s\r\n", h->hdr[i]);
	if (ctype != NULL)
		p += snprintf(p, cap - (size_t)(p - s), "Content-Type: %s\r\n", ctype);
	if (body != NULL || strcmp(method, "GET") != 0)
		p += snprintf(p, cap - (size_t)(p - s), "Content-Length: %zu\r\n", len);
	p += snprintf(p, cap - (size_t)(p - s), "\r\n");
	if (len > 0)
		memcpy(p, body, len);
	*n = (size_t)(p - s) + len;
	return s;
}

/* more bytes into buf: 1 read some, 0 the end of the stream, -1 failed */
static int
fill(struct kc_http *h, const char *phase)
{
	ssize_t r;

	if (h->pos > 0) {
		memmove(h->buf, h->buf + h->pos, h->len - h->pos);
		h->len -= h->pos;
		h->pos = 0;
	}
	if (h->mem != NULL || h->c.fd < 0) {
		r = (ssize_t)(h->memlen < sizeof h->buf - h->len ? h->memlen : sizeof h->buf - h->len);
		memcpy(h->buf + h->len, h->mem != NULL ? h->mem : "", (size_t)r);
		h->mem += r;
		h->memlen -= (size_t)r;
	} else if ((r = kc_net_recv(&h->c, h->buf + h->len, sizeof h->buf - h->len, h->end,
	    phase)) < 0) {
		return -1;
	}
	h->len += (size_t)r;
	h->got += (size_t)r;
	return r > 0;
}

/* the next line of the answer's head, NUL-terminated, CR dropped: 1, 0 at the end, -1 failed */
static int
head_line(struct kc_http *h, char **line, size_t *total)
{
	char *nl;
	int r;

	while ((nl = memchr(h->buf + h->pos, '\n', h->len - h->pos)) == NULL) {
		if (h->len - h->pos == sizeof h->buf)
			return kc_net_fail(&h->c, KC_NET_IO, "an answer header is too long");
		if ((r = fill(h, "waiting for the answer")) <= 0)
			return r;
	}
	*line = h->buf + h->pos;
	*total += (size_t)(nl - *line) + 1;
	if (*total > KC_HTTP_MAX_HEAD)
		return kc_net_fail(&h->c, KC_NET_IO, "the answer's headers are too large");
	h->pos = (size_t)(nl - h->buf) + 1;
	if (nl > *line && nl[-1] == '\r')
		nl--;
	*nl = '\0';
	return 1;
}

static int
body_add(struct kc_http *h, struct kc_resp *r, size_t n)
{
	if (n > KC_HTTP_MAX_BODY - r->len)
		return kc_net_fail(&h->c, KC_NET_BIG, "the answer is too large");
	r->body = kc_xrealloc(r->body, r->len + n + 1);
	memcpy(r->body + r->len, h->buf + h->pos, n);
	r->len += n;
	r->body[r->len] = '\0';
	h->pos += n;
	return 0;
}

/* n bytes of body (SIZE_MAX: up to the end of the stream) */
static int
body_read(struct kc_http *h, struct kc_resp *r, size_t n)
{
	while (n > 0) {
		size_t have = h->len - h->pos, take = have < n ? have : n;
		int f;

		if (take > 0) {
			if (body_add(h, r, take) != 0)
				return -1;
			if (n != SIZE_MAX)
				n -= take;
			continue;
		}
		if ((f = fill(h, "reading the answer")) < 0)
			return -1;
		if (f == 0 && n == SIZE_MAX)
			return 0;
		if (f == 0)
			return kc_net_fail(&h->c, KC_NET_IO,
			    "transfer closed with %zu bytes remaining to read", n);
	}
	return 0;
}

static int
size_value(const char *v, int base, size_t *n)
{
	char *end;
	unsigned long long x;

	if (!isxdigit((unsigned char)*v) || (base == 10 && !isdigit((unsigned char)*v)))
		return -1;
	errno = 0;
	x = strtoull(v, &end, base);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno != 0 || (*end != '\0' && (base == 10 || *end != ';')) || x > KC_HTTP_MAX_BODY)
		return -1;
	*n = (size_t)x;
	return 0;
}

static int
chunked_read(struct kc_http *h, struct kc_resp *r)
{
	size_t total = 0, n;
	char *line;
	int g;

	for (;;) {
		if ((g = head_line(h, &line, &total)) <= 0)
			return g < 0 ? -1 : kc_net_fail(&h->c, KC_NET_IO,
			    "transfer closed with outstanding read data remaining");
		if (size_value(line, 16, &n) != 0)
			return kc_net_fail(&h->c, KC_NET_IO, "a bad chunk size in the answer");
		if (n == 0)
			break;
		total = 0;
		if (body_read(h, r, n) != 0 || (g = head_line(h, &line, &total)) < 0)
			return -1;
		if (g == 0 || *line != '\0')
			return kc_net_fail(&h->c, KC_NET_IO, g == 0 ?
			    "transfer closed with outstanding read data remaining" :
			    "a chunk of the answer does not end where its size says");
	}
	do {	/* trailers, up to the empty line */
		if ((g = head_line(h, &line, &total)) <= 0)
			return g < 0 ? -1 : 0;
	} while (*line != '\0');
	return 0;
}

/* the status line and headers (1xx answers skipped), then the body; *keep: the connection
 * can carry another request */
static int
read_answer(struct kc_http *h, const char *method, struct kc_resp *r, int *keep)
{
	size_t total = 0, clen = 0;
	int chunked = 0, has_len = 0, close_it, g;
	char *line;

	do {
		if ((g = head_line(h, &line, &total)) <= 0)
			return g < 0 ? -1 : kc_net_fail(&h->c, KC_NET_IO, h->got == 0 ?
			    "the server closed the connection without answering" :
			    "the connection closed inside the answer's headers");
		if (strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)line[7]) ||
		    line[8] != ' ' || !isdigit((unsigned char)line[9]) ||
		    !isdigit((unsigned char)line[10]) || !isdigit((unsigned char)line[11]) ||
		    (line[12] != '\0' && line[12] != ' ') || line[9] == '0')
			return kc_net_fail(&h->c, KC_NET_IO, "the answer is not HTTP/1.x");
		r->status = strtol(line + 9, NULL, 10);
		close_it = line[7] == '0';
		for (;;) {
			char *v;

			if ((g = head_line(h, &line, &total)) <= 0)
				return g < 0 ? -1 : kc_net_fail(&h->c, KC_NET_IO,
				    "the connection closed inside the answer's headers");
			if (*line == '\0')
				break;
			if ((v = strchr(line, ':')) == NULL || v == line)
				return kc_net_fail(&h->c, KC_NET_IO, "a malformed answer header");
			*v++ = '\0';
			v += strspn(v, " \t");
			for (char *e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t');)
				*--e = '\0';
			if (strcasecmp(line, "Content-Length") == 0) {
				size_t n;

				if (size_value(v, 10, &n) != 0 || (has_len && n != clen))
					return kc_net_fail(&h->c, KC_NET_IO,
					    "a bad Content-Length in the answer");
				clen = n;
				has_len = 1;
			} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
				if (strcasecmp(v, "chunked") != 0)
					return kc_net_fail(&h->c, KC_NET_IO, "the answer's "
					    "Transfer-Encoding '%.40s' is not chunked", v);
				chunked = 1;
			} else if (strcasecmp(line, "Connection") == 0) {
				close_it = strcasecmp(v, "close") == 0 ||
				    (close_it && strcasecmp(v, "keep-alive") != 0);
			}
		}
	} while (r->status >= 100 && r->status < 200 && r->status != 101);
	if (r->status == 101)
		return kc_net_fail(&h->c, KC_NET_IO, "the server switched protocols");
	*keep = !close_it;
	if (strcmp(method, "HEAD") == 0 || r->status == 204 || r->status == 304)
		g = 0;
	else if (chunked)
		g = chunked_read(h, r);
	else if (has_len)
		g = body_read(h, r, clen);
	else if ((g = body_read(h, r, SIZE_MAX)) == 0)
		*keep = 0;
	if (g == 0 && r->body == NULL)
		r->body = kc_xcalloc(1, 1);
	return g;
}

/* the failure of the current request, printed as STYLE.md's codes want it */
static int
report(const struct kc_http *h, const char *url)
{
	const char *why = h->c.err;

	switch (h->c.kind) {
	case KC_NET_REACH:
		return kc_err(KC_ENET, "cannot reach '%s': %s", url, why);
	case KC_NET_TIME:
		return kc_err(KC_ENET, "no answer from '%s' in time: %s", url, why);
	case KC_NET_TLS:
		return kc_err(KC_ETLS, "TLS with '%s' failed: %s", url, why);
	case KC_NET_BIG:
		return kc_err(KC_EAPI, "the answer of '%s' is too large", url);
	default:
		return kc_err(KC_ENET, "request to '%s' failed: %s", url, why);
	}
}

/* connect (or keep the open connection), send, read: 0, or -1 with h->c's failure set */
static int
exchange(struct kc_http *h, const struct url *u, const char *origin, const char *method,
    const char *req, size_t n, struct kc_resp *r, int *reused)
{
	int keep = 0, same = h->origin != NULL && strcmp(h->origin, origin) == 0;
	int recent = kc_now_ms() - h->pre_at < 1000, fresh = h->fresh && recent;
	/* a fresh connection is open whatever the socket holds (TLS 1.3 session tickets); one
	 * made long ago (slow input) is checked and may be retried like any kept-alive one */
	int have = h->c.fd >= 0 && same && (fresh || kc_net_idle_ok(&h->c));

	*reused = have && !fresh;
	h->fresh = 0;
	if (!have) {
		if (h->pre_failed && same && recent) {	/* kc_http_preconnect's failure is ours */
			h->pre_failed = 0;
			h->c.kind = h->pre_kind;
			memcpy(h->c.err, h->pre_err, sizeof h->c.err);
			return -1;
		}
		free(h->origin);
		h->origin = NULL;
		if (kc_net_open(&h->c, u->tls, u->host, u->port, h->end) != 0)
			return -1;
		h->origin = kc_xstrdup(origin);
	}
	h->pos = h->len = h->got = 0;
	if (kc_net_send(&h->c, req, n, h->end) != 0 || read_answer(h, method, r, &keep) != 0) {
		/* a fresh TLS connection closed before any answer: the server refused us */
		if (!*reused && u->tls && h->got == 0 &&
		    (h->c.kind == KC_NET_SEND || h->c.kind == KC_NET_IO)) {
			char why[sizeof h->c.err];

			memcpy(why, h->c.err, sizeof why);
			kc_net_fail(&h->c, KC_NET_TLS, "the server closed the connection after the "
			    "handshake (%s)", why);
		}
		kc_net_close(&h->c);
		return -1;
	}
	if (!keep || h->pos != h->len)	/* bytes past the answer: not a connection to reuse */
		kc_net_close(&h->c);
	return 0;
}

/* this request's clock: the per-request limit, within the total deadline */
static void
start_clock(struct kc_http *h)
{
	long long now = kc_now_ms(), per = h->timeout_ms;

	if (h->deadline != 0 && h->deadline - now < per)
		per = h->deadline - now < 1 ? 1 : h->deadline - now;
	h->c.start = now;
	h->end = now + per;
}

static void
origin_of(const struct url *u, char *origin, size_t size)
{
	snprintf(origin, size, "%s://%s:%s", u->tls ? "https" : "http", u->host, u->port);
}

void
kc_http_cancel_fd(struct kc_http *h, int fd)
{
	h->c.cancel = fd;
}

void
kc_http_preconnect(struct kc_http *h, const char *url)
{
	char origin[300];
	struct url u;

	if (parse_url(url, &u) != 0)
		return;	/* the request says why */
	origin_of(&u, origin, sizeof origin);
	start_clock(h);
	free(h->origin);
	h->origin = kc_xstrdup(origin);
	h->fresh = h->pre_failed = 0;
	if (kc_net_open(&h->c, u.tls, u.host, u.port, h->end) == 0) {
		h->fresh = 1;
	} else if (h->c.kind != KC_NET_CANCEL) {
		h->pre_failed = 1;
		h->pre_kind = h->c.kind;
		memcpy(h->pre_err, h->c.err, sizeof h->pre_err);
	}
	h->pre_at = kc_now_ms();
}

int
kc_http_request(struct kc_http *h, const char *method, const char *url, const char *ctype,
    const char *body, size_t len, struct kc_resp *r)
{
	char origin[300], *req;
	struct url u;
	size_t n;
	int reused, rc;

	memset(r, 0, sizeof *r);
	h->c.err[0] = '\0';
	if (parse_url(url, &u) != 0)
		return kc_err(KC_EINPUT, "cannot send a request to '%s': not an http(s)://HOST[:PORT] "
		    "URL", url);
	start_clock(h);
	origin_of(&u, origin, sizeof origin);
	req = request_text(h, method, &u, ctype, body, len, &n);
	rc = exchange(h, &u, origin, method, req, n, r, &reused);
	/* a kept-alive connection the server closed meanwhile: once more, on a new one */
	if (rc != 0 && reused && h->got == 0 && h->c.kind != KC_NET_TIME &&
	    h->c.kind != KC_NET_BIG) {
		kc_resp_free(r);
		r->status = 0;
		rc = exchange(h, &u, origin, method, req, n, r, &reused);
	}
	kc_wipe_free(req, n);
	if (rc != 0) {
		kc_resp_free(r);
		r->status = 0;
		return report(h, url);
	}
	return KC_OK;
}

/* an answer from memory, read as kc_http_request reads one (the fuzz target's door) */
int
kc_http_parse(const char *data, size_t len, const char *method, struct kc_resp *r)
{
	struct kc_http *h = kc_http_new(NULL, 1000);
	int keep, rc;

	memset(r, 0, sizeof *r);
	h->mem = data;
	h->memlen = len;
	if ((rc = read_answer(h, method, r, &keep)) != 0) {
		kc_resp_free(r);
		rc = report(h, "memory");
	}
	kc_http_free(h);
	return rc;
}

const char *
kc_http_error(const struct kc_http *h)
{
	return h->c.err;
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
