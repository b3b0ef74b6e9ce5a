/* SPDX-License-Identifier: ISC */
/*
 * When a networked jail ends, its end of the veth is deleted from inside
 * its network namespace by a process that capjail starts, which may
 * outlive capjail by a few milliseconds.
 *
 * The helper's release waits until the host end is gone.  Left to the
 * kernel, that happens when the jail's namespace is cleaned up; but the
 * kernel cleans namespaces up in one worker, one batch after another, and
 * each batch ends in an rcu_barrier: a jail that ended just after any other
 * namespace (any user's, any tool's) waited for that batch, 20-40 ms on a
 * quiet machine.  A deletion takes both ends off their hosts at once: the
 * kernel unlists them and tells listeners after two expedited grace
 * periods.  But the request returns only after an rcu_barrier of its own,
 * so a child makes it, and capjail goes on as soon as the helper has seen
 * the link go.  (A child started while the jail runs would take even its
 * start off that path, but costs the start of a jail on two cores more
 * than it saves at its end.)
 *
 * capjail holds the jail's user and network namespaces from the attach on;
 * a child enters them, and as their owner holds CAP_NET_ADMIN there,
 * which is all the deletion needs and what the jail's owner always has.
 * Nothing depends on it: if it fails or is killed, the namespace dies with
 * it and the kernel removes the link as before; if the process that sends
 * the request is stopped, it holds the namespace, and the helper, which
 * waits at most a second for the link to go, deletes it itself.  (Only
 * the owner's SIGSTOP can stop the first child, and capjail then waits
 * for it, as if stopped itself: killed meanwhile, it leaves the jail's
 * network to the helper, which deletes it when the last fd of the
 * helper's socket closes: the stopped child may hold one until it goes.)
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

struct dellink {
	struct nlmsghdr	 nlh;
	struct ifinfomsg ifm;
	struct rtattr	 rta;
	char		 name[IFNAMSIZ];
};

/* By name: the name passed opts.c's check, so it fits.  No ack asked. */
static void
dellink_build(struct dellink *req, const char *ifname)
{
	memset(req, 0, sizeof(*req));
	req->rta.rta_type = IFLA_IFNAME;
	req->rta.rta_len = (unsigned short)RTA_LENGTH(strlen(ifname) + 1);
	memcpy(req->name, ifname, strlen(ifname));
	req->nlh.nlmsg_type = RTM_DELLINK;
	req->nlh.nlmsg_flags = NLM_F_REQUEST;
	req->nlh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(req->ifm)) +
	    RTA_ALIGN(req->rta.rta_len));
	req->ifm.ifi_family = AF_UNSPEC;
}

static int
open_ns(pid_t pid, const char *what)
{
	char path[NS_PATH_MAX];

	ns_path(path, pid, what);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * While PID 1 runs: the jail's namespaces, held until linkdel_go (the net
 * one also travels with the attach).  0, or -1 with errno and none held.
 */
int
linkdel_hold(struct linkdel *ld, pid_t jail)
{
	int e;

	ld->userfd = open_ns(jail, "user");
	ld->netfd = open_ns(jail, "net");
	if (ld->userfd != -1 && ld->netfd != -1)
		return 0;
	e = errno;
	linkdel_drop(ld);
	errno = e;
	return -1;
}

void
linkdel_drop(struct linkdel *ld)
{
	if (ld->userfd != -1)
		(void)close(ld->userfd);
	if (ld->netfd != -1)
		(void)close(ld->netfd);
	ld->userfd = ld->netfd = -1;
}

/* Where clone starts a stack: its top, but on hppa, where stacks grow up. */
#ifdef __hppa__
#define STACK_START(s)	((void *)(s))
#else
#define STACK_START(s)	((void *)((s) + sizeof(s)))
#endif

/*
 * Neither child copies capjail's memory: both share it (CLONE_VM).  A fork
 * copies page tables, and then each side takes a page fault for every
 * page it touches: on a small virtual machine that put ~2 ms between
 * PID 1's end and the request.  Sharing memory, they must write nothing
 * capjail reads: what they need is in one static job that capjail fills
 * before the first clone and never touches again, stacks included.
 *
 * The first child runs while capjail waits (CLONE_VFORK), so that the
 * calls that may fail, and so set errno (capjail's: it is in the shared
 * memory), run while capjail runs nothing.  It starts with every signal
 * blocked (it is in capjail's process group, which a terminal's ^C or ^Z
 * may reach after capjail is gone), so only SIGKILL and SIGSTOP act on
 * it and on the second.  It keeps no fd of capjail's: stdout may be a
 * pipe whose reader waits for its end, and a lock held through an fd
 * would outlive capjail; so it moves the namespaces onto 0 and 1 and
 * closes the rest, or gives up if it cannot (a seccomp filter may refuse
 * close_range; closefrom's fallback would abort in capjail's memory).
 * Then it enters them, opens the netlink socket, starts the second child
 * and exits, which resumes capjail.  The second sends the request and
 * waits for it.  Its sendto can fail only if the kernel cannot allocate;
 * it would then write errno while capjail might be reading it, for a
 * message at most.  The job is filled once: capjail ends one jail.
 */
struct linkdel_job {
	struct dellink	req;
	int		userfd;
	int		netfd;
	int		sock;
	char		stack[2][32768] __attribute__((aligned(16)));
};

static struct linkdel_job job;

static int
linkdel_send(void *arg)
{
	const struct linkdel_job *j = arg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	(void)sendto(j->sock, &j->req, j->req.nlh.nlmsg_len, 0,
	    (struct sockaddr *)&kernel, sizeof(kernel));
	return 0;
}

static int
linkdel_enter(void *arg)
{
	struct linkdel_job *j = arg;

	if (dup2(j->userfd, 0) == -1 || dup2(j->netfd, 1) == -1 ||
	    close_range(2, ~0U, 0) == -1)
		return 1;
	(void)prctl(PR_SET_NAME, "capjail-unlink", 0, 0, 0);
	if (setns(0, CLONE_NEWUSER) == -1 || setns(1, CLONE_NEWNET) == -1)
		return 1;
	(void)close(0);
	(void)close(1);
	if ((j->sock = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)) == -1)
		return 1;
	(void)clone(linkdel_send, STACK_START(j->stack[1]), CLONE_VM | SIGCHLD,
	    j);
	return 0;
}

/*
 * The jail has ended: start the children, and let go of the namespaces
 * here either way.  Neither is waited for; whoever inherits them reaps
 * them.
 */
void
linkdel_go(struct linkdel *ld, const char *ifname)
{
	sigset_t all, old;

	if (ld->userfd != -1) {
		dellink_build(&job.req, ifname);
		job.userfd = ld->userfd;
		job.netfd = ld->netfd;
		(void)sigfillset(&all);
		(void)sigprocmask(SIG_SETMASK, &all, &old);
		(void)clone(linkdel_enter, STACK_START(job.stack[0]),
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &job);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
	}
	linkdel_drop(ld);
}
