/* fuzz_grant - kc-grant's reading of a KusciaAPI DomainDataGrant answer (kc_kapi_answer, then
 * lib/grant.c as kc-grant uses it for query, list, batchQuery and create), printed as text
 * and as JSON. The first byte picks the HTTP status and the -o; the rest is the body */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_grant");
	return 0;
}

static const long statuses[] = { 200, 200, 200, 200, 200, 200, 401, 400, 500 };

static void
answer(const json_t *env, int json)
{
	json_t *data = json_object_get(env, "data"), *one, *keep = NULL;
	const json_t *found;
	struct kc_grant g;
	const char *id;
	char *diff = NULL;
	int rc;

	if (kc_kapi_code(env, NULL) != 0) {
		/* batchQuery's per-item errors */
		if ((rc = kc_grant_batch_fail(env)) != KC_EFAIL && rc != KC_EAPI)
			abort();
		return;
	}
	/* query: one grant; create --id: compared with the wanted one */
	if (kc_grant_of(data, &g) == KC_OK) {
		if (g.id == NULL || g.data == NULL || g.to == NULL || g.phase == NULL)
			abort();
		if (kc_grant_diff(data, "alice", "alice-table", "bob", &diff) != KC_OK)
			abort();
		free(diff);
		if ((one = json_pack("[O]", data)) == NULL || kc_grant_print(one, json) != KC_OK)
			abort();
		json_decref(one);
	} else if (kc_grant_diff(data, "alice", "alice-table", "bob", &diff) == KC_OK ||
	    diff != NULL) {
		abort();
	}
	/* batchQuery: a list */
	if (json_is_array(data))
		(void)kc_grant_print(data, json);
	/* list: --if-absent, then filtered and printed */
	if ((found = kc_grant_find(env, "alice-table", "bob")) != NULL &&
	    kc_grant_of(found, &g) != KC_OK)
		abort();
	if (kc_grant_filter(env, json ? NULL : "alice-table", json ? "bob" : NULL, &keep) ==
	    KC_OK) {
		if (!json_is_array(keep) || kc_grant_print(keep, json) != KC_OK)
			abort();
		json_decref(keep);
	} else if (keep != NULL) {
		abort();
	}
	/* create */
	if ((id = kc_grant_created(env)) != NULL && *id == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_resp r = { 0 };
	json_t *env = NULL;

	if (size < 1)
		return 0;
	r.status = statuses[(data[0] & 0x7f) % (sizeof statuses / sizeof statuses[0])];
	r.body = fuzz_str(data + 1, size - 1);
	r.len = size - 1;
	if (kc_kapi_answer("https://127.0.0.1:8082/api/v1/domaindatagrant/query", &r, &env) ==
	    KC_OK) {
		answer(env, data[0] & 0x80);
		json_decref(env);
	}
	free(r.body);
	fflush(stdout);
	return 0;
}
