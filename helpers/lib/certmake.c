/* certmake.c - making certificate requests, certificates and serial numbers on OpenSSL */
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kc.h"

X509_REQ *
kc_req_make(EVP_PKEY *k, const char *cn)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();

	if (req == NULL || n == NULL ||
	    X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
		(const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, n) != 1 || X509_REQ_set_pubkey(req, k) != 1 ||
	    X509_REQ_sign(req, k, EVP_sha256()) <= 0) {
		X509_REQ_free(req);
		req = NULL;
	}
	X509_NAME_free(n);
	return req;
}

X509 *
kc_cert_make(X509_REQ *req, const X509_NAME *issuer, EVP_PKEY *signer, long days,
    const BIGNUM *serial)
{
	X509 *x = X509_new();

	if (x == NULL || X509_set_version(x, X509_VERSION_1) != 1 ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL ||
	    X509_set_issuer_name(x, issuer) != 1 ||
	    X509_set_subject_name(x, X509_REQ_get_subject_name(req)) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) == NULL ||
	    X509_set_pubkey(x, X509_REQ_get0_pubkey(req)) != 1 ||
	    X509_sign(x, signer, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

char *
kc_pem_of(const X509 *x, const X509_REQ *req, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s = NULL;
	long n;

	if (b != NULL &&
	    (x != NULL ? PEM_write_bio_X509(b, x) : PEM_write_bio_X509_REQ(b, req)) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0) {
		s = kc_xasprintf("%.*s", (int)n, data);
		*len = (size_t)n;
	}
	BIO_free(b);
	return s;
}

BIGNUM *
kc_serial_rand(void)
{
	BIGNUM *bn = BN_new();

	if (bn != NULL && BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
		BN_free(bn);
		bn = NULL;
	}
	return bn;
}
