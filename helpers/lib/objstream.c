/* objstream.c - kc-apply's input: concatenated JSON objects (a List's items flattened), each
 * checked and mapped to its kind before anything is sent */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

static int
add_obj(struct kc_objstream *b, json_t *doc, size_t index)
{
	const char *api = NULL, *kind = NULL, *name = NULL, *ns = NULL;
	json_t *items = NULL;
	const struct kc_kind *k;
	struct kc_obj *o;
	size_t i;

	if (!json_is_object(doc))
		return kc_err(KC_EINPUT, "object %zu of the input is not a JSON object", index);
	json_unpack(doc, "{s?s, s?s, s?o, s?{s?s, s?s}}", "apiVersion", &api, "kind", &kind,
	    "items", &items, "metadata", "name", &name, "namespace", &ns);
	if (kind != NULL && strcmp(kind, "List") == 0) {
		if (!json_is_array(items))
			return kc_err(KC_EINPUT, "object %zu of the input is a List without items",
			    index);
		for (i = 0; i < json_array_size(items); i++) {
			int rc = add_obj(b, json_array_get(items, i), index);

			if (rc != KC_OK)
				return rc;
		}
		return KC_OK;
	}
	if (api == NULL || kind == NULL)
		return kc_err(KC_EINPUT, "object %zu of the input has no apiVersion or kind", index);
	if ((k = kc_kind_find(api, kind)) == NULL)
		return kc_err(KC_EINPUT, "object %zu of the input: kind '%s' of '%s' is not one kc "
		    "applies", index, kind, api);
	if (name == NULL || !kc_object_name_valid(name))
		return kc_err(KC_EINPUT, "%s %zu of the input: %s '%s' -- use lower-case letters, "
		    "digits, '-' and '.'", kind, index, name == NULL ? "no metadata.name" :
		    "invalid name", name == NULL ? "" : name);
	if (k->namespaced && ns != NULL && ns[0] != '\0' && kc_domain_id_problem(ns) != NULL &&
	    !kc_object_name_valid(ns))
		return kc_err(KC_EINPUT, "%s '%s': invalid namespace '%s'", kind, name, ns);
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		if (b->cap > SIZE_MAX / sizeof *b->v)
			kc_die(KC_ESYS, "out of memory");
		b->v = kc_xrealloc(b->v, b->cap * sizeof *b->v);
	}
	o = &b->v[b->n++];
	o->doc = doc;
	o->kind = k;
	o->name = name;
	o->ns = k->namespaced ? (ns != NULL && ns[0] != '\0' ? ns : "default") : NULL;
	o->ref = kc_kind_ref(k, name);
	return KC_OK;
}

int
kc_objstream_parse(const char *buf, size_t len, struct kc_objstream *b)
{
	size_t off = 0, index = 0;
	json_error_t e;

	memset(b, 0, sizeof *b);
	b->docs = json_array();
	for (;;) {
		json_t *doc;
		int rc;

		while (off < len && (buf[off] == ' ' || buf[off] == '\n' || buf[off] == '\r' ||
		    buf[off] == '\t'))
			off++;
		if (off >= len)
			break;
		doc = json_loadb(buf + off, len - off, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES,
		    &e);
		if (doc == NULL)
			return kc_err(KC_EINPUT, "the input is not a stream of JSON objects: %s "
			    "(object %zu, line %d)", e.text, index + 1, e.line);
		json_array_append_new(b->docs, doc);
		off += (size_t)e.position;
		if ((rc = add_obj(b, doc, ++index)) != KC_OK)
			return rc;
	}
	if (b->n == 0)
		return kc_err(KC_EINPUT, "no objects in the input -- pipe kc-render's output in");
	return KC_OK;
}

void
kc_objstream_free(struct kc_objstream *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].ref);
	free(b->v);
	json_decref(b->docs);
	memset(b, 0, sizeof *b);
}
