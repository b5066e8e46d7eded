/* net.h - the connection under http.c (net.c); internal to helpers/lib */
#ifndef KC_NET_H
#define KC_NET_H

#include <sys/types.h>

#include <openssl/ssl.h>

#include "kc.h"

enum kc_net_fail {
	KC_NET_REACH = 1,	/* cannot connect: "cannot reach" (5) */
	KC_NET_TIME,		/* the deadline passed: "no answer in time" (5) */
	KC_NET_TLS,		/* TLS set-up, handshake or alert: (7) */
	KC_NET_SEND,		/* sending the request failed (stale connection?) */
	KC_NET_IO,		/* reading failed, or a bad answer: "request failed" (5) */
	KC_NET_BIG,		/* the answer is too large (6) */
	KC_NET_CANCEL		/* the cancel fd became readable */
};

struct kc_net {
	struct kc_tls tls;	/* http.c owns the copies it points to */
	SSL_CTX *ctx;		/* made at the first https connection */
	BIO_METHOD *meth;
	SSL *ssl;
	int fd;
	int cancel;		/* -1, or an fd whose readability abandons every wait */
	long long start;	/* ms the current request began */
	enum kc_net_fail kind;	/* of the last failure */
	char err[320];		/* its text */
};

long long kc_now_ms(void);	/* CLOCK_MONOTONIC */
int kc_net_fail(struct kc_net *c, enum kc_net_fail kind, const char *fmt, ...) KC_PRINTF(3, 4);
/* these return 0, or -1 with c->kind and c->err set (nothing printed) */
int kc_net_open(struct kc_net *c, int tls, const char *host, const char *port, long long end);
int kc_net_send(struct kc_net *c, const char *p, size_t n, long long end);
ssize_t kc_net_recv(struct kc_net *c, char *p, size_t n, long long end, const char *phase);
int kc_net_idle_ok(const struct kc_net *c);
void kc_net_close(struct kc_net *c);
void kc_net_free(struct kc_net *c);

#endif
