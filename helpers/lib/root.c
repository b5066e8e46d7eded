/* root.c - KUSCIA_ROOT resolution (CONTRACTS.md section 1) */
#include <stdlib.h>
#include <string.h>

#include "kc.h"

const char *
kc_root(void)
{
	const char *r = getenv("KUSCIA_ROOT");

	return r != NULL && *r != '\0' ? r : "/home/kuscia";
}

char *
kc_root_path(const char *rel)
{
	const char *r = kc_root();
	size_t n = strlen(r);

	while (n > 1 && r[n - 1] == '/')
		n--;
	return kc_xasprintf("%.*s/%s", (int)n, r, rel);
}
