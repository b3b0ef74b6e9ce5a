/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: arbitrary bytes through the helper's receive ->
 * validate -> authorise -> act path (fdpass_recv, dispatch and everything
 * under it), exactly as helper/main.c runs it, with the kernel replaced by
 * fakekernel.c.  One input is a few helper sessions against one kernel:
 * each session starts as main.c does (its tables were made once, at
 * start-up; then lease_gc, which must leave nothing stale: fk_check_gc),
 * then serves requests until the helper exits or is killed.  The input is
 * a sequence of records, each a control byte then a message:
 *
 *	bits 0-1  the fd sent along: none, the session's jail netns (ours),
 *	          the helper's own netns, /dev/null
 *	bit  2    send a second fd too
 *	bits 3-5  an errno to inject into the kernel's answers (0: none)
 *	bits 6-7  ... into which nl_talk of this request
 *	then, if the next byte is 0xfe, two event bytes follow, FK_EV_*
 *	flags (fuzz.h) and N: after kernel exchange N of this request (0:
 *	after the request), the jail deletes its interface and/or the helper
 *	is killed; when the request creates its veth, a racing helper does
 *	too, for the same jail or another, just before it or just after it,
 *	in the first free slot, perhaps having named its netns or taken our
 *	address;
 *	then, if the next byte is 0xff, a length byte follows; otherwise the
 *	message is sizeof(struct proto_req) bytes (short input is padded).
 *
 * The helper's exits (errx on a malformed request, exit on release or
 * EOF) end the session, through --wrap; so does a kill (after the kernel
 * stopped hearing from the helper, at the end of that request), and the
 * fds the session held are closed, as its exit would.  Every reply must
 * pass the launcher's own proto_check_rep, and after each request the
 * helper may hold no fd but one socket per published port, or we abort.
 *
 * The helper's random choices (addresses, slots) come from lease_seed's
 * getrandom, made here a function of the input and the session, so an
 * input replays.  At exit the successful attaches are counted
 * (stat::successful_attaches): a fake kernel that refused everything
 * would let the fuzzer pass having tried nothing.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
#include "fw.h"
#include "fuzz.h"

#define FZ_NETNS	4	/* jails' netns, one per session in turn */
#define FZ_SESSIONS	6	/* helper sessions per input */
#define FZ_REQUESTS	16	/* requests per input */
#define FZ_HIGH		512	/* the harness's fds; the helper's are below */

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
void __wrap_exit(int);
void __wrap_errx(int, const char *, ...);
void __wrap_err(int, const char *, ...);
void __real_exit(int);
int __wrap_nanosleep(const struct timespec *, struct timespec *);

static const int inject[8] = { 0, EEXIST, ENOENT, EPERM, ENOBUFS, EAGAIN,
	ENODEV, EINVAL };

static struct config conf;
static struct session s;
static struct nl rtnl, nf, ev;
static int client = -1, fd_self = -1, fd_null = -1;
static int fd_own[FZ_NETNS];
static ino_t ino_own[FZ_NETNS];
static jmp_buf done;
static int in_input;

/* The input being run, and the session. */
static const uint8_t *in;
static size_t in_len, in_pos;
static int nreq, nsess;
static int fd_lo;		/* the helper's fds: fd_lo up to FZ_HIGH, */
static char fd_busy[FZ_HIGH];	/* but for those taken already */
static int published;		/* ports this session holds */
static size_t upsets_sess, upsets_req;	/* fk_upsets at their start */
static int trace;		/* CAPJAIL_FUZZ_TRACE set: print replies */
static uint64_t seed;		/* lease_seed's getrandom, when not 0 */
static unsigned long attaches, attaches_ok;	/* attach requests, done */

/*
 * The helper seeds its choices once at start-up (lease_seed); here from
 * seed, which session_start sets for each session.  Anyone else (libFuzzer,
 * libbsd) gets the kernel's.
 */
ssize_t
getrandom(void *buf, size_t len, unsigned int flags)
{
	uint8_t *p = buf;
	uint64_t z;
	size_t i;

	if (seed == 0)
		return syscall(SYS_getrandom, buf, len, flags);
	for (i = 0; i < len; i++) {
		if (i % 8 == 0) {	/* splitmix64 */
			z = (seed += 0x9e3779b97f4a7c15ull);
			z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ z >> 27) * 0x94d049bb133111ebull;
			z ^= z >> 31;
		}
		p[i] = (uint8_t)(z >> (i % 8 * 8));
	}
	return (ssize_t)len;
}

static void
print_attaches(void)
{
	(void)fprintf(stderr, "stat::attach_requests: %lu\n"
	    "stat::successful_attaches: %lu\n", attaches, attaches_ok);
}

/*
 * Should the helper wait for a racing helper (as lease.c once did): here
 * nothing races, and the wait would only slow every input down.
 */
int
__wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
	(void)req;
	(void)rem;
	return 0;
}

/* The helper letting go of its caller's stdio: the fuzzer keeps its own. */
void
sandbox_detach(void)
{
}

/* The helper ending its session: leave the session, not the process. */
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

static void
put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	(void)close(fd);
}

/*
 * Our own network namespace, so the ports publish reserves are bound
 * where nothing else listens (as root; else in a user namespace that
 * maps our ids to themselves, so the grants below still apply).
 */
static void
private_net(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];

	if (unshare(CLONE_NEWNET) == 0)
		return;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == -1)
		abort();
	put_file("/proc/self/setgroups", "deny");
	(void)snprintf(map, sizeof(map), "%u %u 1", (unsigned)uid,
	    (unsigned)uid);
	put_file("/proc/self/uid_map", map);
	(void)snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid,
	    (unsigned)gid);
	put_file("/proc/self/gid_map", map);
}

/* The harness's fds live at FZ_HIGH and up, out of the helper's way. */
static int
high(int fd)
{
	int h;

	if (fd == -1 || (h = fcntl(fd, F_DUPFD_CLOEXEC, FZ_HIGH)) == -1)
		abort();
	(void)close(fd);
	return h;
}

/* A network namespace owned by us: a child unshares one, we keep its fd. */
static int
own_netns(ino_t *ino)
{
	char path[64], c;
	struct stat st;
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
	if (fd == -1 || fstat(fd, &st) == -1)
		abort();
	*ino = st.st_ino;
	return high(fd);
}

/* The fake kernel found something wrong (why, not NULL): abort. */
static void
must_be(const char *why, const char *when)
{
	if (why == NULL)
		return;
	(void)fprintf(stderr, "after %s: %s\n", when, why);
	abort();
}

/*
 * The fds that are not the helper's: inherited, or opened later by
 * libFuzzer itself (the pipes to its symbolizer, say), between inputs.
 */
static void
fds_taken(void)
{
	int i;

	for (i = fd_lo; i < FZ_HIGH; i++)
		fd_busy[i] = fcntl(i, F_GETFD) != -1;
}

/*
 * How many fds the helper holds: at least those from fd_lo up to the
 * first free one (a helper that closed an fd under one it keeps is
 * counted short, never long).
 */
static int
session_fds(void)
{
	int i, n = 0, lo = dup(fd_null);

	if (lo == -1)
		abort();
	(void)close(lo);
	for (i = fd_lo; i < lo && i < FZ_HIGH; i++)
		n += !fd_busy[i];
	return n;
}

/*
 * The session's end: its fds go, as with the helper's exit.  A helper
 * that exited (not killed, with no error injected and no event) has left
 * nothing of its jail behind.
 */
static void
session_end(void)
{
	int i, j;

	if (!fk_dead() && fk_upsets == upsets_sess && s.lease.ifindex != 0)
		must_be(fk_check_jail(&conf, s.lease.ifindex, 0),
		    "the helper's exit");

	for (i = fd_lo; i < FZ_HIGH; i = j + 1) {
		for (j = i; j < FZ_HIGH && !fd_busy[j]; j++)
			;
		if (j > i)
			(void)close_range((unsigned)i, (unsigned)j - 1, 0);
	}
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
	int sv[2], i;
	FILE *f;

	(void)argc;
	(void)argv;
	trace = getenv("CAPJAIL_FUZZ_TRACE") != NULL;
	(void)atexit(print_attaches);
	private_net();
	/* Either end may have landed on fd 3 itself: move both up first. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	client = high(sv[0]);
	sv[1] = high(sv[1]);
	if (dup2(sv[1], PROTO_SOCK_FD) == -1)
		abort();
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
	(void)nl_open(&ev, NETLINK_ROUTE);
	s.rtnl = &rtnl;
	s.nf = &nf;
	s.ev = &ev;
	netns_self(&s);
	for (i = 0; i < FZ_NETNS; i++)
		fd_own[i] = own_netns(&ino_own[i]);
	fd_self = high(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
	fd_null = high(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if ((fd_lo = dup(fd_null)) == -1)
		abort();
	(void)close(fd_lo);
	fds_taken();
	/* The tables are the same for every input: made once, kept. */
	fk_reset();
	if (fw_setup(&nf, &conf) == -1)
		abort();
	fk_boot();
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

/*
 * The reply to req, if the helper sent one, must be one a client accepts;
 * an attach that succeeded (with no error injected, no event) has all of
 * its jail in the kernel.
 */
static void
check_reply(const struct proto_req *req)
{
	struct proto_rep rep;
	char host[IFNAMSIZ];
	const char *why;
	ssize_t n = recv(client, &rep, sizeof(rep), 0);

	if (n == -1 && errno == EAGAIN)
		return;
	if (n != (ssize_t)sizeof(rep) || proto_check_rep(&rep, req,
	    &why) == -1)
		abort();
	if (rep.hdr.type == PROTO_PUBLISH_PORT && rep.status == 0)
		published++;
	if (rep.hdr.type == PROTO_ATTACH_VETH) {
		attaches++;
		attaches_ok += rep.status == 0;
	}
	if (rep.hdr.type == PROTO_ATTACH_VETH && rep.status == 0 &&
	    fk_upsets == upsets_req) {
		must_be(fk_check_jail(&conf, s.lease.ifindex, 1), "attach");
		/* host= names the link (by its address's altname) */
		(void)snprintf(host, sizeof(host), "%.*s",
		    (int)sizeof(rep.u.attach.host_ifname),
		    rep.u.attach.host_ifname);
		if (fk_ifindex(host) != s.lease.ifindex) {
			(void)fprintf(stderr, "attach: host %s is not link "
			    "%u\n", host, s.lease.ifindex);
			abort();
		}
	}
	if (trace)
		(void)fprintf(stderr, "session %d: type %u: status %u %.*s\n",
		    nsess, rep.hdr.type, rep.status, (int)sizeof(rep.text),
		    rep.text);
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
	fk_event_end();
	if (fk_dead())
		longjmp(done, 1);	/* the helper was killed */
	if (session_fds() > published) {
		(void)fprintf(stderr, "the helper holds %d fds after %d "
		    "publish(es)\n", session_fds(), published);
		abort();
	}
}

/*
 * A helper starts (helper/main.c): its fw_setup would change nothing the
 * first one made (LLVMFuzzerInitialize), so only garbage collection runs,
 * with no errors injected and nothing racing it: it must leave nothing
 * stale behind.
 */
static void
session_start(void)
{
	char junk[sizeof(struct proto_rep)];

	while (recv(client, junk, sizeof(junk), 0) > 0)
		;
	published = 0;
	s.attached = 0;
	memset(&s.lease, 0, sizeof(s.lease));
	fk_inject(0, 0);
	fk_event(0, 0, 0);
	/* main.c: lease_seed, from this input and session */
	seed = (uint64_t)in_len << 32 ^ (uint64_t)nsess << 16 ^
	    (in_len != 0 ? in[0] : 0) ^ 0x6361706a61696cull;
	lease_seed();
	seed = 0;
	fk_gc_start(&conf);
	if (lease_gc(&s, NULL) == -1)
		abort();
	must_be(fk_check_gc(&conf), "garbage collection");
	if (trace) {
		(void)fprintf(stderr, "session %d: after garbage collection:\n",
		    nsess);
		fk_print_links();
	}
	upsets_sess = fk_upsets;
}

/* The next record of the input, sent; 0, or -1 at its end. */
static int
next_request(void)
{
	static const int *fds[4] = { NULL, NULL, &fd_self, &fd_null };
	uint8_t msg[256], ctl, ev = 0, at = 0;
	size_t len = sizeof(struct proto_req), n;

	if (in_pos >= in_len || nreq++ == FZ_REQUESTS)
		return -1;
	ctl = in[in_pos++];
	if (in_pos + 2 < in_len && in[in_pos] == 0xfe) {
		ev = in[in_pos + 1];
		at = in[in_pos + 2];
		in_pos += 3;
	}
	if (in_pos + 1 < in_len && in[in_pos] == 0xff) {
		len = in[in_pos + 1];
		in_pos += 2;
	}
	memset(msg, 0, sizeof(msg));
	n = in_len - in_pos < len ? in_len - in_pos : len;
	memcpy(msg, in + in_pos, n);
	in_pos += n;
	upsets_req = fk_upsets;
	fk_inject(inject[(ctl >> 3) & 7], ctl >> 6);
	fk_event(at, ev, ino_own[nsess % FZ_NETNS]);
	fds[1] = &fd_own[nsess % FZ_NETNS];
	send_raw(msg, len, fds[ctl & 3] ? *fds[ctl & 3] : -1,
	    (ctl & 4) != 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (session_fds() != 0)
		fds_taken();
	fk_reset();
	in = data;
	in_len = size;
	in_pos = 0;
	nreq = 0;
	in_input = 1;
	for (nsess = 0; nsess < FZ_SESSIONS; nsess++) {
		if (setjmp(done) == 0) {
			session_start();
			if (in_pos >= in_len || nreq >= FZ_REQUESTS)
				break;
			while (next_request() == 0)
				serve_one();
			/* The launcher going away: EOF, release, exit(0). */
			dispatch_recv_failed(&s, 0);
		}
		session_end();
	}
	in_input = 0;
	return 0;
}
