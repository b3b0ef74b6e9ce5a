/* SPDX-License-Identifier: ISC */
/*
 * Sending and receiving one fixed-size message plus at most one file
 * descriptor over a SOCK_SEQPACKET socket.  The receiver trusts nothing: the
 * datagram must be exactly the expected size, untruncated, and carry either
 * no control data or exactly one SCM_RIGHTS fd; anything else is refused and
 * every fd that arrived is closed.  Whether the fd is the *right* kind of fd
 * is the caller's business.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

/* Close every fd carried by any SCM_RIGHTS cmsg in mh. */
static void
close_all_fds(struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		size_t i, nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			(void)close(fd);
		}
	}
}

/* The one shape we accept: a single cmsg holding a single fd. */
static int
take_one_fd(struct msghdr *mh, int *fd)
{
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);

	if (c == NULL)
		return 0;
	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)) ||
	    CMSG_NXTHDR(mh, c) != NULL)
		return -1;
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

/*
 * Receive exactly len bytes into msg and at most one fd into *fd (-1 when
 * none came).  Returns 0; or -1 with errno: 0 when the peer closed the
 * socket or sent an empty datagram, EMSGSIZE for a datagram of the wrong size or truncated data,
 * EBADMSG for any other control data.  On failure no fd is left open.
 */
int
fdpass_recv(int sock, void *msg, size_t len, int *fd)
{
	/* One byte more than wanted, so that a long datagram shows as such. */
	union fdpass_cmsg cm;
	char extra;
	struct iovec iov[2] = {
		{ .iov_base = msg, .iov_len = len },
		{ .iov_base = &extra, .iov_len = 1 },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	ssize_t n;

	*fd = -1;
	memset(&cm, 0, sizeof(cm));
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0) {
		/* EOF, or an empty datagram (SEQPACKET cannot tell them
		 * apart): either way the session ends. */
		close_all_fds(&mh);
		errno = 0;
		return -1;
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		close_all_fds(&mh);
		errno = EBADMSG;
		return -1;
	}
	if ((size_t)n != len || (mh.msg_flags & MSG_TRUNC)) {
		close_all_fds(&mh);
		errno = EMSGSIZE;
		return -1;
	}
	if (take_one_fd(&mh, fd) == -1) {
		close_all_fds(&mh);
		*fd = -1;
		errno = EBADMSG;
		return -1;
	}
	return 0;
}
