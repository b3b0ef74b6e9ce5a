/* SPDX-License-Identifier: ISC */
/*
 * Where to start looking for a free generated name (jail1, jail2...).
 * Only a hint: the name is still taken by record_lock, which decides.  A
 * jail that ends removes its lock file, so the files are the running
 * jails' and those a killed launcher left, which capjail --list clears
 * (record_gc).
 *
 * While one of jail1..jail16 has no lock file, the hint is 1, and trying
 * the names in turn finds the lowest that no running jail holds.  Past
 * that, trying in turn cost an open and a flock per running jail (4 ms
 * with 500); asking /proc/locks which files are held waits for an RCU
 * grace period unless it was read a moment ago (8 ms); and one reading of
 * the directory, with three files per jail, cost 0.85 ms of every start
 * with 500 jails (tmpfs, 6.18).  Names are taken from the bottom, so the
 * lock files are mostly jail1..jailN, whose end doubling and then halving
 * finds in ~2 log2(N) lookups of a name: the hint has no lock file and
 * the one below it has, and is N + 1 when the files are jail1..jailN.
 */

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "launcher.h"

#define RECNAME_PROBE	16	/* names tried in turn while one is free */

/* Does jailN.lock exist?  An error reads as no: a lower hint only costs
 * record_reserve tries. */
static int
has_lock(int dfd, int n)
{
	char name[sizeof("jail.lock") + 11];	/* an int's digits and sign */
	struct stat st;

	(void)snprintf(name, sizeof(name), "jail%d.lock", n);
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int
recname_hint(int dfd)
{
	int lo = RECNAME_PROBE, hi, step = RECNAME_PROBE, mid, n;

	for (n = 1; n <= RECNAME_PROBE; n++)
		if (!has_lock(dfd, n))
			return 1;
	for (;;) {		/* lo has a lock file */
		hi = lo + step < RECNAME_MAX - 1 ? lo + step : RECNAME_MAX - 1;
		if (!has_lock(dfd, hi))
			break;
		if (hi == RECNAME_MAX - 1)	/* the last name: try them all */
			return 1;
		lo = hi;
		step *= 2;
	}
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (has_lock(dfd, mid))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}
