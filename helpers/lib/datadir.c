/* datadir.c - where kc's data (templates, static files) lives (CONTRACTS.md section 1) */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc.h"

#ifndef KC_DATADIR
#define KC_DATADIR "/usr/local/share/kc"
#endif

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* the folder holding the running executable, or NULL */
static char *
exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= sizeof buf - 1)
		return NULL;
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL)
		return NULL;
	*slash = '\0';
	return kc_xstrdup(buf[0] != '\0' ? buf : "/");
}

char *
kc_datadir(void)
{
	static const char *const rel[] = { "../share/kc", "../../share/kc" };
	const char *env = getenv("KC_DATADIR");
	char *dir, *p;
	size_t i;

	if (env != NULL && *env != '\0')
		return kc_xstrdup(env);
	if ((dir = exe_dir()) != NULL) {
		for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
			p = kc_xasprintf("%s/%s", dir, rel[i]);
			if (is_dir(p)) {
				free(dir);
				return p;
			}
			free(p);
		}
		free(dir);
	}
	return kc_xstrdup(KC_DATADIR);
}
