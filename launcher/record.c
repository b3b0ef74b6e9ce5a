/* SPDX-License-Identifier: ISC */
/*
 * A jail's record in the user's record directory (recdir.c): NAME.lock,
 * held with flock by the launcher for the jail's whole life, reserves the
 * name; NAME.sock is the join socket that the jail's PID 1 listens on;
 * NAME holds "key value" lines written once, by rename, when the jail is
 * up.  Every file is made and opened relative to the directory's fd with
 * O_NOFOLLOW.  A record read back is only a claim: verify.c checks it
 * against the kernel.  Trusts the directory (recdir.c checked it).
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

const char *const rec_ns[REC_NNS] = { "pid", "net", "user", "mnt" };

/* 1 to NAME_LEN_MAX of A-Z a-z 0-9 _ -: a file name with no dot. */
int
record_valid_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    (s[i] != '-' || i == 0))
			return 0;
	return i > 0 && i <= NAME_LEN_MAX;
}

/*
 * Take NAME.lock.  Returns its fd, or -1 if a live launcher holds it.  The
 * lock must be on the file that is linked under the name now: a launcher
 * that is ending unlinks it after we opened it.
 */
int
record_lock(int dfd, const char *name)
{
	char path[NAME_LEN_MAX + 8];
	struct stat a, b;
	int fd, i;

	(void)snprintf(path, sizeof(path), "%s.lock", name);
	for (i = 0; i < 8; i++) {
		fd = openat(dfd, path, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1)
			err(EXIT_CAPJAIL, "record %s", path);
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			(void)close(fd);
			return -1;
		}
		if (fstat(fd, &a) == 0 && fstatat(dfd, path, &b,
		    AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino &&
		    S_ISREG(a.st_mode))
			return fd;
		(void)close(fd);
	}
	errx(EXIT_CAPJAIL, "record %s keeps changing: try again", path);
}

/* Remove what a launcher that is gone left of NAME, lock held. */
static void
remove_files(int dfd, const char *name)
{
	char path[NAME_LEN_MAX + 8];

	(void)unlinkat(dfd, name, 0);
	(void)snprintf(path, sizeof(path), "%s.sock", name);
	(void)unlinkat(dfd, path, 0);
}

/*
 * The name for this jail: --name, or the first free of jail1, jail2...
 * (from recname.c's hint, a name with no lock file a moment ago).
 * Returns the lock's fd; buf (NAME_LEN_MAX + 1) holds a generated name.
 */
int
record_reserve(int dfd, struct opts *o, char *buf)
{
	int fd, i;

	if (o->name != NULL) {
		if ((fd = record_lock(dfd, o->name)) == -1)
			errx(EXIT_CAPJAIL, "--name %s: a jail of that name is "
			    "running (see capjail --list)", o->name);
		remove_files(dfd, o->name);
		return fd;
	}
	for (i = recname_hint(dfd); i < RECNAME_MAX; i++) {
		(void)snprintf(buf, NAME_LEN_MAX + 1, "jail%d", i);
		if ((fd = record_lock(dfd, buf)) != -1) {
			remove_files(dfd, buf);
			o->name = buf;
			o->slot_hint = (uint32_t)i - 1;
			return fd;
		}
	}
	errx(EXIT_CAPJAIL, "no free jail name: choose one with --name");
}

/* The join socket, bound (-1, said, on failure); the jail's PID 1
 * listens on it (broker.c). */
int
record_listen(int dfd, const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s;

	(void)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "/proc/self/fd/%d/%s.sock", dfd, name);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1) {
		warn("socket");
		return -1;
	}
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		warn("bind the join socket of %s", name);
		(void)close(s);
		return -1;
	}
	return s;
}

/* What is printed of the command: one line, printable, cut to fit. */
static void
describe_command(char *const *argv, char *buf, size_t size)
{
	size_t i;

	buf[0] = '\0';
	for (; *argv != NULL; argv++)
		if (str_append(buf, *argv, size) >= size ||
		    (argv[1] != NULL && str_append(buf, " ", size) >= size))
			break;
	for (i = 0; buf[i] != '\0'; i++)
		if (!isprint((unsigned char)buf[i]))
			buf[i] = '?';
}

/* -1 if the jail has ended already (its namespaces are gone with it). */
static int
fill(struct record *r, pid_t pid, const struct opts *o,
    const struct proto_attach_rep *net)
{
	char path[NS_PATH_MAX], a[INET_ADDRSTRLEN];
	struct stat st;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->pid = pid;
	r->start = record_start_time(pid);
	for (i = 0; i < REC_NNS; i++) {
		ns_path(path, pid, rec_ns[i]);
		if (stat(path, &st) == -1)
			return -1;
		r->ns_dev[i] = st.st_dev;
		r->ns_ino[i] = st.st_ino;
	}
	(void)str_copy(r->bridge, o->bridge != NULL ? o->bridge : "-",
	    sizeof(r->bridge));
	(void)str_copy(r->addr, "-", sizeof(r->addr));
	if (o->bridge != NULL && inet_ntop(AF_INET, &net->addr, a,
	    sizeof(a)) != NULL)
		(void)snprintf(r->addr, sizeof(r->addr), "%s/%u", a,
		    net->prefixlen);
	(void)str_copy(r->ports, o->npubs > 0 ? "" : "-", sizeof(r->ports));
	for (i = 0; i < o->npubs; i++)
		if (str_append(r->ports, o->pubs[i].spec, sizeof(r->ports)) >=
		    sizeof(r->ports) || (i + 1 < o->npubs &&
		    str_append(r->ports, ",", sizeof(r->ports)) >=
		    sizeof(r->ports)))
			break;
	describe_command(o->argv, r->cmd, sizeof(r->cmd));
	return 0;
}

/* Append to the n bytes of text in buf; the new length, size if full. */
static size_t __attribute__((format(printf, 4, 5)))
appendf(char *buf, size_t size, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (n >= size)
		return size;
	va_start(ap, fmt);
	k = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	return k < 0 || (size_t)k >= size - n ? size : n + (size_t)k;
}

/*
 * The record's text in buf; its length, or 0 if it does not fit.  Built
 * whole and written at once: dprintf allocates a stdio buffer per call.
 */
static size_t
record_text(char *buf, size_t size, const struct record *r)
{
	size_t i, n;

	n = appendf(buf, size, 0, "pid %ld\nstart %llu\n", (long)r->pid,
	    r->start);
	for (i = 0; i < REC_NNS; i++)
		n = appendf(buf, size, n, "ns %s %llu %llu\n", rec_ns[i],
		    (unsigned long long)r->ns_dev[i],
		    (unsigned long long)r->ns_ino[i]);
	n = appendf(buf, size, n, "bridge %s\naddr %s\nports %s\ncmd %s\n",
	    r->bridge, r->addr, r->ports, r->cmd);
	return n < size ? n : 0;
}

/*
 * The record of a jail that is up, written whole, then renamed in place.
 * Without it (dfd -1: no record directory) the jail still runs, but
 * --list and --join cannot see it.
 */
void
record_publish(int dfd, pid_t pid, const struct opts *o,
    const struct proto_attach_rep *net)
{
	char tmp[NAME_LEN_MAX + 8], text[2048];
	struct record r;
	int fd;

	if (dfd == -1 || fill(&r, pid, o, net) == -1)
		return;
	if (record_text(text, sizeof(text), &r) == 0) {
		notice("record %s: too long: --list and --join will not see "
		    "it", o->name);
		return;
	}
	(void)snprintf(tmp, sizeof(tmp), ".%s.new", o->name);
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		notice("record %s: %s: --list and --join will not see it",
		    o->name, strerror(errno));
		return;
	}
	if (write_str(fd, text) == -1) {
		notice("record %s: %s: --list and --join will not see it",
		    o->name, strerror(errno));
		(void)close(fd);
		(void)unlinkat(dfd, tmp, 0);
		return;
	}
	if (close(fd) == -1 || renameat(dfd, tmp, dfd, o->name) == -1)
		notice("record %s: %s: --list and --join will not see it",
		    o->name, strerror(errno));
}

/* The jail is gone: its files, then the lock that reserved the name. */
void
record_remove(int dfd, const char *name, int lockfd)
{
	char path[NAME_LEN_MAX + 8];

	if (dfd == -1)
		return;
	remove_files(dfd, name);
	(void)snprintf(path, sizeof(path), "%s.lock", name);
	(void)unlinkat(dfd, path, 0);
	(void)close(lockfd);
}

/* A record whose launcher is gone (its lock is free): remove it. */
void
record_gc(int dfd, const char *name)
{
	int fd;

	if ((fd = record_lock(dfd, name)) != -1)
		record_remove(dfd, name, fd);
}

static int
parse_ns(struct record *r, const char *val)
{
	unsigned long long dev, ino;
	size_t i, n;

	for (i = 0; i < REC_NNS; i++) {
		n = strlen(rec_ns[i]);
		if (strncmp(val, rec_ns[i], n) == 0 && val[n] == ' ')
			break;
	}
	if (i == REC_NNS || sscanf(val + n, "%llu %llu", &dev, &ino) != 2)
		return -1;
	r->ns_dev[i] = (dev_t)dev;
	r->ns_ino[i] = (ino_t)ino;
	return 0;
}

static int
parse_line(struct record *r, const char *key, const char *val)
{

	if (strcmp(key, "pid") == 0)
		r->pid = (pid_t)proto_number(val, 2, INT32_MAX, NULL);
	else if (strcmp(key, "start") == 0)
		r->start = strtoull(val, NULL, 10);
	else if (strcmp(key, "bridge") == 0)
		(void)str_copy(r->bridge, val, sizeof(r->bridge));
	else if (strcmp(key, "addr") == 0)
		(void)str_copy(r->addr, val, sizeof(r->addr));
	else if (strcmp(key, "ports") == 0)
		(void)str_copy(r->ports, val, sizeof(r->ports));
	else if (strcmp(key, "cmd") == 0)
		(void)str_copy(r->cmd, val, sizeof(r->cmd));
	else if (strcmp(key, "ns") == 0)
		return parse_ns(r, val);
	return 0;
}

/* NAME's record as written; -1 if there is none or it does not parse. */
int
record_read(int dfd, const char *name, struct record *r)
{
	char line[512], *val;
	FILE *f;
	int fd, bad = 0;

	memset(r, 0, sizeof(*r));
	(void)str_copy(r->name, name, sizeof(r->name));
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || (f = fdopen(fd, "r")) == NULL) {
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	while (!bad && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((val = strchr(line, ' ')) == NULL)
			bad = 1;
		else {
			*val++ = '\0';
			bad = parse_line(r, line, val);
		}
	}
	(void)fclose(f);
	return bad || r->pid == 0 ? -1 : 0;
}
