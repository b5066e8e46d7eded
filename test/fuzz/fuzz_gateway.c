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

static size_t
stages(const struct kc_probe *p)
{
	size_t i, n = 0;

	for (i = 0; i < KC_PROBE_STAGES; i++)
		n += p->stage[i].status != NULL;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1, *end = data + size;
	struct kc_probe_opts o = { .url = "http://fuzz:1080", .from = "alice" };
	struct kc_probe p0;
	char *server, *errmsg, *body;
	static const char *const names[KC_PROBE_STAGES] = {
		"dns", "connect", "tls", "http", "gateway", "handshake"
	};
	json_t *j;
	int i, k;

	if (size < 1)
		return 0;
	server = fuzz_field(&p, end);
	errmsg = fuzz_field(&p, end);
	body = fuzz_str(p, (size_t)(end - p));
	kc_text_clean(server);	/* as probe.c keeps the headers */
	kc_text_clean(errmsg);
	for (i = 0; i < 2; i++) {
		memset(&p0, 0, sizeof p0);
		p0.hs_state = -1;
		for (k = 0; k < KC_PROBE_STAGES; k++)
			p0.stage[k].check = names[k];	/* as kc_probe_run */
		if (kc_endpoint_parse(i ? "https://fuzz:1080/p" : "http://fuzz:1080", &p0.ep) != KC_OK)
			abort();
		p0.url = kc_xstrdup(o.url);
		o.expect = i ? "bob" : NULL;
		p0.http_status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
		p0.server = data[0] & 0x80 ? NULL : kc_xstrdup(server);
		kc_check_set(&p0.stage[KC_PROBE_HTTP], "ok", 1.0, kc_xasprintf("HTTP %ld, server "
		    "'%s'", p0.http_status, server), NULL);
		(void)kc_probe_gateway(&o, &p0, data[0] & 0x80 ? NULL : server,
		    data[0] & 0x40 ? NULL : errmsg, body);
		(void)kc_probe_handshake(&o, &p0, "bob", p0.http_status, body,
		    data[0] & 0x20 ? errmsg : NULL);
		/* kc-route-check -o json prints this: every stage that ran, nothing dropped */
		if ((j = kc_probe_json(&p0)) == NULL ||
		    json_array_size(json_object_get(j, "stages")) != stages(&p0))
			abort();
		json_decref(j);
		kc_probe_free(&p0);
	}
	free(server);
	free(errmsg);
	free(body);
	return 0;
}
