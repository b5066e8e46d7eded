/* pki.c - certificates, keys and base64 on OpenSSL */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "kc.h"

static const char *const reason_words[] = {
	[KC_CERT_OK] = NULL,
	[KC_CERT_UNREADABLE] = "unreadable",
	[KC_CERT_NOT_PEM] = "not-pem",
	[KC_CERT_CN_MISMATCH] = "cn-mismatch",
	[KC_CERT_EXPIRED] = "expired",
	[KC_CERT_NOT_YET_VALID] = "not-yet-valid",
	[KC_CERT_NOT_RSA] = "not-rsa",
	[KC_CERT_KEY_MISMATCH] = "key-mismatch",
};

const char *
kc_cert_reason_word(enum kc_cert_reason r)
{
	return (size_t)r < sizeof reason_words / sizeof reason_words[0] ? reason_words[r] : NULL;
}

X509 *
kc_cert_from_pem(const unsigned char *buf, size_t len)
{
	BIO *b;
	X509 *x;

	if (len > INT32_MAX || (b = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	return x;
}

EVP_PKEY *
kc_key_from_pem(const unsigned char *buf, size_t len)
{
	BIO *b;
	EVP_PKEY *k;

	if (len > INT32_MAX || (b = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return NULL;
	/* an empty passphrase callback: an encrypted key fails instead of prompting */
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	ERR_clear_error();
	return k;
}

char *
kc_cert_cn(const X509 *x)
{
	const X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	const ASN1_STRING *s;
	unsigned char *utf8 = NULL;
	int len;
	char *cn;

	if (i < 0)
		return NULL;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	if ((len = ASN1_STRING_to_UTF8(&utf8, s)) < 0)
		return NULL;
	if (memchr(utf8, '\0', (size_t)len) != NULL) {
		OPENSSL_free(utf8);
		return NULL;
	}
	cn = kc_xmalloc((size_t)len + 1);
	memcpy(cn, utf8, (size_t)len);
	cn[len] = '\0';
	OPENSSL_free(utf8);
	return cn;
}

char *
kc_b64(const unsigned char *buf, size_t len)
{
	size_t out;
	char *s;

	if (len > (SIZE_MAX / 4) * 3 - 3 || len > INT32_MAX)
		kc_die(KC_ESYS, "input too large to encode");
	out = 4 * ((len + 2) / 3);
	s = kc_xmalloc(out + 1);
	if (EVP_EncodeBlock((unsigned char *)s, buf, (int)len) != (int)out)
		kc_die(KC_ESYS, "base64 encoding failed");
	s[out] = '\0';
	return s;
}

unsigned char *
kc_unb64(const char *text, size_t *outlen)
{
	size_t n = strlen(text), i, m = 0, pad = 0;
	char *clean = kc_xmalloc(n + 1);
	unsigned char *out;
	int r;

	for (i = 0; i < n; i++) {
		char c = text[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=') ||
		    (pad > 0 && c != '=')) {
			kc_wipe_free(clean, n + 1);
			return NULL;
		}
		if (c == '=')
			pad++;
		clean[m++] = c;
	}
	if (m == 0 || m % 4 != 0 || pad > 2 || m > INT32_MAX) {
		kc_wipe_free(clean, n + 1);
		return NULL;
	}
	out = kc_xmalloc(m / 4 * 3 + 1);
	r = EVP_DecodeBlock(out, (unsigned char *)clean, (int)m);
	kc_wipe_free(clean, n + 1);
	if (r < 0) {
		kc_wipe_free(out, m / 4 * 3 + 1);
		return NULL;
	}
	*outlen = (size_t)r - pad;
	return out;
}

EVP_PKEY *
kc_key_from_data(const unsigned char *buf, size_t len)
{
	EVP_PKEY *k;
	char *text;
	unsigned char *dec;
	size_t n;

	if ((k = kc_key_from_pem(buf, len)) != NULL || memchr(buf, '\0', len) != NULL)
		return k;
	text = kc_xmalloc(len + 1);
	memcpy(text, buf, len);
	text[len] = '\0';
	dec = kc_unb64(text, &n);
	kc_wipe_free(text, len + 1);
	if (dec == NULL)
		return NULL;
	k = kc_key_from_pem(dec, n);
	kc_wipe_free(dec, n);
	return k;
}

char *
kc_key_to_pem(EVP_PKEY *k, size_t *len)
{
	BIO *b = BIO_new(BIO_s_secmem());	/* cleansed when freed */
	char *data, *pem = NULL;
	long n;

	if (b == NULL || PEM_write_bio_PKCS8PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(b, &data)) <= 0)
		goto out;
	pem = kc_xmalloc((size_t)n + 1);
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	*len = (size_t)n;
out:
	BIO_free(b);
	return pem;
}

int
kc_key_is_rsa(const EVP_PKEY *k)
{
	return k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA;
}

const char *
kc_key_type(const EVP_PKEY *k)
{
	const char *n = k != NULL ? EVP_PKEY_get0_type_name(k) : NULL;

	return n != NULL ? n : "unknown";
}

void
kc_time_rfc3339(const ASN1_TIME *t, char out[KC_TIME_LEN], const char *bad)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(out, KC_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, KC_TIME_LEN, "%s", bad);
}

char *
kc_name_text(const X509_NAME *n)
{
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	BIO *b;
	char *data, *s = NULL;
	long len;

	if (i >= 0) {
		len = ASN1_STRING_to_UTF8(&utf8,
		    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
		if (len >= 0)
			s = kc_xasprintf("%.*s", (int)len, (const char *)utf8);
		OPENSSL_free(utf8);
		return s != NULL ? s : kc_xstrdup("");
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		kc_die(KC_ESYS, "out of memory");
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(b, &data)) >= 0)
		s = kc_xasprintf("%.*s", (int)len, data);
	BIO_free(b);
	return s != NULL ? s : kc_xstrdup("");
}

/* the rule of a domain certificate, once: kc-cert verify words it, the diagnosis (diag.c)
 * grades it */
enum kc_cert_reason
kc_cert_check_window(const X509 *x, const char *id, unsigned *window)
{
	unsigned w = 0;
	char *cn;
	int same;

	if (window != NULL)
		*window = 0;
	if (!kc_key_is_rsa(X509_get0_pubkey(x)))	/* NULL: a key OpenSSL cannot decode */
		return KC_CERT_NOT_RSA;
	if ((cn = kc_cert_cn(x)) == NULL)
		return KC_CERT_CN_MISMATCH;
	same = strcmp(cn, id) == 0;
	free(cn);
	if (!same)
		return KC_CERT_CN_MISMATCH;
	if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0)
		w |= KC_CERT_EARLY;
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		w |= KC_CERT_LATE;
	if (window != NULL)
		*window = w;
	return (w & KC_CERT_EARLY) ? KC_CERT_NOT_YET_VALID : (w & KC_CERT_LATE) ? KC_CERT_EXPIRED :
	    KC_CERT_OK;
}

enum kc_cert_reason
kc_cert_check(const X509 *x, const char *id)
{
	return kc_cert_check_window(x, id, NULL);
}
