/* kc-render - fill the {{.NAME}} slots of a JSON template (CONTRACTS.md section 5) */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#include "kc.h"

static const char usage_text[] =
	"Usage: kc render [--list] TEMPLATE [NAME=VALUE | NAME@=PATH]...\n"
	"\n"
	"Fill the slots of a JSON template and print the object as one line of JSON.\n"
	"\n"
	"TEMPLATE is a file when it contains '/', else a file in $KC_DATADIR/templates\n"
	"(default: the share/kc folder next to kc's own files).\n"
	"\n"
	"Slots are written in the template's strings (values and keys):\n"
	"  {{.NAME}}            the value, inserted as JSON string text; may sit inside\n"
	"                       a longer string or a key\n"
	"  {{.NAME|int}}        a whole string value that becomes a number\n"
	"  {{.NAME|bool}}       a whole string value that becomes true or false\n"
	"  {{.NAME|optional}}   a whole string value; an empty value removes its member\n"
	"                       or array element, and a container left empty goes too\n"
	"Every slot that is not optional needs a non-empty value.\n"
	"\n"
	"Arguments:\n"
	"  NAME=VALUE   the value of slot NAME\n"
	"  NAME@=PATH   the value read from file PATH, one final newline removed\n"
	"               (for secrets: they never go in argv)\n"
	"\n"
	"Options:\n"
	"      --list TEMPLATE   print the template's slot names, one a line\n"
	"  -h, --help            show this help\n"
	"      --version         print the version\n"
	"\n"
	"Exit status: 0 printed, 2 bad command line (a slot unknown, given twice or\n"
	"missing), 3 bad template or value, 4 a file cannot be read.\n";

enum kind { K_PLAIN, K_INT, K_BOOL, K_OPT };
static const char *const kind_word[] = { "", "int", "bool", "optional" };

struct slot {
	char *name;
	enum kind kind;
	const char *arg;	/* the NAME=VALUE argument that gave it */
	const char *path;	/* NAME@=PATH: the file, else NULL */
	char *value;		/* NUL-terminated, no NUL inside */
	size_t vlen;
	size_t cap;		/* allocated size of value, to wipe it */
};

struct tmpl {
	char *path;
	json_t *doc;
	struct slot *v;
	size_t n, cap;
};

/* a {{.NAME|kind}} found in a string */
struct ref {
	const char *name;
	size_t namelen;
	enum kind kind;
	size_t len;	/* bytes of the whole {{...}} */
};

struct buf {
	char *p;
	size_t n, cap;
};

/* ---- jansson allocations wiped on free: rendered objects may carry tokens ---- */

union hdr {
	size_t n;
	max_align_t align;
};

static void *
wipe_malloc(size_t n)
{
	union hdr *h;

	if (n > SIZE_MAX - sizeof *h || (h = malloc(sizeof *h + n)) == NULL)
		return NULL;
	h->n = n;
	return h + 1;
}

static void
wipe_free(void *p)
{
	union hdr *h;

	if (p == NULL)
		return;
	h = (union hdr *)p - 1;
	kc_wipe(p, h->n);
	free(h);
}

/* ---- small helpers ---- */

static int
is_name_start(int c)
{
	return c >= 'A' && c <= 'Z';
}

static int
is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '_';
}

/* parse a slot at p (which starts with "{{."); 0 when it is not a well-formed one */
static int
parse_ref(const char *p, const char *end, struct ref *r)
{
	const char *q = p + 3, *mod;
	size_t i, ml;

	if (q >= end || !is_name_start((unsigned char)*q))
		return 0;
	r->name = q;
	while (q < end && is_name_char((unsigned char)*q))
		q++;
	r->namelen = (size_t)(q - r->name);
	r->kind = K_PLAIN;
	if (q < end && *q == '|') {
		mod = ++q;
		while (q < end && *q >= 'a' && *q <= 'z')
			q++;
		ml = (size_t)(q - mod);
		for (i = 1; i < sizeof kind_word / sizeof kind_word[0]; i++)
			if (ml == strlen(kind_word[i]) && memcmp(mod, kind_word[i], ml) == 0)
				break;
		if (i == sizeof kind_word / sizeof kind_word[0])
			return 0;
		r->kind = (enum kind)i;
	}
	if (end - q < 2 || q[0] != '}' || q[1] != '}')
		return 0;
	r->len = (size_t)(q + 2 - p);
	return 1;
}

static const char *
find_open(const char *p, const char *end)
{
	for (; end - p >= 3; p++)
		if (p[0] == '{' && p[1] == '{' && p[2] == '.')
			return p;
	return NULL;
}

static struct slot *
slot_find(const struct tmpl *t, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strlen(t->v[i].name) == len && memcmp(t->v[i].name, name, len) == 0)
			return &t->v[i];
	return NULL;
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	size_t need;
	char *p;

	if (n > SIZE_MAX - b->n - 1)
		kc_die(KC_ESYS, "out of memory");
	need = b->n + n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		p = kc_xmalloc(cap);
		if (b->n > 0)
			memcpy(p, b->p, b->n);
		kc_wipe_free(b->p, b->cap);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t c, min;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2, c &= 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, c &= 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, c &= 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* ---- the template: load it, find its slots ---- */

static int
scan_string(struct tmpl *t, const char *s, int is_key)
{
	const char *end = s + strlen(s), *p = s;
	struct ref r;
	struct slot *sl;

	while ((p = find_open(p, end)) != NULL) {
		if (!parse_ref(p, end, &r)) {
			const char *close = strstr(p, "}}");
			int n = close != NULL ? (int)(close + 2 - p) : (int)(end - p);

			return kc_err(KC_EINPUT, "'%s': bad slot '%.*s': use {{.NAME}} or "
			    "{{.NAME|int|bool|optional}}, NAME in [A-Z][A-Z0-9_]*", t->path,
			    n > 60 ? 60 : n, p);
		}
		if (r.kind != K_PLAIN && (is_key || p != s || r.len != (size_t)(end - s)))
			return kc_err(KC_EINPUT, "'%s': slot '%.*s|%s' must be a whole string value",
			    t->path, (int)r.namelen, r.name, kind_word[r.kind]);
		if ((sl = slot_find(t, r.name, r.namelen)) != NULL) {
			if (sl->kind != r.kind)
				return kc_err(KC_EINPUT, "'%s': slot '%s' is used with two kinds",
				    t->path, sl->name);
		} else {
			if (t->n == t->cap) {
				t->cap = t->cap ? t->cap * 2 : 8;
				t->v = kc_xrealloc(t->v, t->cap * sizeof *t->v);
			}
			sl = &t->v[t->n++];
			memset(sl, 0, sizeof *sl);
			sl->name = kc_xasprintf("%.*s", (int)r.namelen, r.name);
			sl->kind = r.kind;
		}
		p += r.len;
	}
	return KC_OK;
}

static int
scan(struct tmpl *t, json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;
	int rc;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		json_object_foreach(j, key, v)
			if ((rc = scan_string(t, key, 1)) != KC_OK || (rc = scan(t, v)) != KC_OK)
				return rc;
		return KC_OK;
	case JSON_ARRAY:
		json_array_foreach(j, i, v)
			if ((rc = scan(t, v)) != KC_OK)
				return rc;
		return KC_OK;
	case JSON_STRING:
		return scan_string(t, json_string_value(j), 0);
	default:
		return KC_OK;
	}
}

static int
tmpl_load(struct tmpl *t, const char *name)
{
	unsigned char *text = NULL;
	size_t len;
	char *dir = NULL, *path;
	json_error_t jerr;
	int e, rc;

	if (strchr(name, '/') != NULL) {
		path = kc_xstrdup(name);
	} else {
		dir = kc_datadir();
		path = kc_xasprintf("%s/templates/%s", dir, name);
		free(dir);
	}
	t->path = path;
	if ((e = kc_read_file(path, KC_MAX_FILE, &text, &len)) != 0) {
		errno = e;
		return kc_err(KC_ESYS, "cannot read template '%s':", path);
	}
	t->doc = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (t->doc == NULL)
		return kc_err(KC_EINPUT, "template '%s' is not valid JSON: %s at line %d column %d",
		    path, jerr.text, jerr.line, jerr.column);
	rc = scan(t, t->doc);
	return rc;
}

static void
tmpl_free(struct tmpl *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].name);
		kc_wipe_free(t->v[i].value, t->v[i].cap);
	}
	free(t->v);
	json_decref(t->doc);
	free(t->path);
}

/* ---- arguments ---- */

_Noreturn static void
bad_arg(const char *arg)
{
	kc_err(KC_EUSAGE, "bad argument '%s': use NAME=VALUE or NAME@=PATH", arg);
	kc_usage(usage_text, KC_EUSAGE);
}

/* match NAME=VALUE / NAME@=PATH arguments to slots: every error here is a usage error */
static int
take_args(struct tmpl *t, int argc, char **argv)
{
	int i;
	size_t k, n;
	const char *eq;
	struct slot *sl;

	for (i = 0; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL)
			bad_arg(argv[i]);
		n = (size_t)(eq - argv[i]);
		if (n > 0 && argv[i][n - 1] == '@')
			n--;
		if (n == 0 || !is_name_start((unsigned char)argv[i][0]))
			bad_arg(argv[i]);
		for (k = 1; k < n; k++)
			if (!is_name_char((unsigned char)argv[i][k]))
				bad_arg(argv[i]);
		if ((sl = slot_find(t, argv[i], n)) == NULL)
			return kc_err(KC_EUSAGE, "'%.*s' is not a slot of template '%s'", (int)n,
			    argv[i], t->path);
		if (sl->arg != NULL)
			return kc_err(KC_EUSAGE, "'%s' is given twice", sl->name);
		sl->arg = argv[i];
		if (argv[i][n] == '@')
			sl->path = eq + 1;
	}
	for (k = 0; k < t->n; k++)
		if (t->v[k].arg == NULL && t->v[k].kind != K_OPT)
			return kc_err(KC_EUSAGE, "slot '%s' needs a value (%s=VALUE)", t->v[k].name,
			    t->v[k].name);
	return KC_OK;
}

/* read each value (files too) and check it; optional slots not given are empty */
static int
read_values(struct tmpl *t)
{
	struct slot *sl;
	unsigned char *b;
	size_t i, len;
	int e;

	for (i = 0; i < t->n; i++) {
		sl = &t->v[i];
		if (sl->arg == NULL) {
			sl->value = kc_xstrdup("");
			sl->cap = 1;
			continue;
		}
		if (sl->path == NULL) {
			sl->value = kc_xstrdup(strchr(sl->arg, '=') + 1);
			sl->vlen = strlen(sl->value);
			sl->cap = sl->vlen + 1;
		} else {
			if ((e = kc_read_file(sl->path, KC_MAX_FILE, &b, &len)) != 0) {
				errno = e;
				return kc_err(KC_ESYS, "cannot read the value of '%s' from '%s':",
				    sl->name, sl->path);
			}
			sl->value = (char *)b;
			sl->cap = len + 1;
			if (len > 0 && b[len - 1] == '\n')
				b[--len] = '\0';
			sl->vlen = len;
			if (memchr(b, '\0', len) != NULL)
				return kc_err(KC_EINPUT, "the value of '%s' contains a NUL byte",
				    sl->name);
		}
		if (!utf8_valid((const unsigned char *)sl->value, sl->vlen))
			return kc_err(KC_EINPUT, "the value of '%s' is not valid UTF-8", sl->name);
		if (sl->vlen == 0 && sl->kind != K_OPT)
			return kc_err(KC_EUSAGE, "slot '%s' needs a value: it is empty", sl->name);
	}
	return KC_OK;
}

/* ---- rendering ---- */

/* a string with its plain slots filled in; wipe it with kc_wipe_free(b.p, b.cap) */
static struct buf
expand(const struct tmpl *t, const char *s)
{
	const char *end = s + strlen(s), *p = s, *o;
	struct buf b = {NULL, 0, 0};
	struct ref r;
	struct slot *sl;

	buf_add(&b, "", 0);
	while ((o = find_open(p, end)) != NULL) {
		buf_add(&b, p, (size_t)(o - p));
		parse_ref(o, end, &r);	/* checked by scan() */
		sl = slot_find(t, r.name, r.namelen);
		buf_add(&b, sl->value, sl->vlen);
		p = o + r.len;
	}
	buf_add(&b, p, (size_t)(end - p));
	return b;
}

/* a typed or optional slot that is the whole string s, else NULL */
static const struct slot *
whole_slot(const struct tmpl *t, const char *s)
{
	size_t n = strlen(s);
	struct ref r;

	if (n < 3 || memcmp(s, "{{.", 3) != 0 || !parse_ref(s, s + n, &r) || r.len != n ||
	    r.kind == K_PLAIN)
		return NULL;
	return slot_find(t, r.name, r.namelen);
}

static int
typed_value(const struct slot *sl, json_t **out)
{
	const char *v = sl->value;
	const char *d = v[0] == '-' ? v + 1 : v;
	long long n;
	char *end;

	switch (sl->kind) {
	case K_INT:
		if (*d < '0' || *d > '9' || strspn(d, "0123456789") != strlen(d))
			return kc_err(KC_EINPUT, "the value of '%s' is not an integer", sl->name);
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno == ERANGE || *end != '\0')
			return kc_err(KC_EINPUT, "the value of '%s' is out of range", sl->name);
		*out = json_integer((json_int_t)n);
		break;
	case K_BOOL:
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			return kc_err(KC_EINPUT, "the value of '%s' is not true or false",
			    sl->name);
		*out = json_boolean(v[0] == 't');
		break;
	default:	/* K_OPT */
		*out = sl->vlen == 0 ? NULL : json_stringn(v, sl->vlen);
		return KC_OK;
	}
	return KC_OK;
}

/* *out: the rendered copy of in, or NULL when an optional slot removed it */
static int
render(const struct tmpl *t, json_t *in, json_t **out)
{
	const char *key;
	const struct slot *sl;
	json_t *v, *nv, *o;
	struct buf k;
	size_t i;
	int rc = KC_OK, removed = 0;

	*out = NULL;
	switch (json_typeof(in)) {
	case JSON_OBJECT:
		if ((o = json_object()) == NULL)
			kc_die(KC_ESYS, "out of memory");
		json_object_foreach(in, key, v) {
			if ((rc = render(t, v, &nv)) != KC_OK)
				break;
			if (nv == NULL) {
				removed = 1;
				continue;
			}
			k = expand(t, key);
			if (json_object_get(o, k.p) != NULL)
				rc = kc_err(KC_EINPUT, "the rendered object has the key '%s' twice",
				    k.p);
			else if (json_object_set_new(o, k.p, nv) != 0)
				kc_die(KC_ESYS, "out of memory");
			else
				nv = NULL;
			json_decref(nv);
			kc_wipe_free(k.p, k.cap);
			if (rc != KC_OK)
				break;
		}
		break;
	case JSON_ARRAY:
		if ((o = json_array()) == NULL)
			kc_die(KC_ESYS, "out of memory");
		json_array_foreach(in, i, v) {
			if ((rc = render(t, v, &nv)) != KC_OK)
				break;
			if (nv == NULL)
				removed = 1;
			else if (json_array_append_new(o, nv) != 0)
				kc_die(KC_ESYS, "out of memory");
		}
		break;
	case JSON_STRING:
		if ((sl = whole_slot(t, json_string_value(in))) != NULL) {
			if ((rc = typed_value(sl, out)) == KC_OK && *out == NULL && sl->vlen > 0)
				kc_die(KC_ESYS, "out of memory");
			return rc;
		}
		k = expand(t, json_string_value(in));
		o = json_stringn(k.p, k.n);
		kc_wipe_free(k.p, k.cap);
		break;
	default:
		o = json_copy(in);
		break;
	}
	if (o == NULL)
		kc_die(KC_ESYS, "out of memory");
	if (rc != KC_OK) {
		json_decref(o);
		return rc;
	}
	if (removed && (json_is_object(o) ? json_object_size(o) : json_array_size(o)) == 0) {
		json_decref(o);
		return KC_OK;
	}
	*out = o;
	return KC_OK;
}

static int
cmd_render(const char *name, int argc, char **argv)
{
	struct tmpl t = {0};
	json_t *doc = NULL;
	int rc;

	if ((rc = tmpl_load(&t, name)) != KC_OK || (rc = take_args(&t, argc, argv)) != KC_OK ||
	    (rc = read_values(&t)) != KC_OK || (rc = render(&t, t.doc, &doc)) != KC_OK)
		goto out;
	if (doc == NULL)
		rc = kc_err(KC_EINPUT, "template '%s' renders to nothing", t.path);
	else
		rc = kc_json_print(doc);
out:
	tmpl_free(&t);
	return rc;
}

static int
cmd_list(const char *name)
{
	struct tmpl t = {0};
	size_t i;
	int rc;

	if ((rc = tmpl_load(&t, name)) == KC_OK)
		for (i = 0; i < t.n; i++)
			if (printf("%s\n", t.v[i].name) < 0)
				rc = KC_ESYS;
	tmpl_free(&t);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"list", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	const char *list = NULL;
	int c;

	kc_prog = "kc-render";
	if (argc > 1 && strcmp(argv[1], "--complete") == 0)	/* share/kc/completions */
		return kc_complete(NULL, longopts, argc - 2, argv + 2);
	json_set_alloc_funcs(wipe_malloc, wipe_free);
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1)
		switch (c) {
		case 'h': kc_usage(usage_text, KC_OK);
		case 'V': printf("kc-render %s\n", KC_VERSION); return kc_exit_with(KC_OK);
		case 'l':
			if (list != NULL) {
				kc_err(KC_EUSAGE, "--list is given twice");
				kc_usage(usage_text, KC_EUSAGE);
			}
			list = optarg;
			break;
		default: kc_usage(usage_text, KC_EUSAGE);
		}
	if (list != NULL) {
		if (optind != argc) {
			kc_err(KC_EUSAGE, "--list takes no other operand");
			kc_usage(usage_text, KC_EUSAGE);
		}
		return kc_exit_with(cmd_list(list));
	}
	if (optind >= argc) {
		kc_err(KC_EUSAGE, "missing TEMPLATE");
		kc_usage(usage_text, KC_EUSAGE);
	}
	return kc_exit_with(cmd_render(argv[optind], argc - optind - 1, argv + optind + 1));
}
