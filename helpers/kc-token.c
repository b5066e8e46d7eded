/* kc-token - print the KusciaAPI token of this node, or derive a lite domain's */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "kc.h"

static const char usage_text[] =
    "Usage: kc token [kusciaapi | lite ID [--key FILE] | sa ID [--duration D] [-n NS]]\n"
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
    "  sa ID         request a token for service account ID in namespace ID (or -n NS)\n"
    "                from the apiserver (TokenRequest API), as `kubectl create token`\n"
    "                does for create_token.sh; valid for --duration (Go syntax: 87600h,\n"
    "                1h30m, 90s; default 1h)\n"
    "\n"
    "Options:\n"
    "  --key FILE    (lite) the domain key: a PEM RSA private key, or the base64 of one\n"
    "                (kuscia.yaml's domainKeyData); '-' or no --key: read it from stdin.\n"
    "                Keys never go on the command line.\n"
    "  --duration D  (sa) how long the token stays valid\n"
    "  -n, --namespace NS  (sa) the service account's namespace (default: ID)\n"
    "  --kubeconfig FILE   (sa) else $KUBECONFIG, $KUSCIA_ROOT/etc/kubeconfig, ~/.kube/config\n"
    "  --dry-run     (sa) print the TokenRequest as JSON; contact nothing (also KC_DRY_RUN)\n"
    "  --no-newline  (sa) no line break after the token, as `kubectl create token` prints it\n"
    "                (sa) KC_TIMEOUT: how long the request may take (30, 30s, 500ms; 30 s)\n"
    "  -h, --help    print this help\n"
    "      --version print kc's version\n"
    "\n"
    "Exit status: 0 printed; 2 bad command line; 3 malformed token file, key not an RSA\n"
    "private key; 4 token file or kubeconfig missing; 5 apiserver unreachable; 6 the\n"
    "apiserver refused; 7 TLS failed.\n";

enum sub { SUB_KUSCIAAPI, SUB_LITE, SUB_SA };

struct opts {
	enum sub sub;
	const char *id;		/* lite, sa */
	const char *key;	/* lite: file, "-" = stdin */
	const char *duration;	/* sa */
	const char *nspace;	/* sa */
	const char *kubeconfig;	/* sa */
	int dry_run;		/* sa */
	int no_newline;		/* sa */
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
	if (!kc_key_is_rsa(*key)) {
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

/* a Go duration of h, m and s parts ("87600h", "1h30m", "90s") in seconds; -1 when bad */
static long long
parse_duration(const char *d)
{
	long long total = 0;
	const char *p = d;

	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		char *end;
		long long v, mul;

		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || end == p)
			return -1;
		switch (*end) {
		case 'h': mul = 3600; break;
		case 'm': mul = 60; break;
		case 's': mul = 1; break;
		default: return -1;
		}
		if (v > (LLONG_MAX - total) / mul)
			return -1;
		total += v * mul;
		p = end + 1;
	}
	return total;
}

static int
token_sa(const struct opts *o)
{
	struct kc_kubeconfig kc = {0};
	struct kc_http *h = NULL;
	struct kc_resp r = {0};
	const char *ns = o->nspace != NULL ? o->nspace : o->id, *why;
	long long secs = parse_duration(o->duration);
	json_t *req = NULL;
	char *body = NULL, *url = NULL, *m, *tok = NULL;
	long ms = 30000;
	int rc;

	if ((rc = kc_timeout_env(&ms)) != KC_OK)
		return rc;
	if (secs < 600 || secs > (1LL << 32))
		return kc_err(KC_EUSAGE, "invalid --duration '%s': give at least 10m, e.g. 87600h",
		    o->duration);
	if ((why = kc_domain_id_problem(o->id)) != NULL && !kc_object_name_valid(o->id))
		return kc_err(KC_EINPUT, "invalid service account '%s': %s", o->id, why);
	if (!kc_object_name_valid(ns))
		return kc_err(KC_EINPUT, "invalid namespace '%s'", ns);
	req = json_pack("{s:s, s:s, s:{s:I}}", "apiVersion", "authentication.k8s.io/v1", "kind",
	    "TokenRequest", "spec", "expirationSeconds", (json_int_t)secs);
	if (o->dry_run) {
		rc = kc_json_print(req);
		return rc;
	}
	if ((rc = kc_kubeconfig_load(o->kubeconfig, &kc)) != KC_OK ||
	    (rc = kc_http_from_kubeconfig(&kc, ms, &h)) != KC_OK)
		goto out;
	if ((body = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		kc_die(KC_ESYS, "out of memory");
	m = kc_xasprintf("/api/v1/namespaces/%s/serviceaccounts/%s/token", ns, o->id);
	url = kc_api_url(&kc, m);
	free(m);
	if ((rc = kc_http_request(h, "POST", url, "application/json", body, strlen(body), &r)) !=
	    KC_OK)
		goto out;
	if ((rc = kc_tokenreq_answer(&r, o->id, ns, &tok)) != KC_OK)	/* lib/tokenreq.c */
		goto out;
	rc = printf("%s%s", tok, o->no_newline ? "" : "\n") < 0 ? KC_ESYS : KC_OK;
out:
	if (r.body != NULL)
		OPENSSL_cleanse(r.body, r.len);
	kc_resp_free(&r);
	if (tok != NULL)
		kc_wipe_free(tok, strlen(tok) + 1);
	json_decref(req);
	free(body);
	free(url);
	kc_http_free(h);
	kc_kubeconfig_free(&kc);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "duration", required_argument, NULL, 'd' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "kubeconfig", required_argument, NULL, 'K' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "no-newline", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .sub = SUB_KUSCIAAPI, .id = NULL, .key = NULL, .duration = "1h" };
	const char *dr = getenv("KC_DRY_RUN");
	int sa_opts = 0;
	const char *sub;
	int c, rc, nargs;

	kc_prog = "kc-token";
	if (argc > 1 && strcmp(argv[1], "--complete") == 0)	/* share/kc/completions */
		return kc_complete("kusciaapi lite sa", longopts, argc - 2, argv + 2);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hn:", longopts, NULL)) != -1)
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
		case 'd': o.duration = optarg; sa_opts = 1; break;
		case 'n': o.nspace = optarg; sa_opts = 1; break;
		case 'K': o.kubeconfig = optarg; sa_opts = 1; break;
		case 'D': o.dry_run = 1; sa_opts = 1; break;
		case 'N': o.no_newline = 1; sa_opts = 1; break;
		case ':':
			kc_err(KC_EUSAGE, "option '%s' needs an argument", argv[optind - 1]);
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
	} else if (strcmp(sub, "sa") == 0) {
		o.sub = SUB_SA;
		if (nargs != 2 || *argv[optind + 1] == '\0') {
			kc_err(KC_EUSAGE, nargs < 2 || *argv[optind + 1] == '\0' ?
			    "sa needs the service account (domain) ID" : "sa takes one ID");
			kc_usage(usage_text, KC_EUSAGE);
		}
		o.id = argv[optind + 1];
		if (o.key != NULL) {
			kc_err(KC_EUSAGE, "--key goes with lite only");
			kc_usage(usage_text, KC_EUSAGE);
		}
		if (dr != NULL && dr[0] != '\0' && strcmp(dr, "0") != 0)
			o.dry_run = 1;
	} else {
		kc_err(KC_EUSAGE, "unknown subcommand '%s'", sub);
		kc_usage(usage_text, KC_EUSAGE);
	}
	if (sa_opts && o.sub != SUB_SA) {
		kc_err(KC_EUSAGE, "--duration, --namespace, --kubeconfig, --dry-run and --no-newline go "
		    "with sa only");
		kc_usage(usage_text, KC_EUSAGE);
	}
	rc = o.sub == SUB_LITE ? token_lite(&o) : o.sub == SUB_SA ? token_sa(&o) : token_kusciaapi();
	return kc_exit_with(rc);
}
