/* SPDX-License-Identifier: ISC */
/*
 * Namespaces: the one clone() that makes the jail, the uid/gid maps (written
 * by the child itself, or by newuidmap/newgidmap from the parent for
 * --subids), the parent/child sync, and the child's side of setup up to the
 * point where it becomes the jail's PID 1.  Trusts the caller's options and
 * the root-owned /etc/subuid and /etc/subgid.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/*
 * What root inside keeps in its bounding set: the usual container default
 * (Docker's), enough for a daemon to bind a low port and switch to its own
 * user, not enough to mount, unmount (which could reveal what a mount
 * covers), change the network or load anything.
 */
static const int keep_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL,
	CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
	CAP_NET_RAW, CAP_SYS_CHROOT, CAP_MKNOD, CAP_AUDIT_WRITE, CAP_SETFCAP,
};

static long
read_knob(const char *path)
{
	char buf[32];
	FILE *f;
	long v = -1;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtol(buf, NULL, 10);
	(void)fclose(f);
	return v;
}

/*
 * The sysctl or AppArmor knob that forbids unprivileged user namespaces
 * here, as a message, or NULL when none does.
 */
const char *
ns_knob(void)
{
	if (read_knob("/proc/sys/kernel/unprivileged_userns_clone") == 0)
		return "unprivileged user namespaces are disabled: "
		    "sysctl kernel.unprivileged_userns_clone is 0";
	if (read_knob("/proc/sys/user/max_user_namespaces") == 0)
		return "unprivileged user namespaces are disabled: "
		    "sysctl user.max_user_namespaces is 0";
	if (read_knob("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
	    == 1)
		return "unprivileged user namespaces are restricted by "
		    "AppArmor: sysctl "
		    "kernel.apparmor_restrict_unprivileged_userns is 1";
	return NULL;
}

/* A user namespace operation failed with e: say why, and exit. */
void
ns_explain(int e)
{
	const char *knob = ns_knob();

	if (knob != NULL)
		errx(EXIT_CAPJAIL, "%s", knob);
	errno = e;
	err(EXIT_CAPJAIL, "cannot create the jail's namespaces");
}

/* First subordinate id of a SUBID_COUNT range for user in file, or -1. */
static long long
subid_start(const char *file, const char *name, uid_t uid)
{
	char line[256], num[16], *owner, *start, *count, *s;
	long long r = -1;
	FILE *f;

	if ((f = fopen(file, "re")) == NULL)
		err(EXIT_CAPJAIL, "--subids: %s", file);
	(void)snprintf(num, sizeof(num), "%u", (unsigned int)uid);
	while (r == -1 && fgets(line, sizeof(line), f) != NULL) {
		s = line;
		owner = strsep(&s, ":");
		start = strsep(&s, ":");
		count = strsep(&s, ":\n");
		if (start == NULL || count == NULL ||
		    (strcmp(owner, name) != 0 && strcmp(owner, num) != 0))
			continue;
		if (proto_number(count, SUBID_COUNT, UINT32_MAX, NULL) != 0)
			r = proto_number(start, 1, UINT32_MAX - SUBID_COUNT,
			    NULL);
		if (r == 0)
			r = -1;
	}
	(void)fclose(f);
	return r;
}

static char *
find_tool(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *d, *s, buf[PATH_MAX];

	if (path == NULL || *path == '\0')
		path = "/usr/bin:/bin:/usr/sbin:/sbin";
	if ((dirs = strdup(path)) == NULL)
		err(EXIT_CAPJAIL, "strdup");
	for (s = dirs; (d = strsep(&s, ":")) != NULL;) {
		if (*d == '\0' || (size_t)snprintf(buf, sizeof(buf), "%s/%s",
		    d, name) >= sizeof(buf) || access(buf, X_OK) == -1)
			continue;
		free(dirs);
		if ((d = strdup(buf)) == NULL)
			err(EXIT_CAPJAIL, "strdup");
		return d;
	}
	errx(EXIT_CAPJAIL, "--subids: %s not found (install the uidmap "
	    "package)", name);
}

/* Before the clone: the ranges exist and the tools are there. */
void
ns_subids_prepare(struct opts *o)
{
	struct passwd *pw = getpwuid(o->outer_uid);
	char name[LOGIN_NAME_MAX];
	long long u, g;

	if (pw == NULL || str_copy(name, pw->pw_name, sizeof(name)) >=
	    sizeof(name))
		(void)snprintf(name, sizeof(name), "%u",
		    (unsigned int)o->outer_uid);
	o->newuidmap = find_tool("newuidmap");
	o->newgidmap = find_tool("newgidmap");
	if ((u = subid_start("/etc/subuid", name, o->outer_uid)) == -1)
		errx(EXIT_CAPJAIL, "--subids: no range of %u ids for user %s "
		    "in /etc/subuid", SUBID_COUNT, name);
	if ((g = subid_start("/etc/subgid", name, o->outer_uid)) == -1)
		errx(EXIT_CAPJAIL, "--subids: no range of %u ids for user %s "
		    "in /etc/subgid", SUBID_COUNT, name);
	o->subuid = (uint32_t)u;
	o->subgid = (uint32_t)g;
}

static pid_t
run_map_tool(const char *tool, pid_t pid, uint32_t outer, uint32_t sub)
{
	char a[4][16];
	pid_t p;

	(void)snprintf(a[0], sizeof(a[0]), "%ld", (long)pid);
	(void)snprintf(a[1], sizeof(a[1]), "%u", outer);
	(void)snprintf(a[2], sizeof(a[2]), "%u", sub);
	(void)snprintf(a[3], sizeof(a[3]), "%u", SUBID_COUNT);
	if ((p = fork()) == -1)
		err(EXIT_CAPJAIL, "fork");
	if (p == 0) {
		/* Inside: 0 is the caller, 1..65536 the subordinate range. */
		execl(tool, tool, a[0], "0", a[1], "1", "1", a[2], a[3],
		    (char *)NULL);
		warn("%s", tool);
		_exit(EXIT_CAPJAIL);
	}
	return p;
}

/*
 * --subids: the setuid newuidmap/newgidmap write maps an unprivileged
 * process may not.  Both run at once; the parent has not set
 * NO_NEW_PRIVS yet, which would stop them.  Returns 0 or -1 (reported).
 */
int
ns_map_subids(pid_t pid, const struct opts *o)
{
	pid_t pu, pg;
	int su, sg;

	vlog("newuidmap/newgidmap: 0 -> %u, 1..%u -> %u.., %u..",
	    o->outer_uid, SUBID_COUNT, o->subuid, o->subgid);
	pu = run_map_tool(o->newuidmap, pid, o->outer_uid, o->subuid);
	pg = run_map_tool(o->newgidmap, pid, o->outer_gid, o->subgid);
	while (waitpid(pu, &su, 0) == -1 && errno == EINTR)
		;
	while (waitpid(pg, &sg, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(su) && WEXITSTATUS(su) == 0 &&
	    WIFEXITED(sg) && WEXITSTATUS(sg) == 0)
		return 0;
	warnx("--subids: %s failed", WIFEXITED(su) && WEXITSTATUS(su) == 0 ?
	    "newgidmap" : "newuidmap");
	return -1;
}

int
ns_sync_send(int sock, const struct sync_msg *m)
{
	if (send(sock, m, sizeof(*m), MSG_NOSIGNAL) != (ssize_t)sizeof(*m))
		return -1;
	return 0;
}

/* The parent's go-ahead for step; EOF means it gave up (and said why). */
static void
sync_wait(int sock, enum sync_step step, struct sync_msg *m)
{
	ssize_t n;

	do
		n = recv(sock, m, sizeof(*m), 0);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		_exit(EXIT_CAPJAIL);
	if (n != (ssize_t)sizeof(*m) || m->step != (uint32_t)step)
		errx(EXIT_CAPJAIL, "sync with the launcher failed");
}

/* "INNER OUTER 1\n" in buf, without printf (see fmt_ulong). */
static const char *
map_line(char *buf, size_t size, unsigned int inner, unsigned int outer)
{
	char *p = buf + size;

	*--p = '\0';
	p -= 3;
	memcpy(p, " 1\n", 3);
	p = fmt_ulong(p, outer);
	*--p = ' ';
	return fmt_ulong(p, inner);
}

/* Without --subids the child maps itself: one id each, its own. */
static void
map_self(const struct opts *o)
{
	char buf[2 * 20 + 8];

	vlog("uid_map %u -> %u, gid_map %u -> %u", o->uid, o->outer_uid,
	    o->gid, o->outer_gid);
	if (write_file("/proc/self/uid_map", map_line(buf, sizeof(buf),
	    o->uid, o->outer_uid)) == -1)
		ns_explain(errno);
	/* Required before an unprivileged gid_map (Linux 3.19). */
	if (write_file("/proc/self/setgroups", "deny") == -1)
		err(EXIT_CAPJAIL, "/proc/self/setgroups");
	if (write_file("/proc/self/gid_map", map_line(buf, sizeof(buf),
	    o->gid, o->outer_gid)) == -1)
		err(EXIT_CAPJAIL, "/proc/self/gid_map");
}

static void
drop_bounding_set(void)
{
	size_t i;
	int c;

	for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++) {
		for (i = 0; i < sizeof(keep_caps) / sizeof(keep_caps[0]); i++)
			if (keep_caps[i] == c)
				break;
		if (i == sizeof(keep_caps) / sizeof(keep_caps[0]) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1)
			err(EXIT_CAPJAIL, "PR_CAPBSET_DROP");
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		err(EXIT_CAPJAIL, "PR_CAP_AMBIENT_CLEAR_ALL");
}

/*
 * The network inside: lo always, the helper's veth with --net BRIDGE.
 * Returns the jail's address, 0 for none.
 */
static uint32_t
child_net(const struct opts *o, int sync)
{
	struct sync_msg m;
	const char *what;

	if (netcfg_lo_up() == -1)
		err(EXIT_CAPJAIL, "lo: up");
	if (o->bridge == NULL)
		return 0;
	sync_wait(sync, SYNC_NET, &m);
	vlog("%s: address, mtu, up, default route", o->ifname);
	if (netcfg_apply(o->ifname, &m.net, &what) == -1)
		err(EXIT_CAPJAIL, "%s: %s", o->ifname, what);
	return m.net.addr;
}

/*
 * The child, from the clone to PID 1.  It holds every capability of the
 * new user namespace and none outside it.
 */
static void __attribute__((noreturn))
child_main(struct opts *o, int sync, struct dns_files *df)
{
	struct sync_msg m;
	struct pollfd pfd = { .fd = sync, .events = POLLIN };
	int ttyfd, hosts;

	/* Set first, then check: a parent that died before this is gone. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		err(EXIT_CAPJAIL, "PR_SET_PDEATHSIG");
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP))
		_exit(EXIT_CAPJAIL);
	vlog("hostname %s", o->hostname);
	if (sethostname(o->hostname, strlen(o->hostname)) == -1)
		ns_explain(errno);
	if (o->subids)
		sync_wait(sync, SYNC_MAPS, &m);
	else
		map_self(o);
	ttyfd = tty_clone();
	mnt_build_root(o, df);
	mnt_hide(o);
	tty_attach(ttyfd);
	env_apply(o);
	hosts = dns_install(o, df);
	drop_bounding_set();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(EXIT_CAPJAIL, "PR_SET_NO_NEW_PRIVS");
	/*
	 * From here nothing PID 1 or the jail runs is unfiltered.  The
	 * default filter comes before the network, so that it is loaded
	 * while the helper attaches the jail (it allows what child_net
	 * does); a caller's filter was written for the command, not for
	 * that, and comes after.
	 */
	if (!o->seccomp_user)
		jail_seccomp_load(o);
	dns_hosts(o, hosts, child_net(o, sync));
	if (o->seccomp_user)
		jail_seccomp_load(o);
	/* The sync socket stays: PID 1 asks the launcher about joiners. */
	pid1_run(o, sync);
}

/*
 * One clone for every namespace, so the user namespace owns the others.
 * Returns the child's pid or -1 with errno.  A raw clone with no stack
 * behaves like fork.  glibc's cached tid is stale in the child; the child
 * never uses raise() or threads.
 */
pid_t
ns_clone(struct opts *o, int sync[2])
{
	struct dns_files df;
	pid_t pid;
	int fd, e;

	mnt_prepare(o, &df);
	vlog("clone: new user, mount, pid, net, uts and ipc namespaces");
	pid = (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL,
	    NULL);
	if (pid == 0) {
		/* Not the helper's socket, nor any other fd: the sync, and
		 * the join socket (moved just above it). */
		if (o->join_fd != -1 && o->join_fd != sync[1] + 1 &&
		    (o->join_fd = dup3(o->join_fd, sync[1] + 1, O_CLOEXEC)) == -1)
			err(EXIT_CAPJAIL, "dup3");
		/* close, not close_range: a filter may refuse that. */
		for (fd = 3; fd < sync[1]; fd++)
			(void)close(fd);
		closefrom(sync[1] + (o->join_fd != -1 ? 2 : 1));
		child_main(o, sync[1], &df);
	}
	e = errno;
	free(df.tmpfs);
	if (pid == -1) {
		errno = e;	/* the caller explains the clone's */
		return -1;
	}
	(void)close(sync[1]);
	return pid;
}
