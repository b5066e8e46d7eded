/* mem.c - allocators that die on OOM, and wiping secrets */
#define _DEFAULT_SOURCE	/* explicit_bzero */
#include <stdlib.h>
#include <string.h>

#include "kc.h"

void *
kc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		kc_die(KC_ESYS, "out of memory");
	return p;
}

void *
kc_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (p == NULL)
		kc_die(KC_ESYS, "out of memory");
	return p;
}

void *
kc_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		kc_die(KC_ESYS, "out of memory");
	return q;
}

char *
kc_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(kc_xmalloc(n), s, n);
}

char *
kc_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		kc_die(KC_ESYS, "cannot format a string");
	s = kc_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	if (vsnprintf(s, (size_t)n + 1, fmt, ap) != n)
		kc_die(KC_ESYS, "cannot format a string");
	va_end(ap);
	return s;
}

void
kc_wipe_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	kc_wipe(p, n);
	free(p);
}

/* zero secret bytes in a way the compiler cannot drop (OPENSSL_cleanse without libcrypto, so
 * that kc-render and kc-conf do not load it) */
void
kc_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}
