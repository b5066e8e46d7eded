/* kc-route-check - endpoints, probes, route status and the diagnosis of a whole route */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kc.h"

static const char usage_text[] =
	"Usage: kc route-check NAME [--kubeconfig FILE] [--timeout S] [-o text|json]\n"
	"       kc route-check status NAME [--wait DURATION] [--kubeconfig FILE] [-o text|json]\n"
	"       kc route-check probe URL [--expect PEER] [--from SELF] [--timeout S] [-k]\n"
	"                                [-o text|json]\n"
	"       kc route-check endpoint URL [-o text|json]\n"
	"       kc route-check list [--kubeconfig FILE] [-o text|json]\n"
	"\n"
	"Check peer endpoints and the routes between Kuscia nodes.\n"
	"\n"
	"NAME is a ClusterDomainRoute name: source and destination come from its spec; if it does\n"
	"not exist, the source is this node's domainID and the destination the rest after 'SRC-'.\n"
	"\n"
	"With no subcommand, diagnose the route NAME, in order: the route exists; our Domain for\n"
	"the peer exists, is a partner and has a certificate; that certificate is the peer's (CN,\n"
	"RSA) and the one in var/certs/PEER.domain.crt; our domain.crt matches domain.key; the\n"
	"endpoint answers as the peer's Kuscia gateway; the peer has registered us (the read-only\n"
	"GET /handshake probe); the route is Ready. One line per check,\n"
	"'STATUS CHECK: finding[ -- fix]' with STATUS ok, warn, FAIL or skip, and with -o json\n"
	"one document: {\"route\",\"source\",\"destination\",\"checks\":[{\"status\",\"check\",\n"
	"\"finding\",\"fix\"}],\"firstFailure\",\"ok\"}. Like status and probe, it prints its\n"
	"result whatever the outcome; the exit status tells it too.\n"
	"\n"
	"Subcommands:\n"
	"  status NAME    the route's Ready condition and reason explained in one line with the\n"
	"                 next step, its token revisions and expiry. --wait polls until Ready.\n"
	"  probe URL      DNS, TCP connect, TLS, HTTP: is a Kuscia gateway answering at URL (a\n"
	"                 401 from server kuscia-gateway naming its domain)? One line per stage.\n"
	"                 --expect PEER verifies TLS against var/certs/PEER.domain.crt, the\n"
	"                 certificate's CN PEER_ENVOY_EXTERNAL and the domain in the answer;\n"
	"                 --from SELF asks (GET /handshake, never a POST) whether PEER has\n"
	"                 registered SELF.\n"
	"  list           every ClusterDomainRoute, one line each: 'NAME SOURCE DESTINATION\n"
	"                 READY REASON ENDPOINT' ('-' when empty); -o json {\"routes\":[...]},\n"
	"                 each as status -o json prints it.\n"
	"  endpoint URL   validate and split an endpoint exactly as join_to_host.sh does:\n"
	"                 scheme http or https (any case; none means http), host (IPv4 or\n"
	"                 host name), port 1..65535 in decimal without a leading zero\n"
	"                 (default 443 for https, 80 for http), path prefix (default /).\n"
	"                 Prints 'HOST PORT PATH ISTLS', or with\n"
	"                 -o json {\"host\":..,\"port\":N,\"pathPrefix\":..,\"isTLS\":bool}.\n"
	"\n"
	"Options:\n"
	"      --expect PEER       probe: the domain that must answer\n"
	"      --from SELF         probe: our domain, for the handshake probe\n"
	"  -k, --insecure          probe: do not verify the certificate (a warning)\n"
	"      --timeout S         probe and diagnosis: per request, default 5 (30s, 500ms ...)\n"
	"      --wait DURATION     status: wait until Ready (30s, 2m or seconds)\n"
	"      --kubeconfig FILE   else $KUBECONFIG, else $KUSCIA_ROOT/etc/kubeconfig\n"
	"  -o, --output FORMAT     text (default) or json\n"
	"  -h, --help              show this help\n"
	"      --version           print the version\n"
	"\n"
	"Exit status: 0 yes (Ready, a gateway, no FAIL), 1 no (not Ready, no such route, the peer\n"
	"has not registered us, a FAIL), 2 bad command line, 3 invalid endpoint, 4 no kubeconfig\n"
	"or node folder, 5 unreachable or no answer in time, 6 the server answered an error,\n"
	"7 TLS, 8 not a Kuscia gateway or the wrong one, 124 --wait ran out.\n";

enum { O_OUTPUT, O_EXPECT, O_FROM, O_INSECURE, O_TIMEOUT, O_WAIT, O_KUBECONFIG, O_EXPLAIN };
#define BIT(o) (1u << (o))

struct opts {
	const char *output, *expect, *from, *kubeconfig, *explain;
	long timeout_ms, wait_ms;
	int insecure, json;
	unsigned seen;
};

/* ---- endpoint ------------------------------------------------------------------------ */

static int
cmd_endpoint(const struct opts *o, const char *url)
{
	struct kc_endpoint ep;
	int rc;

	if ((rc = kc_endpoint_parse(url, &ep)) != KC_OK)
		return rc;
	if (o->json)
		rc = kc_json_print(json_pack("{s:s, s:i, s:s, s:b}", "host", ep.host, "port",
		    ep.port, "pathPrefix", ep.path, "isTLS", ep.tls));
	else if (printf("%s %d %s %s\n", ep.host, ep.port, ep.path, ep.tls ? "true" : "false") < 0)
		rc = KC_ESYS;
	kc_endpoint_free(&ep);
	return rc;
}

/* ---- probe --------------------------------------------------------------------------- */

static int
cmd_probe(const struct opts *o, const char *url)
{
	struct kc_probe_opts po = {
		.url = url, .expect = o->expect, .from = o->from, .timeout_ms = o->timeout_ms,
		.insecure = o->insecure,
	};
	struct kc_probe p;
	int rc = kc_probe_run(&po, &p), i, prc = KC_OK;

	if (rc == KC_EINPUT && p.url == NULL)	/* a bad URL: said already */
		goto out;
	if (o->json)
		prc = kc_json_print(kc_probe_json(&p));
	else
		for (i = 0; i < KC_PROBE_STAGES && prc == KC_OK; i++)
			prc = kc_check_print(&p.stage[i]);
	if (prc != KC_OK)
		rc = prc;
out:
	kc_probe_free(&p);
	return rc;
}

/* ---- status -------------------------------------------------------------------------- */

/* our domainID from kuscia.yaml, or NULL when there is none (quietly) */
static char *
self_id(void)
{
	char *path = kc_root_path("etc/conf/kuscia.yaml"), *v = NULL;

	if (!kc_path_exists(path) || kc_conf_get("domainID", &v) != KC_OK)
		v = NULL;
	free(path);
	return v;
}

static int
tokens_print(const char *label, const struct kc_route_tokens *t)
{
	if (t->n == 0)
		return printf("%s: none\n", label);
	return printf("%s: revision %lld, %s, expires %s\n", label, t->revision,
	    t->ready ? "ready" : "not ready", t->expires != NULL ? t->expires : "-");
}

static int
status_print(const struct opts *o, const struct kc_route *r, const char *self)
{
	char *text = NULL, *fix = NULL;
	const char *dst;
	int rc = KC_OK;

	if (!r->exists) {
		dst = kc_route_dest(r->name, self);
		text = kc_xasprintf("no ClusterDomainRoute '%s'", r->name);
		fix = kc_xasprintf("run: join_to_host.sh %s %s https://HOST:PORT (%s's public "
		    "gateway)", self != NULL ? self : "SELF", dst != NULL ? dst : "PEER",
		    dst != NULL ? dst : "the peer");
	} else
		kc_route_advice(r, self, &text, &fix);
	if (o->json) {
		rc = kc_json_print(kc_route_json(r, text, fix));
		goto out;
	}
	if (r->exists)
		printf("route: %s (%s -> %s, %s)\n", r->name, r->source != NULL ? r->source : "?",
		    r->destination != NULL ? r->destination : "?",
		    r->endpoint != NULL ? r->endpoint : "no endpoint");
	else
		printf("route: %s (does not exist)\n", r->name);
	printf("ready: %s\n", r->ready ? "True" : "False");
	printf("reason: %s\n", r->reason != NULL ? r->reason : "-");
	printf("explanation: %s\n", text);
	if (fix != NULL)
		printf("fix: %s\n", fix);
	if (r->exists) {
		tokens_print("sourceTokens", &r->src);
		tokens_print("destinationTokens", &r->dst);
	}
	if (ferror(stdout))
		rc = KC_ESYS;
out:
	free(text);
	free(fix);
	return rc;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* --wait: a progress line on a terminal, else one line per change of state */
static void
progress(const struct kc_route *r, char **last, long elapsed, int tty, int *width)
{
	char *now = kc_xasprintf("%s%s%s%s", kc_route_state(r), r->reason != NULL ? " (" : "",
	    r->reason != NULL ? r->reason : "", r->reason != NULL ? ")" : "");
	int changed = *last == NULL || strcmp(*last, now) != 0, n;

	if (tty) {
		n = fprintf(stderr, "\r%s: waiting for %s: %s, %ld s", kc_prog, r->name, now,
		    elapsed / 1000);
		if (n > 0 && n < *width)
			fprintf(stderr, "%*s", *width - n, "");
		if (n > *width)
			*width = n;
	} else if (changed)
		fprintf(stderr, "%s: %s: %s after %.1f s\n", kc_prog, r->name, now,
		    (double)elapsed / 1000.0);
	free(*last);
	*last = now;
}

static int
cmd_explain(const struct opts *o)
{
	struct kc_route r = {.name = (char *)"SELF-PEER", .source = (char *)"SELF",
			     .destination = (char *)"PEER", .exists = 1};
	char *text, *fix;
	int known, rc;

	if (strcmp(o->explain, "none") != 0) {
		r.has_ready = 1;
		r.ready = strcmp(o->explain, "True") == 0;
		r.reason = r.ready ? NULL : (char *)o->explain;
	}
	known = kc_route_advice(&r, "SELF", &text, &fix) || !r.has_ready;
	if (o->json)
		rc = kc_json_print(json_pack("{s:s, s:b, s:s, s:s?}", "reason", o->explain, "known",
		    known, "explanation", text, "fix", fix));
	else
		rc = printf("%s: %s%s%s\n", o->explain, text, fix != NULL ? " -- " : "",
		    fix != NULL ? fix : "") < 0 ? KC_ESYS : KC_OK;
	free(text);
	free(fix);
	return rc != KC_OK ? rc : known ? KC_OK : KC_EFAIL;
}

static int
api_open(const struct opts *o, struct kc_kubeconfig *kc, struct kc_http **h)
{
	int rc;

	if ((rc = kc_kubeconfig_load(o->kubeconfig, kc)) != KC_OK)
		return rc;
	return kc_http_from_kubeconfig(kc, o->timeout_ms, h);
}

static int
cmd_status(const struct opts *o, const char *name)
{
	struct kc_kubeconfig kc = {0};
	struct kc_http *h = NULL;
	struct kc_route r = {0};
	char *self = NULL, *last = NULL;
	long start = now_ms(), left;
	int rc, tty = isatty(STDERR_FILENO), width = 0;

	if (!kc_object_name_valid(name))
		return kc_err(KC_EINPUT, "invalid route name '%s': a ClusterDomainRoute name is "
		    "SRC-DEST, lower case", name);
	if ((rc = api_open(o, &kc, &h)) != KC_OK)
		goto out;
	for (;;) {
		if ((rc = kc_route_read(h, kc.server, name, &r)) != KC_OK)
			goto out;
		if (r.ready || !(o->seen & BIT(O_WAIT)))
			break;
		left = o->wait_ms - (now_ms() - start);
		progress(&r, &last, now_ms() - start, tty, &width);
		if (left <= 0) {
			rc = KC_ETIMEOUT;
			break;
		}
		sleep_ms(left < 200 ? left : 200);
	}
	if (tty && width > 0)
		fputc('\n', stderr);
	self = self_id();
	if (rc == KC_ETIMEOUT)
		kc_err(rc, "route '%s' is not Ready after %.1f s: %s%s%s", name,
		    (double)o->wait_ms / 1000.0, kc_route_state(&r), r.reason != NULL ? ", " : "",
		    r.reason != NULL ? r.reason : "");
	else
		rc = r.ready ? KC_OK : KC_EFAIL;
	if ((left = status_print(o, &r, self)) != KC_OK)
		rc = (int)left;
out:
	free(last);
	free(self);
	kc_route_free(&r);
	kc_http_free(h);
	kc_kubeconfig_free(&kc);
	return rc;
}

/* ---- list ---------------------------------------------------------------------------- */

static int
list_one(const struct opts *o, json_t *item, const char *self, json_t *out)
{
	struct kc_route r = {0};
	char *text = NULL, *fix = NULL;
	int rc = KC_OK;

	kc_route_from_json(item, &r);
	if (o->json) {
		kc_route_advice(&r, self, &text, &fix);
		json_array_append_new(out, kc_route_json(&r, text, fix));
	} else if (printf("%s %s %s %s %s %s\n", r.name != NULL ? r.name : "-",
	    r.source != NULL ? r.source : "-", r.destination != NULL ? r.destination : "-",
	    r.has_ready ? (r.ready ? "True" : "False") : "-", r.reason != NULL ? r.reason : "-",
	    r.endpoint != NULL ? r.endpoint : "-") < 0)
		rc = KC_ESYS;
	free(text);
	free(fix);
	kc_route_free(&r);
	return rc;
}

static int
cmd_list(const struct opts *o)
{
	const struct kc_kind *k = kc_kind_find("kuscia.secretflow/v1alpha1", "ClusterDomainRoute");
	struct kc_kubeconfig kc = {0};
	struct kc_http *h = NULL;
	char *path = kc_kind_path(k, NULL, NULL), *self = self_id();
	json_t *doc = NULL, *items, *out = json_array();
	size_t i;
	int rc;

	if ((rc = api_open(o, &kc, &h)) != KC_OK || (rc = kc_api_get(h, kc.server, path, &doc)) !=
	    KC_OK)
		goto out;
	items = json_object_get(doc, "items");
	for (i = 0; i < json_array_size(items) && rc == KC_OK; i++)
		rc = list_one(o, json_array_get(items, i), self, out);
	if (rc == KC_OK && o->json)
		rc = kc_json_print(json_pack("{s:O}", "routes", out));
out:
	json_decref(out);
	json_decref(doc);
	kc_http_free(h);
	kc_kubeconfig_free(&kc);
	free(path);
	free(self);
	return rc;
}

/* ---- the diagnosis ------------------------------------------------------------------- */

static int
cmd_diagnose(const struct opts *o, const char *name)
{
	struct kc_kubeconfig kc = {0};
	struct kc_http *h = NULL;
	struct kc_diag d;
	char *self = NULL, *conf = kc_root_path("etc/conf/kuscia.yaml");
	int rc, i, prc = KC_OK;

	memset(&d, 0, sizeof d);
	if (!kc_object_name_valid(name)) {
		rc = kc_err(KC_EINPUT, "invalid route name '%s': a ClusterDomainRoute name is "
		    "SRC-DEST, lower case", name);
		goto out;
	}
	if (!kc_path_exists(conf)) {
		rc = kc_err(KC_ESYS, "'%s' is not a Kuscia node folder: no etc/conf/kuscia.yaml -- "
		    "set KUSCIA_ROOT", kc_root());
		goto out;
	}
	if (kc_conf_get("domainID", &self) != KC_OK || self == NULL) {
		rc = kc_err(KC_ESYS, "no domainID in '%s'", conf);
		goto out;
	}
	if (kc_kubeconfig_load(o->kubeconfig, &kc) != KC_OK ||
	    kc_http_from_kubeconfig(&kc, o->timeout_ms, &h) != KC_OK) {
		rc = KC_ESYS;
		goto out;
	}
	rc = kc_diag_run(&d, h, kc.server, self, name, o->timeout_ms);
	if (o->json)
		prc = kc_json_print(kc_diag_json(&d));
	else
		for (i = 0; i < KC_DIAG_CHECKS && prc == KC_OK; i++)
			prc = kc_check_print(&d.c[i]);
	if (prc != KC_OK)
		rc = prc;
out:
	kc_diag_free(&d);
	kc_http_free(h);
	kc_kubeconfig_free(&kc);
	free(self);
	free(conf);
	return rc;
}

/* ---- main ---------------------------------------------------------------------------- */

static const struct sub {
	const char *name;
	unsigned allowed;
	int (*run)(const struct opts *, const char *);
} subs[] = {
	{"endpoint", BIT(O_OUTPUT), cmd_endpoint},
	{"probe", BIT(O_OUTPUT) | BIT(O_EXPECT) | BIT(O_FROM) | BIT(O_INSECURE) | BIT(O_TIMEOUT),
	 cmd_probe},
	{"list", BIT(O_OUTPUT) | BIT(O_KUBECONFIG) | BIT(O_TIMEOUT), NULL},
	{"status", BIT(O_OUTPUT) | BIT(O_WAIT) | BIT(O_KUBECONFIG) | BIT(O_TIMEOUT) |
	 BIT(O_EXPLAIN), cmd_status},
	{NULL, BIT(O_OUTPUT) | BIT(O_KUBECONFIG) | BIT(O_TIMEOUT), cmd_diagnose},
};

#define BAD(...) (kc_err(KC_EUSAGE, __VA_ARGS__), kc_usage(usage_text, KC_EUSAGE))

/* an invalid domain ID is bad input (3), as everywhere in kc */
static void
domain_arg(const char *opt, const char *v)
{
	const char *why = kc_domain_id_problem(v);

	if (why != NULL)
		kc_die(KC_EINPUT, "invalid %s '%s': %s", opt, v, why);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"expect", required_argument, NULL, 'E'},
		{"from", required_argument, NULL, 'F'},
		{"insecure", no_argument, NULL, 'k'},
		{"timeout", required_argument, NULL, 'T'},
		{"wait", required_argument, NULL, 'W'},
		{"kubeconfig", required_argument, NULL, 'C'},
		{"explain", required_argument, NULL, 'X'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static const char codes[] = "oEFkTWCX";
	static const char *const names[] = {"-o", "--expect", "--from", "-k", "--timeout",
					    "--wait", "--kubeconfig", "--explain"};
	struct opts o = {.output = "text", .timeout_ms = 5000};
	const struct sub *s;
	const char *sub, *p;
	unsigned bit;
	int c;

	kc_prog = "kc-route-check";
	if (argc > 1 && strcmp(argv[1], "--complete") == 0)	/* share/kc/completions */
		return kc_complete("status probe endpoint list", longopts, argc - 2, argv + 2);
	while ((c = getopt_long(argc, argv, "ho:k", longopts, NULL)) != -1) {
		if (c == 'h')
			kc_usage(usage_text, KC_OK);
		if (c == 'V') {
			printf("kc-route-check %s\n", KC_VERSION);
			return kc_exit_with(KC_OK);
		}
		if (c == 0 || (p = strchr(codes, c)) == NULL)
			kc_usage(usage_text, KC_EUSAGE);
		bit = BIT(p - codes);
		if (o.seen & bit)
			BAD("option %s given twice", names[p - codes]);
		o.seen |= bit;
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'E': domain_arg("--expect", optarg), o.expect = optarg; break;
		case 'F': domain_arg("--from", optarg), o.from = optarg; break;
		case 'k': o.insecure = 1; break;
		case 'C': o.kubeconfig = optarg; break;
		case 'X': o.explain = optarg; break;
		case 'T':
			if (kc_duration_ms(optarg, &o.timeout_ms) != KC_OK || o.timeout_ms < 1)
				BAD("invalid --timeout '%s': give seconds, e.g. 5, 30s, 500ms",
				    optarg);
			break;
		case 'W':
			if (kc_duration_ms(optarg, &o.wait_ms) != KC_OK)
				BAD("invalid --wait '%s': give a duration, e.g. 30s, 2m, 90",
				    optarg);
			break;
		}
	}
	if (!kc_output_valid(o.output))
		kc_usage(usage_text, KC_EUSAGE);
	o.json = strcmp(o.output, "json") == 0;
	if (optind >= argc)
		BAD("missing subcommand or route NAME");
	sub = argv[optind];
	for (s = subs; s->name != NULL && strcmp(s->name, sub) != 0; s++)
		;
	if (s->name != NULL)
		optind++;
	else if (strchr(sub, '-') == NULL)	/* a route is always SRC-DEST */
		BAD("unknown subcommand '%s' (a route NAME is SRC-DEST)", sub);
	for (bit = 0; bit < sizeof codes - 1; bit++)
		if ((o.seen & BIT(bit)) && !(s->allowed & BIT(bit)))
			BAD("option %s does not apply to %s", names[bit], s->name != NULL ? s->name
			    : "the diagnosis");
	if (s->name != NULL && s->run == NULL) {	/* list */
		if (argc != optind)
			BAD("list takes no operand");
		return kc_exit_with(cmd_list(&o));
	}
	if (s->run == cmd_status && o.explain != NULL) {
		if (argc != optind)
			BAD("--explain takes no operand");
		if (*o.explain == '\0' || o.explain[strspn(o.explain, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_.-")] != '\0')
			BAD("invalid reason '%s': give a Ready reason word, e.g. "
			    "DestinationIsNotAuthorized, True or none", o.explain);
		return kc_exit_with(cmd_explain(&o));
	}
	if (argc - optind != 1)
		BAD("%s", argc - optind > 1 ? "too many operands" : s->run == cmd_endpoint ||
		    s->run == cmd_probe ? "missing URL" : "missing route NAME");
	return kc_exit_with(s->run(&o, argv[optind]));
}
