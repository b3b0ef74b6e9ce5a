/* SPDX-License-Identifier: ISC */
/*
 * The jail's seccomp filter.  The launcher has it before the clone, while
 * an error can still be a clean one-line exit: either the default deny
 * list, built into the binary as BPF (its rules are in seccomp-gen.c), or
 * the program the caller passes with --seccomp FD, read as bubblewrap
 * reads it (an array of struct sock_filter).  PID 1 installs it with one
 * seccomp(2) call after every mount is made and before it forks anything,
 * so the command, every process started in the jail later and PID 1
 * itself run under it.  What is denied, and why it differs from podman,
 * docker and systemd-nspawn, is in SECURITY.md.  Trusts the caller's own
 * FD: the filter only confines the caller's own jail.
 */
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "launcher.h"

/*
 * The default filter: launcher/seccomp-gen.c holds its rules and, at build
 * time, writes it into $(B)/seccomp-default.h as libseccomp exports it.
 */
#include "seccomp-default.h"

_Static_assert(NELEM(seccomp_default) <= BPF_MAXINSNS,
    "the default seccomp filter is longer than the kernel accepts");

/*
 * The kernel only reads the program, but struct sock_fprog has no const:
 * the cast through uintptr_t says so, and keeps the array read-only.
 */
static void
default_filter(struct sock_fprog *prog)
{
	prog->len = (unsigned short)NELEM(seccomp_default);
	prog->filter = (struct sock_filter *)(uintptr_t)seccomp_default;
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
 * --seccomp FD is read (and closed) now.
 */
void
jail_seccomp_prepare(struct opts *o)
{
	char what[32];

	if (o->no_seccomp)
		return;
	if (o->seccomp_fd == -1) {
		default_filter(&o->filter);
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
