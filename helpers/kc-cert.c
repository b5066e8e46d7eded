/* kc-cert - check, install and make the certificates and keys of a Kuscia node */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kc.h"

#define DAYS_MAX 2000000L

static const char usage_top[] =
    "Usage: kc cert COMMAND [ARGS...]\n"
    "\n"
    "Check, install and make the certificates and keys of a Kuscia node.\n"
    "\n"
    "Commands:\n"
    "  inspect FILE|- [-o text|json]        subject, issuer, validity, key, fingerprint\n"
    "  verify FILE|- --domain ID [--key KEYFILE] [--allow-expired] [-o text|json]\n"
    "                                       check a domain certificate (exit 3 if bad)\n"
    "  b64 --domain ID FILE|-               verify, then print the file as one line of base64\n"
    "  import ID [FILE|-] [--force] [-q]    install a peer's cert as var/certs/ID.domain.crt\n"
    "  export                               print our var/certs/domain.crt\n"
    "  gen ID --key KEYFILE [--days N] [--csr FILE]\n"
    "                                       make a self-signed domain certificate\n"
    "  keygen [--out FILE [--force]]        make an RSA-2048 private key\n"
    "  client [--force] [--days N]          make the KusciaAPI client key and certificate\n"
    "\n"
    "Run 'kc cert COMMAND --help' for one command's usage. Exit status: 0 done, 2 bad\n"
    "command line, 3 bad certificate, key or domain id, 4 local system error.\n";

static const char usage_inspect[] =
    "Usage: kc cert inspect FILE|- [-o text|json]\n"
    "\n"
    "Show a PEM certificate's subject, issuer, serial, validity, key and fingerprint.\n"
    "\n"
    "Text output is one 'key: value' line each for subject, issuer (their CN), serial (hex),\n"
    "notBefore, notAfter (RFC 3339, UTC), keyAlgorithm, keyBits and sha256 (the SHA-256\n"
    "fingerprint, colon hex); -o json prints one object with the same keys.\n";

static const char usage_verify[] =
    "Usage: kc cert verify FILE|- --domain ID [--key KEYFILE] [--allow-expired] [-o text|json]\n"
    "\n"
    "Check that FILE is a PEM X.509 certificate of domain ID, valid now, with an RSA key.\n"
    "\n"
    "Checks, in order: FILE is readable, is a PEM certificate, has an RSA key, its CN is ID,\n"
    "it is valid now and, with --key, it matches the private key in KEYFILE (PEM, or base64\n"
    "of PEM). On the first failure: one line on stderr and exit 3. --allow-expired turns\n"
    "'expired' and 'not yet valid' into warnings (a peer's cert: Kuscia uses only its key).\n"
    "-o json also prints {\"ok\":BOOL,\"reason\":null|\"unreadable\"|\"not-pem\"|\"not-rsa\"|\n"
    "\"cn-mismatch\"|\"expired\"|\"not-yet-valid\"|\"key-mismatch\"} on stdout.\n";

static const char usage_b64[] =
    "Usage: kc cert b64 --domain ID FILE|-\n"
    "\n"
    "Verify a domain certificate, then print the file as one line of base64.\n"
    "\n"
    "This is what goes into Domain.spec.cert. An expired certificate is only a warning.\n";

static const char usage_import[] =
    "Usage: kc cert import ID [FILE|-] [--force] [-q]\n"
    "\n"
    "Install a peer's certificate as $KUSCIA_ROOT/var/certs/ID.domain.crt.\n"
    "\n"
    "The certificate (standard input without FILE) is verified for ID first; expired is a\n"
    "warning. The file is written atomically, mode 0644. The same certificate already there\n"
    "is a no-op; a different one is refused unless --force. -q says nothing on success.\n";

static const char usage_export[] =
    "Usage: kc cert export [-o text]\n"
    "\n"
    "Print our own $KUSCIA_ROOT/var/certs/domain.crt, the file peers need.\n"
    "\n"
    "It must parse and match var/certs/domain.key (exit 3 if not; 4 if either is missing).\n";

static const char usage_gen[] =
    "Usage: kc cert gen ID --key KEYFILE [--days N] [--csr FILE]\n"
    "\n"
    "Print a self-signed certificate for domain ID over the RSA key in KEYFILE.\n"
    "\n"
    "KEYFILE ('-' = standard input) holds a PEM private key or its base64 (domainKeyData).\n"
    "The certificate is X.509 v1 without extensions, subject and issuer CN=ID, SHA-256, a\n"
    "random serial, valid for N days from now (36500), as generate_cert.sh makes it.\n"
    "--csr also writes the certificate request to FILE.\n";

static const char usage_keygen[] =
    "Usage: kc cert keygen [--out FILE [--force]]\n"
    "\n"
    "Make a new RSA-2048 private key (PKCS#8 PEM).\n"
    "\n"
    "Without --out, print the base64 of the PEM as one line (kuscia.yaml's domainKeyData).\n"
    "With --out, write the PEM to FILE, mode 0600; an existing FILE needs --force.\n";

static const char usage_client[] =
    "Usage: kc cert client [--force] [--days N] [--dry-run]\n"
    "\n"
    "Make the KusciaAPI client key and certificate, signed by var/certs/ca.crt and ca.key.\n"
    "\n"
    "Writes var/certs/kusciaapi-client.key (RSA-2048, PKCS#8, mode 0600), .csr and .crt\n"
    "(CN=KusciaAPIClient, SHA-256, N days, 1000 by default) and ca.srl (mode 0644, or\n"
    "narrower by the umask), as init_kusciaapi_client_certs.sh does. An existing client\n"
    "key needs --force. --dry-run checks all that and writes nothing.\n";

enum {
	O_HELP = 'h', O_OUTPUT = 'o', O_QUIET = 'q',
	O_DOMAIN = 256, O_KEY, O_ALLOW_EXPIRED, O_FORCE, O_DAYS, O_CSR, O_OUT, O_DRY_RUN,
};
/* long options from bit 0, the short ones from bit 16: room for 16 long options */
#define BIT(o) (1u << ((o) >= 256 ? (o) - 256 : (o) == 'o' ? 16 : (o) == 'q' ? 17 : 18))

static const struct option longopts[] = {
	{ "help", no_argument, NULL, O_HELP },
	{ "output", required_argument, NULL, O_OUTPUT },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "domain", required_argument, NULL, O_DOMAIN },
	{ "key", required_argument, NULL, O_KEY },
	{ "allow-expired", no_argument, NULL, O_ALLOW_EXPIRED },
	{ "force", no_argument, NULL, O_FORCE },
	{ "days", required_argument, NULL, O_DAYS },
	{ "csr", required_argument, NULL, O_CSR },
	{ "out", required_argument, NULL, O_OUT },
	{ "dry-run", no_argument, NULL, O_DRY_RUN },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	const char *output, *domain, *key, *csr, *out;
	long days;
	int quiet, allow_expired, force, dry_run;
	const char *const *args;	/* operands */
	int nargs;
};

/* an input file read whole: its bytes and how messages name it */
struct input {
	unsigned char *buf;
	size_t len;
	char *label;	/* 'path' or standard input */
	int secret;
};

/* read path ("-" = stdin); on failure print "cannot read LABEL: why", return code */
static int
input_read(struct input *in, const char *path, int secret, int code)
{
	int e;

	in->secret = secret;
	in->label = strcmp(path, "-") == 0 ? kc_xstrdup("standard input") :
	    kc_xasprintf("'%s'", path);
	if ((e = kc_read_file(path, KC_MAX_FILE, &in->buf, &in->len)) != 0) {
		errno = e;
		return kc_err(code, "cannot read %s:", in->label);
	}
	return KC_OK;
}

static void
input_free(struct input *in)
{
	if (in->secret)
		kc_wipe_free(in->buf, in->len + 1);
	else
		free(in->buf);
	free(in->label);
	in->buf = NULL;
	in->label = NULL;
}

/* control characters replaced, so a line of inspect stays one line */
static void
sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* ---- verify, b64, import: the checks ------------------------------------------------ */

static int
print_verdict(const struct opts *o, enum kc_cert_reason r)
{
	int rc = r == KC_CERT_OK ? KC_OK : KC_EINPUT;

	if (strcmp(o->output, "json") != 0)
		return rc;
	if (r == KC_CERT_OK)
		return kc_json_print(json_pack("{s:b, s:n}", "ok", 1, "reason")) == KC_OK ? rc : KC_ESYS;
	return kc_json_print(json_pack("{s:b, s:s}", "ok", 0, "reason", kc_cert_reason_word(r))) ==
	    KC_OK ? rc : KC_ESYS;
}

/* "certificate LABEL: WHAT TIME" as a warning, or an error */
static void
say_time(int warn, const char *label, const char *what, const ASN1_TIME *t)
{
	char when[KC_TIME_LEN];

	kc_time_rfc3339(t, when, "invalid");
	if (warn)
		kc_warn("certificate %s: %s %s", label, what, when);
	else
		kc_err(KC_EINPUT, "certificate %s: %s %s", label, what, when);
}

/* kc_cert_check's verdict on x in words, on stderr; with allow_expired the time checks only
 * warn (KC_CERT_OK) */
static enum kc_cert_reason
say_check(const X509 *x, const char *label, const char *id, int allow_expired)
{
	unsigned w;
	enum kc_cert_reason r = kc_cert_check_window(x, id, &w);
	char *cn;

	switch (r) {
	case KC_CERT_NOT_RSA:
		kc_err(KC_EINPUT, "certificate %s: the key is %s, not RSA", label,
		    kc_key_type(X509_get0_pubkey(x)));
		return r;
	case KC_CERT_CN_MISMATCH:
		if ((cn = kc_cert_cn(x)) == NULL)
			kc_err(KC_EINPUT, "certificate %s: no CN, expected '%s'", label, id);
		else
			kc_err(KC_EINPUT, "certificate %s: CN is '%s', not '%s'", label, cn, id);
		free(cn);
		return r;
	default:
		break;
	}
	if (w & KC_CERT_EARLY)
		say_time(allow_expired, label, "not valid before", X509_get0_notBefore(x));
	if ((w & KC_CERT_LATE) && (allow_expired || r == KC_CERT_EXPIRED))
		say_time(allow_expired, label, "expired at", X509_get0_notAfter(x));
	return allow_expired ? KC_CERT_OK : r;
}

/* the checks of verify, in order; prints the one-line reason (or warning); fills in */
static enum kc_cert_reason
cert_check(struct input *in, const char *path, const char *id, const char *keyfile,
    int allow_expired)
{
	enum kc_cert_reason r;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	struct input kin = { 0 };

	if (input_read(in, path, 0, KC_EINPUT) != KC_OK)
		return KC_CERT_UNREADABLE;
	if ((x = kc_cert_from_pem(in->buf, in->len)) == NULL) {
		kc_err(KC_EINPUT, "%s is not a PEM certificate", in->label);
		r = KC_CERT_NOT_PEM;
		goto out;
	}
	if ((r = say_check(x, in->label, id, allow_expired)) != KC_CERT_OK || keyfile == NULL)
		goto out;
	if (input_read(&kin, keyfile, 1, KC_EINPUT) != KC_OK) {
		r = KC_CERT_UNREADABLE;
		goto out;
	}
	if ((key = kc_key_from_data(kin.buf, kin.len)) == NULL) {
		kc_err(KC_EINPUT, "%s holds no private key (PEM, or base64 of PEM)", kin.label);
		r = KC_CERT_UNREADABLE;
	} else if (X509_check_private_key(x, key) != 1) {
		kc_err(KC_EINPUT, "certificate %s does not match the key in %s", in->label,
		    kin.label);
		r = KC_CERT_KEY_MISMATCH;
	}
	ERR_clear_error();
out:
	input_free(&kin);
	EVP_PKEY_free(key);
	X509_free(x);
	return r;
}

static int
cmd_verify(const struct opts *o)
{
	struct input in = { 0 };
	enum kc_cert_reason r = cert_check(&in, o->args[0], o->domain, o->key, o->allow_expired);

	input_free(&in);
	return print_verdict(o, r);
}

/* a peer's domain.crt as a Domain carries it (b64, import): Kuscia reads only its first PEM
 * block, and a Domain is readable cluster-wide, so the certificate comes first and no private
 * key is beside it; KC_OK, or the reason printed */
static int
peer_blocks(const struct input *in, const char *id)
{
	const char *p = (const char *)in->buf, *end = p + in->len, *nl;
	int first = 1, cert_first = 0;

	for (; p < end; p = nl + 1) {
		const char *e, *b, *k;
		size_t n;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		for (e = nl; e > p && isspace((unsigned char)e[-1]); e--)
			;
		if (e - p < 16 || strncmp(p, "-----BEGIN ", 11) != 0 || strncmp(e - 5, "-----", 5) != 0)
			continue;
		b = p + 11;
		n = (size_t)(e - 5 - b);	/* the label, b[0, n) */
		for (k = b; k + 11 <= b + n; k++)
			if (memcmp(k, "PRIVATE KEY", 11) == 0)
				return kc_err(KC_EINPUT, "%s also holds a private key, which must not go "
				    "into the cluster -- keep only %s's certificate in it", in->label, id);
		if (first)
			cert_first = (n == 11 && memcmp(b, "CERTIFICATE", 11) == 0) ||
			    (n == 16 && memcmp(b, "X509 CERTIFICATE", 16) == 0);
		first = 0;
	}
	if (!cert_first)
		return kc_err(KC_EINPUT, "%s does not start with its certificate (Kuscia reads only "
		    "the first PEM block) -- keep only %s's certificate in it", in->label, id);
	return KC_OK;
}

static int
cmd_b64(const struct opts *o)
{
	struct input in = { 0 };
	int rc = KC_EINPUT;
	char *s;

	if (cert_check(&in, o->args[0], o->domain, NULL, 1) == KC_CERT_OK &&
	    peer_blocks(&in, o->domain) == KC_OK) {
		s = kc_b64(in.buf, in.len);
		rc = puts(s) == EOF ? KC_ESYS : KC_OK;
		free(s);
	}
	input_free(&in);
	return rc;
}

static int
cmd_import(const struct opts *o)
{
	const char *id = o->args[0], *file = o->nargs > 1 ? o->args[1] : "-", *why;
	char *dir = kc_root_path("var/certs"), *path = NULL;
	struct input in = { 0 }, old = { 0 };
	struct stat st;
	int rc = KC_EINPUT;

	if ((why = kc_domain_id_problem(id)) != NULL) {
		kc_err(KC_EINPUT, "invalid domain id '%s': %s", id, why);
		goto out;
	}
	if (cert_check(&in, file, id, NULL, 1) != KC_CERT_OK || peer_blocks(&in, id) != KC_OK)
		goto out;
	rc = KC_ESYS;
	if (stat(dir, &st) != 0) {
		kc_err(KC_ESYS, "cannot use '%s':", dir);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		kc_err(KC_ESYS, "'%s' is not a directory", dir);
		goto out;
	}
	kc_sweep_tmp(dir);	/* also when nothing is written: a killed import's leftovers */
	path = kc_xasprintf("%s/%s.domain.crt", dir, id);
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			kc_err(KC_ESYS, "'%s' is a symbolic link -- refusing to replace it", path);
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			kc_err(KC_ESYS, "'%s' is not a regular file", path);
			goto out;
		}
		if (input_read(&old, path, 0, KC_ESYS) != KC_OK)
			goto out;
		if (old.len == in.len && memcmp(old.buf, in.buf, in.len) == 0) {
			if (!o->quiet)
				kc_err(KC_OK, "'%s' already holds this certificate", path);
			rc = KC_OK;
			goto out;
		}
		if (!o->force) {
			rc = kc_err(KC_EINPUT, "'%s' already holds a different certificate -- "
			    "use --force to replace it", path);
			goto out;
		}
	} else if (errno != ENOENT) {
		kc_err(KC_ESYS, "cannot use '%s':", path);
		goto out;
	}
	rc = kc_write_atomic(path, in.buf, in.len, 0644, !o->force);
	if (rc == KC_EINPUT) {	/* exclusive and it appeared meanwhile: a parallel import? */
		input_free(&old);
		if ((rc = input_read(&old, path, 0, KC_ESYS)) != KC_OK)
			goto out;
		if (old.len == in.len && memcmp(old.buf, in.buf, in.len) == 0) {
			if (!o->quiet)
				kc_err(KC_OK, "'%s' already holds this certificate", path);
		} else
			rc = kc_err(KC_EINPUT, "'%s' already holds a different certificate -- use "
			    "--force to replace it", path);
	} else if (rc == KC_OK && !o->quiet)
		kc_err(KC_OK, "installed '%s'", path);
out:
	input_free(&old);
	input_free(&in);
	free(path);
	free(dir);
	return rc;
}

/* ---- inspect, export ---------------------------------------------------------------- */

static int
cmd_inspect(const struct opts *o)
{
	struct input in = { 0 };
	X509 *x = NULL;
	BIGNUM *bn = NULL;
	char *subject = NULL, *issuer = NULL, *serial = NULL, nb[KC_TIME_LEN], na[KC_TIME_LEN];
	char fp[EVP_MAX_MD_SIZE * 3 + 1] = "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	const EVP_PKEY *k;
	int rc;

	if ((rc = input_read(&in, o->args[0], 0, KC_EINPUT)) != KC_OK)
		goto out;
	if ((x = kc_cert_from_pem(in.buf, in.len)) == NULL) {
		rc = kc_err(KC_EINPUT, "%s is not a PEM certificate", in.label);
		goto out;
	}
	subject = kc_name_text(X509_get_subject_name(x));
	issuer = kc_name_text(X509_get_issuer_name(x));
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL ||
	    (serial = BN_bn2hex(bn)) == NULL || X509_digest(x, EVP_sha256(), md, &mdlen) != 1) {
		rc = kc_ssl_err(KC_EINPUT, "cannot read certificate %s", in.label);
		goto out;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(fp + 3 * i, 4, i + 1 < mdlen ? "%02X:" : "%02X", md[i]);
	kc_time_rfc3339(X509_get0_notBefore(x), nb, "invalid");
	kc_time_rfc3339(X509_get0_notAfter(x), na, "invalid");
	k = X509_get0_pubkey(x);
	if (strcmp(o->output, "json") == 0) {
		rc = kc_json_print(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
		    "subject", subject, "issuer", issuer, "serial", serial, "notBefore", nb,
		    "notAfter", na, "keyAlgorithm", kc_key_type(k), "keyBits",
		    k != NULL ? EVP_PKEY_get_bits(k) : 0, "sha256", fp));
		goto out;
	}
	sanitize(subject);
	sanitize(issuer);
	printf("subject: %s\nissuer: %s\nserial: %s\nnotBefore: %s\nnotAfter: %s\n"
	    "keyAlgorithm: %s\nkeyBits: %d\nsha256: %s\n", subject, issuer, serial, nb, na,
	    kc_key_type(k), k != NULL ? EVP_PKEY_get_bits(k) : 0, fp);
out:
	OPENSSL_free(serial);
	BN_free(bn);
	free(subject);
	free(issuer);
	X509_free(x);
	input_free(&in);
	return rc;
}

static int
cmd_export(const struct opts *o)
{
	char *pc = kc_root_path("var/certs/domain.crt"), *pk = kc_root_path("var/certs/domain.key");
	struct input crt = { 0 }, key = { 0 };
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int rc;

	(void)o;
	if ((rc = input_read(&crt, pc, 0, KC_ESYS)) != KC_OK ||
	    (rc = input_read(&key, pk, 1, KC_ESYS)) != KC_OK)
		goto out;
	rc = KC_EINPUT;
	if ((x = kc_cert_from_pem(crt.buf, crt.len)) == NULL)
		kc_err(rc, "%s is not a PEM certificate", crt.label);
	else if ((k = kc_key_from_data(key.buf, key.len)) == NULL)
		kc_err(rc, "%s holds no private key", key.label);
	else if (X509_check_private_key(x, k) != 1)
		kc_err(rc, "%s does not match %s", crt.label, key.label);
	else
		rc = fwrite(crt.buf, 1, crt.len, stdout) == crt.len ? KC_OK : KC_ESYS;
	ERR_clear_error();
out:
	EVP_PKEY_free(k);
	X509_free(x);
	input_free(&crt);
	input_free(&key);
	free(pc);
	free(pk);
	return rc;
}

/* ---- gen, keygen, client: making keys and certificates ------------------------------- */

static int
exists_err(const char *path)
{
	return kc_err(KC_EINPUT, "'%s' already exists -- use --force to replace it", path);
}

/* a CSR, certificate or serial: 0644, narrowed by the umask as openssl's files are (umask 077
 * gives 0600, as upstream's scripts), never widened (umask 000 still gives 0644) */
static mode_t
public_mode(void)
{
	mode_t m = umask(077);

	umask(m);
	return 0644 & ~m;
}

static int
cmd_gen(const struct opts *o)
{
	const char *id = o->args[0], *why;
	struct input kin = { 0 };
	EVP_PKEY *k = NULL;
	X509_REQ *req = NULL;
	X509 *x = NULL;
	BIGNUM *serial = NULL;
	char *csr = NULL;
	size_t n = 0;
	int rc = KC_EINPUT;

	if ((why = kc_domain_id_problem(id)) != NULL) {
		kc_err(rc, "invalid domain id '%s': %s", id, why);
		goto out;
	}
	if ((rc = input_read(&kin, o->key, 1, KC_EINPUT)) != KC_OK)
		goto out;
	rc = KC_EINPUT;
	if ((k = kc_key_from_data(kin.buf, kin.len)) == NULL) {
		kc_err(rc, "%s holds no private key (PEM, or base64 of PEM)", kin.label);
		goto out;
	}
	if (!kc_key_is_rsa(k)) {
		kc_err(rc, "the key in %s is %s, not RSA", kin.label, kc_key_type(k));
		goto out;
	}
	rc = KC_ESYS;
	if ((serial = kc_serial_rand()) == NULL || (req = kc_req_make(k, id)) == NULL ||
	    (x = kc_cert_make(req, X509_REQ_get_subject_name(req), k, o->days, serial)) == NULL ||
	    (o->csr != NULL && (csr = kc_pem_of(NULL, req, &n)) == NULL)) {
		kc_ssl_err(rc, "cannot make the certificate");
		goto out;
	}
	if (csr != NULL && (rc = kc_write_atomic(o->csr, csr, n, public_mode(), 0)) != KC_OK)
		goto out;
	rc = PEM_write_X509(stdout, x) == 1 ? KC_OK : KC_ESYS;
out:
	free(csr);
	BN_free(serial);
	X509_free(x);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	input_free(&kin);
	return rc;
}

static int
cmd_keygen(const struct opts *o)
{
	EVP_PKEY *k = NULL;
	char *pem = NULL, *b64 = NULL;
	size_t n = 0;
	int rc = KC_ESYS;

	if (o->out != NULL && !o->force && kc_path_exists(o->out))
		return exists_err(o->out);
	if ((k = EVP_RSA_gen(2048)) == NULL || (pem = kc_key_to_pem(k, &n)) == NULL) {
		kc_ssl_err(rc, "cannot make an RSA key");
		goto out;
	}
	if (o->out == NULL) {
		setvbuf(stdout, NULL, _IONBF, 0);	/* no copy of the key in stdio's buffer */
		b64 = kc_b64((const unsigned char *)pem, n);
		rc = puts(b64) == EOF ? KC_ESYS : KC_OK;
		kc_wipe_free(b64, strlen(b64));
	} else if ((rc = kc_write_atomic(o->out, pem, n, 0600, !o->force)) == KC_EINPUT)
		exists_err(o->out);
out:
	kc_wipe_free(pem, n + 1);
	EVP_PKEY_free(k);
	return rc;
}

/* the serial for the next certificate the CA issues: ca.srl + 1, or random + 1 */
static BIGNUM *
next_serial(const char *path, int *rc)
{
	struct input in = { 0 };
	BIGNUM *bn = NULL;
	int n;

	*rc = KC_OK;
	if (!kc_path_exists(path))
		bn = kc_serial_rand();
	else if ((*rc = input_read(&in, path, 0, KC_ESYS)) != KC_OK)
		goto out;
	else if ((n = BN_hex2bn(&bn, (const char *)in.buf)) == 0 ||
	    strspn((const char *)in.buf + n, "\r\n") != in.len - (size_t)n) {
		*rc = kc_err(KC_EINPUT, "%s holds no serial number", in.label);
		goto out;
	}
	if (bn == NULL || BN_add_word(bn, 1) != 1)
		*rc = kc_ssl_err(KC_ESYS, "cannot make a serial number");
out:
	if (*rc != KC_OK) {
		BN_free(bn);
		bn = NULL;
	}
	input_free(&in);
	return bn;
}

static int
cmd_client(const struct opts *o)
{
	static const char *const names[] = { "ca.crt", "ca.key", "ca.srl",
		"kusciaapi-client.key", "kusciaapi-client.csr", "kusciaapi-client.crt" };
	enum { CACRT, CAKEY, SRL, KEY, CSR, CRT, NPATHS };
	char *p[NPATHS], *rel;
	struct input cacrt = { 0 }, cakey = { 0 };
	X509 *ca = NULL, *x = NULL;
	EVP_PKEY *cak = NULL, *k = NULL;
	X509_REQ *req = NULL;
	BIGNUM *serial = NULL;
	char *keypem = NULL, *csrpem = NULL, *crtpem = NULL, *hex = NULL, *srl = NULL;
	size_t nkey = 0, ncsr = 0, ncrt = 0;
	int rc, i;

	for (i = 0; i < NPATHS; i++) {
		rel = kc_xasprintf("var/certs/%s", names[i]);
		p[i] = kc_root_path(rel);
		free(rel);
	}
	if ((rc = input_read(&cacrt, p[CACRT], 0, KC_ESYS)) != KC_OK ||
	    (rc = input_read(&cakey, p[CAKEY], 1, KC_ESYS)) != KC_OK)
		goto out;
	rc = KC_EINPUT;
	if ((ca = kc_cert_from_pem(cacrt.buf, cacrt.len)) == NULL) {
		kc_err(rc, "%s is not a PEM certificate", cacrt.label);
		goto out;
	}
	if ((cak = kc_key_from_data(cakey.buf, cakey.len)) == NULL) {
		kc_err(rc, "%s holds no private key", cakey.label);
		goto out;
	}
	if (X509_check_private_key(ca, cak) != 1) {
		ERR_clear_error();
		kc_err(rc, "%s does not match %s", cakey.label, cacrt.label);
		goto out;
	}
	if ((serial = next_serial(p[SRL], &rc)) == NULL)
		goto out;
	if (!o->force && kc_path_exists(p[KEY])) {
		rc = exists_err(p[KEY]);
		goto out;
	}
	/* a folder in the way would fail a rename after the key is replaced: check first */
	for (i = SRL; i < NPATHS; i++) {
		struct stat st;

		if (stat(p[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = kc_err(KC_ESYS, "'%s' is a folder -- move it away", p[i]);
			goto out;
		}
	}
	if (o->dry_run) {	/* all checked; nothing made, nothing written */
		rc = KC_OK;
		goto out;
	}
	rc = KC_ESYS;
	if ((k = EVP_RSA_gen(2048)) == NULL || (keypem = kc_key_to_pem(k, &nkey)) == NULL ||
	    (req = kc_req_make(k, "KusciaAPIClient")) == NULL ||
	    (x = kc_cert_make(req, X509_get_subject_name(ca), cak, o->days, serial)) == NULL ||
	    (csrpem = kc_pem_of(NULL, req, &ncsr)) == NULL || (crtpem = kc_pem_of(x, NULL, &ncrt)) == NULL ||
	    (hex = BN_bn2hex(serial)) == NULL) {
		kc_ssl_err(rc, "cannot make the client certificate");
		goto out;
	}
	srl = kc_xasprintf("%s\n", hex);
	if ((rc = kc_write_atomic(p[KEY], keypem, nkey, 0600, !o->force)) == KC_EINPUT)
		exists_err(p[KEY]);
	if (rc == KC_OK)
		rc = kc_write_atomic(p[CSR], csrpem, ncsr, public_mode(), 0);
	if (rc == KC_OK)
		rc = kc_write_atomic(p[CRT], crtpem, ncrt, public_mode(), 0);
	if (rc == KC_OK)
		rc = kc_write_atomic(p[SRL], srl, strlen(srl), public_mode(), 0);
out:
	kc_wipe_free(keypem, nkey + 1);
	free(csrpem);
	free(crtpem);
	free(srl);
	OPENSSL_free(hex);
	BN_free(serial);
	X509_free(x);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	EVP_PKEY_free(cak);
	X509_free(ca);
	input_free(&cacrt);
	input_free(&cakey);
	for (i = 0; i < NPATHS; i++)
		free(p[i]);
	return rc;
}

/* ---- command line ------------------------------------------------------------------- */

struct cmd {
	const char *name, *usage;
	unsigned int allowed;	/* BIT(option) */
	int min, max;		/* operands */
	int (*run)(const struct opts *);
};

static const struct cmd cmds[] = {
	{ "inspect", usage_inspect, BIT(O_OUTPUT), 1, 1, cmd_inspect },
	{ "verify", usage_verify, BIT(O_OUTPUT) | BIT(O_DOMAIN) | BIT(O_KEY) | BIT(O_ALLOW_EXPIRED),
	    1, 1, cmd_verify },
	{ "b64", usage_b64, BIT(O_DOMAIN), 1, 1, cmd_b64 },
	{ "import", usage_import, BIT(O_FORCE) | BIT(O_QUIET), 1, 2, cmd_import },
	{ "export", usage_export, BIT(O_OUTPUT), 0, 0, cmd_export },
	{ "gen", usage_gen, BIT(O_KEY) | BIT(O_DAYS) | BIT(O_CSR), 1, 1, cmd_gen },
	{ "keygen", usage_keygen, BIT(O_OUT) | BIT(O_FORCE), 0, 0, cmd_keygen },
	{ "client", usage_client, BIT(O_FORCE) | BIT(O_DAYS) | BIT(O_DRY_RUN), 0, 0, cmd_client },
};

static const char *
opt_name(int val)
{
	const struct option *p;

	for (p = longopts; p->name != NULL; p++)
		if (p->val == val)
			return p->name;
	return "?";
}

static void
parse(const struct cmd *c, int argc, char **argv, struct opts *o)
{
	unsigned int seen = 0;
	int ch;
	char *end;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:q", longopts, NULL)) != -1) {
		if (ch == '?') {
			if (optopt != 0)
				kc_err(KC_EUSAGE, "unknown option '-%c'", optopt);
			else
				kc_err(KC_EUSAGE, "unknown option '%s'", argv[optind - 1]);
			kc_usage(c->usage, KC_EUSAGE);
		}
		if (ch == ':') {
			kc_err(KC_EUSAGE, "option '--%s' needs a value", opt_name(optopt));
			kc_usage(c->usage, KC_EUSAGE);
		}
		if (ch == O_HELP)
			kc_usage(c->usage, KC_OK);
		if (!(c->allowed & BIT(ch))) {
			kc_err(KC_EUSAGE, "option '--%s' does not apply to '%s'", opt_name(ch), c->name);
			kc_usage(c->usage, KC_EUSAGE);
		}
		if (seen & BIT(ch)) {
			kc_err(KC_EUSAGE, "option '--%s' given twice", opt_name(ch));
			kc_usage(c->usage, KC_EUSAGE);
		}
		seen |= BIT(ch);
		switch (ch) {
		case O_OUTPUT: o->output = optarg; break;
		case O_QUIET: o->quiet = 1; break;
		case O_DOMAIN: o->domain = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_ALLOW_EXPIRED: o->allow_expired = 1; break;
		case O_FORCE: o->force = 1; break;
		case O_CSR: o->csr = optarg; break;
		case O_OUT: o->out = optarg; break;
		case O_DRY_RUN: o->dry_run = 1; break;
		case O_DAYS:
			errno = 0;
			o->days = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || o->days < 1 ||
			    o->days > DAYS_MAX) {
				kc_err(KC_EUSAGE, "invalid --days '%s': use a whole number from 1 to %ld",
				    optarg, DAYS_MAX);
				kc_usage(c->usage, KC_EUSAGE);
			}
			break;
		}
	}
	o->args = (const char *const *)argv + optind;
	o->nargs = argc - optind;
	if (o->nargs < c->min)
		kc_err(KC_EUSAGE, "missing operand");
	else if (o->nargs > c->max)
		kc_err(KC_EUSAGE, "unexpected operand '%s'", o->args[c->max]);
	else if ((c->allowed & BIT(O_DOMAIN)) && o->domain == NULL)
		kc_err(KC_EUSAGE, "missing --domain ID");
	else if (c->run == cmd_verify && o->key != NULL && strcmp(o->key, "-") == 0 &&
	    strcmp(o->args[0], "-") == 0)
		kc_err(KC_EUSAGE, "FILE and --key cannot both be standard input");
	else if (c->run == cmd_gen && o->key == NULL)
		kc_err(KC_EUSAGE, "missing --key KEYFILE");
	else if (c->run == cmd_keygen && o->force && o->out == NULL)
		kc_err(KC_EUSAGE, "--force needs --out FILE");
	else if (!kc_output_valid(o->output))
		;
	else if (c->run == cmd_export && strcmp(o->output, "text") != 0)
		kc_err(KC_EUSAGE, "export prints PEM: use -o text");
	else if (c->run == cmd_import && o->nargs == 1 && isatty(STDIN_FILENO))
		kc_err(KC_EUSAGE, "no FILE given and standard input is a terminal");
	else
		return;
	kc_usage(c->usage, KC_EUSAGE);
}

int
main(int argc, char **argv)
{
	struct opts o = { .output = "text" };
	const struct cmd *c = NULL;
	size_t i;

	kc_prog = "kc-cert";
	if (argc > 1 && strcmp(argv[1], "--complete") == 0)	/* share/kc/completions */
		return kc_complete("inspect verify b64 import export gen keygen client", longopts,
		    argc - 2, argv + 2);
	if (argc < 2) {
		kc_err(KC_EUSAGE, "missing command");
		kc_usage(usage_top, KC_EUSAGE);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		kc_usage(usage_top, KC_OK);
	if (strcmp(argv[1], "--version") == 0) {
		printf("kc-cert %s\n", KC_VERSION);
		return kc_close_stdout();
	}
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL) {
		kc_err(KC_EUSAGE, argv[1][0] == '-' ? "unknown option '%s'" : "unknown command '%s'",
		    argv[1]);
		kc_usage(usage_top, KC_EUSAGE);
	}
	o.days = c->run == cmd_client ? 1000 : 36500;
	parse(c, argc - 1, argv + 1, &o);
	return kc_exit_with(c->run(&o));
}
