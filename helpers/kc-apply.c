/* kc-apply - apply a stream of JSON objects with server-side apply, on one connection */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kc.h"

static const char usage_text[] =
	"Usage: kc apply [-f FILE] [--kubeconfig FILE] [--dry-run] [--delete] [-o text|json]\n"
	"\n"
	"Apply a stream of JSON objects to the Kubernetes API with server-side apply.\n"
	"\n"
	"Reads concatenated JSON objects (or a List with items) from FILE or standard input,\n"
	"checks and maps every object first, then, on one kept-alive connection, GETs each and\n"
	"PATCHes it (fieldManager=kc, force, strict field validation). Prints one line per\n"
	"object as kubectl does: 'domain.kuscia.secretflow/alice created' (or configured,\n"
	"unchanged). Stops at the first object the server rejects, showing its message.\n"
	"An object kubectl applied (upstream's scripts) first loses, by a merge patch, the fields\n"
	"its last-applied-configuration annotation has and the new object lacks, as kubectl's\n"
	"next apply would delete them.\n"
	"\n"
	"Options:\n"
	"  -f, --filename FILE     read FILE instead of standard input ('-')\n"
	"      --kubeconfig FILE   else $KUBECONFIG, else $KUSCIA_ROOT/etc/kubeconfig, else\n"
	"                          ~/.kube/config\n"
	"      --dry-run           print each object as one line of JSON; contact nothing\n"
	"                          (also when KC_DRY_RUN is set and not 0)\n"
	"      --delete            delete the objects named in the stream instead\n"
	"      --ignore-not-found  with --delete: an object already gone is no error\n"
	"      --timeout SECONDS   for the whole run (default 30, or $KC_TIMEOUT)\n"
	"  -o, --output FORMAT     text (default) or json (the objects as the server returned them)\n"
	"  -q, --quiet             print nothing on success\n"
	"      --allow-empty       no object at all is no error: exit 0, contact nothing\n"
	"  -h, --help              show this help\n"
	"      --version           print the version\n"
	"\n"
	"Environment: KC_APPLY=kubectl hands the same stream to 'kubectl apply -f -';\n"
	"KC_TIMEOUT (30, 30s, 500ms) is the default --timeout.\n"
	"Exit status: 0 applied, 2 bad command line, 3 bad input, 4 no kubeconfig,\n"
	"5 apiserver unreachable, 6 the apiserver refused an object, 7 TLS failed.\n";

struct opts {
	const char *file, *kubeconfig, *output;
	int dry_run, del, ignore_missing, quiet, allow_empty;
	long timeout_ms;
};

/* The connection is made while the objects are still being read: a drop-in's producer
 * (kc-cert, kc-render) runs while this thread loads the kubeconfig and does the TLS handshake.
 * Its messages are held: they are said only when there is something to apply. */
struct early {
	const struct opts *op;
	pthread_t thread;
	int started, cancel[2];
	struct kc_kubeconfig kc;
	struct kc_http *h;
	int rc;
	char *held;
};

static void *
early_run(void *arg)
{
	struct early *e = arg;

	kc_err_hold();
	if ((e->rc = kc_kubeconfig_load(e->op->kubeconfig, &e->kc)) == KC_OK &&
	    (e->rc = kc_http_from_kubeconfig(&e->kc, e->op->timeout_ms, &e->h)) == KC_OK) {
		kc_http_deadline(e->h, e->op->timeout_ms);
		kc_http_cancel_fd(e->h, e->cancel[0]);
		kc_http_preconnect(e->h, e->kc.server);
	}
	e->held = kc_err_unhold();
	return NULL;
}

static void
early_start(struct early *e, const struct opts *op)
{
	e->op = op;
	e->cancel[0] = e->cancel[1] = -1;
	if (pipe(e->cancel) != 0)
		return;	/* then in turn, after reading */
	for (int i = 0; i < 2; i++) {	/* never fd 0-2: a closed stdin must stay closed */
		int fd = fcntl(e->cancel[i], F_DUPFD_CLOEXEC, 3);

		close(e->cancel[i]);
		e->cancel[i] = fd;
	}
	if (e->cancel[0] < 0 || e->cancel[1] < 0) {
		if (e->cancel[0] >= 0)
			close(e->cancel[0]);
		if (e->cancel[1] >= 0)
			close(e->cancel[1]);
		return;
	}
	if (pthread_create(&e->thread, NULL, early_run, e) != 0) {
		close(e->cancel[0]);
		close(e->cancel[1]);
		return;
	}
	e->started = 1;
}

/* wait for the thread (abandoning its connection first when CANCEL); its rc, its messages
 * said unless CANCEL */
static int
early_end(struct early *e, int cancel)
{
	if (!e->started)
		return KC_OK;
	if (cancel)
		close(e->cancel[1]);
	pthread_join(e->thread, NULL);
	if (!cancel)
		close(e->cancel[1]);
	close(e->cancel[0]);
	e->started = 0;
	if (e->h != NULL)
		kc_http_cancel_fd(e->h, -1);
	if (e->held != NULL && !cancel) {
		fflush(stdout);
		fputs(e->held, stderr);
	}
	free(e->held);
	e->held = NULL;
	return e->rc;
}

static int
blank(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
	return 1;
}

static const char *
rv_of(json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"),
	    "resourceVersion"));
}

/* the answer's object into *hold; its resourceVersion, NULL when it has none */
static const char *
resource_version(const struct kc_resp *r, json_t **hold)
{
	*hold = json_loadb(r->body, r->len, 0, NULL);
	return rv_of(*hold);
}

/* a 200 whose body is not an object with a resourceVersion: cut, or not JSON */
static int
malformed(const struct kc_obj *o, const char *method, const char *url)
{
	return kc_err(KC_EAPI, "%s: malformed answer to %s '%s': not an object with a "
	    "resourceVersion", o->ref, method, url);
}

/* the answer says the object's namespace does not exist (a 404 Status about namespaces, not
 * about the object), and the namespace could be a domain's */
static int
missing_namespace(const struct kc_obj *o, const struct kc_resp *r)
{
	json_t *doc;
	const char *kind = NULL, *name = NULL;
	int yes;

	if (r->status != 404 || o->ns == NULL || !o->kind->namespaced ||
	    kc_domain_id_problem(o->ns) != NULL)
		return 0;
	doc = json_loadb(r->body, r->len, 0, NULL);
	json_unpack(doc, "{s:{s?s, s?s}}", "details", "kind", &kind, "name", &name);
	yes = kind != NULL && name != NULL && strcmp(kind, "namespaces") == 0 &&
	    strcmp(name, o->ns) == 0;
	json_decref(doc);
	return yes;
}

static int
server_error(const struct kc_obj *o, const struct kc_resp *r)
{
	char *m = kc_status_message(r);

	if (r->status == 401)
		kc_err(KC_EAPI, "%s: the apiserver refused our credentials: %s -- check the "
		    "kubeconfig's client certificate or token", o->ref, m);
	else if (r->status == 403)
		kc_err(KC_EAPI, "%s: forbidden: %s", o->ref, m);
	else if (missing_namespace(o, r))
		/* Kuscia makes a namespace per domain it knows */
		kc_err(KC_EAPI, "%s: %s -- is '%s' a domain of this node? 'add_domain.sh %s p2p' "
		    "registers a peer", o->ref, m, o->ns, o->ns);
	else
		kc_err(KC_EAPI, "%s: %s", o->ref, m);
	free(m);
	return KC_EAPI;
}

static int
print_result(const struct opts *op, const struct kc_obj *o, const char *word, json_t *server)
{
	if (op->quiet)
		return KC_OK;
	if (strcmp(op->output, "json") == 0 && server != NULL)
		return kc_json_print(json_incref(server));
	return printf("%s %s\n", o->ref, word) < 0 ? KC_ESYS : KC_OK;
}

/* what a LIST of the object's collection told before applying */
struct known {
	int listed;		/* 1: obj below is the answer, no GET needed */
	json_t *obj;		/* the listed object (borrowed from the list), NULL when absent */
};

/* every member and element of want has the same value in have */
static int
subset(json_t *want, json_t *have)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(want)) {
		if (!json_is_object(have))
			return 0;
		json_object_foreach(want, key, v)
			if (!subset(v, json_object_get(have, key)))
				return 0;
		return 1;
	}
	if (json_is_array(want)) {
		if (!json_is_array(have) || json_array_size(want) != json_array_size(have))
			return 0;
		json_array_foreach(want, i, v)
			if (!subset(v, json_array_get(have, i)))
				return 0;
		return 1;
	}
	return json_equal(want, have);
}

/* kubectl's "unchanged": the apply changed nothing. The same resourceVersion says so; a
 * controller may bump it in between (a status update), so the same generation with every
 * applied field already in place says so too. */
static int
unchanged(const char *rv0, const char *rv1, json_t *doc, json_t *before, json_t *after)
{
	json_t *g0 = json_object_get(json_object_get(before, "metadata"), "generation");
	json_t *g1 = json_object_get(json_object_get(after, "metadata"), "generation");

	if (rv0 == NULL)
		return 0;
	if (strcmp(rv0, rv1) == 0)
		return 1;
	return g0 != NULL && json_equal(g0, g1) && subset(doc, before);
}

/* Long streams: one LIST per kind and namespace with 4 or more objects instead of a GET per
 * object (half the requests). An answer that is not a usable list leaves the GETs to do. */
static int
prefetch(struct kc_http *h, const struct kc_kubeconfig *kc, const struct kc_objstream *b,
    struct known *k, json_t *hold)
{
	size_t i, j, n;
	int rc;

	for (i = 0; i < b->n; i++) {
		const struct kc_obj *o = &b->v[i];
		char *path, *url;
		struct kc_resp r = {0};
		json_t *list, *items, *it;
		size_t x;

		if (k[i].listed)
			continue;
		for (n = 0, j = i; j < b->n; j++)
			n += b->v[j].kind == o->kind && (o->ns == NULL ? b->v[j].ns == NULL :
			    b->v[j].ns != NULL && strcmp(b->v[j].ns, o->ns) == 0);
		if (n < 4)
			continue;
		path = kc_kind_path(o->kind, o->ns, NULL);
		url = kc_api_url(kc, path);
		free(path);
		rc = kc_http_request(h, "GET", url, NULL, NULL, 0, &r);
		free(url);
		if (rc != KC_OK)
			return rc;	/* the connection failed: said once, here */
		list = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
		kc_resp_free(&r);
		items = json_object_get(list, "items");
		if (!json_is_array(items)) {
			json_decref(list);
			continue;
		}
		json_array_append_new(hold, list);
		for (j = i; j < b->n; j++) {
			const struct kc_obj *q = &b->v[j];

			if (q->kind != o->kind || (o->ns == NULL ? q->ns != NULL :
			    q->ns == NULL || strcmp(q->ns, o->ns) != 0))
				continue;
			k[j].listed = 1;
			json_array_foreach(items, x, it) {
				const char *nm = NULL, *rv = NULL;

				json_unpack(it, "{s:{s?s, s?s}}", "metadata", "name", &nm,
				    "resourceVersion", &rv);
				if (nm != NULL && rv != NULL && strcmp(nm, q->name) == 0) {
					k[j].obj = it;
					break;
				}
			}
		}
	}
	return KC_OK;
}

static char *
dumps(const json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s == NULL)
		kc_die(KC_ESYS, "out of memory");
	return s;
}

/* GET the object: KC_OK with *live the object, or NULL when there is none (404) */
static int
read_live(struct kc_http *h, const char *url, const struct kc_obj *o, json_t **live)
{
	struct kc_resp r = {0};
	int rc;

	*live = NULL;
	if ((rc = kc_http_request(h, "GET", url, NULL, NULL, 0, &r)) == KC_OK) {
		if (r.status == 200 && resource_version(&r, live) == NULL) {
			rc = malformed(o, "GET", url);
			json_decref(*live);
			*live = NULL;
		} else if (r.status != 200 && r.status != 404)
			rc = server_error(o, &r);
	}
	kc_resp_free(&r);
	return rc;
}

/* Before the apply, what kubectl's next apply would delete (kc_takeover_patch, lib/takeover.c:
 * an object upstream's scripts applied), by a merge patch that fails (409) when the object
 * changed since it was read: then read it again and recompute, at most 3 times (as the apply
 * retries its 409s); 404, gone since, likewise. *live is what was read last; *deleted set when
 * the patch went through. */
static int
take_over(struct kc_http *h, const char *url, const struct kc_obj *o, json_t **live,
    int *deleted)
{
	char *mp = kc_xasprintf("%s?fieldManager=kc", url), *body;
	struct kc_resp r = {0};
	json_t *patch, *done = NULL;
	int rc = KC_OK, tries;

	for (tries = 1; (patch = kc_takeover_patch(o->doc, *live)) != NULL; tries++) {
		body = dumps(patch);
		json_decref(patch);
		rc = kc_http_request(h, "PATCH", mp, "application/merge-patch+json", body,
		    strlen(body), &r);
		free(body);
		if (rc != KC_OK)
			break;
		if (r.status == 200) {
			if (resource_version(&r, &done) == NULL)
				rc = malformed(o, "PATCH", mp);
			*deleted = rc == KC_OK;
			break;
		}
		if ((r.status != 409 && r.status != 404) || tries == 3) {
			rc = server_error(o, &r);
			break;
		}
		kc_resp_free(&r);
		json_decref(*live);
		if ((rc = read_live(h, url, o, live)) != KC_OK)
			break;
	}
	kc_resp_free(&r);
	json_decref(done);
	free(mp);
	return rc;
}

/* the server-side apply: *after the object the server returned, *raced when a 409 had it
 * sent again */
static int
server_apply(struct kc_http *h, const char *url, const struct kc_obj *o, json_t **after,
    int *raced)
{
	char *patch = kc_xasprintf("%s?fieldManager=kc&force=true&fieldValidation=Strict", url);
	char *body = dumps(o->doc);
	struct kc_resp r = {0};
	int rc, tries;

	for (tries = 1;; tries++) {
		if ((rc = kc_http_request(h, "PATCH", patch, "application/apply-patch+yaml", body,
		    strlen(body), &r)) != KC_OK)
			goto out;
		/* 409: a parallel run created the object after our GET; applying is idempotent,
		 * so apply again, as kubectl retries a conflict */
		if (r.status != 409 || tries == 3)
			break;
		kc_resp_free(&r);
		*raced = 1;
	}
	if (r.status != 200 && r.status != 201)
		rc = server_error(o, &r);
	else if (resource_version(&r, after) == NULL)
		rc = malformed(o, "PATCH", patch);
out:
	kc_resp_free(&r);
	free(body);
	free(patch);
	return rc;
}

static int
delete_one(const struct opts *op, struct kc_http *h, const char *url, const struct kc_obj *o,
    int exists)
{
	struct kc_resp r = {0};
	int rc;

	if (!exists)
		return op->ignore_missing ? KC_OK : kc_err(KC_EAPI, "%s: not found", o->ref);
	if ((rc = kc_http_request(h, "DELETE", url, NULL, NULL, 0, &r)) == KC_OK) {
		if (r.status != 200 && r.status != 202 && !(r.status == 404 && op->ignore_missing))
			rc = server_error(o, &r);
		else if (!op->quiet && printf("%s deleted\n", o->ref) < 0)
			rc = KC_ESYS;
	}
	kc_resp_free(&r);
	return rc;
}

static int
apply_one(const struct opts *op, struct kc_http *h, const struct kc_kubeconfig *kc,
    const struct kc_obj *o, const struct known *k)
{
	char *path = kc_kind_path(o->kind, o->ns, o->name);
	char *url = kc_api_url(kc, path);
	json_t *before = NULL, *after = NULL;
	const char *rv0;
	int rc, raced = 0, deleted = 0;

	if (k->listed)
		before = json_incref(k->obj);
	else if ((rc = read_live(h, url, o, &before)) != KC_OK)
		goto out;
	if (op->del) {
		rc = delete_one(op, h, url, o, before != NULL);
		goto out;
	}
	if ((rc = take_over(h, url, o, &before, &deleted)) != KC_OK ||
	    (rc = server_apply(h, url, o, &after, &raced)) != KC_OK)
		goto out;
	rv0 = rv_of(before);
	rc = print_result(op, o, rv0 == NULL && !raced ? "created" : !deleted &&
	    unchanged(rv0, rv_of(after), o->doc, before, after) ? "unchanged" : "configured",
	    after);
out:
	json_decref(before);
	json_decref(after);
	free(url);
	free(path);
	return rc;
}

/* KC_APPLY=kubectl: the same stream to kubectl apply -f - (or delete -f -) */
static int
run_kubectl(const struct opts *op, const char *cfg, const char *buf, size_t len)
{
	int fds[2], status;
	pid_t pid;
	size_t off = 0;

	if (pipe(fds) != 0)
		return kc_err(KC_ESYS, "cannot create a pipe:");
	if ((pid = fork()) < 0)
		return kc_err(KC_ESYS, "cannot start kubectl:");
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		if (op->del)
			execlp("kubectl", "kubectl", "--kubeconfig", cfg, "delete", "-f", "-",
			    op->ignore_missing ? "--ignore-not-found" : NULL, (char *)NULL);
		else
			execlp("kubectl", "kubectl", "--kubeconfig", cfg, "apply", "-f", "-",
			    (char *)NULL);
		kc_err(KC_ESYS, "cannot run kubectl:");
		_exit(127);
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		ssize_t w = write(fds[1], buf + off, len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return kc_err(KC_ESYS, "cannot wait for kubectl:");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return KC_OK;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return KC_ESYS;
	return KC_EAPI;
}

static int
run(const struct opts *op)
{
	struct kc_objstream b = {0};
	struct known *known = NULL;
	json_t *lists = NULL;
	struct kc_kubeconfig kc = {0};
	struct kc_http *h = NULL;
	struct early early = {0};
	unsigned char *buf = NULL;
	const char *mode = getenv("KC_APPLY");
	int kubectl = mode != NULL && strcmp(mode, "kubectl") == 0;
	size_t len, i;
	int rc, e;

	/* not with fd 0, 1 or 2 closed: the thread's files and socket would take their place
	 * while the main thread reads and writes them */
	if (!op->dry_run && !kubectl && fcntl(0, F_GETFD) != -1 && fcntl(1, F_GETFD) != -1 &&
	    fcntl(2, F_GETFD) != -1)
		early_start(&early, op);
	if ((e = kc_read_file(op->file, KC_MAX_FILE, &buf, &len)) != 0) {
		errno = e;
		rc = kc_err(e == ENOENT || e == EISDIR || e == EFBIG ? KC_EINPUT : KC_ESYS,
		    "cannot read '%s':", op->file);
		goto out;
	}
	if (op->allow_empty && blank(buf, len)) {
		rc = KC_OK;
		goto out;
	}
	if ((rc = kc_objstream_parse((const char *)buf, len, &b)) != KC_OK)
		goto out;
	if (op->dry_run) {
		for (i = 0; i < b.n && rc == KC_OK; i++)
			rc = kc_json_print(json_incref(b.v[i].doc));
		goto out;
	}
	if (early.started) {
		rc = early_end(&early, 0);
		kc = early.kc;
		memset(&early.kc, 0, sizeof early.kc);
		h = early.h;
		early.h = NULL;
		if (rc != KC_OK)
			goto out;
		kc_http_deadline(h, op->timeout_ms);	/* --timeout counts from here, as before */
	} else {
		if ((rc = kc_kubeconfig_load(op->kubeconfig, &kc)) != KC_OK)
			goto out;
		if (kubectl) {
			rc = run_kubectl(op, kc.path, (const char *)buf, len);
			goto out;
		}
		if ((rc = kc_http_from_kubeconfig(&kc, op->timeout_ms, &h)) != KC_OK)
			goto out;
		kc_http_deadline(h, op->timeout_ms);
	}
	for (i = 0; i < b.n; i++)
		if (b.v[i].kind->namespaced && b.v[i].ns != NULL &&
		    strcmp(b.v[i].ns, "default") == 0 && kc.nspace != NULL &&
		    json_object_get(json_object_get(b.v[i].doc, "metadata"), "namespace") == NULL)
			b.v[i].ns = kc.nspace;
	known = kc_xcalloc(b.n, sizeof *known);
	lists = json_array();
	if ((rc = prefetch(h, &kc, &b, known, lists)) != KC_OK)
		goto out;
	for (i = 0; i < b.n && rc == KC_OK; i++)
		rc = apply_one(op, h, &kc, &b.v[i], &known[i]);
out:
	early_end(&early, 1);
	kc_http_free(early.h);
	kc_kubeconfig_free(&early.kc);
	free(known);
	json_decref(lists);
	kc_objstream_free(&b);
	kc_http_free(h);
	kc_kubeconfig_free(&kc);
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { OPT_KUBECONFIG = 256, OPT_DRY_RUN, OPT_DELETE, OPT_IGNORE, OPT_TIMEOUT, OPT_VERSION,
		OPT_ALLOW_EMPTY };
	static const struct option longopts[] = {
		{"filename", required_argument, NULL, 'f'},
		{"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"delete", no_argument, NULL, OPT_DELETE},
		{"ignore-not-found", no_argument, NULL, OPT_IGNORE},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.file = "-", .output = "text", .timeout_ms = 30000};
	const char *dr = getenv("KC_DRY_RUN");
	char *end;
	long secs;
	int c;

	kc_prog = "kc-apply";
	if (argc > 1 && strcmp(argv[1], "--complete") == 0)	/* share/kc/completions */
		return kc_complete(NULL, longopts, argc - 2, argv + 2);
	if (kc_timeout_env(&o.timeout_ms) != KC_OK)
		kc_usage(usage_text, KC_EUSAGE);
	while ((c = getopt_long(argc, argv, "f:o:qh", longopts, NULL)) != -1)
		switch (c) {
		case 'f': o.file = optarg; break;
		case OPT_KUBECONFIG: o.kubeconfig = optarg; break;
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case OPT_DELETE: o.del = 1; break;
		case OPT_IGNORE: o.ignore_missing = 1; break;
		case OPT_TIMEOUT:
			errno = 0;
			secs = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || secs < 1 || secs > 86400) {
				kc_err(KC_EUSAGE, "invalid --timeout '%s': give whole seconds, 1 to 86400",
				    optarg);
				kc_usage(usage_text, KC_EUSAGE);
			}
			o.timeout_ms = secs * 1000;
			break;
		case 'o': o.output = optarg; break;
		case 'q': o.quiet = 1; break;
		case OPT_ALLOW_EMPTY: o.allow_empty = 1; break;
		case 'h': kc_usage(usage_text, KC_OK);
		case OPT_VERSION: printf("kc-apply %s\n", KC_VERSION); return kc_exit_with(KC_OK);
		default: kc_usage(usage_text, KC_EUSAGE);
		}
	if (optind != argc) {
		kc_err(KC_EUSAGE, "unexpected operand '%s' -- objects come on standard input or -f",
		    argv[optind]);
		kc_usage(usage_text, KC_EUSAGE);
	}
	if (!kc_output_valid(o.output))
		kc_usage(usage_text, KC_EUSAGE);
	if (o.ignore_missing && !o.del) {
		kc_err(KC_EUSAGE, "--ignore-not-found needs --delete");
		kc_usage(usage_text, KC_EUSAGE);
	}
	if (dr != NULL && dr[0] != '\0' && strcmp(dr, "0") != 0)
		o.dry_run = 1;
	return kc_exit_with(run(&o));
}
