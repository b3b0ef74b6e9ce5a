/* SPDX-License-Identifier: ISC */
/*
 * The jail's filesystem, built by the child in its own mount namespace:
 * detached clones (open_tree) of the root, the bind sources and the device
 * nodes are taken while host paths still mean the host; the root clone is
 * made read-only recursively in one mount_setattr (Linux 5.12); then
 * pivot_root into it and detach the old root, so every later path is
 * resolved inside the jail.  Trusts the caller's options; the host paths
 * they name are the caller's to read anyway.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/* Where the new root is attached before pivot_root: any host directory. */
#define STAGE_DIR	"/tmp"

static const char *const dev_nodes[] = {
	"null", "zero", "full", "random", "urandom", "tty"
};
#define NDEV	(sizeof(dev_nodes) / sizeof(dev_nodes[0]))

/* "/dev/NAME", without printf: this is the child (see fmt_ulong). */
static void
dev_path(char *path, size_t size, const char *name)
{
	(void)str_copy(path, "/dev/", size);
	(void)str_append(path, name, size);
}

/*
 * proc and sysfs are created before pivot_root, as detached mounts: the
 * kernel lets a user namespace mount them only while a fully visible
 * instance exists in the mount namespace (mount_too_revealing), and with
 * --root the host's go away with the old root.  proc shows the PID
 * namespace, sysfs the network namespace, of whoever creates them.
 */
static const struct kernel_fs {
	const char	*path;
	const char	*type;
	unsigned int	 attrs;
} kernel_fs[] = {
	{ "/proc", "proc",
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC },
	{ "/sys", "sysfs", MOUNT_ATTR_RDONLY |
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC },
};
#define NKFS	(sizeof(kernel_fs) / sizeof(kernel_fs[0]))

/*
 * The jail's tmpfs mounts, in this order after pivot_root, then devpts;
 * own: a dangling /etc link may lead into it (dns.c makes files there).
 */
#define TMPFS_ATTRS	(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
static const struct jail_tmpfs {
	const char	*path;
	const char	*mode;
	unsigned int	 attrs;
	int		 own;
} jail_tmpfs[] = {
	{ "/tmp", "1777", TMPFS_ATTRS, 1 },
	{ "/var/tmp", "1777", TMPFS_ATTRS, 1 },
	{ "/run", "0755", TMPFS_ATTRS, 1 },
	{ "/dev", "0755", MOUNT_ATTR_NOSUID, 0 },
	{ "/dev/shm", "1777", TMPFS_ATTRS, 1 },
};

static const struct dev_link {
	const char	*path;
	const char	*target;
} dev_links[] = {
	{ "/dev/ptmx", "pts/ptmx" },
	{ "/dev/fd", "/proc/self/fd" },
	{ "/dev/stdin", "/proc/self/fd/0" },
	{ "/dev/stdout", "/proc/self/fd/1" },
	{ "/dev/stderr", "/proc/self/fd/2" },
};

/*
 * A private, detached copy of path under dirfd (path "": dirfd itself)
 * with attrs set on every mount in it.
 */
int
mnt_clone(int dirfd, const char *path, uint64_t attrs, int recursive)
{
	struct mount_attr a = { .attr_set = attrs, .propagation = MS_PRIVATE };
	int fd, saved;

	fd = open_tree(dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    (recursive ? AT_RECURSIVE : 0) |
	    (*path == '\0' ? AT_EMPTY_PATH : 0));
	if (fd == -1)
		return -1;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a,
	    sizeof(a)) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* A new, detached instance of a filesystem: its mode, if not NULL. */
static int
new_fs(const char *type, const char *mode, unsigned int attrs)
{
	int fsfd, fd, saved;

	if ((fsfd = fsopen(type, FSOPEN_CLOEXEC)) == -1)
		return -1;
	if ((mode != NULL && fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", mode,
	    0) == -1) || fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == -1)
		fd = -1;
	else
		fd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	saved = errno;
	(void)close(fsfd);
	errno = saved;
	return fd;
}

static void
clone_sources(struct opts *o, int devfd[NDEV], int kfd[NKFS])
{
	char path[32];
	size_t i;

	for (i = 0; i < NKFS; i++)
		if ((kfd[i] = new_fs(kernel_fs[i].type, NULL,
		    kernel_fs[i].attrs)) == -1)
			err(EXIT_CAPJAIL, "new %s", kernel_fs[i].type);

	for (i = 0; i < o->nmnts; i++) {
		struct mnt_req *m = &o->mnts[i];

		if (m->kind == MNT_TMPFS)
			continue;
		m->fd = mnt_clone(AT_FDCWD, m->src, m->kind == MNT_RO_BIND ?
		    MOUNT_ATTR_RDONLY : 0, 1);
		if (m->fd == -1)
			err(EXIT_CAPJAIL, "--%s %s", m->kind == MNT_BIND ?
			    "bind" : "ro-bind", m->src);
	}
	for (i = 0; i < NDEV; i++) {
		dev_path(path, sizeof(path), dev_nodes[i]);
		if ((devfd[i] = mnt_clone(AT_FDCWD, path, 0, 0)) == -1)
			err(EXIT_CAPJAIL, "%s", path);
	}
}

/*
 * pivot_root(".", ".") stacks the old root on the new one; unmounting "."
 * then takes the top one, the old root, and everything under it
 * (the runc way: no directory for the old root is needed in a read-only
 * root).
 */
static void
enter_root(int rootfd)
{
	if (move_mount(rootfd, "", AT_FDCWD, STAGE_DIR,
	    MOVE_MOUNT_F_EMPTY_PATH) == -1)
		err(EXIT_CAPJAIL, "move_mount new root");
	(void)close(rootfd);
	if (chdir(STAGE_DIR) == -1)
		err(EXIT_CAPJAIL, "chdir new root");
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		err(EXIT_CAPJAIL, "pivot_root");
	if (umount2(".", MNT_DETACH) == -1)
		err(EXIT_CAPJAIL, "detach old root");
	if (chdir("/") == -1)
		err(EXIT_CAPJAIL, "chdir /");
}

/*
 * A new tmpfs on path (a symlink there is followed, as by mount(2)).
 * Returns the mount's fd, or -1 with errno.  dns.c knows the jail's own
 * tmpfs by these fds, never by a second look-up of path, which could
 * reach another file system (a magic link, a rename in the tree); held,
 * they keep each tmpfs's device number from going to another mount.
 */
static int
put_tmpfs(const char *path, const char *mode, unsigned int attrs)
{
	int fd, saved;

	if ((fd = new_fs("tmpfs", mode, attrs)) == -1)
		return -1;
	if (move_mount(fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH |
	    MOVE_MOUNT_T_SYMLINKS) == 0)
		return fd;
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

/*
 * The kernel's file systems and the jail's tmpfs mounts; those a dangling
 * /etc link may lead into go to df (dns.c makes files only on them).
 */
static void
mount_std(const int kfd[NKFS], struct dns_files *df)
{
	struct stat st;
	size_t i;
	int fd;

	for (i = 0; i < NKFS; i++) {
		if (move_mount(kfd[i], "", AT_FDCWD, kernel_fs[i].path,
		    MOVE_MOUNT_F_EMPTY_PATH) == -1)
			err(EXIT_CAPJAIL, "mount %s on %s", kernel_fs[i].type,
			    kernel_fs[i].path);
		(void)close(kfd[i]);
	}
	for (i = 0; i < NELEM(jail_tmpfs); i++) {
		const struct jail_tmpfs *t = &jail_tmpfs[i];

		if (strncmp(t->path, "/dev/", 5) == 0 &&
		    mkdir(t->path, 0755) == -1)
			err(EXIT_CAPJAIL, "mkdir %s", t->path);
		if ((fd = put_tmpfs(t->path, t->mode, t->attrs)) == -1)
			err(EXIT_CAPJAIL, "mount tmpfs on %s", t->path);
		if (t->own)
			df->tmpfs[df->ntmpfs++] = fd;
		else
			(void)close(fd);
	}
	if (mkdir("/dev/pts", 0755) == -1 || mount("devpts", "/dev/pts",
	    "devpts", MS_NOSUID | MS_NOEXEC,
	    "newinstance,ptmxmode=0666,mode=620") == -1)
		err(EXIT_CAPJAIL, "mount devpts on /dev/pts");
	/* /var/run is usually a link to /run; a real directory gets it too. */
	if (lstat("/var/run", &st) == 0 && S_ISDIR(st.st_mode) &&
	    mount("/run", "/var/run", NULL, MS_BIND, NULL) == -1)
		err(EXIT_CAPJAIL, "bind /run on /var/run");
}

/* Device nodes cannot be made in a user namespace: bind the host's. */
static void
build_dev(const int devfd[NDEV])
{
	char path[32];
	size_t i;
	int fd;

	for (i = 0; i < NDEV; i++) {
		dev_path(path, sizeof(path), dev_nodes[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd == -1)
			err(EXIT_CAPJAIL, "create %s", path);
		(void)close(fd);
		if (move_mount(devfd[i], "", AT_FDCWD, path,
		    MOVE_MOUNT_F_EMPTY_PATH) == -1)
			err(EXIT_CAPJAIL, "bind %s", path);
		(void)close(devfd[i]);
	}
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlink(dev_links[i].target, dev_links[i].path) == -1)
			err(EXIT_CAPJAIL, "symlink %s", dev_links[i].path);
}

static void __attribute__((noreturn))
no_mountpoint(const char *dst)
{
	if (errno == EROFS)
		errx(EXIT_CAPJAIL, "mount point %s does not exist and cannot "
		    "be made in the read-only root (use an existing directory, "
		    "or one under a --tmpfs)", dst);
	err(EXIT_CAPJAIL, "mount point %s", dst);
}

/*
 * mkdir -p for a mount point, or an empty file for a file bind; 0, or -1
 * with errno.
 */
static int
mnt_make_point(const char *dst, int isdir)
{
	char path[PATH_MAX], *p;
	struct stat st;
	int fd;

	if (stat(dst, &st) == 0)
		return 0;
	if (str_copy(path, dst, sizeof(path)) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (isdir)
		return mkdir(path, 0755) == -1 && errno != EEXIST ? -1 : 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1)
		return errno == EEXIST ? 0 : -1;
	(void)close(fd);
	return 0;
}

static void
apply_mount(struct mnt_req *m, struct dns_files *df)
{
	struct stat st;

	if (m->kind == MNT_TMPFS) {
		vlog("tmpfs on %s", m->dst);
		if (mnt_make_point(m->dst, 1) == -1)
			no_mountpoint(m->dst);
		if ((df->tmpfs[df->ntmpfs] = put_tmpfs(m->dst, "0755",
		    TMPFS_ATTRS)) == -1)
			err(EXIT_CAPJAIL, "--tmpfs %s", m->dst);
		df->ntmpfs++;
		return;
	}
	vlog("%s %s on %s", m->kind == MNT_BIND ? "bind" : "ro-bind", m->src,
	    m->dst);
	if (fstat(m->fd, &st) == -1)
		err(EXIT_CAPJAIL, "fstat %s", m->src);
	if (mnt_make_point(m->dst, S_ISDIR(st.st_mode)) == -1)
		no_mountpoint(m->dst);
	if (move_mount(m->fd, "", AT_FDCWD, m->dst,
	    MOVE_MOUNT_F_EMPTY_PATH) == -1)
		err(EXIT_CAPJAIL, "--%s %s:%s", m->kind == MNT_BIND ? "bind" :
		    "ro-bind", m->src, m->dst);
	(void)close(m->fd);
}

static void
enter_cwd(const struct opts *o)
{
	if (o->chdir != NULL) {
		if (chdir(o->chdir) == -1)
			err(EXIT_CAPJAIL, "--chdir %s", o->chdir);
		return;
	}
	if (o->cwd != NULL && chdir(o->cwd) == 0)
		return;
	vlog("%s is not in the jail: starting in /", o->cwd ? o->cwd : "cwd");
	if (chdir("/") == -1)
		err(EXIT_CAPJAIL, "chdir /");
}

/*
 * An empty read-only tmpfs wherever the jail would see the record
 * directory (recdir_hide): its join sockets are for the host only.
 */
void
mnt_hide(const struct opts *o)
{
	struct stat st;
	size_t i;

	for (i = 0; i < o->nhide; i++) {
		if (stat(o->hide[i], &st) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if (mount("tmpfs", o->hide[i], "tmpfs", MS_RDONLY | MS_NOSUID |
		    MS_NODEV | MS_NOEXEC, "size=4k,mode=0500") == -1)
			err(EXIT_CAPJAIL, "hide %s in the jail", o->hide[i]);
		vlog("hid %s (the record directory)", o->hide[i]);
	}
}

/*
 * In the parent, before the clone: room for every tmpfs mount_std and
 * apply_mount make.  The child's first malloc would fault in pages of
 * the allocator's (see fmt_ulong); it inherits this one.
 */
void
mnt_prepare(const struct opts *o, struct dns_files *df)
{
	if ((df->tmpfs = calloc(NELEM(jail_tmpfs) + o->nmnts,
	    sizeof(df->tmpfs[0]))) == NULL)
		err(EXIT_CAPJAIL, "calloc");
	df->ntmpfs = 0;
}

void
mnt_build_root(struct opts *o, struct dns_files *df)
{
	int rootfd, devfd[NDEV], kfd[NKFS];
	size_t i;

	vlog("mount: / private; %s read-only as the new root", o->root);
	/* Nothing we mount may propagate back to the host, or in. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(EXIT_CAPJAIL, "make / private");
	rootfd = mnt_clone(AT_FDCWD, o->root, MOUNT_ATTR_RDONLY |
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 1);
	if (rootfd == -1)
		err(EXIT_CAPJAIL, "--root %s", o->root);
	clone_sources(o, devfd, kfd);
	enter_root(rootfd);
	vlog("mount: /proc, /sys, tmpfs /tmp /var/tmp /run, minimal /dev");
	mount_std(kfd, df);
	build_dev(devfd);
	/* While /dev is surely the jail's own tmpfs: no user mount yet. */
	dns_stage(o, df);
	for (i = 0; i < o->nmnts; i++)
		apply_mount(&o->mnts[i], df);
	enter_cwd(o);
}
