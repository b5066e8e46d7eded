/* kc-conf - read one key of the node's kuscia.yaml (CONTRACTS.md section 2) */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <yaml.h>

#include "kc.h"

static const char usage_text[] =
	"Usage: kc conf KEY [--default VALUE] [-f FILE]\n"
	"\n"
	"Print one value of the node's kuscia.yaml.\n"
	"\n"
	"KEY is a dotted path: domainID, mode, protocol, kusciaAPI.HTTPPort ... The value\n"
	"is printed as YAML reads it (quotes removed, comments ignored), then a newline.\n"
	"A key with an empty or null value is not set. domainKeyData is printed only when\n"
	"asked for by name.\n"
	"\n"
	"Options:\n"
	"  -f, --file FILE       read FILE (default $KUSCIA_ROOT/etc/conf/kuscia.yaml)\n"
	"      --default VALUE   print VALUE when KEY is not set\n"
	"  -h, --help            show this help\n"
	"      --version         print the version\n"
	"\n"
	"Exit status: 0 printed, 1 KEY is not set, 2 bad command line, 3 not YAML or\n"
	"KEY holds a mapping or a list, 4 FILE cannot be read.\n";

#define MAX_MERGE_DEPTH 16
#define MAX_MERGE_VISITS 4096	/* aliases can make merges explode: refuse instead */

struct opts {
	const char *key;
	const char *file;	/* NULL: $KUSCIA_ROOT/etc/conf/kuscia.yaml */
	const char *def;	/* --default, or NULL */
};

struct conf {
	const char *file;
	const char *key;
	yaml_document_t *doc;
	size_t visits;	/* mappings searched, merges included */
};

static int
is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (strcmp((const char *)n->data.scalar.value, nulls[i]) == 0)
			return 1;
	return 0;
}

static int
scalar_is(const yaml_node_t *n, const char *s, size_t len)
{
	return n != NULL && n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
	    memcmp(n->data.scalar.value, s, len) == 0;
}

/* look name up in mapping m, then in its merge keys ("<<: *base"); *out NULL: not there */
static int
lookup(struct conf *c, yaml_node_t *m, const char *name, size_t len, int depth,
    yaml_node_t **out)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	yaml_node_t *k, *v, *merge = NULL;
	int rc;

	*out = NULL;
	if (depth > MAX_MERGE_DEPTH || ++c->visits > MAX_MERGE_VISITS)
		return kc_err(KC_EINPUT, "'%s': merge keys ('<<') nested too deep", c->file);
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(c->doc, p->key);
		v = yaml_document_get_node(c->doc, p->value);
		if (scalar_is(k, name, len)) {
			if (*out != NULL)
				return kc_err(KC_EINPUT, "'%s': key '%.*s' appears twice in a mapping",
				    c->file, (int)len, name);
			*out = v;
		} else if (scalar_is(k, "<<", 2) && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			merge = v;
		}
	}
	if (*out != NULL || merge == NULL)
		return KC_OK;
	if (merge->type == YAML_MAPPING_NODE)
		return lookup(c, merge, name, len, depth + 1, out);
	if (merge->type != YAML_SEQUENCE_NODE)
		return KC_OK;
	for (it = merge->data.sequence.items.start; it < merge->data.sequence.items.top; it++) {
		v = yaml_document_get_node(c->doc, *it);
		if (v == NULL || v->type != YAML_MAPPING_NODE)
			continue;
		if ((rc = lookup(c, v, name, len, depth + 1, out)) != KC_OK || *out != NULL)
			return rc;
	}
	return KC_OK;
}

/* the node at the dotted key, or NULL when it is not set */
static int
find(struct conf *c, yaml_node_t **out)
{
	yaml_node_t *n = yaml_document_get_root_node(c->doc);
	const char *p = c->key, *dot;
	size_t len;
	int rc;

	*out = NULL;
	if (n == NULL || is_null(n))
		return KC_OK;
	if (n->type != YAML_MAPPING_NODE)
		return kc_err(KC_EINPUT, "'%s' is not a YAML mapping", c->file);
	for (;;) {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if ((rc = lookup(c, n, p, len, 0, &n)) != KC_OK || n == NULL)
			return rc;
		if (dot == NULL)
			break;
		if (n->type != YAML_MAPPING_NODE)
			return KC_OK;	/* a.b where a is a value or list: b is not set */
		p = dot + 1;
	}
	if (is_null(n))
		return KC_OK;
	if (n->type != YAML_SCALAR_NODE)
		return kc_err(KC_EINPUT, "'%s' in '%s' is a %s, not a value", c->key, c->file,
		    n->type == YAML_MAPPING_NODE ? "mapping" : "list");
	*out = n;
	return KC_OK;
}

static int
parse_error(const yaml_parser_t *y, const char *file)
{
	const char *problem = y->problem != NULL ? y->problem : "unknown error";

	switch (y->error) {
	case YAML_MEMORY_ERROR:
		return kc_err(KC_ESYS, "out of memory reading '%s'", file);
	case YAML_READER_ERROR:
		return kc_err(KC_EINPUT, "'%s' is not valid YAML: %s at byte %zu", file, problem,
		    y->problem_offset);
	default:
		return kc_err(KC_EINPUT, "'%s' is not valid YAML: %s at line %zu column %zu", file,
		    problem, y->problem_mark.line + 1, y->problem_mark.column + 1);
	}
}

/* wipe what libyaml copied of the file: it may hold domainKeyData */
static void
wipe_parser(yaml_parser_t *y)
{
	if (y->buffer.start != NULL)
		OPENSSL_cleanse(y->buffer.start, (size_t)(y->buffer.end - y->buffer.start));
	if (y->raw_buffer.start != NULL)
		OPENSSL_cleanse(y->raw_buffer.start,
		    (size_t)(y->raw_buffer.end - y->raw_buffer.start));
}

static void
wipe_document(yaml_document_t *d)
{
	yaml_node_t *n;

	for (n = d->nodes.start; n != NULL && n < d->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value != NULL)
			OPENSSL_cleanse(n->data.scalar.value, n->data.scalar.length);
}

static int
conf_get(const struct opts *o)
{
	char *path = o->file != NULL ? kc_xstrdup(o->file) : kc_root_path("etc/conf/kuscia.yaml");
	unsigned char *text = NULL;
	size_t len = 0;
	yaml_parser_t y;
	yaml_document_t doc;
	yaml_node_t *n = NULL;
	struct conf c = { path, o->key, &doc, 0 };
	int e, rc = KC_OK, loaded = 0;

	if ((e = kc_read_file(path, KC_MAX_FILE, &text, &len)) != 0) {
		errno = e;
		rc = kc_err(KC_ESYS, "cannot read '%s':", path);
		goto out;
	}
	if (!yaml_parser_initialize(&y)) {
		rc = kc_err(KC_ESYS, "out of memory");
		goto out;
	}
	yaml_parser_set_input_string(&y, text, len);
	if (!yaml_parser_load(&y, &doc))
		rc = parse_error(&y, path);
	else
		loaded = 1;
	wipe_parser(&y);
	yaml_parser_delete(&y);
	if (rc != KC_OK || (rc = find(&c, &n)) != KC_OK)
		goto out;
	if (n != NULL) {
		fwrite(n->data.scalar.value, 1, n->data.scalar.length, stdout);
		putchar('\n');
	} else if (o->def != NULL) {
		printf("%s\n", o->def);
	} else {
		rc = kc_err(KC_EFAIL, "'%s' is not set in '%s'", o->key, path);
	}
out:
	if (loaded) {
		wipe_document(&doc);
		yaml_document_delete(&doc);
	}
	kc_wipe_free(text, len + 1);
	free(path);
	return rc;
}

static int
key_valid(const char *k)
{
	const char *p;

	if (*k == '\0' || *k == '.')
		return 0;
	for (p = k; *p != '\0'; p++)
		if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
			return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"file", required_argument, NULL, 'f'},
		{"default", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	int c;

	kc_prog = "kc-conf";
	while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1)
		switch (c) {
		case 'h': kc_usage(usage_text, KC_OK);
		case 'V': printf("kc-conf %s\n", KC_VERSION); return kc_exit_with(KC_OK);
		case 'f':
			if (o.file != NULL) {
				kc_err(KC_EUSAGE, "-f is given twice");
				kc_usage(usage_text, KC_EUSAGE);
			}
			o.file = optarg;
			break;
		case 'D':
			if (o.def != NULL) {
				kc_err(KC_EUSAGE, "--default is given twice");
				kc_usage(usage_text, KC_EUSAGE);
			}
			o.def = optarg;
			break;
		default: kc_usage(usage_text, KC_EUSAGE);
		}
	if (argc - optind != 1) {
		kc_err(KC_EUSAGE, argc - optind < 1 ? "missing KEY" : "too many operands");
		kc_usage(usage_text, KC_EUSAGE);
	}
	o.key = argv[optind];
	if (!key_valid(o.key)) {
		kc_err(KC_EUSAGE, "bad KEY '%s': use a dotted path such as kusciaAPI.HTTPPort",
		    o.key);
		kc_usage(usage_text, KC_EUSAGE);
	}
	if (o.file != NULL && *o.file == '\0') {
		kc_err(KC_EUSAGE, "-f needs a file name");
		kc_usage(usage_text, KC_EUSAGE);
	}
	return kc_exit_with(conf_get(&o));
}
