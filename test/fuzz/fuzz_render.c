/* fuzz_render - kc-render's template slots ({{.NAME}}, |int, |bool, |optional) and their
 * values: the helper itself is compiled in (its main renamed), its template read from the
 * input. Input: TEMPLATE-JSON NUL VALUE NUL VALUE ..., the values given to the slots in the
 * order they are found (a slot without one is not given). */
#include "fuzz.h"

int kc_render_main(int argc, char **argv);
#define main kc_render_main
#include "../../helpers/kc-render.c"
#undef main

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("fuzz_render");
	json_set_alloc_funcs(wipe_malloc, wipe_free);	/* as kc-render's main */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tl = nul != NULL ? (size_t)(nul - data) : size;
	struct tmpl t = {0};
	json_t *doc = NULL;
	char *args[16] = {0};
	size_t i, na = 0;
	json_error_t jerr;
	char *v;

	t.path = kc_xstrdup("fuzz.json");
	p = data + tl + (nul != NULL);
	/* tmpl_load without the file */
	if ((t.doc = json_loadb((const char *)data, tl, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    scan(&t, t.doc) != KC_OK)
		goto out;
	for (i = 0; i < t.n && na < 16 && p < end; i++) {
		v = fuzz_field(&p, end);
		args[na] = kc_xasprintf("=%s", v);	/* read_values takes what follows '=' */
		free(v);
		t.v[i].arg = args[na++];
	}
	if (read_values(&t) != KC_OK || render(&t, t.doc, &doc) != KC_OK)
		goto out;
	if (doc != NULL) {
		wipe_free(v = json_dumps(doc, JSON_COMPACT));	/* jansson allocated it */
		json_decref(doc);
	}
out:
	tmpl_free(&t);
	for (i = 0; i < na; i++)
		free(args[i]);
	return 0;
}
