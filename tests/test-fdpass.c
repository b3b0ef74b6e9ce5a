/* SPDX-License-Identifier: ISC */
/*
 * proto/fdpass.c over a real SOCK_SEQPACKET socketpair: no fd, one fd,
 * two and three fds, a wrong kind of control message, short and long
 * datagrams, EOF; and after every refusal no received fd is left open.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "tap.h"

static int sv[2];

static int
nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d != NULL && readdir(d) != NULL)
		n++;
	if (d != NULL)
		(void)closedir(d);
	return n;
}

/* Send len bytes with nfd copies of fd in one SCM_RIGHTS message. */
static void
send_fds(const void *msg, size_t len, int fd, int nfd)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(3 * sizeof(int))]; } cm;
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.b, .msg_controllen = CMSG_SPACE(nfd *
	    sizeof(int)) };
	struct cmsghdr *c;
	int fds[3] = { fd, fd, fd };

	memset(&cm, 0, sizeof(cm));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
	if (sendmsg(sv[0], &mh, 0) != (ssize_t)len)
		diag("sendmsg: %s", strerror(errno));
}

static void
test_good(void)
{
	struct proto_req out, in;
	struct stat a, b;
	int fd, null = open("/dev/null", O_RDONLY);

	proto_init_req(&out, PROTO_CHECK_GRANTS, 5);
	ok(fdpass_send(sv[0], &out, sizeof(out), -1) == 0, "send, no fd");
	ok(fdpass_recv(sv[1], &in, sizeof(in), &fd) == 0 && fd == -1 &&
	    memcmp(&in, &out, sizeof(in)) == 0, "received intact, no fd");
	ok(fdpass_send(sv[0], &out, sizeof(out), null) == 0, "send one fd");
	ok(fdpass_recv(sv[1], &in, sizeof(in), &fd) == 0 && fd != -1,
	    "received one fd");
	ok(fstat(fd, &a) == 0 && fstat(null, &b) == 0 && a.st_ino == b.st_ino &&
	    a.st_rdev == b.st_rdev, "it is the file that was sent");
	ok(fcntl(fd, F_GETFD) == FD_CLOEXEC, "received close-on-exec");
	(void)close(fd);
	(void)close(null);
}

/* The next recv must fail with errno e and leave no new fd open. */
static void
refused(int e, const char *what)
{
	struct proto_req in;
	int fd = 12345, before = nfds(), r;

	r = fdpass_recv(sv[1], &in, sizeof(in), &fd);
	ok(r == -1 && errno == e && fd == -1, "%s: refused (%s)", what,
	    strerror(e));
	ok(nfds() == before, "%s: no fd left open", what);
}

static void
test_bad(void)
{
	struct proto_req out;
	char big[sizeof(out) + 1] = { 0 };
	int null = open("/dev/null", O_RDONLY), on = 1;

	proto_init_req(&out, PROTO_ATTACH_VETH, 6);
	send_fds(&out, sizeof(out), null, 2);
	refused(EBADMSG, "two fds");
	send_fds(&out, sizeof(out), null, 3);
	refused(EBADMSG, "three fds (truncated control data)");
	send_fds(&out, sizeof(out) - 1, null, 1);
	refused(EMSGSIZE, "short datagram with an fd");
	(void)fdpass_send(sv[0], &out, sizeof(out) - 1, -1);
	refused(EMSGSIZE, "short datagram");
	(void)fdpass_send(sv[0], big, sizeof(big), -1);
	refused(EMSGSIZE, "long datagram");
	send_fds(big, sizeof(big), null, 1);
	refused(EMSGSIZE, "long datagram with an fd");
	(void)setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	(void)fdpass_send(sv[0], &out, sizeof(out), -1);
	refused(EBADMSG, "SCM_CREDENTIALS instead of SCM_RIGHTS");
	on = 0;
	(void)setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	(void)close(null);
	(void)close(sv[0]);
	refused(0, "peer closed (EOF)");
}

int
main(void)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1) {
		printf("1..0 # SKIP socketpair: %s\n", strerror(errno));
		return 0;
	}
	test_good();
	test_bad();
	return done_testing();
}
