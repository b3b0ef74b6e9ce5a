/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: arbitrary bytes through the helper's receive ->
 * validate -> authorise -> act path (fdpass_recv, dispatch and everything
 * under it), exactly as helper/main.c's loop runs it, with the kernel
 * replaced by fakekernel.c.  The input is a sequence of records, each a
 * control byte then a message:
 *
 *	bits 0-1  the fd sent along: none, a netns we own, the helper's own
 *	          netns, /dev/null
 *	bit  2    send a second fd too
 *	bits 3-5  an errno to inject into the kernel's answers (0: none)
 *	bits 6-7  ... into which nl_talk of this request
 *	then, if the next byte is 0xff, a length byte follows; otherwise the
 *	message is sizeof(struct proto_req) bytes (short input is padded).
 *
 * The helper's exits (errx on a malformed request, exit on release or
 * EOF) end the input, through --wrap.  Every reply must pass the
 * launcher's own proto_check_rep, or we abort.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/netlink.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
void __wrap_exit(int);
void __wrap_errx(int, const char *, ...);
void __wrap_err(int, const char *, ...);
void __wrap_errc(int, int, const char *, ...);
void __real_exit(int);
int __wrap_nanosleep(const struct timespec *, struct timespec *);

static const int inject[8] = { 0, EEXIST, ENOENT, EPERM, ENOBUFS, EAGAIN,
	ENODEV, EINVAL };

static struct config conf;
static struct session s;
static struct nl rtnl, nf;
static int client = -1, fd_own = -1, fd_self = -1, fd_null = -1;
static jmp_buf done;
static int in_input;

/*
 * lease.c waits a few milliseconds for a racing helper to label its link;
 * here nothing races, and the wait would only slow every input down.
 */
int
__wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
	(void)req;
	(void)rem;
	return 0;
}

/* The helper ending its session: leave this input, not the process. */
void
__wrap_exit(int code)
{
	if (in_input)
		longjmp(done, 1);
	__real_exit(code);
}

void
__wrap_errx(int code, const char *fmt, ...)
{
	(void)code;
	(void)fmt;
	longjmp(done, 1);
}

void
__wrap_err(int code, const char *fmt, ...)
{
	(void)code;
	(void)fmt;
	longjmp(done, 1);
}

void
__wrap_errc(int code, int e, const char *fmt, ...)
{
	(void)code;
	(void)e;
	(void)fmt;
	longjmp(done, 1);
}

/* A network namespace owned by us: a child unshares one, we keep its fd. */
static int
own_netns(void)
{
	char path[64], c;
	int p[2], fd;
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		abort();
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == -1)
			_exit(1);
		(void)write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	if (read(p[0], &c, 1) != 1)
		abort();
	(void)snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	(void)close(p[0]);
	(void)close(p[1]);
	return fd;
}

static const char conf_text[] =
    "bridge capjail0 10.89.0.1/29 publish-from=eth0\n"
    "bridge other0 10.90.0.1/24 isolate=no outbound=nat forward=yes\n"
    "user 0 capjail0 jails=3 ports=8000-8099\n"
    "user 65534 other0 jails=1\n"
    "group 0 other0 jails=2 ports=80-80\n";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[CONF_ERR_LEN];
	gid_t gid = getgid();
	int sv[2];
	FILE *f;

	(void)argc;
	(void)argv;
	/* Either end may have landed on fd 3 itself: move both up first. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    (client = fcntl(sv[0], F_DUPFD_CLOEXEC, 10)) == -1 ||
	    (sv[0] = fcntl(sv[1], F_DUPFD_CLOEXEC, 10)) == -1 ||
	    dup2(sv[0], PROTO_SOCK_FD) == -1)
		abort();
	(void)close(sv[0]);
	(void)close(sv[1]);
	(void)fcntl(client, F_SETFL, O_NONBLOCK);
	f = fmemopen((void *)(uintptr_t)conf_text, sizeof(conf_text) - 1, "r");
	if (f == NULL || config_parse(&conf, f, "fuzz.conf", why,
	    sizeof(why)) == -1)
		abort();
	(void)fclose(f);
	s.conf = &conf;
	s.uid = getuid();
	config_resolve(&conf, s.uid, &gid, 1, s.grant);
	(void)nl_open(&rtnl, NETLINK_ROUTE);
	(void)nl_open(&nf, NETLINK_NETFILTER);
	s.rtnl = &rtnl;
	s.nf = &nf;
	netns_self(&s);
	fd_own = own_netns();
	fd_self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd_own == -1 || fd_self == -1 || fd_null == -1)
		abort();
	return 0;
}

/* Send one datagram with zero, one or two fds, as a client could. */
static void
send_raw(const uint8_t *msg, size_t len, int fd, int second)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	int fds[2] = { fd, fd_null };
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memset(&cm, 0, sizeof(cm));
	if (fd != -1) {
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE((second ? 2 : 1) * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((second ? 2 : 1) * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (second ? 2 : 1) * sizeof(int));
	}
	if (sendmsg(client, &mh, MSG_NOSIGNAL) == -1)
		abort();
}

/* The reply to req, if the helper sent one, must be one a client accepts. */
static void
check_reply(const struct proto_req *req)
{
	struct proto_rep rep;
	const char *why;
	ssize_t n = recv(client, &rep, sizeof(rep), 0);

	if (n == -1 && errno == EAGAIN)
		return;
	if (n != (ssize_t)sizeof(rep) || proto_check_rep(&rep, req,
	    &why) == -1)
		abort();
}

/* One request through the helper's loop body (helper/main.c). */
static void
serve_one(void)
{
	struct proto_req req;
	int fd;

	if (fdpass_recv(PROTO_SOCK_FD, &req, sizeof(req), &fd) == -1)
		dispatch_recv_failed(&s, errno);
	dispatch(&s, &req, fd);
	check_reply(&req);
}

static void
reset_session(void)
{
	char junk[sizeof(struct proto_rep)];

	while (recv(client, junk, sizeof(junk), 0) > 0)
		;
	s.attached = 0;
	memset(&s.lease, 0, sizeof(s.lease));
	fk_reset();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int *fds[4] = { NULL, &fd_own, &fd_self, &fd_null };
	uint8_t msg[256];
	size_t i = 0, len, n;
	int nreq;

	reset_session();
	in_input = 1;
	if (setjmp(done) == 0) {
		for (nreq = 0; i < size && nreq < 16; nreq++) {
			uint8_t ctl = data[i++];

			len = sizeof(struct proto_req);
			if (i + 1 < size && data[i] == 0xff) {
				len = data[i + 1];
				i += 2;
			}
			memset(msg, 0, sizeof(msg));
			n = size - i < len ? size - i : len;
			memcpy(msg, data + i, n);
			i += n;
			fk_inject(inject[(ctl >> 3) & 7], ctl >> 6);
			send_raw(msg, len, fds[ctl & 3] ? *fds[ctl & 3] : -1,
			    (ctl & 4) != 0);
			serve_one();
		}
		/* The launcher going away: EOF, release, exit(0). */
		dispatch_recv_failed(&s, 0);
	}
	in_input = 0;
	return 0;
}
