/* SPDX-License-Identifier: ISC */
/*
 * The jail's terminal.  The caller's terminal lives on the host's devpts,
 * which the jail does not see (its /dev/pts is a new instance), so tty(1)
 * and ttyname(3) inside would say "not a tty": the child clones the
 * terminal's node before pivot_root and binds it on /dev/console, as
 * podman does.  And when capjail runs in the foreground of its terminal,
 * the command gets a process group of its own and is made the terminal's
 * foreground group, so that a shell inside has job control and ^C reaches
 * the command.  So that ^Z still stops the whole job for the caller's
 * shell, PID 1 passes a stop of the command on to capjail's own process
 * group (which it is in), and when the shell continues that group, gives
 * the terminal back to the command and continues it.  Trusts the caller's
 * terminal as far as the caller does.
 */
#include <sys/mount.h>

#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include "launcher.h"

/* Before pivot_root: a detached copy of stdin's terminal node, or -1. */
int
tty_clone(void)
{
	char path[PATH_MAX];
	int fd;

	if (!isatty(STDIN_FILENO) ||
	    ttyname_r(STDIN_FILENO, path, sizeof(path)) != 0)
		return -1;
	fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd == -1)
		notice("%s: cannot show the terminal in the jail", path);
	return fd;
}

/* After the jail's /dev is built: the terminal as /dev/console. */
void
tty_attach(int fd)
{
	int f;

	if (fd == -1)
		return;
	f = open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (f == -1)
		err(EXIT_CAPJAIL, "create /dev/console");
	(void)close(f);
	if (move_mount(fd, "", AT_FDCWD, "/dev/console",
	    MOVE_MOUNT_F_EMPTY_PATH) == -1)
		err(EXIT_CAPJAIL, "bind the terminal on /dev/console");
	(void)close(fd);
}

/*
 * In the command's process, before exec.  SIGTTOU stays blocked until
 * pid1_exec: tcsetpgrp from what is now a background group would stop us.
 */
void
tty_foreground(const struct opts *o)
{
	sigset_t ttou;

	/*
	 * Not in the terminal's foreground (a script, cron, "&"): a session of
	 * its own, so that kill(0, ...) in the jail cannot reach the caller's
	 * process group, and the caller's terminal is not its controlling one.
	 */
	if (!o->fg_tty) {
		(void)setsid();
		return;
	}
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	(void)sigprocmask(SIG_BLOCK, &ttou, NULL);
	if (setpgid(0, 0) == -1 || tcsetpgrp(STDIN_FILENO, getpid()) == -1)
		notice("the command cannot own the terminal: no job control");
}

/* PID 1: the command stopped (^Z): stop capjail too, so the shell sees it. */
void
tty_suspend(const struct opts *o)
{
	if (o->fg_tty)
		(void)kill(0, SIGTSTP);
}

/*
 * tcsetpgrp from a background group raises SIGTTOU, which would stop the
 * caller: blocked across the call.
 */
static void
give_terminal(pid_t pgrp)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	(void)sigprocmask(SIG_BLOCK, &ttou, &old);
	(void)tcsetpgrp(STDIN_FILENO, pgrp);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
}

/* PID 1, on SIGCONT from the shell's fg: the terminal back to the command. */
void
tty_resume(const struct opts *o, pid_t cmd)
{
	if (!o->fg_tty)
		return;
	give_terminal(cmd);
	(void)kill(-cmd, SIGCONT);
}

/*
 * The launcher, once the jail has ended: the terminal back to capjail's
 * own process group.  An interactive shell takes it back itself; a script
 * that runs capjail, without job control, would be left in the background
 * and stopped by its next read of the terminal.
 */
void
tty_restore(const struct opts *o)
{
	if (o->fg_tty)
		give_terminal(getpgrp());
}
