/* SPDX-License-Identifier: ISC */
/*
 * Who may use a jail's join socket: a process of the jail's user in the
 * user namespace capjail ran in, and nothing inside a jail.  The uid alone
 * does not tell them apart: another jail of the same user that reaches the
 * socket (a bind that shows the record directory, say; SECURITY.md lists
 * the ways) has that uid too, and every peer outside the jail's PID
 * namespace shows as PID 0 to the broker.  Nor can the broker ask the
 * kernel itself: from inside the jail's user namespace, the namespaces of
 * a process outside it are not its to read (CAP_SYS_PTRACE there), and a
 * descriptor the joiner sends would prove nothing, as a jail the user
 * once joined could keep it.
 *
 * So the broker asks the launcher, which waits outside: it sends the
 * peer's pidfd (SO_PEERPIDFD, the process that connected) over the sync
 * socket and the launcher answers whether that process is in its own
 * user namespace.  Each question has an id that its answer repeats, so an
 * answer is never taken for another's, and PID 1 never waits for one: the
 * joiner waits, its connection unread, and PID 1 goes on reaping.
 * Kernels before 6.5 have no SO_PEERPIDFD; there the uid alone decides,
 * as SECURITY.md says.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD	77
#endif

/* The PID of pidfd's process here, from its fdinfo; 0 if none, or gone. */
static pid_t
pidfd_pid(int pidfd)
{
	char path[64], buf[1024], *p;
	long v;

	(void)snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	if (read_text(path, buf, sizeof(buf)) == 0 ||
	    (p = strstr(buf, "\nPid:\t")) == NULL)
		return 0;
	v = strtol(p + 6, NULL, 10);
	return v > 0 && v <= 0x3fffffff ? (pid_t)v : 0;
}

/*
 * Whether pidfd's process is in our user namespace.  Its PID is read,
 * then its namespace, then the pidfd is checked still alive: a process
 * that lives cannot have had its PID reused meanwhile.
 */
static int
peer_is_ours(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	struct stat self, st;
	char path[64];
	pid_t pid;

	if ((pid = pidfd_pid(pidfd)) == 0)
		return 0;
	(void)snprintf(path, sizeof(path), "/proc/%ld/ns/user", (long)pid);
	if (stat("/proc/self/ns/user", &self) == -1 || stat(path, &st) == -1 ||
	    st.st_dev != self.st_dev || st.st_ino != self.st_ino)
		return 0;
	return poll(&p, 1, 0) == 0;
}

/* The fds of msg's SCM_RIGHTS headers, up to max, in fd; how many. */
static size_t
take_fds(struct msghdr *msg, int *fd, size_t max)
{
	struct cmsghdr *h;
	size_t i, n = 0;

	for (h = CMSG_FIRSTHDR(msg); h != NULL; h = CMSG_NXTHDR(msg, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int) &&
		    n < max; i++)
			memcpy(&fd[n++], CMSG_DATA(h) + i * sizeof(int),
			    sizeof(int));
	}
	return n;
}

/*
 * After a read of nothing from sock: whether its peer is gone.  A
 * SEQPACKET socket also reads nothing from an empty message, which a
 * process that ptraces the peer can send.
 */
static int
peer_gone(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

/*
 * The launcher's side: one question from PID 1 on sock, answered; -1 once
 * PID 1 has closed it (or it failed), else 0.  Never blocks: the jail's
 * processes could write to this socket through a PID 1 they ptrace, and
 * get no more than an answer about a pidfd.  Only a well-formed question
 * is answered, with its id: an answer PID 1 did not ask for would be
 * taken for the next one it asks.
 */
int
joinauth_answer(int sock)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 2)];
	} cm;
	struct sync_msg m = { 0 };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	ssize_t n;
	size_t i, nfd;
	int fd[2], yes;

	n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	nfd = take_fds(&mh, fd, 2);
	yes = nfd == 1 && peer_is_ours(fd[0]);
	for (i = 0; i < nfd; i++)
		(void)close(fd[i]);
	if (n == 0 && peer_gone(sock))
		return -1;
	if (n != (ssize_t)sizeof(m) || m.step != SYNC_JOIN_ASK || m.id == 0 ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return 0;
	m.step = yes ? SYNC_JOIN_YES : SYNC_JOIN_NO;
	memset(&m.net, 0, sizeof(m.net));
	(void)send(sock, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
	return 0;
}

/*
 * PID 1's side, asking: 1 if the peer on conn may join at once (a kernel
 * without SO_PEERPIDFD: the uid alone decides), 0 if question id is on its
 * way to the launcher, -1 with errno if it could not be asked.  The answer
 * is read by joinauth_reply when it comes: PID 1 must not wait for it, as the
 * launcher may be stopped (^Z) for as long as its user likes, and PID 1
 * reaps and forwards signals meanwhile.
 */
int
joinauth_ask(int sock, int conn, uint32_t id)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct sync_msg m = { .step = SYNC_JOIN_ASK, .id = id };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	socklen_t len = sizeof(int);
	ssize_t n;
	int e, pidfd;

	if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == -1)
		return errno == ENOPROTOOPT ? 1 : -1;	/* before Linux 6.5 */
	if (sock == -1) {
		(void)close(pidfd);
		return -1;
	}
	memset(cm.buf, 0, sizeof(cm.buf));
	cm.hdr.cmsg_level = SOL_SOCKET;
	cm.hdr.cmsg_type = SCM_RIGHTS;
	cm.hdr.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.hdr), &pidfd, sizeof(int));
	n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	e = errno;
	(void)close(pidfd);
	if (n == (ssize_t)sizeof(m))
		return 0;
	errno = n == -1 ? e : EIO;
	return -1;
}

/*
 * PID 1's side, an answer: 1 (yes) or 0 (no) to question *id; -1 if none
 * is waiting; -2 once the launcher is gone.
 */
int
joinauth_reply(int sock, uint32_t *id)
{
	struct sync_msg m = { 0 };
	ssize_t n;

	n = recv(sock, &m, sizeof(m), MSG_DONTWAIT);
	if ((n == 0 && peer_gone(sock)) ||
	    (n == -1 && errno != EAGAIN && errno != EINTR))
		return -2;
	if (n == -1)
		return -1;
	/* Anything else is an answer to no question: id 0 is never asked. */
	*id = n == (ssize_t)sizeof(m) && (m.step == SYNC_JOIN_YES ||
	    m.step == SYNC_JOIN_NO) ? m.id : 0;
	return m.step == SYNC_JOIN_YES;
}
