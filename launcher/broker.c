/* SPDX-License-Identifier: ISC */
/*
 * The join broker, run by the jail's PID 1: it listens on the join socket
 * the launcher bound before the clone, and for each peer that is the
 * jail's own user (SO_PEERCRED, as mapped into the jail's user namespace)
 * and outside every jail (the launcher says so: joinauth.c) forks a child
 * that runs the joined command through pid1_exec, exactly as the jail's
 * command was run: so it has every namespace, the root, the cwd, the ids,
 * the bounding set, NO_NEW_PRIVS and any seccomp filter of the jail,
 * because it inherits them from PID 1 rather than entering them from
 * outside.  Its stdin, stdout and stderr are the joiner's (passed with
 * SCM_RIGHTS).  Trusts a peer only as far as the jail's own user outside
 * the jail.
 */
#include <sys/param.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/*
 * Refused connections whose last close is left to a throwaway child, while
 * none can be forked: at most every slot's and one just accepted, beyond
 * the JOIN_MAX the join socket is polled with (broker_pollfds).
 */
#define PARK_MAX	(2 * JOIN_MAX + 1)

/*
 * How long a joined command's child may take to close its fds: only the
 * jail's own processes can stop it before then, and while it has not,
 * refused connections are kept (close_parked).
 */
#define GATE_MS		5000
#define RETRY_MS	250	/* a retry of what could not be done */

struct broker {
	int		lfd;
	int		ask;	/* the sync socket: the launcher vets joiners */
	uint32_t	last;	/* the id of the last question asked */
	int		fd[JOIN_MAX];	/* the joiner's connection, -1 if none */
	uint32_t	asked[JOIN_MAX];	/* its question's id, 0 if none */
	pid_t		pid[JOIN_MAX];	/* the joined command, 0 if none */
	int		gate[JOIN_MAX];	/* open till its fds are closed */
	double		gate_end[JOIN_MAX];	/* then, its child is killed */
	int		park[PARK_MAX];	/* hung up, not yet closed */
	size_t		nparked;
	int		stalled;	/* accept failed: out of fds */
};

struct broker *
broker_new(int lfd, int ask)
{
	struct broker *b;
	size_t i;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		err(EXIT_CAPJAIL, "calloc");
	b->lfd = lfd;
	b->ask = ask;
	for (i = 0; i < JOIN_MAX; i++)
		b->fd[i] = b->gate[i] = -1;
	if (lfd != -1 && listen(lfd, 8) == -1)
		err(EXIT_CAPJAIL, "listen on the join socket");
	return b;
}

static void
add_pollfd(struct pollfd *pfd, size_t *n, int fd)
{
	pfd[*n].fd = fd;
	pfd[*n].events = POLLIN;
	pfd[*n].revents = 0;
	(*n)++;
}

/*
 * Close the parked connections from a throwaway child: their last close,
 * and that of what a joiner left queued on them, can block for as long as
 * the joiner likes (the fds of a request: a TCP socket with SO_LINGER and
 * unsent data, say), and a joiner not yet vetted may be another jail.  The
 * child holds them until we have closed our copies and killed it, so that
 * the last close is at its exit, where the kernel does not linger.  It
 * needs no fd of its own: a PID 1 at its fd limit still drains.  While no
 * child can be forked (the user's RLIMIT_NPROC is full, which another
 * jail of theirs can make so), they stay parked, and are retried; so too
 * while a joined command's child has copies of them (spawn).
 */
static void
close_parked(struct broker *b)
{
	size_t i;
	pid_t p;

	for (i = 0; i < JOIN_MAX && b->gate[i] == -1; i++)
		;
	if (b->nparked == 0 || i < JOIN_MAX || (p = fork()) == -1)
		return;
	if (p == 0)
		for (;;)
			(void)pause();
	for (i = 0; i < b->nparked; i++)
		(void)close(b->park[i]);
	b->nparked = 0;
	(void)kill(p, SIGKILL);
}

/*
 * Kill each joined command's child that has not closed its fds in
 * GATE_MS; the poll timeout ms, or less, to the next such deadline.
 */
static int
gates_due(struct broker *b, int ms)
{
	double left, now = since_start_ms();
	size_t i;

	for (i = 0; i < JOIN_MAX; i++) {
		if (b->gate[i] == -1)
			continue;
		if ((left = b->gate_end[i] - now) <= 0) {
			(void)kill(b->pid[i], SIGKILL);
			left = RETRY_MS;	/* until it is reaped */
		}
		if (ms == -1 || left < ms)
			ms = (int)left + 1;
	}
	return ms;
}

/*
 * The join socket, the launcher's answers, every connection not waiting
 * for one (a joiner is not heard before it is vetted), and every gate
 * still open.  pfd has 2 * JOIN_MAX + 2 free.  No joiner is accepted
 * while too many refused ones wait to be closed, or for a while after we
 * ran out of fds.  Returns poll's timeout: a retry of those, if any.
 */
int
broker_pollfds(struct broker *b, struct pollfd *pfd, size_t *n)
{
	size_t i;
	int ms;

	close_parked(b);
	if (b->lfd != -1 && b->nparked <= JOIN_MAX && !b->stalled)
		add_pollfd(pfd, n, b->lfd);
	if (b->lfd != -1 && b->ask != -1)
		add_pollfd(pfd, n, b->ask);
	for (i = 0; i < JOIN_MAX; i++) {
		if (b->fd[i] != -1 && b->asked[i] == 0)
			add_pollfd(pfd, n, b->fd[i]);
		if (b->gate[i] != -1)
			add_pollfd(pfd, n, b->gate[i]);
	}
	ms = b->stalled || b->nparked > 0 ? RETRY_MS : -1;
	b->stalled = 0;
	return gates_due(b, ms);
}

/* Close every fd an SCM_RIGHTS header carries; returns 1. */
static int
close_rights(const struct cmsghdr *h)
{
	size_t i, n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	int fd;

	for (i = 0; i < n; i++) {
		memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(fd));
		(void)close(fd);
	}
	return 1;
}

/*
 * A JOIN_RUN with exactly three fds and well-formed arguments: 0; -1 if
 * it is not one; -2 if nothing has arrived yet.
 */
static int
recv_run(int c, struct join_msg *m, int fds[3])
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *h;
	ssize_t n;
	int bad;

	fds[0] = fds[1] = fds[2] = -1;
	n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return -2;
	/* Exactly one SCM_RIGHTS of three fds; every other fd is closed. */
	bad = 0;
	for (h = CMSG_FIRSTHDR(&mh); h != NULL; h = CMSG_NXTHDR(&mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		if (fds[0] == -1 && h->cmsg_len == CMSG_LEN(sizeof(int) * 3))
			memcpy(fds, CMSG_DATA(h), sizeof(int) * 3);
		else
			bad = close_rights(h);
	}
	if (bad)
		return -1;
	if (n < (ssize_t)JOIN_HDR || (mh.msg_flags & (MSG_TRUNC |
	    MSG_CTRUNC)) || fds[2] == -1 || m->type != JOIN_RUN ||
	    m->len != (size_t)n - JOIN_HDR || m->len == 0 ||
	    m->args[m->len - 1] != '\0' || m->argc == 0)
		return -1;
	return 0;
}

/* argv pointing into m->args, or NULL if argc does not match them. */
static char **
split_args(struct join_msg *m)
{
	char **argv;
	size_t i, off = 0;

	if (m->argc > m->len || (argv = calloc(m->argc + 1,
	    sizeof(*argv))) == NULL)
		return NULL;
	for (i = 0; i < m->argc && off < m->len; i++) {
		argv[i] = m->args + off;
		off += strlen(argv[i]) + 1;
	}
	if (i != m->argc || off != m->len) {
		free(argv);
		return NULL;
	}
	return argv;
}

static void
send_msg(int fd, enum join_type type, int value)
{
	struct join_msg m = { .type = type, .value = value };

	(void)send(fd, &m, JOIN_HDR, MSG_NOSIGNAL);
}

/*
 * The joined command, in a child that has every fd of ours, those of
 * joiners not yet vetted too.  We keep every connection we refuse until
 * it has closed its own (*gate reads the end of file then: the gate is
 * the last fd it closes before the exec), so that no close of its is the
 * last of a connection that another jail left lingering (close_parked).
 * We do not wait for that: the jail's command can stop the child.
 */
static pid_t
spawn(const struct opts *o, char **argv, const int fds[3], int *gate)
{
	int g[2], e, i;
	pid_t p;

	if (pipe2(g, O_CLOEXEC | O_NONBLOCK) == -1)	/* never wait on it */
		return -1;
	if ((p = fork()) == 0) {
		/* Its own session: not hit by what the jail's terminal sends. */
		(void)setsid();
		for (i = 0; i < 3; i++)
			if (dup2(fds[i], i) == -1)
				_exit(EXIT_CAPJAIL);
		if (dup2(g[1], 3) == -1)
			_exit(EXIT_CAPJAIL);
		closefrom(4);
		pid1_exec(o, argv, env_home_tmp());	/* closes the gate */
	}
	e = errno;
	(void)close(g[1]);
	if (p == -1)
		(void)close(g[0]);
	else
		*gate = g[0];
	errno = e;
	return p;
}

/*
 * Say no (why, and value: a status, or an errno), and hang up: never here
 * (close_parked).  The park cannot be full (PARK_MAX); were it, c would
 * stay open until we exit.
 */
static void
hang_up(struct broker *b, int c, enum join_type why, int value)
{
	send_msg(c, why, value);
	if (b->nparked < PARK_MAX)
		b->park[b->nparked++] = c;
	close_parked(b);
}

static void
free_slot(struct broker *b, size_t s, enum join_type why, int value)
{
	hang_up(b, b->fd[s], why, value);
	b->fd[s] = -1;
	b->asked[s] = 0;
}

/*
 * A joiner: the jail's own user (the record directory, 0700, keeps the
 * socket from other users; mnt_hide keeps it from jails, though not in
 * every case), and a free slot; then the launcher is asked whether it is
 * outside every jail (joinauth.c).  Its request is read once it is vetted
 * and has arrived: a joiner that connects and says nothing must not hold
 * up PID 1.
 */
static void
accept_one(struct broker *b)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	size_t s;
	int c, r;

	/* Out of fds, the peer stays queued: poll would say so at once. */
	if ((c = accept4(b->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		b->stalled = errno == EMFILE || errno == ENFILE ||
		    errno == ENOBUFS || errno == ENOMEM;
		return;
	}
	for (s = 0; s < JOIN_MAX && (b->fd[s] != -1 || b->pid[s] != 0); s++)
		;
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    cr.uid != getuid() || s == JOIN_MAX) {
		hang_up(b, c, s == JOIN_MAX ? JOIN_BUSY : JOIN_EXIT,
		    EXIT_CAPJAIL);
		return;
	}
	if (++b->last == 0)
		b->last = 1;
	b->fd[s] = c;
	if ((r = joinauth_ask(b->ask, c, b->last)) == 0)
		b->asked[s] = b->last;
	else if (r == -1 && (b->ask == -1 || errno == EPIPE ||
	    errno == ECONNRESET))	/* the launcher is gone */
		free_slot(b, s, JOIN_DENIED, EXIT_CAPJAIL);
	else if (r == -1)	/* not a no: say why, to try again */
		free_slot(b, s, JOIN_FAILED, errno);
}

/*
 * The launcher's answers: a joiner it vouches for is heard from now on,
 * any other is told no.  Once it is gone, so is every joiner waiting.
 */
static void
take_answers(struct broker *b)
{
	uint32_t id;
	size_t s;
	int r;

	while ((r = joinauth_reply(b->ask, &id)) >= 0) {
		for (s = 0; s < JOIN_MAX && (id == 0 || b->asked[s] != id);
		    s++)
			;
		if (s < JOIN_MAX && r == 1)
			b->asked[s] = 0;
		else if (s < JOIN_MAX)
			free_slot(b, s, JOIN_DENIED, EXIT_CAPJAIL);
	}
	if (r == -2) {
		b->ask = -1;
		for (s = 0; s < JOIN_MAX; s++)
			if (b->asked[s] != 0)
				free_slot(b, s, JOIN_DENIED, EXIT_CAPJAIL);
	}
}

/* The request of the vetted joiner in slot s: run it, or hang up. */
static void
start_one(struct broker *b, const struct opts *o, size_t s)
{
	static struct join_msg m;
	char **argv = NULL;
	int fds[3] = { -1, -1, -1 }, e = 0, i, r;
	pid_t p = -1;

	r = recv_run(b->fd[s], &m, fds);
	if (r == -2)
		return;
	if (r == 0 && (argv = split_args(&m)) != NULL &&
	    (p = spawn(o, argv, fds, &b->gate[s])) == -1)
		e = errno;
	for (i = 0; i < 3; i++)
		if (fds[i] != -1)
			(void)close(fds[i]);
	if (p == -1 && argv == NULL)
		free_slot(b, s, JOIN_EXIT, EXIT_CAPJAIL);
	else if (p == -1)
		free_slot(b, s, JOIN_FAILED, e);
	else {
		b->pid[s] = p;
		b->gate_end[s] = since_start_ms() + GATE_MS;
	}
	free(argv);
}

/* The joined command of slot s has closed its fds, or ended. */
static void
shut_gate(struct broker *b, size_t s)
{
	if (b->gate[s] != -1)
		(void)close(b->gate[s]);
	b->gate[s] = -1;
}

/*
 * A relayed signal goes to the joined command's process group (it leads
 * its own session), as a terminal's ^C reaches a foreground job: the
 * command a joined shell runs is hit, not the shell alone.  A joiner that
 * went away is a hangup, as when a terminal closes.
 */
static void
joiner_input(struct broker *b, const struct opts *o, size_t s)
{
	struct join_msg m;
	ssize_t n;

	if (b->pid[s] == 0) {
		start_one(b, o, s);
		return;
	}
	n = recv(b->fd[s], &m, sizeof(m), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == (ssize_t)JOIN_HDR && m.type == JOIN_SIGNAL &&
	    m.value > 0 && m.value < NSIG) {
		(void)kill(-b->pid[s], m.value);
		return;
	}
	(void)kill(-b->pid[s], SIGHUP);
	(void)close(b->fd[s]);
	b->fd[s] = -1;
}

void
broker_serve(struct broker *b, const struct opts *o,
    const struct pollfd *pfd, size_t n)
{
	size_t i, s;
	ssize_t r;
	char x;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == b->lfd) {
			accept_one(b);
			continue;
		}
		if (pfd[i].fd == b->ask) {
			take_answers(b);
			continue;
		}
		for (s = 0; s < JOIN_MAX && b->fd[s] != pfd[i].fd &&
		    b->gate[s] != pfd[i].fd; s++)
			;
		if (s == JOIN_MAX)
			continue;
		if (b->gate[s] != pfd[i].fd)
			joiner_input(b, o, s);
		else if ((r = read(b->gate[s], &x, 1)) == 0 ||
		    (r == -1 && errno != EAGAIN))	/* the end of file */
			shut_gate(b, s);
	}
}

/* pid was a joined command: tell its joiner how it ended. Returns 1. */
int
broker_reaped(struct broker *b, pid_t pid, int status)
{
	size_t s;

	for (s = 0; s < JOIN_MAX && b->pid[s] != pid; s++)
		;
	if (s == JOIN_MAX)
		return 0;
	shut_gate(b, s);
	if (b->fd[s] != -1) {
		send_msg(b->fd[s], JOIN_EXIT, pid1_status(status));
		(void)close(b->fd[s]);
	}
	b->fd[s] = -1;
	b->pid[s] = 0;
	return 1;
}
