/* kc-route-check - endpoints, probes and route status */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

static const char usage_text[] =
	"Usage: kc route-check endpoint URL [-o text|json]\n"
	"\n"
	"Check peer endpoints and the routes between Kuscia nodes.\n"
	"\n"
	"Subcommands:\n"
	"  endpoint URL   validate and split an endpoint exactly as join_to_host.sh does:\n"
	"                 scheme http or https (any case; none means http), host (IPv4 or\n"
	"                 host name), port 1..65535 (default 443 for https, 80 for http),\n"
	"                 path prefix (default /). Prints 'HOST PORT PATH ISTLS', or with\n"
	"                 -o json {\"host\":..,\"port\":N,\"pathPrefix\":..,\"isTLS\":bool}.\n"
	"\n"
	"Options:\n"
	"  -o, --output FORMAT   text (default) or json\n"
	"  -h, --help            show this help\n"
	"      --version         print the version\n"
	"\n"
	"Exit status: 0 valid, 2 bad command line, 3 invalid endpoint.\n";

struct opts {
	const char *output;
};

static int
cmd_endpoint(const struct opts *o, const char *url)
{
	struct kc_endpoint ep;
	int rc;

	if ((rc = kc_endpoint_parse(url, &ep)) != KC_OK)
		return rc;
	if (strcmp(o->output, "json") == 0)
		rc = kc_json_print(json_pack("{s:s, s:i, s:s, s:b}", "host", ep.host, "port",
		    ep.port, "pathPrefix", ep.path, "isTLS", ep.tls));
	else if (printf("%s %d %s %s\n", ep.host, ep.port, ep.path, ep.tls ? "true" : "false") < 0)
		rc = KC_ESYS;
	kc_endpoint_free(&ep);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.output = "text"};
	const char *sub;
	int c;

	kc_prog = "kc-route-check";
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1)
		switch (c) {
		case 'h': kc_usage(usage_text, KC_OK);
		case 'V': printf("kc-route-check %s\n", KC_VERSION); return kc_exit_with(KC_OK);
		case 'o': o.output = optarg; break;
		default: kc_usage(usage_text, KC_EUSAGE);
		}
	if (optind >= argc) {
		kc_err(KC_EUSAGE, "missing subcommand");
		kc_usage(usage_text, KC_EUSAGE);
	}
	sub = argv[optind++];
	if (!kc_output_valid(o.output))
		kc_usage(usage_text, KC_EUSAGE);
	if (strcmp(sub, "endpoint") == 0) {
		if (argc - optind != 1) {
			kc_err(KC_EUSAGE, argc - optind < 1 ? "missing URL" : "too many operands");
			kc_usage(usage_text, KC_EUSAGE);
		}
		return kc_exit_with(cmd_endpoint(&o, argv[optind]));
	}
	kc_err(KC_EUSAGE, "unknown subcommand '%s'", sub);
	kc_usage(usage_text, KC_EUSAGE);
}
