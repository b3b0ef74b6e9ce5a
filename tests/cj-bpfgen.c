/* SPDX-License-Identifier: ISC */
/*
 * Writes to stdout a seccomp BPF program (struct sock_filter[], what
 * capjail --seccomp FD and bubblewrap --seccomp FD read) that allows every
 * system call but the named ones, which fail with ENAMETOOLONG: an errno
 * no real call here returns, so a test sees which filter is in force.
 *
 * usage: cj-bpfgen NAME...
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <seccomp.h>

int
main(int argc, char *argv[])
{
	scmp_filter_ctx ctx;
	int a, nr;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return 1;
	for (a = 1; a < argc; a++) {
		if ((nr = seccomp_syscall_resolve_name(argv[a])) ==
		    __NR_SCMP_ERROR) {
			fprintf(stderr, "cj-bpfgen: unknown call %s\n", argv[a]);
			return 1;
		}
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENAMETOOLONG), nr,
		    0) != 0)
			return 1;
	}
	if (seccomp_export_bpf(ctx, STDOUT_FILENO) != 0)
		return 1;
	seccomp_release(ctx);
	return 0;
}
