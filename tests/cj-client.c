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
 * usage: cj-client -H HELPER [-n NETNS] [-3 FD3] [-p UID:GID] [-a ARG]...
 *            [-e VAR=VALUE]... [-r RLIMIT=N]... [-x FDS] [-C] [-z] STEP...
 *   NETNS: own (default: a new user+net namespace), none, two, self,
 *          path:FILE, fd:N
 *   FD3:   pair (default), closed, file, stream
 *   -p:    (as root) make the socketpair, then become UID:GID and exec
 *   -e:    put VAR=VALUE in the helper's environment (LD_PRELOAD...)
 *   -r:    set the helper's RLIMIT (nofile, fsize, as) to N before exec
 *   -x:    close these of fds 0-2 (e.g. 012) in the helper before exec
 *   -C:    close every fd above 3 in the helper before exec (so that an
 *          RLIMIT_NOFILE case does not depend on what the caller left open)
 *   -z:    exec the helper with an empty argv (argc 0, the pkexec trick)
 *   STEP:  attach BRIDGE IFNAME [ADDR] | check | release | publish |
 *          attach-last BRIDGE IFNAME (with PROTO_F_LAST: no request
 *          comes before the release, so the helper collects now) |
 *          attach-hint BRIDGE IFNAME N (slot_hint N) |
 *          pub:tcp|udp|N:HOSTPORT:JAILPORT[:HOSTADDR] |
 *          attach-close BRIDGE IFNAME (send, then shut the socket down
 *          without reading the reply) |
 *          raw:SHAPE | hold:FILE (wait until FILE exists) | close
 *   SHAPE: see raw() and raw_more(): one thing wrong with a valid request
 */
#include <sys/prctl.h>
#include <sys/resource.h>
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
static char *henv[16], *hlimits[8];
static const char *hclose = "";
static int hargc = 1, henvc, hlimc, noargv, closeup, sock = -1, nsfd = -1;
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
	(void)close(sv[1]);	/* so a child that failed is EOF, not a hang */
	if (fdpass_recv(sv[0], &c, 1, &fd) == -1 || fd == -1)
		errx(2, "no netns from child");
	(void)close(sv[0]);
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

/* -r RLIMIT=N and -e VAR=VALUE, in the helper's child before exec. */
static void
limits_env(void)
{
	static const struct { const char *name; int res; } rl[] = {
		{ "nofile", RLIMIT_NOFILE }, { "fsize", RLIMIT_FSIZE },
		{ "as", RLIMIT_AS },
	};
	struct rlimit r;
	size_t i, n;
	int j;

	for (j = 0; j < hlimc; j++) {
		for (i = 0; i < sizeof(rl) / sizeof(rl[0]); i++) {
			n = strlen(rl[i].name);
			if (strncmp(hlimits[j], rl[i].name, n) == 0 &&
			    hlimits[j][n] == '=')
				break;
		}
		if (i == sizeof(rl) / sizeof(rl[0]))
			errx(2, "bad -r %s", hlimits[j]);
		r.rlim_cur = r.rlim_max = strtoull(hlimits[j] + n + 1, NULL,
		    10);
		if (setrlimit(rl[i].res, &r) == -1)
			err(2, "setrlimit %s", hlimits[j]);
	}
	for (j = 0; j < henvc; j++)
		if (putenv(henv[j]) != 0)
			err(2, "putenv");
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
		if (closeup)
			closefrom(4);
		limits_env();
		for (; *hclose != '\0'; hclose++)
			if (*hclose >= '0' && *hclose <= '2')
				(void)close(*hclose - '0');
		if (noargv)
			hargv[0] = NULL;
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

/* Read and print the reply to req (or the EOF that came instead). */
static void
answer(const struct proto_req *req)
{
	struct proto_rep rep;
	int rfd;

	if (fdpass_recv(sock, &rep, sizeof(rep), &rfd) == -1)
		printf("reply %s\n", errno == 0 ? "eof" : strerror(errno));
	else
		print_reply(&rep, req);
}

static void
transact(const struct proto_req *req, size_t len, int fd)
{
	int r;

	fflush(stdout);
	if (fd != -1 && strcmp(nsspec, "two") == 0)
		r = send_two(req, len, fd);
	else
		r = fdpass_send(sock, req, len, fd);
	if (r == -1)
		printf("send failed: %s\n", strerror(errno));
	answer(req);
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

static void
publish_req(struct proto_req *req, int ipproto, unsigned int hport,
    unsigned int jport)
{
	proto_init_req(req, PROTO_PUBLISH_PORT, ++seq);
	req->u.publish.ipproto = (uint32_t)ipproto;
	req->u.publish.host_port = htons((uint16_t)hport);
	req->u.publish.jail_port = htons((uint16_t)jport);
}

/*
 * More shapes, each a valid request of its type but for one thing; returns
 * 0 when shape is not one of these.  The netns fd goes with attach, and
 * with any type for the "-fd" shapes (an fd where none belongs).
 */
static int
raw_more(const char *shape)
{
	static char big[4096];
	struct proto_req req;
	struct proto_publish_req *p = &req.u.publish;
	size_t len = sizeof(req), n;
	int fd = -1;

	attach_req(&req, "capjail0", "eth0", NULL);
	if (strcmp(shape, "empty") == 0 || strcmp(shape, "empty-fd") == 0) {
		len = 0;
		req.hdr.type = PROTO_NONE;	/* no fd unless -fd */
	} else if (strcmp(shape, "huge") == 0) {
		memset(big, 0, sizeof(big));
		memcpy(big, &req, sizeof(req));
		fflush(stdout);
		if (fdpass_send(sock, big, sizeof(big), nsfd) == -1)
			printf("send failed: %s\n", strerror(errno));
		answer(&req);
		return 1;
	} else if (strcmp(shape, "dotdot") == 0)
		(void)strlcpy(req.u.attach.bridge, "..", IFNAMSIZ);
	else if (strcmp(shape, "bridge-empty") == 0)
		memset(req.u.attach.bridge, 0, IFNAMSIZ);
	else if (strcmp(shape, "ifname-upper") == 0)
		(void)strlcpy(req.u.attach.ifname, "ETH0", IFNAMSIZ);
	else if (strcmp(shape, "ifname-garbage") == 0)
		req.u.attach.ifname[IFNAMSIZ - 1] = 1;
	else if (strcmp(shape, "check-fd") == 0) {
		proto_init_req(&req, PROTO_CHECK_GRANTS, ++seq);
		fd = nsfd;
	} else if (strcmp(shape, "release-fd") == 0) {
		proto_init_req(&req, PROTO_RELEASE_ALL, ++seq);
		fd = nsfd;
	} else if (strcmp(shape, "release-body") == 0) {
		proto_init_req(&req, PROTO_RELEASE_ALL, ++seq);
		req.u.raw[sizeof(req.u.raw) - 1] = 1;
	} else if (strncmp(shape, "pub-", 4) == 0) {
		publish_req(&req, IPPROTO_TCP, 8080, 80);
		if (strcmp(shape, "pub-fd") == 0)
			fd = nsfd;
		else if (strcmp(shape, "pub-proto0") == 0)
			p->ipproto = 0;
		else if (strcmp(shape, "pub-proto1") == 0)
			p->ipproto = IPPROTO_ICMP;
		else if (strcmp(shape, "pub-proto255") == 0)
			p->ipproto = IPPROTO_RAW;
		else if (strcmp(shape, "pub-port0") == 0)
			p->host_port = 0;
		else if (strcmp(shape, "pub-jport0") == 0)
			p->jail_port = 0;
		else if (strcmp(shape, "pub-reserved") == 0)
			p->reserved = 1;
		else if (strcmp(shape, "pub-trail") == 0)
			req.u.raw[sizeof(req.u.raw) - 1] = 1;
		else
			return 0;
	} else
		return 0;
	n = strlen(shape);
	if (req.hdr.type == PROTO_ATTACH_VETH ||
	    (n > 3 && strcmp(shape + n - 3, "-fd") == 0))
		fd = nsfd;
	fflush(stdout);
	if (fdpass_send(sock, &req, len, fd) == -1)
		printf("send failed: %s\n", strerror(errno));
	answer(&req);
	return 1;
}

/* A well-formed attach, then one thing wrong with it. */
static void
raw(const char *shape)
{
	/* Slack after the request, so "long" sends bytes we own. */
	struct {
		struct proto_req req;
		char slack[16];
	} m;
	struct proto_req *req = &m.req;
	struct proto_hdr *h = &req->hdr;
	char *br = req->u.attach.bridge;
	size_t len = sizeof(*req);

	memset(&m, 0, sizeof(m));
	attach_req(req, "capjail0", "eth0", NULL);
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
		h->flags = ~PROTO_F_LAST;	/* every unknown bit */
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
		req->u.attach.ifname[0] = '\0';
	else if (strcmp(shape, "ifname-dot") == 0)
		(void)strlcpy(req->u.attach.ifname, "../x", IFNAMSIZ);
	else if (strcmp(shape, "check-body") == 0)
		h->type = PROTO_CHECK_GRANTS;
	else if (raw_more(shape))
		return;
	else
		errx(2, "unknown raw shape %s", shape);
	transact(req, len, h->type == PROTO_ATTACH_VETH ? nsfd : -1);
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

/* pub:PROTO:HOSTPORT:JAILPORT[:HOSTADDR], PROTO tcp, udp or a number. */
static void
pub(const char *spec)
{
	struct proto_req req;
	char proto[8] = "", addr[INET_ADDRSTRLEN] = "";
	unsigned int hp, jp;
	int n, ipproto;

	n = sscanf(spec, "%7[^:]:%u:%u:%15s", proto, &hp, &jp, addr);
	if (n < 3)
		errx(2, "bad pub:%s", spec);
	ipproto = strcmp(proto, "tcp") == 0 ? IPPROTO_TCP :
	    strcmp(proto, "udp") == 0 ? IPPROTO_UDP : atoi(proto);
	publish_req(&req, ipproto, hp, jp);
	if (n == 4 && inet_pton(AF_INET, addr, &req.u.publish.host_addr) != 1)
		errx(2, "bad address %s", addr);
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
	if (strcmp(av[0], "attach-hint") == 0 && av[1] && av[2] && av[3]) {
		attach_req(&req, av[1], av[2], NULL);
		req.u.attach.slot_hint = (uint32_t)strtoul(av[3], NULL, 0);
		transact(&req, sizeof(req), nsfd);
		return 4;
	}
	if (strcmp(av[0], "attach-last") == 0 && av[1] && av[2]) {
		attach_req(&req, av[1], av[2], NULL);
		req.hdr.flags |= PROTO_F_LAST;
		transact(&req, sizeof(req), nsfd);
		return 3;
	}
	if (strcmp(av[0], "attach-close") == 0 && av[1] && av[2]) {
		attach_req(&req, av[1], av[2], NULL);
		if (fdpass_send(sock, &req, sizeof(req), nsfd) == -1)
			printf("send failed: %s\n", strerror(errno));
		(void)shutdown(sock, SHUT_RDWR);
		printf("closed\n");
		return 3;
	}
	if (strcmp(av[0], "check") == 0)
		simple(PROTO_CHECK_GRANTS);
	else if (strcmp(av[0], "release") == 0)
		simple(PROTO_RELEASE_ALL);
	else if (strcmp(av[0], "publish") == 0)
		simple(PROTO_PUBLISH_PORT);
	else if (strncmp(av[0], "pub:", 4) == 0)
		pub(av[0] + 4);
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

	while ((ch = getopt(argc, argv, "H:n:3:p:a:e:r:x:Cz")) != -1) {
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
		else if (ch == 'e' && henvc < 15)
			henv[henvc++] = optarg;
		else if (ch == 'r' && hlimc < 7)
			hlimits[hlimc++] = optarg;
		else if (ch == 'x')
			hclose = optarg;
		else if (ch == 'z')
			noargv = 1;
		else if (ch == 'C')
			closeup = 1;
		else
			errx(2, "usage: cj-client -H HELPER [-n NETNS] "
			    "[-3 FD3] [-p UID:GID] [-a ARG] [-e VAR=VALUE] "
			    "[-r RLIMIT=N] [-x FDS] [-C] [-z] STEP...");
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
