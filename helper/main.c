/* SPDX-License-Identifier: ISC */
/*
 * capjail-net: the privileged half of capjail, installed with the file
 * capability cap_net_admin=ep and nothing else.  The launcher execs it
 * with its end of a SOCK_SEQPACKET socketpair on fd 3; it serves that one
 * caller, for the life of one jail, and trusts nothing it inherited: not
 * its fds, ids, capabilities or environment.  Its one argument, --check,
 * only takes away: such a helper answers checks and changes nothing.
 * Policy comes only from the root-owned CONF_PATH.  main is the startup sequence, one call
 * per step, in the order DESIGN.md gives; then the request loop.
 */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "fw.h"

#ifndef CONF_PATH
#error CONF_PATH must be defined by the Makefile
#endif

#ifdef CAPJAIL_SANITIZE
/*
 * make SANITIZE=1: ASan and UBSan stay on, LeakSanitizer goes off.  It
 * runs at exit and needs ptrace, which the seccomp filter (rightly) kills;
 * the fuzzer runs this request path with LeakSanitizer on every input.
 */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

/* Between requests (a whole jail's life): scratch pages and free heap. */
static void
idle(void)
{
	nl_idle();
	fw_idle();
	lease_idle();
	(void)malloc_trim(0);
}

/*
 * The tables, when they differ; a check changes nothing.  The garbage
 * waits for dispatch_tidy: no request needs it collected first.
 */
static void
firewall(struct session *s)
{
	if (s->check_only)
		return;
	if (fw_setup(s->nf, s->conf) == -1)
		err(1, "firewall set-up");
}

int
main(int argc, char *argv[])
{
	static struct config conf;
	static struct session s;
	static struct nl rtnl, nf, ev;
	static gid_t groups[NGROUPS_MAX];
	static struct proto_req req;
	char cerr[CONF_ERR_LEN];
	int ngroups, fd;

	closefrom(PROTO_SOCK_FD + 1);		/* only 0-3 inherited */
	sandbox_stdfds();			/* 0-2 open, else /dev/null */
	if (argc == 2 && strcmp(argv[1], "--check") == 0)
		s.check_only = 1;
	else if (argc != 1)
		errx(1, "usage: capjail-net [--check] (capjail runs it)");
	sandbox_ids();				/* not setuid, not setgid */
	sandbox_caps_drop();			/* keep CAP_NET_ADMIN only */
	sandbox_nnp();				/* PR_SET_NO_NEW_PRIVS */
	sandbox_not_dumpable();			/* no ptrace, no core */
	sandbox_caps_prove();			/* read the sets back */
	sandbox_sock(PROTO_SOCK_FD);		/* our caller, SEQPACKET */
	sandbox_nofile();			/* a socket per published port */
	(void)signal(SIGPIPE, SIG_IGN);		/* a dead peer is EPIPE */
	(void)signal(SIGXFSZ, SIG_IGN);		/* RLIMIT_FSIZE: EFBIG */
	if (clearenv() != 0)			/* read nothing from it */
		errx(1, "clearenv failed");
	s.uid = getuid();			/* identity: real ids */
	if ((ngroups = getgroups(NGROUPS_MAX - 1, groups)) == -1)
		err(1, "getgroups");
	groups[ngroups++] = getgid();
	log_init(s.uid);			/* syslog socket, before seccomp */
	sandbox_cap_effective(0);		/* NSS runs in config_load */
	if (config_load(&conf, CONF_PATH, cerr, sizeof(cerr)) == -1)
		errx(1, "%s", cerr);
	sandbox_cap_effective(1);
	s.conf = &conf;
	config_resolve(&conf, s.uid, groups, (size_t)ngroups, s.grant);
	if (nl_open(&rtnl, NETLINK_ROUTE) == -1)
		err(1, "netlink");
	if (nl_open(&nf, NETLINK_NETFILTER) == -1)
		err(1, "netlink (netfilter)");
	if (nl_open(&ev, NETLINK_ROUTE) == -1)
		err(1, "netlink (events)");
	s.rtnl = &rtnl;
	s.nf = &nf;
	s.ev = &ev;
	netns_self(&s);				/* /proc/self/ns/net */
	firewall(&s);				/* the tables */
	lease_seed();				/* getrandom, before seccomp */
	sandbox_seccomp();			/* the allowlist, last */

	for (;;) {
		if (fdpass_recv(PROTO_SOCK_FD, &req, sizeof(req), &fd) == -1)
			dispatch_recv_failed(&s, errno);
		dispatch(&s, &req, fd);
		idle();
	}
}
