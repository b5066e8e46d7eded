/* json.c - JSON output and stdout handling */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kc.h"

int
kc_json_print(json_t *doc)
{
	int rc = KC_ESYS;

	if (doc == NULL)
		kc_die(KC_ESYS, "out of memory building JSON");
	if (json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 &&
	    putchar('\n') != EOF)
		rc = KC_OK;
	json_decref(doc);
	return rc;
}

int
kc_output_valid(const char *o)
{
	if (strcmp(o, "text") == 0 || strcmp(o, "json") == 0)
		return 1;
	kc_err(KC_EUSAGE, "invalid output format '%s': use text or json", o);
	return 0;
}

int
kc_close_stdout(void)
{
	int bad = ferror(stdout);

	if (fclose(stdout) != 0 || bad) {
		if (errno != EPIPE)
			kc_err(KC_ESYS, "write error on standard output:");
		return KC_ESYS;
	}
	return KC_OK;
}

int
kc_exit_with(int rc)
{
	int c = kc_close_stdout();

	return rc == KC_OK ? c : rc;
}
