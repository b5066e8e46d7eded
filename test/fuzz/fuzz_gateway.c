/* fuzz_gateway - a peer gateway's answers as kc-route-check probe reads them: the anonymous
 * 401 (kc_probe_gateway: Server header, kuscia-error-message, body) and GET /handshake
 * (kc_probe_handshake: status, body), then the probe's JSON. Input: a status byte, then
 * SERVER NUL ERRMSG NUL BODY */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_gateway");
	return 0;
}

static const long statuses[] = { 401, 401, 401, 200, 200, 400, 404, 405, 502, 503, 0, -1 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1, *end = data + size;
	struct kc_probe_opts o = { .url = "http://fuzz:1080", .from = "alice" };
	struct kc_probe p0;
	char *server, *errmsg, *body;
	json_t *j;
	int i;

	if (size < 1)
		return 0;
	server = fuzz_field(&p, end);
	errmsg = fuzz_field(&p, end);
	body = fuzz_str(p, (size_t)(end - p));
	for (i = 0; i < 2; i++) {
		memset(&p0, 0, sizeof p0);
		p0.hs_state = -1;
		if (kc_endpoint_parse(i ? "https://fuzz:1080/p" : "http://fuzz:1080", &p0.ep) != KC_OK)
			abort();
		p0.url = kc_xstrdup(o.url);
		o.expect = i ? "bob" : NULL;
		p0.http_status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
		(void)kc_probe_gateway(&o, &p0, data[0] & 0x80 ? NULL : server,
		    data[0] & 0x40 ? NULL : errmsg, body);
		(void)kc_probe_handshake(&o, &p0, "bob", p0.http_status, body,
		    data[0] & 0x20 ? errmsg : NULL);
		if ((j = kc_probe_json(&p0)) == NULL)
			abort();	/* kc-route-check -o json would print nothing */
		json_decref(j);
		kc_probe_free(&p0);
	}
	free(server);
	free(errmsg);
	free(body);
	return 0;
}
