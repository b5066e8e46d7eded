/* fuzz_endpoint - kc_endpoint_parse on any string (peer endpoint URLs, CONTRACTS.md 4) */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_endpoint");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = fuzz_str(data, size);
	struct kc_endpoint ep;

	if (kc_endpoint_parse(url, &ep) == KC_OK) {
		/* what a parsed endpoint promises its users */
		if (ep.host == NULL || ep.path == NULL || ep.path[0] != '/' || ep.port < 1 ||
		    ep.port > 65535 || strlen(ep.host) == 0)
			abort();
		kc_endpoint_free(&ep);
	} else if (ep.host != NULL || ep.path != NULL) {
		abort();	/* a failed parse leaves nothing to free */
	}
	free(url);
	return 0;
}
