/* kc.h - the small shared library of the kc helpers */
#ifndef KC_H
#define KC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#ifndef KC_VERSION
#define KC_VERSION "0.0.0"
#endif

/* exit codes: STYLE.md section 4 */
enum kc_exit {
	KC_OK = 0,
	KC_EFAIL = 1,	/* ran fine, the answer is no */
	KC_EUSAGE = 2,	/* bad command line */
	KC_EINPUT = 3,	/* bad input data */
	KC_ESYS = 4,	/* local system */
	KC_ENET = 5,	/* could not reach */
	KC_EAPI = 6,	/* the server answered with an error */
	KC_ETLS = 7,	/* TLS handshake or peer certificate */
	KC_EPEER = 8,	/* not a Kuscia gateway, or the wrong one */
	KC_ETIMEOUT = 124
};

#define KC_PRINTF(a, b) __attribute__((format(printf, a, b)))

extern const char *kc_prog;

/* err.c: "PROG: message"; a format ending in ':' appends strerror(errno) */
int kc_err(int code, const char *fmt, ...) KC_PRINTF(2, 3);	/* returns code */
void kc_warn(const char *fmt, ...) KC_PRINTF(1, 2);		/* "PROG: warning: ..." */
_Noreturn void kc_die(int code, const char *fmt, ...) KC_PRINTF(2, 3);
/* this thread's messages from now on kept, not printed; unhold returns them (malloc'd, NULL if
 * none) and prints again */
void kc_err_hold(void);
char *kc_err_unhold(void);
/* sslerr.c */
int kc_ssl_err(int code, const char *fmt, ...) KC_PRINTF(2, 3);	/* appends OpenSSL's reason */
const char *kc_ssl_reason(void);	/* reason of the last OpenSSL error, queue cleared */
/* usage text printed to stdout (code 0) or stderr (otherwise), then exit(code) */
_Noreturn void kc_usage(const char *text, int code);

/* mem.c: allocators that die on OOM (minisign xmalloc) */
void *kc_xmalloc(size_t n);
void *kc_xcalloc(size_t n, size_t m);
void *kc_xrealloc(void *p, size_t n);
char *kc_xstrdup(const char *s);
char *kc_xasprintf(const char *fmt, ...) KC_PRINTF(1, 2);
void kc_wipe(void *p, size_t n);	/* zero secret bytes (explicit_bzero: no libcrypto needed) */
void kc_wipe_free(void *p, size_t n);	/* kc_wipe, then free */

/* json.c */
int kc_json_print(json_t *doc);	/* owns doc */
int kc_output_valid(const char *o);	/* "text" or "json"; prints why not */
int kc_close_stdout(void);	/* flush and close stdout: KC_OK or KC_ESYS */
int kc_exit_with(int rc);	/* kc_close_stdout() folded into rc */

/* complete.c: --complete WORDS...: print what may follow WORDS, one a line: VERBS (space
 * separated, or NULL) while no operand is typed, then every long option; after an option that
 * takes a value only its values (-o: text, json). Returns kc_close_stdout(). */
struct option;
int kc_complete(const char *verbs, const struct option *longopts, int nwords, char *const *words);

/* file.c */
#define KC_MAX_FILE (16u << 20)
/* read a whole file ("-" = stdin) into a NUL-terminated buffer; 0 or an errno value
 * (EISDIR for a directory, EFBIG past max); prints nothing */
int kc_read_file(const char *path, size_t max, unsigned char **buf, size_t *len);
/* write buf to path atomically: temp file in the same folder, fsync, rename, fsync folder.
 * KC_OK or KC_ESYS (message printed). With exclusive, an existing path is refused with
 * KC_EINPUT and EEXIST left in errno (nothing printed for that case). */
int kc_write_atomic(const char *path, const void *buf, size_t len, mode_t mode, int exclusive);
/* remove the temp files (.kc-tmp.PID.*) that killed writers left in DIR (kc_write_atomic does) */
void kc_sweep_tmp(const char *dir);
int kc_path_exists(const char *path);

/* root.c: KUSCIA_ROOT resolution (CONTRACTS section 1) */
const char *kc_root(void);
char *kc_root_path(const char *rel);	/* "$KUSCIA_ROOT/rel", free it */

/* id.c: domain IDs (CONTRACTS section 3) */
const char *kc_domain_id_problem(const char *id);	/* NULL when valid, else why not */

/* pki.c: OpenSSL helpers shared by kc-cert and kc-token */
enum kc_cert_reason {
	KC_CERT_OK = 0,
	KC_CERT_UNREADABLE,
	KC_CERT_NOT_PEM,
	KC_CERT_CN_MISMATCH,
	KC_CERT_EXPIRED,
	KC_CERT_NOT_YET_VALID,
	KC_CERT_NOT_RSA,
	KC_CERT_KEY_MISMATCH
};
const char *kc_cert_reason_word(enum kc_cert_reason r);	/* "unreadable", ... or NULL for OK */
/* parse exactly one PEM certificate; NULL when the buffer is not one (nothing printed) */
X509 *kc_cert_from_pem(const unsigned char *buf, size_t len);
/* parse a private key, PEM PKCS#1 or PKCS#8 (unencrypted); NULL when not one */
EVP_PKEY *kc_key_from_pem(const unsigned char *buf, size_t len);
char *kc_cert_cn(const X509 *x);	/* subject CN, or NULL; free it */
/* base64 (standard alphabet, padding, no newlines) of len bytes; free it */
char *kc_b64(const unsigned char *buf, size_t len);
/* decode standard base64, whitespace ignored; NULL on bad input */
unsigned char *kc_unb64(const char *text, size_t *outlen);

/* endpoint.c: peer endpoint URLs, CONTRACTS.md section 4 */
struct kc_endpoint {
	char *host;
	int port;
	char *path;	/* pathPrefix, "/" by default */
	int tls;
};
int kc_endpoint_parse(const char *url, struct kc_endpoint *ep);	/* prints why; KC_EINPUT */
void kc_endpoint_free(struct kc_endpoint *ep);

/* pki.c, for kc-cert: private key from PEM or from the base64 of a PEM (kuscia.yaml's
 * domainKeyData); NULL when neither (nothing printed) */
EVP_PKEY *kc_key_from_data(const unsigned char *buf, size_t len);
/* PKCS#8 PEM of a private key, NUL-terminated; wipe it with kc_wipe_free(p, *len + 1);
 * NULL on error (OpenSSL's error queue left for kc_ssl_err) */
char *kc_key_to_pem(EVP_PKEY *k, size_t *len);
int kc_key_is_rsa(const EVP_PKEY *k);	/* 0 for NULL (a key OpenSSL cannot decode) */
const char *kc_key_type(const EVP_PKEY *k);	/* "RSA", "EC" ... or "unknown" */
/* a certificate time as RFC 3339 UTC ("2030-01-02T03:04:05Z"), else bad */
#define KC_TIME_LEN 32
void kc_time_rfc3339(const ASN1_TIME *t, char out[KC_TIME_LEN], const char *bad);
char *kc_name_text(const X509_NAME *n);	/* the CN, else the RFC 2253 name; free it */

/* certmake.c, for kc-cert: NULL on error (OpenSSL's error queue left for kc_ssl_err) */
X509_REQ *kc_req_make(EVP_PKEY *k, const char *cn);	/* subject CN=cn, SHA-256, signed by k */
/* an X.509 v1 certificate without extensions for req, signed by signer as issuer, valid for
 * days from now */
X509 *kc_cert_make(X509_REQ *req, const X509_NAME *issuer, EVP_PKEY *signer, long days,
    const BIGNUM *serial);
char *kc_pem_of(const X509 *x, const X509_REQ *req, size_t *len);	/* x, or req if x NULL */
BIGNUM *kc_serial_rand(void);	/* a random positive 159-bit serial, as openssl x509 -req */

/* datadir.c: kc's data folder (templates ...), a string to free: $KC_DATADIR if set, else
 * <exe dir>/../share/kc (source tree), else <exe dir>/../../share/kc (installed), else the
 * compiled-in KC_DATADIR */
char *kc_datadir(void);

/* kubeconfig.c: --kubeconfig FILE, else $KUBECONFIG, else $KUSCIA_ROOT/etc/kubeconfig, else
 * ~/.kube/config; the current context's server and credentials */
struct kc_kubeconfig {
	char *path, *server, *nspace;
	char *ca_file, *cert_file, *key_file;
	unsigned char *ca_data, *cert_data, *key_data;
	size_t ca_len, cert_len, key_len;
	char *token;
	int insecure;
};
int kc_kubeconfig_load(const char *explicit_path, struct kc_kubeconfig *kc);	/* prints why */
/* the same from the text of a kubeconfig read from PATH (messages, relative paths) */
int kc_kubeconfig_parse(const char *path, const unsigned char *buf, size_t len,
    struct kc_kubeconfig *kc);
void kc_kubeconfig_free(struct kc_kubeconfig *kc);
char *kc_api_url(const struct kc_kubeconfig *kc, const char *path);	/* server + path; free it */

/* http.c: libcurl, one kept-alive connection per handle */
struct kc_tls {
	const char *ca_file, *cert_file, *key_file;
	const unsigned char *ca_data, *cert_data, *key_data;
	size_t ca_len, cert_len, key_len;
	int insecure;
};
struct kc_resp {
	long status;
	char *body;	/* NUL-terminated */
	size_t len;
};
struct kc_http;
struct kc_http *kc_http_new(const struct kc_tls *tls, long timeout_ms);
void kc_http_header(struct kc_http *h, const char *header);	/* sent with every request */
/* from now on every request ends within TOTAL_MS of this call (the per-request limit stays) */
void kc_http_deadline(struct kc_http *h, long total_ms);
/* KC_TIMEOUT (a duration) into *MS when set and not empty; KC_EUSAGE (printed) if invalid */
int kc_timeout_env(long *ms);
void kc_http_free(struct kc_http *h);
/* open the connection to URL's origin now, for the next request (a failure is that request's,
 * with its message); printing nothing. A readable FD abandons every wait of H (another thread
 * stopping a kc_http_preconnect). */
void kc_http_preconnect(struct kc_http *h, const char *url);
void kc_http_cancel_fd(struct kc_http *h, int fd);
/* KC_OK when the server answered (any status), else KC_ENET / KC_ETLS (message printed) */
int kc_http_request(struct kc_http *h, const char *method, const char *url, const char *ctype,
    const char *body, size_t len, struct kc_resp *r);
void kc_resp_free(struct kc_resp *r);
int kc_http_from_kubeconfig(const struct kc_kubeconfig *kc, long timeout_ms, struct kc_http **out);
char *kc_status_message(const struct kc_resp *r);	/* free it */

/* kinds.c: the kinds kc applies (Kuscia and core), their API paths and kubectl's names */
struct kc_kind {
	const char *kind, *group, *version, *plural, *singular;
	int namespaced;
};
const struct kc_kind *kc_kind_find(const char *api_version, const char *kind);
char *kc_kind_path(const struct kc_kind *k, const char *ns, const char *name);	/* name may be NULL */
char *kc_kind_ref(const struct kc_kind *k, const char *name);	/* "domain.kuscia.secretflow/alice" */
int kc_object_name_valid(const char *name);

/* objstream.c: kc-apply's input, concatenated JSON objects or Lists of them, each checked
 * (apiVersion, kind kc applies, metadata.name, namespace) */
struct kc_obj {
	json_t *doc;	/* borrowed from the stream's docs */
	const struct kc_kind *kind;
	const char *name, *ns;	/* ns: NULL for a cluster-scoped kind, else "default" if unset */
	char *ref;	/* "domain.kuscia.secretflow/alice" */
};
struct kc_objstream {
	json_t *docs;	/* array owning every parsed document */
	struct kc_obj *v;
	size_t n, cap;
};
/* KC_OK with at least one object, else KC_EINPUT (message printed); free s whatever the result */
int kc_objstream_parse(const char *buf, size_t len, struct kc_objstream *s);
void kc_objstream_free(struct kc_objstream *s);

/* takeover.c: an object upstream's scripts applied with kubectl's client-side apply. The JSON
 * merge patch deleting what kubectl's next apply would delete: each field of the object in
 * LIVE's last-applied-configuration annotation that WANT (the object about to be applied)
 * lacks and LIVE still has, with metadata.resourceVersion = LIVE's. NULL when there is
 * nothing to delete (no annotation, not a JSON object, nothing missing). No network. */
json_t *kc_takeover_patch(json_t *want, json_t *live);

/* conf.c: the one reader of kuscia.yaml. KEY is a dotted path (kusciaAPI.HTTPPort); file NULL =
 * $KUSCIA_ROOT/etc/conf/kuscia.yaml. KC_OK with *value NULL when KEY is not set (empty or null),
 * else a NUL-terminated copy (len: its length; free with kc_wipe_free(v, len + 1) if secret);
 * KC_ESYS (unreadable) / KC_EINPUT (not YAML, KEY holds a mapping or list), message printed */
int kc_conf_get_file(const char *file, const char *key, char **value, size_t *len);
/* the same on the text of a kuscia.yaml read from PATH (for messages) */
int kc_conf_get_buf(const char *path, const unsigned char *text, size_t tlen, const char *key,
    char **value, size_t *len);
int kc_conf_get(const char *key, char **value);

/* route.c: a ClusterDomainRoute read from the apiserver (kc-route-check status, diagnosis) */
/* GET server+path: KC_OK with *out the JSON object, or NULL on 404; else KC_EAPI / KC_ENET /
 * KC_ETLS (message printed) */
int kc_api_get(struct kc_http *h, const char *server, const char *path, json_t **out);
/* its reading of the answer r to GET url (no network): the same codes, message printed */
int kc_api_answer(const char *url, const struct kc_resp *r, json_t **out);
struct kc_route_tokens {
	size_t n;		/* entries in the list */
	long long revision;	/* the newest entry's, -1 when the list is empty */
	int ready;		/* the newest entry's isReady */
	char *expires;		/* the newest entry's expirationTime, or NULL */
};
struct kc_route {
	char *name, *source, *destination;	/* source/destination NULL when it does not exist */
	char *endpoint;		/* "https://HOST:PORT/PREFIX" of the handshake port, or NULL */
	char *host, *prefix;
	int port, tls;
	int exists, has_ready, ready;	/* has_ready: a Ready condition is present */
	char *reason, *message, *since;	/* of the Ready condition, NULL when absent */
	struct kc_route_tokens src, dst;	/* status.tokenStatus.sourceTokens, destinationTokens */
};
/* zero r first; KC_OK with r->exists 0 when there is no such CDR (message printed otherwise) */
int kc_route_read(struct kc_http *h, const char *server, const char *name, struct kc_route *r);
void kc_route_from_json(json_t *cdr, struct kc_route *r);
void kc_route_free(struct kc_route *r);
/* the Ready state in one line and the next step (troubleshooting.md section F), strings to
 * free (*fix NULL when none); self is our domain ID. Returns 1 when the reason is known. */
int kc_route_advice(const struct kc_route *r, const char *self, char **text, char **fix);
/* {"route","exists","source","destination","endpoint","ready","status","reason","message",
 * "lastTransitionTime","explanation","fix","sourceTokens","destinationTokens"} */
json_t *kc_route_json(const struct kc_route *r, const char *text, const char *fix);
/* a duration: "30s", "2m", "1h", "500ms" or plain seconds; KC_OK or KC_EUSAGE (nothing printed) */
int kc_duration_ms(const char *s, long *ms);

/* kusciaapi.c: a KusciaAPI client (spec/kusciaapi.md). Endpoint: endpoint, else $KC_KUSCIAAPI,
 * else 127.0.0.1 at kuscia.yaml's kusciaAPI.HTTPPort (8082), https unless protocol is NOTLS.
 * https: server verified against var/certs/ca.crt (insecure: not, with a warning), client pair
 * kusciaapi-client.crt/.key if both exist, else ca.crt/.key, header Token from var/certs/token
 * (never sent over plain http). Errors printed, KC_E* returned. */
struct kc_kapi;
int kc_kapi_open(const char *endpoint, int insecure, long timeout_ms, struct kc_kapi **out);
void kc_kapi_free(struct kc_kapi *k);
const char *kc_kapi_base(const struct kc_kapi *k);	/* "https://127.0.0.1:8082" */
/* POST req to path ("/api/v1/..."): KC_OK with *env = the answer, an envelope whose status.code
 * may be non-zero (check kc_kapi_code); else KC_ENET / KC_ETLS / KC_EAPI (HTTP != 200 such as
 * 401 for a bad token, not JSON, no envelope), message printed */
int kc_kapi_post(struct kc_kapi *k, const char *path, json_t *req, json_t **env);
/* its reading of the answer r from url (no network): KC_OK with *env, or KC_EAPI, printed */
int kc_kapi_answer(const char *url, const struct kc_resp *r, json_t **env);
long kc_kapi_code(const json_t *env, const char **message);	/* status.code, .message */
int kc_kapi_fail(const json_t *env, int code, const char *what);	/* "WHAT: msg (KusciaAPI code N)" */
const char *kc_kapi_id_problem(const char *id);	/* DomainData/grant IDs: NULL when valid */
/* http.c: the text of the last failed request's failure ("" if none) */
const char *kc_http_error(const struct kc_http *h);
/* an HTTP answer in memory read as kc_http_request reads one (for the fuzz target): KC_OK, or
 * the code of its failure (printed) */
int kc_http_parse(const char *data, size_t len, const char *method, struct kc_resp *r);

/* probe.c: one line of a probe or a diagnosis, "STATUS CHECK: finding[ -- fix]" */
struct kc_check {
	const char *status;	/* "ok", "warn", "FAIL", "skip"; NULL: not printed */
	const char *check;
	char *finding, *fix;	/* fix may be NULL */
	double ms;		/* the stage's time, < 0 when none */
};
int kc_check_print(const struct kc_check *c);	/* on stdout; KC_OK or KC_ESYS */
json_t *kc_check_json(const struct kc_check *c);	/* {"status","check","finding","fix"[,"ms"]} */
/* probe.c: is there a (the expected) Kuscia gateway at URL? (CONTRACTS.md section 7) */
enum { KC_PROBE_DNS, KC_PROBE_CONNECT, KC_PROBE_TLS, KC_PROBE_HTTP, KC_PROBE_GATEWAY,
	KC_PROBE_HANDSHAKE, KC_PROBE_STAGES };
struct kc_probe_opts {
	const char *url;
	const char *expect;	/* PEER: verify against var/certs/PEER.domain.crt, CN, body */
	const char *from;	/* SELF: GET /handshake as SELF; NULL: not probed */
	long timeout_ms;
	int insecure, quiet;	/* quiet: no warning on stderr */
};
struct kc_probe {
	struct kc_check stage[KC_PROBE_STAGES];
	struct kc_endpoint ep;
	char *url, *tls_version, *subject, *issuer, *not_after, *verify_error;
	char *server, *domain, *instance, *kuscia;
	long http_status;
	int verified, gateway, hs_state;	/* hs_state -1: not probed */
	int rc;
};
/* the exit code: 0, 1 (state 5), 3 (bad URL, printed), 5, 6, 7, 8; the stages say why.
 * Needs libcurl; the interpretation of the answers is in gateway.c (no libcurl there). */
int kc_probe_run(const struct kc_probe_opts *o, struct kc_probe *p);
/* gateway.c: the result, and the stages that read a gateway's answers (each sets its stage
 * and returns the code) */
void kc_probe_free(struct kc_probe *p);
json_t *kc_probe_json(const struct kc_probe *p);
void kc_check_set(struct kc_check *c, const char *status, double ms, char *finding, char *fix);
/* control characters and bytes that are not UTF-8 -> '?' (text from the network) */
void kc_text_clean(char *s);
int kc_probe_tls(const struct kc_probe_opts *o, struct kc_probe *p, const char *version,
    X509 *leaf, STACK_OF(X509) *chain, double ms);
int kc_probe_gateway(const struct kc_probe_opts *o, struct kc_probe *p, const char *server,
    const char *errmsg, const char *body);
int kc_probe_handshake(const struct kc_probe_opts *o, struct kc_probe *p, const char *peer,
    long status, const char *body, const char *error);

/* pki.c: a domain certificate's checks in kc-cert verify's order (RSA, CN = id, not yet
 * valid, expired), nothing printed: the first that fails, or KC_CERT_OK */
enum kc_cert_reason kc_cert_check(const X509 *x, const char *id);
/* the same; once RSA and CN pass, *window (if not NULL) also gets every time check that
 * failed, for a caller that only warns of them (kc-cert --allow-expired); else 0 */
enum { KC_CERT_EARLY = 1, KC_CERT_LATE = 2 };	/* not yet valid, expired */
enum kc_cert_reason kc_cert_check_window(const X509 *x, const char *id, unsigned *window);

/* route.c: the destination of a route that does not exist, SELF-DEST (CONTRACTS.md
 * section 7; NULL when NAME does not start with "SELF-"), and its state in words */
const char *kc_route_dest(const char *name, const char *self);
const char *kc_route_state(const struct kc_route *r);	/* "Ready True", "does not exist" ... */
/* diag.c: the diagnosis of route NAME as node SELF, one check each (CONTRACTS.md section 7) */
enum { KC_DIAG_ROUTE, KC_DIAG_DOMAIN, KC_DIAG_PEER_CERT, KC_DIAG_OWN_CERT, KC_DIAG_ENDPOINT,
	KC_DIAG_REGISTERED, KC_DIAG_READY, KC_DIAG_CHECKS };
struct kc_diag {
	struct kc_check c[KC_DIAG_CHECKS];	/* route, peer-domain, peer-cert, own-cert,
						 * endpoint, peer-registration, ready */
	const char *name, *self, *peer;
	const char *first;	/* the first FAIL check's name, or NULL */
	struct kc_route r;
	struct kc_http *h;	/* the apiserver, borrowed */
	const char *server;
	X509 *peer_cert;	/* Domain PEER's spec.cert */
};
/* KC_OK without a FAIL, else KC_EFAIL; apiserver errors are FAIL lines (and a message);
 * free d with kc_diag_free whatever the result */
int kc_diag_run(struct kc_diag *d, struct kc_http *h, const char *server, const char *self,
    const char *name, long timeout_ms);
/* {"route","source","destination","checks":[kc_check_json...],"firstFailure","ok"} */
json_t *kc_diag_json(const struct kc_diag *d);
void kc_diag_free(struct kc_diag *d);

/* grant.c: DomainDataGrants in KusciaAPI answers (spec/kusciaapi.md 4.2), for kc-grant; no
 * network. Strings are borrowed from the answer. Errors printed, KC_E* returned. */
struct kc_grant {
	const char *id, *data, *to, *author, *phase;	/* author may be NULL; phase "-" if none */
};
/* a grant {"data": {domaindatagrant_id, domaindata_id, grant_domain[, author]}[, "status":
 * {"phase"}]}: KC_OK or KC_EAPI */
int kc_grant_of(const json_t *v, struct kc_grant *g);
/* every grant of the array checked, then printed: "ID DATA GRANTEE PHASE" lines, or the array
 * as one JSON document */
int kc_grant_print(json_t *list, int json);
/* an existing grant against the wanted one: KC_OK with *diff NULL when it grants DATA to TO
 * (owned by OWNER, when it names its author), else "domaindata 'x', not 'y'; ..." (free it) */
int kc_grant_diff(const json_t *view, const char *owner, const char *data, const char *to,
    char **diff);
/* a list answer's (data.domaindatagrant_list) first grant of DATA to TO, or NULL */
const json_t *kc_grant_find(const json_t *env, const char *data, const char *to);
/* a list answer's grants of DATA to TO (NULL: any) in a new array *keep; KC_EAPI when there is
 * no list or a grant is unreadable */
int kc_grant_filter(const json_t *env, const char *data, const char *to, json_t **keep);
const char *kc_grant_created(const json_t *env);	/* create's data.domaindatagrant_id|NULL */
/* a batchQuery answer with status.code != 0: each item's error printed; KC_EFAIL when every
 * failed item is missing (11705), else KC_EAPI */
int kc_grant_batch_fail(const json_t *env);

/* tokenreq.c: the apiserver's answer R to a TokenRequest for service account SA in NS
 * (kc-token sa), no network: KC_OK with *token (free it with kc_wipe_free(t, strlen(t) + 1)),
 * else KC_EAPI, message printed */
int kc_tokenreq_answer(const struct kc_resp *r, const char *sa, const char *ns, char **token);

/* probe.c: the response headers a probe keeps (libcurl's header callback, one line a call,
 * "Name: value\r\n"): of the last response, cleaned with kc_text_clean */
struct kc_probe_headers {
	char *server, *errmsg;	/* Server, kuscia-error-message; NULL when absent */
	int done;		/* the empty line that ends the headers was seen */
};
void kc_probe_header(struct kc_probe_headers *h, const char *line, size_t len);
void kc_probe_headers_free(struct kc_probe_headers *h);

#endif
