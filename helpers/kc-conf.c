/* kc-conf - read one key of the node's kuscia.yaml (CONTRACTS.md section 2) */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

static const char usage_text[] =
	"Usage: kc conf KEY [--default VALUE] [-f FILE]\n"
	"\n"
	"Print one value of the node's kuscia.yaml.\n"
	"\n"
	"KEY is a dotted path: domainID, mode, protocol, kusciaAPI.HTTPPort ... The value\n"
	"is printed as YAML reads it (quotes removed, comments ignored), then a newline.\n"
	"A key with an empty or null value is not set. domainKeyData is printed only when\n"
	"asked for by name.\n"
	"\n"
	"Options:\n"
	"  -f, --file FILE       read FILE (default $KUSCIA_ROOT/etc/conf/kuscia.yaml)\n"
	"      --default VALUE   print VALUE when KEY is not set\n"
	"  -h, --help            show this help\n"
	"      --version         print the version\n"
	"\n"
	"Exit status: 0 printed, 1 KEY is not set, 2 bad command line, 3 not YAML or\n"
	"KEY holds a mapping or a list, 4 FILE cannot be read.\n";

struct opts {
	const char *key;
	const char *file;	/* NULL: $KUSCIA_ROOT/etc/conf/kuscia.yaml */
	const char *def;	/* --default, or NULL */
};

static int
conf_get(const struct opts *o)
{
	char *v = NULL, *path;
	size_t len = 0;
	int rc;

	if ((rc = kc_conf_get_file(o->file, o->key, &v, &len)) != KC_OK)
		return rc;
	if (v != NULL) {
		fwrite(v, 1, len, stdout);
		putchar('\n');
	} else if (o->def != NULL) {
		printf("%s\n", o->def);
	} else {
		path = o->file != NULL ? kc_xstrdup(o->file) : kc_root_path("etc/conf/kuscia.yaml");
		rc = kc_err(KC_EFAIL, "'%s' is not set in '%s'", o->key, path);
		free(path);
	}
	kc_wipe_free(v, len + 1);
	return rc;
}

static int
key_valid(const char *k)
{
	const char *p;

	if (*k == '\0' || *k == '.')
		return 0;
	for (p = k; *p != '\0'; p++)
		if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
			return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"file", required_argument, NULL, 'f'},
		{"default", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	int c;

	kc_prog = "kc-conf";
	if (argc > 1 && strcmp(argv[1], "--complete") == 0)	/* share/kc/completions */
		return kc_complete(NULL, longopts, argc - 2, argv + 2);
	while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1)
		switch (c) {
		case 'h': kc_usage(usage_text, KC_OK);
		case 'V': printf("kc-conf %s\n", KC_VERSION); return kc_exit_with(KC_OK);
		case 'f':
			if (o.file != NULL) {
				kc_err(KC_EUSAGE, "-f is given twice");
				kc_usage(usage_text, KC_EUSAGE);
			}
			o.file = optarg;
			break;
		case 'D':
			if (o.def != NULL) {
				kc_err(KC_EUSAGE, "--default is given twice");
				kc_usage(usage_text, KC_EUSAGE);
			}
			o.def = optarg;
			break;
		default: kc_usage(usage_text, KC_EUSAGE);
		}
	if (argc - optind != 1) {
		kc_err(KC_EUSAGE, argc - optind < 1 ? "missing KEY" : "too many operands");
		kc_usage(usage_text, KC_EUSAGE);
	}
	o.key = argv[optind];
	if (!key_valid(o.key)) {
		kc_err(KC_EUSAGE, "bad KEY '%s': use a dotted path such as kusciaAPI.HTTPPort",
		    o.key);
		kc_usage(usage_text, KC_EUSAGE);
	}
	if (o.file != NULL && *o.file == '\0') {
		kc_err(KC_EUSAGE, "-f needs a file name");
		kc_usage(usage_text, KC_EUSAGE);
	}
	return kc_exit_with(conf_get(&o));
}
