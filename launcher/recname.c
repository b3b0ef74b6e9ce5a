/* SPDX-License-Identifier: ISC */
/*
 * Where to start looking for a free generated name (jail1, jail2...):
 * the lowest N with no jailN.lock in the record directory.  A jail that
 * ends removes its lock file, so the files are the running jails' and
 * those a killed launcher left, which capjail --list clears (record_gc).
 * Only a hint: the name is still taken by record_lock, which decides.
 *
 * Trying jail1, jail2... in turn cost an open and a flock per running
 * jail (4 ms with 500).  Asking /proc/locks which lock files are held
 * cost more: reading it takes the kernel's lock table for writing
 * (percpu_down_write), which waits for an RCU grace period unless it was
 * read a moment ago -- 8 ms of every start here, once 16 lock files
 * existed.  One reading of the directory costs neither; the price is
 * that a killed launcher's name is not reused before --list clears it.
 *
 * The reading goes through one 4 KiB buffer and allocates nothing.
 */

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

#define RECNAME_PROBE	16	/* lock files below which trying is cheaper */
#define CHUNK_SIZE	4096

/* One look at the directory: the dirents read last, the lock files. */
struct look {
	_Alignas(struct dirent64) char chunk[CHUNK_SIZE];
	size_t		nfiles;
	uint64_t	present[RECNAME_MAX / 64 + 1];	/* bit N: jailN's */
};

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
static void
take_entries(struct look *lk, size_t len)
{
	const struct dirent64 *e;
	size_t off;
	int n;

	for (off = 0; off < len; off += e->d_reclen) {
		e = (const struct dirent64 *)(const void *)(lk->chunk + off);
		if ((n = lock_number(e->d_name)) == -1)
			continue;
		lk->present[n / 64] |= (uint64_t)1 << (n % 64);
		lk->nfiles++;
	}
}

/* The jailN.lock files in the directory, into lk; -1 on error. */
static int
list_locks(struct look *lk, int dfd)
{
	ssize_t len;
	int fd;

	/* dfd is an O_PATH fd (recdir.c): a listing needs a real open. */
	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	lk->nfiles = 0;
	memset(lk->present, 0, sizeof(lk->present));
	while ((len = getdents64(fd, lk->chunk, sizeof(lk->chunk))) > 0)
		take_entries(lk, (size_t)len);
	(void)close(fd);
	return len == 0 ? 0 : -1;
}

int
recname_hint(int dfd)
{
	static struct look lk;
	int n = 1;

	if (list_locks(&lk, dfd) == -1)
		return 1;
	/* A few names cost less to try than a look at them all. */
	if (lk.nfiles < RECNAME_PROBE)
		return 1;
	while (n < RECNAME_MAX - 1 && (lk.present[n / 64] >> (n % 64) & 1))
		n++;
	return n;
}
