/* SPDX-License-Identifier: ISC */
/*
 * The jail's root tree (--root DIR, "/" by default) as the jail will see
 * it, looked up from the host before the clone: every path is resolved
 * with RESOLVE_IN_ROOT, so an absolute symlink in the tree means the
 * tree's file, not the host's (a path under a --bind is looked up in its
 * source where that matters).  Used to report every missing mount point
 * at once, to pick a shell the tree has, and to read the tree's name
 * service files.  Trusts nothing in the tree but its being the caller's to
 * read.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/* The directories mnt_build_root mounts on, and the writable ones. */
static const char *const std_points[] = {
	"/proc", "/sys", "/dev", "/tmp", "/var/tmp", "/run"
};
static const char *const std_tmpfs[] = { "/dev", "/tmp", "/var/tmp", "/run" };

/* path (absolute, as inside) opened in root; -1 with errno. */
int
tree_open(const char *root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int rootfd, fd, saved;

	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	saved = errno;
	(void)close(rootfd);
	errno = saved;
	return fd;
}

/* stat of path inside root; -1 with errno. */
int
tree_stat(const char *root, const char *path, struct stat *st)
{
	int fd, r;

	if ((fd = tree_open(root, path, O_PATH)) == -1)
		return -1;
	r = fstat(fd, st);
	(void)close(fd);
	return r;
}

/*
 * If dir is path or one of its ancestors, compared as the kernel reads
 * them ("/run/./h/" is "/run/h"): the rest of path under dir, in buf
 * ("" or from a '/'); else NULL.
 */
static const char *
path_under(const char *path, const char *dir, char buf[PATH_MAX])
{
	char d[PATH_MAX];
	size_t n;

	if (str_copy(buf, path, PATH_MAX) >= PATH_MAX ||
	    str_copy(d, dir, sizeof(d)) >= sizeof(d))
		return NULL;
	path_lexical(buf);
	path_lexical(d);
	n = strcmp(d, "/") == 0 ? 0 : strlen(d);
	if (strncmp(buf, d, n) != 0 || (buf[n] != '\0' && buf[n] != '/'))
		return NULL;
	return buf + n;
}

/* dir is path or one of its ancestors, compared as path_under does. */
int
tree_is_under(const char *path, const char *dir)
{
	char buf[PATH_MAX];

	return path_under(path, dir, buf) != NULL;
}

/*
 * A --bind, --ro-bind or --tmpfs destination that the jail cannot make:
 * missing in the read-only tree, and under no tmpfs or earlier mount of
 * the command line (where mnt_build_root can make it, or the source
 * decides).
 */
static int
cannot_make(const struct opts *o, size_t idx)
{
	const char *dst = o->mnts[idx].dst;
	struct stat st;
	size_t i;

	if (tree_stat(o->root, dst, &st) == 0)
		return 0;
	for (i = 0; i < NELEM(std_tmpfs); i++)
		if (tree_is_under(dst, std_tmpfs[i]))
			return 0;
	for (i = 0; i < idx; i++)
		if (tree_is_under(dst, o->mnts[i].dst))
			return 0;
	return 1;
}

static void
add_missing(char *buf, size_t len, const char *path, int *n)
{
	(void)str_append(buf, " ", len);
	if (str_append(buf, path, len) >= len)
		errx(EXIT_CAPJAIL, "too many missing mount points in %s",
		    buf);
	(*n)++;
}

/* Every mount point the jail needs and the tree lacks, in one message. */
void
tree_check_mountpoints(const struct opts *o)
{
	char missing[1024] = "";
	struct stat st;
	size_t i;
	int n = 0;

	for (i = 0; i < NELEM(std_points); i++)
		if (tree_stat(o->root, std_points[i], &st) == -1 ||
		    !S_ISDIR(st.st_mode))
			add_missing(missing, sizeof(missing), std_points[i],
			    &n);
	for (i = 0; i < o->nmnts; i++)
		if (cannot_make(o, i))
			add_missing(missing, sizeof(missing), o->mnts[i].dst,
			    &n);
	if (n == 1)
		errx(EXIT_CAPJAIL, "mount point%s does not exist and cannot be "
		    "made in the read-only root %s (create it there, or mount "
		    "a --tmpfs above it)", missing, o->root);
	if (n > 1)
		errx(EXIT_CAPJAIL, "mount points%s do not exist and cannot be "
		    "made in the read-only root %s (create them there, or "
		    "mount a --tmpfs above them)", missing, o->root);
}

/*
 * An executable regular file at path as the jail will have it: in the
 * source of the last --bind or --ro-bind above it, else in the tree.
 */
int
tree_has_command(const struct opts *o, const char *path)
{
	char host[PATH_MAX], buf[PATH_MAX];
	const char *rest;
	struct stat st;
	size_t i;
	int r;

	for (i = o->nmnts; i-- > 0;) {
		if ((rest = path_under(path, o->mnts[i].dst, buf)) == NULL)
			continue;
		if (o->mnts[i].kind == MNT_TMPFS ||
		    (size_t)snprintf(host, sizeof(host), "%s/%s",
		    o->mnts[i].src, rest) >= sizeof(host))
			return 0;
		r = stat(host, &st);
		return r == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
	}
	return tree_stat(o->root, path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 0111) != 0;
}

/* The first max bytes of a regular file in the tree, NUL-ended; or NULL. */
char *
tree_read(const char *root, const char *path, size_t max)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = tree_open(root, path, O_RDONLY | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (buf = malloc(max + 1)) == NULL) {
		(void)close(fd);
		return NULL;
	}
	while (len < max && ((n = read(fd, buf + len, max - len)) > 0 ||
	    (n == -1 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	(void)close(fd);
	buf[len] = '\0';
	return buf;
}
