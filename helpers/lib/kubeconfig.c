/* kubeconfig.c - find and read a kubeconfig (libyaml): server, CA, client credentials */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "kc.h"

static yaml_node_t *
map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strlen(key) == k->data.scalar.length &&
		    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static char *
scalar(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return kc_xasprintf("%.*s", (int)n->data.scalar.length, (const char *)n->data.scalar.value);
}

/* the entry of a named list (clusters, users, contexts) whose name is NAME: its FIELD map */
static yaml_node_t *
named(yaml_document_t *d, yaml_node_t *root, const char *list, const char *name,
    const char *field)
{
	yaml_node_t *seq = map_get(d, root, list);
	yaml_node_item_t *i;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE || name == NULL)
		return NULL;
	for (i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++) {
		yaml_node_t *e = yaml_document_get_node(d, *i);
		char *n = scalar(map_get(d, e, "name"));
		int hit = n != NULL && strcmp(n, name) == 0;

		free(n);
		if (hit)
			return map_get(d, e, field);
	}
	return NULL;
}

/* a path relative to the kubeconfig's own folder */
static char *
rel_path(const char *cfg, char *p)
{
	const char *slash;
	char *r;

	if (p == NULL || p[0] == '/' || (slash = strrchr(cfg, '/')) == NULL)
		return p;
	r = kc_xasprintf("%.*s/%s", (int)(slash - cfg), cfg, p);
	free(p);
	return r;
}

static int
b64_field(const struct kc_kubeconfig *kc, yaml_node_t *n, const char *what, unsigned char **out,
    size_t *len)
{
	char *s = scalar(n);

	if (s == NULL)
		return KC_OK;
	*out = kc_unb64(s, len);
	free(s);
	if (*out == NULL)
		return kc_err(KC_EINPUT, "kubeconfig '%s': %s is not valid base64", kc->path, what);
	return KC_OK;
}

static char *
find_path(const char *explicit_path)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	char *p;

	if (explicit_path != NULL)
		return kc_xstrdup(explicit_path);
	if (env != NULL && *env != '\0') {
		const char *s = env;

		while (*s != '\0') {
			size_t n = strcspn(s, ":");

			if (n > 0) {
				p = kc_xasprintf("%.*s", (int)n, s);
				if (kc_path_exists(p))
					return p;
				free(p);
			}
			s += n + (s[n] == ':');
		}
		/* as kubectl: a KUBECONFIG that is set decides; never fall back to another
		 * cluster's kubeconfig because it names a missing file */
		return NULL;
	}
	p = kc_root_path("etc/kubeconfig");
	if (kc_path_exists(p))
		return p;
	free(p);
	if (home != NULL && *home != '\0') {
		p = kc_xasprintf("%s/.kube/config", home);
		if (kc_path_exists(p))
			return p;
		free(p);
	}
	return NULL;
}

/* the files a kubeconfig names can be read: a missing one is a local problem (4), not a TLS
 * failure later */
static int
files_readable(struct kc_kubeconfig *kc)
{
	const char *what[] = {"certificate-authority", "client-certificate", "client-key"};
	const char *file[] = {kc->ca_file, kc->cert_file, kc->key_file};
	int rc;

	for (size_t i = 0; i < sizeof file / sizeof file[0]; i++)
		if (file[i] != NULL && access(file[i], R_OK) != 0) {
			rc = kc_err(KC_ESYS, "kubeconfig '%s': cannot read %s '%s':", kc->path,
			    what[i], file[i]);
			kc_kubeconfig_free(kc);
			return rc;
		}
	return KC_OK;
}

int
kc_kubeconfig_load(const char *explicit_path, struct kc_kubeconfig *kc)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	char *path;
	int e, rc;

	memset(kc, 0, sizeof *kc);
	if ((path = find_path(explicit_path)) == NULL && getenv("KUBECONFIG") != NULL &&
	    *getenv("KUBECONFIG") != '\0')
		return kc_err(KC_ESYS, "no kubeconfig found: KUBECONFIG '%s' names no existing file "
		    "-- fix or unset KUBECONFIG", getenv("KUBECONFIG"));
	if (path == NULL)
		return kc_err(KC_ESYS, "no kubeconfig found: tried $KUBECONFIG, "
		    "'%s/etc/kubeconfig' and ~/.kube/config -- set KUSCIA_ROOT to the node's Kuscia "
		    "home, or KUBECONFIG", kc_root());
	if ((e = kc_read_file(path, 1u << 20, &buf, &len)) != 0) {
		errno = e;
		rc = kc_err(KC_ESYS, "cannot read kubeconfig '%s':", path);
		free(path);
		return rc;
	}
	rc = kc_kubeconfig_parse(path, buf, len, kc);
	kc_wipe_free(buf, len + 1);	/* it may hold client-key-data */
	free(path);
	if (rc == KC_OK)
		rc = files_readable(kc);
	if (rc == KC_OK && kc->insecure)	/* kubeconfig's -k: allowed, never silently */
		kc_warn("kubeconfig '%s' sets insecure-skip-tls-verify: the apiserver's certificate "
		    "is not verified", kc->path);
	return rc;
}

int
kc_kubeconfig_parse(const char *path, const unsigned char *buf, size_t len,
    struct kc_kubeconfig *kc)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *ctx, *cluster, *user;
	char *cur = NULL, *cname = NULL, *uname = NULL, *s;
	int e, rc = KC_EINPUT, have_doc = 0;

	memset(kc, 0, sizeof *kc);
	kc->path = kc_xstrdup(path);
	if (!yaml_parser_initialize(&parser))
		kc_die(KC_ESYS, "out of memory");
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		kc_err(KC_EINPUT, "kubeconfig '%s' is not valid YAML: %s (line %zu)", kc->path,
		    parser.problem != NULL ? parser.problem : "parse error",
		    parser.problem_mark.line + 1);
		goto out;
	}
	have_doc = 1;
	if ((root = yaml_document_get_root_node(&doc)) == NULL || root->type != YAML_MAPPING_NODE) {
		kc_err(KC_EINPUT, "kubeconfig '%s' is empty or not a mapping", kc->path);
		goto out;
	}
	cur = scalar(map_get(&doc, root, "current-context"));
	if (cur == NULL || *cur == '\0') {
		kc_err(KC_EINPUT, "kubeconfig '%s' has no current-context", kc->path);
		goto out;
	}
	if ((ctx = named(&doc, root, "contexts", cur, "context")) == NULL) {
		kc_err(KC_EINPUT, "kubeconfig '%s': context '%s' not found", kc->path, cur);
		goto out;
	}
	cname = scalar(map_get(&doc, ctx, "cluster"));
	uname = scalar(map_get(&doc, ctx, "user"));
	kc->nspace = scalar(map_get(&doc, ctx, "namespace"));
	if ((cluster = named(&doc, root, "clusters", cname, "cluster")) == NULL) {
		kc_err(KC_EINPUT, "kubeconfig '%s': cluster '%s' not found", kc->path,
		    cname != NULL ? cname : "");
		goto out;
	}
	kc->server = scalar(map_get(&doc, cluster, "server"));
	if (kc->server == NULL || *kc->server == '\0') {
		kc_err(KC_EINPUT, "kubeconfig '%s': cluster '%s' has no server", kc->path, cname);
		goto out;
	}
	s = scalar(map_get(&doc, cluster, "insecure-skip-tls-verify"));
	kc->insecure = s != NULL && strcmp(s, "true") == 0;
	free(s);
	kc->ca_file = rel_path(kc->path, scalar(map_get(&doc, cluster, "certificate-authority")));
	if (b64_field(kc, map_get(&doc, cluster, "certificate-authority-data"),
	    "certificate-authority-data", &kc->ca_data, &kc->ca_len) != KC_OK)
		goto out;
	user = named(&doc, root, "users", uname, "user");
	if (uname != NULL && *uname != '\0' && user == NULL) {
		kc_err(KC_EINPUT, "kubeconfig '%s': user '%s' not found", kc->path, uname);
		goto out;
	}
	kc->cert_file = rel_path(kc->path, scalar(map_get(&doc, user, "client-certificate")));
	kc->key_file = rel_path(kc->path, scalar(map_get(&doc, user, "client-key")));
	if (b64_field(kc, map_get(&doc, user, "client-certificate-data"),
	    "client-certificate-data", &kc->cert_data, &kc->cert_len) != KC_OK ||
	    b64_field(kc, map_get(&doc, user, "client-key-data"), "client-key-data",
	    &kc->key_data, &kc->key_len) != KC_OK)
		goto out;
	kc->token = scalar(map_get(&doc, user, "token"));
	if (kc->token == NULL && (s = rel_path(kc->path, scalar(map_get(&doc, user, "tokenFile")))) != NULL) {
		unsigned char *t;
		size_t tl;

		e = kc_read_file(s, 64u << 10, &t, &tl);
		if (e != 0) {
			errno = e;
			kc_err(KC_ESYS, "cannot read the token file '%s':", s);
			free(s);
			rc = KC_ESYS;
			goto out;
		}
		free(s);
		while (tl > 0 && (t[tl - 1] == '\n' || t[tl - 1] == '\r'))
			t[--tl] = '\0';
		kc->token = (char *)t;
	}
	rc = KC_OK;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(cur);
	free(cname);
	free(uname);
	if (rc != KC_OK)
		kc_kubeconfig_free(kc);
	return rc;
}

void
kc_kubeconfig_free(struct kc_kubeconfig *kc)
{
	free(kc->path);
	free(kc->server);
	free(kc->nspace);
	free(kc->ca_file);
	free(kc->ca_data);
	free(kc->cert_file);
	free(kc->cert_data);
	free(kc->key_file);
	kc_wipe_free(kc->key_data, kc->key_len);
	if (kc->token != NULL)
		kc_wipe_free(kc->token, strlen(kc->token));
	memset(kc, 0, sizeof *kc);
}

char *
kc_api_url(const struct kc_kubeconfig *kc, const char *path)
{
	size_t n = strlen(kc->server);

	while (n > 0 && kc->server[n - 1] == '/')
		n--;
	return kc_xasprintf("%.*s%s", (int)n, kc->server, path);
}
