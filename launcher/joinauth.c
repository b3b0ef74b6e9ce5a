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
 * user namespace.  Kernels before 6.5 have no SO_PEERPIDFD; there the
 * uid alone decides, as SECURITY.md says.
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
 * The launcher's side: one question from PID 1 on sock, answered.  Never
 * blocks: the jail's processes could write to this socket through a
 * PID 1 they ptrace, and get no more than an answer about a pidfd.
 */
void
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

	if ((n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) == -1)
		return;
	nfd = take_fds(&mh, fd, 2);
	yes = n == (ssize_t)sizeof(m) && m.step == SYNC_JOIN_ASK &&
	    !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && nfd == 1 &&
	    peer_is_ours(fd[0]);
	for (i = 0; i < nfd; i++)
		(void)close(fd[i]);
	if (n == 0)
		return;
	memset(&m, 0, sizeof(m));
	m.step = yes ? SYNC_JOIN_YES : SYNC_JOIN_NO;
	(void)send(sock, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * PID 1's side: 1 if the peer on conn may join, 0 if not.  The launcher
 * is waiting for the jail, so the answer comes at once; if it is gone,
 * so is this PID 1 (PDEATHSIG).
 */
int
joinauth_ask(int sock, int conn)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct sync_msg m = { .step = SYNC_JOIN_ASK };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	socklen_t len = sizeof(int);
	ssize_t n;
	int pidfd;

	if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == -1)
		return errno == ENOPROTOOPT;	/* before Linux 6.5 */
	memset(cm.buf, 0, sizeof(cm.buf));
	cm.hdr.cmsg_level = SOL_SOCKET;
	cm.hdr.cmsg_type = SCM_RIGHTS;
	cm.hdr.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.hdr), &pidfd, sizeof(int));
	n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	(void)close(pidfd);
	if (n != (ssize_t)sizeof(m))
		return 0;
	do
		n = recv(sock, &m, sizeof(m), 0);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(m) && m.step == SYNC_JOIN_YES;
}
