/* SPDX-License-Identifier: ISC */
/*
 * Where a user's jail records live: $XDG_RUNTIME_DIR/capjail, else
 * /run/user/UID/capjail, else /tmp/capjail-UID.  The directory is opened
 * once, without following a symlink, and used through its fd only; it must
 * be the caller's own and closed to everyone else, or capjail refuses it:
 * in /tmp another user can plant a directory or a link under that name, and
 * nothing in one may steer --join or --stop.  Such a directory is refused
 * for records; a jail still runs, without one.  Trusts nothing in the path.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/* A base directory that is ours and writable by us alone, or -1. */
static int
own_base(const char *path)
{
	struct stat st;
	int fd;

	if (path == NULL || path[0] != '/')
		return -1;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_uid != getuid() ||
	    (st.st_mode & 022) != 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* A record directory we must not use: fatal for --list, --join, --stop. */
static int
unsafe(int create, const char *why)
{
	if (!create)
		errx(EXIT_CAPJAIL, "%s", why);
	notice("%s; this jail runs without a record (no --list, --join, "
	    "--stop)", why);
	return -1;
}

/*
 * name in base: made 0700 if create, then opened with O_NOFOLLOW and
 * checked.  Returns the fd, or -1 when it does not exist and !create, or
 * when it is unsafe and create (a planted directory must not stop the
 * user from running jails, only from keeping records in it).
 */
static int
private_dir(int base, const char *name, const char *shown, int create)
{
	char why[PATH_MAX + 96];
	struct stat st;
	int fd;

	if (create && mkdirat(base, name, 0700) == -1 && errno != EEXIST)
		err(EXIT_CAPJAIL, "%s", shown);
	/* O_PATH: a directory we may not read is still ours to judge. */
	fd = openat(base, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && !create)
		return -1;
	if (fd == -1 && (errno == ELOOP || errno == ENOTDIR)) {
		(void)snprintf(why, sizeof(why), "%s: not a directory "
		    "(another user's link?): remove it", shown);
		return unsafe(create, why);
	}
	if (fd == -1 || fstat(fd, &st) == -1)
		err(EXIT_CAPJAIL, "%s", shown);
	if (st.st_uid != getuid())
		(void)snprintf(why, sizeof(why), "%s: owned by uid %u, not "
		    "by you: remove it", shown, (unsigned int)st.st_uid);
	else if ((st.st_mode & 077) != 0)
		(void)snprintf(why, sizeof(why), "%s: open to other users "
		    "(mode %03o): chmod 700 it", shown,
		    (unsigned int)(st.st_mode & 0777));
	else
		return fd;
	(void)close(fd);
	return unsafe(create, why);
}

static char recdir_path[PATH_MAX];	/* as opened, for recdir_hide */

/*
 * recdir_hide's paths, here rather than a PATH_MAX array each in struct
 * opts: that was 32 KiB of main's stack frame, and the stack probes
 * fault in every page of it (see fmt_ulong) for the one or two paths
 * there usually are.  Static pages are faulted in only where written.
 */
static char hide_path[HIDE_MAX][PATH_MAX];

/*
 * Where the jail would see the record directory (it holds the join socket
 * of every jail of the user: a jail that reached one could join another):
 * its own path when the root is the host's, and under every --bind or
 * --ro-bind whose source holds it.  The child mounts an empty read-only
 * tmpfs on each (mnt_hide).  Returns how many; where there are more than
 * HIDE_MAX, or one is too long a path to mount on, refuses the jail.
 */
size_t
recdir_hide(const struct opts *o, char *out[HIDE_MAX])
{
	char rec[PATH_MAX], src[PATH_MAX];
	size_t i, n, k = 0;

	if (recdir_path[0] == '\0')
		return 0;
	/* A record directory there but not resolved: nothing could be
	 * hidden, so no jail. */
	if (realpath(recdir_path, rec) == NULL)
		err(EXIT_CAPJAIL, "the record directory %s cannot be hidden "
		    "from the jail; use a shorter XDG_RUNTIME_DIR",
		    recdir_path);
	if (strcmp(o->root, "/") == 0)
		(void)str_copy(hide_path[k++], rec, PATH_MAX);
	for (i = 0; i < o->nmnts; i++) {
		if (o->mnts[i].kind == MNT_TMPFS ||
		    realpath(o->mnts[i].src, src) == NULL)
			continue;
		n = strcmp(src, "/") == 0 ? 0 : strlen(src);
		if (strncmp(rec, src, n) != 0 ||
		    (rec[n] != '/' && rec[n] != '\0'))
			continue;
		if (k == HIDE_MAX || (size_t)snprintf(hide_path[k], PATH_MAX,
		    "%s%s", o->mnts[i].dst, rec + n) >= PATH_MAX)
			errx(EXIT_CAPJAIL, "--%s %s:%s: the jail would see "
			    "the record directory %s, and capjail hides it at "
			    "%d places at most, each shorter than PATH_MAX: "
			    "bind fewer directories that hold it",
			    o->mnts[i].kind == MNT_BIND ? "bind" : "ro-bind",
			    o->mnts[i].src, o->mnts[i].dst, rec, HIDE_MAX);
		/* As the bind lands: "dst/y/.." is dst once y is a mount. */
		path_lexical(hide_path[k++]);
	}
	for (i = 0; i < k; i++)
		out[i] = hide_path[i];
	return k;
}

/*
 * The record directory's fd; with create, made if missing (-1 if unsafe).
 * Without create, -1 when there is none (so no jail of ours runs).
 */
int
recdir_open(int create)
{
	char run[32], shown[PATH_MAX], name[32];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int base, fd;

	(void)snprintf(run, sizeof(run), "/run/user/%u",
	    (unsigned int)getuid());
	(void)snprintf(name, sizeof(name), "capjail");
	if ((base = own_base(xdg)) != -1)
		(void)snprintf(shown, sizeof(shown), "%s/capjail", xdg);
	else if ((base = own_base(run)) != -1)
		(void)snprintf(shown, sizeof(shown), "%s/capjail", run);
	else {
		if ((base = open("/tmp", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			err(EXIT_CAPJAIL, "/tmp");
		(void)snprintf(name, sizeof(name), "capjail-%u",
		    (unsigned int)getuid());
		(void)snprintf(shown, sizeof(shown), "/tmp/%s", name);
	}
	fd = private_dir(base, name, shown, create);
	(void)close(base);
	if (fd != -1)
		(void)str_copy(recdir_path, shown, sizeof(recdir_path));
	return fd;
}
