/* fuzz_kubeconfig - kc_kubeconfig_parse on any text: context, cluster, user, base64 data */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_kubeconfig");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_kubeconfig kc;
	char *url;

	/* relative tokenFile paths resolve under a folder that does not exist */
	if (kc_kubeconfig_parse("/nonexistent/kc-fuzz/kubeconfig", data, size, &kc) == KC_OK) {
		if (kc.server == NULL || kc.path == NULL)
			abort();
		free(url = kc_api_url(&kc, "/api/v1"));
	}
	kc_kubeconfig_free(&kc);
	return 0;
}
