/* SPDX-License-Identifier: ISC */
/*
 * Runs a command under a seccomp filter, as a container runtime's profile
 * would put one over capjail: reads a BPF program (what cj-bpfgen writes),
 * loads it without NO_NEW_PRIVS (which would keep the helper from its file
 * capability; root may), and execs the command, which inherits it.
 *
 * usage: cj-filtered FILE CMD [ARG...]	(as root)
 */
#include <sys/prctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <err.h>
#include <fcntl.h>
#include <unistd.h>

#define MAX_INSNS	4096

int
main(int argc, char *argv[])
{
	static struct sock_filter insns[MAX_INSNS];
	struct sock_fprog prog = { .filter = insns };
	ssize_t n;
	int fd;

	if (argc < 3)
		errx(2, "usage: cj-filtered FILE CMD [ARG...]");
	if ((fd = open(argv[1], O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", argv[1]);
	n = read(fd, insns, sizeof(insns));
	if (n <= 0 || n % (ssize_t)sizeof(insns[0]) != 0 ||
	    (size_t)n == sizeof(insns))
		errx(1, "%s: not a BPF program", argv[1]);
	(void)close(fd);
	prog.len = (unsigned short)(n / (ssize_t)sizeof(insns[0]));
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1)
		err(1, "PR_SET_SECCOMP");
	execvp(argv[2], argv + 2);
	err(127, "%s", argv[2]);
}
