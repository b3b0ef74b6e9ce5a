/* SPDX-License-Identifier: ISC */
/*
 * The jail's init: runs the command as its child, forwards the signals that
 * were sent to the launcher, reaps every orphan that the kernel reparents
 * to it, and exits with the command's status.  When PID 1 exits, the kernel
 * kills whatever is left in the PID namespace.  Trusts the caller's options.
 */
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "launcher.h"

/* A wait(2) status as a shell would report it. */
int
pid1_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_CAPJAIL;
}

/*
 * With --subids the jail has real ids to switch to: drop the caller's
 * supplementary groups (unmapped inside), then take the --gid and --uid.
 * Without it the map already made the process --uid/--gid.
 */
static void
set_ids(const struct opts *o)
{
	if (!o->subids)
		return;
	if (setgroups(0, NULL) == -1)
		err(EXIT_CAPJAIL, "setgroups");
	if (setresgid(o->gid, o->gid, o->gid) == -1)
		err(EXIT_CAPJAIL, "setresgid %u", o->gid);
	if (setresuid(o->uid, o->uid, o->uid) == -1)
		err(EXIT_CAPJAIL, "setresuid %u", o->uid);
}

static void __attribute__((noreturn))
exec_command(const struct opts *o)
{
	sigset_t none;
	int e;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	set_ids(o);
	closefrom(3);
	execvp(o->argv[0], o->argv);
	e = errno;
	warn("%s", o->argv[0]);
	_exit(e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

/*
 * The forwarded signals and SIGCHLD are blocked since before the clone, so
 * none is lost, and init's "ignore signals without a handler" rule does not
 * apply to them.  A signal the kernel generated (SI_KERNEL: a terminal's
 * ^C, ^\, SIGWINCH) already went to the whole foreground process group,
 * the command included: forwarding it would deliver it twice.
 */
void
pid1_run(const struct opts *o)
{
	sigset_t set = o->fwd;
	siginfo_t si;
	pid_t cmd, p;
	int status;

	sigaddset(&set, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	vlog("pid 1: running %s", o->argv[0]);
	if ((cmd = fork()) == -1)
		err(EXIT_CAPJAIL, "fork");
	if (cmd == 0)
		exec_command(o);
	for (;;) {
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == cmd)
				_exit(pid1_status(status));
		if (sigwaitinfo(&set, &si) == -1)
			continue;
		if (si.si_signo != SIGCHLD && si.si_code != SI_KERNEL)
			(void)kill(cmd, si.si_signo);
	}
}
