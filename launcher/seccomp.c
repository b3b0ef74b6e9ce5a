/* SPDX-License-Identifier: ISC */
/*
 * The jail's seccomp filter.  The launcher compiles it before the clone,
 * while an error can still be a clean one-line exit: either the default
 * deny list below (libseccomp, exported as BPF) or the program the caller
 * passes with --seccomp FD, read as bubblewrap reads it (an array of struct
 * sock_filter).  PID 1 installs it with one seccomp(2) call after every
 * mount is made and before it forks anything, so the command, every
 * process started in the jail later and PID 1 itself run under it.  What is
 * denied, and why it differs from podman, docker and systemd-nspawn, is in
 * SECURITY.md.  Trusts the caller's own FD: the filter only confines the
 * caller's own jail.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <err.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "launcher.h"

/*
 * Denied with EPERM whatever their arguments: kernel state that is not
 * namespaced (keyrings, time, modules, swap, accounting, the kernel log,
 * quotas), the attack surface containers are kept away from (bpf,
 * perf_event_open, userfaultfd, io_uring), file handles that reach past
 * the jail's root, and the mount API (the jail has no CAP_SYS_ADMIN in its
 * bounding set; this closes it for PID 1's descendants whatever their
 * capabilities).  Names this architecture lacks are skipped.
 */
static const char *const deny_calls[] = {
	"add_key", "keyctl", "request_key",
	"bpf", "perf_event_open", "userfaultfd",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module", "create_module",
	"get_kernel_syms", "query_module",
	"open_by_handle_at", "lookup_dcookie", "kcmp",
	"fanotify_init", "fanotify_mark",
	"acct", "swapon", "swapoff", "reboot", "syslog",
	"settimeofday", "stime", "clock_settime", "clock_settime64",
	"adjtimex", "clock_adjtime", "clock_adjtime64",
	"iopl", "ioperm", "vm86", "vm86old",
	"quotactl", "quotactl_fd", "nfsservctl",
	"ustat", "sysfs", "_sysctl", "uselib",
	"mount", "umount", "umount2", "pivot_root", "setns",
	"open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
	"mount_setattr",
};

/* A new namespace of any kind: clone and unshare with any of these. */
static const unsigned long ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
	CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
add_rules(scmp_filter_ctx ctx)
{
	size_t i;
	int nr, r = 0;

	for (i = 0; i < NELEM(deny_calls) && r == 0; i++)
		if ((nr = seccomp_syscall_resolve_name(deny_calls[i])) !=
		    __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	for (i = 0; i < NELEM(ns_flags) && r == 0; i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(unshare), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
			    SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ,
			    ns_flags[i], ns_flags[i]));
	}
	/*
	 * The jail may hold the caller's terminal: TIOCSTI would type into
	 * the caller's shell after the jail ends (bubblewrap's CVE-2017-5226)
	 * and TIOCLINUX can do the same on a virtual console.  The request
	 * is an int: only its low 32 bits count.
	 */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl),
		    1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl),
		    1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
	/*
	 * clone3 passes its flags in memory, out of a filter's reach: ENOSYS
	 * makes glibc fall back to clone, whose flags are checked above.
	 */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
		    SCMP_SYS(clone3), 0);
	if (r != 0)
		errc(EXIT_CAPJAIL, -r, "seccomp: cannot build the default "
		    "filter (or run with --no-seccomp)");
}

/*
 * The default filter as BPF in a memfd.  Only the native ABI is allowed:
 * a system call made through another one (i386's int 0x80, x32 on x86_64)
 * is the bad-architecture case, and fails with EPERM as well.
 */
static int
default_filter(void)
{
	scmp_filter_ctx ctx;
	int fd, r;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		errx(EXIT_CAPJAIL, "seccomp: libseccomp cannot start a filter "
		    "(or run with --no-seccomp)");
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_ERRNO(EPERM));
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r != 0)
		errc(EXIT_CAPJAIL, -r, "seccomp: filter attributes");
	add_rules(ctx);
	if ((fd = memfd_create("capjail-seccomp", MFD_CLOEXEC)) == -1)
		err(EXIT_CAPJAIL, "seccomp: memfd_create");
	if ((r = seccomp_export_bpf(ctx, fd)) != 0)
		errc(EXIT_CAPJAIL, -r, "seccomp: export the filter");
	seccomp_release(ctx);
	if (lseek(fd, 0, SEEK_SET) == -1)
		err(EXIT_CAPJAIL, "seccomp: lseek");
	return fd;
}

/* The whole of fd, which must be at most BPF_MAXINSNS instructions. */
static void
read_program(int fd, const char *what, struct sock_fprog *prog)
{
	const size_t max = BPF_MAXINSNS * sizeof(struct sock_filter);
	char *buf;
	size_t len = 0;
	ssize_t n;

	if ((buf = malloc(max + 1)) == NULL)
		err(EXIT_CAPJAIL, "malloc");
	do {
		n = read(fd, buf + len, max + 1 - len);
		if (n > 0)
			len += (size_t)n;
	} while ((n > 0 && len <= max) || (n == -1 && errno == EINTR));
	if (n == -1)
		err(EXIT_CAPJAIL, "%s: read", what);
	if (len == 0 || len > max || len % sizeof(struct sock_filter) != 0)
		errx(EXIT_CAPJAIL, "%s: not a BPF program (expected 1 to %d "
		    "struct sock_filter, got %zu bytes)", what, BPF_MAXINSNS,
		    len);
	prog->len = (unsigned short)(len / sizeof(struct sock_filter));
	prog->filter = (struct sock_filter *)(void *)buf;
}

/*
 * Before the clone and before main closes every inherited descriptor:
 * --seccomp FD is read (and closed) now, the default is compiled now.
 */
void
jail_seccomp_prepare(struct opts *o)
{
	char what[32];
	int fd;

	if (o->no_seccomp)
		return;
	if (o->seccomp_fd == -1) {
		fd = default_filter();
		read_program(fd, "seccomp: the default filter", &o->filter);
		(void)close(fd);
		return;
	}
	(void)snprintf(what, sizeof(what), "--seccomp %d", o->seccomp_fd);
	read_program(o->seccomp_fd, what, &o->filter);
	(void)close(o->seccomp_fd);
	o->seccomp_fd = -1;
}

/*
 * In PID 1, after the mounts and NO_NEW_PRIVS, before the first fork:
 * everything started in the jail from now on inherits the filter.
 */
void
jail_seccomp_load(const struct opts *o)
{
	if (o->filter.filter == NULL)
		return;
	vlog("seccomp: %s filter, %u instructions", o->seccomp_user ?
	    "--seccomp" : "default", o->filter.len);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &o->filter) == -1)
		err(EXIT_CAPJAIL, "seccomp: cannot install the %s filter "
		    "(check it, or run with --no-seccomp)", o->seccomp_user ?
		    "--seccomp" : "default");
}
