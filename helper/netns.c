/* SPDX-License-Identifier: ISC */
/*
 * The check that stops a caller from having a link moved into a network
 * namespace that is not theirs (the bug class of LXC's lxc-user-nic,
 * CVE-2017-5985).  The fd is untrusted: it may be anything the caller
 * could open or receive.  We ask the kernel what it is, through the fd
 * itself, never through a path or a pid.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/nsfs.h>

#include <err.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "helper.h"

/* At startup: remember which namespace is the helper's own. */
void
netns_self(struct session *s)
{
	struct stat st;
	int fd;

	if ((fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		err(1, "/proc/self/ns/net");
	(void)close(fd);
	s->self_dev = st.st_dev;
	s->self_ino = st.st_ino;
}

/*
 * In this order: it is an nsfs file (checked with fstatfs before any
 * ioctl, so no device driver ever sees our ioctl numbers), of type
 * CLONE_NEWNET, not our own namespace, and its owning user namespace was
 * created by the caller's uid.  NS_GET_USERNS fails with EPERM when the
 * owner is outside our user namespace: not the caller's either.
 */
enum netns_check
netns_check(const struct session *s, int fd, ino_t *ino)
{
	struct statfs sfs;
	struct stat st;
	uid_t owner;
	int ufd, r;

	if (fstatfs(fd, &sfs) == -1 || sfs.f_type != NSFS_MAGIC ||
	    ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET || fstat(fd, &st) == -1)
		return NETNS_NOT_NETNS;
	if (st.st_dev == s->self_dev && st.st_ino == s->self_ino)
		return NETNS_HELPER;
	if ((ufd = ioctl(fd, NS_GET_USERNS)) == -1)
		return NETNS_FOREIGN;
	r = ioctl(ufd, NS_GET_OWNER_UID, &owner);
	(void)close(ufd);
	if (r == -1 || owner != s->uid)
		return NETNS_FOREIGN;
	*ino = st.st_ino;
	return NETNS_OK;
}

const char *
netns_strerror(enum netns_check r)
{
	switch (r) {
	case NETNS_OK:
		return "ok";
	case NETNS_NOT_NETNS:
		return "the fd is not a network namespace";
	case NETNS_HELPER:
		return "that network namespace is the host's";
	case NETNS_FOREIGN:
		return "that network namespace is not yours";
	}
	return "?";
}
