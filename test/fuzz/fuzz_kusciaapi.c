/* fuzz_kusciaapi - a KusciaAPI answer (kc_kapi_answer: HTTP status, envelope, status.code),
 * then what the helpers read of it (kc_kapi_code, kc_kapi_fail). The first two bytes pick
 * the HTTP status, the rest is the body */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_kusciaapi");
	return 0;
}

static const long statuses[] = { 200, 200, 200, 200, 400, 401, 404, 500, 502, 0, 999, -1 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_resp r = { 0 };
	json_t *env = NULL;
	const char *m;

	if (size < 1)
		return 0;
	r.status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	r.body = fuzz_str(data + 1, size - 1);
	r.len = size - 1;
	if (kc_kapi_answer("https://127.0.0.1:8082/api/v1/domaindata/query", &r, &env) == KC_OK) {
		if (env == NULL)
			abort();
		if (kc_kapi_code(env, &m) != 0)
			(void)kc_kapi_fail(env, KC_EAPI, "query");
		json_decref(env);
	} else if (env != NULL) {
		abort();
	}
	free(r.body);
	return 0;
}
