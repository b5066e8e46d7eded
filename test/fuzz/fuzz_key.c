/* fuzz_key - a private key from outside: PEM PKCS#1/PKCS#8 (kc_key_from_pem) or the base64 of
 * one (kc_key_from_data, kuscia.yaml's domainKeyData), written back (kc_key_to_pem) */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_key");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *k;
	char *pem;
	size_t n;

	if ((k = kc_key_from_pem(data, size)) != NULL)
		EVP_PKEY_free(k);
	if ((k = kc_key_from_data(data, size)) != NULL) {
		if ((pem = kc_key_to_pem(k, &n)) != NULL)
			kc_wipe_free(pem, n + 1);
		EVP_PKEY_free(k);
	}
	return 0;
}
