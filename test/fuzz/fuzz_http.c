/* fuzz_http - an HTTP/1.1 answer as kc_http_request reads it off the wire (helpers/lib/http.c):
 * status line, headers, 1xx answers, Content-Length, chunked bodies with trailers, an answer
 * ending with the stream. The first byte picks the method (HEAD has no body), the rest is the
 * answer */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_http");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_resp r;
	int rc;

	if (size < 1)
		return 0;
	rc = kc_http_parse((const char *)data + 1, size - 1, data[0] & 1 ? "HEAD" : "GET", &r);
	if (rc == KC_OK) {
		if (r.body == NULL || r.body[r.len] != '\0' || r.status < 100 || r.status > 999)
			abort();
	} else if (r.body != NULL || (rc != KC_ENET && rc != KC_EAPI)) {
		abort();
	}
	kc_resp_free(&r);
	return 0;
}
