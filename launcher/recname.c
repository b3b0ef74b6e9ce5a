/* SPDX-License-Identifier: ISC */
/*
 * Where to start looking for a free generated name (jail1, jail2...).
 * record_reserve takes the first jailN whose lock no launcher holds, by
 * trying each in turn: with 500 jails running that was 500 opens and
 * flocks, 4 ms of every start.  One reading of the record directory and
 * one of /proc/locks say which of the jailN.lock files are held right now,
 * so the trying can start at the first that is not.  Only a hint: the
 * name is still taken by record_lock, which decides, and anything unclear
 * makes the hint 1 (try every name, as before).
 *
 * Both readings go through one 4 KiB buffer and nothing is allocated: a
 * DIR's 32 KiB buffer, a growing array, qsort's copy and a table by name
 * touched 16 new pages with 500 jails, where this touches 8, and a first
 * touch is a page fault, which on a VM can cost 0.1 ms.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

#define RECNAME_PROBE	16	/* lock files below which trying is cheaper */
#define CHUNK_SIZE	4096

/* A jailN.lock file of the directory: its inode and its N. */
struct lockfile {
	uint64_t	ino;
	uint32_t	n;
};

/* One look: what was read last, the lock files found, those held. */
struct look {
	/* Read as dirents (take_entries), then as lines of /proc/locks. */
	_Alignas(struct dirent64) char chunk[CHUNK_SIZE];
	struct lockfile	files[RECNAME_MAX];
	size_t		nfiles;
	uint64_t	held[RECNAME_MAX / 64 + 1];	/* bit N: jailN's */
};

static int
by_ino(const void *a, const void *b)
{
	const struct lockfile *x = a, *y = b;

	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* Shell sort, in by_ino's order: qsort would allocate a copy. */
static void
sort_by_ino(struct lockfile *v, size_t len)
{
	struct lockfile t;
	size_t gap, i, j;

	for (gap = len / 2; gap > 0; gap /= 2)
		for (i = gap; i < len; i++) {
			t = v[i];
			for (j = i; j >= gap && by_ino(&v[j - gap], &t) > 0;
			    j -= gap)
				v[j] = v[j - gap];
			v[j] = t;
		}
}

/* N of "jailN.lock" exactly (no sign, no leading zero), else -1. */
static int
lock_number(const char *name)
{
	const char *p = name + 4;
	int n = 0;

	if (strncmp(name, "jail", 4) != 0 || *p < '1' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (*p - '0')) >= RECNAME_MAX)
			return -1;
	return strcmp(p, ".lock") == 0 ? n : -1;
}

/* The jailN.lock entries among len bytes of dirents in lk->chunk. */
static int
take_entries(struct look *lk, size_t len)
{
	const struct dirent64 *e;
	size_t off;
	int n;

	for (off = 0; off < len; off += e->d_reclen) {
		e = (const struct dirent64 *)(const void *)(lk->chunk + off);
		if ((n = lock_number(e->d_name)) == -1)
			continue;
		/* A listing may repeat an entry renamed meanwhile. */
		if (lk->nfiles == RECNAME_MAX)
			return -1;
		lk->files[lk->nfiles++] =
		    (struct lockfile){ e->d_ino, (uint32_t)n };
	}
	return 0;
}

/* The jailN.lock files in the directory, into lk->files; -1 on error. */
static int
list_locks(struct look *lk, int dfd)
{
	ssize_t len;
	int fd;

	/* dfd is an O_PATH fd (recdir.c): a listing needs a real open. */
	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	lk->nfiles = 0;
	while ((len = getdents64(fd, lk->chunk, sizeof(lk->chunk))) > 0)
		if (take_entries(lk, (size_t)len) == -1) {
			len = -1;
			break;
		}
	(void)close(fd);
	return len == 0 ? 0 : -1;
}

/* One line of /proc/locks: a flock of one of the files on dev marks it. */
static void
mark_line(struct look *lk, const char *line, dev_t dev)
{
	struct lockfile key = { 0, 0 };
	const struct lockfile *hit;
	unsigned int ma, mi;
	unsigned long long ino;
	char type[16];

	if (sscanf(line, "%*d: %15s %*s %*s %*d %x:%x:%llu", type, &ma, &mi,
	    &ino) != 4 || strcmp(type, "FLOCK") != 0 ||
	    ma != major(dev) || mi != minor(dev))
		return;
	key.ino = ino;
	if ((hit = bsearch(&key, lk->files, lk->nfiles, sizeof(key),
	    by_ino)) != NULL)
		lk->held[hit->n / 64] |= (uint64_t)1 << (hit->n % 64);
}

/*
 * Each whole line of the have bytes in lk->chunk to mark_line; returns
 * how many bytes of a last, unfinished line are left at its start.  A
 * line that fills the chunk is skipped up to its end (*skip): only the
 * "->" lines of a deep tree of waiters get that long, and a waiter holds
 * nothing, so another user who makes them cannot spoil the look.
 */
static size_t
mark_lines(struct look *lk, size_t have, dev_t dev, int *skip)
{
	char *line = lk->chunk, *nl;

	lk->chunk[have] = '\0';
	for (; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		if (!*skip)
			mark_line(lk, line, dev);
		*skip = 0;
	}
	have -= (size_t)(line - lk->chunk);
	if (have == sizeof(lk->chunk) - 1) {
		*skip = 1;
		return 0;
	}
	memmove(lk->chunk, line, have);
	return have;
}

/* /proc/locks a chunk at a time; -1 if it cannot be read to its end. */
static int
mark_held(struct look *lk, dev_t dev)
{
	size_t have = 0;
	ssize_t r;
	int fd, skip = 0;

	if ((fd = open("/proc/locks", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	memset(lk->held, 0, sizeof(lk->held));
	while ((r = read(fd, lk->chunk + have,
	    sizeof(lk->chunk) - 1 - have)) > 0)
		have = mark_lines(lk, have + (size_t)r, dev, &skip);
	(void)close(fd);
	return r == 0 ? 0 : -1;
}

int
recname_hint(int dfd)
{
	static struct look lk;
	struct stat st;
	int n = 1;

	if (fstat(dfd, &st) == -1 || list_locks(&lk, dfd) == -1)
		return 1;
	/* A few names cost less to try than /proc/locks on a busy host. */
	if (lk.nfiles < RECNAME_PROBE)
		return 1;
	sort_by_ino(lk.files, lk.nfiles);
	if (mark_held(&lk, st.st_dev) == -1)
		return 1;
	while (n < RECNAME_MAX - 1 && (lk.held[n / 64] >> (n % 64) & 1))
		n++;
	return n;
}
