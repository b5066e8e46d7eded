/* fuzz_apiserver - an apiserver answer: the GET reading (kc_api_answer), a Status's message
 * (kc_status_message), and a ClusterDomainRoute's status as kc-route-check reads, explains
 * and prints it (kc_route_from_json, kc_route_advice, kc_route_json). The first byte picks
 * the HTTP status, the rest is the body */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_apiserver");
	return 0;
}

static const long statuses[] = { 200, 200, 200, 200, 401, 403, 404, 409, 422, 500, 0, -1 };

static void
route(json_t *doc)
{
	struct kc_route r;
	char *text = NULL, *fix = NULL, *s;
	json_t *j;

	memset(&r, 0, sizeof r);
	kc_route_free(&r);
	r.name = kc_xstrdup("alice-bob");
	kc_route_from_json(doc, &r);
	(void)kc_route_state(&r);
	(void)kc_route_advice(&r, "alice", &text, &fix);
	if (text == NULL)
		abort();
	if ((j = kc_route_json(&r, text, fix)) == NULL)
		abort();	/* kc-route-check would print nothing */
	free(s = json_dumps(j, JSON_COMPACT));
	json_decref(j);
	free(text);
	free(fix);
	free(text = NULL);
	(void)kc_route_advice(&r, NULL, &text, &fix);
	free(text);
	free(fix);
	kc_route_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_resp r = { 0 };
	json_t *doc = NULL;

	if (size < 1)
		return 0;
	r.status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	r.body = fuzz_str(data + 1, size - 1);
	r.len = size - 1;
	free(kc_status_message(&r));
	if (kc_api_answer("https://127.0.0.1:6443/apis/x", &r, &doc) == KC_OK && doc != NULL) {
		route(doc);
		json_decref(doc);
	}
	free(r.body);
	return 0;
}
