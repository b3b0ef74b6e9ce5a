/* SPDX-License-Identifier: ISC */
/*
 * When a networked jail ends, its end of the veth is deleted from inside
 * its network namespace by a child of capjail, which may outlive capjail
 * by a few milliseconds.
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
 * the link go.  (A child forked while the jail runs would take the fork off
 * that path, but costs the start of a jail on two cores more than it saves
 * at its end.)
 *
 * capjail holds the jail's user and network namespaces from the attach on;
 * the child enters them, and as their owner holds CAP_NET_ADMIN there,
 * which is all the deletion needs and what the jail's owner always has.
 * Nothing depends on it: if it fails or is killed, the namespace dies with
 * it and the kernel removes the link as before; if it is stopped, it holds
 * the namespace, and the helper, which waits at most a second for the link
 * to go, deletes it itself.
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
	char path[64];

	(void)snprintf(path, sizeof(path), "/proc/%ld/ns/%s", (long)pid,
	    what);
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

/*
 * The child keeps no fd of capjail's: stdout may be a pipe whose reader
 * waits for its end, and a lock held through an fd would outlive capjail.
 * So the first thing it does is to put the namespaces on 0 and 1 (closing
 * stdin and stdout) and close the rest.  It blocks every signal (it is
 * in capjail's process group, which a terminal's ^C or ^Z may reach after
 * capjail is gone): only SIGKILL and SIGSTOP act on it.
 */
static void __attribute__((noreturn))
linkdel_child(const struct linkdel *ld, const char *ifname)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct dellink req;
	sigset_t all;
	int s;

	if (dup2(ld->userfd, 0) == -1 || dup2(ld->netfd, 1) == -1)
		_exit(1);
	closefrom(2);
	(void)sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	(void)prctl(PR_SET_NAME, "capjail-unlink", 0, 0, 0);
	if (setns(0, CLONE_NEWUSER) == -1 || setns(1, CLONE_NEWNET) == -1)
		_exit(1);
	(void)close_range(0, 1, 0);
	dellink_build(&req, ifname);
	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1 || sendto(s, &req, req.nlh.nlmsg_len, 0,
	    (struct sockaddr *)&kernel, sizeof(kernel)) == -1)
		_exit(1);
	_exit(0);
}

/*
 * The jail has ended: start the child, and let go of the namespaces here
 * either way.  The child is not waited for; whoever inherits it reaps it.
 */
void
linkdel_go(struct linkdel *ld, const char *ifname)
{
	if (ld->userfd != -1 && fork() == 0)
		linkdel_child(ld, ifname);
	linkdel_drop(ld);
}
