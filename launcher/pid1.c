/* SPDX-License-Identifier: ISC */
/*
 * The jail's init: runs the command as its child, forwards the signals that
 * were sent to the launcher, reaps every orphan that the kernel reparents
 * to it, serves --join (broker.c), and exits with the command's status.
 * When PID 1 exits, the kernel kills whatever is left in the PID namespace.
 * Trusts the caller's options.
 */
#include <sys/signalfd.h>
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
 * Without it the map already made the process --uid/--gid.  0, or -1
 * having said why.
 */
static int
set_ids(const struct opts *o)
{
	if (!o->subids)
		return 0;
	if (setgroups(0, NULL) == -1)
		warn("setgroups");
	else if (setresgid(o->gid, o->gid, o->gid) == -1)
		warn("setresgid %u", o->gid);
	else if (setresuid(o->uid, o->uid, o->uid) == -1)
		warn("setresuid %u", o->uid);
	else
		return 0;
	return -1;
}

/*
 * The jail's command and every --join command end here, in a child of
 * PID 1, so that each runs under exactly the same confinement.  The
 * command's is mostly vfork's, on PID 1's memory: no allocation (hence
 * home_tmp, env_home_tmp's, made before it), no exit handlers or stdio
 * flushes (exit, err): a failure says why on the unbuffered stderr and
 * _exits.
 */
void
pid1_exec(const struct opts *o, char *const *argv, char *const *home_tmp)
{
	sigset_t none;
	int e;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (set_ids(o) == -1)
		_exit(EXIT_CAPJAIL);
	closefrom(3);
	execvpe(argv[0], argv, env_command(o, home_tmp));
	e = errno;
	warn("%s", argv[0]);
	_exit(e == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

/* What PID 1 keeps track of. */
struct pid1 {
	const struct opts	*o;
	struct broker		*b;
	pid_t			 cmd;
	int			 stopped;	/* the command, by ^Z */
};

/*
 * Reap everything that ended: the command ends the jail, a joined command
 * is reported to its joiner, an orphan is just reaped.  A stop of the
 * command is passed on (tty.c).
 */
static void
reap(struct pid1 *st)
{
	pid_t p;
	int status;

	while ((p = waitpid(-1, &status, WNOHANG | WUNTRACED)) > 0) {
		if (p == st->cmd && WIFSTOPPED(status)) {
			st->stopped = 1;
			tty_suspend(st->o);
		} else if (p == st->cmd)
			_exit(pid1_status(status));
		else if (!WIFSTOPPED(status))
			(void)broker_reaped(st->b, p, status);
	}
}

/*
 * A signal the kernel generated (SI_KERNEL: a terminal's ^C, ^\, SIGWINCH)
 * already went to the whole foreground process group, the command
 * included: forwarding it would deliver it twice.  SIGCONT is the shell's
 * fg after a ^Z.
 */
static void
take_signals(int sfd, struct pid1 *st)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(st);
		else if (si.ssi_signo == SIGCONT && st->stopped) {
			st->stopped = 0;
			tty_resume(st->o, st->cmd);
		} else if (si.ssi_signo != SIGCONT &&
		    si.ssi_code != SI_KERNEL)
			(void)kill(st->cmd, (int)si.ssi_signo);
	}
}

/*
 * The command, in a child: vfork's, since a fork would copy our page
 * tables for the child to throw away at its exec, and make us fault on
 * every page we write after (~2 ms of each jail's start on a VM with
 * costly faults).  We are suspended until the exec, our signals blocked;
 * the child writes none of our memory that we read after (pid1_exec).  A
 * fork instead: with --subids (the child's setresuid would make the
 * memory it shares with us undumpable, and so us unreadable to --list and
 * --join: verify.c); in the terminal's foreground (a ^Z that stops the
 * child before its exec must reach us, to stop capjail too: tty.c); and
 * if a --seccomp filter refuses vfork.
 */
static pid_t
start_command(const struct opts *o)
{
	char **home_tmp = env_home_tmp();
	pid_t p;

	vlog("pid 1: running %s", o->argv[0]);
	/* NOLINTBEGIN(clang-analyzer-unix.Vfork): calls safe as said above */
	/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.vfork) */
	p = o->subids || o->fg_tty ? -1 : vfork();
	if (p == -1 && (p = fork()) == -1)
		err(EXIT_CAPJAIL, "fork");
	if (p == 0) {
		tty_foreground(o);
		pid1_exec(o, o->argv, home_tmp);
	}
	/* NOLINTEND(clang-analyzer-unix.Vfork) */
	free(home_tmp);
	return p;
}

/*
 * The forwarded signals and SIGCHLD are blocked since before the clone, so
 * none is lost, and init's "ignore signals without a handler" rule does not
 * apply to them; they are read from a signalfd, beside the join socket.
 */
void
pid1_run(const struct opts *o, int ask)
{
	struct pollfd pfd[2 * JOIN_MAX + 3];
	struct pid1 st = { .o = o };
	sigset_t set = o->fwd;
	size_t n;
	int sfd, ms;

	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGCONT);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		err(EXIT_CAPJAIL, "signalfd");
	st.b = broker_new(o->join_fd, ask);
	st.cmd = start_command(o);
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		n = 1;
		ms = broker_pollfds(st.b, pfd, &n);
		if (poll(pfd, n, ms) <= 0)
			continue;
		if (pfd[0].revents != 0)
			take_signals(sfd, &st);
		else
			broker_serve(st.b, o, pfd + 1, n - 1);
	}
}
