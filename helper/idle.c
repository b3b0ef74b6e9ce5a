/* SPDX-License-Identifier: ISC */
/*
 * A helper then waits, for the whole life of its jail, for the release:
 * its scratch buffers (netlink replies, nftables batches, link and element
 * listings) must not stay in memory that long, or the helpers of a host
 * with many jails would hold pages in proportion to how many jails there
 * were when each started.  MADV_DONTNEED gives back what a request touched;
 * the next use finds zeroes, which is how every buffer starts.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <unistd.h>

#include "helper.h"

void
idle_pages(void *p, size_t len)
{
	uintptr_t page = (uintptr_t)getpagesize();
	uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~(page - 1);

	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}
