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

/* A jailN.lock file of the directory: its inode and its N. */
struct lockfile {
	uint64_t	ino;
	uint32_t	n;
};

static char chunk[4096] __attribute__((aligned(8)));	/* dirents, lines */
static struct lockfile files[RECNAME_MAX];
static uint64_t held[RECNAME_MAX / 64 + 1];	/* bit N: jailN.lock held */

static int
by_ino(const void *a, const void *b)
{
	const struct lockfile *x = a, *y = b;

	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* Shell sort: qsort would allocate a copy of the array. */
static void
sort_by_ino(struct lockfile *v, size_t len)
{
	struct lockfile t;
	size_t gap, i, j;

	for (gap = len / 2; gap > 0; gap /= 2)
		for (i = gap; i < len; i++) {
			t = v[i];
			for (j = i; j >= gap && v[j - gap].ino > t.ino; j -= gap)
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

/* The jailN.lock entries of len bytes of dirents in chunk, into files. */
static int
take_entries(ssize_t len, size_t *count)
{
	const struct dirent64 *e;
	ssize_t off;
	int n;

	for (off = 0; off < len; off += e->d_reclen) {
		e = (const struct dirent64 *)(const void *)(chunk + off);
		if ((n = lock_number(e->d_name)) == -1)
			continue;
		/* A listing may repeat an entry renamed meanwhile. */
		if (*count == RECNAME_MAX)
			return -1;
		files[(*count)++] = (struct lockfile){ e->d_ino, (uint32_t)n };
	}
	return 0;
}

/* The jailN.lock files in the directory, into files; -1 on error. */
static int
list_locks(int dfd, size_t *count)
{
	ssize_t len;
	int fd;

	/* dfd is an O_PATH fd (recdir.c): a listing needs a real open. */
	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	*count = 0;
	while ((len = getdents64(fd, chunk, sizeof(chunk))) > 0)
		if (take_entries(len, count) == -1) {
			len = -1;
			break;
		}
	(void)close(fd);
	return len == 0 ? 0 : -1;
}

/* One line of /proc/locks: a flock of one of the files on dev marks it. */
static void
mark_line(const char *line, dev_t dev, size_t count)
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
	if ((hit = bsearch(&key, files, count, sizeof(files[0]),
	    by_ino)) != NULL)
		held[hit->n / 64] |= (uint64_t)1 << (hit->n % 64);
}

/* /proc/locks a chunk at a time, each whole line to mark_line. */
static int
mark_held(dev_t dev, size_t count)
{
	size_t have = 0;
	ssize_t r;
	char *line, *nl;
	int fd;

	if ((fd = open("/proc/locks", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((r = read(fd, chunk + have, sizeof(chunk) - 1 - have)) > 0) {
		have += (size_t)r;
		chunk[have] = '\0';
		for (line = chunk; (nl = strchr(line, '\n')) != NULL;
		    line = nl + 1) {
			*nl = '\0';
			mark_line(line, dev, count);
		}
		have -= (size_t)(line - chunk);
		if (have == sizeof(chunk) - 1) {	/* no line fits */
			r = -1;
			break;
		}
		memmove(chunk, line, have);
	}
	(void)close(fd);
	return r == 0 ? 0 : -1;
}

int
recname_hint(int dfd)
{
	struct stat st;
	size_t count;
	int n = 1;

	if (fstat(dfd, &st) == -1 || list_locks(dfd, &count) == -1)
		return 1;
	/* A few names cost less to try than /proc/locks on a busy host. */
	if (count < RECNAME_PROBE)
		return 1;
	sort_by_ino(files, count);
	memset(held, 0, sizeof(held));
	if (mark_held(st.st_dev, count) == -1)
		return 1;
	while (n < RECNAME_MAX - 1 && (held[n / 64] >> (n % 64) & 1))
		n++;
	return n;
}
