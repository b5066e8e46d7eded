/* fuzz_cert - a certificate from outside: PEM (kc_cert_from_pem) or DER, its checks
 * (kc_cert_check, kc_cert_cn) and how kc-route-check prints a gateway's certificate
 * (kc_probe_tls, unverified); the same bytes as base64 text (kc_unb64) */
#include <openssl/x509.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_cert");
	return 0;
}

static void
use(X509 *x)
{
	struct kc_probe_opts o = { .url = "https://fuzz:1", .insecure = 1, .quiet = 1 };
	struct kc_probe p;
	char *cn;

	if (x == NULL)
		return;
	(void)kc_cert_check(x, "alice");
	(void)kc_cert_reason_word(kc_cert_check(x, ""));
	free(cn = kc_cert_cn(x));
	memset(&p, 0, sizeof p);
	(void)kc_probe_tls(&o, &p, "TLSv1.3", x, NULL, 1.0);
	kc_probe_free(&p);
	o.insecure = 0;
	o.expect = "bob";	/* no var/certs/bob.domain.crt under KUSCIA_ROOT: not verified */
	(void)kc_probe_tls(&o, &p, "TLSv1.3", x, NULL, 1.0);
	kc_probe_free(&p);
	X509_free(x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *der = data;
	char *text = fuzz_str(data, size);
	unsigned char *dec;
	size_t n;

	use(kc_cert_from_pem(data, size));
	if (size < 1u << 20)
		use(d2i_X509(NULL, &der, (long)size));
	if ((dec = kc_unb64(text, &n)) != NULL) {
		use(kc_cert_from_pem(dec, n));
		free(dec);
	}
	free(text);
	return 0;
}
