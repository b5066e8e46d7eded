/* err.c - one-line messages on stderr, "PROG: message" */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kc.h"

const char *kc_prog = "kc";

/* kc_err_hold: this thread's messages go here, not to stderr */
static _Thread_local FILE *held;
static _Thread_local char *held_text;
static _Thread_local size_t held_len;

static FILE *
out(void)
{
	return held != NULL ? held : stderr;
}

void
kc_err_hold(void)
{
	if (held == NULL && (held = open_memstream(&held_text, &held_len)) == NULL)
		kc_die(KC_ESYS, "out of memory");
}

char *
kc_err_unhold(void)
{
	char *t;

	if (held == NULL)
		return NULL;
	fclose(held);
	held = NULL;
	t = held_text;
	held_text = NULL;
	if (held_len == 0) {
		free(t);
		t = NULL;
	}
	held_len = 0;
	return t;
}

/* a drop-in sets KC_PROG so that a helper's message carries the script's name */
static const char *
prog(void)
{
	const char *p = getenv("KC_PROG");

	return p != NULL && *p != '\0' ? p : kc_prog;
}

/* the formatted text on stderr, each control character (a newline in a value) as '?', so that
 * a message stays on its one line */
static void
vput(const char *fmt, va_list ap)
{
	char small[512], *s = small;
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof small, fmt, ap);
	if (n >= (int)sizeof small) {
		s = kc_xmalloc((size_t)n + 1);
		vsnprintf(s, (size_t)n + 1, fmt, ap2);
	}
	va_end(ap2);
	for (int i = 0; i < n; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i], out());
	if (s != small)
		free(s);
}

static void
vmsg(const char *prefix, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);

	if (held == NULL)
		fflush(stdout);
	fprintf(out(), "%s: %s", prog(), prefix);
	vput(fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(out(), " %s", strerror(saved));
	fputc('\n', out());
}

int
kc_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	return code;
}

void
kc_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

_Noreturn void
kc_die(int code, const char *fmt, ...)
{
	char *t = kc_err_unhold();	/* the end: what was held is said too */
	va_list ap;

	if (t != NULL)
		fputs(t, stderr);
	free(t);
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	exit(code);
}

_Noreturn void
kc_usage(const char *text, int code)
{
	FILE *fp = code == KC_OK ? stdout : stderr;

	if (code == KC_OK) {
		fputs(text, fp);
		exit(kc_close_stdout());
	}
	/* on error only the first Usage: line, so the error is the message and that line */
	const char *end = strchr(text, '\n');
	fwrite(text, 1, end != NULL ? (size_t)(end - text) + 1 : strlen(text), fp);
	exit(code);
}
