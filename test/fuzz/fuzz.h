/* fuzz.h - shared by the libFuzzer targets: input as a NUL-terminated string, split at NULs */
#ifndef KC_FUZZ_H
#define KC_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* a NUL-terminated copy of data; free it */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = kc_xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* the next NUL-separated field of [*p, end) as a fresh string; *p moves past it */
static inline char *
fuzz_field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, '\0', (size_t)(end - *p));
	size_t n = nul != NULL ? (size_t)(nul - *p) : (size_t)(end - *p);
	char *s = fuzz_str(*p, n);

	*p += n + (nul != NULL);
	return s;
}

/* messages from the lib go to stderr: keep them (they are part of the run), but name us */
static inline void
fuzz_init(const char *prog)
{
	kc_prog = prog;
	setenv("KUSCIA_ROOT", "/nonexistent/kc-fuzz", 1);
	unsetenv("KC_PROG");
}

#endif
