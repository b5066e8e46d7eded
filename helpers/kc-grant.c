/* kc-grant - DomainDataGrants through the node's KusciaAPI (spec/kusciaapi.md section 4.2) */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

static const char usage_text[] =
	"Usage: kc grant create|query|list|delete [OPTIONS] [ID...]\n"
	"\n"
	"Grant a node's DomainData to other domains through its KusciaAPI; query, list, delete.\n"
	"\n"
	"  create --data ID --to GRANTEE [--id GRANT_ID] [--desc K=V]... [--if-absent]\n"
	"                 grant DomainData ID of the domain to GRANTEE; prints\n"
	"                 'domaindatagrant GRANT_ID created'. With --id an existing grant\n"
	"                 GRANT_ID of the same DomainData and grantee is success\n"
	"                 ('unchanged'), one that differs an error. With --if-absent any\n"
	"                 existing grant of ID to GRANTEE is reused ('unchanged') instead\n"
	"                 of creating another.\n"
	"  query GRANT_ID...  print the grants (several: one batchQuery)\n"
	"  list [--data ID] [--to GRANTEE]  print the domain's grants, filtered\n"
	"  delete GRANT_ID...  delete the grants; prints 'domaindatagrant GRANT_ID deleted'\n"
	"\n"
	"Text output is one line per grant: GRANT_ID DOMAINDATA_ID GRANTEE PHASE. -o json prints\n"
	"the KusciaAPI data object (query: the grant, several IDs or list: an array of them).\n"
	"KusciaAPI keeps no description on query: --desc is stored, never compared.\n"
	"\n"
	"Options:\n"
	"  -d, --domain D       the owner domain (default: kuscia.yaml's domainID)\n"
	"      --endpoint URL   the KusciaAPI (default $KC_KUSCIAAPI, else 127.0.0.1 at\n"
	"                       kuscia.yaml's kusciaAPI.HTTPPort, 8082; https unless protocol\n"
	"                       is NOTLS)\n"
	"  -k, --insecure       do not verify the server's certificate against var/certs/ca.crt\n"
	"      --timeout SECONDS  for the whole run (default 30, or $KC_TIMEOUT)\n"
	"      --dry-run        print the request body as one line of JSON; contact nothing\n"
	"                       (also when KC_DRY_RUN is set and not 0)\n"
	"  -o, --output FORMAT  text (default) or json\n"
	"  -h, --help           show this help\n"
	"      --version        print the version\n"
	"\n"
	"The token is read from $KUSCIA_ROOT/var/certs/token and sent as the Token header\n"
	"(never over plain http); the client certificate is var/certs/kusciaapi-client.crt/.key\n"
	"when both exist, else the guide's ca.crt/ca.key.\n"
	"Exit status: 0 done, 1 no such grant, 2 bad command line, 3 bad ID or input, 4 local\n"
	"files, 5 KusciaAPI unreachable, 6 KusciaAPI error (bad token, status.code != 0),\n"
	"7 TLS failed.\n";

#define GRANT_PATH "/api/v1/domaindatagrant/"
#define CODE_NOT_EXISTS 11705

enum cmd { CREATE, QUERY, LIST, DELETE };

struct opts {
	enum cmd cmd;
	const char *domain, *data, *to, *id, *endpoint, *output;
	json_t *desc;	/* --desc K=V, in order */
	char **ids;	/* operands */
	int nids, insecure, dry_run, if_absent, json;
	long timeout_ms;
};

enum { O_DOMAIN = 1, O_DATA = 2, O_TO = 4, O_ID = 8, O_ENDPOINT = 16, O_INSECURE = 32,
	O_TIMEOUT = 64, O_DRY = 128, O_OUTPUT = 256, O_ABSENT = 512, O_DESC = 1024 };

#define usage_error(...) do {				\
		kc_err(KC_EUSAGE, __VA_ARGS__);		\
		kc_usage(usage_text, KC_EUSAGE);	\
	} while (0)

/* ---- requests ----------------------------------------------------------------------------- */

static json_t *
key_body(const char *domain, const char *id)
{
	return json_pack("{s:s, s:s}", "domain_id", domain, "domaindatagrant_id", id);
}

/* the guide's key order: grant_domain, description, domain_id, domaindata_id */
static json_t *
create_body(const struct opts *o)
{
	json_t *b = json_pack("{s:s}", "grant_domain", o->to);

	if (b == NULL)
		return NULL;
	if (json_object_size(o->desc) > 0)
		json_object_set(b, "description", o->desc);
	json_object_set_new(b, "domain_id", json_string(o->domain));
	json_object_set_new(b, "domaindata_id", json_string(o->data));
	if (o->id != NULL)
		json_object_set_new(b, "domaindatagrant_id", json_string(o->id));
	return b;
}

static json_t *
list_body(const struct opts *o)
{
	json_t *d = json_pack("{s:s}", "domain_id", o->domain);

	if (d != NULL && o->to != NULL)
		json_object_set_new(d, "grant_domain", json_string(o->to));
	return json_pack("{s:o}", "data", d);
}

static json_t *
batch_body(const struct opts *o)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < o->nids && a != NULL; i++)
		json_array_append_new(a, key_body(o->domain, o->ids[i]));
	return json_pack("{s:o}", "data", a);
}

static json_t *
main_body(const struct opts *o)
{
	switch (o->cmd) {
	case CREATE: return create_body(o);
	case LIST: return list_body(o);
	case QUERY: return o->nids > 1 ? batch_body(o) : key_body(o->domain, o->ids[0]);
	default: return key_body(o->domain, o->ids[0]);	/* DELETE: one per ID */
	}
}

/* POST, then status.code: 0 KC_OK; not-exists nf_code (if not 0, printed unless what is NULL)
 * or KC_EAPI, message printed */
static int
call(struct kc_kapi *k, const char *op, json_t *req, int nf_code, const char *what,
    json_t **env)
{
	char *path = kc_xasprintf(GRANT_PATH "%s", op);
	long code;
	int rc;

	if (req == NULL)
		kc_die(KC_ESYS, "out of memory building JSON");
	rc = kc_kapi_post(k, path, req, env);
	json_decref(req);
	free(path);
	if (rc != KC_OK)
		return rc;
	if ((code = kc_kapi_code(*env, NULL)) == 0)
		return KC_OK;
	if (code == CODE_NOT_EXISTS && nf_code != 0)
		rc = what != NULL ? kc_kapi_fail(*env, nf_code, what) : nf_code;
	else
		rc = kc_kapi_fail(*env, KC_EAPI, what != NULL ? what : "KusciaAPI request failed");
	json_decref(*env);
	*env = NULL;
	return rc;
}

/* ---- output ------------------------------------------------------------------------------- */

/* the answers are read (and grants printed) by lib/grant.c: kc_grant_of, kc_grant_print ... */

static int
print_done(const struct opts *o, const char *id, const char *word)
{
	if (o->json)
		return kc_json_print(json_pack("{s:s}", "domaindatagrant_id", id));
	printf("domaindatagrant %s %s\n", id, word);
	return KC_OK;
}

/* ---- subcommands -------------------------------------------------------------------------- */

/* with --id: an existing grant is success when it grants the same data to the same domain */
static int
compare_existing(const struct opts *o, const json_t *view)
{
	char *diff = NULL;
	int rc;

	if ((rc = kc_grant_diff(view, o->domain, o->data, o->to, &diff)) != KC_OK)
		return rc;
	if (diff == NULL)
		return print_done(o, o->id, "unchanged");
	rc = kc_err(KC_EAPI, "grant '%s' of domain '%s' already exists and differs: %s -- choose "
	    "another --id, or delete it first", o->id, o->domain, diff);
	free(diff);
	return rc;
}

/* create; with --id, a grant of that ID made since our query (11704, or 11700 "is exist")
 * gives KC_OK and *env NULL */
static int
create_call(struct kc_kapi *k, const struct opts *o, const char *what, json_t **env)
{
	json_t *req = create_body(o);
	const char *m;
	long code;
	int rc;

	if (req == NULL)
		kc_die(KC_ESYS, "out of memory building JSON");
	rc = kc_kapi_post(k, GRANT_PATH "create", req, env);
	json_decref(req);
	if (rc != KC_OK || (code = kc_kapi_code(*env, &m)) == 0)
		return rc;
	if (o->id != NULL && (code == 11704 || (code == 11700 && m != NULL &&
	    strstr(m, "is exist") != NULL))) {
		json_decref(*env);
		*env = NULL;
		return KC_OK;
	}
	if (code == 11100 && m != NULL && strncmp(m, "domaindata [", 12) == 0 &&
	    strstr(m, "] not exists") != NULL) {
		/* the DomainData is missing: say how to make it (the demo tables have a script) */
		const char *demo = strcmp(o->data, "alice-table") == 0 ? "alice" :
		    strcmp(o->data, "bob-table") == 0 ? "bob" : NULL;

		if (demo != NULL)
			rc = kc_err(KC_EAPI, "%s: %s (KusciaAPI code %ld) -- create it first: "
			    "create_domaindata_%s_table.sh %s", what, m, code, demo, o->domain);
		else
			rc = kc_err(KC_EAPI, "%s: %s (KusciaAPI code %ld) -- create DomainData '%s' "
			    "in domain '%s' first", what, m, code, o->data, o->domain);
	} else
		rc = kc_kapi_fail(*env, KC_EAPI, what);
	json_decref(*env);
	*env = NULL;
	return rc;
}

static int
grant_create(const struct opts *o, struct kc_kapi *k)
{
	json_t *env = NULL;
	const json_t *found;
	const char *id;
	char *what;
	int rc;

	if (o->id != NULL) {
		rc = call(k, "query", key_body(o->domain, o->id), KC_EFAIL, NULL, &env);
		if (rc == KC_OK) {
			rc = compare_existing(o, json_object_get(env, "data"));
			json_decref(env);
			return rc;
		}
		if (rc != KC_EFAIL)
			return rc;
		/* not there yet: create it */
	} else if (o->if_absent) {
		what = kc_xasprintf("cannot list the grants of domain '%s'", o->domain);
		rc = call(k, "list", list_body(o), 0, what, &env);
		free(what);
		if (rc != KC_OK)
			return rc;
		if ((found = kc_grant_find(env, o->data, o->to)) != NULL) {
			struct kc_grant g;

			kc_grant_of(found, &g);
			rc = print_done(o, g.id, "unchanged");
			json_decref(env);
			return rc;
		}
		json_decref(env);
	}
	what = kc_xasprintf("cannot grant '%s' of domain '%s' to '%s'", o->data, o->domain, o->to);
	rc = create_call(k, o, what, &env);
	free(what);
	if (rc != KC_OK)
		return rc;
	if (env == NULL) {	/* --id: made meanwhile by another run: compare it */
		what = kc_xasprintf("cannot query grant '%s' of domain '%s'", o->id, o->domain);
		rc = call(k, "query", key_body(o->domain, o->id), 0, what, &env);
		free(what);
		if (rc == KC_OK)
			rc = compare_existing(o, json_object_get(env, "data"));
		json_decref(env);
		return rc;
	}
	if ((id = kc_grant_created(env)) == NULL)
		rc = kc_err(KC_EAPI, "the KusciaAPI created a grant but did not name it");
	else
		rc = print_done(o, id, "created");
	json_decref(env);
	return rc;
}

/* batchQuery: every item found, else each missing one named (1) or the error (6) */
static int
grant_batch(const struct opts *o, struct kc_kapi *k)
{
	json_t *env = NULL;
	json_t *req = batch_body(o);
	int rc;

	if (req == NULL)
		kc_die(KC_ESYS, "out of memory building JSON");
	rc = kc_kapi_post(k, GRANT_PATH "batchQuery", req, &env);
	json_decref(req);
	if (rc != KC_OK)
		return rc;
	if (kc_kapi_code(env, NULL) == 0)
		rc = json_is_array(json_object_get(env, "data")) ?
		    kc_grant_print(json_object_get(env, "data"), o->json) :
		    kc_err(KC_EAPI, "the KusciaAPI's batchQuery answered no list");
	else
		rc = kc_grant_batch_fail(env);
	json_decref(env);
	return rc;
}

static int
grant_query(const struct opts *o, struct kc_kapi *k)
{
	struct kc_grant g;
	json_t *env = NULL, *one;
	char *what;
	int rc;

	if (o->nids > 1)
		return grant_batch(o, k);
	what = kc_xasprintf("no grant '%s' in domain '%s'", o->ids[0], o->domain);
	rc = call(k, "query", key_body(o->domain, o->ids[0]), KC_EFAIL, what, &env);
	free(what);
	if (rc != KC_OK)
		return rc;
	/* text and JSON alike: an answer without a readable grant is an error, never silence */
	rc = kc_grant_of(json_object_get(env, "data"), &g);
	if (rc == KC_OK && o->json) {
		rc = kc_json_print(json_incref(json_object_get(env, "data")));
	} else if (rc == KC_OK) {
		if ((one = json_pack("[O]", json_object_get(env, "data"))) == NULL)
			kc_die(KC_ESYS, "out of memory building JSON");
		rc = kc_grant_print(one, 0);
		json_decref(one);
	}
	json_decref(env);
	return rc;
}

static int
grant_list(const struct opts *o, struct kc_kapi *k)
{
	json_t *env = NULL, *keep;
	char *what;
	int rc;

	what = kc_xasprintf("cannot list the grants of domain '%s'", o->domain);
	rc = call(k, "list", list_body(o), 0, what, &env);
	free(what);
	if (rc != KC_OK)
		return rc;
	if ((rc = kc_grant_filter(env, o->data, o->to, &keep)) == KC_OK)
		rc = kc_grant_print(keep, o->json);
	json_decref(keep);
	json_decref(env);
	return rc;
}

static int
grant_delete(const struct opts *o, struct kc_kapi *k)
{
	json_t *env = NULL;
	char *what;
	int i, rc = KC_OK;

	for (i = 0; i < o->nids && rc == KC_OK; i++) {
		what = kc_xasprintf("no grant '%s' in domain '%s'", o->ids[i], o->domain);
		rc = call(k, "delete", key_body(o->domain, o->ids[i]), KC_EFAIL, what, &env);
		free(what);
		json_decref(env);
		env = NULL;
		if (rc == KC_OK)
			rc = print_done(o, o->ids[i], "deleted");
	}
	return rc;
}

/* ---- command line ------------------------------------------------------------------------- */

static int
check_ids(const struct opts *o)
{
	const char *why;
	int i;

	if ((why = kc_domain_id_problem(o->domain)) != NULL)
		return kc_err(KC_EINPUT, "invalid domain '%s': %s", o->domain, why);
	if (o->to != NULL && (why = kc_domain_id_problem(o->to)) != NULL)
		return kc_err(KC_EINPUT, "invalid grantee domain '%s': %s", o->to, why);
	if (o->to != NULL && o->cmd == CREATE && strcmp(o->to, o->domain) == 0)
		return kc_err(KC_EINPUT, "cannot grant '%s' data to itself -- --to names another "
		    "domain", o->domain);
	if (o->data != NULL && (why = kc_kapi_id_problem(o->data)) != NULL)
		return kc_err(KC_EINPUT, "invalid DomainData ID '%s': %s", o->data, why);
	if (o->id != NULL && (why = kc_kapi_id_problem(o->id)) != NULL)
		return kc_err(KC_EINPUT, "invalid grant ID '%s': %s", o->id, why);
	for (i = 0; i < o->nids; i++)
		if ((why = kc_kapi_id_problem(o->ids[i])) != NULL)
			return kc_err(KC_EINPUT, "invalid grant ID '%s': %s", o->ids[i], why);
	return KC_OK;
}

static int
run(struct opts *o)
{
	char *dom = NULL;
	struct kc_kapi *k = NULL;
	int rc;

	if (o->domain == NULL) {
		if ((rc = kc_conf_get("domainID", &dom)) != KC_OK)
			return rc;
		if (dom == NULL) {
			char *p = kc_root_path("etc/conf/kuscia.yaml");

			rc = kc_err(KC_EINPUT, "domainID is not set in '%s' -- pass --domain", p);
			free(p);
			return rc;
		}
		o->domain = dom;
	}
	if ((rc = check_ids(o)) != KC_OK)
		goto out;
	if (o->dry_run) {
		int i;

		if (o->cmd != DELETE)
			rc = kc_json_print(main_body(o));
		for (i = 0; o->cmd == DELETE && i < o->nids && rc == KC_OK; i++)
			rc = kc_json_print(key_body(o->domain, o->ids[i]));
		goto out;
	}
	if ((rc = kc_kapi_open(o->endpoint, o->insecure, o->timeout_ms, &k)) != KC_OK)
		goto out;
	switch (o->cmd) {
	case CREATE: rc = grant_create(o, k); break;
	case QUERY: rc = grant_query(o, k); break;
	case LIST: rc = grant_list(o, k); break;
	case DELETE: rc = grant_delete(o, k); break;
	}
out:
	kc_kapi_free(k);
	free(dom);
	return rc;
}

static void
add_desc(json_t *desc, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char *key;

	if (eq == NULL || eq == kv)
		usage_error("bad --desc '%s': use KEY=VALUE", kv);
	key = kc_xasprintf("%.*s", (int)(eq - kv), kv);
	if (json_object_get(desc, key) != NULL) {
		kc_err(KC_EUSAGE, "--desc key '%s' is given twice", key);
		free(key);
		kc_usage(usage_text, KC_EUSAGE);
	}
	if (json_object_set_new(desc, key, json_string(eq + 1)) != 0)
		kc_die(KC_EINPUT, "bad --desc '%s': not UTF-8 text", kv);
	free(key);
}

static const struct { const char *name; enum cmd cmd; int allowed; } cmds[] = {
	{"create", CREATE, O_DOMAIN | O_DATA | O_TO | O_ID | O_DESC | O_ABSENT | O_OUTPUT},
	{"query", QUERY, O_DOMAIN | O_OUTPUT},
	{"list", LIST, O_DOMAIN | O_DATA | O_TO | O_OUTPUT},
	{"delete", DELETE, O_DOMAIN},
};

static const char *const opt_names[] = {
	"--domain", "--data", "--to", "--id", "--endpoint", "-k", "--timeout", "--dry-run",
	"-o", "--if-absent", "--desc",
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"domain", required_argument, NULL, 'd'},
		{"data", required_argument, NULL, 'D'},
		{"to", required_argument, NULL, 't'},
		{"id", required_argument, NULL, 'i'},
		{"desc", required_argument, NULL, 'E'},
		{"if-absent", no_argument, NULL, 'A'},
		{"endpoint", required_argument, NULL, 'e'},
		{"insecure", no_argument, NULL, 'k'},
		{"timeout", required_argument, NULL, 'T'},
		{"dry-run", no_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = { .output = "text", .timeout_ms = 30000 };
	const char *dry = getenv("KC_DRY_RUN");
	int c, bit, seen = 0, allowed = 0, rc;
	size_t i;
	long v;
	char *end;

	kc_prog = "kc-grant";
	if (argc > 1 && strcmp(argv[1], "--complete") == 0)	/* share/kc/completions */
		return kc_complete("create query list delete", longopts, argc - 2, argv + 2);
	if (kc_timeout_env(&o.timeout_ms) != KC_OK)
		kc_usage(usage_text, KC_EUSAGE);
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
		kc_usage(usage_text, KC_OK);
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("kc-grant %s\n", KC_VERSION);
		return kc_exit_with(KC_OK);
	}
	if (argc < 2)
		usage_error("missing subcommand: create, query, list or delete");
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			o.cmd = cmds[i].cmd;
			allowed = cmds[i].allowed | O_ENDPOINT | O_INSECURE | O_TIMEOUT | O_DRY;
		}
	if (allowed == 0)
		usage_error("unknown subcommand '%s': use create, query, list or delete", argv[1]);
	o.desc = json_object();
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:ko:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': bit = O_DOMAIN; o.domain = optarg; break;
		case 'D': bit = O_DATA; o.data = optarg; break;
		case 't': bit = O_TO; o.to = optarg; break;
		case 'i': bit = O_ID; o.id = optarg; break;
		case 'E': bit = O_DESC; add_desc(o.desc, optarg); break;
		case 'A': bit = O_ABSENT; o.if_absent = 1; break;
		case 'e': bit = O_ENDPOINT; o.endpoint = optarg; break;
		case 'k': bit = O_INSECURE; o.insecure = 1; break;
		case 'n': bit = O_DRY; o.dry_run = 1; break;
		case 'o': bit = O_OUTPUT; o.output = optarg; break;
		case 'T':
			bit = O_TIMEOUT;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 || v < 1 || v > 3600)
				usage_error("bad --timeout '%s': give whole seconds, 1 to 3600",
				    optarg);
			o.timeout_ms = v * 1000;
			break;
		case 'h': kc_usage(usage_text, KC_OK);
		case 'V': printf("kc-grant %s\n", KC_VERSION); return kc_exit_with(KC_OK);
		default: kc_usage(usage_text, KC_EUSAGE);
		}
		for (i = 0; (1 << i) != bit; i++)
			;
		if (!(allowed & bit))
			usage_error("%s does not apply here", opt_names[i]);
		if ((seen & bit) && bit != O_DESC)
			usage_error("%s is given twice", opt_names[i]);
		seen |= bit;
	}
	o.ids = argv + optind;
	o.nids = argc - optind;
	if ((o.cmd == CREATE || o.cmd == LIST) && o.nids > 0)
		usage_error("unexpected operand '%s'", argv[optind]);
	if ((o.cmd == QUERY || o.cmd == DELETE) && o.nids == 0)
		usage_error("missing GRANT_ID");
	if (o.cmd == CREATE && (o.data == NULL || o.to == NULL))
		usage_error("missing %s: create needs --data ID and --to GRANTEE",
		    o.data == NULL ? "--data" : "--to");
	if (o.id != NULL && o.if_absent)
		usage_error("--if-absent and --id conflict: --id already makes create idempotent");
	if (o.endpoint != NULL && *o.endpoint == '\0')
		usage_error("--endpoint needs a URL");
	if (!kc_output_valid(o.output))
		kc_usage(usage_text, KC_EUSAGE);
	o.json = strcmp(o.output, "json") == 0;
	if (dry != NULL && *dry != '\0' && strcmp(dry, "0") != 0)
		o.dry_run = 1;
	rc = run(&o);
	json_decref(o.desc);
	return kc_exit_with(rc);
}
