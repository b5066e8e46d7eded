/* takeover.c - taking over an object that kubectl's client-side apply applied
 *
 * Upstream's scripts apply with kubectl's client-side apply, which keeps the object it applied
 * in the annotation below and, on its next run, deletes every field that object had and the
 * new one lacks. Server-side apply deletes only fields its manager owned before, and kc never
 * owned what kubectl set: an object applied by upstream's scripts would keep, say, a Domain's
 * role after kc applies it without one. kc-apply therefore deletes those fields first, as
 * kubectl would, with the merge patch made here (no network here). */
#include <string.h>

#include "kc.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

static json_t *
new_object(void)
{
	json_t *v = json_object();

	if (v == NULL)
		kc_die(KC_ESYS, "out of memory");
	return v;
}

static void
put(json_t *obj, const char *key, json_t *v)	/* owns v */
{
	if (json_object_set_new(obj, key, v) != 0)
		kc_die(KC_ESYS, "out of memory");
}

/* the object kubectl last applied to live; NULL when there is none or it is not a JSON object
 * (then there is nothing to take over: the apply goes on as for any object) */
static json_t *
last_applied(json_t *live)
{
	const char *text = NULL;
	json_t *last;

	if (json_unpack(live, "{s:{s:{s:s}}}", "metadata", "annotations", LAST_APPLIED,
	    &text) != 0)
		return NULL;
	last = json_loads(text, 0, NULL);
	if (json_is_object(last))
		return last;
	json_decref(last);
	return NULL;
}

/* into patch, a null for each member of last that want lacks and live still has (one already
 * gone needs no request); maps in all three recurse, arrays and scalars are atomic (the apply
 * replaces one that want has, as kubectl's merge patch does). Returns how many. */
static size_t
drop_missing(json_t *last, json_t *want, json_t *live, json_t *patch)
{
	const char *key;
	json_t *v, *w, *now, *sub;
	size_t n = 0, m;

	json_object_foreach(last, key, v) {
		w = json_object_get(want, key);
		if ((now = json_object_get(live, key)) == NULL)
			continue;
		if (w == NULL) {
			put(patch, key, json_null());
			n++;
		} else if (json_is_object(v) && json_is_object(w) && json_is_object(now)) {
			sub = new_object();
			if ((m = drop_missing(v, w, now, sub)) > 0) {
				put(patch, key, sub);
				n += m;
			} else
				json_decref(sub);
		}
	}
	return n;
}

/* members of obj but the ones named (a shallow copy) */
static json_t *
without(json_t *obj, const char *const *names)
{
	json_t *c = json_copy(obj);

	if (c == NULL)
		kc_die(KC_ESYS, "out of memory");
	for (; *names != NULL; names++)
		json_object_del(c, *names);
	return c;
}

/* drop_missing for metadata.NAME (labels, annotations), key by key, into meta.NAME */
static size_t
drop_missing_meta(const char *name, json_t *last, json_t *want, json_t *live, json_t *meta)
{
	static const char *const self[] = {LAST_APPLIED, NULL};
	json_t *l = json_object_get(json_object_get(last, "metadata"), name), *sub;
	size_t n;

	if (!json_is_object(l))
		return 0;
	l = without(l, self);
	sub = new_object();
	n = drop_missing(l, json_object_get(json_object_get(want, "metadata"), name),
	    json_object_get(json_object_get(live, "metadata"), name), sub);
	json_decref(l);
	if (n > 0)
		put(meta, name, sub);
	else
		json_decref(sub);
	return n;
}

/* the merge patch deleting what kubectl applied to live and want lacks, conditional on live's
 * resourceVersion; NULL when there is nothing to delete. Under metadata only labels and
 * annotations are kubectl's (name, namespace ... are identity), and those go key by key, not
 * as whole maps: Kuscia's controllers add theirs there. The annotation itself stays: kubectl,
 * if run again, keeps working from it. status is the controllers'. */
json_t *
kc_takeover_patch(json_t *want, json_t *live)
{
	static const char *const top[] = {"apiVersion", "kind", "metadata", "status", NULL};
	const char *rv = json_string_value(json_object_get(json_object_get(live, "metadata"),
	    "resourceVersion"));
	json_t *last, *patch, *meta, *l;
	size_t n;

	if (rv == NULL || (last = last_applied(live)) == NULL)
		return NULL;
	patch = new_object();
	meta = new_object();
	l = without(last, top);
	n = drop_missing(l, want, live, patch);
	json_decref(l);
	n += drop_missing_meta("labels", last, want, live, meta);
	n += drop_missing_meta("annotations", last, want, live, meta);
	json_decref(last);
	if (n == 0) {
		json_decref(meta);
		json_decref(patch);
		return NULL;
	}
	put(meta, "resourceVersion", json_string(rv));
	put(patch, "metadata", meta);
	return patch;
}
