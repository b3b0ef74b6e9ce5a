/* SPDX-License-Identifier: ISC */
/*
 * capjail --check: tries what a jail needs and says what is missing.  User
 * namespaces are tried for real (a throwaway clone that maps itself and
 * sets a hostname); the helper's file capabilities are read from its
 * security.capability attribute; the grants come from the helper itself
 * (PROTO_CHECK_GRANTS), through the same checked client as a jail's, run
 * with --check so that it changes nothing on the host.
 * Prints on stdout; returns 0 when everything works, 125 otherwise.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/xattr.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/* In the throwaway child: returns 0 or the errno of what failed. */
static int
try_userns(uid_t uid, gid_t gid)
{
	char buf[64];

	(void)snprintf(buf, sizeof(buf), "0 %u 1\n", uid);
	if (write_file("/proc/self/uid_map", buf) == -1 ||
	    write_file("/proc/self/setgroups", "deny") == -1)
		return errno;
	(void)snprintf(buf, sizeof(buf), "0 %u 1\n", gid);
	if (write_file("/proc/self/gid_map", buf) == -1 ||
	    sethostname("capjail-check", 13) == -1)
		return errno;
	return 0;
}

static int
check_userns(void)
{
	const char *knob;
	int status, e;
	uid_t uid = getuid();
	gid_t gid = getgid();
	pid_t pid;

	pid = (pid_t)syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL,
	    NULL);
	if (pid == 0)
		_exit(try_userns(uid, gid));
	e = errno;
	if (pid != -1) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		e = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
	}
	if (e == 0) {
		printf("user namespaces: ok\n");
		return 0;
	}
	knob = ns_knob();
	printf("user namespaces: NOT WORKING: %s\n",
	    knob != NULL ? knob : strerror(e));
	if (knob != NULL && strstr(knob, "AppArmor") != NULL &&
	    access(APPARMOR_PROFILE, F_OK) == -1)
		printf("  capjail's AppArmor profile %s is missing: install "
		    "and load it (apparmor_parser -r %s), or, as root, "
		    "sysctl kernel.apparmor_restrict_unprivileged_userns=0\n",
		    APPARMOR_PROFILE, APPARMOR_PROFILE);
	return -1;
}

_Static_assert(CAP_TO_INDEX(CAP_NET_ADMIN) == 0,
    "CAP_NET_ADMIN is in the first word of a capability set");

/*
 * The file capabilities in fd's security.capability attribute, as
 * capabilities(7) lays it out (little-endian, three revisions): 0 with
 * the first word of the permitted set and the effective bit, or -1 when
 * there are none or they make no sense.  Read by hand: libcap-ng would be
 * one more library loaded at every start, for this one check.
 */
static int
file_caps(int fd, uint32_t *permitted, int *effective)
{
	struct vfs_ns_cap_data c;
	ssize_t n;
	size_t len;
	uint32_t magic, rev;

	if ((n = fgetxattr(fd, XATTR_NAME_CAPS, &c, sizeof(c))) == -1)
		return -1;
	len = (size_t)n;
	magic = le32toh(c.magic_etc);
	rev = magic & VFS_CAP_REVISION_MASK;
	if (!(rev == VFS_CAP_REVISION_1 && len == XATTR_CAPS_SZ_1) &&
	    !(rev == VFS_CAP_REVISION_2 && len == XATTR_CAPS_SZ_2) &&
	    !(rev == VFS_CAP_REVISION_3 && len == XATTR_CAPS_SZ_3))
		return -1;
	*permitted = le32toh(c.data[0].permitted);
	*effective = (magic & VFS_CAP_FLAGS_EFFECTIVE) != 0;
	return 0;
}

static int
check_helper_caps(const char *path)
{
	uint32_t permitted;
	int fd, effective, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		printf("helper %s: NOT INSTALLED: %s\n", path, strerror(errno));
		return -1;
	}
	if (file_caps(fd, &permitted, &effective) == -1)
		printf("helper %s: NO FILE CAPABILITIES (as root: setcap "
		    "cap_net_admin+ep %s)\n", path, path);
	else if ((permitted & CAP_TO_MASK(CAP_NET_ADMIN)) == 0)
		printf("helper %s: cap_net_admin MISSING from its file "
		    "capabilities\n", path);
	else {
		printf("helper %s: cap_net_admin+%s: ok\n", path,
		    effective ? "ep" : "p");
		r = 0;
	}
	(void)close(fd);
	return r;
}

/*
 * Forwarding is world-readable: the bridge's own setting once it exists,
 * else the default a new bridge gets.  1, 0, or -1 when unreadable.
 */
static int
forwarding_on(const char *bridge)
{
	char path[128], c = '0';
	int fd;

	(void)snprintf(path, sizeof(path),
	    "/proc/sys/net/ipv4/conf/%s/forwarding", bridge);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 &&
	    (fd = open("/proc/sys/net/ipv4/conf/default/forwarding",
	    O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = '?';
	(void)close(fd);
	return c == '1' ? 1 : c == '0' ? 0 : -1;
}

/* A grant's warnings; -1 when one means jails will not work. */
static int
grant_warnings(const struct proto_grant *g)
{
	int r = 0;

	if (g->warnings & PROTO_WARN_NO_BRIDGE)
		printf("  note: %s does not exist yet; the helper creates it "
		    "on first use\n", g->bridge);
	if (forwarding_on(g->bridge) != 1) {
		printf("  WARNING: net.ipv4.ip_forward is 0 (IPv4 forwarding "
		    "is off for %s): published ports and outbound traffic "
		    "will not be forwarded; ask the admin for forward=yes or "
		    "the sysctl\n", g->bridge);
		r = -1;
	}
	if (g->warnings & PROTO_WARN_NOT_BRIDGE) {
		printf("  WARNING: %s exists and is not a bridge: jails cannot "
		    "use it; ask the admin to rename it or the bridge in "
		    "net.conf\n", g->bridge);
		r = -1;
	}
	if (g->warnings & PROTO_WARN_NO_PUBIF) {
		printf("  WARNING: a publish-from interface of %s does not "
		    "exist: ports published there are reachable only from "
		    "the interfaces that do\n", g->bridge);
		r = -1;
	}
	if (g->warnings & PROTO_WARN_FORWARD_DROP) {
		printf("  WARNING: another firewall (e.g. Docker's) has a "
		    "FORWARD policy of drop: published ports will not be "
		    "reachable unless it accepts traffic for %s\n", g->bridge);
		r = -1;
	}
	if (g->warnings & ~(PROTO_WARN_NO_BRIDGE | PROTO_WARN_NOT_BRIDGE |
	    PROTO_WARN_NO_PUBIF | PROTO_WARN_FORWARD_DROP)) {
		printf("  WARNING: unknown warnings 0x%x from the helper\n",
		    g->warnings);
		r = -1;
	}
	return r;
}

/* One grant; returns -1 when a warning means jails will not work. */
static int
print_grant(const struct proto_grant *g)
{
	struct in_addr gw = { .s_addr = g->gateway };
	char addr[INET_ADDRSTRLEN];

	(void)inet_ntop(AF_INET, &gw, addr, sizeof(addr));
	printf("bridge %s: gateway %s/%u, jails %u of %u in use, ", g->bridge,
	    addr, g->prefixlen, g->jails_used, g->jails_max);
	if (g->port_lo == 0 && g->port_hi == 0)
		printf("no ports to publish\n");
	else
		printf("ports %u-%u\n", g->port_lo, g->port_hi);
	return grant_warnings(g);
}

static int
check_grants(const char *path)
{
	struct client c = { .sock = -1, .pid = -1 };
	struct proto_check_rep rep;
	char why[PROTO_TEXT_LEN + 64];
	uint32_t i;
	int r;

	if (client_spawn(&c, path, 1) == -1) {
		/* It said why on stderr. */
		printf("grants: NOT AVAILABLE\n");
		return -1;
	}
	r = client_check(&c, &rep, why, sizeof(why));
	client_close(&c);
	if (r == -1) {
		/* Empty: the helper printed its own line on stderr. */
		printf("grants: NOT AVAILABLE%s%s\n", why[0] ? ": " : "", why);
		return -1;
	}
	if (rep.ngrants == 0) {
		printf("grants: NONE: the helper's configuration grants you no "
		    "bridge\n");
		return -1;
	}
	for (i = 0; i < rep.ngrants; i++)
		r |= print_grant(&rep.grants[i]);
	return r;
}

int
check_run(void)
{
	const char *path = helper_path();
	int bad = 0;

	(void)fflush(stdout);
	bad |= check_userns();
	bad |= check_helper_caps(path);
	(void)fflush(stdout);
	bad |= check_grants(path);
	printf("capjail --check: %s\n", bad ? "PROBLEMS FOUND" : "all good");
	return bad ? EXIT_CAPJAIL : 0;
}
