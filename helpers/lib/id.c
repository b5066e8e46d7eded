/* id.c - domain ID rules (CONTRACTS.md section 3) */
#include <string.h>

#include "kc.h"

static const char *const reserved[] = {
	"default", "kube-system", "kube-public", "kube-node-lease", "master", "cross-domain",
};

const char *
kc_domain_id_problem(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0)
		return "it is empty";
	if (n > 63)
		return "it is longer than 63 characters";
	for (i = 0; i < n; i++) {
		char c = id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && c != '-')
			return "use only lower-case letters, digits and '-'";
		if (!alnum && (i == 0 || i == n - 1))
			return "it must start and end with a lower-case letter or digit";
	}
	for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strcmp(id, reserved[i]) == 0)
			return "it is reserved by Kuscia";
	return NULL;
}
