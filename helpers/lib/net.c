/* net.c - the connection under http.c: TCP with a deadline, then TLS on OpenSSL (verified,
 * mTLS), read and written without blocking and without SIGPIPE */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "kc.h"
#include "net.h"

#define CONNECT_MAX_MS 10000L

long long
kc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
kc_net_fail(struct kc_net *c, enum kc_net_fail kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->kind = kind;
	return -1;
}

/* the reason of OpenSSL's last error, the queue cleared */
static const char *
ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown error";
}

/* wait until the socket is ready for EV, at most until END */
static int
wait_fd(struct kc_net *c, short ev, long long end, const char *phase)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = c->fd, .events = ev}, {.fd = c->cancel, .events = POLLIN}};
		long long left = end - kc_now_ms();
		int n;

		if (left <= 0)
			return kc_net_fail(c, KC_NET_TIME, "timed out after %lld ms %s",
			    kc_now_ms() - c->start, phase);
		n = poll(p, c->cancel >= 0 ? 2 : 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0 && p[1].revents != 0)
			return kc_net_fail(c, KC_NET_CANCEL, "cancelled %s", phase);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return kc_net_fail(c, KC_NET_IO, "poll: %s", strerror(errno));
	}
}

/* a socket BIO that sends with MSG_NOSIGNAL: a peer gone away is an error, not SIGPIPE */
static int
bio_write(BIO *b, const char *p, int n)
{
	ssize_t w = send((int)(intptr_t)BIO_get_data(b), p, (size_t)n, MSG_NOSIGNAL);

	BIO_clear_retry_flags(b);
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)w;
}

static int
bio_read(BIO *b, char *p, int n)
{
	ssize_t r = recv((int)(intptr_t)BIO_get_data(b), p, (size_t)n, 0);

	BIO_clear_retry_flags(b);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)r;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH;
}

static int
tcp_connect(struct kc_net *c, const char *host, const char *port, long long end)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res, *ai;
	int e, last = ECONNREFUSED, one = 1;

	if (end > kc_now_ms() + CONNECT_MAX_MS)
		end = kc_now_ms() + CONNECT_MAX_MS;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		return kc_net_fail(c, KC_NET_REACH, "cannot resolve host '%s': %s", host,
		    e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
	for (ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		socklen_t len = sizeof e;

		if (fd < 0) {
			last = errno;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			if (wait_fd(c, POLLOUT, end, "connecting") != 0) {
				freeaddrinfo(res);
				return -1;
			}
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e == 0)
				break;
			last = e;
		} else {
			last = errno;
		}
		close(fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	if (c->fd < 0)
		return kc_net_fail(c, KC_NET_REACH, "connect to %s port %s: %s", host, port,
		    strerror(last));
	return 0;
}

/* the PEM certificates of a blob: into the store, or (no store) as the client certificate and
 * its chain; how many, -1 if one was refused */
static int
pem_certs(const unsigned char *data, size_t len, X509_STORE *st, SSL_CTX *ctx)
{
	BIO *b = BIO_new_mem_buf(data, len > INT_MAX ? INT_MAX : (int)len);
	X509 *x;
	int n = 0, ok = 1;

	while (ok && b != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (st != NULL) {
			ok = X509_STORE_add_cert(st, x) == 1;
			X509_free(x);
		} else if (n == 0) {
			ok = SSL_CTX_use_certificate(ctx, x) == 1;
			X509_free(x);
		} else if (!(ok = SSL_CTX_add0_chain_cert(ctx, x) == 1)) {
			X509_free(x);	/* add0 owns it only when it succeeds */
		}
		n += ok;
	}
	ERR_clear_error();
	BIO_free(b);
	return ok ? n : -1;
}

static int
pem_key(const unsigned char *data, size_t len, SSL_CTX *ctx)
{
	BIO *b = BIO_new_mem_buf(data, len > INT_MAX ? INT_MAX : (int)len);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	int ok = k != NULL && SSL_CTX_use_PrivateKey(ctx, k) == 1;

	EVP_PKEY_free(k);
	BIO_free(b);
	return ok;
}

/* the TLS context, made at the first https connection */
static int
tls_ctx(struct kc_net *c)
{
	const struct kc_tls *t = &c->tls;
	SSL_CTX *x;

	if (c->ctx != NULL)
		return 0;
	if ((x = SSL_CTX_new(TLS_client_method())) == NULL)
		return kc_net_fail(c, KC_NET_TLS, "cannot set up TLS: %s", ssl_reason());
	SSL_CTX_set_min_proto_version(x, TLS1_2_VERSION);
	if (!t->insecure)
		SSL_CTX_set_verify(x, SSL_VERIFY_PEER, NULL);
	if (t->ca_data != NULL) {
		if (pem_certs(t->ca_data, t->ca_len, SSL_CTX_get_cert_store(x), x) < 1) {
			SSL_CTX_free(x);
			return kc_net_fail(c, KC_NET_TLS, "no PEM certificate in the CA data");
		}
	} else if (t->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(x, t->ca_file, NULL) != 1) {
			SSL_CTX_free(x);
			return kc_net_fail(c, KC_NET_TLS, "cannot load CA certificates from '%s': %s",
			    t->ca_file, ssl_reason());
		}
	} else if (!t->insecure) {
		SSL_CTX_set_default_verify_paths(x);
	}
	if ((t->cert_data != NULL && pem_certs(t->cert_data, t->cert_len, NULL, x) < 1) ||
	    (t->cert_data == NULL && t->cert_file != NULL &&
	    SSL_CTX_use_certificate_chain_file(x, t->cert_file) != 1)) {
		SSL_CTX_free(x);
		return kc_net_fail(c, KC_NET_TLS, "cannot use the client certificate%s%s%s: %s",
		    t->cert_data != NULL ? "" : " '", t->cert_data != NULL ? "" : t->cert_file,
		    t->cert_data != NULL ? "" : "'", ssl_reason());
	}
	if ((t->key_data != NULL && !pem_key(t->key_data, t->key_len, x)) ||
	    (t->key_data == NULL && t->key_file != NULL &&
	    SSL_CTX_use_PrivateKey_file(x, t->key_file, SSL_FILETYPE_PEM) != 1) ||
	    ((t->key_data != NULL || t->key_file != NULL) && SSL_CTX_check_private_key(x) != 1)) {
		SSL_CTX_free(x);
		return kc_net_fail(c, KC_NET_TLS, "cannot use the client key: %s", ssl_reason());
	}
	c->ctx = x;
	return 0;
}

/* a failed TLS call: in the handshake, or (done) while sending or reading */
static int
tls_fail(struct kc_net *c, int e, int handshake)
{
	long v = SSL_get_verify_result(c->ssl);
	int en = errno;

	if (handshake && e == SSL_ERROR_SSL && v != X509_V_OK)
		return kc_net_fail(c, KC_NET_TLS, "the server's certificate does not verify: %s",
		    X509_verify_cert_error_string(v));
	if (e == SSL_ERROR_SYSCALL && en != 0) {
		ERR_clear_error();
		if (handshake && (en == ECONNRESET || en == EPIPE))
			return kc_net_fail(c, KC_NET_REACH, "the connection was reset (%s)",
			    strerror(en));
		return kc_net_fail(c, KC_NET_IO, "%s", strerror(en));
	}
	if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
		return kc_net_fail(c, handshake ? KC_NET_TLS : KC_NET_IO, "%s",
		    handshake ? "the server closed the connection in the TLS handshake" :
		    "the server closed the connection");
	return kc_net_fail(c, KC_NET_TLS, "%s", ssl_reason());
}

static int
tls_connect(struct kc_net *c, const char *host, long long end)
{
	unsigned char ip[16];
	int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	BIO *b;

	if (tls_ctx(c) != 0)
		return -1;
	if (c->meth == NULL) {
		if ((c->meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
		    "kc socket")) == NULL)
			return kc_net_fail(c, KC_NET_TLS, "cannot set up TLS: %s", ssl_reason());
		BIO_meth_set_write(c->meth, bio_write);
		BIO_meth_set_read(c->meth, bio_read);
		BIO_meth_set_ctrl(c->meth, bio_ctrl);
	}
	if ((c->ssl = SSL_new(c->ctx)) == NULL || (b = BIO_new(c->meth)) == NULL)
		return kc_net_fail(c, KC_NET_TLS, "cannot set up TLS: %s", ssl_reason());
	BIO_set_data(b, (void *)(intptr_t)c->fd);
	BIO_set_init(b, 1);
	SSL_set_bio(c->ssl, b, b);
	if (!is_ip)
		SSL_set_tlsext_host_name(c->ssl, host);
	if (!c->tls.insecure && (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
	    host) != 1 : SSL_set1_host(c->ssl, host) != 1))
		return kc_net_fail(c, KC_NET_TLS, "cannot check the server's name: %s",
		    ssl_reason());
	for (;;) {
		int r, e;

		ERR_clear_error();
		errno = 0;
		if ((r = SSL_connect(c->ssl)) == 1)
			return 0;
		e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return tls_fail(c, e, 1);
		if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, end,
		    "in the TLS handshake") != 0)
			return -1;
	}
}

int
kc_net_open(struct kc_net *c, int tls, const char *host, const char *port, long long end)
{
	kc_net_close(c);
	if (tcp_connect(c, host, port, end) != 0 || (tls && tls_connect(c, host, end) != 0)) {
		kc_net_close(c);
		return -1;
	}
	return 0;
}

/* an idle kept-alive connection the server has closed (or sent something on) is stale */
int
kc_net_idle_ok(const struct kc_net *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	return c->fd >= 0 && poll(&p, 1, 0) == 0 && (c->ssl == NULL || SSL_pending(c->ssl) == 0);
}

void
kc_net_close(struct kc_net *c)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void
kc_net_free(struct kc_net *c)
{
	kc_net_close(c);
	SSL_CTX_free(c->ctx);
	BIO_meth_free(c->meth);
	c->ctx = NULL;
	c->meth = NULL;
}

int
kc_net_send(struct kc_net *c, const char *p, size_t n, long long end)
{
	while (n > 0) {
		size_t w = 0;
		ssize_t sw;
		int r, e;

		if (c->ssl == NULL) {
			if ((sw = send(c->fd, p, n, MSG_NOSIGNAL)) >= 0) {
				p += sw;
				n -= (size_t)sw;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				return kc_net_fail(c, KC_NET_SEND, "%s", strerror(errno));
			} else if (wait_fd(c, POLLOUT, end, "sending the request") != 0) {
				return -1;
			}
			continue;
		}
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_write_ex(c->ssl, p, n, &w)) == 1) {
			p += w;
			n -= w;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			tls_fail(c, e, 0);
			if (c->kind == KC_NET_IO)
				c->kind = KC_NET_SEND;
			return -1;
		}
		if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, end,
		    "sending the request") != 0)
			return -1;
	}
	return 0;
}

/* up to n bytes into p: their count, 0 at the end of the stream, -1 on failure */
ssize_t
kc_net_recv(struct kc_net *c, char *p, size_t n, long long end, const char *phase)
{
	for (;;) {
		size_t got = 0;
		ssize_t r;
		int ok, e;

		if (c->ssl == NULL) {
			if ((r = recv(c->fd, p, n, 0)) >= 0)
				return r;
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return kc_net_fail(c, KC_NET_IO, "%s", strerror(errno));
			if (wait_fd(c, POLLIN, end, phase) != 0)
				return -1;
			continue;
		}
		ERR_clear_error();
		errno = 0;
		if ((ok = SSL_read_ex(c->ssl, p, n, &got)) == 1)
			return (ssize_t)got;
		e = SSL_get_error(c->ssl, ok);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		/* OpenSSL 3 calls an end without close_notify an error: for HTTP it is an end */
		if (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_last_error()) ==
		    SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return 0;
		}
		if (e == SSL_ERROR_SYSCALL && errno == 0) {
			ERR_clear_error();
			return 0;
		}
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return tls_fail(c, e, 0);
		if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, end, phase) != 0)
			return -1;
	}
}
