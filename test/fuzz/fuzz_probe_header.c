/* fuzz_probe_header - the peer gateway's response headers as kc-route-check probe reads them
 * (kc_probe_header, libcurl's header callback: one line a call), then the kept Server and
 * kuscia-error-message headers through the gateway stage and the probe's JSON. Input: the
 * header block, cut into lines after each '\n' (a lone line without one is passed as is);
 * the first byte picks the HTTP status */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_probe_header");
	return 0;
}

static const long statuses[] = { 401, 401, 401, 200, 404, 502 };

static const char *const names[KC_PROBE_STAGES] = {
	"dns", "connect", "tls", "http", "gateway", "handshake"
};

/* a kept header: what kc_text_clean leaves, so jansson takes it */
static void
check_kept(const char *s)
{
	json_t *j;

	if (s == NULL)
		return;
	if (strpbrk(s, "\r\n\t") != NULL || (j = json_string(s)) == NULL)
		abort();
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_probe_headers hd = { 0 };
	struct kc_probe_opts o = { .url = "http://fuzz:1080", .from = "alice" };
	struct kc_probe p0;
	const uint8_t *p, *end = data + size, *nl;
	char *line;
	json_t *j;
	size_t n;
	int k;

	if (size < 1)
		return 0;
	for (p = data + 1; p < end; p += n) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		line = kc_xmalloc(n);	/* exactly the line: ASan sees any read past it */
		memcpy(line, p, n);
		kc_probe_header(&hd, line, n);
		free(line);
	}
	kc_probe_header(&hd, "", 0);
	check_kept(hd.server);
	check_kept(hd.errmsg);
	/* as kc_probe_run goes on with them */
	memset(&p0, 0, sizeof p0);
	p0.hs_state = -1;
	for (k = 0; k < KC_PROBE_STAGES; k++)
		p0.stage[k].check = names[k];
	if (kc_endpoint_parse(o.url, &p0.ep) != KC_OK)
		abort();
	p0.url = kc_xstrdup(o.url);
	p0.http_status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	p0.server = hd.server != NULL ? kc_xstrdup(hd.server) : NULL;
	kc_check_set(&p0.stage[KC_PROBE_HTTP], "ok", 1.0, hd.server != NULL ?
	    kc_xasprintf("HTTP %ld, server '%s'", p0.http_status, hd.server) :
	    kc_xasprintf("HTTP %ld, no Server header", p0.http_status), NULL);
	(void)kc_probe_gateway(&o, &p0, hd.server, hd.errmsg, "");
	if ((j = kc_probe_json(&p0)) == NULL)
		abort();	/* kc-route-check -o json would print nothing */
	json_decref(j);
	kc_probe_free(&p0);
	kc_probe_headers_free(&hd);
	return 0;
}
