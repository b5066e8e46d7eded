/* kc-killshim.c - test-only LD_PRELOAD shim: SIGKILL a helper at one step of an atomic write.
 *
 * KC_KILLSHIM=WHEN-CALL, WHEN one of before, after, mid (write only: half the bytes, then the
 * kill) and CALL one of write, fsync, rename, link: the process raises SIGKILL on itself at
 * that point of its first such call on a kc temp file (a name starting with .kc-tmp.), so
 * tests see what a crash or power cut there leaves behind. Unset: the calls pass through.
 * Built by test/faults.bats: cc -shared -fPIC -o kc-killshim.so kc-killshim.c -ldl
 * Never installed, never linked into kc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
tmp_name(const char *path)
{
	const char *base;

	if (path == NULL)
		return 0;
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	return strncmp(base, ".kc-tmp.", 8) == 0;
}

static int
tmp_fd(int fd)
{
	char link[64], path[4096];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) < 0)
		return 0;
	path[n] = '\0';
	return tmp_name(path);
}

static int
wanted(const char *when, const char *call)
{
	const char *s = getenv("KC_KILLSHIM");
	size_t n = strlen(when);

	return s != NULL && strncmp(s, when, n) == 0 && s[n] == '-' && strcmp(s + n + 1, call) == 0;
}

static void
kill_if(int hit, const char *when, const char *call)
{
	if (hit && wanted(when, call))
		raise(SIGKILL);
}

static void *
next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL)
		abort();
	return f;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	ssize_t (*real)(int, const void *, size_t) = next("write");
	int hit = tmp_fd(fd);
	ssize_t r;

	kill_if(hit, "before", "write");
	if (hit && n > 1 && wanted("mid", "write")) {
		(void)real(fd, buf, n / 2);
		raise(SIGKILL);
	}
	r = real(fd, buf, n);
	kill_if(hit, "after", "write");
	return r;
}

int
fsync(int fd)
{
	int (*real)(int) = next("fsync");
	int hit = tmp_fd(fd), r;

	kill_if(hit, "before", "fsync");
	r = real(fd);
	kill_if(hit, "after", "fsync");
	return r;
}

int
rename(const char *from, const char *to)
{
	int (*real)(const char *, const char *) = next("rename");
	int hit = tmp_name(from), r;

	kill_if(hit, "before", "rename");
	r = real(from, to);
	kill_if(hit, "after", "rename");
	return r;
}

int
link(const char *from, const char *to)
{
	int (*real)(const char *, const char *) = next("link");
	int hit = tmp_name(from), r;

	kill_if(hit, "before", "link");
	r = real(from, to);
	kill_if(hit, "after", "link");
	return r;
}
