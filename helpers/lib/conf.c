/* conf.c - the one reader of kuscia.yaml (CONTRACTS.md section 2), shared by kc-conf and
 * the helpers that need a key of it (domainID, protocol, kusciaAPI.HTTPPort) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "kc.h"

#define MAX_MERGE_DEPTH 16
#define MAX_MERGE_VISITS 4096	/* aliases can make merges explode: refuse instead */

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
				return kc_err(KC_EINPUT, "'%s': key '%.*s' appears twice in a "
				    "mapping", c->file, (int)len, name);
			*out = v;
		} else if (scalar_is(k, "<<", 2) &&
		    k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
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
		kc_wipe(y->buffer.start, (size_t)(y->buffer.end - y->buffer.start));
	if (y->raw_buffer.start != NULL)
		kc_wipe(y->raw_buffer.start,
		    (size_t)(y->raw_buffer.end - y->raw_buffer.start));
}

static void
wipe_document(yaml_document_t *d)
{
	yaml_node_t *n;

	for (n = d->nodes.start; n != NULL && n < d->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value != NULL)
			kc_wipe(n->data.scalar.value, n->data.scalar.length);
}

int
kc_conf_get_file(const char *file, const char *key, char **value, size_t *len)
{
	char *path = file != NULL ? kc_xstrdup(file) : kc_root_path("etc/conf/kuscia.yaml");
	unsigned char *text = NULL;
	size_t tlen = 0;
	int e, rc;

	*value = NULL;
	if (len != NULL)
		*len = 0;
	if ((e = kc_read_file(path, KC_MAX_FILE, &text, &tlen)) != 0) {
		errno = e;
		if (e == ENOENT && file == NULL)	/* KUSCIA_ROOT is not a node's home */
			rc = kc_err(KC_ESYS, "cannot read '%s': %s -- set KUSCIA_ROOT to the node's "
			    "Kuscia home", path, strerror(e));
		else
			rc = kc_err(KC_ESYS, "cannot read '%s':", path);
	} else {
		rc = kc_conf_get_buf(path, text, tlen, key, value, len);
	}
	kc_wipe_free(text, tlen + 1);
	free(path);
	return rc;
}

int
kc_conf_get_buf(const char *path, const unsigned char *text, size_t tlen, const char *key,
    char **value, size_t *len)
{
	yaml_parser_t y;
	yaml_document_t doc;
	yaml_node_t *n = NULL;
	struct conf c = { path, key, &doc, 0 };
	int rc = KC_OK, loaded = 0;

	*value = NULL;
	if (len != NULL)
		*len = 0;
	if (!yaml_parser_initialize(&y))
		return kc_err(KC_ESYS, "out of memory");
	yaml_parser_set_input_string(&y, text, tlen);
	if (!yaml_parser_load(&y, &doc))
		rc = parse_error(&y, path);
	else
		loaded = 1;
	wipe_parser(&y);
	yaml_parser_delete(&y);
	if (rc != KC_OK || (rc = find(&c, &n)) != KC_OK)
		goto out;
	if (n != NULL) {
		size_t vl = n->data.scalar.length;

		*value = kc_xmalloc(vl + 1);
		memcpy(*value, n->data.scalar.value, vl);
		(*value)[vl] = '\0';
		if (len != NULL)
			*len = vl;
	}
out:
	if (loaded) {
		wipe_document(&doc);
		yaml_document_delete(&doc);
	}
	return rc;
}

int
kc_conf_get(const char *key, char **value)
{
	return kc_conf_get_file(NULL, key, value, NULL);
}
