/* grant.c - DomainDataGrants as the KusciaAPI answers them (spec/kusciaapi.md section 4.2):
 * kc-grant's reading of query, list, batchQuery and create answers, no network */
#include <stdlib.h>
#include <string.h>

#include "kc.h"

#define CODE_NOT_EXISTS 11705

/* a DomainDataGrant as query returns it: {"data": {...}, "status": {"phase": ...}} */
int
kc_grant_of(const json_t *v, struct kc_grant *g)
{
	memset(g, 0, sizeof *g);
	if (json_unpack((json_t *)v, "{s:{s:s, s:s, s:s, s?s}, s?{s?s}}", "data",
	    "domaindatagrant_id", &g->id, "domaindata_id", &g->data, "grant_domain", &g->to,
	    "author", &g->author, "status", "phase", &g->phase) != 0)
		return kc_err(KC_EAPI, "the KusciaAPI answered a grant without domaindatagrant_id, "
		    "domaindata_id or grant_domain");
	if (g->phase == NULL || *g->phase == '\0')
		g->phase = "-";
	return KC_OK;
}

int
kc_grant_print(json_t *list, int json)
{
	struct kc_grant g;
	size_t i;
	json_t *v;
	int rc;

	json_array_foreach(list, i, v)
		if ((rc = kc_grant_of(v, &g)) != KC_OK)
			return rc;
	if (json)
		return kc_json_print(json_incref(list));
	json_array_foreach(list, i, v) {
		const char *f[4];

		kc_grant_of(v, &g);
		f[0] = g.id, f[1] = g.data, f[2] = g.to, f[3] = g.phase;
		for (int k = 0; k < 4; k++) {	/* one line per grant, whatever the server sent */
			char *c = kc_xstrdup(f[k]);

			kc_text_clean(c);
			printf("%s%c", c, k < 3 ? ' ' : '\n');
			free(c);
		}
	}
	return KC_OK;
}

int
kc_grant_diff(const json_t *view, const char *owner, const char *data, const char *to,
    char **diff)
{
	struct kc_grant g;
	char *t;
	int rc;

	*diff = NULL;
	if ((rc = kc_grant_of(view, &g)) != KC_OK)
		return rc;
#define DIFF(name, have, want)							\
	if ((have) != NULL && *(have) != '\0' && strcmp((have), (want)) != 0) {	\
		t = kc_xasprintf("%s%s%s '%s', not '%s'", *diff ? *diff : "",		\
		    *diff ? "; " : "", name, have, want);				\
		free(*diff);							\
		*diff = t;							\
	}
	DIFF("domaindata", g.data, data)
	DIFF("grantee", g.to, to)
	DIFF("owner", g.author, owner)
#undef DIFF
	return KC_OK;
}

const json_t *
kc_grant_find(const json_t *env, const char *data, const char *to)
{
	struct kc_grant g;
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(json_object_get(env, "data"),
	    "domaindatagrant_list"), i, v)
		if (kc_grant_of(v, &g) == KC_OK && strcmp(g.data, data) == 0 &&
		    strcmp(g.to, to) == 0)
			return v;
	return NULL;
}

int
kc_grant_filter(const json_t *env, const char *data, const char *to, json_t **keep)
{
	json_t *all, *v;
	struct kc_grant g;
	size_t i;
	int rc = KC_OK;

	*keep = NULL;
	all = json_object_get(json_object_get(env, "data"), "domaindatagrant_list");
	if (!json_is_array(all))
		return kc_err(KC_EAPI, "the KusciaAPI's list answered no domaindatagrant_list");
	if ((*keep = json_array()) == NULL)
		kc_die(KC_ESYS, "out of memory building JSON");
	json_array_foreach(all, i, v) {
		if ((rc = kc_grant_of(v, &g)) != KC_OK)
			break;
		if ((data == NULL || strcmp(g.data, data) == 0) &&
		    (to == NULL || strcmp(g.to, to) == 0))
			json_array_append(*keep, v);
	}
	if (rc != KC_OK) {
		json_decref(*keep);
		*keep = NULL;
	}
	return rc;
}

const char *
kc_grant_created(const json_t *env)
{
	const char *id = NULL;

	if (json_unpack((json_t *)env, "{s:{s:s}}", "data", "domaindatagrant_id", &id) != 0 ||
	    *id == '\0')
		return NULL;
	return id;
}

int
kc_grant_batch_fail(const json_t *env)
{
	json_t *d;
	size_t i;
	int missing = 0, other = 0;

	json_array_foreach(json_object_get(json_object_get(env, "status"), "details"), i, d) {
		const char *dm = json_string_value(json_object_get(d, "message"));
		long dc = (long)json_integer_value(json_object_get(d, "code"));

		kc_err(KC_EAPI, "%s (KusciaAPI code %ld)", dm != NULL ? dm : "no message", dc);
		if (dc == CODE_NOT_EXISTS)
			missing++;
		else
			other++;
	}
	if (missing + other == 0)
		return kc_kapi_fail(env, KC_EAPI, "cannot query the grants");
	return other > 0 ? KC_EAPI : KC_EFAIL;
}
