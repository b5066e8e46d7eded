/* fuzz_route - a route's state printed as JSON (kc_route_json) and explained
 * (kc_route_advice, kc_route_dest) with strings of any bytes: a route name, our domain ID
 * from kuscia.yaml, texts. Input: flags byte, then NUL-separated NAME SELF SOURCE
 * DESTINATION ENDPOINT REASON MESSAGE SINCE EXPIRES; each empty field is NULL */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_route");
	return 0;
}

static char *
field(const uint8_t **p, const uint8_t *end)
{
	char *s = fuzz_field(p, end);

	if (*s != '\0')
		return s;
	free(s);
	return NULL;
}

/* the document kc-route-check prints: there, dumpable, and read back the same */
static void
check(json_t *j)
{
	json_t *back;
	char *s;

	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL)
		abort();
	if ((back = json_loads(s, 0, NULL)) == NULL || !json_equal(back, j))
		abort();
	json_decref(back);
	free(s);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1, *end = data + size;
	struct kc_route r;
	char *self, *text = NULL, *fix = NULL;
	const char *dst;

	if (size < 1)
		return 0;
	memset(&r, 0, sizeof r);
	kc_route_free(&r);
	r.name = field(&p, end);
	self = field(&p, end);
	r.source = field(&p, end);
	r.destination = field(&p, end);
	r.endpoint = field(&p, end);
	r.reason = field(&p, end);
	r.message = field(&p, end);
	r.since = field(&p, end);
	r.src.expires = field(&p, end);
	r.dst.expires = r.src.expires != NULL ? kc_xstrdup(r.src.expires) : NULL;
	r.exists = data[0] & 1;
	r.has_ready = (data[0] & 2) != 0;
	r.ready = (data[0] & 4) != 0;
	r.src.n = data[0] & 8 ? 2 : 0;
	r.dst.n = data[0] & 16 ? 1 : 0;
	r.src.revision = data[0] & 32 ? 7 : -1;
	if (!r.exists && r.name != NULL) {
		/* kc-route-check status of a route that does not exist */
		dst = kc_route_dest(r.name, self);
		text = kc_xasprintf("no ClusterDomainRoute '%s'", r.name);
		fix = kc_xasprintf("run: join_to_host.sh %s %s", self != NULL ? self : "SELF",
		    dst != NULL ? dst : "PEER");
	} else {
		(void)kc_route_advice(&r, self, &text, &fix);
	}
	(void)kc_route_state(&r);
	check(kc_route_json(&r, text, fix));
	check(kc_route_json(&r, data[0] & 64 ? NULL : text, NULL));
	free(text);
	free(fix);
	free(self);
	kc_route_free(&r);
	return 0;
}
