/* file.c - reading whole files, atomic writes */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc.h"

int
kc_read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	int fd, e = 0;
	struct stat st;
	size_t n = 0, cap = 4096;
	unsigned char *b;
	ssize_t r;

	*buf = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		e = errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		e = EISDIR;
		goto out;
	}
	b = kc_xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= max + 1) {
				e = EFBIG;
				kc_wipe_free(b, cap);
				goto out;
			}
			/* grow by copying, so no unwiped copy of a secret stays in freed memory */
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			unsigned char *nb = kc_xmalloc(ncap);

			memcpy(nb, b, n);
			kc_wipe_free(b, cap);
			b = nb;
			cap = ncap;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			kc_wipe_free(b, cap);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return e;
}

int
kc_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Temp files are named .kc-tmp.PID.XXXXXX: a run killed before it could clean up (kill -9,
 * a crash, power loss) leaves one, and the next write into that folder removes it once no
 * process PID exists. Only our own regular files are touched, never followed symlinks. */
void
kc_sweep_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		const char *p = e->d_name;
		char *end;
		long pid;

		if (strncmp(p, ".kc-tmp.", 8) != 0)
			continue;
		errno = 0;
		pid = strtol(p + 8, &end, 10);
		if (errno != 0 || end == p + 8 || pid < 1 || *end != '.' || strlen(end) != 7 ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (fstatat(dirfd(d), p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid())
			(void)unlinkat(dirfd(d), p, 0);
	}
	closedir(d);
}

int
kc_write_atomic(const char *path, const void *buf, size_t len, mode_t mode, int exclusive)
{
	char *copy = kc_xstrdup(path), *tmp = NULL;
	const char *dir = dirname(copy);
	int fd = -1, dfd = -1, rc = KC_ESYS, e;

	kc_sweep_tmp(dir);
	tmp = kc_xasprintf("%s/.kc-tmp.%ld.XXXXXX", dir, (long)getpid());
	if ((fd = mkstemp(tmp)) < 0) {
		kc_err(KC_ESYS, "cannot create a file in '%s':", dir);
		goto fail;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		kc_err(KC_ESYS, "cannot write '%s':", path);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		kc_err(KC_ESYS, "cannot write '%s':", path);
		goto fail;
	}
	fd = -1;
	if (exclusive) {
		/* link() never replaces: the existing file wins a race */
		if (link(tmp, path) != 0) {
			e = errno;
			if (e == EEXIST)
				rc = KC_EINPUT;
			else
				kc_err(KC_ESYS, "cannot create '%s':", path);
			unlink(tmp);
			errno = e;
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		kc_err(KC_ESYS, "cannot replace '%s':", path);
		goto fail;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = KC_OK;
	goto out;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	errno = e;
out:
	free(tmp);
	free(copy);
	return rc;
}
