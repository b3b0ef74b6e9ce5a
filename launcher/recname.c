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
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

#define RECNAME_PROBE	16	/* lock files below which trying is cheaper */

/* The jailN.lock files there are, by inode; held once /proc/locks says. */
struct lockfile {
	ino_t	ino;
	int	n;
	int	held;
};

static int
by_ino(const void *a, const void *b)
{
	const struct lockfile *x = a, *y = b;

	return (x->ino > y->ino) - (x->ino < y->ino);
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

/* The jailN.lock files in the directory, sorted by inode; -1 on error. */
static int
list_locks(int dfd, struct lockfile **out, size_t *count)
{
	struct lockfile *v = NULL, *nv;
	struct dirent *e;
	size_t len = 0, cap = 0;
	DIR *d;
	int n;

	/* dfd is an O_PATH fd (recdir.c): a listing needs a real open. */
	if ((n = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(n)) == NULL) {
		if (n != -1)
			(void)close(n);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if ((n = lock_number(e->d_name)) == -1)
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		v[len++] = (struct lockfile){ e->d_ino, n, 0 };
	}
	(void)closedir(d);
	if (len > 0)
		qsort(v, len, sizeof(*v), by_ino);
	*out = v;
	*count = len;
	return 0;
}

/* Mark the files of device dev that /proc/locks shows flock'ed. */
static int
mark_held(dev_t dev, struct lockfile *v, size_t len)
{
	struct lockfile key = { 0, 0, 0 }, *hit;
	unsigned int ma, mi;
	unsigned long ino;
	char line[256], type[16];
	FILE *f;

	if ((f = fopen("/proc/locks", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*d: %15s %*s %*s %*d %x:%x:%lu", type,
		    &ma, &mi, &ino) == 4 && strcmp(type, "FLOCK") == 0 &&
		    ma == major(dev) && mi == minor(dev)) {
			key.ino = (ino_t)ino;
			if ((hit = bsearch(&key, v, len, sizeof(*v),
			    by_ino)) != NULL)
				hit->held = 1;
		}
	(void)fclose(f);
	return 0;
}

int
recname_hint(int dfd)
{
	static unsigned char held[RECNAME_MAX];
	struct lockfile *v = NULL;
	struct stat st;
	size_t len = 0, i;
	int n = 1;

	if (fstat(dfd, &st) == -1 || list_locks(dfd, &v, &len) == -1)
		return 1;
	/* A few names cost less to try than /proc/locks on a busy host. */
	if (len >= RECNAME_PROBE && mark_held(st.st_dev, v, len) == 0) {
		memset(held, 0, sizeof(held));
		for (i = 0; i < len; i++)
			held[v[i].n] |= (unsigned char)v[i].held;
		while (n < RECNAME_MAX - 1 && held[n])
			n++;
	}
	free(v);
	return n;
}
