/* SPDX-License-Identifier: ISC */
/*
 * The helper's seccomp allowlist, built once at build time: the table
 * below goes through libseccomp, which exports it as BPF, and this program
 * prints that program as a C array (gen/seccomp-export.c; make writes it
 * to $(B)/helper-seccomp.h, which helper/sandbox.c loads as the last step
 * of the startup).  So the privileged helper neither links libseccomp nor
 * compiles a filter at every start.  A build tool: trusts its own table,
 * reads no input.  Like the launcher's filter generator, it must run as
 * the target's architecture (see launcher/seccomp-gen.c).
 *
 * Anything not in the table kills the process, as does a system call made
 * through another ABI than the native one (libseccomp's bad-architecture
 * default).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/membarrier.h>
#include <linux/nsfs.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>

#include <seccomp.h>

#include "seccomp-export.h"

/*
 * The request loop's syscalls, and nothing else: one line each.  arg is
 * -1 for any arguments, else the index of the argument that must equal
 * val.  ret 0 allows; otherwise the call fails with that errno.
 */
static const struct {
	int		nr;
	int		arg;
	uint64_t	val;
	int		ret;
} allow[] = {
	{ SCMP_SYS(recvmsg), -1, 0, 0 },	/* requests; netlink replies */
	{ SCMP_SYS(recvfrom), -1, 0, 0 },	/* recv(): nl_talk; launcher_waits */
	{ SCMP_SYS(sendto), -1, 0, 0 },	/* replies; netlink requests; syslog */
	{ SCMP_SYS(ioctl), 1, NS_GET_NSTYPE, 0 },	/* netns_check */
	{ SCMP_SYS(ioctl), 1, NS_GET_USERNS, 0 },	/* netns_check */
	{ SCMP_SYS(ioctl), 1, NS_GET_OWNER_UID, 0 },	/* netns_check */
	{ SCMP_SYS(fstatfs), -1, 0, 0 },	/* netns_check: nsfs? */
	{ SCMP_SYS(newfstatat), 3, AT_EMPTY_PATH, 0 },	/* netns_check: fstat() */
	{ SCMP_SYS(close), -1, 0, 0 },		/* netns fd; ports, 0-2 */
	{ SCMP_SYS(getpid), -1, 0, 0 },		/* syslog's LOG_PID */
	{ SCMP_SYS(write), -1, 0, 0 },		/* err(3) to stderr */
	{ SCMP_SYS(exit_group), -1, 0, 0 },	/* exit() */
	{ SCMP_SYS(membarrier), 0, MEMBARRIER_CMD_GLOBAL, 0 },	/* nl_linger */
	{ SCMP_SYS(socket), 0, AF_INET, 0 },	/* port.c: a reservation */
	{ SCMP_SYS(socket), 0, AF_UNIX, EACCES },	/* syslog reconnecting: no */
	{ SCMP_SYS(bind), -1, 0, 0 },		/* port.c; nl_subscribe */
	{ SCMP_SYS(listen), -1, 0, 0 },		/* port.c: findable by nft */
	{ SCMP_SYS(setsockopt), 1, SOL_SOCKET, 0 },	/* port.c: SO_MARK, RCVBUF */
	{ SCMP_SYS(restart_syscall), -1, 0, 0 },	/* SIGSTOP/SIGCONT in a sleep */
	{ SCMP_SYS(clock_gettime), -1, 0, 0 },	/* nl_wait, if not in the vDSO */
	{ SCMP_SYS(brk), -1, 0, 0 },		/* malloc: libnftnl objects */
	{ SCMP_SYS(munmap), -1, 0, 0 },		/* free of large blocks */
	{ SCMP_SYS(mremap), -1, 0, 0 },		/* realloc of large blocks */
	{ SCMP_SYS(madvise), -1, 0, 0 },	/* free trimming arenas */
#ifdef CAPJAIL_SANITIZE
	{ SCMP_SYS(sigaltstack), -1, 0, 0 },	/* ASan's exit (SANITIZE=1) */
	{ SCMP_SYS(getrandom), -1, 0, 0 },	/* ASan's allocator, trimmed */
#endif
};

/* mmap for malloc only: anonymous, never executable. */
static int
allow_mmap(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 2,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
	    SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS));
}

int
main(void)
{
	scmp_filter_ctx ctx;
	size_t i;
	int r = 0;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		errx(1, "seccomp_init failed");
	for (i = 0; i < sizeof(allow) / sizeof(allow[0]) && r == 0; i++) {
		uint32_t act = allow[i].ret ? SCMP_ACT_ERRNO(
		    (uint32_t)allow[i].ret) : SCMP_ACT_ALLOW;

		if (allow[i].arg == -1)
			r = seccomp_rule_add(ctx, act, allow[i].nr, 0);
		else
			r = seccomp_rule_add(ctx, act, allow[i].nr, 1,
			    SCMP_CMP((unsigned)allow[i].arg, SCMP_CMP_EQ,
			    allow[i].val, 0));
	}
	if (r == 0)
		r = allow_mmap(ctx);
	if (r != 0)
		errc(1, -r, "seccomp_rule_add");
	seccomp_print(ctx, "helper_filter", "helper/seccomp-gen.c");
	seccomp_release(ctx);
	return 0;
}
