/* SPDX-License-Identifier: ISC */
/*
 * A bare join client, for the tests that play a jail which reached
 * another jail's join socket: it speaks the join protocol (launcher.h)
 * without capjail's record and PID 1 checks, which such an attacker would
 * skip too.  Sends CMD with its stdin, stdout and stderr, waits for the
 * broker's answer, and prints it on stderr as one line:
 *
 *	join exit N		the command ran and exited N
 *	join denied		the broker refused the joiner
 *	join eof		the broker hung up
 *
 * usage: cj-join SOCKET CMD [ARG...]
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../launcher/launcher.h"

static struct join_msg m;

int
main(int argc, char *argv[])
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 3)];
	} cm;
	struct iovec iov = { .iov_base = &m };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	const int fds[3] = { 0, 1, 2 };
	size_t n;
	int i, s;

	if (argc < 3 || strlen(argv[1]) >= sizeof(sun.sun_path))
		errx(2, "usage: cj-join SOCKET CMD [ARG...]");
	memcpy(sun.sun_path, argv[1], strlen(argv[1]));
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(2, "%s", argv[1]);
	m.type = JOIN_RUN;
	for (i = 2; i < argc; i++, m.argc++) {
		n = strlen(argv[i]) + 1;
		if (n > sizeof(m.args) - m.len)
			errx(2, "command too long");
		memcpy(m.args + m.len, argv[i], n);
		m.len += n;
	}
	iov.iov_len = JOIN_HDR + m.len;
	memset(cm.buf, 0, sizeof(cm.buf));
	cm.hdr.cmsg_level = SOL_SOCKET;
	cm.hdr.cmsg_type = SCM_RIGHTS;
	cm.hdr.cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(&cm.hdr), fds, sizeof(fds));
	if (sendmsg(s, &mh, MSG_NOSIGNAL) == -1 && errno != EPIPE &&
	    errno != ECONNRESET)
		err(2, "sendmsg");
	/* As join.c: a reset is reported before the answer that came first. */
	if (recv(s, &m, JOIN_HDR, 0) != (ssize_t)JOIN_HDR && (errno !=
	    ECONNRESET || recv(s, &m, JOIN_HDR, MSG_DONTWAIT) !=
	    (ssize_t)JOIN_HDR))
		fprintf(stderr, "join eof\n");
	else if (m.type == JOIN_DENIED)
		fprintf(stderr, "join denied\n");
	else if (m.type == JOIN_EXIT)
		fprintf(stderr, "join exit %d\n", m.value);
	else
		fprintf(stderr, "join type %u\n", m.type);
	return 0;
}
