/* SPDX-License-Identifier: ISC */
/*
 * Runs one system call under the seccomp filter a running process (the
 * helper) has in force, as the kernel holds it: the filter is read with
 * PTRACE_SECCOMP_GET_FILTER (root), installed in a child, and the child
 * makes the call.  Prints what happened: "ok", "errno N" or "killed SIG".
 * So a test sees what the helper's allowlist does, not what its source
 * says.
 *
 * usage: cj-seccheck PID getpid|socket-inet|socket-unix|openat|mmap-exec|x32|
 *     sendto|sendmsg    (the sends on fd -1: EBADF when they pass)
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct sock_filter prog[BPF_MAXINSNS];

static long
get_filter(pid_t pid)
{
	long n = -1;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) == -1)
		return -1;
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0 &&
	    waitpid(pid, NULL, __WALL) == pid)
		n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, prog);
	(void)ptrace(PTRACE_DETACH, pid, 0, 0);
	return n;
}

/* The call; 0 or the errno it failed with. */
static long
call(const char *what)
{
	long r = -1;

	if (strcmp(what, "getpid") == 0)
		r = syscall(SYS_getpid);
	else if (strcmp(what, "socket-inet") == 0)
		r = syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
	else if (strcmp(what, "socket-unix") == 0)
		r = syscall(SYS_socket, AF_UNIX, SOCK_DGRAM, 0);
	else if (strcmp(what, "openat") == 0)
		r = syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY);
	else if (strcmp(what, "sendto") == 0)
		r = syscall(SYS_sendto, -1, "", 0, 0, NULL, 0);
	else if (strcmp(what, "sendmsg") == 0)
		r = syscall(SYS_sendmsg, -1, NULL, 0);
#ifdef __x86_64__
	else if (strcmp(what, "x32") == 0)
		r = syscall(0x40000000 | SYS_getpid);
#endif
	else if (strcmp(what, "mmap-exec") == 0)
		r = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		return 254;
	return r == -1 ? errno : 0;
}

int
main(int argc, char *argv[])
{
	struct sock_fprog fp = { 0, prog };
	long n;
	pid_t c;
	int st;

	if (argc != 3 || (n = get_filter(atoi(argv[1]))) <= 0) {
		fprintf(stderr, "cj-seccheck: no filter to read\n");
		return 2;
	}
	fp.len = (unsigned short)n;
	if ((c = fork()) == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == -1)
			_exit(255);
		_exit((int)call(argv[2]));	/* exit_group: allowed */
	}
	if (c == -1 || waitpid(c, &st, 0) != c)
		return 2;
	if (WIFSIGNALED(st))
		printf("killed %d\n", WTERMSIG(st));
	else if (WEXITSTATUS(st) >= 254)
		return 2;
	else if (WEXITSTATUS(st) == 0)
		printf("ok\n");
	else
		printf("errno %d\n", WEXITSTATUS(st));
	return 0;
}
