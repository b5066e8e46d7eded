/* sslerr.c - OpenSSL's reason for a failure, added to a message (apart from err.c, so that
 * the helpers that never touch OpenSSL do not load libcrypto) */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "kc.h"

const char *
kc_ssl_reason(void)
{
	unsigned long e, last = 0;
	const char *r;

	while ((e = ERR_get_error()) != 0)
		if (last == 0)
			last = e;
	if (last == 0)
		return "unknown error";
	r = ERR_reason_error_string(last);
	return r != NULL ? r : "unknown error";
}

int
kc_ssl_err(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	return kc_err(code, "%s%s: %s", msg, n >= (int)sizeof msg ? "..." : "", kc_ssl_reason());
}
