/* SPDX-License-Identifier: ISC */
/*
 * capjail --join NAME [-- CMD] and capjail --stop NAME: act on a running
 * jail, found by its record and verified against the kernel (verify.c).
 * --join connects to the jail's join socket, checks that the process
 * listening on it is the verified PID 1 (SO_PEERCRED) and still alive,
 * then asks it to run CMD with our stdin, stdout and stderr (a terminal
 * among them through a pipe we copy: joinio.c); it relays our
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
send_run(int s, char *const *argv, const int fds[3])
{
	static struct join_msg m;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 3)];
	} cm;
	struct iovec iov = { .iov_base = &m };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
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
	cm.hdr.cmsg_len = CMSG_LEN(sizeof(int) * 3);
	memcpy(CMSG_DATA(&cm.hdr), fds, sizeof(int) * 3);
	/* Hung up on before it was heard: why is waiting to be read. */
	if (sendmsg(s, &mh, MSG_NOSIGNAL) == -1 && errno != EPIPE &&
	    errno != ECONNRESET)
		err(EXIT_CAPJAIL, "--join: send the command");
}

/* The command's status from the broker, -1 if not yet (EINTR). */
static int
join_reply(int s, const struct opts *o)
{
	struct join_msg m;
	ssize_t n;

	n = recv(s, &m, JOIN_HDR, 0);
	/* A hang-up with our request unread is told before what came first. */
	if (n == -1 && errno == ECONNRESET)
		n = recv(s, &m, JOIN_HDR, MSG_DONTWAIT);
	if (n == (ssize_t)JOIN_HDR && m.type == JOIN_EXIT)
		return m.value;
	if (n == (ssize_t)JOIN_HDR && m.type == JOIN_DENIED) {
		warnx("jail %s refused the join: join from outside every jail, "
		    "in the user namespace the jail was started from", o->name);
		return EXIT_CAPJAIL;
	}
	if (n == (ssize_t)JOIN_HDR && m.type == JOIN_BUSY) {
		warnx("jail %s serves %d joins already; try again when one "
		    "ends", o->name, JOIN_MAX);
		return EXIT_CAPJAIL;
	}
	if (n == (ssize_t)JOIN_HDR && m.type == JOIN_FAILED) {
		warnx("jail %s could not start the command: %s; try again",
		    o->name, strerror(m.value > 0 ? m.value : EIO));
		return EXIT_CAPJAIL;
	}
	if (n == -1 && errno == EINTR)
		return -1;
	warnx("jail %s ended before the command did", o->name);
	return 128 + SIGKILL;
}

/* The poll set: the socket, our signals, then each live terminal pipe. */
static nfds_t
relay_fds(struct pollfd *p, int s, int sfd, const struct joinio *px,
    size_t npx)
{
	nfds_t n = 2;
	size_t i;

	p[0] = (struct pollfd){ .fd = s, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (i = 0; i < npx; i++)
		p[n++] = (struct pollfd){ .fd = px[i].kept == -1 ? -1 :
		    px[i].in ? px[i].ours : px[i].kept, .events = POLLIN };
	return n;
}

/*
 * Our signals to the joined command and our terminal's traffic, until its
 * status comes back.
 */
static int
relay(int s, const struct opts *o, struct joinio *px, size_t npx)
{
	struct signalfd_siginfo si;
	struct pollfd p[5];
	struct join_msg m;
	sigset_t set = o->fwd;
	size_t i;
	int sfd;

	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1)
		err(EXIT_CAPJAIL, "signalfd");
	for (;;) {
		if (poll(p, relay_fds(p, s, sfd, px, npx), -1) == -1)
			continue;
		for (i = 0; i < npx; i++)
			if (p[2 + i].revents != 0)
				(void)joinio_pump(&px[i]);
		if (p[1].revents != 0 &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			m.type = JOIN_SIGNAL;
			m.value = (int32_t)si.ssi_signo;
			(void)send(s, &m, JOIN_HDR, MSG_NOSIGNAL);
		}
		if (p[0].revents != 0 && (m.value = join_reply(s, o)) != -1) {
			joinio_drain(px, npx);
			return m.value;
		}
	}
}

int
join_run(struct opts *o)
{
	struct joinio px[3];
	struct record r;
	int pidfd, s, fds[3], i;
	size_t npx;

	(void)find(o->name, &r, &pidfd);
	if (o->argv[0] == NULL)
		o->argv = opts_default_command(o);
	s = connect_broker(&r, pidfd);
	(void)close(pidfd);
	npx = joinio_open(px, fds);
	send_run(s, o->argv, fds);
	for (i = 0; i < 3; i++)
		if (fds[i] != i)
			(void)close(fds[i]);
	return relay(s, o, px, npx);
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
