/* SPDX-License-Identifier: ISC */
/*
 * capjail: run a command in an unprivileged jail.  This file is the
 * top-level order of operations, which is where the security of the
 * launcher lives: the helper is spawned before PR_SET_NO_NEW_PRIVS and
 * before any new user namespace; signals are blocked across the clone so
 * the jail's PID 1 never loses one; the network is asked for, and the
 * child released, only once the maps are written; and every failure after
 * the clone kills the jail and lets the helper tear down before capjail
 * exits.  The jail's name is reserved (and its join socket bound) before
 * the clone, its record published once it is up, removed when it ends.
 * Trusts only the caller's command line.
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"
#include "checkconfig.h"

/*
 * This jail's record directory, the lock that holds its name and the
 * name (o->name once reserved; gen holds a generated one): one per
 * process, so that abort_jail can remove them.
 */
static struct {
	int		 dfd;
	int		 lockfd;
	const char	*name;
	char		 gen[NAME_LEN_MAX + 1];
} rec = { -1, -1, NULL, "" };

/*
 * After the clone, a failure kills the jail, closes the helper's socket
 * (EOF: the helper removes everything it made), waits for both and
 * removes the name's files, so nothing is left when capjail exits.
 * fmt NULL: already reported.
 */
static void __attribute__((noreturn, format(printf, 3, 4)))
abort_jail(pid_t pid, struct client *cl, const char *fmt, ...)
{
	va_list ap;
	int status;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vwarnx(fmt, ap);
		va_end(ap);
	}
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	client_close(cl);
	record_remove(rec.dfd, rec.name, rec.lockfd);
	exit(EXIT_CAPJAIL);
}

/* A closed 0, 1 or 2 would be reused by our sockets and reach the jail. */
static void
ensure_stdfds(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDWR) != fd)
			_exit(EXIT_CAPJAIL);
}

static void
set_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(EXIT_CAPJAIL, "PR_SET_NO_NEW_PRIVS");
}

/*
 * The child exited with 125: it printed its own reason, and a failure of
 * ours that followed from it (its netns gone) would be a second line.
 */
static int
child_reported(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    0 && si.si_pid == pid && si.si_code == CLD_EXITED &&
	    si.si_status == EXIT_CAPJAIL;
}

/* Attach, publish, then hand the child what it needs to configure. */
static void
net_setup(struct client *cl, pid_t pid, const struct opts *o, int sync,
    struct proto_attach_rep *rep, struct linkdel *ld)
{
	struct sync_msg m;
	struct in_addr a;
	char why[PROTO_TEXT_LEN + 64];
	size_t i;

	memset(&m, 0, sizeof(m));
	m.step = SYNC_NET;
	vlog("helper: attach to %s", o->bridge);
	if (linkdel_hold(ld, pid) == -1)
		abort_jail(pid, cl, child_reported(pid) ? NULL : "attach to "
		    "%s: the jail's namespaces: %s", o->bridge, strerror(errno));
	/* An empty why: the helper printed its own line already. */
	if (client_attach(cl, ld->netfd, o, &m.net, why, sizeof(why)) == -1)
		abort_jail(pid, cl, why[0] == '\0' || child_reported(pid) ?
		    NULL : "attach to %s: %s", o->bridge, why);
	a.s_addr = m.net.addr;
	vlog("helper: %s is %s/%u, host side %s", o->ifname, inet_ntoa(a),
	    m.net.prefixlen, m.net.host_ifname);
	for (i = 0; i < o->npubs; i++) {
		vlog("helper: publish %s", o->pubs[i].spec);
		if (client_publish(cl, &o->pubs[i], i + 1 == o->npubs, why,
		    sizeof(why)) == -1)
			abort_jail(pid, cl, why[0] == '\0' ? NULL :
			    "publish %s: %s", o->pubs[i].spec, why);
	}
	/* If the child is gone, wait_jail reports its status. */
	(void)ns_sync_send(sync, &m);
	*rep = m.net;
}

/*
 * --die-with-parent: set first, then check, for a parent that died before
 * the prctl.  The jail's PID 1 already dies with us (ns.c).
 */
static void
die_with_parent(const struct opts *o, pid_t parent)
{
	if (!o->die_with_parent)
		return;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		err(EXIT_CAPJAIL, "--die-with-parent");
	if (getppid() != parent)
		errx(EXIT_CAPJAIL, "--die-with-parent: the parent is gone");
}

/* --list, --join, --stop: act on running jails, then exit. */
static void
other_action(struct opts *o)
{
	switch (o->action) {
	case ACT_LIST:
		exit(list_run(o));
	case ACT_JOIN:
		opts_signals(o);
		exit(join_run(o));
	case ACT_STOP:
		exit(stop_run(o));
	case ACT_RUN:
		break;
	}
}

/*
 * Forward what was sent to capjail to the jail's PID 1, which forwards it
 * to the command; a signal from the terminal (SI_KERNEL) reached the jail's
 * processes already.  Meanwhile answer PID 1's questions about joiners on
 * the sync socket (joinauth.c).  Returns the jail's exit status.
 */
static int
wait_jail(pid_t pid, const sigset_t *set, int sync)
{
	struct pollfd pfd[2] = { { .events = POLLIN },
	    { .fd = sync, .events = POLLIN } };
	struct signalfd_siginfo si;
	pid_t p;
	int status;

	(void)sigprocmask(SIG_BLOCK, set, NULL);
	if ((pfd[0].fd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		err(EXIT_CAPJAIL, "signalfd");
	for (;;) {
		if ((p = waitpid(pid, &status, WNOHANG)) == pid)
			break;
		if (p == -1 && errno != EINTR)
			err(EXIT_CAPJAIL, "waitpid");
		if (poll(pfd, 2, -1) <= 0)
			continue;
		/* Till PID 1 is gone: POLLHUP, or an end of file. */
		if (pfd[1].revents != 0 && (!(pfd[1].revents & POLLIN) ||
		    joinauth_answer(sync) == -1))
			pfd[1].fd = -1;
		while (read(pfd[0].fd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo != SIGCHLD &&
			    si.ssi_code != SI_KERNEL)
				(void)kill(pid, (int)si.ssi_signo);
	}
	(void)close(pfd[0].fd);
	return pid1_status(status);
}

#ifdef CAPJAIL_SANITIZE
/*
 * make SANITIZE=1: no LeakSanitizer in the launcher, whose every exit is
 * the end of the process (and, in the jail, of its PID 1): what it still
 * holds then is not a leak.  ASan and UBSan stay on.
 */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static void
record_begin(struct opts *o)
{
	if ((rec.dfd = recdir_open(1)) == -1) {
		if (o->name != NULL)
			errx(EXIT_CAPJAIL, "--name %s: no record directory to "
			    "keep the name in (see above)", o->name);
		rec.lockfd = -1;
		return;
	}
	/* First: it may refuse the jail, and nothing is made yet. */
	o->nhide = recdir_hide(o, o->hide);
	rec.lockfd = record_reserve(rec.dfd, o, rec.gen);
	rec.name = o->name;
	if ((o->join_fd = record_listen(rec.dfd, rec.name)) == -1) {
		record_remove(rec.dfd, rec.name, rec.lockfd);
		exit(EXIT_CAPJAIL);
	}
}

/* The clone, with every signal PID 1 forwards (set) blocked across it. */
static pid_t
clone_jail(struct opts *o, int sync[2], sigset_t *set, struct client *cl)
{
	sigset_t old;
	pid_t pid;
	int e;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) == -1)
		err(EXIT_CAPJAIL, "socketpair");
	*set = o->fwd;
	sigaddset(set, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, set, &old);
	pid = ns_clone(o, sync);
	e = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (o->join_fd != -1)
		(void)close(o->join_fd);
	if (pid == -1) {
		client_close(cl);
		record_remove(rec.dfd, rec.name, rec.lockfd);
		ns_explain(e);
	}
	return pid;
}

/* newuidmap and newgidmap, then NO_NEW_PRIVS, then the child may go on. */
static void
subids_map(pid_t pid, const struct opts *o, struct client *cl, int sync)
{
	struct sync_msg maps = { .step = SYNC_MAPS };

	if (ns_map_subids(pid, o) == -1)
		abort_jail(pid, cl, NULL);
	set_no_new_privs();
	(void)ns_sync_send(sync, &maps);
}

int
main(int argc, char *argv[])
{
	struct opts o;
	struct client cl = { .sock = -1, .pid = -1 };
	struct proto_attach_rep net = { 0 };
	sigset_t set;
	struct linkdel ld = { .userfd = -1, .netfd = -1 };
	int sync[2], status;
	pid_t pid, parent = getppid();

	/* Messages start "capjail:" whatever name we were run by. */
	program_invocation_short_name = "capjail";
	if (argc > 1 && strcmp(argv[1], "--check-config") == 0) {
		closefrom(3);
		ensure_stdfds();
		return checkconfig_run(argc - 2, argv + 2);
	}
	opts_parse(argc, argv, &o);
	/* --seccomp FD: the one descriptor capjail takes from its caller. */
	if (!o.check)
		jail_seccomp_prepare(&o);
	closefrom(3);
	ensure_stdfds();
	if (o.check)
		return check_run();
	other_action(&o);
	/*
	 * 1. The helper, while file capabilities still work for us, and
	 * first: its start (exec, policy, tables) overlaps everything we do
	 * until the attach.  If we fail before that, it sees EOF and exits.
	 */
	if (o.bridge != NULL && client_spawn(&cl, helper_path(), 0) == -1)
		exit(EXIT_CAPJAIL);
	opts_resolve(&o);
	die_with_parent(&o, parent);
	record_begin(&o);
	/* newuidmap and newgidmap are setuid: with --subids, wait for them. */
	if (!o.subids)
		set_no_new_privs();

	/* 2. The clone. */
	pid = clone_jail(&o, sync, &set, &cl);

	/* 3. --subids maps; from here nothing this process runs gains. */
	if (o.subids)
		subids_map(pid, &o, &cl, sync[0]);

	/* 4. The network, then the child configures it and runs the command. */
	if (o.bridge != NULL)
		net_setup(&cl, pid, &o, sync[0], &net, &ld);
	record_publish(rec.dfd, pid, &o, &net);
	status = wait_jail(pid, &set, sync[0]);
	if (o.bridge != NULL)
		linkdel_go(&ld, o.ifname);
	(void)close(sync[0]);
	tty_restore(&o);

	/* 5. Teardown is complete before capjail exits. */
	record_remove(rec.dfd, rec.name, rec.lockfd);
	if (o.bridge != NULL)
		client_release(&cl);
	return status;
}
