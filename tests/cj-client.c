/* SPDX-License-Identifier: ISC */
/*
 * A test client for capjail-net: spawns the helper with a socket on fd 3
 * (or, on request, something wrong there), then runs the steps given on
 * the command line, sending valid or deliberately malformed requests with
 * the netns fd of choice.  It prints one line per event so shell tests can
 * assert on them:
 *
 *	helper pid N		netns pid N
 *	reply type=T status=N text=TEXT
 *	attach addr=A/P gw=G mtu=M mac=M host=H
 *	grant bridge=B gw=G/P used=N max=N ports=LO-HI warnings=W
 *	reply eof		helper exit N | helper signal N
 *
 * usage: cj-client -H HELPER [-n NETNS] [-3 FD3] [-p UID:GID] [-a ARG]... STEP...
 *   NETNS: own (default: a new user+net namespace), none, two, self,
 *          path:FILE, fd:N
 *   FD3:   pair (default), closed, file, stream
 *   -p:    (as root) make the socketpair, then become UID:GID and exec
 *   STEP:  attach BRIDGE IFNAME [ADDR] | check | release | publish |
 *          raw:SHAPE | hold:FILE (wait until FILE exists) | close
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

static const char *nsspec = "own", *fd3 = "pair";
static char *hargv[16] = { "capjail-net" };
static int hargc = 1, sock = -1, nsfd = -1;
static uint32_t seq;
static pid_t hpid;

/* A child in a new user+net namespace sends us its netns, then waits. */
static int
own_netns(void)
{
	int sv[2], fd;
	pid_t pid;
	char c;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		err(2, "socketpair");
	fflush(stdout);
	if ((pid = fork()) == -1)
		err(2, "fork");
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == -1)
			err(2, "unshare");
		if ((fd = open("/proc/self/ns/net", O_RDONLY)) == -1 ||
		    fdpass_send(sv[1], "n", 1, fd) == -1)
			err(2, "sending netns");
		for (;;)
			pause();
	}
	printf("netns pid %d\n", (int)pid);
	if (fdpass_recv(sv[0], &c, 1, &fd) == -1 || fd == -1)
		errx(2, "no netns from child");
	(void)close(sv[0]);
	(void)close(sv[1]);
	return fd;
}

static int
open_netns(void)
{
	int fd;

	if (strcmp(nsspec, "own") == 0 || strcmp(nsspec, "two") == 0) {
		fd = own_netns();
		(void)fcntl(fd, F_SETFD, 0);	/* the helper must close it */
		return fd;
	}
	if (strcmp(nsspec, "none") == 0)
		return -1;
	if (strcmp(nsspec, "self") == 0)
		nsspec = "path:/proc/self/ns/net";
	if (strncmp(nsspec, "fd:", 3) == 0)
		return atoi(nsspec + 3);
	if (strncmp(nsspec, "path:", 5) == 0)
		return open(nsspec + 5, O_RDONLY);	/* inherited on purpose */
	errx(2, "bad -n %s", nsspec);
}

static void
become(const char *ids)
{
	uid_t uid;
	gid_t gid;

	if (sscanf(ids, "%u:%u", &uid, &gid) != 2)
		errx(2, "bad -p %s", ids);
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		err(2, "become %s", ids);
}

static void
spawn(const char *helper, const char *ids)
{
	int sv[2], go[2], type = strcmp(fd3, "stream") ? SOCK_SEQPACKET :
	    SOCK_STREAM;
	char c;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == -1 ||
	    pipe2(go, O_CLOEXEC) == -1)
		err(2, "socketpair");
	fflush(stdout);
	if ((hpid = fork()) == -1)
		err(2, "fork");
	if (hpid == 0) {
		/* Wait for our pid line, so the helper's stderr follows it. */
		(void)close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		if (ids != NULL)
			become(ids);
		if (strcmp(fd3, "closed") == 0)
			(void)close(3);
		else if (strcmp(fd3, "file") == 0)
			(void)dup2(open("/dev/null", O_RDWR), 3);
		else
			(void)dup2(sv[1], 3);
		(void)fcntl(3, F_SETFD, 0);
		execv(helper, hargv);
		err(127, "%s", helper);
	}
	printf("helper pid %d\n", (int)hpid);
	fflush(stdout);
	(void)close(go[0]);
	if (write(go[1], "", 1) != 1)
		err(2, "releasing the helper");
	(void)close(go[1]);
	(void)close(sv[1]);
	sock = sv[0];
}

static void
print_reply(const struct proto_rep *rep, const struct proto_req *req)
{
	const struct proto_attach_rep *a = &rep->u.attach;
	const struct proto_grant *g;
	const char *why;
	char b1[INET_ADDRSTRLEN], b2[INET_ADDRSTRLEN];
	uint32_t i;

	if (proto_check_rep(rep, req, &why) == -1) {
		printf("reply invalid: %s\n", why);
		return;
	}
	printf("reply type=%s status=%u text=%s\n",
	    proto_type_name(rep->hdr.type), rep->status, rep->text);
	if (rep->status == 0 && rep->hdr.type == PROTO_ATTACH_VETH)
		printf("attach addr=%s/%u gw=%s mtu=%u "
		    "mac=%02x:%02x:%02x:%02x:%02x:%02x host=%s\n",
		    inet_ntop(AF_INET, &a->addr, b1, sizeof(b1)), a->prefixlen,
		    inet_ntop(AF_INET, &a->gateway, b2, sizeof(b2)), a->mtu,
		    a->mac[0], a->mac[1], a->mac[2], a->mac[3], a->mac[4],
		    a->mac[5], a->host_ifname);
	for (i = 0; rep->status == 0 && rep->hdr.type == PROTO_CHECK_GRANTS &&
	    i < rep->u.check.ngrants; i++) {
		g = &rep->u.check.grants[i];
		printf("grant bridge=%s gw=%s/%u used=%u max=%u ports=%u-%u "
		    "warnings=%u\n", g->bridge, inet_ntop(AF_INET, &g->gateway,
		    b1, sizeof(b1)), g->prefixlen, g->jails_used, g->jails_max,
		    g->port_lo, g->port_hi, g->warnings);
	}
}

/* Two fds in one SCM_RIGHTS message: fdpass_send cannot, on purpose. */
static int
send_two(const void *msg, size_t len, int fd)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(2 * sizeof(int))]; } cm;
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cm.b, .msg_controllen = sizeof(cm.b) };
	struct cmsghdr *c;
	int fds[2] = { fd, fd };

	memset(&cm, 0, sizeof(cm));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static void
transact(const struct proto_req *req, size_t len, int fd)
{
	struct proto_rep rep;
	int rfd, r;

	fflush(stdout);
	if (fd != -1 && strcmp(nsspec, "two") == 0)
		r = send_two(req, len, fd);
	else
		r = fdpass_send(sock, req, len, fd);
	if (r == -1)
		printf("send failed: %s\n", strerror(errno));
	if (fdpass_recv(sock, &rep, sizeof(rep), &rfd) == -1)
		printf("reply %s\n", errno == 0 ? "eof" : strerror(errno));
	else
		print_reply(&rep, req);
}

static void
attach_req(struct proto_req *req, const char *br, const char *ifn,
    const char *addr)
{
	proto_init_req(req, PROTO_ATTACH_VETH, ++seq);
	(void)strlcpy(req->u.attach.bridge, br, sizeof(req->u.attach.bridge));
	(void)strlcpy(req->u.attach.ifname, ifn, sizeof(req->u.attach.ifname));
	if (addr != NULL && inet_pton(AF_INET, addr, &req->u.attach.addr) != 1)
		errx(2, "bad address %s", addr);
}

/* A well-formed attach, then one thing wrong with it. */
static void
raw(const char *shape)
{
	struct proto_req req;
	struct proto_hdr *h = &req.hdr;
	char *br = req.u.attach.bridge;
	size_t len = sizeof(req);

	attach_req(&req, "capjail0", "eth0", NULL);
	if (strcmp(shape, "short") == 0)
		len--;
	else if (strcmp(shape, "long") == 0)
		len++;
	else if (strcmp(shape, "magic") == 0)
		h->magic ^= 1;
	else if (strcmp(shape, "version") == 0)
		h->version++;
	else if (strcmp(shape, "type0") == 0)
		h->type = PROTO_NONE;
	else if (strcmp(shape, "type99") == 0)
		h->type = 99;
	else if (strcmp(shape, "flags") == 0)
		h->flags = 1;
	else if (strcmp(shape, "reserved") == 0)
		h->reserved = 1;
	else if (strcmp(shape, "noterm") == 0)
		memset(br, 'a', IFNAMSIZ);
	else if (strcmp(shape, "slash") == 0)
		(void)strlcpy(br, "cap/jail0", IFNAMSIZ);
	else if (strcmp(shape, "space") == 0)
		(void)strlcpy(br, "cap jail0", IFNAMSIZ);
	else if (strcmp(shape, "upper") == 0)
		(void)strlcpy(br, "Capjail0", IFNAMSIZ);
	else if (strcmp(shape, "garbage") == 0)
		br[IFNAMSIZ - 1] = 'x';
	else if (strcmp(shape, "ifname-empty") == 0)
		req.u.attach.ifname[0] = '\0';
	else if (strcmp(shape, "ifname-dot") == 0)
		(void)strlcpy(req.u.attach.ifname, "../x", IFNAMSIZ);
	else if (strcmp(shape, "body-reserved") == 0)
		req.u.attach.reserved = 1;
	else if (strcmp(shape, "check-body") == 0)
		h->type = PROTO_CHECK_GRANTS;
	else
		errx(2, "unknown raw shape %s", shape);
	transact(&req, len, h->type == PROTO_ATTACH_VETH ? nsfd : -1);
}

static void
simple(enum proto_type type)
{
	struct proto_req req;

	proto_init_req(&req, type, ++seq);
	if (type == PROTO_PUBLISH_PORT) {
		req.u.publish.ipproto = IPPROTO_TCP;
		req.u.publish.host_port = htons(8080);
		req.u.publish.jail_port = htons(80);
	}
	transact(&req, sizeof(req), -1);
}

static void
hold(const char *path)
{
	struct stat st;

	printf("holding\n");
	fflush(stdout);
	while (stat(path, &st) == -1)
		usleep(10000);
}

static int
step(char **av)
{
	struct proto_req req;

	struct in_addr a;
	int addr;

	if (strcmp(av[0], "attach") == 0 && av[1] && av[2]) {
		addr = av[3] != NULL && inet_pton(AF_INET, av[3], &a) == 1;
		attach_req(&req, av[1], av[2], addr ? av[3] : NULL);
		transact(&req, sizeof(req), nsfd);
		return addr ? 4 : 3;
	}
	if (strcmp(av[0], "check") == 0)
		simple(PROTO_CHECK_GRANTS);
	else if (strcmp(av[0], "release") == 0)
		simple(PROTO_RELEASE_ALL);
	else if (strcmp(av[0], "publish") == 0)
		simple(PROTO_PUBLISH_PORT);
	else if (strncmp(av[0], "raw:", 4) == 0)
		raw(av[0] + 4);
	else if (strncmp(av[0], "hold:", 5) == 0)
		hold(av[0] + 5);
	else if (strcmp(av[0], "close") == 0)
		(void)shutdown(sock, SHUT_RDWR);
	else
		errx(2, "unknown step %s", av[0]);
	return 1;
}

int
main(int argc, char *argv[])
{
	const char *ids = NULL, *helper = NULL;
	int ch, status, i;

	while ((ch = getopt(argc, argv, "H:n:3:p:a:")) != -1) {
		if (ch == 'H')
			helper = optarg;
		else if (ch == 'n')
			nsspec = optarg;
		else if (ch == '3')
			fd3 = optarg;
		else if (ch == 'p')
			ids = optarg;
		else if (ch == 'a' && hargc < 15)
			hargv[hargc++] = optarg;
		else
			errx(2, "usage: cj-client -H HELPER [-n NETNS] "
			    "[-3 FD3] [-p UID:GID] [-a ARG] STEP...");
	}
	if (helper == NULL)
		errx(2, "no helper given (-H)");
	(void)signal(SIGPIPE, SIG_IGN);
	nsfd = open_netns();
	spawn(helper, ids);
	for (i = optind; i < argc; )
		i += step(argv + i);
	(void)close(sock);
	if (waitpid(hpid, &status, 0) == -1)
		err(2, "waitpid");
	if (WIFSIGNALED(status))
		printf("helper signal %d\n", WTERMSIG(status));
	else
		printf("helper exit %d\n", WEXITSTATUS(status));
	return 0;
}
