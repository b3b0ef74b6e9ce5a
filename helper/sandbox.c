/* SPDX-License-Identifier: ISC */
/*
 * The helper's startup steps, in the order main calls them: refuse an odd
 * setup, keep CAP_NET_ADMIN and nothing else, prove it, check the socket
 * to the launcher, and finally confine the request loop with a seccomp
 * allowlist.  Everything the process inherited (fds, ids, capabilities,
 * dumpable flag) is untrusted until checked here.  Each step is fatal.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/seccomp.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>

#include <cap-ng.h>

#include "helper.h"
#include "helper-seccomp.h"

/* fds 0-2 must be open, so nothing we open later lands on them. */
void
sandbox_stdfds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDWR) != fd)
			_exit(1);	/* no stderr to report on */
}

/*
 * Once the release is answered nobody reads this process: give back the
 * caller's stdin, stdout and stderr, which a pipeline (x=$(capjail ...),
 * capjail ... | cmd) would otherwise see held open until it exits.
 * Nothing is opened after this, so nothing can land on them.
 */
void
sandbox_detach(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		(void)close(fd);
}

/* File capabilities never change ids: a difference means setuid/setgid. */
void
sandbox_ids(void)
{
	struct statfs sfs;
	struct stat st;
	int fd;

	if (getuid() != geteuid() || getgid() != getegid())
		errx(1, "must not be installed setuid or setgid");
	/*
	 * Started as root of a user namespace, we would hold CAP_NET_ADMIN
	 * there only, over that namespace's networks: never what a caller
	 * means.  Ask the kernel through the namespace file itself (an nsfs
	 * file of type CLONE_NEWUSER, whatever is mounted where): the
	 * initial user namespace has a fixed inode number
	 * (PROC_USER_INIT_INO, <linux/proc_ns.h>, not exported).
	 */
	if ((fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstatfs(fd, &sfs) == -1 || sfs.f_type != NSFS_MAGIC ||
	    ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWUSER || fstat(fd, &st) == -1)
		errx(1, "/proc/self/ns/user is not a user namespace");
	(void)close(fd);
	if (st.st_ino != 0xEFFFFFFDU)
		errx(1, "must run in the initial user namespace, not inside "
		    "a container or unshare -U");
}

static void
not_installed(void)
{
	char path[PATH_MAX];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", path, sizeof(path) - 1)) == -1)
		n = 0;
	path[n] = '\0';
	errx(1, "not installed with file capabilities; run: "
	    "setcap cap_net_admin+ep %s", n ? path : "PATH");
}

/*
 * CAP_NET_ADMIN in the permitted set (from the file capability), then
 * drop everything else.  Only the capability sets: changing the bounding
 * set needs CAP_SETPCAP, and with no exec and NO_NEW_PRIVS it does not
 * matter.  Clearing inheritable clears ambient too (the kernel keeps
 * ambient a subset of permitted and inheritable).
 */
void
sandbox_caps_drop(void)
{
	if (capng_get_caps_process() == -1)
		errx(1, "capng_get_caps_process failed");
	if (!capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN))
		not_installed();
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	    CAP_NET_ADMIN) == -1 || capng_apply(CAPNG_SELECT_CAPS) != 0)
		errx(1, "cannot drop capabilities");
}

/*
 * CAP_NET_ADMIN out of (on = 0) or back into (on = 1) the effective set,
 * around the config's name look-ups: NSS modules (sss, ldap, systemd)
 * run inside this process and must never run with the capability.  It
 * stays permitted, so raising it again needs no privilege.
 */
void
sandbox_cap_effective(int on)
{
	if (capng_update(on ? CAPNG_ADD : CAPNG_DROP, CAPNG_EFFECTIVE,
	    CAP_NET_ADMIN) == -1 || capng_apply(CAPNG_SELECT_CAPS) != 0)
		errx(1, "cannot %s CAP_NET_ADMIN", on ? "raise" : "lower");
}

/*
 * Each published port holds a socket (port.c): allow as many as the hard
 * limit the caller was given; the caller could raise it anyway.
 */
void
sandbox_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void
sandbox_nnp(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(1, "PR_SET_NO_NEW_PRIVS");
}

/* Gaining capabilities at exec made us non-dumpable, unless root ran us. */
void
sandbox_not_dumpable(void)
{
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0 &&
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		err(1, "PR_SET_DUMPABLE");
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		errx(1, "still dumpable");
}

/* Read the sets back from the kernel: exactly CAP_NET_ADMIN in E and P. */
void
sandbox_caps_prove(void)
{
	unsigned int c;

	if (capng_get_caps_process() == -1)
		errx(1, "capng_get_caps_process failed");
	for (c = 0; c < 64; c++) {
		int want = c == CAP_NET_ADMIN;

		if (capng_have_capability(CAPNG_EFFECTIVE, c) != want ||
		    capng_have_capability(CAPNG_PERMITTED, c) != want ||
		    capng_have_capability(CAPNG_INHERITABLE, c) ||
		    capng_have_capability(CAPNG_AMBIENT, c))
			errx(1, "capability %u survived the drop", c);
	}
}

/* fd 3: an AF_UNIX SOCK_SEQPACKET socket whose peer is our own uid. */
void
sandbox_sock(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(int);
	int domain, type;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == -1)
		err(1, "fd %d", fd);
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    domain != AF_UNIX || type != SOCK_SEQPACKET)
		errx(1, "fd %d is not an AF_UNIX SOCK_SEQPACKET socket", fd);
	len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		err(1, "fd %d: SO_PEERCRED", fd);
	if (cred.uid != getuid())
		errx(1, "fd %d: peer uid %u is not ours", fd,
		    (unsigned)cred.uid);
}

/*
 * The request loop's allowlist: helper/seccomp-gen.c holds the table and,
 * at build time, writes it into $(B)/helper-seccomp.h (helper_filter[]) as
 * libseccomp exports it.  NO_NEW_PRIVS is already set (sandbox_nnp).
 */
_Static_assert(sizeof(helper_filter) / sizeof(helper_filter[0]) <=
    BPF_MAXINSNS, "the helper's seccomp filter is longer than the kernel "
    "accepts");

void
sandbox_seccomp(void)
{
	struct sock_fprog prog = {
		.len = sizeof(helper_filter) / sizeof(helper_filter[0]),
		.filter = (struct sock_filter *)(uintptr_t)helper_filter,
	};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == -1)
		err(1, "seccomp");
}
