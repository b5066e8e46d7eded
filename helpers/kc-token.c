/* kc-token - print the KusciaAPI token of this node, or derive a lite domain's */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "kc.h"

static const char usage_text[] =
    "Usage: kc-token [kusciaapi | lite ID [--key FILE]]\n"
    "\n"
    "Print this node's KusciaAPI token, or derive a lite domain's from its key.\n"
    "\n"
    "Subcommands:\n"
    "  kusciaapi     (the default) print $KUSCIA_ROOT/var/certs/token, the token every\n"
    "                KusciaAPI request carries in its Token header: 32 characters of\n"
    "                base64, written by Kuscia at first start\n"
    "  lite ID       print the KusciaAPI token of domain ID, as gen_kusciaapi_token.sh\n"
    "                derives it: the first 32 characters of the base64 RSA SHA-256\n"
    "                (PKCS#1 v1.5) signature of ID made with the domain key\n"
    "\n"
    "Options:\n"
    "  --key FILE    (lite) the domain key: a PEM RSA private key, or the base64 of one\n"
    "                (kuscia.yaml's domainKeyData); '-' or no --key: read it from stdin.\n"
    "                Keys never go on the command line.\n"
    "  -h, --help    print this help\n"
    "      --version print kc's version\n"
    "\n"
    "Exit status: 0 printed; 2 bad command line; 3 malformed token file, key not an RSA\n"
    "private key; 4 token file missing or unreadable.\n";

enum sub { SUB_KUSCIAAPI, SUB_LITE };

struct opts {
	enum sub sub;
	const char *id;		/* lite */
	const char *key;	/* lite: file, "-" = stdin */
};

#define TOKEN_LEN 32
#define MAX_TOKEN_FILE 4096
#define MAX_KEY_FILE (1u << 20)

static int
is_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* kusciaapi: print var/certs/token after checking it looks like one Kuscia wrote */
static int
token_kusciaapi(void)
{
	char *path = kc_root_path("var/certs/token");
	unsigned char *buf = NULL;
	size_t len = 0, size = 0, i;
	int e, rc = KC_EINPUT;

	if ((e = kc_read_file(path, MAX_TOKEN_FILE, &buf, &size)) != 0) {
		errno = e;
		if (e == EISDIR || e == EFBIG)
			kc_err(KC_EINPUT, "'%s' is not a KusciaAPI token file:", path);
		else
			rc = kc_err(KC_ESYS, "cannot read the KusciaAPI token '%s':", path);
		goto out;
	}
	if ((len = size) == 0) {
		kc_err(rc, "the KusciaAPI token file '%s' is empty", path);
		goto out;
	}
	if (len == TOKEN_LEN + 1 && buf[TOKEN_LEN] == '\n')
		len = TOKEN_LEN;
	else if (len == TOKEN_LEN + 1 && buf[TOKEN_LEN] == '\r')
		len = 0;	/* CR LF or a lone CR: malformed below */
	for (i = 0; i < len && is_b64_char(buf[i]); i++)
		;
	if (len != TOKEN_LEN || i != len) {
		kc_err(rc, "'%s' is not a KusciaAPI token: Kuscia writes exactly %d base64 "
		       "characters", path, TOKEN_LEN);
		goto out;
	}
	if (size > len)
		kc_warn("'%s' ends with a newline: KusciaAPI compares the whole file with the "
			"Token header, so requests may get 401", path);
	if (fwrite(buf, 1, len, stdout) != len || putchar('\n') == EOF)
		rc = kc_err(KC_ESYS, "write error on standard output:");
	else
		rc = KC_OK;
out:
	kc_wipe_free(buf, size + 1);
	free(path);
	return rc;
}

/* load the domain key from FILE or stdin: PEM, or base64 of PEM */
static int
load_key(const char *file, EVP_PKEY **key)
{
	char *name = strcmp(file, "-") == 0 ? kc_xstrdup("the key on stdin") :
					      kc_xasprintf("'%s'", file);
	unsigned char *buf = NULL;
	size_t len = 0;
	int e, rc = KC_EINPUT;

	*key = NULL;
	if (strcmp(file, "-") == 0 && isatty(STDIN_FILENO)) {
		rc = kc_err(KC_EUSAGE, "give the domain key with --key FILE or on stdin "
			    "(base64 of the PEM)");
		goto out;
	}
	if ((e = kc_read_file(file, MAX_KEY_FILE, &buf, &len)) != 0) {
		errno = e;
		if (e != ENOENT && e != EISDIR && e != EFBIG)
			rc = KC_ESYS;
		kc_err(rc, "cannot read the key %s:", name);
		goto out;
	}
	if ((*key = kc_key_from_data(buf, len)) == NULL) {
		kc_err(rc, "%s is not a private key: expected an unencrypted PEM key or the "
		       "base64 of one", name);
		goto out;
	}
	if (EVP_PKEY_get_base_id(*key) != EVP_PKEY_RSA) {
		kc_err(rc, "%s is not an RSA key but %s: Kuscia domain keys are RSA", name,
		       EVP_PKEY_get0_type_name(*key));
		EVP_PKEY_free(*key);
		*key = NULL;
		goto out;
	}
	rc = KC_OK;
out:
	if (buf != NULL)
		kc_wipe_free(buf, len + 1);
	free(name);
	return rc;
}

/* lite: base64(RSA-SHA256-PKCS1v15(key, ID))[:32], as gen_kusciaapi_token.sh and Kuscia */
static int
token_lite(const struct opts *o)
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *b64 = NULL;
	int rc;

	if ((rc = load_key(o->key, &key)) != KC_OK)
		return rc;
	rc = KC_ESYS;
	if ((md = EVP_MD_CTX_new()) == NULL) {
		kc_ssl_err(rc, "cannot sign");
		goto out;
	}
	/* RSA keys default to PKCS#1 v1.5 padding, as `openssl dgst -sha256 -sign` */
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)o->id,
			   strlen(o->id)) != 1) {
		kc_ssl_err(KC_EINPUT, "cannot sign with the domain key");
		rc = KC_EINPUT;
		goto out;
	}
	sig = kc_xmalloc(siglen);
	if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)o->id, strlen(o->id)) != 1) {
		kc_ssl_err(KC_EINPUT, "cannot sign with the domain key");
		rc = KC_EINPUT;
		goto out;
	}
	b64 = kc_b64(sig, siglen);
	if (strlen(b64) < TOKEN_LEN) {
		rc = kc_err(KC_EINPUT, "the domain key is too small to derive a token");
		goto out;
	}
	if (fwrite(b64, 1, TOKEN_LEN, stdout) != TOKEN_LEN || putchar('\n') == EOF)
		rc = kc_err(KC_ESYS, "write error on standard output:");
	else
		rc = KC_OK;
out:
	if (b64 != NULL)
		kc_wipe_free(b64, strlen(b64));
	kc_wipe_free(sig, siglen);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .sub = SUB_KUSCIAAPI, .id = NULL, .key = NULL };
	const char *sub;
	int c, rc, nargs;

	kc_prog = "kc-token";
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1)
		switch (c) {
		case 'h':
			kc_usage(usage_text, KC_OK);
		case 'V':
			printf("kc-token %s\n", KC_VERSION);
			return kc_close_stdout();
		case 'k':
			if (o.key != NULL) {
				kc_err(KC_EUSAGE, "--key given twice");
				kc_usage(usage_text, KC_EUSAGE);
			}
			o.key = optarg;
			break;
		case ':':	/* only --key takes an argument */
			kc_err(KC_EUSAGE, "option '--key' needs an argument");
			kc_usage(usage_text, KC_EUSAGE);
		default:
			if (optopt != 0)
				kc_err(KC_EUSAGE, "unknown option '-%c'", optopt);
			else
				kc_err(KC_EUSAGE, "unknown option '%s'", argv[optind - 1]);
			kc_usage(usage_text, KC_EUSAGE);
		}
	nargs = argc - optind;
	sub = nargs > 0 ? argv[optind] : "kusciaapi";
	if (strcmp(sub, "kusciaapi") == 0) {
		if (nargs > 1) {
			kc_err(KC_EUSAGE, "kusciaapi takes no operand, got '%s'", argv[optind + 1]);
			kc_usage(usage_text, KC_EUSAGE);
		}
		if (o.key != NULL) {
			kc_err(KC_EUSAGE, "--key goes with lite only");
			kc_usage(usage_text, KC_EUSAGE);
		}
	} else if (strcmp(sub, "lite") == 0) {
		o.sub = SUB_LITE;
		if (nargs != 2) {
			if (nargs < 2)
				kc_err(KC_EUSAGE, "lite needs the domain ID");
			else
				kc_err(KC_EUSAGE, "lite takes one domain ID, got '%s' too",
				       argv[argc - 1]);
			kc_usage(usage_text, KC_EUSAGE);
		}
		o.id = argv[optind + 1];
		if (*o.id == '\0') {
			kc_err(KC_EUSAGE, "the domain ID is empty");
			kc_usage(usage_text, KC_EUSAGE);
		}
		if (o.key == NULL)
			o.key = "-";
	} else {
		kc_err(KC_EUSAGE, "unknown subcommand '%s'", sub);
		kc_usage(usage_text, KC_EUSAGE);
	}
	rc = o.sub == SUB_LITE ? token_lite(&o) : token_kusciaapi();
	return kc_exit_with(rc);
}
