/* SPDX-License-Identifier: ISC */
/*
 * Name resolution inside the jail.  Before the clone, the launcher reads
 * the root tree's /etc/hosts and, for a networked jail, chooses its name
 * servers: --dns if given, else the tree's /etc/resolv.conf, where loopback
 * servers (systemd-resolved listening on 127.0.0.53 is the common case) are
 * the jail's own loopback and useless, so the upstream ones of
 * /run/systemd/resolve/resolv.conf are taken instead, as podman does; the
 * jail routes IPv4 only, so IPv6 servers are dropped too.  In the child,
 * the texts go to files on the jail's own /dev tmpfs, bound read-only
 * onto /etc/hosts and /etc/resolv.conf, then unlinked.  The target of a
 * dangling symlink there is made first, but only in directories on a
 * tmpfs capjail made for the jail (/run, a --tmpfs), each judged by its
 * device as the kernel's lookup reaches it, never by its name: nothing
 * is written in the host's files or in a directory bound from the host,
 * whatever symlinks the tree has on the way (/var/run -> /run).  Trusts
 * nothing in the files it reads beyond their being the caller's to
 * read.
 */
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

#define FILE_MAX	65536		/* read at most this of a file */

/* Where the name servers may come from, in order of preference. */
static const char *const resolv_files[] = {
	"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"
};
#define NRESOLV		(sizeof(resolv_files) / sizeof(resolv_files[0]))

struct resolv {
	char	servers[256];	/* "nameserver A\n" lines */
	char	other[1024];	/* search, domain, options of the first file */
	int	have_other;
};

/* The address of a "nameserver" line that the jail can reach, or 0. */
static uint32_t
usable_server(char *line)
{
	struct in_addr in;
	char *p = line + strlen("nameserver");

	p += strspn(p, " \t");
	p[strcspn(p, " \t#;")] = '\0';
	if (inet_pton(AF_INET, p, &in) != 1 || in.s_addr == INADDR_ANY ||
	    (ntohl(in.s_addr) >> 24) == 127)
		return 0;
	return in.s_addr;
}

static void
add_server(struct resolv *r, uint32_t addr)
{
	struct in_addr in = { .s_addr = addr };
	char line[32];

	(void)snprintf(line, sizeof(line), "nameserver %s\n", inet_ntoa(in));
	(void)str_append(r->servers, line, sizeof(r->servers));
}

/* One file: its usable servers if take, its other settings if first. */
static void
parse_resolv(struct resolv *r, char *text, int take)
{
	char *line, *s = text;
	uint32_t a;

	while ((line = strsep(&s, "\n")) != NULL) {
		if (strncmp(line, "nameserver", 10) == 0) {
			if (take && (a = usable_server(line)) != 0)
				add_server(r, a);
		} else if (!r->have_other && (strncmp(line, "search", 6) == 0 ||
		    strncmp(line, "domain", 6) == 0 ||
		    strncmp(line, "options", 7) == 0)) {
			(void)str_append(r->other, line, sizeof(r->other));
			(void)str_append(r->other, "\n", sizeof(r->other));
		}
	}
}

/*
 * The root tree's files first; with --root, then the host's.  With --dns
 * the servers are chosen already, and only the settings are read.
 */
static void
find_servers(const struct opts *o, struct resolv *r)
{
	const char *roots[2] = { o->root, "/" };
	size_t nroots = strcmp(o->root, "/") == 0 ? 1 : 2, i, j;
	char *text;

	for (i = 0; i < nroots; i++)
		for (j = 0; j < NRESOLV; j++) {
			if (r->servers[0] != '\0' && r->have_other)
				return;
			if ((text = tree_read(roots[i], resolv_files[j],
			    FILE_MAX)) == NULL)
				continue;
			vlog("dns: reading %s in %s", resolv_files[j],
			    roots[i]);
			parse_resolv(r, text, r->servers[0] == '\0');
			r->have_other = 1;
			free(text);
		}
}

static char *
build_resolv(const struct opts *o)
{
	struct resolv r;
	char *text;
	size_t i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < o->ndns; i++)
		add_server(&r, o->dns[i]);
	find_servers(o, &r);
	if (r.servers[0] == '\0')
		notice("no name server the jail can reach in %s/etc/resolv.conf "
		    "(only loopback or IPv6 ones): name one with --dns ADDR",
		    strcmp(o->root, "/") == 0 ? "" : o->root);
	if (asprintf(&text, "# written by capjail\n%s%s", r.servers,
	    r.other) == -1)
		err(EXIT_CAPJAIL, "asprintf");
	return text;
}

/* Before the clone: read what the child will need from the tree. */
void
dns_prepare(struct opts *o)
{
	o->hosts = tree_read(o->root, "/etc/hosts", FILE_MAX);
	if (o->bridge != NULL)
		o->resolv = build_resolv(o);
}

/*
 * A --bind, --ro-bind or --tmpfs of the caller's already decides path
 * (compared as lexical paths: "/etc//hosts" and "/etc/./hosts" are
 * /etc/hosts).
 */
static int
user_mounted(const struct opts *o, const char *path)
{
	size_t i;

	for (i = 0; i < o->nmnts; i++)
		if (tree_is_under(path, o->mnts[i].dst))
			return 1;
	return 0;
}

/*
 * Is the directory fd on a tmpfs capjail made for the jail, but /dev?
 * Asked of the mounts themselves (their fds, from mount.c).
 */
static int
own_tmpfs(const struct dns_files *df, int fd)
{
	struct stat st, t;
	size_t i;

	if (fstat(fd, &st) == -1)
		return 0;
	for (i = 0; i < df->ntmpfs; i++)
		if (fstat(df->tmpfs[i], &t) == 0 && t.st_dev == st.st_dev)
			return 1;
	return 0;
}

/* The tmpfs fds mount.c left for own_tmpfs: not needed after this. */
static void
release_tmpfs(struct dns_files *df)
{
	size_t i;

	for (i = 0; i < df->ntmpfs; i++)
		(void)close(df->tmpfs[i]);
	free(df->tmpfs);
	df->tmpfs = NULL;
	df->ntmpfs = 0;
}

/*
 * The directory name in dir, made if missing and dir is on a tmpfs of
 * the jail's own; -1 with errno (EROFS: not there).
 */
static int
own_dir(const struct dns_files *df, int dir, const char *name)
{
	int fd;

	if ((fd = openat(dir, name, O_PATH | O_DIRECTORY | O_CLOEXEC)) != -1 ||
	    errno != ENOENT)
		return fd;
	if (!own_tmpfs(df, dir)) {
		errno = EROFS;
		return -1;
	}
	if (mkdirat(dir, name, 0755) == -1 && errno != EEXIST)
		return -1;
	return openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * Make the file path (absolute, lexical) and the directories it needs,
 * each in a directory on a tmpfs of the jail's own.  The kernel looks up
 * one name at a time and each directory it reaches is judged by its
 * device, so no symlink on the way (/var/run -> /run) leads it into a
 * directory bound from the host, whatever the names say.
 */
static int
make_on_tmpfs(const struct dns_files *df, const char *path)
{
	char buf[PATH_MAX], *name, *slash;
	int dir, next, fd, r = -1;

	if (str_copy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	for (name = buf + 1; dir != -1 && (slash = strchr(name, '/')) != NULL;
	    name = slash + 1) {
		*slash = '\0';
		next = own_dir(df, dir, name);
		(void)close(dir);
		dir = next;
	}
	if (dir == -1)
		return -1;
	if (!own_tmpfs(df, dir))
		errno = EROFS;
	else if ((fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644)) != -1)
		r = close(fd);
	else if (errno == EEXIST)
		r = 0;
	(void)close(dir);
	return r;
}

/*
 * A dangling symlink at path (resolv.conf -> /run/systemd/...): make its
 * target, only where it lies on a tmpfs of the jail's own (never in a
 * directory bound from the host: nothing is written there).
 */
static int
make_link_target(const struct dns_files *df, const char *path)
{
	char cur[PATH_MAX], link[PATH_MAX], next[PATH_MAX], dir[PATH_MAX];
	ssize_t n;
	int hops;

	(void)str_copy(cur, path, sizeof(cur));
	for (hops = 0; hops < 8; hops++) {
		/* EINVAL: not a link; ENOENT: the end of the chain. */
		if ((n = readlink(cur, link, sizeof(link) - 1)) == -1) {
			if (errno != EINVAL && errno != ENOENT)
				return -1;
			return make_on_tmpfs(df, cur);
		}
		link[n] = '\0';
		(void)str_copy(dir, cur, sizeof(dir));
		if (link[0] == '/')
			(void)str_copy(next, link, sizeof(next));
		else if ((size_t)snprintf(next, sizeof(next), "%s/%s",
		    dirname(dir), link) >= sizeof(next))
			return -1;
		path_lexical(next);
		(void)str_copy(cur, next, sizeof(cur));
	}
	errno = ELOOP;
	return -1;
}

/*
 * Why the target t cannot take a staged file, or NULL.  Only a regular
 * file can (a tree's /etc/hosts -> /dev/null must not turn the jail's
 * /dev/null into a read-only text).  Nor one of the staged files, reached
 * through its name in /dev, /proc/self/fd/N or the bind already on
 * /etc/hosts: a mount there would make its name in /dev a mount point,
 * which no unlink removes.
 */
static const char *
unfit(const struct dns_files *df, int t)
{
	const struct dns_file *f[2] = { &df->hosts, &df->resolv };
	struct stat a, b;
	size_t i;

	if (fstat(t, &a) == -1)
		return strerror(errno);
	if (!S_ISREG(a.st_mode))
		return "it is not a regular file";
	for (i = 0; i < 2; i++)
		if (f[i]->fd != -1 && fstat(f[i]->fd, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return "it leads to a file capjail itself binds";
	return NULL;
}

/* The target, resolved once (the tree may change under us); -1 if none. */
static int
open_target(const struct dns_files *df, const char *path)
{
	int t;

	if ((t = open(path, O_PATH | O_CLOEXEC)) == -1 &&
	    make_link_target(df, path) == 0)
		t = open(path, O_PATH | O_CLOEXEC);
	return t;
}

/*
 * Write text to the staged file f and bind it read-only onto path: a
 * bind of the file itself (open_tree), so no staging directory is needed
 * where the caller may have mounted a read-only or a host directory.  The
 * target is checked and mounted on through one fd, never looked up twice.
 * Returns NULL, or why not.
 */
static const char *
place(const struct dns_files *df, const struct dns_file *f,
    const char *text, const char *path)
{
	const char *why;
	int t, tree;

	if (write(f->fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    (t = open_target(df, path)) == -1)
		return strerror(errno);
	if ((why = unfit(df, t)) == NULL) {
		if ((tree = mnt_clone(f->fd, "", MOUNT_ATTR_RDONLY |
		    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
		    0)) == -1 || move_mount(tree, "", t, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1)
			why = strerror(errno);
		if (tree != -1)
			(void)close(tree);
	}
	(void)close(t);
	if (why == NULL)
		vlog("dns: %s", path);
	return why;
}

/* The dotted quad of addr (network order), without printf. */
static const char *
ip4_text(char *buf, size_t size, uint32_t addr)
{
	uint32_t a = ntohl(addr);
	char *p = buf + size;
	int i;

	*--p = '\0';
	for (i = 0; i < 4; i++, a >>= 8) {
		if (i > 0)
			*--p = '.';
		p = fmt_ulong(p, a & 0xff);
	}
	return p;
}

/*
 * Create "/dev/.capjail-" and 12 random letters and digits, as mkostemp
 * would (a file of mode 0600, O_EXCL), with getrandom's names.  Not
 * mkostemp itself: glibc draws its names from the clock, and the clock's
 * first read in the child faults in pages of the vDSO (see fmt_ulong).
 * Where getrandom is refused (a caller's seccomp filter), mkostemp it is.
 */
static int
stage_create(char *name, size_t size)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[12];
	size_t i, len;
	int fd, tries;

	for (tries = 0; tries < 16; tries++) {
		if (getrandom(r, sizeof(r), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(r)) {
			(void)str_copy(name, "/dev/.capjail-XXXXXX", size);
			return mkostemp(name, O_CLOEXEC);
		}
		len = str_copy(name, "/dev/.capjail-", size);
		for (i = 0; i < sizeof(r) && len + i + 1 < size; i++)
			name[len + i] = set[r[i] % (sizeof(set) - 1)];
		name[len + i] = '\0';
		fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/*
 * A new file in the jail's /dev, named until it is bound (the kernel binds
 * no unlinked file) and named at random, so that no path the caller or
 * the tree gives can lead to it.  Nothing else runs in the jail yet.
 */
static void
stage_file(struct dns_file *f, const char *path)
{
	if ((f->fd = stage_create(f->name, sizeof(f->name))) != -1 &&
	    fchmod(f->fd, 0644) == 0)
		return;
	notice("dns: a file for %s on the jail's /dev: %s: it stays the "
	    "root's", path, strerror(errno));
	if (f->fd != -1) {
		(void)unlink(f->name);
		(void)close(f->fd);
		f->fd = -1;
	}
}

/*
 * In the child, right after the jail's own /dev tmpfs is made and before
 * any --bind or --tmpfs of the caller's could cover /dev: the files that
 * will be bound onto /etc/hosts and /etc/resolv.conf.  None for a file
 * the caller mounts over.
 */
void
dns_stage(const struct opts *o, struct dns_files *df)
{
	df->hosts.fd = df->resolv.fd = -1;
	if ((df->dir = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(EXIT_CAPJAIL, "dns: /dev");
	if (!user_mounted(o, "/etc/hosts"))
		stage_file(&df->hosts, "/etc/hosts");
	if (o->resolv != NULL && !user_mounted(o, "/etc/resolv.conf"))
		stage_file(&df->resolv, "/etc/resolv.conf");
}

/* Unlink a staged file's name, through the /dev it was made in. */
static void
unstage(const struct dns_files *df, struct dns_file *f)
{
	const char *base = f->name + strlen("/dev/");

	if (f->fd == -1)
		return;
	if (unlinkat(df->dir, base, 0) == -1)
		err(EXIT_CAPJAIL, "dns: removing %s from the jail's /dev",
		    base);
}

/*
 * In the child, after every mount and before the network, so that it is
 * done while the helper attaches the jail.  /etc/hosts is bound empty:
 * its text, which names the jail's address, comes from dns_hosts through
 * the returned file (-1: none).  A file the tree cannot take is a
 * warning: the jail still runs.  The names go from /dev either way.
 */
int
dns_install(const struct opts *o, struct dns_files *df)
{
	const char *why;
	int hosts = df->hosts.fd;

	if (hosts != -1 &&
	    (why = place(df, &df->hosts, "", "/etc/hosts")) != NULL) {
		/* A tree without /etc/hosts is a choice: only -v says it. */
		vlog("dns: /etc/hosts: %s: the hostname will not resolve",
		    why);
		hosts = -1;
	}
	if (df->resolv.fd != -1 && (why = place(df, &df->resolv,
	    o->resolv, "/etc/resolv.conf")) != NULL)
		notice("/etc/resolv.conf: %s: the jail cannot resolve names "
		    "(bind a file there with --ro-bind FILE:/etc/resolv.conf)",
		    why);
	unstage(df, &df->hosts);
	unstage(df, &df->resolv);
	if (hosts == -1 && df->hosts.fd != -1)
		(void)close(df->hosts.fd);
	if (df->resolv.fd != -1)
		(void)close(df->resolv.fd);
	(void)close(df->dir);
	release_tmpfs(df);
	return hosts;
}

/*
 * /etc/hosts's text, once the network is up: addr is the jail's address
 * (0 without --net BRIDGE: the hostname is 127.0.1.1, as Debian has it).
 * The file is bound read-only; fd was opened for writing before that.
 */
void
dns_hosts(const struct opts *o, int fd, uint32_t addr)
{
	char ip[sizeof("255.255.255.255")];

	if (fd == -1)
		return;
	/* Written in pieces: the child has no printf (see fmt_ulong). */
	if (write_str(fd, "127.0.0.1\tlocalhost\n"
	    "::1\tlocalhost ip6-localhost ip6-loopback\n") == -1 ||
	    write_str(fd, ip4_text(ip, sizeof(ip), addr != 0 ? addr :
	    htonl(0x7f000101))) == -1 || write_str(fd, "\t") == -1 ||
	    write_str(fd, o->hostname) == -1 || write_str(fd, "\n") == -1 ||
	    (o->hosts != NULL && write_str(fd, o->hosts) == -1))
		vlog("dns: /etc/hosts: %s: the hostname will not resolve",
		    strerror(errno));
	(void)close(fd);
}
