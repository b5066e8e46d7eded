/* fuzz_conf - kuscia.yaml lookups (kc_conf_get_buf): the first line is the dotted key, the
 * rest the YAML */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_conf");
	return 0;
}

static void
get(const unsigned char *text, size_t len, const char *key)
{
	char *v = NULL;
	size_t n = 0;

	if (kc_conf_get_buf("kuscia.yaml", text, len, key, &v, &n) == KC_OK && v != NULL) {
		if (strlen(v) > n)
			abort();
		kc_wipe_free(v, n + 1);
	} else if (v != NULL) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t kl = nl != NULL ? (size_t)(nl - data) : 0;
	char *key = fuzz_str(data, kl);
	const uint8_t *y = nl != NULL ? nl + 1 : data;
	size_t yl = size - (size_t)(y - data);

	get(y, yl, key);
	get(y, yl, "domainID");
	get(y, yl, "kusciaAPI.HTTPPort");
	free(key);
	return 0;
}
