/* fuzz_objstream - kc-apply's input (kc_objstream_parse): concatenated JSON objects, Lists */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_objstream");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_objstream s;
	size_t i;

	if (kc_objstream_parse((const char *)data, size, &s) == KC_OK) {
		for (i = 0; i < s.n; i++) {
			char *path = kc_kind_path(s.v[i].kind, s.v[i].ns, s.v[i].name);
			char *body = json_dumps(s.v[i].doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

			if (body == NULL || s.v[i].ref == NULL)
				abort();
			free(body);
			free(path);
		}
	}
	kc_objstream_free(&s);
	return 0;
}
