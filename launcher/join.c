/* SPDX-License-Identifier: ISC */
/*
 * capjail --join NAME [-- CMD] and capjail --stop NAME: act on a running
 * jail, found by its record and verified against the kernel (verify.c).
 * --join connects to the jail's join socket, checks that the process
 * listening on it is the verified PID 1 (SO_PEERCRED) and still alive,
 * then asks it to run CMD with our stdin, stdout and stderr; it relays our
 * signals and returns CMD's status.  --stop signals PID 1 through its
 * pidfd, so a PID reused meanwhile can never be hit.  Trusts nothing in a
 * record.
 */
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

static int
find(const char *name, struct record *r, int *pidfd)
{
	if (record_find(name, r, pidfd) == -1)
		errx(EXIT_CAPJAIL, "no running jail named %s (see capjail "
		    "--list)", name);
	return 0;
}

static int
alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* Connected to the jail's broker, proven to be its PID 1. */
static int
connect_broker(const struct record *r, int pidfd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int dfd, s;

	if ((dfd = recdir_open(0)) == -1)
		errx(EXIT_CAPJAIL, "jail %s: its record is gone", r->name);
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "/proc/self/fd/%d/%s.sock", dfd, r->name);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		err(EXIT_CAPJAIL, "socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(EXIT_CAPJAIL, "jail %s: join socket", r->name);
	(void)close(dfd);
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    cr.pid != r->pid || cr.uid != getuid() || !alive(pidfd))
		errx(EXIT_CAPJAIL, "jail %s: its join socket is not its own: "
		    "not joining", r->name);
	return s;
}

static void
send_run(int s, char *const *argv)
{
	static struct join_msg m;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 3)];
	} cm;
	struct iovec iov = { .iov_base = &m };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	size_t n;

	m.type = JOIN_RUN;
	for (; *argv != NULL; argv++, m.argc++) {
		n = strlen(*argv) + 1;
		if (n > sizeof(m.args) - m.len)
			errx(EXIT_CAPJAIL, "--join: the command is too long");
		memcpy(m.args + m.len, *argv, n);
		m.len += n;
	}
	iov.iov_len = JOIN_HDR + m.len;
	cm.hdr.cmsg_level = SOL_SOCKET;
	cm.hdr.cmsg_type = SCM_RIGHTS;
	cm.hdr.cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(&cm.hdr), fds, sizeof(fds));
	if (sendmsg(s, &mh, MSG_NOSIGNAL) == -1)
		err(EXIT_CAPJAIL, "--join: send the command");
}

/* Our signals to the joined command, until its status comes back. */
static int
relay(int s, const struct opts *o)
{
	struct signalfd_siginfo si;
	struct pollfd p[2];
	struct join_msg m;
	sigset_t set = o->fwd;
	ssize_t n;

	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	if ((p[1].fd = signalfd(-1, &set, SFD_CLOEXEC)) == -1)
		err(EXIT_CAPJAIL, "signalfd");
	p[0].fd = s;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) == -1)
			continue;
		if (p[1].revents != 0 &&
		    read(p[1].fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			m.type = JOIN_SIGNAL;
			m.value = (int32_t)si.ssi_signo;
			(void)send(s, &m, JOIN_HDR, MSG_NOSIGNAL);
		}
		if (p[0].revents == 0)
			continue;
		n = recv(s, &m, JOIN_HDR, 0);
		if (n == (ssize_t)JOIN_HDR && m.type == JOIN_EXIT)
			return m.value;
		if (n == -1 && errno == EINTR)
			continue;
		warnx("jail %s ended before the command did", o->name);
		return 128 + SIGKILL;
	}
}

int
join_run(struct opts *o)
{
	struct record r;
	int pidfd, s;

	(void)find(o->name, &r, &pidfd);
	if (o->argv[0] == NULL)
		o->argv = opts_default_command(o);
	s = connect_broker(&r, pidfd);
	(void)close(pidfd);
	send_run(s, o->argv);
	return relay(s, o);
}

/* 1 once the process behind pidfd has ended, 0 after ms without. */
static int
gone_within(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int n;

	while ((n = poll(&p, 1, ms)) == -1 && errno == EINTR)
		;
	return n == 1;
}

int
stop_run(const struct opts *o)
{
	struct record r;
	int pidfd;

	(void)find(o->name, &r, &pidfd);
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0) == -1)
		err(EXIT_CAPJAIL, "--stop %s: SIGTERM", o->name);
	if (gone_within(pidfd, o->stop_time * 1000))
		return 0;
	notice("--stop %s: still running after %d s: SIGKILL", o->name,
	    o->stop_time);
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == -1)
		err(EXIT_CAPJAIL, "--stop %s: SIGKILL", o->name);
	if (!gone_within(pidfd, 10000))
		errx(EXIT_CAPJAIL, "--stop %s: PID %ld did not end", o->name,
		    (long)r.pid);
	return 0;
}
